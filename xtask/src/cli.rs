//! What every command shares: the ways to fail, the workspace's files, and
//! cargo.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{fs, io};

use crate::flags;

/// Why a command did not succeed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The command line was wrong: the message, then the help of the command. Exit 2.
    Usage { message: String, usage: String },
    /// The command ran and something failed (a stage, its tests). Exit 1.
    Failed(String),
    /// A program this command ran failed and has said why: exit with its code.
    Quiet(u8),
}

impl Failure {
    /// A usage error of `command`, followed by its help.
    pub fn usage(message: impl Into<String>, command: &str) -> Self {
        Failure::Usage {
            message: message.into(),
            usage: flags::help(Some(command)).unwrap_or_default(),
        }
    }

    /// The usage error for a command there is not, followed by the tool's help.
    pub fn unknown_command(command: &str) -> Self {
        Failure::Usage {
            message: format!("unknown command {command:?}"),
            usage: flags::help(None).unwrap_or_default(),
        }
    }

    /// What xflags found wrong with `args` (or the help they asked for, which
    /// is printed here and is no failure), followed by the help of the
    /// command they name.
    pub fn from_flags(error: &xflags::Error, args: &[OsString]) -> Result<(), Failure> {
        let first = args.first().and_then(|arg| arg.to_str());
        let command = first.filter(|first| flags::commands().contains(first));
        if error.is_help() {
            print!("{}", flags::help(command).unwrap_or_default());
            return Ok(());
        }
        match (command, first) {
            (Some(command), _) => Err(Failure::usage(flags::usage_message(error), command)),
            (None, Some(first)) if !first.starts_with('-') => Err(Failure::unknown_command(first)),
            (None, _) => Err(Failure::Usage {
                message: flags::usage_message(error),
                usage: flags::help(None).unwrap_or_default(),
            }),
        }
    }

    /// Says what went wrong on standard error and gives the exit code.
    pub fn report(self) -> ExitCode {
        match self {
            Failure::Usage { message, usage } => {
                eprintln!("error: {message}\n\n{usage}");
                ExitCode::from(2)
            }
            Failure::Failed(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
            Failure::Quiet(code) => ExitCode::from(code),
        }
    }
}

/// `rows` as columns two spaces apart, under `header` if there is one, the
/// columns numbered in `right` aligned to the right; no line ends in a space.
pub fn table(header: Option<&[&str]>, rows: Vec<Vec<String>>, right: &[usize]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    if let Some(header) = header {
        table.set_header(header.to_vec());
    }
    table.add_rows(rows);
    for (index, column) in table.column_iter_mut().enumerate() {
        // One space each side, but none before the first column.
        column.set_padding((u16::from(index > 0), 1));
        if right.contains(&index) {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    let lines = table.trim_fmt();
    if lines.is_empty() {
        lines
    } else {
        lines + "\n"
    }
}

/// Every file under `dir`, sorted, leaving out build output and pending snapshots.
pub fn files_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if name != "target" {
                found.extend(files_under(&path)?);
            }
        } else if !name.ends_with(".snap.new") && !name.ends_with(".pending-snap") {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// The root of the workspace, where `Cargo.toml` with `[workspace]` is.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

/// The cargo that runs this xtask (from `CARGO`), for subcommands in this
/// workspace.
pub fn cargo() -> std::process::Command {
    cargo_in(&workspace_root())
}

/// The cargo that runs this xtask, run from where the user is (for a
/// `--manifest-path` of this workspace).
pub fn cargo_here() -> std::process::Command {
    std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `program` (not cargo: see [`cargo_in`]), to be run in `dir`.
pub fn program_in(program: &Path, dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    command.current_dir(dir);
    command
}

/// The cargo that runs this xtask, for subcommands in the workspace at `root`.
///
/// A workspace other than this one (a copy of it, as the fork tests make)
/// always builds into its own `target/`, whatever `CARGO_TARGET_DIR` says:
/// its crates have the same names and relative paths as ours, so in a
/// shared target directory they would overwrite ours and leave fingerprints
/// pointing at the copy's files, and later builds of ours would go stale.
pub fn cargo_in(root: &Path) -> std::process::Command {
    let mut command = cargo_here();
    command.current_dir(root);
    if !same_dir(root, &workspace_root()) {
        command.env("CARGO_TARGET_DIR", root.join("target"));
    }
    command
}

/// Whether `a` and `b` name the same directory.
fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn cargo_for_another_workspace_builds_into_that_workspaces_target() {
        let copy = workspace_root().join("target").join("some-copy");
        let command = cargo_in(&copy);
        let target = command
            .get_envs()
            .find(|(key, _)| *key == OsStr::new("CARGO_TARGET_DIR"));
        assert_eq!(
            target,
            Some((
                OsStr::new("CARGO_TARGET_DIR"),
                Some(copy.join("target").as_os_str())
            ))
        );
        assert_eq!(command.get_current_dir(), Some(copy.as_path()));
    }

    #[test]
    fn cargo_for_this_workspace_keeps_the_users_target_dir() {
        assert!(
            cargo()
                .get_envs()
                .all(|(key, _)| key != OsStr::new("CARGO_TARGET_DIR"))
        );
    }

    #[test]
    fn every_cargo_for_another_directory_goes_through_cargo_in() {
        // A `current_dir` set on a command by hand would skip the target dir.
        for file in files_under(&workspace_root().join("xtask/src")).unwrap() {
            if file.ends_with("cli.rs") || file.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let code = fs::read_to_string(&file).unwrap();
            assert!(
                !code.contains(".current_dir("),
                "{}: use cli::cargo_in(root) instead",
                file.display()
            );
        }
    }
}
