//! Futurelock, reproduced and bounded: a `lock()` future kept by `&mut`
//! across the turns of a `select` loop is given the lock by a fair lock,
//! and then not polled, while the loop's other branch waits for the same
//! lock. Every waker was called; the task still hangs. Each wait here is
//! bounded by a timeout, and the order of events is the lock's own (first
//! come, first served), not a race of timers.

use std::cell::RefCell;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

use cancellation::demo::fair_lock::FairLock;
use cancellation::{Either, select, timeout};
use lab::patience::within_patience;
use lab::probe::Probe;
use mini_runtime::time::sleep;
use mini_runtime::{block_on, spawn, yield_now};

/// How long a wait for the lock is given before it counts as hung.
const HUNG: Duration = Duration::from_millis(200);

#[test]
fn a_lock_future_kept_across_select_turns_holds_up_the_loop_and_a_probe_names_it() {
    let (branch_got_the_lock, stalled) = within_patience(|| {
        block_on(async {
            let lock = FairLock::default();
            let held = lock.lock().await;
            let probe = Probe::new(true);
            let mut kept = pin!(probe.watch(0, lock.lock()));
            // One turn: the kept lock() takes its place in the queue, the
            // timer wins; the branch lets the lock go (to the kept lock(),
            // which is woken) and waits for it itself.
            let Either::Right(()) = select(kept.as_mut(), sleep(Duration::from_millis(1))).await
            else {
                panic!("the kept lock() got a lock that was held");
            };
            drop(held);
            let got = timeout(HUNG, lock.lock()).await.is_ok();
            (got, probe.woken_not_polled(HUNG))
        })
    });
    assert!(
        !branch_got_the_lock,
        "no futurelock: the branch got the lock"
    );
    assert_eq!(
        stalled.iter().map(|(task, _)| *task).collect::<Vec<_>>(),
        [0],
        "{stalled:?}"
    );
}

#[test]
fn dropping_the_kept_future_before_waiting_gives_the_lock_on() {
    let got = within_patience(|| {
        block_on(async {
            let lock = FairLock::default();
            let held = lock.lock().await;
            let mut kept = Some(Box::pin(lock.lock()));
            let Either::Right(()) =
                select(kept.as_mut().unwrap(), sleep(Duration::from_millis(1))).await
            else {
                panic!("the kept lock() got a lock that was held");
            };
            drop(held);
            kept = None; // given the lock, dropped unpolled: it gives it on
            let got = timeout(HUNG, lock.lock()).await.is_ok();
            drop(kept);
            got
        })
    });
    assert!(got, "the lock stayed with a dropped future");
}

#[test]
fn the_fair_lock_serves_its_waiters_in_the_order_they_came() {
    let order = within_patience(|| {
        block_on(async {
            let lock = Rc::new(FairLock::default());
            let order = Rc::new(RefCell::new(Vec::new()));
            let held = lock.lock().await;
            let waiters: Vec<_> = (0..3)
                .map(|i| {
                    let (lock, order) = (Rc::clone(&lock), Rc::clone(&order));
                    spawn(async move {
                        let _guard = lock.lock().await;
                        order.borrow_mut().push(i);
                        yield_now().await; // holds the lock across an await
                    })
                })
                .collect();
            yield_now().await; // all three are in the queue, in order
            drop(held);
            for waiter in waiters {
                waiter.await;
            }
            order.take()
        })
    });
    assert_eq!(order, [0, 1, 2]);
}
