#!/usr/bin/env bash
# Strong scaling of a qk sweep: the same LMG sweep on 1 and on 2..P ranks,
# wall time of each and the speed-up. Run on a quiet machine.
#   scripts/bench_ranks.sh [max_ranks=2] [N=160] [h_count=8]
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# PMIx tries munge first and stalls ~2 s per start-up where munge is
# installed (for Slurm) but not running; one node needs none of it.
export PMIX_MCA_psec=${PMIX_MCA_psec:-^munge}
max=${1:-2}; n=${2:-160}; count=${3:-8}
qk=target/release/qk
[[ -x $qk ]] || cargo build --release --bin qk
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
declare -A wall
for ranks in $(seq 1 "$max"); do
  t0=$(date +%s.%N)
  mpirun -n "$ranks" --oversubscribe --bind-to none "$qk" lmg --n "$n" --h 0:1.2:"$count" -o "$tmp/r$ranks.h5" -q
  t1=$(date +%s.%N)
  wall[$ranks]=$(awk "BEGIN{print $t1 - $t0}")
done
printf "%-6s %-10s %-8s\n" ranks wall_s speedup
for ranks in $(seq 1 "$max"); do
  printf "%-6s %-10.2f %-8.2f\n" "$ranks" "${wall[$ranks]}" "$(awk "BEGIN{print ${wall[1]} / ${wall[$ranks]}}")"
done
