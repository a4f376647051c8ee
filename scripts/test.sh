#!/usr/bin/env bash
# Set up a machine and run every test: formatting, lints, unit tests of each
# crate, and the end-to-end tests of `qk` (mpirun at 1-4 ranks, HDF5 content,
# resume after SIGKILL, bad input, physics against references and QuTiP).
# Heavy physics runs are opt-in: QK_HEAVY=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# OpenMPI refuses to run as root unless told; CI machines run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# PMIx tries munge first and stalls ~2 s per start-up where munge is
# installed (for Slurm) but not running; one node needs none of it.
export PMIX_MCA_psec=${PMIX_MCA_psec:-^munge}
QK_SKIP_BUILD=1 scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --release --workspace --all-targets -- -D warnings
.venv/bin/python scripts/qk_model.py --selftest
.venv/bin/python scripts/plot_kicked.py --selftest
.venv/bin/python scripts/plot_seed002.py --selftest
cargo test --release --workspace
# the sbatch template against a real one-node Slurm started here (needs root)
cargo test --release --test slurm -- --ignored
