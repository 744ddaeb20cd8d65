//! The record accumulator (`RecordAccumulator`): records wait in a batch per partition until
//! it is full or `linger.ms` passes, then are drained per broker, numbered for idempotence.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::{Acks, NodeId, TopicPartition};
use crate::event::EventKind;
use crate::partitioner::{record_partition, PartitionStatus, RecordPartition, StickyPartitioner};
use crate::producer::{ProducerCtx, ProducerTimer};
use crate::protocol::ProduceRequest;
use crate::protocol::{Message, ProducePartition};
use crate::record::BatchHeader;
use crate::record::Record;

use super::config::compression_ratio;
use super::Producer;

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

impl Producer {
    /// Moves records whose topic metadata is known into the accumulator.
    pub(super) fn partition_pending(&mut self, ctx: &mut ProducerCtx) {
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

    pub(super) fn record_bytes(&self, record: &Record) -> i64 {
        let raw = crate::record::record_size(record) as f64;
        ((raw * compression_ratio(&self.config.compression)).ceil() as i64).max(1)
    }

    /// What the sticky partitioner sees of a topic's partitions.
    pub(super) fn statuses(&self, topic: &str, count: i32) -> Vec<PartitionStatus> {
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
    pub(super) fn append(
        &mut self,
        ctx: &mut ProducerCtx,
        tp: TopicPartition,
        record: Record,
        bytes: i64,
    ) -> bool {
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

    /// Batches older than `delivery.timeout.ms` that are not in flight fail.
    pub(super) fn expire_batches(&mut self, ctx: &mut ProducerCtx) {
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

    /// Whether nothing of `tp` may go out now: a transactional producer's partition the
    /// coordinator has not added yet (`isSendToPartitionAllowed`), or, with
    /// `max.in.flight.requests.per.connection=1`, a partition with a batch in flight, muted
    /// so nothing overtakes it (`RecordAccumulator.isMuted`).
    pub(super) fn held_back(&self, tp: &TopicPartition) -> bool {
        (self.transactional() && !self.txn_partitions.contains(tp))
            || (self.config.max_in_flight == 1 && self.partition_in_flight(tp))
    }

    pub(super) fn partition_in_flight(&self, tp: &TopicPartition) -> bool {
        self.in_flight
            .values()
            .any(|f| f.batches.iter().any(|b| &b.partition == tp))
    }

    /// `RecordAccumulator.drainBatchesForOneNode`: the first batch of every partition `leader`
    /// leads goes into one Produce request, whether or not that batch has lingered long
    /// enough, up to `max.request.size` bytes. A batch still backing off is skipped; a retried
    /// batch waits until nothing else of its partition is in flight, and holds back the rest
    /// of the request (`shouldStopDrainBatchesForPartition`).
    pub(super) fn drain(&mut self, ctx: &mut ProducerCtx, leader: NodeId) {
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
            Message::Produce(ProduceRequest {
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
            }),
        );
        if self.config.acks == Acks::None {
            // acks=0: done as soon as it is on the wire; there will be no answer.
            self.records_acked += batches.iter().map(|b| b.records.len() as i64).sum::<i64>();
            return;
        }
        self.set_timer(
            ctx,
            ProducerTimer::RequestTimeout { request_id },
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
    pub(super) fn number(&mut self, batch: &mut ProducerBatch) {
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
}
