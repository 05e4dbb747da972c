//! Stage 9, the article's last claim: tokio is "a multithreaded,
//! work-stealing task scheduler". Here is one, small.
//!
//! Each worker thread has a queue of its own, so that workers rarely touch
//! the same memory. A wake on a worker puts the task in that worker's queue
//! (it is likely to use what the worker just touched); a wake or a spawn
//! from any other thread goes to a global *injector*. A worker whose queue
//! is empty looks in the injector, then steals half of another worker's
//! queue, and only then parks (`idle.rs`: no spinning, no lost wake-up,
//! and a burst of work wakes one worker at a time, not all). One reactor
//! serves all workers: one idle worker waits in it, the others on a
//! condition variable of their own.
//!
//! The futures do not change at all: `poll`, `Pending`, `wake`. A task is
//! still stage 4's `TaskWaker`, with its `queued` flag and `poll_task`; new
//! are where a woken task goes (`task.rs`), and a note that keeps a worker
//! from waiting for another's poll of the same task (`running.rs`). New for the user is
//! `spawn`'s bound, `F: Future + Send + 'static`: a task may move to
//! another thread between two polls (`Send`), and outlives the function
//! that spawned it (`'static`); [`spawn`] shows what does not compile.
//!
//! Left out, and where tokio goes further: a LIFO slot for the task just
//! woken, a fixed ring of 256 tasks per worker, a poll budget, blocking
//! threads, and tuning the injector's interval from measured poll times.
#![forbid(unsafe_code)]

/// Starts `future` as a task of the runtime this thread works for: on
/// this worker's queue on a worker, else on the injector. The future is a
/// state machine of the locals it holds across awaits (stage 6), moved into
/// a task any worker may poll, after the caller has gone on: so it must be
/// `Send` and own what it uses (`'static`). These two do not compile:
///
/// ```compile_fail,E0277
/// # let runtime = work_stealing::Runtime::new(1);
/// runtime.block_on(async {
///     let held = work_stealing::spawn(async {
///         let shared = std::rc::Rc::new(1); // held across the await: not Send
///         work_stealing::yield_now().await;
///         *shared
///     });
///     held.await
/// });
/// ```
/// ```compile_fail,E0597
/// # let runtime = work_stealing::Runtime::new(1);
/// runtime.block_on(async {
///     let local = vec![1, 2, 3];
///     let borrowed = &local; // the task may outlive `local`
///     work_stealing::spawn(async move { borrowed.len() }).await
/// });
/// ```
///
/// Their twins do: the `Rc` gone before the await, the vector moved in.
///
/// ```
/// let runtime = work_stealing::Runtime::new(1);
/// let (one, three) = runtime.block_on(async {
///     let shared = work_stealing::spawn(async {
///         let shared = *std::rc::Rc::new(1); // used and dropped here
///         work_stealing::yield_now().await;
///         shared
///     });
///     let local = vec![1, 2, 3];
///     (shared.await, work_stealing::spawn(async move { local.len() }).await)
/// });
/// assert_eq!((one, three), (1, 3));
/// ```
///
/// # Panics
///
/// Outside a runtime (neither on a worker nor in `block_on`).
#[cfg(not(loom))]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let shared = Shared::current()
        .unwrap_or_else(|| panic!("work_stealing::spawn called outside a runtime"));
    // Relaxed: a number for messages, made unique by the add itself.
    let id = shared
        .next_task
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    task::spawn(&shared, id, future)
}

// The parking protocol, a task's poll state and a socket's readiness, on
// their own: `tests/loom.rs` model-checks them in a build with `--cfg
// loom`, where the runtime around them is left out.
pub mod idle;
pub mod readiness;
pub mod running;
mod sync;

#[cfg(not(loom))]
pub mod demo;
#[cfg(not(loom))]
pub mod net;
#[cfg(not(loom))]
mod reactor;
#[cfg(not(loom))]
mod runtime;
#[cfg(not(loom))]
mod task;
#[cfg(not(loom))]
pub mod time;

#[cfg(not(loom))]
pub use cancellation::{Either, select};
#[cfg(not(loom))]
pub use mini_runtime::JoinHandle;
#[cfg(not(loom))]
pub use mini_runtime::{EVENT_INTERVAL, yield_now};
#[cfg(not(loom))]
pub use runtime::{Runtime, Shared, current_worker, io_registrations};
