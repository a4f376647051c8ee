//! Numeric stage of the multifrontal LU: assembly of the fronts, their
//! partial factorization, the delayed pivots, the threads.
//!
//! Per node, in postorder, the front (order `m = f + d + b`, with `d`
//! delayed pivots received from the children) is assembled from the
//! node's entries of `A` and the children's contribution blocks
//! (extend-add), then partially factorized by
//! `factor_front`, where the pivoting happens
//! (see [`front`](super::front)). Its layout
//!
//! ```text
//!   [own fully summed f | delayed by the children d | boundary b]
//! ```
//!
//! puts the delayed rows and columns among the fully summed ones; what the
//! front could not eliminate goes to the parent as the leading rows and
//! columns of its contribution block (a child's map into the parent is the
//! symbolic one shifted past the parent's delayed part). A node keeps the
//! rows and columns (new indices) of the pivots it eliminated and of those
//! it passed on; its factors go to its symbolic slot, or, when delayed
//! pivots made them larger, to a buffer of its own.
//!
//! # Threads
//!
//! Subtrees of the elimination tree are independent: the `Schedule` of
//! the symbolic stage deals them to threads; each thread factorizes its
//! subtrees with its own workspace; the calling thread then does the top.
//! Children's contribution blocks are added in a fixed order whatever
//! thread produced them, and the pivot choices depend only on a front's
//! values, so the factors are bit-identical for any thread count.
//!
//! `Schedule`: super::symbolic::Schedule

use super::front::{
    factor_front, FactorScalar, FrontError, FrontScratch, Perturbation, PivotPolicy,
};
use super::symbolic::{runs, Symbolic, SymbolicNode};
use crate::LindbladError;
use qk_buffers::zeroed_vec;

/// Pivoting of the numeric factorization (see [`front`](super::front)).
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

/// What one node's factorization left (per factorization).
#[derive(Default)]
pub(crate) struct NodeFactors<T> {
    /// Rows and columns (new indices) of the pivots eliminated here, in
    /// pivot order.
    pub piv_rows: Vec<u32>,
    pub piv_cols: Vec<u32>,
    /// Fully summed rows and columns passed on to the parent.
    pub delayed_rows: Vec<u32>,
    pub delayed_cols: Vec<u32>,
    /// Factors that do not fit the symbolic slot (a node that received
    /// delayed pivots), and whether they are in use.
    overflow: Vec<T>,
    in_overflow: bool,
}

impl<T> NodeFactors<T> {
    /// Order of the contribution block passed to the parent.
    pub fn block_order(&self, sn: &SymbolicNode) -> usize {
        self.delayed_rows.len() + sn.boundary.len()
    }

    /// The factors: `L11\U11` (k × k), `U12` (k × o), `L21` (o × k),
    /// column-major, `o` = delayed + boundary.
    pub fn factors<'a>(&'a self, sn: &SymbolicNode, arena: &'a [T]) -> &'a [T] {
        let k = self.piv_rows.len();
        let o = self.block_order(sn);
        let len = k * k + 2 * k * o;
        if self.in_overflow {
            &self.overflow[..len]
        } else {
            &arena[sn.off..sn.off + len]
        }
    }
}

/// The numeric factorization of one pattern, refreshed per matrix.
pub(crate) struct Numeric<T: FactorScalar> {
    /// Every node's factor slot, one allocation in node (postorder) order,
    /// so that a subtree's factors are one contiguous range. Allocated
    /// zeroed (fresh pages, no write) and first touched by the
    /// factorization.
    pub factors: Vec<T>,
    pub nodes: Vec<NodeFactors<T>>,
    workspaces: Vec<Workspace<T>>,
    pivoting: Pivoting,
    /// What the last factorization did.
    pub report: PivotReport,
    /// Largest pivot count and block order of a node (substitution buffers).
    pub kmax: usize,
    pub omax: usize,
}

/// Contribution blocks of the subtree roots a thread factorized.
type RootBlocks<T> = Vec<(usize, Vec<T>)>;

/// A contiguous range of nodes with their factor storage: `nodes` starts at
/// global node index `base`, `factors` at the arena offset of that node.
struct Fronts<'a, T> {
    nodes: &'a mut [NodeFactors<T>],
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

impl<T: FactorScalar> Numeric<T> {
    /// Storage and workspaces for the factorization of `sym`'s pattern.
    ///
    /// # Errors
    /// [`LindbladError::OutOfMemory`].
    pub fn new(sym: &Symbolic, pivoting: Pivoting) -> Result<Self, LindbladError> {
        let workspaces = sym
            .worker_peaks
            .iter()
            .map(|&(mmax, stack_len)| Workspace::new(mmax, stack_len))
            .collect::<Result<Vec<_>, _>>()?;
        let factors =
            zeroed_vec::<T>(sym.nnz_lu as usize).map_err(|_| LindbladError::OutOfMemory)?;
        Ok(Self {
            factors,
            nodes: (0..sym.nodes.len())
                .map(|_| NodeFactors::default())
                .collect(),
            workspaces,
            pivoting,
            report: PivotReport::default(),
            kmax: sym.fmax,
            omax: sym.bmax,
        })
    }

    /// Numeric factorization of `values` (aligned with `sym`'s pattern).
    ///
    /// The subtrees of the schedule run on their threads, each with its own
    /// workspace; the calling thread then factorizes the top nodes with the
    /// subtree roots' contribution blocks. Pivots are chosen by
    /// [`factor_front`] with the plan's [`Pivoting`]; what it did is
    /// returned and kept in [`Self::report`].
    ///
    /// # Errors
    /// [`LindbladError::Numerical`] when a pivot column turns non-finite,
    /// [`LindbladError::Singular`] when a root's fully summed block is
    /// singular after threshold pivoting with delays.
    pub fn factorize(
        &mut self,
        sym: &Symbolic,
        values: &[T::Input],
    ) -> Result<PivotReport, LindbladError> {
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
        let nn = sym.nodes.len();
        let mut detached: Vec<Option<Vec<T>>> = (0..nn).map(|_| None).collect();
        let (subtrees, top) = (&sym.schedule.subtrees, &sym.schedule.top);
        let input = Input {
            sym,
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
            let mut rest: &mut [NodeFactors<T>] = &mut self.nodes;
            let mut rest_f: &mut [T] = &mut self.factors;
            let (mut at, mut at_f) = (0, 0);
            for &(first, root, w) in &ranges {
                let (_, tail) = rest.split_at_mut(first - at);
                let (mine, tail) = tail.split_at_mut(root + 1 - first);
                let (f0, last) = (sym.nodes[first].off, &sym.nodes[root]);
                let f1 = last.off + last.slot_len();
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
        (self.kmax, self.omax) = self
            .nodes
            .iter()
            .zip(&sym.nodes)
            .fold((0, 0), |(k, o), (nd, sn)| {
                (k.max(nd.piv_rows.len()), o.max(nd.block_order(sn)))
            });
        self.report = report;
        Ok(report)
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

impl PivotReport {
    fn merge(self, o: Self) -> Self {
        Self {
            delayed: self.delayed + o.delayed,
            perturbed: self.perturbed + o.perturbed,
            max_front_growth: self.max_front_growth.max(o.max_front_growth),
        }
    }
}

/// What every front reads: the symbolic analysis, `A`'s values and the
/// pivoting policy (its `can_delay` is cleared at the roots).
struct Input<'a, V> {
    sym: &'a Symbolic,
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
        sym,
        values,
        policy,
    } = input;
    let Fronts {
        nodes,
        base,
        factors,
    } = fronts;
    let base_off = sym.nodes[base].off;
    let mut report = PivotReport::default();
    for s in order {
        let (done, rest) = nodes.split_at_mut(s - base);
        let nd = &mut rest[0];
        let sn = &sym.nodes[s];
        let (f, b) = (sn.end - sn.start, sn.boundary.len());
        // delayed rows and columns of the children, in the children's order
        ws.din_rows.clear();
        ws.din_cols.clear();
        for &c in &sn.children {
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
        let nkids = sn.children.len();
        let owned: Vec<Option<Vec<T>>> = sn.children.iter().map(|&c| external(c)).collect();
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
            let Some(ci) = sn.children.iter().position(|&k| k == c) else {
                break;
            };
            ws.records.pop();
            at[ci] = BlockAt::Stack(off);
            lowest = lowest.min(off);
        }
        if ws.records.iter().any(|&(c, _)| sn.children.contains(&c)) {
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
                let dc = done[sn.children[ci] - base].delayed_rows.len();
                ws.pos.clear();
                ws.pos.extend((0..dc).map(|i| (f + din_off + i) as u32));
                for &(_, fj, len) in &sn.child_runs[ci] {
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
            .map(|ci| {
                let c = sn.children[ci];
                (done[c - base].block_order(&sym.nodes[c]), at[ci])
            })
            .collect();
        let child_runs: &[Vec<(u32, u32, u32)>] = if din == 0 {
            &sn.child_runs
        } else {
            &ws.shifted_runs[..nkids]
        };
        let (stack, asm_here) = (&ws.stack, &sym.asm[sn.asm.clone()]);
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
            can_delay: policy.can_delay && sn.has_parent,
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
        let (start, din_rows, din_cols, bnd) = (sn.start, &ws.din_rows, &ws.din_cols, &sn.boundary);
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
            .filter(|&&c| !(sn.start..sn.end).contains(&(c as usize)))
            .count();
        // factors: L11\U11 (k × k), U12 (k × o), L21 (o × k), o = m − k
        let o = m - k;
        let need = k * k + 2 * k * o;
        nd.in_overflow = need > sn.slot_len();
        let dst: &mut [T] = if nd.in_overflow {
            if nd.overflow.len() < need {
                nd.overflow.resize(need, T::default());
            }
            &mut nd.overflow[..need]
        } else {
            &mut factors[sn.off - base_off..][..need]
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
