//! Large zero-initialised buffers for the kernels' plans.
//!
//! A plan allocates its big arrays (factor storage, fronts, distributed
//! slabs) once and then reuses them. [`zeroed_vec`] takes them from
//! `alloc_zeroed`, so large sizes come as fresh zero pages and nothing is
//! written at allocation: the pages are first touched by whoever fills
//! them (no `memset` pass on top of the kernel's zeroing).
//!
//! [`huge_zeroed_vec`] also marks a buffer of at least 4 MiB
//! `MADV_HUGEPAGE` before that first touch (Linux), so it is backed by
//! 2 MiB transparent huge pages where the system runs them in `madvise`
//! mode, as most distributions do: far fewer TLB misses when a kernel
//! strides across the buffer again and again (the propagator's
//! transposes). Where memory is returned to a hypervisor as soon as it is
//! freed (free page reporting), a fresh huge page costs more than 512 small
//! ones: measured on the 2-core development VM, first touch of 200 MB took
//! 0.5–0.6 s on huge pages against 0.11 s on 4 KiB pages, and 15 ms against
//! 87 ms once the memory was warm. Use it for buffers that are swept many
//! times, not for ones filled once.
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

/// Bytes from which a buffer is marked for transparent huge pages.
pub const HUGE_PAGE_THRESHOLD: usize = 2 * HUGE_PAGE;
const HUGE_PAGE: usize = 2 << 20;

/// `len` zeros on fresh pages (module docs).
///
/// # Errors
/// [`AllocError`] when the allocator fails or the size overflows.
pub fn zeroed_vec<T: ZeroBits>(len: usize) -> Result<Vec<T>, AllocError> {
    alloc_zeroed_vec(len, false)
}

/// `len` zeros on fresh pages, advised onto transparent huge pages from
/// [`HUGE_PAGE_THRESHOLD`] bytes on (module docs).
///
/// # Errors
/// [`AllocError`] when the allocator fails or the size overflows.
pub fn huge_zeroed_vec<T: ZeroBits>(len: usize) -> Result<Vec<T>, AllocError> {
    alloc_zeroed_vec(len, true)
}

fn alloc_zeroed_vec<T: ZeroBits>(len: usize, huge: bool) -> Result<Vec<T>, AllocError> {
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
    if huge {
        advise_huge_pages(ptr as usize, layout.size());
    }
    // SAFETY: allocated by the global allocator with the layout of `len`
    // `T`s, all initialised (zero bits are a valid `T`: `ZeroBits`).
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// Marks the whole huge pages inside `[addr, addr + bytes)` `MADV_HUGEPAGE`
/// (Linux; a no-op elsewhere and below [`HUGE_PAGE_THRESHOLD`]).
fn advise_huge_pages(addr: usize, bytes: usize) {
    #[cfg(target_os = "linux")]
    if bytes >= HUGE_PAGE_THRESHOLD {
        let start = addr.next_multiple_of(HUGE_PAGE);
        let end = (addr + bytes) / HUGE_PAGE * HUGE_PAGE;
        if end > start {
            // SAFETY: [start, end) lies inside an allocation of this process;
            // madvise only changes the paging policy of that range (an
            // error, e.g. a kernel without THP, leaves it as it was).
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (addr, bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_of_every_size_and_type() {
        for len in [0usize, 1, 3, 1000, (HUGE_PAGE_THRESHOLD / 8) + 17] {
            let v: Vec<f64> = zeroed_vec(len).unwrap();
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 0.0));
            let h: Vec<f64> = huge_zeroed_vec(len).unwrap();
            assert!(h.len() == len && h.iter().all(|&x| x == 0.0));
            let c: Vec<Complex<f32>> = zeroed_vec(len).unwrap();
            assert!(c.iter().all(|z| z.re == 0.0 && z.im == 0.0));
        }
        let w: Vec<usize> = zeroed_vec(5).unwrap();
        assert_eq!(w, vec![0; 5]);
    }

    #[test]
    fn impossible_size_is_an_error() {
        assert!(zeroed_vec::<f64>(usize::MAX / 4).is_err());
        assert!(huge_zeroed_vec::<f64>(usize::MAX / 4).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn large_buffer_is_marked_for_huge_pages() {
        let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
        if !thp.is_ok_and(|s| !s.contains("[never]")) {
            return; // a kernel without transparent huge pages refuses the advice
        }
        let mut v: Vec<f64> = huge_zeroed_vec(4 * HUGE_PAGE / 8 + 1).unwrap();
        v[0] = 1.0;
        let addr = v.as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        // the mapping that holds the buffer carries the `hg` (MADV_HUGEPAGE) flag
        let mut inside = false;
        let mut flagged = None;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((a, b)) = range.split_once('-') {
                    if let (Ok(a), Ok(b)) =
                        (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                    {
                        inside = (a..b).contains(&(addr + 3 * HUGE_PAGE));
                        continue;
                    }
                }
            }
            if inside && line.starts_with("VmFlags:") {
                flagged = Some(line.split_whitespace().any(|f| f == "hg"));
            }
        }
        assert_eq!(
            flagged,
            Some(true),
            "no MADV_HUGEPAGE on the buffer's mapping"
        );
    }
}
