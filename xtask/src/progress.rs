//! `cargo xtask progress`: every stage, not forked, in progress or done;
//! and the small file that remembers it, `exercises/.progress.toml`.
//!
//! The file holds what the judge learned of each fork: how many of its
//! steps are done, whether every test and model passed, and which step each
//! test belongs to (the region whose `todo!()` it last stopped at, so that
//! the next judgement can run a step's own tests first). It also names the
//! fork the learner works on now: the one last forked or watched. It is a
//! record, never the truth: deleted, it is rebuilt by the next `watch`
//! (which then runs the whole stage once to learn the steps again), and a
//! fork's directory is always what is judged. Git ignores it.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, value};

use crate::cli::{self, Failure};
use crate::fork;
use crate::stages::{STAGES, Stage};

/// The file, under `exercises/`.
pub const FILE: &str = ".progress.toml";

/// What the file says of one fork.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// The stage's crate.
    pub stage: String,
    /// Its steps (exercise regions), and how many of them are done.
    pub steps: usize,
    pub done: usize,
    /// Whether its last judgement passed everything: the stage is done.
    pub passed: bool,
    /// For each test (`executor::a_test`), the hint of the step it belongs to.
    pub tests: BTreeMap<String, String>,
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The fork worked on now.
    pub current: Option<String>,
    pub forks: BTreeMap<String, Record>,
}

impl Progress {
    /// The progress file of the workspace at `root`; empty if there is none,
    /// and, if it cannot be read as one, empty too: it is only a record.
    pub fn load(root: &Path) -> Progress {
        let Ok(text) = fs::read_to_string(path(root)) else {
            return Progress::default();
        };
        text.parse::<DocumentMut>()
            .map(|document| Progress::read(&document))
            .unwrap_or_default()
    }

    fn read(document: &DocumentMut) -> Progress {
        let current = document.get("current").and_then(Item::as_str);
        let forks = document.get("forks").and_then(Item::as_table);
        let forks = forks.into_iter().flat_map(|forks| forks.iter());
        let forks = forks.filter_map(|(name, fork)| {
            let fork = fork.as_table()?;
            let number = |key| {
                fork.get(key)?
                    .as_integer()
                    .and_then(|n| usize::try_from(n).ok())
            };
            let tests = fork.get("tests").and_then(Item::as_table);
            let tests = tests.into_iter().flat_map(|tests| tests.iter());
            let tests =
                tests.filter_map(|(test, hint)| Some((test.to_owned(), hint.as_str()?.to_owned())));
            let record = Record {
                stage: fork.get("stage")?.as_str()?.to_owned(),
                steps: number("steps").unwrap_or(0),
                done: number("done").unwrap_or(0),
                passed: fork.get("passed").and_then(Item::as_bool).unwrap_or(false),
                tests: tests.collect(),
            };
            Some((name.to_owned(), record))
        });
        Progress {
            current: current.map(str::to_owned),
            forks: forks.collect(),
        }
    }

    /// Writes the file for the workspace at `root`: whole, or not at all
    /// (written beside it, then renamed into place).
    pub fn save(&self, root: &Path) -> io::Result<()> {
        let mut document = DocumentMut::new();
        document.decor_mut().set_prefix(
            "# What `cargo xtask watch` and `check` have learned of your forks, and the fork you\n\
             # work on now. Safe to delete: the next `cargo xtask watch` learns it again.\n",
        );
        if let Some(current) = &self.current {
            document["current"] = value(current);
        }
        let mut forks = Table::new();
        forks.set_implicit(true);
        for (name, record) in &self.forks {
            let mut fork = Table::new();
            fork["stage"] = value(&record.stage);
            fork["steps"] = value(record.steps as i64);
            fork["done"] = value(record.done as i64);
            fork["passed"] = value(record.passed);
            let mut tests = Table::new();
            for (test, hint) in &record.tests {
                tests[test.as_str()] = value(hint);
            }
            fork["tests"] = Item::Table(tests);
            forks[name.as_str()] = Item::Table(fork);
        }
        document["forks"] = Item::Table(forks);
        let path = path(root);
        let partial = path.with_extension("toml.partial");
        fs::write(&partial, document.to_string())?;
        fs::rename(&partial, &path)
    }

    /// Loads the file, lets `change` change it, and saves it. A record
    /// that cannot be written is said on standard error and is no failure:
    /// the command's work is done all the same.
    pub fn update(root: &Path, change: impl FnOnce(&mut Progress)) {
        let mut progress = Progress::load(root);
        change(&mut progress);
        if let Err(error) = progress.save(root) {
            eprintln!("warning: cannot write {}: {error}", path(root).display());
        }
    }
}

/// Where the file of the workspace at `root` is.
pub fn path(root: &Path) -> PathBuf {
    root.join("exercises").join(FILE)
}

/// A fork of the workspace, as found in `exercises/`.
#[derive(Clone, Debug)]
pub struct Found {
    pub name: String,
    pub stage: &'static Stage,
    /// Its regions, as its files are now.
    pub regions: Vec<fork::Region>,
}

/// Every fork in `exercises/` of the workspace at `root`, by name.
pub fn forks(root: &Path) -> Vec<Found> {
    let Ok(entries) = fs::read_dir(root.join("exercises")) else {
        return Vec::new();
    };
    let mut found: Vec<Found> = entries
        .flatten()
        .filter_map(|entry| {
            let dir = entry.path();
            let stage = fork::forked_from(&dir)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let regions = fork::fork_regions(&dir).unwrap_or_default();
            Some(Found {
                name,
                stage,
                regions,
            })
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Where a stage stands for the learner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    NotForked,
    /// Forked as `fork`, with `done` of `steps` steps done at its last
    /// judgement (`None`: never judged yet).
    InProgress {
        fork: String,
        done: Option<usize>,
        steps: usize,
    },
    /// A fork of it passed every test and model (`fork`, which may have
    /// been thrown away since).
    Done {
        fork: String,
    },
}

/// Where `stage` stands, from the forks there are and the progress file.
pub fn standing(stage: &Stage, forks: &[Found], progress: &Progress) -> Standing {
    let done = progress
        .forks
        .iter()
        .find(|(_, record)| record.stage == stage.krate && record.passed);
    if let Some((fork, _)) = done {
        return Standing::Done { fork: fork.clone() };
    }
    // The fork with the most steps done, if there are several.
    let forked = forks
        .iter()
        .filter(|found| found.stage.number == stage.number);
    let forked = forked.map(|found| {
        let record = progress.forks.get(&found.name);
        let record = record.filter(|record| record.stage == stage.krate);
        (found, record.map(|record| record.done))
    });
    match forked.max_by_key(|(_, done)| *done) {
        Some((found, done)) => Standing::InProgress {
            fork: found.name.clone(),
            done,
            steps: found.regions.len(),
        },
        None => Standing::NotForked,
    }
}

pub fn run() -> Result<(), Failure> {
    let root = cli::workspace_root();
    print!("{}", overview(&forks(&root), &Progress::load(&root)));
    Ok(())
}

/// The table of every stage and where it stands, and what to do next.
pub fn overview(forks: &[Found], progress: &Progress) -> String {
    let rows = STAGES.iter().map(|stage| {
        let standing = standing(stage, forks, progress);
        let (state, fork) = match &standing {
            Standing::NotForked => ("not forked".to_owned(), String::new()),
            Standing::InProgress { fork, done, steps } => {
                let done = done.map_or("not judged yet".to_owned(), |done| {
                    format!("{done} of {steps} steps")
                });
                (format!("in progress ({done})"), fork.clone())
            }
            Standing::Done { fork } => ("done".to_owned(), fork.clone()),
        };
        vec![
            stage.number.to_string(),
            stage.krate.to_owned(),
            state,
            fork,
        ]
    });
    let header = ["stage", "crate", "where you are", "fork"];
    let mut text = cli::table(Some(&header), rows.collect(), &[0]);
    text += "\n";
    text += &next_step(forks, progress);
    text
}

/// What the learner does next: the line under the progress table.
fn next_step(forks: &[Found], progress: &Progress) -> String {
    let first = STAGES
        .iter()
        .map(|stage| (stage, standing(stage, forks, progress)))
        .find(|(_, standing)| !matches!(standing, Standing::Done { .. }));
    match first {
        None => "Every stage is done: each one's tests and models passed on code you wrote.\n"
            .to_owned(),
        Some((stage, Standing::InProgress { fork, .. })) => format!(
            "Next: go on with stage {} in exercises/{fork}: cargo xtask watch {fork}\n",
            stage.number
        ),
        Some((stage, _)) => format!(
            "Next: stage {} ({}): cargo xtask fork next, then cargo xtask watch\n",
            stage.number, stage.krate
        ),
    }
}

/// The fork the learner works on now: the progress file's `current`, if
/// that fork is still there; else the fork whose files were changed last.
pub fn current_fork(root: &Path) -> Option<String> {
    let forks = forks(root);
    let progress = Progress::load(root);
    let current = progress
        .current
        .filter(|current| forks.iter().any(|found| &found.name == current));
    current.or_else(|| {
        let newest = |found: &&Found| {
            let files = cli::files_under(&root.join("exercises").join(&found.name));
            let times = files
                .into_iter()
                .flatten()
                .filter_map(|file| fs::metadata(file).ok()?.modified().ok());
            times.max()
        };
        forks
            .iter()
            .max_by_key(newest)
            .map(|found| found.name.clone())
    })
}

/// The first stage not done yet, and the fork of it there is already, if any.
pub fn next_stage(root: &Path) -> Option<(&'static Stage, Option<String>)> {
    let (forks, progress) = (forks(root), Progress::load(root));
    STAGES
        .iter()
        .find_map(|stage| match standing(stage, &forks, &progress) {
            Standing::Done { .. } => None,
            Standing::InProgress { fork, .. } => Some((stage, Some(fork))),
            Standing::NotForked => Some((stage, None)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(name: &str, stage: usize, regions: usize) -> Found {
        let region = fork::Region {
            file: "src/lib.rs".to_owned(),
            line: 1,
            function: "f".to_owned(),
            hint: "h".to_owned(),
            todo: true,
        };
        Found {
            name: name.to_owned(),
            stage: &STAGES[stage - 1],
            regions: vec![region; regions],
        }
    }

    fn record(stage: usize, steps: usize, done: usize, passed: bool) -> Record {
        Record {
            stage: STAGES[stage - 1].krate.to_owned(),
            steps,
            done,
            passed,
            tests: BTreeMap::from([("socket::a".to_owned(), "a \"quoted\" hint".to_owned())]),
        }
    }

    #[test]
    fn the_file_reads_back_what_was_written() {
        let root = cli::workspace_root().join("target/xtask-progress-test");
        fs::create_dir_all(root.join("exercises")).unwrap();
        let progress = Progress {
            current: Some("my-loop".to_owned()),
            forks: BTreeMap::from([
                ("my-loop".to_owned(), record(3, 1, 1, true)),
                ("my-waker".to_owned(), record(4, 4, 2, false)),
            ]),
        };
        progress.save(&root).unwrap();
        assert_eq!(Progress::load(&root), progress);
        // A file that is not TOML is no record at all, and no error.
        fs::write(path(&root), "not = [toml").unwrap();
        assert_eq!(Progress::load(&root), Progress::default());
        fs::remove_file(path(&root)).unwrap();
        assert_eq!(Progress::load(&root), Progress::default());
    }

    #[test]
    fn every_stage_stands_somewhere_and_the_next_step_follows() {
        let forks = [
            found("my-loop", 3, 1),
            found("my-waker", 4, 4),
            found("later", 6, 2),
        ];
        let progress = Progress {
            current: None,
            forks: BTreeMap::from([
                // Done, and its fork thrown away since.
                ("mine".to_owned(), record(1, 2, 2, true)),
                ("my-loop".to_owned(), record(3, 1, 1, true)),
                ("my-waker".to_owned(), record(4, 4, 2, false)),
            ]),
        };
        insta::assert_snapshot!(overview(&forks, &progress), @r"
        stage  crate             where you are                 fork
            1  socket-sim        done                          mine
            2  simple-future     not forked
            3  busy-executor     done                          my-loop
            4  waker-executor    in progress (2 of 4 steps)    my-waker
            5  futsocket         not forked
            6  async-await-demo  in progress (not judged yet)  later
            7  mini-runtime      not forked
            8  cancellation      not forked
            9  work-stealing     not forked

        Next: stage 2 (simple-future): cargo xtask fork next, then cargo xtask watch
        ");
        let all_done = Progress {
            current: None,
            forks: STAGES
                .iter()
                .map(|stage| {
                    (
                        format!("f{}", stage.number),
                        record(stage.number.into(), 1, 1, true),
                    )
                })
                .collect(),
        };
        assert!(next_step(&[], &all_done).starts_with("Every stage is done"));
        let two_done = Progress {
            forks: BTreeMap::from([
                ("a".to_owned(), record(1, 1, 1, true)),
                ("b".to_owned(), record(2, 1, 1, true)),
            ]),
            ..progress.clone()
        };
        assert_eq!(
            next_step(&forks, &two_done),
            "Next: go on with stage 3 in exercises/my-loop: cargo xtask watch my-loop\n"
        );
    }
}
