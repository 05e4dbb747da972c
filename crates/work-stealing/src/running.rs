//! Whether a task is being polled: so that no worker ever waits for another
//! worker's poll of the same task.
//!
//! Stage 4's protocol clears a task's `queued` flag before its poll, so
//! that a wake during the poll queues the task again. With one thread that
//! second run comes after the poll. With several, another worker can take
//! the task from a queue while its poll is still under way. It must not
//! poll it too, and it must not wait for that poll to end (it would sit
//! idle, and if the poll waits for work queued behind it, for ever). So it
//! leaves a note, *notified*, and goes on; the worker polling the task reads
//! the note when its poll ends, and queues the task again: the wake is
//! answered by a poll that comes after it. tokio's tasks keep the same two
//! bits, `RUNNING` and `NOTIFIED`, in their state word.
//!
//! Every change is a read-modify-write of one atomic, so the changes have
//! one order that every thread agrees on, and no note is lost between a
//! worker that leaves it and the poll that ends. `tests/loom.rs` checks it.

use std::sync::atomic::Ordering::{AcqRel, Acquire};

use crate::sync::AtomicU8;

/// Not being polled.
const IDLE: u8 = 0;
/// Being polled.
const RUNNING: u8 = 1;
/// Being polled, and taken from a queue meanwhile: to be queued again.
const NOTIFIED: u8 = 2;

/// A task's poll state.
#[derive(Debug, Default)]
pub struct Running(AtomicU8);

impl Running {
    /// Not being polled.
    pub fn new() -> Self {
        Running::default()
    }

    // ANCHOR: start
    /// A worker took the task from a queue: true if it may poll it now,
    /// false if another worker is polling it (then the note is left, and
    /// that worker queues the task again when its poll ends).
    pub fn start(&self) -> bool {
        // AcqRel, Acquire: the state decides only who polls and who queues;
        // what a wake did reaches the poll through stage 4's `queued`.
        let mut state = IDLE;
        loop {
            let next = if state == IDLE { RUNNING } else { NOTIFIED };
            match self.0.compare_exchange(state, next, AcqRel, Acquire) {
                Ok(_) => return state == IDLE,
                Err(NOTIFIED) => return false, // the note is there already
                Err(now) => state = now,
            }
        }
    }

    /// The poll ended: true if the task was taken from a queue meanwhile,
    /// and must be queued again.
    pub fn end(&self) -> bool {
        // AcqRel, Acquire: as in `start`.
        match self.0.compare_exchange(RUNNING, IDLE, AcqRel, Acquire) {
            Ok(_) => false,
            Err(_) => {
                // NOTIFIED, which nobody but this poller changes: no other
                // worker polls or notes while it is set.
                self.0.swap(IDLE, AcqRel);
                true
            }
        }
    }
    // ANCHOR_END: start
}
