//! Linear spin-wave zero-point sums of the nearest-neighbour Heisenberg magnet
//! (seed 004, Wen: antiferromagnetic ω ∝ k vs ferromagnetic ω ∝ k² spin waves).
//!
//! # Conventions
//!
//! H = J Σ_⟨ij⟩ S_i·S_j on the square (d = 2) or simple-cubic (d = 3) lattice, spin S,
//! coordination z = 2d, one bond counted once, γ_q = (1/d) Σ_α cos q_α, q = k a.
//!
//! * Antiferromagnet (J > 0), linear spin waves (Anderson 1952):
//!   ω_q = zJS √(1 − γ_q²) ≈ 2√d·JS·|k|a at small k (velocity 2√d JSa);
//!   sublattice-moment reduction ΔS = ½⟨1/√(1 − γ_q²)⟩ − ½ (square 0.196602,
//!   cubic 0.0784, here 0.0783577); ground-state energy per site
//!   E0/N = −(z/2) J S² [1 + c/S],  c = 1 − ⟨√(1 − γ_q²)⟩,
//!   i.e. per bond −JS² − JS·c: `zero_point_correction` = c is the zero-point energy
//!   per bond in units of JS (square 0.157947, cubic 0.097158 — Anderson's zc = 0.632
//!   and 0.58; for S = ½ on the square
//!   lattice E0/N = −0.6579 J).
//! * Ferromagnet (J < 0, |J| written J): ω_q = zJS(1 − γ_q) ≈ JS k²a² at small k, the
//!   fully polarised state is an exact eigenstate and the zero-point correction is 0.
//!
//! Both averages are singular at Γ and at M = (π, …, π), where 1 − γ² ∝ |q|² and
//! ∝ |q − M|²: evaluated with [`crate::cubature::duffy_octant`], writing
//! 1 − γ = 2 s2/d and 1 + γ = 2 c2/d from half-angle sines and cosines.

use crate::cubature::{duffy_octant, NotConverged};
use crate::{validate_tol, BzError, Quadrature};
use std::str::FromStr;

/// Lattice of the spin-wave sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lattice {
    /// Square lattice, d = 2, z = 4.
    Square,
    /// Simple-cubic lattice, d = 3, z = 6.
    Cubic,
}

impl Lattice {
    /// Dimension d.
    pub fn dim(self) -> u32 {
        match self {
            Lattice::Square => 2,
            Lattice::Cubic => 3,
        }
    }

    /// Coordination number z = 2d.
    pub fn coordination(self) -> u32 {
        2 * self.dim()
    }

    /// Lower-case name (`square`, `cubic`), as parsed by `FromStr`.
    pub fn name(self) -> &'static str {
        match self {
            Lattice::Square => "square",
            Lattice::Cubic => "cubic",
        }
    }
}

impl FromStr for Lattice {
    type Err = BzError;

    fn from_str(s: &str) -> Result<Self, BzError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "square" => Ok(Lattice::Square),
            "cubic" | "sc" | "simple-cubic" => Ok(Lattice::Cubic),
            _ => Err(BzError::InvalidInput {
                name: "lattice",
                value: s.to_string(),
                reason: "unknown lattice; use square or cubic",
            }),
        }
    }
}

/// Linear spin-wave zero-point quantities of one lattice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpinWave {
    /// The lattice.
    pub lattice: Lattice,
    /// ⟨1/√(1 − γ²)⟩.
    pub inverse_root: Quadrature,
    /// ⟨√(1 − γ²)⟩.
    pub root: Quadrature,
    /// ΔS = ½⟨1/√(1 − γ²)⟩ − ½, the zero-point reduction of the sublattice moment.
    pub delta_s: f64,
    /// c = 1 − ⟨√(1 − γ²)⟩: antiferromagnet zero-point energy per bond in units of JS.
    pub zero_point_correction: f64,
    /// Antiferromagnet spin-wave velocity 2√d in units of JSa (ω ≈ v|k|).
    pub afm_velocity: f64,
    /// Ferromagnet stiffness in units of JSa² (ω ≈ D k², D = 1 on any hypercubic lattice).
    pub fm_stiffness: f64,
    /// Ferromagnet zero-point energy correction (exactly 0).
    pub fm_zero_point_correction: f64,
}

fn wrap(e: Result<crate::cubature::Estimate, NotConverged>) -> Result<Quadrature, BzError> {
    match e {
        Ok(e) => Ok(Quadrature {
            value: e.value,
            error: e.error,
            evaluations: e.evaluations,
            diverges: false,
        }),
        Err(NotConverged(e)) => Err(BzError::NotConverged {
            value: e.value,
            error: e.error,
            evaluations: e.evaluations,
        }),
    }
}

/// Spin-wave sums of `lattice` to relative accuracy `rel_tol` (in [1e-14, 1)).
pub fn spin_wave(lattice: Lattice, rel_tol: f64) -> Result<SpinWave, BzError> {
    validate_tol(rel_tol, 0.0)?;
    let dim = lattice.dim();
    let d = f64::from(dim);
    // 1 − γ² = (2 s2/d)(2 c2/d).
    let inv = |s2: f64, c2: f64| 0.5 * d / (s2 * c2).sqrt();
    let root = |s2: f64, c2: f64| 2.0 * (s2 * c2).sqrt() / d;
    let inverse_root = wrap(duffy_octant(dim, &inv, &[0.0, 1.0], rel_tol, 0.0))?;
    let root = wrap(duffy_octant(dim, &root, &[0.0, 1.0], rel_tol, 0.0))?;
    Ok(SpinWave {
        lattice,
        inverse_root,
        root,
        delta_s: 0.5 * inverse_root.value - 0.5,
        zero_point_correction: 1.0 - root.value,
        afm_velocity: 2.0 * d.sqrt(),
        fm_stiffness: 1.0,
        fm_zero_point_correction: 0.0,
    })
}

/// Antiferromagnet ground-state energy per site in units of J, to first order in 1/S:
/// E0/N = −(z/2) S² (1 + c/S) with c = `zero_point_correction`.
pub fn afm_energy_per_site(sw: &SpinWave, spin: f64) -> f64 {
    let z = f64::from(sw.lattice.coordination());
    -0.5 * z * spin * spin * (1.0 + sw.zero_point_correction / spin)
}

/// Antiferromagnet dispersion ω_q/(JS) = z√(1 − γ_q²) at wave vector `q` (length d).
pub fn afm_dispersion(lattice: Lattice, q: &[f64]) -> f64 {
    let (s2, c2) = half_sums(q);
    let d = f64::from(lattice.dim());
    f64::from(lattice.coordination()) * 2.0 * (s2 * c2).sqrt() / d
}

/// Ferromagnet dispersion ω_q/(JS) = z(1 − γ_q) = 4 Σ_α sin²(q_α/2) at wave vector `q`.
pub fn fm_dispersion(lattice: Lattice, q: &[f64]) -> f64 {
    let (s2, _) = half_sums(q);
    let d = f64::from(lattice.dim());
    f64::from(lattice.coordination()) * 2.0 * s2 / d
}

fn half_sums(q: &[f64]) -> (f64, f64) {
    q.iter().fold((0.0, 0.0), |(s, c), &x| {
        let (sn, cs) = (0.5 * x).sin_cos();
        (s + sn * sn, c + cs * cs)
    })
}
