//! SocketFuture and ReadTwoInTurn, polled by hand, on a paused clock
//! (`lab::clock`) that the tests move themselves: whether a poll finds its
//! socket ready is decided by the test, never by how soon the machine ran
//! the timer. Every test that builds a socket pauses the clock, so they take
//! turns.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lab::clock;
use lab::patience::{panic_message, wait_until};
use simple_future::{Poll, ReadTwoInTurn, SimpleFuture, SocketFuture};
use socket_sim::{DEFAULT_DELAY, MySocket, SocketBuilder};

const DELAY: Duration = Duration::from_millis(50);
const NANOSECOND: Duration = Duration::from_nanos(1);

fn socket(value: i32) -> SocketBuilder {
    MySocket::builder().delay(DELAY).value(value)
}

fn ignore_wake() {}

/// Polls `future` with `wake` until it is Ready (bounded by
/// `lab::patience`); returns the output and how many polls it took.
fn poll_until_ready<F: SimpleFuture>(future: &mut F, wake: fn()) -> (F::Output, u64) {
    let (mut output, mut polls) = (None, 0);
    wait_until("the future to be Ready", || {
        polls += 1;
        match future.poll(wake) {
            Poll::Ready(value) => output = Some(value),
            Poll::Pending => {}
        }
        output.is_some()
    });
    (output.expect("Ready"), polls)
}

/// The message of the panic `f` makes.
fn panics(f: impl FnOnce()) -> String {
    panic_message(panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic"))
}

#[test]
fn a_socket_future_is_pending_until_its_socket_is_readable_then_ready() {
    let paused = clock::pause();
    let mut future = SocketFuture::from(socket(7).build());
    assert_eq!(future.poll(ignore_wake), Poll::Pending);
    paused.advance(DELAY - NANOSECOND);
    assert_eq!(
        future.poll(ignore_wake),
        Poll::Pending,
        "a nanosecond early"
    );
    paused.advance(NANOSECOND);
    assert_eq!(future.poll(ignore_wake), Poll::Ready(7));
}

#[test]
fn a_pending_socket_future_has_wake_called_once_when_readable() {
    static WAKES: AtomicUsize = AtomicUsize::new(0);
    fn wake() {
        // SeqCst: a count the test reads, nothing more.
        WAKES.fetch_add(1, Ordering::SeqCst);
    }
    let paused = clock::pause();
    let mut future = SocketFuture::from(socket(7).build());
    assert_eq!(future.poll(wake), Poll::Pending);
    assert_eq!(
        future.poll(wake),
        Poll::Pending,
        "a second poll registers again"
    );
    assert_eq!(WAKES.load(Ordering::SeqCst), 0, "woken before its deadline");
    paused.advance(DELAY);
    // The clock woke the socket's waker before `advance` returned.
    assert_eq!(
        WAKES.load(Ordering::SeqCst),
        1,
        "woken once: the socket keeps only the newest waker"
    );
    assert_eq!(future.poll(wake), Poll::Ready(7), "woken, yet not ready");
}

#[test]
fn polling_a_finished_future_again_panics_naming_the_contract() {
    let mut future = SocketFuture::from(socket(7).delay(Duration::ZERO).build());
    assert_eq!(future.poll(ignore_wake), Poll::Ready(7));
    let message = panics(|| {
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
    assert_eq!(future.poll(ignore_wake), Poll::Ready((1, 2)));
    let message = panics(|| {
        future.poll(ignore_wake);
    });
    assert!(
        message.contains("ReadTwoInTurn polled after it returned Ready"),
        "{message}"
    );
}

#[test]
fn new_builds_a_socket_with_the_default_delay() {
    // The tests do not set SOCKET_SIM_DELAY_MS: the default is the article's 2 s.
    let paused = clock::pause();
    let mut future = SocketFuture::new();
    paused.advance(DEFAULT_DELAY - NANOSECOND);
    assert_eq!(future.poll(ignore_wake), Poll::Pending);
    paused.advance(NANOSECOND);
    assert!(matches!(future.poll(ignore_wake), Poll::Ready(_)));
}

#[test]
fn read_two_in_turn_waits_twice_keeping_its_place_and_polled_on_wake_needs_three_polls() {
    static WAKES: AtomicUsize = AtomicUsize::new(0);
    fn wake() {
        // SeqCst: a count the test reads, nothing more.
        WAKES.fetch_add(1, Ordering::SeqCst);
    }
    let paused = clock::pause();
    let mut future = ReadTwoInTurn::new(socket(1), socket(2));
    assert_eq!(future.poll(wake), Poll::Pending, "first socket");
    paused.advance(DELAY);
    assert_eq!(WAKES.load(Ordering::SeqCst), 1);
    assert_eq!(
        future.poll(wake),
        Poll::Pending,
        "second socket, built only now"
    );
    assert_eq!(
        paused.waiting().waiting,
        1,
        "the second socket waits, for a whole delay from now"
    );
    paused.advance(DELAY);
    assert_eq!(WAKES.load(Ordering::SeqCst), 2);
    assert_eq!(future.poll(wake), Poll::Ready((1, 2)));
    assert_eq!(paused.now(), 2 * DELAY, "two waits in turn: two delays");
}

#[test]
fn read_two_in_turn_polled_in_a_loop_also_gets_both_numbers() {
    let paused = clock::pause();
    // Polled in a loop on another thread; the clock moves on whenever both
    // of its sockets' wakes are registered and nothing else is at work.
    let (numbers, polls) = paused.auto_advance(|| {
        let mut future = ReadTwoInTurn::new(socket(-1), socket(-2));
        poll_until_ready(&mut future, ignore_wake)
    });
    assert_eq!(numbers, (-1, -2));
    assert!(
        polls >= 3,
        "Pending at each socket, then Ready: {polls} polls"
    );
}
