//! What the bench measured, as tables for the terminal and the book, a
//! chart, and the goals met or missed.

use std::time::Duration;

use lab::measure::{Percent, Thousands};
use lab::svg::{Anchor, Svg};

use crate::Sizes;
use crate::cases::{Case, Sample};
use crate::echo::{EchoSample, Runtime};

/// Every measurement of one run.
pub struct Results {
    pub sizes: Sizes,
    /// Section 1 (and 2): a few sockets on every stage.
    pub few: Vec<(Case, usize, Sample)>,
    /// Section 2: what section 1 did not measure (LocalPool).
    pub polls: Vec<(Case, Sample)>,
    /// Section 3: many sockets on three executors.
    pub many: Vec<(Case, usize, Sample)>,
    /// Section 4: ready futures on three executors.
    pub ready: Vec<(Case, Sample)>,
    /// Section 5: echo runs, by runtime and connections.
    pub echo: Vec<(Runtime, usize, EchoSample)>,
    /// Section 5: idle connections held open, by runtime.
    pub idle: Vec<(Runtime, EchoSample)>,
}

/// A table: a header and rows of cells, the first column a label.
struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// A goal of the bench, and how it went.
struct Goal {
    what: String,
    met: bool,
    measured: String,
}

impl Results {
    pub fn new(sizes: Sizes) -> Results {
        Results {
            sizes,
            few: Vec::new(),
            polls: Vec::new(),
            many: Vec::new(),
            ready: Vec::new(),
            echo: Vec::new(),
            idle: Vec::new(),
        }
    }

    /// The report for a terminal.
    pub fn text(&self) -> String {
        let mut text = format!(
            "poll-to-await bench ({} sizes, {})\n",
            self.sizes.name,
            machine()
        );
        for table in self.tables() {
            text += &format!("\n{}\n{}", table.title, table.text());
        }
        text += "\nGoals\n";
        for goal in self.goals() {
            let verdict = if goal.met { "met   " } else { "MISSED" };
            text += &format!("  {verdict}  {}: {}\n", goal.what, goal.measured);
        }
        text
    }

    /// The report for the book.
    pub fn markdown(&self) -> String {
        let mut page = format!(
            "# The numbers\n\n\
             Written by `cargo xtask bench` ({} sizes, {}): each case ran in a \
             process of its own, in a release build; sections 3 and 4 keep the \
             median of {} runs. Run it again on your machine; the ratios matter \
             more than the milliseconds.\n\n\
             ![Time beyond the delay, against the number of sockets](bench.svg)\n",
            self.sizes.name,
            machine(),
            self.sizes.repeats
        );
        for table in self.tables() {
            page += &format!("\n## {}\n\n{}", table.title, table.markdown());
        }
        page += "\n## Goals\n\n| | goal | measured |\n|---|---|---|\n";
        for goal in self.goals() {
            page += &format!(
                "| {} | {} | {} |\n",
                if goal.met { "met" } else { "**missed**" },
                goal.what,
                goal.measured
            );
        }
        page
    }

    fn few(&self, case: Case, n: usize) -> Option<&Sample> {
        self.few
            .iter()
            .find(|(c, m, _)| *c == case && *m == n)
            .map(|(_, _, sample)| sample)
    }

    fn many(&self, case: Case, n: usize) -> Option<&Sample> {
        self.many
            .iter()
            .find(|(c, m, _)| *c == case && *m == n)
            .map(|(_, _, sample)| sample)
    }

    fn ready(&self, case: Case) -> Option<&Sample> {
        self.ready
            .iter()
            .find(|(c, _)| *c == case)
            .map(|(_, sample)| sample)
    }

    fn tables(&self) -> Vec<Table> {
        let Sizes {
            delay,
            few,
            many,
            many_delay,
            ready,
            ..
        } = &self.sizes;
        let ms = delay.as_millis();
        let mut tables = Vec::new();

        let mut header = vec!["how".to_owned()];
        header.extend(few.iter().map(|n| format!("N={n}")));
        let rows = [
            Case::Sync,
            Case::Hardcoded,
            Case::Busy,
            Case::Waker,
            Case::Async,
        ]
        .into_iter()
        .map(|case| {
            let mut row = vec![label(case).to_owned()];
            row.extend(few.iter().map(|&n| {
                self.few(case, n)
                    .map_or("-".to_owned(), |sample| millis(sample.wall))
            }));
            row
        })
        .collect();
        let title = format!(
            "1. N sockets of {ms} ms: wall time (the ideal: N x {ms} ms in turn, {ms} ms at once)"
        );
        tables.push(Table {
            title,
            header,
            rows,
        });

        let largest = *few.iter().max().expect("some sizes");
        let polled = [
            (Case::Busy, self.few(Case::Busy, largest)),
            (Case::Waker, self.few(Case::Waker, largest)),
        ]
        .into_iter()
        .chain(
            self.polls
                .iter()
                .map(|(case, sample)| (*case, Some(sample))),
        );
        let rows = polled
            .filter_map(|(case, sample)| Some((case, sample?)))
            .map(|(case, sample)| {
                vec![
                    label(case).to_owned(),
                    per(sample.polls.unwrap_or(0), largest),
                    share(sample),
                ]
            })
            .collect();
        let title =
            format!("2. Polls per future and CPU share of the wait, {largest} sockets of {ms} ms");
        tables.push(Table {
            title,
            header: strings(&["executor", "polls per future", "CPU share"]),
            rows,
        });

        let rows = many
            .iter()
            .flat_map(|&n| [Case::Waker, Case::LocalPool, Case::JoinAll].map(move |case| (case, n)))
            .filter_map(|(case, n)| Some((case, n, self.many(case, n)?)))
            .map(|(case, n, sample)| {
                vec![
                    label(case).to_owned(),
                    Thousands(n as u64).to_string(),
                    millis_precise(sample.wall.saturating_sub(*many_delay)),
                    millis_precise(sample.wall.saturating_sub(*many_delay + sample.built)),
                    millis_precise(sample.cpu),
                    format!("{:.1} MB", sample.peak_rss_kb as f64 / 1024.0),
                    sample.threads.to_string(),
                    per(sample.polls.unwrap_or(0), n),
                ]
            })
            .collect();
        let title = format!(
            "3. N FutSockets of {} ms (median of {})",
            many_delay.as_millis(),
            self.sizes.repeats
        );
        let header = strings(&[
            "executor",
            "N",
            "beyond D",
            "after last deadline",
            "CPU time",
            "peak RSS",
            "threads",
            "polls per future",
        ]);
        tables.push(Table {
            title,
            header,
            rows,
        });

        let rows = self
            .ready
            .iter()
            .map(|(case, sample)| {
                vec![
                    label(*case).to_owned(),
                    format!("{:.1}", ns_per(sample, *ready)),
                ]
            })
            .collect();
        let title = format!(
            "4. {} ready futures (median of {})",
            Thousands(*ready as u64),
            self.sizes.repeats
        );
        tables.push(Table {
            title,
            header: strings(&["executor", "ns per task"]),
            rows,
        });

        let mut rows = Vec::new();
        for &connections in &self.sizes.echo {
            for runtime in Runtime::ALL {
                let Some(stats) = self.echo_stats(runtime, connections) else {
                    continue;
                };
                rows.push(vec![
                    runtime.name().to_owned(),
                    Thousands(connections as u64).to_string(),
                    format!(
                        "{:.0} ({:.0} to {:.0})",
                        stats.median, stats.low, stats.high
                    ),
                    format!("{:.2} µs", stats.cpu_per_round_trip.as_secs_f64() * 1e6),
                    stats.threads.to_string(),
                ]);
            }
        }
        for (runtime, sample) in &self.idle {
            rows.push(vec![
                format!("{}, idle", runtime.name()),
                Thousands(self.sizes.idle as u64).to_string(),
                format!("peak RSS {:.1} MB", sample.peak_rss_kb as f64 / 1024.0),
                "-".to_owned(),
                sample.threads.to_string(),
            ]);
        }
        let title = format!(
            "5. Stage 7 against tokio: loopback echo on one thread, {} round trips of 64 bytes per connection (median of {}, alternated; range)",
            self.sizes.round_trips, self.sizes.echo_runs
        );
        let header = strings(&[
            "runtime",
            "connections",
            "round trips per second",
            "CPU per round trip",
            "threads",
        ]);
        tables.push(Table {
            title,
            header,
            rows,
        });
        tables
    }

    /// The median and range of round trips per second over the runs of
    /// `runtime` at `connections`, with the median run's CPU per round trip.
    fn echo_stats(&self, runtime: Runtime, connections: usize) -> Option<EchoStats> {
        let mut runs: Vec<&EchoSample> = self
            .echo
            .iter()
            .filter(|(r, c, _)| *r == runtime && *c == connections)
            .map(|(_, _, s)| s)
            .collect();
        if runs.is_empty() {
            return None;
        }
        runs.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
        let median = runs[runs.len() / 2];
        let mut cpu: Vec<_> = runs.iter().map(|run| run.cpu_per_round_trip()).collect();
        cpu.sort();
        Some(EchoStats {
            median: median.per_second(),
            low: runs[0].per_second(),
            high: runs[runs.len() - 1].per_second(),
            cpu_per_round_trip: cpu[cpu.len() / 2],
            threads: median.threads,
        })
    }

    fn goals(&self) -> Vec<Goal> {
        let mut goals = Vec::new();
        let largest = *self.sizes.many.iter().max().expect("some sizes");
        let at = |n: usize| format!("at {} sockets", Thousands(n as u64));

        let polls: Vec<(usize, u64)> = self
            .sizes
            .many
            .iter()
            .filter_map(|&n| Some((n, self.many(Case::Waker, n)?.polls?)))
            .collect();
        goals.push(Goal {
            what: "waker-executor polls exactly 2 per socket".to_owned(),
            met: polls.iter().all(|&(n, polls)| polls == 2 * n as u64),
            measured: polls
                .iter()
                .map(|&(n, polls)| format!("{} {}", per(polls, n), at(n)))
                .collect::<Vec<_>>()
                .join(", "),
        });

        let wait = self
            .sizes
            .many
            .iter()
            .copied()
            .filter(|&n| n <= 10_000)
            .max()
            .unwrap_or(largest);
        if let Some(sample) = self.many(Case::Waker, wait) {
            let share = sample.cpu.as_secs_f64() / sample.wall.as_secs_f64();
            goals.push(Goal {
                what: format!(
                    "CPU share of a {}-socket wait under 0.5 %",
                    Thousands(wait as u64)
                ),
                met: share < 0.005,
                measured: Percent(share).to_string(),
            });
        }

        let ready = |case| {
            self.ready(case)
                .map(|sample| ns_per(sample, self.sizes.ready))
        };
        if let (Some(ours), Some(theirs)) = (ready(Case::ReadyWaker), ready(Case::ReadyLocalPool)) {
            goals.push(ratio_goal(
                "ready futures: ns per task at most 0.5 x LocalPool's",
                ours,
                theirs,
                0.5,
                |v| format!("{v:.1} ns"),
            ));
        }

        let beyond = |case| {
            self.many(case, largest).map(|sample| {
                sample
                    .wall
                    .saturating_sub(self.sizes.many_delay)
                    .as_secs_f64()
                    * 1e3
            })
        };
        if let (Some(ours), Some(theirs)) = (beyond(Case::Waker), beyond(Case::LocalPool)) {
            let what = format!("time beyond D {} at most 0.8 x LocalPool's", at(largest));
            goals.push(ratio_goal(&what, ours, theirs, 0.8, |v| {
                format!("{v:.1} ms")
            }));
        }
        let measure = |case, pick: fn(&Sample) -> f64| self.many(case, largest).map(pick);
        let cpu = |sample: &Sample| sample.cpu.as_secs_f64() * 1e3;
        if let (Some(ours), Some(theirs)) = (measure(Case::Waker, cpu), measure(Case::JoinAll, cpu))
        {
            let what = format!("CPU time {} no more than join_all's", at(largest));
            goals.push(ratio_goal(&what, ours, theirs, 1.0, |v| {
                format!("{v:.1} ms")
            }));
        }
        let rss = |sample: &Sample| sample.peak_rss_kb as f64 / 1024.0;
        if let (Some(ours), Some(theirs)) = (measure(Case::Waker, rss), measure(Case::JoinAll, rss))
        {
            let what = format!("peak RSS {} no more than join_all's", at(largest));
            goals.push(ratio_goal(&what, ours, theirs, 1.0, |v| {
                format!("{v:.1} MB")
            }));
        }

        let threads: Vec<u64> = self
            .sizes
            .many
            .iter()
            .filter_map(|&n| Some(self.many(Case::Waker, n)?.threads))
            .collect();
        goals.push(Goal {
            what: "threads: the caller and the one timer thread".to_owned(),
            met: threads.iter().all(|&threads| threads == 2),
            measured: format!("{threads:?}"),
        });
        for &connections in &self.sizes.echo {
            let (Some(ours), Some(theirs)) = (
                self.echo_stats(Runtime::Mini, connections),
                self.echo_stats(Runtime::Tokio, connections),
            ) else {
                continue;
            };
            // Higher is better here: at least 1.0 x tokio's, within the noise
            // the runs show (their range).
            let ratio = ours.median / theirs.median;
            let noise = ((theirs.high - theirs.low) / theirs.median)
                .max((ours.high - ours.low) / ours.median);
            let met = ratio >= 1.0 - noise;
            goals.push(Goal {
                what: format!(
                    "echo round trips per second at {} connections at least tokio's, within the noise",
                    Thousands(connections as u64)
                ),
                met,
                measured: format!(
                    "{:.0} against {:.0}: {ratio:.2} x (noise {:.0} %)",
                    ours.median,
                    theirs.median,
                    noise * 100.0
                ),
            });
            goals.push(ratio_goal(
                &format!(
                    "echo CPU per round trip at {} connections at most tokio's",
                    Thousands(connections as u64)
                ),
                ours.cpu_per_round_trip.as_secs_f64() * 1e6,
                theirs.cpu_per_round_trip.as_secs_f64() * 1e6,
                1.0,
                |us| format!("{us:.2} µs"),
            ));
            goals.push(Goal {
                what: format!(
                    "stage 7 runs the echo on 1 thread at {} connections",
                    Thousands(connections as u64)
                ),
                met: ours.threads == 1,
                measured: format!("{} (tokio: {})", ours.threads, theirs.threads),
            });
        }
        let idle = |runtime| {
            self.idle
                .iter()
                .find(|(r, _)| *r == runtime)
                .map(|(_, sample)| sample.peak_rss_kb)
        };
        if let (Some(ours), Some(theirs)) = (idle(Runtime::Mini), idle(Runtime::Tokio)) {
            goals.push(ratio_goal(
                &format!(
                    "peak RSS with {} idle connections at most tokio's",
                    Thousands(self.sizes.idle as u64)
                ),
                ours as f64 / 1024.0,
                theirs as f64 / 1024.0,
                1.0,
                |mb| format!("{mb:.1} MB"),
            ));
        }
        goals
    }

    /// A chart of the time beyond the delay against N, a line per executor.
    pub fn svg(&self) -> String {
        let (width, height, left, right, top, bottom) = (640.0, 360.0, 70.0, 170.0, 30.0, 50.0);
        let executors = [Case::Waker, Case::LocalPool, Case::JoinAll];
        let colours = ["#1b9e77", "#d95f02", "#7570b3"];
        let ns: Vec<usize> = self.sizes.many.clone();
        let points = |case| -> Vec<(usize, f64)> {
            ns.iter()
                .filter_map(|&n| {
                    Some((
                        n,
                        self.many(case, n)?
                            .wall
                            .saturating_sub(self.sizes.many_delay)
                            .as_secs_f64()
                            * 1e3,
                    ))
                })
                .collect()
        };
        let highest = executors
            .iter()
            .flat_map(|&case| points(case))
            .map(|(_, ms)| ms)
            .fold(0.0, f64::max)
            .max(1.0);
        let (low, high) = ((ns[0] as f64).log10(), (ns[ns.len() - 1] as f64).log10());
        let x = |n: usize| {
            let span = (high - low).max(1e-9);
            left + ((n as f64).log10() - low) / span * (width - left - right)
        };
        let y = |ms: f64| height - bottom - ms / highest * (height - top - bottom);

        let mut svg = Svg::new(width, height);
        let title = format!(
            "Time beyond the delay of {} ms, against the number of sockets",
            self.sizes.many_delay.as_millis()
        );
        svg.text((left, 18.0), Anchor::Start, 14, &title);
        let (x0, x1, y0, y1) = (left, width - right, height - bottom, top);
        svg.line((x0, y0), (x1, y0), "black");
        svg.line((x0, y0), (x0, y1), "black");
        for &n in &ns {
            svg.text(
                (x(n), y0 + 18.0),
                Anchor::Middle,
                12,
                &Thousands(n as u64).to_string(),
            );
        }
        svg.text(
            ((x0 + x1) / 2.0, height - 8.0),
            Anchor::Middle,
            12,
            "sockets (log scale)",
        );
        for step in 0..=4 {
            let ms = highest * f64::from(step) / 4.0;
            svg.text(
                (x0 - 6.0, y(ms) + 4.0),
                Anchor::End,
                12,
                &format!("{ms:.1} ms"),
            );
        }
        for (index, (case, colour)) in executors.iter().zip(colours).enumerate() {
            let line: Vec<(f64, f64)> =
                points(*case).iter().map(|&(n, ms)| (x(n), y(ms))).collect();
            svg.polyline(&line, colour);
            for &point in &line {
                svg.circle(point, 3.0, colour, colour);
            }
            let legend_y = top + 20.0 + 20.0 * index as f64;
            svg.rect((x1 + 16.0, legend_y - 10.0), (12.0, 12.0), colour, 1.0);
            svg.text((x1 + 34.0, legend_y), Anchor::Start, 12, short_label(*case));
        }
        svg.finish()
    }
}

/// A goal that a measured value of ours is at most `limit` times theirs.
fn ratio_goal(
    what: &str,
    ours: f64,
    theirs: f64,
    limit: f64,
    show: impl Fn(f64) -> String,
) -> Goal {
    let ratio = ours / theirs.max(f64::MIN_POSITIVE);
    let met = ratio <= limit;
    let mut measured = format!("{} against {}: {ratio:.2} x", show(ours), show(theirs));
    if !met {
        measured += &format!(", over the goal by {:.0} %", (ratio / limit - 1.0) * 100.0);
    }
    Goal {
        what: what.to_owned(),
        met,
        measured,
    }
}

impl Table {
    fn widths(&self) -> Vec<usize> {
        (0..self.header.len())
            .map(|column| {
                let cells = self.rows.iter().map(|row| row[column].chars().count());
                cells
                    .chain([self.header[column].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Aligned columns: the label to the left, numbers to the right.
    fn text(&self) -> String {
        let widths = self.widths();
        let line = |cells: &[String]| {
            let cells: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(column, (cell, &width))| {
                    if column == 0 {
                        format!("{cell:width$}")
                    } else {
                        format!("{cell:>width$}")
                    }
                })
                .collect();
            format!("  {}\n", cells.join("  ").trim_end())
        };
        let mut text = line(&self.header);
        for row in &self.rows {
            text += &line(row);
        }
        text
    }

    fn markdown(&self) -> String {
        let row = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let rule: Vec<String> = (0..self.header.len())
            .map(|column| {
                if column == 0 {
                    "---".into()
                } else {
                    "---:".into()
                }
            })
            .collect();
        let mut table = row(&self.header) + &row(&rule);
        for cells in &self.rows {
            table += &row(cells);
        }
        table
    }
}

fn label(case: Case) -> &'static str {
    match case {
        Case::Sync => "sync, in turn (stage 1)",
        Case::Hardcoded => "hardcoded pair (stage 1)",
        Case::Busy => "busy-executor (stage 3)",
        Case::Waker => "waker-executor + FutSocket",
        Case::Async => "async fns (stage 6)",
        Case::LocalPool => "futures LocalPool",
        Case::JoinAll => "block_on(join_all(..))",
        Case::ReadyWaker => "waker-executor",
        Case::ReadyLocalPool => "futures LocalPool",
        Case::ReadyJoinAll => "block_on(join_all(..))",
    }
}

/// A label short enough for the chart's legend.
fn short_label(case: Case) -> &'static str {
    match case {
        Case::Waker => "waker-executor",
        Case::LocalPool => "LocalPool",
        Case::JoinAll => "join_all",
        other => label(other),
    }
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| cell.to_string()).collect()
}

fn millis(duration: Duration) -> String {
    format!("{} ms", duration.as_millis())
}

fn millis_precise(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

fn share(sample: &Sample) -> String {
    Percent(sample.cpu.as_secs_f64() / sample.wall.as_secs_f64().max(f64::MIN_POSITIVE)).to_string()
}

/// `total` per one of `n`, whole with separators when large, else with a decimal.
fn per(total: u64, n: usize) -> String {
    let per = total as f64 / n.max(1) as f64;
    if per >= 1000.0 || per.fract() == 0.0 {
        Thousands(per.round() as u64).to_string()
    } else {
        format!("{per:.1}")
    }
}

fn ns_per(sample: &Sample, tasks: usize) -> f64 {
    sample.wall.as_nanos() as f64 / tasks.max(1) as f64
}

/// The machine the numbers come from: how many cores it has.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    format!("{cores} cores")
}

/// Round trips per second over the runs of one runtime at one size.
struct EchoStats {
    median: f64,
    low: f64,
    high: f64,
    cpu_per_round_trip: Duration,
    threads: u64,
}
