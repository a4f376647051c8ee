#!/usr/bin/env python3
"""Side-by-side timing of I_3(tau) = <coth(s/2tau)/s>_BZ: scipy.integrate.nquad vs `qk lindemann`.

qk: the real driver path, `qk lindemann --dim 3 --tau 0.1:3:N --rel-tol 1e-10` (default
N = 301) as one process on one rank, writing its HDF5 file. Two per-point figures:
  end to end  = wall time of the whole process (start-up, MPI init, HDF5 writes) / N,
  compute     = mean of /status/wall_time (the quadrature of one point, as the driver times it).
scipy: nquad over the octant [0, pi]^3 (the integrand is even in each q_a) at
epsrel = 1e-10, for a few tau of the same grid (it takes seconds per point).
With --example, the `tau_sweep` example of qk-bzquad (the kernel alone) is timed as well.

The script checks that qk and scipy agree (relative 1e-9 at the common tau values), prints
per-point times and the speed-ups, and exits 1 if the values disagree or the end-to-end
speed-up is < 100.

Usage:  scripts/bench_bz_vs_scipy.py [--count N] [--scipy-points K] [--qk PATH] [--example]
Requires numpy/scipy/h5py (the project venv: .venv/bin/python); builds target/release/qk
with cargo unless --qk is given.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
from scipy import integrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAU_MIN, TAU_MAX, REL_TOL = 0.1, 3.0, 1e-10


def scipy_i3(tau):
    def f(q1, q2, q3):
        s2 = np.sin(q1 / 2) ** 2 + np.sin(q2 / 2) ** 2 + np.sin(q3 / 2) ** 2
        if s2 == 0.0:
            return 0.0
        s = np.sqrt(s2)
        return 1.0 / (np.tanh(s / (2 * tau)) * s)

    val, err = integrate.nquad(f, [[0, np.pi]] * 3, opts={"epsrel": REL_TOL, "epsabs": 0.0, "limit": 200})
    return val / np.pi**3, err / np.pi**3


def run_qk(exe, count):
    """Run the qk sweep; return (tau, bz_mean, per-point compute times, evaluations, total seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.h5")
        cmd = [exe, "lindemann", "--dim", "3", "--tau", f"{TAU_MIN}:{TAU_MAX}:{count}",
               "--rel-tol", f"{REL_TOL:g}", "-o", out, "-q"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=dict(os.environ, QK_PROGRESS_INTERVAL="3600"))
        total = time.perf_counter() - t0
        with h5py.File(out, "r") as f:
            if f["status/failed"][:].any():
                raise SystemExit("qk lindemann: some points failed")
            tau = f["grid/tau"][:]
            value = f["results/bz_mean"][0, :, 0]
            evals = f["results/evaluations"][0, :, 0]
            wall = f["status/wall_time"][0, :, 0]
    print("$ " + " ".join(cmd[:-3]).replace(exe, os.path.relpath(exe, ROOT)) + " -o bench.h5 -q")
    return tau, value, wall, evals, total


def run_example(count):
    env = dict(os.environ)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "tau_sweep", "-p", "qk-bzquad"],
                   cwd=ROOT, env=env, check=True)
    target = env.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    exe = os.path.join(target, "release", "examples", "tau_sweep")
    out = subprocess.run([exe, str(count), f"{REL_TOL:g}"], capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return rows[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=301, help="tau points of the qk sweep")
    ap.add_argument("--scipy-points", type=int, default=3, help="tau points timed with scipy (spread over the grid)")
    ap.add_argument("--qk", default=None, help="qk binary (default: build target/release/qk)")
    ap.add_argument("--example", action="store_true", help="also time the kernel alone (tau_sweep example)")
    args = ap.parse_args()
    if args.count < 2 or args.scipy_points < 1:
        print("--count must be >= 2 and --scipy-points >= 1", file=sys.stderr)
        return 2

    exe = args.qk
    if exe is None:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "qk"], cwd=ROOT, check=True)
        exe = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "qk")
    tau, value, wall, evals, total = run_qk(os.path.abspath(exe), args.count)
    qk_e2e = total / args.count
    qk_compute = float(np.mean(wall))

    idx = sorted(set(int(round(k * (args.count - 1) / max(args.scipy_points - 1, 1)))
                     for k in range(args.scipy_points)))
    ok = True
    scipy_times = []
    print(f"{'tau':>10} {'scipy nquad':>22} {'qk lindemann':>22} {'rel diff':>9} {'scipy s':>8} {'qk s':>9}")
    for i in idx:
        t0 = time.perf_counter()
        val, _ = scipy_i3(tau[i])
        dt = time.perf_counter() - t0
        scipy_times.append(dt)
        rd = abs(val - value[i]) / abs(value[i])
        ok &= bool(rd < 1e-9)
        print(f"{tau[i]:10.6f} {val:22.16f} {value[i]:22.16f} {rd:9.1e} {dt:8.3f} {wall[i]:9.2e}")
    scipy_pp = sum(scipy_times) / len(scipy_times)

    print(f"\nqk lindemann, d = 3, {args.count} tau in [{TAU_MIN}, {TAU_MAX}], rel_tol {REL_TOL:g}, 1 rank:")
    print(f"  end to end (process wall time / points): {total:.3f} s = {qk_e2e * 1e3:.4f} ms/point")
    print(f"  compute (mean /status/wall_time):        {qk_compute * 1e3:.4f} ms/point, "
          f"mean {np.mean(evals):.0f} evaluations/point")
    if args.example:
        s = run_example(args.count)
        print(f"  kernel alone (tau_sweep example):        {s['seconds_per_point'] * 1e3:.4f} ms/point")
    print(f"scipy nquad (octant, epsrel {REL_TOL:g}): {scipy_pp:.3f} s/point over {len(scipy_times)} points")
    ratio = scipy_pp / qk_e2e
    print(f"speed-up per point: {ratio:.0f}x end to end, {scipy_pp / qk_compute:.0f}x compute   "
          f"values agree (rel < 1e-9): {ok}")
    return 0 if ok and ratio >= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
