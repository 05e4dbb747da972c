//! The reactor: the operating system's readiness events, turned into wakes.
//!
//! Every socket is registered once with `mio::Poll`, for reading and
//! writing, edge-triggered: the system reports a change (data arrived, the
//! send buffer has room) once, not for as long as it lasts. That is enough
//! because a task always tries its system call first and waits only after
//! `WouldBlock`: the next change is then the one it waits for. The reactor
//! keeps, per socket and direction, the wakers of the tasks waiting, and
//! wakes them all when their event comes.
//!
//! Timers are a sorted map from deadline to waker; the earliest deadline is
//! the timeout of the wait, so one thread serves sockets and timers alike.

use std::collections::BTreeMap;
use std::io;
use std::ops::Deref;
use std::rc::{Rc, Weak};
use std::task::Waker;
use std::time::Instant;

use mio::event::Source;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::Runtime;

/// The token of the `mio::Waker` that other threads wake the reactor with.
const WAKE: Token = Token(usize::MAX);

pub(crate) struct Reactor {
    poll: Poll,
    events: Events,
    /// The tasks waiting on each registered socket, by token: a slab, so
    /// that a closed socket's slot, and token, serve the next one.
    sockets: Slab<Waiting>,
    /// Timer deadlines (with a number to tell equal ones apart), earliest first.
    timers: BTreeMap<(Instant, u64), Waker>,
    next_timer: u64,
}

/// The tasks waiting on one socket, each way. A stream's `read` and
/// `write_all` take `&mut self`, so one future at most waits each way on
/// it; a listener's `accept` takes `&self`, so several may, and each one is
/// kept: a waker is never replaced by another task's.
#[derive(Default)]
struct Waiting {
    readers: Vec<Waker>,
    writers: Vec<Waker>,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Reactor {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            sockets: Slab::new(),
            timers: BTreeMap::new(),
            next_timer: 0,
        })
    }

    /// A `mio::Waker` that makes the reactor's wait return, from any thread.
    #[cfg(not(loom))]
    pub(crate) fn waker(&self) -> io::Result<mio::Waker> {
        mio::Waker::new(self.poll.registry(), WAKE)
    }

    // ANCHOR: turn
    #[cfg(not(loom))]
    /// Asks the system which sockets are ready, waiting (if `wait`) until
    /// one is or the earliest timer is due; then hands over, in `ready`, the
    /// wakers of every task whose socket event or timer came. The caller
    /// wakes them, once it no longer borrows the reactor.
    pub(crate) fn turn(&mut self, wait: bool, ready: &mut Vec<Waker>) -> io::Result<()> {
        // exercise: wait in mio until the earliest deadline (or not at all); hand over the waiters of each event's socket, then of every timer that is due
        let timeout = if wait {
            let deadline = self.timers.keys().next().map(|&(at, _)| at);
            deadline.map(|at| at.saturating_duration_since(Instant::now()))
        } else {
            Some(std::time::Duration::ZERO)
        };
        // Interrupted by a signal: no events, but the timers may be due.
        match self.poll.poll(&mut self.events, timeout) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => self.events.clear(),
            result => result?,
        }
        for event in &self.events {
            let Some(waiting) = self.sockets.get_mut(event.token().0) else {
                continue;
            };
            // Closed or failed counts as ready: the next call says how.
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                ready.append(&mut waiting.readers);
            }
            if event.is_writable() || event.is_write_closed() || event.is_error() {
                ready.append(&mut waiting.writers);
            }
        }
        let now = Instant::now();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            ready.push(entry.remove());
        }
        Ok(())
        // end exercise
    }
    // ANCHOR_END: turn
}

// ANCHOR: host
/// What a socket or a sleep needs of the runtime it is used in: a reactor
/// to wait on, and timers. [`net`](crate::net)'s sockets and
/// [`time`](crate::time)'s sleeps are written once, against this: here it
/// is this runtime's one reactor on one thread; stage 9 implements it for
/// a reactor that its workers share, and its sockets and sleeps are these.
pub trait Host: Sized + 'static {
    /// How a socket or a sleep holds its runtime while it uses it.
    type Strong: Deref<Target = Self>;
    /// How it keeps its runtime between uses: weakly, so that one that
    /// outlives its runtime keeps nothing alive, and says so when polled.
    /// `Unpin`, so that a sleep, which holds one, is `Unpin` too.
    type Weak: Unpin;
    /// What the reactor keeps for a registered socket, for `wait` to name it.
    type Registration;
    /// What a socket or a sleep used outside a runtime panics with.
    const OUTSIDE: &str;
    /// What one used after its runtime is gone panics with.
    const GONE: &str;

    /// The runtime this thread is running, if it is running one.
    fn current() -> Option<Self::Strong>;
    /// What a socket or a sleep keeps of it.
    fn downgrade(this: &Self::Strong) -> Self::Weak;
    /// The runtime behind `weak`, unless it is gone (or ending).
    fn upgrade(weak: &Self::Weak) -> Option<Self::Strong>;
    /// Registers `source`, for both directions, edge-triggered.
    fn register(&self, source: &mut impl Source) -> io::Result<Self::Registration>;
    /// Removes `source`; the wakers waiting on it are dropped.
    fn deregister(&self, source: &mut impl Source, socket: &Self::Registration);
    /// How many events of `direction` the socket has had: read before a call.
    fn ticks(&self, socket: &Self::Registration, direction: Interest) -> u64;
    /// After a `WouldBlock`: keeps `waker` to wake at the socket's next event
    /// of `direction` (readable or writable), unless one came since `ticks`
    /// was read. False: that event came already, try the call again.
    fn wait(
        &self,
        socket: &Self::Registration,
        direction: Interest,
        ticks: u64,
        waker: &Waker,
    ) -> bool;
    /// Adds a timer; its key, to cancel it.
    fn add_timer(&self, at: Instant, waker: &Waker) -> (Instant, u64);
    /// Cancels timer `key`.
    fn cancel_timer(&self, key: (Instant, u64));
}
// ANCHOR_END: host

/// This runtime's reactor is one thread's: nothing can happen between a
/// call's `WouldBlock` and its `wait`, so no event needs counting.
impl Host for Runtime {
    type Strong = Rc<Runtime>;
    type Weak = Weak<Runtime>;
    type Registration = Token;
    const OUTSIDE: &str = "mini-runtime's sockets and timers work inside block_on only";
    const GONE: &str = crate::GONE;

    fn current() -> Option<Rc<Runtime>> {
        Runtime::current()
    }

    fn downgrade(this: &Rc<Runtime>) -> Weak<Runtime> {
        Rc::downgrade(this)
    }

    fn upgrade(weak: &Weak<Runtime>) -> Option<Rc<Runtime>> {
        weak.upgrade()
    }

    /// A registration that fails takes no slot.
    fn register(&self, source: &mut impl Source) -> io::Result<Token> {
        let mut reactor = self.reactor.borrow_mut();
        let Reactor { poll, sockets, .. } = &mut *reactor;
        let slot = sockets.vacant_entry();
        let token = Token(slot.key());
        poll.registry()
            .register(source, token, Interest::READABLE | Interest::WRITABLE)?;
        slot.insert(Waiting::default());
        Ok(token)
    }

    fn deregister(&self, source: &mut impl Source, token: &Token) {
        let mut reactor = self.reactor.borrow_mut();
        // It can only fail if the socket was not registered.
        let _ = reactor.poll.registry().deregister(source);
        let waiting = reactor.sockets.remove(token.0);
        drop(reactor);
        drop(waiting); // a waker's drop may run any code: not under our borrow
    }

    fn ticks(&self, _: &Token, _: Interest) -> u64 {
        0
    }

    /// Adds `waker` to those the socket's next event wakes, unless one of
    /// them already wakes the same task. Always true: no event was missed.
    fn wait(&self, token: &Token, direction: Interest, _: u64, waker: &Waker) -> bool {
        let mut reactor = self.reactor.borrow_mut();
        let waiting = &mut reactor.sockets[token.0];
        let waiters = match direction.is_readable() {
            true => &mut waiting.readers,
            false => &mut waiting.writers,
        };
        if !waiters.iter().any(|waiter| waiter.will_wake(waker)) {
            waiters.push(waker.clone());
        }
        true
    }

    fn add_timer(&self, at: Instant, waker: &Waker) -> (Instant, u64) {
        let mut reactor = self.reactor.borrow_mut();
        let key = (at, reactor.next_timer);
        reactor.next_timer += 1;
        reactor.timers.insert(key, waker.clone());
        key
    }

    fn cancel_timer(&self, key: (Instant, u64)) {
        let waker = self.reactor.borrow_mut().timers.remove(&key);
        drop(waker); // the borrow ended with the line above
    }
}

/// How many sockets the reactor of this thread's runtime has registered now
/// (0 outside `block_on`): for tests that check nothing leaks.
pub fn io_registrations() -> usize {
    Runtime::current().map_or(0, |runtime| runtime.reactor.borrow().sockets.len())
}

#[cfg(test)]
#[cfg(all(target_os = "linux", not(loom)))]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use super::*;

    #[test]
    fn a_registration_that_fails_takes_no_slot() {
        crate::block_on(async {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
            let mut socket = mio::net::TcpListener::bind(addr).unwrap();
            let runtime = Runtime::current().unwrap();
            let token = runtime.register(&mut socket).unwrap();
            let next = runtime.reactor.borrow().sockets.vacant_key();
            // epoll refuses a second registration of one descriptor (EEXIST).
            assert!(runtime.register(&mut socket).is_err());
            assert_eq!(runtime.reactor.borrow().sockets.vacant_key(), next);
            runtime.deregister(&mut socket, &token);
            assert_eq!(io_registrations(), 0);
        });
    }
}
