//! User actions as values.
//!
//! One command language drives the page's console, lessons, shared links and the CLI (see
//! `docs/commands.md`). Parsing text into a [`Command`] lives in [`crate::parse`]; applying a
//! command is the simulation's job. A run is `(seed, commands)`: the commands are the only input.
//!
//! Where Kafka has a CLI tool the command mirrors it (`kafka-topics.sh --create ...`); sandbox
//! verbs (`crash`, `partition`, `step`, ...) cover faults, time and stepping.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A node id: brokers and controllers share one id space, as `node.id` does in KRaft.
pub type NodeId = i32;

/// A topic partition such as `orders-0`. The topic name is shared (`Arc<str>`): partitions are
/// map keys in every broker, client and snapshot, and copying one must not copy its name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: Arc<str>,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<Arc<str>>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// The shape of the cluster a run starts from. A script may begin with `cluster ...`; without
/// it the defaults below apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// Number of brokers; their ids are `0..brokers`.
    pub brokers: i32,
    /// Number of KRaft controllers (voters); their ids are `100..100 + controllers`.
    pub controllers: i32,
    /// `broker.rack` per broker, in id order; empty means no racks.
    pub racks: Vec<String>,
    /// Seed of the simulation's PRNG.
    pub seed: u64,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            brokers: 3,
            controllers: 3,
            racks: Vec::new(),
            seed: 1,
        }
    }
}

/// The id of the first controller; controller `i` is `CONTROLLER_ID_BASE + i`.
pub const CONTROLLER_ID_BASE: NodeId = 100;

/// The node id of the first consumer; the n-th consumer started gets `CONSUMER_ID_BASE + n`.
pub const CONSUMER_ID_BASE: NodeId = 1000;

/// The node id of the first producer; the n-th producer started gets `PRODUCER_ID_BASE + n`.
pub const PRODUCER_ID_BASE: NodeId = 2000;

/// `kafka-consumer-groups.sh` actions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupsCommand {
    /// `--list`
    List,
    /// `--describe --group G [--members [--verbose] | --state | --offsets]`
    Describe { group: String, what: DescribeGroup },
    /// `--reset-offsets --group G (--topic T[:P,P] | --all-topics) (--to-earliest | --to-latest |
    ///  --to-offset N | --shift-by N) (--dry-run | --execute)`
    ResetOffsets {
        group: String,
        /// `None`: every topic the group has offsets for (`--all-topics`).
        topics: Option<Vec<(String, Option<Vec<i32>>)>>,
        to: ResetTo,
        execute: bool,
    },
    /// `--delete --group G`
    Delete { group: String },
}

/// What `kafka-consumer-groups.sh --describe` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DescribeGroup {
    /// The default (`--offsets`): one line per partition with offsets and lag.
    Offsets,
    /// `--members` (`verbose`: with `--verbose`, each member's assignment).
    Members { verbose: bool },
    /// `--state`
    State,
}

/// Where `--reset-offsets` moves a group's committed offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResetTo {
    Earliest,
    Latest,
    Offset(i64),
    ShiftBy(i64),
}

/// What the application does with a producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProducerAction {
    /// `flush()`
    Flush,
    /// `beginTransaction()`
    Begin,
    /// `commitTransaction()`
    Commit,
    /// `abortTransaction()`
    Abort,
    /// `close()`
    Stop,
    /// The process dies.
    Crash,
}

impl ProducerAction {
    pub fn name(self) -> &'static str {
        match self {
            ProducerAction::Flush => "flush",
            ProducerAction::Begin => "begin",
            ProducerAction::Commit => "commit",
            ProducerAction::Abort => "abort",
            ProducerAction::Stop => "stop",
            ProducerAction::Crash => "crash",
        }
    }
}

/// `acks` as the producer sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acks {
    /// `acks=0`: no response at all.
    None,
    /// `acks=1`: the leader's local append.
    Leader,
    /// `acks=all` (or -1): every replica in the ISR, subject to `min.insync.replicas`.
    All,
}

/// Which configs a `kafka-configs.sh` command addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfigEntity {
    Topic(String),
    /// A broker id, or `None` for the cluster-wide default (`--entity-default`).
    Broker(Option<NodeId>),
}

/// `kafka-leader-election.sh --election-type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElectionType {
    Preferred,
    Unclean,
}

/// Which kind of event `step --until` waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventFilter {
    /// A partition leader election (a new leader or epoch).
    Election,
    /// An ISR shrink or expand.
    IsrChange,
    /// A produce request answered.
    ProduceAck,
    /// The active controller changed.
    ControllerChange,
    /// A high watermark moved on a leader.
    HighWatermark,
    /// A consumer group started a rebalance.
    Rebalance,
}

impl EventFilter {
    /// Every filter, in the order the console and the page list them.
    pub const ALL: [EventFilter; 6] = [
        EventFilter::Election,
        EventFilter::IsrChange,
        EventFilter::ProduceAck,
        EventFilter::ControllerChange,
        EventFilter::HighWatermark,
        EventFilter::Rebalance,
    ];

    /// The words `step --until` takes, in the order of [`EventFilter::ALL`].
    pub const WORDS: [&'static str; 6] = {
        let mut words = [""; 6];
        let mut i = 0;
        while i < words.len() {
            words[i] = EventFilter::ALL[i].word();
            i += 1;
        }
        words
    };

    /// The word `step --until` takes for this filter: its one definition, which the parser,
    /// the formatter, the console and the page's Next: buttons share.
    pub const fn word(self) -> &'static str {
        match self {
            EventFilter::Election => "election",
            EventFilter::IsrChange => "isr-change",
            EventFilter::ProduceAck => "produce-ack",
            EventFilter::ControllerChange => "controller-change",
            EventFilter::HighWatermark => "hw",
            EventFilter::Rebalance => "rebalance",
        }
    }

    /// The filter a word names, if any.
    pub fn from_word(word: &str) -> Option<EventFilter> {
        EventFilter::ALL.into_iter().find(|f| f.word() == word)
    }
}

/// One user action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    // --- Kafka tools -----------------------------------------------------------------
    /// `kafka-topics.sh --create --topic T --partitions N --replication-factor R
    ///  [--config k=v]... [--replica-assignment 0:1:2,1:2:0]`
    CreateTopic {
        topic: String,
        /// -1: the cluster's `num.partitions` (KIP-464's default in CreateTopics).
        partitions: i32,
        /// -1: the cluster's `default.replication.factor`.
        replication_factor: i32,
        configs: Vec<(String, String)>,
        /// Explicit replicas per partition, overriding placement.
        replica_assignment: Option<Vec<Vec<NodeId>>>,
    },
    /// `kafka-topics.sh --describe [--topic T]`
    DescribeTopics { topic: Option<String> },
    /// `kafka-topics.sh --alter --topic T --partitions N`: more partitions (never fewer).
    AlterTopicPartitions { topic: String, partitions: i32 },
    /// `kafka-topics.sh --list`
    ListTopics,
    /// `kafka-configs.sh --alter --entity-type topics|brokers (--entity-name X | --entity-default)
    ///  [--add-config k=v,k=v] [--delete-config k,k]`
    AlterConfigs {
        entity: ConfigEntity,
        set: Vec<(String, String)>,
        delete: Vec<String>,
    },
    /// `kafka-configs.sh --describe --entity-type topics|brokers (--entity-name X | --entity-default)`
    DescribeConfigs { entity: ConfigEntity },
    /// `kafka-leader-election.sh --election-type PREFERRED|UNCLEAN
    ///  (--topic T --partition P | --all-topic-partitions)`; `None` means all partitions.
    ElectLeaders {
        election: ElectionType,
        partition: Option<TopicPartition>,
    },
    /// `kafka-delete-records.sh --offset-json-file JSON`: move each partition's log start
    /// offset (its low watermark) up to the offset given, `-1` meaning its high watermark.
    /// The JSON is the file's content, given inline:
    /// `{"partitions":[{"topic":"orders","partition":0,"offset":3}],"version":1}`.
    DeleteRecords { offsets: Vec<(TopicPartition, i64)> },
    /// `kafka-metadata-quorum.sh describe --status` (or `--replication`).
    DescribeQuorum { replication: bool },
    /// `kafka-dump-log.sh --files orders-2 [--broker N] [--print-data-log]`: a replica's
    /// batches with their producer id, epoch, sequences and markers (the leader's by default).
    DumpLog {
        partition: TopicPartition,
        broker: Option<NodeId>,
        print_data_log: bool,
    },

    // --- clients (minimal until the producer and consumer issues) -------------------
    /// `produce orders-0 [--count N] [--acks all|1|0] [--key K] [--value V]
    ///  [--timeout-ms MS]`: one producer request of `count` records.
    Produce {
        partition: TopicPartition,
        count: i32,
        acks: Acks,
        key: Option<String>,
        value: Option<String>,
        timeout_ms: i64,
    },
    /// `consume orders-0 [--from OFFSET]`: a read_uncommitted fetch, as a consumer would.
    Consume {
        partition: TopicPartition,
        from_offset: i64,
    },
    /// `consumer start NAME (--topic T,T | --assign T-P,T-P) [--group G]
    ///  [--consumer-property key=value]...`: a consumer client (`client.id` = NAME) with Kafka's
    /// consumer configs. Without `--group` it only reads what it is assigned.
    ConsumerStart {
        name: String,
        group: Option<String>,
        topics: Vec<String>,
        assign: Vec<TopicPartition>,
        /// Consumer configs under Kafka's names (see [`crate::config::CONSUMER_CONFIGS`]).
        properties: Vec<(String, String)>,
    },
    /// `consumer stop NAME`: `close()`: commit (with auto-commit), leave the group, stop.
    ConsumerStop { name: String },
    /// `consumer crash NAME`: the process dies; the group notices only by session timeout.
    ConsumerCrash { name: String },
    /// `consumer restart NAME [--consumer-property K=V]...`: start a stopped or crashed
    /// consumer again, with the same configs except those given (a redeploy with a change).
    ConsumerRestart {
        name: String,
        /// Configs that replace (or add to) the ones it ran with.
        properties: Vec<(String, String)>,
    },
    /// `consumer set NAME key=value`: change a running consumer's sandbox knob, such as
    /// `processing.ms.per.record` (to make a consumer slow).
    ConsumerSet {
        name: String,
        key: String,
        value: String,
    },
    /// `kafka-consumer-groups.sh ...`
    ConsumerGroups(GroupsCommand),
    /// `producer start NAME [--producer-property key=value]...`: a producer client
    /// (`client.id` = NAME) with Kafka's producer configs. A transactional one calls
    /// `initTransactions()` at once.
    ProducerStart {
        name: String,
        properties: Vec<(String, String)>,
    },
    /// `producer restart NAME [--producer-property key=value]...`: a stopped or crashed
    /// producer starts again as a new instance, with the same configs except those given (a
    /// redeploy with a change).
    ProducerRestart {
        name: String,
        /// Configs that replace (or add to) the ones it ran with.
        properties: Vec<(String, String)>,
    },
    /// `producer send NAME TOPIC [--count N] [--key K] [--value V] [--partition P]`:
    /// `send()` of N records (the key, if any, picks the partition).
    ProducerSend {
        name: String,
        topic: String,
        count: i32,
        key: Option<String>,
        value: Option<String>,
        partition: Option<i32>,
    },
    /// `producer flush|begin|commit|abort|stop|crash|restart NAME`.
    ProducerAction {
        name: String,
        action: ProducerAction,
    },
    /// `producer send-offsets NAME --group G`: `sendOffsetsToTransaction()` with the
    /// positions of the group's consumers (consume-transform-produce).
    ProducerSendOffsets { name: String, group: String },

    // --- faults ------------------------------------------------------------------------
    /// `crash 1` (a broker or controller id): the process dies, unflushed state included.
    Crash { node: NodeId },
    /// `restart 1`: the process starts again and rejoins.
    Restart { node: NodeId },
    /// `shutdown 1`: controlled shutdown; leadership moves away before the broker stops.
    Shutdown { node: NodeId },
    /// `partition 0,1 | 2,100`: no message crosses between the two sets until healed.
    Partition {
        side_a: Vec<NodeId>,
        side_b: Vec<NodeId>,
    },
    /// `heal` (everything) or `heal 0,1 | 2` (only between those sets).
    Heal {
        sides: Option<(Vec<NodeId>, Vec<NodeId>)>,
    },
    /// `slow 0 1 --latency-ms 300`: messages between the two nodes take this long each way.
    /// `--latency-ms` at the default restores the normal latency.
    SlowLink {
        a: NodeId,
        b: NodeId,
        latency_ms: i64,
    },
    /// `pause-fetch 2 [orders-0]`: the follower on broker 2 stops fetching (one partition or all).
    PauseFetch {
        broker: NodeId,
        partition: Option<TopicPartition>,
    },
    /// `resume-fetch 2 [orders-0]`
    ResumeFetch {
        broker: NodeId,
        partition: Option<TopicPartition>,
    },

    // --- time ----------------------------------------------------------------------------
    /// `step [N]`: deliver N messages or timers (default 1).
    Step { count: i64 },
    /// `step --until election|isr-change|produce-ack|controller-change|hw [--max N]`.
    StepUntil { filter: EventFilter, max_steps: i64 },
    /// `run 5s` / `run 250ms`: advance simulated time, processing everything due.
    Run { duration_ms: i64 },

    // --- time travel (handled by the timeline, not by the simulation) ------------------
    /// `back [N]`: go back N steps (default 1).
    Back { steps: i64 },
    /// `seek N`: go to step N of the current branch.
    Seek { step: i64 },
    /// `fork`: start a new branch at the current step; later commands apply to it.
    Fork,
}

impl Command {
    /// Whether the command only reads the cluster, as an admin client's describe or list
    /// does (`kafka-topics.sh --describe`, `kafka-dump-log.sh`, a `--dry-run` offset reset):
    /// it is answered from the state at hand (see [`crate::tools`]) and never becomes part of
    /// the run's history, so asking at a past step does not fork the run.
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            Command::DescribeTopics { .. }
                | Command::ListTopics
                | Command::DescribeConfigs { .. }
                | Command::DescribeQuorum { .. }
                | Command::DumpLog { .. }
                | Command::ConsumerGroups(
                    GroupsCommand::List
                        | GroupsCommand::Describe { .. }
                        | GroupsCommand::ResetOffsets { execute: false, .. }
                )
        )
    }
}

/// A parsed script line: the command and where it came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Located<T> {
    /// 1-based line number in the script.
    pub line: usize,
    pub value: T,
}

/// A whole script: an optional `cluster ...` header, then commands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    pub cluster: ClusterSpec,
    pub commands: Vec<Located<Command>>,
}
