//! One reactor for all workers. Stage 7's reactor was one thread's; here
//! any worker registers sockets, waits on them and sets timers, while the
//! operating system's event queue (`mio::Poll`) is driven by one worker at
//! a time: the one holding `driver`, which a worker takes when it has
//! nothing to run (to wait in it) and, without waiting, every 61 polls.
//! Each socket's waiters and event counts are its
//! [`Readiness`](crate::readiness::Readiness).

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use mini_runtime::Host;

use crate::Shared;
use crate::readiness::Readiness;

/// The token of the `mio::Waker` that rouses the driver.
const ROUSE: Token = Token(usize::MAX);

pub(crate) struct Reactor {
    /// Registers sockets, from any thread.
    registry: mio::Registry,
    /// Makes the driver's wait return.
    rouser: mio::Waker,
    /// The event queue: whoever holds this lock drives the reactor.
    pub(crate) driver: Mutex<Driver>,
    /// Every registered socket's state, by token.
    sockets: Mutex<Slab<Arc<Readiness>>>,
    timers: Mutex<Timers>,
}

pub(crate) struct Driver {
    poll: Poll,
    events: Events,
}

/// The timers, and what the driver waits for.
#[derive(Default)]
struct Timers {
    /// Deadlines (with a number to tell equal ones apart), earliest first.
    due: BTreeMap<(Instant, u64), Waker>,
    next: u64,
    /// While the driver waits: the deadline it waits until (`None`: until an
    /// event). A timer due earlier must rouse it.
    waiting: Option<Option<Instant>>,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        Ok(Reactor {
            rouser: mio::Waker::new(&registry, ROUSE)?,
            registry,
            driver: Mutex::new(Driver {
                poll,
                events: Events::with_capacity(1024),
            }),
            sockets: Mutex::default(),
            timers: Mutex::default(),
        })
    }

    /// Makes the driver's wait (or its next) return at once.
    pub(crate) fn rouse(&self) {
        // An error leaves the driver to its timeout; nothing better to do.
        let _ = self.rouser.wake();
    }

    // ANCHOR: turn
    /// Asks the system which sockets are ready, waiting (if `wait`) until
    /// one is or the earliest timer is due, and wakes the tasks waiting for
    /// them and for every timer due. Only the holder of `driver` calls it.
    pub(crate) fn turn(&self, driver: &mut Driver, wait: bool) {
        let timeout = if wait {
            let mut timers = self.timers.lock().unwrap();
            let until = timers.due.keys().next().map(|&(at, _)| at);
            timers.waiting = Some(until);
            until.map(|at| at.saturating_duration_since(Instant::now()))
        } else {
            Some(Duration::ZERO)
        };
        let Driver { poll, events } = driver;
        let polled = poll.poll(events, timeout);
        self.timers.lock().unwrap().waiting = None;
        match polled {
            // Interrupted by a signal: no events, but timers may be due.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => events.clear(),
            result => result.unwrap_or_else(|error| panic!("the reactor failed: {error}")),
        }
        let mut ready = Vec::new();
        let sockets = self.sockets.lock().unwrap();
        for event in events.iter() {
            let Some(io) = sockets.get(event.token().0) else {
                continue; // the rouse, or a socket closed since
            };
            // Closed or failed counts as ready: the next call says how.
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                io.ready(Interest::READABLE, &mut ready);
            }
            if event.is_writable() || event.is_write_closed() || event.is_error() {
                io.ready(Interest::WRITABLE, &mut ready);
            }
        }
        drop(sockets);
        let now = Instant::now();
        let mut timers = self.timers.lock().unwrap();
        while let Some(entry) = timers
            .due
            .first_entry()
            .filter(|entry| entry.key().0 <= now)
        {
            ready.push(entry.remove());
        }
        drop(timers);
        // Woken once no lock but the driver is held: a wake may run any
        // code, and none of it takes the driver.
        ready.into_iter().for_each(Waker::wake);
    }
    // ANCHOR_END: turn

    /// Drops every waker the reactor holds, at the runtime's end: they hold
    /// tasks, and tasks hold the runtime.
    pub(crate) fn clear(&self) {
        let timers = std::mem::take(&mut self.timers.lock().unwrap().due);
        let sockets: Vec<Arc<Readiness>> = self.sockets.lock().unwrap().drain().collect();
        let waiters: Vec<_> = sockets.iter().map(|io| io.take_waiters()).collect();
        drop((timers, waiters));
    }

    /// How many sockets are registered now.
    pub(crate) fn registrations(&self) -> usize {
        self.sockets.lock().unwrap().len()
    }
}

/// What stage 7's sockets and sleeps need of this runtime: its shared
/// reactor, and each socket's event count (`readiness.rs`).
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
        let mut sockets = self.reactor.sockets.lock().unwrap();
        let slot = sockets.vacant_entry();
        let token = Token(slot.key());
        let interest = Interest::READABLE | Interest::WRITABLE;
        self.reactor.registry.register(source, token, interest)?;
        Ok(Arc::clone(slot.insert(Arc::new(Readiness::new(token)))))
    }

    fn deregister(&self, source: &mut impl Source, io: &Arc<Readiness>) {
        // It can only fail if the socket was not registered.
        let _ = self.reactor.registry.deregister(source);
        let io = self.reactor.sockets.lock().unwrap().try_remove(io.token.0);
        drop(io); // a waker's drop may run any code: not under the lock
    }

    fn ticks(&self, io: &Arc<Readiness>, direction: Interest) -> u64 {
        io.ticks(direction)
    }

    fn wait(&self, io: &Arc<Readiness>, direction: Interest, ticks: u64, waker: &Waker) -> bool {
        io.wait(direction, ticks, waker)
    }

    fn add_timer(&self, at: Instant, waker: &Waker) -> (Instant, u64) {
        let mut timers = self.reactor.timers.lock().unwrap();
        let key = (at, timers.next);
        timers.next += 1;
        timers.due.insert(key, waker.clone());
        // A driver waiting past this deadline must wait less.
        let rouse = matches!(timers.waiting, Some(until) if until.is_none_or(|until| at < until));
        drop(timers);
        if rouse {
            self.reactor.rouse();
        }
        key
    }

    fn cancel_timer(&self, key: (Instant, u64)) {
        let waker = self.reactor.timers.lock().unwrap().due.remove(&key);
        drop(waker); // the lock was released with the line above
    }
}
