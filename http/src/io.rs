//! The glue between hyper and a runtime's sockets: hyper's own two I/O
//! traits, `hyper::rt::Read` and `hyper::rt::Write`, on any socket that
//! implements futures-io's, as stage 7's and stage 9's do.
//!
//! Both sets of traits are poll-based, like every future of the stages: a
//! call tries the operation and either finishes it or leaves the task's
//! waker with the reactor and says `Pending`. So the glue adds no waiting
//! of its own; it only changes the shape of the buffers.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

/// A socket that hyper can read and write: `S` is any socket with
/// futures-io's traits (`mini_runtime::net::TcpStream`,
/// `work_stealing::net::TcpStream`).
#[derive(Debug)]
pub struct Io<S> {
    socket: S,
}

impl<S> Io<S> {
    /// Wraps `socket` for hyper.
    pub fn new(socket: S) -> Self {
        Io { socket }
    }

    /// The socket inside.
    pub fn get_ref(&self) -> &S {
        &self.socket
    }
}

/// How many bytes one read takes at most: twice hyper's first read buffer
/// (8 KiB), so that a read is never cut short by the scratch while hyper
/// has room.
const SCRATCH: usize = 16 * 1024;

thread_local! {
    /// Where a read lands before it is copied into hyper's buffer. The
    /// bytes pass through it within one `poll_read`, never across a
    /// `Pending`, so one buffer per thread serves every connection the
    /// thread polls, and an idle connection holds none.
    static SCRATCH_BUFFER: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH].into_boxed_slice());
}

// ANCHOR: read
impl<S: AsyncRead + Unpin> hyper::rt::Read for Io<S> {
    /// Reads what the socket has into hyper's buffer, or says Pending with
    /// the waker left with the reactor (by the socket's own `poll_read`).
    ///
    /// hyper's buffer may be uninitialized memory, which safe code can
    /// only write with `put_slice`: so the socket reads into a scratch
    /// buffer, and `put_slice` copies what it read. The copy is the price
    /// of no `unsafe`; it is a few hundred bytes for a request.
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        SCRATCH_BUFFER.with_borrow_mut(|scratch| {
            let room = buf.remaining().min(scratch.len());
            let socket = Pin::new(&mut self.socket);
            let read = ready!(socket.poll_read(cx, &mut scratch[..room]))?;
            // Nothing put (0 bytes) is how hyper hears of the end of the stream.
            buf.put_slice(&scratch[..read]);
            Poll::Ready(Ok(()))
        })
    }
}
// ANCHOR_END: read

// ANCHOR: write
impl<S: AsyncWrite + Unpin> hyper::rt::Write for Io<S> {
    /// Writes some of `buf`, or says Pending until the send buffer has room.
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_flush(cx)
    }

    /// hyper's `shutdown` is futures-io's `close`: the write side's end.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket).poll_close(cx)
    }
}
// ANCHOR_END: write
