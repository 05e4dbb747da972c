//! Timers: [`sleep`], served by the reactor's deadline map, written against
//! [`Host`] so that stage 9's sleeps are these, on its own reactor.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::{Host, Runtime, alive, current};

/// Waits for `duration`, without a thread: the reactor's wait ends at the
/// earliest deadline, and wakes the task.
///
/// # Panics
///
/// When polled outside [`block_on`](crate::block_on), or after the
/// `block_on` it was first polled in has returned.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(duration)
}

/// The future of [`sleep`]: a [`SleepOn`] on this runtime.
pub type Sleep = SleepOn<Runtime>;

/// A sleep on the timers of runtime `H`. Dropped before its deadline, it
/// cancels its timer.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct SleepOn<H: Host> {
    at: Instant,
    /// The runtime and the timer's key, once registered.
    timer: Option<(H::Weak, (Instant, u64))>,
}

impl<H: Host> SleepOn<H> {
    /// Waits for `duration`, from now.
    pub fn new(duration: Duration) -> Self {
        let at = Instant::now() + duration;
        SleepOn { at, timer: None }
    }
}

impl<H: Host> Future for SleepOn<H> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Registered at an earlier poll, in a runtime that must still run:
        // that timer goes, since this poll's waker may be another task's.
        let registered = self.timer.take().map(|(runtime, key)| {
            let runtime = alive::<H>(&runtime);
            runtime.cancel_timer(key);
            runtime
        });
        if Instant::now() >= self.at {
            return Poll::Ready(());
        }
        let runtime = registered.unwrap_or_else(current::<H>);
        let key = runtime.add_timer(self.at, cx.waker());
        self.timer = Some((H::downgrade(&runtime), key));
        Poll::Pending
    }
}

impl<H: Host> Drop for SleepOn<H> {
    fn drop(&mut self) {
        if let Some((runtime, key)) = self.timer.take() {
            // A runtime that is gone took its timers with it.
            if let Some(runtime) = H::upgrade(&runtime) {
                runtime.cancel_timer(key);
            }
        }
    }
}
