//! hyper's HTTP/1.1 server (the `http-server` package) on stage 7's and
//! stage 9's runtimes against the same server on tokio's, loaded by wrk
//! over loopback.
//!
//! Every run is a server in a process of its own (this binary again, as
//! `bench http <runtime> <workers>`), started fresh, loaded by one wrk run
//! (one wrk thread, the same connections and duration for every server),
//! and stopped by closing its standard input. The server measures its own
//! CPU time from the moment it listens to the moment it is told to stop,
//! so that its start and its stop are not counted; wrk says how many
//! requests it answered and how long they took.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::{env, thread};

use http_server::{Options, Runtime, Shutdown};
use lab::measure::process_cpu_time;

use crate::cases::process_status;

/// What one wrk run against one server measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpSample {
    /// Requests answered, and the time wrk took for them.
    pub requests: u64,
    pub duration: Duration,
    /// Latency percentiles, as wrk measured them.
    pub p50: Duration,
    pub p99: Duration,
    /// The server process's CPU time while it was loaded.
    pub cpu: Duration,
    /// The server process's threads while it was loaded.
    pub threads: u64,
}

impl HttpSample {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.duration.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    pub fn cpu_per_request(&self) -> Duration {
        self.cpu / u32::try_from(self.requests.max(1)).unwrap_or(u32::MAX)
    }
}

/// Why the section cannot run here, if it cannot: wrk is not installed.
pub fn missing_wrk() -> Option<String> {
    match Command::new("wrk").output() {
        Ok(_) => None,
        Err(error) => Some(format!(
            "wrk cannot be run ({error}); install it (Debian: apt-get install wrk) to measure HTTP"
        )),
    }
}

/// The child's side: serves on `runtime` until standard input closes, says
/// where it listens (`listening=ADDR`) and at the end what it used
/// (`cpu_ns=.. threads=..`).
pub fn serve(runtime: Runtime) -> io::Result<()> {
    let mut options = Options::new(runtime, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    options.log_errors = false;
    let shutdown = Shutdown::new();
    let started = Arc::new(Mutex::new(Duration::ZERO));
    let used = {
        let (shutdown, started) = (shutdown.clone(), Arc::clone(&started));
        thread::spawn(move || {
            // Whatever the parent sends, or its end: the run is over.
            let _ = io::stdin().lines().count();
            let cpu = process_cpu_time().saturating_sub(*started.lock().unwrap());
            let threads = process_status().1;
            shutdown.raise();
            (cpu, threads)
        })
    };
    http_server::run(&options, &shutdown, |addr| {
        *started.lock().unwrap() = process_cpu_time();
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "listening={addr}");
        let _ = stdout.flush();
    })?;
    let (cpu, threads) = used.join().expect("the stdin thread");
    println!("cpu_ns={} threads={threads}", cpu.as_nanos());
    Ok(())
}

/// One run: a server on `runtime` in a process of its own, loaded by wrk
/// with `connections` connections for `seconds`.
pub fn measure(runtime: Runtime, connections: usize, seconds: u32) -> Result<HttpSample, String> {
    let name = runtime.name();
    let failed = |error: io::Error| format!("http on {name}: {error}");
    let workers = runtime.workers().unwrap_or(1).to_string();
    let mut child = Command::new(env::current_exe().map_err(failed)?)
        .args(["http", name, &workers])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(failed)?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut line = || lines.next().transpose().map(Option::unwrap_or_default);
    let first = line().map_err(failed)?;
    let Some(addr) = first.strip_prefix("listening=") else {
        let _ = child.kill();
        return Err(format!("http on {name}: the server said {first:?}"));
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/wrk.lua");
    let wrk = Command::new("wrk")
        .args(["--threads", "1", "--connections", &connections.to_string()])
        .args(["--duration", &format!("{seconds}s"), "--script"])
        .arg(script)
        .arg(format!("http://{addr}/"))
        .output();
    drop(child.stdin.take()); // the server stops
    let wrk = wrk.map_err(|error| format!("cannot run wrk: {error}"))?;
    let used = line().map_err(failed)?;
    let status = child.wait().map_err(failed)?;
    if !status.success() {
        return Err(format!("http on {name}: the server failed ({status})"));
    }
    let said = String::from_utf8_lossy(&wrk.stdout);
    let report = said.lines().find(|line| line.starts_with("requests="));
    let report = report.ok_or_else(|| {
        let stderr = String::from_utf8_lossy(&wrk.stderr);
        format!("http on {name}: wrk said {said:?} {stderr:?}")
    })?;
    let mut sample = HttpSample::default();
    let mut errors = 0;
    for pair in report.split_whitespace().chain(used.split_whitespace()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("http on {name}: not key=value: {pair:?}"))?;
        let value: u64 = value
            .parse()
            .map_err(|_| format!("http on {name}: {key} is not a number: {value:?}"))?;
        match key {
            "requests" => sample.requests = value,
            "duration_us" => sample.duration = Duration::from_micros(value),
            "p50_us" => sample.p50 = Duration::from_micros(value),
            "p99_us" => sample.p99 = Duration::from_micros(value),
            "errors" => errors = value,
            "cpu_ns" => sample.cpu = Duration::from_nanos(value),
            "threads" => sample.threads = value,
            other => return Err(format!("http on {name}: unknown field {other:?}")),
        }
    }
    // A server that fails requests is no faster for it.
    if errors > 0 || sample.requests == 0 {
        return Err(format!(
            "http on {name}: {errors} errors in {} requests (wrk: {report})",
            sample.requests
        ));
    }
    Ok(sample)
}
