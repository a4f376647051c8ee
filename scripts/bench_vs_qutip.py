#!/usr/bin/env python3
"""Side-by-side timing of `qk lmg` and QuTiP 5 `steadystate` (dissipative LMG).

Usage (from the repository root, after `cargo build --release`):

    .venv/bin/python scripts/bench_vs_qutip.py [--sizes 50,100,200,400,800]
        [--h 0.9] [--sweep] [--qk target/release/qk] [--ranks 2]

Every measurement runs in a child process of this script, one after the
other, so both codes see the same machine state:

- QuTiP: a fresh Python process builds H and the collapse operators
  (scripts/qutip_lmg.py conventions) and times `qutip.steadystate(H, c_ops)`
  plus the expectation values (the import is not timed). Peak RSS of that
  process (including the Python interpreter and imports) from /usr/bin/time.
- qk: the wall time of the whole `qk lmg --n N --h H -o tmp.h5 -q` process
  (start-up, plan, solve, observables, HDF5 output) and its peak RSS; the
  per-point kernel time from /status/wall_time is printed as well.

Agreement: |<Jz>/j (qk) - <Jz>/j (QuTiP)| must be below 1e-8 (exit 1
otherwise). With --sweep, also 201 values of h in [-0.5, 1.5] at N = 100 on
`--ranks` MPI ranks against a QuTiP loop over the same points (one process).
Defaults: lambda = 1, gamma_a = 0.01, gamma_b = 0.2.
"""

import argparse
import json
import os
import platform
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
t0 = time.perf_counter()
out = [qutip_lmg.solve(p) for p in points]
dt = time.perf_counter() - t0
print(json.dumps({{"time": dt, "jz": [o["jz"] for o in out]}}))
"""


def run_child(cmd):
    """Run cmd; return (stdout, wall seconds, peak RSS bytes)."""
    # /usr/bin/time reports the peak RSS of the measured process alone (a
    # child forked from this Python process would inherit its high-water mark)
    t0 = time.perf_counter()
    p = subprocess.run(
        ["/usr/bin/time", "-f", "QK_MAXRSS_KB %M", *cmd], capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    kb = [l for l in p.stderr.splitlines() if l.startswith("QK_MAXRSS_KB")]
    rss = int(kb[-1].split()[1]) * 1024 if kb else 0
    return p.stdout, wall, rss


def qutip_points(points):
    code = QUTIP_CHILD.format(scripts=os.path.join(ROOT, "scripts"))
    out, _, rss = run_child([sys.executable, "-c", code, json.dumps(points)])
    res = json.loads(out)
    return res["time"], np.array(res["jz"]), rss


def qk_run(qk, args, ranks=1):
    with tempfile.TemporaryDirectory() as d:
        o = os.path.join(d, "lmg.h5")
        cmd = [qk, "lmg", *args, "-o", o, "-q"]
        if ranks > 1:
            cmd = [
                "mpirun", "-n", str(ranks), "--oversubscribe", "--bind-to", "none",
                *cmd,
            ]
        _, wall, rss = run_child(cmd)
        with h5py.File(o) as f:
            jz = np.array(f["results/jz"]).ravel()
            res = np.array(f["results/residual"]).ravel()
            kern = float(np.max(np.array(f["status/wall_time"])))
    return wall, rss, jz, res, kern


def point(n, h):
    return {"n": n, "h": h, "lambda": 1.0, "gamma_a": 0.01, "gamma_b": 0.2}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,100,200,400,800")
    ap.add_argument("--h", type=float, default=0.9)
    ap.add_argument("--qk", default=os.path.join(ROOT, "target/release/qk"))
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--ranks", type=int, default=2)
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
        "|    N | QuTiP s | QuTiP RSS | qk s (process) | qk s (kernel) | qk RSS "
        "| speed-up (kernel) | speed-up (process) | abs diff <Jz>/j | qk residual |"
    )
    print("|-----:|--------:|----------:|---------------:|--------------:|-------:"
          "|------------------:|-------------------:|----------------:|------------:|")
    ok = True
    for n in [int(s) for s in a.sizes.split(",")]:
        tq, jq, rq = qutip_points([point(n, a.h)])
        wall, rss, jz, res, kern = qk_run(a.qk, ["--n", str(n), "--h", str(a.h)])
        diff = float(np.max(np.abs(jz - jq)))
        ok &= diff < 1e-8
        print(
            f"| {n:4d} | {tq:7.3f} | {rq / 2**20:6.0f} MiB | {wall:14.3f} | {kern:13.3f} "
            f"| {rss / 2**20:4.0f} MiB | {tq / kern:16.1f}x | {tq / wall:17.1f}x "
            f"| {diff:15.1e} | {res.max():11.1e} |",
            flush=True,
        )
    if a.sweep:
        hs = np.linspace(-0.5, 1.5, 201)
        tq, jq, _ = qutip_points([point(100, float(h)) for h in hs])
        wall, _, jz, res, _ = qk_run(
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
