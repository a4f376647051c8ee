//! The sbatch template against a real (local, one-node) Slurm: the job runs
//! `qk lmg` on 2 ranks through srun, writes the same results as a 1-rank run,
//! and a resubmission of the finished job (it always passes --resume) succeeds
//! without recomputing; and a job that reaches its time limit is requeued and completes.
//!
//! Needs root, slurm-wlm and munge (scripts/setup.sh installs them), so it is
//! `#[ignore]`d for plain `cargo test`; scripts/test.sh runs it explicitly.

mod common;
use common::*;
use std::process::Command;

fn sbatch_wait(
    conf: &str,
    dir: &std::path::Path,
    out: &std::path::Path,
    log: &std::path::Path,
) -> std::process::Output {
    let mut c = Command::new("timeout");
    c.args(["300", "sbatch", "--wait", "--ntasks=2", "--parsable"])
        .arg(format!("--chdir={}", dir.display()))
        .arg(format!("--output={}", log.display()))
        .arg("--export=ALL")
        .arg(workspace_root().join("slurm/lmg_sweep.sbatch"))
        .env("SLURM_CONF", conf)
        .envs([
            ("QK", qk()),
            ("N_GRID", "8,12"),
            ("H_GRID", "-0.2:1.2:6"),
            ("QK_PROGRESS_INTERVAL", "0"),
        ])
        .env("QK_HOME", workspace_root())
        .env("OUT", out);
    run(c)
}

#[test]
#[ignore = "needs a local Slurm (root); run by scripts/test.sh"]
fn sbatch_template_runs_on_a_local_cluster() {
    let start = run_ok(Command::new(
        workspace_root().join("scripts/slurm_local.sh"),
    ));
    let conf = String::from_utf8_lossy(&start.stdout).trim().to_string();
    assert!(conf.ends_with("slurm.conf"), "{conf}");

    let dir = scratch("slurm");
    let out = dir.join("lmg.h5");
    let log = dir.join("job.log");
    let r = sbatch_wait(&conf, &dir, &out, &log);
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        r.status.success(),
        "sbatch failed: {:?}\n{}\n{log_text}",
        r.status,
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(log_text.contains("12/12 points"), "job log:\n{log_text}");

    let f = hdf5::File::open(&out).unwrap();
    assert_eq!(
        f.attr("mpi_ranks").unwrap().read_scalar::<u64>().unwrap(),
        2
    );
    drop(f); // a reader's lock would (rightly) make --resume refuse the file
    assert!(read_u8(&out, "status/done").iter().all(|&d| d == 1));

    // same numbers as one rank without Slurm
    let single = dir.join("single.h5");
    run_ok(qk_cmd(&[
        "lmg",
        "--n",
        "8,12",
        "--h=-0.2:1.2:6",
        "-o",
        single.to_str().unwrap(),
        "-q",
    ]));
    for name in ["jz", "jx2", "jy2", "jz2", "concurrence"] {
        assert_eq!(
            read_f64(&out, &format!("results/{name}")),
            read_f64(&single, &format!("results/{name}")),
            "{name}"
        );
    }

    // a requeued/resubmitted job finds the file complete and succeeds
    let before = read_f64(&out, "status/wall_time");
    let log2 = dir.join("job2.log");
    let r = sbatch_wait(&conf, &dir, &out, &log2);
    assert!(
        r.status.success(),
        "{}",
        std::fs::read_to_string(&log2).unwrap_or_default()
    );
    assert_eq!(
        read_f64(&out, "status/wall_time"),
        before,
        "a resumed complete run recomputed points"
    );
}

fn scontrol(conf: &str, args: &[&str]) -> String {
    let mut c = Command::new("scontrol");
    c.args(args).env("SLURM_CONF", conf);
    String::from_utf8_lossy(&run(c).stdout).into_owned()
}

/// The lines of slurmctld's log that name a job, for a failure message.
fn slurmctld_lines(conf: &str, job: &str) -> String {
    let log = std::path::Path::new(conf).with_file_name("log/slurmctld.log");
    let needle = format!("JobId={job}");
    std::fs::read_to_string(&log)
        .unwrap_or_else(|e| format!("({}: {e})", log.display()))
        .lines()
        .filter(|l| l.contains(&needle) || l.contains(&format!("job {job}")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn field<'a>(show: &'a str, key: &str) -> &'a str {
    show.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or("")
}

/// slurm/probe_sweep.sbatch with a one-minute time limit: Slurm warns the job (SIGUSR1 up
/// to 45 s before the limit), qk writes and exits 3, the job requeues itself, and the
/// requeued runs complete the file with the same results as an uninterrupted run.
#[test]
#[ignore = "needs a local Slurm (root); run by scripts/test.sh"]
fn a_job_at_its_time_limit_is_requeued_and_completes() {
    let start = run_ok(Command::new(
        workspace_root().join("scripts/slurm_local.sh"),
    ));
    let conf = String::from_utf8_lossy(&start.stdout).trim().to_string();
    let dir = scratch("slurm-requeue");
    let out = dir.join("probe.h5");
    let log = dir.join("job.log");
    let (grid, points) = ("0:1:600", 600);
    let mut c = Command::new("sbatch");
    c.arg("--parsable")
        .arg(format!("--chdir={}", dir.display()))
        .arg(format!("--output={}", log.display()))
        .arg("--export=ALL")
        .arg(workspace_root().join("slurm/probe_sweep.sbatch"))
        .env("SLURM_CONF", &conf)
        .env("QK_HOME", workspace_root())
        .envs([
            ("QK", qk()),
            ("X_GRID", grid),
            ("SLEEP_MS", "100"),
            ("QK_PROGRESS_INTERVAL", "5"),
        ])
        .env("OUT", &out);
    let job = String::from_utf8_lossy(&run_ok(c).stdout)
        .trim()
        .to_string();
    let t = std::time::Instant::now();
    let mut released = 0;
    let mut states: Vec<String> = Vec::new();
    let mut held_since: Option<std::time::Instant> = None;
    loop {
        let show = scontrol(&conf, &["show", "job", &job]);
        let state = field(&show, "JobState").to_string();
        let diagnosis = |states: &[String]| {
            format!(
                "states seen: {states:?}\n{show}\njob log:\n{}\nslurmctld log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default(),
                slurmctld_lines(&conf, &job)
            )
        };
        assert!(
            t.elapsed().as_secs() < 600,
            "job {job} did not finish: {}",
            diagnosis(&states)
        );
        if states.last() != Some(&state) {
            states.push(state.clone());
        }
        if state == "COMPLETED" {
            break;
        }
        assert!(
            // SIGNALING: transient while slurmctld delivers the time-limit warning
            [
                "PENDING",
                "RUNNING",
                "SIGNALING",
                "REQUEUED",
                "COMPLETING",
                "CONFIGURING"
            ]
            .contains(&state.as_str()),
            "job {job} in state {state}: {}",
            diagnosis(&states)
        );
        // Slurm holds a requeued job about two minutes (BeginTime); release it sooner, but
        // not at once: slurmd refuses a restart whose credential is issued within the same
        // second as the revocation of the previous run's ("Killing non-startable batch
        // JobId=…: Job credential revoked", and the job ends FAILED)
        if state == "PENDING" && field(&show, "Reason") == "BeginTime" {
            let since = *held_since.get_or_insert_with(std::time::Instant::now);
            if since.elapsed().as_secs() >= 3 {
                scontrol(&conf, &["update", &format!("JobId={job}"), "StartTime=now"]);
                released += 1;
                held_since = None;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    eprintln!("job {job} states: {states:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("qk: interrupted: "),
        "never interrupted:\n{text}"
    );
    assert!(text.contains("requeueing job"), "{text}");
    assert!(text.contains("(restart 1)"), "{text}");
    assert!(
        text.contains(&format!(
            "wrote {}: {points} points, 0 failed",
            out.display()
        )),
        "{text}"
    );
    eprintln!(
        "job {job}: {} interruptions, {released} releases, {:.0} s\n{text}",
        text.matches("qk: interrupted").count(),
        t.elapsed().as_secs_f64()
    );
    // identical to an uninterrupted run
    let single = dir.join("single.h5");
    run_ok(qk_cmd(&[
        "probe",
        "--x",
        grid,
        "-o",
        single.to_str().unwrap(),
        "-q",
    ]));
    assert!(read_u8(&out, "status/done").iter().all(|&d| d == 1));
    for name in ["results/value", "results/series"] {
        assert_eq!(read_f64(&out, name), read_f64(&single, name), "{name}");
    }
}

/// A template, its extra sbatch flags and its environment.
type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

/// Every other template runs as written (small grids through its environment
/// variables) and writes a complete file; the job array's parts concatenate along tau
/// with xarray into the grid of one run.
#[test]
#[ignore = "needs a local Slurm (root); run by scripts/test.sh"]
fn every_template_runs_and_the_array_parts_merge() {
    let start = run_ok(Command::new(
        workspace_root().join("scripts/slurm_local.sh"),
    ));
    let conf = String::from_utf8_lossy(&start.stdout).trim().to_string();
    let dir = scratch("slurm-templates");
    // a model file for the steady template
    let models = dir.join("models");
    let mut c = Command::new(python());
    c.current_dir(workspace_root()).args([
        "scripts/example_models.py",
        models.to_str().unwrap(),
        "--kerr-n",
        "8",
        "--jc-n",
        "3",
        "--ising-n",
        "2",
        "--lmg-n",
        "4",
    ]);
    run_ok(c);
    let kerr = models.join("kerr.h5");
    let kerr = kerr.to_str().unwrap();
    let cases: [Case; 9] = [
        ("spinwave.sbatch", &[], &[]),
        (
            "lindemann_sweep.sbatch",
            &["--ntasks=2"],
            &[("TAU_GRID", "0:2:5")],
        ),
        (
            "kicked_sweep.sbatch",
            &["--ntasks=2"],
            &[
                ("HBAR_GRID", "0.2"),
                ("EPS_GRID", "0,0.5"),
                ("N1", "16"),
                ("N2", "16"),
                ("KICKS", "5"),
            ],
        ),
        (
            "spectrum_sweep.sbatch",
            &["--ntasks=2"],
            &[
                ("N_GRID", "6"),
                ("H_GRID", "0.5,1"),
                ("OMEGA_GRID", "-1:1:5"),
            ],
        ),
        (
            "gap_sweep.sbatch",
            &["--ntasks=2"],
            &[("N_GRID", "6,8"), ("H_GRID", "0.5")],
        ),
        (
            "classical_sweep.sbatch",
            &["--ntasks=2"],
            &[
                ("EPS_GRID", "0,0.5"),
                ("TRAJECTORIES", "10"),
                ("KICKS", "5"),
            ],
        ),
        (
            "steady_sweep.sbatch",
            &["--ntasks=2"],
            &[("MODEL", kerr), ("MODEL_FLAGS", "--delta -1:1:3 --f 0.5")],
        ),
        (
            "jumps_sweep.sbatch",
            &["--ntasks=2"],
            &[
                ("N_GRID", "4"),
                ("H_GRID", "0.5"),
                ("TRAJECTORIES", "8"),
                ("T_END", "1"),
                ("TIMES", "3"),
            ],
        ),
        (
            "lindemann_array.sbatch",
            &["--array=0-1", "--ntasks=1"],
            &[("POINTS", "4"), ("TAU_MAX", "2"), ("PREFIX", "part")],
        ),
    ];
    for (template, flags, vars) in cases {
        let name = template.trim_end_matches(".sbatch");
        let out = dir.join(format!("{name}.h5"));
        let log = dir.join(format!("{name}-%a.log"));
        let mut c = Command::new("timeout");
        c.args(["300", "sbatch", "--wait", "--parsable"])
            .args(flags)
            .arg(format!("--chdir={}", dir.display()))
            .arg(format!("--output={}", log.display()))
            .arg("--export=ALL")
            .arg(workspace_root().join("slurm").join(template))
            .env("SLURM_CONF", &conf)
            .env("QK_HOME", workspace_root())
            .env("QK", qk())
            .env("OUT", &out)
            .envs(vars.iter().copied());
        let r = run(c);
        let logs: String = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(name))
            .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        assert!(r.status.success(), "{template}: {:?}\n{logs}", r.status);
        if name != "lindemann_array" {
            assert!(
                read_u8(&out, "status/done").iter().all(|&d| d == 1),
                "{template}"
            );
        }
    }
    // the array's two parts are one 8-point tau grid
    let whole = dir.join("whole.h5");
    run_ok(qk_cmd(&[
        "lindemann",
        "--dim",
        "3",
        "--tau",
        "0:1.75:8",
        "-o",
        whole.to_str().unwrap(),
        "-q",
    ]));
    let script = r#"
import sys, numpy as np, xarray as xr
parts = [xr.open_dataset(p, group="results", engine="h5netcdf") for p in sys.argv[1:3]]
merged = xr.concat(parts, dim="tau")
whole = xr.open_dataset(sys.argv[3], group="results", engine="h5netcdf")
assert np.allclose(merged["tau"].values, whole["tau"].values, rtol=0, atol=1e-12), (merged["tau"].values, whole["tau"].values)
np.testing.assert_allclose(merged["lindemann_ratio"].values, whole["lindemann_ratio"].values, rtol=1e-9)
print("merged", merged.sizes["tau"])
"#;
    let mut c = Command::new(python());
    c.args(["-c", script])
        .arg(dir.join("part_0.h5"))
        .arg(dir.join("part_1.h5"))
        .arg(&whole);
    let out = run_ok(c);
    assert!(String::from_utf8_lossy(&out.stdout).contains("merged 8"));
}
