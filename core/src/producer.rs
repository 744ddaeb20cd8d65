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

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::client::AckedWrite;
use crate::command::{Acks, NodeId, TopicPartition};
use crate::config::{producer_config, validate, PRODUCER_CONFIGS};
use crate::event::EventKind;
use crate::log::Record;
use crate::partitioner::StickyPartitioner;
use crate::partitioner::{record_partition, PartitionStatus, PartitionerConfig, RecordPartition};
use crate::producer_state::BatchHeader;
use crate::protocol::{KafkaError, Message, ProducePartition, ProducePartitionResponse};
use crate::sim::{Ctx, Timer, Timers};

/// The node id of the first producer; the n-th producer started gets `PRODUCER_ID_BASE + n`.
pub const PRODUCER_ID_BASE: NodeId = 2000;

/// The sandbox's model of what compression does to a batch's size: the share of the bytes
/// left (Kafka estimates the ratio per topic as it goes; text compresses roughly this well).
pub fn compression_ratio(codec: &str) -> f64 {
    match codec {
        "gzip" => 0.4,
        "zstd" => 0.4,
        "lz4" => 0.6,
        "snappy" => 0.6,
        _ => 1.0,
    }
}

fn default_max_request_size() -> i64 {
    1_048_576
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProducerConfig {
    pub acks: Acks,
    pub idempotent: bool,
    pub transactional_id: Option<String>,
    pub transaction_timeout_ms: i64,
    pub batch_size: i64,
    pub linger_ms: i64,
    pub compression: String,
    pub max_in_flight: i64,
    pub retries: i64,
    pub retry_backoff_ms: i64,
    pub retry_backoff_max_ms: i64,
    pub request_timeout_ms: i64,
    pub delivery_timeout_ms: i64,
    #[serde(default)]
    pub metadata_max_age_ms: i64,
    /// `max.request.size`: a Produce request carries batches up to this many bytes.
    #[serde(default = "default_max_request_size")]
    pub max_request_size: i64,
    pub partitioner: PartitionerConfig,
}

impl ProducerConfig {
    /// Kafka's defaults with `properties` applied, checked as `ProducerConfig` checks them:
    /// idempotence (on by default) needs `acks=all`, `retries > 0` and at most 5 requests in
    /// flight; set explicitly with a conflicting config it is an error, left at its default it
    /// is quietly turned off. A `transactional.id` needs idempotence.
    pub fn from_properties(properties: &[(String, String)]) -> Result<ProducerConfig, String> {
        let mut values: BTreeMap<&str, String> = PRODUCER_CONFIGS
            .iter()
            .map(|c| (c.name, c.default.to_string()))
            .collect();
        for (key, value) in properties {
            let Some(def) = producer_config(key) else {
                return Err(format!("unknown producer config {key}"));
            };
            validate(def, value)?;
            values.insert(def.name, value.clone());
        }
        // Kafka's INT configs stop at 2^31 - 1; the sandbox bounds its LONG ones there too, so
        // adding a duration to the clock can never overflow.
        let int = |name: &str| -> i64 {
            values
                .get(name)
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or_default()
                .clamp(0, i64::from(i32::MAX))
        };
        let text = |name: &str| values.get(name).cloned().unwrap_or_default();
        let explicit = |name: &str| properties.iter().any(|(k, _)| k == name);
        let acks = match text("acks").as_str() {
            "0" => Acks::None,
            "1" => Acks::Leader,
            _ => Acks::All,
        };
        let transactional_id = Some(text("transactional.id")).filter(|s| !s.is_empty());
        let max_in_flight = int("max.in.flight.requests.per.connection").max(1);
        let retries = int("retries");
        let mut idempotent = text("enable.idempotence") == "true";
        let conflict = if acks != Acks::All {
            Some("acks must be set to all")
        } else if max_in_flight > 5 {
            Some("max.in.flight.requests.per.connection must be at most 5")
        } else if retries == 0 {
            Some("retries must be greater than 0")
        } else {
            None
        };
        if let Some(why) = conflict {
            if idempotent && explicit("enable.idempotence") {
                return Err(format!(
                    "Invalid configuration: to use the idempotent producer, {why} (ConfigException)"
                ));
            }
            if transactional_id.is_some() {
                return Err(format!(
                    "Invalid configuration: a transactional producer is idempotent, so {why} (ConfigException)"
                ));
            }
            idempotent = false;
        }
        if transactional_id.is_some() && !idempotent {
            return Err(
                "Cannot set a transactional.id without also enabling idempotence (ConfigException)"
                    .into(),
            );
        }
        let batch_size = int("batch.size");
        Ok(ProducerConfig {
            acks,
            idempotent,
            transactional_id,
            transaction_timeout_ms: int("transaction.timeout.ms"),
            batch_size,
            linger_ms: int("linger.ms"),
            compression: text("compression.type"),
            max_in_flight,
            retries,
            retry_backoff_ms: int("retry.backoff.ms"),
            retry_backoff_max_ms: int("retry.backoff.max.ms").max(1),
            request_timeout_ms: int("request.timeout.ms").max(1),
            delivery_timeout_ms: int("delivery.timeout.ms").max(1),
            metadata_max_age_ms: int("metadata.max.age.ms").max(1),
            max_request_size: int("max.request.size").max(1),
            partitioner: PartitionerConfig {
                batch_size: batch_size.clamp(1, i32::MAX as i64) as i32,
                adaptive_partitioning_enable: text("partitioner.adaptive.partitioning.enable")
                    == "true",
                availability_timeout_ms: int("partitioner.availability.timeout.ms"),
                ignore_keys: text("partitioner.ignore.keys") == "true",
            },
        })
    }
}

/// A batch in the accumulator or in flight (`ProducerBatch`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerBatch {
    /// Numbered per producer, for the trace and the view.
    pub id: i64,
    pub partition: TopicPartition,
    pub records: Vec<Record>,
    /// Estimated bytes on the wire, after compression.
    pub bytes: i64,
    pub created_ms: i64,
    /// How many times it was sent.
    pub attempts: i32,
    /// Set when first drained by an idempotent producer, with the epoch it was numbered in.
    pub base_sequence: Option<i32>,
    pub producer_epoch: i16,
    /// A retried batch waits until then.
    pub retry_at_ms: Option<i64>,
}

/// A Produce request waiting for its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    pub broker: NodeId,
    pub sent_ms: i64,
    /// One per partition, in the request's order.
    pub batches: Vec<ProducerBatch>,
}

/// The states `beginTransaction()`, `commitTransaction()` (and `sendOffsetsToTransaction()`)
/// and `abortTransaction()` may be called in (`TransactionManager`'s transition checks).
const BEGIN_FROM: &[TxnState] = &[TxnState::Ready];
const COMMIT_FROM: &[TxnState] = &[TxnState::InTransaction];
const ABORT_FROM: &[TxnState] = &[TxnState::InTransaction, TxnState::AbortableError];

/// Which of the application's calls a producer accepts now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallsAllowed {
    pub send: bool,
    pub begin: bool,
    pub commit: bool,
    pub abort: bool,
}

/// `TransactionManager.State`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnState {
    Uninitialized,
    Initializing,
    Ready,
    InTransaction,
    Committing,
    Aborting,
    /// An error that only aborting the transaction clears.
    AbortableError,
    /// Fenced or otherwise broken: the producer can only be closed.
    Fatal,
}

impl TxnState {
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Uninitialized => "UNINITIALIZED",
            TxnState::Initializing => "INITIALIZING",
            TxnState::Ready => "READY",
            TxnState::InTransaction => "IN_TRANSACTION",
            TxnState::Committing => "COMMITTING_TRANSACTION",
            TxnState::Aborting => "ABORTING_TRANSACTION",
            TxnState::AbortableError => "ABORTABLE_ERROR",
            TxnState::Fatal => "FATAL_ERROR",
        }
    }
}

/// Records waiting for the topic's metadata before they can be partitioned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSend {
    pub topic: String,
    pub partition: Option<i32>,
    pub record: Record,
}

/// A transaction's `sendOffsetsToTransaction` on its way: AddOffsetsToTxn, then
/// TxnOffsetCommit to the group's coordinator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOffsets {
    pub group_id: String,
    pub offsets: Vec<(TopicPartition, i64)>,
    /// AddOffsetsToTxn answered; TxnOffsetCommit is next.
    pub added: bool,
    pub group_coordinator: Option<NodeId>,
    pub in_flight: bool,
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
    pub leaders: BTreeMap<TopicPartition, Option<NodeId>>,
    pub partition_counts: BTreeMap<String, i32>,
    pub metadata_asked_ms: Option<i64>,
    pub pending: Vec<PendingSend>,
    /// The accumulator: batches per partition, oldest first.
    pub queues: BTreeMap<TopicPartition, VecDeque<ProducerBatch>>,
    pub in_flight: BTreeMap<i64, InFlight>,
    pub next_request_id: i64,
    pub next_batch_id: i64,
    /// Numbers every record this producer creates (the sandbox's identity of a record).
    pub next_record: i64,
    pub sticky: BTreeMap<String, StickyPartitioner>,
    pub flushing: bool,
    // Idempotence.
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub init_in_flight: bool,
    /// InitProducerId is not sent again before this time (after an error, the backoff).
    pub init_retry_at_ms: i64,
    /// The next sequence per partition.
    pub next_sequence: BTreeMap<TopicPartition, i32>,
    /// The last sequence acknowledged per partition, in the current epoch.
    #[serde(default)]
    pub last_acked_sequence: BTreeMap<TopicPartition, i32>,
    /// Partitions where a numbered batch failed for good, so the leader may or may not have
    /// it: new batches wait until the answers in flight settle whether there is a gap
    /// (`TransactionManager.markSequenceUnresolved` / `maybeResolveSequences`).
    #[serde(default)]
    pub unresolved: BTreeSet<TopicPartition>,
    // Transactions.
    pub txn_state: TxnState,
    pub coordinator: Option<NodeId>,
    pub finding_coordinator: bool,
    /// Partitions the coordinator knows are in the transaction.
    pub txn_partitions: BTreeSet<TopicPartition>,
    /// Partitions in an AddPartitionsToTxn waiting for its answer.
    pub adding_partitions: BTreeSet<TopicPartition>,
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
    pub send_summary: Option<BTreeMap<TopicPartition, usize>>,
    pub timers: Timers,
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
            leaders: BTreeMap::new(),
            partition_counts: BTreeMap::new(),
            metadata_asked_ms: None,
            pending: Vec::new(),
            queues: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            next_request_id: 1,
            next_batch_id: 1,
            next_record: 0,
            sticky: BTreeMap::new(),
            flushing: false,
            producer_id: -1,
            producer_epoch: -1,
            init_in_flight: false,
            init_retry_at_ms: 0,
            next_sequence: BTreeMap::new(),
            last_acked_sequence: BTreeMap::new(),
            unresolved: BTreeSet::new(),
            coordinator: None,
            finding_coordinator: false,
            txn_partitions: BTreeSet::new(),
            adding_partitions: BTreeSet::new(),
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

    pub fn take_timer(&mut self, timer: &Timer, now: i64) -> bool {
        self.timers.take(timer, now)
    }

    fn set_timer(&mut self, ctx: &mut Ctx, timer: Timer, after_ms: i64) {
        self.timers.set(ctx, timer, after_ms);
    }

    fn event(&self, ctx: &mut Ctx, kind: EventKind, tp: Option<TopicPartition>, text: String) {
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
    pub fn start(&mut self, ctx: &mut Ctx) {
        self.request_metadata(ctx);
        self.set_timer(
            ctx,
            Timer::ProducerMetadataAge,
            self.config.metadata_max_age_ms,
        );
        if self.transactional() {
            self.txn_state = TxnState::Initializing;
            self.find_coordinator(ctx);
        } else if self.config.idempotent {
            self.init_producer_id(ctx);
        }
    }

    fn request_metadata(&mut self, ctx: &mut Ctx) {
        if self
            .metadata_asked_ms
            .is_some_and(|at| ctx.now - at < self.config.retry_backoff_ms)
        {
            self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
            return;
        }
        self.metadata_asked_ms = Some(ctx.now);
        ctx.send(self.bootstrap_broker(), Message::MetadataRequest);
    }

    fn find_coordinator(&mut self, ctx: &mut Ctx) {
        let Some(tid) = self.config.transactional_id.clone() else {
            return;
        };
        if self.finding_coordinator {
            return;
        }
        self.finding_coordinator = true;
        self.coordinator = None;
        ctx.send(
            self.bootstrap_broker(),
            Message::FindTxnCoordinator {
                transactional_id: tid,
            },
        );
    }

    fn init_producer_id(&mut self, ctx: &mut Ctx) {
        if self.init_in_flight {
            return;
        }
        if ctx.now < self.init_retry_at_ms {
            self.set_timer(ctx, Timer::ProducerSend, self.init_retry_at_ms - ctx.now);
            return;
        }
        let to = if self.transactional() {
            match self.coordinator {
                Some(c) => c,
                None => return self.find_coordinator(ctx),
            }
        } else {
            self.bootstrap_broker()
        };
        self.init_in_flight = true;
        ctx.send(
            to,
            Message::InitProducerId {
                transactional_id: self.config.transactional_id.clone(),
                transaction_timeout_ms: self.config.transaction_timeout_ms,
            },
        );
    }

    // ------------------------------------------------------------------ the application

    /// `send()`: one record, to an explicit partition, by key, or sticky. The record is
    /// partitioned once the topic's metadata is known.
    pub fn send(
        &mut self,
        ctx: &mut Ctx,
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
        self.send_summary = Some(BTreeMap::new());
    }

    /// One line for the records sent since [`Producer::begin_send_summary`].
    pub fn end_send_summary(&mut self, ctx: &mut Ctx, how: &str) {
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

    /// Moves records whose topic metadata is known into the accumulator.
    fn partition_pending(&mut self, ctx: &mut Ctx) {
        let pending = std::mem::take(&mut self.pending);
        let mut missing = false;
        for send in pending {
            let Some(&count) = self.partition_counts.get(&send.topic) else {
                missing = true;
                self.pending.push(send);
                continue;
            };
            let key_bytes = send.record.key.as_ref().map(|k| k.as_bytes().to_vec());
            let choice = record_partition(
                send.partition,
                key_bytes.as_deref(),
                self.config.partitioner.ignore_keys,
                count,
            );
            let (partition, how) = match choice {
                Some(RecordPartition::Explicit(p)) if p >= 0 && p < count => {
                    (p, "the partition it names".to_string())
                }
                Some(RecordPartition::Explicit(p)) => {
                    self.records_failed += 1;
                    self.event(
                        ctx,
                        EventKind::ProduceAck,
                        None,
                        format!(
                            "send() to {}-{p} fails: the topic has {count} partition(s) (KafkaException: Invalid partition)",
                            send.topic
                        ),
                    );
                    continue;
                }
                Some(RecordPartition::Keyed(p)) => (
                    p,
                    format!(
                        "toPositive(murmur2(\"{}\")) % {count} = {p}",
                        send.record.key.as_deref().unwrap_or("")
                    ),
                ),
                _ => {
                    let statuses = self.statuses(&send.topic, count);
                    let sticky = self
                        .sticky
                        .entry(send.topic.clone())
                        .or_insert_with(|| StickyPartitioner::new(&self.config.partitioner));
                    let p = sticky
                        .peek_current_partition(&statuses, ctx.rng)
                        .unwrap_or(0);
                    (p, "the sticky partition (no key)".to_string())
                }
            };
            let tp = TopicPartition::new(send.topic.clone(), partition);
            let bytes = self.record_bytes(&send.record);
            let all_full = self.append(ctx, tp.clone(), send.record, bytes);
            if !matches!(
                choice,
                Some(RecordPartition::Keyed(_)) | Some(RecordPartition::Explicit(_))
            ) {
                let statuses = self.statuses(&send.topic, count);
                if let Some(sticky) = self.sticky.get_mut(&send.topic) {
                    sticky.update_partition_info(bytes as i32, all_full, &statuses, ctx.rng);
                }
            }
            match self.send_summary.as_mut() {
                // Several records in one command: one line for them all, at the end.
                Some(summary) => *summary.entry(tp).or_default() += 1,
                None => {
                    let queued = self.queues.get(&tp).map_or(0, |q| q.len());
                    self.event(
                        ctx,
                        EventKind::Command,
                        Some(tp.clone()),
                        format!(
                            "send() puts a record in the batch for {tp} ({how}); {queued} batch(es) wait for it in the accumulator"
                        ),
                    );
                }
            }
        }
        if missing {
            self.request_metadata(ctx);
        }
    }

    fn record_bytes(&self, record: &Record) -> i64 {
        let raw = crate::broker::record_size(record) as f64;
        ((raw * compression_ratio(&self.config.compression)).ceil() as i64).max(1)
    }

    /// What the sticky partitioner sees of a topic's partitions.
    fn statuses(&self, topic: &str, count: i32) -> Vec<PartitionStatus> {
        (0..count)
            .map(|p| {
                let tp = TopicPartition::new(topic, p);
                let mut s =
                    PartitionStatus::new(p, self.leaders.get(&tp).is_some_and(|l| l.is_some()));
                s.queued_batches = self.queues.get(&tp).map(|q| q.len() as i32);
                s
            })
            .collect()
    }

    /// `RecordAccumulator.append`: into the last batch if it fits, else a new one. Returns
    /// whether every batch of the queue is full (the sticky partitioner may switch).
    fn append(&mut self, ctx: &mut Ctx, tp: TopicPartition, record: Record, bytes: i64) -> bool {
        let limit = self.config.batch_size.max(1);
        let id = self.next_batch_id;
        let queue = self.queues.entry(tp.clone()).or_default();
        let fits = queue
            .back()
            .is_some_and(|b| b.attempts == 0 && b.bytes + bytes <= limit);
        if fits {
            if let Some(b) = queue.back_mut() {
                b.bytes += bytes;
                b.records.push(record);
            }
        } else {
            self.next_batch_id += 1;
            queue.push_back(ProducerBatch {
                id,
                partition: tp,
                records: vec![record],
                bytes,
                created_ms: ctx.now,
                attempts: 0,
                base_sequence: None,
                producer_epoch: -1,
                retry_at_ms: None,
            });
        }
        queue.back().is_some_and(|b| b.bytes >= limit)
    }

    /// `flush()`: every batch is ready now.
    pub fn flush(&mut self, ctx: &mut Ctx) {
        self.flushing = true;
        self.event(
            ctx,
            EventKind::Command,
            None,
            "flush(): every waiting batch is sent now, without waiting for linger.ms".to_string(),
        );
        self.run_sender(ctx);
    }

    pub fn begin_transaction(&mut self, ctx: &mut Ctx) -> Result<(), String> {
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

    pub fn commit_transaction(&mut self, ctx: &mut Ctx) -> Result<(), String> {
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

    pub fn abort_transaction(&mut self, ctx: &mut Ctx) -> Result<(), String> {
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
        ctx: &mut Ctx,
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

    /// Whether `send()`, `beginTransaction()`, `commitTransaction()` and
    /// `abortTransaction()` would be accepted now: the same checks the calls make, for the UI
    /// to offer only what works.
    pub fn calls_allowed(&self) -> CallsAllowed {
        CallsAllowed {
            send: self.check_send().is_ok(),
            begin: self.check_txn_call("beginTransaction", BEGIN_FROM).is_ok(),
            commit: self
                .check_txn_call("commitTransaction", COMMIT_FROM)
                .is_ok(),
            abort: self.check_txn_call("abortTransaction", ABORT_FROM).is_ok(),
        }
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

    fn check_txn_call(&self, call: &str, allowed: &[TxnState]) -> Result<(), String> {
        if let Some(e) = &self.error {
            return Err(format!("producer {} cannot {call}: {e}", self.name));
        }
        if !self.transactional() {
            return Err(format!(
                "producer {} has no transactional.id: {call}() needs a transactional producer (start one with --producer-property transactional.id=...)",
                self.name
            ));
        }
        if !self.alive || self.closing {
            return Err(format!("producer {} is closed", self.name));
        }
        if !allowed.contains(&self.txn_state) {
            return Err(format!(
                "Cannot call {call} in state {} (IllegalStateException)",
                self.txn_state.name()
            ));
        }
        Ok(())
    }

    /// `close()`: sends what is waiting, then stops.
    pub fn close(&mut self, ctx: &mut Ctx) {
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

    fn maybe_finish_close(&mut self, ctx: &mut Ctx) {
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

    // ------------------------------------------------------------------ the sender thread

    /// `Sender.runOnce`: producer id first, then partitions into the transaction, then ready
    /// batches, then the end of a transaction.
    pub fn run_sender(&mut self, ctx: &mut Ctx) {
        if !self.alive || self.error.is_some() {
            return;
        }
        self.expire_batches(ctx);
        if self.transactional() && self.txn_state == TxnState::AbortableError {
            // `RecordAccumulator.abortUndrainedBatches`: what has not gone out fails with the
            // transaction's error.
            let undrained: Vec<ProducerBatch> =
                self.queues.values_mut().flat_map(|q| q.drain(..)).collect();
            for b in undrained {
                self.fail_batch(
                    ctx,
                    &b,
                    "the transaction is in ABORTABLE_ERROR, so it is not sent",
                );
            }
        }
        self.resolve_sequences(ctx);
        if self.config.idempotent && self.producer_id < 0 {
            if self.transactional() {
                if self.coordinator.is_none() {
                    self.find_coordinator(ctx);
                } else {
                    self.init_producer_id(ctx);
                }
            } else {
                self.init_producer_id(ctx);
            }
            return;
        }
        if self.transactional() {
            self.add_partitions_to_txn(ctx);
        }
        let now = ctx.now;
        let mut wake: Option<i64> = None;
        let mut need_metadata = false;
        // `RecordAccumulator.ready`: a leader is ready when one of its partitions has a batch
        // to send (full, lingered long enough, flushed, or a retry whose backoff is over).
        let mut ready_nodes: BTreeSet<NodeId> = BTreeSet::new();
        for (tp, queue) in &self.queues {
            let Some(first) = queue.front() else {
                continue;
            };
            if self.held_back(tp) {
                continue;
            }
            let ready_at = match first.retry_at_ms {
                Some(at) => at,
                None if queue.len() > 1
                    || first.bytes >= self.config.batch_size
                    || self.flushing
                    || self.closing
                    || matches!(self.txn_state, TxnState::Committing) =>
                {
                    now
                }
                None => first.created_ms + self.config.linger_ms,
            };
            if ready_at > now {
                wake = Some(wake.map_or(ready_at, |w: i64| w.min(ready_at)));
                continue;
            }
            match self.leaders.get(tp) {
                Some(&Some(leader)) => {
                    ready_nodes.insert(leader);
                }
                _ => need_metadata = true,
            }
        }
        // `NetworkClient.ready`: at most max.in.flight.requests.per.connection requests wait
        // for one broker.
        for node in ready_nodes {
            let to_node = self.in_flight.values().filter(|f| f.broker == node).count() as i64;
            if to_node < self.config.max_in_flight {
                self.drain(ctx, node);
            }
        }
        if need_metadata {
            self.request_metadata(ctx);
        }
        if let Some(at) = wake {
            self.set_timer(ctx, Timer::ProducerSend, at - now);
        }
        if self.flushing
            && !self.closing
            && self.queues.values().all(|q| q.is_empty())
            && self.in_flight.is_empty()
            && self.pending.is_empty()
        {
            self.flushing = false;
        }
        if self.transactional() {
            self.maybe_end_transaction(ctx);
        }
        self.maybe_finish_close(ctx);
    }

    /// Batches older than `delivery.timeout.ms` that are not in flight fail.
    fn expire_batches(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let limit = self.config.delivery_timeout_ms;
        let mut expired = Vec::new();
        for queue in self.queues.values_mut() {
            while queue.front().is_some_and(|b| now - b.created_ms >= limit) {
                if let Some(b) = queue.pop_front() {
                    expired.push(b);
                }
            }
        }
        for b in expired {
            self.fail_batch(
                ctx,
                &b,
                &format!("TimeoutException: it spent delivery.timeout.ms={limit} without being acknowledged"),
            );
        }
    }

    /// `TransactionManager.maybeResolveSequences`: once nothing of a partition with a failed
    /// numbered batch is in flight, either every sequence handed out was acknowledged (no gap)
    /// or the leader may be missing some, and the idempotent producer bumps its epoch before
    /// sending more, so no later batch meets OUT_OF_ORDER_SEQUENCE_NUMBER.
    fn resolve_sequences(&mut self, ctx: &mut Ctx) {
        let settled: Vec<TopicPartition> = self
            .unresolved
            .iter()
            .filter(|tp| !self.partition_in_flight(tp))
            .cloned()
            .collect();
        for tp in settled {
            let next = self.next_sequence.get(&tp).copied().unwrap_or(0);
            let acked_up_to = self
                .last_acked_sequence
                .get(&tp)
                .map_or(0, |&s| s.wrapping_add(1) & i32::MAX);
            if next == acked_up_to {
                self.unresolved.remove(&tp);
            } else {
                let why = format!(
                    "sequences {acked_up_to}..={} of {tp} were handed out but never acknowledged, so the leader may have a gap",
                    next.wrapping_sub(1) & i32::MAX
                );
                self.bump_epoch(ctx, &why);
                return;
            }
        }
    }

    /// Whether nothing of `tp` may go out now: a transactional producer's partition the
    /// coordinator has not added yet (`isSendToPartitionAllowed`), or, with
    /// `max.in.flight.requests.per.connection=1`, a partition with a batch in flight, muted
    /// so nothing overtakes it (`RecordAccumulator.isMuted`).
    fn held_back(&self, tp: &TopicPartition) -> bool {
        (self.transactional() && !self.txn_partitions.contains(tp))
            || (self.config.max_in_flight == 1 && self.partition_in_flight(tp))
    }

    fn partition_in_flight(&self, tp: &TopicPartition) -> bool {
        self.in_flight
            .values()
            .any(|f| f.batches.iter().any(|b| &b.partition == tp))
    }

    /// `RecordAccumulator.drainBatchesForOneNode`: the first batch of every partition `leader`
    /// leads goes into one Produce request, whether or not that batch has lingered long
    /// enough, up to `max.request.size` bytes. A batch still backing off is skipped; a retried
    /// batch waits until nothing else of its partition is in flight, and holds back the rest
    /// of the request (`shouldStopDrainBatchesForPartition`).
    fn drain(&mut self, ctx: &mut Ctx, leader: NodeId) {
        let now = ctx.now;
        let partitions: Vec<TopicPartition> = self
            .queues
            .iter()
            .filter(|(tp, q)| !q.is_empty() && self.leaders.get(*tp) == Some(&Some(leader)))
            .map(|(tp, _)| tp.clone())
            .collect();
        let mut batches: Vec<ProducerBatch> = Vec::new();
        let mut size = 0;
        for tp in partitions {
            if self.held_back(&tp) {
                continue;
            }
            let Some(first) = self.queues.get(&tp).and_then(|q| q.front()) else {
                continue;
            };
            if first.retry_at_ms.is_some_and(|at| at > now) {
                continue;
            }
            if size + first.bytes > self.config.max_request_size && !batches.is_empty() {
                break;
            }
            if self.config.idempotent
                && first.base_sequence.is_some()
                && self.partition_in_flight(&tp)
            {
                break;
            }
            if first.base_sequence.is_none() && self.unresolved.contains(&tp) {
                break;
            }
            let Some(mut batch) = self.queues.get_mut(&tp).and_then(|q| q.pop_front()) else {
                continue;
            };
            size += batch.bytes;
            self.number(&mut batch);
            batches.push(batch);
        }
        if batches.is_empty() {
            return;
        }
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        for batch in &batches {
            let seq_text = match batch.base_sequence {
                Some(base) => format!(
                    ", producer id {} epoch {} sequences {base}..={}",
                    self.producer_id,
                    batch.producer_epoch,
                    base + batch.records.len() as i32 - 1
                ),
                None => String::new(),
            };
            let others: Vec<String> = batches
                .iter()
                .filter(|b| b.id != batch.id)
                .map(|b| format!("#{} ({})", b.id, b.partition))
                .collect();
            let together = if others.is_empty() {
                String::new()
            } else {
                format!(", in one Produce request with {}", others.join(", "))
            };
            self.event(
                ctx,
                EventKind::Deliver,
                Some(batch.partition.clone()),
                format!(
                    "sends batch #{} ({} record(s), {} bytes{seq_text}) to leader {leader}{}{together}",
                    batch.id,
                    batch.records.len(),
                    batch.bytes,
                    if batch.attempts > 1 {
                        format!(", attempt {}", batch.attempts)
                    } else {
                        String::new()
                    }
                ),
            );
        }
        ctx.send(
            leader,
            Message::Produce {
                request_id,
                transactional_id: self.config.transactional_id.clone(),
                acks: self.config.acks,
                timeout_ms: self.config.request_timeout_ms,
                partitions: batches
                    .iter()
                    .map(|b| ProducePartition {
                        partition: b.partition.clone(),
                        records: b.records.clone(),
                    })
                    .collect(),
            },
        );
        if self.config.acks == Acks::None {
            // acks=0: done as soon as it is on the wire; there will be no answer.
            self.records_acked += batches.iter().map(|b| b.records.len() as i64).sum::<i64>();
            return;
        }
        self.set_timer(
            ctx,
            Timer::ProducerRequestTimeout { request_id },
            self.config.request_timeout_ms,
        );
        self.in_flight.insert(
            request_id,
            InFlight {
                broker: leader,
                sent_ms: ctx.now,
                batches,
            },
        );
    }

    /// A batch leaving the accumulator: an idempotent producer gives it its sequence numbers
    /// the first time, and every attempt counts.
    fn number(&mut self, batch: &mut ProducerBatch) {
        if self.config.idempotent && batch.base_sequence.is_none() {
            let next = self
                .next_sequence
                .entry(batch.partition.clone())
                .or_insert(0);
            batch.base_sequence = Some(*next);
            batch.producer_epoch = self.producer_epoch;
            *next = next.wrapping_add(batch.records.len() as i32) & i32::MAX;
        }
        if let Some(base) = batch.base_sequence {
            let header = Arc::new(BatchHeader {
                producer_id: self.producer_id,
                producer_epoch: batch.producer_epoch,
                base_sequence: base,
                last_sequence: base.wrapping_add(batch.records.len() as i32 - 1) & i32::MAX,
                transactional: self.transactional(),
                control: None,
                coordinator_epoch: -1,
            });
            for r in &mut batch.records {
                r.batch = Some(header.clone());
            }
        }
        batch.attempts += 1;
        batch.retry_at_ms = None;
    }

    fn fail_batch(&mut self, ctx: &mut Ctx, batch: &ProducerBatch, why: &str) {
        self.records_failed += batch.records.len() as i64;
        if self.transactional() {
            self.reclaim_sequences(batch);
        } else if self.config.idempotent
            && batch.base_sequence.is_some()
            && batch.producer_epoch == self.producer_epoch
        {
            self.unresolved.insert(batch.partition.clone());
        }
        self.event(
            ctx,
            EventKind::ProduceAck,
            Some(batch.partition.clone()),
            format!(
                "batch #{} ({} record(s)) for {} fails: {why}",
                batch.id,
                batch.records.len(),
                batch.partition
            ),
        );
        // `TransactionManager.handleFailedBatch`: a failed batch makes the transaction
        // abortable, also while committing (commitTransaction() then throws, no EndTxn(commit)
        // goes out); an abort already under way goes on.
        if self.transactional()
            && matches!(
                self.txn_state,
                TxnState::InTransaction | TxnState::Committing
            )
        {
            let committing = self.txn_state == TxnState::Committing;
            self.txn_state = TxnState::AbortableError;
            self.flushing = false;
            self.event(
                ctx,
                EventKind::Command,
                None,
                if committing {
                    "commitTransaction() fails: a batch of the transaction failed, so the transaction can now only be aborted (ABORTABLE_ERROR)".to_string()
                } else {
                    "the transaction can now only be aborted (ABORTABLE_ERROR)".to_string()
                },
            );
        }
    }

    /// `TxnPartitionMap.adjustSequencesDueToFailedBatch`: a transactional producer takes back
    /// the sequences of a batch that failed for good, so its partition's next batch (and any
    /// numbered after it) uses them and the leader sees no gap. (The leader may have written
    /// the failed batch after all; without transaction verification a batch that then reuses
    /// its sequences is taken for a retry of it.)
    fn reclaim_sequences(&mut self, batch: &ProducerBatch) {
        let Some(base) = batch.base_sequence else {
            return;
        };
        if batch.producer_epoch != self.producer_epoch {
            return;
        }
        let n = batch.records.len() as i32;
        let tp = &batch.partition;
        if let Some(next) = self.next_sequence.get_mut(tp) {
            *next = next.wrapping_sub(n).max(0);
        }
        let later = |b: &mut ProducerBatch| {
            if b.partition == *tp && b.base_sequence.is_some_and(|s| s > base) {
                b.base_sequence = b.base_sequence.map(|s| s - n);
            }
        };
        self.queues.values_mut().flatten().for_each(later);
        self.in_flight
            .values_mut()
            .flat_map(|f| f.batches.iter_mut())
            .for_each(later);
    }

    /// A batch goes back to the head of its queue, in sequence order (`reenqueue`,
    /// `insertInSequenceOrder`), to be sent after the backoff.
    fn retry(&mut self, ctx: &mut Ctx, mut batch: ProducerBatch, why: &str) {
        let now = ctx.now;
        let tp = batch.partition.clone();
        if i64::from(batch.attempts) > self.config.retries {
            return self.fail_batch(
                ctx,
                &batch,
                &format!("{why}, and retries={} are used up", self.config.retries),
            );
        }
        if now - batch.created_ms >= self.config.delivery_timeout_ms {
            return self.fail_batch(
                ctx,
                &batch,
                &format!(
                    "{why}, and delivery.timeout.ms={} has passed (TimeoutException)",
                    self.config.delivery_timeout_ms
                ),
            );
        }
        if matches!(self.txn_state, TxnState::Aborting) {
            return self.fail_batch(ctx, &batch, &format!("{why}; the transaction is aborting"));
        }
        let backoff = self.backoff_ms(batch.attempts);
        batch.retry_at_ms = Some(now + backoff);
        self.retries_done += 1;
        self.event(
            ctx,
            EventKind::ProduceAck,
            Some(tp.clone()),
            format!(
                "{why}: batch #{} goes back to the head of {tp}'s queue and is retried in {backoff} ms{}",
                batch.id,
                if self.config.idempotent {
                    " with the same sequence numbers"
                } else {
                    " (without idempotence, if it was in fact written, it will be written twice)"
                }
            ),
        );
        let queue = self.queues.entry(tp).or_default();
        let pos = match batch.base_sequence {
            Some(seq) => queue
                .iter()
                .position(|b| b.base_sequence.is_none_or(|s| s > seq))
                .unwrap_or(queue.len()),
            None => 0,
        };
        queue.insert(pos, batch);
        self.set_timer(ctx, Timer::ProducerSend, backoff);
    }

    // ------------------------------------------------------------------ responses

    pub fn handle_metadata(
        &mut self,
        ctx: &mut Ctx,
        leaders: Vec<(TopicPartition, Option<NodeId>, i32)>,
    ) {
        let mut counts: BTreeMap<String, i32> = BTreeMap::new();
        for (tp, leader, _) in leaders {
            let c = counts.entry(tp.topic.to_string()).or_default();
            *c = (*c).max(tp.partition + 1);
            self.leaders.insert(tp, leader);
        }
        for (topic, count) in counts {
            if let Some(old) = self.partition_counts.insert(topic.clone(), count) {
                if old != count {
                    self.event(
                        ctx,
                        EventKind::Command,
                        None,
                        format!("learns that {topic} now has {count} partitions (it had {old}): keys hash over {count} from now on, so some keys go to another partition"),
                    );
                }
            }
        }
        let unknown: Vec<String> = self
            .pending
            .iter()
            .map(|p| p.topic.clone())
            .filter(|t| !self.partition_counts.contains_key(t))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for topic in unknown {
            let n = self.pending.iter().filter(|p| p.topic == topic).count();
            self.pending.retain(|p| p.topic != topic);
            self.records_failed += n as i64;
            self.event(
                ctx,
                EventKind::ProduceAck,
                None,
                format!("{n} record(s) for {topic} fail: the topic does not exist (UNKNOWN_TOPIC_OR_PARTITION; this cluster does not create topics automatically)"),
            );
        }
        self.partition_pending(ctx);
        self.run_sender(ctx);
    }

    #[allow(clippy::too_many_arguments)]
    pub fn handle_produce_response(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        request_id: i64,
        answers: Vec<ProducePartitionResponse>,
    ) {
        self.timers
            .cancel(&Timer::ProducerRequestTimeout { request_id });
        let Some(flight) = self.in_flight.remove(&request_id) else {
            return;
        };
        for batch in flight.batches {
            match answers.iter().find(|a| a.partition == batch.partition) {
                Some(a) => self.complete_batch(ctx, from, batch, a.error, a.base_offset),
                None => self.retry(ctx, batch, "the answer left its partition out"),
            }
        }
        self.run_sender(ctx);
    }

    /// One partition's answer to a Produce request (`Sender.completeBatch`).
    fn complete_batch(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        batch: ProducerBatch,
        error: Option<KafkaError>,
        base_offset: i64,
    ) {
        let tp = batch.partition.clone();
        match error {
            None => {
                let n = batch.records.len() as i64;
                if let Some(base) = batch.base_sequence {
                    if batch.producer_epoch == self.producer_epoch {
                        let last = base.wrapping_add(n as i32 - 1) & i32::MAX;
                        let acked = self.last_acked_sequence.entry(tp.clone()).or_insert(last);
                        *acked = (*acked).max(last);
                    }
                }
                self.records_acked += n;
                self.acked.push(AckedWrite {
                    producer: self.name.clone(),
                    partition: tp.clone(),
                    acks: self.config.acks,
                    base_offset,
                    producer_seqs: batch.records.iter().map(|r| r.producer_seq).collect(),
                });
                self.event(
                    ctx,
                    EventKind::ProduceAck,
                    Some(tp.clone()),
                    format!(
                        "batch #{} is acknowledged by broker {from}: {n} record(s) at offsets {base_offset}..={}",
                        batch.id,
                        base_offset + n - 1
                    ),
                );
            }
            Some(e @ (KafkaError::PRODUCER_FENCED | KafkaError::INVALID_PRODUCER_EPOCH)) => {
                self.fatal(ctx, &batch, e);
            }
            Some(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER) => {
                let earlier_pending = self.in_flight.values().any(|f| {
                    f.batches
                        .iter()
                        .any(|b| b.partition == tp && b.base_sequence < batch.base_sequence)
                }) || self.queues.get(&tp).is_some_and(|q| {
                    q.iter()
                        .any(|b| b.base_sequence.is_some() && b.base_sequence < batch.base_sequence)
                });
                if earlier_pending {
                    self.retry(
                        ctx,
                        batch,
                        "OUT_OF_ORDER_SEQUENCE_NUMBER (an earlier batch has not landed yet)",
                    );
                } else if !self.transactional() {
                    // KIP-360: a real gap. The idempotent producer bumps its epoch locally and
                    // numbers every partition from 0 again; this batch fails.
                    self.fail_batch(ctx, &batch, "OutOfOrderSequenceException");
                    self.bump_epoch(ctx, "the leader has a gap in its sequences");
                } else {
                    self.fail_batch(ctx, &batch, "OutOfOrderSequenceException");
                }
            }
            Some(e @ KafkaError::INVALID_TXN_STATE) | Some(e @ KafkaError::INVALID_REQUEST) => {
                self.fail_batch(ctx, &batch, &e.to_string());
            }
            Some(e) => {
                if matches!(
                    e,
                    KafkaError::NOT_LEADER_OR_FOLLOWER
                        | KafkaError::FENCED_LEADER_EPOCH
                        | KafkaError::UNKNOWN_TOPIC_OR_PARTITION
                ) {
                    self.leaders.remove(&tp);
                    self.request_metadata(ctx);
                }
                self.retry(ctx, batch, &format!("broker {from} answered {e}"));
            }
        }
    }

    /// Bumps the epoch locally and renumbers what is not in flight (KIP-360).
    fn bump_epoch(&mut self, ctx: &mut Ctx, why: &str) {
        self.producer_epoch = self.producer_epoch.wrapping_add(1);
        self.next_sequence.clear();
        self.last_acked_sequence.clear();
        self.unresolved.clear();
        for queue in self.queues.values_mut() {
            for b in queue.iter_mut() {
                b.base_sequence = None;
                for r in &mut b.records {
                    r.batch = None;
                }
            }
        }
        self.event(
            ctx,
            EventKind::Command,
            None,
            format!(
                "{why}: it bumps its epoch to {} and numbers every partition from sequence 0 again (KIP-360)",
                self.producer_epoch
            ),
        );
    }

    fn fatal(&mut self, ctx: &mut Ctx, batch: &ProducerBatch, e: KafkaError) {
        self.fail_batch(ctx, batch, &e.to_string());
        self.become_fenced(ctx, e);
    }

    fn become_fenced(&mut self, ctx: &mut Ctx, e: KafkaError) {
        if self.error.is_some() {
            return;
        }
        let text = format!(
            "ProducerFencedException ({e}): another instance with transactional.id {} has a newer epoch; this one is a zombie and can only be closed",
            self.config.transactional_id.as_deref().unwrap_or("-")
        );
        self.txn_state = TxnState::Fatal;
        self.error = Some(text.clone());
        self.txn_partitions.clear();
        let dropped: usize = self
            .queues
            .values()
            .map(|q| q.iter().map(|b| b.records.len()).sum::<usize>())
            .sum();
        self.records_failed += dropped as i64;
        self.queues.clear();
        self.event(ctx, EventKind::ProduceAck, None, text);
    }

    /// `request.timeout.ms` passed without an answer: the connection is closed and every
    /// request on it fails with a retriable network error.
    pub fn on_request_timeout(&mut self, ctx: &mut Ctx, request_id: i64) {
        let Some(broker) = self.in_flight.get(&request_id).map(|f| f.broker) else {
            return;
        };
        self.event(
            ctx,
            EventKind::ProduceAck,
            None,
            format!(
                "no answer from broker {broker} within request.timeout.ms={}: it closes the connection and treats every request on it as failed, though the broker may have written them",
                self.config.request_timeout_ms
            ),
        );
        self.fail_connection(ctx, broker, "the request timed out (NETWORK_EXCEPTION)");
        self.run_sender(ctx);
    }

    fn fail_connection(&mut self, ctx: &mut Ctx, broker: NodeId, why: &str) {
        let ids: Vec<i64> = self
            .in_flight
            .iter()
            .filter(|(_, f)| f.broker == broker)
            .map(|(&id, _)| id)
            .collect();
        let mut batches: Vec<ProducerBatch> = ids
            .into_iter()
            .filter_map(|id| {
                self.timers
                    .cancel(&Timer::ProducerRequestTimeout { request_id: id });
                self.in_flight.remove(&id).map(|f| f.batches)
            })
            .flatten()
            .collect();
        // Newest first, so each goes to the head of its queue before the older ones.
        batches.reverse();
        self.leaders.retain(|_, l| *l != Some(broker));
        for b in batches {
            self.retry(ctx, b, why);
        }
        self.request_metadata(ctx);
    }

    /// A broker it has requests in flight to stopped: the connection breaks.
    pub fn on_broker_down(&mut self, ctx: &mut Ctx, broker: NodeId) {
        self.fail_connection(
            ctx,
            broker,
            &format!("the connection to broker {broker} broke (it stopped)"),
        );
        self.run_sender(ctx);
    }

    /// A request could not be sent: the broker refused the connection.
    pub fn handle_disconnect(&mut self, ctx: &mut Ctx, _broker: NodeId, message: &Message) {
        match message {
            Message::Produce { request_id, .. } => {
                if let Some(f) = self.in_flight.get(request_id) {
                    let broker = f.broker;
                    self.fail_connection(ctx, broker, &format!("broker {broker} is down"));
                }
            }
            Message::InitProducerId { .. } => {
                self.init_in_flight = false;
                self.next_bootstrap += 1;
                if self.transactional() {
                    self.coordinator = None;
                }
                self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
            }
            Message::FindTxnCoordinator { .. } | Message::MetadataRequest => {
                self.finding_coordinator = false;
                self.next_bootstrap += 1;
                self.metadata_asked_ms = None;
                self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
            }
            Message::AddPartitionsToTxn { partitions, .. } => {
                for tp in partitions {
                    self.adding_partitions.remove(tp);
                }
                self.coordinator_lost(ctx);
            }
            Message::EndTxn { .. } => {
                self.end_in_flight = false;
                self.coordinator_lost(ctx);
            }
            Message::AddOffsetsToTxn { .. } | Message::TxnOffsetCommit { .. } => {
                if let Some(p) = self.pending_offsets.as_mut() {
                    p.in_flight = false;
                    p.group_coordinator = None;
                }
                self.coordinator_lost(ctx);
            }
            _ => {}
        }
    }

    fn coordinator_lost(&mut self, ctx: &mut Ctx) {
        self.coordinator = None;
        self.next_bootstrap += 1;
        self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
    }

    /// `metadata.max.age.ms` passed: refresh the metadata (new partitions, moved leaders).
    pub fn on_metadata_age(&mut self, ctx: &mut Ctx) {
        self.set_timer(
            ctx,
            Timer::ProducerMetadataAge,
            self.config.metadata_max_age_ms,
        );
        self.metadata_asked_ms = None;
        self.request_metadata(ctx);
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx) {
        if self.metadata_asked_ms.is_some()
            && (self
                .pending
                .iter()
                .any(|p| !self.partition_counts.contains_key(&p.topic))
                || self
                    .queues
                    .iter()
                    .any(|(tp, q)| !q.is_empty() && !matches!(self.leaders.get(tp), Some(Some(_)))))
        {
            self.request_metadata(ctx);
        }
        if self.transactional() && self.coordinator.is_none() && !self.finding_coordinator {
            self.find_coordinator(ctx);
        }
        self.run_sender(ctx);
    }

    pub fn handle_find_coordinator_response(
        &mut self,
        ctx: &mut Ctx,
        key: String,
        error: Option<KafkaError>,
        node: Option<NodeId>,
    ) {
        if let Some(p) = self.pending_offsets.as_mut() {
            if p.group_id == key && p.group_coordinator.is_none() && p.added {
                p.in_flight = false;
                p.group_coordinator = node.filter(|_| error.is_none());
                if p.group_coordinator.is_none() {
                    self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
                }
                self.run_sender(ctx);
                return;
            }
        }
        self.finding_coordinator = false;
        match (error, node) {
            (None, Some(n)) => {
                self.coordinator = Some(n);
                self.event(
                    ctx,
                    EventKind::Command,
                    None,
                    format!("its transaction coordinator is broker {n}"),
                );
                if self.producer_id < 0 || self.txn_state == TxnState::Initializing {
                    self.init_producer_id(ctx);
                }
                self.run_sender(ctx);
            }
            (e, _) => {
                self.event(
                    ctx,
                    EventKind::Command,
                    None,
                    format!(
                        "cannot find its transaction coordinator yet ({}): it asks again in retry.backoff.ms",
                        e.map_or("no answer".to_string(), |e| e.to_string())
                    ),
                );
                self.next_bootstrap += 1;
                self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
            }
        }
    }

    pub fn handle_init_producer_id_response(
        &mut self,
        ctx: &mut Ctx,
        error: Option<KafkaError>,
        producer_id: i64,
        producer_epoch: i16,
    ) {
        self.init_in_flight = false;
        match error {
            None => {
                self.producer_id = producer_id;
                self.producer_epoch = producer_epoch;
                self.next_sequence.clear();
                if self.txn_state == TxnState::Initializing {
                    self.txn_state = TxnState::Ready;
                }
                self.event(
                    ctx,
                    EventKind::Command,
                    None,
                    format!(
                        "gets producer id {producer_id}, epoch {producer_epoch}{}",
                        if self.transactional() {
                            " (initTransactions() is done: any older instance with this transactional.id is fenced)"
                        } else {
                            ": its batches now carry sequence numbers, so retries cannot duplicate them"
                        }
                    ),
                );
            }
            Some(KafkaError::NOT_COORDINATOR) | Some(KafkaError::COORDINATOR_NOT_AVAILABLE) => {
                self.init_retry_at_ms = ctx.now + self.config.retry_backoff_ms;
                self.coordinator_lost(ctx);
            }
            Some(KafkaError::INVALID_TRANSACTION_TIMEOUT) => {
                let text = format!(
                    "InvalidTxnTimeoutException: transaction.timeout.ms={} is above the brokers' transaction.max.timeout.ms; initTransactions() fails and the producer can only be closed",
                    self.config.transaction_timeout_ms
                );
                self.txn_state = TxnState::Fatal;
                self.error = Some(text.clone());
                self.event(ctx, EventKind::Command, None, text);
                return;
            }
            Some(e) => {
                self.init_retry_at_ms = ctx.now + self.config.retry_backoff_ms;
                self.event(
                    ctx,
                    EventKind::Command,
                    None,
                    format!(
                        "InitProducerId answered {e}: it asks again in retry.backoff.ms={}",
                        self.config.retry_backoff_ms
                    ),
                );
            }
        }
        self.run_sender(ctx);
    }

    // ------------------------------------------------------------------ transactions

    fn add_partitions_to_txn(&mut self, ctx: &mut Ctx) {
        if !matches!(
            self.txn_state,
            TxnState::InTransaction | TxnState::Committing
        ) || !self.adding_partitions.is_empty()
        {
            return;
        }
        let new: Vec<TopicPartition> = self
            .queues
            .iter()
            .filter(|(tp, q)| !q.is_empty() && !self.txn_partitions.contains(*tp))
            .map(|(tp, _)| tp.clone())
            .collect();
        if new.is_empty() {
            return;
        }
        let (Some(coordinator), Some(tid)) =
            (self.coordinator, self.config.transactional_id.clone())
        else {
            return self.find_coordinator(ctx);
        };
        self.adding_partitions = new.iter().cloned().collect();
        ctx.send(
            coordinator,
            Message::AddPartitionsToTxn {
                transactional_id: tid,
                producer_id: self.producer_id,
                producer_epoch: self.producer_epoch,
                partitions: new,
            },
        );
    }

    pub fn handle_add_partitions_response(
        &mut self,
        ctx: &mut Ctx,
        error: Option<KafkaError>,
        partitions: Vec<TopicPartition>,
    ) {
        self.adding_partitions.clear();
        match error {
            None => {
                let list: Vec<String> = partitions.iter().map(|tp| tp.to_string()).collect();
                self.txn_partitions.extend(partitions);
                self.event(
                    ctx,
                    EventKind::Command,
                    None,
                    format!(
                        "the coordinator has added {} to the transaction: their batches may go out",
                        list.join(", ")
                    ),
                );
            }
            Some(e @ (KafkaError::PRODUCER_FENCED | KafkaError::INVALID_PRODUCER_EPOCH)) => {
                self.become_fenced(ctx, e)
            }
            Some(KafkaError::NOT_COORDINATOR) | Some(KafkaError::COORDINATOR_NOT_AVAILABLE) => {
                self.coordinator_lost(ctx)
            }
            Some(KafkaError::CONCURRENT_TRANSACTIONS) => {
                self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms)
            }
            Some(e) => {
                self.event(
                    ctx,
                    EventKind::Command,
                    None,
                    format!("AddPartitionsToTxn answered {e}: the transaction can only be aborted"),
                );
                self.txn_state = TxnState::AbortableError;
            }
        }
        self.run_sender(ctx);
    }

    /// Offsets to the transaction, then EndTxn once every batch is answered.
    fn maybe_end_transaction(&mut self, ctx: &mut Ctx) {
        let commit = match self.txn_state {
            TxnState::Committing => true,
            TxnState::Aborting => false,
            _ => {
                if self.txn_state == TxnState::InTransaction {
                    self.send_pending_offsets(ctx);
                }
                return;
            }
        };
        if self.end_in_flight || !self.adding_partitions.is_empty() || !self.in_flight.is_empty() {
            return;
        }
        if commit && (self.queues.values().any(|q| !q.is_empty()) || !self.pending.is_empty()) {
            return;
        }
        if commit && self.pending_offsets.is_some() {
            self.send_pending_offsets(ctx);
            return;
        }
        let (Some(coordinator), Some(tid)) =
            (self.coordinator, self.config.transactional_id.clone())
        else {
            return self.find_coordinator(ctx);
        };
        if self.txn_partitions.is_empty() && !self.offsets_in_txn {
            // Nothing reached the coordinator: the transaction ends on the client alone.
            self.finish_transaction(ctx, commit);
            return;
        }
        self.end_in_flight = true;
        ctx.send(
            coordinator,
            Message::EndTxn {
                transactional_id: tid,
                producer_id: self.producer_id,
                producer_epoch: self.producer_epoch,
                commit,
            },
        );
    }

    fn send_pending_offsets(&mut self, ctx: &mut Ctx) {
        let (Some(coordinator), Some(tid)) =
            (self.coordinator, self.config.transactional_id.clone())
        else {
            return;
        };
        let (pid, epoch) = (self.producer_id, self.producer_epoch);
        let bootstrap = self.bootstrap_broker();
        let Some(p) = self.pending_offsets.as_mut() else {
            return;
        };
        if p.in_flight {
            return;
        }
        p.in_flight = true;
        if !p.added {
            ctx.send(
                coordinator,
                Message::AddOffsetsToTxn {
                    transactional_id: tid,
                    producer_id: pid,
                    producer_epoch: epoch,
                    group_id: p.group_id.clone(),
                },
            );
        } else if let Some(gc) = p.group_coordinator {
            ctx.send(
                gc,
                Message::TxnOffsetCommit {
                    transactional_id: tid,
                    group_id: p.group_id.clone(),
                    producer_id: pid,
                    producer_epoch: epoch,
                    offsets: p.offsets.clone(),
                },
            );
        } else {
            ctx.send(
                bootstrap,
                Message::FindCoordinator {
                    group_id: p.group_id.clone(),
                },
            );
        }
    }

    pub fn handle_add_offsets_response(&mut self, ctx: &mut Ctx, error: Option<KafkaError>) {
        if let Some(p) = self.pending_offsets.as_mut() {
            p.in_flight = false;
            match error {
                None => {
                    p.added = true;
                    self.offsets_in_txn = true;
                }
                Some(e @ (KafkaError::PRODUCER_FENCED | KafkaError::INVALID_PRODUCER_EPOCH)) => {
                    return self.become_fenced(ctx, e);
                }
                Some(_) => {
                    self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
                    return;
                }
            }
        }
        self.run_sender(ctx);
    }

    pub fn handle_txn_offset_commit_response(&mut self, ctx: &mut Ctx, error: Option<KafkaError>) {
        match error {
            None => {
                if let Some(p) = self.pending_offsets.take() {
                    let text: Vec<String> = p
                        .offsets
                        .iter()
                        .map(|(tp, o)| format!("{tp}@{o}"))
                        .collect();
                    self.event(
                        ctx,
                        EventKind::Commit,
                        None,
                        format!(
                            "group {}'s offsets {} are in the transaction (pending until it commits)",
                            p.group_id,
                            text.join(", ")
                        ),
                    );
                    self.offsets_in_txn = true;
                }
            }
            Some(e @ (KafkaError::PRODUCER_FENCED | KafkaError::INVALID_PRODUCER_EPOCH)) => {
                return self.become_fenced(ctx, e)
            }
            Some(_) => {
                if let Some(p) = self.pending_offsets.as_mut() {
                    p.in_flight = false;
                    p.group_coordinator = None;
                }
                self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
                return;
            }
        }
        self.run_sender(ctx);
    }

    pub fn handle_end_txn_response(&mut self, ctx: &mut Ctx, error: Option<KafkaError>) {
        self.end_in_flight = false;
        let commit = self.txn_state == TxnState::Committing;
        match error {
            None => self.finish_transaction(ctx, commit),
            Some(e @ (KafkaError::PRODUCER_FENCED | KafkaError::INVALID_PRODUCER_EPOCH)) => {
                self.become_fenced(ctx, e)
            }
            Some(KafkaError::NOT_COORDINATOR) | Some(KafkaError::COORDINATOR_NOT_AVAILABLE) => {
                self.coordinator_lost(ctx)
            }
            Some(e) => {
                self.event(
                    ctx,
                    EventKind::Command,
                    None,
                    format!("EndTxn answered {e}: it asks again in retry.backoff.ms"),
                );
                self.set_timer(ctx, Timer::ProducerSend, self.config.retry_backoff_ms);
            }
        }
    }

    fn finish_transaction(&mut self, ctx: &mut Ctx, commit: bool) {
        self.txn_state = TxnState::Ready;
        self.txn_partitions.clear();
        self.pending_offsets = None;
        self.offsets_in_txn = false;
        self.flushing = false;
        if commit {
            self.transactions_committed += 1;
        } else {
            self.transactions_aborted += 1;
        }
        self.event(
            ctx,
            EventKind::Commit,
            None,
            if commit {
                "commitTransaction() returns: the coordinator has decided COMMIT and writes the markers; read_committed consumers will see the records once the markers pass the HW".to_string()
            } else {
                "abortTransaction() returns: the coordinator writes ABORT markers; read_committed consumers will skip these records".to_string()
            },
        );
        self.maybe_finish_close(ctx);
    }

    /// What it has waiting, for the view: records not yet in a batch that went out.
    pub fn queued_records(&self) -> usize {
        self.queues
            .values()
            .map(|q| q.iter().map(|b| b.records.len()).sum::<usize>())
            .sum::<usize>()
            + self.pending.len()
    }

    /// A few words on what it is doing, for the view.
    pub fn state_label(&self) -> String {
        if !self.alive {
            return if self.closing { "closed" } else { "crashed" }.to_string();
        }
        if self.error.is_some() {
            return "fenced (zombie)".to_string();
        }
        if self.transactional() {
            return match self.txn_state {
                TxnState::InTransaction => "in a transaction".to_string(),
                TxnState::Committing => "committing".to_string(),
                TxnState::Aborting => "aborting".to_string(),
                TxnState::AbortableError => "must abort".to_string(),
                TxnState::Initializing | TxnState::Uninitialized => "initializing".to_string(),
                TxnState::Ready => "ready".to_string(),
                TxnState::Fatal => "fenced (zombie)".to_string(),
            };
        }
        if self.config.idempotent && self.producer_id < 0 {
            return "getting a producer id".to_string();
        }
        if self.in_flight.is_empty() && self.queued_records() == 0 {
            "idle".to_string()
        } else {
            "sending".to_string()
        }
    }
}

/// The partitions a key goes to before and after a topic grows, for "what adding partitions
/// does" (re-exported for the CLI and the UI).
pub use crate::partitioner::key_moves;

#[cfg(test)]
mod tests {
    use super::*;

    fn config(props: &[(&str, &str)]) -> Result<ProducerConfig, String> {
        let props: Vec<(String, String)> = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProducerConfig::from_properties(&props)
    }

    #[test]
    fn the_calls_offered_follow_the_transaction_state() {
        let props = vec![("transactional.id".to_string(), "tx".to_string())];
        let tx_config = ProducerConfig::from_properties(&props).expect("valid");
        let mut p = Producer::new(2000, "app".into(), props, tx_config, vec![0]);
        let calls = |p: &Producer| {
            let c = p.calls_allowed();
            [c.send, c.begin, c.commit, c.abort]
        };
        // Before initTransactions() has finished, nothing.
        assert_eq!(calls(&p), [false; 4]);
        p.txn_state = TxnState::Ready;
        assert_eq!(calls(&p), [false, true, false, false]);
        p.txn_state = TxnState::InTransaction;
        assert_eq!(calls(&p), [true, false, true, true]);
        // After a failed batch the transaction can only be aborted.
        p.txn_state = TxnState::AbortableError;
        assert_eq!(calls(&p), [false, false, false, true]);
        p.txn_state = TxnState::Committing;
        assert_eq!(calls(&p), [false; 4]);
        // A fenced zombie or a crashed process offers nothing.
        p.txn_state = TxnState::InTransaction;
        p.error = Some("PRODUCER_FENCED".into());
        assert_eq!(calls(&p), [false; 4]);
        p.error = None;
        p.crash();
        assert_eq!(calls(&p), [false; 4]);
        // A plain producer sends whenever it is alive, and has no transaction calls.
        let plain = Producer::new(
            2001,
            "plain".into(),
            Vec::new(),
            config(&[]).expect("valid"),
            vec![0],
        );
        assert_eq!(calls(&plain), [true, false, false, false]);
    }

    #[test]
    fn defaults_are_kafka_4s() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.acks, Acks::All);
        assert!(c.idempotent);
        assert_eq!(c.linger_ms, 5, "KIP-1030");
        assert_eq!(c.batch_size, 16384);
        assert_eq!(c.max_in_flight, 5);
        assert_eq!(c.retries, i64::from(i32::MAX));
        assert_eq!(c.request_timeout_ms, 30_000);
        assert_eq!(c.delivery_timeout_ms, 120_000);
        assert_eq!(c.transactional_id, None);
    }

    #[test]
    fn idempotence_yields_to_conflicting_configs_unless_asked_for() {
        // Left at its default, idempotence is quietly off with acks=1 (ProducerConfig 3.2+).
        assert!(!config(&[("acks", "1")]).expect("valid").idempotent);
        assert!(!config(&[("retries", "0")]).expect("valid").idempotent);
        // Asked for explicitly, the conflict is an error.
        let e = config(&[("acks", "1"), ("enable.idempotence", "true")]).expect_err("conflict");
        assert!(e.contains("acks must be set to all"), "{e}");
        let e = config(&[
            ("max.in.flight.requests.per.connection", "6"),
            ("enable.idempotence", "true"),
        ])
        .expect_err("conflict");
        assert!(e.contains("at most 5"), "{e}");
        // A transactional producer must be idempotent.
        let e = config(&[("transactional.id", "t"), ("enable.idempotence", "false")])
            .expect_err("conflict");
        assert!(e.contains("transactional.id"), "{e}");
        let e = config(&[("transactional.id", "t"), ("acks", "0")]).expect_err("conflict");
        assert!(e.contains("acks must be set to all"), "{e}");
    }

    #[test]
    fn compression_shrinks_batches_so_more_records_fit() {
        assert!(compression_ratio("gzip") < compression_ratio("lz4"));
        assert!(compression_ratio("lz4") < compression_ratio("none"));
        assert_eq!(compression_ratio("none"), 1.0);
    }
}
