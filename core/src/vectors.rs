//! Cases in the format of Kafka's test vectors (`core/tests/vectors/*.json`), computed by the
//! sandbox's own implementation. The vector tests and the CLI (`kafka-sandbox placement`)
//! share this one path, so any case can be checked without writing Rust.

use crate::sorted::SortedMap;

use serde::{Deserialize, Serialize};

use crate::java::{JavaRandom, MockRandom};
use crate::placement::{assign_replicas_to_brokers, place, BrokerMetadata, RackList};

/// One replica-placement case, as in `replica-placement.json`. Expected fields, when present,
/// are ignored here: [`PlacementCase::compute`] says what the sandbox computes.
#[derive(Clone, Debug, Deserialize)]
pub struct PlacementCase {
    #[serde(default)]
    pub id: String,
    pub algorithm: String,
    #[serde(default)]
    pub rng: Option<String>,
    #[serde(default)]
    pub brokers: Option<Vec<BrokerMetadata>>,
    #[serde(default)]
    pub usable_brokers_in_iteration_order: Option<Vec<BrokerMetadata>>,
    #[serde(default)]
    pub num_partitions: Option<i32>,
    pub replication_factor: i32,
    #[serde(default)]
    pub fixed_start_index: Option<i32>,
    #[serde(default)]
    pub start_partition_id: Option<i32>,
    /// For `RackList.place` cases: how many successive placements to make (the length of
    /// `expected_successive_placements` in the vectors).
    #[serde(default)]
    pub expected_successive_placements: Option<Vec<Vec<i32>>>,
}

/// What the sandbox computed, in the shape of the vectors' expected fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlacementResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_assignment: Option<SortedMap<String, Vec<i32>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_successive_placements: Option<Vec<Vec<i32>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rack_alternated_broker_list: Option<Vec<i32>>,
}

fn required<T: Clone>(value: &Option<T>, field: &str) -> Result<T, String> {
    value
        .clone()
        .ok_or_else(|| format!("the case has no `{field}`"))
}

/// The vectors' `rng` field, e.g. `MockRandom(seed=17): next(bits){ ... }`.
fn mock_random(rng: &Option<String>) -> Result<MockRandom, String> {
    let rng = required(rng, "rng")?;
    let inner = rng
        .strip_prefix("MockRandom(")
        .and_then(|rest| rest.split(')').next())
        .ok_or_else(|| format!("unsupported rng {rng:?}: only MockRandom(seed=N) is known"))?;
    inner
        .trim_start_matches("seed=")
        .parse::<i64>()
        .map(MockRandom::new)
        .map_err(|e| format!("bad MockRandom seed in {rng:?}: {e}"))
}

fn keyed(assignment: impl IntoIterator<Item = (i32, Vec<i32>)>) -> SortedMap<String, Vec<i32>> {
    assignment
        .into_iter()
        .map(|(p, r)| (p.to_string(), r))
        .collect()
}

impl PlacementCase {
    pub fn compute(&self) -> Result<PlacementResult, String> {
        let algorithm = self.algorithm.as_str();
        let mut result = PlacementResult {
            expected_assignment: None,
            expected_successive_placements: None,
            rack_alternated_broker_list: None,
        };
        if algorithm.starts_with("AdminUtils.assignReplicasToBrokers") {
            let brokers = required(&self.brokers, "brokers")?;
            if brokers.iter().all(|b| b.rack.is_some()) && !brokers.is_empty() {
                let racks: SortedMap<i32, String> = brokers
                    .iter()
                    .map(|b| (b.id, b.rack.clone().unwrap_or_default()))
                    .collect();
                result.rack_alternated_broker_list =
                    Some(crate::placement::rack_alternated_broker_list(&racks));
            }
            // A random start index would draw from Kafka's unseeded Random, which no case can
            // pin down; the sandbox then uses a JavaRandom seeded with 0.
            let mut random = JavaRandom::new(0);
            let assignment = assign_replicas_to_brokers(
                &brokers,
                required(&self.num_partitions, "num_partitions")?,
                self.replication_factor,
                self.fixed_start_index.unwrap_or(-1),
                self.start_partition_id.unwrap_or(-1),
                &mut random,
            )
            .map_err(|e| e.to_string())?;
            result.expected_assignment = Some(keyed(assignment));
        } else if algorithm.starts_with("StripedReplicaPlacer.RackList.place") {
            let brokers = required(
                &self.usable_brokers_in_iteration_order,
                "usable_brokers_in_iteration_order",
            )?;
            let count = self
                .expected_successive_placements
                .as_ref()
                .map_or(1, |p| p.len());
            let mut rack_list =
                RackList::new(mock_random(&self.rng)?, &brokers).map_err(|e| e.to_string())?;
            let placements = (0..count)
                .map(|_| rack_list.place(self.replication_factor))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            result.expected_successive_placements = Some(placements);
        } else if algorithm.starts_with("StripedReplicaPlacer") {
            let brokers = required(
                &self.usable_brokers_in_iteration_order,
                "usable_brokers_in_iteration_order",
            )?;
            let mut rng = mock_random(&self.rng)?;
            let placements = place(
                &brokers,
                required(&self.num_partitions, "num_partitions")?,
                self.replication_factor,
                &mut rng,
            )
            .map_err(|e| e.to_string())?;
            result.expected_assignment = Some(keyed((0..).zip(placements)));
        } else {
            return Err(format!(
                "unknown algorithm {algorithm:?}: expected AdminUtils.assignReplicasToBrokers, \
                 StripedReplicaPlacer or StripedReplicaPlacer.RackList.place"
            ));
        }
        Ok(result)
    }
}
