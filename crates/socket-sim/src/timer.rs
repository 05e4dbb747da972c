//! The one background thread that makes every socket of the process readable on time.
//!
//! Each socket hands its deadline to [`schedule`] when it is built. The thread,
//! started by the first socket, keeps the deadlines in a heap with the earliest
//! on top and sleeps on a condition variable until that earliest one (or until
//! an even earlier one arrives). When it wakes it pops every deadline that has
//! passed in one go, releases the lock, and only then marks those sockets
//! readable and calls their wakers: a waker runs an executor's code, which may
//! build new sockets, and must never wait for a lock we hold.
//!
//! A thread per socket would be simpler, and 100,000 sockets would mean 100,000
//! threads. Real runtimes do the same as this, with a smarter structure (a
//! timer wheel) in place of the heap.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, Weak};
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
    TIMER.timer.add(Deadline { at, readiness });
}

/// The one timer of the process, started by the first socket.
static TIMER: LazyLock<Started> = LazyLock::new(Timer::start);

/// The timer and its thread.
struct Started {
    timer: Arc<Timer>,
    thread: JoinHandle<()>,
}

/// Whether the timer thread is running. It never returns, so `false` means
/// it panicked (a waker that panics in `wake`, say): from then on no socket
/// becomes readable, and tests that wait for one can stop waiting.
pub fn timer_is_running() -> bool {
    !TIMER.thread.is_finished()
}

/// Sockets built by this process so far. Changed and read with the timer's
/// lock held, so that it agrees with the number of deadlines.
static BUILT: AtomicU64 = AtomicU64::new(0);

/// How many sockets this process has built, and how many of their deadlines
/// have not come yet: what the walkthrough's progress line shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SocketCounts {
    /// Sockets built so far.
    pub built: u64,
    /// Sockets whose deadline has not passed yet (dropped ones included).
    pub waiting: u64,
}

/// The sockets of this process so far: [`SocketCounts`].
pub fn socket_counts() -> SocketCounts {
    let deadlines = TIMER.timer.deadlines.lock().unwrap();
    SocketCounts { built: BUILT.load(AtomicOrdering::Relaxed), waiting: deadlines.len() as u64 }
}

/// The deadlines not yet reached, and the thread that waits for them.
///
/// No code that can panic runs while `deadlines` is locked, so the lock is
/// never poisoned and `lock()` cannot fail.
#[derive(Default)]
struct Timer {
    /// Every deadline not yet reached, the earliest on top.
    deadlines: Mutex<BinaryHeap<Deadline>>,
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
        let earliest = deadlines.peek().is_none_or(|first| deadline.at < first.at);
        deadlines.push(deadline);
        BUILT.fetch_add(1, AtomicOrdering::Relaxed);
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
            while let Some(first) = deadlines.peek_mut() {
                if first.at > now {
                    break;
                }
                due.push(PeekMut::pop(first).readiness);
            }
            if due.is_empty() {
                // Nothing due: sleep until the earliest deadline, or until
                // `add` brings an earlier one. A spurious wake-up only costs
                // one more turn of the loop.
                deadlines = match deadlines.peek().map(|first| first.at - now) {
                    Some(sleep) => self.earlier.wait_timeout(deadlines, sleep).unwrap().0,
                    None => self.earlier.wait(deadlines).unwrap(),
                };
                continue;
            }
            drop(deadlines);
            for readiness in due.drain(..) {
                // A socket dropped before its deadline is gone: nothing to do.
                if let Some(waker) = readiness.upgrade().and_then(|r| r.mark_readable()) {
                    waker.wake();
                }
            }
            deadlines = self.deadlines.lock().unwrap();
        }
        // end exercise
    }
    // ANCHOR_END: timer_loop
}

/// A socket's deadline, ordered so that the heap (a max-heap) keeps the
/// earliest on top.
struct Deadline {
    at: Instant,
    readiness: Weak<Readiness>,
}

impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: the earlier deadline is the "greater" one.
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
