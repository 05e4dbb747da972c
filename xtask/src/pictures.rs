//! The book's timelines: a picture per stage of its demo's main run, tasks as
//! lanes, polls and wakes as marks, time in delays.
//!
//! A picture is drawn from what the stage table says of the run (its
//! [`Picture`]): for an executor, when each task is woken and the trace a
//! quiet machine records, placed in time by [`timeline::place`], as the
//! walkthrough places the live trace. Nothing measured is drawn, so a
//! picture is the same on every machine, and the test below compares it
//! byte for byte with the one in the book, and checks that the stage's demo
//! still runs the tasks the picture shows.

use std::path::{Path, PathBuf};
use std::{fs, io};

use crate::cli;
use crate::stages::{Picture, STAGES, Stage};
use crate::svg::{Anchor, Svg};
use crate::timeline::{self, MarkKind, Placement};

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

/// Writes every stage's picture into the book.
pub fn write_all() -> Result<(), String> {
    for stage in STAGES {
        let path = path(stage);
        write(&path, &draw(stage))
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    Ok(())
}

fn write(path: &Path, picture: &str) -> io::Result<()> {
    fs::create_dir_all(path.parent().expect("a file has a directory"))?;
    fs::write(path, picture)
}

/// The picture of `stage`'s main run.
pub fn draw(stage: &Stage) -> String {
    let title = format!(
        "Stage {}, {}: the main run, time in delays",
        stage.number, stage.krate
    );
    match stage.picture {
        Picture::Busy(bars) => busy_bars(&title, bars),
        Picture::Trace {
            schedule,
            story,
            lane,
        } => timeline(
            &title,
            &timeline::place(story.iter().copied(), schedule),
            lane,
        ),
    }
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
fn timeline(title: &str, placement: &Placement, lane: &str) -> String {
    let end = placement.end() + 0.5;
    let labels: Vec<String> = (0..placement.lanes.len())
        .map(|index| format!("{lane} {index}"))
        .collect();
    let (mut svg, legend_y) = frame(title, &labels, end);
    for (lane, marks) in placement.lanes.iter().enumerate() {
        let lane_y = lane_y(lane);
        // Marks of one task at one time stand side by side, in their order.
        let mut placed: Vec<f64> = Vec::new();
        for mark in marks {
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
            let same = placed.iter().filter(|at| **at == mark.at).count();
            placed.push(mark.at);
            let x = x(mark.at, end) + 12.0 * same as f64;
            draw_mark(&mut svg, mark.kind, x, lane_y, 0.0);
        }
    }
    let mut kinds = vec![
        (MarkKind::Pending, "poll: Pending"),
        (MarkKind::Ready, "poll: Ready"),
        (MarkKind::Wake, "wake()"),
        (MarkKind::Busy, "polled over and over"),
    ];
    let marks = placement.lanes.iter().flatten();
    if marks.clone().any(|mark| mark.kind == MarkKind::Dropped) {
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
    use std::time::Duration;

    use lab::trace::EventKind;

    use super::*;

    /// The delay the demos run with here: short, as only their tasks matter.
    const DEMO_DELAY: Duration = Duration::from_millis(20);

    /// Compares what is the same by construction: the picture is drawn from
    /// the stage table alone. The demo is run only for what no scheduler can
    /// change: the tasks of its main run, each Ready once (a future finishes
    /// once). How its polls interleave with its wakes, and even how many
    /// there are (a socket found ready at its first poll is never woken),
    /// depends on how fast the machine answers a timer.
    #[test]
    fn every_picture_in_the_book_is_what_the_stages_demos_draw_now() {
        for stage in STAGES {
            let drawn = draw(stage);
            let committed = fs::read_to_string(path(stage)).unwrap_or_default();
            assert!(
                committed == drawn,
                "{} has drifted from stage {}'s table entry: run `cargo xtask docs` and commit it",
                path(stage).display(),
                stage.number
            );
            let Picture::Trace {
                schedule, story, ..
            } = stage.picture
            else {
                continue;
            };
            assert!(
                timeline::place(story.iter().copied(), schedule).fits,
                "stage {}: its story does not fit its schedule",
                stage.number
            );
            let summary = (stage.demo)(&mut io::sink(), DEMO_DELAY).unwrap();
            let trace = summary
                .trace
                .expect("an executor stage traces its main run");
            // Each ends once: Ready, or dropped (cancelled).
            let ends = |kind: EventKind| matches!(kind, EventKind::Ready | EventKind::Dropped);
            let readies: Vec<usize> = (0..schedule.len())
                .map(|task| {
                    let mine = trace.iter().filter(|event| event.task == task);
                    mine.filter(|event| ends(event.kind)).count()
                })
                .collect();
            assert_eq!(
                (trace.iter().map(|event| event.task + 1).max(), readies),
                (Some(schedule.len()), vec![1; schedule.len()]),
                "stage {}: the picture shows {} lanes, each ending once; the demo ran these",
                stage.number,
                schedule.len()
            );
        }
    }
}
