//! An append-mostly vector whose clones share everything but a short tail.
//!
//! The timeline keeps snapshots of the whole simulation, and a snapshot is a clone. Logs grow
//! for the whole run (partition logs, the metadata log, the writes a client saw acknowledged);
//! a log behind a plain `Arc<Vec<_>>` is copied whole the first time it grows after a
//! snapshot, so every snapshot would cost O(records). [`ChunkedVec`] keeps its elements in
//! sealed chunks of [`CHUNK`] elements that are never written again, shared by every clone,
//! and one tail chunk that is copied only when it is written while shared. A clone costs one
//! pointer per chunk; an append after a snapshot copies at most `CHUNK - 1` elements.
//!
//! It supports what logs do: append at the end, truncate the end (a follower's divergence
//! truncation, Raft truncation) and drop a prefix (the log start offset moving forward).

use std::ops::{Index, Range};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Elements per sealed chunk.
pub const CHUNK: usize = 64;

#[derive(Clone)]
pub struct ChunkedVec<T> {
    /// Sealed chunks of exactly `CHUNK` elements each.
    chunks: Vec<Arc<[T]>>,
    /// How many elements at the front of `chunks[0]` are no longer part of the vector
    /// (always below `CHUNK`, and 0 when there are no chunks).
    skip: usize,
    /// The unsealed end: fewer than `CHUNK` elements.
    tail: Arc<Vec<T>>,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            chunks: Vec::new(),
            skip: 0,
            tail: Arc::new(Vec::new()),
        }
    }
}

impl<T> ChunkedVec<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.chunks.len() * CHUNK - self.skip + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where element `index` is: `(chunk, position)`, with `chunk == chunks.len()` for the tail.
    fn locate(&self, index: usize) -> (usize, usize) {
        let physical = index + self.skip;
        (physical / CHUNK, physical % CHUNK)
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len() {
            return None;
        }
        let (chunk, at) = self.locate(index);
        match self.chunks.get(chunk) {
            Some(c) => c.get(at),
            None => self.tail.get(at),
        }
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn iter(&self) -> Iter<'_, T> {
        self.range(0..self.len())
    }

    /// The elements in `range`, clamped to the vector.
    pub fn range(&self, range: Range<usize>) -> Iter<'_, T> {
        let back = range.end.min(self.len());
        Iter {
            vec: self,
            front: range.start.min(back),
            back,
        }
    }
}

impl<T: Clone> ChunkedVec<T> {
    pub fn push(&mut self, value: T) {
        Arc::make_mut(&mut self.tail).push(value);
        if self.tail.len() == CHUNK {
            let full = Arc::unwrap_or_clone(std::mem::take(&mut self.tail));
            self.chunks.push(full.into());
        }
    }

    pub fn extend(&mut self, values: impl IntoIterator<Item = T>) {
        for value in values {
            self.push(value);
        }
    }

    /// Keeps the first `len` elements.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len() {
            return;
        }
        let (chunk, at) = self.locate(len);
        if chunk >= self.chunks.len() {
            Arc::make_mut(&mut self.tail).truncate(at);
            return;
        }
        // The new end falls inside a sealed chunk: its kept part becomes the tail.
        let from = if chunk == 0 { self.skip } else { 0 };
        let kept: Vec<T> = self.chunks[chunk][from..at].to_vec();
        self.chunks.truncate(chunk);
        if self.chunks.is_empty() {
            self.skip = 0;
        }
        self.tail = Arc::new(kept);
    }

    /// Removes the elements from `at` on and returns them.
    pub fn split_off(&mut self, at: usize) -> Vec<T> {
        let removed = self.range(at..self.len()).cloned().collect();
        self.truncate(at);
        removed
    }

    /// Removes the first `count` elements.
    pub fn remove_prefix(&mut self, count: usize) {
        let count = count.min(self.len());
        let (whole, at) = self.locate(count);
        let whole = whole.min(self.chunks.len());
        self.chunks.drain(..whole);
        if self.chunks.is_empty() {
            // What is left to drop is at the front of the tail.
            let in_tail = count + self.skip - whole * CHUNK;
            self.skip = 0;
            if in_tail > 0 {
                Arc::make_mut(&mut self.tail).drain(..in_tail);
            }
        } else {
            self.skip = at;
        }
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

/// The elements of a [`ChunkedVec`] in order (or a range of them), from either end.
#[derive(Clone)]
pub struct Iter<'a, T> {
    vec: &'a ChunkedVec<T>,
    front: usize,
    back: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if self.front >= self.back {
            return None;
        }
        self.front += 1;
        self.vec.get(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }

    fn nth(&mut self, n: usize) -> Option<&'a T> {
        self.front = self.front.saturating_add(n).min(self.back);
        self.next()
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        self.vec.get(self.back)
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<'a, T> IntoIterator for &'a ChunkedVec<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> Index<usize> for ChunkedVec<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(value) => value,
            None => panic!("index {index} out of range for a vector of {}", self.len()),
        }
    }
}

impl<T> From<Vec<T>> for ChunkedVec<T> {
    /// Moves the elements into chunks (no element is cloned).
    fn from(values: Vec<T>) -> Self {
        let mut chunks = Vec::with_capacity(values.len() / CHUNK);
        let mut rest = values.into_iter();
        let mut tail: Vec<T> = Vec::with_capacity(CHUNK);
        for value in rest.by_ref() {
            tail.push(value);
            if tail.len() == CHUNK {
                chunks.push(Arc::from(std::mem::replace(
                    &mut tail,
                    Vec::with_capacity(CHUNK),
                )));
            }
        }
        ChunkedVec {
            chunks,
            skip: 0,
            tail: Arc::new(tail),
        }
    }
}

impl<T: Clone> FromIterator<T> for ChunkedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = ChunkedVec::new();
        v.extend(iter);
        v
    }
}

impl<T: PartialEq> PartialEq for ChunkedVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for ChunkedVec<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for ChunkedVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Serialize> Serialize for ChunkedVec<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ChunkedVec<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(deserializer).map(ChunkedVec::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    /// Random pushes, truncations and prefix removals, each checked against a plain `Vec`,
    /// with clones taken along the way that must not change when the original does.
    #[test]
    fn behaves_like_a_vec_and_clones_are_independent() {
        for seed in 0..200 {
            let mut rng = SimRng::new(seed);
            let mut model: Vec<u32> = Vec::new();
            let mut chunked: ChunkedVec<u32> = ChunkedVec::new();
            let mut kept: Vec<(Vec<u32>, ChunkedVec<u32>)> = Vec::new();
            let mut next = 0;
            for _ in 0..400 {
                match rng.below(10) {
                    0..=5 => {
                        for _ in 0..rng.below(80) {
                            model.push(next);
                            chunked.push(next);
                            next += 1;
                        }
                    }
                    6 => {
                        let len = rng.below(model.len() as u64 + 1) as usize;
                        let removed = chunked.split_off(len);
                        assert_eq!(removed, model.split_off(len), "seed {seed}");
                    }
                    7 => {
                        let count = rng.below(model.len() as u64 + 1) as usize;
                        chunked.remove_prefix(count);
                        model.drain(..count);
                    }
                    8 => kept.push((model.clone(), chunked.clone())),
                    _ => {
                        let a = rng.below(model.len() as u64 + 2) as usize;
                        let b = rng.below(model.len() as u64 + 2) as usize;
                        let (lo, hi) = (a.min(b), a.max(b));
                        let expected: Vec<u32> =
                            model[lo.min(model.len())..hi.min(model.len())].to_vec();
                        let got: Vec<u32> = chunked.range(lo..hi).copied().collect();
                        assert_eq!(got, expected, "seed {seed}: range {lo}..{hi}");
                        let back: Vec<u32> = chunked.range(lo..hi).rev().copied().collect();
                        assert_eq!(back, expected.iter().rev().copied().collect::<Vec<_>>());
                    }
                }
                assert_eq!(chunked.len(), model.len(), "seed {seed}");
                assert_eq!(chunked.to_vec(), model, "seed {seed}");
                assert_eq!(chunked.first(), model.first());
                assert_eq!(chunked.last(), model.last());
                if !model.is_empty() {
                    let i = model.len() / 2;
                    assert_eq!(chunked[i], model[i]);
                }
            }
            for (model, chunked) in kept {
                assert_eq!(chunked.to_vec(), model, "seed {seed}: a clone changed");
            }
        }
    }

    #[test]
    fn a_clone_shares_every_sealed_chunk() {
        let v: ChunkedVec<u64> = (0..1000).collect();
        let c = v.clone();
        assert_eq!(v.chunks.len(), 1000 / CHUNK);
        for (a, b) in v.chunks.iter().zip(&c.chunks) {
            assert!(Arc::ptr_eq(a, b));
        }
        assert!(Arc::ptr_eq(&v.tail, &c.tail));
    }
}
