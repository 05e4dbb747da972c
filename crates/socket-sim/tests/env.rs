//! `SOCKET_SIM_DELAY_MS`: the default delay of `MySocket::new()` and of a
//! builder without `.delay()`, and what happens when it is wrong.
//!
//! The variable is read by the process, so each case runs in a process of its
//! own: the demo binary, or this test binary started again as a child.

use std::env;
use std::panic::{self, AssertUnwindSafe};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use socket_sim::{DELAY_ENV, MySocket, default_delay};

/// Set in a child started by `child`: what the child should do.
const CHILD: &str = "SOCKET_SIM_TEST_CHILD";
/// How long a child waits for its sockets before it reports them not readable.
const CHILD_PATIENCE: Duration = Duration::from_millis(400);

/// Runs the demo binary with `SOCKET_SIM_DELAY_MS` set to `delay_ms` (or
/// unset), killing it if it runs longer than 10 s.
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
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            panic!("the demo still ran after 10 s: does the timer thread fire?");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
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
    assert!(
        took < Duration::from_secs(1),
        "three 50 ms waits took {took:?}"
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

/// What the child does: builds one socket with `new()` and one with a bare
/// builder, and says when they became readable, or how building failed.
fn report_as_child() {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let start = Instant::now();
        let sockets = [MySocket::new(), MySocket::builder().build()];
        while !sockets.iter().all(MySocket::has_data_to_read) && start.elapsed() < CHILD_PATIENCE {}
        match sockets.iter().all(MySocket::has_data_to_read) {
            true => format!("readable after {} ms", start.elapsed().as_millis()),
            false => format!("not readable after {} ms", CHILD_PATIENCE.as_millis()),
        }
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

    let report = child(Some("120"));
    let ms: u64 = report
        .strip_prefix("Ok(120ms); readable after ")
        .and_then(|rest| rest.strip_suffix(" ms"))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("unexpected report: {report}"));
    assert!(
        (120..350).contains(&ms),
        "120 ms sockets readable after {ms} ms"
    );

    assert_eq!(
        child(None),
        "Ok(2s); not readable after 400 ms",
        "unset: the article's 2 s"
    );

    let message = r#"SOCKET_SIM_DELAY_MS: "2s" is not a whole number of milliseconds"#;
    assert_eq!(
        child(Some("2s")),
        format!("Err({message:?}); panic: {message}")
    );
}
