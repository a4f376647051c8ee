//! Steady state `L ρ = 0, Tr ρ = 1` by sparse direct LU.
//!
//! # Method
//!
//! Let `L_e` be the block of the Liouvillian that contains the diagonal of ρ
//! (the even block under a weak Z2 symmetry, see [`crate::liouvillian`]), in
//! the column-stacked convention `ρ_ij ↦ i + D*j`. Trace preservation means
//! `tᵀ L_e = 0` for the trace row `t` (ones at the diagonal elements `ρ_ii`),
//! so the rows of `L_e` are dependent. We replace the row of `ρ_00` by
//! `w tᵀ` and the right-hand side by `w e_{00}`:
//!
//! ```text
//! A x = b,   A = L_e with row (0,0) ← w tᵀ,   b = w e_(0,0).
//! ```
//!
//! If the steady state is unique, `A` is nonsingular: row (0,0) lies in the
//! span of the other rows (the left null vector `t` has a nonzero entry
//! there), and `t` is not in the row space of `L_e` because `tᵀ ρ_ss ≠ 0`.
//! The weight `w` is the mean modulus of the diagonal of `L_e`, so that the
//! trace row has the magnitude of the rows it sits among (partial pivoting
//! then treats it like any other row). Unlike a bordered system or adding
//! `w tᵀ` to a row with its own entries, this keeps the pattern of `A` fixed
//! and costs one row of `D` entries.
//!
//! `A` is factorized by faer's sparse LU with partial pivoting (COLAMD column
//! ordering and faer's choice of supernodal or simplicial numeric
//! factorization, or a caller-supplied column ordering with the supernodal
//! factorization, see [`ColumnOrdering`]; always with
//! `Par::Seq`, so results are bit-identical for any thread count). The
//! symbolic factorization is done once per pattern ([`SteadyStatePlan::new`]);
//! each [`SteadyStatePlan::solve_values`] refactorizes numerically, solves,
//! and applies up to `max_refinement_steps` steps of iterative refinement on
//! `A x = b` while the normwise backward error of that system exceeds
//! `1e-14`.
//!
//! The solution is then Hermitized, `ρ ← (ρ + ρ†)/2`, and normalized to
//! `Tr ρ = 1`.
//!
//! # Quality figures ([`Quality`])
//!
//! - `residual`: `‖L_e x‖_∞ / (‖L_e‖_∞ ‖x‖_∞)` for the final (Hermitized,
//!   normalized) ρ restricted to the block, `‖·‖_∞` the max-modulus vector
//!   norm and the induced (max absolute row sum) matrix norm. This is the
//!   normwise backward error of `x` as a null vector of `L_e` (Rigal–Gaches).
//!   Outside the block ρ is zero and `L` does not couple the blocks, so this
//!   is also the residual of the full `L`.
//! - `trace`: real part of `Tr ρ` of the raw solution, before normalization
//!   (1 up to solver error).
//! - `hermiticity_error`: `‖ρ − ρ†‖_F / ‖ρ‖_F` of the raw solution.
//! - `min_eigenvalue`: smallest eigenvalue of the final ρ (dense Hermitian
//!   eigenvalues of each parity sector of ρ, which is block diagonal in the
//!   parity).
//! - `purity`: `Tr ρ² = Σ_ij |ρ_ij|²` of the final ρ.
//!
//! A non-finite solution, a residual above `residual_tol`, or a smallest
//! eigenvalue below `−positivity_tol` (the hallmark of a non-unique steady
//! state, where the factorization returns an arbitrary large null-space
//! component) are errors, never numbers.

use crate::liouvillian::{BlockLiouvillian, NONE};
use crate::LindbladError;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::perm::PermRef;
use faer::sparse::linalg::lu::supernodal::{
    factorize_supernodal_numeric_lu, factorize_supernodal_numeric_lu_scratch,
    factorize_supernodal_symbolic_lu, factorize_supernodal_symbolic_lu_scratch, SupernodalLu,
    SymbolicSupernodalLu,
};
use faer::sparse::linalg::lu::{factorize_symbolic_lu, NumericLu, SymbolicLu};
use faer::sparse::linalg::{qr, LuError};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, Mat, MatMut, MatRef, Par};
use num_complex::Complex64;
use sprs::CsMat;

/// Tolerances and limits of the steady-state solve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SteadyStateOptions {
    /// Largest acceptable relative residual `‖Lρ‖_∞/(‖L‖_∞‖ρ‖_∞)`.
    pub residual_tol: f64,
    /// Largest acceptable negative eigenvalue magnitude of ρ.
    pub positivity_tol: f64,
    /// Maximum number of iterative-refinement steps.
    pub max_refinement_steps: usize,
}

impl Default for SteadyStateOptions {
    fn default() -> Self {
        Self {
            residual_tol: 1e-8,
            positivity_tol: 1e-6,
            max_refinement_steps: 3,
        }
    }
}

/// Quality figures of a steady state (see the module docs for definitions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quality {
    /// `‖L_e x‖_∞ / (‖L_e‖_∞ ‖x‖_∞)` of the final ρ.
    pub residual: f64,
    /// `Re Tr ρ` of the raw solution (before normalization).
    pub trace: f64,
    /// `‖ρ − ρ†‖_F / ‖ρ‖_F` of the raw solution.
    pub hermiticity_error: f64,
    /// Smallest eigenvalue of the final ρ.
    pub min_eigenvalue: f64,
    /// `Tr ρ²` of the final ρ.
    pub purity: f64,
    /// Iterative-refinement steps taken.
    pub refinement_steps: usize,
}

/// A steady state: the dense density matrix (`D × D`, Hermitian, trace 1)
/// and its quality figures.
#[derive(Clone, Debug)]
pub struct SteadyState {
    /// ρ, with `rho[(i, j)] = ρ_ij`.
    pub rho: Mat<Complex64>,
    /// Quality figures.
    pub quality: Quality,
}

/// Fill-reducing column ordering of the reduced system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ColumnOrdering {
    /// faer's COLAMD (default; no knowledge of the geometry needed).
    #[default]
    Colamd,
    /// A caller-supplied elimination order of the block unknowns:
    /// `order[k]` is the block index eliminated `k`-th (a permutation of
    /// `0..len`). Used by the LMG plan for a geometric nested dissection.
    Custom(Vec<usize>),
}

/// The factorization engine: faer's high-level symbolic LU (COLAMD) or the
/// supernodal LU with a custom column permutation.
enum Factor {
    Auto(Box<AutoFactor>),
    Custom(Box<CustomFactor>),
}

struct AutoFactor {
    symbolic: SymbolicLu<usize>,
    numeric: NumericLu<usize, Complex64>,
}

struct CustomFactor {
    perm_fwd: Vec<usize>,
    perm_inv: Vec<usize>,
    symbolic: SymbolicSupernodalLu<usize>,
    lu: SupernodalLu<usize, Complex64>,
    row_fwd: Vec<usize>,
    row_inv: Vec<usize>,
    /// Aᵀ pattern and the position in Aᵀ of every entry of A.
    at_col_ptr: Vec<usize>,
    at_row_idx: Vec<usize>,
    at_values: Vec<Complex64>,
    a_to_at: Vec<usize>,
}

/// A reusable steady-state solver for one sparsity pattern: the reduced
/// system's pattern, its fill-reducing ordering and symbolic LU are computed
/// once; [`solve_values`](Self::solve_values) only refactorizes numerically.
pub struct SteadyStatePlan {
    pattern: BlockLiouvillian,
    options: SteadyStateOptions,
    /// Block index of each diagonal element ρ_ii.
    diag_block: Vec<usize>,
    /// Position in the block values of each block diagonal entry L_kk (NONE if absent).
    l_diag_pos: Vec<usize>,
    trace_row: usize,
    a_col_ptr: Vec<usize>,
    a_row_idx: Vec<usize>,
    a_values: Vec<Complex64>,
    /// For each block-L entry, its position in `a_values` (NONE: dropped row).
    l_to_a: Vec<usize>,
    /// Positions of the trace-row entries in `a_values`.
    trace_pos: Vec<usize>,
    factor: Factor,
    mem: MemBuffer,
    x: Vec<Complex64>,
    dx: Vec<Complex64>,
    rowsum: Vec<f64>,
    /// Parity sectors of the Hilbert space (for the eigenvalue check).
    sectors: Vec<Vec<usize>>,
}

impl std::fmt::Debug for SteadyStatePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SteadyStatePlan")
            .field("dim", &self.pattern.dim())
            .field("unknowns", &self.pattern.len())
            .field("nnz", &self.a_values.len())
            .finish()
    }
}

fn lu_err(e: LuError) -> LindbladError {
    match e {
        LuError::SymbolicSingular { index } => LindbladError::Singular(format!(
            "structurally singular at pivot {index}: no unique steady state"
        )),
        LuError::Generic(f) => f.into(),
    }
}

fn is_finite(z: Complex64) -> bool {
    z.re.is_finite() && z.im.is_finite()
}

/// Smallest eigenvalue of the Hermitian matrix `rho` restricted to each index
/// set in `sectors` (sequential).
pub(crate) fn min_eigenvalue(
    rho: MatRef<'_, Complex64>,
    sectors: &[Vec<usize>],
) -> Result<f64, LindbladError> {
    let mut min = f64::INFINITY;
    for idx in sectors {
        let n = idx.len();
        if n == 0 {
            continue;
        }
        let sub = Mat::<Complex64>::from_fn(n, n, |a, b| rho[(idx[a], idx[b])]);
        let par = Par::Seq;
        let req = faer::linalg::evd::self_adjoint_evd_scratch::<Complex64>(
            n,
            faer::linalg::evd::ComputeEigenvectors::No,
            par,
            Default::default(),
        );
        let mut buf = MemBuffer::try_new(req).map_err(|_| LindbladError::OutOfMemory)?;
        let mut s = faer::diag::Diag::<Complex64>::zeros(n);
        faer::linalg::evd::self_adjoint_evd(
            sub.as_ref(),
            s.as_mut(),
            None,
            par,
            MemStack::new(&mut buf),
            Default::default(),
        )
        .map_err(|e| LindbladError::Numerical(format!("eigenvalues of rho: {e:?}")))?;
        for k in 0..n {
            min = min.min(s.column_vector()[k].re);
        }
    }
    Ok(min)
}

impl SteadyStatePlan {
    /// Builds the plan for the pattern of `block` (its values are not used).
    ///
    /// # Errors
    /// [`LindbladError::Singular`] if the pattern is structurally singular,
    /// [`LindbladError::OutOfMemory`] on allocation failure.
    pub fn new(
        block: &BlockLiouvillian,
        options: SteadyStateOptions,
    ) -> Result<Self, LindbladError> {
        Self::with_ordering(block, options, ColumnOrdering::Colamd)
    }

    /// As [`new`](Self::new) with an explicit column ordering.
    ///
    /// # Errors
    /// As [`new`](Self::new), and [`LindbladError::InvalidInput`] if a
    /// custom ordering is not a permutation of the block unknowns.
    pub fn with_ordering(
        block: &BlockLiouvillian,
        options: SteadyStateOptions,
        ordering: ColumnOrdering,
    ) -> Result<Self, LindbladError> {
        let d = block.dim();
        let n = block.len();
        let vec_idx = block.vec_indices();
        // block index of each diagonal element (vec index i + D*i)
        let mut diag_block = Vec::with_capacity(d);
        for i in 0..d {
            let v = i + d * i;
            let k = vec_idx.binary_search(&v).map_err(|_| {
                LindbladError::InvalidInput("block misses a diagonal element".into())
            })?;
            diag_block.push(k);
        }
        let trace_row = diag_block[0];
        let mut is_diag = vec![false; n];
        for &k in &diag_block {
            is_diag[k] = true;
        }
        let (cp, ri) = (block.col_ptr(), block.row_idx());
        let mut l_diag_pos = vec![NONE; n];
        let mut a_col_ptr = vec![0usize; n + 1];
        let mut a_row_idx = Vec::with_capacity(ri.len() + d);
        let mut l_to_a = vec![NONE; ri.len()];
        let mut trace_pos = Vec::with_capacity(d);
        for c in 0..n {
            let mut placed_trace = !is_diag[c];
            for idx in cp[c]..cp[c + 1] {
                let r = ri[idx];
                if r == c {
                    l_diag_pos[c] = idx;
                }
                if !placed_trace && r >= trace_row {
                    trace_pos.push(a_row_idx.len());
                    a_row_idx.push(trace_row);
                    placed_trace = true;
                }
                if r == trace_row {
                    continue;
                }
                l_to_a[idx] = a_row_idx.len();
                a_row_idx.push(r);
            }
            if !placed_trace {
                trace_pos.push(a_row_idx.len());
                a_row_idx.push(trace_row);
            }
            a_col_ptr[c + 1] = a_row_idx.len();
        }
        let a_values = vec![Complex64::new(0.0, 0.0); a_row_idx.len()];
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &a_col_ptr, None, &a_row_idx);
        let par = Par::Seq;
        let (factor, req) = match ordering {
            ColumnOrdering::Colamd => {
                let symbolic = factorize_symbolic_lu(sym, Default::default())?;
                let req = StackReq::any_of(&[
                    symbolic.factorize_numeric_lu_scratch::<Complex64>(par, Default::default()),
                    symbolic.solve_in_place_scratch::<Complex64>(1, par),
                ]);
                let factor = Factor::Auto(Box::new(AutoFactor {
                    symbolic,
                    numeric: NumericLu::new(),
                }));
                (factor, req)
            }
            ColumnOrdering::Custom(order) => custom_symbolic(sym, order)?,
        };
        let mem = MemBuffer::try_new(req).map_err(|_| LindbladError::OutOfMemory)?;
        let sectors = match block.parity() {
            Some(p) => {
                let even: Vec<usize> = (0..d).filter(|&i| !p[i]).collect();
                let odd: Vec<usize> = (0..d).filter(|&i| p[i]).collect();
                vec![even, odd]
            }
            None => vec![(0..d).collect()],
        };
        Ok(Self {
            pattern: block.clone(),
            options,
            diag_block,
            l_diag_pos,
            trace_row,
            a_col_ptr,
            a_row_idx,
            a_values,
            l_to_a,
            trace_pos,
            factor,
            mem,
            x: vec![Complex64::new(0.0, 0.0); n],
            dx: vec![Complex64::new(0.0, 0.0); n],
            rowsum: vec![0.0; n],
            sectors,
        })
    }

    /// The pattern this plan was built for.
    pub fn pattern(&self) -> &BlockLiouvillian {
        &self.pattern
    }

    /// Options in use.
    pub fn options(&self) -> &SteadyStateOptions {
        &self.options
    }

    /// Number of stored entries of the reduced (trace-constrained) system.
    pub fn reduced_nnz(&self) -> usize {
        self.a_values.len()
    }

    /// Solves for the steady state of `block`, which must have the plan's
    /// pattern.
    ///
    /// # Errors
    /// [`LindbladError::InvalidInput`] if the pattern differs; otherwise as
    /// [`solve_values`](Self::solve_values).
    pub fn solve(&mut self, block: &BlockLiouvillian) -> Result<SteadyState, LindbladError> {
        if !self.pattern.same_pattern(block) {
            return Err(LindbladError::InvalidInput(
                "Liouvillian pattern differs from the plan's".into(),
            ));
        }
        self.solve_values(block.values())
    }

    /// Solves for the steady state of the block Liouvillian with the plan's
    /// pattern and the given values (aligned with
    /// [`BlockLiouvillian::values`]).
    ///
    /// # Errors
    /// - [`LindbladError::InvalidInput`]: wrong length or non-finite values;
    /// - [`LindbladError::Singular`]: zero Liouvillian, structurally singular
    ///   factorization, vanishing trace, or a non-positive result;
    /// - [`LindbladError::Numerical`]: non-finite solution, residual above
    ///   `residual_tol`.
    pub fn solve_values(&mut self, values: &[Complex64]) -> Result<SteadyState, LindbladError> {
        let n = self.pattern.len();
        let d = self.pattern.dim();
        if values.len() != self.l_to_a.len() {
            return Err(LindbladError::InvalidInput(format!(
                "{} values given for a pattern with {} entries",
                values.len(),
                self.l_to_a.len()
            )));
        }
        if !values.iter().all(|&z| is_finite(z)) {
            return Err(LindbladError::InvalidInput(
                "Liouvillian has a non-finite entry".into(),
            ));
        }
        // Weight of the trace row: mean |L_kk| over the block diagonal.
        let (mut sum, mut cnt) = (0.0f64, 0usize);
        for &p in &self.l_diag_pos {
            if p != NONE {
                sum += values[p].norm();
                cnt += 1;
            }
        }
        let mut w = if cnt > 0 { sum / cnt as f64 } else { 0.0 };
        if w == 0.0 {
            w = values.iter().map(|z| z.norm()).fold(0.0, f64::max);
        }
        if w == 0.0 {
            return Err(LindbladError::Singular(
                "the Liouvillian is zero: every state is stationary".into(),
            ));
        }
        let zero = Complex64::new(0.0, 0.0);
        self.a_values.fill(zero);
        for (idx, &pos) in self.l_to_a.iter().enumerate() {
            if pos != NONE {
                self.a_values[pos] = values[idx];
            }
        }
        for &pos in &self.trace_pos {
            self.a_values[pos] = Complex64::new(w, 0.0);
        }

        let sym =
            SymbolicSparseColMatRef::new_checked(n, n, &self.a_col_ptr, None, &self.a_row_idx);
        let a = SparseColMatRef::new(sym, &self.a_values);
        factorize(&mut self.factor, a, &mut self.mem)?;

        // ‖A‖_∞ (row sums)
        self.rowsum.fill(0.0);
        for c in 0..n {
            for idx in self.a_col_ptr[c]..self.a_col_ptr[c + 1] {
                self.rowsum[self.a_row_idx[idx]] += self.a_values[idx].norm();
            }
        }
        let a_norm = self.rowsum.iter().copied().fold(0.0, f64::max);

        self.x.fill(zero);
        self.x[self.trace_row] = Complex64::new(w, 0.0);
        solve_in_place(&self.factor, &mut self.x, &mut self.mem);
        if !self.x.iter().all(|&z| is_finite(z)) {
            return Err(LindbladError::Singular(
                "factorization produced a non-finite solution (singular system)".into(),
            ));
        }

        // Iterative refinement on A x = b, b = w e_r.
        let mut steps = 0;
        let mut prev_be = f64::INFINITY;
        loop {
            // dx = b - A x
            self.dx.fill(zero);
            self.dx[self.trace_row] = Complex64::new(w, 0.0);
            for c in 0..n {
                let xc = self.x[c];
                for idx in self.a_col_ptr[c]..self.a_col_ptr[c + 1] {
                    self.dx[self.a_row_idx[idx]] -= self.a_values[idx] * xc;
                }
            }
            let r_norm = self.dx.iter().map(|z| z.norm()).fold(0.0, f64::max);
            let x_norm = self.x.iter().map(|z| z.norm()).fold(0.0, f64::max);
            let be = r_norm / (a_norm * x_norm + w);
            if be <= 1e-14 || steps >= self.options.max_refinement_steps || be >= 0.5 * prev_be {
                break;
            }
            prev_be = be;
            solve_in_place(&self.factor, &mut self.dx, &mut self.mem);
            for (xi, di) in self.x.iter_mut().zip(self.dx.iter()) {
                *xi += *di;
            }
            steps += 1;
        }

        // Dense ρ from the block solution.
        let vec_idx = self.pattern.vec_indices();
        let mut rho = Mat::<Complex64>::zeros(d, d);
        for (k, &v) in vec_idx.iter().enumerate() {
            rho[(v % d, v / d)] = self.x[k];
        }
        let mut tr = zero;
        for &k in &self.diag_block {
            tr += self.x[k];
        }
        let (mut herm2, mut norm2) = (0.0f64, 0.0f64);
        for j in 0..d {
            for i in 0..d {
                herm2 += (rho[(i, j)] - rho[(j, i)].conj()).norm_sqr();
                norm2 += rho[(i, j)].norm_sqr();
            }
        }
        let hermiticity_error = if norm2 > 0.0 {
            (herm2 / norm2).sqrt()
        } else {
            0.0
        };
        if !tr.re.is_finite() || tr.re.abs() <= 1e-300 {
            return Err(LindbladError::Singular(format!(
                "solution has vanishing trace {tr}"
            )));
        }
        let inv_tr = 1.0 / tr.re;
        for j in 0..d {
            for i in 0..=j {
                let hij = (rho[(i, j)] + rho[(j, i)].conj()) * (0.5 * inv_tr);
                rho[(i, j)] = hij;
                rho[(j, i)] = hij.conj();
            }
        }
        for (k, &v) in vec_idx.iter().enumerate() {
            self.x[k] = rho[(v % d, v / d)];
        }

        // Residual of the block Liouvillian (values as given).
        self.rowsum.fill(0.0);
        self.dx.fill(zero);
        let (cp, ri) = (self.pattern.col_ptr(), self.pattern.row_idx());
        for c in 0..n {
            let xc = self.x[c];
            for idx in cp[c]..cp[c + 1] {
                let r = ri[idx];
                self.dx[r] += values[idx] * xc;
                self.rowsum[r] += values[idx].norm();
            }
        }
        let l_norm = self.rowsum.iter().copied().fold(0.0, f64::max);
        let r_norm = self.dx.iter().map(|z| z.norm()).fold(0.0, f64::max);
        let x_norm = self.x.iter().map(|z| z.norm()).fold(0.0, f64::max);
        let residual = r_norm / (l_norm * x_norm);
        if !residual.is_finite() || !rho.col_iter().all(|c| c.iter().all(|&z| is_finite(z))) {
            return Err(LindbladError::Numerical(
                "non-finite steady state or residual".into(),
            ));
        }
        if residual > self.options.residual_tol {
            return Err(LindbladError::Numerical(format!(
                "relative residual {residual:e} above tolerance {:e}",
                self.options.residual_tol
            )));
        }
        let purity = self.x.iter().map(|z| z.norm_sqr()).sum::<f64>();
        let min_eig = min_eigenvalue(rho.as_ref(), &self.sectors)?;
        if min_eig < -self.options.positivity_tol {
            return Err(LindbladError::Singular(format!(
                "steady state not positive (smallest eigenvalue {min_eig:e}): \
                 the steady state is probably not unique"
            )));
        }
        Ok(SteadyState {
            rho,
            quality: Quality {
                residual,
                trace: tr.re,
                hermiticity_error,
                min_eigenvalue: min_eig,
                purity,
                refinement_steps: steps,
            },
        })
    }
}

/// Symbolic supernodal LU for a caller-supplied column order.
fn custom_symbolic(
    sym: SymbolicSparseColMatRef<'_, usize>,
    order: Vec<usize>,
) -> Result<(Factor, StackReq), LindbladError> {
    let n = sym.ncols();
    if order.len() != n {
        return Err(LindbladError::InvalidInput(format!(
            "ordering has length {}, expected {n}",
            order.len()
        )));
    }
    let mut perm_inv = vec![NONE; n];
    for (k, &c) in order.iter().enumerate() {
        if c >= n || perm_inv[c] != NONE {
            return Err(LindbladError::InvalidInput(
                "custom ordering is not a permutation".into(),
            ));
        }
        perm_inv[c] = k;
    }
    let perm_fwd = order;
    // Aᵀ pattern and value map
    let col_ptr = sym.col_ptr();
    let row_idx = sym.row_idx();
    let nnz = row_idx.len();
    let mut at_col_ptr = vec![0usize; n + 1];
    for &r in row_idx {
        at_col_ptr[r + 1] += 1;
    }
    for i in 0..n {
        at_col_ptr[i + 1] += at_col_ptr[i];
    }
    let mut next = at_col_ptr.clone();
    let mut at_row_idx = vec![0usize; nnz];
    let mut a_to_at = vec![0usize; nnz];
    for c in 0..n {
        for idx in col_ptr[c]..col_ptr[c + 1] {
            let r = row_idx[idx];
            let pos = next[r];
            next[r] += 1;
            at_row_idx[pos] = c;
            a_to_at[idx] = pos;
        }
    }
    drop(next);
    let at_sym = SymbolicSparseColMatRef::new_checked(n, n, &at_col_ptr, None, &at_row_idx);
    let perm = PermRef::new_checked(&perm_fwd, &perm_inv, n);
    let mut etree = vec![0usize; n];
    let mut post = vec![0usize; n];
    let mut col_counts = vec![0usize; n];
    let mut min_col = vec![0usize; n];
    let req = StackReq::any_of(&[
        qr::col_etree_scratch::<usize>(n, n),
        qr::postorder_scratch::<usize>(n),
        StackReq::new::<usize>(8 * n + 8),
        factorize_supernodal_symbolic_lu_scratch::<usize>(n, n),
    ]);
    let mut buf = MemBuffer::try_new(req).map_err(|_| LindbladError::OutOfMemory)?;
    let stack = MemStack::new(&mut buf);
    let et = qr::col_etree(sym, Some(perm), &mut etree, stack);
    qr::postorder(&mut post, et, stack);
    qr::column_counts_ata(
        &mut col_counts,
        &mut min_col,
        at_sym,
        Some(perm),
        et,
        &post,
        stack,
    );
    let symbolic = factorize_supernodal_symbolic_lu(
        sym,
        Some(perm),
        &min_col,
        et,
        &col_counts,
        stack,
        Default::default(),
    )?;
    let par = Par::Seq;
    let req = StackReq::any_of(&[
        factorize_supernodal_numeric_lu_scratch::<usize, Complex64>(&symbolic, Default::default()),
        faer::sparse::linalg::lu::supernodal::solve_in_place_scratch::<usize, Complex64>(n, 1, par),
    ]);
    let at_values = vec![Complex64::new(0.0, 0.0); nnz];
    let f = CustomFactor {
        perm_fwd,
        perm_inv,
        symbolic,
        lu: SupernodalLu::new(),
        row_fwd: vec![0; n],
        row_inv: vec![0; n],
        at_col_ptr,
        at_row_idx,
        at_values,
        a_to_at,
    };
    Ok((Factor::Custom(Box::new(f)), req))
}

/// Numeric factorization of `a` (pattern of the plan), sequential.
fn factorize(
    factor: &mut Factor,
    a: SparseColMatRef<'_, usize, Complex64>,
    mem: &mut MemBuffer,
) -> Result<(), LindbladError> {
    let par = Par::Seq;
    match factor {
        Factor::Auto(f) => {
            let AutoFactor { symbolic, numeric } = &mut **f;
            symbolic
                .factorize_numeric_lu(numeric, a, par, MemStack::new(mem), Default::default())
                .map_err(lu_err)?;
        }
        Factor::Custom(f) => {
            let f = &mut **f;
            let n = a.ncols();
            for (idx, &pos) in f.a_to_at.iter().enumerate() {
                f.at_values[pos] = a.val()[idx];
            }
            let at_sym =
                SymbolicSparseColMatRef::new_checked(n, n, &f.at_col_ptr, None, &f.at_row_idx);
            let at = SparseColMatRef::new(at_sym, &f.at_values);
            let perm = PermRef::new_checked(&f.perm_fwd, &f.perm_inv, n);
            factorize_supernodal_numeric_lu(
                &mut f.row_fwd,
                &mut f.row_inv,
                &mut f.lu,
                a,
                at,
                perm,
                &f.symbolic,
                par,
                MemStack::new(mem),
                Default::default(),
            )
            .map_err(lu_err)?;
        }
    }
    Ok(())
}

/// Solves `A x = rhs` in place with the current numeric factorization.
fn solve_in_place(factor: &Factor, rhs: &mut [Complex64], mem: &mut MemBuffer) {
    let par = Par::Seq;
    let n = rhs.len();
    let x = MatMut::from_column_major_slice_mut(rhs, n, 1);
    match factor {
        Factor::Auto(f) => {
            faer::sparse::linalg::lu::LuRef::new_unchecked(&f.symbolic, &f.numeric)
                .solve_in_place_with_conj(Conj::No, x, par, MemStack::new(mem));
        }
        Factor::Custom(f) => {
            let col_perm = PermRef::new_checked(&f.perm_fwd, &f.perm_inv, n);
            let row_perm = PermRef::new_checked(&f.row_fwd, &f.row_inv, n);
            f.lu.solve_in_place_with_conj(row_perm, col_perm, Conj::No, x, par, MemStack::new(mem));
        }
    }
}

/// One-shot steady state of `h`, `c_ops` (optionally using a weak Z2
/// symmetry `parity`, see [`BlockLiouvillian::assemble`]).
///
/// # Errors
/// As [`BlockLiouvillian::assemble`] and [`SteadyStatePlan::solve_values`].
pub fn steady_state(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
    parity: Option<&[bool]>,
    options: SteadyStateOptions,
) -> Result<SteadyState, LindbladError> {
    let block = BlockLiouvillian::assemble(h, c_ops, parity)?;
    let mut plan = SteadyStatePlan::new(&block, options)?;
    plan.solve_values(block.values())
}
