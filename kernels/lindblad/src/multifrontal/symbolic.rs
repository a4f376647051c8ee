//! Symbolic stage of the multifrontal LU: from an elimination tree to the
//! fronts, their assembly lists and the thread schedule.
//!
//! Input: the pattern of `A` (CSC) and an elimination tree ([`NdTree`]):
//! a permutation `order` (`order[new] = old`) whose consecutive ranges are
//! the tree's nodes, listed children first, such that every entry of
//! `A + Aᵀ` couples two unknowns of one node or of a node and one of its
//! ancestors (a separator tree: nested dissection of a lattice, or any
//! fill-reducing ordering grouped into a supernodal elimination tree).
//! Nothing here depends on the model.
//!
//! Output (`Symbolic`), computed once per pattern:
//!
//! - per node `s` its fully summed unknowns `F_s` (the range `start..end` of
//!   new indices) and its boundary `B_s`: the ancestors' unknowns coupled to
//!   the subtree of `s`, found from the adjacency of `A + Aᵀ` and the
//!   children's boundaries (the front of `s` is indexed by `F_s ∪ B_s`);
//! - the assembly list of each node: the entries `A_ij` whose earlier
//!   eliminated index belongs to `F_s`, in front positions;
//! - each child's map into its parent's front as runs of consecutive
//!   positions (the extend-add copies contiguous segments);
//! - the factor storage: one slot of `f² + 2fb` entries per node
//!   (`f = |F_s|`, `b = |B_s|`) in one arena in postorder, and the flop
//!   count `Σ 2f³/3 + 2f²b + 2fb²` (a factorization without delayed pivots);
//! - the `Schedule` of subtrees over threads and, per worker, its largest
//!   front and peak contribution stack.
//!
//! A tree that does not separate the pattern (a coupling between two
//! branches) is an input error, found here.

use crate::ordering::NdTree;
use crate::LindbladError;

/// One node of the elimination tree (symbolic).
pub(crate) struct SymbolicNode {
    /// Fully summed unknowns `start..end` (new indices).
    pub start: usize,
    pub end: usize,
    /// Boundary unknowns (new indices, increasing).
    pub boundary: Vec<usize>,
    pub children: Vec<usize>,
    /// Whether the node has a parent (a root cannot delay pivots).
    pub has_parent: bool,
    /// Where each child's contribution block goes in this front, as runs
    /// `(position in the child's block, position in this front, length)` of
    /// consecutive positions, covering the child's boundary in order
    /// (boundaries are sorted and mostly made of whole separator stretches,
    /// so the extend-add is a few contiguous, vectorized segments). Without
    /// delayed pivots; the numeric stage shifts them when there are some.
    pub child_runs: Vec<Vec<(u32, u32, u32)>>,
    /// This node's range of [`Symbolic::asm`].
    pub asm: std::ops::Range<usize>,
    /// Offset of this node's factor slot in the arena.
    pub off: usize,
}

impl SymbolicNode {
    /// Entries of the factor slot `f² + 2fb`.
    pub fn slot_len(&self) -> usize {
        let (f, b) = (self.end - self.start, self.boundary.len());
        f * f + 2 * f * b
    }
}

/// Static schedule of a factorization on `T` threads: disjoint subtrees
/// (contiguous postorder ranges `[first, root]`) dealt to the threads, and
/// the remaining top nodes, factorized afterwards by the calling thread.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    /// Per thread, its subtrees as `(first, root)`.
    pub subtrees: Vec<Vec<(usize, usize)>>,
    /// Nodes outside every subtree, in postorder.
    pub top: Vec<usize>,
}

/// The symbolic analysis (module docs).
pub(crate) struct Symbolic {
    /// `perm[new] = old`.
    pub perm: Vec<usize>,
    pub nodes: Vec<SymbolicNode>,
    /// Assembly of `A` into the fronts, grouped by node: (position in A's
    /// values, local row, local column).
    pub asm: Vec<(u32, u32, u32)>,
    /// Entries of the factor arena and flops of one factorization.
    pub nnz_lu: u64,
    pub flops: f64,
    pub schedule: Schedule,
    /// Per worker (worker 0 also does the top): largest front order and
    /// peak contribution-stack length.
    pub worker_peaks: Vec<(usize, usize)>,
    /// Largest `f` and `b` over the nodes.
    pub fmax: usize,
    pub bmax: usize,
}

impl Symbolic {
    /// Symbolic analysis of the pattern `col_ptr`, `row_idx` (order `n`)
    /// for `tree`, scheduled on `threads` threads.
    ///
    /// # Errors
    /// [`LindbladError::InvalidInput`] if the tree is not a postordered
    /// permutation of the unknowns or does not separate the pattern.
    pub fn new(
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
        let mut nodes: Vec<SymbolicNode> = Vec::with_capacity(tnodes.len());
        let mut nnz_lu = 0u64;
        let mut flops = 0.0f64;
        let not_separated = || {
            LindbladError::InvalidInput(
                "the elimination tree does not separate the matrix graph".into(),
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
            nodes.push(SymbolicNode {
                start,
                end,
                boundary: bnd,
                children: std::mem::take(&mut children[s]),
                has_parent: has_parent[s],
                child_runs,
                asm: asm_ptr[s]..asm_ptr[s + 1],
                off: nnz_lu as usize,
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
        let mut orders: Vec<Vec<usize>> = schedule
            .subtrees
            .iter()
            .map(|list| list.iter().flat_map(|&(a, r)| a..=r).collect())
            .collect();
        if orders.is_empty() {
            orders.push(Vec::new());
        }
        orders[0].extend_from_slice(&schedule.top);
        let worker_peaks = orders
            .iter()
            .map(|order| front_and_stack_peak(&nodes, order))
            .collect();
        Ok(Self {
            perm,
            nodes,
            asm,
            nnz_lu,
            flops,
            schedule,
            worker_peaks,
            fmax,
            bmax,
        })
    }
}

/// Maximal runs of consecutive values in `map` as `(index, value, length)`.
pub(crate) fn runs(map: &[u32]) -> Vec<(u32, u32, u32)> {
    let mut out: Vec<(u32, u32, u32)> = Vec::new();
    for (i, &v) in map.iter().enumerate() {
        match out.last_mut() {
            Some((i0, v0, len)) if *v0 + *len == v && *i0 + *len == i as u32 => *len += 1,
            _ => out.push((i as u32, v, 1)),
        }
    }
    out
}

fn front_and_stack_peak(nodes: &[SymbolicNode], order: &[usize]) -> (usize, usize) {
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

/// Below this many flops a factorization runs on the calling thread: starting
/// and joining a thread (~20–50 µs, with its stack mapped and unmapped) costs
/// more than a sub-millisecond factorization gains from a second core.
const PARALLEL_MIN_FLOPS: f64 = 2.0e6;

/// Dense flops of one front (`f` eliminated, `b` boundary unknowns).
fn front_flops(f: usize, b: usize) -> f64 {
    let (f, b) = (f as f64, b as f64);
    2.0 * f * f * f / 3.0 + 2.0 * f * f * b + 2.0 * f * b * b
}

/// Splits the tree for `threads` threads: starting from the root, the most
/// expensive subtree is replaced by its children's subtrees (its root joins
/// the sequential top) while that lowers the estimated time
/// `Σ top + max over threads Σ subtrees`, with subtrees dealt largest first
/// to the least loaded thread. One thread, or a factorization too small to
/// repay starting threads (below [`PARALLEL_MIN_FLOPS`]): everything is top.
fn schedule(nodes: &[SymbolicNode], threads: usize) -> Schedule {
    let nn = nodes.len();
    let sequential = || Schedule {
        subtrees: Vec::new(),
        top: (0..nn).collect(),
    };
    if threads <= 1 || nn == 0 {
        return sequential();
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
    let total: f64 = (0..nn)
        .map(|s| front_flops(nodes[s].end - nodes[s].start, nodes[s].boundary.len()))
        .sum();
    if total < PARALLEL_MIN_FLOPS {
        return sequential();
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
