//! What a wake from another thread goes through: std's `Arc`, thread ids
//! and a `mio::Waker`, or loom's when the crate is built with `--cfg loom`.
//!
//! `tests/loom.rs` checks that a wake from another thread is never lost in
//! the interleavings it explores (its header says which). A model cannot
//! block in the operating system, so there the runtime's thread parks
//! instead of waiting in `mio::Poll::poll`, and a wake unparks it instead
//! of writing to the `mio::Waker`: the same protocol, with loom's park in
//! the place of the operating system's. (The reactor is still made, with
//! a real `epoll`/`kqueue` descriptor: a system call that does not block
//! is no trouble to loom.) Stage 4's waker, inbox and flags are loom's in
//! such a build too: loom rebuilds every crate with the flag.

#[cfg(not(loom))]
pub(crate) use std::{
    sync::Arc,
    thread::{ThreadId, current},
};

#[cfg(loom)]
pub(crate) use loom::{
    sync::Arc,
    thread::{ThreadId, current},
};

use crate::reactor::Reactor;

/// What wakes the runtime's thread out of its wait.
#[cfg(not(loom))]
pub(crate) type ReactorWaker = mio::Waker;
#[cfg(loom)]
pub(crate) type ReactorWaker = loom::thread::Thread;

/// The reactor's waker (in a model: the runtime's thread, to unpark).
pub(crate) fn reactor_waker(reactor: &Reactor) -> ReactorWaker {
    #[cfg(not(loom))]
    return reactor
        .waker()
        .unwrap_or_else(|error| panic!("cannot start the reactor: {error}"));
    #[cfg(loom)]
    {
        let _ = reactor;
        current()
    }
}

/// Wakes the runtime's thread out of its wait (or makes its next wait
/// return at once).
pub(crate) fn rouse(waker: &ReactorWaker) {
    // An error means the reactor is gone: the run is over.
    #[cfg(not(loom))]
    let _ = waker.wake();
    #[cfg(loom)]
    waker.unpark();
}

/// In a loom build, the reactor's turn: park until roused, if asked to wait.
#[cfg(loom)]
impl Reactor {
    pub(crate) fn turn(
        &mut self,
        wait: bool,
        _ready: &mut Vec<std::task::Waker>,
    ) -> std::io::Result<()> {
        if wait {
            loom::thread::park();
        }
        Ok(())
    }
}
