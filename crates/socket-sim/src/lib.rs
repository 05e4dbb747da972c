//! Stage 1, "The setup": a fake socket, and the two ways of waiting for it that
//! come before futures.
//!
//! A [`MySocket`] becomes readable a fixed delay after it is built (2 s unless
//! told otherwise) and then holds one `i32`. It stands in for a real socket:
//! [`MySocket::has_data_to_read`] plays the part of asking the operating system
//! whether data has arrived, and [`MySocket::set_readable_callback`] the part of
//! asking it to tell us when it does. Behind every socket of the process is ONE
//! timer thread that marks sockets readable at their deadlines and calls the
//! wakers they were given (see `timer.rs`). A test may stop time for the
//! sockets it builds (`lab::clock`): they then wait on a clock it moves itself.
//!
//! [`get_num_sync`] and [`get_2_num_async_hardcode`] are the article's first two
//! attempts at reading numbers: one socket after another (two delays for two
//! numbers), or both sockets built first and waited for together (one delay).
//! Both wait by asking "ready yet?" in a loop, so a core is busy the whole
//! time; the demo puts a number on that, measured from outside by the `lab` crate.
//!
//! What this stage leaves out: a way to wait for any number of sockets, or for
//! a socket and a file, without writing a new function each time. Stage 2
//! (simple-future) gives everything we wait for the same shape: a future that
//! is polled.
#![forbid(unsafe_code)]

mod delay;
pub mod demo;
mod sync;
mod timer;

use std::hint;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Waker;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::sync::{AtomicBool, Mutex};

pub use delay::{
    DEFAULT_DELAY, DELAY_ENV, DelayError, MAX_DELAY_MS, default_delay, parse_delay_ms,
};
pub use demo::{SocketCounts, socket_counts};
pub use timer::{THREAD_NAME as TIMER_THREAD_NAME, timer_is_running};

/// Reads one number from a new socket, asking "ready yet?" until it is:
/// the article's synchronous read. Takes one delay and keeps a core busy.
pub fn get_num_sync() -> i32 {
    get_num_sync_with(MySocket::builder())
}

// ANCHOR: get_num_sync
/// [`get_num_sync`] on a socket built by `builder`.
pub fn get_num_sync_with(builder: SocketBuilder) -> i32 {
    let socket = builder.build();
    // Busy wait: nothing else can run on this core until the socket is ready.
    while !socket.has_data_to_read() {
        hint::spin_loop();
    }
    socket.read_data()
}
// ANCHOR_END: get_num_sync

/// Reads two numbers from two sockets built together, waiting for both in
/// one loop: one delay for two numbers, but still a busy core, and a new
/// function would be needed for three.
pub fn get_2_num_async_hardcode() -> (i32, i32) {
    get_2_num_async_hardcode_with(MySocket::builder(), MySocket::builder())
}

// ANCHOR: get_2_num_async_hardcode
/// [`get_2_num_async_hardcode`] on sockets built by `first` and `second`.
pub fn get_2_num_async_hardcode_with(first: SocketBuilder, second: SocketBuilder) -> (i32, i32) {
    let (s1, s2) = (first.build(), second.build());
    // Both delays run at the same time, so this waits for the longer one only.
    while !(s1.has_data_to_read() && s2.has_data_to_read()) {
        hint::spin_loop();
    }
    (s1.read_data(), s2.read_data())
}
// ANCHOR_END: get_2_num_async_hardcode

/// A fake socket: readable a fixed delay after it was built, then holding one `i32`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use socket_sim::MySocket;
///
/// // Not readable before its delay has passed...
/// let later = MySocket::builder().delay(Duration::from_secs(3600)).build();
/// assert!(!later.has_data_to_read());
/// assert_eq!(later.try_read_data(), None);
///
/// // ...and readable soon after it.
/// let socket = MySocket::builder().delay(Duration::from_millis(10)).value(7).build();
/// let start = Instant::now();
/// // The busy wait of the article, with a way out if the timer never fires.
/// while !socket.has_data_to_read() {
///     assert!(start.elapsed() < lab::patience::PATIENCE, "never readable");
/// }
/// assert_eq!(socket.read_data(), 7);
/// ```
#[derive(Debug)]
pub struct MySocket {
    /// The number this socket holds once it is readable.
    value: i32,
    /// What this socket shares with the timer thread.
    readiness: Arc<Readiness>,
    /// Its deadline on the timer, to take it off when the socket is dropped
    /// early; `None` when the socket was readable from the start.
    deadline: Option<timer::Key>,
}

// ANCHOR: readiness
/// The state a socket shares with the timer thread.
///
/// The two halves of a wake-up meet here: the timer thread marks the socket
/// readable and takes the waker to wake ([`Readiness::mark_readable`]), and
/// a registration stores one ([`MySocket::set_readable_callback`]). The
/// `waker` lock puts each registration wholly before the mark or wholly
/// after it, so that no wake-up is ever lost in between.
///
/// No code that can panic runs while the lock is held (no waker is woken or
/// dropped under it), so it is never poisoned and `lock()` cannot fail.
#[derive(Debug, Default)]
struct Readiness {
    /// False until the timer thread marks the socket readable, then true for
    /// good. Written under the `waker` lock (or, for a delay of 0, before the
    /// socket is shared); also read without it by `has_data_to_read`, hence
    /// an atomic (Release on write, Acquire on read).
    readable: AtomicBool,
    /// The newest waker registered and not yet woken. Whoever wakes it takes it
    /// out first, so each registered waker is woken at most once.
    waker: Mutex<Option<Waker>>,
}
// ANCHOR_END: readiness

impl MySocket {
    /// A socket that is readable after the default delay (2 s, or
    /// `SOCKET_SIM_DELAY_MS`) and holds a random number.
    ///
    /// # Panics
    ///
    /// If `SOCKET_SIM_DELAY_MS` is set but is not a whole number of
    /// milliseconds up to one hour; check it first with [`default_delay`].
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts describing a socket: its delay, its value, or the seed of its value.
    pub fn builder() -> SocketBuilder {
        SocketBuilder::default()
    }

    /// Whether the socket is readable: true once its delay has passed and its
    /// timer (the timer thread, or a paused clock) has marked it, and from
    /// then on.
    pub fn has_data_to_read(&self) -> bool {
        self.readiness.readable.load(Ordering::Acquire)
    }

    /// Reads the socket's number.
    ///
    /// # Panics
    ///
    /// If the socket is not readable yet: ask [`has_data_to_read`](Self::has_data_to_read)
    /// first, or use [`try_read_data`](Self::try_read_data).
    pub fn read_data(&self) -> i32 {
        match self.try_read_data() {
            Some(value) => value,
            None => panic!(
                "socket not readable yet: read_data was called before has_data_to_read returned true"
            ),
        }
    }

    /// Reads the socket's number if it is readable, and never panics.
    pub fn try_read_data(&self) -> Option<i32> {
        self.has_data_to_read().then_some(self.value)
    }

    // ANCHOR: set_readable_callback
    /// Asks the socket to wake `waker` once it becomes readable.
    ///
    /// Only the newest waker is kept: registering again replaces (and drops)
    /// the one before, unwoken. On a socket that is already readable the waker
    /// is woken at once, so registering after a `has_data_to_read` that said
    /// false can never miss the wake-up.
    pub fn set_readable_callback(&self, waker: Waker) {
        // exercise: under the waker lock, wake now if already readable, else keep only this newest waker
        // Under the lock, this registration comes wholly before the timer's
        // mark (the timer then takes this waker and wakes it) or wholly
        // after it (and it wakes at once).
        let mut slot = self.readiness.waker.lock().unwrap();
        if self.readiness.readable.load(Ordering::Acquire) {
            // The timer thread has fired already and will not come back.
            drop(slot);
            waker.wake();
        } else {
            // The timer thread takes this waker when it fires. An older one
            // may belong to a task that has moved on, so it is dropped.
            let older = slot.replace(waker);
            drop(slot);
            // Dropping a waker runs the executor's code: never under our lock.
            drop(older);
        }
        // end exercise
    }
    // ANCHOR_END: set_readable_callback
}

impl Default for MySocket {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for MySocket {
    /// Cancels the socket: its deadline is taken off the timer, and a waker
    /// still registered is dropped, never woken.
    fn drop(&mut self) {
        if let Some(key) = self.deadline {
            timer::cancel(key);
        }
        // Taken under the lock, so the timer thread, if it fires this very
        // socket now, either got the waker first (the socket was readable
        // before it was dropped) or finds none.
        let waker = self.readiness.waker.lock().unwrap().take();
        drop(waker);
    }
}

impl Readiness {
    /// Marks the socket readable and hands back the waker to wake, if any.
    /// Called by the socket's timer (the timer thread, or a paused clock),
    /// once per socket, at its deadline.
    fn mark_readable(&self) -> Option<Waker> {
        let mut slot = self.waker.lock().unwrap();
        self.readable.store(true, Ordering::Release);
        slot.take()
    }
}

/// The timer's part, for the model in `tests/loom.rs`: in a `--cfg loom`
/// build no timer runs, and the model's own thread marks the socket.
#[cfg(loom)]
impl MySocket {
    #[doc(hidden)]
    pub fn fire_for_model(&self) {
        if let Some(waker) = self.readiness.mark_readable() {
            waker.wake();
        }
    }
}

/// Describes a socket before it is built: [`MySocket::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use socket_sim::MySocket;
/// use lab::measure::WakeCounter;
///
/// let builder = MySocket::builder().delay(Duration::from_millis(5)).seed(42);
/// let (a, b) = (builder.build(), builder.build());
/// let counter = WakeCounter::new();
/// a.set_readable_callback(counter.waker());
/// b.set_readable_callback(counter.waker());
/// assert!(counter.wait_for(2, lab::patience::PATIENCE), "never readable");
/// assert_eq!(a.read_data(), b.read_data()); // same seed, same number
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct SocketBuilder {
    delay: Option<Duration>,
    value: Option<i32>,
    seed: Option<u64>,
}

impl SocketBuilder {
    /// How long after it is built the socket becomes readable. Without it,
    /// the default delay of [`MySocket::new`]. Zero makes a socket that is
    /// readable at once.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// The number the socket holds. Wins over [`seed`](Self::seed).
    pub fn value(mut self, value: i32) -> Self {
        self.value = Some(value);
        self
    }

    /// Draws the socket's number from a random generator seeded with `seed`,
    /// so that the same seed gives the same number, run after run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Builds a socket; its delay starts now. A builder can build many.
    ///
    /// # Panics
    ///
    /// Without a [`delay`](Self::delay), if `SOCKET_SIM_DELAY_MS` is set but
    /// is not a whole number of milliseconds up to one hour.
    pub fn build(&self) -> MySocket {
        let delay = match self.delay {
            Some(delay) => delay,
            None => default_delay().unwrap_or_else(|error| panic!("{error}")),
        };
        let value = match (self.value, self.seed) {
            (Some(value), _) => value,
            (None, Some(seed)) => StdRng::seed_from_u64(seed).random(),
            (None, None) => rand::random(),
        };
        let readiness = Arc::new(Readiness::default());
        let deadline = if delay.is_zero() {
            // Readable from the start, so Ready at the first poll. Marked
            // here, not by the timer thread, which would race that poll.
            readiness.readable.store(true, Ordering::Release);
            None
        } else {
            timer::schedule(delay, Arc::downgrade(&readiness))
        };
        MySocket {
            value,
            readiness,
            deadline,
        }
    }
}
