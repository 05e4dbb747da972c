//! The stage 1 demo: two numbers read one after the other, then together,
//! timed; and what else, outside the lesson, knows about the socket's timer:
//! the demos' `main` and `transcript`, the walkthrough's counts, and the
//! sockets' side of a paused clock ([`lab::clock`]).

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Weak;
use std::time::Duration;

use lab::clock::{Waiter, Waiting};
use lab::demo::{Demo, Summary, about_delays};
use lab::measure::measure;

use crate::{MySocket, Readiness, default_delay, get_2_num_async_hardcode_with, get_num_sync_with};

/// Writes the stage 1 demo to `out`, with sockets that take `delay`; its
/// main run is the hardcoded pair.
///
/// Takes about three delays: two for the synchronous pair, one for the
/// hardcoded one. Values are seeded, so only the times vary between runs.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let socket = |seed| MySocket::builder().delay(delay).seed(seed);
    writeln!(
        out,
        "Every socket here becomes readable {} ms after it is built, holding one i32.",
        delay.as_millis()
    )?;

    writeln!(out)?;
    writeln!(out, "get_num_sync(), twice in a row")?;
    writeln!(
        out,
        "  Each call spins on has_data_to_read() until its socket is ready, then reads it."
    )?;
    let ((first, second), took) =
        measure(|| (get_num_sync_with(socket(1)), get_num_sync_with(socket(2))));
    writeln!(out, "  first  = {first}")?;
    writeln!(out, "  second = {second}")?;
    writeln!(
        out,
        "  2 numbers in {}: {took}",
        about_delays(took.wall, delay)
    )?;

    writeln!(out)?;
    writeln!(out, "get_2_num_async_hardcode()")?;
    writeln!(
        out,
        "  Builds both sockets first, then spins until both are ready."
    )?;
    let (pair, hardcoded) = measure(|| get_2_num_async_hardcode_with(socket(1), socket(2)));
    writeln!(out, "  both   = {pair:?}")?;
    writeln!(
        out,
        "  2 numbers in {}: {hardcoded}",
        about_delays(hardcoded.wall, delay)
    )?;

    writeln!(out)?;
    if delay.is_zero() {
        writeln!(
            out,
            "With a delay of 0 every socket is readable at once, so there was no wait to overlap;"
        )?;
        writeln!(
            out,
            "with a real one, waiting for both sockets at once takes one delay instead of two."
        )?;
    } else {
        writeln!(
            out,
            "Waiting for both sockets at once took one delay instead of two: that is what async is for."
        )?;
    }
    writeln!(
        out,
        "But each loop keeps a core busy for as long as it asks \"ready yet?\", and a third socket,"
    )?;
    writeln!(
        out,
        "or a file, would need yet another hand-written function."
    )?;
    Ok(Summary {
        took: hardcoded,
        ..Summary::default()
    })
}

/// The `main` of every stage's demo binary: the delay from
/// `SOCKET_SIM_DELAY_MS` (2 s when unset, a clear error when malformed).
pub fn main(crate_name: &str, demo: Demo) -> ExitCode {
    lab::demo::main(crate_name, demo, default_delay())
}

/// A demo's transcript and summary, for its test: [`lab::demo::transcript`],
/// on a paused clock that moves to the next deadline whenever the demo is
/// idle ([`lab::clock::Paused::auto_advance`]).
///
/// So which socket is ready at which poll, and with it every count and order
/// the transcript shows, is the same on a busy machine as on an idle one.
/// What the demo measures in real time (wall, CPU) means nothing then, and
/// the tests' filters hide it. A demo that waits by asking a socket "ready
/// yet?" without a waker, as stage 1's does, never lets the clock move: its
/// test runs in real time, with [`lab::demo::transcript`] itself.
pub fn transcript(demo: Demo, delay: Duration) -> (String, Summary) {
    let paused = lab::clock::pause();
    paused.auto_advance(move || lab::demo::transcript(demo, delay))
}

/// How many sockets this process has built for its timer thread, and how
/// many of their deadlines have not come yet: what the walkthrough's
/// progress line shows. Sockets on a paused clock are not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SocketCounts {
    /// Sockets built so far.
    pub built: u64,
    /// Sockets whose deadline has not passed yet (a dropped socket leaves
    /// the timer at once, and is not counted).
    pub waiting: u64,
}

/// The sockets of this process so far: [`SocketCounts`].
pub fn socket_counts() -> SocketCounts {
    let (built, waiting) = crate::timer::counts();
    SocketCounts {
        built,
        waiting: waiting as u64,
    }
}

/// If a test has paused the clock ([`lab::clock::pause`]), puts a new
/// socket's deadline on it instead of the timer thread, and says so.
pub(crate) fn on_paused_clock(delay: Duration, readiness: &Weak<Readiness>) -> bool {
    lab::clock::schedule(delay, || Box::new(OnPausedClock(readiness.clone())))
}

/// A socket waiting on the paused clock: marked readable, and its waker
/// woken, when the test moves the clock past its deadline; as the timer
/// thread would, the waker is woken after the socket's lock is released.
struct OnPausedClock(Weak<Readiness>);

impl Waiter for OnPausedClock {
    fn waiting(&self) -> Waiting {
        match self.0.upgrade() {
            None => Waiting::Gone,
            Some(readiness) if readiness.waker.lock().unwrap().is_some() => Waiting::WithWaker,
            Some(_) => Waiting::WithoutWaker,
        }
    }

    fn fire(self: Box<Self>) {
        if let Some(waker) = self
            .0
            .upgrade()
            .and_then(|readiness| readiness.mark_readable())
        {
            waker.wake();
        }
    }
}
