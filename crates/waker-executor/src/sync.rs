//! The synchronisation types the executor is built from: std's, or loom's
//! when the crate is built with `--cfg loom`.
//!
//! `tests/loom.rs` runs the executor inside `loom::model`, which tries every
//! interleaving of its threads and every value the memory model lets each
//! atomic load return. For that, the atomics, locks, `Arc`s and parks of
//! the wake protocol must be loom's. The lesson's code names these types
//! and never knows which it got.
//!
//! Two things differ. `Waker::from` needs std's `Arc`, so in a loom build
//! a `TaskWaker`'s waker is built by [`raw_waker`](crate::raw_waker), whose
//! vtable works with loom's `Arc` as well (with a twin of std's `Wake`).
//! And loom's `Arc::strong_count` synchronises like a SeqCst load, where
//! std's is a Relaxed load that orders nothing: a model that read it could
//! never see the fence of `nobody_can_wake` missing. So a model counts a
//! task's live `Waker`s itself, with std's orderings
//! (`raw_waker::unshared`).

#[cfg(not(loom))]
pub(crate) use std::{
    sync::{Arc, Condvar, Mutex, atomic::AtomicBool, atomic::fence},
    task::Wake,
    thread::{Thread, current, park},
};

#[cfg(loom)]
pub(crate) use loom::{
    sync::{Arc, Condvar, Mutex, atomic::AtomicBool, atomic::AtomicUsize, atomic::fence},
    thread::{Thread, current, park},
};
