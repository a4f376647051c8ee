//! The slab buffers and the distributed transpose between the two slab
//! layouts (x1 slabs in position space, k2 slabs in sine space).
//!
//! Each rank holds two slab buffers. The state rests row-major in one of them
//! (the *current* one, the same index on every rank); a row pass that ends in
//! a transpose reads its rows from the current buffer and writes its output
//! already transposed into the *next* buffers, each destination's block at
//! its final place in the destination's rows. Finishing the exchange makes
//! the next buffers current. The row passes therefore never unpack anything:
//! they always find whole rows in their current buffer.
//!
//! How the blocks reach the other ranks ([`Mode`]):
//!
//! * [`Mode::Local`]: one rank; the pass writes the whole transposed slab into
//!   its next buffer.
//! * [`Mode::Shared`]: all ranks of the communicator share a node: the two
//!   buffers of every rank live in one MPI-3 shared-memory window
//!   (`MPI_Win_allocate_shared`), and a pass writes each destination's block
//!   straight into that rank's next buffer. The exchange is a barrier (with
//!   `MPI_Win_sync` around it); no byte is copied by MPI. One barrier per
//!   exchange is enough: between two barriers a rank reads only its current
//!   buffer, and every rank writes only next buffers, the blocks of different
//!   senders being disjoint.
//! * [`Mode::Messages`]: ranks on several nodes (or forced, or not enough
//!   room in `/dev/shm`): the blocks for other ranks are packed contiguously
//!   into a send buffer (the rank's own block goes straight into its next
//!   buffer) and sent point to point; each receive lands directly in the next
//!   buffer's rows through an MPI vector datatype.
//!
//! The choice is made once, collectively, in [`Transport::new`]; the
//! environment variable `QK_PROPAGATOR_EXCHANGE=messages` forces the message
//! path (the tests run both). Nothing here allocates after construction.

use crate::decomp::Slab;
use crate::error::{PropagatorError, Result};
use mpi::collective::{CommunicatorCollectives, SystemOperation};
use mpi::ffi;
use mpi::raw::AsRaw;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::Count;
use num_complex::Complex64 as C64;
use std::os::raw::{c_int, c_void};

/// How blocks travel between ranks (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One rank.
    Local,
    /// One node: MPI-3 shared-memory window, direct writes, a barrier.
    Shared,
    /// Point-to-point messages from a packed send buffer.
    Messages,
}

/// The two directions of the transpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    /// After the x2-row pass: x1 slabs → k2 slabs.
    XK = 0,
    /// After the k1-row pass: k2 slabs → x1 slabs.
    KX = 1,
}

/// Where the output columns `[col_start, col_start + col_count)` of a row
/// pass go: column `col_start + c`, pass row `r` is written to
/// `ptr[c·stride + row0 + r]`; `len` elements are valid from `ptr`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dest {
    pub col_start: usize,
    pub col_count: usize,
    pub ptr: *mut C64,
    pub stride: usize,
    pub row0: usize,
    pub len: usize,
}

/// Geometry of one direction: the rows of a pass before the exchange are
/// split over the ranks by `from`, its output columns (the rows after the
/// exchange) by `to`.
struct Geometry {
    from: Slab,
    to: Slab,
    /// Row length after the exchange (the `from` axis length).
    row_len: usize,
}

/// Message-mode state of one direction.
struct Messages {
    /// Per destination: offset of its block in the send buffer.
    send_displ: Vec<usize>,
    /// Per source: vector datatype of its block in this rank's rows.
    recv_type: Vec<ffi::MPI_Datatype>,
}

/// The slab buffers and the exchange.
pub(crate) struct Transport {
    mode: Mode,
    rank: usize,
    size: usize,
    /// Slab length (complex numbers) of each buffer.
    slab: usize,
    /// Index (0 or 1) of the current buffer.
    cur: usize,
    /// This rank's two buffers.
    own: [*mut C64; 2],
    /// Owner of the buffers in local and message mode.
    storage: Vec<Vec<C64>>,
    /// Shared mode: the window.
    win: Option<ffi::MPI_Win>,
    geom: [Geometry; 2],
    /// `dests[dir][b]`: where a pass in direction `dir` writes when buffer `b`
    /// is the next one.
    dests: [[Vec<Dest>; 2]; 2],
    /// Message mode: send buffer, per-direction datatypes, request slots.
    send: Vec<C64>,
    msgs: Vec<Messages>,
    requests: Vec<ffi::MPI_Request>,
}

// SAFETY: the raw pointers point into memory owned by this value (its vectors
// or its window); nothing is shared with other threads.
unsafe impl Send for Transport {}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("mode", &self.mode)
            .field("slab", &self.slab)
            .finish()
    }
}

fn to_count(v: usize, what: &'static str) -> Result<Count> {
    Count::try_from(v).map_err(|_| PropagatorError::InvalidInput {
        name: what,
        value: v.to_string(),
        reason: "grid too large for 32-bit MPI counts; use more ranks",
    })
}

fn check(rc: c_int, what: &str) -> Result<()> {
    if rc == ffi::MPI_SUCCESS as c_int {
        Ok(())
    } else {
        Err(PropagatorError::Mpi(format!("{what} failed (error {rc})")))
    }
}

/// A zeroed buffer of `len` complex numbers on fresh pages, first touched by
/// whoever fills it ([`qk_buffers::zeroed_vec`]; why not huge pages: its
/// module docs).
pub(crate) fn big_buffer(len: usize) -> Vec<C64> {
    qk_buffers::zeroed_vec(len).unwrap_or_else(|e| panic!("slab buffer: {e}"))
}

/// Free bytes in `/dev/shm` (where Open MPI and MPICH put shared windows);
/// `None` where it cannot be read.
fn shm_free_bytes() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let path = c"/dev/shm";
        // SAFETY: statvfs fills the struct for a NUL-terminated path.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(path.as_ptr(), &mut st) } == 0 {
            return Some(st.f_bavail as u64 * st.f_frsize as u64);
        }
        None
    }
    #[cfg(not(target_os = "linux"))]
    None
}

impl Transport {
    /// The buffers and the exchange for the x1 slabs `s1` (rows of length n2)
    /// and k2 slabs `s2` (rows of length n1). Collective over `comm`.
    pub(crate) fn new(comm: &SimpleCommunicator, s1: &Slab, s2: &Slab) -> Result<Self> {
        let rank = comm.rank() as usize;
        let size = comm.size() as usize;
        let (n1, n2): (usize, usize) = (s1.count.iter().sum(), s2.count.iter().sum());
        // the same length on every rank (shared mode locates the other
        // ranks' second buffers by it)
        let slab = (s1.max_count() * n2).max(s2.max_count() * n1).max(1);
        let geom = [
            Geometry {
                from: s1.clone(),
                to: s2.clone(),
                row_len: n1,
            },
            Geometry {
                from: s2.clone(),
                to: s1.clone(),
                row_len: n2,
            },
        ];
        let bytes = slab * std::mem::size_of::<C64>();
        // round each rank's part of a window to whole 2 MiB so every buffer is page aligned
        let part = (2 * bytes).next_multiple_of(2 << 20);

        let mode = if size == 1 {
            Mode::Local
        } else {
            let forced = std::env::var("QK_PROPAGATOR_EXCHANGE").ok();
            let mut ok: c_int = i32::from(forced.as_deref() != Some("messages"));
            // every rank of the communicator on this node?
            let mut node: ffi::MPI_Comm = unsafe { ffi::RSMPI_COMM_NULL };
            // SAFETY: plain MPI calls on a valid communicator; `node` is freed below.
            unsafe {
                check(
                    ffi::MPI_Comm_split_type(
                        comm.as_raw(),
                        ffi::RSMPI_COMM_TYPE_SHARED,
                        0,
                        ffi::RSMPI_INFO_NULL,
                        &mut node,
                    ),
                    "MPI_Comm_split_type",
                )?;
                let mut nsize: c_int = 0;
                check(ffi::MPI_Comm_size(node, &mut nsize), "MPI_Comm_size")?;
                check(ffi::MPI_Comm_free(&mut node), "MPI_Comm_free")?;
                if nsize as usize != size {
                    ok = 0;
                }
            }
            // room for every rank's part, with a margin
            let need = (size as u64).saturating_mul(part as u64).saturating_mul(5) / 4;
            if shm_free_bytes().is_some_and(|free| free < need) {
                ok = 0;
            }
            let mut all: c_int = 0;
            comm.all_reduce_into(&ok, &mut all, SystemOperation::min());
            if all == 1 {
                Mode::Shared
            } else {
                Mode::Messages
            }
        };

        let mut t = Transport {
            mode,
            rank,
            size,
            slab,
            cur: 0,
            own: [std::ptr::null_mut(); 2],
            storage: Vec::new(),
            win: None,
            geom,
            dests: Default::default(),
            send: Vec::new(),
            msgs: Vec::new(),
            requests: Vec::new(),
        };
        // per rank, base pointers of its two buffers (shared mode: all ranks)
        let mut bases: Vec<[*mut C64; 2]> = vec![[std::ptr::null_mut(); 2]; size];
        match mode {
            Mode::Local | Mode::Messages => {
                t.storage = vec![big_buffer(slab), big_buffer(slab)];
                t.own = [t.storage[0].as_mut_ptr(), t.storage[1].as_mut_ptr()];
                bases[rank] = t.own;
            }
            Mode::Shared => {
                let mut win: ffi::MPI_Win = unsafe { ffi::RSMPI_WIN_NULL };
                let mut base: *mut C64 = std::ptr::null_mut();
                // SAFETY: collective allocation of `part` bytes per rank; the
                // window is freed in Drop (unlocked first).
                unsafe {
                    check(
                        ffi::MPI_Win_allocate_shared(
                            part as ffi::MPI_Aint,
                            std::mem::size_of::<C64>() as c_int,
                            ffi::RSMPI_INFO_NULL,
                            comm.as_raw(),
                            &mut base as *mut *mut C64 as *mut c_void,
                            &mut win,
                        ),
                        "MPI_Win_allocate_shared",
                    )?;
                    t.win = Some(win);
                    check(
                        ffi::MPI_Win_lock_all(ffi::MPI_MODE_NOCHECK as c_int, win),
                        "MPI_Win_lock_all",
                    )?;
                    for (q, b) in bases.iter_mut().enumerate() {
                        let mut sz: ffi::MPI_Aint = 0;
                        let mut du: c_int = 0;
                        let mut p: *mut C64 = std::ptr::null_mut();
                        check(
                            ffi::MPI_Win_shared_query(
                                win,
                                q as c_int,
                                &mut sz,
                                &mut du,
                                &mut p as *mut *mut C64 as *mut c_void,
                            ),
                            "MPI_Win_shared_query",
                        )?;
                        if (sz as usize) < 2 * bytes || p.is_null() {
                            return Err(PropagatorError::Mpi(
                                "shared window smaller than requested".into(),
                            ));
                        }
                        *b = [p, p.add(slab)];
                    }
                    t.own = bases[rank];
                }
                // The window's pages are first touched by the passes that
                // fill them (a fresh shared segment reads as zeros; every
                // element read is written first: the state by
                // `set_position_state`, each exchange's rows completely by
                // the senders).
            }
        }

        if mode == Mode::Messages {
            let mut send_len = 0usize;
            for dir in [Dir::XK, Dir::KX] {
                let g = &t.geom[dir as usize];
                let rows = g.from.count[rank];
                let mut displ = Vec::with_capacity(size);
                let mut recv_type = Vec::with_capacity(size);
                let mut off = 0usize;
                for q in 0..size {
                    displ.push(off);
                    if q != rank {
                        let scount = rows * g.to.count[q];
                        to_count(2 * scount, "n1")?;
                        off += scount;
                    }
                    // from q: my rows (to.count[me]) × its rows (from.count[q]) at from.start[q]
                    let mut ty: ffi::MPI_Datatype = unsafe { ffi::RSMPI_DATATYPE_NULL };
                    if q != rank && g.to.count[rank] > 0 && g.from.count[q] > 0 {
                        // SAFETY: datatype construction; freed in Drop.
                        unsafe {
                            check(
                                ffi::MPI_Type_vector(
                                    to_count(g.to.count[rank], "n1")?,
                                    to_count(2 * g.from.count[q], "n1")?,
                                    to_count(2 * g.row_len, "n1")?,
                                    ffi::RSMPI_DOUBLE,
                                    &mut ty,
                                ),
                                "MPI_Type_vector",
                            )?;
                            check(ffi::MPI_Type_commit(&mut ty), "MPI_Type_commit")?;
                        }
                    }
                    recv_type.push(ty);
                }
                send_len = send_len.max(off);
                t.msgs.push(Messages {
                    send_displ: displ,
                    recv_type,
                });
            }
            t.send = big_buffer(send_len.max(1));
            t.requests = vec![unsafe { ffi::RSMPI_REQUEST_NULL }; 2 * size];
        }

        let (send_ptr, send_len) = (t.send.as_mut_ptr(), t.send.len());
        for dir in [Dir::XK, Dir::KX] {
            let g = &t.geom[dir as usize];
            let rows = g.from.count[rank];
            let msgs = t.msgs.get(dir as usize);
            t.dests[dir as usize] = [0, 1].map(|b| {
                bases
                    .iter()
                    .enumerate()
                    .map(|(q, base)| {
                        let (col_start, col_count) = (g.to.start[q], g.to.count[q]);
                        match msgs {
                            Some(m) if q != rank => {
                                let displ = m.send_displ[q];
                                Dest {
                                    col_start,
                                    col_count,
                                    // SAFETY: displ ≤ send_len by construction.
                                    ptr: unsafe { send_ptr.add(displ) },
                                    stride: rows,
                                    row0: 0,
                                    len: send_len - displ,
                                }
                            }
                            _ => Dest {
                                col_start,
                                col_count,
                                ptr: base[b],
                                stride: g.row_len,
                                row0: g.from.start[rank],
                                len: slab,
                            },
                        }
                    })
                    .collect()
            });
        }
        Ok(t)
    }

    /// How blocks travel.
    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    /// The current buffer (the state's rows).
    pub(crate) fn cur(&self) -> &[C64] {
        // SAFETY: `own[cur]` points to `slab` initialised elements owned by
        // this value; other ranks write only this rank's next buffer.
        unsafe { std::slice::from_raw_parts(self.own[self.cur], self.slab) }
    }

    /// The current buffer, mutable.
    pub(crate) fn cur_mut(&mut self) -> &mut [C64] {
        // SAFETY: as in `cur`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.own[self.cur], self.slab) }
    }

    /// The current buffer and the destinations of a pass in direction `dir`.
    pub(crate) fn pass_io(&mut self, dir: Dir) -> (&mut [C64], &[Dest]) {
        let next = 1 - self.cur;
        // SAFETY: as in `cur_mut`; the destinations lie in the next buffers or
        // the send buffer, never in the current buffer.
        let data = unsafe { std::slice::from_raw_parts_mut(self.own[self.cur], self.slab) };
        (data, &self.dests[dir as usize][next])
    }

    /// Complete the exchange after a pass in direction `dir` wrote into the
    /// destinations: afterwards every rank's rows lie in its (new) current
    /// buffer. Collective; allocates nothing.
    pub(crate) fn finish(&mut self, comm: &SimpleCommunicator, dir: Dir) {
        match self.mode {
            Mode::Local => {}
            Mode::Shared => {
                let win = self.win.expect("shared mode has a window");
                // SAFETY: window synchronisation calls on a locked window.
                unsafe {
                    ffi::MPI_Win_sync(win);
                }
                comm.barrier();
                // SAFETY: as above.
                unsafe {
                    ffi::MPI_Win_sync(win);
                }
            }
            Mode::Messages => self.messages(comm, dir),
        }
        self.cur = 1 - self.cur;
    }

    fn messages(&mut self, comm: &SimpleCommunicator, dir: Dir) {
        let g = &self.geom[dir as usize];
        let m = &self.msgs[dir as usize];
        let me = self.rank;
        let next = self.own[1 - self.cur];
        let rows = g.from.count[me];
        let mut n = 0usize;
        let raw = comm.as_raw();
        // SAFETY: receives land inside the next buffer (the vector type spans
        // to.count[me] rows of row_len from from.start[q]); sends read inside
        // the send buffer; all requests complete before returning.
        unsafe {
            for q in 0..self.size {
                if q == me || m.recv_type[q] == ffi::RSMPI_DATATYPE_NULL {
                    continue;
                }
                ffi::MPI_Irecv(
                    next.add(g.from.start[q]) as *mut c_void,
                    1,
                    m.recv_type[q],
                    q as c_int,
                    dir as c_int,
                    raw,
                    &mut self.requests[n],
                );
                n += 1;
            }
            for q in 0..self.size {
                let count = rows * g.to.count[q];
                if q == me || count == 0 {
                    continue;
                }
                ffi::MPI_Isend(
                    self.send.as_ptr().add(m.send_displ[q]) as *const c_void,
                    (2 * count) as c_int,
                    ffi::RSMPI_DOUBLE,
                    q as c_int,
                    dir as c_int,
                    raw,
                    &mut self.requests[n],
                );
                n += 1;
            }
            ffi::MPI_Waitall(
                n as c_int,
                self.requests.as_mut_ptr(),
                ffi::RSMPI_STATUSES_IGNORE,
            );
        }
    }
}

impl Drop for Transport {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // the other ranks may never join a collective free: leak, so the
            // process can exit and the launcher end the job
            return;
        }
        // SAFETY: releases what `new` created; collective like the creation.
        unsafe {
            if let Some(mut win) = self.win.take() {
                ffi::MPI_Win_unlock_all(win);
                ffi::MPI_Win_free(&mut win);
            }
            for m in &mut self.msgs {
                for ty in &mut m.recv_type {
                    if *ty != ffi::RSMPI_DATATYPE_NULL {
                        ffi::MPI_Type_free(ty);
                    }
                }
            }
        }
    }
}
