//! Waiting, for the tests of this stage: every wait has an end, and stops at
//! once if the timer thread has stopped (in a fork, its loop may still be a
//! `todo!()`), so that a broken timer fails the tests instead of hanging them.

// Each test binary uses its own share of these.
#![allow(dead_code)]

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use lab::measure::WakeCounter;
use socket_sim::{MySocket, timer_is_running};

/// The longest any test waits for something that should happen.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How often a wait looks at the timer thread.
const GLANCE: Duration = Duration::from_millis(50);

fn timer_must_run() {
    assert!(
        timer_is_running(),
        "the timer thread has stopped (its panic is above): no socket will become readable"
    );
}

/// Waits until `counter` was woken `wakes` times in all; false if that has
/// not happened within `PATIENCE`.
pub fn woken(counter: &WakeCounter, wakes: usize) -> bool {
    let start = Instant::now();
    while !counter.wait_for(wakes, GLANCE) {
        timer_must_run();
        if start.elapsed() > PATIENCE {
            return false;
        }
    }
    true
}

/// Spins until `done` says so; fails after `PATIENCE`.
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let (start, mut glanced) = (Instant::now(), Instant::now());
    while !done() {
        if glanced.elapsed() > GLANCE {
            timer_must_run();
            glanced = Instant::now();
        }
        assert!(start.elapsed() < PATIENCE, "waited {PATIENCE:?} for {what}");
        thread::yield_now();
    }
}

/// Runs `f` on a thread of its own, for code that busy-waits on sockets and
/// would spin forever if the timer never fired; fails after `PATIENCE`.
pub fn within_patience<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    thread::spawn(move || done.send(f()));
    let start = Instant::now();
    loop {
        match result.recv_timeout(GLANCE) {
            Ok(value) => return value,
            Err(mpsc::RecvTimeoutError::Timeout) if start.elapsed() < PATIENCE => timer_must_run(),
            Err(error) => panic!("no result after {:?}: {error}", start.elapsed()),
        }
    }
}

/// Waits until `socket` is readable; false if it is not within `PATIENCE`.
pub fn wait_for_readable(socket: &MySocket) -> bool {
    let start = Instant::now();
    while !socket.has_data_to_read() {
        timer_must_run();
        if start.elapsed() > PATIENCE {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
    true
}
