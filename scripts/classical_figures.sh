#!/usr/bin/env bash
# Seed 002 Fig. 1 from qk classical output: D_c of particle 1 vs m for ε = 0.1, 2, 4 with the
# unperturbed (ε = 0) line, and the inset ⟨p1²⟩(t) at m = 0.001. Resumable: rerun the same
# command after an interruption (qk --resume completes the files).
# Usage: scripts/classical_figures.sh [OUTDIR] [TRAJECTORIES] [KICKS] [INSET_TRAJECTORIES]
# Environment: RANKS (default 2) MPI ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/figures/classical}
traj=${2:-400}
kicks=${3:-300}
inset=${4:-300}
ranks=${RANKS:-2}
mkdir -p "$out"
qk=target/release/qk
py=.venv/bin/python
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PMIX_MCA_psec=^munge
mpi() { if [ "$ranks" -gt 1 ]; then mpirun -n "$ranks" "$@"; else "$@"; fi; }
# D_c vs m: 7 masses x 3 couplings, dealt out dynamically over the ranks (most expensive first)
mpi $qk classical --mass 0.001,0.003,0.01,0.03,0.1,0.3,1 --eps 0.1,2,4 --k1 1.8 --lambda 10 \
    --trajectories "$traj" --kicks "$kicks" --observe-every 10 --tolerance 1e-6 \
    -o "$out/fig1_sweep.h5" --resume -q
# the unperturbed line (exact free flight: cheap, 10x the trajectories)
$qk classical --mass 1 --eps 0 --k1 1.8 --trajectories $((10 * traj)) --kicks "$kicks" \
    --observe-every 10 -o "$out/fig1_eps0.h5" --resume -q
# inset: m = 0.001, ε = 2, 500 kicks, one point shared by all ranks
mpi $qk classical --mass 0.001 --eps 2 --k1 1.8 --lambda 10 --trajectories "$inset" --kicks 500 \
    --observe-every 5 --tolerance 1e-6 --histogram-at 500 --ranks-per-task "$ranks" \
    -o "$out/fig1_inset.h5" --resume -q
$qk classical --mass 1 --eps 0 --k1 1.8 --trajectories 10000 --kicks 500 --observe-every 5 \
    -o "$out/fig1_inset_eps0.h5" --resume -q
$py scripts/plot_classical.py "$out/fig1_sweep.h5" "$out/fig1_eps0.h5" "$out/fig1_inset.h5" \
    --inset-reference "$out/fig1_inset_eps0.h5" -o "$out/fig1.png"
