//! `cargo xtask check NAME`: a fork judged by its stage's own tests, within
//! a bound, and by the stage's loom models where it has them.
//!
//! The tests are built with cargo, then each test binary is run from here,
//! so that one that hangs can be stopped when the time runs out and its
//! unfinished tests named. The doc tests run last, through cargo. A stage
//! with a `tests/loom.rs` has its models built with `--cfg loom` (in a
//! target directory of their own, for every crate is built anew with that
//! flag) and run with loom's bound on preemptions; a failed model is
//! explained from its panic, since a test name and a panic message are all
//! a model says.

use std::collections::BTreeSet;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::cli::{self, Failure};
use crate::flags;
use crate::fork::{self, Region};
use crate::progress::Progress;
use crate::stages::Stage;
use crate::steps::{self, Steps};

/// How long a fork's tests and doc tests may run in all, building aside (and
/// its loom models as long again): a right fork of any stage needs well
/// under a minute, so a fork that takes longer is stuck somewhere.
pub const TIME: Duration = Duration::from_secs(180);

/// How long one test binary may run, so that one that hangs leaves time for
/// the others to say what else is wrong.
const ONE_BINARY: Duration = Duration::from_secs(60);

/// Loom's bound on preemptions per run of a model: every interleaving with
/// up to two threads switched away from at a point of their choosing.
const LOOM_MAX_PREEMPTIONS: &str = "2";

pub fn run(flags: flags::Check) -> Result<(), Failure> {
    let Some(name) = flags.name else {
        let message = "check takes the NAME of a fork, 0 given";
        return Err(Failure::usage(message, "check"));
    };
    let root = cli::workspace_root();
    let checked = check(&root, &name, true)?;
    print!("\n{}", checked.report);
    // What this judgement says of the steps, for `progress` and `watch`.
    Progress::update(&root, |progress| {
        let record = progress.forks.entry(name.clone()).or_default();
        let Checked {
            verdict,
            runs,
            regions,
            ..
        } = &checked;
        steps::learn(&mut record.tests, runs, regions);
        let steps = Steps::judge(regions, &record.tests, runs);
        record.stage = fork::forked_from(&root.join("exercises").join(&name))
            .map_or_else(String::new, |stage| stage.krate.to_owned());
        (record.steps, record.done) = (regions.len(), steps.done());
        record.passed = verdict.passed();
        progress.current = Some(name.clone());
    });
    match checked.verdict.passed() {
        true => Ok(()),
        false => Err(Failure::Failed(format!("{name} is not done yet"))),
    }
}

/// What `check` found.
#[derive(Debug)]
pub struct Checked {
    pub verdict: Verdict,
    /// For the learner: the regions, and what failed.
    pub report: String,
    /// Each test's outcome, and the fork's regions as they are now.
    pub runs: Vec<TestRun>,
    pub regions: Vec<Region>,
}

/// What the fork's tests and models said.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// What did not build (the compiler has said why): "the tests", "the loom models".
    pub unbuilt: Vec<&'static str>,
    /// The tests that failed, by name.
    pub failed: Vec<String>,
    /// The tests that had not finished when their time ran out, by name.
    pub out_of_time: Vec<String>,
    /// The test binaries not run, as the check's time had run out.
    pub not_run: Vec<String>,
    /// The models that failed, by name, each with what it means.
    pub models: Vec<(String, String)>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        *self == Verdict::default()
    }

    /// Notes a failed test from a line of libtest's output; the name of the
    /// test the line says finished, if it says so.
    fn note<'a>(&mut self, line: &'a str) -> Option<&'a str> {
        let (name, outcome) = test_outcome(line)?;
        if outcome == "FAILED" {
            self.failed.push(name.to_owned());
        }
        Some(name)
    }
}

/// Runs the tests (and models) of the fork `name` in the workspace at
/// `root` and reports on its regions and tests; with `show`, what cargo and
/// the tests print goes on as it comes.
pub fn check(root: &Path, name: &str, show: bool) -> Result<Checked, Failure> {
    let dir = root.join("exercises").join(name);
    let Some(stage) = fork::forked_from(&dir) else {
        let message = format!(
            "there is no fork exercises/{name}; make one with `cargo xtask fork STAGE {name}`"
        );
        return Err(Failure::usage(message, "check"));
    };
    let cannot_run = |error: io::Error| Failure::Failed(format!("cannot run the tests: {error}"));
    let mut verdict = Verdict::default();
    let mut judge = Judge::new(&dir, show);
    match build(cli::cargo_in(root).args(["test", "-p", name]), show).map_err(cannot_run)? {
        Some(tests) => {
            judge.deadline = Some(Instant::now() + TIME);
            for test in tests {
                judge.run(&test, None, &mut verdict).map_err(cannot_run)?;
            }
            judge
                .doc_tests(root, name, &mut verdict)
                .map_err(cannot_run)?;
        }
        None => verdict.unbuilt.push("the tests"),
    }
    if dir.join("tests/loom.rs").is_file() && verdict.unbuilt.is_empty() {
        judge.models(root, name, &mut verdict).map_err(cannot_run)?;
    }
    let regions = fork::fork_regions(&dir)
        .map_err(|error| Failure::Failed(format!("cannot read exercises/{name}: {error}")))?;
    let report = report(name, stage, &regions, &verdict);
    Ok(Checked {
        verdict,
        report,
        runs: judge.runs,
        regions,
    })
}

/// A test binary cargo built: where it is, and the target it tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestBinary {
    pub path: PathBuf,
    /// The test target's name (`executor` for `tests/executor.rs`), or
    /// `lib` and `bin` for the unit tests of the library and the binary.
    pub target: String,
}

/// Builds what `cargo` (a `cargo test` command) names, without running it;
/// the test binaries it made, or `None` if it did not build. Cargo's
/// progress and messages go to the terminal with `show`, else to `messages`.
pub fn build(cargo: &mut Command, show: bool) -> io::Result<Option<Vec<TestBinary>>> {
    let (built, _) = build_telling(cargo, show)?;
    Ok(built)
}

/// [`build`], and what cargo said on standard error when not shown (the
/// compiler's messages, rendered).
pub fn build_telling(
    cargo: &mut Command,
    show: bool,
) -> io::Result<(Option<Vec<TestBinary>>, String)> {
    let output = cargo
        .args(["--no-run", "--message-format=json-render-diagnostics"])
        .stderr(if show {
            Stdio::inherit()
        } else {
            Stdio::piped()
        })
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Test binaries only (built with the test profile): the crate's own
    // binary is built too, for the tests that run it.
    let test_profile = |line: &&str| {
        let profile = line.split_once(r#""profile":"#).map(|(_, profile)| profile);
        let profile = profile.and_then(|profile| profile.split('}').next());
        profile.is_some_and(|profile| profile.contains(r#""test":true"#))
    };
    let tests = stdout.lines().filter(test_profile).filter_map(|line| {
        let path = PathBuf::from(json_string(line, "executable")?);
        // The target's name is the first `name` of cargo's message.
        let name = json_string(line, "name")?;
        let target = match () {
            _ if line.contains(r#""kind":["test"]"#) => name,
            _ if line.contains(r#""kind":["bin"]"#) => "bin".to_owned(),
            _ => "lib".to_owned(),
        };
        Some(TestBinary { path, target })
    });
    let tests = tests.collect();
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    Ok((output.status.success().then_some(tests), said))
}

/// One test's outcome, in a run of a fork's tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRun {
    /// The test target it is in: [`TestBinary::target`], or `doc`.
    pub target: String,
    pub name: String,
    pub outcome: Outcome,
    /// What it printed, as libtest captured it: its panics, and those of
    /// the threads it started (of a test that passed too, unless shown).
    pub output: String,
}

/// How a test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Still running when its time ran out: stopped.
    OutOfTime,
}

/// Runs test binaries and doc tests against one deadline.
pub struct Judge<'a> {
    /// The fork's directory: tests run there, as cargo runs them.
    dir: &'a Path,
    show: bool,
    pub deadline: Option<Instant>,
    /// Every test run so far, and how it ended.
    pub runs: Vec<TestRun>,
}

impl<'a> Judge<'a> {
    /// A judge of the fork in `dir`; with `show`, what the tests print goes
    /// on to the terminal as it comes, and otherwise nowhere (a panic's
    /// backtrace is then left out, as the outcome keeps the message).
    pub fn new(dir: &'a Path, show: bool) -> Self {
        Judge {
            dir,
            show,
            deadline: None,
            runs: Vec::new(),
        }
    }

    /// Runs the test binary `test` (only the tests named in `only`, if
    /// given), noting in `verdict` what failed or did not finish in time.
    pub fn run(
        &mut self,
        test: &TestBinary,
        only: Option<&[String]>,
        verdict: &mut Verdict,
    ) -> io::Result<()> {
        let listed = self
            .command(&test.path)
            .args(["--list", "--format", "terse"])
            .output()?;
        let listed = String::from_utf8_lossy(&listed.stdout);
        let listed = listed
            .lines()
            .filter_map(|line| line.strip_suffix(": test"))
            .filter(|name| only.is_none_or(|only| only.iter().any(|wanted| wanted == name)));
        let mut unfinished: BTreeSet<String> = listed.map(str::to_owned).collect();
        if unfinished.is_empty() {
            return Ok(());
        }
        if self.out_of_time() {
            verdict.not_run.push(test.target.clone());
            return Ok(());
        }
        if self.show {
            println!("\n     Running {}", test.path.display());
        }
        let mut command = self.command(&test.path);
        if !self.show {
            // What a passing test captured too: a thread that every test
            // shares may have panicked while one that then passed ran.
            command.arg("--show-output");
        }
        if only.is_some() {
            command.args(&unfinished).arg("--exact");
        }
        let mut outcomes = Outcomes::default();
        let finished = self.watch(command, |line| {
            outcomes.read(line);
            if let Some(name) = verdict.note(line) {
                unfinished.remove(name);
            }
        })?;
        let out_of_time = if finished {
            Vec::new()
        } else {
            unfinished.into_iter().collect()
        };
        self.note(&test.target, outcomes, &out_of_time);
        verdict.out_of_time.extend(out_of_time);
        Ok(())
    }

    /// `program`, run in the fork's directory, its panics told without a
    /// backtrace unless the terminal sees them.
    fn command(&self, program: &Path) -> Command {
        let mut command = cli::program_in(program, self.dir);
        if !self.show {
            command.env("RUST_BACKTRACE", "0").stderr(Stdio::null());
        }
        command
    }

    /// Notes the outcomes of a run of the tests of `target`.
    fn note(&mut self, target: &str, outcomes: Outcomes, out_of_time: &[String]) {
        let mut runs: Vec<TestRun> = outcomes
            .ended
            .into_iter()
            .map(|(name, passed)| {
                let output = outcomes
                    .failures
                    .models
                    .iter()
                    .find(|(test, _)| *test == name);
                TestRun {
                    target: target.to_owned(),
                    outcome: if passed {
                        Outcome::Passed
                    } else {
                        Outcome::Failed
                    },
                    output: output
                        .map(|(_, lines)| lines.join("\n"))
                        .unwrap_or_default(),
                    name,
                }
            })
            .collect();
        runs.extend(out_of_time.iter().map(|name| TestRun {
            target: target.to_owned(),
            name: name.clone(),
            outcome: Outcome::OutOfTime,
            output: String::new(),
        }));
        self.runs.extend(runs);
    }

    /// Runs the fork's doc tests through cargo.
    pub fn doc_tests(&mut self, root: &Path, name: &str, verdict: &mut Verdict) -> io::Result<()> {
        if self.out_of_time() {
            verdict.not_run.push("the doc tests".to_owned());
            return Ok(());
        }
        let mut cargo = cli::cargo_in(root);
        cargo.args(["test", "-p", name, "--doc"]);
        if !self.show {
            cargo.env("RUST_BACKTRACE", "0").stderr(Stdio::null());
        }
        let mut outcomes = Outcomes::default();
        let finished = self.watch(cargo, |line| {
            outcomes.read(line);
            verdict.note(line);
        })?;
        let out_of_time = match finished {
            true => Vec::new(),
            false => vec!["the doc tests".to_owned()],
        };
        self.note("doc", outcomes, &out_of_time);
        verdict.out_of_time.extend(out_of_time);
        Ok(())
    }

    /// Builds and runs the fork's loom models.
    pub fn models(&mut self, root: &Path, name: &str, verdict: &mut Verdict) -> io::Result<()> {
        let target = root.join("target/loom").join(name);
        if self.show {
            println!(
                "\nThe loom models: every interleaving of the threads of tests/loom.rs, and every \
                 value the memory model lets each atomic load return. They are built with \
                 `--cfg loom` into {}; the first build takes a minute or two.",
                target.display()
            );
        }
        let mut cargo = cli::cargo_in(root);
        cargo.args(["test", "--release", "-p", name, "--test", "loom"]);
        cargo
            .env("RUSTFLAGS", "--cfg loom")
            .env("CARGO_TARGET_DIR", &target);
        let Some(models) = build(&mut cargo, self.show)? else {
            verdict.unbuilt.push("the loom models");
            return Ok(());
        };
        // The models get their time from when they are built.
        self.deadline = Some(Instant::now() + TIME);
        for model in models {
            let mut command = self.command(&model.path);
            command.env("LOOM_MAX_PREEMPTIONS", LOOM_MAX_PREEMPTIONS);
            let mut failures = Failures::default();
            let finished = self.watch(command, |line| failures.read(line))?;
            verdict.models.extend(failures.explained());
            if !finished {
                verdict
                    .out_of_time
                    .push(format!("the loom models of {name}"));
            }
        }
        Ok(())
    }

    /// Whether the check's time is out.
    pub fn out_of_time(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Runs `command`, handing each line it prints to `line` (and, with
    /// `show`, to the terminal); false if it had not finished by the
    /// deadline, and was stopped.
    fn watch(&self, mut command: Command, mut line: impl FnMut(&str)) -> io::Result<bool> {
        let mut child = command.stdout(Stdio::piped()).spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let (lines, read) = mpsc::channel();
        let reader = thread::spawn(move || {
            for text in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(text).is_err() {
                    break;
                }
            }
        });
        let now = Instant::now();
        let deadline = self.deadline.unwrap_or(now + TIME).min(now + ONE_BINARY);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match read.recv_timeout(left) {
                Ok(text) => {
                    if self.show {
                        println!("{text}");
                    }
                    line(&text);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    stop(&mut child);
                    if self.show {
                        println!("(stopped: its time ran out)");
                    }
                    return Ok(false);
                }
            }
        }
        io::stdout().flush()?;
        child.wait()?;
        let _ = reader.join();
        Ok(true)
    }
}

/// Stops `child` and what it started: cargo runs doc tests in processes of
/// its own, which would otherwise go on.
pub fn stop(child: &mut Child) {
    #[cfg(unix)]
    {
        fn descendants(pid: u32) -> Vec<u32> {
            let output = Command::new("pgrep")
                .args(["-P", &pid.to_string()])
                .output();
            let children = output.map(|output| output.stdout).unwrap_or_default();
            let children: Vec<u32> = String::from_utf8_lossy(&children)
                .split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect();
            let grandchildren = children.iter().flat_map(|&child| descendants(child));
            grandchildren.chain(children.iter().copied()).collect()
        }
        for pid in descendants(child.id()) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
    #[cfg(windows)]
    {
        let pid = child.id().to_string();
        let _ = Command::new("taskkill")
            .args(["/F", "/T", "/PID", &pid])
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The test a line of libtest's output says finished, and how:
/// `test the_newest_waker_is_woken_once ... FAILED`.
fn test_outcome(line: &str) -> Option<(&str, &str)> {
    let (name, outcome) = line.strip_prefix("test ")?.rsplit_once(" ... ")?;
    ["ok", "FAILED", "ignored"]
        .contains(&outcome)
        .then_some((name, outcome))
}

/// The tests a run of a test binary ended, in order, and what each failed
/// one printed.
#[derive(Debug, Default)]
struct Outcomes {
    /// Each test that ended, and whether it passed (ignored ones are left out).
    ended: Vec<(String, bool)>,
    failures: Failures,
}

impl Outcomes {
    fn read(&mut self, line: &str) {
        match test_outcome(line) {
            Some((name, "ok")) => self.ended.push((name.to_owned(), true)),
            Some((name, "FAILED")) => self.ended.push((name.to_owned(), false)),
            _ => self.failures.read(line),
        }
    }
}

/// What the tests of a run (or loom models) printed, read from libtest's
/// output: each failed test's captured output, and with `--show-output`
/// each passing one's.
#[derive(Debug, Default)]
struct Failures {
    /// Each test (or model) shown, with the lines of its captured output.
    models: Vec<(String, Vec<String>)>,
    /// Whether the lines now are a model's captured output.
    reading: bool,
    /// Each thread that panicked, with the panic's first line: where a
    /// model's failure aborts the run (loom panics again as it unwinds),
    /// libtest prints no summary, and these are all there is.
    panicked: Vec<(String, String)>,
    /// The panic whose message is the next line, if one was just read.
    panicking: Option<String>,
}

impl Failures {
    fn read(&mut self, line: &str) {
        if let Some(thread) = self.panicking.take() {
            self.panicked.push((thread, line.to_owned()));
        }
        if let Some(rest) = line.strip_prefix("thread '") {
            if let Some((thread, _)) = rest
                .split_once('\'')
                .filter(|_| line.contains("panicked at"))
            {
                self.panicking = Some(thread.to_owned());
            }
        }
        let heading = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"));
        if let Some(model) = heading {
            self.models.push((model.to_owned(), Vec::new()));
            self.reading = true;
        } else if ["failures:", "successes:"].contains(&line) || line.starts_with("test result:") {
            self.reading = false;
        } else if let (true, Some((_, lines))) = (self.reading, self.models.last_mut()) {
            lines.push(line.to_owned());
        }
    }

    /// Each failed model, and what its failure means.
    fn explained(self) -> Vec<(String, String)> {
        if self.models.is_empty() {
            // No summary: each model that panicked, once, by its first panic.
            let mut seen: Vec<(String, String)> = Vec::new();
            for (model, message) in self.panicked {
                if !seen.iter().any(|(named, _)| *named == model) {
                    let meaning = explain(&format!("panicked at its model:\n{message}"));
                    seen.push((model, meaning));
                }
            }
            return seen;
        }
        let explain = |(model, lines): (String, Vec<String>)| {
            let text = lines.join("\n");
            let meaning = explain(&text);
            (model, meaning)
        };
        self.models.into_iter().map(explain).collect()
    }
}

/// What a failed model's output means, in a learner's words.
fn explain(output: &str) -> String {
    // The panic's message: the lines after `thread '...' panicked at ...:`.
    let message = output
        .split_once("panicked at ")
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map(|(_, message)| message.lines().next().unwrap_or_default().trim())
        .unwrap_or_else(|| {
            output
                .lines()
                .find(|line| !line.trim().is_empty())
                .unwrap_or("")
        });
    if message.contains("deadlock") {
        "a wake was lost: a thread parked and nothing woke it (loom calls this a deadlock). \
         A waker's write that the executor's next look does not see leaves the task asleep for \
         good: check the orderings between the waker and the poll, and that every wake unparks"
            .to_owned()
    } else {
        format!("in one interleaving of its threads, it failed: {message}")
    }
}

/// The string value of `"key":` in the JSON object on `line`, if it has one:
/// enough of JSON for cargo's paths, which escape `\` and `"` alone.
fn json_string(line: &str, key: &str) -> Option<String> {
    let (_, rest) = line.split_once(&format!("\"{key}\":\""))?;
    let (mut value, mut chars) = (String::new(), rest.chars());
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

fn report(name: &str, stage: &Stage, regions: &[Region], verdict: &Verdict) -> String {
    let todo = regions.iter().filter(|region| region.todo).count();
    let (number, krate, all) = (stage.number, stage.krate, regions.len());
    let mut report = format!(
        "{name}, a fork of stage {number} ({krate}): {todo} of {all} regions still todo!\n"
    );
    report += &fork::region_table(regions);
    let list = |title: String, names: &[String]| {
        let names: String = names.iter().map(|name| format!("  {name}\n")).collect();
        format!("{title}\n{names}")
    };
    for what in &verdict.unbuilt {
        report += &format!("{what} do not build yet: the compiler's messages are above.\n");
    }
    if !verdict.failed.is_empty() {
        report += &list(
            format!("{} tests fail:", verdict.failed.len()),
            &verdict.failed,
        );
    }
    if !verdict.out_of_time.is_empty() {
        let title = format!(
            "{} had not finished when their time ran out ({} s for a test binary, {} s \
             in all; a wait that never ends is a wake that never comes, or a loop that never \
             sleeps):",
            verdict.out_of_time.len(),
            ONE_BINARY.as_secs(),
            TIME.as_secs()
        );
        report += &list(title, &verdict.out_of_time);
    }
    if !verdict.not_run.is_empty() {
        let title = "Not run, as the check's time had run out:".to_owned();
        report += &list(title, &verdict.not_run);
    }
    if !verdict.models.is_empty() {
        report += "The loom models fail:\n";
        for (model, meaning) in &verdict.models {
            report += &format!("  {model}: {meaning}\n");
        }
        report += "A model tries every interleaving of its threads and every value the memory \
                   model lets a load see, and one of them failed. The ordinary tests can pass \
                   all the same: this machine may order memory more strongly than Rust \
                   promises, or never run that interleaving.\n";
    }
    if verdict.passed() {
        report += "All tests pass: the stage is yours.\n";
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_outcomes_are_read_from_test_output() {
        let lines = [
            "running 2 tests",
            "test trace::tests::a ... ok",
            "test no_futures_no_polls ... FAILED",
            "test crates/x/src/lib.rs - run (line 37) ... FAILED",
            "test slow has been running for over 60 seconds",
            "test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
        ];
        let outcomes: Vec<(&str, &str)> = lines.iter().filter_map(|l| test_outcome(l)).collect();
        assert_eq!(
            outcomes,
            [
                ("trace::tests::a", "ok"),
                ("no_futures_no_polls", "FAILED"),
                ("crates/x/src/lib.rs - run (line 37)", "FAILED")
            ]
        );
    }

    #[test]
    fn a_model_run_that_aborts_before_its_summary_is_still_explained() {
        let mut failures = Failures::default();
        for line in [
            "running 3 tests",
            "thread 'a_push_is_never_lost' (12) panicked at loom-0.7.3/src/rt/execution.rs:215:13:",
            "deadlock; threads = [(Id(0), Blocked(Location(None))), (Id(1), Terminated)]",
            "thread 'a_push_is_never_lost' (12) panicked at loom-0.7.3/src/rt/thread.rs:276:39:",
            "called `Option::unwrap()` on a `None` value",
            "thread caused non-unwinding panic. aborting.",
        ] {
            failures.read(line);
        }
        let explained = failures.explained();
        assert_eq!(explained.len(), 1, "{explained:?}");
        assert_eq!(explained[0].0, "a_push_is_never_lost");
        assert!(
            explained[0].1.starts_with("a wake was lost"),
            "{}",
            explained[0].1
        );
    }

    #[test]
    fn a_failed_model_is_explained_from_its_panic() {
        let mut failures = Failures::default();
        for line in [
            "test a_wake_is_never_lost ... FAILED",
            "test a_stuck_task_is_named ... FAILED",
            "",
            "failures:",
            "",
            "---- a_wake_is_never_lost stdout ----",
            "",
            "thread 'a_wake_is_never_lost' panicked at loom-0.7.3/src/rt/execution.rs:216:17:",
            "deadlock; threads = [(Id(0), Blocked(Id(3))), (Id(1), Terminated)]",
            "---- a_stuck_task_is_named stdout ----",
            "thread 'a_stuck_task_is_named' panicked at tests/loom.rs:80:9:",
            "task 0 returned Pending but nothing holds its waker: it can never be woken",
            "",
            "failures:",
            "    a_wake_is_never_lost",
        ] {
            failures.read(line);
        }
        let explained = failures.explained();
        let names: Vec<&str> = explained.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["a_wake_is_never_lost", "a_stuck_task_is_named"]);
        assert!(
            explained[0]
                .1
                .starts_with("a wake was lost: a thread parked"),
            "{explained:?}"
        );
        assert_eq!(
            explained[1].1,
            "in one interleaving of its threads, it failed: task 0 returned Pending but nothing \
             holds its waker: it can never be woken"
        );
    }

    #[test]
    fn cargos_messages_give_the_test_binaries() {
        let line = r#"{"reason":"compiler-artifact","target":{"name":"loom"},"executable":"C:\\t\\loom-1a.exe","fresh":true}"#;
        assert_eq!(
            json_string(line, "executable").as_deref(),
            Some(r"C:\t\loom-1a.exe")
        );
        assert_eq!(json_string(r#"{"executable":null}"#, "executable"), None);
    }

    #[test]
    fn a_verdict_names_what_failed_and_what_ran_out_of_time() {
        let verdict = Verdict {
            failed: vec!["no_futures_finish_at_once".to_owned()],
            out_of_time: vec!["a_long_wait_costs_under_one_percent_of_a_core".to_owned()],
            not_run: vec!["leak".to_owned()],
            ..Verdict::default()
        };
        let stage = &crate::stages::STAGES[3];
        let text = report("mine", stage, &[], &verdict);
        insta::assert_snapshot!(text, @"
        mine, a fork of stage 4 (waker-executor): 0 of 0 regions still todo!
        1 tests fail:
          no_futures_finish_at_once
        1 had not finished when their time ran out (60 s for a test binary, 180 s in all; a wait that never ends is a wake that never comes, or a loop that never sleeps):
          a_long_wait_costs_under_one_percent_of_a_core
        Not run, as the check's time had run out:
          leak
        ");
        assert!(!verdict.passed());
        assert!(Verdict::default().passed());
    }
}
