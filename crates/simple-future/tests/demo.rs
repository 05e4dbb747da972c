//! The stage 2 demo's transcript, with the times and busy counts that vary filtered out.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use socket_sim::demo::TIME_FILTERS;

#[test]
fn demo_transcript() {
    let (done, transcript) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let summary = simple_future::demo::run(&mut out, Duration::from_millis(100)).unwrap();
        done.send((String::from_utf8(out).unwrap(), summary)).unwrap();
    });
    let (transcript, summary) =
        transcript.recv_timeout(Duration::from_secs(30)).expect("the demo did not finish in 30 s");
    let mut filters = TIME_FILTERS.to_vec();
    filters.push((r"Pending [\d,]+ times", "Pending [many] times"));
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(transcript);
    });

    // One SocketFuture polled by hand: a Pending answer per turn of the loop.
    assert_eq!(summary.futures, Some(1));
    assert!(summary.polls.unwrap() > 1_000, "{:?} polls", summary.polls);
    assert!(summary.took.cpu_share() > 0.5, "a busy loop: {}", summary.took);
}
