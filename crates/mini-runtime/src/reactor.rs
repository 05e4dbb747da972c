//! The reactor: the operating system's readiness events, turned into wakes.
//!
//! Every socket is registered once with `mio::Poll`, for reading and
//! writing, edge-triggered: the system reports a change (data arrived, the
//! send buffer has room) once, not for as long as it lasts. That is enough
//! because a task always tries its system call first and waits only after
//! `WouldBlock`: the next change is then the one it waits for. The reactor
//! keeps, per socket, the waker of the task waiting to read and of the one
//! waiting to write, and wakes them when their event comes.
//!
//! Timers are a sorted map from deadline to waker; the earliest deadline is
//! the timeout of the wait, so one thread serves sockets and timers alike.

use std::collections::BTreeMap;
use std::io;
use std::task::Waker;
use std::time::Instant;

use mio::event::Source;
use mio::{Events, Interest, Poll, Token};

use crate::Runtime;

/// The token of the `mio::Waker` that other threads wake the reactor with.
const WAKE: Token = Token(usize::MAX);

/// Which way a task waits on a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

pub(crate) struct Reactor {
    poll: Poll,
    events: Events,
    /// The waiting wakers of every registered socket, by token.
    sockets: Vec<Option<Waiting>>,
    /// Tokens of deregistered sockets, for re-use.
    free: Vec<usize>,
    /// Timer deadlines (with a number to tell equal ones apart), earliest first.
    timers: BTreeMap<(Instant, u64), Waker>,
    next_timer: u64,
}

/// The tasks waiting on one socket.
#[derive(Default)]
struct Waiting {
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Reactor {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            sockets: Vec::new(),
            free: Vec::new(),
            timers: BTreeMap::new(),
            next_timer: 0,
        })
    }

    /// A `mio::Waker` that makes the reactor's wait return, from any thread.
    pub(crate) fn waker(&self) -> io::Result<mio::Waker> {
        mio::Waker::new(self.poll.registry(), WAKE)
    }

    // ANCHOR: turn
    #[cfg(not(loom))]
    /// Waits for events (at most until the earliest timer), then hands over,
    /// in `ready`, the wakers of every task whose socket event or timer came.
    /// The caller wakes them, once it no longer borrows the reactor.
    pub(crate) fn turn(&mut self, ready: &mut Vec<Waker>) -> io::Result<()> {
        // exercise: wait in mio until the earliest deadline; hand over the waiters of each event's socket, then of every timer that is due
        let timeout = self
            .timers
            .keys()
            .next()
            .map(|&(at, _)| at.saturating_duration_since(Instant::now()));
        match self.poll.poll(&mut self.events, timeout) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Ok(()),
            result => result?,
        }
        for event in &self.events {
            let Some(Some(waiting)) = self.sockets.get_mut(event.token().0) else {
                continue;
            };
            // Closed or failed counts as ready: the next call says how.
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                ready.extend(waiting.reader.take());
            }
            if event.is_writable() || event.is_write_closed() || event.is_error() {
                ready.extend(waiting.writer.take());
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

/// Registers `source` with the reactor of this thread's runtime; gives the
/// runtime (which the socket keeps, to deregister) and the socket's token.
///
/// # Panics
///
/// Outside `block_on`.
pub(crate) fn register(source: &mut impl Source) -> io::Result<(std::rc::Rc<Runtime>, Token)> {
    let runtime = Runtime::current()
        .unwrap_or_else(|| panic!("mini-runtime sockets work inside block_on only"));
    let token = {
        let mut reactor = runtime.reactor.borrow_mut();
        let index = reactor.free.pop().unwrap_or(reactor.sockets.len());
        let token = Token(index);
        reactor
            .poll
            .registry()
            .register(source, token, Interest::READABLE | Interest::WRITABLE)?;
        if index == reactor.sockets.len() {
            reactor.sockets.push(None);
        }
        reactor.sockets[index] = Some(Waiting::default());
        token
    };
    Ok((runtime, token))
}

impl Runtime {
    /// Removes `source` from the reactor; its waiting wakers are dropped.
    pub(crate) fn deregister(&self, source: &mut impl Source, token: Token) {
        let mut reactor = self.reactor.borrow_mut();
        // It can only fail if the socket was not registered.
        let _ = reactor.poll.registry().deregister(source);
        let waiting = reactor.sockets[token.0].take();
        reactor.free.push(token.0);
        drop(reactor);
        drop(waiting); // a waker's drop runs its executor's code: not under our borrow
    }

    /// Makes `waker` the one to wake when the socket of `token` is ready in `direction`.
    pub(crate) fn wait(&self, token: Token, direction: Direction, waker: &Waker) {
        let mut reactor = self.reactor.borrow_mut();
        let waiting = reactor.sockets[token.0]
            .as_mut()
            .expect("a registered socket");
        let slot = match direction {
            Direction::Read => &mut waiting.reader,
            Direction::Write => &mut waiting.writer,
        };
        match slot {
            Some(old) if old.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    /// Adds a timer; its key, to replace its waker or cancel it.
    pub(crate) fn add_timer(&self, at: Instant, waker: &Waker) -> (Instant, u64) {
        let mut reactor = self.reactor.borrow_mut();
        let key = (at, reactor.next_timer);
        reactor.next_timer += 1;
        reactor.timers.insert(key, waker.clone());
        key
    }

    /// Replaces the waker of timer `key`, if it has not fired.
    pub(crate) fn rewait_timer(&self, key: (Instant, u64), waker: &Waker) -> bool {
        match self.reactor.borrow_mut().timers.get_mut(&key) {
            Some(slot) => {
                slot.clone_from(waker);
                true
            }
            None => false,
        }
    }

    /// Cancels timer `key`.
    pub(crate) fn cancel_timer(&self, key: (Instant, u64)) {
        let waker = self.reactor.borrow_mut().timers.remove(&key);
        drop(waker);
    }
}

/// How many sockets the reactor of this thread's runtime has registered now
/// (0 outside `block_on`): for tests that check nothing leaks.
pub fn io_registrations() -> usize {
    Runtime::current().map_or(0, |runtime| {
        runtime.reactor.borrow().sockets.iter().flatten().count()
    })
}
