//! `cargo xtask walkthrough`: every stage's demo in order, the way in.
//!
//! Each stage is introduced by its idea, the article section it follows, its
//! crate and what to watch for; then its demo runs, with a live progress
//! line on a terminal while its sockets wait; executor stages then show a
//! timeline of their traced run; and one line says what is still wrong. A
//! table of every stage's main run closes the walkthrough.

use std::io::{self, Write};
use std::time::Duration;

use lab::demo::Summary;
use lab::measure::{Percent, Thousands};

use crate::cli::{Arg, Args, Failure};
use crate::stages::{self, STAGES, Stage};
use crate::terminal::{self, Style};
use crate::timeline;

const USAGE: &str = "\
Usage: cargo xtask walkthrough [--from STAGE | --only STAGE] [--delay-ms N] [--no-color]

Runs the demo of every stage in order, each introduced by the idea it adds
and what to watch for, with a timeline of polls and wakes for the executor
stages and a table of all of them at the end.

Options:
  --from STAGE    start at this stage (number or crate name)
  --only STAGE    run this stage alone
  --delay-ms N    how long a socket takes to become readable, in milliseconds
                  (default: SOCKET_SIM_DELAY_MS, else the article's 2000)
  --no-color      no colours (also when NO_COLOR is set, or not on a terminal)
  -h, --help      this text
";

/// What the command line asked for.
#[derive(Debug)]
struct Options {
    stages: &'static [Stage],
    delay: Duration,
    no_color: bool,
}

pub fn run(args: Vec<String>) -> Result<(), Failure> {
    let Some(options) = parse(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let look = Look {
        style: Style::new(terminal::wants_color(options.no_color)),
        live: terminal::is_terminal(),
    };
    match walk(&mut io::stdout(), &options, look) {
        // The reader stopped reading (`| head`, say): nothing is wrong.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        result => result
            .map_err(|error| Failure::Failed(format!("cannot write the walkthrough: {error}"))),
    }
}

/// Reads the command line; `None` when help was asked for.
fn parse(args: Vec<String>) -> Result<Option<Options>, Failure> {
    let mut args = Args::new(args, USAGE);
    let (mut from, mut only, mut delay, mut no_color) = (None, None, None, false);
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
            Arg::Flag { name, value: None } if name == "--no-color" => no_color = true,
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
    Ok(Some(Options {
        stages,
        delay,
        no_color,
    }))
}

/// How the output looks: colours, and whether a live progress line is drawn.
#[derive(Clone, Copy, Debug)]
struct Look {
    style: Style,
    live: bool,
}

/// Writes the walkthrough of `options.stages` to `out`.
fn walk(out: &mut (dyn Write + Send), options: &Options, look: Look) -> io::Result<()> {
    let Look { style, live } = look;
    let ms = options.delay.as_millis();
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "poll-to-await, from a fake socket to async/await; sockets take {ms} ms"
        ))
    )?;
    let mut rows = Vec::new();
    for stage in options.stages {
        introduce(out, stage, style)?;
        let summary = terminal::with_progress(out, live, |out| (stage.demo)(out, options.delay))??;
        if let Some(trace) = &summary.trace {
            let timeline = timeline::draw(trace, options.delay);
            writeln!(out)?;
            writeln!(
                out,
                "   Timeline of its main run, {} columns per delay:",
                timeline.columns_per_delay
            )?;
            for lane in &timeline.lanes {
                writeln!(out, "   {lane}")?;
            }
            writeln!(out, "   {}", style.dim(timeline::LEGEND))?;
        }
        writeln!(out)?;
        let next = match STAGES.get(usize::from(stage.number)) {
            Some(next) => format!("What stage {} fixes", next.number),
            None => "Beyond this workspace".to_owned(),
        };
        writeln!(
            out,
            "   {}",
            style.warning(&format!("{next}: {}", stage.flaw))
        )?;
        rows.push((stage, summary));
    }
    writeln!(out)?;
    writeln!(out, "{}", style.heading("━━ Every stage's main run"))?;
    write!(out, "{}", table(&rows, style))
}

fn introduce(out: &mut dyn Write, stage: &Stage, style: Style) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.heading(&format!(
            "━━ Stage {} of {}: {}",
            stage.number,
            STAGES.len(),
            stage.idea
        ))
    )?;
    writeln!(
        out,
        "   crate {}, article section \"{}\"",
        stage.krate, stage.section
    )?;
    writeln!(out, "   Watch for: {}", stage.watch)?;
    writeln!(out)
}

/// The closing table: a row per stage, from its demo's main run.
fn table(rows: &[(&Stage, Summary)], style: Style) -> String {
    let width = rows
        .iter()
        .map(|(stage, _)| stage.krate.len())
        .max()
        .unwrap_or(0);
    let header = format!(
        "stage  {:width$}  futures  wall      CPU share  polls per future",
        "crate"
    );
    let mut table = format!("{}\n", style.bold(&header));
    for (stage, summary) in rows {
        let futures = summary
            .futures
            .map_or("-".to_owned(), |futures| futures.to_string());
        let wall = format!("{} ms", summary.took.wall.as_millis());
        // Under a millisecond (a delay of 0), a share is clock noise.
        let cpu = if summary.took.wall.as_millis() == 0 {
            "-".to_owned()
        } else {
            Percent(summary.took.cpu_share()).to_string()
        };
        let per_future = match (summary.polls, summary.futures) {
            (Some(polls), Some(futures)) if futures > 0 => per_future(polls, futures as u64),
            _ => "-".to_owned(),
        };
        let number = stage.number;
        table += &format!(
            "{number:>5}  {:width$}  {futures:>7}  {wall:>8}  {cpu:>9}  {per_future:>16}\n",
            stage.krate
        );
    }
    table
}

/// Polls per future: one decimal if it has one and is small, else a whole
/// number with thousands separators.
fn per_future(polls: u64, futures: u64) -> String {
    let per_future = polls as f64 / futures as f64;
    if polls % futures != 0 && per_future < 1000.0 {
        format!("{per_future:.1}")
    } else {
        Thousands(per_future.round() as u64).to_string()
    }
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
        (
            options.stages.iter().map(|stage| stage.number).collect(),
            options.delay,
        )
    }

    #[test]
    fn flags_choose_stages_and_delay() {
        assert_eq!(
            chosen(&["--only", "socket-sim", "--delay-ms=250"]),
            (vec![1], Duration::from_millis(250))
        );
        let from_two: Vec<u8> = (2..=STAGES.len() as u8).collect();
        assert_eq!(
            chosen(&["--from=2", "--delay-ms", "0"]),
            (from_two, Duration::ZERO)
        );
        assert_eq!(
            chosen(&["--only", "3", "--delay-ms", "1"]),
            (vec![3], Duration::from_millis(1))
        );
        assert!(
            parse(&["--no-color", "--delay-ms", "5"])
                .unwrap()
                .unwrap()
                .no_color
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
        assert_eq!(
            usage_error(&["--no-color=yes"]),
            r#"unknown flag "--no-color""#
        );
        assert_eq!(
            usage_error(&["socket-sim"]),
            r#"unexpected argument "socket-sim""#
        );
        assert_eq!(
            usage_error(&["--from", "1", "--only", "1"]),
            "--from and --only do not go together"
        );
        assert!(
            usage_error(&["--only", "nope"])
                .starts_with("unknown stage \"nope\"; the stages are:\n  1  socket-sim")
        );
    }

    #[test]
    fn the_table_has_a_row_per_stage_with_polls_per_future() {
        let summary = |futures, wall_ms, cpu_ms, polls| Summary {
            futures,
            took: lab::measure::Measurement {
                wall: Duration::from_millis(wall_ms),
                cpu: Duration::from_millis(cpu_ms),
            },
            polls,
            trace: None,
        };
        let rows = [
            (&STAGES[0], summary(None, 100, 99, None)),
            (&STAGES[2], summary(Some(2), 101, 100, Some(1_234_568))),
            (&STAGES[4], summary(Some(2), 200, 1, Some(5))),
            (&STAGES[5], summary(Some(2), 2000, 1, Some(5_000_001))),
        ];
        insta::assert_snapshot!(table(&rows, Style::new(false)), @"
        stage  crate             futures  wall      CPU share  polls per future
            1  socket-sim              -    100 ms        99%                 -
            3  busy-executor           2    101 ms        99%           617,284
            5  futsocket               2    200 ms      0.50%               2.5
            6  async-await-demo        2   2000 ms      0.05%         2,500,001
        ");
    }
}
