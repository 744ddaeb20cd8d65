//! Plain data for everything the UI draws.
//!
//! The UI never reaches into simulation state: it receives these structs, which are
//! serde-serializable so the same data can be printed by the CLI as JSON or carried in tests.

use crate::sorted::SortedMap;
use std::sync::Arc;

use crate::broker::ReplicaState;
use crate::command::TopicPartition;
use crate::coordinator::group::{ConsumerGroupState, GroupState};
use crate::metadata::PartitionRegistration;
use crate::record::RecordSeq;
use serde::{Deserialize, Serialize};

// The states the view carries, each owned by the part of the engine it belongs to, with its
// label and meaning written there; re-exported so that readers of the view (the page, the
// CLI) never import a node's module.
pub use crate::consumer::ConsumerStatus;
pub use crate::coordinator_record::TxnStatus;
pub use crate::metadata::is_internal_topic;
pub use crate::producer::{CallsAllowed, ProducerStatus, TxnState as ProducerTxnState};
pub use crate::raft::RaftRole;
pub use crate::record::ControlType;

/// A broker as the cluster diagram shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerView {
    /// `node.id` of the broker.
    pub id: i32,
    /// `broker.rack`, when set.
    pub rack: Option<String>,
    /// Whether the broker process is running.
    pub alive: bool,
    /// Fenced by the controller: registered but not allowed to lead or join an ISR.
    #[serde(default)]
    pub fenced: bool,
    /// The user paused this broker's follower fetching (`pause-fetch`).
    #[serde(default)]
    pub fetch_paused: bool,
}

/// One copy of a partition's log, held by one broker.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaView {
    /// The broker that holds this replica.
    pub broker: i32,
    /// Whether this replica is the partition leader.
    pub is_leader: bool,
    /// Whether this replica is in the in-sync replica set.
    pub in_isr: bool,
    /// The first offset still readable (the low watermark).
    pub log_start_offset: i64,
    /// The first offset not yet committed: consumers read below it.
    pub high_watermark: i64,
    /// The offset the next appended record will get.
    pub log_end_offset: i64,
    /// The last stable offset: read_committed consumers read below it (at most the HW; lower
    /// while a transaction is open).
    #[serde(default)]
    pub last_stable_offset: i64,
    /// Producer ids with a transaction open on this replica, with the transaction's first
    /// offset.
    #[serde(default)]
    pub open_transactions: Vec<(i64, i64)>,
    /// Records this replica lost to truncation (an unclean election or a diverged log).
    #[serde(default)]
    pub truncated: i64,
    /// The newest records (at most [`RECENT_RECORDS`]), oldest first, for drawing each one
    /// in its producer's colour.
    #[serde(default)]
    pub recent: Vec<RecordMark>,
    /// Offsets of the newest records this replica lost to truncation (at most
    /// [`RECENT_RECORDS`]), with who produced them: the picture keeps them visible.
    #[serde(default)]
    pub lost: Vec<RecordMark>,
}

impl ReplicaView {
    /// Why the LSO is below the HW, if it is: the oldest transaction still open, or a
    /// marker the HW has not passed yet.
    pub fn lso_reason(&self) -> Option<String> {
        if self.last_stable_offset == self.high_watermark {
            return None;
        }
        if self.open_transactions.is_empty() {
            return Some("a transaction's marker is not below the HW yet".to_string());
        }
        let open: Vec<String> = self
            .open_transactions
            .iter()
            .map(|(pid, first)| format!("producer id {pid}'s from offset {first}"))
            .collect();
        Some(format!(
            "the first offset of the oldest transaction still open ({})",
            open.join(", ")
        ))
    }
}

/// How many of each replica's newest records the view carries.
pub const RECENT_RECORDS: usize = 12;

/// One record as the picture draws it: its offset and which producer wrote it (an index into
/// [`ClusterView::producers`], so each producer keeps one colour everywhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMark {
    pub offset: i64,
    pub producer: usize,
    /// The producer id, epoch and sequence it was written with, if its producer had them.
    #[serde(default)]
    pub batch: Option<RecordBatchMark>,
}

/// What a record's batch says about its producer (`kafka-dump-log.sh` shows the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordBatchMark {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// This record's sequence (-1 for a marker).
    pub sequence: i32,
    pub transactional: bool,
    /// A transaction marker (a control record).
    pub control: Option<crate::record::ControlType>,
    /// Part of a transaction this replica's aborted-transaction index lists.
    pub aborted: bool,
}

/// A partition of a topic and its replicas, in assignment order (the first is preferred leader).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionView {
    pub topic: String,
    pub partition: i32,
    /// The leader's broker id, or `None` when the partition is offline.
    pub leader: Option<i32>,
    pub leader_epoch: i32,
    /// Broker ids of the in-sync replicas.
    pub isr: Vec<i32>,
    pub replicas: Vec<ReplicaView>,
    #[serde(default)]
    pub partition_epoch: i32,
}

impl PartitionView {
    /// The name Kafka tools print for the partition, e.g. `orders-0`.
    pub fn name(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }
}

/// A topic and its partitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicView {
    pub name: String,
    /// Shared (`Arc`): a view built with a [`ViewCache`] reuses the partitions that did not
    /// change.
    pub partitions: Vec<Arc<PartitionView>>,
    /// Kafka's topic id; empty for the fixed example.
    #[serde(default)]
    pub topic_id: String,
    /// Configs set on the topic, as `kafka-topics.sh --describe` lists them.
    #[serde(default)]
    pub configs: Vec<(String, String)>,
}

impl ClusterView {
    /// The view of one partition, if the cluster has it.
    pub fn partition(&self, tp: &TopicPartition) -> Option<&PartitionView> {
        self.topics
            .iter()
            .filter(|t| *t.name == *tp.topic)
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition == tp.partition)
            .map(|p| &**p)
    }
}

/// One KRaft controller as the quorum view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerView {
    pub id: i32,
    pub alive: bool,
    /// Leader, Follower, Candidate, Unattached, Resigned; none while it is down.
    pub role: Option<RaftRole>,
    pub epoch: i32,
    pub log_end_offset: i64,
    pub high_watermark: i64,
}

/// A message on its way, for drawing it between nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlightView {
    pub from: i32,
    pub to: i32,
    pub name: String,
    pub sent_ms: i64,
    pub deliver_ms: i64,
}

/// One committed record of `__cluster_metadata`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataRecordView {
    pub offset: i64,
    pub epoch: i32,
    pub text: String,
}

/// The whole cluster as one picture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    #[serde(default)]
    pub time_ms: i64,
    #[serde(default)]
    pub step: u64,
    pub brokers: Vec<BrokerView>,
    #[serde(default)]
    pub controllers: Vec<ControllerView>,
    #[serde(default)]
    pub active_controller: Option<i32>,
    pub topics: Vec<TopicView>,
    #[serde(default)]
    pub in_flight: Vec<InFlightView>,
    #[serde(default)]
    pub cluster_metadata: Vec<MetadataRecordView>,
    /// Cluster-wide broker configs set with `kafka-configs.sh --entity-default`.
    #[serde(default)]
    pub broker_configs: Vec<(String, String)>,
    /// Network cuts, as unordered pairs of node ids `(low, high)`.
    #[serde(default)]
    pub cut_links: Vec<(i32, i32)>,
    /// Producers that wrote the records shown, in order of first appearance.
    #[serde(default)]
    pub producers: Vec<String>,
    /// Consumer groups, by group id.
    #[serde(default)]
    pub groups: Vec<GroupView>,
    /// Consumer clients, in the order they were started.
    #[serde(default)]
    pub consumers: Vec<ConsumerView>,
    /// How many records `__cluster_metadata` has committed; `cluster_metadata` holds only the
    /// newest [`METADATA_RECORDS_SHOWN`].
    #[serde(default)]
    pub cluster_metadata_total: i64,
    /// Producer clients, in the order they were started.
    #[serde(default)]
    pub producer_clients: Vec<ProducerView>,
    /// Transactions as their coordinators know them, by transactional id.
    #[serde(default)]
    pub transactions: Vec<TransactionView>,
}

/// A producer client: its configs, its accumulator and its requests in flight.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerView {
    pub name: String,
    pub node: i32,
    pub alive: bool,
    /// What it is doing: idle, sending, in a transaction, fenced (zombie), ...
    pub state: ProducerStatus,
    pub acks: String,
    pub idempotent: bool,
    pub transactional_id: Option<String>,
    /// -1 until InitProducerId answers (or without idempotence).
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// `TransactionManager`'s state, for a transactional producer.
    pub txn_state: Option<ProducerTxnState>,
    /// Partitions the coordinator has added to the open transaction.
    pub txn_partitions: Vec<crate::command::TopicPartition>,
    pub linger_ms: i64,
    pub batch_size: i64,
    pub max_in_flight: i64,
    /// Batches waiting in the accumulator, per partition, oldest first.
    pub batches: Vec<BatchView>,
    /// Produce requests sent and not answered yet.
    pub in_flight: Vec<BatchView>,
    pub records_sent: i64,
    pub records_acked: i64,
    pub records_failed: i64,
    pub retries: i64,
    pub transactions_committed: i64,
    pub transactions_aborted: i64,
    pub error: Option<String>,
    pub properties: Vec<(String, String)>,
    /// The calls the application may make now (send, begin, commit, abort), by the rules the
    /// calls themselves check.
    #[serde(default)]
    pub calls: CallsAllowed,
}

/// A batch of a producer, waiting or in flight.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchView {
    pub id: i64,
    pub topic: String,
    pub partition: i32,
    pub records: usize,
    pub bytes: i64,
    /// The sequences it carries, once numbered.
    pub base_sequence: Option<i32>,
    pub attempts: i32,
    /// What it waits for: `linger.ms (3 ms left)`, `full: sent next`, `retry in 100 ms`,
    /// `in flight to broker 1 for 4 ms`.
    pub status: String,
}

/// A transaction as its coordinator holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionView {
    pub transactional_id: String,
    pub coordinator: i32,
    /// The `__transaction_state` partition it is stored in.
    pub state_partition: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// `Empty`, `Ongoing`, `PrepareCommit`, `PrepareAbort`, `CompleteCommit`, `CompleteAbort`.
    pub state: TxnStatus,
    pub partitions: Vec<crate::command::TopicPartition>,
    /// How long it has been open, while Ongoing.
    pub open_ms: Option<i64>,
    pub timeout_ms: i64,
    /// Partitions whose markers are not acknowledged yet.
    pub markers_pending: Vec<crate::command::TopicPartition>,
}

/// A consumer group as its coordinator sees it, plus what its members are doing.
/// A group's state under either protocol, with Kafka's names: Empty, PreparingRebalance,
/// CompletingRebalance, Stable, Dead (classic `ClassicGroupState`); Empty, Assigning,
/// Reconciling, Stable (KIP-848 `ConsumerGroupState`). Serialized as its name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupStateView {
    #[default]
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Assigning,
    Reconciling,
    Stable,
    Dead,
}

impl GroupStateView {
    /// Kafka's name for the state.
    pub fn name(self) -> &'static str {
        match self {
            GroupStateView::Empty => "Empty",
            GroupStateView::PreparingRebalance => "PreparingRebalance",
            GroupStateView::CompletingRebalance => "CompletingRebalance",
            GroupStateView::Assigning => "Assigning",
            GroupStateView::Reconciling => "Reconciling",
            GroupStateView::Stable => "Stable",
            GroupStateView::Dead => "Dead",
        }
    }

    /// What the state means for the group's members.
    pub fn meaning(self) -> &'static str {
        match self {
            GroupStateView::Stable => "every member has its assignment and is consuming",
            GroupStateView::PreparingRebalance => {
                "waiting for every member to rejoin (JoinGroup); eager members stop consuming"
            }
            GroupStateView::CompletingRebalance => {
                "waiting for the leader's assignment (SyncGroup)"
            }
            GroupStateView::Assigning | GroupStateView::Reconciling => {
                "members are moving to the new target assignment"
            }
            GroupStateView::Empty => "no members; the committed offsets are kept",
            GroupStateView::Dead => "the group is being removed",
        }
    }

    /// Whether a rebalance is under way (`kafka-consumer-groups.sh` warns about it).
    pub fn is_rebalancing(self) -> bool {
        matches!(
            self,
            GroupStateView::PreparingRebalance
                | GroupStateView::CompletingRebalance
                | GroupStateView::Assigning
                | GroupStateView::Reconciling
        )
    }
}

impl std::fmt::Display for GroupStateView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub group_id: String,
    /// `classic` or `consumer` (KIP-848).
    pub protocol_type: String,
    /// The broker coordinating the group (the leader of its `__consumer_offsets` partition),
    /// if that partition has a leader that has loaded it.
    pub coordinator: Option<i32>,
    /// `abs(groupId.hashCode) % offsets.topic.num.partitions`.
    pub offsets_partition: i32,
    pub state: GroupStateView,
    /// The generation (classic) or group epoch (consumer).
    pub generation: i32,
    /// The assignor chosen (`range`, `cooperative-sticky`, `uniform`, ...), if any.
    pub assignor: Option<String>,
    /// `eager` or `cooperative` for classic groups; `incremental` for consumer groups.
    pub rebalance_protocol: String,
    /// The member id of the group leader (classic).
    pub leader: Option<String>,
    pub members: Vec<MemberView>,
    /// One line per partition the group has a committed offset for or is assigned.
    pub offsets: Vec<GroupOffsetView>,
    /// How many rebalances the group has completed.
    pub rebalances: i32,
}

/// One member of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub member_id: String,
    /// The consumer's `client.id` (its name in the sandbox).
    pub client_id: String,
    /// The consumer's node id, for the picture.
    pub node: i32,
    pub group_instance_id: Option<String>,
    /// Kafka prints the client's address: `/127.0.0.1`-like, here `/consumer-NAME`.
    pub host: String,
    /// What the coordinator last gave this member (classic: its SyncGroup assignment; consumer:
    /// its current assignment).
    pub assigned: Vec<crate::command::TopicPartition>,
    /// The member epoch (consumer protocol) or the generation it last joined (classic).
    pub epoch: i32,
}

/// A group's offsets on one partition, as `kafka-consumer-groups.sh --describe` lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupOffsetView {
    pub topic: String,
    pub partition: i32,
    /// The committed offset: the next offset the group will read (`lastProcessed + 1`).
    pub committed: Option<i64>,
    /// The partition's high watermark (what ListOffsets LATEST returns to read_uncommitted).
    pub log_end_offset: i64,
    /// `log_end_offset - committed`, when there is a committed offset.
    pub lag: Option<i64>,
    /// The member the partition is assigned to, if any.
    pub owner: Option<String>,
    /// Lag in time: how long ago the oldest record not yet committed was written (0 when
    /// the group is caught up).
    #[serde(default)]
    pub lag_ms: Option<i64>,
}

/// A consumer client and what it is doing right now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerView {
    pub name: String,
    /// `isolation.level=read_committed`: reads below the LSO and skips aborted records.
    #[serde(default)]
    pub read_committed: bool,
    pub node: i32,
    pub group: Option<String>,
    pub alive: bool,
    /// What it is doing: finding coordinator, joining, syncing, polling, processing, ...
    pub state: ConsumerStatus,
    /// The error that stopped it, when it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// `classic` or `consumer`.
    pub group_protocol: String,
    pub member_id: Option<String>,
    /// Partitions it owns now (it fetches and processes these).
    pub owned: Vec<crate::command::TopicPartition>,
    /// Its fetch position per owned partition: the next offset it will process.
    pub positions: Vec<(crate::command::TopicPartition, i64)>,
    /// Records handed to the application so far.
    pub records_processed: i64,
    /// Records processed twice (a rebalance or crash before the commit): the at-least-once
    /// cost, counted so the UI can show it.
    pub records_reprocessed: i64,
    /// The consumer configs it was started with (or changed with `consumer set`).
    #[serde(default)]
    pub properties: Vec<(String, String)>,
}

/// How many of the newest committed metadata records the view describes.
pub const METADATA_RECORDS_SHOWN: usize = 100;

/// Builds the view of a simulation: what the UI and the CLI show, without touching internals.
pub fn cluster_view(sim: &crate::sim::Simulation) -> ClusterView {
    cluster_view_cached(sim, &mut ViewCache::default())
}

/// The partition views of the last [`cluster_view_cached`], with what each was built from. A
/// partition's view depends only on its registration, the replica states of its brokers (each
/// an `Arc` the brokers copy on write) and the producers met before it; when none of those
/// changed, the view is the same `Arc` as last time. A step changes a few partitions, so at
/// 1,000 partitions this skips almost all of the view's work, and the page sees at once which
/// partitions are unchanged.
#[derive(Default)]
pub struct ViewCache {
    partitions: SortedMap<TopicPartition, CachedPartition>,
}

struct CachedPartition {
    registration: PartitionRegistration,
    /// The replica states it was built from, held so their addresses stay theirs.
    replicas: Vec<Option<Arc<ReplicaState>>>,
    /// The producers list (see [`ClusterView::producers`]) before this partition, and the
    /// names it added.
    producers_before: Vec<String>,
    added: Vec<String>,
    view: Arc<PartitionView>,
}

impl ViewCache {
    fn partition(
        &mut self,
        sim: &crate::sim::Simulation,
        tp: &TopicPartition,
        reg: &PartitionRegistration,
        producers: &mut Vec<String>,
    ) -> Arc<PartitionView> {
        let states: Vec<Option<&Arc<ReplicaState>>> = reg
            .replicas
            .iter()
            .map(|r| sim.brokers.get(r).and_then(|b| b.replicas.get(tp)))
            .collect();
        if let Some(cached) = self.partitions.get(tp) {
            let same_states = cached.replicas.len() == states.len()
                && cached
                    .replicas
                    .iter()
                    .zip(&states)
                    .all(|(a, b)| match (a, b) {
                        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                        (None, None) => true,
                        _ => false,
                    });
            if same_states && cached.registration == *reg && cached.producers_before == *producers {
                producers.extend(cached.added.iter().cloned());
                return Arc::clone(&cached.view);
            }
        }
        let before = producers.clone();
        let view = Arc::new(partition_view(tp, reg, &states, producers));
        self.partitions.insert(
            tp.clone(),
            CachedPartition {
                registration: reg.clone(),
                replicas: states.iter().map(|s| s.cloned()).collect(),
                added: producers[before.len()..].to_vec(),
                producers_before: before,
                view: Arc::clone(&view),
            },
        );
        view
    }
}

/// One partition's view: its registration and, for each replica, what its broker holds.
/// `producers` is the list records are coloured by; names met for the first time are added.
fn partition_view(
    tp: &TopicPartition,
    reg: &PartitionRegistration,
    states: &[Option<&Arc<ReplicaState>>],
    producers: &mut Vec<String>,
) -> PartitionView {
    let mut producer_index = |name: &str| match producers.iter().position(|p| p == name) {
        Some(i) => i,
        None => {
            producers.push(name.to_string());
            producers.len() - 1
        }
    };
    let replicas = reg
        .replicas
        .iter()
        .zip(states)
        .map(|(&r, state)| {
            let state = state.map(|s| &**s);
            let log = state.map(|s| &s.log);
            let aborted: &[crate::producer_state::AbortedTxn] =
                log.map_or(&[], |l| &l.producer_state().aborted[..]);
            let mut newest = |records: &dyn RecordSeq| -> Vec<RecordMark> {
                let from = records.count().saturating_sub(RECENT_RECORDS);
                // Where the current record's batch starts, walked back once and
                // then carried forward.
                let mut batch_first = crate::record::batch_start(records, from);
                (from..records.count())
                    .map(|i| {
                        let r = &records[i];
                        if i > from && !records[i - 1].continued_by(r) {
                            batch_first = i;
                        }
                        RecordMark {
                            offset: r.offset,
                            producer: producer_index(&r.producer),
                            batch: r.batch.as_deref().map(|h| RecordBatchMark {
                                producer_id: h.producer_id,
                                producer_epoch: h.producer_epoch,
                                sequence: h.sequence_of((i - batch_first) as i32),
                                transactional: h.transactional,
                                control: h.control,
                                aborted: crate::producer_state::is_aborted(aborted, r),
                            }),
                        }
                    })
                    .collect()
            };
            let recent = match log {
                Some(l) => newest(l.records()),
                None => Vec::new(),
            };
            let lost = match state {
                Some(s) => newest(&s.truncated),
                None => Vec::new(),
            };
            ReplicaView {
                broker: r,
                is_leader: reg.leader == Some(r),
                in_isr: reg.isr.contains(&r),
                log_start_offset: log.map_or(0, |l| l.log_start_offset()),
                high_watermark: log.map_or(0, |l| l.high_watermark()),
                log_end_offset: log.map_or(0, |l| l.log_end_offset()),
                last_stable_offset: log.map_or(0, |l| l.last_stable_offset()),
                open_transactions: log.map_or(Vec::new(), |l| {
                    l.producer_state()
                        .ongoing
                        .iter()
                        .map(|(&first, &pid)| (pid, first))
                        .collect()
                }),
                truncated: state.map_or(0, |s| s.truncated.len() as i64),
                recent,
                lost,
            }
        })
        .collect();
    PartitionView {
        topic: tp.topic.to_string(),
        partition: tp.partition,
        leader: reg.leader,
        leader_epoch: reg.leader_epoch,
        isr: reg.isr.clone(),
        replicas,
        partition_epoch: reg.partition_epoch,
    }
}

/// Builds the view of a simulation, reusing from `cache` every partition view whose inputs did
/// not change since the last call (see [`ViewCache`]).
pub fn cluster_view_cached(sim: &crate::sim::Simulation, cache: &mut ViewCache) -> ClusterView {
    use crate::sim::Item;
    let image = sim.metadata();
    let brokers = sim
        .brokers
        .values()
        .map(|b| BrokerView {
            id: b.id,
            rack: b.rack.clone(),
            alive: b.alive,
            fenced: image.brokers.get(&b.id).is_none_or(|r| r.fenced),
            fetch_paused: !b.paused.is_empty(),
        })
        .collect();
    let controllers = sim
        .controllers
        .values()
        .map(|c| ControllerView {
            id: c.id,
            alive: c.alive,
            role: c.alive.then(|| c.raft.role()),
            epoch: c.raft.epoch(),
            log_end_offset: c.raft.log_end_offset(),
            high_watermark: c.raft.high_watermark(),
        })
        .collect();
    // Producer clients first, in the order they started, so each keeps its colour whatever
    // part of the log is in view.
    let mut producers: Vec<String> = sim.producers.values().map(|p| p.name.clone()).collect();
    let mut topics: Vec<TopicView> = Vec::new();
    let mut names = image.topics.clone();
    crate::sort::sort(&mut names);
    for name in names {
        // Partitions are keyed by (topic, partition): a topic's are one range of the map.
        let partitions = image
            .partitions
            .range(TopicPartition::new(name.as_str(), i32::MIN)..)
            .take_while(|(tp, _)| *tp.topic == *name)
            .map(|(tp, reg)| cache.partition(sim, tp, reg, &mut producers))
            .collect();
        let topic_id = image.topic_ids.get(&name).cloned().unwrap_or_default();
        let configs = image
            .topic_configs
            .get(&name)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        topics.push(TopicView {
            name,
            partitions,
            topic_id,
            configs,
        });
    }
    let in_flight = sim
        .queue
        .iter()
        .filter_map(|(&(at, _), item)| match item {
            Item::Message {
                from,
                to,
                sent_ms,
                message,
            } => Some(InFlightView {
                from: *from,
                to: *to,
                name: message.name(),
                sent_ms: *sent_ms,
                deliver_ms: at,
            }),
            Item::Timer { .. } => None,
        })
        .collect();
    let committed = sim
        .active_controller()
        .or_else(|| sim.controllers.values().find(|c| c.alive))
        .map(|c| c.raft.committed());
    let cluster_metadata_total = committed.as_ref().map_or(0, |c| c.len()) as i64;
    let cluster_metadata = committed
        .into_iter()
        .flat_map(|c| {
            let skip = c.len().saturating_sub(METADATA_RECORDS_SHOWN);
            c.skip(skip)
        })
        .map(|e| MetadataRecordView {
            offset: e.offset,
            epoch: e.epoch,
            text: match &*e.record {
                crate::raft::RaftRecord::Data(r) => crate::controller::describe_record(r),
                crate::raft::RaftRecord::LeaderChange { leader, .. } => {
                    format!("LeaderChangeMessage(leader {leader})")
                }
            },
        })
        .collect();
    let groups = group_views(sim, &topics);
    let producer_clients = producer_views(sim);
    let transactions = transaction_views(sim);
    ClusterView {
        time_ms: sim.now_ms,
        step: sim.steps,
        brokers,
        controllers,
        active_controller: sim.active_controller().map(|c| c.id),
        topics,
        in_flight,
        cluster_metadata,
        broker_configs: image
            .broker_configs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        cut_links: sim.network.cut.iter().copied().collect(),
        producers,
        cluster_metadata_total,
        groups,
        consumers: consumer_views(sim),
        producer_clients,
        transactions,
    }
}

impl PartitionView {
    /// The replica that leads, if the partition is online.
    pub fn leader_replica(&self) -> Option<&ReplicaView> {
        self.replicas.iter().find(|r| r.is_leader)
    }

    /// What each marker on one replica means, as `(marker, offset, sentence)`: log start,
    /// HW and LEO, each with the rule that put it there.
    pub fn explain_markers(&self, broker: i32) -> Vec<(&'static str, i64, String)> {
        let Some(r) = self.replicas.iter().find(|r| r.broker == broker) else {
            return Vec::new();
        };
        let name = self.name();
        let hw = if r.is_leader {
            format!(
                "HW = {}: the lowest log end offset among the in-sync replicas {:?}; consumers read only below it",
                r.high_watermark, self.isr
            )
        } else {
            format!(
                "HW = {}: what leader {} said in its last fetch response, capped at this replica's own LEO; a follower's HW lags the leader's by one fetch",
                r.high_watermark,
                self.leader.map_or("(none)".to_string(), |l| l.to_string())
            )
        };
        let leo = if r.is_leader {
            format!(
                "LEO = {}: the offset the next record produced to {name} gets",
                r.log_end_offset
            )
        } else {
            format!(
                "LEO = {}: how far this follower has copied the leader's log; its next fetch asks for offset {}",
                r.log_end_offset, r.log_end_offset
            )
        };
        let start = format!(
            "Log start = {}: the first offset still readable; retention and DeleteRecords only ever raise it",
            r.log_start_offset
        );
        let mut markers = vec![
            ("log start", r.log_start_offset, start),
            ("HW", r.high_watermark, hw),
            ("LEO", r.log_end_offset, leo),
        ];
        if let Some(why) = r.lso_reason() {
            markers.insert(
                2,
                (
                    "LSO",
                    r.last_stable_offset,
                    format!(
                        "LSO = {}: {why}; read_committed consumers read only below it, read_uncommitted ones up to the HW",
                        r.last_stable_offset
                    ),
                ),
            );
        }
        markers
    }

    /// One sentence on why the leader's high watermark is where it is.
    pub fn explain_high_watermark(&self) -> String {
        let name = self.name();
        let Some(leader) = self.leader_replica() else {
            return format!(
                "{name} is offline: no replica leads it, so nothing can be read or written."
            );
        };
        let hw = leader.high_watermark;
        let holding_back: Vec<String> = self
            .replicas
            .iter()
            .filter(|r| {
                !r.is_leader && r.in_isr && r.log_end_offset == hw && hw < leader.log_end_offset
            })
            .map(|r| format!("follower {} has fetched only up to {hw}", r.broker))
            .collect();
        let out_of_sync: Vec<String> = self
            .replicas
            .iter()
            .filter(|r| !r.in_isr)
            .map(|r| r.broker.to_string())
            .collect();
        let mut sentence = if holding_back.is_empty() {
            format!(
                "HW of {name} is {hw}: every in-sync replica has every record up to the leader's log end offset {}",
                leader.log_end_offset
            )
        } else {
            format!(
                "HW of {name} is {hw}, not {}: {} and is in the ISR",
                leader.log_end_offset,
                holding_back.join(", ")
            )
        };
        match out_of_sync.as_slice() {
            [] => {}
            [one] => sentence.push_str(&format!(
                "; broker {one} is out of sync, so it does not hold the HW back"
            )),
            many => sentence.push_str(&format!(
                "; brokers {} are out of sync, so they do not hold the HW back",
                many.join(", ")
            )),
        }
        sentence.push_str(". Consumers read only offsets below the HW.");
        sentence
    }
}

/// Every group some live broker coordinates, with its members and offsets.
fn group_views(sim: &crate::sim::Simulation, topics: &[TopicView]) -> Vec<GroupView> {
    use crate::coordinator::group::offsets_partition;
    let mut views: Vec<GroupView> = Vec::new();
    for broker in sim.brokers.values().filter(|b| b.alive) {
        let partitions = broker.offsets_partitions();
        for (id, group) in &broker.groups.groups {
            let p = offsets_partition(id, partitions);
            if !broker.groups.loaded.contains_key(&p) {
                continue;
            }
            let protocol = sim
                .consumers
                .values()
                .find(|c| c.group.as_deref() == Some(id.as_str()))
                .map(|c| c.config.rebalance_protocol());
            let members: Vec<MemberView> = group
                .members
                .iter()
                .map(|m| MemberView {
                    member_id: m.member_id.clone(),
                    client_id: m.client_id.clone(),
                    node: m.node,
                    group_instance_id: m.group_instance_id.clone(),
                    host: format!("/{}", m.client_id),
                    assigned: m.assignment.clone(),
                    epoch: group.generation,
                })
                .collect();
            let owners: Vec<(&str, &[crate::command::TopicPartition])> = group
                .members
                .iter()
                .map(|m| (m.member_id.as_str(), &m.assignment[..]))
                .collect();
            views.push(GroupView {
                group_id: id.clone(),
                protocol_type: "classic".into(),
                coordinator: Some(broker.id),
                offsets_partition: p,
                state: match group.state {
                    GroupState::Empty => GroupStateView::Empty,
                    GroupState::PreparingRebalance => GroupStateView::PreparingRebalance,
                    GroupState::CompletingRebalance => GroupStateView::CompletingRebalance,
                    GroupState::Stable => GroupStateView::Stable,
                    GroupState::Dead => GroupStateView::Dead,
                },
                generation: group.generation,
                assignor: group.protocol.clone(),
                rebalance_protocol: match protocol {
                    Some(crate::assignor::RebalanceProtocol::Cooperative) => "cooperative".into(),
                    _ => "eager".into(),
                },
                leader: group.leader.clone(),
                members,
                offsets: group_offsets(sim, topics, &group.offsets, &owners),
                rebalances: group.rebalances,
            });
        }
        for (id, group) in &broker.groups.consumer_groups {
            let p = offsets_partition(id, partitions);
            if !broker.groups.loaded.contains_key(&p) {
                continue;
            }
            let members: Vec<MemberView> = group
                .members
                .iter()
                .map(|m| MemberView {
                    member_id: m.member_id.clone(),
                    client_id: m.metadata.client_id.clone(),
                    node: m.metadata.node,
                    group_instance_id: m.metadata.instance_id.clone(),
                    host: format!("/{}", m.metadata.client_id),
                    assigned: m.current.assigned.clone(),
                    epoch: m.current.member_epoch,
                })
                .collect();
            let owners: Vec<(&str, &[crate::command::TopicPartition])> = group
                .members
                .iter()
                .map(|m| (m.member_id.as_str(), &m.current.assigned[..]))
                .collect();
            let default = broker
                .image
                .broker_configs
                .get("group.consumer.assignors")
                .map(String::as_str)
                .unwrap_or_else(|| crate::config::default_value("group.consumer.assignors"))
                .split(',')
                .find_map(|n| crate::assignor::ServerAssignor::from_name(n).ok())
                .unwrap_or(crate::assignor::ServerAssignor::Uniform);
            views.push(GroupView {
                group_id: id.clone(),
                protocol_type: "consumer".into(),
                coordinator: Some(broker.id),
                offsets_partition: p,
                state: match group.state() {
                    ConsumerGroupState::Empty => GroupStateView::Empty,
                    ConsumerGroupState::Assigning => GroupStateView::Assigning,
                    ConsumerGroupState::Reconciling => GroupStateView::Reconciling,
                    ConsumerGroupState::Stable => GroupStateView::Stable,
                },
                generation: group.epoch,
                assignor: Some(group.preferred_assignor(default).name().to_string()),
                rebalance_protocol: "incremental".into(),
                leader: None,
                members,
                offsets: group_offsets(sim, topics, &group.offsets, &owners),
                rebalances: group.rebalances,
            });
        }
    }
    crate::sort::sort_by(&mut views, |a, b| a.group_id.cmp(&b.group_id));
    views.dedup_by(|a, b| a.group_id == b.group_id);
    views
}

/// One line per partition a group has a committed offset for or assigns to a member.
fn group_offsets(
    sim: &crate::sim::Simulation,
    topics: &[TopicView],
    offsets: &crate::sorted::SortedMap<crate::command::TopicPartition, i64>,
    owners: &[(&str, &[crate::command::TopicPartition])],
) -> Vec<GroupOffsetView> {
    let high_watermark = |tp: &crate::command::TopicPartition| -> i64 {
        topics
            .iter()
            .filter(|t| *t.name == *tp.topic)
            .flat_map(|t| &t.partitions)
            .find(|p| p.partition == tp.partition)
            .and_then(|p| p.replicas.iter().find(|r| r.is_leader))
            .map_or(0, |r| r.high_watermark)
    };
    let mut partitions_seen: Vec<crate::command::TopicPartition> =
        offsets.keys().cloned().collect();
    for (_, assigned) in owners {
        for tp in assigned.iter() {
            if !partitions_seen.contains(tp) {
                partitions_seen.push(tp.clone());
            }
        }
    }
    crate::sort::sort(&mut partitions_seen);
    partitions_seen
        .into_iter()
        .map(|tp| {
            let committed = offsets.get(&tp).copied();
            let end = high_watermark(&tp);
            let lag_ms = committed.map(|c| {
                if c >= end {
                    return 0;
                }
                sim.brokers
                    .values()
                    .filter(|b| b.alive)
                    .filter_map(|b| b.replicas.get(&tp))
                    .find(|r| r.leader.is_some())
                    .and_then(|r| r.log.read(c, c + 1).next())
                    .map_or(0, |r| (sim.now_ms - r.timestamp_ms).max(0))
            });
            GroupOffsetView {
                topic: tp.topic.to_string(),
                partition: tp.partition,
                committed,
                log_end_offset: end,
                lag: committed.map(|c| (end - c).max(0)),
                owner: owners
                    .iter()
                    .find(|(_, assigned)| assigned.contains(&tp))
                    .map(|(m, _)| m.to_string()),
                lag_ms,
            }
        })
        .collect()
}

fn producer_views(sim: &crate::sim::Simulation) -> Vec<ProducerView> {
    let now = sim.now_ms;
    sim.producers
        .values()
        .map(|p| {
            let batch_view = |b: &crate::producer::ProducerBatch, status: String| BatchView {
                id: b.id,
                topic: b.partition.topic.to_string(),
                partition: b.partition.partition,
                records: b.records.len(),
                bytes: b.bytes,
                base_sequence: b.base_sequence,
                attempts: b.attempts,
                status,
            };
            let mut batches = Vec::new();
            for queue in p.queues.values() {
                for (i, b) in queue.iter().enumerate() {
                    let status = match b.retry_at_ms {
                        Some(at) if at > now => format!("retry in {} ms", at - now),
                        Some(_) => "retry: sent next".to_string(),
                        None if i + 1 < queue.len() || b.bytes >= p.config.batch_size => {
                            "full: sent next".to_string()
                        }
                        None => {
                            let left = b.created_ms + p.config.linger_ms - now;
                            if left > 0 {
                                format!("linger.ms ({left} ms left)")
                            } else {
                                "ready".to_string()
                            }
                        }
                    };
                    batches.push(batch_view(b, status));
                }
            }
            let in_flight = p
                .in_flight
                .iter()
                .flat_map(|(request_id, f)| {
                    f.batches.iter().map(move |b| {
                        batch_view(
                            b,
                            format!(
                                "in flight to broker {} for {} ms (request {request_id})",
                                f.broker,
                                now - f.sent_ms
                            ),
                        )
                    })
                })
                .collect();
            ProducerView {
                name: p.name.clone(),
                node: p.id,
                alive: p.alive,
                state: p.status(),
                acks: match p.config.acks {
                    crate::command::Acks::All => "all",
                    crate::command::Acks::Leader => "1",
                    crate::command::Acks::None => "0",
                }
                .to_string(),
                idempotent: p.config.idempotent,
                transactional_id: p.config.transactional_id.clone(),
                producer_id: p.producer_id,
                producer_epoch: p.producer_epoch,
                txn_state: p.transactional().then_some(p.txn_state),
                txn_partitions: p.txn_partitions.iter().cloned().collect(),
                linger_ms: p.config.linger_ms,
                batch_size: p.config.batch_size,
                max_in_flight: p.config.max_in_flight,
                batches,
                in_flight,
                records_sent: p.records_sent,
                records_acked: p.records_acked,
                records_failed: p.records_failed,
                retries: p.retries_done,
                transactions_committed: p.transactions_committed,
                transactions_aborted: p.transactions_aborted,
                error: p.error.clone(),
                properties: p.properties.clone(),
                calls: p.calls_allowed(),
            }
        })
        .collect()
}

/// Every transaction a live coordinator has loaded (the one with the highest coordinator
/// epoch wins if two think they own it).
fn transaction_views(sim: &crate::sim::Simulation) -> Vec<TransactionView> {
    let mut best: crate::sorted::SortedMap<&str, (i32, TransactionView)> =
        crate::sorted::SortedMap::new();
    for broker in sim.brokers.values().filter(|b| b.alive) {
        let n = broker.txn_partitions();
        for (tid, meta) in &broker.txns.txns {
            let p = crate::coordinator::txn::txn_partition(tid, n);
            let Some(&epoch) = broker.txns.loaded.get(&p) else {
                continue;
            };
            if best.get(tid.as_str()).is_some_and(|(e, _)| *e >= epoch) {
                continue;
            }
            let view = TransactionView {
                transactional_id: tid.clone(),
                coordinator: broker.id,
                state_partition: p,
                producer_id: meta.producer_id,
                producer_epoch: meta.producer_epoch,
                state: meta.state,
                partitions: meta.partitions.iter().cloned().collect(),
                open_ms: (meta.state == crate::coordinator_record::TxnStatus::Ongoing)
                    .then(|| sim.now_ms - meta.start_ms),
                timeout_ms: meta.timeout_ms,
                markers_pending: broker
                    .txns
                    .markers_outstanding
                    .get(tid)
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default(),
            };
            best.insert(tid.as_str(), (epoch, view));
        }
    }
    best.into_values().map(|(_, v)| v).collect()
}

fn consumer_views(sim: &crate::sim::Simulation) -> Vec<ConsumerView> {
    sim.consumers
        .values()
        .map(|c| ConsumerView {
            name: c.name.clone(),
            read_committed: c.config.read_committed,
            node: c.id,
            group: c.group.clone(),
            alive: c.alive,
            state: c.status(),
            error: c.error.as_ref().filter(|_| !c.alive).map(|e| e.to_string()),
            group_protocol: c.config.group_protocol.clone(),
            member_id: (!c.member_id.is_empty()).then(|| c.member_id.clone()),
            owned: c.owned.clone(),
            positions: c
                .owned
                .iter()
                .filter_map(|tp| c.positions.get(tp).map(|&o| (tp.clone(), o)))
                .collect(),
            records_processed: c.records_processed,
            records_reprocessed: c.records_reprocessed,
            properties: c.properties.clone(),
        })
        .collect()
}
