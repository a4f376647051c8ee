//! Naive serial references the fast kernel is tested against.
//!
//! Written independently of [`crate::Propagator`]: dense O(n²) orthonormal
//! DST-I matrices along each axis, phases evaluated from their formulas at
//! every step, the Strang steps applied literally (no merging of half steps),
//! the purity from an explicit `ρ1 = C C†`. Same conventions as the
//! propagator module (grid, normalisation `Σ|ψ|² = 1`, `p_k = ħk`, kick at
//! the start of a period). Only for small grids: a period costs
//! O(substeps · n1 n2 (n1 + n2)).

use crate::error::Result;
use crate::propagator::{tail_modes, Interaction, KickedParams, Observables};
use num_complex::Complex64 as C64;
use std::f64::consts::PI;

/// Dense orthonormal DST-I matrix `O[k][j] = sqrt(2/(n+1)) sin(π (j+1)(k+1)/(n+1))`.
pub fn dst1_matrix(n: usize) -> Vec<f64> {
    let a = (2.0 / (n + 1) as f64).sqrt();
    let mut m = vec![0.0; n * n];
    for k in 0..n {
        for j in 0..n {
            m[k * n + j] = a * (PI * ((j + 1) * (k + 1)) as f64 / (n + 1) as f64).sin();
        }
    }
    m
}

fn cis(phi: f64) -> C64 {
    C64::new(phi.cos(), phi.sin())
}

/// Serial 2D propagator (position-space state `ψ[i·n2 + j]`).
#[derive(Clone, Debug)]
pub struct SerialReference {
    p: KickedParams,
    psi: Vec<C64>,
    o1: Vec<f64>,
    o2: Vec<f64>,
}

impl SerialReference {
    /// Initial state `φ_1(x1) φ_1(x2)`.
    pub fn new(p: &KickedParams) -> Result<Self> {
        p.validate()?;
        let (n1, n2) = (p.n1, p.n2);
        let o1 = dst1_matrix(n1);
        let o2 = dst1_matrix(n2);
        // ground state: first row of the orthonormal matrices
        let psi = (0..n1 * n2)
            .map(|ij| C64::new(o1[ij / n2] * o2[ij % n2], 0.0))
            .collect();
        Ok(SerialReference {
            p: p.clone(),
            psi,
            o1,
            o2,
        })
    }

    /// Position-space state, row-major `[x1][x2]`.
    pub fn state(&self) -> &[C64] {
        &self.psi
    }

    /// Replace the position-space state.
    pub fn set_state(&mut self, psi: &[C64]) {
        self.psi.copy_from_slice(psi);
    }

    fn x1(&self, i: usize) -> f64 {
        (i + 1) as f64 * PI / (self.p.n1 + 1) as f64
    }
    fn x2(&self, j: usize) -> f64 {
        (j + 1) as f64 * PI / (self.p.n2 + 1) as f64
    }

    /// Orthonormal 2D DST (`O1 ⊗ O2`, its own inverse).
    pub fn transform(&self, v: &[C64]) -> Vec<C64> {
        let (n1, n2) = (self.p.n1, self.p.n2);
        let mut t = vec![C64::default(); n1 * n2];
        for i in 0..n1 {
            for k2 in 0..n2 {
                let mut s = C64::default();
                for j in 0..n2 {
                    s += v[i * n2 + j] * self.o2[k2 * n2 + j];
                }
                t[i * n2 + k2] = s;
            }
        }
        let mut out = vec![C64::default(); n1 * n2];
        for k1 in 0..n1 {
            for k2 in 0..n2 {
                let mut s = C64::default();
                for i in 0..n1 {
                    s += t[i * n2 + k2] * self.o1[k1 * n1 + i];
                }
                out[k1 * n2 + k2] = s;
            }
        }
        out
    }

    fn apply_position_phase(&mut self, kick: bool, u_time: f64) {
        let p = &self.p;
        for i in 0..p.n1 {
            for j in 0..p.n2 {
                let (x1, x2) = (self.x1(i), self.x2(j));
                let mut phi = 0.0;
                if kick {
                    phi -= (p.k1 * x1.cos() + p.k2 * x2.cos()) / p.hbar;
                }
                let r = x1 - x2;
                phi -= p.eps * (-p.lambda * r * r).exp() * u_time / p.hbar;
                self.psi[i * p.n2 + j] *= cis(phi);
            }
        }
    }

    fn free(&mut self, dt: f64) {
        let mut c = self.transform(&self.psi);
        let p = &self.p;
        for k1 in 0..p.n1 {
            for k2 in 0..p.n2 {
                let e1 = p.hbar * p.hbar * ((k1 + 1) * (k1 + 1)) as f64 / 2.0;
                let e2 = p.hbar * p.hbar * ((k2 + 1) * (k2 + 1)) as f64 / (2.0 * p.mass);
                c[k1 * p.n2 + k2] *= cis(-(e1 + e2) * dt / p.hbar);
            }
        }
        self.psi = self.transform(&c);
    }

    /// One period: kick, then continuous (Strang) or kicked interaction.
    pub fn period(&mut self) {
        match self.p.interaction {
            Interaction::Kicked => {
                self.apply_position_phase(true, 1.0);
                self.free(1.0);
            }
            Interaction::Continuous => {
                let dt = 1.0 / self.p.substeps as f64;
                self.apply_position_phase(true, 0.0);
                for _ in 0..self.p.substeps {
                    self.apply_position_phase(false, dt / 2.0);
                    self.free(dt);
                    self.apply_position_phase(false, dt / 2.0);
                }
            }
        }
    }

    /// Sine coefficients `c[k1·n2 + k2]`.
    pub fn coefficients(&self) -> Vec<C64> {
        self.transform(&self.psi)
    }

    /// Observables from the coefficients, purity from an explicit `ρ1 = C C†`.
    pub fn observables(&self) -> Observables {
        let (n1, n2) = (self.p.n1, self.p.n2);
        let h2 = self.p.hbar * self.p.hbar;
        let c = self.coefficients();
        let (mut norm, mut p1, mut p2) = (0.0, 0.0, 0.0);
        let (mut tail1, mut tail2) = (0.0, 0.0);
        for k1 in 0..n1 {
            for k2 in 0..n2 {
                let w = c[k1 * n2 + k2].norm_sqr();
                norm += w;
                if k1 >= n1 - tail_modes(n1) {
                    tail1 += w;
                }
                if k2 >= n2 - tail_modes(n2) {
                    tail2 += w;
                }
                p1 += w * h2 * ((k1 + 1) * (k1 + 1)) as f64;
                p2 += w * h2 * ((k2 + 1) * (k2 + 1)) as f64;
            }
        }
        let mut purity = 0.0;
        for a in 0..n1 {
            for b in 0..n1 {
                let mut rho = C64::default();
                for k2 in 0..n2 {
                    rho += c[a * n2 + k2] * c[b * n2 + k2].conj();
                }
                purity += rho.norm_sqr();
            }
        }
        Observables {
            p1_sq: p1,
            p2_sq: p2,
            norm,
            purity,
            tail1,
            tail2,
        }
    }

    /// `P(k1) = Σ_{k2} |c_{k1k2}|²`.
    pub fn momentum_p1(&self) -> Vec<f64> {
        let n2 = self.p.n2;
        let c = self.coefficients();
        c.chunks(n2)
            .map(|r| r.iter().map(|v| v.norm_sqr()).sum())
            .collect()
    }
}

/// Serial 1D kicked particle in the well (mass `mass`, kick `k cos x`, no
/// interaction): the independent computation an ε = 0 two-particle run must
/// factor into. Period: kick, then the exact free evolution over one period.
#[derive(Clone, Debug)]
pub struct Serial1D {
    n: usize,
    hbar: f64,
    mass: f64,
    k: f64,
    o: Vec<f64>,
    /// Position-space state.
    pub psi: Vec<C64>,
}

impl Serial1D {
    /// Ground state `φ_1` on `n` interior points.
    pub fn new(n: usize, hbar: f64, mass: f64, k: f64) -> Self {
        let o = dst1_matrix(n);
        let psi = (0..n).map(|j| C64::new(o[j], 0.0)).collect();
        Serial1D {
            n,
            hbar,
            mass,
            k,
            o,
            psi,
        }
    }

    /// Orthonormal DST of a vector.
    pub fn transform(&self, v: &[C64]) -> Vec<C64> {
        (0..self.n)
            .map(|k| (0..self.n).map(|j| v[j] * self.o[k * self.n + j]).sum())
            .collect()
    }

    /// One period.
    pub fn period(&mut self) {
        let n = self.n;
        for j in 0..n {
            let x = (j + 1) as f64 * PI / (n + 1) as f64;
            self.psi[j] *= cis(-self.k * x.cos() / self.hbar);
        }
        let mut c = self.transform(&self.psi);
        for (kk, v) in c.iter_mut().enumerate() {
            let k = (kk + 1) as f64;
            *v *= cis(-self.hbar * k * k / (2.0 * self.mass));
        }
        self.psi = self.transform(&c);
    }

    /// `⟨p²⟩ = Σ |c_k|² (ħk)²`.
    pub fn p_sq(&self) -> f64 {
        let c = self.transform(&self.psi);
        c.iter()
            .enumerate()
            .map(|(k, v)| v.norm_sqr() * self.hbar * self.hbar * ((k + 1) * (k + 1)) as f64)
            .sum()
    }
}
