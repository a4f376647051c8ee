#!/usr/bin/env python3
"""qk jumps against QuTiP 5 mcsolve on the same point, side by side in one run.

    bench_jumps_vs_qutip.py [--n 100] [--h 0.9] [--trajectories 100] [--t-end 100]
                            [--times 101] [--qk-only] [--no-parallel] [--repeat 1]

The dissipative LMG model at one point (lambda = 1, Gamma_a = 0.01, Gamma_b = 0.2,
H and collapse operators of scripts/qutip_lmg.py, identical to qk's), initial Dicke
state m = -j (qk --initial down), observables <Jz>/j, <Jx^2>/j^2, <Jy^2>/j^2,
<Jz^2>/j^2 on the output times 0, dt, ..., t_end, and the mean number of jumps.

Measured, in this order, each as a whole (QuTiP: the mcsolve call; qk: the whole
process, MPI start-up, planning and HDF5 output included):
  1. QuTiP mcsolve, map "serial"           vs  qk on 1 rank;
  2. QuTiP mcsolve, map "parallel", 2 CPUs  vs  mpirun -n 2 --oversubscribe qk
     --ranks-per-task 2 (the point's trajectories shared by both ranks).
Wall time and process CPU time (user + system; QuTiP: this process plus its worker
processes, qk: the qk processes via mpirun) are both printed, with their ratios.
On a machine shared with other jobs wall times are disturbed by the load; the ratios
of measurements taken side by side in one run are what counts, and the CPU-time
ratio is the more robust of the two.

Tolerances (matched, stated): qk evolves between jumps with exact exponentials of
H_eff (round-off accuracy) and locates a jump where |norm^2 - r| <= 1e-13 r; QuTiP
is run with atol = 1e-10, rtol = 1e-8 (its defaults are 1e-8, 1e-6) and the jump
location to norm_tol = 1e-8, norm_t_tol = 1e-10 with norm_steps = 100 (defaults 1e-4,
1e-6, 25; norm_tol = 1e-8 with the default norm_steps fails to locate jumps), still
looser than qk.
`--qutip-defaults` runs QuTiP at its default tolerances instead.

Agreement: the two ensembles are independent samples, so for every observable and
time |mean_qk - mean_qutip| <= 5 sqrt(err_qk^2 + err_qutip^2) (standard errors of
the means; exact equality where both errors vanish, e.g. t = 0), and the same for
the mean number of jumps at t_end. Exit status 1 if any check fails.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import qutip  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import qutip_lmg  # noqa: E402

QK = os.path.join(ROOT, "target", "release", "qk")
NAMES = ["jz", "jx2", "jy2", "jz2"]
Z_MAX = 5.0


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_qutip(point, args, parallel):
    n = point["n"]
    j = n / 2.0
    ham, c_ops, (jx, jy, jz) = qutip_lmg.operators(point)
    e_ops = [jz / j, jx * jx / j**2, jy * jy / j**2, jz * jz / j**2]
    psi0 = qutip.basis(n + 1, n)  # index n: m = -j
    tlist = np.linspace(0.0, args.t_end, args.times)
    opts = {"progress_bar": False, "map": "parallel" if parallel else "serial"}
    if parallel:
        opts["num_cpus"] = 2
    if not args.qutip_defaults:
        opts.update(atol=1e-10, rtol=1e-8, norm_tol=1e-8, norm_t_tol=1e-10, norm_steps=100)
    s0, c0, t0 = cpu_self(), cpu_children(), time.perf_counter()
    r = qutip.mcsolve(ham, psi0, tlist, c_ops, e_ops=e_ops, ntraj=args.trajectories,
                      options=opts, seeds=args.seed)
    wall = time.perf_counter() - t0
    cpu = (cpu_self() - s0) + (cpu_children() - c0)
    ntraj = r.num_trajectories
    mean = np.array([np.asarray(r.expect[k]) for k in range(4)])
    err = np.array([np.asarray(r.std_expect[k]) for k in range(4)]) / np.sqrt(ntraj)
    counts = np.array([np.sum(np.asarray(ct) <= args.t_end) for ct in r.col_times], float)
    jumps = (counts.mean(), counts.std(ddof=1) / np.sqrt(len(counts)))
    return wall, cpu, mean, err, jumps


def run_qk(point, args, ranks, tmp):
    out = os.path.join(tmp, f"jumps_{ranks}.h5")
    cmd = [QK, "jumps", "--n", str(point["n"]), "--h", repr(point["h"]),
           "--lambda", repr(point["lambda"]), "--gamma-a", repr(point["gamma_a"]),
           "--gamma-b", repr(point["gamma_b"]), "--trajectories", str(args.trajectories),
           "--t-end", repr(args.t_end), "--times", str(args.times), "--initial", "down",
           "--seed", str(args.seed), "-o", out, "-q", "--force"]
    if ranks > 1:
        cmd = ["mpirun", "-n", str(ranks), "--oversubscribe"] + cmd + [
            "--ranks-per-task", str(ranks)]
    c0, t0 = cpu_children(), time.perf_counter()
    subprocess.run(cmd, check=True)
    wall, cpu = time.perf_counter() - t0, cpu_children() - c0
    with h5py.File(out) as f:
        res = f["results"]
        mean = np.array([res[k][...].reshape(-1) for k in NAMES])
        err = np.array([res[k + "_err"][...].reshape(-1) for k in NAMES])
        jumps = (float(res["jumps"][...].reshape(-1)[-1]),
                 float(res["jumps_err"][...].reshape(-1)[-1]))
        t = f["grid/time"][...]
    assert np.allclose(t, np.linspace(0.0, args.t_end, args.times), rtol=0, atol=1e-12)
    return wall, cpu, mean, err, jumps


def agreement(a, b):
    """Largest |difference| in combined standard errors; failures."""
    (_, _, ma, ea, ja), (_, _, mb, eb, jb) = a, b
    sig = np.sqrt(ea**2 + eb**2)
    diff = np.abs(ma - mb)
    exact = sig == 0.0
    bad = (diff > Z_MAX * sig) & ~exact | exact & (diff > 1e-12)
    z = np.where(exact, 0.0, diff / np.where(exact, 1.0, sig))
    zj = abs(ja[0] - jb[0]) / np.hypot(ja[1], jb[1])
    fails = [f"{NAMES[o]}[t={k}]" for o, k in zip(*np.nonzero(bad))]
    if zj > Z_MAX:
        fails.append("jumps")
    return float(z.max()), float(np.mean(z > 2.0)), zj, fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--h", type=float, default=0.9)
    ap.add_argument("--trajectories", type=int, default=100)
    ap.add_argument("--t-end", type=float, default=100.0)
    ap.add_argument("--times", type=int, default=101)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--qk-only", action="store_true", help="time qk alone (no QuTiP)")
    ap.add_argument("--no-parallel", action="store_true", help="skip the 2-process comparison")
    ap.add_argument("--qutip-defaults", action="store_true",
                    help="QuTiP at its default tolerances")
    ap.add_argument("--json", help="write the measurements to this file")
    args = ap.parse_args()
    point = {"n": args.n, "h": args.h, "lambda": 1.0, "gamma_a": 0.01, "gamma_b": 0.2}
    print(f"point {point}, {args.trajectories} trajectories, t_end {args.t_end}, "
          f"{args.times} times; QuTiP {qutip.__version__}, "
          f"{'default' if args.qutip_defaults else 'tight'} tolerances", flush=True)
    failed = []
    record = {"point": point, "trajectories": args.trajectories, "t_end": args.t_end,
              "times": args.times, "qutip": qutip.__version__, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        configs = [(1, False)] + ([] if args.no_parallel else [(2, True)])
        for ranks, parallel in configs:
            q = run_qk(point, args, ranks, tmp)
            print(f"qk {ranks} rank(s): wall {q[0]:.2f} s cpu {q[1]:.2f} s "
                  f"({1e3 * q[1] / args.trajectories:.1f} ms cpu/trajectory), "
                  f"jumps at t_end {q[4][0]:.2f} +- {q[4][1]:.2f}", flush=True)
            run = {"ranks": ranks, "qk_wall": q[0], "qk_cpu": q[1]}
            if not args.qk_only:
                label = "parallel map, 2 CPUs" if parallel else "serial map"
                p = run_qutip(point, args, parallel)
                z, frac, zj, fails = agreement(q, p)
                print(f"QuTiP mcsolve {label}: wall {p[0]:.2f} s cpu {p[1]:.2f} s, "
                      f"jumps at t_end {p[4][0]:.2f} +- {p[4][1]:.2f}", flush=True)
                print(f"  ratio QuTiP/qk: wall {p[0] / q[0]:.1f}x cpu {p[1] / q[1]:.1f}x; "
                      f"means: largest |diff| {z:.2f} sigma, {100 * frac:.1f}% beyond 2 sigma, "
                      f"jumps {zj:.2f} sigma -> {'FAIL ' + ', '.join(fails[:8]) if fails else 'agree'}",
                      flush=True)
                run.update(qutip_wall=p[0], qutip_cpu=p[1], wall_ratio=p[0] / q[0],
                           cpu_ratio=p[1] / q[1], max_sigma=z, jumps_sigma=zj,
                           agree=not fails)
                failed += fails
            record["runs"].append(run)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(record, fh, indent=1)
    if failed:
        print(f"ensemble means disagree: {len(failed)} checks beyond {Z_MAX} sigma", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
