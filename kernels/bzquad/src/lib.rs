//! qk-bzquad (work in progress).
