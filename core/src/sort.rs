//! Stable sorting with one copy of the sort's code.
//!
//! Every `slice::sort_by` with its own closure type is its own copy of the standard sort in the
//! wasm the page downloads: 55 of them came to 37 KiB gzip. These helpers sort a list of
//! indices with one comparator behind `dyn`, so the standard sort is compiled once, and then
//! move the elements into that order. The result is exactly `slice::sort_by`'s (a stable sort's
//! order is unique), so nothing that depends on the order changes.

use std::cmp::Ordering;

/// `v.sort()`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// `v.sort_by(compare)`, stable.
pub fn sort_by<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = sorted_indices(v.len(), &mut |a, b| compare(&v[a], &v[b]));
    permute(v, order);
}

/// `v.sort_by_key(key)`, stable.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// The indices `0..len` in the order `compare` puts the elements they stand for, stable.
#[inline(never)]
fn sorted_indices(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..len).collect();
    indices.sort_by(|&a, &b| compare(a, b));
    indices
}

/// Rearranges `v` so that its element `i` is the one that was at `order[i]`, by following
/// each cycle of the permutation with swaps.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..v.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    #[test]
    fn sorts_exactly_as_the_standard_stable_sort() {
        for seed in 0..300 {
            let mut rng = SimRng::new(seed);
            let len = rng.below(40) as usize;
            // Pairs with many equal keys, so stability is visible in the second field.
            let original: Vec<(u64, usize)> = (0..len).map(|i| (rng.below(6), i)).collect();
            let mut expected = original.clone();
            expected.sort_by_key(|p| p.0);
            let mut got = original.clone();
            sort_by_key(&mut got, |p| p.0);
            assert_eq!(got, expected, "seed {seed}");
            let mut expected = original.clone();
            expected.sort_by_key(|p| std::cmp::Reverse(p.0));
            let mut got = original.clone();
            sort_by(&mut got, |a, b| b.0.cmp(&a.0));
            assert_eq!(got, expected, "seed {seed}");
            let mut expected = original.clone();
            expected.sort();
            let mut got = original;
            sort(&mut got);
            assert_eq!(got, expected, "seed {seed}");
        }
    }
}
