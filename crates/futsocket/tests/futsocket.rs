//! FutSocket's contract: Ready when readable; otherwise the newest waker is
//! registered and woken; a clear panic when polled after Ready; and two
//! polls per socket on any executor.
//!
//! The sockets wait on a paused clock (`lab::clock`) that the tests move
//! themselves, or that moves on whenever a run is idle: whether a poll finds
//! its socket ready never depends on the machine's load. Every test that
//! builds a socket pauses the clock, so they take turns. (The race between a
//! poll and the real timer thread is `tests/race.rs`'s.)

use std::cell::RefCell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futsocket::FutSocket;
use futures_executor::LocalPool;
use futures_util::FutureExt;
use futures_util::task::LocalSpawnExt;
use lab::clock;
use lab::measure::{PollCounter, WakeCounter};
use lab::patience::panic_message;
use socket_sim::{DEFAULT_DELAY, MySocket};
use waker_executor::{Observed, Wakers};

const DELAY: Duration = Duration::from_millis(50);

fn fut_socket(delay: Duration, value: i32) -> FutSocket {
    FutSocket::from(MySocket::builder().delay(delay).value(value))
}

fn poll_with(future: &mut FutSocket, waker: &Waker) -> Poll<i32> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

#[test]
fn a_readable_socket_is_ready_at_the_first_poll_and_keeps_no_waker() {
    // A delay of 0: readable from the moment it is built, on any clock.
    let socket = MySocket::builder().delay(Duration::ZERO).value(5).build();
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
    let paused = clock::pause();
    let counter = WakeCounter::new();
    let mut future = fut_socket(DELAY, 7);
    assert_eq!(poll_with(&mut future, &counter.waker()), Poll::Pending);
    assert_eq!(
        counter.live_wakers(),
        1,
        "the socket should hold a clone of the waker"
    );
    paused.advance(DELAY);
    assert_eq!(counter.wakes(), 1, "not woken at its deadline");
    assert_eq!(
        poll_with(&mut future, &counter.waker()),
        Poll::Ready(7),
        "woken, yet not ready"
    );
}

#[test]
fn the_newest_waker_is_the_one_woken() {
    let paused = clock::pause();
    let (older, newest) = (WakeCounter::new(), WakeCounter::new());
    let mut future = fut_socket(DELAY, 7);
    assert_eq!(poll_with(&mut future, &older.waker()), Poll::Pending);
    assert_eq!(
        poll_with(&mut future, &newest.waker()),
        Poll::Pending,
        "polled again, from another task"
    );
    assert_eq!(older.live_wakers(), 0, "the older waker should be dropped");
    paused.advance(DELAY);
    assert_eq!((older.wakes(), newest.wakes()), (0, 1));
}

#[test]
fn polling_after_ready_is_a_clear_panic() {
    let mut future = fut_socket(Duration::ZERO, 1);
    assert_eq!(poll_with(&mut future, Waker::noop()), Poll::Ready(1));
    let payload = panic::catch_unwind(AssertUnwindSafe(|| poll_with(&mut future, Waker::noop())))
        .unwrap_err();
    assert_eq!(
        panic_message(payload),
        "FutSocket polled after it returned Ready: a finished future must not be polled again"
    );
}

#[test]
fn new_uses_the_default_delay_and_a_builder_starts_the_delay_at_once() {
    let paused = clock::pause();
    // The tests leave SOCKET_SIM_DELAY_MS unset: the default is 2 s.
    let mut default = FutSocket::new();
    let mut future = fut_socket(DELAY, 3);
    // Not polled: the delay runs anyway, from the moment it was built.
    paused.advance(DELAY);
    assert_eq!(poll_with(&mut future, Waker::noop()), Poll::Ready(3));
    assert_eq!(poll_with(&mut default, Waker::noop()), Poll::Pending);
    paused.advance(DEFAULT_DELAY - DELAY);
    assert!(poll_with(&mut default, Waker::noop()).is_ready());
}

#[test]
fn runs_on_this_workspaces_executor_and_on_futures_with_two_polls_per_socket() {
    let paused = clock::pause();
    let values = [11, 22, 33];
    let sockets = move || values.map(|value| fut_socket(DELAY * (4 - value as u32 / 11), value));

    for wakers in [Wakers::Wake, Wakers::RawVtable] {
        let report =
            paused.auto_advance(move || Observed::new().wakers(wakers).run(Vec::from(sockets())));
        assert_eq!(report.outputs, values, "{wakers:?}");
        assert_eq!(report.stats.polls, 6, "{wakers:?}");
    }

    let (value, polls) = paused.auto_advance(move || {
        let counter = PollCounter::new();
        let [first, ..] = sockets();
        (
            futures_executor::block_on(counter.count(first)),
            counter.polls(),
        )
    });
    assert_eq!((value, polls), (11, 2), "block_on");

    let (outputs, polls) = paused.auto_advance(move || {
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
        (outputs.take(), counter.polls())
    });
    // The shortest delay finishes first.
    assert_eq!(outputs, [33, 22, 11], "LocalPool");
    assert_eq!(polls, 6, "LocalPool");
}

#[test]
fn ten_thousand_fut_sockets_run_with_two_polls_each_and_never_look_stuck() {
    const N: usize = 10_000;
    let paused = clock::pause();
    let delay = Duration::from_secs(3);
    let (outputs, stats) = paused.auto_advance(move || {
        waker_executor::run_with_stats((0..N as i32).map(|i| fut_socket(delay, i)).collect())
    });
    assert_eq!(outputs, (0..N as i32).collect::<Vec<_>>());
    assert_eq!(stats.polls, 2 * N as u64);

    let polls = paused.auto_advance(move || {
        let counter = PollCounter::new();
        let mut pool = LocalPool::new();
        for i in 0..N as i32 {
            pool.spawner()
                .spawn_local(counter.count(fut_socket(delay, i)).map(drop))
                .unwrap();
        }
        pool.run();
        counter.polls()
    });
    assert_eq!(polls, 2 * N as u64, "LocalPool");
}
