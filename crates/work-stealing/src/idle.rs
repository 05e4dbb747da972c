//! Parking: how idle workers sleep without spinning, without losing a
//! wake-up, and without all waking at once. The hardest part of a
//! work-stealing runtime, and `tests/loom.rs` model-checks it.
//!
//! A worker is running a task, *searching* (its own queue was empty, so it
//! looks in the injector and steals), or parked. Work pushed to any queue
//! calls [`Idle::notify`]:
//! - if some worker is searching, nobody is woken: the searcher will find
//!   the work. A burst of a thousand spawns wakes nobody while one worker
//!   searches, instead of waking every parked worker to fight over it;
//! - else one parked worker is woken, and counted as searching at once, so
//!   that the next push does not wake another;
//! - a searcher that finds work stops searching, and if it was the last
//!   one, wakes another ([`Idle::found`]): there may be more work, and the
//!   wakes spread one worker at a time.
//!
//! The danger is a push that sees someone searching, and so wakes nobody,
//! while that searcher has already looked and is about to park. So a
//! searcher that gives up registers as parked *first*, then stops counting
//! as searching, and if it was the last searcher, looks for work once more
//! ([`Idle::sleep`]). Of that last look and the pusher's look at the
//! searcher count, one sees the other: both sides separate their write from
//! their read with a SeqCst fence (the store-buffering pattern, which
//! nothing weaker orders).

use std::sync::atomic::Ordering::SeqCst;

use crate::sync::{AtomicUsize, Mutex, fence};

/// Who is looking for work, and who sleeps.
#[derive(Debug, Default)]
pub struct Idle {
    /// Workers searching for work: awake, not running a task. Every access
    /// is SeqCst: this count is where a pusher and a searcher meet in the
    /// store-buffering argument above, and a weaker access would need an
    /// argument of its own.
    searching: AtomicUsize,
    /// The parked workers, by index, last parked last.
    sleepers: Mutex<Vec<usize>>,
}

impl Idle {
    /// No worker searching, none parked.
    pub fn new() -> Self {
        Idle::default()
    }

    // ANCHOR: notify
    /// Work was just pushed to a queue: the worker to unpark, if one must
    /// be. It counts as searching from now on.
    pub fn notify(&self) -> Option<usize> {
        // exercise: unless a worker is searching, take a parked one off the list, counted as searching, to be unparked
        // The push before this, against the searcher's registration in
        // `sleep`: of the two, one sees the other.
        fence(SeqCst);
        if self.searching.load(SeqCst) != 0 {
            return None; // it will find the work
        }
        let mut sleepers = self.sleepers.lock().unwrap();
        // Again, under the lock: of two pushers that both saw nobody
        // searching, the second finds the worker the first woke (SeqCst:
        // see the field, as for every access below).
        if self.searching.load(SeqCst) != 0 {
            return None;
        }
        let woken = sleepers.pop()?;
        // Under the lock: a sleeper woken is a searcher before anyone can
        // see it is no longer a sleeper.
        self.searching.fetch_add(1, SeqCst);
        Some(woken)
        // end exercise
    }
    // ANCHOR_END: notify

    /// A worker found its own queue empty and starts to look elsewhere.
    pub fn search(&self) {
        self.searching.fetch_add(1, SeqCst);
    }

    /// A searching worker found work and stops searching: the worker to
    /// unpark if it was the last searcher, since there may be more work.
    pub fn found(&self) -> Option<usize> {
        match self.searching.fetch_sub(1, SeqCst) {
            1 => self.notify(),
            _ => None,
        }
    }

    // ANCHOR: sleep
    /// A searching `worker` found nothing: it registers as parked, unless,
    /// as the last searcher, `work_left` finds work after all; then it goes
    /// on searching (false). True: park now, until unparked.
    pub fn sleep(&self, worker: usize, work_left: impl FnOnce() -> bool) -> bool {
        // exercise: register as parked, stop searching, and as the last searcher look again; go on searching if that finds work
        self.sleepers.lock().unwrap().push(worker);
        let last = self.searching.fetch_sub(1, SeqCst) == 1;
        // This stop, against a pusher's look at `searching`.
        fence(SeqCst);
        if last && work_left() {
            // Work came after this worker last looked, and its pusher may
            // have woken nobody (it saw someone searching, perhaps this
            // worker; or it skipped the notice, its task alone in its own
            // queue). Search again, unless a notifier has just taken this
            // worker off the list (then it is counted searching already,
            // and its unpark is on the way).
            if self.unregister(worker) {
                self.searching.fetch_add(1, SeqCst);
                return false;
            }
        }
        true
        // end exercise
    }
    // ANCHOR_END: sleep

    /// A parked `worker` woke up. If a notifier woke it, it is counted as
    /// searching already; if something else did (the reactor it waited in,
    /// the runtime's end), it takes itself off the list and starts to.
    pub fn woke(&self, worker: usize) {
        if self.unregister(worker) {
            self.searching.fetch_add(1, SeqCst);
        }
    }

    /// Takes `worker` off the list of the parked, if it is on it.
    fn unregister(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        let place = sleepers.iter().position(|&parked| parked == worker);
        place.map(|place| sleepers.swap_remove(place)).is_some()
    }

    /// How many workers are searching now.
    pub fn searching(&self) -> usize {
        self.searching.load(SeqCst)
    }
}
