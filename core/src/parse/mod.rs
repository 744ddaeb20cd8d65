//! The command language: text to [`Command`]s, and the reference that documents it.
//!
//! One language drives the console, lessons, shared links and the CLI (`docs/commands.md`).
//! A script has one command per line; blank lines and `#` comments are ignored, a backslash at
//! the end of a line continues the command on the next line, and values may be quoted. A script
//! may start with a `cluster ...` header.
//!
//! Everything comes from one table, [`command_specs`]: the parser reads its flags and value
//! kinds, [`completions`] and [`command_names`] list from it, and [`help_markdown`] renders it
//! as the reference in `docs/commands.md`.
//!
//! Nothing here panics, whatever the input: every bad input is a [`ParseError`] that says what
//! was wrong, where (line and column, in characters), and, when a known word is close, what
//! was probably meant.

mod args;
mod build;
mod complete;
mod format;
mod help;
mod json;
pub use json::offsets_json;
mod lexer;
mod spec;
mod suggest;
mod table;
mod values;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::{Command, Located, Script};

pub use complete::completions;
pub use format::{format_command, format_script};
pub use help::help_markdown;
pub use spec::{ArgSpec, CommandSpec, FlagSpec, ValueKind};
pub use table::{command_names, command_specs};

use args::parse_tokens;
use lexer::{for_each_command, Token};
use spec::Parsed;
use table::COMMANDS;

// ---------------------------------------------------------------------------------------------
// Limits

/// Most partitions `kafka-topics.sh --create` accepts here.
pub const MAX_PARTITIONS: i64 = 1000;
/// Largest replication factor `kafka-topics.sh --create` accepts here.
pub const MAX_REPLICATION_FACTOR: i64 = 64;
/// Kafka's limit on the length of a topic name (`Topic.MAX_NAME_LENGTH`).
pub const MAX_TOPIC_NAME_LEN: usize = 249;
/// Most records one `produce` sends.
pub const MAX_PRODUCE_COUNT: i64 = 100_000;
/// Most steps one `step`, `step --until` or `back` takes.
pub const MAX_STEPS: i64 = 1_000_000;
/// Longest `run` (one hour of simulated time), in milliseconds.
pub const MAX_RUN_MS: i64 = 3_600_000;
/// Largest `slow --latency-ms` (ten minutes).
pub const MAX_LATENCY_MS: i64 = 600_000;

const MAX_PARTITION_INDEX: i64 = MAX_PARTITIONS - 1;
const MAX_NODE_ID: i64 = i32::MAX as i64;

// ---------------------------------------------------------------------------------------------
// Errors

/// Why some text is not a command, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// 1-based line in the script (1 for a console line).
    pub line: usize,
    /// 1-based column, counted in characters, of the token at fault.
    pub column: usize,
    /// What is wrong, in a sentence without the position.
    pub message: String,
    /// A likely replacement for the token at fault, when a known word is close to it.
    pub suggestion: Option<String>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )?;
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// A position in the input: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: usize,
    col: usize,
}

impl Pos {
    fn next(self) -> Pos {
        Pos {
            line: self.line,
            col: self.col.saturating_add(1),
        }
    }
}

fn error(at: Pos, message: impl Into<String>) -> ParseError {
    error_with(at, message, None)
}

fn error_with(at: Pos, message: impl Into<String>, suggestion: Option<String>) -> ParseError {
    ParseError {
        line: at.line,
        column: at.col,
        message: message.into(),
        suggestion,
    }
}

/// User text as it appears in a message: in full unless it is very long.
fn show(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points

/// Parse a whole script: an optional `cluster ...` header, then one command per line.
pub fn parse_script(text: &str) -> Result<Script, ParseError> {
    let mut cluster = None;
    let mut commands: Vec<Located<Command>> = Vec::new();
    for_each_command(text, |line, tokens| {
        if let Some(head) = cluster_header(tokens) {
            if cluster.is_some() || !commands.is_empty() {
                return Err(error(
                    head,
                    "`cluster` must be the first command of a script, and there is only one",
                ));
            }
        }
        match parse_tokens(tokens)? {
            Parsed::Cluster(spec) => cluster = Some(spec),
            Parsed::Command(command) => commands.push(Located {
                line,
                value: command,
            }),
        }
        Ok(())
    })?;
    Ok(Script {
        cluster: cluster.unwrap_or_default(),
        commands,
    })
}

/// Parse one console line (errors say line 1, or the line of a continuation).
pub fn parse_command(line: &str) -> Result<Command, ParseError> {
    let mut found = None;
    for_each_command(line, |_, tokens| {
        let head = tokens.first().map_or(Pos { line: 1, col: 1 }, Token::start);
        if found.is_some() {
            return Err(error(
                head,
                "one command at a time: this starts a second command",
            ));
        }
        if let Some(head) = cluster_header(tokens) {
            return Err(cluster_in_console(head));
        }
        match parse_tokens(tokens)? {
            Parsed::Command(command) => found = Some(command),
            Parsed::Cluster(_) => return Err(cluster_in_console(head)),
        }
        Ok(())
    })?;
    found.ok_or_else(|| {
        error(
            Pos { line: 1, col: 1 },
            "no command: type one such as `kafka-topics.sh --list` or `step`",
        )
    })
}

fn cluster_in_console(head: Pos) -> ParseError {
    error(
        head,
        "`cluster` sets up the cluster a script starts from: it only works as the first line \
         of a script, not as a console command",
    )
}

/// The position of a `cluster` header's first token, if these tokens are one.
fn cluster_header(tokens: &[Token]) -> Option<Pos> {
    let first = tokens.first()?;
    (!first.flag && tool_name(first.text()) == "cluster").then(|| first.start())
}

/// The command word, without a path such as `bin/` in front of a Kafka tool.
fn tool_name(word: &str) -> &str {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    if base.ends_with(".sh") {
        base
    } else {
        word
    }
}

fn specs_named(name: &str) -> Vec<&'static CommandSpec> {
    COMMANDS
        .iter()
        .filter(|s| s.name == name || s.aliases.contains(&name))
        .collect()
}
