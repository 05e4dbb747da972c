//! Stage 2, "How does it really work": a future is something you poll.
//!
//! Stage 1 needed a new function for every combination of sockets. Here
//! everything we wait for takes one shape, [`SimpleFuture`]: a `poll` that
//! never blocks and answers either [`Poll::Ready`] with the result or
//! [`Poll::Pending`], "not yet". Whoever polls may poll again later. Between
//! polls a future keeps its own state, so one future can wait for several
//! things in turn ([`ReadTwoInTurn`]).
//!
//! `poll` also receives `wake: fn()`, a function the future arranges to have
//! called once polling again is worthwhile. A bare `fn()` carries no data,
//! though, so when it is called it cannot say which future it is about: the
//! demo shows the consequence.
//!
//! This trait is a simplification of [`std::future::Future`], and differs
//! from it in exactly three places:
//! - `poll` takes `&mut self`; the real one takes `self: Pin<&mut Self>`.
//!   That is a promise made by whoever pinned the future, and about futures
//!   that are not `Unpin` only: such a future stays at the same address from
//!   then until it is dropped, which futures that borrow from themselves (as
//!   `async fn`s do) rely on (stage 6). For an `Unpin` future the pin
//!   promises nothing, and is as good as a `&mut` (stage 5);
//! - `wake: fn()` becomes `cx: &mut Context`, whose `cx.waker()` is a
//!   [`Waker`]: a handle that can be cloned, sent to
//!   another thread, and that knows which task to wake (stage 4);
//! - our [`Poll`] is a copy of [`std::task::Poll`], to keep everything in view.
//!
//! Stage 3 (busy-executor) runs many SimpleFutures at once by polling them
//! all, again and again.
#![forbid(unsafe_code)]

pub mod demo;

use std::sync::Arc;
use std::task::{Wake, Waker};

use socket_sim::MySocket;

// ANCHOR: poll
/// What a poll answers: finished with a value, or not yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll<T> {
    /// Finished: the future's output. It must not be polled again.
    Ready(T),
    /// Not finished: poll again later, ideally after `wake` was called.
    Pending,
}
// ANCHOR_END: poll

// ANCHOR: simple_future
/// A value that is not there yet, to be polled until it is.
///
/// # Examples
///
/// A future that needs three polls, keeping count between them:
///
/// ```
/// use simple_future::{Poll, SimpleFuture};
///
/// struct Countdown(u32);
///
/// impl SimpleFuture for Countdown {
///     type Output = &'static str;
///
///     fn poll(&mut self, wake: fn()) -> Poll<&'static str> {
///         if self.0 == 0 {
///             return Poll::Ready("liftoff");
///         }
///         self.0 -= 1;
///         wake(); // poll me again: there is progress to make
///         Poll::Pending
///     }
/// }
///
/// fn nothing() {}
/// let mut countdown = Countdown(2);
/// assert_eq!(countdown.poll(nothing), Poll::Pending);
/// assert_eq!(countdown.poll(nothing), Poll::Pending);
/// assert_eq!(countdown.poll(nothing), Poll::Ready("liftoff"));
/// ```
pub trait SimpleFuture {
    /// What the future produces.
    type Output;

    /// Makes what progress can be made without blocking. Returns
    /// [`Poll::Pending`] if more is to come, having arranged for `wake` to be
    /// called when polling again can make progress; [`Poll::Ready`] once done.
    /// Polling again after `Ready` is a bug of the caller.
    fn poll(&mut self, wake: fn()) -> Poll<Self::Output>;
}
// ANCHOR_END: simple_future

/// A [`MySocket`] seen as a future: ready with the socket's number.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use simple_future::{Poll, SimpleFuture, SocketFuture};
/// use socket_sim::MySocket;
///
/// fn nothing() {}
///
/// // A socket an hour away: "not yet".
/// let mut later = SocketFuture::from(MySocket::builder().delay(Duration::from_secs(3600)).build());
/// assert_eq!(later.poll(nothing), Poll::Pending);
///
/// // One 10 ms away, polled until it is ready (or the test's patience runs out).
/// let mut future = SocketFuture::from(MySocket::builder().delay(Duration::from_millis(10)).value(7).build());
/// let start = Instant::now();
/// let value = loop {
///     if let Poll::Ready(value) = future.poll(nothing) {
///         break value;
///     }
///     assert!(start.elapsed() < lab::patience::PATIENCE, "never ready");
/// };
/// assert_eq!(value, 7);
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you poll them"]
pub struct SocketFuture {
    socket: MySocket,
    /// Set when `poll` returned `Ready`, to catch a poll after that.
    finished: bool,
}

impl SocketFuture {
    /// A future over a new socket with the default delay: [`MySocket::new`].
    pub fn new() -> Self {
        Self::from(MySocket::new())
    }
}

impl Default for SocketFuture {
    fn default() -> Self {
        Self::new()
    }
}

impl From<MySocket> for SocketFuture {
    fn from(socket: MySocket) -> Self {
        Self {
            socket,
            finished: false,
        }
    }
}

// ANCHOR: socket_future_poll
impl SimpleFuture for SocketFuture {
    type Output = i32;

    fn poll(&mut self, wake: fn()) -> Poll<i32> {
        assert!(
            !self.finished,
            "SocketFuture polled after it returned Ready: a finished future must not be polled again"
        );
        // exercise: Ready with the number if the socket is readable; else have the socket call `wake` and say Pending
        if self.socket.has_data_to_read() {
            self.finished = true;
            Poll::Ready(self.socket.read_data())
        } else {
            // The socket calls `wake` (through a std `Waker` that calls it)
            // once it is readable: then polling again is worthwhile.
            self.socket.set_readable_callback(call_on_wake(wake));
            Poll::Pending
        }
        // end exercise
    }
}
// ANCHOR_END: socket_future_poll

/// Reads one socket, then builds a second and reads it: one future that
/// waits for two things in turn, and so returns `Pending` across two waits.
///
/// Its state says where it is, so that each poll carries on from there; this
/// is the kind of state machine `async fn` writes for you (stage 6).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use simple_future::{Poll, ReadTwoInTurn, SimpleFuture};
/// use socket_sim::MySocket;
///
/// fn nothing() {}
/// let socket = |value| MySocket::builder().delay(Duration::from_millis(10)).value(value);
/// // The first socket's delay starts when `new` builds it, so start the clock first.
/// let start = Instant::now();
/// let mut pair = ReadTwoInTurn::new(socket(1), socket(2));
/// let numbers = loop {
///     if let Poll::Ready(numbers) = pair.poll(nothing) {
///         break numbers;
///     }
///     assert!(start.elapsed() < lab::patience::PATIENCE, "never ready");
/// };
/// assert_eq!(numbers, (1, 2));
/// assert!(start.elapsed() >= Duration::from_millis(20), "one socket after the other");
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you poll them"]
pub struct ReadTwoInTurn {
    state: TwoInTurn,
}

/// Where a [`ReadTwoInTurn`] is.
#[derive(Debug)]
enum TwoInTurn {
    /// Waiting for the first socket; the second is not built yet.
    First {
        first: SocketFuture,
        second: socket_sim::SocketBuilder,
    },
    /// Got the first number; waiting for the second socket.
    Second { first: i32, second: SocketFuture },
    /// Returned `Ready`.
    Finished,
}

impl ReadTwoInTurn {
    /// Reads a socket built by `first`, and once it is read, one built by
    /// `second`: about two delays in all.
    pub fn new(first: socket_sim::SocketBuilder, second: socket_sim::SocketBuilder) -> Self {
        Self {
            state: TwoInTurn::First {
                first: first.build().into(),
                second,
            },
        }
    }
}

// ANCHOR: read_two_in_turn
impl SimpleFuture for ReadTwoInTurn {
    type Output = (i32, i32);

    fn poll(&mut self, wake: fn()) -> Poll<(i32, i32)> {
        // One poll may get through several states: when the first socket is
        // ready, go straight on to poll the second.
        loop {
            match &mut self.state {
                TwoInTurn::First { first, second } => match first.poll(wake) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(number) => {
                        let second = SocketFuture::from(second.build());
                        self.state = TwoInTurn::Second {
                            first: number,
                            second,
                        };
                    }
                },
                TwoInTurn::Second { first, second } => match second.poll(wake) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(number) => {
                        let first = *first;
                        self.state = TwoInTurn::Finished;
                        return Poll::Ready((first, number));
                    }
                },
                TwoInTurn::Finished => {
                    panic!(
                        "ReadTwoInTurn polled after it returned Ready: a finished future must not be polled again"
                    )
                }
            }
        }
    }
}
// ANCHOR_END: read_two_in_turn

/// The socket takes a std [`Waker`]; this one calls a bare `fn()`.
fn call_on_wake(wake: fn()) -> Waker {
    Waker::from(Arc::new(CallOnWake(wake)))
}

/// A waker that calls a plain function. The function is all it knows.
struct CallOnWake(fn());

impl Wake for CallOnWake {
    fn wake(self: Arc<Self>) {
        (self.0)();
    }
}
