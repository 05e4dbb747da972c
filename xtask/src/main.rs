//! `cargo xtask`: the workspace's own commands, run through the alias in
//! `.cargo/config.toml`.
//!
//! `flags.rs` declares every command and flag; this file picks the module
//! that runs one. Exit codes: 0 success, 1 a stage or its tests failed, 2
//! bad usage.
#![forbid(unsafe_code)]

mod bench;
mod check;
mod cli;
mod diff;
mod docs;
mod each;
mod flags;
mod fork;
mod list;
mod mutants;
mod pictures;
mod progress;
mod serve;
mod stage_tests;
mod stages;
mod steps;
mod svg;
#[cfg(test)]
mod tidy;
mod timeline;
mod walkthrough;
mod watch;

use std::ffi::OsString;
use std::process::ExitCode;

use cli::Failure;
use flags::XtaskCmd;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

fn run(args: Vec<OsString>) -> Result<(), Failure> {
    // The bench's flags are the bench's own, and the server's its own:
    // they go to it whole.
    match args.first().and_then(|command| command.to_str()) {
        Some("bench") => return bench::run(args[1..].to_vec()),
        Some("serve") => return serve::run(args[1..].to_vec()),
        _ => {}
    }
    let command = match flags::Xtask::parse(args.clone()) {
        Ok(flags) => flags.subcommand,
        Err(error) => return Failure::from_flags(&error, &args),
    };
    match command {
        XtaskCmd::Walkthrough(flags) => walkthrough::run(flags),
        XtaskCmd::Test(_) => stage_tests::run(),
        XtaskCmd::List(_) => list::run(),
        XtaskCmd::Fork(flags) => fork::run_fork(flags),
        XtaskCmd::Check(flags) => check::run(flags),
        XtaskCmd::Watch(flags) => watch::run(flags),
        XtaskCmd::Progress(_) => progress::run(),
        XtaskCmd::Diff(flags) => diff::run(flags),
        XtaskCmd::Docs(_) => docs::run(),
        XtaskCmd::Mutants(flags) => mutants::run(flags),
        XtaskCmd::Bench(_) => unreachable!("the bench is handed its arguments above"),
        XtaskCmd::Serve(_) => unreachable!("the server is handed its arguments above"),
        XtaskCmd::Help(flags) => match flags.command.as_deref() {
            Some("bench") => bench::run(vec!["--help".into()]),
            Some("serve") => serve::run(vec!["--help".into()]),
            command => {
                let help = flags::help(command);
                let help = help.ok_or_else(|| Failure::unknown_command(command.unwrap_or("")))?;
                print!("{help}");
                Ok(())
            }
        },
    }
}
