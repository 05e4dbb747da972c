//! What the bench measured, as tables for the terminal and the book, a
//! chart, and the goals met or missed, judged against the runs' own noise.

use std::time::Duration;

use comfy_table::{CellAlignment, Table as Cells, presets};
use lab::measure::{Percent, Thousands};

use crate::Sizes;
use crate::cases::{Case, Sample};
use crate::echo::{EchoSample, Runtime};
use crate::http::HttpSample;
use crate::scheduler::SchedSample;
use crate::svg::{Anchor, Svg};
use crate::{cancel, scheduler};

/// Every measurement of one run. Where a case ran more than once, its runs
/// are kept in order of wall time: the middle one is the median.
pub struct Results {
    pub sizes: Sizes,
    /// Section 1 (and 2): a few sockets on every stage.
    pub few: Vec<(Case, usize, Sample)>,
    /// Section 2: what section 1 did not measure (LocalPool).
    pub polls: Vec<(Case, Sample)>,
    /// Section 3: many sockets on three executors.
    pub many: Vec<(Case, usize, Vec<Sample>)>,
    /// Section 4: ready futures on three executors.
    pub ready: Vec<(Case, Vec<Sample>)>,
    /// Section 5: echo runs, by runtime and connections.
    pub echo: Vec<(Runtime, usize, EchoSample)>,
    /// Section 5: idle connections held open, by runtime.
    pub idle: Vec<(Runtime, EchoSample)>,
    /// Section 6: stage 8's workloads, ours (true) or the peer's.
    pub cancel: Vec<(cancel::Workload, bool, SchedSample)>,
    /// Section 7: the scheduler workloads, by workers, stage 9's (true) or tokio's.
    pub sched: Vec<(scheduler::Workload, usize, bool, SchedSample)>,
    /// Section 9: wrk runs against hyper, by server, alternated.
    pub http: Vec<(http_server::Runtime, HttpSample)>,
    /// Why section 9 did not run, if it did not.
    pub http_skipped: Option<String>,
}

/// A table: a header and rows of cells, the first column a label, and
/// what to say under it (empty for most).
struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    after: String,
    /// A chart of it, for the book.
    chart: Option<&'static str>,
}

/// A goal of the bench, and how it went.
struct Goal {
    what: String,
    verdict: Verdict,
    measured: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Met,
    /// Past the goal, but by less than the runs' own spread: not a miss.
    WithinNoise,
    Missed,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::WithinNoise => "within noise",
            Verdict::Missed => "MISSED",
        }
    }
}

/// The least spread a comparison is granted: run to run, a peak RSS moves by
/// some pages and a time by some scheduling, even where one run is all there is.
const NOISE_FLOOR: f64 = 0.01;

/// What the goals' verdicts mean, under them in both reports (in Markdown,
/// its lines make one paragraph).
const VERDICTS: &str = "\
A goal is met when its ratio is on the goal's side. \"within noise\" is not a
miss: the ratio is past the goal by less than the spread of the runs
themselves (the range of a case's runs over their median, and at least 1 %),
so another run could turn it either way. MISSED is past the goal by more than
that: on this machine, in this run, the stage is behind its peer there. The
bench reports; it exits 0 either way, as judging the code is the tests' work.
";

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
            cancel: Vec::new(),
            sched: Vec::new(),
            http: Vec::new(),
            http_skipped: None,
        }
    }

    /// The report for a terminal.
    pub fn text(&self) -> String {
        let (name, machine) = (self.sizes.name, machine());
        let mut text = format!("poll-to-await bench ({name} sizes, {machine})\n");
        for table in self.tables() {
            text += &format!("\n{}\n", table.title);
            if !table.rows.is_empty() {
                text += &table.text();
            }
            if !table.after.is_empty() {
                text += &format!("\n{}", table.after);
            }
        }
        text += "\nGoals\n";
        for goal in self.goals() {
            text += &format!(
                "  {:12}  {}: {}\n",
                goal.verdict.word(),
                goal.what,
                goal.measured
            );
        }
        text + "\n" + VERDICTS
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
            page += &format!("\n## {}\n\n", table.title);
            if !table.rows.is_empty() {
                page += &table.markdown();
            }
            if let Some(chart) = table.chart.filter(|_| !table.rows.is_empty()) {
                page += &format!("\n![{}]({chart})\n", table.title);
            }
            if !table.after.is_empty() {
                page += &format!("\n{}", table.after);
            }
        }
        let goals = Table {
            after: String::new(),
            chart: None,
            title: "Goals".to_owned(),
            header: strings(&["", "goal", "measured"]),
            rows: self
                .goals()
                .into_iter()
                .map(|goal| {
                    let verdict = match goal.verdict {
                        Verdict::Missed => "**missed**".to_owned(),
                        verdict => verdict.word().to_owned(),
                    };
                    vec![verdict, goal.what, goal.measured]
                })
                .collect(),
        };
        page + &format!("\n## Goals\n\n{}\n{VERDICTS}", goals.markdown())
    }

    fn few(&self, case: Case, n: usize) -> Option<&Sample> {
        self.few
            .iter()
            .find(|(c, m, _)| *c == case && *m == n)
            .map(|(_, _, sample)| sample)
    }

    /// The median run of `case` on `n` sockets.
    fn many(&self, case: Case, n: usize) -> Option<&Sample> {
        self.many_runs(case, n).map(|runs| &runs[runs.len() / 2])
    }

    fn many_runs(&self, case: Case, n: usize) -> Option<&[Sample]> {
        let found = self.many.iter().find(|(c, m, _)| *c == case && *m == n);
        found.map(|(_, _, runs)| runs.as_slice())
    }

    fn ready(&self, case: Case) -> Option<&[Sample]> {
        let found = self.ready.iter().find(|(c, _)| *c == case);
        found.map(|(_, runs)| runs.as_slice())
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
            after: String::new(),
            chart: None,
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
            after: String::new(),
            chart: None,
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
            after: String::new(),
            chart: None,
        });

        let rows = self
            .ready
            .iter()
            .map(|(case, runs)| {
                let median = runs[runs.len() / 2];
                vec![
                    label(*case).to_owned(),
                    format!("{:.1}", ns_per(&median, *ready)),
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
            after: String::new(),
            chart: None,
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
        for runtime in Runtime::ALL {
            let mut runs: Vec<&EchoSample> = self
                .idle
                .iter()
                .filter(|(r, _)| *r == runtime)
                .map(|(_, s)| s)
                .collect();
            runs.sort_by_key(|sample| sample.peak_rss_kb);
            let Some(sample) = runs.get(runs.len() / 2) else {
                continue;
            };
            rows.push(vec![
                format!("{}, idle", runtime.name()),
                Thousands(self.sizes.idle as u64).to_string(),
                format!("peak RSS {:.1} MB", sample.peak_rss_kb as f64 / 1024.0),
                "-".to_owned(),
                sample.threads.to_string(),
            ]);
        }
        let title = format!(
            "5. Stage 7 against tokio and smol: loopback echo on one thread, {} round trips of 64 bytes per connection (median of {}, alternated; range)",
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
            after: String::new(),
            chart: None,
        });

        let rows = cancel::Workload::ALL
            .into_iter()
            .filter_map(|workload| {
                let (ours, theirs) = (self.cancel(workload, true)?, self.cancel(workload, false)?);
                Some(vec![
                    workload.what().to_owned(),
                    format!("{:.1} ns", ours.value),
                    format!("{:.1} ns", theirs.value),
                    format!("{:.2} x", ours.value / theirs.value),
                ])
            })
            .collect();
        tables.push(Table {
            title: format!(
                "6. Stage 8: select and timeout, ns per operation (median of {}, alternated)",
                self.sizes.echo_runs
            ),
            header: strings(&["operation (against)", "ours", "peer", "ours / peer"]),
            rows,
            after: String::new(),
            chart: None,
        });

        let mut rows = Vec::new();
        for workload in scheduler::Workload::ALL {
            for workers in [1, 2] {
                let (Some(ours), Some(theirs)) = (
                    self.sched(workload, workers, true, SchedSample::per_iteration),
                    self.sched(workload, workers, false, SchedSample::per_iteration),
                ) else {
                    continue;
                };
                let cpu = |stealing| {
                    self.sched(workload, workers, stealing, SchedSample::cpu_per_iteration)
                };
                let (ours_cpu, theirs_cpu) =
                    (cpu(true).unwrap_or(ours), cpu(false).unwrap_or(theirs));
                rows.push(vec![
                    format!("{} ({})", workload.name(), workload.unit()),
                    workers.to_string(),
                    format!("{:.3} ms", ours.value),
                    format!("{:.3} ms", theirs.value),
                    format!("{:.2} x", ours.value / theirs.value),
                    format!("{:.2} x", ours_cpu.value / theirs_cpu.value),
                ]);
            }
        }
        tables.push(Table {
            title: format!(
                "7. Stage 9 against tokio's multi-thread runtime: tokio's scheduler workloads, time per unit (median of {}, alternated)",
                self.sizes.echo_runs
            ),
            header: strings(&["workload (unit)", "workers", "stage 9", "tokio", "time ours / tokio", "CPU ours / tokio"]),
            rows,
            after: String::new(),
            chart: None,
        });

        let mut rows = Vec::new();
        for &connections in &self.sizes.echo {
            for runtime in Runtime::MULTI {
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
                ]);
            }
        }
        tables.push(Table {
            title: format!(
                "8. Stage 9 against tokio's multi-thread runtime: the loopback echo, {} round trips per connection (median of {}, alternated; range)",
                self.sizes.round_trips, self.sizes.echo_runs
            ),
            header: strings(&["runtime/workers", "connections", "round trips per second", "CPU per round trip"]),
            rows,
            after: String::new(),
            chart: None,
        });
        tables.push(self.http_table());
        tables
    }

    /// Stage 8's `workload`, ours or the peer's: ns per operation over the runs.
    fn cancel(&self, workload: cancel::Workload, ours: bool) -> Option<Measured> {
        let runs: Vec<f64> = self
            .cancel
            .iter()
            .filter(|(w, o, _)| *w == workload && *o == ours)
            .map(|(_, _, sample)| sample.per_iteration().as_secs_f64() * 1e9)
            .collect();
        Measured::of_values(runs)
    }

    /// `pick` (in ms) of the runs of a scheduler workload.
    fn sched(
        &self,
        workload: scheduler::Workload,
        workers: usize,
        stealing: bool,
        pick: fn(&SchedSample) -> Duration,
    ) -> Option<Measured> {
        let runs: Vec<f64> = self
            .sched
            .iter()
            .filter(|(w, n, s, _)| *w == workload && *n == workers && *s == stealing)
            .map(|(_, _, _, sample)| pick(sample).as_secs_f64() * 1e3)
            .collect();
        Measured::of_values(runs)
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
        let cpu_per_round_trip = cpu[cpu.len() / 2];
        let cpu_range = cpu[cpu.len() - 1] - cpu[0];
        Some(EchoStats {
            median: median.per_second(),
            low: runs[0].per_second(),
            high: runs[runs.len() - 1].per_second(),
            cpu_per_round_trip,
            cpu_spread: cpu_range.as_secs_f64() / cpu_per_round_trip.as_secs_f64().max(1e-12),
            threads: median.threads,
        })
    }

    fn goals(&self) -> Vec<Goal> {
        let mut goals = Vec::new();
        let largest = *self.sizes.many.iter().max().expect("some sizes");
        let at = |n: usize| format!("at {} sockets", Thousands(n as u64));
        let exactly = |what: String, met: bool, measured: String| Goal {
            what,
            verdict: if met { Verdict::Met } else { Verdict::Missed },
            measured,
        };

        let polls: Vec<(usize, u64)> = self
            .sizes
            .many
            .iter()
            .filter_map(|&n| Some((n, self.many(Case::Waker, n)?.polls?)))
            .collect();
        let measured = polls
            .iter()
            .map(|&(n, polls)| format!("{} {}", per(polls, n), at(n)));
        goals.push(exactly(
            "waker-executor polls exactly 2 per socket".to_owned(),
            polls.iter().all(|&(n, polls)| polls == 2 * n as u64),
            measured.collect::<Vec<_>>().join(", "),
        ));

        let many = self.sizes.many.iter().copied();
        let wait = many.filter(|&n| n <= 10_000).max().unwrap_or(largest);
        if let Some(sample) = self.many(Case::Waker, wait) {
            let share = sample.cpu.as_secs_f64() / sample.wall.as_secs_f64();
            let what = format!(
                "CPU share of a {}-socket wait under 0.5 %",
                Thousands(wait as u64)
            );
            goals.push(exactly(what, share < 0.005, Percent(share).to_string()));
        }

        let tasks = self.sizes.ready;
        let ready = |case| {
            self.ready(case)
                .map(|runs| Measured::of(runs, |s| ns_per(s, tasks)))
        };
        if let (Some(ours), Some(theirs)) = (ready(Case::ReadyWaker), ready(Case::ReadyLocalPool)) {
            let what = "ready futures: ns per task at most 0.5 x LocalPool's";
            goals.push(at_most(what, ours, theirs, 0.5, |v| format!("{v:.1} ns")));
        }

        let delay = self.sizes.many_delay;
        let measure = |case, pick: &dyn Fn(&Sample) -> f64| {
            self.many_runs(case, largest)
                .map(|runs| Measured::of(runs, pick))
        };
        let beyond = |sample: &Sample| sample.wall.saturating_sub(delay).as_secs_f64() * 1e3;
        if let (Some(ours), Some(theirs)) = (
            measure(Case::Waker, &beyond),
            measure(Case::LocalPool, &beyond),
        ) {
            let what = format!("time beyond D {} at most 0.8 x LocalPool's", at(largest));
            goals.push(at_most(&what, ours, theirs, 0.8, |v| format!("{v:.1} ms")));
        }
        let cpu = |sample: &Sample| sample.cpu.as_secs_f64() * 1e3;
        if let (Some(ours), Some(theirs)) =
            (measure(Case::Waker, &cpu), measure(Case::JoinAll, &cpu))
        {
            let what = format!("CPU time {} no more than join_all's", at(largest));
            goals.push(at_most(&what, ours, theirs, 1.0, |v| format!("{v:.1} ms")));
        }
        let rss = |sample: &Sample| sample.peak_rss_kb as f64 / 1024.0;
        if let (Some(ours), Some(theirs)) =
            (measure(Case::Waker, &rss), measure(Case::JoinAll, &rss))
        {
            let what = format!("peak RSS {} no more than join_all's", at(largest));
            goals.push(at_most(&what, ours, theirs, 1.0, |v| format!("{v:.1} MB")));
        }

        let threads: Vec<u64> = self
            .sizes
            .many
            .iter()
            .filter_map(|&n| Some(self.many(Case::Waker, n)?.threads))
            .collect();
        goals.push(exactly(
            "threads: the caller and the one timer thread".to_owned(),
            threads.iter().all(|&threads| threads == 2),
            format!("{threads:?}"),
        ));
        for &connections in &self.sizes.echo {
            let (Some(ours), Some(theirs)) = (
                self.echo_stats(Runtime::Mini, connections),
                self.echo_stats(Runtime::Tokio, connections),
            ) else {
                continue;
            };
            let connections = Thousands(connections as u64);
            // Higher is better here: past the goal is theirs over ours above 1.
            let (ratio, noise) = (
                ours.median / theirs.median,
                ours.spread().max(theirs.spread()),
            );
            let shown = format!(
                "{:.0} against {:.0}: {ratio:.2} x",
                ours.median, theirs.median
            );
            goals.push(judged(
                format!(
                    "echo round trips per second at {connections} connections at least tokio's"
                ),
                1.0 / ratio - 1.0,
                noise,
                shown,
            ));
            let us = |stats: &EchoStats| Measured {
                value: stats.cpu_per_round_trip.as_secs_f64() * 1e6,
                spread: stats.cpu_spread,
            };
            let what =
                format!("echo CPU per round trip at {connections} connections at most tokio's");
            goals.push(at_most(&what, us(&ours), us(&theirs), 1.0, |us| {
                format!("{us:.2} µs")
            }));
            goals.push(exactly(
                format!("stage 7 runs the echo on 1 thread at {connections} connections"),
                ours.threads == 1,
                format!("{} (tokio: {})", ours.threads, theirs.threads),
            ));
            if let Some(smol) = self.echo_stats(Runtime::Smol, connections.0 as usize) {
                let ratio = ours.median / smol.median;
                goals.push(judged(
                    format!(
                        "echo round trips per second at {connections} connections at least smol's"
                    ),
                    1.0 / ratio - 1.0,
                    ours.spread().max(smol.spread()),
                    format!(
                        "{:.0} against {:.0}: {ratio:.2} x",
                        ours.median, smol.median
                    ),
                ));
            }
        }
        for workload in [
            cancel::Workload::Select,
            cancel::Workload::TimeoutNever,
            cancel::Workload::TimeoutFires,
        ] {
            let (Some(ours), Some(theirs)) =
                (self.cancel(workload, true), self.cancel(workload, false))
            else {
                continue;
            };
            let what = format!("{}: at most the peer's time", workload.what());
            goals.push(at_most(&what, ours, theirs, 1.0, |ns| {
                format!("{ns:.1} ns")
            }));
        }
        for workload in scheduler::Workload::ALL {
            for workers in [1, 2] {
                let measure = |stealing, pick| self.sched(workload, workers, stealing, pick);
                let (Some(ours), Some(theirs)) = (
                    measure(true, SchedSample::per_iteration),
                    measure(false, SchedSample::per_iteration),
                ) else {
                    continue;
                };
                let name = format!("{} at {workers} worker(s)", workload.name());
                if workload == scheduler::Workload::Idle {
                    // Asleep for 100 ms: any CPU time is workers that spin.
                    if let Some(cpu) = measure(true, SchedSample::cpu_per_iteration) {
                        let share = cpu.value / ours.value;
                        let what = format!("stage 9 idle {name}: CPU share under 1 %");
                        goals.push(exactly(what, share < 0.01, Percent(share).to_string()));
                    }
                    continue;
                }
                let ms = |ms: f64| format!("{ms:.3} ms");
                goals.push(at_most(
                    &format!("{name}: time at most tokio's"),
                    ours,
                    theirs,
                    1.0,
                    ms,
                ));
                if let (Some(ours), Some(theirs)) = (
                    measure(true, SchedSample::cpu_per_iteration),
                    measure(false, SchedSample::cpu_per_iteration),
                ) {
                    let what = format!("{name}: CPU at most tokio's");
                    goals.push(at_most(&what, ours, theirs, 1.0, ms));
                }
            }
        }
        for &connections in &self.sizes.echo {
            for (ours, theirs) in [
                (Runtime::Stealing(1), Runtime::TokioMulti(1)),
                (Runtime::Stealing(2), Runtime::TokioMulti(2)),
            ] {
                let (Some(us), Some(them)) = (
                    self.echo_stats(ours, connections),
                    self.echo_stats(theirs, connections),
                ) else {
                    continue;
                };
                let at = format!(
                    "{} at {} connections",
                    ours.name(),
                    Thousands(connections as u64)
                );
                let ratio = us.median / them.median;
                goals.push(judged(
                    format!("echo round trips per second, {at}, at least tokio's"),
                    1.0 / ratio - 1.0,
                    us.spread().max(them.spread()),
                    format!("{:.0} against {:.0}: {ratio:.2} x", us.median, them.median),
                ));
                let cpu = |stats: &EchoStats| Measured {
                    value: stats.cpu_per_round_trip.as_secs_f64() * 1e6,
                    spread: stats.cpu_spread,
                };
                goals.push(at_most(
                    &format!("echo CPU per round trip, {at}, at most tokio's"),
                    cpu(&us),
                    cpu(&them),
                    1.0,
                    |us| format!("{us:.2} µs"),
                ));
            }
        }
        let idle = |runtime| {
            let runs: Vec<Sample> = self
                .idle
                .iter()
                .filter(|(r, _)| *r == runtime)
                .map(|(_, sample)| Sample {
                    peak_rss_kb: sample.peak_rss_kb,
                    ..Sample::default()
                })
                .collect();
            (!runs.is_empty()).then(|| Measured::of(&runs, rss))
        };
        if let (Some(ours), Some(theirs)) = (idle(Runtime::Mini), idle(Runtime::Tokio)) {
            let idle = Thousands(self.sizes.idle as u64);
            let what = format!("peak RSS with {idle} idle connections at most tokio's");
            goals.push(at_most(&what, ours, theirs, 1.0, |mb| {
                format!("{mb:.1} MB")
            }));
        }
        goals.extend(self.http_goals());
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

/// A value measured over one or more runs: the median, and the runs'
/// spread (their range over the median; 0 for one run).
#[derive(Clone, Copy, Debug)]
struct Measured {
    value: f64,
    spread: f64,
}

impl Measured {
    /// `pick` of the runs `runs`.
    fn of(runs: &[Sample], pick: impl Fn(&Sample) -> f64) -> Measured {
        Measured::of_values(runs.iter().map(pick).collect()).expect("at least one run")
    }

    /// The median and spread of `values`, if there are any.
    fn of_values(mut values: Vec<f64>) -> Option<Measured> {
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let value = values[values.len() / 2];
        let range = values[values.len() - 1] - values[0];
        let spread = if value > 0.0 { range / value } else { 0.0 };
        Some(Measured { value, spread })
    }
}

/// A goal that a measured value of ours is at most `limit` times theirs,
/// judged against the noise of the two.
fn at_most(
    what: &str,
    ours: Measured,
    theirs: Measured,
    limit: f64,
    show: impl Fn(f64) -> String,
) -> Goal {
    let ratio = ours.value / theirs.value.max(f64::MIN_POSITIVE);
    let shown = format!(
        "{} against {}: {ratio:.2} x",
        show(ours.value),
        show(theirs.value)
    );
    judged(
        what.to_owned(),
        ratio / limit - 1.0,
        ours.spread.max(theirs.spread),
        shown,
    )
}

/// A goal whose measure is `over` its limit (as a fraction: 0.1 is 10 % over;
/// at most 0 is met), with runs as noisy as `noise` says, `shown` so.
fn judged(what: String, over: f64, noise: f64, shown: String) -> Goal {
    let noise = noise.max(NOISE_FLOOR);
    let verdict = match over {
        _ if over <= 0.0 => Verdict::Met,
        _ if over <= noise => Verdict::WithinNoise,
        _ => Verdict::Missed,
    };
    let measured = match verdict {
        Verdict::Met => shown,
        _ => format!(
            "{shown}, over the goal by {:.1} % (spread {:.1} %)",
            over * 100.0,
            noise * 100.0
        ),
    };
    Goal {
        what,
        verdict,
        measured,
    }
}

impl Table {
    /// The cells, a column per header, in `preset`'s borders: the label to
    /// the left, and numbers to the right.
    fn cells(&self, preset: &str) -> Cells {
        let mut cells = Cells::new();
        cells.load_preset(preset).set_header(self.header.clone());
        cells.add_rows(self.rows.clone());
        // Numbers to the right; the goals are words.
        if self.title != "Goals" {
            for column in cells.column_iter_mut().skip(1) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        cells
    }

    /// Aligned columns two spaces apart, indented by two.
    fn text(&self) -> String {
        let mut cells = self.cells(presets::NOTHING);
        for column in cells.column_iter_mut() {
            column.set_padding((0, 2));
        }
        cells
            .lines()
            .map(|line| format!("  {}\n", line.trim_end()))
            .collect()
    }

    fn markdown(&self) -> String {
        self.cells(presets::ASCII_MARKDOWN).trim_fmt() + "\n"
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
    /// The range of the runs' CPU per round trip, over its median.
    cpu_spread: f64,
    threads: u64,
}

impl EchoStats {
    /// The range of the runs' round trips per second, over their median.
    fn spread(&self) -> f64 {
        (self.high - self.low) / self.median
    }
}

/// What section 9 does and does not show, under its table in both reports.
const HTTP_MEANING: &str = "\
What this shows: the cost of serving a small request with hyper, runtime
by runtime, where little else costs anything: an 18-byte body over
loopback, so that the runtime's wakes, polls and system calls are a large
part of each request. What it does not: a network's latency, TLS, or a
handler that does real work would each shrink the differences. It is one
machine, and wrk (one thread) runs on the same two cores as the server: a
server that wants less CPU leaves wrk more of it, and the runtimes with two
workers share the cores with wrk, so their workers are not two free cores.
CPU time is the server process's alone, from when it listens to when wrk is
done. Requests per second move with whatever else the machine runs (the
ranges say how much); CPU per request moves far less, and the goals compare
runs made one after the other, pair by pair.
";

/// Requests per second, latency and CPU over the runs of one server.
struct HttpStats {
    per_second: Measured,
    low: f64,
    high: f64,
    p50: Duration,
    p99: Duration,
    /// Microseconds of CPU per request, and the least and most of a run.
    cpu: Measured,
    cpu_low: f64,
    cpu_high: f64,
    threads: u64,
}

impl Results {
    /// The servers of section 9, in the order of its table: each stage's
    /// runtime, then its peer.
    fn http_servers(&self) -> [http_server::Runtime; 4] {
        let workers = self.sizes.http_workers;
        [
            http_server::Runtime::Mini,
            http_server::Runtime::Tokio,
            http_server::Runtime::Stealing(workers),
            http_server::Runtime::TokioMulti(workers),
        ]
    }

    fn http_stats(&self, server: http_server::Runtime) -> Option<HttpStats> {
        let runs: Vec<&HttpSample> = self
            .http
            .iter()
            .filter(|(runtime, _)| *runtime == server)
            .map(|(_, sample)| sample)
            .collect();
        if runs.is_empty() {
            return None;
        }
        let median = |mut values: Vec<f64>| {
            values.sort_by(f64::total_cmp);
            let value = values[values.len() / 2];
            let (low, high) = (values[0], values[values.len() - 1]);
            (value, low, high)
        };
        let measured = |(value, low, high): (f64, f64, f64)| Measured {
            value,
            spread: if value > 0.0 {
                (high - low) / value
            } else {
                0.0
            },
        };
        let seconds = |pick: fn(&HttpSample) -> Duration| {
            median(runs.iter().map(|run| pick(run).as_secs_f64()).collect()).0
        };
        let per_second = median(runs.iter().map(|run| run.per_second()).collect());
        let cpu = median(
            runs.iter()
                .map(|run| run.cpu_per_request().as_secs_f64() * 1e6)
                .collect(),
        );
        Some(HttpStats {
            per_second: measured(per_second),
            low: per_second.1,
            high: per_second.2,
            p50: Duration::from_secs_f64(seconds(|run| run.p50)),
            p99: Duration::from_secs_f64(seconds(|run| run.p99)),
            cpu: measured(cpu),
            cpu_low: cpu.1,
            cpu_high: cpu.2,
            threads: runs.iter().map(|run| run.threads).max().unwrap_or(0),
        })
    }

    fn http_table(&self) -> Table {
        let sizes = &self.sizes;
        let title = format!(
            "9. hyper's HTTP/1.1 server under wrk: stages 7 and 9 against tokio's runtimes, {} connections, {} s a run (median of {}, alternated; range)",
            sizes.http_connections, sizes.http_seconds, sizes.http_runs
        );
        let rows = self
            .http_servers()
            .into_iter()
            .filter_map(|server| Some((server, self.http_stats(server)?)))
            .map(|(server, stats)| {
                vec![
                    http_label(server),
                    format!(
                        "{:.0} ({:.0} to {:.0})",
                        stats.per_second.value, stats.low, stats.high
                    ),
                    micros(stats.p50),
                    micros(stats.p99),
                    format!("{:.2} µs", stats.cpu.value),
                    stats.threads.to_string(),
                ]
            })
            .collect();
        let after = match &self.http_skipped {
            Some(why) => format!("Not measured in this run: {why}.\n"),
            None => HTTP_MEANING.to_owned(),
        };
        Table {
            title,
            header: strings(&[
                "server",
                "requests per second",
                "latency p50",
                "latency p99",
                "CPU per request",
                "threads",
            ]),
            rows,
            after,
            chart: Some("bench-http.svg"),
        }
    }

    /// Each stage against its peer: requests per second at least theirs,
    /// CPU per request at most theirs. Judged by the ratio of runs made
    /// side by side (the i-th run of each, one after the other), whose
    /// median and spread are less at the mercy of the machine's load than
    /// two medians taken minutes apart.
    fn http_goals(&self) -> Vec<Goal> {
        let [mini, tokio, stealing, tokio_multi] = self.http_servers();
        let workers = self.sizes.http_workers;
        let pairs = [
            (
                "stage 7".to_owned(),
                mini,
                "tokio's current-thread runtime's".to_owned(),
                tokio,
            ),
            (
                format!("stage 9 ({workers} workers)"),
                stealing,
                format!("tokio's multi-thread runtime's ({workers} workers)"),
                tokio_multi,
            ),
        ];
        let mut goals = Vec::new();
        for (us, ours, them, theirs) in pairs {
            let (Some(rate), Some(cpu)) = (
                self.http_ratio(ours, theirs, HttpSample::per_second),
                self.http_ratio(ours, theirs, |run| run.cpu_per_request().as_secs_f64()),
            ) else {
                continue;
            };
            let (Some(our), Some(their)) = (self.http_stats(ours), self.http_stats(theirs)) else {
                continue;
            };
            let shown = format!(
                "{:.0} against {:.0}; run by run {:.2} x",
                our.per_second.value, their.per_second.value, rate.value
            );
            goals.push(judged(
                format!("HTTP requests per second on {us} at least {them}"),
                1.0 / rate.value - 1.0,
                rate.spread,
                shown,
            ));
            let shown = format!(
                "{:.2} µs against {:.2} µs; run by run {:.2} x",
                our.cpu.value, their.cpu.value, cpu.value
            );
            goals.push(judged(
                format!("HTTP CPU per request on {us} at most {them}"),
                cpu.value - 1.0,
                cpu.spread,
                shown,
            ));
        }
        goals
    }

    /// `pick` of `ours` over `pick` of `theirs`, run by run in the order
    /// they ran: the median ratio, and the ratios' spread.
    fn http_ratio(
        &self,
        ours: http_server::Runtime,
        theirs: http_server::Runtime,
        pick: impl Fn(&HttpSample) -> f64,
    ) -> Option<Measured> {
        let runs = |server| {
            self.http
                .iter()
                .filter(move |(runtime, _)| *runtime == server)
        };
        let mut ratios: Vec<f64> = runs(ours)
            .zip(runs(theirs))
            .map(|((_, our), (_, their))| pick(our) / pick(their).max(f64::MIN_POSITIVE))
            .collect();
        if ratios.is_empty() {
            return None;
        }
        ratios.sort_by(f64::total_cmp);
        let value = ratios[ratios.len() / 2];
        let spread = (ratios[ratios.len() - 1] - ratios[0]) / value.max(f64::MIN_POSITIVE);
        Some(Measured { value, spread })
    }

    /// Section 9 as bars, two panels: requests per second and CPU per
    /// request of each server, the median as the bar and the runs' range
    /// as a line across its end.
    pub fn http_svg(&self) -> String {
        let servers: Vec<_> = self
            .http_servers()
            .into_iter()
            .filter_map(|server| Some((server, self.http_stats(server)?)))
            .collect();
        let (width, top, row) = (640.0, 40.0, 36.0);
        let panel = row * servers.len() as f64 + 70.0;
        let mut svg = Svg::new(width, top + 2.0 * panel);
        let title = "hyper under wrk (median of the runs; the line spans them)";
        svg.text((16.0, 22.0), Anchor::Start, 14, title);
        if servers.is_empty() {
            let why = self.http_skipped.as_deref().unwrap_or("no runs");
            let said = format!("Not measured: {why}");
            svg.text((16.0, top + 20.0), Anchor::Start, 12, &said);
            return svg.finish();
        }
        let rates = servers.iter().map(|(server, stats)| {
            let (value, low, high) = (stats.per_second.value, stats.low, stats.high);
            (*server, value, low, high)
        });
        bars(
            &mut svg,
            top,
            "requests per second",
            rates.collect(),
            |rate| Thousands(rate.round() as u64).to_string(),
        );
        let cpus = servers.iter().map(|(server, stats)| {
            let (value, low, high) = (stats.cpu.value, stats.cpu_low, stats.cpu_high);
            (*server, value, low, high)
        });
        bars(
            &mut svg,
            top + panel,
            "CPU per request",
            cpus.collect(),
            |us| format!("{us:.0} µs"),
        );
        svg.finish()
    }
}

/// One panel of bars under `title`, from `top`: a bar per server to its
/// value, a line from its low to its high, on an axis from 0 to a round
/// number (4 steps of 1, 2 or 5 times a power of ten) labelled by `label`.
fn bars(
    svg: &mut Svg,
    top: f64,
    title: &str,
    rows: Vec<(http_server::Runtime, f64, f64, f64)>,
    label: impl Fn(f64) -> String,
) {
    let (width, left, right, row) = (640.0, 230.0, 30.0, 36.0);
    svg.text((left, top + 4.0), Anchor::Start, 13, title);
    let top = top + 16.0;
    let highest = rows
        .iter()
        .map(|row| row.3)
        .fold(f64::MIN_POSITIVE, f64::max);
    let power = 10f64.powf((highest / 4.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| 4.0 * step >= highest)
        .unwrap_or(10.0 * power);
    let x = |value: f64| left + value / (4.0 * step) * (width - left - right);
    let bottom = top + row * rows.len() as f64;
    svg.line((left, top - 6.0), (left, bottom), "black");
    for tick in 0..=4 {
        let value = step * f64::from(tick);
        svg.text((x(value), bottom + 18.0), Anchor::Middle, 12, &label(value));
    }
    for (index, (server, value, low, high)) in rows.into_iter().enumerate() {
        let y = top + row * index as f64;
        // The stages in one colour, tokio's runtimes in another.
        let colour = match server {
            http_server::Runtime::Mini | http_server::Runtime::Stealing(_) => "#1b9e77",
            _ => "#d95f02",
        };
        svg.rect((left, y), (x(value) - left, row - 12.0), colour, 0.85);
        let middle = y + (row - 12.0) / 2.0;
        svg.line((x(low), middle), (x(high), middle), "black");
        let name = http_label(server);
        svg.text((left - 8.0, middle + 4.0), Anchor::End, 12, &name);
    }
}

/// A server of section 9, as its table and chart name it.
fn http_label(server: http_server::Runtime) -> String {
    match server {
        http_server::Runtime::Mini => "stage 7, mini-runtime".to_owned(),
        http_server::Runtime::Tokio => "tokio, current-thread".to_owned(),
        http_server::Runtime::Stealing(n) => format!("stage 9, work-stealing, {n} workers"),
        http_server::Runtime::TokioMulti(n) => format!("tokio, multi-thread, {n} workers"),
    }
}

fn micros(duration: Duration) -> String {
    let micros = duration.as_secs_f64() * 1e6;
    match micros {
        _ if micros >= 1000.0 => format!("{:.2} ms", micros / 1000.0),
        _ => format!("{micros:.0} µs"),
    }
}
