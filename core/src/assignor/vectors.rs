//! Cases in the format of `core/tests/vectors/assignors.json`, computed by the sandbox's own
//! assignors. The vector test and the CLI (`kafka-sandbox assignors`) share this one path,
//! so any case can be checked without writing Rust.

use crate::sorted::SortedMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{
    assign_cooperative_encoded, assign_encoded, Assignment, Assignor, ClusterMetadata,
    MemberSubscription, Options, SubscriptionEncoding, TopicMetadata,
};
use crate::command::TopicPartition;

/// A partition written as the vectors write it, `<topic>-<partition>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct PartitionName(pub TopicPartition);

impl TryFrom<String> for PartitionName {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.rsplit_once('-')
            .and_then(|(topic, partition)| {
                let partition = partition.parse::<i32>().ok()?;
                (!topic.is_empty()).then(|| TopicPartition::new(topic, partition))
            })
            .map(PartitionName)
            .ok_or_else(|| format!("{text:?} is not a partition name like \"orders-0\""))
    }
}

fn names(partitions: &[TopicPartition]) -> Vec<String> {
    partitions.iter().map(ToString::to_string).collect()
}

/// One member of a case.
#[derive(Clone, Debug, Deserialize)]
pub struct CaseMember {
    pub member_id: String,
    #[serde(default)]
    pub group_instance_id: Option<String>,
    #[serde(default)]
    pub rack: Option<String>,
    pub topics: Vec<String>,
    #[serde(default)]
    pub owned_partitions: Vec<PartitionName>,
    #[serde(default)]
    pub generation: Option<i32>,
    #[serde(default)]
    pub subscription_encoding: SubscriptionEncoding,
}

/// One assignor case, as in `assignors.json`. Expected fields are ignored here:
/// [`AssignorCase::compute`] says what the sandbox computes.
#[derive(Clone, Debug, Deserialize)]
pub struct AssignorCase {
    #[serde(default)]
    pub id: String,
    pub assignor: Assignor,
    /// Topic name -> partition count.
    pub topics: SortedMap<String, i32>,
    /// `<topic>-<partition>` -> the racks of its replicas (`null` for a replica without one).
    #[serde(default)]
    pub partition_replica_racks: SortedMap<PartitionName, Vec<Option<String>>>,
    #[serde(default)]
    pub prefer_rack_aware_logic_test_flag: Option<bool>,
    pub members: Vec<CaseMember>,
    /// Present when the case states its expectation by `group.instance.id`; the result then
    /// does too.
    #[serde(default)]
    pub expected_assignment_by_group_instance_id: Option<IgnoredAny>,
}

/// A file of cases, as `assignors.json` (other keys are ignored).
#[derive(Clone, Debug, Deserialize)]
pub struct AssignorCaseFile {
    pub cases: Vec<AssignorCase>,
}

/// What the sandbox computed, under the key names of the vectors' expected fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AssignorResult {
    pub id: String,
    /// Member id -> partitions, in the assignor's order (for cooperative-sticky: the first
    /// round).
    pub expected_assignment: SortedMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_assignment_by_group_instance_id: Option<SortedMap<String, Vec<String>>>,
    /// Sticky assignors only; `null` when the general builder ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions_transferring_ownership: Option<Option<SortedMap<String, String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooperative_first_round_assignment: Option<SortedMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooperative_followup_rebalances: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooperative_final_assignment: Option<SortedMap<String, Vec<String>>>,
}

/// The generation members report in the follow-up rebalance of the vectors (Kafka's test
/// uses a fixed generation 1).
const FOLLOWUP_GENERATION: i32 = 1;

fn listed(assignment: &Assignment) -> SortedMap<String, Vec<String>> {
    assignment
        .members
        .iter()
        .map(|(member, partitions)| (member.clone(), names(partitions)))
        .collect()
}

impl AssignorCase {
    /// The topics of the case as assignor metadata.
    pub fn metadata(&self) -> Result<ClusterMetadata, String> {
        let mut metadata = ClusterMetadata::default();
        for (topic, &partitions) in &self.topics {
            metadata = metadata.with_topic(topic.clone(), partitions);
        }
        metadata.validate().map_err(|e| e.to_string())?;
        for (PartitionName(tp), racks) in &self.partition_replica_racks {
            let topic = metadata
                .topics
                .get_mut(&*tp.topic)
                .filter(|t| (0..t.partitions).contains(&tp.partition))
                .ok_or_else(|| {
                    format!(
                        "partition_replica_racks names {tp}, which is not a partition of `topics`"
                    )
                })?;
            let TopicMetadata { replica_racks, .. } = topic;
            let index = tp.partition as usize;
            if replica_racks.len() <= index {
                replica_racks.resize(index + 1, Vec::new());
            }
            replica_racks[index] = racks.iter().flatten().cloned().collect();
        }
        Ok(metadata)
    }

    pub fn subscriptions(&self) -> Vec<MemberSubscription> {
        self.members
            .iter()
            .map(|m| MemberSubscription {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                rack: m.rack.clone(),
                topics: m.topics.clone(),
                owned_partitions: m.owned_partitions.iter().map(|p| p.0.clone()).collect(),
                generation: m.generation,
            })
            .collect()
    }

    pub fn compute(&self) -> Result<AssignorResult, String> {
        let metadata = self.metadata()?;
        let members = self.subscriptions();
        let encodings: Vec<SubscriptionEncoding> = self
            .members
            .iter()
            .map(|m| m.subscription_encoding)
            .collect();
        let options = Options {
            prefer_rack_aware: self.prefer_rack_aware_logic_test_flag.unwrap_or(false),
            ..Options::default()
        };
        let (first, rounds) = if self.assignor == Assignor::CooperativeSticky {
            let rounds = assign_cooperative_encoded(
                self.assignor,
                &metadata,
                &members,
                &encodings,
                FOLLOWUP_GENERATION,
                options,
            )
            .map_err(|e| e.to_string())?;
            (rounds.first_round.clone(), Some(rounds))
        } else {
            let mut options = options;
            let first =
                assign_encoded(self.assignor, &metadata, &members, &encodings, &mut options)
                    .map_err(|e| e.to_string())?;
            (first, None)
        };
        let by_instance = self.expected_assignment_by_group_instance_id.map(|_| {
            self.members
                .iter()
                .filter_map(|m| {
                    let instance = m.group_instance_id.clone()?;
                    let partitions = first.members.get(&m.member_id)?;
                    Some((instance, names(partitions)))
                })
                .collect()
        });
        let sticky = matches!(
            self.assignor,
            Assignor::Sticky | Assignor::CooperativeSticky
        );
        Ok(AssignorResult {
            id: self.id.clone(),
            expected_assignment: listed(&first),
            expected_assignment_by_group_instance_id: by_instance,
            partitions_transferring_ownership: sticky.then(|| {
                first.partitions_transferring_ownership.as_ref().map(|t| {
                    t.iter()
                        .map(|(tp, member)| (tp.to_string(), member.clone()))
                        .collect()
                })
            }),
            cooperative_first_round_assignment: rounds.as_ref().map(|r| listed(&r.first_round)),
            cooperative_followup_rebalances: rounds.as_ref().map(|r| r.followup_rebalances),
            cooperative_final_assignment: rounds.as_ref().map(|r| listed(&r.final_round)),
        })
    }
}
