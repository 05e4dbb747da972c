//! A run's polls and wakes placed in time, once, for the two drawings of
//! it: the walkthrough's lanes of characters and the book's SVG.
//!
//! Time is counted in delays (the time a socket takes), and taken from the
//! stage's schedule, not from the clock: the stage says when each task is
//! woken ([`Schedule`]), the trace gives the order and kinds of the events.
//! Each wake is placed at its task's next scheduled time, and each poll at
//! the time of the latest wake before it. A busy executor has no wakes: a
//! task's Ready goes at its scheduled time, and its Pending polls become a
//! band up to it. So a drawing changes only when the order or kinds of the
//! events do, and looks the same at any delay, 0 included.
//!
//! ```text
//! task 0 |P               wR               |
//! task 1 |P                               wR|
//! ```

use lab::trace::EventKind;

/// When each task of a run is woken (for a busy executor: found ready), in
/// delays: `schedule[task]`, in order.
pub type Schedule = &'static [&'static [f64]];

/// A mark of a drawing: what happened to a task, and when, in delays.
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

/// A run placed in time.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// One lane per task, in the order of its events.
    pub lanes: Vec<Vec<Mark>>,
    /// Whether the run woke each task exactly as often as the schedule says.
    /// A run that does not fit is still placed: an unscheduled wake stays at
    /// the time of the one before it.
    pub fits: bool,
}

/// Places `events` (task and kind, in the order they happened) on `schedule`.
pub fn place(
    events: impl IntoIterator<Item = (usize, EventKind)>,
    schedule: Schedule,
) -> Placement {
    let events: Vec<(usize, EventKind)> = events.into_iter().collect();
    let busy = !events.iter().any(|(_, kind)| *kind == EventKind::Wake);
    let tasks = events.iter().map(|(task, _)| task + 1).max().unwrap_or(0);
    let tasks = tasks.max(schedule.len());
    let mut lanes = vec![Vec::new(); tasks];
    let mut next = vec![0; tasks];
    let (mut now, mut fits) = (0.0_f64, tasks == schedule.len());
    for (task, kind) in events {
        let mut mark = |at, kind| lanes[task].push(Mark { task, at, kind });
        let mut woken = |now: &mut f64| match schedule.get(task).and_then(|s| s.get(next[task])) {
            Some(&at) => {
                *now = at;
                next[task] += 1;
            }
            None => fits = false,
        };
        match (busy, kind) {
            (false, EventKind::Wake) => {
                woken(&mut now);
                mark(now, MarkKind::Wake);
            }
            (false, EventKind::Pending) => mark(now, MarkKind::Pending),
            (true, EventKind::Ready) => {
                woken(&mut now);
                mark(now, MarkKind::Busy);
                mark(now, MarkKind::Ready);
            }
            (false, EventKind::Ready) => mark(now, MarkKind::Ready),
            (_, EventKind::Dropped) => mark(now, MarkKind::Dropped),
            (true, _) => {} // a busy task's Pending polls: its band
        }
    }
    let all_used = (0..schedule.len()).all(|task| next[task] == schedule[task].len());
    Placement {
        lanes,
        fits: fits && all_used,
    }
}

impl Placement {
    /// The latest time anything happens, and at least one delay.
    pub fn end(&self) -> f64 {
        self.lanes
            .iter()
            .flatten()
            .map(|mark| mark.at)
            .fold(1.0, f64::max)
    }
}

/// Columns per delay in the walkthrough's lanes.
pub const COLUMNS_PER_DELAY: u32 = 16;

/// What the marks of the walkthrough's lanes mean.
pub const LEGEND: &str =
    "P poll: Pending   # polled over and over   w woken   R poll: Ready   x dropped";

/// The lanes of characters for a terminal, one per task, all of one width:
/// `task 0 |P   wR|`. Marks that fall in one column stand side by side, in
/// the order they happened.
pub fn lanes(placement: &Placement, noun: &str) -> Vec<String> {
    let column = |at: f64| (at * f64::from(COLUMNS_PER_DELAY)).round() as usize;
    let mut lanes: Vec<String> = placement
        .lanes
        .iter()
        .map(|marks| {
            let mut lane = String::new();
            for mark in marks {
                let at = column(mark.at);
                let free = lane.chars().count();
                if mark.kind == MarkKind::Busy {
                    lane.extend(std::iter::repeat_n('#', at.saturating_sub(free).max(1)));
                    continue;
                }
                lane.extend(std::iter::repeat_n(' ', at.saturating_sub(free)));
                lane.push(match mark.kind {
                    MarkKind::Pending => 'P',
                    MarkKind::Wake => 'w',
                    MarkKind::Ready | MarkKind::Busy => 'R',
                    MarkKind::Dropped => 'x',
                });
            }
            lane
        })
        .collect();
    let width = lanes
        .iter()
        .map(|lane| lane.chars().count())
        .max()
        .unwrap_or(0)
        .max(column(placement.end()) + 1);
    let label = lanes.len().saturating_sub(1).to_string().len();
    for (task, lane) in lanes.iter_mut().enumerate() {
        let padding = width - lane.chars().count();
        *lane = format!("{noun} {task:>label$} |{lane}{}|", " ".repeat(padding));
    }
    lanes
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::{Pending, Ready, Wake};

    #[test]
    fn wakes_go_to_their_scheduled_times_and_polls_to_the_latest_wake() {
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
        let placement = place(events, &[&[1.0], &[2.0]]);
        assert!(placement.fits);
        let at: Vec<Vec<f64>> = placement
            .lanes
            .iter()
            .map(|lane| lane.iter().map(|mark| mark.at).collect())
            .collect();
        assert_eq!(at, [vec![0.0, 1.0, 1.0], vec![0.0, 1.0, 2.0, 2.0]]);
        insta::assert_snapshot!(lanes(&placement, "task").join("\n"), @"
        task 0 |P               wR                |
        task 1 |P               P               wR|
        ");
    }

    #[test]
    fn a_run_that_does_not_fit_its_schedule_is_placed_and_says_so() {
        let events = [(0, Pending), (0, Wake), (0, Pending), (0, Wake), (0, Ready)];
        let placement = place(events, &[&[1.0]]);
        assert!(!placement.fits, "woken twice, scheduled once");
        insta::assert_snapshot!(lanes(&placement, "task").join("\n"), @"task 0 |P               wPwR|");
        let never = [
            (0, Pending),
            (1, Pending),
            (1, Wake),
            (1, Ready),
            (0, Ready),
        ];
        assert!(!place(never, &[&[1.0], &[1.0]]).fits, "task 0 never woken");
        assert!(
            !place([(1, Wake), (1, Ready)], &[&[]]).fits,
            "a task too many"
        );
    }

    #[test]
    fn a_busy_executors_ready_goes_to_its_time_and_its_polls_become_a_band() {
        let events = [
            (0, Pending),
            (1, Pending),
            (1, Ready),
            (0, Pending),
            (0, Ready),
        ];
        let placement = place(events, &[&[1.0], &[0.5]]);
        let kinds: Vec<(usize, f64, MarkKind)> = placement
            .lanes
            .iter()
            .flatten()
            .map(|mark| (mark.task, mark.at, mark.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (0, 1.0, MarkKind::Busy),
                (0, 1.0, MarkKind::Ready),
                (1, 0.5, MarkKind::Busy),
                (1, 0.5, MarkKind::Ready)
            ]
        );
        insta::assert_snapshot!(lanes(&placement, "task").join("\n"), @"
        task 0 |################R|
        task 1 |########R        |
        ");
    }

    #[test]
    fn lanes_are_labelled_to_one_width() {
        let mut events: Vec<(usize, EventKind)> = (0..11).map(|task| (task, Pending)).collect();
        events.extend([(10, Wake), (10, Ready)]);
        let mut schedule: Vec<&'static [f64]> = vec![&[]; 10];
        schedule.push(&[1.0]);
        let lanes = lanes(&place(events, schedule.leak()), "task");
        assert_eq!(lanes[0], format!("task  0 |P{}|", " ".repeat(17)));
        assert_eq!(lanes[10], format!("task 10 |P{}wR|", " ".repeat(15)));
    }

    #[test]
    fn no_events_no_lanes() {
        let placement = place([], &[]);
        assert_eq!(
            placement,
            Placement {
                lanes: vec![],
                fits: true
            }
        );
        assert!(lanes(&placement, "task").is_empty());
    }
}
