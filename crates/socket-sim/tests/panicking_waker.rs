//! A waker that panics in `wake()` stops nothing but itself: the one timer
//! thread catches the panic, says so, and goes on with every other socket.
//!
//! A test binary of its own, since the timer is process-wide. What the
//! timer prints is checked in a child process (this same binary, run again
//! with `PANICKING_WAKER_CHILD` set): the timer thread was started by a
//! test thread and writes into that test's captured output, not ours.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use lab::measure::WakeCounter;
use socket_sim::MySocket;
use support::woken;

mod support;

const CHILD: &str = "PANICKING_WAKER_CHILD";

struct Panics;

impl Wake for Panics {
    fn wake(self: Arc<Self>) {
        panic!("this waker is broken on purpose");
    }
}

#[test]
fn a_waker_that_panics_does_not_stop_the_other_sockets() {
    // The broken waker must be woken by the timer thread: registered on a
    // socket that is readable already, it would panic here, at once. A
    // loaded machine can hold this thread up past the deadline, so the
    // registration is tried again on a new socket until it comes first.
    let broken = loop {
        let socket = MySocket::builder()
            .delay(Duration::from_millis(50))
            .value(1)
            .build();
        let registered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            socket.set_readable_callback(Waker::from(Arc::new(Panics)))
        }));
        if registered.is_ok() {
            break socket;
        }
    };
    support::wait_for_readable(&broken);

    // Sockets built after the panic, and one built before it that is due after.
    let delay = Duration::from_millis(50);
    let built = Instant::now();
    let later = MySocket::builder().delay(delay).value(2).build();
    let counter = WakeCounter::new();
    later.set_readable_callback(counter.waker());
    woken(&counter, 1);
    let took = built.elapsed();
    assert!(took >= delay, "woken after {took:?}, before its delay");
    assert_eq!(later.read_data(), 2);
    if std::env::var_os(CHILD).is_some() {
        eprintln!("child: all sockets served");
    }
}

#[test]
fn the_panic_is_reported_and_the_timer_says_it_goes_on() {
    if std::env::var_os(CHILD).is_some() {
        return; // the child runs the test above only
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_waker_that_panics_does_not_stop_the_other_sockets",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The child's own waits are bounded; this bounds the child as a whole.
    let output = support::within_patience(move || child.wait_with_output().unwrap());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the child failed:\n{stderr}");
    assert!(
        stderr.contains("this waker is broken on purpose"),
        "the panic hook's line is missing:\n{stderr}"
    );
    assert!(
        stderr.contains("the timer goes on with the other sockets"),
        "the timer said nothing:\n{stderr}"
    );
    assert!(
        stderr.contains("child: all sockets served"),
        "the child did not get to the end:\n{stderr}"
    );
}
