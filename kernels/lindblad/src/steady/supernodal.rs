//! faer's supernodal LU with partial pivoting and a fixed column order
//! (COLAMD or a caller's order), the factorization of the non-geometric
//! orderings.
//!
//! Its fill is bounded by the Cholesky factor of `AᵀA` in the column order:
//! with `c_k` the column counts of that factor, `nnz(L+U) ≤ Σ (2 c_k − 1)`
//! and the factorization costs about `Σ (c_k − 1)(2 c_k − 1)` multiply-adds
//! and divisions (×4 real flops in complex arithmetic). Partial pivoting
//! chooses each pivot among all rows of its column: no delayed or perturbed
//! pivots, a structurally singular pattern is an error.

use crate::scalar::SystemScalar;
use crate::LindbladError;
use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::perm::PermRef;
use faer::sparse::linalg::lu::supernodal::{
    factorize_supernodal_numeric_lu, factorize_supernodal_numeric_lu_scratch,
    factorize_supernodal_symbolic_lu, factorize_supernodal_symbolic_lu_scratch, SupernodalLu,
    SymbolicSupernodalLu,
};
use faer::sparse::linalg::{qr, LuError};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par};

const NONE: usize = usize::MAX;

/// Supernodal LU with a fixed column permutation.
pub(crate) struct Supernodal<T> {
    perm_fwd: Vec<usize>,
    perm_inv: Vec<usize>,
    symbolic: SymbolicSupernodalLu<usize>,
    lu: SupernodalLu<usize, T>,
    row_fwd: Vec<usize>,
    row_inv: Vec<usize>,
    /// Aᵀ pattern and the position in Aᵀ of every entry of A.
    at_col_ptr: Vec<usize>,
    at_row_idx: Vec<usize>,
    at_values: Vec<T>,
    a_to_at: Vec<usize>,
    mem: MemBuffer,
    /// Σ c_k and Σ (c_k − 1)(2c_k − 1) of the Cholesky column counts of AᵀA.
    pub count_sum: u64,
    pub flop_sum: f64,
}

impl<T: SystemScalar> Supernodal<T> {
    /// Symbolic supernodal LU of `sym` for the column order `order`.
    pub fn new(
        sym: SymbolicSparseColMatRef<'_, usize>,
        order: Vec<usize>,
    ) -> Result<Self, LindbladError> {
        let n = sym.ncols();
        if order.len() != n {
            return Err(LindbladError::InvalidInput(format!(
                "ordering has length {}, expected {n}",
                order.len()
            )));
        }
        let mut perm_inv = vec![NONE; n];
        for (k, &c) in order.iter().enumerate() {
            if c >= n || perm_inv[c] != NONE {
                return Err(LindbladError::InvalidInput(
                    "custom ordering is not a permutation".into(),
                ));
            }
            perm_inv[c] = k;
        }
        let perm_fwd = order;
        // Aᵀ pattern and value map
        let col_ptr = sym.col_ptr();
        let row_idx = sym.row_idx();
        let nnz = row_idx.len();
        let mut at_col_ptr = vec![0usize; n + 1];
        for &r in row_idx {
            at_col_ptr[r + 1] += 1;
        }
        for i in 0..n {
            at_col_ptr[i + 1] += at_col_ptr[i];
        }
        let mut next = at_col_ptr.clone();
        let mut at_row_idx = vec![0usize; nnz];
        let mut a_to_at = vec![0usize; nnz];
        for c in 0..n {
            for idx in col_ptr[c]..col_ptr[c + 1] {
                let r = row_idx[idx];
                let pos = next[r];
                next[r] += 1;
                at_row_idx[pos] = c;
                a_to_at[idx] = pos;
            }
        }
        drop(next);
        let at_sym = SymbolicSparseColMatRef::new_checked(n, n, &at_col_ptr, None, &at_row_idx);
        let perm = PermRef::new_checked(&perm_fwd, &perm_inv, n);
        let mut etree = vec![0usize; n];
        let mut post = vec![0usize; n];
        let mut col_counts = vec![0usize; n];
        let mut min_col = vec![0usize; n];
        let req = StackReq::any_of(&[
            qr::col_etree_scratch::<usize>(n, n),
            qr::postorder_scratch::<usize>(n),
            StackReq::new::<usize>(8 * n + 8),
            factorize_supernodal_symbolic_lu_scratch::<usize>(n, n),
        ]);
        let mut buf = MemBuffer::try_new(req).map_err(|_| LindbladError::OutOfMemory)?;
        let stack = MemStack::new(&mut buf);
        let et = qr::col_etree(sym, Some(perm), &mut etree, stack);
        qr::postorder(&mut post, et, stack);
        qr::column_counts_ata(
            &mut col_counts,
            &mut min_col,
            at_sym,
            Some(perm),
            et,
            &post,
            stack,
        );
        let count_sum: u64 = col_counts.iter().map(|&c| c as u64).sum();
        let flop_sum: f64 = col_counts
            .iter()
            .map(|&c| {
                let c = c as f64;
                (c - 1.0) * (2.0 * c - 1.0)
            })
            .sum();
        let symbolic = factorize_supernodal_symbolic_lu(
            sym,
            Some(perm),
            &min_col,
            et,
            &col_counts,
            stack,
            Default::default(),
        )?;
        drop(buf);
        let par = Par::Seq;
        let req = StackReq::any_of(&[
            factorize_supernodal_numeric_lu_scratch::<usize, T>(&symbolic, Default::default()),
            faer::sparse::linalg::lu::supernodal::solve_in_place_scratch::<usize, T>(n, 1, par),
        ]);
        let mem = MemBuffer::try_new(req).map_err(|_| LindbladError::OutOfMemory)?;
        Ok(Self {
            perm_fwd,
            perm_inv,
            symbolic,
            lu: SupernodalLu::new(),
            row_fwd: vec![0; n],
            row_inv: vec![0; n],
            at_col_ptr,
            at_row_idx,
            at_values: vec![T::default(); nnz],
            a_to_at,
            mem,
            count_sum,
            flop_sum,
        })
    }

    /// Numeric factorization of `a` (pattern of the plan), sequential.
    pub fn factorize(&mut self, a: SparseColMatRef<'_, usize, T>) -> Result<(), LindbladError> {
        let n = a.ncols();
        for (idx, &pos) in self.a_to_at.iter().enumerate() {
            self.at_values[pos] = a.val()[idx];
        }
        let at_sym =
            SymbolicSparseColMatRef::new_checked(n, n, &self.at_col_ptr, None, &self.at_row_idx);
        let at = SparseColMatRef::new(at_sym, &self.at_values);
        let perm = PermRef::new_checked(&self.perm_fwd, &self.perm_inv, n);
        factorize_supernodal_numeric_lu(
            &mut self.row_fwd,
            &mut self.row_inv,
            &mut self.lu,
            a,
            at,
            perm,
            &self.symbolic,
            Par::Seq,
            MemStack::new(&mut self.mem),
            Default::default(),
        )
        .map_err(lu_err)
    }

    /// Solves `A x = rhs` in place with the current numeric factorization.
    pub fn solve_in_place(&mut self, rhs: &mut [T]) {
        let n = rhs.len();
        let x = MatMut::from_column_major_slice_mut(rhs, n, 1);
        let col_perm = PermRef::new_checked(&self.perm_fwd, &self.perm_inv, n);
        let row_perm = PermRef::new_checked(&self.row_fwd, &self.row_inv, n);
        self.lu.solve_in_place_with_conj(
            row_perm,
            col_perm,
            Conj::No,
            x,
            Par::Seq,
            MemStack::new(&mut self.mem),
        );
    }
}

fn lu_err(e: LuError) -> LindbladError {
    match e {
        LuError::SymbolicSingular { index } => LindbladError::Singular(format!(
            "structurally singular at pivot {index}: no unique steady state"
        )),
        LuError::Generic(f) => f.into(),
    }
}
