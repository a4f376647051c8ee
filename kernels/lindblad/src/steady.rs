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
//! The weight `w` is the smallest, over the diagonal unknowns `ρ_ii`, of the
//! largest `|L_e|` entry in the column of `ρ_ii` (the replaced row left
//! out): the trace row then never dominates a column, so threshold
//! pivoting ([`crate::front`]) never delays a pivot for its sake (the mean
//! diagonal modulus used before exceeded the columns of the nearly empty
//! states by 50×, and 20–50 pivots per point travelled to the root).
//! Unlike a bordered system or adding
//! `w tᵀ` to a row with its own entries, this keeps the pattern of `A` fixed
//! and costs one row of `D` entries.
//!
//! # Real formulation ([`Arithmetic::Real`], default)
//!
//! Every Lindblad `L` preserves Hermiticity, so `ρ_ss` is Hermitian and the
//! system can be written on the Hermitian half: unknowns `Re ρ_ij` (`i ≥ j`)
//! and `Im ρ_ij` (`i > j`), `ρ_ji = conj ρ_ij`, as many real unknowns as the
//! block has complex ones; equations `Re (Lρ)_ij`, `Im (Lρ)_ij` for `i ≥ j`
//! (`(Lρ)_ii` is real). With `L_rc = a + ib` and `ρ_c = x_re + i s x_im`
//! (`s = −1` when `c` is the conjugate partner) the entry contributes
//! `a` / `−s b` to the `Re` row and `b` / `s a` to the `Im` row. The trace
//! row replaces `Re (Lρ)_00`. Real arithmetic needs about 4× fewer flops
//! and 2× less memory than the complex system of the same order.
//!
//! # Factorization
//!
//! - [`ColumnOrdering::Geometric`] with real arithmetic: the multifrontal LU
//!   of `multifrontal.rs` on a nested-dissection tree of the given
//!   lattice coordinates (the LMG default);
//! - otherwise faer's supernodal LU with partial pivoting, with COLAMD or a
//!   caller-supplied column order ([`ColumnOrdering`]); its fill is bounded
//!   by the Cholesky factor of `AᵀA`.
//!
//! Dense kernels are sequential (`Par::Seq`); the multifrontal LU runs
//! independent subtrees on `threads` threads. Results are bit-identical for
//! any thread count. The ordering and symbolic analysis are done once per pattern
//! ([`SteadyStatePlan::new`]); each [`SteadyStatePlan::solve_values`]
//! refactorizes numerically, solves, and applies up to
//! `max_refinement_steps` steps of iterative refinement on `A x = b` while
//! the normwise backward error of that system exceeds the unit round-off and keeps
//! halving. A final relative residual of `L` above `residual_tol` (default
//! 1e-12) is an error naming the residual and the steps taken.
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

use crate::krylov::{Csc, Gmres, KrylovScalar, PreconditionedGmres};
use crate::liouvillian::{BlockLiouvillian, NONE};
use crate::multifrontal::{Multifrontal, PivotReport, Pivoting};
use crate::LindbladError;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::perm::PermRef;
use faer::sparse::linalg::lu::supernodal::{
    factorize_supernodal_numeric_lu, factorize_supernodal_numeric_lu_scratch,
    factorize_supernodal_symbolic_lu, factorize_supernodal_symbolic_lu_scratch, SupernodalLu,
    SymbolicSupernodalLu,
};
use faer::sparse::linalg::{colamd, qr, LuError};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::traits::ComplexField;
use faer::{Conj, Mat, MatMut, MatRef, Par};
use num_complex::Complex64;
use sprs::CsMat;

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
    /// precision ([`crate::krylov`]): half the factor memory; real
    /// arithmetic with the geometric (nd) ordering only.
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
    /// Pivoting of the multifrontal LU ([`ColumnOrdering::Geometric`] with
    /// real arithmetic): threshold pivoting with delayed pivots (default)
    /// or static pivoting.
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
    /// GMRES iterations over all solves of the point: the Krylov method of
    /// [`SolveMethod::Gmres`], or GMRES on the direct factor after
    /// perturbed pivots or stagnating refinement (0 otherwise).
    pub krylov_iterations: usize,
    /// Pivots of the multifrontal LU eliminated at an ancestor of their
    /// node (threshold pivoting, [`crate::front`]; 0 for the other
    /// factorizations).
    pub delayed_pivots: usize,
    /// Pivots replaced by a small perturbation (static pivoting); the
    /// Krylov iterations then correct the perturbed factor.
    pub perturbed_pivots: usize,
    /// Final normwise backward error of the trace-constrained system.
    pub backward_error: f64,
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

/// Supernodal LU with a fixed column permutation.
struct Factor<T> {
    perm_fwd: Vec<usize>,
    perm_inv: Vec<usize>,
    symbolic: SymbolicSupernodalLu<usize>,
    lu: SupernodalLu<usize, T>,
    row_fwd: Vec<usize>,
    row_inv: Vec<usize>,
    /// Aᵀ pattern and the position in Aᵀ of every entry of A.
    at_col_ptr: Vec<usize>,
    at_row_idx: Vec<usize>,
    at_values: Vec<T>,
    a_to_at: Vec<usize>,
    mem: MemBuffer,
    /// Σ c_k and Σ (c_k − 1)(2c_k − 1) of the Cholesky column counts of AᵀA.
    count_sum: u64,
    flop_sum: f64,
}

/// The complex trace-constrained system on the block unknowns.
struct ComplexSystem {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    values: Vec<Complex64>,
    /// For each block-L entry, its position in `values` (NONE: dropped row).
    l_to_a: Vec<usize>,
    /// Positions of the trace-row entries.
    trace_pos: Vec<usize>,
    trace_row: usize,
    factor: Factor<Complex64>,
    work: Work<Complex64>,
}

/// One term of a real-system entry: `values[pos] += ±(Re|Im) L[idx]`.
#[derive(Clone, Copy)]
struct Contrib {
    pos: u32,
    idx: u32,
    /// 0: +Re, 1: −Re, 2: +Im, 3: −Im.
    kind: u8,
}

/// The real system's pattern (CSC) and how its values are formed from the
/// block's (module docs).
struct RealPattern {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    contribs: Vec<Contrib>,
    trace_pos: Vec<usize>,
}

fn real_pattern(
    block: &BlockLiouvillian,
    diag_block: &[usize],
    blk_re: &[usize],
    blk_im: &[usize],
    blk_sign: &[f64],
    trace_row: usize,
) -> Result<RealPattern, LindbladError> {
    let n = block.len();
    let d = block.dim();
    let (cp, ri) = (block.col_ptr(), block.row_idx());
    let nnz = ri.len();
    if nnz >= u32::MAX as usize / 2 {
        return Err(LindbladError::InvalidInput(
            "pattern too large for the real formulation".into(),
        ));
    }
    // entries (col, row, idx, kind) of the real system, generated twice:
    // counted per column, then placed (no O(nnz) list to sort);
    // idx = u32::MAX marks a trace-row entry
    let for_each_entry = |emit: &mut dyn FnMut(u32, u32, u32, u8)| {
        for c in 0..n {
            let (cre, cim, s) = (blk_re[c], blk_im[c], blk_sign[c]);
            for (idx, &r) in ri.iter().enumerate().take(cp[c + 1]).skip(cp[c]) {
                if blk_sign[r] < 0.0 {
                    continue;
                }
                let (rre, rim) = (blk_re[r], blk_im[r]);
                let id = idx as u32;
                if rre != trace_row {
                    emit(cre as u32, rre as u32, id, 0);
                    if cim != NONE {
                        emit(cim as u32, rre as u32, id, if s > 0.0 { 3 } else { 2 });
                    }
                }
                if rim != NONE {
                    emit(cre as u32, rim as u32, id, 2);
                    if cim != NONE {
                        emit(cim as u32, rim as u32, id, if s > 0.0 { 0 } else { 1 });
                    }
                }
            }
        }
        for &k in diag_block {
            emit(blk_re[k] as u32, trace_row as u32, u32::MAX, 0);
        }
    };
    let mut start = vec![0usize; n + 1];
    for_each_entry(&mut |c, _, _, _| start[c as usize + 1] += 1);
    for c in 0..n {
        start[c + 1] += start[c];
    }
    let mut next = start[..n].to_vec();
    let mut t = vec![(0u32, 0u32, 0u32, 0u8); start[n]];
    for_each_entry(&mut |c, r, idx, kind| {
        t[next[c as usize]] = (c, r, idx, kind);
        next[c as usize] += 1;
    });
    drop(next);
    for c in 0..n {
        t[start[c]..start[c + 1]].sort_unstable();
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
                kind,
            });
        }
    }
    drop(t);
    for c in 0..n {
        col_ptr[c + 1] = col_ptr[c + 1].max(col_ptr[c]);
    }
    Ok(RealPattern {
        col_ptr,
        row_idx,
        contribs,
        trace_pos,
    })
}

/// Points per leaf of the geometric nested-dissection tree of the real
/// system (N = 400, λ = 1: nnz(L+U) 12.6 M / 14.0 M / 16.6 M and flops
/// 2.57e9 / 2.69e9 / 3.04e9 at 16 / 32 / 64 points; 32 is the fastest
/// plan + factorization, as smaller leaves cost more in the plan than they
/// save in the factor).
const ND_LEAF_SIZE: usize = 32;

/// The real trace-constrained system on the Hermitian half of the block.
struct RealSystem {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    values: Vec<f64>,
    contribs: Vec<Contrib>,
    trace_pos: Vec<usize>,
    trace_row: usize,
    /// Per block unknown `ρ_ij`: real index of `Re ρ_ij`, of `Im ρ_ij` (NONE
    /// on the diagonal) and the sign of the imaginary part (−1 for `i < j`).
    blk_re: Vec<usize>,
    blk_im: Vec<usize>,
    blk_sign: Vec<f64>,
    factor: RealFactor,
    work: Work<f64>,
}

enum RealFactor {
    Supernodal(Box<Factor<f64>>),
    Multifrontal(Box<Multifrontal>),
    Gmres(Box<PreconditionedGmres>),
}

/// A numeric factorization that can be refreshed and applied.
trait LuEngine<T> {
    fn factorize_values(
        &mut self,
        a: SparseColMatRef<'_, usize, T>,
    ) -> Result<PivotReport, LindbladError>;
    /// Solves `A x = rhs` in place; `a` is the matrix last factorized
    /// (used by the Krylov engine, ignored by the direct ones).
    fn solve(
        &mut self,
        a: SparseColMatRef<'_, usize, T>,
        rhs: &mut [T],
    ) -> Result<(), LindbladError>;
    /// Krylov iterations since the last factorization (0: direct).
    fn iterations(&self) -> usize {
        0
    }
    /// Whether [`Self::solve`] applies a factorization (then GMRES may use
    /// it as preconditioner) rather than running a Krylov method itself.
    fn is_direct(&self) -> bool {
        true
    }
}

impl<T: Scalar> LuEngine<T> for Factor<T> {
    fn factorize_values(
        &mut self,
        a: SparseColMatRef<'_, usize, T>,
    ) -> Result<PivotReport, LindbladError> {
        self.factorize(a).map(|_| PivotReport::default())
    }
    fn solve(
        &mut self,
        _a: SparseColMatRef<'_, usize, T>,
        rhs: &mut [T],
    ) -> Result<(), LindbladError> {
        self.solve_in_place(rhs);
        Ok(())
    }
}

fn csc<'a, T>(a: SparseColMatRef<'a, usize, T>) -> Csc<'a, T> {
    Csc {
        col_ptr: a.symbolic().col_ptr(),
        row_idx: a.symbolic().row_idx(),
        values: a.val(),
    }
}

impl LuEngine<f64> for RealFactor {
    fn factorize_values(
        &mut self,
        a: SparseColMatRef<'_, usize, f64>,
    ) -> Result<PivotReport, LindbladError> {
        match self {
            RealFactor::Supernodal(f) => f.factorize(a).map(|_| PivotReport::default()),
            RealFactor::Multifrontal(m) => m.factorize(a.val()),
            RealFactor::Gmres(g) => g.factorize(a.val()),
        }
    }
    fn solve(
        &mut self,
        a: SparseColMatRef<'_, usize, f64>,
        rhs: &mut [f64],
    ) -> Result<(), LindbladError> {
        match self {
            RealFactor::Supernodal(f) => f.solve_in_place(rhs),
            RealFactor::Multifrontal(m) => m.solve_in_place(rhs),
            RealFactor::Gmres(g) => return g.solve_in_place(csc(a), rhs),
        }
        Ok(())
    }
    fn iterations(&self) -> usize {
        match self {
            RealFactor::Gmres(g) => g.iterations,
            _ => 0,
        }
    }
    fn is_direct(&self) -> bool {
        !matches!(self, RealFactor::Gmres(_))
    }
}

enum System {
    Complex(Box<ComplexSystem>),
    Real(Box<RealSystem>),
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
    /// Block solution and residual work vectors.
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
            .field("nnz", &self.reduced_nnz())
            .field("arithmetic", &self.options.arithmetic)
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

/// `|z|` as `√(re² + im²)`: several times faster than `hypot` (`norm()`),
/// exact to an ulp or two, and safe for the finite, far-from-overflow
/// entries of a Liouvillian and its solution (checked finite before use).
fn modulus(z: Complex64) -> f64 {
    z.norm_sqr().sqrt()
}

fn is_finite(z: Complex64) -> bool {
    z.re.is_finite() && z.im.is_finite()
}

/// Weight of the trace row (module docs): `min_i max_{r ≠ row of ρ_00}
/// |L_{r, ρ_ii}|` over the diagonal unknowns (block indices `diag_block`,
/// the first being the replaced row); 0 if some diagonal column is empty.
fn trace_weight(pattern: &BlockLiouvillian, values: &[Complex64], diag_block: &[usize]) -> f64 {
    let (cp, ri) = (pattern.col_ptr(), pattern.row_idx());
    let replaced = diag_block[0];
    diag_block
        .iter()
        .map(|&c| {
            (cp[c]..cp[c + 1])
                .filter(|&idx| ri[idx] != replaced)
                .map(|idx| modulus(values[idx]))
                .fold(0.0, f64::max)
        })
        .fold(f64::INFINITY, f64::min)
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

/// Column order of `sym` for `ordering` given in block unknowns
/// (`to_sys[k]`: the system unknowns of block unknown `k`, in order).
fn system_order(
    sym: SymbolicSparseColMatRef<'_, usize>,
    ordering: &ColumnOrdering,
    nblock: usize,
    to_sys: impl Fn(usize) -> [usize; 2],
) -> Result<Vec<usize>, LindbladError> {
    let n = sym.ncols();
    match ordering {
        ColumnOrdering::Colamd | ColumnOrdering::Geometric(_) => {
            let mut fwd = vec![0usize; n];
            let mut inv = vec![0usize; n];
            let req = colamd::order_scratch::<usize>(n, n, sym.compute_nnz());
            let mut buf = MemBuffer::try_new(req).map_err(|_| LindbladError::OutOfMemory)?;
            colamd::order(
                &mut fwd,
                &mut inv,
                sym,
                Default::default(),
                MemStack::new(&mut buf),
            )?;
            Ok(fwd)
        }
        ColumnOrdering::Custom(order) => {
            if order.len() != nblock {
                return Err(LindbladError::InvalidInput(format!(
                    "ordering has length {}, expected {nblock}",
                    order.len()
                )));
            }
            let mut seen = vec![false; nblock];
            let mut placed = vec![false; n];
            let mut out = Vec::with_capacity(n);
            for &k in order {
                if k >= nblock || seen[k] {
                    return Err(LindbladError::InvalidInput(
                        "custom ordering is not a permutation".into(),
                    ));
                }
                seen[k] = true;
                for s in to_sys(k) {
                    if s != NONE && !placed[s] {
                        placed[s] = true;
                        out.push(s);
                    }
                }
            }
            if out.len() != n {
                return Err(LindbladError::InvalidInput(
                    "custom ordering does not cover every unknown".into(),
                ));
            }
            Ok(out)
        }
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
            && !(options.arithmetic == Arithmetic::Real
                && matches!(ordering, ColumnOrdering::Geometric(_)))
        {
            return Err(LindbladError::InvalidInput(
                "GMRES is preconditioned by the multifrontal factor: it needs real \
                 arithmetic and a geometric ordering"
                    .into(),
            ));
        }
        let system = match options.arithmetic {
            Arithmetic::Complex => {
                System::Complex(Box::new(complex_system(block, &diag_block, &ordering)?))
            }
            Arithmetic::Real => System::Real(Box::new(real_system(
                block,
                &diag_block,
                &ordering,
                options.threads,
                options.method,
                options.pivoting,
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
            x: vec![Complex64::new(0.0, 0.0); n],
            dx: vec![Complex64::new(0.0, 0.0); n],
            rowsum: vec![0.0; n],
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
            System::Complex(s) => s.values.len(),
            System::Real(s) => s.values.len(),
        }
    }

    /// Fill and flops of the factorization (from the symbolic analysis).
    pub fn factor_stats(&self) -> FactorStats {
        let (n, nnz_a, count_sum, flop_sum, bytes, mult) = match &self.system {
            System::Complex(s) => (
                s.work.x.len(),
                s.values.len(),
                s.factor.count_sum,
                s.factor.flop_sum,
                16,
                4.0,
            ),
            System::Real(s) => match &s.factor {
                RealFactor::Supernodal(f) => (
                    s.work.x.len(),
                    s.values.len(),
                    f.count_sum,
                    f.flop_sum,
                    8,
                    1.0,
                ),
                RealFactor::Multifrontal(m) => {
                    return FactorStats {
                        n: m.n(),
                        nnz_a: s.values.len(),
                        nnz_lu: m.nnz_lu,
                        flops: m.flops,
                        bytes_per_entry: 8,
                    }
                }
                RealFactor::Gmres(g) => {
                    let (nnz_lu, flops) = g.factor_size();
                    return FactorStats {
                        n: s.work.x.len(),
                        nnz_a: s.values.len(),
                        nnz_lu,
                        flops,
                        bytes_per_entry: 4,
                    };
                }
            },
        };
        FactorStats {
            n,
            nnz_a,
            nnz_lu: 2 * count_sum - n as u64,
            flops: mult * flop_sum,
            bytes_per_entry: bytes,
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
        let n = self.pattern.len();
        let d = self.pattern.dim();
        if values.len() != self.pattern.nnz() {
            return Err(LindbladError::InvalidInput(format!(
                "{} values given for a pattern with {} entries",
                values.len(),
                self.pattern.nnz()
            )));
        }
        if !values.iter().all(|&z| is_finite(z)) {
            return Err(LindbladError::InvalidInput(
                "Liouvillian has a non-finite entry".into(),
            ));
        }
        let mut w = trace_weight(&self.pattern, values, &self.diag_block);
        if w == 0.0 {
            w = values.iter().map(|&z| modulus(z)).fold(0.0, f64::max);
        }
        if w == 0.0 {
            return Err(LindbladError::Singular(
                "the Liouvillian is zero: every state is stationary".into(),
            ));
        }
        let report = match &mut self.system {
            System::Complex(s) => {
                s.solve(values, w, self.options.max_refinement_steps, &mut self.x)?
            }
            System::Real(s) => {
                s.solve(values, w, self.options.max_refinement_steps, &mut self.x)?
            }
        };
        let steps = report.refinement_steps;
        let zero = Complex64::new(0.0, 0.0);

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
                self.rowsum[r] += modulus(values[idx]);
            }
        }
        let l_norm = self.rowsum.iter().copied().fold(0.0, f64::max);
        let r_norm = self.dx.iter().map(|&z| modulus(z)).fold(0.0, f64::max);
        let x_norm = self.x.iter().map(|&z| modulus(z)).fold(0.0, f64::max);
        let residual = r_norm / (l_norm * x_norm);
        if !residual.is_finite() || !rho.col_iter().all(|c| c.iter().all(|&z| is_finite(z))) {
            return Err(LindbladError::Numerical(
                "non-finite steady state or residual".into(),
            ));
        }
        if residual > self.options.residual_tol {
            return Err(LindbladError::Numerical(format!(
                "relative residual {residual:.2e} above tolerance {:.0e} after {steps} \
                 refinement steps, {} Krylov iterations ({} delayed, {} perturbed pivots)",
                self.options.residual_tol,
                report.krylov_iterations,
                report.pivots.delayed,
                report.pivots.perturbed,
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
                krylov_iterations: report.krylov_iterations,
                delayed_pivots: report.pivots.delayed,
                perturbed_pivots: report.pivots.perturbed,
                backward_error: report.backward_error,
            },
        })
    }
}

/// The complex trace-constrained system `A` (module docs) and its plan.
fn complex_system(
    block: &BlockLiouvillian,
    diag_block: &[usize],
    ordering: &ColumnOrdering,
) -> Result<ComplexSystem, LindbladError> {
    let n = block.len();
    let trace_row = diag_block[0];
    let mut is_diag = vec![false; n];
    for &k in diag_block {
        is_diag[k] = true;
    }
    let (cp, ri) = (block.col_ptr(), block.row_idx());
    let mut col_ptr = vec![0usize; n + 1];
    let mut row_idx = Vec::with_capacity(ri.len() + diag_block.len());
    let mut l_to_a = vec![NONE; ri.len()];
    let mut trace_pos = Vec::with_capacity(diag_block.len());
    for c in 0..n {
        let mut placed_trace = !is_diag[c];
        for idx in cp[c]..cp[c + 1] {
            let r = ri[idx];
            if !placed_trace && r >= trace_row {
                trace_pos.push(row_idx.len());
                row_idx.push(trace_row);
                placed_trace = true;
            }
            if r == trace_row {
                continue;
            }
            l_to_a[idx] = row_idx.len();
            row_idx.push(r);
        }
        if !placed_trace {
            trace_pos.push(row_idx.len());
            row_idx.push(trace_row);
        }
        col_ptr[c + 1] = row_idx.len();
    }
    let sym = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
    let order = match ordering {
        ColumnOrdering::Geometric(coords) => {
            check_coords(coords, n)?;
            crate::ordering::nested_dissection(coords, 2, 32)
        }
        _ => system_order(sym, ordering, n, |k| [k, NONE])?,
    };
    let factor = Factor::<Complex64>::new(sym, order)?;
    let zero = Complex64::new(0.0, 0.0);
    Ok(ComplexSystem {
        values: vec![zero; row_idx.len()],
        col_ptr,
        row_idx,
        l_to_a,
        trace_pos,
        trace_row,
        factor,
        work: Work::new(n),
    })
}

impl ComplexSystem {
    fn factor_only(&mut self, values: &[Complex64], w: f64) -> Result<(), LindbladError> {
        self.fill(values, w);
        let n = self.work.x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        self.factor
            .factorize_values(SparseColMatRef::new(sym, &self.values))
            .map(|_| ())
    }

    fn solve_only(&mut self) -> Result<(), LindbladError> {
        let x = &mut self.work.x;
        x.fill(Complex64::new(0.0, 0.0));
        x[self.trace_row] = Complex64::new(1.0, 0.0);
        let n = x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        self.factor
            .solve(SparseColMatRef::new(sym, &self.values), x)
    }

    /// Factorizes, solves and refines; writes the block solution to `out`.
    fn solve(
        &mut self,
        values: &[Complex64],
        w: f64,
        max_steps: usize,
        out: &mut [Complex64],
    ) -> Result<SolveReport, LindbladError> {
        self.fill(values, w);
        let n = self.work.x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        let report = refine_solve(
            &mut self.factor,
            SparseColMatRef::new(sym, &self.values),
            self.trace_row,
            w,
            max_steps,
            &mut self.work,
        )?;
        out.copy_from_slice(&self.work.x);
        Ok(report)
    }

    fn fill(&mut self, values: &[Complex64], w: f64) {
        let zero = Complex64::new(0.0, 0.0);
        self.values.fill(zero);
        for (idx, &pos) in self.l_to_a.iter().enumerate() {
            if pos != NONE {
                self.values[pos] = values[idx];
            }
        }
        for &pos in &self.trace_pos {
            self.values[pos] = Complex64::new(w, 0.0);
        }
    }
}

/// The real trace-constrained system on the Hermitian half (module docs).
fn real_system(
    block: &BlockLiouvillian,
    diag_block: &[usize],
    ordering: &ColumnOrdering,
    threads: usize,
    method: SolveMethod,
    pivoting: Pivoting,
) -> Result<RealSystem, LindbladError> {
    let n = block.len();
    let d = block.dim();
    let vec_idx = block.vec_indices();
    let mut blk_re = vec![NONE; n];
    let mut blk_im = vec![NONE; n];
    let mut blk_sign = vec![1.0f64; n];
    let mut nr = 0usize;
    for (k, &v) in vec_idx.iter().enumerate() {
        let (i, j) = (v % d, v / d);
        if i >= j {
            blk_re[k] = nr;
            nr += 1;
            if i > j {
                blk_im[k] = nr;
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
            blk_re[k] = blk_re[t];
            blk_im[k] = blk_im[t];
            blk_sign[k] = -1.0;
        }
    }
    if nr != n {
        return Err(LindbladError::InvalidInput(
            "block is not closed under transposition: use complex arithmetic".into(),
        ));
    }
    let trace_row = blk_re[diag_block[0]];
    // geometric ordering: the elimination tree needs only the coordinates
    // of the real unknowns, so it is built on a second thread while this
    // one builds the pattern
    let geometry = match ordering {
        ColumnOrdering::Geometric(coords) => {
            check_coords(coords, n)?;
            let mut rc = vec![[0i64; 2]; n];
            for k in 0..n {
                rc[blk_re[k]] = coords[k];
                if blk_im[k] != NONE {
                    rc[blk_im[k]] = coords[k];
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
            .filter(|_| threads > 1)
            .map(|g| sc.spawn(move || nd_tree(g)));
        let pattern = real_pattern(block, diag_block, &blk_re, &blk_im, &blk_sign, trace_row);
        let tree = match job {
            Some(h) => Some(h.join().map_err(|_| {
                LindbladError::Numerical("nested-dissection thread panicked".into())
            })?),
            None => geometry.as_ref().map(nd_tree),
        };
        Ok::<_, LindbladError>((pattern?, tree))
    })?;
    let RealPattern {
        col_ptr,
        row_idx,
        contribs,
        trace_pos,
    } = pattern;
    let sym = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
    let factor = match ordering {
        ColumnOrdering::Geometric(_) => {
            let tree = tree.ok_or_else(|| {
                LindbladError::Numerical("geometric ordering without its tree".into())
            })?;
            match method {
                SolveMethod::Direct => RealFactor::Multifrontal(Box::new(Multifrontal::new(
                    n, &col_ptr, &row_idx, tree, threads, pivoting,
                )?)),
                SolveMethod::Gmres => RealFactor::Gmres(Box::new(PreconditionedGmres::new(
                    n, &col_ptr, &row_idx, tree, threads, pivoting,
                )?)),
            }
        }
        _ => {
            let order = system_order(sym, ordering, n, |k| [blk_re[k], blk_im[k]])?;
            RealFactor::Supernodal(Box::new(Factor::<f64>::new(sym, order)?))
        }
    };
    Ok(RealSystem {
        values: vec![0.0; row_idx.len()],
        col_ptr,
        row_idx,
        contribs,
        trace_pos,
        trace_row,
        blk_re,
        blk_im,
        blk_sign,
        factor,
        work: Work::new(n),
    })
}

impl RealSystem {
    fn factor_only(&mut self, values: &[Complex64], w: f64) -> Result<(), LindbladError> {
        self.fill(values, w);
        let n = self.work.x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        self.factor
            .factorize_values(SparseColMatRef::new(sym, &self.values))
            .map(|_| ())
    }

    fn solve_only(&mut self) -> Result<(), LindbladError> {
        let x = &mut self.work.x;
        x.fill(0.0);
        x[self.trace_row] = 1.0;
        let n = x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        self.factor
            .solve(SparseColMatRef::new(sym, &self.values), x)
    }

    /// Factorizes, solves and refines; writes the block solution to `out`.
    fn solve(
        &mut self,
        values: &[Complex64],
        w: f64,
        max_steps: usize,
        out: &mut [Complex64],
    ) -> Result<SolveReport, LindbladError> {
        self.fill(values, w);
        let n = self.work.x.len();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        let report = refine_solve(
            &mut self.factor,
            SparseColMatRef::new(sym, &self.values),
            self.trace_row,
            w,
            max_steps,
            &mut self.work,
        )?;
        let x = &self.work.x;
        for (k, o) in out.iter_mut().enumerate() {
            let re = x[self.blk_re[k]];
            let im = match self.blk_im[k] {
                NONE => 0.0,
                i => self.blk_sign[k] * x[i],
            };
            *o = Complex64::new(re, im);
        }
        Ok(report)
    }

    fn fill(&mut self, values: &[Complex64], w: f64) {
        self.values.fill(0.0);
        for c in &self.contribs {
            let z = values[c.idx as usize];
            self.values[c.pos as usize] += match c.kind {
                0 => z.re,
                1 => -z.re,
                2 => z.im,
                _ => -z.im,
            };
        }
        for &pos in &self.trace_pos {
            self.values[pos] = w;
        }
    }
}

fn check_coords(coords: &[[i64; 2]], n: usize) -> Result<(), LindbladError> {
    if coords.len() != n {
        return Err(LindbladError::InvalidInput(format!(
            "{} coordinates given for {n} unknowns",
            coords.len()
        )));
    }
    Ok(())
}

/// Scalars of the factorized systems.
trait Scalar:
    ComplexField
    + KrylovScalar
    + Copy
    + std::ops::Mul<Output = Self>
    + std::ops::SubAssign
    + std::ops::AddAssign
{
    fn from_re(x: f64) -> Self;
    fn modulus(self) -> f64;
    fn finite(self) -> bool;
}

impl Scalar for f64 {
    fn from_re(x: f64) -> Self {
        x
    }
    fn modulus(self) -> f64 {
        self.abs()
    }
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Scalar for Complex64 {
    fn from_re(x: f64) -> Self {
        Complex64::new(x, 0.0)
    }
    fn modulus(self) -> f64 {
        self.norm()
    }
    fn finite(self) -> bool {
        is_finite(self)
    }
}

/// Backward error at which iterative refinement stops: the unit round-off.
/// (A looser `1e-15` left 7e-11 in ⟨Jz⟩/j at N = 600, h = 0 with COLAMD,
/// where the steady state is sensitive: one more step brings it to the
/// other orderings' value.)
const REFINE_TARGET: f64 = f64::EPSILON / 2.0;

/// Backward error at which iterative refinement counts as stagnated and
/// GMRES on the factor takes over.
const GMRES_TRIGGER: f64 = 1e-14;

/// What the solve of one point did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct SolveReport {
    refinement_steps: usize,
    krylov_iterations: usize,
    pivots: PivotReport,
    /// Final `‖b − Ax‖_∞/(‖A‖_∞‖x‖_∞ + ‖b‖_∞)` of the trace-constrained system.
    backward_error: f64,
}

/// Vectors of the solve of a trace-constrained system of order `n`.
struct Work<T> {
    x: Vec<T>,
    dx: Vec<T>,
    r: Vec<T>,
    b: Vec<T>,
    rowsum: Vec<f64>,
    gmres: Gmres<T>,
}

impl<T: Scalar> Work<T> {
    fn new(n: usize) -> Self {
        let zero = T::from_re(0.0);
        Self {
            x: vec![zero; n],
            dx: vec![zero; n],
            r: vec![zero; n],
            b: vec![zero; n],
            rowsum: vec![0.0; n],
            gmres: Gmres::new(20, 200, 1e-14),
        }
    }
}

/// `‖b − Ax‖_∞/(‖A‖_∞‖x‖_∞ + ‖b‖_∞)`, the residual left in `r`.
fn backward_error<T: Scalar>(
    a: SparseColMatRef<'_, usize, T>,
    a_norm: f64,
    b: &[T],
    x: &[T],
    r: &mut [T],
) -> f64 {
    let (cp, ri, v) = (a.symbolic().col_ptr(), a.symbolic().row_idx(), a.val());
    r.copy_from_slice(b);
    for (c, &xc) in x.iter().enumerate() {
        for idx in cp[c]..cp[c + 1] {
            r[ri[idx]] -= v[idx] * xc;
        }
    }
    let r_norm = r.iter().map(|z| z.modulus()).fold(0.0, f64::max);
    let x_norm = x.iter().map(|z| z.modulus()).fold(0.0, f64::max);
    let b_norm = b.iter().map(|z| z.modulus()).fold(0.0, f64::max);
    r_norm / (a_norm * x_norm + b_norm)
}

/// Numeric factorization of `A`, solve of `A x = w e_trace_row`, then:
///
/// - without perturbed pivots, iterative refinement while the normwise
///   backward error `‖b − Ax‖_∞/(‖A‖_∞‖x‖_∞ + ‖b‖_∞)` exceeds
///   [`REFINE_TARGET`] and keeps halving (at most `max_steps` steps; a step
///   that does not lower it is undone);
/// - with perturbed pivots (the factor is that of a nearby matrix), or when
///   refinement stagnates above [`GMRES_TRIGGER`], GMRES preconditioned by
///   the factor from the current `x` ([`crate::krylov`]).
fn refine_solve<T: Scalar>(
    factor: &mut impl LuEngine<T>,
    a: SparseColMatRef<'_, usize, T>,
    trace_row: usize,
    w: f64,
    max_steps: usize,
    work: &mut Work<T>,
) -> Result<SolveReport, LindbladError> {
    let pivots = factor.factorize_values(a)?;
    let Work {
        x,
        dx,
        r,
        b,
        rowsum,
        gmres,
    } = work;
    let n = x.len();
    let (cp, ri, v) = (a.symbolic().col_ptr(), a.symbolic().row_idx(), a.val());
    rowsum.fill(0.0);
    for c in 0..n {
        for idx in cp[c]..cp[c + 1] {
            rowsum[ri[idx]] += v[idx].modulus();
        }
    }
    let a_norm = rowsum.iter().copied().fold(0.0, f64::max);
    let zero = T::from_re(0.0);
    b.fill(zero);
    b[trace_row] = T::from_re(w);
    x.copy_from_slice(b);
    factor.solve(a, x)?;
    let direct = factor.is_direct();
    if !x.iter().all(|&z| z.finite()) {
        if !(direct && pivots.perturbed > 0) {
            return Err(LindbladError::Singular(
                "factorization produced a non-finite solution (singular system)".into(),
            ));
        }
        x.fill(zero);
    }
    let mut steps = 0;
    let mut be = backward_error(a, a_norm, b, x, r);
    if pivots.perturbed == 0 {
        while be > REFINE_TARGET && steps < max_steps {
            dx.copy_from_slice(r);
            factor.solve(a, dx)?;
            for (xi, di) in x.iter_mut().zip(dx.iter()) {
                *xi += *di;
            }
            steps += 1;
            let be_new = backward_error(a, a_norm, b, x, r);
            if be_new.is_nan() || be_new >= be {
                // no gain: keep the previous iterate
                for (xi, di) in x.iter_mut().zip(dx.iter()) {
                    *xi -= *di;
                }
                break;
            }
            let halved = be_new < 0.5 * be;
            be = be_new;
            if !halved {
                break;
            }
        }
    }
    let mut krylov_iterations = factor.iterations();
    if direct && (pivots.perturbed > 0 || be > GMRES_TRIGGER) {
        let rep = gmres.solve(csc(a), b, x, &mut |v| factor.solve(a, v))?;
        krylov_iterations += rep.iterations;
        be = backward_error(a, a_norm, b, x, r);
    }
    Ok(SolveReport {
        refinement_steps: steps,
        krylov_iterations,
        pivots,
        backward_error: be,
    })
}

impl<T: Scalar> Factor<T> {
    /// Symbolic supernodal LU of `sym` for the column order `order`.
    fn new(
        sym: SymbolicSparseColMatRef<'_, usize>,
        order: Vec<usize>,
    ) -> Result<Self, LindbladError> {
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
        let count_sum: u64 = col_counts.iter().map(|&c| c as u64).sum();
        let flop_sum: f64 = col_counts
            .iter()
            .map(|&c| {
                let c = c as f64;
                (c - 1.0) * (2.0 * c - 1.0)
            })
            .sum();
        let symbolic = factorize_supernodal_symbolic_lu(
            sym,
            Some(perm),
            &min_col,
            et,
            &col_counts,
            stack,
            Default::default(),
        )?;
        drop(buf);
        let par = Par::Seq;
        let req = StackReq::any_of(&[
            factorize_supernodal_numeric_lu_scratch::<usize, T>(&symbolic, Default::default()),
            faer::sparse::linalg::lu::supernodal::solve_in_place_scratch::<usize, T>(n, 1, par),
        ]);
        let mem = MemBuffer::try_new(req).map_err(|_| LindbladError::OutOfMemory)?;
        Ok(Self {
            perm_fwd,
            perm_inv,
            symbolic,
            lu: SupernodalLu::new(),
            row_fwd: vec![0; n],
            row_inv: vec![0; n],
            at_col_ptr,
            at_row_idx,
            at_values: vec![T::from_re(0.0); nnz],
            a_to_at,
            mem,
            count_sum,
            flop_sum,
        })
    }

    /// Numeric factorization of `a` (pattern of the plan), sequential.
    fn factorize(&mut self, a: SparseColMatRef<'_, usize, T>) -> Result<(), LindbladError> {
        let n = a.ncols();
        for (idx, &pos) in self.a_to_at.iter().enumerate() {
            self.at_values[pos] = a.val()[idx];
        }
        let at_sym =
            SymbolicSparseColMatRef::new_checked(n, n, &self.at_col_ptr, None, &self.at_row_idx);
        let at = SparseColMatRef::new(at_sym, &self.at_values);
        let perm = PermRef::new_checked(&self.perm_fwd, &self.perm_inv, n);
        factorize_supernodal_numeric_lu(
            &mut self.row_fwd,
            &mut self.row_inv,
            &mut self.lu,
            a,
            at,
            perm,
            &self.symbolic,
            Par::Seq,
            MemStack::new(&mut self.mem),
            Default::default(),
        )
        .map_err(lu_err)
    }

    /// Solves `A x = rhs` in place with the current numeric factorization.
    fn solve_in_place(&mut self, rhs: &mut [T]) {
        let n = rhs.len();
        let x = MatMut::from_column_major_slice_mut(rhs, n, 1);
        let col_perm = PermRef::new_checked(&self.perm_fwd, &self.perm_inv, n);
        let row_perm = PermRef::new_checked(&self.row_fwd, &self.row_inv, n);
        self.lu.solve_in_place_with_conj(
            row_perm,
            col_perm,
            Conj::No,
            x,
            Par::Seq,
            MemStack::new(&mut self.mem),
        );
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
