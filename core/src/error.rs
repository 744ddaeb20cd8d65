//! Kafka's error codes (`org.apache.kafka.common.protocol.Errors`), as the nodes answer each
//! other with them. A leaf: the log, the producer state and every message use it.

use serde::{Deserialize, Serialize};

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
    // KIP-848 consumer groups.
    STALE_MEMBER_EPOCH,
    UNSUPPORTED_ASSIGNOR,
    // Idempotence and transactions.
    OUT_OF_ORDER_SEQUENCE_NUMBER,
    INVALID_PRODUCER_EPOCH,
    PRODUCER_FENCED,
    INVALID_TXN_STATE,
    INVALID_PRODUCER_ID_MAPPING,
    CONCURRENT_TRANSACTIONS,
    TRANSACTION_COORDINATOR_FENCED,
    INVALID_TRANSACTION_TIMEOUT,
    /// The client's own error for a request whose connection broke or timed out.
    NETWORK_EXCEPTION,
}

impl std::fmt::Display for KafkaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
