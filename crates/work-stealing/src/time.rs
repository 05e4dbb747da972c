//! Timers: [`sleep`], served by the shared reactor's deadline map, as stage
//! 7's were by its own. Any worker may poll a `Sleep`; the worker waiting
//! in the reactor wakes at the earliest deadline, and is roused when a
//! timer due sooner is added.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::Shared;

/// Waits for `duration` (awaited on a worker or in `block_on`).
///
/// # Panics
///
/// When polled outside a runtime, or after the runtime it was first polled
/// in has been dropped.
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
    timer: Option<(Weak<Shared>, (Instant, u64))>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let timer = self
            .timer
            .take()
            .map(|(shared, key)| (upgrade(&shared), key));
        if Instant::now() >= self.at {
            if let Some((shared, key)) = timer {
                shared.reactor.cancel_timer(key);
            }
            return Poll::Ready(());
        }
        let (shared, key) = match timer {
            Some((shared, key)) if shared.reactor.rewait_timer(key, cx.waker()) => (shared, key),
            _ => {
                let shared = Shared::current()
                    .unwrap_or_else(|| panic!("work_stealing::time::sleep outside a runtime"));
                let key = shared.reactor.add_timer(self.at, cx.waker());
                (shared, key)
            }
        };
        self.timer = Some((Arc::downgrade(&shared), key));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((shared, key)) = self.timer.take() {
            // A runtime that is gone took its timers with it.
            if let Some(shared) = shared.upgrade() {
                shared.reactor.cancel_timer(key);
            }
        }
    }
}

/// The runtime behind `weak`, which a sleep or a socket keeps.
///
/// # Panics
///
/// If that runtime is gone: the thing polled outlived it.
pub(crate) fn upgrade(weak: &Weak<Shared>) -> Arc<Shared> {
    match weak.upgrade() {
        Some(shared) if !shared.is_closed() => shared,
        _ => panic!("its runtime is gone: the Runtime it belonged to was dropped"),
    }
}
