//! The point of waking: while sockets wait, the executor thread sleeps and
//! the CPU stays idle. Alone in its test binary, because CPU time is counted
//! per process.

use std::future::Future;
use std::time::{Duration, Instant};

use socket_sim::MySocket;
use support::readable;

mod support;
use waker_executor::{Observed, Wakers};

fn socket(delay: Duration, seed: u64) -> impl Future<Output = i32> {
    readable(MySocket::builder().delay(delay).seed(seed).build())
}

#[test]
fn a_long_wait_costs_under_one_percent_of_a_core() {
    let delay = Duration::from_millis(500);
    for wakers in [Wakers::Wake, Wakers::RawVtable] {
        let start = Instant::now();
        let futures = (0..10).map(|seed| socket(delay, seed)).collect();
        let report = Observed::new().wakers(wakers).run(futures);
        let took = report.stats.measurement();
        // The delays started as the sockets were built, just before `run` started its clock.
        assert!(
            start.elapsed() >= delay && took.wall <= start.elapsed(),
            "{took}"
        );
        assert!(
            took.cpu_share() < 0.01,
            "{wakers:?}: the executor should sleep while it waits: {took}"
        );
        assert_eq!(report.stats.polls, 20, "{wakers:?}: two polls per socket");
    }
}
