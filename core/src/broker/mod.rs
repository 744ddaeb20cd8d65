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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::{Acks, NodeId, TopicPartition};
use crate::coordinator::group::GroupCoordinator;
use crate::coordinator::Host;
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::kernel::Timers;
use crate::log::PartitionLog;
use crate::metadata::{MetadataImage, MetadataRecord, PartitionRegistration};
use crate::protocol::AlterPartitionRequest;
use crate::protocol::FetchRequest;
use crate::protocol::ProduceRequest;
use crate::protocol::{
    FetchPartition, FetchPartitionResponse, Message, ProducePartition, ProducePartitionResponse,
};
use crate::raft::{RaftNode, RaftOutput};
use crate::record::Record;

mod coordinators;
pub mod timer;
pub mod txn;

pub use timer::{BrokerCtx, BrokerTimer};

/// Bytes the sandbox counts per record when honouring `replica.fetch.max.bytes`.
pub const RECORD_OVERHEAD_BYTES: i64 = 70;

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
    pub followers: BTreeMap<NodeId, FollowerState>,
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

/// What the leader does with one partition's batch of a Produce request.
enum ProduceOutcome {
    /// Answer now: an error, or the base offset.
    Answer(Option<KafkaError>, i64),
    /// acks=all: wait until the HW reaches `required_offset`.
    Wait {
        base_offset: i64,
        required_offset: i64,
    },
    /// acks=0: no answer at all.
    Silent,
}

impl ProduceOutcome {
    /// A refused batch: answered with `error`, unless acks=0 wants no answer.
    fn refused(acks: Acks, error: KafkaError) -> ProduceOutcome {
        match acks {
            Acks::None => ProduceOutcome::Silent,
            _ => ProduceOutcome::Answer(Some(error), -1),
        }
    }
}

impl PendingPartition {
    fn answer(&mut self, error: Option<KafkaError>) {
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
    pub replicas: BTreeMap<TopicPartition, Arc<ReplicaState>>,
    /// Leader brokers this broker has a fetch outstanding to.
    pub fetching_from: BTreeSet<NodeId>,
    pub parked_fetches: Vec<ParkedFetch>,
    /// Consumer fetches held for `fetch.max.wait.ms`, by consumer.
    #[serde(default)]
    pub parked_consumer_fetches: Vec<(NodeId, Vec<FetchPartition>)>,
    /// Consumers whose held fetch is READ_COMMITTED (they wait for the LSO, not the HW).
    #[serde(default)]
    pub read_committed_fetchers: BTreeSet<NodeId>,
    pub purgatory: Vec<PendingProduce>,
    /// Partitions whose fetching the user paused (`None` = all).
    pub paused: BTreeSet<Option<TopicPartition>>,
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
    pub verifying: BTreeMap<u64, txn::VerifyingProduce>,
    #[serde(default)]
    pub next_verification_id: u64,
}

fn ids(list: &[NodeId]) -> String {
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
            replicas: BTreeMap::new(),
            fetching_from: BTreeSet::new(),
            parked_fetches: Vec::new(),
            parked_consumer_fetches: Vec::new(),
            read_committed_fetchers: BTreeSet::new(),
            purgatory: Vec::new(),
            paused: BTreeSet::new(),
            timers: Timers::default(),
            groups: crate::coordinator::group::GroupCoordinator::default(),
            txns: crate::coordinator::txn::TxnCoordinator::default(),
            groups_out: false,
            deferred_group_writes: Vec::new(),
            txns_out: false,
            deferred_txn_writes: Vec::new(),
            pending_markers: Vec::new(),
            verifying: BTreeMap::new(),
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
        let mut changed: BTreeSet<TopicPartition> = BTreeSet::new();
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
            }
        }
    }

    /// Answers `tp` in every acks=all produce waiting on it with `error`.
    fn fail_produces(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition, error: KafkaError) {
        let me = self.id;
        for p in &mut self.purgatory {
            for part in &mut p.partitions {
                if &part.partition != tp || part.answered {
                    continue;
                }
                ctx.event(
                    EventKind::ProduceAck,
                    Some(tp.clone()),
                    format!(
                        "Broker {me} no longer leads {tp}: the acks=all write waiting at offsets {}..{} is answered {error}, the client retries on the new leader",
                        part.base_offset, part.required_offset
                    ),
                );
                part.answer(Some(error));
                part.base_offset = -1;
            }
        }
        self.answer_completed_produces(ctx);
    }

    /// Sends the answer of every waiting produce whose partitions all have theirs.
    fn answer_completed_produces(&mut self, ctx: &mut BrokerCtx) {
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.purgatory)
            .into_iter()
            .partition(|p| p.partitions.iter().all(|part| part.answered));
        self.purgatory = waiting;
        for p in done {
            self.timers.cancel(&BrokerTimer::ProduceTimeout {
                client: p.client,
                request_id: p.request_id,
            });
            ctx.send(
                p.client,
                Message::ProduceResponse {
                    request_id: p.request_id,
                    partitions: p
                        .partitions
                        .into_iter()
                        .map(|part| ProducePartitionResponse {
                            partition: part.partition,
                            error: part.error,
                            base_offset: part.base_offset,
                        })
                        .collect(),
                },
            );
        }
    }

    // ------------------------------------------------------------------ follower side

    /// Sends one fetch to each leader that this broker follows partitions on and that has no
    /// fetch outstanding.
    pub fn maybe_fetch(&mut self, ctx: &mut BrokerCtx) {
        if !self.alive || self.paused.contains(&None) {
            return;
        }
        let Some(broker_epoch) = self.broker_epoch else {
            return;
        };
        let mut by_leader: BTreeMap<NodeId, Vec<FetchPartition>> = BTreeMap::new();
        for (tp, replica) in &self.replicas {
            if replica.leader.is_some() || self.paused.contains(&Some(tp.clone())) {
                continue;
            }
            let Some(leader) = replica.registration.leader else {
                continue;
            };
            let leo = replica.log.log_end_offset();
            by_leader.entry(leader).or_default().push(FetchPartition {
                partition: tp.clone(),
                fetch_offset: leo,
                // `lastFetchedEpoch` is the latest epoch of the log's epoch cache
                // (`AbstractFetcherThread` takes `log.latestEpoch`), even one that starts at the
                // LEO because this broker led that epoch without writing: the leader then names
                // the divergence and the truncation removes that entry. Sending the epoch of the
                // last record instead left the entry behind, and a later record of an older
                // epoch erased the cache's true start of that epoch.
                last_fetched_epoch: replica.log.latest_epoch(),
                current_leader_epoch: replica.registration.leader_epoch,
                log_start_offset: replica.log.log_start_offset(),
                max_bytes: 0,
            });
        }
        for (leader, partitions) in by_leader {
            if self.fetching_from.contains(&leader) {
                continue;
            }
            self.fetching_from.insert(leader);
            ctx.send(
                leader,
                Message::Fetch(FetchRequest {
                    replica_id: self.id,
                    broker_epoch,
                    max_wait_ms: self.config("replica.fetch.wait.max.ms"),
                    partitions,
                    read_committed: false,
                }),
            );
            // A request or answer lost to a network partition never arrives: like the
            // fetcher's network client, give up after replica.socket.timeout.ms.
            self.set_timer(
                ctx,
                BrokerTimer::FetchTimeout { leader },
                REPLICA_SOCKET_TIMEOUT_MS,
            );
        }
    }

    pub fn handle_fetch_response(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        partitions: Vec<FetchPartitionResponse>,
    ) {
        self.fetching_from.remove(&from);
        self.timers
            .cancel(&BrokerTimer::FetchTimeout { leader: from });
        let me = self.id;
        let mut retry_later = false;
        for part in partitions {
            let tp = part.partition.clone();
            let Some(replica) = self.replicas.get_mut(&tp).map(Arc::make_mut) else {
                continue;
            };
            // A response from a broker that no longer leads the partition is stale.
            if replica.leader.is_some() || replica.registration.leader != Some(from) {
                continue;
            }
            if let Some(error) = part.error {
                retry_later = true;
                ctx.event(
                    EventKind::Deliver,
                    Some(tp.clone()),
                    format!("Broker {me}'s fetch of {tp} from broker {from} failed with {error}; it waits for new metadata"),
                );
                continue;
            }
            if let Some((epoch, end_offset)) = part.diverging_epoch {
                // KIP-279 (`AbstractFetcherThread.getOffsetTruncationState`): when we know the
                // leader's epoch, truncate to the smaller of its end offset on the leader and on
                // us; when we do not, to our own end offset of the largest epoch below it (the
                // next fetch then asks again from there); with no epoch at all, to the leader's.
                let (own_epoch, own_end) = replica.log.end_offset_for_epoch(epoch);
                let target = if own_end < 0 {
                    end_offset
                } else if own_epoch == epoch {
                    end_offset.min(own_end)
                } else {
                    own_end
                }
                .min(replica.log.log_end_offset());
                let before = replica.log.log_end_offset();
                let removed = replica.log.truncate_to(target);
                let n = removed.len();
                replica.truncated.extend(removed);
                let text = if n == 0 {
                    // `UnifiedLog.truncateTo` past the LEO still trims the epoch cache.
                    format!(
                        "Broker {me} keeps its LEO {before} of {tp} but drops the leader epochs its cache starts at {target} or later (epochs it led without writing): the leader says epoch {epoch} ends at {end_offset} (KIP-279)"
                    )
                } else {
                    format!(
                        "Broker {me} truncates {tp} from LEO {before} to {target}: the leader says epoch {epoch} ends at {end_offset}, so its {n} record(s) from there on never existed on the leader (KIP-279)"
                    )
                };
                ctx.event(EventKind::Truncate, Some(tp.clone()), text);
                continue;
            }
            let before_leo = replica.log.log_end_offset();
            replica.log.append_as_follower(&part.records);
            let leo = replica.log.log_end_offset();
            let old_hw = replica.log.high_watermark();
            replica.log.update_high_watermark(part.high_watermark);
            replica
                .log
                .maybe_increment_log_start_offset(part.log_start_offset);
            let hw = replica.log.high_watermark();
            if leo > before_leo || hw != old_hw {
                ctx.event(
                    EventKind::Deliver,
                    Some(tp.clone()),
                    format!(
                        "Broker {me} appends {} record(s) to {tp} (LEO {before_leo} → {leo}) and takes HW {hw} from the leader's response (leader HW {}, clamped to its own LEO)",
                        leo - before_leo,
                        part.high_watermark
                    ),
                );
            }
        }
        if retry_later {
            self.set_timer(
                ctx,
                BrokerTimer::FetchBackoff { leader: from },
                REPLICA_FETCH_BACKOFF_MS,
            );
        } else {
            self.maybe_fetch(ctx);
        }
    }

    /// The fetch sent to `leader` got no answer within `replica.socket.timeout.ms`: the request
    /// or its response was lost. Without this the follower would wait for it forever and never
    /// fetch from that leader again. The fetcher thread treats it as an error: it backs off for
    /// `replica.fetch.backoff.ms`, then fetches again.
    pub fn on_fetch_timeout(&mut self, ctx: &mut BrokerCtx, leader: NodeId) {
        if !self.fetching_from.remove(&leader) {
            return;
        }
        ctx.event(
            EventKind::Deliver,
            None,
            format!(
                "Broker {}'s fetch from broker {leader} got no answer within replica.socket.timeout.ms={REPLICA_SOCKET_TIMEOUT_MS}: it drops the connection and fetches again after replica.fetch.backoff.ms={REPLICA_FETCH_BACKOFF_MS}",
                self.id
            ),
        );
        self.set_timer(
            ctx,
            BrokerTimer::FetchBackoff { leader },
            REPLICA_FETCH_BACKOFF_MS,
        );
    }

    // ------------------------------------------------------------------ leader side

    /// `Partition.maybeIncrementLeaderHW`.
    pub fn maybe_increment_hw(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let min_isr = self
            .image
            .topic_config_i64(&tp.topic, "min.insync.replicas");
        let lag_max = self.config("replica.lag.time.max.ms");
        let now = ctx.now;
        let me = self.id;
        let image_active: BTreeSet<NodeId> = self
            .image
            .brokers
            .values()
            .filter(|b| b.is_active())
            .map(|b| b.id)
            .collect();
        let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
            return;
        };
        let Some(leader) = replica.leader.as_ref() else {
            return;
        };
        let isr = &replica.registration.isr;
        let effective_min_isr = min_isr.min(replica.registration.replicas.len() as i64);
        let old_hw = replica.log.high_watermark();
        let leo = replica.log.log_end_offset();
        if (isr.len() as i64) < effective_min_isr {
            // Strict min ISR (KAFKA-15583): the HW does not move at all.
            return;
        }
        let mut maximal_isr: Vec<NodeId> = isr.clone();
        if let Some(PendingIsr::Expand(new)) = &leader.pending_isr {
            maximal_isr = new.clone();
        }
        let mut candidate = leo;
        let mut holder: Option<NodeId> = None;
        for (&id, f) in &leader.followers {
            if f.log_end_offset >= candidate {
                continue;
            }
            let caught_up = f.log_end_offset >= leo || now - f.last_caught_up_time_ms <= lag_max;
            if maximal_isr.contains(&id) || (caught_up && image_active.contains(&id)) {
                candidate = f.log_end_offset.max(0);
                holder = Some(id);
            }
        }
        if candidate > old_hw && replica.log.update_high_watermark(candidate) {
            let why = match holder {
                Some(h) => format!(
                    "in-sync follower {h} has fetched up to {candidate}, the lowest LEO in the ISR {}",
                    ids(&maximal_isr)
                ),
                None => format!("every replica in the ISR {} has reached the leader's LEO", ids(&maximal_isr)),
            };
            ctx.event(
                EventKind::HighWatermark,
                Some(tp.clone()),
                format!("HW of {tp} on leader {me} advances {old_hw} → {candidate}: {why}"),
            );
            self.complete_produces(ctx, tp);
            self.complete_group_writes(ctx, tp);
            self.complete_txn_writes(ctx, tp);
            self.answer_parked_fetches(ctx, Some(tp));
            self.answer_parked_consumer_fetches(ctx, tp);
        }
    }

    pub fn handle_fetch(&mut self, ctx: &mut BrokerCtx, from: NodeId, request: FetchRequest) {
        let FetchRequest {
            replica_id,
            broker_epoch,
            max_wait_ms,
            partitions,
            read_committed,
            ..
        } = request;
        if replica_id < 0 {
            if read_committed {
                self.read_committed_fetchers.insert(from);
            } else {
                self.read_committed_fetchers.remove(&from);
            }
            self.handle_consumer_fetch(ctx, from, max_wait_ms, partitions);
            return;
        }
        let now = ctx.now;
        let me = self.id;
        let mut any_data = false;
        let mut touched = Vec::new();
        for part in &partitions {
            let tp = &part.partition;
            // Anything this broker cannot serve is answered at once, with an error.
            let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
                any_data = true;
                continue;
            };
            let Some(leader) = replica.leader.as_mut() else {
                any_data = true;
                continue;
            };
            if part.current_leader_epoch != replica.registration.leader_epoch {
                any_data = true;
                continue;
            }
            if part.last_fetched_epoch >= 0 {
                let (epoch, end) = replica.log.end_offset_for_epoch(part.last_fetched_epoch);
                if epoch < part.last_fetched_epoch || end < part.fetch_offset {
                    any_data = true;
                    continue;
                }
            }
            let leo = replica.log.log_end_offset();
            if let Some(f) = leader.followers.get_mut(&replica_id) {
                // `Replica.updateFetchStateOrThrow`.
                if part.fetch_offset >= leo {
                    f.last_caught_up_time_ms = now;
                } else if part.fetch_offset >= f.last_fetch_leader_log_end_offset
                    && f.last_fetch_leader_log_end_offset >= 0
                {
                    f.last_caught_up_time_ms = f.last_fetch_time_ms;
                }
                f.log_end_offset = part.fetch_offset;
                f.log_start_offset = part.log_start_offset;
                f.last_fetch_leader_log_end_offset = leo;
                f.last_fetch_time_ms = now;
                f.broker_epoch = broker_epoch;
            }
            if part.fetch_offset < leo {
                any_data = true;
            }
            touched.push(tp.clone());
        }
        for tp in &touched {
            self.maybe_expand_isr(ctx, tp, replica_id);
            self.maybe_increment_hw(ctx, tp);
        }
        let fetch = ParkedFetch {
            replica_id,
            partitions,
        };
        if any_data || max_wait_ms <= 0 {
            self.answer_fetch(ctx, from, &fetch);
        } else {
            ctx.event(
                EventKind::Deliver,
                None,
                format!(
                    "Leader {me} holds broker {from}'s fetch: nothing new past its fetch offsets, so it waits up to replica.fetch.wait.max.ms={max_wait_ms}"
                ),
            );
            self.parked_fetches.retain(|p| p.replica_id != replica_id);
            self.parked_fetches.push(fetch);
            self.set_timer(
                ctx,
                BrokerTimer::FetchWait {
                    replica: replica_id,
                },
                max_wait_ms,
            );
        }
    }

    /// Builds and sends the response to a follower fetch.
    fn answer_fetch(&mut self, ctx: &mut BrokerCtx, to: NodeId, fetch: &ParkedFetch) {
        let max_bytes = self.config("replica.fetch.max.bytes");
        let mut responses = Vec::new();
        for part in &fetch.partitions {
            let tp = &part.partition;
            let mut response = FetchPartitionResponse::empty(tp.clone());
            match self.replicas.get(tp) {
                Some(replica) if replica.leader.is_some() => {
                    let epoch = replica.registration.leader_epoch;
                    response.high_watermark = replica.log.high_watermark();
                    response.log_start_offset = replica.log.log_start_offset();
                    if part.current_leader_epoch < epoch {
                        response.error = Some(KafkaError::FENCED_LEADER_EPOCH);
                    } else if part.current_leader_epoch > epoch {
                        response.error = Some(KafkaError::UNKNOWN_LEADER_EPOCH);
                    } else {
                        let (e, end) = if part.last_fetched_epoch >= 0 {
                            replica.log.end_offset_for_epoch(part.last_fetched_epoch)
                        } else {
                            (-1, -1)
                        };
                        if part.last_fetched_epoch >= 0
                            && (e < part.last_fetched_epoch || end < part.fetch_offset)
                        {
                            response.diverging_epoch = Some((e, end));
                        } else {
                            let mut budget = max_bytes;
                            for r in replica.log.read(part.fetch_offset, i64::MAX) {
                                let size = record_size(r);
                                // Like Kafka, the first record is always returned.
                                if !response.records.is_empty() && budget < size {
                                    break;
                                }
                                budget -= size;
                                response.records.push(r.clone());
                            }
                        }
                    }
                }
                _ => response.error = Some(KafkaError::NOT_LEADER_OR_FOLLOWER),
            }
            responses.push(response);
        }
        ctx.send(
            to,
            Message::FetchResponse {
                partitions: responses,
            },
        );
    }

    /// Answers parked fetches that now have something to return (or all, on `None`).
    pub fn answer_parked_fetches(&mut self, ctx: &mut BrokerCtx, tp: Option<&TopicPartition>) {
        let parked = std::mem::take(&mut self.parked_fetches);
        for fetch in parked {
            let ready = match tp {
                None => true,
                Some(tp) => fetch.partitions.iter().any(|p| {
                    &p.partition == tp
                        && self
                            .replicas
                            .get(tp)
                            .is_some_and(|r| r.log.log_end_offset() > p.fetch_offset)
                }),
            };
            if ready {
                self.timers.cancel(&BrokerTimer::FetchWait {
                    replica: fetch.replica_id,
                });
                self.answer_fetch(ctx, fetch.replica_id, &fetch);
            } else {
                self.parked_fetches.push(fetch);
            }
        }
    }

    pub fn on_fetch_wait(&mut self, ctx: &mut BrokerCtx, replica: NodeId) {
        if let Some(pos) = self
            .parked_fetches
            .iter()
            .position(|p| p.replica_id == replica)
        {
            let fetch = self.parked_fetches.remove(pos);
            self.answer_fetch(ctx, replica, &fetch);
        }
    }

    /// `Partition.maybeExpandIsr`.
    fn maybe_expand_isr(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition, follower: NodeId) {
        let me = self.id;
        if self.broker_epoch.is_none() {
            return;
        }
        let eligible = self.image.is_active(follower);
        let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
            return;
        };
        let Some(leader) = replica.leader.as_mut() else {
            return;
        };
        let reg = &replica.registration;
        if reg.isr.contains(&follower)
            || leader.pending_isr.is_some()
            || !eligible
            || reg.leader_recovering
        {
            return;
        }
        let Some(f) = leader.followers.get(&follower) else {
            return;
        };
        let hw = replica.log.high_watermark();
        if f.log_end_offset < hw || f.log_end_offset < leader.leader_epoch_start_offset {
            return;
        }
        let mut new_isr = reg.isr.clone();
        new_isr.push(follower);
        leader.pending_isr = Some(PendingIsr::Expand(new_isr.clone()));
        ctx.event(
            EventKind::IsrExpand,
            Some(tp.clone()),
            format!(
                "Leader {me} asks the controller to add broker {follower} to the ISR of {tp}: its LEO {} has reached the HW {hw} in the current leader epoch (AlterPartition, ISR {} → {})",
                f.log_end_offset,
                ids(&reg.isr),
                ids(&new_isr)
            ),
        );
        self.send_alter_partition(ctx, tp);
    }

    /// Sends the pending ISR change of `tp` to the active controller. Like Kafka's
    /// `AlterPartitionManager`, whose channel to the controller resends a request that got no
    /// answer, it is sent again after `controller.socket.timeout.ms` until an answer or a
    /// metadata update settles it: a request lost to a stopped controller or a cut link (or
    /// never sent, with no controller known) would otherwise block every later ISR change of
    /// the partition.
    fn send_alter_partition(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let me = self.id;
        let (Some(broker_epoch), Some(replica)) = (self.broker_epoch, self.replicas.get(tp)) else {
            return;
        };
        let Some(PendingIsr::Expand(new_isr) | PendingIsr::Shrink(new_isr)) =
            replica.leader.as_ref().and_then(|l| l.pending_isr.clone())
        else {
            return;
        };
        let reg = &replica.registration;
        let message = Message::AlterPartition(AlterPartitionRequest {
            broker_id: me,
            broker_epoch,
            partition: tp.clone(),
            leader_epoch: reg.leader_epoch,
            partition_epoch: reg.partition_epoch,
            new_isr,
        });
        // With no active controller known yet, look again after a backoff.
        let retry_after_ms = match self.metadata.leader() {
            Some(controller) => {
                ctx.send(controller, message);
                CONTROLLER_SOCKET_TIMEOUT_MS
            }
            None => ALTER_PARTITION_RETRY_BACKOFF_MS,
        };
        self.set_timer(
            ctx,
            BrokerTimer::AlterPartitionTimeout {
                partition: tp.clone(),
            },
            retry_after_ms,
        );
    }

    /// The pending AlterPartition of `tp` got no answer in time, or a NOT_CONTROLLER one: send
    /// it again.
    pub fn on_alter_partition_timeout(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let pending = self
            .replicas
            .get(tp)
            .and_then(|r| r.leader.as_ref())
            .is_some_and(|l| l.pending_isr.is_some());
        if pending {
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!(
                    "Leader {} sends its AlterPartition for {tp} again (no answer within controller.socket.timeout.ms={CONTROLLER_SOCKET_TIMEOUT_MS}, or NOT_CONTROLLER)",
                    self.id
                ),
            );
            self.send_alter_partition(ctx, tp);
        }
    }

    /// The `isr-expiration` task: shrink the ISR of every led partition with lagging members.
    pub fn on_isr_expiration(&mut self, ctx: &mut BrokerCtx) {
        let lag_max = self.config("replica.lag.time.max.ms");
        self.set_timer(ctx, BrokerTimer::IsrExpiration, (lag_max / 2).max(1));
        let now = ctx.now;
        let me = self.id;
        if self.broker_epoch.is_none() {
            return;
        }
        let mut shrinking = Vec::new();
        for (tp, replica) in self.replicas.iter_mut() {
            if replica
                .leader
                .as_ref()
                .is_none_or(|l| l.pending_isr.is_some())
            {
                continue;
            }
            // Only a leader without an ISR change in flight is looked at, and only one that
            // shrinks is changed (copied if a snapshot shares it).
            let lagging_any = {
                let leader = replica.leader.as_ref().expect("checked above");
                let leo = replica.log.log_end_offset();
                replica.registration.isr.iter().any(|&id| {
                    id != me
                        && leader.followers.get(&id).is_none_or(|f| {
                            !(f.log_end_offset >= leo || now - f.last_caught_up_time_ms <= lag_max)
                        })
                })
            };
            if !lagging_any {
                continue;
            }
            let replica = Arc::make_mut(replica);
            let Some(leader) = replica.leader.as_mut() else {
                continue;
            };
            let leo = replica.log.log_end_offset();
            let reg = &replica.registration;
            let out_of_sync: Vec<NodeId> = reg
                .isr
                .iter()
                .copied()
                .filter(|&id| id != me)
                .filter(|id| {
                    leader.followers.get(id).is_none_or(|f| {
                        !(f.log_end_offset >= leo || now - f.last_caught_up_time_ms <= lag_max)
                    })
                })
                .collect();
            if out_of_sync.is_empty() {
                continue;
            }
            let new_isr: Vec<NodeId> = reg
                .isr
                .iter()
                .copied()
                .filter(|id| !out_of_sync.contains(id))
                .collect();
            leader.pending_isr = Some(PendingIsr::Shrink(new_isr.clone()));
            let lagging: Vec<String> = out_of_sync
                .iter()
                .map(|id| {
                    let f = leader.followers.get(id);
                    format!(
                        "broker {id} (LEO {}, last caught up {} ms ago)",
                        f.map_or(-1, |f| f.log_end_offset),
                        f.map_or(now, |f| now - f.last_caught_up_time_ms)
                    )
                })
                .collect();
            ctx.event(
                EventKind::IsrShrink,
                Some(tp.clone()),
                format!(
                    "Leader {me} asks the controller to shrink the ISR of {tp} {} → {}: {} not caught up to LEO {leo} within replica.lag.time.max.ms={lag_max}",
                    ids(&reg.isr),
                    ids(&new_isr),
                    lagging.join(", ")
                ),
            );
            shrinking.push(tp.clone());
        }
        for tp in shrinking {
            self.send_alter_partition(ctx, &tp);
        }
    }

    pub fn handle_alter_partition_response(
        &mut self,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
        error: Option<KafkaError>,
        isr: Vec<NodeId>,
        leader_epoch: i32,
        partition_epoch: i32,
    ) {
        let me = self.id;
        let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
            return;
        };
        let Some(leader) = replica.leader.as_mut() else {
            return;
        };
        if error == Some(KafkaError::NOT_CONTROLLER) && leader.pending_isr.is_some() {
            // The channel to the controller (`NodeToControllerRequestThread`) does not hand
            // NOT_CONTROLLER to the partition: it drops the connection and sends the request
            // again to the active controller once it knows it. Clearing the change instead
            // lost it for good when it was the only one coming: a leader elected uncleanly
            // then stayed RECOVERING, and its ISR could never grow again.
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!("Leader {me}'s AlterPartition for {tp} reached a controller that is not the active one (NOT_CONTROLLER): it sends it again after retry.backoff.ms={ALTER_PARTITION_RETRY_BACKOFF_MS}"),
            );
            self.set_timer(
                ctx,
                BrokerTimer::AlterPartitionTimeout {
                    partition: tp.clone(),
                },
                ALTER_PARTITION_RETRY_BACKOFF_MS,
            );
            return;
        }
        leader.pending_isr = None;
        self.timers.cancel(&BrokerTimer::AlterPartitionTimeout {
            partition: tp.clone(),
        });
        match error {
            None => {
                if leader_epoch == replica.registration.leader_epoch
                    && partition_epoch >= replica.registration.partition_epoch
                {
                    replica.registration.isr = isr.clone();
                    replica.registration.partition_epoch = partition_epoch;
                }
                ctx.event(
                    EventKind::Deliver,
                    Some(tp.clone()),
                    format!(
                        "The controller committed ISR {} for {tp} (partition epoch {partition_epoch}); leader {me} uses it from now on",
                        ids(&isr)
                    ),
                );
                self.maybe_increment_hw(ctx, tp);
            }
            Some(e) => ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!("The controller rejected leader {me}'s ISR change for {tp} with {e}; the leader keeps the last committed ISR"),
            ),
        }
    }

    // ------------------------------------------------------------------ produce

    /// A Produce request: transactional batches that need it are verified with their
    /// coordinator first ([`Broker::maybe_verify_produce`]), then each partition's batch is
    /// checked and appended on its own (`ReplicaManager.appendRecords`); the answer goes out
    /// when every partition has one (at once, or from purgatory for acks=all).
    pub fn handle_produce(&mut self, ctx: &mut BrokerCtx, client: NodeId, request: ProduceRequest) {
        let ProduceRequest {
            request_id,
            transactional_id,
            acks,
            timeout_ms,
            partitions,
            ..
        } = request;
        let request = crate::broker::txn::VerifyingProduce {
            client,
            request_id,
            acks,
            timeout_ms,
            partitions,
            guards: BTreeMap::new(),
        };
        if let Some(request) = self.maybe_verify_produce(ctx, request, transactional_id.as_deref())
        {
            self.append_produce(ctx, request, &BTreeMap::new());
        }
    }

    /// Appends a Produce request's batches, but refuses those in `errors` (a failed
    /// verification).
    pub(crate) fn append_produce(
        &mut self,
        ctx: &mut BrokerCtx,
        request: crate::broker::txn::VerifyingProduce,
        errors: &BTreeMap<TopicPartition, KafkaError>,
    ) {
        let crate::broker::txn::VerifyingProduce {
            client,
            request_id,
            acks,
            timeout_ms,
            partitions,
            guards,
        } = request;
        let mut statuses = Vec::with_capacity(partitions.len());
        let mut appended = Vec::new();
        let mut waits = false;
        for ProducePartition { partition, records } in partitions {
            let outcome = match errors.get(&partition) {
                Some(&e) => ProduceOutcome::refused(acks, e),
                None => {
                    let guard = guards.get(&partition).copied();
                    self.produce_partition(ctx, &partition, acks, records, guard, &mut appended)
                }
            };
            let (error, base_offset, required_offset, answered) = match outcome {
                ProduceOutcome::Silent => continue,
                ProduceOutcome::Answer(error, base) => (error, base, base, true),
                ProduceOutcome::Wait {
                    base_offset,
                    required_offset,
                } => {
                    waits = true;
                    (None, base_offset, required_offset, false)
                }
            };
            statuses.push(PendingPartition {
                partition,
                base_offset,
                required_offset,
                answered,
                error,
            });
        }
        if !statuses.is_empty() {
            self.purgatory.push(PendingProduce {
                request_id,
                client,
                partitions: statuses,
            });
            if waits {
                self.set_timer(
                    ctx,
                    BrokerTimer::ProduceTimeout { client, request_id },
                    timeout_ms,
                );
            } else {
                self.answer_completed_produces(ctx);
            }
        }
        for tp in appended {
            self.after_leader_append(ctx, &tp);
        }
    }

    /// One partition's batch of a Produce request: refused, recognised as a retry, or
    /// appended (its partition then goes into `appended`).
    fn produce_partition(
        &mut self,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
        acks: Acks,
        records: Vec<Record>,
        guard: Option<u64>,
        appended: &mut Vec<TopicPartition>,
    ) -> ProduceOutcome {
        let me = self.id;
        let refuse = |error: KafkaError| ProduceOutcome::refused(acks, error);
        let min_isr = self
            .image
            .topic_config_i64(&tp.topic, "min.insync.replicas");
        let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!("Broker {me} has no replica of {tp}: NOT_LEADER_OR_FOLLOWER"),
            );
            return refuse(KafkaError::NOT_LEADER_OR_FOLLOWER);
        };
        if replica.leader.is_none() {
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!(
                    "Broker {me} is not the leader of {tp} (leader: {}): NOT_LEADER_OR_FOLLOWER, the client must refresh its metadata",
                    replica
                        .registration
                        .leader
                        .map_or("none".to_string(), |l| format!("broker {l}"))
                ),
            );
            return refuse(KafkaError::NOT_LEADER_OR_FOLLOWER);
        }
        let isr_len = replica.registration.isr.len() as i64;
        let effective_min_isr = min_isr.min(replica.registration.replicas.len() as i64);
        if acks == Acks::All && isr_len < effective_min_isr {
            ctx.event(
                EventKind::ProduceAck,
                Some(tp.clone()),
                format!(
                    "Leader {me} refuses the acks=all write to {tp}: the ISR {} has {isr_len} member(s), fewer than min.insync.replicas={min_isr}, so nothing is appended (NOT_ENOUGH_REPLICAS)",
                    ids(&replica.registration.isr)
                ),
            );
            return refuse(KafkaError::NOT_ENOUGH_REPLICAS);
        }
        let epoch = replica.registration.leader_epoch;
        let n = records.len();
        let header = records.first().and_then(|r| r.batch.clone());
        let producer_text = header
            .as_deref()
            .filter(|h| h.producer_id >= 0)
            .map(|h| {
                format!(
                    " (producer id {}, epoch {}, sequences {}..={}{})",
                    h.producer_id,
                    h.producer_epoch,
                    h.base_sequence,
                    h.last_sequence,
                    if h.transactional {
                        ", transactional"
                    } else {
                        ""
                    }
                )
            })
            .unwrap_or_default();
        if let Some(h) = header.as_deref() {
            let check = replica.log.producer_state().check(h);
            // `UnifiedLog.analyzeAndValidateProducerState`: after the duplicate check, a
            // transactional batch that opens a transaction here must carry the guard its
            // verification created, which a marker since then has cleared.
            let state = replica.log.producer_state();
            if h.transactional
                && h.control.is_none()
                && !matches!(
                    check,
                    Ok(crate::producer_state::AppendCheck::Duplicate { .. })
                )
                && !state.has_ongoing(h.producer_id)
                && (guard.is_none() || state.verification_guard(h.producer_id) != guard)
                && self
                    .image
                    .broker_config_bool("transaction.partition.verification.enable")
            {
                ctx.event(
                    EventKind::ProduceAck,
                    Some(tp.clone()),
                    format!("Leader {me} refuses a transactional batch for {tp}{producer_text}: INVALID_TXN_STATE, it is not part of an ongoing transaction the coordinator verified (a marker ended the transaction since), so it cannot open a transaction nobody will close"),
                );
                return refuse(KafkaError::INVALID_TXN_STATE);
            }
            match check {
                Err(e) => {
                    let why = match e {
                        KafkaError::INVALID_PRODUCER_EPOCH => format!(
                            "producer id {} has moved on to a newer epoch than {}: this producer instance is a zombie, fenced",
                            h.producer_id, h.producer_epoch
                        ),
                        KafkaError::INVALID_TXN_STATE => format!(
                            "producer id {} has a transaction open on {tp}, so a non-transactional batch is refused",
                            h.producer_id
                        ),
                        _ => format!(
                            "the partition expects sequence {} next from producer id {}",
                            replica
                                .log
                                .producer_state()
                                .expected_sequence(h.producer_id)
                                .map_or("0 (new epoch)".to_string(), |s| s.to_string()),
                            h.producer_id
                        ),
                    };
                    ctx.event(
                        EventKind::ProduceAck,
                        Some(tp.clone()),
                        format!("Leader {me} refuses a batch for {tp}{producer_text}: {e}, {why}"),
                    );
                    return refuse(e);
                }
                Ok(crate::producer_state::AppendCheck::Duplicate {
                    first_offset,
                    last_offset,
                }) => {
                    let hw = replica.log.high_watermark();
                    ctx.event(
                        EventKind::Append,
                        Some(tp.clone()),
                        format!("Leader {me} recognises a retried batch for {tp}{producer_text}: the same producer id, epoch and sequences are already in the log at offsets {first_offset}..={last_offset}, so it appends nothing and answers with the original offsets (idempotence)"),
                    );
                    return match acks {
                        Acks::None => ProduceOutcome::Silent,
                        Acks::All if hw <= last_offset => ProduceOutcome::Wait {
                            base_offset: first_offset,
                            required_offset: last_offset + 1,
                        },
                        _ => ProduceOutcome::Answer(None, first_offset),
                    };
                }
                Ok(_) => {}
            }
        }
        let (first, last) = replica.log.append_as_leader(epoch, records);
        let hw = replica.log.high_watermark();
        ctx.event(
            EventKind::Append,
            Some(tp.clone()),
            format!(
                "Leader {me} appends {n} record(s) to {tp} at offsets {first}..={last} in leader epoch {epoch}{producer_text}; LEO is now {}, HW stays {hw} until the ISR has them",
                last + 1
            ),
        );
        appended.push(tp.clone());
        match acks {
            Acks::None => ProduceOutcome::Silent,
            Acks::Leader => ProduceOutcome::Answer(None, first),
            Acks::All => ProduceOutcome::Wait {
                base_offset: first,
                required_offset: last + 1,
            },
        }
    }

    /// After the leader appended to `tp`: the HW moves if the ISR allows (which completes
    /// whatever waited for it: produces, coordinator writes, markers), and followers' fetches
    /// parked on it are answered now (`DelayedFetch` completes on append), so the records
    /// are replicated without waiting out `replica.fetch.wait.max.ms`.
    pub(crate) fn after_leader_append(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        self.maybe_increment_hw(ctx, tp);
        self.answer_parked_fetches(ctx, Some(tp));
    }

    /// Answers `tp` in parked acks=all produces whose records are now below the HW
    /// (`DelayedProduce.tryComplete` / `checkEnoughReplicasReachOffset`), and sends the
    /// requests that have every answer.
    fn complete_produces(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let Some(replica) = self.replicas.get(tp) else {
            return;
        };
        let hw = replica.log.high_watermark();
        let min_isr = self
            .image
            .topic_config_i64(&tp.topic, "min.insync.replicas");
        let isr_len = replica.registration.isr.len() as i64;
        let isr_text = ids(&replica.registration.isr);
        let mut any = false;
        for p in &mut self.purgatory {
            for part in &mut p.partitions {
                if &part.partition != tp || part.answered || hw < part.required_offset {
                    continue;
                }
                let error =
                    (isr_len < min_isr).then_some(KafkaError::NOT_ENOUGH_REPLICAS_AFTER_APPEND);
                let text = match error {
                    None => format!(
                        "The acks=all write to {tp} at offsets {}..{} is committed: HW {hw} has passed it with ISR {isr_text}, so the leader acknowledges it",
                        part.base_offset, part.required_offset
                    ),
                    Some(_) => format!(
                        "The write to {tp} reached HW {hw} but the ISR shrank to {isr_text}, below min.insync.replicas={min_isr}: NOT_ENOUGH_REPLICAS_AFTER_APPEND (the records are in the log)"
                    ),
                };
                ctx.event(EventKind::ProduceAck, Some(tp.clone()), text);
                part.answer(error);
                any = true;
            }
        }
        if any {
            self.answer_completed_produces(ctx);
        }
    }

    /// `request.timeout.ms` ran out on a waiting produce: the partitions still waiting are
    /// answered REQUEST_TIMED_OUT, and the request goes out.
    pub fn on_produce_timeout(&mut self, ctx: &mut BrokerCtx, client: NodeId, request_id: i64) {
        let Some(p) = self
            .purgatory
            .iter_mut()
            .find(|p| p.client == client && p.request_id == request_id)
        else {
            return;
        };
        for part in p.partitions.iter_mut().filter(|part| !part.answered) {
            let hw = self
                .replicas
                .get(&part.partition)
                .map_or(-1, |r| r.log.high_watermark());
            ctx.event(
                EventKind::ProduceAck,
                Some(part.partition.clone()),
                format!(
                    "The acks=all write to {} timed out: HW {hw} never reached {} within request.timeout.ms (REQUEST_TIMED_OUT); the records stay in the leader's log",
                    part.partition, part.required_offset
                ),
            );
            part.answer(Some(KafkaError::REQUEST_TIMED_OUT));
        }
        self.answer_completed_produces(ctx);
    }

    /// A consumer's fetch: read up to the HW at once if there is anything to read; otherwise,
    /// with `max_wait_ms > 0` (`fetch.max.wait.ms`), hold it until the HW moves on one of its
    /// partitions or the wait runs out (`DelayedFetch`).
    fn handle_consumer_fetch(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        max_wait_ms: i64,
        partitions: Vec<FetchPartition>,
    ) {
        let committed = self.read_committed_fetchers.contains(&from);
        let nothing_yet = partitions.iter().all(|p| {
            self.replicas.get(&p.partition).is_some_and(|r| {
                r.leader.is_some()
                    && p.fetch_offset >= r.log.log_start_offset()
                    && p.fetch_offset >= readable_end(&r.log, committed)
                    && p.fetch_offset <= r.log.log_end_offset()
            })
        });
        if max_wait_ms > 0 && nothing_yet {
            self.parked_consumer_fetches
                .retain(|(consumer, _)| *consumer != from);
            self.parked_consumer_fetches.push((from, partitions));
            self.set_timer(
                ctx,
                BrokerTimer::ConsumerFetchWait { consumer: from },
                max_wait_ms,
            );
            return;
        }
        self.answer_consumer_fetch(ctx, from, partitions);
    }

    /// Answers held consumer fetches that include `tp` (its HW moved).
    fn answer_parked_consumer_fetches(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parked_consumer_fetches)
            .into_iter()
            .partition(|(_, parts)| parts.iter().any(|p| &p.partition == tp));
        self.parked_consumer_fetches = waiting;
        for (consumer, partitions) in ready {
            self.timers
                .cancel(&BrokerTimer::ConsumerFetchWait { consumer });
            self.answer_consumer_fetch(ctx, consumer, partitions);
        }
    }

    /// `fetch.max.wait.ms` ran out for a held consumer fetch: answer with what there is.
    pub fn on_consumer_fetch_wait(&mut self, ctx: &mut BrokerCtx, consumer: NodeId) {
        if let Some(pos) = self
            .parked_consumer_fetches
            .iter()
            .position(|(c, _)| *c == consumer)
        {
            let (_, partitions) = self.parked_consumer_fetches.remove(pos);
            self.answer_consumer_fetch(ctx, consumer, partitions);
        }
    }

    fn answer_consumer_fetch(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        partitions: Vec<FetchPartition>,
    ) {
        let me = self.id;
        let committed = self.read_committed_fetchers.contains(&from);
        let mut responses = Vec::new();
        for part in partitions {
            let tp = part.partition.clone();
            let mut response = FetchPartitionResponse::empty(tp.clone());
            match self.replicas.get(&tp) {
                Some(r) if r.leader.is_some() => {
                    let hw = r.log.high_watermark();
                    let lso = r.log.last_stable_offset();
                    // read_committed reads up to the LSO, read_uncommitted up to the HW.
                    let end = readable_end(&r.log, committed);
                    let start = r.log.log_start_offset();
                    response.high_watermark = hw;
                    response.last_stable_offset = lso;
                    response.log_start_offset = start;
                    if part.fetch_offset < start || part.fetch_offset > r.log.log_end_offset() {
                        response.error = Some(KafkaError::OFFSET_OUT_OF_RANGE);
                    } else {
                        // read_uncommitted consumers read up to the HW, never past it.
                        // `max.partition.fetch.bytes`, though the first record always fits.
                        let mut budget = if part.max_bytes > 0 {
                            part.max_bytes
                        } else {
                            i64::MAX
                        };
                        let mut first = true;
                        response.records = r
                            .log
                            .read(part.fetch_offset, end)
                            .take_while(|rec| {
                                budget -= record_size(rec);
                                let fits = budget >= 0 || first;
                                first = false;
                                fits
                            })
                            .cloned()
                            .collect();
                        if response.records.is_empty() && part.fetch_offset >= end {
                            // Nothing committed past the position: an empty answer, no event.
                            responses.push(response);
                            continue;
                        }
                        if committed {
                            let upto = response.records.last().map_or(end, |r| r.offset + 1);
                            response.aborted_transactions = r
                                .log
                                .producer_state()
                                .aborted_between(part.fetch_offset, upto);
                        }
                    }
                    let text = match response.error {
                        Some(e) => format!("A consumer asked {tp} for offset {} on leader {me}: {e} (log start {start}, LEO {})", part.fetch_offset, r.log.log_end_offset()),
                        None if committed => format!(
                            "A read_committed consumer reads {} record(s) of {tp} from offset {} on leader {me}: it may read only below the last stable offset {lso} (HW {hw}){}",
                            response.records.len(),
                            part.fetch_offset,
                            match response.aborted_transactions.len() {
                                0 => String::new(),
                                n => format!(", with {n} aborted transaction(s) to skip"),
                            }
                        ),
                        None => format!(
                            "A consumer reads {} record(s) of {tp} from offset {} on leader {me}: it may read only below the HW {hw}, though the LEO is {}",
                            response.records.len(),
                            part.fetch_offset,
                            r.log.log_end_offset()
                        ),
                    };
                    ctx.event(EventKind::Consume, Some(tp.clone()), text);
                }
                _ => response.error = Some(KafkaError::NOT_LEADER_OR_FOLLOWER),
            }
            responses.push(response);
        }
        ctx.send(
            from,
            Message::FetchResponse {
                partitions: responses,
            },
        );
    }

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

/// Where a consumer's read stops: the LSO for read_committed, the HW otherwise.
fn readable_end(log: &crate::log::PartitionLog, read_committed: bool) -> i64 {
    if read_committed {
        log.last_stable_offset()
    } else {
        log.high_watermark()
    }
}

pub fn record_size(r: &Record) -> i64 {
    RECORD_OVERHEAD_BYTES
        + r.key.as_ref().map_or(0, |k| k.len() as i64)
        + r.value.as_ref().map_or(0, |v| v.len() as i64)
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
