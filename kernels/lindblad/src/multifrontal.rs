//! Multifrontal LU of a real sparse matrix on a nested-dissection tree.
//!
//! # Method
//!
//! Given `A` (n × n, CSC) and an elimination tree ([`NdTree`]) whose
//! separators separate the graph of `A + Aᵀ` (for the LMG system: points of
//! the `((k + l)/2, |k − l|/2)` lattice, couplings at Chebyshev distance ≤ 1,
//! so separators one lattice line wide), node `s` owns the fully summed
//! unknowns `F_s` and its front is indexed by `F_s ∪ B_s`, where `B_s` are
//! the ancestors' unknowns coupled to the subtree of `s`. The front matrix is
//! assembled from the entries `A_ij` whose earlier-eliminated index belongs
//! to `F_s` and from the children's Schur complements (extend-add), then
//! partially factorized with dense kernels:
//!
//! ```text
//! P F11 = L11 U11,  U12 = L11⁻¹ P F12,  L21 = F21 U11⁻¹,  S = F22 − L21 U12,
//! ```
//!
//! row pivoting restricted to `F_s` (threshold-free partial pivoting inside
//! the front; no delayed pivots). `S` goes to the parent. A pivot below
//! `1e-13 ‖A‖_max` (or a non-finite one) is a numerical failure reported as
//! an error, never a number; accuracy is then restored by iterative
//! refinement on `A` in the caller. The factors hold `Σ f² + 2fb` entries and
//! cost `Σ 2f³/3 + 2f²b + 2fb²` flops (f = |F_s|, b = |B_s|), against the
//! `O(n log n)` / `O(n^{3/2})` of nested dissection on a 2D grid (George 1973).
//! Dense kernels: faer (`Par::Seq`).
//!
//! # Threads
//!
//! Subtrees of the elimination tree are independent: [`schedule`] descends
//! from the root, moving the most expensive subtree's root to a sequential
//! "top" while that lowers the estimated time, and deals the subtrees
//! largest first to the least loaded thread. Each thread factorizes its
//! subtrees with its own workspace; the calling thread then does the top.
//! Children's contribution blocks are added in a fixed order whatever
//! thread produced them, so the factors are bit-identical for any count.

use crate::ordering::NdTree;
use crate::LindbladError;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place, lu_in_place_scratch};
use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_unit_lower_triangular_in_place,
};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, MatMut, Par};
use qk_buffers::{zeroed_vec, ZeroBits};

/// Scalar of the stored factors: `f64`, or `f32` for a half-size factor
/// used as a preconditioner (values are rounded on assembly).
pub(crate) trait FactorScalar:
    faer::traits::RealField
    + Copy
    + Default
    + Send
    + Sync
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + ZeroBits
    + 'static
{
    /// A pivot at or below this fraction of `max |A_ij|` is a failure.
    /// Double precision: a near-singular system (reported, never used).
    /// Single precision (a preconditioner, whose errors the Krylov method
    /// corrects): only a vanishing pivot.
    const PIVOT_FLOOR: f64;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
}

impl FactorScalar for f64 {
    const PIVOT_FLOOR: f64 = 1e-13;
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl FactorScalar for f32 {
    const PIVOT_FLOOR: f64 = 1e-30;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

struct Node {
    start: usize,
    end: usize,
    /// Boundary unknowns (new indices, increasing).
    boundary: Vec<usize>,
    children: Vec<usize>,
    /// Where each child's contribution block goes in this front, as runs
    /// `(position in the child's block, position in this front, length)` of
    /// consecutive positions, covering the child's boundary in order
    /// (boundaries are sorted and mostly made of whole separator stretches,
    /// so the extend-add is a few contiguous, vectorized segments).
    child_runs: Vec<Vec<(u32, u32, u32)>>,
    /// This node's range of [`Multifrontal::asm`].
    asm: std::ops::Range<usize>,
    /// Offset of this node's factors in [`Multifrontal::factors`]: `L11\U11`
    /// (f × f), then `U12` (f × b), then `L21` (b × f), column-major.
    off: usize,
    piv: Vec<usize>,
}

impl Node {
    /// Stored factor entries `f² + 2fb`.
    fn factor_len(&self) -> usize {
        let (f, b) = (self.end - self.start, self.boundary.len());
        f * f + 2 * f * b
    }
}

/// What a forward/backward substitution reads.
struct Substitution<'a, T> {
    nodes: &'a [Node],
    factors: &'a [T],
    perm: &'a [usize],
}

impl<T: FactorScalar> Substitution<'_, T> {
    /// [`Self::run`] compiled for AVX2.
    ///
    /// # Safety
    /// The processor must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(&self, rhs: &mut [T], y: &mut [T], t: &mut [T], u: &mut [T]) {
        self.run(rhs, y, t, u)
    }

    /// `rhs ← A⁻¹ rhs`; `y` (n), `t` (largest f), `u` (largest b) are
    /// scratch.
    #[inline(always)]
    fn run(&self, rhs: &mut [T], y: &mut [T], t: &mut [T], u: &mut [T]) {
        for (yk, &p) in y.iter_mut().zip(self.perm) {
            *yk = rhs[p];
        }
        for nd in self.nodes {
            let (f, b) = (nd.end - nd.start, nd.boundary.len());
            let slot = &self.factors[nd.off..nd.off + nd.factor_len()];
            let (lu, rest) = slot.split_at(f * f);
            let l21 = &rest[f * b..];
            let t = &mut t[..f];
            for (ti, &p) in t.iter_mut().zip(&nd.piv) {
                *ti = y[nd.start + p];
            }
            // t ← L11⁻¹ t (unit lower), by columns
            for k in 0..f {
                let tk = t[k];
                for (ti, &l) in t[k + 1..].iter_mut().zip(&lu[k * f + k + 1..(k + 1) * f]) {
                    *ti -= l * tk;
                }
            }
            if b > 0 {
                // u = L21 t by columns, y_B −= u
                let u = &mut u[..b];
                u.fill(T::default());
                for (k, &tk) in t.iter().enumerate() {
                    for (ui, &l) in u.iter_mut().zip(&l21[k * b..(k + 1) * b]) {
                        *ui += l * tk;
                    }
                }
                for (&g, &uk) in nd.boundary.iter().zip(u.iter()) {
                    y[g] -= uk;
                }
            }
            y[nd.start..nd.end].copy_from_slice(t);
        }
        for nd in self.nodes.iter().rev() {
            let (f, b) = (nd.end - nd.start, nd.boundary.len());
            let slot = &self.factors[nd.off..nd.off + nd.factor_len()];
            let (lu, rest) = slot.split_at(f * f);
            let u12 = &rest[..f * b];
            let t = &mut t[..f];
            t.copy_from_slice(&y[nd.start..nd.end]);
            // t −= U12 x_B by columns
            for (j, &g) in nd.boundary.iter().enumerate() {
                let xj = y[g];
                for (ti, &v) in t.iter_mut().zip(&u12[j * f..(j + 1) * f]) {
                    *ti -= v * xj;
                }
            }
            // t ← U11⁻¹ t, by columns from the last
            for k in (0..f).rev() {
                let tk = t[k] / lu[k * f + k];
                t[k] = tk;
                for (ti, &v) in t[..k].iter_mut().zip(&lu[k * f..k * f + k]) {
                    *ti -= v * tk;
                }
            }
            y[nd.start..nd.end].copy_from_slice(t);
        }
        for (&yk, &p) in y.iter().zip(self.perm) {
            rhs[p] = yk;
        }
    }
}

/// Contribution blocks of the subtree roots a thread factorized.
type RootBlocks<T> = Vec<(usize, Vec<T>)>;

/// A contiguous range of nodes with their factor storage: `nodes` starts at
/// global node index `base`, `factors` at the arena offset of that node.
struct Fronts<'a, T> {
    nodes: &'a mut [Node],
    base: usize,
    factors: &'a mut [T],
}

/// Buffers of one factorization worker, reused across factorizations.
struct Workspace<T> {
    front: Vec<T>,
    /// Contribution blocks of finished nodes whose parent this worker has
    /// not assembled yet (postorder: a node's children are on top).
    stack: Vec<T>,
    /// `(node, offset in stack)` of each block on the stack.
    records: Vec<(usize, usize)>,
    piv_inv: Vec<usize>,
    lu_mem: MemBuffer,
}

impl<T: FactorScalar> Workspace<T> {
    /// Buffers for fronts of order ≤ `mmax` (`fmax` eliminated) and a
    /// contribution stack of `stack_len` entries, allocated once.
    fn new(fmax: usize, mmax: usize, stack_len: usize) -> Result<Self, LindbladError> {
        let lu_mem = MemBuffer::try_new(lu_in_place_scratch::<usize, T>(
            fmax,
            fmax,
            Par::Seq,
            Default::default(),
        ))
        .map_err(|_| LindbladError::OutOfMemory)?;
        let front = zeroed_vec(mmax * mmax).map_err(|_| LindbladError::OutOfMemory)?;
        let mut stack = zeroed_vec(stack_len).map_err(|_| LindbladError::OutOfMemory)?;
        stack.clear(); // capacity kept: the stack grows and shrinks within it
        Ok(Self {
            front,
            stack,
            records: Vec::new(),
            piv_inv: Vec::new(),
            lu_mem,
        })
    }
}

/// Static schedule of a factorization on `T` threads: disjoint subtrees
/// (contiguous postorder ranges `[first, root]`) dealt to the threads, and
/// the remaining top nodes, factorized afterwards by the calling thread.
#[derive(Debug, Default)]
struct Schedule {
    /// Per thread, its subtrees as `(first, root)`.
    subtrees: Vec<Vec<(usize, usize)>>,
    /// Nodes outside every subtree, in postorder.
    top: Vec<usize>,
}

/// Symbolic + numeric multifrontal LU (see the module docs).
pub(crate) struct Multifrontal<T: FactorScalar = f64> {
    n: usize,
    /// `perm[new] = old`.
    perm: Vec<usize>,
    nodes: Vec<Node>,
    /// Assembly of `A` into the fronts, grouped by node: (position in A's
    /// values, local row, local column).
    asm: Vec<(u32, u32, u32)>,
    /// Every node's factors, one allocation in node (postorder) order, so
    /// that a subtree's factors are one contiguous range. Allocated zeroed
    /// (fresh pages, no write) and first touched by the factorization.
    factors: Vec<T>,
    /// Stored factor entries and flops of one factorization.
    pub(crate) nnz_lu: u64,
    pub(crate) flops: f64,
    work: Vec<T>,
    /// Substitution buffers: one front's eliminated / boundary unknowns.
    fbuf: Vec<T>,
    bbuf: Vec<T>,
    schedule: Schedule,
    workspaces: Vec<Workspace<T>>,
}

impl<T: FactorScalar> Multifrontal<T> {
    /// Symbolic analysis of the pattern `col_ptr`, `row_idx` for `tree`.
    pub(crate) fn new(
        n: usize,
        col_ptr: &[usize],
        row_idx: &[usize],
        tree: NdTree,
        threads: usize,
    ) -> Result<Self, LindbladError> {
        let NdTree {
            order: perm,
            nodes: tnodes,
        } = tree;
        if perm.len() != n {
            return Err(LindbladError::InvalidInput(
                "elimination tree does not cover the unknowns".into(),
            ));
        }
        let mut iperm = vec![usize::MAX; n];
        for (k, &o) in perm.iter().enumerate() {
            if o >= n || iperm[o] != usize::MAX {
                return Err(LindbladError::InvalidInput(
                    "elimination tree order is not a permutation".into(),
                ));
            }
            iperm[o] = k;
        }
        let mut owner = vec![0usize; n];
        for (s, &(a, b, _)) in tnodes.iter().enumerate() {
            for o in &mut owner[a..b] {
                *o = s;
            }
        }
        // one sweep of A counts, a second places: the adjacency of A + Aᵀ in
        // new indices (for each new index its neighbours with a larger new
        // index, enough to build boundaries; CSR), and the entries of A
        // grouped by the node that assembles them, the owner of
        // min(new r, new c): (idx, new r, new c)
        let nn = tnodes.len();
        let mut adj_ptr = vec![0usize; n + 1];
        let mut asm_ptr = vec![0usize; nn + 1];
        for c in 0..n {
            let pc = iperm[c];
            for &r in &row_idx[col_ptr[c]..col_ptr[c + 1]] {
                let pr = iperm[r];
                let lo = pr.min(pc);
                if pr != pc {
                    adj_ptr[lo + 1] += 1;
                }
                asm_ptr[owner[lo] + 1] += 1;
            }
        }
        for k in 0..n {
            adj_ptr[k + 1] += adj_ptr[k];
        }
        for s in 0..nn {
            asm_ptr[s + 1] += asm_ptr[s];
        }
        let mut fill = adj_ptr[..n].to_vec();
        let mut next = asm_ptr[..nn].to_vec();
        let mut adj = vec![0u32; adj_ptr[n]];
        let mut asm = vec![(0u32, 0u32, 0u32); asm_ptr[nn]];
        for c in 0..n {
            let pc = iperm[c];
            for idx in col_ptr[c]..col_ptr[c + 1] {
                let pr = iperm[row_idx[idx]];
                let lo = pr.min(pc);
                if pr != pc {
                    adj[fill[lo]] = pr.max(pc) as u32;
                    fill[lo] += 1;
                }
                let s = owner[lo];
                asm[next[s]] = (idx as u32, pr as u32, pc as u32);
                next[s] += 1;
            }
        }
        drop(fill);
        drop(next);
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); nn];
        for (s, &(_, _, p)) in tnodes.iter().enumerate() {
            if let Some(p) = p {
                if p <= s {
                    return Err(LindbladError::InvalidInput(
                        "elimination tree is not in postorder".into(),
                    ));
                }
                children[p].push(s);
            }
        }
        // per node: boundary, local positions of its front's indices
        // (`mark[w] == s` ⇒ `local[w]` is w's position in front s), the
        // children's maps and its assembly list in local positions
        let mut mark = vec![usize::MAX; n];
        let mut local = vec![0u32; n];
        let mut nodes: Vec<Node> = Vec::with_capacity(tnodes.len());
        let mut nnz_lu = 0u64;
        let mut flops = 0.0f64;
        let not_separated = || {
            LindbladError::InvalidInput(
                "nested dissection does not separate the matrix graph".into(),
            )
        };
        for (s, &(start, end, _)) in tnodes.iter().enumerate() {
            let mut bnd = Vec::new();
            mark[start..end].fill(s);
            for &w in &adj[adj_ptr[start]..adj_ptr[end]] {
                let w = w as usize;
                if w >= end && mark[w] != s {
                    mark[w] = s;
                    bnd.push(w);
                }
            }
            for &c in &children[s] {
                for &w in &nodes[c].boundary {
                    if w >= end && mark[w] != s {
                        mark[w] = s;
                        bnd.push(w);
                    }
                }
            }
            bnd.sort_unstable();
            let f = end - start;
            for (k, w) in (start..end).enumerate() {
                local[w] = k as u32;
            }
            for (p, &w) in bnd.iter().enumerate() {
                local[w] = (f + p) as u32;
            }
            let at = |w: usize| (mark[w] == s).then(|| local[w]);
            // a child's boundary must lie in this front
            let mut child_runs = Vec::with_capacity(children[s].len());
            for &c in &children[s] {
                let map: Option<Vec<u32>> = nodes[c].boundary.iter().map(|&w| at(w)).collect();
                child_runs.push(runs(&map.ok_or_else(not_separated)?));
            }
            for e in &mut asm[asm_ptr[s]..asm_ptr[s + 1]] {
                let (Some(lr), Some(lc)) = (at(e.1 as usize), at(e.2 as usize)) else {
                    return Err(not_separated());
                };
                (e.1, e.2) = (lr, lc);
            }
            let (fb, bb) = (f as f64, bnd.len() as f64);
            flops += 2.0 * fb * fb * fb / 3.0 + 2.0 * fb * fb * bb + 2.0 * fb * bb * bb;
            nodes.push(Node {
                start,
                end,
                boundary: bnd,
                children: std::mem::take(&mut children[s]),
                child_runs,
                asm: asm_ptr[s]..asm_ptr[s + 1],
                off: nnz_lu as usize,
                piv: Vec::new(),
            });
            nnz_lu += nodes[s].factor_len() as u64;
        }
        drop(adj);
        drop(adj_ptr);
        drop(mark);
        drop(local);
        let fmax = nodes.iter().map(|nd| nd.end - nd.start).max().unwrap_or(0);
        let bmax = nodes.iter().map(|nd| nd.boundary.len()).max().unwrap_or(0);
        let schedule = schedule(&nodes, threads.max(1));
        // per worker: largest front and peak stack over the nodes it does
        // (worker 0 also does the top)
        let mut orders: Vec<Vec<usize>> = schedule
            .subtrees
            .iter()
            .map(|list| list.iter().flat_map(|&(a, r)| a..=r).collect())
            .collect();
        if orders.is_empty() {
            orders.push(Vec::new());
        }
        orders[0].extend_from_slice(&schedule.top);
        let workspaces = orders
            .iter()
            .map(|order| {
                let (mmax, stack_len) = front_and_stack_peak(&nodes, order);
                Workspace::new(fmax, mmax, stack_len)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let factors = zeroed_vec::<T>(nnz_lu as usize).map_err(|_| LindbladError::OutOfMemory)?;
        Ok(Self {
            n,
            perm,
            nodes,
            asm,
            factors,
            nnz_lu,
            flops,
            work: vec![T::default(); n],
            fbuf: vec![T::default(); fmax],
            bbuf: vec![T::default(); bmax],
            schedule,
            workspaces,
        })
    }

    /// Numeric factorization of `values` (aligned with the pattern).
    ///
    /// The subtrees of the schedule run on their threads, each with its own
    /// workspace; the calling thread then factorizes the top nodes with the
    /// subtree roots' contribution blocks. Every front is computed by the
    /// same sequential code whatever the thread, so the factors are
    /// bit-identical for any thread count.
    pub(crate) fn factorize(&mut self, values: &[f64]) -> Result<(), LindbladError> {
        let amax = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let tiny = T::PIVOT_FLOOR * amax;
        let nn = self.nodes.len();
        let mut detached: Vec<Option<Vec<T>>> = (0..nn).map(|_| None).collect();
        let (subtrees, top) = (&self.schedule.subtrees, &self.schedule.top);
        let input = Input {
            asm: &self.asm,
            values,
            tiny,
        };
        if !subtrees.is_empty() {
            // cut the node array into the disjoint subtree ranges
            let mut ranges: Vec<(usize, usize, usize)> = subtrees
                .iter()
                .enumerate()
                .flat_map(|(w, list)| list.iter().map(move |&(a, b)| (a, b, w)))
                .collect();
            ranges.sort_unstable();
            let mut per_worker: Vec<Vec<Fronts<'_, T>>> =
                (0..subtrees.len()).map(|_| Vec::new()).collect();
            let mut rest: &mut [Node] = &mut self.nodes;
            let mut rest_f: &mut [T] = &mut self.factors;
            let (mut at, mut at_f) = (0, 0);
            for &(first, root, w) in &ranges {
                let (_, tail) = rest.split_at_mut(first - at);
                let (mine, tail) = tail.split_at_mut(root + 1 - first);
                let (f0, f1) = (mine[0].off, mine[mine.len() - 1].off);
                let f1 = f1 + mine[mine.len() - 1].factor_len();
                let (_, tail_f) = rest_f.split_at_mut(f0 - at_f);
                let (mine_f, tail_f) = tail_f.split_at_mut(f1 - f0);
                per_worker[w].push(Fronts {
                    nodes: mine,
                    base: first,
                    factors: mine_f,
                });
                rest = tail;
                rest_f = tail_f;
                at = root + 1;
                at_f = f1;
            }
            let results: Vec<Result<RootBlocks<T>, LindbladError>> = std::thread::scope(|sc| {
                let handles: Vec<_> = per_worker
                    .into_iter()
                    .zip(self.workspaces.iter_mut())
                    .map(|(list, ws)| {
                        sc.spawn(move || {
                            let mut roots = Vec::with_capacity(list.len());
                            for fronts in list {
                                let (first, root) =
                                    (fronts.base, fronts.base + fronts.nodes.len() - 1);
                                factor_nodes(fronts, first..=root, ws, input, &mut |_| None)?;
                                roots.push((root, take_block(ws, root)?));
                            }
                            Ok(roots)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(LindbladError::Numerical(
                                "factorization thread panicked".into(),
                            ))
                        })
                    })
                    .collect()
            });
            for r in results {
                for (root, block) in r? {
                    detached[root] = Some(block);
                }
            }
        }
        let ws = &mut self.workspaces[0];
        let all = Fronts {
            nodes: &mut self.nodes,
            base: 0,
            factors: &mut self.factors,
        };
        factor_nodes(all, top.iter().copied(), ws, input, &mut |c| {
            detached[c].take()
        })?;
        ws.stack.clear();
        ws.records.clear();
        Ok(())
    }

    /// Solves `A x = rhs` in place with the current factorization.
    ///
    /// Column sweeps over each node's factors (`L11`, `L21` forward, `U12`,
    /// `U11` backward): the substitution streams the factors once, and for
    /// the many small fronts of the leaves plain loops cost far less than
    /// dense-kernel calls. Compiled for AVX2 as well, like the
    /// factorization.
    pub(crate) fn solve_in_place(&mut self, rhs: &mut [T]) {
        let s = Substitution {
            nodes: &self.nodes,
            factors: &self.factors,
            perm: &self.perm,
        };
        let (y, t, u) = (&mut self.work, &mut self.fbuf, &mut self.bbuf);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor supports AVX2 (checked just above).
            unsafe { s.run_avx2(rhs, y, t, u) };
            return;
        }
        s.run(rhs, y, t, u);
    }

    /// Order of the system.
    pub(crate) fn n(&self) -> usize {
        self.n
    }
}

/// The contribution block of `root`, the only block left on `ws`'s stack
/// after its subtree (empty for a node without boundary).
fn take_block<T: FactorScalar>(
    ws: &mut Workspace<T>,
    root: usize,
) -> Result<Vec<T>, LindbladError> {
    let block = match ws.records.pop() {
        Some((s, off)) if s == root => ws.stack[off..].to_vec(),
        Some(_) => {
            return Err(LindbladError::Numerical(
                "multifrontal contribution stack out of order".into(),
            ))
        }
        None => Vec::new(),
    };
    ws.stack.clear();
    ws.records.clear();
    Ok(block)
}

/// Maximal runs of consecutive values in `map` as `(index, value, length)`.
fn runs(map: &[u32]) -> Vec<(u32, u32, u32)> {
    let mut out: Vec<(u32, u32, u32)> = Vec::new();
    for (i, &v) in map.iter().enumerate() {
        match out.last_mut() {
            Some((i0, v0, len)) if *v0 + *len == v && *i0 + *len == i as u32 => *len += 1,
            _ => out.push((i as u32, v, 1)),
        }
    }
    out
}

/// What every front reads: the assembly lists, `A`'s values and the pivot
/// floor.
#[derive(Clone, Copy)]
struct Input<'a> {
    asm: &'a [(u32, u32, u32)],
    values: &'a [f64],
    tiny: f64,
}

/// Factorizes `order` (global node indices, postorder) of `fronts`. A child's
/// contribution block comes from `external` when it was computed elsewhere,
/// otherwise from the top of `ws`'s stack.
///
/// The assembly, extend-add and copies are this crate's own loops: on
/// x86-64 they are compiled a second time for AVX2 and that version runs
/// where the processor has it (about 15% off the factorization at N = 400;
/// faer's dense kernels choose their instructions at run time themselves).
fn factor_nodes<T: FactorScalar>(
    fronts: Fronts<'_, T>,
    order: impl Iterator<Item = usize>,
    ws: &mut Workspace<T>,
    input: Input<'_>,
    external: &mut dyn FnMut(usize) -> Option<Vec<T>>,
) -> Result<(), LindbladError> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports AVX2 (checked just above).
        return unsafe { factor_nodes_avx2(fronts, order, ws, input, external) };
    }
    factor_nodes_impl(fronts, order, ws, input, external)
}

/// [`factor_nodes_impl`] compiled for AVX2.
///
/// # Safety
/// The processor must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn factor_nodes_avx2<T: FactorScalar>(
    fronts: Fronts<'_, T>,
    order: impl Iterator<Item = usize>,
    ws: &mut Workspace<T>,
    input: Input<'_>,
    external: &mut dyn FnMut(usize) -> Option<Vec<T>>,
) -> Result<(), LindbladError> {
    factor_nodes_impl(fronts, order, ws, input, external)
}

#[inline(always)]
fn factor_nodes_impl<T: FactorScalar>(
    fronts: Fronts<'_, T>,
    order: impl Iterator<Item = usize>,
    ws: &mut Workspace<T>,
    input: Input<'_>,
    external: &mut dyn FnMut(usize) -> Option<Vec<T>>,
) -> Result<(), LindbladError> {
    let Input { asm, values, tiny } = input;
    let Fronts {
        nodes,
        base,
        factors,
    } = fronts;
    let base_off = nodes.first().map_or(0, |nd| nd.off);
    for s in order {
        let nd = &mut nodes[s - base];
        let slot = &mut factors[nd.off - base_off..][..nd.factor_len()];
        let (f, b) = (nd.end - nd.start, nd.boundary.len());
        let m = f + b;
        if ws.front.len() < m * m {
            ws.front.resize(m * m, T::default());
        }
        let buf = &mut ws.front[..m * m];
        buf.fill(T::default());
        // the front is column-major m × m in `buf`
        for &(pos, r, c) in &asm[nd.asm.clone()] {
            buf[c as usize * m + r as usize] += T::from_f64(values[pos as usize]);
        }
        // the child's bc × bc block: column cj + k goes to front column
        // fj + k along each column run, its rows likewise along the row runs
        let extend_add = |buf: &mut [T], runs: &[(u32, u32, u32)], bc: usize, block: &[T]| {
            for &(cj, fj, lj) in runs {
                for k in 0..lj as usize {
                    let col = &block[(cj as usize + k) * bc..][..bc];
                    let dst = &mut buf[(fj as usize + k) * m..][..m];
                    for &(c, f, len) in runs {
                        let (c, f, len) = (c as usize, f as usize, len as usize);
                        for (d, &v) in dst[f..f + len].iter_mut().zip(&col[c..c + len]) {
                            *d += v;
                        }
                    }
                }
            }
        };
        // children's blocks: computed elsewhere, or on top of the stack;
        // added in the order of `children` whatever their source, so the
        // sums (and the factors) are the same for any thread count
        let nkids = nd.children.len();
        let mut owned: Vec<Option<Vec<T>>> = nd.children.iter().map(|&c| external(c)).collect();
        let mut at: Vec<Option<usize>> = vec![None; nkids];
        let mut lowest = ws.stack.len();
        for _ in owned.iter().filter(|o| o.is_none()) {
            let Some(&(c, off)) = ws.records.last() else {
                break;
            };
            let Some(ci) = nd.children.iter().position(|&k| k == c) else {
                break;
            };
            ws.records.pop();
            at[ci] = Some(off);
            lowest = lowest.min(off);
        }
        for ci in 0..nkids {
            let runs = &nd.child_runs[ci];
            let bc = runs.last().map_or(0, |&(c, _, len)| (c + len) as usize);
            if let Some(block) = owned[ci].take() {
                extend_add(buf, runs, bc, &block);
            } else if let Some(off) = at[ci] {
                extend_add(buf, runs, bc, &ws.stack[off..off + bc * bc]);
            }
        }
        let mut front = MatMut::from_column_major_slice_mut(buf, m, m);
        ws.stack.truncate(lowest);
        if ws.records.iter().any(|&(c, _)| nd.children.contains(&c)) {
            return Err(LindbladError::Numerical(
                "multifrontal contribution stack out of order".into(),
            ));
        }
        nd.piv.resize(f, 0);
        ws.piv_inv.resize(f.max(ws.piv_inv.len()), 0);
        {
            let (f11, _f12, _f21, _f22) = front.rb_mut().split_at_mut(f, f);
            lu_in_place(
                f11,
                &mut nd.piv,
                &mut ws.piv_inv[..f],
                Par::Seq,
                MemStack::new(&mut ws.lu_mem),
                Default::default(),
            );
        }
        for k in 0..f {
            let u = front[(k, k)].to_f64();
            if u.is_nan() || u.abs() <= tiny {
                return Err(LindbladError::Singular(format!(
                    "pivot {u:e} below {tiny:e} in a front of the multifrontal LU \
                     (near-singular system; try another ordering)"
                )));
            }
        }
        let (f11, f12, mut f21, mut f22) = front.split_at_mut(f, f);
        let (lu_s, rest) = slot.split_at_mut(f * f);
        let (u12_s, l21_s) = rest.split_at_mut(f * b);
        let mut lu = MatMut::from_column_major_slice_mut(lu_s, f, f);
        let mut u12 = MatMut::from_column_major_slice_mut(u12_s, f, b);
        let mut l21 = MatMut::from_column_major_slice_mut(l21_s, b, f);
        // U12 = L11⁻¹ P F12
        for j in 0..b {
            let (src, mut dst) = (f12.rb().col(j), u12.rb_mut().col_mut(j));
            for (i, &p) in nd.piv.iter().enumerate() {
                dst[i] = src[p];
            }
        }
        solve_unit_lower_triangular_in_place(f11.rb(), u12.rb_mut(), Par::Seq);
        // L21 = F21 U11⁻¹  ⇔  U11ᵀ L21ᵀ = F21ᵀ
        solve_lower_triangular_in_place(
            f11.rb().transpose(),
            f21.rb_mut().transpose_mut(),
            Par::Seq,
        );
        if b > 0 {
            matmul(
                f22.rb_mut(),
                Accum::Add,
                f21.rb(),
                u12.rb(),
                T::from_f64(-1.0),
                Par::Seq,
            );
        }
        lu.copy_from(f11.rb());
        l21.copy_from(f21.rb());
        if b > 0 {
            let off = ws.stack.len();
            for j in 0..b {
                ws.stack.extend(f22.rb().col(j).iter().copied());
            }
            ws.records.push((s, off));
        }
    }
    Ok(())
}

/// Largest front order and peak contribution-stack length when `order`
/// (postorder) is factorized by one worker (children done elsewhere are
/// not on its stack).
fn front_and_stack_peak(nodes: &[Node], order: &[usize]) -> (usize, usize) {
    let mut mine = vec![false; nodes.len()];
    for &s in order {
        mine[s] = true;
    }
    let (mut mmax, mut cur, mut peak) = (0usize, 0usize, 0usize);
    for &s in order {
        let nd = &nodes[s];
        let b = nd.boundary.len();
        mmax = mmax.max(nd.end - nd.start + b);
        // the block is pushed while the children's are still on the stack
        peak = peak.max(cur + b * b);
        for &c in &nd.children {
            if mine[c] {
                cur -= nodes[c].boundary.len().pow(2);
            }
        }
        cur += b * b;
    }
    (mmax, peak)
}

/// Dense flops of one front (`f` eliminated, `b` boundary unknowns).
fn front_flops(f: usize, b: usize) -> f64 {
    let (f, b) = (f as f64, b as f64);
    2.0 * f * f * f / 3.0 + 2.0 * f * f * b + 2.0 * f * b * b
}

/// Splits the tree for `threads` threads: starting from the root, the most
/// expensive subtree is replaced by its children's subtrees (its root joins
/// the sequential top) while that lowers the estimated time
/// `Σ top + max over threads Σ subtrees`, with subtrees dealt largest first
/// to the least loaded thread. One thread: everything is top.
fn schedule(nodes: &[Node], threads: usize) -> Schedule {
    let nn = nodes.len();
    if threads <= 1 || nn == 0 {
        return Schedule {
            subtrees: Vec::new(),
            top: (0..nn).collect(),
        };
    }
    // subtree cost and first node (postorder: children before parents)
    let mut cost = vec![0.0f64; nn];
    let mut first: Vec<usize> = (0..nn).collect();
    for s in 0..nn {
        let nd = &nodes[s];
        cost[s] += front_flops(nd.end - nd.start, nd.boundary.len());
        for &c in &nd.children {
            cost[s] += cost[c];
            first[s] = first[s].min(first[c]);
        }
    }
    let mut is_child = vec![false; nn];
    for nd in nodes {
        for &c in &nd.children {
            is_child[c] = true;
        }
    }
    let roots: Vec<usize> = (0..nn).filter(|&s| !is_child[s]).collect();
    let deal = |set: &[usize]| -> (f64, Vec<Vec<usize>>) {
        let mut sorted = set.to_vec();
        sorted.sort_by(|a, b| cost[*b].total_cmp(&cost[*a]));
        let mut load = vec![0.0f64; threads];
        let mut bins = vec![Vec::new(); threads];
        for s in sorted {
            let w = (0..threads)
                .min_by(|&a, &b| load[a].total_cmp(&load[b]))
                .unwrap_or(0);
            load[w] += cost[s];
            bins[w].push(s);
        }
        (load.iter().fold(0.0f64, |m, &l| m.max(l)), bins)
    };
    let own = |s: usize| front_flops(nodes[s].end - nodes[s].start, nodes[s].boundary.len());
    // greedy descent; the best split seen wins (a chain node such as the
    // trace-row separator gains nothing by itself but opens the next split)
    let mut set = roots;
    let mut top_cost = 0.0;
    let mut top_nodes: Vec<usize> = Vec::new();
    let (span, bins) = deal(&set);
    let mut best = (span, bins, 0usize);
    for _ in 0..64 {
        let Some((k, &s)) = set
            .iter()
            .enumerate()
            .filter(|(_, &s)| !nodes[s].children.is_empty())
            .max_by(|a, b| cost[*a.1].total_cmp(&cost[*b.1]))
        else {
            break;
        };
        set.swap_remove(k);
        set.extend_from_slice(&nodes[s].children);
        top_cost += own(s);
        top_nodes.push(s);
        let (span, bins) = deal(&set);
        if top_cost + span < best.0 {
            best = (top_cost + span, bins, top_nodes.len());
        }
    }
    let (_, bins, ntop) = best;
    let mut top: Vec<usize> = top_nodes[..ntop].to_vec();
    top.sort_unstable();
    Schedule {
        subtrees: bins
            .into_iter()
            .map(|b| b.into_iter().map(|r| (first[r], r)).collect())
            .collect(),
        top,
    }
}
