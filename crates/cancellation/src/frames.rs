//! Cancel safety, on a real protocol: frames of a 4-byte big-endian length
//! followed by that many bytes, read from any `futures_io::AsyncRead`
//! (stage 7's `TcpStream` is one).
//!
//! Both readers read the same bytes in the same order. They differ only in
//! where a partial frame waits between two reads: in the future's own
//! locals ([`read_frame`], as `read_exact` does), or in a buffer that
//! outlives each future ([`FrameReader`]). Drop the first in the middle of
//! a frame (a `timeout` runs out while the rest of the frame is on its
//! way) and the bytes it had read go with it: the stream is left in the
//! middle of a frame, and the next read takes payload for a length. Drop
//! the second, and the bytes are still in the reader for the next call.
//!
//! What makes the second safe is that every await in it is itself safe to
//! cancel: a socket read that returns `Pending` has read nothing, so a read
//! dropped while waiting loses nothing, and what a read returns goes into
//! the buffer before the next await.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;

use futures_io::AsyncRead;

/// The longest frame either reader accepts: a length above it is taken for
/// what it most likely is, bytes from the middle of a frame.
pub const MAX_FRAME: usize = 1 << 20;

/// Reads some bytes into `buf`: one `poll_read`, awaited.
async fn read_some<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *reader).poll_read(cx, buf)).await
}

/// Fills `buf`, or fails at the end of the stream.
async fn read_exact<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut [u8]) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match read_some(reader, &mut buf[filled..]).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(())
}

/// The length in a frame's header, checked against [`MAX_FRAME`].
fn frame_len(header: [u8; 4]) -> io::Result<usize> {
    match u32::from_be_bytes(header) as usize {
        len if len <= MAX_FRAME => Ok(len),
        len => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes is longer than the {MAX_FRAME}-byte limit"),
        )),
    }
}

// ANCHOR: read_frame
/// Reads one frame, keeping what it has read so far in its own locals.
///
/// Not cancel-safe: dropped in the middle of a frame, it takes the bytes
/// it read with it, and the stream is left in the middle of the frame.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R) -> io::Result<Vec<u8>> {
    let mut header = [0; 4];
    read_exact(reader, &mut header).await?;
    let mut frame = vec![0; frame_len(header)?];
    read_exact(reader, &mut frame).await?;
    Ok(frame)
}
// ANCHOR_END: read_frame

/// A reader of frames whose partial frame lives in itself, between calls.
#[derive(Debug, Default)]
pub struct FrameReader {
    /// Bytes read and not yet returned: the start of the next frame.
    buffered: Vec<u8>,
}

impl FrameReader {
    /// A reader with nothing buffered.
    pub fn new() -> Self {
        FrameReader::default()
    }

    // ANCHOR: next_frame
    /// Reads until a whole frame is buffered, and returns it.
    ///
    /// Cancel-safe: dropped at any await, it has lost nothing, and the next
    /// call goes on where it stopped.
    pub async fn next_frame<R: AsyncRead + Unpin>(
        &mut self,
        reader: &mut R,
    ) -> io::Result<Vec<u8>> {
        loop {
            if let Some(frame) = self.take_frame()? {
                return Ok(frame);
            }
            let mut chunk = [0; 4096];
            match read_some(reader, &mut chunk).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                // Kept before the next await: a cancel from here on loses nothing.
                n => self.buffered.extend_from_slice(&chunk[..n]),
            }
        }
    }
    // ANCHOR_END: next_frame

    /// How many bytes are buffered: the part of a frame read so far.
    pub fn buffered(&self) -> usize {
        self.buffered.len()
    }

    /// The first frame buffered, if it is whole.
    fn take_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        let Some(header) = self.buffered.first_chunk::<4>() else {
            return Ok(None);
        };
        let len = frame_len(*header)?;
        if self.buffered.len() < 4 + len {
            return Ok(None);
        }
        let frame = self.buffered[4..4 + len].to_vec();
        self.buffered.drain(..4 + len);
        Ok(Some(frame))
    }
}

/// `payload` as a frame: its length, then its bytes.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("a frame under 4 GiB");
    [&len.to_be_bytes()[..], payload].concat()
}
