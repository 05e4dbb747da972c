//! `cargo xtask`: the workspace's own commands, run through the alias in
//! `.cargo/config.toml`.
//!
//! Each command lives in a module of its own; this file only picks one. Exit
//! codes: 0 success, 1 a stage or its tests failed, 2 bad usage.
#![forbid(unsafe_code)]

mod bench;
mod cli;
mod docs;
mod fork;
mod list;
mod pictures;
mod stage_tests;
mod stages;
mod terminal;
#[cfg(test)]
mod tidy;
mod timeline;
mod walkthrough;

use std::process::ExitCode;

use cli::Failure;

const USAGE: &str = "\
cargo xtask: the commands of poll-to-await

Usage: cargo xtask <command> [options]

Commands:
  walkthrough  run every stage's demo in order: the way in
  test         run every stage's tests in order, stopping at the first failing stage
  list         the stages: number, crate, idea, article section
  fork         copy a stage into exercises/ with its key bodies left to write
  check        run a fork's tests and say which exercises are still to do
  docs         build the book in docs/ (needs mdbook)
  bench        measure every stage against futures' executors (release build)
  help         this text (also --help or -h)

Stages are named by number (1) or crate name (socket-sim).
`cargo xtask <command> --help` tells more about a command.
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let args: Vec<String> = args.collect();
    let outcome = match command.as_deref() {
        Some("walkthrough") => walkthrough::run(args),
        Some("test") => stage_tests::run(args),
        Some("list") => list::run(args),
        Some("fork") => fork::run_fork(args),
        Some("check") => fork::run_check(args),
        Some("docs") => docs::run(args),
        Some("bench") => bench::run(args),
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(Failure::usage(format!("unknown command {other:?}"), USAGE)),
        None => Err(Failure::usage("no command given", USAGE)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
