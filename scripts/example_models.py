"""Example model files for the `--model` subcommands of qk (steady, spectrum, jumps), written from QuTiP with qk_model.py.

    python scripts/example_models.py OUTDIR [--kerr-n 40] [--jc-n 20] [--ising-n 6] [--lmg-n 20] [--spectra]

writes OUTDIR/kerr.h5, jc_laser.h5, ising.h5, lmg.h5:

- kerr: driven dissipative Kerr oscillator, Fock truncation kerr-n,
  H = delta a†a + chi a†a†aa + f (a + a†), C = sqrt(kappa) a; initial state the vacuum;
- jc_laser: Jaynes-Cummings laser, cavity truncation jc-n ⊗ two-level atom,
  H = delta_c a†a + delta_a σ+σ- + g (a†σ- + a σ+), C = sqrt(kappa) a (cavity loss),
  sqrt(pump) σ+ (incoherent pumping), sqrt(gamma) σ- (atomic decay); parity of the
  excitation number a†a + σ+σ- (a weak Z2 symmetry: every C flips it); initial
  state the vacuum with the atom excited;
- ising: dissipative transverse-field Ising chain of ising-n spins (open),
  H = j Σ σz_i σz_{i+1} + h Σ σx_i, C_i = sqrt(gamma) σ-_i;
- lmg: the dissipative LMG model of PHYSICS.md §1 with N = lmg-n spins,
  H = -2h Jz - (2λ/N) Jx², C_a = sqrt(2Γa/N) 2Jx, C_b = sqrt(2Γb/N) J+
  (the same parameters and observables as `qk lmg`).

With --spectra, jc_laser also has the observables a (cavity field) and sm (σ-), and lmg
jp (J+) and jx (Jx), the operators of `qk spectrum --model` examples (`--a jp --b jp.dag`
on lmg.h5 is `qk spectrum --a jp --b jm`). They are off by default: Tr(aρ) and the
others vanish identically by the parity.
"""

import argparse
import os
import sys

import numpy as np
import qutip as qt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qk_model import save_model  # noqa: E402


def kerr(path, n=40):
    a = qt.destroy(n)
    ad = a.dag()
    save_model(path,
               H={"detuning": (ad * a, "delta"), "kerr": (ad * ad * a * a, "chi"),
                  "drive": (a + ad, "f")},
               c_ops={"loss": (a, "kappa")},
               observables={"n": (ad * a, "a†a"), "a": (a, "field a"),
                            "g2_num": (ad * ad * a * a, "a†a†aa")},
               parameters=[("delta", None, "detuning Δ"), ("chi", 0.3, "Kerr χ"),
                           ("f", 1.0, "drive amplitude F"), ("kappa", 1.0, "loss rate κ")],
               description=f"driven dissipative Kerr oscillator, Fock truncation {n}",
               initial=qt.basis(n, 0))


def jc_laser(path, n=20, spectra=False):
    a = qt.tensor(qt.destroy(n), qt.qeye(2))
    sm = qt.tensor(qt.qeye(n), qt.destroy(2))  # |0> ground, |1> excited of the atom
    sp = sm.dag()
    excitations = np.array([(k // 2 + k % 2) % 2 for k in range(2 * n)], dtype=np.int8)
    save_model(path,
               H={"cavity": (a.dag() * a, "delta_c"), "atom": (sp * sm, "delta_a"),
                  "coupling": (a.dag() * sm + a * sp, "g")},
               c_ops={"cavity_loss": (a, "kappa"), "pumping": (sp, "pump"),
                      "atom_decay": (sm, "gamma")},
               observables={"n": (a.dag() * a, "photon number"),
                            "pe": (sp * sm, "atomic excitation"),
                            "g2_num": (a.dag() * a.dag() * a * a, "a†a†aa"),
                            **({"a": (a, "cavity field a"), "sm": (sm, "atomic lowering σ-")}
                               if spectra else {})},
               parameters=[("delta_c", 0.0, "cavity detuning"), ("delta_a", 0.0, "atom detuning"),
                           ("g", 1.0, "coupling g"), ("kappa", 0.5, "cavity loss κ"),
                           ("pump", None, "incoherent pumping rate P"),
                           ("gamma", 0.05, "atomic decay γ")],
               parity=excitations,
               description=f"Jaynes-Cummings laser, cavity truncation {n}",
               initial=qt.tensor(qt.basis(n, 0), qt.basis(2, 1)))


def ising(path, n=6):
    def site(op, i):
        ops = [qt.qeye(2)] * n
        ops[i] = op
        return qt.tensor(ops)

    zz = sum(site(qt.sigmaz(), i) * site(qt.sigmaz(), i + 1) for i in range(n - 1))
    x = sum(site(qt.sigmax(), i) for i in range(n))
    c_ops = {f"decay_{i}": (site(qt.sigmam(), i), "gamma") for i in range(n)}
    save_model(path,
               H={"zz": (zz, "j"), "x": (x, "h")},
               c_ops=c_ops,
               observables={"mz": (sum(site(qt.sigmaz(), i) for i in range(n)) / n, "Σσz/N"),
                            "mx": (x / n, "Σσx/N"),
                            "zz": (zz / (n - 1), "Σσzσz/(N-1)"),
                            "sm0": (site(qt.sigmam(), 0), "σ- of the first spin")},
               parameters=[("j", 1.0, "coupling J"), ("h", None, "transverse field h"),
                           ("gamma", 1.0, "decay rate γ per spin")],
               description=f"dissipative transverse-field Ising chain, {n} spins")


def lmg(path, n=20, spectra=False):
    j = n / 2
    jx, jy, jz = qt.jmat(j, "x"), qt.jmat(j, "y"), qt.jmat(j, "z")
    jp = qt.jmat(j, "+")
    save_model(path,
               H={"jz": (jz, "h", -2.0), "jx2": (jx * jx, "lambda", -2.0 / n)},
               c_ops={"two_jx": (2 * jx, "gamma_a", 2.0 / n), "jp": (jp, "gamma_b", 2.0 / n)},
               observables={"jz": (jz / j, "<Jz>/j"), "jx2": (jx * jx / j**2, "<Jx^2>/j^2"),
                            "jy2": (jy * jy / j**2, "<Jy^2>/j^2"),
                            "jz2": (jz * jz / j**2, "<Jz^2>/j^2"),
                            **({"jp": (jp, "J+"), "jx": (jx, "Jx")} if spectra else {})},
               parameters=[("h", None, "field h"), ("lambda", 1.0, "coupling λ"),
                           ("gamma_a", 0.01, "rate Γa of (Γa/N) D[2Jx]"),
                           ("gamma_b", 0.2, "rate Γb of (Γb/N) D[J+]")],
               parity=np.arange(n + 1) % 2,
               description=f"dissipative Lipkin-Meshkov-Glick model, N = {n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--kerr-n", type=int, default=40)
    ap.add_argument("--jc-n", type=int, default=20)
    ap.add_argument("--ising-n", type=int, default=6)
    ap.add_argument("--lmg-n", type=int, default=20)
    ap.add_argument("--spectra", action="store_true",
                    help="also the operators of the qk spectrum examples (jc_laser: a, sm; lmg: jp, jx)")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    kerr(os.path.join(a.outdir, "kerr.h5"), a.kerr_n)
    jc_laser(os.path.join(a.outdir, "jc_laser.h5"), a.jc_n, a.spectra)
    ising(os.path.join(a.outdir, "ising.h5"), a.ising_n)
    lmg(os.path.join(a.outdir, "lmg.h5"), a.lmg_n, a.spectra)
    print(f"wrote kerr.h5 jc_laser.h5 ising.h5 lmg.h5 in {a.outdir}")


if __name__ == "__main__":
    main()
