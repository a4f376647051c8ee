//! Large zero-initialised buffers for the kernels' plans.
//!
//! A plan allocates its big arrays (factor storage, fronts, distributed
//! slabs) once and then reuses them. [`zeroed_vec`] takes them from
//! `alloc_zeroed`, so large sizes come as fresh zero pages and nothing is
//! written at allocation: the pages are first touched by whoever fills
//! them (no `memset` pass on top of the kernel's zeroing).
//!
//! Buffers are not advised onto transparent huge pages (`MADV_HUGEPAGE`):
//! where memory goes back to a hypervisor as soon as it is freed (free page
//! reporting, as on the development VMs), a fresh huge page costs far more
//! than 512 small ones. Measured on the 2-core development VM: first touch
//! of 200 MB took 0.5–0.6 s on huge pages against 0.11 s on 4 KiB pages;
//! a fresh LMG steady state at N = 400 took 0.31–0.36 s against 0.14–0.18 s
//! to factorize, and a 2047² propagator plan plus its first observables
//! 0.65 s against 0.38 s on one rank, with the same period time (the
//! transposes gained nothing measurable from the larger pages).
//!
//! ```
//! let v: Vec<f64> = qk_buffers::zeroed_vec(1 << 20).unwrap();
//! assert!(v.iter().all(|&x| x == 0.0));
//! ```

use num_complex::Complex;

/// Types whose all-zero bit pattern is a valid value (zero).
///
/// # Safety
/// Implement only for types for which every byte being 0 is a valid,
/// initialised value.
pub unsafe trait ZeroBits: Copy {}

// SAFETY: IEEE 754 +0.0 and the integer 0 are all-zero bits.
unsafe impl ZeroBits for f32 {}
unsafe impl ZeroBits for f64 {}
unsafe impl ZeroBits for u32 {}
unsafe impl ZeroBits for usize {}
// SAFETY: `Complex<T>` is `repr(C)` of two `T`.
unsafe impl<T: ZeroBits> ZeroBits for Complex<T> {}

/// The allocation failed or `len` elements exceed the address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError {
    /// Bytes requested (saturated).
    pub bytes: usize,
}

impl std::fmt::Display for AllocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot allocate {} bytes", self.bytes)
    }
}

impl std::error::Error for AllocError {}

/// `len` zeros on fresh pages (module docs).
///
/// # Errors
/// [`AllocError`] when the allocator fails or the size overflows.
pub fn zeroed_vec<T: ZeroBits>(len: usize) -> Result<Vec<T>, AllocError> {
    let bytes = len.saturating_mul(std::mem::size_of::<T>());
    let layout = std::alloc::Layout::array::<T>(len).map_err(|_| AllocError { bytes })?;
    if layout.size() == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: non-zero size.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(AllocError { bytes });
    }
    // SAFETY: allocated by the global allocator with the layout of `len`
    // `T`s, all initialised (zero bits are a valid `T`: `ZeroBits`).
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_of_every_size_and_type() {
        for len in [0usize, 1, 3, 1000, (1 << 20) + 17] {
            let v: Vec<f64> = zeroed_vec(len).unwrap();
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 0.0));
            let c: Vec<Complex<f32>> = zeroed_vec(len).unwrap();
            assert!(c.iter().all(|z| z.re == 0.0 && z.im == 0.0));
        }
        let w: Vec<usize> = zeroed_vec(5).unwrap();
        assert_eq!(w, vec![0; 5]);
    }

    #[test]
    fn impossible_size_is_an_error() {
        assert!(zeroed_vec::<f64>(usize::MAX / 4).is_err());
    }
}
