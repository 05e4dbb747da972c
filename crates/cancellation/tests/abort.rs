//! `spawn_abortable`: abort is a wake. It marks the task and wakes it, and
//! the task's next poll drops the future instead of polling it; a task that
//! has finished is not changed.

use std::cell::Cell;
use std::future::pending;
use std::rc::Rc;
use std::task::{Poll, Waker};

use cancellation::{Aborted, spawn_abortable};
use lab::patience::within_patience;
use mini_runtime::net::{TcpListener, TcpStream};
use mini_runtime::{block_on, io_registrations, yield_now};

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn an_aborted_task_gives_err_aborted_and_its_future_is_dropped_with_what_it_held() {
    let (outcome, dropped, registrations) = within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(([127, 0, 0, 1], 0).into()).unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (_server_end, _) = listener.accept().await.unwrap();
            drop(listener);
            let dropped = Rc::new(Cell::new(false));
            let flag = DropFlag(Rc::clone(&dropped));
            let (task, abort) = spawn_abortable(async move {
                let (_flag, mut client) = (flag, client);
                // Nobody ever writes: this read waits for good.
                client.read(&mut [0; 8]).await.map(drop)
            });
            yield_now().await; // the task's first poll: it waits in the reactor
            let during = io_registrations(); // the client's end and the server's
            abort.abort();
            let outcome = task.await.map(|read| read.is_ok());
            (outcome, dropped.get(), (during, io_registrations()))
        })
    });
    assert_eq!(outcome, Err(Aborted));
    assert!(dropped, "the aborted future was not dropped");
    assert_eq!(
        registrations,
        (2, 1),
        "the aborted read's socket stayed registered"
    );
}

/// Keeps its waker, and never uses it: only an abort can end it.
struct KeepsItsWaker(Option<Waker>);

impl std::future::Future for KeepsItsWaker {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        self.0 = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[test]
fn abort_wakes_a_task_that_nothing_else_would_ever_wake() {
    let outcome = within_patience(|| {
        block_on(async {
            let (task, abort) = spawn_abortable(KeepsItsWaker(None));
            yield_now().await;
            abort.clone().abort(); // a clone aborts the same task
            task.await
        })
    });
    assert_eq!(outcome, Err(Aborted));
}

#[test]
fn abort_after_the_task_finished_changes_nothing() {
    let outcome = within_patience(|| {
        block_on(async {
            let (task, abort) = spawn_abortable(async { 42 });
            yield_now().await; // it runs, and finishes
            abort.abort();
            task.await
        })
    });
    assert_eq!(outcome, Ok(42));
}

#[test]
fn a_task_may_abort_itself_and_stops_at_its_next_poll_not_at_the_call() {
    let (outcome, went_on) = within_patience(|| {
        block_on(async {
            let handle = Rc::new(Cell::new(None));
            let went_on = Rc::new(Cell::new(false));
            let (task, abort) = spawn_abortable({
                let (handle, went_on) = (Rc::clone(&handle), Rc::clone(&went_on));
                async move {
                    let abort: cancellation::AbortHandle = handle.take().unwrap();
                    abort.abort();
                    // Nothing stops a poll from outside: this line still runs.
                    went_on.set(true);
                    pending::<()>().await;
                }
            });
            handle.set(Some(abort));
            (task.await, went_on.get())
        })
    });
    assert_eq!(outcome, Err(Aborted));
    assert!(went_on, "the poll that called abort was cut short");
}

#[test]
fn a_task_nobody_can_abort_or_wake_is_named_stuck_and_not_hidden_by_its_abort_state() {
    let message = within_patience(|| {
        let outcome = std::panic::catch_unwind(|| {
            block_on(async {
                let (task, abort) = spawn_abortable(pending::<()>());
                yield_now().await; // polled once, while the handle could abort
                drop(abort);
                task.await
            })
        });
        lab::patience::panic_message(outcome.expect_err("nothing can wake the task")).to_owned()
    });
    assert!(message.contains("can never be woken"), "{message}");
}
