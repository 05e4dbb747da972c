//! Forks on their own terms (renaming, emptying regions, refusals), and
//! every stage forked for real in a copy of the workspace.

use super::*;
use crate::check::check;
use std::path::PathBuf;

#[test]
fn renaming_touches_the_crate_and_nothing_else() {
    let text = r#"use busy_executor::run;
use socket_sim::MySocket;
let bin = env!("CARGO_BIN_EXE_busy-executor");
main("busy-executor", busy_executor::demo::run);
// not busy-executors, not my_busy_executor, not busy_executor_x
"#;
    insta::assert_snapshot!(rename(text, "busy-executor", "my-loop"), @r#"
    use my_loop::run;
    use socket_sim::MySocket;
    let bin = env!("CARGO_BIN_EXE_my-loop");
    main("my-loop", my_loop::demo::run);
    // not busy-executors, not my_busy_executor, not busy_executor_x
    "#);
}

#[test]
fn a_crate_whose_package_and_library_names_are_one_word_is_renamed_by_use() {
    let text = r#"use futsocket::FutSocket;
main("futsocket", futsocket::demo::run);
let bin = env!("CARGO_BIN_EXE_futsocket");
// futsocket is stage 5; futsockets are not renamed
"#;
    insta::assert_snapshot!(rename(text, "futsocket", "my-fut"), @r#"
    use my_fut::FutSocket;
    main("my-fut", my_fut::demo::run);
    let bin = env!("CARGO_BIN_EXE_my-fut");
    // my-fut is stage 5; futsockets are not renamed
    "#);
}

#[test]
fn regions_become_todo_with_their_hint_and_the_markers_stay() {
    let text = r#"fn outer() -> u8 {
    let x = 1;
    // exercise: add "one" to x
    let y = x + 1;
    y
    // end exercise
}

pub fn second(&self) {
        // exercise: nothing \ to see
        println!();
        // end exercise
}
"#;
    let (emptied, regions) = empty_regions(text, "src/lib.rs").unwrap();
    insta::assert_snapshot!(emptied, @r#"
    fn outer() -> u8 {
        let x = 1;
        // exercise: add "one" to x
        todo!("add \"one\" to x")
        // end exercise
    }

    pub fn second(&self) {
            // exercise: nothing \ to see
            todo!("nothing \\ to see")
            // end exercise
    }
    "#);
    let places: Vec<_> = regions
        .iter()
        .map(|region| (region.line, region.function.as_str(), region.todo))
        .collect();
    assert_eq!(
        places,
        [(3, "outer", true), (9, "second", true)],
        "lines as the fork has them"
    );
    assert_eq!(
        regions_now(&emptied, "src/lib.rs"),
        regions,
        "a fresh fork reads as all todo"
    );
    assert!(
        regions_now(text, "src/lib.rs")
            .iter()
            .all(|region| !region.todo),
        "the solution reads as written"
    );
}

#[test]
fn broken_markers_are_errors_that_say_where() {
    let error = |text: &str| empty_regions(text, "f.rs").unwrap_err();
    assert_eq!(
        error("// exercise: a\n// exercise: b\n// end exercise\n"),
        "f.rs:2: an exercise region inside another"
    );
    assert_eq!(
        error("x\n// exercise: a\n"),
        "f.rs:2: an exercise region that never ends"
    );
    assert_eq!(
        error("// end exercise\n"),
        "f.rs:1: `// end exercise` without a region"
    );
}

#[test]
fn names_that_are_not_crate_names_or_are_taken_are_refused() {
    let root = cli::workspace_root();
    for (name, why) in [
        ("", "a crate name starts with a letter"),
        ("1st", "a crate name starts with a letter"),
        ("-x", "a crate name starts with a letter"),
        (
            "my fork",
            "a crate name has at most 64 letters, digits, '-' and '_'",
        ),
        (
            "my/fork",
            "a crate name has at most 64 letters, digits, '-' and '_'",
        ),
        ("fn", "that is a name Rust keeps for itself"),
        ("std", "that is a name Rust keeps for itself"),
        ("socket_sim", "stage 1 is called that"),
        ("Busy-Executor", "stage 3 is called that"),
        (
            "xtask",
            "the workspace already has a crate called \"xtask\" (names that differ only in case or '-' against '_' collide)",
        ),
        (
            "rand",
            "the workspace already has a crate called \"rand\" (names that differ only in case or '-' against '_' collide)",
        ),
        (
            "futures_util",
            "the workspace already has a crate called \"futures-util\" (names that differ only in case or '-' against '_' collide)",
        ),
        (
            "build",
            "cargo keeps \"build\" for a directory of target/, so no binary may be called that",
        ),
        (
            "Deps",
            "cargo keeps \"deps\" for a directory of target/, so no binary may be called that",
        ),
        (
            "examples",
            "cargo keeps \"examples\" for a directory of target/, so no binary may be called that",
        ),
        (
            "incremental",
            "cargo keeps \"incremental\" for a directory of target/, so no binary may be called that",
        ),
    ] {
        match check_name(&root, name) {
            Err(Failure::Usage { message, .. }) => {
                assert_eq!(message, format!("cannot fork into {name:?}: {why}"))
            }
            other => panic!("{name:?} gave {other:?}"),
        }
    }
    assert_eq!(check_name(&root, "my-socket_2"), Ok(()));
    assert!(check_name(&root, &"a".repeat(65)).is_err());
}

#[test]
fn a_fork_not_yet_in_cargo_lock_still_takes_its_name_in_every_spelling() {
    let root = bare_root("taken-names");
    fs::create_dir_all(root.join("exercises/my-loop")).unwrap();
    fs::write(
        root.join("exercises/my-loop/Cargo.toml"),
        "[package]\nname = \"my-loop\"\n",
    )
    .unwrap();
    for name in ["my-loop", "my_loop", "MY-LOOP", "My_Loop"] {
        match check_name(&root, name) {
            Err(Failure::Usage { message, .. }) => {
                assert!(message.contains("\"my-loop\""), "{name}: {message}")
            }
            other => panic!("{name:?} gave {other:?}"),
        }
    }
    assert_eq!(check_name(&root, "my-loop-2"), Ok(()));
}

#[test]
fn a_fork_moves_across_filesystems_by_copying_and_never_shows_half_a_copy() {
    let root = bare_root("cross-device");
    let (from, to) = (root.join("staging/mine"), root.join("exercises/mine"));
    fs::create_dir_all(from.join("src")).unwrap();
    fs::write(from.join("Cargo.toml"), "[package]").unwrap();
    fs::write(from.join("src/lib.rs"), "//! mine").unwrap();
    // A rename that fails across devices, as from a target/ on another disk,
    // but works within the same directory (the final step of the copy).
    let renamed = std::cell::Cell::new(0);
    let rename = |a: &Path, b: &Path| {
        renamed.set(renamed.get() + 1);
        if a.parent() == b.parent() {
            fs::rename(a, b)
        } else {
            Err(io::Error::from(io::ErrorKind::CrossesDevices))
        }
    };
    move_dir(&from, &to, rename).unwrap();
    assert_eq!(renamed.get(), 2, "a try, then the copy renamed into place");
    assert_eq!(
        fs::read_to_string(to.join("src/lib.rs")).unwrap(),
        "//! mine"
    );
    assert!(!from.exists(), "the staging copy is removed");
    assert!(!root.join("exercises/.mine.partial").exists());

    // Other errors are not papered over.
    fs::create_dir_all(&from).unwrap();
    let denied = move_dir(&from, &root.join("exercises/other"), |_, _| {
        Err(io::Error::from(io::ErrorKind::PermissionDenied))
    });
    assert_eq!(denied.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
}

/// Where the end-to-end test keeps its copy of the workspace and its build,
/// between runs, so that cargo re-builds only what changed.
fn scratch() -> PathBuf {
    cli::workspace_root().join("target").join("fork-check")
}

/// A copy of this workspace (without forks) under `scratch()`. Files whose
/// content is unchanged are left alone, so cargo can reuse its build.
fn workspace_copy() -> PathBuf {
    let (root, copy) = (cli::workspace_root(), scratch().join("workspace"));
    for entry in [
        "Cargo.toml",
        "Cargo.lock",
        "crates",
        "xtask",
        "bench",
        "http",
        "exercises",
    ] {
        sync(&root.join(entry), &copy.join(entry));
    }
    // The copy's learner has not started: no record of forks.
    let _ = fs::remove_file(copy.join("exercises").join(crate::progress::FILE));
    for fork in fs::read_dir(copy.join("exercises")).unwrap() {
        let fork = fork.unwrap().path();
        if fork.is_dir() {
            fs::remove_dir_all(fork).unwrap();
        }
    }
    copy
}

/// Makes `to` hold what `from` holds: copies what differs, removes the rest.
fn sync(from: &Path, to: &Path) {
    if from.is_file() {
        if fs::read(to).ok() != Some(fs::read(from).unwrap()) {
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(from, to).unwrap();
        }
        return;
    }
    let wanted: Vec<PathBuf> = cli::files_under(from).unwrap();
    for file in &wanted {
        sync(file, &to.join(file.strip_prefix(from).unwrap()));
    }
    if to.exists() {
        for file in cli::files_under(to).unwrap() {
            if !from.join(file.strip_prefix(to).unwrap()).exists() {
                fs::remove_file(file).unwrap();
            }
        }
    }
}

/// Cargo, in the copy `root`, building into the copy's own target directory.
fn cargo_in(root: &Path, args: &[&str]) -> std::process::Output {
    cli::cargo_in(root)
        .args(args)
        .output()
        .expect("cannot run cargo")
}

/// For each stage, a test of its own suite that reaches an emptied region at
/// once: the quickest proof that a fresh fork fails.
const QUICK_JUDGES: [(&str, &str); 7] = [
    ("socket", "the_newest_waker_is_woken_once"),
    (
        "futures",
        "a_socket_future_is_pending_until_its_socket_is_readable",
    ),
    ("run", "no_futures_no_polls"),
    ("executor", "no_futures_finish_at_once"),
    ("futsocket", "a_readable_socket_is_ready_at_the_first_poll"),
    ("await", "join_polled_after_ready"),
    (
        "runtime",
        "spawned_tasks_run_and_their_handles_give_their_outputs",
    ),
];

/// Every stage, forked in a copy of the workspace: the fork builds, its
/// tests fail showing a hint, `check` says what is left, and with the
/// solution bodies back its whole suite passes.
#[test]
fn every_stage_forks_into_a_crate_that_fails_with_its_hints_until_the_bodies_are_written() {
    let copy = workspace_copy();
    let forks: Vec<Fork> = STAGES
        .iter()
        .map(|stage| create(&copy, stage, &format!("fork-of-{}", stage.krate)).expect("a fork"))
        .collect();
    let packages: Vec<&str> = forks
        .iter()
        .flat_map(|fork| ["-p", fork.name.as_str()])
        .collect();

    let tree: Vec<String> = cli::files_under(&copy.join("exercises/fork-of-socket-sim"))
        .unwrap()
        .iter()
        .map(|file| {
            file.strip_prefix(copy.join("exercises/fork-of-socket-sim"))
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    insta::assert_snapshot!(tree.join("\n"), @"
    Cargo.toml
    src/delay.rs
    src/demo.rs
    src/lib.rs
    src/main.rs
    src/sync.rs
    src/timer.rs
    tests/cpu.rs
    tests/demo.rs
    tests/demo_run.txt
    tests/env.rs
    tests/loom.rs
    tests/panicking_waker.rs
    tests/paused.rs
    tests/snapshots/demo__demo_transcript.snap
    tests/socket.rs
    tests/support/mod.rs
    tests/timer.rs
    ");

    for (fork, (test, filter)) in forks.iter().zip(QUICK_JUDGES) {
        assert!(
            !fork.regions.is_empty(),
            "{} has no exercise region",
            fork.stage.krate
        );
        // Builds the fork (its library, binary and this test) and runs one test.
        let output = cargo_in(
            &copy,
            &["test", "-p", &fork.name, "--test", test, "--", filter],
        );
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !said.contains("error: could not compile"),
            "{} does not build:\n{said}",
            fork.name
        );
        assert!(
            !output.status.success(),
            "{}: a fresh fork passes {test}::{filter}",
            fork.name
        );
        let hinted = fork
            .regions
            .iter()
            .any(|region| said.contains(&format!("not yet implemented: {}", region.hint)));
        assert!(
            hinted,
            "{}: no hint in the failure of {test}::{filter}:\n{said}",
            fork.name
        );
    }
    let checked = check(&copy, "fork-of-busy-executor", false).unwrap();
    assert!(!checked.verdict.failed.is_empty(), "{checked:?}");
    assert!(
        checked.report.contains("1 of 1 regions still todo!"),
        "{}",
        checked.report
    );
    // The watch's judgement: the one step, the tests that stop at it, its hint.
    let (passed, said) = crate::watch::judge_once(&copy, "fork-of-busy-executor").unwrap();
    assert!(!passed, "{said}");
    let hint = &forks[2].regions[0].hint;
    for expected in [
        "Step 1 of 1: `run`",
        "at this step's todo!()",
        &format!("Hint: {hint}"),
    ] {
        assert!(said.contains(expected), "no {expected:?} in:\n{said}");
    }

    // The solution back in every fork: the stage's own sources, renamed.
    for fork in &forks {
        let source = copy.join("crates").join(fork.stage.krate);
        for file in cli::files_under(&source).unwrap() {
            if file.extension().is_some_and(|ext| ext == "rs") {
                let solution = rename(
                    &fs::read_to_string(&file).unwrap(),
                    fork.stage.krate,
                    &fork.name,
                );
                fs::write(
                    copy.join("exercises")
                        .join(&fork.name)
                        .join(file.strip_prefix(&source).unwrap()),
                    solution,
                )
                .unwrap();
            }
        }
    }
    let tested = cargo_in(&copy, &[&["test"], packages.as_slice()].concat());
    assert!(
        tested.status.success(),
        "restored forks fail:\n{}",
        String::from_utf8_lossy(&tested.stdout)
    );
    let checked = check(&copy, "fork-of-busy-executor", false).unwrap();
    assert!(checked.verdict.passed(), "{}", checked.report);
    assert!(
        checked.report.contains("0 of 1 regions still todo!"),
        "{}",
        checked.report
    );
    // And the watch's: the stage done, and the progress file says so.
    let (passed, said) = crate::watch::judge_once(&copy, "fork-of-busy-executor").unwrap();
    assert!(passed, "{said}");
    assert!(said.contains("stage 3 is yours"), "{said}");
    let standing = crate::progress::standing(
        forks[2].stage,
        &crate::progress::forks(&copy),
        &crate::progress::Progress::load(&copy),
    );
    assert_eq!(
        standing,
        crate::progress::Standing::Done {
            fork: "fork-of-busy-executor".to_owned()
        }
    );
}

/// A workspace of nothing but what `create` looks at first.
fn bare_root(test: &str) -> PathBuf {
    let root = scratch().join(test);
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("exercises")).unwrap();
    fs::write(root.join("Cargo.lock"), "").unwrap();
    root
}

#[test]
fn an_existing_target_is_refused_and_left_as_it_was() {
    let root = bare_root("existing-target");
    fs::create_dir(root.join("exercises/taken")).unwrap();
    fs::write(root.join("exercises/taken/notes.txt"), "mine").unwrap();
    match create(&root, &STAGES[0], "taken") {
        Err(Failure::Usage { message, .. }) => {
            assert_eq!(
                message,
                "exercises/taken exists already; pick another name or remove it"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fs::read_to_string(root.join("exercises/taken/notes.txt")).unwrap(),
        "mine"
    );
    assert!(
        !root.join("target").exists(),
        "nothing staged for a refused fork"
    );
}

#[test]
fn a_fork_that_cannot_be_written_leaves_nothing_behind() {
    // No crates/ here: the stage's sources cannot be read.
    let root = bare_root("unreadable-source");
    match create(&root, &STAGES[2], "mine") {
        Err(Failure::Failed(message)) => {
            assert!(
                message.starts_with("cannot write the fork exercises/mine: "),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(!root.join("exercises/mine").exists());
    assert!(
        !root.join("target/xtask-fork/mine").exists(),
        "the staging directory was left behind"
    );
}

#[test]
fn check_refuses_what_is_not_a_fork() {
    let root = bare_root("not-a-fork");
    fs::create_dir(root.join("exercises/plain")).unwrap();
    for name in ["plain", "missing"] {
        match check(&root, name, false) {
            Err(Failure::Usage { message, .. }) => assert_eq!(
                message,
                format!(
                    "there is no fork exercises/{name}; make one with `cargo xtask fork STAGE {name}`"
                )
            ),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_fork_without_a_name_is_my_crate_or_the_next_number_free() {
    let root = bare_root("default-names");
    let stage = &STAGES[0];
    assert_eq!(default_name(&root, stage), "my-socket-sim");
    for taken in ["my-socket-sim", "my-socket-sim-2"] {
        fs::create_dir_all(root.join("exercises").join(taken)).unwrap();
        fs::write(
            root.join("exercises").join(taken).join("Cargo.toml"),
            format!("[package]\nname = \"{taken}\"\n"),
        )
        .unwrap();
    }
    assert_eq!(default_name(&root, stage), "my-socket-sim-3");
    // A fork thrown away leaves its name in Cargo.lock until the next build:
    // the name is free all the same.
    fs::write(
        root.join("Cargo.lock"),
        "[[package]]\nname = \"my-simple-future\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    assert_eq!(default_name(&root, &STAGES[1]), "my-simple-future");
}
