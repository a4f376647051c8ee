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
//! `[grid…, len(momentum_at), n1]` (axes `/grid/momentum_kick` and
//! `/grid/mode1` = 1…n1), the sine-basis distribution `P(k1)`, `p = ħ k1`.
//!
//! With `--ranks-per-task R` each point runs on a sub-communicator of R ranks
//! (slab-decomposed grid); results do not depend on R.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, Axis, AxisValues, Grid, IntGrid, RealGrid};
use crate::model::{
    enum_option, ExtraAxis, MemoryEstimate, Model, ModelArgs, ObservableSpec, Record, Task,
    Worker,
};
use clap::{Args, ValueEnum};
use qk_propagator::{Interaction, KickedParams, Propagator};

/// Two interacting kicked particles in an infinite well (distributed split-operator propagation).
#[derive(Args, Debug)]
pub struct KickedArgs {
    /// Effective Planck constant ħ_eff > 0 (grid).
    #[arg(long = "hbar", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::positive)]
    pub hbar: RealGrid,
    /// Mass m > 0 of particle 2; particle 1 has mass 1 (grid).
    #[arg(long = "mass", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::positive)]
    pub mass: RealGrid,
    /// Interaction strength ε of ε exp(−λ(x1−x2)²) (grid).
    #[arg(long = "eps", value_name = "GRID", allow_hyphen_values = true)]
    pub eps: RealGrid,
    /// Kick strength K1 on particle 1 (grid).
    #[arg(
        long = "k1",
        value_name = "GRID",
        default_value = "1.8",
        allow_hyphen_values = true
    )]
    pub k1: RealGrid,
    /// Kick strength K2 on particle 2 (grid).
    #[arg(
        long = "k2",
        value_name = "GRID",
        default_value = "0",
        allow_hyphen_values = true
    )]
    pub k2: RealGrid,
    /// Interaction range parameter λ (grid).
    #[arg(
        long = "lambda",
        value_name = "GRID",
        default_value = "10",
        allow_hyphen_values = true
    )]
    pub lambda: RealGrid,
    /// Interior grid points along x1 (one value ≥ 1).
    #[arg(long = "n1", value_name = "N1", allow_hyphen_values = true, value_parser = grid::positive_ints)]
    pub n1: IntGrid,
    /// Interior grid points along x2 (one value ≥ 1).
    #[arg(long = "n2", value_name = "N2", allow_hyphen_values = true, value_parser = grid::positive_ints)]
    pub n2: IntGrid,
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
        value_enum,
        default_value_t = InteractionArg::Continuous
    )]
    pub interaction: InteractionArg,
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
    pub momentum_at: Option<IntGrid>,
    /// MPI ranks that propagate one grid point together (must divide the rank count).
    #[arg(
        long = "ranks-per-task",
        value_name = "R",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub ranks_per_task: i64,
}

/// `--interaction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InteractionArg {
    Continuous,
    Kicked,
}

impl From<InteractionArg> for Interaction {
    fn from(i: InteractionArg) -> Self {
        match i {
            InteractionArg::Continuous => Interaction::Continuous,
            InteractionArg::Kicked => Interaction::Kicked,
        }
    }
}

impl ModelArgs for KickedArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(KickedModel::new(self)?))
    }
}

pub struct KickedModel {
    grid: Grid,
    n1: usize,
    n2: usize,
    kicks: usize,
    substeps: usize,
    interaction: Interaction,
    interaction_arg: InteractionArg,
    observe_every: usize,
    observed: Vec<usize>,
    momentum_at: Vec<usize>,
    ranks_per_task: usize,
}

fn single_size(
    flag: &str,
    name: &str,
    grid: &IntGrid,
    description: &str,
) -> Result<(usize, Axis), DriverError> {
    if grid.0.len() != 1 {
        return Err(
            InputError::new(flag, "takes one value (it fixes the shape of the results)").into(),
        );
    }
    let n = usize::try_from(grid.0[0]).map_err(|_| InputError::new(flag, "too large"))?;
    Ok((n, Axis::int(name, flag, grid, "1", description)))
}

pub(crate) fn at_least_one(flag: &str, v: i64) -> Result<usize, InputError> {
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
        let dimless = "1 (dimensionless units of seed 002)";
        let hbar = Axis::real(
            "hbar",
            "--hbar",
            &a.hbar,
            dimless,
            "effective Planck constant ħ_eff",
        );
        let mass = Axis::real(
            "mass",
            "--mass",
            &a.mass,
            dimless,
            "mass m of particle 2 (particle 1 has mass 1)",
        );
        let eps = Axis::real(
            "eps",
            "--eps",
            &a.eps,
            dimless,
            "interaction strength ε of ε exp(−λ(x1−x2)²)",
        );
        let k1 = Axis::real(
            "k1",
            "--k1",
            &a.k1,
            dimless,
            "kick strength K1 of K1 cos x1 Σδ(t−n)",
        );
        let k2 = Axis::real(
            "k2",
            "--k2",
            &a.k2,
            dimless,
            "kick strength K2 of K2 cos x2 Σδ(t−n)",
        );
        let lambda = Axis::real(
            "lambda",
            "--lambda",
            &a.lambda,
            dimless,
            "range parameter λ of exp(−λ(x1−x2)²)",
        );
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
        let interaction = Interaction::from(a.interaction);
        let momentum_at = match &a.momentum_at {
            None => Vec::new(),
            Some(grid) => {
                let mut v = Vec::new();
                for &k in &grid.0 {
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
        // the time axis's length, checked before it is materialized
        let t = kicks / observe_every + usize::from(kicks % observe_every != 0);
        crate::limits::check_record_bytes(
            "--kicks",
            &format!("{kicks} kicks observed every {observe_every}"),
            (4 * t as u64 + (momentum_at.len() * n1) as u64).saturating_mul(8),
        )?;
        let mut observed: Vec<usize> = (1..=kicks).filter(|k| k % observe_every == 0).collect();
        if observed.last() != Some(&kicks) {
            observed.push(kicks);
        }
        Ok(KickedModel {
            grid: Grid::new(vec![hbar, mass, eps, k1, k2, lambda, n1_axis, n2_axis]),
            n1,
            n2,
            kicks,
            substeps,
            interaction,
            interaction_arg: a.interaction,
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
        let mom: Vec<String> = self.momentum_at.iter().map(|k| k.to_string()).collect();
        vec![
            ("kicks".into(), self.kicks.to_string()),
            ("substeps".into(), self.substeps.to_string()),
            enum_option("interaction", &self.interaction_arg),
            ("observe_every".into(), self.observe_every.to_string()),
            ("momentum_at".into(), mom.join(",")),
        ]
    }

    /// Results do not depend on `--ranks-per-task` (tested): recorded, not checked.
    fn settings(&self) -> Vec<(String, String)> {
        vec![("ranks_per_task".into(), self.ranks_per_task.to_string())]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let series = |name: &str, units: &str, description: &str| {
            ObservableSpec::over(name, units, description, &["kick"])
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
            v.push(ObservableSpec::over(
                "momentum_p1",
                "1 (probability per sine state)",
                "sine-basis momentum distribution of particle 1, P(k1) = Σ_k2 |c_k1k2|², p = ħ_eff k1, k1 = 1…n1",
                &["momentum_kick", "mode1"],
            ));
        }
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        let mut v = vec![ExtraAxis {
            name: "kick".into(),
            flag: "--kicks".into(),
            values: AxisValues::Real(self.observed.iter().map(|&k| k as f64).collect()),
            units: "kick periods".into(),
            description: "kicks after which the time series were recorded".into(),
        }];
        if !self.momentum_at.is_empty() {
            v.push(ExtraAxis {
                name: "momentum_kick".into(),
                flag: "--momentum-at".into(),
                values: AxisValues::Real(self.momentum_at.iter().map(|&k| k as f64).collect()),
                units: "kick periods".into(),
                description: "kicks after which momentum_p1 was recorded".into(),
            });
            v.push(ExtraAxis {
                name: "mode1".into(),
                flag: "--n1".into(),
                values: AxisValues::Int((1..=self.n1 as i64).collect()),
                units: "1".into(),
                description: "sine-basis index k1 = 1…n1 of particle 1 (momentum p = ħ_eff k1)"
                    .into(),
            });
        }
        v
    }

    fn ranks_per_task(&self) -> usize {
        self.ranks_per_task
    }

    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        let (n1, n2, r) = (self.n1, self.n2, self.ranks_per_task);
        Some(MemoryEstimate {
            bytes_per_rank: qk_propagator::estimate_memory_bytes_per_rank(n1, n2, r),
            flag: "--n1".into(),
            what: format!("a {n1} × {n2} grid on {r} rank(s) per task"),
        })
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(KickedWorker { model: self })
    }
}

struct KickedWorker<'m> {
    model: &'m KickedModel,
}

impl Worker for KickedWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let p = m.params(task.point);
        let mut prop = Propagator::new(&p, task.comm).map_err(|e| PointError::from_error(&e))?;
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
        let record = Record::new()
            .array("p1_sq", &series[..t])
            .array("p2_sq", &series[t..2 * t])
            .array("purity", &series[2 * t..3 * t])
            .array("norm", &series[3 * t..]);
        Ok(if m.momentum_at.is_empty() {
            record
        } else {
            record.array("momentum_p1", &momentum)
        })
    }
}
