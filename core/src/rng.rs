//! The simulation's one source of randomness: a seeded SplitMix64 generator kept in the state.
//!
//! It is cloned with the state (so a rewound run draws the same numbers again) and gives the
//! same sequence on every platform: only wrapping 64-bit integer arithmetic, no floats.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    pub fn new(seed: u64) -> SimRng {
        SimRng { state: seed }
    }

    /// SplitMix64 (Steele, Lea and Flood), as used to seed xoshiro generators.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0). The tiny modulo bias is irrelevant here.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }

    /// A number in `low..high` (just `low` when the range is empty).
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            low
        } else {
            low + self.below((high - low) as u64) as i64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_ranges_hold() {
        let mut a = SimRng::new(7);
        let mut b = SimRng::new(7);
        for _ in 0..100 {
            let x = a.range(1000, 2000);
            assert_eq!(x, b.range(1000, 2000));
            assert!((1000..2000).contains(&x));
        }
        assert_eq!(SimRng::new(3).range(5, 5), 5);
        assert_eq!(SimRng::new(3).below(0), 0);
    }
}
