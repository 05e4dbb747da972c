//! Reference counts of wakers built both ways, `Waker::from` and the
//! hand-built vtable, after every order of clone, wake, wake_by_ref and drop.
//!
//! Each waker owns one strong reference of the `Arc` behind it, so after
//! every step the count of live wakers must equal the number we hold, and
//! the wakes counted must equal the wakes we made.

use std::sync::Arc;
use std::task::Waker;

use lab::measure::WakeCounter;
use waker_executor::raw_waker;

#[derive(Clone, Copy, Debug)]
enum Op {
    Clone(usize),
    Wake(usize),
    WakeByRef(usize),
    Drop(usize),
}

/// Every sequence of `depth` operations on a pool that starts with one waker.
fn sequences(depth: usize) -> Vec<Vec<Op>> {
    fn extend(prefix: &mut Vec<Op>, live: usize, depth: usize, all: &mut Vec<Vec<Op>>) {
        all.push(prefix.clone());
        if depth == 0 {
            return;
        }
        for i in 0..live {
            for (op, live_after) in [
                (Op::Clone(i), live + 1),
                (Op::Wake(i), live - 1),
                (Op::WakeByRef(i), live),
                (Op::Drop(i), live - 1),
            ] {
                prefix.push(op);
                extend(prefix, live_after, depth - 1, all);
                prefix.pop();
            }
        }
    }
    let mut all = Vec::new();
    extend(&mut Vec::new(), 1, depth, &mut all);
    all
}

/// Plays `ops` on wakers made by `make`, checking the counts after each step.
fn play(ops: &[Op], make: fn(Arc<WakeCounter>) -> Waker) {
    let counter = WakeCounter::new();
    let mut pool = vec![make(Arc::clone(&counter))];
    let mut wakes = 0;
    for (step, &op) in ops.iter().enumerate() {
        match op {
            Op::Clone(i) => pool.push(pool[i].clone()),
            Op::Wake(i) => {
                pool.remove(i).wake();
                wakes += 1;
            }
            Op::WakeByRef(i) => {
                pool[i].wake_by_ref();
                wakes += 1;
            }
            Op::Drop(i) => drop(pool.remove(i)),
        }
        assert_eq!(
            counter.live_wakers(),
            pool.len(),
            "live wakers after {:?}",
            &ops[..=step]
        );
        assert_eq!(counter.wakes(), wakes, "wakes after {:?}", &ops[..=step]);
    }
    drop(pool);
    assert_eq!(counter.live_wakers(), 0, "a reference leaked after {ops:?}");
}

#[test]
fn every_order_of_operations_keeps_the_count_balanced_both_ways() {
    let sequences = sequences(5);
    // Guards the enumeration itself: every sequence of up to 5 operations.
    assert_eq!(sequences.len(), 5_093);
    for ops in &sequences {
        play(ops, Waker::from);
        play(ops, raw_waker::waker);
    }
}

#[test]
fn wakers_cross_threads_and_the_last_one_frees_the_arc() {
    for make in [Waker::from, raw_waker::waker] as [fn(Arc<WakeCounter>) -> Waker; 2] {
        let counter = WakeCounter::new();
        let waker = make(Arc::clone(&counter));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                let waker = waker.clone();
                scope.spawn(move || {
                    for _ in 0..100 {
                        #[allow(clippy::waker_clone_wake)] // on purpose: wake by value
                        waker.clone().wake();
                        waker.wake_by_ref();
                    }
                });
            }
        });
        drop(waker);
        assert_eq!((counter.wakes(), counter.live_wakers()), (1600, 0));
        assert_eq!(Arc::strong_count(&counter), 1, "only our handle is left");
    }
}

#[test]
fn will_wake_sees_clones_of_one_waker_as_the_same() {
    let counter = WakeCounter::new();
    let waker = raw_waker::waker(Arc::clone(&counter));
    assert!(waker.will_wake(&waker.clone()));
    assert!(!waker.will_wake(&raw_waker::waker(WakeCounter::new())));
}
