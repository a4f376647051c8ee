//! Restarted GMRES with a factorization as right preconditioner.
//!
//! # Method
//!
//! For the trace-constrained system `A x = b` (see [`crate::steady`]) and a
//! preconditioner `M ≈ A` given by its solve `v ↦ M⁻¹ v`, GMRES(m) with
//! right preconditioning minimizes `‖b − A M⁻¹ u‖₂` over the Krylov space of
//! `A M⁻¹` and returns `x = x₀ + M⁻¹ u` (Saad & Schultz 1986; modified
//! Gram–Schmidt, complex Givens rotations). Each restart recomputes the true
//! residual `b − A x` in double precision, so the attainable accuracy is
//! that of `f64` whatever the precision of `M`.
//!
//! Two preconditioners are used:
//!
//! - the multifrontal LU of `A` rounded to `f32` (`PreconditionedGmres`,
//!   [`crate::SolveMethod::Gmres`]): half the memory of the `f64` factor
//!   (GMRES-based iterative refinement, Carson & Higham, SIAM J. Sci.
//!   Comput. 40, A817 (2018)); with `‖I − A M⁻¹‖ ≈ u_f32 κ(A)` a few
//!   iterations reach `1e-14`;
//! - the `f64` factor itself when its pivots were perturbed (static
//!   pivoting, [`crate::multifrontal::front`]): `M = A + E` with `E` of rank `q` (the
//!   number of perturbed pivots), so `A M⁻¹ = I − E M⁻¹` has at most
//!   `q + 1` distinct eigenvalues and GMRES converges in about `q + 1`
//!   iterations (Arioli, Duff, Gratton & Pralet, SIAM J. Sci. Comput. 29,
//!   2024 (2007)), or when iterative refinement stagnates.
//!
//! Stopping: `‖b − A x‖₂ ≤ tol ‖b‖₂` (true residual), or an error after
//! `max_iterations` naming the residual reached. Memory: `m + 1` basis
//! vectors of `n` scalars, allocated as the iterations need them.

use crate::multifrontal::{FactorScalar, Multifrontal, PivotReport, Pivoting};
use crate::ordering::NdTree;
use crate::scalar::SystemScalar;
use crate::LindbladError;

/// GMRES convergence of one solve.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KrylovReport {
    /// GMRES iterations (applications of `A M⁻¹`).
    pub iterations: usize,
    /// Final `‖b − A x‖₂ / ‖b‖₂`.
    pub relative_residual: f64,
}

/// A sparse matrix in CSC form, borrowed.
#[derive(Clone, Copy)]
pub(crate) struct Csc<'a, T> {
    pub col_ptr: &'a [usize],
    pub row_idx: &'a [usize],
    pub values: &'a [T],
}

impl<T: SystemScalar> Csc<'_, T> {
    /// `out ← b − A x`.
    fn residual(&self, b: &[T], x: &[T], out: &mut [T]) {
        out.copy_from_slice(b);
        for (c, &xc) in x.iter().enumerate() {
            if xc != T::default() {
                for idx in self.col_ptr[c]..self.col_ptr[c + 1] {
                    out[self.row_idx[idx]] -= self.values[idx] * xc;
                }
            }
        }
    }

    /// `out ← A z`.
    fn apply(&self, z: &[T], out: &mut [T]) {
        out.fill(T::default());
        for (c, &zc) in z.iter().enumerate() {
            for idx in self.col_ptr[c]..self.col_ptr[c + 1] {
                out[self.row_idx[idx]] += self.values[idx] * zc;
            }
        }
    }
}

/// Restarted GMRES work space (module docs).
pub(crate) struct Gmres<T> {
    restart: usize,
    max_iterations: usize,
    tol: f64,
    /// Krylov basis, up to `restart + 1` columns of length `n`, grown on
    /// demand.
    basis: Vec<T>,
    /// Hessenberg matrix, column-major `(restart + 1) × restart`.
    hess: Vec<T>,
    cs: Vec<f64>,
    sn: Vec<T>,
    g: Vec<T>,
    y: Vec<T>,
    z: Vec<T>,
    r: Vec<T>,
}

impl<T: SystemScalar> Gmres<T> {
    /// GMRES(`restart`) stopping at relative residual `tol` or after
    /// `max_iterations`.
    pub(crate) fn new(restart: usize, max_iterations: usize, tol: f64) -> Self {
        Self {
            restart,
            max_iterations,
            tol,
            basis: Vec::new(),
            hess: vec![T::default(); (restart + 1) * restart],
            cs: vec![0.0; restart],
            sn: vec![T::default(); restart],
            g: vec![T::default(); restart + 1],
            y: vec![T::default(); restart],
            z: Vec::new(),
            r: Vec::new(),
        }
    }

    /// Makes room for `cols` basis vectors of length `n`.
    fn reserve_basis(&mut self, n: usize, cols: usize) -> Result<(), LindbladError> {
        let need = n * cols;
        if self.basis.len() < need {
            self.basis
                .try_reserve_exact(need - self.basis.len())
                .map_err(|_| LindbladError::OutOfMemory)?;
            self.basis.resize(need, T::default());
        }
        Ok(())
    }

    /// Solves `A x = b` from the initial guess in `x`, with the right
    /// preconditioner `precond` (`v ← M⁻¹ v`).
    ///
    /// # Errors
    /// [`LindbladError::Numerical`] when the residual does not reach the
    /// tolerance within the iteration limit or turns non-finite; errors of
    /// `precond`.
    pub(crate) fn solve(
        &mut self,
        a: Csc<'_, T>,
        b: &[T],
        x: &mut [T],
        precond: &mut dyn FnMut(&mut [T]) -> Result<(), LindbladError>,
    ) -> Result<KrylovReport, LindbladError> {
        let n = b.len();
        let m = self.restart;
        let b_norm = norm2(b);
        if b_norm == 0.0 {
            x.fill(T::default());
            return Ok(KrylovReport::default());
        }
        self.z.resize(n, T::default());
        self.r.resize(n, T::default());
        self.reserve_basis(n, 1)?;
        let mut its = 0;
        loop {
            a.residual(b, x, &mut self.r);
            let beta = norm2(&self.r);
            let rel = beta / b_norm;
            if !rel.is_finite() {
                return Err(LindbladError::Numerical(format!(
                    "GMRES residual turned non-finite after {its} iterations"
                )));
            }
            if rel <= self.tol {
                return Ok(KrylovReport {
                    iterations: its,
                    relative_residual: rel,
                });
            }
            if its >= self.max_iterations {
                return Err(LindbladError::Numerical(format!(
                    "GMRES did not converge: relative residual {rel:.1e} after {its} \
                     iterations (limit {})",
                    self.max_iterations
                )));
            }
            let inv_beta = T::from_f64(1.0 / beta);
            for (v, &ri) in self.basis[..n].iter_mut().zip(self.r.iter()) {
                *v = ri * inv_beta;
            }
            self.g.fill(T::default());
            self.g[0] = T::from_f64(beta);
            let mut k = 0;
            while k < m && its < self.max_iterations {
                self.reserve_basis(n, k + 2)?;
                // w = A M⁻¹ v_k, into basis column k + 1
                self.z.copy_from_slice(&self.basis[k * n..(k + 1) * n]);
                precond(&mut self.z)?;
                let (head, tail) = self.basis.split_at_mut((k + 1) * n);
                let w = &mut tail[..n];
                a.apply(&self.z, w);
                let hcol = &mut self.hess[k * (m + 1)..(k + 1) * (m + 1)];
                for (i, hi) in hcol.iter_mut().enumerate().take(k + 1) {
                    let vi = &head[i * n..(i + 1) * n];
                    let h = dot(vi, w);
                    for (wj, &vj) in w.iter_mut().zip(vi) {
                        *wj -= h * vj;
                    }
                    *hi = h;
                }
                let h_next = norm2(w);
                hcol[k + 1] = T::from_f64(h_next);
                if h_next > 0.0 {
                    let inv = T::from_f64(1.0 / h_next);
                    for wj in w.iter_mut() {
                        *wj *= inv;
                    }
                }
                for i in 0..k {
                    let (p, q) = (hcol[i], hcol[i + 1]);
                    let (c, s) = (T::from_f64(self.cs[i]), self.sn[i]);
                    hcol[i] = c * p + s * q;
                    hcol[i + 1] = c * q - s.conj() * p;
                }
                let (p, q) = (hcol[k], hcol[k + 1]);
                let (pa, qa) = (p.magnitude(), q.magnitude());
                let rho = pa.hypot(qa);
                let (c, s, r) = if rho == 0.0 {
                    (1.0, T::default(), T::default())
                } else if pa == 0.0 {
                    (0.0, q.conj() * T::from_f64(1.0 / qa), T::from_f64(qa))
                } else {
                    let phase = p * T::from_f64(1.0 / pa);
                    (
                        pa / rho,
                        phase * q.conj() * T::from_f64(1.0 / rho),
                        phase * T::from_f64(rho),
                    )
                };
                self.cs[k] = c;
                self.sn[k] = s;
                hcol[k] = r;
                hcol[k + 1] = T::default();
                let gk = self.g[k];
                self.g[k + 1] = T::default() - s.conj() * gk;
                self.g[k] = T::from_f64(c) * gk;
                its += 1;
                k += 1;
                if self.g[k].magnitude() <= 0.5 * self.tol * b_norm || h_next == 0.0 {
                    break;
                }
            }
            // y = H⁻¹ g (upper triangular k × k), x += M⁻¹ V y
            for i in (0..k).rev() {
                let mut acc = self.g[i];
                for j in i + 1..k {
                    acc -= self.hess[j * (m + 1) + i] * self.y[j];
                }
                self.y[i] = acc / self.hess[i * (m + 1) + i];
            }
            self.z.fill(T::default());
            for (j, &yj) in self.y[..k].iter().enumerate() {
                for (zi, &vi) in self.z.iter_mut().zip(&self.basis[j * n..(j + 1) * n]) {
                    *zi += yj * vi;
                }
            }
            precond(&mut self.z)?;
            for (xi, &zi) in x.iter_mut().zip(self.z.iter()) {
                *xi += zi;
            }
        }
    }
}

/// `Σ conj(a_i) b_i`.
fn dot<T: SystemScalar>(a: &[T], b: &[T]) -> T {
    a.iter()
        .zip(b)
        .fold(T::default(), |s, (&x, &y)| s + x.conj() * y)
}

fn norm2<T: SystemScalar>(a: &[T]) -> f64 {
    a.iter()
        .map(|&x| x.magnitude() * x.magnitude())
        .sum::<f64>()
        .sqrt()
}

/// The multifrontal factor of `A` in single precision (`T::Low`) as GMRES
/// preconditioner ([`crate::SolveMethod::Gmres`]; `A` itself is borrowed at
/// each solve).
pub(crate) struct PreconditionedGmres<T: SystemScalar> {
    factor: Multifrontal<T::Low>,
    gmres: Gmres<T>,
    low: Vec<T::Low>,
    /// Copy of the right-hand side.
    b: Vec<T>,
    /// Iterations since the last factorization (all solves).
    pub(crate) iterations: usize,
}

impl<T: SystemScalar> PreconditionedGmres<T> {
    /// Symbolic analysis of the pattern for `tree` (see [`Multifrontal::new`]).
    pub(crate) fn new(
        n: usize,
        col_ptr: &[usize],
        row_idx: &[usize],
        tree: NdTree,
        threads: usize,
        pivoting: Pivoting,
    ) -> Result<Self, LindbladError> {
        let factor = Multifrontal::<T::Low>::new(n, col_ptr, row_idx, tree, threads, pivoting)?;
        let mut gmres = Gmres::new(20, 400, 1e-14);
        gmres.reserve_basis(n, 21)?;
        Ok(Self {
            factor,
            gmres,
            low: vec![T::Low::default(); n],
            b: vec![T::default(); n],
            iterations: 0,
        })
    }

    /// Stored entries and flops of the single-precision factor.
    pub(crate) fn factor_size(&self) -> (u64, f64) {
        (self.factor.nnz_lu, self.factor.flops)
    }

    /// Factorizes the values of `A` in single precision.
    pub(crate) fn factorize(&mut self, values: &[T]) -> Result<PivotReport, LindbladError> {
        self.iterations = 0;
        self.factor.factorize(values)
    }

    /// Solves `A x = rhs` in place (`x₀ = 0`); `a` is the matrix of the last
    /// [`factorize`](Self::factorize).
    ///
    /// # Errors
    /// As [`Gmres::solve`].
    pub(crate) fn solve_in_place(
        &mut self,
        a: Csc<'_, T>,
        rhs: &mut [T],
    ) -> Result<(), LindbladError> {
        self.b.copy_from_slice(rhs);
        rhs.fill(T::default());
        let (factor, low) = (&mut self.factor, &mut self.low);
        let mut precond = |v: &mut [T]| {
            for (s, &x) in low.iter_mut().zip(v.iter()) {
                *s = T::Low::from_input(x);
            }
            factor.solve_in_place(low);
            for (x, &s) in v.iter_mut().zip(low.iter()) {
                *x = T::widen(s);
            }
            Ok(())
        };
        let r = self.gmres.solve(a, &self.b, rhs, &mut precond);
        if let Ok(rep) = &r {
            self.iterations += rep.iterations;
        }
        r.map(|_| ())
    }
}
