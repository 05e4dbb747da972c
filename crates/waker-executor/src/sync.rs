//! The synchronisation types the executor is built from: std's, or loom's
//! when the crate is built with `--cfg loom`.
//!
//! `tests/loom.rs` runs the executor inside `loom::model`, which tries every
//! interleaving of its threads and every value the memory model lets each
//! atomic load return. For that, every atomic, lock, `Arc` and park that takes
//! part in the wake protocol must be loom's. Nothing else changes: the
//! lesson's code names these types and never knows which it got.
//!
//! One thing differs: `Waker::from` needs std's `Arc`, so under loom every
//! waker is built by [`raw_waker`](crate::raw_waker), whose vtable works with
//! loom's `Arc` as well.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};
#[cfg(not(loom))]
pub(crate) use std::task::Wake;
#[cfg(not(loom))]
pub(crate) use std::thread::{Thread, current, park};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};
#[cfg(loom)]
pub(crate) use loom::thread::{Thread, current, park};

/// std's `Wake`, for loom's `Arc`: the same two methods, called as
/// `W::wake(arc)`, since only std's `Arc` can be a `self` type.
#[cfg(loom)]
pub trait Wake {
    /// Wakes, consuming the reference.
    fn wake(this: Arc<Self>);
    /// Wakes, borrowing the reference.
    fn wake_by_ref(this: &Arc<Self>);
}

#[cfg(loom)]
impl Wake for crate::waker::TaskWaker {
    fn wake(this: Arc<Self>) {
        crate::waker::TaskWaker::queue(this);
    }

    fn wake_by_ref(this: &Arc<Self>) {
        crate::waker::TaskWaker::queue(Arc::clone(this));
    }
}

/// A `Waker` for a task's `TaskWaker`: the safe `Waker::from`, or under loom
/// the hand-built vtable.
#[cfg(not(loom))]
pub(crate) fn waker_from(waker: Arc<crate::waker::TaskWaker>) -> std::task::Waker {
    std::task::Waker::from(waker)
}

#[cfg(loom)]
pub(crate) fn waker_from(waker: Arc<crate::waker::TaskWaker>) -> std::task::Waker {
    crate::raw_waker::waker(waker)
}
