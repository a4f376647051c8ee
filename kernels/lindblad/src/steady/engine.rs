//! The factorization engine of a trace-constrained system, chosen by the
//! ordering and method ([`super::ColumnOrdering`], [`super::SolveMethod`]):
//!
//! - geometric nested dissection: the multifrontal LU of
//!   [`crate::multifrontal`] on the tree of the given lattice coordinates
//!   (in the scalar of the system), or, with [`super::SolveMethod::Gmres`],
//!   GMRES preconditioned by the same LU in single precision;
//! - COLAMD or a caller's order: faer's supernodal LU
//!   ([`super::supernodal`]);
//! - [`super::ColumnOrdering::Dense`]: faer's dense LU with full pivoting,
//!   the most robust and the slowest (`O(n³)` flops, `n²` entries), for
//!   small systems and as the last resort of a retry chain.

use super::supernodal::Supernodal;
use super::{ColumnOrdering, FactorStats, SolveMethod};
use crate::krylov::{Csc, PreconditionedGmres};
use crate::multifrontal::{Multifrontal, PivotReport, Pivoting};
use crate::ordering::NdTree;
use crate::scalar::SystemScalar;
use crate::LindbladError;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::solvers::{FullPivLu, SolveCore};
use faer::sparse::linalg::colamd;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, Mat, MatMut};

const NONE: usize = usize::MAX;

/// Points per leaf of the geometric nested-dissection tree of the real
/// system (N = 400, λ = 1: nnz(L+U) 12.6 M / 14.0 M / 16.6 M and flops
/// 2.57e9 / 2.69e9 / 3.04e9 at 16 / 32 / 64 points; 32 is the fastest
/// plan + factorization, as smaller leaves cost more in the plan than they
/// save in the factor).
pub(crate) const ND_LEAF_SIZE: usize = 32;

/// A numeric factorization that can be refreshed and applied.
pub(crate) enum Engine<T: SystemScalar> {
    Supernodal(Box<Supernodal<T>>),
    Multifrontal(Box<Multifrontal<T>>),
    /// GMRES preconditioned by the single-precision multifrontal LU.
    Mixed(Box<PreconditionedGmres<T>>),
    /// Dense LU with full pivoting (`None` until the first factorization).
    Dense(Option<Box<FullPivLu<T>>>),
}

/// Largest order of a dense factorization (8 GB of complex entries).
pub(crate) const DENSE_MAX_ORDER: usize = 22_000;

pub(crate) fn csc<'a, T>(a: SparseColMatRef<'a, usize, T>) -> Csc<'a, T> {
    Csc {
        col_ptr: a.symbolic().col_ptr(),
        row_idx: a.symbolic().row_idx(),
        values: a.val(),
    }
}

impl<T: SystemScalar> Engine<T> {
    /// The engine for the pattern `sym`: the multifrontal LU (or its
    /// mixed-precision GMRES) on `tree` when given, otherwise the supernodal
    /// LU with the column order of `ordering` (`to_sys(k)`: the system
    /// unknowns of block unknown `k`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sym: SymbolicSparseColMatRef<'_, usize>,
        tree: Option<NdTree>,
        ordering: &ColumnOrdering,
        nblock: usize,
        to_sys: impl Fn(usize) -> [usize; 2],
        threads: usize,
        method: SolveMethod,
        pivoting: Pivoting,
    ) -> Result<Self, LindbladError> {
        let n = sym.ncols();
        let (cp, ri) = (sym.col_ptr(), sym.row_idx());
        if *ordering == ColumnOrdering::Dense {
            if n > DENSE_MAX_ORDER {
                return Err(LindbladError::InvalidInput(format!(
                    "a dense factorization of {n} unknowns needs {:.1} GB: use a sparse ordering",
                    (n * n * T::BYTES) as f64 * 1e-9
                )));
            }
            return Ok(Engine::Dense(None));
        }
        Ok(match (tree, method) {
            (Some(tree), SolveMethod::Direct) => Engine::Multifrontal(Box::new(Multifrontal::new(
                n, cp, ri, tree, threads, pivoting,
            )?)),
            (Some(tree), SolveMethod::Gmres) => Engine::Mixed(Box::new(PreconditionedGmres::new(
                n, cp, ri, tree, threads, pivoting,
            )?)),
            (None, _) => {
                let order = system_order(sym, ordering, nblock, to_sys)?;
                Engine::Supernodal(Box::new(Supernodal::new(sym, order)?))
            }
        })
    }

    /// Numeric factorization of `a` (the plan's pattern).
    pub fn factorize(
        &mut self,
        a: SparseColMatRef<'_, usize, T>,
    ) -> Result<PivotReport, LindbladError> {
        match self {
            Engine::Supernodal(f) => f.factorize(a).map(|_| PivotReport::default()),
            Engine::Multifrontal(m) => m.factorize(a.val()),
            Engine::Mixed(g) => g.factorize(a.val()),
            Engine::Dense(lu) => {
                let n = a.ncols();
                let mut m = Mat::<T>::zeros(n, n);
                let (cp, ri, v) = (a.symbolic().col_ptr(), a.symbolic().row_idx(), a.val());
                for c in 0..n {
                    for idx in cp[c]..cp[c + 1] {
                        m[(ri[idx], c)] = v[idx];
                    }
                }
                *lu = Some(Box::new(FullPivLu::new(m.as_ref())));
                Ok(PivotReport::default())
            }
        }
    }

    /// Solves `A x = rhs` in place; `a` is the matrix last factorized (used
    /// by the Krylov engine, ignored by the direct ones).
    pub fn solve(
        &mut self,
        a: SparseColMatRef<'_, usize, T>,
        rhs: &mut [T],
    ) -> Result<(), LindbladError> {
        match self {
            Engine::Supernodal(f) => f.solve_in_place(rhs),
            Engine::Multifrontal(m) => m.solve_in_place(rhs),
            Engine::Mixed(g) => return g.solve_in_place(csc(a), rhs),
            Engine::Dense(lu) => {
                let lu = lu.as_ref().ok_or_else(|| {
                    LindbladError::Numerical("dense solve before factorization".into())
                })?;
                let n = rhs.len();
                lu.solve_in_place_with_conj(
                    Conj::No,
                    MatMut::from_column_major_slice_mut(rhs, n, 1),
                );
            }
        }
        Ok(())
    }

    /// Krylov iterations since the last factorization (0: direct).
    pub fn iterations(&self) -> usize {
        match self {
            Engine::Mixed(g) => g.iterations,
            _ => 0,
        }
    }

    /// Whether [`Self::solve`] applies a factorization (then GMRES may use
    /// it as preconditioner) rather than running a Krylov method itself.
    pub fn is_direct(&self) -> bool {
        !matches!(self, Engine::Mixed(_))
    }

    /// Fill and flops from the symbolic analysis (`nnz_a` entries of `A`).
    pub fn stats(&self, n: usize, nnz_a: usize) -> FactorStats {
        let (nnz_lu, flops, bytes) = match self {
            Engine::Supernodal(f) => (
                2 * f.count_sum - n as u64,
                T::FLOP_FACTOR * f.flop_sum,
                T::BYTES,
            ),
            Engine::Multifrontal(m) => (m.nnz_lu, T::FLOP_FACTOR * m.flops, T::BYTES),
            Engine::Mixed(g) => {
                let (nnz_lu, flops) = g.factor_size();
                (nnz_lu, T::FLOP_FACTOR * flops, T::BYTES / 2)
            }
            Engine::Dense(_) => {
                let nf = n as f64;
                (
                    (n * n) as u64,
                    T::FLOP_FACTOR * 2.0 * nf * nf * nf / 3.0,
                    T::BYTES,
                )
            }
        };
        FactorStats {
            n,
            nnz_a,
            nnz_lu,
            flops,
            bytes_per_entry: bytes,
        }
    }
}

/// Column order of `sym` for `ordering` given in block unknowns
/// (`to_sys[k]`: the system unknowns of block unknown `k`, in order).
pub(crate) fn system_order(
    sym: SymbolicSparseColMatRef<'_, usize>,
    ordering: &ColumnOrdering,
    nblock: usize,
    to_sys: impl Fn(usize) -> [usize; 2],
) -> Result<Vec<usize>, LindbladError> {
    let n = sym.ncols();
    match ordering {
        ColumnOrdering::Colamd
        | ColumnOrdering::Geometric(_)
        | ColumnOrdering::Metis
        | ColumnOrdering::Dense => {
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

pub(crate) fn check_coords(coords: &[[i64; 2]], n: usize) -> Result<(), LindbladError> {
    if coords.len() != n {
        return Err(LindbladError::InvalidInput(format!(
            "{} coordinates given for {n} unknowns",
            coords.len()
        )));
    }
    Ok(())
}
