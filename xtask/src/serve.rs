//! `cargo xtask serve`: reads the server's flags (its own `flags.rs`,
//! included here), then builds the server (the `http-server` package) in
//! release mode, the build the bench measures, and runs it with them.
//!
//! On Unix this process becomes cargo, which becomes the server (both
//! `exec`), so that Ctrl-C reaches the server alone and the shell waits for
//! its clean stop. Elsewhere the server runs as a child, and this process
//! waits for it.

use std::ffi::OsString;
use std::process::Command;

use crate::cli::{self, Failure};

#[path = "../../http/src/flags.rs"]
#[allow(
    dead_code,
    reason = "xtask reads the flags to check them; the server acts on them"
)]
mod flags;

pub fn run(args: Vec<OsString>) -> Result<(), Failure> {
    // Help and bad flags are answered here, before a minute of building.
    if flags::wants_help(&args) {
        print!("{}", flags::help());
        return Ok(());
    }
    if let Err(message) = flags::parse(args.clone()) {
        return Err(Failure::Usage {
            message,
            usage: flags::help(),
        });
    }
    let mut cargo = cli::cargo();
    // Not quiet: the first release build takes a minute, and says so.
    cargo.args(["run", "--release", "--package", "http-server", "--"]);
    cargo.args(args);
    run_in_place(cargo)
}

#[cfg(unix)]
fn run_in_place(mut cargo: Command) -> Result<(), Failure> {
    use std::os::unix::process::CommandExt;
    // Returns only if cargo could not be started.
    let error = cargo.exec();
    Err(Failure::Failed(format!("cannot run cargo: {error}")))
}

#[cfg(not(unix))]
fn run_in_place(mut cargo: Command) -> Result<(), Failure> {
    let status = cargo
        .status()
        .map_err(|error| Failure::Failed(format!("cannot run cargo: {error}")))?;
    match status.code() {
        Some(0) => Ok(()),
        // The server (or cargo) has said why.
        Some(code) => Err(Failure::Quiet(u8::try_from(code).unwrap_or(1))),
        None => Err(Failure::Failed("the server was stopped".to_owned())),
    }
}
