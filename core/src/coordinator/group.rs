//! The group coordinator of the classic consumer group protocol, as a part of every broker.
//!
//! Follows `GroupMetadataManager` (the `classicGroup*` methods), `classic/ClassicGroup.java`
//! and `OffsetMetadataManager.java` in apache/kafka's `group-coordinator` module
//! (kafka-semantics.md §7 and §11):
//!
//! - A group's coordinator is the leader of `__consumer_offsets` partition
//!   `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`. A broker coordinates the
//!   groups of the partitions it leads; when it becomes leader of one it *loads* it by
//!   replaying the partition's records, and when it stops leading it unloads them (requests get
//!   NOT_COORDINATOR and clients look for the new coordinator).
//! - Group state is written to that partition as records: the group's metadata (generation,
//!   protocol, leader, members and their assignments) when a rebalance completes, and one
//!   record per committed offset. A write is answered only once the partition's high watermark
//!   passes it, like an `acks=all` produce, so a committed offset survives the coordinator's
//!   failover.
//! - States: Empty → PreparingRebalance → CompletingRebalance → Stable, and back to
//!   PreparingRebalance when a member joins, leaves, times out or changes its subscription.
//! - JoinGroup: a new dynamic member gets MEMBER_ID_REQUIRED with its id (`clientId-UUID`) and
//!   must join again with it; a static member (`group.instance.id`) replaces its old id, and
//!   rejoining a Stable group with the same subscription causes no rebalance (KIP-345). The
//!   first rebalance of an Empty group waits `group.initial.rebalance.delay.ms`, extended
//!   while members keep arriving; others complete when every member has rejoined, or when the
//!   rebalance timeout (the largest `max.poll.interval.ms`) runs out, removing dynamic members
//!   that did not rejoin.
//! - The leader is the first member to join; a new one is picked in Java `HashMap` order of
//!   member ids when it leaves. The protocol (assignor) is the one every member supports with
//!   the most first-preference votes (ties in `HashMap` order of the names).
//! - SyncGroup: the leader's request carries the assignment; the group becomes Stable once the
//!   group metadata record is committed, and every waiting member gets its partitions.
//! - Heartbeat answers REBALANCE_IN_PROGRESS while PreparingRebalance; a member whose heartbeats
//!   stop for `session.timeout.ms` is removed.
//! - OffsetCommit is validated on member and generation (ILLEGAL_GENERATION,
//!   UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS while CompletingRebalance); a commit with
//!   generation -1 is accepted only while the group is Empty (admin tools, standalone
//!   consumers).
//!
//! The KIP-848 `consumer` protocol's groups live beside the classic ones (see
//! [`crate::consumer_group`]); they share the partitions, the records' write path, loading and
//! offsets.
//!
//! Not modelled: offset expiry (`offsets.retention.minutes`), `group.max.size`, and the
//! COORDINATOR_LOAD_IN_PROGRESS window (loading is instant).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{coordinator_change, CoordinatorChange, Host};
use crate::assignor::Subscription;
use crate::broker::timer::{BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::coordinator_record::{CoordinatorRecord, Member};
use crate::error::KafkaError;
use crate::event::{EventKind, Milestone};
use crate::java::{hash_map_iteration_order, string_hash_code, utils_abs};
use crate::protocol::{JoinedMember, LeaveGroupRequest, Message, SyncGroupRequest};
use crate::record::{BatchHeader, Record};

/// The internal topic where groups keep their state.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// `abs(groupId.hashCode) % partitions`: the `__consumer_offsets` partition of a group.
pub fn offsets_partition(group_id: &str, partitions: i32) -> i32 {
    utils_abs(string_hash_code(group_id)) % partitions.max(1)
}

/// `ClassicGroupState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// A classic group (`ClassicGroup`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassicGroup {
    pub group_id: String,
    pub state: GroupState,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    /// Members in the order they were added.
    pub members: Vec<Member>,
    /// Dynamic members told MEMBER_ID_REQUIRED that have not joined with their id yet.
    pub pending_members: Vec<String>,
    /// Committed offsets.
    pub offsets: BTreeMap<TopicPartition, i64>,
    /// While the first rebalance of an empty group waits for more members: the latest time it
    /// may complete (`rebalance timeout` after it started), and whether someone joined since
    /// the last delay started.
    pub initial_delay: Option<(i64, bool)>,
    pub rebalances: i32,
}

impl ClassicGroup {
    fn new(group_id: &str) -> ClassicGroup {
        ClassicGroup {
            group_id: group_id.to_string(),
            state: GroupState::Empty,
            generation: 0,
            protocol: None,
            leader: None,
            members: Vec::new(),
            pending_members: Vec::new(),
            offsets: BTreeMap::new(),
            initial_delay: None,
            rebalances: 0,
        }
    }

    pub fn member(&self, member_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.member_id == member_id)
    }

    fn member_mut(&mut self, member_id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.member_id == member_id)
    }

    /// Member ids in Java `HashMap` iteration order (the group keeps them in a `HashMap`).
    fn hash_order(&self) -> Vec<String> {
        let codes: Vec<i32> = self
            .members
            .iter()
            .map(|m| string_hash_code(&m.member_id))
            .collect();
        hash_map_iteration_order(&codes)
            .into_iter()
            .map(|i| self.members[i].member_id.clone())
            .collect()
    }

    fn rebalance_timeout_ms(&self) -> i64 {
        self.members
            .iter()
            .map(|m| m.rebalance_timeout_ms)
            .max()
            .unwrap_or(0)
    }

    /// `ClassicGroup.selectProtocol`: among the protocols every member supports, the one with
    /// the most first-preference votes; ties go to the first in `HashMap` order of the names.
    fn select_protocol(&self) -> Option<String> {
        let first = self.members.first()?;
        let candidates: Vec<&String> = first
            .protocols
            .iter()
            .map(|(name, _)| name)
            .filter(|name| {
                self.members
                    .iter()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == *name))
            })
            .collect();
        let mut votes: Vec<(String, i32)> = Vec::new();
        for member in &self.members {
            if let Some((name, _)) = member
                .protocols
                .iter()
                .find(|(n, _)| candidates.contains(&n))
            {
                match votes.iter_mut().find(|(n, _)| n == name) {
                    Some((_, count)) => *count += 1,
                    None => votes.push((name.clone(), 1)),
                }
            }
        }
        let codes: Vec<i32> = votes.iter().map(|(n, _)| string_hash_code(n)).collect();
        let mut best: Option<(String, i32)> = None;
        for i in hash_map_iteration_order(&codes) {
            let (name, count) = &votes[i];
            if best.as_ref().is_none_or(|(_, c)| count > c) {
                best = Some((name.clone(), *count));
            }
        }
        best.map(|(name, _)| name)
    }

    /// Whether a member's protocols are the ones the group already agreed on.
    fn supports_protocols(&self, protocols: &[(String, Subscription)]) -> bool {
        if self.members.is_empty() {
            return !protocols.is_empty();
        }
        protocols.iter().any(|(name, _)| {
            self.members
                .iter()
                .all(|m| m.protocols.iter().any(|(n, _)| n == name))
        })
    }

    fn record(&self) -> CoordinatorRecord {
        CoordinatorRecord::Group {
            group_id: self.group_id.clone(),
            generation: self.generation,
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self.members.clone(),
        }
    }
}

/// A write to `__consumer_offsets` waiting for the high watermark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingWrite {
    pub partition: i32,
    /// The HW the write needs (its last offset + 1).
    pub required_hw: i64,
    pub action: WriteAction,
    /// When it fails if the HW has not passed it (`offsets.commit.timeout.ms`).
    #[serde(default)]
    pub deadline_ms: i64,
}

/// `offsets.commit.timeout.ms`: how long a coordinator write may wait for its replicas.
pub const OFFSETS_COMMIT_TIMEOUT_MS: i64 = 5000;

/// What to do once a write is committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WriteAction {
    /// The leader's SyncGroup assignment is stored: the group becomes Stable.
    CompleteSync { group_id: String, generation: i32 },
    /// Offsets are committed: apply them and answer.
    Commit {
        group_id: String,
        node: NodeId,
        request_id: i64,
        offsets: Vec<(TopicPartition, i64)>,
    },
    /// Nothing to answer (an empty generation's metadata, a reset).
    None,
    /// Send a response that waited for its records (a consumer group heartbeat).
    Reply { node: NodeId, message: Box<Message> },
}

/// The coordinator's state on one broker.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCoordinator {
    /// `__consumer_offsets` partitions this broker has loaded, with the leader epoch it loaded
    /// them in (the coordinator epoch).
    pub loaded: BTreeMap<i32, i32>,
    pub groups: BTreeMap<String, ClassicGroup>,
    pub pending_writes: Vec<PendingWrite>,
    /// Groups of the KIP-848 `consumer` protocol. A group id is in one map or the other.
    #[serde(default)]
    pub consumer_groups: BTreeMap<String, crate::coordinator::modern::ConsumerGroup>,
    /// Offsets a transaction committed (TxnOffsetCommit) that wait for its marker, per
    /// (group, producer id): a COMMIT marker makes them the group's, an ABORT drops them
    /// (`OffsetMetadataManager.pendingTransactionalOffsets`).
    #[serde(default)]
    pub pending_txn_offsets: BTreeMap<(String, i64), Vec<(TopicPartition, i64)>>,
}

pub(crate) fn topic_partition(partition: i32) -> TopicPartition {
    TopicPartition::new(OFFSETS_TOPIC, partition)
}

fn list(tps: &[TopicPartition]) -> String {
    if tps.is_empty() {
        return "nothing".to_string();
    }
    let items: Vec<String> = tps.iter().map(|tp| tp.to_string()).collect();
    items.join(", ")
}

/// A UUID as Java prints one, drawn from the simulation's random source.
fn uuid(ctx: &mut BrokerCtx) -> String {
    let a = ctx.rng.next_u64();
    let b = ctx.rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

impl GroupCoordinator {
    /// Whether this broker coordinates `group_id` now.
    pub(crate) fn coordinates(&self, host: &dyn Host, group_id: &str) -> Option<i32> {
        let p = offsets_partition(group_id, host.offsets_partitions());
        self.loaded.contains_key(&p).then_some(p)
    }

    /// Loads or unloads a `__consumer_offsets` partition after its leadership changed here.
    pub(crate) fn on_offsets_partition_leadership(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
    ) {
        if &*tp.topic != OFFSETS_TOPIC {
            return;
        }
        let p = tp.partition;
        let previous = self.loaded.get(&p).copied();
        match coordinator_change(host, tp, previous) {
            CoordinatorChange::Load(epoch) => {
                // A new leader epoch of a partition this broker already coordinated: Kafka
                // resigns the old coordinator (pending requests get NOT_COORDINATOR) and loads
                // the partition again.
                if previous.is_some() {
                    self.unload_offsets_partition(host, ctx, p);
                }
                self.load_offsets_partition(host, ctx, p, epoch)
            }
            CoordinatorChange::Unload => self.unload_offsets_partition(host, ctx, p),
            CoordinatorChange::Keep => {}
        }
    }

    /// Replays the partition's records into groups (`CoordinatorLoaderImpl`).
    fn load_offsets_partition(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        p: i32,
        epoch: i32,
    ) {
        self.unload_groups_of(host, p);
        let tp = topic_partition(p);
        let mut groups: BTreeMap<String, ClassicGroup> = BTreeMap::new();
        let mut consumer_groups = BTreeMap::new();
        let mut count = 0;
        if let Some(log) = host.log(&tp) {
            // Offsets a transaction wrote count from its COMMIT marker on, and never if it
            // aborted; those of a transaction still open stay pending (`GroupMetadataManager`
            // replays transactional offsets the same way).
            let partitions = host.offsets_partitions();
            self.pending_txn_offsets
                .retain(|(group, _), _| offsets_partition(group, partitions) != p);
            let mut ordered: Vec<&Record> = Vec::new();
            let mut open: BTreeMap<i64, Vec<&Record>> = BTreeMap::new();
            for record in log.records() {
                match record.batch.as_deref() {
                    Some(h) if h.transactional && h.control.is_none() => {
                        open.entry(h.producer_id).or_default().push(record)
                    }
                    Some(h) if h.control.is_some() => {
                        let done = open.remove(&h.producer_id).unwrap_or_default();
                        if h.control == Some(crate::record::ControlType::Commit) {
                            ordered.extend(done);
                        }
                    }
                    _ => ordered.push(record),
                }
            }
            for (pid, records) in open {
                for record in records {
                    if let Some(CoordinatorRecord::Offset {
                        group_id,
                        partition,
                        offset,
                    }) = record.coordinator.as_deref()
                    {
                        self.pending_txn_offsets
                            .entry((group_id.clone(), pid))
                            .or_default()
                            .push((partition.clone(), *offset));
                    }
                }
            }
            for record in ordered {
                let Some(value) = &record.coordinator else {
                    continue;
                };
                count += 1;
                match &**value {
                    CoordinatorRecord::Offset {
                        group_id,
                        partition,
                        offset,
                    } if consumer_groups.contains_key(group_id) => {
                        if let Some(g) = consumer_groups.get_mut(group_id) {
                            let g: &mut crate::coordinator::modern::ConsumerGroup = g;
                            g.offsets.insert(partition.clone(), *offset);
                        }
                    }
                    CoordinatorRecord::Offset {
                        group_id,
                        partition,
                        offset,
                    } => {
                        groups
                            .entry(group_id.clone())
                            .or_insert_with(|| ClassicGroup::new(group_id))
                            .offsets
                            .insert(partition.clone(), *offset);
                    }
                    CoordinatorRecord::Group {
                        group_id,
                        generation,
                        protocol,
                        leader,
                        members,
                    } => {
                        let converted = consumer_groups.remove(group_id);
                        let group = groups
                            .entry(group_id.clone())
                            .or_insert_with(|| ClassicGroup::new(group_id));
                        if let Some(old) = converted {
                            group.offsets = old.offsets;
                        }
                        group.generation = *generation;
                        group.protocol = protocol.clone();
                        group.leader = leader.clone();
                        group.members = members.clone();
                        group.state = if members.is_empty() {
                            GroupState::Empty
                        } else {
                            GroupState::Stable
                        };
                    }
                    CoordinatorRecord::Deleted { group_id } => {
                        groups.remove(group_id);
                        consumer_groups.remove(group_id);
                    }
                    CoordinatorRecord::Consumer(r) => {
                        crate::coordinator::modern::replay(&mut consumer_groups, &mut groups, r)
                    }
                    CoordinatorRecord::Transaction(_) => {}
                }
            }
        }
        let me = host.id();
        let mut names: Vec<String> = groups
            .keys()
            .chain(consumer_groups.keys())
            .cloned()
            .collect();
        crate::sort::sort(&mut names);
        self.install_consumer_groups(host, ctx, consumer_groups);
        for (id, mut group) in groups {
            for m in &mut group.members {
                m.awaiting_join = false;
                m.awaiting_sync = false;
            }
            let members: Vec<(String, i64)> = group
                .members
                .iter()
                .map(|m| (m.member_id.clone(), m.session_timeout_ms))
                .collect();
            self.groups.insert(id.clone(), group);
            // Loaded members get a fresh session: they find the new coordinator and heartbeat.
            for (member, timeout) in members {
                host.set_timer(
                    ctx,
                    BrokerTimer::GroupSession {
                        group: id.clone(),
                        member,
                    },
                    timeout,
                );
            }
        }
        self.loaded.insert(p, epoch);
        ctx.event(
            EventKind::Group,
            Some(tp.clone()),
            format!(
                "Broker {me} leads {tp} (epoch {epoch}) and becomes coordinator of its groups: it replays {count} record(s) and loads {}",
                if names.is_empty() { "no group".to_string() } else { format!("group(s) {}", names.join(", ")) }
            ),
        );
    }

    fn unload_groups_of(&mut self, host: &mut dyn Host, p: i32) {
        let partitions = host.offsets_partitions();
        self.groups
            .retain(|id, _| offsets_partition(id, partitions) != p);
        self.consumer_groups
            .retain(|id, _| offsets_partition(id, partitions) != p);
        self.pending_writes.retain(|w| w.partition != p);
    }

    fn unload_offsets_partition(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx, p: i32) {
        let partitions = host.offsets_partitions();
        let mut names: Vec<String> = self
            .groups
            .keys()
            .chain(self.consumer_groups.keys())
            .filter(|id| offsets_partition(id, partitions) == p)
            .cloned()
            .collect();
        crate::sort::sort(&mut names);
        // Members waiting for a response learn the coordinator moved.
        for id in &names {
            if let Some(group) = self.groups.get(id) {
                for m in &group.members {
                    if m.awaiting_join || m.awaiting_sync {
                        let msg = if m.awaiting_join {
                            join_error(id, &m.member_id, KafkaError::NOT_COORDINATOR)
                        } else {
                            Message::SyncGroupResponse {
                                group_id: id.clone(),
                                error: Some(KafkaError::NOT_COORDINATOR),
                                assignment: Vec::new(),
                            }
                        };
                        ctx.send(m.node, msg);
                    }
                }
            }
        }
        let pending: Vec<PendingWrite> = self
            .pending_writes
            .iter()
            .filter(|w| w.partition == p)
            .cloned()
            .collect();
        for w in pending {
            match w.action {
                WriteAction::Commit {
                    group_id,
                    node,
                    request_id,
                    offsets,
                } => ctx.send(
                    node,
                    Message::OffsetCommitResponse {
                        request_id,
                        group_id,
                        error: Some(KafkaError::NOT_COORDINATOR),
                        offsets,
                    },
                ),
                WriteAction::Reply { node, message } => {
                    if let Some(m) = crate::coordinator::modern::not_coordinator(&message) {
                        ctx.send(node, m);
                    }
                }
                _ => {}
            }
        }
        self.unload_groups_of(host, p);
        self.loaded.remove(&p);
        if !names.is_empty() {
            ctx.event(
                EventKind::Group,
                Some(topic_partition(p)),
                format!(
                    "Broker {} no longer leads {OFFSETS_TOPIC}-{p}: it stops coordinating group(s) {}",
                    host.id(),
                    names.join(", ")
                ),
            );
        }
    }

    /// Appends coordinator records to the local leader of partition `p`; `action` runs once the
    /// HW passes them. Returns false if this broker cannot write there.
    pub(crate) fn write_coordinator_records(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        p: i32,
        values: Vec<CoordinatorRecord>,
        action: WriteAction,
    ) -> bool {
        let tp = topic_partition(p);
        let now = ctx.now;
        let (Some(epoch), Some(log)) = (host.leading_epoch(&tp), host.log(&tp)) else {
            return false;
        };
        let log_end = log.log_end_offset();
        let records: Vec<Record> = values
            .into_iter()
            .map(|value| {
                let (key, text) = match &value {
                    CoordinatorRecord::Offset {
                        group_id,
                        partition,
                        offset,
                    } => (
                        format!("OffsetCommitKey({group_id}, {partition})"),
                        format!("offset {offset}"),
                    ),
                    CoordinatorRecord::Deleted { group_id } => (
                        format!("GroupMetadataKey({group_id})"),
                        "tombstone (deleted)".to_string(),
                    ),
                    CoordinatorRecord::Consumer(r) => r.key_and_value(),
                    CoordinatorRecord::Transaction(m) => (
                        format!("TransactionLogKey({})", m.transactional_id),
                        m.state.name().to_string(),
                    ),
                    CoordinatorRecord::Group {
                        group_id,
                        generation,
                        protocol,
                        members,
                        ..
                    } => (
                        format!("GroupMetadataKey({group_id})"),
                        format!(
                            "generation {generation}, protocol {}, {} member(s)",
                            protocol.as_deref().unwrap_or("-"),
                            members.len()
                        ),
                    ),
                };
                Record {
                    offset: 0,
                    leader_epoch: epoch,
                    producer: "group coordinator".to_string(),
                    producer_seq: -1,
                    key: Some(key),
                    value: Some(text),
                    timestamp_ms: now,
                    coordinator: Some(Arc::new(value)),
                    batch: None,
                }
            })
            .collect();
        // The write completes once the HW passes its last record.
        let required_hw = log_end + records.len() as i64;
        self.pending_writes.push(PendingWrite {
            partition: p,
            required_hw,
            action,
            deadline_ms: now + OFFSETS_COMMIT_TIMEOUT_MS,
        });
        host.set_timer(
            ctx,
            BrokerTimer::CoordinatorWriteTimeout {
                partition: p,
                required_hw,
            },
            OFFSETS_COMMIT_TIMEOUT_MS,
        );
        host.append(ctx, &tp, records).is_some()
    }

    /// Writes a group's offsets to partition `p`, one `OffsetCommit` record per partition;
    /// `action` runs once they are committed. False if this broker cannot write there.
    pub(crate) fn write_offsets(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        p: i32,
        group_id: &str,
        offsets: &[(TopicPartition, i64)],
        action: WriteAction,
    ) -> bool {
        let values = offsets
            .iter()
            .map(|(tp, offset)| CoordinatorRecord::Offset {
                group_id: group_id.to_string(),
                partition: tp.clone(),
                offset: *offset,
            })
            .collect();
        self.write_coordinator_records(host, ctx, p, values, action)
    }

    /// Runs the actions of writes the HW of `tp` has passed (called when the HW moves).
    pub(crate) fn complete_coordinator_writes(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
    ) {
        if &*tp.topic != OFFSETS_TOPIC {
            return;
        }
        let Some(hw) = host.log(tp).map(|log| log.high_watermark()) else {
            return;
        };
        let p = tp.partition;
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_writes)
            .into_iter()
            .partition(|w| w.partition == p && w.required_hw <= hw);
        self.pending_writes = waiting;
        for write in done {
            match write.action {
                WriteAction::CompleteSync {
                    group_id,
                    generation,
                } => self.complete_sync(host, ctx, &group_id, generation),
                WriteAction::Commit {
                    group_id,
                    node,
                    request_id,
                    offsets,
                } => {
                    if let Some(group) = self.groups.get_mut(&group_id) {
                        for (tp, offset) in &offsets {
                            group.offsets.insert(tp.clone(), *offset);
                        }
                    } else if let Some(group) = self.consumer_groups.get_mut(&group_id) {
                        for (tp, offset) in &offsets {
                            group.offsets.insert(tp.clone(), *offset);
                        }
                    }
                    let text: Vec<String> =
                        offsets.iter().map(|(tp, o)| format!("{tp}@{o}")).collect();
                    ctx.event(
                        EventKind::Commit,
                        None,
                        format!(
                            "Coordinator {} commits group {group_id}'s offsets {} (the next offsets to read): the records are in {tp} below its HW {hw}, so they survive a coordinator failover",
                            host.id(),
                            text.join(", ")
                        ),
                    );
                    ctx.send(
                        node,
                        Message::OffsetCommitResponse {
                            request_id,
                            group_id,
                            error: None,
                            offsets,
                        },
                    );
                }
                WriteAction::Reply { node, message } => ctx.send(node, *message),
                WriteAction::None => {}
            }
        }
    }

    /// A coordinator write the replicas did not acknowledge within `offsets.commit.timeout.ms`
    /// fails: a commit is answered COORDINATOR_NOT_AVAILABLE (the client retries), and a
    /// group's assignment that could not be stored makes its members rejoin
    /// (`GroupCoordinatorService` maps the timeout to COORDINATOR_NOT_AVAILABLE).
    pub(crate) fn on_coordinator_write_timeout(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        partition: i32,
        required_hw: i64,
    ) {
        let (expired, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_writes)
            .into_iter()
            .partition(|w| w.partition == partition && w.required_hw == required_hw);
        self.pending_writes = waiting;
        let me = host.id();
        for write in expired {
            match write.action {
                WriteAction::Commit {
                    group_id,
                    node,
                    request_id,
                    offsets,
                } => {
                    ctx.event(
                        EventKind::Commit,
                        None,
                        format!("Coordinator {me}: group {group_id}'s commit was not replicated within offsets.commit.timeout.ms={OFFSETS_COMMIT_TIMEOUT_MS} (the HW of {OFFSETS_TOPIC}-{partition} did not pass it): it answers COORDINATOR_NOT_AVAILABLE"),
                    );
                    ctx.send(
                        node,
                        Message::OffsetCommitResponse {
                            request_id,
                            group_id,
                            error: Some(KafkaError::COORDINATOR_NOT_AVAILABLE),
                            offsets,
                        },
                    );
                }
                WriteAction::CompleteSync {
                    group_id,
                    generation,
                } => {
                    let Some(group) = self.group_mut(&group_id) else {
                        continue;
                    };
                    if group.state != GroupState::CompletingRebalance
                        || group.generation != generation
                    {
                        continue;
                    }
                    let waiting: Vec<NodeId> = group
                        .members
                        .iter_mut()
                        .filter(|m| m.awaiting_sync)
                        .map(|m| {
                            m.awaiting_sync = false;
                            m.node
                        })
                        .collect();
                    for node in waiting {
                        ctx.send(
                            node,
                            Message::SyncGroupResponse {
                                group_id: group_id.clone(),
                                error: Some(KafkaError::COORDINATOR_NOT_AVAILABLE),
                                assignment: Vec::new(),
                            },
                        );
                    }
                    self.prepare_rebalance(
                        host,
                        ctx,
                        &group_id,
                        &format!("its assignment could not be stored: {OFFSETS_TOPIC}-{partition} did not replicate it within offsets.commit.timeout.ms={OFFSETS_COMMIT_TIMEOUT_MS}"),
                    );
                }
                // A consumer group heartbeat whose records did not replicate: the member is
                // told COORDINATOR_NOT_AVAILABLE, looks for the coordinator and heartbeats again.
                WriteAction::Reply { node, message } => {
                    if let Some(m) = crate::coordinator::modern::with_error(
                        &message,
                        KafkaError::COORDINATOR_NOT_AVAILABLE,
                    ) {
                        ctx.send(node, m);
                    }
                }
                _ => {}
            }
        }
    }

    // ------------------------------------------------------------------ JoinGroup

    #[allow(clippy::too_many_arguments)]
    pub fn handle_join_group(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        group_id: String,
        member_id: String,
        group_instance_id: Option<String>,
        client_id: String,
        session_timeout_ms: i64,
        rebalance_timeout_ms: i64,
        protocols: Vec<(String, Subscription)>,
    ) {
        let reply = |ctx: &mut BrokerCtx, error: KafkaError, member: &str| {
            ctx.send(from, join_error(&group_id, member, error));
        };
        if self.coordinates(host, &group_id).is_none() {
            return reply(ctx, KafkaError::NOT_COORDINATOR, &member_id);
        }
        let min = host.config_i64("group.min.session.timeout.ms");
        let max = host.config_i64("group.max.session.timeout.ms");
        if session_timeout_ms < min || session_timeout_ms > max {
            ctx.event(
                EventKind::Group,
                None,
                format!("Coordinator {} refuses {client_id}'s JoinGroup: session.timeout.ms={session_timeout_ms} is outside [group.min.session.timeout.ms={min}, group.max.session.timeout.ms={max}] (INVALID_SESSION_TIMEOUT)", host.id()),
            );
            return reply(ctx, KafkaError::INVALID_SESSION_TIMEOUT, &member_id);
        }
        let me = host.id();
        if let Some(g) = self.consumer_groups.get(&group_id) {
            if !g.members.is_empty() {
                ctx.event(
                    EventKind::Group,
                    None,
                    format!("Coordinator {me} refuses {client_id}'s JoinGroup: group {group_id} is a consumer-protocol group with members (INCONSISTENT_GROUP_PROTOCOL; the sandbox does not model classic members in a consumer group)"),
                );
                return reply(ctx, KafkaError::INCONSISTENT_GROUP_PROTOCOL, &member_id);
            }
            // An empty consumer group becomes a classic one; its offsets stay.
            if let Some(old) = self.consumer_groups.remove(&group_id) {
                let mut group = ClassicGroup::new(&group_id);
                group.offsets = old.offsets;
                self.groups.insert(group_id.clone(), group);
            }
        }
        let exists = self.groups.contains_key(&group_id);
        if !exists {
            if !member_id.is_empty() {
                return reply(ctx, KafkaError::UNKNOWN_MEMBER_ID, &member_id);
            }
            self.groups
                .insert(group_id.clone(), ClassicGroup::new(&group_id));
        }
        let Some(group) = self.groups.get(&group_id) else {
            return;
        };
        if group.state == GroupState::Dead {
            return reply(ctx, KafkaError::COORDINATOR_NOT_AVAILABLE, &member_id);
        }
        if !group.supports_protocols(&protocols) {
            return reply(ctx, KafkaError::INCONSISTENT_GROUP_PROTOCOL, &member_id);
        }

        if member_id.is_empty() {
            // A member without an id: a static one takes over its instance, a dynamic one is
            // given an id and must come back with it.
            let new_id = format!(
                "{}-{}",
                group_instance_id.as_deref().unwrap_or(&client_id),
                uuid(ctx)
            );
            if let Some(instance) = &group_instance_id {
                let old = group
                    .members
                    .iter()
                    .find(|m| m.group_instance_id.as_ref() == Some(instance))
                    .map(|m| m.member_id.clone());
                match old {
                    Some(old_id) => {
                        return self.replace_static_member(
                            host,
                            ctx,
                            from,
                            &group_id,
                            &old_id,
                            new_id,
                            session_timeout_ms,
                            rebalance_timeout_ms,
                            protocols,
                        );
                    }
                    None => {
                        let member = Member::joining(
                            new_id.clone(),
                            group_instance_id.clone(),
                            client_id.clone(),
                            from,
                            (session_timeout_ms, rebalance_timeout_ms),
                            protocols,
                        );
                        ctx.event(
                            EventKind::Group,
                            None,
                            format!("Coordinator {me} adds static member {new_id} (group.instance.id {instance}) to group {group_id}"),
                        );
                        self.add_member_and_rebalance(host, ctx, &group_id, member);
                        return;
                    }
                }
            }
            let Some(group) = self.groups.get_mut(&group_id) else {
                return;
            };
            group.pending_members.push(new_id.clone());
            ctx.event(
                EventKind::Group,
                None,
                format!("Coordinator {me} gives {client_id} the member id {new_id} and answers MEMBER_ID_REQUIRED: it must join group {group_id} again with that id (KIP-394)"),
            );
            host.set_timer(
                ctx,
                BrokerTimer::GroupPendingMember {
                    group: group_id.clone(),
                    member: new_id.clone(),
                },
                session_timeout_ms,
            );
            return reply(ctx, KafkaError::MEMBER_ID_REQUIRED, &new_id);
        }

        // A member with an id.
        let group = self.groups.get_mut(&group_id).expect("checked above");
        if let Some(pos) = group.pending_members.iter().position(|m| *m == member_id) {
            group.pending_members.remove(pos);
            host.cancel_timer(&BrokerTimer::GroupPendingMember {
                group: group_id.clone(),
                member: member_id.clone(),
            });
            let member = Member::joining(
                member_id.clone(),
                group_instance_id,
                client_id.clone(),
                from,
                (session_timeout_ms, rebalance_timeout_ms),
                protocols,
            );
            ctx.event(
                EventKind::Group,
                None,
                format!("Coordinator {me} adds {member_id} ({client_id}) to group {group_id}"),
            );
            self.add_member_and_rebalance(host, ctx, &group_id, member);
            return;
        }
        let Some(existing) = group.member(&member_id).cloned() else {
            return reply(ctx, KafkaError::UNKNOWN_MEMBER_ID, &member_id);
        };
        if existing.group_instance_id.is_some() && existing.group_instance_id != group_instance_id {
            return reply(ctx, KafkaError::FENCED_INSTANCE_ID, &member_id);
        }
        let changed = existing.protocols != protocols;
        let is_leader = group.leader.as_deref() == Some(member_id.as_str());
        let state = group.state;
        if let Some(m) = group.member_mut(&member_id) {
            m.protocols = protocols;
            m.node = from;
            m.session_timeout_ms = session_timeout_ms;
            m.rebalance_timeout_ms = rebalance_timeout_ms;
        }
        self.reset_session(host, ctx, &group_id, &member_id);
        match state {
            GroupState::PreparingRebalance => {
                if let Some(m) = self
                    .group_mut(&group_id)
                    .and_then(|g| g.member_mut(&member_id))
                {
                    m.awaiting_join = true;
                }
                self.reset_session(host, ctx, &group_id, &member_id);
                ctx.event(
                    EventKind::Group,
                    None,
                    format!("Coordinator {me}: {member_id} rejoins group {group_id} during its rebalance"),
                );
                self.try_complete_join(host, ctx, &group_id);
            }
            GroupState::CompletingRebalance | GroupState::Stable
                if !(changed || state == GroupState::Stable && is_leader) =>
            {
                // Nothing changed: answer with the current generation, no rebalance.
                let response = self.join_response(&group_id, &member_id, false);
                ctx.send(from, response);
            }
            _ => {
                if let Some(m) = self
                    .group_mut(&group_id)
                    .and_then(|g| g.member_mut(&member_id))
                {
                    m.awaiting_join = true;
                }
                self.reset_session(host, ctx, &group_id, &member_id);
                let why = if changed {
                    format!("{member_id} joined again with new subscription metadata")
                } else {
                    format!("the leader {member_id} joined again")
                };
                self.prepare_rebalance(host, ctx, &group_id, &why);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn replace_static_member(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        group_id: &str,
        old_id: &str,
        new_id: String,
        session_timeout_ms: i64,
        rebalance_timeout_ms: i64,
        protocols: Vec<(String, Subscription)>,
    ) {
        let me = host.id();
        let Some(group) = self.group_mut(group_id) else {
            return;
        };
        let state = group.state;
        let Some(member) = group.member_mut(old_id) else {
            return;
        };
        let old_node = member.node;
        let old_waiting_join = member.awaiting_join;
        let old_waiting_sync = member.awaiting_sync;
        let same = member.protocols == protocols;
        member.member_id = new_id.clone();
        member.node = from;
        member.session_timeout_ms = session_timeout_ms;
        member.rebalance_timeout_ms = rebalance_timeout_ms;
        member.protocols = protocols;
        member.awaiting_join = false;
        member.awaiting_sync = false;
        let instance = member.group_instance_id.clone().unwrap_or_default();
        if group.leader.as_deref() == Some(old_id) {
            group.leader = Some(new_id.clone());
        }
        // The old incarnation is fenced: anything it still waits for fails.
        if old_waiting_join {
            ctx.send(
                old_node,
                join_error(group_id, old_id, KafkaError::FENCED_INSTANCE_ID),
            );
        }
        if old_waiting_sync {
            ctx.send(
                old_node,
                Message::SyncGroupResponse {
                    group_id: group_id.to_string(),
                    error: Some(KafkaError::FENCED_INSTANCE_ID),
                    assignment: Vec::new(),
                },
            );
        }
        host.cancel_timer(&BrokerTimer::GroupSession {
            group: group_id.to_string(),
            member: old_id.to_string(),
        });
        self.reset_session(host, ctx, group_id, &new_id);
        match state {
            GroupState::Stable if same => {
                ctx.event(
                    EventKind::Group,
                    None,
                    format!("Coordinator {me}: static member {instance} comes back as {new_id} within its session timeout with the same subscription: it keeps its partitions and group {group_id} does not rebalance (KIP-345)"),
                );
                let response = self.join_response(group_id, &new_id, true);
                ctx.send(from, response);
                // The replaced member id is stored, as Kafka does.
                if let Some(p) = self.coordinates(host, group_id) {
                    if let Some(record) = self.group(group_id).map(|g| g.record()) {
                        self.write_coordinator_records(
                            host,
                            ctx,
                            p,
                            vec![record],
                            WriteAction::None,
                        );
                    }
                }
            }
            GroupState::PreparingRebalance => {
                if let Some(m) = self.group_mut(group_id).and_then(|g| g.member_mut(&new_id)) {
                    m.awaiting_join = true;
                }
                self.reset_session(host, ctx, group_id, &new_id);
                self.try_complete_join(host, ctx, group_id);
            }
            _ => {
                if let Some(m) = self.group_mut(group_id).and_then(|g| g.member_mut(&new_id)) {
                    m.awaiting_join = true;
                }
                self.reset_session(host, ctx, group_id, &new_id);
                self.prepare_rebalance(
                    host,
                    ctx,
                    group_id,
                    &format!("static member {instance} rejoined as {new_id}"),
                );
            }
        }
    }

    fn group(&self, group_id: &str) -> Option<&ClassicGroup> {
        self.groups.get(group_id)
    }

    fn group_mut(&mut self, group_id: &str) -> Option<&mut ClassicGroup> {
        self.groups.get_mut(group_id)
    }

    fn add_member_and_rebalance(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member: Member,
    ) {
        let member_id = member.member_id.clone();
        let Some(group) = self.group_mut(group_id) else {
            return;
        };
        if group.leader.is_none() {
            group.leader = Some(member_id.clone());
        }
        if let Some((deadline, _)) = group.initial_delay {
            group.initial_delay = Some((deadline, true));
        }
        group.members.push(member);
        self.reset_session(host, ctx, group_id, &member_id);
        let state = self.group(group_id).map(|g| g.state);
        match state {
            Some(GroupState::PreparingRebalance) => self.try_complete_join(host, ctx, group_id),
            _ => self.prepare_rebalance(host, ctx, group_id, &format!("{member_id} joined")),
        }
    }

    /// Restarts a member's session timer. A member waiting for its JoinGroup response cannot
    /// heartbeat, so while it waits the coordinator gives it the rebalance timeout instead
    /// (`rescheduleClassicGroupMemberHeartbeat(group, member, rebalanceTimeoutMs)`).
    fn reset_session(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member_id: &str,
    ) {
        let Some(timeout) = self
            .group(group_id)
            .and_then(|g| g.member(member_id))
            .map(|m| {
                if m.awaiting_join {
                    m.rebalance_timeout_ms.max(m.session_timeout_ms)
                } else {
                    m.session_timeout_ms
                }
            })
        else {
            return;
        };
        host.set_timer(
            ctx,
            BrokerTimer::GroupSession {
                group: group_id.to_string(),
                member: member_id.to_string(),
            },
            timeout,
        );
    }

    /// `prepareRebalance`: everyone must join again.
    fn prepare_rebalance(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        why: &str,
    ) {
        let initial_delay = host.config_i64("group.initial.rebalance.delay.ms");
        let now = ctx.now;
        let Some(group) = self.group_mut(group_id) else {
            return;
        };
        // Members still waiting on a sync are told to rejoin.
        let mut syncing = Vec::new();
        for m in &mut group.members {
            if m.awaiting_sync {
                m.awaiting_sync = false;
                syncing.push(m.node);
            }
        }
        let from_empty = group.state == GroupState::Empty;
        let previous = group.state;
        group.state = GroupState::PreparingRebalance;
        let timeout = group.rebalance_timeout_ms();
        let delay = if from_empty {
            group.initial_delay = Some((now + timeout, false));
            initial_delay.min(timeout)
        } else {
            group.initial_delay = None;
            timeout
        };
        for node in syncing {
            ctx.send(
                node,
                Message::SyncGroupResponse {
                    group_id: group_id.to_string(),
                    error: Some(KafkaError::REBALANCE_IN_PROGRESS),
                    assignment: Vec::new(),
                },
            );
        }
        ctx.milestone(
            Milestone::RebalanceStarted,
            EventKind::Group,
            None,
            if from_empty {
                format!("Group {group_id} goes Empty → PreparingRebalance ({why}); as the group was empty, the join phase waits group.initial.rebalance.delay.ms={initial_delay} for more members")
            } else {
                format!("Group {group_id} goes {} → PreparingRebalance ({why}): every member must send JoinGroup again within the rebalance timeout of {timeout} ms (the largest max.poll.interval.ms)", previous.name())
            },
        );
        host.set_timer(
            ctx,
            BrokerTimer::GroupJoin {
                group: group_id.to_string(),
            },
            delay,
        );
        if !from_empty {
            self.try_complete_join(host, ctx, group_id);
        }
    }

    /// Completes the join phase if every member has rejoined (and no initial delay runs).
    fn try_complete_join(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx, group_id: &str) {
        let Some(group) = self.group(group_id) else {
            return;
        };
        if group.state != GroupState::PreparingRebalance || group.initial_delay.is_some() {
            return;
        }
        if group.members.iter().all(|m| m.awaiting_join) && group.pending_members.is_empty() {
            self.complete_join(host, ctx, group_id);
        }
    }

    /// The join timer: the initial delay ended, or the rebalance timeout ran out.
    pub(crate) fn on_group_join_timer(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
    ) {
        let now = ctx.now;
        let initial = host.config_i64("group.initial.rebalance.delay.ms");
        let Some(group) = self.group_mut(group_id) else {
            return;
        };
        if group.state != GroupState::PreparingRebalance {
            return;
        }
        if let Some((deadline, joined)) = group.initial_delay {
            if joined && now < deadline {
                // Someone joined during the delay: wait once more (InitialDelayedJoin).
                group.initial_delay = Some((deadline, false));
                let wait = initial.min(deadline - now);
                host.set_timer(
                    ctx,
                    BrokerTimer::GroupJoin {
                        group: group_id.to_string(),
                    },
                    wait,
                );
                return;
            }
            group.initial_delay = None;
        }
        self.complete_join(host, ctx, group_id);
    }

    /// `completeClassicGroupJoin`: the next generation starts with whoever rejoined.
    fn complete_join(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx, group_id: &str) {
        let Some(group) = self.group_mut(group_id) else {
            return;
        };
        group.initial_delay = None;
        // Dynamic members that did not rejoin are removed; static ones stay.
        let (kept, gone): (Vec<Member>, Vec<Member>) = std::mem::take(&mut group.members)
            .into_iter()
            .partition(|m| m.awaiting_join || m.group_instance_id.is_some());
        group.members = kept;
        let removed: Vec<String> = gone.iter().map(|m| m.member_id.clone()).collect();
        // A leader that did not rejoin is replaced by the first rejoined member in HashMap order.
        let leader_ok = group.leader.as_ref().is_some_and(|l| {
            group
                .members
                .iter()
                .any(|m| &m.member_id == l && m.awaiting_join)
        });
        if !leader_ok {
            let order = group.hash_order();
            group.leader = order
                .into_iter()
                .find(|id| group.member(id).is_some_and(|m| m.awaiting_join));
        }
        group.generation += 1;
        group.rebalances += 1;
        let generation = group.generation;
        for id in &removed {
            host.cancel_timer(&BrokerTimer::GroupSession {
                group: group_id.to_string(),
                member: id.clone(),
            });
        }
        let group = self.group_mut(group_id).expect("present");
        if group.members.is_empty() {
            group.state = GroupState::Empty;
            group.protocol = None;
            group.leader = None;
            ctx.event(
                EventKind::Group,
                None,
                format!(
                    "Group {group_id} has no members left: it is Empty at generation {generation}"
                ),
            );
            if let Some(p) = self.coordinates(host, group_id) {
                let record = self.group(group_id).map(|g| g.record());
                if let Some(record) = record {
                    self.write_coordinator_records(host, ctx, p, vec![record], WriteAction::None);
                }
            }
            return;
        }
        group.protocol = group.select_protocol();
        group.state = GroupState::CompletingRebalance;
        let protocol = group.protocol.clone().unwrap_or_default();
        let leader = group.leader.clone().unwrap_or_default();
        let members: Vec<(String, NodeId, bool)> = group
            .members
            .iter()
            .map(|m| (m.member_id.clone(), m.node, m.awaiting_join))
            .collect();
        let timeout = group.rebalance_timeout_ms();
        ctx.event(
            EventKind::Group,
            None,
            format!(
                "Group {group_id} goes PreparingRebalance → CompletingRebalance at generation {generation} with {} member(s){}: the chosen assignor is {protocol}, and the leader {leader} gets every member's subscription to compute the assignment",
                members.len(),
                if removed.is_empty() { String::new() } else { format!(" ({} did not rejoin in time and is removed)", removed.join(", ")) }
            ),
        );
        for (id, node, waiting) in members {
            if !waiting {
                continue;
            }
            let response = self.join_response(group_id, &id, false);
            ctx.send(node, response);
            if let Some(m) = self.group_mut(group_id).and_then(|g| g.member_mut(&id)) {
                m.awaiting_join = false;
            }
            self.reset_session(host, ctx, group_id, &id);
        }
        host.set_timer(
            ctx,
            BrokerTimer::GroupSync {
                group: group_id.to_string(),
                generation,
            },
            timeout,
        );
    }

    fn join_response(&self, group_id: &str, member_id: &str, skip_assignment: bool) -> Message {
        let Some(group) = self.group(group_id) else {
            return join_error(group_id, member_id, KafkaError::UNKNOWN_MEMBER_ID);
        };
        let leader = group.leader.clone().unwrap_or_default();
        let is_leader = leader == member_id;
        let members = if is_leader {
            group
                .members
                .iter()
                .map(|m| JoinedMember {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    subscription: m
                        .protocols
                        .iter()
                        .find(|(n, _)| Some(n) == group.protocol.as_ref())
                        .map(|(_, s)| s.clone())
                        .unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Message::JoinGroupResponse {
            group_id: group_id.to_string(),
            error: None,
            generation: group.generation,
            protocol_name: group.protocol.clone(),
            leader,
            member_id: member_id.to_string(),
            members,
            skip_assignment,
        }
    }

    // ------------------------------------------------------------------ SyncGroup

    pub fn handle_sync_group(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: SyncGroupRequest,
    ) {
        let SyncGroupRequest {
            group_id,
            generation,
            member_id,
            assignments,
            ..
        } = request;
        let me = host.id();
        let reply = |ctx: &mut BrokerCtx, error: KafkaError| {
            ctx.send(
                from,
                Message::SyncGroupResponse {
                    group_id: group_id.clone(),
                    error: Some(error),
                    assignment: Vec::new(),
                },
            );
        };
        let Some(p) = self.coordinates(host, &group_id) else {
            return reply(ctx, KafkaError::NOT_COORDINATOR);
        };
        let Some(group) = self.group_mut(&group_id) else {
            return reply(ctx, KafkaError::UNKNOWN_MEMBER_ID);
        };
        if group.member(&member_id).is_none() {
            return reply(ctx, KafkaError::UNKNOWN_MEMBER_ID);
        }
        if generation != group.generation {
            return reply(ctx, KafkaError::ILLEGAL_GENERATION);
        }
        match group.state {
            GroupState::PreparingRebalance => reply(ctx, KafkaError::REBALANCE_IN_PROGRESS),
            GroupState::Empty | GroupState::Dead => reply(ctx, KafkaError::UNKNOWN_MEMBER_ID),
            GroupState::Stable => {
                let assignment = group
                    .member(&member_id)
                    .map(|m| m.assignment.clone())
                    .unwrap_or_default();
                ctx.send(
                    from,
                    Message::SyncGroupResponse {
                        group_id: group_id.clone(),
                        error: None,
                        assignment,
                    },
                );
                self.reset_session(host, ctx, &group_id, &member_id);
            }
            GroupState::CompletingRebalance => {
                if let Some(m) = group.member_mut(&member_id) {
                    m.awaiting_sync = true;
                    m.node = from;
                }
                let is_leader = group.leader.as_deref() == Some(member_id.as_str());
                self.reset_session(host, ctx, &group_id, &member_id);
                if !is_leader {
                    return;
                }
                let group = self.group_mut(&group_id).expect("present");
                for m in &mut group.members {
                    m.assignment = assignments
                        .iter()
                        .find(|(id, _)| *id == m.member_id)
                        .map(|(_, a)| a.clone())
                        .unwrap_or_default();
                }
                let summary: Vec<String> = group
                    .members
                    .iter()
                    .map(|m| format!("{} ← {}", m.client_id, list(&m.assignment)))
                    .collect();
                let record = group.record();
                ctx.event(
                    EventKind::Group,
                    None,
                    format!(
                        "Coordinator {me} receives the leader's assignment for group {group_id} generation {generation} ({}) and writes it to {OFFSETS_TOPIC}-{p}; members get it once it is committed",
                        summary.join("; ")
                    ),
                );
                self.write_coordinator_records(
                    host,
                    ctx,
                    p,
                    vec![record],
                    WriteAction::CompleteSync {
                        group_id: group_id.clone(),
                        generation,
                    },
                );
            }
        }
    }

    fn complete_sync(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        generation: i32,
    ) {
        let Some(group) = self.group_mut(group_id) else {
            return;
        };
        if group.state != GroupState::CompletingRebalance || group.generation != generation {
            return;
        }
        group.state = GroupState::Stable;
        let waiting: Vec<(NodeId, Vec<TopicPartition>)> = group
            .members
            .iter_mut()
            .filter(|m| m.awaiting_sync)
            .map(|m| {
                m.awaiting_sync = false;
                (m.node, m.assignment.clone())
            })
            .collect();
        ctx.event(
            EventKind::Group,
            None,
            format!("Group {group_id} is Stable at generation {generation}: its assignment is committed, and every member that sent SyncGroup gets its partitions"),
        );
        host.cancel_timer(&BrokerTimer::GroupSync {
            group: group_id.to_string(),
            generation,
        });
        for (node, assignment) in waiting {
            ctx.send(
                node,
                Message::SyncGroupResponse {
                    group_id: group_id.to_string(),
                    error: None,
                    assignment,
                },
            );
        }
    }

    /// Members that joined but did not sync within the rebalance timeout are removed.
    pub(crate) fn on_group_sync_timer(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        generation: i32,
    ) {
        let Some(group) = self.group(group_id) else {
            return;
        };
        if group.state != GroupState::CompletingRebalance || group.generation != generation {
            return;
        }
        let late: Vec<String> = group
            .members
            .iter()
            .filter(|m| !m.awaiting_sync)
            .map(|m| m.member_id.clone())
            .collect();
        for id in late {
            self.remove_member(
                host,
                ctx,
                group_id,
                &id,
                "it did not send SyncGroup within the rebalance timeout",
            );
        }
    }

    // ------------------------------------------------------------------ Heartbeat / Leave

    pub fn handle_heartbeat(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        group_id: String,
        generation: i32,
        member_id: String,
    ) {
        let error = match self.coordinates(host, &group_id) {
            None => Some(KafkaError::NOT_COORDINATOR),
            Some(_) => match self.group(&group_id) {
                None => Some(KafkaError::UNKNOWN_MEMBER_ID),
                Some(g) if g.member(&member_id).is_none() => Some(KafkaError::UNKNOWN_MEMBER_ID),
                Some(g) if g.state == GroupState::Empty => Some(KafkaError::UNKNOWN_MEMBER_ID),
                Some(g) if g.generation != generation => Some(KafkaError::ILLEGAL_GENERATION),
                Some(g) if g.state == GroupState::PreparingRebalance => {
                    Some(KafkaError::REBALANCE_IN_PROGRESS)
                }
                Some(_) => None,
            },
        };
        if matches!(error, None | Some(KafkaError::REBALANCE_IN_PROGRESS)) {
            if let Some(m) = self
                .group_mut(&group_id)
                .and_then(|g| g.member_mut(&member_id))
            {
                m.node = from;
            }
            self.reset_session(host, ctx, &group_id, &member_id);
        }
        ctx.send(from, Message::HeartbeatResponse { group_id, error });
    }

    pub fn handle_leave_group(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: LeaveGroupRequest,
    ) {
        let LeaveGroupRequest {
            group_id,
            member_id,
            group_instance_id,
            reason,
        } = request;
        let error = if self.coordinates(host, &group_id).is_none() {
            Some(KafkaError::NOT_COORDINATOR)
        } else {
            let found = self.group(&group_id).and_then(|g| {
                g.members
                    .iter()
                    .find(|m| {
                        m.member_id == member_id
                            || (group_instance_id.is_some()
                                && m.group_instance_id == group_instance_id)
                    })
                    .map(|m| m.member_id.clone())
            });
            match found {
                Some(id) => {
                    self.remove_member(
                        host,
                        ctx,
                        &group_id,
                        &id,
                        &format!("it sent LeaveGroup ({reason})"),
                    );
                    None
                }
                None => {
                    // A pending member can leave too.
                    if let Some(g) = self.group_mut(&group_id) {
                        g.pending_members.retain(|m| *m != member_id);
                    }
                    Some(KafkaError::UNKNOWN_MEMBER_ID)
                }
            }
        };
        ctx.send(from, Message::LeaveGroupResponse { group_id, error });
    }

    /// The session timer of a member ran out.
    pub(crate) fn on_group_session_timer(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member_id: &str,
    ) {
        let Some(timeout) = self
            .group(group_id)
            .and_then(|g| g.member(member_id))
            .map(|m| m.session_timeout_ms)
        else {
            return;
        };
        self.remove_member(
            host,
            ctx,
            group_id,
            member_id,
            &format!("no heartbeat arrived within session.timeout.ms={timeout}"),
        );
    }

    pub(crate) fn on_group_pending_member_timer(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member_id: &str,
    ) {
        if let Some(g) = self.group_mut(group_id) {
            g.pending_members.retain(|m| m != member_id);
        }
        self.try_complete_join(host, ctx, group_id);
    }

    fn remove_member(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member_id: &str,
        why: &str,
    ) {
        let me = host.id();
        let Some(group) = self.group_mut(group_id) else {
            return;
        };
        let Some(pos) = group.members.iter().position(|m| m.member_id == member_id) else {
            return;
        };
        let member = group.members.remove(pos);
        if group.leader.as_deref() == Some(member_id) {
            let order = group.hash_order();
            group.leader = order.into_iter().next();
        }
        let state = group.state;
        host.cancel_timer(&BrokerTimer::GroupSession {
            group: group_id.to_string(),
            member: member_id.to_string(),
        });
        if member.awaiting_join {
            ctx.send(
                member.node,
                join_error(group_id, member_id, KafkaError::UNKNOWN_MEMBER_ID),
            );
        }
        if member.awaiting_sync {
            ctx.send(
                member.node,
                Message::SyncGroupResponse {
                    group_id: group_id.to_string(),
                    error: Some(KafkaError::UNKNOWN_MEMBER_ID),
                    assignment: Vec::new(),
                },
            );
        }
        ctx.event(
            EventKind::Group,
            None,
            format!(
                "Coordinator {me} removes {member_id} ({}) from group {group_id}: {why}; its partitions {} must go to other members",
                member.client_id,
                list(&member.assignment)
            ),
        );
        match state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(host, ctx, group_id, &format!("{member_id} left"))
            }
            GroupState::PreparingRebalance => {
                let empty = self.group(group_id).is_some_and(|g| g.members.is_empty());
                if empty {
                    self.complete_join(host, ctx, group_id);
                } else {
                    self.try_complete_join(host, ctx, group_id);
                }
            }
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    // ------------------------------------------------------------------ offsets

    #[allow(clippy::too_many_arguments)]
    pub fn handle_offset_commit(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request_id: i64,
        group_id: String,
        generation: i32,
        member_id: String,
        offsets: Vec<(TopicPartition, i64)>,
    ) {
        let reply =
            |ctx: &mut BrokerCtx, error: KafkaError, offsets: Vec<(TopicPartition, i64)>| {
                ctx.send(
                    from,
                    Message::OffsetCommitResponse {
                        request_id,
                        group_id: group_id.clone(),
                        error: Some(error),
                        offsets,
                    },
                );
            };
        let Some(p) = self.coordinates(host, &group_id) else {
            return reply(ctx, KafkaError::NOT_COORDINATOR, offsets);
        };
        if self.consumer_groups.contains_key(&group_id) {
            return self.consumer_group_offset_commit(
                host, ctx, from, p, request_id, group_id, generation, member_id, offsets,
            );
        }
        if !self.groups.contains_key(&group_id) {
            if generation >= 0 {
                return reply(ctx, KafkaError::ILLEGAL_GENERATION, offsets);
            }
            self.groups
                .insert(group_id.clone(), ClassicGroup::new(&group_id));
        }
        let group = self.group(&group_id).expect("present");
        // `ClassicGroup.validateOffsetCommit`.
        let error = if generation < 0 && member_id.is_empty() {
            (group.state != GroupState::Empty).then_some(KafkaError::UNKNOWN_MEMBER_ID)
        } else if group.state == GroupState::CompletingRebalance {
            Some(KafkaError::REBALANCE_IN_PROGRESS)
        } else if group.member(&member_id).is_none() {
            Some(KafkaError::UNKNOWN_MEMBER_ID)
        } else if generation != group.generation {
            Some(KafkaError::ILLEGAL_GENERATION)
        } else {
            None
        };
        if let Some(error) = error {
            let me = host.id();
            ctx.event(
                EventKind::Commit,
                None,
                format!("Coordinator {me} refuses {member_id}'s commit for group {group_id} (generation {generation}, group at {} in {}): {error}", group.generation, group.state.name()),
            );
            return reply(ctx, error, offsets);
        }
        if !member_id.is_empty() {
            self.reset_session(host, ctx, &group_id, &member_id);
        }
        let written = self.write_offsets(
            host,
            ctx,
            p,
            &group_id,
            &offsets,
            WriteAction::Commit {
                group_id: group_id.clone(),
                node: from,
                request_id,
                offsets: offsets.clone(),
            },
        );
        if !written {
            reply(ctx, KafkaError::NOT_COORDINATOR, offsets);
        }
    }

    pub fn handle_offset_fetch(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        group_id: String,
        partitions: Vec<TopicPartition>,
    ) {
        let (error, offsets) = match self.coordinates(host, &group_id) {
            None => (Some(KafkaError::NOT_COORDINATOR), Vec::new()),
            Some(_) => {
                let group = self.group(&group_id);
                let consumer_group = self.consumer_groups.get(&group_id);
                let offsets = partitions
                    .into_iter()
                    .map(|tp| {
                        let committed = group
                            .and_then(|g| g.offsets.get(&tp).copied())
                            .or_else(|| consumer_group.and_then(|g| g.offsets.get(&tp).copied()));
                        (tp, committed)
                    })
                    .collect();
                (None, offsets)
            }
        };
        ctx.send(
            from,
            Message::OffsetFetchResponse {
                group_id,
                error,
                offsets,
            },
        );
    }

    /// `kafka-consumer-groups.sh --reset-offsets --execute`: an admin commit (generation -1)
    /// written like any other. Returns the refusal, if any.
    pub fn admin_commit(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        offsets: Vec<(TopicPartition, i64)>,
    ) -> Result<(), String> {
        let Some(p) = self.coordinates(host, group_id) else {
            return Err(format!(
                "broker {} does not coordinate group {group_id}",
                host.id()
            ));
        };
        if let Some(g) = self.consumer_groups.get(group_id) {
            let state = g.state();
            if state != crate::coordinator::modern::ConsumerGroupState::Empty {
                return Err(format!("Assignments can only be reset if the group '{group_id}' is inactive, but the current state is {}.", state.name()));
            }
        } else if let Some(g) = self.group(group_id) {
            if !matches!(g.state, GroupState::Empty | GroupState::Dead) {
                return Err(format!("Assignments can only be reset if the group '{group_id}' is inactive, but the current state is {}.", g.state.name()));
            }
        } else {
            self.groups
                .insert(group_id.to_string(), ClassicGroup::new(group_id));
        }
        self.write_offsets(host, ctx, p, group_id, &offsets, WriteAction::None);
        if let Some(g) = self.consumer_groups.get_mut(group_id) {
            for (tp, offset) in offsets {
                g.offsets.insert(tp, offset);
            }
        } else if let Some(g) = self.group_mut(group_id) {
            for (tp, offset) in offsets {
                g.offsets.insert(tp, offset);
            }
        }
        Ok(())
    }

    /// `kafka-consumer-groups.sh --delete`: only an Empty group can go; its offsets go too
    /// (a tombstone in `__consumer_offsets`). Returns what the tool prints.
    pub fn admin_delete_group(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
    ) -> Result<String, String> {
        let failed = |why: &str| {
            format!("Deletion of some consumer groups failed:\n* Group '{group_id}' could not be deleted due to: {why}")
        };
        let Some(p) = self.coordinates(host, group_id) else {
            return Err(failed("org.apache.kafka.common.errors.NotCoordinatorException: This is not the correct coordinator."));
        };
        if let Some(g) = self.consumer_groups.get(group_id) {
            if !g.members.is_empty() {
                return Err(failed(
                    "org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.",
                ));
            }
            self.consumer_groups.remove(group_id);
            self.write_coordinator_records(
                host,
                ctx,
                p,
                vec![CoordinatorRecord::Deleted {
                    group_id: group_id.to_string(),
                }],
                WriteAction::None,
            );
            return Ok(format!(
                "Deletion of requested consumer groups ('{group_id}') was successful."
            ));
        }
        match self.group(group_id).map(|g| g.state) {
            None | Some(GroupState::Dead) => {
                return Err(failed(
                    "org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.",
                ))
            }
            Some(GroupState::Empty) => {}
            Some(_) => {
                return Err(failed(
                    "org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.",
                ))
            }
        }
        self.groups.remove(group_id);
        self.write_coordinator_records(
            host,
            ctx,
            p,
            vec![CoordinatorRecord::Deleted {
                group_id: group_id.to_string(),
            }],
            WriteAction::None,
        );
        Ok(format!(
            "Deletion of requested consumer groups ('{group_id}') was successful."
        ))
    }

    /// TxnOffsetCommit: the offsets are written as transactional records of the producer and
    /// count only when its COMMIT marker arrives.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_txn_offset_commit(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        tid: String,
        group_id: String,
        pid: i64,
        epoch: i16,
        offsets: Vec<(TopicPartition, i64)>,
    ) {
        let Some(p) = self.coordinates(host, &group_id) else {
            ctx.send(
                from,
                Message::TxnOffsetCommitResponse {
                    error: Some(KafkaError::NOT_COORDINATOR),
                    group_id,
                },
            );
            return;
        };
        let tp = TopicPartition::new(OFFSETS_TOPIC, p);
        let now = ctx.now;
        let (Some(leader_epoch), Some(log)) = (host.leading_epoch(&tp), host.log(&tp)) else {
            return;
        };
        let header = Arc::new(BatchHeader {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: -1,
            last_sequence: -1,
            transactional: true,
            control: None,
            coordinator_epoch: -1,
        });
        if let Some(entry) = log.producer_state().producers.get(&pid) {
            if entry.epoch > epoch {
                ctx.send(
                    from,
                    Message::TxnOffsetCommitResponse {
                        error: Some(KafkaError::PRODUCER_FENCED),
                        group_id,
                    },
                );
                return;
            }
        }
        let records: Vec<Record> = offsets
            .iter()
            .map(|(part, offset)| Record {
                offset: 0,
                leader_epoch,
                producer: format!("txn {tid}"),
                producer_seq: -1,
                key: Some(format!("OffsetCommitKey({group_id}, {part})")),
                value: Some(format!("offset {offset} (transactional)")),
                timestamp_ms: now,
                coordinator: Some(Arc::new(CoordinatorRecord::Offset {
                    group_id: group_id.clone(),
                    partition: part.clone(),
                    offset: *offset,
                })),
                batch: Some(header.clone()),
            })
            .collect();
        self.pending_txn_offsets
            .insert((group_id.clone(), pid), offsets);
        ctx.event(
            EventKind::Commit,
            Some(tp.clone()),
            format!(
                "Coordinator {} writes group {group_id}'s offsets from {tid} to {tp} as part of the transaction: they count only once a COMMIT marker follows",
                host.id()
            ),
        );
        ctx.send(
            from,
            Message::TxnOffsetCommitResponse {
                error: None,
                group_id,
            },
        );
        // Appended after the answer is queued, as the sandbox always did: what follows the
        // append (the HW, waiting fetches) comes after it.
        host.append(ctx, &tp, records);
    }

    /// A transaction of producer `pid` ended (`GroupCoordinator.onTransactionCompleted`, when
    /// its marker is written to a `__consumer_offsets` partition this broker leads): its
    /// pending offsets become the groups' on COMMIT and are dropped on ABORT.
    pub fn on_transaction_completed(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        pid: i64,
        commit: bool,
    ) {
        let keys: Vec<(String, i64)> = self
            .pending_txn_offsets
            .keys()
            .filter(|(_, p)| *p == pid)
            .cloned()
            .collect();
        for key in keys {
            let Some(offsets) = self.pending_txn_offsets.remove(&key) else {
                continue;
            };
            if !commit {
                continue;
            }
            let group_id = key.0;
            if let Some(g) = self.groups.get_mut(&group_id) {
                for (tp, o) in &offsets {
                    g.offsets.insert(tp.clone(), *o);
                }
            } else if let Some(g) = self.consumer_groups.get_mut(&group_id) {
                for (tp, o) in &offsets {
                    g.offsets.insert(tp.clone(), *o);
                }
            }
            let text: Vec<String> = offsets.iter().map(|(tp, o)| format!("{tp}@{o}")).collect();
            ctx.event(
                EventKind::Commit,
                None,
                format!(
                    "Coordinator {}: the COMMIT marker makes group {group_id}'s offsets {} count (exactly-once: the output records and the input offsets commit together)",
                    host.id(),
                    text.join(", ")
                ),
            );
        }
    }
}

fn join_error(group_id: &str, member_id: &str, error: KafkaError) -> Message {
    Message::JoinGroupResponse {
        group_id: group_id.to_string(),
        error: Some(error),
        generation: -1,
        protocol_name: None,
        leader: String::new(),
        member_id: member_id.to_string(),
        members: Vec::new(),
        skip_assignment: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinator_partition_is_kafkas() {
        // kafka-semantics.md §7: examples computed with Kafka's formula.
        assert_eq!(offsets_partition("my-group", 50), 12);
        assert_eq!(offsets_partition("test-group", 50), 12);
        assert_eq!(offsets_partition("group", 50), 47);
        assert_eq!(offsets_partition("consumer-group-1", 50), 20);
        assert_eq!(offsets_partition("", 50), 0);
    }
}
