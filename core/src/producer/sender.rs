//! The sender thread (`Sender`): produce requests to leaders, their answers, retries, timeouts,
//! lost connections and metadata refreshes.

use crate::sorted::{SortedMap, SortedSet};

use crate::client::AckedWrite;
use crate::command::{NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::producer::{ProducerCtx, ProducerTimer};
use crate::protocol::AddPartitionsToTxnRequest;
use crate::protocol::ProduceRequest;
use crate::protocol::TxnOffsetCommitRequest;
use crate::protocol::{Message, ProducePartitionResponse};

use super::accumulator::ProducerBatch;
use super::transactions::TxnState;
use super::Producer;

impl Producer {
    pub(super) fn request_metadata(&mut self, ctx: &mut ProducerCtx) {
        if self
            .metadata_asked_ms
            .is_some_and(|at| ctx.now - at < self.config.retry_backoff_ms)
        {
            self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
            return;
        }
        self.metadata_asked_ms = Some(ctx.now);
        ctx.send(self.bootstrap_broker(), Message::MetadataRequest);
    }

    /// `Sender.runOnce`: producer id first, then partitions into the transaction, then ready
    /// batches, then the end of a transaction.
    pub fn run_sender(&mut self, ctx: &mut ProducerCtx) {
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
        let mut ready_nodes: SortedSet<NodeId> = SortedSet::new();
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
            self.set_timer(ctx, ProducerTimer::Send, at - now);
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

    /// `TransactionManager.maybeResolveSequences`: once nothing of a partition with a failed
    /// numbered batch is in flight, either every sequence handed out was acknowledged (no gap)
    /// or the leader may be missing some, and the idempotent producer bumps its epoch before
    /// sending more, so no later batch meets OUT_OF_ORDER_SEQUENCE_NUMBER.
    pub(super) fn resolve_sequences(&mut self, ctx: &mut ProducerCtx) {
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

    pub(super) fn fail_batch(&mut self, ctx: &mut ProducerCtx, batch: &ProducerBatch, why: &str) {
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
    pub(super) fn reclaim_sequences(&mut self, batch: &ProducerBatch) {
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
    pub(super) fn retry(&mut self, ctx: &mut ProducerCtx, mut batch: ProducerBatch, why: &str) {
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
        self.set_timer(ctx, ProducerTimer::Send, backoff);
    }

    pub fn handle_metadata(
        &mut self,
        ctx: &mut ProducerCtx,
        leaders: Vec<(TopicPartition, Option<NodeId>, i32)>,
    ) {
        let mut counts: SortedMap<String, i32> = SortedMap::new();
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
            .collect::<SortedSet<_>>()
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

    pub fn handle_produce_response(
        &mut self,
        ctx: &mut ProducerCtx,
        from: NodeId,
        request_id: i64,
        answers: Vec<ProducePartitionResponse>,
    ) {
        self.timers
            .cancel(&ProducerTimer::RequestTimeout { request_id });
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
    pub(super) fn complete_batch(
        &mut self,
        ctx: &mut ProducerCtx,
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

    pub(super) fn fatal(&mut self, ctx: &mut ProducerCtx, batch: &ProducerBatch, e: KafkaError) {
        self.fail_batch(ctx, batch, &e.to_string());
        self.become_fenced(ctx, e);
    }

    /// `request.timeout.ms` passed without an answer: the connection is closed and every
    /// request on it fails with a retriable network error.
    pub fn on_request_timeout(&mut self, ctx: &mut ProducerCtx, request_id: i64) {
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

    pub(super) fn fail_connection(&mut self, ctx: &mut ProducerCtx, broker: NodeId, why: &str) {
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
                    .cancel(&ProducerTimer::RequestTimeout { request_id: id });
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
    pub fn on_broker_down(&mut self, ctx: &mut ProducerCtx, broker: NodeId) {
        self.fail_connection(
            ctx,
            broker,
            &format!("the connection to broker {broker} broke (it stopped)"),
        );
        self.run_sender(ctx);
    }

    /// A request could not be sent: the broker refused the connection.
    pub fn handle_disconnect(&mut self, ctx: &mut ProducerCtx, _broker: NodeId, message: &Message) {
        match message {
            Message::Produce(ProduceRequest { request_id, .. }) => {
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
                self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
            }
            Message::FindTxnCoordinator { .. } | Message::MetadataRequest => {
                self.finding_coordinator = false;
                self.next_bootstrap += 1;
                self.metadata_asked_ms = None;
                self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
            }
            Message::AddPartitionsToTxn(AddPartitionsToTxnRequest { partitions, .. }) => {
                for tp in partitions {
                    self.adding_partitions.remove(tp);
                }
                self.coordinator_lost(ctx);
            }
            Message::EndTxn(_) => {
                self.end_in_flight = false;
                self.coordinator_lost(ctx);
            }
            Message::AddOffsetsToTxn(_)
            | Message::TxnOffsetCommit(TxnOffsetCommitRequest { .. }) => {
                if let Some(p) = self.pending_offsets.as_mut() {
                    p.in_flight = false;
                    p.group_coordinator = None;
                }
                self.coordinator_lost(ctx);
            }
            _ => {}
        }
    }

    /// `metadata.max.age.ms` passed: refresh the metadata (new partitions, moved leaders).
    pub fn on_metadata_age(&mut self, ctx: &mut ProducerCtx) {
        self.set_timer(
            ctx,
            ProducerTimer::MetadataAge,
            self.config.metadata_max_age_ms,
        );
        self.metadata_asked_ms = None;
        self.request_metadata(ctx);
    }

    pub fn on_timer(&mut self, ctx: &mut ProducerCtx) {
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
}
