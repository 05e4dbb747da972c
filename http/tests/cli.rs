//! The server's command line, run as a user runs it: bad flags are usage
//! errors (exit 2) that name what was wrong, a taken port is a failure
//! (exit 1) that names the address, and on Unix SIGTERM stops a running
//! server cleanly (exit 0), saying what it served, and having said which
//! connections failed (a malformed request), not those a client left.

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use lab::patience::PATIENCE;

fn server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_http-server"))
}

/// Runs the server with `args`, which must make it exit on its own.
fn check(args: &[&str]) -> Output {
    let child = server()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("http-server {args:?} still running after {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_flags_are_usage_errors_that_say_what_was_wrong() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["--port", "http"],
            "--port takes a port number, 0 to 65535, not \"http\"",
        ),
        (&["--port", "65536"], "not \"65536\""),
        (
            &["--runtime", "async-std"],
            "no runtime called \"async-std\": the runtimes are mini, stealing, tokio, tokio-multi",
        ),
        (
            &["--workers", "2"],
            "--workers is for stealing and tokio-multi: mini runs on one thread",
        ),
        (
            &["--runtime=stealing", "--workers=0"],
            "--workers takes a number of threads, 1 to 1024, not \"0\"",
        ),
        (&["--verbose"], "unknown flag \"--verbose\""),
        (&["--port"], "--port needs a value"),
    ];
    for (args, message) in cases {
        let output = check(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let said = stderr(&output);
        assert!(said.starts_with("error: "), "{args:?}: {said}");
        assert!(said.contains(message), "{args:?}: {said}");
        assert!(
            said.contains("Usage: cargo xtask serve"),
            "{args:?}: {said}"
        );
        assert!(output.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    let output = check(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(
        help.starts_with("Usage: cargo xtask serve [--port N]"),
        "{help}"
    );
    for flag in ["--port", "--runtime", "--workers", "tokio-multi"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}

#[test]
fn a_port_taken_is_a_failure_that_names_the_address() {
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = check(&["--port", &port]);
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(
        said.starts_with(&format!("error: cannot serve on 127.0.0.1:{port}: ")),
        "{said}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_a_running_server_cleanly() {
    use std::io::Write;

    for runtime in ["mini", "stealing", "tokio", "tokio-multi"] {
        let mut child = server()
            .args(["--runtime", runtime])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.split_once('/'))
            .map(|(addr, _)| addr.to_owned())
            .unwrap_or_else(|| panic!("{runtime}: the first line: {first:?}"));
        let mut client = TcpStream::connect(&addr).unwrap();
        client.set_read_timeout(Some(PATIENCE)).unwrap();
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        client.read_to_string(&mut response).unwrap();
        assert!(
            response.ends_with("\r\n\r\nHello from hyper!\n"),
            "{response}"
        );

        // A client that leaves mid-request is no error of the server's; a
        // malformed request is, and is said.
        let mut leaving = TcpStream::connect(&addr).unwrap();
        leaving
            .write_all(b"POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
            .unwrap();
        drop(leaving);
        let mut malformed = TcpStream::connect(&addr).unwrap();
        malformed.set_read_timeout(Some(PATIENCE)).unwrap();
        malformed.write_all(b"GARBAGE\r\n\r\n").unwrap();
        let mut refused = String::new();
        malformed.read_to_string(&mut refused).unwrap();
        assert!(refused.starts_with("HTTP/1.1 400 "), "{refused}");

        let pid = child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{runtime}: running after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let mut said = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut said)
            .unwrap();
        assert_eq!(status.code(), Some(0), "{runtime}");
        assert!(
            rest.ends_with("stopped: 3 connections served\n"),
            "{runtime}: {rest}"
        );
        let errors: Vec<&str> = said
            .lines()
            .filter(|line| line.starts_with("connection from "))
            .collect();
        assert_eq!(errors.len(), 1, "{runtime}: {said}");
        assert!(
            errors[0].ends_with(": invalid HTTP method parsed"),
            "{runtime}: {said}"
        );
        assert!(
            rest.contains("curl http://"),
            "{runtime}: says how to try it"
        );
    }
}
