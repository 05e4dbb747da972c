//! `cargo xtask docs`: builds the book in `docs/` with mdbook; and the
//! checks, run as tests, that keep the book true to the code.
//!
//! The book shows no code of its own: every listing is an
//! `{{#include ../../crates/<stage>/src/<file>:<anchor>}}` of the code
//! between `// ANCHOR: <anchor>` and `// ANCHOR_END: <anchor>` in a stage,
//! and every transcript an include of a demo's snapshot. The tests below
//! fail when an include names a file or an anchor that is not there, when a
//! stage has no chapter, or when a chapter forgets its stage's exercises.
//!
//! mdbook is given a copy of the book with every include already expanded
//! ([`expand`]), so that listings read as plain code: without the
//! `// exercise:` markers the forks need, and without the doc comments'
//! examples, which the API docs show.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{fs, io};

use crate::cli::{self, Failure};

pub fn run() -> Result<(), Failure> {
    let broken: Vec<String> = chapters()
        .map_err(|error| Failure::Failed(format!("cannot read docs/src: {error}")))?
        .iter()
        .flat_map(|(path, text)| includes(text, path))
        .filter_map(|include| check_include(&include).err())
        .collect();
    if !broken.is_empty() {
        return Err(Failure::Failed(format!(
            "the book includes what is not there:\n{}",
            broken.join("\n")
        )));
    }
    crate::pictures::write_all()
        .map_err(|error| Failure::Failed(format!("cannot draw the timelines: {error}")))?;
    println!("Drew the stages' timelines into docs/src/timelines");
    crate::diff::write_book(&cli::workspace_root())
        .map_err(|error| Failure::Failed(format!("cannot write the stages' diffs: {error}")))?;
    println!("Wrote what each stage changes into docs/src/diffs");
    if Command::new("mdbook").arg("--version").output().is_err() {
        return Err(Failure::Failed(
            "mdbook is not installed; install it with `cargo install mdbook --locked`, then run `cargo xtask docs` again"
                .to_owned(),
        ));
    }
    let root = cli::workspace_root();
    let expanded = root.join("target/book-src");
    write_expanded(&root.join("docs"), &expanded).map_err(|error| {
        Failure::Failed(format!(
            "cannot expand the book into {}: {error}",
            expanded.display()
        ))
    })?;
    let status = Command::new("mdbook")
        .arg("build")
        .arg(&expanded)
        .arg("--dest-dir")
        .arg(root.join("target/book"))
        .status()
        .map_err(|error| Failure::Failed(format!("cannot run mdbook: {error}")))?;
    if !status.success() {
        return Err(Failure::Failed(
            "mdbook could not build the book; its messages are above".to_owned(),
        ));
    }
    println!(
        "The book is in {}",
        root.join("target/book/index.html").display()
    );
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
            found.push(Include {
                at,
                file: dir.join(file),
                selector,
            });
            rest = &inner[end..];
        }
    }
    found
}

/// Checks that `include` names a file that exists and, in it, an anchor
/// that exists or lines that do.
fn check_include(include: &Include) -> Result<(), String> {
    let Include { at, file, selector } = include;
    let text = fs::read_to_string(file)
        .map_err(|error| format!("{at}: cannot read {}: {error}", file.display()))?;
    let Some(selector) = selector else {
        return Ok(());
    };
    let first = selector.split(':').next().unwrap_or_default();
    if !first.is_empty() && !first.bytes().all(|byte| byte.is_ascii_digit()) {
        let has = |marker: &str| {
            text.lines()
                .any(|line| line.trim() == format!("// {marker}: {selector}"))
        };
        if !has("ANCHOR") || !has("ANCHOR_END") {
            return Err(format!(
                "{at}: no anchor {selector:?} in {}",
                file.display()
            ));
        }
        return Ok(());
    }
    let lines = text.lines().count();
    for number in selector.split(':').filter(|part| !part.is_empty()) {
        let number: usize = number
            .parse()
            .map_err(|_| format!("{at}: {selector:?} is not a line range"))?;
        if number == 0 || number > lines {
            return Err(format!(
                "{at}: line {number} is not in {} ({lines} lines)",
                file.display()
            ));
        }
    }
    // A snapshot is included from just after its header, which ends with its second `---`.
    if file.extension().is_some_and(|ext| ext == "snap") {
        let header = text
            .lines()
            .enumerate()
            .filter(|(_, line)| *line == "---")
            .nth(1)
            .map(|(index, _)| index + 1);
        if header.map(|header| header + 1) != first.parse().ok() {
            return Err(format!(
                "{at}: {} is not included from the line after its header",
                file.display()
            ));
        }
    }
    Ok(())
}

/// Copies the book at `docs` (all but the browser check) to `to`, with every
/// `{{#include}}` of a chapter replaced by what it includes, cleaned for
/// reading ([`listing`]).
fn write_expanded(docs: &Path, to: &Path) -> io::Result<()> {
    if to.exists() {
        fs::remove_dir_all(to)?;
    }
    let check = docs.join("check");
    for file in cli::files_under(docs)?
        .into_iter()
        .filter(|file| !file.starts_with(&check))
    {
        let destination = to.join(file.strip_prefix(docs).expect("under docs"));
        fs::create_dir_all(destination.parent().expect("a file has a directory"))?;
        match file.extension().and_then(|ext| ext.to_str()) {
            Some("md") => fs::write(destination, expand(&fs::read_to_string(&file)?, &file)?)?,
            _ => drop(fs::copy(&file, destination)?),
        }
    }
    Ok(())
}

/// `text`, the chapter at `chapter`, with each `{{#include}}` replaced by
/// the lines it names.
fn expand(text: &str, chapter: &Path) -> io::Result<String> {
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        let found = includes(line, chapter);
        match found.as_slice() {
            [] => out.push_str(line),
            [include] if line.trim().starts_with("{{#include ") && line.trim().ends_with("}}") => {
                out.push_str(&listing(
                    &fs::read_to_string(&include.file)?,
                    include.selector.as_deref(),
                ))
            }
            _ => {
                let at = format!("{}:{}", chapter.display(), index + 1);
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{at}: an include must be alone on its line"),
                ));
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// The lines of `source` that `selector` names (an anchor, a `first:` or
/// `first:last` line range, or all), made to read as plain code: anchor
/// and exercise markers go, and so do doc comments' `# Examples`.
pub fn listing(source: &str, selector: Option<&str>) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let chosen: Vec<&str> = match selector {
        None => lines,
        Some(range) if range.starts_with(|c: char| c.is_ascii_digit()) => {
            let mut bounds = range.split(':').map(|part| part.parse::<usize>().ok());
            let first = bounds.next().flatten().unwrap_or(1).max(1);
            let last = bounds
                .next()
                .flatten()
                .unwrap_or(lines.len())
                .min(lines.len());
            lines.get(first - 1..last).unwrap_or_default().to_vec()
        }
        Some(anchor) => {
            let start = lines
                .iter()
                .position(|line| line.trim() == format!("// ANCHOR: {anchor}"));
            let start = start.map_or(lines.len(), |start| start + 1);
            lines[start..]
                .iter()
                .take_while(|line| line.trim() != format!("// ANCHOR_END: {anchor}"))
                .copied()
                .collect()
        }
    };
    let mut kept = Vec::new();
    let mut in_examples = false;
    for line in chosen {
        let trimmed = line.trim();
        let doc = trimmed.strip_prefix("///").map(str::trim);
        if doc == Some("# Examples") {
            in_examples = true;
            // The blank doc line before the section goes with it.
            if kept.last().is_some_and(|last: &&str| last.trim() == "///") {
                kept.pop();
            }
            continue;
        }
        if in_examples {
            // The section runs to the end of the doc comment, or the next heading.
            if doc.is_some_and(|doc| !doc.starts_with("# ")) {
                continue;
            }
            in_examples = false;
        }
        let marker = ["// ANCHOR", "// exercise:", "// end exercise"]
            .iter()
            .any(|marker| trimmed.starts_with(marker));
        if !marker {
            kept.push(line);
        }
    }
    let indent = kept
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min();
    let indent = indent.unwrap_or(0);
    kept.iter()
        .map(|line| line.get(indent..).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
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
        let includes: Vec<Include> = chapters()
            .unwrap()
            .iter()
            .flat_map(|(path, text)| includes(text, path))
            .collect();
        assert!(
            includes.len() > 20,
            "only {} includes: is the parser broken?",
            includes.len()
        );
        let broken: Vec<String> = includes
            .iter()
            .filter_map(|include| check_include(include).err())
            .collect();
        assert!(broken.is_empty(), "broken includes:\n{}", broken.join("\n"));
    }

    #[test]
    fn a_missing_file_anchor_or_line_is_caught() {
        let chapter = book().join("introduction.md");
        let source = "../../crates/socket-sim/src/lib.rs";
        let snapshot = "../../crates/socket-sim/tests/snapshots/demo__demo_transcript.snap";
        for (line, problem) in [
            (
                "{{#include ../../crates/socket-sim/src/nope.rs:readiness}}".to_owned(),
                "cannot read",
            ),
            (
                format!("{{{{#include {source}:no_such_anchor}}}}"),
                "no anchor \"no_such_anchor\"",
            ),
            (
                format!("{{{{#include {source}:99999:}}}}"),
                "line 99999 is not in",
            ),
            (
                format!("{{{{#include {snapshot}:2:}}}}"),
                "is not included from the line after its header",
            ),
        ] {
            let found = includes(&line, &chapter);
            assert_eq!(found.len(), 1, "{line}");
            let error = check_include(&found[0]).unwrap_err();
            assert!(error.contains(problem), "{line}: {error}");
        }
        let fine = includes(
            &format!("a {{{{#include {source}:readiness}}}} b {{{{#include {snapshot}:5:}}}}"),
            &chapter,
        );
        assert_eq!(
            fine.iter().map(check_include).collect::<Vec<_>>(),
            [Ok(()), Ok(())]
        );
    }

    #[test]
    fn listings_read_as_plain_code_without_markers_or_doc_examples() {
        let source = "\
impl X {
    // ANCHOR: poll
    /// Polls.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(true);
    /// ```
    fn poll(&mut self) -> u8 {
        // exercise: return 1
        1
        // end exercise
    }
    // ANCHOR_END: poll
}";
        assert_eq!(
            listing(source, Some("poll")),
            "/// Polls.\nfn poll(&mut self) -> u8 {\n    1\n}"
        );
        assert_eq!(listing(source, Some("2:3")), "/// Polls.");
        assert_eq!(listing("a\nb\nc", Some("2:")), "b\nc");
    }

    #[test]
    fn the_expanded_book_has_every_listing_and_no_marker_or_doc_example() {
        let mut listings = 0;
        for (path, text) in chapters().unwrap() {
            let expanded = expand(&text, &path).unwrap();
            assert!(
                !expanded.contains("{{#include"),
                "{}: an include was left",
                path.display()
            );
            for marker in [
                "// exercise:",
                "// end exercise",
                "// ANCHOR",
                "/// # Examples",
            ] {
                assert!(
                    !expanded.contains(marker),
                    "{}: {marker:?} in a listing",
                    path.display()
                );
            }
            listings += includes(&text, &path).len();
        }
        assert!(listings > 20, "only {listings} listings");
    }

    #[test]
    fn every_chapter_shows_its_stages_timeline() {
        for stage in STAGES {
            let chapter = fs::read_to_string(book().join(chapter_of(stage))).unwrap();
            let picture = format!("](timelines/{})", crate::pictures::file_name(stage));
            assert!(
                chapter.contains(&picture),
                "{} does not show {picture}",
                chapter_of(stage)
            );
        }
    }

    #[test]
    fn every_stage_has_a_chapter_in_the_summary() {
        let summary = fs::read_to_string(book().join("SUMMARY.md")).unwrap();
        for stage in STAGES {
            let chapter = chapter_of(stage);
            assert!(
                book().join(&chapter).is_file(),
                "no chapter {chapter} for stage {}",
                stage.number
            );
            assert!(
                summary.contains(&format!("({chapter})")),
                "SUMMARY.md does not link {chapter}"
            );
        }
    }

    #[test]
    fn every_chapter_gives_the_hints_of_its_stages_exercises() {
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        for stage in STAGES {
            let chapter = words(&fs::read_to_string(book().join(chapter_of(stage))).unwrap());
            let source = cli::workspace_root()
                .join("crates")
                .join(stage.krate)
                .join("src");
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
        let book: String = chapters()
            .unwrap()
            .into_iter()
            .map(|(_, text)| text)
            .collect();
        let crates = cli::workspace_root().join("crates");
        for stage in STAGES {
            let source = crates.join(stage.krate).join("src");
            for file in cli::files_under(&source).unwrap() {
                let text = fs::read_to_string(&file).unwrap();
                let relative = file.strip_prefix(&crates).unwrap().display().to_string();
                for anchor in text
                    .lines()
                    .filter_map(|line| line.trim().strip_prefix("// ANCHOR: "))
                {
                    let include = format!("{{{{#include ../../crates/{relative}:{anchor}}}}}");
                    assert!(
                        book.contains(&include),
                        "{relative} marks {anchor:?}, which no chapter includes"
                    );
                }
            }
        }
    }
}
