//! A task: stage 4's `TaskWaker`, carrying its future and its output.
//!
//! In stages 4 and 7 the executor kept the futures and a waker named its
//! task by number. Here a task moves between threads (queued on one
//! worker, stolen by another), so it carries its future with it: the
//! waker's shared part, a [`Home`], holds the future, the output and the
//! runtime, and stage 4's `TaskWaker` around it keeps the `queued` flag as
//! before. One allocation is a task, its waker and its handle's slot (and
//! one more holds the future, so that it stays pinned).
//!
//! `F: Send + 'static` is why: the future is moved into this `Arc`, which a
//! waker on any thread may keep alive after the spawning function returned
//! (`'static`), and which any worker may poll (`Send`).

use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

use waker_executor::{Schedule, TaskWaker, Wakers, poll_task};

use crate::Shared;

/// A task as the run queues hold it, whatever its output: run it to poll it once.
pub(crate) type Task = Arc<dyn Run>;

/// What a worker does with a task it took from a queue.
pub(crate) trait Run: Send + Sync {
    /// Polls the task once, unless it has finished.
    fn run(self: Arc<Self>);
    /// The runtime is ending: drops the future, unfinished.
    fn abandon(&self);
}

/// What a task's wakers, its handle and the runtime share.
pub(crate) struct Home<T> {
    runtime: Arc<Shared>,
    /// `None` once finished. Locked for each poll: if a task woken during
    /// its own poll is taken by another worker, that worker waits here for
    /// the poll to end (tokio marks such a task and lets its poller run it
    /// again instead).
    future: Mutex<Option<Pin<Box<dyn Future<Output = T> + Send>>>>,
    join: Mutex<Join<T>>,
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
}

/// The whole task: stage 4's waker around its home.
type Cell<T> = TaskWaker<Home<T>>;

impl<T: Send + 'static> Schedule for Home<T> {
    /// Where a wake puts a task: the runtime decides (`Runtime::push`).
    fn schedule(task: Arc<Cell<T>>) {
        let runtime = Arc::clone(&task.shared.runtime);
        runtime.push(task);
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
    let home = Home {
        runtime: Arc::clone(runtime),
        future: Mutex::new(Some(Box::pin(future))),
        join: Mutex::new(Join::Running(None)),
    };
    let cell = TaskWaker::new(id, home);
    // Queued as a wake would queue it: its first poll comes in turn.
    TaskWaker::queue(Arc::clone(&cell));
    JoinHandle { task: cell }
}

impl<T: Send + 'static> Run for Cell<T> {
    fn run(self: Arc<Self>) {
        let mut future = self.shared.future.lock().unwrap();
        let Some(running) = future.as_mut() else {
            return; // finished: a late wake
        };
        let polled = panic::catch_unwind(AssertUnwindSafe(|| {
            poll_task(&self, running.as_mut(), Wakers::Wake)
        }));
        let output = match polled {
            Ok(Ok(Poll::Pending)) => return,
            Ok(Ok(Poll::Ready(output))) => Ok(output),
            Ok(Err(stuck)) => {
                eprintln!("work-stealing: {stuck}; it is dropped");
                *future = None;
                return;
            }
            Err(panic) => Err(panic),
        };
        *future = None; // dropped here, on the worker that finished it
        drop(future);
        self.finish();
        let mut join = self.shared.join.lock().unwrap();
        if let (Join::Detached, Err(panic)) = (&*join, &output) {
            let message = mini_runtime::panic_message(&**panic);
            eprintln!("work-stealing: task {} panicked ({message})", self.task);
        }
        let before = mem::replace(&mut *join, Join::Done(output));
        drop(join);
        if let Join::Running(Some(waiter)) = before {
            waiter.wake(); // once `join` is unlocked: a wake may run any code
        }
    }

    fn abandon(&self) {
        let future = self.shared.future.lock().unwrap().take();
        drop(future);
    }
}

/// The future of a spawned task's output: [`spawn`](crate::spawn). `Send`,
/// so that it can be awaited on any thread.
///
/// If the task panicked, awaiting the handle resumes its panic. If the
/// handle was dropped, the panic is reported on stderr, naming the task.
#[must_use = "a JoinHandle does nothing unless awaited; the task runs either way"]
pub struct JoinHandle<T: Send + 'static> {
    task: Arc<Cell<T>>,
}

impl<T: Send + 'static> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut join = self.task.shared.join.lock().unwrap();
        if matches!(*join, Join::Running(_)) && self.task.shared.runtime.is_closed() {
            drop(join);
            self.task.abandon(); // nothing will ever poll it again
            panic!("its runtime is gone: the task was dropped, unfinished, with it");
        }
        match mem::replace(&mut *join, Join::Taken) {
            Join::Running(old) => {
                *join = Join::Running(Some(cx.waker().clone()));
                drop(join);
                drop(old); // a waker's drop may run any code: not under the lock
                Poll::Pending
            }
            Join::Done(output) => {
                drop(join);
                Poll::Ready(output.unwrap_or_else(|panic| panic::resume_unwind(panic)))
            }
            Join::Taken => panic!("a JoinHandle was polled after it returned Ready"),
            Join::Detached => unreachable!("a handle is alive: its task is not detached"),
        }
    }
}

impl<T: Send + 'static> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let mut join = self.task.shared.join.lock().unwrap();
        if let Join::Running(waiter) = &mut *join {
            let waiter = waiter.take();
            *join = Join::Detached;
            drop(join);
            drop(waiter); // not under the lock
        }
    }
}
