#!/usr/bin/env bash
# Seed 002 end to end from qk output: every run behind Figs. 1-5 at the seed's parameters, then
# the figures and the check of the seed's claims (scripts/plot_seed002.py, plot_classical.py).
# Resumable: rerun the same command after an interruption; each qk run completes its file
# with --resume and finished files are not recomputed.
#
# Usage: scripts/run_seed002.sh [OUTDIR]            (default docs/figures/seed002)
# Environment:
#   RANKS=2        MPI ranks (the local cores)
#   MODE=local     what this 2-core machine finishes in about half an hour (the default):
#                  Fig. 1 and Fig. 3 at the seed's parameters; Figs. 2 and 4 with the seed's
#                  continuous interaction at m = 1 only, 100 kicks, hbar 0.015-0.05; Fig. 5 at
#                  hbar = 0.05, 200 kicks
#   MODE=seed      every run at the seed's parameters (500 kicks, hbar 0.01-0.05, m = 0.001,
#                  0.01, 1, continuous interaction with the substeps the light particle needs):
#                  days of CPU on this machine (README), meant for a cluster allocation
#   MODE=quick     a small version of every run (40 kicks, coarse hbar, few trajectories) that
#                  checks the whole pipeline in a few minutes; its figures are not the seed's
#   ONLY="fig4 fig5"  run only these steps (fig1 fig2 fig3 fig4 fig5); the plots always run
#
# Interaction. The seed's interaction acts continuously (Strang splitting, --substeps per
# period). The light particle (m = 0.001) crosses the interaction range ~200 times per period,
# so its Strang phase-error bound needs >= 1600 substeps at hbar = 0.05 and ~3600 at 0.01
# (qk kicked reports it), 10-40x the cost of m = 1 per period. `--interaction kicked` is no
# shortcut at eps = 2: applying the whole period's exp(-i eps U / hbar) at once is a different,
# interaction-dominated map (D ~ 4 per kick against ~0.1), classical at every seed hbar and with
# grids of 10^4 x 10^4 and more after 500 kicks.
# Fig. 5 reads the seed's lost coupling form as eps_eff = eps * hbar_eff (classically negligible,
# the interaction phase eps U per kick kept at the seed's eps = 20), kicked interaction, at
# hbar_eff = 0.05 (local) or 0.01 (seed) instead of the unreadable "= 1e-4", whose grid
# (~10^6 sine modes for K1 = 5) does not fit.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/figures/seed002}
ranks=${RANKS:-2}
mode=${MODE:-local}
only=${ONLY:-fig1 fig2 fig3 fig4 fig5}
qk=target/release/qk
py=.venv/bin/python
[ -x "$qk" ] || { echo "run_seed002: $qk missing: run scripts/setup.sh" >&2; exit 2; }
[ -x "$py" ] || { echo "run_seed002: $py missing: run scripts/setup.sh" >&2; exit 2; }
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PMIX_MCA_psec=^munge
mpi() { if [ "$ranks" -gt 1 ]; then mpirun -n "$ranks" --oversubscribe --bind-to none "$@"; else "$@"; fi; }
want() { [[ " $only " == *" $1 "* ]]; }
# one timed step: NAME then the command; the time goes to OUTDIR/times.txt
step() {
    local name=$1
    shift
    local t0=$SECONDS
    echo "run_seed002: $name" >&2
    "$@"
    echo "$name $((SECONDS - t0)) s (ranks $ranks, mode $mode)" >>"$out/times.txt"
}

case "$mode" in
quick)
    kicks=40 every=2 traj=200 real=8 ctraj=400 sub=100 m24=1 maxn=8191
    h2=0.03,0.05 h3=0.03,0.05 h4=0.03,0.035,0.04,0.05 mom=40 masses=1
    h5=0.05 kicks5=20 kicks3=40 every3=2 ;;
local)
    kicks=100 every=2 traj=2000 real=50 ctraj=10000 sub=90 m24=1 maxn=8191
    h2=0.02,0.03,0.04,0.05 h3=0.01,0.02,0.03,0.05 mom=100 masses=1
    h4=0.015,0.02,0.025,0.03,0.035,0.04,0.045,0.05
    h5=0.05 kicks5=200 kicks3=500 every3=5 ;;
seed)
    kicks=500 every=5 traj=10000 real=50 ctraj=10000 sub=4000 m24=0.001 maxn=65535
    h2=0.01,0.02,0.03,0.04,0.05 h3=0.01,0.02,0.03,0.05 mom=500 masses=0.001,0.01,1
    h4=0.01,0.015,0.02,0.025,0.03,0.035,0.04,0.045,0.05
    h5=0.01 kicks5=200 kicks3=500 every3=5 ;;
*)
    echo "run_seed002: MODE=$mode: expected local, seed or quick" >&2
    exit 2 ;;
esac
common=(--k1 1.8 --k2 0 --lambda 10 --eps 2)

if want fig1; then
    if [ "$mode" = quick ]; then
        step fig1 scripts/classical_figures.sh "$out" 40 40 40
    else
        step fig1 scripts/classical_figures.sh "$out"
    fi
fi
if want fig2; then
    # Fig. 2a, 2b: eps = 2, hbar 0.01..0.05, momentum distributions at the last kick
    step fig2 mpi $qk kicked --hbar "$h2" --mass "$m24" "${common[@]}" --substeps "$sub" \
        --n1 auto --n2 auto --max-n "$maxn" --kicks "$kicks" --observe-every "$every" \
        --momentum-at "$mom" -o "$out/fig2.h5" --resume -q
    # the eps = 0 curve at the smallest hbar: particle 1 alone (the W = 0 noise run is that system)
    step fig2_eps0 $qk noise --hbar "${h2%%,*}" --width 0 --k 1.8 --realizations 1 --kicks "$kicks" \
        --observe-every "$every" -o "$out/fig2_eps0.h5" --resume -q
fi
if want fig3; then
    # Fig. 3 (one particle, noisy kick): the seed's parameters in every mode but quick
    step fig3a mpi $qk noise --hbar "${h3%%,*}" --width 0,0.005,0.008,0.01 --k 1.8 --realizations "$real" \
        --kicks "$kicks3" --observe-every "$every3" -o "$out/fig3a.h5" --resume -q
    step fig3b mpi $qk noise --hbar "$h3" --width 0.01 --k 1.8 --realizations "$real" --kicks "$kicks3" \
        --observe-every "$every3" --momentum-at "$kicks3" -o "$out/fig3b.h5" --resume -q
    step fig3_classical mpi $qk classical --mass 1 --eps 0 --k1 1.8 --noise-width 0.01 \
        --trajectories "$ctraj" --kicks "$kicks3" --observe-every "$every3" \
        -o "$out/fig3_classical.h5" --resume -q
fi
if want fig4; then
    # Figs. 4a, 4b: eta = D_q/D_c over (hbar, m) with the thresholds hbar_c, hbar_l per m; the
    # classical run starts from the quantum state's position density |phi1|^2 (--classical-initial
    # ground), so D_q and D_c differ by the dynamics, not by the first kicks
    step fig4 mpi $qk transition --hbar "$h4" --mass "$masses" "${common[@]}" --substeps "$sub" \
        --classical-initial ground \
        --kicks "$kicks" --observe-every "$every" --trajectories "$traj" --max-n "$maxn" \
        --thresholds -o "$out/fig4.h5" --resume -q
fi
if want fig5; then
    # Fig. 5: purity for K2 = 0..0.12 at K1 = 5, m = 0.01, eps_eff = 20 hbar (kicked interaction)
    eps5=$($py -c "print(20 * $h5)")
    step fig5 mpi $qk kicked --hbar "$h5" --mass 0.01 --k1 5 --k2 0,0.03,0.05,0.09,0.12 --eps "$eps5" \
        --lambda 10 --interaction kicked --n1 auto --n2 auto --max-n "$maxn" --kicks "$kicks5" \
        --observe-every 1 -o "$out/fig5.h5" --resume -q
fi
$py scripts/plot_seed002.py "$out"
