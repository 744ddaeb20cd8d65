//! The page's state: one run (a `Timeline` from core), the console's lines and history, and
//! what the user is looking at. All changes go through [`Action`]s in one reducer, the way
//! Yew's `function_todomvc` example keeps its state; the simulation itself stays in core.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use sandbox_core::command::{ClusterSpec, Command, EventFilter};
use sandbox_core::event::Event;
use sandbox_core::metrics::{metrics, MetricsView};
use sandbox_core::parse::{format_command, parse_command, parse_script};
use sandbox_core::timeline::Timeline;
use sandbox_core::view::{cluster_view_cached, ClusterView, PartitionView, ViewCache};
use yew::prelude::*;

use crate::lessons::LessonState;
use crate::PartitionKey;

/// What a fresh page runs after the cluster boots, so there is something to look at.
pub const WELCOME_SCRIPT: &str = "\
kafka-topics.sh --create --topic orders --partitions 3 --replication-factor 3
run 1s
";

/// One line in the console's output.
#[derive(Clone, Debug, PartialEq)]
pub enum ConsoleLine {
    /// A command as the user typed it (or as a click produced it).
    Input(String),
    /// Text a command printed, such as `kafka-topics.sh --describe`.
    Output(String),
    /// A command that could not be applied, or did not parse (with the column of the error).
    Error {
        message: String,
        column: Option<usize>,
        input: String,
    },
    /// A one-line summary of what a command did.
    Note(String),
}

/// The run and everything that is not rendering.
pub struct Session {
    pub timeline: Timeline,
    /// Shared with the page's props until a line is added (`Rc::make_mut`).
    pub console: Rc<Vec<ConsoleLine>>,
    /// How many lines were dropped from the front of `console`: its first line's number, so
    /// the page can key lines by number and draw only the new ones.
    pub console_dropped: usize,
    /// Commands typed, oldest first, for the up / down keys.
    pub history: Rc<Vec<String>>,
    /// Every command that changed the run, in order: replaying them on the same cluster gives
    /// the same run and step, so this is what the page's address keeps.
    pub journal: Vec<Command>,
    /// The partition views of the last view built, reused while their inputs do not change.
    pub views: ViewCache,
    spec: ClusterSpec,
}

impl Session {
    pub fn new(spec: ClusterSpec, script: &str) -> Session {
        let mut session = Session {
            timeline: Timeline::new(spec.clone()),
            console: Rc::default(),
            console_dropped: 0,
            views: ViewCache::default(),
            history: Rc::default(),
            journal: Vec::new(),
            spec,
        };
        if let Ok(parsed) = parse_script(script) {
            for command in parsed.commands {
                session.execute(&command.value, &format_command(&command.value));
            }
        }
        session
    }

    /// Restores a run from a script (a shared link). A script that does not parse or whose
    /// commands fail is not lost silently: the console and the returned sentence say what was
    /// wrong and where, and the page starts from the welcome script (or the run up to the
    /// command that failed) instead.
    pub fn restore(script: &str) -> (Session, Option<String>) {
        match parse_script(script) {
            Ok(parsed) => {
                let mut session = Session::new(parsed.cluster.clone(), "");
                let mut failed = None;
                for command in &parsed.commands {
                    if let Err(e) = session.timeline.apply_unobserved(&command.value) {
                        failed = Some(format!("line {}: {e}", command.line));
                        break;
                    }
                    session.record(&command.value);
                }
                Rc::make_mut(&mut session.console).push(ConsoleLine::Note(match &failed {
                    None => format!(
                        "Restored the run from the link: {} command(s), step {}",
                        session.journal.len(),
                        session.timeline.state.steps
                    ),
                    Some(_) => "Restored the link's run up to the command that failed".into(),
                }));
                let problem = failed.as_ref().map(|m| {
                    format!("The link's run was restored up to the command that failed, {m}")
                });
                if let Some(message) = failed {
                    Rc::make_mut(&mut session.console).push(ConsoleLine::Error {
                        message,
                        column: None,
                        input: String::new(),
                    });
                }
                (session, problem)
            }
            Err(e) => {
                let mut session = Session::new(ClusterSpec::default(), WELCOME_SCRIPT);
                let message = format!(
                    "the link's run could not be read, so a fresh cluster was started: {e}"
                );
                Rc::make_mut(&mut session.console).push(ConsoleLine::Error {
                    message: message.clone(),
                    column: None,
                    input: String::new(),
                });
                (session, Some(upper_first(&message)))
            }
        }
    }

    /// Appends a command to the journal, merging runs of `run` and `step` so a played
    /// timeline stays a short link.
    fn record(&mut self, command: &Command) {
        match (self.journal.last_mut(), command) {
            (Some(Command::Run { duration_ms: a }), Command::Run { duration_ms: b }) => *a += b,
            (Some(Command::Step { count: a }), Command::Step { count: b }) => *a += b,
            _ => self.journal.push(command.clone()),
        }
    }

    /// The run as a script: the cluster, then every command in order.
    pub fn script(&self) -> String {
        sandbox_core::parse::format_script(&sandbox_core::command::Script {
            cluster: self.spec.clone(),
            commands: self
                .journal
                .iter()
                .map(|c| sandbox_core::command::Located {
                    line: 0,
                    value: c.clone(),
                })
                .collect(),
        })
    }

    /// Runs commands as clicks do (each echoed to the console) and returns what the console
    /// printed for them (answers, notes and errors, not the commands echoed), for showing
    /// next to what caused them.
    pub fn run_commands(&mut self, commands: &[Command]) -> Vec<String> {
        let from = self.console.len();
        for command in commands {
            self.execute(command, &format_command(command));
        }
        self.console
            .get(from.min(self.console.len())..)
            .unwrap_or_default()
            .iter()
            .filter_map(|line| match line {
                ConsoleLine::Output(text) | ConsoleLine::Note(text) => Some(text.clone()),
                ConsoleLine::Error { message, input, .. } => Some(format!("✗ {input}: {message}")),
                ConsoleLine::Input(_) => None,
            })
            .collect()
    }

    /// Advances a playing timeline by one tick.
    pub fn tick(&mut self, speed_ms: i64) {
        let command = if self.timeline.at_head() {
            // Live: advance simulated time.
            Command::Run {
                duration_ms: speed_ms,
            }
        } else {
            // Replaying recorded history: move through it step by step.
            Command::Step { count: 5 }
        };
        if self.timeline.apply_unobserved(&command).is_ok() {
            self.record(&command);
        }
    }

    /// Parses and runs one console line.
    pub fn run_line(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        if self.history.last().map(String::as_str) != Some(line) {
            Rc::make_mut(&mut self.history).push(line.to_string());
        }
        match parse_command(line) {
            Ok(command) => self.execute(&command, line),
            Err(e) => {
                Rc::make_mut(&mut self.console).push(ConsoleLine::Input(line.to_string()));
                let mut message = e.message.clone();
                if let Some(s) = &e.suggestion {
                    message.push_str(&format!("; did you mean `{s}`?"));
                }
                Rc::make_mut(&mut self.console).push(ConsoleLine::Error {
                    message,
                    column: Some(e.column),
                    input: line.to_string(),
                });
            }
        }
    }

    /// Runs a command, echoing it to the console as `text` (the console form of a click).
    pub fn execute(&mut self, command: &Command, text: &str) {
        Rc::make_mut(&mut self.console).push(ConsoleLine::Input(text.to_string()));
        let before = self.timeline.state.steps;
        // A command's note is its last event; moving in time notes the step instead, so its
        // events are not asked for (a jump in recorded history then starts from a snapshot).
        let moves_in_time = matches!(
            command,
            Command::Step { .. }
                | Command::StepUntil { .. }
                | Command::Run { .. }
                | Command::Back { .. }
                | Command::Seek { .. }
        );
        let mut last_event: Option<String> = None;
        let result = if moves_in_time {
            self.timeline.apply_unobserved(command)
        } else {
            self.timeline
                .apply_streaming(command, |e| last_event = Some(e.text.clone()))
        };
        match result {
            Ok(outcome) => {
                self.record(command);
                if let Some(output) = outcome.output {
                    Rc::make_mut(&mut self.console).push(ConsoleLine::Output(output));
                }
                let after = self.timeline.state.steps;
                let note = match command {
                    Command::Step { .. }
                    | Command::StepUntil { .. }
                    | Command::Run { .. }
                    | Command::Back { .. }
                    | Command::Seek { .. } => Some(format!(
                        "now at step {after} ({} ms)",
                        self.timeline.state.now_ms
                    )),
                    Command::Fork => Some(format!(
                        "branch {} starts at step {after}",
                        self.timeline.current_branch
                    )),
                    _ if last_event.is_none() && after == before => None,
                    _ => last_event,
                };
                if let Some(note) = note {
                    Rc::make_mut(&mut self.console).push(ConsoleLine::Note(note));
                }
            }
            Err(e) => Rc::make_mut(&mut self.console).push(ConsoleLine::Error {
                message: e.message,
                column: None,
                input: text.to_string(),
            }),
        }
        // Keep the console bounded; the run itself is in the timeline.
        if self.console.len() > 400 {
            let excess = self.console.len() - 400;
            Rc::make_mut(&mut self.console).drain(..excess);
            self.console_dropped += excess;
        }
    }
}

/// Everything the page renders from.
pub struct AppState {
    pub session: Rc<RefCell<Session>>,
    /// Bumped on every change so components re-render.
    pub version: u64,
    pub view: Rc<ClusterView>,
    /// The view without the clock, the step and the messages in flight, shared with the
    /// previous state's when nothing else changed: what the side panels draw.
    pub stable: Rc<ClusterView>,
    /// Every partition, each shared with the previous state's when it did not change: the
    /// diagram's rows.
    pub rows: Rc<Vec<Arc<PartitionView>>>,
    /// The narration's lines: the newest events up to the step being looked at (notable
    /// ones, or every one with "every message").
    pub log: Rc<Vec<Event>>,
    pub metrics: Rc<MetricsView>,
    /// The action being drawn, when the reducer started it and how long the reducer took
    /// (the engine and the views), for the page's timings.
    pub timing: Option<(&'static str, f64, f64)>,
    /// A message above everything, such as why the address's run was not replayed.
    pub notice: Option<Notice>,
    pub selected: Option<PartitionKey>,
    /// The node whose actions are open above the diagram.
    pub selected_node: Option<i32>,
    pub playing: bool,
    /// Simulated milliseconds per tick while playing.
    pub speed_ms: i64,
    pub presenter: bool,
    pub show_all_events: bool,
    pub theme: Theme,
    /// The lesson open beside the cluster.
    pub lesson: Option<Rc<LessonState>>,
    /// The welcome and lesson map shown over the page.
    pub lesson_map: bool,
    /// A lesson step the address asked for, opened once the lessons are fetched.
    pub pending_lesson: Option<(String, usize)>,
    /// Whether the lessons were fetched (or failed to be), so the map redraws.
    pub lessons_loaded: bool,
    /// The side panel shown beside the cluster.
    pub side_tab: SideTab,
    /// Why the last command from a click was refused, shown beside the panel it came from
    /// (the console keeps it too).
    pub refused: Option<String>,
    /// The page is one diagram embedded in another page, with these options.
    pub embed: Option<Rc<sandbox_core::link::Embed>>,
    /// The Share / Embed dialog is open.
    pub share: bool,
}

/// The side panels, one shown at a time beside the cluster so the workspace fits one screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideTab {
    Partition,
    Producers,
    Consumers,
    Faults,
    Metrics,
    Configs,
}

impl SideTab {
    pub const ALL: [SideTab; 6] = [
        SideTab::Partition,
        SideTab::Producers,
        SideTab::Consumers,
        SideTab::Faults,
        SideTab::Metrics,
        SideTab::Configs,
    ];
    /// The tab's text.
    pub fn label(self) -> &'static str {
        match self {
            SideTab::Partition => "Partition",
            SideTab::Producers => "Produce",
            SideTab::Consumers => "Consume",
            SideTab::Faults => "Faults",
            SideTab::Metrics => "Metrics",
            SideTab::Configs => "Configs",
        }
    }
    /// The word in the tab's and its panel's ids (`tab-partition`, `tabpanel-partition`).
    pub fn id(self) -> &'static str {
        match self {
            SideTab::Partition => "partition",
            SideTab::Producers => "producers",
            SideTab::Consumers => "consumers",
            SideTab::Faults => "faults",
            SideTab::Metrics => "metrics",
            SideTab::Configs => "configs",
        }
    }
}

/// A message shown above the page, with a link to retry what failed.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    /// An address (`#run=...`) to open again, replayed even though it failed before.
    pub retry: Option<String>,
}

/// The colour theme: the system's, or one the user chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

impl Theme {
    /// The class on the root element (`""` follows the system).
    pub fn class(self) -> &'static str {
        match self {
            Theme::Auto => "",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Theme::Auto => "Theme: system",
            Theme::Light => "Theme: light",
            Theme::Dark => "Theme: dark",
        }
    }
    fn next(self) -> Theme {
        match self {
            Theme::Auto => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Auto,
        }
    }
}

impl PartialEq for AppState {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
    }
}

impl AppState {
    pub fn new() -> AppState {
        AppState::with_session(Session::new(ClusterSpec::default(), WELCOME_SCRIPT))
    }

    /// The page's starting state: the run in the address if there is one, else the welcome;
    /// an embedded diagram when the address asks for one (see `sandbox_core::link`).
    ///
    /// A run that stopped the page while it was being opened is not replayed again (the
    /// address would otherwise crash the page at every reload): `boot.js` notices that the
    /// last opening of this very address never finished and sets `__sandbox.skipReplay`. The
    /// page then starts a fresh cluster and offers to try the link again.
    pub fn from_location() -> AppState {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        AppState::from_address(&hash)
    }

    /// The starting state for the address `hash`. Whatever in it cannot be read is said in a
    /// notice above the page, and a working sandbox opens all the same.
    pub fn from_address(hash: &str) -> AppState {
        use sandbox_core::link::{self, Source};
        let address = link::parse(hash);
        let mut problems = address.problems.clone();
        let script = match &address.source {
            Source::Script(script) => Some(script.clone()),
            // `boot.js` expanded it before the app started.
            Source::Compressed { .. } => match crate::perf::get_string("linkScript") {
                Some(script) => Some(script),
                None => {
                    problems.push(crate::perf::get_string("linkError").unwrap_or_else(|| {
                        "the link's compressed run could not be expanded in this browser".into()
                    }));
                    None
                }
            },
            _ => None,
        };
        let mut state = match (&address.source, script) {
            (Source::Lesson { id, step }, _) => {
                // Opened once the lessons are fetched.
                let mut state = AppState::new();
                state.pending_lesson = Some((id.clone(), *step));
                state
            }
            (_, Some(script)) if crate::perf::flag("skipReplay") => {
                let mut state = AppState::new();
                state.notice = Some(Notice {
                    text: format!(
                        "This link stopped the page the last time it was opened, so its run ({} \
                         lines) was not replayed. A fresh cluster was started instead.",
                        script.lines().count()
                    ),
                    retry: Some(hash.to_string()),
                });
                state
            }
            (_, Some(script)) => {
                let started = crate::perf::now();
                let (session, problem) = Session::restore(&script);
                problems.extend(problem);
                let state = AppState::with_session(session);
                crate::perf::set(
                    "restoreMs",
                    &wasm_bindgen::JsValue::from_f64(crate::perf::now() - started),
                );
                state
            }
            (_, None) => {
                let mut state = AppState::new();
                // A first visit opens on the welcome and the lesson map.
                state.lesson_map =
                    address.embed.is_none() && problems.is_empty() && !crate::lessons::welcomed();
                state
            }
        };
        if let Some(embed) = address.embed {
            state.theme = match embed.theme {
                Some("light") => Theme::Light,
                Some("dark") => Theme::Dark,
                _ => Theme::Auto,
            };
            match &embed.view {
                sandbox_core::link::EmbedView::Partition { topic, partition } => {
                    state.selected = Some((topic.clone(), *partition));
                }
                _ => state.selected = None,
            }
            state.embed = Some(Rc::new(embed));
            state = state.open_embed_range();
        }
        if !problems.is_empty() && state.notice.is_none() {
            state.notice = Some(Notice {
                text: problems
                    .iter()
                    .map(|p| upper_first(p))
                    .collect::<Vec<_>>()
                    .join(" "),
                retry: None,
            });
        }
        state
    }

    /// An embed opens at the first step of its range (`from`), and never past its end: the
    /// session is moved there and what the page draws of it built again.
    fn open_embed_range(mut self) -> AppState {
        let Some(embed) = self.embed.clone() else {
            return self;
        };
        let at = self.session.borrow().timeline.state.steps;
        let target = match (embed.from, embed.to) {
            (Some(from), _) if from != at => from,
            (None, Some(to)) if at > to => to,
            _ => return self,
        };
        let mut session = self.session.borrow_mut();
        session.execute(
            &Command::Seek {
                step: target as i64,
            },
            &format!("seek {target}"),
        );
        let Drawn {
            view,
            stable,
            rows,
            log,
            metrics,
        } = looked_at(&mut session, false, None);
        drop(session);
        (self.view, self.stable, self.rows, self.log, self.metrics) =
            (view, stable, rows, log, metrics);
        self
    }

    pub fn with_session(mut session: Session) -> AppState {
        let Drawn {
            view,
            stable,
            rows,
            log,
            metrics,
        } = looked_at(&mut session, false, None);
        let selected = still_there(Some(("orders".to_string(), 0)), &rows);
        AppState {
            session: Rc::new(RefCell::new(session)),
            version: 0,
            view,
            stable,
            rows,
            log,
            metrics,
            timing: None,
            notice: None,
            selected,
            selected_node: None,
            playing: false,
            speed_ms: 100,
            presenter: false,
            show_all_events: false,
            theme: Theme::Auto,
            lesson: None,
            lesson_map: false,
            pending_lesson: None,
            lessons_loaded: false,
            side_tab: SideTab::Partition,
            refused: None,
            embed: None,
            share: false,
        }
    }
}

/// `selected` while that partition exists, else the first partition of a topic that is not
/// internal (or none while there is none).
fn still_there(
    selected: Option<PartitionKey>,
    rows: &[Arc<PartitionView>],
) -> Option<PartitionKey> {
    match selected {
        Some((topic, partition))
            if rows
                .iter()
                .any(|p| p.topic == topic && p.partition == partition) =>
        {
            Some((topic, partition))
        }
        _ => rows
            .iter()
            .find(|p| !sandbox_core::view::is_internal_topic(&p.topic))
            .map(|p| (p.topic.to_string(), p.partition)),
    }
}

/// `s` with its first letter capitalised, for a sentence of its own.
fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => std::iter::once(c.to_ascii_uppercase())
            .chain(chars)
            .collect(),
        None => String::new(),
    }
}

/// How many lines the narration shows at most (the newest up to the current step).
pub const LOG_LINES: usize = 60;

/// What the page draws of the step being looked at, built once per change so rendering only
/// reads. A step changes little of it: the parts that did not change are the previous step's
/// own `Rc`s, so the panels and diagram rows that draw them are not drawn again (a component is
/// redrawn only when its props differ, and an unchanged `Rc` compares equal at once).
struct Drawn {
    view: Rc<ClusterView>,
    stable: Rc<ClusterView>,
    rows: Rc<Vec<Arc<PartitionView>>>,
    log: Rc<Vec<Event>>,
    metrics: Rc<MetricsView>,
}

/// `old` when it equals `new` (so equal parts stay one `Rc`), else `new` in a fresh `Rc`.
fn share<T: PartialEq>(old: Option<&Rc<T>>, new: T) -> Rc<T> {
    match old {
        Some(old) if **old == new => Rc::clone(old),
        _ => Rc::new(new),
    }
}

fn looked_at(session: &mut Session, show_all_events: bool, previous: Option<&AppState>) -> Drawn {
    let view = cluster_view_cached(&session.timeline.state, &mut session.views);
    let timeline = &mut session.timeline;
    let log = if show_all_events {
        timeline.recent_events(LOG_LINES)
    } else {
        timeline.notable_events(LOG_LINES)
    };
    let metrics = metrics(
        &view,
        timeline.branch().notable_until(timeline.state.steps),
        12,
    );
    // Every partition, shared one by one with the previous step's rows.
    let old_rows = previous.map(|p| &p.rows);
    let mut same_rows = old_rows.is_some();
    let rows: Vec<Arc<PartitionView>> = view
        .topics
        .iter()
        .flat_map(|t| &t.partitions)
        .enumerate()
        .map(|(i, p)| {
            // The view cache hands out the same `Arc` for a partition that did not change.
            same_rows &= old_rows
                .and_then(|r| r.get(i))
                .is_some_and(|o| Arc::ptr_eq(o, p));
            Arc::clone(p)
        })
        .collect();
    let rows = match old_rows {
        Some(old) if same_rows && old.len() == rows.len() => Rc::clone(old),
        _ => Rc::new(rows),
    };
    // The view without what moves at every step (the clock, the step, messages in flight):
    // what the side panels draw.
    let stable = ClusterView {
        time_ms: 0,
        step: 0,
        in_flight: Vec::new(),
        ..view.clone()
    };
    Drawn {
        stable: share(previous.map(|p| &p.stable), stable),
        view: Rc::new(view),
        rows,
        log: share(previous.map(|p| &p.log), log),
        metrics: share(previous.map(|p| &p.metrics), metrics),
    }
}

impl Default for AppState {
    fn default() -> Self {
        AppState::new()
    }
}

pub enum Action {
    /// A console line, parsed and run.
    Console(String),
    /// A command from a click, shown in the console as its text form.
    Command(Command),
    StepForward,
    StepBack,
    /// Go to a step of the current branch.
    Seek(u64),
    /// The scrubber was dragged to a step: go there, or to the nearest kept snapshot before it
    /// deep in a long run (see `Timeline::scrub_target`).
    Scrub(u64),
    /// Advance while playing: one tick.
    Tick,
    TogglePlay,
    SetSpeed(i64),
    JumpTo(EventFilter),
    Select(PartitionKey),
    /// A node clicked in the diagram (its actions open), or `None` to close them.
    SelectNode(Option<i32>),
    TogglePresenter,
    ToggleAllEvents,
    CycleTheme,
    /// Show or hide the welcome and lesson map.
    LessonMap(bool),
    /// Open a lesson (by id) at a step: a fresh cluster from its setup, the steps before
    /// played as written.
    OpenLesson(String, usize),
    CloseLesson,
    /// Go to a step of the open lesson.
    LessonGo(usize),
    /// Run a `do` (or `solution`) block of the current step.
    LessonDo(usize),
    /// Answer the question of a block with a choice: its commands are then played.
    LessonAnswer(usize, usize),
    LessonHint(usize),
    LessonSolution,
    /// Check a challenge's goal by playing on from here (on a copy).
    LessonCheckGoal(usize),
    /// The compiled lessons arrived (or could not be fetched).
    LessonsLoaded(Result<String, String>),
    /// Show one of the side panels.
    SideTab(SideTab),
    /// Put away the refusal shown beside the panels.
    DismissRefusal,
    /// Closes the message above the page.
    DismissNotice,
    /// Opens or closes the Share / Embed dialog.
    Share(bool),
}

impl Action {
    /// A short name for the page's own timings (see [`crate::perf`]).
    pub fn label(&self) -> &'static str {
        match self {
            Action::Console(_) => "console",
            Action::Command(_) => "command",
            Action::StepForward => "step",
            Action::StepBack => "back",
            Action::Seek(_) => "seek",
            Action::Scrub(_) => "scrub",
            Action::Tick => "tick",
            Action::TogglePlay => "play",
            Action::SetSpeed(_) => "speed",
            Action::JumpTo(_) => "jump",
            Action::Select(_) => "select",
            Action::SelectNode(_) => "node",
            Action::TogglePresenter => "presenter",
            Action::ToggleAllEvents => "all-events",
            Action::CycleTheme => "theme",
            Action::LessonMap(_) => "lesson-map",
            Action::OpenLesson(..) => "lesson-open",
            Action::CloseLesson => "lesson-close",
            Action::LessonGo(_) => "lesson-step",
            Action::LessonDo(_) => "lesson-do",
            Action::LessonAnswer(..) => "lesson-answer",
            Action::LessonHint(_) => "lesson-hint",
            Action::LessonSolution => "lesson-solution",
            Action::LessonCheckGoal(_) => "lesson-goal",
            Action::LessonsLoaded(_) => "lessons-loaded",
            Action::SideTab(_) => "tab",
            Action::DismissRefusal => "dismiss",
            Action::DismissNotice => "dismiss-notice",
            Action::Share(_) => "share",
        }
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let label = action.label();
        let started = crate::perf::now();
        let mut playing = self.playing;
        let mut selected = self.selected.clone();
        let mut selected_node = self.selected_node;
        let mut speed_ms = self.speed_ms;
        let mut presenter = self.presenter;
        let mut show_all_events = self.show_all_events;
        let mut theme = self.theme;
        let mut lesson = self.lesson.clone();
        let mut lesson_map = self.lesson_map;
        let mut pending_lesson = self.pending_lesson.clone();
        let mut lessons_loaded = self.lessons_loaded;
        let mut notice = self.notice.clone();
        let mut side_tab = self.side_tab;
        let mut refused = self.refused.clone();
        let mut share = self.share;
        {
            let mut session = self.session.borrow_mut();
            // An embed's reader moves only within its steps (`from` to `to`).
            let (low, high) = self.embed.as_ref().map_or((0, u64::MAX), |e| {
                (e.from.unwrap_or(0), e.to.unwrap_or(u64::MAX))
            });
            let at = session.timeline.state.steps;
            let action = match action {
                Action::StepForward | Action::Tick if at >= high => {
                    playing = false;
                    Action::Seek(high)
                }
                Action::StepBack if at <= low => Action::Seek(low),
                Action::Scrub(step) => Action::Scrub(step.clamp(low, high)),
                other => other,
            };
            match action {
                Action::Console(line) => {
                    refused = None;
                    session.run_line(&line);
                }
                Action::Command(command) => {
                    let text = format_command(&command);
                    session.execute(&command, &text);
                    // A refused command's error is the last line it wrote.
                    refused = match session.console.last() {
                        Some(ConsoleLine::Error { message, .. }) => {
                            Some(format!("{text}: {message}"))
                        }
                        _ => None,
                    };
                }
                Action::StepForward => {
                    session.execute(&Command::Step { count: 1 }, "step");
                }
                Action::StepBack => session.execute(&Command::Back { steps: 1 }, "back"),
                Action::Scrub(step) => {
                    let step = session.timeline.scrub_target(step);
                    let text = format!("seek {step}");
                    session.execute(&Command::Seek { step: step as i64 }, &text);
                }
                Action::Seek(step) => {
                    let text = format!("seek {step}");
                    session.execute(&Command::Seek { step: step as i64 }, &text);
                }
                Action::Tick => session.tick(speed_ms),
                Action::TogglePlay => playing = !playing,
                Action::SetSpeed(ms) => speed_ms = ms.clamp(1, 60_000),
                Action::JumpTo(filter) => {
                    let text = format!("step --until {}", filter.word());
                    session.execute(
                        &Command::StepUntil {
                            filter,
                            max_steps: 20_000,
                        },
                        &text,
                    );
                }
                Action::Select(key) => {
                    selected = Some(key);
                    side_tab = SideTab::Partition;
                }
                Action::SideTab(tab) => side_tab = tab,
                Action::DismissRefusal => refused = None,
                Action::DismissNotice => notice = None,
                Action::Share(open) => share = open,
                Action::SelectNode(node) => {
                    selected_node = if node == self.selected_node {
                        None
                    } else {
                        node
                    }
                }
                Action::TogglePresenter => presenter = !presenter,
                Action::ToggleAllEvents => show_all_events = !show_all_events,
                Action::CycleTheme => theme = theme.next(),
                Action::LessonMap(open) => {
                    lesson_map = open;
                    crate::lessons::set_welcomed();
                }
                Action::LessonsLoaded(fetched) => {
                    crate::lessons::set_catalog(fetched);
                    lessons_loaded = true;
                    if let Some((id, step)) = pending_lesson.take() {
                        match crate::lessons::find(&id) {
                            Some(found) => {
                                let (fresh, state) = open_lesson(found, step);
                                *session = fresh;
                                lesson = Some(Rc::new(state));
                            }
                            None => {
                                notice = Some(Notice {
                                    text: format!("This link names a lesson that is not here (`{id}`): the lesson map lists the ones there are."),
                                    retry: None,
                                });
                                lesson_map = true;
                            }
                        }
                    }
                }
                Action::OpenLesson(id, step) => {
                    if let Some(found) = crate::lessons::find(&id) {
                        let (fresh, state) = open_lesson(found, step);
                        *session = fresh;
                        lesson = Some(Rc::new(state));
                        lesson_map = false;
                        crate::lessons::set_welcomed();
                    }
                }
                Action::CloseLesson => lesson = None,
                Action::LessonGo(step) => {
                    if let Some(l) = lesson.as_mut() {
                        let l = Rc::make_mut(l);
                        if step < l.lesson.steps.len() {
                            l.step = step;
                            l.goal = None;
                            l.ask_reached(&session.timeline.state);
                            crate::lessons::save_progress(&l.lesson.id, step, false);
                        } else {
                            crate::lessons::save_progress(&l.lesson.id, step, true);
                            lesson_map = true;
                        }
                    }
                }
                Action::LessonDo(index) => {
                    if let Some(l) = lesson.as_mut() {
                        let l = Rc::make_mut(l);
                        let commands = match l.blocks().get(index) {
                            Some(sandbox_core::lesson::Block::Do(c))
                            | Some(sandbox_core::lesson::Block::Solution(c)) => c.commands.clone(),
                            _ => Vec::new(),
                        };
                        l.pass_checks_before(index, &self.view);
                        let lines = session.run_commands(&commands);
                        l.outputs.insert((l.step, index), lines);
                        l.done.insert((l.step, index));
                        l.ask_reached(&session.timeline.state);
                    }
                }
                Action::LessonAnswer(index, choice) => {
                    if let Some(l) = lesson.as_mut() {
                        let l = Rc::make_mut(l);
                        let key = (l.step, index);
                        let unanswered = l.questions.get(&key).is_some_and(|(_, c)| c.is_none());
                        if let (true, Some(sandbox_core::lesson::Block::Predict(p))) =
                            (unanswered, l.blocks().get(index))
                        {
                            let play = p.play.commands.clone();
                            l.pass_checks_before(index, &self.view);
                            let lines = session.run_commands(&play);
                            l.outputs.insert(key, lines);
                            if let Some((_, chosen)) = l.questions.get_mut(&key) {
                                *chosen = Some(choice);
                            }
                            l.ask_reached(&session.timeline.state);
                        }
                    }
                }
                Action::LessonHint(index) => {
                    if let Some(l) = lesson.as_mut() {
                        let l = Rc::make_mut(l);
                        l.hints_shown.insert((l.step, index));
                    }
                }
                Action::LessonSolution => {
                    if let Some(l) = lesson.as_mut() {
                        Rc::make_mut(l).solution_shown = true;
                    }
                }
                Action::LessonCheckGoal(index) => {
                    if let Some(l) = lesson.as_mut() {
                        let l = Rc::make_mut(l);
                        if let Some(sandbox_core::lesson::Block::Goal(goal)) = l.blocks().get(index)
                        {
                            let result =
                                sandbox_core::lesson::run::goal_holds(&session.timeline, goal)
                                    .map_err(|(_, why)| why);
                            if result.is_ok() {
                                crate::lessons::save_progress(&l.lesson.id, l.step, true);
                            }
                            l.goal = Some(result);
                        }
                    }
                }
            }
        }
        let Drawn {
            view,
            stable,
            rows,
            log,
            metrics,
        } = looked_at(&mut self.session.borrow_mut(), show_all_events, Some(&self));
        // The partition detail always shows one partition: the one picked while it exists
        // (a lesson's or link's cluster may have no `orders-0`). An embed keeps the partition
        // its author named, even before it exists.
        if self.embed.is_none() {
            selected = still_there(selected, &rows);
        }
        Rc::new(AppState {
            session: Rc::clone(&self.session),
            version: self.version + 1,
            view,
            stable,
            rows,
            log,
            metrics,
            timing: Some((label, started, crate::perf::now() - started)),
            notice,
            selected,
            selected_node,
            playing,
            speed_ms,
            presenter,
            show_all_events,
            theme,
            lesson,
            lesson_map,
            pending_lesson,
            lessons_loaded,
            side_tab,
            refused,
            embed: self.embed.clone(),
            share,
        })
    }
}

/// A fresh session for `lesson` at `step`: its setup played, then every step before `step` as
/// written (commands run, questions answered with their computed answer), so a link to a
/// lesson step shows the cluster that step expects.
pub fn open_lesson(
    lesson: Rc<sandbox_core::lesson::Lesson>,
    step: usize,
) -> (Session, LessonState) {
    use sandbox_core::lesson::Block;
    let mut session = Session::new(lesson.cluster.clone(), "");
    for command in &lesson.setup.commands {
        if session.timeline.apply_unobserved(command).is_ok() {
            session.record(command);
        }
    }
    Rc::make_mut(&mut session.console).push(ConsoleLine::Note(format!(
        "Lesson: {}. The cluster is set up for it.",
        lesson.meta.title
    )));
    let mut state = LessonState::new(Rc::clone(&lesson));
    let step = step.min(lesson.steps.len().saturating_sub(1));
    for s in 0..step {
        state.step = s;
        for (i, block) in lesson.steps[s].blocks.iter().enumerate() {
            match block {
                Block::Do(c) => {
                    session.run_commands(&c.commands);
                    state.done.insert((s, i));
                }
                Block::Predict(p) => {
                    if let Ok(q) =
                        sandbox_core::lesson::predict::prepare(p, &session.timeline.state)
                    {
                        let right = q.answer;
                        state.questions.insert((s, i), (q, Some(right)));
                    }
                    session.run_commands(&p.play.commands);
                }
                _ => {}
            }
        }
    }
    state.step = step;
    state.ask_reached(&session.timeline.state);
    (session, state)
}
