//! The group coordinator's side of the KIP-848 `consumer` group protocol, next to the classic
//! one in `classic.rs` (kafka-semantics.md §8); the group's state is `consumer_group.rs`.
//!
//! Follows apache/kafka's `group-coordinator` module: `GroupMetadataManager.java`
//! (`consumerGroupHeartbeat`, `consumerGroupLeave`, `consumerGroupFenceMember`, the session and
//! rebalance timeouts), `modern/consumer/ConsumerGroup.java` (states, partition epochs,
//! `validateOffsetCommit`), `modern/consumer/ConsumerGroupMember.java`,
//! `modern/consumer/CurrentAssignmentBuilder.java` (per-member reconciliation) and
//! `modern/TargetAssignmentBuilder.java`.
//!
//! - One RPC, `ConsumerGroupHeartbeat`. Member epoch 0 joins, -1 leaves, -2 leaves for a while
//!   (a static member: it keeps its partitions until `group.consumer.session.timeout.ms` runs
//!   out or its instance joins again); any other epoch is a heartbeat.
//! - Each heartbeat (1) updates the member: a new member, a changed subscription, or a changed
//!   partition count of a subscribed topic bumps the **group epoch**; (2) if the group epoch is
//!   past the target assignment epoch, runs the server-side assignor (`uniform` or `range`)
//!   over every member to compute the **target assignment**; (3) moves this member one step
//!   towards its target (`CurrentAssignmentBuilder`): it keeps `current ∩ target`, must first
//!   revoke `current - target` (UNREVOKED_PARTITIONS: it stays at its epoch until a heartbeat
//!   no longer lists them), and gets `target - current` except partitions another member still
//!   owns (UNRELEASED_PARTITIONS); then it is at the target epoch.
//! - There is no barrier: members reconcile one by one, a partition is never owned by two
//!   members, and members whose partitions do not move keep processing throughout.
//! - Epoch fencing: a heartbeat with an epoch above the member's, or below it, is answered
//!   FENCED_MEMBER_EPOCH, except the previous epoch with owned partitions inside the current
//!   assignment (the member missed the response that bumped it).
//! - Timeouts are the coordinator's: a member with no heartbeat for
//!   `group.consumer.session.timeout.ms` is fenced, and so is a member that has not revoked
//!   its partitions within its rebalance timeout (`max.poll.interval.ms`).
//! - The group's state is written to `__consumer_offsets` as Kafka's record types (group
//!   epoch, subscription metadata, member metadata, target assignment per member and its
//!   epoch, current assignment per member); a heartbeat is answered once its records are
//!   committed, and a new coordinator rebuilds the group by replaying them.
//! - OffsetCommit from a member is checked against its member epoch (STALE_MEMBER_EPOCH,
//!   UNKNOWN_MEMBER_ID); commits with epoch -1 are accepted only while the group is empty.
//!
//! Not modelled: regular-expression subscriptions, rack-aware assignment, classic members in a
//! consumer group and the online migration between the two group types (an empty group of
//! either type is converted; a non-empty one refuses the other protocol), `group.max.size`,
//! and the periodic subscription-metadata refresh (the partition counts are compared on every
//! heartbeat instead).

use crate::sorted::SortedMap;

use crate::assignor::{server_assign, ClusterMetadata, ServerAssignor, ServerMember};
use crate::broker::timer::{BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::coordinator::Host;
use crate::coordinator_record::{
    CoordinatorRecord, CurrentAssignment, MemberMetadata, MemberState,
};
use crate::error::KafkaError;
use crate::event::{EventKind, Milestone};
use crate::java::{hash_map_iteration_order, string_hash_code};
use crate::protocol::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, Message};

use super::consumer_group::*;
use super::{GroupCoordinator, PendingWrite, WriteAction};

/// Why a group's epoch is bumped, for the trace.
enum Bump {
    Joined,
    Subscription(Vec<String>),
    Metadata(String),
}

impl GroupCoordinator {
    /// `group.consumer.assignors`: the server assignors members may ask for.
    pub(crate) fn consumer_assignors(&self, host: &dyn Host) -> Vec<ServerAssignor> {
        let names = host
            .image()
            .broker_configs
            .get("group.consumer.assignors")
            .cloned()
            .unwrap_or_else(|| {
                crate::config::default_value("group.consumer.assignors").to_string()
            });
        let list: Vec<ServerAssignor> = names
            .split(',')
            .filter_map(|n| ServerAssignor::from_name(n).ok())
            .collect();
        if list.is_empty() {
            vec![ServerAssignor::Uniform]
        } else {
            list
        }
    }

    pub(crate) fn consumer_session_timeout_ms(&self, host: &dyn Host) -> i64 {
        host.image()
            .broker_config_i64("group.consumer.session.timeout.ms")
            .max(1)
    }

    pub(crate) fn consumer_heartbeat_interval_ms(&self, host: &dyn Host) -> i64 {
        host.image()
            .broker_config_i64("group.consumer.heartbeat.interval.ms")
            .max(1)
    }

    /// Partition counts of `topics` as this broker's metadata has them (missing topics left out).
    pub(crate) fn partition_counts(
        &self,
        host: &dyn Host,
        topics: &[String],
    ) -> SortedMap<String, i32> {
        let mut counts = SortedMap::new();
        for tp in host.image().partitions.keys() {
            if topics.iter().any(|t| **t == *tp.topic) {
                let n = counts.entry(tp.topic.to_string()).or_insert(0);
                *n = (*n).max(tp.partition + 1);
            }
        }
        counts
    }

    /// `consumerGroupHeartbeat`: join, heartbeat, acknowledge, or leave.
    pub fn handle_consumer_group_heartbeat(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        req: ConsumerGroupHeartbeatRequest,
    ) {
        let me = host.id();
        let Some(p) = self.coordinates(host, &req.group_id) else {
            return ctx.send(from, error_response(&req, KafkaError::NOT_COORDINATOR));
        };
        if let Err(error) = self.validate_heartbeat(host, &req) {
            ctx.event(
                EventKind::Group,
                None,
                format!(
                    "Coordinator {me} refuses {}'s ConsumerGroupHeartbeat for group {}: {error}",
                    req.client_id, req.group_id
                ),
            );
            return ctx.send(from, error_response(&req, error));
        }
        if req.member_epoch == LEAVE_GROUP_MEMBER_EPOCH
            || req.member_epoch == LEAVE_GROUP_STATIC_MEMBER_EPOCH
        {
            return self.consumer_group_leave(host, ctx, from, p, req);
        }
        let joining = req.member_epoch == JOIN_GROUP_MEMBER_EPOCH;
        let group_id = req.group_id.clone();

        // The group: a consumer group, or a new one (taking over an empty classic group).
        let old: Option<ConsumerGroup> = self.consumer_groups.get(&group_id).cloned();
        let mut group = match old.clone() {
            Some(g) => g,
            None => {
                let classic = self.groups.get(&group_id);
                let empty_classic = classic.is_some_and(|g| g.members.is_empty());
                if !joining || (classic.is_some() && !empty_classic) {
                    let why = if classic.is_some() {
                        format!("group {group_id} is a classic group with members, not a consumer group (GROUP_ID_NOT_FOUND; the sandbox does not model the online migration between the two)")
                    } else {
                        format!("there is no consumer group {group_id} (GROUP_ID_NOT_FOUND)")
                    };
                    ctx.event(
                        EventKind::Group,
                        None,
                        format!(
                            "Coordinator {me} refuses {}'s ConsumerGroupHeartbeat: {why}",
                            req.client_id
                        ),
                    );
                    return ctx.send(from, error_response(&req, KafkaError::GROUP_ID_NOT_FOUND));
                }
                let mut group = ConsumerGroup::new(&group_id);
                if let Some(classic) = self.groups.remove(&group_id) {
                    group.offsets = classic.offsets;
                    ctx.event(
                        EventKind::Group,
                        None,
                        format!("Coordinator {me} converts the empty classic group {group_id} into a consumer group; its committed offsets stay"),
                    );
                }
                group
            }
        };

        // The member.
        let owned = req.owned_partitions.as_deref();
        let mut replaced: Option<String> = None;
        let existing = match &req.instance_id {
            None => group.member(&req.member_id).cloned(),
            Some(instance) => match group.static_member(instance).cloned() {
                None => None,
                Some(m) if joining => {
                    if m.current.member_epoch != LEAVE_GROUP_STATIC_MEMBER_EPOCH {
                        ctx.event(
                            EventKind::Group,
                            None,
                            format!("Coordinator {me} refuses {}: group.instance.id {instance} is still held by member {} of group {group_id}, which has not left (UNRELEASED_INSTANCE_ID)", req.client_id, m.member_id),
                        );
                        return ctx.send(
                            from,
                            error_response(&req, KafkaError::UNRELEASED_INSTANCE_ID),
                        );
                    }
                    replaced = Some(m.member_id.clone());
                    Some(m)
                }
                Some(m) => {
                    if m.member_id != req.member_id {
                        return ctx
                            .send(from, error_response(&req, KafkaError::FENCED_INSTANCE_ID));
                    }
                    Some(m)
                }
            },
        };
        let mut member = match existing {
            Some(m) if replaced.is_some() => {
                // The static member comes back as a new member id: it takes over the old
                // member, its assignment and its target, at epoch 0.
                let old_id = m.member_id.clone();
                group.members.retain(|x| x.member_id != old_id);
                if let Some(t) = group.target.remove(&old_id) {
                    group.target.insert(req.member_id.clone(), t);
                }
                host.cancel_timer(&BrokerTimer::ConsumerGroupSession {
                    group: group_id.clone(),
                    member: old_id.clone(),
                });
                ConsumerMember {
                    member_id: req.member_id.clone(),
                    metadata: m.metadata.clone(),
                    current: CurrentAssignment {
                        member_epoch: 0,
                        previous_member_epoch: 0,
                        ..m.current.clone()
                    },
                }
            }
            Some(m) => {
                if let Err(error) = check_epoch(&m, req.member_epoch, owned) {
                    ctx.event(
                        EventKind::Group,
                        None,
                        format!(
                            "Coordinator {me} answers {}'s heartbeat with {error}: it sent member epoch {} but the member is at epoch {}{}; it must give up its partitions and join again",
                            m.metadata.client_id,
                            req.member_epoch,
                            m.current.member_epoch,
                            if req.member_epoch < m.current.member_epoch && req.member_epoch == m.current.previous_member_epoch {
                                " (its previous epoch is accepted only if the partitions it reports are all still assigned to it)"
                            } else {
                                ""
                            }
                        ),
                    );
                    return ctx.send(from, error_response(&req, error));
                }
                m
            }
            None if joining => ConsumerMember {
                member_id: req.member_id.clone(),
                metadata: MemberMetadata::default(),
                current: CurrentAssignment::default(),
            },
            None => {
                ctx.event(
                    EventKind::Group,
                    None,
                    format!(
                        "Coordinator {me} answers {}'s heartbeat with UNKNOWN_MEMBER_ID: member {} is not in group {group_id} (it was removed)",
                        req.client_id, req.member_id
                    ),
                );
                return ctx.send(from, error_response(&req, KafkaError::UNKNOWN_MEMBER_ID));
            }
        };
        let is_new = group.member(&member.member_id).is_none() && replaced.is_none();
        let before = member.clone();

        // 1. Update the member; a new member or a new subscription bumps the group epoch.
        let meta = &mut member.metadata;
        if req.instance_id.is_some() {
            meta.instance_id = req.instance_id.clone();
        }
        if req.rack_id.is_some() {
            meta.rack = req.rack_id.clone();
        }
        if let Some(t) = req.rebalance_timeout_ms {
            meta.rebalance_timeout_ms = t;
        }
        if let Some(topics) = &req.subscribed_topics {
            meta.subscribed_topics = topics.clone();
        }
        if req.server_assignor.is_some() {
            meta.server_assignor = req.server_assignor.clone();
        }
        meta.client_id = req.client_id.clone();
        meta.node = from;
        let mut bump = if is_new {
            Some(Bump::Joined)
        } else if member.metadata.subscribed_topics != before.metadata.subscribed_topics {
            Some(Bump::Subscription(
                member.metadata.subscribed_topics.clone(),
            ))
        } else {
            None
        };
        match group
            .members
            .iter_mut()
            .find(|m| m.member_id == member.member_id)
        {
            Some(slot) => *slot = member.clone(),
            None => group.members.push(member.clone()),
        }
        let metadata = self.partition_counts(host, &group.subscribed_topics());
        if metadata != group.subscription_metadata {
            if bump.is_none() {
                let changed: Vec<String> = metadata
                    .iter()
                    .filter(|(t, n)| group.subscription_metadata.get(*t) != Some(n))
                    .map(|(t, n)| match group.subscription_metadata.get(t) {
                        Some(old) => format!("{t} now has {n} partitions instead of {old}"),
                        None => format!("{t} now exists with {n} partition(s)"),
                    })
                    .collect();
                bump = Some(Bump::Metadata(if changed.is_empty() {
                    "a subscribed topic was deleted".to_string()
                } else {
                    changed.join(", ")
                }));
            }
            group.subscription_metadata = metadata;
        }
        let who = member.metadata.client_id.clone();
        if let Some(bump) = &bump {
            group.epoch += 1;
            group.rebalances += 1;
            let why = match bump {
                Bump::Joined => format!("{who} joined"),
                Bump::Subscription(topics) => {
                    format!("{who} now subscribes to [{}]", topics.join(", "))
                }
                Bump::Metadata(text) => text.clone(),
            };
            if is_new {
                ctx.event(
                    EventKind::Group,
                    None,
                    format!(
                        "Coordinator {me} adds {who} (member {}) to consumer group {group_id}",
                        member.member_id
                    ),
                );
            }
            self.compute_target(host, ctx, &mut group, &why);
        } else if let Some(old_id) = &replaced {
            let instance = member.metadata.instance_id.clone().unwrap_or_default();
            let back = if *old_id == member.member_id {
                format!("static member {who} (group.instance.id {instance}) is back before its session ran out")
            } else {
                format!("static member {who} (group.instance.id {instance}) is back as member {} before its session ran out, replacing member {old_id}", member.member_id)
            };
            ctx.event(
                EventKind::Group,
                None,
                format!(
                    "Coordinator {me}: {back}: it gets its partitions {} back, and group {group_id}'s epoch stays {}",
                    list(&member.current.assigned),
                    group.epoch
                ),
            );
        }

        // 2. A target for the new group epoch.
        if group.epoch > group.assignment_epoch {
            self.compute_target(host, ctx, &mut group, "");
        }

        // 3. Reconcile the member towards its target.
        let target = group
            .target
            .get(&member.member_id)
            .cloned()
            .unwrap_or_default();
        let current = member.current.clone();
        let next = if current.state == MemberState::Stable
            && current.member_epoch == group.assignment_epoch
        {
            current.clone()
        } else {
            let snapshot = group.clone();
            let member_id = member.member_id.clone();
            let held = |tp: &TopicPartition| snapshot.owner_of(tp, &member_id).is_some();
            reconcile(&current, group.assignment_epoch, &target, owned, &held)
        };
        if next != current {
            self.narrate_reconciliation(ctx, &group, &member, &current, &next, &target);
            if next.state == MemberState::UnrevokedPartitions {
                host.set_timer(
                    ctx,
                    BrokerTimer::ConsumerGroupRebalance {
                        group: group_id.clone(),
                        member: member.member_id.clone(),
                    },
                    member.metadata.rebalance_timeout_ms,
                );
            } else {
                self.cancel_rebalance_timer(host, &group_id, &member.member_id);
            }
            if let Some(m) = group.member_mut(&member.member_id) {
                m.current = next.clone();
            }
        }
        host.set_timer(
            ctx,
            BrokerTimer::ConsumerGroupSession {
                group: group_id.clone(),
                member: member.member_id.clone(),
            },
            self.consumer_session_timeout_ms(host),
        );

        let full = joining
            || (req.rebalance_timeout_ms.is_some()
                && req.subscribed_topics.is_some()
                && req.owned_partitions.is_some());
        let response = ConsumerGroupHeartbeatResponse {
            group_id: group_id.clone(),
            error: None,
            member_id: member.member_id.clone(),
            member_epoch: next.member_epoch,
            heartbeat_interval_ms: self.consumer_heartbeat_interval_ms(host),
            assignment: (full || next.assigned != before.current.assigned || replaced.is_some())
                .then(|| next.assigned.clone()),
        };
        self.consumer_groups.insert(group_id.clone(), group);
        self.write_consumer_group(
            host,
            ctx,
            p,
            old.as_ref(),
            &group_id,
            Some((from, Message::ConsumerGroupHeartbeatResponse(response))),
        );
    }

    /// `throwIfConsumerGroupHeartbeatRequestIsInvalid`.
    pub(crate) fn validate_heartbeat(
        &self,
        host: &dyn Host,
        req: &ConsumerGroupHeartbeatRequest,
    ) -> Result<(), KafkaError> {
        let epoch = req.member_epoch;
        if req.group_id.is_empty() || req.member_id.is_empty() {
            return Err(KafkaError::INVALID_REQUEST);
        }
        if req.instance_id.as_deref() == Some("") {
            return Err(KafkaError::INVALID_REQUEST);
        }
        if epoch == JOIN_GROUP_MEMBER_EPOCH {
            if req.rebalance_timeout_ms.is_none()
                || req.owned_partitions.as_ref().is_none_or(|o| !o.is_empty())
                || req.subscribed_topics.as_ref().is_none_or(|t| t.is_empty())
            {
                return Err(KafkaError::INVALID_REQUEST);
            }
        } else if epoch == LEAVE_GROUP_STATIC_MEMBER_EPOCH {
            if req.instance_id.is_none() {
                return Err(KafkaError::INVALID_REQUEST);
            }
        } else if epoch < LEAVE_GROUP_MEMBER_EPOCH {
            return Err(KafkaError::INVALID_REQUEST);
        }
        if let Some(name) = &req.server_assignor {
            let known = ServerAssignor::from_name(name)
                .is_ok_and(|a| self.consumer_assignors(host).contains(&a));
            if !known {
                return Err(KafkaError::UNSUPPORTED_ASSIGNOR);
            }
        }
        Ok(())
    }

    /// `updateTargetAssignment`: runs the group's assignor over every member.
    pub(crate) fn compute_target(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group: &mut ConsumerGroup,
        why: &str,
    ) {
        let default = self
            .consumer_assignors(host)
            .first()
            .copied()
            .unwrap_or(ServerAssignor::Uniform);
        let assignor = group.preferred_assignor(default);
        let mut metadata = ClusterMetadata::default();
        for (topic, n) in &group.subscription_metadata {
            let mut t = crate::assignor::TopicMetadata {
                partitions: *n,
                ..Default::default()
            };
            t.topic_id = host.image().topic_ids.get(topic).cloned();
            metadata.topics.insert(topic.clone(), t);
        }
        // `GroupSpec.memberIds()`: a HashMap of the member ids.
        let codes: Vec<i32> = group
            .members
            .iter()
            .map(|m| string_hash_code(&m.member_id))
            .collect();
        let members: Vec<ServerMember> = hash_map_iteration_order(&codes)
            .into_iter()
            .map(|i| {
                let m = &group.members[i];
                ServerMember {
                    member_id: m.member_id.clone(),
                    instance_id: m.metadata.instance_id.clone(),
                    topics: m.metadata.subscribed_topics.clone(),
                    assignment: group.target.get(&m.member_id).cloned().unwrap_or_default(),
                }
            })
            .collect();
        let me = host.id();
        let epoch = group.epoch;
        let group_id = group.group_id.clone();
        match server_assign(assignor, &metadata, &members) {
            Ok(result) => {
                group.target = result
                    .into_iter()
                    .map(|(m, tps)| (m, sorted(tps)))
                    .collect();
                group.assignment_epoch = epoch;
                let lines: Vec<String> = group
                    .members
                    .iter()
                    .map(|m| {
                        format!(
                            "{} ← {}",
                            m.metadata.client_id,
                            list(group.target.get(&m.member_id).map_or(&[][..], |v| v))
                        )
                    })
                    .collect();
                let lines = if lines.is_empty() {
                    "no members".to_string()
                } else {
                    lines.join("; ")
                };
                if why.is_empty() {
                    ctx.event(
                        EventKind::Group,
                        None,
                        format!("Coordinator {me} computes group {group_id}'s target assignment for epoch {epoch} with the {assignor} assignor: {lines}"),
                    );
                } else {
                    ctx.milestone(
                        Milestone::RebalanceStarted,
                        EventKind::Group,
                        None,
                        format!("Coordinator {me} bumps group {group_id}'s epoch to {epoch} ({why}) and computes the target assignment with the {assignor} assignor: {lines}"),
                    );
                }
            }
            Err(e) => {
                ctx.event(
                    EventKind::Group,
                    None,
                    format!("Coordinator {me} cannot compute group {group_id}'s target assignment for epoch {epoch}: {e}; members keep their current partitions"),
                );
            }
        }
    }

    pub(crate) fn narrate_reconciliation(
        &self,
        ctx: &mut BrokerCtx,
        group: &ConsumerGroup,
        member: &ConsumerMember,
        old: &CurrentAssignment,
        new: &CurrentAssignment,
        target: &[TopicPartition],
    ) {
        let me = ctx.node;
        let who = &member.metadata.client_id;
        let group_id = &group.group_id;
        if old.state == new.state
            && old.member_epoch == new.member_epoch
            && old.assigned == new.assigned
            && old.pending_revocation == new.pending_revocation
        {
            return;
        }
        let text = match new.state {
            MemberState::UnrevokedPartitions => {
                if old.state == MemberState::UnrevokedPartitions
                    && old.pending_revocation == new.pending_revocation
                {
                    return;
                }
                format!(
                    "{who} must first revoke {} (no longer in its target); it keeps {} and stays at epoch {} until a heartbeat no longer lists them (deadline: its rebalance timeout, max.poll.interval.ms={})",
                    list(&new.pending_revocation),
                    list(&new.assigned),
                    new.member_epoch,
                    member.metadata.rebalance_timeout_ms
                )
            }
            MemberState::Stable | MemberState::UnreleasedPartitions => {
                let mut parts = Vec::new();
                if old.state == MemberState::UnrevokedPartitions {
                    parts.push(format!(
                        "{who}'s heartbeat no longer lists {}: the revocation is done",
                        list(&old.pending_revocation)
                    ));
                }
                let added = minus(&new.assigned, &old.assigned);
                let kept = minus(&new.assigned, &added);
                let epoch = if new.member_epoch != old.member_epoch {
                    format!("moves to epoch {}", new.member_epoch)
                } else {
                    format!("stays at epoch {}", new.member_epoch)
                };
                let subject = if parts.is_empty() {
                    who.clone()
                } else {
                    "it".to_string()
                };
                parts.push(if new.assigned.is_empty() {
                    format!("{subject} {epoch} with no partition yet")
                } else if added.is_empty() {
                    format!("{subject} {epoch} with {}", list(&new.assigned))
                } else if kept.is_empty() {
                    format!("{subject} {epoch} and gets {}", list(&added))
                } else {
                    format!(
                        "{subject} {epoch}, keeps {} and gets {}",
                        list(&kept),
                        list(&added)
                    )
                });
                if new.state == MemberState::UnreleasedPartitions {
                    // The partitions of its target that others still own, by owner.
                    let mut by_owner: Vec<(String, Vec<TopicPartition>)> = Vec::new();
                    for tp in minus(target, &new.assigned) {
                        let owner = group
                            .owner_of(&tp, &member.member_id)
                            .map_or("another member".to_string(), |m| {
                                m.metadata.client_id.clone()
                            });
                        match by_owner.iter_mut().find(|(o, _)| *o == owner) {
                            Some((_, tps)) => tps.push(tp),
                            None => by_owner.push((owner, vec![tp])),
                        }
                    }
                    let held: Vec<String> = by_owner
                        .iter()
                        .map(|(owner, tps)| format!("{} (still owned by {owner})", list(tps)))
                        .collect();
                    parts.push(format!(
                        "its target's {} come at a later heartbeat, once released",
                        held.join(" and ")
                    ));
                } else if !added.is_empty() || old.state != MemberState::Stable {
                    parts.push("that is its whole target".to_string());
                }
                parts.join("; ")
            }
        };
        ctx.event(
            EventKind::Group,
            None,
            format!("Coordinator {me} (group {group_id}): {text}"),
        );
    }

    pub(crate) fn cancel_rebalance_timer(
        &mut self,
        host: &mut dyn Host,
        group_id: &str,
        member_id: &str,
    ) {
        host.cancel_timer(&BrokerTimer::ConsumerGroupRebalance {
            group: group_id.to_string(),
            member: member_id.to_string(),
        });
    }

    /// `consumerGroupLeave`: epoch -1 removes the member; -2 keeps a static member (and its
    /// partitions) until its session runs out or its instance joins again.
    pub(crate) fn consumer_group_leave(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        p: i32,
        req: ConsumerGroupHeartbeatRequest,
    ) {
        let me = host.id();
        let group_id = req.group_id.clone();
        let Some(old) = self.consumer_groups.get(&group_id).cloned() else {
            return ctx.send(from, error_response(&req, KafkaError::GROUP_ID_NOT_FOUND));
        };
        let member = match &req.instance_id {
            None => old.member(&req.member_id).cloned(),
            Some(instance) => match old.static_member(instance) {
                Some(m) if m.member_id != req.member_id => {
                    return ctx.send(from, error_response(&req, KafkaError::FENCED_INSTANCE_ID))
                }
                m => m.cloned(),
            },
        };
        let Some(member) = member else {
            return ctx.send(from, error_response(&req, KafkaError::UNKNOWN_MEMBER_ID));
        };
        let response = Message::ConsumerGroupHeartbeatResponse(ConsumerGroupHeartbeatResponse {
            group_id: group_id.clone(),
            error: None,
            member_id: member.member_id.clone(),
            member_epoch: req.member_epoch,
            heartbeat_interval_ms: 0,
            assignment: None,
        });
        if req.member_epoch == LEAVE_GROUP_STATIC_MEMBER_EPOCH {
            let mut group = old.clone();
            if let Some(m) = group.member_mut(&member.member_id) {
                m.current.member_epoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
                m.current.pending_revocation.clear();
            }
            ctx.event(
                EventKind::Group,
                None,
                format!(
                    "Coordinator {me}: static member {} (group.instance.id {}) leaves group {group_id} for now (member epoch -2): it stays a member with its partitions {}, nobody else gets them, and the group epoch stays {}, until it comes back or group.consumer.session.timeout.ms={} passes without it",
                    member.metadata.client_id,
                    member.metadata.instance_id.clone().unwrap_or_default(),
                    list(&member.current.assigned),
                    group.epoch,
                    self.consumer_session_timeout_ms(host, )
                ),
            );
            self.consumer_groups.insert(group_id.clone(), group);
            self.write_consumer_group(host, ctx, p, Some(&old), &group_id, Some((from, response)));
            return;
        }
        self.fence_consumer_member(
            host,
            ctx,
            &group_id,
            &member.member_id,
            "it left (a heartbeat with member epoch -1)",
            Some((from, response)),
        );
    }

    /// `consumerGroupFenceMember`: removes the member and bumps the group epoch; the others
    /// get its partitions once a heartbeat recomputes the target.
    pub(crate) fn fence_consumer_member(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member_id: &str,
        why: &str,
        reply: Option<(NodeId, Message)>,
    ) {
        let me = host.id();
        let Some(p) = self.coordinates(host, group_id) else {
            return;
        };
        let Some(old) = self.consumer_groups.get(group_id).cloned() else {
            return;
        };
        let Some(member) = old.member(member_id).cloned() else {
            return;
        };
        let mut group = old.clone();
        group.members.retain(|m| m.member_id != member_id);
        group.target.remove(member_id);
        group.subscription_metadata = self.partition_counts(host, &group.subscribed_topics());
        group.epoch += 1;
        group.rebalances += 1;
        host.cancel_timer(&BrokerTimer::ConsumerGroupSession {
            group: group_id.to_string(),
            member: member_id.to_string(),
        });
        self.cancel_rebalance_timer(host, group_id, member_id);
        let owned: Vec<TopicPartition> = sorted(
            member
                .current
                .assigned
                .iter()
                .chain(&member.current.pending_revocation)
                .cloned()
                .collect(),
        );
        ctx.event(
            EventKind::Group,
            None,
            format!(
                "Coordinator {me} removes {} (member {member_id}) from group {group_id}: {why}. {} The group epoch goes to {}; the next heartbeat of a member computes a new target assignment",
                member.metadata.client_id,
                if owned.is_empty() {
                    "It owned no partition.".to_string()
                } else {
                    format!("Its partitions {} are free for other members at once.", list(&owned))
                },
                group.epoch
            ),
        );
        self.consumer_groups.insert(group_id.to_string(), group);
        self.write_consumer_group(host, ctx, p, Some(&old), group_id, reply);
    }

    /// The session timer of a consumer-group member ran out.
    pub(crate) fn on_consumer_group_session_timer(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member_id: &str,
    ) {
        let timeout = self.consumer_session_timeout_ms(host);
        self.fence_consumer_member(
            host,
            ctx,
            group_id,
            member_id,
            &format!("no heartbeat arrived within group.consumer.session.timeout.ms={timeout}"),
            None,
        );
    }

    /// A member did not revoke its partitions within its rebalance timeout. The timer is set
    /// when the member starts revoking and cancelled when it is done, so a member still
    /// revoking when it fires is the one it was set for.
    pub(crate) fn on_consumer_group_rebalance_timer(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member_id: &str,
    ) {
        let Some(m) = self
            .consumer_group(group_id)
            .and_then(|g| g.member(member_id))
            .cloned()
        else {
            return;
        };
        if m.current.state != MemberState::UnrevokedPartitions || m.current.member_epoch < 0 {
            return;
        }
        self.fence_consumer_member(
            host,
            ctx,
            group_id,
            member_id,
            &format!(
                "it did not revoke {} within its rebalance timeout (max.poll.interval.ms={})",
                list(&m.current.pending_revocation),
                m.metadata.rebalance_timeout_ms
            ),
            None,
        );
    }

    /// Writes the records that turn `old` into the group as it is now, and sends `reply` once
    /// they are committed (or at once when there is nothing to write and nothing waiting).
    pub(crate) fn write_consumer_group(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        p: i32,
        old: Option<&ConsumerGroup>,
        group_id: &str,
        reply: Option<(NodeId, Message)>,
    ) {
        let Some(group) = self.consumer_groups.get(group_id) else {
            return;
        };
        let records: Vec<CoordinatorRecord> = records_between(old, group)
            .into_iter()
            .map(CoordinatorRecord::Consumer)
            .collect();
        if records.is_empty() {
            let Some((node, message)) = reply else {
                return;
            };
            // A read waits for the writes before it (`CoordinatorRuntime`'s deferred queue).
            let waiting = self
                .pending_writes
                .iter()
                .filter(|w| w.partition == p)
                .map(|w| w.required_hw)
                .max();
            match waiting {
                Some(required_hw) => self.pending_writes.push(PendingWrite {
                    partition: p,
                    required_hw,
                    action: WriteAction::Reply {
                        node,
                        message: Box::new(message),
                    },
                    deadline_ms: ctx.now + crate::coordinator::group::OFFSETS_COMMIT_TIMEOUT_MS,
                }),
                None => ctx.send(node, message),
            }
            return;
        }
        let (action, fallback) = match reply {
            Some((node, message)) => {
                let fallback = not_coordinator(&message).map(|m| (node, m));
                (
                    WriteAction::Reply {
                        node,
                        message: Box::new(message),
                    },
                    fallback,
                )
            }
            None => (WriteAction::None, None),
        };
        if !self.write_coordinator_records(host, ctx, p, records, action) {
            if let Some((node, message)) = fallback {
                ctx.send(node, message);
            }
        }
    }

    /// Sets the session timers of the members of groups just loaded (`onLoaded`), and the
    /// rebalance timers of members still revoking.
    pub(crate) fn install_consumer_groups(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        groups: SortedMap<String, ConsumerGroup>,
    ) {
        let session = self.consumer_session_timeout_ms(host);
        for (id, group) in groups {
            for m in &group.members {
                host.set_timer(
                    ctx,
                    BrokerTimer::ConsumerGroupSession {
                        group: id.clone(),
                        member: m.member_id.clone(),
                    },
                    session,
                );
                if m.current.state == MemberState::UnrevokedPartitions {
                    host.set_timer(
                        ctx,
                        BrokerTimer::ConsumerGroupRebalance {
                            group: id.clone(),
                            member: m.member_id.clone(),
                        },
                        m.metadata.rebalance_timeout_ms,
                    );
                }
            }
            self.consumer_groups.insert(id, group);
        }
    }
}
