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

/// What wakes the runtime's thread out of its wait: a `mio::Waker`.
#[cfg(not(loom))]
pub(crate) type ReactorWaker = mio::Waker;

/// In a model: the runtime's thread, which a wake unparks.
#[cfg(loom)]
pub(crate) struct ReactorWaker(loom::thread::Thread);

#[cfg(loom)]
impl ReactorWaker {
    pub(crate) fn wake(&self) -> std::io::Result<()> {
        self.0.unpark();
        Ok(())
    }
}

/// In a model, the reactor's waker is the thread, and its turn parks it
/// until roused, if asked to wait.
#[cfg(loom)]
impl crate::reactor::Reactor {
    pub(crate) fn waker(&self) -> std::io::Result<ReactorWaker> {
        Ok(ReactorWaker(current()))
    }

    pub(crate) fn turn(
        &mut self,
        wait: bool,
        _: &mut Vec<std::task::Waker>,
    ) -> std::io::Result<()> {
        if wait {
            loom::thread::park();
        }
        Ok(())
    }
}
