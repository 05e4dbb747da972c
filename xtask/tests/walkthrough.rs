//! The whole walkthrough, as a newcomer piping it to a file would see it: no
//! colours, no progress line. Its snapshot holds the walkthrough's own frame
//! (each stage's introduction, timeline and flaw, and the closing table);
//! each demo's output is snapshotted once, by its stage's own test.

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

    let frame = frame(&transcript);
    let filters = [
        // Lanes of timelines: a live run, whose polls and wakes interleave as
        // the machine's scheduler lets them.
        (r"(?m)^(   task \d+ )\|.*\|$", "$1|[lane]|"),
        // The closing table's measured columns.
        (
            r"(?m)^(\s+\d  \S+\s+\S+)\s+\d+ ms\s+\d+(?:\.\d+)?%",
            "$1  [wall]  [cpu]",
        ),
        // Polls per future: a count a loaded machine can change (a socket
        // found ready at its first poll is polled once).
        (
            r"(?m)^(\s+\d  \S+\s+\S+  \[wall\]  \[cpu\])\s+\S+$",
            "$1  [polls]",
        ),
    ];
    insta::with_settings!({ filters => filters.to_vec() }, {
        insta::assert_snapshot!(frame);
    });
}

/// The walkthrough's own text: each stage's demo output, which runs from
/// the blank line after its introduction to its timeline or its flaw, is
/// replaced by one line saying where it is snapshotted.
fn frame(transcript: &str) -> String {
    let mut frame = String::new();
    let (mut krate, mut in_demo, mut demos) = ("", false, 0);
    let mut lines = transcript.lines().peekable();
    while let Some(line) = lines.next() {
        let ends_demo = line.starts_with("   Timeline of its main run")
            || line.starts_with("   What stage")
            || line.starts_with("   Beyond this workspace");
        if in_demo && !ends_demo {
            continue;
        }
        if in_demo {
            frame += &format!(
                "   [the demo: crates/{krate}/tests/snapshots/demo__demo_transcript.snap]\n\n"
            );
            in_demo = false;
        }
        frame += line;
        frame.push('\n');
        if let Some(rest) = line.strip_prefix("   crate ") {
            krate = rest.split(',').next().unwrap_or_default();
        }
        if line.starts_with("   Watch for: ") && lines.peek() == Some(&"") {
            lines.next();
            frame.push('\n');
            (in_demo, demos) = (true, demos + 1);
        }
    }
    assert_eq!(
        demos,
        xtask_stages(),
        "a demo per stage, between its introduction and its flaw"
    );
    frame
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
    let table = stdout
        .lines()
        .skip_while(|line| !line.contains("Every stage's main run"));
    let rows: Vec<&str> = table
        .filter(|line| line.trim_start().starts_with(char::is_numeric) && line.contains(" ms "))
        .collect();
    assert_eq!(rows.len(), xtask_stages(), "{stdout}");
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

/// How many stages there are: the crates under `crates/`, but the lab.
fn xtask_stages() -> usize {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let entries = std::fs::read_dir(crates).expect("crates/ is there");
    entries
        .filter(|entry| entry.as_ref().is_ok_and(|entry| entry.file_name() != "lab"))
        .count()
}

/// Every trace the walkthrough writes, read back as the Trace Event Format
/// asks: the keys each event needs, timestamps that never go back on a
/// track, and every poll's slice closed, on the track it opened on.
#[test]
fn the_walkthroughs_traces_are_trace_event_format() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("walkthrough-traces");
    let _ = std::fs::remove_dir_all(&dir);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["walkthrough", "--delay-ms", "100", "--trace-out"])
        .arg(&dir)
        .output()
        .expect("cannot run xtask");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // The stages that run futures on an executor, and nothing half-written.
    assert_eq!(
        files,
        [
            "stage-3-busy-executor.json",
            "stage-4-waker-executor.json",
            "stage-5-futsocket.json",
            "stage-6-async-await-demo.json",
            "stage-7-mini-runtime.json",
            "stage-8-cancellation.json",
            "stage-9-work-stealing.json",
        ]
    );
    for file in &files {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        if let Err(problem) = check_trace(&text) {
            panic!("{file}: {problem}\n{text}");
        }
    }
    // Stage 9's tasks ran on two workers: they have tracks of their own.
    let stage_9 = std::fs::read_to_string(dir.join("stage-9-work-stealing.json")).unwrap();
    assert!(stage_9.contains(r#""name":"work-stealing-0""#), "{stage_9}");
}

/// What is wrong with `text` as a trace, if anything.
fn check_trace(text: &str) -> Result<(), String> {
    use serde_json::Value;
    use std::collections::BTreeMap;
    let trace: Value = serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
    let events = trace["traceEvents"]
        .as_array()
        .ok_or("no traceEvents array")?;
    // For each track (pid, tid): the last timestamp, and the slices open.
    let mut tracks: BTreeMap<(u64, u64), (f64, Vec<String>)> = BTreeMap::new();
    let (mut polls, mut named_tracks) = (0, 0);
    for event in events {
        let field = |key: &str| {
            event
                .get(key)
                .ok_or(format!("an event without {key:?}: {event}"))
        };
        let name = field("name")?
            .as_str()
            .ok_or("a name that is not a string")?;
        let ph = field("ph")?.as_str().ok_or("a ph that is not a string")?;
        let track = (
            field("pid")?.as_u64().ok_or("a pid that is not a number")?,
            field("tid")?.as_u64().ok_or("a tid that is not a number")?,
        );
        if ph == "M" {
            field("args")?;
            named_tracks += usize::from(name == "thread_name");
            continue;
        }
        let ts = field("ts")?.as_f64().ok_or("a ts that is not a number")?;
        let (last, open) = tracks.entry(track).or_insert((0.0, Vec::new()));
        if ts < *last {
            return Err(format!(
                "{track:?}: time goes back from {last} to {ts} at {event}"
            ));
        }
        *last = ts;
        match ph {
            "B" => {
                polls += 1;
                open.push(name.to_owned());
            }
            "E" => match open.pop() {
                Some(opened) if opened == name => {}
                other => return Err(format!("{track:?}: {event} closes {other:?}")),
            },
            "i" => {
                if field("s")? != "t" {
                    return Err(format!("an instant not of its track: {event}"));
                }
            }
            other => return Err(format!("a phase this trace does not use: {other}")),
        }
    }
    for (track, (_, open)) in &tracks {
        if !open.is_empty() {
            return Err(format!("{track:?}: slices never closed: {open:?}"));
        }
    }
    if polls == 0 || named_tracks == 0 {
        return Err(format!("{polls} polls on {named_tracks} named tracks"));
    }
    Ok(())
}
