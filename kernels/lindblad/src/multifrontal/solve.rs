//! Substitution stage of the multifrontal LU: `x = A⁻¹ b` with the factors
//! of the numeric stage.
//!
//! With `P A Q = L U` assembled node by node, the forward sweep visits the
//! nodes in postorder: it gathers the right-hand side at the node's pivot
//! rows, applies `L11⁻¹`, subtracts `L21 t` from the rows the node passed
//! on (delayed rows, then the boundary) and stores `t` at the node's pivot
//! columns; the backward sweep visits them in reverse, subtracting `U12`
//! times the solution at the passed-on columns and applying `U11⁻¹`. Rows
//! and columns live in two vectors (a node that delayed pivots eliminates
//! different row and column sets). Column sweeps over each node's factors
//! stream them once; for the many small fronts of the leaves plain loops
//! cost far less than dense-kernel calls. Compiled for AVX2 as well, with
//! runtime dispatch, like the factorization.

use super::front::FactorScalar;
use super::numeric::{NodeFactors, Numeric};
use super::symbolic::{Symbolic, SymbolicNode};

/// Vectors of the substitution, reused across solves.
pub(crate) struct SolveBuffers<T> {
    /// Rows and columns, `n` each.
    y: Vec<T>,
    x: Vec<T>,
    /// One node's pivots and its block.
    t: Vec<T>,
    u: Vec<T>,
}

impl<T: FactorScalar> SolveBuffers<T> {
    pub fn new(n: usize) -> Self {
        Self {
            y: vec![T::default(); n],
            x: vec![T::default(); n],
            t: Vec::new(),
            u: Vec::new(),
        }
    }
}

/// Solves `A x = rhs` in place with the factors in `num`.
pub(crate) fn solve_in_place<T: FactorScalar>(
    sym: &Symbolic,
    num: &Numeric<T>,
    buf: &mut SolveBuffers<T>,
    rhs: &mut [T],
) {
    if buf.t.len() < num.kmax {
        buf.t.resize(num.kmax, T::default());
    }
    if buf.u.len() < num.omax {
        buf.u.resize(num.omax, T::default());
    }
    let s = Substitution {
        sym: &sym.nodes,
        nodes: &num.nodes,
        factors: &num.factors,
        perm: &sym.perm,
    };
    let SolveBuffers { y, x, t, u } = buf;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor supports AVX2 (checked just above).
        unsafe { s.run_avx2(rhs, y, x, t, u) };
        return;
    }
    s.run(rhs, y, x, t, u);
}

struct Substitution<'a, T> {
    sym: &'a [SymbolicNode],
    nodes: &'a [NodeFactors<T>],
    factors: &'a [T],
    perm: &'a [usize],
}

impl<T: FactorScalar> Substitution<'_, T> {
    /// [`Self::run`] compiled for AVX2.
    ///
    /// # Safety
    /// The processor must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(&self, rhs: &mut [T], y: &mut [T], x: &mut [T], t: &mut [T], u: &mut [T]) {
        self.run(rhs, y, x, t, u)
    }

    /// `rhs ← A⁻¹ rhs`; `y` (rows, n), `x` (columns, n), `t` (largest k),
    /// `u` (largest block order) are scratch.
    #[inline(always)]
    fn run(&self, rhs: &mut [T], y: &mut [T], x: &mut [T], t: &mut [T], u: &mut [T]) {
        for (yk, &p) in y.iter_mut().zip(self.perm) {
            *yk = rhs[p];
        }
        for (nd, sn) in self.nodes.iter().zip(self.sym) {
            let k = nd.piv_rows.len();
            let o = nd.block_order(sn);
            let slot = nd.factors(sn, self.factors);
            let (lu, rest) = slot.split_at(k * k);
            let l21 = &rest[k * o..];
            let t = &mut t[..k];
            for (ti, &r) in t.iter_mut().zip(&nd.piv_rows) {
                *ti = y[r as usize];
            }
            // t ← L11⁻¹ t (unit lower), by columns
            for c in 0..k {
                let tc = t[c];
                for (ti, &l) in t[c + 1..].iter_mut().zip(&lu[c * k + c + 1..(c + 1) * k]) {
                    *ti -= l * tc;
                }
            }
            if o > 0 {
                // u = L21 t by columns, y_outer −= u
                let u = &mut u[..o];
                u.fill(T::default());
                for (c, &tc) in t.iter().enumerate() {
                    for (ui, &l) in u.iter_mut().zip(&l21[c * o..(c + 1) * o]) {
                        *ui += l * tc;
                    }
                }
                let d = nd.delayed_rows.len();
                for (&g, &uk) in nd.delayed_rows.iter().zip(&u[..d]) {
                    y[g as usize] -= uk;
                }
                for (&g, &uk) in sn.boundary.iter().zip(&u[d..]) {
                    y[g] -= uk;
                }
            }
            for (&c, &ti) in nd.piv_cols.iter().zip(t.iter()) {
                x[c as usize] = ti;
            }
        }
        for (nd, sn) in self.nodes.iter().zip(self.sym).rev() {
            let k = nd.piv_rows.len();
            let o = nd.block_order(sn);
            let slot = nd.factors(sn, self.factors);
            let (lu, rest) = slot.split_at(k * k);
            let u12 = &rest[..k * o];
            let t = &mut t[..k];
            for (ti, &c) in t.iter_mut().zip(&nd.piv_cols) {
                *ti = x[c as usize];
            }
            // t −= U12 x_outer by columns
            let outer = nd
                .delayed_cols
                .iter()
                .map(|&g| g as usize)
                .chain(sn.boundary.iter().copied());
            for (j, g) in outer.enumerate() {
                let xj = x[g];
                for (ti, &v) in t.iter_mut().zip(&u12[j * k..(j + 1) * k]) {
                    *ti -= v * xj;
                }
            }
            // t ← U11⁻¹ t, by columns from the last
            for c in (0..k).rev() {
                let tc = t[c] / lu[c * k + c];
                t[c] = tc;
                for (ti, &v) in t[..c].iter_mut().zip(&lu[c * k..c * k + c]) {
                    *ti -= v * tc;
                }
            }
            for (&c, &ti) in nd.piv_cols.iter().zip(t.iter()) {
                x[c as usize] = ti;
            }
        }
        for (&xk, &p) in x.iter().zip(self.perm) {
            rhs[p] = xk;
        }
    }
}
