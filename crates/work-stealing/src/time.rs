//! Timers: stage 7's [`sleep`], on the shared reactor's deadline map. Any
//! worker may poll a `Sleep`; the worker waiting in the reactor wakes at
//! the earliest deadline, and is roused when a timer due sooner is added.

use std::time::Duration;

use mini_runtime::time::SleepOn;

use crate::Shared;

/// Waits for `duration` (awaited on a worker or in `block_on`).
///
/// # Panics
///
/// When polled outside a runtime, or after the runtime it was first polled
/// in has been dropped.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(duration)
}

/// The future of [`sleep`]: stage 7's, on this runtime.
pub type Sleep = SleepOn<Shared>;
