//! The plan of one parameter point: the parity block that `A` and `B`
//! couple, the right-hand side `X` of each kind and the functionals
//! `Tr[A ·]` and `Tr[·]` on that block ([`super`] for the equations).

use super::shifted::{ShiftedBlock, SolveQuality};
use super::SpectrumKind;
use crate::liouvillian::BlockLiouvillian;
use crate::steady::ColumnOrdering;
use crate::LindbladError;
use faer::MatRef;
use num_complex::Complex64;
use qk_model::operator::parity_action;
use sprs::CsMat;

const ZERO: Complex64 = Complex64::new(0.0, 0.0);

/// Spectra of `A`, `B` at one parameter point: [`ShiftedBlock`] of the
/// block `B ρ_ss` lives in, the vectors of the four kinds and the
/// functionals (module docs of [`super`]).
pub struct CorrelationPlan {
    block: ShiftedBlock,
    /// Whether `A` maps the block back onto the even one (otherwise every
    /// spectrum of the pair vanishes identically).
    coupled: bool,
    /// `w_k = A_ji` for block unknown `k ≙ ρ_ij`: `Tr[A X] = Σ_k w_k X_k`.
    w: Vec<Complex64>,
    /// Trace functional on the block (all zero in an odd block).
    t: Vec<Complex64>,
    /// `ρ_ss` on the block (zero in an odd block).
    rho: Vec<Complex64>,
    /// `Tr[A ρ_ss]`.
    a_mean: Complex64,
    /// `B ρ`, `ρ B` on the block.
    b_rho: Vec<Complex64>,
    rho_b: Vec<Complex64>,
    /// Block unknowns `(i, j)`.
    ij: Vec<(usize, usize)>,
}

impl std::fmt::Debug for CorrelationPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorrelationPlan")
            .field("block", &self.block)
            .field("coupled", &self.coupled)
            .finish()
    }
}

/// The values of one frequency sweep.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpectrumValues {
    /// Real and imaginary part per frequency ([`SpectrumKind`]).
    pub re: Vec<f64>,
    /// See [`SpectrumKind`].
    pub im: Vec<f64>,
    /// Backward error of the solve behind each frequency.
    pub backward_error: Vec<f64>,
    /// `‖L−z‖‖x‖/‖b‖` per frequency (a lower bound of the condition).
    pub amplification: Vec<f64>,
}

fn dense_product(op: &CsMat<Complex64>, rho: MatRef<'_, Complex64>, left: bool) -> Vec<Complex64> {
    // left: op·ρ; right: ρ·op. Column-major D×D.
    let d = rho.nrows();
    let mut out = vec![ZERO; d * d];
    for (v, (r, c)) in op.iter() {
        if left {
            // (op ρ)_{r j} += op_rc ρ_cj
            for j in 0..d {
                out[r + d * j] += *v * rho[(c, j)];
            }
        } else {
            // (ρ op)_{i c} += ρ_ir op_rc
            for i in 0..d {
                out[i + d * c] += rho[(i, r)] * *v;
            }
        }
    }
    out
}

impl CorrelationPlan {
    /// The plan for `⟨A(τ) B(0)⟩` of the model `(h, c_ops, parity)` with
    /// steady state `rho` (`D × D`). The block is that of `B ρ_ss`: the odd
    /// one when `B` flips the parity, the even one otherwise (the whole
    /// space without a parity).
    ///
    /// # Errors
    /// [`LindbladError::InvalidInput`]: dimensions; an operator that mixes
    /// the parity (give no parity then); assembly and analysis failures.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        h: &CsMat<Complex64>,
        c_ops: &[CsMat<Complex64>],
        parity: Option<&[bool]>,
        rho: MatRef<'_, Complex64>,
        a: &CsMat<Complex64>,
        b: &CsMat<Complex64>,
        ordering: impl FnOnce(&BlockLiouvillian) -> ColumnOrdering,
        threads: usize,
    ) -> Result<Self, LindbladError> {
        Self::new_reusing(h, c_ops, parity, rho, a, b, ordering, threads, None)
    }

    /// As [`Self::new`], taking the shifted block of a previous plan
    /// ([`Self::into_block`]) when its pattern is that of this point's block
    /// ([`ShiftedBlock::refill`]: the ordering and symbolic analysis are
    /// kept, `ordering` is not called); otherwise a new one is built.
    ///
    /// # Errors
    /// As [`Self::new`].
    #[allow(clippy::too_many_arguments)]
    pub fn new_reusing(
        h: &CsMat<Complex64>,
        c_ops: &[CsMat<Complex64>],
        parity: Option<&[bool]>,
        rho: MatRef<'_, Complex64>,
        a: &CsMat<Complex64>,
        b: &CsMat<Complex64>,
        ordering: impl FnOnce(&BlockLiouvillian) -> ColumnOrdering,
        threads: usize,
        cached: Option<ShiftedBlock>,
    ) -> Result<Self, LindbladError> {
        let d = h.rows();
        for (name, op) in [("A", a), ("B", b)] {
            if op.rows() != d || op.cols() != d {
                return Err(LindbladError::InvalidInput(format!(
                    "operator {name} is {}x{}, expected {d}x{d}",
                    op.rows(),
                    op.cols()
                )));
            }
        }
        if rho.nrows() != d || rho.ncols() != d {
            return Err(LindbladError::InvalidInput(
                "steady state has the wrong dimension".into(),
            ));
        }
        let (odd, coupled) = match parity {
            Some(p) => {
                let fb = parity_action(b, p).ok_or_else(|| {
                    LindbladError::InvalidInput("operator B mixes the parity blocks".into())
                })?;
                let fa = parity_action(a, p).ok_or_else(|| {
                    LindbladError::InvalidInput("operator A mixes the parity blocks".into())
                })?;
                (fb, fa == fb)
            }
            None => (false, true),
        };
        let lb = BlockLiouvillian::assemble_block(h, c_ops, parity, odd)?;
        let block = ShiftedBlock::reuse_or_new(cached, &lb, ordering, threads)?;
        let vec_idx = lb.vec_indices();
        let ij: Vec<(usize, usize)> = vec_idx.iter().map(|&v| (v % d, v / d)).collect();
        let mut pos = vec![usize::MAX; d * d];
        for (k, &v) in vec_idx.iter().enumerate() {
            pos[v] = k;
        }
        let n = ij.len();
        let mut w = vec![ZERO; n];
        // Tr[A X] = Σ A_rc X_cr: X_cr sits at vec index c + D r
        for (v, (r, c)) in a.iter() {
            let k = pos[c + d * r];
            if k != usize::MAX {
                w[k] += *v;
            }
        }
        let t: Vec<Complex64> = ij
            .iter()
            .map(|&(i, j)| {
                if i == j {
                    Complex64::new(1.0, 0.0)
                } else {
                    ZERO
                }
            })
            .collect();
        let rho_v: Vec<Complex64> = ij.iter().map(|&(i, j)| rho[(i, j)]).collect();
        let mut a_mean = ZERO;
        for (v, (r, c)) in a.iter() {
            a_mean += *v * rho[(c, r)];
        }
        let gather =
            |full: Vec<Complex64>| -> Vec<Complex64> { vec_idx.iter().map(|&v| full[v]).collect() };
        let b_rho = gather(dense_product(b, rho, true));
        let rho_b = gather(dense_product(b, rho, false));
        Ok(Self {
            block,
            coupled,
            w,
            t,
            rho: rho_v,
            a_mean,
            b_rho,
            rho_b,
            ij,
        })
    }

    /// The plan's shifted block, for the next point ([`Self::new_reusing`]).
    pub fn into_block(self) -> ShiftedBlock {
        self.block
    }

    /// The shifted block (factorization statistics, Krylov methods).
    pub fn block(&mut self) -> &mut ShiftedBlock {
        &mut self.block
    }

    /// Read-only access to the block.
    pub fn block_ref(&self) -> &ShiftedBlock {
        &self.block
    }

    /// Unknowns `(i, j)` of the block.
    pub fn unknowns(&self) -> &[(usize, usize)] {
        &self.ij
    }

    /// Whether `A` and `B` couple through one block (otherwise every kind
    /// is identically zero).
    pub fn coupled(&self) -> bool {
        self.coupled
    }

    /// `Q X` of `kind`: `X − ρ_ss Tr X` (module docs of [`super`]).
    pub fn rhs(&self, kind: SpectrumKind) -> Vec<Complex64> {
        let half = 0.5;
        let mut y: Vec<Complex64> = match kind {
            SpectrumKind::Spectrum => self.b_rho.clone(),
            SpectrumKind::Symmetrized => self
                .b_rho
                .iter()
                .zip(&self.rho_b)
                .map(|(&x, &y)| half * (x + y))
                .collect(),
            SpectrumKind::Commutator => self
                .b_rho
                .iter()
                .zip(&self.rho_b)
                .map(|(&x, &y)| y - x)
                .collect(),
            SpectrumKind::Response => self
                .b_rho
                .iter()
                .zip(&self.rho_b)
                .map(|(&x, &y)| x - y)
                .collect(),
        };
        let tr = dot(&self.t, &y);
        for (yi, &r) in y.iter_mut().zip(&self.rho) {
            *yi -= r * tr;
        }
        y
    }

    /// `Tr[A Q x] = Tr[A x] − ⟨A⟩ Tr x`.
    pub fn functional(&self, x: &[Complex64]) -> Complex64 {
        dot(&self.w, x) - self.a_mean * dot(&self.t, x)
    }

    /// The functional's two vectors `(w, t)` and `⟨A⟩` (Krylov methods
    /// project them on the basis).
    pub fn functional_parts(&self) -> (&[Complex64], &[Complex64], Complex64) {
        (&self.w, &self.t, self.a_mean)
    }

    /// `F(ω)` of `kind` to the reported value `(re, im)` (module docs of
    /// [`super`]).
    pub fn value(kind: SpectrumKind, f: Complex64) -> Complex64 {
        match kind {
            SpectrumKind::Response => Complex64::new(0.0, -1.0) * f,
            _ => -2.0 * f,
        }
    }

    /// The complex shift at which `kind` is evaluated at `ω`.
    pub fn shift(kind: SpectrumKind, omega: f64) -> Complex64 {
        match kind {
            SpectrumKind::Response => Complex64::new(0.0, -omega),
            _ => Complex64::new(0.0, omega),
        }
    }

    /// `kind` at each of `omegas` by one factorization and solve per
    /// frequency (the symbolic analysis is the plan's).
    ///
    /// # Errors
    /// The first frequency whose solve fails ([`super::shifted`]), named.
    pub fn direct(
        &mut self,
        kind: SpectrumKind,
        omegas: &[f64],
    ) -> Result<SpectrumValues, LindbladError> {
        let mut out = SpectrumValues::default();
        if !self.coupled {
            let k = omegas.len();
            out.re = vec![0.0; k];
            out.im = vec![0.0; k];
            out.backward_error = vec![0.0; k];
            out.amplification = vec![0.0; k];
            return Ok(out);
        }
        let y = self.rhs(kind);
        let mut x = vec![ZERO; y.len()];
        for &om in omegas {
            let z = Self::shift(kind, om);
            let q: SolveQuality = self
                .block
                .solve(z, &y, &mut x)
                .map_err(|e| with_context(e, &format!("at omega = {om}")))?;
            let v = Self::value(kind, self.functional(&x));
            out.re.push(v.re);
            out.im.push(v.im);
            out.backward_error.push(q.backward_error);
            out.amplification.push(q.amplification);
        }
        Ok(out)
    }
}

/// `Σ a_k x_k` (no conjugation).
pub(crate) fn dot(a: &[Complex64], x: &[Complex64]) -> Complex64 {
    a.iter().zip(x).map(|(&p, &q)| p * q).sum()
}

/// The same error with `context` appended to its message.
pub(crate) fn with_context(e: LindbladError, context: &str) -> LindbladError {
    match e {
        LindbladError::Singular(m) => LindbladError::Singular(format!("{m} {context}")),
        LindbladError::Numerical(m) => LindbladError::Numerical(format!("{m} {context}")),
        LindbladError::InvalidInput(m) => LindbladError::InvalidInput(format!("{m} {context}")),
        e => e,
    }
}
