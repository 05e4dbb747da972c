//! `cargo xtask diff 4 5`: what a stage adds to the one before it, as a
//! lesson: its new types and functions, and the changed lines of what both
//! stages have, under the later stage's idea.
//!
//! A stage's lesson code is its `src/` but the demo (`demo.rs`, `main.rs`)
//! and the switch between std's and loom's types (`sync.rs`), each file up
//! to its `#[cfg(test)]` module, without the exercise and anchor markers.
//! It is read as items: each `fn`, type, trait, `impl` block (and each
//! `fn` in one), with the doc comments and attributes above it. An item of
//! the later stage whose name the earlier one has too is compared line by
//! line; one the earlier stage has not is new. Since a stage reuses the one
//! before it by depending on it, most of what the earlier stage has is not
//! in the later one at all, and that is not a removal: the `use` lines of
//! the earlier stages' crates say what is reused.
//!
//! The book's chapters show the same in a box of their own,
//! `docs/src/diffs/stage-N.md`, written by `cargo xtask docs` and checked
//! by a test against what this prints now.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use similar::{ChangeTag, TextDiff};

use crate::cli::{self, Failure};
use crate::flags;
use crate::stages::{self, STAGES, Stage};

/// Files of `src/` that are not the lesson.
const NOT_LESSON: [&str; 3] = ["demo.rs", "main.rs", "sync.rs"];

/// Lines of context around each change of a changed item.
const CONTEXT: usize = 2;

pub fn run(flags: flags::Diff) -> Result<(), Failure> {
    let usage = |message: String| Failure::usage(message, "diff");
    let (earlier, later) = match (&flags.earlier, &flags.later) {
        (Some(earlier), Some(later)) => (
            stages::find(earlier).map_err(usage)?,
            stages::find(later).map_err(usage)?,
        ),
        // One stage: what it adds to the one before it.
        (Some(later), None) => {
            let later = stages::find(later).map_err(usage)?;
            match before(later) {
                Some(earlier) => (earlier, later),
                None => {
                    return Err(usage(
                        "stage 1 is the first: there is no stage before it".to_owned(),
                    ));
                }
            }
        }
        _ => {
            return Err(usage(
                "diff takes two neighbouring stages (as `4 5`), or one".to_owned(),
            ));
        }
    };
    if later.number != earlier.number + 1 {
        return Err(usage(format!(
            "diff compares neighbouring stages: {} and {} are not (try `{} {}`)",
            earlier.number,
            later.number,
            later.number.saturating_sub(1).max(1),
            later.number.max(2)
        )));
    }
    let diff = Diff::between(&cli::workspace_root(), earlier, later)
        .map_err(|error| Failure::Failed(format!("cannot read the stages' sources: {error}")))?;
    print!("{}", diff.text());
    Ok(())
}

/// The stage before `stage`, if there is one.
fn before(stage: &Stage) -> Option<&'static Stage> {
    STAGES
        .iter()
        .find(|earlier| earlier.number + 1 == stage.number)
}

/// What a stage adds to the one before it.
#[derive(Debug)]
pub struct Diff {
    earlier: &'static Stage,
    later: &'static Stage,
    /// The later stage's `use` lines of earlier stages' crates.
    reused: Vec<String>,
    /// Its items the earlier stage does not have.
    new: Vec<Item>,
    /// Its items the earlier stage has too, changed: each with the earlier
    /// stage's version.
    changed: Vec<(Item, Item)>,
}

impl Diff {
    /// The diff of the two stages' lessons in the workspace at `root`.
    pub fn between(
        root: &Path,
        earlier: &'static Stage,
        later: &'static Stage,
    ) -> io::Result<Self> {
        let (old, new) = (lesson(root, earlier)?, lesson(root, later)?);
        let earlier_crates: Vec<String> = STAGES
            .iter()
            .filter(|stage| stage.number < later.number)
            .map(|stage| stage.krate.replace('-', "_"))
            .collect();
        let reused = new
            .iter()
            .flat_map(|item| item.lines.iter())
            .filter(|line| {
                let used = line
                    .trim_start()
                    .strip_prefix("pub ")
                    .unwrap_or(line.trim_start());
                let used = used.strip_prefix("use ");
                used.is_some_and(|used| {
                    earlier_crates
                        .iter()
                        .any(|krate| used.starts_with(&format!("{krate}::")))
                })
            })
            .map(|line| line.trim().to_owned())
            .collect();
        let mut diff = Diff {
            earlier,
            later,
            reused,
            new: Vec::new(),
            changed: Vec::new(),
        };
        for item in new.into_iter().filter(|item| item.kind != Kind::Use) {
            match old.iter().find(|old| old.key == item.key) {
                None => diff.new.push(item),
                Some(old) if old.lines != item.lines => diff.changed.push((item, old.clone())),
                Some(_) => {}
            }
        }
        Ok(diff)
    }

    /// The diff for a terminal.
    pub fn text(&self) -> String {
        let (earlier, later) = (self.earlier, self.later);
        let mut text = format!(
            "Stage {}, {}: {}\n\nWhat it adds to stage {} ({}), in its lesson code (src/ but the demo):\n",
            later.number, later.krate, later.idea, earlier.number, earlier.krate
        );
        if !self.reused.is_empty() {
            text += "\nReused from the stages before it, not copied:\n";
            for line in &self.reused {
                let _ = writeln!(text, "  {line}");
            }
        }
        text += "\nNew:\n";
        text += &cli::table(None, self.new_rows(), &[])
            .lines()
            .map(|line| format!("  {line}\n"))
            .collect::<String>();
        if self.changed.is_empty() {
            let _ = writeln!(
                text,
                "\nNothing of stage {}'s lesson is changed: it is reused as it is.",
                earlier.number
            );
        } else {
            let _ = writeln!(
                text,
                "\nChanged from stage {} (both have it):",
                earlier.number
            );
            for (new, old) in &self.changed {
                let _ = writeln!(text, "\n  {}  ({})", new.signature, new.file);
                for line in changed_lines(old, new).lines() {
                    let _ = writeln!(text, "    {line}");
                }
            }
        }
        text
    }

    /// The diff as the book's box: Markdown, folded until opened.
    pub fn markdown(&self) -> String {
        let (earlier, later) = (self.earlier, self.later);
        let mut text = format!(
            "<!-- Written by `cargo xtask docs` from the stages' sources: do not edit. -->\n\
             <details class=\"stage-diff\">\n\
             <summary>What changed since stage {}: <code>cargo xtask diff {} {}</code></summary>\n\n",
            earlier.number, earlier.number, later.number
        );
        let _ = writeln!(
            text,
            "*{}*, over stage {}'s lesson code:\n",
            later.idea, earlier.number
        );
        if !self.reused.is_empty() {
            text += "Reused from the stages before it, not copied:\n\n```rust\n";
            for line in &self.reused {
                let _ = writeln!(text, "{line}");
            }
            text += "```\n\n";
        }
        text += "New:\n";
        let mut file = None;
        for item in &self.new {
            if file != Some(&item.file) {
                let _ = writeln!(text, "\nIn `{}`:\n", item.file);
                file = Some(&item.file);
            }
            let indent = if item.nested { "  " } else { "" };
            let _ = writeln!(text, "{indent}- `{}`", item.signature);
        }
        if self.changed.is_empty() {
            let _ = writeln!(
                text,
                "\nNothing of stage {}'s lesson is changed: it is reused as it is.",
                earlier.number
            );
        } else {
            let _ = writeln!(
                text,
                "\nChanged from stage {} (both have it):",
                earlier.number
            );
            for (new, old) in &self.changed {
                let _ = writeln!(text, "\n`{}` ({}):\n\n```diff", new.signature, new.file);
                text += &changed_lines(old, new);
                text += "```\n";
            }
        }
        // The blank line after it parts it from the chapter's next heading.
        text + "\n</details>\n\n"
    }

    /// A row per new item: its file (where it changes), and its signature
    /// (an item of an `impl` under it, indented).
    fn new_rows(&self) -> Vec<Vec<String>> {
        let mut file = None;
        let rows = self.new.iter().map(|item| {
            let indent = if item.nested { "  " } else { "" };
            let first = file != Some(&item.file);
            file = Some(&item.file);
            let place = if first {
                item.file.clone()
            } else {
                String::new()
            };
            vec![place, format!("{indent}{}", item.signature)]
        });
        rows.collect()
    }
}

/// The lines of `old` and `new` that differ, with [`CONTEXT`] lines around
/// them, marked `-` and `+` as a unified diff is.
fn changed_lines(old: &Item, new: &Item) -> String {
    let (old, new) = (old.lines.join("\n") + "\n", new.lines.join("\n") + "\n");
    let diff = TextDiff::from_lines(&old, &new);
    let mut text = String::new();
    for (index, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if index > 0 {
            text += "...\n";
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let sign = match change.tag() {
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                    ChangeTag::Equal => ' ',
                };
                let _ = write!(text, "{sign} {}", change.value());
            }
        }
    }
    text
}

/// The kinds of item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Fn,
    Type,
    Impl,
    Mod,
    Use,
    Other,
}

/// An item of a stage's lesson code.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    /// What names it across stages: `fn run`, `struct TaskWaker`,
    /// `impl Wake for TaskWaker<S>`, and an item of that block
    /// `impl Wake for TaskWaker<S>::fn wake`.
    key: String,
    kind: Kind,
    /// Whether it is in an `impl` or `trait` block.
    nested: bool,
    /// Its first line, to `{`: `pub fn run<F: Future>(futures: Vec<F>) -> Vec<F::Output>`.
    signature: String,
    /// The file, relative to the crate.
    file: String,
    /// Its lines, with the doc comments and attributes above it, and for an
    /// `impl` block only its first line (its functions are items of their own).
    lines: Vec<String>,
}

/// The lesson code of `stage` in the workspace at `root`, as items.
fn lesson(root: &Path, stage: &Stage) -> io::Result<Vec<Item>> {
    let src = root.join("crates").join(stage.krate).join("src");
    let mut items = Vec::new();
    for file in lesson_files(&src)? {
        let relative = file
            .strip_prefix(src.parent().expect("src has a crate"))
            .expect("under src");
        let relative = relative.to_string_lossy().replace('\\', "/");
        items.extend(items_of(&fs::read_to_string(&file)?, &relative));
    }
    Ok(items)
}

/// The files of a stage's `src/` that hold its lesson.
fn lesson_files(src: &Path) -> io::Result<Vec<PathBuf>> {
    let files = cli::files_under(src)?.into_iter().filter(|file| {
        let name = file
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        name.ends_with(".rs") && !NOT_LESSON.contains(&name)
    });
    Ok(files.collect())
}

/// The items of `text` (the file `file`), up to its `#[cfg(test)]` module.
fn items_of(text: &str, file: &str) -> Vec<Item> {
    // As the book shows code: without markers and doc examples.
    let text = crate::docs::listing(text, None);
    let lines: Vec<&str> = text
        .lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .collect();
    let depths = depths(&lines);
    let mut items = Vec::new();
    // Where the doc comments and attributes of the next item began.
    let mut preamble: Option<usize> = None;
    // The `impl` (or `trait`) block being read: its type, and its depth.
    let mut block: Option<(String, usize)> = None;
    let mut index = 0;
    while index < lines.len() {
        let (line, depth) = (lines[index].trim(), depths[index]);
        if block.as_ref().is_some_and(|(_, at)| depth <= *at) {
            block = None;
        }
        let inside = block.as_ref().is_some_and(|(_, at)| depth == at + 1);
        if depth != 0 && !inside {
            index += 1;
            continue;
        }
        if line.starts_with("///") || line.starts_with("#[") {
            preamble.get_or_insert(index);
            index += 1;
            continue;
        }
        if depth == 0 && line.starts_with("pin_project! {") {
            // The items of pin-project-lite's macro are the crate's own.
            block = Some((String::new(), depth));
            index += 1;
            continue;
        }
        let Some((kind, name)) = item_head(line) else {
            preamble = None;
            index += 1;
            continue;
        };
        let start = preamble.take().unwrap_or(index);
        // The item ends where its braces close, or at its `;`.
        let end = (index..lines.len())
            .find(|&at| {
                let closes = depths.get(at + 1).is_none_or(|next| *next <= depth)
                    && lines[at].contains(['}', ';']);
                let one_line = at == index
                    && lines[at].trim_end().ends_with(';')
                    && depths.get(at + 1) == Some(&depth);
                one_line || (closes && (at > index || !lines[at].contains('{')))
            })
            .unwrap_or(lines.len() - 1);
        if kind == Kind::Mod && !lines[index].contains('{') {
            // `mod waker;`: the module's items are read from its own file.
            preamble = None;
            index += 1;
            continue;
        }
        let signature = signature(&lines[index..=end]);
        let key = match &block {
            Some((owner, _)) if !owner.is_empty() => format!("{owner}::{name}"),
            _ => name.clone(),
        };
        let item_lines: Vec<String> = match kind {
            Kind::Impl | Kind::Mod if lines[index].contains('{') => lines[start..=index]
                .iter()
                .map(|line| (*line).to_owned())
                .collect(),
            _ => lines[start..=end]
                .iter()
                .map(|line| line.trim_end().to_owned())
                .collect(),
        };
        items.push(Item {
            key,
            kind,
            nested: block.as_ref().is_some_and(|(owner, _)| !owner.is_empty()),
            signature,
            file: file.to_owned(),
            lines: item_lines,
        });
        match kind {
            Kind::Impl | Kind::Mod if lines[index].contains('{') && end > index => {
                block = Some((name.clone(), depth));
                index += 1;
            }
            _ => index = end + 1,
        }
    }
    items
}

/// An item's first line, or lines (rustfmt breaks a long signature),
/// up to its `{` or `;`, on one line: `pub fn run<F: Future>(futures: Vec<F>) -> Vec<F::Output>`.
fn signature(lines: &[&str]) -> String {
    let mut words = Vec::new();
    for line in lines {
        if line.trim() == "where" {
            break;
        }
        if let Some((head, _)) = line.split_once('{') {
            words.extend(head.split_whitespace());
            break;
        }
        let ends = line.trim_end().ends_with(';');
        words.extend(line.trim_end().trim_end_matches(';').split_whitespace());
        if ends {
            break;
        }
    }
    let text = words.join(" ");
    text.replace("( ", "(")
        .replace(", )", ")")
        .replace("< ", "<")
        .replace(",>", ">")
}

/// The kind of item a line opens, and its key, if it opens one.
fn item_head(line: &str) -> Option<(Kind, String)> {
    let mut rest = line;
    for qualifier in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
        "extern \"C\" ",
    ] {
        if let Some(after) = rest.strip_prefix(qualifier) {
            // `const` is a qualifier of `fn`, and an item of its own.
            if qualifier == "const " && !after.starts_with("fn ") && !after.starts_with("unsafe ") {
                break;
            }
            rest = after;
        }
    }
    let word = |rest: &str| -> String {
        rest.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let (kind, key) = if let Some(after) = rest.strip_prefix("fn ") {
        (Kind::Fn, format!("fn {}", word(after)))
    } else if let Some(after) = rest.strip_prefix("mod ") {
        (Kind::Mod, format!("mod {}", word(after)))
    } else if let Some(after) = rest.strip_prefix("use ") {
        (Kind::Use, format!("use {after}"))
    } else if rest.starts_with("impl") && rest[4..].starts_with(['<', ' '])
        || rest.starts_with("trait ")
    {
        let head = rest.split(" {").next().unwrap_or(rest);
        let head = head.split(" where").next().unwrap_or(head);
        let kind = if rest.starts_with("trait ") {
            Kind::Type
        } else {
            Kind::Impl
        };
        let head = if kind == Kind::Type {
            format!("trait {}", word(&rest[6..]))
        } else {
            head.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        (kind, head)
    } else {
        let kinds = [
            "struct ",
            "enum ",
            "type ",
            "union ",
            "const ",
            "static ",
            "macro_rules! ",
        ];
        let kind = kinds.iter().find(|kind| rest.starts_with(**kind))?;
        let after = &rest[kind.len()..];
        let kind_of = if matches!(*kind, "struct " | "enum " | "type " | "union ") {
            Kind::Type
        } else {
            Kind::Other
        };
        (kind_of, format!("{}{}", kind, word(after)))
    };
    let named = !key.ends_with(' ');
    named.then_some((kind, key))
}

/// The depth of braces each line starts at, reading past the braces of
/// strings, characters and comments.
fn depths(lines: &[&str]) -> Vec<usize> {
    let mut depth: usize = 0;
    let mut in_block_comment = false;
    lines
        .iter()
        .map(|line| {
            let at = depth;
            let mut chars = line.chars().peekable();
            let mut in_string = false;
            while let Some(c) = chars.next() {
                match c {
                    _ if in_block_comment && c == '*' && chars.peek() == Some(&'/') => {
                        chars.next();
                        in_block_comment = false;
                    }
                    _ if in_block_comment => {}
                    _ if in_string => match c {
                        '\\' => drop(chars.next()),
                        '"' => in_string = false,
                        _ => {}
                    },
                    '"' => in_string = true,
                    '/' if chars.peek() == Some(&'/') => break,
                    '/' if chars.peek() == Some(&'*') => in_block_comment = true,
                    // A character literal ('{' or '\''), not a lifetime.
                    '\'' => {
                        let rest: String = chars.clone().take(3).collect();
                        if rest.starts_with('\\') {
                            chars.nth(2);
                        } else if rest.chars().nth(1) == Some('\'') {
                            chars.nth(1);
                        }
                    }
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            at
        })
        .collect()
}

/// Writes every stage's box into the book's `docs/src/diffs/`.
pub fn write_book(root: &Path) -> io::Result<()> {
    for (earlier, later) in STAGES.iter().zip(&STAGES[1..]) {
        let path = book_path(root, later);
        fs::create_dir_all(path.parent().expect("a file has a directory"))?;
        fs::write(&path, Diff::between(root, earlier, later)?.markdown())?;
    }
    Ok(())
}

/// Where the book keeps the box of `stage`.
pub fn book_path(root: &Path, stage: &Stage) -> PathBuf {
    root.join("docs/src/diffs")
        .join(format!("stage-{}.md", stage.number))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EARLIER: &str = r#"//! A stage.
use std::sync::Arc;

/// Runs them.
pub fn run(futures: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    // exercise: poll each
    for f in futures {
        out.push(f);
    }
    // end exercise
    out
}

pub struct Task {
    queued: bool,
}

#[cfg(test)]
mod tests {
    fn hidden() {}
}
"#;

    const LATER: &str = r#"//! The next stage.
use busy_executor::RunStats;
use std::sync::Arc;

/// Runs them.
pub fn run(futures: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for f in futures {
        out.push(f + 1);
    }
    out
}

impl Task {
    /// A wake: '{' is no brace.
    pub fn queue(this: Arc<Task>) {
        let _ = "}";
    }
}

pub struct Task {
    queued: bool,
}
const LIMIT: usize = 61;
"#;

    #[test]
    fn items_are_read_with_their_docs_and_without_markers_or_tests() {
        let items = items_of(EARLIER, "src/lib.rs");
        let keys: Vec<&str> = items.iter().map(|item| item.key.as_str()).collect();
        assert_eq!(keys, ["use std::sync::Arc;", "fn run", "struct Task"]);
        assert_eq!(
            items[1].lines.first().map(String::as_str),
            Some("/// Runs them.")
        );
        assert!(!items[1].lines.iter().any(|line| line.contains("exercise")));
        let later = items_of(LATER, "src/lib.rs");
        let keys: Vec<&str> = later.iter().map(|item| item.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "use busy_executor::RunStats;",
                "use std::sync::Arc;",
                "fn run",
                "impl Task",
                "impl Task::fn queue",
                "struct Task",
                "const LIMIT"
            ]
        );
        assert_eq!(later[4].lines.len(), 4, "{:?}", later[4]);
    }

    #[test]
    fn a_changed_item_shows_the_lines_that_differ() {
        let (old, new) = (
            items_of(EARLIER, "src/lib.rs"),
            items_of(LATER, "src/lib.rs"),
        );
        insta::assert_snapshot!(changed_lines(&old[1], &new[2]), @r"
              let mut out = Vec::new();
              for f in futures {
        -         out.push(f);
        +         out.push(f + 1);
              }
              out
        ");
    }

    #[test]
    fn only_neighbouring_stages_are_compared() {
        let diff = |args: &[&str]| {
            let mut all: Vec<std::ffi::OsString> = vec!["diff".into()];
            all.extend(args.iter().map(Into::into));
            let flags::XtaskCmd::Diff(flags) = flags::Xtask::parse(all).unwrap().subcommand else {
                unreachable!("a diff")
            };
            run(flags)
        };
        let message = |args: &[&str]| match diff(args) {
            Err(Failure::Usage { message, .. }) => message,
            other => panic!("{args:?}: {other:?}"),
        };
        assert_eq!(
            message(&["3", "5"]),
            "diff compares neighbouring stages: 3 and 5 are not (try `4 5`)"
        );
        assert_eq!(
            message(&["1"]),
            "stage 1 is the first: there is no stage before it"
        );
        assert!(message(&["4", "nope"]).starts_with("unknown stage \"nope\""));
        assert_eq!(
            message(&[]),
            "diff takes two neighbouring stages (as `4 5`), or one"
        );
    }

    #[test]
    fn every_neighbouring_pair_has_something_new_and_the_book_shows_it_as_it_is_now() {
        let root = cli::workspace_root();
        for (earlier, later) in STAGES.iter().zip(&STAGES[1..]) {
            let diff = Diff::between(&root, earlier, later).unwrap();
            assert!(
                !diff.new.is_empty() || !diff.changed.is_empty(),
                "stage {} adds nothing",
                later.number
            );
            let text = diff.text();
            assert!(
                text.starts_with(&format!(
                    "Stage {}, {}: {}\n",
                    later.number, later.krate, later.idea
                )),
                "{text}"
            );
            let path = book_path(&root, later);
            let book = fs::read_to_string(&path).unwrap_or_default();
            assert!(
                book == diff.markdown(),
                "{} is not what the stages' sources give now: run `cargo xtask docs`",
                path.display()
            );
        }
    }
}
