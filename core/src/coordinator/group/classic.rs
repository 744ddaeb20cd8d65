//! The classic consumer group protocol on the group coordinator: JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup, member sessions and rebalances.
//!
//! Follows `GroupMetadataManager` (the `classicGroup*` methods) and `classic/ClassicGroup.java`
//! in apache/kafka's `group-coordinator` module (kafka-semantics.md §7 and §11):
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
//! - Offsets: see `offsets.rs`.

use crate::assignor::Subscription;
use crate::broker::timer::{BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::coordinator::Host;
use crate::coordinator_record::Member;
use crate::error::KafkaError;
use crate::event::{EventKind, Milestone};
use crate::protocol::JoinGroupRequest;
use crate::protocol::JoinGroupResponse;
use crate::protocol::{JoinedMember, LeaveGroupRequest, Message, SyncGroupRequest};

use super::classic_group::{join_error, ClassicGroup, GroupState};
use super::{list, uuid, GroupCoordinator, WriteAction, OFFSETS_TOPIC};

/// A static member (`group.instance.id`) that joins again without its member id: it takes over
/// its old member under a new id (KIP-345).
pub(crate) struct StaticRejoin<'a> {
    pub group_id: &'a str,
    pub old_id: &'a str,
    pub new_id: String,
    /// `(session.timeout.ms, rebalance timeout)` from the JoinGroup.
    pub timeouts: (i64, i64),
    pub protocols: Vec<(String, Subscription)>,
}

impl GroupCoordinator {
    // ------------------------------------------------------------------ JoinGroup

    pub fn handle_join_group(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: JoinGroupRequest,
    ) {
        let JoinGroupRequest {
            group_id,
            member_id,
            group_instance_id,
            client_id,
            session_timeout_ms,
            rebalance_timeout_ms,
            protocols,
        } = request;
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
                            StaticRejoin {
                                group_id: &group_id,
                                old_id: &old_id,
                                new_id,
                                timeouts: (session_timeout_ms, rebalance_timeout_ms),
                                protocols,
                            },
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

    pub(crate) fn replace_static_member(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        rejoin: StaticRejoin,
    ) {
        let StaticRejoin {
            group_id,
            old_id,
            new_id,
            timeouts: (session_timeout_ms, rebalance_timeout_ms),
            protocols,
        } = rejoin;
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

    pub(crate) fn add_member_and_rebalance(
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
    pub(crate) fn reset_session(
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
    pub(crate) fn prepare_rebalance(
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
        let no_members = group.members.is_empty();
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
            } else if no_members {
                format!("Group {group_id} goes {} → PreparingRebalance ({why}): no member is left to join again", previous.name())
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
    pub(crate) fn try_complete_join(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
    ) {
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
    pub(crate) fn complete_join(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
    ) {
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

    pub(crate) fn join_response(
        &self,
        group_id: &str,
        member_id: &str,
        skip_assignment: bool,
    ) -> Message {
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
        Message::JoinGroupResponse(JoinGroupResponse {
            group_id: group_id.to_string(),
            error: None,
            generation: group.generation,
            protocol_name: group.protocol.clone(),
            leader,
            member_id: member_id.to_string(),
            members,
            skip_assignment,
        })
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

    pub(crate) fn complete_sync(
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

    pub(crate) fn remove_member(
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
}
