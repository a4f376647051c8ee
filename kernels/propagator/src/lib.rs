//! qk-propagator (work in progress).
