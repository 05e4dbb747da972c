//! A wake that races the end of a failed run leaks nothing.
//!
//! When a run fails (here: a task that can never be woken), its wakers may
//! still be out on other threads. One woken just as the run ends used to
//! push itself into the inbox after the run had emptied it for the last
//! time: the waker held the inbox's owner, which held the waker, and
//! neither was ever freed. The race is narrow, so this test repeats it many
//! times and counts live allocations with a global allocator that counts
//! (hence a test binary of its own). `tests/loom.rs` finds the same leak
//! by model checking.

use std::alloc::System;
use std::future::{self, Future};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use lab::patience::within_patience;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use waker_executor::{Observed, Wakers};

/// The system allocator, counting allocations and frees.
#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Blocks allocated and not freed so far.
fn live() -> isize {
    let stats = ALLOCATOR.stats();
    stats.allocations as isize - stats.deallocations as isize
}

/// Hands its waker to the waking thread, then stays pending.
struct WokenElsewhere(mpsc::Sender<Waker>);

impl Future for WokenElsewhere {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.send(cx.waker().clone()).unwrap();
        Poll::Pending
    }
}

/// Runs that fail at once (their second task keeps no waker), while another
/// thread wakes their first task: the wake and the end of the run race.
fn failed_runs_under_racing_wakes(wakers: Wakers, rounds: usize) {
    let (sender, receiver) = mpsc::channel::<Waker>();
    let waking = thread::spawn(move || receiver.into_iter().for_each(Waker::wake));
    for _ in 0..rounds {
        let futures: Vec<Pin<Box<dyn Future<Output = ()>>>> = vec![
            Box::pin(WokenElsewhere(sender.clone())),
            Box::pin(future::pending()),
        ];
        let stuck = Observed::new().wakers(wakers).try_run(futures).unwrap_err();
        assert_eq!(stuck.task, 1);
    }
    drop(sender);
    waking.join().unwrap();
}

/// Enough failed runs that the race is lost many times over: without the
/// fix, about one run in a few thousand leaked.
const ROUNDS: usize = 200_000;

#[test]
fn wakes_racing_the_end_of_failed_runs_leak_nothing() {
    // The counts are the whole process's. The test harness's main thread
    // allocates once for the channel it waits on for this test's result; on
    // a loaded machine it may get there only after this test started, so
    // this test gives it the time to settle first.
    thread::sleep(Duration::from_millis(300));
    for wakers in [Wakers::Wake, Wakers::RawVtable] {
        // A first round allocates what lives for the whole process (the
        // thread's name, the channel's blocks): not counted.
        within_patience(move || failed_runs_under_racing_wakes(wakers, 100));
        let before = live();
        within_patience(move || failed_runs_under_racing_wakes(wakers, ROUNDS));
        let leaked = live() - before;
        assert_eq!(
            leaked, 0,
            "{wakers:?}: {leaked} blocks still allocated after {ROUNDS} failed runs"
        );
    }
}
