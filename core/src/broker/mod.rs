//! A broker: its replicas, the replica fetcher, the produce path and its view of the metadata.
//!
//! Replication follows Kafka's `Partition.scala`, `ReplicaManager.scala` and
//! `AbstractFetcherThread.scala`:
//! - followers *pull*: each follower sends one `Fetch` per leader broker with every partition it
//!   follows there, carrying its fetch offset (its LEO) and `lastFetchedEpoch`;
//! - the leader learns each follower's LEO from the fetch offset, updates `lastCaughtUpTimeMs`,
//!   may add the follower to the ISR, and recomputes the HW (`maybeIncrementLeaderHW`: the lowest
//!   LEO among the maximal ISR and caught-up replicas, frozen while under `min.insync.replicas`);
//! - the leader parks a fetch that finds nothing new for `replica.fetch.wait.max.ms`;
//! - followers learn the HW from the response, so a follower's HW lags one fetch behind;
//! - a follower whose last fetched epoch is not in the leader's history gets `divergingEpoch`
//!   and truncates (KIP-101/KIP-279) before fetching again;
//! - the leader never changes the ISR itself: it asks the controller with `AlterPartition`
//!   (`isr-expiration` every `replica.lag.time.max.ms / 2` for shrinks; on fetch for expands).
//!
//! The broker learns leadership from `__cluster_metadata`, which it reads as a Raft observer and
//! applies up to the quorum's high watermark (`ReplicaManager.applyDelta`).

use crate::sorted::{SortedMap, SortedSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::{NodeId, TopicPartition};
use crate::coordinator::group::GroupCoordinator;
use crate::coordinator::Host;
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::kernel::Timers;
use crate::log::PartitionLog;
use crate::metadata::{MetadataImage, MetadataRecord, PartitionRegistration};
use crate::protocol::{FetchPartition, Message};
use crate::raft::{RaftNode, RaftOutput};
use crate::record::Record;

mod coordinators;
mod delete_records;
mod fetch;
mod isr;
mod produce;
pub mod timer;
pub mod txn;

pub use timer::{BrokerCtx, BrokerTimer};

/// `replica.socket.timeout.ms` (Kafka's default): how long a follower waits for the answer to
/// a fetch before it gives up on the connection and fetches again.
pub const REPLICA_SOCKET_TIMEOUT_MS: i64 = 30_000;

/// `replica.fetch.backoff.ms` (Kafka's default): the pause before fetching again after an error.
pub const REPLICA_FETCH_BACKOFF_MS: i64 = 1_000;

/// `controller.socket.timeout.ms` (Kafka's default): how long a request to the controller
/// (here AlterPartition) waits for its answer before it is sent again.
pub const CONTROLLER_SOCKET_TIMEOUT_MS: i64 = 30_000;

/// The pause before an AlterPartition answered NOT_CONTROLLER is sent again (`retry.backoff.ms`).
pub const ALTER_PARTITION_RETRY_BACKOFF_MS: i64 = 100;

/// What the leader knows about one follower (`Replica.scala`'s `ReplicaState`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowerState {
    /// The follower's LEO as its last fetch offset said; -1 when unknown.
    pub log_end_offset: i64,
    pub log_start_offset: i64,
    pub last_caught_up_time_ms: i64,
    pub last_fetch_leader_log_end_offset: i64,
    pub last_fetch_time_ms: i64,
    pub broker_epoch: i64,
}

/// An ISR change sent to the controller and not answered yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PendingIsr {
    Expand(Vec<NodeId>),
    Shrink(Vec<NodeId>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderState {
    pub followers: SortedMap<NodeId, FollowerState>,
    pub leader_epoch_start_offset: i64,
    pub pending_isr: Option<PendingIsr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaState {
    pub log: PartitionLog,
    /// The partition as this broker last learned it from metadata (replicas, ISR, epochs).
    pub registration: PartitionRegistration,
    /// `Some` while this broker leads the partition.
    pub leader: Option<LeaderState>,
    /// Records this replica removed by truncation, kept for the UI to show as lost.
    pub truncated: Vec<Record>,
}

/// An acks=all produce request waiting for the HW on its partitions (`DelayedProduce`). It
/// is answered once every partition has its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingProduce {
    pub request_id: i64,
    pub client: NodeId,
    /// In the request's order.
    pub partitions: Vec<PendingPartition>,
}

/// One partition of a waiting produce request (`ProducePartitionStatus`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPartition {
    pub partition: TopicPartition,
    pub base_offset: i64,
    /// The HW that acknowledges it: its last offset + 1.
    pub required_offset: i64,
    /// Answered (possibly with an error), or still waiting for the HW.
    pub answered: bool,
    pub error: Option<KafkaError>,
}

impl PendingPartition {
    pub(crate) fn answer(&mut self, error: Option<KafkaError>) {
        self.answered = true;
        self.error = error;
    }
}

/// A fetch the leader holds until there is data or the wait runs out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedFetch {
    pub replica_id: NodeId,
    pub partitions: Vec<FetchPartition>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Broker {
    pub id: NodeId,
    pub rack: Option<String>,
    pub alive: bool,
    pub metadata: RaftNode<MetadataRecord>,
    /// Committed metadata applied so far.
    /// Shared with the timeline's snapshots until it changes (`Arc::make_mut`).
    pub image: Arc<MetadataImage>,
    pub applied_offset: i64,
    pub broker_epoch: Option<i64>,
    pub registration_in_flight: bool,
    /// When the registration in flight was sent.
    #[serde(default)]
    pub registration_sent_ms: i64,
    pub fenced: bool,
    /// Whether it accepts client requests: from its first unfencing after (re)starting on.
    #[serde(default)]
    pub serving_clients: bool,
    pub want_shutdown: bool,
    /// Each replica is shared with the timeline's snapshots until it changes
    /// (`Arc::make_mut`): a step touches a few replicas, a snapshot copies only those.
    pub replicas: SortedMap<TopicPartition, Arc<ReplicaState>>,
    /// Leader brokers this broker has a fetch outstanding to.
    pub fetching_from: SortedSet<NodeId>,
    pub parked_fetches: Vec<ParkedFetch>,
    /// Consumer fetches held for `fetch.max.wait.ms`, by consumer.
    #[serde(default)]
    pub parked_consumer_fetches: Vec<(NodeId, Vec<FetchPartition>)>,
    /// Consumers whose held fetch is READ_COMMITTED (they wait for the LSO, not the HW).
    #[serde(default)]
    pub read_committed_fetchers: SortedSet<NodeId>,
    pub purgatory: Vec<PendingProduce>,
    /// DeleteRecords requests waiting for the low watermark.
    #[serde(default)]
    pub pending_deletes: Vec<delete_records::PendingDelete>,
    /// Partitions whose fetching the user paused (`None` = all).
    pub paused: SortedSet<Option<TopicPartition>>,
    pub timers: Timers<BrokerTimer>,
    /// The group coordinator for the `__consumer_offsets` partitions this broker leads.
    #[serde(default)]
    pub groups: GroupCoordinator,
    /// The transaction coordinator for the `__transaction_state` partitions it leads, its
    /// producer-id block, and markers it wrote as a partition leader.
    #[serde(default)]
    pub txns: crate::coordinator::txn::TxnCoordinator,
    /// While the group coordinator is taken out to work (`with_groups`): the partitions whose
    /// writes it must complete once it is back (an append whose HW moved at once).
    #[serde(skip)]
    groups_out: bool,
    #[serde(skip)]
    deferred_group_writes: Vec<TopicPartition>,
    /// The same for the transaction coordinator (`with_txns`).
    #[serde(skip)]
    txns_out: bool,
    #[serde(skip)]
    deferred_txn_writes: Vec<TopicPartition>,
    /// Markers this broker wrote as a partition leader, waiting for the HW before the answer.
    #[serde(default)]
    pub pending_markers: Vec<txn::PendingMarker>,
    /// Produce requests this broker, as a partition leader, holds while the coordinator
    /// verifies their transactional batches (KIP-890), by verification id.
    #[serde(default)]
    pub verifying: SortedMap<u64, txn::VerifyingProduce>,
    #[serde(default)]
    pub next_verification_id: u64,
}

pub(crate) fn ids(list: &[NodeId]) -> String {
    let items: Vec<String> = list.iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(","))
}

impl Broker {
    pub fn new(id: NodeId, rack: Option<String>, metadata: RaftNode<MetadataRecord>) -> Broker {
        Broker {
            id,
            rack,
            alive: true,
            metadata,
            image: Arc::default(),
            applied_offset: 0,
            broker_epoch: None,
            registration_in_flight: false,
            registration_sent_ms: 0,
            fenced: true,
            serving_clients: false,
            want_shutdown: false,
            replicas: SortedMap::new(),
            fetching_from: SortedSet::new(),
            parked_fetches: Vec::new(),
            parked_consumer_fetches: Vec::new(),
            read_committed_fetchers: SortedSet::new(),
            purgatory: Vec::new(),
            pending_deletes: Vec::new(),
            paused: SortedSet::new(),
            timers: Timers::default(),
            groups: crate::coordinator::group::GroupCoordinator::default(),
            txns: crate::coordinator::txn::TxnCoordinator::default(),
            groups_out: false,
            deferred_group_writes: Vec::new(),
            txns_out: false,
            deferred_txn_writes: Vec::new(),
            pending_markers: Vec::new(),
            verifying: SortedMap::new(),
            next_verification_id: 0,
        }
    }

    pub fn set_timer(&mut self, ctx: &mut BrokerCtx, timer: BrokerTimer, after_ms: i64) {
        self.timers.set(ctx, timer, after_ms);
    }

    fn config(&self, name: &str) -> i64 {
        self.image.broker_config_i64(name)
    }

    /// Starts the broker's timers: heartbeats and ISR expiration.
    pub fn start(&mut self, ctx: &mut BrokerCtx, raft_outputs: Vec<RaftOutput<MetadataRecord>>) {
        self.apply_raft_outputs(ctx, raft_outputs);
        self.set_timer(ctx, BrokerTimer::Heartbeat, 0);
        let lag = crate::config::default_value("replica.lag.time.max.ms")
            .parse::<i64>()
            .unwrap_or(30000);
        self.set_timer(ctx, BrokerTimer::IsrExpiration, lag / 2);
    }

    pub fn apply_raft_outputs(
        &mut self,
        ctx: &mut BrokerCtx,
        outputs: Vec<RaftOutput<MetadataRecord>>,
    ) {
        for output in outputs {
            match output {
                RaftOutput::Send { to, message } => ctx.send(to, Message::Raft(message)),
                RaftOutput::SetTimer { timer, after_ms } => {
                    ctx.timer(after_ms, BrokerTimer::Raft(timer))
                }
                RaftOutput::Event(_) => {}
            }
        }
        self.apply_committed_metadata(ctx);
    }

    // ------------------------------------------------------------------ metadata

    /// Applies newly committed metadata records and reacts to partition changes
    /// (become leader / become follower), as `ReplicaManager.applyDelta` does.
    fn apply_committed_metadata(&mut self, ctx: &mut BrokerCtx) {
        let committed: Vec<(i64, MetadataRecord)> = self
            .metadata
            .committed()
            .skip(self.applied_offset.max(0) as usize)
            .filter(|e| e.offset >= self.applied_offset)
            .filter_map(|e| match &*e.record {
                crate::raft::RaftRecord::Data(r) => Some((e.offset, r.clone())),
                _ => None,
            })
            .collect();
        let hw = self.metadata.high_watermark();
        if hw <= self.applied_offset {
            return;
        }
        let mut changed: SortedSet<TopicPartition> = SortedSet::new();
        for (_, record) in &committed {
            Arc::make_mut(&mut self.image).apply(record);
            match record {
                MetadataRecord::Partition {
                    topic, partition, ..
                }
                | MetadataRecord::PartitionChange {
                    topic, partition, ..
                } => {
                    changed.insert(TopicPartition::new(topic.clone(), *partition));
                }
                _ => {}
            }
        }
        self.applied_offset = hw;
        for tp in changed {
            self.on_partition_metadata(ctx, &tp);
        }
        self.maybe_fetch(ctx);
    }

    fn on_partition_metadata(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        self.apply_partition_registration(ctx, tp);
        // A `__consumer_offsets` partition led here is loaded; one no longer led is unloaded.
        self.with_groups(ctx, |groups, host, ctx| {
            groups.on_offsets_partition_leadership(host, ctx, tp)
        });
        self.with_txns(ctx, |txns, host, ctx| {
            txns.on_txn_partition_leadership(host, ctx, tp)
        });
    }

    fn apply_partition_registration(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let Some(reg) = self.image.partitions.get(tp).cloned() else {
            return;
        };
        if !reg.replicas.contains(&self.id) {
            self.replicas.remove(tp);
            return;
        }
        let me = self.id;
        let now = ctx.now;
        let is_new = !self.replicas.contains_key(tp);
        let replica = Arc::make_mut(self.replicas.entry(tp.clone()).or_insert_with(|| {
            Arc::new(ReplicaState {
                log: PartitionLog::new(),
                registration: reg.clone(),
                leader: None,
                truncated: Vec::new(),
            })
        }));
        let previous = std::mem::replace(&mut replica.registration, reg.clone());
        let leadership_changed =
            is_new || previous.leader_epoch != reg.leader_epoch || previous.leader != reg.leader;
        if reg.leader == Some(me) {
            if replica.leader.is_none() || previous.leader_epoch != reg.leader_epoch {
                // makeLeader: record where this epoch starts and reset follower state.
                let leo = replica.log.log_end_offset();
                replica.log.assign_epoch_start(reg.leader_epoch, leo);
                let followers = reg
                    .replicas
                    .iter()
                    .filter(|&&r| r != me)
                    .map(|&r| {
                        (
                            r,
                            FollowerState {
                                log_end_offset: -1,
                                log_start_offset: -1,
                                last_caught_up_time_ms: if reg.isr.contains(&r) { now } else { 0 },
                                last_fetch_leader_log_end_offset: -1,
                                last_fetch_time_ms: 0,
                                broker_epoch: -1,
                            },
                        )
                    })
                    .collect();
                // After an unclean election the partition is RECOVERING; the new leader tells
                // the controller it has recovered (KIP-704), which lets the ISR grow again.
                let recovering = reg.leader_recovering;
                replica.leader = Some(LeaderState {
                    followers,
                    leader_epoch_start_offset: leo,
                    pending_isr: recovering.then(|| PendingIsr::Expand(reg.isr.clone())),
                });
                if recovering {
                    self.send_alter_partition(ctx, tp);
                }
                ctx.event(
                    EventKind::Election,
                    Some(tp.clone()),
                    format!(
                        "Broker {me} becomes leader of {tp} in leader epoch {} (ISR {}); the epoch starts at offset {leo}",
                        reg.leader_epoch,
                        ids(&reg.isr)
                    ),
                );
            } else if let Some(leader) = replica.leader.as_mut() {
                // Same epoch: an ISR change committed. Clear a matching pending change.
                let done = match &leader.pending_isr {
                    Some(PendingIsr::Expand(isr)) | Some(PendingIsr::Shrink(isr)) => {
                        *isr == reg.isr
                    }
                    None => false,
                };
                if done {
                    leader.pending_isr = None;
                    self.timers.cancel(&BrokerTimer::AlterPartitionTimeout {
                        partition: tp.clone(),
                    });
                }
            }
            self.maybe_increment_hw(ctx, tp);
        } else {
            let was_leader = replica.leader.take().is_some();
            if leadership_changed || was_leader {
                let text = match reg.leader {
                    Some(l) => format!(
                        "Broker {me} follows broker {l} for {tp} in leader epoch {}",
                        reg.leader_epoch
                    ),
                    None => format!("{tp} has no leader: no replica in the ISR is alive"),
                };
                ctx.event(EventKind::Election, Some(tp.clone()), text);
            }
            if was_leader {
                // `ReplicaManager.applyLocalFollowersDelta` completes the delayed operations of
                // partitions made followers: a waiting acks=all produce is answered with
                // NOT_LEADER_OR_FOLLOWER (`checkEnoughReplicasReachOffset` finds no leader log).
                // Left waiting, it could be acknowledged after this broker leads again, for
                // offsets its truncation as a follower gave to other records.
                self.fail_produces(ctx, tp, KafkaError::NOT_LEADER_OR_FOLLOWER);
                self.complete_deletes(ctx, tp);
            }
        }
    }

    // ------------------------------------------------------------------ follower side

    // ------------------------------------------------------------------ leader side

    // ------------------------------------------------------------------ produce

    // ------------------------------------------------------------------ controller traffic

    pub fn on_heartbeat_timer(&mut self, ctx: &mut BrokerCtx) {
        let interval = self.config("broker.heartbeat.interval.ms");
        self.set_timer(ctx, BrokerTimer::Heartbeat, interval);
        let Some(controller) = self.metadata.leader() else {
            return;
        };
        match self.broker_epoch {
            None => {
                // The registration travels on the heartbeat channel, whose requests time out
                // after broker.session.timeout.ms / 2 (`BrokerServer`, KAFKA-14392); the
                // lifecycle manager then registers again. Without this, a registration lost
                // to a stopped controller or a cut link left the broker unregistered forever.
                let timeout = self.config("broker.session.timeout.ms") / 2;
                if self.registration_in_flight && ctx.now - self.registration_sent_ms >= timeout {
                    self.registration_in_flight = false;
                    ctx.event(
                        EventKind::Broker,
                        None,
                        format!(
                            "Broker {}'s registration got no answer within broker.session.timeout.ms / 2 = {timeout} ms: it registers again",
                            self.id
                        ),
                    );
                }
                if !self.registration_in_flight {
                    self.registration_in_flight = true;
                    self.registration_sent_ms = ctx.now;
                    ctx.send(
                        controller,
                        Message::BrokerRegistration {
                            broker_id: self.id,
                            rack: self.rack.clone(),
                        },
                    );
                }
            }
            Some(epoch) => ctx.send(
                controller,
                Message::BrokerHeartbeat {
                    broker_id: self.id,
                    broker_epoch: epoch,
                    current_metadata_offset: self.applied_offset,
                    want_shutdown: self.want_shutdown,
                },
            ),
        }
    }

    /// The partition count of `__consumer_offsets`: the topic's, once it exists.
    pub fn offsets_partitions(&self) -> i32 {
        Host::offsets_partitions(self)
    }

    /// Forgets everything that does not survive a crash: the process state. The logs stay
    /// on disk (with their HW checkpoint), as does nothing else.
    pub fn crash(&mut self) {
        self.alive = false;
        self.metadata.crash();
        self.broker_epoch = None;
        self.registration_in_flight = false;
        self.fenced = true;
        self.serving_clients = false;
        self.want_shutdown = false;
        self.fetching_from.clear();
        self.parked_fetches.clear();
        self.parked_consumer_fetches.clear();
        self.purgatory.clear();
        self.pending_deletes.clear();
        self.timers.clear();
        self.image = Arc::default();
        self.applied_offset = 0;
        for replica in self.replicas.values_mut() {
            if replica.leader.is_some() {
                Arc::make_mut(replica).leader = None;
            }
        }
        self.groups = GroupCoordinator::default();
        self.crash_txn_coordinator();
    }
}

impl Broker {
    /// Handles a message that arrived for this broker: its metadata log's Raft traffic, the
    /// controller's answers to its registration and heartbeats (which fence and unfence it),
    /// replication, clients' requests and its coordinators' traffic.
    pub fn handle_message(&mut self, ctx: &mut BrokerCtx, from: NodeId, message: Message) {
        let to = self.id;
        match message {
            Message::Raft(m) => {
                let outputs = self.metadata.handle_message(ctx.now, from, m, ctx.rng);
                self.apply_raft_outputs(ctx, outputs);
            }
            Message::BrokerRegistrationResponse {
                error,
                broker_epoch,
            } => {
                self.registration_in_flight = false;
                if error.is_none() {
                    self.broker_epoch = Some(broker_epoch);
                    ctx.event(
                        EventKind::Broker,
                        None,
                        format!("Broker {to} is registered with broker epoch {broker_epoch}; it stays fenced until its metadata catches up to its registration"),
                    );
                    self.maybe_fetch(ctx);
                }
            }
            Message::BrokerHeartbeatResponse {
                error,
                is_fenced,
                should_shutdown,
            } => {
                if matches!(
                    error,
                    Some(crate::error::KafkaError::STALE_BROKER_EPOCH)
                        | Some(crate::error::KafkaError::BROKER_ID_NOT_REGISTERED)
                ) {
                    self.broker_epoch = None;
                }
                if error.is_none() && !is_fenced {
                    // `BrokerServer` enables request processing once it is first unfenced.
                    self.serving_clients = true;
                }
                if error.is_none() && self.fenced != is_fenced {
                    self.fenced = is_fenced;
                    ctx.event(
                        EventKind::Broker,
                        None,
                        if is_fenced {
                            format!("Broker {to} learns it is fenced: it may not lead or join an ISR")
                        } else {
                            format!("Broker {to} is unfenced: its metadata has caught up, so it can lead partitions and join ISRs")
                        },
                    );
                }
                if should_shutdown {
                    ctx.event(
                        EventKind::Broker,
                        None,
                        format!("Broker {to} leads nothing any more and the controller answers SHUTDOWN_NOW: it stops"),
                    );
                    self.crash();
                }
            }
            Message::AlterPartitionResponse {
                partition,
                error,
                isr,
                leader_epoch,
                partition_epoch,
            } => self.handle_alter_partition_response(
                ctx,
                &partition,
                error,
                isr,
                leader_epoch,
                partition_epoch,
            ),
            Message::Fetch(request) => self.handle_fetch(ctx, from, request),
            Message::FetchResponse { partitions } => {
                self.handle_fetch_response(ctx, from, partitions)
            }
            Message::Produce(request) => self.handle_produce(ctx, from, request),
            Message::DeleteRecords {
                request_id,
                partition,
                offset,
                timeout_ms,
            } => self.handle_delete_records(ctx, from, request_id, partition, offset, timeout_ms),
            Message::MetadataRequest => {
                let leaders = self
                    .image
                    .partitions
                    .iter()
                    .map(|(tp, p)| (tp.clone(), p.leader, p.leader_epoch))
                    .collect();
                let cluster = self.image.assignor_metadata();
                ctx.send(from, Message::MetadataResponse { leaders, cluster });
            }
            Message::FindCoordinator { group_id } => {
                self.handle_find_coordinator(ctx, from, group_id)
            }
            Message::JoinGroup(request) => self.with_groups(ctx, |groups, host, ctx| {
                groups.handle_join_group(host, ctx, from, request)
            }),
            Message::SyncGroup(request) => self.with_groups(ctx, |groups, host, ctx| {
                groups.handle_sync_group(host, ctx, from, request)
            }),
            Message::Heartbeat {
                group_id,
                generation,
                member_id,
                ..
            } => self.with_groups(ctx, |groups, host, ctx| {
                groups.handle_heartbeat(host, ctx, from, group_id, generation, member_id)
            }),
            Message::LeaveGroup(request) => self.with_groups(ctx, |groups, host, ctx| {
                groups.handle_leave_group(host, ctx, from, request)
            }),
            Message::OffsetCommit(request) => self.with_groups(ctx, |groups, host, ctx| {
                groups.handle_offset_commit(host, ctx, from, request)
            }),
            Message::OffsetFetch {
                group_id,
                partitions,
            } => self.with_groups(ctx, |groups, host, ctx| {
                groups.handle_offset_fetch(host, ctx, from, group_id, partitions)
            }),
            Message::ConsumerGroupHeartbeat(request) => {
                self.with_groups(ctx, |groups, host, ctx| {
                    groups.handle_consumer_group_heartbeat(host, ctx, from, request)
                })
            }
            Message::ListOffsets { partitions } => self.handle_list_offsets(ctx, from, partitions),
            other => self.handle_txn_message(ctx, from, other),
        }
    }

    /// Fires one of this broker's timers: Raft's go to its metadata log (which knows which of
    /// them are current); the others count only if they are the one last set.
    pub fn handle_timer(&mut self, ctx: &mut BrokerCtx, timer: BrokerTimer) {
        let now = ctx.now;
        match timer {
            BrokerTimer::Raft(t) => {
                let outputs = self.metadata.handle_timer(now, t, ctx.rng);
                self.apply_raft_outputs(ctx, outputs);
            }
            // Reset or cancelled since it was queued: not this one.
            ref other if !self.timers.take(other, now) => {}
            BrokerTimer::Heartbeat => self.on_heartbeat_timer(ctx),
            BrokerTimer::IsrExpiration => self.on_isr_expiration(ctx),
            BrokerTimer::FetchWait { replica } => self.on_fetch_wait(ctx, replica),
            BrokerTimer::FetchBackoff { .. } => self.maybe_fetch(ctx),
            BrokerTimer::FetchTimeout { leader } => self.on_fetch_timeout(ctx, leader),
            BrokerTimer::AlterPartitionTimeout { partition } => {
                self.on_alter_partition_timeout(ctx, &partition)
            }
            BrokerTimer::ProduceTimeout { client, request_id } => {
                self.on_produce_timeout(ctx, client, request_id)
            }
            BrokerTimer::DeleteRecordsTimeout { client, request_id } => {
                self.on_delete_records_timeout(ctx, client, request_id)
            }
            BrokerTimer::GroupSession { group, member } => self
                .with_groups(ctx, |groups, host, ctx| {
                    groups.on_group_session_timer(host, ctx, &group, &member)
                }),
            BrokerTimer::GroupJoin { group } => self.with_groups(ctx, |groups, host, ctx| {
                groups.on_group_join_timer(host, ctx, &group)
            }),
            BrokerTimer::GroupSync { group, generation } => self
                .with_groups(ctx, |groups, host, ctx| {
                    groups.on_group_sync_timer(host, ctx, &group, generation)
                }),
            BrokerTimer::GroupPendingMember { group, member } => {
                self.with_groups(ctx, |groups, host, ctx| {
                    groups.on_group_pending_member_timer(host, ctx, &group, &member)
                })
            }
            BrokerTimer::ConsumerFetchWait { consumer } => {
                self.on_consumer_fetch_wait(ctx, consumer)
            }
            BrokerTimer::TxnWriteTimeout {
                partition,
                required_hw,
            } => self.with_txns(ctx, |txns, host, ctx| {
                txns.on_txn_write_timeout(host, ctx, partition, required_hw)
            }),
            BrokerTimer::TxnMarkerRetry { transactional_id } => self
                .with_txns(ctx, |txns, host, ctx| {
                    txns.on_marker_retry(host, ctx, &transactional_id)
                }),
            BrokerTimer::TxnTimeoutCheck => {
                self.with_txns(ctx, |txns, host, ctx| txns.on_txn_timeout_check(host, ctx))
            }
            BrokerTimer::TxnVerificationTimeout { verification_id } => {
                self.on_verification_timeout(ctx, verification_id)
            }
            BrokerTimer::CoordinatorWriteTimeout {
                partition,
                required_hw,
            } => self.with_groups(ctx, |groups, host, ctx| {
                groups.on_coordinator_write_timeout(host, ctx, partition, required_hw)
            }),
            BrokerTimer::ConsumerGroupSession { group, member } => {
                self.with_groups(ctx, |groups, host, ctx| {
                    groups.on_consumer_group_session_timer(host, ctx, &group, &member)
                })
            }
            BrokerTimer::ConsumerGroupRebalance { group, member } => {
                self.with_groups(ctx, |groups, host, ctx| {
                    groups.on_consumer_group_rebalance_timer(host, ctx, &group, &member)
                })
            }
        }
    }

    /// Whether `timer` firing at `at` is the one this broker (or its metadata log) last set.
    pub fn is_timer_live(&self, timer: &BrokerTimer, at: i64) -> bool {
        match timer {
            BrokerTimer::Raft(t) => self.metadata.is_timer_live(t, at),
            _ => self.timers.is_live(timer, at),
        }
    }
}
