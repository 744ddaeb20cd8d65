//! `RangeAssignor` (`clients/src/main/java/org/apache/kafka/clients/consumer/RangeAssignor.java`),
//! with the rack-aware pass of KIP-881.

use crate::sorted::{SortedMap, SortedSet};

use super::java_order::cmp_topic_partition;
use super::{member_order_cmp, Input};
use crate::command::TopicPartition;
use crate::java::{hash_map_iteration_order, string_hash_code};

/// Per-topic state (`RangeAssignor.TopicAssignmentState`).
struct TopicState<'a> {
    topic: &'a str,
    /// Subscribers in `MemberInfo` order, with their rack (if any), as member indices.
    consumers: Vec<(usize, Option<&'a str>)>,
    needs_rack_aware: bool,
    /// Replica racks per partition; empty when none of the topic's consumers has a rack
    /// (Kafka then keeps an empty map, which also makes the co-partitioning pass skip it).
    partition_racks: SortedMap<i32, SortedSet<&'a str>>,
    /// Partitions not yet assigned, ascending.
    unassigned: Vec<i32>,
    assigned_by_consumer: SortedMap<usize, i32>,
    per_consumer: i32,
    remaining_with_extra: i32,
}

impl TopicState<'_> {
    fn racks_match(&self, consumer: usize, partition: i32) -> bool {
        let rack = self
            .consumers
            .iter()
            .find(|(c, _)| *c == consumer)
            .and_then(|(_, rack)| *rack);
        match rack {
            None => true,
            Some(rack) => self
                .partition_racks
                .get(&partition)
                .is_some_and(|racks| racks.contains(rack)),
        }
    }

    fn max_assignable(&self, consumer: usize) -> i32 {
        let assigned = self
            .assigned_by_consumer
            .get(&consumer)
            .copied()
            .unwrap_or(0);
        let extra = i32::from(self.remaining_with_extra > 0);
        (self.per_consumer + extra - assigned).max(0)
    }

    fn on_assigned(&mut self, consumer: usize, partitions: &[i32]) {
        let count = self.assigned_by_consumer.entry(consumer).or_insert(0);
        *count += partitions.len() as i32;
        if *count > self.per_consumer {
            self.remaining_with_extra -= 1;
        }
        self.unassigned.retain(|p| !partitions.contains(p));
    }
}

fn assign_to(
    state: &mut TopicState,
    consumer: usize,
    partitions: &[i32],
    assignment: &mut [Vec<TopicPartition>],
) {
    assignment[consumer].extend(
        partitions
            .iter()
            .map(|&p| TopicPartition::new(state.topic, p)),
    );
    state.on_assigned(consumer, partitions);
}

/// `assignRanges`: each consumer in order takes the first partitions it may have, up to its
/// share.
fn assign_ranges(
    state: &mut TopicState,
    rack_matching: bool,
    assignment: &mut [Vec<TopicPartition>],
) {
    let consumers: Vec<usize> = state.consumers.iter().map(|(c, _)| *c).collect();
    for consumer in consumers {
        if state.unassigned.is_empty() {
            break;
        }
        let limit = state.max_assignable(consumer) as usize;
        let assignable: Vec<i32> = state
            .unassigned
            .iter()
            .copied()
            .filter(|&p| !rack_matching || state.racks_match(consumer, p))
            .take(limit)
            .collect();
        if assignable.is_empty() {
            continue;
        }
        assign_to(state, consumer, &assignable, assignment);
    }
}

/// `assignCoPartitionedWithRackMatching`: partition `p` of every topic in the group goes to
/// the first consumer whose rack matches all of them and that still has room in each.
fn assign_co_partitioned(
    states: &mut [&mut TopicState],
    num_partitions: usize,
    assignment: &mut [Vec<TopicPartition>],
) {
    let Some(first) = states.first() else {
        return;
    };
    let mut remaining: Vec<usize> = first.consumers.iter().map(|(c, _)| *c).collect();
    for p in 0..num_partitions as i32 {
        let matching = remaining.iter().copied().find(|&c| {
            states
                .iter()
                .all(|t| t.racks_match(c, p) && t.max_assignable(c) > 0)
        });
        if let Some(consumer) = matching {
            for state in states.iter_mut() {
                assign_to(state, consumer, &[p], assignment);
            }
            if states.iter().all(|t| t.max_assignable(consumer) == 0) {
                remaining.retain(|&c| c != consumer);
                if remaining.is_empty() {
                    break;
                }
            }
        }
    }
}

pub(super) fn assign(input: &Input) -> Vec<Vec<TopicPartition>> {
    let members = &input.members;
    // AbstractPartitionAssignor.assign: the subscribed topics (a HashSet filled in member
    // order), then `partitionsPerTopic`, a HashMap filled from that set. Its order is the
    // order of each member's list, so it is modelled exactly.
    let mut subscribed: Vec<&str> = Vec::new();
    for &m in &input.order {
        for topic in members[m].topics {
            if !subscribed.contains(&topic.as_str()) {
                subscribed.push(topic);
            }
        }
    }
    let set_order = hash_map_iteration_order(
        &subscribed
            .iter()
            .map(|t| string_hash_code(t))
            .collect::<Vec<_>>(),
    );
    let present: Vec<&str> = set_order
        .iter()
        .map(|&i| subscribed[i])
        .filter(|t| input.partition_count(t) > 0)
        .collect();
    let map_order = hash_map_iteration_order(
        &present
            .iter()
            .map(|t| string_hash_code(t))
            .collect::<Vec<_>>(),
    );
    let topics: Vec<&str> = map_order.iter().map(|&i| present[i]).collect();

    let consumer_rack = |m: usize| members[m].rack.filter(|r| !r.is_empty());

    let mut states: Vec<TopicState> = topics
        .iter()
        .map(|&topic| {
            // Subscribers in HashMap order, then sorted (stably) by MemberInfo.
            let mut subscribers: Vec<usize> = input
                .order
                .iter()
                .copied()
                .filter(|&m| members[m].topics.iter().any(|t| t == topic))
                .collect();
            crate::sort::sort_by(&mut subscribers, |&a, &b| {
                member_order_cmp(&members[a], &members[b])
            });
            let consumers: Vec<(usize, Option<&str>)> =
                subscribers.iter().map(|&m| (m, consumer_rack(m))).collect();
            let count = input.partition_count(topic);
            let consumer_racks: SortedSet<&str> =
                consumers.iter().filter_map(|(_, rack)| *rack).collect();
            let mut partition_racks = SortedMap::new();
            let mut all_partition_racks = SortedSet::new();
            if !consumer_racks.is_empty() {
                for p in 0..count {
                    let racks = input.replica_racks(topic, p);
                    all_partition_racks.extend(racks.iter().copied());
                    partition_racks.insert(p, racks);
                }
            }
            let needs_rack_aware = input.use_rack_aware_assignment(
                &consumer_racks,
                &all_partition_racks,
                partition_racks.values(),
            );
            let n = consumers.len() as i32;
            TopicState {
                topic,
                consumers,
                needs_rack_aware,
                partition_racks,
                unassigned: (0..count).collect(),
                assigned_by_consumer: SortedMap::new(),
                per_consumer: if n == 0 { 0 } else { count / n },
                remaining_with_extra: if n == 0 { 0 } else { count % n },
            }
        })
        .collect();

    let mut assignment: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    let use_rack_aware = states.iter().any(|t| t.needs_rack_aware);
    if use_rack_aware {
        // Topics are grouped by their consumers (same members, same racks, same order) and
        // then by partition count. Groups touch disjoint topics, so the order in which Kafka's
        // HashMaps hand them out changes nothing.
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, state) in states.iter().enumerate() {
            let key = (&state.consumers, state.partition_racks.len());
            match groups.iter_mut().find(|g| {
                let other = &states[g[0]];
                (&other.consumers, other.partition_racks.len()) == key
            }) {
                Some(group) => group.push(i),
                None => groups.push(vec![i]),
            }
        }
        for group in groups {
            if group.len() > 1 {
                let num_partitions = states[group[0]].partition_racks.len();
                let mut members_of_group: Vec<&mut TopicState> = states
                    .iter_mut()
                    .enumerate()
                    .filter(|(i, _)| group.contains(i))
                    .map(|(_, s)| s)
                    .collect();
                assign_co_partitioned(&mut members_of_group, num_partitions, &mut assignment);
            } else {
                let state = &mut states[group[0]];
                if state.needs_rack_aware {
                    assign_ranges(state, true, &mut assignment);
                }
            }
        }
    }
    for state in &mut states {
        assign_ranges(state, false, &mut assignment);
    }
    if use_rack_aware {
        for list in &mut assignment {
            crate::sort::sort_by(list, cmp_topic_partition);
        }
    }
    assignment
}
