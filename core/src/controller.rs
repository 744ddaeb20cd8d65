//! A KRaft controller: a voter in the `__cluster_metadata` Raft quorum and, while it leads, the
//! active controller that turns requests into metadata records.
//!
//! Follows `QuorumController.java`, `ClusterControlManager.java`, `BrokerHeartbeatManager.java`,
//! `ReplicationControlManager.java` and `PartitionChangeBuilder.java` in apache/kafka:
//! - brokers register (`RegisterBrokerRecord`, the record's offset is the broker epoch) and start
//!   fenced; a heartbeat from a broker whose metadata has caught up to its registration unfences
//!   it (`BrokerRegistrationChangeRecord`);
//! - a broker silent for `broker.session.timeout.ms` is fenced, one broker per check
//!   (`maybeFenceOneStaleBroker`): it leaves every ISR and loses its leaderships;
//! - elections pick the first replica in assignment order that is in the ISR and active
//!   (`PartitionChangeBuilder`, election type ONLINE); with `unclean.leader.election.enable`
//!   the first active replica, ISR reset to it, leader RECOVERING;
//! - `AlterPartition` is validated (epochs, leader, eligibility) and committed as a
//!   `PartitionChangeRecord` that bumps the partition epoch;
//! - every `leader.imbalance.check.interval.seconds` partitions not led by their preferred
//!   replica get a PREFERRED election when `auto.leader.rebalance.enable`.
//!
//! Replies to brokers are sent once the records they depend on are committed, as the real
//! controller completes its futures on commit.

use crate::sorted::SortedMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::{ElectionType, NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::{EventKind, Milestone};
use crate::kernel::{Ctx, Timers};
use crate::metadata::{ImageCache, MetadataImage, MetadataRecord, PartitionRegistration};
use crate::protocol::AlterPartitionRequest;
use crate::protocol::Message;
use crate::raft::{RaftEvent, RaftNode, RaftOutput, RaftRole, RaftTimer};

/// What a controller handles an input with: the kernel's handle, typed by its timers.
pub type ControllerCtx<'a> = Ctx<'a, ControllerTimer>;

/// The timers a controller sets: its Raft timers and its own checks.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ControllerTimer {
    Raft(RaftTimer),
    /// Fence the brokers whose heartbeats stopped (`broker.session.timeout.ms`).
    FenceCheck,
    /// `leader.imbalance.check.interval.seconds`: move leadership back to preferred leaders.
    LeaderImbalance,
}

impl ControllerTimer {
    /// How the trace names it when it fires and does nothing else.
    pub fn name(&self) -> String {
        match self {
            ControllerTimer::Raft(t) => format!("{t:?}"),
            ControllerTimer::FenceCheck => "session check".into(),
            ControllerTimer::LeaderImbalance => "leader imbalance check".into(),
        }
    }
}

/// How often the active controller looks for brokers whose session expired.
pub const FENCE_CHECK_INTERVAL_MS: i64 = 1000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Controller {
    pub id: NodeId,
    pub alive: bool,
    pub raft: RaftNode<MetadataRecord>,
    /// Replies held until the metadata offset they wait for is committed.
    pub pending_replies: Vec<(i64, NodeId, Message)>,
    /// Last heartbeat time per broker, kept by the active controller only.
    pub last_heartbeat_ms: SortedMap<NodeId, i64>,
    pub was_leader: bool,
    pub timers: Timers<ControllerTimer>,
    /// The image over the whole local log (what the active controller decides on).
    local_image: ImageCache,
    /// The image over the committed part of the log (what the cluster has agreed on).
    committed_image: ImageCache,
}

fn ids(list: &[NodeId]) -> String {
    let items: Vec<String> = list.iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(","))
}

impl Controller {
    pub fn new(id: NodeId, raft: RaftNode<MetadataRecord>) -> Controller {
        Controller {
            id,
            alive: true,
            raft,
            pending_replies: Vec::new(),
            last_heartbeat_ms: SortedMap::new(),
            was_leader: false,
            timers: Timers::default(),
            local_image: ImageCache::default(),
            committed_image: ImageCache::default(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.alive && self.raft.role() == RaftRole::Leader
    }

    /// The metadata image over the whole local log, uncommitted records included: what the
    /// active controller decides on.
    pub fn image(&mut self) -> Arc<MetadataImage> {
        self.local_image
            .follow(self.raft.log().iter(), self.raft.truncations())
    }

    /// [`Controller::image`] without updating the cache: cheap when the cache is current,
    /// which it is after every step this controller takes.
    pub fn peek_image(&self) -> Arc<MetadataImage> {
        let mut cache = self.local_image.clone();
        cache.follow(self.raft.log().iter(), self.raft.truncations())
    }

    /// The image over the committed records, as of the last step this controller took
    /// (see [`Controller::refresh_committed_image`]).
    pub fn committed_image(&self) -> &Arc<MetadataImage> {
        self.committed_image.image()
    }

    /// Brings [`Controller::committed_image`] up to the current high watermark; the simulation
    /// calls it after every step this controller takes.
    pub fn refresh_committed_image(&mut self) {
        self.committed_image
            .follow(self.raft.committed(), self.raft.truncations());
    }

    pub fn set_timer(&mut self, ctx: &mut ControllerCtx, timer: ControllerTimer, after_ms: i64) {
        self.timers.set(ctx, timer, after_ms);
    }

    /// Routes Raft outputs into the simulation and reacts to leadership and commits.
    pub fn apply_raft_outputs(
        &mut self,
        ctx: &mut ControllerCtx,
        outputs: Vec<RaftOutput<MetadataRecord>>,
    ) {
        let before_hw = self.raft.high_watermark();
        for output in outputs {
            match output {
                RaftOutput::Send { to, message } => ctx.send(to, Message::Raft(message)),
                RaftOutput::SetTimer { timer, after_ms } => {
                    ctx.timer(after_ms, ControllerTimer::Raft(timer))
                }
                RaftOutput::Event(event) => {
                    let text = event.explain(self.id);
                    if matches!(event, RaftEvent::BecameLeader { .. }) {
                        ctx.milestone(Milestone::ControllerElected, EventKind::Quorum, None, text);
                    } else {
                        ctx.event(EventKind::Quorum, None, text);
                    }
                }
            }
        }
        let _ = before_hw;
        let leading = self.raft.role() == RaftRole::Leader;
        if leading && !self.was_leader {
            self.on_become_active(ctx);
        }
        if !leading && self.was_leader {
            self.pending_replies.clear();
            self.last_heartbeat_ms.clear();
        }
        self.was_leader = leading;
        self.flush_committed_replies(ctx);
    }

    fn on_become_active(&mut self, ctx: &mut ControllerCtx) {
        // A new active controller gives every registered broker a fresh session
        // (`BrokerHeartbeatManager` is rebuilt on activation).
        let image = self.image();
        self.last_heartbeat_ms = image.brokers.keys().map(|&b| (b, ctx.now)).collect();
        self.set_timer(ctx, ControllerTimer::FenceCheck, FENCE_CHECK_INTERVAL_MS);
        let interval_s = image.broker_config_i64("leader.imbalance.check.interval.seconds");
        self.set_timer(
            ctx,
            ControllerTimer::LeaderImbalance,
            interval_s.max(1) * 1000,
        );
    }

    fn flush_committed_replies(&mut self, ctx: &mut ControllerCtx) {
        let hw = self.raft.high_watermark();
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_replies)
            .into_iter()
            .partition(|(offset, _, _)| *offset < hw);
        self.pending_replies = waiting;
        for (_, to, message) in ready {
            ctx.send(to, message);
        }
    }

    /// Appends records; returns the offset of the last one, or `None` when not the leader.
    fn append(&mut self, ctx: &mut ControllerCtx, records: Vec<MetadataRecord>) -> Option<i64> {
        if records.is_empty() {
            return Some(self.raft.log_end_offset() - 1);
        }
        let n = records.len() as i64;
        let texts: Vec<String> = records.iter().map(describe_record).collect();
        match self.raft.append(ctx.now, records) {
            Ok((first, outputs)) => {
                for (i, text) in texts.iter().enumerate() {
                    ctx.event(
                        EventKind::Metadata,
                        None,
                        format!("Active controller {} appends {text} to __cluster_metadata at offset {}", self.id, first + i as i64),
                    );
                }
                self.apply_raft_outputs(ctx, outputs);
                Some(first + n - 1)
            }
            Err(_) => None,
        }
    }

    fn reply_after(&mut self, ctx: &mut ControllerCtx, offset: i64, to: NodeId, message: Message) {
        self.pending_replies.push((offset, to, message));
        self.flush_committed_replies(ctx);
    }

    /// `AllocateProducerIds` (KIP-730): the next block of producer ids, recorded in the
    /// metadata log so no two brokers ever hand out the same id.
    pub fn handle_allocate_producer_ids(
        &mut self,
        ctx: &mut ControllerCtx,
        broker_id: NodeId,
        broker_epoch: i64,
    ) {
        if !self.is_active() {
            ctx.send(
                broker_id,
                Message::AllocateProducerIdsResponse {
                    error: Some(KafkaError::NOT_CONTROLLER),
                    first_producer_id: -1,
                    count: 0,
                },
            );
            return;
        }
        let first = self.image().next_producer_id;
        let count = crate::coordinator::txn::PRODUCER_ID_BLOCK_SIZE;
        let records = vec![MetadataRecord::ProducerIds {
            broker_id,
            broker_epoch,
            next_producer_id: first + count,
        }];
        if let Some(offset) = self.append(ctx, records) {
            self.reply_after(
                ctx,
                offset,
                broker_id,
                Message::AllocateProducerIdsResponse {
                    error: None,
                    first_producer_id: first,
                    count,
                },
            );
        }
    }

    // ------------------------------------------------------------------ broker lifecycle

    pub fn handle_registration(
        &mut self,
        ctx: &mut ControllerCtx,
        broker_id: NodeId,
        rack: Option<String>,
    ) {
        if !self.is_active() {
            ctx.send(
                broker_id,
                Message::BrokerRegistrationResponse {
                    error: Some(KafkaError::NOT_CONTROLLER),
                    broker_epoch: -1,
                },
            );
            return;
        }
        let broker_epoch = self.raft.log_end_offset();
        let image = self.image();
        let mut records = vec![MetadataRecord::RegisterBroker {
            broker_id,
            broker_epoch,
            rack,
        }];
        // A broker that registers again after an unclean shutdown leaves every ISR it was in
        // (`ReplicationControlManager.handleBrokerUncleanShutdown`): its log may have lost
        // records it had acknowledged.
        if image.brokers.contains_key(&broker_id) {
            records.extend(self.leave_isrs_and_elect(&image, broker_id, "it restarted"));
        }
        self.last_heartbeat_ms.insert(broker_id, ctx.now);
        if let Some(offset) = self.append(ctx, records) {
            self.reply_after(
                ctx,
                offset,
                broker_id,
                Message::BrokerRegistrationResponse {
                    error: None,
                    broker_epoch,
                },
            );
        }
    }

    pub fn handle_heartbeat(
        &mut self,
        ctx: &mut ControllerCtx,
        broker_id: NodeId,
        broker_epoch: i64,
        current_metadata_offset: i64,
        want_shutdown: bool,
    ) {
        if !self.is_active() {
            ctx.send(
                broker_id,
                Message::BrokerHeartbeatResponse {
                    error: Some(KafkaError::NOT_CONTROLLER),
                    is_fenced: true,
                    should_shutdown: false,
                },
            );
            return;
        }
        let image = self.image();
        let Some(reg) = image.brokers.get(&broker_id).cloned() else {
            ctx.send(
                broker_id,
                Message::BrokerHeartbeatResponse {
                    error: Some(KafkaError::BROKER_ID_NOT_REGISTERED),
                    is_fenced: true,
                    should_shutdown: false,
                },
            );
            return;
        };
        if reg.epoch != broker_epoch {
            ctx.send(
                broker_id,
                Message::BrokerHeartbeatResponse {
                    error: Some(KafkaError::STALE_BROKER_EPOCH),
                    is_fenced: true,
                    should_shutdown: false,
                },
            );
            return;
        }
        self.last_heartbeat_ms.insert(broker_id, ctx.now);
        let mut records = Vec::new();
        let mut fenced = reg.fenced;
        if want_shutdown && !reg.in_controlled_shutdown {
            records.push(MetadataRecord::BrokerRegistrationChange {
                broker_id,
                broker_epoch,
                fenced: None,
                in_controlled_shutdown: Some(true),
            });
            records.extend(self.leave_isrs_and_elect(
                &image,
                broker_id,
                "it is shutting down (controlled shutdown)",
            ));
        } else if reg.fenced && !want_shutdown && current_metadata_offset >= broker_epoch {
            // `BrokerHeartbeatManager`: caught up to its own registration, so unfence.
            records.push(MetadataRecord::BrokerRegistrationChange {
                broker_id,
                broker_epoch,
                fenced: Some(false),
                in_controlled_shutdown: None,
            });
            fenced = false;
            let mut after = (*image).clone();
            for r in &records {
                after.apply(r);
            }
            records.extend(self.elect_leaderless(&after, broker_id));
        }
        let leads_anything = image
            .partitions
            .values()
            .any(|p| p.leader == Some(broker_id) && p.replicas.len() > 1);
        let should_shutdown =
            want_shutdown && (reg.in_controlled_shutdown || !records.is_empty()) && !leads_anything;
        let offset = self.append(ctx, records).unwrap_or(-1);
        self.reply_after(
            ctx,
            offset,
            broker_id,
            Message::BrokerHeartbeatResponse {
                error: None,
                is_fenced: fenced,
                should_shutdown,
            },
        );
    }

    /// The periodic session check: fence at most one broker whose heartbeats stopped.
    pub fn on_fence_check(&mut self, ctx: &mut ControllerCtx) {
        if !self.is_active() {
            return;
        }
        self.set_timer(ctx, ControllerTimer::FenceCheck, FENCE_CHECK_INTERVAL_MS);
        let image = self.image();
        let session = image.broker_config_i64("broker.session.timeout.ms");
        let stale = image.brokers.values().find(|b| {
            !b.fenced
                && self
                    .last_heartbeat_ms
                    .get(&b.id)
                    .is_none_or(|&t| ctx.now - t > session)
        });
        let Some(broker) = stale.cloned() else {
            return;
        };
        let silent = self
            .last_heartbeat_ms
            .get(&broker.id)
            .map_or(0, |&t| ctx.now - t);
        ctx.event(
            EventKind::Broker,
            None,
            format!(
                "Active controller {} fences broker {}: no heartbeat for {silent} ms, more than broker.session.timeout.ms={session}",
                self.id, broker.id
            ),
        );
        let mut records = vec![MetadataRecord::BrokerRegistrationChange {
            broker_id: broker.id,
            broker_epoch: broker.epoch,
            fenced: Some(true),
            in_controlled_shutdown: None,
        }];
        records.extend(self.leave_isrs_and_elect(&image, broker.id, "it was fenced"));
        self.append(ctx, records);
    }

    /// `generateLeaderAndIsrUpdates`: remove a broker from every ISR and move its leaderships.
    fn leave_isrs_and_elect(
        &self,
        image: &MetadataImage,
        broker: NodeId,
        reason: &str,
    ) -> Vec<MetadataRecord> {
        let _ = reason;
        let mut after = image.clone();
        if let Some(b) = after.brokers.get_mut(&broker) {
            // Decide as if the broker were already inactive.
            b.fenced = true;
        }
        let mut records = Vec::new();
        for (tp, p) in &image.partitions {
            if !p.isr.contains(&broker) && p.leader != Some(broker) {
                continue;
            }
            let mut isr: Vec<NodeId> = p.isr.iter().copied().filter(|&r| r != broker).collect();
            // The ISR is never made empty (without ELR): the last member stays.
            if isr.is_empty() {
                isr = p.isr.clone();
            }
            let unclean = after.topic_config_bool(&tp.topic, "unclean.leader.election.enable");
            let change =
                partition_change(&after, tp, p, isr, ElectionType::Preferred, unclean, false);
            records.extend(change);
        }
        records
    }

    /// Elections for leaderless partitions when a broker comes back.
    fn elect_leaderless(&self, image: &MetadataImage, _broker: NodeId) -> Vec<MetadataRecord> {
        let mut records = Vec::new();
        for (tp, p) in &image.partitions {
            if p.leader.is_some() {
                continue;
            }
            let unclean = image.topic_config_bool(&tp.topic, "unclean.leader.election.enable");
            records.extend(partition_change(
                image,
                tp,
                p,
                p.isr.clone(),
                ElectionType::Preferred,
                unclean,
                false,
            ));
        }
        records
    }

    pub fn handle_alter_partition(
        &mut self,
        ctx: &mut ControllerCtx,
        request: AlterPartitionRequest,
    ) {
        let AlterPartitionRequest {
            broker_id: from,
            broker_epoch,
            partition: tp,
            leader_epoch,
            partition_epoch,
            new_isr,
        } = request;
        let image = self.image();
        let respond = |ctx: &mut ControllerCtx,
                       error: Option<KafkaError>,
                       p: Option<&PartitionRegistration>| {
            ctx.send(
                from,
                Message::AlterPartitionResponse {
                    partition: tp.clone(),
                    error,
                    isr: p.map_or(Vec::new(), |p| p.isr.clone()),
                    leader_epoch: p.map_or(-1, |p| p.leader_epoch),
                    partition_epoch: p.map_or(-1, |p| p.partition_epoch),
                },
            )
        };
        if !self.is_active() {
            respond(ctx, Some(KafkaError::NOT_CONTROLLER), None);
            return;
        }
        let Some(p) = image.partitions.get(&tp) else {
            respond(ctx, Some(KafkaError::UNKNOWN_TOPIC_OR_PARTITION), None);
            return;
        };
        let stale_broker = image
            .brokers
            .get(&from)
            .is_none_or(|b| b.epoch != broker_epoch);
        // `validateAlterPartitionData`, in Kafka's order.
        let error = if stale_broker {
            Some(KafkaError::STALE_BROKER_EPOCH)
        } else if leader_epoch > p.leader_epoch || partition_epoch > p.partition_epoch {
            Some(KafkaError::NOT_CONTROLLER)
        } else if leader_epoch < p.leader_epoch {
            Some(KafkaError::FENCED_LEADER_EPOCH)
        } else if p.leader != Some(from) {
            Some(KafkaError::INVALID_REQUEST)
        } else if partition_epoch < p.partition_epoch {
            Some(KafkaError::INVALID_UPDATE_VERSION)
        } else if !new_isr.contains(&from)
            || new_isr.iter().any(|r| !p.replicas.contains(r))
            || (p.leader_recovering && new_isr.len() > 1)
        {
            // Not a subset of the replicas, without the leader, or growing a RECOVERING ISR.
            Some(KafkaError::INVALID_REQUEST)
        } else if new_isr
            .iter()
            .any(|r| !p.isr.contains(r) && !image.is_active(*r))
        {
            Some(KafkaError::INELIGIBLE_REPLICA)
        } else {
            None
        };
        if let Some(e) = error {
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!(
                    "Active controller {} rejects broker {from}'s AlterPartition for {tp} with {e}",
                    self.id
                ),
            );
            respond(ctx, Some(e), Some(p));
            return;
        }
        let record = MetadataRecord::PartitionChange {
            topic: tp.topic.to_string(),
            partition: tp.partition,
            isr: Some(new_isr.clone()),
            leader: None,
            leader_recovering: if p.leader_recovering {
                Some(false)
            } else {
                None
            },
        };
        let mut after = p.clone();
        after.isr = new_isr;
        after.partition_epoch += 1;
        if let Some(offset) = self.append(ctx, vec![record]) {
            self.reply_after(
                ctx,
                offset,
                from,
                Message::AlterPartitionResponse {
                    partition: tp.clone(),
                    error: None,
                    isr: after.isr.clone(),
                    leader_epoch: after.leader_epoch,
                    partition_epoch: after.partition_epoch,
                },
            );
        }
    }

    /// `auto.leader.rebalance.enable`: PREFERRED elections for imbalanced partitions.
    pub fn on_leader_imbalance_check(&mut self, ctx: &mut ControllerCtx) {
        if !self.is_active() {
            return;
        }
        let image = self.image();
        let interval_s = image.broker_config_i64("leader.imbalance.check.interval.seconds");
        self.set_timer(
            ctx,
            ControllerTimer::LeaderImbalance,
            interval_s.max(1) * 1000,
        );
        if image
            .broker_configs
            .get("auto.leader.rebalance.enable")
            .map(String::as_str)
            == Some("false")
        {
            return;
        }
        let records = self.elect(ctx, &image, ElectionType::Preferred, None, true);
        self.append(ctx, records);
    }

    /// `ElectLeaders`: explicit PREFERRED or UNCLEAN elections. Returns a sentence per partition.
    pub fn elect(
        &mut self,
        ctx: &mut ControllerCtx,
        image: &MetadataImage,
        election: ElectionType,
        only: Option<&TopicPartition>,
        quiet: bool,
    ) -> Vec<MetadataRecord> {
        let mut records = Vec::new();
        for (tp, p) in &image.partitions {
            if only.is_some_and(|o| o != tp) {
                continue;
            }
            let needed = match election {
                ElectionType::Preferred => p.leader != p.replicas.first().copied(),
                ElectionType::Unclean => p.leader.is_none(),
            };
            if !needed {
                if !quiet {
                    ctx.event(
                        EventKind::Command,
                        Some(tp.clone()),
                        format!(
                            "No election for {tp}: ELECTION_NOT_NEEDED ({})",
                            match election {
                                ElectionType::Preferred => "the preferred replica already leads",
                                ElectionType::Unclean => "it has a leader",
                            }
                        ),
                    );
                }
                continue;
            }
            let change = partition_change(
                image,
                tp,
                p,
                p.isr.clone(),
                election,
                election == ElectionType::Unclean,
                true,
            );
            if change.is_empty() && !quiet {
                ctx.event(
                    EventKind::Command,
                    Some(tp.clone()),
                    format!(
                        "No election for {tp}: {} (no eligible replica is alive)",
                        match election {
                            ElectionType::Preferred => "PREFERRED_LEADER_NOT_AVAILABLE",
                            ElectionType::Unclean => "ELIGIBLE_LEADERS_NOT_AVAILABLE",
                        }
                    ),
                );
            }
            records.extend(change);
        }
        records
    }

    /// Appends records chosen outside the controller's own request handling (topic creation,
    /// elections, configs asked by a command). Returns false when this controller is not active.
    pub fn append_records(
        &mut self,
        ctx: &mut ControllerCtx,
        records: Vec<MetadataRecord>,
    ) -> bool {
        self.append(ctx, records).is_some()
    }

    pub fn crash(&mut self) {
        self.alive = false;
        self.raft.crash();
        self.pending_replies.clear();
        self.last_heartbeat_ms.clear();
        self.was_leader = false;
        self.timers.clear();
    }
}

/// `PartitionChangeBuilder`: the record that applies `target_isr` and elects a leader if the
/// current one is no longer acceptable. Returns nothing when nothing would change.
pub fn partition_change(
    image: &MetadataImage,
    tp: &TopicPartition,
    p: &PartitionRegistration,
    target_isr: Vec<NodeId>,
    election: ElectionType,
    unclean_allowed: bool,
    explicit: bool,
) -> Vec<MetadataRecord> {
    let acceptable = |r: &NodeId| image.is_active(*r);
    let current_ok = p
        .leader
        .is_some_and(|l| target_isr.contains(&l) && acceptable(&l));
    let preferred = p.replicas.first().copied();
    let mut leader = p.leader;
    let mut isr = target_isr.clone();
    let mut recovering = None;
    let preferred_ok = preferred.is_some_and(|r| target_isr.contains(&r) && acceptable(&r));
    if explicit && election == ElectionType::Preferred && preferred_ok {
        leader = preferred;
    } else if !current_ok {
        // ONLINE: the first replica in assignment order that is in the ISR and active.
        leader = p
            .replicas
            .iter()
            .copied()
            .find(|r| target_isr.contains(r) && acceptable(r));
        if leader.is_none() && unclean_allowed {
            // UNCLEAN: any active replica, in assignment order; it alone forms the ISR.
            leader = p.replicas.iter().copied().find(acceptable);
            if let Some(l) = leader {
                isr = vec![l];
                recovering = Some(true);
            }
        }
    }
    if leader == p.leader && isr == p.isr {
        return Vec::new();
    }
    let _ = ids;
    vec![MetadataRecord::PartitionChange {
        topic: tp.topic.to_string(),
        partition: tp.partition,
        isr: (isr != p.isr).then_some(isr),
        leader: (leader != p.leader).then_some(leader),
        leader_recovering: recovering,
    }]
}

/// One sentence for a metadata record, as the trace and the `__cluster_metadata` view show it.
pub fn describe_record(record: &MetadataRecord) -> String {
    match record {
        MetadataRecord::RegisterBroker {
            broker_id,
            broker_epoch,
            rack,
        } => format!(
            "RegisterBrokerRecord(broker {broker_id}, epoch {broker_epoch}{})",
            rack.as_ref()
                .map_or(String::new(), |r| format!(", rack {r}"))
        ),
        MetadataRecord::BrokerRegistrationChange {
            broker_id,
            fenced,
            in_controlled_shutdown,
            ..
        } => {
            let mut parts = Vec::new();
            if let Some(f) = fenced {
                parts.push(if *f { "fenced" } else { "unfenced" }.to_string());
            }
            if let Some(true) = in_controlled_shutdown {
                parts.push("in controlled shutdown".to_string());
            }
            format!(
                "BrokerRegistrationChangeRecord(broker {broker_id} {})",
                parts.join(", ")
            )
        }
        MetadataRecord::Topic { name, topic_id } => format!("TopicRecord({name}, id {topic_id})"),
        MetadataRecord::Partition {
            topic,
            partition,
            replicas,
            isr,
            leader,
            ..
        } => format!(
            "PartitionRecord({topic}-{partition}, replicas {}, ISR {}, leader {})",
            ids(replicas),
            ids(isr),
            leader.map_or("none".to_string(), |l| l.to_string())
        ),
        MetadataRecord::PartitionChange {
            topic,
            partition,
            isr,
            leader,
            leader_recovering,
        } => {
            let mut parts = Vec::new();
            if let Some(isr) = isr {
                parts.push(format!("ISR {}", ids(isr)));
            }
            if let Some(leader) = leader {
                parts.push(format!(
                    "leader {}",
                    leader.map_or("none".to_string(), |l| l.to_string())
                ));
            }
            match leader_recovering {
                Some(true) => parts.push("RECOVERING (unclean election)".to_string()),
                Some(false) => parts.push("RECOVERED".to_string()),
                None => {}
            }
            format!(
                "PartitionChangeRecord({topic}-{partition}: {})",
                parts.join(", ")
            )
        }
        MetadataRecord::ProducerIds {
            broker_id,
            next_producer_id,
            ..
        } => format!(
            "ProducerIdsRecord(block up to {} to broker {broker_id})",
            next_producer_id - 1
        ),
        MetadataRecord::Config {
            topic, name, value, ..
        } => format!(
            "ConfigRecord({} {name}={})",
            topic
                .as_ref()
                .map_or("cluster default".to_string(), |t| format!("topic {t}")),
            value.as_deref().unwrap_or("(deleted)")
        ),
    }
}

impl Controller {
    /// Handles a message that arrived for this controller: the quorum's Raft traffic and the
    /// brokers' requests (registration, heartbeats, AlterPartition, producer id blocks).
    pub fn handle_message(&mut self, ctx: &mut ControllerCtx, from: NodeId, message: Message) {
        match message {
            Message::Raft(m) => {
                let outputs = self.raft.handle_message(ctx.now, from, m, ctx.rng);
                self.apply_raft_outputs(ctx, outputs);
            }
            Message::BrokerRegistration { broker_id, rack } => {
                self.handle_registration(ctx, broker_id, rack)
            }
            Message::BrokerHeartbeat {
                broker_id,
                broker_epoch,
                current_metadata_offset,
                want_shutdown,
            } => self.handle_heartbeat(
                ctx,
                broker_id,
                broker_epoch,
                current_metadata_offset,
                want_shutdown,
            ),
            Message::AlterPartition(request) => self.handle_alter_partition(ctx, request),
            Message::AllocateProducerIds {
                broker_id,
                broker_epoch,
            } => self.handle_allocate_producer_ids(ctx, broker_id, broker_epoch),
            // Not a request a controller serves: a real one would close the connection.
            _ => {}
        }
    }

    /// Fires one of this controller's timers: Raft's go to its Raft node (which knows which of
    /// them are current); the others count only if they are the one last set.
    pub fn handle_timer(&mut self, ctx: &mut ControllerCtx, timer: ControllerTimer) {
        let now = ctx.now;
        match timer {
            ControllerTimer::Raft(t) => {
                let outputs = self.raft.handle_timer(now, t, ctx.rng);
                self.apply_raft_outputs(ctx, outputs);
            }
            // Reset or cancelled since it was queued: not this one.
            ref other if !self.timers.take(other, now) => {}
            ControllerTimer::FenceCheck => self.on_fence_check(ctx),
            ControllerTimer::LeaderImbalance => self.on_leader_imbalance_check(ctx),
        }
    }

    /// Whether `timer` firing at `at` is the one this controller (or its Raft node) last set.
    pub fn is_timer_live(&self, timer: &ControllerTimer, at: i64) -> bool {
        match timer {
            ControllerTimer::Raft(t) => self.raft.is_timer_live(t, at),
            _ => self.timers.is_live(timer, at),
        }
    }
}

/// What `kafka-leader-election.sh` prints (`LeaderElectionCommand`): the partitions whose
/// election succeeded, those that needed none, and those that failed with their error.
pub fn describe_election(
    image: &MetadataImage,
    election: ElectionType,
    only: Option<&TopicPartition>,
    records: &[MetadataRecord],
) -> String {
    let elected: Vec<String> = records
        .iter()
        .filter_map(|r| match r {
            MetadataRecord::PartitionChange {
                topic,
                partition,
                leader: Some(Some(_)),
                ..
            } => Some(format!("{topic}-{partition}")),
            _ => None,
        })
        .collect();
    let mut not_needed = Vec::new();
    let mut failed = Vec::new();
    for (tp, p) in &image.partitions {
        if only.is_some_and(|o| o != tp) || elected.contains(&tp.to_string()) {
            continue;
        }
        let needed = match election {
            ElectionType::Preferred => p.leader != p.replicas.first().copied(),
            ElectionType::Unclean => p.leader.is_none(),
        };
        if needed {
            failed.push(tp.to_string());
        } else {
            not_needed.push(tp.to_string());
        }
    }
    let kind = match election {
        ElectionType::Preferred => "PREFERRED",
        ElectionType::Unclean => "UNCLEAN",
    };
    let mut out = String::new();
    if !elected.is_empty() {
        let _ = writeln!(
            out,
            "Successfully completed leader election ({kind}) for partitions {}",
            elected.join(", ")
        );
    }
    if !not_needed.is_empty() {
        let _ = writeln!(
            out,
            "Valid replica already elected for partitions {}",
            not_needed.join(", ")
        );
    }
    if !failed.is_empty() {
        let error = match election {
            ElectionType::Preferred => "PreferredLeaderNotAvailableException",
            ElectionType::Unclean => "EligibleLeadersNotAvailableException",
        };
        let _ = writeln!(
            out,
            "Error completing leader election ({kind}) for partition: {}: {error}",
            failed.join(", ")
        );
    }
    out
}
