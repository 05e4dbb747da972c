//! Blocking work, such as opening or reading a file, done on helper threads
//! and awaited as a future.
//!
//! A socket can say "I am readable now" (stage 1's timer stands in for
//! epoll); a regular file cannot. `poll` and `select` report a regular file
//! as always ready, and Linux's `epoll_ctl` refuses to watch one at all
//! (`EPERM`), yet the read itself may block on the disk. So real runtimes
//! (tokio's `spawn_blocking`, smol's `blocking` crate) hand file work to a
//! pool of threads and wake the waiting task when the work is done. This is that, in
//! small: [`WORKERS`] threads taking jobs from one queue, each running one
//! job at a time, so up to `WORKERS` jobs run side by side; and a
//! [`Blocking`] future per job.
//!
//! Like every Rust future, a `Blocking` does nothing until it is polled: its
//! first poll stores the waker, sends the job to the pool and returns
//! Pending; the pool thread runs the job, stores the result and wakes the
//! task; the next poll returns it. So a `Blocking` awaited on its own is
//! polled twice; inside a `join` it is polled again whenever the other
//! half is woken, and returns Pending until its job is done.
//!
//! A job that panics fails its own future only, as a thread's `join` would:
//! the panic is caught on the helper thread, and resumed in the task that
//! awaits the job. A waker that panics when the helper thread wakes it is an
//! executor's bug, and is caught and reported too. Either way the helper
//! thread goes on to the next job.

use std::cell::RefCell;
use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

/// How many helper threads the pool has.
pub const WORKERS: usize = 4;

/// The name of a helper thread, as `/proc/self/task/*/comm` shows it.
pub const WORKER_NAME: &str = "blocking-io";

/// A job for the pool.
type Job = Box<dyn FnOnce() + Send>;

/// Runs `work` on a helper thread once this future is first polled, and
/// completes with its result. `name` labels the job in [`watch_polls`].
///
/// # Panics
///
/// Awaiting it panics if `work` panicked, with `work`'s own panic.
///
/// # Examples
///
/// ```
/// use async_await_demo::blocking::spawn_blocking;
///
/// let caller = std::thread::current().id();
/// let (worker, sum) = waker_executor::block_on(spawn_blocking("sum", || {
///     (std::thread::current().id(), (1..=10).sum::<u32>())
/// }));
/// assert_eq!(sum, 55);
/// assert_ne!(worker, caller, "the work ran on a helper thread");
/// ```
pub fn spawn_blocking<T: Send + 'static>(
    name: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Blocking<T> {
    Blocking {
        name,
        work: Some(Box::new(work)),
        slot: Arc::default(),
    }
}

/// The future of a job on the helper threads: [`spawn_blocking`].
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Blocking<T> {
    name: &'static str,
    /// The job, until the first poll sends it to the pool.
    work: Option<Box<dyn FnOnce() -> T + Send>>,
    /// Where the pool thread leaves the result, shared with it.
    slot: Arc<Mutex<Slot<T>>>,
}

/// What a job gave: its value, or the payload of its panic.
type Outcome<T> = thread::Result<T>;

/// A job's progress, as the future and the pool thread see it.
///
/// No code that can panic runs while it is locked (the job runs before, the
/// waker is woken after, a panic is resumed after), so the lock is never
/// poisoned.
enum Slot<T> {
    /// Sent to the pool; the waker to wake when it is done.
    Running(Option<Waker>),
    /// Done: the outcome, waiting for the next poll.
    Done(Outcome<T>),
    /// The result was returned by `poll`.
    Taken,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot::Running(None)
    }
}

impl<T: Send + 'static> Future for Blocking<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let poll = self.poll_job(cx);
        note_poll(self.name, poll.is_ready());
        match poll {
            Poll::Ready(Ok(value)) => Poll::Ready(value),
            // The job's own panic, going on in the task that awaits it.
            Poll::Ready(Err(payload)) => panic::resume_unwind(payload),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: Send + 'static> Blocking<T> {
    fn poll_job(&mut self, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        // Cloned before the lock: a waker's clone is an executor's code.
        let waker = cx.waker().clone();
        let mut slot = self.slot.lock().unwrap();
        match mem::replace(&mut *slot, Slot::Taken) {
            Slot::Done(result) => Poll::Ready(result),
            Slot::Running(_) => {
                // Store (or replace) the waker before the job can finish.
                *slot = Slot::Running(Some(waker));
                drop(slot);
                if let Some(work) = self.work.take() {
                    send_to_pool(work, Arc::clone(&self.slot));
                }
                Poll::Pending
            }
            Slot::Taken => {
                drop(slot); // a broken contract is no reason to poison the lock
                panic!(
                    "Blocking polled after it returned Ready: a finished future must not be polled again"
                )
            }
        }
    }
}

/// Queues `work` for the pool (started on first use); its result goes to `slot`.
fn send_to_pool<T: Send + 'static>(work: Box<dyn FnOnce() -> T + Send>, slot: Arc<Mutex<Slot<T>>>) {
    static POOL: LazyLock<Sender<Job>> = LazyLock::new(start_pool);
    let job = move || {
        // Caught here, so that it fails this job's future and nothing else.
        let outcome = panic::catch_unwind(AssertUnwindSafe(work));
        let waker = match mem::replace(&mut *slot.lock().unwrap(), Slot::Done(outcome)) {
            Slot::Running(waker) => waker,
            Slot::Done(_) | Slot::Taken => unreachable!("a job runs once"),
        };
        // Woken after the lock is released: the waker may poll at once.
        if let Some(waker) = waker {
            wake(waker);
        }
    };
    POOL.send(Box::new(job))
        .expect("the helper threads never stop");
}

/// Wakes `waker`. A waker is an executor's code, and may panic: that is its
/// bug, and must not cost the pool a thread (a pool that lost all of them
/// would run no job again), so the panic is caught here (the panic hook has
/// already printed it) and the helper thread goes on.
fn wake(waker: Waker) {
    if panic::catch_unwind(AssertUnwindSafe(|| waker.wake())).is_err() {
        eprintln!(
            "async-await-demo: a waker panicked in wake() (see above); the helper thread goes on with the next job"
        );
    }
}

/// Starts the helper threads, which take jobs from one queue.
fn start_pool() -> Sender<Job> {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    for _ in 0..WORKERS {
        let receiver = Arc::clone(&receiver);
        thread::Builder::new()
            .name(WORKER_NAME.to_owned())
            .spawn(move || {
                loop {
                    // The lock is held while waiting for the next job, and
                    // let go before running it (a `while let` on the lock
                    // would hold it through the job, and run one job at a
                    // time on the whole pool). `recv` cannot panic, so the
                    // lock is never poisoned.
                    let next = receiver.lock().unwrap().recv();
                    let Ok(job) = next else { break };
                    job();
                }
            })
            .expect("cannot start a blocking-io thread");
    }
    sender
}

/// One poll of a [`Blocking`] future, as [`watch_polls`] records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobPoll {
    /// The job's name: "open", "read", ...
    pub job: &'static str,
    /// Whether that poll returned Ready.
    pub ready: bool,
}

thread_local! {
    /// The polls [`watch_polls`] is recording on this thread, if it is.
    static WATCHED: RefCell<Option<Vec<JobPoll>>> = const { RefCell::new(None) };
}

/// Runs `f` and returns, with its result, every poll of a `Blocking` future
/// made on this thread meanwhile: which await point a future stood at.
pub fn watch_polls<R>(f: impl FnOnce() -> R) -> (R, Vec<JobPoll>) {
    let outer = WATCHED.with(|watched| watched.replace(Some(Vec::new())));
    let result = f();
    let polls = WATCHED
        .with(|watched| watched.replace(outer))
        .unwrap_or_default();
    (result, polls)
}

fn note_poll(job: &'static str, ready: bool) {
    WATCHED.with(|watched| {
        if let Some(polls) = watched.borrow_mut().as_mut() {
            polls.push(JobPoll { job, ready });
        }
    });
}
