"""Compare a `qk jumps --model FILE.h5` ensemble with QuTiP 5's mesolve.

    python scripts/validate_jumps_qutip.py MODEL.h5 RESULT.h5 [--tol 4]

For every grid point of RESULT.h5 builds H and the collapse operators from the
model file (qk_model.load_model / model_at) and the initial state the run used
(its `initial` attribute: `basis:K`, or `file` for the model's /initial_state),
integrates the master equation with qutip.mesolve at the output times
/grid/time, and compares every observable (real and imaginary parts) with the
ensemble mean in units of its standard error: |mean - Tr(O rho(t))| / err
(err floored at 1e-9, so an exact t = 0 compares to rounding). Prints one line
per point and the largest deviation in sigma; exit status 1 when it exceeds
--tol or a point failed.
"""

import argparse
import itertools
import os
import sys

import h5py
import numpy as np
import qutip as qt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qk_model import load_model, model_at  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("result")
    ap.add_argument("--tol", type=float, default=4.0, help="largest deviation in sigma")
    a = ap.parse_args()
    m = load_model(a.model)
    names = [p[0] for p in m["parameters"]]
    with h5py.File(a.result, "r") as f:
        grids = [f["grid"][n][()] for n in names]
        times = f["grid/time"][()]
        results = {n: f["results"][n][()] for n in f["results"]}
        failed = f["status/failed"][()]
        initial = f.attrs["initial"]
        initial = initial.decode() if isinstance(initial, bytes) else initial
    d = int(np.prod(m["dims"]))
    if initial == "file":
        psi0 = m["initial"]
    else:
        psi0 = np.zeros(d, dtype=complex)
        psi0[int(initial.split(":")[1])] = 1.0
    psi0 = qt.Qobj(psi0.reshape(d, 1))
    ops = {n: op.toarray() for n, op in m["observables"].items()}
    worst, bad = 0.0, False
    for idx in itertools.product(*[range(len(g)) for g in grids]):
        values = {n: float(g[i]) for n, g, i in zip(names, grids, idx)}
        if failed[idx]:
            print(f"{values}: qk failed")
            bad = True
            continue
        h, c = model_at(m, values)
        opts = {"atol": 1e-10, "rtol": 1e-10, "nsteps": 100000}
        r = qt.mesolve(qt.Qobj(h.toarray()), psi0, times, [qt.Qobj(x.toarray()) for x in c],
                       options=opts)
        devs = []
        for name, op in ops.items():
            z = np.array([np.trace(op @ s.full()) for s in r.states])
            parts = [(name, z.real)]
            if f"{name}_imag" in results:
                parts.append((f"{name}_imag", z.imag))
            for key, ref in parts:
                mean, err = results[key][idx], results[f"{key}_err"][idx]
                devs.append(np.max(np.abs(mean - ref) / np.maximum(err, 1e-9)))
        dev = max(devs) if devs else 0.0
        worst = max(worst, dev)
        print(f"{values}: max |qk - mesolve| / err = {dev:.2f} sigma")
    print(f"{os.path.basename(a.model)}: largest deviation {worst:.2f} sigma (tol {a.tol:g})")
    sys.exit(1 if bad or worst > a.tol else 0)


if __name__ == "__main__":
    main()
