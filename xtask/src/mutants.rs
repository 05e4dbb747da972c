//! `cargo xtask mutants`: breaks each cross-thread protocol in a way the
//! book names, in a copy of the workspace, and checks that its model (or
//! test) fails. So the claim "the models catch these" stays true as the
//! code changes: a mutation whose text is no longer in the source fails
//! this command (and a unit test below) until the table is brought up to
//! date.
//!
//! The copy is every file git tracks, kept in `target/mutants/workspace`
//! and synced file by file, so that cargo rebuilds only what a mutation
//! touched; its builds go to `target/mutants/target`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use std::{fs, io};

use crate::cli::{self, Failure};
use crate::flags;

/// A way to break a protocol, and the test that must catch it.
pub struct Mutation {
    pub name: &'static str,
    /// The file, from the workspace's root.
    pub file: &'static str,
    /// Text that occurs once in the file, and what it becomes.
    pub find: &'static str,
    pub replace: &'static str,
    /// The crate and its test target that must fail.
    pub krate: &'static str,
    pub test: &'static str,
    /// Whether the test is a loom model (built with `--cfg loom`).
    pub loom: bool,
    /// What the mutation breaks, in a few words.
    pub breaks: &'static str,
}

const POLL_TASK: &str = "crates/waker-executor/src/lib.rs";
const WAKER: &str = "crates/waker-executor/src/waker.rs";
const IDLE: &str = "crates/work-stealing/src/idle.rs";
const READINESS: &str = "crates/work-stealing/src/readiness.rs";
const RUNNING: &str = "crates/work-stealing/src/running.rs";

/// Every mutation, by protocol.
pub const MUTATIONS: &[Mutation] = &[
    Mutation {
        name: "clear queued with a plain store (Release)",
        file: POLL_TASK,
        find: "waker.queued.swap(false, Ordering::Acquire);",
        replace: "waker.queued.store(false, Ordering::Release);",
        krate: "waker-executor",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the poll reads nothing of the wake's write",
    },
    Mutation {
        name: "clear queued with a plain store (SeqCst)",
        file: POLL_TASK,
        find: "waker.queued.swap(false, Ordering::Acquire);",
        replace: "waker.queued.store(false, Ordering::SeqCst);",
        krate: "waker-executor",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: a store is no read, whatever its ordering",
    },
    Mutation {
        name: "clear queued with a swap that does not acquire",
        file: POLL_TASK,
        find: "waker.queued.swap(false, Ordering::Acquire);",
        replace: "waker.queued.swap(false, Ordering::Relaxed);",
        krate: "waker-executor",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the read orders nothing",
    },
    Mutation {
        name: "clear queued after the poll",
        file: POLL_TASK,
        find: "    waker.queued.swap(false, Ordering::Acquire);\n    let cx_waker = wakers.make(waker);\n    let poll = future.poll(&mut Context::from_waker(&cx_waker));",
        replace: "    let cx_waker = wakers.make(waker);\n    let poll = future.poll(&mut Context::from_waker(&cx_waker));\n    waker.queued.swap(false, Ordering::Acquire);",
        krate: "waker-executor",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: a wake during the poll is cleared unseen",
    },
    Mutation {
        name: "the wake's swap does not release",
        file: WAKER,
        find: "if this.queued.swap(true, Ordering::AcqRel) {",
        replace: "if this.queued.swap(true, Ordering::Relaxed) {",
        krate: "waker-executor",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the poll does not see what the waker did",
    },
    Mutation {
        name: "rouse the executor before the push",
        file: WAKER,
        find: "        let shared = &task.shared;\n        let mut inbox = shared.inbox.lock().unwrap();\n        // Checked under the lock: a run that is over has emptied its inbox\n        // for the last time, and a waker pushed now would keep `Shared`\n        // alive through itself, for ever.\n        if shared.closed.load(Ordering::Relaxed) {\n            return;\n        }\n        inbox.woken.push(Arc::clone(&task));\n        drop(inbox);\n        // After the push, so that the executor, roused, finds the task.\n        shared.rouser.rouse();",
        replace: "        let shared = &task.shared;\n        shared.rouser.rouse();\n        let mut inbox = shared.inbox.lock().unwrap();\n        if shared.closed.load(Ordering::Relaxed) {\n            return;\n        }\n        inbox.woken.push(Arc::clone(&task));\n        drop(inbox);",
        krate: "waker-executor",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the executor looks before the task is there",
    },
    Mutation {
        name: "nobody_can_wake without its fence",
        file: POLL_TASK,
        find: "    fence(Ordering::Acquire);\n    unshared && !waker.queued.load(Ordering::Acquire)",
        replace: "    unshared && !waker.queued.load(Ordering::Acquire)",
        krate: "waker-executor",
        test: "loom",
        loom: true,
        breaks: "a woken task taken for stuck: the drop's Release is not read",
    },
    Mutation {
        name: "stage 7 never rouses its reactor from another thread",
        file: "crates/mini-runtime/src/lib.rs",
        find: "if sync::current().id() != self.0 {",
        replace: "if sync::current().id() == self.0 {",
        krate: "mini-runtime",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the reactor's wait never ends",
    },
    Mutation {
        name: "stage 7 with stage 4's clear as a plain store",
        file: POLL_TASK,
        find: "waker.queued.swap(false, Ordering::Acquire);",
        replace: "waker.queued.store(false, Ordering::Release);",
        krate: "mini-runtime",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up in a spawned task whose wake races its poll",
    },
    Mutation {
        name: "stage 9's notify without its fence",
        file: IDLE,
        find: "        fence(SeqCst);\n        if self.searching.load(SeqCst) != 0 {",
        replace: "        if self.searching.load(SeqCst) != 0 {",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the pusher and the last searcher miss each other",
    },
    Mutation {
        name: "stage 9's sleep without its fence",
        file: IDLE,
        find: "        // This stop, against a pusher's look at `searching`.\n        fence(SeqCst);\n",
        replace: "",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the same, from the searcher's side",
    },
    Mutation {
        name: "stage 9's last searcher does not look again",
        file: IDLE,
        find: "if last && work_left() {",
        replace: "if false && last && work_left() {",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: work pushed as the last searcher parks",
    },
    Mutation {
        name: "stage 9's notify ignores searchers",
        file: IDLE,
        find: "        if self.searching.load(SeqCst) != 0 {\n            return None; // it will find the work\n        }\n        let mut sleepers = self.sleepers.lock().unwrap();\n        // Again, under the lock: of two pushers that both saw nobody\n        // searching, the second finds the worker the first woke (SeqCst:\n        // see the field, as for every access below).\n        if self.searching.load(SeqCst) != 0 {\n            return None;\n        }",
        replace: "        let mut sleepers = self.sleepers.lock().unwrap();",
        krate: "work-stealing",
        test: "idle",
        loom: false,
        breaks: "a thundering herd: a burst of work wakes every parked worker",
    },
    Mutation {
        name: "stage 9's wait does not compare the count",
        file: READINESS,
        find: "if self.ticks[way(direction)].load(Ordering::Relaxed) != ticks {",
        replace: "if false {",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the event came between WouldBlock and the wait",
    },
    Mutation {
        name: "stage 9's ready counts after handing over the waiters",
        file: READINESS,
        find: "        self.ticks[way(direction)].fetch_add(1, Ordering::Release);\n        woken.append(&mut waiters[way(direction)]);",
        replace: "        woken.append(&mut waiters[way(direction)]);\n        drop(waiters);\n        self.ticks[way(direction)].fetch_add(1, Ordering::Release);",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: a wait between the two finds the count unmoved",
    },
    Mutation {
        name: "stage 9's count read Relaxed",
        file: READINESS,
        find: "self.ticks[way(direction)].load(Ordering::Acquire)",
        replace: "self.ticks[way(direction)].load(Ordering::Relaxed)",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the count is seen to move, the data not yet",
    },
    Mutation {
        name: "stage 9's wake queues a task being polled",
        file: RUNNING,
        find: "Ok(_) | Err(NOTIFIED) => false,\n            Err(_) => true,",
        replace: "Ok(_) | Err(_) => true,",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "two polls of one task at once, on two workers",
    },
    Mutation {
        name: "stage 9's wake leaves no note during a poll",
        file: RUNNING,
        find: "match self.0.compare_exchange(RUNNING, NOTIFIED, AcqRel, Acquire) {",
        replace: "match self.0.compare_exchange(RUNNING, RUNNING, AcqRel, Acquire) {",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: a wake during the poll queues nothing, and nobody learns of it",
    },
    Mutation {
        name: "stage 9's end ignores the note",
        file: RUNNING,
        find: "self.0.swap(IDLE, AcqRel) == NOTIFIED",
        replace: "self.0.swap(IDLE, AcqRel) == 255",
        krate: "work-stealing",
        test: "loom",
        loom: true,
        breaks: "a lost wake-up: the poller does not queue the task again",
    },
];

/// What one mutation's run showed.
struct Outcome {
    caught: bool,
    /// The failing test and the first line of what it said, or why nothing ran.
    said: String,
    seconds: u64,
}

pub fn run(flags: flags::Mutants) -> Result<(), Failure> {
    let chosen: Vec<&Mutation> = MUTATIONS
        .iter()
        .filter(|mutation| {
            flags
                .only
                .as_deref()
                .is_none_or(|only| mutation.name.contains(only))
        })
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = MUTATIONS.iter().map(|mutation| mutation.name).collect();
        return Err(Failure::usage(
            format!(
                "no mutation's name contains {:?}; they are:\n  {}",
                flags.only.unwrap_or_default(),
                names.join("\n  ")
            ),
            "mutants",
        ));
    }
    let root = cli::workspace_root();
    let copy = root.join("target/mutants/workspace");
    sync_tracked(&root, &copy)
        .map_err(|error| Failure::Failed(format!("cannot copy the workspace: {error}")))?;
    eprintln!(
        "{} mutations, each built and tested in {} (a loom build of a crate takes a minute or two the first time)",
        chosen.len(),
        copy.display()
    );
    let mut rows = Vec::new();
    let mut missed = 0;
    for mutation in chosen {
        eprintln!("mutant: {}", mutation.name);
        let outcome = try_mutation(&copy, mutation)
            .map_err(|error| Failure::Failed(format!("{}: {error}", mutation.name)))?;
        missed += usize::from(!outcome.caught);
        rows.push(vec![
            mutation.name.to_owned(),
            format!("{} {}", mutation.krate, mutation.test),
            if outcome.caught {
                "caught".to_owned()
            } else {
                "NOT CAUGHT".to_owned()
            },
            format!("{} s", outcome.seconds),
            format!("{}: {}", mutation.breaks, outcome.said),
        ]);
    }
    print!(
        "{}",
        cli::table(
            Some(&[
                "mutation",
                "test",
                "verdict",
                "time",
                "what it breaks, and what failed"
            ]),
            rows,
            &[3]
        )
    );
    match missed {
        0 => Ok(()),
        n => Err(Failure::Failed(format!("{n} mutation(s) not caught"))),
    }
}

/// Applies `mutation` in `copy`, runs its test, and puts the file back.
fn try_mutation(copy: &Path, mutation: &Mutation) -> io::Result<Outcome> {
    let path = copy.join(mutation.file);
    let original = fs::read_to_string(&path)?;
    if original.matches(mutation.find).count() != 1 {
        return Err(io::Error::other(format!(
            "its text is not in {} exactly once: the table is out of date",
            mutation.file
        )));
    }
    fs::write(&path, original.replacen(mutation.find, mutation.replace, 1))?;
    let start = Instant::now();
    let mut test = cli::cargo_in(copy);
    test.args(["test", "-p", mutation.krate, "--test", mutation.test]);
    test.env(
        "CARGO_TARGET_DIR",
        copy.parent().expect("in target/mutants").join("target"),
    );
    if mutation.loom {
        test.arg("--release")
            .env("RUSTFLAGS", "--cfg loom")
            .env("LOOM_MAX_PREEMPTIONS", "2");
    }
    let output = test.output();
    fs::write(&path, &original)?;
    let output = output?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let said = first_failure(&text);
    let built = !text.contains("error: could not compile");
    Ok(Outcome {
        caught: !output.status.success() && built,
        said: if built {
            said
        } else {
            "it does not compile".to_owned()
        },
        seconds: start.elapsed().as_secs(),
    })
}

/// The first test of a run that panicked (its thread bears its name), and
/// the first line of what it said.
fn first_failure(text: &str) -> String {
    let panicked = text
        .lines()
        .find(|line| line.contains("panicked at"))
        .unwrap_or("");
    let test = panicked
        .strip_prefix("thread '")
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or("no test panicked");
    let said = text
        .lines()
        .skip_while(|line| !line.contains("panicked at"))
        .nth(1)
        .unwrap_or("");
    let said: String = said.chars().take(90).collect();
    format!("{test}: {said}")
}

/// Makes `copy` hold every file git tracks in `root`, as it is in the work
/// tree now: unchanged files are left alone, so that cargo's build is reused.
fn sync_tracked(root: &Path, copy: &Path) -> io::Result<()> {
    let listed = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .output()?;
    if !listed.status.success() {
        return Err(io::Error::other(
            "git ls-files failed: is this a git checkout?",
        ));
    }
    for name in listed
        .stdout
        .split(|&byte| byte == 0)
        .filter(|name| !name.is_empty())
    {
        let name = PathBuf::from(String::from_utf8_lossy(name).into_owned());
        let (from, to) = (root.join(&name), copy.join(&name));
        let Ok(content) = fs::read(&from) else {
            continue;
        }; // deleted, not yet committed
        if fs::read(&to).ok().as_deref() != Some(&content) {
            fs::create_dir_all(to.parent().expect("a file has a directory"))?;
            fs::write(&to, content)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mutation_applies_to_the_source_as_it_is() {
        let root = cli::workspace_root();
        for mutation in MUTATIONS {
            let source = fs::read_to_string(root.join(mutation.file)).unwrap();
            assert_eq!(
                source.matches(mutation.find).count(),
                1,
                "{}: its text must be in {} exactly once; update the table",
                mutation.name,
                mutation.file
            );
            let test = root
                .join("crates")
                .join(mutation.krate)
                .join("tests")
                .join(format!("{}.rs", mutation.test));
            assert!(test.exists(), "{}: no {}", mutation.name, test.display());
        }
    }
}
