//! Stage 8 against its peers: `select` against futures' `select`, on stage
//! 7's runtime, and `timeout` against tokio's `timeout`, each on its own
//! runtime's timers (tokio's current-thread runtime), one thread each. Each
//! run is a process of its own.
//!
//! - `select`: a million `select(yield_now(), pending())`, one after
//!   another: a poll of each side, a wake, a second poll, the loser dropped.
//! - `timeout_never`: a million `timeout(1 h, yield_now())`: the timer is
//!   registered at the first poll, and cancelled when the future wins.
//! - `timeout_fires`: 10,000 tasks, each a `timeout(1 ms, pending())` that
//!   fires: registered, due, and the future dropped.
//! - `drop`: 100,000 timeouts polled once (their timers registered), then
//!   dropped: what a cancelled future costs to drop.

use std::future::{Future, pending};
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lab::measure::Stopwatch;

/// The workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    Select,
    TimeoutNever,
    TimeoutFires,
    Drop,
}

impl Workload {
    pub const ALL: [Workload; 4] = [
        Workload::Select,
        Workload::TimeoutNever,
        Workload::TimeoutFires,
        Workload::Drop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Select => "select",
            Workload::TimeoutNever => "timeout_never",
            Workload::TimeoutFires => "timeout_fires",
            Workload::Drop => "drop",
        }
    }

    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The operations one run does, at `scale` (1 in a full run).
    pub fn operations(self, scale: u32) -> u32 {
        match self {
            Workload::Select | Workload::TimeoutNever => 1_000_000 / scale,
            Workload::TimeoutFires => 10_000 / scale,
            Workload::Drop => 100_000 / scale,
        }
    }

    /// What each operation is, for the report.
    pub fn what(self) -> &'static str {
        match self {
            Workload::Select => "select of a yield and a pending future (ours: futures' select)",
            Workload::TimeoutNever => "timeout(1 h) of a yield, never firing (ours: tokio's)",
            Workload::TimeoutFires => "timeout(1 ms) of a pending future, firing (ours: tokio's)",
            Workload::Drop => "drop of a timeout whose timer is registered (ours: tokio's)",
        }
    }
}

/// Runs `workload` with `operations` operations on stage 7 and 8 (`ours`)
/// or on the peer: its wall and CPU time.
/// (For `drop`, only the drops are timed.)
pub fn run(ours: bool, workload: Workload, operations: u32) -> (Duration, Duration) {
    let stopwatch = Stopwatch::start();
    let dropped = if ours {
        mini_runtime::block_on(ours_run(workload, operations))
    } else if workload == Workload::Select {
        // futures' select, on the same runtime as ours.
        mini_runtime::block_on(futures_select(operations))
    } else {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio's runtime");
        tokio.block_on(tokio_run(workload, operations))
    };
    let took = stopwatch.elapsed();
    dropped.unwrap_or((took.wall, took.cpu))
}

async fn ours_run(workload: Workload, operations: u32) -> Option<(Duration, Duration)> {
    use cancellation::timeout;
    use mini_runtime::yield_now;
    match workload {
        Workload::Select => ours_select(operations).await,
        Workload::TimeoutNever => {
            for _ in 0..operations {
                let _ = timeout(Duration::from_secs(3600), yield_now()).await;
            }
            None
        }
        Workload::TimeoutFires => {
            let tasks: Vec<_> = (0..operations)
                .map(|_| {
                    mini_runtime::spawn(async {
                        let fired = timeout(Duration::from_millis(1), pending::<()>()).await;
                        assert!(fired.is_err());
                    })
                })
                .collect();
            for task in tasks {
                task.await;
            }
            None
        }
        Workload::Drop => {
            let timeouts: Vec<_> = (0..operations)
                .map(|_| Box::pin(timeout(Duration::from_secs(3600), pending::<()>())))
                .collect();
            Some(registered_then_dropped(timeouts).await)
        }
    }
}

/// Ours, in an `async fn` of its own as futures' is, so that both loops
/// are the same state machine but for the `select`.
async fn ours_select(operations: u32) -> Option<(Duration, Duration)> {
    use cancellation::select;
    for _ in 0..operations {
        select(mini_runtime::yield_now(), pending::<()>()).await;
    }
    None
}

async fn futures_select(operations: u32) -> Option<(Duration, Duration)> {
    use futures_util::future::select;
    for _ in 0..operations {
        let (left, right) = (pin!(mini_runtime::yield_now()), pin!(pending::<()>()));
        select(left, right).await;
    }
    None
}

async fn tokio_run(workload: Workload, operations: u32) -> Option<(Duration, Duration)> {
    use tokio::task::yield_now;
    use tokio::time::timeout;
    match workload {
        Workload::Select => unreachable!("futures' select runs on stage 7"),
        Workload::TimeoutNever => {
            for _ in 0..operations {
                let _ = timeout(Duration::from_secs(3600), yield_now()).await;
            }
            None
        }
        Workload::TimeoutFires => {
            let tasks: Vec<_> = (0..operations)
                .map(|_| {
                    tokio::spawn(async {
                        let fired = timeout(Duration::from_millis(1), pending::<()>()).await;
                        assert!(fired.is_err());
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            None
        }
        Workload::Drop => {
            let timeouts: Vec<_> = (0..operations)
                .map(|_| Box::pin(timeout(Duration::from_secs(3600), pending::<()>())))
                .collect();
            Some(registered_then_dropped(timeouts).await)
        }
    }
}

/// Polls each of `futures` once (each is pending, and registers its
/// timer), then drops them all: the time the drops took.
async fn registered_then_dropped<F: Future + Unpin>(mut futures: Vec<F>) -> (Duration, Duration) {
    std::future::poll_fn(|cx: &mut Context<'_>| {
        for future in &mut futures {
            assert!(std::pin::Pin::new(future).poll(cx).is_pending());
        }
        Poll::Ready(())
    })
    .await;
    let stopwatch = Stopwatch::start();
    drop(futures);
    let took = stopwatch.elapsed();
    (took.wall, took.cpu)
}
