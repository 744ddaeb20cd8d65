//! Running a whole script: the one entry point shared by the CLI, the scenario tests, the
//! wasm determinism test and (later) lessons.

use crate::command::Script;
use crate::event::Event;
use crate::sim::CommandError;
use crate::timeline::Timeline;

/// The result of running a script to its end.
#[derive(Debug)]
pub struct Run {
    pub timeline: Timeline,
    /// Every event, boot included, in order.
    pub trace: Vec<Event>,
    /// Text printed by query commands, with the script line that asked.
    pub outputs: Vec<(usize, String)>,
    /// For each command run: its script line and the index in `trace` where its events start.
    pub marks: Vec<(usize, usize)>,
}

impl Run {
    /// The trace as text: one line per event, each command's script line (`> ...`) before its
    /// events and its output after them. `source` is the script text.
    pub fn render(&self, source: &str) -> String {
        self.render_filtered(source, |_| true)
    }

    /// Like [`Run::render`], keeping only the events `keep` accepts.
    pub fn render_filtered(&self, source: &str, keep: impl Fn(&Event) -> bool) -> String {
        let mut out = String::new();
        let mut marks = self.marks.iter().peekable();
        let mut outputs = self.outputs.iter().peekable();
        let mut pending_output: Option<usize> = None;
        for (i, event) in self.trace.iter().enumerate() {
            while let Some(&&(line, start)) = marks.peek() {
                if start > i {
                    break;
                }
                if let Some(l) = pending_output.take() {
                    push_output(&mut out, &mut outputs, l);
                }
                out.push_str(&format!(
                    "> {}\n",
                    source.lines().nth(line - 1).unwrap_or("").trim()
                ));
                pending_output = Some(line);
                marks.next();
            }
            if keep(event) {
                out.push_str(&event.trace_line());
                out.push('\n');
            }
        }
        for &(line, _) in marks {
            if let Some(l) = pending_output.take() {
                push_output(&mut out, &mut outputs, l);
            }
            out.push_str(&format!(
                "> {}\n",
                source.lines().nth(line - 1).unwrap_or("").trim()
            ));
            pending_output = Some(line);
        }
        if let Some(l) = pending_output {
            push_output(&mut out, &mut outputs, l);
        }
        out
    }
}

fn push_output<'a>(
    out: &mut String,
    outputs: &mut std::iter::Peekable<impl Iterator<Item = &'a (usize, String)>>,
    line: usize,
) {
    while let Some((l, text)) = outputs.peek() {
        if *l != line {
            break;
        }
        out.push_str(text);
        outputs.next();
    }
}

/// A command that failed while running a script, with its line.
#[derive(Debug)]
pub struct ScriptFailure {
    pub line: usize,
    pub error: CommandError,
    /// Everything up to the failure, so the caller can still show it.
    pub run: Box<Run>,
}

/// Runs every command of `script` on a fresh cluster.
pub fn run(script: &Script) -> Result<Run, ScriptFailure> {
    let mut trace = Vec::new();
    let mut outputs = Vec::new();
    let mut marks = Vec::new();
    let streamed = run_streaming(script, |piece| match piece {
        Piece::Command { line } => marks.push((line, trace.len())),
        Piece::Event(event) => trace.push(event.clone()),
        Piece::Output { line, text } => outputs.push((line, text.to_string())),
    });
    let run = Run {
        timeline: streamed.timeline,
        trace,
        outputs,
        marks,
    };
    match streamed.failure {
        None => Ok(run),
        Some((line, error)) => Err(ScriptFailure {
            line,
            error,
            run: Box::new(run),
        }),
    }
}

/// What running a script hands out, in order: the boot's events, then for each command its
/// line, its events and its output.
pub enum Piece<'a> {
    Command { line: usize },
    Event(&'a Event),
    Output { line: usize, text: &'a str },
}

/// The end of a streamed run: the timeline, and the command that failed, if one did (the run
/// stops there).
pub struct Streamed {
    pub timeline: Timeline,
    pub failure: Option<(usize, CommandError)>,
}

/// Runs every command of `script` on a fresh cluster, handing each [`Piece`] to `on` as it
/// happens, so a long run is printed without being held (a simulated hour of a workshop
/// cluster is over a million events).
pub fn run_streaming(script: &Script, mut on: impl FnMut(Piece<'_>)) -> Streamed {
    let mut timeline =
        Timeline::new_streaming(script.cluster.clone(), |event| on(Piece::Event(event)));
    for command in &script.commands {
        on(Piece::Command { line: command.line });
        match timeline.apply_streaming(&command.value, |event| on(Piece::Event(event))) {
            Ok(outcome) => {
                if let Some(text) = outcome.output {
                    on(Piece::Output {
                        line: command.line,
                        text: &text,
                    });
                }
            }
            Err(error) => {
                return Streamed {
                    timeline,
                    failure: Some((command.line, error)),
                }
            }
        }
    }
    Streamed {
        timeline,
        failure: None,
    }
}

/// FNV-1a over the trace lines: a short fingerprint to compare runs across platforms.
pub fn trace_hash(trace: &[Event]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for event in trace {
        for byte in event.trace_line().bytes().chain(std::iter::once(b'\n')) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
