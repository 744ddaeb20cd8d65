//! The pieces of Java runtime behaviour the assignors depend on beyond [`crate::java`]:
//! hash tables that start presized or lose entries, `TopicPartition.hashCode`, Kafka's
//! `Uuid`, and `String.compareTo` as an `Ord` key.
//!
//! [`crate::java::hash_map_iteration_order`] models a table built by `put`s into a
//! default-capacity `HashMap`. Kafka's assignors also iterate tables created with a size
//! hint (`new HashSet<>(collection)`) and a `HashSet` that loses and regains entries while
//! it is read (the sticky assignor's partition movements); those two shapes are modelled
//! here with the same rules (bucket order in the final table, insertion order inside a
//! bucket, resize when the size passes 3/4 of the capacity or a bucket passes 8 entries
//! below 64 buckets).

use std::cmp::Ordering;

use crate::command::TopicPartition;
use crate::java::{compare_strings, hash_map_spread, string_hash_code};

/// `TREEIFY_THRESHOLD`: a bucket this full makes a small table grow instead of holding more.
const TREEIFY_THRESHOLD: usize = 8;
/// `MIN_TREEIFY_CAPACITY`.
const MIN_TREEIFY_CAPACITY: u64 = 64;
/// `MAXIMUM_CAPACITY`.
const MAXIMUM_CAPACITY: u64 = 1 << 30;

/// `HashMap.tableSizeFor(cap)`: the power of two the table of `new HashMap<>(cap)` gets.
pub(crate) fn table_size_for(cap: usize) -> u64 {
    (cap.max(1) as u64)
        .checked_next_power_of_two()
        .unwrap_or(MAXIMUM_CAPACITY)
        .min(MAXIMUM_CAPACITY)
}

/// The table capacity of `new HashSet<>(collection)` for a collection of `len` elements:
/// `new HashMap<>(max((int) (len / .75f) + 1, 16))`.
pub(crate) fn presized_capacity(len: usize) -> u64 {
    table_size_for(((len as f32 / 0.75f32) as usize + 1).max(16))
}

/// The next capacity after a `put` into a table of `capacity` buckets that already held
/// `keys` (whose spread hashes are given) and receives one with spread hash `hash`.
fn grow_after_put(capacity: u64, keys: impl Iterator<Item = u32>, hash: u32) -> u64 {
    let mask = capacity - 1;
    let bucket = u64::from(hash) & mask;
    let mut size = 0usize;
    let mut in_bucket = 0usize;
    for other in keys {
        size += 1;
        if u64::from(other) & mask == bucket {
            in_bucket += 1;
        }
    }
    let mut capacity = capacity;
    if in_bucket >= TREEIFY_THRESHOLD && capacity < MIN_TREEIFY_CAPACITY {
        capacity *= 2;
    }
    // `++size > threshold`, threshold = 3/4 of the capacity.
    if (size as u64 + 1) * 4 > capacity * 3 && capacity < MAXIMUM_CAPACITY {
        capacity *= 2;
    }
    capacity
}

/// The iteration order of a hash table whose first table has `initial_capacity` buckets
/// and into which distinct keys with these `hashCode()`s were put in slice order. Returns
/// indices into `hash_codes`. With `initial_capacity = 16` this is
/// [`crate::java::hash_map_iteration_order`].
pub(crate) fn hash_order_from(hash_codes: &[i32], initial_capacity: u64) -> Vec<usize> {
    let spread: Vec<u32> = hash_codes
        .iter()
        .map(|&h| hash_map_spread(h) as u32)
        .collect();
    let mut capacity = initial_capacity.clamp(1, MAXIMUM_CAPACITY);
    for (size, &hash) in spread.iter().enumerate() {
        capacity = grow_after_put(capacity, spread[..size].iter().copied(), hash);
    }
    let mask = capacity - 1;
    let mut order: Vec<usize> = (0..hash_codes.len()).collect();
    crate::sort::sort_by_key(&mut order, |&i| u64::from(spread[i]) & mask);
    order
}

/// The iteration order of a default `HashMap` filled by `computeIfAbsent` with distinct
/// keys with these `hashCode()`s, in slice order (as `CollectionUtils.groupPartitionsByTopic`
/// fills one). Unlike `put`, `computeIfAbsent` links a new key at the head of its bucket and
/// grows the table before an insertion, once the size has passed the threshold, so the order
/// differs from [`crate::java::hash_map_iteration_order`]. Returns indices into `hash_codes`.
pub(crate) fn compute_if_absent_order(hash_codes: &[i32]) -> Vec<usize> {
    let spread: Vec<u32> = hash_codes
        .iter()
        .map(|&h| hash_map_spread(h) as u32)
        .collect();
    let mut table: Vec<Vec<usize>> = vec![Vec::new(); 16];
    let resize = |table: &mut Vec<Vec<usize>>| {
        let old = table.len();
        let mut grown: Vec<Vec<usize>> = vec![Vec::new(); old * 2];
        for bucket in table.iter() {
            for &key in bucket {
                grown[spread[key] as usize & (old * 2 - 1)].push(key);
            }
        }
        *table = grown;
    };
    for (size, &hash) in spread.iter().enumerate() {
        if (size as u64) * 4 > table.len() as u64 * 3 && (table.len() as u64) < MAXIMUM_CAPACITY {
            resize(&mut table);
        }
        let bucket = hash as usize & (table.len() - 1);
        let already_in_bucket = table[bucket].len();
        table[bucket].insert(0, size);
        if already_in_bucket >= TREEIFY_THRESHOLD - 1 && (table.len() as u64) < MIN_TREEIFY_CAPACITY
        {
            resize(&mut table);
        }
    }
    table.into_iter().flatten().collect()
}

/// A `java.util.HashSet` created with `new HashSet<>()` that can lose entries, as far as
/// its iteration order goes: entries sit in their bucket in insertion order, removing one
/// leaves the others in place, and the table never shrinks.
#[derive(Clone, Debug)]
pub(crate) struct JavaHashSet<T> {
    /// Live entries in insertion order, with their spread hash.
    entries: Vec<(T, u32)>,
    capacity: u64,
}

impl<T: PartialEq> JavaHashSet<T> {
    pub(crate) fn new() -> Self {
        JavaHashSet {
            entries: Vec::new(),
            capacity: 16,
        }
    }

    /// `add`: a value already present keeps its place.
    pub(crate) fn insert(&mut self, value: T, hash_code: i32) {
        if self.entries.iter().any(|(v, _)| *v == value) {
            return;
        }
        let hash = hash_map_spread(hash_code) as u32;
        self.capacity = grow_after_put(self.capacity, self.entries.iter().map(|e| e.1), hash);
        self.entries.push((value, hash));
    }

    pub(crate) fn remove(&mut self, value: &T) {
        self.entries.retain(|(v, _)| v != value);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `iterator().next()`: the entry in the lowest bucket, the oldest one there.
    pub(crate) fn first(&self) -> Option<&T> {
        let mask = self.capacity - 1;
        self.entries
            .iter()
            .enumerate()
            .min_by_key(|(i, (_, hash))| (u64::from(*hash) & mask, *i))
            .map(|(_, (value, _))| value)
    }
}

/// `TopicPartition.hashCode()`: `31 * (31 + partition) + topic.hashCode()`.
pub(crate) fn topic_partition_hash(tp: &TopicPartition) -> i32 {
    31i32
        .wrapping_add(tp.partition)
        .wrapping_mul(31)
        .wrapping_add(string_hash_code(&tp.topic))
}

/// `TopicPartition` order of Kafka's `TopicPartitionComparator`: topic by
/// `String.compareTo`, then partition.
pub(crate) fn cmp_topic_partition(a: &TopicPartition, b: &TopicPartition) -> Ordering {
    compare_strings(&a.topic, &b.topic).then(a.partition.cmp(&b.partition))
}

/// A string ordered as Java's `String.compareTo` orders it, for `SortedSet`/`SortedMap`
/// keys that stand in for Java `TreeSet`s and sorts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JavaString(pub String);

impl Ord for JavaString {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_strings(&self.0, &other.0)
    }
}

impl PartialOrd for JavaString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Kafka's `org.apache.kafka.common.Uuid`: two signed longs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Uuid {
    pub(crate) most: i64,
    pub(crate) least: i64,
}

impl Uuid {
    /// `Uuid.fromString`: 16 bytes in base64url, padding optional. `None` when the text is
    /// not that.
    pub(crate) fn parse(text: &str) -> Option<Uuid> {
        let text = text.trim_end_matches('=');
        if text.len() != 22 {
            return None;
        }
        let mut bits: u128 = 0;
        for (i, c) in text.bytes().enumerate() {
            let value = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' => 62,
                b'_' => 63,
                _ => return None,
            };
            // 22 characters carry 132 bits: the last character's low 4 bits fill no byte
            // and are dropped, as the JDK decoder drops them.
            bits = if i < 21 {
                (bits << 6) | u128::from(value)
            } else {
                (bits << 2) | u128::from(value >> 4)
            };
        }
        Some(Uuid {
            most: (bits >> 64) as u64 as i64,
            least: bits as u64 as i64,
        })
    }

    /// `Uuid.hashCode()`.
    pub(crate) fn hash_code(self) -> i32 {
        let xor = self.most ^ self.least;
        ((xor >> 32) as i32) ^ (xor as i32)
    }

    /// `Uuid.compareTo`: the most significant long, then the least, both signed.
    pub(crate) fn java_cmp(self, other: Uuid) -> Ordering {
        self.most
            .cmp(&other.most)
            .then(self.least.cmp(&other.least))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::java::hash_map_iteration_order;

    #[test]
    fn presized_tables_match_the_jdk_sizes() {
        assert_eq!(table_size_for(0), 1);
        assert_eq!(table_size_for(3), 4);
        assert_eq!(table_size_for(16), 16);
        assert_eq!(table_size_for(17), 32);
        assert_eq!(presized_capacity(0), 16);
        assert_eq!(presized_capacity(11), 16);
        assert_eq!(presized_capacity(12), 32);
    }

    #[test]
    fn default_capacity_order_is_the_java_module_model() {
        let codes: Vec<i32> = (0..40)
            .map(|i| string_hash_code(&format!("m{i}")))
            .collect();
        assert_eq!(
            hash_order_from(&codes, 16),
            hash_map_iteration_order(&codes)
        );
    }

    #[test]
    fn compute_if_absent_order_matches_the_jdk() {
        // Printed by OpenJDK 17: `map.computeIfAbsent(key, ...)` for each key, then keySet().
        let cases: [(&[&str], &[&str]); 4] = [
            (&["orders", "C#", "topic1"], &["topic1", "C#", "orders"]),
            (
                &[
                    "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11",
                    "t12", "t13",
                ],
                &[
                    "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t12", "t11", "t13", "t0", "t1",
                    "t2", "t3",
                ],
            ),
            (
                &[
                    "Aa", "BB", "AaAa", "AaBB", "BBAa", "BBBB", "AaAaAa", "x", "y", "z", "q", "w",
                    "e", "r", "t", "u", "i",
                ],
                &[
                    "AaAaAa", "BB", "Aa", "e", "i", "q", "r", "t", "u", "w", "x", "y", "z", "BBBB",
                    "BBAa", "AaBB", "AaAa",
                ],
            ),
            (
                &[
                    "a", "q", "0", "P", "`", "p", "@", "A", "Q", "1", "!", "A!", "B", "R",
                ],
                &[
                    "A!", "@", "`", "!", "A", "a", "B", "p", "P", "0", "1", "Q", "q", "R",
                ],
            ),
        ];
        for (keys, expected) in cases {
            let codes: Vec<i32> = keys.iter().map(|k| string_hash_code(k)).collect();
            let order: Vec<&str> = compute_if_absent_order(&codes)
                .into_iter()
                .map(|i| keys[i])
                .collect();
            assert_eq!(order, expected);
        }
    }

    #[test]
    fn a_set_keeps_bucket_then_insertion_order_across_removals() {
        let mut set = JavaHashSet::new();
        set.insert(17, 17); // bucket 1
        set.insert(1, 1); // bucket 1, after 17
        set.insert(2, 2);
        assert_eq!(set.first(), Some(&17));
        set.remove(&17);
        assert_eq!(set.first(), Some(&1));
        set.insert(17, 17); // back at the end of bucket 1
        assert_eq!(set.first(), Some(&1));
        set.remove(&1);
        set.remove(&17);
        assert_eq!(set.first(), Some(&2));
        set.remove(&2);
        assert!(set.is_empty());
        assert_eq!(set.first(), None);
    }

    #[test]
    fn topic_partition_hash_matches_java() {
        // new TopicPartition("topic", 0).hashCode() == 961 + "topic".hashCode()
        let tp = TopicPartition::new("topic", 0);
        assert_eq!(
            topic_partition_hash(&tp),
            961i32.wrapping_add(string_hash_code("topic"))
        );
    }

    #[test]
    fn uuid_parses_kafka_base64() {
        // Uuid.ONE_UUID prints as AAAAAAAAAAAAAAAAAAAAAQ.
        let one = Uuid::parse("AAAAAAAAAAAAAAAAAAAAAQ").unwrap();
        assert_eq!(one, Uuid { most: 0, least: 1 });
        assert_eq!(one.hash_code(), 1);
        assert!(Uuid::parse("short").is_none());
        assert!(Uuid::parse("AAAAAAAAAAAAAAAAAAAA!Q").is_none());
        let max = Uuid::parse("_____________________w").unwrap();
        assert_eq!(
            max,
            Uuid {
                most: -1,
                least: -1
            }
        );
        assert_eq!(max.java_cmp(one), Ordering::Less);
    }
}
