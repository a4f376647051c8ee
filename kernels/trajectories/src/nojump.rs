//! No-jump evolution `ψ(s) = exp(A s) ψ(0)`, `A = −i H_eff`, of
//! [`crate::jumps`]: exact exponentials of the time-independent `H_eff`,
//! planned once per point and applied to any state at any `0 ≤ s ≤ dt`.
//!
//! **Spectral** (used when it is well conditioned): the eigendecomposition
//! `A = V diag(μ) V⁻¹`, so `ψ(s) = V (e^{μ s} ⊙ c)` with `c = V⁻¹ ψ(0)`: one
//! dense mat-vec per evaluation at any `s`, `O(D)` to move the base time. It
//! is accepted when the reconstruction is accurate to working precision:
//! `κ₁(V) = ‖V‖₁ ‖V⁻¹‖₁ ≤` [`MAX_CONDITION`], `‖A V − V diag(μ)‖₁ ≤ 10⁻¹²
//! ‖A‖₁ ‖V‖₁` and `‖V⁻¹ V − I‖₁ ≤ 10⁻¹⁰` (an evaluation then carries a relative
//! error of order `κ₁ ε ≤ 10⁻¹²`).
//!
//! **Dyadic** (otherwise, e.g. a defective `H_eff` at an exceptional point):
//! the propagators `U_k = exp(A dt/2ᵏ)`, `k = 0…K`, formed once ([`crate::expm`]:
//! Taylor for the smallest, `‖A‖₁ dt/2ᴷ ≤ 1/16`, squared up);
//! `exp(A s)ψ` is the product of the `U_k` of the binary digits of
//! `⌊s 2ᴷ/dt⌋` after a Taylor series (sparse `A`) for the remainder.
//!
//! A [`Cursor`] holds one trajectory's base state (the coefficients `c` or the
//! state itself) and its scratch: no allocation after its creation.

use crate::expm::{norm1, scaled, taylor_exp};
use faer::linalg::matmul::matmul;
use faer::{Accum, ColMut, ColRef, Mat, Par};
use num_complex::Complex64;
use qk_model::{LindbladSystem, Operator};

type C = Complex64;

/// Largest accepted condition number `κ₁(V)` of the eigenvectors.
pub const MAX_CONDITION: f64 = 1e4;

const ZERO: C = C::new(0.0, 0.0);

/// `y = A x` for a sparse `A`.
pub(crate) fn sparse_apply(a: &Operator, x: &[C], y: &mut [C]) {
    y.fill(ZERO);
    for (v, (i, j)) in a.iter() {
        y[i] += *v * x[j];
    }
}

/// `y = M x` for a dense `M` (SIMD kernel of faer, sequential).
pub(crate) fn dense_apply(m: &Mat<C>, x: &[C], y: &mut [C]) {
    matmul(
        ColMut::from_slice_mut(y).as_mat_mut(),
        Accum::Replace,
        m.as_ref(),
        ColRef::from_slice(x).as_mat(),
        C::new(1.0, 0.0),
        Par::Seq,
    );
}

/// `‖x‖²`.
pub(crate) fn norm_sq(x: &[C]) -> f64 {
    x.iter().map(|z| z.norm_sqr()).sum()
}

/// Which exponential a plan uses (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Eigendecomposition of `H_eff`.
    Spectral,
    /// Dyadic propagators.
    Dyadic,
}

enum Kind {
    Spectral {
        v: Mat<C>,
        vinv: Mat<C>,
        mu: Vec<C>,
        /// `e^{μ dt}` (the step between output times without a jump).
        edt: Vec<C>,
    },
    Dyadic {
        /// `U_k = exp(A dt/2ᵏ)`, `k = 0…K`.
        u: Vec<Mat<C>>,
    },
}

/// The no-jump propagator of one system and output spacing.
pub struct NoJump {
    dim: usize,
    dt: f64,
    /// `A = −i H_eff`, sparse (Taylor remainders of the dyadic method).
    a: Operator,
    kind: Kind,
}

/// `A = −i H − ½ Σ C†C`, dense.
fn generator(system: &LindbladSystem) -> Mat<C> {
    let d = system.dim();
    let mut a = Mat::<C>::zeros(d, d);
    for (v, (i, j)) in system.hamiltonian().iter() {
        a[(i, j)] += C::new(0.0, -1.0) * *v;
    }
    for c in system.collapse_ops() {
        let mut m = Mat::<C>::zeros(d, d);
        for (v, (i, j)) in c.iter() {
            m[(i, j)] += *v;
        }
        // (C†C)_ij = Σ_l conj(C_li) C_lj
        a -= scaled(&(m.adjoint() * &m), 0.5);
    }
    a
}

/// The nonzero entries of `m` as a sparse operator.
fn to_sparse(m: &Mat<C>) -> Operator {
    let mut t = sprs::TriMat::new((m.nrows(), m.ncols()));
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            if m[(i, j)] != ZERO {
                t.add_triplet(i, j, m[(i, j)]);
            }
        }
    }
    t.to_csc()
}

impl NoJump {
    /// Plans `exp(A s)` for `0 ≤ s ≤ dt`; `force` picks a method instead of
    /// the spectral-if-well-conditioned rule.
    pub fn new(system: &LindbladSystem, dt: f64, force: Option<Method>) -> Self {
        let dense = generator(system);
        let a = to_sparse(&dense);
        let kind = match force {
            Some(Method::Dyadic) => None,
            _ => spectral(&dense, dt),
        }
        .unwrap_or_else(|| dyadic(&dense, dt));
        NoJump {
            dim: system.dim(),
            dt,
            a,
            kind,
        }
    }

    /// The method in use.
    pub fn method(&self) -> Method {
        match self.kind {
            Kind::Spectral { .. } => Method::Spectral,
            Kind::Dyadic { .. } => Method::Dyadic,
        }
    }

    /// Hilbert-space dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Output spacing.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// A cursor (workspace) for one trajectory.
    pub fn cursor(&self) -> Cursor<'_> {
        let z = || vec![ZERO; self.dim];
        Cursor {
            p: self,
            base: z(),
            w: [z(), z(), z()],
        }
    }

    /// `out = exp(A s) x` by its Taylor series with sparse `A` (`‖A‖ s` small:
    /// the dyadic remainders, `s ≤ dt/2ᴷ`); `term`, `tmp` scratch.
    fn taylor_apply(&self, x: &[C], s: f64, out: &mut [C], term: &mut [C], tmp: &mut [C]) {
        out.copy_from_slice(x);
        if s == 0.0 {
            return;
        }
        term.copy_from_slice(x);
        for n in 1..60 {
            sparse_apply(&self.a, term, tmp);
            let f = s / n as f64;
            for ((t, &y), o) in term.iter_mut().zip(tmp.iter()).zip(out.iter_mut()) {
                *t = y * f;
                *o += *t;
            }
            if norm_sq(term) <= 1e-36 * norm_sq(out) {
                break;
            }
        }
    }
}

fn spectral(a: &Mat<C>, dt: f64) -> Option<Kind> {
    let d = a.nrows();
    let eig = a.eigen().ok()?;
    let v = eig.U().to_owned();
    let mu: Vec<C> = (0..d).map(|k| eig.S()[k]).collect();
    let vinv = {
        use faer::linalg::solvers::DenseSolveCore;
        v.partial_piv_lu().inverse()
    };
    let (nv, ninv) = (norm1(&v), norm1(&vinv));
    if !(nv.is_finite() && ninv.is_finite()) || nv * ninv > MAX_CONDITION {
        return None;
    }
    let vmu = Mat::from_fn(d, d, |i, j| v[(i, j)] * mu[j]);
    let residual = norm1(&(a * &v - vmu));
    let id = &vinv * &v - Mat::<C>::identity(d, d);
    if residual > 1e-12 * norm1(a) * nv || norm1(&id) > 1e-10 {
        return None;
    }
    let edt = mu.iter().map(|m| (m * dt).exp()).collect();
    Some(Kind::Spectral { v, vinv, mu, edt })
}

fn dyadic(a: &Mat<C>, dt: f64) -> Kind {
    let norm = norm1(a) * dt;
    // ‖A‖₁ dt/2ᴷ ≤ 1/16: short Taylor series for the remainders
    let k = if norm > 1.0 / 16.0 {
        (norm * 16.0).log2().ceil() as usize
    } else {
        0
    };
    let smallest = taylor_exp(&scaled(a, dt / 2f64.powi(k as i32)));
    let mut u = vec![smallest];
    for _ in 0..k {
        let last = u.last().expect("non-empty");
        u.push(last * last);
    }
    u.reverse(); // u[0] = exp(A dt)
    Kind::Dyadic { u }
}

/// One trajectory's no-jump evolution from a base state (module docs).
pub struct Cursor<'p> {
    p: &'p NoJump,
    /// Spectral: `c = V⁻¹ ψ(base)`; dyadic: `ψ(base)`.
    base: Vec<C>,
    w: [Vec<C>; 3],
}

impl Cursor<'_> {
    /// Sets the base state to `psi`.
    pub fn set(&mut self, psi: &[C]) {
        match &self.p.kind {
            Kind::Spectral { vinv, .. } => dense_apply(vinv, psi, &mut self.base),
            Kind::Dyadic { .. } => self.base.copy_from_slice(psi),
        }
    }

    /// `out = ψ(base + s)`, `0 ≤ s ≤ dt`.
    pub fn eval(&mut self, s: f64, out: &mut [C]) {
        let p = self.p;
        match &p.kind {
            Kind::Spectral { v, mu, edt, .. } => {
                let e = &mut self.w[0];
                if s == p.dt {
                    for ((e, &c), &x) in e.iter_mut().zip(&self.base).zip(edt) {
                        *e = c * x;
                    }
                } else {
                    for ((e, &c), &m) in e.iter_mut().zip(&self.base).zip(mu) {
                        *e = c * (m * s).exp();
                    }
                }
                dense_apply(v, e, out);
            }
            Kind::Dyadic { u } => {
                let k = u.len() - 1;
                let finest = p.dt / 2f64.powi(k as i32);
                let steps = ((s / finest).floor().max(0.0) as u64).min(1u64 << k);
                let rest = s - steps as f64 * finest;
                let [x, term, tmp] = &mut self.w;
                p.taylor_apply(&self.base, rest.max(0.0), x, term, tmp);
                for bit in 0..=k {
                    if steps >> bit & 1 == 1 {
                        dense_apply(&u[k - bit], x, tmp);
                        std::mem::swap(x, tmp);
                    }
                }
                out.copy_from_slice(x);
            }
        }
    }

    /// Moves the base time by `s`; must follow [`Self::eval`] at the same `s`,
    /// whose result is `psi`.
    pub fn shift(&mut self, s: f64, psi: &[C]) {
        match &self.p.kind {
            Kind::Spectral { .. } => {
                // the coefficients of the last evaluation (at s)
                debug_assert!(s >= 0.0);
                self.base.copy_from_slice(&self.w[0]);
            }
            Kind::Dyadic { .. } => self.base.copy_from_slice(psi),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expm::expm;
    use crate::testing::operator as op;

    /// Both methods against `expm` for a driven, damped three-level system,
    /// and the exceptional point of a driven decaying qubit (`Ω = γ/4`:
    /// `H_eff` defective) falls back to the dyadic method.
    #[test]
    fn both_methods_match_the_matrix_exponential() {
        let re = |x: f64| C::new(x, 0.0);
        let h = op(
            3,
            &[
                (0, 0, re(1.0)),
                (1, 1, re(-0.3)),
                (0, 1, re(0.7)),
                (1, 0, re(0.7)),
                (1, 2, C::new(0.2, 0.4)),
                (2, 1, C::new(0.2, -0.4)),
            ],
        );
        let c = vec![op(3, &[(1, 0, re(0.8))]), op(3, &[(2, 1, re(0.5))])];
        let sys = LindbladSystem::new(h, c, None).unwrap();
        let dt = 1.3;
        let dense = generator(&sys);
        let psi = [C::new(0.6, 0.1), C::new(-0.2, 0.5), re(0.3)];
        for method in [Method::Spectral, Method::Dyadic] {
            let p = NoJump::new(&sys, dt, Some(method));
            assert_eq!(p.method(), method);
            let mut cur = p.cursor();
            cur.set(&psi);
            let mut out = [ZERO; 3];
            for s in [0.0, 1e-7, 0.123, 0.5, dt] {
                cur.eval(s, &mut out);
                let e = expm(&dense, s);
                for i in 0..3 {
                    let want: C = (0..3).map(|j| e[(i, j)] * psi[j]).sum();
                    assert!((out[i] - want).norm() < 1e-13, "{method:?} s={s}");
                }
            }
            // shift then evaluate = one evaluation of the sum
            cur.eval(0.4, &mut out);
            cur.shift(0.4, &out.clone());
            cur.eval(0.5, &mut out);
            let e = expm(&dense, 0.9);
            for i in 0..3 {
                let want: C = (0..3).map(|j| e[(i, j)] * psi[j]).sum();
                assert!((out[i] - want).norm() < 1e-13, "{method:?} shifted");
            }
        }
        let g = 0.8f64;
        let h = op(2, &[(0, 1, re(g / 4.0)), (1, 0, re(g / 4.0))]);
        let c = op(2, &[(1, 0, re(g.sqrt()))]);
        let sys = LindbladSystem::new(h, vec![c], None).unwrap();
        assert_eq!(NoJump::new(&sys, 1.0, None).method(), Method::Dyadic);
    }
}
