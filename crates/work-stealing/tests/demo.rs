//! The stage 9 demo's transcript, with the times that vary filtered out,
//! and what its main run (the forced steal) recorded, lane by lane.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use lab::trace::EventKind::{Pending, Ready};
use socket_sim::demo::transcript;

#[test]
fn demo_transcript() {
    let delay = Duration::from_millis(50);
    let (transcript, summary) = transcript(work_stealing::demo::run, delay);
    insta::with_settings!({ filters => TIME_FILTERS.to_vec() }, {
        insta::assert_snapshot!(transcript);
    });
    // The releaser sleeps (Pending), then releases (Ready), on one lane;
    // the spinner is polled once, Ready, on the other.
    let trace = summary.trace.unwrap();
    let mut lanes: Vec<Vec<_>> = vec![Vec::new(); 2];
    for event in &trace {
        lanes[event.task].push(event.kind);
    }
    lanes.sort_by_key(|lane| std::cmp::Reverse(lane.len()));
    assert_eq!(lanes, [vec![Pending, Ready], vec![Ready]], "{trace:?}");
}
