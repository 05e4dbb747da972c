//! The stage 5 demo's transcript, with the times that vary filtered out.
//! Its sockets wait on a paused clock that moves on whenever the demo is
//! idle (`socket_sim::demo::transcript`): no socket is ready at its first
//! poll, on any machine, so every executor takes its two polls per socket.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let (transcript, summary) = transcript(futsocket::demo::run, Duration::from_millis(100));
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!(transcript);
    });

    // Two FutSockets on the waker executor, traced: two polls each. (That
    // the CPU rests meanwhile is tests/cpu.rs's to show, on the real clock.)
    assert_eq!((summary.futures, summary.polls), (Some(2), Some(4)));
    assert_eq!(
        summary.trace.unwrap().len(),
        6,
        "Pending, wake and Ready for each socket"
    );
}

/// What varies from run to run, hidden from the snapshot.
fn filters() -> Vec<(&'static str, &'static str)> {
    TIME_FILTERS.to_vec()
}

/// The run the book shows (`tests/demo_run.txt`, one real run on one
/// machine) is this demo's, but for what the filters hide. After a change
/// to the demo, run it again into that file:
/// `SOCKET_SIM_DELAY_MS=100 cargo run -q -p futsocket > crates/futsocket/tests/demo_run.txt`.
#[test]
fn the_books_run_is_what_this_demo_prints() {
    insta::with_settings!({ filters => filters() }, {
        insta::assert_snapshot!("demo_transcript", include_str!("demo_run.txt"));
    });
}
