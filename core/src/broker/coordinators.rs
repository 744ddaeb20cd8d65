//! The broker as the host of its coordinators: what a coordinator may use of it ([`Host`]),
//! taking the group or transaction coordinator out while it works (`with_groups`,
//! `with_txns`), and the requests any broker answers about groups and offsets
//! (FindCoordinator, ListOffsets).

use std::sync::Arc;

use super::{Broker, BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::coordinator::group::{
    offsets_partition, topic_partition, GroupCoordinator, OFFSETS_TOPIC,
};
use crate::coordinator::txn::{TxnCoordinator, TRANSACTION_STATE_TOPIC};
use crate::coordinator::Host;
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::log::PartitionLog;
use crate::metadata::MetadataImage;
use crate::protocol::Message;
use crate::record::Record;

impl Host for Broker {
    fn id(&self) -> NodeId {
        self.id
    }

    fn image(&self) -> &MetadataImage {
        &self.image
    }

    fn leading_epoch(&self, tp: &TopicPartition) -> Option<i32> {
        self.replicas
            .get(tp)
            .filter(|r| r.leader.is_some())
            .map(|r| r.registration.leader_epoch)
    }

    fn log(&self, tp: &TopicPartition) -> Option<&PartitionLog> {
        self.replicas.get(tp).map(|r| &r.log)
    }

    fn append(
        &mut self,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
        records: Vec<Record>,
    ) -> Option<i64> {
        let epoch = self.leading_epoch(tp)?;
        let replica = self.replicas.get_mut(tp).map(Arc::make_mut)?;
        let (_, last) = replica.log.append_as_leader(epoch, records);
        // With no other replica in the ISR the HW moves, and the write completes, at once.
        self.after_leader_append(ctx, tp);
        Some(last)
    }

    fn broker_epoch(&self) -> Option<i64> {
        self.broker_epoch
    }

    fn active_controller(&self) -> Option<NodeId> {
        self.metadata.leader()
    }

    fn set_timer(&mut self, ctx: &mut BrokerCtx, timer: BrokerTimer, after_ms: i64) {
        self.timers.set(ctx, timer, after_ms);
    }

    fn cancel_timer(&mut self, timer: &BrokerTimer) {
        self.timers.cancel(timer);
    }
}

impl Broker {
    /// Runs `f` on the group coordinator, taken out of the broker meanwhile, so that it works
    /// on the broker only through [`Host`]. Writes whose HW moved while it was out (an append
    /// with nobody else in the ISR) complete when it is back.
    pub(crate) fn with_groups<R>(
        &mut self,
        ctx: &mut BrokerCtx,
        f: impl FnOnce(&mut GroupCoordinator, &mut dyn Host, &mut BrokerCtx) -> R,
    ) -> R {
        let mut groups = self.take_groups();
        let result = f(&mut groups, self, ctx);
        self.put_groups(ctx, groups);
        result
    }

    // Apart from the generic `with_groups` (one copy per call site) so that their code is in
    // the wasm once.
    #[inline(never)]
    fn take_groups(&mut self) -> GroupCoordinator {
        self.groups_out = true;
        std::mem::take(&mut self.groups)
    }

    #[inline(never)]
    fn put_groups(&mut self, ctx: &mut BrokerCtx, groups: GroupCoordinator) {
        self.groups = groups;
        self.groups_out = false;
        for tp in std::mem::take(&mut self.deferred_group_writes) {
            self.complete_group_writes(ctx, &tp);
        }
    }

    /// Runs `f` on the transaction coordinator, taken out of the broker meanwhile (see
    /// [`Broker::with_groups`]).
    pub(crate) fn with_txns<R>(
        &mut self,
        ctx: &mut BrokerCtx,
        f: impl FnOnce(&mut TxnCoordinator, &mut dyn Host, &mut BrokerCtx) -> R,
    ) -> R {
        let mut txns = self.take_txns();
        let result = f(&mut txns, self, ctx);
        self.put_txns(ctx, txns);
        result
    }

    #[inline(never)]
    fn take_txns(&mut self) -> TxnCoordinator {
        self.txns_out = true;
        std::mem::take(&mut self.txns)
    }

    #[inline(never)]
    fn put_txns(&mut self, ctx: &mut BrokerCtx, txns: TxnCoordinator) {
        self.txns = txns;
        self.txns_out = false;
        for tp in std::mem::take(&mut self.deferred_txn_writes) {
            self.complete_txn_writes(ctx, &tp);
        }
    }

    /// The HW of `tp` moved: markers this broker wrote there as its leader are answered, and
    /// the transaction coordinator applies the state changes it has passed.
    pub(crate) fn complete_txn_writes(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        let Some(hw) = self.replicas.get(tp).map(|r| r.log.high_watermark()) else {
            return;
        };
        self.complete_markers(ctx, tp, hw);
        if &*tp.topic != TRANSACTION_STATE_TOPIC {
            return;
        }
        if self.txns_out {
            self.deferred_txn_writes.push(tp.clone());
            return;
        }
        self.with_txns(ctx, |txns, host, ctx| {
            txns.complete_txn_writes(host, ctx, tp)
        });
    }

    /// The HW of `tp` moved: the group coordinator completes the writes it has passed.
    pub(crate) fn complete_group_writes(&mut self, ctx: &mut BrokerCtx, tp: &TopicPartition) {
        if &*tp.topic != OFFSETS_TOPIC {
            return;
        }
        if self.groups_out {
            self.deferred_group_writes.push(tp.clone());
            return;
        }
        self.with_groups(ctx, |groups, host, ctx| {
            groups.complete_coordinator_writes(host, ctx, tp)
        });
    }

    /// `FindCoordinator`: the leader of the group's partition, if it has one.
    pub fn handle_find_coordinator(&mut self, ctx: &mut BrokerCtx, from: NodeId, group_id: String) {
        let p = offsets_partition(&group_id, self.offsets_partitions());
        let tp = topic_partition(p);
        let leader = self.image.live_leader(&tp);
        let (error, node) = match leader {
            Some(l) => (None, Some(l)),
            None => (Some(KafkaError::COORDINATOR_NOT_AVAILABLE), None),
        };
        let me = self.id;
        ctx.event(
            EventKind::Group,
            None,
            match node {
                Some(l) => format!("Broker {me} answers FindCoordinator for group {group_id}: abs(\"{group_id}\".hashCode) % {} = {p}, and {tp} is led by broker {l}, so broker {l} is the group coordinator", self.offsets_partitions()),
                None => format!("Broker {me} answers FindCoordinator for group {group_id} with COORDINATOR_NOT_AVAILABLE: {tp} has no live leader (yet)"),
            },
        );
        ctx.send(
            from,
            Message::FindCoordinatorResponse {
                group_id,
                error,
                node,
            },
        );
    }

    /// `ListOffsets` from a consumer: EARLIEST is the log start offset, LATEST the HW (what a
    /// read_uncommitted consumer may read up to).
    pub fn handle_list_offsets(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        partitions: Vec<(TopicPartition, i64)>,
    ) {
        let answers = partitions
            .into_iter()
            .map(|(tp, timestamp)| match self.replicas.get(&tp) {
                Some(r) if r.leader.is_some() => {
                    let offset = if timestamp == crate::protocol::EARLIEST_TIMESTAMP {
                        r.log.log_start_offset()
                    } else {
                        r.log.high_watermark()
                    };
                    (tp, None, offset)
                }
                _ => (tp, Some(KafkaError::NOT_LEADER_OR_FOLLOWER), -1),
            })
            .collect();
        ctx.send(
            from,
            Message::ListOffsetsResponse {
                partitions: answers,
            },
        );
    }
}
