#!/usr/bin/env python3
"""Figures of the spectra and the Liouvillian gap from qk output (seed 001 Fig. 3,
critical slowing down, seed 000 fluctuation-dissipation).

  fig3 FILE.h5   probe transmission T(nu) of seed 001 Fig. 3 from `qk spectrum --kind
                 response --a jp --b jm` (grid over n and h; Gamma_a, Gamma_b as the seed),
                 one panel per h, one curve per N, with the linearized (N -> infinity)
                 resonance positions and half-widths marked.
  gap FILE_N.h5 FILE_H.h5
                 gap vs N (log-log, fitted exponent per h) from `qk gap` over n at a few h,
                 and gap vs h at fixed N from `qk gap` over h.
  teff SYM.h5 COMM.h5
                 T_eff(omega) = omega / (2 arcoth(2 C++/C+-)) of the driven LMG steady state
                 from `qk spectrum --kind symmetrized` and `--kind commutator` (same grid),
                 next to the thermal oscillator, whose C++/C+- is n+1/2 at every omega.

Common flags: --outdir DIR (default .). Run scripts/spectra_figures.sh for the qk commands.

Transmission (derived in qk_lindblad::spectra::lmg): the probe drives cavity mode b, which
the seed eliminates adiabatically (kappa_b >> everything, delta_b = 0); the dissipator
(Gamma_b/N) D[J+] of eq. (5) means b = -i (lambda_b/sqrt(N) J+ + eps e^{-i nu t}) / kappa_b,
so the atoms feel H' = -f(t) J- with f = i g e^{-i nu t}, and the coherent output at the
probe frequency, normalized by the empty cavity, is
    T(nu) = |1 + i (Gamma_b / N) chi_{J+ J-}(nu)|^2,
chi the Kubo response of qk spectrum --kind response (chi = i int_0^inf <[A(t), B]> e^{i nu t}).
In the normal phase chi = i N / (Gamma_b + i (2h - nu)) + ..., a dip to 0 of full width
2 Gamma_b at nu = 2h (the seed's "dip of width 2 Gamma_b at nu ~ 2h").
Linearized reference: the Jacobian of the semiclassical equations (6) at the stable fixed
point (eq. 7 or Z = 1), restricted to the sphere's tangent plane, has eigenvalues mu; the
resonances sit at nu = -Im mu with half-width -Re mu.
"""
import argparse
import os

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def fixed_point(h, lam, gb):
    hm = (lam - np.sqrt(lam**2 - gb**2)) / 2
    hp = (lam + np.sqrt(lam**2 - gb**2)) / 2
    if hm < h < hp:
        L = lam + np.sqrt(lam**2 - gb**2)
        x = np.sqrt((L**2 - 4 * h**2) / (2 * lam * L))
        return np.array([x, gb / L * x, 2 * h / L])
    return np.array([0.0, 0.0, 1.0])


def jacobian_modes(h, lam, gb):
    """Eigenvalues of eqs. (6) linearized at the stable fixed point, tangent to the sphere."""
    X, Y, Z = fixed_point(h, lam, gb)
    J = np.array([
        [-gb * Z, 2 * h, -gb * X],
        [-2 * h + 2 * lam * Z, -gb * Z, 2 * lam * X - gb * Y],
        [-2 * lam * Y + 2 * gb * X, -2 * lam * X + 2 * gb * Y, 0.0],
    ])
    r = np.array([X, Y, Z])
    # orthonormal basis of the tangent plane
    a = np.array([1.0, 0, 0]) if abs(r[0]) < 0.9 else np.array([0, 1.0, 0])
    t1 = a - r * (a @ r)
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(r, t1)
    T = np.stack([t1, t2], axis=1)
    return np.linalg.eigvals(T.T @ J @ T)


def attrs_axis(f, name):
    return f["grid/" + name][...]


def fig3(path, outdir):
    with h5py.File(path) as f:
        n = attrs_axis(f, "n")
        h = attrs_axis(f, "h")
        lam = attrs_axis(f, "lambda")[0]
        gb = attrs_axis(f, "gamma_b")[0]
        ga = attrs_axis(f, "gamma_a")[0]
        w = attrs_axis(f, "omega")
        re = f["results/re"][...][:, :, 0, 0, 0, :]
        im = f["results/im"][...][:, :, 0, 0, 0, :]
        done = f["status/done"][...].reshape(len(n), len(h))
    chi = re + 1j * im
    T = np.abs(1 + 1j * (gb / n[:, None, None]) * chi) ** 2
    cols = 6
    rows = int(np.ceil(len(h) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.6 * rows), squeeze=False)
    for j, hv in enumerate(h):
        ax = axes[j // cols][j % cols]
        for i, nv in enumerate(n):
            if done[i, j]:
                ax.plot(w, T[i, j], lw=1, label=f"N={int(nv)}")
        for mu in jacobian_modes(hv, lam, gb):
            nu = -mu.imag
            ax.axvline(nu, color="k", ls=":", lw=0.8)
            ax.axvspan(nu + mu.real, nu - mu.real, color="0.85", zorder=0)
        ax.set_title(f"h/λ = {hv / lam:.4g}", fontsize=9)
        ax.set_xlabel("ν/λ")
        if j % cols == 0:
            ax.set_ylabel("T(ν)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"Probe transmission (seed 001 Fig. 3), Γa/λ = {ga:g}, "
                 f"Γb/λ = {gb:g}; dotted: linearized resonances ν = −Im μ, shaded: ±|Re μ|")
    fig.tight_layout()
    out = os.path.join(outdir, "fig3_transmission.png")
    fig.savefig(out, dpi=130)
    print("wrote", out)


def gap(path_n, path_h, outdir):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    with h5py.File(path_n) as f:
        n = attrs_axis(f, "n").astype(float)
        h = attrs_axis(f, "h")
        lam = attrs_axis(f, "lambda")[0]
        gb = attrs_axis(f, "gamma_b")[0]
        g = f["results/gap_odd"][...][:, :, 0, 0, 0]
        done = f["status/done"][...].reshape(len(n), len(h))
    hp = (lam + np.sqrt(lam**2 - gb**2)) / 2
    for j, hv in enumerate(h):
        ok = done[:, j].astype(bool)
        x, y = n[ok], g[ok, j]
        (line,) = a1.loglog(x, y, "o-", ms=3)
        k = len(x) // 2
        slope, icpt = np.polyfit(np.log(x[k:]), np.log(y[k:]), 1)
        mu = jacobian_modes(hv, lam, gb)
        lin = np.min(np.abs(mu.real))
        a1.axhline(lin, color=line.get_color(), ls=":", lw=0.8)
        a1.plot([], [], " ", label="")
        line.set_label(f"h/λ={hv / lam:.6g}: gap ∝ N^{slope:.2f} (fit N≥{int(x[k])}); N→∞ {lin:.2g}")
        print(f"gap vs N at h = {hv}: fitted exponent {slope:.3f} over N = {x[k:].astype(int)}; "
              f"linearized |Re mu|min = {lin:.4g}")
    a1.set_xlabel("N")
    a1.set_ylabel("odd-block gap min |Re λ|")
    a1.set_title(f"critical slowing down (h₊ᶜ/λ = {hp / lam:.6g}); dotted: linearized")
    a1.legend(fontsize=7)
    with h5py.File(path_h) as f:
        n2 = attrs_axis(f, "n")
        h2 = attrs_axis(f, "h")
        ge = f["results/gap_even"][...][0, :, 0, 0, 0]
        go = f["results/gap_odd"][...][0, :, 0, 0, 0]
        ok = f["status/done"][...].reshape(len(n2), len(h2))[0].astype(bool)
    a2.semilogy(h2[ok] / lam, go[ok], label="odd block")
    a2.semilogy(h2[ok] / lam, ge[ok], label="even block (steady state excluded)")
    lin = [np.min(np.abs(jacobian_modes(x, lam, gb).real)) for x in h2]
    a2.semilogy(h2 / lam, np.maximum(lin, 1e-8), "k:", label="linearized (N→∞)")
    for x in [(lam - np.sqrt(lam**2 - gb**2)) / 2, hp]:
        a2.axvline(x / lam, color="0.6", lw=0.8)
    a2.set_xlabel("h/λ")
    a2.set_ylabel("gap")
    a2.set_title(f"gap vs h at N = {int(n2[0])}")
    a2.legend(fontsize=7)
    fig.tight_layout()
    out = os.path.join(outdir, "gap_scaling.png")
    fig.savefig(out, dpi=130)
    print("wrote", out)


def teff(sym, comm, outdir):
    with h5py.File(sym) as f:
        w = attrs_axis(f, "omega")
        h = attrs_axis(f, "h")
        cpp = f["results/re"][...][0, :, 0, 0, 0, :]
    with h5py.File(comm) as f:
        cpm = f["results/re"][...][0, :, 0, 0, 0, :]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for j, hv in enumerate(h):
        r = cpp[j] / cpm[j]
        with np.errstate(all="ignore"):
            te = w / (2 * np.arctanh(1 / (2 * r)))
        ok = np.abs(cpm[j]) > 1e-6 * np.max(np.abs(cpm[j]))
        a1.plot(w[ok], te[ok], ".", ms=2, label=f"h/λ = {hv:g}")
    a1.set_xlabel("ω/λ")
    a1.set_ylabel("T_eff(ω) = ω / (2 arcoth(2 C₊₊/C₊₋))")
    a1.set_ylim(-3, 3)
    a1.set_title("driven LMG (J+, J−): no single temperature")
    a1.legend(fontsize=7)
    # thermal oscillator (the exact Lorentzians of the damped oscillator with thermal rates,
    # checked against the qk kernel in kernels/lindblad/tests/spectra.rs)
    w0, kappa, nbar = 1.0, 0.1, 0.4
    beta = np.log((1 + nbar) / nbar) / w0
    x = np.linspace(0.2, 2.0, 400)
    a2.plot(x, np.full_like(x, nbar + 0.5), label="C₊₊/C₊₋ (thermal oscillator: n̄ + ½ at every ω)")
    a2.plot(x, 0.5 / np.tanh(beta * x / 2), "--", label="½ coth(βω/2)")
    a2.axvline(w0, color="0.6", lw=0.8)
    a2.set_xlabel("ω/ω₀")
    a2.set_title(f"FDT holds at the resonance only (n̄ = {nbar}, κ = {kappa})")
    a2.legend(fontsize=7)
    fig.tight_layout()
    out = os.path.join(outdir, "fdt_teff.png")
    fig.savefig(out, dpi=130)
    print("wrote", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["fig3", "gap", "teff"])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--outdir", default=".")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    if a.what == "fig3":
        fig3(a.files[0], a.outdir)
    elif a.what == "gap":
        gap(a.files[0], a.files[1], a.outdir)
    else:
        teff(a.files[0], a.files[1], a.outdir)


if __name__ == "__main__":
    main()
