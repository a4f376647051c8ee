//! `qk jumps --model FILE.h5`: quantum-jump (Monte Carlo wave-function)
//! ensembles of any Lindblad model brought as a model file
//! (`docs/model_format.md`, written from QuTiP by `scripts/qk_model.py`),
//! swept over its own parameters (flags `--name GRID` from the file,
//! [`crate::model_cli`]), one [`JumpRun`] per grid point on the system
//! `H(θ)`, `C_k(θ)` of the point (the kernel's module docs state the
//! method, random streams and reduction order; results are bit-identical
//! for any rank count).
//!
//! Initial state: `--initial basis:K` (basis state `|K⟩`, `0 ≤ K < D`), or
//! else the file's optional `/initial_state` (normalized on reading); with
//! neither the command is refused naming `--initial`.
//!
//! Results over `/grid/time` = `0, dt, …, t_end`: per observable `O` of the
//! file the ensemble mean of `Re⟨ψ|O|ψ⟩/⟨ψ|ψ⟩` as `/results/<O>` and, when
//! `O` is not Hermitian, of the imaginary part as `/results/<O>_imag`
//! (the kernel's real part of `−i O`), each with its standard error
//! `*_err`; `jumps` ± `jumps_err`, the mean cumulative number of jumps. Units
//! are the model's (ħ = 1). Root attributes as `qk steady --model`:
//! `model_sha256` (part of the `--resume` signature: another model file is
//! refused), `model_file`, `model_description`.

use super::jumps::{Ensemble, EnsembleArgs, RunArgs};
use crate::error::{DriverError, InputError, PointError};
use crate::grid::{Grid, RealGrid};
use crate::model::{
    ExtraAxis, MemoryEstimate, Model, ObservableSpec, RanksPerTask, Record, Task, Worker,
};
use crate::model_cli;
use crate::model_file::ModelFile;
use clap::{ArgMatches, Args, Command, FromArgMatches};
use qk_model::{Complex64, Operator};
use qk_trajectories::jumps::{JumpPlan, JumpRun};
use std::path::PathBuf;

/// `--initial` with a model file: a basis state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasisState(pub usize);

impl std::str::FromStr for BasisState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.strip_prefix("basis:")
            .and_then(|k| k.parse::<usize>().ok())
            .map(BasisState)
            .ok_or_else(|| format!("'{s}' is not basis:K (K a basis-state index ≥ 0)"))
    }
}

// The fixed flags of `qk jumps --model` (the parameter flags come from the
// file; no doc comment: it would become the subcommand's help line).
#[derive(Args, Debug, Clone)]
pub struct FileFixed {
    /// Model file (format version 1, docs/model_format.md; write it with
    /// scripts/qk_model.py). Its parameters become flags --NAME GRID.
    #[arg(long = "model", value_name = "FILE.h5")]
    pub model: PathBuf,
    #[command(flatten)]
    pub ensemble: EnsembleArgs,
    /// Initial state basis:K (basis state K, 0 ≤ K < dimension); default:
    /// the file's /initial_state.
    #[arg(long = "initial", value_name = "basis:K", value_parser = |s: &str| s.parse::<BasisState>())]
    pub initial: Option<BasisState>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The arguments of `qk jumps --model`: the fixed flags and the model file's parameter grids.
#[derive(Debug, Clone)]
pub struct FileJumpsArgs {
    pub fixed: FileFixed,
    /// The grid of each parameter of the file (in its order), if given.
    pub grids: Vec<Option<RealGrid>>,
}

impl Args for FileJumpsArgs {
    fn augment_args(cmd: Command) -> Command {
        FileFixed::augment_args(cmd)
            .about("Quantum-jump trajectory ensembles of any Lindblad model from a model file (Monte Carlo, MPI-distributed)")
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for FileJumpsArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self {
            fixed: FileFixed::from_arg_matches(m)?,
            grids: model_cli::parameter_grids(m, "jumps"),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

pub struct FileJumpsModel {
    file: ModelFile,
    grid: Grid,
    ensemble: Ensemble,
    initial: Vec<Complex64>,
    /// `--initial` as recorded: `basis:K` or `file`.
    initial_label: String,
    /// Result name and description of each operator handed to the kernel.
    observables: Vec<(String, String)>,
    /// The operators (`O`, or `−i O` for an imaginary part).
    operators: Vec<Operator>,
}

impl FileJumpsModel {
    pub fn new(a: &FileJumpsArgs) -> Result<Self, DriverError> {
        let file = model_cli::model_for("jumps", &a.fixed.model)?;
        let grid = Grid::new(model_cli::parameter_axes(&file, &a.grids)?);
        let d = file.model.dim();
        let (initial, initial_label) = match (a.fixed.initial, &file.initial) {
            (Some(BasisState(k)), _) if k >= d => {
                return Err(InputError::new(
                    "--initial",
                    format!(
                        "basis:{k} is out of range: the model of {} has the basis states 0..{}",
                        file.path.display(),
                        d - 1
                    ),
                )
                .into())
            }
            (Some(BasisState(k)), _) => {
                let mut v = vec![Complex64::new(0.0, 0.0); d];
                v[k] = Complex64::new(1.0, 0.0);
                (v, format!("basis:{k}"))
            }
            (None, Some(v)) => (v.clone(), "file".to_string()),
            (None, None) => {
                return Err(InputError::new(
                    "--initial",
                    format!(
                        "missing: {} has no /initial_state; give --initial basis:K",
                        file.path.display()
                    ),
                )
                .into())
            }
        };
        let (mut observables, mut operators) = (Vec::new(), Vec::new());
        for o in file.model.observables() {
            observables.push((o.name.clone(), format!("Re⟨{}⟩", o.description)));
            operators.push(o.operator.clone());
            if !o.is_hermitian() {
                observables.push((format!("{}_imag", o.name), format!("Im⟨{}⟩", o.description)));
                operators.push(o.operator.map(|z| z * Complex64::new(0.0, -1.0)));
            }
        }
        let mut names: Vec<String> = vec!["jumps".into(), "jumps_err".into()];
        for (n, _) in &observables {
            for r in [n.clone(), format!("{n}_err")] {
                if names.contains(&r) {
                    return Err(InputError::new(
                        "--model",
                        format!(
                            "{}: observable result '{r}' clashes with another result",
                            file.path.display()
                        ),
                    )
                    .into());
                }
                names.push(r);
            }
        }
        let ensemble = Ensemble::new(&a.fixed.ensemble, &a.fixed.run, names.len() as u64)?;
        Ok(Self {
            file,
            grid,
            ensemble,
            initial,
            initial_label,
            observables,
            operators,
        })
    }
}

impl Model for FileJumpsModel {
    fn name(&self) -> &'static str {
        "jumps"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        let e = &self.ensemble;
        vec![
            ("trajectories".into(), e.trajectories.to_string()),
            ("t_end".into(), format!("{:?}", e.t_end)),
            ("times".into(), e.times.to_string()),
            ("initial".into(), self.initial_label.clone()),
            ("seed".into(), e.seed.to_string()),
            ("model_sha256".into(), self.file.sha256.clone()),
        ]
    }

    /// Results do not depend on `--ranks-per-task`: recorded, not checked.
    fn settings(&self) -> Vec<(String, String)> {
        vec![
            (
                "ranks_per_task".into(),
                self.ensemble.ranks_per_task.to_string(),
            ),
            ("model_file".into(), self.file.path.display().to_string()),
            (
                "model_description".into(),
                self.file.model.description().to_string(),
            ),
        ]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let mut v = Vec::new();
        for (name, d) in &self.observables {
            v.push(ObservableSpec::over(
                name,
                "model units",
                &format!("ensemble mean of {d} at each output time"),
                &["time"],
            ));
            v.push(ObservableSpec::over(
                &format!("{name}_err"),
                "model units",
                &format!("standard error of {name}"),
                &["time"],
            ));
        }
        v.extend(Ensemble::jump_observables());
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        vec![self.ensemble.time_axis()]
    }

    fn ranks_per_task(&self) -> RanksPerTask {
        self.ensemble.ranks_per_task
    }

    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        let d = self.file.model.dim() as u64;
        // dense propagators: up to ~40 dense D×D complex matrices (as the LMG form)
        Some(MemoryEstimate {
            bytes_per_rank: 40u64.saturating_mul(d).saturating_mul(d).saturating_mul(16),
            flag: "--model".into(),
            what: format!(
                "dense propagators of dimension {d} ({})",
                self.file.path.display()
            ),
        })
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(FileJumpsWorker { model: self })
    }
}

struct FileJumpsWorker<'m> {
    model: &'m FileJumpsModel,
}

impl Worker for FileJumpsWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let en = &m.ensemble;
        let err = |e: &dyn std::error::Error| PointError::from_error(e);
        let sys = m.file.model.system(task.point).map_err(|e| err(&e))?;
        let plan = JumpPlan::new(&sys, en.dt()).map_err(|e| err(&e))?;
        let run = JumpRun {
            plan: &plan,
            initial: &m.initial,
            observables: &m.operators,
            times: en.times,
            seed: en.seed,
            point: task.index as u64,
        };
        let r = run.run(en.trajectories, task.comm).map_err(|e| err(&e))?;
        let t = en.times;
        let mut rec = Record::new();
        for (o, (name, _)) in m.observables.iter().enumerate() {
            rec = rec
                .array(name.clone(), &r.mean[o * t..(o + 1) * t])
                .array(format!("{name}_err"), &r.err[o * t..(o + 1) * t]);
        }
        Ok(rec
            .array("jumps", &r.jumps)
            .array("jumps_err", &r.jumps_err))
    }
}
