//! The Java producer's partitioning: which partition a record goes to.
//!
//! Sources (apache/kafka):
//!
//! * `clients/src/main/java/org/apache/kafka/common/utils/Utils.java`: `murmur2` and
//!   `toPositive`, see [`murmur2`] and [`to_positive`];
//! * `clients/src/main/java/org/apache/kafka/clients/producer/internals/BuiltInPartitioner.java`:
//!   `partitionForKey` ([`partition_for_key`]) and the sticky, adaptive choice for records
//!   without a key ([`StickyPartitioner`]);
//! * `clients/src/main/java/org/apache/kafka/clients/producer/internals/RecordAccumulator.java`:
//!   `partitionReady`, which turns the accumulator's queues into the load statistics the
//!   adaptive choice uses ([`StickyPartitioner::update_load_stats_from_queues`]), and
//!   `append`, which decides when a switch is allowed;
//! * `clients/src/main/java/org/apache/kafka/clients/producer/KafkaProducer.java`: the order
//!   of the decision in `partition()` ([`record_partition`]) and `batch.size` clamped to at
//!   least 1.
//!
//! A keyed record must land where the Java client puts it, or a lesson about key ordering,
//! compaction or co-partitioning would teach something false; hence the bit-exact hash with
//! Java's `int` wrapping. Records without a key go where the built-in sticky partitioner
//! sends them. Kafka draws its random numbers from `ThreadLocalRandom`; here every draw comes
//! from a caller-supplied [`SimRng`], so a run is reproducible and rewinds draw the same
//! numbers again. Only where the number comes from differs: given the same random `int`,
//! [`StickyPartitioner::next_partition`] picks what Kafka picks.
//!
//! Not modelled: Kafka's concurrency guards (`isPartitionChanged`; the simulation appends
//! one record at a time), custom `partitioner.class` plug-ins, and the rack-aware
//! partitioning that clients after 4.0 added.

use serde::{Deserialize, Serialize};

use crate::rng::SimRng;

/// `Utils.murmur2`'s seed. Changing it would move every keyed record in every Kafka cluster,
/// so it is as fixed as the algorithm.
pub const MURMUR2_SEED: u32 = 0x9747_b28c;

/// MurmurHash2 (32-bit) exactly as Kafka's `Utils.murmur2` computes it: little-endian
/// 4-byte blocks, then the 1 to 3 trailing bytes folded in with a fall-through (byte 2,
/// byte 1, byte 0, then one multiply), then the final avalanche.
///
/// Java's `int` arithmetic wraps and its `>>>` is an unsigned shift; `u32` with wrapping
/// multiplication does the same, and the result is reinterpreted as Java's signed `int`.
/// The length is mixed in as a 32-bit value (a Java array never holds more than
/// `Integer.MAX_VALUE` bytes).
pub fn murmur2(data: &[u8]) -> i32 {
    // Mixing constants of MurmurHash2; Kafka uses the reference values.
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    let mut h = MURMUR2_SEED ^ (data.len() as u32);
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }

    // Java's `switch (length % 4)` falls through from case 3 to case 1, and only case 1
    // multiplies, so all three shapes of tail end with exactly one multiplication.
    let tail = blocks.remainder();
    if let Some(&b) = tail.get(2) {
        h ^= u32::from(b) << 16;
    }
    if let Some(&b) = tail.get(1) {
        h ^= u32::from(b) << 8;
    }
    if let Some(&b) = tail.first() {
        h ^= u32::from(b);
        h = h.wrapping_mul(M);
    }

    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// `Utils.toPositive`: clear the sign bit. Kafka uses this rather than `Math.abs` because
/// `abs(Integer.MIN_VALUE)` is still negative; the mask also maps `-1` to `Integer.MAX_VALUE`
/// rather than 1, which is why it cannot be swapped for `abs` without moving keys.
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// `BuiltInPartitioner.partitionForKey`: `toPositive(murmur2(key)) % numPartitions`.
///
/// The partition depends on the key bytes and the *current* partition count only, which is
/// why adding partitions moves keys (see [`key_moves`]). `None` when `num_partitions <= 0`,
/// where Java would divide by zero or return a negative partition.
pub fn partition_for_key(key: &[u8], num_partitions: i32) -> Option<i32> {
    if num_partitions <= 0 {
        return None;
    }
    Some(to_positive(murmur2(key)) % num_partitions)
}

/// Where a key goes before and after a topic's partition count changes, when the two
/// differ: `Some((old, new))`. The UI narrates this ("key K moved from partition 1 to 4 when
/// orders grew from 3 to 6 partitions"), since it is the reason Kafka warns that adding
/// partitions breaks per-key ordering. `None` when the key stays or a count is not positive.
pub fn key_moves(key: &[u8], before: i32, after: i32) -> Option<(i32, i32)> {
    let old = partition_for_key(key, before)?;
    let new = partition_for_key(key, after)?;
    (old != new).then_some((old, new))
}

/// How `KafkaProducer.partition()` settled a record's partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordPartition {
    /// The record named its partition; Kafka uses it as is and checks the range later,
    /// against metadata, in `waitOnMetadata`.
    Explicit(i32),
    /// Hashed from the key with [`partition_for_key`].
    Keyed(i32),
    /// `RecordMetadata.UNKNOWN_PARTITION`: the accumulator asks the [`StickyPartitioner`].
    Sticky,
}

/// `KafkaProducer.partition()` without a custom partitioner: an explicit partition wins,
/// then the key unless `partitioner.ignore.keys` is set, and otherwise the sticky
/// partitioner decides at append time. `None` only for a keyed record with a partition
/// count that is not positive (Kafka waits for metadata, so it never sees one).
pub fn record_partition(
    explicit: Option<i32>,
    key: Option<&[u8]>,
    ignore_keys: bool,
    num_partitions: i32,
) -> Option<RecordPartition> {
    if let Some(partition) = explicit {
        return Some(RecordPartition::Explicit(partition));
    }
    match key {
        Some(key) if !ignore_keys => {
            partition_for_key(key, num_partitions).map(RecordPartition::Keyed)
        }
        _ => Some(RecordPartition::Sticky),
    }
}

/// The producer settings the built-in partitioner reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionerConfig {
    /// `batch.size` (default 16384): how many bytes go to one partition before a switch.
    pub batch_size: i32,
    /// `partitioner.adaptive.partitioning.enable` (default true): weight the next partition
    /// by the inverse of its queue length instead of choosing uniformly.
    pub adaptive_partitioning_enable: bool,
    /// `partitioner.availability.timeout.ms` (default 0 = off): with adaptive partitioning,
    /// a partition whose leader has had data ready but not drained for longer than this is
    /// left out of the choice. Kafka ignores it when adaptive partitioning is off.
    pub availability_timeout_ms: i64,
    /// `partitioner.ignore.keys` (default false): send keyed records the sticky way too.
    pub ignore_keys: bool,
}

impl Default for PartitionerConfig {
    fn default() -> Self {
        PartitionerConfig {
            batch_size: 16384,
            adaptive_partitioning_enable: true,
            availability_timeout_ms: 0,
            ignore_keys: false,
        }
    }
}

/// What the partitioner needs to know about one partition of the topic: the metadata
/// (`Cluster.leaderFor`) and the accumulator's view of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionStatus {
    pub partition: i32,
    /// Metadata names a leader. Partitions without one are what `Cluster` calls
    /// unavailable: the uniform choice skips them and the load statistics leave them out.
    pub has_leader: bool,
    /// Batches waiting in the accumulator's queue for this partition, or `None` when the
    /// accumulator has never had a queue for it. Kafka keeps empty queues, and it only goes
    /// adaptive once every partition has one, because a partition without a queue would
    /// be missing from the statistics and never be chosen.
    pub queued_batches: Option<i32>,
    /// `readyTimeMs - drainTimeMs` of the leader's `NodeLatencyStats`: how long the leader
    /// has had data ready without being drained. `None` when the producer has no latency
    /// statistics for that node yet.
    pub leader_undrained_ms: Option<i64>,
}

impl PartitionStatus {
    /// A partition as fresh metadata shows it: no queue and no latency statistics yet.
    pub fn new(partition: i32, has_leader: bool) -> Self {
        PartitionStatus {
            partition,
            has_leader,
            queued_batches: None,
            leader_undrained_ms: None,
        }
    }
}

/// The partition currently stuck to and how much has gone to it (`StickyPartitionInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StickyPartitionInfo {
    pub partition: i32,
    /// Bytes appended since the switch to this partition. Java's `AtomicInteger`, so it
    /// wraps like one.
    pub produced_bytes: i32,
}

/// `PartitionLoadStats`: a cumulative frequency table over the eligible partitions. Each
/// partition's weight is `max queue + 1 - its queue`, so a uniform draw below the table's
/// last value lands on short queues more often.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionLoadStats {
    /// Strictly increasing running sums of the weights.
    pub cumulative_frequency_table: Vec<i32>,
    /// The partition behind each entry of the table.
    pub partition_ids: Vec<i32>,
}

/// The built-in partitioner's state for one topic, for records without a key (KIP-480
/// sticky partitioning, KIP-794 adaptive choice).
///
/// Sticking to one partition until about `batch.size` bytes have gone there fills batches
/// instead of spreading tiny ones over every partition. The workflow follows
/// `RecordAccumulator.append`:
///
/// 1. [`peek_current_partition`](Self::peek_current_partition) says where the record goes
///    (choosing a partition the first time);
/// 2. the caller appends it there;
/// 3. [`update_partition_info`](Self::update_partition_info) counts the appended bytes and
///    switches once enough have gone to the partition.
///
/// Separately, whenever the sender checks which partitions are ready,
/// [`update_load_stats_from_queues`](Self::update_load_stats_from_queues) refreshes the
/// statistics the next switch will use, as `RecordAccumulator.ready` does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StickyPartitioner {
    sticky_batch_size: i32,
    adaptive: bool,
    availability_timeout_ms: i64,
    current: Option<StickyPartitionInfo>,
    load_stats: Option<PartitionLoadStats>,
}

impl StickyPartitioner {
    /// A partitioner that has not chosen a partition yet. `batch.size` is clamped to at
    /// least 1, as `KafkaProducer` does before building the accumulator (`batch.size=0`
    /// means "no batching", i.e. switch after every record; `BuiltInPartitioner` itself
    /// rejects a size below 1).
    pub fn new(config: &PartitionerConfig) -> Self {
        StickyPartitioner {
            sticky_batch_size: config.batch_size.max(1),
            adaptive: config.adaptive_partitioning_enable,
            availability_timeout_ms: config.availability_timeout_ms,
            current: None,
            load_stats: None,
        }
    }

    /// The bytes after which the partitioner switches.
    pub fn sticky_batch_size(&self) -> i32 {
        self.sticky_batch_size
    }

    /// The partition stuck to and its byte count, without choosing one.
    pub fn current(&self) -> Option<&StickyPartitionInfo> {
        self.current.as_ref()
    }

    /// The statistics the next switch will use; `None` means a uniform choice.
    pub fn load_stats(&self) -> Option<&PartitionLoadStats> {
        self.load_stats.as_ref()
    }

    /// `loadStatsRangeEnd`: the sum of all weights, the bound of the weighted draw.
    pub fn load_stats_range_end(&self) -> Option<i32> {
        self.load_stats
            .as_ref()
            .and_then(|stats| stats.cumulative_frequency_table.last().copied())
    }

    /// `peekCurrentPartitionInfo`: the partition the next record without a key goes to.
    /// The first call chooses one ([`next_partition`](Self::next_partition) with a fresh
    /// draw); later calls return it until a switch. `None` only when `partitions` is empty
    /// and nothing was chosen before.
    pub fn peek_current_partition(
        &mut self,
        partitions: &[PartitionStatus],
        rng: &mut SimRng,
    ) -> Option<i32> {
        if self.current.is_none() {
            self.current = self.switch_partition(partitions, rng);
        }
        self.current.as_ref().map(|info| info.partition)
    }

    /// `updatePartitionInfo`: count `appended_bytes` against the current partition and
    /// switch once `batch.size` bytes have gone there.
    ///
    /// `enable_switch` is `RecordAccumulator.append`'s "all batches in this partition's queue
    /// are full": switching while the last batch is still open would leave it as a small
    /// fractional batch, so the switch waits for the batch to fill, but never past twice
    /// `batch.size` bytes. The accumulator also calls this with 0 bytes and
    /// `enable_switch = true` to complete a switch it put off earlier, once the queue's
    /// batches are all full. The doubling wraps like Java's `int`, so a `batch.size` above
    /// 2^30 switches after every append, as in Kafka. Does nothing before the first
    /// [`peek_current_partition`](Self::peek_current_partition).
    pub fn update_partition_info(
        &mut self,
        appended_bytes: i32,
        enable_switch: bool,
        partitions: &[PartitionStatus],
        rng: &mut SimRng,
    ) {
        let Some(info) = self.current.as_mut() else {
            return;
        };
        info.produced_bytes = info.produced_bytes.wrapping_add(appended_bytes);
        let produced = info.produced_bytes;
        let enough = produced >= self.sticky_batch_size && enable_switch;
        let far_too_much = produced >= self.sticky_batch_size.wrapping_mul(2);
        if enough || far_too_much {
            self.current = self.switch_partition(partitions, rng);
        }
    }

    /// Draw a random number as `BuiltInPartitioner.randomPartition` does (a non-negative
    /// `int`) and stick to the partition it selects, with no bytes counted yet.
    fn switch_partition(
        &self,
        partitions: &[PartitionStatus],
        rng: &mut SimRng,
    ) -> Option<StickyPartitionInfo> {
        let random = random_partition(rng);
        self.next_partition(random, partitions)
            .map(|partition| StickyPartitionInfo {
                partition,
                produced_bytes: 0,
            })
    }

    /// `nextPartition` for a given random `int` (Kafka's `randomPartition()`, a
    /// non-negative number; a negative one is masked with [`to_positive`]). Pure, so
    /// Kafka's own tests, which replace the random source with a counter, can be replayed.
    ///
    /// * With load statistics: `random % rangeEnd` is located in the cumulative frequency
    ///   table (the first entry strictly greater), which picks partition `i` with
    ///   probability `weight_i / rangeEnd`. The statistics were taken at the last ready
    ///   check, so `partitions` is not consulted.
    /// * Without: uniform, `random % n` over the partitions that have a leader, in
    ///   partition order (the order of Kafka's metadata); if none has a leader, `random %`
    ///   the partition count, used as a partition number as Kafka does.
    ///
    /// `None` when there are no partitions at all (Kafka would divide by zero).
    pub fn next_partition(&self, random: i32, partitions: &[PartitionStatus]) -> Option<i32> {
        let random = to_positive(random);
        if let Some(stats) = &self.load_stats {
            let range_end = *stats.cumulative_frequency_table.last()?;
            if range_end > 0 {
                let weighted = random % range_end;
                let index = stats
                    .cumulative_frequency_table
                    .partition_point(|&bound| bound <= weighted);
                return stats.partition_ids.get(index).copied();
            }
        }

        let mut available: Vec<i32> = partitions
            .iter()
            .filter(|p| p.has_leader)
            .map(|p| p.partition)
            .collect();
        crate::sort::sort(&mut available);
        if available.is_empty() {
            let count = i32::try_from(partitions.len()).ok().filter(|&n| n > 0)?;
            return Some(random % count);
        }
        let index = usize::try_from(random).ok()? % available.len();
        available.get(index).copied()
    }

    /// The load-statistics half of `RecordAccumulator.partitionReady`: collect the queue
    /// length of every partition with a leader, leave out slow leaders when
    /// `partitioner.availability.timeout.ms` is set, and hand the result to
    /// [`update_partition_load_stats`](Self::update_partition_load_stats).
    ///
    /// Statistics are only gathered with adaptive partitioning on and once every partition
    /// has a queue. Queues are visited in partition order (Kafka's map of queues is keyed
    /// by partition number and iterates in that order). Kafka's index bookkeeping is kept
    /// as it is, quirks included, since they decide which partition a draw lands on:
    /// a partition with an empty queue counts as length 0 and is never left out as slow,
    /// and when a slow partition is left out, the slot it freed is taken by the next
    /// partition with a leader, which inherits the slow one's queue length if its own
    /// queue is empty.
    pub fn update_load_stats_from_queues(&mut self, partitions: &[PartitionStatus]) {
        if !self.adaptive || partitions.iter().any(|p| p.queued_batches.is_none()) {
            self.update_partition_load_stats(None, &[], 0);
            return;
        }
        let mut ordered: Vec<&PartitionStatus> = partitions.iter().collect();
        crate::sort::sort_by_key(&mut ordered, |p| p.partition);

        let mut queue_sizes = vec![0; ordered.len()];
        let mut partition_ids = vec![0; ordered.len()];
        // Kafka's `queueSizesIndex + 1`: the slots in use.
        let mut length = 0usize;
        for p in ordered {
            if p.has_leader {
                if let Some(slot) = partition_ids.get_mut(length) {
                    *slot = p.partition;
                }
                length += 1;
            }
            let queued = p.queued_batches.unwrap_or(0);
            if queued == 0 || !p.has_leader {
                continue;
            }
            if let Some(slot) = length.checked_sub(1).and_then(|i| queue_sizes.get_mut(i)) {
                *slot = queued;
            }
            if self.availability_timeout_ms > 0 {
                if let Some(undrained) = p.leader_undrained_ms {
                    if undrained > self.availability_timeout_ms {
                        length = length.saturating_sub(1);
                    }
                }
            }
        }
        self.update_partition_load_stats(Some(&queue_sizes), &partition_ids, length);
    }

    /// `updatePartitionLoadStats`: build the cumulative frequency table from the first
    /// `length` queue sizes (`partition_ids` says whose they are), or drop the statistics
    /// so the next switch is uniform.
    ///
    /// Uniform is used when there are no sizes, when the topic has fewer than two
    /// partitions' worth of entries, when no partition is eligible, and when all queues are
    /// equally long and none was left out (weights would all be equal anyway). Each weight
    /// is `max + 1 - size`, at least 1, so every eligible partition keeps a chance. Sizes
    /// whose sums overflow an `int` (and mismatched slices, which Kafka asserts against)
    /// also give uniform rather than a wrong table.
    pub fn update_partition_load_stats(
        &mut self,
        queue_sizes: Option<&[i32]>,
        partition_ids: &[i32],
        length: usize,
    ) {
        self.load_stats = queue_sizes.and_then(|sizes| load_stats(sizes, partition_ids, length));
    }
}

/// `BuiltInPartitioner.randomPartition`: a non-negative `int`, here from the simulation's
/// generator (its low 32 bits) instead of `ThreadLocalRandom`.
pub fn random_partition(rng: &mut SimRng) -> i32 {
    to_positive(rng.next_u64() as i32)
}

fn load_stats(sizes: &[i32], partition_ids: &[i32], length: usize) -> Option<PartitionLoadStats> {
    if sizes.len() != partition_ids.len() || length > sizes.len() {
        return None;
    }
    if length < 1 || sizes.len() < 2 {
        return None;
    }
    let eligible = sizes.get(..length)?;
    let first = *eligible.first()?;
    let max = eligible.iter().copied().max()?;
    let all_equal = eligible.iter().all(|&size| size == first);
    if all_equal && length == sizes.len() {
        return None;
    }
    let max_plus_1 = max.checked_add(1)?;
    let mut running = 0i32;
    let mut table = Vec::with_capacity(length);
    for &size in eligible {
        running = running.checked_add(max_plus_1.checked_sub(size)?)?;
        table.push(running);
    }
    Some(PartitionLoadStats {
        cumulative_frequency_table: table,
        partition_ids: partition_ids.get(..length)?.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_stats_builds_the_cumulative_table_or_declines() {
        // BuiltInPartitioner's own comment example: sizes 0 3 1 give weights 4 1 3.
        let stats = load_stats(&[0, 3, 1], &[7, 8, 9], 3).unwrap();
        assert_eq!(stats.cumulative_frequency_table, vec![4, 5, 8]);
        assert_eq!(stats.partition_ids, vec![7, 8, 9]);
        // Only the first `length` entries are eligible.
        let stats = load_stats(&[2, 2, 9], &[0, 1, 2], 2).unwrap();
        assert_eq!(stats.cumulative_frequency_table, vec![1, 2]);
        assert_eq!(stats.partition_ids, vec![0, 1]);

        assert_eq!(load_stats(&[1, 1], &[0, 1], 2), None, "all equal");
        assert_eq!(load_stats(&[1], &[0], 1), None, "one partition");
        assert_eq!(load_stats(&[1, 2], &[0, 1], 0), None, "none eligible");
        assert_eq!(load_stats(&[1, 2], &[0], 1), None, "mismatched");
        assert_eq!(load_stats(&[1, 2], &[0, 1], 3), None, "length too long");
        assert_eq!(load_stats(&[i32::MAX, 0], &[0, 1], 2), None, "overflow");
    }

    #[test]
    fn weighted_draw_takes_the_first_bound_strictly_greater() {
        // The comment's example again: draws 0-3 -> first, 4 -> second, 5-7 -> third.
        let mut sticky = StickyPartitioner::new(&PartitionerConfig::default());
        sticky.update_partition_load_stats(Some(&[0, 3, 1]), &[10, 11, 12], 3);
        let picks: Vec<Option<i32>> = (0..8).map(|r| sticky.next_partition(r, &[])).collect();
        let expected = [10, 10, 10, 10, 11, 12, 12, 12].map(Some);
        assert_eq!(picks, expected);
        // 8 wraps to 0.
        assert_eq!(sticky.next_partition(8, &[]), Some(10));
    }

    #[test]
    fn uniform_draw_indexes_available_partitions_in_order() {
        let sticky = StickyPartitioner::new(&PartitionerConfig::default());
        let partitions = [
            PartitionStatus::new(3, true),
            PartitionStatus::new(0, false),
            PartitionStatus::new(1, true),
        ];
        // Available in partition order: [1, 3].
        assert_eq!(sticky.next_partition(0, &partitions), Some(1));
        assert_eq!(sticky.next_partition(1, &partitions), Some(3));
        assert_eq!(sticky.next_partition(4, &partitions), Some(1));
        // Nothing available: `random % count` is used as the partition number.
        let dark = [
            PartitionStatus::new(0, false),
            PartitionStatus::new(1, false),
        ];
        assert_eq!(sticky.next_partition(5, &dark), Some(1));
    }
}
