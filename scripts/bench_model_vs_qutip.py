"""qk steady --model against QuTiP 5's direct steadystate, side by side in one run.

    python scripts/bench_model_vs_qutip.py [--quick] [--points 3] [--qk-only] [--out FILE.md]

For each model and size (scripts/example_models.py) writes the model file, solves the
same grid points with `qk steady` (one rank, its wall time from the run, planning
included) and with qutip.steadystate(H, c_ops, method="direct"), checks that the
observables agree to 1e-8 and prints the ratio. `--qk-only` adds sizes QuTiP does not
reach here (time and peak memory of qk, from /usr/bin/time -v or getrusage).
QuTiP is single-threaded here (OMP/MKL threads 1), qk runs with --threads 1. Wall and
CPU times are both reported; the speed-up is that of the CPU times (user + system of the
qk process, process time of QuTiP's steadystate calls), which a machine shared with
other jobs disturbs less than wall time.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
import qutip as qt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import example_models as ex  # noqa: E402
from qk_model import load_model, model_at  # noqa: E402

ROOT = os.path.dirname(HERE)
QK = os.path.join(ROOT, "target", "release", "qk")

# model, size, sweep flag, values (the first `points` are used)
CASES = {
    "kerr": (ex.kerr, "--delta", [-1.0, 0.0, 1.0, 2.0, 3.0]),
    "jc_laser": (ex.jc_laser, "--pump", [0.2, 0.6, 1.5, 3.0, 5.0]),
    "ising": (ex.ising, "--h", [0.3, 0.7, 1.0, 1.5, 2.0]),
    "lmg": (ex.lmg, "--h", [0.2, 0.5, 0.8, 1.1, 1.4]),
}


def run_qk(path, flag, values, out):
    cmd = [QK, "steady", "-q", "--threads", "1", "--model", path, flag,
           ",".join(repr(v) for v in values), "-o", out, "--force"]
    # peak RSS of qk itself: measured by /usr/bin/time (a child forked from this
    # large Python process would count the parent's pages before exec)
    rss_file = out + ".rss"
    timed = os.path.exists("/usr/bin/time")
    if timed:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"qk failed: {' '.join(cmd)}")
    peak = usage.ru_maxrss  # KiB
    if timed:
        with open(rss_file) as fh:
            peak = int(fh.read().split()[-1])
    cpu = usage.ru_utime + usage.ru_stime
    with h5py.File(out, "r") as f:
        res = {k: f["results"][k][()].ravel() for k in f["results"]}
        failed = f["status/failed"][()].ravel()
    return wall, cpu, peak * 1024, res, failed


def run_qutip(path, flag, values):
    m = load_model(path)
    name = flag[2:].replace("-", "_")
    obs = {}
    t = 0.0
    cpu = 0.0
    for v in values:
        h, c = model_at(m, {name: v})
        H, C = qt.Qobj(h), [qt.Qobj(x) for x in c]
        t0, c0 = time.perf_counter(), time.process_time()
        rho = qt.steadystate(H, C, method="direct")
        t += time.perf_counter() - t0
        cpu += time.process_time() - c0
        r = rho.full()
        for k, op in m["observables"].items():
            z = np.trace(op.toarray() @ r)
            obs.setdefault(k, []).append(z.real)
            obs.setdefault(k + "_imag", []).append(z.imag)
    return t, cpu, obs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--points", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    ap.add_argument("--qk-only", action="store_true", help="also the sizes only qk reaches")
    ap.add_argument("--only", default="", help="comma-separated models")
    ap.add_argument("--sizes", default="",
                    help="override the sizes both solve, e.g. kerr=400,800;ising=6")
    ap.add_argument("--big", default="", help="override the qk-only sizes, same syntax")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    if a.quick:
        sizes = {"kerr": [40], "jc_laser": [20], "ising": [4], "lmg": [50]}
        big = {"ising": [6]}
    else:
        sizes = {"kerr": [100, 200], "jc_laser": [40, 60], "ising": [5, 6], "lmg": [100, 200]}
        big = {"ising": [7], "kerr": [800], "lmg": [1000]}
    for text, table in ((a.sizes, sizes), (a.big, big)):
        for item in filter(None, text.split(";")):
            k, v = item.split("=")
            table[k] = [int(x) for x in v.split(",")]
    only = set(a.only.split(",")) if a.only else set(CASES)
    tmp = tempfile.mkdtemp(prefix="qk-bench-model-")
    rows = ["| model | size | Liouville dim | points | QuTiP wall (s) | qk wall (s) | QuTiP CPU (s) "
            "| qk CPU (s) | speed-up (CPU) | max abs diff | qk peak RSS |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for model, (writer, flag, values) in CASES.items():
        if model not in only:
            continue
        vals = values[: a.points]
        todo = [(n, False) for n in sizes[model]]
        if a.qk_only:
            todo += [(n, True) for n in big.get(model, [])]
        for n, qk_only in todo:
            path = os.path.join(tmp, f"{model}{n}.h5")
            writer(path, n)
            d = int(np.prod(h5py.File(path, "r").attrs["dims"]))
            t_qk, c_qk, rss, res, failed = run_qk(path, flag, vals, os.path.join(tmp, "out.h5"))
            if qk_only:
                rows.append(f"| {model} | {n} | {d * d} | {len(vals)} | — | {t_qk:.2f} | — | {c_qk:.2f} "
                            f"| qk only | — | {rss / 2**30:.2f} GiB |")
            else:
                t_qt, c_qt, obs = run_qutip(path, flag, vals)
                diff = max(np.abs(np.asarray(v) - res[k]).max() for k, v in obs.items() if k in res)
                rows.append(f"| {model} | {n} | {d * d} | {len(vals)} | {t_qt:.2f} | {t_qk:.2f} | "
                            f"{c_qt:.2f} | {c_qk:.2f} | {c_qt / c_qk:.1f}× | {diff:.1e} "
                            f"| {rss / 2**30:.2f} GiB |")
            if failed.any():
                rows[-1] += " (qk failed points)"
            print(rows[-1], flush=True)
    text = "\n".join(rows)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
