//! Waiting, for the tests of this stage: every wait goes through
//! `lab::patience`, and stops at once if the timer thread has stopped (in a
//! fork, its loop may still be a `todo!()`) or if no waker is left that could
//! bring what is waited for, so that a broken timer or registration fails
//! the tests, saying which, instead of hanging them.

// Each test binary uses its own share of these.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use lab::measure::WakeCounter;
use lab::patience;
use socket_sim::{MySocket, timer_is_running};

/// Why nothing will ever become readable again, if the timer thread stopped.
pub fn timer_stopped() -> Option<String> {
    (!timer_is_running()).then(|| {
        "the timer thread has stopped (its panic is above): no socket will become readable"
            .to_owned()
    })
}

/// Waits until `counter` was woken `wakes` times in all. Gives up early if
/// the timer stopped, or if fewer wakes came and no waker of `counter` is
/// left to bring the others.
pub fn woken(counter: &Arc<WakeCounter>, wakes: usize) {
    patience::wait_until_or(
        &format!("{wakes} wake(s) of a waker handed to a socket"),
        || counter.wait_for(wakes, Duration::from_millis(20)),
        || {
            timer_stopped().or_else(|| {
                (counter.live_wakers() == 0 && counter.wakes() < wakes).then(|| {
                    format!(
                        "woken {} time(s), and no waker is left: the socket dropped the \
                         others without waking them",
                        counter.wakes()
                    )
                })
            })
        },
    );
}

/// Waits until `done` says so, giving up early if the timer stopped.
pub fn wait_until(what: &str, done: impl FnMut() -> bool) {
    patience::wait_until_or(what, done, timer_stopped);
}

/// Runs `f` on a thread of its own, for code that busy-waits on sockets and
/// would spin forever if the timer never fired; gives up early if the timer
/// stopped.
pub fn within_patience<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    patience::within_patience_or(f, timer_stopped)
}

/// Waits until `socket` is readable.
pub fn wait_for_readable(socket: &MySocket) {
    wait_until("the socket to be readable", || socket.has_data_to_read());
}
