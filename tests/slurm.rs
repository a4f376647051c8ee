//! The sbatch template against a real (local, one-node) Slurm: the job runs
//! `qk lmg` on 2 ranks through srun, writes the same results as a 1-rank run,
//! and a resubmission of the finished job (it always passes --resume) succeeds
//! without recomputing.
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
