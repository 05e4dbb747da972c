//! `select` and `timeout`: the first output wins, and the other future is
//! dropped, its `Drop` run, before the output is returned. Every order
//! here is forced by cause (a future that is ready, one that never is),
//! never by two timers racing.

use std::cell::Cell;
use std::error::Error;
use std::fmt::{Debug, Display};
use std::future::{Future, pending, poll_fn, ready};
use std::panic;
use std::pin::pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use cancellation::{Either, Elapsed, select, timeout};
use lab::measure::WakeCounter;
use lab::patience::{panic_message, within_patience};
use mini_runtime::block_on;
use mini_runtime::time::sleep;

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A future that is never ready (it keeps no waker) and says when it is dropped.
fn never(dropped: &Rc<Cell<bool>>) -> impl Future<Output = u8> + use<> {
    let flag = DropFlag(Rc::clone(dropped));
    async move {
        let _flag = flag;
        pending::<u8>().await
    }
}

#[test]
fn the_loser_is_dropped_before_select_returns_ready() {
    let dropped = Rc::new(Cell::new(false));
    let mut race = pin!(select(ready("first"), never(&dropped)));
    let counter = WakeCounter::new();
    let waker = counter.waker();
    let polled = race.as_mut().poll(&mut Context::from_waker(&waker));
    // The select itself is still here: only its `poll` has returned.
    assert_eq!(polled, Poll::Ready(Either::Left("first")));
    assert!(
        dropped.get(),
        "the loser was still alive when select returned Ready"
    );
}

#[test]
fn the_first_future_is_polled_first_so_it_wins_when_both_are_ready() {
    let winner = block_on(select(ready(1), ready(2)));
    assert_eq!(winner, Either::Left(1));
    let dropped = Rc::new(Cell::new(false));
    let winner = block_on(select(never(&dropped), ready(2)));
    assert_eq!((winner, dropped.get()), (Either::Right(2), true));
}

#[test]
fn select_needs_no_unpin_and_is_woken_by_either_future() {
    let winner = within_patience(|| {
        block_on(async {
            let (sender, receiver) = mpsc::channel();
            // An async block is !Unpin; the second is woken from another thread.
            let woken_elsewhere = poll_fn(move |cx| match receiver.try_recv() {
                Ok(value) => Poll::Ready(value),
                Err(_) => {
                    let (waker, sender) = (cx.waker().clone(), sender.clone());
                    thread::spawn(move || {
                        sender.send(7).unwrap();
                        waker.wake();
                    });
                    Poll::Pending
                }
            });
            select(
                async { sleep(Duration::from_secs(3600)).await },
                woken_elsewhere,
            )
            .await
        })
    });
    assert_eq!(winner, Either::Right(7));
}

#[test]
fn a_select_polled_after_it_returned_ready_says_so() {
    let mut race = pin!(select(ready(()), ready(())));
    let waker = std::task::Waker::noop();
    let mut cx = Context::from_waker(waker);
    assert!(race.as_mut().poll(&mut cx).is_ready());
    let message = panic::catch_unwind(panic::AssertUnwindSafe(|| race.as_mut().poll(&mut cx)))
        .map_err(panic_message)
        .unwrap_err();
    assert!(
        message.starts_with("Select polled after it returned Ready"),
        "{message}"
    );
}

#[test]
fn a_timeout_gives_the_output_of_a_future_that_is_ready_and_elapsed_for_one_that_never_is() {
    let (won, lost, dropped) = within_patience(|| {
        block_on(async {
            let won = timeout(Duration::from_secs(3600), async { 5 }).await;
            let dropped = Rc::new(Cell::new(false));
            let lost = timeout(Duration::from_millis(1), never(&dropped)).await;
            (won, lost, dropped.get())
        })
    });
    assert_eq!(won, Ok(5));
    assert_eq!(lost, Err(Elapsed));
    assert!(dropped, "the future that timed out was not dropped");
}

#[test]
fn a_timeout_of_zero_still_polls_the_future_once_first() {
    let outcome = within_patience(|| block_on(timeout(Duration::ZERO, ready('x'))));
    assert_eq!(outcome, Ok('x'));
}

fn is_an_error<E: Debug + Display + Error + PartialEq>(_: &E) {}

#[test]
fn elapsed_is_an_error_that_says_what_happened() {
    is_an_error(&Elapsed);
    assert_eq!(
        Elapsed.to_string(),
        "the time ran out before the future was ready"
    );
}
