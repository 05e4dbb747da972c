//! The stage 5 demo's transcript, with the times that vary filtered out.

#[test]
fn demo_transcript() {
    let (_, summary) = lab::demo::assert_transcript!(futsocket::demo::run, &[]);

    // Two FutSockets on the waker executor, traced: two polls each, a CPU at rest.
    assert_eq!((summary.futures, summary.polls), (Some(2), Some(4)));
    assert!(
        summary.took.cpu_share() < 0.05,
        "the executor should sleep: {}",
        summary.took
    );
    assert_eq!(
        summary.trace.unwrap().len(),
        6,
        "Pending, wake and Ready for each socket"
    );
}
