//! Stage 6, "Async/Await": futures put together with `async fn` and
//! `.await`, and the state machine the compiler writes for them.
//!
//! Stage 5 wrote `poll` by hand for one wait. Code that waits for several
//! things in turn would need a hand-written state machine each time, like
//! stage 2's `ReadTwoInTurn`. `async fn` writes it for you: the body runs at
//! the first poll up to the first `.await` of a future that is Pending,
//! returns Pending, and carries on from that very point at the next poll.
//!
//! - [`get_num`] awaits one `futsocket::FutSocket`;
//!   [`get_two_sequential`] awaits two in turn (two delays);
//!   [`get_two_concurrent`] awaits [`join`] of two (one delay). `join` is
//!   written by hand in `join.rs`: one future that polls two.
//! - [`read_file`] opens a file, then reads it: two awaits, each on a job
//!   that a helper thread runs (`blocking.rs`: how runtimes do file I/O).
//!   [`ReadFile`] is the same future written as the compiler writes it: a
//!   state enum with one variant per await point, beside the path it owns,
//!   which those states borrow (`read_file_by_hand.rs`). Such a borrow is why
//!   futures are pinned; the module says how, with the workspace's second and last
//!   `unsafe`. The demo shows both passing the same points in the same
//!   order, and their sizes.
//!
//! Nothing here knows about executors: the same async fns run on stage 4's
//! `waker_executor` and on `futures_executor`, single- or multi-threaded.
//! What async/await cannot do is the leaf: a future that talks to the socket
//! and registers the waker still has to be written by hand, as in stage 5.
#![deny(unsafe_code)]

pub mod blocking;
pub mod demo;
mod join;
mod read_file;
#[allow(unsafe_code)]
mod read_file_by_hand;

pub use join::{Join, join};
pub use read_file::read_file;
pub use read_file_by_hand::ReadFile;

use futsocket::FutSocket;
use socket_sim::{MySocket, SocketBuilder};

/// Reads one number from a new socket: the article's `get_num_sync`, awaited
/// instead of spun on.
pub async fn get_num() -> i32 {
    get_num_with(MySocket::builder()).await
}

/// [`get_num`] on a socket built by `builder` at the first poll.
pub async fn get_num_with(builder: SocketBuilder) -> i32 {
    FutSocket::from(builder).await
}

/// Two numbers, one after the other: the second socket is built only once
/// the first is read, so it takes two delays.
pub async fn get_two_sequential() -> (i32, i32) {
    get_two_sequential_with(MySocket::builder(), MySocket::builder()).await
}

// ANCHOR: get_two_sequential
/// [`get_two_sequential`] on sockets built by `first` and `second`.
pub async fn get_two_sequential_with(first: SocketBuilder, second: SocketBuilder) -> (i32, i32) {
    let a = get_num_with(first).await;
    let b = get_num_with(second).await;
    (a, b)
}
// ANCHOR_END: get_two_sequential

/// Two numbers at once: [`join`] polls both, so it takes one delay.
///
/// # Examples
///
/// On a clock that stands still until the test moves it ([`lab::clock`]),
/// so that "one delay" can be checked exactly:
///
/// ```
/// use std::time::Duration;
/// use async_await_demo::get_two_concurrent_with;
/// use socket_sim::MySocket;
///
/// let clock = lab::clock::pause();
/// let socket = |value| MySocket::builder().delay(Duration::from_millis(50)).value(value);
/// // The clock moves to the next deadline whenever the run is idle.
/// let pair = clock.auto_advance(move || {
///     waker_executor::block_on(get_two_concurrent_with(socket(1), socket(2)))
/// });
/// assert_eq!(pair, (1, 2));
/// assert_eq!(clock.now(), Duration::from_millis(50), "one delay, not two");
/// ```
pub async fn get_two_concurrent() -> (i32, i32) {
    get_two_concurrent_with(MySocket::builder(), MySocket::builder()).await
}

// ANCHOR: get_two_concurrent
/// [`get_two_concurrent`] on sockets built by `first` and `second`.
pub async fn get_two_concurrent_with(first: SocketBuilder, second: SocketBuilder) -> (i32, i32) {
    join(get_num_with(first), get_num_with(second)).await
}
// ANCHOR_END: get_two_concurrent
