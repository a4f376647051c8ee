#!/usr/bin/env python3
"""Side-by-side timing of `qk lmg` and QuTiP 5 `steadystate` (dissipative LMG).

Usage (from the repository root, after `cargo build --release`):

    .venv/bin/python scripts/bench_vs_qutip.py [--sizes 50,100,200,400,800]
        [--h 0.9] [--sweep] [--qk target/release/qk] [--ranks 2] [--qutip-cpu-limit S]

Every measurement runs in a child process of this script, one after the
other, so both codes see the same machine state:

- QuTiP: a fresh Python process builds H and the collapse operators
  (scripts/qutip_lmg.py conventions) and times `qutip.steadystate(H, c_ops)`
  plus the expectation values (the import is not timed): wall and CPU time
  (all threads) of the solve. Peak RSS of that process (including the Python
  interpreter and imports) from /usr/bin/time. With --qutip-cpu-limit S, a
  QuTiP process that has used S CPU seconds is stopped (RLIMIT_CPU) and the
  speed-ups are printed as lower bounds (its process CPU time, the ~2 s import
  included, > S; its wall time >
  the wall time at the stop).
- qk: the wall time of the whole `qk lmg --n N --h H -o tmp.h5 -q` process
  (start-up, plan, solve, observables, HDF5 output) and its peak RSS; the
  per-point kernel time from /status/wall_time is printed as well. Its CPU
  time (user + system, all threads) comes from /usr/bin/time; on a machine
  shared with other work the CPU-time ratio is the figure that stays stable.

Agreement: |<Jz>/j (qk) - <Jz>/j (QuTiP)| must be below 1e-8 (exit 1
otherwise). With --sweep, also 201 values of h in [-0.5, 1.5] at N = 100 on
`--ranks` MPI ranks against a QuTiP loop over the same points (one process).
Defaults: lambda = 1, gamma_a = 0.01, gamma_b = 0.2.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

QUTIP_CHILD = r"""
import json, sys, time
sys.path.insert(0, {scripts!r})
import qutip_lmg
points = json.loads(sys.argv[1])
t0, c0 = time.perf_counter(), time.process_time()
out = [qutip_lmg.solve(p) for p in points]
dt, dc = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({{"time": dt, "cpu": dc, "jz": [o["jz"] for o in out]}}))
"""


def run_child(cmd, cpu_limit=None):
    """Run cmd; return (stdout, wall s, peak RSS bytes, CPU s).

    With `cpu_limit` (CPU seconds, RLIMIT_CPU) a process still running when it has
    used that much CPU time is stopped; then the result is ("stopped", wall s at the
    stop, 0, cpu_limit): both are lower bounds of what the run would have taken.
    """
    # /usr/bin/time reports the peak RSS and CPU time (user + system, all threads) of the
    # measured process alone (a child forked from this Python process would inherit its
    # high-water mark); CPU time is what stays comparable on a loaded machine
    def limit():
        if cpu_limit is not None:
            s = int(cpu_limit)
            resource.setrlimit(resource.RLIMIT_CPU, (s, s + 10))

    t0 = time.perf_counter()
    p = subprocess.run(
        ["/usr/bin/time", "-f", "QK_TIME %M %U %S", *cmd],
        capture_output=True, text=True, preexec_fn=limit,
    )
    wall = time.perf_counter() - t0
    if cpu_limit is not None and "terminated by signal" in p.stderr:
        return "stopped", wall, 0, float(cpu_limit)
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    rec = [l.split() for l in p.stderr.splitlines() if l.startswith("QK_TIME")][-1]
    return p.stdout, wall, int(rec[1]) * 1024, float(rec[2]) + float(rec[3])


def qutip_points(points, cpu_limit=None):
    """(solve wall s, <Jz>/j, peak RSS, solve CPU s), or (wall s, CPU s) at the stop
    if QuTiP used more than `cpu_limit` CPU seconds."""
    code = QUTIP_CHILD.format(scripts=os.path.join(ROOT, "scripts"))
    r = run_child([sys.executable, "-c", code, json.dumps(points)], cpu_limit)
    out, wall, rss, _ = r
    if out == "stopped":
        return wall, r[3]
    res = json.loads(out)
    return res["time"], np.array(res["jz"]), rss, res["cpu"]


def qk_run(qk, args, ranks=1):
    with tempfile.TemporaryDirectory() as d:
        o = os.path.join(d, "lmg.h5")
        cmd = [qk, "lmg", *args, "-o", o, "-q"]
        if ranks > 1:
            cmd = [
                "mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none",
                *cmd,
            ]
        _, wall, rss, cpu = run_child(cmd)
        with h5py.File(o) as f:
            jz = np.array(f["results/jz"]).ravel()
            res = np.array(f["results/residual"]).ravel()
            kern = float(np.max(np.array(f["status/wall_time"])))
    return wall, rss, jz, res, kern, cpu


def point(n, h):
    return {"n": n, "h": h, "lambda": 1.0, "gamma_a": 0.01, "gamma_b": 0.2}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,100,200,400,800")
    ap.add_argument("--h", type=float, default=0.9)
    ap.add_argument("--qk", default=os.path.join(ROOT, "target/release/qk"))
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument(
        "--qutip-cpu-limit", type=float, default=None,
        help="stop QuTiP after this many CPU seconds and report the speed-ups as lower bounds",
    )
    a = ap.parse_args()
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    os.environ.setdefault("PMIX_MCA_psec", "^munge")  # no munge start-up stall
    import qutip

    print(
        f"# machine: {platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
        f"QuTiP {qutip.__version__}, numpy {np.__version__}, python {platform.python_version()}"
    )
    print(f"# h = {a.h}, lambda = 1, gamma_a = 0.01, gamma_b = 0.2")
    print(
        "|    N | QuTiP s | QuTiP CPU s | QuTiP RSS | qk s (process) | qk CPU s | qk s (kernel) "
        "| qk RSS | speed-up (process wall) | speed-up (process CPU) | abs diff <Jz>/j | qk residual |"
    )
    print("|-----:|--------:|------------:|----------:|---------------:|---------:|--------------:"
          "|-------:|------------------------:|-----------------------:|----------------:|------------:|")
    ok = True
    for n in [int(s) for s in a.sizes.split(",")]:
        wall, rss, jz, res, kern, cpu = qk_run(a.qk, ["--n", str(n), "--h", str(a.h)])
        q = qutip_points([point(n, a.h)], a.qutip_cpu_limit)
        if len(q) == 2:  # stopped at the CPU limit: lower bounds
            tw, tc = q
            print(
                f"| {n:4d} | > {tw:.0f} (stopped) | > {tc:.0f} | - | {wall:14.3f} | {cpu:8.3f} "
                f"| {kern:13.3f} | {rss / 2**20:4.0f} MiB | > {tw / wall:.1f}x | > {tc / cpu:.1f}x "
                f"| - | {res.max():11.1e} |",
                flush=True,
            )
            continue
        tq, jq, rq, cq = q
        diff = float(np.max(np.abs(jz - jq)))
        ok &= diff < 1e-8
        print(
            f"| {n:4d} | {tq:7.3f} | {cq:11.3f} | {rq / 2**20:6.0f} MiB | {wall:14.3f} | {cpu:8.3f} "
            f"| {kern:13.3f} | {rss / 2**20:4.0f} MiB | {tq / wall:22.1f}x | {cq / cpu:21.1f}x "
            f"| {diff:15.1e} | {res.max():11.1e} |",
            flush=True,
        )
    if a.sweep:
        hs = np.linspace(-0.5, 1.5, 201)
        tq, jq, _, _ = qutip_points([point(100, float(h)) for h in hs])
        wall, _, jz, res, _, _ = qk_run(
            a.qk, ["--n", "100", "--h=-0.5:1.5:201"], ranks=a.ranks
        )
        diff = float(np.max(np.abs(jz - jq)))
        ok &= diff < 1e-8
        print(
            f"\n# sweep: 201 h in [-0.5, 1.5], N = 100: QuTiP loop {tq:.2f} s, "
            f"qk on {a.ranks} ranks {wall:.2f} s (process wall), speed-up {tq / wall:.1f}x, "
            f"max |diff <Jz>/j| {diff:.1e}, max residual {res.max():.1e}"
        )
    if not ok:
        sys.exit("disagreement above 1e-8")


if __name__ == "__main__":
    main()
