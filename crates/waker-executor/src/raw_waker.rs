//! A `Waker` built by hand: the `RawWakerVTable` that `Waker::from(Arc<W>)`
//! writes for you, spelled out.
//!
//! A [`Waker`] is two pointers: `data`, which here is an `Arc<W>` turned into
//! a raw pointer, and a table of four functions that say what cloning,
//! waking, waking by reference and dropping do with that pointer. The
//! `Waker` calls them without knowing what `data` is, so each function must
//! keep one rule: **every `Waker` owns exactly one strong reference of the
//! `Arc`.** Then the reference count equals the number of live wakers (plus
//! the executor's own references), and the `Arc` is freed with the last one.
//!
//! - `waker`: `Arc::into_raw` keeps the reference we were given, now owned by
//!   the new `Waker`.
//! - `clone`: a new `Waker` needs a reference of its own: increment.
//! - `wake`: consumes the `Waker`, so it takes its reference back
//!   (`Arc::from_raw`) and hands it to `Wake::wake`, which drops it.
//! - `wake_by_ref`: the `Waker` lives on, so its reference is only borrowed:
//!   `Arc::from_raw` inside `ManuallyDrop`, which never decrements.
//! - `drop`: gives the reference back: decrement.
//!
//! One slip (a missing increment, a `from_raw` without `ManuallyDrop`) frees
//! the `Arc` while wakers still point at it. The tests check the count after
//! every order of these operations, and CI runs them under valgrind.
#![warn(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

use std::mem::ManuallyDrop;
use std::task::{RawWaker, RawWakerVTable, Waker};

// std's `Arc` and `Wake`, or loom's `Arc` and a twin of `Wake` in a model
// (`sync.rs`): the vtable is the same for both.
use crate::sync::Arc;
#[cfg(not(loom))]
use crate::sync::Wake;

/// A `Waker` that wakes `wake`: the same as `Waker::from(wake)`, by hand.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use lab::measure::WakeCounter;
/// use waker_executor::raw_waker;
///
/// let counter = WakeCounter::new();
/// let waker = raw_waker::waker(Arc::clone(&counter));
/// waker.wake_by_ref();
/// let twin = waker.clone();
/// assert_eq!(counter.live_wakers(), 2);
/// twin.wake();
/// drop(waker);
/// assert_eq!((counter.wakes(), counter.live_wakers()), (2, 0));
/// ```
pub fn waker<W: Wake + Send + Sync + 'static>(wake: Arc<W>) -> Waker {
    #[cfg(loom)]
    W::made(&wake);
    let data = Arc::into_raw(wake).cast::<()>();
    // SAFETY: `data` comes from `Arc::<W>::into_raw` and carries the one
    // strong reference the new `Waker` owns; the vtable of `W` treats it so,
    // and `W` is Send + Sync, as a `Waker` may travel to any thread.
    unsafe { Waker::from_raw(RawWaker::new(data, vtable::<W>())) }
}

/// The four functions for wakers of `W`.
fn vtable<W: Wake + Send + Sync + 'static>() -> &'static RawWakerVTable {
    &RawWakerVTable::new(clone::<W>, wake::<W>, wake_by_ref::<W>, drop::<W>)
}

/// Makes a second `Waker` for the same `Arc`.
///
/// # Safety
///
/// `data` must be the pointer of a live `Waker` made by [`waker`] for `W`.
unsafe fn clone<W: Wake + Send + Sync + 'static>(data: *const ()) -> RawWaker {
    // SAFETY: `data` is an `Arc<W>` pointer whose reference the calling
    // `Waker` still owns, so the `Arc` is alive. The new reference belongs to
    // the `RawWaker` we return.
    unsafe { Arc::increment_strong_count(data.cast::<W>()) };
    #[cfg(loom)]
    {
        // SAFETY: as above; the reference is only borrowed, for the count.
        let counted = ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<W>()) });
        W::made(&counted);
    }
    RawWaker::new(data, vtable::<W>())
}

/// Wakes, consuming the `Waker`.
///
/// # Safety
///
/// As [`clone`]; the `Waker` is not used again.
unsafe fn wake<W: Wake + Send + Sync + 'static>(data: *const ()) {
    // SAFETY: takes back the reference the consumed `Waker` owned, exactly
    // once; `Wake::wake` drops it when done.
    let wake = unsafe { Arc::from_raw(data.cast::<W>()) };
    // In a model, the `Waker` is counted gone once its wake is done.
    #[cfg(loom)]
    let counted = Arc::clone(&wake);
    W::wake(wake);
    #[cfg(loom)]
    W::gone(&counted);
}

/// Wakes, leaving the `Waker` as it is.
///
/// # Safety
///
/// As [`clone`].
unsafe fn wake_by_ref<W: Wake + Send + Sync + 'static>(data: *const ()) {
    // SAFETY: borrows the reference the `Waker` still owns; `ManuallyDrop`
    // keeps us from dropping it, so the count is unchanged.
    let wake = ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<W>()) });
    W::wake_by_ref(&wake);
}

/// Drops the `Waker`.
///
/// # Safety
///
/// As [`clone`]; the `Waker` is not used again.
unsafe fn drop<W: Wake + Send + Sync + 'static>(data: *const ()) {
    #[cfg(loom)]
    {
        // SAFETY: the dropped `Waker` still owns its reference here;
        // borrowed only, for the count.
        let counted = ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<W>()) });
        W::gone(&counted);
    }
    // SAFETY: gives back the reference the dropped `Waker` owned, exactly
    // once; the `Arc` is freed if it was the last.
    unsafe { Arc::decrement_strong_count(data.cast::<W>()) };
}

/// How an executor builds its wakers. Both behave the same; the tests run
/// everything with both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Wakers {
    /// With the safe [`std::task::Wake`] trait: `Waker::from(Arc<TaskWaker>)`.
    #[default]
    Wake,
    /// By hand, from this module's `RawWakerVTable`: [`waker`].
    RawVtable,
}

impl Wakers {
    /// A `Waker` for a task's `TaskWaker`, built the chosen way.
    pub(crate) fn make<S: crate::Schedule>(self, task_waker: &Arc<crate::TaskWaker<S>>) -> Waker {
        match self {
            // `Waker::from` needs std's `Arc`: a loom build uses the vtable.
            #[cfg(not(loom))]
            Wakers::Wake => Waker::from(Arc::clone(task_waker)),
            #[cfg(loom)]
            Wakers::Wake => waker(Arc::clone(task_waker)),
            Wakers::RawVtable => waker(Arc::clone(task_waker)),
        }
    }
}

/// std's `Wake`, for loom's `Arc`: the same two methods, called as
/// `W::wake(arc)`, since only std's `Arc` can be a `self` type; and two
/// more, with which a model counts the `Waker`s alive (`sync::unshared`).
#[cfg(loom)]
pub trait Wake {
    /// Wakes, consuming the reference.
    fn wake(this: Arc<Self>);
    /// Wakes, borrowing the reference.
    fn wake_by_ref(this: &Arc<Self>);
    /// A `Waker` of `this` was made.
    fn made(_this: &Arc<Self>) {}
    /// A `Waker` of `this` was dropped, or woken by value.
    fn gone(_this: &Arc<Self>) {}
}

#[cfg(loom)]
impl<S: crate::Schedule> Wake for crate::TaskWaker<S> {
    fn wake(this: Arc<Self>) {
        crate::TaskWaker::queue(this);
    }

    fn wake_by_ref(this: &Arc<Self>) {
        crate::TaskWaker::queue(Arc::clone(this));
    }

    fn made(this: &Arc<Self>) {
        // Relaxed, as std's `Arc::clone`: a new reference orders nothing.
        this.wakers
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn gone(this: &Arc<Self>) {
        // Release, as std's `Arc` drop: what this thread did with the
        // `Waker` (a wake) happens before a fenced read of the count.
        this.wakers
            .fetch_sub(1, std::sync::atomic::Ordering::Release);
    }
}

/// In a model: whether no `Waker` of the task is alive (whether it is in
/// the inbox, `queued` says). The count is kept as std's `Arc` keeps its
/// own: up with Relaxed when a `Waker` is made, down with Release when one
/// is gone, and read here with Relaxed.
#[cfg(loom)]
pub(crate) fn unshared<S: crate::Schedule>(waker: &Arc<crate::TaskWaker<S>>) -> bool {
    waker.wakers.load(std::sync::atomic::Ordering::Relaxed) == 0
}
