//! The sockets as real servers use them: several tasks accepting on one
//! listener, a connection read by one task while another writes it, the
//! half-close, and the runtime-agnostic I/O traits, through which code
//! nobody here wrote (futures' `copy`, `BufReader`, `lines`) and a client
//! written in another language (Python) talk to the runtime.

use std::io::{self, Write as _};
use std::net::{Ipv4Addr, Shutdown, SocketAddr};
use std::process::{Command, Stdio};
use std::rc::Rc;

use futures_util::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use futures_util::stream::StreamExt;
use lab::patience::within_patience;
use mini_runtime::net::{TcpListener, TcpStream};
use mini_runtime::{block_on, io_registrations, spawn, yield_now};

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

#[test]
fn two_tasks_accepting_on_one_listener_both_get_a_connection() {
    let accepted = within_patience(|| {
        block_on(async {
            let listener = Rc::new(TcpListener::bind(loopback()).unwrap());
            let addr = listener.local_addr().unwrap();
            let acceptors: Vec<_> = (0..2)
                .map(|_| {
                    let listener = Rc::clone(&listener);
                    spawn(async move { listener.accept().await.map(drop) })
                })
                .collect();
            // Both are polled, and wait, before this task is polled again.
            yield_now().await;
            let clients = [
                TcpStream::connect(addr).await.unwrap(),
                TcpStream::connect(addr).await.unwrap(),
            ];
            let mut accepted = 0;
            for acceptor in acceptors {
                acceptor.await.unwrap();
                accepted += 1;
            }
            drop(clients);
            accepted
        })
    });
    assert_eq!(accepted, 2);
}

/// 8 MiB through an echo server: more than the two ends' buffers hold, so
/// it only gets through if the client writes and reads at the same time.
const BIG: usize = 8 << 20;

/// Serves one connection by copying what it reads back to it with futures'
/// `copy`, then half-closes: the runtime-agnostic traits at work.
async fn echo_with_copy(listener: TcpListener) -> io::Result<u64> {
    let (stream, _) = listener.accept().await?;
    let (reader, mut writer) = stream.into_split();
    let copied = futures_util::io::copy(reader, &mut writer).await?;
    writer.close().await?;
    Ok(copied)
}

#[test]
fn a_connection_is_read_by_one_task_while_another_writes_it() {
    let (sent, received, copied) = within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let server = spawn(echo_with_copy(listener));
            let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
            let writing = spawn(async move {
                let chunk: Vec<u8> = (0..=255).collect();
                for _ in 0..BIG / chunk.len() {
                    writer.write_all(&chunk).await?;
                }
                // The half-close: the server reads the end, and ends too.
                writer.shutdown(Shutdown::Write)?;
                io::Result::Ok(BIG)
            });
            let mut received = Vec::with_capacity(BIG);
            let mut buf = vec![0; 64 << 10];
            loop {
                match reader.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => received.extend_from_slice(&buf[..n]),
                }
            }
            let sent = writing.await.unwrap();
            (sent, received, server.await.unwrap())
        })
    });
    assert_eq!((sent, received.len(), copied), (BIG, BIG, BIG as u64));
    assert!(
        received
            .iter()
            .enumerate()
            .all(|(i, &byte)| byte == i as u8),
        "the echo came back out of order"
    );
}

#[test]
fn the_futures_io_traits_read_and_write_a_whole_stream() {
    let (line, rest, registrations) = within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(loopback()).unwrap();
            let addr = listener.local_addr().unwrap();
            let server = spawn(echo_with_copy(listener));
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"first line\nand the rest").await.unwrap();
            AsyncWriteExt::close(&mut stream).await.unwrap();
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            let mut rest = String::new();
            reader.read_to_string(&mut rest).await.unwrap();
            server.await.unwrap();
            drop(reader);
            (line, rest, io_registrations())
        })
    });
    assert_eq!(
        (line.as_str(), rest.as_str()),
        ("first line\n", "and the rest")
    );
    assert_eq!(
        registrations, 0,
        "a socket stayed registered after its drop"
    );
}

/// A line server: each line it reads comes back in capitals, through
/// `BufReader::lines` on a read half and `write_all` on the write half.
async fn shout(listener: TcpListener) -> io::Result<usize> {
    let (stream, _) = listener.accept().await?;
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    let mut served = 0;
    while let Some(line) = lines.next().await {
        writer
            .write_all(format!("{}\n", line?.to_uppercase()).as_bytes())
            .await?;
        served += 1;
    }
    Ok(served)
}

/// A client in Python: sends three lines, half-closes, prints the answers.
const PYTHON_CLIENT: &str = r#"
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as s:
    s.sendall(b"one\ntwo\nthree\n")
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    sys.stdout.write(got.decode())
"#;

/// `python3`, or `python` where that is its name, if there is one.
fn python() -> Option<&'static str> {
    ["python3", "python"].into_iter().find(|name| {
        let mut probe = Command::new(name);
        probe
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        probe.status().is_ok_and(|status| status.success())
    })
}

#[test]
fn a_python_client_is_served_by_a_line_server_on_the_runtime() {
    let Some(python) = python() else {
        eprintln!("no python3 here: the Python client is not run (CI has one)");
        return;
    };
    let (served, answers) = within_patience(move || {
        block_on(async move {
            let listener = TcpListener::bind(loopback()).unwrap();
            let port = listener.local_addr().unwrap().port().to_string();
            let server = spawn(shout(listener));
            // The client runs in a process of its own, and its thread here
            // only waits for it: the runtime serves it from the reactor.
            let client = std::thread::spawn(move || {
                Command::new(python)
                    .args(["-c", PYTHON_CLIENT, &port])
                    .output()
            });
            let served = server.await.unwrap();
            let output = client.join().unwrap().unwrap();
            io::stderr().write_all(&output.stderr).unwrap();
            assert!(output.status.success(), "the Python client failed");
            (served, String::from_utf8(output.stdout).unwrap())
        })
    });
    assert_eq!(served, 3);
    assert_eq!(answers, "ONE\nTWO\nTHREE\n");
}
