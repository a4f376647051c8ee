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
//! so only a lower triangle is formed. The smaller one is built:
//!
//! * `n1 ≤ n2` ([`Side::Rows`]): `G1` is a sum over ranks of local Hermitian
//!   rank-`c2_r` updates. It is formed in column blocks of its lower
//!   triangle (block `b`: columns `j0…j1`, rows `j0…n1`, `w = j1 − j0`
//!   columns); on several ranks block `b` is summed onto its owner rank
//!   `b mod p` by a non-blocking `MPI_Ireduce` while every rank computes block
//!   `b + 1` (calling `MPI_Test` between row chunks to drive progress), and
//!   the owner adds the weighted squares of the reduced block. The Gram is
//!   never stored whole: two blocks in flight.
//! * `n2 < n1` ([`Side::Cols`]): `G2` needs each slab's rows against all
//!   others'. `‖G2‖² = Σ_r ‖B_r B_r†‖² + 2 Σ_{r<s} ‖B_r B_s†‖²`: rank `r`
//!   forms its diagonal block, then at step `d = 1 … ⌊p/2⌋` receives
//!   `B_{r+d}` from rank `r + d` (and sends `B_r` to rank `r − d`) and adds
//!   `2‖B_r B_{r+d}†‖²` (weight 1 at `d = p/2` for even `p`: that pair is seen
//!   from both ends). The receive of step `d + 1` is posted before the
//!   product of step `d` (double-buffered, `MPI_Test` between chunks).
//!   Products are formed in column blocks and squared at once.
//!
//! One scalar per rank is then all-reduced.
//!
//! # Cost (per rank, `n = min(n1, n2)`, `N = max(n1, n2)`, 16-byte complex)
//!
//! | | flops (8 per complex MAC) | bytes moved | memory |
//! |---|---|---|---|
//! | `Rows` (n1 ≤ n2) | `4 n1² n2 / p` | reduce `≈ 16 · n1²/2` per rank (tree) | `4 · 16 · n1 w` (2 send + 2 receive blocks; 1 on one rank) |
//! | `Cols` (n2 < n1) | `≈ 4 n2² n1 / p` | `⌊p/2⌋` slabs of `16 · n1 n2/p` | `2` slab receive buffers `16 · c2 n1` (none on one rank) and one `16 · c2 w` block |
//!
//! Arithmetic intensity of the rank-k update is `≈ min(c2, w)/2` flops per
//! byte of the operands (compute-bound for `w, c2 ≳ 32`); `w = clamp(2¹⁹/n,
//! 16, 64)` columns (a block of `≤ 2¹⁹` complex numbers, 8 MiB, unless
//! `n > 32768`). Before this, the
//! `n1 × n1` Gram was formed whole whatever the shape: at `31103 × 143` that
//! was 15 GB and `1.4·10¹¹` flops against `143² · 31103 · 4 = 2.5·10⁹` now.
//!
//! # Round-off
//!
//! The state is bit-identical for any rank count, the purity is not: the
//! Gram sums over k2 are split at slab boundaries (and summed by `MPI_Reduce`
//! on several ranks, in the `Cols` case over pairs of slabs), so it agrees to
//! round-off (≈ `n · 10⁻¹⁶` relative) across rank counts. Buffers are
//! allocated on the first call and kept; a propagator whose purity is never
//! asked for holds none.

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
/// Widest block (columns): ≥ ⌈n/64⌉ blocks, so the reduction of one overlaps
/// the product of the next from `n = 65` on.
const MAX_WIDTH: usize = 64;
/// Rows per chunk of a block product (progress calls between chunks).
const CHUNK_ROWS: usize = 512;
/// Message tag of the `Cols` slab ring.
const TAG: i32 = 0x7072;

/// Which Gram is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// `G1 = C C†` (`n1 ≤ n2`): local rank-k updates summed over ranks.
    Rows,
    /// `G2 = Cᵀ conj(C)` (`n2 < n1`): slab pairs around a ring.
    Cols,
}

fn side(n1: usize, n2: usize) -> Side {
    if n1 <= n2 {
        Side::Rows
    } else {
        Side::Cols
    }
}

/// Block width for a Gram block of `rows` rows and `cols` columns at most.
fn width(rows: usize, cols: usize) -> usize {
    (BLOCK_CAP / rows.max(1))
        .clamp(MIN_WIDTH, MAX_WIDTH)
        .min(cols)
        .max(1)
}

/// Buffer lengths (complex numbers) of one rank: (block buffers, slab
/// receive buffers), for [`Purity::ensure`] and [`bytes_per_rank`].
fn lengths(n1: usize, n2: usize, s2: &Slab) -> (Vec<usize>, Vec<usize>) {
    let p = s2.count.len();
    let c2 = s2.max_count();
    match side(n1, n2) {
        Side::Rows => {
            let len = n1 * width(n1, n1);
            (vec![len; if p > 1 { 4 } else { 1 }], vec![])
        }
        Side::Cols => {
            let block = c2 * width(c2, c2);
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
        let local = match side(n1, n2) {
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
        let w = width(n1, n1);
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
        let mut product =
            |y: MatRef<'_, C64>, tri: bool, weight: f64, progress: &mut dyn FnMut()| {
                // as wide as the buffer allows (it holds `max c2 × width` numbers)
                let w = (g.len() / c2.max(1)).clamp(1, y.nrows().max(1));
                let mut s = 0.0;
                let mut j0 = 0;
                while j0 < y.nrows() {
                    let wb = w.min(y.nrows() - j0);
                    let (a, m) = if tri {
                        (b.subrows(j0, c2 - j0), c2 - j0)
                    } else {
                        (b, c2)
                    };
                    block_product(g, a, y.subrows(j0, wb), tri, progress);
                    s += weighted_squares(g, m, wb, tri, weight);
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
                return product(b, true, 2.0, &mut || {});
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
                    sum += product(b, true, 2.0, &mut progress);
                } else {
                    let from = (rank + d) % p;
                    let cf = s2.count[from];
                    let yb = MatRef::from_row_major_slice(&cur[..cf * n1], cf, n1);
                    let weight = if 2 * d == p { 1.0 } else { 2.0 };
                    sum += product(yb, false, weight, &mut progress);
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
