//! Draws what an executor recorded as a timeline: one lane per task, time
//! running left to right, a mark for each poll and each wake.
//!
//! ```text
//! task 0 |P               wR               |
//! task 1 |P                               wR|
//! ```
//!
//! Time is measured in delays (the time a socket takes), so that the
//! timelines of all stages share one scale. Marks that fall in the same
//! column are set side by side, in the order they happened.

use std::time::Duration;

use lab::trace::{Event, EventKind};

/// Columns per delay, unless the run is too long to fit in [`MAX_COLUMNS`].
pub const COLUMNS_PER_DELAY: u32 = 16;

/// The widest a timeline gets, before any marks pushed right.
pub const MAX_COLUMNS: u32 = 64;

/// What the marks mean.
pub const LEGEND: &str = "P poll: Pending   # many polls: Pending   w woken   R poll: Ready";

/// A drawn timeline.
#[derive(Debug, PartialEq, Eq)]
pub struct Timeline {
    /// `task 0 |P   wR|`, one per task, all of one width.
    pub lanes: Vec<String>,
    /// The scale the lanes were drawn at.
    pub columns_per_delay: u32,
}

/// Draws `events` with time measured in `delay`s.
pub fn draw(events: &[Event], delay: Duration) -> Timeline {
    let delay = delay.max(Duration::from_millis(1));
    let end = events
        .iter()
        .map(|event| event.at)
        .max()
        .unwrap_or_default();
    let delays = end.as_secs_f64() / delay.as_secs_f64();
    let columns_per_delay = match (delays * f64::from(COLUMNS_PER_DELAY)).ceil() as u32 {
        columns if columns <= MAX_COLUMNS => COLUMNS_PER_DELAY,
        _ => ((f64::from(MAX_COLUMNS) / delays).floor() as u32).max(1),
    };
    // In whole nanoseconds: an event exactly on a column's edge lands in that column.
    let column =
        |at: Duration| (at.as_nanos() * u128::from(columns_per_delay) / delay.as_nanos()) as usize;

    let tasks = events.iter().map(|event| event.task + 1).max().unwrap_or(0);
    let mut lanes: Vec<String> = (0..tasks).map(|task| lane(events, task, column)).collect();
    let width = lanes
        .iter()
        .map(|lane| lane.chars().count())
        .max()
        .unwrap_or(0)
        .max(column(end) + 1);
    let label = tasks.saturating_sub(1).to_string().len();
    for (task, lane) in lanes.iter_mut().enumerate() {
        let padding = width - lane.chars().count();
        *lane = format!("task {task:>label$} |{lane}{}|", " ".repeat(padding));
    }
    Timeline {
        lanes,
        columns_per_delay,
    }
}

/// The marks of one task: each run of one kind of event within a column
/// becomes one mark, set in that column or, if it is taken, the next free one.
fn lane(events: &[Event], task: usize, column: impl Fn(Duration) -> usize) -> String {
    let mut mine: Vec<&Event> = events.iter().filter(|event| event.task == task).collect();
    // Wakes come from other threads, so the record can be a little out of order.
    mine.sort_by_key(|event| event.at);

    let mut marks: Vec<(usize, EventKind, u64)> = Vec::new();
    for event in mine {
        let at = column(event.at);
        match marks.last_mut() {
            Some((column, kind, count))
                if *column == at
                    && *kind == event.kind
                    && !matches!(event.kind, EventKind::Ready | EventKind::Dropped) =>
            {
                *count += event.count;
            }
            _ => marks.push((at, event.kind, event.count)),
        }
    }

    let mut lane = String::new();
    let mut free = 0;
    for (column, kind, count) in marks {
        let at = column.max(free);
        lane.extend(std::iter::repeat_n(' ', at - free));
        lane.push(match kind {
            EventKind::Pending if count == 1 => 'P',
            EventKind::Pending => '#',
            EventKind::Wake => 'w',
            EventKind::Ready => 'R',
            EventKind::Dropped => 'x',
        });
        free = at + 1;
    }
    lane
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(100);

    /// An event `sixteenths` sixteenths of a delay (one column) into the run.
    fn at(sixteenths: u32, task: usize, kind: EventKind, count: u64) -> Event {
        Event {
            at: DELAY * sixteenths / 16,
            task,
            kind,
            count,
        }
    }

    fn drawn(events: &[Event]) -> String {
        let timeline = draw(events, DELAY);
        format!(
            "{} columns per delay\n{}",
            timeline.columns_per_delay,
            timeline.lanes.join("\n")
        )
    }

    #[test]
    fn a_waker_executor_polls_each_task_twice() {
        use EventKind::*;
        let events = [
            at(0, 0, Pending, 1),
            at(0, 1, Pending, 1),
            at(16, 0, Wake, 1),
            at(16, 0, Ready, 1),
            at(32, 1, Wake, 1),
            at(32, 1, Ready, 1),
        ];
        insta::assert_snapshot!(drawn(&events), @"
        16 columns per delay
        task 0 |P               wR                |
        task 1 |P                               wR|
        ");
    }

    #[test]
    fn a_busy_executor_polls_all_the_time_and_a_finished_task_never_again() {
        use EventKind::*;
        let mut events = Vec::new();
        for column in 0..16 {
            events.push(at(column, 0, Pending, 5000));
            if column < 8 {
                events.push(at(column, 1, Pending, 5000));
            }
        }
        events.push(at(8, 1, Ready, 1));
        events.push(at(16, 0, Ready, 1));
        insta::assert_snapshot!(drawn(&events), @"
        16 columns per delay
        task 0 |################R|
        task 1 |########R        |
        ");
    }

    #[test]
    fn marks_in_one_column_keep_their_order_and_runs_of_one_kind_merge() {
        use EventKind::*;
        // Woken twice and polled at once; then woken again during its poll.
        let events = [
            at(0, 0, Pending, 1),
            at(8, 0, Wake, 1),
            at(8, 0, Wake, 1),
            at(8, 0, Pending, 1),
            at(8, 0, Wake, 1),
            at(8, 0, Ready, 1),
        ];
        insta::assert_snapshot!(drawn(&events), @"
        16 columns per delay
        task 0 |P       wPwR|
        ");
    }

    #[test]
    fn a_long_run_is_squeezed_to_fit_and_lanes_are_labelled_to_one_width() {
        use EventKind::*;
        let mut events: Vec<Event> = (0..11).map(|task| at(0, task, Pending, 1)).collect();
        events.push(at(8 * 16, 10, Wake, 1));
        events.push(at(8 * 16, 10, Ready, 1));
        let timeline = draw(&events, DELAY);
        assert_eq!(timeline.columns_per_delay, 8);
        assert_eq!(timeline.lanes[0], format!("task  0 |P{}|", " ".repeat(65)));
        assert_eq!(
            timeline.lanes[10],
            format!("task 10 |P{}wR|", " ".repeat(63))
        );
    }

    #[test]
    fn wakes_recorded_out_of_order_are_placed_by_time() {
        use EventKind::*;
        let events = [
            at(0, 0, Pending, 1),
            at(16, 0, Ready, 1),
            at(15, 0, Wake, 1),
        ];
        assert_eq!(draw(&events, DELAY).lanes, ["task 0 |P              wR|"]);
    }

    #[test]
    fn no_events_no_lanes() {
        assert_eq!(
            draw(&[], DELAY),
            Timeline {
                lanes: vec![],
                columns_per_delay: COLUMNS_PER_DELAY
            }
        );
    }
}
