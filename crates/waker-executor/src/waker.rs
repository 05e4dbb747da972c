//! The wakers: what `cx.waker()` is when this stage's executors poll.
//!
//! For [`run`](crate::run), a [`TaskWaker`] knows its task's number; waking
//! it puts it in the executor's inbox and rouses the executor. This is the
//! data a bare `fn()` could not carry (stage 2): the executor learns
//! *which* task to poll, so it polls nothing else. For
//! [`block_on`](crate::block_on), one task, a [`BlockOnWaker`] is a flag
//! under a lock and a condition variable.
//!
//! Where a woken task goes is the one thing that differs between
//! executors: into this stage's inbox, and its thread unparked; into stage
//! 7's, with a rouse through the reactor; into a worker's own queue in
//! stage 9. So a [`TaskWaker`] is generic over what it shares with its
//! executor, a [`Schedule`], and everything else (the `queued` flag, the
//! stuck-task checks, the poll) is written once, here, and reused.

use std::sync::atomic::Ordering;
use std::task::Waker;

use crate::Stuck;
#[cfg(not(loom))]
use crate::sync::Wake;
use crate::sync::{Arc, AtomicBool, Condvar, Mutex, Thread};

/// Where a woken task goes: what a task's wakers share with its executor.
pub trait Schedule: Send + Sync + Sized + 'static {
    /// `task` was woken, and was not queued: put it where its executor will
    /// find it, and make sure the executor looks.
    fn schedule(task: Arc<TaskWaker<Self>>);
    /// `task` is pending and its last waker was dropped unwoken.
    fn orphaned(task: &TaskWaker<Self>);
}

/// How a wake makes an executor look at its [`Shared`] inbox.
pub trait Rouse: Send + Sync + 'static {
    /// Called after a task was put in the inbox: the executor, if it sleeps
    /// or is about to, must look at the inbox again soon.
    fn rouse(&self);
}

/// This stage's executor sleeps in `thread::park`: a wake unparks it.
impl Rouse for Thread {
    fn rouse(&self) {
        // If the executor is about to park, the unpark token makes that
        // park return at once, so a wake after the push cannot be missed.
        self.unpark();
    }
}

/// What the executor and all the wakers of one run share: an inbox.
///
/// No code that can panic runs while `inbox` is locked, so the lock is never
/// poisoned and `lock()` cannot fail.
pub struct Shared<R: Rouse = Thread> {
    /// What happened since the executor last looked; it takes it all in one lock.
    inbox: Mutex<Inbox<R>>,
    /// Wakes the executor: this stage's unparks its thread.
    rouser: R,
    /// Set when the run is over (finished, failed or unwound): from then on
    /// a wake, or a waker's drop, does nothing.
    closed: AtomicBool,
}

/// The executor's inbox.
struct Inbox<R: Rouse> {
    /// The wakers of the tasks to poll, each task at most once (see
    /// [`TaskWaker::queued`]). A waker woken by value moves its own reference here.
    woken: Vec<Arc<TaskWaker<Arc<Shared<R>>>>>,
    /// A pending task whose last waker was dropped without waking it.
    orphaned: Option<usize>,
}

impl<R: Rouse> Shared<R> {
    /// The state of a new run, whose executor `rouser` rouses.
    pub fn new(rouser: R) -> Arc<Self> {
        let inbox = Inbox {
            woken: Vec::new(),
            orphaned: None,
        };
        Arc::new(Shared {
            inbox: Mutex::new(inbox),
            rouser,
            closed: AtomicBool::new(false),
        })
    }

    /// Takes every woken task's waker out of the inbox, in one lock, into
    /// `woken` (which must be empty), in the order they were woken.
    ///
    /// # Errors
    ///
    /// A pending task whose last waker was dropped unwoken: it can never be
    /// woken, and the executor would wait for it forever.
    pub fn take(&self, woken: &mut Vec<Arc<TaskWaker<Arc<Self>>>>) -> Result<(), Stuck> {
        let mut inbox = self.inbox.lock().unwrap();
        std::mem::swap(woken, &mut inbox.woken);
        match inbox.orphaned {
            Some(task) => Err(Stuck::new(task, Stuck::LAST_WAKER_DROPPED)),
            None => Ok(()),
        }
    }

    /// Ends the run, however it ends (done, stuck, unwinding from a panic):
    /// later wakes do nothing, and the inbox is emptied, since a queued
    /// `TaskWaker` there holds the `Shared` that holds the inbox, a cycle
    /// that would never be freed.
    pub fn close(&self) {
        // Relaxed is enough: the lock taken just below orders this store
        // before whatever the next holder of the inbox lock reads.
        self.closed.store(true, Ordering::Relaxed);
        let woken = std::mem::take(&mut self.inbox.lock().unwrap().woken);
        drop(woken); // outside the lock: each drop may take it again
    }
}

/// The state behind every clone of one task's `Waker`.
///
/// Between polls the executor holds no reference to it (unless the task is
/// queued), so when the last `Waker` clone is dropped the `TaskWaker` is
/// dropped too, and its `Drop` can tell the executor that nothing is left
/// to wake the task.
pub struct TaskWaker<S: Schedule = Arc<Shared>> {
    /// The task's number: its index in the executor's input (stage 4), or
    /// its slot among the runtime's tasks (stage 7).
    pub task: usize,
    /// True from the wake that put the task in the inbox until the executor
    /// takes it out to poll it: wakes in between add nothing, so many wakes
    /// before the next poll give one poll. True for good once the task is
    /// finished (later wakes add nothing, and its last drop tells nothing).
    pub(crate) queued: AtomicBool,
    /// What it shares with its executor: here the run's inbox.
    pub shared: S,
    /// In a loom model only: how many `Waker`s of this task are alive (see
    /// `nobody_can_wake`).
    #[cfg(loom)]
    pub(crate) wakers: crate::sync::AtomicUsize,
}

// ANCHOR: wake
// `wake_by_ref` is the trait's own: `wake` on a clone of the `Arc`.
#[cfg(not(loom))]
impl<S: Schedule> Wake for TaskWaker<S> {
    fn wake(self: Arc<Self>) {
        TaskWaker::queue(self);
    }
}

impl<S: Schedule> TaskWaker<S> {
    /// A wake: queues the task (with `this`, a reference to its waker)
    /// unless it is queued already (or finished).
    pub fn queue(this: Arc<TaskWaker<S>>) {
        // exercise: unless the task is already queued, mark it queued and schedule it
        // Only the wake that sets `queued` queues the task. AcqRel: its
        // Release half hands what this thread did before waking to the
        // poll that clears the flag (with Acquire).
        if this.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        S::schedule(this);
        // end exercise
    }
}

impl<R: Rouse> Schedule for Arc<Shared<R>> {
    /// Into the inbox, unless the run is over, then a rouse.
    fn schedule(task: Arc<TaskWaker<Self>>) {
        // exercise: unless the run is over, put the task in the inbox and rouse the executor
        let shared = &task.shared;
        let mut inbox = shared.inbox.lock().unwrap();
        // Checked under the lock: a run that is over has emptied its inbox
        // for the last time, and a waker pushed now would keep `Shared`
        // alive through itself, for ever.
        if shared.closed.load(Ordering::Relaxed) {
            return;
        }
        inbox.woken.push(Arc::clone(&task));
        drop(inbox);
        // After the push, so that the executor, roused, finds the task.
        shared.rouser.rouse();
        // end exercise
    }

    /// Into the inbox too, so that the executor stops waiting for it.
    fn orphaned(task: &TaskWaker<Self>) {
        let mut inbox = task.shared.inbox.lock().unwrap();
        if !task.shared.closed.load(Ordering::Relaxed) {
            inbox.orphaned = Some(task.task);
            drop(inbox);
            task.shared.rouser.rouse();
        }
    }
}
// ANCHOR_END: wake

impl<S: Schedule> TaskWaker<S> {
    /// The waker of task `task`, not yet queued, which shares `shared`.
    pub fn new(task: usize, shared: S) -> Arc<Self> {
        Arc::new(TaskWaker {
            task,
            queued: AtomicBool::new(false),
            shared,
            #[cfg(loom)]
            wakers: crate::sync::AtomicUsize::new(0),
        })
    }

    /// Marks the task finished, queued for good: no wake queues it again.
    /// True if a wake queued it during its last poll: that wake is still in
    /// its executor's queue, and will be taken out with the others.
    pub fn finish(&self) -> bool {
        // Relaxed: a wake that misses this only brings a late wake, which
        // the executor sees is for a finished task.
        self.queued.swap(true, Ordering::Relaxed)
    }
}

// ANCHOR: last_waker_dropped
impl<S: Schedule> Drop for TaskWaker<S> {
    /// The last `Waker` of the task is gone. Unless the task is queued (or
    /// finished), nothing can ever wake it again: tell the executor, which
    /// would otherwise sleep forever.
    fn drop(&mut self) {
        // Relaxed: this is the last reference, and dropping it took the
        // `Arc`'s Acquire, so every write to `queued` happened before this.
        if !self.queued.load(Ordering::Relaxed) {
            S::orphaned(self);
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
#[derive(Default)]
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
