//! The group coordinator (`GroupCoordinator`), one per broker for the `__consumer_offsets`
//! partitions it leads, after apache/kafka's `group-coordinator` module (kafka-semantics.md
//! §7, §8 and §11). It works on its broker only through [`Host`].
//!
//! - `mod.rs` (this file, `GroupCoordinatorShard` and the runtime's part): which groups it
//!   coordinates, loading a partition by replaying its records (`CoordinatorLoaderImpl`) and
//!   unloading it, writing records and completing each write once the partition's HW passes it
//!   (like an `acks=all` produce, so what is answered survives a failover), group deletion.
//! - `classic_group.rs`: a classic group's state (`classic/ClassicGroup.java`).
//! - `classic.rs`: the classic protocol (`GroupMetadataManager`'s `classicGroup*` methods):
//!   JoinGroup, SyncGroup, Heartbeat, LeaveGroup, sessions and rebalances.
//! - `consumer_group.rs`: a KIP-848 consumer group's state, records and reconciliation
//!   (`modern/consumer/ConsumerGroup.java`, `CurrentAssignmentBuilder`).
//! - `modern.rs`: the KIP-848 consumer group protocol (`consumerGroupHeartbeat` and its
//!   timeouts): coordinator code, not the client's (that is `crate::consumer::membership`).
//! - `offsets.rs`: committed offsets for both protocols (`OffsetMetadataManager`):
//!   OffsetCommit, OffsetFetch, TxnOffsetCommit and the transaction's end, admin resets.
//!
//! A group's coordinator is the leader of `__consumer_offsets` partition
//! `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`; when a broker becomes its leader
//! it loads the partition, and when it stops leading it unloads it (requests get
//! NOT_COORDINATOR and clients look for the new coordinator).
//!
//! Not modelled: offset expiry (`offsets.retention.minutes`), `group.max.size`, and the
//! COORDINATOR_LOAD_IN_PROGRESS window (loading is instant).

pub mod classic;
pub mod classic_group;
pub mod consumer_group;
pub mod modern;
pub mod offsets;

pub use classic_group::{ClassicGroup, GroupState};
pub use consumer_group::{ConsumerGroup, ConsumerGroupState, ConsumerMember};

use classic_group::join_error;
use consumer_group::{not_coordinator, replay, with_error};

use crate::sorted::SortedMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::broker::timer::{BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::coordinator::{coordinator_change, CoordinatorChange, Host};
use crate::coordinator_record::CoordinatorRecord;
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::java::{string_hash_code, utils_abs};
use crate::protocol::Message;
use crate::record::Record;

pub use crate::metadata::OFFSETS_TOPIC;

/// `abs(groupId.hashCode) % partitions`: the `__consumer_offsets` partition of a group.
pub fn offsets_partition(group_id: &str, partitions: i32) -> i32 {
    utils_abs(string_hash_code(group_id)) % partitions.max(1)
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
    pub loaded: SortedMap<i32, i32>,
    pub groups: SortedMap<String, ClassicGroup>,
    pub pending_writes: Vec<PendingWrite>,
    /// Groups of the KIP-848 `consumer` protocol. A group id is in one map or the other.
    #[serde(default)]
    pub consumer_groups: SortedMap<String, consumer_group::ConsumerGroup>,
    /// Offsets a transaction committed (TxnOffsetCommit) that wait for its marker, per
    /// (group, producer id): a COMMIT marker makes them the group's, an ABORT drops them
    /// (`OffsetMetadataManager.pendingTransactionalOffsets`).
    #[serde(default)]
    pub pending_txn_offsets: SortedMap<(String, i64), Vec<(TopicPartition, i64)>>,
}

pub(crate) fn topic_partition(partition: i32) -> TopicPartition {
    TopicPartition::new(OFFSETS_TOPIC, partition)
}

pub(crate) fn list(tps: &[TopicPartition]) -> String {
    if tps.is_empty() {
        return "nothing".to_string();
    }
    let items: Vec<String> = tps.iter().map(|tp| tp.to_string()).collect();
    items.join(", ")
}

/// A UUID as Java prints one, drawn from the simulation's random source.
pub(crate) fn uuid(ctx: &mut BrokerCtx) -> String {
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

    pub(crate) fn group(&self, group_id: &str) -> Option<&ClassicGroup> {
        self.groups.get(group_id)
    }

    pub(crate) fn group_mut(&mut self, group_id: &str) -> Option<&mut ClassicGroup> {
        self.groups.get_mut(group_id)
    }

    pub fn consumer_group(&self, group_id: &str) -> Option<&ConsumerGroup> {
        self.consumer_groups.get(group_id)
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
    pub(crate) fn load_offsets_partition(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        p: i32,
        epoch: i32,
    ) {
        self.unload_groups_of(host, p);
        let tp = topic_partition(p);
        let mut groups: SortedMap<String, ClassicGroup> = SortedMap::new();
        let mut consumer_groups = SortedMap::new();
        let mut count = 0;
        if let Some(log) = host.log(&tp) {
            // Offsets a transaction wrote count from its COMMIT marker on, and never if it
            // aborted; those of a transaction still open stay pending (`GroupMetadataManager`
            // replays transactional offsets the same way).
            let partitions = host.offsets_partitions();
            self.pending_txn_offsets
                .retain(|(group, _), _| offsets_partition(group, partitions) != p);
            let mut ordered: Vec<&Record> = Vec::new();
            let mut open: SortedMap<i64, Vec<&Record>> = SortedMap::new();
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
                            let g: &mut consumer_group::ConsumerGroup = g;
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
                    CoordinatorRecord::Consumer(r) => replay(&mut consumer_groups, &mut groups, r),
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

    pub(crate) fn unload_groups_of(&mut self, host: &mut dyn Host, p: i32) {
        let partitions = host.offsets_partitions();
        self.groups
            .retain(|id, _| offsets_partition(id, partitions) != p);
        self.consumer_groups
            .retain(|id, _| offsets_partition(id, partitions) != p);
        self.pending_writes.retain(|w| w.partition != p);
    }

    pub(crate) fn unload_offsets_partition(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        p: i32,
    ) {
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
                    if let Some(m) = not_coordinator(&message) {
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

    /// Runs the actions of writes the HW of `tp`, a `__consumer_offsets` partition, has
    /// passed (the broker calls it when that HW moves).
    pub(crate) fn complete_coordinator_writes(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
    ) {
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
                    if let Some(m) = with_error(&message, KafkaError::COORDINATOR_NOT_AVAILABLE) {
                        ctx.send(node, m);
                    }
                }
                _ => {}
            }
        }
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
        let not_empty =
            "org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.";
        if let Some(g) = self.consumer_groups.get(group_id) {
            if !g.members.is_empty() {
                return Err(failed(not_empty));
            }
            self.consumer_groups.remove(group_id);
        } else {
            match self.group(group_id).map(|g| g.state) {
                None | Some(GroupState::Dead) => {
                    return Err(failed(
                        "org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.",
                    ))
                }
                Some(GroupState::Empty) => {}
                Some(_) => return Err(failed(not_empty)),
            }
            self.groups.remove(group_id);
        }
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
