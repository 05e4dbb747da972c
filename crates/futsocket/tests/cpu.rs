//! Waiting on FutSockets leaves the CPU idle, on any executor. Alone in its
//! test binary, because CPU time is counted per process; on the real clock,
//! since CPU time is its subject. A load only lowers the shares: the waits
//! get longer, not busier.

use std::time::Duration;

use futsocket::FutSocket;
use futures_executor::LocalPool;
use futures_util::FutureExt;
use futures_util::task::LocalSpawnExt;
use lab::measure::measure;
use lab::patience::within_patience;
use socket_sim::MySocket;

fn sockets(n: u64) -> impl Iterator<Item = FutSocket> {
    (0..n).map(|seed| {
        FutSocket::from(
            MySocket::builder()
                .delay(Duration::from_millis(400))
                .seed(seed),
        )
    })
}

#[test]
fn a_long_wait_costs_under_one_percent_of_a_core_on_either_executor() {
    let (_, ours) = measure(|| within_patience(|| waker_executor::run(sockets(10).collect())));
    assert!(ours.cpu_share() < 0.01, "waker-executor: {ours}");

    let (_, theirs) = measure(|| {
        within_patience(|| {
            let mut pool = LocalPool::new();
            sockets(10).for_each(|socket| pool.spawner().spawn_local(socket.map(drop)).unwrap());
            pool.run();
        })
    });
    assert!(theirs.cpu_share() < 0.01, "LocalPool: {theirs}");
}
