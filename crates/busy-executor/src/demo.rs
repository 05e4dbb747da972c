//! The stage 3 demo: 1, 2 and 10 sockets on the busy executor, with the
//! polls and the CPU time they cost. Also the observed runs it is built on
//! ([`run_with_stats`], [`run_traced`]): the executor, watched from outside
//! by the `lab` crate's probes.

use std::io::{self, Write};
use std::time::Duration;

use lab::demo::{Summary, about_delays};
use lab::measure::Thousands;
use lab::probe::Probe;
use lab::trace::Event;
use simple_future::{Poll, SimpleFuture, SocketFuture};
use socket_sim::MySocket;

use crate::RunStats;

/// Writes the stage 3 demo to `out`, with sockets that take `delay`; its
/// main run, traced, is the first: two sockets, the second ready first.
///
/// Takes about three delays. Values are seeded; times and poll counts vary
/// from run to run.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let socket =
        |delay, seed| SocketFuture::from(MySocket::builder().delay(delay).seed(seed).build());
    writeln!(
        out,
        "run() polls every unfinished future in turn, round after round, until all are Ready."
    )?;

    writeln!(out)?;
    let (outputs, stats, trace) = run_traced(vec![socket(delay, 1), socket(delay / 2, 2)]);
    let first = Summary {
        futures: Some(2),
        took: stats.measurement(),
        polls: Some(stats.polls),
        trace: Some(trace),
    };
    writeln!(
        out,
        "Two sockets, the second ready first: run() returned {outputs:?},"
    )?;
    writeln!(out, "the outputs in the order the futures were given.")?;
    writeln!(
        out,
        "It took {} polls, {}: {}",
        Thousands(stats.polls),
        about_delays(stats.wall, delay),
        stats.measurement()
    )?;

    writeln!(out)?;
    for sockets in [1, 2, 10] {
        let futures = (1..=sockets).map(|seed| socket(delay, seed)).collect();
        let (_, stats) = run_with_stats(futures);
        let label = if sockets == 1 {
            "1 socket:  ".to_owned()
        } else {
            format!("{sockets} sockets:")
        };
        writeln!(
            out,
            "{label:11} {}, {} polls; {}",
            about_delays(stats.wall, delay),
            Thousands(stats.polls),
            stats.measurement()
        )?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "Each set took about one delay, however many sockets: run() waits for all at once."
    )?;
    writeln!(
        out,
        "But it never waits for anything. Every socket was asked \"ready yet?\" over and over,"
    )?;
    writeln!(
        out,
        "and a core stayed busy the whole time, though nothing could happen until the timer fired."
    )?;
    Ok(first)
}

// ---------------------------------------------------------------------------
// Observed runs, which the demo, the walkthrough, the tests and the bench
// use: the same `run`, over futures wrapped in the lab's probes. Nothing
// here is part of the executor; it only watches it.
// ---------------------------------------------------------------------------

/// [`run`](crate::run), also counting polls and measuring wall and CPU time.
///
/// The counting is done from outside `run`: each future is wrapped in a
/// probe that reports its polls.
///
/// # Examples
///
/// ```
/// use simple_future::{Poll, SimpleFuture};
///
/// /// Pending as many times as it says, then Ready.
/// struct Countdown(u32);
///
/// impl SimpleFuture for Countdown {
///     type Output = ();
///     fn poll(&mut self, _wake: fn()) -> Poll<()> {
///         if self.0 == 0 {
///             return Poll::Ready(());
///         }
///         self.0 -= 1;
///         Poll::Pending
///     }
/// }
///
/// # lab::patience::within_patience(|| {
/// let (_, stats) = busy_executor::run_with_stats(vec![Countdown(1), Countdown(3)]);
/// assert_eq!(stats.polls, 2 + 4, "each polled until Ready, never after");
/// assert_eq!(stats.wakes, 0, "nobody listens for wakes here");
/// # });
/// ```
pub fn run_with_stats<F: SimpleFuture>(futures: Vec<F>) -> (Vec<F::Output>, RunStats) {
    let (outputs, stats, _) = observe(futures, false);
    (outputs, stats)
}

/// [`run_with_stats`], also recording every poll as an [`Event`].
pub fn run_traced<F: SimpleFuture>(futures: Vec<F>) -> (Vec<F::Output>, RunStats, Vec<Event>) {
    let (outputs, stats, trace) = observe(futures, true);
    (outputs, stats, trace.expect("a trace was asked for"))
}

/// [`run`](crate::run) over `futures`, each wrapped so that its polls reach a probe.
fn observe<F: SimpleFuture>(
    futures: Vec<F>,
    trace: bool,
) -> (Vec<F::Output>, RunStats, Option<Vec<Event>>) {
    let (outputs, seen) = lab::probe::observe(trace, |probe| {
        crate::run(
            futures
                .into_iter()
                .enumerate()
                .map(|(task, future)| Probed(future, task, probe))
                .collect(),
        )
    });
    (
        outputs,
        RunStats {
            polls: seen.polls,
            wakes: seen.wakes,
            wall: seen.took.wall,
            cpu: seen.took.cpu,
        },
        seen.trace,
    )
}

/// A `SimpleFuture` (`.0`, task `.1`) that tells a probe (`.2`) about each poll.
struct Probed<'a, F>(F, usize, &'a Probe);

impl<F: SimpleFuture> SimpleFuture for Probed<'_, F> {
    type Output = F::Output;

    fn poll(&mut self, wake: fn()) -> Poll<F::Output> {
        let poll = self.0.poll(wake);
        self.2.polled(self.1, matches!(poll, Poll::Ready(_)));
        poll
    }
}
