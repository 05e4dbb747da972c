//! The stage 9 demo: a steal, forced by cause and drawn lane by lane, one
//! lane per worker; many tasks spread over two workers; the echo served on
//! them; and a yield loop that starves no timer, even on one worker.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lab::demo::Summary;
use lab::probe::Probe;

use crate::net::{TcpListener, TcpStream};
use crate::time::sleep;
use crate::{Runtime, current_worker, spawn, yield_now};

/// Writes the stage 9 demo to `out`; its main run, traced lane by lane
/// (one lane per worker), is the steal.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    writeln!(
        out,
        "Two workers, a queue each; a woken task goes to its own worker's queue, and"
    )?;
    writeln!(out, "an idle worker steals from another's before it parks.")?;

    writeln!(out)?;
    writeln!(
        out,
        "1. A task spawns two more on its worker's queue: one spins until the other"
    )?;
    writeln!(
        out,
        "   has run, so the other can only run on the second worker, stolen"
    )?;
    let runtime = Runtime::new(2);
    let (stolen, summary) = runtime.block_on(a_steal(delay));
    writeln!(out, "  {stolen}")?;

    writeln!(out)?;
    writeln!(
        out,
        "2. 1000 tasks spawned from block_on's thread, each yielding 10 times"
    )?;
    let spread = runtime.block_on(many_tasks(1000));
    writeln!(out, "  {spread}")?;

    writeln!(out)?;
    writeln!(
        out,
        "3. An echo server and 100 clients, tasks on both workers"
    )?;
    let echoed = runtime.block_on(echo(100))?;
    writeln!(out, "  {echoed} of 100 echoes came back whole")?;
    drop(runtime);

    writeln!(out)?;
    writeln!(
        out,
        "4. One worker: a task that yields in a loop, beside a 20 ms sleep"
    )?;
    let on_time = Runtime::new(1).block_on(busy_beside_a_sleep());
    writeln!(out, "  {on_time}")?;

    writeln!(out)?;
    writeln!(
        out,
        "The same futures as on one thread: only where a woken task goes has changed."
    )?;
    Ok(summary)
}

/// A task that spawns a releaser and a spinner on its own worker's queue;
/// the spinner spins (without yielding) until the releaser, after a sleep
/// of one delay, has released it, so the two run on two workers, and the
/// one not on the spawning worker got there by a steal. What happened, and
/// the trace: lane 0 the releaser's worker, lane 1 the spinner's.
async fn a_steal(delay: Duration) -> (String, Summary) {
    let probe = Probe::new(true);
    let watched = Arc::clone(&probe);
    let workers = spawn(async move {
        let spawner = current_worker().expect("a task runs on a worker");
        let released = Arc::new(AtomicBool::new(false));
        let releaser = spawn(watched.watch(0, {
            let released = Arc::clone(&released);
            async move {
                // At least a millisecond: Pending once, then woken, at any delay.
                sleep(delay.max(Duration::from_millis(1))).await;
                released.store(true, Ordering::Release);
                current_worker()
            }
        }));
        let spinner = spawn(watched.watch(1, async move {
            let start = Instant::now();
            while !released.load(Ordering::Acquire) && start.elapsed() < delay.max(SPIN) * 4 {
                std::hint::spin_loop();
            }
            current_worker()
        }));
        (spawner, releaser.await, spinner.await)
    });
    let (spawner, releaser, spinner) = workers.await;
    let told = match (releaser, spinner) {
        (Some(a), Some(b)) if a != b && (a == spawner || b == spawner) => {
            "they ran on two workers: the one not on the spawning worker's was stolen from its queue"
        }
        _ => "they ran on one worker: no steal",
    };
    let seen = probe.observed();
    let summary = Summary {
        futures: Some(2),
        took: seen.took,
        polls: Some(seen.polls),
        trace: seen.trace,
    };
    (told.to_owned(), summary)
}

/// How long the spinner spins at least before it gives up on a releaser
/// (only if the runtime is broken: the releaser runs on the other worker).
const SPIN: Duration = Duration::from_millis(250);

/// `count` tasks spawned from outside the workers, each yielding ten times;
/// how their polls spread over the workers.
async fn many_tasks(count: usize) -> String {
    let polls = Arc::new(Mutex::new([0u64; 2]));
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let polls = Arc::clone(&polls);
            spawn(async move {
                for _ in 0..10 {
                    polls.lock().unwrap()[current_worker().unwrap_or(0)] += 1;
                    yield_now().await;
                }
            })
        })
        .collect();
    let finished = tasks.len();
    for task in tasks {
        task.await;
    }
    let polls: u64 = polls.lock().unwrap().iter().sum();
    format!("all {finished} finished, after {polls} polls that found work (each task's ten)")
}

/// An echo server and `connections` clients, all tasks on the workers; how
/// many echoes came back whole.
async fn echo(connections: usize) -> io::Result<usize> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let addr = listener.local_addr()?;
    drop(spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            drop(spawn(async move {
                let mut buf = [0; 64];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }));
        }
    }));
    let clients: Vec<_> = (0..connections)
        .map(|i| {
            spawn(async move {
                let mut stream = TcpStream::connect(addr).await?;
                let sent = [(i % 251) as u8; 64];
                stream.write_all(&sent).await?;
                let (mut back, mut filled) = ([0; 64], 0);
                while filled < back.len() {
                    match stream.read(&mut back[filled..]).await? {
                        0 => break,
                        n => filled += n,
                    }
                }
                io::Result::Ok(back == sent)
            })
        })
        .collect();
    let mut echoed = 0;
    for client in clients {
        echoed += usize::from(client.await?);
    }
    Ok(echoed)
}

/// On a runtime of one worker: a task yielding until a 20 ms sleep in
/// another task ends.
async fn busy_beside_a_sleep() -> String {
    let done = Arc::new(AtomicBool::new(false));
    let sleeper = spawn({
        let done = Arc::clone(&done);
        async move {
            sleep(Duration::from_millis(20)).await;
            done.store(true, Ordering::Release);
        }
    });
    let busy = spawn(async move {
        let give_up = Instant::now() + Duration::from_secs(10);
        while !done.load(Ordering::Acquire) && Instant::now() < give_up {
            yield_now().await;
        }
        done.load(Ordering::Acquire)
    });
    sleeper.await;
    match busy.await {
        true => {
            "the sleep ended while the busy task still yielded: the worker turns the reactor"
                .to_owned()
                + "\n  every 61 polls, as stage 7 did"
        }
        false => "the sleep never ended while a task yielded: the reactor was starved".to_owned(),
    }
}
