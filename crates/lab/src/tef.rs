//! A trace in the Trace Event Format: the JSON that Perfetto
//! (<https://ui.perfetto.dev>) and Chrome's `chrome://tracing` open, to
//! explore a run poll by poll.
//!
//! Each task is a track (a "thread" of the format) of the process "tasks":
//! its polls are slices (a run of polls recorded as one, as a busy
//! executor's million are, is one slice that says how many), its wakes are
//! instant events that name the thread that woke it, and a drop before
//! Ready is an instant too. When tasks were polled on more than one thread
//! (stage 9's workers), a second process, "threads", has a track per
//! thread that polled or woke: each poll there, named after its task, on
//! the thread that ran it, and each wake on the thread that made it.
//!
//! Times are microseconds since the trace began. Only what the trace
//! recorded is written: a poll whose start its recorder did not give is a
//! slice of no length at its end, and says so.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::threads;
use crate::trace::{Event, EventKind};

/// The process of the task tracks, and of the thread tracks.
const TASKS: u32 = 1;
const THREADS: u32 = 2;

/// The trace `events` (of a run called `title`, whose tasks are each a
/// `lane`: "task", "future") as a Trace Event Format JSON document.
pub fn to_json(title: &str, lane: &str, events: &[Event]) -> String {
    let mut out = Vec::new();
    let meta = |out: &mut Vec<String>, pid: u32, tid: u64, what: &str, name: &str| {
        let key = if what == "process_name" || what == "thread_name" {
            "name"
        } else {
            "sort_index"
        };
        let value = match key {
            "name" => string(name),
            _ => name.to_owned(),
        };
        out.push(format!(
            r#"{{"name":"{what}","ph":"M","pid":{pid},"tid":{tid},"args":{{"{key}":{value}}}}}"#
        ));
    };
    meta(
        &mut out,
        TASKS,
        0,
        "process_name",
        &format!("{title}: a track per {lane}"),
    );
    let tasks: BTreeMap<usize, ()> = events.iter().map(|event| (event.task, ())).collect();
    for &task in tasks.keys() {
        let tid = task as u64 + 1;
        meta(
            &mut out,
            TASKS,
            tid,
            "thread_name",
            &format!("{lane} {task}"),
        );
        meta(&mut out, TASKS, tid, "thread_sort_index", &task.to_string());
    }
    // The task tracks: a task is polled by one thread at a time, so its
    // slices never overlap.
    let mut records = Vec::new();
    for event in events {
        let tid = event.task as u64 + 1;
        records.extend(task_records(event, tid));
    }
    let polling_threads: BTreeMap<usize, ()> = events
        .iter()
        .filter(|event| is_poll(event.kind))
        .map(|event| (event.thread, ()))
        .collect();
    if polling_threads.len() > 1 {
        meta(
            &mut out,
            THREADS,
            0,
            "process_name",
            &format!("{title}: a track per thread"),
        );
        let threads: BTreeMap<usize, ()> = events.iter().map(|event| (event.thread, ())).collect();
        for &thread in threads.keys() {
            let tid = thread as u64 + 1;
            meta(&mut out, THREADS, tid, "thread_name", &thread_name(thread));
        }
        records.extend(thread_records(events, lane));
    }
    // In time order on each track; at one time, in the order made (a
    // slice's end before the next one's start).
    records.sort_by_key(|record| (record.pid, record.tid, record.ts));
    out.extend(records.iter().map(Record::json));
    let about = format!(
        "poll-to-await: {title}. Slices are polls, instants are wakes (args name the thread \
         that woke) and drops; times in microseconds since the trace began."
    );
    format!(
        "{{\"displayTimeUnit\":\"ms\",\"otherData\":{{\"about\":{}}},\"traceEvents\":[\n{}\n]}}\n",
        string(&about),
        out.join(",\n")
    )
}

/// Whether an event of `kind` is a poll.
fn is_poll(kind: EventKind) -> bool {
    matches!(kind, EventKind::Pending | EventKind::Ready)
}

/// The name of thread `number`, as the trace knows it.
fn thread_name(number: usize) -> String {
    threads::name(number).unwrap_or_else(|| format!("thread {number}"))
}

/// An event of the format, before it is written.
#[derive(Debug)]
struct Record {
    pid: u32,
    tid: u64,
    /// Microseconds, as nanoseconds (for exact ordering).
    ts: u128,
    ph: char,
    name: String,
    args: Vec<(&'static str, String)>,
}

impl Record {
    fn json(&self) -> String {
        let mut json = format!(
            r#"{{"name":{},"cat":"{}","ph":"{}","ts":{}.{:03},"pid":{},"tid":{}"#,
            string(&self.name),
            match self.ph {
                'B' | 'E' => "poll",
                _ => "event",
            },
            self.ph,
            self.ts / 1000,
            self.ts % 1000,
            self.pid,
            self.tid
        );
        if self.ph == 'i' {
            // An instant of its track, not of the whole process.
            json += r#","s":"t""#;
        }
        if !self.args.is_empty() {
            let args: Vec<String> = self
                .args
                .iter()
                .map(|(key, value)| format!("{}:{value}", string(key)))
                .collect();
            let _ = write!(json, r#","args":{{{}}}"#, args.join(","));
        }
        json + "}"
    }
}

/// Nanoseconds of `duration`.
fn ns(duration: Duration) -> u128 {
    duration.as_nanos()
}

/// The records of `event` on its task's track `tid`.
fn task_records(event: &Event, tid: u64) -> Vec<Record> {
    let record = |ts: Duration, ph, name: &str, args| Record {
        pid: TASKS,
        tid,
        ts: ns(ts),
        ph,
        name: name.to_owned(),
        args,
    };
    match event.kind {
        EventKind::Pending | EventKind::Ready => {
            let answer = match event.kind {
                EventKind::Ready => "Ready",
                _ => "Pending",
            };
            let name = match event.count {
                1 => "poll".to_owned(),
                n => format!("{n} polls"),
            };
            let mut args = vec![
                ("answer", string(answer)),
                ("polls", event.count.to_string()),
                ("polled on", string(&thread_name(event.thread))),
            ];
            if event.began == event.at {
                args.push((
                    "start",
                    string("not recorded: a slice of no length at its end"),
                ));
            }
            vec![
                record(event.began, 'B', &name, Vec::new()),
                record(event.until, 'E', &name, args),
            ]
        }
        EventKind::Wake => {
            let mut args = vec![("woken by", string(&thread_name(event.thread)))];
            if event.count > 1 {
                args.push(("wakes", event.count.to_string()));
            }
            vec![record(event.at, 'i', "wake", args)]
        }
        EventKind::Dropped => vec![record(event.at, 'i', "dropped before Ready", Vec::new())],
    }
}

/// The records of the thread tracks: each poll on the thread that polled,
/// each wake on the thread that woke. Runs of polls of two tasks on one
/// thread can interleave in time, so a run that would overlap the slice
/// before it on its thread, without nesting in it, is an instant there.
fn thread_records(events: &[Event], lane: &str) -> Vec<Record> {
    let mut records = Vec::new();
    // For each thread, the end of its last slice.
    let mut busy_until: BTreeMap<usize, Duration> = BTreeMap::new();
    let mut polls: Vec<&Event> = events.iter().filter(|event| is_poll(event.kind)).collect();
    polls.sort_by_key(|event| event.began);
    for event in polls {
        let tid = event.thread as u64 + 1;
        let name = format!("poll of {lane} {}", event.task);
        let args = vec![("polls", event.count.to_string())];
        let free = busy_until
            .get(&event.thread)
            .is_none_or(|end| *end <= event.began);
        if free {
            busy_until.insert(event.thread, event.until);
            for (ts, ph, args) in [(event.began, 'B', Vec::new()), (event.until, 'E', args)] {
                records.push(Record {
                    pid: THREADS,
                    tid,
                    ts: ns(ts),
                    ph,
                    name: name.clone(),
                    args,
                });
            }
        } else {
            let mut args = args;
            args.push(("until", format!("{}", ns(event.until) / 1000)));
            records.push(Record {
                pid: THREADS,
                tid,
                ts: ns(event.began),
                ph: 'i',
                name,
                args,
            });
        }
    }
    for event in events.iter().filter(|event| event.kind == EventKind::Wake) {
        records.push(Record {
            pid: THREADS,
            tid: event.thread as u64 + 1,
            ts: ns(event.at),
            ph: 'i',
            name: format!("wake of {lane} {}", event.task),
            args: Vec::new(),
        });
    }
    records
}

/// `text` as a JSON string.
fn string(text: &str) -> String {
    let mut json = String::with_capacity(text.len() + 2);
    json.push('"');
    for c in text.chars() {
        match c {
            '"' => json += "\\\"",
            '\\' => json += "\\\\",
            '\n' => json += "\\n",
            c if (c as u32) < 0x20 => {
                let _ = write!(json, "\\u{:04x}", c as u32);
            }
            c => json.push(c),
        }
    }
    json.push('"');
    json
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Trace;

    #[test]
    fn strings_are_escaped_as_json_asks() {
        assert_eq!(string("a \"b\" \\ c\n\u{1}"), r#""a \"b\" \\ c\n\u0001""#);
    }

    #[test]
    fn a_poll_is_a_slice_and_a_wake_an_instant_that_names_its_thread() {
        let trace = Trace::new();
        let began = std::time::Instant::now();
        trace.record_since(0, EventKind::Pending, Some(began));
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("the waker".to_owned())
                .spawn_scoped(scope, || trace.record(0, EventKind::Wake))
                .unwrap();
        });
        trace.record_since(0, EventKind::Ready, Some(std::time::Instant::now()));
        let json = to_json("a run", "task", &trace.events());
        assert!(
            json.contains(
                r#""name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"task 0"}"#
            ),
            "{json}"
        );
        assert!(
            json.contains(r#""ph":"B""#) && json.contains(r#""ph":"E""#),
            "{json}"
        );
        assert!(json.contains(r#""woken by":"the waker""#), "{json}");
        assert!(
            !json.contains("a track per thread"),
            "one polling thread, no thread tracks: {json}"
        );
    }
}
