//! Wall time and CPU time, so that every stage can say how busy the CPU was
//! while it waited.
//!
//! CPU time here is the whole process's: user plus system time of every
//! thread, as the operating system counts it (read through the cpu-time
//! crate). Divided by the wall time it gives the CPU share of a wait: 100 % is
//! one core busy from start to end, as in a busy wait; an executor that
//! sleeps while it waits stays near 0 %.
//!
//! Being process-wide, the figure also counts other threads that happen to be
//! busy at the same time (the timer thread, or other tests of a test binary):
//! measure one thing at a time.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};
use std::{fmt, fs, io, thread};

use cpu_time::ProcessTime;

/// This process's CPU time so far: user plus system time, all threads.
pub fn process_cpu_time() -> Duration {
    ProcessTime::now().as_duration()
}

/// The names of this process's threads, from `/proc/self/task` (Linux only;
/// elsewhere an error of kind `Unsupported`).
///
/// Linux keeps the first 15 bytes of a name.
pub fn thread_names() -> io::Result<Vec<String>> {
    if !cfg!(target_os = "linux") {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "thread names are read from /proc",
        ));
    }
    let mut names = Vec::new();
    for task in fs::read_dir("/proc/self/task")? {
        match fs::read_to_string(task?.path().join("comm")) {
            Ok(name) => names.push(name.trim_end().to_owned()),
            // A thread that ended while we listed them.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(names)
}

/// Runs `f` and measures it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lab::measure::measure;
///
/// let ((), sleeping) = measure(|| std::thread::sleep(Duration::from_millis(20)));
/// assert!(sleeping.wall >= Duration::from_millis(20));
/// assert!(sleeping.cpu_share() < 0.5, "sleeping leaves the CPU alone");
/// ```
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Measurement) {
    let stopwatch = Stopwatch::start();
    let value = f();
    (value, stopwatch.elapsed())
}

/// Started at some moment, tells the wall and CPU time since.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch {
    wall: Instant,
    cpu: Duration,
}

impl Stopwatch {
    /// Starts measuring now.
    pub fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: process_cpu_time(),
        }
    }

    /// The wall and CPU time since [`start`](Self::start).
    pub fn elapsed(&self) -> Measurement {
        Measurement {
            wall: self.wall.elapsed(),
            cpu: process_cpu_time().saturating_sub(self.cpu),
        }
    }
}

/// How many times the CPU share of a sleeping wait a busy wait must show,
/// at the least, to count as busy in this workspace's tests.
///
/// No absolute share works on every machine: a busy wait shows about 100 %
/// on an idle machine, but about 10 % when the tests run niced below two
/// busy processes on two cores. A sleeping wait shows well under 1 % either
/// way, so the ratio of the two, measured in the same test, tells them
/// apart wherever the tests run.
pub const BUSIER: f64 = 10.0;

/// Whether `busy` kept the CPU clearly busier than `sleeping` did, two
/// waits measured in the same test: [`BUSIER`] times the share at least.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use lab::measure::{clearly_busier, measure, sleeping_for};
///
/// let delay = Duration::from_millis(20);
/// let ((), spinning) = measure(|| {
///     let start = Instant::now();
///     while start.elapsed() < delay {}
/// });
/// assert!(clearly_busier(spinning, sleeping_for(delay)));
/// ```
pub fn clearly_busier(busy: Measurement, sleeping: Measurement) -> bool {
    busy.cpu_share() > BUSIER * sleeping.cpu_share()
}

/// The CPU share of the time that one wait took beyond a shorter one:
/// `(long.cpu - short.cpu) / (long.wall - short.wall)`; 0 if `long` was not
/// longer.
///
/// What waiting costs, apart from starting and ending: a wait that sleeps
/// costs the same CPU time however long it lasts, so its marginal share
/// stays near 0 % however busy the machine is. Its whole share does not:
/// the same few wake-ups cost more CPU on a crowded machine. A busy wait's
/// marginal share is its whole share, as much of a core as it gets.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lab::measure::{ASLEEP, marginal_share, sleeping_for};
///
/// let (short, long) = (sleeping_for(Duration::from_millis(10)), sleeping_for(Duration::from_millis(60)));
/// assert!(marginal_share(short, long) < ASLEEP);
/// ```
pub fn marginal_share(short: Measurement, long: Measurement) -> f64 {
    let Some(extra) = long
        .wall
        .checked_sub(short.wall)
        .filter(|extra| !extra.is_zero())
    else {
        return 0.0;
    };
    long.cpu.saturating_sub(short.cpu).as_secs_f64() / extra.as_secs_f64()
}

/// The most marginal share ([`marginal_share`]) a wait that sleeps shows in
/// this workspace's tests: 2 %, where a sleeping wait's is a few hundredths
/// of a percent and a busy wait's, even niced below two busy processes on
/// two cores, about 10 %. The margin is for the noise of starting and
/// ending a wait, which a short wait and a long one do not share exactly.
pub const ASLEEP: f64 = 0.02;

/// A wait of `delay` that sleeps, measured: what a busy wait is set against.
pub fn sleeping_for(delay: Duration) -> Measurement {
    measure(|| thread::sleep(delay)).1
}

/// How long something took, on the clock and on the CPU.
///
/// Displays as `"203 ms, CPU busy 99% of it"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measurement {
    /// Time on the clock.
    pub wall: Duration,
    /// CPU time of the whole process over the same span.
    pub cpu: Duration,
}

impl Measurement {
    /// CPU time per wall time: 1.0 is one core busy all along, 0.0 an idle
    /// process; above 1.0 when several threads were busy at once.
    pub fn cpu_share(&self) -> f64 {
        if self.wall.is_zero() {
            return 0.0;
        }
        self.cpu.as_secs_f64() / self.wall.as_secs_f64()
    }
}

impl fmt::Display for Measurement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Under a millisecond, the clocks' granularity makes a share noise.
        if self.wall < Duration::from_millis(1) {
            return write!(f, "under 1 ms");
        }
        write!(
            f,
            "{} ms, CPU busy {} of it",
            self.wall.as_millis(),
            Percent(self.cpu_share())
        )
    }
}

/// A share shown as a percentage: whole percents, with one decimal below
/// 10 % and two below 1 %, so that an idle executor's 0.02 % does not read
/// as 0 %.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percent(pub f64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let percent = self.0 * 100.0;
        let decimals = if percent < 0.995 {
            2
        } else if percent < 9.95 {
            1
        } else {
            0
        };
        write!(f, "{percent:.decimals$}%")
    }
}

/// A count shown with thousands separators: `12,345,678`, so that a
/// learner sees millions of polls at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thousands(pub u64);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                f.write_str(",")?;
            }
            write!(f, "{digit}")?;
        }
        Ok(())
    }
}

/// A waker that counts its wake-ups and can be waited on: the instrument the
/// tests use to watch wake-ups happen.
///
/// # Examples
///
/// ```
/// use std::thread;
/// use std::time::Duration;
/// use lab::measure::WakeCounter;
///
/// let counter = WakeCounter::new();
/// let waker = counter.waker();
/// assert_eq!(counter.live_wakers(), 1);
/// waker.wake_by_ref();
/// thread::spawn(move || waker.wake()); // woken by value, on another thread
/// assert!(counter.wait_for(2, Duration::from_secs(10)));
/// assert_eq!(counter.wakes(), 2);
/// ```
#[derive(Debug, Default)]
pub struct WakeCounter {
    /// Wake-ups so far, by value or by reference.
    wakes: Mutex<usize>,
    /// Notified on every wake-up, for [`wait_for`](Self::wait_for).
    woken: Condvar,
}

impl WakeCounter {
    /// A counter at zero.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// A waker that counts into this counter.
    pub fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }

    /// How often a waker of this counter was woken.
    pub fn wakes(&self) -> usize {
        *self.wakes.lock().unwrap()
    }

    /// How many wakers of this counter are alive, not counting the `Arc`
    /// this is called on: each waker holds one reference.
    pub fn live_wakers(self: &Arc<Self>) -> usize {
        Arc::strong_count(self) - 1
    }

    /// Blocks until the wakers were woken at least `wakes` times in all, or
    /// until `timeout` passed. Tells whether they were.
    pub fn wait_for(&self, wakes: usize, timeout: Duration) -> bool {
        let count = self.wakes.lock().unwrap();
        let (count, _) = self
            .woken
            .wait_timeout_while(count, timeout, |count| *count < wakes)
            .unwrap();
        *count >= wakes
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.wakes.lock().unwrap() += 1;
        self.woken.notify_all();
    }
}

/// Counts the polls of the futures it wraps, whatever executor polls them:
/// the instrument for "how many polls did that take?" on executors that do
/// not count (`futures_executor`'s, for one).
///
/// # Examples
///
/// ```
/// use std::future::{self, Future};
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
/// use lab::measure::PollCounter;
///
/// let counter = PollCounter::new();
/// let mut future = counter.count(future::ready(7));
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(Pin::new(&mut future).poll(&mut cx), Poll::Ready(7));
/// assert_eq!(counter.polls(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct PollCounter(Arc<AtomicU64>);

impl PollCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Polls of every future this counter wrapped, so far.
    pub fn polls(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// `future`, counting each of its polls into this counter. It must be
    /// `Unpin`; pin any other with `Box::pin(future)` first.
    pub fn count<F: Future + Unpin>(&self, future: F) -> Counted<F> {
        Counted {
            future,
            counter: self.clone(),
        }
    }
}

/// A future whose polls a [`PollCounter`] counts.
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Counted<F> {
    future: F,
    counter: PollCounter,
}

impl<F: Future + Unpin> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.counter.0.fetch_add(1, Ordering::Relaxed);
        Pin::new(&mut self.future).poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_keeps_a_decimal_only_for_small_shares() {
        let shares = [
            0.0, 0.0002, 0.0016, 0.00996, 0.099, 0.0996, 0.5, 0.996, 1.87,
        ];
        let shown = shares.map(|share| Percent(share).to_string());
        assert_eq!(
            shown,
            [
                "0.00%", "0.02%", "0.16%", "1.0%", "9.9%", "10%", "50%", "100%", "187%"
            ]
        );
    }

    #[test]
    fn thousands_are_separated_by_commas() {
        let shown = [0, 7, 999, 1_000, 12_345, 999_999, 1_000_000, 12_345_678]
            .map(|n| Thousands(n).to_string());
        assert_eq!(
            shown,
            [
                "0",
                "7",
                "999",
                "1,000",
                "12,345",
                "999,999",
                "1,000,000",
                "12,345,678"
            ]
        );
    }

    #[test]
    fn a_zero_length_measurement_has_no_share() {
        assert_eq!(Measurement::default().cpu_share(), 0.0);
    }

    #[test]
    fn display_gives_milliseconds_and_share() {
        let m = Measurement {
            wall: Duration::from_millis(200),
            cpu: Duration::from_millis(100),
        };
        assert_eq!(m.to_string(), "200 ms, CPU busy 50% of it");
    }
}
