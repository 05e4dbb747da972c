//! `cargo xtask bench`: builds the benchmark (the `bench` package) in release
//! mode and runs it with the arguments given; it says what is wrong itself.

use std::path::Path;

use crate::cli::{self, Failure};

pub fn run(args: Vec<String>) -> Result<(), Failure> {
    // Cargo runs the bench from the workspace root: a relative `--out DIR`
    // means DIR where the user is, so it goes over as an absolute path.
    let here = std::env::current_dir()
        .map_err(|error| Failure::Failed(format!("cannot read the current directory: {error}")))?;
    let args = absolute_out(args, &here);
    let status = cli::cargo()
        .args(["run", "--release", "--package", "bench", "--"])
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

/// `args` with the directory of `--out DIR` (or `--out=DIR`) made absolute,
/// relative to `here`.
fn absolute_out(args: Vec<String>, here: &Path) -> Vec<String> {
    let absolute = |dir: &str| here.join(dir).to_string_lossy().into_owned();
    let mut out = Vec::with_capacity(args.len());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--out" {
            out.push(arg);
            out.extend(args.next().map(|dir| absolute(&dir)));
        } else if let Some(dir) = arg.strip_prefix("--out=") {
            out.push(format!("--out={}", absolute(dir)));
        } else {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_out_dir_is_where_the_user_is_and_an_absolute_one_stays() {
        let here = Path::new("/home/learner/notes");
        let args = |list: &[&str]| list.iter().map(|arg| arg.to_string()).collect::<Vec<_>>();
        assert_eq!(
            absolute_out(args(&["--quick", "--out", "results"]), here),
            args(&["--quick", "--out", "/home/learner/notes/results"])
        );
        assert_eq!(
            absolute_out(args(&["--out=../r"]), here),
            args(&["--out=/home/learner/notes/../r"])
        );
        assert_eq!(
            absolute_out(args(&["--out", "/tmp/r", "--tiny"]), here),
            args(&["--out", "/tmp/r", "--tiny"])
        );
        assert_eq!(
            absolute_out(args(&["--out"]), here),
            args(&["--out"]),
            "the bench says what is missing"
        );
    }
}
