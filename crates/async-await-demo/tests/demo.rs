//! The stage 6 demo's transcript, with the times and sizes that vary filtered out.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let (transcript, summary) = transcript(async_await_demo::demo::run, Duration::from_millis(100));
    let mut filters = TIME_FILTERS.to_vec();
    // Sizes of futures depend on the compiler's layout choices.
    filters.push((
        r"future \d+ bytes, ReadFile \d+ bytes",
        "future [n] bytes, ReadFile [n] bytes",
    ));
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(transcript);
    });

    // The two socket async fns side by side, traced: three polls each.
    assert_eq!((summary.futures, summary.polls), (Some(2), Some(6)));
    assert!(
        summary.took.cpu_share() < 0.05,
        "the executor should sleep: {}",
        summary.took
    );
    assert!(
        summary.took.wall >= Duration::from_millis(200),
        "two delays in turn: {}",
        summary.took
    );
}
