//! For tests whose failure could be a hang: every wait has an end, and when
//! a wait gives up it says why, from what the instruments saw.
//!
//! A fork's tests are the judge of a learner's code, and a judge that hangs,
//! or says only "it hung", sends the learner looking in the wrong place. So
//! every wait in a stage's tests goes through this module, which bounds it
//! by one [`PATIENCE`] and, while it waits, asks:
//! - the probes ([`crate::probe::hang`]): has a watched task been woken and
//!   never polled again, never been polled at all, or lost its last waker,
//!   with no poll anywhere for [`STALL`]? Then the wait stops at once and
//!   says which, since waiting longer cannot help;
//! - the paused clock ([`crate::clock`]), if a test stopped time: has it been
//!   unable to move on for [`STALL`], and what does it wait for?
//! - the caller's own test of hopelessness (a stopped timer thread, say), in
//!   the `_or` forms.
//!
//! A wait that runs out of patience with nothing to blame says what the
//! probes and the clock saw last.

use std::any::Any;
use std::panic;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::{clock, probe};

/// The longest any test waits for something that should happen well within
/// a second, even on a machine busy with other work.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// How long the instruments must see a sign of a hang (a woken task that no
/// poll followed, a paused clock that cannot move on) before a wait stops
/// early. Far longer than a poll takes on any machine, however busy: a
/// correct run never shows such a sign for this long.
pub const STALL: Duration = Duration::from_secs(5);

/// How often a wait looks at the instruments.
const GLANCE: Duration = Duration::from_millis(50);

/// Runs `f` on a thread of its own and returns its result; a panic in `f`
/// goes on to the caller. Panics, saying why, if `f` takes longer than
/// [`PATIENCE`] or the instruments show that it hangs: a test fails instead
/// of hanging.
pub fn within_patience<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    within_patience_or(f, || None)
}

/// [`within_patience`], also giving up as soon as `hopeless` names a reason
/// why `f` can no longer finish.
pub fn within_patience_or<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
    hopeless: impl Fn() -> Option<String>,
) -> T {
    let (done, result) = mpsc::channel();
    let mut worker = Some(thread::spawn(move || done.send(f())));
    let thread = worker.as_ref().map(|worker| worker.thread().id());
    let value = wait("the result", thread, &hopeless, || {
        match result.recv_timeout(GLANCE) {
            Ok(value) => Some(value),
            Err(mpsc::RecvTimeoutError::Disconnected) => resume(worker.take()),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
        }
    });
    // The worker has sent its result and ends now: joined, so that it leaves
    // nothing behind (a test that counts allocations sees none of its own).
    let _ = worker.take().map(thread::JoinHandle::join);
    value
}

/// Waits on this thread until `done` says so; panics, saying why, after
/// [`PATIENCE`] or as soon as the instruments show a hang. `what` names what
/// is waited for, for the message. `done` may block for a short while (a
/// `WakeCounter::wait_for` with a timeout, say); else the wait sleeps a
/// millisecond between two looks.
pub fn wait_until(what: &str, done: impl FnMut() -> bool) {
    wait_until_or(what, done, || None);
}

/// [`wait_until`], also giving up as soon as `hopeless` names a reason why
/// `done` can never become true.
pub fn wait_until_or(
    what: &str,
    mut done: impl FnMut() -> bool,
    hopeless: impl Fn() -> Option<String>,
) {
    wait(what, None, &hopeless, || {
        if done() {
            return Some(());
        }
        thread::sleep(Duration::from_millis(1));
        None
    });
}

/// Goes on with the panic of the thread `worker`, which ended without a result.
pub(crate) fn resume<T>(worker: Option<thread::JoinHandle<T>>) -> ! {
    let worker = worker.expect("a worker ends once");
    panic::resume_unwind(
        worker
            .join()
            .err()
            .expect("it ended without sending a result"),
    )
}

/// The one bounded wait the others are made of: `attempt` until it gives a
/// value, each attempt taking at most about a [`GLANCE`]. `worker` is the
/// thread that does what is waited for, if it is one of the wait's own: on
/// giving up, the tasks it made are set aside ([`probe::set_aside`]).
pub(crate) fn wait<T>(
    what: &str,
    worker: Option<thread::ThreadId>,
    hopeless: &dyn Fn() -> Option<String>,
    mut attempt: impl FnMut() -> Option<T>,
) -> T {
    let give_up = |message: String| -> ! {
        // The run stays asleep on its thread: set aside, so that it is
        // blamed here and not again in the tests that come after.
        if let Some(worker) = worker {
            probe::set_aside(worker);
        }
        panic!("{message}")
    };
    let start = Instant::now();
    let mut glanced = start;
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        if glanced.elapsed() < GLANCE {
            continue;
        }
        glanced = Instant::now();
        if let Some(why) = hopeless().or_else(|| hang(STALL)) {
            give_up(format!(
                "gave up waiting for {what} after {:.1} s: {why}",
                start.elapsed().as_secs_f64()
            ));
        }
        if start.elapsed() > PATIENCE {
            give_up(format!(
                "waited {PATIENCE:?} for {what}, in vain; {}{}",
                probe::summary(),
                clock::summary().map_or(String::new(), |clock| format!("; {clock}"))
            ));
        }
    }
}

/// What the instruments show is wrong now, if a run has shown no progress
/// for `stall`: the probes' [`probe::hang`], else the paused clock's.
pub fn hang(stall: Duration) -> Option<String> {
    probe::hang(stall).or_else(|| clock::hang(stall))
}

/// What a panic said: its message, if it was a string.
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    #[test]
    fn a_result_comes_back_and_a_panic_goes_on_with_its_own_message() {
        assert_eq!(within_patience(|| 6 * 7), 42);
        let payload = catch_unwind(|| within_patience(|| -> u8 { panic!("the worker's own") }));
        assert_eq!(panic_message(payload.unwrap_err()), "the worker's own");
    }

    #[test]
    fn a_hopeless_wait_gives_up_at_once_saying_why() {
        let start = Instant::now();
        let payload = catch_unwind(AssertUnwindSafe(|| {
            wait_until_or(
                "the impossible",
                || false,
                || Some("it cannot be".to_owned()),
            )
        }));
        let message = panic_message(payload.unwrap_err());
        assert!(
            message.starts_with("gave up waiting for the impossible after ")
                && message.ends_with(" s: it cannot be"),
            "{message}"
        );
        assert!(
            start.elapsed() < PATIENCE,
            "it waited for its patience to run out"
        );
        let mut looks = 0;
        wait_until("the third look", || {
            looks += 1;
            looks == 3
        });
    }
}
