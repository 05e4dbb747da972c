//! The runtime: its workers, where a woken task goes, where a worker looks
//! for its next task, and how it parks.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread;

use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use slab::Slab;

use mini_runtime::EVENT_INTERVAL;
use mini_runtime::join::lock;
use waker_executor::TaskWaker;

use crate::idle::Idle;
use crate::reactor::{Driver, Reactor};
use crate::task::{self, Home, Task};

/// A work-stealing runtime: worker threads, their queues, one reactor.
pub struct Runtime {
    shared: Arc<Shared>,
    threads: Vec<thread::JoinHandle<()>>,
}

/// What the workers, the wakers and the runtime's users share. Nothing of
/// it is public but what stage 7's sockets and sleeps need: its
/// [`Host`](mini_runtime::Host) (`net.rs`).
pub struct Shared {
    /// Tasks woken or spawned off the workers, for any worker to take.
    injector: Injector<Task>,
    /// The far ends of the workers' own queues, by worker.
    stealers: Vec<Stealer<Task>>,
    idle: Idle,
    parkers: Vec<Parker>,
    pub(crate) reactor: Reactor,
    /// Set when the `Runtime` is dropped: the workers stop.
    closed: AtomicBool,
    /// The number the next task gets, for messages.
    pub(crate) next_task: AtomicUsize,
    /// Every task not yet dropped, weakly (so that stage 4's stuck checks
    /// still see who holds a task): for the runtime's end, which drops the
    /// future of each, wherever the task is kept.
    pub(crate) tasks: Mutex<Slab<Weak<TaskWaker<Home>>>>,
}

thread_local! {
    /// The runtime this thread works for (a worker, or a thread in
    /// `block_on`), and on a worker its number and own queue.
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

struct Context {
    shared: Arc<Shared>,
    worker: Option<(usize, Worker<Task>)>,
}

impl Runtime {
    /// A runtime with `workers` worker threads, all idle.
    ///
    /// # Panics
    ///
    /// If `workers` is 0, or the threads or the reactor cannot be started.
    pub fn new(workers: usize) -> Runtime {
        assert!(
            workers > 0,
            "a work-stealing runtime needs at least one worker"
        );
        let queues: Vec<Worker<Task>> = (0..workers).map(|_| Worker::new_fifo()).collect();
        let shared = Arc::new(Shared {
            injector: Injector::new(),
            stealers: queues.iter().map(Worker::stealer).collect(),
            idle: Idle::new(),
            parkers: (0..workers).map(|_| Parker::default()).collect(),
            reactor: Reactor::new()
                .unwrap_or_else(|error| panic!("cannot start the reactor: {error}")),
            closed: AtomicBool::new(false),
            next_task: AtomicUsize::new(1),
            tasks: Mutex::default(),
        });
        let threads = queues.into_iter().enumerate().map(|(index, queue)| {
            let shared = Arc::clone(&shared);
            shared.idle.search(); // every worker starts by looking for work
            thread::Builder::new()
                .name(format!("work-stealing-{index}"))
                .spawn(move || work(shared, index, queue))
                .expect("a worker thread")
        });
        let threads = threads.collect();
        Runtime { shared, threads }
    }

    /// Runs `future` on this thread (it need not be `Send`) until it is
    /// done, while the tasks it spawns run on the workers. Tasks still
    /// pending when it returns stay with the runtime, and go on running.
    ///
    /// # Panics
    ///
    /// If `future` panics, or can never be woken, or when called on a
    /// thread that already works for a runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _entered = Entered::new(Arc::clone(&self.shared), None);
        // Stage 4's `block_on`, as it is: poll, then sleep until woken.
        waker_executor::block_on(future)
    }
}

/// The worker polling the calling code, in `0..workers`: `None` on a
/// thread in `block_on`, and outside a runtime.
pub fn current_worker() -> Option<usize> {
    CONTEXT
        .try_with(|context| Some(context.borrow().as_ref()?.worker.as_ref()?.0))
        .ok()
        .flatten()
}

/// How many sockets the reactor of this thread's runtime has registered now
/// (0 outside a runtime): for tests that check nothing leaks.
pub fn io_registrations() -> usize {
    Shared::current().map_or(0, |shared| shared.reactor.registrations())
}

/// Sets this thread's [`CONTEXT`] while alive.
struct Entered;

impl Entered {
    fn new(shared: Arc<Shared>, worker: Option<(usize, Worker<Task>)>) -> Entered {
        CONTEXT.with(|context| {
            let mut context = context.borrow_mut();
            assert!(context.is_none(), "this thread already works for a runtime");
            *context = Some(Context { shared, worker });
        });
        Entered
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let context = CONTEXT.with(|context| context.borrow_mut().take());
        drop(context); // outside the borrow: dropping a queue drops tasks
    }
}

// ANCHOR: work
/// A worker's life: find a task, run it, and with nothing to run, park.
fn work(shared: Arc<Shared>, index: usize, queue: Worker<Task>) {
    let _entered = Entered::new(Arc::clone(&shared), Some((index, queue)));
    let (mut ticks, mut searching) = (0u32, true);
    // Acquire, of the drop's Release: the flag carries nothing else, so any
    // ordering would do; the worker sees it at its next look.
    while !shared.closed.load(Ordering::Acquire) {
        match shared.find_work(index, ticks) {
            Some(task) => {
                if std::mem::take(&mut searching) {
                    shared.notify(shared.idle.found());
                }
                task::run(task, &shared);
                ticks = ticks.wrapping_add(1);
                if ticks % EVENT_INTERVAL == 0 {
                    shared.maintain(); // timers and sockets, even while busy
                }
            }
            // Its own queue is empty: look elsewhere, counted as searching.
            None if !searching => {
                searching = true;
                shared.idle.search();
            }
            None => shared.park(index),
        }
    }
    // The runtime is ending: the tasks left in its queue end with it.
    while let Some(task) = Shared::with_local(|queue| queue.pop()).flatten() {
        task.shared.drop_future();
    }
}
// ANCHOR_END: work

impl Shared {
    pub(crate) fn current() -> Option<Arc<Shared>> {
        let shared =
            CONTEXT.try_with(|context| context.borrow().as_ref().map(|c| Arc::clone(&c.shared)));
        shared.ok().flatten()
    }

    /// `f` of this worker's own queue, if this thread is a worker.
    fn with_local<R>(f: impl FnOnce(&Worker<Task>) -> R) -> Option<R> {
        let local = CONTEXT.try_with(|context| {
            let context = context.borrow();
            context.as_ref()?.worker.as_ref().map(|(_, queue)| f(queue))
        });
        local.ok().flatten()
    }

    // ANCHOR: push
    /// Where a woken (or spawned) task goes: this worker's own queue if the
    /// wake runs on one of this runtime's workers, else the injector. Then a
    /// parked worker is woken, unless one is searching already, or the task
    /// is alone in this worker's queue: this worker runs it next, and
    /// waking another to steal it would only move it across cores.
    pub(crate) fn push(self: &Arc<Self>, task: Task) {
        // exercise: onto this worker's own queue if this thread is one of this runtime's workers, else the injector; then notify the idle workers, unless the task is alone in this worker's queue
        let mut task = Some(task);
        let mut alone = false;
        let _ = CONTEXT.try_with(|context| match &*context.borrow() {
            Some(Context {
                shared,
                worker: Some((_, queue)),
            }) if Arc::ptr_eq(shared, self) => {
                alone = queue.is_empty();
                queue.push(task.take().expect("once"));
            }
            _ => {}
        });
        if let Some(task) = task {
            self.injector.push(task);
        }
        if !alone {
            self.notify(self.idle.notify());
        }
        // end exercise
    }
    // ANCHOR_END: push

    // ANCHOR: find_work
    /// A worker's next task: from its own queue, but from the injector
    /// first every `EVENT_INTERVAL` ticks (else tasks from outside could
    /// wait behind a queue that never empties); else from the injector;
    /// else half of another worker's queue, stolen.
    fn find_work(&self, index: usize, ticks: u32) -> Option<Task> {
        Shared::with_local(|local| {
            // exercise: own queue first (the injector first every EVENT_INTERVAL ticks), then the injector, then steal half of another worker's queue
            let from_injector = || take(|| self.injector.steal_batch_and_pop(local));
            let first = (ticks % EVENT_INTERVAL == 0).then(from_injector).flatten();
            first
                .or_else(|| local.pop())
                .or_else(from_injector)
                .or_else(|| {
                    let others =
                        (1..self.stealers.len()).map(|k| (index + k) % self.stealers.len());
                    others
                        .into_iter()
                        .find_map(|other| take(|| self.stealers[other].steal_batch_and_pop(local)))
                })
            // end exercise
        })
        .flatten()
    }
    // ANCHOR_END: find_work

    /// Unparks `worker`, if there is one to unpark.
    fn notify(&self, worker: Option<usize>) {
        if let Some(worker) = worker {
            self.parkers[worker].unpark(&self.reactor);
        }
    }

    // ANCHOR: park
    /// A searching worker found nothing: it parks, unless the last look of
    /// the parking protocol finds work. It waits in the reactor if no other
    /// worker holds its driver (so that sockets and timers are served while
    /// all are idle), else on a condition variable of its own.
    fn park(&self, index: usize) {
        // exercise: register as parked (unless work is left after all), wait in the reactor or on this worker's parker, and count as searching again on waking
        let work_left =
            || !self.injector.is_empty() || self.stealers.iter().any(|queue| !queue.is_empty());
        if !self.idle.sleep(index, work_left) {
            return; // work came: search again
        }
        let parker = &self.parkers[index];
        match self.reactor.driver.try_lock() {
            Ok(mut driver) => parker.park_in(&self.reactor, &mut driver),
            Err(_) => parker.park(),
        }
        self.idle.woke(index);
        // end exercise
    }
    // ANCHOR_END: park

    /// Turns the reactor without waiting, unless another worker has it.
    fn maintain(&self) {
        if let Ok(mut driver) = self.reactor.driver.try_lock() {
            self.reactor.turn(&mut driver, false);
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        // Acquire: as in `work`.
        self.closed.load(Ordering::Acquire)
    }
}

/// A task from `attempt`, retried while the queue says to (a steal that
/// raced another).
fn take(attempt: impl Fn() -> Steal<Task>) -> Option<Task> {
    loop {
        match attempt() {
            Steal::Success(task) => return Some(task),
            Steal::Empty => return None,
            Steal::Retry => {}
        }
    }
}

/// Where a worker sleeps: a flag and a condition variable, or the reactor.
#[derive(Default)]
struct Parker {
    state: Mutex<ParkState>,
    changed: Condvar,
}

#[derive(Default)]
struct ParkState {
    /// An unpark came, and its park has not returned yet.
    notified: bool,
    /// The worker waits in the reactor: an unpark must rouse it.
    in_reactor: bool,
}

impl Parker {
    fn unpark(&self, reactor: &Reactor) {
        let mut state = self.state.lock().unwrap();
        state.notified = true;
        let in_reactor = state.in_reactor;
        drop(state);
        if in_reactor {
            reactor.rouse();
        } else {
            self.changed.notify_one();
        }
    }

    /// Waits until unparked.
    fn park(&self) {
        let mut state = self.state.lock().unwrap();
        while !state.notified {
            state = self.changed.wait(state).unwrap();
        }
        state.notified = false;
    }

    /// Waits in the reactor until unparked, or until it has something to
    /// wake (an event, a timer due): either way the worker gets up.
    fn park_in(&self, reactor: &Reactor, driver: &mut Driver) {
        let mut state = self.state.lock().unwrap();
        if !std::mem::take(&mut state.notified) {
            state.in_reactor = true;
            drop(state);
            // An unpark from now on rouses this wait, or the next, at once.
            reactor.turn(driver, true);
            state = self.state.lock().unwrap();
        }
        (state.notified, state.in_reactor) = (false, false);
    }
}

impl Drop for Runtime {
    /// Stops the workers and joins them; every task still pending is
    /// dropped, unfinished, and a handle still awaited says so.
    fn drop(&mut self) {
        // Relaxed would do for the workers, which each take their parker's
        // lock after this; Release says what the loads pair with.
        self.shared.closed.store(true, Ordering::Release);
        for parker in &self.shared.parkers {
            parker.unpark(&self.shared.reactor);
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        // Wherever a pending task is kept (a queue, or a waker in the
        // reactor or in another task's handle), its future is dropped now:
        // the tasks are found under the lock, and dropped outside it.
        let tasks: Vec<Task> = lock(&self.shared.tasks)
            .iter()
            .filter_map(|(_, task)| task.upgrade())
            .collect();
        tasks.iter().for_each(|task| task.shared.drop_future());
        drop(tasks);
        while let Some(task) = take(|| self.shared.injector.steal()) {
            drop(task);
        }
        self.shared.reactor.clear();
    }
}
