//! The produce path (Kafka's `ReplicaManager.appendRecords` and `DelayedProduce`): checks on
//! the request (leadership, `min.insync.replicas`, the producer state's sequence and epoch
//! checks), the append, and the purgatory where an `acks=all` request waits until the HW
//! passes each of its partitions or `request.timeout.ms` runs out.

use crate::sorted::SortedMap;
use std::sync::Arc;

use super::{ids, Broker, BrokerCtx, BrokerTimer, PendingPartition, PendingProduce};
use crate::command::{Acks, NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::{Message, ProducePartition, ProducePartitionResponse, ProduceRequest};
use crate::record::Record;

/// What the leader does with one partition's batch of a Produce request.
pub(crate) enum ProduceOutcome {
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
    pub(crate) fn refused(acks: Acks, error: KafkaError) -> ProduceOutcome {
        match acks {
            Acks::None => ProduceOutcome::Silent,
            _ => ProduceOutcome::Answer(Some(error), -1),
        }
    }
}

impl Broker {
    /// Answers `tp` in every acks=all produce waiting on it with `error`.
    pub(crate) fn fail_produces(
        &mut self,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
        error: KafkaError,
    ) {
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
    pub(crate) fn answer_completed_produces(&mut self, ctx: &mut BrokerCtx) {
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
        } = request;
        let request = crate::broker::txn::VerifyingProduce {
            client,
            request_id,
            acks,
            timeout_ms,
            partitions,
            guards: SortedMap::new(),
        };
        if let Some(request) = self.maybe_verify_produce(ctx, request, transactional_id.as_deref())
        {
            self.append_produce(ctx, request, &SortedMap::new());
        }
    }

    /// Appends a Produce request's batches, but refuses those in `errors` (a failed
    /// verification).
    pub(crate) fn append_produce(
        &mut self,
        ctx: &mut BrokerCtx,
        request: crate::broker::txn::VerifyingProduce,
        errors: &SortedMap<TopicPartition, KafkaError>,
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
    pub(crate) fn produce_partition(
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

    /// Answers `tp` in parked acks=all produces whose records are now below the HW
    /// (`DelayedProduce.tryComplete` / `checkEnoughReplicasReachOffset`), and sends the
    /// requests that have every answer.
    pub(crate) fn complete_produces(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
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
}
