//! Slab decomposition of one grid axis over the ranks of a communicator.
//!
//! Block distribution: rank `r` of `p` owns `n/p + (r < n mod p)` consecutive
//! indices, so any `n ≥ 1` works with any `p` (ranks beyond `n` own nothing).
//! Position space is split along x1 (each rank holds whole x2 rows), sine
//! space along k2 (each rank holds whole k1 rows): one all-to-all transposes
//! between the two. A pencil decomposition would replace each [`Slab`] by a
//! pair of them on a 2D process grid and the single exchange by two
//! exchanges on row/column sub-communicators; the row passes need no change.

/// The split of `n` indices over `p` ranks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slab {
    /// First global index owned by each rank.
    pub start: Vec<usize>,
    /// Number of indices owned by each rank.
    pub count: Vec<usize>,
}

impl Slab {
    /// Block distribution of `n` indices over `p ≥ 1` ranks.
    pub fn new(n: usize, p: usize) -> Self {
        let base = n / p;
        let extra = n % p;
        let count: Vec<usize> = (0..p).map(|r| base + usize::from(r < extra)).collect();
        let mut start = Vec::with_capacity(p);
        let mut acc = 0;
        for &c in &count {
            start.push(acc);
            acc += c;
        }
        Slab { start, count }
    }

    /// Largest count over the ranks.
    pub fn max_count(&self) -> usize {
        self.count.iter().copied().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_all() {
        for n in 1..20 {
            for p in 1..6 {
                let s = Slab::new(n, p);
                assert_eq!(s.count.iter().sum::<usize>(), n);
                for r in 1..p {
                    assert_eq!(s.start[r], s.start[r - 1] + s.count[r - 1]);
                }
            }
        }
    }
}
