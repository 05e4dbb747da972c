//! `cargo xtask walkthrough`: every stage's demo in order, each introduced by
//! its idea and what to watch for, and closed by the flaw the next stage fixes.

use std::io::{self, Write};
use std::time::Duration;

use crate::cli::{Arg, Args, Failure};
use crate::stages::{self, STAGES, Stage};

const USAGE: &str = "\
Usage: cargo xtask walkthrough [--from STAGE | --only STAGE] [--delay-ms N]

Runs the demo of every stage in order, each introduced by the idea it adds
and what to watch for in its output.

Options:
  --from STAGE    start at this stage (number or crate name)
  --only STAGE    run this stage alone
  --delay-ms N    how long a socket takes to become readable, in milliseconds
                  (default: SOCKET_SIM_DELAY_MS, else the article's 2000)
  -h, --help      this text
";

/// What the command line asked for.
#[derive(Debug)]
struct Options {
    stages: &'static [Stage],
    delay: Duration,
}

pub fn run(args: Vec<String>) -> Result<(), Failure> {
    let Some(options) = parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let mut out = io::stdout().lock();
    walk(&mut out, &options)
        .map_err(|error| Failure::Failed(format!("cannot write the walkthrough: {error}")))
}

/// Reads the command line; `None` when help was asked for.
fn parse(args: Vec<String>) -> Result<Option<Options>, Failure> {
    let mut args = Args::new(args, USAGE);
    let (mut from, mut only, mut delay) = (None, None, None);
    while let Some(arg) = args.next_arg() {
        match arg {
            Arg::Help => return Ok(None),
            Arg::Flag { name, value } if name == "--from" => from = Some(args.value(&name, value)?),
            Arg::Flag { name, value } if name == "--only" => only = Some(args.value(&name, value)?),
            Arg::Flag { name, value } if name == "--delay-ms" => {
                let text = args.value(&name, value)?;
                delay = Some(
                    socket_sim::parse_delay_ms("--delay-ms", &text)
                        .map_err(|error| args.error(error.to_string()))?,
                );
            }
            other => return Err(args.unexpected(other)),
        }
    }
    let stages = match (from, only) {
        (Some(_), Some(_)) => return Err(args.error("--from and --only do not go together")),
        (Some(from), None) => &STAGES[usize::from(stages::find(&from, USAGE)?.number) - 1..],
        (None, Some(only)) => {
            let index = usize::from(stages::find(&only, USAGE)?.number) - 1;
            &STAGES[index..=index]
        }
        (None, None) => STAGES,
    };
    let delay = match delay {
        Some(delay) => delay,
        None => socket_sim::default_delay().map_err(|error| args.error(error.to_string()))?,
    };
    Ok(Some(Options { stages, delay }))
}

/// Writes the walkthrough of `options.stages` to `out`.
fn walk(out: &mut dyn Write, options: &Options) -> io::Result<()> {
    for stage in options.stages {
        writeln!(
            out,
            "Stage {} of {}: {} ({})",
            stage.number,
            STAGES.len(),
            stage.idea,
            stage.krate
        )?;
        writeln!(out, "Article section: \"{}\"", stage.section)?;
        writeln!(out, "Watch for: {}", stage.watch)?;
        writeln!(out)?;
        (stage.demo)(out, options.delay)?;
        writeln!(out)?;
        writeln!(out, "What is still wrong: {}", stage.flaw)?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, Failure> {
        super::parse(args.iter().map(|arg| arg.to_string()).collect())
    }

    fn usage_error(args: &[&str]) -> String {
        match parse(args) {
            Err(Failure::Usage { message, .. }) => message,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    /// The stage numbers and delay that `args` ask for.
    fn chosen(args: &[&str]) -> (Vec<u8>, Duration) {
        let options = parse(args).unwrap().expect("not a request for help");
        (options.stages.iter().map(|stage| stage.number).collect(), options.delay)
    }

    #[test]
    fn flags_choose_stages_and_delay() {
        assert_eq!(
            chosen(&["--only", "socket-sim", "--delay-ms=250"]),
            (vec![1], Duration::from_millis(250))
        );
        let from_two: Vec<u8> = (2..=STAGES.len() as u8).collect();
        assert_eq!(chosen(&["--from=2", "--delay-ms", "0"]), (from_two, Duration::ZERO));
        assert_eq!(
            chosen(&["--only", "3", "--delay-ms", "1"]),
            (vec![3], Duration::from_millis(1))
        );
        assert!(parse(&["--delay-ms", "5", "--help"]).unwrap().is_none());
    }

    #[test]
    fn bad_flags_are_usage_errors_that_name_the_problem() {
        assert_eq!(
            usage_error(&["--delay-ms", "abc"]),
            r#"--delay-ms: "abc" is not a whole number of milliseconds"#
        );
        assert_eq!(usage_error(&["--delay-ms"]), "--delay-ms needs a value");
        assert_eq!(usage_error(&["--fast"]), r#"unknown flag "--fast""#);
        assert_eq!(usage_error(&["socket-sim"]), r#"unexpected argument "socket-sim""#);
        assert_eq!(
            usage_error(&["--from", "1", "--only", "1"]),
            "--from and --only do not go together"
        );
        assert!(
            usage_error(&["--only", "nope"])
                .starts_with("unknown stage \"nope\"; the stages are:\n  1  socket-sim")
        );
    }
}
