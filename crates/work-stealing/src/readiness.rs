//! One socket's readiness, shared by the workers: the one step that stage
//! 7's I/O needs on several threads.
//!
//! Stage 7's rule (try the system call, wait only after `WouldBlock`) has a
//! gap once another thread drives the reactor: the event a task waits for
//! can come, and be handed over to nobody, between the task's `WouldBlock`
//! and its waker reaching the reactor. So each socket counts its events per
//! direction. A task reads the count before its call and leaves its waker
//! only if the count has not moved, under the lock the driver takes to move
//! it; if it moved, the task tries the call again. `tests/loom.rs` checks
//! that no event is lost so, and that each break of it named there loses one.

use std::sync::atomic::Ordering;
use std::task::Waker;

use mio::{Interest, Token};

use crate::sync::{AtomicU64, Mutex};

/// A registered socket: its token, and per direction (0: readable, 1:
/// writable) the events handed over so far and the tasks waiting.
pub struct Readiness {
    #[cfg_attr(loom, allow(dead_code))] // read by the reactor, not built in a model
    pub(crate) token: Token,
    /// Events handed over so far; moved only under `waiters`' lock.
    ticks: [AtomicU64; 2],
    /// The tasks waiting, each way; all are woken by the next event.
    waiters: Mutex<[Vec<Waker>; 2]>,
}

fn way(direction: Interest) -> usize {
    usize::from(!direction.is_readable())
}

impl Readiness {
    /// The readiness of the socket registered as `token`: no event yet.
    pub fn new(token: Token) -> Readiness {
        Readiness {
            token,
            ticks: Default::default(),
            waiters: Mutex::default(),
        }
    }

    // ANCHOR: wait
    /// How many events of `direction` came so far: read before a call.
    pub fn ticks(&self, direction: Interest) -> u64 {
        // Acquire, of `ready`'s Release: a count that has moved brings the
        // readiness its event reported, so the call after it sees it.
        self.ticks[way(direction)].load(Ordering::Acquire)
    }

    /// After a `WouldBlock`: keeps `waker` to wake at the next event of
    /// `direction`, unless one came since `ticks` was read (false: the call
    /// should be tried again).
    pub fn wait(&self, direction: Interest, ticks: u64, waker: &Waker) -> bool {
        let mut waiters = self.waiters.lock().unwrap();
        // Relaxed: the count moves only under this lock, which orders it.
        if self.ticks[way(direction)].load(Ordering::Relaxed) != ticks {
            return false; // the event came between the call and now
        }
        let waiters = &mut waiters[way(direction)];
        if !waiters.iter().any(|waiter| waiter.will_wake(waker)) {
            waiters.push(waker.clone());
        }
        true
    }

    /// An event of `direction` came: counts it, and hands over its waiters
    /// to `woken`, to be woken once no lock is held.
    pub fn ready(&self, direction: Interest, woken: &mut Vec<Waker>) {
        let mut waiters = self.waiters.lock().unwrap();
        // Release: see `ticks`. Under the lock: see `wait`.
        self.ticks[way(direction)].fetch_add(1, Ordering::Release);
        woken.append(&mut waiters[way(direction)]);
    }
    // ANCHOR_END: wait

    /// Every waiter, taken out to be dropped: at the runtime's end.
    #[cfg(not(loom))]
    pub(crate) fn take_waiters(&self) -> [Vec<Waker>; 2] {
        std::mem::take(&mut *self.waiters.lock().unwrap())
    }
}
