//! The cost of the busy loop: the CPU is busy for the whole wait. Alone in
//! its test binary, because CPU time is counted per process; on the real
//! clock, since CPU time is its subject. Busy is told from asleep by setting
//! the two side by side in the same test: on a loaded machine both shares
//! shrink, the ratio stays.

use std::time::Duration;

use busy_executor::run_with_stats;
use lab::measure::{clearly_busier, sleeping_for};
use lab::patience::within_patience;
use simple_future::SocketFuture;
use socket_sim::MySocket;

#[test]
fn waiting_for_sockets_keeps_a_core_busy_the_whole_time() {
    let delay = Duration::from_millis(200);
    let (_, stats) = within_patience(move || {
        let futures = (0..10)
            .map(|seed| SocketFuture::from(MySocket::builder().delay(delay).seed(seed).build()));
        run_with_stats(futures.collect())
    });
    let took = stats.measurement();
    let sleeping = sleeping_for(delay);
    assert!(
        clearly_busier(took, sleeping),
        "the busy loop should keep a core busy: {took}, against {sleeping} asleep"
    );
    // Even a tenth of a core (a test niced below two busy processes) polls
    // thousands of times in 200 ms; a loop that slept would poll 20.
    assert!(stats.polls > 1_000, "only {} polls in {took}", stats.polls);
}
