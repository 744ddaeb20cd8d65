//! What a command looks like (its spec: flags, arguments, value kinds, help) and what reading
//! one gives (its arguments, ready for a builder).

use crate::command::{ClusterSpec, Command, NodeId, TopicPartition};

use super::format::format_duration;
use super::lexer::Piece;
use super::{error, ParseError, Pos};

/// What a flag or argument takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueKind {
    /// A flag without a value.
    Switch,
    /// A whole number in `min..=max`.
    Int { min: i64, max: i64 },
    /// A whole number in `0..=u64::MAX`.
    Seed,
    /// A node id: a whole number, brokers from 0, controllers from 100.
    Node,
    /// A topic name, checked with Kafka's rules.
    Topic,
    /// A partition written `TOPIC-N`, such as `orders-0`.
    Partition,
    /// Any text.
    Text,
    /// A name such as a consumer's or a group id: any text but the empty string.
    Name,
    /// `orders,payments`: topic names, each checked with Kafka's rules.
    Topics,
    /// `orders-0,orders-1`: partitions written `TOPIC-N`.
    Partitions,
    /// `orders` or `orders:0,1`: a topic, or some of its partitions (`kafka-consumer-groups.sh
    /// --reset-offsets --topic`).
    TopicScope,
    /// One of these words, in any case.
    Choice(&'static [&'static str]),
    /// `250ms`, `5s`, `2m`, `1h` or a bare number of milliseconds, at most `max_ms`.
    Duration { max_ms: i64 },
    /// One `key=value`.
    Config,
    /// `key=value,key=value`; a value with commas goes in brackets: `k=[a,b]`.
    ConfigList,
    /// `name,name`.
    NameList,
    /// `a,b,c`: one non-empty word per item.
    Words,
    /// `0:1:2,1:2:0`: partitions separated by `,`, broker ids by `:`.
    Assignment,
    /// `0,1 | 2,100`: two sets of node ids. Takes every remaining argument.
    Sides,
    /// Any value, accepted and ignored.
    Ignored,
}

impl ValueKind {
    /// What a value of this kind looks like, for "wants ..." messages.
    pub(super) fn wants(self) -> String {
        match self {
            ValueKind::Switch | ValueKind::Ignored | ValueKind::Text => "a value".to_string(),
            ValueKind::Name => "a name".to_string(),
            ValueKind::Topics => "topics such as orders,payments".to_string(),
            ValueKind::Partitions => "partitions such as orders-0,orders-1".to_string(),
            ValueKind::TopicScope => "a topic, or TOPIC:P,P such as orders:0,1".to_string(),
            ValueKind::Int { .. } | ValueKind::Seed => "a whole number".to_string(),
            ValueKind::Node => "a node id such as 1 or 100".to_string(),
            ValueKind::Topic => "a topic name".to_string(),
            ValueKind::Partition => "a partition such as orders-0".to_string(),
            ValueKind::Choice(values) => format!("one of {}", values.join(", ")),
            ValueKind::Duration { .. } => "a duration such as 250ms, 5s or 2m".to_string(),
            ValueKind::Config => "a config as KEY=VALUE".to_string(),
            ValueKind::ConfigList => "configs as KEY=VALUE,KEY=VALUE".to_string(),
            ValueKind::NameList => "config names as NAME,NAME".to_string(),
            ValueKind::Words => "a comma-separated list".to_string(),
            ValueKind::Assignment => "replicas such as 0:1:2,1:2:0".to_string(),
            ValueKind::Sides => "two sets of node ids such as 0,1 | 2".to_string(),
        }
    }

    /// The constraint shown in the reference, as a sentence, if there is more to say than the
    /// help text.
    pub(super) fn constraint(self) -> Option<String> {
        match self {
            ValueKind::Int {
                min: i64::MIN,
                max: i64::MAX,
            } => None,
            ValueKind::Int { min, max } if max == i64::MAX => Some(format!("{min} or more.")),
            ValueKind::Int { min, max } => Some(format!("From {min} to {max}.")),
            ValueKind::Seed => Some(format!("From 0 to {}.", u64::MAX)),
            ValueKind::Choice(values) => Some(format!(
                "One of {}.",
                values
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            ValueKind::Duration { max_ms } => Some(format!("At most {}.", format_duration(max_ms))),
            _ => None,
        }
    }
}

/// One flag of a command.
#[derive(Clone, Copy, Debug)]
pub struct FlagSpec {
    /// `--topic`.
    pub name: &'static str,
    /// The placeholder for its value in usage lines (`TOPIC`); empty for a switch.
    pub metavar: &'static str,
    pub kind: ValueKind,
    pub help: &'static str,
    /// The command fails without it.
    pub required: bool,
    /// May be given more than once (`--config`).
    pub repeatable: bool,
    /// The value used when the flag is absent, as it would be typed.
    pub default: Option<&'static str>,
    /// Accepted for copy-paste from Kafka's docs but left out of the reference and completions.
    pub hidden: bool,
}

/// One positional argument of a command.
#[derive(Clone, Copy, Debug)]
pub struct ArgSpec {
    /// The placeholder in usage lines (`NODE`).
    pub metavar: &'static str,
    pub kind: ValueKind,
    pub help: &'static str,
    pub required: bool,
    /// The value used when the argument is absent, as it would be typed.
    pub default: Option<&'static str>,
}

/// One command of the language (for Kafka tools with modes, one mode: `kafka-topics.sh
/// --create`).
#[derive(Clone, Copy, Debug)]
pub struct CommandSpec {
    /// The word that starts the command: `kafka-topics.sh`, `crash`.
    pub name: &'static str,
    /// Other spellings of `name` (`kafka-topics`).
    pub aliases: &'static [&'static str],
    /// The mode: a flag (`--create`, anywhere among the flags) or a word that must be the first
    /// argument (`describe`).
    pub mode: Option<&'static str>,
    /// The section of the reference it appears in.
    pub group: &'static str,
    pub summary: &'static str,
    pub usage: &'static str,
    pub args: &'static [ArgSpec],
    pub flags: &'static [FlagSpec],
    pub example: &'static str,
    pub(super) build: fn(&Args) -> Result<Parsed, ParseError>,
}

impl CommandSpec {
    /// The name with its mode, as errors and the reference write it: `kafka-topics.sh --create`.
    pub fn title(&self) -> String {
        match self.mode {
            Some(mode) => format!("{} {mode}", self.name),
            None => self.name.to_string(),
        }
    }

    pub(super) fn flag(&self, name: &str) -> Option<&'static FlagSpec> {
        self.flags.iter().find(|f| f.name == name)
    }

    pub(super) fn is_header(&self) -> bool {
        self.name == "cluster"
    }

    pub(super) fn has_flag_mode(&self) -> bool {
        self.mode.is_some_and(|m| m.starts_with("--"))
    }
}

impl FlagSpec {
    pub(super) const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub(super) const fn repeatable(mut self) -> Self {
        self.repeatable = true;
        self
    }
    pub(super) const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }
    pub(super) const fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
}

impl ArgSpec {
    pub(super) const fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    pub(super) const fn default(mut self, value: &'static str) -> Self {
        self.required = false;
        self.default = Some(value);
        self
    }
}

pub(super) const fn flag(
    name: &'static str,
    metavar: &'static str,
    kind: ValueKind,
    help: &'static str,
) -> FlagSpec {
    FlagSpec {
        name,
        metavar,
        kind,
        help,
        required: false,
        repeatable: false,
        default: None,
        hidden: false,
    }
}

pub(super) const fn switch(name: &'static str, help: &'static str) -> FlagSpec {
    flag(name, "", ValueKind::Switch, help)
}

pub(super) const fn arg(metavar: &'static str, kind: ValueKind, help: &'static str) -> ArgSpec {
    ArgSpec {
        metavar,
        kind,
        help,
        required: true,
        default: None,
    }
}

pub(super) enum Parsed {
    Cluster(ClusterSpec),
    Command(Command),
}

/// A value as the table's kind made it.
#[derive(Clone, Debug)]
pub(super) enum Val {
    Switch,
    Int(i64),
    U64(u64),
    Str(String),
    Partition(TopicPartition),
    Choice(&'static str),
    Pairs(Vec<(String, String)>),
    Names(Vec<String>),
    Partitions(Vec<TopicPartition>),
    /// A topic and, if given, some of its partitions.
    TopicScope(String, Option<Vec<i32>>),
    Assignment(Vec<Vec<NodeId>>),
    Sides(Vec<NodeId>, Vec<NodeId>),
}

/// One flag or argument as given.
#[derive(Clone, Debug)]
pub(super) struct Got {
    /// The flag's name, or the argument's metavar.
    pub(super) name: &'static str,
    /// Where the flag or argument starts.
    pub(super) at: Pos,
    /// The value as typed (the flag itself for a switch).
    pub(super) piece: Piece,
    pub(super) val: Val,
}

/// The flags and arguments of one command, checked against its spec.
pub(super) struct Args {
    pub(super) spec: &'static CommandSpec,
    pub(super) head: Pos,
    pub(super) flags: Vec<Got>,
    pub(super) args: Vec<Got>,
}

impl Args {
    pub(super) fn flag(&self, name: &str) -> Option<&Got> {
        self.flags.iter().find(|g| g.name == name)
    }

    pub(super) fn arg(&self, name: &str) -> Option<&Got> {
        self.args.iter().find(|g| g.name == name)
    }

    pub(super) fn get(&self, name: &str) -> Option<&Got> {
        self.flag(name).or_else(|| self.arg(name))
    }

    pub(super) fn default_of(&self, name: &str) -> Option<&'static str> {
        match self.spec.flag(name) {
            Some(f) => f.default,
            None => self
                .spec
                .args
                .iter()
                .find(|a| a.metavar == name)
                .and_then(|a| a.default),
        }
    }

    /// The flag or argument with its placeholder, as usage lines write it.
    pub(super) fn usage_of(&self, name: &str) -> String {
        match self.spec.flag(name) {
            Some(f) if !f.metavar.is_empty() => format!("{name} {}", f.metavar),
            _ => name.to_string(),
        }
    }

    /// "kafka-topics.sh --create needs --topic TOPIC", pointing at the command.
    pub(super) fn missing(&self, name: &str) -> ParseError {
        let what = match self.spec.args.iter().find(|a| a.metavar == name) {
            Some(a) if a.kind == ValueKind::Sides => a.kind.wants(),
            Some(a) if a.kind == ValueKind::Config => name.to_string(),
            Some(a) => format!("{name} ({})", a.kind.wants()),
            None => self.usage_of(name),
        };
        error(self.head, format!("{} needs {what}", self.spec.title()))
    }

    pub(super) fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(g) => match g.val {
                Val::Int(n) => Some(n),
                _ => None,
            },
            None => self.default_of(name)?.parse().ok(),
        }
    }

    pub(super) fn need_int(&self, name: &str) -> Result<i64, ParseError> {
        self.int(name).ok_or_else(|| self.missing(name))
    }

    pub(super) fn need_node(&self, name: &str) -> Result<NodeId, ParseError> {
        let n = self.need_int(name)?;
        NodeId::try_from(n).map_err(|_| self.missing(name))
    }

    pub(super) fn text(&self, name: &str) -> Option<String> {
        match &self.get(name)?.val {
            Val::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub(super) fn choice(&self, name: &str) -> Option<&'static str> {
        match self.get(name) {
            Some(g) => match g.val {
                Val::Choice(c) => Some(c),
                _ => None,
            },
            None => self.default_of(name),
        }
    }

    pub(super) fn partition(&self, name: &str) -> Option<TopicPartition> {
        match &self.get(name)?.val {
            Val::Partition(tp) => Some(tp.clone()),
            _ => None,
        }
    }

    pub(super) fn sides(&self, name: &str) -> Option<(Vec<NodeId>, Vec<NodeId>)> {
        match &self.get(name)?.val {
            Val::Sides(a, b) => Some((a.clone(), b.clone())),
            _ => None,
        }
    }
}

pub(super) fn describe(help: &str, kind: ValueKind, default: Option<&str>) -> String {
    let mut text = help.to_string();
    if let Some(c) = kind.constraint() {
        text.push(' ');
        text.push_str(&c);
    }
    if let Some(d) = default {
        text.push_str(&format!(" Default: `{d}`."));
    }
    text
}
