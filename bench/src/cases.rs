//! One measurement: a way of waiting (a stage, or one of `futures`'
//! executors) on N sockets or N ready futures, run in a process of its own
//! so that its peak memory and its thread count are its own.

use std::cell::Cell;
use std::fmt;
use std::future;
use std::time::Duration;

use async_await_demo::get_num_with;
use futsocket::FutSocket;
use futures_executor::LocalPool;
use futures_util::FutureExt;
use futures_util::future::join_all;
use futures_util::task::LocalSpawnExt;
use lab::measure::{PollCounter, Stopwatch};
use simple_future::SocketFuture;
use socket_sim::{MySocket, SocketBuilder, get_2_num_async_hardcode_with, get_num_sync_with};

/// A way of waiting, measured on `n` things.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Stage 1: `get_num_sync`, n times in a row.
    Sync,
    /// Stage 1: `get_2_num_async_hardcode` (n is 2).
    Hardcoded,
    /// Stage 3: `busy_executor::run` on n `SocketFuture`s.
    Busy,
    /// Stages 4 and 5: `waker_executor::run` on n `FutSocket`s.
    Waker,
    /// Stage 6: `waker_executor::run` on n `get_num` async fns.
    Async,
    /// `futures_executor::LocalPool`, n `FutSocket`s spawned.
    LocalPool,
    /// `futures_executor::block_on(join_all(..))` on n `FutSocket`s.
    JoinAll,
    /// `waker_executor::run` on n futures that are ready at once.
    ReadyWaker,
    /// `LocalPool`, n ready futures spawned.
    ReadyLocalPool,
    /// `block_on(join_all(..))` on n ready futures.
    ReadyJoinAll,
}

impl Case {
    pub const ALL: [Case; 10] = [
        Case::Sync,
        Case::Hardcoded,
        Case::Busy,
        Case::Waker,
        Case::Async,
        Case::LocalPool,
        Case::JoinAll,
        Case::ReadyWaker,
        Case::ReadyLocalPool,
        Case::ReadyJoinAll,
    ];

    /// The name a case goes by on the command line of `bench case`.
    pub fn name(self) -> &'static str {
        match self {
            Case::Sync => "sync",
            Case::Hardcoded => "hardcoded",
            Case::Busy => "busy",
            Case::Waker => "waker",
            Case::Async => "async",
            Case::LocalPool => "localpool",
            Case::JoinAll => "join_all",
            Case::ReadyWaker => "ready-waker",
            Case::ReadyLocalPool => "ready-localpool",
            Case::ReadyJoinAll => "ready-join_all",
        }
    }

    pub fn parse(name: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|case| case.name() == name)
    }

    /// Measures this case on `n` sockets that take `delay` (or `n` ready futures).
    ///
    /// Every executor gets the same thing to run: a `Vec` of futures over
    /// sockets built after the clock starts (the sockets' delays run from
    /// then), or a `Vec` of ready futures built before it.
    pub fn run(self, n: usize, delay: Duration) -> Sample {
        // Plain values, not seeded ones: drawing 100,000 random numbers
        // would be measured as executor overhead.
        let sockets = move || (0..n).map(move |i| MySocket::builder().delay(delay).value(i as i32));
        let ready: Vec<_> = match self {
            Case::ReadyWaker | Case::ReadyLocalPool | Case::ReadyJoinAll => {
                (0..n).map(|_| future::ready(())).collect()
            }
            _ => Vec::new(),
        };
        let stopwatch = Stopwatch::start();
        // The sockets' delays run from their building; `built` says when the
        // last one was built, so its deadline is `built` plus the delay.
        let built = Cell::new(Duration::ZERO);
        let futsockets = || {
            let futures: Vec<FutSocket> = sockets().map(FutSocket::from).collect();
            built.set(stopwatch.elapsed().wall);
            futures
        };
        let counter = PollCounter::new();
        let polls = match self {
            Case::Sync => {
                sockets().for_each(|socket| {
                    get_num_sync_with(socket);
                });
                None
            }
            Case::Hardcoded => {
                let [first, second]: [SocketBuilder; 2] =
                    sockets().collect::<Vec<_>>().try_into().expect("n is 2");
                get_2_num_async_hardcode_with(first, second);
                None
            }
            Case::Busy => {
                let futures = sockets()
                    .map(|socket| SocketFuture::from(socket.build()))
                    .collect();
                Some(busy_executor::run_with_stats(futures).1.polls)
            }
            // Plain `run`, counted the way the other executors are: probes
            // (`run_with_stats`) allocate a waker per poll, which is the
            // lab's cost, not the executor's.
            Case::Waker => {
                waker_executor::run(
                    futsockets()
                        .into_iter()
                        .map(|socket| counter.count(socket))
                        .collect(),
                );
                Some(counter.polls())
            }
            Case::Async => {
                waker_executor::run(
                    sockets()
                        .map(|socket| counter.count(Box::pin(get_num_with(socket))))
                        .collect(),
                );
                Some(counter.polls())
            }
            Case::LocalPool => {
                let mut pool = LocalPool::new();
                let spawner = pool.spawner();
                for socket in futsockets() {
                    spawner
                        .spawn_local(counter.count(socket).map(drop))
                        .expect("spawned");
                }
                pool.run();
                Some(counter.polls())
            }
            Case::JoinAll => {
                let futures: Vec<_> = futsockets()
                    .into_iter()
                    .map(|socket| counter.count(socket))
                    .collect();
                futures_executor::block_on(join_all(futures));
                Some(counter.polls())
            }
            Case::ReadyWaker => {
                waker_executor::run(ready);
                Some(n as u64)
            }
            Case::ReadyLocalPool => {
                let mut pool = LocalPool::new();
                let spawner = pool.spawner();
                ready
                    .into_iter()
                    .for_each(|future| spawner.spawn_local(future).expect("spawned"));
                pool.run();
                Some(n as u64)
            }
            Case::ReadyJoinAll => {
                futures_executor::block_on(join_all(ready));
                Some(n as u64)
            }
        };
        let took = stopwatch.elapsed();
        let (peak_rss_kb, threads) = process_status();
        Sample {
            wall: took.wall,
            built: built.get(),
            cpu: took.cpu,
            polls,
            peak_rss_kb,
            threads,
        }
    }
}

/// What one case measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    pub wall: Duration,
    /// When the last socket was built (zero where there are no FutSockets):
    /// its deadline is this plus the delay.
    pub built: Duration,
    pub cpu: Duration,
    pub polls: Option<u64>,
    /// The process's peak resident memory (`VmHWM`), in kB.
    pub peak_rss_kb: u64,
    /// The process's threads at the end.
    pub threads: u64,
}

/// `VmHWM` and `Threads` from `/proc/self/status`; zeros where there is no /proc.
///
/// `VmHWM` is this process's own peak, unlike `getrusage`'s `ru_maxrss`,
/// which a process started by `exec` inherits from the one before it.
pub fn process_status() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| {
                line.strip_prefix(name)?
                    .trim()
                    .trim_end_matches(" kB")
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("Threads:"))
}

impl fmt::Display for Sample {
    /// One line that `Sample::from_str` reads back: `wall_ns=.. built_ns=.. cpu_ns=.. polls=.. rss_kb=.. threads=..`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let polls = self.polls.map_or("-".to_owned(), |polls| polls.to_string());
        write!(
            f,
            "wall_ns={} built_ns={} cpu_ns={} polls={polls} rss_kb={} threads={}",
            self.wall.as_nanos(),
            self.built.as_nanos(),
            self.cpu.as_nanos(),
            self.peak_rss_kb,
            self.threads
        )
    }
}

impl std::str::FromStr for Sample {
    type Err = String;

    fn from_str(line: &str) -> Result<Sample, String> {
        let mut sample = Sample::default();
        for pair in line.split_whitespace() {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("not key=value: {pair:?}"))?;
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("{key}: not a number: {value:?}"))
            };
            match key {
                "wall_ns" => sample.wall = Duration::from_nanos(number()?),
                "built_ns" => sample.built = Duration::from_nanos(number()?),
                "cpu_ns" => sample.cpu = Duration::from_nanos(number()?),
                "polls" if value == "-" => sample.polls = None,
                "polls" => sample.polls = Some(number()?),
                "rss_kb" => sample.peak_rss_kb = number()?,
                "threads" => sample.threads = number()?,
                _ => return Err(format!("unknown field {key:?}")),
            }
        }
        Ok(sample)
    }
}
