//! Dense reference implementation (for tests at small `D`).
//!
//! Builds the Liouvillian naively from dense Kronecker products, exactly as
//! written in [`crate::liouvillian`](mod@crate::liouvillian) (`L = −i(I⊗H − Hᵀ⊗I) + Σ_k [C̄_k⊗C_k −
//! ½ I⊗C_k†C_k − ½ (C_k†C_k)ᵀ⊗I]`, column-stacked `vec(ρ)`), and takes the
//! steady state as the right singular vector of the smallest singular value of
//! `L` (dense SVD), reshaped, Hermitized and normalized to unit trace. Cost
//! `O(D⁶)`: use for `D ≲ 30`.

use crate::liouvillian::validate_operators;
use crate::LindbladError;
use faer::Mat;
use num_complex::Complex64;
use sprs::CsMat;

fn to_dense(a: &CsMat<Complex64>) -> Mat<Complex64> {
    let mut m = Mat::<Complex64>::zeros(a.rows(), a.cols());
    for (v, (r, c)) in a.iter() {
        m[(r, c)] += *v;
    }
    m
}

/// Dense Kronecker product `A ⊗ B`.
pub fn kron(a: &Mat<Complex64>, b: &Mat<Complex64>) -> Mat<Complex64> {
    let (ar, ac, br, bc) = (a.nrows(), a.ncols(), b.nrows(), b.ncols());
    Mat::from_fn(ar * br, ac * bc, |r, c| {
        a[(r / br, c / bc)] * b[(r % br, c % bc)]
    })
}

fn matmul(a: &Mat<Complex64>, b: &Mat<Complex64>) -> Mat<Complex64> {
    Mat::from_fn(a.nrows(), b.ncols(), |r, c| {
        (0..a.ncols()).map(|k| a[(r, k)] * b[(k, c)]).sum()
    })
}

fn transpose(a: &Mat<Complex64>) -> Mat<Complex64> {
    Mat::from_fn(a.ncols(), a.nrows(), |r, c| a[(c, r)])
}

fn conj(a: &Mat<Complex64>) -> Mat<Complex64> {
    Mat::from_fn(a.nrows(), a.ncols(), |r, c| a[(r, c)].conj())
}

/// The dense Liouvillian (`D² × D²`), built naively from Kronecker products.
///
/// # Errors
/// [`LindbladError::InvalidInput`] for invalid operators (see
/// [`crate::liouvillian()`]).
pub fn liouvillian_dense(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
) -> Result<Mat<Complex64>, LindbladError> {
    let d = validate_operators(h, c_ops)?;
    let id = Mat::<Complex64>::identity(d, d);
    let hd = to_dense(h);
    let mi = Complex64::new(0.0, -1.0);
    let mut l = Mat::from_fn(d * d, d * d, |_, _| Complex64::new(0.0, 0.0));
    let t1 = kron(&id, &hd);
    let t2 = kron(&transpose(&hd), &id);
    for c in 0..d * d {
        for r in 0..d * d {
            l[(r, c)] = mi * (t1[(r, c)] - t2[(r, c)]);
        }
    }
    for c_op in c_ops {
        let cd = to_dense(c_op);
        let cdag = transpose(&conj(&cd));
        let p = matmul(&cdag, &cd);
        let a = kron(&conj(&cd), &cd);
        let b = kron(&id, &p);
        let e = kron(&transpose(&p), &id);
        for c in 0..d * d {
            for r in 0..d * d {
                l[(r, c)] += a[(r, c)] - 0.5 * b[(r, c)] - 0.5 * e[(r, c)];
            }
        }
    }
    Ok(l)
}

/// Result of the dense reference solver.
#[derive(Clone, Debug)]
pub struct DenseSteadyState {
    /// ρ (Hermitized, trace 1).
    pub rho: Mat<Complex64>,
    /// Smallest singular value of `L` (≈ 0).
    pub sigma_min: f64,
    /// Second-smallest singular value of `L` (> 0 for a unique steady state).
    pub sigma_second: f64,
}

/// Steady state from the null vector of the dense Liouvillian (SVD).
///
/// # Errors
/// [`LindbladError::InvalidInput`] for invalid operators,
/// [`LindbladError::Numerical`] if the SVD fails or the null vector has zero
/// trace.
pub fn steady_state_dense(
    h: &CsMat<Complex64>,
    c_ops: &[CsMat<Complex64>],
) -> Result<DenseSteadyState, LindbladError> {
    let l = liouvillian_dense(h, c_ops)?;
    let n = l.nrows();
    let d = h.rows();
    let svd = l
        .svd()
        .map_err(|e| LindbladError::Numerical(format!("dense SVD failed: {e:?}")))?;
    let s = svd.S().column_vector();
    // singular values are sorted in nonincreasing order
    let sigma_min = s[n - 1].re;
    let sigma_second = if n >= 2 { s[n - 2].re } else { f64::INFINITY };
    let v = svd.V().col(n - 1);
    let mut rho = Mat::from_fn(d, d, |i, j| v[i + d * j]);
    let tr: Complex64 = (0..d).map(|i| rho[(i, i)]).sum();
    if tr.norm() < 1e-300 {
        return Err(LindbladError::Numerical(
            "null vector has zero trace".into(),
        ));
    }
    for j in 0..d {
        for i in 0..d {
            rho[(i, j)] /= tr;
        }
    }
    let herm = Mat::from_fn(d, d, |i, j| (rho[(i, j)] + rho[(j, i)].conj()) * 0.5);
    Ok(DenseSteadyState {
        rho: herm,
        sigma_min,
        sigma_second,
    })
}
