//! The waker executor's contract, with both kinds of wakers: polls only on
//! wake, one poll for many wakes, wakes from any thread, no lost wake-up,
//! no hang on a task nothing can wake, and panics that reach the caller.
//!
//! Every run is bounded by `lab::patience`, which names what a hung run
//! shows (a task woken and never polled again, say). Every test that waits
//! on sockets pauses the clock (`lab::clock`), which then moves on only when
//! every task has been polled and every socket holds a waker: so "two polls
//! per socket" holds on a loaded machine as on an idle one. Those tests take
//! turns; the others wait on wakes that the tests make themselves.

use lab::clock;
use lab::patience::{panic_message, wait_until, within_patience};
use std::future::{self, Future};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use socket_sim::MySocket;
use support::readable;

mod support;
use waker_executor::{EventKind, Observed, Report, Wakers};

/// Every test runs on both: the `Wake` trait's wakers and the hand-built vtable's.
const EXECUTORS: [Observed; 2] = [
    Observed::new().wakers(Wakers::Wake),
    Observed::new().wakers(Wakers::RawVtable),
];

/// A socket as a std future (stage 5 makes this `FutSocket`).
fn socket(delay: Duration, value: i32) -> impl Future<Output = i32> {
    readable(MySocket::builder().delay(delay).value(value).build())
}

/// Pending at its first poll, after putting a clone of its waker in `slot`
/// (and its thread in `thread`); Ready at the second; a panic at a third.
struct WaitForWake {
    id: usize,
    polls: usize,
    slot: Slots,
}

impl Future for WaitForWake {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.polls += 1;
        match self.polls {
            1 => {
                self.slot.lock().unwrap()[self.id] = Some(cx.waker().clone());
                Poll::Pending
            }
            2 => Poll::Ready(self.id),
            _ => panic!("task {} polled after Ready", self.id),
        }
    }
}

/// Where each `WaitForWake` puts its waker, by id.
type Slots = Arc<Mutex<Vec<Option<Waker>>>>;

/// `n` futures waiting for a wake, and the slots where their wakers appear.
fn wait_for_wakes(n: usize) -> (Vec<WaitForWake>, Slots) {
    let slot = Arc::new(Mutex::new(vec![None; n]));
    (
        (0..n)
            .map(|id| WaitForWake {
                id,
                polls: 0,
                slot: Arc::clone(&slot),
            })
            .collect(),
        slot,
    )
}

/// Waits until every slot holds a waker, then takes them all.
fn take_wakers(slot: &Mutex<Vec<Option<Waker>>>) -> Vec<Waker> {
    wait_until("every task's first poll (its waker in its slot)", || {
        slot.lock().unwrap().iter().all(Option::is_some)
    });
    slot.lock()
        .unwrap()
        .iter_mut()
        .map(|waker| waker.take().unwrap())
        .collect()
}

/// Pending `left` times, waking itself each time; then Ready.
struct Yield {
    left: u32,
}

impl Future for Yield {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn outputs_come_back_in_input_order_whatever_order_they_finish_in() {
    let paused = clock::pause();
    for executor in EXECUTORS {
        let report = paused.auto_advance(move || {
            let futures = (0..5)
                .map(|i| socket(Duration::from_millis(10) * (5 - i as u32), i))
                .collect();
            executor.run(futures)
        });
        assert_eq!(report.outputs, [0, 1, 2, 3, 4], "{executor:?}");
        assert_eq!(report.stats.polls, 10, "{executor:?}: two polls per socket");
    }
}

#[test]
fn a_task_is_polled_once_then_only_after_its_waker_is_woken() {
    for executor in EXECUTORS {
        let (futures, slot) = wait_for_wakes(3);
        let waker = thread::spawn(move || take_wakers(&slot).into_iter().for_each(Waker::wake));
        let report = within_patience(move || executor.run(futures));
        waker.join().unwrap();
        assert_eq!(report.outputs, [0, 1, 2]);
        assert_eq!(
            (report.stats.polls, report.stats.wakes),
            (6, 3),
            "{executor:?}"
        );
    }
}

#[test]
fn a_future_that_wakes_itself_a_thousand_times_is_polled_twice() {
    struct WakeOften(bool);
    impl Future for WakeOften {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            (0..500).for_each(|_| cx.waker().wake_by_ref());
            #[allow(clippy::waker_clone_wake)] // on purpose: half of the wakes by value
            (0..500).for_each(|_| cx.waker().clone().wake());
            Poll::Pending
        }
    }
    for executor in EXECUTORS {
        let report = within_patience(move || executor.run(vec![WakeOften(false)]));
        assert_eq!(
            (report.stats.polls, report.stats.wakes),
            (2, 1000),
            "{executor:?}"
        );
    }
}

#[test]
fn wakes_while_a_task_is_queued_add_no_polls_even_while_it_stays_pending() {
    /// Wakes itself 1000 times at its first poll; afterwards Pending (its
    /// waker handed to `slot`) until `released`.
    struct Chatty {
        polls: u64,
        released: Arc<AtomicUsize>,
        slot: mpsc::Sender<Waker>,
    }
    impl Future for Chatty {
        type Output = u64;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
            self.polls += 1;
            if self.polls == 1 {
                (0..1000).for_each(|_| cx.waker().wake_by_ref());
                return Poll::Pending;
            }
            if self.released.load(Ordering::SeqCst) == 1 {
                return Poll::Ready(self.polls);
            }
            self.slot.send(cx.waker().clone()).unwrap();
            Poll::Pending
        }
    }
    for executor in EXECUTORS {
        let (slot, wakers) = mpsc::channel();
        let released = Arc::new(AtomicUsize::new(0));
        let chatty = Chatty {
            polls: 0,
            released: Arc::clone(&released),
            slot,
        };
        let releaser = thread::spawn(move || {
            let waker: Waker = wakers.recv().unwrap();
            thread::sleep(Duration::from_millis(20)); // room for wrong extra polls
            released.store(1, Ordering::SeqCst);
            waker.wake();
        });
        let report = within_patience(move || executor.run(vec![chatty]));
        releaser.join().unwrap();
        // Poll 1 wakes 1000 times: one poll follows (2), then the release (3).
        assert_eq!(report.outputs, [3], "{executor:?}");
    }
}

#[test]
fn ten_thousand_tasks_woken_from_four_threads_are_polled_twice_each() {
    const TASKS: usize = 10_000;
    for executor in EXECUTORS {
        let (futures, slot) = wait_for_wakes(TASKS);
        let wakers = thread::spawn(move || {
            let wakers = Arc::new(take_wakers(&slot));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let wakers = Arc::clone(&wakers);
                    thread::spawn(move || wakers.iter().for_each(Waker::wake_by_ref))
                })
                .collect();
            threads
                .into_iter()
                .for_each(|thread| thread.join().unwrap());
        });
        let report = within_patience(move || executor.run(futures));
        wakers.join().unwrap();
        assert_eq!(
            report.outputs,
            (0..TASKS).collect::<Vec<_>>(),
            "{executor:?}"
        );
        assert_eq!(report.stats.polls, 2 * TASKS as u64, "{executor:?}");
        let wakes = report.stats.wakes;
        assert!(
            (TASKS as u64..=4 * TASKS as u64).contains(&wakes),
            "{executor:?}: {wakes} wakes"
        );
    }
}

#[test]
fn a_self_yielding_future_runs_a_hundred_thousand_times() {
    for executor in EXECUTORS {
        let report = within_patience(move || executor.run(vec![Yield { left: 100_000 }]));
        assert_eq!(
            (report.stats.polls, report.stats.wakes),
            (100_001, 100_000),
            "{executor:?}"
        );
    }
}

#[test]
fn wakes_after_a_task_finished_and_after_run_returned_are_harmless() {
    for executor in EXECUTORS {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let keep = |kept: Arc<Mutex<Vec<Waker>>>| {
            future::poll_fn(move |cx| {
                kept.lock().unwrap().push(cx.waker().clone());
                Poll::Ready(())
            })
        };
        let futures = vec![keep(Arc::clone(&kept)), keep(Arc::clone(&kept))];
        let report = within_patience(move || executor.run(futures));
        assert_eq!(report.stats.polls, 2);
        for waker in kept.lock().unwrap().drain(..) {
            waker.wake_by_ref();
            waker.wake();
        }
        // The thread that ran the executor may get a stray unpark: harmless,
        // and the next run on it works as ever.
        let report = within_patience(move || executor.run(vec![Yield { left: 3 }]));
        assert_eq!(report.stats.polls, 4);
    }
}

#[test]
fn a_task_that_keeps_no_waker_is_reported_by_index_instead_of_hanging() {
    let forgetful = || future::poll_fn(|_cx| Poll::<u8>::Pending);
    let ready = || future::poll_fn(|_cx| Poll::Ready(1));
    for executor in EXECUTORS {
        let error = within_patience(move || {
            let futures: Vec<Pin<Box<dyn Future<Output = u8>>>> =
                vec![Box::pin(ready()), Box::pin(ready()), Box::pin(forgetful())];
            executor.try_run(futures).map(|_| ()).unwrap_err()
        });
        assert_eq!(
            error.to_string(),
            "task 2 returned Pending but nothing holds its waker: it can never be woken"
        );

        let message = within_patience(move || {
            panic_message(panic::catch_unwind(|| executor.run(vec![forgetful()])).unwrap_err())
        });
        assert!(
            message.contains("task 0") && message.contains("can never be woken"),
            "{message}"
        );

        let message = within_patience(move || {
            panic_message(panic::catch_unwind(|| executor.block_on(forgetful())).unwrap_err())
        });
        assert!(message.contains("can never be woken"), "{message}");
    }
}

/// Keeps a clone of its own waker and arranges no wake: pending for ever,
/// with a waker alive that nobody will use. Tells `polled` when polled.
struct KeepsItsOwnWaker {
    kept: Option<Waker>,
    polled: mpsc::Sender<()>,
}

impl Future for KeepsItsOwnWaker {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.kept = Some(cx.waker().clone());
        let _ = self.polled.send(());
        Poll::Pending
    }
}

/// The limit of stuck-task detection, shown: a future that holds its own
/// waker is a cycle (the task holds the waker that would wake the task) that
/// no executor can see, since the waker is alive, and an executor cannot
/// tell a waker the task keeps from one some other code will use. `run` and
/// `block_on` sleep for ever on it. Each run is left asleep on a thread of
/// its own (a leak this test accepts), after the executor had a fifth of a
/// second to say it was stuck, and did not.
#[test]
fn a_future_that_keeps_its_own_waker_is_the_limit_run_and_block_on_sleep_for_ever() {
    type Run = fn(KeepsItsOwnWaker);
    let runs: [(&str, Run); 4] = [
        ("run", |future| drop(waker_executor::run(vec![future]))),
        ("block_on", |future| waker_executor::block_on(future)),
        ("Executor::run, Wake wakers", |future| {
            drop(EXECUTORS[0].run(vec![future]))
        }),
        ("Executor::run, RawVtable wakers", |future| {
            drop(EXECUTORS[1].run(vec![future]))
        }),
    ];
    for (name, run) in runs {
        let (polled, told) = mpsc::channel();
        let running = thread::spawn(move || run(KeepsItsOwnWaker { kept: None, polled }));
        lab::patience::wait_until("the first poll", || {
            told.recv_timeout(Duration::from_millis(20)).is_ok()
        });
        thread::sleep(Duration::from_millis(200));
        assert!(
            !running.is_finished(),
            "{name} finished (or panicked) on a task that keeps its own waker: \
             the docs say this is the one kind of stuck task it cannot see"
        );
    }
}

#[test]
fn a_task_whose_last_waker_is_dropped_unwoken_is_reported_by_index() {
    for executor in EXECUTORS {
        let (mut futures, slot) = wait_for_wakes(2);
        futures.swap(0, 1); // task 1 waits for wake 0, task 0 for wake 1
        let dropper = thread::spawn(move || {
            let mut wakers = take_wakers(&slot);
            wakers.remove(1).wake(); // the task now at index 0 finishes
            thread::sleep(Duration::from_millis(20));
            drop(wakers); // the other one's only waker goes, unwoken
        });
        let error = within_patience(move || executor.try_run(futures).map(|_| ()));
        dropper.join().unwrap();
        assert_eq!(
            error.unwrap_err().to_string(),
            "task 1 is pending and the last waker that could wake it was dropped unwoken: it can never be woken",
            "{executor:?}"
        );
    }
}

#[test]
fn ten_thousand_sockets_never_look_stuck() {
    let paused = clock::pause();
    for executor in EXECUTORS {
        // None is ready at its first poll: the clock stands still until all are polled.
        let report = paused.auto_advance(move || {
            let futures = (0..10_000)
                .map(|i| socket(Duration::from_millis(500), i))
                .collect();
            executor.run(futures)
        });
        assert_eq!(report.outputs, (0..10_000).collect::<Vec<_>>());
        assert_eq!(
            report.stats.polls, 20_000,
            "{executor:?}: two polls per socket"
        );
    }
}

/// Counts its drops; panics at its first poll if `panic_at` says 1, at its
/// second (after a wake) if 2, never if 0.
struct Fragile {
    panic_at: u32,
    polls: u32,
    drops: Arc<AtomicUsize>,
}

impl Future for Fragile {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls += 1;
        if self.polls == self.panic_at {
            panic!("fragile task broke at poll {}", self.polls);
        }
        if self.polls == 1 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(())
    }
}

impl Drop for Fragile {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_panic_in_a_task_reaches_the_caller_and_every_task_is_dropped() {
    for executor in EXECUTORS {
        for panic_at in [1, 2] {
            let drops = Arc::new(AtomicUsize::new(0));
            let fragile = |panic_at| Fragile {
                panic_at,
                polls: 0,
                drops: Arc::clone(&drops),
            };
            let futures = vec![fragile(0), fragile(0), fragile(panic_at), fragile(0)];
            let message = within_patience(move || {
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| executor.run(futures)));
                panic_message(outcome.unwrap_err())
            });
            assert_eq!(message, format!("fragile task broke at poll {panic_at}"));
            assert_eq!(
                drops.load(Ordering::SeqCst),
                4,
                "{executor:?}: every task dropped"
            );
        }
    }
}

#[test]
fn a_spurious_unpark_of_the_executor_thread_polls_nothing() {
    struct Parked {
        polls: u32,
        tell: Option<mpsc::Sender<(Thread, Waker)>>,
    }
    impl Future for Parked {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            self.polls += 1;
            match self.tell.take() {
                Some(tell) => {
                    tell.send((thread::current(), cx.waker().clone())).unwrap();
                    Poll::Pending
                }
                None => Poll::Ready(self.polls),
            }
        }
    }
    for executor in EXECUTORS {
        let (tell, told) = mpsc::channel();
        let nudger = thread::spawn(move || {
            let (executor_thread, waker): (Thread, Waker) = told.recv().unwrap();
            for _ in 0..1000 {
                executor_thread.unpark();
                thread::yield_now();
            }
            thread::sleep(Duration::from_millis(20));
            waker.wake();
        });
        let report = within_patience(move || {
            executor.run(vec![Parked {
                polls: 0,
                tell: Some(tell),
            }])
        });
        nudger.join().unwrap();
        assert_eq!(
            report.outputs,
            [2],
            "{executor:?}: polled between the unparks"
        );
        assert_eq!(report.stats.polls, 2);
    }
}

#[test]
fn a_wake_from_inside_poll_under_the_futures_own_lock_does_not_deadlock() {
    struct Locked {
        state: Mutex<u32>,
    }
    impl Future for Locked {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            let mut polls = self.state.lock().unwrap();
            *polls += 1;
            if *polls == 1 {
                // Still holding our lock: a waker that called back into us would deadlock.
                cx.waker().wake_by_ref();
                #[allow(clippy::waker_clone_wake)] // on purpose: by value too
                cx.waker().clone().wake();
                return Poll::Pending;
            }
            Poll::Ready(*polls)
        }
    }
    for executor in EXECUTORS {
        let report = within_patience(move || {
            executor.run(vec![Locked {
                state: Mutex::new(0),
            }])
        });
        assert_eq!(report.outputs, [2], "{executor:?}");
    }
}

#[test]
fn a_trace_shows_each_socket_pending_then_woken_then_ready() {
    let paused = clock::pause();
    for executor in EXECUTORS {
        let delays = [Duration::from_millis(300), Duration::from_millis(600)];
        let Report { outputs, trace, .. } = paused.auto_advance(move || {
            executor
                .traced()
                .run(delays.iter().map(|&delay| socket(delay, 1)).collect())
        });
        assert_eq!(outputs, [1, 1]);
        let trace = trace.expect("traced");
        for task in 0..2 {
            let kinds: Vec<_> = trace
                .iter()
                .filter(|event| event.task == task)
                .map(|event| event.kind)
                .collect();
            assert_eq!(
                kinds,
                [EventKind::Pending, EventKind::Wake, EventKind::Ready],
                "{executor:?}, task {task}"
            );
        }
        let woken: Vec<_> = trace
            .iter()
            .filter(|event| event.kind == EventKind::Wake)
            .map(|event| event.task)
            .collect();
        assert_eq!(
            woken,
            [0, 1],
            "{executor:?}: woken in the order of their delays"
        );
    }
}

#[test]
fn no_futures_finish_at_once_and_block_on_gives_the_one_output() {
    let paused = clock::pause();
    for executor in EXECUTORS {
        let report = within_patience(move || executor.run(Vec::<future::Ready<()>>::new()));
        assert!(report.outputs.is_empty());
        assert_eq!(report.stats.polls, 0);
        assert_eq!(
            paused.auto_advance(move || executor.block_on(socket(Duration::from_millis(20), 9))),
            9
        );
    }
    let seven = within_patience(|| {
        waker_executor::block_on(async {
            Yield { left: 2 }.await;
            7
        })
    });
    assert_eq!(seven, 7);
}

#[test]
fn block_on_sleeps_until_a_wake_from_another_thread() {
    let paused = clock::pause();
    let delay = Duration::from_millis(30);
    // The clock moves on, from the test's thread, only once block_on sleeps.
    let value = paused.auto_advance(move || waker_executor::block_on(socket(delay, 7)));
    assert_eq!(value, 7);
    assert_eq!(paused.now(), delay, "ready at its socket's deadline");
}

#[test]
fn block_on_names_a_future_that_can_never_be_woken() {
    // Keeps no waker at all.
    let message = within_patience(|| {
        let outcome = panic::catch_unwind(|| waker_executor::block_on(future::pending::<()>()));
        panic_message(outcome.unwrap_err())
    });
    assert!(
        message.starts_with("task 0 ") && message.contains("can never be woken"),
        "{message}"
    );

    // Hands its waker to a thread that drops it later, unwoken: a panic, not a hang.
    let dropped_later = future::poll_fn(|cx| {
        let waker = cx.waker().clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            drop(waker);
        });
        Poll::<()>::Pending
    });
    let outcome = within_patience(move || {
        panic::catch_unwind(AssertUnwindSafe(|| waker_executor::block_on(dropped_later)))
    });
    assert!(panic_message(outcome.unwrap_err()).contains("can never be woken"));
}

#[test]
fn block_on_polls_once_more_for_many_wakes_and_wakes_kept_from_earlier_polls_still_count() {
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&polls);
    let mut kept: Option<Waker> = None;
    let future = future::poll_fn(move |cx| {
        match counted.fetch_add(1, Ordering::Relaxed) {
            0 => {
                for _ in 0..1000 {
                    cx.waker().wake_by_ref();
                }
                kept = Some(cx.waker().clone());
                Poll::Pending
            }
            1 => {
                // Wake with the waker kept from the first poll, from another thread.
                let waker = kept.take().unwrap();
                thread::spawn(move || waker.wake());
                Poll::Pending
            }
            _ => Poll::Ready(()),
        }
    });
    within_patience(move || waker_executor::block_on(future));
    assert_eq!(polls.load(Ordering::Relaxed), 3);
}

#[test]
fn the_stuck_task_is_named_alike_with_and_without_probes() {
    let paused = clock::pause();
    // Task 1 keeps no waker; task 0 keeps one (its socket does) and is woken.
    let futures = || -> Vec<Pin<Box<dyn Future<Output = ()> + Send>>> {
        vec![
            Box::pin(socket(Duration::from_millis(20), 0).map_output()),
            Box::pin(future::pending()),
        ]
    };
    let (plain, probed) = within_patience(move || {
        let plain = panic::catch_unwind(|| waker_executor::run(futures())).unwrap_err();
        let probed = panic::catch_unwind(|| waker_executor::run_with_stats(futures())).unwrap_err();
        (panic_message(plain), panic_message(probed))
    });
    assert!(
        plain.starts_with("task 1 ") && plain.contains("can never be woken"),
        "{plain}"
    );
    assert_eq!(
        probed, plain,
        "a probe must neither hide nor invent a stuck task"
    );

    // A task whose waker is kept is never taken for stuck, probed or not.
    let (outputs, stats) = paused.auto_advance(move || {
        waker_executor::run_with_stats(vec![socket(Duration::from_millis(20), 5)])
    });
    assert_eq!((outputs, stats.polls), (vec![5], 2));
}

trait MapOutput: Future + Sized {
    fn map_output(self) -> impl Future<Output = ()> {
        async move {
            self.await;
        }
    }
}

impl<F: Future> MapOutput for F {}
