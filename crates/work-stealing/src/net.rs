//! TCP on the shared reactor: stage 7's sockets, as they are, on this
//! runtime, and all `Send`: a connection accepted on one worker can be read
//! on another, and its two halves used by tasks on two workers at once.
//!
//! Stage 7 wrote its sockets and sleeps against [`Host`], what they need of
//! a runtime; this is this runtime's. Its one new step is the one several
//! threads need: between a call's `WouldBlock` and its `wait`, another
//! worker driving the reactor may hand the socket's event to nobody. So
//! `wait` leaves the waker only if the socket's event count has not moved
//! since the call (`readiness.rs`), and the socket tries its call again if
//! it has.

use std::io;
use std::sync::{Arc, Weak};
use std::task::Waker;
use std::time::Instant;

use mini_runtime::Host;
use mini_runtime::net::{ReadHalfOn, TcpListenerOn, TcpStreamOn, WriteHalfOn};
use mio::Interest;
use mio::event::Source;

use crate::Shared;
use crate::readiness::Readiness;

/// A TCP listener on the shared reactor.
pub type TcpListener = TcpListenerOn<Shared>;
/// A TCP connection on the shared reactor.
pub type TcpStream = TcpStreamOn<Shared>;
/// The reading half of a [`TcpStream`].
pub type ReadHalf = ReadHalfOn<Shared>;
/// The writing half of a [`TcpStream`].
pub type WriteHalf = WriteHalfOn<Shared>;

impl Host for Shared {
    type Strong = Arc<Shared>;
    type Weak = Weak<Shared>;
    type Registration = Arc<Readiness>;
    const OUTSIDE: &str = "work-stealing's sockets and timers work inside a runtime only";
    const GONE: &str = "its runtime is gone: the Runtime it belonged to was dropped";

    fn current() -> Option<Arc<Shared>> {
        Shared::current()
    }

    fn downgrade(this: &Arc<Shared>) -> Weak<Shared> {
        Arc::downgrade(this)
    }

    /// Gone once the `Runtime` is dropped, though its workers may still be
    /// finishing a poll (whose waker the end of the drop drops).
    fn upgrade(weak: &Weak<Shared>) -> Option<Arc<Shared>> {
        let on_a_worker =
            |shared: &Arc<Shared>| Shared::current().is_some_and(|c| Arc::ptr_eq(&c, shared));
        weak.upgrade()
            .filter(|shared| !shared.is_closed() || on_a_worker(shared))
    }

    fn register(&self, source: &mut impl Source) -> io::Result<Arc<Readiness>> {
        self.reactor.register(source)
    }

    fn deregister(&self, source: &mut impl Source, io: &Arc<Readiness>) {
        self.reactor.deregister(source, io);
    }

    fn ticks(&self, io: &Arc<Readiness>, direction: Interest) -> u64 {
        io.ticks(direction)
    }

    fn wait(&self, io: &Arc<Readiness>, direction: Interest, ticks: u64, waker: &Waker) -> bool {
        io.wait(direction, ticks, waker)
    }

    fn add_timer(&self, at: Instant, waker: &Waker) -> (Instant, u64) {
        self.reactor.add_timer(at, waker)
    }

    fn cancel_timer(&self, key: (Instant, u64)) {
        self.reactor.cancel_timer(key);
    }
}
