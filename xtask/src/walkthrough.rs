//! `cargo xtask walkthrough`: every stage's demo in order, the way in.
//!
//! Each stage is introduced by its idea, the article section it follows, its
//! crate and what to watch for; then its demo runs, with a live progress
//! line on a terminal while its sockets wait; executor stages then show a
//! timeline of their traced run; and one line says what is still wrong. A
//! table of every stage's main run closes the walkthrough.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use lab::demo::Summary;
use lab::measure::{Percent, Thousands};
use socket_sim::{SocketCounts, socket_counts};

use crate::cli::{self, Failure};
use crate::flags;
use crate::stages::{self, STAGES, Stage};
use crate::timeline;

/// A stage's heading.
const HEADING: Style = AnsiColor::Cyan.on_default().bold();
/// Table headers.
const BOLD: Style = Style::new().bold();
/// What is still wrong.
const WARNING: Style = AnsiColor::Yellow.on_default();
/// Legends and asides.
const DIM: Style = Style::new().dimmed();

/// What the command line asked for.
#[derive(Debug)]
struct Options {
    stages: &'static [Stage],
    delay: Duration,
    no_color: bool,
    /// Where to write each stage's trace, if anywhere.
    trace_out: Option<PathBuf>,
}

pub fn run(flags: flags::Walkthrough) -> Result<(), Failure> {
    let options = options(flags).map_err(|message| Failure::usage(message, "walkthrough"))?;
    if let Some(dir) = &options.trace_out {
        // Before a minute of demos, not after.
        std::fs::create_dir_all(dir).map_err(|error| {
            Failure::Failed(format!(
                "cannot make the --trace-out directory {}: {error}",
                dir.display()
            ))
        })?;
    }
    if options.no_color {
        anstream::ColorChoice::Never.write_global();
    }
    // The writer drops the colours where they are not wanted (NO_COLOR,
    // CLICOLOR=0, not a terminal), and the progress line hides itself off a
    // terminal.
    let mut out = anstream::stdout();
    match walk(&mut out, &options, ProgressDrawTarget::stdout()) {
        // The reader stopped reading (`| head`, say): nothing is wrong.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        result => result
            .map_err(|error| Failure::Failed(format!("cannot write the walkthrough: {error}"))),
    }
}

/// The stages and delay the flags ask for, or what is wrong with them.
fn options(flags: flags::Walkthrough) -> Result<Options, String> {
    let stages = match (flags.from, flags.only) {
        (Some(_), Some(_)) => return Err("--from and --only do not go together".to_owned()),
        (Some(from), None) => &STAGES[usize::from(stages::find(&from)?.number) - 1..],
        (None, Some(only)) => {
            let index = usize::from(stages::find(&only)?.number) - 1;
            &STAGES[index..=index]
        }
        (None, None) => STAGES,
    };
    let delay = match flags.delay_ms {
        Some(text) => socket_sim::parse_delay_ms("--delay-ms", &text),
        None => socket_sim::default_delay(),
    };
    let trace_out = match flags.trace_out {
        Some(dir) if dir.is_empty() => return Err("--trace-out needs a directory".to_owned()),
        dir => dir.map(PathBuf::from),
    };
    Ok(Options {
        stages,
        delay: delay.map_err(|error| error.to_string())?,
        no_color: flags.no_color,
        trace_out,
    })
}

/// Writes the walkthrough of `options.stages` to `out`, with the progress
/// line of each wait drawn to `progress`.
fn walk(out: &mut dyn Write, options: &Options, progress: ProgressDrawTarget) -> io::Result<()> {
    let bar = progress_bar(progress);
    let out = &mut AboveBar::new(&bar, out);
    let ms = options.delay.as_millis();
    let title = format!(
        "poll-to-await, from a fake socket to a work-stealing runtime; sockets take {ms} ms"
    );
    writeln!(out, "{BOLD}{title}{BOLD:#}")?;
    let mut rows = Vec::new();
    for stage in options.stages {
        introduce(out, stage)?;
        let summary = (stage.demo)(out, options.delay)?;
        if let (Some(trace), Some((schedule, noun))) = (&summary.trace, stage.picture.schedule()) {
            let events = trace.iter().map(|event| (event.task, event.kind));
            let placement = timeline::place(events, schedule);
            writeln!(out)?;
            writeln!(
                out,
                "   Timeline of its main run, {} columns per delay:",
                timeline::COLUMNS_PER_DELAY
            )?;
            for lane in timeline::lanes(&placement, noun) {
                writeln!(out, "   {lane}")?;
            }
            writeln!(out, "   {DIM}{}{DIM:#}", timeline::LEGEND)?;
        }
        writeln!(out)?;
        let next = match STAGES.get(usize::from(stage.number)) {
            Some(next) => format!("What stage {} fixes", next.number),
            None => "Beyond this workspace".to_owned(),
        };
        writeln!(out, "   {WARNING}{next}: {}{WARNING:#}", stage.flaw)?;
        if let Some(dir) = &options.trace_out {
            write_trace(out, dir, stage, &summary)?;
        }
        rows.push((stage, summary));
    }
    writeln!(out)?;
    writeln!(out, "{HEADING}━━ Every stage's main run{HEADING:#}")?;
    let table = table(&rows);
    let (header, body) = table.split_once('\n').unwrap_or((&table, ""));
    write!(out, "{BOLD}{header}{BOLD:#}\n{body}")?;
    writeln!(out)?;
    writeln!(
        out,
        "Now build them yourself, one step at a time: {BOLD}cargo xtask fork next{BOLD:#}, then \
         {BOLD}cargo xtask watch{BOLD:#} (`cargo xtask progress` shows where you are)."
    )?;
    if let Some(dir) = &options.trace_out {
        writeln!(
            out,
            "Each stage's main run is in {}/stage-N-<crate>.json: open one in \
             https://ui.perfetto.dev (Open trace file) or chrome://tracing.",
            dir.display()
        )?;
    }
    bar.finish_and_clear();
    Ok(())
}

/// Writes the trace of `stage`'s main run into `dir`, and a line saying so.
fn write_trace(
    out: &mut dyn Write,
    dir: &std::path::Path,
    stage: &Stage,
    summary: &Summary,
) -> io::Result<()> {
    let Some(trace) = &summary.trace else {
        writeln!(
            out,
            "   {DIM}No trace: this demo runs no futures on an executor.{DIM:#}"
        )?;
        return Ok(());
    };
    // A lane of the timeline may be a worker; a track of the trace is
    // always a task or a future, and its threads have tracks of their own.
    let lane = match stage.picture.schedule() {
        Some((_, "task")) => "task",
        _ => "future",
    };
    let title = format!("stage {}, {}: its main run", stage.number, stage.krate);
    let json = lab::tef::to_json(&title, lane, trace);
    let name = format!("stage-{}-{}", stage.number, stage.krate);
    let path = lab::demo::write_trace(dir, &name, &json)?;
    writeln!(out, "   {DIM}Its trace: {}{DIM:#}", path.display())
}

fn introduce(out: &mut dyn Write, stage: &Stage) -> io::Result<()> {
    let (number, of) = (stage.number, STAGES.len());
    writeln!(out)?;
    writeln!(
        out,
        "{HEADING}━━ Stage {number} of {of}: {}{HEADING:#}",
        stage.idea
    )?;
    writeln!(
        out,
        "   crate {}, article section \"{}\"",
        stage.krate, stage.section
    )?;
    writeln!(out, "   Watch for: {}", stage.watch)?;
    writeln!(out)
}

/// The live line under a stage's output while its sockets wait: how long
/// the wait has lasted, and how many of the sockets built during it are
/// ready. Drawn ten times a second by indicatif's own ticker; empty when no
/// socket of this wait is waiting.
fn progress_bar(target: ProgressDrawTarget) -> ProgressBar {
    // A wait starts when nothing is waiting: its clock and its count start then.
    let wait = Arc::new(Mutex::new((Instant::now(), socket_counts())));
    let line = move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
        let mut wait = wait.lock().unwrap();
        let (since, before) = *wait;
        let now = socket_counts();
        match progress(since.elapsed(), before, now) {
            Some(line) => drop(out.write_str(&line)),
            None => *wait = (Instant::now(), now),
        }
    };
    let style = ProgressStyle::with_template("{wait}")
        .expect("a valid template")
        .with_key("wait", line);
    let bar = ProgressBar::with_draw_target(None, target).with_style(style);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// The progress line of a wait that began `elapsed` ago with `before`
/// sockets counted; `None` when none of its sockets is waiting.
fn progress(elapsed: Duration, before: SocketCounts, now: SocketCounts) -> Option<String> {
    let built = now.built - before.built;
    let ready = built.saturating_sub(now.waiting.saturating_sub(before.waiting));
    (ready < built).then(|| {
        format!(
            "  ... waiting {:.1} s, sockets ready: {ready} of {built}",
            elapsed.as_secs_f64()
        )
    })
}

/// A writer whose whole lines go above the progress bar: each is written
/// with the bar cleared, and the bar is drawn again under it.
struct AboveBar<'a> {
    bar: &'a ProgressBar,
    out: &'a mut dyn Write,
    /// The start of a line not yet ended: held back until it is.
    partial: Vec<u8>,
}

impl<'a> AboveBar<'a> {
    fn new(bar: &'a ProgressBar, out: &'a mut dyn Write) -> Self {
        let partial = Vec::new();
        AboveBar { bar, out, partial }
    }
}

impl Write for AboveBar<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.partial.extend_from_slice(bytes);
        if let Some(end) = self.partial.iter().rposition(|&byte| byte == b'\n') {
            let lines: Vec<u8> = self.partial.drain(..=end).collect();
            self.bar
                .suspend(|| self.out.write_all(&lines).and_then(|()| self.out.flush()))?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for AboveBar<'_> {
    /// What is left of a line goes out as it is.
    fn drop(&mut self) {
        let rest = std::mem::take(&mut self.partial);
        let _ = self.bar.suspend(|| self.out.write_all(&rest));
    }
}

/// The closing table: a row per stage, from its demo's main run.
fn table(rows: &[(&Stage, Summary)]) -> String {
    let header = [
        "stage",
        "crate",
        "futures",
        "wall",
        "CPU share",
        "polls per future",
    ];
    let rows = rows.iter().map(|(stage, summary)| {
        let futures = summary.futures.map_or("-".to_owned(), |n| n.to_string());
        // Under a millisecond (a delay of 0), a share is clock noise.
        let cpu = match summary.took.wall.as_millis() {
            0 => "-".to_owned(),
            _ => Percent(summary.took.cpu_share()).to_string(),
        };
        let per_future = match (summary.polls, summary.futures) {
            (Some(polls), Some(futures)) if futures > 0 => per_future(polls, futures as u64),
            _ => "-".to_owned(),
        };
        let wall = format!("{} ms", summary.took.wall.as_millis());
        let number = stage.number.to_string();
        vec![
            number,
            stage.krate.to_owned(),
            futures,
            wall,
            cpu,
            per_future,
        ]
    });
    cli::table(Some(&header), rows.collect(), &[0, 2, 3, 4, 5])
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
    use std::ffi::OsString;

    use super::*;

    fn options(args: &[&str]) -> Result<Options, String> {
        let mut all: Vec<OsString> = vec!["walkthrough".into()];
        all.extend(args.iter().map(OsString::from));
        let flags::XtaskCmd::Walkthrough(flags) = flags::Xtask::parse(all).unwrap().subcommand
        else {
            unreachable!("a walkthrough")
        };
        super::options(flags)
    }

    /// The stage numbers and delay that `args` ask for.
    fn chosen(args: &[&str]) -> (Vec<u8>, Duration) {
        let options = options(args).unwrap();
        let numbers = options.stages.iter().map(|stage| stage.number).collect();
        (numbers, options.delay)
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
            options(&["--no-color", "--delay-ms", "5"])
                .unwrap()
                .no_color
        );
    }

    #[test]
    fn bad_flags_are_errors_that_name_the_problem() {
        let error = |args: &[&str]| options(args).unwrap_err();
        assert_eq!(
            error(&["--delay-ms", "abc"]),
            r#"--delay-ms: "abc" is not a whole number of milliseconds"#
        );
        assert_eq!(
            error(&["--from", "1", "--only", "1"]),
            "--from and --only do not go together"
        );
        assert!(
            error(&["--only", "nope"])
                .starts_with("unknown stage \"nope\"; the stages are:\n  1  socket-sim")
        );
    }

    #[test]
    fn the_walkthrough_draws_timelines_and_no_progress_off_a_terminal() {
        let options = Options {
            stages: &STAGES[3..4],
            delay: Duration::ZERO,
            no_color: true,
            trace_out: None,
        };
        let mut out = Vec::new();
        walk(&mut out, &options, ProgressDrawTarget::hidden()).unwrap();
        let out = String::from_utf8(out).unwrap();
        // Which lanes, not what is in them: a delay of 0 races its wakes.
        let lanes = out.lines().filter(|line| line.starts_with("   task "));
        assert_eq!(lanes.count(), 2, "{out}");
        assert!(!out.contains("waiting"), "{out}");
    }

    #[test]
    fn progress_counts_only_the_sockets_of_this_wait() {
        let before = SocketCounts {
            built: 10,
            waiting: 1,
        };
        let line = |built, waiting| {
            let now = SocketCounts { built, waiting };
            progress(Duration::from_millis(1500), before, now)
        };
        assert_eq!(line(10, 1), None, "nothing built yet");
        assert_eq!(
            line(12, 3).as_deref(),
            Some("  ... waiting 1.5 s, sockets ready: 0 of 2")
        );
        assert_eq!(
            line(12, 2).as_deref(),
            Some("  ... waiting 1.5 s, sockets ready: 1 of 2")
        );
        assert_eq!(line(12, 1), None, "all ready");
        assert_eq!(line(12, 0), None, "an older socket finished too");
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
        insta::assert_snapshot!(table(&rows), @"
        stage  crate             futures     wall  CPU share  polls per future
            1  socket-sim              -   100 ms        99%                 -
            3  busy-executor           2   101 ms        99%           617,284
            5  futsocket               2   200 ms      0.50%               2.5
            6  async-await-demo        2  2000 ms      0.05%         2,500,001
        ");
    }
}
