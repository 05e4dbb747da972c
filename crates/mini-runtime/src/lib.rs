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
//! - [`spawn`] adds a task, whose [`JoinHandle`] is a future of its output;
//! - [`time::sleep`] waits on the reactor's timers;
//! - [`net`]'s `TcpListener` and `TcpStream` try each non-blocking call and,
//!   on `WouldBlock`, give the reactor the task's waker and return Pending:
//!   stage 5's `FutSocket`, for real.
//!
//! Stage 4's guarantees hold: a woken task is polled once per batch of
//! wakes, and a task that can never be woken is named, not waited for.
//! Left out, and where production runtimes go further (see the book's last
//! chapters): several threads and work stealing, fairness budgets, a timer
//! wheel, cancellation of blocking work, and io_uring.
#![forbid(unsafe_code)]

pub mod demo;
pub mod net;
// A loom build parks instead of waiting in mio (`sync.rs`): the rest of the
// reactor is then unused.
#[cfg_attr(loom, allow(dead_code))]
mod reactor;
mod sync;
pub mod time;

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use reactor::Reactor;
pub use reactor::io_registrations;
use sync::{AtomicBool, Mutex, Rouser, ThreadId};

// ANCHOR: block_on
/// Runs `future` and every task it spawns on this thread, until `future` is
/// done; tasks still pending then are dropped, unfinished (as tokio does).
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
    let main_waker = runtime.task_waker(MAIN);
    let mut ready: Vec<Waker> = Vec::new();
    loop {
        // exercise: poll every woken task once, in the order they were woken; when none is woken, wait in the reactor
        let woken = mem::take(&mut *runtime.shared.woken.lock().unwrap());
        for task in woken {
            if task == MAIN {
                main_waker.queued.swap(false, Ordering::Acquire);
                let poll = main
                    .as_mut()
                    .poll(&mut Context::from_waker(&Waker::from(main_waker.clone())));
                match poll {
                    Poll::Ready(output) => return output,
                    Poll::Pending => check_can_be_woken(MAIN, &main_waker),
                }
            } else {
                runtime.poll_task(task);
            }
        }
        if runtime.shared.woken.lock().unwrap().is_empty() {
            // Nothing to poll: sleep in the operating system until a socket
            // is ready, a timer is due, or another thread wakes a task.
            let turned = runtime.reactor.borrow_mut().turn(&mut ready);
            turned.unwrap_or_else(|error| panic!("the reactor failed: {error}"));
            ready.drain(..).for_each(Waker::wake);
        }
        // end exercise
    }
}
// ANCHOR_END: block_on

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
    let join = Rc::new(RefCell::new(Join {
        output: None,
        waiter: None,
    }));
    let task = Spawned {
        future: Box::pin(future),
        join: Rc::clone(&join),
    };
    runtime.add(Box::pin(task));
    JoinHandle { join }
}

/// The future of a spawned task's output: [`spawn`].
///
/// If the task panicked, awaiting the handle resumes its panic. If the
/// handle was dropped, the panic is reported on stderr, naming the task,
/// and the runtime goes on.
#[must_use = "a JoinHandle does nothing unless awaited; the task runs either way"]
pub struct JoinHandle<T> {
    join: Rc<RefCell<Join<T>>>,
}

/// What a task and its handle share.
struct Join<T> {
    /// The task's output, or its panic, once it is done.
    output: Option<thread::Result<T>>,
    /// The task awaiting the handle, to wake when the output comes.
    waiter: Option<Waker>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut join = self.join.borrow_mut();
        match join.output.take() {
            Some(Ok(output)) => Poll::Ready(output),
            Some(Err(payload)) => {
                drop(join);
                panic::resume_unwind(payload)
            }
            None => {
                join.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A spawned future, with the place its output goes.
struct Spawned<F: Future> {
    future: Pin<Box<F>>,
    join: Rc<RefCell<Join<F::Output>>>,
}

impl<F: Future> Future for Spawned<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let output = match panic::catch_unwind(AssertUnwindSafe(|| self.future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(payload),
        };
        let handle_dropped = Rc::strong_count(&self.join) == 1;
        match output {
            Err(payload) if handle_dropped => {
                let task = Runtime::current().map_or(0, |runtime| runtime.polling.get());
                eprintln!(
                    "mini-runtime: task {task} panicked ({}); the runtime goes on",
                    message(&*payload)
                );
            }
            output => {
                let mut join = self.join.borrow_mut();
                join.output = Some(output);
                if let Some(waiter) = join.waiter.take() {
                    waiter.wake();
                }
            }
        }
        Poll::Ready(())
    }
}

/// A panic's message, where it has one.
fn message(payload: &(dyn Any + Send)) -> &str {
    let text = payload.downcast_ref::<&str>().copied();
    text.or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

/// The main future's task number; spawned tasks count from 1.
const MAIN: usize = 0;

/// The runtime of one `block_on`, reachable from its thread while it runs.
struct Runtime {
    reactor: RefCell<Reactor>,
    /// Spawned tasks by number (0 is the main future, polled by `block_on`
    /// itself); `None` once finished. Taken out while polled, so that a
    /// task may spawn.
    tasks: RefCell<Vec<Option<Task>>>,
    /// The task being polled, for messages.
    polling: std::cell::Cell<usize>,
    shared: Arc<Shared>,
}

/// A spawned task: its future and its waker.
struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Arc<TaskWaker>,
}

/// What the wakers share with the runtime, from any thread.
struct Shared {
    /// The tasks woken since the runtime last looked.
    woken: Mutex<Vec<usize>>,
    /// The runtime's thread: a wake from it needs no system call.
    thread: ThreadId,
    /// Wakes the reactor out of `Poll::poll` (a `mio::Waker`), for wakes
    /// from other threads.
    reactor_waker: Rouser,
}

/// The waker of one task, as in stage 4.
struct TaskWaker {
    task: usize,
    /// Set by the wake that queues the task, cleared (with a swap, Acquire)
    /// before its poll: many wakes between two polls give one poll.
    queued: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // AcqRel: the Release half lets the poll see what the waker did.
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        self.shared.woken.lock().unwrap().push(self.task);
        // From our own thread the runtime is not asleep: it will look at
        // `woken` before it waits again. Only another thread must wake it.
        if sync::current().id() != self.shared.thread {
            sync::rouse(&self.shared.reactor_waker);
        }
    }
}

thread_local! {
    /// The runtime `block_on` is running on this thread, if it is.
    static CURRENT: RefCell<Option<Rc<Runtime>>> = const { RefCell::new(None) };
}

/// Clears [`CURRENT`] when `block_on` ends, however it ends.
struct Entered(Rc<Runtime>);

impl Drop for Entered {
    fn drop(&mut self) {
        // The tasks still pending are dropped, unfinished. Their sockets
        // hold the runtime too, so the cycle is broken here.
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
        let reactor =
            Reactor::new().unwrap_or_else(|error| panic!("cannot start the reactor: {error}"));
        #[cfg(not(loom))]
        let reactor_waker = reactor
            .waker()
            .unwrap_or_else(|error| panic!("cannot start the reactor: {error}"));
        #[cfg(loom)]
        let reactor_waker = sync::current();
        let shared = Arc::new(Shared {
            woken: Mutex::new(vec![MAIN]),
            thread: sync::current().id(),
            reactor_waker,
        });
        let tasks = RefCell::new(vec![None]);
        let runtime = Rc::new(Runtime {
            reactor: RefCell::new(reactor),
            tasks,
            polling: Default::default(),
            shared,
        });
        CURRENT.with(|current| *current.borrow_mut() = Some(Rc::clone(&runtime)));
        Entered(runtime)
    }

    fn current() -> Option<Rc<Runtime>> {
        CURRENT.with(|current| current.borrow().clone())
    }

    fn task_waker(&self, task: usize) -> Arc<TaskWaker> {
        Arc::new(TaskWaker {
            task,
            queued: AtomicBool::new(true),
            shared: Arc::clone(&self.shared),
        })
    }

    /// Adds a task, queued to be polled once.
    fn add(&self, future: Pin<Box<dyn Future<Output = ()>>>) {
        let mut tasks = self.tasks.borrow_mut();
        let waker = self.task_waker(tasks.len());
        self.shared.woken.lock().unwrap().push(tasks.len());
        tasks.push(Some(Task { future, waker }));
    }

    /// Polls spawned task `task`, once, unless it is finished.
    fn poll_task(&self, task: usize) {
        let Some(mut running) = self.tasks.borrow_mut()[task].take() else {
            return;
        };
        running.waker.queued.swap(false, Ordering::Acquire);
        self.polling.set(task);
        let waker = Waker::from(Arc::clone(&running.waker));
        if running
            .future
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
        {
            drop(waker);
            check_can_be_woken(task, &running.waker);
            self.tasks.borrow_mut()[task] = Some(running);
        }
    }
}

/// Panics if nothing but the runtime holds the waker of `task`, which is
/// pending and not queued: nothing can ever wake it.
fn check_can_be_woken(task: usize, waker: &Arc<TaskWaker>) {
    if Arc::strong_count(waker) == 1 && !waker.queued.load(Ordering::Acquire) {
        panic!("task {task} returned Pending but nothing holds its waker: it can never be woken");
    }
}
