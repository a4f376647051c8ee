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

#[cfg(test)]
mod tests {
    //! Matrices built to defeat pivoting restricted to each front's fully
    //! summed block: the multifrontal solve against a dense LU with full
    //! pivoting.
    use super::*;
    use crate::ordering::nested_dissection_tree;
    use faer::linalg::solvers::{FullPivLu, SolveCore};
    use faer::{Conj, Mat, MatMut};
    use num_complex::Complex64;

    struct Csc<T> {
        n: usize,
        col_ptr: Vec<usize>,
        row_idx: Vec<usize>,
        values: Vec<T>,
    }

    fn rand(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    /// `entries(c)`: the (row, value) of column `c`, rows increasing.
    fn csc<T: Copy>(n: usize, mut entries: impl FnMut(usize) -> Vec<(usize, T)>) -> Csc<T> {
        let (mut col_ptr, mut row_idx, mut values) = (vec![0], Vec::new(), Vec::new());
        for c in 0..n {
            for (r, v) in entries(c) {
                row_idx.push(r);
                values.push(v);
            }
            col_ptr.push(row_idx.len());
        }
        Csc {
            n,
            col_ptr,
            row_idx,
            values,
        }
    }

    /// Solves `A x = b` by the multifrontal LU on `tree` and by a dense LU;
    /// returns the relative difference and the pivot report.
    fn solve_both<T: FactorScalar<Input = T> + faer::traits::ComplexField>(
        a: &Csc<T>,
        tree: NdTree,
        threads: usize,
        rhs: impl Fn(usize) -> T,
    ) -> Result<(f64, PivotReport), LindbladError> {
        let n = a.n;
        let mut mf = Multifrontal::<T>::new(
            n,
            &a.col_ptr,
            &a.row_idx,
            tree,
            threads,
            Pivoting::default(),
        )?;
        let report = mf.factorize(&a.values)?;
        let mut x: Vec<T> = (0..n).map(&rhs).collect();
        mf.solve_in_place(&mut x);
        let mut dense = Mat::<T>::zeros(n, n);
        for c in 0..n {
            for idx in a.col_ptr[c]..a.col_ptr[c + 1] {
                dense[(a.row_idx[idx], c)] = a.values[idx];
            }
        }
        let lu = FullPivLu::new(dense.as_ref());
        let mut y: Vec<T> = (0..n).map(&rhs).collect();
        lu.solve_in_place_with_conj(Conj::No, MatMut::from_column_major_slice_mut(&mut y, n, 1));
        let scale = y.iter().fold(0.0f64, |m, v| m.max(v.magnitude()));
        let diff = x
            .iter()
            .zip(&y)
            .fold(0.0f64, |m, (&p, &q)| m.max((p - q).magnitude()));
        Ok((diff / scale, report))
    }

    /// A `k × k` lattice, 9-point couplings, random values and a zero
    /// diagonal: with one point per leaf every leaf's pivot is zero, and
    /// larger leaves have zero leading entries.
    fn zero_diagonal_grid<T: Copy>(
        k: usize,
        value: impl Fn(f64) -> T,
        zero: T,
    ) -> (Csc<T>, Vec<[i64; 2]>) {
        let n = k * k;
        let mut seed = 42u64;
        let mut vals = vec![0.0f64; 9 * n];
        for v in &mut vals {
            *v = rand(&mut seed);
        }
        let coords: Vec<[i64; 2]> = (0..n).map(|i| [(i % k) as i64, (i / k) as i64]).collect();
        let a = csc(n, |c| {
            let (x, y) = ((c % k) as i64, (c / k) as i64);
            let mut col = Vec::new();
            for dy in -1..=1i64 {
                for dx in -1..=1i64 {
                    let (px, py) = (x + dx, y + dy);
                    if px < 0 || py < 0 || px >= k as i64 || py >= k as i64 {
                        continue;
                    }
                    let r = (py as usize) * k + px as usize;
                    let v = if r == c {
                        zero
                    } else {
                        value(vals[9 * c + ((dy + 1) * 3 + dx + 1) as usize])
                    };
                    col.push((r, v));
                }
            }
            col
        });
        (a, coords)
    }

    #[test]
    fn zero_diagonal_lattice_real_and_complex() {
        let k = 24;
        for leaf in [1usize, 4, 32] {
            let (a, coords) = zero_diagonal_grid(k, |v| v, 0.0f64);
            let tree = nested_dissection_tree(&coords, &vec![false; k * k], 1, leaf);
            let (err, rep) = solve_both(&a, tree, 2, |i| (i as f64 * 0.37).sin()).unwrap();
            assert!(err < 1e-10, "leaf {leaf}: relative error {err:e}");
            if leaf == 1 {
                assert!(rep.delayed > 0, "zero 1×1 leaves must delay: {rep:?}");
            }
            let (ac, coords) =
                zero_diagonal_grid(k, |v| Complex64::new(v, 0.5 * v), Complex64::new(0.0, 0.0));
            let tree = nested_dissection_tree(&coords, &vec![false; k * k], 1, leaf);
            let (err, _) =
                solve_both(&ac, tree, 1, |i| Complex64::new(1.0, i as f64 * 0.1)).unwrap();
            assert!(err < 1e-10, "complex, leaf {leaf}: relative error {err:e}");
        }
    }

    /// `[[0, B], [C, D]]` with the zero block as the first node of a chain:
    /// its fully summed block is exactly zero, every pivot is delayed.
    #[test]
    fn zero_leading_block_is_delayed_whole() {
        let (m0, n) = (30usize, 90usize);
        let mut seed = 7u64;
        let dense: Vec<f64> = (0..n * n).map(|_| rand(&mut seed)).collect();
        let a = csc(n, |c| {
            (0..n)
                .filter(|&r| !(r < m0 && c < m0))
                .map(|r| (r, dense[c * n + r]))
                .collect()
        });
        let tree = NdTree {
            order: (0..n).collect(),
            nodes: vec![(0, m0, Some(1)), (m0, n, None)],
        };
        let (err, rep) = solve_both(&a, tree, 1, |i| 1.0 + i as f64).unwrap();
        assert!(err < 1e-10, "relative error {err:e}");
        assert_eq!(rep.delayed, m0);
        assert_eq!(rep.max_front_growth, m0);
    }

    /// A singular matrix is an error at the root, never a number.
    #[test]
    fn singular_matrix_is_an_error() {
        let k = 10;
        let (mut a, coords) = zero_diagonal_grid(k, |v| v, 0.0f64);
        // a column that is structurally present and numerically zero
        for idx in a.col_ptr[57]..a.col_ptr[58] {
            a.values[idx] = 0.0;
        }
        let tree = nested_dissection_tree(&coords, &vec![false; k * k], 1, 8);
        let r = solve_both(&a, tree, 1, |_| 1.0);
        assert!(matches!(r, Err(LindbladError::Singular(_))), "{r:?}");
    }
}
