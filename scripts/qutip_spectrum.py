#!/usr/bin/env python3
"""Reference correlation spectra of the dissipative LMG model with QuTiP 5.

Usage:
    qutip_spectrum.py '<json>' [SOLVER]

<json> is a list of points, each an object with keys n, h, lambda, gamma_a,
gamma_b, a, b (operator names jx, jy, jz, jp, jm) and omega (a list of
frequencies). Prints a JSON list (same order) of lists: QuTiP's
spectrum(H, omega, c_ops, A, B, solver=SOLVER) at each frequency (SOLVER "pi"
by default; "es" is QuTiP's default, a dense eigendecomposition of L), i.e.
S_AB(w) = -2 Re Tr[A Q (L - i w)^-1 Q B rho_ss] (the convention qk spectrum
matches; see qk_lindblad::spectra).

Model (PHYSICS.md section 1, identical to qutip_lmg.py):
    H   = -2 h Jz - (2 lambda / N) Jx^2
    C_a = sqrt(2 gamma_a / N) * 2 Jx,   C_b = sqrt(2 gamma_b / N) * J+
"""

import json
import sys

import numpy as np
import qutip


def model(point):
    n = int(point["n"])
    j = n / 2.0
    ops = {
        "jx": qutip.jmat(j, "x"),
        "jy": qutip.jmat(j, "y"),
        "jz": qutip.jmat(j, "z"),
        "jp": qutip.jmat(j, "+"),
        "jm": qutip.jmat(j, "-"),
    }
    h = -2.0 * point["h"] * ops["jz"] - (2.0 * point["lambda"] / n) * ops["jx"] ** 2
    c_ops = [
        np.sqrt(2.0 * point["gamma_a"] / n) * 2.0 * ops["jx"],
        np.sqrt(2.0 * point["gamma_b"] / n) * ops["jp"],
    ]
    return h, c_ops, ops


def spectrum(point, solver="pi"):
    h, c_ops, ops = model(point)
    w = np.asarray(point["omega"], dtype=float)
    s = qutip.spectrum(h, w, c_ops, ops[point["a"]], ops[point["b"]], solver=solver)
    return [float(x) for x in s]


def main():
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    solver = sys.argv[2] if len(sys.argv) > 2 else "pi"
    points = json.loads(text)
    print(json.dumps([spectrum(p, solver=solver) for p in points]))


if __name__ == "__main__":
    main()
