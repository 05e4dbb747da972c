//! TCP on the reactor, loopback only: round trips, and each way a
//! connection fails giving the `io::Error` std would give, never a panic or
//! a hang. Every loop here is bounded.

use lab::patience::within_patience;
use std::future::{Future, poll_fn};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::task::Poll;
use std::time::Duration;

use mini_runtime::net::{TcpListener, TcpStream};
use mini_runtime::{block_on, io_registrations, spawn};

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Reads until `buf` is full or the stream ends; how much was read.
async fn read_full(stream: &mut TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]).await? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[test]
fn an_echo_server_serves_fifty_connections_at_once_on_one_thread() {
    // Two descriptors each: well under macOS's default limit of 256, with
    // the other tests of this binary running beside it.
    const CONNECTIONS: usize = 50;
    let echoed = within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let server = spawn(async move {
                for _ in 0..CONNECTIONS {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    drop(spawn(async move {
                        let mut buf = [0; 64];
                        loop {
                            match stream.read(&mut buf).await.unwrap() {
                                0 => break,
                                n => stream.write_all(&buf[..n]).await.unwrap(),
                            }
                        }
                    }));
                }
            });
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|i| {
                    spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        stream.set_nodelay(true).unwrap();
                        let sent = [i as u8; 64];
                        let mut back = [0; 64];
                        for _ in 0..10 {
                            stream.write_all(&sent).await.unwrap();
                            assert_eq!(read_full(&mut stream, &mut back).await.unwrap(), 64);
                            assert_eq!(back, sent);
                        }
                    })
                })
                .collect();
            for client in clients {
                client.await;
            }
            server.await;
            CONNECTIONS
        })
    });
    assert_eq!(echoed, CONNECTIONS);
}

#[test]
fn addresses_are_what_each_end_sees() {
    within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, peer) = listener.accept().await.unwrap();
            assert_eq!(client.peer_addr().unwrap(), addr);
            assert_eq!(server.local_addr().unwrap(), addr);
            assert_eq!(peer, client.local_addr().unwrap());
            assert_eq!(server.peer_addr().unwrap(), peer);
        })
    });
}

#[test]
fn connecting_where_nobody_listens_is_refused() {
    let error = within_patience(|| {
        block_on(async {
            // A port that was just free, and is again: nobody listens there.
            let addr = TcpListener::bind(loopback()).unwrap().local_addr().unwrap();
            TcpStream::connect(addr).await.err()
        })
    });
    assert_eq!(
        error.map(|error| error.kind()),
        Some(ErrorKind::ConnectionRefused)
    );
}

#[test]
fn a_peer_that_closes_mid_read_gives_0_after_the_bytes_it_sent() {
    let (first, then) = within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            server.write_all(b"partial").await.unwrap();
            drop(server);
            let mut buf = [0; 64];
            let first = read_full(&mut client, &mut buf).await.unwrap();
            (first, client.read(&mut buf).await.unwrap())
        })
    });
    assert_eq!((first, then), (7, 0));
}

#[test]
fn a_peer_that_resets_gives_connection_reset_and_writing_to_it_fails() {
    let (read, write) = within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            // Closing with unread data makes the kernel reset the connection.
            client.write_all(b"never read").await.unwrap();
            mini_runtime::time::sleep(Duration::from_millis(20)).await;
            drop(server);
            let mut buf = [0; 16];
            let read = client.read(&mut buf).await.map_err(|error| error.kind());
            // Writing on: the first writes may still be accepted locally.
            let mut write = Ok(());
            for _ in 0..100 {
                write = client.write_all(&[0; 1024]).await;
                if write.is_err() {
                    break;
                }
            }
            (read, write.map_err(|error| error.kind()))
        })
    });
    assert_eq!(read, Err(ErrorKind::ConnectionReset));
    assert!(
        matches!(
            write,
            Err(ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted)
        ),
        "writing to a reset connection: {write:?}"
    );
}

#[test]
fn binding_an_address_in_use_fails_with_addr_in_use() {
    let error = within_patience(|| {
        block_on(async {
            let first = TcpListener::bind(loopback()).unwrap();
            TcpListener::bind(first.local_addr().unwrap())
                .err()
                .map(|error| error.kind())
        })
    });
    assert_eq!(error, Some(ErrorKind::AddrInUse));
}

#[test]
fn a_stream_dropped_while_a_task_waits_on_it_leaves_the_reactor() {
    let counts = within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let before = io_registrations();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let with_two = io_registrations();
            // A read that waits (nothing was sent), given up after one poll:
            // the future owning the stream is dropped while its waker is
            // with the reactor.
            let mut reading = Box::pin(async move {
                let mut client = client;
                let mut buf = [0; 8];
                client.read(&mut buf).await
            });
            poll_fn(|cx| {
                assert!(reading.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            drop(reading);
            drop(server);
            (before, with_two, io_registrations())
        })
    });
    assert_eq!(
        counts,
        (1, 3, 1),
        "(listener, + both ends, after both dropped)"
    );
}
