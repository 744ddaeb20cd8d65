//! The transaction coordinator inside each broker, the producer-id blocks it hands out, and
//! the partition leader's side of transaction markers (kafka-semantics.md §5).
//!
//! Follows `core/src/main/scala/kafka/coordinator/transaction/` in apache/kafka
//! (`TransactionCoordinator`, `TransactionMetadata`, `TransactionStateManager`,
//! `TransactionMarkerChannelManager`) and `ProducerIdManager` (KIP-730):
//! - a `transactional.id` belongs to partition `abs(transactionalId.hashCode) %
//!   transaction.state.log.num.partitions` of `__transaction_state`; its leader is the
//!   coordinator. Every state change is a record in that partition and takes effect only once
//!   the partition's HW has passed it; a new leader replays the partition to load the state;
//! - InitProducerId bumps the epoch (fencing every older instance); against an open
//!   transaction it first aborts it with a bumped epoch and answers CONCURRENT_TRANSACTIONS,
//!   so the client asks again; producer ids come in blocks of 1000 from the controller
//!   (`AllocateProducerIds`, a `ProducerIdsRecord` in the metadata log);
//! - AddPartitionsToTxn / AddOffsetsToTxn: `Empty|Complete* → Ongoing`, partitions added;
//! - EndTxn: `Ongoing → PrepareCommit|PrepareAbort`, then WriteTxnMarkers to every partition
//!   leader, then `CompleteCommit|CompleteAbort` once every marker is written;
//! - a transaction open longer than its `transaction.timeout.ms` is aborted with an epoch bump,
//!   checked every `transaction.abort.timed.out.transaction.cleanup.interval.ms`;
//! - a partition leader writes a marker as a control record, checks the producer epoch and the
//!   coordinator epoch (TRANSACTION_COORDINATOR_FENCED), and answers once the HW passes it. A
//!   COMMIT marker on a `__consumer_offsets` partition makes the transaction's offsets count;
//! - transaction verification (KIP-890 part 1, `transaction.partition.verification.enable`):
//!   before a producer's first transactional batch on a partition, its leader holds the
//!   Produce request and asks the coordinator (`AddPartitionsToTxn` with `verifyOnly`)
//!   whether the partition is in the producer's ongoing transaction; the log keeps a
//!   verification guard that any transactional append of the producer (data or marker)
//!   clears, so a batch that arrives after its transaction ended is refused
//!   (INVALID_TXN_STATE) instead of opening a transaction nobody closes
//!   (`AddPartitionsToTxnManager`, `ReplicaManager.appendRecords`,
//!   `UnifiedLog.analyzeAndValidateProducerState`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::broker::{BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::coordinator::group::{offsets_partition, OFFSETS_TOPIC};
use crate::coordinator::{coordinator_change, CoordinatorChange};
use crate::coordinator_record::{CoordinatorRecord, TxnMetadata, TxnStatus};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::{Message, ProducePartition};
use crate::record::BatchHeader;
use crate::record::ControlType;
use crate::record::Record;

pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";

/// `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;

/// How long a write to `__transaction_state` may wait for its replicas (the broker's
/// `request.timeout.ms`, which `TransactionStateManager` uses for its appends).
pub const TXN_WRITE_TIMEOUT_MS: i64 = 30_000;

/// How long the coordinator waits before sending markers again to a partition without a
/// leader (the marker channel's retry).
pub const MARKER_RETRY_MS: i64 = 100;

/// The coordinator partition of a transactional id.
pub fn txn_partition(transactional_id: &str, partitions: i32) -> i32 {
    offsets_partition(transactional_id, partitions)
}

/// A state change waiting for the HW of its `__transaction_state` partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnWrite {
    pub partition: i32,
    pub required_hw: i64,
    pub deadline_ms: i64,
    pub metadata: TxnMetadata,
    pub then: TxnThen,
}

/// What follows a state change once it is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnThen {
    /// Answer InitProducerId with the new id and epoch.
    InitProducerId {
        node: NodeId,
    },
    /// Answer AddPartitionsToTxn.
    AddPartitions {
        node: NodeId,
        partitions: Vec<TopicPartition>,
    },
    AddOffsets {
        node: NodeId,
        group_id: String,
    },
    /// Answer EndTxn (if asked) and send the markers.
    Prepare {
        node: Option<NodeId>,
    },
    /// The transaction is complete.
    Complete,
}

/// The transaction coordinator's state on one broker.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnCoordinator {
    /// `__transaction_state` partitions loaded, with the coordinator epoch (leader epoch).
    pub loaded: BTreeMap<i32, i32>,
    pub txns: BTreeMap<String, TxnMetadata>,
    pub pending_writes: Vec<TxnWrite>,
    /// Markers not yet acknowledged, per transactional id.
    pub markers_outstanding: BTreeMap<String, BTreeSet<TopicPartition>>,
    /// The producer-id block: next id and end (exclusive).
    pub pid_block: Option<(i64, i64)>,
    /// When an AllocateProducerIds request went out, if one is waiting.
    pub allocating_since: Option<i64>,
    /// InitProducerId requests waiting for a block: (client, transactional id, timeout).
    pub waiting_for_pids: Vec<(NodeId, Option<String>, i64)>,
    /// Markers this broker wrote as a partition leader, waiting for the HW before the answer.
    pub pending_markers: Vec<PendingMarker>,
    /// Transactional offsets per (group, producer id), applied on a COMMIT marker.
    pub pending_offsets: BTreeMap<(String, i64), Vec<(TopicPartition, i64)>>,
    /// Produce requests this broker, as a partition leader, holds while the coordinator
    /// verifies their transactional batches (KIP-890), by verification id.
    #[serde(default)]
    pub verifying: BTreeMap<u64, VerifyingProduce>,
    #[serde(default)]
    pub next_verification_id: u64,
}

/// A produce request held for transaction verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyingProduce {
    pub client: NodeId,
    pub request_id: i64,
    pub acks: crate::command::Acks,
    pub timeout_ms: i64,
    pub partitions: Vec<ProducePartition>,
    /// The guard each verified partition's log holds for the producer.
    pub guards: BTreeMap<TopicPartition, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMarker {
    pub coordinator: NodeId,
    pub transactional_id: String,
    pub producer_id: i64,
    pub partition: TopicPartition,
    pub required_hw: i64,
}

fn state_tp(p: i32) -> TopicPartition {
    TopicPartition::new(TRANSACTION_STATE_TOPIC, p)
}

fn list(tps: &BTreeSet<TopicPartition>) -> String {
    if tps.is_empty() {
        return "no partition".to_string();
    }
    tps.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Broker {
    /// The partition count of `__transaction_state`: the topic's, once it exists.
    pub fn txn_partitions(&self) -> i32 {
        self.image.internal_partitions(
            TRANSACTION_STATE_TOPIC,
            "transaction.state.log.num.partitions",
        )
    }

    fn txn_coordinates(&self, tid: &str) -> Option<(i32, i32)> {
        let p = txn_partition(tid, self.txn_partitions());
        self.txns.loaded.get(&p).map(|&epoch| (p, epoch))
    }

    /// `FindCoordinator(TRANSACTION)`.
    pub fn handle_find_txn_coordinator(&mut self, ctx: &mut BrokerCtx, from: NodeId, tid: String) {
        let n = self.txn_partitions();
        let p = txn_partition(&tid, n);
        let tp = state_tp(p);
        let leader = self.image.live_leader(&tp);
        let me = self.id;
        ctx.event(
            EventKind::Txn,
            None,
            match leader {
                Some(l) => format!("Broker {me} answers FindCoordinator for transactional.id {tid}: abs(\"{tid}\".hashCode) % {n} = {p}, and {tp} is led by broker {l}, so broker {l} is its transaction coordinator"),
                None => format!("Broker {me} answers FindCoordinator for transactional.id {tid} with COORDINATOR_NOT_AVAILABLE: {tp} has no live leader (yet)"),
            },
        );
        ctx.send(
            from,
            Message::FindCoordinatorResponse {
                group_id: tid,
                error: leader
                    .is_none()
                    .then_some(KafkaError::COORDINATOR_NOT_AVAILABLE),
                node: leader,
            },
        );
    }

    // ------------------------------------------------------------------ producer ids

    /// The next producer id of this broker's block, asking the controller for a block when
    /// it has none left.
    fn next_producer_id(&mut self, ctx: &mut BrokerCtx) -> Option<i64> {
        if let Some((next, end)) = self.txns.pid_block {
            if next < end {
                self.txns.pid_block = Some((next + 1, end));
                return Some(next);
            }
        }
        self.txns.pid_block = None;
        self.request_producer_ids(ctx);
        None
    }

    fn request_producer_ids(&mut self, ctx: &mut BrokerCtx) {
        if self
            .txns
            .allocating_since
            .is_some_and(|since| ctx.now - since < 5_000)
        {
            return;
        }
        let (Some(controller), Some(epoch)) = (self.metadata.leader(), self.broker_epoch) else {
            return;
        };
        self.txns.allocating_since = Some(ctx.now);
        ctx.send(
            controller,
            Message::AllocateProducerIds {
                broker_id: self.id,
                broker_epoch: epoch,
            },
        );
    }

    pub fn handle_allocate_producer_ids_response(
        &mut self,
        ctx: &mut BrokerCtx,
        error: Option<KafkaError>,
        first: i64,
        count: i64,
    ) {
        self.txns.allocating_since = None;
        if error.is_some() {
            return;
        }
        self.txns.pid_block = Some((first, first + count));
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Broker {} gets producer ids {first}..{} from the controller (a block of {count}, KIP-730)",
                self.id,
                first + count - 1
            ),
        );
        for (node, tid, timeout) in std::mem::take(&mut self.txns.waiting_for_pids) {
            self.handle_init_producer_id(ctx, node, tid, timeout);
        }
    }

    // ------------------------------------------------------------------ InitProducerId

    pub fn handle_init_producer_id(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        tid: Option<String>,
        timeout_ms: i64,
    ) {
        let reply = |ctx: &mut BrokerCtx, error: Option<KafkaError>, pid: i64, epoch: i16| {
            ctx.send(
                from,
                Message::InitProducerIdResponse {
                    error,
                    producer_id: pid,
                    producer_epoch: epoch,
                },
            )
        };
        let me = self.id;
        let Some(tid) = tid else {
            // Idempotence only: a fresh id with epoch 0, from any broker.
            match self.next_producer_id(ctx) {
                Some(pid) => {
                    ctx.event(
                        EventKind::Txn,
                        None,
                        format!("Broker {me} gives an idempotent producer id {pid}, epoch 0"),
                    );
                    reply(ctx, None, pid, 0);
                }
                None => self.txns.waiting_for_pids.push((from, None, timeout_ms)),
            }
            return;
        };
        let Some((p, _)) = self.txn_coordinates(&tid) else {
            reply(ctx, Some(KafkaError::NOT_COORDINATOR), -1, -1);
            return;
        };
        let max = self.image.broker_config_i64("transaction.max.timeout.ms");
        if timeout_ms > max || timeout_ms <= 0 {
            ctx.event(
                EventKind::Txn,
                None,
                format!("Coordinator {me} refuses transaction.timeout.ms={timeout_ms} for {tid}: above transaction.max.timeout.ms={max} (INVALID_TRANSACTION_TIMEOUT)"),
            );
            reply(ctx, Some(KafkaError::INVALID_TRANSACTION_TIMEOUT), -1, -1);
            return;
        }
        if self.txn_write_pending(&tid) {
            reply(ctx, Some(KafkaError::CONCURRENT_TRANSACTIONS), -1, -1);
            return;
        }
        let now = ctx.now;
        let current = self.txns.txns.get(&tid).cloned();
        match current {
            None => {
                let Some(pid) = self.next_producer_id(ctx) else {
                    self.txns
                        .waiting_for_pids
                        .push((from, Some(tid), timeout_ms));
                    return;
                };
                let meta = TxnMetadata {
                    transactional_id: tid.clone(),
                    producer_id: pid,
                    producer_epoch: 0,
                    timeout_ms,
                    state: TxnStatus::Empty,
                    partitions: BTreeSet::new(),
                    start_ms: -1,
                    last_update_ms: now,
                };
                ctx.event(
                    EventKind::Txn,
                    None,
                    format!("Coordinator {me} registers transactional.id {tid} with producer id {pid}, epoch 0 (written to {} first)", state_tp(p)),
                );
                self.write_txn(ctx, p, meta, TxnThen::InitProducerId { node: from });
            }
            Some(meta) => match meta.state {
                TxnStatus::Empty | TxnStatus::CompleteCommit | TxnStatus::CompleteAbort => {
                    let mut next = meta.clone();
                    if meta.producer_epoch >= i16::MAX - 1 {
                        let Some(pid) = self.next_producer_id(ctx) else {
                            self.txns
                                .waiting_for_pids
                                .push((from, Some(tid), timeout_ms));
                            return;
                        };
                        next.producer_id = pid;
                        next.producer_epoch = 0;
                    } else {
                        next.producer_epoch += 1;
                    }
                    next.state = TxnStatus::Empty;
                    next.partitions.clear();
                    next.timeout_ms = timeout_ms;
                    next.last_update_ms = now;
                    ctx.event(
                        EventKind::Txn,
                        None,
                        format!(
                            "Coordinator {me}: InitProducerId for {tid} bumps producer id {}'s epoch {} → {}: any instance still using epoch {} is fenced from now on",
                            next.producer_id, meta.producer_epoch, next.producer_epoch, meta.producer_epoch
                        ),
                    );
                    self.write_txn(ctx, p, next, TxnThen::InitProducerId { node: from });
                }
                TxnStatus::Ongoing => {
                    ctx.event(
                        EventKind::Txn,
                        None,
                        format!("Coordinator {me}: a new instance of {tid} initializes while a transaction of epoch {} is open: the coordinator fences it (epoch → {}), aborts the open transaction, and answers CONCURRENT_TRANSACTIONS so the new instance asks again", meta.producer_epoch, meta.producer_epoch + 1),
                    );
                    self.fence_and_abort(ctx, p, meta);
                    reply(ctx, Some(KafkaError::CONCURRENT_TRANSACTIONS), -1, -1);
                }
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => {
                    reply(ctx, Some(KafkaError::CONCURRENT_TRANSACTIONS), -1, -1);
                }
            },
        }
    }

    /// Bumps the epoch and aborts the open transaction (a zombie fenced, or a timeout).
    fn fence_and_abort(&mut self, ctx: &mut BrokerCtx, p: i32, meta: TxnMetadata) {
        let mut next = meta;
        next.producer_epoch = next.producer_epoch.saturating_add(1);
        next.state = TxnStatus::PrepareAbort;
        next.last_update_ms = ctx.now;
        self.write_txn(ctx, p, next, TxnThen::Prepare { node: None });
    }

    /// Whether `tid`'s transaction is settling: a state change being written, or markers
    /// not yet acknowledged.
    pub(crate) fn txn_write_pending(&self, tid: &str) -> bool {
        self.txns
            .pending_writes
            .iter()
            .any(|w| w.metadata.transactional_id == tid)
            || self.txns.markers_outstanding.contains_key(tid)
    }

    /// Checks a request's producer id and epoch against the transaction, and says so when an
    /// older instance is refused (`PRODUCER_FENCED`).
    fn check_txn_request(
        &self,
        ctx: &mut BrokerCtx,
        request: &str,
        tid: &str,
        pid: i64,
        epoch: i16,
    ) -> Result<(i32, TxnMetadata), KafkaError> {
        let result = self.validate_txn_request(tid, pid, epoch);
        if result.as_ref().err() == Some(&KafkaError::PRODUCER_FENCED) {
            ctx.event(
                EventKind::Txn,
                None,
                format!(
                    "Coordinator {} refuses {request} from {tid} with epoch {epoch}: a newer instance has bumped the epoch, so this one is fenced (PRODUCER_FENCED)",
                    self.id
                ),
            );
        }
        result
    }

    fn validate_txn_request(
        &self,
        tid: &str,
        pid: i64,
        epoch: i16,
    ) -> Result<(i32, TxnMetadata), KafkaError> {
        let (p, meta) = self.txn_of_producer(tid, pid, epoch)?;
        if self.txn_write_pending(tid) {
            return Err(KafkaError::CONCURRENT_TRANSACTIONS);
        }
        Ok((p, meta.clone()))
    }

    /// The transaction of `tid` as written, if this broker coordinates it and the producer
    /// id and epoch are its own.
    fn txn_of_producer(
        &self,
        tid: &str,
        pid: i64,
        epoch: i16,
    ) -> Result<(i32, &TxnMetadata), KafkaError> {
        let Some((p, _)) = self.txn_coordinates(tid) else {
            return Err(KafkaError::NOT_COORDINATOR);
        };
        let Some(meta) = self.txns.txns.get(tid) else {
            return Err(KafkaError::INVALID_PRODUCER_ID_MAPPING);
        };
        if meta.producer_id != pid {
            return Err(KafkaError::INVALID_PRODUCER_ID_MAPPING);
        }
        if meta.producer_epoch != epoch {
            return Err(KafkaError::PRODUCER_FENCED);
        }
        Ok((p, meta))
    }

    pub fn handle_add_partitions_to_txn(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        tid: String,
        pid: i64,
        epoch: i16,
        partitions: Vec<TopicPartition>,
    ) {
        let me = self.id;
        let answer =
            |ctx: &mut BrokerCtx, error: Option<KafkaError>, partitions: Vec<TopicPartition>| {
                ctx.send(
                    from,
                    Message::AddPartitionsToTxnResponse { error, partitions },
                )
            };
        let (p, meta) = match self.check_txn_request(ctx, "AddPartitionsToTxn", &tid, pid, epoch) {
            Ok(x) => x,
            Err(e) => {
                answer(ctx, Some(e), partitions);
                return;
            }
        };
        if matches!(
            meta.state,
            TxnStatus::PrepareCommit | TxnStatus::PrepareAbort
        ) {
            answer(ctx, Some(KafkaError::CONCURRENT_TRANSACTIONS), partitions);
            return;
        }
        if meta.state == TxnStatus::Ongoing
            && partitions.iter().all(|tp| meta.partitions.contains(tp))
        {
            answer(ctx, None, partitions);
            return;
        }
        let mut next = meta.clone();
        if next.state != TxnStatus::Ongoing {
            next.start_ms = ctx.now;
            next.partitions.clear();
        }
        next.state = TxnStatus::Ongoing;
        next.partitions.extend(partitions.iter().cloned());
        next.last_update_ms = ctx.now;
        let added: BTreeSet<TopicPartition> = partitions.iter().cloned().collect();
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Coordinator {me}: transaction of {tid} (producer id {pid}, epoch {epoch}) is Ongoing with {} (adds {})",
                list(&next.partitions),
                list(&added)
            ),
        );
        self.write_txn(
            ctx,
            p,
            next,
            TxnThen::AddPartitions {
                node: from,
                partitions,
            },
        );
    }

    pub fn handle_add_offsets_to_txn(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        tid: String,
        pid: i64,
        epoch: i16,
        group_id: String,
    ) {
        let (p, meta) = match self.check_txn_request(ctx, "AddOffsetsToTxn", &tid, pid, epoch) {
            Ok(x) => x,
            Err(e) => {
                ctx.send(
                    from,
                    Message::AddOffsetsToTxnResponse {
                        error: Some(e),
                        group_id,
                    },
                );
                return;
            }
        };
        if meta.state != TxnStatus::Ongoing
            && meta.state != TxnStatus::Empty
            && !matches!(
                meta.state,
                TxnStatus::CompleteAbort | TxnStatus::CompleteCommit
            )
        {
            ctx.send(
                from,
                Message::AddOffsetsToTxnResponse {
                    error: Some(KafkaError::CONCURRENT_TRANSACTIONS),
                    group_id,
                },
            );
            return;
        }
        let offsets_tp = TopicPartition::new(
            OFFSETS_TOPIC,
            offsets_partition(&group_id, self.offsets_partitions()),
        );
        let mut next = meta.clone();
        if next.state != TxnStatus::Ongoing {
            next.start_ms = ctx.now;
            next.partitions.clear();
        }
        next.state = TxnStatus::Ongoing;
        next.partitions.insert(offsets_tp.clone());
        next.last_update_ms = ctx.now;
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Coordinator {}: group {group_id}'s offsets partition {offsets_tp} joins the transaction of {tid}",
                self.id
            ),
        );
        self.write_txn(
            ctx,
            p,
            next,
            TxnThen::AddOffsets {
                node: from,
                group_id,
            },
        );
    }

    pub fn handle_end_txn(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        tid: String,
        pid: i64,
        epoch: i16,
        commit: bool,
    ) {
        let me = self.id;
        let answer = |ctx: &mut BrokerCtx, error: Option<KafkaError>| {
            ctx.send(from, Message::EndTxnResponse { error })
        };
        let (p, meta) = match self.check_txn_request(ctx, "EndTxn", &tid, pid, epoch) {
            Ok(x) => x,
            Err(e) => {
                answer(ctx, Some(e));
                return;
            }
        };
        match (meta.state, commit) {
            (TxnStatus::Ongoing, _) => {
                let mut next = meta.clone();
                next.state = if commit {
                    TxnStatus::PrepareCommit
                } else {
                    TxnStatus::PrepareAbort
                };
                next.last_update_ms = ctx.now;
                ctx.event(
                    EventKind::Txn,
                    None,
                    format!(
                        "Coordinator {me}: {tid} asks to {} its transaction on {}: it writes {} to {} first; from then on the outcome is decided",
                        if commit { "commit" } else { "abort" },
                        list(&meta.partitions),
                        next.state.name(),
                        state_tp(p)
                    ),
                );
                self.write_txn(ctx, p, next, TxnThen::Prepare { node: Some(from) });
            }
            (TxnStatus::CompleteCommit, true) | (TxnStatus::CompleteAbort, false) => {
                answer(ctx, None)
            }
            (TxnStatus::PrepareCommit, true) | (TxnStatus::PrepareAbort, false) => {
                answer(ctx, Some(KafkaError::CONCURRENT_TRANSACTIONS))
            }
            _ => answer(ctx, Some(KafkaError::INVALID_TXN_STATE)),
        }
    }

    // ------------------------------------------------------------------ the log

    fn write_txn(&mut self, ctx: &mut BrokerCtx, p: i32, meta: TxnMetadata, then: TxnThen) {
        let tp = state_tp(p);
        let now = ctx.now;
        let Some(replica) = self.replicas.get_mut(&tp).map(Arc::make_mut) else {
            return;
        };
        if replica.leader.is_none() {
            return;
        }
        let epoch = replica.registration.leader_epoch;
        let record = Record {
            offset: 0,
            leader_epoch: epoch,
            producer: "transaction coordinator".to_string(),
            producer_seq: -1,
            key: Some(format!("TransactionLogKey({})", meta.transactional_id)),
            value: Some(format!(
                "producer id {}, epoch {}, {}{}",
                meta.producer_id,
                meta.producer_epoch,
                meta.state.name(),
                if meta.partitions.is_empty() {
                    String::new()
                } else {
                    format!(", partitions {}", list(&meta.partitions))
                }
            )),
            timestamp_ms: now,
            coordinator: Some(Arc::new(CoordinatorRecord::Transaction(meta.clone()))),
            batch: None,
        };
        let (_, last) = replica.log.append_as_leader(epoch, vec![record]);
        self.txns.pending_writes.push(TxnWrite {
            partition: p,
            required_hw: last + 1,
            deadline_ms: now + TXN_WRITE_TIMEOUT_MS,
            metadata: meta,
            then,
        });
        self.set_timer(
            ctx,
            BrokerTimer::TxnWriteTimeout {
                partition: p,
                required_hw: last + 1,
            },
            TXN_WRITE_TIMEOUT_MS,
        );
        self.after_leader_append(ctx, &tp);
    }

    /// Applies the state changes the HW of `tp` has passed, and answers markers waiting for it.
    pub(crate) fn complete_txn_writes(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let Some(hw) = self.replicas.get(tp).map(|r| r.log.high_watermark()) else {
            return;
        };
        self.complete_markers(ctx, tp, hw);
        if &*tp.topic != TRANSACTION_STATE_TOPIC {
            return;
        }
        let p = tp.partition;
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.txns.pending_writes)
            .into_iter()
            .partition(|w| w.partition == p && w.required_hw <= hw);
        self.txns.pending_writes = waiting;
        for write in done {
            self.timers.cancel(&BrokerTimer::TxnWriteTimeout {
                partition: write.partition,
                required_hw: write.required_hw,
            });
            let meta = write.metadata;
            let tid = meta.transactional_id.clone();
            self.txns.txns.insert(tid.clone(), meta.clone());
            match write.then {
                TxnThen::InitProducerId { node } => ctx.send(
                    node,
                    Message::InitProducerIdResponse {
                        error: None,
                        producer_id: meta.producer_id,
                        producer_epoch: meta.producer_epoch,
                    },
                ),
                TxnThen::AddPartitions { node, partitions } => ctx.send(
                    node,
                    Message::AddPartitionsToTxnResponse {
                        error: None,
                        partitions,
                    },
                ),
                TxnThen::AddOffsets { node, group_id } => ctx.send(
                    node,
                    Message::AddOffsetsToTxnResponse {
                        error: None,
                        group_id,
                    },
                ),
                TxnThen::Prepare { node } => {
                    if let Some(node) = node {
                        ctx.send(node, Message::EndTxnResponse { error: None });
                    }
                    self.send_markers(ctx, &tid);
                }
                TxnThen::Complete => {
                    ctx.event(
                        EventKind::Txn,
                        None,
                        format!(
                            "Coordinator {}: the transaction of {tid} is {} (every marker is written)",
                            self.id,
                            meta.state.name()
                        ),
                    );
                }
            }
        }
    }

    /// A state change not replicated within the write timeout fails: the client is told
    /// COORDINATOR_NOT_AVAILABLE-like NOT_ENOUGH_REPLICAS and asks again.
    pub(crate) fn on_txn_write_timeout(
        &mut self,
        ctx: &mut BrokerCtx,
        partition: i32,
        required_hw: i64,
    ) {
        let (expired, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.txns.pending_writes)
            .into_iter()
            .partition(|w| w.partition == partition && w.required_hw == required_hw);
        self.txns.pending_writes = waiting;
        for write in expired {
            ctx.event(
                EventKind::Txn,
                None,
                format!(
                    "Coordinator {}: the state change of {} was not replicated in time ({} did not reach its HW): the request fails with NOT_ENOUGH_REPLICAS",
                    self.id,
                    write.metadata.transactional_id,
                    state_tp(partition)
                ),
            );
            let error = Some(KafkaError::NOT_ENOUGH_REPLICAS);
            match write.then {
                TxnThen::InitProducerId { node } => ctx.send(
                    node,
                    Message::InitProducerIdResponse {
                        error,
                        producer_id: -1,
                        producer_epoch: -1,
                    },
                ),
                TxnThen::AddPartitions { node, partitions } => ctx.send(
                    node,
                    Message::AddPartitionsToTxnResponse { error, partitions },
                ),
                TxnThen::AddOffsets { node, group_id } => {
                    ctx.send(node, Message::AddOffsetsToTxnResponse { error, group_id })
                }
                TxnThen::Prepare { node: Some(node) } => {
                    ctx.send(node, Message::EndTxnResponse { error })
                }
                _ => {}
            }
        }
    }

    fn send_markers(&mut self, ctx: &mut BrokerCtx, tid: &str) {
        let Some(meta) = self.txns.txns.get(tid).cloned() else {
            return;
        };
        let commit = match meta.state {
            TxnStatus::PrepareCommit => true,
            TxnStatus::PrepareAbort => false,
            _ => return,
        };
        let Some((_, coordinator_epoch)) = self.txn_coordinates(tid) else {
            return;
        };
        let outstanding = self
            .txns
            .markers_outstanding
            .entry(tid.to_string())
            .or_insert_with(|| meta.partitions.clone())
            .clone();
        if outstanding.is_empty() {
            self.txns.markers_outstanding.remove(tid);
            self.complete_txn(ctx, tid);
            return;
        }
        let mut by_leader: BTreeMap<NodeId, Vec<TopicPartition>> = BTreeMap::new();
        let mut leaderless = false;
        for tp in &outstanding {
            match self.image.partitions.get(tp).and_then(|r| r.leader) {
                Some(l) => by_leader.entry(l).or_default().push(tp.clone()),
                None => leaderless = true,
            }
        }
        for (leader, partitions) in by_leader {
            ctx.send(
                leader,
                Message::WriteTxnMarkers {
                    transactional_id: tid.to_string(),
                    producer_id: meta.producer_id,
                    producer_epoch: meta.producer_epoch,
                    coordinator_epoch,
                    commit,
                    partitions,
                },
            );
        }
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Coordinator {} sends {} markers for {tid} to the leaders of {}",
                self.id,
                if commit { "COMMIT" } else { "ABORT" },
                list(&outstanding)
            ),
        );
        // Markers to a partition without a leader, or lost on the way, are sent again.
        let _ = leaderless;
        self.set_timer(
            ctx,
            BrokerTimer::TxnMarkerRetry {
                transactional_id: tid.to_string(),
            },
            if leaderless { MARKER_RETRY_MS } else { 5_000 },
        );
    }

    pub(crate) fn on_marker_retry(&mut self, ctx: &mut BrokerCtx, tid: &str) {
        if self.txns.markers_outstanding.contains_key(tid) {
            self.send_markers(ctx, tid);
        }
    }

    pub fn handle_write_txn_markers_response(
        &mut self,
        ctx: &mut BrokerCtx,
        tid: String,
        pid: i64,
        results: Vec<(TopicPartition, Option<KafkaError>)>,
    ) {
        if self
            .txns
            .txns
            .get(&tid)
            .is_none_or(|m| m.producer_id != pid)
        {
            return;
        }
        let mut retry = false;
        if let Some(outstanding) = self.txns.markers_outstanding.get_mut(&tid) {
            for (tp, error) in results {
                match error {
                    // A producer already past this epoch wrote the partition: nothing to mark.
                    None | Some(KafkaError::INVALID_PRODUCER_EPOCH) => {
                        outstanding.remove(&tp);
                    }
                    Some(_) => retry = true,
                }
            }
            if outstanding.is_empty() {
                self.txns.markers_outstanding.remove(&tid);
                self.timers.cancel(&BrokerTimer::TxnMarkerRetry {
                    transactional_id: tid.clone(),
                });
                self.complete_txn(ctx, &tid);
                return;
            }
        }
        if retry {
            self.set_timer(
                ctx,
                BrokerTimer::TxnMarkerRetry {
                    transactional_id: tid,
                },
                MARKER_RETRY_MS,
            );
        }
    }

    fn complete_txn(&mut self, ctx: &mut BrokerCtx, tid: &str) {
        let Some(meta) = self.txns.txns.get(tid).cloned() else {
            return;
        };
        let Some((p, _)) = self.txn_coordinates(tid) else {
            return;
        };
        let mut next = meta.clone();
        next.state = match meta.state {
            TxnStatus::PrepareCommit => TxnStatus::CompleteCommit,
            TxnStatus::PrepareAbort => TxnStatus::CompleteAbort,
            _ => return,
        };
        next.partitions.clear();
        next.last_update_ms = ctx.now;
        self.write_txn(ctx, p, next, TxnThen::Complete);
    }

    /// The periodic check for transactions open past their timeout.
    pub(crate) fn on_txn_timeout_check(&mut self, ctx: &mut BrokerCtx) {
        let interval = self
            .image
            .broker_config_i64("transaction.abort.timed.out.transaction.cleanup.interval.ms")
            .max(1);
        self.set_timer(ctx, BrokerTimer::TxnTimeoutCheck, interval);
        let now = ctx.now;
        let expired: Vec<TxnMetadata> = self
            .txns
            .txns
            .values()
            .filter(|m| {
                m.state == TxnStatus::Ongoing
                    && now - m.start_ms > m.timeout_ms
                    && !self.txn_write_pending(&m.transactional_id)
            })
            .cloned()
            .collect();
        for meta in expired {
            let Some((p, _)) = self.txn_coordinates(&meta.transactional_id) else {
                continue;
            };
            ctx.event(
                EventKind::Txn,
                None,
                format!(
                    "Coordinator {}: the transaction of {} has been open {} ms, longer than its transaction.timeout.ms={}: it aborts it and bumps the epoch, fencing the producer",
                    self.id,
                    meta.transactional_id,
                    now - meta.start_ms,
                    meta.timeout_ms
                ),
            );
            self.fence_and_abort(ctx, p, meta);
        }
    }

    /// Loads or unloads a `__transaction_state` partition after its leadership changed here.
    pub(crate) fn on_txn_partition_leadership(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        if &*tp.topic != TRANSACTION_STATE_TOPIC {
            return;
        }
        let p = tp.partition;
        match coordinator_change(self, tp, self.txns.loaded.get(&p).copied()) {
            CoordinatorChange::Load(epoch) => self.load_txn_partition(ctx, p, epoch),
            CoordinatorChange::Unload => self.unload_txn_partition(p),
            CoordinatorChange::Keep => {}
        }
    }

    fn unload_txn_partition(&mut self, p: i32) {
        let n = self.txn_partitions();
        self.txns.loaded.remove(&p);
        self.txns.txns.retain(|tid, _| txn_partition(tid, n) != p);
        self.txns.pending_writes.retain(|w| w.partition != p);
        self.txns
            .markers_outstanding
            .retain(|tid, _| txn_partition(tid, n) != p);
    }

    /// Replays the partition (`TransactionStateManager.loadTransactionsForTxnTopicPartition`);
    /// transactions caught in Prepare* get their markers sent again.
    fn load_txn_partition(&mut self, ctx: &mut BrokerCtx, p: i32, epoch: i32) {
        self.unload_txn_partition(p);
        let tp = state_tp(p);
        let mut loaded: BTreeMap<String, TxnMetadata> = BTreeMap::new();
        if let Some(replica) = self.replicas.get(&tp) {
            for record in replica.log.records() {
                if let Some(CoordinatorRecord::Transaction(meta)) = record.coordinator.as_deref() {
                    loaded.insert(meta.transactional_id.clone(), meta.clone());
                }
            }
        }
        let names: Vec<String> = loaded.keys().cloned().collect();
        let prepared: Vec<String> = loaded
            .values()
            .filter(|m| matches!(m.state, TxnStatus::PrepareCommit | TxnStatus::PrepareAbort))
            .map(|m| m.transactional_id.clone())
            .collect();
        self.txns.txns.extend(loaded);
        self.txns.loaded.insert(p, epoch);
        if self.txns.loaded.len() == 1 {
            let interval = self
                .image
                .broker_config_i64("transaction.abort.timed.out.transaction.cleanup.interval.ms")
                .max(1);
            self.set_timer(ctx, BrokerTimer::TxnTimeoutCheck, interval);
        }
        if !names.is_empty() {
            ctx.event(
                EventKind::Txn,
                Some(tp.clone()),
                format!(
                    "Broker {} leads {tp} (epoch {epoch}) and becomes transaction coordinator of {}",
                    self.id,
                    names.join(", ")
                ),
            );
        }
        for tid in prepared {
            self.send_markers(ctx, &tid);
        }
    }

    // ------------------------------------------------------------------ partition leaders

    /// WriteTxnMarkers: a control record in each partition this broker leads.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_write_txn_markers(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        tid: String,
        pid: i64,
        epoch: i16,
        coordinator_epoch: i32,
        commit: bool,
        partitions: Vec<TopicPartition>,
    ) {
        let me = self.id;
        let kind = if commit {
            ControlType::Commit
        } else {
            ControlType::Abort
        };
        let mut immediate = Vec::new();
        for tp in partitions {
            let now = ctx.now;
            let Some(replica) = self
                .replicas
                .get_mut(&tp)
                .filter(|r| r.leader.is_some())
                .map(Arc::make_mut)
            else {
                immediate.push((tp, Some(KafkaError::NOT_LEADER_OR_FOLLOWER)));
                continue;
            };
            if let Some(entry) = replica.log.producer_state().producers.get(&pid) {
                if entry.epoch > epoch {
                    immediate.push((tp, Some(KafkaError::INVALID_PRODUCER_EPOCH)));
                    continue;
                }
                if entry.coordinator_epoch > coordinator_epoch {
                    immediate.push((tp, Some(KafkaError::TRANSACTION_COORDINATOR_FENCED)));
                    continue;
                }
            }
            let leader_epoch = replica.registration.leader_epoch;
            let record = Record {
                offset: 0,
                leader_epoch,
                producer: format!("txn {tid}"),
                producer_seq: -1,
                key: Some(format!("ControlRecordKey({})", kind.name())),
                value: Some(format!("coordinator epoch {coordinator_epoch}")),
                timestamp_ms: now,
                coordinator: None,
                batch: Some(Arc::new(BatchHeader {
                    producer_id: pid,
                    producer_epoch: epoch,
                    base_sequence: -1,
                    last_sequence: -1,
                    transactional: true,
                    control: Some(kind),
                    coordinator_epoch,
                })),
            };
            let (offset, _) = replica.log.append_as_leader(leader_epoch, vec![record]);
            let lso = replica.log.last_stable_offset();
            ctx.event(
                EventKind::Append,
                Some(tp.clone()),
                format!(
                    "Leader {me} writes {} marker for producer id {pid} ({tid}) to {tp} at offset {offset}: a control record consumers never see; LSO {lso}",
                    if commit { "a COMMIT" } else { "an ABORT" }
                ),
            );
            if &*tp.topic == OFFSETS_TOPIC {
                self.with_groups(ctx, |groups, host, ctx| {
                    groups.on_transaction_completed(host, ctx, pid, commit)
                });
            }
            self.txns.pending_markers.push(PendingMarker {
                coordinator: from,
                transactional_id: tid.clone(),
                producer_id: pid,
                partition: tp.clone(),
                required_hw: offset + 1,
            });
            self.after_leader_append(ctx, &tp);
        }
        if !immediate.is_empty() {
            ctx.send(
                from,
                Message::WriteTxnMarkersResponse {
                    transactional_id: tid,
                    producer_id: pid,
                    results: immediate,
                },
            );
        }
    }

    fn complete_markers(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition, hw: i64) {
        if self.txns.pending_markers.is_empty() {
            return;
        }
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.txns.pending_markers)
            .into_iter()
            .partition(|m| &m.partition == tp && m.required_hw <= hw);
        self.txns.pending_markers = waiting;
        for m in done {
            ctx.send(
                m.coordinator,
                Message::WriteTxnMarkersResponse {
                    transactional_id: m.transactional_id,
                    producer_id: m.producer_id,
                    results: vec![(m.partition, None)],
                },
            );
        }
    }

    // ------------------------------------------------------------------ verification

    /// `ReplicaManager.appendRecords` with transaction verification (KIP-890 part 1): the
    /// transactional batches of a producer that has no transaction open on their partition
    /// are verified with the coordinator first; the whole request waits for the answer.
    /// Returns the request back when nothing needs verifying.
    pub(crate) fn maybe_verify_produce(
        &mut self,
        ctx: &mut BrokerCtx,
        request: VerifyingProduce,
        transactional_id: Option<&str>,
    ) -> Option<VerifyingProduce> {
        if !self
            .image
            .broker_config_bool("transaction.partition.verification.enable")
        {
            return Some(request);
        }
        let Some(tid) = transactional_id else {
            return Some(request);
        };
        let mut producer = None;
        let mut to_verify = Vec::new();
        for p in &request.partitions {
            let Some(h) = p.records.first().and_then(|r| r.batch.as_deref()) else {
                continue;
            };
            if !h.transactional || h.control.is_some() || h.producer_id < 0 {
                continue;
            }
            let Some(replica) = self.replicas.get(&p.partition) else {
                continue;
            };
            if replica.leader.is_none() || replica.log.producer_state().has_ongoing(h.producer_id) {
                continue;
            }
            producer = Some((h.producer_id, h.producer_epoch));
            to_verify.push(p.partition.clone());
        }
        let (pid, epoch) = producer?;
        let verification_id = self.txns.next_verification_id;
        self.txns.next_verification_id += 1;
        let mut request = request;
        for tp in &to_verify {
            if let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) {
                let guard = replica.log.start_verification(pid, verification_id);
                request.guards.insert(tp.clone(), guard);
            }
        }
        let me = self.id;
        let state_tp = state_tp(txn_partition(tid, self.txn_partitions()));
        let coordinator = self.image.live_leader(&state_tp);
        let Some(coordinator) = coordinator else {
            ctx.event(
                EventKind::Txn,
                None,
                format!(
                    "Leader {me} cannot verify producer id {pid}'s first transactional batch on {}: {state_tp} has no leader, so there is no coordinator to ask (answered as NOT_ENOUGH_REPLICAS, which the producer retries)",
                    list(&to_verify.iter().cloned().collect())
                ),
            );
            let errors = to_verify
                .into_iter()
                .map(|tp| (tp, KafkaError::NOT_ENOUGH_REPLICAS))
                .collect();
            self.append_produce(ctx, request, &errors);
            return None;
        };
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Leader {me} holds producer id {pid}'s first transactional batch on {} and asks coordinator {coordinator} whether {tid}'s ongoing transaction includes it (KIP-890 transaction verification)",
                list(&to_verify.iter().cloned().collect())
            ),
        );
        ctx.send(
            coordinator,
            Message::VerifyPartitionsInTxn {
                verification_id,
                transactional_id: tid.to_string(),
                producer_id: pid,
                producer_epoch: epoch,
                partitions: to_verify,
            },
        );
        let timeout = self.image.broker_config_i64("request.timeout.ms");
        self.set_timer(
            ctx,
            BrokerTimer::TxnVerificationTimeout { verification_id },
            timeout,
        );
        self.txns.verifying.insert(verification_id, request);
        None
    }

    /// The coordinator's side (`TransactionCoordinator.handleVerifyPartitionsInTransaction`):
    /// each partition is verified if the producer's transaction is ongoing and includes it.
    // The arguments are the request's fields.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_verify_partitions_in_txn(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        verification_id: u64,
        tid: String,
        pid: i64,
        epoch: i16,
        partitions: Vec<TopicPartition>,
    ) {
        let me = self.id;
        // A state change still being written does not count: partitions join the metadata
        // when their AddPartitionsToTxn is written and leave when Complete* is, and the
        // append checks its guard again anyway.
        let checked = self
            .txn_of_producer(&tid, pid, epoch)
            .and_then(|(_, meta)| match meta.state {
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => {
                    Err(KafkaError::CONCURRENT_TRANSACTIONS)
                }
                _ => Ok(meta),
            });
        let (results, why): (Vec<(TopicPartition, Option<KafkaError>)>, String) = match checked {
            Err(e) => (
                partitions.iter().map(|tp| (tp.clone(), Some(e))).collect(),
                e.to_string(),
            ),
            Ok(meta) => (
                partitions
                    .iter()
                    .map(|tp| {
                        let inside =
                            meta.state == TxnStatus::Ongoing && meta.partitions.contains(tp);
                        (
                            tp.clone(),
                            (!inside).then_some(KafkaError::INVALID_TXN_STATE),
                        )
                    })
                    .collect(),
                if meta.state == TxnStatus::Ongoing {
                    format!("the transaction is Ongoing with {}", list(&meta.partitions))
                } else {
                    format!("the transaction is {}", meta.state.name())
                },
            ),
        };
        let verdict: Vec<String> = results
            .iter()
            .map(|(tp, e)| match e {
                None => format!("{tp} is in it"),
                Some(e) => format!("{tp}: {e}"),
            })
            .collect();
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Coordinator {me} verifies for leader {from} that {tid} (producer id {pid}, epoch {epoch}) may write: {why}; {}",
                verdict.join(", ")
            ),
        );
        ctx.send(
            from,
            Message::VerifyPartitionsInTxnResponse {
                verification_id,
                results,
            },
        );
    }

    /// The coordinator answered: append what was verified, refuse the rest. The errors that
    /// mean "try again" reach the producer as NOT_ENOUGH_REPLICAS (`ReplicaManager`).
    pub fn handle_verify_partitions_response(
        &mut self,
        ctx: &mut BrokerCtx,
        verification_id: u64,
        results: Vec<(TopicPartition, Option<KafkaError>)>,
    ) {
        let Some(request) = self.txns.verifying.remove(&verification_id) else {
            return;
        };
        self.timers
            .cancel(&BrokerTimer::TxnVerificationTimeout { verification_id });
        let errors: BTreeMap<TopicPartition, KafkaError> = results
            .into_iter()
            .filter_map(|(tp, e)| {
                let e = match e? {
                    KafkaError::CONCURRENT_TRANSACTIONS
                    | KafkaError::COORDINATOR_LOAD_IN_PROGRESS
                    | KafkaError::COORDINATOR_NOT_AVAILABLE
                    | KafkaError::NOT_COORDINATOR => KafkaError::NOT_ENOUGH_REPLICAS,
                    e => e,
                };
                Some((tp, e))
            })
            .collect();
        let me = self.id;
        for (tp, e) in &errors {
            let why = match e {
                KafkaError::INVALID_TXN_STATE => "the coordinator does not count this partition in the producer's ongoing transaction (the transaction has ended, or never added it): appended, the batch would open a transaction no marker ever closes and hold the LSO back for good",
                KafkaError::NOT_ENOUGH_REPLICAS => "the coordinator could not say yet; the producer retries",
                _ => "the producer's epoch or id is not the coordinator's",
            };
            ctx.event(
                EventKind::ProduceAck,
                Some(tp.clone()),
                format!("Leader {me} refuses the transactional batch for {tp}: {e}, {why}"),
            );
        }
        self.append_produce(ctx, request, &errors);
    }

    /// No answer from the coordinator within `request.timeout.ms`.
    pub(crate) fn on_verification_timeout(&mut self, ctx: &mut BrokerCtx, verification_id: u64) {
        let Some(request) = self.txns.verifying.remove(&verification_id) else {
            return;
        };
        let errors = request
            .guards
            .keys()
            .map(|tp| (tp.clone(), KafkaError::NETWORK_EXCEPTION))
            .collect();
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Leader {}: the coordinator did not answer the transaction verification within request.timeout.ms; the batches are refused (NETWORK_EXCEPTION) and the producer retries",
                self.id
            ),
        );
        self.append_produce(ctx, request, &errors);
    }

    pub(crate) fn crash_txn_coordinator(&mut self) {
        self.txns = TxnCoordinator::default();
    }
}

impl Broker {
    /// Producer-id, transaction and marker traffic to this broker.
    pub(crate) fn handle_txn_message(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        message: Message,
    ) {
        match message {
            Message::FindTxnCoordinator { transactional_id } => {
                self.handle_find_txn_coordinator(ctx, from, transactional_id)
            }
            Message::InitProducerId {
                transactional_id,
                transaction_timeout_ms,
            } => self.handle_init_producer_id(ctx, from, transactional_id, transaction_timeout_ms),
            Message::AddPartitionsToTxn {
                transactional_id,
                producer_id,
                producer_epoch,
                partitions,
            } => self.handle_add_partitions_to_txn(
                ctx,
                from,
                transactional_id,
                producer_id,
                producer_epoch,
                partitions,
            ),
            Message::AddOffsetsToTxn {
                transactional_id,
                producer_id,
                producer_epoch,
                group_id,
            } => self.handle_add_offsets_to_txn(
                ctx,
                from,
                transactional_id,
                producer_id,
                producer_epoch,
                group_id,
            ),
            Message::TxnOffsetCommit {
                transactional_id,
                group_id,
                producer_id,
                producer_epoch,
                offsets,
            } => self.with_groups(ctx, |groups, host, ctx| {
                groups.handle_txn_offset_commit(
                    host,
                    ctx,
                    from,
                    transactional_id,
                    group_id,
                    producer_id,
                    producer_epoch,
                    offsets,
                )
            }),
            Message::EndTxn {
                transactional_id,
                producer_id,
                producer_epoch,
                commit,
            } => self.handle_end_txn(
                ctx,
                from,
                transactional_id,
                producer_id,
                producer_epoch,
                commit,
            ),
            Message::WriteTxnMarkers {
                transactional_id,
                producer_id,
                producer_epoch,
                coordinator_epoch,
                commit,
                partitions,
            } => self.handle_write_txn_markers(
                ctx,
                from,
                transactional_id,
                producer_id,
                producer_epoch,
                coordinator_epoch,
                commit,
                partitions,
            ),
            Message::WriteTxnMarkersResponse {
                transactional_id,
                producer_id,
                results,
            } => {
                self.handle_write_txn_markers_response(ctx, transactional_id, producer_id, results)
            }
            Message::VerifyPartitionsInTxn {
                verification_id,
                transactional_id,
                producer_id,
                producer_epoch,
                partitions,
            } => self.handle_verify_partitions_in_txn(
                ctx,
                from,
                verification_id,
                transactional_id,
                producer_id,
                producer_epoch,
                partitions,
            ),
            Message::VerifyPartitionsInTxnResponse {
                verification_id,
                results,
            } => self.handle_verify_partitions_response(ctx, verification_id, results),
            Message::AllocateProducerIdsResponse {
                error,
                first_producer_id,
                count,
            } => self.handle_allocate_producer_ids_response(ctx, error, first_producer_id, count),
            // Not a request a broker serves: a real one would close the connection.
            _ => {}
        }
    }
}
