//! The bench at tiny sizes, in a debug build: the report has its sections,
//! its goals, and the poll counts the stages promise. No timing is checked
//! here; speed is what the bench itself reports.

use std::fs;
use std::process::{Command, Output};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .output()
        .expect("cannot run the bench")
}

/// Whether `goals` has the goal `what`, met.
fn met(goals: &str, what: &str) -> bool {
    let line = goals.lines().find(|line| line.contains(what));
    line.is_some_and(|line| line.trim_start().starts_with("met "))
}

#[test]
fn a_tiny_run_reports_every_section_and_two_polls_per_socket() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-smoke");
    let _ = fs::remove_dir_all(&out);
    let output = bench(&["--tiny", "--out", out.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8(output.stdout).unwrap();
    // Section 9 needs wrk; without it the bench says so and goes on.
    let wrk = Command::new("wrk").output().is_ok();

    for section in [
        "\n1. N sockets of 10 ms",
        "\n2. Polls per future",
        "\n3. N FutSockets of 30 ms",
        "\n4. 1,000 ready futures",
        "\n5. Stage 7 against tokio and smol",
        "\n6. Stage 8: select and timeout",
        "\n7. Stage 9 against tokio's multi-thread runtime: tokio's scheduler workloads",
        "\n8. Stage 9 against tokio's multi-thread runtime: the loopback echo",
        "\n9. hyper's HTTP/1.1 server under wrk",
        "\nGoals\n",
    ] {
        assert!(report.contains(section), "no {section:?} in:\n{report}");
    }
    let goals = report.split("\nGoals\n").nth(1).unwrap();
    assert_eq!(
        goals
            .lines()
            .filter(|line| ["  met ", "  within noise ", "  MISSED "]
                .iter()
                .any(|v| line.starts_with(v)))
            .count(),
        // Sections 1 to 5: 11, and smol's echo; stage 8: 3; stage 9: five
        // workloads at two worker counts, time and CPU each (20), idle at
        // both (2), and the echo at both, round trips and CPU (4); HTTP,
        // where wrk runs: requests and CPU for each stage (4).
        11 + 1 + 3 + 20 + 2 + 4 + if wrk { 4 } else { 0 },
        "{goals}"
    );
    assert!(
        met(goals, "waker-executor polls exactly 2 per socket"),
        "{goals}"
    );
    if std::path::Path::new("/proc/self/status").exists() {
        assert!(
            met(goals, "stage 7 runs the echo on 1 thread at 10 connections"),
            "{goals}"
        );
    }
    // Thread counts and peak memory come from /proc (zeros elsewhere).
    let proc = std::path::Path::new("/proc/self/status").exists();
    if proc {
        assert!(
            met(goals, "threads: the caller and the one timer thread"),
            "{goals}"
        );
    }

    // Section 3: every executor, two polls per socket, two threads.
    let scale = report
        .split("\n3. ")
        .nth(1)
        .unwrap()
        .split("\n4. ")
        .next()
        .unwrap();
    let rows: Vec<&str> = scale
        .lines()
        .skip(2)
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 3, "{scale}");
    for row in rows {
        let cells: Vec<&str> = row
            .split("  ")
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
            .collect();
        assert_eq!(cells.last(), Some(&"2"), "polls per future: {row}");
        if proc {
            assert_eq!(cells[cells.len() - 2], "2", "threads: {row}");
        }
    }
    // Section 5: both runtimes, on the echo and idle; one thread each.
    let echo = report
        .split("\n5. ")
        .nth(1)
        .unwrap()
        .split("\nGoals\n")
        .next()
        .unwrap();
    for runtime in ["mini-runtime", "tokio", "mini-runtime, idle", "tokio, idle"] {
        let row = echo
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{runtime} ")))
            .unwrap_or_default();
        assert!(!row.is_empty(), "no row for {runtime} in\n{echo}");
        if proc {
            assert!(
                row.trim_end().ends_with(" 1"),
                "{runtime}: one thread, but {row:?}"
            );
        }
    }
    // Section 2: the waker executor and LocalPool poll twice; the busy one, many times.
    let polls = report
        .split("\n2. ")
        .nth(1)
        .unwrap()
        .split("\n3. ")
        .next()
        .unwrap();
    for executor in ["waker-executor + FutSocket", "futures LocalPool"] {
        let row = polls.lines().find(|line| line.contains(executor)).unwrap();
        assert!(row.split_whitespace().rev().nth(1) == Some("2"), "{row}");
    }

    let page = fs::read_to_string(out.join("bench.md")).unwrap();
    assert!(
        page.starts_with("# The numbers\n") && page.contains("![") && page.contains("## Goals"),
        "{page}"
    );
    let svg = fs::read_to_string(out.join("bench.svg")).unwrap();
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<polyline").count(), 3, "a line per executor");

    // Section 9: a row and a bar per server, or why there are none.
    let http = report.split("\n9. ").nth(1).unwrap();
    let http_svg = fs::read_to_string(out.join("bench-http.svg")).unwrap();
    if wrk {
        for server in [
            "stage 7, mini-runtime ",
            "tokio, current-thread ",
            "stage 9, work-stealing, 2 workers ",
            "tokio, multi-thread, 2 workers ",
        ] {
            let row = http
                .lines()
                .find(|line| line.trim_start().starts_with(server));
            assert!(row.is_some(), "no row for {server:?} in\n{http}");
        }
        let bars = http_svg.matches("<rect").count();
        assert_eq!(bars, 9, "two bars per server, and the background");
        assert!(page.contains("![9. hyper's"), "the chart in the book");
    } else {
        assert!(
            http.contains("Not measured in this run: wrk cannot be run"),
            "{http}"
        );
        assert!(http_svg.contains("Not measured"), "{http_svg}");
    }
}

#[test]
fn bad_arguments_exit_2_saying_what_was_wrong() {
    for (args, message) in [
        (&["--fast"][..], "error: unknown flag \"--fast\""),
        (&["extra"], "error: unexpected argument \"extra\""),
        (
            &["--quick", "--tiny"],
            "error: --quick and --tiny do not go together",
        ),
        (&["--out"], "error: --out needs a directory"),
        (
            &["--tiny", "--out", "Cargo.toml"],
            "error: --out Cargo.toml: not a directory",
        ),
        (
            &["case", "nope", "1", "1"],
            "bench: no case called \"nope\"",
        ),
    ] {
        let output = bench(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).starts_with(message),
            "{args:?}"
        );
    }
}
