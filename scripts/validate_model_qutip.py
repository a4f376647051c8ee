"""Compare a `qk steady --model FILE.h5` result with QuTiP 5's steadystate.

    python scripts/validate_model_qutip.py MODEL.h5 RESULT.h5 [MODEL2.h5 RESULT2.h5 ...]
        [--tol 1e-8] [--method direct]

For every grid point of RESULT.h5 builds H and the collapse operators from the model
file (qk_model.load_model / model_at), solves qutip.steadystate and compares every
observable (real and imaginary parts). Prints one line per point and the worst
difference; exit status 1 when it exceeds --tol or a point failed.
"""

import argparse
import itertools
import os
import sys
import time

import h5py
import numpy as np
import qutip as qt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qk_model import load_model, model_at  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", help="pairs MODEL.h5 RESULT.h5")
    ap.add_argument("--tol", type=float, default=1e-8)
    ap.add_argument("--method", default="direct")
    a = ap.parse_args()
    if len(a.files) % 2:
        ap.error("give pairs MODEL.h5 RESULT.h5")
    bad = False
    for model, result in zip(a.files[::2], a.files[1::2]):
        bad |= not compare(model, result, a.tol, a.method)
    sys.exit(1 if bad else 0)


def compare(model, result, tol, method):
    """Prints the comparison of one pair; whether it passed."""
    m = load_model(model)
    names = [p[0] for p in m["parameters"]]
    with h5py.File(result, "r") as f:
        grids = [f["grid"][n][()] for n in names]
        results = {n: f["results"][n][()] for n in f["results"]}
        failed = f["status/failed"][()]
    worst = 0.0
    t_qutip = 0.0
    bad = False
    for idx in itertools.product(*[range(len(g)) for g in grids]):
        values = {n: float(g[i]) for n, g, i in zip(names, grids, idx)}
        if failed[idx]:
            print(f"{values}: qk failed")
            bad = True
            continue
        h, c = model_at(m, values)
        t0 = time.perf_counter()
        rho = qt.steadystate(qt.Qobj(h), [qt.Qobj(x) for x in c], method=method)
        t_qutip += time.perf_counter() - t0
        r = rho.full()
        diffs = []
        for name, op in m["observables"].items():
            z = np.trace(op.toarray() @ r)
            diffs.append(abs(z.real - results[name][idx]))
            if f"{name}_imag" in results:
                diffs.append(abs(z.imag - results[f"{name}_imag"][idx]))
            elif abs(z.imag) > 1e-10:
                diffs.append(abs(z.imag))
        d = max(diffs) if diffs else 0.0
        worst = max(worst, d)
        print(f"{values}: max |qk - qutip| = {d:.2e}")
    print(f"{os.path.basename(model)}: worst difference {worst:.2e} (tol {tol:g}), "
          f"QuTiP {t_qutip:.2f} s")
    return not bad and worst <= tol


if __name__ == "__main__":
    main()
