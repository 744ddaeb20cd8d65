//! Java-runtime determinism primitives.
//!
//! Several Kafka outcomes depend on details of the Java runtime rather than on Kafka's own
//! logic: the exact number sequence of `java.util.Random`, the permutation
//! `Collections.shuffle` produces from it, `String.hashCode`, the ordering of
//! `String.compareTo` and the iteration order of a `java.util.HashMap`. This module
//! reimplements those pieces bit-for-bit so the simulation can reproduce Kafka's choices.
//!
//! Everything here is pure: random sources are explicit values that the caller owns and
//! seeds; nothing reads a clock or the OS.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// A source of pseudo-random numbers with the contract of `java.util.Random`.
///
/// An implementation only supplies [`next_bits`](RandomSource::next_bits), the equivalent
/// of the protected `Random.next(int bits)`. Every other method is derived from it exactly
/// as `java.util.Random` derives them, so a subclass that overrides only `next` (such as
/// Kafka's test `MockRandom`) is reproduced by implementing only `next_bits`.
pub trait RandomSource {
    /// `Random.next(bits)`: the next pseudo-random value holding `bits` random low-order
    /// bits. Java callers only ever pass 1 to 32; implementations clamp `bits` to that range.
    fn next_bits(&mut self, bits: u32) -> i32;

    /// `Random.nextInt()`: a uniformly distributed `int`, i.e. `next(32)`.
    fn next_int(&mut self) -> i32 {
        self.next_bits(32)
    }

    /// `Random.nextInt(bound)`, with the legacy algorithm that `java.util.Random` still
    /// uses for compatibility: draw `r = next(31)`; when `bound` is a power of two return
    /// `(bound * r) >> 31`, otherwise reject and redraw while `r - r % bound + (bound - 1)`
    /// overflows an `int`, and return `r % bound`.
    ///
    /// Returns `None` where Java throws `IllegalArgumentException` (`bound <= 0`); no
    /// number is drawn then.
    fn next_int_bounded(&mut self, bound: i32) -> Option<i32> {
        if bound <= 0 {
            return None;
        }
        let mut r = self.next_bits(31);
        let m = bound - 1;
        if bound & m == 0 {
            // Power of two: take the high-order bits, which are the better ones in an LCG.
            // r < 2^31 and bound <= 2^30, so the product fits in an i64 and the shifted
            // result is below `bound`.
            return Some(((i64::from(bound) * i64::from(r)) >> 31) as i32);
        }
        // Java: for (int u = r; u - (r = u % bound) + m < 0; u = next(31));
        // The test relies on int overflow, so it is done with wrapping arithmetic.
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return Some(r);
            }
            u = self.next_bits(31);
        }
    }

    /// `Random.nextLong()`: `((long) next(32) << 32) + next(32)`, the second value
    /// sign-extended as in Java.
    fn next_long(&mut self) -> i64 {
        let high = i64::from(self.next_bits(32));
        let low = i64::from(self.next_bits(32));
        (high << 32).wrapping_add(low)
    }

    /// `Random.nextBoolean()`: `next(1) != 0`.
    fn next_boolean(&mut self) -> bool {
        self.next_bits(1) != 0
    }

    /// `Random.nextDouble()`: 53 random bits, `((long) next(26) << 27) + next(27)`, scaled
    /// by 2^-53 into `[0, 1)`.
    fn next_double(&mut self) -> f64 {
        let high = i64::from(self.next_bits(26));
        let low = i64::from(self.next_bits(27));
        ((high << 27) + low) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn next_bits(&mut self, bits: u32) -> i32 {
        (**self).next_bits(bits)
    }
}

const LCG_MULTIPLIER: u64 = 0x5_DEEC_E66D;
const LCG_INCREMENT: u64 = 0xB;
const LCG_MASK: u64 = (1 << 48) - 1;

/// `java.util.Random`: the 48-bit linear congruential generator of the JDK.
///
/// `JavaRandom::new(seed)` is `new Random(seed)`: the seed is scrambled with the
/// multiplier (`(seed ^ 0x5DEECE66D) & (2^48 - 1)`) before the first draw, and each
/// `next(bits)` advances `seed = seed * 0x5DEECE66D + 0xB (mod 2^48)` and returns the top
/// `bits` of the 48-bit state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JavaRandom {
    /// The (already scrambled) 48-bit internal state.
    state: u64,
}

impl JavaRandom {
    /// `new Random(seed)`.
    pub fn new(seed: i64) -> Self {
        let mut random = JavaRandom { state: 0 };
        random.set_seed(seed);
        random
    }

    /// `Random.setSeed(seed)`: resets the generator as if freshly built with `seed`.
    pub fn set_seed(&mut self, seed: i64) {
        self.state = (seed as u64 ^ LCG_MULTIPLIER) & LCG_MASK;
    }
}

impl RandomSource for JavaRandom {
    fn next_bits(&mut self, bits: u32) -> i32 {
        let bits = bits.clamp(1, 32);
        self.state = self
            .state
            .wrapping_mul(LCG_MULTIPLIER)
            .wrapping_add(LCG_INCREMENT)
            & LCG_MASK;
        // `(int) (seed >>> (48 - bits))`: keep the low 32 bits of the shifted state.
        (self.state >> (48 - bits)) as u32 as i32
    }
}

/// Kafka's test `MockRandom` (`server-common/src/test/java/org/apache/kafka/server/util/MockRandom.java`),
/// a `java.util.Random` subclass whose `next(bits)` is a plain 64-bit LCG:
/// `state = state * 2862933555777941757 + 3037000493; return (int) (state >>> (64 - bits))`.
///
/// Kafka's placement tests use `new MockRandom()`, whose initial state is 17 (see
/// [`MockRandom::default`]). All other methods (`nextInt(bound)`, `Collections.shuffle`)
/// come from `java.util.Random` on top of this `next`, as with [`RandomSource`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MockRandom {
    state: i64,
}

impl MockRandom {
    /// The state `new MockRandom()` starts from.
    pub const DEFAULT_STATE: i64 = 17;

    /// `new MockRandom(state)`. The state is used as is (no scrambling).
    pub fn new(state: i64) -> Self {
        MockRandom { state }
    }
}

impl Default for MockRandom {
    /// `new MockRandom()`, i.e. `new MockRandom(17)`.
    fn default() -> Self {
        MockRandom::new(Self::DEFAULT_STATE)
    }
}

impl RandomSource for MockRandom {
    fn next_bits(&mut self, bits: u32) -> i32 {
        let bits = bits.clamp(1, 32);
        self.state = self
            .state
            .wrapping_mul(2_862_933_555_777_941_757)
            .wrapping_add(3_037_000_493);
        ((self.state as u64) >> (64 - bits)) as u32 as i32
    }
}

/// `Collections.shuffle(list, rnd)`: for `i` from the size down to 2, swap element `i - 1`
/// with element `rnd.nextInt(i)`.
///
/// This is the permutation the JDK produces for every list (it copies non-random-access
/// lists into an array and runs the same loop). A Java list cannot hold more than
/// `i32::MAX` elements; a longer slice only has its first `i32::MAX` elements shuffled.
pub fn shuffle<T, R: RandomSource + ?Sized>(list: &mut [T], rnd: &mut R) {
    let len = list.len().min(i32::MAX as usize);
    for i in (2..=len).rev() {
        // `i` is in 2..=i32::MAX, so the bound is positive and the draw always succeeds.
        if let Some(j) = rnd.next_int_bounded(i as i32) {
            list.swap(i - 1, j as usize);
        }
    }
}

/// `String.hashCode()`: `h = 31 * h + c` over the UTF-16 code units of `s`, wrapping
/// on `int` overflow. The empty string hashes to 0.
pub fn string_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// Kafka's `Utils.abs(n)` (`clients/src/main/java/org/apache/kafka/common/utils/Utils.java`):
/// the absolute value, except that `Integer.MIN_VALUE` (whose absolute value does not fit)
/// maps to 0.
pub fn utils_abs(n: i32) -> i32 {
    if n == i32::MIN {
        0
    } else {
        n.abs()
    }
}

/// `a.compareTo(b)` for Java strings, as an [`Ordering`]: lexicographic over UTF-16 code
/// units. This differs from Rust's `str` ordering (by code point) when a character above
/// U+FFFF meets one in U+E000..=U+FFFF: Java sorts the surrogate pair first.
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `HashMap.hash(key)`: the key's `hashCode()` with its high half XORed into the low half,
/// `h ^ (h >>> 16)`. The table bucket is `spread(h) & (capacity - 1)`.
pub fn hash_map_spread(hash_code: i32) -> i32 {
    hash_code ^ ((hash_code as u32) >> 16) as i32
}

/// The iteration order of a `java.util.HashMap` (or `HashSet`) created with its default
/// capacity (`new HashMap<>()`) into which distinct keys with these `hashCode()`s were
/// `put` in slice order. Returns indices into `hash_codes`, in the order `keySet()`,
/// `values()` and `entrySet()` visit the keys.
///
/// The model: the table starts at 16 buckets; it doubles whenever the size exceeds 3/4 of
/// the capacity, and also when a key is appended to a bucket that already holds 8 keys
/// while the table is smaller than 64 buckets (`treeifyBin` resizes instead of building a
/// tree). A bucket is a linked list kept in insertion order, and resizing splits buckets
/// without reordering, so the final order is: by bucket `spread(hash) & (capacity - 1)` in
/// the final table, ties by insertion order.
///
/// Not modelled: a bucket that grows past 8 keys in a table of 64 or more buckets becomes
/// a red-black tree whose iteration order depends on the keys' `compareTo` (or, for
/// non-`Comparable` keys such as `Optional`, on identity hash codes, which are not
/// reproducible at all). That needs at least 9 keys with equal bucket bits in a large
/// table; this function keeps insertion order within such a bucket.
///
/// Maps built differently (`new HashMap<>(otherMap)`, `putAll` into an empty map, an
/// explicit initial capacity) start from another table size and need another model.
pub fn hash_map_iteration_order(hash_codes: &[i32]) -> Vec<usize> {
    const TREEIFY_THRESHOLD: usize = 8;
    const MIN_TREEIFY_CAPACITY: u64 = 64;
    let spread: Vec<u32> = hash_codes
        .iter()
        .map(|&h| hash_map_spread(h) as u32)
        .collect();
    // Capacities are powers of two no larger than 2^31 (twice the number of keys at most
    // once past the treeify threshold), so u64 arithmetic cannot overflow.
    let mut capacity: u64 = 16;
    for (size, &hash) in spread.iter().enumerate() {
        let mask = capacity - 1;
        let bucket = u64::from(hash) & mask;
        let already_in_bucket = spread[..size]
            .iter()
            .filter(|&&other| u64::from(other) & mask == bucket)
            .count();
        if already_in_bucket >= TREEIFY_THRESHOLD && capacity < MIN_TREEIFY_CAPACITY {
            capacity *= 2;
        }
        // `++size > threshold` with threshold = 3/4 of the capacity.
        if (size as u64 + 1) * 4 > capacity * 3 {
            capacity *= 2;
        }
    }
    let mask = capacity - 1;
    let mut order: Vec<usize> = (0..hash_codes.len()).collect();
    // A stable sort keeps insertion order among keys of the same bucket.
    crate::sort::sort_by_key(&mut order, |&i| u64::from(spread[i]) & mask);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values below were printed by OpenJDK 17 (`java.util.Random`,
    // `Collections.shuffle`, `String.hashCode`, `String.compareTo`).

    #[test]
    fn java_random_next_int_matches_jdk() {
        assert_eq!(JavaRandom::new(42).next_int(), -1_170_105_035);
        let mut random = JavaRandom::new(0);
        let ints: Vec<i32> = (0..5).map(|_| random.next_int()).collect();
        assert_eq!(
            ints,
            [
                -1_155_484_576,
                -723_955_400,
                1_033_096_058,
                -1_690_734_402,
                -1_557_280_266
            ]
        );
    }

    #[test]
    fn java_random_next_int_bounded_matches_jdk() {
        let mut random = JavaRandom::new(42);
        let draws: Vec<i32> = (0..10)
            .filter_map(|_| random.next_int_bounded(10))
            .collect();
        assert_eq!(draws, [0, 3, 8, 4, 0, 5, 5, 8, 9, 3]);

        // Power-of-two bound: the (bound * r) >> 31 branch.
        let mut random = JavaRandom::new(42);
        let draws: Vec<i32> = (0..5).filter_map(|_| random.next_int_bounded(16)).collect();
        assert_eq!(draws, [11, 0, 10, 0, 4]);

        // A bound just above 2^30 makes the rejection loop redraw often.
        let mut random = JavaRandom::new(-1);
        let draws: Vec<i32> = (0..5)
            .filter_map(|_| random.next_int_bounded(1_000_000_007))
            .collect();
        assert_eq!(
            draws,
            [
                577_549_913,
                943_952_225,
                26_349_579,
                176_895_432,
                421_815_597
            ]
        );
    }

    #[test]
    fn java_random_rejects_non_positive_bounds_without_drawing() {
        let mut random = JavaRandom::new(42);
        assert_eq!(random.next_int_bounded(0), None);
        assert_eq!(random.next_int_bounded(-5), None);
        assert_eq!(random.next_int(), -1_170_105_035);
    }

    #[test]
    fn java_random_other_draws_match_jdk() {
        let mut random = JavaRandom::new(42);
        assert_eq!(random.next_long(), -5_025_562_857_975_149_833);
        assert!(random.next_boolean());
        assert_eq!(random.next_double(), 0.047_939_305_137_387_644);
    }

    #[test]
    fn set_seed_restarts_the_sequence() {
        let mut random = JavaRandom::new(7);
        random.next_long();
        random.set_seed(42);
        assert_eq!(random, JavaRandom::new(42));
        assert_eq!(random.next_int(), -1_170_105_035);
    }

    #[test]
    fn mock_random_matches_kafka_test_class() {
        let mut mock = MockRandom::default();
        let ints: Vec<i32> = (0..5).map(|_| mock.next_int()).collect();
        assert_eq!(
            ints,
            [
                -1_553_064_625,
                -1_379_575_778,
                649_309_754,
                -422_816_401,
                874_314_300
            ]
        );
        let mut mock = MockRandom::new(17);
        let draws: Vec<i32> = (1..=8).filter_map(|b| mock.next_int_bounded(b)).collect();
        assert_eq!(draws, [0, 1, 1, 3, 0, 4, 5, 5]);
        let mut mock = MockRandom::new(17);
        let draws: Vec<i32> = (0..5)
            .filter_map(|_| mock.next_int_bounded((1 << 30) | 1))
            .collect();
        assert_eq!(
            draws,
            [
                324_654_877,
                437_157_150,
                451_014_632,
                272_681_878,
                781_899_194
            ]
        );
    }

    #[test]
    fn shuffle_matches_collections_shuffle() {
        let mut list: Vec<i32> = (0..10).collect();
        shuffle(&mut list, &mut JavaRandom::new(42));
        assert_eq!(list, [4, 6, 2, 1, 7, 9, 8, 5, 3, 0]);

        let mut list: Vec<i32> = (0..10).collect();
        shuffle(&mut list, &mut MockRandom::default());
        assert_eq!(list, [7, 2, 3, 8, 6, 0, 9, 1, 4, 5]);
    }

    #[test]
    fn shuffle_of_short_lists_draws_nothing() {
        let mut random = JavaRandom::new(42);
        let mut empty: [i32; 0] = [];
        shuffle(&mut empty, &mut random);
        let mut single = [9];
        shuffle(&mut single, &mut random);
        assert_eq!(single, [9]);
        assert_eq!(random.next_int(), -1_170_105_035);
    }

    #[test]
    fn string_hash_code_matches_jdk() {
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("hello"), 99_162_322);
        // Colliding strings, the classic example.
        assert_eq!(string_hash_code("Aa"), 2112);
        assert_eq!(string_hash_code("BB"), 2112);
        // Non-ASCII, and a character outside the BMP (hashed as two surrogates).
        assert_eq!(string_hash_code("héllo wörld"), 1_628_148_953);
        assert_eq!(string_hash_code("\u{1F600}"), 1_772_899);
        // The well-known string whose hash code is Integer.MIN_VALUE.
        assert_eq!(string_hash_code("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn utils_abs_maps_min_value_to_zero() {
        assert_eq!(utils_abs(0), 0);
        assert_eq!(utils_abs(5), 5);
        assert_eq!(utils_abs(-5), 5);
        assert_eq!(utils_abs(i32::MAX), i32::MAX);
        assert_eq!(utils_abs(-i32::MAX), i32::MAX);
        assert_eq!(utils_abs(i32::MIN), 0);
        assert_eq!(utils_abs(string_hash_code("polygenelubricants")), 0);
    }

    #[test]
    fn compare_strings_uses_utf16_order() {
        assert_eq!(compare_strings("a", "ab"), Ordering::Less);
        assert_eq!(compare_strings("b", "a"), Ordering::Greater);
        assert_eq!(compare_strings("rack1", "rack1"), Ordering::Equal);
        // U+FF61 sorts after U+1F600 in Java (0xFF61 > 0xD83D) but before it in Rust.
        assert_eq!(compare_strings("\u{FF61}", "\u{1F600}"), Ordering::Greater);
        assert!("\u{FF61}" < "\u{1F600}");
    }

    #[test]
    fn hash_map_order_sorts_by_bucket_then_insertion() {
        let hashes =
            |keys: &[&str]| -> Vec<i32> { keys.iter().map(|k| string_hash_code(k)).collect() };
        // "1", "3", "2" hash to 49, 51, 50: buckets 1, 3, 2 of 16.
        assert_eq!(
            hash_map_iteration_order(&hashes(&["1", "3", "2"])),
            [0, 2, 1]
        );
        // "Aa" and "BB" collide: insertion order decides.
        assert_eq!(hash_map_iteration_order(&hashes(&["BB", "Aa"])), [0, 1]);
        // Hash 16 shares bucket 0 with hash 0 in a 16-bucket table.
        assert_eq!(hash_map_iteration_order(&[16, 1, 0]), [0, 2, 1]);
        assert!(hash_map_iteration_order(&[]).is_empty());
    }

    #[test]
    fn hash_map_order_follows_resizes() {
        // 13 keys push the table to 32 buckets: hash 16 moves behind hash 15.
        let mut codes: Vec<i32> = vec![16];
        codes.extend(0..12);
        codes.push(15);
        let order: Vec<i32> = hash_map_iteration_order(&codes)
            .into_iter()
            .map(|i| codes[i])
            .collect();
        assert_eq!(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16]);

        // Nine keys in one bucket of a 16-bucket table force a resize to 32 instead of a
        // tree: 16 and 48 then land in bucket 16, behind 32 (bucket 0).
        let codes = [0, 16, 32, 48, 64, 80, 96, 112, 128];
        let order: Vec<i32> = hash_map_iteration_order(&codes)
            .into_iter()
            .map(|i| codes[i])
            .collect();
        assert_eq!(order, [0, 32, 64, 96, 128, 16, 48, 80, 112]);

        // spread() folds the high half in: 0x10000 lands in bucket 1, not 0.
        assert_eq!(hash_map_spread(0x10000), 0x10001);
        assert_eq!(hash_map_iteration_order(&[0x10000, 0]), [1, 0]);
    }
}
