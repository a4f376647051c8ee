//! Steady states of the dissipative Lipkin–Meshkov–Glick model (seed 001):
//! the per-N solver plan [`LmgSolver`] used by the `qk` driver.
//!
//! The physics (operators, parameters, observables, semiclassical limit)
//! lives in [`qk_model::lmg`] and is re-exported here; this module holds
//! what the solver adds for this model.
//!
//! `L = h L_h + λ L_λ + Γa L_a + Γb L_b` is linear in `(h, λ, Γa, Γb)`, and
//! every term is a 9-point stencil on the `(k, l)` lattice of `ρ_kl`:
//! [`LmgSolver::new`] writes the union pattern of the four terms directly,
//! builds the trace-constrained system (real by default, see
//! [`crate::steady`]), the fill-reducing ordering ([`LmgOrdering`]; default:
//! geometric nested dissection on the folded lattice `((k + l)/2, |k − l|/2)`
//! with the multifrontal LU, about 8× fewer flops and 3× less fill than
//! faer's supernodal LU with the same or COLAMD order at N = 400) and the
//! symbolic analysis; [`LmgSolver::solve`] writes `L` at the point from the
//! matrix elements (the same values as the generic assembly of the
//! operators, which the tests check) and refactorizes numerically.
//!
//! The observables of [`LmgObservables`] are those of [`qk_model::lmg`]; the
//! quality figures those of [`crate::steady`].

use crate::liouvillian::BlockLiouvillian;
use crate::ordering::nested_dissection;
use crate::steady::{
    Arithmetic, ColumnOrdering, FactorStats, SolveMethod, SteadyState, SteadyStateOptions,
    SteadyStatePlan,
};
use crate::LindbladError;
use num_complex::Complex64;
pub use qk_model::lmg::{
    check_n, concurrence_from_moments, concurrence_phi, critical_fields, lmg_collapse_ops,
    lmg_hamiltonian, lmg_parity, m_values, parametric_model, raising, semiclassical_fixed_point,
    spin_moments, spin_moments_with, spin_operators, LmgParams, SpinMoments, SpinOperators,
};

/// Steady-state observables and quality figures of one LMG point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LmgObservables {
    /// `⟨Jz⟩/j`.
    pub jz: f64,
    /// `⟨Jx²⟩/j²`.
    pub jx2: f64,
    /// `⟨Jy²⟩/j²`.
    pub jy2: f64,
    /// `⟨Jz²⟩/j²`.
    pub jz2: f64,
    /// Rescaled concurrence `C_R = max(0, max_φ C_φ)` (seed eq. 9).
    pub concurrence: f64,
    /// Relative residual `‖Lρ‖_∞/(‖L‖_∞‖ρ‖_∞)` (see [`crate::steady`]).
    pub residual: f64,
    /// `Re Tr ρ` before normalization.
    pub trace: f64,
    /// `‖ρ − ρ†‖_F/‖ρ‖_F` before Hermitization.
    pub hermiticity_error: f64,
    /// Smallest eigenvalue of ρ.
    pub min_eigenvalue: f64,
    /// `Tr ρ²`.
    pub purity: f64,
    /// Iterative-refinement steps on the trace-constrained system.
    pub refinement_steps: usize,
    /// GMRES iterations ([`crate::Quality::krylov_iterations`]).
    pub krylov_iterations: usize,
    /// Delayed pivots of the multifrontal LU ([`crate::Quality::delayed_pivots`]).
    pub delayed_pivots: usize,
    /// Perturbed pivots ([`crate::Quality::perturbed_pivots`]).
    pub perturbed_pivots: usize,
    /// Backward error of the trace-constrained system.
    pub backward_error: f64,
}

/// Steady-state solver for the dissipative LMG model at fixed `N`: pattern,
/// ordering and symbolic factorization are built once ([`LmgSolver::new`]),
/// each [`LmgSolver::solve`] is a numeric factorization and solve.
pub struct LmgSolver {
    n: usize,
    plan: SteadyStatePlan,
    /// `L` at the current point on the plan's pattern ([`Self::form_values`]).
    values: Vec<Complex64>,
    m: Vec<f64>,
    a: Vec<f64>,
}

impl std::fmt::Debug for LmgSolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LmgSolver")
            .field("n", &self.n)
            .field("plan", &self.plan)
            .finish()
    }
}

impl LmgSolver {
    /// Builds the plan for `N` spins with default [`SteadyStateOptions`].
    ///
    /// # Errors
    /// [`LindbladError::InvalidInput`] for `N = 0`; allocation or
    /// factorization-analysis failures.
    pub fn new(n: usize) -> Result<Self, LindbladError> {
        Self::with_options(n, SteadyStateOptions::default())
    }

    /// As [`new`](Self::new) with explicit options.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_options(n: usize, options: SteadyStateOptions) -> Result<Self, LindbladError> {
        Self::with_ordering(n, options, LmgOrdering::default())
    }

    /// As [`new`](Self::new) with explicit options and fill-reducing ordering.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_ordering(
        n: usize,
        options: SteadyStateOptions,
        ordering: LmgOrdering,
    ) -> Result<Self, LindbladError> {
        check_n(n)?;
        let union = lmg_pattern(n);
        let ordering = match ordering {
            LmgOrdering::Colamd => ColumnOrdering::Colamd,
            LmgOrdering::Dense => ColumnOrdering::Dense,
            LmgOrdering::NestedDissection => match options.arithmetic {
                Arithmetic::Complex => {
                    ColumnOrdering::Geometric(lmg_lattice_coords(n, union.vec_indices()))
                }
                Arithmetic::Real => {
                    ColumnOrdering::Geometric(lmg_folded_coords(n, union.vec_indices()))
                }
            },
            LmgOrdering::NdSupernodal => {
                ColumnOrdering::Custom(lmg_nested_dissection(n, union.vec_indices()))
            }
        };
        let plan = SteadyStatePlan::with_ordering(&union, options, ordering)?;
        let values = vec![Complex64::new(0.0, 0.0); union.nnz()];
        Ok(Self {
            n,
            plan,
            values,
            m: m_values(n),
            a: raising(n),
        })
    }

    /// Number of spins of the plan.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Unknowns of the solved (even) block.
    pub fn unknowns(&self) -> usize {
        self.plan.pattern().len()
    }

    /// Stored entries of the even-block Liouvillian.
    pub fn nnz(&self) -> usize {
        self.plan.pattern().nnz()
    }

    /// Fill and flops of the factorization.
    pub fn factor_stats(&self) -> FactorStats {
        self.plan.factor_stats()
    }

    /// Steady-state observables at `p` (`p.n` must equal the plan's `N`).
    ///
    /// # Errors
    /// [`LindbladError::InvalidInput`] for invalid parameters or a different
    /// `N`; [`LindbladError::Singular`] / [`LindbladError::Numerical`] when
    /// the solve fails its checks.
    pub fn solve(&mut self, p: &LmgParams) -> Result<LmgObservables, LindbladError> {
        self.solve_with_state(p).map(|(o, _)| o)
    }

    /// `L` at `p` on the plan's pattern, straight from the matrix elements
    /// (nothing stored per component: the walk costs less than reading four
    /// stored arrays).
    fn form_values(&mut self, p: &LmgParams) {
        let mut out = self.values.iter_mut();
        for_each_component_value(self.n, |[h, l, ga, gb]| {
            if let Some(v) = out.next() {
                *v = Complex64::new(ga * p.gamma_a + gb * p.gamma_b, h * p.h + l * p.lambda);
            }
        });
    }

    /// Numeric factorization alone at `p` (for benchmarks of the stages).
    ///
    /// # Errors
    /// As [`solve`](Self::solve).
    pub fn factorize_only(&mut self, p: &LmgParams) -> Result<(), LindbladError> {
        p.validate()?;
        self.form_values(p);
        self.plan.factorize_only(&self.values)
    }

    /// One forward/backward substitution with the factors of the last
    /// [`factorize_only`](Self::factorize_only) (for benchmarks).
    ///
    /// # Errors
    /// As [`SteadyStatePlan::substitute_only`].
    pub fn substitute_only(&mut self) -> Result<(), LindbladError> {
        self.plan.substitute_only()
    }

    /// As [`solve`](Self::solve), also returning the density matrix.
    ///
    /// # Errors
    /// As [`solve`](Self::solve).
    pub fn solve_with_state(
        &mut self,
        p: &LmgParams,
    ) -> Result<(LmgObservables, SteadyState), LindbladError> {
        p.validate()?;
        if p.n != self.n {
            return Err(LindbladError::InvalidInput(format!(
                "parameters have N = {} but the solver was planned for N = {}",
                p.n, self.n
            )));
        }
        self.form_values(p);
        let state = self.plan.solve_values(&self.values)?;
        let mo = spin_moments_with(self.n, state.rho.as_ref(), &self.m, &self.a);
        let j = self.n as f64 / 2.0;
        let q = state.quality;
        let obs = LmgObservables {
            jz: mo.jz / j,
            jx2: mo.jx2 / (j * j),
            jy2: mo.jy2 / (j * j),
            jz2: mo.jz2 / (j * j),
            concurrence: concurrence_from_moments(self.n, &mo),
            residual: q.residual,
            trace: q.trace,
            hermiticity_error: q.hermiticity_error,
            min_eigenvalue: q.min_eigenvalue,
            purity: q.purity,
            refinement_steps: q.refinement_steps,
            krylov_iterations: q.krylov_iterations,
            delayed_pivots: q.delayed_pivots,
            perturbed_pivots: q.perturbed_pivots,
            backward_error: q.backward_error,
        };
        if ![obs.jz, obs.jx2, obs.jy2, obs.jz2, obs.concurrence]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(LindbladError::Numerical("non-finite observable".into()));
        }
        Ok((obs, state))
    }
}

/// `Im L_h`, `Im L_λ`, `Re L_a`, `Re L_b` on the union pattern.
#[cfg(test)]
type LmgComponents = [Vec<f64>; 4];

/// The four components on their union pattern (for the test against the
/// generic assembly; the solver forms `L` per point instead).
#[cfg(test)]
fn lmg_components(n: usize) -> (BlockLiouvillian, LmgComponents) {
    let mut comps: LmgComponents = Default::default();
    for_each_component_value(n, |v| {
        for (c, x) in comps.iter_mut().zip(v) {
            c.push(x);
        }
    });
    (lmg_pattern(n), comps)
}

/// The 9-point stencil of `L` in block order (rows `ρ_ij` by increasing vec
/// index `i + D j`): offsets `(i − a, j − b)` of column `ρ_ab`.
const STENCIL: [(i64, i64); 9] = [
    (0, -2),
    (-1, -1),
    (1, -1),
    (-2, 0),
    (0, 0),
    (2, 0),
    (-1, 1),
    (1, 1),
    (0, 2),
];

/// Walks the even block column by column (`ρ_ab`, block order) and, in
/// each, the in-bounds stencil rows `ρ_ij`: `entry(a, b, (di, dj), i, j)`
/// per entry, then `column_done(a, b, entries of the column)`.
fn for_each_stencil_entry(
    n: usize,
    mut entry: impl FnMut(usize, usize, (i64, i64), usize, usize),
    mut column_done: impl FnMut(usize, usize, usize),
) {
    let d = n + 1;
    for b in 0..d {
        for a in (b % 2..d).step_by(2) {
            let mut count = 0;
            for (di, dj) in STENCIL {
                let (i, j) = (a as i64 + di, b as i64 + dj);
                if i >= 0 && j >= 0 && i < d as i64 && j < d as i64 {
                    entry(a, b, (di, dj), i as usize, j as usize);
                    count += 1;
                }
            }
            column_done(a, b, count);
        }
    }
}

/// The union pattern of the four LMG terms, in block order (columns `ρ_ab`
/// by increasing vec index, rows sorted).
fn lmg_pattern(n: usize) -> BlockLiouvillian {
    let d = n + 1;
    let (even, odd) = (n / 2 + 1, d / 2);
    let mut col_start = Vec::with_capacity(d + 1);
    col_start.push(0usize);
    for l in 0..d {
        col_start.push(col_start[l] + if l % 2 == 0 { even } else { odd });
    }
    let len = col_start[d];
    let mut block_vec = Vec::with_capacity(len);
    let mut col_ptr = Vec::with_capacity(len + 1);
    col_ptr.push(0usize);
    let mut row_idx = Vec::with_capacity(9 * len);
    for_each_stencil_entry(
        n,
        |_, _, _, i, j| row_idx.push(col_start[j] + i / 2),
        |a, b, count| {
            block_vec.push(a + d * b);
            col_ptr.push(col_ptr[col_ptr.len() - 1] + count);
        },
    );
    BlockLiouvillian::from_pattern(d, Some(lmg_parity(n)), block_vec, col_ptr, row_idx)
}

/// The values of the even-block LMG Liouvillian's four components,
/// `L = h L_h + λ L_λ + Γa L_a + Γb L_b`, entry by entry in the order of
/// [`lmg_pattern`]: `value([Im L_h, Im L_λ, Re L_a, Re L_b])`, written
/// directly from the matrix elements (the same pattern, order and values as
/// [`BlockLiouvillian::assemble_components`] of `−2Jz`, `−(2/N)Jx²`,
/// `C_a = 2√(2/N) Jx`, `C_b = √(2/N) J+`, which the tests check).
///
/// Column `ρ_ab` couples to the rows `ρ_ij`, `(i − a, j − b)` in the
/// 9-point stencil `{(0, ±2), (±1, ±1), (±2, 0), (0, 0)}`; with
/// `L ρ = −i[H, ρ] + C ρ C† − ½{C†C, ρ}` the entry of row `(i, j)` is
/// `−i H_ia δ_jb + i δ_ia H_bj + C_ia C_jb − ½ (C†C)_ia δ_jb − ½ δ_ia (C†C)_bj`
/// (every operator is real), so `L_h` and `L_λ` are imaginary and `L_a`,
/// `L_b` real. Block index of `ρ_ij` (`i ≡ j mod 2`): the even-block
/// unknowns of the columns `l < j` plus `i / 2`.
fn for_each_component_value(n: usize, mut value: impl FnMut([f64; 4])) {
    let nf = n as f64;
    let m = m_values(n);
    let a = raising(n);
    let j = nf / 2.0;
    let a_at = |k: usize| a.get(k).copied().unwrap_or(0.0);
    // Jx² and Jx matrix elements
    let x_diag = |k: usize| 0.5 * (j * (j + 1.0) - m[k] * m[k]);
    let x_up = |k: usize| 0.25 * a_at(k + 2) * a_at(k + 1); // X_{k, k+2} = X_{k+2, k}
    let jx_step = |from: usize, to: usize| 0.5 * a_at(from.max(to)); // |from − to| = 1
    let (lam, dis) = (2.0 / nf, 4.0 / nf);
    for_each_stencil_entry(
        n,
        |ca, b, (di, dj), i, jj| {
            // (Im L_h, Im L_λ, Re L_a, Re L_b)
            let (h, l, ga, gb) = match (di, dj) {
                (0, 0) => (
                    2.0 * (m[ca] - m[b]),
                    lam * (x_diag(ca) - x_diag(b)),
                    -dis * (x_diag(ca) + x_diag(b)),
                    -(a[ca] * a[ca] + a[b] * a[b]) / nf,
                ),
                (_, 0) => {
                    let x = x_up(ca.min(i));
                    (0.0, lam * x, -dis * x, 0.0)
                }
                (0, _) => {
                    let x = x_up(b.min(jj));
                    (0.0, -lam * x, -dis * x, 0.0)
                }
                _ => {
                    let ga = 2.0 * dis * jx_step(ca, i) * jx_step(b, jj);
                    let gb = if (di, dj) == (-1, -1) {
                        lam * a[ca] * a[b]
                    } else {
                        0.0
                    };
                    (0.0, 0.0, ga, gb)
                }
            };
            value([h, l, ga, gb]);
        },
        |_, _, _| {},
    );
}

/// Fill-reducing ordering of the LMG steady-state system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LmgOrdering {
    /// Geometric nested dissection (default) with the multifrontal LU: on
    /// the folded lattice `((k + l)/2, |k − l|/2)` ([`lmg_folded_coords`])
    /// in the real formulation, on [`lmg_lattice_coords`] in the complex
    /// one.
    #[default]
    NestedDissection,
    /// faer's supernodal LU with the order of [`lmg_nested_dissection`]
    /// (the column structure of `AᵀA` bounds its fill).
    NdSupernodal,
    /// faer's COLAMD on the system's pattern.
    Colamd,
    /// Dense LU with full pivoting of the whole system (small N only: the
    /// last resort of the retry chain).
    Dense,
}

impl std::str::FromStr for LmgOrdering {
    type Err = LindbladError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nd" | "nested-dissection" => Ok(Self::NestedDissection),
            "nd-supernodal" => Ok(Self::NdSupernodal),
            "colamd" => Ok(Self::Colamd),
            "dense" => Ok(Self::Dense),
            _ => Err(LindbladError::InvalidInput(format!(
                "unknown ordering '{s}' (expected nd, nd-supernodal, colamd or dense)"
            ))),
        }
    }
}

/// Folded lattice coordinates `((k + l)/2, |k − l|/2)` of the even-block
/// unknowns: `ρ_kl` and `ρ_lk` share a point, as they share the real
/// unknowns `Re ρ_kl`, `Im ρ_kl` of the real formulation, whose couplings
/// stay within Chebyshev distance 1 (the fold maps the `v = −1` neighbours
/// of `v = 0` onto `v = 1`).
pub fn lmg_folded_coords(n: usize, vec_indices: &[usize]) -> Vec<[i64; 2]> {
    let d = n + 1;
    vec_indices
        .iter()
        .map(|&v| {
            let (k, l) = ((v % d) as i64, (v / d) as i64);
            [(k + l).div_euclid(2), (k - l).abs() / 2]
        })
        .collect()
}

/// Lattice coordinates `(u, v) = ((k + l)/2, (k − l)/2)` of the even-block
/// unknowns (vec indices `k + D*l`): every term of `L` couples points at
/// Chebyshev distance ≤ 1 (the complex formulation's geometric ordering).
pub fn lmg_lattice_coords(n: usize, vec_indices: &[usize]) -> Vec<[i64; 2]> {
    let d = n + 1;
    vec_indices
        .iter()
        .map(|&v| {
            let (k, l) = ((v % d) as i64, (v / d) as i64);
            [(k + l).div_euclid(2), (k - l).div_euclid(2)]
        })
        .collect()
}

/// Nested-dissection order of the even-block unknowns in the coordinates of
/// [`lmg_lattice_coords`], with separators two lines wide (the structure
/// of `AᵀA`, which bounds faer's supernodal LU): the order of
/// [`LmgOrdering::NdSupernodal`].
pub fn lmg_nested_dissection(n: usize, vec_indices: &[usize]) -> Vec<usize> {
    nested_dissection(&lmg_lattice_coords(n, vec_indices), 2, 32)
}

/// Estimated peak memory (bytes) of [`LmgSolver::new`] followed by
/// [`LmgSolver::solve`] at `N` spins with the default ordering and
/// arithmetic (nested dissection, real, multifrontal), for the kernel alone
/// (add the caller's own baseline). See [`estimate_memory_bytes_for`].
pub fn estimate_memory_bytes(n: usize) -> u64 {
    estimate_memory_bytes_for(
        n,
        LmgOrdering::NestedDissection,
        Arithmetic::Real,
        SolveMethod::Direct,
    )
}

/// Estimated peak memory (bytes) of [`LmgSolver::with_ordering`] followed by
/// [`LmgSolver::solve`] at `N` spins.
///
/// With `u = ⌈(N+1)²/2⌉` even-block unknowns:
///
/// - nested dissection, real (multifrontal LU):
///   `16 MiB + 1.25 · u · (2200 + 70 · log2 u)`. Calibration (release, peak
///   RSS `VmHWM` of `examples/lmg_probe`, one process per N, 2 threads):
///   bytes/u = 3 700 (N = 100), 3 270 (200), 3 310 (400), 3 490 (800),
///   3 480 (1000), 3 700 (2000): the peak is dominated by the factors
///   (`nnz(L+U)` ≈ 206 u at N = 1000, 8 bytes each) and the plan;
/// - the same with [`SolveMethod::Gmres`] (single-precision factor, half
///   the bytes of the log-growing part, plus 21 basis vectors):
///   `16 MiB + 1.25 · u · (3170 + 40 · log2 u)`; measured 3 830 bytes/u at
///   N = 1000;
/// - dense: the system and its factors, `16 MiB + 1.25 · u · (2 s u +
///   2000)` with `s` = 8 (real) or 16 (complex) bytes per entry;
/// - every other combination (faer's supernodal LU, whose fill is bounded by
///   the Cholesky factor of `AᵀA`, and the complex multifrontal LU, which
///   needs less): `16 MiB + 1.25 · u · (1000 + 400 · log2 u)`, calibrated on
///   the complex supernodal nested-dissection path (bytes/u = 5 730 at
///   N = 100 to 7 510 at N = 500).
///
/// Saturates at `u64::MAX`.
pub fn estimate_memory_bytes_for(
    n: usize,
    ordering: LmgOrdering,
    arithmetic: Arithmetic,
    method: SolveMethod,
) -> u64 {
    let d = n as f64 + 1.0;
    let u = ((d * d) / 2.0).ceil().max(1.0);
    let l = u.log2().max(0.0);
    let bytes_per = if arithmetic == Arithmetic::Real {
        8.0
    } else {
        16.0
    };
    let per_unknown = match (ordering, arithmetic, method) {
        // the matrix and its factors, n² entries each
        (LmgOrdering::Dense, _, _) => 2.0 * bytes_per * u + 2000.0,
        (LmgOrdering::NestedDissection, Arithmetic::Real, SolveMethod::Gmres) => 3170.0 + 40.0 * l,
        (LmgOrdering::NestedDissection, Arithmetic::Real, _) => 2200.0 + 70.0 * l,
        _ => 1000.0 + 400.0 * l,
    };
    let bytes = 16.0 * 1024.0 * 1024.0 + 1.25 * u * per_unknown;
    if bytes >= u64::MAX as f64 {
        u64::MAX
    } else {
        bytes as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qk_model::operator::scaled as scale;
    use sprs::CsMat;

    /// The direct assembly equals the generic one of the same operators:
    /// pattern exactly, values to round-off, for even and odd N.
    #[test]
    fn direct_components_match_generic_assembly() {
        for n in [1usize, 2, 3, 4, 7, 10, 21] {
            let nf = n as f64;
            let d = n + 1;
            let ops = spin_operators(n).unwrap();
            let zero_h = CsMat::<Complex64>::zero((d, d)).to_csc();
            let h_h = scale(&ops.jz, -2.0);
            let h_l = scale(&ops.jx2, -2.0 / nf);
            let c_a = scale(&ops.jx, 2.0 * (2.0 / nf).sqrt());
            let c_b = scale(&ops.jp, (2.0 / nf).sqrt());
            let none: &[CsMat<Complex64>] = &[];
            let (generic, gvals) = BlockLiouvillian::assemble_components(
                &[
                    (&h_h, none),
                    (&h_l, none),
                    (&zero_h, std::slice::from_ref(&c_a)),
                    (&zero_h, std::slice::from_ref(&c_b)),
                ],
                Some(&lmg_parity(n)),
                false,
            )
            .unwrap();
            let (direct, parts) = lmg_components(n);
            let imag = |v: &Vec<f64>| v.iter().map(|&x| Complex64::new(0.0, x)).collect();
            let real = |v: &Vec<f64>| v.iter().map(|&x| Complex64::new(x, 0.0)).collect();
            let dvals: [Vec<Complex64>; 4] = [
                imag(&parts[0]),
                imag(&parts[1]),
                real(&parts[2]),
                real(&parts[3]),
            ];
            assert!(direct.same_pattern(&generic), "N = {n}: pattern");
            assert_eq!(direct.parity(), generic.parity());
            for (k, (dv, gv)) in dvals.iter().zip(&gvals).enumerate() {
                let scale = gv.iter().map(|z| z.norm()).fold(1e-300, f64::max);
                let worst = dv
                    .iter()
                    .zip(gv)
                    .map(|(x, y)| (x - y).norm())
                    .fold(0.0, f64::max);
                assert!(worst <= 4e-16 * scale, "N = {n}, component {k}: {worst}");
            }
        }
    }
}
