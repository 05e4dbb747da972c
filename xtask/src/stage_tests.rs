//! `cargo xtask test`: every stage's tests in stage order, stopping at the
//! first stage that fails, then a summary table.
//!
//! Order matters: each stage builds on the one before it, so when stage 2
//! fails, stage 3's failures would only repeat the news.

use std::time::{Duration, Instant};

use crate::cli::{self, Failure};
use crate::stages::{STAGES, Stage};

pub fn run() -> Result<(), Failure> {
    let outcomes = run_in_order(STAGES, |stage| {
        println!(
            "\n== stage {} of {}: cargo test -p {} ==",
            stage.number,
            STAGES.len(),
            stage.krate
        );
        cli::cargo()
            .args(["test", "-p", stage.krate])
            .status()
            .map(|status| status.success())
            .map_err(|error| format!("cannot run cargo: {error}"))
    });
    print!("\n{}", summary(STAGES, &outcomes));
    match STAGES
        .iter()
        .zip(&outcomes)
        .find(|(_, outcome)| !matches!(outcome, Outcome::Passed(_)))
    {
        None => Ok(()),
        Some((stage, Outcome::Broken(why))) => Err(Failure::Failed(format!(
            "stage {} ({}): {why}",
            stage.number, stage.krate
        ))),
        Some((stage, _)) => Err(Failure::Failed(format!(
            "stage {} ({}) failed; its output is above, or run `cargo test -p {}`",
            stage.number, stage.krate, stage.krate
        ))),
    }
}

/// What became of one stage's tests.
#[derive(Debug, PartialEq)]
enum Outcome {
    Passed(Duration),
    Failed(Duration),
    /// The tests could not even be started.
    Broken(String),
    /// An earlier stage failed.
    NotRun,
}

/// Runs `test` on each stage in order until one does not pass.
fn run_in_order(
    stages: &[Stage],
    mut test: impl FnMut(&Stage) -> Result<bool, String>,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for stage in stages {
        if outcomes
            .iter()
            .any(|outcome| !matches!(outcome, Outcome::Passed(_)))
        {
            outcomes.push(Outcome::NotRun);
            continue;
        }
        let start = Instant::now();
        outcomes.push(match test(stage) {
            Ok(true) => Outcome::Passed(start.elapsed()),
            Ok(false) => Outcome::Failed(start.elapsed()),
            Err(why) => Outcome::Broken(why),
        });
    }
    outcomes
}

/// One line per stage: its number, crate, outcome and time.
fn summary(stages: &[Stage], outcomes: &[Outcome]) -> String {
    let rows = stages.iter().zip(outcomes).map(|(stage, outcome)| {
        let (result, time) = match outcome {
            Outcome::Passed(time) => ("ok", Some(time)),
            Outcome::Failed(time) => ("FAILED", Some(time)),
            Outcome::Broken(_) => ("BROKEN", None),
            Outcome::NotRun => ("not run", None),
        };
        let time = time.map_or(String::new(), |time| format!("{:.1} s", time.as_secs_f64()));
        let number = stage.number.to_string();
        vec![number, stage.krate.to_owned(), result.to_owned(), time]
    });
    cli::table(
        Some(&["stage", "crate", "result", "time"]),
        rows.collect(),
        &[0],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stand-ins for stages: only their numbers and crates matter here.
    fn stages() -> Vec<Stage> {
        ["alpha", "beta", "gamma"]
            .iter()
            .zip(1..)
            .map(|(krate, number)| Stage {
                number,
                krate,
                ..STAGES[0]
            })
            .collect()
    }

    fn without_times(outcomes: Vec<Outcome>) -> Vec<Outcome> {
        outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Outcome::Passed(_) => Outcome::Passed(Duration::ZERO),
                Outcome::Failed(_) => Outcome::Failed(Duration::ZERO),
                other => other,
            })
            .collect()
    }

    #[test]
    fn every_stage_runs_when_all_pass() {
        let mut ran = Vec::new();
        let outcomes = run_in_order(&stages(), |stage| {
            ran.push(stage.krate);
            Ok(true)
        });
        assert_eq!(ran, ["alpha", "beta", "gamma"]);
        assert_eq!(
            without_times(outcomes),
            [0, 0, 0].map(|_| Outcome::Passed(Duration::ZERO))
        );
    }

    #[test]
    fn stages_after_the_first_failure_do_not_run() {
        let mut ran = Vec::new();
        let outcomes = run_in_order(&stages(), |stage| {
            ran.push(stage.krate);
            Ok(stage.krate != "beta")
        });
        assert_eq!(ran, ["alpha", "beta"]);
        let expected = [
            Outcome::Passed(Duration::ZERO),
            Outcome::Failed(Duration::ZERO),
            Outcome::NotRun,
        ];
        assert_eq!(without_times(outcomes), expected);
    }

    #[test]
    fn tests_that_cannot_start_stop_the_run_too() {
        let outcomes = run_in_order(&stages(), |_| Err("cannot run cargo".to_owned()));
        assert_eq!(
            outcomes,
            [
                Outcome::Broken("cannot run cargo".to_owned()),
                Outcome::NotRun,
                Outcome::NotRun
            ]
        );
    }

    #[test]
    fn the_summary_gives_each_stage_its_result() {
        let outcomes = [
            Outcome::Passed(Duration::from_millis(1250)),
            Outcome::Failed(Duration::from_secs(3)),
            Outcome::NotRun,
        ];
        insta::assert_snapshot!(summary(&stages(), &outcomes), @r"
        stage  crate  result   time
            1  alpha  ok       1.2 s
            2  beta   FAILED   3.0 s
            3  gamma  not run
        ");
    }
}
