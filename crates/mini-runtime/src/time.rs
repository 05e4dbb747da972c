//! Timers: [`sleep`], served by the reactor's deadline map.

use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::Runtime;

/// Waits for `duration`, without a thread: the reactor's wait ends at the
/// earliest deadline, and wakes the task.
///
/// # Panics
///
/// When polled outside [`block_on`](crate::block_on), or after the
/// `block_on` it was first polled in has returned.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        at: Instant::now() + duration,
        timer: None,
    }
}

/// The future of [`sleep`]. Dropped before its deadline, it cancels its timer.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Sleep {
    at: Instant,
    /// The runtime and the timer's key, once registered.
    timer: Option<(Weak<Runtime>, (Instant, u64))>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Registered at an earlier poll: in a runtime that must still run.
        let timer = self.timer.take();
        let timer = timer.map(|(runtime, key)| (Runtime::upgrade(&runtime), key));
        if Instant::now() >= self.at {
            if let Some((runtime, key)) = timer {
                runtime.cancel_timer(key);
            }
            return Poll::Ready(());
        }
        let (runtime, key) = match timer {
            Some((runtime, key)) if runtime.rewait_timer(key, cx.waker()) => (runtime, key),
            _ => {
                let runtime = Runtime::current()
                    .unwrap_or_else(|| panic!("mini_runtime::time::sleep outside block_on"));
                let key = runtime.add_timer(self.at, cx.waker());
                (runtime, key)
            }
        };
        self.timer = Some((Rc::downgrade(&runtime), key));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((runtime, key)) = self.timer.take() {
            // A runtime that is gone took its timers with it.
            if let Some(runtime) = runtime.upgrade() {
                runtime.cancel_timer(key);
            }
        }
    }
}
