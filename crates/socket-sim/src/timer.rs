//! The one background thread that makes every socket of the process readable on time.
//!
//! Each socket hands its deadline to [`schedule`] when it is built. The thread,
//! started by the first socket, keeps the deadlines in a binary heap, earliest
//! on top, and sleeps on a condition variable until the earliest one (or
//! until an even earlier one arrives). When it wakes it pops every deadline that has
//! passed in one go, releases the lock, and only then marks those sockets
//! readable and calls their wakers: a waker runs an executor's code, which may
//! build new sockets, and must never wait for a lock we hold.
//!
//! A thread per socket would be simpler, and 100,000 sockets would mean 100,000
//! threads. Real runtimes do the same as this, with a timer wheel for a heap.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, LazyLock, Mutex, Weak};
use std::task::Waker;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use crate::Readiness;

/// The name of the timer thread, as `top -H` and `/proc/self/task/*/comm` show it
/// (Linux keeps 15 bytes of a thread name).
pub const THREAD_NAME: &str = "socket-timer";

/// Marks `readiness` readable at `at`, on the timer thread (started on first use).
///
/// The timer holds the socket weakly: a socket dropped before its deadline is
/// freed at once, and its deadline is skipped when it comes.
pub(crate) fn schedule(at: Instant, readiness: Weak<Readiness>) {
    // A loom model plays the timer itself (`sync.rs`): no thread is started.
    if cfg!(not(loom)) {
        TIMER.timer.add(Deadline { at, readiness });
    }
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
    (deadlines.added, deadlines.heap.len())
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

    fn add(&self, deadline: Deadline) {
        let mut deadlines = self.deadlines.lock().unwrap();
        let earliest = deadlines
            .heap
            .peek()
            .is_none_or(|first| deadline.at < first.at);
        deadlines.heap.push(deadline);
        deadlines.added += 1;
        drop(deadlines);
        if earliest {
            self.earlier.notify_one();
        }
    }

    // ANCHOR: timer_loop
    /// The timer thread: sleep until the earliest deadline, fire what is due, repeat.
    fn run(&self) -> ! {
        // exercise: sleep until the earliest deadline; pop every passed one under the lock, then wake them after releasing it
        let mut due = Vec::new();
        let mut deadlines = self.deadlines.lock().unwrap();
        loop {
            let now = Instant::now();
            while deadlines.heap.peek().is_some_and(|first| first.at <= now) {
                due.extend(deadlines.heap.pop().map(|deadline| deadline.readiness));
            }
            if due.is_empty() {
                // Nothing due: sleep until the earliest deadline, or until
                // `add` brings an earlier one. A spurious wake-up only costs
                // one more turn of the loop.
                deadlines = match deadlines.heap.peek().map(|first| first.at - now) {
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

/// The deadlines not reached yet, earliest on top, and a count of all.
#[derive(Default)]
struct Deadlines {
    heap: BinaryHeap<Deadline>,
    /// Deadlines added so far, reached or not.
    added: u64,
}

/// A socket's deadline.
pub(crate) struct Deadline {
    at: Instant,
    readiness: Weak<Readiness>,
}

// `BinaryHeap` keeps the greatest on top, so the earlier deadline is the greater.
impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.cmp(&self.at)
    }
}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Deadline {}
