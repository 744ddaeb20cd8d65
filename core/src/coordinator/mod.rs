//! The coordinators a broker hosts for the internal partitions it leads, each a type of its
//! own that works on the broker only through [`Host`]:
//! - `group/`: the group coordinator (`GroupCoordinator`) for `__consumer_offsets`: loading,
//!   writes, the classic protocol, the KIP-848 consumer group protocol (`group/modern.rs`,
//!   Kafka's `group/modern` package: coordinator code, not the client's) and offsets for both.
//! - `txn.rs`: the transaction coordinator (`TxnCoordinator`) for `__transaction_state`:
//!   producer ids, transactions' states, markers sent to partition leaders, timeouts.
//!
//! [`Host`] is the narrow handle Kafka's `CoordinatorRuntime` gives a coordinator shard: the
//! broker's id and metadata image, its internal partitions' logs (read them, append to them as
//! leader), and its timers. The broker takes the coordinator out of itself while it works
//! (`Broker::with_groups`, `Broker::with_txns`), so a coordinator cannot reach anything else of the broker, and the
//! broker runs what follows a leader append (the HW, waiting fetches) as for any append.

pub mod group;
pub mod txn;

use crate::broker::timer::{BrokerCtx, BrokerTimer};
use crate::command::{NodeId, TopicPartition};
use crate::log::PartitionLog;
use crate::metadata::MetadataImage;
use crate::record::Record;

/// What a coordinator may use of the broker it runs on.
pub trait Host {
    /// The broker's id.
    fn id(&self) -> NodeId;
    /// The metadata the broker has applied (configs, topics, partitions, leaders).
    fn image(&self) -> &MetadataImage;
    /// The leader epoch of `tp` if this broker leads it now.
    fn leading_epoch(&self, tp: &TopicPartition) -> Option<i32>;
    /// `tp`'s log on this broker, if it has a replica of it.
    fn log(&self, tp: &TopicPartition) -> Option<&PartitionLog>;
    /// Appends `records` to `tp` as its leader (`PartitionWriter.append`) and runs what follows
    /// any leader append (the HW, waiting fetches): the last offset written, or `None` if this
    /// broker does not lead `tp`. A write completes when the HW passes it; the broker then calls
    /// the coordinator back (`GroupCoordinator::complete_writes`).
    fn append(
        &mut self,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
        records: Vec<Record>,
    ) -> Option<i64>;
    /// Sets (or replaces) one of the broker's timers.
    fn set_timer(&mut self, ctx: &mut BrokerCtx, timer: BrokerTimer, after_ms: i64);
    /// Forgets a timer: when it fires it does nothing.
    fn cancel_timer(&mut self, timer: &BrokerTimer);

    /// The broker's epoch from its registration with the controller, once it has one.
    fn broker_epoch(&self) -> Option<i64>;
    /// The active controller as the broker knows it (the metadata quorum's leader).
    fn active_controller(&self) -> Option<NodeId>;

    /// A broker config, from the metadata (dynamic configs included).
    fn config_i64(&self, name: &str) -> i64 {
        self.image().broker_config_i64(name)
    }
    /// The partition count of `__consumer_offsets`: the topic's, once it exists.
    fn offsets_partitions(&self) -> i32 {
        self.image()
            .internal_partitions(group::OFFSETS_TOPIC, "offsets.topic.num.partitions")
    }
    /// The partition count of `__transaction_state`: the topic's, once it exists.
    fn txn_partitions(&self) -> i32 {
        self.image().internal_partitions(
            txn::TRANSACTION_STATE_TOPIC,
            "transaction.state.log.num.partitions",
        )
    }
}

/// What a change of leadership of a coordinator partition means for its coordinator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordinatorChange {
    /// This broker leads the partition in a new epoch: (re)load it.
    Load(i32),
    /// It no longer leads it: unload it.
    Unload,
    /// Nothing changed for the coordinator.
    Keep,
}

/// What `tp`'s leadership means for a coordinator that has it loaded in epoch `loaded`.
pub fn coordinator_change(
    host: &dyn Host,
    tp: &TopicPartition,
    loaded: Option<i32>,
) -> CoordinatorChange {
    match (host.leading_epoch(tp), loaded) {
        (Some(epoch), Some(l)) if epoch == l => CoordinatorChange::Keep,
        (Some(epoch), _) => CoordinatorChange::Load(epoch),
        (None, Some(_)) => CoordinatorChange::Unload,
        (None, None) => CoordinatorChange::Keep,
    }
}
