//! The stage 1 demo: its transcript, with the times that vary filtered out,
//! and what its main run measured.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use socket_sim::demo::TIME_FILTERS;

#[test]
fn demo_transcript() {
    let (done, transcript) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let summary = socket_sim::demo::run(&mut out, Duration::from_millis(100)).unwrap();
        done.send((String::from_utf8(out).unwrap(), summary)).unwrap();
    });
    // A timer thread that never fires would leave the demo spinning forever.
    let (transcript, summary) =
        transcript.recv_timeout(Duration::from_secs(30)).expect("the demo did not finish in 30 s");
    insta::with_settings!({ filters => TIME_FILTERS.to_vec() }, {
        insta::assert_snapshot!(transcript);
    });

    // The hardcoded pair: one delay, a core busy all along.
    assert_eq!((summary.futures, summary.polls), (None, None));
    assert!(summary.took.wall >= Duration::from_millis(100), "{}", summary.took);
    assert!(summary.took.cpu_share() > 0.5, "a busy wait: {}", summary.took);
}
