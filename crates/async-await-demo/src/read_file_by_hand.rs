//! [`read_file`](crate::read_file) as the compiler writes it, by hand: a
//! future that borrows from itself, and why it must be pinned.
//!
//! The async fn's body keeps `path` in a local and lends it to each step:
//! `open(path).await`, then `read_to_string(file, path).await`. So at each
//! await point the future holds the local *and a borrow of it*. The
//! compiler's future stores both side by side, in one struct: the borrow
//! points into the very value that holds it. [`ReadFile`] does the same:
//! it owns `path`, and its states `Opening` and `Reading` hold a
//! `&PathBuf` that points at that field.
//!
//! Move such a value and the borrow still points at the old place, which is
//! now garbage. That is what `Pin` is for:
//!
//! - `Future::poll` takes `self: Pin<&mut Self>`. For a value that is not
//!   `Unpin`, a `Pin` is a promise, made by whoever pinned it, that its
//!   memory stays where it is, neither moved nor reused, from then until it
//!   is dropped. Safe code can only pin through constructors that keep that
//!   promise for it (`Box::pin`, `Box::into_pin`, `Rc::pin`, `Arc::pin`, and
//!   `pin!`, which moves the value into a place that can no longer be named);
//!   `Pin::new_unchecked` is the unsafe way, on the caller's word. The first
//!   poll comes after the pinning, so a borrow made then stays valid for as
//!   long as the future lives. (Not just "between polls": for the rest of
//!   its life.)
//! - A type that is `Unpin` opts out: the pin promises nothing about it,
//!   and it can be moved out at any time, which is fine for futures that
//!   hold no borrow of themselves. `ReadFile` holds a `PhantomPinned`, so it
//!   is `!Unpin`, as the future of every async fn is (the compiler does not
//!   work out whether a body keeps a borrow across an await, and assumes it
//!   may): safe code can no longer get a `&mut ReadFile` out of a
//!   `Pin<&mut ReadFile>`, nor move it (the `compile_fail` examples on
//!   [`ReadFile`] show each refusal).
//!
//! Rust's borrow checker cannot express "a borrow of my own field" (there
//! is no lifetime to name for it), so this is the second place in the
//! workspace with `unsafe`. What keeps it sound, each point used below:
//!
//! 1. The borrow is made at the first poll, never in [`ReadFile::new`]: a
//!    future is moved freely before it is pinned (returned from `new`,
//!    put in a `Vec`, boxed), and only the pin stops that.
//! 2. `state` is declared before `path`, so it is dropped first: the borrow
//!    never outlives what it points at, even while the struct is dropped.
//! 3. No `&mut PathBuf` exists while the borrow lives: `poll` writes only to
//!    `state`, through a `&mut` to that field alone (pin-project-lite would
//!    also hand out a `&mut` to `path`, so the projection is by hand).
//! 4. The borrow is a `&PathBuf`, not a `&Path`: a `&Path` would point at the
//!    heap buffer the `PathBuf` owns, which a move does not touch, and would
//!    hide the very problem this module is about.
//! 5. To project, `poll` makes a `&mut ReadFile` while `state` holds a
//!    shared borrow of its `path`. For most types that would break the rule
//!    that a `&mut` is the only way to its memory, and the older borrow
//!    would be invalid from then on. A `&mut` to a `!Unpin` type is exempt:
//!    rustc gives it no `noalias`, and Miri's Stacked and Tree Borrows count
//!    making one as a read of its memory, not as taking it for itself, so
//!    the shared borrow survives. The exemption exists for futures like this
//!    one (it stands in for `UnsafePinned`, not yet stable; see
//!    rust-lang/rust#63818). Of that `&mut ReadFile`, only `&mut state` (not
//!    what the borrow points at) and a shared `&path` are used.
//!
//! The future stays `Send`, like the async fn's: a `&PathBuf` may travel to
//! another thread because a `PathBuf` is `Sync`.
#![warn(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

use std::fs::File;
use std::future::Future;
use std::io;
use std::marker::PhantomPinned;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use crate::blocking::Blocking;
use crate::read_file::{open, read_to_string};

/// [`read_file`](crate::read_file) as the compiler writes it, by hand: the
/// path it owns, and a state per await point that borrows that path.
///
/// # Examples
///
/// ```
/// use async_await_demo::ReadFile;
///
/// # lab::patience::within_patience(|| {
/// let text = waker_executor::block_on(ReadFile::new("Cargo.toml")).unwrap();
/// assert!(text.contains("async-await-demo"));
/// # });
/// ```
///
/// What pinning forbids, because `ReadFile` is `!Unpin` (each example is
/// refused with E0277, "`PhantomPinned` cannot be unpinned"). Safe code pins
/// a `!Unpin` value only where it can never move again: in a `Box`
/// (`Box::pin`, `Box::into_pin`), an `Rc` or an `Arc` (`Rc::pin`,
/// `Arc::pin`), or with the `pin!` macro, which moves it into a local that
/// cannot be named again. `Pin::new` would accept a plain `&mut`, after
/// which the value could be moved, so it takes `Unpin` types only:
///
/// ```compile_fail,E0277
/// # use std::pin::Pin;
/// let mut future = async_await_demo::ReadFile::new("Cargo.toml");
/// let pinned = Pin::new(&mut future);
/// ```
///
/// Nor can a pinned `ReadFile` be taken back out of its box, to be moved:
///
/// ```compile_fail,E0277
/// # use std::pin::Pin;
/// let pinned = Box::pin(async_await_demo::ReadFile::new("Cargo.toml"));
/// let moved_out: Box<_> = Pin::into_inner(pinned);
/// ```
///
/// Nor swapped with another through their pins:
///
/// ```compile_fail,E0277
/// # use std::pin::pin;
/// let mut a = pin!(async_await_demo::ReadFile::new("a.txt"));
/// let mut b = pin!(async_await_demo::ReadFile::new("b.txt"));
/// std::mem::swap(a.as_mut().get_mut(), b.as_mut().get_mut());
/// ```
///
/// The same three lines compile with a future that is `Unpin`, such as
/// `std::future::Ready`: the refusals above are about `!Unpin` and nothing
/// else.
///
/// ```
/// # use std::pin::{Pin, pin};
/// # use std::future::ready;
/// let mut future = ready(1);
/// let pinned = Pin::new(&mut future);
/// let moved_out: Box<_> = Pin::into_inner(Box::pin(ready(2)));
/// let mut a = pin!(ready(3));
/// let mut b = pin!(ready(4));
/// std::mem::swap(a.as_mut().get_mut(), b.as_mut().get_mut());
/// ```
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct ReadFile {
    /// Where the future is. Declared before `path`, so dropped before it
    /// (point 2): its borrow of `path` never dangles.
    state: State,
    /// The path to read, owned, as the async fn's local is.
    path: PathBuf,
    /// Makes `ReadFile` `!Unpin`: once pinned it never moves again.
    _pinned: PhantomPinned,
}

/// Where a [`ReadFile`] is. The compiler's enum for `read_file` has the same
/// variants, with what is alive at each await point as fields.
enum State {
    /// Built, not polled yet: nothing has happened (futures are lazy).
    Start,
    /// At `open(path).await`, holding the borrow of `path` for the next step.
    Opening {
        path: SelfBorrow,
        open: Blocking<io::Result<File>>,
    },
    /// At `read_to_string(file, path).await`.
    Reading { read: Blocking<io::Result<String>> },
    /// Returned Ready.
    Done,
}

/// A borrow of the `path` field of the `ReadFile` that holds it. `'static`
/// stands for "as long as that `ReadFile` lives", which Rust has no name
/// for; it is sound because of the pin (see the module's points 1 to 3).
type SelfBorrow = &'static PathBuf;

impl ReadFile {
    /// The future that reads `path`; nothing happens until it is polled, and
    /// nothing borrows yet (point 1): it may be moved until it is pinned.
    pub fn new(path: impl AsRef<Path>) -> Self {
        ReadFile {
            state: State::Start,
            path: path.as_ref().to_owned(),
            _pinned: PhantomPinned,
        }
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

    /// The two fields, projected by hand from the pin: the state to change,
    /// and the path to borrow (point 3: a shared borrow only).
    fn project(self: Pin<&mut Self>) -> (&mut State, &PathBuf) {
        // SAFETY: `get_unchecked_mut` is sound when nothing is moved out of
        // the `&mut` it gives. We only split it into a `&mut` to `state`
        // (whose values we overwrite in place, never moving the `ReadFile`)
        // and a shared borrow of `path`, which nothing ever mutates. That
        // the `&mut ReadFile` coexists with `state`'s borrow of `path` is
        // point 5: a `&mut` to a `!Unpin` type is not assumed unique.
        let this = unsafe { self.get_unchecked_mut() };
        (&mut this.state, &this.path)
    }
}

// ANCHOR: read_file_poll
impl Future for ReadFile {
    type Output = io::Result<String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<String>> {
        let (state, path) = self.project();
        // exercise: loop over the states: start the open, then the read, returning Pending while a step is pending
        loop {
            match state {
                State::Start => {
                    // SAFETY: this lengthens the borrow of our own `path`
                    // from this call to the life of the `ReadFile`. It holds
                    // because the `ReadFile` is pinned (it stays at this
                    // address until dropped), it is dropped after `state`
                    // (point 2), and it is never mutated (point 3).
                    let path: SelfBorrow = unsafe { &*(path as *const PathBuf) };
                    *state = State::Opening {
                        path,
                        open: open(path),
                    };
                }
                // `Blocking` is `Unpin`, so `Pin::new` may pin it where it lies.
                State::Opening { path, open } => match ready!(Pin::new(open).poll(cx)) {
                    Ok(file) => {
                        *state = State::Reading {
                            read: read_to_string(file, path),
                        }
                    }
                    Err(error) => {
                        *state = State::Done;
                        return Poll::Ready(Err(error));
                    }
                },
                State::Reading { read } => {
                    let text = ready!(Pin::new(read).poll(cx));
                    *state = State::Done;
                    return Poll::Ready(text);
                }
                State::Done => {
                    panic!(
                        "ReadFile polled after it returned Ready: a finished future must not be polled again"
                    )
                }
            }
        }
        // end exercise
    }
}
// ANCHOR_END: read_file_poll
