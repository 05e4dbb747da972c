//! The stage 3 demo's transcript, with the times and poll counts that vary filtered out.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use socket_sim::demo::TIME_FILTERS;

#[test]
fn demo_transcript() {
    let (done, transcript) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let summary = busy_executor::demo::run(&mut out, Duration::from_millis(100)).unwrap();
        done.send((String::from_utf8(out).unwrap(), summary)).unwrap();
    });
    let (transcript, summary) =
        transcript.recv_timeout(Duration::from_secs(30)).expect("the demo did not finish in 30 s");
    let mut filters = TIME_FILTERS.to_vec();
    filters.push((r"[\d,]+ polls", "[many] polls"));
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(transcript);
    });

    // Two sockets on the busy executor, traced: polls in their thousands.
    assert_eq!(summary.futures, Some(2));
    assert!(summary.polls.unwrap() > 1_000, "{:?} polls", summary.polls);
    assert!(summary.took.cpu_share() > 0.5, "a busy loop: {}", summary.took);
    assert!(!summary.trace.unwrap().is_empty());
}
