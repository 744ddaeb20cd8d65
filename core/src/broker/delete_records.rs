//! DeleteRecords on the partition leader (`ReplicaManager.deleteRecords`,
//! `Partition.deleteRecordsOnLeader`, `DelayedDeleteRecords`): the leader raises its log start
//! offset at once, and answers once the partition's low watermark (the lowest log start
//! offset among the leader and its followers on live brokers, as their fetches report it)
//! has reached the offset, or when the request times out.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::{NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::Message;

use super::timer::{BrokerCtx, BrokerTimer};
use super::Broker;

/// A DeleteRecords request waiting for the low watermark (`DelayedDeleteRecords`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDelete {
    pub client: NodeId,
    pub request_id: i64,
    pub partition: TopicPartition,
    /// The log start offset asked for.
    pub offset: i64,
}

impl Broker {
    pub(crate) fn handle_delete_records(
        &mut self,
        ctx: &mut BrokerCtx,
        client: NodeId,
        request_id: i64,
        tp: TopicPartition,
        offset: i64,
        timeout_ms: i64,
    ) {
        let me = self.id;
        let answer = |ctx: &mut BrokerCtx, low_watermark: i64, error: Option<KafkaError>| {
            ctx.send(
                client,
                Message::DeleteRecordsResponse {
                    request_id,
                    partition: tp.clone(),
                    low_watermark,
                    error,
                },
            );
        };
        let Some(replica) = self.replicas.get_mut(&tp).filter(|r| r.leader.is_some()) else {
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!("Broker {me} does not lead {tp}: DeleteRecords is answered NOT_LEADER_OR_FOLLOWER"),
            );
            return answer(ctx, -1, Some(KafkaError::NOT_LEADER_OR_FOLLOWER));
        };
        let hw = replica.log.high_watermark();
        // `-1` is the high watermark (`DeleteRecordsRequest.HIGH_WATERMARK`).
        let offset = if offset == -1 { hw } else { offset };
        if offset < 0 || offset > hw {
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!(
                    "Leader {me} refuses to delete the records of {tp} below offset {offset}: \
                     that is past its high watermark {hw} (OFFSET_OUT_OF_RANGE); only committed \
                     records can be deleted"
                ),
            );
            return answer(ctx, -1, Some(KafkaError::OFFSET_OUT_OF_RANGE));
        }
        let before = replica.log.log_start_offset();
        if Arc::make_mut(replica)
            .log
            .maybe_increment_log_start_offset(offset)
        {
            ctx.event(
                EventKind::Command,
                Some(tp.clone()),
                format!(
                    "Leader {me} deletes the records of {tp} below offset {offset}: its log start \
                     offset moves {before} → {offset}, and its followers follow at their next fetch"
                ),
            );
        }
        self.pending_deletes.push(PendingDelete {
            client,
            request_id,
            partition: tp.clone(),
            offset,
        });
        self.set_timer(
            ctx,
            BrokerTimer::DeleteRecordsTimeout { client, request_id },
            timeout_ms,
        );
        self.complete_deletes(ctx, &tp);
    }

    /// The partition's low watermark as its leader knows it (`Partition.lowWatermarkIfLeader`):
    /// the lowest log start offset of the leader and of each follower on a live broker.
    pub fn low_watermark(&self, tp: &TopicPartition) -> Option<i64> {
        let replica = self.replicas.get(tp)?;
        let leader = replica.leader.as_ref()?;
        let mut low = replica.log.log_start_offset();
        for (id, follower) in &leader.followers {
            let alive = self.image.brokers.get(id).is_some_and(|b| b.is_active());
            if alive && follower.log_start_offset >= 0 {
                low = low.min(follower.log_start_offset);
            }
        }
        Some(low)
    }

    /// Answers the DeleteRecords requests on `tp` whose offset the low watermark has reached
    /// (or all of them with NOT_LEADER_OR_FOLLOWER, once this broker no longer leads it).
    pub(crate) fn complete_deletes(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        if !self.pending_deletes.iter().any(|p| &p.partition == tp) {
            return;
        }
        let low = self.low_watermark(tp);
        let mut waiting = Vec::new();
        for p in std::mem::take(&mut self.pending_deletes) {
            let done = match low {
                _ if &p.partition != tp => None,
                None => Some((-1, Some(KafkaError::NOT_LEADER_OR_FOLLOWER))),
                Some(low) if low >= p.offset => Some((low, None)),
                Some(_) => None,
            };
            match done {
                Some((low_watermark, error)) => {
                    self.timers.cancel(&BrokerTimer::DeleteRecordsTimeout {
                        client: p.client,
                        request_id: p.request_id,
                    });
                    if error.is_none() {
                        ctx.event(
                            EventKind::Command,
                            Some(p.partition.clone()),
                            format!(
                                "The low watermark of {} reaches {low_watermark}: every live replica's log now starts at or after offset {}, so the DeleteRecords request is answered",
                                p.partition, p.offset
                            ),
                        );
                    }
                    ctx.send(
                        p.client,
                        Message::DeleteRecordsResponse {
                            request_id: p.request_id,
                            partition: p.partition,
                            low_watermark,
                            error,
                        },
                    );
                }
                None => waiting.push(p),
            }
        }
        self.pending_deletes = waiting;
    }

    pub(crate) fn on_delete_records_timeout(
        &mut self,
        ctx: &mut BrokerCtx,
        client: NodeId,
        request_id: i64,
    ) {
        let Some(at) = self
            .pending_deletes
            .iter()
            .position(|p| p.client == client && p.request_id == request_id)
        else {
            return;
        };
        let p = self.pending_deletes.remove(at);
        let low = self.low_watermark(&p.partition).unwrap_or(-1);
        ctx.event(
            EventKind::Deliver,
            Some(p.partition.clone()),
            format!(
                "DeleteRecords on {} timed out: the low watermark is {low}, short of {} (a follower has not fetched since, or is down but not yet out of the ISR): REQUEST_TIMED_OUT",
                p.partition, p.offset
            ),
        );
        ctx.send(
            client,
            Message::DeleteRecordsResponse {
                request_id,
                partition: p.partition,
                low_watermark: low,
                error: Some(KafkaError::REQUEST_TIMED_OUT),
            },
        );
    }
}
