#!/usr/bin/env bash
# The main job: set up, run a dissipative-LMG sweep (N = 25, 50, 100 over
# h/λ ∈ [-0.5, 1.5]) on all local cores under mpirun, write HDF5, render the
# seed's Figs. 2 and 4.  Output: out/lmg.h5, out/lmg_fig2.png, out/lmg_fig4.png
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# PMIx tries munge first and stalls ~2 s per start-up where munge is
# installed (for Slurm) but not running; one node needs none of it.
export PMIX_MCA_psec=${PMIX_MCA_psec:-^munge}
scripts/setup.sh
mkdir -p out
ranks=${QK_RANKS:-$(nproc)}
mpirun -n "$ranks" --oversubscribe target/release/qk lmg \
  --n 25,50,100 --h=-0.5:1.5:201 --lambda 1 --gamma-a 0.01 --gamma-b 0.2 \
  -o out/lmg.h5 --force
.venv/bin/python scripts/plot_lmg.py out/lmg.h5 --outdir out
