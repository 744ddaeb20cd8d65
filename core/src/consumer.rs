//! A consumer client: the Java `KafkaConsumer` with the classic group protocol, as a node of
//! the simulation (`ConsumerCoordinator`, `AbstractCoordinator`, `Fetcher` in apache/kafka's
//! clients module; kafka-semantics.md §7).
//!
//! The application is a loop: `poll()` hands out at most `max.poll.records` fetched records,
//! the application works on each for `sandbox.processing.ms.per.record`, then polls again. The
//! group protocol runs inside `poll()`, as in Java: a consumer busy processing does not rejoin
//! until its next poll, which is why a slow consumer holds up everyone's rebalance.
//!
//! - It finds its coordinator (FindCoordinator), joins (JoinGroup, with MEMBER_ID_REQUIRED on
//!   the first try), and if it is the leader runs the group's assignor over every member's
//!   subscription ([`crate::assignor`]) and sends the result with SyncGroup.
//! - Eager protocol: before rejoining it revokes everything it owns (committing first with
//!   auto-commit). Cooperative protocol (every configured assignor is cooperative-sticky): it
//!   keeps its partitions, and after SyncGroup revokes only those now assigned elsewhere, then
//!   rejoins at once so they can be handed out in a second rebalance.
//! - A heartbeat thread heartbeats every `heartbeat.interval.ms`; it learns of a rebalance from
//!   REBALANCE_IN_PROGRESS, and if the application has not polled for `max.poll.interval.ms` it
//!   leaves the group (a dynamic member sends LeaveGroup; a static one does not).
//! - Positions start from the committed offset (OffsetFetch) or else `auto.offset.reset`
//!   (ListOffsets: earliest = log start, latest = HW; none fails). Fetches read only below the
//!   HW and are held by the broker up to `fetch.max.wait.ms` when there is nothing new.
//! - Commits: auto-commit on poll every `auto.commit.interval.ms` (and before revoking, and on
//!   close), or the application's `sandbox.commit.after.poll=sync|async`. A committed offset is
//!   the next offset to read.
//!
//! With `group.protocol=consumer` the membership follows KIP-848 instead (no JoinGroup or
//! SyncGroup; see the `membership` submodule); polling, fetching, positions and commits are
//! the same.
//!
//! Not modelled: request timeouts other than the coordinator's, `fetch.min.bytes` above one
//! record, and pattern subscriptions.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::assignor::Subscription;
use crate::assignor::{self, Assignor, ClusterMetadata, MemberSubscription, RebalanceProtocol};
use crate::command::{NodeId, TopicPartition};
use crate::config::{consumer_config, validate, CONSUMER_CONFIGS};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::kernel::{Ctx, Timers};
use crate::protocol::FetchRequest;
use crate::protocol::JoinGroupRequest;
use crate::protocol::JoinGroupResponse;
use crate::protocol::LeaveGroupRequest;
use crate::protocol::OffsetCommitRequest;
use crate::protocol::SyncGroupRequest;
use crate::protocol::{
    FetchPartition, FetchPartitionResponse, Message, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP,
};
use crate::record::Record;

/// What a consumer handles an input with: the kernel's handle, typed by its timers.
pub type ConsumerCtx<'a> = Ctx<'a, ConsumerTimer>;

/// The timers a consumer sets: the application's calls and the heartbeat thread's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConsumerTimer {
    /// The application calls `poll()`.
    Poll,
    /// The application finished processing the records of one poll.
    Processed,
    /// The heartbeat thread's tick.
    Heartbeat,
    /// Retry finding the coordinator or joining after a backoff.
    Retry,
}

impl ConsumerTimer {
    /// How the trace names it when it fires and does nothing else.
    pub fn name(&self) -> String {
        match self {
            ConsumerTimer::Poll => "poll".into(),
            ConsumerTimer::Processed => "processing done".into(),
            ConsumerTimer::Heartbeat => "heartbeat thread".into(),
            ConsumerTimer::Retry => "retry backoff".into(),
        }
    }
}

mod membership;
pub use membership::{MemberState, Membership};

/// `retry.backoff.ms`.
const RETRY_BACKOFF_MS: i64 = 100;
/// `request.timeout.ms` of the consumer.
const REQUEST_TIMEOUT_MS: i64 = 30_000;
/// `retry.backoff.max.ms`.
const RETRY_BACKOFF_MAX_MS: i64 = 1000;

/// `auto.offset.reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OffsetReset {
    Earliest,
    Latest,
    None,
}

/// What the application does after processing a poll's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitAfterPoll {
    None,
    Sync,
    Async,
}

/// The consumer's configs, typed, with Kafka's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerConfig {
    pub strategies: Vec<Assignor>,
    pub group_instance_id: Option<String>,
    pub session_timeout_ms: i64,
    pub heartbeat_interval_ms: i64,
    pub max_poll_interval_ms: i64,
    pub max_poll_records: i64,
    pub fetch_max_wait_ms: i64,
    pub fetch_max_bytes: i64,
    pub max_partition_fetch_bytes: i64,
    pub auto_offset_reset: OffsetReset,
    pub enable_auto_commit: bool,
    pub auto_commit_interval_ms: i64,
    pub read_committed: bool,
    pub rack: Option<String>,
    pub processing_ms_per_record: i64,
    pub commit_after_poll: CommitAfterPoll,
    /// `group.protocol`: `classic` or `consumer` (KIP-848).
    pub group_protocol: String,
    /// `group.remote.assignor` (consumer protocol): the server-side assignor the member asks
    /// for; `None` lets the coordinator pick.
    #[serde(default)]
    pub remote_assignor: Option<String>,
}

impl ConsumerConfig {
    /// Reads `key=value` properties over Kafka's defaults, with Kafka's validation messages.
    pub fn from_properties(properties: &[(String, String)]) -> Result<ConsumerConfig, String> {
        let mut values: BTreeMap<&str, String> = CONSUMER_CONFIGS
            .iter()
            .map(|c| (c.name, c.default.to_string()))
            .collect();
        for (key, value) in properties {
            let Some(def) = consumer_config(key) else {
                return Err(format!("unknown consumer config {key}"));
            };
            validate(def, value)?;
            values.insert(def.name, value.clone());
        }
        let int = |name: &str| -> i64 {
            values
                .get(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or_default()
        };
        let text = |name: &str| values.get(name).cloned().unwrap_or_default();
        let strategies = text("partition.assignment.strategy")
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Assignor::from_name)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        if strategies.is_empty() {
            return Err("partition.assignment.strategy needs at least one assignor".into());
        }
        let config = ConsumerConfig {
            strategies,
            group_instance_id: Some(text("group.instance.id")).filter(|s| !s.is_empty()),
            session_timeout_ms: int("session.timeout.ms"),
            heartbeat_interval_ms: int("heartbeat.interval.ms").max(1),
            max_poll_interval_ms: int("max.poll.interval.ms").max(1),
            max_poll_records: int("max.poll.records").max(1),
            fetch_max_wait_ms: int("fetch.max.wait.ms"),
            fetch_max_bytes: int("fetch.max.bytes"),
            max_partition_fetch_bytes: int("max.partition.fetch.bytes"),
            auto_offset_reset: match text("auto.offset.reset").as_str() {
                "earliest" => OffsetReset::Earliest,
                "none" => OffsetReset::None,
                _ => OffsetReset::Latest,
            },
            enable_auto_commit: text("enable.auto.commit") == "true",
            auto_commit_interval_ms: int("auto.commit.interval.ms").max(1),
            read_committed: text("isolation.level") == "read_committed",
            rack: Some(text("client.rack")).filter(|s| !s.is_empty()),
            processing_ms_per_record: int("sandbox.processing.ms.per.record"),
            commit_after_poll: match text("sandbox.commit.after.poll").as_str() {
                "sync" => CommitAfterPoll::Sync,
                "async" => CommitAfterPoll::Async,
                _ => CommitAfterPoll::None,
            },
            group_protocol: text("group.protocol"),
            remote_assignor: Some(text("group.remote.assignor")).filter(|s| !s.is_empty()),
        };
        // `ConsumerConfig.checkUnsupportedConfigsPostProcess`: each protocol refuses the other
        // one's settings.
        let (protocol, unsupported): (&str, &[&str]) = if config.group_protocol == "consumer" {
            (
                "CONSUMER",
                &[
                    "partition.assignment.strategy",
                    "heartbeat.interval.ms",
                    "session.timeout.ms",
                ],
            )
        } else {
            ("CLASSIC", &["group.remote.assignor"])
        };
        let set: Vec<&str> = unsupported
            .iter()
            .copied()
            .filter(|name| {
                properties
                    .iter()
                    .any(|(k, v)| k == name && !v.trim().is_empty())
            })
            .collect();
        if !set.is_empty() {
            return Err(format!(
                "{} cannot be set when group.protocol={protocol}",
                set.join(", ")
            ));
        }
        if config.heartbeat_interval_ms >= config.session_timeout_ms {
            return Err(format!(
                "heartbeat.interval.ms ({}) must be lower than session.timeout.ms ({})",
                config.heartbeat_interval_ms, config.session_timeout_ms
            ));
        }
        Ok(config)
    }

    /// The protocol the group will run: the highest every configured assignor supports.
    pub fn rebalance_protocol(&self) -> RebalanceProtocol {
        assignor::rebalance_protocol(&self.strategies)
    }
}

/// Where the consumer is in the group protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Looking for the coordinator.
    FindCoordinator,
    /// JoinGroup sent, waiting.
    Joining,
    /// SyncGroup sent, waiting.
    Syncing,
    /// A member with an assignment (or a standalone consumer).
    Stable,
    /// `close()` in progress: committing, then leaving.
    Closing,
    Stopped,
    Crashed,
    /// Stopped by an error the application would see as an exception.
    Failed,
}

/// What to do once a synchronous commit is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AfterCommit {
    Poll,
    Join,
    Close,
}

/// A batch of records the application is working on: per partition, the first and last offset.
/// Per partition: the position the poll started at, the last offset handed out, and how
/// many records that was (fewer than the span when a read_committed consumer skipped
/// markers or aborted records).
pub type Batch = Vec<(TopicPartition, i64, i64, i64)>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumer {
    pub id: NodeId,
    /// `client.id`.
    pub name: String,
    pub group: Option<String>,
    pub topics: Vec<String>,
    /// Partitions given with `assign()` (no group management).
    pub assign: Vec<TopicPartition>,
    pub properties: Vec<(String, String)>,
    pub config: ConsumerConfig,
    pub alive: bool,
    pub phase: Phase,
    pub coordinator: Option<NodeId>,
    pub member_id: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: bool,
    /// Partitions it owns and processes.
    pub owned: Vec<TopicPartition>,
    /// Its last assignment (the sticky assignor's user data).
    pub last_assignment: Vec<TopicPartition>,
    /// The next offset to process, per owned partition whose position is known.
    pub positions: BTreeMap<TopicPartition, i64>,
    /// Owned partitions whose starting position is being looked up.
    pub looking_up: BTreeSet<TopicPartition>,
    pub metadata: ClusterMetadata,
    pub leaders: BTreeMap<TopicPartition, NodeId>,
    /// Fetched records not handed to the application yet.
    pub buffer: BTreeMap<TopicPartition, Vec<Record>>,
    /// Brokers with a fetch of ours outstanding, and when it was sent.
    pub fetches: BTreeMap<NodeId, i64>,
    pub processing: Option<Batch>,
    /// Inside `poll()`, waiting for something to hand out.
    pub in_poll: bool,
    pub last_poll_ms: i64,
    pub next_auto_commit_ms: i64,
    pub rejoin_needed: bool,
    /// A synchronous commit in flight, and what comes after it.
    pub sync_commit: Option<(i64, AfterCommit)>,
    pub next_request_id: i64,
    pub coordinator_heard_ms: i64,
    pub bootstrap: Vec<NodeId>,
    pub next_bootstrap: usize,
    pub records_processed: i64,
    pub records_reprocessed: i64,
    /// Transactional records a read_committed consumer was given, to check that none was
    /// aborted or past the LSO.
    #[serde(default)]
    pub delivered_transactional: crate::chunked::ChunkedVec<(TopicPartition, i64)>,
    /// The leader's view of the subscribed topics' partition counts when it last assigned.
    #[serde(default)]
    pub assigned_snapshot: Option<BTreeMap<String, i32>>,
    /// When it last asked for metadata because a subscribed topic was missing.
    #[serde(default)]
    pub metadata_asked_ms: i64,
    /// Failed attempts to reach the coordinator in a row (exponential backoff, KIP-580).
    #[serde(default)]
    pub coordinator_failures: u32,
    /// Why it failed, for the view.
    pub error: Option<String>,
    pub timers: Timers<ConsumerTimer>,
    /// Its membership with `group.protocol=consumer` (KIP-848); unused by the classic
    /// protocol, where `generation` is the group's generation. With the consumer protocol
    /// `generation` holds the member epoch.
    #[serde(default)]
    pub membership: Membership,
}

/// `orders-0 offsets 0–9, orders-3 offsets 4–7`.
fn describe_batch(batch: &Batch) -> String {
    let parts: Vec<String> = batch
        .iter()
        .map(|(tp, a, b, _)| format!("{tp} offsets {a}–{b}"))
        .collect();
    parts.join(", ")
}

fn list(tps: &[TopicPartition]) -> String {
    if tps.is_empty() {
        return "[]".to_string();
    }
    let items: Vec<String> = tps.iter().map(|tp| tp.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// What `consumer start` asked for, as a consumer keeps it (`consumer restart` starts it again
/// from this): its `client.id`, its group, what it subscribes to or is assigned, and its
/// properties as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerSpec {
    pub name: String,
    pub group: Option<String>,
    pub topics: Vec<String>,
    pub assign: Vec<TopicPartition>,
    pub properties: Vec<(String, String)>,
}

impl Consumer {
    pub fn new(
        id: NodeId,
        spec: ConsumerSpec,
        config: ConsumerConfig,
        bootstrap: Vec<NodeId>,
    ) -> Consumer {
        let ConsumerSpec {
            name,
            group,
            topics,
            assign,
            properties,
        } = spec;
        Consumer {
            id,
            name,
            group,
            topics,
            assign,
            properties,
            config,
            alive: true,
            phase: Phase::FindCoordinator,
            coordinator: None,
            member_id: String::new(),
            generation: -1,
            protocol: None,
            leader: false,
            owned: Vec::new(),
            last_assignment: Vec::new(),
            positions: BTreeMap::new(),
            looking_up: BTreeSet::new(),
            metadata: ClusterMetadata::default(),
            leaders: BTreeMap::new(),
            buffer: BTreeMap::new(),
            fetches: BTreeMap::new(),
            processing: None,
            in_poll: false,
            last_poll_ms: 0,
            next_auto_commit_ms: 0,
            rejoin_needed: false,
            sync_commit: None,
            next_request_id: 0,
            coordinator_heard_ms: 0,
            bootstrap,
            next_bootstrap: 0,
            records_processed: 0,
            records_reprocessed: 0,
            delivered_transactional: Default::default(),
            coordinator_failures: 0,
            assigned_snapshot: None,
            metadata_asked_ms: i64::MIN / 2,
            error: None,
            timers: Timers::default(),
            membership: Membership::default(),
        }
    }

    fn managed(&self) -> bool {
        self.group.is_some() && self.assign.is_empty()
    }

    fn set_timer(&mut self, ctx: &mut ConsumerCtx, timer: ConsumerTimer, after_ms: i64) {
        self.timers.set(ctx, timer, after_ms);
    }

    fn event(
        &self,
        ctx: &mut ConsumerCtx,
        kind: EventKind,
        tp: Option<TopicPartition>,
        text: String,
    ) {
        ctx.event(kind, tp, format!("Consumer {}: {text}", self.name));
    }

    fn bootstrap_broker(&self) -> NodeId {
        self.bootstrap
            .get(self.next_bootstrap % self.bootstrap.len().max(1))
            .copied()
            .unwrap_or(0)
    }

    /// Asks for metadata, at most once per `retry.backoff.ms`; a request held back goes out
    /// when the backoff ends (the retry timer).
    fn request_metadata(&mut self, ctx: &mut ConsumerCtx) {
        let wait = self.metadata_asked_ms + RETRY_BACKOFF_MS - ctx.now;
        if wait > 0 {
            self.set_timer(ctx, ConsumerTimer::Retry, wait);
            return;
        }
        self.metadata_asked_ms = ctx.now;
        ctx.send(self.bootstrap_broker(), Message::MetadataRequest);
    }

    /// The process starts: metadata, then (with a group) the coordinator, then `poll()`.
    pub fn start(&mut self, ctx: &mut ConsumerCtx) {
        self.last_poll_ms = ctx.now;
        self.next_auto_commit_ms = ctx.now + self.config.auto_commit_interval_ms;
        ctx.send(self.bootstrap_broker(), Message::MetadataRequest);
        if self.consumer_protocol() {
            // The heartbeat starts with the join (`membership`).
            self.membership_start(ctx);
            self.find_coordinator(ctx);
        } else if self.managed() {
            self.find_coordinator(ctx);
            self.set_timer(
                ctx,
                ConsumerTimer::Heartbeat,
                self.config.heartbeat_interval_ms,
            );
        } else {
            self.owned = self.assign.clone();
            self.phase = Phase::Stable;
            if self.group.is_some() {
                self.find_coordinator(ctx);
            }
        }
        self.set_timer(ctx, ConsumerTimer::Poll, 0);
    }

    fn find_coordinator(&mut self, ctx: &mut ConsumerCtx) {
        let Some(group) = self.group.clone() else {
            return;
        };
        self.coordinator = None;
        // A consumer-protocol member stays a member while it looks for its coordinator.
        if self.managed() && !self.consumer_protocol() {
            self.phase = Phase::FindCoordinator;
        }
        ctx.send(
            self.bootstrap_broker(),
            Message::FindCoordinator { group_id: group },
        );
    }

    pub fn handle_find_coordinator_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        error: Option<KafkaError>,
        node: Option<NodeId>,
    ) {
        match (error, node) {
            (None, Some(node)) => {
                self.coordinator = Some(node);
                self.coordinator_heard_ms = ctx.now;
                if self.coordinator_failures == 0 {
                    self.event(
                        ctx,
                        EventKind::Group,
                        None,
                        format!("its group coordinator is broker {node}"),
                    );
                }
                if self.managed() && self.phase == Phase::FindCoordinator {
                    self.rejoin_needed = true;
                }
                if self.consumer_protocol() {
                    self.membership_coordinator_found(ctx);
                }
                self.poll_if_waiting(ctx);
            }
            _ => {
                self.next_bootstrap += 1;
                self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
            }
        }
    }

    pub fn on_retry(&mut self, ctx: &mut ConsumerCtx) {
        if self.coordinator.is_none() && self.group.is_some() {
            self.find_coordinator(ctx);
        } else {
            self.request_metadata(ctx);
            self.poll_if_waiting(ctx);
        }
    }

    pub fn handle_metadata(
        &mut self,
        ctx: &mut ConsumerCtx,
        leaders: Vec<(TopicPartition, Option<NodeId>, i32)>,
        cluster: ClusterMetadata,
    ) {
        self.leaders = leaders
            .into_iter()
            .filter_map(|(tp, leader, _)| leader.map(|l| (tp, l)))
            .collect();
        self.metadata = cluster;
        // The leader rejoins when the partitions of the subscribed topics are not what it
        // assigned (`ConsumerCoordinator.rejoinNeededOrPending`: the assignment snapshot no
        // longer matches the metadata).
        let now = self.subscribed_partitions();
        if self.leader
            && self.phase == Phase::Stable
            && !self.rejoin_needed
            && self.assigned_snapshot.as_ref().is_some_and(|s| *s != now)
        {
            self.event(
                ctx,
                EventKind::Group,
                None,
                format!("as the group's leader, sees the subscribed topics' partitions change ({now:?}) since it assigned them: it rejoins so the group reassigns"),
            );
            self.rejoin_needed = true;
        }
        self.poll_if_waiting(ctx);
    }

    /// Partition counts of the subscribed topics in the current metadata.
    fn subscribed_partitions(&self) -> BTreeMap<String, i32> {
        self.topics
            .iter()
            .map(|t| {
                let n = self.metadata.topics.get(t).map_or(0, |m| m.partitions);
                (t.clone(), n)
            })
            .collect()
    }

    /// A request could not be sent: the broker is down.
    pub fn handle_disconnect(&mut self, ctx: &mut ConsumerCtx, broker: NodeId, message: &Message) {
        match message {
            Message::Fetch(FetchRequest { .. }) => {
                self.fetches.remove(&broker);
                self.leaders.retain(|_, l| *l != broker);
                self.next_bootstrap += 1;
                self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
            }
            Message::MetadataRequest | Message::FindCoordinator { .. } => {
                self.next_bootstrap += 1;
                self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
            }
            Message::ListOffsets { partitions } => {
                for (tp, _) in partitions {
                    self.looking_up.remove(tp);
                }
                self.leaders.retain(|_, l| *l != broker);
                self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
            }
            _ => self.coordinator_lost(ctx, "its coordinator is down"),
        }
    }

    /// `retry.backoff.ms` doubling per failure up to `retry.backoff.max.ms` (KIP-580).
    fn backoff_ms(&self) -> i64 {
        (RETRY_BACKOFF_MS << self.coordinator_failures.min(4)).min(RETRY_BACKOFF_MAX_MS)
    }

    /// A broker it is connected to died: its requests there fail (the connection drops).
    pub fn on_broker_down(&mut self, ctx: &mut ConsumerCtx, broker: NodeId) {
        if !self.alive {
            return;
        }
        if self.fetches.remove(&broker).is_some() {
            self.leaders.retain(|_, l| *l != broker);
            self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
        }
        if self.coordinator == Some(broker) {
            self.coordinator_lost(
                ctx,
                &format!("its connection to coordinator {broker} dropped"),
            );
        }
    }

    fn coordinator_lost(&mut self, ctx: &mut ConsumerCtx, why: &str) {
        if self.coordinator.is_none() {
            return;
        }
        if self.coordinator_failures == 0 {
            self.event(
                ctx,
                EventKind::Group,
                None,
                format!("{why}: it marks the coordinator unknown and looks for it again, backing off from retry.backoff.ms={RETRY_BACKOFF_MS} up to retry.backoff.max.ms={RETRY_BACKOFF_MAX_MS} while it fails"),
            );
        }
        self.coordinator_failures += 1;
        self.coordinator = None;
        self.membership_coordinator_lost();
        if let Some((_, after)) = self.sync_commit.take() {
            self.after_commit(ctx, after);
        }
        if matches!(self.phase, Phase::Joining | Phase::Syncing) {
            self.rejoin_needed = true;
        }
        self.next_bootstrap += 1;
        let backoff = self.backoff_ms();
        self.set_timer(ctx, ConsumerTimer::Retry, backoff);
    }

    // ------------------------------------------------------------------ poll loop

    fn poll_if_waiting(&mut self, ctx: &mut ConsumerCtx) {
        if self.in_poll && self.processing.is_none() && self.sync_commit.is_none() {
            self.poll(ctx);
        }
    }

    /// The application calls `poll()`.
    pub fn poll(&mut self, ctx: &mut ConsumerCtx) {
        if !self.alive || matches!(self.phase, Phase::Closing | Phase::Stopped | Phase::Failed) {
            return;
        }
        self.in_poll = true;
        self.last_poll_ms = ctx.now;
        // A subscribed topic missing from the metadata: ask again (and again after a backoff).
        if self.topics.iter().any(|t| {
            self.metadata
                .topics
                .get(t)
                .is_none_or(|m| m.partitions == 0)
        }) {
            self.request_metadata(ctx);
        }
        if self.managed() {
            if self.coordinator.is_none() {
                return;
            }
            if self.consumer_protocol() {
                self.membership_on_poll(ctx);
            }
            if self.rejoin_needed && !matches!(self.phase, Phase::Joining | Phase::Syncing) {
                self.start_join(ctx);
                return;
            }
            if self.phase != Phase::Stable {
                return;
            }
        }
        // Auto-commit runs inside poll() once the interval has passed.
        if self.config.enable_auto_commit
            && self.group.is_some()
            && ctx.now >= self.next_auto_commit_ms
        {
            self.next_auto_commit_ms = ctx.now + self.config.auto_commit_interval_ms;
            self.commit(ctx, None);
        }
        self.look_up_positions(ctx);
        if self.hand_out(ctx) {
            return;
        }
        self.send_fetches(ctx);
    }

    /// Starts looking up the position of owned partitions without one.
    fn look_up_positions(&mut self, ctx: &mut ConsumerCtx) {
        let missing: Vec<TopicPartition> = self
            .owned
            .iter()
            .filter(|tp| !self.positions.contains_key(*tp) && !self.looking_up.contains(*tp))
            .cloned()
            .collect();
        if missing.is_empty() {
            return;
        }
        match (&self.group, self.coordinator) {
            (Some(group), Some(coordinator)) => {
                for tp in &missing {
                    self.looking_up.insert(tp.clone());
                }
                ctx.send(
                    coordinator,
                    Message::OffsetFetch {
                        group_id: group.clone(),
                        partitions: missing,
                    },
                );
            }
            (Some(_), None) => {}
            (None, _) => self.reset_positions(ctx, missing),
        }
    }

    /// `auto.offset.reset` for partitions without a committed offset.
    fn reset_positions(&mut self, ctx: &mut ConsumerCtx, partitions: Vec<TopicPartition>) {
        let timestamp = match self.config.auto_offset_reset {
            OffsetReset::Earliest => EARLIEST_TIMESTAMP,
            OffsetReset::Latest => LATEST_TIMESTAMP,
            OffsetReset::None => {
                let text = format!("NoOffsetForPartitionException: Undefined offset with no reset policy for partitions: {}", list(&partitions));
                self.event(
                    ctx,
                    EventKind::Consume,
                    None,
                    format!("poll() throws {text} (auto.offset.reset=none); the application stops"),
                );
                self.error = Some(text);
                self.fail(ctx);
                return;
            }
        };
        let mut by_leader: BTreeMap<NodeId, Vec<(TopicPartition, i64)>> = BTreeMap::new();
        for tp in partitions {
            match self.leaders.get(&tp) {
                Some(&leader) => {
                    self.looking_up.insert(tp.clone());
                    by_leader.entry(leader).or_default().push((tp, timestamp));
                }
                None => {
                    self.looking_up.remove(&tp);
                    self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
                }
            }
        }
        for (leader, partitions) in by_leader {
            ctx.send(leader, Message::ListOffsets { partitions });
        }
    }

    pub fn handle_offset_fetch_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        error: Option<KafkaError>,
        offsets: Vec<(TopicPartition, Option<i64>)>,
    ) {
        if let Some(e) = error {
            for (tp, _) in &offsets {
                self.looking_up.remove(tp);
            }
            if matches!(
                e,
                KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE
            ) {
                self.coordinator_lost(ctx, "OffsetFetch answered NOT_COORDINATOR");
            }
            return;
        }
        let mut reset = Vec::new();
        let mut found = Vec::new();
        for (tp, committed) in offsets {
            self.looking_up.remove(&tp);
            if !self.owned.contains(&tp) {
                continue;
            }
            match committed {
                Some(offset) => {
                    self.positions.insert(tp.clone(), offset);
                    found.push(format!("{tp}@{offset}"));
                }
                None => reset.push(tp),
            }
        }
        if !found.is_empty() {
            self.event(
                ctx,
                EventKind::Consume,
                None,
                format!(
                    "starts from the group's committed offsets {}",
                    found.join(", ")
                ),
            );
        }
        if !reset.is_empty() {
            let policy = match self.config.auto_offset_reset {
                OffsetReset::Earliest => "earliest: the log start offset",
                OffsetReset::Latest => "latest: the HW, so only records written from now on",
                OffsetReset::None => "none",
            };
            self.event(
                ctx,
                EventKind::Consume,
                None,
                format!(
                    "the group has no committed offset for {}, so auto.offset.reset={policy}",
                    list(&reset)
                ),
            );
            self.reset_positions(ctx, reset);
        }
        self.poll_if_waiting(ctx);
    }

    pub fn handle_list_offsets_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        partitions: Vec<(TopicPartition, Option<KafkaError>, i64)>,
    ) {
        for (tp, error, offset) in partitions {
            self.looking_up.remove(&tp);
            if error.is_some() {
                self.leaders.remove(&tp);
                self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
                continue;
            }
            if self.owned.contains(&tp) && !self.positions.contains_key(&tp) {
                self.positions.insert(tp, offset);
            }
        }
        self.poll_if_waiting(ctx);
    }

    /// Hands buffered records to the application. Returns whether it started processing.
    fn hand_out(&mut self, ctx: &mut ConsumerCtx) -> bool {
        let mut left = self.config.max_poll_records;
        let mut batch: Batch = Vec::new();
        for tp in self.owned.clone() {
            if left == 0 {
                break;
            }
            let Some(position) = self.positions.get(&tp).copied() else {
                continue;
            };
            let Some(records) = self.buffer.get_mut(&tp) else {
                continue;
            };
            records.retain(|r| r.offset >= position);
            let take = (records.len() as i64).min(left);
            if take == 0 {
                continue;
            }
            let taken: Vec<Record> = records.drain(..take as usize).collect();
            left -= take;
            let last = taken.last().map_or(position, |r| r.offset);
            batch.push((tp.clone(), position, last, take));
        }
        if batch.is_empty() {
            return false;
        }
        let count: i64 = batch.iter().map(|(_, _, _, n)| n).sum();
        let took = count * self.config.processing_ms_per_record;
        self.event(
            ctx,
            EventKind::Consume,
            None,
            format!(
                "poll() returns {count} record(s) ({}); the application works on them for {took} ms",
                describe_batch(&batch)
            ),
        );
        self.processing = Some(batch);
        self.in_poll = false;
        self.set_timer(ctx, ConsumerTimer::Processed, took);
        true
    }

    /// The application finished a poll's records.
    pub fn on_processed(
        &mut self,
        ctx: &mut ConsumerCtx,
        progress: &mut BTreeMap<(String, TopicPartition), i64>,
    ) {
        let Some(batch) = self.processing.take() else {
            return;
        };
        let key = self.group.clone().unwrap_or_else(|| self.name.clone());
        self.event(
            ctx,
            EventKind::Consume,
            None,
            format!("finishes processing {}", describe_batch(&batch)),
        );
        let mut again = Vec::new();
        for (tp, first, last, count) in &batch {
            self.records_processed += count;
            let seen = progress.entry((key.clone(), tp.clone())).or_insert(-1);
            if *seen >= *first {
                let twice = ((*seen).min(*last) - first + 1).min(*count);
                self.records_reprocessed += twice;
                again.push(format!("{tp} offsets {first}–{}", (*seen).min(*last)));
            }
            *seen = (*seen).max(*last);
            if self.owned.contains(tp) {
                self.positions.insert(tp.clone(), last + 1);
            }
        }
        if !again.is_empty() {
            self.event(
                ctx,
                EventKind::Consume,
                None,
                format!(
                    "{} have now been processed twice in {key}: their offsets were not committed before the partition changed hands (at-least-once delivery)",
                    again.join(", ")
                ),
            );
        }
        let grouped = self.group.is_some();
        let waiting = match self.config.commit_after_poll {
            CommitAfterPoll::Sync if grouped => self.commit(ctx, Some(AfterCommit::Poll)),
            CommitAfterPoll::Async if grouped => {
                self.commit(ctx, None);
                false
            }
            _ => false,
        };
        if waiting {
            return;
        }
        self.poll(ctx);
    }

    fn send_fetches(&mut self, ctx: &mut ConsumerCtx) {
        let now = ctx.now;
        // A fetch with no answer for request.timeout.ms is given up.
        self.fetches
            .retain(|_, sent| now - *sent < REQUEST_TIMEOUT_MS);
        let mut by_leader: BTreeMap<NodeId, Vec<FetchPartition>> = BTreeMap::new();
        let mut missing_leader = false;
        for tp in &self.owned {
            let Some(&position) = self.positions.get(tp) else {
                continue;
            };
            if self.buffer.get(tp).is_some_and(|b| !b.is_empty()) {
                continue;
            }
            let Some(&leader) = self.leaders.get(tp) else {
                missing_leader = true;
                continue;
            };
            if self.fetches.contains_key(&leader) {
                continue;
            }
            by_leader.entry(leader).or_default().push(FetchPartition {
                partition: tp.clone(),
                fetch_offset: position,
                last_fetched_epoch: -1,
                current_leader_epoch: -1,
                log_start_offset: -1,
                max_bytes: self.config.max_partition_fetch_bytes,
            });
        }
        if missing_leader {
            self.request_metadata(ctx);
        }
        for (leader, partitions) in by_leader {
            self.fetches.insert(leader, now);
            ctx.send(
                leader,
                Message::Fetch(FetchRequest {
                    replica_id: -1,
                    broker_epoch: -1,
                    max_wait_ms: self.config.fetch_max_wait_ms,
                    partitions,
                    read_committed: self.config.read_committed,
                }),
            );
        }
    }

    pub fn handle_fetch_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        from: NodeId,
        partitions: Vec<FetchPartitionResponse>,
    ) {
        self.fetches.remove(&from);
        let mut refresh = false;
        for part in partitions {
            let tp = part.partition.clone();
            match part.error {
                Some(KafkaError::OFFSET_OUT_OF_RANGE) => {
                    if self.owned.contains(&tp) {
                        self.positions.remove(&tp);
                        self.reset_positions(ctx, vec![tp]);
                    }
                }
                Some(_) => {
                    self.leaders.remove(&tp);
                    refresh = true;
                }
                None => {
                    let Some(&position) = self.positions.get(&tp) else {
                        continue;
                    };
                    if !self.owned.contains(&tp) {
                        continue;
                    }
                    // Control records are never returned; read_committed also drops the data
                    // of aborted transactions (`CompletedFetch`). Both still advance the
                    // position.
                    let fetched_end = part.records.last().map(|r| r.offset + 1);
                    let visible: Vec<Record> = if self.config.read_committed {
                        crate::producer_state::committed_only(
                            &part.records,
                            &part.aborted_transactions,
                        )
                    } else {
                        part.records
                            .into_iter()
                            .filter(|r| !r.is_control())
                            .collect()
                    };
                    if self.config.read_committed {
                        self.delivered_transactional.extend(
                            visible
                                .iter()
                                .filter(|r| r.batch.as_ref().is_some_and(|b| b.transactional))
                                .map(|r| (tp.clone(), r.offset)),
                        );
                    }
                    let buffer = self.buffer.entry(tp.clone()).or_default();
                    let next = buffer.last().map_or(position, |r| r.offset + 1);
                    buffer.extend(visible.into_iter().filter(|r| r.offset >= next));
                    if buffer.is_empty() && self.processing.is_none() {
                        if let Some(end) = fetched_end.filter(|&e| e > position) {
                            self.positions.insert(tp, end);
                        }
                    }
                }
            }
        }
        if refresh {
            self.request_metadata(ctx);
        }
        self.poll_if_waiting(ctx);
    }

    // ------------------------------------------------------------------ commits

    /// Commits the positions of owned partitions. With `after`, waits for the answer (a
    /// synchronous commit) and returns true if a commit was sent.
    fn commit(&mut self, ctx: &mut ConsumerCtx, after: Option<AfterCommit>) -> bool {
        let (Some(group), Some(coordinator)) = (self.group.clone(), self.coordinator) else {
            return false;
        };
        let offsets: Vec<(TopicPartition, i64)> = self
            .owned
            .iter()
            .filter_map(|tp| self.positions.get(tp).map(|&o| (tp.clone(), o)))
            .collect();
        if offsets.is_empty() {
            return false;
        }
        let id = self.next_request_id;
        self.next_request_id += 1;
        let (generation, member) = if self.managed() {
            (self.generation, self.member_id.clone())
        } else {
            (-1, String::new())
        };
        ctx.send(
            coordinator,
            Message::OffsetCommit(OffsetCommitRequest {
                request_id: id,
                group_id: group,
                generation,
                member_id: member,
                offsets,
            }),
        );
        if let Some(after) = after {
            self.sync_commit = Some((id, after));
            true
        } else {
            false
        }
    }

    pub fn handle_offset_commit_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        request_id: i64,
        error: Option<KafkaError>,
        offsets: Vec<(TopicPartition, i64)>,
    ) {
        if let Some(e) = error {
            let text: Vec<String> = offsets.iter().map(|(tp, o)| format!("{tp}@{o}")).collect();
            self.event(
                ctx,
                EventKind::Commit,
                None,
                format!("its commit of {} fails with {e}{}", text.join(", "), match e {
                    KafkaError::ILLEGAL_GENERATION | KafkaError::UNKNOWN_MEMBER_ID | KafkaError::REBALANCE_IN_PROGRESS => ": CommitFailedException, the group has rebalanced and these partitions may belong to someone else now",
                    KafkaError::STALE_MEMBER_EPOCH => ": its member epoch moved on while the commit was on its way, so the coordinator did not store it",
                    _ => "",
                }),
            );
            match e {
                KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE => {
                    self.coordinator_lost(ctx, "OffsetCommit answered NOT_COORDINATOR")
                }
                // With the consumer protocol the heartbeat finds out about membership.
                KafkaError::ILLEGAL_GENERATION | KafkaError::UNKNOWN_MEMBER_ID
                    if !self.consumer_protocol() =>
                {
                    self.rejoin_needed = true
                }
                _ => {}
            }
        }
        if self.membership.revoking == Some(request_id) {
            self.finish_reconcile(ctx);
        }
        if let Some((id, after)) = self.sync_commit {
            if id == request_id {
                self.sync_commit = None;
                self.after_commit(ctx, after);
            }
        }
    }

    fn after_commit(&mut self, ctx: &mut ConsumerCtx, after: AfterCommit) {
        match after {
            AfterCommit::Poll => self.poll(ctx),
            AfterCommit::Join => self.send_join(ctx),
            AfterCommit::Close => self.finish_close(ctx),
        }
    }

    // ------------------------------------------------------------------ group membership

    /// `onJoinPrepare`, then JoinGroup.
    fn start_join(&mut self, ctx: &mut ConsumerCtx) {
        if self.consumer_protocol() {
            return self.membership_join(ctx);
        }
        self.rejoin_needed = false;
        if self.generation < 0 && !self.owned.is_empty() {
            // It was fenced or left (poll timeout): its partitions are lost, not revoked.
            self.lose_partitions(
                ctx,
                "it is no longer a member of the generation that gave them",
            );
        }
        let eager = self.config.rebalance_protocol() == RebalanceProtocol::Eager;
        if eager && !self.owned.is_empty() {
            // Eager: give everything back before rejoining, committing first.
            let committing =
                self.config.enable_auto_commit && self.commit(ctx, Some(AfterCommit::Join));
            self.event(
                ctx,
                EventKind::Group,
                None,
                format!(
                    "stops processing and revokes all its partitions {} before rejoining (eager protocol){}",
                    list(&self.owned),
                    if committing { ", committing its positions first" } else { "" }
                ),
            );
            self.phase = Phase::Joining;
            let owned = self.owned.clone();
            self.revoke(&owned);
            if committing {
                return;
            }
        }
        self.send_join(ctx);
    }

    /// How `target` differs from what it owns: `(revoked, added, kept)`, revoked and kept in
    /// the order owned, added in the target's order.
    fn assignment_change(
        &self,
        target: &[TopicPartition],
    ) -> (
        Vec<TopicPartition>,
        Vec<TopicPartition>,
        Vec<TopicPartition>,
    ) {
        let (kept, revoked) = self
            .owned
            .iter()
            .cloned()
            .partition(|tp| target.contains(tp));
        let added = target
            .iter()
            .filter(|tp| !self.owned.contains(tp))
            .cloned()
            .collect();
        (revoked, added, kept)
    }

    fn revoke(&mut self, partitions: &[TopicPartition]) {
        self.owned.retain(|tp| !partitions.contains(tp));
        for tp in partitions {
            self.positions.remove(tp);
            self.buffer.remove(tp);
            self.looking_up.remove(tp);
        }
    }

    fn send_join(&mut self, ctx: &mut ConsumerCtx) {
        let (Some(group), Some(coordinator)) = (self.group.clone(), self.coordinator) else {
            self.rejoin_needed = true;
            return;
        };
        if self.config.rebalance_protocol() == RebalanceProtocol::Eager {
            let owned = self.owned.clone();
            self.revoke(&owned);
        }
        self.phase = Phase::Joining;
        let protocols = self
            .config
            .strategies
            .iter()
            .map(|a| {
                let owned = match a {
                    Assignor::CooperativeSticky => self.owned.clone(),
                    Assignor::Sticky => self.last_assignment.clone(),
                    _ => Vec::new(),
                };
                (
                    a.name().to_string(),
                    Subscription {
                        topics: self.topics.clone(),
                        owned_partitions: owned,
                        generation: self.generation,
                        rack: self.config.rack.clone(),
                    },
                )
            })
            .collect();
        ctx.send(
            coordinator,
            Message::JoinGroup(JoinGroupRequest {
                group_id: group,
                member_id: self.member_id.clone(),
                group_instance_id: self.config.group_instance_id.clone(),
                client_id: self.name.clone(),
                session_timeout_ms: self.config.session_timeout_ms,
                rebalance_timeout_ms: self.config.max_poll_interval_ms,
                protocols,
            }),
        );
    }

    pub fn handle_join_response(&mut self, ctx: &mut ConsumerCtx, request: JoinGroupResponse) {
        let JoinGroupResponse {
            error,
            generation,
            protocol_name: protocol,
            leader,
            member_id,
            members,
            skip_assignment,
            ..
        } = request;
        if self.phase != Phase::Joining {
            return;
        }
        self.coordinator_heard_ms = ctx.now;
        self.coordinator_failures = 0;
        if let Some(e) = error {
            match e {
                KafkaError::MEMBER_ID_REQUIRED => {
                    // `AbstractCoordinator` resets the generation with the new member id, so
                    // a generation learnt from another coordinator is not carried over.
                    self.member_id = member_id;
                    self.generation = -1;
                    self.send_join(ctx);
                }
                KafkaError::UNKNOWN_MEMBER_ID | KafkaError::ILLEGAL_GENERATION => {
                    self.member_id.clear();
                    self.generation = -1;
                    self.send_join(ctx);
                }
                KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE => {
                    self.rejoin_needed = true;
                    self.coordinator_lost(ctx, "JoinGroup answered NOT_COORDINATOR");
                    self.phase = Phase::FindCoordinator;
                }
                KafkaError::REBALANCE_IN_PROGRESS => self.send_join(ctx),
                other => {
                    let text = format!("JoinGroup fails with {other}");
                    self.event(
                        ctx,
                        EventKind::Group,
                        None,
                        format!("{text}; the consumer stops"),
                    );
                    self.error = Some(text);
                    self.fail(ctx);
                }
            }
            return;
        }
        self.generation = generation;
        self.member_id = member_id.clone();
        self.protocol = protocol.clone();
        self.leader = leader == member_id;
        self.phase = Phase::Syncing;
        let Some(group) = self.group.clone() else {
            return;
        };
        let mut assignments = Vec::new();
        if self.leader && !skip_assignment {
            self.assigned_snapshot = Some(self.subscribed_partitions());
            let name = protocol.clone().unwrap_or_default();
            let subscriptions: Vec<MemberSubscription> = members
                .iter()
                .map(|m| MemberSubscription {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    rack: m.subscription.rack.clone(),
                    topics: m.subscription.topics.clone(),
                    owned_partitions: m.subscription.owned_partitions.clone(),
                    generation: (m.subscription.generation >= 0)
                        .then_some(m.subscription.generation),
                })
                .collect();
            let result = Assignor::from_name(&name)
                .and_then(|a| assignor::assign(a, &self.metadata, &subscriptions));
            match result {
                Ok(assignment) => {
                    let lines: Vec<String> = assignment
                        .members
                        .iter()
                        .map(|(m, tps)| format!("{m} ← {}", list(tps)))
                        .collect();
                    self.event(
                        ctx,
                        EventKind::Group,
                        None,
                        format!(
                            "is the leader of generation {generation}: it runs the {name} assignor over {} member(s): {}",
                            members.len(),
                            lines.join("; ")
                        ),
                    );
                    assignments = assignment.members.into_iter().collect();
                }
                Err(e) => {
                    self.event(ctx, EventKind::Group, None, format!("cannot assign: {e}"));
                }
            }
        }
        ctx.send(
            self.coordinator.unwrap_or(0),
            Message::SyncGroup(SyncGroupRequest {
                group_id: group,
                generation,
                member_id,
                group_instance_id: self.config.group_instance_id.clone(),
                assignments,
            }),
        );
    }

    pub fn handle_sync_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        error: Option<KafkaError>,
        assignment: Vec<TopicPartition>,
    ) {
        if self.phase != Phase::Syncing {
            return;
        }
        self.coordinator_heard_ms = ctx.now;
        self.coordinator_failures = 0;
        if let Some(e) = error {
            match e {
                KafkaError::UNKNOWN_MEMBER_ID | KafkaError::ILLEGAL_GENERATION => {
                    self.member_id.clear();
                    self.generation = -1;
                    self.lose_partitions(ctx, &format!("SyncGroup answered {e}"));
                }
                KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE => {
                    self.coordinator_lost(ctx, "SyncGroup answered NOT_COORDINATOR");
                    self.phase = Phase::FindCoordinator;
                    self.rejoin_needed = true;
                    return;
                }
                _ => {}
            }
            self.rejoin_needed = true;
            self.phase = Phase::Stable;
            self.in_poll = true;
            self.poll(ctx);
            return;
        }
        self.last_assignment = assignment.clone();
        self.phase = Phase::Stable;
        let gen = self.generation;
        if self.config.rebalance_protocol() == RebalanceProtocol::Cooperative {
            let (revoked, added, kept) = self.assignment_change(&assignment);
            if !revoked.is_empty() && self.config.enable_auto_commit {
                self.commit(ctx, None);
            }
            self.revoke(&revoked);
            self.owned.extend(added.iter().cloned());
            let mut parts = Vec::new();
            if !kept.is_empty() {
                parts.push(format!(
                    "keeps {} and never stopped processing them",
                    list(&kept)
                ));
            }
            if !added.is_empty() {
                parts.push(format!("gets {}", list(&added)));
            }
            if !revoked.is_empty() {
                parts.push(format!("revokes {} (they move to another member) and rejoins at once so a second rebalance can hand them out", list(&revoked)));
            }
            if parts.is_empty() {
                parts.push("has no partition in this assignment".to_string());
            }
            self.event(
                ctx,
                EventKind::Group,
                None,
                format!("generation {gen} (cooperative): {}", parts.join("; ")),
            );
            if !revoked.is_empty() {
                self.rejoin_needed = true;
            }
        } else {
            self.owned = assignment.clone();
            self.event(
                ctx,
                EventKind::Group,
                None,
                format!(
                    "generation {gen}: gets partitions {} and resumes processing",
                    list(&assignment)
                ),
            );
        }
        self.set_timer(
            ctx,
            ConsumerTimer::Heartbeat,
            self.config.heartbeat_interval_ms,
        );
        self.in_poll = true;
        self.poll(ctx);
    }

    /// `onPartitionsLost`: the member was fenced; its partitions go without a commit.
    fn lose_partitions(&mut self, ctx: &mut ConsumerCtx, why: &str) {
        if self.owned.is_empty() {
            return;
        }
        self.event(
            ctx,
            EventKind::Group,
            None,
            format!(
                "loses its partitions {} without committing ({why})",
                list(&self.owned)
            ),
        );
        let owned = self.owned.clone();
        self.revoke(&owned);
    }

    /// The heartbeat thread's tick.
    pub fn on_heartbeat_timer(&mut self, ctx: &mut ConsumerCtx) {
        if !self.managed() || !self.alive {
            return;
        }
        if self.consumer_protocol() {
            return self.membership_heartbeat_tick(ctx);
        }
        self.set_timer(
            ctx,
            ConsumerTimer::Heartbeat,
            self.config.heartbeat_interval_ms,
        );
        // The heartbeat thread runs once the member has joined: while it waits for its
        // assignment (COMPLETING_REBALANCE) as well as when stable.
        if !matches!(self.phase, Phase::Stable | Phase::Syncing) {
            return;
        }
        let Some(coordinator) = self.coordinator else {
            return;
        };
        if ctx.now - self.coordinator_heard_ms > REQUEST_TIMEOUT_MS {
            self.coordinator_lost(
                ctx,
                "its coordinator has not answered for request.timeout.ms",
            );
            return;
        }
        let busy = !self.in_poll;
        if busy && ctx.now - self.last_poll_ms > self.config.max_poll_interval_ms {
            let static_member = self.config.group_instance_id.is_some();
            self.event(
                ctx,
                EventKind::Group,
                None,
                format!(
                    "has not called poll() for {} ms, more than max.poll.interval.ms={}: the heartbeat thread {}",
                    ctx.now - self.last_poll_ms,
                    self.config.max_poll_interval_ms,
                    if static_member {
                        "stops heartbeating (a static member sends no LeaveGroup; the session timeout will remove it)"
                    } else {
                        "sends LeaveGroup so the group can rebalance without it"
                    }
                ),
            );
            if !static_member {
                if let Some(group) = self.group.clone() {
                    ctx.send(
                        coordinator,
                        Message::LeaveGroup(LeaveGroupRequest {
                            group_id: group,
                            member_id: self.member_id.clone(),
                            group_instance_id: None,
                            reason: "consumer poll timeout has expired".into(),
                        }),
                    );
                }
                self.member_id.clear();
            }
            // Until the application polls again it is not part of the group; then it joins
            // as a new member.
            self.generation = -1;
            self.rejoin_needed = true;
            self.timers.cancel(&ConsumerTimer::Heartbeat);
            return;
        }
        if let Some(group) = self.group.clone() {
            ctx.send(
                coordinator,
                Message::Heartbeat {
                    group_id: group,
                    generation: self.generation,
                    member_id: self.member_id.clone(),
                    group_instance_id: self.config.group_instance_id.clone(),
                },
            );
        }
    }

    pub fn handle_heartbeat_response(&mut self, ctx: &mut ConsumerCtx, error: Option<KafkaError>) {
        self.coordinator_heard_ms = ctx.now;
        self.coordinator_failures = 0;
        match error {
            None => {}
            Some(KafkaError::REBALANCE_IN_PROGRESS)
                if !self.rejoin_needed && self.phase == Phase::Stable =>
            {
                self.event(
                        ctx,
                        EventKind::Group,
                        None,
                        if self.in_poll {
                            "learns from its heartbeat that the group is rebalancing (REBALANCE_IN_PROGRESS) and rejoins".to_string()
                        } else {
                            "learns from its heartbeat that the group is rebalancing (REBALANCE_IN_PROGRESS); it will rejoin at its next poll(), after the records it is processing".to_string()
                        },
                    );
                self.rejoin_needed = true;
                self.poll_if_waiting(ctx);
            }
            Some(KafkaError::NOT_COORDINATOR) | Some(KafkaError::COORDINATOR_NOT_AVAILABLE) => {
                self.coordinator_lost(ctx, "its heartbeat was answered NOT_COORDINATOR")
            }
            Some(KafkaError::REBALANCE_IN_PROGRESS) => {}
            Some(e) if self.phase == Phase::Stable && !self.rejoin_needed => {
                if e == KafkaError::UNKNOWN_MEMBER_ID || e == KafkaError::FENCED_INSTANCE_ID {
                    self.member_id.clear();
                }
                self.generation = -1;
                self.lose_partitions(ctx, &format!("its heartbeat was answered {e}"));
                self.rejoin_needed = true;
                self.poll_if_waiting(ctx);
            }
            Some(_) => {}
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /// `close()`: commit (with auto-commit), leave the group, stop.
    pub fn close(&mut self, ctx: &mut ConsumerCtx) {
        self.processing = None;
        self.phase = Phase::Closing;
        if self.config.enable_auto_commit && self.commit(ctx, Some(AfterCommit::Close)) {
            self.event(
                ctx,
                EventKind::Commit,
                None,
                "close(): commits its positions before leaving".into(),
            );
            return;
        }
        self.finish_close(ctx);
    }

    fn finish_close(&mut self, ctx: &mut ConsumerCtx) {
        if self.consumer_protocol() {
            if let Some(text) = self.membership_close() {
                self.membership_leave_on_close(ctx);
                self.event(ctx, EventKind::Group, None, text);
            } else {
                self.event(ctx, EventKind::Group, None, "is closed".to_string());
            }
            self.stop();
            self.phase = Phase::Stopped;
            return;
        }
        if self.managed() && self.config.group_instance_id.is_none() && !self.member_id.is_empty() {
            if let (Some(group), Some(coordinator)) = (self.group.clone(), self.coordinator) {
                ctx.send(
                    coordinator,
                    Message::LeaveGroup(LeaveGroupRequest {
                        group_id: group,
                        member_id: self.member_id.clone(),
                        group_instance_id: None,
                        reason: "the consumer is being closed".into(),
                    }),
                );
            }
        }
        self.event(
            ctx,
            EventKind::Group,
            None,
            if self.config.group_instance_id.is_some() {
                "is closed; as a static member it sends no LeaveGroup, so its partitions wait for it until session.timeout.ms".to_string()
            } else {
                "is closed and has left its group".to_string()
            },
        );
        self.stop();
        self.phase = Phase::Stopped;
    }

    fn fail(&mut self, _ctx: &mut ConsumerCtx) {
        self.stop();
        self.phase = Phase::Failed;
    }

    fn stop(&mut self) {
        self.alive = false;
        self.processing = None;
        self.in_poll = false;
        self.timers.clear();
        self.fetches.clear();
        self.owned.clear();
        self.positions.clear();
        self.buffer.clear();
        self.looking_up.clear();
    }

    /// The process dies: nothing is committed, nobody is told.
    pub fn crash(&mut self) {
        self.stop();
        self.phase = Phase::Crashed;
    }

    /// A few words on what it is doing, for the view.
    pub fn state_label(&self) -> String {
        if self.consumer_protocol() && self.alive {
            if let Some(label) = self.membership_label() {
                return label.to_string();
            }
        }
        match self.phase {
            Phase::FindCoordinator if self.alive => "finding coordinator",
            Phase::FindCoordinator => "stopped",
            Phase::Joining if !self.owned.is_empty() => "rejoining (keeps its partitions)",
            Phase::Joining => "joining",
            Phase::Syncing => "syncing",
            Phase::Stable if self.processing.is_some() && self.rejoin_needed => {
                "processing (rebalance waits for its poll)"
            }
            Phase::Stable if self.processing.is_some() => "processing",
            Phase::Stable if self.rejoin_needed => "rejoining",
            Phase::Stable => "polling",
            Phase::Closing => "closing",
            Phase::Stopped => "stopped",
            Phase::Crashed => "crashed",
            Phase::Failed => "failed",
        }
        .to_string()
    }
}

impl Consumer {
    /// Handles an answer that arrived for this consumer.
    pub fn handle_message(&mut self, ctx: &mut ConsumerCtx, from: NodeId, message: Message) {
        match message {
            Message::MetadataResponse { leaders, cluster } => {
                self.handle_metadata(ctx, leaders, cluster)
            }
            Message::FindCoordinatorResponse { error, node, .. } => {
                self.handle_find_coordinator_response(ctx, error, node)
            }
            Message::JoinGroupResponse(request) => self.handle_join_response(ctx, request),
            Message::SyncGroupResponse {
                error, assignment, ..
            } => self.handle_sync_response(ctx, error, assignment),
            Message::HeartbeatResponse { error, .. } => self.handle_heartbeat_response(ctx, error),
            Message::LeaveGroupResponse { .. } => {}
            Message::OffsetCommitResponse {
                request_id,
                error,
                offsets,
                ..
            } => self.handle_offset_commit_response(ctx, request_id, error, offsets),
            Message::OffsetFetchResponse { error, offsets, .. } => {
                self.handle_offset_fetch_response(ctx, error, offsets)
            }
            Message::ListOffsetsResponse { partitions } => {
                self.handle_list_offsets_response(ctx, partitions)
            }
            Message::FetchResponse { partitions } => {
                self.handle_fetch_response(ctx, from, partitions)
            }
            Message::ConsumerGroupHeartbeatResponse(response) => {
                self.handle_consumer_group_heartbeat_response(ctx, from, response)
            }
            // Nothing else is an answer to a request a consumer sends.
            _ => {}
        }
    }

    /// Fires one of this consumer's timers, if it is the one last set. Processing a poll's
    /// records marks them in `processed`, the highest offset any consumer of the group
    /// processed per partition (what shows records processed twice).
    pub fn handle_timer(
        &mut self,
        ctx: &mut ConsumerCtx,
        timer: ConsumerTimer,
        processed: &mut BTreeMap<(String, TopicPartition), i64>,
    ) {
        if !self.timers.take(&timer, ctx.now) {
            return;
        }
        match timer {
            ConsumerTimer::Poll => self.poll(ctx),
            ConsumerTimer::Processed => self.on_processed(ctx, processed),
            ConsumerTimer::Heartbeat => self.on_heartbeat_timer(ctx),
            ConsumerTimer::Retry => self.on_retry(ctx),
        }
    }
}
