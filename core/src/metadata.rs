//! The cluster metadata that the KRaft controllers keep in `__cluster_metadata`, and the image
//! that applying it builds.
//!
//! Record names and fields follow Kafka's metadata records
//! (`metadata/src/main/resources/common/metadata/*.json`): `RegisterBrokerRecord`,
//! `BrokerRegistrationChangeRecord`, `TopicRecord`, `PartitionRecord`, `PartitionChangeRecord`,
//! `ConfigRecord`. Brokers apply the committed records to their image
//! (`MetadataDelta` / `ReplicaManager.applyDelta`); the active controller decides on its own
//! image, which includes what it appended but is not yet committed, as `QuorumController` does.

use crate::sorted::SortedMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunked::Iter;
use crate::command::{NodeId, TopicPartition};
use crate::raft::{Entry, RaftRecord};

/// The internal topic where groups keep their state (`Topic.GROUP_METADATA_TOPIC_NAME`).
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// The internal topic where transaction coordinators keep their state
/// (`Topic.TRANSACTION_STATE_TOPIC_NAME`).
pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";

/// Kafka's `Topic.isInternal`: the coordinators' own topics, which clients do not produce to
/// and the diagram folds away unless asked.
pub fn is_internal_topic(topic: &str) -> bool {
    topic == OFFSETS_TOPIC || topic == TRANSACTION_STATE_TOPIC
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataRecord {
    RegisterBroker {
        broker_id: NodeId,
        broker_epoch: i64,
        rack: Option<String>,
    },
    BrokerRegistrationChange {
        broker_id: NodeId,
        broker_epoch: i64,
        fenced: Option<bool>,
        in_controlled_shutdown: Option<bool>,
    },
    Topic {
        name: String,
        /// Kafka's topic id, a random UUID printed in base64url (`Uuid.toString`).
        topic_id: String,
    },
    Partition {
        topic: String,
        partition: i32,
        replicas: Vec<NodeId>,
        isr: Vec<NodeId>,
        leader: Option<NodeId>,
        leader_epoch: i32,
        partition_epoch: i32,
    },
    PartitionChange {
        topic: String,
        partition: i32,
        isr: Option<Vec<NodeId>>,
        /// `Some(None)` makes the partition leaderless (Kafka's leader -1).
        leader: Option<Option<NodeId>>,
        /// Set on an unclean election: the leader must recover before the ISR can grow.
        leader_recovering: Option<bool>,
    },
    Config {
        /// `None` is a cluster-wide broker default; `Some(topic)` a topic config.
        topic: Option<String>,
        broker: Option<NodeId>,
        name: String,
        /// `None` deletes the config.
        value: Option<String>,
    },
    /// `ProducerIdsRecord`: a block of producer ids went to a broker; the next block starts
    /// at `next_producer_id`.
    ProducerIds {
        broker_id: NodeId,
        broker_epoch: i64,
        next_producer_id: i64,
    },
}

impl MetadataRecord {
    /// Kafka's record type name, as `kafka-dump-log.sh --cluster-metadata-decoder` prints it.
    pub fn type_name(&self) -> &'static str {
        match self {
            MetadataRecord::RegisterBroker { .. } => "REGISTER_BROKER_RECORD",
            MetadataRecord::BrokerRegistrationChange { .. } => "BROKER_REGISTRATION_CHANGE_RECORD",
            MetadataRecord::Topic { .. } => "TOPIC_RECORD",
            MetadataRecord::Partition { .. } => "PARTITION_RECORD",
            MetadataRecord::PartitionChange { .. } => "PARTITION_CHANGE_RECORD",
            MetadataRecord::Config { .. } => "CONFIG_RECORD",
            MetadataRecord::ProducerIds { .. } => "PRODUCER_IDS_RECORD",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerRegistration {
    pub id: NodeId,
    pub epoch: i64,
    pub rack: Option<String>,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
}

impl BrokerRegistration {
    /// `ClusterControlManager.isActive`: registered, unfenced and not shutting down.
    pub fn is_active(&self) -> bool {
        !self.fenced && !self.in_controlled_shutdown
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionRegistration {
    pub replicas: Vec<NodeId>,
    pub isr: Vec<NodeId>,
    pub leader: Option<NodeId>,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    pub leader_recovering: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataImage {
    pub brokers: SortedMap<NodeId, BrokerRegistration>,
    pub partitions: SortedMap<TopicPartition, PartitionRegistration>,
    /// Topic configs set explicitly, by topic then name.
    pub topic_configs: SortedMap<String, SortedMap<String, String>>,
    /// Cluster-wide dynamic broker configs.
    pub broker_configs: SortedMap<String, String>,
    pub topics: Vec<String>,
    pub topic_ids: SortedMap<String, String>,
    /// The first producer id of the next block the controller hands out.
    #[serde(default)]
    pub next_producer_id: i64,
}

impl MetadataImage {
    /// What a consumer group leader's assignor sees: partition counts and the racks of each
    /// partition's replicas.
    pub fn assignor_metadata(&self) -> crate::assignor::ClusterMetadata {
        let mut topics: SortedMap<String, crate::assignor::TopicMetadata> = SortedMap::new();
        for (tp, reg) in &self.partitions {
            let entry = topics.entry(tp.topic.to_string()).or_default();
            entry.partitions = entry.partitions.max(tp.partition + 1);
            let racks: Vec<String> = reg
                .replicas
                .iter()
                .filter_map(|r| self.brokers.get(r).and_then(|b| b.rack.clone()))
                .collect();
            let index = tp.partition.max(0) as usize;
            if entry.replica_racks.len() <= index {
                entry.replica_racks.resize(index + 1, Vec::new());
            }
            entry.replica_racks[index] = racks;
        }
        crate::assignor::ClusterMetadata { topics }
    }

    pub fn apply(&mut self, record: &MetadataRecord) {
        match record {
            MetadataRecord::RegisterBroker {
                broker_id,
                broker_epoch,
                rack,
            } => {
                // A new registration starts fenced until the broker catches up.
                self.brokers.insert(
                    *broker_id,
                    BrokerRegistration {
                        id: *broker_id,
                        epoch: *broker_epoch,
                        rack: rack.clone(),
                        fenced: true,
                        in_controlled_shutdown: false,
                    },
                );
            }
            MetadataRecord::BrokerRegistrationChange {
                broker_id,
                broker_epoch,
                fenced,
                in_controlled_shutdown,
            } => {
                if let Some(b) = self.brokers.get_mut(broker_id) {
                    if b.epoch == *broker_epoch {
                        if let Some(f) = fenced {
                            b.fenced = *f;
                        }
                        if let Some(s) = in_controlled_shutdown {
                            b.in_controlled_shutdown = *s;
                        }
                    }
                }
            }
            MetadataRecord::Topic { name, topic_id } => {
                if !self.topics.contains(name) {
                    self.topics.push(name.clone());
                    self.topic_ids.insert(name.clone(), topic_id.clone());
                }
            }
            MetadataRecord::Partition {
                topic,
                partition,
                replicas,
                isr,
                leader,
                leader_epoch,
                partition_epoch,
            } => {
                self.partitions.insert(
                    TopicPartition::new(topic.clone(), *partition),
                    PartitionRegistration {
                        replicas: replicas.clone(),
                        isr: isr.clone(),
                        leader: *leader,
                        leader_epoch: *leader_epoch,
                        partition_epoch: *partition_epoch,
                        leader_recovering: false,
                    },
                );
            }
            MetadataRecord::PartitionChange {
                topic,
                partition,
                isr,
                leader,
                leader_recovering,
            } => {
                let tp = TopicPartition::new(topic.clone(), *partition);
                if let Some(p) = self.partitions.get_mut(&tp) {
                    // `PartitionRegistration.merge`: every change bumps the partition epoch;
                    // a change of leader also bumps the leader epoch.
                    if let Some(isr) = isr {
                        p.isr = isr.clone();
                    }
                    if let Some(leader) = leader {
                        if *leader != p.leader {
                            p.leader_epoch += 1;
                        }
                        p.leader = *leader;
                    }
                    if let Some(r) = leader_recovering {
                        p.leader_recovering = *r;
                    }
                    p.partition_epoch += 1;
                }
            }
            MetadataRecord::ProducerIds {
                next_producer_id, ..
            } => self.next_producer_id = *next_producer_id,
            MetadataRecord::Config {
                topic,
                broker: _,
                name,
                value,
            } => {
                let map = match topic {
                    Some(t) => self.topic_configs.entry(t.clone()).or_default(),
                    None => &mut self.broker_configs,
                };
                match value {
                    Some(v) => {
                        map.insert(name.clone(), v.clone());
                    }
                    None => {
                        map.remove(name);
                    }
                }
            }
        }
    }

    /// A config's effective value for a topic: the topic's own, else the cluster default,
    /// else Kafka's default from [`crate::config`].
    pub fn topic_config(&self, topic: &str, name: &str) -> String {
        self.topic_configs
            .get(topic)
            .and_then(|m| m.get(name))
            .or_else(|| self.broker_configs.get(name))
            .cloned()
            .unwrap_or_else(|| crate::config::default_value(name).to_string())
    }

    pub fn topic_config_i64(&self, topic: &str, name: &str) -> i64 {
        self.topic_config(topic, name).parse().unwrap_or(0)
    }

    pub fn topic_config_bool(&self, topic: &str, name: &str) -> bool {
        self.topic_config(topic, name) == "true"
    }

    /// The leader of `tp`, if it has one and that broker is not fenced: where a client (or
    /// another broker) finds the partition's coordinator.
    pub fn live_leader(&self, tp: &TopicPartition) -> Option<NodeId> {
        self.partitions
            .get(tp)
            .and_then(|reg| reg.leader)
            .filter(|l| self.brokers.get(l).is_some_and(|b| !b.fenced))
    }

    /// A cluster-wide boolean broker config (without copying its value).
    pub fn broker_config_bool(&self, name: &str) -> bool {
        match self.broker_configs.get(name) {
            Some(v) => v == "true",
            None => crate::config::default_value(name) == "true",
        }
    }

    /// A cluster-wide numeric broker config: its dynamic value, else Kafka's default.
    pub fn broker_config_i64(&self, name: &str) -> i64 {
        self.broker_configs
            .get(name)
            .map_or(crate::config::default_value(name), String::as_str)
            .parse()
            .unwrap_or(0)
    }

    /// The partition count of an internal topic (`__consumer_offsets`,
    /// `__transaction_state`): the topic's once it exists, else the config it will be
    /// created with.
    pub fn internal_partitions(&self, topic: &str, config: &str) -> i32 {
        // Partitions sort by topic, then number: the topic's are one run from partition 0.
        let existing = self
            .partitions
            .range(TopicPartition::new(topic, 0)..)
            .take_while(|(tp, _)| *tp.topic == *topic)
            .count() as i32;
        if existing > 0 {
            existing
        } else {
            self.broker_config_i64(config) as i32
        }
    }

    pub fn is_active(&self, broker: NodeId) -> bool {
        self.brokers.get(&broker).is_some_and(|b| b.is_active())
    }
}

/// A [`MetadataImage`] kept in step with a growing log, instead of rebuilt from the whole log
/// at every look: with a thousand partitions the log holds thousands of records, and the
/// controller and the page look at the image on every heartbeat and every step.
///
/// The image is shared (`Arc`), so the timeline's snapshots and the views hold it without
/// copying; it is copied only when it changes while shared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageCache {
    applied: usize,
    truncations: u64,
    image: Arc<MetadataImage>,
}

impl ImageCache {
    /// Brings the image up to `entries` (a prefix of a Raft log) and returns it. `truncations`
    /// is the log's truncation count: when it changed, or when the log is shorter than what
    /// was applied, the image starts again from nothing.
    pub fn follow(
        &mut self,
        entries: Iter<'_, Entry<MetadataRecord>>,
        truncations: u64,
    ) -> Arc<MetadataImage> {
        if truncations != self.truncations || entries.len() < self.applied {
            *self = ImageCache {
                truncations,
                ..ImageCache::default()
            };
        }
        if entries.len() > self.applied {
            let image = Arc::make_mut(&mut self.image);
            for entry in entries.clone().skip(self.applied) {
                if let RaftRecord::Data(record) = &*entry.record {
                    image.apply(record);
                }
            }
            self.applied = entries.len();
        }
        Arc::clone(&self.image)
    }

    /// The image as of the last [`ImageCache::follow`].
    pub fn image(&self) -> &Arc<MetadataImage> {
        &self.image
    }
}

/// A topic id as Kafka prints one (`Uuid.toString`: 16 random bytes in unpadded base64url),
/// drawn from the run's PRNG so it is the same on every replay.
pub fn new_topic_id(rng: &mut crate::rng::SimRng) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bits = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    // 22 characters of 6 bits cover the 128 bits (the last character carries 2).
    (0..22)
        .map(|i| {
            let shift = 128i32 - 6 * (i + 1);
            let index = if shift >= 0 {
                (bits >> shift) & 0x3f
            } else {
                (bits << -shift) & 0x3f
            };
            ALPHABET[index as usize] as char
        })
        .collect()
}
