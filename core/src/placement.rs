//! Replica placement: which brokers get the replicas of a new partition, and in which
//! order (the first replica is the preferred leader).
//!
//! Kafka has two placement algorithms, and both are reproduced here bit-for-bit, random
//! draws included, given the same `java.util.Random` sequence (see [`crate::java`]).
//!
//! # `AdminUtils.assignReplicasToBrokers` (classic)
//!
//! Source: `server-common/src/main/java/org/apache/kafka/admin/AdminUtils.java`. This is
//! the ZooKeeper-era algorithm; in Kafka 4.x it remains behind
//! `kafka-reassign-partitions --generate`. See [`assign_replicas_to_brokers`].
//!
//! Without rack information, the brokers are used in the order given. A start index and a
//! "next replica shift" are drawn at random (`nextInt(#brokers)` each, in that order), or
//! both set to `fixedStartIndex` when that is non-negative. Partition `p` (counting from
//! `max(0, startPartitionId)`) gets its first replica at index `(p + startIndex) % N`.
//! Every time `p` reaches a positive multiple of `N` the shift grows by one, and replica
//! `j + 1` sits at index `(first + 1 + (shift + j) % (N - 1)) % N`: the followers trail the
//! leader at a distance that changes once per round, so the same broker sets do not repeat.
//!
//! With racks, every broker must have one. The brokers are first arranged into a
//! *rack-alternated* list ([`rack_alternated_broker_list`]): racks sorted by name, each
//! rack's brokers sorted by id, and the list takes one broker from each rack in turn. The
//! leader is chosen from that list as above. Followers are found by walking the list with
//! a shift of `nextReplicaShift * #racks` and a counter `k` that keeps growing across the
//! partition's replicas, skipping a broker whose rack already holds a replica (until every
//! rack holds one) or that already holds one itself.
//!
//! # `StripedReplicaPlacer` (KRaft)
//!
//! Source: `metadata/src/main/java/org/apache/kafka/metadata/placement/StripedReplicaPlacer.java`,
//! the placer a KRaft controller uses for `CreateTopics` and `CreatePartitions`. The
//! controller builds it with an unseeded `new Random()`, so real placements are random;
//! Kafka's tests use `MockRandom` (see [`crate::java::MockRandom`]). See [`RackList`] and
//! [`place`].
//!
//! The usable brokers (registered and not in controlled shutdown, each fenced or not) are
//! grouped by rack; brokers without a rack form one rack of their own. Each rack keeps a
//! sorted list of unfenced brokers and a sorted list of fenced ones, and each list gets a
//! random start offset. The rack names are sorted (no rack first) and a random start
//! rack is drawn. For each partition:
//!
//! * the leader is the next *unfenced* broker, trying racks from the current rack offset
//!   onwards;
//! * the followers take one broker per rack, round-robin from the rack offset, skipping
//!   the leader's rack on the first pass; within a rack, unfenced brokers come first and
//!   fenced ones only once the unfenced list is used up for this partition;
//! * afterwards the rack offset moves on by one, and so does every broker list the next
//!   time it is used (each partition is a new "iteration epoch"): hence the stripes;
//! * once as many partitions have been placed as there are unfenced brokers (when there is
//!   more than one), the rack order and every broker list are shuffled and the epoch count
//!   starts again.
//!
//! Errors are Kafka's `InvalidReplicationFactorException`s: a replication factor of zero
//! or less, more replicas than registered brokers, or no unfenced broker at all. The
//! placer builds its rack list, drawing random numbers, *before* it checks for those, so
//! even a failed placement advances the random source, as in Kafka.
//!
//! # Where this differs from Kafka
//!
//! Only on inputs Kafka never sees or cannot handle, where this module returns an error
//! instead of misbehaving: a broker id listed twice ([`PlacementError::DuplicateBrokerId`]),
//! arguments so large that Kafka's `int` arithmetic would overflow
//! ([`PlacementError::IntOverflow`]), and the case where Kafka's striped placer would loop
//! forever ([`PlacementError::NoEligibleBroker`]). Kafka marks "no broker" with `-1`; this
//! module uses `Option`, so a (non-Kafka) negative broker id is placed like any other.

use crate::sorted::{SortedMap, SortedSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::java::{self, RandomSource};

/// A broker as the placement algorithms see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerMetadata {
    /// `node.id`.
    pub id: i32,
    /// `broker.rack`, if set.
    #[serde(default)]
    pub rack: Option<String>,
    /// Whether the controller has fenced the broker. Only the striped placer looks at it;
    /// `AdminUtils` has no notion of fencing.
    #[serde(default)]
    pub fenced: bool,
}

impl BrokerMetadata {
    pub fn new(id: i32, rack: Option<&str>, fenced: bool) -> Self {
        BrokerMetadata {
            id,
            rack: rack.map(str::to_owned),
            fenced,
        }
    }
}

/// Why a placement failed. `Display` gives Kafka's exception message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementError {
    /// AdminUtils: `InvalidPartitionsException`, the partition count is zero or less.
    PartitionsNotPositive { num_partitions: i32 },
    /// AdminUtils: `InvalidReplicationFactorException`, the replication factor is zero or
    /// less.
    AdminReplicationFactorNotPositive { replication_factor: i32 },
    /// AdminUtils: `InvalidReplicationFactorException`, more replicas than brokers.
    AdminReplicationFactorTooLarge {
        replication_factor: i32,
        available_brokers: usize,
    },
    /// AdminUtils: `AdminOperationException`, some brokers have a rack and some do not.
    IncompleteRackInformation,
    /// StripedReplicaPlacer: `InvalidReplicationFactorException`, the replication factor is
    /// zero or less.
    ReplicationFactorNotPositive { replication_factor: i32 },
    /// StripedReplicaPlacer: `InvalidReplicationFactorException`, more replicas than
    /// registered (usable) brokers, fenced ones included.
    NotEnoughBrokers {
        replication_factor: i32,
        registered_brokers: usize,
    },
    /// StripedReplicaPlacer: `InvalidReplicationFactorException`, no unfenced broker can
    /// lead.
    AllBrokersFenced,
    /// StripedReplicaPlacer: `IllegalArgumentException` from `new ArrayList<>(numPartitions)`
    /// for a negative partition count (Kafka's callers reject such counts earlier).
    NegativePartitionCount { num_partitions: i32 },
    /// Not in Kafka (whose broker collections are keyed by id): a broker id appears twice.
    DuplicateBrokerId { broker_id: i32 },
    /// Not in Kafka: the arguments make Kafka's 32-bit `int` arithmetic overflow (for
    /// example `startPartitionId + nPartitions` past `Integer.MAX_VALUE`), where Kafka
    /// would throw `IndexOutOfBoundsException` or produce a wrong assignment.
    IntOverflow,
    /// Not in Kafka: no broker can take the next replica, a state in which Kafka's striped
    /// placer would loop forever. Only seen when one [`RackList`] is asked for different
    /// replication factors in turn (Kafka uses one per request): a rack's broker list can
    /// then be left used up for the current epoch from an earlier round.
    NoEligibleBroker { replication_factor: i32 },
}

impl PlacementError {
    /// The Java exception Kafka throws for this error, or `None` for the errors that only
    /// this module reports.
    pub fn kafka_exception(&self) -> Option<&'static str> {
        match self {
            PlacementError::PartitionsNotPositive { .. } => Some("InvalidPartitionsException"),
            PlacementError::AdminReplicationFactorNotPositive { .. }
            | PlacementError::AdminReplicationFactorTooLarge { .. }
            | PlacementError::ReplicationFactorNotPositive { .. }
            | PlacementError::NotEnoughBrokers { .. }
            | PlacementError::AllBrokersFenced => Some("InvalidReplicationFactorException"),
            PlacementError::IncompleteRackInformation => Some("AdminOperationException"),
            PlacementError::NegativePartitionCount { .. } => Some("IllegalArgumentException"),
            PlacementError::DuplicateBrokerId { .. }
            | PlacementError::IntOverflow
            | PlacementError::NoEligibleBroker { .. } => None,
        }
    }
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::PartitionsNotPositive { .. } => {
                write!(f, "Number of partitions must be larger than 0.")
            }
            PlacementError::AdminReplicationFactorNotPositive { .. } => {
                write!(f, "Replication factor must be larger than 0.")
            }
            PlacementError::AdminReplicationFactorTooLarge {
                replication_factor,
                available_brokers,
            } => write!(
                f,
                "Replication factor: {replication_factor} larger than available brokers: \
                 {available_brokers}."
            ),
            PlacementError::IncompleteRackInformation => write!(
                f,
                "Not all brokers have rack information for replica rack aware assignment."
            ),
            PlacementError::ReplicationFactorNotPositive { replication_factor } => write!(
                f,
                "Invalid replication factor {replication_factor}: the replication factor must \
                 be positive."
            ),
            PlacementError::NotEnoughBrokers {
                replication_factor,
                registered_brokers,
            } => write!(
                f,
                "The target replication factor of {replication_factor} cannot be reached \
                 because only {registered_brokers} broker(s) are registered."
            ),
            PlacementError::AllBrokersFenced => write!(f, "All brokers are currently fenced."),
            PlacementError::NegativePartitionCount { num_partitions } => {
                write!(f, "Illegal Capacity: {num_partitions}")
            }
            PlacementError::DuplicateBrokerId { broker_id } => {
                write!(f, "Broker {broker_id} is listed more than once.")
            }
            PlacementError::IntOverflow => write!(
                f,
                "The placement arguments overflow the 32-bit arithmetic of Kafka's algorithm."
            ),
            PlacementError::NoEligibleBroker { replication_factor } => write!(
                f,
                "No broker is left for a replica of a partition with replication factor \
                 {replication_factor}."
            ),
        }
    }
}

impl std::error::Error for PlacementError {}

fn reject_duplicate_ids(brokers: &[BrokerMetadata]) -> Result<(), PlacementError> {
    let mut seen = SortedSet::new();
    for broker in brokers {
        if !seen.insert(broker.id) {
            return Err(PlacementError::DuplicateBrokerId {
                broker_id: broker.id,
            });
        }
    }
    Ok(())
}

/// A list length as a Java `int` (Java lists cannot be longer).
fn java_len(len: usize) -> Result<i32, PlacementError> {
    i32::try_from(len).map_err(|_| PlacementError::IntOverflow)
}

/// `random.nextInt(len)` for the length of a non-empty list (`1 ..= i32::MAX`), as an index.
fn random_index<R: RandomSource + ?Sized>(rng: &mut R, len: i32) -> usize {
    // The bound is positive, so the draw always yields a value in 0..len.
    rng.next_int_bounded(len).map_or(0, |i| i as usize)
}

// ---------------------------------------------------------------------------------------
// AdminUtils
// ---------------------------------------------------------------------------------------

/// `AdminUtils.assignReplicasToBrokers(brokerMetadatas, nPartitions, replicationFactor,
/// fixedStartIndex, startPartitionId)`: the replicas of partitions
/// `max(0, start_partition_id) ..` keyed by partition id, leader first.
///
/// `fixed_start_index < 0` draws the start index and the replica shift from `rng`
/// (`nextInt(#brokers)` twice), as Kafka does with its static unseeded `Random`; otherwise
/// nothing is drawn. Rack-aware placement is used when any broker has a rack, and then all
/// must have one. Without racks, the order of `brokers` matters; with racks it does not.
/// `fenced` is ignored.
///
/// Errors, in Kafka's order: [`PartitionsNotPositive`](PlacementError::PartitionsNotPositive),
/// [`AdminReplicationFactorNotPositive`](PlacementError::AdminReplicationFactorNotPositive),
/// [`AdminReplicationFactorTooLarge`](PlacementError::AdminReplicationFactorTooLarge),
/// [`IncompleteRackInformation`](PlacementError::IncompleteRackInformation); before them
/// all, [`DuplicateBrokerId`](PlacementError::DuplicateBrokerId), and during placement
/// [`IntOverflow`](PlacementError::IntOverflow) for arguments that overflow Kafka's `int`s.
pub fn assign_replicas_to_brokers<R: RandomSource + ?Sized>(
    brokers: &[BrokerMetadata],
    n_partitions: i32,
    replication_factor: i32,
    fixed_start_index: i32,
    start_partition_id: i32,
    rng: &mut R,
) -> Result<SortedMap<i32, Vec<i32>>, PlacementError> {
    reject_duplicate_ids(brokers)?;
    if n_partitions <= 0 {
        return Err(PlacementError::PartitionsNotPositive {
            num_partitions: n_partitions,
        });
    }
    if replication_factor <= 0 {
        return Err(PlacementError::AdminReplicationFactorNotPositive { replication_factor });
    }
    if replication_factor as usize > brokers.len() {
        return Err(PlacementError::AdminReplicationFactorTooLarge {
            replication_factor,
            available_brokers: brokers.len(),
        });
    }
    let first_partition_id = start_partition_id.max(0);
    // The last partition id must be an int (checked up front rather than after placing
    // billions of partitions).
    checked(first_partition_id.checked_add(n_partitions - 1))?;
    let spec = AdminSpec {
        n_partitions,
        replication_factor,
        fixed_start_index,
        first_partition_id,
    };
    if brokers.iter().all(|b| b.rack.is_none()) {
        let ids: Vec<i32> = brokers.iter().map(|b| b.id).collect();
        assign_rack_unaware(&spec, &ids, rng)
    } else {
        let mut broker_racks = SortedMap::new();
        for broker in brokers {
            let rack = broker
                .rack
                .clone()
                .ok_or(PlacementError::IncompleteRackInformation)?;
            broker_racks.insert(broker.id, rack);
        }
        assign_rack_aware(&spec, &broker_racks, rng)
    }
}

/// The validated arguments shared by both `AdminUtils` variants.
struct AdminSpec {
    n_partitions: i32,
    replication_factor: i32,
    fixed_start_index: i32,
    first_partition_id: i32,
}

impl AdminSpec {
    /// `fixedStartIndex >= 0 ? fixedStartIndex : RAND.nextInt(numBrokers)`.
    fn start_or_draw<R: RandomSource + ?Sized>(&self, rng: &mut R, num_brokers: i32) -> i32 {
        if self.fixed_start_index >= 0 {
            self.fixed_start_index
        } else {
            random_index(rng, num_brokers) as i32
        }
    }

    /// The partition ids to assign, each paired with the replica shift in force for it
    /// (the shift grows by one whenever the id is a positive multiple of `num_brokers`),
    /// and the index of its first replica, `(id + startIndex) % num_brokers`.
    fn partitions(
        &self,
        start_index: i32,
        initial_shift: i32,
        num_brokers: i32,
    ) -> Result<Vec<(i32, i32, i32)>, PlacementError> {
        let mut shift = initial_shift;
        let mut out = Vec::new();
        for i in 0..self.n_partitions {
            let partition = checked(self.first_partition_id.checked_add(i))?;
            if partition > 0 && partition % num_brokers == 0 {
                shift = checked(shift.checked_add(1))?;
            }
            let first = checked(partition.checked_add(start_index))? % num_brokers;
            out.push((partition, shift, first));
        }
        Ok(out)
    }
}

fn checked(value: Option<i32>) -> Result<i32, PlacementError> {
    value.ok_or(PlacementError::IntOverflow)
}

/// `AdminUtils.replicaIndex`: the list index of the follower that trails the leader at
/// `first_replica_index` by `1 + (second_replica_shift + replica_index) % (n_brokers - 1)`.
///
/// All arguments are non-negative and `n_brokers >= 2` (a follower needs a second broker),
/// so with the overflow check the result is a valid index.
fn replica_index(
    first_replica_index: i32,
    second_replica_shift: i32,
    replica_index: i32,
    n_brokers: i32,
) -> Result<usize, PlacementError> {
    let steps = checked(second_replica_shift.checked_add(replica_index))?;
    let shift = 1 + i64::from(checked(steps.checked_rem(n_brokers - 1))?);
    // Kafka does this last step in `long` arithmetic.
    Ok(((i64::from(first_replica_index) + shift) % i64::from(n_brokers)) as usize)
}

fn assign_rack_unaware<R: RandomSource + ?Sized>(
    spec: &AdminSpec,
    brokers: &[i32],
    rng: &mut R,
) -> Result<SortedMap<i32, Vec<i32>>, PlacementError> {
    let n = java_len(brokers.len())?;
    let start_index = spec.start_or_draw(rng, n);
    let initial_shift = spec.start_or_draw(rng, n);
    let mut assignment = SortedMap::new();
    for (partition, shift, first) in spec.partitions(start_index, initial_shift, n)? {
        let mut replicas = vec![brokers[first as usize]];
        for j in 0..spec.replication_factor - 1 {
            replicas.push(brokers[replica_index(first, shift, j, n)?]);
        }
        assignment.insert(partition, replicas);
    }
    Ok(assignment)
}

fn assign_rack_aware<R: RandomSource + ?Sized>(
    spec: &AdminSpec,
    broker_racks: &SortedMap<i32, String>,
    rng: &mut R,
) -> Result<SortedMap<i32, Vec<i32>>, PlacementError> {
    let num_racks = java_len(broker_racks.values().collect::<SortedSet<_>>().len())?;
    let arranged = rack_alternated_broker_list(broker_racks);
    let n = java_len(arranged.len())?;
    let rack_of = |broker: i32| broker_racks.get(&broker).map(String::as_str);
    let start_index = spec.start_or_draw(rng, n);
    let initial_shift = spec.start_or_draw(rng, n);
    let mut assignment = SortedMap::new();
    for (partition, shift, first) in spec.partitions(start_index, initial_shift, n)? {
        let leader = arranged[first as usize];
        let mut replicas = vec![leader];
        let mut racks_with_replicas = SortedSet::from([rack_of(leader)]);
        let mut brokers_with_replicas = SortedSet::from([leader]);
        let follower_shift = checked(shift.checked_mul(num_racks))?;
        // `k` keeps counting across this partition's followers.
        let mut k = 0i32;
        for _ in 1..spec.replication_factor {
            // This finds a broker within n - 1 steps: consecutive values of k visit every
            // position except the leader's, fewer than replication_factor <= n brokers hold
            // a replica, and while a rack has no replica its brokers hold none either.
            loop {
                let broker = arranged[replica_index(first, follower_shift, k, n)?];
                let rack = rack_of(broker);
                let rack_ok = !racks_with_replicas.contains(&rack)
                    || racks_with_replicas.len() == num_racks as usize;
                let broker_ok = !brokers_with_replicas.contains(&broker)
                    || brokers_with_replicas.len() == n as usize;
                k = checked(k.checked_add(1))?;
                if rack_ok && broker_ok {
                    replicas.push(broker);
                    racks_with_replicas.insert(rack);
                    brokers_with_replicas.insert(broker);
                    break;
                }
            }
        }
        assignment.insert(partition, replicas);
    }
    Ok(assignment)
}

/// `AdminUtils.getRackAlternatedBrokerList`: the brokers ordered so that consecutive
/// entries alternate between racks. Racks are taken in `String.compareTo` order and each
/// rack's brokers in ascending id order, one broker per rack in turn, skipping racks that
/// have run out. For `0 -> rack1, 1 -> rack3, 2 -> rack3, 3 -> rack2, 4 -> rack2,
/// 5 -> rack1` the result is `0, 3, 1, 5, 4, 2`.
pub fn rack_alternated_broker_list(broker_racks: &SortedMap<i32, String>) -> Vec<i32> {
    // Brokers per rack, ids ascending (the map iterates by id).
    let mut by_rack: SortedMap<&str, Vec<i32>> = SortedMap::new();
    for (&id, rack) in broker_racks {
        by_rack.entry(rack.as_str()).or_default().push(id);
    }
    let mut racks: Vec<(&str, std::vec::IntoIter<i32>)> = by_rack
        .into_iter()
        .map(|(rack, ids)| (rack, ids.into_iter()))
        .collect();
    // Java sorts the rack names with String.compareTo (UTF-16 order).
    crate::sort::sort_by(&mut racks, |a, b| java::compare_strings(a.0, b.0));
    let mut result = Vec::with_capacity(broker_racks.len());
    let mut rack_index = 0;
    while result.len() < broker_racks.len() {
        if let Some(id) = racks[rack_index].1.next() {
            result.push(id);
        }
        rack_index = (rack_index + 1) % racks.len();
    }
    result
}

// ---------------------------------------------------------------------------------------
// StripedReplicaPlacer
// ---------------------------------------------------------------------------------------

/// `StripedReplicaPlacer.BrokerList`: brokers handed out round-robin from a moving offset,
/// each at most once per iteration epoch.
#[derive(Clone, Debug, Default)]
struct BrokerList {
    brokers: Vec<i32>,
    /// How many brokers have been handed out in the current epoch.
    index: usize,
    /// Added to `index` (modulo the length) to find the next broker.
    offset: usize,
    /// The epoch of the last `next` call; a different epoch restarts the list one further on.
    epoch: i32,
}

impl BrokerList {
    /// Sort the list and draw a random start offset (no draw for an empty list).
    fn initialize<R: RandomSource + ?Sized>(&mut self, rng: &mut R) {
        if !self.brokers.is_empty() {
            crate::sort::sort(&mut self.brokers);
            // Brokers were counted into an i32 when the rack list was built.
            self.offset = random_index(rng, self.brokers.len() as i32);
        }
    }

    fn shuffle<R: RandomSource + ?Sized>(&mut self, rng: &mut R) {
        java::shuffle(&mut self.brokers, rng);
    }

    /// The next broker for `epoch`, or `None` once every broker has been returned in it.
    fn next(&mut self, epoch: i32) -> Option<i32> {
        if self.brokers.is_empty() {
            return None;
        }
        if self.epoch != epoch {
            self.epoch = epoch;
            self.index = 0;
            self.offset = (self.offset + 1) % self.brokers.len();
        }
        if self.index >= self.brokers.len() {
            return None;
        }
        let broker = self.brokers[(self.index + self.offset) % self.brokers.len()];
        self.index += 1;
        Some(broker)
    }
}

/// `StripedReplicaPlacer.Rack`.
#[derive(Clone, Debug)]
struct Rack {
    name: Option<String>,
    fenced: BrokerList,
    unfenced: BrokerList,
}

impl Rack {
    fn initialize<R: RandomSource + ?Sized>(&mut self, rng: &mut R) {
        self.fenced.initialize(rng);
        self.unfenced.initialize(rng);
    }

    fn shuffle<R: RandomSource + ?Sized>(&mut self, rng: &mut R) {
        self.fenced.shuffle(rng);
        self.unfenced.shuffle(rng);
    }

    /// The next broker, unfenced ones first.
    fn next(&mut self, epoch: i32) -> Option<i32> {
        self.unfenced
            .next(epoch)
            .or_else(|| self.fenced.next(epoch))
    }
}

/// `StripedReplicaPlacer.RackList`: the state of the striped placer while it places the
/// partitions of one request. Successive [`place`](RackList::place) calls give successive
/// partitions.
///
/// It owns its random source, as Kafka's `RackList` holds the placer's `Random`; pass
/// `&mut rng` to keep using a generator afterwards.
#[derive(Clone, Debug)]
pub struct RackList<R> {
    rng: R,
    /// The racks, in the iteration order of Kafka's `HashMap<Optional<String>, Rack>`.
    ///
    /// Kafka walks that map to draw each rack's two start offsets and, when reshuffling,
    /// to shuffle each rack's lists, so the order of the random draws, and with it the
    /// placement, depends on the map's iteration order. It is computed once here by
    /// [`java::hash_map_iteration_order`] from `Optional.hashCode()` (0 for no rack, the
    /// rack's `String.hashCode()` otherwise) in the order racks were first seen, and the
    /// map never changes afterwards. For example racks first seen as "1", "3", "2", "4"
    /// are visited as "1", "2", "3", "4" (buckets 1 to 4 of 16); the `racklist-04` vector
    /// fails if the draws follow first-seen order instead.
    racks: Vec<Rack>,
    /// Kafka's `rackNames`: indices into `racks`, sorted by name (no rack first), then
    /// shuffled whenever the epoch count starts again.
    rack_names: Vec<usize>,
    num_total_brokers: usize,
    num_unfenced_brokers: usize,
    /// The iteration epoch: the number of partitions placed since the last shuffle.
    epoch: i32,
    /// Index into `rack_names` of the rack the next partition starts from.
    offset: usize,
}

impl<R: RandomSource> RackList<R> {
    /// `new RackList(random, usableBrokers)`: group the brokers by rack and draw the
    /// random start offsets (each rack's fenced list, then its unfenced list, rack by rack
    /// in hash-map order; then the start rack).
    ///
    /// `usable_brokers_in_iteration_order` is the order in which Kafka's
    /// `ClusterDescriber.usableBrokers()` yields them. Since every list is sorted, it only
    /// matters through the hash-map order of racks whose hash codes share a bucket.
    ///
    /// Fails only for a duplicate broker id, which Kafka cannot have.
    pub fn new(
        mut rng: R,
        usable_brokers_in_iteration_order: &[BrokerMetadata],
    ) -> Result<Self, PlacementError> {
        reject_duplicate_ids(usable_brokers_in_iteration_order)?;
        java_len(usable_brokers_in_iteration_order.len())?;
        let mut racks: Vec<Rack> = Vec::new();
        let mut rack_positions: SortedMap<Option<&str>, usize> = SortedMap::new();
        let mut num_unfenced_brokers = 0;
        for broker in usable_brokers_in_iteration_order {
            let position = *rack_positions
                .entry(broker.rack.as_deref())
                .or_insert_with(|| {
                    racks.push(Rack {
                        name: broker.rack.clone(),
                        fenced: BrokerList::default(),
                        unfenced: BrokerList::default(),
                    });
                    racks.len() - 1
                });
            let rack = &mut racks[position];
            if broker.fenced {
                rack.fenced.brokers.push(broker.id);
            } else {
                num_unfenced_brokers += 1;
                rack.unfenced.brokers.push(broker.id);
            }
        }

        // Reorder the racks from first-seen order into HashMap iteration order.
        let hash_codes: Vec<i32> = racks
            .iter()
            .map(|rack| rack.name.as_deref().map_or(0, java::string_hash_code))
            .collect();
        let mut slots: Vec<Option<Rack>> = racks.into_iter().map(Some).collect();
        let mut racks: Vec<Rack> = java::hash_map_iteration_order(&hash_codes)
            .into_iter()
            .filter_map(|i| slots[i].take())
            .collect();

        for rack in &mut racks {
            rack.initialize(&mut rng);
        }
        let mut rack_names: Vec<usize> = (0..racks.len()).collect();
        // OptionalStringComparator: no rack first, then String.compareTo.
        crate::sort::sort_by(&mut rack_names, |&a, &b| {
            match (&racks[a].name, &racks[b].name) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => java::compare_strings(x, y),
            }
        });
        let offset = if rack_names.is_empty() {
            0
        } else {
            random_index(&mut rng, rack_names.len() as i32)
        };
        Ok(RackList {
            rng,
            racks,
            rack_names,
            num_total_brokers: usable_brokers_in_iteration_order.len(),
            num_unfenced_brokers,
            epoch: 0,
            offset,
        })
    }

    /// All usable brokers, fenced or not.
    pub fn num_total_brokers(&self) -> usize {
        self.num_total_brokers
    }

    pub fn num_unfenced_brokers(&self) -> usize {
        self.num_unfenced_brokers
    }

    /// The racks in their current order (sorted at first, reshuffled later); `None` is the
    /// rack of brokers without `broker.rack`.
    pub fn rack_names(&self) -> Vec<Option<&str>> {
        self.rack_names
            .iter()
            .map(|&i| self.racks[i].name.as_deref())
            .collect()
    }

    /// Give back the random source.
    pub fn into_rng(self) -> R {
        self.rng
    }

    /// `RackList.place(replicationFactor)`: the replicas of the next partition, leader
    /// first.
    ///
    /// Errors: [`ReplicationFactorNotPositive`](PlacementError::ReplicationFactorNotPositive),
    /// [`NotEnoughBrokers`](PlacementError::NotEnoughBrokers),
    /// [`AllBrokersFenced`](PlacementError::AllBrokersFenced) (checked in that order, as in
    /// Kafka), and [`NoEligibleBroker`](PlacementError::NoEligibleBroker) where Kafka
    /// would loop forever.
    pub fn place(&mut self, replication_factor: i32) -> Result<Vec<i32>, PlacementError> {
        check_replication_factor_positive(replication_factor)?;
        check_enough_brokers(replication_factor, self.num_total_brokers)?;
        check_some_unfenced(self.num_unfenced_brokers)?;
        // After as many partitions as there are unfenced brokers, shuffle to avoid
        // repeating the same assignments. Not with a single unfenced broker: its list
        // would never restart and the leader search would never end.
        if usize::try_from(self.epoch) == Ok(self.num_unfenced_brokers)
            && self.num_unfenced_brokers > 1
        {
            self.shuffle();
            self.epoch = 0;
        }
        if self.offset == self.rack_names.len() {
            self.offset = 0;
        }
        let num_racks = self.rack_names.len();
        let epoch = self.epoch;
        let mut brokers = Vec::new();

        // The leader: the first unfenced broker, rack by rack from the offset. One rack
        // always has one: the previous partition's leader rack starts a fresh round in this
        // epoch (or, on the very first call, every list is fresh).
        let mut leader_rack = self.offset;
        let mut racks_tried = 0;
        loop {
            let rack = &mut self.racks[self.rack_names[leader_rack]];
            if let Some(leader) = rack.unfenced.next(epoch) {
                brokers.push(leader);
                break;
            }
            racks_tried += 1;
            if racks_tried >= num_racks {
                return Err(PlacementError::NoEligibleBroker { replication_factor });
            }
            leader_rack = (leader_rack + 1) % num_racks;
        }

        // The followers: one broker per rack, round-robin from the offset, passing over the
        // leader's rack the first time it comes up.
        let mut skip_rack = Some(leader_rack);
        let mut rack_index = self.offset;
        for _ in 1..replication_factor {
            // Racks asked since the leader's rack was passed over, all without a broker.
            // A rack that has none left keeps its state, so once every rack has said no,
            // Kafka's loop would go round forever.
            let mut misses = 0;
            let follower = loop {
                let asked = skip_rack != Some(rack_index);
                let result = if asked {
                    self.racks[self.rack_names[rack_index]].next(epoch)
                } else {
                    skip_rack = None;
                    None
                };
                rack_index = (rack_index + 1) % num_racks;
                if let Some(broker) = result {
                    break broker;
                }
                if asked && skip_rack.is_none() {
                    misses += 1;
                    if misses >= num_racks {
                        return Err(PlacementError::NoEligibleBroker { replication_factor });
                    }
                }
            };
            brokers.push(follower);
        }
        self.epoch = self.epoch.wrapping_add(1);
        self.offset += 1;
        Ok(brokers)
    }

    /// Shuffle the rack order, then each rack's fenced and unfenced lists, rack by rack in
    /// hash-map order.
    fn shuffle(&mut self) {
        java::shuffle(&mut self.rack_names, &mut self.rng);
        for rack in &mut self.racks {
            rack.shuffle(&mut self.rng);
        }
    }
}

fn check_replication_factor_positive(replication_factor: i32) -> Result<(), PlacementError> {
    if replication_factor <= 0 {
        return Err(PlacementError::ReplicationFactorNotPositive { replication_factor });
    }
    Ok(())
}

fn check_enough_brokers(
    replication_factor: i32,
    registered_brokers: usize,
) -> Result<(), PlacementError> {
    // Only called with a positive replication factor.
    if replication_factor as usize > registered_brokers {
        return Err(PlacementError::NotEnoughBrokers {
            replication_factor,
            registered_brokers,
        });
    }
    Ok(())
}

fn check_some_unfenced(num_unfenced_brokers: usize) -> Result<(), PlacementError> {
    if num_unfenced_brokers == 0 {
        return Err(PlacementError::AllBrokersFenced);
    }
    Ok(())
}

/// `StripedReplicaPlacer.place`: the replicas of `n_partitions` new partitions, in
/// partition order, leader first. Zero partitions place nothing.
///
/// The rack list is built first (drawing from `rng`), then the checks run in Kafka's
/// order: [`ReplicationFactorNotPositive`](PlacementError::ReplicationFactorNotPositive),
/// [`AllBrokersFenced`](PlacementError::AllBrokersFenced),
/// [`NotEnoughBrokers`](PlacementError::NotEnoughBrokers) and
/// [`NegativePartitionCount`](PlacementError::NegativePartitionCount). (`RackList::place`
/// checks the second and third the other way round, but never sees the difference here.)
pub fn place<R: RandomSource + ?Sized>(
    usable_brokers_in_iteration_order: &[BrokerMetadata],
    n_partitions: i32,
    replication_factor: i32,
    rng: &mut R,
) -> Result<Vec<Vec<i32>>, PlacementError> {
    let mut rack_list = RackList::new(rng, usable_brokers_in_iteration_order)?;
    check_replication_factor_positive(replication_factor)?;
    check_some_unfenced(rack_list.num_unfenced_brokers())?;
    check_enough_brokers(replication_factor, rack_list.num_total_brokers())?;
    if n_partitions < 0 {
        return Err(PlacementError::NegativePartitionCount {
            num_partitions: n_partitions,
        });
    }
    let mut placements = Vec::new();
    for _ in 0..n_partitions {
        placements.push(rack_list.place(replication_factor)?);
    }
    Ok(placements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_list_matches_kafka_test() {
        // StripedReplicaPlacerTest.testBrokerList.
        assert_eq!(BrokerList::default().next(1), None);
        let mut brokers = BrokerList {
            brokers: vec![0, 1, 2, 3],
            ..BrokerList::default()
        };
        let epoch0: Vec<Option<i32>> = (0..6).map(|_| brokers.next(0)).collect();
        assert_eq!(epoch0, [Some(0), Some(1), Some(2), Some(3), None, None]);
        let epoch1: Vec<Option<i32>> = (0..5).map(|_| brokers.next(1)).collect();
        assert_eq!(epoch1, [Some(1), Some(2), Some(3), Some(0), None]);
    }
}
