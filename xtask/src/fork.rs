//! `cargo xtask fork STAGE NAME`: a stage as an exercise, judged by the
//! stage's own tests (`cargo xtask check NAME`, in `check.rs`).
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
use std::io;
use std::path::Path;

use toml_edit::{DocumentMut, value};

use crate::cli::{self, Failure};
use crate::flags;
use crate::progress::{self, Progress};
use crate::stages::{self, STAGES, Stage};

/// The line that opens an exercise region, after any indentation.
const OPEN: &str = "// exercise: ";
/// The line that closes it.
const CLOSE: &str = "// end exercise";

pub fn run_fork(flags: flags::Fork) -> Result<(), Failure> {
    let usage = |message: String| Failure::usage(message, "fork");
    let Some(stage) = &flags.stage else {
        return Err(usage(
            "fork takes a STAGE (a number, a crate name, or `next`) and a NAME".to_owned(),
        ));
    };
    let root = cli::workspace_root();
    let stage = match stage.as_str() {
        "next" => match progress::next_stage(&root) {
            None => {
                println!("Every stage is done already: `cargo xtask progress` shows them.");
                return Ok(());
            }
            Some((stage, Some(fork))) if flags.name.is_none() => {
                Progress::update(&root, |progress| progress.current = Some(fork.clone()));
                println!(
                    "The first stage not done yet is stage {} ({}), and you have forked it \
                     already, as exercises/{fork}: go on with\n  cargo xtask watch {fork}",
                    stage.number, stage.krate
                );
                return Ok(());
            }
            Some((stage, _)) => stage,
        },
        stage => stages::find(stage).map_err(usage)?,
    };
    let name = match &flags.name {
        Some(name) => name.clone(),
        None => default_name(&root, stage),
    };
    let fork = create(&root, stage, &name)?;
    Progress::update(&root, |progress| progress.current = Some(name.clone()));
    print!("{}", fork.next_steps());
    Ok(())
}

/// The name a fork of `stage` gets when none is given: `my-<crate>`, or
/// `my-<crate>-2` (and on) if that is taken.
fn default_name(root: &Path, stage: &Stage) -> String {
    let name = format!("my-{}", stage.krate);
    let free = |name: &String| {
        check_name(root, name).is_ok() && !root.join("exercises").join(name).exists()
    };
    std::iter::once(name.clone())
        .chain((2..).map(|n| format!("{name}-{n}")))
        .find(free)
        .expect("some number is free")
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
        let then = [
            (
                "cargo xtask watch".to_owned(),
                "judges it each time you save, one step at a time",
            ),
            (
                format!("cargo test -p {name}"),
                "the stage's own tests are the judge",
            ),
            (
                format!("cargo xtask check {name}"),
                "which regions are still todo!, which tests fail",
            ),
        ];
        let then = then.map(|(command, what)| vec![command, what.to_owned()]);
        text += "\nThen:\n";
        for line in cli::table(None, then.to_vec(), &[]).lines() {
            text += &format!("  {line}\n");
        }
        text += &format!("\nTo throw the fork away: rm -r exercises/{name}\n");
        text
    }
}

/// One line per region: where, in which function, and the hint or `written`.
pub fn region_table(regions: &[Region]) -> String {
    let rows = regions.iter().map(|region| {
        let state = match region.todo {
            true => format!("todo!: {}", region.hint),
            false => "written".to_owned(),
        };
        let place = format!("{}:{}", region.file, region.line);
        vec![place, region.function.clone(), state]
    });
    let table = cli::table(None, rows.collect(), &[]);
    table.lines().map(|line| format!("  {line}\n")).collect()
}

/// Makes the fork `name` of `stage` in the workspace at `root`.
pub fn create(root: &Path, stage: &'static Stage, name: &str) -> Result<Fork, Failure> {
    check_name(root, name)?;
    let target = root.join("exercises").join(name);
    if target.exists() {
        return Err(Failure::usage(
            format!("exercises/{name} exists already; pick another name or remove it"),
            "fork",
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
            Some("Cargo.toml") => fork_manifest(&text, stage, name)
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?,
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

/// The stage's manifest, made the fork's: its name, a description that says
/// so, and a record of the stage it came from.
fn fork_manifest(manifest: &str, stage: &Stage, name: &str) -> Result<String, String> {
    let mut manifest: DocumentMut = manifest.parse().map_err(|error| format!("{error}"))?;
    let package = &mut manifest["package"];
    package["name"] = value(name);
    let (number, krate) = (stage.number, stage.krate);
    package["description"] = value(format!(
        "Exercise: stage {number} ({krate}) re-built by hand"
    ));
    package["metadata"]["poll-to-await"]["forked-from"] = value(krate);
    Ok(manifest.to_string())
}

/// The stage a fork in `dir` came from, from its `Cargo.toml`.
pub fn forked_from(dir: &Path) -> Option<&'static Stage> {
    let manifest = read_manifest(&dir.join("Cargo.toml"))?;
    let path = ["package", "metadata", "poll-to-await", "forked-from"];
    let krate = string_at(manifest.as_item(), &path)?;
    STAGES.iter().find(|stage| stage.krate == krate)
}

/// The TOML file at `path`, if it can be read and parsed.
fn read_manifest(path: &Path) -> Option<DocumentMut> {
    fs::read_to_string(path).ok()?.parse().ok()
}

/// The string at `path` of keys in `item`, if there is one.
fn string_at<'a>(item: &'a toml_edit::Item, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(item, |item, key| item.get(key))?
        .as_str()
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
        (Vec::new(), None::<(usize, Region)>, Place::default());
    // Lines written so far: regions are numbered as the fork has them.
    let mut written = 0;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        function.read(line);
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
                    function: function.name(),
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
pub fn regions_now(text: &str, file: &str) -> Vec<Region> {
    let mut regions = Vec::new();
    let mut function = Place::default();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let trimmed = line.trim_start();
        function.read(line);
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
            function: function.name(),
            hint: hint.to_owned(),
            todo,
        });
    }
    regions
}

/// The regions of the fork in `dir`, as its files are now.
pub fn fork_regions(dir: &Path) -> io::Result<Vec<Region>> {
    let mut regions = Vec::new();
    for file in cli::files_under(dir)? {
        if file.extension().is_some_and(|ext| ext == "rs") {
            let relative = file.strip_prefix(dir).expect("under the fork");
            let relative = relative.to_string_lossy().replace('\\', "/");
            regions.extend(regions_now(&std::fs::read_to_string(&file)?, &relative));
        }
    }
    Ok(regions)
}

/// Where a line of Rust is: the function it is in, and the type of the
/// `impl` block around that, if there is one (`TaskWaker::queue`).
#[derive(Debug, Default)]
struct Place {
    function: String,
    /// The type of the `impl` block being read, and that line's indentation.
    implementing: Option<(usize, String)>,
}

impl Place {
    /// Reads the next line.
    fn read(&mut self, line: &str) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(name) = function_name(trimmed) {
            self.function = name;
        }
        if self
            .implementing
            .as_ref()
            .is_some_and(|(at, _)| indent <= *at && trimmed.starts_with('}'))
        {
            self.implementing = None;
        }
        if let Some(name) = impl_type(trimmed) {
            self.implementing = Some((indent, name));
        }
    }

    /// `Type::function`, or `function` outside an `impl`.
    fn name(&self) -> String {
        match &self.implementing {
            Some((_, implementing)) => format!("{implementing}::{}", self.function),
            None => self.function.clone(),
        }
    }
}

/// The type an `impl` line implements (for), if the line opens an `impl`
/// block: `Shared` for `impl<R: Rouse> Schedule for Arc<Shared<R>> {`, as
/// the type a smart pointer holds is the one that matters.
fn impl_type(line: &str) -> Option<String> {
    let rest = line.strip_prefix("impl")?;
    if !rest.starts_with(['<', ' ']) {
        return None;
    }
    // Skip the block's own generic parameters.
    let mut rest = rest.trim_start();
    if rest.starts_with('<') {
        let mut depth = 0;
        let end = rest.char_indices().find_map(|(at, c)| {
            depth += match c {
                '<' => 1,
                '>' => -1,
                _ => 0,
            };
            (depth == 0).then_some(at)
        })?;
        rest = &rest[end + 1..];
    }
    let rest = rest.split('{').next()?.split(" where").next()?;
    let mut ty = rest.rsplit_once(" for ").map_or(rest, |(_, ty)| ty).trim();
    let ident = |ty: &str| -> String {
        let path: String = ty
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        path.rsplit("::").next().unwrap_or_default().to_owned()
    };
    while let Some(inner) = ["Arc", "Box", "Rc", "Pin"]
        .iter()
        .find(|pointer| ident(ty) == **pointer)
        .and_then(|_| ty.split_once('<'))
        .map(|(_, inner)| inner)
    {
        ty = inner;
    }
    let name = ident(ty);
    (!name.is_empty()).then_some(name)
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
            "fork",
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
    if KEYWORDS.split_whitespace().any(|keyword| keyword == lib) {
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
    let mut packages = Vec::new();
    let lock = read_manifest(&root.join("Cargo.lock"));
    let locked = lock
        .as_ref()
        .and_then(|lock| lock.get("package")?.as_array_of_tables());
    // Only dependencies: a package of the workspace has no source, and its
    // manifest is read below (a fork thrown away stays in Cargo.lock until
    // the next build, and its name is free again).
    for package in locked.into_iter().flatten() {
        if package.contains_key("source") {
            packages.extend(package.get("name").and_then(toml_edit::Item::as_str));
        }
    }
    let members = member_manifests(root);
    let names = members
        .iter()
        .map(|member| string_at(member.as_item(), &["package", "name"]));
    packages.extend(names.flatten());
    if let Some(package) = packages.into_iter().find(|package| same(package)) {
        return refuse(format!(
            "the workspace already has a crate called {package:?} (names that differ only in case or '-' against '_' collide)"
        ));
    }
    Ok(())
}

/// Directories cargo makes in a target directory: binaries may not take their names.
const CARGO_DIRS: [&str; 4] = ["build", "deps", "examples", "incremental"];

/// The manifests of the workspace's members: under `crates/` and
/// `exercises/`, and the tools.
fn member_manifests(root: &Path) -> Vec<DocumentMut> {
    let dirs = ["crates", "exercises"].map(|dir| fs::read_dir(root.join(dir)));
    let members = dirs.into_iter().flatten().flatten().flatten();
    let members = members.map(|member| member.path());
    let members = members.chain(["xtask", "bench"].map(|tool| root.join(tool)));
    members
        .filter_map(|member| read_manifest(&member.join("Cargo.toml")))
        .collect()
}

/// Names a library cannot have: Rust's keywords, reserved words, and the
/// crates every program sees.
const KEYWORDS: &str = "as async await break const continue crate dyn else enum extern false
    fn for if impl in let loop match mod move mut pub ref return self static struct super trait
    true type unsafe use where while abstract become box do final gen macro override priv try
    typeof unsized virtual yield std core alloc proc_macro test";

#[cfg(test)]
mod tests;
