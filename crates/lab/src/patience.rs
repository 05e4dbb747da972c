//! For tests whose failure could be a hang: run the code on a thread of
//! its own and give up after a while, and read what a panic said.

use std::any::Any;
use std::panic;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long a test waits for something that should take well under a second.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Runs `f` on a thread of its own and returns its result; a panic in `f`
/// goes on to the caller. Panics if `f` takes longer than [`PATIENCE`]: a
/// test fails instead of hanging.
pub fn within_patience<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    let worker = thread::spawn(move || done.send(f()));
    match result.recv_timeout(PATIENCE) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic::resume_unwind(worker.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hung: no result after {PATIENCE:?}"),
    }
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
