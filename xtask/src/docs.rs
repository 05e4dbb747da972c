//! `cargo xtask docs`: builds the book in `docs/` with mdbook; and the
//! checks, run as tests, that keep the book true to the code.
//!
//! The book shows no code of its own: every listing is an
//! `{{#include ../../crates/<stage>/src/<file>:<anchor>}}` of the code
//! between `// ANCHOR: <anchor>` and `// ANCHOR_END: <anchor>` in a stage,
//! and every transcript an include of a demo's snapshot. The tests below
//! fail when an include names a file or an anchor that is not there, when a
//! stage has no chapter, or when a chapter forgets its stage's exercises.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{fs, io};

use crate::cli::{self, Failure};

const USAGE: &str = "\
Usage: cargo xtask docs

Checks that every {{#include}} of the book in docs/ names a file and an
anchor that exist, then builds the book into target/book with mdbook
(install it with `cargo install mdbook --locked`).
";

pub fn run(args: Vec<String>) -> Result<(), Failure> {
    if cli::help_or_nothing(args, USAGE)? {
        print!("{USAGE}");
        return Ok(());
    }
    let broken: Vec<String> = chapters()
        .map_err(|error| Failure::Failed(format!("cannot read docs/src: {error}")))?
        .iter()
        .flat_map(|(path, text)| includes(text, path))
        .filter_map(|include| check_include(&include).err())
        .collect();
    if !broken.is_empty() {
        return Err(Failure::Failed(format!("the book includes what is not there:\n{}", broken.join("\n"))));
    }
    if Command::new("mdbook").arg("--version").output().is_err() {
        return Err(Failure::Failed(
            "mdbook is not installed; install it with `cargo install mdbook --locked`, then run `cargo xtask docs` again"
                .to_owned(),
        ));
    }
    let root = cli::workspace_root();
    let status = Command::new("mdbook")
        .arg("build")
        .arg(root.join("docs"))
        .status()
        .map_err(|error| Failure::Failed(format!("cannot run mdbook: {error}")))?;
    if !status.success() {
        return Err(Failure::Failed("mdbook could not build the book; its messages are above".to_owned()));
    }
    println!("The book is in {}", root.join("target/book/index.html").display());
    Ok(())
}

/// An `{{#include path}}` or `{{#include path:selector}}` in a chapter.
#[derive(Debug, PartialEq, Eq)]
struct Include {
    /// The chapter and line it is on, for messages.
    at: String,
    /// The file it names, resolved from the chapter's directory.
    file: PathBuf,
    /// An anchor name, or a line range such as `5:`.
    selector: Option<String>,
}

/// The includes of `text`, the chapter at `chapter`.
fn includes(text: &str, chapter: &Path) -> Vec<Include> {
    let dir = chapter.parent().expect("a chapter is in a directory");
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("{{#include ") {
            let inner = &rest[start + "{{#include ".len()..];
            let Some(end) = inner.find("}}") else { break };
            let (file, selector) = match inner[..end].trim().split_once(':') {
                Some((file, selector)) => (file, Some(selector.to_owned())),
                None => (inner[..end].trim(), None),
            };
            let at = format!("{}:{}", chapter.display(), index + 1);
            found.push(Include { at, file: dir.join(file), selector });
            rest = &inner[end..];
        }
    }
    found
}

/// Checks that `include` names a file that exists and, in it, an anchor
/// that exists or lines that do.
fn check_include(include: &Include) -> Result<(), String> {
    let Include { at, file, selector } = include;
    let text = fs::read_to_string(file).map_err(|error| format!("{at}: cannot read {}: {error}", file.display()))?;
    let Some(selector) = selector else { return Ok(()) };
    let first = selector.split(':').next().unwrap_or_default();
    if !first.is_empty() && !first.bytes().all(|byte| byte.is_ascii_digit()) {
        let has = |marker: &str| text.lines().any(|line| line.trim() == format!("// {marker}: {selector}"));
        if !has("ANCHOR") || !has("ANCHOR_END") {
            return Err(format!("{at}: no anchor {selector:?} in {}", file.display()));
        }
        return Ok(());
    }
    let lines = text.lines().count();
    for number in selector.split(':').filter(|part| !part.is_empty()) {
        let number: usize = number.parse().map_err(|_| format!("{at}: {selector:?} is not a line range"))?;
        if number == 0 || number > lines {
            return Err(format!("{at}: line {number} is not in {} ({lines} lines)", file.display()));
        }
    }
    // A snapshot is included from just after its header, which ends with its second `---`.
    if file.extension().is_some_and(|ext| ext == "snap") {
        let header = text.lines().enumerate().filter(|(_, line)| *line == "---").nth(1).map(|(index, _)| index + 1);
        if header.map(|header| header + 1) != first.parse().ok() {
            return Err(format!("{at}: {} is not included from the line after its header", file.display()));
        }
    }
    Ok(())
}

/// The book's source directory.
fn book() -> PathBuf {
    cli::workspace_root().join("docs/src")
}

/// Every chapter of the book, with its text.
fn chapters() -> io::Result<Vec<(PathBuf, String)>> {
    let mut chapters = Vec::new();
    for entry in fs::read_dir(book())? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "md") {
            let text = fs::read_to_string(&path)?;
            chapters.push((path, text));
        }
    }
    chapters.sort();
    Ok(chapters)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fork::empty_regions;
    use crate::stages::STAGES;

    fn chapter_of(stage: &crate::stages::Stage) -> String {
        format!("stage-{}-{}.md", stage.number, stage.krate)
    }

    #[test]
    fn every_include_names_a_file_and_an_anchor_or_lines_that_exist() {
        let includes: Vec<Include> = chapters().unwrap().iter().flat_map(|(path, text)| includes(text, path)).collect();
        assert!(includes.len() > 20, "only {} includes: is the parser broken?", includes.len());
        let broken: Vec<String> = includes.iter().filter_map(|include| check_include(include).err()).collect();
        assert!(broken.is_empty(), "broken includes:\n{}", broken.join("\n"));
    }

    #[test]
    fn a_missing_file_anchor_or_line_is_caught() {
        let chapter = book().join("introduction.md");
        let source = "../../crates/socket-sim/src/lib.rs";
        let snapshot = "../../crates/socket-sim/tests/snapshots/demo__demo_transcript.snap";
        for (line, problem) in [
            ("{{#include ../../crates/socket-sim/src/nope.rs:readiness}}".to_owned(), "cannot read"),
            (format!("{{{{#include {source}:no_such_anchor}}}}"), "no anchor \"no_such_anchor\""),
            (format!("{{{{#include {source}:99999:}}}}"), "line 99999 is not in"),
            (format!("{{{{#include {snapshot}:2:}}}}"), "is not included from the line after its header"),
        ] {
            let found = includes(&line, &chapter);
            assert_eq!(found.len(), 1, "{line}");
            let error = check_include(&found[0]).unwrap_err();
            assert!(error.contains(problem), "{line}: {error}");
        }
        let fine =
            includes(&format!("a {{{{#include {source}:readiness}}}} b {{{{#include {snapshot}:5:}}}}"), &chapter);
        assert_eq!(fine.iter().map(check_include).collect::<Vec<_>>(), [Ok(()), Ok(())]);
    }

    #[test]
    fn every_stage_has_a_chapter_in_the_summary() {
        let summary = fs::read_to_string(book().join("SUMMARY.md")).unwrap();
        for stage in STAGES {
            let chapter = chapter_of(stage);
            assert!(book().join(&chapter).is_file(), "no chapter {chapter} for stage {}", stage.number);
            assert!(summary.contains(&format!("({chapter})")), "SUMMARY.md does not link {chapter}");
        }
    }

    #[test]
    fn every_chapter_gives_the_hints_of_its_stages_exercises() {
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        for stage in STAGES {
            let chapter = words(&fs::read_to_string(book().join(chapter_of(stage))).unwrap());
            let source = cli::workspace_root().join("crates").join(stage.krate).join("src");
            for file in cli::files_under(&source).unwrap() {
                let (_, regions) = empty_regions(&fs::read_to_string(&file).unwrap(), "").unwrap();
                for region in regions {
                    assert!(
                        chapter.contains(&words(&region.hint)),
                        "{}'s chapter lacks the hint {:?}",
                        stage.krate,
                        region.hint
                    );
                }
            }
        }
    }

    #[test]
    fn every_anchor_in_the_stages_is_shown_in_the_book() {
        let book: String = chapters().unwrap().into_iter().map(|(_, text)| text).collect();
        let crates = cli::workspace_root().join("crates");
        for stage in STAGES {
            let source = crates.join(stage.krate).join("src");
            for file in cli::files_under(&source).unwrap() {
                let text = fs::read_to_string(&file).unwrap();
                let relative = file.strip_prefix(&crates).unwrap().display().to_string();
                for anchor in text.lines().filter_map(|line| line.trim().strip_prefix("// ANCHOR: ")) {
                    let include = format!("{{{{#include ../../crates/{relative}:{anchor}}}}}");
                    assert!(book.contains(&include), "{relative} marks {anchor:?}, which no chapter includes");
                }
            }
        }
    }
}
