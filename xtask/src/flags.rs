//! Every command and flag of `cargo xtask`, declared once: the parser, the
//! types (`Xtask`, its `XtaskCmd`, a struct per command with a field per
//! flag) and the help text are all generated from this grammar.
//!
//! `bench` and `serve` are declared here for their place in the help; their
//! own flags live with them (`bench/src/flags.rs`, `http/src/flags.rs`), and
//! `main` hands them over whole.

use std::ffi::OsString;
use std::fmt::Write as _;

xflags::xflags! {
    /// the commands of poll-to-await.
    ///
    /// Stages are named by number (1) or crate name (socket-sim).
    cmd xtask {
        /// Run every stage's demo in order: the way in.
        ///
        /// Each stage is introduced by the idea it adds and what to watch for; the
        /// executor stages then draw a timeline of their polls and wakes, and a table
        /// of all of them closes the walkthrough.
        cmd walkthrough {
            /// Start at this stage (number or crate name).
            optional --from stage: String
            /// Run this stage alone.
            optional --only stage: String
            /// How long a socket takes to become readable, in milliseconds
            /// (default: SOCKET_SIM_DELAY_MS, else the article's 2000).
            optional --delay-ms ms: String
            /// No colours (also when NO_COLOR is set, or not on a terminal).
            optional --no-color
            /// Also write each stage's main run to DIR/stage-N-<crate>.json, in the Trace
            /// Event Format (open it in https://ui.perfetto.dev or chrome://tracing).
            optional --trace-out dir: String
        }
        /// Run every stage's tests in order, stopping at the first failing stage.
        ///
        /// Runs `cargo test -p <crate>` for each stage and prints a summary; exit 1 when
        /// a stage failed.
        cmd test {}
        /// The stages: number, crate, idea, article section.
        cmd list {}
        /// Copy a stage into exercises/ with its key bodies left to write.
        ///
        /// The fork is a crate of the workspace named NAME, in exercises/NAME, with the
        /// body of each exercise region replaced by a todo!() with its hint. The stage's own tests
        /// stay with it: `cargo test -p NAME` fails until the bodies are written, and
        /// passes when they are right. `fork next` forks the first stage not done yet
        /// (see `cargo xtask progress`), or names the fork of it you have already.
        cmd fork {
            /// The stage to copy (number or crate name), or `next`.
            optional stage: String
            /// The fork's crate name, and its directory under exercises/
            /// (default: my-<crate>, as my-socket-sim).
            optional name: String
        }
        /// Judge a fork: its tests, its loom models, the regions still todo!.
        ///
        /// Runs the tests of exercises/NAME, and its loom models where the stage has them,
        /// and reports for each exercise region whether it is still todo!, and which tests
        /// fail or ran out of time. Exit 0 only when every test passes.
        cmd check {
            /// The fork's name, as given to `cargo xtask fork`.
            optional name: String
        }
        /// Judge a fork again each time one of its files changes, one step at a time.
        ///
        /// Each step is an exercise region, in file order. A judgement builds the fork,
        /// runs the current step's own tests (those that stop at its todo!()), then every
        /// test of the stage, then the doc tests and the loom models once those pass, and
        /// shows the stage, the steps, the first failing test and the next hint. With no
        /// NAME it watches the fork you last forked or watched (exercises/.progress.toml),
        /// else the one changed last. Ctrl-C stops it.
        cmd watch {
            /// The fork's name, as given to `cargo xtask fork`.
            optional name: String
            /// Judge once, then stop: exit 0 when the stage is done, 1 when not.
            optional --once
            /// No colours (also when NO_COLOR is set, or not on a terminal).
            optional --no-color
        }
        /// Every stage: not forked, in progress (k of n steps), or done.
        ///
        /// Read from your forks in exercises/ and from what `cargo xtask watch` and `check`
        /// recorded of them in exercises/.progress.toml (safe to delete: watch learns it
        /// again).
        cmd progress {}
        /// What a stage adds to the one before it: new types and functions, changed lines.
        ///
        /// Compares the lesson code (src/ but the demo) of two neighbouring stages, by
        /// number or crate name (`diff 4 5`, or `diff 5` for the same), item by item: what
        /// the later stage has that the earlier has not, the lines that changed in what
        /// both have, and what it reuses from the stages before it. Each chapter of the
        /// book shows the same in a box under its title.
        cmd diff {
            /// The earlier stage (or, alone, the later one).
            optional earlier: String
            /// The later stage: the next one after EARLIER.
            optional later: String
        }
        /// Build the book in docs/ (needs mdbook).
        ///
        /// Checks that every {{#include}} of the book names a file and an anchor that
        /// exist, draws each stage's timeline into docs/src/timelines, then builds the
        /// book into target/book with mdbook (`cargo install mdbook --locked`).
        cmd docs {}
        /// Break each wake protocol as the book names, and check a model catches it.
        ///
        /// In a copy of the workspace (target/mutants), applies each mutation of the
        /// table in xtask/src/mutants.rs in turn (a plain store for a swap, a missing
        /// fence, a rouse before the push, ...) and runs the test that must catch it,
        /// most of them loom models. Prints a table; exit 1 if one is not caught.
        /// Takes some minutes: each mutant is a loom build.
        cmd mutants {
            /// Only the mutations whose name contains this.
            optional --only text: String
        }
        /// Measure every stage against futures' executors (release build).
        ///
        /// Its options are the bench's own: `cargo xtask bench --help`.
        cmd bench {}
        /// Serve HTTP with hyper on stage 7's runtime (or 9's, or tokio's), on loopback.
        ///
        /// Its options are the server's own: `cargo xtask serve --help`.
        cmd serve {}
        /// This text, or a command's (also --help or -h).
        cmd help {
            /// The command to tell more about.
            optional command: String
        }
    }
}

/// The name this tool is called by, as the help shows it.
const TOOL: &str = "cargo xtask";

impl Xtask {
    /// Reads `args` (without the program's name), with `--flag=value` taken as
    /// `--flag value`.
    pub fn parse(args: Vec<OsString>) -> xflags::Result<Xtask> {
        Xtask::from_vec(split_inline_values(args))
    }
}

/// `args` with every `--flag=value` split in two, as xflags reads flags
/// and their values as separate arguments.
pub fn split_inline_values(args: Vec<OsString>) -> Vec<OsString> {
    let mut split = Vec::with_capacity(args.len());
    for arg in args {
        match arg
            .to_str()
            .and_then(|arg| arg.strip_prefix("--")?.split_once('='))
        {
            Some((flag, value)) => split.extend([format!("--{flag}").into(), value.into()]),
            None => split.push(arg),
        }
    }
    split
}

/// The help of `command`, or of the whole tool for `None`; `None` back for a
/// command there is not.
pub fn help(command: Option<&str>) -> Option<String> {
    let sections = sections();
    let Some(command) = command else {
        return Some(overview(&sections));
    };
    let (_, text) = sections.into_iter().find(|(name, _)| *name == command)?;
    Some(format!("Usage: {TOOL} {text}\n"))
}

/// The names of the commands, in the order of the help.
pub fn commands() -> Vec<&'static str> {
    sections().into_iter().map(|(name, _)| name).collect()
}

/// The generated help, cut into one section per command: its name, and its
/// text from the name on (`fork\n  Copy a stage ...`). xflags writes a
/// command's section after a blank line, as `xtask <command>`.
fn sections() -> Vec<(&'static str, &'static str)> {
    Xtask::HELP_
        .split("\n\nxtask ")
        .skip(1)
        .map(|section| {
            let section = section.trim_end();
            let name = section.lines().next().unwrap_or_default().trim();
            (name, section)
        })
        .collect()
}

/// The tool's own help: what it is, then each command with the first line of
/// its description.
fn overview(sections: &[(&'static str, &'static str)]) -> String {
    // The tool's description: a line, then a paragraph.
    let mut paragraphs = Xtask::HELP_.split("\n\n");
    let first = paragraphs.next().and_then(|first| first.lines().nth(1));
    let (first, rest) = (first.unwrap_or_default().trim(), paragraphs.next());
    let mut text = format!("{TOOL}: {first}\n\nUsage: {TOOL} <command> [options]\n\nCommands:\n");
    for (name, section) in sections {
        let summary = section.lines().nth(1).unwrap_or_default().trim();
        let _ = writeln!(text, "  {name:12} {}", summary.trim_end_matches('.'));
    }
    let _ = writeln!(text, "\n{}", rest.unwrap_or_default().trim());
    text + &format!("`{TOOL} help <command>` or `{TOOL} <command> --help` tells more about one.\n")
}

/// An error of xflags in the words of this tool's other usage errors: the
/// bench's translation, which both tools share.
pub fn usage_message(error: &xflags::Error) -> String {
    crate::bench::flags::usage_message(error)
}
