//! The stage 6 demo's transcript, with the times and sizes that vary
//! filtered out. Its sockets wait on a paused clock that moves on whenever
//! the demo is idle (`socket_sim::demo::transcript`), so each task's polls
//! and wakes come in the same order and number on any machine.

use std::time::Duration;

use lab::demo::TIME_FILTERS;
use lab::trace::EventKind;
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
    let kinds = |task| -> Vec<EventKind> {
        let trace = summary.trace.as_ref().expect("traced");
        trace
            .iter()
            .filter(|event| event.task == task)
            .map(|event| event.kind)
            .collect()
    };
    use EventKind::{Pending, Ready, Wake};
    assert_eq!(kinds(0), [Pending, Wake, Pending, Wake, Ready], "in turn");
    assert_eq!(kinds(1), [Pending, Wake, Pending, Wake, Ready], "joined");
}
