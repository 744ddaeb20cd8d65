//! The partition leader's side of transactions (kafka-semantics.md §5): the broker that leads a
//! partition writes the transaction markers the coordinator sends it, and verifies
//! transactional produce requests with the coordinator first (KIP-890 part 1). The
//! coordinator itself is `crate::coordinator::txn`.
//!
//! - a partition leader writes a marker as a control record, checks the producer epoch and the
//!   coordinator epoch (TRANSACTION_COORDINATOR_FENCED), and answers once the HW passes it. A
//!   COMMIT marker on a `__consumer_offsets` partition makes the transaction's offsets count
//!   (the group coordinator's `on_transaction_completed`);
//! - transaction verification (`transaction.partition.verification.enable`): before a
//!   producer's first transactional batch on a partition, its leader holds the Produce request
//!   and asks the coordinator (`AddPartitionsToTxn` with `verifyOnly`) whether the partition is
//!   in the producer's ongoing transaction; the log keeps a verification guard that any
//!   transactional append of the producer (data or marker) clears, so a batch that arrives
//!   after its transaction ended is refused (INVALID_TXN_STATE) instead of opening a
//!   transaction nobody closes (`AddPartitionsToTxnManager`, `ReplicaManager.appendRecords`,
//!   `UnifiedLog.analyzeAndValidateProducerState`).

use crate::sorted::SortedMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Broker, BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::coordinator::group::OFFSETS_TOPIC;
use crate::coordinator::txn::{list, state_tp, txn_partition, TxnCoordinator};
use crate::coordinator::Host;
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::VerifyPartitionsInTxnRequest;
use crate::protocol::WriteTxnMarkersRequest;
use crate::protocol::{Message, ProducePartition};
use crate::record::{BatchHeader, ControlType, Record};

/// A produce request held for transaction verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyingProduce {
    pub client: NodeId,
    pub request_id: i64,
    pub acks: crate::command::Acks,
    pub timeout_ms: i64,
    pub partitions: Vec<ProducePartition>,
    /// The guard each verified partition's log holds for the producer.
    pub guards: SortedMap<TopicPartition, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMarker {
    pub coordinator: NodeId,
    pub transactional_id: String,
    pub producer_id: i64,
    pub partition: TopicPartition,
    pub required_hw: i64,
}

impl Broker {
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

    /// WriteTxnMarkers: a control record in each partition this broker leads.
    pub fn handle_write_txn_markers(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: WriteTxnMarkersRequest,
    ) {
        let WriteTxnMarkersRequest {
            transactional_id: tid,
            producer_id: pid,
            producer_epoch: epoch,
            coordinator_epoch,
            commit,
            partitions,
        } = request;
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
            self.pending_markers.push(PendingMarker {
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

    pub(crate) fn complete_markers(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition, hw: i64) {
        if self.pending_markers.is_empty() {
            return;
        }
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_markers)
            .into_iter()
            .partition(|m| &m.partition == tp && m.required_hw <= hw);
        self.pending_markers = waiting;
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
        let verification_id = self.next_verification_id;
        self.next_verification_id += 1;
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
            Message::VerifyPartitionsInTxn(VerifyPartitionsInTxnRequest {
                verification_id,
                transactional_id: tid.to_string(),
                producer_id: pid,
                producer_epoch: epoch,
                partitions: to_verify,
            }),
        );
        let timeout = self.image.broker_config_i64("request.timeout.ms");
        self.set_timer(
            ctx,
            BrokerTimer::TxnVerificationTimeout { verification_id },
            timeout,
        );
        self.verifying.insert(verification_id, request);
        None
    }

    /// The coordinator answered: append what was verified, refuse the rest. The errors that
    /// mean "try again" reach the producer as NOT_ENOUGH_REPLICAS (`ReplicaManager`).
    pub fn handle_verify_partitions_response(
        &mut self,
        ctx: &mut BrokerCtx,
        verification_id: u64,
        results: Vec<(TopicPartition, Option<KafkaError>)>,
    ) {
        let Some(request) = self.verifying.remove(&verification_id) else {
            return;
        };
        self.timers
            .cancel(&BrokerTimer::TxnVerificationTimeout { verification_id });
        let errors: SortedMap<TopicPartition, KafkaError> = results
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
        let Some(request) = self.verifying.remove(&verification_id) else {
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
            } => self.with_txns(ctx, |txns, host, ctx| {
                txns.handle_init_producer_id(
                    host,
                    ctx,
                    from,
                    transactional_id,
                    transaction_timeout_ms,
                )
            }),
            Message::AddPartitionsToTxn(request) => self.with_txns(ctx, |txns, host, ctx| {
                txns.handle_add_partitions_to_txn(host, ctx, from, request)
            }),
            Message::AddOffsetsToTxn(request) => self.with_txns(ctx, |txns, host, ctx| {
                txns.handle_add_offsets_to_txn(host, ctx, from, request)
            }),
            Message::TxnOffsetCommit(request) => self.with_groups(ctx, |groups, host, ctx| {
                groups.handle_txn_offset_commit(host, ctx, from, request)
            }),
            Message::EndTxn(request) => self.with_txns(ctx, |txns, host, ctx| {
                txns.handle_end_txn(host, ctx, from, request)
            }),
            Message::WriteTxnMarkers(request) => self.handle_write_txn_markers(ctx, from, request),
            Message::WriteTxnMarkersResponse {
                transactional_id,
                producer_id,
                results,
            } => self.with_txns(ctx, |txns, host, ctx| {
                txns.handle_write_txn_markers_response(
                    host,
                    ctx,
                    transactional_id,
                    producer_id,
                    results,
                )
            }),
            Message::VerifyPartitionsInTxn(request) => self.with_txns(ctx, |txns, host, ctx| {
                txns.handle_verify_partitions_in_txn(host, ctx, from, request)
            }),
            Message::VerifyPartitionsInTxnResponse {
                verification_id,
                results,
            } => self.handle_verify_partitions_response(ctx, verification_id, results),
            Message::AllocateProducerIdsResponse {
                error,
                first_producer_id,
                count,
            } => self.with_txns(ctx, |txns, host, ctx| {
                txns.handle_allocate_producer_ids_response(
                    host,
                    ctx,
                    error,
                    first_producer_id,
                    count,
                )
            }),
            // Not a request a broker serves: a real one would close the connection.
            _ => {}
        }
    }

    /// The partition count of `__transaction_state`: the topic's, once it exists.
    pub fn txn_partitions(&self) -> i32 {
        Host::txn_partitions(self)
    }
}
