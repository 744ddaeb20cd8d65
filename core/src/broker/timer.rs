//! The timers a broker sets, and the handle it gets from the kernel typed by them. Apart from
//! the broker's own code so that the coordinators it hosts (`crate::coordinator`) can set
//! their timers without importing the broker.

use serde::{Deserialize, Serialize};

use crate::command::{NodeId, TopicPartition};
use crate::kernel::Ctx;
use crate::raft::RaftTimer;

/// What a broker handles an input with: the kernel's handle, typed by its timers.
pub type BrokerCtx<'a> = Ctx<'a, BrokerTimer>;

/// The timers a broker sets: its metadata log's Raft timers, its own (heartbeats to the
/// controller, ISR expiry, replica fetching, waiting produce requests) and its coordinators'
/// (groups, offsets writes, transactions).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BrokerTimer {
    Raft(RaftTimer),
    Heartbeat,
    IsrExpiration,
    FetchWait {
        replica: NodeId,
    },
    FetchBackoff {
        leader: NodeId,
    },
    FetchTimeout {
        leader: NodeId,
    },
    AlterPartitionTimeout {
        partition: TopicPartition,
    },
    /// A waiting produce request, by the client that sent it and its request id (two clients
    /// number their requests independently).
    ProduceTimeout {
        client: NodeId,
        request_id: i64,
    },
    /// A DeleteRecords request waiting for the low watermark, by client and request id.
    DeleteRecordsTimeout {
        client: NodeId,
        request_id: i64,
    },
    /// Group coordinator: a member's session ran out.
    GroupSession {
        group: String,
        member: String,
    },
    /// Group coordinator: the join phase's initial delay or rebalance timeout.
    GroupJoin {
        group: String,
    },
    /// Group coordinator: the wait for SyncGroup after a join completed.
    GroupSync {
        group: String,
        generation: i32,
    },
    /// Group coordinator: a member told MEMBER_ID_REQUIRED never came back.
    GroupPendingMember {
        group: String,
        member: String,
    },
    /// A consumer's fetch held for `fetch.max.wait.ms` ran out.
    ConsumerFetchWait {
        consumer: NodeId,
    },
    /// Group coordinator: a write to `__consumer_offsets` ran out of `offsets.commit.timeout.ms`.
    CoordinatorWriteTimeout {
        partition: i32,
        required_hw: i64,
    },
    /// Group coordinator (consumer protocol): a member's `group.consumer.session.timeout.ms`.
    ConsumerGroupSession {
        group: String,
        member: String,
    },
    /// Group coordinator (consumer protocol): a member's deadline to revoke partitions.
    ConsumerGroupRebalance {
        group: String,
        member: String,
    },
    /// Transaction coordinator: a state change not replicated in time.
    TxnWriteTimeout {
        partition: i32,
        required_hw: i64,
    },
    /// Transaction coordinator: send markers again.
    TxnMarkerRetry {
        transactional_id: String,
    },
    /// Transaction coordinator: look for transactions past their timeout.
    TxnTimeoutCheck,
    /// Partition leader: the coordinator has not answered a transaction verification.
    TxnVerificationTimeout {
        verification_id: u64,
    },
}

impl BrokerTimer {
    /// How the trace names it when it fires and does nothing else.
    pub fn name(&self) -> String {
        match self {
            BrokerTimer::Raft(t) => format!("{t:?}"),
            BrokerTimer::Heartbeat => "heartbeat".into(),
            BrokerTimer::IsrExpiration => "isr-expiration".into(),
            BrokerTimer::FetchWait { .. } => "fetch wait".into(),
            BrokerTimer::FetchBackoff { .. } => "fetch backoff".into(),
            BrokerTimer::FetchTimeout { .. } => "fetch request timeout".into(),
            BrokerTimer::AlterPartitionTimeout { .. } => "AlterPartition timeout".into(),
            BrokerTimer::ProduceTimeout { .. } => "produce timeout".into(),
            BrokerTimer::DeleteRecordsTimeout { .. } => "DeleteRecords timeout".into(),
            BrokerTimer::GroupSession { member, .. } => format!("session timeout of {member}"),
            BrokerTimer::GroupJoin { group } => format!("join phase of group {group}"),
            BrokerTimer::GroupSync { group, .. } => format!("sync phase of group {group}"),
            BrokerTimer::GroupPendingMember { member, .. } => format!("pending member {member}"),
            BrokerTimer::ConsumerFetchWait { .. } => "consumer fetch wait".into(),
            BrokerTimer::CoordinatorWriteTimeout { .. } => "offsets.commit.timeout.ms".into(),
            BrokerTimer::ConsumerGroupSession { member, .. } => {
                format!("session timeout of {member}")
            }
            BrokerTimer::ConsumerGroupRebalance { member, .. } => {
                format!("revocation deadline of {member}")
            }
            BrokerTimer::TxnWriteTimeout { .. } => "transaction log write timeout".into(),
            BrokerTimer::TxnMarkerRetry { transactional_id } => {
                format!("marker retry of {transactional_id}")
            }
            BrokerTimer::TxnTimeoutCheck => "transaction timeout check".into(),
            BrokerTimer::TxnVerificationTimeout { .. } => "transaction verification timeout".into(),
        }
    }
}
