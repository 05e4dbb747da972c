//! TCP on the reactor: each operation tries the non-blocking system call
//! and, on `WouldBlock`, hands the reactor the task's waker and returns
//! Pending; the reactor wakes the task when the socket's next event comes.
//! Stage 5's `FutSocket` pattern, on a real socket. Errors are std's.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Context, Poll};

use mio::Token;

use crate::Runtime;
use crate::reactor::{Direction, register};

/// A socket registered with the reactor, deregistered when dropped.
struct Registered<S: mio::event::Source> {
    socket: S,
    token: Token,
    runtime: Rc<Runtime>,
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

    /// `result` of a system call on the socket, Pending (with the task's
    /// waker left with the reactor) if it would block.
    fn ready<T>(
        &self,
        result: io::Result<T>,
        direction: Direction,
        cx: &Context<'_>,
    ) -> Poll<io::Result<T>> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.runtime.wait(self.token, direction, cx.waker());
                Poll::Pending
            }
            result => Poll::Ready(result),
        }
    }
}

impl<S: mio::event::Source> Drop for Registered<S> {
    fn drop(&mut self) {
        self.runtime.deregister(&mut self.socket, self.token);
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
        Ok(TcpListener {
            inner: Registered::new(mio::net::TcpListener::bind(addr)?)?,
        })
    }

    /// Waits for the next connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = poll_fn(|cx| {
            self.inner
                .ready(self.inner.socket.accept(), Direction::Read, cx)
        })
        .await?;
        Ok((
            TcpStream {
                inner: Registered::new(stream)?,
            },
            peer,
        ))
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.socket.local_addr()
    }
}

/// A TCP connection on the reactor.
pub struct TcpStream {
    inner: Registered<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`. A non-blocking connect is finished when the
    /// socket turns writable; then `take_error` says whether it failed, and
    /// `peer_addr` whether it is connected (not yet: wait again).
    ///
    /// # Panics
    ///
    /// Outside [`block_on`](crate::block_on).
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream {
            inner: Registered::new(mio::net::TcpStream::connect(addr)?)?,
        };
        poll_fn(|cx| {
            if let Some(error) = stream.inner.socket.take_error()? {
                return Poll::Ready(Err(error));
            }
            match stream.inner.socket.peer_addr() {
                Ok(_) => Poll::Ready(Ok(())),
                Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                    let would_block = Err(io::Error::from(io::ErrorKind::WouldBlock));
                    stream.inner.ready(would_block, Direction::Write, cx)
                }
                Err(error) => Poll::Ready(Err(error)),
            }
        })
        .await?;
        Ok(stream)
    }

    // ANCHOR: read
    /// Reads into `buf`; 0 at the end of the stream.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // exercise: try the read; on WouldBlock leave the waker with the reactor and return Pending
        poll_fn(|cx| {
            let result = self.inner.socket.read(buf);
            self.inner.ready(result, Direction::Read, cx)
        })
        .await
        // end exercise
    }
    // ANCHOR_END: read

    /// Writes all of `buf`, waiting whenever the send buffer is full.
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let written = poll_fn(|cx| {
                let result = self.inner.socket.write(buf);
                self.inner.ready(result, Direction::Write, cx)
            })
            .await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[written..];
        }
        Ok(())
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
