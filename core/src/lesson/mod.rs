//! Lessons and challenges: Markdown files (`lessons/*.md`, format in `lessons/README.md`) that
//! play the guide step by step. A lesson is prose with fenced blocks the page turns into
//! things to do: `do` (console commands behind a "Do it" button), `check` (assertions on the
//! cluster's state, shown live), `predict` (a question asked before its commands are played,
//! whose choices and answer are computed from the state then, never typed by hand), and for
//! challenges `goal`, `hint` and `solution`. Links of the form `sandbox:replica/orders-0/1`
//! point at parts of the picture, which the page highlights.
//!
//! `parse` reads a file with positions for every error (file, line, column, reason); `run`
//! plays a lesson headless as the tests and `kafka-sandbox lesson` do; `predict` computes a
//! question's choices. The page uses the same three, so a lesson that passes the tests is the
//! lesson the learner gets.

pub mod ir;
mod parse;
pub mod predict;
pub mod query;
pub mod run;

use std::fmt;

use crate::command::{ClusterSpec, Command, TopicPartition};

pub use parse::parse_lesson;
pub use predict::Question;
pub use query::{Check, Query, Value, Verdict};
pub use run::{run_lesson, RunSummary};

/// Whether a file of the lessons folder is a lesson: Markdown, but not the folder's `README.md`
/// (the format) or `coverage.md` (the guide's items).
pub fn is_lesson_file(name: &str) -> bool {
    name.ends_with(".md") && !matches!(name, "README.md" | "coverage.md")
}

/// A lesson or a challenge, read from its file.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// The file's name without `.md`: `03-replication`.
    pub id: String,
    pub meta: Meta,
    /// The cluster the lesson opens on, and the commands played before its first step.
    pub setup: Commands,
    pub cluster: ClusterSpec,
    /// Prose before the first step.
    pub intro: Vec<Block>,
    pub steps: Vec<Step>,
}

/// The front matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub title: String,
    pub level: Level,
    pub minutes: u32,
    /// The coverage items (see `lessons/coverage.md`) the lesson teaches.
    pub teaches: Vec<String>,
    pub kind: LessonKind,
    /// One sentence for the lesson map.
    pub summary: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonKind {
    Lesson,
    /// A troubleshooting challenge: a symptom to investigate and a goal to reach.
    Challenge,
}

/// A step: what the page shows between two presses of Next.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    /// The line of its heading.
    pub line: usize,
    pub blocks: Vec<Block>,
}

/// A part of a step, in the order written.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Paragraph(Vec<Span>),
    Subheading(String),
    List(Vec<Vec<Span>>),
    /// A quoted aside (`> ...`).
    Note(Vec<Span>),
    /// Code shown, not run (a Java snippet, a properties file).
    Code {
        language: String,
        text: String,
    },
    /// Console commands behind a "Do it" button.
    Do(Commands),
    Check(Vec<CheckLine>),
    Predict(Predict),
    /// A challenge's goal: after playing on, these checks must hold.
    Goal(Goal),
    /// A hint a challenge shows on request.
    Hint(String),
    /// A challenge's fix, shown only on request and applied by the tests.
    Solution(Commands),
}

/// Commands as written, and as parsed.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Commands {
    pub text: String,
    pub commands: Vec<Command>,
    /// The line of the first command in the file.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    pub check: Check,
    pub line: usize,
}

/// A question asked before `play` is played: its answer is `answer` evaluated after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Predict {
    pub ask: String,
    pub play: Commands,
    pub answer: Query,
    pub line: usize,
}

/// A challenge's goal: play on for `play`, then every check holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub play: Commands,
    pub checks: Vec<CheckLine>,
    /// What success means, in words.
    pub description: String,
    pub line: usize,
}

/// A run of inline text with one style.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub text: String,
    pub code: bool,
    pub strong: bool,
    pub emphasis: bool,
    pub link: Option<Link>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// An `https://` address, opened in a new tab.
    Web(String),
    /// A part of the picture the page highlights.
    Target(Target),
}

/// A part of the picture a lesson can point at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Broker(i32),
    Controller(i32),
    Partition(TopicPartition),
    Replica(TopicPartition, i32),
    /// The network link between two nodes.
    Link(i32, i32),
}

impl Target {
    /// Reads `broker/1`, `controller/100`, `partition/orders-0`, `replica/orders-0/1`,
    /// `link/0/1` (what follows `sandbox:`).
    pub fn parse(text: &str) -> Result<Target, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let id = |s: &str| {
            s.parse::<i32>()
                .map_err(|_| format!("`{s}` is not a node id in `sandbox:{text}`"))
        };
        Ok(match parts.as_slice() {
            ["broker", b] => Target::Broker(id(b)?),
            ["controller", c] => Target::Controller(id(c)?),
            ["partition", tp] => Target::Partition(query::parse_tp(tp)?),
            ["replica", tp, b] => Target::Replica(query::parse_tp(tp)?, id(b)?),
            ["link", a, b] => Target::Link(id(a)?, id(b)?),
            _ => {
                return Err(format!(
                    "`sandbox:{text}` points at nothing: use broker/ID, controller/ID, partition/TOPIC-N, replica/TOPIC-N/BROKER or link/ID/ID"
                ))
            }
        })
    }

    /// Whether the view has the thing pointed at.
    pub fn exists(&self, view: &crate::view::ClusterView) -> bool {
        let partition = |tp: &TopicPartition| view.partition(tp);
        let node = |id: i32| {
            view.brokers.iter().any(|b| b.id == id) || view.controllers.iter().any(|c| c.id == id)
        };
        match self {
            Target::Broker(b) => view.brokers.iter().any(|x| x.id == *b),
            Target::Controller(c) => view.controllers.iter().any(|x| x.id == *c),
            Target::Partition(tp) => partition(tp).is_some(),
            Target::Replica(tp, b) => {
                partition(tp).is_some_and(|p| p.replicas.iter().any(|r| r.broker == *b))
            }
            Target::Link(a, b) => node(*a) && node(*b) && a != b,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Broker(b) => write!(f, "broker/{b}"),
            Target::Controller(c) => write!(f, "controller/{c}"),
            Target::Partition(tp) => write!(f, "partition/{tp}"),
            Target::Replica(tp, b) => write!(f, "replica/{tp}/{b}"),
            Target::Link(a, b) => write!(f, "link/{a}/{b}"),
        }
    }
}

/// What is wrong with a lesson, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for LessonError {}

impl Lesson {
    /// Every block of the lesson with its step's index (`None` for the intro).
    pub fn blocks(&self) -> impl Iterator<Item = (Option<usize>, &Block)> {
        self.intro.iter().map(|b| (None, b)).chain(
            self.steps
                .iter()
                .enumerate()
                .flat_map(|(i, s)| s.blocks.iter().map(move |b| (Some(i), b))),
        )
    }

    /// The lesson's whole text in plain words (prose, questions, commands), for the coverage
    /// test's "does the lesson touch this item".
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        let spans = |out: &mut String, spans: &[Span]| {
            for s in spans {
                out.push_str(&s.text);
            }
            out.push('\n');
        };
        out.push_str(&self.meta.title);
        out.push('\n');
        out.push_str(&self.setup.text);
        for step in &self.steps {
            out.push_str(&step.title);
            out.push('\n');
        }
        for (_, block) in self.blocks() {
            match block {
                Block::Paragraph(s) | Block::Note(s) => spans(&mut out, s),
                Block::List(items) => items.iter().for_each(|s| spans(&mut out, s)),
                Block::Subheading(t) | Block::Hint(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                Block::Code { text, .. } => out.push_str(text),
                Block::Do(c) | Block::Solution(c) => out.push_str(&c.text),
                Block::Check(lines) => lines.iter().for_each(|l| {
                    out.push_str(&l.check.to_string());
                    out.push('\n');
                }),
                Block::Predict(p) => {
                    out.push_str(&p.ask);
                    out.push('\n');
                    out.push_str(&p.play.text);
                }
                Block::Goal(g) => {
                    out.push_str(&g.description);
                    out.push('\n');
                    out.push_str(&g.play.text);
                }
            }
        }
        out
    }
}
