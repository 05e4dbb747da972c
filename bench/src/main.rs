//! The benchmark behind `cargo xtask bench`: every lesson of the stages as a
//! number, measured in one run side by side with `futures`' executors.
//!
//! Each measurement runs in a process of its own (this binary again, as
//! `bench case <case> <n> <delay-ms>`), so that peak memory and threads
//! belong to one case; noisy ones are repeated and the median kept. The
//! report goes to standard output and, as Markdown with an SVG chart, to a
//! directory: `docs/src` for the full run, so that the book shows it.

mod cancel;
mod cases;
mod echo;
mod flags;
mod http;
mod report;
mod scheduler;
#[path = "../../xtask/src/svg.rs"]
mod svg;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;
use std::{env, fs, io};

use cases::{Case, Sample};
use flags::BenchCmd;

/// How big a run is.
#[derive(Clone, Debug)]
pub struct Sizes {
    /// `full`, `quick` or `tiny`.
    pub name: &'static str,
    /// The delay of sections 1 and 2.
    pub delay: Duration,
    /// The numbers of sockets of section 1.
    pub few: Vec<usize>,
    /// The numbers of sockets of section 3.
    pub many: Vec<usize>,
    /// The delay of section 3.
    pub many_delay: Duration,
    /// The number of ready futures of section 4.
    pub ready: usize,
    /// How often sections 3 and 4 measure each case; the median is kept.
    pub repeats: usize,
    /// Section 5: connections of the echo against tokio.
    pub echo: Vec<usize>,
    /// Round trips per connection.
    pub round_trips: usize,
    /// Runs of each runtime, alternated; the median is kept, with the spread.
    pub echo_runs: usize,
    /// Idle connections whose memory is measured.
    pub idle: usize,
    /// Section 6: stage 8's workloads, divided by this (1 in a full run).
    pub cancel_scale: u32,
    /// Section 7: iterations of each scheduler workload per run.
    pub sched_iterations: u32,
    /// Section 9: wrk's connections.
    pub http_connections: usize,
    /// The seconds of each wrk run.
    pub http_seconds: u32,
    /// Runs of each server, alternated; the median is kept, with the spread.
    pub http_runs: usize,
    /// The workers of stage 9 and of tokio's multi-thread runtime.
    pub http_workers: usize,
}

impl Sizes {
    fn full() -> Sizes {
        Sizes {
            name: "full",
            delay: Duration::from_millis(200),
            few: vec![1, 2, 10],
            many: vec![1_000, 10_000, 100_000],
            many_delay: Duration::from_millis(500),
            ready: 1_000_000,
            repeats: 5,
            echo: vec![100, 1_000],
            round_trips: 200,
            echo_runs: 5,
            idle: 10_000,
            cancel_scale: 1,
            sched_iterations: 20,
            http_connections: 64,
            http_seconds: 5,
            http_runs: 5,
            http_workers: 2,
        }
    }

    fn quick() -> Sizes {
        Sizes {
            name: "quick",
            delay: Duration::from_millis(50),
            few: vec![1, 2, 10],
            many: vec![1_000, 10_000],
            many_delay: Duration::from_millis(200),
            ready: 100_000,
            repeats: 3,
            echo: vec![100],
            round_trips: 100,
            echo_runs: 3,
            idle: 1_000,
            cancel_scale: 10,
            sched_iterations: 5,
            http_connections: 64,
            http_seconds: 1,
            http_runs: 2,
            http_workers: 2,
        }
    }

    fn tiny() -> Sizes {
        Sizes {
            name: "tiny",
            delay: Duration::from_millis(10),
            few: vec![1, 2],
            many: vec![100],
            many_delay: Duration::from_millis(30),
            ready: 1_000,
            repeats: 1,
            echo: vec![10],
            round_trips: 10,
            echo_runs: 1,
            idle: 10,
            cancel_scale: 1_000,
            sched_iterations: 1,
            http_connections: 8,
            http_seconds: 1,
            http_runs: 1,
            http_workers: 2,
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = env::args_os().skip(1).collect();
    if flags::Bench::wants_help(&args) {
        print!("{}", flags::help());
        return ExitCode::SUCCESS;
    }
    let usage = |message: String| {
        eprintln!("error: {message}\n\n{}", flags::help());
        ExitCode::from(2)
    };
    let flags = match flags::Bench::parse(args) {
        Ok(flags) => flags,
        Err(message) => return usage(message),
    };
    // The bench's own calls of itself, each one measurement printed as a line.
    let unknown = |what: &str, name: &str| {
        eprintln!("bench: no {what} called {name:?}");
        ExitCode::from(2)
    };
    let runtime = |name: &str| echo::Runtime::parse(name).ok_or_else(|| unknown("runtime", name));
    let result = match flags.subcommand {
        BenchCmd::All(_) => match sizes_and_out(flags.quick, flags.tiny, flags.out) {
            Ok((sizes, out)) => bench(&sizes, &out),
            Err(message) => return usage(message),
        },
        BenchCmd::Case(flags::Case { case, n, delay_ms }) => {
            let Some(case) = Case::parse(&case) else {
                return unknown("case", &case);
            };
            println!("{}", case.run(n, Duration::from_millis(delay_ms)));
            Ok(())
        }
        BenchCmd::Echo(flags::Echo {
            runtime: name,
            connections,
            round_trips,
        }) => {
            let runtime = match runtime(&name) {
                Ok(runtime) => runtime,
                Err(code) => return code,
            };
            let sample = echo::run(runtime, connections, round_trips);
            sample
                .map(|sample| println!("{}", sample.to_line()))
                .map_err(|error| format!("bench echo {name}: {error}"))
        }
        BenchCmd::Cancel(flags::Cancel {
            side,
            workload,
            operations,
        }) => {
            let Some(workload) = cancel::Workload::parse(&workload) else {
                return unknown("workload", &workload);
            };
            let ours = match side.as_str() {
                "ours" => true,
                "peer" => false,
                other => return unknown("side", other),
            };
            let (wall, cpu) = cancel::run(ours, workload, operations);
            println!(
                "wall_ns={} cpu_ns={} iterations={operations}",
                wall.as_nanos(),
                cpu.as_nanos()
            );
            Ok(())
        }
        BenchCmd::Sched(flags::Sched {
            runtime,
            workers,
            workload,
            iterations,
        }) => {
            let Some(workload) = scheduler::Workload::parse(&workload) else {
                return unknown("workload", &workload);
            };
            let stealing = match runtime.as_str() {
                "work-stealing" => true,
                "tokio" => false,
                other => return unknown("multi-thread runtime", other),
            };
            let sample = scheduler::run(stealing, workers, workload, iterations);
            println!("{}", sample.to_line());
            Ok(())
        }
        BenchCmd::Http(flags::Http {
            runtime: name,
            workers,
        }) => {
            let Some(runtime) = http_server::Runtime::from_name(&name, workers) else {
                return unknown("HTTP runtime", &name);
            };
            http::serve(runtime).map_err(|error| format!("bench http {name}: {error}"))
        }
        BenchCmd::Idle(flags::Idle {
            runtime: name,
            connections,
        }) => {
            let runtime = match runtime(&name) {
                Ok(runtime) => runtime,
                Err(code) => return code,
            };
            let sample = echo::idle(runtime, connections);
            sample
                .map(|sample| println!("{}", sample.to_line()))
                .map_err(|error| format!("bench idle {name}: {error}"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The sizes and the report's directory the flags ask for.
fn sizes_and_out(
    quick: bool,
    tiny: bool,
    out: Option<PathBuf>,
) -> Result<(Sizes, PathBuf), String> {
    let sizes = match (quick, tiny) {
        (true, _) => Sizes::quick(),
        (_, true) => Sizes::tiny(),
        _ => Sizes::full(),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench is in the workspace");
    let out = match out {
        Some(out) => {
            check_out_dir(&out)?;
            out
        }
        None if sizes.name == "full" => root.join("docs/src"),
        None => root.join("target/bench"),
    };
    Ok((sizes, out))
}

/// Says, before minutes of measuring, whether the report can go to `dir`:
/// a directory (made if missing) that we may write in.
fn check_out_dir(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    if dir.exists() && !dir.is_dir() {
        return Err(format!("--out {shown}: not a directory"));
    }
    fs::create_dir_all(dir)
        .map_err(|error| format!("--out {shown}: cannot make the directory: {error}"))?;
    let probe = dir.join(format!(".bench-probe-{}", std::process::id()));
    fs::write(&probe, "").map_err(|error| format!("--out {shown}: cannot write there: {error}"))?;
    let _ = fs::remove_file(probe);
    Ok(())
}

/// Starts `bench idle` on `runtime` in a process of its own, makes its
/// `connections` connections from here, and reads its peak memory.
fn idle_once(runtime: echo::Runtime, connections: usize) -> Result<echo::EchoSample, String> {
    use std::io::BufRead;
    let failed = |error: io::Error| format!("idle connections on {}: {error}", runtime.name());
    echo::raise_file_limit(connections).map_err(failed)?;
    let me = env::current_exe().map_err(failed)?;
    let mut child = Command::new(me)
        .args(["idle", runtime.name(), &connections.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(failed)?;
    let mut lines = io::BufReader::new(child.stdout.take().expect("piped")).lines();
    let first = lines
        .next()
        .transpose()
        .map_err(failed)?
        .unwrap_or_default();
    let addr: std::net::SocketAddr = first
        .strip_prefix("listening=")
        .and_then(|addr| addr.parse().ok())
        .ok_or_else(|| {
            format!(
                "idle connections on {}: the server said {first:?}",
                runtime.name()
            )
        })?;
    let mut clients = Vec::with_capacity(connections);
    for _ in 0..connections {
        clients.push(std::net::TcpStream::connect(addr).map_err(failed)?);
    }
    let line = lines
        .next()
        .transpose()
        .map_err(failed)?
        .unwrap_or_default();
    let status = child.wait().map_err(failed)?;
    drop(clients);
    if !status.success() {
        return Err(format!(
            "idle connections on {}: the server failed ({status})",
            runtime.name()
        ));
    }
    echo::EchoSample::from_line(line.trim())
}

/// Runs this binary again with `args` (one measurement, in a process of its
/// own) and gives back the line it printed, or what it said went wrong.
fn run_self(args: &[&str]) -> Result<String, String> {
    let failed = |error: io::Error| format!("cannot run bench {}: {error}", args.join(" "));
    let me = env::current_exe().map_err(failed)?;
    let output = Command::new(me).args(args).output().map_err(failed)?;
    match output.status.success() {
        true => Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned()),
        false => Err(format!(
            "bench {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

/// Runs every section, prints the report, writes it to `out`.
fn bench(sizes: &Sizes, out: &Path) -> Result<(), String> {
    // Every run of a case, in order of wall time: the middle one is the median.
    let runs = |case: Case, n: usize, delay: Duration, repeats: usize| {
        let mut samples = (0..repeats)
            .map(|_| measure_once(case, n, delay))
            .collect::<Result<Vec<Sample>, String>>()?;
        samples.sort_by_key(|sample| sample.wall);
        Ok::<_, String>(samples)
    };
    let measure =
        |case, n, delay, repeats| runs(case, n, delay, repeats).map(|runs| runs[runs.len() / 2]);
    eprintln!(
        "measuring ({} sizes); each case runs in a process of its own",
        sizes.name
    );
    let mut results = report::Results::new(sizes.clone());
    for &n in &sizes.few {
        for case in [Case::Sync, Case::Busy, Case::Waker, Case::Async] {
            results
                .few
                .push((case, n, measure(case, n, sizes.delay, 1)?));
        }
        if n == 2 {
            results.few.push((
                Case::Hardcoded,
                n,
                measure(Case::Hardcoded, n, sizes.delay, 1)?,
            ));
        }
    }
    let largest_few = *sizes.few.iter().max().expect("some sizes");
    results.polls.push((
        Case::LocalPool,
        measure(Case::LocalPool, largest_few, sizes.delay, 1)?,
    ));
    for &n in &sizes.many {
        for case in [Case::Waker, Case::LocalPool, Case::JoinAll] {
            results
                .many
                .push((case, n, runs(case, n, sizes.many_delay, sizes.repeats)?));
        }
    }
    for case in [Case::ReadyWaker, Case::ReadyLocalPool, Case::ReadyJoinAll] {
        results.ready.push((
            case,
            runs(case, sizes.ready, Duration::ZERO, sizes.repeats)?,
        ));
    }

    for &connections in &sizes.echo {
        // Alternated, so that a slow moment of the machine hits both alike.
        for _ in 0..sizes.echo_runs {
            for runtime in echo::Runtime::ALL {
                let (n, round_trips) = (connections.to_string(), sizes.round_trips.to_string());
                let line = run_self(&["echo", runtime.name(), &n, &round_trips])?;
                let sample = echo::EchoSample::from_line(&line)?;
                results.echo.push((runtime, connections, sample));
            }
        }
    }
    // Stage 9's echo, against tokio's multi-thread runtime, at 1 and 2 workers.
    for &connections in &sizes.echo {
        for _ in 0..sizes.echo_runs {
            for runtime in echo::Runtime::MULTI {
                let (n, round_trips) = (connections.to_string(), sizes.round_trips.to_string());
                let line = run_self(&["echo", runtime.name(), &n, &round_trips])?;
                let sample = echo::EchoSample::from_line(&line)?;
                results.echo.push((runtime, connections, sample));
            }
        }
    }
    for workload in cancel::Workload::ALL {
        let operations = workload.operations(sizes.cancel_scale).to_string();
        for _ in 0..sizes.echo_runs {
            for side in ["ours", "peer"] {
                let line = run_self(&["cancel", side, workload.name(), &operations])?;
                let sample = scheduler::SchedSample::from_line(&line)?;
                results.cancel.push((workload, side == "ours", sample));
            }
        }
    }
    let iterations = sizes.sched_iterations.to_string();
    for workload in scheduler::Workload::ALL {
        for workers in [1, 2] {
            for _ in 0..sizes.echo_runs {
                for runtime in ["work-stealing", "tokio"] {
                    let workers_arg = workers.to_string();
                    let args = ["sched", runtime, &workers_arg, workload.name(), &iterations];
                    let sample = scheduler::SchedSample::from_line(&run_self(&args)?)?;
                    let stealing = runtime == "work-stealing";
                    results.sched.push((workload, workers, stealing, sample));
                }
            }
        }
    }
    // Peak memory moves by some pages from run to run: as many runs as the echo's.
    for _ in 0..sizes.echo_runs {
        for runtime in [echo::Runtime::Mini, echo::Runtime::Tokio] {
            results
                .idle
                .push((runtime, idle_once(runtime, sizes.idle)?));
        }
    }

    // Section 9, where wrk can be run: the pairs' runs alternated.
    match http::missing_wrk() {
        Some(why) => {
            eprintln!("skipping section 9 (HTTP): {why}");
            results.http_skipped = Some(why);
        }
        None => {
            let workers = sizes.http_workers;
            let servers = [
                http_server::Runtime::Mini,
                http_server::Runtime::Tokio,
                http_server::Runtime::Stealing(workers),
                http_server::Runtime::TokioMulti(workers),
            ];
            for _ in 0..sizes.http_runs {
                for runtime in servers {
                    let sample =
                        http::measure(runtime, sizes.http_connections, sizes.http_seconds)?;
                    results.http.push((runtime, sample));
                }
            }
        }
    }

    let text = results.text();
    print!("{text}");
    write_atomically(&out.join("bench.md"), &results.markdown())?;
    write_atomically(&out.join("bench.svg"), &results.svg())?;
    write_atomically(&out.join("bench-http.svg"), &results.http_svg())?;
    eprintln!(
        "wrote {}, bench.svg and bench-http.svg",
        out.join("bench.md").display()
    );
    Ok(())
}

/// Runs `case` in a process of its own and reads what it measured.
fn measure_once(case: Case, n: usize, delay: Duration) -> Result<Sample, String> {
    let (n, ms) = (n.to_string(), delay.as_millis().to_string());
    let line = run_self(&["case", case.name(), &n, &ms])?;
    line.parse()
        .map_err(|error| format!("case {}: {error}", case.name()))
}

/// Writes `text` to `path` through a temporary file beside it, so that a
/// failure leaves the old file whole.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let write = || -> io::Result<()> {
        fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        fs::write(&temporary, text)?;
        fs::rename(&temporary, path)
    };
    write().map_err(|error| format!("cannot write {}: {error}", path.display()))
}
