//! The server on each runtime: bind, accept, spawn a task per connection,
//! and when told to stop, stop accepting and wait for the connections.
//!
//! The four runtimes differ in four words only (the listener, `spawn`,
//! `sleep` and hyper's glue for their sockets and timers); the accept loop,
//! the connection's task and the stopping are one code for all of them.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use cancellation::{Either, select};
use hyper::rt::{Read, Timer, Write};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::io::Io;
use crate::service::respond;
use crate::shutdown::{Connections, Open, Shutdown};
use crate::timer::{MiniTimer, StealingTimer};

/// How long a server that stops waits, by default, for its connections to
/// finish the requests they are answering; idle ones close at once.
pub const GRACE: Duration = Duration::from_secs(2);

/// How long the accept loop pauses after a failed accept (out of file
/// descriptors, say), rather than fail again at once in a hot loop.
const ACCEPT_PAUSE: Duration = Duration::from_millis(10);

/// A runtime to serve on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// Stage 7's, on this thread.
    Mini,
    /// Stage 9's, with this many workers.
    Stealing(usize),
    /// tokio's current-thread runtime: stage 7's peer.
    Tokio,
    /// tokio's multi-thread runtime with this many workers: stage 9's peer.
    TokioMulti(usize),
}

impl Runtime {
    /// The runtime called `name`, with `workers` for those that have workers.
    pub fn from_name(name: &str, workers: usize) -> Option<Runtime> {
        match name {
            "mini" => Some(Runtime::Mini),
            "stealing" => Some(Runtime::Stealing(workers)),
            "tokio" => Some(Runtime::Tokio),
            "tokio-multi" => Some(Runtime::TokioMulti(workers)),
            _ => None,
        }
    }

    /// Its name, as `--runtime` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Mini => "mini",
            Runtime::Stealing(_) => "stealing",
            Runtime::Tokio => "tokio",
            Runtime::TokioMulti(_) => "tokio-multi",
        }
    }

    /// Its workers; `None` for the runtimes on one thread.
    pub fn workers(self) -> Option<usize> {
        match self {
            Runtime::Stealing(workers) | Runtime::TokioMulti(workers) => Some(workers),
            Runtime::Mini | Runtime::Tokio => None,
        }
    }
}

impl fmt::Display for Runtime {
    /// What it is, in words: "stage 9's work-stealing runtime, 2 workers".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let workers = |n: usize| if n == 1 { "worker" } else { "workers" };
        match *self {
            Runtime::Mini => write!(f, "stage 7's mini-runtime, on one thread"),
            Runtime::Stealing(n) => {
                write!(f, "stage 9's work-stealing runtime, {n} {}", workers(n))
            }
            Runtime::Tokio => write!(f, "tokio's current-thread runtime"),
            Runtime::TokioMulti(n) => write!(f, "tokio's multi-thread runtime, {n} {}", workers(n)),
        }
    }
}

/// How to serve.
#[derive(Clone, Debug)]
pub struct Options {
    /// The runtime to serve on.
    pub runtime: Runtime,
    /// Where to listen (port 0: a free one, said to `listening`).
    pub addr: SocketAddr,
    /// How long a client may take to send a request's head: hyper's
    /// `header_read_timeout`, which is what it needs a timer for.
    pub header_read_timeout: Duration,
    /// How long to wait, once stopped, for the connections still open.
    pub grace: Duration,
    /// Whether a connection that ends in an error says so on stderr.
    pub log_errors: bool,
}

impl Options {
    /// hyper's default of 30 s for a request's head, a [`GRACE`] of 2 s,
    /// and errors on stderr.
    pub fn new(runtime: Runtime, addr: SocketAddr) -> Options {
        Options {
            runtime,
            addr,
            header_read_timeout: Duration::from_secs(30),
            grace: GRACE,
            log_errors: true,
        }
    }
}

/// What a server did, once stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Served {
    /// Connections accepted.
    pub connections: u64,
    /// Connections still open when the grace period ran out, and dropped.
    pub cut: usize,
}

/// Serves on `options.runtime`, which it starts on this thread, until
/// `shutdown` is raised; `listening` is told the address once the listener
/// is bound.
///
/// # Errors
///
/// If the listener cannot be bound, or the runtime cannot be built.
pub fn run(
    options: &Options,
    shutdown: &Shutdown,
    listening: impl FnOnce(SocketAddr),
) -> io::Result<Served> {
    let (options, shutdown) = (options.clone(), shutdown.clone());
    match options.runtime {
        Runtime::Mini => mini_runtime::block_on(mini(options, shutdown, listening)),
        Runtime::Stealing(workers) => {
            let runtime = work_stealing::Runtime::new(workers);
            runtime.block_on(stealing(options, shutdown, listening))
        }
        Runtime::Tokio => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(tokio(options, shutdown, listening))
        }
        Runtime::TokioMulti(workers) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()?;
            runtime.block_on(tokio(options, shutdown, listening))
        }
    }
}

// ANCHOR: mini
/// The server on stage 7's runtime, as a future for its `block_on` (or a
/// task of it): [`run`] with [`Runtime::Mini`]; `options.runtime` is not read.
pub async fn mini(
    options: Options,
    shutdown: Shutdown,
    listening: impl FnOnce(SocketAddr),
) -> io::Result<Served> {
    use mini_runtime::{net::TcpListener, spawn, time::sleep};

    let listener = TcpListener::bind(options.addr)?;
    listening(listener.local_addr()?);
    let server = Server::new(&options, &shutdown, MiniTimer);
    let accept = || listener.accept();
    let connections = server.accept_loop(accept, sleep, |stream, peer| {
        // A connection reset at once cannot take the option: hyper will see.
        let _ = stream.set_nodelay(true);
        drop(spawn(server.connection(Io::new(stream), peer)));
    });
    let connections = connections.await;
    drop(listener);
    Ok(server.stopped(connections, sleep(options.grace)).await)
}
// ANCHOR_END: mini

/// The server on stage 9's runtime, as a future for its `block_on` (or a
/// task of it): [`run`] with [`Runtime::Stealing`]; `options.runtime` is not read.
pub async fn stealing(
    options: Options,
    shutdown: Shutdown,
    listening: impl FnOnce(SocketAddr),
) -> io::Result<Served> {
    use work_stealing::{net::TcpListener, spawn, time::sleep};

    let listener = TcpListener::bind(options.addr)?;
    listening(listener.local_addr()?);
    let server = Server::new(&options, &shutdown, StealingTimer);
    let accept = || listener.accept();
    let connections = server.accept_loop(accept, sleep, |stream, peer| {
        let _ = stream.set_nodelay(true);
        drop(spawn(server.connection(Io::new(stream), peer)));
    });
    let connections = connections.await;
    drop(listener);
    Ok(server.stopped(connections, sleep(options.grace)).await)
}

/// The peer of both: the same server on tokio, through hyper-util's glue.
pub async fn tokio(
    options: Options,
    shutdown: Shutdown,
    listening: impl FnOnce(SocketAddr),
) -> io::Result<Served> {
    use tokio::{net::TcpListener, spawn, time::sleep};

    let listener = TcpListener::bind(options.addr).await?;
    listening(listener.local_addr()?);
    let server = Server::new(&options, &shutdown, TokioTimer::new());
    let accept = || listener.accept();
    let connections = server.accept_loop(accept, sleep, |stream, peer| {
        let _ = stream.set_nodelay(true);
        drop(spawn(server.connection(TokioIo::new(stream), peer)));
    });
    let connections = connections.await;
    drop(listener);
    Ok(server.stopped(connections, sleep(options.grace)).await)
}

/// What every connection of one server shares.
struct Server {
    /// hyper's settings, the timer among them.
    http: Arc<http1::Builder>,
    shutdown: Shutdown,
    open: Connections,
    log_errors: bool,
}

impl Server {
    fn new(
        options: &Options,
        shutdown: &Shutdown,
        timer: impl Timer + Send + Sync + 'static,
    ) -> Self {
        let mut http = http1::Builder::new();
        http.timer(timer)
            .header_read_timeout(options.header_read_timeout);
        Server {
            http: Arc::new(http),
            shutdown: shutdown.clone(),
            open: Connections::new(),
            log_errors: options.log_errors,
        }
    }

    // ANCHOR: accept_loop
    /// Accepts connections and hands each to `serve`, until the server is
    /// told to stop; then says how many it accepted.
    async fn accept_loop<S, A, Z>(
        &self,
        mut accept: impl FnMut() -> A,
        sleep: impl Fn(Duration) -> Z,
        mut serve: impl FnMut(S, SocketAddr),
    ) -> u64
    where
        A: Future<Output = io::Result<(S, SocketAddr)>>,
        Z: Future<Output = ()>,
    {
        let mut stop = pin!(self.shutdown.wait());
        let mut accepted = 0;
        loop {
            match select(stop.as_mut(), accept()).await {
                Either::Left(()) => return accepted,
                Either::Right(Ok((stream, peer))) => {
                    accepted += 1;
                    serve(stream, peer);
                }
                Either::Right(Err(error)) => {
                    eprintln!("accepting a connection failed: {error}");
                    sleep(ACCEPT_PAUSE).await;
                }
            }
        }
    }
    // ANCHOR_END: accept_loop

    // ANCHOR: connection
    /// The task of one connection: hyper's connection future, polled until
    /// the client is done, or, once the server stops, until the request it
    /// is answering is answered.
    fn connection<I>(&self, io: I, peer: SocketAddr) -> impl Future<Output = ()> + use<I>
    where
        I: Read + Write + Unpin,
    {
        let (http, shutdown, open) = (
            Arc::clone(&self.http),
            self.shutdown.clone(),
            self.open.open(),
        );
        let log_errors = self.log_errors;
        async move {
            let _open: Open = open;
            let mut connection = pin!(http.serve_connection(io, service_fn(respond)));
            let ended = match select(connection.as_mut(), shutdown.wait()).await {
                Either::Left(ended) => ended,
                Either::Right(()) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let (Err(error), true) = (ended, log_errors)
                && !client_left(&error)
            {
                eprintln!("connection from {peer}: {error}");
            }
        }
    }
    // ANCHOR_END: connection

    /// Once the accept loop has stopped: waits for the open connections,
    /// or `grace` (a runtime's sleep), whichever is first.
    async fn stopped(&self, connections: u64, grace: impl Future<Output = ()>) -> Served {
        let cut = match select(self.open.all_closed(), grace).await {
            Either::Left(()) => 0,
            Either::Right(()) => self.open.open_now(),
        };
        Served { connections, cut }
    }
}

/// Whether `error` only says that the client left first: it closed or
/// reset its end mid-request (a load generator does so with every
/// connection it ends), so that the request or the echo of its body was
/// cut, or the server's last write or shutdown found no one. Nothing went
/// wrong on the server, and nothing is said.
fn client_left(error: &hyper::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        if let Some(error) = error.downcast_ref::<hyper::Error>()
            && (error.is_incomplete_message() || error.is_canceled() || error.is_closed())
        {
            return true;
        }
        if let Some(error) = error.downcast_ref::<io::Error>() {
            use io::ErrorKind::{BrokenPipe, ConnectionReset, NotConnected, UnexpectedEof};
            return matches!(
                error.kind(),
                BrokenPipe | ConnectionReset | NotConnected | UnexpectedEof
            );
        }
        cause = error.source();
    }
    false
}
