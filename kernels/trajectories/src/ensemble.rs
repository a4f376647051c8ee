//! Streamed ensemble statistics reduced in a fixed order, identical for any
//! number of ranks.
//!
//! A point's `T` trajectories are cut into batches of [`BATCH`] consecutive
//! indices (the last may be shorter). Each trajectory yields a vector of
//! `values` (time series, histogram indicators, fitted slopes…) and of
//! `maxima` (quality figures). Within a batch the values are accumulated in
//! trajectory order (Welford: count, mean, sum of squared deviations `M2`);
//! batch partials are combined pairwise (Chan et al.'s formula
//! `n = na + nb`, `δ = mb − ma`, `m = ma + δ nb/n`, `M2 = M2a + M2b + δ² na nb/n`)
//! along the binary tree fixed by the batch indices alone (a binary counter:
//! batches 0+1, 2+3, (01)+(23), …, the incomplete subtrees folded right to
//! left at the end).
//!
//! Distribution: the `P` ranks of the point's communicator take batches in
//! rounds of `B` consecutive batches per rank, `B = min(ROUND_BATCHES, ⌈R/P⌉)`
//! for the `R` batches not yet taken (so a short ensemble is still shared evenly):
//! batches `s + rB … s + rB + B − 1` to rank `r` in the round starting at batch `s`;
//! after each round the `P·B` partials are gathered on every rank (`MPI_Allgather`) and pushed
//! into the tree in batch order. Every rank holds the same tree, so the result is
//! bit-identical for any `P` and memory is `P·B` batch partials plus the
//! tree's `log₂(T/BATCH)` partials — independent of `T`.
//!
//! A trajectory that fails (e.g. an integrator that cannot meet its tolerance)
//! fails the point: after the round in which it happened every rank returns the
//! error of the lowest failing batch (its message broadcast by the rank that
//! computed it).

use crate::TrajectoryError;
use mpi::traits::{Communicator, CommunicatorCollectives, Root};

/// Trajectories per batch (fixed: it fixes the reduction tree).
pub const BATCH: u64 = 8;

/// Consecutive batches a rank computes between two gathers. Only the
/// distribution depends on it, not the tree: larger rounds mean fewer
/// synchronizations and less waiting for the slowest batch of a round.
const ROUND_BATCHES: u64 = 8;

/// Sizes of what one trajectory reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Values averaged over the ensemble (mean and standard error).
    pub values: usize,
    /// Values reduced by their maximum over the ensemble.
    pub maxima: usize,
}

/// Ensemble statistics of every value.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Number of trajectories.
    pub count: u64,
    /// Ensemble means, one per value.
    pub mean: Vec<f64>,
    /// Sums of squared deviations from the mean, one per value.
    pub m2: Vec<f64>,
    /// Maxima over the ensemble (−∞ for an empty ensemble).
    pub max: Vec<f64>,
}

impl Stats {
    fn empty(layout: Layout) -> Self {
        Stats {
            count: 0,
            mean: vec![0.0; layout.values],
            m2: vec![0.0; layout.values],
            max: vec![f64::NEG_INFINITY; layout.maxima],
        }
    }

    /// Standard error of the mean of value `i`: `√(M2 / (n(n−1)))` (0 for n < 2).
    pub fn stderr(&self, i: usize) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        let n = self.count as f64;
        (self.m2[i] / (n * (n - 1.0))).sqrt()
    }

    /// Standard errors of every value.
    pub fn stderrs(&self) -> Vec<f64> {
        (0..self.mean.len()).map(|i| self.stderr(i)).collect()
    }

    /// Adds one trajectory (Welford).
    fn push(&mut self, values: &[f64], maxima: &[f64]) {
        self.count += 1;
        let n = self.count as f64;
        for ((m, s), &x) in self.mean.iter_mut().zip(self.m2.iter_mut()).zip(values) {
            let d = x - *m;
            *m += d / n;
            *s += d * (x - *m);
        }
        for (m, &x) in self.max.iter_mut().zip(maxima) {
            *m = m.max(x);
        }
    }

    /// `a ⊕ b` (Chan's pairwise formula; `a` holds the earlier trajectories).
    fn combine(a: &Stats, b: &Stats) -> Stats {
        if a.count == 0 {
            return b.clone();
        }
        if b.count == 0 {
            return a.clone();
        }
        let (na, nb) = (a.count as f64, b.count as f64);
        let n = na + nb;
        let mut out = a.clone();
        out.count = a.count + b.count;
        for i in 0..a.mean.len() {
            let d = b.mean[i] - a.mean[i];
            out.mean[i] = a.mean[i] + d * (nb / n);
            out.m2[i] = a.m2[i] + b.m2[i] + d * d * (na * nb / n);
        }
        for (m, &x) in out.max.iter_mut().zip(&b.max) {
            *m = m.max(x);
        }
        out
    }

    /// Append the partial (count, failed flag, mean, M2, max) to `buf`.
    fn encode(&self, failed: bool, buf: &mut Vec<f64>) {
        buf.push(self.count as f64);
        buf.push(if failed { 1.0 } else { 0.0 });
        buf.extend_from_slice(&self.mean);
        buf.extend_from_slice(&self.m2);
        buf.extend_from_slice(&self.max);
    }

    fn decode(layout: Layout, buf: &[f64]) -> (Stats, bool) {
        let v = layout.values;
        let s = Stats {
            count: buf[0] as u64,
            mean: buf[2..2 + v].to_vec(),
            m2: buf[2 + v..2 + 2 * v].to_vec(),
            max: buf[2 + 2 * v..2 + 2 * v + layout.maxima].to_vec(),
        };
        (s, buf[1] != 0.0)
    }
}

/// The pairwise reduction tree over batches pushed in index order.
struct Tree {
    stack: Vec<(u32, Stats)>,
    layout: Layout,
}

impl Tree {
    fn push(&mut self, s: Stats) {
        let mut node = (0u32, s);
        while let Some(top) = self.stack.last() {
            if top.0 != node.0 {
                break;
            }
            let (level, left) = self.stack.pop().expect("non-empty");
            node = (level + 1, Stats::combine(&left, &node.1));
        }
        self.stack.push(node);
    }

    fn finish(mut self) -> Stats {
        let mut acc = match self.stack.pop() {
            Some((_, s)) => s,
            None => return Stats::empty(self.layout),
        };
        while let Some((_, left)) = self.stack.pop() {
            acc = Stats::combine(&left, &acc);
        }
        acc
    }
}

/// Runs `trajectories` trajectories over the ranks of `comm` and returns the
/// same [`Stats`] on every rank (module docs). `trajectory(t, values, maxima)`
/// computes trajectory `t` into the two slices (dirty on entry: overwrite
/// every entry).
///
/// # Errors
/// The [`TrajectoryError`] of the lowest failing batch, on every rank.
pub fn run<C, F>(
    comm: &C,
    trajectories: u64,
    layout: Layout,
    mut trajectory: F,
) -> Result<Stats, TrajectoryError>
where
    C: Communicator,
    F: FnMut(u64, &mut [f64], &mut [f64]) -> Result<(), TrajectoryError>,
{
    let ranks = comm.size() as u64;
    let rank = comm.rank() as u64;
    let batches = trajectories.div_ceil(BATCH);
    let width = 2 + 2 * layout.values + layout.maxima;
    let mut values = vec![0.0; layout.values];
    let mut maxima = vec![0.0; layout.maxima];
    let mut send = Vec::with_capacity(width * ROUND_BATCHES as usize);
    let mut recv = vec![0.0; width * (ranks * ROUND_BATCHES) as usize];
    let mut tree = Tree {
        stack: Vec::new(),
        layout,
    };
    let mut start = 0;
    while start < batches {
        let per_rank = ROUND_BATCHES.min((batches - start).div_ceil(ranks));
        let per_round = ranks * per_rank;
        let first = start + rank * per_rank;
        let mut error = None;
        send.clear();
        for batch in first..first + per_rank {
            let mut partial = Stats::empty(layout);
            if batch < batches && error.is_none() {
                let end = ((batch + 1) * BATCH).min(trajectories);
                for t in batch * BATCH..end {
                    if let Err(e) = trajectory(t, &mut values, &mut maxima) {
                        error = Some(e);
                        break;
                    }
                    partial.push(&values, &maxima);
                }
            }
            // a rank's batches after its first failure are not computed and count as failed
            partial.encode(error.is_some(), &mut send);
        }
        let gathered = &mut recv[..width * per_round as usize];
        if ranks == 1 {
            gathered.copy_from_slice(&send);
        } else {
            comm.all_gather_into(&send[..], gathered);
        }
        // slot k of the gathered round is batch start + k: batch order
        for k in 0..per_round.min(batches - start) {
            let slot = &gathered[k as usize * width..(k as usize + 1) * width];
            let (s, failed) = Stats::decode(layout, slot);
            if failed {
                let r = (k / per_rank) as usize;
                return Err(share_error(comm, r, error));
            }
            tree.push(s);
        }
        start += per_round;
    }
    Ok(tree.finish())
}

/// The error of rank `root`, broadcast to every rank.
fn share_error<C: Communicator>(
    comm: &C,
    root: usize,
    own: Option<TrajectoryError>,
) -> TrajectoryError {
    if comm.size() == 1 {
        return own.expect("the failing batch is this rank's");
    }
    let root_proc = comm.process_at_rank(root as i32);
    let mut text = own.map(|e| e.to_string()).unwrap_or_default().into_bytes();
    let mut len = text.len() as u64;
    root_proc.broadcast_into(&mut len);
    text.resize(len as usize, 0);
    root_proc.broadcast_into(&mut text[..]);
    TrajectoryError::Failed(String::from_utf8_lossy(&text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            values: 2,
            maxima: 1,
        }
    }

    #[test]
    fn tree_matches_direct_statistics() {
        let (_guard, self_comm) = mpi_self();
        let f = |t: u64, v: &mut [f64], m: &mut [f64]| {
            let x = ((t * 2_654_435_761) % 1000) as f64 / 100.0;
            v[0] = x;
            v[1] = x * x;
            m[0] = -x;
            Ok(())
        };
        for n in [0u64, 1, 2, 63, 64, 65, 200, 1000] {
            let s = run(&self_comm, n, layout(), f).unwrap();
            assert_eq!(s.count, n);
            let xs: Vec<f64> = (0..n)
                .map(|t| ((t * 2_654_435_761) % 1000) as f64 / 100.0)
                .collect();
            if n == 0 {
                assert_eq!(s.mean, vec![0.0, 0.0]);
                continue;
            }
            let mean = xs.iter().sum::<f64>() / n as f64;
            let m2: f64 = xs.iter().map(|x| (x - mean).powi(2)).sum();
            assert!((s.mean[0] - mean).abs() <= 1e-12 * mean.abs().max(1.0));
            assert!(
                (s.m2[0] - m2).abs() <= 1e-10 * m2.max(1.0),
                "{} {m2}",
                s.m2[0]
            );
            let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
            assert_eq!(s.max[0], -min);
        }
    }

    #[test]
    fn a_failing_trajectory_fails_the_run() {
        let (_guard, self_comm) = mpi_self();
        let r = run(&self_comm, 300, layout(), |t, v, m| {
            if t == 150 {
                return Err(TrajectoryError::Failed("boom at 150".into()));
            }
            v.fill(1.0);
            m.fill(0.0);
            Ok(())
        });
        assert_eq!(r.unwrap_err().to_string(), "boom at 150");
    }

    /// MPI in unit tests: the self communicator of an initialised universe.
    fn mpi_self() -> (
        std::sync::MutexGuard<'static, ()>,
        mpi::topology::SimpleCommunicator,
    ) {
        crate::testing::mpi_self()
    }
}
