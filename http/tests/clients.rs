//! Real HTTP clients against the server on every runtime: curl and
//! Python's http.client get the right bodies over one kept-alive
//! connection, a malformed request gets a 400 while the server goes on,
//! hyper's timer closes a connection whose head never ends, and a server
//! told to stop finishes the request it is answering.
//!
//! Each server runs on a thread of its own; the clients are other
//! processes, or blocking sockets of the test's. Every wait is bounded by
//! `PATIENCE`, and says what it waited for when it runs out.

use std::env;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use http_server::service::HELLO;
use http_server::{Options, Runtime, Served, Shutdown, run};
use lab::patience::PATIENCE;

/// Every runtime, those with workers at two.
const RUNTIMES: [Runtime; 4] = [
    Runtime::Mini,
    Runtime::Stealing(2),
    Runtime::Tokio,
    Runtime::TokioMulti(2),
];

/// A server running on a thread of its own.
struct Running {
    addr: SocketAddr,
    shutdown: Shutdown,
    thread: thread::JoinHandle<io::Result<Served>>,
}

/// Starts the server on `runtime`, with `options` changed by `change`.
fn start(runtime: Runtime, change: impl FnOnce(&mut Options)) -> Running {
    let mut options = Options::new(runtime, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    options.log_errors = false;
    change(&mut options);
    let shutdown = Shutdown::new();
    let (told, listening) = mpsc::channel();
    let stop = shutdown.clone();
    let thread = thread::spawn(move || run(&options, &stop, |addr| told.send(addr).unwrap()));
    let addr = listening
        .recv_timeout(PATIENCE)
        .unwrap_or_else(|error| panic!("{runtime}: no address from the server: {error}"));
    Running {
        addr,
        shutdown,
        thread,
    }
}

impl Running {
    /// Tells the server to stop, and waits for it.
    fn stop(self) -> Served {
        self.shutdown.raise();
        let deadline = Instant::now() + PATIENCE;
        while !self.thread.is_finished() {
            assert!(
                Instant::now() < deadline,
                "the server did not stop within {PATIENCE:?} of being told to"
            );
            thread::sleep(Duration::from_millis(5));
        }
        self.thread.join().unwrap().expect("the server ran")
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A connection of the test's own, its reads bounded.
    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("the server listens");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream
    }
}

/// The client program called one of `names` (the first that runs), or
/// `None`, said on stderr, where none is installed. Under CI (`CI` set) a
/// missing client fails the test: CI installs them.
fn client(names: &[&str], package: &str) -> Option<Command> {
    for name in names {
        let version = Command::new(name).arg("--version").output();
        if version.is_ok_and(|version| version.status.success()) {
            return Some(Command::new(name));
        }
    }
    let names = names.join(" or ");
    assert!(
        env::var_os("CI").is_none(),
        "{names} is missing, and CI runs this test: install it (Debian: apt-get install {package})"
    );
    eprintln!("skipped: {names} is not installed here (Debian: apt-get install {package})");
    None
}

/// Runs `command` with `input` on its standard input; its standard output,
/// or a panic with what it said.
fn output(mut command: Command, input: &[u8]) -> Vec<u8> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Bytes of every value, many times: a body bigger than one read.
fn payload() -> Vec<u8> {
    (0..=255u8).cycle().take(100 * 1024).collect()
}

/// Where curl's `-o` throws a body away.
const NOWHERE: &str = if cfg!(windows) { "NUL" } else { "/dev/null" };

#[test]
fn curl_gets_the_greeting_and_its_body_echoed() {
    let Some(_) = client(&["curl"], "curl") else {
        return;
    };
    for runtime in RUNTIMES {
        let server = start(runtime, |_| {});
        let curl = || {
            let mut curl = Command::new("curl");
            curl.args(["--silent", "--show-error", "--max-time", "30"]);
            curl
        };
        let mut get = curl();
        get.arg(server.url("/"));
        assert_eq!(output(get, b""), HELLO.as_bytes(), "{runtime}");

        let mut post = curl();
        post.args(["--data-binary", "@-"]).arg(server.url("/echo"));
        let echoed = output(post, &payload());
        assert!(echoed == payload(), "{runtime}: the echo differs");

        let mut status = curl();
        status.args(["-w", "%{http_code} ", "-X", "DELETE"]);
        status.args(["-o", NOWHERE]).arg(server.url("/echo"));
        status.args(["-o", NOWHERE]).arg(server.url("/elsewhere"));
        assert_eq!(output(status, b""), b"405 404 ", "{runtime}");
        server.stop();
    }
}

#[test]
fn curl_keeps_one_connection_alive_for_several_requests() {
    let Some(_) = client(&["curl"], "curl") else {
        return;
    };
    for runtime in RUNTIMES {
        let server = start(runtime, |_| {});
        let mut curl = Command::new("curl");
        curl.args(["--silent", "--show-error", "--max-time", "30"]);
        // New connections made for each URL: 1 for the first, 0 after it.
        curl.args(["-w", "%{num_connects} "]);
        for _ in 0..3 {
            curl.args(["-o", NOWHERE]).arg(server.url("/"));
        }
        assert_eq!(output(curl, b""), b"1 0 0 ", "{runtime}");
        assert_eq!(server.stop().connections, 1, "{runtime}");
    }
}

/// Python's client: three greetings and an echo over one connection (the
/// same local port each time), then what it got.
const PYTHON: &str = r#"
import http.client, sys
conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=30)
ports, said = set(), []
for _ in range(3):
    conn.request("GET", "/")
    response = conn.getresponse()
    said.append((response.status, response.read().decode()))
    ports.add(conn.sock.getsockname()[1])
payload = bytes(range(256)) * 400
conn.request("POST", "/echo", body=payload, headers={"Content-Type": "application/octet-stream"})
response = conn.getresponse()
echoed = response.read()
ports.add(conn.sock.getsockname()[1])
print(said, response.status, response.getheader("Content-Type"), echoed == payload, len(ports))
"#;

#[test]
fn a_python_client_gets_the_right_bodies_over_one_connection() {
    let Some(mut python) = client(&["python3", "python"], "python3") else {
        return;
    };
    python.args(["-c", PYTHON]);
    let (program, args): (_, Vec<_>) =
        (python.get_program().to_owned(), python.get_args().collect());
    for runtime in RUNTIMES {
        let server = start(runtime, |_| {});
        let mut python = Command::new(&program);
        python.args(&args);
        python.args([server.addr.ip().to_string(), server.addr.port().to_string()]);
        let said = String::from_utf8(output(python, b"")).unwrap();
        let greeting = format!("(200, {HELLO:?})").replace('"', "'");
        let expected =
            format!("[{greeting}, {greeting}, {greeting}] 200 application/octet-stream True 1\n");
        assert_eq!(said.replace("\r\n", "\n"), expected, "{runtime}");
        assert_eq!(server.stop().connections, 1, "{runtime}");
    }
}

/// One response read from `stream`: its status line and body (by its
/// Content-Length).
fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        match stream.read(&mut byte).expect("a response within PATIENCE") {
            0 => panic!("the connection ended in a head: {head:?}"),
            _ => head.push(byte[0]),
        }
    }
    let head = String::from_utf8(head).unwrap();
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length: ")?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    (head.lines().next().unwrap().to_owned(), body)
}

/// What is left on `stream` until the server closes it.
fn rest(stream: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the end within PATIENCE");
    rest
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n";

#[test]
fn a_malformed_request_gets_a_400_and_the_server_goes_on() {
    let malformed: [&[u8]; 3] = [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nA header without a colon\r\n\r\n",
        b"GET /\x01 HTTP/1.1\r\nHost: test\r\n\r\n",
    ];
    for runtime in RUNTIMES {
        let server = start(runtime, |_| {});
        let mut kept = server.connect();
        kept.write_all(GET).unwrap();
        assert_eq!(read_response(&mut kept).1, HELLO.as_bytes(), "{runtime}");
        for request in malformed {
            let mut bad = server.connect();
            bad.write_all(request).unwrap();
            let (status, _) = read_response(&mut bad);
            assert_eq!(status, "HTTP/1.1 400 Bad Request", "{runtime}: {request:?}");
            assert_eq!(rest(&mut bad), b"", "{runtime}: then the connection ends");
        }
        // The connection kept alive meanwhile still answers, and so do new ones.
        kept.write_all(GET).unwrap();
        assert_eq!(read_response(&mut kept).1, HELLO.as_bytes(), "{runtime}");
        let mut fresh = server.connect();
        fresh.write_all(GET).unwrap();
        assert_eq!(read_response(&mut fresh).0, "HTTP/1.1 200 OK", "{runtime}");
        server.stop();
    }
}

#[test]
fn hyper_closes_a_connection_whose_head_never_ends_on_the_runtimes_timer() {
    let timeout = Duration::from_millis(200);
    for runtime in RUNTIMES {
        let server = start(runtime, |options| options.header_read_timeout = timeout);
        let started = Instant::now();
        let mut slow = server.connect();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n").unwrap();
        assert_eq!(rest(&mut slow), b"", "{runtime}: closed without a word");
        // Not before the deadline: the sleep hyper was given ran its course.
        assert!(started.elapsed() >= timeout, "{runtime}: closed early");
        server.stop();
    }
}

/// The start of an echo of 10 bytes, 5 of them sent.
const HALF_AN_ECHO: &[u8] = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhello";

#[test]
fn a_server_told_to_stop_finishes_the_request_it_is_answering() {
    for runtime in RUNTIMES {
        let server = start(runtime, |_| {});
        let mut client = server.connect();
        client.write_all(HALF_AN_ECHO).unwrap();
        // The head of the echo, and its first half, come back at once: the
        // request is being answered.
        let mut start = vec![0; 256];
        let mut read = 0;
        while !start[..read].ends_with(b"\r\n\r\nhello") {
            let n = client.read(&mut start[read..]).unwrap();
            assert!(n > 0, "{runtime}: the connection ended in the echo");
            read += n;
        }
        server.shutdown.raise();
        // Stopped listening: connections are refused.
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(server.addr).is_ok() {
            assert!(Instant::now() < deadline, "{runtime}: still accepting");
            thread::sleep(Duration::from_millis(5));
        }
        client.write_all(b"world").unwrap();
        let mut end = [0; 5];
        client.read_exact(&mut end).unwrap();
        assert_eq!(&end, b"world", "{runtime}");
        assert_eq!(
            rest(&mut client),
            b"",
            "{runtime}: then the connection ends"
        );
        assert_eq!(server.stop().cut, 0, "{runtime}");
    }
}

#[test]
fn a_server_told_to_stop_cuts_what_is_still_open_after_its_grace() {
    let grace = Duration::from_millis(100);
    for runtime in RUNTIMES {
        let server = start(runtime, |options| options.grace = grace);
        let mut client = server.connect();
        client.write_all(HALF_AN_ECHO).unwrap();
        let mut start = [0; 1];
        client.read_exact(&mut start).unwrap(); // the request is being answered
        let stopping = Instant::now();
        let served = server.stop();
        assert!(
            stopping.elapsed() >= grace,
            "{runtime}: cut before its grace"
        );
        assert_eq!(
            served,
            Served {
                connections: 1,
                cut: 1
            },
            "{runtime}"
        );
    }
}
