//! The transaction manager (`TransactionManager`): the coordinator, producer id and epoch,
//! the transactional state machine, AddPartitionsToTxn, offsets sent to a transaction, EndTxn.

use serde::{Deserialize, Serialize};

use crate::command::{NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::producer::{ProducerCtx, ProducerTimer};
use crate::protocol::AddOffsetsToTxnRequest;
use crate::protocol::AddPartitionsToTxnRequest;
use crate::protocol::EndTxnRequest;
use crate::protocol::Message;
use crate::protocol::TxnOffsetCommitRequest;

use super::Producer;

/// The states `beginTransaction()`, `commitTransaction()` (and `sendOffsetsToTransaction()`)
/// and `abortTransaction()` may be called in (`TransactionManager`'s transition checks).
pub(super) const BEGIN_FROM: &[TxnState] = &[TxnState::Ready];

pub(super) const COMMIT_FROM: &[TxnState] = &[TxnState::InTransaction];

pub(super) const ABORT_FROM: &[TxnState] = &[TxnState::InTransaction, TxnState::AbortableError];

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

impl Producer {
    pub(super) fn find_coordinator(&mut self, ctx: &mut ProducerCtx) {
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

    pub(super) fn init_producer_id(&mut self, ctx: &mut ProducerCtx) {
        if self.init_in_flight {
            return;
        }
        if ctx.now < self.init_retry_at_ms {
            self.set_timer(ctx, ProducerTimer::Send, self.init_retry_at_ms - ctx.now);
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

    pub(super) fn check_txn_call(&self, call: &str, allowed: &[TxnState]) -> Result<(), String> {
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

    /// Bumps the epoch locally and renumbers what is not in flight (KIP-360).
    pub(super) fn bump_epoch(&mut self, ctx: &mut ProducerCtx, why: &str) {
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

    pub(super) fn become_fenced(&mut self, ctx: &mut ProducerCtx, e: KafkaError) {
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

    pub(super) fn coordinator_lost(&mut self, ctx: &mut ProducerCtx) {
        self.coordinator = None;
        self.next_bootstrap += 1;
        self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
    }

    pub fn handle_find_coordinator_response(
        &mut self,
        ctx: &mut ProducerCtx,
        key: String,
        error: Option<KafkaError>,
        node: Option<NodeId>,
    ) {
        if let Some(p) = self.pending_offsets.as_mut() {
            if p.group_id == key && p.group_coordinator.is_none() && p.added {
                p.in_flight = false;
                p.group_coordinator = node.filter(|_| error.is_none());
                if p.group_coordinator.is_none() {
                    self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
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
                self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
            }
        }
    }

    pub fn handle_init_producer_id_response(
        &mut self,
        ctx: &mut ProducerCtx,
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

    pub(super) fn add_partitions_to_txn(&mut self, ctx: &mut ProducerCtx) {
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
            Message::AddPartitionsToTxn(AddPartitionsToTxnRequest {
                transactional_id: tid,
                producer_id: self.producer_id,
                producer_epoch: self.producer_epoch,
                partitions: new,
            }),
        );
    }

    pub fn handle_add_partitions_response(
        &mut self,
        ctx: &mut ProducerCtx,
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
                self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms)
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
    pub(super) fn maybe_end_transaction(&mut self, ctx: &mut ProducerCtx) {
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
            Message::EndTxn(EndTxnRequest {
                transactional_id: tid,
                producer_id: self.producer_id,
                producer_epoch: self.producer_epoch,
                commit,
            }),
        );
    }

    pub(super) fn send_pending_offsets(&mut self, ctx: &mut ProducerCtx) {
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
                Message::AddOffsetsToTxn(AddOffsetsToTxnRequest {
                    transactional_id: tid,
                    producer_id: pid,
                    producer_epoch: epoch,
                    group_id: p.group_id.clone(),
                }),
            );
        } else if let Some(gc) = p.group_coordinator {
            ctx.send(
                gc,
                Message::TxnOffsetCommit(TxnOffsetCommitRequest {
                    transactional_id: tid,
                    group_id: p.group_id.clone(),
                    producer_id: pid,
                    producer_epoch: epoch,
                    offsets: p.offsets.clone(),
                }),
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

    pub fn handle_add_offsets_response(
        &mut self,
        ctx: &mut ProducerCtx,
        error: Option<KafkaError>,
    ) {
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
                    self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
                    return;
                }
            }
        }
        self.run_sender(ctx);
    }

    pub fn handle_txn_offset_commit_response(
        &mut self,
        ctx: &mut ProducerCtx,
        error: Option<KafkaError>,
    ) {
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
                self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
                return;
            }
        }
        self.run_sender(ctx);
    }

    pub fn handle_end_txn_response(&mut self, ctx: &mut ProducerCtx, error: Option<KafkaError>) {
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
                self.set_timer(ctx, ProducerTimer::Send, self.config.retry_backoff_ms);
            }
        }
    }

    pub(super) fn finish_transaction(&mut self, ctx: &mut ProducerCtx, commit: bool) {
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
}
