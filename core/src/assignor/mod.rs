//! Consumer-group partition assignors: who consumes which partitions.
//!
//! # Client-side assignors (classic protocol)
//!
//! In a classic consumer group the group leader, a consumer, computes the assignment with
//! the assignor the group agreed on (`partition.assignment.strategy`). The four built-in
//! assignors are reproduced here with outputs identical to Kafka's, list order included,
//! and checked against every case of `core/tests/vectors/assignors.json` (re-run on Kafka
//! trunk). See [`assign`].
//!
//! * **range** (`clients/src/main/java/org/apache/kafka/clients/consumer/RangeAssignor.java`):
//!   topic by topic, the topic's subscribers (static members first by `group.instance.id`,
//!   then by member id) each take a contiguous block of partitions; the first
//!   `partitions % subscribers` take one more. With consumer racks and replica racks that do
//!   not cover every partition, it first hands out blocks of same-rack partitions (keeping
//!   co-partitioned topics together) within the same shares.
//! * **roundrobin** (`RoundRobinAssignor.java`): all partitions, sorted by topic and
//!   partition, dealt to the members in the same member order, skipping a member not
//!   subscribed to the partition's topic.
//! * **sticky** (`StickyAssignor.java`) and **cooperative-sticky**
//!   (`CooperativeStickyAssignor.java`), both on `internals/AbstractStickyAssignor.java`:
//!   balance first, then keep as many previously owned partitions as possible. Claims on a
//!   partition are settled by generation; when every member subscribes to the same topics a
//!   quota-based builder runs, otherwise a general one that assigns to the least loaded
//!   member and then moves partitions until no move improves the balance. Both are
//!   rack-aware. Cooperative-sticky then holds back every partition that changes owner: the
//!   old owner revokes it, and the follow-up rebalance gives it to the new one
//!   ([`assign_cooperative`]).
//!
//! Some results depend on Java's `HashMap` iteration order of the member ids (which member
//! keeps surplus partitions). [`MemberSubscription`]s are given in the order the leader put
//! them into its map (the JoinGroup response order); the iteration order is then derived with
//! [`crate::java::hash_map_iteration_order`], as is the topic order of range's lists.
//!
//! [`rebalance_protocol`] picks EAGER or COOPERATIVE for a list of assignors as
//! `ConsumerCoordinator` does.
//!
//! # Server-side assignors (KIP-848)
//!
//! With `group.protocol=consumer` the group coordinator assigns (see [`server_assign`]):
//!
//! * **uniform**
//!   (`group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/UniformAssignor.java`):
//!   when all members subscribe to the same topics
//!   (`UniformHomogeneousAssignmentBuilder.java`) each member keeps its current partitions up
//!   to its quota (total / members, the first `total % members` members in group order one
//!   more) and the rest fill the members below quota, in topic then partition order;
//!   otherwise (`UniformHeterogeneousAssignmentBuilder.java`) members keep what they still
//!   subscribe to, the free partitions go to the least loaded subscribers topic by topic
//!   (topics with the most partitions per subscriber first), and up to 16 passes move
//!   partitions from the most to the least loaded subscribers of each topic.
//! * **range** (`RangeAssignor.java`): contiguous blocks per topic over the members sorted by
//!   instance id (static first), then member id; it ignores the current assignment.
//!
//! # Limits, and Kafka's own quirks
//!
//! * Input Kafka never produces is rejected with an [`AssignError`] instead of an exception
//!   or a wrong answer: two members with one id, a negative partition count, more than
//!   [`MAX_PARTITIONS`] partitions. Where Kafka's code would throw on inconsistent input
//!   (`IllegalStateException`, a `NullPointerException` in the sticky general builder),
//!   [`AssignError::Kafka`] names the exception.
//! * With no members at all, Kafka's assignors throw (division by zero, an empty circular
//!   iterator); here the assignment is simply empty.
//! * Kafka's quirks on odd input are kept, not fixed: a member of an older generation that
//!   still lists partitions of a topic it dropped can get one of them back from the sticky
//!   general builder, or make it throw (`NullPointerException`, as [`AssignError::Kafka`]);
//!   a first member (in map order) with no topics makes the sticky assignors treat the group
//!   as one subscription.
//! * Java hash tables are modelled up to the point where a bucket of a table of 64 or more
//!   buckets turns into a tree (nine or more keys with equal low hash bits), which no group
//!   the sandbox builds reaches.
//! * Server side: the topic order of `HashSet<Uuid>` needs topic ids
//!   ([`TopicMetadata::topic_id`], Kafka's base64 form); a topic without one stands in with
//!   its name's hash and name order. A member's current assignment is read in the order
//!   given (Kafka reads its `Map<Uuid, Set<Integer>>` in hash order: pass topics in that
//!   order for an exact answer; partitions below 16 are ascending in Kafka's sets).
//!   Partitions of the current assignment that do not exist are dropped (Kafka never has
//!   any, partition counts only grow). The result lists every member, empty ones included.
//! * The sticky assignors keep the highest generation they have seen across calls (an
//!   instance field in Kafka). [`assign`] starts from a fresh assignor every time;
//!   [`assign_cooperative`] carries it over its rounds, as the leader's assignor does.

mod java_order;
mod range;
mod round_robin;
mod server;
mod sticky;
pub mod vectors;

use crate::sorted::{SortedMap, SortedSet};
use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::TopicPartition;
use crate::java::{compare_strings, hash_map_iteration_order, string_hash_code};

/// The most partitions (over all topics of the metadata) an assignment is computed for. Far
/// above what the sandbox runs; it keeps a typo from allocating gigabytes.
pub const MAX_PARTITIONS: i64 = 1_000_000;

/// A client-side (classic protocol) assignor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Assignor {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

/// `ConsumerPartitionAssignor.RebalanceProtocol`, ordered as Kafka orders it (by id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RebalanceProtocol {
    /// Members revoke everything before they rejoin.
    Eager,
    /// Members keep their partitions while they rejoin; moved partitions take two rounds.
    Cooperative,
}

impl Assignor {
    pub const ALL: [Assignor; 4] = [
        Assignor::Range,
        Assignor::RoundRobin,
        Assignor::Sticky,
        Assignor::CooperativeSticky,
    ];

    /// Kafka's short name (`ConsumerPartitionAssignor.name()`), the protocol name in
    /// JoinGroup.
    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::Sticky => "sticky",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// The class name `partition.assignment.strategy` takes.
    pub fn class_name(self) -> &'static str {
        match self {
            Assignor::Range => "org.apache.kafka.clients.consumer.RangeAssignor",
            Assignor::RoundRobin => "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            Assignor::Sticky => "org.apache.kafka.clients.consumer.StickyAssignor",
            Assignor::CooperativeSticky => {
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
            }
        }
    }

    /// A short name or a class name (the class name without its package is accepted too).
    pub fn from_name(name: &str) -> Result<Assignor, AssignError> {
        let name = name.trim();
        Assignor::ALL
            .into_iter()
            .find(|a| {
                name == a.name()
                    || name == a.class_name()
                    || a.class_name().rsplit('.').next() == Some(name)
            })
            .ok_or_else(|| AssignError::UnknownAssignor {
                name: name.to_owned(),
            })
    }

    /// `supportedProtocols()`, in Kafka's order.
    pub fn supported_protocols(self) -> &'static [RebalanceProtocol] {
        match self {
            Assignor::CooperativeSticky => {
                &[RebalanceProtocol::Cooperative, RebalanceProtocol::Eager]
            }
            _ => &[RebalanceProtocol::Eager],
        }
    }

    pub fn supports(self, protocol: RebalanceProtocol) -> bool {
        self.supported_protocols().contains(&protocol)
    }
}

impl fmt::Display for Assignor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for Assignor {
    type Error = AssignError;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Assignor::from_name(&name)
    }
}

impl From<Assignor> for String {
    fn from(assignor: Assignor) -> String {
        assignor.name().to_owned()
    }
}

/// The protocol a consumer with these assignors (`partition.assignment.strategy`) runs, as
/// `ConsumerCoordinator` picks it: the highest one every assignor supports. The default
/// `[range, cooperative-sticky]` gives EAGER. Kafka leaves it unset for an empty list (such
/// a consumer cannot join a group); that is EAGER here.
pub fn rebalance_protocol(strategies: &[Assignor]) -> RebalanceProtocol {
    if strategies.is_empty() {
        return RebalanceProtocol::Eager;
    }
    [RebalanceProtocol::Cooperative, RebalanceProtocol::Eager]
        .into_iter()
        .find(|&p| strategies.iter().all(|a| a.supports(p)))
        .unwrap_or(RebalanceProtocol::Eager)
}

/// What a classic-protocol member sends with each assignor it supports (`ConsumerProtocol`
/// subscription v3: topics, owned partitions, generation, rack; Kafka's
/// `ConsumerPartitionAssignor.Subscription`). The group coordinator stores it opaquely; the
/// leader's assignor reads it as a [`MemberSubscription`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub topics: Vec<String>,
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation the owned partitions are from (-1: none).
    pub generation: i32,
    pub rack: Option<String>,
}

/// One member's subscription as the group leader's assignor receives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSubscription {
    pub member_id: String,
    #[serde(default)]
    pub group_instance_id: Option<String>,
    /// `client.rack`.
    #[serde(default)]
    pub rack: Option<String>,
    pub topics: Vec<String>,
    /// The partitions the member reports as its own: the subscription's owned partitions for
    /// cooperative-sticky, the previous assignment in the user data for sticky (an eager
    /// member has revoked everything, but its sticky user data still lists them).
    #[serde(default)]
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation of those partitions, if the member has one.
    #[serde(default)]
    pub generation: Option<i32>,
}

/// What the assignors know about one topic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicMetadata {
    /// The partition count. A topic with none counts as missing, as in Kafka's metadata.
    pub partitions: i32,
    /// Per partition id, the racks of its replicas (replicas without a rack left out). A
    /// partition past the end of the list has no rack information.
    #[serde(default)]
    pub replica_racks: Vec<Vec<String>>,
    /// The topic id as Kafka prints it (base64url); only the server-side assignors use it.
    #[serde(default)]
    pub topic_id: Option<String>,
}

/// The topics the assignors see, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMetadata {
    pub topics: SortedMap<String, TopicMetadata>,
}

impl ClusterMetadata {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a topic without rack information.
    pub fn with_topic(mut self, name: impl Into<String>, partitions: i32) -> Self {
        self.topics.insert(
            name.into(),
            TopicMetadata {
                partitions,
                ..TopicMetadata::default()
            },
        );
        self
    }

    fn validate(&self) -> Result<(), AssignError> {
        let mut total: i64 = 0;
        for (topic, t) in &self.topics {
            if t.partitions < 0 {
                return Err(AssignError::NegativePartitionCount {
                    topic: topic.clone(),
                    partitions: t.partitions,
                });
            }
            if let Some(id) = &t.topic_id {
                if java_order::Uuid::parse(id).is_none() {
                    return Err(AssignError::InvalidTopicId {
                        topic: topic.clone(),
                        topic_id: id.clone(),
                    });
                }
            }
            total += i64::from(t.partitions);
        }
        if total > MAX_PARTITIONS {
            return Err(AssignError::TooManyPartitions { total });
        }
        Ok(())
    }
}

/// An assignment: each member's partitions, in the order Kafka's assignor lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    pub members: SortedMap<String, Vec<TopicPartition>>,
    /// The sticky assignors' `partitionsTransferringOwnership`: partitions moving to a new
    /// member (the value) while another still owns them. `None` for range and roundrobin,
    /// and for the sticky general builder (members with different subscriptions), which
    /// does not track it (Kafka's `null`).
    pub partitions_transferring_ownership: Option<SortedMap<TopicPartition, String>>,
}

/// The rounds a cooperative rebalance takes (see [`assign_cooperative`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CooperativeRounds {
    /// The first rebalance: partitions that change owner are in nobody's list yet.
    pub first_round: Assignment,
    /// How many follow-up rebalances ran (members rejoin while someone revoked something).
    pub followup_rebalances: u32,
    /// The assignment once no member revokes anything any more.
    pub final_round: Assignment,
}

/// Why an assignment could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignError {
    /// Not one of range, roundrobin, sticky, cooperative-sticky (or their class names).
    UnknownAssignor {
        name: String,
    },
    /// Not uniform or range (or their class names).
    UnknownServerAssignor {
        name: String,
    },
    /// Two members with one member id.
    DuplicateMember {
        member_id: String,
    },
    NegativePartitionCount {
        topic: String,
        partitions: i32,
    },
    /// A topic id that is not 16 bytes of base64url.
    InvalidTopicId {
        topic: String,
        topic_id: String,
    },
    /// More than [`MAX_PARTITIONS`] partitions in the metadata.
    TooManyPartitions {
        total: i64,
    },
    /// Kafka's assignor would throw this exception on this input.
    Kafka {
        exception: &'static str,
        message: String,
    },
    /// The cooperative follow-up rebalances did not settle.
    NotSettling {
        rebalances: u32,
    },
}

impl fmt::Display for AssignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignError::UnknownAssignor { name } => write!(
                f,
                "unknown assignor {name:?}: expected range, roundrobin, sticky or \
                 cooperative-sticky (or a class name such as \
                 org.apache.kafka.clients.consumer.RangeAssignor)"
            ),
            AssignError::UnknownServerAssignor { name } => write!(
                f,
                "unknown server assignor {name:?}: expected uniform or range"
            ),
            AssignError::DuplicateMember { member_id } => {
                write!(f, "member {member_id:?} is listed more than once")
            }
            AssignError::NegativePartitionCount { topic, partitions } => {
                write!(
                    f,
                    "topic {topic:?} has a negative partition count ({partitions})"
                )
            }
            AssignError::InvalidTopicId { topic, topic_id } => write!(
                f,
                "topic {topic:?} has topic id {topic_id:?}, which is not a base64url UUID"
            ),
            AssignError::TooManyPartitions { total } => write!(
                f,
                "the metadata holds {total} partitions; the assignors take at most {MAX_PARTITIONS}"
            ),
            AssignError::Kafka { exception, message } => {
                write!(f, "Kafka's assignor throws {exception} here: {message}")
            }
            AssignError::NotSettling { rebalances } => write!(
                f,
                "the cooperative rebalance still revokes partitions after {rebalances} follow-up \
                 rebalances"
            ),
        }
    }
}

impl std::error::Error for AssignError {}

/// How a member's subscription reached the assignor, which decides where the sticky
/// assignors find its owned partitions and generation. Real Kafka 4 clients send
/// [`SubscriptionEncoding::V2`]; the others appear in Kafka's tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionEncoding {
    /// `Subscription(topics, userData = null, owned, generation = -1, rack)`: no user data
    /// (sticky then sees no previous assignment) and no generation.
    Plain,
    /// Generation only in the user data (cooperative-sticky), or the sticky user data with
    /// no generation in the subscription's own field.
    V1,
    /// Owned partitions and generation in the subscription's fields (and, for sticky, in its
    /// user data too).
    #[default]
    V2,
}

/// A member as the classic assignors read it.
pub(crate) struct Sub<'a> {
    member_id: &'a str,
    instance_id: Option<&'a str>,
    rack: Option<&'a str>,
    topics: &'a [String],
    owned: &'a [TopicPartition],
    generation: Option<i32>,
    encoding: SubscriptionEncoding,
}

/// `AbstractPartitionAssignor.MemberInfo.compareTo`: static members first, by instance id,
/// then the others by member id.
fn member_order_cmp(a: &Sub, b: &Sub) -> Ordering {
    match (a.instance_id, b.instance_id) {
        (Some(x), Some(y)) => compare_strings(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => compare_strings(a.member_id, b.member_id),
    }
}

/// Everything a classic assignor reads.
pub(crate) struct Input<'a> {
    metadata: &'a ClusterMetadata,
    members: Vec<Sub<'a>>,
    /// The leader's `HashMap<memberId, Subscription>` iteration order, as member indices.
    order: Vec<usize>,
    /// `AbstractPartitionAssignor.preferRackAwareLogic`, a switch Kafka's tests use.
    prefer_rack_aware: bool,
}

impl<'a> Input<'a> {
    fn partition_count(&self, topic: &str) -> i32 {
        self.metadata
            .topics
            .get(topic)
            .map_or(0, |t| t.partitions.max(0))
    }

    fn replica_racks(&self, topic: &str, partition: i32) -> SortedSet<&'a str> {
        let metadata: &'a ClusterMetadata = self.metadata;
        metadata
            .topics
            .get(topic)
            .and_then(|t| t.replica_racks.get(usize::try_from(partition).ok()?))
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }

    /// `AbstractPartitionAssignor.useRackAwareAssignment`: some consumer shares a rack with
    /// some replica, and not every partition has replicas on every rack.
    fn use_rack_aware_assignment<'s>(
        &self,
        consumer_racks: &SortedSet<&str>,
        partition_racks: &SortedSet<&str>,
        racks_per_partition: impl IntoIterator<Item = &'s SortedSet<&'s str>>,
    ) -> bool {
        if consumer_racks.is_disjoint(partition_racks) {
            false
        } else if self.prefer_rack_aware {
            true
        } else {
            !racks_per_partition
                .into_iter()
                .all(|racks| racks == partition_racks)
        }
    }
}

/// Options Kafka keeps in the assignor instance or sets only in its tests.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    pub(crate) prefer_rack_aware: bool,
    /// `AbstractStickyAssignor.maxGeneration`.
    pub(crate) max_generation: i32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prefer_rack_aware: false,
            max_generation: -1,
        }
    }
}

/// Computes the assignment `assignor` gives these members, listed in the order the leader
/// received them. Topics missing from the metadata (or without partitions) are ignored, as
/// in Kafka.
pub fn assign(
    assignor: Assignor,
    metadata: &ClusterMetadata,
    members: &[MemberSubscription],
) -> Result<Assignment, AssignError> {
    assign_encoded(assignor, metadata, members, &[], &mut Options::default())
}

/// [`assign`] with each member's [`SubscriptionEncoding`] (missing ones are V2).
pub(crate) fn assign_encoded(
    assignor: Assignor,
    metadata: &ClusterMetadata,
    members: &[MemberSubscription],
    encodings: &[SubscriptionEncoding],
    options: &mut Options,
) -> Result<Assignment, AssignError> {
    metadata.validate()?;
    let mut seen = SortedSet::new();
    for m in members {
        if !seen.insert(m.member_id.as_str()) {
            return Err(AssignError::DuplicateMember {
                member_id: m.member_id.clone(),
            });
        }
    }
    let subs: Vec<Sub> = members
        .iter()
        .enumerate()
        .map(|(i, m)| Sub {
            member_id: &m.member_id,
            instance_id: m.group_instance_id.as_deref(),
            rack: m.rack.as_deref(),
            topics: &m.topics,
            owned: &m.owned_partitions,
            generation: m.generation,
            encoding: encodings.get(i).copied().unwrap_or_default(),
        })
        .collect();
    let order = hash_map_iteration_order(
        &members
            .iter()
            .map(|m| string_hash_code(&m.member_id))
            .collect::<Vec<_>>(),
    );
    let input = Input {
        metadata,
        members: subs,
        order,
        prefer_rack_aware: options.prefer_rack_aware,
    };
    let (lists, transferring) = match assignor {
        Assignor::Range => (range::assign(&input), None),
        Assignor::RoundRobin => (round_robin::assign(&input), None),
        Assignor::Sticky | Assignor::CooperativeSticky => {
            let kind = if assignor == Assignor::Sticky {
                sticky::Kind::Eager
            } else {
                sticky::Kind::Cooperative
            };
            let outcome = sticky::assign(&input, kind, &mut options.max_generation)?;
            (outcome.assignment, outcome.transferring)
        }
    };
    let id = |m: usize| members[m].member_id.clone();
    Ok(Assignment {
        members: members
            .iter()
            .enumerate()
            .map(|(m, member)| {
                (
                    member.member_id.clone(),
                    lists.get(m).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        partitions_transferring_ownership: transferring
            .map(|t| t.into_iter().map(|(tp, m)| (tp, id(m))).collect()),
    })
}

/// Follow-up rebalances beyond this many are reported as [`AssignError::NotSettling`]
/// (Kafka's test of the same loop allows 4).
const MAX_FOLLOWUP_REBALANCES: u32 = 8;

/// A rebalance under the COOPERATIVE protocol, to the end: the first assignment, then, while
/// some member lost a partition it owned, another rebalance in which every member reports
/// the previous round's assignment as owned, at generation `followup_generation` (the
/// group's generation after the first round; it grows by one each further round). This is
/// what a real group does, and what Kafka's `CooperativeStickyAssignorTest` checks.
pub fn assign_cooperative(
    assignor: Assignor,
    metadata: &ClusterMetadata,
    members: &[MemberSubscription],
    followup_generation: i32,
) -> Result<CooperativeRounds, AssignError> {
    assign_cooperative_encoded(
        assignor,
        metadata,
        members,
        &[],
        followup_generation,
        Options::default(),
    )
}

pub(crate) fn assign_cooperative_encoded(
    assignor: Assignor,
    metadata: &ClusterMetadata,
    members: &[MemberSubscription],
    encodings: &[SubscriptionEncoding],
    followup_generation: i32,
    mut options: Options,
) -> Result<CooperativeRounds, AssignError> {
    let first_round = assign_encoded(assignor, metadata, members, encodings, &mut options)?;
    let mut current = first_round.clone();
    let mut subscriptions = members.to_vec();
    let mut rounds = 0u32;
    loop {
        let revoking = subscriptions.iter().any(|m| {
            let assigned = current.members.get(&m.member_id);
            m.owned_partitions
                .iter()
                .any(|tp| !assigned.is_some_and(|a| a.contains(tp)))
        });
        if !revoking {
            break;
        }
        if rounds == MAX_FOLLOWUP_REBALANCES {
            return Err(AssignError::NotSettling { rebalances: rounds });
        }
        let generation = followup_generation.saturating_add(rounds as i32);
        for m in &mut subscriptions {
            m.owned_partitions = current
                .members
                .get(&m.member_id)
                .cloned()
                .unwrap_or_default();
            m.generation = Some(generation);
        }
        current = assign_encoded(assignor, metadata, &subscriptions, &[], &mut options)?;
        rounds += 1;
    }
    Ok(CooperativeRounds {
        first_round,
        followup_rebalances: rounds,
        final_round: current,
    })
}

/// A server-side (KIP-848) assignor, `group.consumer.assignors`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ServerAssignor {
    Uniform,
    Range,
}

impl ServerAssignor {
    pub fn name(self) -> &'static str {
        match self {
            ServerAssignor::Uniform => "uniform",
            ServerAssignor::Range => "range",
        }
    }

    pub fn class_name(self) -> &'static str {
        match self {
            ServerAssignor::Uniform => {
                "org.apache.kafka.coordinator.group.assignor.UniformAssignor"
            }
            ServerAssignor::Range => "org.apache.kafka.coordinator.group.assignor.RangeAssignor",
        }
    }

    pub fn from_name(name: &str) -> Result<ServerAssignor, AssignError> {
        let name = name.trim();
        [ServerAssignor::Uniform, ServerAssignor::Range]
            .into_iter()
            .find(|a| {
                name == a.name()
                    || name == a.class_name()
                    || a.class_name().rsplit('.').next() == Some(name)
            })
            .ok_or_else(|| AssignError::UnknownServerAssignor {
                name: name.to_owned(),
            })
    }
}

impl fmt::Display for ServerAssignor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for ServerAssignor {
    type Error = AssignError;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        ServerAssignor::from_name(&name)
    }
}

impl From<ServerAssignor> for String {
    fn from(assignor: ServerAssignor) -> String {
        assignor.name().to_owned()
    }
}

/// A member as the coordinator's assignor sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMember {
    pub member_id: String,
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Subscribed topic names; those missing from the metadata are ignored.
    pub topics: Vec<String>,
    /// The member's current target assignment.
    #[serde(default)]
    pub assignment: Vec<TopicPartition>,
}

/// Computes the target assignment of a KIP-848 group. `members` come in the group's member
/// order (`GroupSpec.memberIds()`, a `HashMap` key set in Kafka), which decides who gets the
/// extra partitions of a uniform assignment. Every member is in the result, partitions
/// sorted by topic and partition.
pub fn server_assign(
    kind: ServerAssignor,
    metadata: &ClusterMetadata,
    members: &[ServerMember],
) -> Result<SortedMap<String, Vec<TopicPartition>>, AssignError> {
    metadata.validate()?;
    let mut seen = SortedSet::new();
    for m in members {
        if !seen.insert(m.member_id.as_str()) {
            return Err(AssignError::DuplicateMember {
                member_id: m.member_id.clone(),
            });
        }
    }
    server::assign(kind, metadata, members)
}

#[cfg(test)]
mod tests;
