//! The stage 6 demo's transcript, with the times and sizes that vary
//! filtered out. Its sockets wait on a paused clock that moves on whenever
//! the demo is idle (`socket_sim::demo::transcript`), so each task's polls
//! and wakes come in the same order and number on any machine.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use lab::trace::EventKind;
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let (transcript, summary) = transcript(async_await_demo::demo::run, Duration::from_millis(100));
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(transcript);
    });

    // The two socket async fns side by side, traced: three polls each.
    assert_eq!((summary.futures, summary.polls), (Some(2), Some(6)));
    let kinds = |task| -> Vec<EventKind> {
        let trace = summary.trace.as_ref().expect("traced");
        trace
            .iter()
            .filter(|event| event.task == task)
            .map(|event| event.kind)
            .collect()
    };
    use EventKind::{Pending, Ready, Wake};
    assert_eq!(kinds(0), [Pending, Wake, Pending, Wake, Ready], "in turn");
    assert_eq!(kinds(1), [Pending, Wake, Pending, Wake, Ready], "joined");
}

/// What varies from run to run, hidden from the snapshot.
fn filters() -> Vec<(&'static str, &'static str)> {
    let mut filters = TIME_FILTERS.to_vec();
    filters.push(
        // Sizes of futures depend on the compiler's layout choices.
        (
            r"future \d+ bytes, ReadFile \d+ bytes",
            "future [n] bytes, ReadFile [n] bytes",
        ),
    );
    filters
}

/// The run the book shows (`tests/demo_run.txt`, one real run on one
/// machine) is this demo's, but for what the filters hide. After a change
/// to the demo, run it again into that file:
/// `SOCKET_SIM_DELAY_MS=100 cargo run -q -p async-await-demo > crates/async-await-demo/tests/demo_run.txt`.
#[test]
fn the_books_run_is_what_this_demo_prints() {
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("demo_transcript", include_str!("demo_run.txt"));
    });
}
