//! A task's waker: what `cx.waker()` is when this executor polls a task, and
//! what the executor and every waker share.
//!
//! A [`TaskWaker`] knows its task's index; waking it puts it in the
//! executor's inbox and unparks the executor thread. This is the data a bare
//! `fn()` could not carry (stage 2): the executor learns *which* task to
//! poll, so it polls nothing else.

use std::sync::atomic::Ordering;

#[cfg(not(loom))]
use crate::sync::Wake;
use crate::sync::{Arc, AtomicBool, AtomicU64, AtomicUsize, Mutex, Thread};

use busy_executor::trace::{EventKind, Trace};

/// What the executor thread and all the wakers of one run share.
///
/// No code that can panic runs while `inbox` is locked, so the lock is never
/// poisoned and `lock()` cannot fail.
#[derive(Debug)]
pub(crate) struct Shared {
    /// What happened since the executor last looked; it takes everything in
    /// one lock.
    pub(crate) inbox: Mutex<Inbox>,
    /// The thread that runs the executor: a wake unparks it.
    executor: Thread,
    /// Every call of a waker, counted for [`RunStats`](crate::RunStats).
    pub(crate) wakes: AtomicU64,
    /// Where wakes are recorded, if the run is traced.
    pub(crate) trace: Option<Trace>,
    /// Set when the run is over (finished, failed or unwound): from then on
    /// a wake, or a waker's drop, does nothing.
    pub(crate) closed: AtomicBool,
}

/// The executor's inbox.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    /// The wakers of the tasks to poll, each task at most once (see
    /// [`TaskWaker::queued`]). A waker woken by value moves its own reference
    /// here, so the executor polls with it rather than making a new one.
    pub(crate) woken: Vec<Arc<TaskWaker>>,
    /// Pending tasks whose last waker was dropped without waking them.
    pub(crate) orphaned: Vec<usize>,
}

impl Shared {
    /// For a run on this thread.
    pub(crate) fn new(trace: bool) -> Self {
        Shared {
            inbox: Mutex::default(),
            executor: crate::sync::current(),
            wakes: AtomicU64::new(0),
            trace: trace.then(Trace::new),
            closed: AtomicBool::new(false),
        }
    }
}

/// The state behind every clone of one task's `Waker`.
///
/// A task has at most one `TaskWaker` at a time. Between polls the executor
/// holds no reference to it (unless the task is queued), so when the last
/// `Waker` clone is dropped the `TaskWaker` is dropped too, and its `Drop` can
/// tell the executor that nothing is left to wake the task.
#[derive(Debug)]
pub(crate) struct TaskWaker {
    /// The task's index in the executor's input. Changed only while no
    /// `Waker` of this `TaskWaker` exists outside the executor (when it
    /// re-uses the allocation for the next task).
    task: AtomicUsize,
    /// True from the wake that put the task in the inbox until the executor
    /// takes it out to poll it: wakes in between add nothing, so many wakes
    /// before the next poll give one poll. Cleared by the executor just
    /// before that poll, so that a wake during the poll queues it again.
    pub(crate) queued: AtomicBool,
    /// Set by the executor when the task returned Ready: later wakes are ignored.
    pub(crate) finished: AtomicBool,
    shared: Arc<Shared>,
}

impl TaskWaker {
    pub(crate) fn new(task: usize, shared: Arc<Shared>) -> Self {
        TaskWaker {
            task: AtomicUsize::new(task),
            queued: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            shared,
        }
    }

    pub(crate) fn task(&self) -> usize {
        self.task.load(Ordering::Relaxed)
    }

    /// Makes this waker the waker of `task`, fresh. Only for a `TaskWaker`
    /// nobody outside the executor holds (the caller checks the count).
    pub(crate) fn reuse_for(&self, task: usize) {
        self.task.store(task, Ordering::Relaxed);
        self.queued.store(false, Ordering::Relaxed);
        self.finished.store(false, Ordering::Relaxed);
    }
}

// ANCHOR: wake
#[cfg(not(loom))]
impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        TaskWaker::queue(self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        TaskWaker::queue(Arc::clone(self));
    }
}

impl TaskWaker {
    /// A wake: queues the task (with `this`, a reference to its waker) unless
    /// it is queued already or finished.
    pub(crate) fn queue(this: Arc<TaskWaker>) {
        // exercise: count the wake; unless the task is finished or already queued, put it in the inbox and unpark the executor
        let shared = &this.shared;
        shared.wakes.fetch_add(1, Ordering::Relaxed);
        if let Some(trace) = &shared.trace {
            trace.record(this.task(), EventKind::Wake);
        }
        if this.finished.load(Ordering::Acquire) || shared.closed.load(Ordering::Acquire) {
            return;
        }
        // Only the wake that sets `queued` queues the task.
        if this.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut inbox = shared.inbox.lock().unwrap();
        // Checked again under the lock: a run that ended since the check
        // above has emptied its inbox for the last time, and a waker pushed
        // now would keep `Shared` alive through itself, for ever.
        if shared.closed.load(Ordering::Acquire) {
            return;
        }
        inbox.woken.push(Arc::clone(&this));
        drop(inbox);
        // After the push: if the executor is about to park, the unpark token
        // makes that park return at once, so this wake cannot be missed.
        shared.executor.unpark();
        // end exercise
    }
}
// ANCHOR_END: wake

// ANCHOR: last_waker_dropped
impl Drop for TaskWaker {
    /// The last `Waker` of the task is gone. Unless the task is finished or
    /// queued, nothing can ever wake it again: tell the executor, which would
    /// otherwise sleep forever.
    fn drop(&mut self) {
        // Relaxed: this is the last reference, and dropping it took the
        // `Arc`'s Acquire, so every write to the flags happened before this.
        let idle = !self.finished.load(Ordering::Relaxed) && !self.queued.load(Ordering::Relaxed);
        if idle && !self.shared.closed.load(Ordering::Acquire) {
            self.shared.inbox.lock().unwrap().orphaned.push(self.task());
            self.shared.executor.unpark();
        }
    }
}
// ANCHOR_END: last_waker_dropped
