#!/usr/bin/env bash
# Set up a machine for qkernels: system packages (OpenMPI, HDF5, libclang,
# pkg-config), a Python venv for plots and peer comparisons, and a release build.
# Idempotent: installs only what is missing. Without root it names what is
# missing (or the modules to load on a cluster) instead of failing obscurely.
#
#   scripts/setup.sh            # everything
#   QK_SKIP_BUILD=1 scripts/setup.sh   # packages and venv only
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "setup: $*" >&2; }

# --- system packages -------------------------------------------------------
# slurm-wlm and munge: a one-node Slurm for testing the sbatch templates (scripts/slurm_local.sh).
debs=(openmpi-bin libopenmpi-dev libhdf5-dev hdf5-tools libclang-dev clang pkg-config slurm-wlm munge)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  command -v mpicc >/dev/null || missing+=("OpenMPI (mpicc/mpirun)")
  pkg-config --exists hdf5 2>/dev/null || command -v h5cc >/dev/null || missing+=("HDF5 development files")
fi
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing system packages: ${missing[*]}"
    say "on Debian/Ubuntu: sudo apt-get install ${missing[*]}"
    say "on a cluster: load modules providing OpenMPI, HDF5 (serial, with headers) and libclang, e.g."
    say "  module load openmpi hdf5 llvm   # then set LIBCLANG_PATH and HDF5_DIR if needed"
    exit 1
  fi
fi
command -v mpirun >/dev/null || { say "mpirun not on PATH after installation"; exit 1; }

# --- Python venv (plots, QuTiP/scipy/pyFFTW comparisons) -------------------
py=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv"
  "$py" -m venv .venv || {
    say "python venv failed; on Debian: apt-get install python3-venv"; exit 1; }
fi
need_py=()
for mod in numpy scipy h5py matplotlib qutip mpmath pyfftw xarray h5netcdf; do
  .venv/bin/python -c "import $mod" 2>/dev/null || need_py+=("$mod")
done
if ((${#need_py[@]})); then
  say "installing Python packages: ${need_py[*]}"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q "${need_py[@]}"
fi

# --- build -------------------------------------------------------------------
if [[ -z "${QK_SKIP_BUILD:-}" ]]; then
  say "building qk (release)"
  cargo build --release --bin qk
fi
say "ready: target/release/qk"
