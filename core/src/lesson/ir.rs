//! A lesson compiled: the form the page gets. The Markdown is read at build time (by the web
//! crate's build script, natively, with `parse_lesson`) and written here as tab-separated
//! lines; the page reads those lines back into the same [`Lesson`] without a Markdown parser,
//! so the download carries none (pulldown-cmark's tables cost ~100 KiB gzip). Commands and
//! checks travel as their text and are parsed again by the command and check parsers the page
//! has anyway. `read(write(l)) == l` for every lesson, which the tests check.

use super::query::Check;
use super::{
    Block, CheckLine, Commands, Goal, Lesson, LessonKind, Level, Link, Meta, Predict, Span, Step,
    Target,
};
use crate::parse::parse_script;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

struct Writer(String);

impl Writer {
    fn line(&mut self, fields: &[&str]) {
        let fields: Vec<String> = fields.iter().map(|f| escape(f)).collect();
        self.0.push_str(&fields.join("\t"));
        self.0.push('\n');
    }

    fn spans(&mut self, tag: &str, spans: &[Span]) {
        let mut fields: Vec<String> = vec![tag.to_string()];
        for s in spans {
            let mut flags = String::new();
            for (on, letter) in [(s.code, 'c'), (s.strong, 's'), (s.emphasis, 'e')] {
                if on {
                    flags.push(letter);
                }
            }
            fields.push(flags);
            fields.push(match &s.link {
                None => String::new(),
                Some(Link::Web(url)) => format!("web:{url}"),
                Some(Link::Target(t)) => format!("sandbox:{t}"),
            });
            fields.push(s.text.clone());
        }
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        self.line(&refs);
    }

    fn commands(&mut self, tag: &str, c: &Commands) {
        self.line(&[tag, &c.line.to_string(), &c.text]);
    }

    fn checks(&mut self, checks: &[CheckLine]) {
        for c in checks {
            self.line(&["c", &c.line.to_string(), &c.check.to_string()]);
        }
    }
}

/// Writes a lesson as lines.
pub fn write(lesson: &Lesson) -> String {
    let mut w = Writer(String::new());
    let m = &lesson.meta;
    w.line(&["lesson", &lesson.id]);
    w.line(&["title", &m.title]);
    w.line(&["summary", &m.summary]);
    w.line(&["level", m.level.name()]);
    w.line(&["minutes", &m.minutes.to_string()]);
    w.line(&[
        "kind",
        match m.kind {
            LessonKind::Lesson => "lesson",
            LessonKind::Challenge => "challenge",
        },
    ]);
    w.line(&["teaches", &m.teaches.join(",")]);
    w.commands("setup", &lesson.setup);
    let blocks = |w: &mut Writer, blocks: &[Block]| {
        for block in blocks {
            match block {
                Block::Paragraph(s) => w.spans("p", s),
                Block::Note(s) => w.spans("note", s),
                Block::Subheading(t) => w.line(&["h", t]),
                Block::List(items) => {
                    w.line(&["list", &items.len().to_string()]);
                    for item in items {
                        w.spans("item", item);
                    }
                }
                Block::Code { language, text } => w.line(&["code", language, text]),
                Block::Do(c) => w.commands("do", c),
                Block::Solution(c) => w.commands("solution", c),
                Block::Hint(t) => w.line(&["hint", t]),
                Block::Check(lines) => {
                    w.line(&["checks", &lines.len().to_string()]);
                    w.checks(lines);
                }
                Block::Predict(p) => w.line(&[
                    "predict",
                    &p.line.to_string(),
                    &p.ask,
                    &p.answer.to_string(),
                    &p.play.line.to_string(),
                    &p.play.text,
                ]),
                Block::Goal(g) => {
                    w.line(&[
                        "goal",
                        &g.line.to_string(),
                        &g.description,
                        &g.play.line.to_string(),
                        &g.play.text,
                        &g.checks.len().to_string(),
                    ]);
                    w.checks(&g.checks);
                }
            }
        }
    };
    blocks(&mut w, &lesson.intro);
    for step in &lesson.steps {
        w.line(&["step", &step.line.to_string(), &step.title]);
        blocks(&mut w, &step.blocks);
    }
    w.0
}

/// A lesson that could not be read, as a line [`read_all`] gives back as its error.
pub fn write_broken(error: &str) -> String {
    format!("broken\t{}\n", escape(error))
}

/// Reads the lessons written by [`write`] (each starting with its `lesson` line) and
/// [`write_broken`], in order.
pub fn read_all(text: &str) -> Vec<Result<Lesson, String>> {
    let mut out = Vec::new();
    let mut start = None;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if let Some(why) = line.strip_prefix("broken\t") {
            if let Some(s) = start.take() {
                out.push(read(&lines[s..i]));
            }
            out.push(Err(unescape(why)));
        } else if line.starts_with("lesson\t") {
            if let Some(s) = start {
                out.push(read(&lines[s..i]));
            }
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(read(&lines[s..]));
    }
    out
}

fn number(text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

fn commands(line: &str, text: &str) -> Result<Commands, String> {
    let script = parse_script(text).map_err(|e| e.to_string())?;
    Ok(Commands {
        text: text.to_string(),
        commands: script.commands.into_iter().map(|c| c.value).collect(),
        line: number(line)?,
    })
}

fn spans(fields: &[String]) -> Result<Vec<Span>, String> {
    fields
        .chunks(3)
        .map(|f| {
            let [flags, link, text] = f else {
                return Err("a span needs flags, a link and text".to_string());
            };
            let link = if let Some(url) = link.strip_prefix("web:") {
                Some(Link::Web(url.to_string()))
            } else if let Some(t) = link.strip_prefix("sandbox:") {
                Some(Link::Target(Target::parse(t)?))
            } else {
                None
            };
            Ok(Span {
                text: text.clone(),
                code: flags.contains('c'),
                strong: flags.contains('s'),
                emphasis: flags.contains('e'),
                link,
            })
        })
        .collect()
}

/// Reads one lesson's lines.
fn read(lines: &[&str]) -> Result<Lesson, String> {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| l.split('\t').map(unescape).collect())
        .collect();
    let mut rows = rows.into_iter().peekable();
    let mut id = String::new();
    let mut meta = Meta {
        title: String::new(),
        level: Level::Beginner,
        minutes: 0,
        teaches: Vec::new(),
        kind: LessonKind::Lesson,
        summary: String::new(),
    };
    let mut setup = Commands::default();
    let mut intro: Vec<Block> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let take_checks = |rows: &mut std::iter::Peekable<std::vec::IntoIter<Vec<String>>>,
                       n: usize|
     -> Result<Vec<CheckLine>, String> {
        (0..n)
            .map(|_| match rows.next().as_deref() {
                Some([tag, line, text]) if tag == "c" => Ok(CheckLine {
                    check: Check::parse(text)?,
                    line: number(line)?,
                }),
                _ => Err("a check line is missing".to_string()),
            })
            .collect()
    };
    while let Some(row) = rows.next() {
        let field = |i: usize| row.get(i).cloned().unwrap_or_default();
        let block = match row.first().map(String::as_str).unwrap_or("") {
            "lesson" => {
                id = field(1);
                None
            }
            "title" => {
                meta.title = field(1);
                None
            }
            "summary" => {
                meta.summary = field(1);
                None
            }
            "level" => {
                meta.level = match field(1).as_str() {
                    "intermediate" => Level::Intermediate,
                    "advanced" => Level::Advanced,
                    _ => Level::Beginner,
                };
                None
            }
            "minutes" => {
                meta.minutes = number(&field(1))? as u32;
                None
            }
            "kind" => {
                if field(1) == "challenge" {
                    meta.kind = LessonKind::Challenge;
                }
                None
            }
            "teaches" => {
                meta.teaches = field(1)
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                None
            }
            "setup" => {
                setup = commands(&field(1), &field(2))?;
                None
            }
            "step" => {
                steps.push(Step {
                    title: field(2),
                    line: number(&field(1))?,
                    blocks: Vec::new(),
                });
                None
            }
            "p" => Some(Block::Paragraph(spans(&row[1..])?)),
            "note" => Some(Block::Note(spans(&row[1..])?)),
            "h" => Some(Block::Subheading(field(1))),
            "list" => {
                let n = number(&field(1))?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    match rows.next() {
                        Some(item) if item.first().is_some_and(|t| t == "item") => {
                            items.push(spans(&item[1..])?)
                        }
                        _ => return Err("a list item is missing".to_string()),
                    }
                }
                Some(Block::List(items))
            }
            "code" => Some(Block::Code {
                language: field(1),
                text: field(2),
            }),
            "do" => Some(Block::Do(commands(&field(1), &field(2))?)),
            "solution" => Some(Block::Solution(commands(&field(1), &field(2))?)),
            "hint" => Some(Block::Hint(field(1))),
            "checks" => {
                let n = number(&field(1))?;
                Some(Block::Check(take_checks(&mut rows, n)?))
            }
            "predict" => {
                let words: Vec<String> = field(3).split_whitespace().map(str::to_string).collect();
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                let answer = super::Query::parse(&words)
                    .ok_or_else(|| format!("`{}` is not a query", field(3)))??;
                Some(Block::Predict(Predict {
                    line: number(&field(1))?,
                    ask: field(2),
                    answer,
                    play: commands(&field(4), &field(5))?,
                }))
            }
            "goal" => {
                let n = number(&field(5))?;
                let play = commands(&field(3), &field(4))?;
                Some(Block::Goal(Goal {
                    line: number(&field(1))?,
                    description: field(2),
                    play,
                    checks: take_checks(&mut rows, n)?,
                }))
            }
            other => return Err(format!("unknown line `{other}`")),
        };
        if let Some(block) = block {
            match steps.last_mut() {
                Some(step) => step.blocks.push(block),
                None => intro.push(block),
            }
        }
    }
    let cluster = parse_script(&setup.text)
        .map(|s| s.cluster)
        .unwrap_or_default();
    Ok(Lesson {
        id,
        meta,
        setup,
        cluster,
        intro,
        steps,
    })
}
