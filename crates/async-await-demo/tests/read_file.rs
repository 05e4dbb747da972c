//! `read_file` and `ReadFile` agree on every text and every error, pass the
//! same await points in the same order, and share one executor thread. Every
//! run is bounded by `lab::patience`: the jobs run on helper threads.

use std::fs;
use std::future::Future;
use std::io::{self, ErrorKind};
use std::mem;
use std::path::{Path, PathBuf};
use std::task::{Context, Waker};

use async_await_demo::blocking::JobPoll;
use async_await_demo::demo::step_through;
use async_await_demo::{ReadFile, read_file};
use lab::patience::{panic_message, wait_until, within_patience};

/// A directory of its own for each test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("poll-to-await-{}-{test}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Reads `path` both ways, checks that they agree, and gives the result.
fn read_both(path: &Path) -> io::Result<String> {
    let owned = path.to_owned();
    let (by_async, by_hand) = within_patience(move || {
        (
            waker_executor::block_on(read_file(&owned)),
            waker_executor::block_on(ReadFile::new(&owned)),
        )
    });
    match (&by_async, &by_hand) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{path:?}"),
        (Err(a), Err(b)) => {
            assert_eq!(a.kind(), b.kind(), "{path:?}");
            assert_eq!(a.to_string(), b.to_string(), "{path:?}");
        }
        _ => panic!("{path:?}: the async fn gave {by_async:?}, the state machine {by_hand:?}"),
    }
    by_async
}

#[test]
fn both_read_the_same_texts() {
    let scratch = Scratch::new("texts");
    let large: String = (0..100_000).map(|i| format!("line {i}\n")).collect();
    for (name, text) in [
        ("empty.txt", ""),
        ("small.txt", "hello\n"),
        ("accents.txt", "Grüße, ✓, 東京\n"),
        ("large.txt", &large),
    ] {
        assert_eq!(
            read_both(&scratch.file(name, text.as_bytes())).unwrap(),
            text,
            "{name}"
        );
    }
}

#[test]
fn both_fail_alike_with_the_right_kind_and_the_path_named() {
    let scratch = Scratch::new("errors");
    let missing = scratch.0.join("missing.txt");
    let not_utf8 = scratch.file("latin1.txt", b"caf\xe9\n");
    for (path, kind, action) in [
        (&missing, ErrorKind::NotFound, "open"),
        (&scratch.0, ErrorKind::IsADirectory, "read"),
        (&not_utf8, ErrorKind::InvalidData, "read"),
    ] {
        let error = read_both(path).unwrap_err();
        assert_eq!(error.kind(), kind, "{path:?}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("cannot {action} {}: ", path.display())),
            "{message}"
        );
        let source = error
            .get_ref()
            .and_then(|inner| inner.source())
            .expect("the OS error as source");
        assert!(
            source
                .downcast_ref::<io::Error>()
                .is_some_and(|os| os.kind() == kind),
            "{source:?}"
        );
    }
}

#[test]
fn the_state_machine_passes_the_same_await_points_in_the_same_order() {
    let scratch = Scratch::new("trace");
    let path = scratch.file("trace.txt", b"traced\n");

    let mut by_async: Vec<Vec<JobPoll>> = Vec::new();
    let text = step_through(read_file(&path), |jobs, _| by_async.push(jobs.to_vec()));
    assert_eq!(text.unwrap(), "traced\n");

    let (mut by_hand, mut states) = (Vec::new(), Vec::new());
    let text = step_through(ReadFile::new(&path), |jobs, future| {
        by_hand.push(jobs.to_vec());
        states.push(future.state());
    });
    assert_eq!(text.unwrap(), "traced\n");

    let job = |job, ready| JobPoll { job, ready };
    let expected = [
        vec![job("open", false)],                    // stops at `open(..).await`
        vec![job("open", true), job("read", false)], // on to `read_to_string(..).await`
        vec![job("read", true)],                     // and to the end
    ];
    assert_eq!(by_async, expected, "the async fn");
    assert_eq!(by_hand, expected, "the state machine");
    assert_eq!(states, ["Opening", "Reading", "Done"]);
}

#[test]
fn a_failed_open_ends_both_at_the_first_await_point() {
    let scratch = Scratch::new("failed-open");
    let missing = scratch.0.join("missing.txt");
    let mut states = Vec::new();
    let error = step_through(ReadFile::new(&missing), |_, future| {
        states.push(future.state())
    })
    .unwrap_err();
    assert_eq!(
        (error.kind(), states),
        (ErrorKind::NotFound, vec!["Opening", "Done"])
    );
    let mut polls = 0;
    assert!(step_through(read_file(&missing), |_, _| polls += 1).is_err());
    assert_eq!(polls, 2);
}

#[test]
fn many_reads_share_one_executor_thread_with_three_polls_each() {
    let scratch = Scratch::new("many");
    let paths: Vec<PathBuf> = (0..100)
        .map(|i| scratch.file(&format!("{i}.txt"), format!("file {i}").as_bytes()))
        .collect();
    let expected: Vec<String> = (0..100).map(|i| format!("file {i}")).collect();

    let futures = paths.iter().map(ReadFile::new).collect();
    let (texts, stats) = within_patience(move || waker_executor::run_with_stats(futures));
    assert_eq!(
        texts.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(stats.polls, 300, "ReadFile: poll, open done, read done");

    let futures: Vec<_> = paths.iter().cloned().map(read_file).collect();
    let (texts, stats) = within_patience(move || waker_executor::run_with_stats(futures));
    assert_eq!(
        texts.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(stats.polls, 300, "read_file");
}

#[test]
fn nothing_happens_before_the_first_poll_and_a_poll_after_ready_panics() {
    let mut future = Box::pin(ReadFile::new("poll-to-await-no-such-file.txt"));
    assert_eq!(
        future.state(),
        "Start",
        "a future does nothing until polled"
    );
    let (mut future, outcome) = within_patience(move || {
        let outcome = waker_executor::block_on(future.as_mut());
        (future, outcome)
    });
    assert!(outcome.is_err());
    assert_eq!(future.state(), "Done");
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }))
    .unwrap_err();
    let message = panic_message(payload);
    assert_eq!(
        message,
        "ReadFile polled after it returned Ready: a finished future must not be polled again"
    );
}

#[test]
fn both_futures_are_small() {
    // A state and the data live across an await point, inline: no thread,
    // no stack of its own.
    let by_async = mem::size_of_val(&read_file("x"));
    let by_hand = mem::size_of_val(&ReadFile::new("x"));
    assert!(
        by_async <= 256 && by_hand <= 256,
        "async fn {by_async} bytes, ReadFile {by_hand} bytes"
    );
}

#[test]
fn both_futures_go_to_another_thread_before_their_first_poll_and_in_their_box_between_polls() {
    // `Send`, like the async fn's future: its borrow is a `&PathBuf`.
    fn send<F: Future + Send + 'static>(future: F) -> F {
        future
    }
    let scratch = Scratch::new("send");
    let path = scratch.file("send.txt", b"sent\n");

    // Before the first poll, the future itself may move: nothing borrows yet.
    let (by_hand, by_async) = (send(ReadFile::new(&path)), send(read_file(path.clone())));
    let texts = within_patience(move || {
        (
            waker_executor::block_on(by_hand),
            waker_executor::block_on(by_async),
        )
    });
    assert_eq!(
        (texts.0.unwrap(), texts.1.unwrap()),
        ("sent\n".to_owned(), "sent\n".to_owned())
    );

    // Once polled, it borrows from itself and must stay where it is; what
    // moves to the other thread between its polls is the box that pins it.
    let mut by_hand = Box::pin(send(ReadFile::new(&path)));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(by_hand.as_mut().poll(&mut cx).is_pending());
    assert_eq!(by_hand.state(), "Opening", "its state borrows its path now");
    let mut by_async = Box::pin(send(read_file(path.clone())));
    assert!(by_async.as_mut().poll(&mut cx).is_pending());
    let texts = within_patience(move || {
        (
            waker_executor::block_on(by_hand),
            waker_executor::block_on(by_async),
        )
    });
    assert_eq!(
        (texts.0.unwrap(), texts.1.unwrap()),
        ("sent\n".to_owned(), "sent\n".to_owned())
    );
}

#[test]
fn a_pinned_read_file_polled_then_dropped_midway_frees_everything() {
    // Dropped at each await point in turn: `state` (holding the borrow) goes
    // before `path`. Valgrind and Miri check the memory side of this.
    let scratch = Scratch::new("dropped");
    let path = scratch.file("dropped.txt", b"dropped\n");
    for stop_after in 1..=2 {
        let mut future = Box::pin(ReadFile::new(&path));
        let mut polls = 0;
        let woken = lab::measure::WakeCounter::new();
        let waker = woken.waker();
        while polls < stop_after {
            assert!(
                future
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending()
            );
            polls += 1;
            wait_until(&format!("a wake after poll {polls}"), || {
                woken.wait_for(polls, std::time::Duration::from_millis(20))
            });
        }
        assert_eq!(future.state(), ["Opening", "Reading"][stop_after - 1]);
        drop(future);
    }
}
