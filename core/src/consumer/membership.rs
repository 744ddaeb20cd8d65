//! The consumer's side of the KIP-848 `consumer` group protocol (`group.protocol=consumer`),
//! kafka-semantics.md §8.
//!
//! Follows apache/kafka's clients module: `consumer/internals/AbstractMembershipManager.java`
//! and `ConsumerMembershipManager.java` (member states, reconciliation, fencing, leaving) and
//! `ConsumerHeartbeatRequestManager.java` / `AbstractHeartbeatRequestManager.java` (when a
//! heartbeat goes out and what it carries).
//!
//! - No JoinGroup, SyncGroup or client-side assignor: after FindCoordinator the member sends a
//!   `ConsumerGroupHeartbeat` with epoch 0, its subscription and a member id it generated
//!   itself (KIP-1082), then heartbeats every `heartbeat_interval_ms` the coordinator returns.
//!   One heartbeat is in flight at a time.
//! - A heartbeat carries only what changed since the last one (`HeartbeatState`): the owned
//!   partitions go out after each reconciliation; everything goes out when joining or after
//!   an error.
//! - Reconciliation runs on the background thread, not in `poll()`: when the coordinator sends
//!   a new assignment, the member commits its positions first (with auto-commit, as
//!   `maybeAutoCommitSyncBeforeRevocation`), drops the partitions no longer in it, takes the
//!   new ones (their positions come from OffsetFetch), and acknowledges with a heartbeat sent
//!   at once. A partition is never taken before the coordinator hands it out, and the
//!   coordinator hands it out only after its old owner acknowledged dropping it.
//! - FENCED_MEMBER_EPOCH or UNKNOWN_MEMBER_ID: the partitions are lost (no commit) and the
//!   member joins again with epoch 0, keeping its member id.
//! - `max.poll.interval.ms` without a `poll()`: it leaves with epoch -1 (static: -2), loses its
//!   partitions, and joins again at its next `poll()`. `close()` commits, then leaves the same
//!   way; unlike the classic protocol, a static member also says it leaves (epoch -2).
//!
//! Not modelled: rebalance listener callbacks (none is registered, so reconciliation never
//! waits for the application), regex subscriptions, and topic-id resolution through metadata.

use serde::{Deserialize, Serialize};

use super::{Consumer, ConsumerStatus, Phase};
use crate::command::{NodeId, TopicPartition};
use crate::consumer::{ConsumerCtx, ConsumerTimer};
use crate::coordinator::group::consumer_group::{
    LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH,
};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse, Message};

/// `MemberState` of the Java client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberState {
    /// Not in the group (yet).
    #[default]
    Unjoined,
    /// Sent epoch 0, waiting for the answer.
    Joining,
    /// A member with nothing to do but heartbeat.
    Stable,
    /// Committing before it drops partitions.
    Reconciling,
    /// Must tell the coordinator what it owns now, in a heartbeat sent at once.
    Acknowledging,
    /// Left because `poll()` was not called in time; joins again at the next `poll()`.
    Stale,
    /// Stopped by an error it cannot recover from.
    Fatal,
}

/// What the last heartbeat sent (`HeartbeatState.SentFields`); `None` fields go out again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentFields {
    pub rebalance_timeout_ms: Option<i64>,
    pub topics: Option<Vec<String>>,
    pub server_assignor: Option<String>,
    pub owned: Option<Vec<TopicPartition>>,
}

/// The consumer-protocol membership of a consumer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub state: MemberState,
    /// The interval the coordinator set (0 until it answered).
    pub heartbeat_interval_ms: i64,
    /// When the heartbeat in flight was sent.
    pub in_flight: Option<i64>,
    pub sent: SentFields,
    /// The latest assignment from the coordinator.
    pub target: Option<Vec<TopicPartition>>,
    /// The assignment as last reconciled (`currentAssignment`): what heartbeats report as
    /// owned. It changes only once a reconciliation is complete.
    pub local: Vec<TopicPartition>,
    /// The commit that must finish before the coordinator is told the partitions are gone.
    pub revoking: Option<RevocationCommit>,
    /// Partitions dropped while that commit is on its way.
    pub revoked: Vec<TopicPartition>,
    /// Joins answered FENCED_MEMBER_EPOCH in a row (each waits longer before the next).
    pub fenced_joins: u32,
    /// Whether it has been in the group before (for the trace).
    pub joined_before: bool,
}

fn list(tps: &[TopicPartition]) -> String {
    let items: Vec<String> = tps.iter().map(|tp| tp.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// Where the commit before a revocation is (`Membership::revoking`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RevocationCommit {
    /// On its way, as this request.
    InFlight(i64),
    /// Lost with its coordinator: it is sent again to the next one.
    Lost,
}

/// A member id as the Java client makes one: `Uuid.randomUuid().toString()`.
fn member_uuid(ctx: &mut ConsumerCtx) -> String {
    crate::metadata::new_topic_id(ctx.rng)
}

impl Consumer {
    /// Whether this consumer runs the KIP-848 protocol in a group.
    pub fn consumer_protocol(&self) -> bool {
        self.config.group_protocol == "consumer" && self.group.is_some() && self.assign.is_empty()
    }

    fn heartbeat_interval(&self) -> i64 {
        if self.membership.heartbeat_interval_ms > 0 {
            self.membership.heartbeat_interval_ms
        } else {
            crate::config::default_value("group.consumer.heartbeat.interval.ms")
                .parse()
                .unwrap_or(5000)
        }
    }

    /// At start: the member id the consumer keeps for its lifetime (KIP-1082).
    pub(super) fn membership_start(&mut self, ctx: &mut ConsumerCtx) {
        if self.member_id.is_empty() {
            self.member_id = member_uuid(ctx);
        }
        self.generation = -1;
        self.membership = Membership::default();
        // The heartbeat thread also looks for the coordinator again while there is none.
        let interval = self.heartbeat_interval();
        self.set_timer(ctx, ConsumerTimer::Heartbeat, interval);
    }

    /// Joins (or joins again) with member epoch 0.
    pub(super) fn membership_join(&mut self, ctx: &mut ConsumerCtx) {
        self.rejoin_needed = false;
        if !self.owned.is_empty() {
            self.lose_partitions(ctx, "it is joining the group again");
        }
        let first = !self.membership.joined_before;
        self.membership.joined_before = true;
        self.start_joining();
        let topics = self.topics.join(", ");
        let group = self.group.clone().unwrap_or_default();
        self.event(
            ctx,
            EventKind::Group,
            None,
            if first {
                format!(
                    "joins group {group} with the consumer protocol (KIP-848): a ConsumerGroupHeartbeat with member epoch 0, the member id {} it generated itself, and its subscription [{topics}]. No JoinGroup, no SyncGroup, no leader: the coordinator computes the assignment",
                    self.member_id
                )
            } else {
                format!("joins group {group} again with member epoch 0 and its member id {}", self.member_id)
            },
        );
        self.send_group_heartbeat(ctx);
    }

    fn start_joining(&mut self) {
        self.phase = Phase::Joining;
        self.generation = 0;
        self.membership.state = MemberState::Joining;
        self.membership.sent = SentFields::default();
        self.membership.target = None;
        self.membership.revoking = None;
        self.membership.revoked.clear();
        self.membership.local.clear();
    }

    /// Builds and sends a heartbeat with what changed since the last one.
    fn send_group_heartbeat(&mut self, ctx: &mut ConsumerCtx) {
        let (Some(coordinator), Some(group)) = (self.coordinator, self.group.clone()) else {
            return;
        };
        if self.membership.in_flight.is_some() {
            return;
        }
        let full = self.membership.state == MemberState::Joining;
        let sent = &mut self.membership.sent;
        let timeout = self.config.max_poll_interval_ms;
        let rebalance_timeout_ms =
            (full || sent.rebalance_timeout_ms != Some(timeout)).then_some(timeout);
        let subscribed_topics =
            (full || sent.topics.as_ref() != Some(&self.topics)).then(|| self.topics.clone());
        let server_assignor = self
            .config
            .remote_assignor
            .clone()
            .filter(|a| full || sent.server_assignor.as_ref() != Some(a));
        let owned_now = self.membership.local.clone();
        let owned_partitions =
            (full || sent.owned.as_ref() != Some(&owned_now)).then(|| owned_now.clone());
        sent.rebalance_timeout_ms = Some(timeout);
        sent.topics = Some(self.topics.clone());
        if server_assignor.is_some() {
            sent.server_assignor = server_assignor.clone();
        }
        sent.owned = Some(owned_now);
        let request = ConsumerGroupHeartbeatRequest {
            group_id: group,
            member_id: self.member_id.clone(),
            member_epoch: self.generation.max(0),
            instance_id: self.config.group_instance_id.clone(),
            rack_id: self.config.rack.clone(),
            rebalance_timeout_ms,
            subscribed_topics,
            server_assignor,
            owned_partitions,
            client_id: self.name.clone(),
        };
        ctx.send(coordinator, Message::ConsumerGroupHeartbeat(request));
        self.membership.in_flight = Some(ctx.now);
        if self.membership.state == MemberState::Acknowledging {
            self.membership.state = MemberState::Stable;
        }
        let interval = self.heartbeat_interval();
        self.set_timer(ctx, ConsumerTimer::Heartbeat, interval);
    }

    /// Sends a leave heartbeat (epoch -1, or -2 for a static member) and forgets the answer.
    fn send_leave_heartbeat(&mut self, ctx: &mut ConsumerCtx) {
        let (Some(coordinator), Some(group)) = (self.coordinator, self.group.clone()) else {
            return;
        };
        let epoch = if self.config.group_instance_id.is_some() {
            LEAVE_GROUP_STATIC_MEMBER_EPOCH
        } else {
            LEAVE_GROUP_MEMBER_EPOCH
        };
        ctx.send(
            coordinator,
            Message::ConsumerGroupHeartbeat(ConsumerGroupHeartbeatRequest {
                group_id: group,
                member_id: self.member_id.clone(),
                member_epoch: epoch,
                instance_id: self.config.group_instance_id.clone(),
                rack_id: None,
                rebalance_timeout_ms: None,
                subscribed_topics: None,
                server_assignor: None,
                owned_partitions: None,
                client_id: self.name.clone(),
            }),
        );
        self.membership.in_flight = None;
        self.generation = epoch;
    }

    /// The heartbeat thread's tick.
    pub(super) fn membership_heartbeat_tick(&mut self, ctx: &mut ConsumerCtx) {
        let member = matches!(
            self.membership.state,
            MemberState::Joining
                | MemberState::Stable
                | MemberState::Reconciling
                | MemberState::Acknowledging
        );
        let starting =
            self.membership.state == MemberState::Unjoined && self.phase == Phase::FindCoordinator;
        if !member && !starting {
            return;
        }
        let interval = self.heartbeat_interval();
        self.set_timer(ctx, ConsumerTimer::Heartbeat, interval);
        if self.coordinator.is_none() {
            // Still no coordinator (its FindCoordinator may have been lost): ask again.
            self.find_coordinator(ctx);
            return;
        }
        if !member {
            // The coordinator is known: the join goes out at the next poll().
            return;
        }
        let busy = !self.in_poll;
        if busy
            && self.membership.state != MemberState::Joining
            && ctx.now - self.last_poll_ms > self.config.max_poll_interval_ms
        {
            return self.leave_on_poll_timeout(ctx);
        }
        if let Some(sent) = self.membership.in_flight {
            if ctx.now - sent > super::REQUEST_TIMEOUT_MS {
                self.coordinator_lost(
                    ctx,
                    "its ConsumerGroupHeartbeat got no answer within request.timeout.ms",
                );
            }
            return;
        }
        self.send_group_heartbeat(ctx);
    }

    /// `max.poll.interval.ms` passed without a `poll()`: leave, and join again at the next one.
    fn leave_on_poll_timeout(&mut self, ctx: &mut ConsumerCtx) {
        let static_member = self.config.group_instance_id.is_some();
        let owned = self.owned.clone();
        self.event(
            ctx,
            EventKind::Group,
            None,
            format!(
                "has not called poll() for {} ms, more than max.poll.interval.ms={}: it leaves the group with a heartbeat of member epoch {}{}, loses its partitions {} without committing, and will join again at its next poll()",
                ctx.now - self.last_poll_ms,
                self.config.max_poll_interval_ms,
                if static_member { -2 } else { -1 },
                if static_member {
                    " (as a static member the coordinator keeps its partitions for it until group.consumer.session.timeout.ms)"
                } else {
                    ""
                },
                list(&owned)
            ),
        );
        self.send_leave_heartbeat(ctx);
        let owned = self.owned.clone();
        self.revoke(&owned);
        self.membership.state = MemberState::Stale;
        self.membership.local.clear();
        self.membership.target = None;
        self.membership.revoking = None;
        self.membership.revoked.clear();
        self.rejoin_needed = true;
        self.timers.cancel(&ConsumerTimer::Heartbeat);
    }

    /// After FindCoordinator found the (new) coordinator: heartbeat at once.
    pub(super) fn membership_coordinator_found(&mut self, ctx: &mut ConsumerCtx) {
        if self.membership.revoking == Some(RevocationCommit::Lost) {
            // `maybeAutoCommitSyncBeforeRevocation` retries a retriable failure until the
            // rebalance timeout: the commit goes to the coordinator just found.
            let before = self.next_request_id;
            self.commit(ctx, None);
            if self.next_request_id == before {
                return self.finish_reconcile(ctx);
            }
            self.membership.revoking = Some(RevocationCommit::InFlight(before));
            self.event(
                ctx,
                EventKind::Group,
                None,
                "sends its commit before revocation again, to the coordinator it just found (the first was lost with the old one); the revocation waits for it".to_string(),
            );
        }
        if matches!(
            self.membership.state,
            MemberState::Joining
                | MemberState::Stable
                | MemberState::Reconciling
                | MemberState::Acknowledging
        ) {
            self.send_group_heartbeat(ctx);
        }
    }

    /// The coordinator is unknown: the heartbeat in flight is given up, and the next one
    /// carries every field again.
    pub(super) fn membership_coordinator_lost(&mut self) {
        self.membership.in_flight = None;
        self.membership.sent = SentFields::default();
        if self.membership.revoking.is_some() {
            // The commit before revocation will not be answered: it is sent again.
            self.membership.revoking = Some(RevocationCommit::Lost);
        }
    }

    pub fn handle_consumer_group_heartbeat_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        from: NodeId,
        response: ConsumerGroupHeartbeatResponse,
    ) {
        // The answer to a leave (epoch -1 or -2) is not waited for, and an answer from a
        // coordinator it has moved away from no longer matters.
        if !self.alive
            || !self.consumer_protocol()
            || response.member_epoch < 0
            || self.coordinator != Some(from)
        {
            return;
        }
        let Some(sent_at) = self.membership.in_flight.take() else {
            // The answer to a leave, or to a heartbeat given up.
            return;
        };
        if !matches!(
            self.membership.state,
            MemberState::Joining
                | MemberState::Stable
                | MemberState::Reconciling
                | MemberState::Acknowledging
        ) {
            return;
        }
        self.coordinator_heard_ms = ctx.now;
        if let Some(error) = response.error {
            return self.membership_error(ctx, error);
        }
        self.coordinator_failures = 0;
        self.member_id = response.member_id;
        self.generation = response.member_epoch;
        self.membership.heartbeat_interval_ms = response.heartbeat_interval_ms;
        let interval = self.heartbeat_interval();
        self.set_timer(
            ctx,
            ConsumerTimer::Heartbeat,
            (interval - (ctx.now - sent_at)).max(0),
        );
        if self.membership.state == MemberState::Joining {
            self.membership.state = MemberState::Stable;
            self.membership.fenced_joins = 0;
            self.phase = Phase::Stable;
            self.rejoin_needed = false;
            self.event(
                ctx,
                EventKind::Group,
                None,
                format!(
                    "is a member of group {} at member epoch {}; the coordinator wants a heartbeat every {interval} ms (group.consumer.heartbeat.interval.ms)",
                    self.group.clone().unwrap_or_default(),
                    self.generation
                ),
            );
        }
        if let Some(mut assignment) = response.assignment {
            crate::sort::sort(&mut assignment);
            self.membership.target = Some(assignment);
        }
        let reconciled = self
            .membership
            .target
            .as_ref()
            .is_none_or(|t| *t == self.membership.local);
        if !reconciled {
            self.reconcile(ctx);
        } else if self.membership.state == MemberState::Acknowledging {
            self.send_group_heartbeat(ctx);
        }
        self.poll_if_waiting(ctx);
    }

    fn membership_error(&mut self, ctx: &mut ConsumerCtx, error: KafkaError) {
        self.membership.sent = SentFields::default();
        match error {
            KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE => {
                self.coordinator_lost(
                    ctx,
                    &format!("its ConsumerGroupHeartbeat was answered {error}"),
                );
            }
            KafkaError::COORDINATOR_LOAD_IN_PROGRESS => {}
            KafkaError::FENCED_MEMBER_EPOCH | KafkaError::UNKNOWN_MEMBER_ID => {
                let joining = self.membership.state == MemberState::Joining;
                let owned = self.owned.clone();
                let why = format!("its heartbeat was answered {error}");
                self.event(
                    ctx,
                    EventKind::Group,
                    None,
                    format!(
                        "{why}: it is no longer a member at epoch {}, so it loses its partitions {} without committing and joins again with epoch 0",
                        self.generation,
                        list(&owned)
                    ),
                );
                let owned = self.owned.clone();
                self.revoke(&owned);
                self.start_joining();
                if joining {
                    // Fenced while joining: the coordinator still has the member at another
                    // epoch; wait (doubling) before trying again.
                    self.membership.fenced_joins += 1;
                    let wait = (super::RETRY_BACKOFF_MS << self.membership.fenced_joins.min(4))
                        .min(super::RETRY_BACKOFF_MAX_MS);
                    self.set_timer(ctx, ConsumerTimer::Heartbeat, wait);
                } else {
                    self.send_group_heartbeat(ctx);
                }
            }
            other => {
                let text = match other {
                    KafkaError::UNRELEASED_INSTANCE_ID => format!("UnreleasedInstanceIdException: group.instance.id {} is still used by a member of the group", self.config.group_instance_id.clone().unwrap_or_default()),
                    KafkaError::FENCED_INSTANCE_ID => format!("FencedInstanceIdException: another consumer took over group.instance.id {}", self.config.group_instance_id.clone().unwrap_or_default()),
                    KafkaError::UNSUPPORTED_ASSIGNOR => format!("UnsupportedAssignorException: the coordinator has no assignor {}", self.config.remote_assignor.clone().unwrap_or_default()),
                    KafkaError::GROUP_ID_NOT_FOUND => format!("GroupIdNotFoundException: group {} is not a consumer-protocol group", self.group.clone().unwrap_or_default()),
                    e => format!("its ConsumerGroupHeartbeat fails with {e}"),
                };
                self.event(
                    ctx,
                    EventKind::Group,
                    None,
                    format!("{text}; the consumer stops"),
                );
                self.membership.state = MemberState::Fatal;
                self.error = Some(text);
                self.fail(ctx);
            }
        }
    }

    /// Applies the coordinator's assignment: commit first if partitions go, then drop them,
    /// take the new ones, and acknowledge. Partitions go only between two batches: while the
    /// application works on records it got from `poll()`, the revocation waits for its next
    /// `poll()` (where Java runs `onPartitionsRevoked`).
    fn reconcile(&mut self, ctx: &mut ConsumerCtx) {
        if self.membership.revoking.is_some() {
            return;
        }
        let Some(target) = self.membership.target.clone() else {
            return;
        };
        let revoked: Vec<TopicPartition> = self
            .owned
            .iter()
            .filter(|tp| !target.contains(tp))
            .cloned()
            .collect();
        if !revoked.is_empty() {
            if self.processing.is_some() || self.sync_commit.is_some() {
                if self.membership.state != MemberState::Reconciling {
                    self.membership.state = MemberState::Reconciling;
                    self.event(
                        ctx,
                        EventKind::Group,
                        None,
                        format!(
                            "must give up {} (no longer in its assignment); the application is still working on records from its last poll(), so the revocation waits for its next poll()",
                            list(&revoked)
                        ),
                    );
                }
                return;
            }
            if self.config.enable_auto_commit {
                let before = self.next_request_id;
                self.commit(ctx, None);
                if self.next_request_id != before {
                    // The auto-commit timer starts over (`resetAutoCommitTimer`).
                    self.next_auto_commit_ms = ctx.now + self.config.auto_commit_interval_ms;
                    self.membership.revoking = Some(RevocationCommit::InFlight(before));
                    self.membership.state = MemberState::Reconciling;
                    self.event(
                        ctx,
                        EventKind::Group,
                        None,
                        format!(
                            "gives up {}: it stops reading them and commits its positions first (auto-commit before revocation); the coordinator hears they are gone once the commit is done",
                            list(&revoked)
                        ),
                    );
                    // Nothing more is read from them while the commit is on its way.
                    self.revoke(&revoked);
                    self.membership.revoked = revoked;
                    return;
                }
            }
        }
        self.finish_reconcile(ctx);
    }

    /// `poll()`: a revocation that waited for the application happens now.
    pub(super) fn membership_on_poll(&mut self, ctx: &mut ConsumerCtx) {
        if self.membership.state == MemberState::Reconciling && self.membership.revoking.is_none() {
            self.reconcile(ctx);
        }
    }

    /// The commit before revocation was answered (or was not needed).
    pub(super) fn finish_reconcile(&mut self, ctx: &mut ConsumerCtx) {
        self.membership.revoking = None;
        let mut revoked = std::mem::take(&mut self.membership.revoked);
        let Some(target) = self.membership.target.clone() else {
            return;
        };
        let (now_revoked, added, kept) = self.assignment_change(&target);
        revoked.extend(now_revoked);
        crate::sort::sort(&mut revoked);
        self.revoke(&revoked);
        self.owned.extend(added.iter().cloned());
        crate::sort::sort(&mut self.owned);
        self.membership.local = self.owned.clone();
        self.membership.state = MemberState::Acknowledging;
        let epoch = self.generation;
        let mut parts = Vec::new();
        if !revoked.is_empty() {
            parts.push(format!(
                "revokes {} (no longer in its assignment)",
                list(&revoked)
            ));
        }
        if !kept.is_empty() {
            parts.push(format!(
                "keeps {} and never stopped processing them",
                list(&kept)
            ));
        }
        if !added.is_empty() {
            parts.push(format!("gets {}", list(&added)));
        }
        if parts.is_empty() {
            parts.push("has no partition".to_string());
        }
        self.event(
            ctx,
            EventKind::Group,
            None,
            format!(
                "member epoch {epoch}: {}; it tells the coordinator what it owns now in a heartbeat sent at once",
                parts.join("; ")
            ),
        );
        self.send_group_heartbeat(ctx);
        self.poll_if_waiting(ctx);
    }

    /// `close()` after its commit: leave with epoch -1 (a static member with -2).
    pub(super) fn membership_close(&mut self) -> Option<String> {
        let member = matches!(
            self.membership.state,
            MemberState::Stable | MemberState::Reconciling | MemberState::Acknowledging
        );
        if !member {
            return None;
        }
        Some(if self.config.group_instance_id.is_some() {
            "is closed: it sends a heartbeat with member epoch -2, a static member leaving for now; the coordinator keeps its partitions for it until group.consumer.session.timeout.ms".to_string()
        } else {
            "is closed: it leaves its group with a heartbeat of member epoch -1, so the coordinator can hand its partitions out at once".to_string()
        })
    }

    pub(super) fn membership_leave_on_close(&mut self, ctx: &mut ConsumerCtx) {
        self.send_leave_heartbeat(ctx);
        self.membership.state = MemberState::Unjoined;
    }

    /// A few words for the view, when the membership says more than the phase.
    pub(super) fn membership_status(&self) -> Option<ConsumerStatus> {
        match self.membership.state {
            MemberState::Reconciling if self.membership.revoking.is_some() => {
                Some(ConsumerStatus::Revoking)
            }
            MemberState::Reconciling => Some(ConsumerStatus::ProcessingRevocationWaits),
            MemberState::Acknowledging => Some(ConsumerStatus::Acknowledging),
            MemberState::Stale => Some(ConsumerStatus::LeftPollTimeout),
            _ => None,
        }
    }
}
