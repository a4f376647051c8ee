//! The `qk` sweep engine: parameter grids, MPI scheduling with dynamic load
//! balancing, HDF5 output written as points finish, and `--resume`.
//!
//! Data flows one way: CLI → [`grid::Grid`] of points → [`schedule`] hands
//! points to ranks → a model's [`model::Worker`] computes a point's record →
//! rank 0 writes it with [`output::Output`] and marks it done.
//!
//! Exit status: 0 when the sweep finished (numerically failed points are
//! recorded per point, see `/status/error`), 2 for bad input (one line naming
//! the flag, nothing written), 1 for I/O or MPI failure.

pub mod cli;
pub mod error;
pub mod grid;
pub mod model;
pub mod models;
pub mod output;
pub mod progress;
pub mod schedule;
pub mod sysinfo;

use clap::Parser;
use error::{DriverError, InputError};
use model::Model;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::Root;
use std::process::ExitCode;
use std::time::Instant;

/// Commit the binary was built from.
pub const GIT_COMMIT: &str = env!("QK_GIT_COMMIT");

/// Refuse a point whose estimated peak memory exceeds this node's memory.
pub fn check_memory(flag: &str, what: &str, estimate_bytes: u64) -> Result<(), InputError> {
    let Some(total) = sysinfo::total_memory_bytes() else {
        return Ok(());
    };
    if estimate_bytes > total {
        return Err(InputError::new(
            flag,
            format!(
                "{what} needs an estimated {} but this node has {}; choose a smaller size",
                sysinfo::format_bytes(estimate_bytes),
                sysinfo::format_bytes(total)
            ),
        ));
    }
    Ok(())
}

fn quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

pub fn main() -> ExitCode {
    sysinfo::tune_mpi_start_up();
    // Only the first rank speaks about bad input; every rank validates the same way.
    let speaks = sysinfo::launcher_rank().unwrap_or(0) == 0;
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if speaks || !e.use_stderr() {
                let _ = e.print();
            }
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let command_line = std::env::args()
        .map(|a| quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let (model, output) = match cli.command.build() {
        Ok(x) => x,
        Err(e) => {
            if speaks {
                eprintln!("qk: error: {e}");
            }
            return ExitCode::from(e.exit_status());
        }
    };
    run(model.as_ref(), output, command_line)
}

fn gather_hosts(world: &SimpleCommunicator) -> Vec<String> {
    const LEN: usize = 64;
    let mut name = [0u8; LEN];
    let host = mpi::environment::processor_name().unwrap_or_default();
    let bytes = host.as_bytes();
    let n = bytes.len().min(LEN);
    name[..n].copy_from_slice(&bytes[..n]);
    let root = world.process_at_rank(0);
    if world.rank() == 0 {
        let mut all = vec![0u8; LEN * world.size() as usize];
        root.gather_into_root(&name[..], &mut all[..]);
        let mut hosts: Vec<String> = all
            .chunks(LEN)
            .map(|c| {
                String::from_utf8_lossy(c)
                    .trim_end_matches('\0')
                    .to_string()
            })
            .collect();
        hosts.sort();
        hosts.dedup();
        hosts
    } else {
        root.gather_into(&name[..]);
        Vec::new()
    }
}

fn run(model: &dyn Model, out: &cli::OutputArgs, command_line: String) -> ExitCode {
    let Some((universe, threading)) = mpi::initialize_with_threading(mpi::Threading::Multiple)
    else {
        eprintln!("qk: error: MPI was already initialised");
        return ExitCode::from(1);
    };
    let world = universe.world();
    let rank = world.rank();
    let size = world.size() as usize;
    let hosts = gather_hosts(&world);

    let r = model.ranks_per_task();
    // Rank 0 checks the output and opens it; everyone learns the verdict.
    let mut prepared: Option<(output::Output, Vec<usize>)> = None;
    let mut verdict: u8 = 0;
    if rank == 0 {
        let prepare = || -> Result<(output::Output, Vec<usize>), DriverError> {
            if size % r != 0 {
                return Err(InputError::new(
                    "--ranks-per-task",
                    format!("{r} does not divide the {size} MPI ranks; choose a divisor of {size}"),
                )
                .into());
            }
            let exists = output::check_output_path(&out.output, out.resume, out.force)?;
            let info = output::RunInfo {
                command_line: command_line.clone(),
                mpi_library: mpi::environment::library_version()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                mpi_ranks: size,
                hosts: hosts.clone(),
            };
            if exists && out.resume {
                output::Output::resume(&out.output, model)
            } else {
                let o = output::Output::create(&out.output, model, &info)?;
                Ok((o, (0..model.grid().len()).collect()))
            }
        };
        match prepare() {
            Ok(p) => prepared = Some(p),
            Err(e) => {
                eprintln!("qk: error: {e}");
                verdict = e.exit_status();
            }
        }
    }
    world.process_at_rank(0).broadcast_into(&mut verdict);
    if verdict != 0 {
        return ExitCode::from(verdict);
    }

    let start = Instant::now();
    let total = model.grid().len();
    let outcome = if let Some((mut output, pending)) = prepared {
        let mut progress = progress::Progress::new(total, total - pending.len(), out.quiet);
        let mut sink = |result: schedule::TaskResult| -> Result<(), DriverError> {
            output.write(&result)?;
            let failed = result.outcome.is_err();
            if let (Err(e), false) = (&result.outcome, out.quiet) {
                progress_note(&model.grid().point(result.index), model, e);
            }
            progress.point_finished(failed);
            Ok(())
        };
        let r = schedule::run_sweep(&world, threading, model, pending, &mut sink);
        progress.finish();
        r.and_then(|()| {
            let failed = output.failed_count()?;
            if !out.quiet {
                eprintln!(
                    "qk: wrote {}: {} points, {} failed{}, {:.2} s on {} rank{}",
                    out.output.display(),
                    total,
                    failed,
                    if failed > 0 {
                        " (see /status/error)"
                    } else {
                        ""
                    },
                    start.elapsed().as_secs_f64(),
                    size,
                    if size == 1 { "" } else { "s" }
                );
            }
            Ok(())
        })
    } else {
        schedule::run_sweep(&world, threading, model, Vec::new(), &mut |_| Ok(()))
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qk: error: {e}");
            if size > 1 {
                world.abort(1);
            }
            ExitCode::from(e.exit_status())
        }
    }
}

fn progress_note(point: &[f64], model: &dyn Model, e: &error::PointError) {
    let at: Vec<String> = model
        .grid()
        .axes
        .iter()
        .zip(point)
        .filter(|(a, _)| a.values.len() > 1)
        .map(|(a, v)| format!("{}={}", a.name, v))
        .collect();
    eprintln!("qk: point {} failed: {e}", at.join(" "));
}
