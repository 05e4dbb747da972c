//! The wakers: what `cx.waker()` is when this stage's executors poll.
//!
//! For [`run`](crate::run), a [`TaskWaker`] knows its task's index; waking
//! it puts it in the executor's inbox and unparks the executor thread. This
//! is the data a bare `fn()` could not carry (stage 2): the executor learns
//! *which* task to poll, so it polls nothing else. For
//! [`block_on`](crate::block_on), one task, a [`BlockOnWaker`] is a flag
//! and the thread to unpark.

use std::sync::atomic::Ordering;
use std::task::Waker;

#[cfg(not(loom))]
use crate::sync::Wake;
use crate::sync::{Arc, AtomicBool, Condvar, Mutex, Thread};

/// What the executor thread and all the wakers of one run share.
///
/// No code that can panic runs while `inbox` is locked, so the lock is never
/// poisoned and `lock()` cannot fail.
pub(crate) struct Shared {
    /// What happened since the executor last looked; it takes it all in one lock.
    pub(crate) inbox: Mutex<Inbox>,
    /// The thread that runs the executor: a wake unparks it.
    pub(crate) executor: Thread,
    /// Set when the run is over (finished, failed or unwound): from then on
    /// a wake, or a waker's drop, does nothing.
    pub(crate) closed: AtomicBool,
}

/// The executor's inbox.
#[derive(Default)]
pub(crate) struct Inbox {
    /// The wakers of the tasks to poll, each task at most once (see
    /// [`TaskWaker::queued`]). A waker woken by value moves its own reference here.
    pub(crate) woken: Vec<Arc<TaskWaker>>,
    /// Pending tasks whose last waker was dropped without waking them.
    pub(crate) orphaned: Vec<usize>,
}

/// The state behind every clone of one task's `Waker`.
///
/// Between polls the executor holds no reference to it (unless the task is
/// queued), so when the last `Waker` clone is dropped the `TaskWaker` is
/// dropped too, and its `Drop` can tell the executor that nothing is left
/// to wake the task.
pub(crate) struct TaskWaker {
    /// The task's index in the executor's input.
    pub(crate) task: usize,
    /// True from the wake that put the task in the inbox until the executor
    /// takes it out to poll it: wakes in between add nothing, so many wakes
    /// before the next poll give one poll. True at the start (every task is
    /// queued once, to be polled once), and for good once the task is
    /// finished (later wakes add nothing, and its last drop tells nothing).
    pub(crate) queued: AtomicBool,
    pub(crate) shared: Arc<Shared>,
}

// ANCHOR: wake
// `wake_by_ref` is the trait's own: `wake` on a clone of the `Arc`.
#[cfg(not(loom))]
impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        TaskWaker::queue(self);
    }
}

impl TaskWaker {
    /// A wake: queues the task (with `this`, a reference to its waker)
    /// unless it is queued already (or finished) or the run is over.
    pub(crate) fn queue(this: Arc<TaskWaker>) {
        // exercise: unless the task is already queued or the run is over, put it in the inbox and unpark the executor
        let shared = &this.shared;
        // Only the wake that sets `queued` queues the task. Release: the
        // poll that clears it (with Acquire) sees what we did before waking.
        if this.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut inbox = shared.inbox.lock().unwrap();
        // Checked under the lock: a run that is over has emptied its inbox
        // for the last time, and a waker pushed now would keep `Shared`
        // alive through itself, for ever.
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
    /// The last `Waker` of the task is gone. Unless the task is queued (or
    /// finished), nothing can ever wake it again: tell the executor, which
    /// would otherwise sleep forever.
    fn drop(&mut self) {
        // Relaxed: this is the last reference, and dropping it took the
        // `Arc`'s Acquire, so every write to `queued` happened before this.
        let idle = !self.queued.load(Ordering::Relaxed);
        if idle && !self.shared.closed.load(Ordering::Acquire) {
            self.shared.inbox.lock().unwrap().orphaned.push(self.task);
            self.shared.executor.unpark();
        }
    }
}
// ANCHOR_END: last_waker_dropped

/// What `block_on` shares with the wakers it hands out: whether one was
/// woken and how many are alive, under one lock, and a condition variable
/// to sleep on. (`run` parks its thread instead; both are fine. A lock here
/// keeps `block_on` short and leaves no memory ordering to argue about.)
///
/// In an `Arc` of std's even in a loom build (`Waker::from` needs std's);
/// the lock and the condition variable are loom's there.
pub(crate) struct BlockOnWaker {
    pub(crate) state: Mutex<WakeState>,
    pub(crate) changed: Condvar,
}

#[derive(Default)]
pub(crate) struct WakeState {
    /// A wake came since `block_on` last looked.
    woken: bool,
    /// The wakers (each with its clones) that are alive.
    live: usize,
}

/// The waker `block_on` hands out at a poll. Its `Drop` counts it gone, so
/// that `block_on` notices when no waker is left.
struct OneTaskWaker(std::sync::Arc<BlockOnWaker>);

// `wake_by_ref` is the trait's own: `wake` on a clone of the `Arc`.
impl std::task::Wake for OneTaskWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.state.lock().unwrap().woken = true;
        self.0.changed.notify_one();
    }
}

impl Drop for OneTaskWaker {
    fn drop(&mut self) {
        self.0.state.lock().unwrap().live -= 1;
        self.0.changed.notify_one();
    }
}

impl BlockOnWaker {
    /// A waker for the next poll.
    pub(crate) fn waker(self: &std::sync::Arc<Self>) -> Waker {
        self.state.lock().unwrap().live += 1;
        Waker::from(std::sync::Arc::new(OneTaskWaker(self.clone())))
    }

    /// Sleeps until a wake comes (and takes it): true; or until no waker is
    /// left to bring one: false, the task can never be woken.
    pub(crate) fn wait(&self) -> bool {
        let mut state = self.state.lock().unwrap();
        loop {
            if state.woken {
                state.woken = false;
                return true;
            }
            if state.live == 0 {
                return false;
            }
            // May return for no reason: the loop looks again.
            state = self.changed.wait(state).unwrap();
        }
    }
}
