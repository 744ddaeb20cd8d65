//! Plain data for everything the UI draws.
//!
//! The UI never reaches into simulation state: it receives these structs, which are
//! serde-serializable so the same data can be printed by the CLI as JSON or carried in tests.

use serde::{Deserialize, Serialize};

/// A broker as the cluster diagram shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerView {
    /// `node.id` of the broker.
    pub id: i32,
    /// `broker.rack`, when set.
    pub rack: Option<String>,
    /// Whether the broker process is running.
    pub alive: bool,
}

/// One copy of a partition's log, held by one broker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaView {
    /// The broker that holds this replica.
    pub broker: i32,
    /// Whether this replica is the partition leader.
    pub is_leader: bool,
    /// Whether this replica is in the in-sync replica set.
    pub in_isr: bool,
    /// The first offset still readable (the low watermark).
    pub log_start_offset: i64,
    /// The first offset not yet committed: consumers read below it.
    pub high_watermark: i64,
    /// The offset the next appended record will get.
    pub log_end_offset: i64,
}

/// A partition of a topic and its replicas, in assignment order (the first is preferred leader).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionView {
    pub topic: String,
    pub partition: i32,
    /// The leader's broker id, or `None` when the partition is offline.
    pub leader: Option<i32>,
    pub leader_epoch: i32,
    /// Broker ids of the in-sync replicas.
    pub isr: Vec<i32>,
    pub replicas: Vec<ReplicaView>,
}

impl PartitionView {
    /// The name Kafka tools print for the partition, e.g. `orders-0`.
    pub fn name(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }
}

/// A topic and its partitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicView {
    pub name: String,
    pub partitions: Vec<PartitionView>,
}

/// The whole cluster as one picture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    pub brokers: Vec<BrokerView>,
    pub topics: Vec<TopicView>,
}

impl PartitionView {
    /// The replica that leads, if the partition is online.
    pub fn leader_replica(&self) -> Option<&ReplicaView> {
        self.replicas.iter().find(|r| r.is_leader)
    }

    /// One sentence on why the leader's high watermark is where it is.
    pub fn explain_high_watermark(&self) -> String {
        let name = self.name();
        let Some(leader) = self.leader_replica() else {
            return format!(
                "{name} is offline: no replica leads it, so nothing can be read or written."
            );
        };
        let hw = leader.high_watermark;
        let holding_back: Vec<String> = self
            .replicas
            .iter()
            .filter(|r| {
                !r.is_leader && r.in_isr && r.log_end_offset == hw && hw < leader.log_end_offset
            })
            .map(|r| format!("follower {} has fetched only up to {hw}", r.broker))
            .collect();
        let out_of_sync: Vec<String> = self
            .replicas
            .iter()
            .filter(|r| !r.in_isr)
            .map(|r| r.broker.to_string())
            .collect();
        let mut sentence = if holding_back.is_empty() {
            format!(
                "HW of {name} is {hw}: every in-sync replica has every record up to the leader's log end offset {}",
                leader.log_end_offset
            )
        } else {
            format!(
                "HW of {name} is {hw}, not {}: {} and is in the ISR",
                leader.log_end_offset,
                holding_back.join(", ")
            )
        };
        if !out_of_sync.is_empty() {
            sentence.push_str(&format!(
                "; broker {} is out of sync, so it does not hold the HW back",
                out_of_sync.join(", ")
            ));
        }
        sentence.push_str(". Consumers read only offsets below the HW.");
        sentence
    }
}
