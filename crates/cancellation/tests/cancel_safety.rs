//! Cancel safety, with the loss asserted: frames sent over real loopback
//! sockets, each in two parts, the second sent only once a `timeout` has
//! dropped a read in the middle of that frame. So every frame is cut by a
//! cancel, by cause: the writer waits for it.

use std::cell::Cell;
use std::io::{self, Write};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use cancellation::frames::{FrameReader, frame, read_frame};
use cancellation::timeout;
use futures_io::AsyncRead;
use lab::patience::{PATIENCE, within_patience};
use mini_runtime::block_on;
use mini_runtime::net::{TcpListener, TcpStream};

/// A reader that counts the bytes read through it: where the stream is.
struct Counted {
    stream: TcpStream,
    read: Cell<usize>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.read.set(self.read.get() + n);
        }
        polled
    }
}

/// The frames each test sends: payloads of different lengths, as frames.
fn frames() -> Vec<Vec<u8>> {
    (1..=10u8)
        .map(|i| frame(&vec![b'a' + i; 8 * usize::from(i)]))
        .collect()
}

/// Sends `frames` to `writer`, each in two parts: the header and half the
/// payload, then (after a message on `released`) the rest.
fn send_in_two_parts(
    mut writer: std::net::TcpStream,
    frames: Vec<Vec<u8>>,
    released: mpsc::Receiver<()>,
) {
    for frame in frames {
        let split = 4 + (frame.len() - 4) / 2;
        writer.write_all(&frame[..split]).unwrap();
        if released.recv().is_err() {
            return; // the reader stopped
        }
        writer.write_all(&frame[split..]).unwrap();
    }
}

/// Which of the two framed readers to read with.
#[derive(Clone, Copy)]
enum Reader {
    InItsFuture,
    Buffered,
}

/// Reads the frames the writer sends with `reader`, each read inside a
/// 5 ms timeout, in a loop; lets the writer go on once a timeout dropped a
/// read in the middle of its current frame. The frames read, and the error
/// that stopped the loop, if one did.
fn read_through_timeouts(reader: Reader) -> (Vec<Vec<u8>>, Option<io::Error>) {
    within_patience(move || {
        block_on(async move {
            let sent = frames();
            let starts: Vec<usize> = sent
                .iter()
                .scan(0, |at, frame| {
                    let start = *at;
                    *at += frame.len();
                    Some(start)
                })
                .collect();
            let listener = TcpListener::bind(([127, 0, 0, 1], 0).into()).unwrap();
            let writer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let (release, released) = mpsc::channel();
            let writing = thread::spawn(move || send_in_two_parts(writer, sent, released));

            let mut counted = Counted {
                stream,
                read: Cell::new(0),
            };
            let mut buffered = FrameReader::new();
            let (mut read, mut releases) = (Vec::new(), 0);
            let give_up = Instant::now() + PATIENCE;
            let error = loop {
                assert!(
                    Instant::now() < give_up,
                    "the frames did not come through in {PATIENCE:?}"
                );
                let next = match reader {
                    Reader::InItsFuture => {
                        timeout(Duration::from_millis(5), read_frame(&mut counted)).await
                    }
                    Reader::Buffered => {
                        timeout(Duration::from_millis(5), buffered.next_frame(&mut counted)).await
                    }
                };
                match next {
                    Ok(Ok(frame)) => {
                        read.push(frame);
                        if read.len() == starts.len() {
                            break None;
                        }
                    }
                    Ok(Err(error)) => break Some(error),
                    // A read was dropped past the start of the frame being
                    // sent: the frame was cut by a cancel; send the rest.
                    Err(_) if releases < starts.len() && counted.read.get() > starts[releases] => {
                        release.send(()).unwrap();
                        releases += 1;
                    }
                    Err(_) => {}
                }
            };
            drop(release);
            writing.join().unwrap();
            (read, error)
        })
    })
}

#[test]
fn a_read_that_keeps_its_partial_frame_in_its_own_future_loses_it_to_a_timeout() {
    let (read, error) = read_through_timeouts(Reader::InItsFuture);
    // The first frame was cut: its first half went with the dropped read,
    // and the next read took payload bytes for a length.
    assert!(read.is_empty(), "frames came through whole: {read:?}");
    let error = error.expect("the read went on as if nothing was lost");
    assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{error}");
    assert!(
        error.to_string().starts_with("a frame of 1650614882 bytes"),
        "{error}"
    );
}

#[test]
fn a_reader_whose_buffer_lives_outside_the_future_loses_nothing_to_a_timeout() {
    let (read, error) = read_through_timeouts(Reader::Buffered);
    assert!(error.is_none(), "{error:?}");
    let expected: Vec<Vec<u8>> = frames()
        .into_iter()
        .map(|frame| frame[4..].to_vec())
        .collect();
    assert_eq!(read, expected, "every frame, whole, in order");
}
