//! The whole walkthrough, as a newcomer piping it to a file would see it:
//! no colours, no progress line; times, busy counts and timeline lanes
//! filtered out, everything else as it is.

use std::process::Command;
use std::time::Instant;

#[test]
fn the_whole_walkthrough_transcript() {
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["walkthrough", "--delay-ms", "100"])
        .env_remove("NO_COLOR")
        .output()
        .expect("cannot run xtask");
    let took = start.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let transcript = String::from_utf8(output.stdout).unwrap();
    assert!(
        !transcript.contains('\x1b'),
        "escape codes in output that is not a terminal"
    );
    assert!(
        !transcript.contains('\r'),
        "a progress line in output that is not a terminal"
    );
    eprintln!("the walkthrough at 100 ms took {took:?}");

    let mut filters = lab::demo::TIME_FILTERS.to_vec();
    filters.extend([
        // Busy counts: polls and Pending answers, in the hundreds of thousands
        // (with the padding before them, which depends on their length).
        (r" +\d{1,3}(?:,\d{3})+\b", " [many]"),
        // Lanes of timelines: real times, placed to a sixteenth of a delay.
        (r"(?m)^(   task \d+ )\|.*\|$", "$1|[lane]|"),
        // Sizes of futures depend on the compiler's layout choices.
        (
            r"future \d+ bytes, ReadFile \d+ bytes",
            "future [n] bytes, ReadFile [n] bytes",
        ),
        // Stage 7's echo serves fewer connections where the open-file limit
        // is low (macOS: 256), and says so.
        (
            r"(?m)^  \(the open-file limit stopped it at \d+ connections.*\n",
            "",
        ),
        (
            r"\b\d+ of \d+ echoes came back whole",
            "all echoes came back whole",
        ),
        // The closing table's measured columns.
        (
            r"(?m)^(\s+\d  \S+\s+\S+)\s+\d+ ms\s+\d+(?:\.\d+)?%",
            "$1  [wall]  [cpu]",
        ),
    ]);
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!(transcript);
    });
}

#[test]
fn a_delay_of_zero_runs_every_stage_at_once() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["walkthrough", "--delay-ms", "0", "--no-color"])
        .output()
        .expect("cannot run xtask");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(
        output.status.success(),
        "exit {:?}\n{stderr}",
        output.status
    );
    for nonsense in ["inf", "NaN", "panicked"] {
        assert!(
            !stdout.contains(nonsense) && !stderr.contains(nonsense),
            "{nonsense:?} in:\n{stdout}\n{stderr}"
        );
    }
    // Every stage's row of the closing table: no share measured in no time.
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|line| line.trim_start().starts_with(char::is_numeric) && line.contains(" ms "))
        .collect();
    assert_eq!(rows.len(), 7, "{stdout}");
    let instant: Vec<&&str> = rows.iter().filter(|row| row.contains(" 0 ms ")).collect();
    assert!(!instant.is_empty(), "{rows:#?}");
    assert!(
        instant.iter().all(|row| !row.contains('%')),
        "a CPU share of nothing: {instant:#?}"
    );
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    // As `cargo xtask walkthrough | head -1`: the pipe closes after one line,
    // while the walkthrough still has seconds of stages to write.
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["walkthrough", "--delay-ms", "50"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run xtask");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("poll-to-await"), "{first:?}");
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "exit {:?}", output.status);
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "a closed pipe is not worth a message"
    );
}
