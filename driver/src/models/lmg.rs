//! `qk lmg`: steady states of the dissipative Lipkin-Meshkov-Glick model
//! (PHYSICS.md §1, seed 001 eq. 5), one sparse Lindblad solve per grid point.
//!
//! Axes: `n` (N spins, j = N/2), `h`, `lambda`, `gamma_a`, `gamma_b`; energies and
//! rates in one unit with ħ = 1. Each rank keeps the solver plan of the last N
//! it saw; points are handed out largest N first, so a plan serves many points.
//!
//! Retry chain: a point whose solve fails numerically (a singular factor, a
//! residual above the tolerance after refinement and GMRES, a non-positive ρ)
//! is solved again by the next, more robust method, until one succeeds:
//!
//! 1. the chosen `--ordering/--arithmetic/--method` (default nd/real/direct:
//!    multifrontal LU with threshold pivoting and delayed pivots);
//! 2. colamd/real/direct: faer's supernodal LU, pivots chosen in whole columns;
//! 3. colamd/complex/direct: the complex formulation (no Hermitian reduction);
//! 4. dense/complex/direct: dense LU with full pivoting, where the system is
//!    small (at most [`DENSE_MAX_UNKNOWNS`] unknowns).
//!
//! Methods equal to the chosen one are skipped, and so are those whose memory
//! estimate exceeds what this rank may use besides the chosen method's plan.
//! `/status/method` names the method that produced the result, `fallbacks` how
//! many failed before it; a point fails only when every method failed, with
//! each method's reason. Bad input is never retried.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{self, Axis, Grid, IntGrid, RealGrid};
use crate::model::{
    enum_option, spelled, MemoryEstimate, Model, ModelArgs, ObservableSpec, Record, Task,
    Worker,
};
use crate::sysinfo::Threads;
use clap::{Args, ValueEnum};
use qk_lindblad::{
    Arithmetic, LindbladError, LmgObservables, LmgOrdering, LmgParams, LmgSolver, SolveMethod,
    SteadyStateOptions,
};

/// Largest system (even-block unknowns) the dense last resort is tried on
/// (N ≈ 69; about 3 s and 200 MB).
pub const DENSE_MAX_UNKNOWNS: usize = 2500;

/// The LMG parameters as grids (`qk lmg`, `qk spectrum`, `qk gap`).
#[derive(Args, Debug)]
pub struct LmgPointArgs {
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
}

impl LmgPointArgs {
    /// The grid axes `n, h, lambda, gamma_a, gamma_b`.
    pub fn axes(&self) -> Vec<Axis> {
        let a = self;
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
        vec![n_axis, h, lambda, gamma_a, gamma_b]
    }
}

/// Steady states of the dissipative Lipkin-Meshkov-Glick model (sparse Lindblad solver).
#[derive(Args, Debug)]
pub struct LmgArgs {
    #[command(flatten)]
    pub point: LmgPointArgs,
    /// Fill-reducing ordering / factorization: nd (geometric nested
    /// dissection, multifrontal LU with threshold pivoting and delayed pivots;
    /// fastest), nd-supernodal (the same order in faer's supernodal LU), colamd
    /// (faer's COLAMD + supernodal LU) or dense (dense LU with full pivoting;
    /// small N). A point that fails is retried with more robust methods.
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
    /// the factor memory, for the largest N; needs --ordering nd).
    /// Iterations per point go to /results.
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
    Dense,
}

impl From<OrderingArg> for LmgOrdering {
    fn from(o: OrderingArg) -> Self {
        match o {
            OrderingArg::Nd => LmgOrdering::NestedDissection,
            OrderingArg::NdSupernodal => LmgOrdering::NdSupernodal,
            OrderingArg::Colamd => LmgOrdering::Colamd,
            OrderingArg::Dense => LmgOrdering::Dense,
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
        let ordering = LmgOrdering::from(a.ordering);
        let arithmetic = Arithmetic::from(a.arithmetic);
        let method = SolveMethod::from(a.method);
        if method == SolveMethod::Gmres && ordering != LmgOrdering::NestedDissection {
            return Err(InputError::new(
                "--method",
                "gmres needs --ordering nd (its preconditioner is the nd factor)",
            )
            .into());
        }
        Ok(LmgModel {
            grid: Grid::new(a.point.axes()),
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

}

/// One method of the retry chain (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rung {
    ordering: OrderingArg,
    arithmetic: ArithmeticArg,
    method: MethodArg,
}

impl Rung {
    /// The provenance label written to `/status/method`.
    fn label(&self) -> String {
        format!(
            "{}/{}/{}",
            spelled(&self.ordering),
            spelled(&self.arithmetic),
            spelled(&self.method)
        )
    }

    fn estimate(&self, n: usize) -> u64 {
        qk_lindblad::lmg::estimate_memory_bytes_for(
            n,
            self.ordering.into(),
            self.arithmetic.into(),
            self.method.into(),
        )
    }
}

/// The retry chain for `n` spins starting with `primary` (module docs).
fn retry_chain(primary: Rung, n: usize) -> Vec<Rung> {
    let direct = MethodArg::Direct;
    let mut chain = vec![
        primary,
        Rung {
            ordering: OrderingArg::Colamd,
            arithmetic: ArithmeticArg::Real,
            method: direct,
        },
        Rung {
            ordering: OrderingArg::Colamd,
            arithmetic: ArithmeticArg::Complex,
            method: direct,
        },
    ];
    let unknowns = (n + 1) * (n + 1) / 2 + 1;
    if unknowns <= DENSE_MAX_UNKNOWNS {
        chain.push(Rung {
            ordering: OrderingArg::Dense,
            arithmetic: ArithmeticArg::Complex,
            method: direct,
        });
    }
    let mut seen = Vec::with_capacity(chain.len());
    chain.retain(|r| {
        let new = !seen.contains(r);
        seen.push(*r);
        new
    });
    chain
}

const OBSERVABLES: [(&str, &str); 16] = [
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
        "GMRES iterations: --method gmres, or GMRES on the direct factor after perturbed pivots or stagnating refinement (0 otherwise)",
    ),
    (
        "delayed_pivots",
        "pivots of the nd multifrontal LU eliminated above their node (threshold pivoting; 0 for the other methods)",
    ),
    (
        "perturbed_pivots",
        "pivots replaced by a perturbation (static pivoting; 0 by default)",
    ),
    (
        "backward_error",
        "final normwise backward error of the trace-constrained linear system",
    ),
    (
        "fallbacks",
        "methods of the retry chain that failed (or were skipped for memory) before the one named in /status/method",
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
        let (ordering, arithmetic, method) = self.choices;
        Box::new(LmgWorker {
            primary: Rung {
                ordering,
                arithmetic,
                method,
            },
            options: self.options,
            plan: None,
            fallback: None,
        })
    }
}

struct LmgWorker {
    /// The chosen method.
    primary: Rung,
    /// Options of the chosen method (the fallbacks change the arithmetic and
    /// method).
    options: SteadyStateOptions,
    /// The chosen method's plan and the N it was built for.
    plan: Option<(usize, LmgSolver)>,
    /// The plan of the last fallback used, with its N and method.
    fallback: Option<(usize, Rung, LmgSolver)>,
}

impl LmgWorker {
    /// The solver of `rung` for `n` spins, built on first use (one fallback
    /// plan is kept at a time, none across N).
    fn solver(&mut self, rung: Rung, n: usize) -> Result<&mut LmgSolver, LindbladError> {
        let options = SteadyStateOptions {
            arithmetic: rung.arithmetic.into(),
            method: rung.method.into(),
            ..self.options
        };
        if rung == self.primary {
            if self.plan.as_ref().is_none_or(|(m, _)| *m != n) {
                self.plan = None; // release the old plan before building the new one
                self.fallback = None;
                let s = LmgSolver::with_ordering(n, options, rung.ordering.into())?;
                self.plan = Some((n, s));
            }
            return Ok(&mut self.plan.as_mut().expect("plan was just built").1);
        }
        if self
            .fallback
            .as_ref()
            .is_none_or(|(m, r, _)| *m != n || *r != rung)
        {
            self.fallback = None;
            let s = LmgSolver::with_ordering(n, options, rung.ordering.into())?;
            self.fallback = Some((n, rung, s));
        }
        Ok(&mut self.fallback.as_mut().expect("fallback was just built").2)
    }
}

fn record(o: &LmgObservables, fallbacks: usize, label: String) -> Record {
    Record::new()
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
        .scalar("delayed_pivots", o.delayed_pivots as f64)
        .scalar("perturbed_pivots", o.perturbed_pivots as f64)
        .scalar("backward_error", o.backward_error)
        .scalar("fallbacks", fallbacks as f64)
        .method(label)
}

/// [`crate::retry::run_chain`] with the methods' labels.
fn run_chain<T>(
    chain: &[Rung],
    budget: Option<u64>,
    estimate: impl Fn(Rung) -> u64,
    solve: impl FnMut(Rung) -> Result<T, LindbladError>,
) -> Result<(T, usize, Rung), String> {
    crate::retry::run_chain(chain, Rung::label, budget, estimate, solve)
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
        let chain = retry_chain(self.primary, p.n);
        let budget = crate::retry::rank_memory_budget().map(|b| b.saturating_sub(self.primary.estimate(p.n)));
        let (o, fallbacks, rung) = run_chain(
            &chain,
            budget,
            |r| r.estimate(p.n),
            |r| self.solver(r, p.n).and_then(|s| s.solve(&p)),
        )
        .map_err(PointError)?;
        Ok(record(&o, fallbacks, rung.label()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rung(o: OrderingArg, a: ArithmeticArg) -> Rung {
        Rung {
            ordering: o,
            arithmetic: a,
            method: MethodArg::Direct,
        }
    }

    #[test]
    fn chain_starts_with_the_choice_and_has_no_repeats() {
        let nd = rung(OrderingArg::Nd, ArithmeticArg::Real);
        let labels: Vec<String> = retry_chain(nd, 20).iter().map(Rung::label).collect();
        assert_eq!(
            labels,
            [
                "nd/real/direct",
                "colamd/real/direct",
                "colamd/complex/direct",
                "dense/complex/direct"
            ]
        );
        // large N: no dense last resort
        assert_eq!(retry_chain(nd, 400).len(), 3);
        // a chosen fallback is not tried twice
        let colamd = rung(OrderingArg::Colamd, ArithmeticArg::Real);
        let labels: Vec<String> = retry_chain(colamd, 400).iter().map(Rung::label).collect();
        assert_eq!(labels, ["colamd/real/direct", "colamd/complex/direct"]);
    }

    /// A numerical failure moves on to the next method, which is recorded;
    /// bad input is not retried; a method beyond the memory budget is
    /// skipped; when all fail, every reason is kept.
    #[test]
    fn chain_retries_numerical_failures_only() {
        let chain = retry_chain(rung(OrderingArg::Nd, ArithmeticArg::Real), 20);
        let singular = || LindbladError::Singular("zero pivot".into());
        let mut tried = Vec::new();
        let r = run_chain(&chain, None, |_| 0, |r| {
            tried.push(r.label());
            if r.ordering == OrderingArg::Nd {
                Err(singular())
            } else {
                Ok(r.label())
            }
        });
        assert_eq!(r, Ok(("colamd/real/direct".to_string(), 1, chain[1])));
        assert_eq!(tried, ["nd/real/direct", "colamd/real/direct"]);

        let r: Result<(String, usize, Rung), String> = run_chain(&chain, None, |_| 0, |_| {
            Err(LindbladError::InvalidInput("bad h".into()))
        });
        assert_eq!(r, Err("invalid input: bad h".to_string()));

        // colamd/real needs more than the budget: skipped, colamd/complex solves
        let r = run_chain(
            &chain,
            Some(100),
            |r| if r == chain[1] { 1000 } else { 10 },
            |r| if r == chain[0] { Err(singular()) } else { Ok(r.label()) },
        );
        assert_eq!(r, Ok(("colamd/complex/direct".to_string(), 2, chain[2])));

        let r: Result<(String, usize, Rung), String> =
            run_chain(&chain, None, |_| 0, |_| Err(singular()));
        let e = r.unwrap_err();
        for label in ["nd/real/direct", "colamd/real/direct", "colamd/complex/direct", "dense/complex/direct"] {
            assert!(e.contains(&format!("{label}: singular system: zero pivot")), "{e}");
        }
    }
}
