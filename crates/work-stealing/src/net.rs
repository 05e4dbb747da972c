//! TCP on the shared reactor, with stage 7's methods, all `Send`: a
//! connection accepted on one worker can be read on another, and its two
//! halves used by tasks on two workers at once.
//!
//! Each operation is stage 7's (try the non-blocking call; on `WouldBlock`
//! leave the waker with the reactor and return Pending), with the one step
//! several threads need: the socket's event count is read before the call,
//! and the waker is left only if no event came in between (`reactor.rs`).

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use mio::{Interest, Token};

use crate::Shared;
use crate::reactor::Io;
use crate::time::upgrade;

/// A socket registered with the shared reactor, deregistered when dropped.
struct Registered<S: mio::event::Source> {
    socket: S,
    token: Token,
    io: Arc<Io>,
    /// Weak: a socket that outlives its runtime must not keep it.
    runtime: Weak<Shared>,
}

impl<S: mio::event::Source> Registered<S> {
    fn new(mut socket: S) -> io::Result<Self> {
        let shared = Shared::current()
            .unwrap_or_else(|| panic!("work-stealing sockets work inside a runtime only"));
        let (token, io) = shared.reactor.register(&mut socket)?;
        let runtime = Arc::downgrade(&shared);
        Ok(Registered {
            socket,
            token,
            io,
            runtime,
        })
    }

    // ANCHOR: poll_io
    /// Tries `call` until it does not block, or until the waker is left
    /// with the reactor, with no event missed in between.
    fn poll_io<T>(
        &self,
        interest: Interest,
        cx: &Context<'_>,
        mut call: impl FnMut(&S) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        upgrade(&self.runtime); // polled after its runtime: a panic, not a hang
        loop {
            let ticks = self.io.ticks(interest);
            match call(&self.socket) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    if self.io.wait(interest, ticks, cx.waker()) {
                        return Poll::Pending;
                    }
                }
                result => return Poll::Ready(result),
            }
        }
    }
    // ANCHOR_END: poll_io
}

impl<S: mio::event::Source> Drop for Registered<S> {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.upgrade() {
            runtime.reactor.deregister(&mut self.socket, self.token);
        }
    }
}

/// A TCP listener on the shared reactor.
pub struct TcpListener {
    inner: Registered<mio::net::TcpListener>,
}

impl TcpListener {
    /// Listens on `addr` (port 0: any free port).
    ///
    /// # Panics
    ///
    /// Outside a runtime.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let inner = Registered::new(mio::net::TcpListener::bind(addr)?)?;
        Ok(TcpListener { inner })
    }

    /// Waits for the next connection; several tasks may wait at once.
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

/// A TCP connection on the shared reactor.
pub struct TcpStream {
    inner: Arc<Stream>,
}

/// What a stream and its halves share.
type Stream = Registered<mio::net::TcpStream>;

impl TcpStream {
    fn registered(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let inner = Arc::new(Registered::new(stream)?);
        Ok(TcpStream { inner })
    }

    /// Connects to `addr`: done when the socket turns writable and says it
    /// is connected, as in stage 7.
    ///
    /// # Panics
    ///
    /// Outside a runtime.
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

    /// Shuts down reading, writing or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.socket.shutdown(how)
    }

    /// A half to read and a half to write, each for a task of its own, on
    /// any worker.
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        let inner = Arc::clone(&self.inner);
        (ReadHalf { inner }, WriteHalf { inner: self.inner })
    }

    /// Sends small writes at once (`TCP_NODELAY`).
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
    fn poll_read(&self, cx: &Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_io(Interest::READABLE, cx, |mut socket| socket.read(buf))
    }

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

    fn close(&self) -> Poll<io::Result<()>> {
        Poll::Ready(self.socket.shutdown(Shutdown::Write))
    }
}

/// The reading half of a [`TcpStream`].
pub struct ReadHalf {
    inner: Arc<Stream>,
}

impl ReadHalf {
    /// Reads into `buf`; 0 at the end of the stream.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.inner.poll_read(cx, buf)).await
    }
}

/// The writing half of a [`TcpStream`].
pub struct WriteHalf {
    inner: Arc<Stream>,
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

// The runtime-agnostic traits, on the stream (the halves have stage 7's
// `async fn`s): for code written against futures' I/O, and for hyper.

impl AsyncRead for TcpStream {
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

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.close()
    }
}
