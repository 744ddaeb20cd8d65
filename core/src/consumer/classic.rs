//! The classic group protocol on the client (Kafka's `ConsumerCoordinator` and
//! `AbstractCoordinator`): JoinGroup (with MEMBER_ID_REQUIRED on the first try), the leader
//! running the group's assignor and sending it with SyncGroup, eager and cooperative
//! revocation, the heartbeat thread and its REBALANCE_IN_PROGRESS, leaving the group when the
//! application stops polling for `max.poll.interval.ms`.

use super::{list, AfterCommit, Consumer, ConsumerCtx, ConsumerTimer, Phase, REQUEST_TIMEOUT_MS};
use crate::assignor::Subscription;
use crate::assignor::{self, Assignor, MemberSubscription, RebalanceProtocol};
use crate::command::TopicPartition;
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::JoinGroupRequest;
use crate::protocol::JoinGroupResponse;
use crate::protocol::Message;
use crate::protocol::SyncGroupRequest;

impl Consumer {
    /// `onJoinPrepare`, then JoinGroup.
    pub(crate) fn start_join(&mut self, ctx: &mut ConsumerCtx) {
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

    pub(crate) fn send_join(&mut self, ctx: &mut ConsumerCtx) {
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
    pub(crate) fn lose_partitions(&mut self, ctx: &mut ConsumerCtx, why: &str) {
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
                self.send_leave_group(ctx, coordinator, "consumer poll timeout has expired");
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
}
