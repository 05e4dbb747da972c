//! `cargo xtask bench`: builds the benchmark (`src/bin/bench`) in release
//! mode and runs it with the arguments given; it says what is wrong itself.

use crate::cli::{self, Failure};

pub fn run(args: Vec<String>) -> Result<(), Failure> {
    let status = cli::cargo()
        .args(["run", "--release", "--package", "xtask", "--bin", "bench", "--"])
        .args(args)
        .status()
        .map_err(|error| Failure::Failed(format!("cannot run cargo: {error}")))?;
    match status.code() {
        Some(0) => Ok(()),
        // The bench (or cargo) has printed why already.
        Some(code) => Err(Failure::Quiet(u8::try_from(code).unwrap_or(1))),
        None => Err(Failure::Failed("the bench was stopped by a signal".to_owned())),
    }
}
