//! The busy executor's contract: outputs in input order, every poll counted,
//! no poll after Ready, and about one delay for any number of sockets.

use std::time::{Duration, Instant};

use busy_executor::{run, run_traced, run_with_stats};
use lab::trace::EventKind;
use simple_future::{Poll, SimpleFuture, SocketFuture};
use socket_sim::MySocket;

const DELAY: Duration = Duration::from_millis(100);
const SLACK: Duration = Duration::from_millis(300);

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
    // The later in the input, the sooner ready.
    let futures = (0..5)
        .map(|i| socket(Duration::from_millis(10) * (5 - i as u32), i))
        .collect();
    assert_eq!(run(futures), [0, 1, 2, 3, 4]);
    assert_eq!(
        run(vec![
            countdown("slow", 9),
            countdown("quick", 0),
            countdown("middle", 4)
        ]),
        ["slow", "quick", "middle"]
    );
}

#[test]
fn every_poll_is_counted_and_a_finished_future_is_never_polled_again() {
    let (outputs, stats) = run_with_stats(vec![
        countdown("a", 3),
        countdown("b", 5),
        countdown("c", 0),
    ]);
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
    let (outputs, stats) = run_with_stats(Vec::<Countdown>::new());
    assert!(outputs.is_empty());
    assert_eq!(stats.polls, 0);
}

#[test]
fn ten_sockets_take_about_one_delay() {
    let start = Instant::now();
    let futures = (0..10).map(|i| socket(DELAY, i)).collect();
    // The delays started as the sockets were built, just before `run` started its clock.
    let built = start.elapsed();
    let (outputs, stats) = run_with_stats(futures);
    let took = start.elapsed();
    assert_eq!(outputs, (0..10).collect::<Vec<_>>());
    assert!(
        took >= DELAY && took < DELAY + SLACK,
        "10 sockets took {took:?}"
    );
    assert!(
        stats.wall <= took && stats.wall + built >= DELAY,
        "run measured {:?} of {took:?}",
        stats.wall
    );
    assert!(stats.polls > 10, "not one busy poll in a whole delay?");
}

#[test]
fn a_trace_records_each_poll_of_each_task() {
    let (outputs, stats, trace) = run_traced(vec![countdown("a", 2), countdown("b", 0)]);
    assert_eq!(outputs, ["a", "b"]);
    let events: Vec<_> = trace
        .iter()
        .map(|event| (event.task, event.kind, event.count))
        .collect();
    assert_eq!(
        events,
        [
            (0, EventKind::Pending, 2),
            (1, EventKind::Ready, 1),
            (0, EventKind::Ready, 1)
        ],
        "in order: a Pending, b Ready, a Pending, a Ready (a's two Pendings are one run)"
    );
    assert_eq!(stats.polls, 4);
}
