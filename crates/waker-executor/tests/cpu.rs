//! The point of waking: while sockets wait, the executor thread sleeps and
//! the CPU stays idle. Alone in its test binary, because CPU time is counted
//! per process; on the real clock, since CPU time is its subject. (That each
//! socket takes exactly two polls is checked on a paused clock, in
//! `tests/executor.rs`: here a loaded machine may let a socket be ready at
//! its first poll.)

use std::future::Future;
use std::time::{Duration, Instant};

use lab::measure::{ASLEEP, marginal_share};
use lab::patience::within_patience;
use socket_sim::MySocket;
use support::readable;

mod support;
use waker_executor::{Observed, Wakers};

fn socket(delay: Duration, seed: u64) -> impl Future<Output = i32> {
    readable(MySocket::builder().delay(delay).seed(seed).build())
}

/// A short wait and one six times as long: what the long one costs beyond
/// the short one is what waiting costs, and a sleeping executor's is near 0
/// whatever the machine's load (see `lab::measure::marginal_share`).
#[test]
fn waiting_longer_costs_next_to_no_more_cpu_the_executor_sleeps() {
    let (short, long) = (Duration::from_millis(100), Duration::from_millis(700));
    for wakers in [Wakers::Wake, Wakers::RawVtable] {
        let run = |delay: Duration| {
            let start = Instant::now();
            let report = within_patience(move || {
                let futures = (0..10).map(|seed| socket(delay, seed)).collect();
                Observed::new().wakers(wakers).run(futures)
            });
            let took = report.stats.measurement();
            // The delays started as the sockets were built, just before `run` started its clock.
            assert!(
                start.elapsed() >= delay && took.wall <= start.elapsed(),
                "{took}"
            );
            let polls = report.stats.polls;
            assert!(
                (10..=20).contains(&polls),
                "{wakers:?}: {polls} polls, more than two per socket"
            );
            took
        };
        let (short, long) = (run(short), run(long));
        let marginal = marginal_share(short, long);
        assert!(
            marginal < ASLEEP,
            "{wakers:?}: 600 ms more of waiting cost {:.2}% of a core ({short}, then {long}): \
             the executor should sleep while it waits",
            100.0 * marginal
        );
    }
}
