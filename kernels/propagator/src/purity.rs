//! The purity `P = Tr ρ1² = Tr ρ2²` of the distributed sine-coefficient state.
//!
//! # Equation and layout
//!
//! `C` is the `n1 × n2` coefficient matrix `c_{k1 k2}`; in sine space rank `r`
//! of `p` holds the k2 slab `B_r = C[:, k2 ∈ slab r]ᵀ` (`c2_r × n1`,
//! row-major: whole k1 rows, see [`crate::decomp`]). With `ρ1 = C C†`,
//! `ρ2 = (C† C)ᵀ`,
//!
//! ```text
//!     P = ‖G1‖_F² = ‖G2‖_F²,   G1 = C C† = Σ_r B_rᵀ conj(B_r)   (n1 × n1),
//!                              G2 = Cᵀ conj(C), blocks G2[r, s] = B_r B_s†   (n2 × n2).
//! ```
//!
//! Both Grams are Hermitian: `‖G‖_F² = Σ_i |G_ii|² + 2 Σ_{i>j} |G_ij|²`,
//! so only a lower triangle is formed, in column blocks that are squared
//! (or reduced) as they come: the Gram is never stored whole. Either is
//! built from the k2 slabs as they lie, the smaller one on one rank:
//!
//! * `n1 < n2` on one rank, `2 n1 < n2` on several (`Side::Rows`): `G1` is
//!   a sum over ranks of local Hermitian rank-`c2_r` updates `A_r A_r†`,
//!   `A_r = B_rᵀ`. Block `b` holds columns `j0…j0+w`, rows `j0…n1` (`(n1 − j0) × w`). On several ranks block `b` is
//!   summed onto its owner `b mod p` by a non-blocking `MPI_Ireduce` while
//!   every rank computes block `b + 1` (`MPI_Test` between row chunks drives
//!   the reduction), and the owner adds the squares of the reduced block.
//!   The reduction cannot be shrunk to per-rank norms: `‖Σ_r G_r‖² ≠ Σ_r
//!   ‖G_r‖²` (cross terms), so each entry of `G1` is summed once.
//! * otherwise (`Side::Cols`): `G2`'s block `(r, s)` pairs slab `r`'s rows
//!   with slab `s`'s: `‖G2‖² = Σ_r ‖B_r B_r†‖² + 2 Σ_{r<s} ‖B_r B_s†‖²`. Rank
//!   `r` forms its diagonal block, then at step `d = 1 … ⌊p/2⌋` receives
//!   `B_{r+d}` from rank `r + d` (and sends `B_r` to rank `r − d`) and adds
//!   `2‖B_r B_{r+d}†‖²`. At `d = p/2` (even `p`) the pair is met from both
//!   ends: the lower rank takes the first half of its rows, the upper one
//!   the lower rank's second half. The receive of step `d + 1` is posted
//!   before the product of step `d` (two receive buffers, `MPI_Test`
//!   between chunks). On several ranks this side is taken up to `n2 = 2 n1`
//!   (at most twice the flops of `Rows`): each slab travels whole, once per
//!   pair, where the `Rows` reduction synchronises the ranks once per
//!   block; at `2047 × 2049` on 2 ranks of a shared 2-core machine the
//!   pipelined reduction (8 blocks) took 1.19–1.22 s against the ring's
//!   0.57–0.69 s (the former blocking reduce-scatter 0.74–0.76 s), side by
//!   side with `propagator-check time` (README, `qk kicked`).
//!
//! One scalar per rank is then all-reduced.
//!
//! # Cost per rank (`c2 = n2/p` rows, `w` block columns, 16 bytes per complex)
//!
//! | side | complex MACs | flops (×8) | moved | memory |
//! |---|---|---|---|---|
//! | `Rows` | `n1² n2 / 2p` | `4 n1² n2 / p` | `16 · n1²/2` into the reduction | `16 · n1 w` (4 blocks on several ranks, 1 on one) |
//! | `Cols` | `n2² n1 / 2p` | `4 n2² n1 / p` | `⌊p/2⌋` slabs of `16 · c2 n1` | `16 · c2 w`, and 2 slabs `16 · c2 n1` on several ranks |
//!
//! A block product of `m × w` from `k` terms does `8 m w k` flops on
//! `16 (m + w) k + 16 m w` bytes: `≈ w k / 2(w + k)` flops per byte (≈ 30
//! for `w = 64`, `k = 1024`), above the machine balance (≈ 10) for
//! `w, k ≳ 32`, so the products are compute-bound; the reduction or ring
//! (`16` bytes per `8 k` flops per entry) rides under them. `w =
//! clamp(2¹⁹/rows, 16, cap)`: a block of `≤ 2¹⁹` complex numbers (8 MiB,
//! unless `rows > 32768`), at most 256 wide where blocks are reduced one
//! after another. The `n1 × n1` Gram formed whole whatever the shape, as
//! before, cost at `31103 × 143` 15.5 GB and `n1² n2/2 = 6.9·10¹⁰` MACs,
//! against `n2² n1/2 = 3.2·10⁸` MACs and two 8-MiB-bounded blocks now.
//!
//! # Round-off
//!
//! The state is bit-identical for any rank count, the purity is not: the
//! Gram sums over k2 are split at slab boundaries (and summed by
//! `MPI_Ireduce`, or over pairs of slabs), so it agrees to round-off across
//! rank counts (the tests hold it to `1e-12` against the reference).
//! Buffers are allocated on the first call and kept; a propagator whose
//! purity is never asked for holds none.

use crate::decomp::Slab;
use crate::exchange::big_buffer;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure};
use faer::{Accum, MatMut, MatRef, Par};
use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::point_to_point::{Destination, Source};
use mpi::request::Request;
use mpi::topology::{Communicator, SimpleCommunicator};
use num_complex::Complex64 as C64;

/// Largest block (complex numbers) a Gram block buffer holds: 8 MiB.
const BLOCK_CAP: usize = 1 << 19;
/// Narrowest block (columns) unless the Gram is narrower.
const MIN_WIDTH: usize = 16;
/// Widest block (columns) where blocks are reduced one after another: the
/// reduction of one overlaps the product of the next from `n = 257` on.
const MAX_WIDTH: usize = 256;
/// Rows per chunk of a block product (progress calls between chunks).
const CHUNK_ROWS: usize = 512;
/// Message tag of the `Cols` slab ring.
const TAG: i32 = 0x7072;

/// Which Gram is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// `G1 = C C†` (`n1 < n2` on one rank, `2 n1 < n2` on several): local
    /// rank-k updates summed over ranks.
    Rows,
    /// `G2 = Cᵀ conj(C)` (otherwise): slab pairs around a ring.
    Cols,
}

fn side(n1: usize, n2: usize, p: usize) -> Side {
    if (p == 1 && n1 < n2) || 2 * n1 < n2 {
        Side::Rows
    } else {
        Side::Cols
    }
}

/// Block width for a Gram block of `rows` rows and `cols` columns at most;
/// `pipelined`: blocks are reduced one after another (at most
/// [`MAX_WIDTH`] wide), else they only bound the memory.
fn width(rows: usize, cols: usize, pipelined: bool) -> usize {
    let max = if pipelined { MAX_WIDTH } else { BLOCK_CAP };
    (BLOCK_CAP / rows.max(1))
        .clamp(MIN_WIDTH, max)
        .min(cols)
        .max(1)
}

/// Buffer lengths (complex numbers) of one rank: (block buffers, slab
/// receive buffers), for [`Purity::ensure`] and [`bytes_per_rank`].
fn lengths(n1: usize, n2: usize, s2: &Slab) -> (Vec<usize>, Vec<usize>) {
    let p = s2.count.len();
    let c2 = s2.max_count();
    match side(n1, n2, p) {
        Side::Rows => {
            let len = n1 * width(n1, n1, p > 1);
            (vec![len; if p > 1 { 4 } else { 1 }], vec![])
        }
        Side::Cols => {
            let block = c2 * width(c2, c2, false);
            (vec![block], vec![c2 * n1; if p > 1 { 2 } else { 0 }])
        }
    }
}

/// Bytes the purity holds on the rank with the most rows (for
/// [`crate::estimate_memory_bytes_per_rank`]).
pub(crate) fn bytes_per_rank(n1: usize, n2: usize, ranks: usize) -> u128 {
    let s2 = Slab::new(n2, ranks.max(1));
    let (a, b) = lengths(n1, n2, &s2);
    16 * a.iter().chain(&b).map(|&l| l as u128).sum::<u128>()
}

/// Purity work space (allocated on first use).
#[derive(Default)]
pub(crate) struct Purity {
    blocks: Vec<Vec<C64>>,
    slabs: Vec<Vec<C64>>,
}

/// `dst = a b†` (`rows(a) × rows(b)`, column-major, leading dimension
/// `rows(a)`); with `tri`, the top `rows(b)` rows of `a` are `b` and only the
/// lower triangle of that square part is formed. Row chunks of the
/// rectangular part are separated by calls to `progress`.
fn block_product(
    dst: &mut [C64],
    a: MatRef<'_, C64>,
    b: MatRef<'_, C64>,
    tri: bool,
    progress: &mut dyn FnMut(),
) {
    let (m, w) = (a.nrows(), b.nrows());
    let mut g = MatMut::from_column_major_slice_mut(&mut dst[..m * w], m, w);
    if a.ncols() == 0 {
        g.fill(C64::new(0.0, 0.0));
        return;
    }
    let one = C64::new(1.0, 0.0);
    let top = if tri { w } else { 0 };
    if tri {
        tri_matmul(
            g.as_mut().subrows_mut(0, w),
            BlockStructure::TriangularLower,
            Accum::Replace,
            a.subrows(0, w),
            BlockStructure::Rectangular,
            b.adjoint(),
            BlockStructure::Rectangular,
            one,
            Par::Seq,
        );
        progress();
    }
    let mut r0 = top;
    while r0 < m {
        let rc = CHUNK_ROWS.min(m - r0);
        matmul(
            g.as_mut().subrows_mut(r0, rc),
            Accum::Replace,
            a.subrows(r0, rc),
            b.adjoint(),
            one,
            Par::Seq,
        );
        progress();
        r0 += rc;
    }
}

/// `Σ weight · |g_ij|²` over an `m × w` column-major block: with `tri` the
/// top `w × w` part is the lower triangle of a diagonal Gram block (weight 1
/// on its diagonal, 2 below, nothing above), the rest weight `off`.
fn weighted_squares(g: &[C64], m: usize, w: usize, tri: bool, off: f64) -> f64 {
    let (mut diag, mut rest) = (0.0, 0.0);
    for c in 0..w {
        let col = &g[c * m..(c + 1) * m];
        let from = if tri {
            diag += col[c].norm_sqr();
            c + 1
        } else {
            0
        };
        rest += col[from..].iter().map(|v| v.norm_sqr()).sum::<f64>();
    }
    diag + off * rest
}

/// Test `req` (drives MPI progress); keeps it while incomplete.
fn poke<'a, R: ?Sized, S: mpi::request::Scope<'a>>(req: &mut Option<Request<'a, R, S>>) {
    if let Some(r) = req.take() {
        if let Err(r) = r.test() {
            *req = Some(r);
        }
    }
}

impl Purity {
    fn ensure(&mut self, n1: usize, n2: usize, s2: &Slab) {
        if self.blocks.is_empty() {
            let (a, b) = lengths(n1, n2, s2);
            self.blocks = a.into_iter().map(big_buffer).collect();
            self.slabs = b.into_iter().map(big_buffer).collect();
        }
    }

    /// `Tr ρ1²` of the state whose local k2 rows are `state` (`s2.count[rank]
    /// × n1`, row-major, stored = `gain` × true coefficients). Collective.
    pub(crate) fn compute(
        &mut self,
        comm: &SimpleCommunicator,
        state: &[C64],
        n1: usize,
        n2: usize,
        s2: &Slab,
    ) -> f64 {
        self.ensure(n1, n2, s2);
        let rank = comm.rank() as usize;
        let p = comm.size() as usize;
        let c2 = s2.count[rank];
        let b = MatRef::from_row_major_slice(&state[..c2 * n1], c2, n1);
        let local = match side(n1, n2, p) {
            Side::Rows => self.rows(comm, b.transpose(), rank, p),
            Side::Cols => self.cols(comm, b, state, n1, s2, rank, p),
        };
        if p == 1 {
            return local;
        }
        let mut total = 0.0;
        comm.all_reduce_into(&local, &mut total, SystemOperation::sum());
        total
    }

    /// `Side::Rows`: `a = B_rᵀ` (`n1 × c2`); this rank's share of `‖G1‖²`.
    fn rows(
        &mut self,
        comm: &SimpleCommunicator,
        a: MatRef<'_, C64>,
        rank: usize,
        p: usize,
    ) -> f64 {
        let n1 = a.nrows();
        let w = width(n1, n1, p > 1);
        let nblocks = n1.div_ceil(w);
        let span = |blk: usize| {
            let j0 = blk * w;
            (j0, (n1 - j0), w.min(n1 - j0))
        };
        let mut sum = 0.0;
        if p == 1 {
            for blk in 0..nblocks {
                let (j0, m, wb) = span(blk);
                let g = &mut self.blocks[0];
                block_product(g, a.subrows(j0, m), a.subrows(j0, wb), true, &mut || {});
                sum += weighted_squares(g, m, wb, true, 2.0);
            }
            return sum;
        }
        let (send, recv) = self.blocks.split_at_mut(2);
        let (s0, s1) = send.split_at_mut(1);
        let (r0, r1) = recv.split_at_mut(1);
        let mut bufs = [(&mut s0[0], &mut r0[0]), (&mut s1[0], &mut r1[0])];
        {
            let (j0, m, wb) = span(0);
            block_product(
                bufs[0].0,
                a.subrows(j0, m),
                a.subrows(j0, wb),
                true,
                &mut || {},
            );
        }
        for blk in 0..nblocks {
            let (_, m, wb) = span(blk);
            let len = m * wb;
            let owner = blk % p;
            let [x, y] = &mut bufs;
            let (cur, next) = if blk % 2 == 0 { (x, y) } else { (y, x) };
            let root = comm.process_at_rank(owner as i32);
            mpi::request::scope(|scope| {
                let send = &cur.0[..len];
                let mut req = Some(if owner == rank {
                    root.immediate_reduce_into_root(
                        scope,
                        send,
                        &mut cur.1[..len],
                        SystemOperation::sum(),
                    )
                } else {
                    root.immediate_reduce_into(scope, send, SystemOperation::sum())
                });
                if blk + 1 < nblocks {
                    let (j0, m, wb) = span(blk + 1);
                    block_product(
                        next.0,
                        a.subrows(j0, m),
                        a.subrows(j0, wb),
                        true,
                        &mut || poke(&mut req),
                    );
                }
                if let Some(r) = req {
                    r.wait();
                }
            });
            if owner == rank {
                sum += weighted_squares(cur.1, m, wb, true, 2.0);
            }
        }
        sum
    }

    /// `Side::Cols`: `b = B_r` (`c2 × n1`); this rank's share of `‖G2‖²`.
    #[allow(clippy::too_many_arguments)]
    fn cols(
        &mut self,
        comm: &SimpleCommunicator,
        b: MatRef<'_, C64>,
        state: &[C64],
        n1: usize,
        s2: &Slab,
        rank: usize,
        p: usize,
    ) -> f64 {
        let c2 = b.nrows();
        let steps = p / 2;
        let (blocks, slabs) = (&mut self.blocks, &mut self.slabs);
        let g = &mut blocks[0];
        // ‖B_r Y†‖² in column blocks of Y (`tri`: Y = B_r, lower triangle)
        // Σ weight |X Y†|² in column blocks of Y (`tri`: X = Y = B_r, the
        // lower triangle of its Gram)
        let mut product =
            |x: MatRef<'_, C64>, y: MatRef<'_, C64>, tri: bool, progress: &mut dyn FnMut()| {
                // as wide as the buffer allows (it holds `max c2 × width` numbers)
                let w = (g.len() / c2.max(1)).clamp(1, y.nrows().max(1));
                let mut s = 0.0;
                let mut j0 = 0;
                while j0 < y.nrows() {
                    let wb = w.min(y.nrows() - j0);
                    let (a, m) = if tri {
                        (x.subrows(j0, x.nrows() - j0), x.nrows() - j0)
                    } else {
                        (x, x.nrows())
                    };
                    block_product(g, a, y.subrows(j0, wb), tri, progress);
                    s += weighted_squares(g, m, wb, tri, 2.0);
                    j0 += wb;
                }
                s
            };
        let mut sum = 0.0;
        let mine = &state[..c2 * n1];
        let (x, y) = slabs.split_at_mut(steps.min(1));
        let mut bufs: [&mut Vec<C64>; 2] = match (x.first_mut(), y.first_mut()) {
            (Some(x), Some(y)) => [x, y],
            _ => {
                // one rank: the diagonal block only
                return product(b, b, true, &mut || {});
            }
        };
        for d in 0..=steps {
            let [x, y] = &mut bufs;
            let (cur, next): (&Vec<C64>, &mut Vec<C64>) = if d % 2 == 0 { (x, y) } else { (y, x) };
            mpi::request::scope(|scope| {
                let (mut sreq, mut rreq) = (None, None);
                if d < steps {
                    let to = (rank + p - (d + 1)) % p;
                    let from = (rank + d + 1) % p;
                    let len = s2.count[from] * n1;
                    rreq = Some(
                        comm.process_at_rank(from as i32)
                            .immediate_receive_into_with_tag(scope, &mut next[..len], TAG),
                    );
                    sreq = Some(
                        comm.process_at_rank(to as i32)
                            .immediate_send_with_tag(scope, mine, TAG),
                    );
                }
                let mut progress = || {
                    poke(&mut rreq);
                    poke(&mut sreq);
                };
                if d == 0 {
                    sum += product(b, b, true, &mut progress);
                } else {
                    let from = (rank + d) % p;
                    let cf = s2.count[from];
                    let yb = MatRef::from_row_major_slice(&cur[..cf * n1], cf, n1);
                    // the pair seen from both ends (d = p/2): the lower rank
                    // takes its first half rows, the upper one the lower
                    // rank's second half
                    let (xb, yb) = if 2 * d != p {
                        (b, yb)
                    } else if rank < from {
                        (b.subrows(0, c2 / 2), yb)
                    } else {
                        (b, yb.subrows(cf / 2, cf - cf / 2))
                    };
                    sum += product(xb, yb, false, &mut progress);
                }
                if let Some(r) = rreq {
                    r.wait();
                }
                if let Some(r) = sreq {
                    r.wait();
                }
            });
        }
        sum
    }
}
