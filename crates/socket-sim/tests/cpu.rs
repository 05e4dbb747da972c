//! What waiting costs: busy waits keep a core busy for the whole wait, and a
//! wait on a waker leaves it idle, because the timer thread sleeps too.
//!
//! CPU time is real time's, so these run on the real clock (how many delays
//! each wait takes is checked on a paused clock, in `tests/paused.rs`). A
//! busy wait is told from a sleeping one by setting the two side by side in
//! the same test: on a loaded machine both shares shrink, the ratio stays.
//! CPU time is process-wide, so the tests here take turns (`SERIAL`).

use std::sync::Mutex;
use std::time::Duration;

use lab::measure::{ASLEEP, WakeCounter, clearly_busier, marginal_share, measure, sleeping_for};
use socket_sim::{MySocket, get_2_num_async_hardcode_with, get_num_sync_with};
use support::{within_patience, woken};

mod support;

const DELAY: Duration = Duration::from_millis(200);
static SERIAL: Mutex<()> = Mutex::new(());

fn socket(seed: u64) -> socket_sim::SocketBuilder {
    MySocket::builder().delay(DELAY).seed(seed)
}

#[test]
fn a_sync_read_takes_one_delay_with_a_core_busy() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (_, took) = within_patience(|| measure(|| get_num_sync_with(socket(1))));
    assert!(took.wall >= DELAY, "{took}: shorter than the delay");
    let sleeping = sleeping_for(DELAY);
    assert!(
        clearly_busier(took, sleeping),
        "a busy wait should keep a core busy: {took}, against {sleeping} asleep"
    );
}

#[test]
fn two_sync_reads_and_the_hardcoded_pair_keep_a_core_busy_too() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let ((first, second), sync) = within_patience(|| {
        measure(|| (get_num_sync_with(socket(1)), get_num_sync_with(socket(2))))
    });
    let (pair, together) =
        within_patience(|| measure(|| get_2_num_async_hardcode_with(socket(1), socket(2))));
    assert_eq!(pair, (first, second), "same seeds, same numbers");
    // The second socket is built only after the first is read.
    assert!(sync.wall >= 2 * DELAY, "{sync}: shorter than two delays");
    assert!(together.wall >= DELAY, "{together}: shorter than the delay");
    let sleeping = sleeping_for(DELAY);
    assert!(
        clearly_busier(sync, sleeping),
        "the sync reads busy-wait: {sync}, against {sleeping} asleep"
    );
    assert!(
        clearly_busier(together, sleeping),
        "the hardcoded pair busy-waits too: {together}, against {sleeping} asleep"
    );
}

/// A short wait and one six times as long: what the long one costs beyond
/// the short one is what waiting costs, near 0 when both this thread and
/// the timer thread sleep, whatever the machine's load (see
/// `lab::measure::marginal_share`).
#[test]
fn waiting_on_a_waker_leaves_the_cpu_idle() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let wait = |delay: Duration| {
        let counter = WakeCounter::new();
        let ((), took) = measure(|| {
            let socket = MySocket::builder().delay(delay).seed(1).build();
            socket.set_readable_callback(counter.waker());
            woken(&counter, 1);
        });
        assert!(took.wall >= delay, "{took}: shorter than the delay");
        took
    };
    let (short, long) = (wait(DELAY), wait(6 * DELAY));
    let marginal = marginal_share(short, long);
    assert!(
        marginal < ASLEEP,
        "waiting on a waker for 1 s more cost {:.2}% of a core ({short}, then {long})",
        100.0 * marginal
    );
}
