//! Multifrontal LU of a sparse matrix on an elimination tree, in three
//! stages, each in its own file:
//!
//! - [`symbolic`]: from the pattern and an elimination tree ([`NdTree`],
//!   e.g. the geometric nested dissection of [`crate::ordering`]) to the
//!   fronts, assembly lists, factor storage and thread schedule, once per
//!   pattern;
//! - [`numeric`]: per matrix, assembly of the fronts and their partial
//!   factorization with threshold pivoting and delayed pivots, on
//!   independent subtrees in parallel; the pivoting itself, "what happens
//!   when a pivot is tiny", is in [`front`];
//! - [`solve`]: forward and backward substitution.
//!
//! # Method
//!
//! Node `s` of the tree owns the fully summed unknowns `F_s`; its front is
//! indexed by `F_s ∪ B_s`, `B_s` the ancestors' unknowns coupled to the
//! subtree of `s`. The front is assembled from the entries `A_ij` whose
//! earlier-eliminated index belongs to `F_s` and from the children's Schur
//! complements (extend-add), then partially factorized,
//!
//! ```text
//! P F11 Q = L11 U11,  U12 = L11⁻¹ P F12,  L21 = F21 Q U11⁻¹,  S = F22 − L21 U12,
//! ```
//!
//! with rows chosen among the fully summed rows under the threshold test
//! `|pivot| ≥ u · max |column of the front|` (`u` = 0.01 by default,
//! [`Pivoting`]); a column that fails is delayed: it joins the parent's
//! fully summed block with its row (Duff & Reid 1983; MUMPS, Amestoy, Duff,
//! Koster & L'Excellent 2001). `S` goes to the parent. At a root nothing
//! can be delayed: a pivot that is zero to round-off there means the matrix
//! is singular, an error, never a number ([`Pivoting::Static`] instead
//! perturbs small pivots and leaves the correction to GMRES). The factors
//! hold `Σ f² + 2fb` entries and cost `Σ 2f³/3 + 2f²b + 2fb²` flops
//! (f = |F_s|, b = |B_s|) without delays, against the `O(n log n)` /
//! `O(n^{3/2})` of nested dissection on a 2D grid (George 1973); every
//! delayed pivot adds a row and a column to the fronts it passes through.
//! Dense kernels: faer (`Par::Seq`) and this crate's loops, compiled twice
//! (baseline and AVX2, chosen at run time).
//!
//! # Scalars
//!
//! The stages are generic over the factor's scalar ([`FactorScalar`]):
//! `f64` and `Complex64`, and `f32` / `Complex<f32>` factors rounded from
//! double-precision values (preconditioners). Results are bit-identical for
//! any thread count.
//!
//! # Recorded
//!
//! [`PivotReport`] per factorization: pivots eliminated outside their node
//! (delayed), perturbed pivots (static pivoting), largest front growth.

pub mod front;
pub mod numeric;
pub mod solve;
pub mod symbolic;

pub use front::FactorScalar;
pub use numeric::{PivotReport, Pivoting};

use crate::ordering::NdTree;
use crate::LindbladError;
use numeric::Numeric;
use solve::SolveBuffers;
use symbolic::Symbolic;

/// The three stages for one pattern: symbolic analysis (built once), the
/// numeric factors (refreshed by [`Self::factorize`]) and the substitution
/// buffers.
pub(crate) struct Multifrontal<T: FactorScalar = f64> {
    sym: Symbolic,
    num: Numeric<T>,
    buf: SolveBuffers<T>,
    /// Stored factor entries (without delays) and flops of one
    /// factorization.
    pub(crate) nnz_lu: u64,
    pub(crate) flops: f64,
}

impl<T: FactorScalar> Multifrontal<T> {
    /// Symbolic analysis of the pattern `col_ptr`, `row_idx` (order `n`)
    /// for `tree` on `threads` threads, and the factor storage.
    ///
    /// # Errors
    /// As [`Symbolic::new`]; [`LindbladError::OutOfMemory`].
    pub(crate) fn new(
        n: usize,
        col_ptr: &[usize],
        row_idx: &[usize],
        tree: NdTree,
        threads: usize,
        pivoting: Pivoting,
    ) -> Result<Self, LindbladError> {
        let sym = Symbolic::new(n, col_ptr, row_idx, tree, threads)?;
        let num = Numeric::new(&sym, pivoting)?;
        Ok(Self {
            nnz_lu: sym.nnz_lu,
            flops: sym.flops,
            buf: SolveBuffers::new(n),
            sym,
            num,
        })
    }

    /// Numeric factorization of `values` (aligned with the pattern).
    ///
    /// # Errors
    /// As [`Numeric::factorize`].
    pub(crate) fn factorize(&mut self, values: &[T::Input]) -> Result<PivotReport, LindbladError> {
        self.num.factorize(&self.sym, values)
    }

    /// Solves `A x = rhs` in place with the current factorization.
    pub(crate) fn solve_in_place(&mut self, rhs: &mut [T]) {
        solve::solve_in_place(&self.sym, &self.num, &mut self.buf, rhs)
    }
}
