//! Shift-invert Arnoldi: an orthonormal basis `V_{m+1}` of the Krylov space
//! of `K = (L_b − σ)⁻¹` from a start vector, `K V_m = V_{m+1} H̄_m`, by
//! classical Gram–Schmidt applied twice (CGS2: orthogonal to working
//! precision, Giraud et al. 2005), each step one substitution with the
//! factors of [`ShiftedBlock`]. Used by the resolvent sweep
//! ([`super::krylov`]) and the slow modes ([`super::slow`]).

use super::shifted::ShiftedBlock;
use crate::LindbladError;
use num_complex::Complex64;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);

/// The Arnoldi factorization (module docs).
pub struct Arnoldi {
    /// Basis vectors `v_0 … v_m`.
    pub v: Vec<Vec<Complex64>>,
    /// Columns of `H̄`: `h[j]` has the `j + 2` entries `h_{0j} … h_{j+1,j}`.
    pub h: Vec<Vec<Complex64>>,
    /// `‖start‖₂`.
    pub beta: f64,
    /// The space is invariant (`h_{m,m−1}` vanished).
    pub breakdown: bool,
}

fn norm2(x: &[Complex64]) -> f64 {
    x.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt()
}

impl Arnoldi {
    /// The basis `{start/‖start‖}`.
    ///
    /// # Errors
    /// A zero or non-finite start vector.
    pub fn new(start: &[Complex64]) -> Result<Self, LindbladError> {
        let beta = norm2(start);
        if beta == 0.0 || !beta.is_finite() {
            return Err(LindbladError::InvalidInput(
                "Arnoldi start vector is zero or not finite".into(),
            ));
        }
        Ok(Self {
            v: vec![start.iter().map(|&x| x / beta).collect()],
            h: Vec::new(),
            beta,
            breakdown: false,
        })
    }

    /// Steps taken (`m`).
    pub fn steps(&self) -> usize {
        self.h.len()
    }

    /// One step: `w = K v_m`, `project(w)`, CGS2 against the basis.
    ///
    /// # Errors
    /// Solve failures; a non-finite vector.
    pub fn step(
        &mut self,
        block: &mut ShiftedBlock,
        project: &dyn Fn(&mut [Complex64]),
    ) -> Result<(), LindbladError> {
        if self.breakdown {
            return Ok(());
        }
        let mut w = self.v.last().expect("basis is never empty").clone();
        block.apply_inverse(&mut w)?;
        project(&mut w);
        let m = self.v.len();
        let mut hcol = vec![ZERO; m + 1];
        for _pass in 0..2 {
            let c: Vec<Complex64> = self
                .v
                .iter()
                .map(|vi| vi.iter().zip(&w).map(|(a, b)| a.conj() * b).sum())
                .collect();
            for (vi, &ci) in self.v.iter().zip(&c) {
                for (wk, &vk) in w.iter_mut().zip(vi) {
                    *wk -= ci * vk;
                }
            }
            for (hi, ci) in hcol.iter_mut().zip(c) {
                *hi += ci;
            }
        }
        let nrm = norm2(&w);
        if !nrm.is_finite() {
            return Err(LindbladError::Numerical(
                "non-finite Arnoldi vector (the shift is on a pole)".into(),
            ));
        }
        hcol[m] = Complex64::new(nrm, 0.0);
        let scale = hcol.iter().map(|z| z.norm()).fold(0.0, f64::max);
        self.h.push(hcol);
        if nrm <= 1e-14 * scale {
            self.breakdown = true;
            return Ok(());
        }
        self.v.push(w.iter().map(|&x| x / nrm).collect());
        Ok(())
    }

    /// The square `H_m` (`m × m`, column-major).
    pub fn square(&self) -> Vec<Complex64> {
        let m = self.steps();
        let mut out = vec![ZERO; m * m];
        for (j, col) in self.h.iter().enumerate() {
            for (i, &v) in col.iter().enumerate().take(m) {
                out[i + m * j] = v;
            }
        }
        out
    }

    /// `h_{m,m−1}` (0 at breakdown).
    pub fn last_subdiagonal(&self) -> f64 {
        if self.breakdown {
            return 0.0;
        }
        self.h.last().map(|c| c[c.len() - 1].re).unwrap_or(0.0)
    }

    /// `Σ_i c_i v_i` over the first `c.len()` basis vectors.
    pub fn combine(&self, c: &[Complex64]) -> Vec<Complex64> {
        let n = self.v[0].len();
        let mut x = vec![ZERO; n];
        for (vi, &ci) in self.v.iter().zip(c) {
            if ci == ZERO {
                continue;
            }
            for (xk, &vk) in x.iter_mut().zip(vi) {
                *xk += ci * vk;
            }
        }
        x
    }
}

/// Solves `(I + c H) u = rhs` in place for an upper Hessenberg `H`
/// (`m × m`, column-major) by Gaussian elimination with adjacent-row
/// pivoting, `O(m²)`. Returns `false` for an exactly singular system.
pub(crate) fn hessenberg_shifted_solve(
    h: &[Complex64],
    m: usize,
    c: Complex64,
    u: &mut [Complex64],
) -> bool {
    let mut a: Vec<Complex64> = h.iter().map(|&x| c * x).collect();
    for i in 0..m {
        a[i + m * i] += Complex64::new(1.0, 0.0);
    }
    for k in 0..m {
        if k + 1 < m && a[k + 1 + m * k].norm() > a[k + m * k].norm() {
            for j in k..m {
                a.swap(k + m * j, k + 1 + m * j);
            }
            u.swap(k, k + 1);
        }
        let p = a[k + m * k];
        if p == ZERO {
            return false;
        }
        if k + 1 < m {
            let l = a[k + 1 + m * k] / p;
            if l != ZERO {
                for j in k..m {
                    let t = a[k + m * j];
                    a[k + 1 + m * j] -= l * t;
                }
                let t = u[k];
                u[k + 1] -= l * t;
            }
        }
    }
    for k in (0..m).rev() {
        let mut s = u[k];
        for j in k + 1..m {
            s -= a[k + m * j] * u[j];
        }
        u[k] = s / a[k + m * k];
    }
    true
}
