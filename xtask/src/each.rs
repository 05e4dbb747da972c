//! Each test of a fork in a process of its own, stopped the moment it
//! reaches a `todo!()`: how `watch` runs the tests.
//!
//! A fork's test that reaches an unwritten body cannot pass, but it may
//! take long to fail: a `todo!()` reached on a thread the test waits on
//! (a timer thread, a waker called from one) leaves the test waiting until
//! its patience runs out, half a minute later. Run with its output
//! uncaptured, a test shows the panic of a `todo!()` the moment any of its
//! threads reaches one; so each test runs alone in a process of its own
//! (as cargo-nextest runs them), a few at a time, and is stopped at the
//! first `not yet implemented: <hint>` of a region it prints. The verdict
//! is the same as a whole run's, and comes in seconds.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::check::{Outcome, TestBinary, TestRun};

/// How long one test may run (its own waits are bounded well within it).
pub const ONE_TEST: Duration = Duration::from_secs(60);

/// How often at least `run_each` tells its caller that time goes on.
pub const TICK: Duration = Duration::from_millis(250);

/// What a `todo!()` prints when reached.
const TODO: &str = "not yet implemented: ";

/// Runs each test of `binaries` (each with the names of the tests to run,
/// or `None` for all) in a process of its own, in `command`'s way
/// (`command(path)` gives the program to run, in the fork's directory),
/// `parallel` at a time from one queue, until `deadline`. A test that
/// prints the `todo!()` of one of `hints` is stopped there. The tests not
/// started by the deadline are returned apart. `done` hears of each test
/// as it ends, and (with `None`) at least every [`TICK`] meanwhile.
pub fn run_each(
    binaries: &[(TestBinary, Option<Vec<String>>)],
    hints: &[String],
    command: &dyn Fn(&std::path::Path) -> Command,
    parallel: usize,
    deadline: Instant,
    done: &mut dyn FnMut(Option<&TestRun>),
) -> io::Result<(Vec<TestRun>, Vec<String>)> {
    let mut waiting: VecDeque<(&TestBinary, String)> = VecDeque::new();
    for (binary, only) in binaries {
        let listed = command(&binary.path)
            .args(["--list", "--format", "terse"])
            .stderr(Stdio::null())
            .output()?;
        let listed = String::from_utf8_lossy(&listed.stdout);
        let listed = listed
            .lines()
            .filter_map(|line| line.strip_suffix(": test"))
            .filter(|name| {
                only.as_ref()
                    .is_none_or(|only| only.iter().any(|wanted| wanted == name))
            });
        waiting.extend(listed.map(|name| (binary, name.to_owned())));
    }
    let (lines, read) = mpsc::channel::<(usize, Option<String>)>();
    let mut running: Vec<Running> = Vec::new();
    let mut runs = Vec::new();
    // How many of `runs` `done` has heard of.
    let mut told = 0;
    loop {
        // Start tests while there is room and time.
        while running.iter().filter(|test| test.child.is_some()).count() < parallel.max(1)
            && Instant::now() < deadline
        {
            let Some((binary, name)) = waiting.pop_front() else {
                break;
            };
            let mut child = command(&binary.path)
                .args([
                    name.as_str(),
                    "--exact",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()?;
            let index = running.len();
            let streams = [
                child
                    .stdout
                    .take()
                    .map(|out| Box::new(out) as Box<dyn Read + Send>),
                child
                    .stderr
                    .take()
                    .map(|err| Box::new(err) as Box<dyn Read + Send>),
            ];
            for stream in streams.into_iter().flatten() {
                let lines = lines.clone();
                thread::spawn(move || {
                    for line in BufReader::new(stream).lines().map_while(Result::ok) {
                        if lines.send((index, Some(line))).is_err() {
                            return;
                        }
                    }
                    let _ = lines.send((index, None));
                });
            }
            running.push(Running {
                target: binary.target.clone(),
                name,
                child: Some(child),
                output: String::new(),
                open: 2,
                passed: false,
                stopped: None,
                began: Instant::now(),
            });
        }
        for run in &runs[told..] {
            done(Some(run));
        }
        told = runs.len();
        if running.iter().all(|test| test.child.is_none()) {
            break;
        }
        // The next line of a running test, or the end of one's time.
        let now = Instant::now();
        let soonest = running
            .iter()
            .filter(|test| test.child.is_some())
            .map(|test| (test.began + ONE_TEST).min(deadline))
            .min()
            .unwrap_or(now);
        let wait = soonest.saturating_duration_since(now).min(TICK);
        match read.recv_timeout(wait) {
            Ok((index, Some(line))) => {
                let test = &mut running[index];
                if test.child.is_none() {
                    continue;
                }
                // With its output uncaptured, libtest's line for the test may
                // be cut by the test's own output: its summary is whole.
                if line.starts_with("test result: ok. 1 passed") {
                    test.passed = true;
                }
                let reached = line
                    .strip_prefix(TODO)
                    .is_some_and(|hint| hints.iter().any(|known| known == hint.trim_end()));
                test.output += &line;
                test.output.push('\n');
                if reached {
                    test.stopped = Some(Outcome::Failed);
                    test.finish(&mut runs);
                }
            }
            Ok((index, None)) => {
                let test = &mut running[index];
                test.open -= 1;
                if test.open == 0 && test.child.is_some() {
                    test.finish(&mut runs);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                done(None);
                let now = Instant::now();
                for test in running.iter_mut().filter(|test| test.child.is_some()) {
                    if now >= (test.began + ONE_TEST).min(deadline) {
                        test.stopped = Some(Outcome::OutOfTime);
                        test.finish(&mut runs);
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let not_run = waiting
        .into_iter()
        .map(|(binary, name)| format!("{}::{name}", binary.target));
    Ok((runs, not_run.collect()))
}

/// A test being run, in a process of its own.
struct Running {
    /// Its test target, and its name.
    target: String,
    name: String,
    /// The process, until the test is over.
    child: Option<Child>,
    /// What it printed, both streams as they came.
    output: String,
    /// Its streams not yet at their end.
    open: u8,
    /// Whether libtest's summary said it passed.
    passed: bool,
    /// How it was stopped, if it was.
    stopped: Option<Outcome>,
    began: Instant,
}

impl Running {
    /// Ends the test (stopping it if it runs still) and notes its outcome.
    fn finish(&mut self, runs: &mut Vec<TestRun>) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let status = match self.stopped {
            Some(_) => {
                crate::check::stop(&mut child);
                None
            }
            None => child.wait().ok(),
        };
        let outcome = match (self.stopped, status) {
            (Some(outcome), _) => outcome,
            (None, Some(status)) if status.success() && self.passed => Outcome::Passed,
            (None, _) => Outcome::Failed,
        };
        runs.push(TestRun {
            target: self.target.clone(),
            name: self.name.clone(),
            outcome,
            output: std::mem::take(&mut self.output),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test binary of this file: xtask's own unit tests, whose tests
    /// below this one are run as another fork's would be.
    fn this_binary() -> TestBinary {
        TestBinary {
            path: std::env::current_exe().unwrap(),
            target: "bin".to_owned(),
        }
    }

    #[test]
    fn a_test_that_reaches_a_todo_is_stopped_there_and_others_run_to_their_end() {
        if std::env::var_os("XTASK_EACH_PROBE").is_some() {
            return; // Run as a probe: the tests below do the work.
        }
        let probes = [
            "each::tests::probe_passes",
            "each::tests::probe_fails",
            "each::tests::probe_reaches_a_todo",
        ]
        .map(str::to_owned);
        let hints = ["write the probe".to_owned()];
        let command = |path: &std::path::Path| {
            let mut command = Command::new(path);
            command
                .env("XTASK_EACH_PROBE", "1")
                .env("RUST_BACKTRACE", "0");
            command
        };
        let began = Instant::now();
        let deadline = began + Duration::from_secs(50);
        let (mut runs, not_run) = run_each(
            &[(this_binary(), Some(probes.to_vec()))],
            &hints,
            &command,
            2,
            deadline,
            &mut |_| {},
        )
        .unwrap();
        runs.sort_by(|a, b| a.name.cmp(&b.name));
        let outcomes: Vec<(&str, Outcome)> = runs
            .iter()
            .map(|run| (run.name.as_str(), run.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("each::tests::probe_fails", Outcome::Failed),
                ("each::tests::probe_passes", Outcome::Passed),
                ("each::tests::probe_reaches_a_todo", Outcome::Failed),
            ]
        );
        assert!(not_run.is_empty());
        assert!(
            runs[0].output.contains("the probe's own failure"),
            "{:?}",
            runs[0]
        );
        assert!(
            runs[2]
                .output
                .contains("not yet implemented: write the probe"),
            "{:?}",
            runs[2]
        );
        // The todo's test waits an hour after its thread panicked: it was
        // stopped, not waited for.
        assert!(
            began.elapsed() < Duration::from_secs(40),
            "{:?}",
            began.elapsed()
        );
    }

    /// Runs only as a probe of the test above.
    fn probe() -> bool {
        std::env::var_os("XTASK_EACH_PROBE").is_some()
    }

    #[test]
    fn probe_passes() {}

    #[test]
    fn probe_fails() {
        assert!(!probe(), "the probe's own failure");
    }

    #[test]
    fn probe_reaches_a_todo() {
        if probe() {
            // As a fork's timer thread would: a todo!() on a thread the test
            // waits on, and a wait that would outlast any patience.
            let _ = thread::spawn(|| -> () { todo!("write the probe") }).join();
            thread::sleep(Duration::from_secs(3600));
        }
    }
}
