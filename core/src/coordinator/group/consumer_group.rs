//! A KIP-848 consumer group as its coordinator keeps it (`modern/consumer/ConsumerGroup.java`,
//! `ConsumerGroupMember.java`): the group epoch, members with their subscriptions and current
//! assignments, the target assignment; the records that carry a change to
//! `__consumer_offsets` and their replay; a member's reconciliation towards its target
//! (`CurrentAssignmentBuilder`) and epoch fencing. The protocol itself is `modern.rs`.

use crate::sorted::SortedMap;

use serde::{Deserialize, Serialize};

use crate::assignor::ServerAssignor;
use crate::command::TopicPartition;
use crate::coordinator_record::{
    short, ConsumerGroupRecord, CurrentAssignment, MemberMetadata, MemberState,
};
use crate::error::KafkaError;
use crate::java::{hash_map_iteration_order, string_hash_code};
use crate::protocol::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, Message};

use super::classic_group::ClassicGroup;

/// A heartbeat with this epoch joins the group.
pub const JOIN_GROUP_MEMBER_EPOCH: i32 = 0;
/// A heartbeat with this epoch leaves the group.
pub const LEAVE_GROUP_MEMBER_EPOCH: i32 = -1;
/// A static member leaving for a while (it means to come back).
pub const LEAVE_GROUP_STATIC_MEMBER_EPOCH: i32 = -2;

/// `ConsumerGroup.ConsumerGroupState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsumerGroupState {
    Empty,
    Assigning,
    Reconciling,
    Stable,
}

impl ConsumerGroupState {
    pub fn name(self) -> &'static str {
        match self {
            ConsumerGroupState::Empty => "Empty",
            ConsumerGroupState::Assigning => "Assigning",
            ConsumerGroupState::Reconciling => "Reconciling",
            ConsumerGroupState::Stable => "Stable",
        }
    }
}

/// `ConsumerGroupMember`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerMember {
    pub member_id: String,
    pub metadata: MemberMetadata,
    pub current: CurrentAssignment,
}

/// A consumer group (`ConsumerGroup`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerGroup {
    pub group_id: String,
    /// Bumped when membership, subscriptions or subscribed partition counts change.
    pub epoch: i32,
    /// The group epoch the target assignment was computed for.
    pub assignment_epoch: i32,
    /// Members in the order they joined.
    pub members: Vec<ConsumerMember>,
    /// The target assignment, per member id.
    pub target: SortedMap<String, Vec<TopicPartition>>,
    /// Partition counts of the subscribed topics, as last computed.
    pub subscription_metadata: SortedMap<String, i32>,
    /// Committed offsets.
    pub offsets: SortedMap<TopicPartition, i64>,
    /// How many times the group epoch was bumped since the coordinator loaded the group.
    pub rebalances: i32,
}

impl ConsumerGroup {
    pub fn new(group_id: &str) -> ConsumerGroup {
        ConsumerGroup {
            group_id: group_id.to_string(),
            ..ConsumerGroup::default()
        }
    }

    pub fn member(&self, member_id: &str) -> Option<&ConsumerMember> {
        self.members.iter().find(|m| m.member_id == member_id)
    }

    pub(crate) fn member_mut(&mut self, member_id: &str) -> Option<&mut ConsumerMember> {
        self.members.iter_mut().find(|m| m.member_id == member_id)
    }

    pub(crate) fn static_member(&self, instance_id: &str) -> Option<&ConsumerMember> {
        self.members
            .iter()
            .find(|m| m.metadata.instance_id.as_deref() == Some(instance_id))
    }

    /// `ConsumerGroup.maybeUpdateGroupState`.
    pub fn state(&self) -> ConsumerGroupState {
        if self.members.is_empty() {
            ConsumerGroupState::Empty
        } else if self.epoch > self.assignment_epoch {
            ConsumerGroupState::Assigning
        } else if self.members.iter().all(|m| {
            m.current.state == MemberState::Stable
                && m.current.member_epoch == self.assignment_epoch
        }) {
            ConsumerGroupState::Stable
        } else {
            ConsumerGroupState::Reconciling
        }
    }

    /// The member owning `tp` now (assigned or still revoking it), other than `except`.
    pub(crate) fn owner_of(&self, tp: &TopicPartition, except: &str) -> Option<&ConsumerMember> {
        self.members.iter().find(|m| {
            m.member_id != except
                && (m.current.assigned.contains(tp) || m.current.pending_revocation.contains(tp))
        })
    }

    /// `computePreferredServerAssignor`: the assignor most members asked for (ties in
    /// `HashMap` order of the names), else the coordinator's default.
    pub fn preferred_assignor(&self, default: ServerAssignor) -> ServerAssignor {
        let mut counts: Vec<(String, i32)> = Vec::new();
        for m in &self.members {
            if let Some(name) = &m.metadata.server_assignor {
                match counts.iter_mut().find(|(n, _)| n == name) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((name.clone(), 1)),
                }
            }
        }
        let codes: Vec<i32> = counts.iter().map(|(n, _)| string_hash_code(n)).collect();
        let mut best: Option<(&str, i32)> = None;
        for i in hash_map_iteration_order(&codes) {
            let (name, count) = &counts[i];
            if best.is_none_or(|(_, c)| *count > c) {
                best = Some((name, *count));
            }
        }
        best.and_then(|(name, _)| ServerAssignor::from_name(name).ok())
            .unwrap_or(default)
    }

    /// The topics any member subscribes to.
    pub(crate) fn subscribed_topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self
            .members
            .iter()
            .flat_map(|m| m.metadata.subscribed_topics.iter().cloned())
            .collect();
        crate::sort::sort(&mut topics);
        topics.dedup();
        topics
    }

    /// `ConsumerGroup.validateOffsetCommit`: the error for a commit, if any.
    pub fn validate_offset_commit(&self, member_id: &str, member_epoch: i32) -> Option<KafkaError> {
        if member_epoch < 0 && self.members.is_empty() {
            return None;
        }
        match self.member(member_id) {
            None => Some(KafkaError::UNKNOWN_MEMBER_ID),
            Some(m) if m.current.member_epoch != member_epoch => {
                Some(KafkaError::STALE_MEMBER_EPOCH)
            }
            Some(_) => None,
        }
    }
}

// ------------------------------------------------------------------ records

/// The records that turn `old` (`None`: no such group yet) into `new`, in the order Kafka
/// writes them: removed members' tombstones, member metadata, subscription metadata, group
/// epoch, target assignment, target epoch, current assignments.
pub fn records_between(
    old: Option<&ConsumerGroup>,
    new: &ConsumerGroup,
) -> Vec<ConsumerGroupRecord> {
    let empty = ConsumerGroup::new(&new.group_id);
    let old_group = old.unwrap_or(&empty);
    let id = || new.group_id.clone();
    let mut records = Vec::new();
    for m in &old_group.members {
        if new.member(&m.member_id).is_none() {
            records.push(ConsumerGroupRecord::Current {
                group_id: id(),
                member_id: m.member_id.clone(),
                assignment: None,
            });
            records.push(ConsumerGroupRecord::TargetMember {
                group_id: id(),
                member_id: m.member_id.clone(),
                partitions: None,
            });
            records.push(ConsumerGroupRecord::Member {
                group_id: id(),
                member_id: m.member_id.clone(),
                metadata: None,
            });
        }
    }
    for m in &new.members {
        if old_group.member(&m.member_id).map(|o| &o.metadata) != Some(&m.metadata) {
            records.push(ConsumerGroupRecord::Member {
                group_id: id(),
                member_id: m.member_id.clone(),
                metadata: Some(m.metadata.clone()),
            });
        }
    }
    if old_group.subscription_metadata != new.subscription_metadata {
        records.push(ConsumerGroupRecord::SubscriptionMetadata {
            group_id: id(),
            topics: new
                .subscription_metadata
                .iter()
                .map(|(t, n)| (t.clone(), *n))
                .collect(),
        });
    }
    if old.is_none() || old_group.epoch != new.epoch {
        records.push(ConsumerGroupRecord::Epoch {
            group_id: id(),
            epoch: new.epoch,
        });
    }
    for (member, partitions) in &new.target {
        if old_group.target.get(member) != Some(partitions) {
            records.push(ConsumerGroupRecord::TargetMember {
                group_id: id(),
                member_id: member.clone(),
                partitions: Some(partitions.clone()),
            });
        }
    }
    for member in old_group.target.keys() {
        let removed_with_member =
            new.member(member).is_none() && old_group.member(member).is_some();
        if !new.target.contains_key(member) && !removed_with_member {
            records.push(ConsumerGroupRecord::TargetMember {
                group_id: id(),
                member_id: member.clone(),
                partitions: None,
            });
        }
    }
    if old_group.assignment_epoch != new.assignment_epoch {
        records.push(ConsumerGroupRecord::TargetEpoch {
            group_id: id(),
            epoch: new.assignment_epoch,
        });
    }
    for m in &new.members {
        if old_group.member(&m.member_id).map(|o| &o.current) != Some(&m.current) {
            records.push(ConsumerGroupRecord::Current {
                group_id: id(),
                member_id: m.member_id.clone(),
                assignment: Some(m.current.clone()),
            });
        }
    }
    records
}

/// Replays one record while loading a `__consumer_offsets` partition. A consumer group takes
/// over the offsets of an empty classic group of the same id (the group was converted).
pub fn replay(
    groups: &mut SortedMap<String, ConsumerGroup>,
    classic: &mut SortedMap<String, ClassicGroup>,
    record: &ConsumerGroupRecord,
) {
    let group_id = record.group_id().to_string();
    let group = groups.entry(group_id.clone()).or_insert_with(|| {
        let mut group = ConsumerGroup::new(&group_id);
        if let Some(old) = classic.remove(&group_id) {
            group.offsets = old.offsets;
        }
        group
    });
    let member = |group: &mut ConsumerGroup, member_id: &str| -> usize {
        match group.members.iter().position(|m| m.member_id == member_id) {
            Some(i) => i,
            None => {
                group.members.push(ConsumerMember {
                    member_id: member_id.to_string(),
                    metadata: MemberMetadata::default(),
                    current: CurrentAssignment::default(),
                });
                group.members.len() - 1
            }
        }
    };
    match record {
        ConsumerGroupRecord::Epoch { epoch, .. } => group.epoch = *epoch,
        ConsumerGroupRecord::SubscriptionMetadata { topics, .. } => {
            group.subscription_metadata = topics.iter().cloned().collect();
        }
        ConsumerGroupRecord::Member {
            member_id,
            metadata,
            ..
        } => match metadata {
            Some(metadata) => {
                let i = member(group, member_id);
                group.members[i].metadata = metadata.clone();
            }
            None => group.members.retain(|m| &m.member_id != member_id),
        },
        ConsumerGroupRecord::TargetMember {
            member_id,
            partitions,
            ..
        } => match partitions {
            Some(p) => {
                group.target.insert(member_id.clone(), p.clone());
            }
            None => {
                group.target.remove(member_id);
            }
        },
        ConsumerGroupRecord::TargetEpoch { epoch, .. } => group.assignment_epoch = *epoch,
        ConsumerGroupRecord::Current {
            member_id,
            assignment,
            ..
        } => {
            if let Some(a) = assignment {
                let i = member(group, member_id);
                group.members[i].current = a.clone();
            } else if let Some(m) = group.member_mut(member_id) {
                m.current = CurrentAssignment::default();
            }
        }
    }
}

// ------------------------------------------------------------------ reconciliation

pub(crate) fn minus(a: &[TopicPartition], b: &[TopicPartition]) -> Vec<TopicPartition> {
    a.iter().filter(|tp| !b.contains(tp)).cloned().collect()
}

pub(crate) fn sorted(mut v: Vec<TopicPartition>) -> Vec<TopicPartition> {
    crate::sort::sort(&mut v);
    v.dedup();
    v
}

/// Whether the member, by the owned partitions of its heartbeat, still holds any of
/// `revoking` (not sending them counts as still holding them).
pub(crate) fn owns_any(owned: Option<&[TopicPartition]>, revoking: &[TopicPartition]) -> bool {
    match owned {
        None => true,
        Some(owned) => owned.iter().any(|tp| revoking.contains(tp)),
    }
}

/// `CurrentAssignmentBuilder.build`: the member's next state towards `target`. `held`
/// tells whether another member still owns a partition.
pub fn reconcile(
    current: &CurrentAssignment,
    target_epoch: i32,
    target: &[TopicPartition],
    owned: Option<&[TopicPartition]>,
    held: &dyn Fn(&TopicPartition) -> bool,
) -> CurrentAssignment {
    let next = |epoch: i32| -> CurrentAssignment {
        let assigned: Vec<TopicPartition> = current
            .assigned
            .iter()
            .filter(|tp| target.contains(tp))
            .cloned()
            .collect();
        let revoking = minus(&current.assigned, &assigned);
        let wanted = minus(target, &assigned);
        let (unreleased, free): (Vec<TopicPartition>, Vec<TopicPartition>) =
            wanted.into_iter().partition(|tp| held(tp));
        if !revoking.is_empty() && owns_any(owned, &revoking) {
            return CurrentAssignment {
                member_epoch: epoch,
                previous_member_epoch: current.member_epoch,
                state: MemberState::UnrevokedPartitions,
                assigned: sorted(assigned),
                pending_revocation: sorted(revoking),
            };
        }
        let mut assigned = assigned;
        assigned.extend(free);
        CurrentAssignment {
            member_epoch: target_epoch,
            previous_member_epoch: current.member_epoch,
            state: if unreleased.is_empty() {
                MemberState::Stable
            } else {
                MemberState::UnreleasedPartitions
            },
            assigned: sorted(assigned),
            pending_revocation: Vec::new(),
        }
    };
    match current.state {
        MemberState::Stable if current.member_epoch == target_epoch => current.clone(),
        MemberState::Stable | MemberState::UnreleasedPartitions => next(current.member_epoch),
        MemberState::UnrevokedPartitions => {
            if owns_any(owned, &current.pending_revocation) {
                current.clone()
            } else {
                next(current.member_epoch + 1)
            }
        }
    }
}

/// `throwIfConsumerGroupMemberEpochIsInvalid`.
pub(crate) fn check_epoch(
    member: &ConsumerMember,
    received: i32,
    owned: Option<&[TopicPartition]>,
) -> Result<(), KafkaError> {
    let epoch = member.current.member_epoch;
    if received > epoch {
        return Err(KafkaError::FENCED_MEMBER_EPOCH);
    }
    if received < epoch {
        let subset = owned.is_some_and(|o| o.iter().all(|tp| member.current.assigned.contains(tp)));
        if received != member.current.previous_member_epoch || !subset {
            return Err(KafkaError::FENCED_MEMBER_EPOCH);
        }
    }
    Ok(())
}

pub(crate) fn list(tps: &[TopicPartition]) -> String {
    short(tps)
}

/// The answer to a heartbeat that failed.
pub(crate) fn error_response(req: &ConsumerGroupHeartbeatRequest, error: KafkaError) -> Message {
    Message::ConsumerGroupHeartbeatResponse(ConsumerGroupHeartbeatResponse {
        group_id: req.group_id.clone(),
        error: Some(error),
        member_id: req.member_id.clone(),
        member_epoch: req.member_epoch,
        heartbeat_interval_ms: 0,
        assignment: None,
    })
}

/// What a coordinator that stopped leading the group's partition answers instead of a
/// response that was waiting for its records to commit.
pub fn not_coordinator(message: &Message) -> Option<Message> {
    with_error(message, KafkaError::NOT_COORDINATOR)
}

/// A waiting response turned into an error (its records will not be committed).
pub fn with_error(message: &Message, error: KafkaError) -> Option<Message> {
    match message {
        Message::ConsumerGroupHeartbeatResponse(r) => Some(
            Message::ConsumerGroupHeartbeatResponse(ConsumerGroupHeartbeatResponse {
                error: Some(error),
                assignment: None,
                ..r.clone()
            }),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("orders", p)
    }

    fn current(epoch: i32, assigned: &[i32]) -> CurrentAssignment {
        CurrentAssignment {
            member_epoch: epoch,
            previous_member_epoch: epoch - 1,
            state: MemberState::Stable,
            assigned: assigned.iter().map(|&p| tp(p)).collect(),
            pending_revocation: Vec::new(),
        }
    }

    fn tps(ps: &[i32]) -> Vec<TopicPartition> {
        ps.iter().map(|&p| tp(p)).collect()
    }

    #[test]
    fn a_member_revokes_before_it_moves_on() {
        // Owns 0,1,2; the target is 0,1,3. It must revoke 2 first and keeps its epoch.
        let owned = tps(&[0, 1, 2]);
        let next = reconcile(
            &current(2, &[0, 1, 2]),
            3,
            &tps(&[0, 1, 3]),
            Some(&owned),
            &|_| false,
        );
        assert_eq!(next.state, MemberState::UnrevokedPartitions);
        assert_eq!(next.member_epoch, 2);
        assert_eq!(next.assigned, tps(&[0, 1]));
        assert_eq!(next.pending_revocation, tps(&[2]));
        // Not sending its owned partitions changes nothing.
        assert_eq!(
            reconcile(&next, 3, &tps(&[0, 1, 3]), None, &|_| false),
            next
        );
        // Once 2 is gone it goes to epoch 3; 3 is still held by someone else.
        let owned = tps(&[0, 1]);
        let held = |p: &TopicPartition| *p == tp(3);
        let after = reconcile(&next, 3, &tps(&[0, 1, 3]), Some(&owned), &held);
        assert_eq!(after.state, MemberState::UnreleasedPartitions);
        assert_eq!(after.member_epoch, 3);
        assert_eq!(after.previous_member_epoch, 2);
        assert_eq!(after.assigned, tps(&[0, 1]));
        // Released: it gets 3 and is stable.
        let done = reconcile(&after, 3, &tps(&[0, 1, 3]), Some(&owned), &|_| false);
        assert_eq!(done.state, MemberState::Stable);
        assert_eq!(done.assigned, tps(&[0, 1, 3]));
    }

    #[test]
    fn a_member_that_already_dropped_the_partitions_moves_at_once() {
        let owned = tps(&[0]);
        let next = reconcile(&current(1, &[0, 1]), 2, &tps(&[0]), Some(&owned), &|_| {
            false
        });
        assert_eq!(next.state, MemberState::Stable);
        assert_eq!(next.member_epoch, 2);
        assert_eq!(next.assigned, tps(&[0]));
    }

    #[test]
    fn epoch_fencing_accepts_only_a_lost_response() {
        let m = ConsumerMember {
            member_id: "m".into(),
            metadata: MemberMetadata::default(),
            current: CurrentAssignment {
                member_epoch: 5,
                previous_member_epoch: 4,
                state: MemberState::Stable,
                assigned: tps(&[0, 1]),
                pending_revocation: Vec::new(),
            },
        };
        assert_eq!(check_epoch(&m, 5, None), Ok(()));
        assert_eq!(
            check_epoch(&m, 6, None),
            Err(KafkaError::FENCED_MEMBER_EPOCH)
        );
        assert_eq!(check_epoch(&m, 4, Some(&tps(&[0]))), Ok(()));
        assert_eq!(
            check_epoch(&m, 4, None),
            Err(KafkaError::FENCED_MEMBER_EPOCH)
        );
        assert_eq!(
            check_epoch(&m, 4, Some(&tps(&[2]))),
            Err(KafkaError::FENCED_MEMBER_EPOCH)
        );
        assert_eq!(
            check_epoch(&m, 3, Some(&[])),
            Err(KafkaError::FENCED_MEMBER_EPOCH)
        );
    }

    #[test]
    fn replaying_the_records_rebuilds_the_group() {
        let member = |id: &str, epoch: i32, assigned: &[i32]| ConsumerMember {
            member_id: id.into(),
            metadata: MemberMetadata {
                client_id: format!("client-{id}"),
                subscribed_topics: vec!["orders".into()],
                rebalance_timeout_ms: 300_000,
                ..MemberMetadata::default()
            },
            current: current(epoch, assigned),
        };
        let mut a = ConsumerGroup::new("g");
        a.epoch = 2;
        a.assignment_epoch = 2;
        a.members = vec![member("m1", 2, &[0, 1]), member("m2", 2, &[2, 3])];
        a.target.insert("m1".into(), tps(&[0, 1]));
        a.target.insert("m2".into(), tps(&[2, 3]));
        a.subscription_metadata.insert("orders".into(), 4);
        let mut b = a.clone();
        b.epoch = 3;
        b.assignment_epoch = 3;
        b.members.remove(0);
        b.members.push(member("m3", 3, &[]));
        b.target.remove("m1");
        b.target.insert("m3".into(), tps(&[0, 1]));
        let mut groups = SortedMap::new();
        let mut classic = SortedMap::new();
        for r in records_between(None, &a)
            .iter()
            .chain(&records_between(Some(&a), &b))
        {
            replay(&mut groups, &mut classic, r);
        }
        let rebuilt = &groups["g"];
        assert_eq!(rebuilt.epoch, b.epoch);
        assert_eq!(rebuilt.assignment_epoch, b.assignment_epoch);
        assert_eq!(rebuilt.members, b.members);
        assert_eq!(rebuilt.target, b.target);
        assert_eq!(rebuilt.subscription_metadata, b.subscription_metadata);
        assert!(records_between(Some(&b), &b).is_empty());
    }
}
