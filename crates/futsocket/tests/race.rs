//! The race that loses wake-ups in many hand-written futures, run against the
//! real timer thread: a socket may become readable between `poll`'s check
//! and its registration. Whenever a poll says Pending, a wake must follow.
//!
//! On the real clock, since the timer thread is the other side of the race;
//! a test binary of its own, so that no test pausing the clock runs beside it.

use std::future::Future;
use std::hint;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futsocket::FutSocket;
use lab::measure::WakeCounter;
use lab::patience::{PATIENCE, wait_until};
use socket_sim::MySocket;

/// Polls each socket at staggered moments around its deadline, until each
/// side of the deadline was hit 100 times (at least 3,000 rounds): how often
/// a round lands on which side depends on how soon the machine runs the
/// timer thread, so the test goes on until both sides were covered.
#[test]
fn a_poll_around_the_deadline_never_loses_the_wake_up() {
    const SIDE: usize = 100;
    let delay = Duration::from_micros(100);
    let (mut pending, mut ready) = (0, 0);
    let start = Instant::now();
    for round in 0u64.. {
        if round >= 3_000 && pending >= SIDE && ready >= SIDE {
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "in {PATIENCE:?}, {pending} polls before the deadline and {ready} after it: \
             fewer than {SIDE} on one side"
        );
        let mut future = FutSocket::from(MySocket::builder().delay(delay).value(1));
        let built = Instant::now();
        let lead = Duration::from_micros(round % 40 * 10);
        while built.elapsed() < lead {
            hint::spin_loop();
        }
        let counter = WakeCounter::new();
        match Pin::new(&mut future).poll(&mut Context::from_waker(&counter.waker())) {
            Poll::Ready(_) => ready += 1,
            Poll::Pending => {
                pending += 1;
                wait_until(
                    &format!("the wake-up after a Pending poll, {lead:?} after the build"),
                    || counter.wait_for(1, Duration::from_millis(20)),
                );
            }
        }
    }
}
