//! A clock that a test stops, and moves on itself, as tokio's
//! `time::pause` and `time::advance` do: code driven by deadlines becomes as
//! deterministic as the rest.
//!
//! Stage 1's sockets take their deadlines from the real clock: one timer
//! thread marks each readable when its time comes. Which future is ready at
//! which poll then depends on how soon the machine runs that thread and the
//! executor, and a busy machine can let a deadline pass before a poll that,
//! on an idle one, always comes first. While a test holds a [`Paused`] clock
//! (from [`pause`]), sockets built in this process wait on it instead, and
//! stay not ready until the test moves time on:
//! - by hand: [`Paused::advance`] by a duration, or
//!   [`Paused::advance_to_next`] deadline;
//! - or whenever the code under test is idle: [`Paused::auto_advance`] runs it
//!   and moves the clock to the next deadline each time every probed run is
//!   [`idle`](crate::probe::idle) and every waiting socket holds a waker, so
//!   that nothing but the clock could make progress.
//!
//! Each move fires the deadlines it passes, in order of time (and, for one
//! moment, in the order they were set), on the thread that moved the clock,
//! before the call returns: by then those sockets are readable and their
//! wakers have been woken.
//!
//! The clock is the whole process's, as the timer thread is, so tests that
//! pause it take turns: [`pause`] waits until no other test holds it. A test
//! binary whose tests pause the clock should pause it in every test that
//! builds a socket, or that test's sockets may wait on another's clock.
//!
//! A timer joins in through [`schedule`]: stage 1's `socket-sim` calls it
//! for every socket it builds, and hands the deadline to its timer thread
//! only when the clock is not paused.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::patience::{self, resume};
use crate::probe;

/// What waits on a deadline of the paused clock: a socket, as its timer
/// sees it.
pub trait Waiter: Send {
    /// What the waiter is doing now.
    fn waiting(&self) -> Waiting;
    /// The deadline has come: make the waiter ready and wake it. Called on
    /// the thread that moved the clock, with no lock of the clock held.
    fn fire(self: Box<Self>);
}

/// What a [`Waiter`] is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// It is gone (the socket was dropped): its deadline is forgotten.
    Gone,
    /// It waits, and nobody has asked to be woken when it is ready.
    WithoutWaker,
    /// It waits, holding a waker to wake when it is ready.
    WithWaker,
}

/// Whether the clock is paused: read without the lock by [`schedule`], for
/// every socket built, so that a running clock costs one load. SeqCst: it is
/// written under `STATE`'s lock, and a socket built after `pause` returned
/// must see it set.
static PAUSED: AtomicBool = AtomicBool::new(false);

/// The paused clock's time and deadlines; `None` while the clock runs.
static STATE: Mutex<Option<State>> = Mutex::new(None);

/// Held by the test whose clock is paused: tests take turns.
static TURN: Mutex<()> = Mutex::new(());

/// Held while the clock is moved: one move at a time, from any thread.
static MOVING: Mutex<()> = Mutex::new(());

struct State {
    /// How far the clock has moved since it was paused.
    now: Duration,
    /// The deadlines not reached yet, by time and then by the order they were set.
    deadlines: BTreeMap<(Duration, u64), Box<dyn Waiter>>,
    /// Deadlines set so far: the next one's place among equal times.
    set: u64,
    /// When the clock last moved, or was paused.
    moved: Instant,
}

/// Locks `mutex`, whatever a panic elsewhere left in it: what it guards
/// stays consistent, since no code that can panic runs under these locks.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// For a timer: if a test has paused the clock, sets a deadline `delay` from
/// the paused clock's now for the waiter `make` builds, and returns true.
/// Returns false, and builds nothing, while the clock runs: the timer then
/// waits for the deadline itself, in real time.
pub fn schedule(delay: Duration, make: impl FnOnce() -> Box<dyn Waiter>) -> bool {
    if !PAUSED.load(Ordering::SeqCst) {
        return false;
    }
    let mut state = lock(&STATE);
    let Some(state) = state.as_mut() else {
        return false; // resumed since the load above
    };
    let key = (state.now + delay, state.set);
    state.set += 1;
    state.deadlines.insert(key, make());
    true
}

/// Whether a test holds the clock paused.
pub fn is_paused() -> bool {
    PAUSED.load(Ordering::SeqCst)
}

/// Stops the clock for sockets built from now on in this process, until the
/// returned [`Paused`] is dropped; waits first until no other test holds it.
///
/// # Examples
///
/// A deadline fires only when the test moves the clock past it:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::time::Duration;
/// use lab::clock::{self, Waiter, Waiting};
///
/// struct Flag(Arc<AtomicBool>);
/// impl Waiter for Flag {
///     fn waiting(&self) -> Waiting {
///         Waiting::WithWaker
///     }
///     fn fire(self: Box<Self>) {
///         self.0.store(true, Ordering::SeqCst);
///     }
/// }
///
/// let paused = clock::pause();
/// let fired = Arc::new(AtomicBool::new(false));
/// let flag = Flag(Arc::clone(&fired));
/// assert!(clock::schedule(Duration::from_secs(60), || Box::new(flag)));
/// assert_eq!(paused.advance(Duration::from_secs(59)), 0);
/// assert!(!fired.load(Ordering::SeqCst), "a minute has not passed");
/// assert_eq!(paused.advance(Duration::from_secs(1)), 1);
/// assert!(fired.load(Ordering::SeqCst));
/// assert_eq!(paused.now(), Duration::from_secs(60));
/// ```
pub fn pause() -> Paused {
    let turn = lock(&TURN);
    *lock(&STATE) = Some(State {
        now: Duration::ZERO,
        deadlines: BTreeMap::new(),
        set: 0,
        moved: Instant::now(),
    });
    PAUSED.store(true, Ordering::SeqCst);
    Paused { _turn: turn }
}

/// The paused clock, for as long as this lives: see the [module](self).
///
/// Dropping it lets the clock run again for sockets built afterwards; those
/// still waiting on the paused clock are forgotten, and never fire.
#[must_use = "the clock is paused only while this lives"]
pub struct Paused {
    _turn: MutexGuard<'static, ()>,
}

/// The deadlines waiting on the paused clock: [`Paused::waiting`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deadlines {
    /// Deadlines not reached yet whose waiter is still there.
    pub waiting: usize,
    /// Of those, the ones whose waiter holds no waker.
    pub without_waker: usize,
}

impl Paused {
    /// How far the clock has moved since it was paused.
    pub fn now(&self) -> Duration {
        lock(&STATE)
            .as_ref()
            .map_or(Duration::ZERO, |state| state.now)
    }

    /// The deadlines not reached yet, and how many of their waiters hold
    /// no waker. Forgets those whose waiter is gone.
    pub fn waiting(&self) -> Deadlines {
        deadlines()
    }

    /// Moves the clock on by `by`, firing every deadline it passes, in
    /// order, each at its own time (so a waiter set while another fires
    /// counts from that one's time); returns how many fired.
    pub fn advance(&self, by: Duration) -> usize {
        let _moving = lock(&MOVING);
        let until = self.now() + by;
        let mut fired = 0;
        while fire_next(Some(until)).is_some() {
            fired += 1;
        }
        if let Some(state) = lock(&STATE).as_mut() {
            state.now = until;
            state.moved = Instant::now();
        }
        fired
    }

    /// Moves the clock to the earliest deadline and fires every deadline set
    /// for that moment; returns the clock's new time, or `None` (and does not
    /// move) if no deadline waits.
    pub fn advance_to_next(&self) -> Option<Duration> {
        let _moving = lock(&MOVING);
        let at = fire_next(None)?;
        while fire_next(Some(at)).is_some() {}
        Some(at)
    }

    /// Runs `f` on a thread of its own, moving the clock to the next
    /// deadline each time every probed run is idle ([`probe::idle`]) and
    /// every waiting socket holds a waker: as far as the instruments can
    /// tell, nothing but the clock could make progress. Returns what `f`
    /// returned; bounded like [`patience::within_patience`], and a panic in
    /// `f` goes on to the caller.
    ///
    /// The probes see only the runs they watch: an executor that is not
    /// probed may still have a wake to answer when the clock moves on, so
    /// that two wakes it would have answered apart come together (its
    /// outputs are the same, its count of polls may not be). Code that waits
    /// without a waker (a loop that asks a socket "ready yet?") never lets
    /// the clock move on: move it by hand.
    pub fn auto_advance<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, result) = mpsc::channel();
        let mut worker = Some(thread::spawn(move || done.send(f())));
        let thread = worker.as_ref().map(|worker| worker.thread().id());
        patience::wait("the run on the paused clock", thread, &|| None, || {
            match result.recv_timeout(Duration::from_micros(200)) {
                Ok(value) => return Some(value),
                Err(mpsc::RecvTimeoutError::Disconnected) => resume(worker.take()),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            // Idle first, then every waiter with its waker: a run that goes
            // idle has registered its wakers already.
            if probe::idle() {
                let deadlines = deadlines();
                if deadlines.waiting > 0 && deadlines.without_waker == 0 {
                    self.advance_to_next();
                }
            }
            None
        })
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let forgotten = {
            let mut state = lock(&STATE);
            PAUSED.store(false, Ordering::SeqCst);
            state.take()
        };
        // Dropped outside the lock: a waiter's drop may run anyone's code.
        drop(forgotten);
    }
}

/// Takes the earliest deadline whose waiter is still there, if there is one
/// at or before `until` (any, for `None`), sets the clock to its time and
/// fires it; returns that time.
fn fire_next(until: Option<Duration>) -> Option<Duration> {
    let (at, waiter) = {
        let mut state = lock(&STATE);
        let state = state.as_mut()?;
        loop {
            let first = state.deadlines.first_entry()?;
            let at = first.key().0;
            if until.is_some_and(|until| at > until) {
                return None;
            }
            let waiter = first.remove();
            // A waiter's `waiting` only looks at its socket: fine under the lock.
            if waiter.waiting() != Waiting::Gone {
                state.now = state.now.max(at);
                state.moved = Instant::now();
                break (at, waiter);
            }
        }
    };
    waiter.fire();
    Some(at)
}

/// The deadlines waiting, forgetting those whose waiter is gone.
fn deadlines() -> Deadlines {
    let mut state = lock(&STATE);
    let Some(state) = state.as_mut() else {
        return Deadlines::default();
    };
    let mut counts = Deadlines::default();
    // A waiter's `waiting` only looks at its socket: fine under the lock.
    state.deadlines.retain(|_, waiter| match waiter.waiting() {
        Waiting::Gone => false,
        Waiting::WithoutWaker => {
            counts.waiting += 1;
            counts.without_waker += 1;
            true
        }
        Waiting::WithWaker => {
            counts.waiting += 1;
            true
        }
    });
    counts
}

/// What the paused clock waits for, if it has not moved for `stall` while
/// deadlines wait and no probe shows a run at work.
pub(crate) fn hang(stall: Duration) -> Option<String> {
    let moved = lock(&STATE).as_ref()?.moved;
    if moved.elapsed() < stall || !probe::idle() {
        return None;
    }
    let Deadlines {
        waiting,
        without_waker,
    } = deadlines();
    if waiting == 0 {
        return None;
    }
    let why = if without_waker > 0 {
        format!(
            "{without_waker} of them hold no waker: nothing asked to be woken when they \
             are ready (code that spins on a socket, asking \"ready yet?\", needs the clock \
             moved by hand)"
        )
    } else {
        "each holds a waker, and nothing moves the clock (Paused::advance, or auto_advance)"
            .to_owned()
    };
    Some(format!(
        "the clock is paused and has not moved for {:.1} s; {waiting} deadline(s) wait on \
         it, and {why}",
        moved.elapsed().as_secs_f64()
    ))
}

/// A line on the paused clock for a test that waited in vain; `None` when
/// the clock runs.
pub(crate) fn summary() -> Option<String> {
    let now = lock(&STATE).as_ref()?.now;
    let Deadlines {
        waiting,
        without_waker,
    } = deadlines();
    Some(format!(
        "the clock is paused at +{now:?}, with {waiting} deadline(s) waiting, \
         {without_waker} of them without a waker"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A waiter that notes when it fired, and can be told to hold no waker.
    struct Noted {
        name: &'static str,
        fired: Arc<Mutex<Vec<(&'static str, Duration)>>>,
        waker: bool,
    }

    impl Waiter for Noted {
        fn waiting(&self) -> Waiting {
            match self.waker {
                true => Waiting::WithWaker,
                false => Waiting::WithoutWaker,
            }
        }
        fn fire(self: Box<Self>) {
            let now = lock(&STATE).as_ref().unwrap().now;
            self.fired.lock().unwrap().push((self.name, now));
        }
    }

    #[test]
    fn deadlines_fire_in_order_each_at_its_time_and_only_when_the_clock_moves() {
        let paused = pause();
        let fired = Arc::default();
        let set = |name, ms| {
            let noted = Noted {
                name,
                fired: Arc::clone(&fired),
                waker: true,
            };
            assert!(schedule(Duration::from_millis(ms), || Box::new(noted)));
        };
        set("b", 20);
        set("a", 10);
        set("b again", 20);
        set("c", 30);
        assert_eq!(paused.waiting().waiting, 4);
        assert_eq!(paused.advance(Duration::from_millis(9)), 0);
        assert_eq!(paused.advance_to_next(), Some(Duration::from_millis(10)));
        assert_eq!(paused.advance(Duration::from_millis(15)), 2);
        assert_eq!(paused.now(), Duration::from_millis(25));
        let ms = Duration::from_millis;
        assert_eq!(
            *fired.lock().unwrap(),
            [("a", ms(10)), ("b", ms(20)), ("b again", ms(20))]
        );
        assert_eq!(paused.advance_to_next(), Some(ms(30)));
        assert_eq!(paused.advance_to_next(), None);
    }

    #[test]
    fn a_running_clock_takes_no_deadline_and_a_dropped_pause_forgets_them() {
        let paused = pause();
        let noted = || Noted {
            name: "x",
            fired: Arc::default(),
            waker: false,
        };
        assert!(schedule(Duration::from_secs(1), || Box::new(noted())));
        assert_eq!(
            paused.waiting(),
            Deadlines {
                waiting: 1,
                without_waker: 1
            }
        );
        drop(paused);
        assert!(!is_paused());
        assert!(!schedule(Duration::from_secs(1), || Box::new(noted())));
        let paused = pause();
        assert_eq!(paused.waiting(), Deadlines::default(), "forgotten");
    }
}
