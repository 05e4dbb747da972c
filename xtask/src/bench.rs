//! `cargo xtask bench`: reads the bench's flags (its own `flags.rs`,
//! included here), then builds the benchmark (the `bench` package) in
//! release mode and runs it with them; the bench says what is wrong itself.

use std::ffi::OsString;

use crate::cli::{self, Failure};

#[path = "../../bench/src/flags.rs"]
#[allow(
    dead_code,
    reason = "xtask reads the flags to check them; the bench acts on them"
)]
pub mod flags;

pub fn run(args: Vec<OsString>) -> Result<(), Failure> {
    // Help and bad flags are answered here, before minutes of building.
    if flags::Bench::wants_help(&args) {
        print!("{}", flags::help());
        return Ok(());
    }
    if let Err(message) = flags::Bench::parse(args.clone()) {
        return Err(Failure::Usage {
            message,
            usage: flags::help(),
        });
    }
    // By its manifest, from where the user is: a relative `--out` is theirs.
    let manifest = cli::workspace_root().join("bench/Cargo.toml");
    let status = cli::cargo_here()
        .args(["run", "--release", "--manifest-path"])
        .arg(manifest)
        .arg("--")
        .args(args)
        .status()
        .map_err(|error| Failure::Failed(format!("cannot run cargo: {error}")))?;
    match status.code() {
        Some(0) => Ok(()),
        // The bench (or cargo) has printed why already.
        Some(code) => Err(Failure::Quiet(u8::try_from(code).unwrap_or(1))),
        None => Err(Failure::Failed(
            "the bench was stopped by a signal".to_owned(),
        )),
    }
}
