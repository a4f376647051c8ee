//! `qk lmg`: steady states of the dissipative Lipkin-Meshkov-Glick model
//! (PHYSICS.md §1, seed 001 eq. 5), one sparse Lindblad solve per grid point.
//!
//! Axes: `n` (N spins, j = N/2), `h`, `lambda`, `gamma_a`, `gamma_b`; energies and
//! rates in one unit with ħ = 1. Each rank keeps the solver plan of the last N
//! it saw; points are handed out largest N first, so a plan serves many points.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, Axis, Grid, IntGrid, RealGrid};
use crate::model::{
    enum_option, spelled, MemoryEstimate, Model, ModelArgs, ObservableSpec, Record, Task,
    Worker,
};
use crate::sysinfo::Threads;
use clap::{Args, ValueEnum};
use qk_lindblad::{Arithmetic, LmgOrdering, LmgParams, LmgSolver, SolveMethod, SteadyStateOptions};

/// Steady states of the dissipative Lipkin-Meshkov-Glick model (sparse Lindblad solver).
#[derive(Args, Debug)]
pub struct LmgArgs {
    /// Number of spins N (grid of whole numbers ≥ 1); the Dicke space has N+1 states.
    #[arg(long = "n", value_name = "GRID", allow_hyphen_values = true, value_parser = grid::positive_ints)]
    pub n: IntGrid,
    /// Field h (grid), in the units of λ.
    #[arg(long = "h", value_name = "GRID", allow_hyphen_values = true)]
    pub h: RealGrid,
    /// Spin-spin coupling λ > 0 (grid).
    #[arg(
        long = "lambda",
        value_name = "GRID",
        default_value = "1",
        allow_hyphen_values = true,
        value_parser = grid::positive
    )]
    pub lambda: RealGrid,
    /// Collective dephasing-type rate Γa ≥ 0 of D[2Jx] (grid).
    #[arg(
        long = "gamma-a",
        value_name = "GRID",
        default_value = "0.01",
        allow_hyphen_values = true,
        value_parser = grid::non_negative
    )]
    pub gamma_a: RealGrid,
    /// Collective decay rate Γb ≥ 0 of D[J+] (grid).
    #[arg(
        long = "gamma-b",
        value_name = "GRID",
        default_value = "0.2",
        allow_hyphen_values = true,
        value_parser = grid::non_negative
    )]
    pub gamma_b: RealGrid,
    /// Fill-reducing ordering / factorization: nd (geometric nested
    /// dissection, multifrontal LU; fastest), nd-supernodal (the same order in
    /// faer's supernodal LU) or colamd (faer's COLAMD + supernodal LU).
    #[arg(long = "ordering", value_name = "ORDERING", value_enum, default_value_t = OrderingArg::Nd)]
    pub ordering: OrderingArg,
    /// Arithmetic of the linear system: real (the Hermitian half of ρ; fast)
    /// or complex (the generic reference).
    #[arg(long = "arithmetic", value_name = "KIND", value_enum, default_value_t = ArithmeticArg::Real)]
    pub arithmetic: ArithmeticArg,
    /// Threads per rank of the nd factorization (independent subtrees in
    /// parallel; results are bit-identical for any count): a number ≥ 1, or
    /// auto = this node's cores shared among the ranks placed on it.
    #[arg(long = "threads", value_name = "T", default_value = "auto")]
    pub threads: Threads,
    /// Linear solver: direct (double-precision LU + refinement) or gmres
    /// (GMRES preconditioned by the single-precision nd factor: about half
    /// the factor memory, for the largest N; needs --ordering nd and
    /// --arithmetic real). Iterations per point go to /results.
    #[arg(long = "method", value_name = "METHOD", value_enum, default_value_t = MethodArg::Direct)]
    pub method: MethodArg,
}

/// `--ordering`, spelled as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OrderingArg {
    #[value(alias = "nested-dissection")]
    Nd,
    NdSupernodal,
    Colamd,
}

impl From<OrderingArg> for LmgOrdering {
    fn from(o: OrderingArg) -> Self {
        match o {
            OrderingArg::Nd => LmgOrdering::NestedDissection,
            OrderingArg::NdSupernodal => LmgOrdering::NdSupernodal,
            OrderingArg::Colamd => LmgOrdering::Colamd,
        }
    }
}

/// `--arithmetic`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ArithmeticArg {
    Real,
    Complex,
}

impl From<ArithmeticArg> for Arithmetic {
    fn from(a: ArithmeticArg) -> Self {
        match a {
            ArithmeticArg::Real => Arithmetic::Real,
            ArithmeticArg::Complex => Arithmetic::Complex,
        }
    }
}

/// `--method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    Direct,
    Gmres,
}

impl From<MethodArg> for SolveMethod {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Direct => SolveMethod::Direct,
            MethodArg::Gmres => SolveMethod::Gmres,
        }
    }
}

impl ModelArgs for LmgArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        Ok(Box::new(LmgModel::new(self)?))
    }
}

pub struct LmgModel {
    grid: Grid,
    ordering: LmgOrdering,
    options: SteadyStateOptions,
    /// The solver choices as given (options, memory estimate, provenance label).
    choices: (OrderingArg, ArithmeticArg, MethodArg),
    threads: Threads,
}

impl LmgModel {
    pub fn new(a: &LmgArgs) -> Result<Self, DriverError> {
        let n_axis = Axis::int(
            "n",
            "--n",
            &a.n,
            "1",
            "number of spins N (collective spin j = N/2)",
        );
        let e = "energy (ħ = 1; λ, h, Γ in one unit)";
        let h = Axis::real("h", "--h", &a.h, e, "field h in H = -2h Jz - (2λ/N) Jx²");
        let lambda = Axis::real(
            "lambda",
            "--lambda",
            &a.lambda,
            e,
            "coupling λ in H = -2h Jz - (2λ/N) Jx²",
        );
        let gamma_a = Axis::real(
            "gamma_a",
            "--gamma-a",
            &a.gamma_a,
            e,
            "rate Γa of (Γa/N) D[2Jx]",
        );
        let gamma_b = Axis::real(
            "gamma_b",
            "--gamma-b",
            &a.gamma_b,
            e,
            "rate Γb of (Γb/N) D[J+]",
        );
        let ordering = LmgOrdering::from(a.ordering);
        let arithmetic = Arithmetic::from(a.arithmetic);
        let method = SolveMethod::from(a.method);
        if method == SolveMethod::Gmres
            && (ordering != LmgOrdering::NestedDissection || arithmetic != Arithmetic::Real)
        {
            return Err(InputError::new(
                "--method",
                "gmres needs --ordering nd and --arithmetic real (its preconditioner is the nd factor)",
            )
            .into());
        }
        Ok(LmgModel {
            grid: Grid::new(vec![n_axis, h, lambda, gamma_a, gamma_b]),
            ordering,
            options: SteadyStateOptions {
                arithmetic,
                threads: a.threads.resolve(),
                method,
                ..Default::default()
            },
            choices: (a.ordering, a.arithmetic, a.method),
            threads: a.threads,
        })
    }

    /// The provenance label of a point solved with the chosen options.
    fn method_label(&self) -> String {
        let (o, a, m) = self.choices;
        format!("{}/{}/{}", spelled(&o), spelled(&a), spelled(&m))
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

    fn options(&self) -> Vec<(String, String)> {
        let (o, a, m) = self.choices;
        vec![
            enum_option("ordering", &o),
            enum_option("arithmetic", &a),
            enum_option("method", &m),
        ]
    }

    /// `--threads` cannot change a result: the multifrontal LU deals subtrees to threads
    /// but every sum is taken in an order fixed by the elimination tree, so results are
    /// bit-identical for any thread count (tested); a resume may use another count.
    fn settings(&self) -> Vec<(String, String)> {
        let resolved = self.options.threads;
        let value = match self.threads {
            Threads::Auto => format!("auto ({resolved})"),
            Threads::Count(_) => resolved.to_string(),
        };
        vec![("threads".into(), value)]
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

    /// One plan at a time per rank (the plan of the previous N is released first):
    /// the estimate of the largest N.
    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        let n_max = self.grid.axes[0].values.max_int()? as usize;
        let (o, a, m) = self.choices;
        Some(MemoryEstimate {
            bytes_per_rank: qk_lindblad::lmg::estimate_memory_bytes_for(
                n_max,
                self.ordering,
                self.options.arithmetic,
                self.options.method,
            ),
            flag: "--n".into(),
            what: format!(
                "N = {n_max} with --ordering {} --arithmetic {} --method {}",
                spelled(&o),
                spelled(&a),
                spelled(&m)
            ),
        })
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(LmgWorker {
            plan: None,
            ordering: self.ordering,
            options: self.options,
            label: self.method_label(),
        })
    }
}

struct LmgWorker {
    /// The plan and the N it was built for.
    plan: Option<(usize, LmgSolver)>,
    ordering: LmgOrdering,
    options: SteadyStateOptions,
    /// Provenance label of the points this worker solves.
    label: String,
}

impl Worker for LmgWorker {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let point = task.point;
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
        Ok(Record::new()
            .scalar("jz", o.jz)
            .scalar("jx2", o.jx2)
            .scalar("jy2", o.jy2)
            .scalar("jz2", o.jz2)
            .scalar("concurrence", o.concurrence)
            .scalar("residual", o.residual)
            .scalar("trace", o.trace)
            .scalar("hermiticity_error", o.hermiticity_error)
            .scalar("min_eigenvalue", o.min_eigenvalue)
            .scalar("purity", o.purity)
            .scalar("refinement_steps", o.refinement_steps as f64)
            .scalar("krylov_iterations", o.krylov_iterations as f64)
            .method(self.label.clone()))
    }
}
