#!/usr/bin/env bash
# The spectra figures from qk output: seed 001 Fig. 3 (probe transmission), the gap
# scaling, the merging of the resonances near h₊ᶜ against N and the T_eff / FDT figure.
# Usage: scripts/spectra_figures.sh [OUTDIR] [NMAX] [MERGE_N]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-figures/spectra}
nmax=${2:-200}
merge_n=${3:-50,100,200,400,800}
mkdir -p "$out"
qk=target/release/qk
py=.venv/bin/python
# 600 frequencies: an even count keeps ω = 0 out of the grid (in the ordered phase the
# odd block's tunnelling gap is exponentially small in N, and ω = 0 a pole to working
# precision that qk refuses).
# seed 001 Fig. 3: Γa/λ = 0.01, Γb/λ = 0.05; h−ᶜ, h₊ᶜ = (1 ∓ √(1 − 0.05²))/2
hm=$($py -c 'import math; print(repr((1-math.sqrt(1-0.05**2))/2))')
hp=$($py -c 'import math; print(repr((1+math.sqrt(1-0.05**2))/2))')
hs="-0.6,-0.1,-0.01,$hm,0.05,0.3,0.5,0.95,0.995,$hp,1.1,1.3"
$qk spectrum --n "50,100,$nmax" --h="$hs" --gamma-a 0.01 --gamma-b 0.05 --omega -3:3:600 \
    --kind response --a jp --b jm -o "$out/fig3.h5" --force -q
$py scripts/plot_spectra.py fig3 "$out/fig3.h5" --outdir "$out"
# the resonances near h₊ᶜ against N (ω = 0 on the grid: no pole there for h ≥ h₊ᶜ)
$qk spectrum --n "$merge_n" --h="$hp,1.01,1.05,1.2" --gamma-a 0.01 --gamma-b 0.05 \
    --omega=-1.5:1.5:601 --kind response --a jp --b jm --threads 1 -o "$out/merge.h5" --force -q
$py scripts/plot_spectra.py merge "$out/merge.h5" --outdir "$out"
# gap vs N at h₊ᶜ and away; gap vs h at N = 100
$qk gap --n "20:$nmax:10" --h="$hp,1.3,0.5" --gamma-a 0.01 --gamma-b 0.05 --k 2 -o "$out/gap_n.h5" --force -q
$qk gap --n 100 --h=-0.5:1.5:81 --gamma-a 0.01 --gamma-b 0.05 --k 2 -o "$out/gap_h.h5" --force -q
$py scripts/plot_spectra.py gap "$out/gap_n.h5" "$out/gap_h.h5" --outdir "$out"
# T_eff of the driven LMG steady state
for kind in symmetrized commutator; do
    $qk spectrum --n 100 --h 0.5,1.3 --gamma-a 0.01 --gamma-b 0.05 --omega -3:3:600 \
        --kind $kind --a jp --b jm -o "$out/$kind.h5" --force -q
done
$py scripts/plot_spectra.py teff "$out/symmetrized.h5" "$out/commutator.h5" --outdir "$out"
