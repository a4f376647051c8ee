#!/usr/bin/env python3
"""Reference steady states of the dissipative LMG model with QuTiP.

Usage:
    qutip_lmg.py '<json>'          # points as the first argument
    echo '<json>' | qutip_lmg.py   # or on stdin

<json> is one point or a list of points, each an object with keys
n, h, lambda, gamma_a, gamma_b. Prints a JSON list (same order) of objects
with jz, jx2, jy2, jz2, concurrence and the input point.

Conventions (PHYSICS.md section 1, seed 001 eq. 5, 9), identical to the
qk-lindblad crate:
    H   = -2 h Jz - (2 lambda / N) Jx^2
    C_a = sqrt(2 gamma_a / N) * 2 Jx,   C_b = sqrt(2 gamma_b / N) * J+
    jz = <Jz>/j, jx2 = <Jx^2>/j^2, jy2 = <Jy^2>/j^2, jz2 = <Jz^2>/j^2, j = N/2
    C_R = max(0, max_phi C_phi), C_phi = 1 - (4/N)(<J_phi^2> - <J_phi>^2)
          - (4/N^2) <J_phi>^2, J_phi = sin(phi) Jx + cos(phi) Jy,
    maximised in closed form: C_R = max(0, 1 - lambda_min(M)),
    M = (4/N) S - (4/N - 4/N^2) m m^T, S the symmetrised second moments of
    (Jx, Jy) and m = (<Jx>, <Jy>).
The steady state is qutip.steadystate(H, c_ops) (QuTiP 5, default method).
"""

import json
import sys

import numpy as np
import qutip


def concurrence(n, jx, jy, jx2, jy2, jxy):
    f = 4.0 / n
    g = 4.0 / n - 4.0 / n**2
    m = np.array(
        [
            [f * jx2 - g * jx * jx, f * jxy - g * jx * jy],
            [f * jxy - g * jx * jy, f * jy2 - g * jy * jy],
        ]
    )
    lam_min = np.linalg.eigvalsh(m)[0]
    return max(0.0, 1.0 - lam_min)


def operators(point):
    """(H, c_ops, spin) of one point: the conventions above; spin = (jx, jy, jz)
    on the Dicke basis (index 0 is m = +j, as in qk)."""
    n = int(point["n"])
    h = float(point["h"])
    lam = float(point["lambda"])
    ga = float(point["gamma_a"])
    gb = float(point["gamma_b"])
    j = n / 2.0
    jx = qutip.jmat(j, "x")
    jy = qutip.jmat(j, "y")
    jz = qutip.jmat(j, "z")
    jp = qutip.jmat(j, "+")
    ham = -2.0 * h * jz - (2.0 * lam / n) * jx * jx
    c_ops = []
    if ga > 0.0:
        c_ops.append(np.sqrt(2.0 * ga / n) * 2.0 * jx)
    if gb > 0.0:
        c_ops.append(np.sqrt(2.0 * gb / n) * jp)
    return ham, c_ops, (jx, jy, jz)


def solve(point):
    n = int(point["n"])
    j = n / 2.0
    ham, c_ops, (jx, jy, jz) = operators(point)
    rho = qutip.steadystate(ham, c_ops)
    ex = lambda op: float(np.real(qutip.expect(op, rho)))
    mx, my, mz = ex(jx), ex(jy), ex(jz)
    sxx, syy, szz = ex(jx * jx), ex(jy * jy), ex(jz * jz)
    sxy = 0.5 * ex(jx * jy + jy * jx)
    return {
        "point": point,
        "jz": mz / j,
        "jx2": sxx / j**2,
        "jy2": syy / j**2,
        "jz2": szz / j**2,
        "concurrence": concurrence(n, mx, my, sxx, syy, sxy),
    }


def main():
    text = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    points = json.loads(text)
    if isinstance(points, dict):
        points = [points]
    print(json.dumps([solve(p) for p in points]))


if __name__ == "__main__":
    main()
