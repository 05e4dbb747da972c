//! The stage 4 demo: two waits on the waker executor, traced and set beside
//! stage 3's busy executor on sockets with the same delays; a thousand wakes
//! that give one poll; and a task that can never be woken. Also the observed
//! runs it is built on ([`Observed`], [`run_with_stats`], [`run_traced`]):
//! the executor, watched from outside by the `lab` crate's probes.
//!
//! The waits are [`Later`]s: futures that another thread makes ready. They
//! stand in for any source of events, so that this stage is about the
//! executor alone; stage 5 writes the socket's own future.

use std::future::{self, Future};
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use lab::demo::{Summary, about_delays};
use lab::measure::Thousands;
use simple_future::SocketFuture;
use socket_sim::MySocket;

use crate::{Event, EventKind, RunStats, Stuck, Wakers, run_with};

/// Writes the stage 4 demo to `out`, with sockets that take `delay`; its
/// main run, traced, is the first: two sockets, ready after 1 and 2 delays.
///
/// Takes about four delays. Sockets are seeded and have distinct delays, so
/// only times and the busy executor's poll count vary.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let socket = |delays: u32, seed| MySocket::builder().delay(delay * delays).seed(seed).build();
    writeln!(
        out,
        "run() polls each task once, then only when one of its wakers is woken; in between it sleeps."
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "1. Two waits, ready after 1 and 2 delays; another thread makes each ready and wakes it"
    )?;
    let (outputs, stats, events) = run_traced(vec![Later::new(1, delay), Later::new(2, delay * 2)]);
    let sockets = Summary {
        futures: Some(2),
        took: stats.measurement(),
        polls: Some(stats.polls),
        trace: None,
    };
    writeln!(out, "  outputs: {outputs:?}")?;
    for task in 0..outputs.len() {
        writeln!(out, "  task {task}: {}", story(&events, task, delay))?;
    }
    writeln!(out, "  (@n: about n delays after the start)")?;
    writeln!(
        out,
        "  waker executor: {} polls, {} wakes, {}: {}",
        stats.polls,
        stats.wakes,
        about_delays(stats.wall, delay),
        stats.measurement()
    )?;
    let busy = vec![
        SocketFuture::from(socket(1, 1)),
        SocketFuture::from(socket(2, 2)),
    ];
    let (_, busy) = busy_executor::run_with_stats(busy);
    writeln!(
        out,
        "  busy executor:  {} polls, for two sockets with the same delays, {}: {}",
        Thousands(busy.polls),
        about_delays(busy.wall, delay),
        busy.measurement()
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "2. A task that wakes itself 1000 times during one poll"
    )?;
    let (_, stats) = run_with_stats(vec![WakeOften {
        wakes: 1000,
        polled: false,
    }]);
    writeln!(
        out,
        "  {} wakes, {} polls: the first wake queues the task, the rest find it queued.",
        stats.wakes, stats.polls
    )?;

    writeln!(out)?;
    writeln!(out, "3. A future that forgets to hand its waker on")?;
    writeln!(
        out,
        "  It returns Pending, and nothing will ever wake it: an executor would sleep forever."
    )?;
    let forgetful = future::poll_fn(|_cx| Poll::<i32>::Pending);
    match Observed::new().try_run(vec![forgetful]) {
        Err(stuck) => writeln!(
            out,
            "  This one sees that nothing holds the task's waker, and says so:\n    {stuck}"
        )?,
        Ok(_) => unreachable!("a future that is always Pending cannot finish"),
    }
    Ok(Summary {
        trace: Some(events),
        ..sockets
    })
}

/// A future that another thread makes ready with `value`, `after` its first
/// poll: a stand-in for any source of events. At its first poll it hands
/// that thread a clone of the task's waker and says Pending; the thread
/// sets the flag and wakes it. (A thread per wait is wasteful: stage 1's
/// timer does the same for every socket with one thread.)
pub struct Later {
    value: i32,
    after: Duration,
    /// Set by the other thread, with Release, before it wakes the task.
    ready: Option<Arc<AtomicBool>>,
}

impl Later {
    /// Ready with `value`, `after` its first poll.
    pub fn new(value: i32, after: Duration) -> Self {
        Later {
            value,
            after,
            ready: None,
        }
    }
}

impl Future for Later {
    type Output = i32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i32> {
        match &self.ready {
            Some(ready) if ready.load(Ordering::Acquire) => Poll::Ready(self.value),
            Some(_) => Poll::Pending, // polled early: the thread still has the waker
            None => {
                let (ready, waker, after) = (
                    Arc::new(AtomicBool::new(false)),
                    cx.waker().clone(),
                    self.after,
                );
                let flag = Arc::clone(&ready);
                thread::spawn(move || {
                    thread::sleep(after);
                    flag.store(true, Ordering::Release);
                    waker.wake();
                });
                self.ready = Some(ready);
                Poll::Pending
            }
        }
    }
}

/// Wakes itself `wakes` times in its first poll and returns Pending; Ready at
/// the next poll.
struct WakeOften {
    wakes: usize,
    polled: bool,
}

impl Future for WakeOften {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            return Poll::Ready(());
        }
        self.polled = true;
        for _ in 0..self.wakes {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// One task's events, in order, each at its time in whole delays:
/// `Pending @0, woken @1, Ready @1`.
fn story(events: &[Event], task: usize, delay: Duration) -> String {
    // With a delay of 0 everything happens at once: at 0.
    let at = |event: &Event| {
        if delay.is_zero() {
            0.0
        } else {
            (event.at.as_secs_f64() / delay.as_secs_f64()).round()
        }
    };
    let told: Vec<String> = events
        .iter()
        .filter(|event| event.task == task)
        .map(|event| match event.kind {
            EventKind::Pending => format!("Pending @{}", at(event)),
            EventKind::Ready => format!("Ready @{}", at(event)),
            EventKind::Wake => format!("woken @{}", at(event)),
            EventKind::Dropped => format!("dropped @{}", at(event)),
        })
        .collect();
    told.join(", ")
}

// ---------------------------------------------------------------------------
// Observed runs, which the demo, the walkthrough, the tests and the bench
// use: the same `run`, over futures wrapped in the lab's probes. Nothing
// here is part of the executor; it only watches it.
// ---------------------------------------------------------------------------

/// [`run`](crate::run), also counting polls and wakes and measuring wall and CPU time.
///
/// # Examples
///
/// ```
/// use std::future::{Future, poll_fn};
/// use std::task::Poll;
///
/// // Pending once, having woken itself; then Ready.
/// let mut yielded = false;
/// let yield_once = poll_fn(move |cx| {
///     if std::mem::replace(&mut yielded, true) {
///         return Poll::Ready("done");
///     }
///     cx.waker().wake_by_ref();
///     Poll::Pending
/// });
/// # lab::patience::within_patience(|| {
/// let (outputs, stats) = waker_executor::run_with_stats(vec![yield_once]);
/// assert_eq!(outputs, ["done"]);
/// assert_eq!((stats.polls, stats.wakes), (2, 1));
/// # });
/// ```
pub fn run_with_stats<F: Future>(futures: Vec<F>) -> (Vec<F::Output>, RunStats) {
    let report = Observed::new().run(futures);
    (report.outputs, report.stats)
}

/// [`run_with_stats`], also recording every poll and wake as an [`Event`].
pub fn run_traced<F: Future>(futures: Vec<F>) -> (Vec<F::Output>, RunStats, Vec<Event>) {
    let report = Observed::new().traced().run(futures);
    (
        report.outputs,
        report.stats,
        report.trace.expect("a trace was asked for"),
    )
}

/// The set-up of an observed run of [`run`](crate::run): which wakers it
/// hands out, and whether it traces. Not an executor of its own: each of its
/// runs is `run`, over futures wrapped in probes that count polls and wakes
/// (`run` itself counts nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    wakers: Wakers,
    trace: bool,
}

/// What an observed run produced.
#[derive(Debug)]
pub struct Report<T> {
    /// The outputs, in the order the futures were given.
    pub outputs: Vec<T>,
    /// Polls, wakes, wall and CPU time.
    pub stats: RunStats,
    /// Every poll and wake, if the run was traced.
    pub trace: Option<Vec<Event>>,
}

impl Observed {
    /// `Wake` wakers, no trace.
    pub const fn new() -> Self {
        Observed {
            wakers: Wakers::Wake,
            trace: false,
        }
    }

    /// Hands out wakers built as `wakers` says.
    pub const fn wakers(self, wakers: Wakers) -> Self {
        Observed { wakers, ..self }
    }

    /// Records every poll and wake in [`Report::trace`].
    pub const fn traced(self) -> Self {
        Observed {
            trace: true,
            ..self
        }
    }

    /// [`run`](crate::run) with this set-up.
    ///
    /// # Panics
    ///
    /// As [`run`](crate::run).
    pub fn run<F: Future>(self, futures: Vec<F>) -> Report<F::Output> {
        self.try_run(futures)
            .unwrap_or_else(|stuck| panic!("{stuck}"))
    }

    /// [`block_on`](crate::block_on) as a run of one task with this set-up.
    pub fn block_on<F: Future>(self, future: F) -> F::Output {
        self.run(vec![future])
            .outputs
            .pop()
            .expect("one future, one output")
    }

    /// [`run`](crate::run) with this set-up, but a task that can never be woken is an
    /// error, not a panic. The futures are all dropped when it returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future;
    /// use std::task::Poll;
    /// use waker_executor::Observed;
    ///
    /// # lab::patience::within_patience(|| {
    /// // Pending, without handing its waker to anyone: nothing will ever wake it.
    /// let forgetful = future::poll_fn(|_cx| Poll::<()>::Pending);
    /// let stuck = Observed::new().try_run(vec![forgetful]).unwrap_err();
    /// assert_eq!(stuck.task, 0);
    /// assert!(stuck.to_string().contains("can never be woken"));
    /// # });
    /// ```
    pub fn try_run<F: Future>(self, futures: Vec<F>) -> Result<Report<F::Output>, Stuck> {
        let (outputs, seen) = lab::probe::observe(self.trace, |probe| {
            run_with(
                futures
                    .into_iter()
                    .enumerate()
                    .map(|(task, future)| probe.watch(task, future))
                    .collect(),
                self.wakers,
            )
        });
        let stats = RunStats {
            polls: seen.polls,
            wakes: seen.wakes,
            wall: seen.took.wall,
            cpu: seen.took.cpu,
        };
        Ok(Report {
            outputs: outputs?,
            stats,
            trace: seen.trace,
        })
    }
}
