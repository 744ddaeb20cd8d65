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

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::{
    Acks, ClusterSpec, Command, ConfigEntity, DescribeGroup, ElectionType, EventFilter,
    GroupsCommand, Located, NodeId, ProducerAction, ResetTo, Script, TopicPartition,
};
use crate::config::{
    consumer_config, producer_config, ConfigDef, CONSUMER_CONFIGS, PRODUCER_CONFIGS,
};

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
// The table

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
    fn wants(self) -> String {
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
    fn constraint(self) -> Option<String> {
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
    build: fn(&Args) -> Result<Parsed, ParseError>,
}

impl CommandSpec {
    /// The name with its mode, as errors and the reference write it: `kafka-topics.sh --create`.
    pub fn title(&self) -> String {
        match self.mode {
            Some(mode) => format!("{} {mode}", self.name),
            None => self.name.to_string(),
        }
    }

    fn flag(&self, name: &str) -> Option<&'static FlagSpec> {
        self.flags.iter().find(|f| f.name == name)
    }

    fn is_header(&self) -> bool {
        self.name == "cluster"
    }

    fn has_flag_mode(&self) -> bool {
        self.mode.is_some_and(|m| m.starts_with("--"))
    }
}

const fn flag(
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

const fn switch(name: &'static str, help: &'static str) -> FlagSpec {
    flag(name, "", ValueKind::Switch, help)
}

impl FlagSpec {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn repeatable(mut self) -> Self {
        self.repeatable = true;
        self
    }
    const fn default(mut self, value: &'static str) -> Self {
        self.default = Some(value);
        self
    }
    const fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
}

const fn arg(metavar: &'static str, kind: ValueKind, help: &'static str) -> ArgSpec {
    ArgSpec {
        metavar,
        kind,
        help,
        required: true,
        default: None,
    }
}

impl ArgSpec {
    const fn optional(mut self) -> Self {
        self.required = false;
        self
    }
    const fn default(mut self, value: &'static str) -> Self {
        self.required = false;
        self.default = Some(value);
        self
    }
}

const HEADER: &str = "Script header";
const TOOLS: &str = "Kafka tools";
const CLIENTS: &str = "Clients";
const FAULTS: &str = "Faults";
const TIME: &str = "Time";
const TRAVEL: &str = "Time travel";

const BOOTSTRAP_SERVER: FlagSpec = flag(
    "--bootstrap-server",
    "HOST:PORT",
    ValueKind::Ignored,
    "Accepted and ignored: there is one simulated cluster.",
)
.hidden();
const BOOTSTRAP_CONTROLLER: FlagSpec = flag(
    "--bootstrap-controller",
    "HOST:PORT",
    ValueKind::Ignored,
    "Accepted and ignored: there is one simulated cluster.",
)
.hidden();

const TOPICS_ALIASES: &[&str] = &["kafka-topics"];
const GROUPS_ALIASES: &[&str] = &["kafka-consumer-groups"];

const GROUP_FLAG: FlagSpec = flag(
    "--group",
    "GROUP",
    ValueKind::Name,
    "The consumer group id.",
)
.required();

const CONSUMER_NAME: ArgSpec = arg(
    "NAME",
    ValueKind::Name,
    "The consumer's name, which is also its `client.id`.",
);
const PRODUCER_NAME: ArgSpec = arg(
    "NAME",
    ValueKind::Name,
    "The producer's name, which is also its `client.id`.",
);

/// `producer flush|begin|commit|abort|stop|crash|restart NAME`: one spec each.
const fn producer_action(
    mode: &'static str,
    summary: &'static str,
    usage: &'static str,
    example: &'static str,
    build: fn(&Args) -> Result<Parsed, ParseError>,
) -> CommandSpec {
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some(mode),
        group: CLIENTS,
        summary,
        usage,
        args: &[PRODUCER_NAME],
        flags: &[],
        example,
        build,
    }
}

const CONFIGS_ALIASES: &[&str] = &["kafka-configs"];

const ACKS: &[&str] = &["all", "-1", "1", "0"];
const ELECTION_TYPES: &[&str] = &["PREFERRED", "UNCLEAN"];
const ENTITY_TYPES: &[&str] = &["topics", "brokers"];
const EVENTS: &[&str] = &[
    "election",
    "isr-change",
    "produce-ack",
    "controller-change",
    "hw",
    "rebalance",
];

const ENTITY_FLAGS: [FlagSpec; 6] = [
    flag(
        "--entity-type",
        "TYPE",
        ValueKind::Choice(ENTITY_TYPES),
        "Kind of entity whose configs these are.",
    ),
    flag(
        "--entity-name",
        "NAME",
        ValueKind::Text,
        "The topic name, or the broker id.",
    ),
    switch(
        "--entity-default",
        "The cluster-wide default broker configs (brokers only).",
    ),
    flag(
        "--topic",
        "TOPIC",
        ValueKind::Topic,
        "Shorthand for `--entity-type topics --entity-name TOPIC`.",
    ),
    flag(
        "--broker",
        "ID",
        ValueKind::Node,
        "Shorthand for `--entity-type brokers --entity-name ID`.",
    ),
    switch(
        "--broker-defaults",
        "Shorthand for `--entity-type brokers --entity-default`.",
    ),
];

const NODE_ARG: ArgSpec = arg(
    "NODE",
    ValueKind::Node,
    "A broker (0, 1, ...) or controller (100, 101, ...).",
);

static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "cluster",
        aliases: &[],
        mode: None,
        group: HEADER,
        summary: "The cluster a script starts from. Only as the first command of a script; \
                  without it a script gets the defaults below.",
        usage: "cluster [--brokers N] [--controllers N] [--racks RACK,RACK,...] [--seed N]",
        args: &[],
        flags: &[
            flag(
                "--brokers",
                "N",
                ValueKind::Int { min: 1, max: 64 },
                "Number of brokers, with ids 0, 1, 2 and so on.",
            )
            .default("3"),
            flag(
                "--controllers",
                "N",
                ValueKind::Int { min: 1, max: 9 },
                "Number of KRaft controllers (voters), with ids 100, 101 and so on.",
            )
            .default("3"),
            flag(
                "--racks",
                "RACK,RACK,...",
                ValueKind::Words,
                "`broker.rack` of each broker in id order, one per broker. No racks without it.",
            ),
            flag(
                "--seed",
                "N",
                ValueKind::Seed,
                "Seed of the simulation's random choices: the same seed and commands give the \
                 same run.",
            )
            .default("1"),
        ],
        example: "cluster --brokers 3 --controllers 3 --racks a,b,c --seed 7",
        build: build_cluster,
    },
    CommandSpec {
        name: "kafka-topics.sh",
        aliases: TOPICS_ALIASES,
        mode: Some("--create"),
        group: TOOLS,
        summary: "Create a topic.",
        usage: "kafka-topics.sh --create --topic TOPIC (--partitions N --replication-factor R \
                | --replica-assignment LIST) [--config KEY=VALUE]...",
        args: &[],
        flags: &[
            flag(
                "--topic",
                "TOPIC",
                ValueKind::Topic,
                "Name of the new topic: up to 249 letters, digits, `.`, `_` and `-`.",
            )
            .required(),
            flag(
                "--partitions",
                "N",
                ValueKind::Int {
                    min: 1,
                    max: MAX_PARTITIONS,
                },
                "Number of partitions.",
            ),
            flag(
                "--replication-factor",
                "R",
                ValueKind::Int {
                    min: 1,
                    max: MAX_REPLICATION_FACTOR,
                },
                "Replicas of each partition.",
            ),
            flag(
                "--config",
                "KEY=VALUE",
                ValueKind::Config,
                "A topic config, such as `min.insync.replicas=2`; repeat the flag for more.",
            )
            .repeatable(),
            flag(
                "--replica-assignment",
                "LIST",
                ValueKind::Assignment,
                "The replicas of each partition, first one the preferred leader: partitions \
                 separated by `,`, broker ids by `:` (`0:1:2,1:2:0`). The partition count and \
                 replication factor follow from it.",
            ),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-topics.sh --create --topic orders --partitions 3 --replication-factor 3 \
                  --config min.insync.replicas=2",
        build: build_create_topic,
    },
    CommandSpec {
        name: "kafka-topics.sh",
        aliases: TOPICS_ALIASES,
        mode: Some("--alter"),
        group: TOOLS,
        summary: "Add partitions to a topic. Records keep their partition, but from then on \
                  a key hashes over the new count, so some keys go to another partition.",
        usage: "kafka-topics.sh --alter --topic TOPIC --partitions N",
        args: &[],
        flags: &[
            flag("--topic", "TOPIC", ValueKind::Topic, "The topic to grow.").required(),
            flag(
                "--partitions",
                "N",
                ValueKind::Int {
                    min: 1,
                    max: MAX_PARTITIONS,
                },
                "The new number of partitions, more than it has.",
            )
            .required(),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-topics.sh --alter --topic orders --partitions 4",
        build: build_alter_topic,
    },
    CommandSpec {
        name: "kafka-topics.sh",
        aliases: TOPICS_ALIASES,
        mode: Some("--describe"),
        group: TOOLS,
        summary: "Show each partition's leader, replicas and ISR.",
        usage: "kafka-topics.sh --describe [--topic TOPIC]",
        args: &[],
        flags: &[
            flag(
                "--topic",
                "TOPIC",
                ValueKind::Topic,
                "Only this topic; every topic without it.",
            ),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-topics.sh --describe --topic orders",
        build: build_describe_topics,
    },
    CommandSpec {
        name: "kafka-topics.sh",
        aliases: TOPICS_ALIASES,
        mode: Some("--list"),
        group: TOOLS,
        summary: "List the topics' names.",
        usage: "kafka-topics.sh --list",
        args: &[],
        flags: &[BOOTSTRAP_SERVER],
        example: "kafka-topics.sh --list",
        build: build_list_topics,
    },
    CommandSpec {
        name: "kafka-configs.sh",
        aliases: CONFIGS_ALIASES,
        mode: Some("--alter"),
        group: TOOLS,
        summary: "Set or remove dynamic configs of a topic, a broker, or the cluster-wide broker \
                  default.",
        usage: "kafka-configs.sh --alter (--entity-type topics|brokers (--entity-name NAME | \
                --entity-default) | --topic TOPIC | --broker ID | --broker-defaults) \
                [--add-config KEY=VALUE,...] [--delete-config KEY,...]",
        args: &[],
        flags: &[
            ENTITY_FLAGS[0],
            ENTITY_FLAGS[1],
            ENTITY_FLAGS[2],
            ENTITY_FLAGS[3],
            ENTITY_FLAGS[4],
            ENTITY_FLAGS[5],
            flag(
                "--add-config",
                "KEY=VALUE,...",
                ValueKind::ConfigList,
                "Configs to set. A value containing commas goes in brackets: \
                 `cleanup.policy=[compact,delete]`.",
            ),
            flag(
                "--delete-config",
                "KEY,...",
                ValueKind::NameList,
                "Configs to remove, so that they fall back to their defaults.",
            ),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-configs.sh --alter --entity-type topics --entity-name orders --add-config \
                  min.insync.replicas=2",
        build: build_alter_configs,
    },
    CommandSpec {
        name: "kafka-configs.sh",
        aliases: CONFIGS_ALIASES,
        mode: Some("--describe"),
        group: TOOLS,
        summary: "Show the dynamic configs of a topic, a broker, or the cluster-wide broker \
                  default.",
        usage: "kafka-configs.sh --describe (--entity-type topics|brokers (--entity-name NAME | \
                --entity-default) | --topic TOPIC | --broker ID | --broker-defaults)",
        args: &[],
        flags: &[
            ENTITY_FLAGS[0],
            ENTITY_FLAGS[1],
            ENTITY_FLAGS[2],
            ENTITY_FLAGS[3],
            ENTITY_FLAGS[4],
            ENTITY_FLAGS[5],
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-configs.sh --describe --entity-type brokers --entity-name 1",
        build: build_describe_configs,
    },
    CommandSpec {
        name: "kafka-leader-election.sh",
        aliases: &["kafka-leader-election"],
        mode: None,
        group: TOOLS,
        summary: "Elect leaders: move leadership back to the preferred replica, or let a replica \
                  outside the ISR take over.",
        usage: "kafka-leader-election.sh --election-type PREFERRED|UNCLEAN (--topic TOPIC \
                --partition P | --all-topic-partitions)",
        args: &[],
        flags: &[
            flag(
                "--election-type",
                "TYPE",
                ValueKind::Choice(ELECTION_TYPES),
                "`PREFERRED`: make the first replica the leader if it is in the ISR. \
                 `UNCLEAN`: elect a replica outside the ISR when no ISR member is alive \
                 (acknowledged records can be lost).",
            )
            .required(),
            flag(
                "--topic",
                "TOPIC",
                ValueKind::Topic,
                "The topic, with --partition.",
            ),
            flag(
                "--partition",
                "P",
                ValueKind::Int {
                    min: 0,
                    max: MAX_PARTITION_INDEX,
                },
                "The partition, with --topic.",
            ),
            switch("--all-topic-partitions", "Every partition of every topic."),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-leader-election.sh --election-type PREFERRED --all-topic-partitions",
        build: build_elect_leaders,
    },
    CommandSpec {
        name: "kafka-metadata-quorum.sh",
        aliases: &["kafka-metadata-quorum"],
        mode: Some("describe"),
        group: TOOLS,
        summary: "Describe the KRaft metadata quorum: its leader and voters, or each replica's \
                  progress.",
        usage: "kafka-metadata-quorum.sh describe --status|--replication",
        args: &[],
        flags: &[
            switch(
                "--status",
                "Leader, epoch, high watermark, voters and observers of the metadata log.",
            ),
            switch(
                "--replication",
                "Log end offset and lag of each voter and observer.",
            ),
            BOOTSTRAP_SERVER,
            BOOTSTRAP_CONTROLLER,
        ],
        example: "kafka-metadata-quorum.sh describe --status",
        build: build_describe_quorum,
    },
    CommandSpec {
        name: "kafka-dump-log.sh",
        aliases: &["kafka-dump-log"],
        mode: None,
        group: TOOLS,
        summary: "Print a replica's record batches: offsets, producer id and epoch, sequences, \
                  transactional or not, and transaction markers.",
        usage: "kafka-dump-log.sh --files PARTITION [--broker ID] [--print-data-log]",
        args: &[],
        flags: &[
            flag(
                "--files",
                "PARTITION",
                ValueKind::Partition,
                "The partition whose log to print, such as `orders-2` (Kafka takes the \
                 segment file's path).",
            )
            .required(),
            flag(
                "--broker",
                "ID",
                ValueKind::Node,
                "Whose replica (default: the leader's).",
            ),
            switch("--print-data-log", "Print each record too."),
        ],
        example: "kafka-dump-log.sh --files orders-2 --print-data-log",
        build: build_dump_log,
    },
    CommandSpec {
        name: "kafka-consumer-groups.sh",
        aliases: GROUPS_ALIASES,
        mode: Some("--list"),
        group: TOOLS,
        summary: "List the consumer groups' ids.",
        usage: "kafka-consumer-groups.sh --list",
        args: &[],
        flags: &[BOOTSTRAP_SERVER],
        example: "kafka-consumer-groups.sh --list",
        build: build_groups_list,
    },
    CommandSpec {
        name: "kafka-consumer-groups.sh",
        aliases: GROUPS_ALIASES,
        mode: Some("--describe"),
        group: TOOLS,
        summary: "Describe a consumer group: each partition's committed offset, log end offset, \
                  lag and owner (the default), its members, or its coordinator and state.",
        usage: "kafka-consumer-groups.sh --describe --group GROUP [--offsets | --members \
                [--verbose] | --state]",
        args: &[],
        flags: &[
            GROUP_FLAG,
            switch(
                "--offsets",
                "One line per partition: committed offset, log end offset, lag, and the member \
                 that owns it. What --describe shows without any of these flags.",
            ),
            switch(
                "--members",
                "One line per member: consumer id, host, client id and number of partitions.",
            ),
            switch(
                "--verbose",
                "With --members: each member's epoch and assignment, and the target ones.",
            ),
            switch(
                "--state",
                "The group's coordinator, assignment strategy, state and number of members.",
            ),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-consumer-groups.sh --describe --group billing --members --verbose",
        build: build_groups_describe,
    },
    CommandSpec {
        name: "kafka-consumer-groups.sh",
        aliases: GROUPS_ALIASES,
        mode: Some("--reset-offsets"),
        group: TOOLS,
        summary: "Move a group's committed offsets, while the group has no active members. \
                  Without --execute it is a dry run that only prints the new offsets, as in \
                  Kafka.",
        usage: "kafka-consumer-groups.sh --reset-offsets --group GROUP (--topic TOPIC[:P,P]... | \
                --all-topics) (--to-earliest | --to-latest | --to-offset N | --shift-by N) \
                [--dry-run | --execute]",
        args: &[],
        flags: &[
            GROUP_FLAG,
            flag(
                "--topic",
                "TOPIC[:P,P]",
                ValueKind::TopicScope,
                "A topic, or some of its partitions (`orders:0,1`); repeat the flag for more.",
            )
            .repeatable(),
            switch(
                "--all-topics",
                "Every partition the group has a committed offset for.",
            ),
            switch("--to-earliest", "To each partition's log start offset."),
            switch(
                "--to-latest",
                "To each partition's log end offset (its high watermark): skip everything \
                 not read yet.",
            ),
            flag(
                "--to-offset",
                "N",
                ValueKind::Int {
                    min: 0,
                    max: i64::MAX,
                },
                "To this offset, moved into the partition's range (log start to log end) if \
                 it is outside.",
            ),
            flag(
                "--shift-by",
                "N",
                ValueKind::Int {
                    min: i64::MIN,
                    max: i64::MAX,
                },
                "Forward (or back, if negative) from the committed offset, kept within the \
                 partition's range.",
            ),
            switch("--dry-run", "Only print the new offsets (the default)."),
            switch("--execute", "Commit the new offsets."),
            BOOTSTRAP_SERVER,
        ],
        example: "kafka-consumer-groups.sh --reset-offsets --group billing --topic orders \
                  --to-earliest --execute",
        build: build_groups_reset,
    },
    CommandSpec {
        name: "kafka-consumer-groups.sh",
        aliases: GROUPS_ALIASES,
        mode: Some("--delete"),
        group: TOOLS,
        summary: "Delete a consumer group that has no active members, with its committed \
                  offsets.",
        usage: "kafka-consumer-groups.sh --delete --group GROUP",
        args: &[],
        flags: &[GROUP_FLAG, BOOTSTRAP_SERVER],
        example: "kafka-consumer-groups.sh --delete --group billing",
        build: build_groups_delete,
    },
    CommandSpec {
        name: "produce",
        aliases: &[],
        mode: None,
        group: CLIENTS,
        summary: "Send one produce request of N records to a partition's leader, as a producer \
                  would.",
        usage: "produce PARTITION [--count N] [--acks all|-1|1|0] [--key KEY] [--value VALUE] \
                [--timeout-ms MS]",
        args: &[arg(
            "PARTITION",
            ValueKind::Partition,
            "The partition to write to, such as `orders-0`.",
        )],
        flags: &[
            flag(
                "--count",
                "N",
                ValueKind::Int {
                    min: 1,
                    max: MAX_PRODUCE_COUNT,
                },
                "Records in the request.",
            )
            .default("1"),
            flag(
                "--acks",
                "ACKS",
                ValueKind::Choice(ACKS),
                "`all` (or `-1`): every ISR member has the records, subject to \
                 `min.insync.replicas`; `1`: the leader has them; `0`: no answer at all.",
            )
            .default("all"),
            flag("--key", "KEY", ValueKind::Text, "Key of every record."),
            flag(
                "--value",
                "VALUE",
                ValueKind::Text,
                "Value of every record.",
            ),
            flag(
                "--timeout-ms",
                "MS",
                ValueKind::Int {
                    min: 0,
                    max: MAX_RUN_MS,
                },
                "How long the producer waits for the answer before giving up.",
            )
            .default("30000"),
        ],
        example: "produce orders-0 --count 5 --acks all --value \"hello world\"",
        build: build_produce,
    },
    CommandSpec {
        name: "consume",
        aliases: &[],
        mode: None,
        group: CLIENTS,
        summary: "Fetch from a partition's leader, as a consumer would (read_uncommitted: up to \
                  the high watermark).",
        usage: "consume PARTITION [--from OFFSET]",
        args: &[arg(
            "PARTITION",
            ValueKind::Partition,
            "The partition to read, such as `orders-0`.",
        )],
        flags: &[flag(
            "--from",
            "OFFSET",
            ValueKind::Int {
                min: 0,
                max: i64::MAX,
            },
            "The offset to fetch from.",
        )
        .default("0")],
        example: "consume orders-0 --from 3",
        build: build_consume,
    },
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some("start"),
        group: CLIENTS,
        summary: "Start a producer with Kafka's producer configs (idempotent by default). With \
                  transactional.id it calls initTransactions() at once, fencing any older \
                  instance with the same id.",
        usage: "producer start NAME [--producer-property KEY=VALUE]...",
        args: &[PRODUCER_NAME],
        flags: &[flag(
            "--producer-property",
            "KEY=VALUE",
            ValueKind::Config,
            "A producer config, such as `acks=1`, `linger.ms=20`, \
             `enable.idempotence=false` or `transactional.id=tx-1`; repeat the flag for more.",
        )
        .repeatable()],
        example: "producer start app --producer-property enable.idempotence=false \
                  --producer-property max.in.flight.requests.per.connection=5",
        build: build_producer_start,
    },
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some("send"),
        group: CLIENTS,
        summary: "send() records: each goes to the partition it names, else the one its key \
                  hashes to (murmur2), else the sticky partition, and waits in that \
                  partition's batch until the batch is full or linger.ms has passed.",
        usage: "producer send NAME TOPIC [--count N] [--key KEY] [--value VALUE] \
                [--partition P]",
        args: &[
            PRODUCER_NAME,
            arg("TOPIC", ValueKind::Topic, "The topic to write to."),
        ],
        flags: &[
            flag(
                "--count",
                "N",
                ValueKind::Int { min: 1, max: 100_000 },
                "How many records.",
            )
            .default("1"),
            flag("--key", "KEY", ValueKind::Text, "Key of every record."),
            flag(
                "--value",
                "VALUE",
                ValueKind::Text,
                "Value of every record (default: the producer's name and a number).",
            ),
            flag(
                "--partition",
                "P",
                ValueKind::Int { min: 0, max: 100_000 },
                "Send to this partition, whatever the key.",
            ),
        ],
        example: "producer send app orders --count 3 --key user-42",
        build: build_producer_send,
    },
    producer_action(
        "flush",
        "flush(): send every waiting batch now, without waiting for linger.ms.",
        "producer flush NAME",
        "producer flush app",
        build_producer_flush,
    ),
    producer_action(
        "begin",
        "beginTransaction() on a transactional producer.",
        "producer begin NAME",
        "producer begin tx-app",
        build_producer_begin,
    ),
    producer_action(
        "commit",
        "commitTransaction(): flush, then the coordinator writes COMMIT markers; \
         read_committed consumers then see the records.",
        "producer commit NAME",
        "producer commit tx-app",
        build_producer_commit,
    ),
    producer_action(
        "abort",
        "abortTransaction(): unsent records are dropped and the coordinator writes ABORT \
         markers; read_committed consumers never see the records.",
        "producer abort NAME",
        "producer abort tx-app",
        build_producer_abort,
    ),
    producer_action(
        "stop",
        "close(): send what is waiting, wait for the answers, stop.",
        "producer stop NAME",
        "producer stop app",
        build_producer_stop,
    ),
    producer_action(
        "crash",
        "Kill a producer: records still in its accumulator are lost.",
        "producer crash NAME",
        "producer crash app",
        build_producer_crash,
    ),
    producer_action(
        "restart",
        "Start a stopped or crashed producer again as a new instance with the same configs \
         (a transactional one fences its previous instance).",
        "producer restart NAME",
        "producer restart app",
        build_producer_restart,
    ),
    CommandSpec {
        name: "producer",
        aliases: &[],
        mode: Some("send-offsets"),
        group: CLIENTS,
        summary: "sendOffsetsToTransaction(): the positions of GROUP's consumers commit with \
                  the producer's open transaction (consume-transform-produce, exactly once).",
        usage: "producer send-offsets NAME --group GROUP",
        args: &[PRODUCER_NAME],
        flags: &[GROUP_FLAG],
        example: "producer send-offsets tx-app --group enrich",
        build: build_producer_send_offsets,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("start"),
        group: CLIENTS,
        summary: "Start a consumer: it subscribes to topics through a group, whose coordinator \
                  gives it partitions, or reads the partitions it is assigned; then it polls, \
                  processes and commits as Kafka's consumer does.",
        usage: "consumer start NAME (--topic TOPIC,... --group GROUP | --assign PARTITION,... \
                [--group GROUP]) [--consumer-property KEY=VALUE]...",
        args: &[CONSUMER_NAME],
        flags: &[
            flag(
                "--topic",
                "TOPIC,...",
                ValueKind::Topics,
                "Subscribe to these topics (needs --group); repeat the flag for more.",
            )
            .repeatable(),
            flag(
                "--assign",
                "PARTITION,...",
                ValueKind::Partitions,
                "Read these partitions, such as `orders-0,orders-1`, without a group \
                 assigning them; repeat the flag for more.",
            )
            .repeatable(),
            flag(
                "--group",
                "GROUP",
                ValueKind::Name,
                "The consumer group (`group.id`). With --assign it is only where offsets are \
                 committed.",
            ),
            flag(
                "--consumer-property",
                "KEY=VALUE",
                ValueKind::Config,
                "A consumer config, such as `max.poll.records=10` or \
                 `group.protocol=consumer`; repeat the flag for more.",
            )
            .repeatable(),
        ],
        example: "consumer start billing-1 --topic orders --group billing --consumer-property \
                  max.poll.records=10",
        build: build_consumer_start,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("stop"),
        group: CLIENTS,
        summary: "Close a consumer: it commits (with auto-commit), leaves its group and stops; \
                  the group rebalances at once.",
        usage: "consumer stop NAME",
        args: &[CONSUMER_NAME],
        flags: &[],
        example: "consumer stop billing-1",
        build: build_consumer_stop,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("crash"),
        group: CLIENTS,
        summary: "Kill a consumer: it neither commits nor leaves, so its group notices only \
                  when its session times out.",
        usage: "consumer crash NAME",
        args: &[CONSUMER_NAME],
        flags: &[],
        example: "consumer crash billing-1",
        build: build_consumer_crash,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("restart"),
        group: CLIENTS,
        summary: "Start a stopped or crashed consumer again, with the same configs.",
        usage: "consumer restart NAME",
        args: &[CONSUMER_NAME],
        flags: &[],
        example: "consumer restart billing-1",
        build: build_consumer_restart,
    },
    CommandSpec {
        name: "consumer",
        aliases: &[],
        mode: Some("set"),
        group: CLIENTS,
        summary: "Change a running consumer's sandbox knob, such as how long it works on each \
                  record (to make it slow).",
        usage: "consumer set NAME KEY=VALUE",
        args: &[
            CONSUMER_NAME,
            arg(
                "KEY=VALUE",
                ValueKind::Config,
                "A `sandbox.*` consumer config: `sandbox.processing.ms.per.record` or \
                 `sandbox.commit.after.poll` (the `sandbox.` may be left out).",
            ),
        ],
        flags: &[],
        example: "consumer set billing-1 sandbox.processing.ms.per.record=200",
        build: build_consumer_set,
    },
    CommandSpec {
        name: "crash",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Kill a broker or controller at once; what it had not flushed to disk is lost.",
        usage: "crash NODE",
        args: &[NODE_ARG],
        flags: &[],
        example: "crash 1",
        build: build_crash,
    },
    CommandSpec {
        name: "restart",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Start a crashed or stopped node again; it rejoins the cluster.",
        usage: "restart NODE",
        args: &[NODE_ARG],
        flags: &[],
        example: "restart 1",
        build: build_restart,
    },
    CommandSpec {
        name: "shutdown",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Controlled shutdown: leadership moves away before the node stops.",
        usage: "shutdown NODE",
        args: &[NODE_ARG],
        flags: &[],
        example: "shutdown 2",
        build: build_shutdown,
    },
    CommandSpec {
        name: "partition",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Cut the network between two sets of nodes: no message crosses until healed.",
        usage: "partition NODE,... | NODE,...",
        args: &[arg(
            "NODE,... | NODE,...",
            ValueKind::Sides,
            "The two sides: node ids separated by commas, the sides by `|`.",
        )],
        flags: &[],
        example: "partition 0,1 | 2,100",
        build: build_partition,
    },
    CommandSpec {
        name: "heal",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Repair the network: every cut, or only the cut between two sets of nodes.",
        usage: "heal [NODE,... | NODE,...]",
        args: &[arg(
            "NODE,... | NODE,...",
            ValueKind::Sides,
            "Only the cut between these sides; every cut without it.",
        )
        .optional()],
        flags: &[],
        example: "heal 0,1 | 2,100",
        build: build_heal,
    },
    CommandSpec {
        name: "slow",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Set the latency of the link between two nodes.",
        usage: "slow A B --latency-ms MS",
        args: &[
            arg("A", ValueKind::Node, "One end of the link."),
            arg("B", ValueKind::Node, "The other end."),
        ],
        flags: &[flag(
            "--latency-ms",
            "MS",
            ValueKind::Int {
                min: 0,
                max: MAX_LATENCY_MS,
            },
            "How long each message takes, each way.",
        )
        .required()],
        example: "slow 0 1 --latency-ms 300",
        build: build_slow,
    },
    CommandSpec {
        name: "pause-fetch",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Stop the follower replicas on a broker from fetching, so they fall behind.",
        usage: "pause-fetch BROKER [PARTITION]",
        args: &[
            arg(
                "BROKER",
                ValueKind::Node,
                "The broker whose followers stop.",
            ),
            arg(
                "PARTITION",
                ValueKind::Partition,
                "Only this partition's follower; all of them without it.",
            )
            .optional(),
        ],
        flags: &[],
        example: "pause-fetch 2 orders-0",
        build: build_pause_fetch,
    },
    CommandSpec {
        name: "resume-fetch",
        aliases: &[],
        mode: None,
        group: FAULTS,
        summary: "Let paused followers fetch again.",
        usage: "resume-fetch BROKER [PARTITION]",
        args: &[
            arg(
                "BROKER",
                ValueKind::Node,
                "The broker whose followers resume.",
            ),
            arg(
                "PARTITION",
                ValueKind::Partition,
                "Only this partition's follower; all of them without it.",
            )
            .optional(),
        ],
        flags: &[],
        example: "resume-fetch 2",
        build: build_resume_fetch,
    },
    CommandSpec {
        name: "step",
        aliases: &[],
        mode: None,
        group: TIME,
        summary: "Deliver the next N messages or timers, one at a time, or step until the next \
                  event of a kind.",
        usage: "step [N] | step --until election|isr-change|produce-ack|controller-change|hw|rebalance \
                [--max N]",
        args: &[arg(
            "N",
            ValueKind::Int {
                min: 1,
                max: MAX_STEPS,
            },
            "How many steps.",
        )
        .default("1")],
        flags: &[
            flag(
                "--until",
                "EVENT",
                ValueKind::Choice(EVENTS),
                "Step until the next leader election, ISR change, produce answer, change of \
                 active controller, high watermark move, or consumer group rebalance.",
            ),
            flag(
                "--max",
                "N",
                ValueKind::Int {
                    min: 1,
                    max: MAX_STEPS,
                },
                "With --until: stop after this many steps if the event has not happened.",
            )
            .default("10000"),
        ],
        example: "step --until election",
        build: build_step,
    },
    CommandSpec {
        name: "run",
        aliases: &[],
        mode: None,
        group: TIME,
        summary: "Advance simulated time, processing everything that falls due.",
        usage: "run DURATION",
        args: &[arg(
            "DURATION",
            ValueKind::Duration { max_ms: MAX_RUN_MS },
            "`250ms`, `5s`, `2m`, `1h`, or a bare number of milliseconds.",
        )],
        flags: &[],
        example: "run 5s",
        build: build_run,
    },
    CommandSpec {
        name: "back",
        aliases: &[],
        mode: None,
        group: TRAVEL,
        summary: "Go back N steps.",
        usage: "back [N]",
        args: &[arg(
            "N",
            ValueKind::Int {
                min: 1,
                max: MAX_STEPS,
            },
            "How many steps.",
        )
        .default("1")],
        flags: &[],
        example: "back 3",
        build: build_back,
    },
    CommandSpec {
        name: "seek",
        aliases: &[],
        mode: None,
        group: TRAVEL,
        summary: "Go to step N of the current branch.",
        usage: "seek N",
        args: &[arg(
            "N",
            ValueKind::Int {
                min: 0,
                max: i64::MAX,
            },
            "The step; 0 is the start of the run.",
        )],
        flags: &[],
        example: "seek 120",
        build: build_seek,
    },
    CommandSpec {
        name: "fork",
        aliases: &[],
        mode: None,
        group: TRAVEL,
        summary: "Start a new branch at the current step; later commands apply to it.",
        usage: "fork",
        args: &[],
        flags: &[],
        example: "fork",
        build: build_fork,
    },
];

/// The table every part of the language comes from, in reference order.
pub fn command_specs() -> &'static [CommandSpec] {
    COMMANDS
}

/// The command words a console line can start with, in reference order (the script-only
/// `cluster` header is not one of them; aliases such as `kafka-topics` are not listed).
pub fn command_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for spec in COMMANDS.iter().filter(|s| !s.is_header()) {
        if !names.contains(&spec.name) {
            names.push(spec.name);
        }
    }
    names
}

// ---------------------------------------------------------------------------------------------
// Lexing

/// A stretch of user text with the position of each character.
#[derive(Clone, Debug)]
struct Piece {
    text: String,
    /// One position per character of `text`.
    pos: Vec<Pos>,
    /// Where the piece starts in the input (its opening quote, if quoted); where an empty
    /// piece is.
    start: Pos,
}

impl Piece {
    fn len(&self) -> usize {
        self.pos.len()
    }

    /// The position of character `i`, or just past the end.
    fn at(&self, i: usize) -> Pos {
        match self.pos.get(i) {
            Some(p) => *p,
            None => match self.pos.last() {
                Some(p) => p.next(),
                None => self.start,
            },
        }
    }

    /// Characters `from..to`.
    fn slice(&self, from: usize, to: usize) -> Piece {
        let to = to.min(self.len());
        let from = from.min(to);
        let start = if from == 0 { self.start } else { self.at(from) };
        Piece {
            text: self.text.chars().skip(from).take(to - from).collect(),
            pos: self
                .pos
                .get(from..to)
                .map(<[Pos]>::to_vec)
                .unwrap_or_default(),
            start,
        }
    }

    /// Split at every character for which `is_sep` holds, keeping empty pieces; each piece
    /// comes with the separator that ends it. Linear in the length, however many pieces.
    fn split_where_sep(&self, mut is_sep: impl FnMut(char) -> bool) -> Vec<(Piece, Option<char>)> {
        let mut out = Vec::new();
        let mut text = String::new();
        let mut pos = Vec::new();
        let mut from = 0;
        for (i, c) in self.text.chars().enumerate() {
            if is_sep(c) {
                let start = if from == 0 { self.start } else { self.at(from) };
                let piece = Piece {
                    text: std::mem::take(&mut text),
                    pos: std::mem::take(&mut pos),
                    start,
                };
                out.push((piece, Some(c)));
                from = i + 1;
            } else {
                text.push(c);
                pos.push(self.at(i));
            }
        }
        let start = if from == 0 { self.start } else { self.at(from) };
        out.push((Piece { text, pos, start }, None));
        out
    }

    /// Split at every character for which `is_sep` holds, keeping empty pieces.
    fn split_where(&self, is_sep: impl FnMut(char) -> bool) -> Vec<Piece> {
        self.split_where_sep(is_sep)
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }

    fn split(&self, sep: char) -> Vec<Piece> {
        self.split_where(|c| c == sep)
    }

    /// The character index of the first `c`, if any.
    fn find(&self, c: char) -> Option<usize> {
        self.text.chars().position(|x| x == c)
    }
}

#[derive(Clone, Debug)]
struct Token {
    piece: Piece,
    /// Starts with an unquoted `--`.
    flag: bool,
    /// For a flag, the index of its first unquoted `=` (`--topic=orders`).
    eq: Option<usize>,
}

impl Token {
    fn start(&self) -> Pos {
        self.piece.start
    }

    fn text(&self) -> &str {
        &self.piece.text
    }

    /// For a flag, its name without an inline value.
    fn flag_name(&self) -> String {
        match self.eq {
            Some(i) => self.piece.text.chars().take(i).collect(),
            None => self.piece.text.clone(),
        }
    }

    /// For `--flag=value`, the value.
    fn inline_value(&self) -> Option<Piece> {
        self.eq.map(|i| self.piece.slice(i + 1, self.piece.len()))
    }
}

#[derive(Default)]
struct TokenBuilder {
    text: String,
    pos: Vec<Pos>,
    unquoted: Vec<bool>,
    start: Option<Pos>,
}

impl TokenBuilder {
    fn open(&mut self, at: Pos) {
        if self.start.is_none() {
            self.start = Some(at);
        }
    }

    fn push(&mut self, c: char, at: Pos, quoted: bool) {
        self.open(at);
        self.text.push(c);
        self.pos.push(at);
        self.unquoted.push(!quoted);
    }

    fn finish(&mut self, out: &mut Vec<Token>) {
        let b = std::mem::take(self);
        let Some(start) = b.start else { return };
        let flag = b.text.starts_with("--")
            && b.unquoted.first() == Some(&true)
            && b.unquoted.get(1) == Some(&true);
        let eq = if flag {
            b.text
                .chars()
                .zip(&b.unquoted)
                .position(|(c, &unquoted)| c == '=' && unquoted)
        } else {
            None
        };
        out.push(Token {
            piece: Piece {
                text: b.text,
                pos: b.pos,
                start,
            },
            flag,
            eq,
        });
    }
}

/// Whether what follows a backslash makes it a line continuation: only blanks, then maybe a
/// comment.
fn only_blank_or_comment(rest: &[char]) -> bool {
    match rest.iter().find(|c| !c.is_whitespace()) {
        None => true,
        Some(c) => *c == '#',
    }
}

/// Append the tokens of one physical line; `true` if the command continues on the next line.
fn lex_line(line: &str, line_no: usize, out: &mut Vec<Token>) -> Result<bool, ParseError> {
    let chars: Vec<char> = line.chars().collect();
    let at = |i: usize| Pos {
        line: line_no,
        col: i + 1,
    };
    let mut token = TokenBuilder::default();
    let mut quote: Option<(char, Pos)> = None;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match quote {
            Some((q, _)) => {
                if c == q {
                    quote = None;
                } else if q == '"' && c == '\\' {
                    match chars.get(i + 1) {
                        Some(&n) if n == '"' || n == '\\' => {
                            token.push(n, at(i + 1), true);
                            i += 1;
                        }
                        _ => token.push(c, at(i), true),
                    }
                } else {
                    token.push(c, at(i), true);
                }
            }
            None => {
                if c.is_whitespace() {
                    token.finish(out);
                } else if c == '#' {
                    break;
                } else if c == '"' || c == '\'' {
                    token.open(at(i));
                    quote = Some((c, at(i)));
                } else if c == '\\' && only_blank_or_comment(chars.get(i + 1..).unwrap_or_default())
                {
                    token.finish(out);
                    return Ok(true);
                } else {
                    token.push(c, at(i), false);
                }
            }
        }
        i += 1;
    }
    if let Some((q, pos)) = quote {
        return Err(error(
            pos,
            format!("this {q} is never closed: close it on the same line"),
        ));
    }
    token.finish(out);
    Ok(false)
}

/// Call `f` with the first line and the tokens of each command in `text`, in order.
fn for_each_command(
    text: &str,
    mut f: impl FnMut(usize, &[Token]) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut tokens = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let continues = lex_line(line, i + 1, &mut tokens)?;
        if !continues {
            if let Some(first) = tokens.first() {
                f(first.start().line, &tokens)?;
                tokens.clear();
            }
        }
    }
    if let Some(first) = tokens.first() {
        f(first.start().line, &tokens)?;
    }
    Ok(())
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

// ---------------------------------------------------------------------------------------------
// From tokens to a command

enum Parsed {
    Cluster(ClusterSpec),
    Command(Command),
}

fn parse_tokens(tokens: &[Token]) -> Result<Parsed, ParseError> {
    let Some((first, rest)) = tokens.split_first() else {
        return Err(error(Pos { line: 1, col: 1 }, "no command"));
    };
    if first.flag {
        return Err(error(
            first.start(),
            format!(
                "a command starts with its name, not with the flag `{}`",
                show(first.text())
            ),
        ));
    }
    let name = tool_name(first.text());
    let specs = specs_named(name);
    if specs.is_empty() {
        return Err(unknown_command(first));
    }
    let spec = select_mode(&specs, first, rest)?;
    let args = collect_args(spec, &specs, first.start(), rest)?;
    (spec.build)(&args)
}

fn unknown_command(first: &Token) -> ParseError {
    let mut words: Vec<&'static str> = Vec::new();
    for spec in COMMANDS {
        for w in std::iter::once(&spec.name).chain(spec.aliases) {
            if !words.contains(w) {
                words.push(w);
            }
        }
    }
    let suggestion = suggest(tool_name(first.text()), words.iter().copied());
    let message = if first.text().starts_with("kafka-") && suggestion.is_none() {
        let mut tools: Vec<&str> = Vec::new();
        for spec in COMMANDS.iter().filter(|s| s.group == TOOLS) {
            if !tools.contains(&spec.name) {
                tools.push(spec.name);
            }
        }
        format!(
            "`{}` is not available in the sandbox; its Kafka tools are {}",
            show(first.text()),
            tools.join(", ")
        )
    } else {
        format!("unknown command `{}`", show(first.text()))
    };
    error_with(first.start(), message, suggestion)
}

/// For a tool with modes (`--create`, `--describe`), the one this command uses.
fn select_mode(
    specs: &[&'static CommandSpec],
    first: &Token,
    rest: &[Token],
) -> Result<&'static CommandSpec, ParseError> {
    let Some(only) = specs.first().copied() else {
        return Err(unknown_command(first));
    };
    if !specs.iter().any(|s| s.has_flag_mode()) {
        if specs.len() > 1 {
            return select_subcommand(specs, first, rest);
        }
        return Ok(only);
    }
    let mut chosen: Option<&'static CommandSpec> = None;
    for t in rest.iter().filter(|t| t.flag) {
        let name = t.flag_name();
        let Some(spec) = specs.iter().find(|s| s.mode == Some(name.as_str())) else {
            continue;
        };
        if let Some(earlier) = chosen {
            let message = if earlier.mode == spec.mode {
                format!("{name} is given twice")
            } else {
                format!(
                    "{name} cannot be combined with {}",
                    earlier.mode.unwrap_or_default()
                )
            };
            return Err(error(t.start(), message));
        }
        chosen = Some(spec);
    }
    if let Some(spec) = chosen {
        return Ok(spec);
    }
    // No mode given: an unknown flag is likely a misspelt one.
    let modes: Vec<&'static str> = specs.iter().filter_map(|s| s.mode).collect();
    for t in rest.iter().filter(|t| t.flag) {
        let name = t.flag_name();
        if !specs.iter().any(|s| s.flag(&name).is_some()) {
            let known = modes.iter().copied().chain(
                specs
                    .iter()
                    .flat_map(|s| s.flags.iter())
                    .filter(|f| !f.hidden)
                    .map(|f| f.name),
            );
            return Err(error_with(
                t.start(),
                format!("unknown flag `{}` for {}", show(&name), only.name),
                suggest(&name, known),
            ));
        }
    }
    Err(error(
        first.start(),
        format!("{} needs one of {}", only.name, modes.join(", ")),
    ))
}

/// For a command with subcommands (`consumer start`, `consumer stop`), the one named by the
/// first argument (flags and their values may come before it).
fn select_subcommand(
    specs: &[&'static CommandSpec],
    first: &Token,
    rest: &[Token],
) -> Result<&'static CommandSpec, ParseError> {
    let name = tool_name(first.text());
    let words: Vec<&'static str> = specs.iter().filter_map(|s| s.mode).collect();
    let listed = match words.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, init)) => format!("{} or {last}", init.join(", ")),
        None => String::new(),
    };
    let takes_value = |t: &Token| {
        t.flag
            && t.eq.is_none()
            && specs.iter().any(|s| {
                s.flag(&t.flag_name())
                    .is_some_and(|f| f.kind != ValueKind::Switch)
            })
    };
    let mut i = 0;
    while let Some(t) = rest.get(i) {
        if !t.flag {
            return match specs.iter().find(|s| s.mode == Some(t.text())) {
                Some(spec) => Ok(spec),
                None => Err(error_with(
                    t.start(),
                    format!(
                        "unknown subcommand `{}` for {name}: use {listed}",
                        show(t.text())
                    ),
                    suggest(t.text(), words.iter().copied()),
                )),
            };
        }
        let value_follows = rest.get(i + 1).is_some_and(|n| !n.flag);
        i += if takes_value(t) && value_follows {
            2
        } else {
            1
        };
    }
    Err(error(
        first.start(),
        format!("{name} needs a subcommand: {listed}"),
    ))
}

/// A value as the table's kind made it.
#[derive(Clone, Debug)]
enum Val {
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
struct Got {
    /// The flag's name, or the argument's metavar.
    name: &'static str,
    /// Where the flag or argument starts.
    at: Pos,
    /// The value as typed (the flag itself for a switch).
    piece: Piece,
    val: Val,
}

/// The flags and arguments of one command, checked against its spec.
struct Args {
    spec: &'static CommandSpec,
    head: Pos,
    flags: Vec<Got>,
    args: Vec<Got>,
}

fn collect_args(
    spec: &'static CommandSpec,
    siblings: &[&'static CommandSpec],
    head: Pos,
    rest: &[Token],
) -> Result<Args, ParseError> {
    let title = spec.title();
    let mut flags: Vec<Got> = Vec::new();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut positionals: Vec<&Token> = Vec::new();
    let mut i = 0;
    while let Some(t) = rest.get(i) {
        i += 1;
        if !t.flag {
            positionals.push(t);
            continue;
        }
        let name = t.flag_name();
        if spec.has_flag_mode() && spec.mode == Some(name.as_str()) {
            if t.eq.is_some() {
                return Err(error(t.start(), format!("{name} takes no value")));
            }
            continue;
        }
        let Some(fs) = spec.flag(&name) else {
            if let Some(other) = siblings
                .iter()
                .find(|s| s.flag(&name).is_some_and(|f| !f.hidden))
            {
                return Err(error(
                    t.start(),
                    format!(
                        "{name} does not apply to {title}; it is a flag of {}",
                        other.title()
                    ),
                ));
            }
            let known = spec.flags.iter().filter(|f| !f.hidden).map(|f| f.name);
            return Err(error_with(
                t.start(),
                format!("unknown flag `{}` for {title}", show(&name)),
                suggest(&name, known),
            ));
        };
        if seen.contains(&fs.name) {
            if !fs.repeatable {
                return Err(error(t.start(), format!("{} is given twice", fs.name)));
            }
        } else {
            seen.push(fs.name);
        }
        let (piece, val) = if fs.kind == ValueKind::Switch {
            if t.eq.is_some() {
                return Err(error(t.start(), format!("{} takes no value", fs.name)));
            }
            (t.piece.clone(), Val::Switch)
        } else {
            let piece = match t.inline_value() {
                Some(p) => p,
                None => match rest.get(i) {
                    Some(next) if !next.flag => {
                        i += 1;
                        next.piece.clone()
                    }
                    next => {
                        let what = match fs.kind {
                            ValueKind::Text | ValueKind::Name | ValueKind::Ignored => String::new(),
                            kind => format!(" ({})", kind.wants()),
                        };
                        let text = matches!(fs.kind, ValueKind::Text | ValueKind::Name);
                        let hint = if next.is_some() && text {
                            "; quote a value that starts with --"
                        } else {
                            ""
                        };
                        return Err(error(
                            t.start(),
                            format!("{} needs a value{what}{hint}", fs.name),
                        ));
                    }
                },
            };
            let val = parse_value(fs.kind, &piece, fs.name)?;
            (piece, val)
        };
        flags.push(Got {
            name: fs.name,
            at: t.start(),
            piece,
            val,
        });
    }

    let mut positionals = positionals.into_iter().peekable();
    if let Some(word) = spec.mode.filter(|m| !m.starts_with('-')) {
        match positionals.next() {
            Some(t) if t.text() == word => {}
            Some(t) => {
                return Err(error_with(
                    t.start(),
                    format!("unknown subcommand `{}` for {}", show(t.text()), spec.name),
                    suggest(t.text(), [word]),
                ))
            }
            None => {
                return Err(error(
                    head,
                    format!("{} needs the subcommand {word}", spec.name),
                ))
            }
        }
    }
    let mut args: Vec<Got> = Vec::new();
    for a in spec.args {
        let subject = if a.kind == ValueKind::Config {
            title.clone()
        } else {
            format!("{title} {}", a.metavar)
        };
        if a.kind == ValueKind::Sides {
            let subject = spec.name;
            let rest: Vec<&Token> = positionals.by_ref().collect();
            if let Some(first) = rest.first() {
                let pieces: Vec<&Piece> = rest.iter().map(|t| &t.piece).collect();
                let val = parse_sides(&pieces, subject)?;
                args.push(Got {
                    name: a.metavar,
                    at: first.start(),
                    piece: first.piece.clone(),
                    val,
                });
            }
            continue;
        }
        if let Some(t) = positionals.next() {
            let val = parse_value(a.kind, &t.piece, &subject)?;
            args.push(Got {
                name: a.metavar,
                at: t.start(),
                piece: t.piece.clone(),
                val,
            });
        }
    }
    if let Some(extra) = positionals.next() {
        let suggestion = if extra.text().starts_with('-') {
            let dashed = format!("-{}", extra.text());
            suggest(
                &dashed,
                spec.flags
                    .iter()
                    .filter(|f| !f.hidden)
                    .map(|f| f.name)
                    .chain(spec.mode.filter(|m| m.starts_with("--"))),
            )
        } else {
            None
        };
        let message = if spec.args.is_empty() && spec.mode.is_none_or(|m| m.starts_with('-')) {
            format!(
                "unexpected `{}`: {title} takes no arguments",
                show(extra.text())
            )
        } else {
            format!("unexpected extra argument `{}`", show(extra.text()))
        };
        return Err(error_with(extra.start(), message, suggestion));
    }
    let args = Args {
        spec,
        head,
        flags,
        args,
    };
    for a in spec.args.iter().filter(|a| a.required) {
        if args.arg(a.metavar).is_none() {
            return Err(args.missing(a.metavar));
        }
    }
    for f in spec.flags.iter().filter(|f| f.required) {
        if args.flag(f.name).is_none() {
            return Err(args.missing(f.name));
        }
    }
    Ok(args)
}

impl Args {
    fn flag(&self, name: &str) -> Option<&Got> {
        self.flags.iter().find(|g| g.name == name)
    }

    fn arg(&self, name: &str) -> Option<&Got> {
        self.args.iter().find(|g| g.name == name)
    }

    fn get(&self, name: &str) -> Option<&Got> {
        self.flag(name).or_else(|| self.arg(name))
    }

    fn default_of(&self, name: &str) -> Option<&'static str> {
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
    fn usage_of(&self, name: &str) -> String {
        match self.spec.flag(name) {
            Some(f) if !f.metavar.is_empty() => format!("{name} {}", f.metavar),
            _ => name.to_string(),
        }
    }

    /// "kafka-topics.sh --create needs --topic TOPIC", pointing at the command.
    fn missing(&self, name: &str) -> ParseError {
        let what = match self.spec.args.iter().find(|a| a.metavar == name) {
            Some(a) if a.kind == ValueKind::Sides => a.kind.wants(),
            Some(a) if a.kind == ValueKind::Config => name.to_string(),
            Some(a) => format!("{name} ({})", a.kind.wants()),
            None => self.usage_of(name),
        };
        error(self.head, format!("{} needs {what}", self.spec.title()))
    }

    fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(g) => match g.val {
                Val::Int(n) => Some(n),
                _ => None,
            },
            None => self.default_of(name)?.parse().ok(),
        }
    }

    fn need_int(&self, name: &str) -> Result<i64, ParseError> {
        self.int(name).ok_or_else(|| self.missing(name))
    }

    fn need_node(&self, name: &str) -> Result<NodeId, ParseError> {
        let n = self.need_int(name)?;
        NodeId::try_from(n).map_err(|_| self.missing(name))
    }

    fn text(&self, name: &str) -> Option<String> {
        match &self.get(name)?.val {
            Val::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn choice(&self, name: &str) -> Option<&'static str> {
        match self.get(name) {
            Some(g) => match g.val {
                Val::Choice(c) => Some(c),
                _ => None,
            },
            None => self.default_of(name),
        }
    }

    fn partition(&self, name: &str) -> Option<TopicPartition> {
        match &self.get(name)?.val {
            Val::Partition(tp) => Some(tp.clone()),
            _ => None,
        }
    }

    fn sides(&self, name: &str) -> Option<(Vec<NodeId>, Vec<NodeId>)> {
        match &self.get(name)?.val {
            Val::Sides(a, b) => Some((a.clone(), b.clone())),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Values

fn parse_value(kind: ValueKind, p: &Piece, subject: &str) -> Result<Val, ParseError> {
    match kind {
        ValueKind::Switch | ValueKind::Ignored => Ok(Val::Switch),
        ValueKind::Text => Ok(Val::Str(p.text.clone())),
        ValueKind::Name => {
            if p.text.is_empty() {
                return Err(error(p.start, format!("{subject} is empty")));
            }
            Ok(Val::Str(p.text.clone()))
        }
        ValueKind::Topics => parse_topic_list(p, subject).map(Val::Names),
        ValueKind::Partitions => parse_partition_list(p, subject).map(Val::Partitions),
        ValueKind::TopicScope => {
            parse_topic_scope(p, subject).map(|(t, ps)| Val::TopicScope(t, ps))
        }
        ValueKind::Int { min, max } => parse_int(p, subject, kind, min, max).map(Val::Int),
        ValueKind::Node => parse_int(p, subject, kind, 0, MAX_NODE_ID).map(Val::Int),
        ValueKind::Seed => parse_seed(p, subject).map(Val::U64),
        ValueKind::Topic => {
            check_topic(p)?;
            Ok(Val::Str(p.text.clone()))
        }
        ValueKind::Partition => parse_partition(p).map(Val::Partition),
        ValueKind::Choice(values) => parse_choice(p, subject, values).map(Val::Choice),
        ValueKind::Duration { max_ms } => parse_duration(p, subject, max_ms).map(Val::Int),
        ValueKind::Config => parse_pair(p, subject).map(|kv| Val::Pairs(vec![kv])),
        ValueKind::ConfigList => parse_config_list(p, subject).map(Val::Pairs),
        ValueKind::NameList => parse_name_list(p, subject).map(Val::Names),
        ValueKind::Words => parse_words(p, subject).map(Val::Names),
        ValueKind::Assignment => parse_assignment(p, subject).map(Val::Assignment),
        ValueKind::Sides => parse_sides(&[p], subject),
    }
}

fn got_text(p: &Piece) -> String {
    if p.text.is_empty() {
        "an empty value".to_string()
    } else {
        format!("`{}`", show(&p.text))
    }
}

fn is_whole_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

fn parse_int(
    p: &Piece,
    subject: &str,
    kind: ValueKind,
    min: i64,
    max: i64,
) -> Result<i64, ParseError> {
    if !is_whole_number(&p.text) {
        return Err(error(
            p.start,
            format!("{subject} wants {}, got {}", kind.wants(), got_text(p)),
        ));
    }
    match p.text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(error(p.start, range_message(subject, min, max, p))),
    }
}

fn range_message(subject: &str, min: i64, max: i64, p: &Piece) -> String {
    if min == i64::MIN && max == i64::MAX {
        format!(
            "{subject} must be between {min} and {max} (a 64-bit number), got {}",
            got_text(p)
        )
    } else if max == i64::MAX {
        format!("{subject} must be {min} or more, got {}", got_text(p))
    } else {
        format!(
            "{subject} must be between {min} and {max}, got {}",
            got_text(p)
        )
    }
}

fn parse_seed(p: &Piece, subject: &str) -> Result<u64, ParseError> {
    if !is_whole_number(&p.text) {
        return Err(error(
            p.start,
            format!("{subject} wants a whole number, got {}", got_text(p)),
        ));
    }
    p.text.parse::<u64>().map_err(|_| {
        error(
            p.start,
            format!(
                "{subject} must be between 0 and {}, got {}",
                u64::MAX,
                got_text(p)
            ),
        )
    })
}

/// Kafka's `Topic.validate`: 1 to 249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn check_topic(p: &Piece) -> Result<(), ParseError> {
    if p.text.is_empty() {
        return Err(error(p.start, "the topic name is empty"));
    }
    if p.text == "." || p.text == ".." {
        return Err(error(p.start, "a topic cannot be named `.` or `..`"));
    }
    for (i, c) in p.text.chars().enumerate() {
        if !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(error(
                p.at(i),
                format!(
                    "the topic name `{}` contains `{}`: topic names use only letters, digits, \
                     `.`, `_` and `-`",
                    show(&p.text),
                    c.escape_debug()
                ),
            ));
        }
    }
    let len = p.len();
    if len > MAX_TOPIC_NAME_LEN {
        return Err(error(
            p.at(MAX_TOPIC_NAME_LEN),
            format!("the topic name is {len} characters long; the limit is {MAX_TOPIC_NAME_LEN}"),
        ));
    }
    Ok(())
}

/// `orders-0`: the topic is everything before the last `-`.
fn parse_partition(p: &Piece) -> Result<TopicPartition, ParseError> {
    let Some(dash) = p.text.chars().rev().position(|c| c == '-') else {
        let suggestion = check_topic(p).ok().map(|()| format!("{}-0", p.text));
        return Err(error_with(
            p.start,
            format!(
                "`{}` is not a partition: write TOPIC-N, such as orders-0",
                show(&p.text)
            ),
            suggestion,
        ));
    };
    let dash = p.len() - 1 - dash;
    let topic = p.slice(0, dash);
    let number = p.slice(dash + 1, p.len());
    if topic.text.is_empty() {
        return Err(error(
            p.start,
            format!(
                "`{}` has no topic before the `-`: write TOPIC-N, such as orders-0",
                show(&p.text)
            ),
        ));
    }
    check_topic(&topic)?;
    if number.text.is_empty() {
        return Err(error(
            number.start,
            format!(
                "`{}` has no partition number after the last `-`",
                show(&p.text)
            ),
        ));
    }
    let subject = format!("the partition number in `{}`", show(&p.text));
    let n = parse_int(
        &number,
        &subject,
        ValueKind::Int {
            min: 0,
            max: MAX_PARTITION_INDEX,
        },
        0,
        MAX_PARTITION_INDEX,
    )?;
    Ok(TopicPartition {
        topic: topic.text.into(),
        partition: i32::try_from(n).unwrap_or_default(),
    })
}

fn parse_choice(
    p: &Piece,
    subject: &str,
    values: &'static [&'static str],
) -> Result<&'static str, ParseError> {
    values
        .iter()
        .find(|v| v.eq_ignore_ascii_case(&p.text))
        .copied()
        .ok_or_else(|| {
            error_with(
                p.start,
                format!(
                    "{subject} wants one of {}, got {}",
                    values.join(", "),
                    got_text(p)
                ),
                suggest(&p.text, values.iter().copied()),
            )
        })
}

const DURATION_UNITS: &[(&str, i64)] = &[
    ("ms", 1),
    ("s", 1000),
    ("m", 60_000),
    ("min", 60_000),
    ("h", 3_600_000),
];

fn parse_duration(p: &Piece, subject: &str, max_ms: i64) -> Result<i64, ParseError> {
    let digits = p.text.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return Err(error(
            p.start,
            format!(
                "{subject} wants a duration such as 250ms, 5s or 2m, got {}",
                got_text(p)
            ),
        ));
    }
    let unit = p.slice(digits, p.len());
    if unit.text.starts_with('.') {
        return Err(error(
            p.start,
            format!(
                "{subject} takes whole numbers, got `{}`: use a smaller unit, as in 1500ms for \
                 1.5s",
                show(&p.text)
            ),
        ));
    }
    let factor = if unit.text.is_empty() {
        1
    } else {
        match DURATION_UNITS.iter().find(|(u, _)| *u == unit.text) {
            Some((_, f)) => *f,
            None => {
                return Err(error_with(
                    unit.start,
                    format!(
                        "unknown unit `{}` in {subject}: use ms, s, m or h",
                        show(&unit.text)
                    ),
                    suggest(&unit.text, DURATION_UNITS.iter().map(|(u, _)| *u)),
                ))
            }
        }
    };
    let number: String = p.text.chars().take(digits).collect();
    let too_long = || {
        error(
            p.start,
            format!(
                "{subject} must be at most {}, got `{}`",
                format_duration(max_ms),
                show(&p.text)
            ),
        )
    };
    let ms = number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(too_long)?;
    if ms > max_ms {
        return Err(too_long());
    }
    Ok(ms)
}

/// `key=value`, split at the first `=`.
fn parse_pair(p: &Piece, subject: &str) -> Result<(String, String), ParseError> {
    let Some(eq) = p.find('=') else {
        return Err(error(
            p.start,
            format!("{subject} wants KEY=VALUE, got {}", got_text(p)),
        ));
    };
    let key = p.slice(0, eq);
    let value = p.slice(eq + 1, p.len());
    if key.text.trim().is_empty() {
        return Err(error(
            p.start,
            format!("{subject}: the config name before `=` is empty"),
        ));
    }
    if value.text.is_empty() {
        return Err(error(
            value.start,
            format!("{subject}: `{}` has no value after `=`", show(&key.text)),
        ));
    }
    Ok((key.text, value.text))
}

fn no_duplicate_names<'a>(
    names: impl IntoIterator<Item = (&'a str, Pos)>,
    subject: &str,
) -> Result<(), ParseError> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (name, at) in names {
        if !seen.insert(name) {
            return Err(error(
                at,
                format!("{subject}: `{}` is given twice", show(name)),
            ));
        }
    }
    Ok(())
}

/// `k=v,k=[a,b]`: commas inside brackets belong to the value, and the brackets go.
fn parse_config_list(p: &Piece, subject: &str) -> Result<Vec<(String, String)>, ParseError> {
    let mut depth = 0usize;
    let mut open_at = p.start;
    for (i, c) in p.text.chars().enumerate() {
        match c {
            '[' => {
                if depth == 0 {
                    open_at = p.at(i);
                }
                depth += 1;
            }
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if depth > 0 {
        return Err(error(
            open_at,
            format!("{subject}: this `[` is never closed"),
        ));
    }
    let mut depth = 0usize;
    let items = p.split_where(|c| {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        c == ',' && depth == 0
    });
    let mut pairs = Vec::new();
    let mut keys = Vec::new();
    for item in &items {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        let (key, value) = parse_pair(item, subject)?;
        let value = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            Some(inner) => inner.to_string(),
            None => value,
        };
        keys.push(item.start);
        pairs.push((key, value));
    }
    no_duplicate_names(pairs.iter().map(|(k, _)| k.as_str()).zip(keys), subject)?;
    Ok(pairs)
}

fn parse_name_list(p: &Piece, subject: &str) -> Result<Vec<String>, ParseError> {
    let items = p.split(',');
    for item in &items {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        if let Some(eq) = item.find('=') {
            return Err(error_with(
                item.start,
                format!(
                    "{subject} takes config names only, got `{}`",
                    show(&item.text)
                ),
                Some(item.slice(0, eq).text),
            ));
        }
    }
    no_duplicate_names(items.iter().map(|i| (i.text.as_str(), i.start)), subject)?;
    Ok(items.into_iter().map(|i| i.text).collect())
}

fn parse_words(p: &Piece, subject: &str) -> Result<Vec<String>, ParseError> {
    let items = p.split(',');
    for item in &items {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
    }
    Ok(items.into_iter().map(|i| i.text).collect())
}

/// `orders,payments`: topic names, none twice.
fn parse_topic_list(p: &Piece, subject: &str) -> Result<Vec<String>, ParseError> {
    let items = p.split(',');
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for item in &items {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        check_topic(item)?;
        if !seen.insert(&item.text) {
            return Err(error(
                item.start,
                format!("{subject}: `{}` is listed twice", show(&item.text)),
            ));
        }
    }
    Ok(items.into_iter().map(|i| i.text).collect())
}

/// `orders-0,orders-1`: partitions, none twice.
fn parse_partition_list(p: &Piece, subject: &str) -> Result<Vec<TopicPartition>, ParseError> {
    let mut out = Vec::new();
    let mut seen: BTreeSet<TopicPartition> = BTreeSet::new();
    for item in p.split(',') {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        let tp = parse_partition(&item)?;
        if !seen.insert(tp.clone()) {
            return Err(error(
                item.start,
                format!("{subject}: `{tp}` is listed twice"),
            ));
        }
        out.push(tp);
    }
    Ok(out)
}

/// `orders` or `orders:0,1`, as `kafka-consumer-groups.sh --reset-offsets --topic` takes it.
fn parse_topic_scope(p: &Piece, subject: &str) -> Result<(String, Option<Vec<i32>>), ParseError> {
    let Some(colon) = p.find(':') else {
        check_topic(p)?;
        return Ok((p.text.clone(), None));
    };
    let topic = p.slice(0, colon);
    let list = p.slice(colon + 1, p.len());
    if topic.text.is_empty() {
        return Err(error(
            p.start,
            format!(
                "{subject}: `{}` has no topic before the `:`: write TOPIC or TOPIC:P,P",
                show(&p.text)
            ),
        ));
    }
    check_topic(&topic)?;
    if let Some(second) = list.find(':') {
        return Err(error(
            list.at(second),
            format!(
                "{subject}: `{}` has a second `:`: write TOPIC or TOPIC:P,P",
                show(&p.text)
            ),
        ));
    }
    if list.text.is_empty() {
        return Err(error(
            list.start,
            format!(
                "{subject}: `{}` has no partitions after the `:`",
                show(&p.text)
            ),
        ));
    }
    let mut partitions: Vec<i32> = Vec::new();
    let mut seen: BTreeSet<i64> = BTreeSet::new();
    let what = format!("{subject}: a partition of `{}`", show(&topic.text));
    for item in list.split(',') {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        let kind = ValueKind::Int {
            min: 0,
            max: MAX_PARTITION_INDEX,
        };
        let n = parse_int(&item, &what, kind, 0, MAX_PARTITION_INDEX)?;
        if !seen.insert(n) {
            return Err(error(
                item.start,
                format!("{subject}: partition {n} is listed twice"),
            ));
        }
        partitions.push(i32::try_from(n).unwrap_or_default());
    }
    Ok((topic.text, Some(partitions)))
}

/// A broker or node id inside a list.
fn parse_id(p: &Piece, subject: &str, noun: &str) -> Result<NodeId, ParseError> {
    if !is_whole_number(&p.text) {
        return Err(error(
            p.start,
            format!("{subject}: `{}` is not a {noun} id", show(&p.text)),
        ));
    }
    match p.text.parse::<NodeId>() {
        Ok(id) if id >= 0 => Ok(id),
        _ => Err(error(
            p.start,
            format!(
                "{subject}: {noun} ids are between 0 and {MAX_NODE_ID}, got {}",
                got_text(p)
            ),
        )),
    }
}

/// `0:1:2,1:2:0`.
fn parse_assignment(p: &Piece, subject: &str) -> Result<Vec<Vec<NodeId>>, ParseError> {
    let partitions = p.split(',');
    if partitions.len() as i64 > MAX_PARTITIONS {
        return Err(error(
            p.start,
            format!(
                "{subject} lists {} partitions; the limit is {MAX_PARTITIONS}",
                partitions.len()
            ),
        ));
    }
    let mut out: Vec<Vec<NodeId>> = Vec::new();
    for (index, part) in partitions.iter().enumerate() {
        if part.text.is_empty() {
            return Err(error(
                part.start,
                format!("{subject}: partition {index} has no replicas"),
            ));
        }
        let mut replicas: Vec<NodeId> = Vec::new();
        for r in part.split(':') {
            if replicas.len() as i64 >= MAX_REPLICATION_FACTOR {
                return Err(error(
                    r.start,
                    format!(
                        "{subject}: partition {index} has more than {MAX_REPLICATION_FACTOR} \
                         replicas"
                    ),
                ));
            }
            let id = parse_id(&r, subject, "broker")?;
            if replicas.contains(&id) {
                return Err(error(
                    r.start,
                    format!("{subject}: broker {id} appears twice in partition {index}"),
                ));
            }
            replicas.push(id);
        }
        if let Some(first) = out.first() {
            if first.len() != replicas.len() {
                return Err(error(
                    part.start,
                    format!(
                        "{subject}: partition {index} has {} replicas but partition 0 has {}; \
                         every partition needs the same number",
                        replicas.len(),
                        first.len()
                    ),
                ));
            }
        }
        out.push(replicas);
    }
    Ok(out)
}

/// `0,1 | 2,100`, spread over any number of tokens.
fn parse_sides(pieces: &[&Piece], subject: &str) -> Result<Val, ParseError> {
    let start = pieces.first().map_or(Pos { line: 1, col: 1 }, |p| p.start);
    let mut sides: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut bars: Vec<Pos> = Vec::new();
    for p in pieces {
        for (item, sep) in p.split_where_sep(|c| c == ',' || c == '|') {
            let after = item.at(item.len());
            if !item.text.is_empty() {
                if let Some(side) = sides.last_mut() {
                    side.push(item);
                }
            }
            if sep == Some('|') {
                bars.push(after);
                sides.push(Vec::new());
            }
        }
    }
    let usage = "two sets of node ids separated by `|`, such as `0,1 | 2,100`";
    let bar = match bars.as_slice() {
        [] => return Err(error(start, format!("{subject} wants {usage}"))),
        [bar] => *bar,
        [_, second, ..] => {
            return Err(error(
                *second,
                format!("{subject} wants {usage}; this is a second `|`"),
            ))
        }
    };
    let mut parsed: Vec<Vec<NodeId>> = Vec::new();
    let mut first_side: BTreeSet<NodeId> = BTreeSet::new();
    for (s, side) in sides.iter().enumerate() {
        if side.is_empty() {
            let message = if s == 0 {
                "there are no node ids before the `|`"
            } else {
                "there are no node ids after the `|`"
            };
            return Err(error(bar, format!("{subject}: {message}")));
        }
        let mut ids: Vec<NodeId> = Vec::new();
        let mut seen: BTreeSet<NodeId> = BTreeSet::new();
        for item in side {
            let id = parse_id(item, subject, "node")?;
            if !seen.insert(id) {
                return Err(error(
                    item.start,
                    format!("{subject}: node {id} is listed twice"),
                ));
            }
            if s == 1 && first_side.contains(&id) {
                return Err(error(
                    item.start,
                    format!("{subject}: node {id} is on both sides of the `|`"),
                ));
            }
            ids.push(id);
        }
        if s == 0 {
            first_side = seen;
        }
        parsed.push(ids);
    }
    let mut parsed = parsed.into_iter();
    let a = parsed.next().unwrap_or_default();
    let b = parsed.next().unwrap_or_default();
    Ok(Val::Sides(a, b))
}

// ---------------------------------------------------------------------------------------------
// Builders: one per spec

fn command(c: Command) -> Result<Parsed, ParseError> {
    Ok(Parsed::Command(c))
}

fn build_cluster(a: &Args) -> Result<Parsed, ParseError> {
    let default = ClusterSpec::default();
    let brokers = a
        .int("--brokers")
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(default.brokers);
    let controllers = a
        .int("--controllers")
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(default.controllers);
    let seed = match a.flag("--seed") {
        Some(Got {
            val: Val::U64(n), ..
        }) => *n,
        _ => a
            .default_of("--seed")
            .and_then(|d| d.parse().ok())
            .unwrap_or(default.seed),
    };
    let racks = match a.flag("--racks") {
        Some(Got {
            val: Val::Names(racks),
            at,
            ..
        }) => {
            if racks.len() != usize::try_from(brokers).unwrap_or_default() {
                return Err(error(
                    *at,
                    format!(
                        "--racks lists {} racks but there are {brokers} brokers: give one rack \
                         per broker, in id order",
                        racks.len()
                    ),
                ));
            }
            racks.clone()
        }
        _ => Vec::new(),
    };
    Ok(Parsed::Cluster(ClusterSpec {
        brokers,
        controllers,
        racks,
        seed,
    }))
}

fn build_alter_topic(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::AlterTopicPartitions {
        topic: a.text("--topic").ok_or_else(|| a.missing("--topic"))?,
        partitions: i32::try_from(a.need_int("--partitions")?).unwrap_or(1),
    })
}

fn build_create_topic(a: &Args) -> Result<Parsed, ParseError> {
    let topic = a.text("--topic").ok_or_else(|| a.missing("--topic"))?;
    let mut configs: Vec<(String, String)> = Vec::new();
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for g in a.flags.iter().filter(|g| g.name == "--config") {
        if let Val::Pairs(pairs) = &g.val {
            for (k, v) in pairs {
                if !keys.insert(k) {
                    return Err(error(
                        g.piece.start,
                        format!("--config: `{}` is given twice", show(k)),
                    ));
                }
                configs.push((k.clone(), v.clone()));
            }
        }
    }
    let assignment = match a.flag("--replica-assignment") {
        Some(Got {
            val: Val::Assignment(asg),
            ..
        }) => Some(asg.clone()),
        _ => None,
    };
    let (partitions, replication_factor) = match &assignment {
        None => {
            let p = a.int("--partitions").ok_or_else(|| {
                error(
                    a.head,
                    "kafka-topics.sh --create needs --partitions N (or --replica-assignment)",
                )
            })?;
            let r = a.int("--replication-factor").ok_or_else(|| {
                error(
                    a.head,
                    "kafka-topics.sh --create needs --replication-factor R (or \
                     --replica-assignment)",
                )
            })?;
            (p, r)
        }
        Some(asg) => {
            let p = asg.len() as i64;
            let r = asg.first().map_or(0, |r| r.len() as i64);
            for (name, derived, what) in [
                ("--partitions", p, "partitions"),
                ("--replication-factor", r, "replicas per partition"),
            ] {
                if let Some(g) = a.flag(name) {
                    if a.int(name) != Some(derived) {
                        return Err(error(
                            g.at,
                            format!(
                                "{name} {} does not match --replica-assignment, which has \
                                 {derived} {what}",
                                show(&g.piece.text)
                            ),
                        ));
                    }
                }
            }
            (p, r)
        }
    };
    command(Command::CreateTopic {
        topic,
        partitions: i32::try_from(partitions).unwrap_or_default(),
        replication_factor: i32::try_from(replication_factor).unwrap_or_default(),
        configs,
        replica_assignment: assignment,
    })
}

fn build_describe_topics(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::DescribeTopics {
        topic: a.text("--topic"),
    })
}

fn build_list_topics(_: &Args) -> Result<Parsed, ParseError> {
    command(Command::ListTopics)
}

/// The entity of a `kafka-configs.sh` command, from `--entity-type`/`--entity-name`/
/// `--entity-default` or one of the shorthands.
fn config_entity(a: &Args) -> Result<ConfigEntity, ParseError> {
    let ways: Vec<&Got> = ["--entity-type", "--topic", "--broker", "--broker-defaults"]
        .iter()
        .filter_map(|n| a.flag(n))
        .collect();
    let mut in_order = ways.clone();
    crate::sort::sort_by_key(&mut in_order, |g| (g.at.line, g.at.col));
    if let [first, second, ..] = in_order.as_slice() {
        return Err(error(
            second.at,
            format!("{} cannot be combined with {}", second.name, first.name),
        ));
    }
    let name = a.flag("--entity-name");
    let default = a.flag("--entity-default");
    let Some(way) = in_order.first() else {
        if let Some(g) = name.or(default) {
            return Err(error(
                g.at,
                format!("{} needs --entity-type topics|brokers", g.name),
            ));
        }
        return Err(error(
            a.head,
            format!(
                "{} needs --entity-type with --entity-name or --entity-default (or --topic \
                 TOPIC, --broker ID, --broker-defaults)",
                a.spec.title()
            ),
        ));
    };
    if way.name != "--entity-type" {
        if let Some(g) = name.or(default) {
            return Err(error(
                g.at,
                format!("{} cannot be combined with {}", g.name, way.name),
            ));
        }
    }
    match way.name {
        "--topic" => Ok(ConfigEntity::Topic(a.text("--topic").unwrap_or_default())),
        "--broker" => Ok(ConfigEntity::Broker(Some(a.need_node("--broker")?))),
        "--broker-defaults" => Ok(ConfigEntity::Broker(None)),
        _ => {
            let topics = a.choice("--entity-type") == Some("topics");
            match (name, default) {
                (Some(n), Some(d)) => {
                    let (first, second) = if (n.at.line, n.at.col) < (d.at.line, d.at.col) {
                        (n, d)
                    } else {
                        (d, n)
                    };
                    Err(error(
                        second.at,
                        format!("{} cannot be combined with {}", second.name, first.name),
                    ))
                }
                (None, None) => Err(error(
                    way.at,
                    format!(
                        "--entity-type {} needs --entity-name {}",
                        if topics { "topics" } else { "brokers" },
                        if topics {
                            "TOPIC"
                        } else {
                            "ID (or --entity-default)"
                        }
                    ),
                )),
                (None, Some(d)) if topics => Err(error(
                    d.at,
                    "topics have no default entity: use --entity-name TOPIC",
                )),
                (None, Some(_)) => Ok(ConfigEntity::Broker(None)),
                (Some(n), None) if topics => {
                    check_topic(&n.piece)?;
                    Ok(ConfigEntity::Topic(n.piece.text.clone()))
                }
                (Some(n), None) => {
                    let id = parse_int(
                        &n.piece,
                        "--entity-name of a broker",
                        ValueKind::Node,
                        0,
                        MAX_NODE_ID,
                    )?;
                    Ok(ConfigEntity::Broker(Some(
                        NodeId::try_from(id).unwrap_or_default(),
                    )))
                }
            }
        }
    }
}

fn build_alter_configs(a: &Args) -> Result<Parsed, ParseError> {
    let entity = config_entity(a)?;
    let set = match a.flag("--add-config") {
        Some(Got {
            val: Val::Pairs(p), ..
        }) => p.clone(),
        _ => Vec::new(),
    };
    let (delete, delete_at) = match a.flag("--delete-config") {
        Some(Got {
            val: Val::Names(n),
            piece,
            ..
        }) => (n.clone(), piece.start),
        _ => (Vec::new(), a.head),
    };
    if set.is_empty() && delete.is_empty() {
        return Err(error(
            a.head,
            "kafka-configs.sh --alter needs --add-config KEY=VALUE,... or --delete-config KEY,...",
        ));
    }
    if let Some(name) = delete.iter().find(|d| set.iter().any(|(k, _)| k == *d)) {
        return Err(error(
            delete_at,
            format!(
                "`{}` is both in --add-config and in --delete-config",
                show(name)
            ),
        ));
    }
    command(Command::AlterConfigs {
        entity,
        set,
        delete,
    })
}

fn build_describe_configs(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::DescribeConfigs {
        entity: config_entity(a)?,
    })
}

fn build_elect_leaders(a: &Args) -> Result<Parsed, ParseError> {
    let election = match a.choice("--election-type") {
        Some("UNCLEAN") => ElectionType::Unclean,
        Some(_) => ElectionType::Preferred,
        None => return Err(a.missing("--election-type")),
    };
    let all = a.flag("--all-topic-partitions");
    let topic = a.flag("--topic");
    let partition = a.flag("--partition");
    if let Some(all) = all {
        if let Some(g) = topic.or(partition) {
            let (first, second) = if (g.at.line, g.at.col) < (all.at.line, all.at.col) {
                (g, all)
            } else {
                (all, g)
            };
            return Err(error(
                second.at,
                format!("{} cannot be combined with {}", second.name, first.name),
            ));
        }
        return command(Command::ElectLeaders {
            election,
            partition: None,
        });
    }
    let partition = match (topic, partition) {
        (Some(_), Some(_)) => TopicPartition {
            topic: a.text("--topic").unwrap_or_default().into(),
            partition: i32::try_from(a.int("--partition").unwrap_or_default()).unwrap_or_default(),
        },
        (Some(t), None) => return Err(error(t.at, "--topic needs --partition P as well")),
        (None, Some(p)) => return Err(error(p.at, "--partition needs --topic TOPIC as well")),
        (None, None) => {
            return Err(error(
                a.head,
                "kafka-leader-election.sh needs --topic TOPIC --partition P, or \
                 --all-topic-partitions",
            ))
        }
    };
    command(Command::ElectLeaders {
        election,
        partition: Some(partition),
    })
}

fn build_describe_quorum(a: &Args) -> Result<Parsed, ParseError> {
    match (a.flag("--status"), a.flag("--replication")) {
        (Some(s), Some(r)) => {
            let (first, second) = if (s.at.line, s.at.col) < (r.at.line, r.at.col) {
                (s, r)
            } else {
                (r, s)
            };
            Err(error(
                second.at,
                format!("{} cannot be combined with {}", second.name, first.name),
            ))
        }
        (Some(_), None) => command(Command::DescribeQuorum { replication: false }),
        (None, Some(_)) => command(Command::DescribeQuorum { replication: true }),
        (None, None) => Err(error(
            a.head,
            "kafka-metadata-quorum.sh describe needs --status or --replication",
        )),
    }
}

fn build_produce(a: &Args) -> Result<Parsed, ParseError> {
    let partition = a
        .partition("PARTITION")
        .ok_or_else(|| a.missing("PARTITION"))?;
    let acks = match a.choice("--acks") {
        Some("0") => Acks::None,
        Some("1") => Acks::Leader,
        _ => Acks::All,
    };
    command(Command::Produce {
        partition,
        count: i32::try_from(a.need_int("--count")?).unwrap_or(1),
        acks,
        key: a.text("--key"),
        value: a.text("--value"),
        timeout_ms: a.need_int("--timeout-ms")?,
    })
}

fn build_consume(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Consume {
        partition: a
            .partition("PARTITION")
            .ok_or_else(|| a.missing("PARTITION"))?,
        from_offset: a.need_int("--from")?,
    })
}

/// "--b cannot be combined with --a", pointing at whichever of the two comes second.
fn conflict(x: &Got, y: &Got) -> ParseError {
    let (first, second) = if (x.at.line, x.at.col) <= (y.at.line, y.at.col) {
        (x, y)
    } else {
        (y, x)
    };
    error(
        second.at,
        format!("{} cannot be combined with {}", second.name, first.name),
    )
}

/// The one of these flags that is given, if any; an error if two are.
fn at_most_one<'a>(a: &'a Args, names: &[&str]) -> Result<Option<&'a Got>, ParseError> {
    let mut given: Vec<&Got> = names.iter().filter_map(|n| a.flag(n)).collect();
    crate::sort::sort_by_key(&mut given, |g| (g.at.line, g.at.col));
    match given.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        [first, second, ..] => Err(conflict(first, second)),
    }
}

/// The sandbox knobs `consumer set` can change on a running consumer.
fn running_consumer_configs() -> impl Iterator<Item = &'static ConfigDef> {
    CONSUMER_CONFIGS.iter().filter(|c| c.dynamic)
}

/// A consumer config as `consumer start --consumer-property` and `consumer set` take it: a
/// config Kafka's consumer (or the sandbox) has, with a value of its type, checked as Kafka's
/// `ConfigDef` checks it. A sandbox knob may be named without its `sandbox.` prefix; the
/// result always has the full name. `running`: only what can change on a running consumer.
fn consumer_property(
    p: &Piece,
    subject: &str,
    running: bool,
) -> Result<(String, String), ParseError> {
    parse_pair(p, subject)?;
    let eq = p.find('=').unwrap_or_default();
    let key = p.slice(0, eq);
    let value = p.slice(eq + 1, p.len());
    let def = consumer_config(&key.text)
        .or_else(|| consumer_config(&format!("sandbox.{}", key.text)))
        .filter(|d| !running || d.dynamic || d.name == key.text);
    let Some(def) = def else {
        if !running && key.text == "group.id" {
            return Err(error(
                key.start,
                format!("{subject}: give the group with --group GROUP rather than group.id"),
            ));
        }
        if key.text == "client.id" {
            return Err(error(
                key.start,
                format!("{subject}: a consumer's client.id is its NAME"),
            ));
        }
        let names: Vec<&str> = if running {
            running_consumer_configs().map(|c| c.name).collect()
        } else {
            CONSUMER_CONFIGS.iter().map(|c| c.name).collect()
        };
        return Err(error_with(
            key.start,
            format!("{subject}: unknown consumer config `{}`", show(&key.text)),
            suggest(&key.text, names.iter().copied()),
        ));
    };
    if running && !def.dynamic {
        let knobs: Vec<&str> = running_consumer_configs().map(|c| c.name).collect();
        return Err(error(
            key.start,
            format!(
                "{subject}: {} is fixed when the consumer starts (consumer start \
                 --consumer-property); a running consumer can change only {}",
                def.name,
                knobs.join(" and ")
            ),
        ));
    }
    if let Err(message) = crate::config::validate(def, &value.text) {
        return Err(error(value.start, format!("{subject}: {message}")));
    }
    Ok((def.name.to_string(), value.text))
}

fn need_name(a: &Args, name: &str) -> Result<String, ParseError> {
    a.text(name).ok_or_else(|| a.missing(name))
}

fn build_consumer_start(a: &Args) -> Result<Parsed, ParseError> {
    let name = need_name(a, "NAME")?;
    let mut topics: Vec<String> = Vec::new();
    let mut assign: Vec<TopicPartition> = Vec::new();
    let mut properties: Vec<(String, String)> = Vec::new();
    for g in &a.flags {
        match (&g.val, g.name) {
            (Val::Names(list), "--topic") => {
                if let Some(t) = list.iter().find(|t| topics.contains(t)) {
                    return Err(error(
                        g.piece.start,
                        format!("--topic: `{}` is given twice", show(t)),
                    ));
                }
                topics.extend(list.iter().cloned());
            }
            (Val::Partitions(list), _) => {
                if let Some(tp) = list.iter().find(|tp| assign.contains(tp)) {
                    return Err(error(
                        g.piece.start,
                        format!("--assign: `{tp}` is given twice"),
                    ));
                }
                assign.extend(list.iter().cloned());
            }
            (_, "--consumer-property") => {
                let (key, value) = consumer_property(&g.piece, g.name, false)?;
                if properties.iter().any(|(k, _)| *k == key) {
                    return Err(error(
                        g.piece.start,
                        format!("--consumer-property: `{key}` is given twice"),
                    ));
                }
                properties.push((key, value));
            }
            _ => {}
        }
    }
    let group = a.text("--group");
    match (a.flag("--topic"), a.flag("--assign")) {
        (Some(t), Some(s)) => {
            let mut e = conflict(t, s);
            e.message
                .push_str(": a consumer either subscribes to topics or is assigned partitions");
            return Err(e);
        }
        (Some(t), None) if group.is_none() => {
            return Err(error(
                t.at,
                "--topic needs --group GROUP: a consumer subscribes to topics through a group \
                 (or use --assign PARTITION,... to read partitions without one)",
            ))
        }
        (None, None) => {
            return Err(error(
                a.head,
                "consumer start needs --topic TOPIC,... --group GROUP (to subscribe) or \
                 --assign PARTITION,... (to read given partitions)",
            ))
        }
        _ => {}
    }
    command(Command::ConsumerStart {
        name,
        group,
        topics,
        assign,
        properties,
    })
}

fn build_dump_log(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::DumpLog {
        partition: a.partition("--files").ok_or_else(|| a.missing("--files"))?,
        broker: a.int("--broker").and_then(|b| NodeId::try_from(b).ok()),
        print_data_log: a.flag("--print-data-log").is_some(),
    })
}

fn build_producer_start(a: &Args) -> Result<Parsed, ParseError> {
    let name = need_name(a, "NAME")?;
    let mut properties: Vec<(String, String)> = Vec::new();
    for g in &a.flags {
        if g.name == "--producer-property" {
            let (key, value) = producer_property(&g.piece)?;
            if properties.iter().any(|(k, _)| *k == key) {
                return Err(error(
                    g.piece.start,
                    format!("--producer-property: `{key}` is given twice"),
                ));
            }
            properties.push((key, value));
        }
    }
    command(Command::ProducerStart { name, properties })
}

/// A producer config as `producer start --producer-property` takes it, checked as Kafka's
/// `ConfigDef` checks it.
fn producer_property(p: &Piece) -> Result<(String, String), ParseError> {
    let subject = "--producer-property";
    parse_pair(p, subject)?;
    let eq = p.find('=').unwrap_or_default();
    let key = p.slice(0, eq);
    let value = p.slice(eq + 1, p.len());
    let Some(def) = producer_config(&key.text) else {
        if key.text == "client.id" {
            return Err(error(
                key.start,
                format!("{subject}: a producer's client.id is its NAME"),
            ));
        }
        return Err(error_with(
            key.start,
            format!("{subject}: unknown producer config `{}`", show(&key.text)),
            suggest(&key.text, PRODUCER_CONFIGS.iter().map(|c| c.name)),
        ));
    };
    if let Err(message) = crate::config::validate(def, &value.text) {
        return Err(error(value.start, format!("{subject}: {message}")));
    }
    Ok((def.name.to_string(), value.text))
}

fn build_producer_send(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ProducerSend {
        name: need_name(a, "NAME")?,
        topic: need_name(a, "TOPIC")?,
        count: i32::try_from(a.need_int("--count")?).unwrap_or(1),
        key: a.text("--key"),
        value: a.text("--value"),
        partition: a.int("--partition").and_then(|p| i32::try_from(p).ok()),
    })
}

fn producer_action_command(a: &Args, action: ProducerAction) -> Result<Parsed, ParseError> {
    command(Command::ProducerAction {
        name: need_name(a, "NAME")?,
        action,
    })
}

fn build_producer_flush(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Flush)
}

fn build_producer_begin(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Begin)
}

fn build_producer_commit(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Commit)
}

fn build_producer_abort(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Abort)
}

fn build_producer_stop(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Stop)
}

fn build_producer_crash(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Crash)
}

fn build_producer_restart(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Restart)
}

fn build_producer_send_offsets(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ProducerSendOffsets {
        name: need_name(a, "NAME")?,
        group: need_name(a, "--group")?,
    })
}

fn build_consumer_stop(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerStop {
        name: need_name(a, "NAME")?,
    })
}

fn build_consumer_crash(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerCrash {
        name: need_name(a, "NAME")?,
    })
}

fn build_consumer_restart(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerRestart {
        name: need_name(a, "NAME")?,
    })
}

fn build_consumer_set(a: &Args) -> Result<Parsed, ParseError> {
    let name = need_name(a, "NAME")?;
    let setting = a.arg("KEY=VALUE").ok_or_else(|| a.missing("KEY=VALUE"))?;
    let (key, value) = consumer_property(&setting.piece, "consumer set", true)?;
    command(Command::ConsumerSet { name, key, value })
}

fn build_groups_list(_: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerGroups(GroupsCommand::List))
}

fn build_groups_describe(a: &Args) -> Result<Parsed, ParseError> {
    let group = need_name(a, "--group")?;
    let what = match at_most_one(a, &["--offsets", "--members", "--state"])? {
        Some(g) if g.name == "--members" => DescribeGroup::Members {
            verbose: a.flag("--verbose").is_some(),
        },
        Some(g) if g.name == "--state" => DescribeGroup::State,
        _ => DescribeGroup::Offsets,
    };
    if let Some(v) = a.flag("--verbose") {
        if !matches!(what, DescribeGroup::Members { .. }) {
            return Err(error(
                v.at,
                "--verbose works with --members only: add --members to see each member's \
                 assignment",
            ));
        }
    }
    command(Command::ConsumerGroups(GroupsCommand::Describe {
        group,
        what,
    }))
}

fn build_groups_reset(a: &Args) -> Result<Parsed, ParseError> {
    let group = need_name(a, "--group")?;
    let topics = match at_most_one(a, &["--topic", "--all-topics"])? {
        Some(g) if g.name == "--all-topics" => None,
        Some(_) => Some(
            a.flags
                .iter()
                .filter_map(|g| match &g.val {
                    Val::TopicScope(t, ps) => Some((t.clone(), ps.clone())),
                    _ => None,
                })
                .collect(),
        ),
        None => {
            return Err(error(
                a.head,
                "kafka-consumer-groups.sh --reset-offsets needs --topic TOPIC or --all-topics \
                 (Kafka: One of the reset scopes should be defined: --all-topics, --topic.)",
            ))
        }
    };
    let scenarios = ["--to-earliest", "--to-latest", "--to-offset", "--shift-by"];
    let to = match at_most_one(a, &scenarios)?.map(|g| g.name) {
        Some("--to-earliest") => ResetTo::Earliest,
        Some("--to-latest") => ResetTo::Latest,
        Some("--to-offset") => ResetTo::Offset(a.need_int("--to-offset")?),
        Some(_) => ResetTo::ShiftBy(a.need_int("--shift-by")?),
        None => {
            return Err(error(
                a.head,
                "kafka-consumer-groups.sh --reset-offsets needs one of --to-earliest, \
                 --to-latest, --to-offset N, --shift-by N",
            ))
        }
    };
    let execute = match (a.flag("--dry-run"), a.flag("--execute")) {
        (Some(d), Some(e)) => {
            let mut c = conflict(d, e);
            c.message
                .push_str(": --reset-offsets does one or the other (--dry-run is the default)");
            return Err(c);
        }
        (_, e) => e.is_some(),
    };
    command(Command::ConsumerGroups(GroupsCommand::ResetOffsets {
        group,
        topics,
        to,
        execute,
    }))
}

fn build_groups_delete(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerGroups(GroupsCommand::Delete {
        group: need_name(a, "--group")?,
    }))
}

fn build_crash(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Crash {
        node: a.need_node("NODE")?,
    })
}

fn build_restart(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Restart {
        node: a.need_node("NODE")?,
    })
}

fn build_shutdown(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Shutdown {
        node: a.need_node("NODE")?,
    })
}

const SIDES: &str = "NODE,... | NODE,...";

fn build_partition(a: &Args) -> Result<Parsed, ParseError> {
    let (side_a, side_b) = a.sides(SIDES).ok_or_else(|| a.missing(SIDES))?;
    command(Command::Partition { side_a, side_b })
}

fn build_heal(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Heal {
        sides: a.sides(SIDES),
    })
}

fn build_slow(a: &Args) -> Result<Parsed, ParseError> {
    let x = a.need_node("A")?;
    let y = a.need_node("B")?;
    if x == y {
        let at = a.arg("B").map_or(a.head, |g| g.at);
        return Err(error(
            at,
            format!("slow needs two different nodes, got {x} twice"),
        ));
    }
    command(Command::SlowLink {
        a: x,
        b: y,
        latency_ms: a.need_int("--latency-ms")?,
    })
}

fn build_pause_fetch(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::PauseFetch {
        broker: a.need_node("BROKER")?,
        partition: a.partition("PARTITION"),
    })
}

fn build_resume_fetch(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ResumeFetch {
        broker: a.need_node("BROKER")?,
        partition: a.partition("PARTITION"),
    })
}

fn build_step(a: &Args) -> Result<Parsed, ParseError> {
    match a.flag("--until") {
        Some(_) => {
            if let Some(n) = a.arg("N") {
                return Err(error(
                    n.at,
                    "step N cannot be combined with --until: use --max N to limit the steps",
                ));
            }
            let filter = match a.choice("--until") {
                Some("election") => EventFilter::Election,
                Some("isr-change") => EventFilter::IsrChange,
                Some("produce-ack") => EventFilter::ProduceAck,
                Some("controller-change") => EventFilter::ControllerChange,
                Some("hw") => EventFilter::HighWatermark,
                Some("rebalance") => EventFilter::Rebalance,
                _ => return Err(a.missing("--until")),
            };
            command(Command::StepUntil {
                filter,
                max_steps: a.need_int("--max")?,
            })
        }
        None => {
            if let Some(max) = a.flag("--max") {
                return Err(error(max.at, "--max only works with --until EVENT"));
            }
            command(Command::Step {
                count: a.need_int("N")?,
            })
        }
    }
}

fn build_run(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Run {
        duration_ms: a.need_int("DURATION")?,
    })
}

fn build_back(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Back {
        steps: a.need_int("N")?,
    })
}

fn build_seek(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Seek {
        step: a.need_int("N")?,
    })
}

fn build_fork(_: &Args) -> Result<Parsed, ParseError> {
    command(Command::Fork)
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring case.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    // rows[i][j]: distance between a[..i] and b[..j]; three rolling rows.
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur: Vec<usize> = vec![0; width];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let mut d = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + cost);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or_default()
}

/// The known word closest to `word`, if it is close enough to be what was meant.
fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let len = word.chars().count();
    let mut best: Option<(usize, &str)> = None;
    for c in &candidates {
        let clen = c.chars().count();
        let limit = match clen {
            0..=2 => 0,
            3..=5 => 1,
            6..=10 => 2,
            _ => 3,
        };
        if len.abs_diff(clen) > limit {
            continue;
        }
        let d = distance(word, c);
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    if let Some((_, c)) = best {
        return Some(c.to_string());
    }
    // A unique completion of a long enough prefix: `--replication` for `--replication-factor`.
    let lower = word.to_lowercase();
    if lower.trim_start_matches('-').chars().count() < 3 {
        return None;
    }
    let mut prefixed = candidates
        .iter()
        .filter(|c| c.to_lowercase().starts_with(&lower));
    match (prefixed.next(), prefixed.next()) {
        (Some(c), None) => Some(c.to_string()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Completions

/// Completions for the word being typed at the end of `input`: command names for the first
/// word, then the flags of the command (its modes first, for a Kafka tool with modes), or the
/// values of a flag that takes one of a few words (`--acks `, `--election-type `).
///
/// Each candidate is a whole word that replaces the word being typed: the text after the last
/// whitespace (nothing, if `input` ends with whitespace). Flags already given are left out.
pub fn completions(input: &str) -> Vec<String> {
    let ends_in_space = input.chars().last().is_none_or(char::is_whitespace);
    let words: Vec<&str> = input.split_whitespace().collect();
    let (done, current): (&[&str], &str) = if ends_in_space {
        (&words, "")
    } else {
        match words.split_last() {
            Some((last, done)) => (done, last),
            None => (&[], ""),
        }
    };
    let matching = |w: &str| w.starts_with(current);
    let Some(first) = done.first() else {
        return command_names()
            .into_iter()
            .filter(|w| matching(w))
            .map(str::to_string)
            .collect();
    };
    let specs = specs_named(tool_name(first));
    if specs.is_empty() {
        return Vec::new();
    }
    let flag_name = |w: &str| w.split('=').next().unwrap_or(w).to_string();
    let given: Vec<String> = done.iter().skip(1).map(|w| flag_name(w)).collect();
    let spec = if specs.iter().any(|s| s.has_flag_mode()) {
        specs
            .iter()
            .find(|s| s.mode.is_some_and(|m| given.iter().any(|g| g == m)))
            .copied()
    } else if specs.len() > 1 {
        // Subcommands: the first word after the name that is one.
        done.iter()
            .skip(1)
            .filter(|w| !w.starts_with('-'))
            .find_map(|w| specs.iter().find(|s| s.mode == Some(*w)))
            .copied()
    } else {
        specs.first().copied()
    };
    // The value of the flag just before?
    if let Some(prev) = done
        .last()
        .filter(|w| w.starts_with("--") && !w.contains('='))
    {
        let flag = match spec {
            Some(s) => s.flag(prev),
            None => specs.iter().find_map(|s| s.flag(prev)),
        };
        if let Some(f) = flag.filter(|f| f.kind != ValueKind::Switch) {
            let lower = current.to_lowercase();
            return match f.kind {
                ValueKind::Choice(values) => values
                    .iter()
                    .filter(|v| v.to_lowercase().starts_with(&lower))
                    .map(|v| v.to_string())
                    .collect(),
                ValueKind::Config if f.name == "--consumer-property" => {
                    config_keys(CONSUMER_CONFIGS.iter(), current)
                }
                ValueKind::Config if f.name == "--producer-property" => {
                    config_keys(PRODUCER_CONFIGS.iter(), current)
                }
                _ => Vec::new(),
            };
        }
    }
    let Some(spec) = spec else {
        if !specs.iter().any(|s| s.has_flag_mode()) {
            // Subcommands.
            if current.starts_with('-') {
                return Vec::new();
            }
            return specs
                .iter()
                .filter_map(|s| s.mode)
                .filter(|m| matching(m))
                .map(str::to_string)
                .collect();
        }
        if !current.is_empty() && !current.starts_with('-') {
            return Vec::new();
        }
        return specs
            .iter()
            .filter_map(|s| s.mode)
            .filter(|m| matching(m))
            .map(str::to_string)
            .collect();
    };
    // `consumer set NAME `: the knobs a running consumer can change.
    if spec.name == "consumer" && spec.mode == Some("set") {
        let positionals = done.iter().skip(1).filter(|w| !w.starts_with('-')).count();
        if positionals == 2 && !current.starts_with('-') {
            return config_keys(running_consumer_configs(), current);
        }
    }
    let mut out: Vec<String> = Vec::new();
    if let Some(word) = spec.mode.filter(|m| !m.starts_with('-')) {
        if !done.contains(&word) && matching(word) {
            out.push(word.to_string());
        }
    }
    if current.is_empty() || current.starts_with('-') {
        for f in spec.flags.iter().filter(|f| !f.hidden) {
            if (f.repeatable || !given.iter().any(|g| g == f.name)) && matching(f.name) {
                out.push(f.name.to_string());
            }
        }
    }
    out
}

/// `name=` for each config whose name starts with `current`.
fn config_keys<'a>(configs: impl Iterator<Item = &'a ConfigDef>, current: &str) -> Vec<String> {
    configs
        .filter(|c| c.name.starts_with(current))
        .map(|c| format!("{}=", c.name))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The reference

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The command reference, rendered from the table as Markdown (the generated part of
/// `docs/commands.md`).
pub fn help_markdown() -> String {
    let mut out = String::new();
    out.push_str("| Command | What it does |\n| --- | --- |\n");
    for spec in COMMANDS {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            cell(&spec.title()),
            cell(spec.summary)
        ));
    }
    let mut group = "";
    for spec in COMMANDS {
        if spec.group != group {
            group = spec.group;
            out.push_str(&format!("\n## {group}\n"));
        }
        out.push_str(&format!("\n### `{}`\n\n{}\n\n", spec.title(), spec.summary));
        out.push_str(&format!("```text\n{}\n```\n", spec.usage));
        if !spec.aliases.is_empty() {
            let aliases: Vec<String> = spec.aliases.iter().map(|a| format!("`{a}`")).collect();
            out.push_str(&format!("\nAlso spelled {}.\n", aliases.join(", ")));
        }
        let rows: Vec<(String, String)> = spec
            .args
            .iter()
            .map(|a| (a.metavar.to_string(), describe(a.help, a.kind, a.default)))
            .chain(spec.flags.iter().filter(|f| !f.hidden).map(|f| {
                let name = if f.metavar.is_empty() {
                    f.name.to_string()
                } else {
                    format!("{} {}", f.name, f.metavar)
                };
                (name, describe(f.help, f.kind, f.default))
            }))
            .collect();
        if !rows.is_empty() {
            out.push_str("\n| Argument | Meaning |\n| --- | --- |\n");
            for (name, meaning) in rows {
                out.push_str(&format!("| `{}` | {} |\n", cell(&name), cell(&meaning)));
            }
        }
        out.push_str(&format!("\nExample:\n\n```text\n{}\n```\n", spec.example));
    }
    out
}

fn describe(help: &str, kind: ValueKind, default: Option<&str>) -> String {
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

// ---------------------------------------------------------------------------------------------
// Back to text

fn format_groups_command(command: &crate::command::GroupsCommand) -> String {
    use crate::command::{DescribeGroup, GroupsCommand, ResetTo};
    let base = "kafka-consumer-groups.sh";
    match command {
        GroupsCommand::List => format!("{base} --list"),
        GroupsCommand::Describe { group, what } => {
            let extra = match what {
                DescribeGroup::Offsets => "",
                DescribeGroup::Members { verbose: false } => " --members",
                DescribeGroup::Members { verbose: true } => " --members --verbose",
                DescribeGroup::State => " --state",
            };
            format!("{base} --describe --group {}{extra}", quote(group))
        }
        GroupsCommand::ResetOffsets {
            group,
            topics,
            to,
            execute,
        } => {
            let mut s = format!("{base} --reset-offsets --group {}", quote(group));
            match topics {
                None => s.push_str(" --all-topics"),
                Some(list) => {
                    for (topic, partitions) in list {
                        let spec = match partitions {
                            None => topic.clone(),
                            Some(ps) => {
                                let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
                                format!("{topic}:{}", ps.join(","))
                            }
                        };
                        s.push_str(&format!(" --topic {}", quote(&spec)));
                    }
                }
            }
            s.push_str(&match to {
                ResetTo::Earliest => " --to-earliest".to_string(),
                ResetTo::Latest => " --to-latest".to_string(),
                ResetTo::Offset(n) => format!(" --to-offset {n}"),
                ResetTo::ShiftBy(n) => format!(" --shift-by {n}"),
            });
            s.push_str(if *execute { " --execute" } else { " --dry-run" });
            s
        }
        GroupsCommand::Delete { group } => format!("{base} --delete --group {}", quote(group)),
    }
}

/// A command as text that [`parse_command`] reads back to the same command (for shared links
/// and saved scripts). Values cannot contain line breaks.
pub fn format_command(command: &Command) -> String {
    match command {
        Command::ConsumerStart {
            name,
            group,
            topics,
            assign,
            properties,
        } => {
            let mut s = format!("consumer start {}", quote(name));
            if !topics.is_empty() {
                s.push_str(&format!(" --topic {}", quote(&topics.join(","))));
            }
            if !assign.is_empty() {
                let list: Vec<String> = assign.iter().map(|tp| tp.to_string()).collect();
                s.push_str(&format!(" --assign {}", quote(&list.join(","))));
            }
            if let Some(g) = group {
                s.push_str(&format!(" --group {}", quote(g)));
            }
            for (k, v) in properties {
                s.push_str(&format!(
                    " --consumer-property {}",
                    quote(&format!("{k}={v}"))
                ));
            }
            s
        }
        Command::ProducerStart { name, properties } => {
            let mut s = format!("producer start {}", quote(name));
            for (k, v) in properties {
                s.push_str(&format!(
                    " --producer-property {}",
                    quote(&format!("{k}={v}"))
                ));
            }
            s
        }
        Command::ProducerSend {
            name,
            topic,
            count,
            key,
            value,
            partition,
        } => {
            let mut s = format!(
                "producer send {} {} --count {count}",
                quote(name),
                quote(topic)
            );
            if let Some(k) = key {
                s.push_str(&format!(" --key {}", quote(k)));
            }
            if let Some(v) = value {
                s.push_str(&format!(" --value {}", quote(v)));
            }
            if let Some(p) = partition {
                s.push_str(&format!(" --partition {p}"));
            }
            s
        }
        Command::ProducerAction { name, action } => {
            format!("producer {} {}", action.name(), quote(name))
        }
        Command::ProducerSendOffsets { name, group } => format!(
            "producer send-offsets {} --group {}",
            quote(name),
            quote(group)
        ),
        Command::ConsumerStop { name } => format!("consumer stop {}", quote(name)),
        Command::ConsumerCrash { name } => format!("consumer crash {}", quote(name)),
        Command::ConsumerRestart { name } => format!("consumer restart {}", quote(name)),
        Command::ConsumerSet { name, key, value } => {
            format!(
                "consumer set {} {}",
                quote(name),
                quote(&format!("{key}={value}"))
            )
        }
        Command::ConsumerGroups(g) => format_groups_command(g),
        Command::CreateTopic {
            topic,
            partitions,
            replication_factor,
            configs,
            replica_assignment,
        } => {
            let mut s = format!("kafka-topics.sh --create --topic {}", quote(topic));
            match replica_assignment {
                Some(asg) => {
                    let parts: Vec<String> = asg
                        .iter()
                        .map(|r| {
                            r.iter()
                                .map(NodeId::to_string)
                                .collect::<Vec<_>>()
                                .join(":")
                        })
                        .collect();
                    s.push_str(&format!(
                        " --replica-assignment {}",
                        quote(&parts.join(","))
                    ));
                }
                None => s.push_str(&format!(
                    " --partitions {partitions} --replication-factor {replication_factor}"
                )),
            }
            for (k, v) in configs {
                s.push_str(&format!(" --config {}", quote(&format!("{k}={v}"))));
            }
            s
        }
        Command::DescribeTopics { topic } => match topic {
            Some(t) => format!("kafka-topics.sh --describe --topic {}", quote(t)),
            None => "kafka-topics.sh --describe".to_string(),
        },
        Command::ListTopics => "kafka-topics.sh --list".to_string(),
        Command::AlterConfigs {
            entity,
            set,
            delete,
        } => {
            let mut s = format!("kafka-configs.sh --alter {}", format_entity(entity));
            if !set.is_empty() {
                let items: Vec<String> = set
                    .iter()
                    .map(|(k, v)| {
                        if v.contains(',') || (v.starts_with('[') && v.ends_with(']')) {
                            format!("{k}=[{v}]")
                        } else {
                            format!("{k}={v}")
                        }
                    })
                    .collect();
                s.push_str(&format!(" --add-config {}", quote(&items.join(","))));
            }
            if !delete.is_empty() {
                s.push_str(&format!(" --delete-config {}", quote(&delete.join(","))));
            }
            s
        }
        Command::DescribeConfigs { entity } => {
            format!("kafka-configs.sh --describe {}", format_entity(entity))
        }
        Command::ElectLeaders {
            election,
            partition,
        } => {
            let kind = match election {
                ElectionType::Preferred => "PREFERRED",
                ElectionType::Unclean => "UNCLEAN",
            };
            match partition {
                Some(tp) => format!(
                    "kafka-leader-election.sh --election-type {kind} --topic {} --partition {}",
                    quote(&tp.topic),
                    tp.partition
                ),
                None => format!(
                    "kafka-leader-election.sh --election-type {kind} --all-topic-partitions"
                ),
            }
        }
        Command::AlterTopicPartitions { topic, partitions } => format!(
            "kafka-topics.sh --alter --topic {} --partitions {partitions}",
            quote(topic)
        ),
        Command::DumpLog {
            partition,
            broker,
            print_data_log,
        } => {
            let mut s = format!(
                "kafka-dump-log.sh --files {}",
                quote(&partition.to_string())
            );
            if let Some(b) = broker {
                s.push_str(&format!(" --broker {b}"));
            }
            if *print_data_log {
                s.push_str(" --print-data-log");
            }
            s
        }
        Command::DescribeQuorum { replication } => format!(
            "kafka-metadata-quorum.sh describe {}",
            if *replication {
                "--replication"
            } else {
                "--status"
            }
        ),
        Command::Produce {
            partition,
            count,
            acks,
            key,
            value,
            timeout_ms,
        } => {
            let mut s = format!("produce {}", quote(&partition.to_string()));
            if *count != 1 {
                s.push_str(&format!(" --count {count}"));
            }
            match acks {
                Acks::All => {}
                Acks::Leader => s.push_str(" --acks 1"),
                Acks::None => s.push_str(" --acks 0"),
            }
            if let Some(k) = key {
                s.push_str(&format!(" --key {}", quote(k)));
            }
            if let Some(v) = value {
                s.push_str(&format!(" --value {}", quote(v)));
            }
            if *timeout_ms != 30_000 {
                s.push_str(&format!(" --timeout-ms {timeout_ms}"));
            }
            s
        }
        Command::Consume {
            partition,
            from_offset,
        } => {
            let mut s = format!("consume {}", quote(&partition.to_string()));
            if *from_offset != 0 {
                s.push_str(&format!(" --from {from_offset}"));
            }
            s
        }
        Command::Crash { node } => format!("crash {node}"),
        Command::Restart { node } => format!("restart {node}"),
        Command::Shutdown { node } => format!("shutdown {node}"),
        Command::Partition { side_a, side_b } => {
            format!("partition {}", format_sides(side_a, side_b))
        }
        Command::Heal { sides } => match sides {
            Some((a, b)) => format!("heal {}", format_sides(a, b)),
            None => "heal".to_string(),
        },
        Command::SlowLink { a, b, latency_ms } => {
            format!("slow {a} {b} --latency-ms {latency_ms}")
        }
        Command::PauseFetch { broker, partition } => match partition {
            Some(tp) => format!("pause-fetch {broker} {}", quote(&tp.to_string())),
            None => format!("pause-fetch {broker}"),
        },
        Command::ResumeFetch { broker, partition } => match partition {
            Some(tp) => format!("resume-fetch {broker} {}", quote(&tp.to_string())),
            None => format!("resume-fetch {broker}"),
        },
        Command::Step { count } => {
            if *count == 1 {
                "step".to_string()
            } else {
                format!("step {count}")
            }
        }
        Command::StepUntil { filter, max_steps } => {
            let event = match filter {
                EventFilter::Election => "election",
                EventFilter::IsrChange => "isr-change",
                EventFilter::ProduceAck => "produce-ack",
                EventFilter::ControllerChange => "controller-change",
                EventFilter::HighWatermark => "hw",
                EventFilter::Rebalance => "rebalance",
            };
            if *max_steps == 10_000 {
                format!("step --until {event}")
            } else {
                format!("step --until {event} --max {max_steps}")
            }
        }
        Command::Run { duration_ms } => format!("run {}", format_duration(*duration_ms)),
        Command::Back { steps } => {
            if *steps == 1 {
                "back".to_string()
            } else {
                format!("back {steps}")
            }
        }
        Command::Seek { step } => format!("seek {step}"),
        Command::Fork => "fork".to_string(),
    }
}

/// A script as text that [`parse_script`] reads back to the same cluster and commands (line
/// numbers aside).
pub fn format_script(script: &Script) -> String {
    let mut out = String::new();
    if script.cluster != ClusterSpec::default() {
        let c = &script.cluster;
        out.push_str(&format!(
            "cluster --brokers {} --controllers {}",
            c.brokers, c.controllers
        ));
        if !c.racks.is_empty() {
            out.push_str(&format!(" --racks {}", quote(&c.racks.join(","))));
        }
        out.push_str(&format!(" --seed {}\n", c.seed));
    }
    for c in &script.commands {
        out.push_str(&format_command(&c.value));
        out.push('\n');
    }
    out
}

fn format_entity(entity: &ConfigEntity) -> String {
    match entity {
        ConfigEntity::Topic(t) => format!("--entity-type topics --entity-name {}", quote(t)),
        ConfigEntity::Broker(Some(id)) => format!("--entity-type brokers --entity-name {id}"),
        ConfigEntity::Broker(None) => "--entity-type brokers --entity-default".to_string(),
    }
}

fn format_sides(a: &[NodeId], b: &[NodeId]) -> String {
    let list = |s: &[NodeId]| {
        s.iter()
            .map(NodeId::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    format!("{} | {}", list(a), list(b))
}

fn format_duration(ms: i64) -> String {
    if ms > 0 && ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms > 0 && ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms > 0 && ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A value as one token: bare when that is unambiguous, else in double quotes.
fn quote(s: &str) -> String {
    let bare = !s.is_empty()
        && !s.starts_with("--")
        && s.chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '#' | '\\'));
    if bare {
        return s.to_string();
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}
