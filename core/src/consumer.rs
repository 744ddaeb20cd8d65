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

use crate::sorted::{SortedMap, SortedSet};

use serde::{Deserialize, Serialize};

use crate::assignor::ClusterMetadata;
use crate::command::{NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::kernel::{Ctx, Timers};
use crate::protocol::FetchRequest;
use crate::protocol::LeaveGroupRequest;
use crate::protocol::Message;
use crate::protocol::OffsetCommitRequest;
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

mod classic;
mod config;
mod fetch;
mod membership;
mod status;
pub use config::{CommitAfterPoll, ConsumerConfig, OffsetReset};
pub use membership::{MemberState, Membership, RevocationCommit};
pub use status::ConsumerStatus;

/// `retry.backoff.ms`.
const RETRY_BACKOFF_MS: i64 = 100;
/// `request.timeout.ms` of the consumer.
const REQUEST_TIMEOUT_MS: i64 = 30_000;
/// `retry.backoff.max.ms`.
const RETRY_BACKOFF_MAX_MS: i64 = 1000;

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
    pub positions: SortedMap<TopicPartition, i64>,
    /// Owned partitions whose starting position is being looked up.
    pub looking_up: SortedSet<TopicPartition>,
    pub metadata: ClusterMetadata,
    pub leaders: SortedMap<TopicPartition, NodeId>,
    /// Fetched records not handed to the application yet.
    pub buffer: SortedMap<TopicPartition, Vec<Record>>,
    /// Brokers with a fetch of ours outstanding, and when it was sent.
    pub fetches: SortedMap<NodeId, i64>,
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
    pub assigned_snapshot: Option<SortedMap<String, i32>>,
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
            positions: SortedMap::new(),
            looking_up: SortedSet::new(),
            metadata: ClusterMetadata::default(),
            leaders: SortedMap::new(),
            buffer: SortedMap::new(),
            fetches: SortedMap::new(),
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
    fn subscribed_partitions(&self) -> SortedMap<String, i32> {
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

    fn poll_if_waiting(&mut self, ctx: &mut ConsumerCtx) {
        if self.in_poll && self.processing.is_none() && self.sync_commit.is_none() {
            self.poll(ctx);
        }
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
        if self.membership.revoking == Some(RevocationCommit::InFlight(request_id)) {
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
            if let Some(coordinator) = self.coordinator {
                self.send_leave_group(ctx, coordinator, "the consumer is being closed");
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

    /// A dynamic member leaves its group (LeaveGroup), so the group rebalances without it.
    fn send_leave_group(&self, ctx: &mut ConsumerCtx, coordinator: NodeId, reason: &str) {
        if let Some(group) = self.group.clone() {
            ctx.send(
                coordinator,
                Message::LeaveGroup(LeaveGroupRequest {
                    group_id: group,
                    member_id: self.member_id.clone(),
                    group_instance_id: None,
                    reason: reason.into(),
                }),
            );
        }
    }

    /// What it is doing, for the view.
    pub fn status(&self) -> ConsumerStatus {
        if self.consumer_protocol() && self.alive {
            if let Some(status) = self.membership_status() {
                return status;
            }
        }
        match self.phase {
            Phase::FindCoordinator if self.alive => ConsumerStatus::FindingCoordinator,
            Phase::FindCoordinator => ConsumerStatus::Stopped,
            Phase::Joining if !self.owned.is_empty() => ConsumerStatus::RejoiningKeepsPartitions,
            Phase::Joining => ConsumerStatus::Joining,
            Phase::Syncing => ConsumerStatus::Syncing,
            Phase::Stable if self.processing.is_some() && self.rejoin_needed => {
                ConsumerStatus::ProcessingRebalanceWaits
            }
            Phase::Stable if self.processing.is_some() => ConsumerStatus::Processing,
            Phase::Stable if self.rejoin_needed => ConsumerStatus::Rejoining,
            Phase::Stable => ConsumerStatus::Polling,
            Phase::Closing => ConsumerStatus::Closing,
            Phase::Stopped => ConsumerStatus::Stopped,
            Phase::Crashed => ConsumerStatus::Crashed,
            Phase::Failed => ConsumerStatus::Failed,
        }
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
        processed: &mut SortedMap<(String, TopicPartition), i64>,
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
