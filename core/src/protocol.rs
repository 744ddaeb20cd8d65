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
}

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
    /// A client asking any broker where partitions lead.
    MetadataRequest,
    MetadataResponse {
        leaders: Vec<(TopicPartition, Option<NodeId>, i32)>,
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
            Message::MetadataResponse { .. } => "MetadataResponse".into(),
        }
    }
}
