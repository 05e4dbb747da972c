//! TCP on the reactor: each operation tries the non-blocking system call
//! and, on `WouldBlock`, hands the reactor the task's waker and returns
//! Pending; the reactor wakes the task when the socket's next event comes.
//! Stage 5's `FutSocket` pattern, on a real socket. Errors are std's.
//!
//! The same `poll_read` and `poll_write` serve the `async fn`s and the
//! `futures_io` traits, so that code written for any runtime's I/O
//! (`futures::io::copy`, `BufReader`, `lines()`) runs on these sockets.
//!
//! They are written against [`Host`], what a socket needs of its runtime,
//! as `TcpStreamOn<H>` and so on; `TcpStream` is the one on this runtime.
//! Stage 9's sockets are the same types, on its own reactor.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use mio::Interest;
use mio::event::Source;

use crate::{Host, Runtime, alive, current};

/// A TCP listener on this runtime's reactor.
pub type TcpListener = TcpListenerOn<Runtime>;
/// A TCP connection on this runtime's reactor.
/// [`into_split`](TcpStreamOn::into_split) gives a half to read and a half
/// to write, for two tasks at once.
pub type TcpStream = TcpStreamOn<Runtime>;
/// The reading half of a [`TcpStream`].
pub type ReadHalf = ReadHalfOn<Runtime>;
/// The writing half of a [`TcpStream`].
pub type WriteHalf = WriteHalfOn<Runtime>;

/// A socket registered with the reactor of runtime `H`, deregistered when dropped.
struct Registered<S: Source, H: Host> {
    socket: S,
    registration: H::Registration,
    /// Weak: a socket that outlives its runtime must not keep the reactor,
    /// and says so when polled.
    runtime: H::Weak,
}

impl<S: Source, H: Host> Registered<S, H> {
    fn new(mut socket: S) -> io::Result<Self> {
        let runtime = current::<H>();
        let registration = runtime.register(&mut socket)?;
        Ok(Registered {
            socket,
            registration,
            runtime: H::downgrade(&runtime),
        })
    }

    // ANCHOR: poll_io
    /// Tries `call`, a non-blocking system call on the socket; if it would
    /// block, leaves the task's waker with the reactor and says Pending.
    fn poll_io<T>(
        &self,
        direction: Interest,
        cx: &Context<'_>,
        mut call: impl FnMut(&S) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        let runtime = alive::<H>(&self.runtime);
        // Once round here; again only on a reactor that several threads
        // drive (stage 9), when the event came before the waker was left.
        loop {
            let ticks = runtime.ticks(&self.registration, direction);
            match call(&self.socket) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    if runtime.wait(&self.registration, direction, ticks, cx.waker()) {
                        return Poll::Pending;
                    }
                }
                result => return Poll::Ready(result),
            }
        }
    }
    // ANCHOR_END: poll_io
}

impl<S: Source, H: Host> Drop for Registered<S, H> {
    fn drop(&mut self) {
        // A runtime that is gone closed its reactor: nothing to deregister.
        if let Some(runtime) = H::upgrade(&self.runtime) {
            runtime.deregister(&mut self.socket, &self.registration);
        }
    }
}

/// A TCP listener on the reactor of runtime `H`.
pub struct TcpListenerOn<H: Host> {
    inner: Registered<mio::net::TcpListener, H>,
}

impl<H: Host> TcpListenerOn<H> {
    /// Listens on `addr` (port 0: any free port; see [`local_addr`](Self::local_addr)).
    ///
    /// # Panics
    ///
    /// Outside its runtime (here, outside [`block_on`](crate::block_on)).
    pub fn bind(addr: SocketAddr) -> io::Result<Self> {
        let inner = Registered::new(mio::net::TcpListener::bind(addr)?)?;
        Ok(TcpListenerOn { inner })
    }

    /// Waits for the next connection. Several tasks may wait at once: a
    /// connection wakes them all, one accepts it, the others wait again.
    pub async fn accept(&self) -> io::Result<(TcpStreamOn<H>, SocketAddr)> {
        let accepted = poll_fn(|cx| self.inner.poll_io(Interest::READABLE, cx, |s| s.accept()));
        let (stream, peer) = accepted.await?;
        Ok((TcpStreamOn::registered(stream)?, peer))
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.socket.local_addr()
    }
}

/// A TCP connection on the reactor of runtime `H`.
pub struct TcpStreamOn<H: Host> {
    inner: Arc<Connection<H>>,
}

/// What a stream and its halves share: an `Arc`, so that on a runtime of
/// several threads (stage 9) the two halves can be used on two at once.
type Connection<H> = Registered<mio::net::TcpStream, H>;

impl<H: Host> TcpStreamOn<H> {
    fn registered(stream: mio::net::TcpStream) -> io::Result<Self> {
        let inner = Arc::new(Registered::new(stream)?);
        Ok(TcpStreamOn { inner })
    }

    /// Connects to `addr`. A non-blocking connect is finished when the
    /// socket turns writable; then `take_error` says whether it failed, and
    /// `peer_addr` whether it is connected (not yet: wait again).
    ///
    /// # Panics
    ///
    /// Outside its runtime (here, outside [`block_on`](crate::block_on)).
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStreamOn::registered(mio::net::TcpStream::connect(addr)?)?;
        let connected = |socket: &mio::net::TcpStream| match socket.take_error()? {
            Some(error) => Err(error),
            None => socket
                .peer_addr()
                .map(drop)
                .map_err(|error| match error.kind() {
                    io::ErrorKind::NotConnected => io::ErrorKind::WouldBlock.into(),
                    _ => error,
                }),
        };
        poll_fn(|cx| stream.inner.poll_io(Interest::WRITABLE, cx, connected)).await?;
        Ok(stream)
    }

    /// Reads into `buf`; 0 at the end of the stream.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll_read(cx, buf)).await
    }

    /// Writes all of `buf`, waiting whenever the send buffer is full.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf).await
    }

    /// Shuts down reading, writing or both (`Shutdown::Write` is the
    /// half-close: the other end reads the end of the stream).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.socket.shutdown(how)
    }

    /// Two halves of the one connection: one to read, one to write, each
    /// usable by a task of its own.
    pub fn into_split(self) -> (ReadHalfOn<H>, WriteHalfOn<H>) {
        let inner = Arc::clone(&self.inner);
        (ReadHalfOn { inner }, WriteHalfOn { inner: self.inner })
    }

    /// Sends small writes at once (`TCP_NODELAY`), as request/response protocols want.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.socket.set_nodelay(nodelay)
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.socket.local_addr()
    }

    /// The other end's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.socket.peer_addr()
    }
}

impl<H: Host> Connection<H> {
    // ANCHOR: poll_read
    /// Reads into `buf`, or leaves the task's waker with the reactor.
    fn poll_read(&self, cx: &Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        // exercise: try the read; on WouldBlock leave the waker with the reactor and return Pending
        self.poll_io(Interest::READABLE, cx, |mut socket| socket.read(buf))
        // end exercise
    }
    // ANCHOR_END: poll_read

    /// Writes some of `buf`, or leaves the task's waker with the reactor.
    fn poll_write(&self, cx: &Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_io(Interest::WRITABLE, cx, |mut socket| socket.write(buf))
    }

    async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match poll_fn(|cx| self.poll_write(cx, buf)).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                written => buf = &buf[written..],
            }
        }
        Ok(())
    }

    /// `poll_close` of `AsyncWrite`: a half-close, done at once.
    fn close(&self) -> Poll<io::Result<()>> {
        Poll::Ready(self.socket.shutdown(Shutdown::Write))
    }
}

/// The reading half of a [`TcpStreamOn`].
pub struct ReadHalfOn<H: Host> {
    inner: Arc<Connection<H>>,
}

impl<H: Host> ReadHalfOn<H> {
    /// Reads into `buf`; 0 at the end of the stream.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll_read(cx, buf)).await
    }
}

/// The writing half of a [`TcpStreamOn`].
pub struct WriteHalfOn<H: Host> {
    inner: Arc<Connection<H>>,
}

impl<H: Host> WriteHalfOn<H> {
    /// Writes all of `buf`, waiting whenever the send buffer is full.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf).await
    }

    /// Shuts down the connection as [`TcpStreamOn::shutdown`] does.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.socket.shutdown(how)
    }
}

// The runtime-agnostic traits. Their `poll_*` take `Pin<&mut Self>`: one
// future at a time per half, as the `async fn`s' `&mut self` says.

impl<H: Host> AsyncRead for TcpStreamOn<H> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_read(cx, buf)
    }
}

impl<H: Host> AsyncRead for ReadHalfOn<H> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_read(cx, buf)
    }
}

impl<H: Host> AsyncWrite for TcpStreamOn<H> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write(cx, buf)
    }

    /// Nothing to flush: a write goes straight to the system.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.close()
    }
}

impl<H: Host> AsyncWrite for WriteHalfOn<H> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_write(cx, buf)
    }

    /// Nothing to flush: a write goes straight to the system.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.close()
    }
}
