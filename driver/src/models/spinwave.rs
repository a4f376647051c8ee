//! `qk spinwave`: linear spin-wave zero-point quantities of the nearest-neighbour
//! Heisenberg magnet H = J Σ_⟨ij⟩ S_i·S_j (PHYSICS.md §3, seed 004), one pair of
//! Brillouin-zone quadratures per lattice with [`qk_bzquad::spin_wave`].
//!
//! Axis: `lattice` (labels `square`, `cubic`; the worker sees the label's index).
//! With γ_q = (1/d) Σ_α cos q_α and z = 2d, per lattice:
//!
//! ```text
//!     delta_s              = ½⟨1/√(1 − γ²)⟩ − ½   sublattice-moment reduction (square 0.196602)
//!     zero_point_correction = c = 1 − ⟨√(1 − γ²)⟩  AFM ground state E0/N = −(z/2) J S² (1 + c/S),
//!                                                 i.e. c is the zero-point energy per bond in units of JS
//!     afm_velocity         = 2√d (units J S a):    ω ≈ v|k|
//!     fm_stiffness         = 1   (units J S a²):   ferromagnet ω ≈ D k², for contrast
//!     fm_zero_point_correction = 0 (the saturated ferromagnet is an exact eigenstate)
//! ```
//!
//! plus the two averages with their error estimates and evaluation counts, and the
//! S = ½ energy per site E0/N in units of J to first order in 1/S.

use crate::error::{DriverError, PointError};
use crate::grid::{Axis, Grid};
use crate::model::{spelled, Model, ModelArgs, ObservableSpec, Record, Task, Worker};
use crate::models::lindemann::{rel_tol, DEFAULT_REL_TOL};
use clap::{Args, ValueEnum};
use qk_bzquad::Lattice;

/// Linear spin-wave zero-point quantities of the Heisenberg antiferromagnet.
#[derive(Args, Debug)]
pub struct SpinWaveArgs {
    /// Lattice(s): square, cubic (comma-separated list).
    #[arg(long = "lattice", value_name = "LIST", value_enum, value_delimiter = ',', required = true)]
    pub lattice: Vec<LatticeArg>,
    /// Relative tolerance of the Brillouin-zone quadratures, in [1e-14, 1).
    #[arg(long = "rel-tol", value_name = "TOL", default_value_t = DEFAULT_REL_TOL, allow_hyphen_values = true, value_parser = rel_tol)]
    pub rel_tol: f64,
}

/// `--lattice`, spelled as the kernel's lattices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LatticeArg {
    Square,
    Cubic,
}

impl From<LatticeArg> for Lattice {
    fn from(l: LatticeArg) -> Self {
        match l {
            LatticeArg::Square => Lattice::Square,
            LatticeArg::Cubic => Lattice::Cubic,
        }
    }
}

impl ModelArgs for SpinWaveArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(SpinWaveModel::new(self)))
    }
}

pub struct SpinWaveModel {
    grid: Grid,
    lattices: Vec<Lattice>,
    rel_tol: f64,
}

impl SpinWaveModel {
    pub fn new(a: &SpinWaveArgs) -> Self {
        SpinWaveModel {
            grid: Grid::new(vec![Axis::labels(
                "lattice",
                "--lattice",
                a.lattice.iter().map(spelled).collect(),
                "",
                "lattice of the nearest-neighbour Heisenberg magnet: square (d = 2, z = 4) or simple cubic (d = 3, z = 6)",
            )]),
            lattices: a.lattice.iter().map(|&l| Lattice::from(l)).collect(),
            rel_tol: a.rel_tol,
        }
    }
}

const OBSERVABLES: [(&str, &str, &str); 12] = [
    (
        "delta_s",
        "1",
        "zero-point reduction of the AFM sublattice moment, Delta S = <1/sqrt(1 - gamma^2)>/2 - 1/2 (square 0.196602)",
    ),
    (
        "zero_point_correction",
        "J S per bond",
        "AFM zero-point energy per bond in units of J S: c = 1 - <sqrt(1 - gamma^2)>, E0/N = -(z/2) J S^2 (1 + c/S) (square 0.157947)",
    ),
    (
        "afm_velocity",
        "J S a",
        "AFM spin-wave velocity v = 2 sqrt(d) (omega = z J S sqrt(1 - gamma_q^2) ~ v |k| at small k)",
    ),
    (
        "fm_stiffness",
        "J S a^2",
        "ferromagnet spin stiffness D (omega = z J S (1 - gamma_q) ~ D k^2 at small k; D = 1 on a hypercubic lattice)",
    ),
    (
        "fm_zero_point_correction",
        "J S per bond",
        "ferromagnet zero-point energy correction per bond (0: the saturated state is an exact eigenstate)",
    ),
    (
        "afm_energy_s_half",
        "J",
        "AFM ground-state energy per site for S = 1/2 to first order in 1/S, -(z/2) J S^2 (1 + c/S)",
    ),
    (
        "inverse_root",
        "1",
        "<1/sqrt(1 - gamma^2)>_BZ, gamma_q = (1/d) sum_a cos q_a",
    ),
    (
        "inverse_root_error",
        "1",
        "absolute error estimate of inverse_root",
    ),
    (
        "inverse_root_evaluations",
        "1",
        "integrand evaluations spent on inverse_root",
    ),
    ("root", "1", "<sqrt(1 - gamma^2)>_BZ"),
    ("root_error", "1", "absolute error estimate of root"),
    (
        "root_evaluations",
        "1",
        "integrand evaluations spent on root",
    ),
];

impl Model for SpinWaveModel {
    fn name(&self) -> &'static str {
        "spinwave"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        vec![("rel_tol".into(), format!("{:e}", self.rel_tol))]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        OBSERVABLES
            .iter()
            .map(|(n, u, d)| ObservableSpec::scalar(n, u, d))
            .collect()
    }

    fn cost(&self, point: &[f64]) -> f64 {
        match self.lattices.get(point[0] as usize) {
            Some(Lattice::Cubic) => 10.0,
            _ => 1.0,
        }
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(SpinWaveWorker { model: self })
    }
}

struct SpinWaveWorker<'a> {
    model: &'a SpinWaveModel,
}

impl Worker for SpinWaveWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let point = task.point;
        let lattice = *self
            .model
            .lattices
            .get(point[0] as usize)
            .ok_or_else(|| PointError(format!("no lattice at index {}", point[0])))?;
        let sw = qk_bzquad::spin_wave(lattice, self.model.rel_tol)
            .map_err(|e| PointError::from_error(&e))?;
        Ok(Record::new()
            .scalar("delta_s", sw.delta_s)
            .scalar("zero_point_correction", sw.zero_point_correction)
            .scalar("afm_velocity", sw.afm_velocity)
            .scalar("fm_stiffness", sw.fm_stiffness)
            .scalar("fm_zero_point_correction", sw.fm_zero_point_correction)
            .scalar(
                "afm_energy_s_half",
                qk_bzquad::afm_energy_per_site(&sw, 0.5),
            )
            .scalar("inverse_root", sw.inverse_root.value)
            .scalar("inverse_root_error", sw.inverse_root.error)
            .scalar(
                "inverse_root_evaluations",
                sw.inverse_root.evaluations as f64,
            )
            .scalar("root", sw.root.value)
            .scalar("root_error", sw.root.error)
            .scalar("root_evaluations", sw.root.evaluations as f64))
    }
}
