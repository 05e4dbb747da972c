//! What every command shares: the two ways to fail, and reading flags.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{fs, io};

/// Why a command did not succeed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The command line was wrong: the message, then the usage text. Exit 2.
    Usage {
        message: String,
        usage: &'static str,
    },
    /// The command ran and something failed (a stage, its tests). Exit 1.
    Failed(String),
    /// A program this command ran failed and has said why: exit with its code.
    Quiet(u8),
}

impl Failure {
    pub fn usage(message: impl Into<String>, usage: &'static str) -> Self {
        Failure::Usage {
            message: message.into(),
            usage,
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

/// One command-line argument, read as a flag: `--name value` and
/// `--name=value` both give a flag with a value.
pub enum Arg {
    /// `-h` or `--help`.
    Help,
    /// A flag and its value, taken from the same argument or the next one.
    Flag { name: String, value: Option<String> },
    /// Anything else.
    Positional(String),
}

/// Reads the arguments of one command, flag by flag.
pub struct Args {
    args: std::vec::IntoIter<String>,
    usage: &'static str,
}

impl Args {
    pub fn new(args: Vec<String>, usage: &'static str) -> Self {
        Args {
            args: args.into_iter(),
            usage,
        }
    }

    /// The next argument, if any. Flags are split from an inline `=value`;
    /// a separate value is read by [`value`](Self::value).
    pub fn next_arg(&mut self) -> Option<Arg> {
        let arg = self.args.next()?;
        Some(match arg.as_str() {
            "-h" | "--help" => Arg::Help,
            _ if arg.starts_with("--") => match arg.split_once('=') {
                Some((name, value)) => Arg::Flag {
                    name: name.to_owned(),
                    value: Some(value.to_owned()),
                },
                None => Arg::Flag {
                    name: arg,
                    value: None,
                },
            },
            _ => Arg::Positional(arg),
        })
    }

    /// The value of flag `name`: the inline one, or the next argument.
    pub fn value(&mut self, name: &str, inline: Option<String>) -> Result<String, Failure> {
        inline
            .or_else(|| self.args.next())
            .ok_or_else(|| self.error(format!("{name} needs a value")))
    }

    /// A usage error for this command.
    pub fn error(&self, message: impl Into<String>) -> Failure {
        Failure::usage(message, self.usage)
    }

    /// The usage error for an argument this command does not take.
    pub fn unexpected(&self, arg: Arg) -> Failure {
        match arg {
            Arg::Flag { name, .. } => self.error(format!("unknown flag {name:?}")),
            Arg::Positional(arg) => self.error(format!("unexpected argument {arg:?}")),
            Arg::Help => self.error("unexpected --help"),
        }
    }
}

/// Reads the arguments of a command that takes none: true when they ask for
/// help, a usage error when there is anything else.
pub fn help_or_nothing(args: Vec<String>, usage: &'static str) -> Result<bool, Failure> {
    let mut args = Args::new(args, usage);
    match args.next_arg() {
        None => Ok(false),
        Some(Arg::Help) => Ok(true),
        Some(other) => Err(args.unexpected(other)),
    }
}

/// Reads the arguments of a command that takes exactly `N` positional
/// arguments (`what` names them in the error): `None` when they ask for help.
pub fn positionals<const N: usize>(
    args: Vec<String>,
    what: &str,
    usage: &'static str,
) -> Result<Option<[String; N]>, Failure> {
    let mut args = Args::new(args, usage);
    let mut given = Vec::new();
    while let Some(arg) = args.next_arg() {
        match arg {
            Arg::Help => return Ok(None),
            Arg::Positional(value) => given.push(value),
            other => return Err(args.unexpected(other)),
        }
    }
    let count = given.len();
    <[String; N]>::try_from(given)
        .map(Some)
        .map_err(|_| args.error(format!("{what}, {count} given")))
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

/// The cargo that runs this xtask, for subcommands in the workspace at `root`.
///
/// A workspace other than this one (a copy of it, as the fork tests make)
/// always builds into its own `target/`, whatever `CARGO_TARGET_DIR` says:
/// its crates have the same names and relative paths as ours, so in a
/// shared target directory they would overwrite ours and leave fingerprints
/// pointing at the copy's files, and later builds of ours would go stale.
pub fn cargo_in(root: &Path) -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
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
