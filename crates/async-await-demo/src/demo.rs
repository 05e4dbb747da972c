//! The stage 6 demo: awaiting in turn and together; `read_file` beside the
//! state machine the compiler makes of it; and the same async fns on a
//! multi-threaded executor.

use std::fmt::Write as _;
use std::fs;
use std::future::Future;
use std::io::{self, Write};
use std::mem;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_executor::ThreadPool;
use lab::demo::{Summary, about_delays};
use lab::measure::{Stopwatch, WakeCounter};
use socket_sim::MySocket;
use waker_executor::EventKind;

use crate::blocking::{JobPoll, watch_polls};
use crate::{ReadFile, get_two_concurrent_with, get_two_sequential_with, read_file};

/// Writes the stage 6 demo to `out`, with sockets that take `delay`; its
/// main run, traced, is the first: the two socket async fns side by side.
///
/// Takes about three delays, and writes (then removes) one small file in the
/// system's temporary directory.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let socket = |delays: u32, seed| MySocket::builder().delay(delay / 2 * delays).seed(seed);
    writeln!(
        out,
        "An async fn is a future whose poll the compiler writes: each .await that"
    )?;
    writeln!(
        out,
        "gets Pending returns Pending, and the next poll carries on from there."
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "1. Two numbers awaited in turn (task 0) and together with join (task 1), side by side"
    )?;
    writeln!(
        out,
        "  Task 0's two sockets take one delay each. Task 1's take one delay and half a delay, so that"
    )?;
    writeln!(
        out,
        "  its join is woken twice, at half a delay and at one, and polls its slower socket again between."
    )?;
    // Half a delay, rather than one for both: the joined pair's two wakes
    // then come one at a time, and the join is polled after each.
    let tasks: Vec<PairFuture> = vec![
        Box::pin(get_two_sequential_with(socket(2, 1), socket(2, 2))),
        Box::pin(get_two_concurrent_with(socket(2, 1), socket(1, 2))),
    ];
    let (pairs, stats, trace) = waker_executor::run_traced(tasks);
    for (task, (name, pair)) in ["get_two_sequential()", "get_two_concurrent()"]
        .iter()
        .zip(&pairs)
        .enumerate()
    {
        let polls = trace
            .iter()
            .filter(|event| event.task == task && event.kind != EventKind::Wake)
            .count();
        let done = trace
            .iter()
            .find(|event| event.task == task && event.kind == EventKind::Ready);
        let done = done.map_or(Duration::ZERO, |event| event.at);
        writeln!(
            out,
            "  task {task}, {name}: {pair:?} after {}, {polls} polls",
            about_delays(done, delay)
        )?;
    }
    writeln!(
        out,
        "  Both on one thread, at once: {}",
        stats.measurement()
    )?;
    let side_by_side = Summary {
        futures: Some(2),
        took: stats.measurement(),
        polls: Some(stats.polls),
        trace: Some(trace),
    };

    writeln!(out)?;
    writeln!(
        out,
        "2. read_file, the async fn, beside ReadFile, the state machine the compiler makes of it"
    )?;
    let file = DemoFile::new("Hello from poll-to-await!\nGrüße, ✓\n")?;
    let mut left = Vec::new();
    let async_text = step_through(read_file(&file.0), |jobs, _| left.push(describe(jobs)));
    let mut right = Vec::new();
    let mut state = "Start";
    let hand_text = step_through(ReadFile::new(&file.0), |jobs, future| {
        right.push(format!("{state} -> {}: {}", future.state(), describe(jobs)));
        state = future.state();
    });
    writeln!(
        out,
        "  poll  {:30}  ReadFile (by hand)",
        "read_file (async fn)"
    )?;
    for (poll, (left, right)) in left.iter().zip(&right).enumerate() {
        writeln!(out, "  {:<4}  {left:30}  {right}", poll + 1)?;
    }
    match (&async_text, &hand_text) {
        (Ok(a), Ok(b)) if a == b => writeln!(
            out,
            "  The same awaits in the same order; both read {} bytes: {a:?}",
            a.len()
        )?,
        _ => writeln!(
            out,
            "  They differ! the async fn: {async_text:?}; by hand: {hand_text:?}"
        )?,
    }
    writeln!(
        out,
        "  Sizes: the async fn's future {} bytes, ReadFile {} bytes: both are just a state and the data it needs.",
        mem::size_of_val(&read_file(&file.0)),
        mem::size_of_val(&ReadFile::new(&file.0)),
    )?;
    drop(file);
    let missing = "poll-to-await-no-such-file.txt";
    let async_error = waker_executor::block_on(read_file(missing)).unwrap_err();
    let hand_error = waker_executor::block_on(ReadFile::new(missing)).unwrap_err();
    writeln!(out, "  A missing file, the async fn: {async_error}")?;
    writeln!(out, "  A missing file, by hand:      {hand_error}")?;

    writeln!(out)?;
    writeln!(
        out,
        "3. In production: the same async fn on futures' multi-threaded ThreadPool"
    )?;
    let pool = ThreadPool::builder().pool_size(2).create()?;
    let (sender, receiver) = mpsc::channel();
    let stopwatch = Stopwatch::start();
    let pair = get_two_concurrent_with(socket(2, 1), socket(1, 2));
    pool.spawn_ok(async move { sender.send(pair.await).expect("the demo waits for it") });
    let pair = receiver
        .recv_timeout(lab::patience::PATIENCE)
        .expect("the pool ran the task");
    let took = stopwatch.elapsed();
    writeln!(
        out,
        "  get_two_concurrent() on 2 threads: {pair:?}, {}: {took}",
        about_delays(took.wall, delay)
    )?;
    writeln!(
        out,
        "  Same numbers, untouched code: performance is the executor's business, not the future's."
    )?;
    Ok(side_by_side)
}

/// Two different async fns, boxed so that one executor run takes both.
type PairFuture = Pin<Box<dyn Future<Output = (i32, i32)>>>;

/// Polls `future` to the end on this thread, sleeping until each wake, and
/// after each poll tells `each` which `Blocking` jobs that poll polled and
/// how the future looks now. Returns the output.
pub fn step_through<F: Future>(future: F, mut each: impl FnMut(&[JobPoll], &F)) -> F::Output {
    let mut future = Box::pin(future);
    let counter = WakeCounter::new();
    let waker = counter.waker();
    for polls in 1.. {
        let (poll, jobs) = watch_polls(|| future.as_mut().poll(&mut Context::from_waker(&waker)));
        each(&jobs, &future);
        if let Poll::Ready(output) = poll {
            return output;
        }
        lab::patience::wait_until(&format!("a wake after poll {polls}"), || {
            counter.wait_for(polls, Duration::from_millis(20))
        });
    }
    unreachable!("polled until Ready")
}

/// The jobs one poll polled: `open Ready, read Pending`.
fn describe(jobs: &[JobPoll]) -> String {
    jobs.iter().fold(String::new(), |mut told, job| {
        let separator = if told.is_empty() { "" } else { ", " };
        let outcome = if job.ready { "Ready" } else { "Pending" };
        let _ = write!(told, "{separator}{} {outcome}", job.job);
        told
    })
}

/// A file the demo writes, and removes when dropped.
struct DemoFile(PathBuf);

impl DemoFile {
    fn new(text: &str) -> io::Result<Self> {
        let path =
            std::env::temp_dir().join(format!("poll-to-await-demo-{}.txt", std::process::id()));
        fs::write(&path, text)?;
        Ok(DemoFile(path))
    }
}

impl Drop for DemoFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}
