//! The stage 8 demo: a `select` whose loser is dropped, a `timeout` and an
//! abort, each showing what the dropped future released; then where a
//! cancelled read loses bytes and where it does not, and a futurelock,
//! ended by a timeout and named by a probe. All on stage 7's runtime.

use std::cell::Cell;
use std::future::Future;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use futures_io::AsyncRead;
use lab::demo::{Summary, about_delays};
use lab::probe::Probe;
use mini_runtime::demo::{Signal, number, read_number};
use mini_runtime::net::{TcpListener, TcpStream};
use mini_runtime::time::sleep;
use mini_runtime::{block_on, io_registrations, spawn};

use fair_lock::FairLock;
pub mod fair_lock;

use crate::frames::{FrameReader, frame, read_frame};
use crate::{Aborted, Either, Elapsed, select, spawn_abortable, timeout};

/// Writes the stage 8 demo to `out`, with sockets that answer after
/// `delay`; its main run, traced, is the `select` of two reads.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    writeln!(
        out,
        "A future works only while it is polled: dropping it cancels it, and its"
    )?;
    writeln!(
        out,
        "Drop releases what it held. What it had done is kept only where it put it."
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "1. select(read, read) of two real sockets: the first answers after one delay,"
    )?;
    writeln!(out, "   the second one delay after the first was read")?;
    let (winner, summary, registrations) = block_on(first_of_two(delay))?;
    writeln!(
        out,
        "  {winner:?} won, {}: {}",
        about_delays(summary.took.wall, delay),
        summary.took
    )?;
    writeln!(
        out,
        "  the other read was dropped before select returned: its socket left the reactor"
    )?;
    writeln!(
        out,
        "  (sockets registered: {} while both read, {} after)",
        registrations.0, registrations.1
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "2. timeout(one delay, read) of a socket that never answers"
    )?;
    let (timed_out, registrations) = block_on(timed_out_read(delay))?;
    writeln!(
        out,
        "  {timed_out:?}: the read was dropped at the deadline, its socket with it"
    )?;
    writeln!(
        out,
        "  (sockets registered: {} during, {} after)",
        registrations.0, registrations.1
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "3. spawn_abortable(read) of a socket that never answers, aborted after one delay"
    )?;
    let (aborted, read) = block_on(aborted_read(delay))?;
    writeln!(
        out,
        "  the handle gave {aborted:?}; the read inside: {read}"
    )?;
    writeln!(
        out,
        "  (abort woke the task, and its next poll dropped the read instead of polling it)"
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "4. A frame sent in two halves, read in a loop of timeout(5 ms, read)"
    )?;
    writeln!(
        out,
        "   (the second half is sent only once a timeout has dropped a read mid-frame)"
    )?;
    let lost = block_on(frames_across_a_timeout(Reader::InItsFuture))?;
    writeln!(
        out,
        "  read_frame, its bytes in its own future:\n    {lost}"
    )?;
    let kept = block_on(frames_across_a_timeout(Reader::Buffered))?;
    writeln!(
        out,
        "  FrameReader, its bytes in a buffer outside:\n    {kept}"
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "5. Futurelock: a lock() future kept by &mut across the turns of a select loop"
    )?;
    let stalled = block_on(futurelock())?;
    writeln!(
        out,
        "  the loop's other branch waited for the same lock, in vain: timed out"
    )?;
    writeln!(out, "  a probe saw why:\n    {stalled}")?;

    writeln!(out)?;
    writeln!(
        out,
        "Cancelling is dropping: safe where every await holds nothing it would lose."
    )?;
    Ok(summary)
}

/// When the demo's server answers a connection.
enum Answer {
    /// This long after the connection came.
    After(Duration),
    /// This long after a message on the channel: after something the demo did.
    AfterSignal(mpsc::Receiver<()>, Duration),
    /// Never: it holds the connection open until the client closes it.
    Never,
}

/// Connections to a server on threads of its own, which writes `number(n)`
/// to the n-th of them when its `answers[n - 1]` says. Its sockets are not
/// the runtime's, so `io_registrations` counts the clients' alone.
async fn answering(answers: Vec<Answer>) -> io::Result<Vec<TcpStream>> {
    let server = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let addr = server.local_addr()?;
    let mut streams = Vec::with_capacity(answers.len());
    for (n, answer) in (1..).zip(answers) {
        streams.push(TcpStream::connect(addr).await?);
        let (mut end, _) = server.accept()?;
        thread::spawn(move || {
            let after = match answer {
                Answer::After(after) => after,
                Answer::AfterSignal(signal, after) => match signal.recv() {
                    Ok(()) => after,
                    Err(_) => return, // the demo went on without it
                },
                Answer::Never => return drop(io::Read::read(&mut end, &mut [0; 1])),
            };
            thread::sleep(after);
            // The client may be gone (a cancelled read): nothing to tell.
            let _ = end.write_all(&number(n).to_be_bytes());
        });
    }
    Ok(streams)
}

/// `select` of two reads: the first answered after one delay, the second
/// only one delay after the first was read, so that the first wins by
/// cause, not by a race of timers. Which won, the traced run, and the
/// sockets registered while both read and after.
async fn first_of_two(delay: Duration) -> io::Result<(Either<i32, i32>, Summary, (usize, usize))> {
    let (first_read, signal) = mpsc::channel();
    let answers = vec![Answer::After(delay), Answer::AfterSignal(signal, delay)];
    let mut streams = answering(answers).await?;
    let (second, first) = (streams.pop().unwrap(), streams.pop().unwrap());
    let during = io_registrations();
    let probe = Probe::new(true);
    // Each read owns its stream: dropping the read closes the socket.
    let first = async move {
        let number = read_number(first).await;
        let _ = first_read.send(());
        number
    };
    let race = select(probe.watch(0, first), probe.watch(1, read_number(second)));
    let winner = match race.await {
        Either::Left(first) => Either::Left(first?),
        Either::Right(second) => Either::Right(second?),
    };
    let seen = probe.observed();
    let summary = Summary {
        futures: Some(2),
        took: seen.took,
        polls: Some(seen.polls),
        trace: seen.trace,
    };
    Ok((winner, summary, (during, io_registrations())))
}

/// A read with a timeout of one delay, of a socket that never answers.
async fn timed_out_read(delay: Duration) -> io::Result<(Result<i32, Elapsed>, (usize, usize))> {
    let stream = answering(vec![Answer::Never]).await?.pop().unwrap();
    let during = io_registrations();
    let outcome = match timeout(delay, read_number(stream)).await {
        Ok(read) => Ok(read?),
        Err(elapsed) => Err(elapsed),
    };
    Ok((outcome, (during, io_registrations())))
}

/// An abortable task reading a socket that never answers, aborted after
/// one delay: what its handle gave, and what the read inside it saw.
async fn aborted_read(delay: Duration) -> io::Result<(Result<i32, Aborted>, String)> {
    let stream = answering(vec![Answer::Never]).await?.pop().unwrap();
    let probe = Probe::new(true);
    let (task, abort) = spawn_abortable(probe.watch(0, read_number(stream)));
    sleep(delay).await;
    abort.abort();
    let outcome = match task.await {
        Ok(read) => Ok(read?),
        Err(aborted) => Err(aborted),
    };
    let events = probe.observed().trace.unwrap_or_default();
    let seen: Vec<String> = events
        .iter()
        .map(|event| format!("{:?}", event.kind))
        .collect();
    Ok((outcome, seen.join(", ")))
}

/// Which of the two framed readers to read with.
#[derive(Clone, Copy)]
enum Reader {
    InItsFuture,
    Buffered,
}

/// Two frames, the first sent in halves, read in a loop of short timeouts;
/// what the reader made of them.
async fn frames_across_a_timeout(reader: Reader) -> io::Result<String> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let mut client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    let (first, second) = (frame(&[b'x'; 64]), frame(b"the second frame"));
    let first_len = first.len();
    let released = Rc::new(Signal::default());
    let writer = spawn({
        let released = Rc::clone(&released);
        async move {
            client.write_all(&first[..36]).await?;
            released.wait().await;
            client.write_all(&first[36..]).await?;
            client.write_all(&second).await?;
            io::Result::Ok(client)
        }
    });
    let mut counted = Counted::new(server);
    let mut buffered = FrameReader::new();
    let mut frames = Vec::new();
    let mut told = "gave up after 1000 timeouts".to_owned();
    for _ in 0..1000 {
        let read: Pin<Box<dyn Future<Output = io::Result<Vec<u8>>>>> = match reader {
            Reader::InItsFuture => Box::pin(read_frame(&mut counted)),
            Reader::Buffered => Box::pin(buffered.next_frame(&mut counted)),
        };
        match timeout(Duration::from_millis(5), read).await {
            Ok(Ok(frame)) => {
                frames.push(frame);
                if let [first, second] = frames.as_slice() {
                    told = format!(
                        "both frames, whole ({} and {} bytes)",
                        first.len(),
                        second.len()
                    );
                    break;
                }
            }
            Ok(Err(error)) => {
                told = format!("lost its place: {error}");
                break;
            }
            // Dropped after it read part of the first frame: now the rest may come.
            Err(Elapsed) if counted.read.get() % first_len != 0 => released.raise(),
            Err(Elapsed) => {}
        }
    }
    drop(writer.await?);
    Ok(told)
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: Cell<usize>,
}

impl<R> Counted<R> {
    fn new(inner: R) -> Self {
        Counted {
            inner,
            read: Cell::new(0),
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Counted<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.read.set(self.read.get() + n);
        }
        polled
    }
}

/// How long the loop's other branch waits for the lock before the demo
/// gives up on it; a future woken this long ago and not polled is stalled.
const PATIENCE: Duration = Duration::from_millis(200);

/// A select loop over a `lock()` kept by `&mut` and a ticking timer whose
/// branch takes the lock too; what the probe said of the kept future, once
/// the branch's lock had timed out.
async fn futurelock() -> io::Result<String> {
    let lock = FairLock::default();
    let mut held = Some(lock.lock().await);
    let probe = Probe::new(true);
    let mut kept = pin!(probe.watch(0, lock.lock()));
    for tick in 1.. {
        match select(kept.as_mut(), sleep(Duration::from_millis(1))).await {
            Either::Left(_guard) => return Ok("the kept lock() won: no futurelock".to_owned()),
            // The branch's work, at every tick but the third: nothing to lock.
            Either::Right(()) if tick != 3 => {}
            Either::Right(()) => {
                // The guard goes, and with it the lock to the kept lock(),
                // first in the queue, which is woken. But this branch does
                // not poll it: it waits for the lock itself.
                drop(held.take());
                if timeout(PATIENCE, lock.lock()).await.is_ok() {
                    return Ok("the branch got the lock: no futurelock".to_owned());
                }
                break;
            }
        }
    }
    let stalled = probe.woken_not_polled(PATIENCE);
    Ok(match stalled.as_slice() {
        [(0, _)] => "the kept lock() was woken when the lock was given to it, and not\n    \
                     polled since: it is held by &mut, and the loop polls the branch instead"
            .to_owned(),
        _ => format!("no stalled future found ({stalled:?})"),
    })
}
