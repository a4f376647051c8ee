//! `qk lmg`: steady states of the dissipative Lipkin-Meshkov-Glick model
//! (PHYSICS.md §1, seed 001 eq. 5), one sparse Lindblad solve per grid point.
//!
//! Axes: `n` (N spins, j = N/2), `h`, `lambda`, `gamma_a`, `gamma_b`; energies and
//! rates in one unit with ħ = 1. Each rank keeps the solver plan of the last N
//! it saw; points are handed out largest N first, so a plan serves many points.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, real_axis, Axis, AxisValues, Grid};
use crate::model::{Model, ObservableSpec, Worker};
use clap::Args;
use mpi::topology::SimpleCommunicator;
use qk_lindblad::{Arithmetic, LmgOrdering, LmgParams, LmgSolver, SolveMethod, SteadyStateOptions};

#[derive(Args, Debug)]
pub struct LmgArgs {
    /// Number of spins N (grid of whole numbers ≥ 1); the Dicke space has N+1 states.
    #[arg(long = "n", value_name = "GRID", allow_hyphen_values = true)]
    pub n: String,
    /// Field h (grid), in the units of λ.
    #[arg(long = "h", value_name = "GRID", allow_hyphen_values = true)]
    pub h: String,
    /// Spin-spin coupling λ > 0 (grid).
    #[arg(
        long = "lambda",
        value_name = "GRID",
        default_value = "1",
        allow_hyphen_values = true
    )]
    pub lambda: String,
    /// Collective dephasing-type rate Γa ≥ 0 of D[2Jx] (grid).
    #[arg(
        long = "gamma-a",
        value_name = "GRID",
        default_value = "0.01",
        allow_hyphen_values = true
    )]
    pub gamma_a: String,
    /// Collective decay rate Γb ≥ 0 of D[J+] (grid).
    #[arg(
        long = "gamma-b",
        value_name = "GRID",
        default_value = "0.2",
        allow_hyphen_values = true
    )]
    pub gamma_b: String,
    /// Fill-reducing ordering / factorization: nd (geometric nested
    /// dissection, multifrontal LU; fastest), nd-supernodal (the same order in
    /// faer's supernodal LU) or colamd (faer's COLAMD + supernodal LU).
    #[arg(long = "ordering", value_name = "ORDERING", default_value = "nd")]
    pub ordering: String,
    /// Arithmetic of the linear system: real (the Hermitian half of ρ; fast)
    /// or complex (the generic reference).
    #[arg(long = "arithmetic", value_name = "KIND", default_value = "real")]
    pub arithmetic: String,
    /// Threads per rank of the nd factorization (independent subtrees in
    /// parallel; results are bit-identical for any count): a number ≥ 1, or
    /// auto = this node's cores shared among the ranks placed on it.
    #[arg(long = "threads", value_name = "T", default_value = "auto")]
    pub threads: String,
    /// Linear solver: direct (double-precision LU + refinement) or gmres
    /// (GMRES preconditioned by the single-precision nd factor: about half
    /// the factor memory, for the largest N; needs --ordering nd and
    /// --arithmetic real). Iterations per point go to /results.
    #[arg(long = "method", value_name = "METHOD", default_value = "direct")]
    pub method: String,
    #[command(flatten)]
    pub output: crate::cli::OutputArgs,
}

pub struct LmgModel {
    grid: Grid,
    ordering: LmgOrdering,
    options: SteadyStateOptions,
}

impl LmgModel {
    pub fn new(a: &LmgArgs) -> Result<Self, DriverError> {
        let n = grid::parse_int("--n", &a.n)?;
        if let Some(bad) = n.iter().find(|&&n| n < 1) {
            return Err(InputError::new(
                "--n",
                format!("{bad} is not allowed: N must be at least 1"),
            )
            .into());
        }
        let n_axis = Axis {
            name: "n".into(),
            flag: "--n".into(),
            values: AxisValues::Int(n.clone()),
            units: "1".into(),
            description: "number of spins N (collective spin j = N/2)".into(),
        };
        let e = "energy (ħ = 1; λ, h, Γ in one unit)";
        let any = |_: f64| true;
        let positive = |x: f64| x > 0.0;
        let non_negative = |x: f64| x >= 0.0;
        let h = real_axis(
            "h",
            "--h",
            &a.h,
            e,
            "field h in H = -2h Jz - (2λ/N) Jx²",
            any,
            "",
        )?;
        let lambda = real_axis(
            "lambda",
            "--lambda",
            &a.lambda,
            e,
            "coupling λ in H = -2h Jz - (2λ/N) Jx²",
            positive,
            "λ must be positive",
        )?;
        let gamma_a = real_axis(
            "gamma_a",
            "--gamma-a",
            &a.gamma_a,
            e,
            "rate Γa of (Γa/N) D[2Jx]",
            non_negative,
            "rates must be non-negative",
        )?;
        let gamma_b = real_axis(
            "gamma_b",
            "--gamma-b",
            &a.gamma_b,
            e,
            "rate Γb of (Γb/N) D[J+]",
            non_negative,
            "rates must be non-negative",
        )?;
        let ordering: LmgOrdering = a.ordering.parse().map_err(|_| {
            InputError::new(
                "--ordering",
                format!(
                    "'{}' is not an ordering: use nd, nd-supernodal or colamd",
                    a.ordering
                ),
            )
        })?;
        let arithmetic = match a.arithmetic.as_str() {
            "real" => Arithmetic::Real,
            "complex" => Arithmetic::Complex,
            other => {
                return Err(InputError::new(
                    "--arithmetic",
                    format!("'{other}' is not an arithmetic: use real or complex"),
                )
                .into())
            }
        };
        let threads = match a.threads.as_str() {
            "auto" => crate::sysinfo::auto_threads(),
            t => match t.parse::<usize>() {
                Ok(t) if t >= 1 => t,
                _ => {
                    return Err(InputError::new(
                        "--threads",
                        format!("'{t}' is not a thread count: use a whole number ≥ 1 or auto"),
                    )
                    .into())
                }
            },
        };
        let method: SolveMethod = a.method.parse().map_err(|_| {
            InputError::new(
                "--method",
                format!("'{}' is not a method: use direct or gmres", a.method),
            )
        })?;
        if method == SolveMethod::Gmres
            && (ordering != LmgOrdering::NestedDissection || arithmetic != Arithmetic::Real)
        {
            return Err(InputError::new(
                "--method",
                "gmres needs --ordering nd and --arithmetic real (its preconditioner is the nd factor)",
            )
            .into());
        }
        let n_max = *n.iter().max().expect("grid is not empty") as usize;
        crate::check_memory(
            "--n",
            &format!(
                "N = {n_max} with --ordering {} --arithmetic {} --method {}",
                a.ordering, a.arithmetic, a.method
            ),
            qk_lindblad::lmg::estimate_memory_bytes_for(n_max, ordering, arithmetic, method),
        )?;
        Ok(LmgModel {
            grid: Grid::new(vec![n_axis, h, lambda, gamma_a, gamma_b]),
            ordering,
            options: SteadyStateOptions {
                arithmetic,
                threads,
                method,
                ..Default::default()
            },
        })
    }
}

const OBSERVABLES: [(&str, &str); 12] = [
    ("jz", "⟨Jz⟩/j"),
    ("jx2", "⟨Jx²⟩/j²"),
    ("jy2", "⟨Jy²⟩/j²"),
    ("jz2", "⟨Jz²⟩/j²"),
    (
        "concurrence",
        "rescaled pairwise concurrence C_R = max(0, max_φ C_φ) (seed 001 eq. 9)",
    ),
    (
        "residual",
        "relative residual ‖Lρ‖ / (‖L‖ ‖ρ‖) of the steady state",
    ),
    ("trace", "Tr ρ"),
    ("hermiticity_error", "max |ρ - ρ†| / max |ρ|"),
    ("min_eigenvalue", "smallest eigenvalue of ρ (positivity)"),
    ("purity", "Tr ρ²"),
    (
        "refinement_steps",
        "iterative-refinement steps on the trace-constrained system",
    ),
    (
        "krylov_iterations",
        "GMRES iterations (--method gmres; 0 for direct)",
    ),
];

impl Model for LmgModel {
    fn name(&self) -> &'static str {
        "lmg"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        OBSERVABLES
            .iter()
            .map(|(n, d)| ObservableSpec::scalar(n, "1", d))
            .collect()
    }

    fn cost(&self, point: &[f64]) -> f64 {
        // Nested-dissection-like factorisation of an ~N×N stencil: ~N³ flops.
        point[0].powi(3)
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(LmgWorker {
            plan: None,
            ordering: self.ordering,
            options: self.options,
        })
    }
}

struct LmgWorker {
    /// The plan and the N it was built for.
    plan: Option<(usize, LmgSolver)>,
    ordering: LmgOrdering,
    options: SteadyStateOptions,
}

impl Worker for LmgWorker {
    fn compute(
        &mut self,
        point: &[f64],
        _comm: &SimpleCommunicator,
    ) -> Result<Vec<f64>, PointError> {
        let p = LmgParams {
            n: point[0] as usize,
            h: point[1],
            lambda: point[2],
            gamma_a: point[3],
            gamma_b: point[4],
        };
        if self.plan.as_ref().is_none_or(|(n, _)| *n != p.n) {
            self.plan = None; // release the old plan before building the new one
            self.plan = Some((
                p.n,
                LmgSolver::with_ordering(p.n, self.options, self.ordering)
                    .map_err(|e| PointError::from_error(&e))?,
            ));
        }
        let (_, solver) = self.plan.as_mut().expect("plan was just built");
        let o = solver.solve(&p).map_err(|e| PointError::from_error(&e))?;
        Ok(vec![
            o.jz,
            o.jx2,
            o.jy2,
            o.jz2,
            o.concurrence,
            o.residual,
            o.trace,
            o.hermiticity_error,
            o.min_eigenvalue,
            o.purity,
            o.refinement_steps as f64,
            o.krylov_iterations as f64,
        ])
    }
}
