//! The transaction coordinator (`TxnCoordinator`), one per broker for the `__transaction_state`
//! partitions it leads, and the producer-id blocks it hands out (kafka-semantics.md §5). It
//! works on its broker only through [`Host`]; the partition leader's side of transactions
//! (writing markers, verifying transactional produce requests) is the broker's
//! (`crate::broker::txn`).
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
//! - transaction verification (KIP-890 part 1): the coordinator answers a partition leader's
//!   `AddPartitionsToTxn` with `verifyOnly` (`handleVerifyPartitionsInTransaction`).

use crate::sorted::{SortedMap, SortedSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::group::{offsets_partition, OFFSETS_TOPIC};
use super::{coordinator_change, CoordinatorChange, Host};
use crate::broker::timer::{BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::coordinator_record::{CoordinatorRecord, TxnMetadata, TxnStatus};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::AddOffsetsToTxnRequest;
use crate::protocol::AddPartitionsToTxnRequest;
use crate::protocol::EndTxnRequest;
use crate::protocol::Message;
use crate::protocol::VerifyPartitionsInTxnRequest;
use crate::protocol::WriteTxnMarkersRequest;
use crate::record::Record;

pub use crate::metadata::TRANSACTION_STATE_TOPIC;

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
    pub loaded: SortedMap<i32, i32>,
    pub txns: SortedMap<String, TxnMetadata>,
    pub pending_writes: Vec<TxnWrite>,
    /// Markers not yet acknowledged, per transactional id.
    pub markers_outstanding: SortedMap<String, SortedSet<TopicPartition>>,
    /// The producer-id block: next id and end (exclusive).
    pub pid_block: Option<(i64, i64)>,
    /// When an AllocateProducerIds request went out, if one is waiting.
    pub allocating_since: Option<i64>,
    /// InitProducerId requests waiting for a block: (client, transactional id, timeout).
    pub waiting_for_pids: Vec<(NodeId, Option<String>, i64)>,
}

pub(crate) fn state_tp(p: i32) -> TopicPartition {
    TopicPartition::new(TRANSACTION_STATE_TOPIC, p)
}

pub(crate) fn list(tps: &SortedSet<TopicPartition>) -> String {
    if tps.is_empty() {
        return "no partition".to_string();
    }
    tps.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl TxnCoordinator {
    fn txn_coordinates(&self, host: &dyn Host, tid: &str) -> Option<(i32, i32)> {
        let p = txn_partition(tid, host.txn_partitions());
        self.loaded.get(&p).map(|&epoch| (p, epoch))
    }

    /// The next producer id of this broker's block, asking the controller for a block when
    /// it has none left.
    fn next_producer_id(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx) -> Option<i64> {
        if let Some((next, end)) = self.pid_block {
            if next < end {
                self.pid_block = Some((next + 1, end));
                return Some(next);
            }
        }
        self.pid_block = None;
        self.request_producer_ids(host, ctx);
        None
    }

    fn request_producer_ids(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx) {
        if self
            .allocating_since
            .is_some_and(|since| ctx.now - since < 5_000)
        {
            return;
        }
        let (Some(controller), Some(epoch)) = (host.active_controller(), host.broker_epoch())
        else {
            return;
        };
        self.allocating_since = Some(ctx.now);
        ctx.send(
            controller,
            Message::AllocateProducerIds {
                broker_id: host.id(),
                broker_epoch: epoch,
            },
        );
    }

    pub fn handle_allocate_producer_ids_response(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        error: Option<KafkaError>,
        first: i64,
        count: i64,
    ) {
        self.allocating_since = None;
        if error.is_some() {
            return;
        }
        self.pid_block = Some((first, first + count));
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Broker {} gets producer ids {first}..{} from the controller (a block of {count}, KIP-730)",
                host.id(),
                first + count - 1
            ),
        );
        for (node, tid, timeout) in std::mem::take(&mut self.waiting_for_pids) {
            self.handle_init_producer_id(host, ctx, node, tid, timeout);
        }
    }

    pub fn handle_init_producer_id(
        &mut self,
        host: &mut dyn Host,
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
        let me = host.id();
        let Some(tid) = tid else {
            // Idempotence only: a fresh id with epoch 0, from any broker.
            match self.next_producer_id(host, ctx) {
                Some(pid) => {
                    ctx.event(
                        EventKind::Txn,
                        None,
                        format!("Broker {me} gives an idempotent producer id {pid}, epoch 0"),
                    );
                    reply(ctx, None, pid, 0);
                }
                None => self.waiting_for_pids.push((from, None, timeout_ms)),
            }
            return;
        };
        let Some((p, _)) = self.txn_coordinates(host, &tid) else {
            reply(ctx, Some(KafkaError::NOT_COORDINATOR), -1, -1);
            return;
        };
        let max = host.image().broker_config_i64("transaction.max.timeout.ms");
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
        let current = self.txns.get(&tid).cloned();
        match current {
            None => {
                let Some(pid) = self.next_producer_id(host, ctx) else {
                    self.waiting_for_pids.push((from, Some(tid), timeout_ms));
                    return;
                };
                let meta = TxnMetadata {
                    transactional_id: tid.clone(),
                    producer_id: pid,
                    producer_epoch: 0,
                    timeout_ms,
                    state: TxnStatus::Empty,
                    partitions: SortedSet::new(),
                    start_ms: -1,
                    last_update_ms: now,
                };
                ctx.event(
                    EventKind::Txn,
                    None,
                    format!("Coordinator {me} registers transactional.id {tid} with producer id {pid}, epoch 0 (written to {} first)", state_tp(p)),
                );
                self.write_txn(host, ctx, p, meta, TxnThen::InitProducerId { node: from });
            }
            Some(meta) => match meta.state {
                TxnStatus::Empty | TxnStatus::CompleteCommit | TxnStatus::CompleteAbort => {
                    let mut next = meta.clone();
                    if meta.producer_epoch >= i16::MAX - 1 {
                        let Some(pid) = self.next_producer_id(host, ctx) else {
                            self.waiting_for_pids.push((from, Some(tid), timeout_ms));
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
                    self.write_txn(host, ctx, p, next, TxnThen::InitProducerId { node: from });
                }
                TxnStatus::Ongoing => {
                    ctx.event(
                        EventKind::Txn,
                        None,
                        format!("Coordinator {me}: a new instance of {tid} initializes while a transaction of epoch {} is open: the coordinator fences it (epoch → {}), aborts the open transaction, and answers CONCURRENT_TRANSACTIONS so the new instance asks again", meta.producer_epoch, meta.producer_epoch + 1),
                    );
                    self.fence_and_abort(host, ctx, p, meta);
                    reply(ctx, Some(KafkaError::CONCURRENT_TRANSACTIONS), -1, -1);
                }
                TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => {
                    reply(ctx, Some(KafkaError::CONCURRENT_TRANSACTIONS), -1, -1);
                }
            },
        }
    }

    /// Bumps the epoch and aborts the open transaction (a zombie fenced, or a timeout).
    fn fence_and_abort(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        p: i32,
        meta: TxnMetadata,
    ) {
        let mut next = meta;
        next.producer_epoch = next.producer_epoch.saturating_add(1);
        next.state = TxnStatus::PrepareAbort;
        next.last_update_ms = ctx.now;
        self.write_txn(host, ctx, p, next, TxnThen::Prepare { node: None });
    }

    /// Whether `tid`'s transaction is settling: a state change being written, or markers
    /// not yet acknowledged.
    pub(crate) fn txn_write_pending(&self, tid: &str) -> bool {
        self.pending_writes
            .iter()
            .any(|w| w.metadata.transactional_id == tid)
            || self.markers_outstanding.contains_key(tid)
    }

    /// Checks a request's producer id and epoch against the transaction, and says so when an
    /// older instance is refused (`PRODUCER_FENCED`).
    fn check_txn_request(
        &self,
        host: &dyn Host,
        ctx: &mut BrokerCtx,
        request: &str,
        tid: &str,
        pid: i64,
        epoch: i16,
    ) -> Result<(i32, TxnMetadata), KafkaError> {
        let result = self.validate_txn_request(host, tid, pid, epoch);
        if result.as_ref().err() == Some(&KafkaError::PRODUCER_FENCED) {
            ctx.event(
                EventKind::Txn,
                None,
                format!(
                    "Coordinator {} refuses {request} from {tid} with epoch {epoch}: a newer instance has bumped the epoch, so this one is fenced (PRODUCER_FENCED)",
                    host.id()
                ),
            );
        }
        result
    }

    fn validate_txn_request(
        &self,
        host: &dyn Host,
        tid: &str,
        pid: i64,
        epoch: i16,
    ) -> Result<(i32, TxnMetadata), KafkaError> {
        let (p, meta) = self.txn_of_producer(host, tid, pid, epoch)?;
        if self.txn_write_pending(tid) {
            return Err(KafkaError::CONCURRENT_TRANSACTIONS);
        }
        Ok((p, meta.clone()))
    }

    /// The transaction of `tid` as written, if this broker coordinates it and the producer
    /// id and epoch are its own.
    fn txn_of_producer(
        &self,
        host: &dyn Host,
        tid: &str,
        pid: i64,
        epoch: i16,
    ) -> Result<(i32, &TxnMetadata), KafkaError> {
        let Some((p, _)) = self.txn_coordinates(host, tid) else {
            return Err(KafkaError::NOT_COORDINATOR);
        };
        let Some(meta) = self.txns.get(tid) else {
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
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: AddPartitionsToTxnRequest,
    ) {
        let AddPartitionsToTxnRequest {
            transactional_id: tid,
            producer_id: pid,
            producer_epoch: epoch,
            partitions,
        } = request;
        let me = host.id();
        let answer =
            |ctx: &mut BrokerCtx, error: Option<KafkaError>, partitions: Vec<TopicPartition>| {
                ctx.send(
                    from,
                    Message::AddPartitionsToTxnResponse { error, partitions },
                )
            };
        let (p, meta) =
            match self.check_txn_request(host, ctx, "AddPartitionsToTxn", &tid, pid, epoch) {
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
        let added: SortedSet<TopicPartition> = partitions.iter().cloned().collect();
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
            host,
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
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: AddOffsetsToTxnRequest,
    ) {
        let AddOffsetsToTxnRequest {
            transactional_id: tid,
            producer_id: pid,
            producer_epoch: epoch,
            group_id,
        } = request;
        let (p, meta) = match self.check_txn_request(host, ctx, "AddOffsetsToTxn", &tid, pid, epoch)
        {
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
            offsets_partition(&group_id, host.offsets_partitions()),
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
                host.id()
            ),
        );
        self.write_txn(
            host,
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
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: EndTxnRequest,
    ) {
        let EndTxnRequest {
            transactional_id: tid,
            producer_id: pid,
            producer_epoch: epoch,
            commit,
        } = request;
        let me = host.id();
        let answer = |ctx: &mut BrokerCtx, error: Option<KafkaError>| {
            ctx.send(from, Message::EndTxnResponse { error })
        };
        let (p, meta) = match self.check_txn_request(host, ctx, "EndTxn", &tid, pid, epoch) {
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
                self.write_txn(host, ctx, p, next, TxnThen::Prepare { node: Some(from) });
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

    fn write_txn(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        p: i32,
        meta: TxnMetadata,
        then: TxnThen,
    ) {
        let tp = state_tp(p);
        let now = ctx.now;
        let (Some(epoch), Some(log)) = (host.leading_epoch(&tp), host.log(&tp)) else {
            return;
        };
        // The state change takes effect once the HW passes its record.
        let required_hw = log.log_end_offset() + 1;
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
        self.pending_writes.push(TxnWrite {
            partition: p,
            required_hw,
            deadline_ms: now + TXN_WRITE_TIMEOUT_MS,
            metadata: meta,
            then,
        });
        host.set_timer(
            ctx,
            BrokerTimer::TxnWriteTimeout {
                partition: p,
                required_hw,
            },
            TXN_WRITE_TIMEOUT_MS,
        );
        host.append(ctx, &tp, vec![record]);
    }

    /// Applies the state changes the HW of `tp`, a `__transaction_state` partition, has passed
    /// (the broker calls it when that HW moves).
    pub(crate) fn complete_txn_writes(
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
            host.cancel_timer(&BrokerTimer::TxnWriteTimeout {
                partition: write.partition,
                required_hw: write.required_hw,
            });
            let meta = write.metadata;
            let tid = meta.transactional_id.clone();
            self.txns.insert(tid.clone(), meta.clone());
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
                    self.send_markers(host, ctx, &tid);
                }
                TxnThen::Complete => {
                    ctx.event(
                        EventKind::Txn,
                        None,
                        format!(
                            "Coordinator {}: the transaction of {tid} is {} (every marker is written)",
                            host.id(),
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
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        partition: i32,
        required_hw: i64,
    ) {
        let (expired, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_writes)
            .into_iter()
            .partition(|w| w.partition == partition && w.required_hw == required_hw);
        self.pending_writes = waiting;
        for write in expired {
            ctx.event(
                EventKind::Txn,
                None,
                format!(
                    "Coordinator {}: the state change of {} was not replicated in time ({} did not reach its HW): the request fails with NOT_ENOUGH_REPLICAS",
                    host.id(),
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

    fn send_markers(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx, tid: &str) {
        let Some(meta) = self.txns.get(tid).cloned() else {
            return;
        };
        let commit = match meta.state {
            TxnStatus::PrepareCommit => true,
            TxnStatus::PrepareAbort => false,
            _ => return,
        };
        let Some((_, coordinator_epoch)) = self.txn_coordinates(host, tid) else {
            return;
        };
        let outstanding = self
            .markers_outstanding
            .entry(tid.to_string())
            .or_insert_with(|| meta.partitions.clone())
            .clone();
        if outstanding.is_empty() {
            self.markers_outstanding.remove(tid);
            self.complete_txn(host, ctx, tid);
            return;
        }
        let mut by_leader: SortedMap<NodeId, Vec<TopicPartition>> = SortedMap::new();
        let mut leaderless = false;
        for tp in &outstanding {
            match host.image().partitions.get(tp).and_then(|r| r.leader) {
                Some(l) => by_leader.entry(l).or_default().push(tp.clone()),
                None => leaderless = true,
            }
        }
        for (leader, partitions) in by_leader {
            ctx.send(
                leader,
                Message::WriteTxnMarkers(WriteTxnMarkersRequest {
                    transactional_id: tid.to_string(),
                    producer_id: meta.producer_id,
                    producer_epoch: meta.producer_epoch,
                    coordinator_epoch,
                    commit,
                    partitions,
                }),
            );
        }
        ctx.event(
            EventKind::Txn,
            None,
            format!(
                "Coordinator {} sends {} markers for {tid} to the leaders of {}",
                host.id(),
                if commit { "COMMIT" } else { "ABORT" },
                list(&outstanding)
            ),
        );
        // Markers to a partition without a leader, or lost on the way, are sent again.
        let _ = leaderless;
        host.set_timer(
            ctx,
            BrokerTimer::TxnMarkerRetry {
                transactional_id: tid.to_string(),
            },
            if leaderless { MARKER_RETRY_MS } else { 5_000 },
        );
    }

    pub(crate) fn on_marker_retry(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx, tid: &str) {
        if self.markers_outstanding.contains_key(tid) {
            self.send_markers(host, ctx, tid);
        }
    }

    pub fn handle_write_txn_markers_response(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        tid: String,
        pid: i64,
        results: Vec<(TopicPartition, Option<KafkaError>)>,
    ) {
        if self.txns.get(&tid).is_none_or(|m| m.producer_id != pid) {
            return;
        }
        let mut retry = false;
        if let Some(outstanding) = self.markers_outstanding.get_mut(&tid) {
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
                self.markers_outstanding.remove(&tid);
                host.cancel_timer(&BrokerTimer::TxnMarkerRetry {
                    transactional_id: tid.clone(),
                });
                self.complete_txn(host, ctx, &tid);
                return;
            }
        }
        if retry {
            host.set_timer(
                ctx,
                BrokerTimer::TxnMarkerRetry {
                    transactional_id: tid,
                },
                MARKER_RETRY_MS,
            );
        }
    }

    fn complete_txn(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx, tid: &str) {
        let Some(meta) = self.txns.get(tid).cloned() else {
            return;
        };
        let Some((p, _)) = self.txn_coordinates(host, tid) else {
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
        self.write_txn(host, ctx, p, next, TxnThen::Complete);
    }

    /// The periodic check for transactions open past their timeout.
    pub(crate) fn on_txn_timeout_check(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx) {
        let interval = host
            .image()
            .broker_config_i64("transaction.abort.timed.out.transaction.cleanup.interval.ms")
            .max(1);
        host.set_timer(ctx, BrokerTimer::TxnTimeoutCheck, interval);
        let now = ctx.now;
        let expired: Vec<TxnMetadata> = self
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
            let Some((p, _)) = self.txn_coordinates(host, &meta.transactional_id) else {
                continue;
            };
            ctx.event(
                EventKind::Txn,
                None,
                format!(
                    "Coordinator {}: the transaction of {} has been open {} ms, longer than its transaction.timeout.ms={}: it aborts it and bumps the epoch, fencing the producer",
                    host.id(),
                    meta.transactional_id,
                    now - meta.start_ms,
                    meta.timeout_ms
                ),
            );
            self.fence_and_abort(host, ctx, p, meta);
        }
    }

    /// Loads or unloads a `__transaction_state` partition after its leadership changed here.
    pub(crate) fn on_txn_partition_leadership(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
    ) {
        if &*tp.topic != TRANSACTION_STATE_TOPIC {
            return;
        }
        let p = tp.partition;
        match coordinator_change(host, tp, self.loaded.get(&p).copied()) {
            CoordinatorChange::Load(epoch) => self.load_txn_partition(host, ctx, p, epoch),
            CoordinatorChange::Unload => self.unload_txn_partition(host, p),
            CoordinatorChange::Keep => {}
        }
    }

    fn unload_txn_partition(&mut self, host: &mut dyn Host, p: i32) {
        let n = host.txn_partitions();
        self.loaded.remove(&p);
        self.txns.retain(|tid, _| txn_partition(tid, n) != p);
        self.pending_writes.retain(|w| w.partition != p);
        self.markers_outstanding
            .retain(|tid, _| txn_partition(tid, n) != p);
    }

    /// Replays the partition (`TransactionStateManager.loadTransactionsForTxnTopicPartition`);
    /// transactions caught in Prepare* get their markers sent again.
    fn load_txn_partition(&mut self, host: &mut dyn Host, ctx: &mut BrokerCtx, p: i32, epoch: i32) {
        self.unload_txn_partition(host, p);
        let tp = state_tp(p);
        let mut loaded: SortedMap<String, TxnMetadata> = SortedMap::new();
        if let Some(log) = host.log(&tp) {
            for record in log.records() {
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
        self.txns.extend(loaded);
        self.loaded.insert(p, epoch);
        if self.loaded.len() == 1 {
            let interval = host
                .image()
                .broker_config_i64("transaction.abort.timed.out.transaction.cleanup.interval.ms")
                .max(1);
            host.set_timer(ctx, BrokerTimer::TxnTimeoutCheck, interval);
        }
        if !names.is_empty() {
            ctx.event(
                EventKind::Txn,
                Some(tp.clone()),
                format!(
                    "Broker {} leads {tp} (epoch {epoch}) and becomes transaction coordinator of {}",
                    host.id(),
                    names.join(", ")
                ),
            );
        }
        for tid in prepared {
            self.send_markers(host, ctx, &tid);
        }
    }

    /// The coordinator's side (`TransactionCoordinator.handleVerifyPartitionsInTransaction`):
    /// each partition is verified if the producer's transaction is ongoing and includes it.
    pub fn handle_verify_partitions_in_txn(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: VerifyPartitionsInTxnRequest,
    ) {
        let VerifyPartitionsInTxnRequest {
            verification_id,
            transactional_id: tid,
            producer_id: pid,
            producer_epoch: epoch,
            partitions,
        } = request;
        let me = host.id();
        // A state change still being written does not count: partitions join the metadata
        // when their AddPartitionsToTxn is written and leave when Complete* is, and the
        // append checks its guard again anyway.
        let checked = self
            .txn_of_producer(host, &tid, pid, epoch)
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
}
