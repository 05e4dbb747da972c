//! A task: stage 4's `TaskWaker`, carrying its future.
//!
//! In stages 4 and 7 the executor kept the futures and a waker named its
//! task by number. Here a task moves between threads (queued on one
//! worker, stolen by another), so it carries its future with it: the
//! waker's shared part, a [`Home`], holds the future and the runtime, and
//! stage 4's `TaskWaker` around it keeps the `queued` flag as before. The
//! future is stage 7's [`Spawned`], which gives the output to the task's
//! [`JoinHandle`]. One allocation is a task and its waker, one more holds
//! the future (so that it stays pinned), and one what the handle shares.
//!
//! `F: Send + 'static` is why: the future is moved into this `Arc`, which a
//! waker on any thread may keep alive after the spawning function returned
//! (`'static`), and which any worker may poll (`Send`).

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::Poll;

use mini_runtime::JoinHandle;
use mini_runtime::join::{Spawned, lock};
use waker_executor::{Schedule, TaskWaker, Wakers, poll_task};

use crate::Shared;
use crate::running::Running;

/// A task as the run queues hold it: stage 4's waker around its home.
pub(crate) type Task = Arc<TaskWaker<Home>>;

/// What a task's wakers and the runtime share.
pub(crate) struct Home {
    /// Weak: a task that outlives its runtime (in a waker kept somewhere)
    /// must not keep the runtime, and its queues, alive.
    runtime: Weak<Shared>,
    /// Its entry among the runtime's tasks (`Shared::tasks`).
    slot: usize,
    running: Running,
    /// `None` once finished. Locked for each poll, by one worker at a time.
    future: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
}

/// What a handle says when its task was dropped unfinished.
const GONE: &str = "its task was dropped unfinished: its runtime is gone, or nothing could wake it";

impl Schedule for Home {
    /// Where a wake puts a task: the runtime decides (`Shared::push`).
    fn schedule(task: Task) {
        if !task.shared.running.wake() {
            return; // being polled: its poller queues it when the poll ends
        }
        if let Some(runtime) = task.shared.runtime.upgrade() {
            runtime.push(task);
        } // else its runtime is gone, and the task goes with this reference
    }

    /// Nobody can wake it: it is dropped with this, its last reference.
    fn orphaned(_: &TaskWaker<Home>) {}
}

/// Makes a task of `future`, numbered `id`, on `runtime`, and queues it
/// as if it had been woken; its handle.
pub(crate) fn spawn<F>(runtime: &Arc<Shared>, id: usize, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (future, handle) = Spawned::new(id, GONE, future);
    let mut tasks = lock(&runtime.tasks);
    let entry = tasks.vacant_entry();
    let home = Home {
        runtime: Arc::downgrade(runtime),
        slot: entry.key(),
        running: Running::new(),
        future: Mutex::new(Some(Box::pin(future))),
    };
    let task = TaskWaker::new(id, home);
    entry.insert(Arc::downgrade(&task));
    drop(tasks);
    // Queued as a wake would queue it: its first poll comes in turn.
    TaskWaker::queue(task);
    handle
}

// ANCHOR: run
/// Polls `task` once, on a worker of `runtime`, unless it has finished;
/// queues it again if it was woken during the poll.
pub(crate) fn run(task: Task, runtime: &Arc<Shared>) {
    task.shared.running.start();
    let mut future = lock(&task.shared.future);
    let polled = future
        .as_mut()
        .map(|running| poll_task(&task, running.as_mut(), Wakers::Wake));
    drop(future);
    match polled {
        None | Some(Ok(Poll::Pending)) => {} // a late wake, or not done
        Some(ended) => {
            // Ready, or stuck: nothing can ever wake it.
            if let Err(stuck) = ended {
                eprintln!("work-stealing: {stuck}; it is dropped");
            }
            task.finish(); // no wake queues it again
            task.shared.drop_future();
        }
    }
    if task.shared.running.end() {
        runtime.push(task); // woken during the poll
    }
}
// ANCHOR_END: run

impl Home {
    /// Drops the task's `Spawned`, if it is still there, on this thread:
    /// its handle has the output, or now says that the task is gone. A
    /// panic of an unfinished future's drop (or of an output nobody took)
    /// is caught: it stops here, and the worker or the runtime's drop goes on.
    pub(crate) fn drop_future(&self) {
        let future = lock(&self.future).take();
        if panic::catch_unwind(AssertUnwindSafe(|| drop(future))).is_err() {
            eprintln!("work-stealing: a task's future, or its output, panicked as it was dropped");
        }
    }
}

impl Drop for Home {
    /// The last reference to the task is gone: unfinished, nothing could
    /// wake it; either way, it leaves the runtime's tasks.
    fn drop(&mut self) {
        self.drop_future();
        if let Some(runtime) = self.runtime.upgrade() {
            let entry = lock(&runtime.tasks).try_remove(self.slot);
            drop(entry); // a `Weak`: its drop runs no code of the task
        }
    }
}
