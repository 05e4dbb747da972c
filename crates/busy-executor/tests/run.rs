//! The busy executor's contract: outputs in input order, every poll counted,
//! no poll after Ready, and one delay for any number of sockets.
//!
//! Sockets wait on a paused clock (`lab::clock`) that moves on only once
//! every socket has been polled and holds a waker, so that "one delay" is
//! exact and no count depends on the machine's load. Every test that builds
//! a socket pauses the clock, so they take turns; every run is bounded.

use std::time::Duration;

use busy_executor::{run, run_traced, run_with_stats};
use lab::clock;
use lab::patience::within_patience;
use lab::trace::EventKind;
use simple_future::{Poll, SimpleFuture, SocketFuture};
use socket_sim::MySocket;

const DELAY: Duration = Duration::from_millis(100);

/// Pending `left` more times, then Ready with its name; panics if polled
/// after that.
struct Countdown {
    name: &'static str,
    left: u32,
    finished: bool,
}

fn countdown(name: &'static str, left: u32) -> Countdown {
    Countdown {
        name,
        left,
        finished: false,
    }
}

impl SimpleFuture for Countdown {
    type Output = &'static str;

    fn poll(&mut self, _wake: fn()) -> Poll<&'static str> {
        assert!(!self.finished, "{} polled after Ready", self.name);
        if self.left == 0 {
            self.finished = true;
            return Poll::Ready(self.name);
        }
        self.left -= 1;
        Poll::Pending
    }
}

fn socket(delay: Duration, value: i32) -> SocketFuture {
    SocketFuture::from(MySocket::builder().delay(delay).value(value).build())
}

#[test]
fn outputs_come_back_in_input_order_whatever_order_they_finish_in() {
    let paused = clock::pause();
    // The later in the input, the sooner ready.
    let outputs = paused.auto_advance(|| {
        let futures = (0..5)
            .map(|i| socket(Duration::from_millis(10) * (5 - i as u32), i))
            .collect();
        run(futures)
    });
    assert_eq!(outputs, [0, 1, 2, 3, 4]);
    let outputs = within_patience(|| {
        run(vec![
            countdown("slow", 9),
            countdown("quick", 0),
            countdown("middle", 4),
        ])
    });
    assert_eq!(outputs, ["slow", "quick", "middle"]);
}

#[test]
fn every_poll_is_counted_and_a_finished_future_is_never_polled_again() {
    let (outputs, stats) = within_patience(|| {
        run_with_stats(vec![
            countdown("a", 3),
            countdown("b", 5),
            countdown("c", 0),
        ])
    });
    assert_eq!(outputs, ["a", "b", "c"]);
    // Each is polled until its Ready and no more: 4 + 6 + 1.
    assert_eq!(stats.polls, 11);
    assert_eq!(
        stats.wakes, 0,
        "the busy executor does not listen for wakes"
    );
}

#[test]
fn no_futures_no_polls() {
    let (outputs, stats) = within_patience(|| run_with_stats(Vec::<Countdown>::new()));
    assert!(outputs.is_empty());
    assert_eq!(stats.polls, 0);
}

#[test]
fn ten_sockets_take_one_delay() {
    let paused = clock::pause();
    let (outputs, stats) = paused.auto_advance(|| {
        let futures = (0..10).map(|i| socket(DELAY, i)).collect();
        run_with_stats(futures)
    });
    assert_eq!(outputs, (0..10).collect::<Vec<_>>());
    assert_eq!(paused.now(), DELAY, "one delay for ten sockets");
    // Each was Pending at least once (the clock stood still until all ten
    // were polled), then Ready.
    assert!(stats.polls >= 20, "only {} polls", stats.polls);
}

#[test]
fn a_trace_records_each_poll_of_each_task() {
    let (outputs, stats, trace) =
        within_patience(|| run_traced(vec![countdown("a", 2), countdown("b", 0)]));
    assert_eq!(outputs, ["a", "b"]);
    // A trace counts a task's events in a row as one when they come within a
    // millisecond of each other, which depends on the machine: so each event
    // is unfolded into its count here, and each task's are checked in turn
    // (a merged event stands where its first one happened).
    let kinds: Vec<_> = trace
        .iter()
        .flat_map(|event| std::iter::repeat_n((event.task, event.kind), event.count as usize))
        .collect();
    let of = |task| -> Vec<EventKind> {
        kinds
            .iter()
            .filter(|(t, _)| *t == task)
            .map(|(_, kind)| *kind)
            .collect()
    };
    assert_eq!(
        of(0),
        [EventKind::Pending, EventKind::Pending, EventKind::Ready]
    );
    assert_eq!(of(1), [EventKind::Ready]);
    assert_eq!(stats.polls, 4);
}
