"""Checks `qk spectrum --model` results against QuTiP 5's `spectrum`.

    python scripts/validate_spectrum_qutip.py [--tol 1e-8] [--solver es|pi] MODEL.h5 RESULT.h5 [MODEL.h5 RESULT.h5 ...]

For each pair (a model file and the output of `qk spectrum --model` on it, any
parameter grid, --kind spectrum), rebuilds H(θ) and C_k(θ) at every grid point
from the file (qk_model.model_at), the operators A and B from the result's
root attributes `a` and `b` (an observable of the file, NAME.dag its adjoint),
and computes qutip.spectrum(H, omega, c_ops, A, B, solver=SOLVER) (the
convention of qk spectrum: S_AB(w) = 2 Re of the one-sided transform of the
connected correlation). Prints one line per point with
max |qk - qutip| / max |S_qutip| and the worst; exit status 1 when it exceeds
--tol or a point failed.
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

ADJOINT = ".dag"


def operator(model, spec):
    obs = model["observables"]
    if spec in obs:
        return qt.Qobj(obs[spec])
    if spec.endswith(ADJOINT) and spec[: -len(ADJOINT)] in obs:
        return qt.Qobj(obs[spec[: -len(ADJOINT)]]).dag()
    raise SystemExit(f"{spec!r} is not an observable of the model (one of {sorted(obs)})")


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def compare(model_path, result, tol, solver):
    """Prints the comparison of one pair; whether it passed."""
    m = load_model(model_path)
    names = [p[0] for p in m["parameters"]]
    with h5py.File(result, "r") as f:
        if text(f.attrs["kind"]) != "spectrum":
            raise SystemExit(f"{result}: --kind {text(f.attrs['kind'])}, only spectrum is compared")
        a = operator(m, text(f.attrs["a"]))
        b = operator(m, text(f.attrs["b"]))
        grids = [f["grid"][n][()] for n in names]
        omega = f["grid/omega"][()]
        re = f["results/re"][()]
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
        s = qt.spectrum(qt.Qobj(h), omega, [qt.Qobj(x) for x in c], a, b, solver=solver)
        t_qutip += time.perf_counter() - t0
        s = np.real(np.asarray(s))
        scale = np.max(np.abs(s))
        d = float(np.max(np.abs(re[idx] - s)) / scale) if scale > 0 else float(np.max(np.abs(re[idx])))
        worst = max(worst, d)
        print(f"{values}: max |qk - qutip| / max |S| = {d:.2e} (max |S| = {scale:.3e})")
    print(f"{os.path.basename(model_path)}: worst relative difference {worst:.2e} "
          f"(tol {tol:g}, solver {solver}), QuTiP {t_qutip:.2f} s")
    return not bad and worst <= tol


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tol", type=float, default=1e-8)
    ap.add_argument("--solver", default="es", choices=["es", "pi"])
    ap.add_argument("pairs", nargs="+", help="MODEL.h5 RESULT.h5 ...")
    a = ap.parse_args()
    if len(a.pairs) % 2:
        ap.error("give MODEL.h5 RESULT.h5 pairs")
    ok = True
    for model, result in zip(a.pairs[::2], a.pairs[1::2]):
        ok &= compare(model, result, a.tol, a.solver)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
