//! TCP on the shared reactor: an echo server on two workers, a connection
//! read by one task while another writes it, two acceptors on one listener,
//! and sockets that are `Send`. Loopback only; every wait bounded.

use std::future::{Future, poll_fn};
use std::net::{Ipv4Addr, Shutdown, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use lab::patience::within_patience;
use work_stealing::net::{TcpListener, TcpStream};
use work_stealing::{Runtime, io_registrations, spawn, yield_now};

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

fn is_send<T: Send>(_: &T) {}

#[test]
fn an_echo_server_serves_fifty_connections_on_two_workers() {
    const CONNECTIONS: usize = 50;
    let echoed = within_patience(|| {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let server = spawn(async move {
                for _ in 0..CONNECTIONS {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    is_send(&stream);
                    // Accepted here; served by a task any worker may run.
                    drop(spawn(async move {
                        let mut buf = [0; 64];
                        while let Ok(n @ 1..) = stream.read(&mut buf).await {
                            stream.write_all(&buf[..n]).await.unwrap();
                        }
                    }));
                }
            });
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|i| {
                    spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        let sent = [i as u8; 64];
                        let mut back = [0; 64];
                        for _ in 0..10 {
                            stream.write_all(&sent).await.unwrap();
                            let mut filled = 0;
                            while filled < 64 {
                                filled += stream.read(&mut back[filled..]).await.unwrap();
                            }
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
fn a_connection_is_read_by_one_task_while_another_writes_it() {
    const BIG: usize = 4 << 20;
    let received = within_patience(|| {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let server = spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                // Echoed by the two halves, in one task.
                let (mut reader, mut writer) = stream.into_split();
                let mut buf = vec![0; 64 << 10];
                loop {
                    match reader.read(&mut buf).await.unwrap() {
                        0 => break,
                        n => writer.write_all(&buf[..n]).await.unwrap(),
                    }
                }
                writer.shutdown(Shutdown::Write).unwrap();
            });
            let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
            let writing = spawn(async move {
                let chunk = vec![7u8; 64 << 10];
                for _ in 0..BIG / chunk.len() {
                    writer.write_all(&chunk).await.unwrap();
                }
                writer.shutdown(Shutdown::Write).unwrap();
            });
            let reading = spawn(async move {
                let (mut buf, mut received) = (vec![0; 64 << 10], 0);
                loop {
                    match reader.read(&mut buf).await.unwrap() {
                        0 => break received,
                        n => received += n,
                    }
                }
            });
            writing.await;
            server.await;
            reading.await
        })
    });
    assert_eq!(received, BIG);
}

#[test]
fn two_tasks_accepting_on_one_listener_both_get_a_connection_and_nothing_stays_registered() {
    let (accepted, left) = within_patience(|| {
        let runtime = Runtime::new(2);
        runtime.block_on(async {
            let listener = Arc::new(TcpListener::bind(loopback()).unwrap());
            let addr = listener.local_addr().unwrap();
            let waiting = Arc::new(AtomicUsize::new(0));
            let acceptors: Vec<_> = (0..2)
                .map(|_| {
                    let (listener, waiting) = (Arc::clone(&listener), Arc::clone(&waiting));
                    spawn(async move {
                        let mut accept = pin!(listener.accept());
                        // Polled once, so that its waker is with the reactor.
                        poll_fn(|cx| Poll::Ready(accept.as_mut().poll(cx).is_pending())).await;
                        waiting.fetch_add(1, Ordering::SeqCst);
                        accept.await.map(drop)
                    })
                })
                .collect();
            // Both wait before the first connection comes.
            while waiting.load(Ordering::SeqCst) < 2 {
                yield_now().await;
            }
            let clients = [
                TcpStream::connect(addr).await.unwrap(),
                TcpStream::connect(addr).await.unwrap(),
            ];
            let mut accepted = 0;
            for acceptor in acceptors {
                acceptor.await.unwrap();
                accepted += 1;
            }
            drop((clients, listener));
            (accepted, io_registrations())
        })
    });
    assert_eq!((accepted, left), (2, 0));
}
