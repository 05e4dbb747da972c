//! Stage 7, "How is it used in production": the same ideas on real TCP
//! sockets, with a reactor, timers and spawned tasks, on one thread.
//!
//! Stage 1's socket said its readiness would come from epoll; here it does.
//! A *reactor* (`reactor.rs`, on `mio`: epoll on Linux, kqueue on macOS)
//! holds, for every registered socket, the wakers waiting for it to become
//! readable or writable. The executor's thread parks *in* the reactor: where
//! stage 4 parked and a timer thread woke it, [`block_on`] waits in
//! `mio::Poll::poll`, with the next timer deadline as its timeout, and
//! wakes the tasks whose sockets or timers are ready. No helper thread at
//! all; wakes from other threads arrive through a `mio::Waker`.
//!
//! The tasks are stage 4's: the same `TaskWaker`, inbox and stuck checks,
//! roused through the reactor instead of by `unpark`. What is new:
//! - [`spawn`] adds a task, whose [`JoinHandle`] is a future of its output;
//! - [`time::sleep`] waits on the reactor's timers;
//! - [`net`]'s `TcpListener` and `TcpStream` try each non-blocking call and,
//!   on `WouldBlock`, give the reactor the task's waker and return Pending:
//!   stage 5's `FutSocket`, for real;
//! - the reactor is asked for news every 61 polls even while tasks keep
//!   waking each other, so that a busy task never starves a socket or a timer.
//!
//! Left out, and where production runtimes go further (see the book's last
//! chapters): several threads and work stealing (stage 9), budgets that
//! make a task yield after so many operations (tokio's coop), a timer
//! wheel, cancellation of blocking work, and io_uring.
#![forbid(unsafe_code)]

pub mod demo;
pub mod join;
pub mod net;
// A loom build parks instead of waiting in mio (`sync.rs`): the rest of the
// reactor is then unused.
#[cfg_attr(loom, allow(dead_code))]
mod reactor;
mod sync;
pub mod time;

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::mem;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Poll, Waker};

use slab::Slab;
use waker_executor::{Rouse, Shared, TaskWaker, Wakers, poll_task};

use join::Spawned;
pub use join::{JoinHandle, panic_message};
use reactor::Reactor;
pub use reactor::{Host, io_registrations};
use sync::{Arc, ReactorWaker, ThreadId};

/// Polls between two looks at the reactor while tasks stay woken: tokio's
/// number for its current-thread runtime (`event_interval`).
pub const EVENT_INTERVAL: u32 = 61;

// ANCHOR: block_on
/// Runs `future` and every task it spawns on this thread, until `future` is
/// done; tasks still pending then are dropped, unfinished.
///
/// # Panics
///
/// If `future` panics, if a task can never be woken, or when called inside
/// `block_on` (one runtime per thread).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let answer = mini_runtime::block_on(async {
///     let task = mini_runtime::spawn(async { 6 * 7 });
///     mini_runtime::time::sleep(Duration::from_millis(1)).await;
///     task.await
/// });
/// assert_eq!(answer, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let entered = Runtime::enter();
    let runtime = &entered.0;
    let mut main = pin!(future);
    // exercise: take the woken tasks; with none, wait in the reactor; else poll each once, and every EVENT_INTERVAL polls look at the reactor without waiting
    let mut woken = Vec::new();
    let mut polls = 0;
    loop {
        runtime.shared.take(&mut woken).unwrap_or_else(stuck);
        if woken.is_empty() {
            // Nothing to poll: sleep in the operating system until a socket
            // is ready, a timer is due, or another thread wakes a task.
            runtime.turn(true);
            continue;
        }
        for waker in woken.drain(..) {
            if waker.task != MAIN {
                runtime.poll_spawned(waker);
            } else if let Poll::Ready(output) = poll(&waker, main.as_mut()) {
                return output;
            }
            // Tasks that wake each other would keep the inbox full for
            // ever: without this look, sockets and timers would starve.
            polls += 1;
            if polls == EVENT_INTERVAL {
                polls = 0;
                runtime.turn(false);
            }
        }
    }
    // end exercise
}
// ANCHOR_END: block_on

/// Stage 4's poll of a woken task; a task that can never be woken panics.
fn poll<F: Future + ?Sized>(
    waker: &Arc<TaskWaker<Arc<Shared<Rouser>>>>,
    future: Pin<&mut F>,
) -> Poll<F::Output> {
    poll_task(waker, future, Wakers::Wake).unwrap_or_else(stuck)
}

fn stuck<T>(stuck: waker_executor::Stuck) -> T {
    panic!("{stuck}")
}

/// Lets the other tasks, the sockets and the timers have a turn: Pending
/// once, having woken itself, so that the runtime polls it again soon.
pub async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if mem::replace(&mut yielded, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// Starts `future` as a task of the runtime this thread is running, and
/// returns a handle that is a future of its output. The task runs whether
/// or not the handle is awaited; `Send` is not needed (one thread).
///
/// # Panics
///
/// Outside [`block_on`].
pub fn spawn<F: Future + 'static>(future: F) -> JoinHandle<F::Output> {
    let runtime =
        Runtime::current().unwrap_or_else(|| panic!("mini_runtime::spawn called outside block_on"));
    let mut tasks = runtime.tasks.borrow_mut();
    let entry = tasks.vacant_entry();
    let task = entry.key();
    let (future, handle) = Spawned::new(task, GONE, future);
    entry.insert(Some(Box::pin(future)));
    drop(tasks);
    // Queued as if woken: it is polled once, in turn.
    TaskWaker::queue(TaskWaker::new(task, Arc::clone(&runtime.shared)));
    handle
}

/// What a handle, a sleep or a socket says when polled after its runtime.
const GONE: &str = "its runtime is gone: the block_on it belonged to has returned";

/// The runtime behind `weak`, which a sleep or a socket keeps.
///
/// # Panics
///
/// If that runtime is gone: the thing polled outlived it.
fn alive<H: Host>(weak: &H::Weak) -> H::Strong {
    H::upgrade(weak).unwrap_or_else(|| panic!("{}", H::GONE))
}

/// The runtime this thread is running, for a new socket or sleep.
///
/// # Panics
///
/// Outside a runtime.
fn current<H: Host>() -> H::Strong {
    H::current().unwrap_or_else(|| panic!("{}", H::OUTSIDE))
}

/// The main future's task number (its slot stays empty: `block_on` polls
/// it itself); spawned tasks count from 1.
const MAIN: usize = 0;

/// The runtime of one `block_on`, reachable from its thread while it runs.
/// Nothing of it is public but what sockets and sleeps need: [`Host`].
pub struct Runtime {
    reactor: RefCell<Reactor>,
    /// The spawned tasks' futures, by task number. A slot is `None` while
    /// its task is polled (so that the task may spawn), and once its task
    /// is finished while a wake of it is still queued: the slot is reused
    /// only when no queued wake names it any more.
    tasks: RefCell<Slab<Option<Task>>>,
    /// Stage 4's inbox, roused through the reactor.
    shared: Arc<Shared<Rouser>>,
}

/// A spawned task's future.
type Task = Pin<Box<dyn Future<Output = ()>>>;

/// How a wake rouses this runtime (whose thread is the first field): the
/// reactor's `mio::Waker`, which makes its wait return. From the runtime's
/// own thread there is nothing to rouse: it is running, and will look at
/// its inbox before it waits again.
struct Rouser(ThreadId, ReactorWaker);

impl Rouse for Rouser {
    fn rouse(&self) {
        if sync::current().id() != self.0 {
            // An error means the reactor is gone: the run is over.
            let _ = self.1.wake();
        }
    }
}

thread_local! {
    /// The runtime `block_on` is running on this thread, if it is.
    static CURRENT: RefCell<Option<Rc<Runtime>>> = const { RefCell::new(None) };
}

/// Ends the run when `block_on` returns, however it returns.
struct Entered(Rc<Runtime>);

impl Drop for Entered {
    fn drop(&mut self) {
        // From now on a wake, or a waker's last drop, does nothing.
        self.0.shared.close();
        // The tasks still pending are dropped, unfinished, while the runtime
        // is still current: their sockets deregister, their handles say
        // their runtime is gone.
        let tasks = mem::take(&mut *self.0.tasks.borrow_mut());
        drop(tasks);
        CURRENT.with(|current| current.borrow_mut().take());
    }
}

impl Runtime {
    fn enter() -> Entered {
        assert!(
            Runtime::current().is_none(),
            "mini_runtime::block_on called inside block_on"
        );
        let started = Reactor::new().and_then(|reactor| Ok((reactor.waker()?, reactor)));
        let (waker, reactor) =
            started.unwrap_or_else(|error| panic!("cannot start the reactor: {error}"));
        let shared = Shared::new(Rouser(sync::current().id(), waker));
        let mut tasks = Slab::new();
        tasks.insert(None); // the main future's slot
        TaskWaker::queue(TaskWaker::new(MAIN, Arc::clone(&shared))); // polled once, at the start
        let runtime = Rc::new(Runtime {
            reactor: RefCell::new(reactor),
            tasks: RefCell::new(tasks),
            shared,
        });
        CURRENT.with(|current| *current.borrow_mut() = Some(Rc::clone(&runtime)));
        Entered(runtime)
    }

    fn current() -> Option<Rc<Runtime>> {
        CURRENT.with(|current| current.borrow().clone())
    }

    /// Polls the spawned task of `waker`, which was woken.
    fn poll_spawned(&self, waker: Arc<TaskWaker<Arc<Shared<Rouser>>>>) {
        let task = waker.task;
        let Some(mut future) = self.tasks.borrow_mut()[task].take() else {
            // Finished, and this is the wake it queued at its last poll:
            // now nothing names the slot, and it can be reused.
            self.tasks.borrow_mut().remove(task);
            return;
        };
        match poll(&waker, future.as_mut()) {
            Poll::Pending => self.tasks.borrow_mut()[task] = Some(future),
            Poll::Ready(()) if waker.finish() => {} // a wake is queued: keep the slot
            Poll::Ready(()) => drop(self.tasks.borrow_mut().remove(task)),
        }
    }

    /// Asks the reactor which sockets and timers are ready (waiting until
    /// one is, or until the next deadline, if `wait`) and wakes their tasks.
    fn turn(&self, wait: bool) {
        let mut ready = Vec::new();
        let turned = self.reactor.borrow_mut().turn(wait, &mut ready);
        turned.unwrap_or_else(|error| panic!("the reactor failed: {error}"));
        // Woken once the reactor is no longer borrowed: a wake may run any code.
        ready.into_iter().for_each(Waker::wake);
    }
}
