//! The KIP-848 server-side assignors
//! (`group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/{UniformAssignor,UniformHomogeneousAssignmentBuilder,UniformHeterogeneousAssignmentBuilder,RangeAssignor}.java`).

use crate::sorted::{SortedMap, SortedSet};
use std::cmp::Ordering;

use super::java_order::{cmp_topic_partition, hash_order_from, presized_capacity, Uuid};
use super::{AssignError, ClusterMetadata, ServerAssignor, ServerMember};
use crate::command::TopicPartition;
use crate::java::{compare_strings, string_hash_code};

/// A topic as the coordinator knows it: by id.
struct Topic<'a> {
    name: &'a str,
    id: Option<Uuid>,
    partitions: i32,
}

impl Topic<'_> {
    /// `Uuid.hashCode()`, or the name's hash when the topic has no id.
    fn hash_code(&self) -> i32 {
        self.id
            .map_or_else(|| string_hash_code(self.name), Uuid::hash_code)
    }

    /// `Uuid.compareTo`, or the names' order when a topic has no id.
    fn java_cmp(&self, other: &Topic) -> Ordering {
        match (self.id, other.id) {
            (Some(a), Some(b)) => a.java_cmp(b),
            _ => compare_strings(self.name, other.name),
        }
    }
}

/// A member as `GroupSpec` shows it, topics as indices into the topic list.
struct Member {
    /// `subscribedTopicIds()`, in the iteration order of the member's topic-name HashSet.
    topics: Vec<usize>,
    /// The current target assignment: topics in the order given, partitions in the order
    /// given, without duplicates or partitions that do not exist.
    assignment: Vec<(usize, Vec<i32>)>,
}

fn partition_assignor_exception(message: &str) -> AssignError {
    AssignError::Kafka {
        exception: "PartitionAssignorException",
        message: message.to_owned(),
    }
}

/// The member's topics as `new HashSet<>(subscribedTopicNames)` iterates them, resolved to
/// the topics that exist (`TopicIds` skips the others).
fn resolve_subscription(names: &[String], index: &SortedMap<&str, usize>) -> Vec<usize> {
    let mut distinct: Vec<&str> = Vec::new();
    for name in names {
        if !distinct.contains(&name.as_str()) {
            distinct.push(name);
        }
    }
    let hashes: Vec<i32> = distinct.iter().map(|n| string_hash_code(n)).collect();
    hash_order_from(&hashes, presized_capacity(names.len()))
        .into_iter()
        .filter_map(|i| index.get(distinct[i]).copied())
        .collect()
}

pub(super) fn assign(
    kind: ServerAssignor,
    metadata: &ClusterMetadata,
    members: &[ServerMember],
) -> Result<SortedMap<String, Vec<TopicPartition>>, AssignError> {
    let topics: Vec<Topic> = metadata
        .topics
        .iter()
        .map(|(name, t)| Topic {
            name,
            id: t.topic_id.as_deref().and_then(Uuid::parse),
            partitions: t.partitions.max(0),
        })
        .collect();
    let index: SortedMap<&str, usize> = topics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name, i))
        .collect();
    let specs: Vec<Member> = members
        .iter()
        .map(|m| {
            let mut assignment: Vec<(usize, Vec<i32>)> = Vec::new();
            for tp in &m.assignment {
                let Some(&t) = index.get(&*tp.topic) else {
                    continue;
                };
                if tp.partition < 0 || tp.partition >= topics[t].partitions {
                    continue;
                }
                match assignment.iter_mut().find(|(topic, _)| *topic == t) {
                    Some((_, partitions)) => {
                        if !partitions.contains(&tp.partition) {
                            partitions.push(tp.partition);
                        }
                    }
                    None => assignment.push((t, vec![tp.partition])),
                }
            }
            Member {
                topics: resolve_subscription(&m.topics, &index),
                assignment,
            }
        })
        .collect();

    // ConsumerGroup.subscriptionType: homogeneous when every subscribed topic name (existing
    // or not) has every member as a subscriber.
    let mut subscribers: SortedMap<&str, usize> = SortedMap::new();
    for m in members {
        let distinct: SortedSet<&str> = m.topics.iter().map(String::as_str).collect();
        for name in distinct {
            *subscribers.entry(name).or_default() += 1;
        }
    }
    let homogeneous = subscribers.values().all(|&n| n == members.len());

    let targets: Vec<SortedMap<usize, SortedSet<i32>>> = if members.is_empty() {
        Vec::new()
    } else {
        match (kind, homogeneous) {
            (ServerAssignor::Uniform, true) => uniform_homogeneous(&topics, &specs)?,
            (ServerAssignor::Uniform, false) => Heterogeneous::run(&topics, &specs)?,
            (ServerAssignor::Range, _) => range(&topics, &specs, members, homogeneous),
        }
    };
    let mut result = SortedMap::new();
    for (i, m) in members.iter().enumerate() {
        let mut partitions: Vec<TopicPartition> = targets
            .get(i)
            .into_iter()
            .flatten()
            .flat_map(|(&t, ps)| {
                let name = topics[t].name;
                ps.iter().map(move |&p| TopicPartition::new(name, p))
            })
            .collect();
        crate::sort::sort_by(&mut partitions, cmp_topic_partition);
        result.insert(m.member_id.clone(), partitions);
    }
    Ok(result)
}

fn current_targets(specs: &[Member]) -> Vec<SortedMap<usize, SortedSet<i32>>> {
    specs
        .iter()
        .map(|m| {
            m.assignment
                .iter()
                .map(|(t, ps)| (*t, ps.iter().copied().collect()))
                .collect()
        })
        .collect()
}

/// `UniformHomogeneousAssignmentBuilder`.
fn uniform_homogeneous(
    topics: &[Topic],
    specs: &[Member],
) -> Result<Vec<SortedMap<usize, SortedSet<i32>>>, AssignError> {
    let mut targets = current_targets(specs);
    // `new HashSet<>(firstMember.subscribedTopicIds())`.
    let first = &specs[0].topics;
    let hashes: Vec<i32> = first.iter().map(|&t| topics[t].hash_code()).collect();
    let subscribed: Vec<usize> = hash_order_from(&hashes, presized_capacity(first.len()))
        .into_iter()
        .map(|i| first[i])
        .collect();
    if subscribed.is_empty() {
        return Ok(vec![SortedMap::new(); specs.len()]);
    }
    let assigned: SortedSet<(usize, i32)> = specs
        .iter()
        .flat_map(|m| {
            m.assignment
                .iter()
                .flat_map(|(t, ps)| ps.iter().map(move |&p| (*t, p)))
        })
        .collect();
    let mut unassigned: Vec<(usize, i32)> = Vec::new();
    let mut total: usize = 0;
    for &t in &subscribed {
        for p in 0..topics[t].partitions {
            if !assigned.contains(&(t, p)) {
                unassigned.push((t, p));
            }
        }
        total += topics[t].partitions as usize;
    }
    let min_quota = total / specs.len();
    let mut extra = total % specs.len();

    // Members keep what they have up to their quota (the first `extra` members in group order
    // get one more); the rest goes back to the pool.
    let mut unfilled: Vec<(usize, usize)> = Vec::new();
    for (i, member) in specs.iter().enumerate() {
        let mut quota = min_quota;
        if extra > 0 {
            quota += 1;
            extra -= 1;
        }
        for (t, partitions) in &member.assignment {
            if subscribed.contains(t) {
                if partitions.len() <= quota {
                    quota -= partitions.len();
                } else {
                    for &p in partitions {
                        if quota > 0 {
                            quota -= 1;
                        } else {
                            if let Some(set) = targets[i].get_mut(t) {
                                set.remove(&p);
                                if set.is_empty() {
                                    targets[i].remove(t);
                                }
                            }
                            unassigned.push((*t, p));
                        }
                    }
                }
            } else {
                targets[i].remove(t);
            }
        }
        if quota > 0 {
            unfilled.push((i, quota));
        }
    }

    let mut next = unassigned.iter();
    for (i, quota) in unfilled {
        for &(t, p) in next.by_ref().take(quota) {
            targets[i].entry(t).or_default().insert(p);
        }
    }
    if next.next().is_some() {
        return Err(partition_assignor_exception(
            "Partitions were left unassigned",
        ));
    }
    Ok(targets)
}

/// A topic's state in the server-side range assignor (`RangeAssignor.TopicMetadata`).
struct RangeTopic {
    subscribers: usize,
    next_range: i32,
    /// (minimum quota, extra partitions left), computed on first use.
    quota: Option<(i32, i32)>,
}

impl RangeTopic {
    fn new(subscribers: usize) -> Self {
        RangeTopic {
            subscribers,
            next_range: 0,
            quota: None,
        }
    }

    /// `addPartitionsToAssignment`: the next member's range `[start, end)`.
    fn next_range(&mut self, partitions: i32) -> (i32, i32) {
        let subscribers = self.subscribers.max(1) as i32;
        let (min_quota, extra) = self
            .quota
            .get_or_insert((partitions / subscribers, partitions % subscribers));
        let mut share = *min_quota;
        if *extra > 0 {
            share += 1;
            *extra -= 1;
        }
        let start = self.next_range;
        let end = start.saturating_add(share).min(partitions);
        self.next_range = end;
        (start, end)
    }
}

/// `RangeAssignor` (server side): per topic, contiguous ranges over the members sorted by
/// instance id (static members first), then member id.
fn range(
    topics: &[Topic],
    specs: &[Member],
    members: &[ServerMember],
    homogeneous: bool,
) -> Vec<SortedMap<usize, SortedSet<i32>>> {
    let mut sorted: Vec<usize> = (0..members.len()).collect();
    crate::sort::sort_by(&mut sorted, |&a, &b| {
        match (&members[a].instance_id, &members[b].instance_id) {
            (Some(x), Some(y)) => compare_strings(x, y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => compare_strings(&members[a].member_id, &members[b].member_id),
        }
    });
    let mut state: SortedMap<usize, RangeTopic> = SortedMap::new();
    if homogeneous {
        for &t in &specs[sorted[0]].topics {
            state.insert(t, RangeTopic::new(members.len()));
        }
    } else {
        for &m in &sorted {
            for &t in &specs[m].topics {
                state
                    .entry(t)
                    .or_insert_with(|| RangeTopic::new(0))
                    .subscribers += 1;
            }
        }
    }
    let mut targets = vec![SortedMap::new(); members.len()];
    for &m in &sorted {
        let member_topics: Vec<usize> = if homogeneous {
            state.keys().copied().collect()
        } else {
            specs[m].topics.clone()
        };
        for t in member_topics {
            if let Some(topic) = state.get_mut(&t) {
                let (start, end) = topic.next_range(topics[t].partitions);
                if start < end {
                    targets[m].insert(t, (start..end).collect::<SortedSet<i32>>());
                }
            }
        }
    }
    targets
}

/// `UniformHeterogeneousAssignmentBuilder`.
struct Heterogeneous<'t, 'a> {
    topics: &'t [Topic<'a>],
    /// Subscribers per topic, ascending member index.
    subscribers: SortedMap<usize, Vec<usize>>,
    /// Partition owners per subscribed topic (`-1`: unassigned).
    owners: SortedMap<usize, Vec<i64>>,
    sizes: Vec<i64>,
    targets: Vec<SortedMap<usize, SortedSet<i32>>>,
}

/// The heterogeneous builder gives up balancing after this many passes over the topics.
const MAX_ITERATION_COUNT: usize = 16;

impl<'t, 'a> Heterogeneous<'t, 'a> {
    fn run(
        topics: &'t [Topic<'a>],
        specs: &[Member],
    ) -> Result<Vec<SortedMap<usize, SortedSet<i32>>>, AssignError> {
        let mut subscribers: SortedMap<usize, Vec<usize>> = SortedMap::new();
        for (m, spec) in specs.iter().enumerate() {
            for &t in &spec.topics {
                subscribers.entry(t).or_default().push(m);
            }
        }
        if subscribers.is_empty() {
            return Ok(vec![SortedMap::new(); specs.len()]);
        }
        let owners = subscribers
            .keys()
            .map(|&t| (t, vec![-1i64; topics[t].partitions as usize]))
            .collect();
        let mut builder = Heterogeneous {
            topics,
            subscribers,
            owners,
            sizes: vec![0; specs.len()],
            targets: vec![SortedMap::new(); specs.len()],
        };
        // Members drop the topics they no longer subscribe to and keep everything else.
        for (m, spec) in specs.iter().enumerate() {
            for (t, partitions) in &spec.assignment {
                if spec.topics.contains(t) {
                    builder.sizes[m] += partitions.len() as i64;
                    if let Some(owners) = builder.owners.get_mut(t) {
                        for &p in partitions {
                            owners[p as usize] = m as i64;
                        }
                    }
                    builder.targets[m].insert(*t, partitions.iter().copied().collect());
                }
            }
        }
        let unassigned: SortedMap<usize, Vec<i32>> = builder
            .owners
            .iter()
            .map(|(&t, owners)| {
                let free = (0..owners.len() as i32)
                    .filter(|&p| owners[p as usize] == -1)
                    .collect::<Vec<i32>>();
                (t, free)
            })
            .filter(|(_, free)| !free.is_empty())
            .collect();
        builder.assign_remaining(&unassigned)?;
        let movable: Vec<usize> = builder
            .subscribers
            .iter()
            .filter(|(_, s)| s.len() >= 2)
            .map(|(&t, _)| t)
            .collect();
        if !movable.is_empty() {
            builder.balance_topics(movable)?;
        }
        Ok(builder.targets)
    }

    /// Topics by partitions per subscriber (descending), subscriber count (ascending), then
    /// topic id.
    fn sort_topics(&self, mut list: Vec<usize>) -> Vec<usize> {
        crate::sort::sort_by(&mut list, |&a, &b| {
            let (pa, sa) = (self.topics[a].partitions, self.subscribers[&a].len());
            let (pb, sb) = (self.topics[b].partitions, self.subscribers[&b].len());
            let (ra, rb) = (f64::from(pa) / sa as f64, f64::from(pb) / sb as f64);
            rb.total_cmp(&ra)
                .then(sa.cmp(&sb))
                .then_with(|| self.topics[a].java_cmp(&self.topics[b]))
        });
        list
    }

    fn assign_partition(&mut self, t: usize, p: i32, member: usize) {
        let Some(owners) = self.owners.get_mut(&t) else {
            return;
        };
        let old = owners[p as usize];
        if old >= 0 {
            let old = old as usize;
            if let Some(set) = self.targets[old].get_mut(&t) {
                set.remove(&p);
                if set.is_empty() {
                    self.targets[old].remove(&t);
                }
            }
            self.sizes[old] -= 1;
        }
        owners[p as usize] = member as i64;
        self.targets[member].entry(t).or_default().insert(p);
        self.sizes[member] += 1;
    }

    fn assign_remaining(
        &mut self,
        unassigned: &SortedMap<usize, Vec<i32>>,
    ) -> Result<(), AssignError> {
        let order = self.sort_topics(unassigned.keys().copied().collect());
        let mut balancer = Balancer::default();
        for t in order {
            let subscribers = self.subscribers[&t].clone();
            balancer.initialize(&subscribers, &self.sizes)?;
            for &p in &unassigned[&t] {
                let member = balancer.next_least_loaded(&self.sizes)?;
                self.assign_partition(t, p, member);
            }
        }
        Ok(())
    }

    /// Loop over the topics until a whole lap moves nothing, at most 16 laps.
    fn balance_topics(&mut self, topics: Vec<usize>) -> Result<(), AssignError> {
        let order = self.sort_topics(topics);
        let mut last_rebalanced: Option<usize> = None;
        let mut balancer = Balancer::default();
        for _ in 0..MAX_ITERATION_COUNT {
            for (i, &t) in order.iter().enumerate() {
                if last_rebalanced == Some(i) {
                    return Ok(());
                }
                let moved = self.balance_topic(t, &mut balancer)?;
                if moved > 0 || last_rebalanced.is_none() {
                    last_rebalanced = Some(i);
                }
            }
        }
        Ok(())
    }

    /// Move partitions of one topic from its most loaded subscribers to its least loaded
    /// ones until their counts differ by one at most. A member gives up its highest
    /// partitions first.
    fn balance_topic(&mut self, t: usize, balancer: &mut Balancer) -> Result<usize, AssignError> {
        let subscribers = self.subscribers[&t].clone();
        if balancer.initialize(&subscribers, &self.sizes)? <= 1 {
            return Ok(0);
        }
        let owners = self.owners[&t].clone();
        let mut partitions: Vec<i32> = (0..owners.len() as i32).collect();
        crate::sort::sort_by_key(&mut partitions, |&p| (owners[p as usize], p));
        let mut start: SortedMap<i64, usize> = SortedMap::new();
        let mut end: SortedMap<i64, usize> = SortedMap::new();
        for (i, &p) in partitions.iter().enumerate() {
            let owner = owners[p as usize];
            start.entry(owner).or_insert(i);
            end.insert(owner, i + 1);
        }
        let mut moved = 0;
        while !balancer.is_balanced() {
            let mut most_loaded = None;
            while let Some(m) = balancer.next_most_loaded(&self.sizes) {
                let key = m as i64;
                let has_partitions = match (start.get(&key), end.get(&key)) {
                    (Some(&s), Some(&e)) => e > s,
                    _ => false,
                };
                if has_partitions {
                    most_loaded = Some(m);
                    break;
                }
                balancer.exclude_most_loaded();
            }
            let Some(m) = most_loaded else {
                break;
            };
            let key = m as i64;
            let Some(e) = end.get_mut(&key) else {
                break;
            };
            *e -= 1;
            let partition = partitions[*e];
            let least = balancer.next_least_loaded(&self.sizes)?;
            if balancer.is_balanced() {
                break;
            }
            self.assign_partition(t, partition, least);
            moved += 1;
        }
        Ok(moved)
    }
}

/// `MemberAssignmentBalancer`: two ranges over the subscribers sorted by partition count,
/// the least loaded growing rightwards and the most loaded growing leftwards.
#[derive(Default)]
struct Balancer {
    sorted: Vec<usize>,
    least_end: usize,
    least_count: i64,
    next_least: usize,
    most_start: usize,
    most_end: usize,
    most_count: i64,
    next_most: i64,
}

impl Balancer {
    fn initialize(&mut self, members: &[usize], sizes: &[i64]) -> Result<i64, AssignError> {
        if members.is_empty() {
            return Err(AssignError::Kafka {
                exception: "IllegalArgumentException",
                message: "Cannot balance an empty subscriber list.".to_owned(),
            });
        }
        self.sorted = members.to_vec();
        crate::sort::sort_by_key(&mut self.sorted, |&m| (sizes[m], m));
        let n = self.sorted.len();
        let (lowest, highest) = (sizes[self.sorted[0]], sizes[self.sorted[n - 1]]);
        self.least_end = 0;
        self.least_count = lowest - 1;
        self.next_least = 0;
        self.most_start = n;
        self.most_end = n;
        self.most_count = highest + 1;
        self.next_most = n as i64 - 1;
        Ok(highest - lowest)
    }

    fn next_least_loaded(&mut self, sizes: &[i64]) -> Result<usize, AssignError> {
        if self.next_least >= self.least_end {
            self.least_count += 1;
            while self.least_end < self.sorted.len()
                && sizes[self.sorted[self.least_end]] == self.least_count
            {
                self.least_end += 1;
            }
            self.next_least = 0;
        }
        let member =
            self.sorted
                .get(self.next_least)
                .copied()
                .ok_or_else(|| AssignError::Kafka {
                    exception: "IndexOutOfBoundsException",
                    message: "the uniform assignor's balancer ran past its members".to_owned(),
                })?;
        self.next_least += 1;
        Ok(member)
    }

    fn next_most_loaded(&mut self, sizes: &[i64]) -> Option<usize> {
        if self.next_most < self.most_start as i64 {
            if self.most_end <= self.most_start && self.most_start > 0 {
                self.most_count = sizes[self.sorted[self.most_start - 1]];
            } else {
                self.most_count -= 1;
            }
            while self.most_start > 0 && sizes[self.sorted[self.most_start - 1]] == self.most_count
            {
                self.most_start -= 1;
            }
            self.next_most = self.most_end as i64 - 1;
        }
        if self.next_most < 0 {
            return None;
        }
        let member = self.sorted[self.next_most as usize];
        self.next_most -= 1;
        Some(member)
    }

    /// Swap the member `next_most_loaded` returned last out of the most loaded range.
    fn exclude_most_loaded(&mut self) {
        let at = (self.next_most + 1) as usize;
        if at < self.sorted.len() && self.most_end > 0 {
            self.sorted.swap(at, self.most_end - 1);
            self.most_end -= 1;
        }
    }

    fn is_balanced(&self) -> bool {
        self.most_count - self.least_count <= 1
    }
}
