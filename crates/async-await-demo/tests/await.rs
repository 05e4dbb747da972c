//! The async fns over sockets, and the hand-written join: timing, order,
//! polls, and the same results on any executor.

use std::future::{self, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_await_demo::{
    get_num, get_num_with, get_two_concurrent_with, get_two_sequential_with, join,
};
use futures_executor::ThreadPool;
use lab::measure::PollCounter;
use socket_sim::{MySocket, SocketBuilder};
use waker_executor::{Observed, Wakers};

const DELAY: Duration = Duration::from_millis(100);
const SLACK: Duration = Duration::from_millis(300);

fn socket(value: i32) -> SocketBuilder {
    MySocket::builder().delay(DELAY).value(value)
}

#[test]
fn awaiting_in_turn_takes_two_delays_and_joining_takes_one() {
    let start = Instant::now();
    let (pair, stats) =
        waker_executor::run_with_stats(vec![get_two_sequential_with(socket(1), socket(2))]);
    let sequential = start.elapsed();
    assert_eq!(pair, [(1, 2)]);
    assert!(
        sequential >= 2 * DELAY && sequential < 2 * DELAY + SLACK,
        "in turn: {sequential:?}"
    );
    // Pending at the first socket, Pending at the second, Ready.
    assert_eq!(stats.polls, 3);

    let start = Instant::now();
    let pair = waker_executor::block_on(get_two_concurrent_with(socket(1), socket(2)));
    let concurrent = start.elapsed();
    assert_eq!(pair, (1, 2));
    assert!(
        concurrent >= DELAY && concurrent < DELAY + SLACK,
        "together: {concurrent:?}"
    );
}

#[test]
fn join_keeps_its_order_whichever_finishes_first_and_polls_each_until_ready_only() {
    let (slow_polls, quick_polls) = (PollCounter::new(), PollCounter::new());
    let slow = slow_polls.count(Box::pin(get_num_with(socket(1).delay(DELAY * 2))));
    let quick = quick_polls.count(Box::pin(get_num_with(socket(2))));
    let (joined, stats) = waker_executor::run_with_stats(vec![join(slow, quick)]);
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
    let message = payload
        .downcast::<&str>()
        .map(|message| *message)
        .unwrap_or_default();
    assert_eq!(
        message,
        "Join polled after it returned Ready: a finished future must not be polled again"
    );
}

#[test]
fn the_same_async_fns_run_on_every_executor_with_the_same_results() {
    for wakers in [Wakers::Wake, Wakers::RawVtable] {
        let pairs = Observed::new()
            .wakers(wakers)
            .run(vec![get_two_concurrent_with(socket(1), socket(2))]);
        assert_eq!(pairs.outputs, [(1, 2)], "{wakers:?}");
    }
    assert_eq!(
        futures_executor::block_on(get_two_sequential_with(socket(3), socket(4))),
        (3, 4)
    );
    assert_eq!(
        futures_executor::block_on(get_two_concurrent_with(socket(5), socket(6))),
        (5, 6)
    );

    let pool = ThreadPool::builder().pool_size(2).create().unwrap();
    let (sender, receiver) = mpsc::channel();
    for (a, b) in [(7, 8), (9, 10)] {
        let sender = sender.clone();
        let pair = get_two_concurrent_with(socket(a), socket(b));
        pool.spawn_ok(async move { sender.send(pair.await).unwrap() });
    }
    let mut pairs = [receiver.recv().unwrap(), receiver.recv().unwrap()];
    pairs.sort();
    assert_eq!(pairs, [(7, 8), (9, 10)], "ThreadPool");
}

#[test]
fn get_num_waits_for_a_socket_with_the_default_delay() {
    // The tests leave SOCKET_SIM_DELAY_MS unset: the default is 2 s.
    let mut future = Box::pin(get_num());
    assert_eq!(
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop())),
        Poll::Pending
    );
}
