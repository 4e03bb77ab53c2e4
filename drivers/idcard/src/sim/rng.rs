//! A tiny seeded generator (xorshift64*) for the simulator's fault injection and the fuzz tests.
//!
//! Determinism is the point: a chunking pattern or a fuzz input that breaks something can be replayed
//! from its seed. Statistical quality hardly matters here, so a dozen lines beat a dependency.

/// xorshift64* (Vigna); never yields the all-zero state.
#[derive(Debug, Clone)]
pub struct XorShift64(u64);

impl XorShift64 {
    /// A generator from `seed` (0 is replaced by a fixed non-zero constant).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn next_u8(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    /// A value in `low..=high` (returns `low` when the range is empty).
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        if high <= low {
            return low;
        }
        let span = (high - low + 1) as u64;
        low + (self.next_u64() % span) as usize
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        n == 0 || self.next_u64().is_multiple_of(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_ranges_hold() {
        let mut a = XorShift64::new(7);
        let mut b = XorShift64::new(7);
        for _ in 0..1000 {
            let (x, y) = (a.range(1, 64), b.range(1, 64));
            assert_eq!(x, y);
            assert!((1..=64).contains(&x));
        }
        assert_eq!(XorShift64::new(3).range(5, 5), 5);
    }
}
