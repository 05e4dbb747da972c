//! What every stage's demo shares: the [`Demo`] type and the [`Summary`] it
//! returns, [`main`] (the few lines of every demo binary), and for the demo
//! tests [`assert_transcript!`] and the snapshot filters.

use std::fmt::Display;
use std::io::{self, Write};
use std::panic;
use std::process::ExitCode;
use std::sync::{Mutex, Once, mpsc};
use std::thread::{self, ThreadId};
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

/// Snapshots the transcript of a stage's demo, run with [`TEST_DELAY`],
/// with [`TIME_FILTERS`] and the `filters` given; returns the transcript
/// and the demo's [`Summary`], for what a snapshot cannot hold. The snapshot is the test's
/// own (`tests/snapshots/demo__demo_transcript.snap` for the test
/// `demo_transcript` in `tests/demo.rs`), so the caller needs insta.
///
/// ```text
/// let (_, summary) = lab::demo::assert_transcript!(busy_executor::demo::run, &[(r"[\d,]+ polls", "[many] polls")]);
/// ```
///
/// # Panics
///
/// As [`transcript`], or if the transcript differs from its snapshot.
#[macro_export]
macro_rules! assert_transcript {
    ($demo:expr, $filters:expr $(,)?) => {{
        let (transcript, summary) = $crate::demo::transcript($demo, $crate::demo::TEST_DELAY);
        let filters: Vec<(&str, &str)> = $crate::demo::TIME_FILTERS
            .iter()
            .chain($filters.iter())
            .copied()
            .collect();
        insta::with_settings!({ filters => filters }, {
            insta::assert_snapshot!(transcript);
        });
        (transcript, summary)
    }};
}

pub use crate::assert_transcript;

/// The delay of every demo test's sockets: long enough that a demo's waits
/// are told apart, short enough that a demo takes about a second.
pub const TEST_DELAY: Duration = Duration::from_millis(100);

/// How long a demo test waits for its demo: many times what it needs on a
/// busy machine. A demo that cannot finish fails sooner (see [`transcript`]).
const DEMO_PATIENCE: Duration = Duration::from_secs(60);

/// Runs `demo` with `delay` on a thread of its own and returns its
/// transcript and summary: what the stages' demo tests check.
///
/// A demo waits for things, so it would wait forever if what it waits for
/// could no longer happen: a thread of the stage that died (say, a fork's
/// timer loop still `todo!()`) never makes a socket ready. So this fails as
/// soon as a thread other than the demo's panics, and after
/// a minute in any case. (No demo panics a thread on purpose: one
/// that does, to show it, cannot use this.)
///
/// # Panics
///
/// If the demo panics or fails, another thread panics while it runs, or it
/// runs out of patience.
pub fn transcript(demo: Demo, delay: Duration) -> (String, Summary) {
    let (done, result) = mpsc::channel();
    let (go, ready) = mpsc::channel::<()>();
    let runner = thread::spawn(move || {
        // Not before the watch is set: a thread the demo starts may panic at once.
        let _ = ready.recv();
        let mut out = Vec::new();
        let summary = demo(&mut out, delay).expect("a demo writing to memory cannot fail");
        let _ = done.send((String::from_utf8(out).expect("demos write UTF-8"), summary));
    });
    let panicked = watch_panics(runner.thread().id());
    let _ = go.send(());
    let start = Instant::now();
    loop {
        match result.recv_timeout(Duration::from_millis(50)) {
            Ok(transcript) => return transcript,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("the demo panicked (its message is above)")
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(thread) = panicked() {
                    panic!(
                        "thread {thread} panicked while the demo ran (its message is above): \
                         what the demo waits for can no longer happen, so it would wait forever"
                    );
                }
                assert!(
                    start.elapsed() < DEMO_PATIENCE,
                    "the demo did not finish within {DEMO_PATIENCE:?}"
                );
            }
        }
    }
}

/// From now on, notes the first panic of a thread other than `demo`'s; the
/// function returned tells its name, once there is one.
fn watch_panics(demo: ThreadId) -> impl Fn() -> Option<String> {
    /// The demo thread being watched, and the first other thread that panicked.
    static WATCHED: Mutex<(Option<ThreadId>, Option<String>)> = Mutex::new((None, None));
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let current = thread::current();
            if let Ok(mut watched) = WATCHED.lock() {
                if watched.0.is_some_and(|demo| demo != current.id()) && watched.1.is_none() {
                    watched.1 = Some(format!("{:?}", current.name().unwrap_or("unnamed")));
                }
            }
            previous(info);
        }));
    });
    *WATCHED.lock().unwrap() = (Some(demo), None);
    || WATCHED.lock().unwrap().1.clone()
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
///
/// Its one option, `--trace-out DIR`, also writes the trace of the demo's
/// main run to `DIR/<crate>.json`, in the Trace Event Format ([`crate::tef`]).
pub fn main(crate_name: &str, demo: Demo, delay: Result<Duration, impl Display>) -> ExitCode {
    let trace_out = match trace_out(std::env::args_os().skip(1)) {
        Ok(Some(Options::Help)) => {
            print!("{}", usage(crate_name));
            return ExitCode::SUCCESS;
        }
        Ok(Some(Options::TraceOut(dir))) => Some(dir),
        Ok(None) => None,
        Err(error) => {
            eprintln!("{crate_name}: {error}\n\n{}", usage(crate_name));
            return ExitCode::from(2);
        }
    };
    let delay = match delay {
        Ok(delay) => delay,
        Err(error) => {
            eprintln!("{crate_name}: {error}");
            return ExitCode::from(2);
        }
    };
    let summary = match demo(&mut io::stdout().lock(), delay) {
        Ok(summary) => summary,
        // A reader that stops early (`| head`) is not an error worth a message.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{crate_name}: cannot write the demo: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Some(dir) = trace_out else {
        return ExitCode::SUCCESS;
    };
    let Some(trace) = summary.trace else {
        eprintln!(
            "{crate_name}: no trace written: this stage's demo runs no futures on an executor, so it has no polls to trace"
        );
        return ExitCode::FAILURE;
    };
    let json = crate::tef::to_json(&format!("{crate_name}'s main run"), "future", &trace);
    match write_trace(&dir, crate_name, &json) {
        Ok(path) => {
            eprintln!(
                "{crate_name}: wrote the trace of its main run to {} (open it in https://ui.perfetto.dev)",
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "{crate_name}: cannot write the trace into {}: {error}",
                dir.display()
            );
            ExitCode::FAILURE
        }
    }
}

/// What a demo binary's command line asked for.
#[derive(Debug, PartialEq, Eq)]
enum Options {
    Help,
    TraceOut(std::path::PathBuf),
}

/// The demo binary's options from `args`: `--trace-out DIR` (or
/// `--trace-out=DIR`), `--help`, or none; what is wrong with them.
fn trace_out(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<Option<Options>, String> {
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return Ok(None);
    };
    let dir = match first.to_str() {
        Some("--help" | "-h") => return Ok(Some(Options::Help)),
        Some("--trace-out") => args
            .next()
            .ok_or_else(|| "--trace-out needs a directory".to_owned())?,
        Some(arg) if arg.starts_with("--trace-out=") => arg["--trace-out=".len()..].into(),
        _ => return Err(format!("unknown argument {first:?}")),
    };
    if dir.is_empty() {
        return Err("--trace-out needs a directory".to_owned());
    }
    match args.next() {
        Some(extra) => Err(format!("unexpected argument {extra:?}")),
        None => Ok(Some(Options::TraceOut(dir.into()))),
    }
}

/// The usage of the demo binary of `crate_name`.
fn usage(crate_name: &str) -> String {
    format!(
        "Usage: cargo run -p {crate_name} [-- --trace-out DIR]\n\n\
         Runs the demo of {crate_name}, with sockets that take SOCKET_SIM_DELAY_MS (default 2000).\n\
         --trace-out DIR  also writes its main run's polls and wakes to DIR/{crate_name}.json, in the\n\
         \x20                Trace Event Format (open it in https://ui.perfetto.dev or chrome://tracing)\n"
    )
}

/// Writes `json` to `dir/<name>.json`, whole or not at all; where it went.
pub fn write_trace(
    dir: &std::path::Path,
    name: &str,
    json: &str,
) -> io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{name}.json"));
    let partial = dir.join(format!(".{name}.json.partial"));
    std::fs::write(&partial, json)?;
    std::fs::rename(&partial, &path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits for a thread that dies before it can answer.
    fn waits_on_a_dead_thread(out: &mut dyn Write, _: Duration) -> io::Result<Summary> {
        writeln!(out, "waiting")?;
        let (_answer, never) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("helper".to_owned())
            .spawn(|| panic!("the helper's todo!()"))?;
        let _ = never.recv_timeout(Duration::from_secs(3600));
        Ok(Summary::default())
    }

    #[test]
    fn a_demo_binary_takes_trace_out_and_help_and_names_anything_else() {
        let parse = |args: &[&str]| trace_out(args.iter().map(std::ffi::OsString::from));
        assert_eq!(parse(&[]), Ok(None));
        assert_eq!(parse(&["-h"]), Ok(Some(Options::Help)));
        let dir = Ok(Some(Options::TraceOut("out".into())));
        assert_eq!(parse(&["--trace-out", "out"]), dir);
        assert_eq!(parse(&["--trace-out=out"]), dir);
        assert_eq!(
            parse(&["--trace-out"]),
            Err("--trace-out needs a directory".to_owned())
        );
        assert_eq!(
            parse(&["--trace-out="]),
            Err("--trace-out needs a directory".to_owned())
        );
        assert_eq!(
            parse(&["--fast"]),
            Err("unknown argument \"--fast\"".to_owned())
        );
        assert_eq!(
            parse(&["--trace-out", "a", "b"]),
            Err("unexpected argument \"b\"".to_owned())
        );
    }

    #[test]
    fn a_demo_whose_helper_thread_dies_fails_at_once_naming_it() {
        let start = Instant::now();
        let payload = panic::catch_unwind(|| transcript(waits_on_a_dead_thread, TEST_DELAY));
        let payload = payload.expect_err("the demo cannot finish");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            message.starts_with("thread \"helper\" panicked while the demo ran"),
            "{message}"
        );
        assert!(
            start.elapsed() < DEMO_PATIENCE / 2,
            "it waited {:?}",
            start.elapsed()
        );
    }
}
