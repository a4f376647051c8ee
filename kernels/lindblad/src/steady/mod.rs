//! Steady state `L ρ = 0, Tr ρ = 1` by sparse LU of a trace-constrained
//! system, in stages each in its own file:
//!
//! - [`trace_system`]: the system `A x = b` of the block Liouvillian, one
//!   generic type for the real and the complex formulation;
//! - [`engine`]: its factorization, [`crate::multifrontal`] (symbolic,
//!   numeric with threshold pivoting and delayed pivots, substitution) on
//!   a geometric nested-dissection tree, or faer's supernodal LU
//!   ([`supernodal`]) with COLAMD or a caller's order;
//! - [`refine`]: iterative refinement, and GMRES on the factor when that
//!   cannot help;
//! - [`quality`]: ρ from the solution, its quality figures and the checks.
//!
//! # The trace-constrained system
//!
//! Let `L_e` be the block of the Liouvillian that contains the diagonal of ρ
//! (the even block under a weak Z2 symmetry, see [`crate::liouvillian`](mod@crate::liouvillian)), in
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
//! Unlike a bordered system or adding `w tᵀ` to a row with its own entries,
//! this keeps the pattern of `A` fixed and costs one row of `D` entries.
//!
//! The weight `w` is the smallest, over the diagonal unknowns `ρ_ii`, of the
//! largest `|L_e|` entry in the column of `ρ_ii` (the replaced row left
//! out): the trace row then never dominates a column, so threshold pivoting
//! ([`crate::multifrontal::front`]) never delays a pivot for its sake (the
//! mean diagonal modulus used before exceeded the columns of the nearly
//! empty states by 50× at N = 400, and 20–50 pivots per point travelled to
//! the root).
//!
//! # Why pivots must be able to move
//!
//! A multifrontal LU eliminates the unknowns of each subtree `S` of the
//! elimination tree before the rest; its pivots are those of the principal
//! submatrix `A_SS` (a Liouvillian restricted to `S`, "absorbing" outside).
//! When the steady state is localized inside `S`, `ρ_ss|S` is a near null
//! vector of `A_SS` (`A_SS ρ_S = −A_{S,Sᶜ} ρ_Sᶜ`, tiny where ρ_ss is); at
//! the top separator `det` of everything but the trace row is
//! proportional to `ρ_00` (the cofactor of `L_e`), exponentially small in
//! the ordered phase. With pivoting restricted to each front these pivots
//! were 1e-16 of `max |A|`: 25–45% of the points failed at N ≥ 200.
//! Delayed pivots move such a column up to where it is not small.
//!
//! # Real formulation ([`Arithmetic::Real`], default)
//!
//! Every Lindblad `L` preserves Hermiticity, so `ρ_ss` is Hermitian and the
//! system can be written on the Hermitian half ([`trace_system`]): as many
//! real unknowns as the block has complex ones, about 4× fewer flops and 2×
//! less memory than the complex system of the same order.
//!
//! The ordering and symbolic analysis are done once per pattern
//! ([`SteadyStatePlan::new`]); each [`SteadyStatePlan::solve_values`]
//! refactorizes numerically, solves and refines. Results are bit-identical
//! for any thread count.

pub mod engine;
mod extra_precise;
pub mod quality;
pub mod refine;
pub mod supernodal;
pub mod trace_system;

pub use quality::Quality;

use crate::liouvillian::BlockLiouvillian;
use crate::multifrontal::Pivoting;
use crate::LindbladError;
use faer::Mat;
use num_complex::Complex64;
use quality::QualityWork;
use sprs::CsMat;
use trace_system::TraceSystem;

/// Arithmetic of the factorized system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Arithmetic {
    /// Real system on the Hermitian half of ρ (default; needs a block that
    /// contains `ρ_ji` with every `ρ_ij`, true of every Lindblad Liouvillian
    /// and of its even parity block).
    #[default]
    Real,
    /// Complex system on all block unknowns (the generic reference).
    Complex,
}

/// How the trace-constrained system is solved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SolveMethod {
    /// Sparse LU in double precision + iterative refinement (default).
    #[default]
    Direct,
    /// Restarted GMRES preconditioned by the multifrontal LU in single
    /// precision ([`crate::krylov`]): half the factor memory; geometric
    /// ordering only.
    Gmres,
}

impl std::str::FromStr for SolveMethod {
    type Err = LindbladError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "direct" => Ok(Self::Direct),
            "gmres" => Ok(Self::Gmres),
            other => Err(LindbladError::InvalidInput(format!(
                "unknown method '{other}' (direct, gmres)"
            ))),
        }
    }
}

/// Tolerances and limits of the steady-state solve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SteadyStateOptions {
    /// Largest acceptable relative residual `‖Lρ‖_∞/(‖L‖_∞‖ρ‖_∞)`.
    pub residual_tol: f64,
    /// Largest acceptable negative eigenvalue magnitude of ρ.
    pub positivity_tol: f64,
    /// Maximum number of iterative-refinement steps.
    pub max_refinement_steps: usize,
    /// Real (Hermitian) or complex formulation.
    pub arithmetic: Arithmetic,
    /// Threads of the multifrontal factorization (independent subtrees of
    /// the elimination tree in parallel; the factors are bit-identical for
    /// any count). The other factorizations are sequential.
    pub threads: usize,
    /// Direct LU or preconditioned Krylov.
    pub method: SolveMethod,
    /// Pivoting of the multifrontal LU ([`ColumnOrdering::Geometric`]):
    /// threshold pivoting with delayed pivots (default) or static pivoting.
    pub pivoting: Pivoting,
}

impl Default for SteadyStateOptions {
    fn default() -> Self {
        Self {
            residual_tol: 1e-12,
            positivity_tol: 1e-6,
            max_refinement_steps: 10,
            arithmetic: Arithmetic::Real,
            threads: 1,
            method: SolveMethod::Direct,
            pivoting: Pivoting::default(),
        }
    }
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
    /// In the real formulation the real unknowns of `ρ_ij` (`i ≥ j`) are
    /// eliminated where the first of `ρ_ij`, `ρ_ji` appears in `order`.
    Custom(Vec<usize>),
    /// Geometric nested dissection from lattice coordinates of the block
    /// unknowns (one point per unknown; coupled unknowns at Chebyshev
    /// distance ≤ 1). The real formulation factorizes with the multifrontal
    /// LU of `multifrontal.rs` on the tree, with separators one line
    /// wide, leaves of 32 points and the trace row's own
    /// unknown alone at the root (the dense trace row then adds one index
    /// to each front it touches; making all the diagonal unknowns a root
    /// separator instead cost 3.9e9 against 3.0e9 flops at N = 400); the complex
    /// formulation uses the supernodal LU with the order of
    /// [`crate::ordering::nested_dissection`] (separators two lines wide).
    Geometric(Vec<[i64; 2]>),
    /// Nested dissection of the system's own graph (`A + Aᵀ`) with METIS
    /// vertex separators ([`crate::graph_ordering`]), the trace row's
    /// unknown alone at the root, factorized by the multifrontal LU in
    /// either arithmetic: the general fill-reducing ordering for models
    /// without a known geometry.
    Metis,
    /// No ordering: faer's dense LU with full pivoting of the whole system
    /// (small systems only, at most 22 000 unknowns; the most robust).
    Dense,
}

/// Size of the LU factors and of the work, from the symbolic analysis.
///
/// faer's supernodal LU with partial pivoting stores, per column `k`, the
/// structure of column `k` of the Cholesky factor of `AᵀA` (in the chosen
/// column order) for `L`, and the same for the rows of `U`; with `c_k` those
/// column counts, `nnz(L+U) = Σ (2 c_k − 1)` and the factorization costs
/// `Σ (c_k − 1)(2 c_k − 1)` multiply-adds-and-divisions, counted in real
/// flops (×4 for complex arithmetic: a complex multiply-add is 8 real flops).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FactorStats {
    /// Order of the factorized system.
    pub n: usize,
    /// Stored entries of the system.
    pub nnz_a: usize,
    /// Stored entries of `L + U` (diagonal once).
    pub nnz_lu: u64,
    /// Real floating-point operations of one numeric factorization.
    pub flops: f64,
    /// Bytes per stored entry of the factors (8 real, 16 complex).
    pub bytes_per_entry: usize,
}

enum System {
    Complex(Box<TraceSystem<Complex64>>),
    Real(Box<TraceSystem<f64>>),
}

/// A reusable steady-state solver for one sparsity pattern: the reduced
/// system's pattern, its fill-reducing ordering and symbolic LU are computed
/// once; [`solve_values`](Self::solve_values) only refactorizes numerically.
pub struct SteadyStatePlan {
    pattern: BlockLiouvillian,
    options: SteadyStateOptions,
    /// Block index of each diagonal element ρ_ii.
    diag_block: Vec<usize>,
    system: System,
    work: QualityWork,
    /// Parity sectors of the Hilbert space (for the eigenvalue check).
    sectors: Vec<Vec<usize>>,
}

impl std::fmt::Debug for SteadyStatePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SteadyStatePlan")
            .field("dim", &self.pattern.dim())
            .field("unknowns", &self.pattern.len())
            .field("nnz", &self.reduced_nnz())
            .field("arithmetic", &self.options.arithmetic)
            .finish()
    }
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
    /// custom ordering is not a permutation of the block unknowns, or the
    /// real formulation is asked of a block that does not hold `ρ_ji` with
    /// every `ρ_ij`.
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
        if options.method == SolveMethod::Gmres
            && !matches!(
                ordering,
                ColumnOrdering::Geometric(_) | ColumnOrdering::Metis
            )
        {
            return Err(LindbladError::InvalidInput(
                "GMRES is preconditioned by the multifrontal factor: it needs a geometric \
                 or METIS ordering"
                    .into(),
            ));
        }
        let system = match options.arithmetic {
            Arithmetic::Complex => System::Complex(Box::new(TraceSystem::new(
                block,
                &diag_block,
                &ordering,
                &options,
            )?)),
            Arithmetic::Real => System::Real(Box::new(TraceSystem::new(
                block,
                &diag_block,
                &ordering,
                &options,
            )?)),
        };
        let sectors = match block.parity() {
            Some(p) => {
                let even: Vec<usize> = (0..d).filter(|&i| !p[i]).collect();
                let odd: Vec<usize> = (0..d).filter(|&i| p[i]).collect();
                vec![even, odd]
            }
            None => vec![(0..d).collect()],
        };
        Ok(Self {
            pattern: block.pattern_only(),
            options,
            diag_block,
            system,
            work: QualityWork::new(n),
            sectors,
        })
    }

    /// The pattern this plan was built for (structure only: the values are
    /// not kept).
    pub fn pattern(&self) -> &BlockLiouvillian {
        &self.pattern
    }

    /// Options in use.
    pub fn options(&self) -> &SteadyStateOptions {
        &self.options
    }

    /// Number of stored entries of the reduced (trace-constrained) system.
    pub fn reduced_nnz(&self) -> usize {
        match &self.system {
            System::Complex(s) => s.nnz(),
            System::Real(s) => s.nnz(),
        }
    }

    /// Fill and flops of the factorization (from the symbolic analysis).
    pub fn factor_stats(&self) -> FactorStats {
        match &self.system {
            System::Complex(s) => s.stats(),
            System::Real(s) => s.stats(),
        }
    }

    /// Numeric factorization alone (for benchmarks): as the first stage of
    /// [`solve_values`](Self::solve_values), with trace weight 1.
    ///
    /// # Errors
    /// Wrong number of values; factorization failures.
    pub fn factorize_only(&mut self, values: &[Complex64]) -> Result<(), LindbladError> {
        if values.len() != self.pattern.nnz() {
            return Err(LindbladError::InvalidInput("wrong number of values".into()));
        }
        match &mut self.system {
            System::Complex(s) => s.factor_only(values, 1.0),
            System::Real(s) => s.factor_only(values, 1.0),
        }
    }

    /// One forward/backward substitution with the current factors (for
    /// benchmarks; call [`factorize_only`](Self::factorize_only) first);
    /// with [`SolveMethod::Gmres`], one preconditioned GMRES solve.
    ///
    /// # Errors
    /// GMRES not converging.
    pub fn substitute_only(&mut self) -> Result<(), LindbladError> {
        match &mut self.system {
            System::Complex(s) => s.solve_only(),
            System::Real(s) => s.solve_only(),
        }
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
        if values.len() != self.pattern.nnz() {
            return Err(LindbladError::InvalidInput(format!(
                "{} values given for a pattern with {} entries",
                values.len(),
                self.pattern.nnz()
            )));
        }
        if !values.iter().all(|&z| quality::is_finite(z)) {
            return Err(LindbladError::InvalidInput(
                "Liouvillian has a non-finite entry".into(),
            ));
        }
        let mut w = quality::trace_weight(&self.pattern, values, &self.diag_block);
        if w == 0.0 {
            w = values
                .iter()
                .map(|&z| quality::modulus(z))
                .fold(0.0, f64::max);
        }
        if w == 0.0 {
            return Err(LindbladError::Singular(
                "the Liouvillian is zero: every state is stationary".into(),
            ));
        }
        let report = match &mut self.system {
            System::Complex(s) => s.solve(
                values,
                w,
                self.options.max_refinement_steps,
                &mut self.work.x,
            )?,
            System::Real(s) => s.solve(
                values,
                w,
                self.options.max_refinement_steps,
                &mut self.work.x,
            )?,
        };
        quality::assess(
            &self.pattern,
            values,
            &self.diag_block,
            &self.sectors,
            &self.options,
            report,
            &mut self.work,
        )
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
