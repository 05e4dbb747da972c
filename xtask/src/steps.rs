//! A fork's steps: its exercise regions in file order, each judged by the
//! tests that belong to it.
//!
//! Which tests belong to which region is learned from the tests
//! themselves, never written down by hand: a test that stops at the
//! `todo!("<hint>")` of a region (its failure says `not yet implemented:
//! <hint>`) belongs to that region. A test that reaches a region first
//! belongs to it until it gets past it: once the body is written, it either
//! passes, fails there (the step is wrong), or stops at a later region's
//! `todo!()`, and belongs to that one from then on. So every judgement
//! keeps the record up to date, whatever order the learner writes the
//! bodies in, and a record lost (the progress file deleted) is learned again
//! by the next run of all the tests.

use std::collections::BTreeMap;

use crate::check::{Outcome, TestRun};
use crate::fork::Region;

/// What libtest's capture shows for a `todo!()` reached.
const TODO: &str = "not yet implemented: ";

/// How a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Its body is still the fork's `todo!()`.
    Todo,
    /// Written, and a test of it fails or ran out of time.
    Failing,
    /// Written, and no test of it fails.
    Written,
}

/// A step: a region, where it stands, and the latest runs of its tests.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    pub region: &'a Region,
    pub state: State,
    pub tests: Vec<&'a TestRun>,
}

impl Step<'_> {
    /// Its tests that failed or ran out of time, in the order they ran.
    pub fn failing(&self) -> impl Iterator<Item = &TestRun> {
        self.tests
            .iter()
            .copied()
            .filter(|run| run.outcome != Outcome::Passed)
    }
}

/// The steps of a fork, and the tests that belong to none.
#[derive(Clone, Debug)]
pub struct Steps<'a> {
    pub steps: Vec<Step<'a>>,
    /// Tests that failed without reaching any `todo!()`, and belong to no
    /// step: they judge the stage as a whole.
    pub others: Vec<&'a TestRun>,
}

impl<'a> Steps<'a> {
    /// The steps of `regions` (in order), judged by `runs` (the latest run
    /// of each test), with `owners` saying which region each test belongs to.
    pub fn judge(
        regions: &'a [Region],
        owners: &BTreeMap<String, String>,
        runs: &'a [TestRun],
    ) -> Self {
        let owner = |run: &TestRun| owners.get(&test_id(run));
        let steps = regions.iter().map(|region| {
            let tests: Vec<&TestRun> = runs
                .iter()
                .filter(|run| owner(run) == Some(&region.hint))
                .collect();
            let failing = tests.iter().any(|run| run.outcome != Outcome::Passed);
            let state = match (region.todo, failing) {
                (true, _) => State::Todo,
                (false, true) => State::Failing,
                (false, false) => State::Written,
            };
            Step {
                region,
                state,
                tests,
            }
        });
        let owned =
            |run: &TestRun| owner(run).is_some_and(|hint| regions.iter().any(|r| &r.hint == hint));
        let others = runs
            .iter()
            .filter(|run| run.outcome != Outcome::Passed && !owned(run))
            .collect();
        Steps {
            steps: steps.collect(),
            others,
        }
    }

    /// The step to work on: the first that is not written, or whose tests
    /// fail; `None` once every step is written and passes.
    pub fn current(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|step| step.state != State::Written)
    }

    /// How many steps are done: those before the current one.
    pub fn done(&self) -> usize {
        self.current().unwrap_or(self.steps.len())
    }
}

/// The name a test is kept under: its target, then its name (a doc test's
/// without its line, which moves as the learner writes).
pub fn test_id(run: &TestRun) -> String {
    let name = match run.target.as_str() {
        "doc" => run
            .name
            .rsplit_once(" (line ")
            .map_or(run.name.as_str(), |(name, _)| name),
        _ => run.name.as_str(),
    };
    format!("{}::{name}", run.target)
}

/// The region whose `todo!()` a failed test's output shows it reached
/// first, if it reached one.
pub fn reached<'r>(output: &str, regions: &'r [Region]) -> Option<&'r Region> {
    output.match_indices(TODO).find_map(|(at, _)| {
        let said = output[at + TODO.len()..].lines().next().unwrap_or_default();
        regions.iter().find(|region| region.hint == said.trim_end())
    })
}

/// Learns from `runs` which region each test belongs to: a test that
/// stopped at a region's `todo!()` belongs to that region now. Tests of
/// regions there are no longer are forgotten.
///
/// A `todo!()` reached on a thread that every test of a binary shares (a
/// named thread that is not a test's, as socket-sim's timer) stops every
/// test that waits on that thread, yet its message is captured with one
/// test only: so a test of that binary that failed without a `todo!()` of
/// its own is taken to have stopped at that one.
pub fn learn(owners: &mut BTreeMap<String, String>, runs: &[TestRun], regions: &[Region]) {
    for run in runs {
        if run.outcome != Outcome::Failed {
            continue;
        }
        let shared = || {
            let binary = runs.iter().filter(|other| other.target == run.target);
            let mut binary = binary;
            binary.find_map(|other| shared_todo(other, runs, regions))
        };
        if let Some(region) = reached(&run.output, regions).or_else(shared) {
            owners.insert(test_id(run), region.hint.clone());
        }
    }
    owners.retain(|_, hint| regions.iter().any(|region| &region.hint == hint));
}

/// The region whose `todo!()` a thread shared by the tests of `run`'s
/// binary reached, as `run`'s output shows, if it shows one.
fn shared_todo<'r>(run: &TestRun, runs: &[TestRun], regions: &'r [Region]) -> Option<&'r Region> {
    let output = &run.output;
    // `thread 'socket-timer' (12) panicked at src/timer.rs:106:9:`, then the message.
    let mut panics = output.split("thread '").skip(1);
    panics.find_map(|panic| {
        let (thread, rest) = panic.split_once('\'')?;
        let a_test = runs
            .iter()
            .any(|other| other.target == run.target && other.name == thread);
        let shared = !a_test && !["<unnamed>", "main"].contains(&thread);
        let message = rest.split_once('\n')?.1;
        shared
            .then(|| reached(message.lines().next()?, regions))
            .flatten()
    })
}

/// `latest` with the runs of `newer` in place of the earlier runs of the
/// same tests: what is known after a run of some of the tests.
pub fn merge(latest: &mut Vec<TestRun>, newer: Vec<TestRun>) {
    for run in newer {
        match latest
            .iter_mut()
            .find(|known| known.target == run.target && known.name == run.name)
        {
            Some(known) => *known = run,
            None => latest.push(run),
        }
    }
}

/// What a failed test said: the message of its first panic, and where,
/// in at most `lines` lines.
pub fn message(run: &TestRun, lines: usize) -> String {
    let output = match run.outcome {
        Outcome::Passed => return String::new(),
        Outcome::OutOfTime => {
            return "still running when its time ran out, so it was stopped: a wait that \
                    never ends is a wake that never comes, or a loop that never sleeps"
                .to_owned();
        }
        Outcome::Failed => &run.output,
    };
    // `thread 'name' (123) panicked at src/lib.rs:10:5:`, then the message.
    let panic = output
        .split_once("thread '")
        .and_then(|(_, panic)| panic.split_once(" panicked at "));
    let Some((_, after)) = panic else {
        let said: Vec<&str> = output
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        return said
            .iter()
            .take(lines)
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
    };
    let (place, message) = after.split_once('\n').unwrap_or((after, ""));
    let place = place.trim_end_matches(':');
    let message: Vec<&str> = message
        .lines()
        .take_while(|line| {
            !(line.starts_with("note: ")
                || line.starts_with("stack backtrace:")
                || line.starts_with("thread '"))
        })
        .collect();
    let end = message
        .iter()
        .rposition(|line| !line.trim().is_empty())
        .map_or(0, |end| end + 1);
    let mut message: Vec<String> = message[..end]
        .iter()
        .map(|line| (*line).to_owned())
        .collect();
    if message.len() > lines {
        message.truncate(lines);
        message.push("...".to_owned());
    }
    message.push(format!("(at {place})"));
    message.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(line: usize, hint: &str, todo: bool) -> Region {
        Region {
            file: "src/lib.rs".to_owned(),
            line,
            function: format!("f{line}"),
            hint: hint.to_owned(),
            todo,
        }
    }

    fn run(name: &str, outcome: Outcome) -> TestRun {
        TestRun {
            target: "executor".to_owned(),
            name: name.to_owned(),
            outcome,
            output: String::new(),
        }
    }

    fn failed(name: &str, output: &str) -> TestRun {
        TestRun {
            output: output.to_owned(),
            ..run(name, Outcome::Failed)
        }
    }

    fn stopped_at(name: &str, hint: &str) -> TestRun {
        failed(
            name,
            &format!(
                "\nthread '<unnamed>' (12) panicked at src/lib.rs:181:5:\n{TODO}{hint}\nnote: run with `RUST_BACKTRACE=1`\n"
            ),
        )
    }

    #[test]
    fn a_test_belongs_to_the_todo_it_stops_at_and_moves_on_with_the_learner() {
        let mut regions = vec![region(10, "poll it", true), region(20, "wake it", true)];
        let mut owners = BTreeMap::new();
        // A fresh fork: both tests stop at the first region, one test
        // touches no region and passes, and one fails of its own.
        let mut runs = vec![
            stopped_at("polls", "poll it"),
            stopped_at("wakes", "poll it"),
            run("plain", Outcome::Passed),
            failed("broken", "thread 'broken' panicked at t.rs:1:1:\nno\n"),
        ];
        learn(&mut owners, &runs, &regions);
        let steps = Steps::judge(&regions, &owners, &runs);
        let states: Vec<State> = steps.steps.iter().map(|step| step.state).collect();
        assert_eq!(states, [State::Todo, State::Todo]);
        assert_eq!(steps.steps[0].tests.len(), 2);
        assert_eq!((steps.current(), steps.done()), (Some(0), 0));
        let others: Vec<&str> = steps.others.iter().map(|run| run.name.as_str()).collect();
        assert_eq!(others, ["broken"]);

        // The first body written: one test passes, the other goes on to the
        // second region's todo and belongs to it from now on.
        regions[0].todo = false;
        merge(
            &mut runs,
            vec![
                run("polls", Outcome::Passed),
                stopped_at("wakes", "wake it"),
            ],
        );
        learn(&mut owners, &runs, &regions);
        let steps = Steps::judge(&regions, &owners, &runs);
        let states: Vec<State> = steps.steps.iter().map(|step| step.state).collect();
        assert_eq!(states, [State::Written, State::Todo]);
        assert_eq!((steps.current(), steps.done()), (Some(1), 1));
        assert_eq!(steps.steps[1].tests[0].name, "wakes");

        // The second written wrong: its test fails there, and the step is
        // the one to work on.
        regions[1].todo = false;
        merge(&mut runs, vec![run("wakes", Outcome::OutOfTime)]);
        learn(&mut owners, &runs, &regions);
        let steps = Steps::judge(&regions, &owners, &runs);
        assert_eq!(steps.steps[1].state, State::Failing);
        assert_eq!(steps.current(), Some(1));

        // A region renamed away takes its tests' record with it.
        learn(&mut owners, &runs, &regions[..1]);
        assert_eq!(owners.values().collect::<Vec<_>>(), ["poll it"]);
    }

    #[test]
    fn a_todo_reached_on_a_shared_thread_stops_every_test_that_waits_on_it() {
        let regions = [
            region(10, "wake it", false),
            region(20, "run the timer", true),
        ];
        let (timer, waiting) = (
            "\nthread 'socket-timer' (3) panicked at src/timer.rs:106:9:\nnot yet implemented: run the timer\n",
            "thread 'waits' (4) panicked at tests/support/mod.rs:22:5:\nthe timer thread has stopped\n",
        );
        // The timer's panic was captured by a test that passed.
        let runs = [
            failed("waits", waiting),
            TestRun {
                output: format!("{timer}{waiting}"),
                ..run("captured_it", Outcome::Passed)
            },
            failed("also_waits", waiting),
        ];
        let mut owners = BTreeMap::new();
        learn(&mut owners, &runs, &regions);
        assert_eq!(
            owners,
            BTreeMap::from([
                (
                    "executor::also_waits".to_owned(),
                    "run the timer".to_owned()
                ),
                ("executor::waits".to_owned(), "run the timer".to_owned()),
            ])
        );
        // A test's own thread, or an unnamed one, is no thread of all.
        let own = failed(
            "mine",
            "thread 'mine' (1) panicked at a:1:1:\nnot yet implemented: run the timer\n",
        );
        let other = failed("other", "no todo");
        let mut owners = BTreeMap::new();
        learn(&mut owners, &[own, other], &regions);
        assert_eq!(owners.keys().collect::<Vec<_>>(), ["executor::mine"]);
    }

    #[test]
    fn a_doc_tests_line_is_not_part_of_its_name() {
        let doc = TestRun {
            target: "doc".to_owned(),
            name: "exercises/mine/src/lib.rs - run (line 96)".to_owned(),
            outcome: Outcome::Passed,
            output: String::new(),
        };
        assert_eq!(test_id(&doc), "doc::exercises/mine/src/lib.rs - run");
        assert_eq!(test_id(&run("a::b", Outcome::Passed)), "executor::a::b");
    }

    #[test]
    fn only_a_whole_hint_on_the_todos_line_names_a_region() {
        let regions = [region(1, "poll", true), region(2, "poll it", true)];
        let reached = |output: &str| reached(output, &regions).map(|region| region.line);
        assert_eq!(reached(&format!("{TODO}poll it\n")), Some(2));
        assert_eq!(reached(&format!("{TODO}poll\n{TODO}poll it")), Some(1));
        assert_eq!(reached(&format!("{TODO}poll them\n")), None);
        assert_eq!(reached("left: 9\nright: 2"), None);
    }

    #[test]
    fn a_failure_is_told_by_its_first_panic_and_where_it_was() {
        let failed = failed(
            "two_polls",
            "\nthread 'two_polls' (7) panicked at tests/executor.rs:100:5:\nassertion `left == right` failed: two polls per socket\n  left: 9\n right: 2\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\nthread 'two_polls' (7) panicked at lab/src/demo.rs:1:1:\nlater\n",
        );
        insta::assert_snapshot!(message(&failed, 10), @r"
        assertion `left == right` failed: two polls per socket
          left: 9
         right: 2
        (at tests/executor.rs:100:5)
        ");
        assert_eq!(
            message(&failed, 1),
            "assertion `left == right` failed: two polls per socket\n...\n(at tests/executor.rs:100:5)"
        );
        assert!(message(&run("slow", Outcome::OutOfTime), 3).starts_with("still running"));
    }
}
