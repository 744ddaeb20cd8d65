//! `StickyAssignor` and `CooperativeStickyAssignor` and the logic they share,
//! `AbstractStickyAssignor`
//! (`clients/src/main/java/org/apache/kafka/clients/consumer/{StickyAssignor,CooperativeStickyAssignor}.java`,
//! `clients/src/main/java/org/apache/kafka/clients/consumer/internals/AbstractStickyAssignor.java`).

use crate::sorted::{SortedMap, SortedSet};

use super::java_order::{
    cmp_topic_partition, compute_if_absent_order, topic_partition_hash, JavaHashSet, JavaString,
};
use super::{AssignError, Input, Sub, SubscriptionEncoding};
use crate::command::TopicPartition;
use crate::java::{compare_strings, string_hash_code};

/// `AbstractStickyAssignor.DEFAULT_GENERATION`.
const DEFAULT_GENERATION: i32 = -1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Eager,
    Cooperative,
}

pub(super) struct StickyOutcome {
    pub(super) assignment: Vec<Vec<TopicPartition>>,
    /// `partitionsTransferringOwnership` as the shared code leaves it (member indices);
    /// `None` where Kafka leaves it `null` (the general builder).
    pub(super) transferring: Option<SortedMap<TopicPartition, usize>>,
}

/// Per member index, its partitions.
type Lists = Vec<Vec<TopicPartition>>;
/// Partition -> the member index it moves to.
type Transfers = SortedMap<TopicPartition, usize>;

/// `MemberData`: what the assignor reads as the member's previous partitions and generation.
struct MemberData {
    partitions: Vec<TopicPartition>,
    generation: Option<i32>,
}

/// The generation in the subscription's own field (`Subscription.generationId()`), which
/// Kafka consults when two members claim one partition.
fn protocol_generation(sub: &Sub) -> Option<i32> {
    match sub.encoding {
        SubscriptionEncoding::Plain | SubscriptionEncoding::V1 => None,
        SubscriptionEncoding::V2 => sub.generation.filter(|g| *g >= 0),
    }
}

/// `StickyAssignor.memberData` reads the user data, and the user data went through
/// `groupPartitionsByTopic`, a HashMap filled with `computeIfAbsent`: the partitions come
/// back grouped by topic in that map's order. `CooperativeStickyAssignor.memberData` reads the subscription's own fields,
/// or the generation from its user data when the subscription has none.
fn member_data(kind: Kind, sub: &Sub) -> MemberData {
    match kind {
        Kind::Eager => match sub.encoding {
            SubscriptionEncoding::Plain => MemberData {
                partitions: Vec::new(),
                generation: None,
            },
            SubscriptionEncoding::V1 | SubscriptionEncoding::V2 => {
                let mut topics: Vec<&str> = Vec::new();
                for tp in sub.owned {
                    if !topics.contains(&&*tp.topic) {
                        topics.push(&tp.topic);
                    }
                }
                let order = compute_if_absent_order(
                    &topics
                        .iter()
                        .map(|t| string_hash_code(t))
                        .collect::<Vec<_>>(),
                );
                let partitions = order
                    .iter()
                    .flat_map(|&i| {
                        let topic = topics[i];
                        sub.owned.iter().filter(move |tp| *tp.topic == *topic)
                    })
                    .cloned()
                    .collect();
                MemberData {
                    partitions,
                    generation: sub.generation,
                }
            }
        },
        Kind::Cooperative => {
            let generation = match protocol_generation(sub) {
                Some(g) => Some(g),
                None => match sub.encoding {
                    SubscriptionEncoding::Plain => None,
                    // The user data always carries a generation, -1 before the first one.
                    SubscriptionEncoding::V1 | SubscriptionEncoding::V2 => {
                        Some(sub.generation.unwrap_or(DEFAULT_GENERATION))
                    }
                },
            };
            MemberData {
                partitions: sub.owned.to_vec(),
                generation,
            }
        }
    }
}

fn illegal_state(message: impl Into<String>) -> AssignError {
    AssignError::Kafka {
        exception: "IllegalStateException",
        message: message.into(),
    }
}

fn null_pointer(what: &str) -> AssignError {
    AssignError::Kafka {
        exception: "NullPointerException",
        message: format!("the sticky assignor found no {what}"),
    }
}

/// Rack information (`AbstractStickyAssignor.RackInfo`).
struct RackInfo<'a> {
    /// Consumer racks, only when rack-aware assignment is on.
    consumer_racks: SortedMap<usize, &'a str>,
    /// Replica racks per partition, only when rack-aware assignment is on.
    partition_racks: SortedMap<TopicPartition, SortedSet<&'a str>>,
    /// How many consumers share a rack with each partition; filled whenever some consumer
    /// has a rack (even when rack-aware assignment is off, as in Kafka).
    consumers_by_partition: SortedMap<TopicPartition, usize>,
}

impl<'a> RackInfo<'a> {
    fn new(input: &Input<'a>, topics: &[(&'a str, i32)]) -> RackInfo<'a> {
        let mut consumers_by_rack: SortedMap<&str, Vec<usize>> = SortedMap::new();
        for &m in &input.order {
            if let Some(rack) = input.members[m].rack.filter(|r| !r.is_empty()) {
                consumers_by_rack.entry(rack).or_default().push(m);
            }
        }
        let mut partition_racks = SortedMap::new();
        let mut all_partition_racks = SortedSet::new();
        if !consumers_by_rack.is_empty() {
            for &(topic, count) in topics {
                for p in 0..count {
                    let racks = input.replica_racks(topic, p);
                    all_partition_racks.extend(racks.iter().copied());
                    partition_racks.insert(TopicPartition::new(topic, p), racks);
                }
            }
        }
        let consumers_by_partition = partition_racks
            .iter()
            .map(|(tp, racks)| {
                let n = racks
                    .iter()
                    .map(|r| consumers_by_rack.get(r).map_or(0, Vec::len))
                    .sum();
                (tp.clone(), n)
            })
            .collect();
        let consumer_rack_names: SortedSet<&str> = consumers_by_rack.keys().copied().collect();
        if input.use_rack_aware_assignment(
            &consumer_rack_names,
            &all_partition_racks,
            partition_racks.values(),
        ) {
            let consumer_racks = consumers_by_rack
                .iter()
                .flat_map(|(rack, members)| members.iter().map(move |&m| (m, *rack)))
                .collect();
            RackInfo {
                consumer_racks,
                partition_racks,
                consumers_by_partition,
            }
        } else {
            RackInfo {
                consumer_racks: SortedMap::new(),
                partition_racks: SortedMap::new(),
                consumers_by_partition,
            }
        }
    }

    fn racks_mismatch(&self, consumer: usize, tp: &TopicPartition) -> bool {
        match self.consumer_racks.get(&consumer) {
            None => false,
            Some(rack) => self
                .partition_racks
                .get(tp)
                .is_none_or(|racks| !racks.contains(rack)),
        }
    }

    /// Partitions with the fewest same-rack consumers first (a stable sort).
    fn sort_by_rack_consumers(&self, partitions: &mut [TopicPartition]) {
        if !self.consumers_by_partition.is_empty() {
            crate::sort::sort_by_key(partitions, |tp| {
                self.consumers_by_partition.get(tp).copied().unwrap_or(0)
            });
        }
    }

    /// The first consumer in `consumers`, from `first` round the list, that shares a rack
    /// with the partition.
    fn next_rack_consumer(
        &self,
        tp: &TopicPartition,
        consumers: &[usize],
        first: usize,
    ) -> Option<usize> {
        let racks = self.partition_racks.get(tp).filter(|r| !r.is_empty())?;
        (0..consumers.len())
            .map(|i| (first + i) % consumers.len())
            .find(|&index| {
                self.consumer_racks
                    .get(&consumers[index])
                    .is_some_and(|rack| racks.contains(rack))
            })
    }
}

/// The outcome of `allSubscriptionsEqual`.
struct Ownership {
    all_equal: bool,
    /// Each member's still-valid previously owned partitions.
    owned: Vec<Vec<TopicPartition>>,
    partitions_with_multiple_previous_owners: SortedSet<TopicPartition>,
}

/// `allSubscriptionsEqual`: whether every member subscribes to the same topics, and which
/// previously owned partitions stand. Claims are settled in member (HashMap) order: the
/// higher generation wins, and two claims of one generation void the partition for both.
fn all_subscriptions_equal(
    input: &Input,
    data: &[MemberData],
    all_topics: &SortedSet<&str>,
    max_generation: &mut i32,
) -> Ownership {
    let members = &input.members;
    let mut all_equal = true;
    let mut subscribed: SortedSet<&str> = SortedSet::new();
    let mut owner_of: SortedMap<TopicPartition, usize> = SortedMap::new();
    let mut owned: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    let mut multiple = SortedSet::new();
    for &m in &input.order {
        let sub = &members[m];
        // A first member without topics leaves the set empty, so the next one starts it.
        if subscribed.is_empty() {
            subscribed.extend(sub.topics.iter().map(String::as_str));
        } else if all_equal
            && !(sub.topics.len() == subscribed.len()
                && sub.topics.iter().all(|t| subscribed.contains(t.as_str())))
        {
            all_equal = false;
        }
        let generation = data[m].generation.unwrap_or(DEFAULT_GENERATION);
        *max_generation = (*max_generation).max(generation);
        for tp in &data[m].partitions {
            if !all_topics.contains(&*tp.topic) {
                continue;
            }
            match owner_of.get(tp).copied() {
                None => {
                    owned[m].push(tp.clone());
                    owner_of.insert(tp.clone(), m);
                }
                Some(other) => {
                    let other_generation =
                        protocol_generation(&members[other]).unwrap_or(DEFAULT_GENERATION);
                    if generation == other_generation {
                        multiple.insert(tp.clone());
                        remove_first(&mut owned[other], tp);
                        owner_of.insert(tp.clone(), m);
                    } else if generation > other_generation {
                        owned[m].push(tp.clone());
                        remove_first(&mut owned[other], tp);
                        owner_of.insert(tp.clone(), m);
                    }
                }
            }
        }
    }
    Ownership {
        all_equal,
        owned,
        partitions_with_multiple_previous_owners: multiple,
    }
}

/// `List.remove(Object)`.
fn remove_first(list: &mut Vec<TopicPartition>, tp: &TopicPartition) {
    if let Some(i) = list.iter().position(|x| x == tp) {
        list.remove(i);
    }
}

/// `getUnassignedPartitions` of both builders: walks the sorted partitions and the sorted
/// assigned ones side by side, exactly as Kafka does (so an assigned partition that does
/// not exist has the same effect as there).
fn unassigned_partitions(
    all_sorted: &[TopicPartition],
    assigned_sorted: &[TopicPartition],
) -> Vec<TopicPartition> {
    let mut assigned = assigned_sorted.iter();
    let Some(mut next) = assigned.next() else {
        return all_sorted.to_vec();
    };
    let mut add_directly = false;
    let mut unassigned = Vec::new();
    for tp in all_sorted {
        if add_directly || next != tp {
            unassigned.push(tp.clone());
        } else if let Some(following) = assigned.next() {
            next = following;
        } else {
            add_directly = true;
        }
    }
    unassigned
}

pub(super) fn assign(
    input: &Input,
    kind: Kind,
    max_generation: &mut i32,
) -> Result<StickyOutcome, AssignError> {
    let members = &input.members;
    if members.is_empty() {
        return Ok(StickyOutcome {
            assignment: Vec::new(),
            transferring: Some(SortedMap::new()),
        });
    }
    // partitionsPerTopic: the subscribed topics that exist, in `String.compareTo` order
    // (every use of it in the sticky code either sorts it or does not care).
    let mut topics: Vec<(&str, i32)> = members
        .iter()
        .flat_map(|m| m.topics.iter().map(String::as_str))
        .filter(|t| input.partition_count(t) > 0)
        .map(|t| (t, input.partition_count(t)))
        .collect();
    crate::sort::sort_by(&mut topics, |a, b| compare_strings(a.0, b.0));
    topics.dedup();
    let all_topics: SortedSet<&str> = topics.iter().map(|t| t.0).collect();

    let data: Vec<MemberData> = members.iter().map(|m| member_data(kind, m)).collect();
    let ownership = all_subscriptions_equal(input, &data, &all_topics, max_generation);
    let rack_info = RackInfo::new(input, &topics);

    let (mut assignment, transferring) = if ownership.all_equal {
        let (assignment, transferring) = Constrained::run(input, &rack_info, &topics, ownership)?;
        (assignment, Some(transferring))
    } else {
        let assignment = General::run(
            input,
            &rack_info,
            &topics,
            ownership,
            &data,
            *max_generation,
        )?;
        (assignment, None)
    };

    if kind == Kind::Cooperative {
        // CooperativeStickyAssignor.assignPartitions: a partition moving to a new owner is
        // left out of this round; the follow-up rebalance hands it over once the old owner
        // has let it go.
        let moving = match &transferring {
            Some(map) => map.clone(),
            None => {
                let mut added: SortedMap<TopicPartition, usize> = SortedMap::new();
                let mut revoked: SortedSet<TopicPartition> = SortedSet::new();
                for (m, assigned) in assignment.iter().enumerate() {
                    let owned = members[m].owned;
                    for tp in assigned {
                        if !owned.contains(tp) {
                            added.insert(tp.clone(), m);
                        }
                    }
                    for tp in owned {
                        if !assigned.contains(tp) {
                            revoked.insert(tp.clone());
                        }
                    }
                }
                added.retain(|tp, _| revoked.contains(tp));
                added
            }
        };
        for (tp, m) in &moving {
            remove_first(&mut assignment[*m], tp);
        }
    }
    Ok(StickyOutcome {
        assignment,
        transferring,
    })
}

/// `ConstrainedAssignmentBuilder`: every member subscribes to the same topics.
struct Constrained<'r, 'a> {
    rack_info: &'r RackInfo<'a>,
    multiple: SortedSet<TopicPartition>,
    maybe_revoked: SortedMap<TopicPartition, usize>,
    under_min: Vec<usize>,
    exactly_min: Vec<usize>,
    min_quota: usize,
    max_quota: usize,
    expected_over_min: usize,
    current_over_min: usize,
    assignment: Vec<Vec<TopicPartition>>,
    transferring: SortedMap<TopicPartition, usize>,
}

impl<'r, 'a> Constrained<'r, 'a> {
    fn run(
        input: &Input,
        rack_info: &'r RackInfo<'a>,
        topics: &[(&str, i32)],
        ownership: Ownership,
    ) -> Result<(Lists, Transfers), AssignError> {
        let consumers = input.members.len();
        let total: usize = topics.iter().map(|t| t.1 as usize).sum();
        let mut builder = Constrained {
            rack_info,
            multiple: ownership.partitions_with_multiple_previous_owners,
            maybe_revoked: SortedMap::new(),
            under_min: Vec::new(),
            exactly_min: Vec::new(),
            min_quota: total / consumers,
            max_quota: total.div_ceil(consumers),
            expected_over_min: total % consumers,
            current_over_min: 0,
            assignment: vec![Vec::new(); consumers],
            transferring: SortedMap::new(),
        };
        let assigned = builder.assign_owned(&input.order, &ownership.owned);

        let all_sorted: Vec<TopicPartition> = topics
            .iter()
            .flat_map(|&(topic, count)| (0..count).map(move |p| TopicPartition::new(topic, p)))
            .collect();
        let mut assigned_sorted = assigned;
        crate::sort::sort_by(&mut assigned_sorted, cmp_topic_partition);
        let mut unassigned = unassigned_partitions(&all_sorted, &assigned_sorted);

        let members = &input.members;
        let by_id =
            |a: &usize, b: &usize| compare_strings(members[*a].member_id, members[*b].member_id);
        crate::sort::sort_by(&mut builder.under_min, by_id);
        crate::sort::sort_by(&mut builder.exactly_min, by_id);
        rack_info.sort_by_rack_consumers(&mut unassigned);

        builder.assign_rack_aware_round_robin(&mut unassigned);
        builder.assign_round_robin(&unassigned)?;
        builder.verify_unfilled_members(input)?;
        Ok((builder.assignment, builder.transferring))
    }

    /// `assignOwnedPartitions`: members keep their owned partitions (sorted by partition,
    /// then topic) up to their quota, in HashMap order, while over-min slots last.
    fn assign_owned(
        &mut self,
        order: &[usize],
        owned: &[Vec<TopicPartition>],
    ) -> Vec<TopicPartition> {
        let mut assigned = Vec::new();
        for &c in order {
            let mut kept: Vec<TopicPartition> = Vec::new();
            for tp in &owned[c] {
                if self.rack_info.racks_mismatch(c, tp) {
                    self.maybe_revoked.insert(tp.clone(), c);
                } else {
                    kept.push(tp.clone());
                }
            }
            crate::sort::sort_by(&mut kept, |a, b| {
                a.partition
                    .cmp(&b.partition)
                    .then_with(|| compare_strings(&a.topic, &b.topic))
            });
            for tp in &self.multiple {
                remove_first(&mut kept, tp);
            }
            if kept.len() < self.min_quota {
                self.assignment[c].extend(kept.iter().cloned());
                assigned.extend(kept);
                self.under_min.push(c);
            } else if kept.len() >= self.max_quota && self.current_over_min < self.expected_over_min
            {
                self.current_over_min += 1;
                if self.current_over_min == self.expected_over_min {
                    self.exactly_min.clear();
                }
                let rest = kept.split_off(self.max_quota);
                self.assignment[c].extend(kept.iter().cloned());
                assigned.extend(kept);
                for tp in rest {
                    self.maybe_revoked.insert(tp, c);
                }
            } else {
                let rest = kept.split_off(self.min_quota);
                self.assignment[c].extend(kept.iter().cloned());
                assigned.extend(kept);
                for tp in rest {
                    self.maybe_revoked.insert(tp, c);
                }
                if self.current_over_min < self.expected_over_min {
                    self.exactly_min.push(c);
                }
            }
        }
        assigned
    }

    /// `assignNewPartition`: returns the member's new partition count.
    fn assign_new_partition(&mut self, tp: &TopicPartition, consumer: usize) -> usize {
        self.assignment[consumer].push(tp.clone());
        let revoked_elsewhere = self
            .maybe_revoked
            .get(tp)
            .is_some_and(|&owner| owner != consumer);
        if revoked_elsewhere || self.multiple.contains(tp) {
            self.transferring.insert(tp.clone(), consumer);
        }
        self.assignment[consumer].len()
    }

    /// `assignRackAwareRoundRobin`: first give each partition to an unfilled member on one of
    /// its replicas' racks.
    fn assign_rack_aware_round_robin(&mut self, unassigned: &mut Vec<TopicPartition>) {
        if self.rack_info.consumer_racks.is_empty() {
            return;
        }
        let mut next_unfilled = 0usize;
        let mut i = 0;
        while i < unassigned.len() {
            let tp = unassigned[i].clone();
            let mut consumer = None;
            if let Some(mut index) =
                self.rack_info
                    .next_rack_consumer(&tp, &self.under_min, next_unfilled)
            {
                let c = self.under_min[index];
                consumer = Some(c);
                let count = self.assignment[c].len() + 1;
                if count >= self.min_quota {
                    if let Some(pos) = self.under_min.iter().position(|&x| x == c) {
                        self.under_min.remove(pos);
                    }
                    if count < self.max_quota && self.current_over_min < self.expected_over_min {
                        self.exactly_min.push(c);
                    }
                } else {
                    index += 1;
                }
                next_unfilled = if self.under_min.is_empty() {
                    0
                } else {
                    index % self.under_min.len()
                };
            } else if !self.exactly_min.is_empty() {
                if let Some(first) = self.rack_info.next_rack_consumer(&tp, &self.exactly_min, 0) {
                    let c = self.exactly_min[first];
                    consumer = Some(c);
                    if self.assignment[c].len() + 1 == self.max_quota {
                        self.exactly_min.remove(first);
                        self.current_over_min += 1;
                        if self.current_over_min == self.expected_over_min {
                            self.exactly_min.clear();
                        }
                    }
                }
            }
            match consumer {
                Some(c) => {
                    self.assign_new_partition(&tp, c);
                    unassigned.remove(i);
                }
                None => i += 1,
            }
        }
    }

    /// `assignRoundRobin`: deal the rest to the members under the minimum quota, in turn;
    /// once they are all at the minimum, one more each to the members at the minimum, from
    /// the head of that list, while over-min slots last.
    fn assign_round_robin(&mut self, unassigned: &[TopicPartition]) -> Result<(), AssignError> {
        // A LinkedList iterator over `under_min`: `cursor` is the next index, `last` the one
        // `next()` returned last (what `remove()` removes).
        let mut cursor = 0usize;
        let mut last: Option<usize> = None;
        for tp in unassigned {
            let consumer = if cursor < self.under_min.len() {
                last = Some(cursor);
                cursor += 1;
                self.under_min[cursor - 1]
            } else if self.under_min.is_empty() && self.exactly_min.is_empty() {
                return Err(illegal_state("No more unfilled consumers to be assigned."));
            } else if self.under_min.is_empty() {
                self.exactly_min.remove(0)
            } else {
                last = Some(0);
                cursor = 1;
                self.under_min[0]
            };
            let count = self.assign_new_partition(tp, consumer);
            if count == self.min_quota {
                let Some(index) = last.take() else {
                    return Err(illegal_state("Iterator.remove() without next()"));
                };
                self.under_min.remove(index);
                cursor = index;
                self.exactly_min.push(consumer);
            } else if count == self.max_quota {
                self.current_over_min += 1;
            }
        }
        Ok(())
    }

    fn verify_unfilled_members(&self, input: &Input) -> Result<(), AssignError> {
        if self.under_min.is_empty() {
            return Ok(());
        }
        if self.current_over_min != self.expected_over_min {
            return Err(illegal_state(
                "We haven't reached the expected number of members with more than the minQuota \
                 partitions, but no more partitions to be assigned",
            ));
        }
        for &c in &self.under_min {
            if self.assignment[c].len() != self.min_quota {
                return Err(illegal_state(format!(
                    "Consumer: [{}] doesn't reach minQuota partitions, and no more partitions to \
                     be assigned",
                    input.members[c].member_id
                )));
            }
        }
        Ok(())
    }
}

/// `PartitionMovements`: where partitions moved during the general builder's balancing, so
/// that a partition is not moved back and forth between two members.
#[derive(Default)]
struct PartitionMovements {
    by_topic: SortedMap<String, SortedMap<(usize, usize), JavaHashSet<TopicPartition>>>,
    /// partition -> (source member, destination member)
    movements: SortedMap<TopicPartition, (usize, usize)>,
}

impl PartitionMovements {
    fn remove_record(&mut self, tp: &TopicPartition) -> Option<(usize, usize)> {
        let pair = self.movements.remove(tp)?;
        if let Some(topic_moves) = self.by_topic.get_mut(&*tp.topic) {
            if let Some(set) = topic_moves.get_mut(&pair) {
                set.remove(tp);
                if set.is_empty() {
                    topic_moves.remove(&pair);
                }
            }
            if topic_moves.is_empty() {
                self.by_topic.remove(&*tp.topic);
            }
        }
        Some(pair)
    }

    fn add_record(&mut self, tp: &TopicPartition, pair: (usize, usize)) {
        self.movements.insert(tp.clone(), pair);
        self.by_topic
            .entry(tp.topic.to_string())
            .or_default()
            .entry(pair)
            .or_insert_with(JavaHashSet::new)
            .insert(tp.clone(), topic_partition_hash(tp));
    }

    fn move_partition(&mut self, tp: &TopicPartition, old: usize, new: usize) {
        if self.movements.contains_key(tp) {
            if let Some((source, _)) = self.remove_record(tp) {
                if source != new {
                    self.add_record(tp, (source, new));
                }
            }
        } else {
            self.add_record(tp, (old, new));
        }
    }

    /// `getTheActualPartitionToBeMoved`: if some partition of the topic earlier moved from
    /// the new owner to the old one, move that one back instead.
    fn actual_partition_to_move(
        &self,
        tp: &TopicPartition,
        old: usize,
        new: usize,
    ) -> TopicPartition {
        let Some(topic_moves) = self.by_topic.get(&*tp.topic) else {
            return tp.clone();
        };
        let old = self.movements.get(tp).map_or(old, |&(source, _)| source);
        topic_moves
            .get(&(new, old))
            .and_then(JavaHashSet::first)
            .cloned()
            .unwrap_or_else(|| tp.clone())
    }
}

/// `GeneralAssignmentBuilder`: members subscribe to different topics.
struct General<'r, 'i, 'a> {
    input: &'i Input<'a>,
    rack_info: &'r RackInfo<'a>,
    counts: SortedMap<&'a str, i32>,
    total: usize,
    /// `topic2AllPotentialConsumers` (member HashMap order, duplicates kept as in Kafka).
    potential_consumers: SortedMap<&'a str, Vec<usize>>,
    /// `consumer2AllPotentialTopics`.
    potential_topics: Vec<Vec<&'a str>>,
    /// `currentAssignment`; `None` while a member is set aside as fixed.
    current: Vec<Option<Vec<TopicPartition>>>,
    partition_consumer: SortedMap<TopicPartition, usize>,
    sorted_all_partitions: Vec<TopicPartition>,
    /// `sortedCurrentSubscriptions`: (partition count, member id, member index).
    sorted_members: SortedSet<(usize, JavaString, usize)>,
    revocation_required: bool,
    movements: PartitionMovements,
}

impl<'r, 'i, 'a> General<'r, 'i, 'a> {
    fn run(
        input: &'i Input<'a>,
        rack_info: &'r RackInfo<'a>,
        topics: &[(&'a str, i32)],
        ownership: Ownership,
        data: &[MemberData],
        max_generation: i32,
    ) -> Result<Vec<Vec<TopicPartition>>, AssignError> {
        let members = &input.members;
        let counts: SortedMap<&str, i32> = topics.iter().copied().collect();
        let mut potential_consumers: SortedMap<&str, Vec<usize>> =
            topics.iter().map(|t| (t.0, Vec::new())).collect();
        let mut potential_topics: Vec<Vec<&str>> = vec![Vec::new(); members.len()];
        for &m in &input.order {
            for topic in members[m].topics {
                if let Some(consumers) = potential_consumers.get_mut(topic.as_str()) {
                    potential_topics[m].push(topic);
                    consumers.push(m);
                }
            }
        }
        let mut partition_consumer = SortedMap::new();
        for &m in &input.order {
            for tp in &ownership.owned[m] {
                partition_consumer.insert(tp.clone(), m);
            }
        }
        let mut sorted_topics: Vec<&str> = topics.iter().map(|t| t.0).collect();
        crate::sort::sort_by(&mut sorted_topics, |a, b| {
            potential_consumers[a]
                .len()
                .cmp(&potential_consumers[b].len())
                .then_with(|| compare_strings(a, b))
        });
        let sorted_all_partitions = sorted_topics
            .iter()
            .flat_map(|&t| (0..counts[t]).map(move |p| TopicPartition::new(t, p)))
            .collect();
        let mut builder = General {
            input,
            rack_info,
            total: topics.iter().map(|t| t.1 as usize).sum(),
            counts,
            potential_consumers,
            potential_topics,
            current: ownership.owned.into_iter().map(Some).collect(),
            partition_consumer,
            sorted_all_partitions,
            sorted_members: SortedSet::new(),
            revocation_required: false,
            movements: PartitionMovements::default(),
        };

        // prepopulateCurrentAssignments: for each partition, the owner in the newest
        // generation below the current one (ties: the first member in HashMap order).
        let mut previous: SortedMap<TopicPartition, (usize, i32)> = SortedMap::new();
        for &m in &input.order {
            let generation = match data[m].generation {
                Some(g) if g < max_generation => g,
                None if max_generation > DEFAULT_GENERATION => DEFAULT_GENERATION,
                _ => continue,
            };
            for tp in &data[m].partitions {
                match previous.get(tp) {
                    Some(&(_, g)) if generation <= g => {}
                    _ => {
                        previous.insert(tp.clone(), (m, generation));
                    }
                }
            }
        }

        let assigned = builder.assign_owned();
        let unassigned = builder.unassigned(assigned);
        for m in 0..members.len() {
            let key = builder.key(m);
            builder.sorted_members.insert(key);
        }
        builder.balance(&previous, unassigned)?;
        Ok(builder
            .current
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    }

    fn key(&self, m: usize) -> (usize, JavaString, usize) {
        let size = self.current[m].as_ref().map_or(0, Vec::len);
        (
            size,
            JavaString(self.input.members[m].member_id.to_owned()),
            m,
        )
    }

    fn list(&self, m: usize) -> Result<&Vec<TopicPartition>, AssignError> {
        self.current[m]
            .as_ref()
            .ok_or_else(|| null_pointer("assignment for a member set aside as fixed"))
    }

    fn size(&self, m: usize) -> Result<usize, AssignError> {
        self.list(m).map(Vec::len)
    }

    /// `assignOwnedPartitions`: keep owned partitions of topics the member still subscribes
    /// to (and whose racks match); the others must be revoked.
    fn assign_owned(&mut self) -> Vec<TopicPartition> {
        let mut assigned = Vec::new();
        for &m in &self.input.order {
            let Some(list) = self.current[m].as_mut() else {
                continue;
            };
            let mut kept = Vec::new();
            for tp in list.drain(..) {
                if !self.potential_consumers.contains_key(&*tp.topic) {
                    self.partition_consumer.remove(&tp);
                } else if !self.input.members[m]
                    .topics
                    .iter()
                    .any(|t| **t == *tp.topic)
                    || self.rack_info.racks_mismatch(m, &tp)
                {
                    self.revocation_required = true;
                } else {
                    assigned.push(tp.clone());
                    kept.push(tp);
                }
            }
            *list = kept;
        }
        assigned
    }

    fn unassigned(&self, mut assigned: Vec<TopicPartition>) -> Vec<TopicPartition> {
        if assigned.is_empty() {
            return self.sorted_all_partitions.clone();
        }
        let consumers = |t: &str| self.potential_consumers.get(t).map_or(0, Vec::len);
        crate::sort::sort_by(&mut assigned, |a, b| {
            consumers(&a.topic)
                .cmp(&consumers(&b.topic))
                .then_with(|| compare_strings(&a.topic, &b.topic))
                .then(a.partition.cmp(&b.partition))
        });
        unassigned_partitions(&self.sorted_all_partitions, &assigned)
    }

    fn max_assignment_size(&self, topics: &[&str]) -> usize {
        if topics.len() == self.counts.len() {
            self.total
        } else {
            topics
                .iter()
                .map(|t| self.counts.get(t).copied().unwrap_or(0) as usize)
                .sum()
        }
    }

    fn is_subscribed(&self, m: usize, topic: &str) -> bool {
        self.potential_topics[m].contains(&topic)
    }

    /// `isBalanced`: no member could take a partition from one with two or more partitions
    /// more than it.
    fn is_balanced(&self) -> Result<bool, AssignError> {
        let (Some(first), Some(last)) = (self.sorted_members.first(), self.sorted_members.last())
        else {
            return Ok(true);
        };
        let min = self.size(first.2)?;
        let max = self.size(last.2)?;
        if min + 1 >= max {
            return Ok(true);
        }
        let mut owner: SortedMap<&TopicPartition, usize> = SortedMap::new();
        for &m in &self.input.order {
            if let Some(list) = &self.current[m] {
                for tp in list {
                    owner.insert(tp, m);
                }
            }
        }
        for (count, _, m) in &self.sorted_members {
            let (count, m) = (*count, *m);
            let topics = &self.potential_topics[m];
            if count == self.max_assignment_size(topics) {
                continue;
            }
            let mine: SortedSet<&TopicPartition> = self.list(m)?.iter().collect();
            for topic in topics {
                for p in 0..self.counts.get(topic).copied().unwrap_or(0) {
                    let tp = TopicPartition::new(*topic, p);
                    if mine.contains(&tp) {
                        continue;
                    }
                    let other = *owner
                        .get(&tp)
                        .ok_or_else(|| null_pointer("owner of a partition"))?;
                    if count + 1 < self.size(other)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    /// `getBalanceScore`: the sum of the partition-count differences over all member pairs.
    fn balance_score(assignment: &[Option<Vec<TopicPartition>>]) -> usize {
        let sizes: Vec<usize> = assignment.iter().flatten().map(Vec::len).collect();
        let mut score = 0;
        for (i, a) in sizes.iter().enumerate() {
            for b in &sizes[i + 1..] {
                score += a.abs_diff(*b);
            }
        }
        score
    }

    /// `maybeAssignPartition`: to the least loaded member that subscribes to the topic (and,
    /// when `match_racks`, shares a rack with it).
    fn maybe_assign_partition(&mut self, tp: &TopicPartition, match_racks: bool) -> bool {
        let chosen = self.sorted_members.iter().find(|(_, _, m)| {
            self.is_subscribed(*m, &tp.topic)
                && (!match_racks || !self.rack_info.racks_mismatch(*m, tp))
        });
        let Some(key) = chosen.cloned() else {
            return false;
        };
        let m = key.2;
        self.sorted_members.remove(&key);
        if let Some(list) = self.current[m].as_mut() {
            list.push(tp.clone());
        }
        self.partition_consumer.insert(tp.clone(), m);
        self.sorted_members.insert(self.key(m));
        true
    }

    fn maybe_assign(
        &mut self,
        partitions: &mut Vec<TopicPartition>,
        match_racks: bool,
        remove: bool,
    ) {
        let mut i = 0;
        while i < partitions.len() {
            let tp = partitions[i].clone();
            let has_consumers = self
                .potential_consumers
                .get(&*tp.topic)
                .is_some_and(|c| !c.is_empty());
            if has_consumers && self.maybe_assign_partition(&tp, match_racks) && remove {
                partitions.remove(i);
            } else {
                i += 1;
            }
        }
    }

    fn topic_can_move(&self, topic: &str) -> bool {
        self.potential_consumers.get(topic).map_or(0, Vec::len) >= 2
    }

    fn member_can_move(&self, m: usize) -> bool {
        let Some(list) = &self.current[m] else {
            return false;
        };
        if list.len() < self.max_assignment_size(&self.potential_topics[m]) {
            return true;
        }
        list.iter().any(|tp| self.topic_can_move(&tp.topic))
    }

    fn balance(
        &mut self,
        previous: &SortedMap<TopicPartition, (usize, i32)>,
        mut unassigned: Vec<TopicPartition>,
    ) -> Result<(), AssignError> {
        let initializing = match self.sorted_members.last() {
            Some(last) => self.size(last.2)? == 0,
            None => true,
        };
        // First with rack matching, then the rest without.
        let mut to_assign = unassigned.clone();
        if !self.rack_info.consumer_racks.is_empty() {
            self.maybe_assign(&mut to_assign, true, true);
        }
        self.maybe_assign(&mut to_assign, false, false);

        // Only partitions of topics with two or more subscribers, and only members that can
        // still change, take part in the reassignment.
        let fixed_partitions: SortedSet<TopicPartition> = self
            .counts
            .iter()
            .filter(|(t, _)| !self.topic_can_move(t))
            .flat_map(|(t, &count)| (0..count).map(move |p| TopicPartition::new(*t, p)))
            .collect();
        self.sorted_all_partitions
            .retain(|tp| !fixed_partitions.contains(tp));
        unassigned.retain(|tp| !fixed_partitions.contains(tp));
        let mut fixed_members = Vec::new();
        for m in 0..self.current.len() {
            if !self.member_can_move(m) {
                let key = self.key(m);
                self.sorted_members.remove(&key);
                fixed_members.push((m, self.current[m].take()));
            }
        }

        let before = self.current.clone();
        let before_consumers = self.partition_consumer.clone();
        if !self.revocation_required {
            self.perform_reassignments(&unassigned, previous)?;
        }
        let all = self.sorted_all_partitions.clone();
        let reassigned = self.perform_reassignments(&all, previous)?;
        // A reassignment that does not improve the balance score is undone.
        if !initializing
            && reassigned
            && Self::balance_score(&self.current) >= Self::balance_score(&before)
        {
            self.current = before;
            self.partition_consumer = before_consumers;
        }
        for (m, list) in fixed_members {
            self.current[m] = list;
            self.sorted_members.insert(self.key(m));
        }
        Ok(())
    }

    fn perform_reassignments(
        &mut self,
        partitions: &[TopicPartition],
        previous: &SortedMap<TopicPartition, (usize, i32)>,
    ) -> Result<bool, AssignError> {
        let mut reassigned = false;
        loop {
            let mut modified = false;
            for tp in partitions {
                if self.is_balanced()? {
                    break;
                }
                let consumer = *self
                    .partition_consumer
                    .get(tp)
                    .ok_or_else(|| null_pointer("consumer of a partition"))?;
                if let Some(&(previous_owner, _)) = previous.get(tp) {
                    if self.size(consumer)? > self.size(previous_owner)? + 1 {
                        self.reassign_to(tp, previous_owner)?;
                        reassigned = true;
                        modified = true;
                        continue;
                    }
                }
                // Prefer a member on one of the partition's racks.
                let consumers = self
                    .potential_consumers
                    .get(&*tp.topic)
                    .cloned()
                    .unwrap_or_default();
                let mut found_rack_consumer = false;
                let consumer_rack = self.rack_info.consumer_racks.get(&consumer);
                let partition_racks = self.rack_info.partition_racks.get(tp);
                if let (Some(rack), Some(racks)) = (consumer_rack, partition_racks) {
                    if !racks.is_empty() && racks.contains(rack) {
                        for &other in &consumers {
                            let other_matches = self
                                .rack_info
                                .consumer_racks
                                .get(&other)
                                .is_some_and(|r| racks.contains(r));
                            if !other_matches {
                                continue;
                            }
                            if self.size(consumer)? > self.size(other)? + 1 {
                                self.reassign(tp)?;
                                reassigned = true;
                                modified = true;
                                found_rack_consumer = true;
                                break;
                            }
                        }
                    }
                }
                if !found_rack_consumer {
                    for &other in &consumers {
                        if self.size(consumer)? > self.size(other)? + 1 {
                            self.reassign(tp)?;
                            reassigned = true;
                            modified = true;
                            break;
                        }
                    }
                }
            }
            if !modified {
                return Ok(reassigned);
            }
        }
    }

    /// `reassignPartition(partition)`: to the least loaded member that subscribes to it.
    fn reassign(&mut self, tp: &TopicPartition) -> Result<(), AssignError> {
        let new = self
            .sorted_members
            .iter()
            .find(|(_, _, m)| self.is_subscribed(*m, &tp.topic))
            .map(|k| k.2)
            .ok_or_else(|| null_pointer("member for a partition to move"))?;
        self.reassign_to(tp, new)
    }

    fn reassign_to(&mut self, tp: &TopicPartition, new: usize) -> Result<(), AssignError> {
        let consumer = *self
            .partition_consumer
            .get(tp)
            .ok_or_else(|| null_pointer("consumer of a partition"))?;
        let to_move = self.movements.actual_partition_to_move(tp, consumer, new);
        self.process_movement(&to_move, new)
    }

    fn process_movement(&mut self, tp: &TopicPartition, new: usize) -> Result<(), AssignError> {
        let old = *self
            .partition_consumer
            .get(tp)
            .ok_or_else(|| null_pointer("consumer of a partition"))?;
        let (old_key, new_key) = (self.key(old), self.key(new));
        self.sorted_members.remove(&old_key);
        self.sorted_members.remove(&new_key);
        self.movements.move_partition(tp, old, new);
        match self.current[old].as_mut() {
            Some(list) => remove_first(list, tp),
            None => return Err(null_pointer("assignment of a partition's owner")),
        }
        match self.current[new].as_mut() {
            Some(list) => list.push(tp.clone()),
            None => return Err(null_pointer("assignment of a partition's new owner")),
        }
        self.partition_consumer.insert(tp.clone(), new);
        self.sorted_members.insert(self.key(new));
        self.sorted_members.insert(self.key(old));
        Ok(())
    }
}
