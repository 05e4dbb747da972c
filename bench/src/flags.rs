//! The bench's command line, declared once. `cargo xtask bench` reads this
//! file too, so that it can give the help and refuse bad flags before the
//! release build, and hand the bench only what it will take.
//!
//! `case`, `echo`, `idle` and `http` are for the bench itself: it runs each
//! measurement as a process of its own, by running itself with one of them.
//! The help leaves them out.

use std::ffi::OsString;
use std::path::PathBuf;

xflags::xflags! {
    /// Measures, in a release build and one run: N sockets on every stage against
    /// reading them in turn; polls and CPU share of the busy and waker executors and
    /// of futures' LocalPool; 1,000 to 100,000 FutSockets on waker-executor,
    /// LocalPool and block_on(join_all(..)); 1,000,000 ready futures on each; a
    /// loopback echo on stage 7's runtime against tokio's current-thread runtime
    /// and smol's executor; stage 8's select and timeout against futures' and
    /// tokio's; stage 9 against tokio's multi-thread runtime on tokio's
    /// scheduler benchmarks, idle CPU and the echo, at 1 and 2 workers; and
    /// hyper's HTTP server on stages 7 and 9 against tokio's two runtimes, under wrk.
    /// Prints a table with the goals met or missed, and writes bench.md and
    /// bench.svg.
    cmd bench {
        /// Smaller sizes, for CI (tens of seconds).
        optional --quick
        /// Tiny sizes, for a smoke test (seconds, even in a debug build).
        optional --tiny
        /// Where bench.md and bench.svg go (default: docs/src for a full run,
        /// target/bench for --quick and --tiny).
        optional --out dir: PathBuf

        /// Every measurement, and the report (what the bench does by default).
        default cmd all {}
        /// One measurement, printed as one line.
        cmd case {
            required case: String
            required n: usize
            required delay_ms: u64
        }
        /// One echo run, printed as one line.
        cmd echo {
            required runtime: String
            required connections: usize
            required round_trips: usize
        }
        /// Idle connections served, made by the process that started it.
        cmd idle {
            required runtime: String
            required connections: usize
        }
        /// One run of a cancellation workload, printed as one line.
        cmd cancel {
            /// `ours` or `peer`.
            required side: String
            required workload: String
            required operations: u32
        }
        /// One run of a scheduler workload, printed as one line.
        cmd sched {
            required runtime: String
            required workers: usize
            required workload: String
            required iterations: u32
        }
        /// hyper's HTTP server on one runtime, until its standard input closes.
        cmd http {
            required runtime: String
            required workers: usize
        }
    }
}

impl Bench {
    /// Reads `args` (without the program's name), `--out=DIR` as `--out DIR`;
    /// the error is a message for a usage error.
    pub fn parse(args: Vec<OsString>) -> Result<Bench, String> {
        let mut split = Vec::with_capacity(args.len());
        for arg in args {
            match arg.to_str().and_then(|arg| arg.strip_prefix("--out=")) {
                Some(dir) => split.extend(["--out".into(), dir.into()]),
                None => split.push(arg),
            }
        }
        let bench = Bench::from_vec(split).map_err(|error| match error.is_help() {
            true => String::new(),
            false => usage_message(&error),
        })?;
        if bench.quick && bench.tiny {
            return Err("--quick and --tiny do not go together".to_owned());
        }
        Ok(bench)
    }

    /// Whether `args` ask for the help.
    pub fn wants_help(args: &[OsString]) -> bool {
        args.iter().any(|arg| arg == "--help" || arg == "-h")
    }
}

/// The help, without the subcommands the bench runs itself with.
pub fn help() -> String {
    let options = Bench::HELP_
        .split("\n\nSUBCOMMANDS:")
        .next()
        .unwrap_or_default();
    let about = options.split_once('\n').map_or("", |(_, rest)| rest);
    format!("Usage: cargo xtask bench [--quick | --tiny] [--out DIR]\n{about}\n")
}

/// An error of xflags in the words of the tools' other usage errors (xtask
/// uses this too).
pub fn usage_message(error: &xflags::Error) -> String {
    let message = error.to_string();
    let quoted = |text: &str| text.trim_matches('`').trim_matches('"').to_owned();
    if message == "expected a value for `--out`" {
        "--out needs a directory".to_owned()
    } else if let Some(flag) = message.strip_prefix("unexpected flag: ") {
        format!("unknown flag {:?}", quoted(flag))
    } else if let Some(arg) = message.strip_prefix("unexpected argument: ") {
        format!("unexpected argument {:?}", quoted(arg))
    } else if let Some(flag) = message.strip_prefix("expected a value for ") {
        format!("{} needs a value", quoted(flag))
    } else if let Some(flag) = message.strip_prefix("flag specified more than once: ") {
        format!("{} is given more than once", quoted(flag))
    } else if message == "subcommand is required" {
        "no command given".to_owned()
    } else {
        message
    }
}
