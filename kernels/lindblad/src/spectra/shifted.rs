//! The shifted block `L_b − z I` of one parity block: pattern (with every
//! diagonal entry present), ordering and symbolic factorization built once,
//! a numeric factorization per shift `z`, solves with a residual check.
//! The plan serves every point of a sweep with the same pattern
//! ([`ShiftedBlock::refill`]: new values, the same ordering and symbolic
//! analysis).
//!
//! The factorization is [`crate::steady::engine`]'s complex engine: the
//! multifrontal LU on a geometric nested-dissection tree (threshold
//! pivoting with delayed pivots), faer's supernodal LU with COLAMD or a
//! caller's order, or a dense LU with full pivoting.
//!
//! # The even block: a trace row
//!
//! The even block holds the steady state: `L_e` is singular and `L_e − z`
//! nearly so for small `|z|`. Its right-hand sides are trace-free (`Q X`,
//! [`super`]), and for trace-free `y` the solution of `(L_e − z) x = y` is
//! trace-free too, so the row of the first diagonal unknown (implied by
//! the others, `tᵀ(L_e − z) = −z tᵀ`) is replaced by `w tᵀ x = 0` as in the
//! steady-state system ([`crate::steady`]); the matrix is then nonsingular
//! at every `z` that is not a non-stationary eigenvalue, `z = 0` included.
//! Its unknown is alone at the root of the nested-dissection tree. Residuals
//! are always those of the unmodified `L_e − z`.
//!
//! # Accuracy of one solve
//!
//! After the substitution one step of iterative refinement is taken; the
//! normwise backward error `η = ‖b − (L−z)x‖∞ / (‖L−z‖∞‖x‖∞ + ‖b‖∞)` is
//! returned with the amplification `κ̂ = ‖L−z‖∞‖x‖∞/‖b‖∞ ≤ κ∞(L−z)` (a lower
//! bound of the condition number). The relative forward error is at most
//! about `κ∞ η`. A solve with `η > 1e-10`, or with `κ̂ > 1e13` (the shift sits
//! on an eigenvalue of `L` to working precision: a pole of the resolvent)
//! is a [`LindbladError::Singular`]/[`LindbladError::Numerical`] failure,
//! never a number.

use crate::liouvillian::BlockLiouvillian;
use crate::multifrontal::Pivoting;
use crate::ordering::nested_dissection_tree;
use crate::steady::engine::{Engine, ND_LEAF_SIZE};
use crate::steady::{ColumnOrdering, SolveMethod};
use crate::LindbladError;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use num_complex::Complex64;

/// Largest accepted backward error of a shifted solve.
pub const BACKWARD_TOL: f64 = 1e-10;
/// Largest accepted amplification `‖L−z‖‖x‖/‖b‖` (a shift on a pole).
pub const AMPLIFICATION_MAX: f64 = 1e13;

/// Quality of one shifted solve (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SolveQuality {
    /// Normwise backward error after refinement.
    pub backward_error: f64,
    /// `‖L−z‖∞‖x‖∞/‖b‖∞`, a lower bound of the condition number.
    pub amplification: f64,
}

/// `L_b − z I` for one block with its factorization (module docs).
pub struct ShiftedBlock {
    n: usize,
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    /// `L_b` on the pattern (with explicit zeros on a missing diagonal).
    l_values: Vec<Complex64>,
    /// Position of each diagonal entry in the values.
    diag: Vec<usize>,
    /// `L_b − z I` of the last factorization.
    values: Vec<Complex64>,
    engine: Engine<Complex64>,
    shift: Option<Complex64>,
    /// `max_j Σ_i |L_ij|` over rows (∞-norm of `L_b`, without the shift).
    norm_l: f64,
    r: Vec<Complex64>,
    /// The replaced row (even block), and the unmodified `L_b` for
    /// residuals: `(row, col_ptr, row_idx, values)`.
    trace: Option<(usize, Box<Csc>)>,
    /// The pattern the plan was built for ([`Self::refill`]).
    pattern: BlockLiouvillian,
}

struct Csc {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    values: Vec<Complex64>,
}

/// The stored form of `L_b` (every diagonal entry present, the trace row
/// substituted in the even block), a function of the block's pattern
/// except for the values.
struct Layout {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    l_values: Vec<Complex64>,
    diag: Vec<usize>,
    norm_l: f64,
    trace_row: Option<usize>,
    unmodified: Csc,
}

impl Layout {
    fn new(block: &BlockLiouvillian, diag_flags: &[bool]) -> Result<Self, LindbladError> {
        let n = block.len();
        if n == 0 {
            return Err(LindbladError::InvalidInput("empty block".into()));
        }
        if block.values().len() != block.nnz() {
            return Err(LindbladError::InvalidInput(
                "shifted block needs the Liouvillian's values".into(),
            ));
        }
        let (cp, ri, vals) = (block.col_ptr(), block.row_idx(), block.values());
        let mut col_ptr = Vec::with_capacity(n + 1);
        let mut row_idx = Vec::with_capacity(ri.len() + n);
        let mut l_values = Vec::with_capacity(ri.len() + n);
        let mut diag = Vec::with_capacity(n);
        col_ptr.push(0);
        let zero = Complex64::new(0.0, 0.0);
        for c in 0..n {
            let mut placed = false;
            for idx in cp[c]..cp[c + 1] {
                let r = ri[idx];
                if !placed && r > c {
                    diag.push(row_idx.len());
                    row_idx.push(c);
                    l_values.push(zero);
                    placed = true;
                }
                if r == c {
                    diag.push(row_idx.len());
                    placed = true;
                }
                row_idx.push(r);
                l_values.push(vals[idx]);
            }
            if !placed {
                diag.push(row_idx.len());
                row_idx.push(c);
                l_values.push(zero);
            }
            col_ptr.push(row_idx.len());
        }
        let mut row_sum = vec![0.0f64; n];
        for (idx, &r) in row_idx.iter().enumerate() {
            row_sum[r] += l_values[idx].norm();
        }
        let norm_l = row_sum.iter().fold(0.0f64, |m, &v| m.max(v));
        let unmodified = Csc {
            col_ptr: col_ptr.clone(),
            row_idx: row_idx.clone(),
            values: l_values.clone(),
        };
        let trace_row = diag_flags.iter().position(|&f| f);
        if let Some(r0) = trace_row {
            // weight: the smallest, over the diagonal columns, of their
            // largest entry outside row r0 (never dominates a column)
            let mut w = f64::INFINITY;
            for c in (0..n).filter(|&c| diag_flags[c]) {
                let m = (col_ptr[c]..col_ptr[c + 1])
                    .filter(|&i| row_idx[i] != r0)
                    .map(|i| l_values[i].norm())
                    .fold(0.0f64, f64::max);
                if m > 0.0 {
                    w = w.min(m);
                }
            }
            if !w.is_finite() {
                w = 1.0;
            }
            let (mut cp2, mut ri2, mut lv2, mut dg2) =
                (vec![0usize], Vec::new(), Vec::new(), Vec::new());
            for c in 0..n {
                let mut put_trace = diag_flags[c];
                for idx in col_ptr[c]..col_ptr[c + 1] {
                    let r = row_idx[idx];
                    if put_trace && r >= r0 {
                        ri2.push(r0);
                        lv2.push(Complex64::new(w, 0.0));
                        put_trace = false;
                    }
                    if r == r0 {
                        continue;
                    }
                    if diag[c] == idx {
                        dg2.push(ri2.len());
                    }
                    ri2.push(r);
                    lv2.push(l_values[idx]);
                }
                if put_trace {
                    ri2.push(r0);
                    lv2.push(Complex64::new(w, 0.0));
                }
                if c == r0 {
                    // no shift on the trace row
                    dg2.push(usize::MAX);
                }
                cp2.push(ri2.len());
            }
            col_ptr = cp2;
            row_idx = ri2;
            l_values = lv2;
            diag = dg2;
        }
        Ok(Self {
            col_ptr,
            row_idx,
            l_values,
            diag,
            norm_l,
            trace_row,
            unmodified,
        })
    }
}

impl std::fmt::Debug for ShiftedBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShiftedBlock")
            .field("n", &self.n)
            .field("nnz", &self.row_idx.len())
            .finish()
    }
}

impl ShiftedBlock {
    /// The plan for `block` (values used) with `ordering` (for
    /// [`ColumnOrdering::Geometric`] the multifrontal LU on the tree of
    /// the coordinates, one per block unknown) on `threads` threads.
    ///
    /// # Errors
    /// An empty block, coordinates of the wrong length, analysis failures.
    pub fn new(
        block: &BlockLiouvillian,
        ordering: &ColumnOrdering,
        threads: usize,
    ) -> Result<Self, LindbladError> {
        let d = block.dim();
        let diag_flags: Vec<bool> = block
            .vec_indices()
            .iter()
            .map(|&v| v % d == v / d)
            .collect();
        Self::build(block, ordering, threads, &diag_flags)
    }

    fn build(
        block: &BlockLiouvillian,
        ordering: &ColumnOrdering,
        threads: usize,
        diag_flags: &[bool],
    ) -> Result<Self, LindbladError> {
        let n = block.len();
        let lay = Layout::new(block, diag_flags)?;
        let tree = match ordering {
            ColumnOrdering::Geometric(coords) => {
                if coords.len() != n {
                    return Err(LindbladError::InvalidInput(format!(
                        "{} coordinates given for {n} unknowns",
                        coords.len()
                    )));
                }
                let mut last = vec![false; n];
                if let Some(r0) = lay.trace_row {
                    last[r0] = true;
                }
                Some(nested_dissection_tree(coords, &last, 1, ND_LEAF_SIZE))
            }
            _ => None,
        };
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &lay.col_ptr, None, &lay.row_idx);
        let engine = Engine::new(
            sym,
            tree,
            ordering,
            n,
            |k| [k, usize::MAX],
            threads,
            SolveMethod::Direct,
            Pivoting::default(),
        )?;
        Ok(Self {
            n,
            values: lay.l_values.clone(),
            col_ptr: lay.col_ptr,
            row_idx: lay.row_idx,
            l_values: lay.l_values,
            diag: lay.diag,
            engine,
            shift: None,
            norm_l: lay.norm_l,
            r: vec![Complex64::new(0.0, 0.0); n],
            trace: lay.trace_row.map(|r0| (r0, Box::new(lay.unmodified))),
            pattern: block.pattern_only(),
        })
    }

    /// `cached` with the values of `block` when it has its pattern
    /// ([`Self::refill`]), else a new plan with the ordering `ordering(block)`.
    ///
    /// # Errors
    /// As [`Self::new`].
    pub fn reuse_or_new(
        cached: Option<Self>,
        block: &BlockLiouvillian,
        ordering: impl FnOnce(&BlockLiouvillian) -> ColumnOrdering,
        threads: usize,
    ) -> Result<Self, LindbladError> {
        if let Some(mut c) = cached {
            if c.refill(block)? {
                return Ok(c);
            }
        }
        Self::new(block, &ordering(block), threads)
    }

    /// Takes the values of `block` when it has the plan's pattern (the same
    /// dimension, block unknowns and stored entries: another parameter
    /// point of the same model and size), keeping the ordering and the
    /// symbolic analysis; the next solve refactorizes numerically. Returns
    /// whether it did: `false` (nothing changed) for another pattern, when
    /// a new plan is needed. The ordering the plan was built with must be a
    /// function of the pattern (as the geometric orderings of the LMG
    /// blocks are). Results are bit-identical to those of a new plan.
    ///
    /// # Errors
    /// A block without values.
    pub fn refill(&mut self, block: &BlockLiouvillian) -> Result<bool, LindbladError> {
        if !self.pattern.same_pattern(block) {
            return Ok(false);
        }
        let d = block.dim();
        let diag_flags: Vec<bool> = block
            .vec_indices()
            .iter()
            .map(|&v| v % d == v / d)
            .collect();
        let lay = Layout::new(block, &diag_flags)?;
        debug_assert!(lay.col_ptr == self.col_ptr && lay.row_idx == self.row_idx);
        self.values.copy_from_slice(&lay.l_values);
        self.l_values = lay.l_values;
        self.norm_l = lay.norm_l;
        self.trace = lay.trace_row.map(|r0| (r0, Box::new(lay.unmodified)));
        self.shift = None;
        Ok(true)
    }

    /// Number of unknowns.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the block is empty (never: [`new`](Self::new) refuses it).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `‖L_b‖∞`.
    pub fn norm(&self) -> f64 {
        self.norm_l
    }

    /// Stored entries of `L_b − zI`.
    pub fn nnz(&self) -> usize {
        self.row_idx.len()
    }

    /// Fill and flops of one factorization (symbolic analysis).
    pub fn factor_stats(&self) -> crate::FactorStats {
        self.engine.stats(self.n, self.nnz())
    }

    /// The shift of the current factorization.
    pub fn shift(&self) -> Option<Complex64> {
        self.shift
    }

    /// Numeric factorization of `L_b − z I`.
    ///
    /// # Errors
    /// [`LindbladError::Singular`] when the factorization meets a zero pivot
    /// (the shift is an eigenvalue of `L_b`).
    pub fn factorize(&mut self, z: Complex64) -> Result<(), LindbladError> {
        self.values.copy_from_slice(&self.l_values);
        for &p in &self.diag {
            if p != usize::MAX {
                self.values[p] -= z;
            }
        }
        self.shift = None;
        let sym = SymbolicSparseColMatRef::new_checked(
            self.n,
            self.n,
            &self.col_ptr,
            None,
            &self.row_idx,
        );
        self.engine
            .factorize(SparseColMatRef::new(sym, &self.values))?;
        self.shift = Some(z);
        Ok(())
    }

    /// `x ← (L_b − z I)⁻¹ x` with the current factors, without a check
    /// (the inner loop of the Krylov methods).
    ///
    /// # Errors
    /// No factorization yet.
    pub fn apply_inverse(&mut self, x: &mut [Complex64]) -> Result<(), LindbladError> {
        if self.shift.is_none() {
            return Err(LindbladError::Numerical(
                "shifted solve before a factorization".into(),
            ));
        }
        if let Some((r0, _)) = &self.trace {
            // the trace-row equation tᵀx = 0 (trace-free right-hand sides)
            x[*r0] = Complex64::new(0.0, 0.0);
        }
        let sym = SymbolicSparseColMatRef::new_checked(
            self.n,
            self.n,
            &self.col_ptr,
            None,
            &self.row_idx,
        );
        self.engine
            .solve(SparseColMatRef::new(sym, &self.values), x)
    }

    /// `y = (L_b − z I) x` (the unmodified block, also in the even one).
    pub fn apply(&self, z: Complex64, x: &[Complex64], y: &mut [Complex64]) {
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi = -z * xi;
        }
        let (cp, ri, lv) = match &self.trace {
            Some((_, m)) => (&m.col_ptr[..], &m.row_idx[..], &m.values[..]),
            None => (&self.col_ptr[..], &self.row_idx[..], &self.l_values[..]),
        };
        for c in 0..self.n {
            let xc = x[c];
            for idx in cp[c]..cp[c + 1] {
                y[ri[idx]] += lv[idx] * xc;
            }
        }
    }

    /// Backward error and amplification of `x` as a solution of
    /// `(L_b − z I) x = b` (module docs).
    pub fn quality(&mut self, z: Complex64, x: &[Complex64], b: &[Complex64]) -> SolveQuality {
        let mut r = std::mem::take(&mut self.r);
        self.apply(z, x, &mut r);
        let mut rn = 0.0f64;
        for (ri, &bi) in r.iter_mut().zip(b) {
            *ri = bi - *ri;
            rn = rn.max(ri.norm());
        }
        self.r = r;
        let xn = inf_norm(x);
        let bn = inf_norm(b);
        let an = self.norm_l + z.norm();
        let denom = an * xn + bn;
        SolveQuality {
            backward_error: if denom > 0.0 { rn / denom } else { 0.0 },
            amplification: if bn > 0.0 { an * xn / bn } else { 0.0 },
        }
    }

    /// Factorizes at `z` (unless the current factors are for `z`), solves
    /// `(L_b − zI) x = b` into `x` with one refinement step and checks it
    /// (module docs).
    ///
    /// # Errors
    /// A zero pivot, a backward error above [`BACKWARD_TOL`] or an
    /// amplification above [`AMPLIFICATION_MAX`], both naming the shift.
    pub fn solve(
        &mut self,
        z: Complex64,
        b: &[Complex64],
        x: &mut [Complex64],
    ) -> Result<SolveQuality, LindbladError> {
        if self.shift != Some(z) {
            self.factorize(z).map_err(|e| match e {
                LindbladError::Singular(m) => LindbladError::Singular(format!(
                    "shift {z} is an eigenvalue of L to working precision ({m})"
                )),
                e => e,
            })?;
        }
        x.copy_from_slice(b);
        self.apply_inverse(x)?;
        // one step of refinement
        let mut r = std::mem::take(&mut self.r);
        self.apply(z, x, &mut r);
        for (ri, &bi) in r.iter_mut().zip(b) {
            *ri = bi - *ri;
        }
        self.apply_inverse(&mut r)?;
        for (xi, &ri) in x.iter_mut().zip(&r) {
            *xi += ri;
        }
        self.r = r;
        if !x.iter().all(|v| v.re.is_finite() && v.im.is_finite()) {
            return Err(LindbladError::Singular(format!(
                "shift {z}: non-finite solution (a pole of the resolvent)"
            )));
        }
        let q = self.quality(z, x, b);
        if q.amplification > AMPLIFICATION_MAX {
            return Err(LindbladError::Singular(format!(
                "shift {z} is near-singular: ‖L−z‖‖x‖/‖b‖ = {:.1e} (a pole of the resolvent)",
                q.amplification
            )));
        }
        if q.backward_error > BACKWARD_TOL {
            return Err(LindbladError::Numerical(format!(
                "shift {z}: backward error {:.1e} above {BACKWARD_TOL:.0e}",
                q.backward_error
            )));
        }
        Ok(q)
    }
}

/// `max |x_i|`.
pub(crate) fn inf_norm(x: &[Complex64]) -> f64 {
    x.iter().fold(0.0f64, |m, v| m.max(v.norm()))
}
