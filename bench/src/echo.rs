//! Stage 7 against tokio and smol: a loopback echo on one thread, server and
//! clients in the runtime under test, each run in a process of its own; and
//! stage 9 against tokio's multi-thread runtime with as many workers.
//!
//! Every runtime gets the same work: a listener with a backlog of 128,
//! `TCP_NODELAY` on both ends, `connections` connections made (and accepted)
//! before the clock starts, then every client does `round_trips` round
//! trips of 64 bytes at once. tokio runs with its defaults for a
//! current-thread runtime (`Builder::new_current_thread`, I/O and time
//! enabled), and its listener is made with `TcpSocket` to get the same
//! backlog (`TcpListener::bind` would ask for 1,024).

use std::cell::Cell;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use lab::measure::Stopwatch;

use crate::cases::process_status;

/// Bytes per message.
const MESSAGE: usize = 64;

/// The runtimes compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Mini,
    Tokio,
    /// async-executor's `LocalExecutor`, run by async-io's `block_on`.
    Smol,
    /// Stage 9 with this many workers.
    Stealing(usize),
    /// tokio's multi-thread runtime with this many workers.
    TokioMulti(usize),
}

impl Runtime {
    /// The one-thread runtimes: stage 7 and its peers.
    pub const ALL: [Runtime; 3] = [Runtime::Mini, Runtime::Tokio, Runtime::Smol];
    /// Stage 9 and its peer, at 1 and 2 workers.
    pub const MULTI: [Runtime; 4] = [
        Runtime::Stealing(1),
        Runtime::TokioMulti(1),
        Runtime::Stealing(2),
        Runtime::TokioMulti(2),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Runtime::Mini => "mini-runtime",
            Runtime::Tokio => "tokio",
            Runtime::Smol => "smol",
            Runtime::Stealing(1) => "work-stealing/1",
            Runtime::Stealing(_) => "work-stealing/2",
            Runtime::TokioMulti(1) => "tokio-multi/1",
            Runtime::TokioMulti(_) => "tokio-multi/2",
        }
    }

    pub fn parse(name: &str) -> Option<Runtime> {
        Runtime::ALL
            .into_iter()
            .chain(Runtime::MULTI)
            .find(|runtime| runtime.name() == name)
    }
}

/// What one echo run measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EchoSample {
    /// Wall and CPU time of the round trips (connections made before).
    pub wall: Duration,
    pub cpu: Duration,
    /// Round trips done.
    pub round_trips: u64,
    /// The process's peak resident memory, in kB, and its threads.
    pub peak_rss_kb: u64,
    pub threads: u64,
}

impl EchoSample {
    pub fn per_second(&self) -> f64 {
        self.round_trips as f64 / self.wall.as_secs_f64()
    }

    pub fn cpu_per_round_trip(&self) -> Duration {
        self.cpu / self.round_trips.max(1) as u32
    }

    pub fn to_line(self) -> String {
        format!(
            "wall_ns={} cpu_ns={} round_trips={} rss_kb={} threads={}",
            self.wall.as_nanos(),
            self.cpu.as_nanos(),
            self.round_trips,
            self.peak_rss_kb,
            self.threads
        )
    }

    pub fn from_line(line: &str) -> Result<EchoSample, String> {
        let mut sample = EchoSample::default();
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
                "round_trips" => sample.round_trips = value,
                "rss_kb" => sample.peak_rss_kb = value,
                "threads" => sample.threads = value,
                other => return Err(format!("unknown field {other:?}")),
            }
        }
        Ok(sample)
    }
}

/// Raises this process's open-file limit (up to the hard limit) to fit
/// `sockets` sockets and some spare.
pub fn raise_file_limit(sockets: usize) -> io::Result<()> {
    let wanted = sockets as u64 + 64;
    let raised = rlimit::increase_nofile_limit(wanted)?;
    if raised < wanted {
        return Err(io::Error::other(format!(
            "{sockets} sockets need {wanted} open files; this system allows {raised}"
        )));
    }
    Ok(())
}

/// Runs the echo on `runtime`: `connections` clients, `round_trips` each.
pub fn run(runtime: Runtime, connections: usize, round_trips: usize) -> io::Result<EchoSample> {
    raise_file_limit(2 * connections)?;
    let (wall, cpu) = match runtime {
        Runtime::Mini => mini_runtime::block_on(mini(connections, round_trips))?,
        Runtime::Tokio => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()?;
            runtime.block_on(tokio_echo(connections, round_trips))?
        }
        Runtime::Smol => {
            // In an `Rc`, so that its tasks can spawn tasks of their own.
            let executor = Rc::new(async_executor::LocalExecutor::new());
            let echo = smol_echo(Rc::clone(&executor), connections, round_trips);
            async_io::block_on(executor.run(echo))?
        }
        Runtime::Stealing(workers) => {
            work_stealing::Runtime::new(workers).block_on(stealing(connections, round_trips))?
        }
        Runtime::TokioMulti(workers) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_io()
                .enable_time()
                .build()?;
            runtime.block_on(tokio_echo(connections, round_trips))?
        }
    };
    let (peak_rss_kb, threads) = process_status();
    let round_trips = (connections * round_trips) as u64;
    Ok(EchoSample {
        wall,
        cpu,
        round_trips,
        peak_rss_kb,
        threads,
    })
}

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Connections made per wave before the server gets a turn: under the
/// listen backlog (128), so that no connection waits for a retry.
const WAVE: usize = 100;

async fn mini(connections: usize, round_trips: usize) -> io::Result<(Duration, Duration)> {
    use mini_runtime::net::{TcpListener, TcpStream};
    use mini_runtime::{spawn, time::sleep};

    let listener = TcpListener::bind(loopback())?;
    let addr = listener.local_addr()?;
    let accepted = Rc::new(Cell::new(0));
    let counted = Rc::clone(&accepted);
    drop(spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.set(counted.get() + 1);
            stream.set_nodelay(true).expect("TCP_NODELAY");
            drop(spawn(async move {
                let mut buf = [0; MESSAGE];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }));
        }
    }));
    let mut streams = Vec::with_capacity(connections);
    while streams.len() < connections {
        for _ in 0..WAVE.min(connections - streams.len()) {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            streams.push(stream);
        }
        while accepted.get() < streams.len() {
            sleep(Duration::from_millis(1)).await;
        }
    }
    let stopwatch = Stopwatch::start();
    let clients: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            spawn(async move {
                let (sent, mut back) = ([7; MESSAGE], [0; MESSAGE]);
                for _ in 0..round_trips {
                    stream.write_all(&sent).await?;
                    let mut filled = 0;
                    while filled < MESSAGE {
                        match stream.read(&mut back[filled..]).await? {
                            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                            n => filled += n,
                        }
                    }
                }
                io::Result::Ok(stream)
            })
        })
        .collect();
    let mut kept = Vec::with_capacity(connections);
    for client in clients {
        kept.push(client.await?);
    }
    let took = stopwatch.elapsed();
    drop(kept);
    Ok((took.wall, took.cpu))
}

/// The echo on smol's pair: async-io's `Async` sockets, tasks on the
/// `LocalExecutor` that `async_io::block_on` runs.
async fn smol_echo(
    executor: Rc<async_executor::LocalExecutor<'static>>,
    connections: usize,
    round_trips: usize,
) -> io::Result<(Duration, Duration)> {
    use async_io::{Async, Timer};
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    let listener = Async::<std::net::TcpListener>::bind(loopback())?;
    let addr = listener.get_ref().local_addr()?;
    let accepted = Rc::new(Cell::new(0));
    let (counted, spawner) = (Rc::clone(&accepted), Rc::clone(&executor));
    executor
        .spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.set(counted.get() + 1);
                stream.get_ref().set_nodelay(true).expect("TCP_NODELAY");
                spawner
                    .spawn(async move {
                        let mut buf = [0; MESSAGE];
                        while let Ok(n @ 1..) = stream.read(&mut buf).await {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    })
                    .detach();
            }
        })
        .detach();
    let mut streams = Vec::with_capacity(connections);
    while streams.len() < connections {
        for _ in 0..WAVE.min(connections - streams.len()) {
            let stream = Async::<std::net::TcpStream>::connect(addr).await?;
            stream.get_ref().set_nodelay(true)?;
            streams.push(stream);
        }
        while accepted.get() < streams.len() {
            Timer::after(Duration::from_millis(1)).await;
        }
    }
    let stopwatch = Stopwatch::start();
    let clients: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            executor.spawn(async move {
                let (sent, mut back) = ([7; MESSAGE], [0; MESSAGE]);
                for _ in 0..round_trips {
                    stream.write_all(&sent).await?;
                    stream.read_exact(&mut back).await?;
                }
                io::Result::Ok(stream)
            })
        })
        .collect();
    let mut kept = Vec::with_capacity(connections);
    for client in clients {
        kept.push(client.await?);
    }
    let took = stopwatch.elapsed();
    drop(kept);
    Ok((took.wall, took.cpu))
}

/// The echo on stage 9: the same as on stage 7, with `Send` counters, the
/// server and clients as tasks on the workers, awaited from `block_on`.
async fn stealing(connections: usize, round_trips: usize) -> io::Result<(Duration, Duration)> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use work_stealing::net::{TcpListener, TcpStream};
    use work_stealing::{spawn, time::sleep};

    let listener = TcpListener::bind(loopback())?;
    let addr = listener.local_addr()?;
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&accepted);
    drop(spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::Relaxed);
            stream.set_nodelay(true).expect("TCP_NODELAY");
            drop(spawn(async move {
                let mut buf = [0; MESSAGE];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }));
        }
    }));
    let mut streams = Vec::with_capacity(connections);
    while streams.len() < connections {
        for _ in 0..WAVE.min(connections - streams.len()) {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            streams.push(stream);
        }
        while accepted.load(Ordering::Relaxed) < streams.len() {
            sleep(Duration::from_millis(1)).await;
        }
    }
    let stopwatch = Stopwatch::start();
    let clients: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            spawn(async move {
                let (sent, mut back) = ([7; MESSAGE], [0; MESSAGE]);
                for _ in 0..round_trips {
                    stream.write_all(&sent).await?;
                    let mut filled = 0;
                    while filled < MESSAGE {
                        match stream.read(&mut back[filled..]).await? {
                            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                            n => filled += n,
                        }
                    }
                }
                io::Result::Ok(stream)
            })
        })
        .collect();
    let mut kept = Vec::with_capacity(connections);
    for client in clients {
        kept.push(client.await?);
    }
    let took = stopwatch.elapsed();
    drop(kept);
    Ok((took.wall, took.cpu))
}

async fn tokio_echo(connections: usize, round_trips: usize) -> io::Result<(Duration, Duration)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpSocket, TcpStream};

    let socket = TcpSocket::new_v4()?;
    socket.bind(loopback())?;
    let listener = socket.listen(128)?;
    let addr = listener.local_addr()?;
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            stream.set_nodelay(true).expect("TCP_NODELAY");
            tokio::spawn(async move {
                let mut buf = [0; MESSAGE];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let mut streams = Vec::with_capacity(connections);
    while streams.len() < connections {
        for _ in 0..WAVE.min(connections - streams.len()) {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            streams.push(stream);
        }
        while accepted.load(std::sync::atomic::Ordering::Relaxed) < streams.len() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let stopwatch = Stopwatch::start();
    let clients: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            tokio::spawn(async move {
                let (sent, mut back) = ([7; MESSAGE], [0; MESSAGE]);
                for _ in 0..round_trips {
                    stream.write_all(&sent).await?;
                    stream.read_exact(&mut back).await?;
                }
                io::Result::Ok(stream)
            })
        })
        .collect();
    let mut kept = Vec::with_capacity(connections);
    for client in clients {
        kept.push(client.await.map_err(io::Error::other)??);
    }
    let took = stopwatch.elapsed();
    drop(kept);
    Ok((took.wall, took.cpu))
}

/// Serves `connections` idle connections on `runtime`: a listener whose
/// address goes to standard output (`listening=ADDR`) for the connecting
/// process, a task per accepted connection waiting to read, and once all
/// are accepted, the process's peak memory. The clients are another
/// process's, so that the runtime's process holds its own sockets only.
pub fn idle(runtime: Runtime, connections: usize) -> io::Result<EchoSample> {
    raise_file_limit(connections)?;
    match runtime {
        Runtime::Mini => mini_runtime::block_on(async {
            use mini_runtime::{net::TcpListener, spawn, time::sleep};
            let listener = TcpListener::bind(loopback())?;
            announce(listener.local_addr()?)?;
            let mut waiting = Vec::with_capacity(connections);
            while waiting.len() < connections {
                let (mut stream, _) = listener.accept().await?;
                waiting.push(spawn(async move {
                    stream.read(&mut [0; MESSAGE]).await.map(drop)
                }));
            }
            sleep(Duration::from_millis(20)).await;
            io::Result::Ok(())
        })?,
        Runtime::Tokio => {
            let tokio = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .enable_time()
                .build()?;
            tokio.block_on(async {
                use tokio::io::AsyncReadExt;
                let socket = tokio::net::TcpSocket::new_v4()?;
                socket.bind(loopback())?;
                let listener = socket.listen(128)?;
                announce(listener.local_addr()?)?;
                let mut waiting = Vec::with_capacity(connections);
                while waiting.len() < connections {
                    let (mut stream, _) = listener.accept().await?;
                    waiting.push(tokio::spawn(async move {
                        stream.read(&mut [0; MESSAGE]).await.map(drop)
                    }));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                io::Result::Ok(())
            })?
        }
        other => {
            let name = other.name();
            return Err(io::Error::other(format!(
                "idle connections are measured on stage 7 and tokio, not {name}"
            )));
        }
    }
    let (peak_rss_kb, threads) = process_status();
    Ok(EchoSample {
        peak_rss_kb,
        threads,
        ..EchoSample::default()
    })
}

/// Tells the connecting process where to connect.
fn announce(addr: SocketAddr) -> io::Result<()> {
    use std::io::Write;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening={addr}")?;
    stdout.flush()
}
