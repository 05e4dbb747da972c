//! Stage 3, "Defining an executor": run many futures by polling them all,
//! over and over, until every one is ready.
//!
//! Stage 2 gave everything we wait for one shape, so one function can now
//! wait for any number of things: [`run`] takes a vector of
//! [`SimpleFuture`]s and returns their outputs, in the order they came. It is
//! the article's first event loop, with its one idea made real: poll every
//! unfinished future in turn; when one is Ready keep its output and never
//! poll it again; go round until none is left. Ten sockets now take one delay,
//! like the two of stage 1, with no function written for them.
//!
//! The flaw is the one of stage 1, now measured per poll: the loop never
//! waits. It passes `poll` a wake function that does nothing, because a
//! bare `fn()` could not tell it which future to poll anyway, and asks every
//! socket "ready yet?" millions of times, keeping a core at 100 % while
//! nothing can happen ([`run_with_stats`] counts the polls and the CPU time).
//! Stage 4 (waker-executor) fixes exactly that: it sleeps until a waker says
//! which task to poll.
#![forbid(unsafe_code)]

pub mod demo;

use std::time::Duration;

use lab::measure::Measurement;
use simple_future::{Poll, SimpleFuture};

pub use demo::{run_traced, run_with_stats};

// ANCHOR: run
/// Runs every future until it is ready; returns the outputs in the order the
/// futures were given.
///
/// Each round polls every unfinished future once; a future that answered
/// Ready is never polled again. The loop never sleeps: it keeps a core busy
/// until the last future is ready.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use simple_future::SocketFuture;
/// use socket_sim::MySocket;
///
/// # lab::patience::within_patience(|| {
/// let socket = |value| MySocket::builder().delay(Duration::from_millis(20)).value(value).build();
/// let futures = vec![SocketFuture::from(socket(1)), SocketFuture::from(socket(2))];
/// assert_eq!(busy_executor::run(futures), [1, 2]);
/// # });
/// ```
pub fn run<F: SimpleFuture>(futures: Vec<F>) -> Vec<F::Output> {
    // exercise: poll each unfinished future in turn, round after round, keeping each output in its place, until all are Ready
    let mut futures: Vec<Option<F>> = futures.into_iter().map(Some).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut unfinished = futures.len();
    while unfinished > 0 {
        for (slot, output) in futures.iter_mut().zip(&mut outputs) {
            // A finished future has been dropped: it is never polled again.
            let Some(future) = slot else { continue };
            // Nobody listens for wakes: this loop comes back anyway.
            if let Poll::Ready(value) = future.poll(ignore_wake) {
                *output = Some(value);
                *slot = None;
                unfinished -= 1;
            }
        }
    }
    outputs
        .into_iter()
        .map(|output| output.expect("every future finished"))
        .collect()
    // end exercise
}
// ANCHOR_END: run

/// A wake function that does nothing, for a loop that comes back to every
/// future anyway.
fn ignore_wake() {}

/// What one run of an executor cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Calls to `poll`, over all futures.
    pub polls: u64,
    /// Calls of a waker handed out by the run (always 0 for this executor:
    /// it does not listen).
    pub wakes: u64,
    /// Time on the clock, from start to the last output.
    pub wall: Duration,
    /// CPU time of the process over the same span.
    pub cpu: Duration,
}

impl RunStats {
    /// The wall and CPU time, for the CPU share of the run.
    pub fn measurement(&self) -> Measurement {
        Measurement {
            wall: self.wall,
            cpu: self.cpu,
        }
    }
}
