//! The stage 7 demo's transcript, with the times that vary filtered out, and
//! what its main run measured.

#[test]
fn demo_transcript() {
    let delay = lab::demo::TEST_DELAY;
    // Where the open-file limit is low (macOS: 256), fewer connections are
    // served, and the demo says so: the snapshot keeps what is the same
    // everywhere, and the echoes are counted below.
    let (transcript, summary) = lab::demo::assert_transcript!(
        mini_runtime::demo::run,
        &[
            (
                r"(?m)^  \(the open-file limit stopped it at \d+ connections.*\n",
                "",
            ),
            (
                r"\b\d+ of \d+ echoes came back whole",
                "all echoes came back whole"
            ),
        ]
    );

    let echoes = transcript
        .lines()
        .find(|line| line.contains(" echoes came back whole"))
        .unwrap();
    let counts: Vec<&str> = echoes.split_whitespace().take(3).collect();
    assert_eq!(counts[0], counts[2], "some echoes were lost: {echoes}");

    // Two real sockets read with join: the later answers two delays in.
    assert_eq!((summary.futures, summary.polls), (Some(2), Some(5)));
    assert!(summary.took.wall >= 2 * delay, "{}", summary.took);
    assert!(
        summary.took.cpu_share() < 0.2,
        "the thread should sleep in the reactor: {}",
        summary.took
    );
    let trace = summary.trace.unwrap();
    let kinds: Vec<_> = trace.iter().map(|event| (event.task, event.kind)).collect();
    use lab::trace::EventKind::{Pending, Ready, Wake};
    assert_eq!(
        kinds,
        [
            (0, Pending),
            (1, Pending),
            (0, Wake),
            (0, Ready),
            (1, Pending),
            (1, Wake),
            (1, Ready)
        ],
        "each read: Pending, woken by the reactor, Ready"
    );
}
