//! A task: stage 4's `TaskWaker`, carrying its future and its output.
//!
//! In stages 4 and 7 the executor kept the futures and a waker named its
//! task by number. Here a task moves between threads (queued on one
//! worker, stolen by another), so it carries its future with it: the
//! waker's shared part, a [`Home`], holds the future and the runtime, and
//! stage 4's `TaskWaker` around it keeps the `queued` flag as before. One
//! allocation is a task and its waker, one more holds the future (so that
//! it stays pinned), and one the handle's slot.
//!
//! `F: Send + 'static` is why: the future is moved into this `Arc`, which a
//! waker on any thread may keep alive after the spawning function returned
//! (`'static`), and which any worker may poll (`Send`).

use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::thread;

use waker_executor::{Schedule, TaskWaker, Wakers, poll_task};

use crate::Shared;
use crate::running::Running;

/// A task as the run queues hold it, whatever its output: run it to poll it once.
pub(crate) type Task = Arc<dyn Run>;

/// What a worker does with a task it took from a queue.
pub(crate) trait Run: Send + Sync {
    /// Polls the task once, on a worker of `runtime`, unless it has
    /// finished; queues it again if it was woken during the poll.
    fn run(self: Arc<Self>, runtime: &Arc<Shared>);
    /// The runtime is ending: drops the future, unfinished.
    fn abandon(&self);
}

/// What a task's wakers and the runtime share.
pub(crate) struct Home<T> {
    /// Weak: a task that outlives its runtime (in a waker kept somewhere)
    /// must not keep the runtime, and its queues, alive.
    runtime: Weak<Shared>,
    /// Its entry among the runtime's tasks (`Shared::tasks`).
    slot: usize,
    running: Running,
    /// `None` once finished. Locked for each poll, by one worker at a time.
    future: Mutex<Option<Pin<Box<dyn Future<Output = T> + Send>>>>,
    /// Shared with the handle, which holds nothing else of the task: a
    /// handle does not keep its task's future alive, nor hide it from stage
    /// 4's stuck checks.
    join: Arc<Mutex<Join<T>>>,
}

/// What a task's handle can find.
enum Join<T> {
    /// Not finished; the waker of the task awaiting the handle, if one does.
    Running(Option<Waker>),
    /// Not finished, and its handle was dropped: its output goes nowhere.
    Detached,
    /// Finished: its output, or its panic.
    Done(thread::Result<T>),
    /// The handle returned the output.
    Taken,
    /// Dropped unfinished, for this reason.
    Gone(&'static str),
}

/// What a handle says when its task was dropped with its runtime.
const WITH_ITS_RUNTIME: &str = "its runtime is gone: the task was dropped, unfinished, with it";
/// What it says when nothing could wake its task any more.
const NEVER_WOKEN: &str = "its task can never be woken, and was dropped unfinished";

/// The whole task: stage 4's waker around its home.
type Cell<T> = TaskWaker<Home<T>>;

impl<T: Send + 'static> Schedule for Home<T> {
    /// Where a wake puts a task: the runtime decides (`Shared::push`).
    fn schedule(task: Arc<Cell<T>>) {
        if !task.shared.running.wake() {
            return; // being polled: its poller queues it when the poll ends
        }
        if let Some(runtime) = task.shared.runtime.upgrade() {
            runtime.push(task);
        } // else its runtime is gone, and the task goes with this reference
    }

    /// Nobody can wake it: it is dropped with this, its last reference.
    fn orphaned(_: &Cell<T>) {}
}

/// Makes a task of `future`, numbered `id`, on `runtime`, and queues it
/// as if it had been woken; its handle.
pub(crate) fn spawn<F>(runtime: &Arc<Shared>, id: usize, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let join = Arc::new(Mutex::new(Join::Running(None)));
    let mut tasks = lock(&runtime.tasks);
    let entry = tasks.vacant_entry();
    let home = Home {
        runtime: Arc::downgrade(runtime),
        slot: entry.key(),
        running: Running::new(),
        future: Mutex::new(Some(Box::pin(future))),
        join: Arc::clone(&join),
    };
    let cell = TaskWaker::new(id, home);
    entry.insert(Arc::downgrade(&cell) as Weak<dyn Run>);
    drop(tasks);
    // Queued as a wake would queue it: its first poll comes in turn.
    TaskWaker::queue(cell);
    JoinHandle { join }
}

impl<T: Send + 'static> Run for Cell<T> {
    // ANCHOR: run
    fn run(self: Arc<Self>, runtime: &Arc<Shared>) {
        self.shared.running.start();
        let mut future = lock(&self.shared.future);
        let polled = future.as_mut().map(|running| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                poll_task(&self, running.as_mut(), Wakers::Wake)
            }))
        });
        drop(future);
        match polled {
            None | Some(Ok(Ok(Poll::Pending))) => {} // a late wake, or not done
            Some(Ok(Ok(Poll::Ready(output)))) => finished(&self, Ok(output)),
            Some(Err(panic)) => finished(&self, Err(panic)),
            Some(Ok(Err(stuck))) => {
                eprintln!("work-stealing: {stuck}; it is dropped");
                self.finish();
                self.shared.end_unfinished(NEVER_WOKEN);
            }
        }
        if self.shared.running.end() {
            runtime.push(self); // woken during the poll
        }
    }
    // ANCHOR_END: run

    fn abandon(&self) {
        self.shared.end_unfinished(WITH_ITS_RUNTIME);
    }
}

/// The task of `cell` finished, with `output`: no wake queues it again, its
/// future is dropped, on this worker, and its handle gets the output (or
/// the panic of that drop).
fn finished<T>(cell: &Cell<T>, mut output: thread::Result<T>)
where
    T: Send + 'static,
{
    cell.finish();
    if let Some(panic) = cell.shared.drop_future() {
        output = output.and(Err(panic));
    }
    let task = cell.task;
    let mut join = lock(&cell.shared.join);
    if let (Join::Detached, Err(panic)) = (&*join, &output) {
        let message = mini_runtime::panic_message(&**panic);
        eprintln!("work-stealing: task {task} panicked ({message})");
    }
    let before = mem::replace(&mut *join, Join::Done(output));
    drop(join);
    if let Join::Running(Some(waiter)) = before {
        waiter.wake(); // once `join` is unlocked: a wake may run any code
    }
}

impl<T> Home<T> {
    /// Drops the future unfinished, if it is there; its handle, awaited,
    /// says `why`.
    fn end_unfinished(&self, why: &'static str) {
        if self.drop_future().is_some() {
            eprintln!("work-stealing: a task's future panicked as it was dropped");
        }
        let mut join = lock(&self.join);
        if matches!(*join, Join::Running(_) | Join::Detached) {
            let before = mem::replace(&mut *join, Join::Gone(why));
            drop(join);
            if let Join::Running(Some(waiter)) = before {
                waiter.wake(); // to learn that it is gone
            }
        }
    }

    /// Drops the future, if it is still there; the panic of its `Drop`, if
    /// it panicked (caught, so that the worker goes on).
    fn drop_future(&self) -> Option<Box<dyn std::any::Any + Send>> {
        let future = lock(&self.future).take();
        panic::catch_unwind(AssertUnwindSafe(|| drop(future))).err()
    }
}

impl<T> Drop for Home<T> {
    /// The last reference to the task is gone: unfinished, nothing could
    /// wake it; either way, it leaves the runtime's tasks.
    fn drop(&mut self) {
        self.end_unfinished(NEVER_WOKEN);
        if let Some(runtime) = self.runtime.upgrade() {
            let entry = lock(&runtime.tasks).try_remove(self.slot);
            drop(entry); // a `Weak`: its drop runs no code of the task
        }
    }
}

/// Locks `mutex`, even if a panic poisoned it: no lock here is held across
/// code that leaves what it guards half-changed.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The future of a spawned task's output: [`spawn`](crate::spawn). `Send`,
/// so that it can be awaited on any thread.
///
/// If the task panicked, awaiting the handle resumes its panic. If the
/// handle was dropped, the panic is reported on stderr, naming the task.
#[must_use = "a JoinHandle does nothing unless awaited; the task runs either way"]
pub struct JoinHandle<T> {
    join: Arc<Mutex<Join<T>>>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut join = lock(&self.join);
        let said = match mem::replace(&mut *join, Join::Taken) {
            Join::Running(old) => {
                *join = Join::Running(Some(cx.waker().clone()));
                drop(join);
                drop(old); // a waker's drop may run any code: not under the lock
                return Poll::Pending;
            }
            Join::Done(output) => {
                drop(join);
                return Poll::Ready(output.unwrap_or_else(|panic| panic::resume_unwind(panic)));
            }
            Join::Gone(why) => {
                *join = Join::Gone(why);
                why
            }
            Join::Taken => "a JoinHandle was polled after it returned Ready",
            Join::Detached => unreachable!("a handle is alive: its task is not detached"),
        };
        drop(join); // not poisoned by the panic: the handle's drop locks it
        panic!("{said}")
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut join = lock(&self.join);
        if let Join::Running(waiter) = &mut *join {
            let waiter = waiter.take();
            *join = Join::Detached;
            drop(join);
            drop(waiter); // not under the lock
        }
    }
}
