//! `cargo xtask watch [NAME]`: the judge of a fork, run again each time one
//! of its files changes, one step at a time.
//!
//! A judgement builds the fork's tests, then runs the current step's own
//! tests first (see `steps.rs`); if they pass, every test of the stage;
//! once those pass, the doc tests and the loom models, as `check` does.
//! After each of these it draws the screen again: the stage and its idea,
//! the steps and where each stands, the first failing test with its
//! message, and the hint of the step to work on. On a terminal the screen
//! is cleared first; elsewhere each screen is plain lines after the last.
//!
//! Changes are found by reading the fork's files four times a second and
//! comparing hashes of them: a fork has a few dozen small files, so this
//! costs nothing worth a dependency, and it works the same on every system
//! and filesystem (a file's time of change may be kept to the second).
//!
//! Watch changes no mode of the terminal (no raw mode, no alternate
//! screen, no hidden cursor), and writes each screen whole, so Ctrl-C,
//! which stops it and the tests it runs, leaves the terminal as it was.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Style};

use crate::check::{self, Judge, Outcome, TestBinary, TestRun, Verdict};
use crate::cli::{self, Failure};
use crate::each;
use crate::flags;
use crate::fork::{self, Region};
use crate::progress::{self, Progress, Record, Standing};
use crate::stages::{STAGES, Stage};
use crate::steps::{self, State, Steps};

const TITLE: Style = AnsiColor::Cyan.on_default().bold();
const GOOD: Style = AnsiColor::Green.on_default();
const BAD: Style = AnsiColor::Red.on_default().bold();
const HINT: Style = AnsiColor::Yellow.on_default();
const DIM: Style = Style::new().dimmed();

/// How often the fork's files are looked at.
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// How long the files must stay unchanged before a judgement: an editor
/// may write a file in several steps.
const SETTLE: Duration = Duration::from_millis(100);

/// What a judgement does first.
const BUILDING: &str = "building the tests";

/// How often at most the screen is drawn again while tests run.
const DRAW_EVERY: Duration = Duration::from_millis(250);

/// At most this many lines of a failure's message, or of the compiler's.
const MESSAGE_LINES: usize = 12;
const COMPILER_LINES: usize = 40;

pub fn run(flags: flags::Watch) -> Result<(), Failure> {
    let root = cli::workspace_root();
    let name = match flags.name {
        Some(name) => name,
        None => progress::current_fork(&root).ok_or_else(|| {
            Failure::usage(
                "there is no fork to watch yet; make one with `cargo xtask fork next`",
                "watch",
            )
        })?,
    };
    let dir = root.join("exercises").join(&name);
    let Some(stage) = fork::forked_from(&dir) else {
        let message = format!(
            "there is no fork exercises/{name}; make one with `cargo xtask fork STAGE {name}`"
        );
        return Err(Failure::usage(message, "watch"));
    };
    if flags.no_color {
        anstream::ColorChoice::Never.write_global();
    }
    Progress::update(&root, |progress| progress.current = Some(name.clone()));
    let terminal = io::stdout().is_terminal();
    let mut watcher = Watcher {
        root: &root,
        name: &name,
        stage,
        terminal,
        once: flags.once,
        runs: Vec::new(),
        whole_run: false,
    };
    let write = |text: &str| {
        let mut out = anstream::stdout();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    };
    loop {
        let files = Files::look(&dir);
        let passed = watcher
            .judge(&files, &write)
            .map_err(|error| Failure::Failed(format!("cannot judge exercises/{name}: {error}")))?;
        if flags.once {
            return match passed {
                Some(true) => Ok(()),
                _ => Err(Failure::Quiet(1)),
            };
        }
        files.wait_for_change(&dir);
    }
}

/// One judgement of the fork `name` in the workspace at `root`, as `watch
/// --once` off a terminal makes it: whether the stage is done, and what it
/// wrote.
#[cfg(test)]
pub fn judge_once(root: &Path, name: &str) -> io::Result<(bool, String)> {
    let dir = root.join("exercises").join(name);
    let stage = fork::forked_from(&dir).expect("a fork");
    let mut watcher = Watcher {
        root,
        name,
        stage,
        terminal: false,
        once: true,
        runs: Vec::new(),
        whole_run: false,
    };
    let said = std::sync::Mutex::new(String::new());
    let write = |text: &str| said.lock().unwrap().push_str(text);
    let passed = watcher.judge(&Files::look(&dir), &write)?;
    Ok((passed == Some(true), said.into_inner().unwrap()))
}

/// A watch of one fork, and what it knows so far.
struct Watcher<'a> {
    root: &'a Path,
    name: &'a str,
    stage: &'static Stage,
    terminal: bool,
    once: bool,
    /// The latest run of every test that has run.
    runs: Vec<TestRun>,
    /// Whether every test has run once since the watch began.
    whole_run: bool,
}

impl Watcher<'_> {
    /// Judges the fork, drawing each stage of the judgement with `write`;
    /// whether the stage is done (`None`: its files changed meanwhile, and
    /// the judgement was left, to start again).
    fn judge(&mut self, files: &Files, write: &dyn Fn(&str)) -> io::Result<Option<bool>> {
        let dir = self.root.join("exercises").join(self.name);
        let regions = fork::fork_regions(&dir)?;
        let mut record = Progress::load(self.root)
            .forks
            .remove(self.name)
            .filter(|record| record.stage == self.stage.krate)
            .unwrap_or_default();
        let started = Instant::now();
        write(&self.screen(&regions, &record, &Verdict::default(), "", Some(BUILDING)));
        let mut cargo = cli::cargo_in(self.root);
        cargo.args(["test", "-p", self.name, "--color", "never"]);
        let (built, said) = check::build_telling(&mut cargo, false)?;
        let Some(binaries) = built else {
            let errors = compiler_errors(&said);
            let mut verdict = Verdict::default();
            verdict.unbuilt.push("the tests");
            // A stage done before is not done while it does not build.
            self.record(&regions, &mut record, false);
            let text = self.screen(&regions, &record, &verdict, &format!("{errors}\n"), None);
            write(&format!("{text}{}", self.footer()));
            return Ok(Some(false));
        };
        let built_in = started.elapsed();
        let timing = |tests: Instant| {
            format!(
                "{DIM}Built in {:.1} s; these tests took {:.1} s.{DIM:#}\n",
                built_in.as_secs_f64(),
                tests.elapsed().as_secs_f64()
            )
        };
        let mut judge = Judge::new(&dir, false);
        let mut verdict = Verdict::default();

        // The current step's own tests first, once it is known which they are.
        let known = Steps::judge(&regions, &record.tests, &self.runs);
        let current = known.current();
        let own: Vec<TestRun> = current
            .map(|index| {
                known.steps[index]
                    .tests
                    .iter()
                    .map(|run| (*run).clone())
                    .collect()
            })
            .unwrap_or_default();
        drop(known);
        if let (true, Some(index)) = (
            self.whole_run && own.iter().any(|run| run.target != "doc"),
            current,
        ) {
            let what = format!(
                "running the {} of step {}",
                count(own.len(), "test"),
                index + 1
            );
            write(&self.screen(&regions, &record, &verdict, "", Some(&what)));
            let own_began = Instant::now();
            let deadline = own_began + check::TIME;
            let runs = self.run_tests(
                &binaries,
                Some(&own),
                (&regions, &record, &what),
                deadline,
                &mut verdict,
                write,
            )?;
            steps::learn(&mut record.tests, &runs, &regions);
            steps::merge(&mut self.runs, runs);
            // The step passes when its tests pass, or went past it to a
            // later step's todo!().
            let now = Steps::judge(&regions, &record.tests, &self.runs);
            if now.steps[index].state != State::Written {
                self.record(&regions, &mut record, false);
                let text = self.screen(&regions, &record, &verdict, &timing(own_began), None);
                write(&format!("{text}{}", self.footer()));
                return Ok(Some(false));
            }
            if files.changed(&dir) {
                return Ok(None);
            }
        }

        // Then every test of the stage: the screen shows the step passed
        // meanwhile.
        let what = "running every test of the stage";
        write(&self.screen(&regions, &record, &Verdict::default(), "", Some(what)));
        let mut verdict = Verdict::default();
        let tests_began = Instant::now();
        let runs = self.run_tests(
            &binaries,
            None,
            (&regions, &record, what),
            tests_began + check::TIME,
            &mut verdict,
            write,
        )?;
        steps::learn(&mut record.tests, &runs, &regions);
        // Tests that no longer exist are forgotten with the old runs.
        self.runs = runs;
        self.whole_run = true;
        let steps = Steps::judge(&regions, &record.tests, &self.runs);
        let plain_pass = steps.current().is_none() && verdict.passed();
        if !plain_pass {
            self.record(&regions, &mut record, false);
            let text = self.screen(&regions, &record, &verdict, &timing(tests_began), None);
            write(&format!("{text}{}", self.footer()));
            return Ok(Some(false));
        }
        if files.changed(&dir) {
            return Ok(None);
        }

        let tests_took = tests_began.elapsed();
        // Every step passes: the doc tests, then the models, as `check` runs them.
        write(&self.screen(
            &regions,
            &record,
            &verdict,
            "",
            Some("the tests pass: running the doc tests"),
        ));
        judge.doc_tests(self.root, self.name, &mut verdict)?;
        if verdict.passed() && dir.join("tests/loom.rs").is_file() {
            if files.changed(&dir) {
                return Ok(None);
            }
            let what = format!(
                "the tests pass: building and running the loom models into target/loom/{} \
                 (the first build takes a minute or two)",
                self.name
            );
            write(&self.screen(&regions, &record, &verdict, "", Some(&what)));
            judge.models(self.root, self.name, &mut verdict)?;
        }
        let passed = verdict.passed();
        self.record(&regions, &mut record, passed);
        let rest = match dir.join("tests/loom.rs").is_file() {
            true => "the doc tests and models",
            false => "the doc tests",
        };
        let timing = format!(
            "{DIM}Built in {:.1} s; the tests took {:.1} s, {rest} {:.1} s.{DIM:#}\n",
            built_in.as_secs_f64(),
            tests_took.as_secs_f64(),
            (tests_began.elapsed() - tests_took).as_secs_f64()
        );
        let text = self.screen(&regions, &record, &verdict, &timing, None);
        write(&format!("{text}{}", self.footer()));
        Ok(Some(passed))
    }

    /// Runs each test of `binaries` (of `only`, if given) in a process of
    /// its own, stopped at the first `todo!()` of `regions` it reaches, and
    /// notes in `verdict` what failed.
    ///
    /// On a terminal the screen is drawn again as the tests end (a few
    /// times a second at most), with what is known so far: a failure shows
    /// at once, while a slow test goes on.
    fn run_tests(
        &self,
        binaries: &[TestBinary],
        only: Option<&[TestRun]>,
        (regions, record, what): (&[Region], &Record, &str),
        deadline: Instant,
        verdict: &mut Verdict,
        write: &dyn Fn(&str),
    ) -> io::Result<Vec<TestRun>> {
        let dir = self.root.join("exercises").join(self.name);
        let command = |path: &Path| {
            let mut command = cli::program_in(path, &dir);
            // The message is what the screen shows; a failed snapshot is
            // not written beside the fork's.
            command.env("RUST_BACKTRACE", "0").env("INSTA_UPDATE", "no");
            command
        };
        let hints: Vec<String> = regions.iter().map(|region| region.hint.clone()).collect();
        let parallel = thread::available_parallelism().map_or(2, usize::from);
        let total = match only {
            Some(only) => only.len(),
            None => 0,
        };
        let chosen: Vec<(TestBinary, Option<Vec<String>>)> = binaries
            .iter()
            .map(|binary| {
                let names: Option<Vec<String>> = only.map(|only| {
                    let only = only.iter().filter(|run| run.target == binary.target);
                    only.map(|run| run.name.clone()).collect()
                });
                (binary.clone(), names)
            })
            .filter(|(_, names)| names.as_ref().is_none_or(|names| !names.is_empty()))
            .collect();
        let mut partial: Vec<TestRun> = Vec::new();
        let (mut drawn, mut news) = (Instant::now(), false);
        let mut done = |run: Option<&TestRun>| {
            if let Some(run) = run {
                partial.push(run.clone());
                news = true;
            }
            if !self.terminal || !news || drawn.elapsed() < DRAW_EVERY {
                return;
            }
            (drawn, news) = (Instant::now(), false);
            // What is known so far: the tests that ended in this run, and the
            // earlier runs that passed (their failures are old news).
            let mut runs: Vec<TestRun> = self
                .runs
                .iter()
                .filter(|run| run.outcome == Outcome::Passed)
                .cloned()
                .collect();
            steps::merge(&mut runs, partial.clone());
            let mut owners = record.tests.clone();
            steps::learn(&mut owners, &runs, regions);
            let so_far = match total {
                0 => format!("{what}: {} done", partial.len()),
                total => format!("{what}: {} of {total} done", partial.len()),
            };
            let seen = Verdict::default();
            let screen = self.screen_of(regions, &owners, &runs, false, &seen, "", Some(&so_far));
            write(&screen);
        };
        let (all, not_run) =
            each::run_each(&chosen, &hints, &command, parallel, deadline, &mut done)?;
        for run in &all {
            match run.outcome {
                Outcome::Passed => {}
                Outcome::Failed => verdict.failed.push(run.name.clone()),
                Outcome::OutOfTime => verdict.out_of_time.push(run.name.clone()),
            }
        }
        verdict.not_run.extend(not_run);
        Ok(all)
    }

    /// Writes what this judgement found to the progress file.
    fn record(&self, regions: &[Region], record: &mut Record, passed: bool) {
        let steps = Steps::judge(regions, &record.tests, &self.runs);
        record.stage = self.stage.krate.to_owned();
        record.steps = regions.len();
        record.done = steps.done();
        record.passed = passed;
        let record = record.clone();
        Progress::update(self.root, |progress| {
            progress.current = Some(self.name.to_owned());
            progress.forks.insert(self.name.to_owned(), record);
        });
    }

    /// The screen: the stage, the steps, the first failure and the hint,
    /// what else the verdict says, and what is running now.
    fn screen(
        &self,
        regions: &[Region],
        record: &Record,
        verdict: &Verdict,
        details: &str,
        running: Option<&str>,
    ) -> String {
        let (owners, runs) = (&record.tests, &self.runs);
        self.screen_of(
            regions,
            owners,
            runs,
            record.passed,
            verdict,
            details,
            running,
        )
    }

    /// [`Watcher::screen`] of `runs`, with `owners` saying which tests
    /// belong to which step.
    #[allow(clippy::too_many_arguments)]
    fn screen_of(
        &self,
        regions: &[Region],
        owners: &std::collections::BTreeMap<String, String>,
        runs: &[TestRun],
        passed: bool,
        verdict: &Verdict,
        details: &str,
        running: Option<&str>,
    ) -> String {
        let steps = Steps::judge(regions, owners, runs);
        let mut text = String::new();
        // Off a terminal, what runs meanwhile is a line, not a screen; but
        // the first screen comes before the first build, hint and all.
        let first = !self.whole_run && running == Some(BUILDING);
        if let (Some(running), false, false) = (running, self.terminal, first) {
            return format!("... {running} ({})\n", where_now(&steps));
        }
        if self.terminal {
            // Home, then clear the screen: the last screen stays in the
            // terminal's scrollback.
            text += "\x1b[H\x1b[2J";
        } else {
            text += "\n";
        }
        text += &screen(self.name, self.stage, &steps, verdict, self.whole_run);
        if passed && running.is_none() && verdict.passed() {
            let models = match self
                .root
                .join("exercises")
                .join(self.name)
                .join("tests/loom.rs")
                .is_file()
            {
                true => ", doc example and loom model",
                false => " and doc example",
            };
            text += &format!(
                "\n{GOOD}Every test{models} passes: stage {} is yours.{GOOD:#} Next: cargo xtask fork next\n",
                self.stage.number
            );
        }
        text += "\n";
        text += details;
        text += &stages_line(self.root, &steps, self.stage, passed);
        if let Some(running) = running {
            text += &format!("\n{DIM}... {running}{DIM:#}\n");
        }
        text
    }

    /// What the learner can do now that the judgement is over.
    fn footer(&self) -> String {
        match self.once {
            true => String::new(),
            false => format!(
                "\n{DIM}Watching exercises/{}: save a file of it to judge it again; Ctrl-C to stop.{DIM:#}\n",
                self.name
            ),
        }
    }
}

/// The screen of a judgement of the fork `name` of `stage`, without what
/// is running now: for the learner, top to bottom.
pub fn screen(name: &str, stage: &Stage, steps: &Steps, verdict: &Verdict, judged: bool) -> String {
    let (number, of) = (stage.number, STAGES.len());
    let mut text = format!(
        "{TITLE}Stage {number} of {of}, {}: {}{TITLE:#}\nYour fork: exercises/{name}\n\n",
        stage.krate, stage.idea
    );
    let total = steps.steps.len();
    let current = steps.current();
    match current {
        Some(index) => {
            let step = &steps.steps[index];
            text += &format!(
                "Step {} of {total}: `{}` ({}:{})\n",
                index + 1,
                step.region.function,
                step.region.file,
                step.region.line
            );
        }
        None if judged && total == 1 => text += "Its one step is written and its tests pass.\n",
        None if judged => text += &format!("All {total} steps are written and their tests pass.\n"),
        None => {}
    }
    // The marks go in front of the table: their colours would count as
    // width in it.
    let (marks, rows): (Vec<String>, Vec<Vec<String>>) = steps
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let mark = match (step.state, Some(index) == current) {
                (State::Written, _) => format!("{GOOD}✓{GOOD:#}"),
                (State::Failing, _) => format!("{BAD}✗{BAD:#}"),
                (State::Todo, true) => "▶".to_owned(),
                (State::Todo, false) => "·".to_owned(),
            };
            let failing = step.failing().count();
            let tests = step.tests.len();
            let said = match step.state {
                State::Todo if tests == 0 => "todo!()".to_owned(),
                State::Todo => format!("todo!(), {} at it", tests_that(tests, "stop")),
                State::Failing => format!("{failing} of {} fail", count(tests, "test")),
                State::Written if tests == 0 => "written".to_owned(),
                State::Written => format!("written, {}", tests_that(tests, "pass")),
            };
            let place = format!("{}:{}", step.region.file, step.region.line);
            let row = vec![
                (index + 1).to_string(),
                step.region.function.clone(),
                place,
                said,
            ];
            (mark, row)
        })
        .unzip();
    for (mark, line) in marks.iter().zip(cli::table(None, rows, &[0]).lines()) {
        text += &format!("  {mark} {line}\n");
    }

    // The first failure: of the current step, else of the stage as a whole.
    let failing = current
        .map(|index| steps.steps[index].failing().next())
        .unwrap_or_else(|| steps.others.first().copied());
    let failing = failing.or_else(|| steps.others.first().copied());
    if let Some(index) = current {
        let step = &steps.steps[index];
        match failing {
            // While the step is todo!(), its tests stop there (or at a
            // thread of theirs that did).
            Some(run) if step.state == State::Todo => {
                let tests = tests_that(step.tests.len(), "stop");
                text += &format!(
                    "\n{tests} at this step's todo!(); the first: {}\n",
                    steps::test_id(run)
                );
                if steps::reached(&run.output, std::slice::from_ref(step.region)).is_none() {
                    for line in steps::message(run, MESSAGE_LINES).lines() {
                        text += &format!("  {line}\n");
                    }
                }
            }
            Some(run) => text += &first_failure(run),
            None => {}
        }
        text += &format!("\n{HINT}Hint: {}{HINT:#}\n", step.region.hint);
    } else if let Some(run) = failing {
        text += &first_failure(run);
    }
    text += &verdict_notes(verdict);
    text
}

/// The first failing test and its message.
fn first_failure(run: &TestRun) -> String {
    let message = steps::message(run, MESSAGE_LINES);
    let message: String = message.lines().map(|line| format!("  {line}\n")).collect();
    format!(
        "\n{BAD}First failing test:{BAD:#} {}\n{message}",
        steps::test_id(run)
    )
}

/// What the verdict says beyond the steps: what did not build, the doc
/// tests and models that failed, and the stage done.
fn verdict_notes(verdict: &Verdict) -> String {
    let mut text = String::new();
    for what in &verdict.unbuilt {
        let mut what = what.to_string();
        if let Some(first) = what.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        text += &format!("\n{BAD}{what} do not build yet.{BAD:#} The compiler says:\n");
    }
    let docs: Vec<&String> = verdict
        .failed
        .iter()
        .filter(|name| name.contains(" - "))
        .collect();
    if !docs.is_empty() {
        text += &format!("\n{BAD}Doc examples fail:{BAD:#}\n");
        for name in docs {
            text += &format!("  {name}\n");
        }
    }
    if !verdict.models.is_empty() {
        text += &format!(
            "\n{BAD}The loom models fail{BAD:#} (every interleaving of their threads is tried):\n"
        );
        for (model, meaning) in &verdict.models {
            text += &format!("  {model}: {meaning}\n");
        }
    }
    if !verdict.not_run.is_empty() {
        text += &format!(
            "\nNot run, as the time ran out: {}\n",
            verdict.not_run.join(", ")
        );
    }
    text
}

/// One line of every stage: done, the steps of one in progress, or not
/// forked, from the progress file and with this fork's steps as judged now.
fn stages_line(root: &Path, steps: &Steps, stage: &Stage, passed: bool) -> String {
    let (forks, progress) = (progress::forks(root), Progress::load(root));
    let marks: Vec<String> = STAGES
        .iter()
        .map(|other| {
            let mark = match progress::standing(other, &forks, &progress) {
                _ if other.number == stage.number && !passed => {
                    format!("{}/{}", steps.done(), steps.steps.len())
                }
                Standing::Done { .. } => format!("{GOOD}✓{GOOD:#}"),
                Standing::InProgress { done, steps, .. } => {
                    format!("{}/{steps}", done.unwrap_or(0))
                }
                Standing::NotForked => "·".to_owned(),
            };
            format!("{} {mark}", other.number)
        })
        .collect();
    format!(
        "{DIM}Stages:{DIM:#} {}   {DIM}(cargo xtask progress){DIM:#}\n",
        marks.join("  ")
    )
}

/// Where the steps stand, in a few words: `step 2 of 4`.
fn where_now(steps: &Steps) -> String {
    match steps.current() {
        Some(index) => format!("now at step {} of {}", index + 1, steps.steps.len()),
        None if steps.steps.len() == 1 => "its one step passes".to_owned(),
        None => format!("all {} steps pass", steps.steps.len()),
    }
}

/// `n` tests that do something, in words: "1 test stops", "3 tests stop".
fn tests_that(n: usize, verb: &str) -> String {
    match n {
        1 if verb.ends_with('s') => format!("1 test {verb}es"),
        1 => format!("1 test {verb}s"),
        n => format!("{n} tests {verb}"),
    }
}

/// `n` things, in words: "1 test", "3 tests".
fn count(n: usize, thing: &str) -> String {
    match n {
        1 => format!("1 {thing}"),
        n => format!("{n} {thing}s"),
    }
}

/// The compiler's errors in what cargo said, without the lines of its
/// progress and its warnings, in at most [`COMPILER_LINES`] lines.
fn compiler_errors(said: &str) -> String {
    let blocks = said.split("\n\n").filter_map(|block| {
        // Cargo's progress lines come before a message, in its block.
        let start = block.lines().position(|line| line.starts_with("error"))?;
        let block: Vec<&str> = block.lines().skip(start).collect();
        let first = block.first()?;
        let cargo_says = first.starts_with("error: could not compile");
        (!cargo_says).then(|| block.join("\n"))
    });
    let errors: Vec<String> = blocks.collect();
    let errors = errors.join("\n\n");
    let lines: Vec<&str> = errors.lines().collect();
    let mut text: String = lines
        .iter()
        .take(COMPILER_LINES)
        .map(|line| format!("  {line}\n"))
        .collect();
    if lines.len() > COMPILER_LINES {
        text += &format!(
            "  ... ({} more lines: `cargo test` shows them all)\n",
            lines.len() - COMPILER_LINES
        );
    }
    text
}

/// The fork's files, each with a hash of its content, as last seen: a
/// save is seen whatever the filesystem's clock (some keep a file's time
/// to the second), and a fork is a few dozen small files, cheap to read
/// four times a second.
#[derive(Debug, PartialEq, Eq)]
struct Files(Vec<(PathBuf, Option<u64>)>);

impl Files {
    fn look(dir: &Path) -> Files {
        let files = cli::files_under(dir).unwrap_or_default();
        let seen = files.into_iter().map(|file| {
            let hash = fs::read(&file).ok().map(|bytes| {
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(&bytes, &mut hasher);
                std::hash::Hasher::finish(&hasher)
            });
            (file, hash)
        });
        Files(seen.collect())
    }

    /// Whether a file under `dir` has changed, come or gone since.
    fn changed(&self, dir: &Path) -> bool {
        Files::look(dir) != *self
    }

    /// Waits until a file under `dir` has changed, and has stayed so for a
    /// moment.
    fn wait_for_change(&self, dir: &Path) {
        loop {
            thread::sleep(LOOK_EVERY);
            let now = Files::look(dir);
            if now != *self {
                thread::sleep(SETTLE);
                if Files::look(dir) == now {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// `text` without its colours, as a file or a pipe gets it.
    fn plain(text: &str) -> String {
        let mut plain = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                // `ESC [ ... m`: up to the letter that ends it.
                chars.by_ref().find(|c| c.is_ascii_alphabetic());
            } else {
                plain.push(c);
            }
        }
        plain
    }

    fn region(file: &str, line: usize, function: &str, hint: &str, todo: bool) -> Region {
        let (file, function, hint) = (file.to_owned(), function.to_owned(), hint.to_owned());
        Region {
            file,
            line,
            function,
            hint,
            todo,
        }
    }

    fn run(name: &str, outcome: Outcome, output: &str) -> TestRun {
        let (target, name, output) = ("executor".to_owned(), name.to_owned(), output.to_owned());
        TestRun {
            target,
            name,
            outcome,
            output,
        }
    }

    #[test]
    fn the_screen_names_the_step_its_first_failure_and_its_hint() {
        let stage = &STAGES[3];
        let mut regions = vec![
            region(
                "src/lib.rs",
                145,
                "Run::until_finished",
                "poll each woken task once",
                false,
            ),
            region(
                "src/waker.rs",
                152,
                "TaskWaker::queue",
                "mark it queued and schedule it",
                false,
            ),
            region(
                "src/waker.rs",
                161,
                "Shared::schedule",
                "put the task in the inbox",
                true,
            ),
        ];
        let failed = "\nthread 'two_polls' (7) panicked at tests/executor.rs:100:5:\nassertion `left == right` failed: two polls per socket\n  left: 9\n right: 2\nnote: run with `RUST_BACKTRACE=1`\n";
        let runs = vec![
            run("no_futures", Outcome::Passed, ""),
            run("two_polls", Outcome::Failed, failed),
            run("woken_once", Outcome::Passed, ""),
            run(
                "inbox",
                Outcome::Failed,
                "thread 'inbox' (8) panicked at src/waker.rs:162:9:\nnot yet implemented: put the task in the inbox\n",
            ),
        ];
        let owners: BTreeMap<String, String> = [
            ("executor::no_futures", "poll each woken task once"),
            ("executor::two_polls", "mark it queued and schedule it"),
            ("executor::woken_once", "mark it queued and schedule it"),
            ("executor::inbox", "put the task in the inbox"),
        ]
        .map(|(test, hint)| (test.to_owned(), hint.to_owned()))
        .into();
        let steps = Steps::judge(&regions, &owners, &runs);
        insta::assert_snapshot!(plain(&screen("mine", stage, &steps, &Verdict::default(), true)), @r"
        Stage 4 of 9, waker-executor: an executor that sleeps until a waker says which task to poll
        Your fork: exercises/mine

        Step 2 of 3: `TaskWaker::queue` (src/waker.rs:152)
          ✓ 1  Run::until_finished  src/lib.rs:145    written, 1 test passes
          ✗ 2  TaskWaker::queue     src/waker.rs:152  1 of 2 tests fail
          · 3  Shared::schedule     src/waker.rs:161  todo!(), 1 test stops at it

        First failing test: executor::two_polls
          assertion `left == right` failed: two polls per socket
            left: 9
           right: 2
          (at tests/executor.rs:100:5)

        Hint: mark it queued and schedule it
        ");

        // Its body fixed, the step passes, and the next one is todo!().
        let runs: Vec<TestRun> = runs
            .into_iter()
            .map(|mut run| {
                if run.name == "two_polls" {
                    run.outcome = Outcome::Passed;
                }
                run
            })
            .collect();
        let steps = Steps::judge(&regions, &owners, &runs);
        let text = plain(&screen("mine", stage, &steps, &Verdict::default(), true));
        assert!(text.contains("Step 3 of 3: `Shared::schedule`"), "{text}");
        assert!(
            text.contains("1 test stops at this step's todo!(); the first: executor::inbox"),
            "{text}"
        );
        assert!(text.contains("Hint: put the task in the inbox"), "{text}");

        // All written and passing.
        regions[2].todo = false;
        let runs: Vec<TestRun> = runs
            .into_iter()
            .map(|run| TestRun {
                outcome: Outcome::Passed,
                ..run
            })
            .collect();
        let steps = Steps::judge(&regions, &owners, &runs);
        let text = plain(&screen("mine", stage, &steps, &Verdict::default(), true));
        assert!(
            text.contains("All 3 steps are written and their tests pass."),
            "{text}"
        );
        assert!(!text.contains("Hint:"), "{text}");
    }

    #[test]
    fn the_compilers_errors_are_shown_without_cargos_own_lines() {
        let said = "   Compiling my-fork v0.1.0 (/w/exercises/my-fork)\n\
                    warning: unused variable: `x`\n --> src/lib.rs:1:5\n\n\
                    error[E0599]: no method named `read_dat` found\n --> src/lib.rs:157:37\n\n\
                    For more information about this error, try `rustc --explain E0599`.\n\
                    error: could not compile `my-fork` (lib) due to 1 previous error\n";
        assert_eq!(
            compiler_errors(said),
            "  error[E0599]: no method named `read_dat` found\n   --> src/lib.rs:157:37\n"
        );
    }

    #[test]
    fn a_change_to_any_file_of_the_fork_is_seen_and_nothing_else_is() {
        let dir = cli::workspace_root().join("target/xtask-watch-test");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(dir.join("src/lib.rs"), "//! A fork.\n").unwrap();
        let files = Files::look(&dir);
        assert!(!files.changed(&dir));
        // Build output and pending snapshots are not the learner's.
        fs::create_dir_all(dir.join("target")).unwrap();
        fs::write(dir.join("target/out"), "built").unwrap();
        fs::write(dir.join("src/x.snap.new"), "pending").unwrap();
        assert!(!files.changed(&dir));
        // A save of the same length, within the same second, is a change.
        fs::write(dir.join("src/lib.rs"), "//! A fork!\n").unwrap();
        assert!(files.changed(&dir));
        let after = Files::look(&dir);
        fs::write(dir.join("src/new.rs"), "").unwrap();
        assert!(after.changed(&dir), "a new file is a change");
    }
}
