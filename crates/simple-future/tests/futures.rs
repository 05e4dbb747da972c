//! SocketFuture and ReadTwoInTurn, polled by hand.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use simple_future::{Poll, ReadTwoInTurn, SimpleFuture, SocketFuture};
use socket_sim::{MySocket, SocketBuilder};

const DELAY: Duration = Duration::from_millis(50);
const SLACK: Duration = Duration::from_millis(250);
const PATIENCE: Duration = Duration::from_secs(10);

fn socket(value: i32) -> SocketBuilder {
    MySocket::builder().delay(DELAY).value(value)
}

fn ignore_wake() {}

/// Polls `future` with `wake` until it is Ready, at most for `PATIENCE`;
/// returns the output and how many polls it took.
fn poll_until_ready<F: SimpleFuture>(future: &mut F, wake: fn()) -> (F::Output, u64) {
    let start = Instant::now();
    for polls in 1.. {
        if let Poll::Ready(output) = future.poll(wake) {
            return (output, polls);
        }
        assert!(start.elapsed() < PATIENCE, "not ready after {PATIENCE:?}");
    }
    unreachable!()
}

/// Spins until `count` reaches `wakes`, at most for `PATIENCE`.
fn wait_for(count: &AtomicUsize, wakes: usize) {
    let start = Instant::now();
    while count.load(Ordering::SeqCst) < wakes {
        assert!(
            start.elapsed() < PATIENCE,
            "woken {} times, not {wakes}",
            count.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(1));
    }
}

fn panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn a_socket_future_is_pending_until_its_socket_is_readable_then_ready() {
    let start = Instant::now();
    let mut future = SocketFuture::from(socket(7).build());
    assert_eq!(future.poll(ignore_wake), Poll::Pending);
    let (value, polls) = poll_until_ready(&mut future, ignore_wake);
    assert_eq!(value, 7);
    assert!(start.elapsed() >= DELAY, "ready before its delay");
    assert!(
        polls > 1,
        "ready at the first poll of the loop, though pending just before"
    );
}

#[test]
fn a_pending_socket_future_has_wake_called_once_when_readable() {
    static WAKES: AtomicUsize = AtomicUsize::new(0);
    fn wake() {
        WAKES.fetch_add(1, Ordering::SeqCst);
    }
    let mut future = SocketFuture::from(socket(7).build());
    assert_eq!(future.poll(wake), Poll::Pending);
    assert_eq!(
        future.poll(wake),
        Poll::Pending,
        "a second poll registers again"
    );
    wait_for(&WAKES, 1);
    assert_eq!(future.poll(wake), Poll::Ready(7), "woken, yet not ready");
    thread::sleep(DELAY);
    assert_eq!(
        WAKES.load(Ordering::SeqCst),
        1,
        "the socket keeps only the newest waker"
    );
}

#[test]
fn polling_a_finished_future_again_panics_naming_the_contract() {
    let mut future = SocketFuture::from(socket(7).delay(Duration::ZERO).build());
    poll_until_ready(&mut future, ignore_wake);
    let message = panic_message(|| {
        future.poll(ignore_wake);
    });
    assert!(
        message.contains("SocketFuture polled after it returned Ready"),
        "{message}"
    );

    let mut future = ReadTwoInTurn::new(
        socket(1).delay(Duration::ZERO),
        socket(2).delay(Duration::ZERO),
    );
    poll_until_ready(&mut future, ignore_wake);
    let message = panic_message(|| {
        future.poll(ignore_wake);
    });
    assert!(
        message.contains("ReadTwoInTurn polled after it returned Ready"),
        "{message}"
    );
}

#[test]
fn new_builds_a_socket_with_the_default_delay() {
    // The default delay is 2 s (the tests do not set SOCKET_SIM_DELAY_MS).
    let mut future = SocketFuture::new();
    assert_eq!(future.poll(ignore_wake), Poll::Pending);
}

#[test]
fn read_two_in_turn_waits_twice_keeping_its_place_and_polled_on_wake_needs_three_polls() {
    static WAKES: AtomicUsize = AtomicUsize::new(0);
    fn wake() {
        WAKES.fetch_add(1, Ordering::SeqCst);
    }
    let start = Instant::now();
    let mut future = ReadTwoInTurn::new(socket(1), socket(2));
    assert_eq!(future.poll(wake), Poll::Pending, "first socket");
    wait_for(&WAKES, 1);
    assert_eq!(
        future.poll(wake),
        Poll::Pending,
        "second socket, built only now"
    );
    wait_for(&WAKES, 2);
    assert_eq!(future.poll(wake), Poll::Ready((1, 2)));
    let took = start.elapsed();
    assert!(
        took >= 2 * DELAY && took < 2 * DELAY + SLACK,
        "two waits in turn took {took:?}"
    );
}

#[test]
fn read_two_in_turn_polled_in_a_loop_also_gets_both_numbers() {
    let mut future = ReadTwoInTurn::new(socket(-1), socket(-2));
    let (numbers, polls) = poll_until_ready(&mut future, ignore_wake);
    assert_eq!(numbers, (-1, -2));
    assert!(polls >= 3);
}
