//! What every stage's demo shares: the [`Demo`] type and the [`Summary`] it
//! returns, [`main`] (the few lines of every demo binary), and for the demo
//! tests [`transcript`] and the snapshot filters.

use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::measure::Measurement;
use crate::trace::Event;

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
    /// The run's polls and wakes as its probes recorded them, if they did.
    pub trace: Option<Vec<Event>>,
}

/// Runs `demo` with `delay` on a thread of its own and returns its
/// transcript and summary: what the stages' demo tests check.
///
/// A demo waits for things, so it would wait forever if what it waits for
/// could no longer happen (say, a fork whose timer loop is still `todo!()`):
/// this fails as soon as `possible` says so, and after a minute in any case.
///
/// # Panics
///
/// If the demo panics or fails, `possible` returns false, or a minute passes.
pub fn transcript(demo: Demo, delay: Duration, possible: fn() -> bool) -> (String, Summary) {
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
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the demo panicked (its message is above)")
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                assert!(
                    possible(),
                    "what the demo waits for can no longer happen: it would wait forever"
                );
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "the demo did not finish within a minute"
                );
            }
        }
    }
}

/// Insta filters for demo transcripts: they hide what varies from run to run
/// (milliseconds measured, CPU shares) and keep everything else.
pub const TIME_FILTERS: &[(&str, &str)] = &[
    (
        r"\b\d+ ms, CPU busy \d+(\.\d+)?% of it",
        "[wall] ms, CPU busy [share] of it",
    ),
    // What a measurement says of a wait that took no time: a demo whose
    // sockets wait on a paused clock (`lab::clock`) in its test.
    (r"\bunder 1 ms\b", "[wall] ms, CPU busy [share] of it"),
    // Even rounded to whole delays, a time measured on a busy machine can
    // come out a delay late: tests check times with slack, not here.
    (r"\babout \d+ delays?\b", "about [n] delay(s)"),
    (r"@\d+\b", "@[n]"),
];

/// `wall` as a whole number of delays: "about 2 delays".
///
/// Rounded to the nearest whole delay, so that the text reads simply; the
/// tests filter it all the same, since a busy machine can add a delay.
pub fn about_delays(wall: Duration, delay: Duration) -> String {
    if delay.is_zero() {
        return "no time (the delay is 0)".to_owned();
    }
    match (wall.as_secs_f64() / delay.as_secs_f64()).round() as u64 {
        1 => "about 1 delay".to_owned(),
        n => format!("about {n} delays"),
    }
}

/// The `main` of every stage's demo binary: writes `demo` to standard
/// output with `delay`, and turns what went wrong (a bad delay setting
/// included) into a message and an exit code.
pub fn main(crate_name: &str, demo: Demo, delay: Result<Duration, impl Display>) -> ExitCode {
    let delay = match delay {
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
