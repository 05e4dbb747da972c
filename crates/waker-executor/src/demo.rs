//! The stage 4 demo: sockets on the waker executor, traced and set beside
//! stage 3's busy executor; a thousand wakes that give one poll; and a task
//! that can never be woken.

use std::future::{self, Future};
use std::io::{self, Write};
use std::task::Poll;
use std::time::Duration;

use simple_future::SocketFuture;
use socket_sim::MySocket;
use socket_sim::demo::{Summary, about_delays};
use socket_sim::measure::Thousands;

use crate::{Event, EventKind, Executor, run_traced, run_with_stats};

/// Writes the stage 4 demo to `out`, with sockets that take `delay`; its
/// main run, traced, is the first: two sockets, ready after 1 and 2 delays.
///
/// Takes about four delays. Sockets are seeded and have distinct delays, so
/// only times and the busy executor's poll count vary.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let socket = |delays: u32, seed| MySocket::builder().delay(delay * delays).seed(seed).build();
    writeln!(out, "run() polls each task once, then only when one of its wakers is woken; in between it sleeps.")?;

    writeln!(out)?;
    writeln!(out, "1. Two sockets, ready after 1 and 2 delays; the socket's timer thread wakes them")?;
    let (outputs, stats, events) = run_traced(vec![readable(socket(1, 1)), readable(socket(2, 2))]);
    let sockets = Summary { futures: Some(2), took: stats.measurement(), polls: Some(stats.polls), trace: None };
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
    let busy = vec![SocketFuture::from(socket(1, 1)), SocketFuture::from(socket(2, 2))];
    let (_, busy) = busy_executor::run_with_stats(busy);
    writeln!(
        out,
        "  busy executor:  {} polls, for the same sockets, {}: {}",
        Thousands(busy.polls),
        about_delays(busy.wall, delay),
        busy.measurement()
    )?;

    writeln!(out)?;
    writeln!(out, "2. A task that wakes itself 1000 times during one poll")?;
    let (_, stats) = run_with_stats(vec![WakeOften { wakes: 1000, polled: false }]);
    writeln!(
        out,
        "  {} wakes, {} polls: the first wake queues the task, the rest find it queued.",
        stats.wakes, stats.polls
    )?;

    writeln!(out)?;
    writeln!(out, "3. A future that forgets to register its waker")?;
    writeln!(out, "  It returns Pending, and nothing will ever wake it: an executor would sleep forever.")?;
    match Executor::new().try_run(vec![forgetful(socket(1, 1))]) {
        Err(stuck) => writeln!(out, "  This one sees that nothing holds the task's waker, and says so:\n    {stuck}")?,
        Ok(_) => writeln!(out, "  ...yet it finished: the socket was ready at the first poll.")?,
    }
    Ok(Summary { trace: Some(events), ..sockets })
}

/// A socket as a std `Future`, written inline with `poll_fn`: ready with its
/// number, else it hands the socket the task's waker. The demo and the tests
/// run it; stage 5 makes it a type of its own, `FutSocket`, with the same poll.
pub fn readable(socket: MySocket) -> impl Future<Output = i32> {
    future::poll_fn(move |cx| match socket.try_read_data() {
        Some(value) => Poll::Ready(value),
        None => {
            socket.set_readable_callback(cx.waker().clone());
            Poll::Pending
        }
    })
}

/// The usual mistake: Pending, but the waker was never handed to the socket.
fn forgetful(socket: MySocket) -> impl Future<Output = i32> {
    future::poll_fn(move |_cx| match socket.try_read_data() {
        Some(value) => Poll::Ready(value),
        None => Poll::Pending,
    })
}

/// Wakes itself `wakes` times in its first poll and returns Pending; Ready at
/// the next poll.
struct WakeOften {
    wakes: usize,
    polled: bool,
}

impl Future for WakeOften {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
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
    let at = |event: &Event| if delay.is_zero() { 0.0 } else { (event.at.as_secs_f64() / delay.as_secs_f64()).round() };
    let told: Vec<String> = events
        .iter()
        .filter(|event| event.task == task)
        .map(|event| match event.kind {
            EventKind::Pending => format!("Pending @{}", at(event)),
            EventKind::Ready => format!("Ready @{}", at(event)),
            EventKind::Wake => format!("woken @{}", at(event)),
        })
        .collect();
    told.join(", ")
}
