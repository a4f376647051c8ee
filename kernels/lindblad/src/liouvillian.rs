//! Sparse Liouvillian assembly.
//!
//! # Equation
//!
//! For a Hamiltonian `H` and collapse operators `C_k` (all `D × D`), the
//! Lindblad generator `dρ/dt = L ρ`,
//!
//! ```text
//! L ρ = −i[H, ρ] + Σ_k ( C_k ρ C_k† − ½ C_k†C_k ρ − ½ ρ C_k†C_k ),
//! ```
//!
//! becomes, with **column-stacked** `vec(ρ)` (the entry `ρ_ij` sits at vec
//! index `i + D*j`, so that `vec(A ρ B) = (Bᵀ ⊗ A) vec(ρ)`),
//!
//! ```text
//! L = −i (I⊗H − Hᵀ⊗I) + Σ_k [ C̄_k⊗C_k − ½ I⊗C_k†C_k − ½ (C_k†C_k)ᵀ⊗I ].
//! ```
//!
//! This is QuTiP's convention (`qutip.liouvillian`); a model written with the
//! "factor-2" dissipator `D[A]ρ = 2AρA† − A†Aρ − ρA†A` of seed 001 (eq. 2, 5)
//! and rate `κ` uses `C = √(2κ) A`. Units are those of `H` (ħ = 1).
//!
//! # Weak Z2 symmetry (block structure)
//!
//! If every operator preserves a parity `p_i ∈ {0, 1}` of the basis states up
//! to a global flip (`H_ab ≠ 0 ⇒ p_a = p_b`; `C_ab ≠ 0 ⇒ p_a ⊕ p_b` constant
//! per operator), then `L` does not mix the *even block* `{ρ_ij : p_i = p_j}`
//! with the *odd block* `{ρ_ij : p_i ≠ p_j}`. The block of vec index
//! `i + D*j` is `p_i ⊕ p_j`. [`BlockLiouvillian::assemble`] assembles only the
//! even block (the one holding every diagonal element, hence the steady state)
//! and returns [`LindbladError::SymmetryBroken`] when any assembled entry of
//! `L` (after summing duplicate contributions) couples the two blocks. Without
//! a parity vector the "block" is the whole space.

use crate::LindbladError;
use num_complex::Complex64;
use sprs::CsMat;

/// Marker for "not in the block".
pub(crate) const NONE: usize = usize::MAX;

/// A triplet `(col, row, value)`; columns first so that sorting gives CSC order.
type Triplet = (usize, usize, Complex64);

/// [`qk_model::operator::validate_operators`] with this crate's error type.
pub(crate) fn validate_operators(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
) -> Result<usize, LindbladError> {
    Ok(qk_model::operator::validate_operators(h, c_ops)?)
}

/// Minimal owned CSC used internally: `(col_ptr, row_idx, values)`.
pub(crate) struct Csc {
    pub col_ptr: Vec<usize>,
    pub row_idx: Vec<usize>,
    pub values: Vec<Complex64>,
}

/// Builds a CSC matrix with `ncols` columns from triplets sorted by
/// `(col, row)`, summing duplicates (explicit zeros are kept).
pub(crate) fn csc_from_sorted(ncols: usize, t: &mut [Triplet]) -> Csc {
    let mut col_ptr = vec![0usize; ncols + 1];
    let mut row_idx = Vec::with_capacity(t.len());
    let mut values: Vec<Complex64> = Vec::with_capacity(t.len());
    let mut last: Option<(usize, usize)> = None;
    for &(c, r, v) in t.iter() {
        if last == Some((c, r)) {
            let k = values.len() - 1;
            values[k] += v;
        } else {
            row_idx.push(r);
            values.push(v);
            col_ptr[c + 1] += 1;
            last = Some((c, r));
        }
    }
    for c in 0..ncols {
        col_ptr[c + 1] += col_ptr[c];
    }
    Csc {
        col_ptr,
        row_idx,
        values,
    }
}

/// `C†C` of a sparse operator, as a triplet list `(row, col, value)` with
/// duplicates summed.
fn adjoint_product(c: &CsMat<Complex64>, d: usize) -> Vec<(usize, usize, Complex64)> {
    // Group the entries of C by row k: (C†C)_ab = Σ_k conj(C_ka) C_kb.
    let mut by_row: Vec<Triplet> = c.iter().map(|(v, (r, col))| (r, col, *v)).collect();
    by_row.sort_unstable_by_key(|t| (t.0, t.1));
    let mut prod: Vec<Triplet> = Vec::new();
    let mut start = 0;
    while start < by_row.len() {
        let k = by_row[start].0;
        let mut end = start;
        while end < by_row.len() && by_row[end].0 == k {
            end += 1;
        }
        for &(_, a, va) in &by_row[start..end] {
            for &(_, b, vb) in &by_row[start..end] {
                // stored column-major for csc_from_sorted: (col b, row a)
                prod.push((b, a, va.conj() * vb));
            }
        }
        start = end;
    }
    prod.sort_unstable_by_key(|t| (t.0, t.1));
    let p = csc_from_sorted(d, &mut prod);
    let mut out = Vec::with_capacity(p.values.len());
    for col in 0..d {
        for idx in p.col_ptr[col]..p.col_ptr[col + 1] {
            out.push((p.row_idx[idx], col, p.values[idx]));
        }
    }
    out
}

/// Calls `emit(row, col, value)` for every elementary contribution to the full
/// Liouvillian (duplicates are to be summed by the receiver).
fn for_each_term(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
    d: usize,
    mut emit: impl FnMut(usize, usize, Complex64),
) {
    let i_unit = Complex64::new(0.0, 1.0);
    // −i I⊗H : row r + D j, col c + D j
    // +i Hᵀ⊗I: (Hᵀ)_{ab} = H_{ba}; for H_{rc}: row i + D c, col i + D r
    for (v, (r, c)) in h.iter() {
        let v = *v;
        for j in 0..d {
            emit(r + d * j, c + d * j, -i_unit * v);
        }
        for i in 0..d {
            emit(i + d * c, i + d * r, i_unit * v);
        }
    }
    for c_op in c_ops {
        // C̄⊗C: (C̄)_{r1 c1} (C)_{r2 c2} at row r2 + D r1, col c2 + D c1
        for (v1, (r1, c1)) in c_op.iter() {
            let v1c = v1.conj();
            for (v2, (r2, c2)) in c_op.iter() {
                emit(r2 + d * r1, c2 + d * c1, v1c * *v2);
            }
        }
        // −½ I⊗P and −½ Pᵀ⊗I with P = C†C
        for (r, c, v) in adjoint_product(c_op, d) {
            let hv = -0.5 * v;
            for j in 0..d {
                emit(r + d * j, c + d * j, hv);
            }
            for i in 0..d {
                emit(i + d * c, i + d * r, hv);
            }
        }
    }
}

/// The full sparse Liouvillian `L` (`D² × D²`, CSC storage) of `h` and
/// `c_ops`, in the column-stacked convention of the module docs.
///
/// Duplicate contributions are summed; entries that cancel exactly are kept as
/// explicit zeros (so the pattern depends only on the operators' patterns).
///
/// # Errors
/// [`LindbladError::InvalidInput`] for non-square or mismatched operators,
/// non-finite entries or a non-Hermitian `h`.
pub fn liouvillian(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
) -> Result<CsMat<Complex64>, LindbladError> {
    let d = validate_operators(h, c_ops)?;
    let n = d * d;
    let mut t: Vec<Triplet> = Vec::new();
    for_each_term(h, c_ops, d, |r, c, v| t.push((c, r, v)));
    t.sort_unstable_by_key(|x| (x.0, x.1));
    let csc = csc_from_sorted(n, &mut t);
    CsMat::try_new_csc((n, n), csc.col_ptr, csc.row_idx, csc.values)
        .map_err(|e| LindbladError::Numerical(format!("internal CSC construction: {}", e.3)))
}

/// The even block of a Liouvillian under a weak Z2 symmetry (or the whole
/// Liouvillian when no parity is given), in CSC storage with *block indices*.
///
/// Block index `k` corresponds to the vec index `vec_indices()[k] = i + D*j`
/// (increasing), i.e. to `ρ_ij` with `p_i = p_j`.
#[derive(Clone, Debug)]
pub struct BlockLiouvillian {
    dim: usize,
    parity: Option<Vec<bool>>,
    block_vec: Vec<usize>,
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    values: Vec<Complex64>,
}

impl BlockLiouvillian {
    /// Assembles the even block of `L(h, c_ops)` for the parity vector
    /// `parity` (one entry per basis state, `true` = odd), or all of `L` when
    /// `parity` is `None`.
    ///
    /// # Errors
    /// - [`LindbladError::InvalidInput`]: see [`liouvillian`], or a parity
    ///   vector of the wrong length;
    /// - [`LindbladError::SymmetryBroken`]: an entry of `L` couples the even
    ///   and odd blocks by more than `1e-14 ×` the largest entry of `L`'s
    ///   contributions.
    pub fn assemble(
        h: &CsMat<Complex64>,
        c_ops: &[CsMat<Complex64>],
        parity: Option<&[bool]>,
    ) -> Result<Self, LindbladError> {
        Self::assemble_block(h, c_ops, parity, false)
    }

    /// As [`assemble`](Self::assemble), for the even (`odd = false`) or the
    /// odd block (`odd = true`: the coherences `ρ_ij` with `p_i ≠ p_j`,
    /// where operators that flip the parity take the steady state, and where
    /// the spectra of such operators live, [`crate::spectra`]). Without a
    /// parity the odd block is empty.
    ///
    /// # Errors
    /// As [`assemble`](Self::assemble).
    pub fn assemble_block(
        h: &CsMat<Complex64>,
        c_ops: &[CsMat<Complex64>],
        parity: Option<&[bool]>,
        odd: bool,
    ) -> Result<Self, LindbladError> {
        let (mut block, mut values) = Self::assemble_components(&[(h, c_ops)], parity, odd)?;
        block.values = values.pop().unwrap_or_default();
        Ok(block)
    }

    /// The even block of `L = Σ_c L(h_c, C_c)` for components that share the
    /// dimension and the parity, assembled in one pass: the union of their
    /// patterns (values zero) and each component's values on it, so that any
    /// linear combination is a weighted sum of value arrays on one pattern.
    ///
    /// Entries are counted per block column, placed, and each (short) column
    /// is sorted by row and summed; no global sort of the `O(nnz)` terms.
    /// The returned union is pattern-only (no values).
    ///
    /// # Errors
    /// As [`assemble`](Self::assemble), per component; `InvalidInput` for
    /// components of different dimensions or no component.
    pub(crate) fn assemble_components(
        parts: &[(&CsMat<Complex64>, &[CsMat<Complex64>])],
        parity: Option<&[bool]>,
        odd: bool,
    ) -> Result<(Self, Vec<Vec<Complex64>>), LindbladError> {
        let mut d = 0;
        for (k, (h, c_ops)) in parts.iter().enumerate() {
            let dk = validate_operators(h, c_ops)?;
            if k > 0 && dk != d {
                return Err(LindbladError::InvalidInput(format!(
                    "component {k} has dimension {dk}, component 0 has {d}"
                )));
            }
            d = dk;
        }
        if parts.is_empty() {
            return Err(LindbladError::InvalidInput(
                "no Liouvillian components".into(),
            ));
        }
        if let Some(p) = parity {
            if p.len() != d {
                return Err(LindbladError::InvalidInput(format!(
                    "parity vector has length {}, expected the dimension {d}",
                    p.len()
                )));
            }
        }
        let n_full = d * d;
        let block_of = |v: usize| -> u8 {
            match parity {
                Some(p) => (p[v % d] ^ p[v / d]) as u8,
                None => 0,
            }
        };
        let mut block_vec = Vec::new();
        let mut vec_to_block = vec![NONE; n_full];
        for (v, slot) in vec_to_block.iter_mut().enumerate() {
            if block_of(v) == odd as u8 {
                *slot = block_vec.len();
                block_vec.push(v);
            }
        }
        let n = block_vec.len();
        if n >= u32::MAX as usize || parts.len() >= u32::MAX as usize {
            return Err(LindbladError::InvalidInput(format!(
                "block of {n} unknowns too large"
            )));
        }
        // pass 1: terms per block column
        let mut start = vec![0usize; n + 1];
        for (h, c_ops) in parts {
            for_each_term(h, c_ops, d, |r, c, _| {
                let (br, bc) = (vec_to_block[r], vec_to_block[c]);
                if br != NONE && bc != NONE {
                    start[bc + 1] += 1;
                }
            });
        }
        for c in 0..n {
            start[c + 1] += start[c];
        }
        // pass 2: place (row, component, value); cross-block terms aside
        let mut next = start[..n].to_vec();
        let mut terms = vec![(0u32, 0u32, Complex64::new(0.0, 0.0)); start[n]];
        let mut cross: Vec<(usize, usize, usize, Complex64)> = Vec::new();
        let mut scale = vec![0.0f64; parts.len()];
        for (k, (h, c_ops)) in parts.iter().enumerate() {
            let sk = &mut scale[k];
            for_each_term(h, c_ops, d, |r, c, v| {
                *sk = sk.max(v.norm_sqr());
                let (br, bc) = (vec_to_block[r], vec_to_block[c]);
                if br != NONE && bc != NONE {
                    terms[next[bc]] = (br as u32, k as u32, v);
                    next[bc] += 1;
                } else if block_of(r) != block_of(c) {
                    cross.push((k, c, r, v));
                }
            });
        }
        drop(next);
        drop(vec_to_block);
        // cross-block entries must cancel, per component
        cross.sort_unstable_by_key(|x| (x.0, x.1, x.2));
        for group in cross.chunk_by(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2)) {
            let (k, col, row, _) = group[0];
            let m = group.iter().map(|x| x.3).sum::<Complex64>().norm();
            if m > 1e-14 * scale[k].sqrt() {
                return Err(LindbladError::SymmetryBroken {
                    row,
                    col,
                    row_block: block_of(row),
                    col_block: block_of(col),
                    magnitude: m,
                });
            }
        }
        drop(cross);
        // per column: sort by row, merge rows across components
        let mut col_ptr = vec![0usize; n + 1];
        let mut row_idx = Vec::with_capacity(terms.len());
        let mut values: Vec<Vec<Complex64>> = (0..parts.len())
            .map(|_| Vec::with_capacity(terms.len()))
            .collect();
        for c in 0..n {
            let col = &mut terms[start[c]..start[c + 1]];
            col.sort_unstable_by_key(|t| t.0);
            for group in col.chunk_by(|a, b| a.0 == b.0) {
                row_idx.push(group[0].0 as usize);
                for v in values.iter_mut() {
                    v.push(Complex64::new(0.0, 0.0));
                }
                let pos = row_idx.len() - 1;
                for &(_, k, v) in group.iter() {
                    values[k as usize][pos] += v;
                }
            }
            col_ptr[c + 1] = row_idx.len();
        }
        Ok((
            Self {
                dim: d,
                parity: parity.map(<[bool]>::to_vec),
                block_vec,
                col_ptr,
                row_idx,
                values: Vec::new(),
            },
            values,
        ))
    }

    /// A pattern-only block from its parts (for model-specific assemblers
    /// that produce the same layout as [`assemble_components`](Self::assemble_components)):
    /// `block_vec` increasing, CSC in block indexing with rows sorted.
    pub(crate) fn from_pattern(
        dim: usize,
        parity: Option<Vec<bool>>,
        block_vec: Vec<usize>,
        col_ptr: Vec<usize>,
        row_idx: Vec<usize>,
    ) -> Self {
        debug_assert_eq!(col_ptr.len(), block_vec.len() + 1);
        debug_assert_eq!(col_ptr.last().copied(), Some(row_idx.len()));
        Self {
            dim,
            parity,
            block_vec,
            col_ptr,
            row_idx,
            values: Vec::new(),
        }
    }

    /// Hilbert-space dimension `D`.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Number of unknowns in the block.
    pub fn len(&self) -> usize {
        self.block_vec.len()
    }
    /// Whether the block is empty (never, for a valid `D ≥ 1`).
    pub fn is_empty(&self) -> bool {
        self.block_vec.is_empty()
    }
    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.row_idx.len()
    }
    /// The parity vector the block was built with.
    pub fn parity(&self) -> Option<&[bool]> {
        self.parity.as_deref()
    }
    /// Vec index `i + D*j` of each block unknown (increasing).
    pub fn vec_indices(&self) -> &[usize] {
        &self.block_vec
    }
    /// CSC column pointers (block indexing).
    pub fn col_ptr(&self) -> &[usize] {
        &self.col_ptr
    }
    /// CSC row indices (block indexing, sorted within each column).
    pub fn row_idx(&self) -> &[usize] {
        &self.row_idx
    }
    /// CSC values (empty for a pattern-only block, see
    /// [`pattern_only`](Self::pattern_only)).
    pub fn values(&self) -> &[Complex64] {
        &self.values
    }

    /// A copy of the structure (dimension, parity, block, sparsity) without
    /// the values.
    pub fn pattern_only(&self) -> Self {
        Self {
            dim: self.dim,
            parity: self.parity.clone(),
            block_vec: self.block_vec.clone(),
            col_ptr: self.col_ptr.clone(),
            row_idx: self.row_idx.clone(),
            values: Vec::new(),
        }
    }

    /// The block as a sprs CSC matrix (block indexing; explicit zeros for a
    /// pattern-only block).
    pub fn to_csmat(&self) -> CsMat<Complex64> {
        let n = self.len();
        let values = if self.values.len() == self.nnz() {
            self.values.clone()
        } else {
            vec![Complex64::new(0.0, 0.0); self.nnz()]
        };
        CsMat::new_csc((n, n), self.col_ptr.clone(), self.row_idx.clone(), values)
    }

    /// Whether `other` has exactly the same dimension, block and sparsity
    /// pattern.
    pub fn same_pattern(&self, other: &BlockLiouvillian) -> bool {
        self.dim == other.dim
            && self.block_vec == other.block_vec
            && self.col_ptr == other.col_ptr
            && self.row_idx == other.row_idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::liouvillian_dense;
    use sprs::TriMat;

    /// xorshift64* in [−1, 1)
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
            (v >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        }
        fn c(&mut self) -> Complex64 {
            Complex64::new(self.next(), self.next())
        }
    }

    /// Random sparse operator with about `fill` of its entries set.
    fn random_op(rng: &mut Rng, d: usize, fill: f64, hermitian: bool) -> CsMat<Complex64> {
        let mut t = TriMat::new((d, d));
        for i in 0..d {
            for j in 0..d {
                if hermitian && j < i {
                    continue;
                }
                if (rng.next() + 1.0) / 2.0 < fill {
                    let mut v = rng.c();
                    if hermitian && i == j {
                        v.im = 0.0;
                    }
                    t.add_triplet(i, j, v);
                    if hermitian && i != j {
                        t.add_triplet(j, i, v.conj());
                    }
                }
            }
        }
        t.to_csc()
    }

    fn model(seed: u64, d: usize) -> (CsMat<Complex64>, Vec<CsMat<Complex64>>) {
        let mut rng = Rng(seed);
        let h = random_op(&mut rng, d, 0.5, true);
        let c = vec![
            random_op(&mut rng, d, 0.4, false),
            random_op(&mut rng, d, 0.3, false),
        ];
        (h, c)
    }

    #[test]
    fn sparse_matches_naive_dense_kronecker() {
        for (seed, d) in [(1u64, 1usize), (2, 2), (3, 3), (4, 5), (5, 7)] {
            let (h, c) = model(seed, d);
            let ls = liouvillian(&h, &c).unwrap();
            let ld = liouvillian_dense(&h, &c).unwrap();
            assert_eq!(ls.rows(), d * d);
            let mut dense_from_sparse = faer::Mat::<Complex64>::zeros(d * d, d * d);
            for (v, (r, col)) in ls.iter() {
                dense_from_sparse[(r, col)] += *v;
            }
            let mut max = 0.0f64;
            for col in 0..d * d {
                for r in 0..d * d {
                    max = max.max((dense_from_sparse[(r, col)] - ld[(r, col)]).norm());
                }
            }
            assert!(max < 1e-13, "d = {d}: max deviation {max}");
        }
    }

    #[test]
    fn trace_row_annihilates_liouvillian() {
        // Tr(Lρ) = 0 for all ρ  ⇔  Σ_i L[(i,i), col] = 0 for every column
        for (seed, d) in [(11u64, 2usize), (12, 4), (13, 6)] {
            let (h, c) = model(seed, d);
            let l = liouvillian(&h, &c).unwrap();
            let mut colsum = vec![Complex64::new(0.0, 0.0); d * d];
            let mut scale = 0.0f64;
            for (v, (r, col)) in l.iter() {
                scale = scale.max(v.norm());
                if r % d == r / d {
                    colsum[col] += *v;
                }
            }
            let worst = colsum.iter().map(|z| z.norm()).fold(0.0, f64::max);
            assert!(worst < 1e-13 * scale, "d = {d}: column sum {worst}");
        }
    }

    #[test]
    fn hermiticity_is_preserved() {
        // L(ρ)† = L(ρ†) for any ρ; test with a random non-Hermitian ρ.
        let d = 5;
        let (h, c) = model(21, d);
        let l = liouvillian(&h, &c).unwrap();
        let mut rng = Rng(99);
        let rho: Vec<Complex64> = (0..d * d).map(|_| rng.c()).collect();
        let rho_dag: Vec<Complex64> = (0..d * d)
            .map(|v| rho[(v / d) + d * (v % d)].conj())
            .collect();
        let apply = |x: &[Complex64]| {
            let mut y = vec![Complex64::new(0.0, 0.0); d * d];
            for (v, (r, col)) in l.iter() {
                y[r] += *v * x[col];
            }
            y
        };
        let a = apply(&rho);
        let b = apply(&rho_dag);
        for i in 0..d {
            for j in 0..d {
                let dev = (a[i + d * j].conj() - b[j + d * i]).norm();
                assert!(dev < 1e-12, "({i},{j}): {dev}");
            }
        }
    }

    #[test]
    fn block_is_restriction_of_full() {
        // Two-level-free model with a parity: H diagonal + parity-even hopping,
        // collapse ops flipping parity.
        let d = 6;
        let parity: Vec<bool> = (0..d).map(|k| k % 2 == 1).collect();
        let mut rng = Rng(7);
        let mut th = TriMat::new((d, d));
        let mut tc = TriMat::new((d, d));
        for i in 0..d {
            th.add_triplet(i, i, Complex64::new(rng.next(), 0.0));
            if i + 2 < d {
                let v = rng.c();
                th.add_triplet(i, i + 2, v);
                th.add_triplet(i + 2, i, v.conj());
            }
            if i + 1 < d {
                tc.add_triplet(i, i + 1, rng.c());
            }
        }
        let h: CsMat<Complex64> = th.to_csc();
        let c = vec![tc.to_csc()];
        let full = liouvillian(&h, &c).unwrap();
        let block = BlockLiouvillian::assemble(&h, &c, Some(&parity)).unwrap();
        let vi = block.vec_indices();
        assert_eq!(vi.len(), d * d / 2);
        let bm = block.to_csmat();
        for (v, (r, col)) in full.iter() {
            let (pr, pc) = (
                parity[r % d] ^ parity[r / d],
                parity[col % d] ^ parity[col / d],
            );
            assert!(pr == pc || v.norm() == 0.0, "full L couples blocks");
            if !pr && !pc {
                let (br, bc) = (
                    vi.binary_search(&r).unwrap(),
                    vi.binary_search(&col).unwrap(),
                );
                let got = bm.get(br, bc).copied().unwrap_or_default();
                assert!((got - *v).norm() < 1e-14);
            }
        }
        assert_eq!(
            bm.nnz(),
            full.iter()
                .filter(|(_, (r, col))| !(parity[r % d] ^ parity[r / d])
                    && !(parity[col % d] ^ parity[col / d]))
                .count()
        );
    }

    #[test]
    fn components_sum_to_the_whole_block() {
        // L(H, C1, C2) = L(H, −) + L(0, C1) + L(0, C2), entry by entry on
        // the union pattern, without parity and with a parity
        let d = 6;
        let parity: Vec<bool> = (0..d).map(|k| k % 2 == 1).collect();
        let mut rng = Rng(11);
        let (mut th, mut t1, mut t2) = (
            TriMat::new((d, d)),
            TriMat::new((d, d)),
            TriMat::new((d, d)),
        );
        for i in 0..d {
            th.add_triplet(i, i, Complex64::new(rng.next(), 0.0));
            if i + 2 < d {
                let v = rng.c();
                th.add_triplet(i, i + 2, v);
                th.add_triplet(i + 2, i, v.conj());
                t2.add_triplet(i + 2, i, rng.c());
            }
            if i + 1 < d {
                t1.add_triplet(i, i + 1, rng.c());
            }
        }
        let h: CsMat<Complex64> = th.to_csc();
        let zero = CsMat::<Complex64>::zero((d, d)).to_csc();
        let (c1, c2) = (vec![t1.to_csc()], vec![t2.to_csc()]);
        let both = vec![c1[0].clone(), c2[0].clone()];
        for par in [None, Some(&parity[..])] {
            let whole = BlockLiouvillian::assemble(&h, &both, par).unwrap();
            let (union, parts) = BlockLiouvillian::assemble_components(
                &[(&h, &[]), (&zero, &c1[..]), (&zero, &c2[..])],
                par,
                false,
            )
            .unwrap();
            assert_eq!(union.vec_indices(), whole.vec_indices());
            assert_eq!(parts.len(), 3);
            let sum: Vec<Complex64> = (0..union.nnz())
                .map(|k| parts[0][k] + parts[1][k] + parts[2][k])
                .collect();
            let summed = BlockLiouvillian {
                values: sum,
                ..union.clone()
            }
            .to_csmat();
            let w = whole.to_csmat();
            let diff = &summed - &w;
            let worst = diff.data().iter().map(|z| z.norm()).fold(0.0, f64::max);
            assert!(worst < 1e-14, "parity {}: {worst}", par.is_some());
            assert!(union.nnz() >= whole.nnz());
        }
        // components of different dimensions are refused
        let small = CsMat::<Complex64>::zero((d - 1, d - 1)).to_csc();
        assert!(matches!(
            BlockLiouvillian::assemble_components(&[(&h, &[]), (&small, &[])], None, false),
            Err(LindbladError::InvalidInput(_))
        ));
    }
}
