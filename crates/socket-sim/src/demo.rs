//! The stage 1 demo: two numbers read one after the other, then together,
//! timed; and the two demo helpers that know about the socket's timer.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use lab::demo::{Demo, Summary, about_delays};
use lab::measure::measure;

use crate::{MySocket, default_delay, get_2_num_async_hardcode_with, get_num_sync_with};

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
    writeln!(
        out,
        "Waiting for both sockets at once halved the time: that is what async is for."
    )?;
    writeln!(
        out,
        "But every loop kept a core busy just asking \"ready yet?\", and a third socket,"
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

/// How many sockets this process has built, and how many of their deadlines
/// have not come yet: what the walkthrough's progress line shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SocketCounts {
    /// Sockets built so far.
    pub built: u64,
    /// Sockets whose deadline has not passed yet (dropped ones included).
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
