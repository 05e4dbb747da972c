//! The async fns over sockets, and the hand-written join: how many delays
//! they take, order, polls, and the same results on any executor.
//!
//! The sockets wait on a paused clock (`lab::clock`), which moves on only
//! when every task has been polled and every socket holds a waker: "two
//! delays" and "one" are exact, and no count depends on the machine's load.
//! Every test that builds a socket pauses the clock, so they take turns.

use std::future::{self, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_await_demo::{
    get_num, get_num_with, get_two_concurrent_with, get_two_sequential_with, join,
};
use futures_executor::ThreadPool;
use lab::clock;
use lab::measure::PollCounter;
use lab::patience::{PATIENCE, panic_message};
use socket_sim::{DEFAULT_DELAY, MySocket, SocketBuilder};
use waker_executor::{Observed, Wakers};

const DELAY: Duration = Duration::from_millis(100);

fn socket(value: i32) -> SocketBuilder {
    MySocket::builder().delay(DELAY).value(value)
}

#[test]
fn awaiting_in_turn_takes_two_delays_and_joining_takes_one() {
    let paused = clock::pause();
    let (pair, stats) = paused.auto_advance(|| {
        waker_executor::run_with_stats(vec![get_two_sequential_with(socket(1), socket(2))])
    });
    assert_eq!(pair, [(1, 2)]);
    assert_eq!(paused.now(), 2 * DELAY, "in turn: two delays");
    // Pending at the first socket, Pending at the second, Ready.
    assert_eq!(stats.polls, 3);

    let start = paused.now();
    let pair = paused
        .auto_advance(|| waker_executor::block_on(get_two_concurrent_with(socket(1), socket(2))));
    assert_eq!(pair, (1, 2));
    assert_eq!(paused.now() - start, DELAY, "together: one delay");
}

#[test]
fn join_keeps_its_order_whichever_finishes_first_and_polls_each_until_ready_only() {
    let paused = clock::pause();
    let (slow_polls, quick_polls) = (PollCounter::new(), PollCounter::new());
    let (slow, quick) = (slow_polls.clone(), quick_polls.clone());
    let (joined, stats) = paused.auto_advance(move || {
        let slow = slow.count(Box::pin(get_num_with(socket(1).delay(DELAY * 2))));
        let quick = quick.count(Box::pin(get_num_with(socket(2))));
        waker_executor::run_with_stats(vec![join(slow, quick)])
    });
    assert_eq!(joined, [(1, 2)], "outputs in argument order");
    // The join is polled at the start and once per socket; the quick
    // socket is not polled again once it is ready.
    assert_eq!(
        (stats.polls, slow_polls.polls(), quick_polls.polls()),
        (3, 3, 2)
    );
}

#[test]
fn join_polled_after_ready_panics_naming_the_contract() {
    let mut joined = join(future::ready(1), future::ready(2));
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(Pin::new(&mut joined).poll(&mut cx), Poll::Ready((1, 2)));
    let payload =
        panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut joined).poll(&mut cx))).unwrap_err();
    let message = panic_message(payload);
    assert_eq!(
        message,
        "Join polled after it returned Ready: a finished future must not be polled again"
    );
}

#[test]
fn the_same_async_fns_run_on_every_executor_with_the_same_results() {
    let paused = clock::pause();
    for wakers in [Wakers::Wake, Wakers::RawVtable] {
        let pairs = paused.auto_advance(move || {
            Observed::new()
                .wakers(wakers)
                .run(vec![get_two_concurrent_with(socket(1), socket(2))])
        });
        assert_eq!(pairs.outputs, [(1, 2)], "{wakers:?}");
    }
    let pair = paused
        .auto_advance(|| futures_executor::block_on(get_two_sequential_with(socket(3), socket(4))));
    assert_eq!(pair, (3, 4));
    let pair = paused
        .auto_advance(|| futures_executor::block_on(get_two_concurrent_with(socket(5), socket(6))));
    assert_eq!(pair, (5, 6));

    let mut pairs = paused.auto_advance(|| {
        let pool = ThreadPool::builder().pool_size(2).create().unwrap();
        let (sender, receiver) = mpsc::channel();
        for (a, b) in [(7, 8), (9, 10)] {
            let sender = sender.clone();
            let pair = get_two_concurrent_with(socket(a), socket(b));
            pool.spawn_ok(async move { sender.send(pair.await).unwrap() });
        }
        [(); 2].map(|()| {
            receiver
                .recv_timeout(PATIENCE)
                .expect("the pool ran the tasks")
        })
    });
    pairs.sort();
    assert_eq!(pairs, [(7, 8), (9, 10)], "ThreadPool");
}

#[test]
fn get_num_waits_for_a_socket_with_the_default_delay() {
    // The tests leave SOCKET_SIM_DELAY_MS unset: the default is 2 s.
    let paused = clock::pause();
    let mut future = Box::pin(get_num());
    let mut poll = || {
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    };
    assert_eq!(poll(), Poll::Pending);
    paused.advance(DEFAULT_DELAY - Duration::from_nanos(1));
    assert_eq!(poll(), Poll::Pending);
    paused.advance(Duration::from_nanos(1));
    assert!(poll().is_ready());
}
