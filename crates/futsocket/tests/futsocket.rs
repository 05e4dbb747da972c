//! FutSocket's contract: Ready when readable; otherwise the newest waker is
//! registered and woken, with no lost wake-up; a clear panic when polled after
//! Ready; and two polls per socket on any executor.

use std::cell::RefCell;
use std::future::Future;
use std::hint;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futsocket::FutSocket;
use futures_executor::LocalPool;
use futures_util::FutureExt;
use futures_util::task::LocalSpawnExt;
use lab::measure::{PollCounter, WakeCounter};
use socket_sim::MySocket;
use waker_executor::{Observed, Wakers};

const DELAY: Duration = Duration::from_millis(50);
const PATIENCE: Duration = Duration::from_secs(20);

fn fut_socket(delay: Duration, value: i32) -> FutSocket {
    FutSocket::from(MySocket::builder().delay(delay).value(value))
}

fn poll_with(future: &mut FutSocket, waker: &Waker) -> Poll<i32> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Polls with a waker that wakes nobody until Ready.
fn poll_until_ready(future: &mut FutSocket) -> i32 {
    let start = Instant::now();
    loop {
        if let Poll::Ready(value) = poll_with(future, Waker::noop()) {
            return value;
        }
        assert!(start.elapsed() < PATIENCE, "not ready after {PATIENCE:?}");
    }
}

#[test]
fn a_readable_socket_is_ready_at_the_first_poll_and_keeps_no_waker() {
    let socket = MySocket::builder().delay(Duration::ZERO).value(5).build();
    let start = Instant::now();
    while !socket.has_data_to_read() {
        assert!(start.elapsed() < PATIENCE, "never readable");
    }
    let counter = WakeCounter::new();
    assert_eq!(
        poll_with(&mut FutSocket::from(socket), &counter.waker()),
        Poll::Ready(5)
    );
    assert_eq!(
        (counter.wakes(), counter.live_wakers()),
        (0, 0),
        "a ready socket needs no waker"
    );
}

#[test]
fn a_pending_socket_keeps_a_clone_of_the_waker_and_wakes_it_when_readable() {
    let counter = WakeCounter::new();
    let mut future = fut_socket(DELAY, 7);
    assert_eq!(poll_with(&mut future, &counter.waker()), Poll::Pending);
    assert_eq!(
        counter.live_wakers(),
        1,
        "the socket should hold a clone of the waker"
    );
    assert!(counter.wait_for(1, PATIENCE), "never woken");
    assert_eq!(
        poll_with(&mut future, &counter.waker()),
        Poll::Ready(7),
        "woken, yet not ready"
    );
}

#[test]
fn the_newest_waker_is_the_one_woken() {
    let (older, newest) = (WakeCounter::new(), WakeCounter::new());
    let mut future = fut_socket(DELAY, 7);
    assert_eq!(poll_with(&mut future, &older.waker()), Poll::Pending);
    assert_eq!(
        poll_with(&mut future, &newest.waker()),
        Poll::Pending,
        "polled again, from another task"
    );
    assert_eq!(older.live_wakers(), 0, "the older waker should be dropped");
    assert!(newest.wait_for(1, PATIENCE));
    std::thread::sleep(DELAY);
    assert_eq!((older.wakes(), newest.wakes()), (0, 1));
}

/// Polls each socket at staggered moments around its deadline: whenever a
/// poll says Pending, a wake must follow.
#[test]
fn a_poll_around_the_deadline_never_loses_the_wake_up() {
    let delay = Duration::from_micros(100);
    let (mut pending, mut ready) = (0, 0);
    for round in 0..3_000u64 {
        let mut future = fut_socket(delay, 1);
        let built = Instant::now();
        let lead = Duration::from_micros(round % 40 * 10);
        while built.elapsed() < lead {
            hint::spin_loop();
        }
        let counter = WakeCounter::new();
        match poll_with(&mut future, &counter.waker()) {
            Poll::Ready(_) => ready += 1,
            Poll::Pending => {
                pending += 1;
                assert!(
                    counter.wait_for(1, PATIENCE),
                    "round {round}: Pending, and the wake-up was lost"
                );
            }
        }
    }
    assert!(
        pending > 0 && ready > 0,
        "all polls on one side of the deadline: {pending} pending, {ready} ready"
    );
}

#[test]
fn polling_after_ready_is_a_clear_panic() {
    let mut future = fut_socket(Duration::ZERO, 1);
    poll_until_ready(&mut future);
    let payload = panic::catch_unwind(AssertUnwindSafe(|| poll_with(&mut future, Waker::noop())))
        .unwrap_err();
    let message = payload
        .downcast::<&str>()
        .map(|message| *message)
        .unwrap_or_default();
    assert_eq!(
        message,
        "FutSocket polled after it returned Ready: a finished future must not be polled again"
    );
}

#[test]
fn new_uses_the_default_delay_and_a_builder_starts_the_delay_at_once() {
    // The tests leave SOCKET_SIM_DELAY_MS unset: the default is 2 s.
    assert_eq!(
        poll_with(&mut FutSocket::new(), Waker::noop()),
        Poll::Pending
    );
    let mut future = fut_socket(DELAY, 3);
    std::thread::sleep(DELAY * 2); // not polled: the delay runs anyway
    let counter = WakeCounter::new();
    let start = Instant::now();
    while poll_with(&mut future, &counter.waker()).is_pending() {
        assert!(start.elapsed() < PATIENCE);
    }
}

#[test]
fn runs_on_this_workspaces_executor_and_on_futures_with_two_polls_per_socket() {
    let values = [11, 22, 33];
    let sockets = || values.map(|value| fut_socket(DELAY * (4 - value as u32 / 11), value));

    for wakers in [Wakers::Wake, Wakers::RawVtable] {
        let report = Observed::new().wakers(wakers).run(Vec::from(sockets()));
        assert_eq!(report.outputs, values, "{wakers:?}");
        assert_eq!(report.stats.polls, 6, "{wakers:?}");
    }

    let counter = PollCounter::new();
    let [first, ..] = sockets();
    assert_eq!(futures_executor::block_on(counter.count(first)), 11);
    assert_eq!(counter.polls(), 2, "block_on");

    let (counter, outputs) = (PollCounter::new(), Rc::new(RefCell::new(Vec::new())));
    let mut pool = LocalPool::new();
    for socket in sockets() {
        let outputs = Rc::clone(&outputs);
        let task = counter
            .count(socket)
            .map(move |value| outputs.borrow_mut().push(value));
        pool.spawner().spawn_local(task).unwrap();
    }
    pool.run();
    // The shortest delay finishes first.
    assert_eq!(*outputs.borrow(), [33, 22, 11], "LocalPool");
    assert_eq!(counter.polls(), 6, "LocalPool");
}

#[test]
fn ten_thousand_fut_sockets_run_with_two_polls_each_and_never_look_stuck() {
    const N: usize = 10_000;
    // Long enough that none is ready at its first poll, even under valgrind,
    // where building and spawning 10,000 of them can take over half a second.
    let delay = Duration::from_secs(3);
    let (outputs, stats) =
        waker_executor::run_with_stats((0..N as i32).map(|i| fut_socket(delay, i)).collect());
    assert_eq!(outputs, (0..N as i32).collect::<Vec<_>>());
    assert_eq!(stats.polls, 2 * N as u64);

    let counter = PollCounter::new();
    let mut pool = LocalPool::new();
    for i in 0..N as i32 {
        pool.spawner()
            .spawn_local(counter.count(fut_socket(delay, i)).map(drop))
            .unwrap();
    }
    pool.run();
    assert_eq!(counter.polls(), 2 * N as u64, "LocalPool");
}
