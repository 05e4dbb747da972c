//! `cargo xtask fork STAGE NAME` and `cargo xtask check NAME`: a stage as an
//! exercise, judged by the stage's own tests.
//!
//! A fork is a copy of `crates/STAGE` in `exercises/NAME`, a workspace
//! member of its own: package and library renamed, dependencies on earlier
//! stages unchanged (they come from the workspace), tests and snapshots kept
//! and pointing at the new crate, and the body of every exercise region
//!
//! ```text
//! // exercise: <hint>
//! ...the solution...
//! // end exercise
//! ```
//!
//! replaced by `todo!("<hint>")`. The fork is built in a staging directory
//! under `target/` and moved into place whole, so a refused or failed fork
//! leaves nothing behind.

use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;

use crate::cli::{self, Failure};
use crate::stages::{self, STAGES, Stage};

const FORK_USAGE: &str = "\
Usage: cargo xtask fork STAGE NAME

Copies a stage (number or crate name) into exercises/NAME as a crate of the
workspace named NAME, with the body of each exercise region replaced by
todo!(\"<hint>\"). The stage's own tests stay with it: `cargo test -p NAME`
fails until the bodies are written, and passes when they are right.
";

const CHECK_USAGE: &str = "\
Usage: cargo xtask check NAME

Runs the tests of the fork exercises/NAME and reports, for each exercise
region, whether it is still todo!, and which tests fail. Exit 0 only when
every test passes.
";

/// The line that opens an exercise region, after any indentation.
const OPEN: &str = "// exercise: ";
/// The line that closes it.
const CLOSE: &str = "// end exercise";
/// Where a fork records which stage it came from, in its `Cargo.toml`.
const METADATA: &str = "[package.metadata.poll-to-await]";

pub fn run_fork(args: Vec<String>) -> Result<(), Failure> {
    let Some([stage, name]) = cli::positionals(args, "fork takes a STAGE and a NAME", FORK_USAGE)?
    else {
        print!("{FORK_USAGE}");
        return Ok(());
    };
    let stage = stages::find(&stage, FORK_USAGE)?;
    let fork = create(&cli::workspace_root(), stage, &name)?;
    print!("{}", fork.next_steps());
    Ok(())
}

/// A fork just made.
#[derive(Debug)]
pub struct Fork {
    pub name: String,
    pub stage: &'static Stage,
    pub regions: Vec<Region>,
}

/// An exercise region of a fork: where it is and what it asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// The file, relative to the crate: `src/lib.rs`.
    pub file: String,
    /// The line of the `// exercise:` marker, counted from 1.
    pub line: usize,
    /// The function it sits in.
    pub function: String,
    pub hint: String,
    /// Whether the body is still the `todo!` the fork put there.
    pub todo: bool,
}

impl Fork {
    /// What to do next, for the learner who just forked.
    fn next_steps(&self) -> String {
        let Fork {
            name,
            stage,
            regions,
        } = self;
        let mut text = format!(
            "Forked stage {} ({}) into exercises/{name}, a crate of the workspace named {name}.\n\n",
            stage.number, stage.krate
        );
        text += "Write these bodies; each is a todo!() with a hint for now:\n";
        text += &region_table(regions);
        text += &format!(
            "\nThen:\n  cargo test -p {name}        the stage's own tests are the judge\n  cargo xtask check {name}    which regions are still todo!, which tests fail\n\nTo throw the fork away: rm -r exercises/{name}\n"
        );
        text
    }
}

/// One line per region: where, in which function, and the hint or `done`.
fn region_table(regions: &[Region]) -> String {
    let width = regions
        .iter()
        .map(|region| format!("{}:{}", region.file, region.line).len())
        .max()
        .unwrap_or(0);
    let function_width = regions
        .iter()
        .map(|region| region.function.len())
        .max()
        .unwrap_or(0);
    regions
        .iter()
        .map(|region| {
            let place = format!("{}:{}", region.file, region.line);
            let state = if region.todo {
                format!("todo!: {}", region.hint)
            } else {
                "written".to_owned()
            };
            format!(
                "  {place:width$}  {:function_width$}  {state}\n",
                region.function
            )
        })
        .collect()
}

/// Makes the fork `name` of `stage` in the workspace at `root`.
pub fn create(root: &Path, stage: &'static Stage, name: &str) -> Result<Fork, Failure> {
    check_name(root, name)?;
    let target = root.join("exercises").join(name);
    if target.exists() {
        return Err(Failure::usage(
            format!("exercises/{name} exists already; pick another name or remove it"),
            FORK_USAGE,
        ));
    }
    let staging = root.join("target").join("xtask-fork").join(name);
    let result = write_fork(
        &root.join("crates").join(stage.krate),
        &staging,
        stage,
        name,
    )
    .and_then(|regions| {
        move_dir(&staging, &target, |from, to| fs::rename(from, to)).map(|()| regions)
    });
    match result {
        Ok(regions) => Ok(Fork {
            name: name.to_owned(),
            stage,
            regions,
        }),
        Err(error) => {
            let _ = fs::remove_dir_all(&staging);
            Err(Failure::Failed(format!(
                "cannot write the fork exercises/{name}: {error}"
            )))
        }
    }
}

/// Moves the directory `from` to `to` with `rename`, or, when they are on
/// different filesystems (`target/` may be a link to another disk), copies
/// it: into a hidden sibling of `to` first, renamed into place once whole,
/// so that `to` never exists half-written. `from` is removed after.
fn move_dir(
    from: &Path,
    to: &Path,
    rename: impl Fn(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    match rename(from, to) {
        Err(error) if error.kind() == io::ErrorKind::CrossesDevices => {}
        done => return done,
    }
    let name = to.file_name().expect("a fork has a name").to_string_lossy();
    let partial = to.with_file_name(format!(".{name}.partial"));
    let copied = (|| {
        for file in cli::files_under(from)? {
            let destination = partial.join(file.strip_prefix(from).expect("under from"));
            fs::create_dir_all(destination.parent().expect("a file has a directory"))?;
            fs::copy(&file, destination)?;
        }
        rename(&partial, to)
    })();
    if copied.is_err() {
        let _ = fs::remove_dir_all(&partial);
    }
    copied?;
    fs::remove_dir_all(from)
}

/// Writes the fork of `source` into `staging`; returns its regions.
fn write_fork(source: &Path, staging: &Path, stage: &Stage, name: &str) -> io::Result<Vec<Region>> {
    if staging.exists() {
        fs::remove_dir_all(staging)?; // left by an earlier fork that was stopped
    }
    let mut regions = Vec::new();
    for file in cli::files_under(source)? {
        let relative = file.strip_prefix(source).expect("under the source");
        let text = fs::read_to_string(&file)?;
        let text = match relative.to_str() {
            Some("Cargo.toml") => fork_manifest(&rename(&text, stage.krate, name), stage),
            _ if file.extension().is_some_and(|ext| ext == "snap") => text.replace(
                &format!("crates/{}/", stage.krate),
                &format!("exercises/{name}/"),
            ),
            _ if file.extension().is_some_and(|ext| ext == "rs") => {
                let text = rename(&text, stage.krate, name);
                let (emptied, found) = empty_regions(&text, &relative.to_string_lossy())
                    .map_err(|message| io::Error::new(io::ErrorKind::InvalidData, message))?;
                regions.extend(found);
                emptied
            }
            _ => text,
        };
        let destination = staging.join(relative);
        fs::create_dir_all(destination.parent().expect("a file has a directory"))?;
        fs::write(destination, text)?;
    }
    regions.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(regions)
}

/// The stage's manifest, made the fork's: a description that says so and a
/// record of the stage it came from.
fn fork_manifest(manifest: &str, stage: &Stage) -> String {
    let mut forked: String = manifest
        .lines()
        .map(|line| match line.starts_with("description = ") {
            true => format!(
                "description = \"Exercise: stage {} ({}) re-built by hand\"\n",
                stage.number, stage.krate
            ),
            false => format!("{line}\n"),
        })
        .collect();
    forked += &format!("\n{METADATA}\nforked-from = \"{}\"\n", stage.krate);
    forked
}

/// `text` with the crate `from` renamed `to`: its package name (`busy-executor`)
/// and its library name (`busy_executor`), as whole words.
pub fn rename(text: &str, from: &str, to: &str) -> String {
    // Cargo names the path of the crate's binary after the package.
    let text = &text.replace(
        &format!("CARGO_BIN_EXE_{from}\""),
        &format!("CARGO_BIN_EXE_{to}\""),
    );
    let (from_lib, to_lib) = (from.replace('-', "_"), to.replace('-', "_"));
    if from != from_lib {
        // Two spellings: the package's, and the library's in paths.
        let text = replace_word(
            text,
            from,
            |_| to,
            |c| c.is_ascii_alphanumeric() || c == '-',
        );
        return replace_word(
            &text,
            &from_lib,
            |_| &to_lib,
            |c| c.is_ascii_alphanumeric() || c == '_',
        );
    }
    // One spelling for both: in a path (`futsocket::FutSocket`) it is the
    // library, anywhere else the package.
    let name = |after: &str| {
        if after.starts_with("::") {
            to_lib.as_str()
        } else {
            to
        }
    };
    replace_word(text, from, name, |c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    })
}

/// `text` with each `from` that is not part of a longer word replaced by
/// what `to` makes of the text that follows it.
fn replace_word<'a>(
    text: &str,
    from: &str,
    to: impl Fn(&str) -> &'a str,
    in_word: impl Fn(char) -> bool,
) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut rest, mut consumed_last) = (text, None);
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().last().or(consumed_last);
        let after = &rest[at + from.len()..];
        out += &rest[..at];
        out += if before.is_some_and(&in_word) || after.chars().next().is_some_and(&in_word) {
            from
        } else {
            to(after)
        };
        (rest, consumed_last) = (after, from.chars().last());
    }
    out + rest
}

/// `text` with the body of every exercise region replaced by
/// `todo!("<hint>")`, and the regions found in it (`file` names it).
pub fn empty_regions(text: &str, file: &str) -> Result<(String, Vec<Region>), String> {
    let mut out = String::with_capacity(text.len());
    // `open` is the region being read, with the line of the source it began on.
    let (mut regions, mut open, mut function) =
        (Vec::new(), None::<(usize, Region)>, String::new());
    // Lines written so far: regions are numbered as the fork has them.
    let mut written = 0;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if let Some(name) = function_name(trimmed) {
            function = name;
        }
        if let Some(hint) = trimmed.strip_prefix(OPEN) {
            if open.is_some() {
                return Err(format!(
                    "{file}:{}: an exercise region inside another",
                    index + 1
                ));
            }
            out += &format!("{line}\n{indent}todo!({hint:?})\n");
            let (hint, line) = (hint.to_owned(), written + 1);
            open = Some((
                index + 1,
                Region {
                    file: file.to_owned(),
                    line,
                    function: function.clone(),
                    hint,
                    todo: true,
                },
            ));
            written += 2;
        } else if trimmed == CLOSE {
            let (_, region) = open
                .take()
                .ok_or_else(|| format!("{file}:{}: `{CLOSE}` without a region", index + 1))?;
            regions.push(region);
            out += &format!("{line}\n");
            written += 1;
        } else if open.is_none() {
            out += &format!("{line}\n");
            written += 1;
        }
    }
    match open {
        Some((began, _)) => Err(format!(
            "{file}:{began}: an exercise region that never ends"
        )),
        None => Ok((out, regions)),
    }
}

/// The regions of a fork's `text` as it is now, each marked still todo or not.
fn regions_now(text: &str, file: &str) -> Vec<Region> {
    let mut regions = Vec::new();
    let mut function = String::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(name) = function_name(trimmed) {
            function = name;
        }
        let Some(hint) = trimmed.strip_prefix(OPEN) else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, line)| line.trim())
            .take_while(|line| *line != CLOSE)
            .collect();
        let todo = body
            .iter()
            .filter(|line| !line.is_empty())
            .eq([format!("todo!({hint:?})").as_str()].iter());
        regions.push(Region {
            file: file.to_owned(),
            line: index + 1,
            function: function.clone(),
            hint: hint.to_owned(),
            todo,
        });
    }
    regions
}

/// The name of the function a line declares, if it declares one.
fn function_name(line: &str) -> Option<String> {
    let mut line = line;
    while let Some(rest) = ["pub ", "pub(crate) ", "const ", "async ", "unsafe "]
        .iter()
        .find_map(|q| line.strip_prefix(q))
    {
        line = rest;
    }
    let name: String = line
        .strip_prefix("fn ")?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Refuses a NAME that is not a crate name, or that a crate of the workspace
/// or one of its dependencies already has.
fn check_name(root: &Path, name: &str) -> Result<(), Failure> {
    let refuse = |why: String| {
        Err(Failure::usage(
            format!("cannot fork into {name:?}: {why}"),
            FORK_USAGE,
        ))
    };
    let mut chars = name.chars();
    if !chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
    {
        return refuse("a crate name starts with a letter".to_owned());
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') || name.len() > 64 {
        return refuse("a crate name has at most 64 letters, digits, '-' and '_'".to_owned());
    }
    let lib = name.replace('-', "_");
    if KEYWORDS.contains(&lib.as_str()) {
        return refuse("that is a name Rust keeps for itself".to_owned());
    }
    let same = |other: &str| other.replace('-', "_").eq_ignore_ascii_case(&lib);
    if let Some(stage) = STAGES.iter().find(|stage| same(stage.krate)) {
        return refuse(format!("stage {} is called that", stage.number));
    }
    if let Some(dir) = CARGO_DIRS.iter().find(|dir| same(dir)) {
        return refuse(format!(
            "cargo keeps {dir:?} for a directory of target/, so no binary may be called that"
        ));
    }
    // Cargo.lock, and every member's manifest: a fork made a moment ago is
    // not in Cargo.lock until the next build.
    let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let mut packages: Vec<String> = lock
        .lines()
        .filter_map(|line| {
            Some(
                line.strip_prefix("name = \"")?
                    .strip_suffix('"')?
                    .to_owned(),
            )
        })
        .collect();
    packages.extend(member_packages(root));
    if let Some(package) = packages.into_iter().find(|package| same(package)) {
        return refuse(format!(
            "the workspace already has a crate called {package:?} (names that differ only in case or '-' against '_' collide)"
        ));
    }
    Ok(())
}

/// Directories cargo makes in a target directory: binaries may not take their names.
const CARGO_DIRS: [&str; 4] = ["build", "deps", "examples", "incremental"];

/// The package names of the members under `crates/` and `exercises/`, from their manifests.
fn member_packages(root: &Path) -> Vec<String> {
    let manifests = ["crates", "exercises"]
        .iter()
        .filter_map(|dir| fs::read_dir(root.join(dir)).ok())
        .flatten()
        .filter_map(|entry| fs::read_to_string(entry.ok()?.path().join("Cargo.toml")).ok());
    manifests
        .filter_map(|manifest| {
            let name = manifest
                .lines()
                .find_map(|line| line.strip_prefix("name = \"")?.strip_suffix('"'))?;
            Some(name.to_owned())
        })
        .collect()
}

/// Names a library cannot have: Rust's keywords and the crates every program sees.
const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "gen",
    "macro",
    "override",
    "priv",
    "try",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
];

pub fn run_check(args: Vec<String>) -> Result<(), Failure> {
    let Some([name]) = cli::positionals(args, "check takes the NAME of a fork", CHECK_USAGE)?
    else {
        print!("{CHECK_USAGE}");
        return Ok(());
    };
    let checked = check(&cli::workspace_root(), &name, true)?;
    print!("\n{}", checked.report);
    match checked.failed {
        Failed::None => Ok(()),
        _ => Err(Failure::Failed(format!("{name} is not done yet"))),
    }
}

/// What `check` found.
#[derive(Debug)]
pub struct Checked {
    failed: Failed,
    /// For the learner: the regions and the failed tests.
    pub report: String,
}

/// Runs the tests of the fork `name` in the workspace at `root` (with
/// `show`, their output goes on as it comes) and reports on its regions and
/// tests.
pub fn check(root: &Path, name: &str, show: bool) -> Result<Checked, Failure> {
    let dir = root.join("exercises").join(name);
    let Some(stage) = forked_from(&dir) else {
        let message = format!(
            "there is no fork exercises/{name}; make one with `cargo xtask fork STAGE {name}`"
        );
        return Err(Failure::usage(message, CHECK_USAGE));
    };
    let failed = run_tests(root, name, show)
        .map_err(|error| Failure::Failed(format!("cannot run cargo: {error}")))?;
    let regions = fork_regions(&dir)
        .map_err(|error| Failure::Failed(format!("cannot read exercises/{name}: {error}")))?;
    let report = check_report(name, stage, &regions, &failed);
    Ok(Checked { failed, report })
}

/// The stage a fork in `dir` came from, from its `Cargo.toml`.
fn forked_from(dir: &Path) -> Option<&'static Stage> {
    let manifest = fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let (_, metadata) = manifest.split_once(METADATA)?;
    let krate = metadata
        .lines()
        .find_map(|line| line.strip_prefix("forked-from = \"")?.strip_suffix('"'))?;
    STAGES.iter().find(|stage| stage.krate == krate)
}

/// The regions of the fork in `dir`, as its files are now.
fn fork_regions(dir: &Path) -> io::Result<Vec<Region>> {
    let mut regions = Vec::new();
    for file in cli::files_under(dir)? {
        if file.extension().is_some_and(|ext| ext == "rs") {
            let relative = file
                .strip_prefix(dir)
                .expect("under the fork")
                .to_string_lossy()
                .into_owned();
            regions.extend(regions_now(&fs::read_to_string(&file)?, &relative));
        }
    }
    Ok(regions)
}

/// Which tests failed.
#[derive(Debug, PartialEq, Eq)]
enum Failed {
    None,
    /// These tests, by name.
    Tests(Vec<String>),
    /// Something failed before tests could say (a build error).
    Build,
}

/// Runs the fork's tests, showing their output as it comes if asked to, and
/// collects the names of the tests that failed.
fn run_tests(root: &Path, name: &str, show: bool) -> io::Result<Failed> {
    let mut command = cli::cargo_in(root);
    command
        .args(["test", "-p", name, "--no-fail-fast"])
        .stdout(Stdio::piped());
    if !show {
        command.stderr(Stdio::null());
    }
    let mut child = command.spawn()?;
    let stdout = child.stdout.take().expect("piped");
    let mut failed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if show {
            println!("{line}");
        }
        failed.extend(failed_test(&line));
    }
    io::stdout().flush()?;
    let status = child.wait()?;
    Ok(match (status.success(), failed.is_empty()) {
        (true, _) => Failed::None,
        (false, false) => Failed::Tests(failed),
        (false, true) => Failed::Build,
    })
}

/// The name of the test a line of test output says failed, if it says so:
/// `test the_newest_waker_is_woken_once ... FAILED`.
fn failed_test(line: &str) -> Option<String> {
    Some(
        line.strip_prefix("test ")?
            .strip_suffix(" ... FAILED")?
            .to_owned(),
    )
}

fn check_report(name: &str, stage: &Stage, regions: &[Region], failed: &Failed) -> String {
    let todo = regions.iter().filter(|region| region.todo).count();
    let mut report = format!(
        "{name}, a fork of stage {} ({}): {todo} of {} regions still todo!\n",
        stage.number,
        stage.krate,
        regions.len()
    );
    report += &region_table(regions);
    report += &match failed {
        Failed::None => "All tests pass: the stage is yours.\n".to_owned(),
        Failed::Build => "It does not build yet: the compiler's messages are above.\n".to_owned(),
        Failed::Tests(tests) => {
            let mut text = format!("{} tests fail:\n", tests.len());
            for test in tests {
                text += &format!("  {test}\n");
            }
            text
        }
    };
    report
}

#[cfg(test)]
mod tests;
