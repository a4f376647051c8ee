//! qk-lindblad (work in progress).
