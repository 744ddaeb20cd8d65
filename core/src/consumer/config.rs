//! The consumer's configs, typed, with Kafka's names and defaults (`ConsumerConfig`), and the
//! checks Kafka makes on them (each group protocol refuses the other one's settings).

use crate::sorted::SortedMap;

use serde::{Deserialize, Serialize};

use crate::assignor::{self, Assignor, RebalanceProtocol};
use crate::config::{consumer_config, validate, CONSUMER_CONFIGS};

/// `auto.offset.reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OffsetReset {
    Earliest,
    Latest,
    None,
}

/// What the application does after processing a poll's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitAfterPoll {
    None,
    Sync,
    Async,
}

/// The consumer's configs, typed, with Kafka's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerConfig {
    pub strategies: Vec<Assignor>,
    pub group_instance_id: Option<String>,
    pub session_timeout_ms: i64,
    pub heartbeat_interval_ms: i64,
    pub max_poll_interval_ms: i64,
    pub max_poll_records: i64,
    pub fetch_max_wait_ms: i64,
    pub fetch_max_bytes: i64,
    pub max_partition_fetch_bytes: i64,
    pub auto_offset_reset: OffsetReset,
    pub enable_auto_commit: bool,
    pub auto_commit_interval_ms: i64,
    pub read_committed: bool,
    pub rack: Option<String>,
    pub processing_ms_per_record: i64,
    pub commit_after_poll: CommitAfterPoll,
    /// `group.protocol`: `classic` or `consumer` (KIP-848).
    pub group_protocol: String,
    /// `group.remote.assignor` (consumer protocol): the server-side assignor the member asks
    /// for; `None` lets the coordinator pick.
    #[serde(default)]
    pub remote_assignor: Option<String>,
}

impl ConsumerConfig {
    /// Reads `key=value` properties over Kafka's defaults, with Kafka's validation messages.
    pub fn from_properties(properties: &[(String, String)]) -> Result<ConsumerConfig, String> {
        let mut values: SortedMap<&str, String> = CONSUMER_CONFIGS
            .iter()
            .map(|c| (c.name, c.default.to_string()))
            .collect();
        for (key, value) in properties {
            let Some(def) = consumer_config(key) else {
                return Err(format!("unknown consumer config {key}"));
            };
            validate(def, value)?;
            values.insert(def.name, value.clone());
        }
        let int = |name: &str| -> i64 {
            values
                .get(name)
                .and_then(|v| v.parse().ok())
                .unwrap_or_default()
        };
        let text = |name: &str| values.get(name).cloned().unwrap_or_default();
        let strategies = text("partition.assignment.strategy")
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Assignor::from_name)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        if strategies.is_empty() {
            return Err("partition.assignment.strategy needs at least one assignor".into());
        }
        let config = ConsumerConfig {
            strategies,
            group_instance_id: Some(text("group.instance.id")).filter(|s| !s.is_empty()),
            session_timeout_ms: int("session.timeout.ms"),
            heartbeat_interval_ms: int("heartbeat.interval.ms").max(1),
            max_poll_interval_ms: int("max.poll.interval.ms").max(1),
            max_poll_records: int("max.poll.records").max(1),
            fetch_max_wait_ms: int("fetch.max.wait.ms"),
            fetch_max_bytes: int("fetch.max.bytes"),
            max_partition_fetch_bytes: int("max.partition.fetch.bytes"),
            auto_offset_reset: match text("auto.offset.reset").as_str() {
                "earliest" => OffsetReset::Earliest,
                "none" => OffsetReset::None,
                _ => OffsetReset::Latest,
            },
            enable_auto_commit: text("enable.auto.commit") == "true",
            auto_commit_interval_ms: int("auto.commit.interval.ms").max(1),
            read_committed: text("isolation.level") == "read_committed",
            rack: Some(text("client.rack")).filter(|s| !s.is_empty()),
            processing_ms_per_record: int("sandbox.processing.ms.per.record"),
            commit_after_poll: match text("sandbox.commit.after.poll").as_str() {
                "sync" => CommitAfterPoll::Sync,
                "async" => CommitAfterPoll::Async,
                _ => CommitAfterPoll::None,
            },
            group_protocol: text("group.protocol"),
            remote_assignor: Some(text("group.remote.assignor")).filter(|s| !s.is_empty()),
        };
        // `ConsumerConfig.checkUnsupportedConfigsPostProcess`: each protocol refuses the other
        // one's settings.
        let (protocol, unsupported): (&str, &[&str]) = if config.group_protocol == "consumer" {
            (
                "CONSUMER",
                &[
                    "partition.assignment.strategy",
                    "heartbeat.interval.ms",
                    "session.timeout.ms",
                ],
            )
        } else {
            ("CLASSIC", &["group.remote.assignor"])
        };
        let set: Vec<&str> = unsupported
            .iter()
            .copied()
            .filter(|name| {
                properties
                    .iter()
                    .any(|(k, v)| k == name && !v.trim().is_empty())
            })
            .collect();
        if !set.is_empty() {
            return Err(format!(
                "{} cannot be set when group.protocol={protocol}",
                set.join(", ")
            ));
        }
        if config.heartbeat_interval_ms >= config.session_timeout_ms {
            return Err(format!(
                "heartbeat.interval.ms ({}) must be lower than session.timeout.ms ({})",
                config.heartbeat_interval_ms, config.session_timeout_ms
            ));
        }
        Ok(config)
    }

    /// The protocol the group will run: the highest every configured assignor supports.
    pub fn rebalance_protocol(&self) -> RebalanceProtocol {
        assignor::rebalance_protocol(&self.strategies)
    }
}
