//! The two synchronisation types a socket shares with the timer thread:
//! std's, or loom's when the crate is built with `--cfg loom`.
//!
//! `tests/loom.rs` checks, with loom, that registering a waker never misses
//! the timer marking the socket readable. Only the readable flag and the
//! waker's lock take part in that, so only they are swapped; the timer
//! thread itself cannot run under loom (its statics outlive a model run),
//! so in such a build `MySocket::fire_for_model` plays its part.

#[cfg(not(loom))]
pub(crate) use std::sync::Mutex;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicBool;

#[cfg(loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicBool;
