//! Waiting on FutSockets leaves the CPU idle, on any executor. Alone in its
//! test binary, because CPU time is counted per process; on the real clock,
//! since CPU time is its subject.

use std::time::Duration;

use futsocket::FutSocket;
use futures_executor::LocalPool;
use futures_util::FutureExt;
use futures_util::task::LocalSpawnExt;
use lab::measure::{ASLEEP, marginal_share, measure};
use lab::patience::within_patience;
use socket_sim::MySocket;

fn sockets(n: u64, delay: Duration) -> impl Iterator<Item = FutSocket> {
    (0..n).map(move |seed| FutSocket::from(MySocket::builder().delay(delay).seed(seed)))
}

/// A short wait and one six times as long, on each executor: what the long
/// one costs beyond the short one is what waiting costs, and a sleeping
/// executor's is near 0 whatever the machine's load (see
/// `lab::measure::marginal_share`).
#[test]
fn waiting_longer_costs_next_to_no_more_cpu_on_either_executor() {
    let (short, long) = (Duration::from_millis(100), Duration::from_millis(700));
    let ours = |delay| {
        measure(|| within_patience(move || waker_executor::run(sockets(10, delay).collect()))).1
    };
    let theirs = |delay| {
        measure(|| {
            within_patience(move || {
                let mut pool = LocalPool::new();
                sockets(10, delay)
                    .for_each(|socket| pool.spawner().spawn_local(socket.map(drop)).unwrap());
                pool.run();
            })
        })
        .1
    };
    for (name, run) in [
        (
            "waker-executor",
            &ours as &dyn Fn(Duration) -> lab::measure::Measurement,
        ),
        ("LocalPool", &theirs),
    ] {
        let (short, long) = (run(short), run(long));
        let marginal = marginal_share(short, long);
        assert!(
            marginal < ASLEEP,
            "{name}: 600 ms more of waiting cost {:.2}% of a core ({short}, then {long})",
            100.0 * marginal
        );
    }
}
