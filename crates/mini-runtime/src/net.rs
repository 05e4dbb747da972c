//! TCP on the reactor: each operation tries the non-blocking system call
//! and, on `WouldBlock`, hands the reactor the task's waker and returns
//! Pending; the reactor wakes the task when the socket's next event comes.
//! Stage 5's `FutSocket` pattern, on a real socket. Errors are std's.
//!
//! The same `poll_read` and `poll_write` serve the `async fn`s and the
//! `futures_io` traits, so that code written for any runtime's I/O
//! (`futures::io::copy`, `BufReader`, `lines()`) runs on these sockets.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use mio::{Interest, Token};

use crate::Runtime;
use crate::reactor::register;

/// A socket registered with the reactor, deregistered when dropped.
struct Registered<S: mio::event::Source> {
    socket: S,
    token: Token,
    /// Weak: a socket that outlives its `block_on` must not keep the
    /// reactor, and says so when polled.
    runtime: Weak<Runtime>,
}

impl<S: mio::event::Source> Registered<S> {
    fn new(mut socket: S) -> io::Result<Self> {
        let (runtime, token) = register(&mut socket)?;
        Ok(Registered {
            socket,
            token,
            runtime,
        })
    }

    /// Tries `call`, a non-blocking system call on the socket; if it would
    /// block, leaves the task's waker with the reactor and says Pending.
    fn poll_io<T>(
        &self,
        direction: Interest,
        cx: &Context<'_>,
        call: impl FnOnce(&S) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        let runtime = Runtime::upgrade(&self.runtime);
        match call(&self.socket) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                runtime.wait(self.token, direction, cx.waker());
                Poll::Pending
            }
            result => Poll::Ready(result),
        }
    }
}

impl<S: mio::event::Source> Drop for Registered<S> {
    fn drop(&mut self) {
        // A runtime that is gone closed its reactor: nothing to deregister.
        if let Some(runtime) = self.runtime.upgrade() {
            runtime.deregister(&mut self.socket, self.token);
        }
    }
}

/// A TCP listener on the reactor.
pub struct TcpListener {
    inner: Registered<mio::net::TcpListener>,
}

impl TcpListener {
    /// Listens on `addr` (port 0: any free port; see [`local_addr`](Self::local_addr)).
    ///
    /// # Panics
    ///
    /// Outside [`block_on`](crate::block_on).
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let inner = Registered::new(mio::net::TcpListener::bind(addr)?)?;
        Ok(TcpListener { inner })
    }

    /// Waits for the next connection. Several tasks may wait at once: a
    /// connection wakes them all, one accepts it, the others wait again.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let accepted = poll_fn(|cx| self.inner.poll_io(Interest::READABLE, cx, |s| s.accept()));
        let (stream, peer) = accepted.await?;
        Ok((TcpStream::registered(stream)?, peer))
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.socket.local_addr()
    }
}

/// A TCP connection on the reactor. [`into_split`](Self::into_split) gives
/// a half to read and a half to write, for two tasks at once.
pub struct TcpStream {
    inner: Rc<Stream>,
}

/// What a stream and its halves share.
type Stream = Registered<mio::net::TcpStream>;

impl TcpStream {
    fn registered(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let inner = Rc::new(Registered::new(stream)?);
        Ok(TcpStream { inner })
    }

    /// Connects to `addr`. A non-blocking connect is finished when the
    /// socket turns writable; then `take_error` says whether it failed, and
    /// `peer_addr` whether it is connected (not yet: wait again).
    ///
    /// # Panics
    ///
    /// Outside [`block_on`](crate::block_on).
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::registered(mio::net::TcpStream::connect(addr)?)?;
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
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        let inner = Rc::clone(&self.inner);
        (ReadHalf { inner }, WriteHalf { inner: self.inner })
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

impl Stream {
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

/// The reading half of a [`TcpStream`].
pub struct ReadHalf {
    inner: Rc<Stream>,
}

impl ReadHalf {
    /// Reads into `buf`; 0 at the end of the stream.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll_read(cx, buf)).await
    }
}

/// The writing half of a [`TcpStream`].
pub struct WriteHalf {
    inner: Rc<Stream>,
}

impl WriteHalf {
    /// Writes all of `buf`, waiting whenever the send buffer is full.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf).await
    }

    /// Shuts down the connection as [`TcpStream::shutdown`] does.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.socket.shutdown(how)
    }
}

// The runtime-agnostic traits. Their `poll_*` take `Pin<&mut Self>`: one
// future at a time per half, as the `async fn`s' `&mut self` says.

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_read(cx, buf)
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
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

impl AsyncWrite for WriteHalf {
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
