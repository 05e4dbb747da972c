//! Whether a task is being polled: so that no worker ever waits for another
//! worker's poll of the same task.
//!
//! Stage 4's protocol clears a task's `queued` flag before its poll, so
//! that a wake during the poll queues the task again. With one thread that
//! second run comes after the poll. With several, another worker could take
//! the task from a queue while its poll is still under way. It must not
//! poll it too, and it must not wait for that poll to end (it would sit
//! idle, and if the poll waits for work queued behind it, for ever). So a
//! wake during a poll queues nothing: it leaves a note, *notified*, and the
//! worker polling the task reads the note when its poll ends and queues the
//! task again: the wake is answered by a poll that comes after it, and a
//! task is never in a queue while it is polled. tokio's tasks keep the same
//! two bits, `RUNNING` and `NOTIFIED`, in their state word.
//!
//! Every change is a read-modify-write of one atomic, so the changes have
//! one order that every thread agrees on, and no note is lost between a
//! wake that leaves it and the poll that ends. `tests/loom.rs` checks it.

use std::sync::atomic::Ordering::{AcqRel, Acquire};

use crate::sync::AtomicU8;

/// Not being polled.
const IDLE: u8 = 0;
/// Being polled.
const RUNNING: u8 = 1;
/// Being polled, and woken meanwhile: to be queued again.
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
    /// A wake queued the task (stage 4's `queued` was clear): true if it
    /// goes in a queue now, false if it is being polled (then the note is
    /// left, and its poller queues it when the poll ends).
    pub fn wake(&self) -> bool {
        // AcqRel, Acquire: the state decides only who queues the task; what
        // the wake did reaches the poll through stage 4's `queued`.
        match self.0.compare_exchange(RUNNING, NOTIFIED, AcqRel, Acquire) {
            Ok(_) | Err(NOTIFIED) => false,
            Err(_) => true,
        }
    }

    /// A worker took the task from a queue, to poll it. No wake queues a
    /// task while it is polled, so it is idle.
    pub fn start(&self) {
        // AcqRel: as in `wake`.
        let was = self.0.swap(RUNNING, AcqRel);
        debug_assert_eq!(was, IDLE, "a task was queued while it was polled");
    }

    /// The poll ended: true if a wake came meanwhile, and the task must be
    /// queued again.
    pub fn end(&self) -> bool {
        // AcqRel: as in `wake`. A wake after this swap finds the task idle,
        // and queues it itself.
        self.0.swap(IDLE, AcqRel) == NOTIFIED
    }
    // ANCHOR_END: start
}
