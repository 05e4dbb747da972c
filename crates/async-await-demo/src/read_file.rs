//! Reading a file in two awaited steps, twice: as an `async fn`, and as the
//! state machine the compiler turns that `async fn` into, written by hand.
//!
//! Both take the same two steps, each a [`Blocking`] job on a helper thread:
//! open the file, then read it to a string. Both fail the same way, with an
//! `io::Error` of the kind the operating system gave (`NotFound`,
//! `IsADirectory`, `InvalidData` for text that is not UTF-8) whose message
//! names the path.

use std::error::Error;
use std::fmt;
use std::fs::File;
use std::future::Future;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

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

pin_project! {
    /// [`read_file`] as the compiler writes it, by hand: a future holding
    /// the path and where it is, a state per await point.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_await_demo::ReadFile;
    ///
    /// let text = waker_executor::block_on(ReadFile::new("Cargo.toml")).unwrap();
    /// assert!(text.contains("async-await-demo"));
    /// ```
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct ReadFile {
        path: PathBuf,
        #[pin]
        state: State,
    }
}

pin_project! {
    /// Where a [`ReadFile`] is. The compiler's enum for `read_file` has the
    /// same variants, with the variables alive at each await point as fields.
    #[project = StateProj]
    enum State {
        /// Built, not polled yet: nothing has happened (futures are lazy).
        Start,
        /// At `open(path).await`.
        Opening { #[pin] open: Blocking<io::Result<File>> },
        /// At `read_to_string(file, path).await`.
        Reading { #[pin] read: Blocking<io::Result<String>> },
        /// Returned Ready.
        Done,
    }
}

impl ReadFile {
    /// The future that reads `path`; nothing happens until it is polled.
    pub fn new(path: impl AsRef<Path>) -> Self {
        ReadFile { path: path.as_ref().to_owned(), state: State::Start }
    }

    /// The name of the state it is in: `Start`, `Opening`, `Reading` or `Done`.
    pub fn state(&self) -> &'static str {
        match self.state {
            State::Start => "Start",
            State::Opening { .. } => "Opening",
            State::Reading { .. } => "Reading",
            State::Done => "Done",
        }
    }
}

// ANCHOR: read_file_poll
impl Future for ReadFile {
    type Output = io::Result<String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<String>> {
        let mut this = self.project();
        // exercise: loop over the states: start the open, then the read, returning Pending while a step is pending
        loop {
            match this.state.as_mut().project() {
                StateProj::Start => this.state.set(State::Opening { open: open(this.path) }),
                StateProj::Opening { open } => match ready!(open.poll(cx)) {
                    Ok(file) => this.state.set(State::Reading { read: read_to_string(file, this.path) }),
                    Err(error) => {
                        this.state.set(State::Done);
                        return Poll::Ready(Err(error));
                    }
                },
                StateProj::Reading { read } => {
                    let text = ready!(read.poll(cx));
                    this.state.set(State::Done);
                    return Poll::Ready(text);
                }
                StateProj::Done => {
                    panic!("ReadFile polled after it returned Ready: a finished future must not be polled again")
                }
            }
        }
        // end exercise
    }
}
// ANCHOR_END: read_file_poll

/// Opens `path` on a helper thread.
fn open(path: &Path) -> Blocking<io::Result<File>> {
    let path = path.to_owned();
    spawn_blocking("open", move || File::open(&path).map_err(|error| file_error("open", &path, error)))
}

/// Reads `file` (opened from `path`) to a string on a helper thread.
fn read_to_string(mut file: File, path: &Path) -> Blocking<io::Result<String>> {
    let path = path.to_owned();
    spawn_blocking("read", move || {
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(|error| file_error("read", &path, error))?;
        Ok(text)
    })
}

/// `error`, of the same kind, saying what failed on which path.
fn file_error(action: &'static str, path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), FileError { action, path: path.to_owned(), source: error })
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
        write!(f, "cannot {} {}: {}", self.action, self.path.display(), self.source)
    }
}

impl Error for FileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}
