#!/usr/bin/env python3
"""Side-by-side timing of I_3(tau) = <coth(s/2tau)/s>_BZ: scipy.integrate.nquad vs qk-bzquad.

scipy: nquad over the octant [0, pi]^3 (the integrand is even in each q_a) at
epsrel = 1e-10, for a few tau of the sweep grid (it takes seconds per point).
Rust: the `tau_sweep` example of qk-bzquad, 301 values tau in [0.1, 3] at rel 1e-10,
one process, timings measured inside it per point.

The script checks that both agree (relative 1e-9 at the common tau values), prints per-point
times and the speed-up, and exits 1 if the values disagree or the speed-up is < 100.

Usage:  scripts/bench_bz_vs_scipy.py [--scipy-points K] [--count N]
Requires numpy/scipy (the project venv: .venv/bin/python) and cargo.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from scipy import integrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scipy_i3(tau):
    def f(q1, q2, q3):
        s2 = np.sin(q1 / 2) ** 2 + np.sin(q2 / 2) ** 2 + np.sin(q3 / 2) ** 2
        if s2 == 0.0:
            return 0.0
        s = np.sqrt(s2)
        return 1.0 / (np.tanh(s / (2 * tau)) * s)

    val, err = integrate.nquad(f, [[0, np.pi]] * 3, opts={"epsrel": 1e-10, "epsabs": 0.0, "limit": 200})
    return val / np.pi**3, err / np.pi**3


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=301, help="tau points of the Rust sweep")
    ap.add_argument("--scipy-points", type=int, default=3, help="tau points timed with scipy (spread over the grid)")
    args = ap.parse_args()
    if args.count < 2 or args.scipy_points < 1:
        print("--count must be >= 2 and --scipy-points >= 1", file=sys.stderr)
        return 2

    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", os.path.join(ROOT, "target-bzquad"))
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", "tau_sweep", "-p", "qk-bzquad"],
        cwd=ROOT, env=env, check=True,
    )
    exe = os.path.join(env["CARGO_TARGET_DIR"], "release", "examples", "tau_sweep")
    out = subprocess.run([exe, str(args.count), "1e-10"], capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    summary = rows[-1]
    points = rows[:-1]
    rust_per_point = summary["seconds_per_point"]

    idx = sorted(set(int(round(k * (args.count - 1) / max(args.scipy_points - 1, 1))) for k in range(args.scipy_points)))
    ok = True
    scipy_times = []
    print(f"{'tau':>10} {'scipy nquad':>22} {'qk-bzquad':>22} {'rel diff':>9} {'scipy s':>8} {'rust s':>9}")
    for i in idx:
        tau = points[i]["tau"]
        t0 = time.perf_counter()
        val, _ = scipy_i3(tau)
        dt = time.perf_counter() - t0
        scipy_times.append(dt)
        rv = points[i]["value"]
        rd = abs(val - rv) / abs(rv)
        ok &= rd < 1e-9
        print(f"{tau:10.6f} {val:22.16f} {rv:22.16f} {rd:9.1e} {dt:8.3f} {points[i]['seconds']:9.2e}")
    scipy_per_point = sum(scipy_times) / len(scipy_times)
    ratio = scipy_per_point / rust_per_point
    print(f"\nRust: {summary['points']} points in {summary['total_seconds']:.4f} s = "
          f"{rust_per_point * 1e3:.4f} ms/point, mean {summary['mean_evaluations']:.0f} evaluations/point")
    print(f"scipy nquad (octant, epsrel 1e-10): {scipy_per_point:.3f} s/point over {len(scipy_times)} points")
    print(f"speed-up per point: {ratio:.0f}x   values agree (rel < 1e-9): {ok}")
    return 0 if ok and ratio >= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
