//! Stage 9 against tokio's multi-thread runtime, on the workloads of
//! tokio's own scheduler benchmarks (`benches/rt_multi_threaded.rs`): many
//! spawns from a task and from outside the workers, many yields, ping-pong
//! through oneshot channels, and a chain of spawns. Each workload is
//! written once, over [`Scheduler`], and each run is a process of its own.
//!
//! "Outside the workers" is `block_on`'s thread for both runtimes: a spawn
//! there goes to the injector (tokio's inject queue), one from a task to
//! that worker's own queue. The oneshot channels are tokio's, which work on
//! any executor, for both.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;
use std::time::Duration;

use lab::measure::Stopwatch;

use crate::cases::process_status;

/// What a workload needs of a multi-thread runtime.
pub trait Scheduler {
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// Spawns a task, from inside the runtime, and lets it run on.
    fn spawn<F: Future<Output = ()> + Send + 'static>(future: F);
    fn yield_now() -> impl Future<Output = ()> + Send;
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;
}

/// Stage 9.
pub struct Stealing(pub work_stealing::Runtime);

impl Scheduler for Stealing {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) {
        drop(work_stealing::spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        work_stealing::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        work_stealing::time::sleep(duration)
    }
}

/// tokio's multi-thread runtime.
pub struct Tokio(pub tokio::runtime::Runtime);

impl Scheduler for Tokio {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) {
        drop(tokio::spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

/// The workloads, with the sizes of tokio's benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// 10,000 tasks spawned from a task, each counting down once.
    SpawnManyLocal,
    /// 10,000 tasks spawned from `block_on`'s thread.
    SpawnManyRemote,
    /// 200 tasks, each yielding 1,000 times.
    YieldMany,
    /// 1,000 pairs of tasks passing a value there and back.
    PingPong,
    /// A chain of 1,000 tasks, each spawning the next.
    ChainedSpawn,
    /// Nothing to do for 100 ms but wait for a timer: what idle workers cost.
    Idle,
}

impl Workload {
    pub const ALL: [Workload; 6] = [
        Workload::SpawnManyLocal,
        Workload::SpawnManyRemote,
        Workload::YieldMany,
        Workload::PingPong,
        Workload::ChainedSpawn,
        Workload::Idle,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnManyLocal => "spawn_many_local",
            Workload::SpawnManyRemote => "spawn_many_remote",
            Workload::YieldMany => "yield_many",
            Workload::PingPong => "ping_pong",
            Workload::ChainedSpawn => "chained_spawn",
            Workload::Idle => "idle",
        }
    }

    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// What one iteration does, for the report: how much work per unit.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::SpawnManyLocal | Workload::SpawnManyRemote => "10,000 spawns",
            Workload::YieldMany => "200,000 yields",
            Workload::PingPong => "1,000 ping-pongs",
            Workload::ChainedSpawn => "1,000 chained spawns",
            Workload::Idle => "100 ms asleep",
        }
    }

    /// Runs one iteration on `runtime`.
    fn once<S: Scheduler>(self, runtime: &S) {
        match self {
            Workload::SpawnManyLocal => runtime.block_on(async {
                let (done, finished) = mpsc::sync_channel(1);
                S::spawn(async move { spawn_many::<S>(done) });
                finished.recv().unwrap();
            }),
            Workload::SpawnManyRemote => runtime.block_on(async {
                let (done, finished) = mpsc::sync_channel(1);
                spawn_many::<S>(done);
                finished.recv().unwrap();
            }),
            Workload::YieldMany => runtime.block_on(async {
                const TASKS: usize = 200;
                let (done, finished) = mpsc::sync_channel(TASKS);
                for _ in 0..TASKS {
                    let done = done.clone();
                    S::spawn(async move {
                        for _ in 0..1_000 {
                            S::yield_now().await;
                        }
                        done.send(()).unwrap();
                    });
                }
                for _ in 0..TASKS {
                    finished.recv().unwrap();
                }
            }),
            Workload::PingPong => runtime.block_on(async {
                const PINGS: usize = 1_000;
                let (done, finished) = mpsc::sync_channel(1);
                let left = Arc::new(AtomicUsize::new(PINGS));
                S::spawn(async move {
                    for _ in 0..PINGS {
                        let (left, done) = (Arc::clone(&left), done.clone());
                        S::spawn(async move {
                            let (ping, pinged) = tokio::sync::oneshot::channel();
                            let (pong, ponged) = tokio::sync::oneshot::channel();
                            S::spawn(async move {
                                pinged.await.unwrap();
                                pong.send(()).unwrap();
                            });
                            ping.send(()).unwrap();
                            ponged.await.unwrap();
                            if left.fetch_sub(1, Relaxed) == 1 {
                                done.send(()).unwrap();
                            }
                        });
                    }
                });
                finished.recv().unwrap();
            }),
            Workload::ChainedSpawn => runtime.block_on(async {
                let (done, finished) = mpsc::sync_channel(1);
                S::spawn(async move { chain::<S>(done, 1_000) });
                finished.recv().unwrap();
            }),
            Workload::Idle => runtime.block_on(async {
                let (done, finished) = mpsc::sync_channel(1);
                S::spawn(async move {
                    S::sleep(Duration::from_millis(100)).await;
                    done.send(()).unwrap();
                });
                finished.recv().unwrap();
            }),
        }
    }
}

/// Spawns 10,000 tasks; the last to run tells `done`.
fn spawn_many<S: Scheduler>(done: mpsc::SyncSender<()>) {
    const SPAWNS: usize = 10_000;
    let left = Arc::new(AtomicUsize::new(SPAWNS));
    for _ in 0..SPAWNS {
        let (left, done) = (Arc::clone(&left), done.clone());
        S::spawn(async move {
            if left.fetch_sub(1, Relaxed) == 1 {
                done.send(()).unwrap();
            }
        });
    }
}

/// Spawns the next link of a chain of `n`; the last tells `done`.
fn chain<S: Scheduler>(done: mpsc::SyncSender<()>, n: usize) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        S::spawn(async move { chain::<S>(done, n - 1) });
    }
}

/// What one process measured: `iterations` of a workload.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SchedSample {
    pub wall: Duration,
    pub cpu: Duration,
    pub iterations: u32,
}

impl SchedSample {
    /// Wall time per iteration.
    pub fn per_iteration(&self) -> Duration {
        self.wall / self.iterations.max(1)
    }

    /// CPU time (all threads) per iteration.
    pub fn cpu_per_iteration(&self) -> Duration {
        self.cpu / self.iterations.max(1)
    }

    pub fn to_line(self) -> String {
        format!(
            "wall_ns={} cpu_ns={} iterations={}",
            self.wall.as_nanos(),
            self.cpu.as_nanos(),
            self.iterations
        )
    }

    pub fn from_line(line: &str) -> Result<SchedSample, String> {
        let mut sample = SchedSample::default();
        for pair in line.split_whitespace() {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("not key=value: {pair:?}"))?;
            let value: u64 = value
                .parse()
                .map_err(|_| format!("{key}: not a number: {value:?}"))?;
            match key {
                "wall_ns" => sample.wall = Duration::from_nanos(value),
                "cpu_ns" => sample.cpu = Duration::from_nanos(value),
                "iterations" => sample.iterations = value as u32,
                other => return Err(format!("unknown field {other:?}")),
            }
        }
        Ok(sample)
    }
}

/// Runs `workload` `iterations` times on `runtime` (stage 9 or tokio's
/// multi-thread runtime, with `workers` workers), after one iteration to
/// warm up: what it took.
pub fn run(stealing: bool, workers: usize, workload: Workload, iterations: u32) -> SchedSample {
    fn measure<S: Scheduler>(runtime: &S, workload: Workload, iterations: u32) -> SchedSample {
        workload.once(runtime);
        let stopwatch = Stopwatch::start();
        for _ in 0..iterations {
            workload.once(runtime);
        }
        let took = stopwatch.elapsed();
        SchedSample {
            wall: took.wall,
            cpu: took.cpu,
            iterations,
        }
    }
    let sample = if stealing {
        measure(
            &Stealing(work_stealing::Runtime::new(workers)),
            workload,
            iterations,
        )
    } else {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("tokio's runtime");
        measure(&Tokio(tokio), workload, iterations)
    };
    let _ = process_status();
    sample
}
