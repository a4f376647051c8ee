//! `qk lindemann`: mean-square atomic deviation and Lindemann stability of a
//! nearest-neighbour hypercubic crystal (PHYSICS.md §3, seed 003 eqs. 42–55), one
//! Brillouin-zone quadrature per grid point with [`qk_bzquad::lindemann_ratio`].
//!
//! Axes: `dim` (d = 1, 2, 3), `tau` (τ = T/Ω ≥ 0, Ω² = 4νD/m the zone-boundary phonon
//! scale) and `ek_over_omega` (E_K/Ω > 0, E_K = 1/(2ma²)); ħ = k_B = 1. Per point:
//!
//! ```text
//!     bz_mean = I_d(τ) = ⟨coth(s/2τ)/s⟩_BZ,  s² = Σ_α sin²(q_α/2)  (⟨1/s⟩ at τ = 0)
//!     lindemann_ratio = r0/a = √(d (E_K/Ω) I_d(τ)),  stable = [r0/a < 1/2]
//!     debye_ratio = the same in the Debye approximation (sphere |k| < k_D, ω = c₀k)
//! ```
//!
//! I_d diverges for d = 1 (every τ) and d = 2 at τ > 0: such a point is a *result*,
//! "no stable crystal": `diverges = 1`, `bz_mean`, `bz_error`, `lindemann_ratio` and
//! `debye_ratio` NaN, `stable = debye_stable = 0`, `evaluations = 0`, and the point is
//! not failed. This model therefore overrides [`Model::accepts_non_finite`], accepting
//! exactly that record and nothing else.
//!
//! `--ek-over-omega` defaults to 0.01, i.e. T_D/E_K = κ₃/0.01 ≈ 195 in d = 3
//! (T_D = κ_d Ω, κ₃ = √π(3√π/4)^(1/3) ≈ 1.949): a crystal that is stable at T = 0
//! (r0/a ≈ 0.165) and melts by Lindemann's rule near τ ≈ 4 (T ≈ 2 T_D).
//!
//! `--thresholds` adds the group `/thresholds` ([`qk_bzquad::thresholds`]): the exact
//! lattice stability thresholds next to the seed's Debye values (16, 18 at T = 0 in
//! d = 2, 3; 72 at T ≫ T_D in d = 3), +∞ where no crystal is stable.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, Axis, AxisValues, Grid, IntGrid, RealGrid};
use crate::model::{Model, ModelArgs, ObservableSpec, Record, Table, TableColumn, Task, Worker};
use clap::Args;
use qk_bzquad::{BzError, Regime};

/// Default relative tolerance of the quadratures.
pub const DEFAULT_REL_TOL: f64 = 1e-10;

/// Lindemann ratio r0/a of a hypercubic crystal (Brillouin-zone quadrature, exact vs Debye).
#[derive(Args, Debug)]
pub struct LindemannArgs {
    /// Lattice dimension d (grid of whole numbers in 1..=3).
    #[arg(long = "dim", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::ints_in::<1, 3>)]
    pub dim: IntGrid,
    /// Temperature τ = T/Ω ≥ 0 (grid), Ω the zone-boundary phonon frequency scale.
    #[arg(long = "tau", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::non_negative)]
    pub tau: RealGrid,
    /// Kinetic scale E_K/Ω > 0 (grid), E_K = 1/(2ma²); 0.01 means T_D/E_K ≈ 195 in 3D.
    #[arg(
        long = "ek-over-omega",
        value_name = "GRID",
        default_value = "0.01",
        allow_hyphen_values = true,
        value_parser = grid::positive
    )]
    pub ek_over_omega: RealGrid,
    /// Relative tolerance of the Brillouin-zone quadratures, in [1e-14, 1).
    #[arg(long = "rel-tol", value_name = "TOL", default_value_t = DEFAULT_REL_TOL, allow_hyphen_values = true, value_parser = rel_tol)]
    pub rel_tol: f64,
    /// Also write the group /thresholds: exact lattice vs Debye stability thresholds.
    #[arg(long)]
    pub thresholds: bool,
}

impl ModelArgs for LindemannArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(LindemannModel::new(self)?))
    }
}

/// Value parser of a relative tolerance flag (the kernels' range [1e-14, 1)).
pub(crate) fn rel_tol(text: &str) -> Result<f64, String> {
    let rel_tol: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if rel_tol.is_finite() && (1e-14..1.0).contains(&rel_tol) {
        Ok(rel_tol)
    } else {
        Err(format!(
            "{rel_tol} is not allowed: the relative tolerance must lie in [1e-14, 1)"
        ))
    }
}

/// Map a kernel error met while building a model (not at a grid point) to bad input of `flag`.
pub(crate) fn kernel_input_error(flag: &str, e: &BzError) -> InputError {
    match e {
        BzError::InvalidInput { .. } => InputError::new(flag, e.to_string()),
        BzError::NotConverged { .. } => InputError::new(
            flag,
            format!("{e}; choose a looser tolerance (e.g. --rel-tol 1e-8)"),
        ),
    }
}

pub struct LindemannModel {
    grid: Grid,
    rel_tol: f64,
    thresholds: Option<Vec<qk_bzquad::Threshold>>,
}

/// Observable slots, in the order the worker returns them.
const BZ_MEAN: usize = 0;
const BZ_ERROR: usize = 1;
const EVALUATIONS: usize = 2;
const DIVERGES: usize = 3;
const RATIO: usize = 4;
const STABLE: usize = 5;
const DEBYE_RATIO: usize = 6;
const DEBYE_STABLE: usize = 7;
const T_OVER_TD: usize = 8;
const TD_OVER_EK: usize = 9;
const N_OBS: usize = 10;
/// The slots that are NaN at a divergent point.
const NAN_WHEN_DIVERGENT: [usize; 4] = [BZ_MEAN, BZ_ERROR, RATIO, DEBYE_RATIO];

const OBSERVABLES: [(&str, &str, &str); N_OBS] = [
    (
        "bz_mean",
        "1",
        "I_d(tau) = <coth(s/2tau)/s>_BZ, s^2 = sum_a sin^2(q_a/2), tau = T/Omega (<1/s> at tau = 0); NaN where it diverges (diverges = 1)",
    ),
    (
        "bz_error",
        "1",
        "absolute error estimate of bz_mean (difference of the last two refinement levels); NaN where it diverges",
    ),
    (
        "evaluations",
        "1",
        "integrand evaluations spent on bz_mean (0 where the divergence is decided analytically)",
    ),
    (
        "diverges",
        "1",
        "1 if I_d(tau) is infinite (d = 1 at any tau, d = 2 at tau > 0): no stable crystal; 0 otherwise",
    ),
    (
        "lindemann_ratio",
        "1",
        "r0/a = sqrt(d (E_K/Omega) I_d(tau)), r0 the rms atomic deviation (seed 003 eq. 42); NaN where I_d diverges",
    ),
    (
        "stable",
        "1",
        "1 if lindemann_ratio < 1/2 (Lindemann), 0 otherwise (also where divergent)",
    ),
    (
        "debye_ratio",
        "1",
        "r0/a in the Debye approximation, (r0/a)^2 = d^2 (E_K/T_D) int_0^1 x^(d-2) coth(T_D x/2T) dx (seed eqs. 45-50); NaN where it diverges",
    ),
    (
        "debye_stable",
        "1",
        "1 if debye_ratio < 1/2, 0 otherwise (also where divergent)",
    ),
    (
        "t_over_td",
        "1",
        "T/T_D = tau/kappa_d, Debye temperature T_D = kappa_d Omega, kappa_d = sqrt(pi) Gamma(d/2+1)^(1/d)",
    ),
    (
        "td_over_ek",
        "1",
        "T_D/E_K = kappa_d/(E_K/Omega), the quantity the stability thresholds bound",
    ),
];

impl LindemannModel {
    pub fn new(a: &LindemannArgs) -> Result<Self, DriverError> {
        let thresholds = if a.thresholds {
            Some(
                qk_bzquad::thresholds(a.rel_tol)
                    .map_err(|e| kernel_input_error("--rel-tol", &e))?,
            )
        } else {
            None
        };
        let axes = vec![
            Axis::int(
                "dim",
                "--dim",
                &a.dim,
                "1",
                "lattice dimension d (nearest-neighbour hypercubic lattice)",
            ),
            Axis::real(
                "tau",
                "--tau",
                &a.tau,
                "Omega (tau = T/Omega, k_B = hbar = 1)",
                "temperature tau = T/Omega, Omega^2 = 4 nu D/m (phonons omega_q = Omega s(q))",
            ),
            Axis::real(
                "ek_over_omega",
                "--ek-over-omega",
                &a.ek_over_omega,
                "Omega",
                "kinetic energy scale E_K/Omega, E_K = 1/(2 m a^2)",
            ),
        ];
        Ok(LindemannModel {
            grid: Grid::new(axes),
            rel_tol: a.rel_tol,
            thresholds,
        })
    }
}

impl Model for LindemannModel {
    fn name(&self) -> &'static str {
        "lindemann"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        vec![
            ("rel_tol".into(), format!("{:e}", self.rel_tol)),
            ("thresholds".into(), self.thresholds.is_some().to_string()),
        ]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        OBSERVABLES
            .iter()
            .map(|(n, u, d)| ObservableSpec::scalar(n, u, d))
            .collect()
    }

    fn extra_tables(&self) -> Vec<Table> {
        let Some(rows) = &self.thresholds else {
            return Vec::new();
        };
        let real = |name: &str, values: Vec<f64>, description: &str| TableColumn {
            name: name.into(),
            values: AxisValues::Real(values),
            units: "1".into(),
            description: description.into(),
        };
        let label = |name: &str, values: Vec<String>, description: &str| TableColumn {
            name: name.into(),
            values: AxisValues::Label(values),
            units: "".into(),
            description: description.into(),
        };
        let (zero, hot) = ("T = 0", "T >> T_D");
        vec![Table {
            name: "thresholds".into(),
            description: format!(
                "Lindemann stability thresholds (r0/a < 1/2), one row per (dim, regime): the crystal is stable iff \
                 the row's quantity exceeds the value; +inf: no stable crystal. exact: nearest-neighbour lattice, \
                 4 d kappa_d I_d(0) at T = 0 and 48 W kappa_3^2 at T >> T_D (W Watson's integral); debye: the \
                 seed's Debye approximation 4d^2/(d-1) (16, 18) and 8d^2/(d-2) (72); rel_tol {:e}",
                self.rel_tol
            ),
            columns: vec![
                TableColumn {
                    name: "dim".into(),
                    values: AxisValues::Int(rows.iter().map(|t| i64::from(t.dim)).collect()),
                    units: "1".into(),
                    description: "lattice dimension d".into(),
                },
                label(
                    "regime",
                    rows.iter()
                        .map(|t| match t.regime {
                            Regime::ZeroTemperature => zero.to_string(),
                            Regime::HighTemperature => hot.to_string(),
                        })
                        .collect(),
                    "temperature regime: 'T = 0' or 'T >> T_D'",
                ),
                label(
                    "quantity",
                    rows.iter()
                        .map(|t| match t.regime {
                            Regime::ZeroTemperature => "T_D/E_K".to_string(),
                            Regime::HighTemperature => "(T_D/E_K)(T_D/T)".to_string(),
                        })
                        .collect(),
                    "the quantity that must exceed the threshold for stability",
                ),
                real(
                    "exact",
                    rows.iter().map(|t| t.exact).collect(),
                    "exact nearest-neighbour lattice threshold (+inf: never stable)",
                ),
                real(
                    "debye",
                    rows.iter().map(|t| t.debye).collect(),
                    "Debye-approximation threshold of the seed (eqs. 51-55; +inf: never stable)",
                ),
            ],
        }]
    }

    fn accepts_non_finite(&self, record: &Record) -> bool {
        let values = record.values();
        values.len() == N_OBS
            && values[DIVERGES] == 1.0
            && values
                .iter()
                .enumerate()
                .all(|(i, v)| v.is_finite() || (v.is_nan() && NAN_WHEN_DIVERGENT.contains(&i)))
    }

    fn cost(&self, point: &[f64]) -> f64 {
        let (dim, tau) = (point[0] as u32, point[1]);
        if qk_bzquad::lindemann_diverges(dim, tau) {
            0.0
        } else if dim == 3 && tau >= 0.05 {
            1.0 // subtracted periodic trapezoid
        } else {
            10.0 // Duffy/sub-cube Gauss-Legendre
        }
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(LindemannWorker { model: self })
    }
}

struct LindemannWorker<'a> {
    model: &'a LindemannModel,
}

/// The record of one point (observable order of [`OBSERVABLES`]).
fn record(dim: u32, tau: f64, ek: f64, rel_tol: f64) -> Result<Record, BzError> {
    let p = qk_bzquad::lindemann_ratio(dim, tau, ek, rel_tol)?;
    let kappa = qk_bzquad::debye_temperature_over_omega(dim)?;
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let mut v = [0.0; N_OBS];
    v[BZ_MEAN] = p.mean.value;
    v[BZ_ERROR] = p.mean.error;
    v[EVALUATIONS] = p.mean.evaluations as f64;
    v[DIVERGES] = flag(p.mean.diverges);
    v[RATIO] = p.ratio;
    v[STABLE] = flag(p.stable);
    v[DEBYE_RATIO] = p.debye_ratio;
    v[DEBYE_STABLE] = flag(p.debye_stable);
    v[T_OVER_TD] = tau / kappa;
    v[TD_OVER_EK] = kappa / ek;
    Ok(OBSERVABLES
        .iter()
        .zip(v)
        .fold(Record::new(), |r, ((name, _, _), x)| r.scalar(*name, x)))
}

impl Worker for LindemannWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let point = task.point;
        record(point[0] as u32, point[1], point[2], self.model.rel_tol)
            .map_err(|e| PointError::from_error(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> LindemannModel {
        LindemannModel {
            grid: Grid::new(vec![]),
            rel_tol: 1e-8,
            thresholds: None,
        }
    }

    /// A record holding `values` in the slots of [`OBSERVABLES`] (as many as there are).
    fn with_values(values: &[f64]) -> Record {
        OBSERVABLES
            .iter()
            .zip(values)
            .fold(Record::new(), |r, ((name, _, _), &x)| r.scalar(*name, x))
    }

    #[test]
    fn only_the_documented_divergent_record_may_hold_nan() {
        let m = model();
        let divergent = record(2, 0.3, 0.01, 1e-8).unwrap();
        let d = divergent.values().to_vec();
        assert_eq!(d[DIVERGES], 1.0);
        assert!(d[BZ_MEAN].is_nan() && d[RATIO].is_nan());
        assert_eq!(d[STABLE], 0.0);
        assert!(m.accepts_non_finite(&divergent));
        // d = 2 at T = 0 is finite: nothing to excuse.
        let finite = record(2, 0.0, 0.01, 1e-8).unwrap().values().to_vec();
        assert!(finite.iter().all(|v| v.is_finite()), "{finite:?}");
        assert_eq!(finite[DIVERGES], 0.0);
        // A NaN without the flag, an infinity, or a NaN in an undocumented slot is refused.
        let mut bad = finite.clone();
        bad[BZ_MEAN] = f64::NAN;
        assert!(!m.accepts_non_finite(&with_values(&bad)));
        let mut bad = d.clone();
        bad[RATIO] = f64::INFINITY;
        assert!(!m.accepts_non_finite(&with_values(&bad)));
        let mut bad = d.clone();
        bad[T_OVER_TD] = f64::NAN;
        assert!(!m.accepts_non_finite(&with_values(&bad)));
        assert!(!m.accepts_non_finite(&with_values(&d[..N_OBS - 1])));
    }

    #[test]
    fn cost_orders_duffy_points_first() {
        let m = model();
        assert!(m.cost(&[3.0, 0.0, 0.01]) > m.cost(&[3.0, 1.0, 0.01]));
        assert_eq!(m.cost(&[1.0, 0.0, 0.01]), 0.0);
    }
}
