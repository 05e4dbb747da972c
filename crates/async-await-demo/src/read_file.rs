//! Reading a file in two awaited steps, as an `async fn`; `read_file_by_hand.rs`
//! writes the same future as the compiler does, and takes the same two steps
//! from here.
//!
//! Each step is a [`Blocking`] job on a helper thread: open the file, then
//! read it to a string. A failure is an `io::Error` of the kind the failing
//! call gave (the operating system's `NotFound` or `IsADirectory`, or
//! `read_to_string`'s `InvalidData` for text that is not UTF-8), whose
//! message names the path.

use std::error::Error;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::blocking::{Blocking, spawn_blocking};

// ANCHOR: read_file
/// Reads the file at `path` to a string: an async open, then an async read,
/// each done on a helper thread.
///
/// # Examples
///
/// ```
/// let text = waker_executor::block_on(async_await_demo::read_file("Cargo.toml")).unwrap();
/// assert!(text.contains("async-await-demo"));
/// ```
pub async fn read_file(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref();
    let file = open(path).await?;
    let text = read_to_string(file, path).await?;
    Ok(text)
}
// ANCHOR_END: read_file

/// Opens `path` on a helper thread.
pub(crate) fn open(path: &Path) -> Blocking<io::Result<File>> {
    let path = path.to_owned();
    spawn_blocking("open", move || {
        File::open(&path).map_err(|error| file_error("open", &path, error))
    })
}

/// Reads `file` (opened from `path`) to a string on a helper thread.
pub(crate) fn read_to_string(mut file: File, path: &Path) -> Blocking<io::Result<String>> {
    let path = path.to_owned();
    spawn_blocking("read", move || {
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|error| file_error("read", &path, error))?;
        Ok(text)
    })
}

/// `error`, of the same kind, saying what failed on which path.
fn file_error(action: &'static str, path: &Path, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        FileError {
            action,
            path: path.to_owned(),
            source: error,
        },
    )
}

/// What went wrong with a file, and where: "cannot open data.txt: ...".
#[derive(Debug)]
struct FileError {
    action: &'static str,
    path: PathBuf,
    source: io::Error,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} {}: {}",
            self.action,
            self.path.display(),
            self.source
        )
    }
}

impl Error for FileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}
