//! The stage 9 demo's transcript, with the times that vary filtered out,
//! and what its main run (the forced steal) recorded, lane by lane.

use lab::trace::EventKind::{Pending, Ready, Wake};

#[test]
fn demo_transcript() {
    let (_, summary) = lab::demo::assert_transcript!(work_stealing::demo::run, &[]);
    // The releaser (lane 0) sleeps, is woken by its timer and releases; the
    // spinner (lane 1, on the other worker) is polled once, and is Ready.
    let trace = summary.trace.unwrap();
    let mut lanes: Vec<Vec<_>> = vec![Vec::new(); 2];
    for event in &trace {
        lanes[event.task].push(event.kind);
    }
    assert_eq!(
        lanes,
        [vec![Pending, Wake, Ready], vec![Ready]],
        "{trace:?}"
    );
}
