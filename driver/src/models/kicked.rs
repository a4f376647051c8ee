//! `qk kicked`: two interacting kicked particles in an infinite square well
//! (PHYSICS.md §2, seed 002), one distributed split-operator propagation
//! (`qk-propagator`) per grid point.
//!
//! Axes: `hbar`, `mass` (of particle 2), `eps`, `k1`, `k2`, `lambda` (real
//! grids) and `n1`, `n2` (one value each: they fix the shape of the momentum
//! record). Options: `kicks`, `substeps`, `interaction`, `observe_every`,
//! `momentum_at`. Dimensionless units of the seed: time in kick periods,
//! `[x, p] = iħ_eff`, well `[0, π]`.
//!
//! Results (trailing time axis `/grid/kick`: the observed kicks, every
//! `--observe-every` kicks and the last one): `p1_sq`, `p2_sq`, `purity`,
//! `norm`; with `--momentum-at`, `momentum_p1` of shape
//! `[grid…, len(momentum_at), n1]` (axis `/grid/momentum_kick`), the
//! sine-basis distribution `P(k1)`, `p = ħ k1`.
//!
//! With `--ranks-per-task R` each point runs on a sub-communicator of R ranks
//! (slab-decomposed grid); results do not depend on R.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, real_axis, Axis, AxisValues, Grid};
use crate::model::{ExtraAxis, Model, ObservableSpec, Worker};
use clap::Args;
use mpi::topology::SimpleCommunicator;
use qk_propagator::{Interaction, KickedParams, Propagator};

#[derive(Args, Debug)]
pub struct KickedArgs {
    /// Effective Planck constant ħ_eff > 0 (grid).
    #[arg(long = "hbar", value_name = "GRID", allow_hyphen_values = true)]
    pub hbar: String,
    /// Mass m > 0 of particle 2; particle 1 has mass 1 (grid).
    #[arg(long = "mass", value_name = "GRID", allow_hyphen_values = true)]
    pub mass: String,
    /// Interaction strength ε of ε exp(−λ(x1−x2)²) (grid).
    #[arg(long = "eps", value_name = "GRID", allow_hyphen_values = true)]
    pub eps: String,
    /// Kick strength K1 on particle 1 (grid).
    #[arg(
        long = "k1",
        value_name = "GRID",
        default_value = "1.8",
        allow_hyphen_values = true
    )]
    pub k1: String,
    /// Kick strength K2 on particle 2 (grid).
    #[arg(
        long = "k2",
        value_name = "GRID",
        default_value = "0",
        allow_hyphen_values = true
    )]
    pub k2: String,
    /// Interaction range parameter λ (grid).
    #[arg(
        long = "lambda",
        value_name = "GRID",
        default_value = "10",
        allow_hyphen_values = true
    )]
    pub lambda: String,
    /// Interior grid points along x1 (one value ≥ 1).
    #[arg(long = "n1", value_name = "N1", allow_hyphen_values = true)]
    pub n1: String,
    /// Interior grid points along x2 (one value ≥ 1).
    #[arg(long = "n2", value_name = "N2", allow_hyphen_values = true)]
    pub n2: String,
    /// Number of kicks (periods) to propagate, ≥ 1.
    #[arg(long = "kicks", value_name = "K", allow_hyphen_values = true)]
    pub kicks: i64,
    /// Strang steps per period for the continuous interaction, ≥ 1.
    #[arg(
        long = "substeps",
        value_name = "S",
        default_value_t = 100,
        allow_hyphen_values = true
    )]
    pub substeps: i64,
    /// How the interaction acts: continuously between kicks, or once per period with the kick.
    #[arg(
        long = "interaction",
        value_name = "MODE",
        default_value = "continuous"
    )]
    pub interaction: String,
    /// Record the observables every this many kicks (and after the last kick), ≥ 1.
    #[arg(
        long = "observe-every",
        value_name = "E",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub observe_every: i64,
    /// Kicks at which to record the momentum distribution of particle 1 (comma list), e.g. 500.
    #[arg(long = "momentum-at", value_name = "KICKS", allow_hyphen_values = true)]
    pub momentum_at: Option<String>,
    /// MPI ranks that propagate one grid point together (must divide the rank count).
    #[arg(
        long = "ranks-per-task",
        value_name = "R",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub ranks_per_task: i64,
    #[command(flatten)]
    pub output: crate::cli::OutputArgs,
}

pub struct KickedModel {
    grid: Grid,
    n1: usize,
    n2: usize,
    kicks: usize,
    substeps: usize,
    interaction: Interaction,
    observe_every: usize,
    observed: Vec<usize>,
    momentum_at: Vec<usize>,
    ranks_per_task: usize,
}

fn single_size(
    flag: &str,
    name: &str,
    text: &str,
    description: &str,
) -> Result<(usize, Axis), DriverError> {
    let v = grid::parse_int(flag, text)?;
    if v.len() != 1 {
        return Err(
            InputError::new(flag, "takes one value (it fixes the shape of the results)").into(),
        );
    }
    if v[0] < 1 {
        return Err(InputError::new(
            flag,
            format!("{} is not allowed: need at least 1 grid point", v[0]),
        )
        .into());
    }
    let n = usize::try_from(v[0]).map_err(|_| InputError::new(flag, "too large"))?;
    Ok((
        n,
        Axis {
            name: name.into(),
            flag: flag.into(),
            values: AxisValues::Int(v),
            units: "1".into(),
            description: description.into(),
        },
    ))
}

fn at_least_one(flag: &str, v: i64) -> Result<usize, InputError> {
    if v < 1 {
        return Err(InputError::new(
            flag,
            format!("{v} is not allowed: must be at least 1"),
        ));
    }
    usize::try_from(v).map_err(|_| InputError::new(flag, "too large"))
}

impl KickedModel {
    pub fn new(a: &KickedArgs) -> Result<Self, DriverError> {
        let pos = |x: f64| x > 0.0;
        let any = |_: f64| true;
        let dimless = "1 (dimensionless units of seed 002)";
        let hbar = real_axis(
            "hbar",
            "--hbar",
            &a.hbar,
            dimless,
            "effective Planck constant ħ_eff",
            pos,
            "ħ must be positive",
        )?;
        let mass = real_axis(
            "mass",
            "--mass",
            &a.mass,
            dimless,
            "mass m of particle 2 (particle 1 has mass 1)",
            pos,
            "the mass must be positive",
        )?;
        let eps = real_axis(
            "eps",
            "--eps",
            &a.eps,
            dimless,
            "interaction strength ε of ε exp(−λ(x1−x2)²)",
            any,
            "",
        )?;
        let k1 = real_axis(
            "k1",
            "--k1",
            &a.k1,
            dimless,
            "kick strength K1 of K1 cos x1 Σδ(t−n)",
            any,
            "",
        )?;
        let k2 = real_axis(
            "k2",
            "--k2",
            &a.k2,
            dimless,
            "kick strength K2 of K2 cos x2 Σδ(t−n)",
            any,
            "",
        )?;
        let lambda = real_axis(
            "lambda",
            "--lambda",
            &a.lambda,
            dimless,
            "range parameter λ of exp(−λ(x1−x2)²)",
            any,
            "",
        )?;
        let (n1, n1_axis) = single_size(
            "--n1",
            "n1",
            &a.n1,
            "interior grid points along x1 (x_j = jπ/(n1+1))",
        )?;
        let (n2, n2_axis) = single_size(
            "--n2",
            "n2",
            &a.n2,
            "interior grid points along x2 (x_j = jπ/(n2+1))",
        )?;
        let kicks = at_least_one("--kicks", a.kicks)?;
        let substeps = at_least_one("--substeps", a.substeps)?;
        let observe_every = at_least_one("--observe-every", a.observe_every)?;
        let ranks_per_task = at_least_one("--ranks-per-task", a.ranks_per_task)?;
        let interaction = match a.interaction.as_str() {
            "continuous" => Interaction::Continuous,
            "kicked" => Interaction::Kicked,
            other => {
                return Err(InputError::new(
                    "--interaction",
                    format!("{other:?} is not allowed: choose continuous or kicked"),
                )
                .into())
            }
        };
        let mut observed: Vec<usize> = (1..=kicks).filter(|k| k % observe_every == 0).collect();
        if observed.last() != Some(&kicks) {
            observed.push(kicks);
        }
        let momentum_at = match &a.momentum_at {
            None => Vec::new(),
            Some(text) => {
                let mut v = Vec::new();
                for k in grid::parse_int("--momentum-at", text)? {
                    if k < 1 || k as u64 > kicks as u64 {
                        return Err(InputError::new(
                            "--momentum-at",
                            format!("{k} is not allowed: kicks must lie in 1..={kicks}"),
                        )
                        .into());
                    }
                    v.push(k as usize);
                }
                v.sort_unstable();
                v.dedup();
                v
            }
        };
        let est = qk_propagator::estimate_memory_bytes_per_rank(n1, n2, ranks_per_task);
        crate::check_memory(
            "--n1",
            &format!("a {n1} × {n2} grid on {ranks_per_task} rank(s) per task (per rank)"),
            est,
        )?;
        Ok(KickedModel {
            grid: Grid::new(vec![hbar, mass, eps, k1, k2, lambda, n1_axis, n2_axis]),
            n1,
            n2,
            kicks,
            substeps,
            interaction,
            observe_every,
            observed,
            momentum_at,
            ranks_per_task,
        })
    }

    fn params(&self, point: &[f64]) -> KickedParams {
        KickedParams {
            hbar: point[0],
            mass: point[1],
            eps: point[2],
            k1: point[3],
            k2: point[4],
            lambda: point[5],
            n1: self.n1,
            n2: self.n2,
            substeps: self.substeps,
            interaction: self.interaction,
        }
    }
}

impl Model for KickedModel {
    fn name(&self) -> &'static str {
        "kicked"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        let inter = match self.interaction {
            Interaction::Continuous => "continuous",
            Interaction::Kicked => "kicked",
        };
        let mom: Vec<String> = self.momentum_at.iter().map(|k| k.to_string()).collect();
        vec![
            ("kicks".into(), self.kicks.to_string()),
            ("substeps".into(), self.substeps.to_string()),
            ("interaction".into(), inter.into()),
            ("observe_every".into(), self.observe_every.to_string()),
            ("momentum_at".into(), mom.join(",")),
        ]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let t = self.observed.len();
        let series = |name: &str, units: &str, description: &str| ObservableSpec {
            name: name.into(),
            units: units.into(),
            description: description.into(),
            shape: vec![t],
        };
        let mut v = vec![
            series(
                "p1_sq",
                "ħ_eff² (p = ħ_eff k)",
                "⟨p1²⟩ after each observed kick (just before the next kick)",
            ),
            series(
                "p2_sq",
                "ħ_eff² (p = ħ_eff k)",
                "⟨p2²⟩ after each observed kick",
            ),
            series(
                "purity",
                "1",
                "purity Tr ρ1² of particle 1's reduced density matrix",
            ),
            series("norm", "1", "norm Σ|ψ|² (1 to round-off)"),
        ];
        if !self.momentum_at.is_empty() {
            v.push(ObservableSpec {
                name: "momentum_p1".into(),
                units: "1 (probability per sine state)".into(),
                description: "sine-basis momentum distribution of particle 1, P(k1) = Σ_k2 |c_k1k2|², p = ħ_eff k1, k1 = 1…n1".into(),
                shape: vec![self.momentum_at.len(), self.n1],
            });
        }
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        let mut v = vec![ExtraAxis {
            name: "kick".into(),
            values: self.observed.iter().map(|&k| k as f64).collect(),
            units: "kick periods".into(),
            description: "kicks after which the time series were recorded".into(),
        }];
        if !self.momentum_at.is_empty() {
            v.push(ExtraAxis {
                name: "momentum_kick".into(),
                values: self.momentum_at.iter().map(|&k| k as f64).collect(),
                units: "kick periods".into(),
                description: "kicks after which momentum_p1 was recorded".into(),
            });
        }
        v
    }

    fn ranks_per_task(&self) -> usize {
        self.ranks_per_task
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(KickedWorker { model: self })
    }
}

struct KickedWorker<'m> {
    model: &'m KickedModel,
}

impl Worker for KickedWorker<'_> {
    fn compute(
        &mut self,
        point: &[f64],
        comm: &SimpleCommunicator,
    ) -> Result<Vec<f64>, PointError> {
        let m = self.model;
        let p = m.params(point);
        let mut prop = Propagator::new(&p, comm).map_err(|e| PointError::from_error(&e))?;
        let t = m.observed.len();
        let mut series = vec![0.0; 4 * t];
        let mut momentum = Vec::with_capacity(m.momentum_at.len() * m.n1);
        let (mut next_obs, mut next_mom) = (0, 0);
        for kick in 1..=m.kicks {
            prop.period();
            if next_mom < m.momentum_at.len() && m.momentum_at[next_mom] == kick {
                momentum.extend(prop.momentum_p1());
                next_mom += 1;
            }
            if next_obs < t && m.observed[next_obs] == kick {
                let o = prop.observables();
                if !o.norm.is_finite() || (o.norm - 1.0).abs() > 1e-6 {
                    return Err(PointError(format!(
                        "norm {} after kick {kick}: propagation lost unitarity",
                        o.norm
                    )));
                }
                series[next_obs] = o.p1_sq;
                series[t + next_obs] = o.p2_sq;
                series[2 * t + next_obs] = o.purity;
                series[3 * t + next_obs] = o.norm;
                next_obs += 1;
            }
        }
        series.extend(momentum);
        Ok(series)
    }
}
