//! The stop signal and the count of open connections, polled by hand with
//! counting wakers: a raise from another thread wakes every waiter once,
//! a waiter repolled by its own task costs no new waker, a dropped waiter
//! is never woken, and the last connection to close wakes whoever waits.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;

use http_server::Shutdown;
use http_server::shutdown::Connections;
use lab::measure::WakeCounter;
use lab::patience::PATIENCE;

/// Polls `future` once with a waker of `counter`.
fn poll<F: Future + ?Sized>(future: Pin<&mut F>, counter: &Arc<WakeCounter>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(&counter.waker()))
}

#[test]
fn a_raise_from_another_thread_wakes_every_waiter_once() {
    let shutdown = Shutdown::new();
    let counters: Vec<_> = (0..3).map(|_| WakeCounter::new()).collect();
    let mut waits: Vec<_> = counters.iter().map(|_| Box::pin(shutdown.wait())).collect();
    for (wait, counter) in waits.iter_mut().zip(&counters) {
        assert_eq!(poll(wait.as_mut(), counter), Poll::Pending);
        // One waker in the table, and its twin the waiter compares with.
        assert_eq!(counter.live_wakers(), 2);
        // Polled again by the same task: no new waker.
        assert_eq!(poll(wait.as_mut(), counter), Poll::Pending);
        assert_eq!(counter.live_wakers(), 2);
    }
    let raiser = shutdown.clone();
    thread::spawn(move || raiser.raise()).join().unwrap();
    for (wait, counter) in waits.iter_mut().zip(&counters) {
        assert!(counter.wait_for(1, PATIENCE), "woken by the raise");
        assert_eq!(poll(wait.as_mut(), counter), Poll::Ready(()));
        assert_eq!(counter.wakes(), 1, "once");
    }
    assert!(shutdown.is_raised());
}

#[test]
fn a_wait_after_the_raise_is_ready_at_once() {
    let shutdown = Shutdown::new();
    shutdown.raise();
    let counter = WakeCounter::new();
    assert_eq!(poll(pin!(shutdown.wait()), &counter), Poll::Ready(()));
    assert_eq!(counter.live_wakers(), 0, "no waker kept");
}

#[test]
fn a_dropped_waiter_is_not_woken_and_leaves_no_waker() {
    let shutdown = Shutdown::new();
    let counter = WakeCounter::new();
    let mut wait = Box::pin(shutdown.wait());
    assert_eq!(poll(wait.as_mut(), &counter), Poll::Pending);
    drop(wait);
    assert_eq!(counter.live_wakers(), 0, "its waker left the table");
    shutdown.raise();
    assert_eq!(counter.wakes(), 0);
}

#[test]
fn the_last_connection_to_close_wakes_the_waiter() {
    let connections = Connections::new();
    let (first, second) = (connections.open(), connections.open());
    assert_eq!(connections.open_now(), 2);
    let counter = WakeCounter::new();
    let mut closed = Box::pin(connections.all_closed());
    assert_eq!(poll(closed.as_mut(), &counter), Poll::Pending);
    drop(first);
    assert_eq!(counter.wakes(), 0, "one is still open");
    thread::spawn(move || drop(second)).join().unwrap();
    assert!(counter.wait_for(1, PATIENCE), "woken by the last close");
    assert_eq!(poll(closed.as_mut(), &counter), Poll::Ready(()));
    assert_eq!(connections.open_now(), 0);
}
