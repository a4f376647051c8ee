//! Restarted GMRES preconditioned by a single-precision multifrontal LU.
//!
//! # Method
//!
//! For the real trace-constrained system `A x = b` (see [`crate::steady`]),
//! `M = L̃Ũ` is the multifrontal LU of `A` rounded to `f32` (same ordering,
//! half the memory of the `f64` factor and twice the dense throughput).
//! GMRES(m) with right preconditioning minimizes `‖b − A M⁻¹ u‖₂` over the
//! Krylov space of `A M⁻¹` and returns `x = x₀ + M⁻¹ u` (Saad & Schultz
//! 1986; modified Gram–Schmidt, Givens rotations). Each restart recomputes
//! the true residual `b − A x` in `f64`, so the attainable accuracy is that
//! of `f64` whatever the precision of `M` (GMRES-based iterative refinement,
//! Carson & Higham, SIAM J. Sci. Comput. 40, A817 (2018)). With `M` close to
//! `A` (`‖I − A M⁻¹‖ ≈ u_f32 κ(A)`) a few iterations reach `1e-14`; near a
//! critical point, where `κ(A)` grows, GMRES absorbs the few badly
//! approximated directions in more iterations.
//!
//! Stopping: `‖b − A x‖₂ ≤ tol ‖b‖₂` (true residual), or an error after
//! `max_iterations` naming the residual reached. Memory: the factor
//! (`4 nnz(L+U)` bytes) plus `m + 1` basis vectors of `n` doubles.

use crate::multifrontal::Multifrontal;
use crate::ordering::NdTree;
use crate::LindbladError;
use faer::sparse::SparseColMatRef;

/// GMRES convergence of one solve.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KrylovReport {
    /// GMRES iterations (applications of `A M⁻¹`).
    pub iterations: usize,
    /// Final `‖b − A x‖₂ / ‖b‖₂`.
    pub relative_residual: f64,
}

/// The `f32` factor of `A` and the GMRES work space (`A` itself is
/// borrowed from the caller at each solve).
pub(crate) struct PreconditionedGmres {
    factor: Multifrontal<f32>,
    restart: usize,
    max_iterations: usize,
    tol: f64,
    /// Krylov basis, `restart + 1` columns of length `n`.
    basis: Vec<f64>,
    /// Hessenberg matrix, column-major `(restart + 1) × restart`.
    hess: Vec<f64>,
    cs: Vec<f64>,
    sn: Vec<f64>,
    g: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
    r: Vec<f64>,
    z32: Vec<f32>,
    /// Copy of the right-hand side.
    b: Vec<f64>,
    /// Iterations since the last factorization (all solves).
    pub(crate) iterations: usize,
    /// Relative residual of the last solve.
    pub(crate) last: KrylovReport,
}

impl PreconditionedGmres {
    /// Symbolic analysis of the pattern for `tree` (see [`Multifrontal::new`]).
    pub(crate) fn new(
        n: usize,
        col_ptr: &[usize],
        row_idx: &[usize],
        tree: NdTree,
        threads: usize,
    ) -> Result<Self, LindbladError> {
        let restart = 20;
        let factor = Multifrontal::<f32>::new(n, col_ptr, row_idx, tree, threads)?;
        let mut basis = Vec::new();
        basis
            .try_reserve_exact(n * (restart + 1))
            .map_err(|_| LindbladError::OutOfMemory)?;
        basis.resize(n * (restart + 1), 0.0);
        Ok(Self {
            factor,
            restart,
            max_iterations: 400,
            tol: 1e-14,
            basis,
            hess: vec![0.0; (restart + 1) * restart],
            cs: vec![0.0; restart],
            sn: vec![0.0; restart],
            g: vec![0.0; restart + 1],
            y: vec![0.0; restart],
            z: vec![0.0; n],
            r: vec![0.0; n],
            z32: vec![0.0; n],
            b: vec![0.0; n],
            iterations: 0,
            last: KrylovReport::default(),
        })
    }

    /// Stored entries and flops of the `f32` factor.
    pub(crate) fn factor_size(&self) -> (u64, f64) {
        (self.factor.nnz_lu, self.factor.flops)
    }

    /// Factorizes the values of `A` in single precision.
    pub(crate) fn factorize(&mut self, values: &[f64]) -> Result<(), LindbladError> {
        self.iterations = 0;
        self.factor.factorize(values)
    }

    /// `v ← M⁻¹ v`.
    fn precondition(&mut self, v: &mut [f64]) {
        for (s, &x) in self.z32.iter_mut().zip(v.iter()) {
            *s = x as f32;
        }
        self.factor.solve_in_place(&mut self.z32);
        for (x, &s) in v.iter_mut().zip(self.z32.iter()) {
            *x = s as f64;
        }
    }

    /// `out ← b − A x`.
    fn residual(a: SparseColMatRef<'_, usize, f64>, b: &[f64], x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(b);
        let (cp, ri, v) = (a.col_ptr(), a.row_idx(), a.val());
        for (c, &xc) in x.iter().enumerate() {
            if xc != 0.0 {
                for idx in cp[c]..cp[c + 1] {
                    out[ri[idx]] -= v[idx] * xc;
                }
            }
        }
    }

    /// Solves `A x = rhs` in place (`x₀ = 0`); `a` is the matrix of the last
    /// [`factorize`](Self::factorize).
    ///
    /// # Errors
    /// [`LindbladError::Numerical`] when the residual does not reach the
    /// tolerance within the iteration limit or turns non-finite.
    pub(crate) fn solve_in_place(
        &mut self,
        a: SparseColMatRef<'_, usize, f64>,
        rhs: &mut [f64],
    ) -> Result<(), LindbladError> {
        let n = rhs.len();
        let (cp, ri, av) = (a.col_ptr(), a.row_idx(), a.val());
        let m = self.restart;
        let mut b = std::mem::take(&mut self.b);
        b.copy_from_slice(rhs);
        let b_norm = norm2(&b);
        let x = rhs;
        x.fill(0.0);
        if b_norm == 0.0 {
            self.last = KrylovReport::default();
            self.b = b;
            return Ok(());
        }
        let mut its = 0;
        let mut r = std::mem::take(&mut self.r);
        let mut z = std::mem::take(&mut self.z);
        let mut basis = std::mem::take(&mut self.basis);
        let result = loop {
            Self::residual(a, &b, x, &mut r);
            let beta = norm2(&r);
            let rel = beta / b_norm;
            if !rel.is_finite() {
                break Err(LindbladError::Numerical(format!(
                    "GMRES residual turned non-finite after {its} iterations"
                )));
            }
            if rel <= self.tol {
                self.last = KrylovReport {
                    iterations: its,
                    relative_residual: rel,
                };
                break Ok(());
            }
            if its >= self.max_iterations {
                break Err(LindbladError::Numerical(format!(
                    "GMRES did not converge: relative residual {rel:.1e} after {its} \
                     iterations (limit {})",
                    self.max_iterations
                )));
            }
            for (v, &ri) in basis[..n].iter_mut().zip(r.iter()) {
                *v = ri / beta;
            }
            self.g.fill(0.0);
            self.g[0] = beta;
            let mut k = 0;
            while k < m && its < self.max_iterations {
                // w = A M⁻¹ v_k, into basis column k + 1
                z.copy_from_slice(&basis[k * n..(k + 1) * n]);
                self.precondition(&mut z);
                let (head, tail) = basis.split_at_mut((k + 1) * n);
                let w = &mut tail[..n];
                w.fill(0.0);
                for (c, &zc) in z.iter().enumerate() {
                    for idx in cp[c]..cp[c + 1] {
                        w[ri[idx]] += av[idx] * zc;
                    }
                }
                let hcol = &mut self.hess[k * (m + 1)..(k + 1) * (m + 1)];
                for (i, hi) in hcol.iter_mut().enumerate().take(k + 1) {
                    let vi = &head[i * n..(i + 1) * n];
                    let h = dot(w, vi);
                    for (wj, &vj) in w.iter_mut().zip(vi) {
                        *wj -= h * vj;
                    }
                    *hi = h;
                }
                let h_next = norm2(w);
                hcol[k + 1] = h_next;
                if h_next > 0.0 {
                    for wj in w.iter_mut() {
                        *wj /= h_next;
                    }
                }
                for i in 0..k {
                    let (a, bb) = (hcol[i], hcol[i + 1]);
                    hcol[i] = self.cs[i] * a + self.sn[i] * bb;
                    hcol[i + 1] = -self.sn[i] * a + self.cs[i] * bb;
                }
                let (a, bb) = (hcol[k], hcol[k + 1]);
                let rho = a.hypot(bb);
                let (c, s) = if rho == 0.0 {
                    (1.0, 0.0)
                } else {
                    (a / rho, bb / rho)
                };
                self.cs[k] = c;
                self.sn[k] = s;
                hcol[k] = rho;
                hcol[k + 1] = 0.0;
                self.g[k + 1] = -s * self.g[k];
                self.g[k] *= c;
                its += 1;
                k += 1;
                if self.g[k].abs() <= 0.5 * self.tol * b_norm || h_next == 0.0 {
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
            z.fill(0.0);
            for (j, &yj) in self.y[..k].iter().enumerate() {
                for (zi, &vi) in z.iter_mut().zip(&basis[j * n..(j + 1) * n]) {
                    *zi += yj * vi;
                }
            }
            self.precondition(&mut z);
            for (xi, &zi) in x.iter_mut().zip(z.iter()) {
                *xi += zi;
            }
        };
        self.iterations += its;
        self.r = r;
        self.z = z;
        self.basis = basis;
        self.b = b;
        result
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm2(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}
