//! The messages nodes exchange, named after Kafka's RPCs, and Kafka's error codes.

use serde::{Deserialize, Serialize};

use crate::command::{Acks, NodeId, TopicPartition};
use crate::log::Record;
use crate::metadata::MetadataRecord;
use crate::raft::RaftMessage;

/// Kafka error codes the simulation can produce (`org.apache.kafka.common.protocol.Errors`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum KafkaError {
    NOT_LEADER_OR_FOLLOWER,
    FENCED_LEADER_EPOCH,
    UNKNOWN_LEADER_EPOCH,
    NOT_ENOUGH_REPLICAS,
    NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    REQUEST_TIMED_OUT,
    UNKNOWN_TOPIC_OR_PARTITION,
    OFFSET_OUT_OF_RANGE,
    NOT_CONTROLLER,
    INVALID_REQUEST,
    INVALID_UPDATE_VERSION,
    INELIGIBLE_REPLICA,
    STALE_BROKER_EPOCH,
    BROKER_ID_NOT_REGISTERED,
    TOPIC_ALREADY_EXISTS,
    INVALID_REPLICATION_FACTOR,
    ELECTION_NOT_NEEDED,
    ELIGIBLE_LEADERS_NOT_AVAILABLE,
    PREFERRED_LEADER_NOT_AVAILABLE,
    // Group coordination.
    COORDINATOR_NOT_AVAILABLE,
    NOT_COORDINATOR,
    COORDINATOR_LOAD_IN_PROGRESS,
    MEMBER_ID_REQUIRED,
    UNKNOWN_MEMBER_ID,
    ILLEGAL_GENERATION,
    REBALANCE_IN_PROGRESS,
    INVALID_SESSION_TIMEOUT,
    INCONSISTENT_GROUP_PROTOCOL,
    FENCED_INSTANCE_ID,
    GROUP_ID_NOT_FOUND,
    NON_EMPTY_GROUP,
    FENCED_MEMBER_EPOCH,
    UNRELEASED_INSTANCE_ID,
}

/// What a classic-protocol member sends with each assignor it supports (`ConsumerProtocol`
/// subscription v3: topics, owned partitions, generation, rack).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub topics: Vec<String>,
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation the owned partitions are from (-1: none).
    pub generation: i32,
    pub rack: Option<String>,
}

/// One member as the JoinGroup response lists it to the leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinedMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub subscription: Subscription,
}

/// `ListOffsets` timestamps: `-2` is EARLIEST, `-1` is LATEST.
pub const EARLIEST_TIMESTAMP: i64 = -2;
pub const LATEST_TIMESTAMP: i64 = -1;

impl std::fmt::Display for KafkaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchPartition {
    pub partition: TopicPartition,
    pub fetch_offset: i64,
    pub last_fetched_epoch: i32,
    pub current_leader_epoch: i32,
    pub log_start_offset: i64,
    /// `partition_max_bytes`: a consumer's `max.partition.fetch.bytes` (0: the broker's
    /// own limit, for followers).
    #[serde(default)]
    pub max_bytes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchPartitionResponse {
    pub partition: TopicPartition,
    pub error: Option<KafkaError>,
    pub high_watermark: i64,
    pub log_start_offset: i64,
    pub records: Vec<Record>,
    /// `divergingEpoch`: the follower's log diverges from the leader's after this epoch's end.
    pub diverging_epoch: Option<(i32, i64)>,
}

impl FetchPartitionResponse {
    /// A response for `partition` with nothing filled in yet (-1 for unknown offsets).
    pub fn empty(partition: TopicPartition) -> Self {
        FetchPartitionResponse {
            partition,
            error: None,
            high_watermark: -1,
            log_start_offset: -1,
            records: Vec::new(),
            diverging_epoch: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// The controller quorum's Raft traffic, and brokers fetching `__cluster_metadata`.
    Raft(RaftMessage<MetadataRecord>),
    BrokerRegistration {
        broker_id: NodeId,
        rack: Option<String>,
    },
    BrokerRegistrationResponse {
        error: Option<KafkaError>,
        broker_epoch: i64,
    },
    BrokerHeartbeat {
        broker_id: NodeId,
        broker_epoch: i64,
        current_metadata_offset: i64,
        want_shutdown: bool,
    },
    BrokerHeartbeatResponse {
        error: Option<KafkaError>,
        is_fenced: bool,
        should_shutdown: bool,
    },
    AlterPartition {
        broker_id: NodeId,
        broker_epoch: i64,
        partition: TopicPartition,
        leader_epoch: i32,
        partition_epoch: i32,
        new_isr: Vec<NodeId>,
    },
    AlterPartitionResponse {
        partition: TopicPartition,
        error: Option<KafkaError>,
        isr: Vec<NodeId>,
        leader_epoch: i32,
        partition_epoch: i32,
    },
    /// A follower's (or consumer's, `replica_id = -1`) fetch.
    Fetch {
        replica_id: NodeId,
        broker_epoch: i64,
        max_wait_ms: i64,
        partitions: Vec<FetchPartition>,
    },
    FetchResponse {
        partitions: Vec<FetchPartitionResponse>,
    },
    Produce {
        request_id: i64,
        partition: TopicPartition,
        acks: Acks,
        timeout_ms: i64,
        records: Vec<Record>,
    },
    ProduceResponse {
        request_id: i64,
        partition: TopicPartition,
        error: Option<KafkaError>,
        base_offset: i64,
    },
    /// `FindCoordinator(key_type=GROUP)`.
    FindCoordinator { group_id: String },
    FindCoordinatorResponse {
        group_id: String,
        error: Option<KafkaError>,
        node: Option<NodeId>,
    },
    JoinGroup {
        group_id: String,
        /// Empty for a member joining for the first time.
        member_id: String,
        group_instance_id: Option<String>,
        client_id: String,
        session_timeout_ms: i64,
        rebalance_timeout_ms: i64,
        /// Supported assignors, in preference order, with the subscription for each.
        protocols: Vec<(String, Subscription)>,
    },
    JoinGroupResponse {
        group_id: String,
        error: Option<KafkaError>,
        generation: i32,
        protocol_name: Option<String>,
        leader: String,
        member_id: String,
        /// Only the leader gets the members and their subscriptions.
        members: Vec<JoinedMember>,
        /// A static leader rejoining a stable group must not reassign (KIP-345).
        skip_assignment: bool,
    },
    SyncGroup {
        group_id: String,
        generation: i32,
        member_id: String,
        group_instance_id: Option<String>,
        /// Only the leader sends assignments.
        assignments: Vec<(String, Vec<TopicPartition>)>,
    },
    SyncGroupResponse {
        group_id: String,
        error: Option<KafkaError>,
        assignment: Vec<TopicPartition>,
    },
    Heartbeat {
        group_id: String,
        generation: i32,
        member_id: String,
        group_instance_id: Option<String>,
    },
    HeartbeatResponse {
        group_id: String,
        error: Option<KafkaError>,
    },
    LeaveGroup {
        group_id: String,
        member_id: String,
        group_instance_id: Option<String>,
        reason: String,
    },
    LeaveGroupResponse {
        group_id: String,
        error: Option<KafkaError>,
    },
    OffsetCommit {
        request_id: i64,
        group_id: String,
        /// -1 for a commit from outside the group (an admin tool or a standalone consumer).
        generation: i32,
        member_id: String,
        offsets: Vec<(TopicPartition, i64)>,
    },
    OffsetCommitResponse {
        request_id: i64,
        group_id: String,
        error: Option<KafkaError>,
        offsets: Vec<(TopicPartition, i64)>,
    },
    OffsetFetch {
        group_id: String,
        partitions: Vec<TopicPartition>,
    },
    OffsetFetchResponse {
        group_id: String,
        error: Option<KafkaError>,
        /// `None`: no committed offset for the partition.
        offsets: Vec<(TopicPartition, Option<i64>)>,
    },
    /// `ListOffsets` to a partition leader, with [`EARLIEST_TIMESTAMP`] or [`LATEST_TIMESTAMP`].
    ListOffsets {
        partitions: Vec<(TopicPartition, i64)>,
    },
    ListOffsetsResponse {
        partitions: Vec<(TopicPartition, Option<KafkaError>, i64)>,
    },
    /// A client asking any broker where partitions lead.
    MetadataRequest,
    MetadataResponse {
        leaders: Vec<(TopicPartition, Option<NodeId>, i32)>,
        /// Partition counts and replica racks, for a group leader's assignor.
        #[serde(default)]
        cluster: crate::assignor::ClusterMetadata,
    },
}

impl Message {
    /// The Kafka RPC name, for the trace and the UI's moving messages.
    pub fn name(&self) -> String {
        match self {
            Message::Raft(m) => m.name().to_string(),
            Message::BrokerRegistration { .. } => "BrokerRegistration".into(),
            Message::BrokerRegistrationResponse { .. } => "BrokerRegistrationResponse".into(),
            Message::BrokerHeartbeat { .. } => "BrokerHeartbeat".into(),
            Message::BrokerHeartbeatResponse { .. } => "BrokerHeartbeatResponse".into(),
            Message::AlterPartition { .. } => "AlterPartition".into(),
            Message::AlterPartitionResponse { .. } => "AlterPartitionResponse".into(),
            Message::Fetch { .. } => "Fetch".into(),
            Message::FetchResponse { .. } => "FetchResponse".into(),
            Message::Produce { .. } => "Produce".into(),
            Message::ProduceResponse { .. } => "ProduceResponse".into(),
            Message::MetadataRequest => "Metadata".into(),
            Message::FindCoordinator { .. } => "FindCoordinator".into(),
            Message::FindCoordinatorResponse { .. } => "FindCoordinatorResponse".into(),
            Message::JoinGroup { .. } => "JoinGroup".into(),
            Message::JoinGroupResponse { .. } => "JoinGroupResponse".into(),
            Message::SyncGroup { .. } => "SyncGroup".into(),
            Message::SyncGroupResponse { .. } => "SyncGroupResponse".into(),
            Message::Heartbeat { .. } => "Heartbeat".into(),
            Message::HeartbeatResponse { .. } => "HeartbeatResponse".into(),
            Message::LeaveGroup { .. } => "LeaveGroup".into(),
            Message::LeaveGroupResponse { .. } => "LeaveGroupResponse".into(),
            Message::OffsetCommit { .. } => "OffsetCommit".into(),
            Message::OffsetCommitResponse { .. } => "OffsetCommitResponse".into(),
            Message::OffsetFetch { .. } => "OffsetFetch".into(),
            Message::OffsetFetchResponse { .. } => "OffsetFetchResponse".into(),
            Message::ListOffsets { .. } => "ListOffsets".into(),
            Message::ListOffsetsResponse { .. } => "ListOffsetsResponse".into(),
            Message::MetadataResponse { .. } => "MetadataResponse".into(),
        }
    }
}
