//! A producer client: the Java `KafkaProducer` as a node of the simulation (`KafkaProducer`,
//! `RecordAccumulator`, `Sender`, `TransactionManager` in apache/kafka's clients module;
//! kafka-semantics.md §4 and §5).
//!
//! - `send()` picks the partition ([`crate::partitioner`]: explicit, else murmur2 of the key,
//!   else the sticky partitioner) and appends the record to that partition's queue of
//!   batches in the accumulator. A batch holds up to `batch.size` bytes (after the modelled
//!   effect of `compression.type`); a bigger record gets a batch of its own.
//! - A leader is *ready* when one of its partitions has a batch to send
//!   (`RecordAccumulator.ready`): the queue holds more than one batch or the first is full,
//!   it has waited `linger.ms`, or the application flushes (or a transaction is completing).
//!   The sender then drains the first batch of every partition that leader leads into one
//!   Produce request, lingered or not, up to `max.request.size` (`drainBatchesForOneNode`).
//!   At most `max.in.flight.requests.per.connection` requests wait for one broker; with 1,
//!   a partition with a batch in flight is muted, so order holds.
//! - A request that fails with a retriable error (not leader, not enough replicas, a
//!   timeout, a broken connection) puts its batch back at the head of its queue and is sent
//!   again after `retry.backoff.ms` (doubling to `retry.backoff.max.ms`), up to `retries`
//!   times and within `delivery.timeout.ms`. Without idempotence a retried batch that had in
//!   fact been written is written again (a duplicate), and a later batch already in flight
//!   can land first (reordering).
//! - With `enable.idempotence` (the default) the producer gets a producer id and epoch
//!   (InitProducerId) and numbers its batches per partition; the leader recognises a retry
//!   by id, epoch and sequence and answers with the original offsets
//!   ([`crate::producer_state`]). A retried batch waits until it is the first in flight of
//!   its partition. On OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is next in line the
//!   producer bumps its epoch locally and numbers from 0 again (KIP-360); a numbered batch
//!   that fails for good leaves its partition unresolved, and once nothing of it is in
//!   flight the producer bumps if a sequence it handed out was never acknowledged.
//! - With `transactional.id`: `initTransactions()` finds the transaction coordinator and
//!   asks it for the id's producer id with a bumped epoch (fencing older instances);
//!   `beginTransaction()`, then each new partition is added with AddPartitionsToTxn before
//!   its first batch goes out; `sendOffsetsToTransaction()` (AddOffsetsToTxn, then
//!   TxnOffsetCommit to the group coordinator); `commitTransaction()` flushes and sends
//!   EndTxn(commit); `abortTransaction()` drops unsent batches, waits for those in flight,
//!   and sends EndTxn(abort). PRODUCER_FENCED or INVALID_PRODUCER_EPOCH is fatal: the
//!   instance is a zombie and can only be closed.
//!
//! Simplified: partitions are drained in name order (Kafka rotates the starting partition
//! per broker, which only matters when a request fills `max.request.size`), no
//! `buffer.memory` limit, compression as a fixed size ratio, and transactions V1 (explicit
//! AddPartitionsToTxn, sequences taken back from failed batches; partition leaders verify
//! with the coordinator as KIP-890 part 1 has it, but part 2's per-transaction epoch bump is
//! not modelled).

mod accumulator;
mod config;
mod sender;
mod status;

#[cfg(test)]
mod tests;
mod transactions;

use crate::sorted::{SortedMap, SortedSet};
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::client::AckedWrite;
use crate::command::{NodeId, TopicPartition};
use crate::event::EventKind;
use crate::kernel::{Ctx, Timers};
use crate::partitioner::StickyPartitioner;
use crate::protocol::Message;
use crate::record::Record;

pub use accumulator::{InFlight, ProducerBatch};
pub use config::{compression_ratio, ProducerConfig};
pub use status::ProducerStatus;
pub use transactions::{CallsAllowed, PendingOffsets, TxnState};
use transactions::{ABORT_FROM, BEGIN_FROM, COMMIT_FROM};

/// What a producer handles an input with: the kernel's handle, typed by its timers.
pub type ProducerCtx<'a> = Ctx<'a, ProducerTimer>;

/// The timers a producer sets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProducerTimer {
    /// The sender thread wakes (a batch's linger.ms or retry backoff is over).
    Send,
    /// `metadata.max.age.ms` passed.
    MetadataAge,
    /// A Produce request's request.timeout.ms.
    RequestTimeout { request_id: i64 },
}

impl ProducerTimer {
    /// How the trace names it when it fires and does nothing else.
    pub fn name(&self) -> String {
        match self {
            ProducerTimer::Send => "sender wake-up".into(),
            ProducerTimer::MetadataAge => "metadata.max.age.ms".into(),
            ProducerTimer::RequestTimeout { .. } => "produce request.timeout.ms".into(),
        }
    }
}

pub use crate::command::PRODUCER_ID_BASE;

/// Records waiting for the topic's metadata before they can be partitioned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSend {
    pub topic: String,
    pub partition: Option<i32>,
    pub record: Record,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Producer {
    pub id: NodeId,
    /// `client.id`.
    pub name: String,
    pub properties: Vec<(String, String)>,
    pub config: ProducerConfig,
    pub alive: bool,
    pub closing: bool,
    pub bootstrap: Vec<NodeId>,
    pub next_bootstrap: usize,
    /// Cached partition leaders and the partition count of each topic.
    pub leaders: SortedMap<TopicPartition, Option<NodeId>>,
    pub partition_counts: SortedMap<String, i32>,
    pub metadata_asked_ms: Option<i64>,
    pub pending: Vec<PendingSend>,
    /// The accumulator: batches per partition, oldest first.
    pub queues: SortedMap<TopicPartition, VecDeque<ProducerBatch>>,
    pub in_flight: SortedMap<i64, InFlight>,
    pub next_request_id: i64,
    pub next_batch_id: i64,
    /// Numbers every record this producer creates (the sandbox's identity of a record).
    pub next_record: i64,
    pub sticky: SortedMap<String, StickyPartitioner>,
    pub flushing: bool,
    // Idempotence.
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub init_in_flight: bool,
    /// InitProducerId is not sent again before this time (after an error, the backoff).
    pub init_retry_at_ms: i64,
    /// The next sequence per partition.
    pub next_sequence: SortedMap<TopicPartition, i32>,
    /// The last sequence acknowledged per partition, in the current epoch.
    #[serde(default)]
    pub last_acked_sequence: SortedMap<TopicPartition, i32>,
    /// Partitions where a numbered batch failed for good, so the leader may or may not have
    /// it: new batches wait until the answers in flight settle whether there is a gap
    /// (`TransactionManager.markSequenceUnresolved` / `maybeResolveSequences`).
    #[serde(default)]
    pub unresolved: SortedSet<TopicPartition>,
    // Transactions.
    pub txn_state: TxnState,
    pub coordinator: Option<NodeId>,
    pub finding_coordinator: bool,
    /// Partitions the coordinator knows are in the transaction.
    pub txn_partitions: SortedSet<TopicPartition>,
    /// Partitions in an AddPartitionsToTxn waiting for its answer.
    pub adding_partitions: SortedSet<TopicPartition>,
    pub pending_offsets: Option<PendingOffsets>,
    /// The group's offsets partition is in the transaction (AddOffsetsToTxn answered).
    pub offsets_in_txn: bool,
    pub end_in_flight: bool,
    /// Records acknowledged, to check guarantees against and to show.
    pub acked: crate::chunked::ChunkedVec<AckedWrite>,
    pub records_sent: i64,
    pub records_acked: i64,
    pub records_failed: i64,
    pub retries_done: i64,
    pub transactions_committed: i64,
    pub transactions_aborted: i64,
    pub error: Option<String>,
    /// While one command sends several records: how many went to each partition.
    #[serde(default)]
    pub send_summary: Option<SortedMap<TopicPartition, usize>>,
    pub timers: Timers<ProducerTimer>,
}

impl Producer {
    pub fn new(
        id: NodeId,
        name: String,
        properties: Vec<(String, String)>,
        config: ProducerConfig,
        bootstrap: Vec<NodeId>,
    ) -> Producer {
        Producer {
            id,
            name,
            properties,
            txn_state: if config.transactional_id.is_some() {
                TxnState::Uninitialized
            } else {
                TxnState::Ready
            },
            config,
            alive: true,
            closing: false,
            bootstrap,
            next_bootstrap: 0,
            leaders: SortedMap::new(),
            partition_counts: SortedMap::new(),
            metadata_asked_ms: None,
            pending: Vec::new(),
            queues: SortedMap::new(),
            in_flight: SortedMap::new(),
            next_request_id: 1,
            next_batch_id: 1,
            next_record: 0,
            sticky: SortedMap::new(),
            flushing: false,
            producer_id: -1,
            producer_epoch: -1,
            init_in_flight: false,
            init_retry_at_ms: 0,
            next_sequence: SortedMap::new(),
            last_acked_sequence: SortedMap::new(),
            unresolved: SortedSet::new(),
            coordinator: None,
            finding_coordinator: false,
            txn_partitions: SortedSet::new(),
            adding_partitions: SortedSet::new(),
            pending_offsets: None,
            offsets_in_txn: false,
            end_in_flight: false,
            acked: Default::default(),
            records_sent: 0,
            records_acked: 0,
            records_failed: 0,
            retries_done: 0,
            transactions_committed: 0,
            transactions_aborted: 0,
            error: None,
            send_summary: None,
            timers: Timers::default(),
        }
    }

    pub fn transactional(&self) -> bool {
        self.config.transactional_id.is_some()
    }

    fn set_timer(&mut self, ctx: &mut ProducerCtx, timer: ProducerTimer, after_ms: i64) {
        self.timers.set(ctx, timer, after_ms);
    }

    fn event(
        &self,
        ctx: &mut ProducerCtx,
        kind: EventKind,
        tp: Option<TopicPartition>,
        text: String,
    ) {
        ctx.event(kind, tp, format!("Producer {}: {text}", self.name));
    }

    fn bootstrap_broker(&self) -> NodeId {
        self.bootstrap
            .get(self.next_bootstrap % self.bootstrap.len().max(1))
            .copied()
            .unwrap_or(0)
    }

    fn backoff_ms(&self, attempts: i32) -> i64 {
        let shift = (attempts.max(1) - 1).min(10) as u32;
        (self.config.retry_backoff_ms << shift).min(self.config.retry_backoff_max_ms)
    }

    /// The process starts: metadata, a producer id for idempotence; a transactional producer
    /// calls `initTransactions()` at once (the sandbox's producers always do).
    pub fn start(&mut self, ctx: &mut ProducerCtx) {
        self.request_metadata(ctx);
        self.set_timer(
            ctx,
            ProducerTimer::MetadataAge,
            self.config.metadata_max_age_ms,
        );
        if self.transactional() {
            self.txn_state = TxnState::Initializing;
            self.find_coordinator(ctx);
        } else if self.config.idempotent {
            self.init_producer_id(ctx);
        }
    }

    /// `send()`: one record, to an explicit partition, by key, or sticky. The record is
    /// partitioned once the topic's metadata is known.
    pub fn send(
        &mut self,
        ctx: &mut ProducerCtx,
        topic: &str,
        key: Option<String>,
        value: Option<String>,
        partition: Option<i32>,
    ) -> Result<(), String> {
        self.check_send()?;
        let n = self.next_record;
        self.next_record += 1;
        let record = Record {
            offset: -1,
            leader_epoch: -1,
            producer: self.name.clone(),
            producer_seq: n,
            key,
            value: Some(value.unwrap_or_else(|| format!("{}-{n}", self.name))),
            timestamp_ms: ctx.now,
            coordinator: None,
            batch: None,
        };
        self.records_sent += 1;
        self.pending.push(PendingSend {
            topic: topic.to_string(),
            partition,
            record,
        });
        self.partition_pending(ctx);
        self.run_sender(ctx);
        Ok(())
    }

    /// Starts counting where records go instead of narrating each (a `send` of many records).
    pub fn begin_send_summary(&mut self) {
        self.send_summary = Some(SortedMap::new());
    }

    /// One line for the records sent since [`Producer::begin_send_summary`].
    pub fn end_send_summary(&mut self, ctx: &mut ProducerCtx, how: &str) {
        let Some(summary) = self.send_summary.take() else {
            return;
        };
        if summary.is_empty() {
            return;
        }
        let total: usize = summary.values().sum();
        let parts: Vec<String> = summary
            .iter()
            .map(|(tp, n)| {
                let batches = self.queues.get(tp).map_or(0, |q| q.len());
                format!("{n} to {tp} ({batches} batch(es) waiting)")
            })
            .collect();
        self.event(
            ctx,
            EventKind::Command,
            None,
            format!(
                "send() × {total} ({how}): {} in the accumulator",
                parts.join(", ")
            ),
        );
    }

    /// `flush()`: every batch is ready now.
    pub fn flush(&mut self, ctx: &mut ProducerCtx) {
        self.flushing = true;
        self.event(
            ctx,
            EventKind::Command,
            None,
            "flush(): every waiting batch is sent now, without waiting for linger.ms".to_string(),
        );
        self.run_sender(ctx);
    }

    pub fn begin_transaction(&mut self, ctx: &mut ProducerCtx) -> Result<(), String> {
        self.check_txn_call("beginTransaction", BEGIN_FROM)?;
        self.txn_state = TxnState::InTransaction;
        self.event(
            ctx,
            EventKind::Command,
            None,
            "beginTransaction(): a transaction starts on the client; the coordinator hears of it with the first partition added".to_string(),
        );
        Ok(())
    }

    pub fn commit_transaction(&mut self, ctx: &mut ProducerCtx) -> Result<(), String> {
        self.check_txn_call("commitTransaction", COMMIT_FROM)?;
        self.txn_state = TxnState::Committing;
        self.flushing = true;
        self.event(
            ctx,
            EventKind::Command,
            None,
            "commitTransaction(): it flushes every batch, waits for them, then asks the coordinator to commit (EndTxn)".to_string(),
        );
        self.run_sender(ctx);
        Ok(())
    }

    pub fn abort_transaction(&mut self, ctx: &mut ProducerCtx) -> Result<(), String> {
        self.check_txn_call("abortTransaction", ABORT_FROM)?;
        self.txn_state = TxnState::Aborting;
        let mut dropped = 0;
        let unsent: Vec<ProducerBatch> =
            self.queues.values_mut().flat_map(|q| q.drain(..)).collect();
        // Newest first, so each takes back the sequences at the end.
        for b in unsent.iter().rev() {
            dropped += b.records.len();
            self.reclaim_sequences(b);
        }
        dropped += self.pending.len();
        self.pending.clear();
        self.records_failed += dropped as i64;
        self.event(
            ctx,
            EventKind::Command,
            None,
            format!(
                "abortTransaction(): {dropped} unsent record(s) are dropped; once the requests in flight are answered it asks the coordinator to abort (EndTxn), which writes ABORT markers"
            ),
        );
        self.run_sender(ctx);
        Ok(())
    }

    /// `sendOffsetsToTransaction()`: the consumer group's offsets commit with the transaction.
    pub fn send_offsets_to_transaction(
        &mut self,
        ctx: &mut ProducerCtx,
        group_id: String,
        offsets: Vec<(TopicPartition, i64)>,
    ) -> Result<(), String> {
        self.check_txn_call("sendOffsetsToTransaction", COMMIT_FROM)?;
        let text: Vec<String> = offsets.iter().map(|(tp, o)| format!("{tp}@{o}")).collect();
        self.event(
            ctx,
            EventKind::Command,
            None,
            format!(
                "sendOffsetsToTransaction(): group {group_id}'s offsets {} will commit only if the transaction does",
                text.join(", ")
            ),
        );
        self.pending_offsets = Some(PendingOffsets {
            group_id,
            offsets,
            added: false,
            group_coordinator: None,
            in_flight: false,
        });
        self.run_sender(ctx);
        Ok(())
    }

    fn check_send(&self) -> Result<(), String> {
        if let Some(e) = &self.error {
            return Err(format!("producer {} cannot send: {e}", self.name));
        }
        if self.closing || !self.alive {
            return Err(format!("producer {} is closed", self.name));
        }
        if self.transactional() && self.txn_state != TxnState::InTransaction {
            return Err(format!(
                "Cannot call send in state {}: call `producer begin {}` first (IllegalStateException)",
                self.txn_state.name(),
                self.name
            ));
        }
        Ok(())
    }

    /// `close()`: sends what is waiting, then stops.
    pub fn close(&mut self, ctx: &mut ProducerCtx) {
        self.closing = true;
        self.flushing = true;
        self.event(
            ctx,
            EventKind::Command,
            None,
            "close(): sends every waiting batch, waits for the answers, then stops".to_string(),
        );
        self.run_sender(ctx);
        self.maybe_finish_close(ctx);
    }

    fn maybe_finish_close(&mut self, ctx: &mut ProducerCtx) {
        if self.closing
            && self.alive
            && (self.error.is_some()
                || (self.in_flight.is_empty() && self.queues.values().all(|q| q.is_empty())))
        {
            self.alive = false;
            self.timers.clear();
            self.event(ctx, EventKind::Command, None, "is closed".to_string());
        }
    }

    /// The process dies: whatever was in the accumulator is gone.
    pub fn crash(&mut self) {
        self.alive = false;
        self.timers.clear();
    }

    /// What it has waiting, for the view: records not yet in a batch that went out.
    pub fn queued_records(&self) -> usize {
        self.queues
            .values()
            .map(|q| q.iter().map(|b| b.records.len()).sum::<usize>())
            .sum::<usize>()
            + self.pending.len()
    }
    /// What it is doing, for the view.
    /// A few words on what it is doing, for the view.
    pub fn status(&self) -> ProducerStatus {
        if !self.alive {
            return if self.closing {
                ProducerStatus::Closed
            } else {
                ProducerStatus::Crashed
            };
        }
        if self.error.is_some() {
            return ProducerStatus::Fenced;
        }
        if self.transactional() {
            return match self.txn_state {
                TxnState::InTransaction => ProducerStatus::InTransaction,
                TxnState::Committing => ProducerStatus::Committing,
                TxnState::Aborting => ProducerStatus::Aborting,
                TxnState::AbortableError => ProducerStatus::MustAbort,
                TxnState::Initializing | TxnState::Uninitialized => ProducerStatus::Initializing,
                TxnState::Ready => ProducerStatus::Ready,
                TxnState::Fatal => ProducerStatus::Fenced,
            };
        }
        if self.config.idempotent && self.producer_id < 0 {
            return ProducerStatus::GettingProducerId;
        }
        if self.in_flight.is_empty() && self.queued_records() == 0 {
            ProducerStatus::Idle
        } else {
            ProducerStatus::Sending
        }
    }
}

impl Producer {
    /// Handles an answer that arrived for this producer (none once it stopped).
    pub fn handle_message(&mut self, ctx: &mut ProducerCtx, from: NodeId, message: Message) {
        if !self.alive {
            return;
        }
        match message {
            Message::MetadataResponse { leaders, .. } => self.handle_metadata(ctx, leaders),
            Message::ProduceResponse {
                request_id,
                partitions,
            } => self.handle_produce_response(ctx, from, request_id, partitions),
            Message::FindCoordinatorResponse {
                group_id,
                error,
                node,
            } => self.handle_find_coordinator_response(ctx, group_id, error, node),
            Message::InitProducerIdResponse {
                error,
                producer_id,
                producer_epoch,
            } => self.handle_init_producer_id_response(ctx, error, producer_id, producer_epoch),
            Message::AddPartitionsToTxnResponse { error, partitions } => {
                self.handle_add_partitions_response(ctx, error, partitions)
            }
            Message::AddOffsetsToTxnResponse { error, .. } => {
                self.handle_add_offsets_response(ctx, error)
            }
            Message::TxnOffsetCommitResponse { error, .. } => {
                self.handle_txn_offset_commit_response(ctx, error)
            }
            Message::EndTxnResponse { error } => self.handle_end_txn_response(ctx, error),
            // Nothing else is an answer to a request a producer sends.
            _ => {}
        }
    }

    /// Fires one of this producer's timers, if it is the one last set.
    pub fn handle_timer(&mut self, ctx: &mut ProducerCtx, timer: ProducerTimer) {
        if !self.timers.take(&timer, ctx.now) {
            return;
        }
        match timer {
            ProducerTimer::Send => self.on_timer(ctx),
            ProducerTimer::MetadataAge => self.on_metadata_age(ctx),
            ProducerTimer::RequestTimeout { request_id } => {
                self.on_request_timeout(ctx, request_id)
            }
        }
    }
}
