//! Stage 5, "Defining poll": the socket as a [`std::future::Future`],
//! written by hand.
//!
//! Stage 4's executor needed futures that keep the contract of `poll`; its
//! demo wrote one inline. Here it becomes a type, [`FutSocket`], and its
//! `poll` is the whole lesson of the article's "Defining poll": `Ready` with
//! the socket's number when there is one, and otherwise `Pending` only once
//! the task's waker will be woken when polling again can make progress,
//! without ever losing that wake-up. `poll` itself says how, step by step.
//!
//! Compared with stage 2's `SimpleFuture`, two things changed. `poll` takes
//! `self: Pin<&mut Self>`: a promise, made by whoever pinned the future, that
//! a future which is not `Unpin` stays where it is until it is dropped.
//! `FutSocket` holds nothing that points into itself, so it is `Unpin`: the
//! pin promises nothing about it, and `Pin::get_mut` turns it back into a
//! plain `&mut`. And instead of a bare `fn()` it gets a `Context`, whose
//! waker knows which task it wakes.
//!
//! Because it keeps the contract and nothing more, a `FutSocket` runs
//! unchanged on this workspace's executor and on `futures_executor`'s, with
//! the minimum of two polls for a socket not readable at its first poll (the
//! demo shows both). Stage 6 puts such futures together with
//! `async`/`.await` instead of by hand.
#![forbid(unsafe_code)]

pub mod demo;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use socket_sim::{MySocket, SocketBuilder};

/// A [`MySocket`] as a std `Future`: ready with the socket's number.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use futsocket::FutSocket;
/// use socket_sim::MySocket;
///
/// # lab::patience::within_patience(|| {
/// let socket = FutSocket::from(MySocket::builder().delay(Duration::from_millis(10)).value(7));
/// assert_eq!(waker_executor::block_on(socket), 7);
/// # });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct FutSocket {
    inner: MySocket,
    /// Set when `poll` returned `Ready`, to catch a poll after that.
    finished: bool,
}

impl FutSocket {
    /// A future over a new socket with the default delay: [`MySocket::new`].
    pub fn new() -> Self {
        Self::from(MySocket::new())
    }
}

impl Default for FutSocket {
    fn default() -> Self {
        Self::new()
    }
}

impl From<MySocket> for FutSocket {
    fn from(inner: MySocket) -> Self {
        FutSocket {
            inner,
            finished: false,
        }
    }
}

impl From<SocketBuilder> for FutSocket {
    /// Builds the socket now: its delay starts with the future, not with its first poll.
    fn from(builder: SocketBuilder) -> Self {
        Self::from(builder.build())
    }
}

// ANCHOR: poll
impl Future for FutSocket {
    type Output = i32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i32> {
        // FutSocket is Unpin: the pin promises nothing, so it may be undone.
        let this = self.get_mut();
        assert!(
            !this.finished,
            "FutSocket polled after it returned Ready: a finished future must not be polled again"
        );
        // exercise: Ready with the number if readable; else give the socket a clone of this task's waker and say Pending
        // 1. Readable: Ready with the number.
        // 2. Otherwise, hand the socket a clone of this task's waker, and say
        //    Pending. It keeps only the newest, as `Future`'s contract asks:
        //    a future may be polled with a different waker than last time
        //    (handed to another task, or polled by a combinator such as
        //    `FuturesUnordered` with a waker of its own), and only the
        //    newest is to be woken.
        if this.inner.has_data_to_read() {
            this.finished = true;
            Poll::Ready(this.inner.read_data())
        } else {
            // Readable since the check? Then this wakes the waker at once:
            // the race that loses wake-ups in many hand-written futures is
            // the socket's to close, under its lock.
            this.inner.set_readable_callback(cx.waker().clone());
            Poll::Pending
        }
        // end exercise
    }
}
// ANCHOR_END: poll
