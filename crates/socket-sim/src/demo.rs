//! The stage 1 demo: two numbers read one after the other, then together, timed.
//!
//! Also home to what every stage's demo shares: the [`Demo`] type and the
//! [`Summary`] it returns, [`main`] (the few lines of every demo binary), and
//! for the demo tests [`transcript`] and the snapshot filters.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::measure::{Measurement, measure};
use crate::trace::Event;
use crate::{MySocket, default_delay, get_2_num_async_hardcode_with, get_num_sync_with, timer_is_running};

/// A stage's demo: writes to `out`, with sockets that take `delay`, and
/// returns what its main run measured.
pub type Demo = fn(out: &mut dyn Write, delay: Duration) -> io::Result<Summary>;

/// What a demo measured in its main run. The walkthrough draws the trace as
/// a timeline and puts the rest in its closing table.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// The futures the run waited for; `None` before there are futures (stage 1).
    pub futures: Option<usize>,
    /// Wall and CPU time of the run.
    pub took: Measurement,
    /// Calls to poll over all futures, where anything was polled.
    pub polls: Option<u64>,
    /// The run's polls and wakes as its executor recorded them, if it did.
    pub trace: Option<Vec<Event>>,
}

/// Writes the stage 1 demo to `out`, with sockets that take `delay`; its
/// main run is the hardcoded pair.
///
/// Takes about three delays: two for the synchronous pair, one for the
/// hardcoded one. Values are seeded, so only the times vary between runs.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let socket = |seed| MySocket::builder().delay(delay).seed(seed);
    writeln!(out, "Every socket here becomes readable {} ms after it is built, holding one i32.", delay.as_millis())?;

    writeln!(out)?;
    writeln!(out, "get_num_sync(), twice in a row")?;
    writeln!(out, "  Each call spins on has_data_to_read() until its socket is ready, then reads it.")?;
    let ((first, second), took) = measure(|| (get_num_sync_with(socket(1)), get_num_sync_with(socket(2))));
    writeln!(out, "  first  = {first}")?;
    writeln!(out, "  second = {second}")?;
    writeln!(out, "  2 numbers in {}: {took}", about_delays(took.wall, delay))?;

    writeln!(out)?;
    writeln!(out, "get_2_num_async_hardcode()")?;
    writeln!(out, "  Builds both sockets first, then spins until both are ready.")?;
    let (pair, hardcoded) = measure(|| get_2_num_async_hardcode_with(socket(1), socket(2)));
    writeln!(out, "  both   = {pair:?}")?;
    writeln!(out, "  2 numbers in {}: {hardcoded}", about_delays(hardcoded.wall, delay))?;

    writeln!(out)?;
    writeln!(out, "Waiting for both sockets at once halved the time: that is what async is for.")?;
    writeln!(out, "But every loop kept a core busy just asking \"ready yet?\", and a third socket,")?;
    writeln!(out, "or a file, would need yet another hand-written function.")?;
    Ok(Summary { took: hardcoded, ..Summary::default() })
}

/// Runs `demo` with sockets that take `delay` on a thread of its own and
/// returns its transcript and summary: what the stages' demo tests check.
///
/// A demo waits on sockets, so it would wait forever if the timer thread
/// stopped (say, in a fork whose timer loop is still `todo!()`); this fails
/// at once then, and after a minute in any case.
///
/// # Panics
///
/// If the demo panics or fails, the timer thread stops, or a minute passes.
pub fn transcript(demo: Demo, delay: Duration) -> (String, Summary) {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let summary = demo(&mut out, delay).expect("a demo writing to memory cannot fail");
        let _ = done.send((String::from_utf8(out).expect("demos write UTF-8"), summary));
    });
    let start = Instant::now();
    loop {
        match result.recv_timeout(Duration::from_millis(50)) {
            Ok(transcript) => return transcript,
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the demo panicked (its message is above)"),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                assert!(
                    timer_is_running(),
                    "the timer thread has stopped (its panic is above): the demo would wait forever"
                );
                assert!(start.elapsed() < Duration::from_secs(60), "the demo did not finish within a minute");
            }
        }
    }
}

/// Insta filters for demo transcripts: they hide what varies from run to run
/// (milliseconds measured, CPU shares) and keep everything else.
pub const TIME_FILTERS: &[(&str, &str)] = &[
    (r"\b\d+ ms, CPU busy \d+(\.\d+)?% of it", "[wall] ms, CPU busy [share] of it"),
    // Even rounded to whole delays, a time measured on a busy machine can
    // come out a delay late: tests check times with slack, not here.
    (r"\babout \d+ delays?\b", "about [n] delay(s)"),
    (r"@\d+\b", "@[n]"),
];

/// `wall` as a whole number of delays: "about 2 delays".
///
/// Rounded to the nearest whole delay, so that the text stays the same from
/// run to run while the exact milliseconds vary.
pub fn about_delays(wall: Duration, delay: Duration) -> String {
    if delay.is_zero() {
        return "no time (the delay is 0)".to_owned();
    }
    match (wall.as_secs_f64() / delay.as_secs_f64()).round() as u64 {
        1 => "about 1 delay".to_owned(),
        n => format!("about {n} delays"),
    }
}

/// The `main` of every stage's demo binary: takes the delay from
/// `SOCKET_SIM_DELAY_MS` (2 s when unset), writes `demo` to standard output,
/// and turns what went wrong into a message and an exit code.
pub fn main(crate_name: &str, demo: Demo) -> ExitCode {
    let delay = match default_delay() {
        Ok(delay) => delay,
        Err(error) => {
            eprintln!("{crate_name}: {error}");
            return ExitCode::from(2);
        }
    };
    match demo(&mut io::stdout().lock(), delay) {
        // A reader that stops early (`| head`) is not an error worth a message.
        Ok(_) => ExitCode::SUCCESS,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{crate_name}: cannot write the demo: {error}");
            ExitCode::FAILURE
        }
    }
}
