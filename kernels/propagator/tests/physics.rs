//! Physics checks: ε = 0 factorises (purity 1, each particle matches an
//! independent 1D run), and the unfolded well equals the quantum kicked
//! rotor restricted to odd states.
//!
//! Unfolding (PHYSICS.md §2): extend ψ(x), x ∈ [0, π], to the circle
//! y ∈ [−π, π) as an odd function, ψ(−y) = −ψ(y); then cos x = cos|y| and the
//! wall reflections are the odd symmetry. Particle 1 (mass 1, kick K1) is the
//! kicked rotor `H = p²/2 + K cos y Σδ(t − n)` with the *same* ħ and K, period
//! T = 1; the well's sine states sin(ky) are the rotor's odd states with
//! p = ħk. (Particle 2 of mass m maps the same way with free phase
//! ħk²/(2m), i.e. the rotor with ħ' = ħ/m and kick K' = K/m in the scaled
//! momentum P = p/m.) On the grid, the well's interior points x_j = jπ/(n+1)
//! are the rotor's points y_j = jπ/(n+1), j = −n … n+1 (2(n+1) points), and the
//! DST-I is the DFT restricted to odd sequences, so the two discretisations
//! agree to round-off.

mod common;

use common::{close, max_diff, mpi_self};
use num_complex::Complex64 as C64;
use qk_propagator::reference::Serial1D;
use qk_propagator::{Interaction, KickedParams, Propagator};
use rustfft::FftPlanner;
use std::f64::consts::PI;

#[test]
fn eps_zero_is_a_product_of_1d_runs() {
    let (_g, comm) = mpi_self();
    for inter in [Interaction::Continuous, Interaction::Kicked] {
        let p = KickedParams {
            hbar: 0.07,
            mass: 0.3,
            eps: 0.0,
            k1: 1.8,
            k2: 0.9,
            lambda: 10.0,
            n1: 40,
            n2: 27,
            substeps: 4,
            interaction: inter,
        };
        let mut prop = Propagator::new(&p, &comm).unwrap();
        let mut a = Serial1D::new(p.n1, p.hbar, 1.0, p.k1);
        let mut b = Serial1D::new(p.n2, p.hbar, p.mass, p.k2);
        for kick in 0..25 {
            prop.period();
            a.period();
            b.period();
            let o = prop.observables();
            assert!(
                (o.purity - 1.0).abs() < 1e-12,
                "{inter:?} kick {kick}: purity {}",
                o.purity
            );
            assert!(
                close(o.p1_sq, a.p_sq(), 1e-11, 1e-14),
                "{inter:?} kick {kick}: p1² {} vs {}",
                o.p1_sq,
                a.p_sq()
            );
            assert!(
                close(o.p2_sq, b.p_sq(), 1e-11, 1e-14),
                "{inter:?} kick {kick}: p2²"
            );
        }
        let state = prop.gather_position_state().unwrap();
        let product: Vec<C64> = (0..p.n1 * p.n2)
            .map(|ij| a.psi[ij / p.n2] * b.psi[ij % p.n2])
            .collect();
        assert!(
            max_diff(&state, &product) < 1e-12,
            "{inter:?}: not the product state"
        );
    }
}

/// Quantum kicked rotor on 2(n+1) points of the circle, complex FFT
/// split-step: kick exp(−iK cos y/ħ), then free exp(−iħk²/2) per Fourier mode.
struct Rotor {
    m: usize,
    hbar: f64,
    k: f64,
    psi: Vec<C64>,
}

impl Rotor {
    fn new(n: usize, hbar: f64, k: f64) -> Self {
        let m = 2 * (n + 1);
        // odd initial state sin(y), normalised
        let mut psi: Vec<C64> = (0..m)
            .map(|j| C64::new((2.0 * PI * j as f64 / m as f64).sin(), 0.0))
            .collect();
        let norm = psi.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
        psi.iter_mut().for_each(|v| *v /= norm);
        Rotor { m, hbar, k, psi }
    }
    fn wavenumber(&self, idx: usize) -> f64 {
        if idx <= self.m / 2 {
            idx as f64
        } else {
            idx as f64 - self.m as f64
        }
    }
    fn period(&mut self, planner: &mut FftPlanner<f64>) {
        let m = self.m;
        for (j, v) in self.psi.iter_mut().enumerate() {
            let y = 2.0 * PI * j as f64 / m as f64;
            let phi = -self.k * y.cos() / self.hbar;
            *v *= C64::new(phi.cos(), phi.sin());
        }
        planner.plan_fft_forward(m).process(&mut self.psi);
        for idx in 0..m {
            let k = self.wavenumber(idx);
            let phi = -self.hbar * k * k / 2.0;
            self.psi[idx] *= C64::new(phi.cos(), phi.sin()) / m as f64;
        }
        planner.plan_fft_inverse(m).process(&mut self.psi);
    }
    fn p_sq(&self, planner: &mut FftPlanner<f64>) -> f64 {
        let mut c = self.psi.clone();
        planner.plan_fft_forward(self.m).process(&mut c);
        let tot: f64 = c.iter().map(|v| v.norm_sqr()).sum();
        c.iter()
            .enumerate()
            .map(|(i, v)| v.norm_sqr() * (self.hbar * self.wavenumber(i)).powi(2))
            .sum::<f64>()
            / tot
    }
}

#[test]
fn unfolded_well_is_the_kicked_rotor_on_odd_states() {
    let (_g, comm) = mpi_self();
    let mut planner = FftPlanner::new();
    // large ħ (dynamical localisation) and smaller ħ
    for &(hbar, n) in &[(0.8, 63usize), (0.15, 255)] {
        let p = KickedParams {
            hbar,
            mass: 1.0,
            eps: 0.0,
            k1: 1.8,
            k2: 0.0,
            lambda: 10.0,
            n1: n,
            n2: 1,
            substeps: 1,
            interaction: Interaction::Kicked,
        };
        let mut well = Propagator::new(&p, &comm).unwrap();
        let mut rotor = Rotor::new(n, hbar, p.k1);
        for kick in 0..60 {
            well.period();
            rotor.period(&mut planner);
            let (a, b) = (well.observables().p1_sq, rotor.p_sq(&mut planner));
            assert!(
                close(a, b, 1e-10, 1e-14),
                "ħ={hbar} kick {kick}: well {a} vs rotor {b}"
            );
        }
        // the rotor state stays odd and its half equals the well state (up to
        // the √2 of the normalisation and particle 2's global phase)
        let m = rotor.m;
        for j in 1..m / 2 {
            assert!((rotor.psi[j] + rotor.psi[m - j]).norm() < 1e-12, "not odd");
        }
        let state = well.gather_position_state().unwrap();
        let phase = state[0] / (rotor.psi[1] * 2f64.sqrt());
        assert!((phase.norm() - 1.0).abs() < 1e-10);
        for (j, (w, r)) in state.iter().zip(&rotor.psi[1..=n]).enumerate() {
            assert!(
                (w - phase * r * 2f64.sqrt()).norm() < 1e-10,
                "ħ={hbar} j={j}"
            );
        }
    }
}
