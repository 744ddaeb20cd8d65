//! The producer's configuration (`ProducerConfig` in Kafka): Kafka's names and defaults, and how
//! conflicting settings resolve.

use crate::sorted::SortedMap;

use serde::{Deserialize, Serialize};

use crate::command::Acks;
use crate::config::{producer_config, validate, PRODUCER_CONFIGS};
use crate::partitioner::PartitionerConfig;

/// The sandbox's model of what compression does to a batch's size: the share of the bytes
/// left (Kafka estimates the ratio per topic as it goes; text compresses roughly this well).
pub fn compression_ratio(codec: &str) -> f64 {
    match codec {
        "gzip" => 0.4,
        "zstd" => 0.4,
        "lz4" => 0.6,
        "snappy" => 0.6,
        _ => 1.0,
    }
}

pub(super) fn default_max_request_size() -> i64 {
    1_048_576
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProducerConfig {
    pub acks: Acks,
    pub idempotent: bool,
    pub transactional_id: Option<String>,
    pub transaction_timeout_ms: i64,
    pub batch_size: i64,
    pub linger_ms: i64,
    pub compression: String,
    pub max_in_flight: i64,
    pub retries: i64,
    pub retry_backoff_ms: i64,
    pub retry_backoff_max_ms: i64,
    pub request_timeout_ms: i64,
    pub delivery_timeout_ms: i64,
    #[serde(default)]
    pub metadata_max_age_ms: i64,
    /// `max.request.size`: a Produce request carries batches up to this many bytes.
    #[serde(default = "default_max_request_size")]
    pub max_request_size: i64,
    pub partitioner: PartitionerConfig,
}

impl ProducerConfig {
    /// Kafka's defaults with `properties` applied, checked as `ProducerConfig` checks them:
    /// idempotence (on by default) needs `acks=all`, `retries > 0` and at most 5 requests in
    /// flight; set explicitly with a conflicting config it is an error, left at its default it
    /// is quietly turned off. A `transactional.id` needs idempotence.
    pub fn from_properties(properties: &[(String, String)]) -> Result<ProducerConfig, String> {
        let mut values: SortedMap<&str, String> = PRODUCER_CONFIGS
            .iter()
            .map(|c| (c.name, c.default.to_string()))
            .collect();
        for (key, value) in properties {
            let Some(def) = producer_config(key) else {
                return Err(format!("unknown producer config {key}"));
            };
            validate(def, value)?;
            values.insert(def.name, value.clone());
        }
        // Kafka's INT configs stop at 2^31 - 1; the sandbox bounds its LONG ones there too, so
        // adding a duration to the clock can never overflow.
        let int = |name: &str| -> i64 {
            values
                .get(name)
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or_default()
                .clamp(0, i64::from(i32::MAX))
        };
        let text = |name: &str| values.get(name).cloned().unwrap_or_default();
        let explicit = |name: &str| properties.iter().any(|(k, _)| k == name);
        let acks = match text("acks").as_str() {
            "0" => Acks::None,
            "1" => Acks::Leader,
            _ => Acks::All,
        };
        let transactional_id = Some(text("transactional.id")).filter(|s| !s.is_empty());
        let max_in_flight = int("max.in.flight.requests.per.connection").max(1);
        let retries = int("retries");
        let mut idempotent = text("enable.idempotence") == "true";
        let conflict = if acks != Acks::All {
            Some("acks must be set to all")
        } else if max_in_flight > 5 {
            Some("max.in.flight.requests.per.connection must be at most 5")
        } else if retries == 0 {
            Some("retries must be greater than 0")
        } else {
            None
        };
        if let Some(why) = conflict {
            if idempotent && explicit("enable.idempotence") {
                return Err(format!(
                    "Invalid configuration: to use the idempotent producer, {why} (ConfigException)"
                ));
            }
            if transactional_id.is_some() {
                return Err(format!(
                    "Invalid configuration: a transactional producer is idempotent, so {why} (ConfigException)"
                ));
            }
            idempotent = false;
        }
        if transactional_id.is_some() && !idempotent {
            return Err(
                "Cannot set a transactional.id without also enabling idempotence (ConfigException)"
                    .into(),
            );
        }
        let batch_size = int("batch.size");
        Ok(ProducerConfig {
            acks,
            idempotent,
            transactional_id,
            transaction_timeout_ms: int("transaction.timeout.ms"),
            batch_size,
            linger_ms: int("linger.ms"),
            compression: text("compression.type"),
            max_in_flight,
            retries,
            retry_backoff_ms: int("retry.backoff.ms"),
            retry_backoff_max_ms: int("retry.backoff.max.ms").max(1),
            request_timeout_ms: int("request.timeout.ms").max(1),
            delivery_timeout_ms: int("delivery.timeout.ms").max(1),
            metadata_max_age_ms: int("metadata.max.age.ms").max(1),
            max_request_size: int("max.request.size").max(1),
            partitioner: PartitionerConfig {
                batch_size: batch_size.clamp(1, i32::MAX as i64) as i32,
                adaptive_partitioning_enable: text("partitioner.adaptive.partitioning.enable")
                    == "true",
                availability_timeout_ms: int("partitioner.availability.timeout.ms"),
                ignore_keys: text("partitioner.ignore.keys") == "true",
            },
        })
    }
}
