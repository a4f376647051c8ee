//! `qk gap`: the slow modes and the Liouvillian gap of the dissipative LMG
//! model (seed 001: critical slowing down at h₊ᶜ), per parity block. The
//! ordering and symbolic analysis of each block are built once per N on a
//! rank and reused by its later points of that N.
//!
//! For each block the `--k` eigenvalues of `L` nearest `--shift` (default a
//! small positive real σ, to the right of the spectrum: the eigenvalues
//! nearest 0) by shift-invert Arnoldi on the complex multifrontal
//! factorization of `L_b − σ` (`qk_lindblad::spectra::slow`); in the even
//! block the steady state (λ = 0) is deflated. `gap` = the smallest |Re λ|
//! over the returned eigenvalues of both blocks (`gap_even`, `gap_odd` per
//! block); each eigenvalue's relative residual ‖Lx − λx‖/(‖L‖‖x‖) is written
//! and must be below 1e-12, else the point fails. Eigenvalues are listed
//! nearest the shift first along the trailing axis `mode`. Axes as `qk lmg`.

use crate::error::{DriverError, InputError, PointError};
use crate::grid::{AxisValues, Grid};
use crate::model::{ExtraAxis, MemoryEstimate, Model, ModelArgs, ObservableSpec, Record, Task, Worker};
use crate::models::lmg::LmgPointArgs;
use crate::models::spectrum::lmg_point;
use crate::sysinfo::Threads;
use clap::Args;
use qk_lindblad::Complex64;
use qk_lindblad::spectra::lmg::lmg_shifted_block_reusing;
use qk_lindblad::spectra::ShiftedBlock;
use qk_lindblad::spectra::slow::{gap, slow_modes, SlowOptions};
use qk_lindblad::{Arithmetic, LmgOrdering, SolveMethod};

/// Liouvillian gap and slowest eigenvalues of the dissipative LMG model (shift-invert Arnoldi).
#[derive(Args, Debug)]
pub struct GapArgs {
    #[command(flatten)]
    pub point: LmgPointArgs,
    /// Eigenvalues per parity block (≥ 1), nearest the shift.
    #[arg(long = "k", value_name = "K", default_value_t = 4, allow_hyphen_values = true, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub k: u32,
    /// Real shift σ of the shift-invert Arnoldi (the eigenvalues nearest σ are
    /// found); the default, small and positive, is never an eigenvalue.
    #[arg(long = "shift", value_name = "SIGMA", default_value_t = 1e-3, allow_hyphen_values = true, value_parser = finite)]
    pub shift: f64,
    /// Threads per rank of the nd factorization (auto or a number ≥ 1).
    #[arg(long = "threads", value_name = "T", default_value = "auto")]
    pub threads: Threads,
}

fn finite(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("'{text}' is not finite"))
    }
}

/// Eigenvalues of the smaller LMG parity block for `n` spins besides the
/// steady state: the even block holds ⌈D²/2⌉ entries ρ_kl (k + l even, one
/// of them the steady state), the odd one ⌊D²/2⌋ (D = N + 1).
pub fn max_modes(n: usize) -> usize {
    let d2 = (n + 1) * (n + 1);
    (d2.div_ceil(2) - 1).min(d2 / 2)
}

impl ModelArgs for GapArgs {
    fn build(&self) -> Result<Box<dyn Model>, DriverError> {
        let grid = Grid::new(self.point.axes());
        if let AxisValues::Int(ns) = &grid.axes[0].values {
            if let Some(&n) = ns.iter().min() {
                let most = max_modes(n.max(0) as usize);
                if self.k as usize > most {
                    return Err(InputError::new(
                        "--k",
                        format!(
                            "{} is not allowed: N = {n} has only {most} eigenvalues per parity block \
                             besides the steady state (use --k ≤ {most} or larger N)",
                            self.k
                        ),
                    )
                    .into());
                }
            }
        }
        Ok(Box::new(GapModel {
            grid,
            k: self.k as usize,
            shift: self.shift,
            threads: self.threads,
        }))
    }
}

pub struct GapModel {
    grid: Grid,
    k: usize,
    shift: f64,
    threads: Threads,
}

const PER_MODE: [(&str, &str, &str); 6] = [
    ("even_re", "energy", "Re λ of the even block's slowest eigenvalues (steady state deflated)"),
    ("even_im", "energy", "Im λ of the even block's slowest eigenvalues"),
    ("even_residual", "1", "relative residual ‖Lx − λx‖/(‖L‖‖x‖) of each even-block eigenpair"),
    ("odd_re", "energy", "Re λ of the odd block's slowest eigenvalues"),
    ("odd_im", "energy", "Im λ of the odd block's slowest eigenvalues"),
    ("odd_residual", "1", "relative residual of each odd-block eigenpair"),
];

impl Model for GapModel {
    fn name(&self) -> &'static str {
        "gap"
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn options(&self) -> Vec<(String, String)> {
        vec![
            ("k".into(), self.k.to_string()),
            ("shift".into(), format!("{:e}", self.shift)),
        ]
    }

    fn settings(&self) -> Vec<(String, String)> {
        vec![("threads".into(), self.threads.resolve().to_string())]
    }

    fn observables(&self) -> Vec<ObservableSpec> {
        let mut v = vec![
            ObservableSpec::scalar("gap", "energy", "smallest |Re λ| over both blocks' slowest eigenvalues"),
            ObservableSpec::scalar("gap_even", "energy", "smallest |Re λ| of the even block (steady state excluded)"),
            ObservableSpec::scalar("gap_odd", "energy", "smallest |Re λ| of the odd block"),
            ObservableSpec::scalar("arnoldi_steps", "1", "Arnoldi steps (both blocks)"),
        ];
        v.extend(
            PER_MODE
                .iter()
                .map(|(n, u, d)| ObservableSpec::over(n, u, d, &["mode"])),
        );
        v
    }

    fn extra_axes(&self) -> Vec<ExtraAxis> {
        vec![ExtraAxis {
            name: "mode".into(),
            flag: "--k".into(),
            values: AxisValues::Int((0..self.k as i64).collect()),
            units: "1".into(),
            description: "eigenvalue rank by distance from the shift (0 = nearest)".into(),
        }]
    }

    fn cost(&self, point: &[f64]) -> f64 {
        point[0].powi(3)
    }

    fn memory_per_rank(&self) -> Option<MemoryEstimate> {
        let n = self.grid.axes[0].values.max_int()? as usize;
        let complex = qk_lindblad::lmg::estimate_memory_bytes_for(
            n,
            LmgOrdering::NestedDissection,
            Arithmetic::Complex,
            SolveMethod::Direct,
        );
        let block = ((n + 1) * (n + 1) / 2 + 1) as u64;
        let basis = (SlowOptions::default().max_steps as u64 + 1) * block * 16;
        Some(MemoryEstimate {
            bytes_per_rank: complex + basis,
            flag: "--n".into(),
            what: format!("N = {n} (complex block factor and Arnoldi basis)"),
        })
    }

    fn worker(&self) -> Box<dyn Worker + '_> {
        Box::new(GapWorker {
            model: self,
            blocks: [None, None],
        })
    }
}

struct GapWorker<'a> {
    model: &'a GapModel,
    /// The even and odd shifted blocks of the previous point (ordering and
    /// symbolic analysis reused by every point of the same N).
    blocks: [Option<ShiftedBlock>; 2],
}

impl Worker for GapWorker<'_> {
    fn compute(&mut self, task: &Task<'_>) -> Result<Record, PointError> {
        let m = self.model;
        let p = lmg_point(task.point);
        let threads = m.threads.resolve();
        let options = SlowOptions {
            k: m.k,
            shift: Complex64::new(m.shift, 0.0),
            ..Default::default()
        };
        let mut rec = Record::new();
        let mut parts = Vec::new();
        let mut steps = 0;
        for odd in [false, true] {
            let name = if odd { "odd" } else { "even" };
            let cached = self.blocks[usize::from(odd)].take();
            let (mut block, t) = lmg_shifted_block_reusing(&p, odd, threads, cached)
                .map_err(|e| PointError(format!("{name} block: {e}")))?;
            let deflate = if odd { None } else { Some(&t[..]) };
            let modes = slow_modes(&mut block, deflate, options);
            self.blocks[usize::from(odd)] = Some(block);
            let modes = modes.map_err(|e| PointError(format!("{name} block: {e}")))?;
            if modes.eigenvalues.len() != m.k {
                return Err(PointError(format!(
                    "{name} block has only {} eigenvalues besides the steady state (--k {})",
                    modes.eigenvalues.len(),
                    m.k
                )));
            }
            steps += modes.steps;
            parts.push(modes);
        }
        let g_even = gap(&parts[0].eigenvalues).unwrap_or(f64::NAN);
        let g_odd = gap(&parts[1].eigenvalues).unwrap_or(f64::NAN);
        rec = rec
            .scalar("gap", g_even.min(g_odd))
            .scalar("gap_even", g_even)
            .scalar("gap_odd", g_odd)
            .scalar("arnoldi_steps", steps as f64);
        for modes in &parts {
            let re: Vec<f64> = modes.eigenvalues.iter().map(|l| l.re).collect();
            let im: Vec<f64> = modes.eigenvalues.iter().map(|l| l.im).collect();
            let (nr, ni, nres) = if std::ptr::eq(modes, &parts[0]) {
                ("even_re", "even_im", "even_residual")
            } else {
                ("odd_re", "odd_im", "odd_residual")
            };
            rec = rec.array(nr, &re).array(ni, &im).array(nres, &modes.residuals);
        }
        Ok(rec.method("shift-invert-arnoldi/nd/complex"))
    }
}
