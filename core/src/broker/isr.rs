//! The leader's high watermark and ISR (Kafka's `Partition.scala`): `maybeIncrementLeaderHW`
//! (the lowest LEO among the maximal ISR and caught-up replicas, frozen under
//! `min.insync.replicas`), ISR expansion on fetch, shrinking on `isr-expiration`, and the
//! AlterPartition requests that ask the controller for either.

use crate::sorted::SortedSet;
use std::sync::Arc;

use super::{
    ids, Broker, BrokerCtx, BrokerTimer, PendingIsr, ALTER_PARTITION_RETRY_BACKOFF_MS,
    CONTROLLER_SOCKET_TIMEOUT_MS,
};
use crate::command::{NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::{AlterPartitionRequest, Message};

impl Broker {
    /// `Partition.maybeIncrementLeaderHW`.
    pub fn maybe_increment_hw(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let min_isr = self
            .image
            .topic_config_i64(&tp.topic, "min.insync.replicas");
        let lag_max = self.config("replica.lag.time.max.ms");
        let now = ctx.now;
        let me = self.id;
        let image_active: SortedSet<NodeId> = self
            .image
            .brokers
            .values()
            .filter(|b| b.is_active())
            .map(|b| b.id)
            .collect();
        let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
            return;
        };
        let Some(leader) = replica.leader.as_ref() else {
            return;
        };
        let isr = &replica.registration.isr;
        let effective_min_isr = min_isr.min(replica.registration.replicas.len() as i64);
        let old_hw = replica.log.high_watermark();
        let leo = replica.log.log_end_offset();
        if (isr.len() as i64) < effective_min_isr {
            // Strict min ISR (KAFKA-15583): the HW does not move at all.
            return;
        }
        let mut maximal_isr: Vec<NodeId> = isr.clone();
        if let Some(PendingIsr::Expand(new)) = &leader.pending_isr {
            maximal_isr = new.clone();
        }
        let mut candidate = leo;
        let mut holder: Option<NodeId> = None;
        for (&id, f) in &leader.followers {
            if f.log_end_offset >= candidate {
                continue;
            }
            let caught_up = f.log_end_offset >= leo || now - f.last_caught_up_time_ms <= lag_max;
            if maximal_isr.contains(&id) || (caught_up && image_active.contains(&id)) {
                candidate = f.log_end_offset.max(0);
                holder = Some(id);
            }
        }
        if candidate > old_hw && replica.log.update_high_watermark(candidate) {
            let why = match holder {
                Some(h) => format!(
                    "in-sync follower {h} has fetched up to {candidate}, the lowest LEO in the ISR {}",
                    ids(&maximal_isr)
                ),
                None => format!("every replica in the ISR {} has reached the leader's LEO", ids(&maximal_isr)),
            };
            ctx.event(
                EventKind::HighWatermark,
                Some(tp.clone()),
                format!("HW of {tp} on leader {me} advances {old_hw} → {candidate}: {why}"),
            );
            self.complete_produces(ctx, tp);
            self.complete_group_writes(ctx, tp);
            self.complete_txn_writes(ctx, tp);
            self.answer_parked_fetches(ctx, Some(tp));
            self.answer_parked_consumer_fetches(ctx, tp);
        }
    }

    /// After the leader appended to `tp`: the HW moves if the ISR allows (which completes
    /// whatever waited for it: produces, coordinator writes, markers), and followers' fetches
    /// parked on it are answered now (`DelayedFetch` completes on append), so the records
    /// are replicated without waiting out `replica.fetch.wait.max.ms`.
    pub(crate) fn after_leader_append(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        self.maybe_increment_hw(ctx, tp);
        self.answer_parked_fetches(ctx, Some(tp));
    }

    /// `Partition.maybeExpandIsr`.
    pub(crate) fn maybe_expand_isr(
        &mut self,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
        follower: NodeId,
    ) {
        let me = self.id;
        if self.broker_epoch.is_none() {
            return;
        }
        let eligible = self.image.is_active(follower);
        let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
            return;
        };
        let Some(leader) = replica.leader.as_mut() else {
            return;
        };
        let reg = &replica.registration;
        if reg.isr.contains(&follower)
            || leader.pending_isr.is_some()
            || !eligible
            || reg.leader_recovering
        {
            return;
        }
        let Some(f) = leader.followers.get(&follower) else {
            return;
        };
        let hw = replica.log.high_watermark();
        if f.log_end_offset < hw || f.log_end_offset < leader.leader_epoch_start_offset {
            return;
        }
        let mut new_isr = reg.isr.clone();
        new_isr.push(follower);
        leader.pending_isr = Some(PendingIsr::Expand(new_isr.clone()));
        ctx.event(
            EventKind::IsrExpand,
            Some(tp.clone()),
            format!(
                "Leader {me} asks the controller to add broker {follower} to the ISR of {tp}: its LEO {} has reached the HW {hw} in the current leader epoch (AlterPartition, ISR {} → {})",
                f.log_end_offset,
                ids(&reg.isr),
                ids(&new_isr)
            ),
        );
        self.send_alter_partition(ctx, tp);
    }

    /// Sends the pending ISR change of `tp` to the active controller. Like Kafka's
    /// `AlterPartitionManager`, whose channel to the controller resends a request that got no
    /// answer, it is sent again after `controller.socket.timeout.ms` until an answer or a
    /// metadata update settles it: a request lost to a stopped controller or a cut link (or
    /// never sent, with no controller known) would otherwise block every later ISR change of
    /// the partition.
    pub(crate) fn send_alter_partition(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let me = self.id;
        let (Some(broker_epoch), Some(replica)) = (self.broker_epoch, self.replicas.get(tp)) else {
            return;
        };
        let Some(PendingIsr::Expand(new_isr) | PendingIsr::Shrink(new_isr)) =
            replica.leader.as_ref().and_then(|l| l.pending_isr.clone())
        else {
            return;
        };
        let reg = &replica.registration;
        let message = Message::AlterPartition(AlterPartitionRequest {
            broker_id: me,
            broker_epoch,
            partition: tp.clone(),
            leader_epoch: reg.leader_epoch,
            partition_epoch: reg.partition_epoch,
            new_isr,
        });
        // With no active controller known yet, look again after a backoff.
        let retry_after_ms = match self.metadata.leader() {
            Some(controller) => {
                ctx.send(controller, message);
                CONTROLLER_SOCKET_TIMEOUT_MS
            }
            None => ALTER_PARTITION_RETRY_BACKOFF_MS,
        };
        self.set_timer(
            ctx,
            BrokerTimer::AlterPartitionTimeout {
                partition: tp.clone(),
            },
            retry_after_ms,
        );
    }

    /// The pending AlterPartition of `tp` got no answer in time, or a NOT_CONTROLLER one: send
    /// it again.
    pub fn on_alter_partition_timeout(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let pending = self
            .replicas
            .get(tp)
            .and_then(|r| r.leader.as_ref())
            .is_some_and(|l| l.pending_isr.is_some());
        if pending {
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!(
                    "Leader {} sends its AlterPartition for {tp} again (no answer within controller.socket.timeout.ms={CONTROLLER_SOCKET_TIMEOUT_MS}, or NOT_CONTROLLER)",
                    self.id
                ),
            );
            self.send_alter_partition(ctx, tp);
        }
    }

    /// The `isr-expiration` task: shrink the ISR of every led partition with lagging members.
    pub fn on_isr_expiration(&mut self, ctx: &mut BrokerCtx) {
        let lag_max = self.config("replica.lag.time.max.ms");
        self.set_timer(ctx, BrokerTimer::IsrExpiration, (lag_max / 2).max(1));
        let now = ctx.now;
        let me = self.id;
        if self.broker_epoch.is_none() {
            return;
        }
        let mut shrinking = Vec::new();
        for (tp, replica) in self.replicas.iter_mut() {
            if replica
                .leader
                .as_ref()
                .is_none_or(|l| l.pending_isr.is_some())
            {
                continue;
            }
            // Only a leader without an ISR change in flight is looked at, and only one that
            // shrinks is changed (copied if a snapshot shares it).
            let lagging_any = {
                let leader = replica.leader.as_ref().expect("checked above");
                let leo = replica.log.log_end_offset();
                replica.registration.isr.iter().any(|&id| {
                    id != me
                        && leader.followers.get(&id).is_none_or(|f| {
                            !(f.log_end_offset >= leo || now - f.last_caught_up_time_ms <= lag_max)
                        })
                })
            };
            if !lagging_any {
                continue;
            }
            let replica = Arc::make_mut(replica);
            let Some(leader) = replica.leader.as_mut() else {
                continue;
            };
            let leo = replica.log.log_end_offset();
            let reg = &replica.registration;
            let out_of_sync: Vec<NodeId> = reg
                .isr
                .iter()
                .copied()
                .filter(|&id| id != me)
                .filter(|id| {
                    leader.followers.get(id).is_none_or(|f| {
                        !(f.log_end_offset >= leo || now - f.last_caught_up_time_ms <= lag_max)
                    })
                })
                .collect();
            if out_of_sync.is_empty() {
                continue;
            }
            let new_isr: Vec<NodeId> = reg
                .isr
                .iter()
                .copied()
                .filter(|id| !out_of_sync.contains(id))
                .collect();
            leader.pending_isr = Some(PendingIsr::Shrink(new_isr.clone()));
            let lagging: Vec<String> = out_of_sync
                .iter()
                .map(|id| {
                    let f = leader.followers.get(id);
                    format!(
                        "broker {id} (LEO {}, last caught up {} ms ago)",
                        f.map_or(-1, |f| f.log_end_offset),
                        f.map_or(now, |f| now - f.last_caught_up_time_ms)
                    )
                })
                .collect();
            ctx.event(
                EventKind::IsrShrink,
                Some(tp.clone()),
                format!(
                    "Leader {me} asks the controller to shrink the ISR of {tp} {} → {}: {} not caught up to LEO {leo} within replica.lag.time.max.ms={lag_max}",
                    ids(&reg.isr),
                    ids(&new_isr),
                    lagging.join(", ")
                ),
            );
            shrinking.push(tp.clone());
        }
        for tp in shrinking {
            self.send_alter_partition(ctx, &tp);
        }
    }

    pub fn handle_alter_partition_response(
        &mut self,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
        error: Option<KafkaError>,
        isr: Vec<NodeId>,
        leader_epoch: i32,
        partition_epoch: i32,
    ) {
        let me = self.id;
        let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
            return;
        };
        let Some(leader) = replica.leader.as_mut() else {
            return;
        };
        if error == Some(KafkaError::NOT_CONTROLLER) && leader.pending_isr.is_some() {
            // The channel to the controller (`NodeToControllerRequestThread`) does not hand
            // NOT_CONTROLLER to the partition: it drops the connection and sends the request
            // again to the active controller once it knows it. Clearing the change instead
            // lost it for good when it was the only one coming: a leader elected uncleanly
            // then stayed RECOVERING, and its ISR could never grow again.
            ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!("Leader {me}'s AlterPartition for {tp} reached a controller that is not the active one (NOT_CONTROLLER): it sends it again after retry.backoff.ms={ALTER_PARTITION_RETRY_BACKOFF_MS}"),
            );
            self.set_timer(
                ctx,
                BrokerTimer::AlterPartitionTimeout {
                    partition: tp.clone(),
                },
                ALTER_PARTITION_RETRY_BACKOFF_MS,
            );
            return;
        }
        leader.pending_isr = None;
        self.timers.cancel(&BrokerTimer::AlterPartitionTimeout {
            partition: tp.clone(),
        });
        match error {
            None => {
                if leader_epoch == replica.registration.leader_epoch
                    && partition_epoch >= replica.registration.partition_epoch
                {
                    replica.registration.isr = isr.clone();
                    replica.registration.partition_epoch = partition_epoch;
                }
                ctx.event(
                    EventKind::Deliver,
                    Some(tp.clone()),
                    format!(
                        "The controller committed ISR {} for {tp} (partition epoch {partition_epoch}); leader {me} uses it from now on",
                        ids(&isr)
                    ),
                );
                self.maybe_increment_hw(ctx, tp);
            }
            Some(e) => ctx.event(
                EventKind::Deliver,
                Some(tp.clone()),
                format!("The controller rejected leader {me}'s ISR change for {tp} with {e}; the leader keeps the last committed ISR"),
            ),
        }
    }
}
