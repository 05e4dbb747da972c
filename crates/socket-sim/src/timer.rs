//! The one background thread that makes every socket of the process readable on time.
//!
//! Each socket hands its deadline to [`schedule`] when it is built, and takes
//! it back ([`cancel`]) if it is dropped before then. The thread, started by
//! the first socket, keeps the deadlines in a map sorted by time and sleeps
//! until the earliest of them. A waker is an executor's code, which may build
//! new sockets, so no waker is ever called while the timer's lock is held.
//!
//! A sorted map, not the binary heap timers often use: a heap finds its
//! earliest entry just as fast, but cannot take out any other, so a socket
//! dropped an hour before its deadline would stay in it for that hour.
//!
//! A thread per socket would be simpler, and 100,000 sockets would mean
//! 100,000 threads. Tokio also keeps every timer in one structure (a
//! hierarchical timing wheel), but runs no thread for it: a worker thread that
//! is about to sleep waiting for I/O (in `epoll_wait`, on Linux) sleeps no
//! longer than the wheel's earliest deadline, and fires what is due when it
//! wakes up.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, LazyLock, Mutex, Weak};
use std::task::Waker;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::Readiness;

/// The name of the timer thread, as `top -H` and `/proc/self/task/*/comm` show it
/// (Linux keeps 15 bytes of a thread name).
pub const THREAD_NAME: &str = "socket-timer";

/// A deadline as the timer keeps it: the moment, and a number that tells
/// apart the sockets built for the same moment (and fires them in the order
/// they were built).
pub(crate) type Key = (Instant, u64);

/// Marks `readiness` readable `delay` from now, on the timer thread (started
/// on first use); the key to [`cancel`] it with.
///
/// The timer holds the socket weakly, so that it never keeps a socket alive.
pub(crate) fn schedule(delay: Duration, readiness: Weak<Readiness>) -> Option<Key> {
    // A loom model plays the timer itself (`sync.rs`), and a test may have
    // paused the clock (`demo.rs`): then no timer thread is involved.
    if cfg!(loom) || crate::demo::on_paused_clock(delay, &readiness) {
        return None;
    }
    Some(TIMER.timer.add(Instant::now() + delay, readiness))
}

/// Takes a deadline off the timer: its socket was dropped. Does nothing if
/// the deadline has come already.
pub(crate) fn cancel(key: Key) {
    // Dropping the entry's `Weak` runs no code of anyone's: fine under the lock.
    TIMER.timer.deadlines.lock().unwrap().map.remove(&key);
}

/// The one timer of the process, started by the first socket.
static TIMER: LazyLock<Started> = LazyLock::new(Timer::start);

/// The timer and its thread.
struct Started {
    timer: Arc<Timer>,
    thread: JoinHandle<()>,
}

/// Whether the timer thread is running. It never returns and it survives a
/// waker that panics, so `false` means something that should never happen
/// did: from then on no socket becomes readable, and tests that wait for one
/// can stop waiting.
pub fn timer_is_running() -> bool {
    !TIMER.thread.is_finished()
}

/// Sockets built so far, and deadlines not reached yet: for the demo's counts.
pub(crate) fn counts() -> (u64, usize) {
    let deadlines = TIMER.timer.deadlines.lock().unwrap();
    (deadlines.added, deadlines.map.len())
}

/// The deadlines not yet reached, and the thread that waits for them.
///
/// No code that can panic runs while `deadlines` is locked, so the lock is
/// never poisoned and `lock()` cannot fail.
#[derive(Default)]
struct Timer {
    /// Every deadline not yet reached.
    deadlines: Mutex<Deadlines>,
    /// Notified when a deadline earlier than all others is added, so that the
    /// sleeping thread shortens its sleep.
    earlier: Condvar,
}

impl Timer {
    fn start() -> Started {
        let timer = Arc::new(Timer::default());
        let worker = Arc::clone(&timer);
        let thread = thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || {
                worker.run();
            })
            .expect("cannot start the socket-sim timer thread");
        Started { timer, thread }
    }

    fn add(&self, at: Instant, readiness: Weak<Readiness>) -> Key {
        let mut deadlines = self.deadlines.lock().unwrap();
        let key = (at, deadlines.added);
        deadlines.added += 1;
        let earliest = deadlines
            .map
            .first_key_value()
            .is_none_or(|(first, _)| key < *first);
        deadlines.map.insert(key, readiness);
        drop(deadlines);
        if earliest {
            self.earlier.notify_one();
        }
        key
    }

    // ANCHOR: timer_loop
    /// The timer thread: sleep until the earliest deadline, fire what is due, repeat.
    fn run(&self) -> ! {
        // exercise: sleep until the earliest deadline; pop every passed one under the lock, then wake them after releasing it
        // Under the lock, take every deadline that has passed, in one go. Only
        // after releasing it, mark those sockets readable and wake them: a
        // waker runs an executor's code, which may build a socket, and so
        // take this very lock.
        let mut due = Vec::new();
        let mut deadlines = self.deadlines.lock().unwrap();
        loop {
            let now = Instant::now();
            while let Some(first) = deadlines
                .map
                .first_entry()
                .filter(|first| first.key().0 <= now)
            {
                due.push(first.remove());
            }
            if due.is_empty() {
                // Nothing due: sleep until the earliest deadline, or until
                // `add` brings an earlier one. A spurious wake-up only costs
                // one more turn of the loop.
                deadlines = match deadlines
                    .map
                    .first_key_value()
                    .map(|(&(at, _), _)| at - now)
                {
                    Some(until_first) => {
                        self.earlier.wait_timeout(deadlines, until_first).unwrap().0
                    }
                    None => self.earlier.wait(deadlines).unwrap(),
                };
                continue;
            }
            drop(deadlines);
            for readiness in due.drain(..) {
                // A socket dropped before its deadline is gone: nothing to do.
                if let Some(waker) = readiness.upgrade().and_then(|r| r.mark_readable()) {
                    wake(waker);
                }
            }
            deadlines = self.deadlines.lock().unwrap();
        }
        // end exercise
    }
    // ANCHOR_END: timer_loop
}

/// Wakes `waker`. A waker is an executor's code, and may panic: that is
/// its bug, and must not stop every other socket of the process, so the
/// panic is caught here (the panic hook has already printed it) and the
/// timer goes on.
fn wake(waker: Waker) {
    if panic::catch_unwind(AssertUnwindSafe(|| waker.wake())).is_err() {
        eprintln!(
            "socket-sim: a waker panicked in wake() (see above); the timer goes on with the other sockets"
        );
    }
}

/// The deadlines not reached yet, earliest first, and a count of all.
#[derive(Default)]
struct Deadlines {
    /// Each socket's deadline, until it comes or the socket is dropped.
    map: BTreeMap<Key, Weak<Readiness>>,
    /// Deadlines added so far, reached or not; also the next key's number.
    added: u64,
}
