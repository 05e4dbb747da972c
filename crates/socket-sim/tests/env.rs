//! `SOCKET_SIM_DELAY_MS`: the default delay of `MySocket::new()` and of a
//! builder without `.delay()`, and what happens when it is wrong.
//!
//! The variable is read by the process, so each case runs in a process of its
//! own: the demo binary, or this test binary started again as a child, whose
//! sockets wait on a paused clock so that their delays can be checked to the
//! nanosecond.

use std::env;
use std::io::{BufRead, BufReader};
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use lab::patience::{PATIENCE, wait_until};
use socket_sim::{DEFAULT_DELAY, DELAY_ENV, MySocket, default_delay};

/// Set in a child started by `child`: what the child should do.
const CHILD: &str = "SOCKET_SIM_TEST_CHILD";

/// Runs the demo binary with `SOCKET_SIM_DELAY_MS` set to `delay_ms` (or
/// unset), killing it if it runs longer than `PATIENCE`, or as soon as a
/// thread of it panicked and it goes on (a demo whose timer thread is gone,
/// as in a fork with `Timer::run` still `todo!()`, would never end).
fn demo(delay_ms: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_socket-sim"));
    match delay_ms {
        Some(value) => command.env(DELAY_ENV, value),
        None => command.env_remove(DELAY_ENV),
    };
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run the demo");
    // Read as it comes, so that a panic is seen while the demo still runs.
    let stderr = BufReader::new(child.stderr.take().expect("piped"));
    let said = Arc::new(Mutex::new(String::new()));
    let reader = thread::spawn({
        let said = Arc::clone(&said);
        move || {
            for line in stderr.lines().map_while(Result::ok) {
                said.lock().unwrap().push_str(&(line + "\n"));
            }
        }
    });
    let start = Instant::now();
    wait_until("the demo to finish", || {
        let finished = child.try_wait().unwrap().is_some();
        let panicked = said.lock().unwrap().contains("panicked at");
        if !finished && (panicked || start.elapsed() > PATIENCE - Duration::from_secs(1)) {
            child.kill().unwrap();
            let why = match panicked {
                true => "a thread of it panicked, and it never ended",
                false => "does the timer thread fire?",
            };
            let said = said.lock().unwrap();
            panic!(
                "the demo still ran after {:?}: {why}\n{said}",
                start.elapsed()
            );
        }
        finished
    });
    let mut output = child.wait_with_output().unwrap();
    reader.join().unwrap();
    output.stderr = mem::take(&mut *said.lock().unwrap()).into_bytes();
    output
}

#[test]
fn the_demo_refuses_a_bad_delay_naming_the_variable_and_the_value() {
    for (value, expected) in [
        (
            "abc",
            r#"socket-sim: SOCKET_SIM_DELAY_MS: "abc" is not a whole number of milliseconds"#,
        ),
        (
            "",
            r#"socket-sim: SOCKET_SIM_DELAY_MS: "" is not a whole number of milliseconds"#,
        ),
        (
            "3600001",
            "socket-sim: SOCKET_SIM_DELAY_MS: 3600001 ms is longer than the limit of 3600000 ms (one hour)",
        ),
    ] {
        let output = demo(Some(value));
        assert_eq!(output.status.code(), Some(2), "{value:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr).trim_end(), expected);
        assert!(
            output.stdout.is_empty(),
            "nothing printed before the error: {value:?}"
        );
    }
}

#[test]
fn the_demo_with_a_short_delay_finishes_quickly() {
    let start = Instant::now();
    let output = demo(Some("50"));
    let took = start.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("readable 50 ms after it is built"),
        "{stdout}"
    );
    // Three waits of 2 s each, had the variable been ignored; of 50 ms here.
    assert!(
        took < 3 * DEFAULT_DELAY,
        "three 50 ms waits took {took:?}, as long as three of the default delay"
    );
}

/// Runs this very test again in a child process with `SOCKET_SIM_DELAY_MS`
/// set to `delay_ms` (or unset), and returns what the child reported.
fn child(delay_ms: Option<&str>) -> String {
    let test = "new_and_a_bare_builder_take_their_delay_from_the_environment";
    let mut command = Command::new(env::current_exe().unwrap());
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    match delay_ms {
        Some(value) => command.env(DELAY_ENV, value),
        None => command.env_remove(DELAY_ENV),
    };
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let report = stdout
        .lines()
        .find_map(|line| line.split_once("child: ").map(|(_, report)| report));
    report
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"))
        .to_owned()
}

/// What the child does: on a paused clock, builds one socket with `new()`
/// and one with a bare builder, and says after how much of the clock's time
/// they became readable, or how building failed.
fn report_as_child() {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let paused = lab::clock::pause();
        let sockets = [MySocket::new(), MySocket::builder().build()];
        paused.advance_to_next();
        assert!(paused.advance_to_next().is_none(), "one deadline for both");
        let readable = sockets.iter().all(MySocket::has_data_to_read);
        format!("readable: {readable}, after {:?}", paused.now())
    }));
    let outcome = outcome
        .unwrap_or_else(|payload| format!("panic: {}", payload.downcast::<String>().unwrap()));
    println!(
        "child: {:?}; {outcome}",
        default_delay().map_err(|error| error.to_string())
    );
}

#[test]
fn new_and_a_bare_builder_take_their_delay_from_the_environment() {
    if env::var_os(CHILD).is_some() {
        return report_as_child();
    }

    assert_eq!(child(Some("120")), "Ok(120ms); readable: true, after 120ms");
    assert_eq!(
        child(None),
        "Ok(2s); readable: true, after 2s",
        "unset: the article's 2 s"
    );

    let message = r#"SOCKET_SIM_DELAY_MS: "2s" is not a whole number of milliseconds"#;
    assert_eq!(
        child(Some("2s")),
        format!("Err({message:?}); panic: {message}")
    );
}
