//! What the coordinators write into their logs: the records of `__consumer_offsets` (a
//! classic group's metadata and members, a consumer group's KIP-848 records, committed
//! offsets) and of `__transaction_state` (a transaction's metadata). A partition's log holds
//! them as values ([`crate::record::Record::coordinator`]) and the coordinators replay them when
//! they load a partition, as Kafka's `GroupCoordinatorRecordHelpers` and
//! `TransactionLog` serialize and read them. This module only describes the records; it knows
//! no coordinator, so the log sits below every coordinator.

use crate::sorted::SortedSet;

use serde::{Deserialize, Serialize};

use crate::assignor::Subscription;
use crate::command::{NodeId, TopicPartition};

/// What a group's records in `__consumer_offsets` hold, structured (Kafka serializes
/// `GroupMetadataValue` and `OffsetCommitValue`; the sandbox keeps the values and shows them
/// as text in the record's key and value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoordinatorRecord {
    Offset {
        group_id: String,
        partition: TopicPartition,
        offset: i64,
    },
    Group {
        group_id: String,
        generation: i32,
        protocol: Option<String>,
        leader: Option<String>,
        members: Vec<Member>,
    },
    /// The group was deleted: its metadata and offsets are gone (tombstones).
    Deleted { group_id: String },
    /// A consumer group's (KIP-848) state, one Kafka record type each.
    Consumer(ConsumerGroupRecord),
    /// A transaction's state in `__transaction_state` (`TransactionLogValue`).
    Transaction(TxnMetadata),
}

/// One member as the coordinator keeps it (`ClassicGroupMember`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    /// The consumer's node, where responses go.
    pub node: NodeId,
    pub session_timeout_ms: i64,
    pub rebalance_timeout_ms: i64,
    pub protocols: Vec<(String, Subscription)>,
    pub assignment: Vec<TopicPartition>,
    /// Has sent JoinGroup in the current rebalance and waits for the response.
    #[serde(default)]
    pub awaiting_join: bool,
    /// Has sent SyncGroup and waits for its assignment.
    #[serde(default)]
    pub awaiting_sync: bool,
}

impl Member {
    /// A member that has just sent JoinGroup: no assignment yet, waiting for the join to
    /// complete. `timeouts` is `(session.timeout.ms, rebalance timeout)`.
    pub(crate) fn joining(
        member_id: String,
        group_instance_id: Option<String>,
        client_id: String,
        node: NodeId,
        timeouts: (i64, i64),
        protocols: Vec<(String, Subscription)>,
    ) -> Member {
        Member {
            member_id,
            group_instance_id,
            client_id,
            node,
            session_timeout_ms: timeouts.0,
            rebalance_timeout_ms: timeouts.1,
            protocols,
            assignment: Vec::new(),
            awaiting_join: true,
            awaiting_sync: false,
        }
    }
}

/// A consumer group's records in `__consumer_offsets`, one per Kafka record type
/// (`GroupCoordinatorRecordHelpers`). `None` values are tombstones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsumerGroupRecord {
    /// `ConsumerGroupMetadataKey`: the group epoch.
    Epoch { group_id: String, epoch: i32 },
    /// `ConsumerGroupPartitionMetadataKey`: partition counts of the subscribed topics.
    SubscriptionMetadata {
        group_id: String,
        topics: Vec<(String, i32)>,
    },
    /// `ConsumerGroupMemberMetadataKey`.
    Member {
        group_id: String,
        member_id: String,
        metadata: Option<MemberMetadata>,
    },
    /// `ConsumerGroupTargetAssignmentMemberKey`.
    TargetMember {
        group_id: String,
        member_id: String,
        partitions: Option<Vec<TopicPartition>>,
    },
    /// `ConsumerGroupTargetAssignmentMetadataKey`: the target assignment epoch.
    TargetEpoch { group_id: String, epoch: i32 },
    /// `ConsumerGroupCurrentMemberAssignmentKey`.
    Current {
        group_id: String,
        member_id: String,
        assignment: Option<CurrentAssignment>,
    },
}

pub(crate) fn short(tps: &[TopicPartition]) -> String {
    let items: Vec<String> = tps.iter().map(|tp| tp.to_string()).collect();
    format!("[{}]", items.join(", "))
}

impl ConsumerGroupRecord {
    pub fn group_id(&self) -> &str {
        match self {
            ConsumerGroupRecord::Epoch { group_id, .. }
            | ConsumerGroupRecord::SubscriptionMetadata { group_id, .. }
            | ConsumerGroupRecord::Member { group_id, .. }
            | ConsumerGroupRecord::TargetMember { group_id, .. }
            | ConsumerGroupRecord::TargetEpoch { group_id, .. }
            | ConsumerGroupRecord::Current { group_id, .. } => group_id,
        }
    }

    /// The record's key and value as the log shows them.
    pub fn key_and_value(&self) -> (String, String) {
        let tombstone = || "tombstone".to_string();
        match self {
            ConsumerGroupRecord::Epoch { group_id, epoch } => (
                format!("ConsumerGroupMetadataKey({group_id})"),
                format!("epoch {epoch}"),
            ),
            ConsumerGroupRecord::SubscriptionMetadata { group_id, topics } => (
                format!("ConsumerGroupPartitionMetadataKey({group_id})"),
                topics
                    .iter()
                    .map(|(t, n)| format!("{t}: {n} partition(s)"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ConsumerGroupRecord::Member {
                group_id,
                member_id,
                metadata,
            } => (
                format!("ConsumerGroupMemberMetadataKey({group_id}, {member_id})"),
                metadata.as_ref().map_or_else(tombstone, |m| {
                    format!(
                        "client {}, subscribed to [{}]",
                        m.client_id,
                        m.subscribed_topics.join(", ")
                    )
                }),
            ),
            ConsumerGroupRecord::TargetMember {
                group_id,
                member_id,
                partitions,
            } => (
                format!("ConsumerGroupTargetAssignmentMemberKey({group_id}, {member_id})"),
                partitions.as_deref().map_or_else(tombstone, short),
            ),
            ConsumerGroupRecord::TargetEpoch { group_id, epoch } => (
                format!("ConsumerGroupTargetAssignmentMetadataKey({group_id})"),
                format!("assignment epoch {epoch}"),
            ),
            ConsumerGroupRecord::Current {
                group_id,
                member_id,
                assignment,
            } => (
                format!("ConsumerGroupCurrentMemberAssignmentKey({group_id}, {member_id})"),
                assignment.as_ref().map_or_else(tombstone, |a| {
                    format!(
                        "epoch {}, {:?}, assigned {}, revoking {}",
                        a.member_epoch,
                        a.state,
                        short(&a.assigned),
                        short(&a.pending_revocation)
                    )
                }),
            ),
        }
    }
}

/// Where a member is in its reconciliation (`modern/MemberState`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberState {
    /// At the target epoch with its whole target.
    #[default]
    Stable,
    /// Must revoke partitions first; stays at its epoch until it reports them gone.
    UnrevokedPartitions,
    /// At the target epoch, waiting for partitions other members still own.
    UnreleasedPartitions,
}

/// What a member subscribed with (`ConsumerGroupMemberMetadataValue`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberMetadata {
    pub instance_id: Option<String>,
    pub rack: Option<String>,
    pub client_id: String,
    /// The consumer's node (Kafka keeps the client host).
    pub node: NodeId,
    pub rebalance_timeout_ms: i64,
    pub subscribed_topics: Vec<String>,
    pub server_assignor: Option<String>,
}

/// A member's current assignment (`ConsumerGroupCurrentMemberAssignmentValue`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentAssignment {
    pub member_epoch: i32,
    pub previous_member_epoch: i32,
    pub state: MemberState,
    /// Partitions the member owns now (sorted).
    pub assigned: Vec<TopicPartition>,
    /// Partitions it must give up before going on (sorted).
    pub pending_revocation: Vec<TopicPartition>,
}

/// `TransactionState`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnStatus {
    #[default]
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

impl TxnStatus {
    pub fn name(self) -> &'static str {
        match self {
            TxnStatus::Empty => "Empty",
            TxnStatus::Ongoing => "Ongoing",
            TxnStatus::PrepareCommit => "PrepareCommit",
            TxnStatus::PrepareAbort => "PrepareAbort",
            TxnStatus::CompleteCommit => "CompleteCommit",
            TxnStatus::CompleteAbort => "CompleteAbort",
        }
    }

    /// What the state means for the transaction's records and its readers.
    pub fn meaning(self) -> &'static str {
        match self {
            TxnStatus::Empty => "no transaction yet: the producer id and epoch are registered",
            TxnStatus::Ongoing => {
                "open: its records are in the logs, and read_committed consumers stop at the LSO before them"
            }
            TxnStatus::PrepareCommit => {
                "the decision to commit is written to __transaction_state; COMMIT markers are being written"
            }
            TxnStatus::PrepareAbort => {
                "the decision to abort is written to __transaction_state; ABORT markers are being written"
            }
            TxnStatus::CompleteCommit => {
                "committed: every partition has its COMMIT marker, read_committed consumers see the records"
            }
            TxnStatus::CompleteAbort => {
                "aborted: every partition has its ABORT marker, read_committed consumers skip the records"
            }
        }
    }
}

impl std::fmt::Display for TxnStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `TransactionMetadata`, also the value of its `__transaction_state` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnMetadata {
    pub transactional_id: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub timeout_ms: i64,
    pub state: TxnStatus,
    pub partitions: SortedSet<TopicPartition>,
    pub start_ms: i64,
    pub last_update_ms: i64,
}
