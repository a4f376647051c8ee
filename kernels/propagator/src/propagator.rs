//! Split-operator propagator of two kicked, interacting particles in an
//! infinite square well, on a 2D grid distributed over an MPI communicator.
//!
//! # Model (PHYSICS.md §2, seed 002)
//!
//! ```text
//!     H = p1²/2 + p2²/(2m) + V_w(x1) + V_w(x2) + ε U(x1 − x2)
//!         + [K1 cos x1 + K2 cos x2] Σ_n δ(t − n),      U(r) = exp(−λ r²),
//! ```
//!
//! `V_w` the infinite well on `[0, L]`, `L = π`; time in kick periods,
//! `[x, p] = iħ` with `ħ = hbar` (ħ_eff of the seed); particle 1 has mass 1.
//!
//! # Grid and normalisation
//!
//! `ψ(x1, x2)` lives on the interior points `x1_i = iπ/(n1+1)`, `i = 1…n1`, and
//! `x2_j = jπ/(n2+1)`, `j = 1…n2`, stored with the discrete normalisation
//! `Σ_ij |ψ_ij|² = 1` (i.e. `ψ_ij = sqrt(Δx1 Δx2) ψ(x1_i, x2_j)`). The 2D
//! orthonormal DST-I (see [`crate::dst`]) maps it to the sine-basis coefficients
//! `c_{k1 k2}` of `φ_k(x) = sqrt(2/π) sin(kx)`, with `Σ|c|² = Σ|ψ|²`. Energies
//! `E_k = ħ² k²/2` (particle 1) and `ħ² k²/(2m)` (particle 2); momenta
//! `p_k = ħ k` (`p_k = ħkπ/L`, `L = π`).
//!
//! # One period (kick at the start, observables at its end)
//!
//! * `Interaction::Continuous` (Strang splitting, `S = substeps`, `dt = 1/S`):
//!   `ψ ← [e^{−iεU dt/2ħ} F(dt) e^{−iεU dt/2ħ}]^S e^{−i(K1 cos x1 + K2 cos x2)/ħ} ψ`,
//!   where adjacent half steps are merged into one full step
//!   (`2S` transforms per period).
//! * `Interaction::Kicked`: `ψ ← F(1) e^{−i(K1 cos x1 + K2 cos x2 + εU)/ħ} ψ`,
//!   the free step exact (`F(t)` diagonal in sine space).
//!
//! [`Propagator::period_backward`] applies the exact inverse of a period.
//!
//! # Parallel layout
//!
//! Position space is split into x1 slabs (each rank holds whole rows along
//! x2); sine space is kept *transposed*, split into k2 slabs (whole rows along
//! k1). A forward 2D transform is: DST of the local x2 rows, one exchange
//! (the transpose, done while writing: the row pass writes its output already
//! transposed, each destination's block at its final place in the
//! destination's rows), DST of the local k1 rows. The state rests in the
//! transposed layout in sine space, so a substep is exactly two exchanges, and
//! the work between them is row-local: in sine space one pass per row does DST
//! along k1, the free phase, and the inverse DST; in position space one pass
//! does the inverse DST along x2, the interaction phase, and the next forward
//! DST. Each rank has two slab buffers: a pass reads its rows from the current
//! one and writes into the next ones ([`crate::exchange`]). With one rank the
//! exchange is a change of buffer; with the ranks of one node the buffers are
//! an MPI-3 shared-memory window, the pass writes straight into the other
//! ranks' next buffers and the exchange is a barrier; across nodes the blocks
//! travel as point-to-point messages that land in the rows through vector
//! datatypes. Nothing is unpacked. The transposed writes use non-temporal
//! stores; the private slab buffers are fresh zero pages ([`qk_buffers`]).
//!
//! The `kicked` period ends with its free step and goes straight on with the
//! inverse DST along k1 and the transpose, so the state rests half-way back in
//! position space and a period costs two row passes (four 1D DST sweeps) and
//! two all-to-alls. Observables transform the state to sine space on demand.
//!
//! Transforms are unnormalised; the factor `sqrt((n+1)/2)` per 1D transform
//! is tracked and folded into the next phase multiplication, so no pass is
//! spent on normalisation.
//!
//! Everything that depends only on the parameters (FFT plans, sine tables,
//! kick/interaction/free phase tables, all-to-all counts, communication
//! buffers) is built in [`Propagator::new`] (the purity's blocks on its first
//! call, see [`crate::purity`]); `period` and `period_backward` allocate nothing. Results do not depend on the number of
//! ranks beyond the order of the final reductions (the state itself is
//! bit-identical for any rank count).

use crate::decomp::Slab;
use crate::dst::Dst1;
use crate::error::{PropagatorError, Result};
use crate::exchange::{big_buffer, Dest, Dir, Mode, Transport};
use crate::purity::Purity;
use mpi::collective::{CommunicatorCollectives, Root, SystemOperation};
use mpi::datatype::PartitionMut;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::Count;
use num_complex::Complex64 as C64;
use rustfft::FftPlanner;
use std::f64::consts::PI;

/// How the interaction `εU(x1 − x2)` acts during a period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Interaction {
    /// Continuously between kicks, Strang splitting with `substeps` steps.
    #[default]
    Continuous,
    /// Once per period, together with the kick: `exp(−iεU/ħ)`.
    Kicked,
}

/// Parameters of one propagation (one grid point of a sweep).
#[derive(Clone, Debug, PartialEq)]
pub struct KickedParams {
    /// Effective Planck constant ħ_eff (> 0).
    pub hbar: f64,
    /// Mass of particle 2 (> 0); particle 1 has mass 1.
    pub mass: f64,
    /// Interaction strength ε (ε > 0 repulsive).
    pub eps: f64,
    /// Kick strength on particle 1.
    pub k1: f64,
    /// Kick strength on particle 2.
    pub k2: f64,
    /// Inverse squared range λ of `U(r) = exp(−λ r²)`.
    pub lambda: f64,
    /// Interior grid points along x1 (≥ 1).
    pub n1: usize,
    /// Interior grid points along x2 (≥ 1).
    pub n2: usize,
    /// Strang steps per period for `Interaction::Continuous` (≥ 1; ignored by `Kicked`).
    pub substeps: usize,
    /// Continuous or kicked interaction.
    pub interaction: Interaction,
}

impl Default for KickedParams {
    /// The seed's Fig. 2 parameters (K1 = 1.8, K2 = 0, ε = 2, λ = 10,
    /// m = 0.001, ħ = 0.05) on a 255 × 255 grid, 100 substeps.
    fn default() -> Self {
        KickedParams {
            hbar: 0.05,
            mass: 0.001,
            eps: 2.0,
            k1: 1.8,
            k2: 0.0,
            lambda: 10.0,
            n1: 255,
            n2: 255,
            substeps: 100,
            interaction: Interaction::Continuous,
        }
    }
}

fn invalid(name: &'static str, value: impl ToString, reason: &'static str) -> PropagatorError {
    PropagatorError::InvalidInput {
        name,
        value: value.to_string(),
        reason,
    }
}

impl KickedParams {
    /// Check ranges: `n1, n2 ≥ 1`, `hbar > 0`, `mass > 0`, `substeps ≥ 1`,
    /// every real parameter finite.
    pub fn validate(&self) -> Result<()> {
        if self.n1 < 1 {
            return Err(invalid("n1", self.n1, "need at least 1 grid point"));
        }
        if self.n2 < 1 {
            return Err(invalid("n2", self.n2, "need at least 1 grid point"));
        }
        if !(self.hbar.is_finite() && self.hbar > 0.0) {
            return Err(invalid("hbar", self.hbar, "must be finite and > 0"));
        }
        if !(self.mass.is_finite() && self.mass > 0.0) {
            return Err(invalid("mass", self.mass, "must be finite and > 0"));
        }
        for (name, v) in [
            ("eps", self.eps),
            ("k1", self.k1),
            ("k2", self.k2),
            ("lambda", self.lambda),
        ] {
            if !v.is_finite() {
                return Err(invalid(name, v, "must be finite"));
            }
        }
        if self.substeps < 1 {
            return Err(invalid("substeps", self.substeps, "must be at least 1"));
        }
        if self.n1.checked_mul(self.n2).is_none() {
            return Err(invalid("n1", self.n1, "n1·n2 overflows"));
        }
        Ok(())
    }

    /// Length of one free step: `1/substeps` (continuous) or 1 (kicked).
    pub fn dt(&self) -> f64 {
        match self.interaction {
            Interaction::Continuous => 1.0 / self.substeps as f64,
            Interaction::Kicked => 1.0,
        }
    }
}

/// Observables of the current state (sums over the whole grid, all ranks).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observables {
    /// `⟨p1²⟩ = Σ |c_{k1k2}|² (ħ k1)²`.
    pub p1_sq: f64,
    /// `⟨p2²⟩ = Σ |c_{k1k2}|² (ħ k2)²`.
    pub p2_sq: f64,
    /// `Σ |c|²` (1 up to round-off; the moments are not divided by it).
    pub norm: f64,
    /// `Tr ρ1²`, `ρ1 = C C†` with `C` the n1 × n2 coefficient matrix.
    pub purity: f64,
    /// Population of the highest [`tail_modes`]`(n1)` sine modes of axis 1,
    /// `Σ_{k1 > n1 − tail_modes(n1)} Σ_{k2} |c|²`: the grid-resolution figure
    /// of axis 1 (the kick and the interaction are aliased once momentum
    /// reaches the grid's last mode).
    pub tail1: f64,
    /// The same for axis 2.
    pub tail2: f64,
}

/// Number of highest sine modes of an `n`-point axis whose population is
/// watched as the resolution figure: `max(1, n/16)` (integer division).
pub fn tail_modes(n: usize) -> usize {
    (n / 16).max(1)
}

/// Where the distributed state currently is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Space {
    /// x1 slabs, position space along both axes.
    Position,
    /// k2 slabs (transposed), sine space along both axes.
    Sine,
    /// k2 slabs, x2 transformed, x1 still in position space.
    MidXK,
    /// x1 slabs, x2 in sine space, x1 in position space.
    MidKX,
}

/// One diagonal operator of a period.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// Position space: optional kick, interaction table to the power `upow`.
    X { kick: bool, upow: u8, conj: bool },
    /// Sine space: optional free evolution over `dt`.
    K { free: bool, conj: bool },
}

impl Op {
    fn conj(self) -> Op {
        match self {
            Op::X { kick, upow, conj } => Op::X {
                kick,
                upow,
                conj: !conj,
            },
            Op::K { free, conj } => Op::K { free, conj: !conj },
        }
    }
}

/// Row-pass work space (one batch of rows).
struct Work {
    batch: usize,
    fft: Vec<C64>,
    scratch: Vec<C64>,
    tmp: Vec<C64>,
}

/// Phase tables (position-space ones for the local x1 rows, sine-space ones
/// for the local k2 rows).
struct Tables {
    /// `exp(−i K1 cos x1_i/ħ)`, local rows.
    kick1: Vec<C64>,
    /// `exp(−i K2 cos x2_j/ħ)`, all j.
    kick2: Vec<C64>,
    /// `exp(−i ε U(x1_i − x2_j) τ/ħ)`, τ = dt/2 (continuous) or 1 (kicked):
    /// local rows × n2, or for a square grid the Toeplitz diagonal
    /// `u[m] = value at i − j = n − 1 − m`, m = 0 … 2n−2.
    u: Vec<C64>,
    u_toeplitz: bool,
    /// Global index of the first local x1 row.
    row0: usize,
    /// `exp(−i ħ k1² dt/2)`, k1 = 1…n1.
    free1: Vec<C64>,
    /// `exp(−i ħ k2² dt/(2m))`, local k2.
    free2: Vec<C64>,
    use_kick: bool,
    use_u: bool,
}

/// The distributed propagator: plans, tables and buffers built once.
pub struct Propagator {
    params: KickedParams,
    /// Slab buffers and exchange (declared before `comm`: its window is freed first).
    slabs: Transport,
    comm: SimpleCommunicator,
    rank: usize,
    size: usize,
    s1: Slab,
    s2: Slab,
    dst1: Dst1,
    dst2: Dst1,
    tables: Tables,
    work: Work,
    /// Gram blocks and receive buffers of the purity (allocated on first use).
    purity: Purity,
    mom: Vec<f64>,
    space: Space,
    /// stored state = gain × true state (unnormalised transforms).
    gain: f64,
    g1: f64,
    g2: f64,
    kicks: i64,
}

impl std::fmt::Debug for Propagator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Propagator")
            .field("params", &self.params)
            .field("rank", &self.rank)
            .field("size", &self.size)
            .field("kicks", &self.kicks)
            .finish()
    }
}

/// Estimated peak memory of one rank in bytes for an `n1 × n2` grid over
/// `ranks` ranks: three slab buffers (two for the state and the transpose, a
/// send buffer when the exchange goes through messages) and the
/// interaction table (16 bytes per complex entry each; the table is only a
/// vector for square grids, the estimate does not count on that), the
/// purity's Gram blocks and slab receive buffers ([`crate::purity`]: blocks
/// of `≤ 2¹⁹` numbers of the smaller Gram, two slabs for `n2 < n1` on
/// several ranks), and O(n) tables and FFT work.
/// Saturates instead of overflowing.
pub fn estimate_memory_bytes_per_rank(n1: usize, n2: usize, ranks: usize) -> u64 {
    estimate_memory_bytes_per_rank_with(n1, n2, ranks, true)
}

/// [`estimate_memory_bytes_per_rank`], counting the purity's buffers only
/// when `purity` is true (a propagator whose purity is never computed does
/// not allocate them).
pub fn estimate_memory_bytes_per_rank_with(
    n1: usize,
    n2: usize,
    ranks: usize,
    purity: bool,
) -> u64 {
    let p = ranks.max(1) as u128;
    let (n1, n2) = (n1 as u128, n2 as u128);
    let c1 = n1.div_ceil(p);
    let c2 = n2.div_ceil(p);
    let slab = (c1 * n2).max(c2 * n1).max(1);
    let cplx = 16u128;
    let slabs = 3 * slab * cplx + c1 * n2 * cplx;
    let gram = if purity {
        crate::purity::bytes_per_rank(n1 as usize, n2 as usize, ranks)
    } else {
        0
    };
    let small = 64 * (n1 + n2 + 2) * cplx + (1 << 20);
    u64::try_from(slabs + gram + small).unwrap_or(u64::MAX)
}

/// Flops of a forward + inverse 2D DST-I with the `5 n log2 n` per 1D
/// transform convention: `2 · 5 n1 n2 log2(n1 n2)`.
pub fn flops_dst_pair(n1: usize, n2: usize) -> f64 {
    let (a, b) = (n1 as f64, n2 as f64);
    2.0 * 5.0 * a * b * (a * b).log2()
}

/// The phase tables of `p` for this rank's rows (everything in a
/// [`Propagator`] that depends on the physical parameters).
fn build_tables(p: &KickedParams, s1: &Slab, s2: &Slab, rank: usize) -> Tables {
    let (n1, n2) = (p.n1, p.n2);
    let (c1, c2) = (s1.count[rank], s2.count[rank]);
    let dt = p.dt();
    let tau = match p.interaction {
        Interaction::Continuous => 0.5 * dt,
        Interaction::Kicked => 1.0,
    };
    let x1 = |i: usize| (i + 1) as f64 * PI / (n1 + 1) as f64;
    let x2 = |j: usize| (j + 1) as f64 * PI / (n2 + 1) as f64;
    let cis = |phi: f64| C64::new(phi.cos(), phi.sin());
    let kick1 = (0..c1)
        .map(|i| cis(-p.k1 * x1(s1.start[rank] + i).cos() / p.hbar))
        .collect();
    let kick2 = (0..n2).map(|j| cis(-p.k2 * x2(j).cos() / p.hbar)).collect();
    let use_u = p.eps != 0.0;
    let u_phase = |r: f64| cis(-p.eps * (-p.lambda * r * r).exp() * tau / p.hbar);
    // On a square grid x1_i − x2_j = (i − j)π/(n+1): the table is Toeplitz
    // and one diagonal vector of 2n − 1 entries replaces the slab.
    let u_toeplitz = n1 == n2;
    let u = if !use_u {
        Vec::new()
    } else if u_toeplitz {
        (0..2 * n1 - 1)
            .map(|m| u_phase((n1 as f64 - 1.0 - m as f64) * PI / (n1 + 1) as f64))
            .collect()
    } else {
        let mut u = big_buffer(c1 * n2);
        for i in 0..c1 {
            let xi = x1(s1.start[rank] + i);
            for j in 0..n2 {
                u[i * n2 + j] = u_phase(xi - x2(j));
            }
        }
        u
    };
    let free1 = (1..=n1)
        .map(|k| cis(-p.hbar * (k * k) as f64 * dt / 2.0))
        .collect();
    let free2 = (0..c2)
        .map(|l| {
            let k = (s2.start[rank] + l + 1) as f64;
            cis(-p.hbar * k * k * dt / (2.0 * p.mass))
        })
        .collect();
    Tables {
        kick1,
        kick2,
        u,
        free1,
        free2,
        use_kick: p.k1 != 0.0 || p.k2 != 0.0,
        use_u,
        u_toeplitz,
        row0: s1.start[rank],
    }
}

fn to_count(v: usize, what: &'static str) -> Result<Count> {
    Count::try_from(v).map_err(|_| {
        invalid(
            what,
            v,
            "grid too large for 32-bit MPI counts; use more ranks",
        )
    })
}

impl Propagator {
    /// Build plans, tables and buffers for `params` on the ranks of `comm`
    /// (collective over `comm`; the communicator is duplicated, so the caller
    /// keeps its own). The state is the product of the two ground states,
    /// `φ_1(x1) φ_1(x2)`. MPI must be initialised; with one rank
    /// `SimpleCommunicator::self_comm()` works.
    pub fn new<C: Communicator>(params: &KickedParams, comm: &C) -> Result<Self> {
        params.validate()?;
        let comm = comm.duplicate();
        let rank = comm.rank() as usize;
        let size = comm.size() as usize;
        let (n1, n2) = (params.n1, params.n2);
        let s1 = Slab::new(n1, size);
        let s2 = Slab::new(n2, size);
        to_count(s1.max_count() * n2, "n2")?;
        to_count(s2.max_count() * n1, "n1")?;

        let mut planner = FftPlanner::new();
        let dst1 = Dst1::new(n1, &mut planner);
        let dst2 = Dst1::new(n2, &mut planner);

        let tables = build_tables(params, &s1, &s2, rank);

        // X → K: the x2-row pass of rank r writes, per destination s, the
        // columns k2 ∈ slab s into s's k2 rows at x1 offset start1[r];
        // K → X: the k1-row pass writes x1 ∈ slab s into s's x1 rows at k2
        // offset start2[r].
        let slabs = Transport::new(&comm, &s1, &s2)?;
        let nmax = n1.max(n2);
        // FFT batches of ~128 KiB, output tiles of ~512 KiB (L2-sized).
        let batch = (8192 / (nmax + 1)).clamp(1, 16);
        let tile = (32768 / nmax).clamp(batch, 64);
        let work = Work {
            batch,
            fft: vec![C64::default(); batch * (nmax + 1)],
            scratch: vec![C64::default(); dst1.scratch_len().max(dst2.scratch_len())],
            tmp: vec![C64::default(); tile * nmax],
        };
        let mut prop = Propagator {
            params: params.clone(),
            slabs,
            comm,
            rank,
            size,
            s1,
            s2,
            dst1,
            dst2,
            tables,
            work,
            purity: Purity::default(),
            mom: vec![0.0; n1],
            space: Space::Position,
            gain: 1.0,
            g1: ((n1 + 1) as f64 / 2.0).sqrt(),
            g2: ((n2 + 1) as f64 / 2.0).sqrt(),
            kicks: 0,
        };
        prop.reset();
        Ok(prop)
    }

    /// Back to the initial state `φ_1(x1) φ_1(x2)` at kick 0.
    pub fn reset(&mut self) {
        let (n1, n2) = (self.params.n1, self.params.n2);
        let a1 = (2.0 / (n1 + 1) as f64).sqrt();
        let a2 = (2.0 / (n2 + 1) as f64).sqrt();
        // separable: one sine per local row and per column, not per point
        let (start, count) = self.local_x1_rows();
        let f1: Vec<f64> = (start..start + count)
            .map(|i| a1 * (PI * (i + 1) as f64 / (n1 + 1) as f64).sin())
            .collect();
        let f2: Vec<f64> = (0..n2)
            .map(|j| a2 * (PI * (j + 1) as f64 / (n2 + 1) as f64).sin())
            .collect();
        self.set_position_state(|i, j| C64::new(f1[i - start] * f2[j], 0.0));
        self.kicks = 0;
    }

    /// Reuse this propagator (FFT plans, sine tables, communication buffers,
    /// purity blocks) for other physical parameters on the same grid: only the
    /// phase tables are rebuilt, and the state is reset to `φ_1(x1) φ_1(x2)`.
    /// `params` must have the same `n1`, `n2` (else an error naming `n1`/`n2`).
    /// Not collective (no communication).
    pub fn set_params(&mut self, params: &KickedParams) -> Result<()> {
        params.validate()?;
        if params.n1 != self.params.n1 {
            return Err(invalid("n1", params.n1, "differs from the plan's n1"));
        }
        if params.n2 != self.params.n2 {
            return Err(invalid("n2", params.n2, "differs from the plan's n2"));
        }
        self.tables = build_tables(params, &self.s1, &self.s2, self.rank);
        self.params = params.clone();
        self.reset();
        Ok(())
    }

    /// The full sine-coefficient matrix `c[(k2−1)·n1 + (k1−1)]` on every rank
    /// (collective: an all-gather of the k2 slabs). Used to carry a state over
    /// to a larger grid.
    pub fn gather_sine_state(&mut self) -> Vec<C64> {
        self.ensure_sine();
        let n1 = self.params.n1;
        let mine = self.s2.count[self.rank] * n1;
        let mut full = vec![C64::default(); n1 * self.params.n2];
        if self.size == 1 {
            full.copy_from_slice(&self.slabs.cur()[..mine]);
        } else {
            let counts: Vec<Count> = self.s2.count.iter().map(|&c| (c * n1) as Count).collect();
            let displs: Vec<Count> = self.s2.start.iter().map(|&s| (s * n1) as Count).collect();
            let mut part = PartitionMut::new(&mut full[..], &counts[..], &displs[..]);
            self.comm
                .all_gather_varcount_into(&self.slabs.cur()[..mine], &mut part);
        }
        full
    }

    /// Set the sine-basis state on this rank's rows: `f(k1, k2)` is the
    /// coefficient of `φ_{k1+1}(x1) φ_{k2+1}(x2)` (0-based indices, `Σ|c|² = 1`
    /// expected). The kick counter is set to `kicks`.
    pub fn set_sine_state(&mut self, kicks: i64, f: impl Fn(usize, usize) -> C64) {
        let n1 = self.params.n1;
        let start = self.s2.start[self.rank];
        let state = self.slabs.cur_mut();
        for l in 0..self.s2.count[self.rank] {
            for k in 0..n1 {
                state[l * n1 + k] = f(k, start + l);
            }
        }
        self.space = Space::Sine;
        self.gain = 1.0;
        self.kicks = kicks;
    }

    /// Set the position-space state on this rank's rows: `f(i, j)` is the
    /// value at `x1 = (i+1)π/(n1+1)`, `x2 = (j+1)π/(n2+1)` (0-based global
    /// indices, discrete normalisation `Σ|ψ|² = 1` expected). Resets the kick
    /// counter to 0.
    pub fn set_position_state(&mut self, f: impl Fn(usize, usize) -> C64) {
        let n2 = self.params.n2;
        let start = self.s1.start[self.rank];
        let state = self.slabs.cur_mut();
        for i in 0..self.s1.count[self.rank] {
            for j in 0..n2 {
                state[i * n2 + j] = f(start + i, j);
            }
        }
        self.space = Space::Position;
        self.gain = 1.0;
        self.kicks = 0;
    }

    /// The parameters this propagator was built for.
    pub fn params(&self) -> &KickedParams {
        &self.params
    }

    /// Rank within, and size of, the propagator's communicator.
    pub fn rank_and_size(&self) -> (usize, usize) {
        (self.rank, self.size)
    }

    /// Global x1 rows `[start, start+count)` this rank holds in position space.
    pub fn local_x1_rows(&self) -> (usize, usize) {
        (self.s1.start[self.rank], self.s1.count[self.rank])
    }

    /// Net number of periods applied since the start (backward periods count −1).
    pub fn kicks(&self) -> i64 {
        self.kicks
    }

    /// One period forward: kick, then the evolution to just before the next
    /// kick. Collective over the communicator; allocates nothing.
    pub fn period(&mut self) {
        let (nops, s) = self.program_len();
        // The kicked period ends with the free step in sine space; rather than
        // stopping there, its row pass goes on with the inverse DST along k1
        // and the transpose, so the next period starts half-way back in
        // position space: two row passes per period instead of three.
        let keep_going = self.params.interaction == Interaction::Kicked;
        for i in 0..nops {
            let op = Self::program_op(self.params.interaction, s, i, &self.tables);
            self.apply(op, i + 1 == nops && !keep_going);
        }
        self.kicks += 1;
    }

    /// The exact inverse of [`Propagator::period`] (the adjoint operators in
    /// reverse order). Collective; allocates nothing.
    pub fn period_backward(&mut self) {
        let (nops, s) = self.program_len();
        for i in 0..nops {
            let op =
                Self::program_op(self.params.interaction, s, nops - 1 - i, &self.tables).conj();
            self.apply(op, i + 1 == nops);
        }
        self.kicks -= 1;
    }

    fn program_len(&self) -> (usize, usize) {
        match self.params.interaction {
            Interaction::Continuous => (2 * self.params.substeps + 1, self.params.substeps),
            Interaction::Kicked => (2, 1),
        }
    }

    fn program_op(inter: Interaction, s: usize, i: usize, t: &Tables) -> Op {
        let u = |p: u8| if t.use_u { p } else { 0 };
        if i % 2 == 1 {
            return Op::K {
                free: true,
                conj: false,
            };
        }
        match inter {
            Interaction::Kicked => Op::X {
                kick: t.use_kick,
                upow: u(1),
                conj: false,
            },
            Interaction::Continuous => {
                if i == 0 {
                    Op::X {
                        kick: t.use_kick,
                        upow: u(1),
                        conj: false,
                    }
                } else if i == 2 * s {
                    Op::X {
                        kick: false,
                        upow: u(1),
                        conj: false,
                    }
                } else {
                    Op::X {
                        kick: false,
                        upow: u(2),
                        conj: false,
                    }
                }
            }
        }
    }

    /// Apply one diagonal operator, transforming as needed; `last`: leave the
    /// state at rest (position or sine space) instead of half-way into the
    /// next transform.
    fn apply(&mut self, op: Op, last: bool) {
        match op {
            Op::X { .. } => {
                match self.space {
                    Space::Sine => {
                        self.k_pass(true, None, false, true);
                        self.gain *= self.g1;
                        self.exchange_kx();
                        self.space = Space::MidKX;
                    }
                    Space::MidXK => {
                        self.k_pass(false, None, false, true);
                        self.exchange_kx();
                        self.space = Space::MidKX;
                    }
                    Space::Position | Space::MidKX => {}
                }
                let first = self.space == Space::MidKX;
                if first {
                    self.gain *= self.g2;
                }
                let scale = 1.0 / self.gain;
                self.gain = 1.0;
                self.x_pass(first, Some((op, scale)), !last, !last);
                if last {
                    self.space = Space::Position;
                } else {
                    self.gain *= self.g2;
                    self.exchange_xk();
                    self.space = Space::MidXK;
                }
            }
            Op::K { .. } => {
                match self.space {
                    Space::Position => {
                        self.x_pass(false, None, true, true);
                        self.gain *= self.g2;
                        self.exchange_xk();
                        self.space = Space::MidXK;
                    }
                    Space::MidKX => {
                        self.x_pass(false, None, false, true);
                        self.exchange_xk();
                        self.space = Space::MidXK;
                    }
                    Space::Sine | Space::MidXK => {}
                }
                let first = self.space == Space::MidXK;
                if first {
                    self.gain *= self.g1;
                }
                let scale = 1.0 / self.gain;
                self.gain = 1.0;
                self.k_pass(first, Some((op, scale)), !last, !last);
                if last {
                    self.space = Space::Sine;
                } else {
                    self.gain *= self.g1;
                    self.exchange_kx();
                    self.space = Space::MidKX;
                }
            }
        }
    }

    fn x_pass(&mut self, first: bool, phase: Option<(Op, f64)>, second: bool, packed: bool) {
        let n2 = self.params.n2;
        let rows = self.s1.count[self.rank];
        let t = &self.tables;
        let mut ph = |i: usize, row: &mut [C64]| {
            if let Some((Op::X { kick, upow, conj }, scale)) = phase {
                let a = if kick {
                    t.kick1[i] * scale
                } else {
                    C64::new(scale, 0.0)
                };
                let urow = if upow == 0 {
                    &[][..]
                } else if t.u_toeplitz {
                    // row i: u(i − j) = u[n − 1 − i + j], j = 0 … n−1
                    let m0 = n2 - 1 - (t.row0 + i);
                    &t.u[m0..m0 + n2]
                } else {
                    &t.u[i * n2..(i + 1) * n2]
                };
                x_phase_row(row, a, &t.kick2, urow, kick, upow, conj);
            }
        };
        let (data, dests) = self.slabs.pass_io(Dir::XK);
        row_pass(
            &self.dst2,
            data,
            rows,
            first,
            second,
            &mut ph,
            packed.then_some(dests),
            &mut self.work,
        );
    }

    fn k_pass(&mut self, first: bool, phase: Option<(Op, f64)>, second: bool, packed: bool) {
        let rows = self.s2.count[self.rank];
        let t = &self.tables;
        let mut ph = |l: usize, row: &mut [C64]| {
            if let Some((Op::K { free, conj }, scale)) = phase {
                if free {
                    let a = t.free2[l] * scale;
                    if conj {
                        for (v, f) in row.iter_mut().zip(&t.free1) {
                            *v *= (a * f).conj();
                        }
                    } else {
                        for (v, f) in row.iter_mut().zip(&t.free1) {
                            *v *= a * f;
                        }
                    }
                } else if scale != 1.0 {
                    for v in row.iter_mut() {
                        *v *= scale;
                    }
                }
            }
        };
        let (data, dests) = self.slabs.pass_io(Dir::KX);
        row_pass(
            &self.dst1,
            data,
            rows,
            first,
            second,
            &mut ph,
            packed.then_some(dests),
            &mut self.work,
        );
    }

    fn exchange_xk(&mut self) {
        self.slabs.finish(&self.comm, Dir::XK);
    }

    fn exchange_kx(&mut self) {
        self.slabs.finish(&self.comm, Dir::KX);
    }

    /// How this propagator's transposes move data between ranks.
    pub fn exchange_mode(&self) -> Mode {
        self.slabs.mode()
    }

    fn ensure_sine(&mut self) {
        if self.space != Space::Sine {
            self.apply(
                Op::K {
                    free: false,
                    conj: false,
                },
                true,
            );
        }
    }

    fn ensure_position(&mut self) {
        if self.space != Space::Position {
            self.apply(
                Op::X {
                    kick: false,
                    upow: 0,
                    conj: false,
                },
                true,
            );
        }
    }

    /// Forward 2D DST-I to sine space and back to position space, without any
    /// phase (the state is unchanged up to round-off). Exists for the
    /// benchmarks: it is the "2D DST-I pair" of a period, with the same
    /// row passes and all-to-alls. Collective; allocates nothing.
    pub fn dst_roundtrip(&mut self) {
        if self.space != Space::Position {
            self.ensure_position();
        }
        self.ensure_sine();
        self.ensure_position();
    }

    /// Floating-point operations of one period counted with the convention
    /// of the benchmarks: every 1D transform of length `n` on complex data
    /// counts `5 n log2 n` (the complex-FFT convention), so a 2D transform
    /// counts `5 n1 n2 log2(n1 n2)`; a period has `2·substeps` (continuous)
    /// or 2 (kicked) 2D transforms. Phases and observables are not counted.
    pub fn flops_per_period(&self) -> f64 {
        let pairs = match self.params.interaction {
            Interaction::Continuous => self.params.substeps as f64,
            Interaction::Kicked => 1.0,
        };
        pairs * flops_dst_pair(self.params.n1, self.params.n2)
    }

    /// Observables of the current state (collective; the same values on every
    /// rank). Transforms the state to sine space if it is not there (the next
    /// period transforms back; this does not change the physics). The purity
    /// costs the smaller Gram, `min(n1, n2)² max(n1, n2) / ranks` complex
    /// multiply-adds per rank, formed in blocks with its reduction
    /// overlapped ([`crate::purity`]).
    pub fn observables(&mut self) -> Observables {
        self.observables_with(true)
    }

    /// [`Propagator::observables`], the purity (the costly part: a Hermitian
    /// rank-k update) computed only when `purity` is true, NaN otherwise.
    /// Collective.
    pub fn observables_with(&mut self, purity: bool) -> Observables {
        self.ensure_sine();
        let n1 = self.params.n1;
        let h2 = self.params.hbar * self.params.hbar;
        let rows = self.s2.count[self.rank];
        let start2 = self.s2.start[self.rank];
        let n2 = self.params.n2;
        let tail1_from = n1 - tail_modes(n1);
        let tail2_from = n2 - tail_modes(n2);
        let mut local = [0.0f64; 5];
        for l in 0..rows {
            let k2 = (start2 + l + 1) as f64;
            let row = &self.slabs.cur()[l * n1..(l + 1) * n1];
            let mut norm = 0.0;
            let mut m1 = 0.0;
            let mut tail = 0.0;
            for (k, v) in row.iter().enumerate() {
                let w = v.norm_sqr();
                let k1 = (k + 1) as f64;
                norm += w;
                m1 += w * k1 * k1;
                if k >= tail1_from {
                    tail += w;
                }
            }
            local[0] += norm;
            local[1] += m1;
            local[2] += norm * k2 * k2;
            local[3] += tail;
            if start2 + l >= tail2_from {
                local[4] += norm;
            }
        }
        let mut global = [0.0f64; 5];
        if self.size > 1 {
            self.comm
                .all_reduce_into(&local[..], &mut global[..], SystemOperation::sum());
        } else {
            global = local;
        }
        let purity = if purity {
            self.purity_in_sine()
        } else {
            f64::NAN
        };
        Observables {
            p1_sq: h2 * global[1],
            p2_sq: h2 * global[2],
            norm: global[0],
            purity,
            tail1: global[3],
            tail2: global[4],
        }
    }

    fn purity_in_sine(&mut self) -> f64 {
        let (n1, n2) = (self.params.n1, self.params.n2);
        self.purity
            .compute(&self.comm, self.slabs.cur(), n1, n2, &self.s2)
    }

    /// Sine-basis momentum distribution of particle 1, `P(k1) = Σ_{k2} |c_{k1k2}|²`
    /// for `k1 = 1…n1` (momentum `p = ħ k1`); the full vector on every rank
    /// (collective).
    pub fn momentum_p1(&mut self) -> Vec<f64> {
        self.ensure_sine();
        let n1 = self.params.n1;
        let rows = self.s2.count[self.rank];
        self.mom.iter_mut().for_each(|v| *v = 0.0);
        let state = self.slabs.cur();
        for l in 0..rows {
            for (m, v) in self.mom.iter_mut().zip(&state[l * n1..(l + 1) * n1]) {
                *m += v.norm_sqr();
            }
        }
        let mut out = vec![0.0; n1];
        if self.size > 1 {
            self.comm
                .all_reduce_into(&self.mom[..], &mut out[..], SystemOperation::sum());
        } else {
            out.copy_from_slice(&self.mom);
        }
        out
    }

    /// This rank's rows of the position-space state, `count × n2` row-major
    /// (transforms to position space first; collective).
    pub fn local_position_state(&mut self) -> &[C64] {
        self.ensure_position();
        let n = self.s1.count[self.rank] * self.params.n2;
        &self.slabs.cur()[..n]
    }

    /// The full position-space state `ψ[i·n2 + j]` gathered on rank 0 of the
    /// communicator (`None` on the other ranks). Collective.
    pub fn gather_position_state(&mut self) -> Option<Vec<C64>> {
        self.ensure_position();
        let (n1, n2) = (self.params.n1, self.params.n2);
        let mine = self.s1.count[self.rank] * n2;
        let root = self.comm.process_at_rank(0);
        if self.rank == 0 {
            let mut full = vec![C64::default(); n1 * n2];
            if self.size == 1 {
                full.copy_from_slice(&self.slabs.cur()[..mine]);
            } else {
                let counts: Vec<Count> = self.s1.count.iter().map(|&c| (c * n2) as Count).collect();
                let displs: Vec<Count> = self.s1.start.iter().map(|&s| (s * n2) as Count).collect();
                let mut part = PartitionMut::new(&mut full[..], &counts[..], &displs[..]);
                root.gather_varcount_into_root(&self.slabs.cur()[..mine], &mut part);
            }
            Some(full)
        } else {
            root.gather_varcount_into(&self.slabs.cur()[..mine]);
            None
        }
    }
}

/// Multiply one position-space row by `a · kick2[j]^[kick] · u[j]^upow`,
/// conjugated if `conj` (`a` already carries the row's kick and the scale).
#[inline]
fn x_phase_row(
    row: &mut [C64],
    a: C64,
    kick2: &[C64],
    urow: &[C64],
    kick: bool,
    upow: u8,
    conj: bool,
) {
    #[inline(always)]
    fn go<const KICK: bool, const UPOW: u8, const CONJ: bool>(
        row: &mut [C64],
        a: C64,
        kick2: &[C64],
        urow: &[C64],
    ) {
        let n = row.len();
        let kick2 = if KICK { &kick2[..n] } else { &kick2[..0] };
        let urow = if UPOW > 0 { &urow[..n] } else { &urow[..0] };
        for j in 0..n {
            let mut f = a;
            if KICK {
                f *= kick2[j];
            }
            if UPOW == 1 {
                f *= urow[j];
            } else if UPOW == 2 {
                let u = urow[j];
                f *= u * u;
            }
            row[j] *= if CONJ { f.conj() } else { f };
        }
    }
    match (kick, upow, conj) {
        (false, 0, _) => {
            let f = if conj { a.conj() } else { a };
            if f != C64::new(1.0, 0.0) {
                row.iter_mut().for_each(|v| *v *= f);
            }
        }
        (true, 0, false) => go::<true, 0, false>(row, a, kick2, urow),
        (true, 0, true) => go::<true, 0, true>(row, a, kick2, urow),
        (true, 1, false) => go::<true, 1, false>(row, a, kick2, urow),
        (true, 1, true) => go::<true, 1, true>(row, a, kick2, urow),
        (false, 1, false) => go::<false, 1, false>(row, a, kick2, urow),
        (false, 1, true) => go::<false, 1, true>(row, a, kick2, urow),
        (true, _, false) => go::<true, 2, false>(row, a, kick2, urow),
        (true, _, true) => go::<true, 2, true>(row, a, kick2, urow),
        (false, _, false) => go::<false, 2, false>(row, a, kick2, urow),
        (false, _, true) => go::<false, 2, true>(row, a, kick2, urow),
    }
}

/// One pass over the local rows of `data` (`nrows` rows of length `dst.len()`):
/// optional DST, a per-row phase, optional DST; the result goes back in place
/// or, with `packed`, transposed into the destinations (see [`Dest`]).
#[allow(clippy::too_many_arguments)]
fn row_pass(
    dst: &Dst1,
    data: &mut [C64],
    nrows: usize,
    first: bool,
    second: bool,
    phase: &mut dyn FnMut(usize, &mut [C64]),
    packed: Option<&[Dest]>,
    work: &mut Work,
) {
    let n = dst.len();
    let nn = n + 1;
    let scratch = &mut work.scratch[..dst.scratch_len()];
    // Tiles of `tile` rows are written out together (long contiguous runs in
    // the transposed blocks); within a tile, FFTs run in batches of `batch` rows.
    let tile = (work.tmp.len() / n).min(nrows.max(1));
    let mut t0 = 0;
    while t0 < nrows {
        let tb = tile.min(nrows - t0);
        let tmp = &mut work.tmp[..tb * n];
        let mut r0 = 0;
        while r0 < tb {
            let b = work.batch.min(tb - r0);
            let fftb = &mut work.fft[..b * nn];
            let rows = &mut tmp[r0 * n..(r0 + b) * n];
            let src = &data[(t0 + r0) * n..(t0 + r0 + b) * n];
            if first {
                for (x, y) in src.chunks_exact(n).zip(fftb.chunks_exact_mut(nn)) {
                    dst.pre(x, y);
                }
                // While this batch is transformed, pull the next batch's rows in.
                let next = (t0 + r0 + b) * n;
                let next_end = ((t0 + r0 + 2 * b).min(nrows)) * n;
                if next < next_end {
                    prefetch(&data[next..next_end]);
                }
                dst.fft_batch(fftb, scratch);
                for (y, out) in fftb.chunks_exact(nn).zip(rows.chunks_exact_mut(n)) {
                    dst.post(y, out);
                }
            } else {
                rows.copy_from_slice(src);
            }
            for (q, row) in rows.chunks_exact_mut(n).enumerate() {
                phase(t0 + r0 + q, row);
            }
            if second {
                for (x, y) in rows.chunks_exact(n).zip(fftb.chunks_exact_mut(nn)) {
                    dst.pre(x, y);
                }
                dst.fft_batch(fftb, scratch);
                for (y, out) in fftb.chunks_exact(nn).zip(rows.chunks_exact_mut(n)) {
                    dst.post(y, out);
                }
            }
            r0 += b;
        }
        match packed {
            None => data[t0 * n..(t0 + tb) * n].copy_from_slice(tmp),
            Some(dests) => {
                for d in dests {
                    write_transposed(tmp, n, tb, d, t0);
                }
            }
        }
        t0 += tb;
    }
}

/// Hint the caches to load `v` (no-op off x86_64).
#[inline]
fn prefetch(v: &[C64]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // one hint per 64-byte line (4 complex numbers)
        for c in v.chunks(4) {
            // SAFETY: prefetching a valid address has no side effects; SSE is
            // part of x86_64.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(c.as_ptr() as *const i8) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// Write columns `[col_start, col_start+col_count)` of the `b × n` batch
/// `tmp` (pass rows `r0…r0+b`) to the destination `d`: column `col_start + c`,
/// row `r0 + q` goes to `d.ptr[c·stride + row0 + r0 + q]`.
#[inline]
fn write_transposed(tmp: &[C64], n: usize, b: usize, d: &Dest, r0: usize) {
    if d.col_count == 0 || b == 0 {
        return;
    }
    // bounds checked once here; the loops below stay inside them
    assert!(tmp.len() >= b * n && d.col_start + d.col_count <= n);
    assert!((d.col_count - 1) * d.stride + d.row0 + r0 + b <= d.len);
    let src = tmp.as_ptr();
    let dst = d.ptr;
    // The destination runs are written once and not read again before the
    // exchange: non-temporal stores skip the read-for-ownership of each line.
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_loadu_pd, _mm_sfence, _mm_stream_pd};
        if (dst as usize) % 16 == 0 {
            for c in 0..d.col_count {
                let col = d.col_start + c;
                let off = c * d.stride + d.row0 + r0;
                for q in 0..b {
                    // SAFETY: as below; `dst + off + q` is 16-byte aligned because
                    // `dst` is and a C64 is 16 bytes; SSE2 is part of x86_64.
                    unsafe {
                        let v = _mm_loadu_pd(src.add(q * n + col) as *const f64);
                        _mm_stream_pd(dst.add(off + q) as *mut f64, v);
                    }
                }
            }
            // SAFETY: SSE2 fence; orders the streaming stores before the exchange.
            unsafe { _mm_sfence() };
            return;
        }
    }
    for c in 0..d.col_count {
        let col = d.col_start + c;
        let off = c * d.stride + d.row0 + r0;
        for q in 0..b {
            // SAFETY: q < b, col < n, so q·n + col < b·n ≤ tmp.len(); off + q ≤
            // (col_count−1)·stride + row0 + r0 + b − 1 < d.len (asserted above),
            // and `d.ptr` points to `d.len` writable elements no one else
            // touches during the pass (see `crate::exchange`).
            unsafe { *dst.add(off + q) = *src.add(q * n + col) };
        }
    }
}
