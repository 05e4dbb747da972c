//! The stage 6 demo's transcript, with the times and sizes that vary filtered out.

use std::time::Duration;

#[test]
fn demo_transcript() {
    // Sizes of futures depend on the compiler's layout choices.
    let (_, summary) = lab::demo::assert_transcript!(
        async_await_demo::demo::run,
        &[(
            r"future \d+ bytes, ReadFile \d+ bytes",
            "future [n] bytes, ReadFile [n] bytes",
        )]
    );

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
