//! A period allocates nothing: count the allocations of the Rust global
//! allocator around `period()` and `period_backward()` (after the first
//! period, which may touch lazily initialised state).

mod common;

use common::{mpi_self, params};
use qk_propagator::{Interaction, Propagator};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn periods_do_not_allocate() {
    let (_g, comm) = mpi_self();
    for inter in [Interaction::Continuous, Interaction::Kicked] {
        for &(n1, n2) in &[(31usize, 31usize), (17, 24)] {
            let p = params(n1, n2, inter);
            let mut prop = Propagator::new(&p, &comm).unwrap();
            prop.period();
            let before = ALLOCS.load(Ordering::SeqCst);
            for _ in 0..3 {
                prop.period();
            }
            prop.period_backward();
            prop.dst_roundtrip();
            let after = ALLOCS.load(Ordering::SeqCst);
            assert_eq!(after - before, 0, "{inter:?} {n1}x{n2}: a period allocated");
        }
    }
}
