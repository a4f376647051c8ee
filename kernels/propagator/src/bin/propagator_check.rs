//! Helper binary for the distributed tests and the pyFFTW comparison (not a
//! user tool; the user-facing entry point is `qk kicked`).
//!
//! ```text
//! propagator-check dist  [key=value…] out=FILE   # run `kicks` periods, write exchange mode, observables + final state (rank 0)
//! propagator-check time  [key=value…] [state=FILE] [repeat=R]   # time set-up, periods, observables, the purity alone; print JSON (rank 0)
//! ```
//!
//! Keys: hbar mass eps k1 k2 lambda n1 n2 substeps interaction=continuous|kicked kicks.
//! Runs on MPI_COMM_WORLD. Exit status 2 on bad input.

use mpi::collective::CommunicatorCollectives;
use mpi::topology::Communicator;
use qk_propagator::{Interaction, KickedParams, Propagator};
use std::io::Write;
use std::time::Instant;

/// CPU time of the calling thread in seconds (robust against other processes
/// sharing the cores; wall time is reported as well).
fn thread_cpu_time() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn parse(args: &[String]) -> Result<(KickedParams, usize, Option<String>, usize), String> {
    let mut p = KickedParams {
        n1: 31,
        n2: 31,
        substeps: 10,
        ..KickedParams::default()
    };
    let mut kicks = 5usize;
    let mut out = None;
    let mut repeat = 5usize;
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {a}"))?;
        let f = || v.parse::<f64>().map_err(|e| format!("{k}: {e}"));
        let u = || v.parse::<usize>().map_err(|e| format!("{k}: {e}"));
        match k {
            "hbar" => p.hbar = f()?,
            "mass" => p.mass = f()?,
            "eps" => p.eps = f()?,
            "k1" => p.k1 = f()?,
            "k2" => p.k2 = f()?,
            "lambda" => p.lambda = f()?,
            "n1" => p.n1 = u()?,
            "n2" => p.n2 = u()?,
            "substeps" => p.substeps = u()?,
            "kicks" => kicks = u()?,
            "repeat" => repeat = u()?,
            "interaction" => {
                p.interaction = match v {
                    "continuous" => Interaction::Continuous,
                    "kicked" => Interaction::Kicked,
                    _ => return Err(format!("interaction: {v}")),
                }
            }
            "out" | "state" => out = Some(v.to_string()),
            _ => return Err(format!("unknown key {k}")),
        }
    }
    Ok((p, kicks, out, repeat))
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialisation");
    let world = universe.world();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = run(&world, &args);
    drop(universe);
    std::process::exit(code);
}

fn run(world: &mpi::topology::SimpleCommunicator, args: &[String]) -> i32 {
    let Some(mode) = args.first() else {
        eprintln!("usage: propagator-check dist|time key=value…");
        return 2;
    };
    let (p, kicks, out, repeat) = match parse(&args[1..]) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    world.barrier();
    let t_new = Instant::now();
    let prop = Propagator::new(&p, world);
    world.barrier();
    let t_new = t_new.elapsed().as_secs_f64();
    let mut prop = match prop {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let rank = world.rank();
    match mode.as_str() {
        "dist" => {
            let initial = prop.gather_position_state();
            let mut lines = Vec::new();
            for _ in 0..kicks {
                prop.period();
                let o = prop.observables();
                lines.push(format!(
                    "obs {:.17e} {:.17e} {:.17e} {:.17e}",
                    o.p1_sq, o.p2_sq, o.norm, o.purity
                ));
            }
            let mom = prop.momentum_p1();
            let state = prop.gather_position_state();
            // then all the way back: the initial state again
            for _ in 0..kicks {
                prop.period_backward();
            }
            let back = prop.gather_position_state();
            if let (Some(state), Some(path)) = (state, out) {
                let mut f = std::fs::File::create(&path).expect("output file");
                writeln!(f, "mode {:?}", prop.exchange_mode()).unwrap();
                for l in &lines {
                    writeln!(f, "{l}").unwrap();
                }
                let m: Vec<String> = mom.iter().map(|v| format!("{v:.17e}")).collect();
                writeln!(f, "mom {}", m.join(" ")).unwrap();
                let s: Vec<String> = state
                    .iter()
                    .map(|v| format!("{:.17e} {:.17e}", v.re, v.im))
                    .collect();
                writeln!(f, "state {}", s.join(" ")).unwrap();
                if let (Some(a), Some(b)) = (initial, back) {
                    let d = a
                        .iter()
                        .zip(&b)
                        .map(|(x, y)| (x - y).norm())
                        .fold(0.0, f64::max);
                    writeln!(f, "back {d:.17e}").unwrap();
                }
            }
            0
        }
        "time" => {
            // warm-up period (page faults, caches), then `repeat` timed periods;
            // time = max over ranks of each period, report min and median.
            prop.period();
            let mut times = Vec::with_capacity(repeat);
            let mut cpu = Vec::with_capacity(repeat);
            for _ in 0..repeat {
                world.barrier();
                let c0 = thread_cpu_time();
                let t0 = Instant::now();
                prop.period();
                let local = [t0.elapsed().as_secs_f64(), thread_cpu_time() - c0];
                let mut t = [0.0; 2];
                world.all_reduce_into(
                    &local[..],
                    &mut t[..],
                    mpi::collective::SystemOperation::max(),
                );
                times.push(t[0]);
                cpu.push(t[1]);
            }
            cpu.sort_by(f64::total_cmp);
            world.barrier();
            let t_obs = Instant::now();
            let o = prop.observables();
            world.barrier();
            let t_obs = t_obs.elapsed().as_secs_f64();
            // the purity alone: observables with and without it, state
            // already in sine space (the first call transforms), `repeat`
            // calls each; t_purity = difference of the medians
            prop.observables_with(false);
            let mut with = Vec::with_capacity(repeat);
            let mut without = Vec::with_capacity(repeat);
            for _ in 0..repeat {
                for (flag, out) in [(true, &mut with), (false, &mut without)] {
                    world.barrier();
                    let t0 = Instant::now();
                    prop.observables_with(flag);
                    let mut t = 0.0;
                    world.all_reduce_into(
                        &t0.elapsed().as_secs_f64(),
                        &mut t,
                        mpi::collective::SystemOperation::max(),
                    );
                    out.push(t);
                }
            }
            with.sort_by(f64::total_cmp);
            without.sort_by(f64::total_cmp);
            let t_purity = with[repeat / 2] - without[repeat / 2];
            let state = prop.gather_position_state();
            if rank == 0 {
                let mut sorted = times.clone();
                sorted.sort_by(f64::total_cmp);
                let med = sorted[sorted.len() / 2];
                println!(
                    "{{\"n1\": {}, \"n2\": {}, \"ranks\": {}, \"exchange\": \"{:?}\", \"interaction\": \"{:?}\", \"substeps\": {}, \"periods_timed\": {}, \"t_new\": {:.6e}, \"t_observables\": {:.6e}, \"t_min\": {:.6e}, \"t_median\": {:.6e}, \"cpu_min\": {:.6e}, \"cpu_median\": {:.6e}, \"kicks_done\": {}, \"p1_sq\": {:.17e}, \"p2_sq\": {:.17e}, \"norm\": {:.17e}, \"purity\": {:.17e}, \"t_purity\": {:.6e}, \"purity_per_period\": {:.3}}}",
                    p.n1, p.n2, world.size(), prop.exchange_mode(), p.interaction, p.substeps, repeat, t_new, t_obs, sorted[0], med, cpu[0], cpu[cpu.len() / 2],
                    prop.kicks(), o.p1_sq, o.p2_sq, o.norm, o.purity, t_purity, t_purity / med
                );
                if let (Some(state), Some(path)) = (state, out) {
                    let mut bytes = Vec::with_capacity(state.len() * 16);
                    for v in &state {
                        bytes.extend_from_slice(&v.re.to_le_bytes());
                        bytes.extend_from_slice(&v.im.to_le_bytes());
                    }
                    std::fs::write(&path, bytes).expect("state file");
                }
            }
            0
        }
        _ => {
            eprintln!("error: unknown mode {mode}");
            2
        }
    }
}
