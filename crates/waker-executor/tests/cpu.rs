//! The point of waking: while sockets wait, the executor thread sleeps and
//! the CPU stays idle. Alone in its test binary, because CPU time is counted
//! per process; on the real clock, since CPU time is its subject. (That each
//! socket takes exactly two polls is checked on a paused clock, in
//! `tests/executor.rs`: here a loaded machine may let a socket be ready at
//! its first poll.)

use std::future::Future;
use std::time::{Duration, Instant};

use lab::patience::within_patience;
use socket_sim::MySocket;
use support::readable;

mod support;
use waker_executor::{Executor, Wakers};

fn socket(delay: Duration, seed: u64) -> impl Future<Output = i32> {
    readable(MySocket::builder().delay(delay).seed(seed).build())
}

#[test]
fn a_long_wait_costs_under_one_percent_of_a_core() {
    let delay = Duration::from_millis(500);
    for wakers in [Wakers::Wake, Wakers::RawVtable] {
        let start = Instant::now();
        let report = within_patience(move || {
            let futures = (0..10).map(|seed| socket(delay, seed)).collect();
            Executor::new().wakers(wakers).run(futures)
        });
        let took = report.stats.measurement();
        // The delays started as the sockets were built, just before `run` started its clock.
        assert!(
            start.elapsed() >= delay && took.wall <= start.elapsed(),
            "{took}"
        );
        // A load only lowers the share: the wait gets longer, not busier.
        assert!(
            took.cpu_share() < 0.01,
            "{wakers:?}: the executor should sleep while it waits: {took}"
        );
        let polls = report.stats.polls;
        assert!(
            (10..=20).contains(&polls),
            "{wakers:?}: {polls} polls, more than two per socket"
        );
    }
}
