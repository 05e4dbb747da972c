//! Checks on the workspace itself that run as ordinary tests: every file
//! opens with what it is for, every stage is in the table and forbids what
//! it should, and the docs name what exists.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli::{files_under, workspace_root};
use crate::stages::STAGES;

/// Every `.rs` file under `dir`, skipping build output.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let files = files_under(dir).unwrap();
    files
        .into_iter()
        .filter(|file| file.extension().is_some_and(|ext| ext == "rs"))
        .collect()
}

#[test]
fn every_rust_file_opens_with_a_doc_comment() {
    let root = workspace_root();
    let missing: Vec<_> = ["crates", "xtask", "bench", "http"]
        .iter()
        .flat_map(|dir| rust_files(&root.join(dir)))
        .filter(|file| !fs::read_to_string(file).unwrap().starts_with("//!"))
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` first line: {missing:?}"
    );
}

/// The crates under `crates/` that are not stages.
const NOT_STAGES: [&str; 1] = ["lab"];

#[test]
fn every_crate_under_crates_is_a_stage_in_the_table_and_back() {
    let mut on_disk: Vec<String> = fs::read_dir(workspace_root().join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| !NOT_STAGES.contains(&name.as_str()))
        .collect();
    on_disk.sort();
    let mut in_table: Vec<String> = STAGES.iter().map(|stage| stage.krate.to_owned()).collect();
    in_table.sort();
    assert_eq!(on_disk, in_table);
}

/// The two modules allowed to use `unsafe`: the hand-built waker vtable,
/// and the self-borrowing `ReadFile`, each the lesson on why it is needed.
const UNSAFE_MODULES: [(&str, &str); 2] = [
    ("waker-executor", "crates/waker-executor/src/raw_waker.rs"),
    (
        "async-await-demo",
        "crates/async-await-demo/src/read_file_by_hand.rs",
    ),
];

#[test]
fn stages_open_with_their_idea_and_shut_out_unsafe_code() {
    for stage in STAGES {
        let lib = fs::read_to_string(
            workspace_root()
                .join("crates")
                .join(stage.krate)
                .join("src/lib.rs"),
        )
        .unwrap();
        let first_line = lib.lines().next().unwrap_or_default();
        assert!(
            first_line.starts_with(&format!("//! Stage {}", stage.number)),
            "{}: {first_line:?}",
            stage.krate
        );
        let forbids = lib.contains("#![forbid(unsafe_code)]");
        // The exceptions deny it, and let exactly their one module in.
        let denies_but_one = UNSAFE_MODULES.iter().any(|(krate, path)| {
            let module = Path::new(path).file_stem().unwrap().to_str().unwrap();
            *krate == stage.krate
                && lib.contains("#![deny(unsafe_code)]")
                && lib.matches("#[allow(unsafe_code)]").count() == 1
                && lib.contains(&format!(
                    "#[allow(unsafe_code)]\n{}mod {module};",
                    if module == "raw_waker" { "pub " } else { "" }
                ))
        });
        assert!(
            forbids || denies_but_one,
            "{} lets unsafe code in",
            stage.krate
        );
    }
}

#[test]
fn unsafe_appears_in_the_two_narrated_modules_only() {
    let root = workspace_root();
    let offenders: Vec<_> = ["crates", "xtask", "bench", "http"]
        .iter()
        .flat_map(|dir| rust_files(&root.join(dir)))
        // This file names the keywords it looks for.
        .filter(|file| {
            !UNSAFE_MODULES.iter().any(|(_, path)| file.ends_with(path))
                && !file.ends_with("xtask/src/tidy.rs")
        })
        .filter(|file| {
            fs::read_to_string(file).unwrap().lines().any(|line| {
                let code = line.split("//").next().unwrap_or_default();
                ["unsafe {", "unsafe fn", "unsafe impl"]
                    .iter()
                    .any(|keyword| code.contains(keyword))
            })
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "unsafe outside {UNSAFE_MODULES:?}: {offenders:?}"
    );
}

#[test]
fn every_unsafe_block_says_why_it_is_sound() {
    for (_, path) in UNSAFE_MODULES {
        let code = fs::read_to_string(workspace_root().join(path)).unwrap();
        let lines: Vec<&str> = code.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            if !line.contains("unsafe {") || line.trim_start().starts_with("//") {
                continue;
            }
            // The comment block right above the statement opens with SAFETY.
            let above = lines[..at]
                .iter()
                .rev()
                .take_while(|line| line.trim_start().starts_with("//"));
            let first = above
                .last()
                .map(|line| line.trim_start())
                .unwrap_or_default();
            assert!(
                first.starts_with("// SAFETY:"),
                "{path}:{}: an unsafe block without a // SAFETY: comment",
                at + 1
            );
        }
    }
}

#[test]
fn the_readme_maps_every_stage() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).unwrap();
    for stage in STAGES {
        let row = format!("| {} | {} |", stage.number, stage.idea);
        assert!(
            readme.contains(&row),
            "README's stage map has no row starting {row:?}"
        );
        assert!(
            readme.contains(&format!("`{}`", stage.krate)),
            "README does not name `{}`",
            stage.krate
        );
    }
}

#[test]
fn the_lab_depends_on_no_stage() {
    let manifest = fs::read_to_string(workspace_root().join("crates/lab/Cargo.toml")).unwrap();
    for stage in STAGES {
        assert!(
            !manifest.contains(stage.krate),
            "the lab depends on {}: it must observe stages, not use them",
            stage.krate
        );
    }
}

#[test]
fn every_stage_shows_its_lesson_on_the_first_screen() {
    for stage in STAGES {
        let lib = fs::read_to_string(
            workspace_root()
                .join("crates")
                .join(stage.krate)
                .join("src/lib.rs"),
        )
        .unwrap();
        let header = lib
            .lines()
            .take_while(|line| line.starts_with("//!"))
            .count();
        assert!(
            header <= 30,
            "{}: a //! header of {header} lines (at most 30)",
            stage.krate
        );
        let items = [
            "pub fn ",
            "pub async fn ",
            "pub struct ",
            "pub enum ",
            "pub trait ",
            "impl",
        ];
        let first = lib
            .lines()
            .position(|line| items.iter().any(|item| line.starts_with(item)));
        let first = first.map(|index| index + 1).unwrap_or(usize::MAX);
        assert!(
            first <= 80,
            "{}: the first item is at line {first} (at most 80)",
            stage.krate
        );
    }
}
