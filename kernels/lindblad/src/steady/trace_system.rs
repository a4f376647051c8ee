//! The trace-constrained system `A x = b` of a block Liouvillian, one
//! generic type for both formulations ([`super::Arithmetic`]):
//!
//! - complex (`T = Complex64`): the unknowns are the block's `ρ_ij`, `A` is
//!   `L_e` with the row of `ρ_00` replaced by `w tᵀ`;
//! - real (`T = f64`): the unknowns are `Re ρ_ij` (`i ≥ j`) and `Im ρ_ij`
//!   (`i > j`) of the Hermitian half, the equations `Re (Lρ)_ij`,
//!   `Im (Lρ)_ij` (`i ≥ j`); with `L_rc = a + ib` and `ρ_c = x_re + i s
//!   x_im` (`s = −1` when `c` is the conjugate partner) an entry
//!   contributes `a` / `−s b` to the `Re` row and `b` / `s a` to the `Im`
//!   row, and the trace row replaces `Re (Lρ)_00`.
//!
//! Both are described by the same map: per block unknown `k` the system
//! unknowns `re[k]`, `im[k]` (NONE for a complex system or a diagonal
//! element) and the sign `s`; per system entry the block entries it takes
//! a `Part` of. The pattern is built once (entries generated twice:
//! counted per column, then placed), the values at every point; the
//! system is factorized by its `Engine` and solved by `refine_solve`.
//! For a geometric ordering the elimination tree of the system unknowns
//! (their block unknown's coordinates, the trace row's unknown last) is
//! built on a second thread while the pattern is assembled.

use super::engine::{check_coords, Engine, ND_LEAF_SIZE};

/// Systems smaller than this build their elimination tree on the calling
/// thread: a thread start (~20–50 µs) is then a large part of the planning.
const PARALLEL_PLAN_MIN_UNKNOWNS: usize = 10_000;
use super::refine::{refine_solve, SolveReport, Work};
use super::{ColumnOrdering, FactorStats, SteadyStateOptions};
use crate::liouvillian::{BlockLiouvillian, NONE};
use crate::scalar::{Part, SystemScalar};
use crate::LindbladError;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use num_complex::Complex64;

/// One term of a system entry: `values[pos] += part of L[idx]`.
#[derive(Clone, Copy)]
struct Contrib {
    pos: u32,
    idx: u32,
    part: Part,
}

/// The trace-constrained system in scalar `T` (module docs).
pub(crate) struct TraceSystem<T: SystemScalar> {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    values: Vec<T>,
    contribs: Vec<Contrib>,
    /// Positions of the trace-row entries.
    trace_pos: Vec<usize>,
    /// The system row (and unknown) of the trace constraint.
    trace_row: usize,
    /// Per block unknown: system unknowns of its real and imaginary parts
    /// (NONE: none) and the sign of the imaginary part.
    re: Vec<usize>,
    im: Vec<usize>,
    sign: Vec<f64>,
    engine: Engine<T>,
    work: Work<T>,
}

/// The unknown map of the formulation of `T` (module docs).
type UnknownMap = (Vec<usize>, Vec<usize>, Vec<f64>);

fn unknown_map<T: SystemScalar>(block: &BlockLiouvillian) -> Result<UnknownMap, LindbladError> {
    let n = block.len();
    if !T::REAL {
        return Ok(((0..n).collect(), vec![NONE; n], vec![1.0; n]));
    }
    let d = block.dim();
    let vec_idx = block.vec_indices();
    let mut re = vec![NONE; n];
    let mut im = vec![NONE; n];
    let mut sign = vec![1.0f64; n];
    let mut nr = 0usize;
    for (k, &v) in vec_idx.iter().enumerate() {
        let (i, j) = (v % d, v / d);
        if i >= j {
            re[k] = nr;
            nr += 1;
            if i > j {
                im[k] = nr;
                nr += 1;
            }
        }
    }
    for (k, &v) in vec_idx.iter().enumerate() {
        let (i, j) = (v % d, v / d);
        if i < j {
            let t = vec_idx.binary_search(&(j + d * i)).map_err(|_| {
                LindbladError::InvalidInput(
                    "block does not hold rho_ji with every rho_ij: use complex arithmetic".into(),
                )
            })?;
            re[k] = re[t];
            im[k] = im[t];
            sign[k] = -1.0;
        }
    }
    if nr != n {
        return Err(LindbladError::InvalidInput(
            "block is not closed under transposition: use complex arithmetic".into(),
        ));
    }
    Ok((re, im, sign))
}

/// The system's pattern (CSC), its value map and trace-row positions.
struct Pattern {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    contribs: Vec<Contrib>,
    trace_pos: Vec<usize>,
}

fn build_pattern<T: SystemScalar>(
    block: &BlockLiouvillian,
    diag_block: &[usize],
    (blk_re, blk_im, blk_sign): (&[usize], &[usize], &[f64]),
    trace_row: usize,
) -> Result<Pattern, LindbladError> {
    let n = block.len();
    let d = block.dim();
    let (cp, ri) = (block.col_ptr(), block.row_idx());
    let nnz = ri.len();
    if nnz >= u32::MAX as usize / 2 {
        return Err(LindbladError::InvalidInput(
            "pattern too large for a trace-constrained system".into(),
        ));
    }
    // the entry of the real part (complex: the whole value)
    let whole = if T::REAL { Part::Re } else { Part::Whole };
    // entries (col, row, idx, part) of the system; idx = u32::MAX marks a
    // trace-row entry
    let for_each_entry = |emit: &mut dyn FnMut(u32, u32, u32, Part)| {
        for c in 0..n {
            let (cre, cim, s) = (blk_re[c], blk_im[c], blk_sign[c]);
            for (idx, &r) in ri.iter().enumerate().take(cp[c + 1]).skip(cp[c]) {
                if blk_sign[r] < 0.0 {
                    continue;
                }
                let (rre, rim) = (blk_re[r], blk_im[r]);
                let id = idx as u32;
                if rre != trace_row {
                    emit(cre as u32, rre as u32, id, whole);
                    if cim != NONE {
                        let p = if s > 0.0 { Part::NegIm } else { Part::Im };
                        emit(cim as u32, rre as u32, id, p);
                    }
                }
                if rim != NONE {
                    emit(cre as u32, rim as u32, id, Part::Im);
                    if cim != NONE {
                        let p = if s > 0.0 { Part::Re } else { Part::NegRe };
                        emit(cim as u32, rim as u32, id, p);
                    }
                }
            }
        }
        for &k in diag_block {
            emit(blk_re[k] as u32, trace_row as u32, u32::MAX, whole);
        }
    };
    let mut start = vec![0usize; n + 1];
    for_each_entry(&mut |c, _, _, _| start[c as usize + 1] += 1);
    for c in 0..n {
        start[c + 1] += start[c];
    }
    let mut next = start[..n].to_vec();
    let mut t = vec![(0u32, 0u32, 0u32, Part::Re); start[n]];
    for_each_entry(&mut |c, r, idx, kind| {
        t[next[c as usize]] = (c, r, idx, kind);
        next[c as usize] += 1;
    });
    drop(next);
    for c in 0..n {
        t[start[c]..start[c + 1]].sort_unstable_by_key(|e| (e.0, e.1, e.2));
    }
    let mut col_ptr = vec![0usize; n + 1];
    let mut row_idx = Vec::with_capacity(t.len());
    let mut contribs = Vec::with_capacity(t.len());
    let mut trace_pos = Vec::with_capacity(d);
    let mut last = (u32::MAX, u32::MAX);
    for &(c, r, idx, kind) in &t {
        if (c, r) != last {
            row_idx.push(r as usize);
            col_ptr[c as usize + 1] = row_idx.len();
            last = (c, r);
        }
        let pos = row_idx.len() - 1;
        if idx == u32::MAX {
            trace_pos.push(pos);
        } else {
            contribs.push(Contrib {
                pos: pos as u32,
                idx,
                part: kind,
            });
        }
    }
    drop(t);
    for c in 0..n {
        col_ptr[c + 1] = col_ptr[c + 1].max(col_ptr[c]);
    }
    Ok(Pattern {
        col_ptr,
        row_idx,
        contribs,
        trace_pos,
    })
}

impl<T: SystemScalar> TraceSystem<T> {
    /// The system of `block` (values unused) with its engine for `ordering`.
    ///
    /// # Errors
    /// Invalid orderings or coordinates, a real formulation of a block not
    /// closed under transposition, factorization-analysis failures.
    pub fn new(
        block: &BlockLiouvillian,
        diag_block: &[usize],
        ordering: &ColumnOrdering,
        options: &SteadyStateOptions,
    ) -> Result<Self, LindbladError> {
        let n = block.len();
        let (re, im, sign) = unknown_map::<T>(block)?;
        let trace_row = re[diag_block[0]];
        // geometric ordering: the elimination tree needs only the
        // coordinates of the system unknowns, so on a large system it is
        // built on a second thread while this one builds the pattern (on a
        // small one the thread would cost more than it saves)
        let geometry = match ordering {
            ColumnOrdering::Geometric(coords) => {
                check_coords(coords, n)?;
                let mut rc = vec![[0i64; 2]; n];
                for k in 0..n {
                    rc[re[k]] = coords[k];
                    if im[k] != NONE {
                        rc[im[k]] = coords[k];
                    }
                }
                let mut last = vec![false; n];
                last[trace_row] = true;
                Some((rc, last))
            }
            _ => None,
        };
        let nd_tree = |(rc, last): &(Vec<[i64; 2]>, Vec<bool>)| {
            crate::ordering::nested_dissection_tree(rc, last, 1, ND_LEAF_SIZE)
        };
        let (pattern, tree) = std::thread::scope(|sc| {
            let job = geometry
                .as_ref()
                .filter(|_| options.threads > 1 && n >= PARALLEL_PLAN_MIN_UNKNOWNS)
                .map(|g| sc.spawn(move || nd_tree(g)));
            let pattern = build_pattern::<T>(block, diag_block, (&re, &im, &sign), trace_row);
            let tree = match job {
                Some(h) => Some(h.join().map_err(|_| {
                    LindbladError::Numerical("nested-dissection thread panicked".into())
                })?),
                None => geometry.as_ref().map(nd_tree),
            };
            Ok::<_, LindbladError>((pattern?, tree))
        })?;
        let Pattern {
            col_ptr,
            row_idx,
            contribs,
            trace_pos,
        } = pattern;
        let tree = match ordering {
            ColumnOrdering::Metis => {
                let mut last = vec![false; n];
                last[trace_row] = true;
                Some(crate::graph_ordering::metis_nd_tree(
                    n,
                    &col_ptr,
                    &row_idx,
                    &last,
                    ND_LEAF_SIZE,
                )?)
            }
            _ => tree,
        };
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
        let engine = Engine::new(
            sym,
            tree,
            ordering,
            n,
            |k| [re[k], im[k]],
            options.threads,
            options.method,
            options.pivoting,
        )?;
        Ok(Self {
            values: vec![T::default(); row_idx.len()],
            col_ptr,
            row_idx,
            contribs,
            trace_pos,
            trace_row,
            re,
            im,
            sign,
            engine,
            work: Work::new(n),
        })
    }

    /// Stored entries of the system.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Fill and flops of the engine.
    pub fn stats(&self) -> FactorStats {
        self.engine.stats(self.work.x.len(), self.values.len())
    }

    /// Writes `A` from the block values and the trace weight `w`.
    fn fill(&mut self, values: &[Complex64], w: f64) {
        self.values.fill(T::default());
        for c in &self.contribs {
            self.values[c.pos as usize] += T::part(values[c.idx as usize], c.part);
        }
        for &pos in &self.trace_pos {
            self.values[pos] = T::from_f64(w);
        }
    }

    /// The numeric factorization alone (benchmarks), trace weight `w`.
    pub fn factor_only(&mut self, values: &[Complex64], w: f64) -> Result<(), LindbladError> {
        self.fill(values, w);
        let n = self.work.x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        let a = SparseColMatRef::new(sym, &self.values);
        self.engine.factorize(a).map(|_| ())
    }

    /// One solve with the current factors (benchmarks).
    pub fn solve_only(&mut self) -> Result<(), LindbladError> {
        let n = self.work.x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        let a = SparseColMatRef::new(sym, &self.values);
        let x = &mut self.work.x;
        x.fill(T::default());
        x[self.trace_row] = T::from_f64(1.0);
        self.engine.solve(a, x)
    }

    /// Factorizes, solves and refines at the block values `values`; writes
    /// the block solution to `out`.
    pub fn solve(
        &mut self,
        values: &[Complex64],
        w: f64,
        max_steps: usize,
        out: &mut [Complex64],
    ) -> Result<SolveReport, LindbladError> {
        self.fill(values, w);
        let n = self.work.x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        let a = SparseColMatRef::new(sym, &self.values);
        let report = refine_solve(
            &mut self.engine,
            a,
            self.trace_row,
            w,
            max_steps,
            &mut self.work,
        )?;
        let x = &self.work.x;
        for (k, o) in out.iter_mut().enumerate() {
            *o = T::block_value(x, self.re[k], self.im[k], self.sign[k]);
        }
        Ok(report)
    }
}
