#!/usr/bin/env python3
"""qk spectrum against QuTiP 5 spectrum on the same points, in one run.

    bench_spectrum_vs_qutip.py [--qutip-n 50,100] [--big-n 400] [--threads 1]
    bench_spectrum_vs_qutip.py --limit-n 50,58,64,70 [--limit-cpu 600] --qutip-n '' --big-n 0

1. For each N in --qutip-n: S_{J+J-}(w) at h = 0.5, lambda = 1, Gamma_a = 0.01,
   Gamma_b = 0.05 on 201 frequencies in [-3, 3]: QuTiP's spectrum with its
   default solver "es" (dense eigendecomposition of L) on all 201, and with
   solver "pi" (one solve per frequency against the dense projector Q, D^2
   right-hand sides) on --pi-freqs of them (time scaled to 201, marked
   "extrapolated"); and qk spectrum with
   --method krylov and --method direct (each timed as a whole run of the
   binary: steady state, plan, sweep, HDF5), their ratio and agreement.
2. qk alone at N = --big-n with 401 frequencies (--method krylov), and the
   direct solve on every --direct-every-th of those frequencies for the match.

3. With --limit-n: the largest N for which QuTiP's default spectrum (solver
   "es", 201 frequencies, same point as 1.) finishes within --limit-cpu CPU
   seconds. Each N runs in a child process (one BLAS thread) under
   RLIMIT_CPU = --limit-cpu (load-independent: on a shared machine the wall
   time of a CPU-bound run depends on the other jobs), with a wall safety
   timeout of 4x that; the N are tried in the given order and the search stops
   at the first that does not finish ("did not finish N" is printed). For every
   N that finished, qk spectrum (krylov and direct, --threads 1) runs right
   after it on the same point, with the CPU-time ratio and the agreement.

Prints one line per measurement; wall and CPU (user+sys of the child) times.
"""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import qutip_spectrum  # noqa: E402

QK = os.environ.get("QK", os.path.join(ROOT, "target", "release", "qk"))


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_qk(n, omega, method, threads, tmp, h=0.5):
    out = os.path.join(tmp, f"s_{n}_{method}_{len(omega)}_{h}.h5")
    grid = f"{float(omega[0])!r}:{float(omega[-1])!r}:{len(omega)}"
    cmd = [QK, "spectrum", "--n", str(n), "--h", repr(float(h)), "--gamma-a", "0.01",
           "--gamma-b", "0.05", f"--omega={grid}", "--a", "jp", "--b", "jm",
           "--method", method, "--threads", str(threads), "-o", out, "-q", "--force"]
    c0, t0 = child_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True)
    wall, cpu = time.perf_counter() - t0, child_cpu() - c0
    with h5py.File(out) as f:
        re = f["results/re"][...].reshape(-1)
        be = f["results/backward_error"][...].max()
        fac = int(f["results/factorizations"][...].reshape(-1)[0])
        steps = int(f["results/krylov_steps"][...].reshape(-1)[0])
        w = f["grid/omega"][...]
    assert np.allclose(w, omega, rtol=0, atol=1e-12)
    return re, wall, cpu, be, fac, steps


def run_qutip_limited(p, limit_cpu):
    """QuTiP spectrum(solver="es") at point p in a child under RLIMIT_CPU:
    (values or None, wall, cpu, how it ended)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")

    def limit():
        resource.setrlimit(resource.RLIMIT_CPU, (int(limit_cpu), int(limit_cpu) + 5))

    cmd = [sys.executable, os.path.join(HERE, "qutip_spectrum.py"), json.dumps([p]), "es"]
    c0, t0 = child_cpu(), time.perf_counter()
    try:
        r = subprocess.run(cmd, env=env, preexec_fn=limit, capture_output=True, text=True,
                           timeout=4 * limit_cpu)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - t0, child_cpu() - c0, "wall safety timeout"
    wall, cpu = time.perf_counter() - t0, child_cpu() - c0
    if r.returncode != 0:
        sig = -r.returncode
        how = (f"killed by {signal.Signals(sig).name} (CPU limit)" if sig in (signal.SIGXCPU, signal.SIGKILL)
               else f"exit {r.returncode}: {r.stderr.strip().splitlines()[-1:]}")
        return None, wall, cpu, how
    return np.array(json.loads(r.stdout)[0]), wall, cpu, "finished"


def limit_search(ns, limit_cpu, threads, tmp):
    omega = np.linspace(-3.0, 3.0, 201)
    largest = None
    for n in ns:
        p = {"n": n, "h": 0.5, "lambda": 1.0, "gamma_a": 0.01, "gamma_b": 0.05,
             "a": "jp", "b": "jm", "omega": omega.tolist()}
        s_qt, qt_wall, qt_cpu, how = run_qutip_limited(p, limit_cpu)
        if s_qt is None:
            print(f"limit: N={n} 201 freqs: QuTiP spectrum(es) did not finish N={n} within "
                  f"{limit_cpu:.0f} s CPU ({how}; wall {qt_wall:.0f} s, cpu {qt_cpu:.0f} s)", flush=True)
            break
        print(f"limit: N={n} 201 freqs: QuTiP spectrum(es) finished: wall {qt_wall:.1f} s "
              f"cpu {qt_cpu:.1f} s (child, Python start-up and imports included)", flush=True)
        largest = n
        for method in ["krylov", "direct"]:
            s, wall, cpu, be, fac, steps = run_qk(n, omega, method, threads, tmp)
            print(f"limit: N={n} 201 freqs: qk --method {method} wall {wall:.3f} s cpu {cpu:.3f} s "
                  f"(factorizations {fac}, Arnoldi steps {steps}); QuTiP/qk cpu {qt_cpu / cpu:.0f}x "
                  f"wall {qt_wall / wall:.0f}x; max|qk-QuTiP|/max|S| {rel(s, s_qt):.1e}", flush=True)
    print(f"limit: largest N QuTiP spectrum(es) finishes within {limit_cpu:.0f} s CPU "
          f"(of those tried: {ns}): {largest}", flush=True)


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qutip-n", default="50")
    ap.add_argument("--big-n", type=int, default=400)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--pi-freqs", type=int, default=5)
    ap.add_argument("--direct-every", type=int, default=10)
    ap.add_argument("--limit-n", default="", help="N sequence of the QuTiP time-limit search")
    ap.add_argument("--limit-cpu", type=float, default=600.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.limit_n:
            limit_search([int(x) for x in args.limit_n.split(",")], args.limit_cpu, args.threads, tmp)
        for n in [int(x) for x in args.qutip_n.split(",") if x]:
            omega = np.linspace(-3.0, 3.0, 201)
            p = {"n": n, "h": 0.5, "lambda": 1.0, "gamma_a": 0.01, "gamma_b": 0.05,
                 "a": "jp", "b": "jm", "omega": omega.tolist()}
            c0 = time.process_time()
            t0 = time.perf_counter()
            s_qt = np.array(qutip_spectrum.spectrum(p, solver="es"))
            qt_wall, qt_cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"N={n} 201 freqs: QuTiP spectrum(es, default) wall {qt_wall:.2f} s cpu {qt_cpu:.2f} s", flush=True)
            if args.pi_freqs > 0:
                idx = np.linspace(0, 200, args.pi_freqs).round().astype(int)
                pp = dict(p, omega=omega[idx].tolist())
                c1, t1 = time.process_time(), time.perf_counter()
                s_pi = np.array(qutip_spectrum.spectrum(pp, solver="pi"))
                pw, pc = time.perf_counter() - t1, time.process_time() - c1
                scale = 201 / args.pi_freqs
                print(f"N={n} {args.pi_freqs} freqs: QuTiP spectrum(pi) wall {pw:.2f} s cpu {pc:.2f} s "
                      f"(201 extrapolated: wall {pw * scale:.0f} s cpu {pc * scale:.0f} s); "
                      f"max|pi-es|/max|S| {rel(s_pi, s_qt[idx]):.1e}", flush=True)
            for method in ["krylov", "direct"]:
                s, wall, cpu, be, fac, steps = run_qk(n, omega, method, args.threads, tmp)
                print(f"N={n} 201 freqs: qk --method {method} wall {wall:.3f} s cpu {cpu:.3f} s "
                      f"(factorizations {fac}, Arnoldi steps {steps}, max backward error {be:.1e}); "
                      f"QuTiP/qk wall {qt_wall / wall:.0f}x cpu {qt_cpu / cpu:.0f}x; "
                      f"max|qk-QuTiP|/max|S| {rel(s, s_qt):.1e}", flush=True)
        n = args.big_n
        # h = 1.3: normal phase, grid -3:3:401; h = 0.5: ordered phase, where the odd
        # block's tunnelling gap is below 1e-14 at N = 400 and omega = 0 is a pole to
        # working precision (refused by both methods): the grid shifted by half a step
        step = 6.0 / 400
        for h, omega in [(1.3, np.linspace(-3.0, 3.0, 401)),
                         (0.5, np.linspace(-3.0, 3.0, 401) + step / 2)]:
            if n <= 0:
                break
            s, wall, cpu, be, fac, steps = run_qk(n, omega, "krylov", args.threads, tmp, h)
            print(f"N={n} h={h} 401 freqs [{omega[0]:.4f}, {omega[-1]:.4f}]: qk --method krylov wall {wall:.1f} s "
                  f"cpu {cpu:.1f} s (factorizations {fac}, Arnoldi steps {steps}, max backward error {be:.1e})",
                  flush=True)
            k = args.direct_every
            sub = omega[::k]
            d, dwall, dcpu, dbe, _, _ = run_qk(n, sub, "direct", args.threads, tmp, h)
            print(f"N={n} h={h} {len(sub)} of those freqs: qk --method direct wall {dwall:.1f} s cpu {dcpu:.1f} s; "
                  f"max|krylov-direct|/max|S| {rel(s[::k], d):.1e}", flush=True)


if __name__ == "__main__":
    main()
