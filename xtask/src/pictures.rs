//! The book's timelines: a picture per stage of its demo's main run, tasks as
//! lanes, polls and wakes as marks, time in delays.
//!
//! Measured times flip under load, rounded or not, so no measured time is
//! drawn. A stage says when its main run's tasks are woken (in delays:
//! [`Picture::Trace`]); the demo's real trace gives the order and the kinds
//! of the events. Each wake is placed at its task's next scheduled time,
//! each poll at the time of the latest wake before it (a busy executor has
//! no wakes: a task's Ready is placed at its scheduled time, and its
//! Pending polls become a band up to it). The picture therefore changes
//! only when the trace's order or counts do, and a test regenerates every
//! picture and compares it with the one in the book.

use std::path::PathBuf;
use std::time::Duration;
use std::{fs, io};

use lab::svg::{Anchor, Svg};
use lab::trace::{Event, EventKind};

use crate::cli;
use crate::stages::{STAGES, Stage};

/// What a stage's timeline shows.
#[derive(Clone, Copy, Debug)]
pub enum Picture {
    /// Busy waits without futures or an executor: a bar each, `(label, delays)`.
    Busy(&'static [(&'static str, f64)]),
    /// The executor's trace; per task, when it is woken (or, for a busy
    /// executor, found ready), in delays.
    Trace(&'static [&'static [f64]]),
}

/// The delay the demos run with to draw their pictures.
const DELAY: Duration = Duration::from_millis(50);

/// Where the picture of `stage` is kept.
pub fn path(stage: &Stage) -> PathBuf {
    cli::workspace_root()
        .join("docs/src/timelines")
        .join(file_name(stage))
}

/// `stage-4-waker-executor.svg`.
pub fn file_name(stage: &Stage) -> String {
    format!("stage-{}-{}.svg", stage.number, stage.krate)
}

/// Runs every stage's demo and writes its picture into the book.
pub fn write_all() -> Result<(), String> {
    for stage in STAGES {
        let picture = draw(stage)?;
        let path = path(stage);
        write(&path, &picture)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    Ok(())
}

fn write(path: &PathBuf, picture: &str) -> io::Result<()> {
    fs::create_dir_all(path.parent().expect("a file has a directory"))?;
    fs::write(path, picture)
}

/// Runs `stage`'s demo and draws its main run.
pub fn draw(stage: &Stage) -> Result<String, String> {
    let summary = (stage.demo)(&mut io::sink(), DELAY)
        .map_err(|error| format!("{}: {error}", stage.krate))?;
    let title = format!(
        "Stage {}, {}: the main run, time in delays",
        stage.number, stage.krate
    );
    match stage.picture {
        Picture::Busy(bars) => Ok(busy_bars(&title, bars)),
        Picture::Trace(wakes) => {
            let events = summary
                .trace
                .ok_or_else(|| format!("{}: the demo's main run has no trace", stage.krate))?;
            let marks =
                place(&events, wakes).map_err(|error| format!("{}: {error}", stage.krate))?;
            Ok(timeline(&title, wakes.len(), &marks))
        }
    }
}

/// A mark of the timeline: what happened to a task, and when, in delays.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    pub task: usize,
    pub at: f64,
    pub kind: MarkKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Pending,
    Ready,
    Wake,
    /// Polled over and over, Pending each time, from 0 to `at`.
    Busy,
    /// Dropped before it was ready: cancelled.
    Dropped,
}

/// Places the events of a trace (see the module's documentation).
pub fn place(events: &[Event], wakes: &[&[f64]]) -> Result<Vec<Mark>, String> {
    let tasks = wakes.len();
    if let Some(event) = events.iter().find(|event| event.task >= tasks) {
        return Err(format!(
            "task {} in the trace, but the stage says {tasks} tasks",
            event.task
        ));
    }
    let busy = !events.iter().any(|event| event.kind == EventKind::Wake);
    let mut marks = Vec::new();
    let mut next = vec![0; tasks];
    let mut now: f64 = 0.0;
    for event in events {
        let task = event.task;
        let scheduled = |next: &[usize]| {
            wakes[task].get(next[task]).copied().ok_or_else(|| {
                format!(
                    "task {task} is woken more often than the stage says ({} times)",
                    wakes[task].len()
                )
            })
        };
        match (busy, event.kind) {
            (false, EventKind::Wake) => {
                now = scheduled(&next)?;
                next[task] += 1;
                marks.push(Mark {
                    task,
                    at: now,
                    kind: MarkKind::Wake,
                });
            }
            (false, EventKind::Pending) => marks.push(Mark {
                task,
                at: now,
                kind: MarkKind::Pending,
            }),
            (_, EventKind::Ready) => {
                if busy {
                    now = scheduled(&next)?;
                    next[task] += 1;
                    marks.push(Mark {
                        task,
                        at: now,
                        kind: MarkKind::Busy,
                    });
                }
                marks.push(Mark {
                    task,
                    at: now,
                    kind: MarkKind::Ready,
                });
            }
            (_, EventKind::Dropped) => marks.push(Mark {
                task,
                at: now,
                kind: MarkKind::Dropped,
            }),
            (true, _) => {} // a busy task's Pending polls: its band
        }
    }
    if let Some(task) = (0..tasks).find(|&task| next[task] != wakes[task].len()) {
        return Err(format!(
            "task {task} is woken {} times, the stage says {}",
            next[task],
            wakes[task].len()
        ));
    }
    Ok(marks)
}

const WIDTH: f64 = 640.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 48.0;
const LANE: f64 = 36.0;
const PENDING: &str = "#7570b3";
const READY: &str = "#1b9e77";
const WAKE: &str = "#d95f02";
const DROPPED: &str = "#e7298a";

/// The x of `at` delays, on an axis up to `end`.
fn x(at: f64, end: f64) -> f64 {
    LEFT + at / end * (WIDTH - LEFT - RIGHT)
}

fn lane_y(lane: usize) -> f64 {
    TOP + LANE * lane as f64 + LANE / 2.0
}

/// The frame: title, lanes, and a time axis up to `end` delays, ticked at
/// every half delay; returns the picture and the y of its legend.
fn frame(title: &str, labels: &[String], end: f64) -> (Svg, f64) {
    let axis = TOP + LANE * labels.len() as f64 + 6.0;
    let mut svg = Svg::new(WIDTH, axis + 64.0);
    svg.text((12.0, 24.0), Anchor::Start, 14, title);
    for (lane, label) in labels.iter().enumerate() {
        svg.text((LEFT - 12.0, lane_y(lane) + 4.0), Anchor::End, 12, label);
        svg.line(
            (LEFT, lane_y(lane)),
            (WIDTH - RIGHT, lane_y(lane)),
            "#dddddd",
        );
    }
    svg.line((LEFT, axis), (WIDTH - RIGHT, axis), "black");
    let mut tick = 0.0;
    while tick <= end + 1e-9 {
        svg.line((x(tick, end), axis), (x(tick, end), axis + 5.0), "black");
        let label = match tick {
            0.0 => "0".to_owned(),
            1.0 => "1 delay".to_owned(),
            t if t.fract() == 0.0 => format!("{t:.0} delays"),
            t => format!("{t}"),
        };
        svg.text((x(tick, end), axis + 18.0), Anchor::Middle, 11, &label);
        tick += 0.5;
    }
    (svg, axis + 40.0)
}

fn legend(svg: &mut Svg, y: f64, items: &[(MarkKind, &str)]) {
    let mut left = 12.0;
    for &(kind, text) in items {
        draw_mark(svg, kind, left + 6.0, y - 4.0, left);
        svg.text((left + 16.0, y), Anchor::Start, 11, text);
        left += 16.0 + 7.0 * text.len() as f64;
    }
}

fn draw_mark(svg: &mut Svg, kind: MarkKind, x: f64, y: f64, band_from: f64) {
    match kind {
        MarkKind::Pending => svg.circle((x, y), 5.0, "white", PENDING),
        MarkKind::Ready => svg.circle((x, y), 5.0, READY, READY),
        MarkKind::Wake => svg.polygon(
            &[(x - 5.0, y - 9.0), (x + 5.0, y - 9.0), (x, y - 2.0)],
            WAKE,
        ),
        MarkKind::Busy => svg.rect(
            (band_from, y - 6.0),
            ((x - band_from).max(12.0), 12.0),
            PENDING,
            0.35,
        ),
        MarkKind::Dropped => {
            svg.line((x - 5.0, y - 5.0), (x + 5.0, y + 5.0), DROPPED);
            svg.line((x - 5.0, y + 5.0), (x + 5.0, y - 5.0), DROPPED);
        }
    }
}

/// The timeline of an executor's run.
fn timeline(title: &str, tasks: usize, marks: &[Mark]) -> String {
    let end = marks.iter().map(|mark| mark.at).fold(1.0, f64::max) + 0.5;
    let labels: Vec<String> = (0..tasks).map(|task| format!("task {task}")).collect();
    let (mut svg, legend_y) = frame(title, &labels, end);
    // Lane by lane: the order of a task's own events is the program's, but
    // how two tasks' events interleave at one moment is the scheduler's and
    // may change from run to run (a stable sort keeps each lane's order).
    let mut marks = marks.to_vec();
    marks.sort_by_key(|mark| mark.task);
    // Marks of one task at one time stand side by side, in the trace's order.
    let mut placed: Vec<(usize, f64, usize)> = Vec::new();
    for mark in &marks {
        let lane_y = lane_y(mark.task);
        if mark.kind == MarkKind::Busy {
            draw_mark(
                &mut svg,
                MarkKind::Busy,
                x(mark.at, end),
                lane_y,
                x(0.0, end),
            );
            svg.text(
                (x(mark.at / 2.0, end), lane_y - 10.0),
                Anchor::Middle,
                10,
                "polled over and over, Pending each time",
            );
            continue;
        }
        let same = placed
            .iter()
            .filter(|(task, at, _)| *task == mark.task && *at == mark.at)
            .count();
        placed.push((mark.task, mark.at, same));
        draw_mark(
            &mut svg,
            mark.kind,
            x(mark.at, end) + 12.0 * same as f64,
            lane_y,
            0.0,
        );
    }
    let mut kinds = vec![
        (MarkKind::Pending, "poll: Pending"),
        (MarkKind::Ready, "poll: Ready"),
        (MarkKind::Wake, "wake()"),
        (MarkKind::Busy, "polled over and over"),
    ];
    if marks.iter().any(|mark| mark.kind == MarkKind::Dropped) {
        kinds.push((MarkKind::Dropped, "dropped: cancelled"));
    }
    legend(&mut svg, legend_y, &kinds);
    svg.finish()
}

/// Busy waits as bars, each ending in the read it waited for.
fn busy_bars(title: &str, bars: &[(&str, f64)]) -> String {
    let end = bars.iter().map(|(_, delays)| *delays).fold(1.0, f64::max) + 0.5;
    let labels: Vec<String> = bars.iter().map(|(label, _)| (*label).to_owned()).collect();
    let (mut svg, legend_y) = frame(title, &labels, end);
    for (lane, (_, delays)) in bars.iter().enumerate() {
        draw_mark(
            &mut svg,
            MarkKind::Busy,
            x(*delays, end),
            lane_y(lane),
            x(0.0, end),
        );
        draw_mark(
            &mut svg,
            MarkKind::Ready,
            x(*delays, end),
            lane_y(lane),
            0.0,
        );
    }
    legend(
        &mut svg,
        legend_y,
        &[
            (MarkKind::Busy, "a core busy asking \"ready yet?\""),
            (MarkKind::Ready, "read"),
        ],
    );
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(task: usize, kind: EventKind) -> Event {
        Event {
            at: Duration::ZERO,
            task,
            kind,
            count: 1,
        }
    }

    #[test]
    fn wakes_go_to_their_scheduled_times_and_polls_to_the_latest_wake() {
        use EventKind::{Pending, Ready, Wake};
        // Stage 7's run: the later read is polled again when the first is woken.
        let events = [
            (0, Pending),
            (1, Pending),
            (0, Wake),
            (0, Ready),
            (1, Pending),
            (1, Wake),
            (1, Ready),
        ];
        let events: Vec<Event> = events
            .iter()
            .map(|&(task, kind)| event(task, kind))
            .collect();
        let marks = place(&events, &[&[1.0], &[2.0]]).unwrap();
        let at: Vec<(usize, f64)> = marks.iter().map(|mark| (mark.task, mark.at)).collect();
        assert_eq!(
            at,
            [
                (0, 0.0),
                (1, 0.0),
                (0, 1.0),
                (0, 1.0),
                (1, 1.0),
                (1, 2.0),
                (1, 2.0)
            ]
        );
        // A trace that does not fit the schedule is an error, not a picture.
        let error = place(&events, &[&[1.0, 2.0], &[2.0]]).unwrap_err();
        assert_eq!(error, "task 0 is woken 1 times, the stage says 2");
        assert!(place(&events, &[&[1.0]]).is_err());
    }

    #[test]
    fn a_busy_executors_ready_goes_to_its_time_and_its_polls_become_a_band() {
        use EventKind::{Pending, Ready};
        let events: Vec<Event> = [
            (0, Pending),
            (1, Pending),
            (1, Ready),
            (0, Pending),
            (0, Ready),
        ]
        .iter()
        .map(|&(t, k)| event(t, k))
        .collect();
        let marks = place(&events, &[&[1.0], &[0.5]]).unwrap();
        let kinds: Vec<(usize, f64, MarkKind)> = marks
            .iter()
            .map(|mark| (mark.task, mark.at, mark.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (1, 0.5, MarkKind::Busy),
                (1, 0.5, MarkKind::Ready),
                (0, 1.0, MarkKind::Busy),
                (0, 1.0, MarkKind::Ready)
            ]
        );
    }

    #[test]
    fn every_picture_in_the_book_is_what_the_stages_demos_draw_now() {
        for stage in STAGES {
            let drawn = draw(stage).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(
                drawn,
                draw(stage).unwrap(),
                "{}: drawing twice gave different bytes",
                stage.krate
            );
            let committed = fs::read_to_string(path(stage)).unwrap_or_default();
            assert!(
                committed == drawn,
                "{} has drifted from stage {}'s demo: run `cargo xtask docs` and commit it",
                path(stage).display(),
                stage.number
            );
        }
    }
}
