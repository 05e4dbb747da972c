//! What a wake from another thread goes through: std's atomics, lock and
//! thread ids and a `mio::Waker`, or loom's when the crate is built with
//! `--cfg loom`.
//!
//! `tests/loom.rs` checks that a wake from another thread is never lost,
//! whatever the interleaving. No system call can run under loom, so there
//! the runtime's thread parks instead of waiting in `mio::Poll::poll`, and
//! a wake unparks it instead of writing to the `mio::Waker`: the same
//! protocol, with loom's park in the place of the operating system's.

#[cfg(not(loom))]
pub(crate) use std::{
    sync::{Mutex, atomic::AtomicBool},
    thread::{ThreadId, current},
};

#[cfg(loom)]
pub(crate) use loom::{
    sync::{Mutex, atomic::AtomicBool},
    thread::{ThreadId, current},
};

/// What wakes the runtime's thread out of its wait.
#[cfg(not(loom))]
pub(crate) type Rouser = mio::Waker;
#[cfg(loom)]
pub(crate) type Rouser = loom::thread::Thread;

/// Wakes the runtime's thread out of its wait (or makes its next wait
/// return at once).
pub(crate) fn rouse(rouser: &Rouser) {
    // An error means the reactor is gone: the run is over.
    #[cfg(not(loom))]
    let _ = rouser.wake();
    #[cfg(loom)]
    rouser.unpark();
}

/// In a loom build, the reactor's turn: park until roused.
#[cfg(loom)]
impl crate::reactor::Reactor {
    pub(crate) fn turn(&mut self, _ready: &mut Vec<std::task::Waker>) -> std::io::Result<()> {
        loom::thread::park();
        Ok(())
    }
}
