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

use crate::front::{
    factor_front, FactorScalar, FrontError, FrontScratch, Perturbation, PivotPolicy,
};
use crate::ordering::NdTree;
use crate::LindbladError;
use qk_buffers::zeroed_vec;

/// Pivoting of the numeric factorization (see [`crate::front`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pivoting {
    /// Threshold partial pivoting inside each front with delayed pivots
    /// (default, `threshold` = 0.01 as in MUMPS); a pivot that cannot be
    /// delayed (at a root) and is zero to round-off means the matrix is
    /// singular: an error.
    Delayed {
        /// `u` of the test `|pivot| ≥ u · max |column|`.
        threshold: f64,
    },
    /// Partial pivoting restricted to each front's fully summed block,
    /// no delays; pivots below `√ε · max |A_ij|` are replaced by that value
    /// (static pivoting, as in SuperLU_DIST), corrected by GMRES.
    Static,
}

impl Default for Pivoting {
    fn default() -> Self {
        Pivoting::Delayed { threshold: 0.01 }
    }
}

/// What one numeric factorization did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PivotReport {
    /// Pivots eliminated at an ancestor of the node that owns them.
    pub delayed: usize,
    /// Pivots replaced by a perturbation (static pivoting).
    pub perturbed: usize,
    /// Largest growth of a front order by delayed pivots.
    pub max_front_growth: usize,
}

struct Node<T> {
    start: usize,
    end: usize,
    /// Boundary unknowns (new indices, increasing).
    boundary: Vec<usize>,
    children: Vec<usize>,
    /// Whether the node has a parent (a root cannot delay pivots).
    has_parent: bool,
    /// Where each child's contribution block goes in this front, as runs
    /// `(position in the child's block, position in this front, length)` of
    /// consecutive positions, covering the child's boundary in order
    /// (boundaries are sorted and mostly made of whole separator stretches,
    /// so the extend-add is a few contiguous, vectorized segments). Without
    /// delayed pivots; with them, the runs are shifted at factorization.
    child_runs: Vec<Vec<(u32, u32, u32)>>,
    /// This node's range of [`Multifrontal::asm`].
    asm: std::ops::Range<usize>,
    /// Offset of this node's factor slot in [`Multifrontal::factors`]
    /// (room for `f² + 2fb` entries, the factors without delays).
    off: usize,
    /// Numeric: rows and columns (new indices) of the pivots eliminated
    /// here, in pivot order.
    piv_rows: Vec<u32>,
    piv_cols: Vec<u32>,
    /// Numeric: fully summed rows and columns passed on to the parent.
    delayed_rows: Vec<u32>,
    delayed_cols: Vec<u32>,
    /// Factors that do not fit the slot (a node that received delayed
    /// pivots), and whether they are in use.
    overflow: Vec<T>,
    in_overflow: bool,
}

impl<T> Node<T> {
    /// Entries of the factor slot `f² + 2fb`.
    fn slot_len(&self) -> usize {
        let (f, b) = (self.end - self.start, self.boundary.len());
        f * f + 2 * f * b
    }

    /// Order of the contribution block passed to the parent.
    fn block_order(&self) -> usize {
        self.delayed_rows.len() + self.boundary.len()
    }
}

/// The factors of a node: `L11\U11` (k × k), `U12` (k × o), `L21` (o × k),
/// column-major, `o` = delayed + boundary.
fn node_factors<'a, T>(nd: &'a Node<T>, arena: &'a [T]) -> &'a [T] {
    let k = nd.piv_rows.len();
    let o = nd.block_order();
    let len = k * k + 2 * k * o;
    if nd.in_overflow {
        &nd.overflow[..len]
    } else {
        &arena[nd.off..nd.off + len]
    }
}

/// What a forward/backward substitution reads.
struct Substitution<'a, T> {
    nodes: &'a [Node<T>],
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
    unsafe fn run_avx2(&self, rhs: &mut [T], y: &mut [T], x: &mut [T], t: &mut [T], u: &mut [T]) {
        self.run(rhs, y, x, t, u)
    }

    /// `rhs ← A⁻¹ rhs`; `y` (rows, n), `x` (columns, n), `t` (largest k),
    /// `u` (largest block order) are scratch.
    #[inline(always)]
    fn run(&self, rhs: &mut [T], y: &mut [T], x: &mut [T], t: &mut [T], u: &mut [T]) {
        for (yk, &p) in y.iter_mut().zip(self.perm) {
            *yk = rhs[p];
        }
        for nd in self.nodes {
            let k = nd.piv_rows.len();
            let o = nd.block_order();
            let slot = node_factors(nd, self.factors);
            let (lu, rest) = slot.split_at(k * k);
            let l21 = &rest[k * o..];
            let t = &mut t[..k];
            for (ti, &r) in t.iter_mut().zip(&nd.piv_rows) {
                *ti = y[r as usize];
            }
            // t ← L11⁻¹ t (unit lower), by columns
            for c in 0..k {
                let tc = t[c];
                for (ti, &l) in t[c + 1..].iter_mut().zip(&lu[c * k + c + 1..(c + 1) * k]) {
                    *ti -= l * tc;
                }
            }
            if o > 0 {
                // u = L21 t by columns, y_outer −= u
                let u = &mut u[..o];
                u.fill(T::default());
                for (c, &tc) in t.iter().enumerate() {
                    for (ui, &l) in u.iter_mut().zip(&l21[c * o..(c + 1) * o]) {
                        *ui += l * tc;
                    }
                }
                let d = nd.delayed_rows.len();
                for (&g, &uk) in nd.delayed_rows.iter().zip(&u[..d]) {
                    y[g as usize] -= uk;
                }
                for (&g, &uk) in nd.boundary.iter().zip(&u[d..]) {
                    y[g] -= uk;
                }
            }
            for (&c, &ti) in nd.piv_cols.iter().zip(t.iter()) {
                x[c as usize] = ti;
            }
        }
        for nd in self.nodes.iter().rev() {
            let k = nd.piv_rows.len();
            let o = nd.block_order();
            let slot = node_factors(nd, self.factors);
            let (lu, rest) = slot.split_at(k * k);
            let u12 = &rest[..k * o];
            let t = &mut t[..k];
            for (ti, &c) in t.iter_mut().zip(&nd.piv_cols) {
                *ti = x[c as usize];
            }
            // t −= U12 x_outer by columns
            let d = nd.delayed_cols.len();
            let outer = nd
                .delayed_cols
                .iter()
                .map(|&g| g as usize)
                .chain(nd.boundary.iter().copied());
            for (j, g) in outer.enumerate() {
                let xj = x[g];
                for (ti, &v) in t.iter_mut().zip(&u12[j * k..(j + 1) * k]) {
                    *ti -= v * xj;
                }
            }
            let _ = d;
            // t ← U11⁻¹ t, by columns from the last
            for c in (0..k).rev() {
                let tc = t[c] / lu[c * k + c];
                t[c] = tc;
                for (ti, &v) in t[..c].iter_mut().zip(&lu[c * k..c * k + c]) {
                    *ti -= v * tc;
                }
            }
            for (&c, &ti) in nd.piv_cols.iter().zip(t.iter()) {
                x[c as usize] = ti;
            }
        }
        for (&xk, &p) in x.iter().zip(self.perm) {
            rhs[p] = xk;
        }
    }
}

/// Contribution blocks of the subtree roots a thread factorized.
type RootBlocks<T> = Vec<(usize, Vec<T>)>;

/// A contiguous range of nodes with their factor storage: `nodes` starts at
/// global node index `base`, `factors` at the arena offset of that node.
struct Fronts<'a, T> {
    nodes: &'a mut [Node<T>],
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
    scratch: FrontScratch<T>,
    /// Delayed rows / columns received from the children (new indices).
    din_rows: Vec<u32>,
    din_cols: Vec<u32>,
    /// Children's maps into a front that received delayed pivots.
    shifted_runs: Vec<Vec<(u32, u32, u32)>>,
    pos: Vec<u32>,
}

impl<T: FactorScalar> Workspace<T> {
    /// Buffers for fronts of order ≤ `mmax` and a contribution stack of
    /// `stack_len` entries, allocated once (delayed pivots may grow both).
    fn new(mmax: usize, stack_len: usize) -> Result<Self, LindbladError> {
        let front = zeroed_vec(mmax * mmax).map_err(|_| LindbladError::OutOfMemory)?;
        let mut stack = zeroed_vec(stack_len).map_err(|_| LindbladError::OutOfMemory)?;
        stack.clear(); // capacity kept: the stack grows and shrinks within it
        Ok(Self {
            front,
            stack,
            records: Vec::new(),
            scratch: FrontScratch::new(),
            din_rows: Vec::new(),
            din_cols: Vec::new(),
            shifted_runs: Vec::new(),
            pos: Vec::new(),
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
    nodes: Vec<Node<T>>,
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
    /// Substitution buffers: rows and columns (n each), one front's
    /// pivots and its block.
    work: Vec<T>,
    xwork: Vec<T>,
    fbuf: Vec<T>,
    bbuf: Vec<T>,
    schedule: Schedule,
    workspaces: Vec<Workspace<T>>,
    pivoting: Pivoting,
    /// What the last factorization did.
    pub(crate) report: PivotReport,
}

impl<T: FactorScalar> Multifrontal<T> {
    /// Symbolic analysis of the pattern `col_ptr`, `row_idx` for `tree`.
    pub(crate) fn new(
        n: usize,
        col_ptr: &[usize],
        row_idx: &[usize],
        tree: NdTree,
        threads: usize,
        pivoting: Pivoting,
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
        let mut has_parent = vec![false; nn];
        for (s, &(_, _, p)) in tnodes.iter().enumerate() {
            if let Some(p) = p {
                has_parent[s] = true;
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
        let mut nodes: Vec<Node<T>> = Vec::with_capacity(tnodes.len());
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
                has_parent: has_parent[s],
                child_runs,
                asm: asm_ptr[s]..asm_ptr[s + 1],
                off: nnz_lu as usize,
                piv_rows: Vec::new(),
                piv_cols: Vec::new(),
                delayed_rows: Vec::new(),
                delayed_cols: Vec::new(),
                overflow: Vec::new(),
                in_overflow: false,
            });
            nnz_lu += nodes[s].slot_len() as u64;
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
                Workspace::new(mmax, stack_len)
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
            xwork: vec![T::default(); n],
            fbuf: vec![T::default(); fmax],
            bbuf: vec![T::default(); bmax],
            schedule,
            workspaces,
            pivoting,
            report: PivotReport::default(),
        })
    }

    /// Numeric factorization of `values` (aligned with the pattern).
    ///
    /// The subtrees of the schedule run on their threads, each with its own
    /// workspace; the calling thread then factorizes the top nodes with the
    /// subtree roots' contribution blocks. Every front is computed by the
    /// same sequential code whatever the thread, so the factors are
    /// bit-identical for any thread count. Pivots are chosen by
    /// [`crate::front::factor_front`] with the plan's [`Pivoting`]; what it
    /// did is in [`Self::report`].
    ///
    /// # Errors
    /// [`LindbladError::Numerical`] when a pivot column turns non-finite.
    pub(crate) fn factorize(&mut self, values: &[T::Input]) -> Result<PivotReport, LindbladError> {
        let amax = values
            .iter()
            .fold(0.0f64, |m, &v| m.max(T::input_magnitude(v)));
        let tiny = T::PIVOT_FLOOR * amax;
        let perturb = T::EPSILON.sqrt() * amax;
        let policy = match self.pivoting {
            Pivoting::Delayed { threshold } => PivotPolicy {
                threshold,
                tiny,
                can_delay: true,
                perturb: None,
            },
            Pivoting::Static => PivotPolicy {
                threshold: 0.0,
                tiny,
                can_delay: false,
                perturb: Some(Perturbation {
                    below: perturb,
                    to: perturb,
                }),
            },
        };
        let nn = self.nodes.len();
        let mut detached: Vec<Option<Vec<T>>> = (0..nn).map(|_| None).collect();
        let (subtrees, top) = (&self.schedule.subtrees, &self.schedule.top);
        let input = Input {
            asm: &self.asm,
            values,
            policy,
        };
        let mut report = PivotReport::default();
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
            let mut rest: &mut [Node<T>] = &mut self.nodes;
            let mut rest_f: &mut [T] = &mut self.factors;
            let (mut at, mut at_f) = (0, 0);
            for &(first, root, w) in &ranges {
                let (_, tail) = rest.split_at_mut(first - at);
                let (mine, tail) = tail.split_at_mut(root + 1 - first);
                let (f0, f1) = (mine[0].off, mine[mine.len() - 1].off);
                let f1 = f1 + mine[mine.len() - 1].slot_len();
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
            type WorkerResult<T> = Result<(RootBlocks<T>, PivotReport), LindbladError>;
            let results: Vec<WorkerResult<T>> = std::thread::scope(|sc| {
                let handles: Vec<_> = per_worker
                    .into_iter()
                    .zip(self.workspaces.iter_mut())
                    .map(|(list, ws)| {
                        sc.spawn(move || {
                            let mut roots = Vec::with_capacity(list.len());
                            let mut rep = PivotReport::default();
                            for fronts in list {
                                let (first, root) =
                                    (fronts.base, fronts.base + fronts.nodes.len() - 1);
                                let r =
                                    factor_nodes(fronts, first..=root, ws, input, &mut |_| None)?;
                                rep = rep.merge(r);
                                roots.push((root, take_block(ws, root)?));
                            }
                            Ok((roots, rep))
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
                let (roots, rep) = r?;
                report = report.merge(rep);
                for (root, block) in roots {
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
        let rep = factor_nodes(all, top.iter().copied(), ws, input, &mut |c| {
            detached[c].take()
        })?;
        report = report.merge(rep);
        ws.stack.clear();
        ws.records.clear();
        // delayed pivots make some fronts larger than the plan's
        let (kmax, omax) = self.nodes.iter().fold((0, 0), |(k, o), nd| {
            (k.max(nd.piv_rows.len()), o.max(nd.block_order()))
        });
        if self.fbuf.len() < kmax {
            self.fbuf.resize(kmax, T::default());
        }
        if self.bbuf.len() < omax {
            self.bbuf.resize(omax, T::default());
        }
        self.report = report;
        Ok(report)
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
        let (y, x, t, u) = (
            &mut self.work,
            &mut self.xwork,
            &mut self.fbuf,
            &mut self.bbuf,
        );
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor supports AVX2 (checked just above).
            unsafe { s.run_avx2(rhs, y, x, t, u) };
            return;
        }
        s.run(rhs, y, x, t, u);
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

impl PivotReport {
    fn merge(self, o: Self) -> Self {
        Self {
            delayed: self.delayed + o.delayed,
            perturbed: self.perturbed + o.perturbed,
            max_front_growth: self.max_front_growth.max(o.max_front_growth),
        }
    }
}

/// What every front reads: the assembly lists, `A`'s values and the
/// pivoting policy (its `can_delay` is cleared at the roots).
struct Input<'a, V> {
    asm: &'a [(u32, u32, u32)],
    values: &'a [V],
    policy: PivotPolicy,
}

impl<V> Clone for Input<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for Input<'_, V> {}

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
    input: Input<'_, T::Input>,
    external: &mut dyn FnMut(usize) -> Option<Vec<T>>,
) -> Result<PivotReport, LindbladError> {
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
    input: Input<'_, T::Input>,
    external: &mut dyn FnMut(usize) -> Option<Vec<T>>,
) -> Result<PivotReport, LindbladError> {
    factor_nodes_impl(fronts, order, ws, input, external)
}

/// Adds the child's `bc × bc` block to the `m × m` front `buf`: column
/// `cj + k` goes to front column `fj + k` along each column run, its rows
/// likewise along the row runs; only front columns below `limit`.
#[inline(always)]
fn extend_add<T: FactorScalar>(
    buf: &mut [T],
    m: usize,
    runs: &[(u32, u32, u32)],
    bc: usize,
    block: &[T],
    limit: usize,
) {
    for &(cj, fj, lj) in runs {
        let lj = (lj as usize).min(limit.saturating_sub(fj as usize));
        for k in 0..lj {
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
}

/// Where a child's contribution block comes from.
#[derive(Clone, Copy)]
enum BlockAt {
    /// Computed by another thread (index into the node's owned blocks).
    Owned(usize),
    /// On this worker's stack at this offset.
    Stack(usize),
    /// No block (the child has no boundary).
    None,
}

#[inline(always)]
fn factor_nodes_impl<T: FactorScalar>(
    fronts: Fronts<'_, T>,
    order: impl Iterator<Item = usize>,
    ws: &mut Workspace<T>,
    input: Input<'_, T::Input>,
    external: &mut dyn FnMut(usize) -> Option<Vec<T>>,
) -> Result<PivotReport, LindbladError> {
    let Input {
        asm,
        values,
        policy,
    } = input;
    let Fronts {
        nodes,
        base,
        factors,
    } = fronts;
    let base_off = nodes.first().map_or(0, |nd| nd.off);
    let mut report = PivotReport::default();
    for s in order {
        let (done, rest) = nodes.split_at_mut(s - base);
        let nd = &mut rest[0];
        let (f, b) = (nd.end - nd.start, nd.boundary.len());
        // delayed rows and columns of the children, in the children's order
        ws.din_rows.clear();
        ws.din_cols.clear();
        for &c in &nd.children {
            let ch = &done[c - base];
            ws.din_rows.extend_from_slice(&ch.delayed_rows);
            ws.din_cols.extend_from_slice(&ch.delayed_cols);
        }
        let din = ws.din_rows.len();
        let fp = f + din;
        let m = fp + b;
        if ws.front.len() < m * m {
            ws.front.resize(m * m, T::default());
        }
        // children's blocks: computed elsewhere, or on top of the stack;
        // added in the order of `children` whatever their source, so the
        // sums (and the factors) are the same for any thread count
        let nkids = nd.children.len();
        let owned: Vec<Option<Vec<T>>> = nd.children.iter().map(|&c| external(c)).collect();
        let mut at: Vec<BlockAt> = (0..nkids)
            .map(|ci| match owned[ci] {
                Some(_) => BlockAt::Owned(ci),
                None => BlockAt::None,
            })
            .collect();
        let mut lowest = ws.stack.len();
        for _ in owned.iter().filter(|o| o.is_none()) {
            let Some(&(c, off)) = ws.records.last() else {
                break;
            };
            let Some(ci) = nd.children.iter().position(|&k| k == c) else {
                break;
            };
            ws.records.pop();
            at[ci] = BlockAt::Stack(off);
            lowest = lowest.min(off);
        }
        if ws.records.iter().any(|&(c, _)| nd.children.contains(&c)) {
            return Err(LindbladError::Numerical(
                "multifrontal contribution stack out of order".into(),
            ));
        }
        // with delayed pivots the children's maps are shifted: a child's
        // delayed part goes to [f + its offset, ..), its boundary where the
        // symbolic runs say, moved past this front's delayed part
        if din > 0 {
            ws.shifted_runs
                .resize(nkids.max(ws.shifted_runs.len()), Vec::new());
            let mut din_off = 0usize;
            for ci in 0..nkids {
                let dc = done[nd.children[ci] - base].delayed_rows.len();
                ws.pos.clear();
                ws.pos.extend((0..dc).map(|i| (f + din_off + i) as u32));
                for &(_, fj, len) in &nd.child_runs[ci] {
                    for q in fj..fj + len {
                        ws.pos
                            .push(q + if q as usize >= f { din as u32 } else { 0 });
                    }
                }
                ws.shifted_runs[ci] = runs(&ws.pos);
                din_off += dc;
            }
        }
        let children: Vec<(usize, BlockAt)> = (0..nkids)
            .map(|ci| (done[nd.children[ci] - base].block_order(), at[ci]))
            .collect();
        let child_runs: &[Vec<(u32, u32, u32)>] = if din == 0 {
            &nd.child_runs
        } else {
            &ws.shifted_runs[..nkids]
        };
        let (stack, asm_here) = (&ws.stack, &asm[nd.asm.clone()]);
        // the front is column-major m × m, [own f | delayed din | boundary b];
        // `assemble(buf, limit)` writes its columns below `limit`
        let assemble = |buf: &mut [T], limit: usize| {
            buf[..limit * m].fill(T::default());
            let sh = |x: u32| x as usize + if din > 0 && x as usize >= f { din } else { 0 };
            for &(pos, r, c) in asm_here {
                let c = sh(c);
                if c < limit {
                    buf[c * m + sh(r)] += T::from_input(values[pos as usize]);
                }
            }
            for (ci, &(bc, src)) in children.iter().enumerate() {
                let block: &[T] = match src {
                    BlockAt::Owned(i) => owned[i].as_deref().unwrap_or(&[]),
                    BlockAt::Stack(off) => &stack[off..off + bc * bc],
                    BlockAt::None => continue,
                };
                extend_add(buf, m, &child_runs[ci], bc, block, limit);
            }
        };
        let buf = &mut ws.front[..m * m];
        assemble(buf, m);
        let pol = PivotPolicy {
            can_delay: policy.can_delay && nd.has_parent,
            ..policy
        };
        let out = factor_front(buf, m, fp, &pol, &mut ws.scratch, &mut |a| assemble(a, fp))
            .map_err(|e| match e {
                FrontError::NonFinite => LindbladError::Numerical(
                    "non-finite entry in a front of the multifrontal LU (overflow)".into(),
                ),
                FrontError::ZeroPivot => LindbladError::Singular(format!(
                    "zero pivot (below {tiny:.1e}) at a root of the multifrontal LU after \
                     threshold pivoting with delays: the system is singular",
                    tiny = pol.tiny
                )),
            })?;
        drop(owned);
        ws.stack.truncate(lowest);
        let k = out.eliminated;
        report.perturbed += out.perturbed;
        report.max_front_growth = report.max_front_growth.max(din);
        // global (new) indices of the layout
        let (start, din_rows, din_cols, bnd) = (nd.start, &ws.din_rows, &ws.din_cols, &nd.boundary);
        let global = |pos: u32, delayed: &[u32]| -> u32 {
            let p = pos as usize;
            if p < f {
                (start + p) as u32
            } else if p < fp {
                delayed[p - f]
            } else {
                bnd[p - fp] as u32
            }
        };
        let (rows, cols) = (&ws.scratch.rows, &ws.scratch.cols);
        nd.piv_rows.clear();
        nd.piv_rows
            .extend(rows[..k].iter().map(|&p| global(p, din_rows)));
        nd.piv_cols.clear();
        nd.piv_cols
            .extend(cols[..k].iter().map(|&p| global(p, din_cols)));
        nd.delayed_rows.clear();
        nd.delayed_rows
            .extend(rows[k..fp].iter().map(|&p| global(p, din_rows)));
        nd.delayed_cols.clear();
        nd.delayed_cols
            .extend(cols[k..fp].iter().map(|&p| global(p, din_cols)));
        report.delayed += nd
            .piv_cols
            .iter()
            .filter(|&&c| !(nd.start..nd.end).contains(&(c as usize)))
            .count();
        // factors: L11\U11 (k × k), U12 (k × o), L21 (o × k), o = m − k
        let o = m - k;
        let need = k * k + 2 * k * o;
        nd.in_overflow = need > nd.slot_len();
        let dst: &mut [T] = if nd.in_overflow {
            if nd.overflow.len() < need {
                nd.overflow.resize(need, T::default());
            }
            &mut nd.overflow[..need]
        } else {
            &mut factors[nd.off - base_off..][..need]
        };
        let (lu_s, rest) = dst.split_at_mut(k * k);
        let (u12_s, l21_s) = rest.split_at_mut(k * o);
        for j in 0..k {
            lu_s[j * k..(j + 1) * k].copy_from_slice(&buf[j * m..j * m + k]);
            l21_s[j * o..(j + 1) * o].copy_from_slice(&buf[j * m + k..(j + 1) * m]);
        }
        for j in 0..o {
            u12_s[j * k..(j + 1) * k].copy_from_slice(&buf[(k + j) * m..(k + j) * m + k]);
        }
        if o > 0 {
            let off = ws.stack.len();
            for j in 0..o {
                ws.stack
                    .extend_from_slice(&buf[(k + j) * m + k..(k + j + 1) * m]);
            }
            ws.records.push((s, off));
        }
    }
    Ok(report)
}

/// Largest front order and peak contribution-stack length when `order`
/// (postorder) is factorized by one worker (children done elsewhere are
/// not on its stack).
fn front_and_stack_peak<T>(nodes: &[Node<T>], order: &[usize]) -> (usize, usize) {
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
fn schedule<T>(nodes: &[Node<T>], threads: usize) -> Schedule {
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
