#!/usr/bin/env python3
"""Seed 002 Fig. 1 from `qk classical` output (main panel left, the inset as the right panel).

  plot_classical.py SWEEP.h5 EPS0.h5 INSET.h5 [--inset-reference EPS0_INSET.h5] [-o fig1.png]

SWEEP.h5: `qk classical` over --mass and --eps (other axes single-valued); main panel D_c of
particle 1 vs m (log axis), one marker series per eps, with the standard error.
EPS0.h5: the unperturbed case (--eps 0, any single mass): the dashed line with its error band.
INSET.h5: one point (m = 0.001 in the seed); the inset shows <p1^2>(t) with its standard-error
band, the line D_c t with D_c fitted by qk (d_ratio), and the seed's D_c t, D_c = 0.087;
--inset-reference adds the unperturbed <p1^2>(t) (from a file with the same kicks).

D_c convention (seed 002: <p^2>(t) = D_c t): D_c = <p1^2>(T)/T at the last kick T,
`/results/d_ratio` (+- `d_ratio_err`); qk's `d_c` is half the fitted slope (Rechester-White
D = <dp^2>/2n), so 2 d_c is shown in the legend as a cross-check. Points that failed (status/done
= 0) are left out and listed on stderr. Run scripts/classical_figures.sh for the qk commands.
"""
import argparse
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SEED_DC = 0.087


def load(path):
    with h5py.File(path, "r") as f:
        grid = {k: np.array(f["grid"][k]) for k in f["grid"]}
        res = {k: np.array(f["results"][k]) for k in f["results"]}
        done = np.array(f["status/done"]).astype(bool)
    return grid, res, done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sweep")
    ap.add_argument("eps0")
    ap.add_argument("inset")
    ap.add_argument("--inset-reference")
    ap.add_argument("-o", "--output", default="fig1.png")
    a = ap.parse_args()

    grid, res, done = load(a.sweep)
    shape = res["d_ratio"].shape
    # grid order of qk classical: mass, eps, k1, k2, lambda, noise_width
    if any(n != 1 for n in shape[2:]):
        sys.exit("plot_classical.py: the sweep must vary only --mass and --eps")
    mass, eps = grid["mass"], grid["eps"]
    d = res["d_ratio"].reshape(len(mass), len(eps))
    de = res["d_ratio_err"].reshape(len(mass), len(eps))
    ok = done.reshape(len(mass), len(eps))
    for i, j in zip(*np.nonzero(~ok)):
        print(f"plot_classical.py: point m={mass[i]}, eps={eps[j]} failed (left out)", file=sys.stderr)

    g0, r0, d0 = load(a.eps0)
    if not d0.all() or np.any(np.array(g0["eps"]) != 0):
        sys.exit("plot_classical.py: EPS0.h5 must be a completed --eps 0 run")
    dc0 = float(np.ravel(r0["d_ratio"])[0])
    dc0e = float(np.ravel(r0["d_ratio_err"])[0])

    fig, (ax, ins) = plt.subplots(1, 2, figsize=(11, 4.6), gridspec_kw={"width_ratios": [1.3, 1]})
    markers = ["^", "s", "o", "D", "v"]
    for j, e in enumerate(eps):
        m = ok[:, j]
        ax.errorbar(mass[m], d[m, j], yerr=de[m, j], fmt=markers[j % len(markers)] + "-",
                    ms=5, capsize=2, label=f"$\\varepsilon$ = {e:g}")
    ax.axhline(dc0, color="r", ls="--", label=f"$\\varepsilon$ = 0: {dc0:.3f} $\\pm$ {dc0e:.3f}")
    ax.axhspan(dc0 - dc0e, dc0 + dc0e, color="r", alpha=0.15)
    ax.set_xscale("log")
    ax.set_xlabel("m")
    ax.set_ylabel(r"$D_c = \langle p_1^2\rangle(T)/T$")
    k1 = float(np.ravel(grid["k1"])[0])
    T = int(np.array(grid["kick"])[-1])
    ax.set_title(f"seed 002 Fig. 1 (qk classical): K1 = {k1:g}, K2 = 0, $\\lambda$ = "
                 f"{float(np.ravel(grid['lambda'])[0]):g}, T = {T} kicks", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")

    gi, ri, di = load(a.inset)
    if not di.all():
        sys.exit("plot_classical.py: INSET.h5 point failed")
    t = np.array(gi["kick"])
    p = np.ravel(ri["p1_sq"])
    pe = np.ravel(ri["p1_sq_err"])
    dci = float(np.ravel(ri["d_ratio"])[0])
    dcie = float(np.ravel(ri["d_ratio_err"])[0])
    fit = 2 * float(np.ravel(ri["d_c"])[0])
    ins.fill_between(t, p - pe, p + pe, color="k", alpha=0.25, lw=0)
    ins.plot(t, p, "k-", lw=1,
             label=f"m = {float(np.ravel(gi['mass'])[0]):g}, $\\varepsilon$ = {float(np.ravel(gi['eps'])[0]):g}")
    if a.inset_reference:
        gr, rr, _ = load(a.inset_reference)
        ins.plot(np.array(gr["kick"]), np.ravel(rr["p1_sq"]), "b:", lw=1, label=r"$\varepsilon$ = 0")
    ins.plot(t, dci * t, "g-", lw=0.8, label=f"$D_c t$, $D_c$ = {dci:.3f}$\\pm${dcie:.3f} (slope {fit:.3f})")
    ins.plot(t, SEED_DC * t, "r--", lw=1, label=f"seed: $D_c$ = {SEED_DC}")
    ins.set_xlabel("t (kicks)")
    ins.set_ylabel(r"$\langle p_1^2\rangle$")
    ins.set_title("inset of Fig. 1", fontsize=9)
    ins.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(a.output, dpi=130)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
