//! A task's handle, and the task's end of it: where its output goes.
//!
//! A spawned future is wrapped in a [`Spawned`], which the runtime keeps
//! and polls as the task; when the future is Ready (or panics), `Spawned`
//! puts the output where the [`JoinHandle`] finds it and wakes the task
//! awaiting the handle. Dropped unfinished, it tells the handle why.
//!
//! The place they share is an `Arc<Mutex<_>>`, not an `Rc<RefCell<_>>`, so
//! that stage 9, whose tasks move between threads, keeps its tasks' output
//! here too. No waker is woken, cloned or dropped under the lock.

use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;

use pin_project_lite::pin_project;

/// The future of a spawned task's output: [`spawn`](crate::spawn). `Send`
/// when its output is, so that stage 9's handles can be awaited on any
/// thread.
///
/// If the task panicked, awaiting the handle resumes its panic. If the
/// handle was dropped, the panic is reported on stderr, naming the task,
/// and the runtime goes on.
#[must_use = "a JoinHandle does nothing unless awaited; the task runs either way"]
pub struct JoinHandle<T> {
    join: Arc<Mutex<Join<T>>>,
}

/// What a task and its handle share.
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

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let waker = cx.waker().clone(); // a clone may run any code: not under the lock
        let mut join = lock(&self.join);
        let said = match mem::replace(&mut *join, Join::Taken) {
            Join::Running(old) => {
                *join = Join::Running(Some(waker));
                drop(join);
                drop(old); // and so may a drop
                return Poll::Pending;
            }
            Join::Done(output) => {
                drop(join);
                return Poll::Ready(output.unwrap_or_else(|panic| panic::resume_unwind(panic)));
            }
            Join::Taken => "a JoinHandle was polled after it returned Ready",
            Join::Gone(why) => {
                *join = Join::Gone(why);
                why
            }
            Join::Detached => unreachable!("a handle is alive: its task is not detached"),
        };
        drop(join); // panic with the lock let go
        panic!("{said}")
    }
}

impl<T> Drop for JoinHandle<T> {
    /// Lets go of the waiter's waker, which would otherwise hide a waiter
    /// that nothing else can wake from stage 4's stuck checks.
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

pin_project! {
    /// A spawned future, as its runtime keeps it: its output goes to its
    /// handle, so that the task itself is a future of `()`.
    pub struct Spawned<F: Future> {
        // `None` once Ready: dropped in place before its output is given.
        #[pin]
        future: Option<F>,
        end: End<F::Output>,
    }
}

/// The task's end of the handle: its number (for messages), and what the
/// handle says if the task is dropped unfinished.
struct End<T> {
    join: Arc<Mutex<Join<T>>>,
    task: usize,
    gone: &'static str,
}

impl<F: Future> Spawned<F> {
    /// `future` as task number `task`, and its handle, which says `gone`
    /// if the task is dropped unfinished.
    pub fn new(task: usize, gone: &'static str, future: F) -> (Self, JoinHandle<F::Output>) {
        let join = Arc::new(Mutex::new(Join::Running(None)));
        let handle = JoinHandle {
            join: Arc::clone(&join),
        };
        let end = End { join, task, gone };
        let future = Some(future);
        (Spawned { future, end }, handle)
    }
}

impl<F: Future> Future for Spawned<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let future = this.future.as_mut().as_pin_mut();
        let future = future.expect("a task is not polled once it finished");
        let mut output = match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(payload),
        };
        // Dropped before anyone sees its output, as tokio does: what its
        // drop releases is released by then. A panic there is its output.
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| this.future.set(None))) {
            output = output.and(Err(payload));
        }
        let End { join, task, .. } = this.end;
        let mut join = lock(join);
        if let (Join::Detached, Err(payload)) = (&*join, &output) {
            let message = panic_message(&**payload);
            eprintln!(
                "task {task} panicked ({message}), and its handle is gone; the runtime goes on"
            );
        }
        let before = mem::replace(&mut *join, Join::Done(output));
        drop(join);
        // Woken once `join` is unlocked: a wake may run any code.
        if let Join::Running(Some(waiter)) = before {
            waiter.wake();
        }
        Poll::Ready(())
    }
}

impl<T> Drop for End<T> {
    fn drop(&mut self) {
        let mut join = lock(&self.join);
        if let Join::Running(waiter) = &mut *join {
            let waiter = waiter.take();
            *join = Join::Gone(self.gone);
            drop(join);
            if let Some(waiter) = waiter {
                waiter.wake(); // to learn that the task is gone
            }
        }
    }
}

/// A panic's message, where it has one.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    let text = payload.downcast_ref::<&str>().copied();
    text.or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

/// Locks `mutex`, even if a panic poisoned it: no lock here is held across
/// code that leaves what it guards half-changed.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
