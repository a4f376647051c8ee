#!/usr/bin/env python3
"""Render the dissipative-LMG figures of seed 001 from a `qk lmg` HDF5 file.

  Fig. 2: <Jz>/j and the second moments <Jx^2>/j^2, <Jy^2>/j^2, <Jz^2>/j^2 vs h/lambda,
          one curve per N, with the semiclassical (N -> infinity) values and h_-^c, h_+^c marked.
  Fig. 4: the rescaled concurrence C_R vs h/lambda.

Usage: plot_lmg.py FILE.h5 [--outdir DIR] [--lambda-index I] [--gamma-a-index I] [--gamma-b-index I]
Points that failed (or are not done yet) are left out of the curves.
"""
import argparse
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def semiclassical(h, lam, gb):
    """Stable semiclassical fixed point (X, Y, Z) of PHYSICS.md section 1 at fields h."""
    h = np.asarray(h, dtype=float)
    X = np.zeros_like(h)
    Y = np.zeros_like(h)
    Z = np.ones_like(h)
    if lam > gb:
        root = np.sqrt(lam**2 - gb**2)
        big = lam + root
        lo, hi = (lam - root) / 2, (lam + root) / 2
        inside = (h > lo) & (h < hi)
        X[inside] = np.sqrt((big**2 - 4 * h[inside] ** 2) / (2 * lam * big))
        Y[inside] = gb / big * X[inside]
        Z[inside] = 2 * h[inside] / big
    return X, Y, Z


def critical_fields(lam, gb):
    if lam <= gb:
        return []
    root = np.sqrt(lam**2 - gb**2)
    return [(lam - root) / 2, (lam + root) / 2]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--outdir", default=None, help="directory for the PNGs (default: next to FILE)")
    p.add_argument("--lambda-index", type=int, default=0)
    p.add_argument("--gamma-a-index", type=int, default=0)
    p.add_argument("--gamma-b-index", type=int, default=0)
    a = p.parse_args(argv)

    with h5py.File(a.file, "r") as f:
        axes = [s.decode() if isinstance(s, bytes) else s for s in f["results/jz"].attrs["axes"]]
        expected = ["n", "h", "lambda", "gamma_a", "gamma_b"]
        if axes != expected:
            sys.exit(f"plot_lmg: {a.file}: axes {axes}, expected {expected} (not a qk lmg file?)")
        ns = f["grid/n"][:]
        hs = f["grid/h"][:]
        lam = float(f["grid/lambda"][a.lambda_index])
        ga = float(f["grid/gamma_a"][a.gamma_a_index])
        gb = float(f["grid/gamma_b"][a.gamma_b_index])
        sel = (slice(None), slice(None), a.lambda_index, a.gamma_a_index, a.gamma_b_index)
        data = {k: f[f"results/{k}"][sel] for k in ["jz", "jx2", "jy2", "jz2", "concurrence"]}
        ok = (f["status/done"][sel] == 1) & (f["status/failed"][sel] == 0)

    outdir = a.outdir or os.path.dirname(os.path.abspath(a.file))
    os.makedirs(outdir, exist_ok=True)
    stem = os.path.splitext(os.path.basename(a.file))[0]
    x = hs / lam
    hfine = np.linspace(hs.min(), hs.max(), 2001)
    X, Y, Z = semiclassical(hfine, lam, gb)
    crit = critical_fields(lam, gb)
    styles = [":", "--", (0, (8, 3)), "-.", (0, (1, 3))]

    fig, axs = plt.subplots(2, 2, figsize=(9, 7), sharex=True)
    panels = [
        ("jz", r"$\langle J_z\rangle/j$", Z),
        ("jx2", r"$\langle J_x^2\rangle/j^2$", X**2),
        ("jy2", r"$\langle J_y^2\rangle/j^2$", Y**2),
        ("jz2", r"$\langle J_z^2\rangle/j^2$", Z**2),
    ]
    for ax, (key, label, sc) in zip(axs.flat, panels):
        ax.plot(hfine / lam, sc, "k-", lw=1.5, label=r"semiclassical $N\to\infty$")
        for i, n in enumerate(ns):
            m = ok[i]
            ax.plot(x[m], data[key][i][m], linestyle=styles[i % len(styles)], lw=1.5, label=f"N = {n}")
        for hc in crit:
            ax.axvline(hc / lam, color="0.6", lw=0.8)
        ax.set_ylabel(label)
    for ax in axs[1]:
        ax.set_xlabel(r"$h/\lambda$")
    axs[0, 0].legend(fontsize=8)
    fig.suptitle(
        rf"Dissipative LMG steady state, $\Gamma_a/\lambda={ga / lam:g}$, $\Gamma_b/\lambda={gb / lam:g}$"
        + (rf"; $h_\pm^c/\lambda$ = {crit[0] / lam:.4f}, {crit[1] / lam:.4f}" if crit else "")
    )
    fig.tight_layout()
    fig2 = os.path.join(outdir, f"{stem}_fig2.png")
    fig.savefig(fig2, dpi=130)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for i, n in enumerate(ns):
        m = ok[i]
        ax.plot(x[m], data["concurrence"][i][m], linestyle=styles[i % len(styles)], lw=1.5, label=f"N = {n}")
    for hc in crit:
        ax.axvline(hc / lam, color="0.6", lw=0.8)
    ax.set_xlabel(r"$h/\lambda$")
    ax.set_ylabel(r"$C_R$")
    ax.set_title(r"Rescaled concurrence $C_R$ (peaks at $h_\pm^c$)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig4 = os.path.join(outdir, f"{stem}_fig4.png")
    fig.savefig(fig4, dpi=130)
    plt.close(fig)
    print(fig2)
    print(fig4)


if __name__ == "__main__":
    main()
