//! One run of `qk <model>`: MPI start, the up-front checks (memory on every node, the
//! output path and its lock), the output file, the sweep over the ranks, the summary
//! line (or, after a stopping signal, the `interrupted:` line and exit status 3).

use crate::cli::OutputArgs;
use crate::error::{DriverError, InputError};
use crate::file_safety::{self, OutputLock};
use crate::limits::{self, NodeMemory};
use crate::model::{Model, RanksPerTask};
use crate::output;
use crate::progress;
use crate::record::RecordLayout;
use crate::schedule;
use crate::signals;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::Root;
use std::process::ExitCode;
use std::time::Instant;

/// Host names are gathered in fixed-length fields of this many bytes.
const HOST_LEN: usize = 64;

fn host_field() -> [u8; HOST_LEN] {
    let mut name = [0u8; HOST_LEN];
    let host = mpi::environment::processor_name().unwrap_or_default();
    let bytes = host.as_bytes();
    let n = bytes.len().min(HOST_LEN);
    name[..n].copy_from_slice(&bytes[..n]);
    name
}

fn host_name(field: &[u8]) -> String {
    String::from_utf8_lossy(field)
        .trim_end_matches('\0')
        .to_string()
}

fn gather_hosts(world: &SimpleCommunicator) -> Vec<String> {
    let name = host_field();
    let root = world.process_at_rank(0);
    if world.rank() == 0 {
        let mut all = vec![0u8; HOST_LEN * world.size() as usize];
        root.gather_into_root(&name[..], &mut all[..]);
        let mut hosts: Vec<String> = all.chunks(HOST_LEN).map(host_name).collect();
        hosts.sort();
        hosts.dedup();
        hosts
    } else {
        root.gather_into(&name[..]);
        Vec::new()
    }
}

/// Gather every rank's node (host, ranks on it, memory limit) on rank 0 and refuse the
/// run if some node cannot hold its ranks: the model's per-rank estimate times the ranks
/// MPI placed there, plus on rank 0's node the driver's own bookkeeping.
fn check_node_memory(
    world: &SimpleCommunicator,
    model: &dyn Model,
    layout: &RecordLayout,
) -> Result<(), InputError> {
    let node = world.split_shared(world.rank());
    let on_node = node.size() as u64;
    let limit = limits::memory_limit();
    let mine = [
        on_node,
        limit.as_ref().map_or(0, |l| l.bytes),
        u64::from(node.rank() == 0),
    ];
    let root = world.process_at_rank(0);
    let fields = host_field();
    if world.rank() != 0 {
        root.gather_into(&mine[..]);
        root.gather_into(&fields[..]);
        return Ok(());
    }
    let size = world.size() as usize;
    let mut all = vec![0u64; 3 * size];
    let mut hosts = vec![0u8; HOST_LEN * size];
    root.gather_into_root(&mine[..], &mut all[..]);
    root.gather_into_root(&fields[..], &mut hosts[..]);

    let record_bytes = layout.total as u64 * 8;
    let estimate = model.memory_per_rank();
    let per_rank = estimate.as_ref().map_or(0, |e| e.bytes_per_rank) + record_bytes;
    let points = model.grid().len() as u64;
    let driver = points.saturating_mul(limits::DRIVER_BYTES_PER_POINT);
    for (r, info) in all.chunks(3).enumerate() {
        if info[2] == 0 {
            continue; // one report per node: from its first rank
        }
        let rank0_node = r == 0
            || host_name(&hosts[r * HOST_LEN..(r + 1) * HOST_LEN]) == host_name(&hosts[..HOST_LEN]);
        let node = NodeMemory {
            host: host_name(&hosts[r * HOST_LEN..(r + 1) * HOST_LEN]),
            ranks: info[0] as usize,
            need: per_rank.saturating_mul(info[0]),
            limit: (info[1] > 0).then(|| limits::MemoryLimit {
                bytes: info[1],
                source: limit.as_ref().map_or("this node", |l| l.source),
            }),
        };
        if node.exceeded() {
            let (flag, what) = match &estimate {
                Some(e) => (e.flag.as_str(), e.what.clone()),
                None => ("--output", "one record per rank".to_string()),
            };
            return Err(InputError::new(flag, node.describe(&what)));
        }
        let with_driver = NodeMemory {
            need: node
                .need
                .saturating_add(if rank0_node { driver } else { 0 }),
            ..node
        };
        if with_driver.exceeded() {
            let longest = model
                .grid()
                .axes
                .iter()
                .max_by_key(|a| a.values.len())
                .map_or("--output", |a| a.flag.as_str());
            return Err(InputError::new(
                longest,
                with_driver.describe(&format!(
                    "a grid of {points} points (the driver keeps {} bytes per point on rank 0)",
                    limits::DRIVER_BYTES_PER_POINT
                )),
            ));
        }
    }
    Ok(())
}

/// Run the sweep of `model` with the output flags `out`; the process's exit status.
pub fn run(model: &dyn Model, out: &OutputArgs, command_line: String) -> ExitCode {
    let Some((universe, threading)) = mpi::initialize_with_threading(mpi::Threading::Multiple)
    else {
        eprintln!("qk: error: MPI was already initialised");
        return ExitCode::from(1);
    };
    signals::install(); // again: MPI start-up may have installed its own handlers
    let world = universe.world();
    let rank = world.rank();
    let size = world.size() as usize;
    let hosts = gather_hosts(&world);
    let layout = match RecordLayout::of(model) {
        Ok(l) => l,
        Err(e) => {
            if rank == 0 {
                eprintln!("qk: error: {e}");
            }
            return ExitCode::from(e.exit_status());
        }
    };
    let memory = check_node_memory(&world, model, &layout);

    let requested = model.ranks_per_task();
    // Rank 0 checks the output, locks it and opens it; everyone learns the verdict.
    let mut prepared: Option<(OutputLock, output::Output, Vec<usize>)> = None;
    let mut verdict: u8 = 0;
    if rank == 0 {
        let prepare = || -> Result<(OutputLock, output::Output, Vec<usize>), DriverError> {
            memory?;
            if let RanksPerTask::Fixed(r) = requested {
                if size % r != 0 {
                    return Err(InputError::new(
                        "--ranks-per-task",
                        format!(
                            "{r} does not divide the {size} MPI ranks; choose a divisor of {size}"
                        ),
                    )
                    .into());
                }
            }
            let path = file_safety::resolve(&out.output)?;
            file_safety::check_output_path(&path, out.resume, out.force)?;
            // the lock first: nothing is looked at or touched while another job holds it
            let lock = OutputLock::acquire(&path)?;
            file_safety::remove_stale_temps(&path);
            let exists = file_safety::check_output_path(&path, out.resume, out.force)?;
            let info = output::RunInfo {
                command_line: command_line.clone(),
                mpi_library: mpi::environment::library_version()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                mpi_ranks: size,
                hosts: hosts.clone(),
            };
            let (mut o, pending) = if exists && out.resume {
                output::Output::resume(&path, model, &layout, out.retry_failed)?
            } else {
                let o = output::Output::create(&path, model, &layout, &info)?;
                (o, (0..model.grid().len()).collect())
            };
            o.set_flush_interval(out.flush_interval);
            Ok((lock, o, pending))
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
    // the group size, from the points this run computes (known on rank 0 after a resume)
    let mut ranks_per_task = prepared.as_ref().map_or(0, |(_, _, pending)| {
        // rank 0 computes in a group of several only with MPI_THREAD_MULTIPLE
        let shares = threading == mpi::Threading::Multiple;
        requested.resolve(size, pending.len(), shares) as u64
    });
    world.process_at_rank(0).broadcast_into(&mut ranks_per_task);
    let ranks_per_task = ranks_per_task as usize;

    let start = Instant::now();
    let total = model.grid().len();
    let outcome = if let Some((_lock, output, pending)) = prepared {
        let mut writer = Writer {
            progress: progress::Progress::new(total, total - pending.len(), out.quiet),
            output,
            model,
            quiet: out.quiet,
        };
        let r = schedule::run_sweep(
            &world,
            threading,
            ranks_per_task,
            model,
            &layout,
            pending,
            &mut writer,
        );
        // what finished is written whatever happened to the sweep
        let committed = writer.output.commit();
        let r = r.and(committed);
        if r.is_ok() && signals::interrupted() {
            eprintln!(
                "qk: interrupted: {}/{} points done; rerun with --resume",
                writer.progress.done(),
                total
            );
            return ExitCode::from(signals::EXIT_INTERRUPTED);
        }
        writer.progress.finish();
        let r = r.and_then(|()| writer.output.write_derived(model));
        r.and_then(|()| {
            let failed = writer.output.failed_count()?;
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
        let r = schedule::run_sweep(
            &world,
            threading,
            ranks_per_task,
            model,
            &layout,
            Vec::new(),
            &mut |_| Ok(()),
        );
        if r.is_ok() && signals::interrupted() {
            return ExitCode::from(signals::EXIT_INTERRUPTED);
        }
        r
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

/// Rank 0's sink: finished points into the group commit, progress and failure notes.
struct Writer<'a> {
    output: output::Output,
    progress: progress::Progress,
    model: &'a dyn Model,
    quiet: bool,
}

impl schedule::Sink for Writer<'_> {
    fn finished(&mut self, result: schedule::TaskResult) -> Result<(), DriverError> {
        let failed = result.outcome.is_err();
        if let (Err(e), false) = (&result.outcome, self.quiet) {
            progress_note(&self.model.grid().point(result.index), self.model, e);
        }
        self.output.write(result)?;
        self.progress.point_finished(failed);
        Ok(())
    }

    fn idle(&mut self) -> Result<(), DriverError> {
        self.output.tick()
    }
}

fn progress_note(point: &[f64], model: &dyn Model, e: &crate::error::PointError) {
    // the swept axes; every axis when none is swept (a single point)
    let axes = &model.grid().axes;
    let swept = axes.iter().any(|a| a.values.len() > 1);
    let at: Vec<String> = axes
        .iter()
        .zip(point)
        .filter(|(a, _)| a.values.len() > 1 || !swept)
        .map(|(a, v)| format!("{}={}", a.name, v))
        .collect();
    eprintln!("qk: point {} failed: {e}", at.join(" "));
}
