//! The stage 7 demo: the article's socket for real, over TCP, then an echo
//! server serving many connections at once, and a busy task that does not
//! starve a timer, all on one thread.

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::task::Waker;
use std::time::{Duration, Instant};

use async_await_demo::join;
use lab::demo::{Summary, about_delays};
use lab::probe::Probe;
use socket_sim::MySocket;

use crate::net::{TcpListener, TcpStream};
use crate::time::sleep;
use crate::{EVENT_INTERVAL, block_on, spawn, yield_now};

/// Connections the echo server serves at once in the demo.
pub const ECHO_CONNECTIONS: usize = 1_000;

/// Writes the stage 7 demo to `out`, with sockets that take `delay`; its
/// main run, traced, is two reads of real sockets with `join`.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    writeln!(
        out,
        "The reactor: every socket registered with the operating system (epoll, kqueue);"
    )?;
    writeln!(
        out,
        "the one thread sleeps in it until a socket is ready or a timer is due."
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "1. The article's socket, for real: a server answers two connections with an i32,"
    )?;
    writeln!(
        out,
        "   the first one delay after it came, the second one delay after the first was read"
    )?;
    let (pair, summary) = block_on(two_reads(delay))?;
    writeln!(
        out,
        "  join(read, read) on two TCP streams: {pair:?}, {}: {}",
        about_delays(summary.took.wall, delay),
        summary.took
    )?;
    writeln!(
        out,
        "  {} polls of the two reads: Pending, then Ready once its bytes came (join polls both)",
        summary.polls.unwrap_or(0)
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "2. An echo server and {ECHO_CONNECTIONS} clients, each connection one round trip of 64 bytes"
    )?;
    let (connected, echoed) = block_on(echo(ECHO_CONNECTIONS))?;
    if connected < ECHO_CONNECTIONS {
        writeln!(
            out,
            "  (the open-file limit stopped it at {connected} connections; `ulimit -n 4096` lifts it)"
        )?;
    }
    writeln!(
        out,
        "  {echoed} of {connected} echoes came back whole, every connection open at once, one thread"
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "3. A task that yields in a loop, beside a 20 ms sleep: some task is always woken"
    )?;
    let after_due = block_on(busy_beside_a_sleep(Duration::from_millis(20)));
    if after_due <= 2 * EVENT_INTERVAL as usize {
        writeln!(
            out,
            "  the sleep ended just after it was due, though the busy task never stopped: the"
        )?;
        writeln!(
            out,
            "  reactor is looked at every {EVENT_INTERVAL} polls, even while tasks keep waking each other"
        )?;
    } else {
        writeln!(
            out,
            "  the sleep ended {after_due} polls after it was due: starved"
        )?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "Same futures, same wakers, same poll: the reactor is just the thing that wakes them."
    )?;
    Ok(summary)
}

/// The number a socket seeded with `seed` holds, as stage 1 would draw it.
pub fn number(seed: u64) -> i32 {
    MySocket::builder()
        .delay(Duration::ZERO)
        .seed(seed)
        .build()
        .read_data()
}

/// Two clients that read one number each, together, from a server that
/// answers the first one delay after it connected, and the second one
/// delay after the first was read: the first is ready before the second by
/// cause, not by a race of timers against a busy machine.
async fn two_reads(delay: Duration) -> io::Result<((i32, i32), Summary)> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let addr = listener.local_addr()?;
    let first_read = Rc::new(Signal::default());
    let server = spawn({
        let first_read = Rc::clone(&first_read);
        async move {
            let (mut first, _) = listener.accept().await?;
            let (mut second, _) = listener.accept().await?;
            drop(spawn(async move {
                sleep(delay).await;
                // The client reads 4 bytes; a failure shows there as an error.
                let _ = first.write_all(&number(1).to_be_bytes()).await;
            }));
            drop(spawn(async move {
                first_read.wait().await;
                sleep(delay).await;
                let _ = second.write_all(&number(2).to_be_bytes()).await;
            }));
            io::Result::Ok(())
        }
    });
    // Connected in order, so that the first stream is the first accepted.
    let first = TcpStream::connect(addr).await?;
    let second = TcpStream::connect(addr).await?;
    server.await?;
    let probe = Probe::new(true);
    let first = async move {
        let number = read_number(first).await;
        first_read.raise();
        number
    };
    let reads = join(probe.watch(0, first), probe.watch(1, read_number(second)));
    let (a, b) = reads.await;
    let seen = probe.observed();
    let summary = Summary {
        futures: Some(2),
        took: seen.took,
        polls: Some(seen.polls),
        trace: seen.trace,
    };
    Ok(((a?, b?), summary))
}

/// A flag one task raises and others wait for: a demo's way to make one
/// thing happen after another by cause.
#[derive(Default)]
pub struct Signal {
    raised: Cell<bool>,
    waiters: RefCell<Vec<Waker>>,
}

impl Signal {
    /// Raises the flag, for good, and wakes whoever waits.
    pub fn raise(&self) {
        self.raised.set(true);
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        waiters.into_iter().for_each(Waker::wake);
    }

    /// Waits until the flag is raised.
    pub async fn wait(&self) {
        std::future::poll_fn(|cx| {
            if self.raised.get() {
                return std::task::Poll::Ready(());
            }
            self.waiters.borrow_mut().push(cx.waker().clone());
            std::task::Poll::Pending
        })
        .await
    }
}

/// Reads one big-endian `i32` from `stream`.
pub async fn read_number(mut stream: TcpStream) -> io::Result<i32> {
    let mut bytes = [0; 4];
    let mut filled = 0;
    while filled < 4 {
        match stream.read(&mut bytes[filled..]).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(i32::from_be_bytes(bytes))
}

/// An echo server and `connections` clients, each one round trip of 64
/// bytes, all connected at once; how many connected and how many echoes
/// came back whole. Fewer connect where the open-file limit is low (two
/// descriptors a connection; macOS allows 256 by default): the demo serves
/// those it has rather than fail.
async fn echo(connections: usize) -> io::Result<(usize, usize)> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let addr = listener.local_addr()?;
    // Connections accepted so far, and whether an accept failed.
    let (accepted, failed) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(false)));
    let (counted, failing) = (Rc::clone(&accepted), Rc::clone(&failed));
    drop(spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                failing.set(true);
                return;
            };
            counted.set(counted.get() + 1);
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
    let mut streams = Vec::with_capacity(connections);
    'waves: while streams.len() < connections {
        // 100 at a time, under the listen backlog (128), then the server's
        // turn to accept them: a connect on loopback completes without
        // yielding, and a full backlog makes the system drop connections
        // for a second.
        for _ in 0..100.min(connections - streams.len()) {
            match TcpStream::connect(addr).await {
                Ok(stream) => streams.push(stream),
                Err(error) if error.raw_os_error() == Some(EMFILE) => break,
                Err(error) => return Err(error),
            }
        }
        while accepted.get() < streams.len() {
            if failed.get() {
                // Out of descriptors on the server's side: the backlog is
                // first in, first out, so the first ones are those it took.
                streams.truncate(accepted.get());
                break 'waves;
            }
            sleep(Duration::from_millis(1)).await;
        }
        if streams.len() % 100 != 0 {
            break; // a connect ran out of descriptors
        }
    }
    let clients: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(i, mut stream)| {
            spawn(async move {
                let sent = [(i % 251) as u8; 64];
                stream.write_all(&sent).await?;
                let mut back = [0; 64];
                let mut filled = 0;
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
    let connected = clients.len();
    let mut echoed = 0;
    for client in clients {
        echoed += usize::from(client.await?);
    }
    Ok((connected, echoed))
}

/// A task yielding until a sleep of `nap` ends, beside it; how many of its
/// yields came after the sleep was due (as the task read the clock).
async fn busy_beside_a_sleep(nap: Duration) -> usize {
    let done = Rc::new(Cell::new(false));
    let sleeping = sleep(nap);
    let due = Instant::now() + nap; // no earlier than the sleep's own deadline
    let sleeper = spawn({
        let done = Rc::clone(&done);
        async move {
            sleeping.await;
            done.set(true);
        }
    });
    let mut after_due = 0;
    while !done.get() {
        after_due += usize::from(Instant::now() >= due);
        yield_now().await;
    }
    sleeper.await;
    after_due
}

/// "Too many open files", which std has no error kind of its own for.
const EMFILE: i32 = 24;
