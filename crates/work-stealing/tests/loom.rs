//! Model checks, with loom, of the parking protocol (`src/idle.rs`) and of
//! a socket's readiness (`src/readiness.rs`, at the end). The parking models:
//! every interleaving of the workers and the thread that pushes work, and
//! every value the memory model lets each atomic load return, within two
//! preemptions (`LOOM_MAX_PREEMPTIONS` sets another). Without `--cfg loom`
//! this file is empty.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p work-stealing --test loom`.
//!
//! The models drive `Idle` itself, around a stand-in for the runtime: the
//! run queues are one loom counter of jobs (a push adds one with Release, a
//! worker takes one with a compare-exchange, the last look reads it with
//! Acquire, as crossbeam's queues order their ends), and each worker parks
//! on a flag and a condition variable. A lost wake-up leaves a job that no
//! awake worker will take: every thread ends up blocked, and loom reports
//! the deadlock. What the models leave out: crossbeam's own orderings (its
//! deque is checked by its own tests), a push that skips the notice because
//! its task is alone in its worker's queue (that worker runs it next), and
//! parking in the reactor (`Parker::park_in`), which is parking on a
//! condition variable as far as `Idle` can tell.
#![cfg(loom)]

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};

use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use mio::{Interest, Token};
use work_stealing::idle::Idle;
use work_stealing::readiness::Readiness;

/// The runtime around `Idle`, reduced to what the protocol touches.
struct Model {
    idle: Idle,
    /// Jobs pushed and not yet taken: the run queues.
    jobs: AtomicUsize,
    /// Jobs done, and a condition variable for the thread that waits for them.
    done: Mutex<usize>,
    all_done: Condvar,
    /// Each worker's parker: unparked (a flag), and a condition variable.
    parkers: Vec<(Mutex<bool>, Condvar)>,
    closed: AtomicBool,
}

impl Model {
    fn new(workers: usize) -> Arc<Model> {
        let idle = Idle::new();
        (0..workers).for_each(|_| idle.search()); // workers start searching
        Arc::new(Model {
            idle,
            jobs: AtomicUsize::new(0),
            done: Mutex::new(0),
            all_done: Condvar::new(),
            parkers: (0..workers)
                .map(|_| (Mutex::new(false), Condvar::new()))
                .collect(),
            closed: AtomicBool::new(false),
        })
    }

    fn unpark(&self, worker: Option<usize>) {
        if let Some(worker) = worker {
            let (flag, changed) = &self.parkers[worker];
            *flag.lock().unwrap() = true;
            changed.notify_one();
        }
    }

    /// What the runtime does when a task is pushed: push, then notify.
    fn push(&self) {
        self.jobs.fetch_add(1, Release);
        self.unpark(self.idle.notify());
    }

    fn take(&self) -> bool {
        let mut jobs = self.jobs.load(Relaxed);
        while jobs > 0 {
            match self.jobs.compare_exchange(jobs, jobs - 1, Acquire, Relaxed) {
                Ok(_) => return true,
                Err(now) => jobs = now,
            }
        }
        false
    }

    /// A worker's loop, as `work` in `src/runtime.rs` runs it.
    fn work(&self, me: usize) {
        let mut searching = true;
        while !self.closed.load(Acquire) {
            if self.take() {
                if std::mem::take(&mut searching) {
                    self.unpark(self.idle.found());
                }
                *self.done.lock().unwrap() += 1;
                self.all_done.notify_one();
            } else if !searching {
                searching = true;
                self.idle.search();
            } else if self.idle.sleep(me, || self.jobs.load(Acquire) > 0) {
                let (flag, changed) = &self.parkers[me];
                let mut unparked = flag.lock().unwrap();
                while !*unparked {
                    unparked = changed.wait(unparked).unwrap();
                }
                *unparked = false;
                drop(unparked);
                self.idle.woke(me);
            }
        }
    }

    /// Waits until `jobs` jobs are done, then stops the workers.
    fn finish(&self, jobs: usize) {
        let mut done = self.done.lock().unwrap();
        while *done < jobs {
            done = self.all_done.wait(done).unwrap();
        }
        drop(done);
        self.closed.store(true, Release);
        (0..self.parkers.len()).for_each(|worker| self.unpark(Some(worker)));
    }
}

fn check(model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(model);
}

/// `workers` workers, and `jobs` jobs pushed from a thread of their own:
/// every job is done, whatever the interleaving.
fn every_job_is_done(workers: usize, jobs: usize) {
    check(move || {
        let model = Model::new(workers);
        let threads: Vec<_> = (0..workers)
            .map(|me| {
                let model = Arc::clone(&model);
                thread::spawn(move || model.work(me))
            })
            .collect();
        for _ in 0..jobs {
            model.push();
        }
        model.finish(jobs);
        threads
            .into_iter()
            .for_each(|thread| thread.join().unwrap());
        assert_eq!(model.jobs.load(SeqCst), 0);
    });
}

#[test]
fn a_push_racing_a_worker_going_to_sleep_is_never_lost() {
    every_job_is_done(1, 1);
}

#[test]
fn work_pushed_while_every_worker_parks_is_never_lost() {
    every_job_is_done(2, 1);
}

#[test]
fn two_pushes_reach_two_workers_that_search_and_park() {
    every_job_is_done(2, 2);
}

// ---------------------------------------------------------------------------
// A socket's readiness: a task's I/O loop (stage 7's `poll_io`) against the
// worker driving the reactor, which hands over the socket's event.
//
// The socket's state stands for the kernel's, which it keeps under its own
// locks: a Release store when data arrives, an Acquire load in the task's
// call. The driver sees the event only after the data arrived, as epoll
// reports it. Whatever the interleaving, the task must either see the data
// in a call, or be woken. Each of these breaks loses the wake:
// - `wait` that leaves the waker without comparing the count;
// - `ready` that moves the count after handing over the waiters, outside
//   the lock;
// - `ticks` that reads the count Relaxed, or `ready` that moves it Relaxed
//   (the count is seen to move, the data not yet).
// ---------------------------------------------------------------------------

/// A waker that records that it was woken.
struct Flag(AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, Release);
    }
}

#[test]
fn an_event_between_a_would_block_and_the_wait_is_never_lost() {
    check(|| {
        let readiness = Arc::new(Readiness::new(Token(0)));
        let data = Arc::new(AtomicBool::new(false));
        let driver = {
            let (readiness, data) = (Arc::clone(&readiness), Arc::clone(&data));
            thread::spawn(move || {
                data.store(true, Release); // the data arrives
                let mut woken = Vec::new();
                readiness.ready(Interest::READABLE, &mut woken);
                woken.into_iter().for_each(std::task::Waker::wake);
            })
        };
        let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let waker = std::task::Waker::from(std::sync::Arc::clone(&flag));
        let read = loop {
            let ticks = readiness.ticks(Interest::READABLE);
            if data.load(Acquire) {
                break true; // the call found the data
            }
            // WouldBlock: leave the waker, unless the event came meanwhile.
            if readiness.wait(Interest::READABLE, ticks, &waker) {
                break false; // Pending
            }
        };
        driver.join().unwrap();
        assert!(
            read || flag.0.load(Acquire),
            "a wake was lost: the task is pending, its data arrived, and nothing woke it"
        );
    });
}

// ---------------------------------------------------------------------------
// A task's poll state: two workers that may both take the task from the
// queue, and a wake during a poll (stage 4's `queued` flag, cleared before
// each poll, as `poll_task` clears it). No two polls at once, and the wake
// is answered by a poll that comes after it. Each of these breaks fails:
// - `wake` that queues a task being polled (two polls at once);
// - `wake` that leaves no note during a poll (the wake is lost);
// - `end` that ignores the note (the wake is lost).
// ---------------------------------------------------------------------------

/// One task, the queue it is in (how many times), and what its polls saw.
struct OneTask {
    running: work_stealing::running::Running,
    queued: AtomicBool,
    in_queue: AtomicUsize,
    /// What the wake did, and whether a poll after it saw it.
    woken: AtomicBool,
    seen: AtomicBool,
    /// Polls under way: never more than one.
    polling: AtomicUsize,
}

impl OneTask {
    /// A worker's try at the queue: takes the task if it is there, and
    /// runs it as `Run::run` does.
    fn take_and_run(&self) {
        let mut left = self.in_queue.load(Acquire);
        loop {
            if left == 0 {
                return;
            }
            match self
                .in_queue
                .compare_exchange(left, left - 1, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(now) => left = now,
            }
        }
        self.running.start();
        assert_eq!(self.polling.fetch_add(1, SeqCst), 0, "two polls at once");
        self.queued.swap(false, Acquire);
        if self.woken.load(Relaxed) {
            self.seen.store(true, Relaxed);
        }
        self.polling.fetch_sub(1, SeqCst);
        if self.running.end() {
            self.in_queue.fetch_add(1, Release);
        }
    }
}

#[test]
fn a_task_woken_during_its_poll_is_polled_again_and_never_by_two_workers_at_once() {
    check(|| {
        let task = Arc::new(OneTask {
            running: work_stealing::running::Running::new(),
            queued: AtomicBool::new(true),
            in_queue: AtomicUsize::new(1),
            woken: AtomicBool::new(false),
            seen: AtomicBool::new(false),
            polling: AtomicUsize::new(0),
        });
        let waker = {
            let task = Arc::clone(&task);
            thread::spawn(move || {
                task.woken.store(true, Relaxed);
                // Stage 4's wake: only the wake that sets `queued` queues
                // it, and not while it is being polled (`Home::schedule`).
                if !task.queued.swap(true, AcqRel) && task.running.wake() {
                    task.in_queue.fetch_add(1, Release);
                }
            })
        };
        let thief = {
            let task = Arc::clone(&task);
            thread::spawn(move || task.take_and_run())
        };
        task.take_and_run();
        waker.join().unwrap();
        thief.join().unwrap();
        // Whatever is still queued is run, on this thread, to the end.
        while task.in_queue.load(Acquire) > 0 {
            task.take_and_run();
        }
        assert!(
            task.seen.load(Relaxed),
            "a wake was lost: no poll after it saw what it did"
        );
    });
}
