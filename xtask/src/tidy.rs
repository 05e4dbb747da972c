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
    files.into_iter().filter(|file| file.extension().is_some_and(|ext| ext == "rs")).collect()
}

#[test]
fn every_rust_file_opens_with_a_doc_comment() {
    let root = workspace_root();
    let missing: Vec<_> = ["crates", "xtask"]
        .iter()
        .flat_map(|dir| rust_files(&root.join(dir)))
        .filter(|file| !fs::read_to_string(file).unwrap().starts_with("//!"))
        .collect();
    assert!(missing.is_empty(), "files without a `//!` first line: {missing:?}");
}

#[test]
fn every_crate_under_crates_is_a_stage_in_the_table_and_back() {
    let mut on_disk: Vec<String> = fs::read_dir(workspace_root().join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut in_table: Vec<String> = STAGES.iter().map(|stage| stage.krate.to_owned()).collect();
    in_table.sort();
    assert_eq!(on_disk, in_table);
}

/// The one module allowed to use `unsafe`: the hand-built waker vtable.
const UNSAFE_MODULE: &str = "crates/waker-executor/src/raw_waker.rs";

#[test]
fn stages_open_with_their_idea_and_shut_out_unsafe_code() {
    for stage in STAGES {
        let lib = fs::read_to_string(workspace_root().join("crates").join(stage.krate).join("src/lib.rs")).unwrap();
        let first_line = lib.lines().next().unwrap_or_default();
        assert!(first_line.starts_with(&format!("//! Stage {}", stage.number)), "{}: {first_line:?}", stage.krate);
        let forbids = lib.contains("#![forbid(unsafe_code)]");
        // The one exception denies it, and lets exactly the vtable module in.
        let denies_but_one = lib.contains("#![deny(unsafe_code)]")
            && lib.matches("#[allow(unsafe_code)]").count() == 1
            && lib.contains("#[allow(unsafe_code)]\npub mod raw_waker;");
        assert!(forbids || denies_but_one, "{} lets unsafe code in", stage.krate);
    }
}

#[test]
fn unsafe_appears_in_the_vtable_module_only() {
    let root = workspace_root();
    let offenders: Vec<_> = ["crates", "xtask"]
        .iter()
        .flat_map(|dir| rust_files(&root.join(dir)))
        // This file names the keywords it looks for.
        .filter(|file| !file.ends_with(UNSAFE_MODULE) && !file.ends_with("xtask/src/tidy.rs"))
        .filter(|file| {
            fs::read_to_string(file).unwrap().lines().any(|line| {
                let code = line.split("//").next().unwrap_or_default();
                ["unsafe {", "unsafe fn", "unsafe impl"].iter().any(|keyword| code.contains(keyword))
            })
        })
        .collect();
    assert!(offenders.is_empty(), "unsafe outside {UNSAFE_MODULE}: {offenders:?}");
}

#[test]
fn the_readme_maps_every_stage() {
    let readme = fs::read_to_string(workspace_root().join("README.md")).unwrap();
    for stage in STAGES {
        let row = format!("| {} | {} |", stage.number, stage.idea);
        assert!(readme.contains(&row), "README's stage map has no row starting {row:?}");
        assert!(readme.contains(&format!("`{}`", stage.krate)), "README does not name `{}`", stage.krate);
    }
}
