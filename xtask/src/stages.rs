//! The one table of stages that every command reads: add a stage here, and
//! `list`, `test`, `walkthrough`, `fork`, `check` and the book know it.

use std::fmt::Write as _;

use lab::demo::Demo;
use lab::trace::EventKind::{self, Dropped as X, Pending as P, Ready as R, Wake as W};

use crate::timeline::Schedule;

/// One stage of the workspace: one crate, one idea.
#[derive(Debug)]
pub struct Stage {
    pub number: u8,
    /// The crate, under `crates/`.
    pub krate: &'static str,
    /// The idea this stage adds, in a few words.
    pub idea: &'static str,
    /// The section of the article it follows.
    pub section: &'static str,
    /// What to watch for in its demo.
    pub watch: &'static str,
    /// The flaw that remains, which the next stage fixes.
    pub flaw: &'static str,
    pub demo: Demo,
    /// What the book's timeline of its main run shows.
    pub picture: Picture,
}

/// What a stage's timeline shows: data about the stage, which the book draws
/// as it is and the walkthrough places its live run on.
#[derive(Clone, Copy, Debug)]
pub enum Picture {
    /// Busy waits without futures or an executor: a bar each, `(label, delays)`.
    Busy(&'static [(&'static str, f64)]),
    /// An executor's main run: when each task is woken (for a busy executor,
    /// found ready), and the trace a quiet machine records of it, as
    /// `(task, event)` in order (the stage's demo test checks it where the
    /// order is forced).
    Trace {
        schedule: Schedule,
        story: &'static [(usize, EventKind)],
        /// What a lane is: a task of the executor, a future inside one
        /// task, a worker thread.
        lane: &'static str,
    },
}

impl Picture {
    /// When each task is woken, for an executor's run, and what a lane is.
    pub fn schedule(self) -> Option<(Schedule, &'static str)> {
        match self {
            Picture::Trace { schedule, lane, .. } => Some((schedule, lane)),
            Picture::Busy(_) => None,
        }
    }
}

/// Every stage, in order.
pub const STAGES: &[Stage] = &[
    Stage {
        number: 1,
        krate: "socket-sim",
        idea: "a fake socket, read by busy waits",
        section: "The setup",
        watch: "reading two sockets together takes one delay instead of two, yet the CPU is busy the whole wait",
        flaw: "each new combination of sockets needs a new hand-written function, and every wait burns a core",
        demo: socket_sim::demo::run,
        picture: Picture::Busy(&[("get_num_sync(), twice", 2.0), ("the hardcoded pair", 1.0)]),
    },
    Stage {
        number: 2,
        krate: "simple-future",
        idea: "SimpleFuture and Poll: a future is polled",
        section: "How does it really work",
        watch: "poll answers Pending until the socket is ready; a bare wake fn() cannot say which future it is about",
        flaw: "polling futures one by one, by hand, does not scale: something must run many of them at once",
        demo: simple_future::demo::run,
        picture: Picture::Busy(&[("polled by hand", 1.0)]),
    },
    Stage {
        number: 3,
        krate: "busy-executor",
        idea: "an executor that polls every future in a loop",
        section: "Defining an executor",
        watch: "1, 2 or 10 sockets all take one delay, while the polls run into the millions and a core stays busy",
        flaw: "the loop never sleeps: it polls futures that cannot be ready yet and burns a core while it waits",
        demo: busy_executor::demo::run,
        picture: Picture::Trace {
            schedule: &[&[1.0], &[0.5]],
            story: &[(0, P), (1, P), (1, R), (0, R)],
            lane: "task",
        },
    },
    Stage {
        number: 4,
        krate: "waker-executor",
        idea: "an executor that sleeps until a waker says which task to poll",
        section: "Defining an executor",
        watch: "two polls per wait instead of millions, the CPU near 0 % while it waits, and a task that can never be woken named instead of a hang",
        flaw: "the waits here are stand-ins made ready by another thread; the socket still has no Future of its own that any executor can run",
        demo: waker_executor::demo::run,
        picture: Picture::Trace {
            schedule: &[&[1.0], &[2.0]],
            story: &[(0, P), (1, P), (0, W), (0, R), (1, W), (1, R)],
            lane: "task",
        },
    },
    Stage {
        number: 5,
        krate: "futsocket",
        idea: "the socket's std Future, written by hand",
        section: "Defining poll",
        watch: "the same sockets give the same numbers with two polls each, on this workspace's executor and on futures'",
        flaw: "writing poll by hand for every sequence of waits (open, then read) gets complicated fast",
        demo: futsocket::demo::run,
        picture: Picture::Trace {
            schedule: &[&[1.0], &[1.0]],
            story: &[(0, P), (1, P), (0, W), (1, W), (0, R), (1, R)],
            lane: "task",
        },
    },
    Stage {
        number: 6,
        krate: "async-await-demo",
        idea: "async fn and .await, and the state machine behind them",
        section: "Async/Await",
        watch: "two awaits in turn take two delays, join takes one; read_file and the hand-written ReadFile stop at the same await points",
        flaw: "the sockets are still simulated; real ones need a reactor that asks the operating system which are ready",
        demo: async_await_demo::demo::run,
        picture: Picture::Trace {
            schedule: &[&[1.0, 2.0], &[0.5, 1.0]],
            story: &[
                (0, P),
                (1, P),
                (1, W),
                (1, P),
                (0, W),
                (1, W),
                (0, P),
                (1, R),
                (0, W),
                (0, R),
            ],
            lane: "task",
        },
    },
    Stage {
        number: 7,
        krate: "mini-runtime",
        idea: "the same ideas on real TCP sockets: a mio reactor, timers and spawned tasks",
        section: "How is it used in production",
        watch: "two real sockets read together with join, in five polls; a thousand connections served at once; a yield loop that still lets a timer fire; all on one thread that sleeps in the reactor",
        flaw: "dropping a future cancels it, but nothing yet shows what that releases, or what a dropped future loses",
        demo: mini_runtime::demo::run,
        picture: Picture::Trace {
            schedule: &[&[1.0], &[2.0]],
            story: &[(0, P), (1, P), (0, W), (0, R), (1, P), (1, W), (1, R)],
            lane: "future",
        },
    },
    Stage {
        number: 8,
        krate: "cancellation",
        idea: "dropping a future cancels it: select, timeout and abort built from that",
        section: "beyond the article",
        watch: "the loser of a select dropped before select returns, its socket gone; abort as a wake; a read that loses half a frame to a timeout beside one that loses nothing; a futurelock, named",
        flaw: "everything still runs on one thread: a second core sits idle",
        demo: cancellation::demo::run,
        picture: Picture::Trace {
            schedule: &[&[1.0], &[]],
            story: &[(0, P), (1, P), (0, W), (0, R), (1, X)],
            lane: "future",
        },
    },
    Stage {
        number: 9,
        krate: "work-stealing",
        idea: "many threads: a queue per worker, an injector, and idle workers that steal",
        section: "the article's last claim",
        watch: "a steal forced by cause, two tasks on two workers; a thousand tasks and the echo on both; a yield loop on one worker that starves no timer",
        flaw: "tokio adds a LIFO slot, a fixed ring per worker, a poll budget and blocking threads; the bench measures what they buy",
        demo: work_stealing::demo::run,
        picture: Picture::Trace {
            schedule: &[&[1.0], &[]],
            story: &[(0, P), (0, W), (0, R), (1, R)],
            lane: "worker",
        },
    },
];

/// The stage named `name`: its number or its crate name; the error says
/// which there are.
pub fn find(name: &str) -> Result<&'static Stage, String> {
    STAGES
        .iter()
        .find(|stage| stage.krate == name || stage.number.to_string() == name)
        .ok_or_else(|| format!("unknown stage {name:?}; the stages are:\n{}", names()))
}

/// The stages, a line each: `  1  socket-sim`.
pub fn names() -> String {
    STAGES.iter().fold(String::new(), |mut names, stage| {
        let _ = writeln!(names, "  {}  {}", stage.number, stage.krate);
        names
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_numbered_in_order_from_one() {
        let numbers: Vec<u8> = STAGES.iter().map(|stage| stage.number).collect();
        let expected: Vec<u8> = (1..=STAGES.len() as u8).collect();
        assert_eq!(numbers, expected);
    }

    #[test]
    fn a_stage_is_found_by_number_or_crate_name_and_nothing_else() {
        assert_eq!(find("1").unwrap().krate, "socket-sim");
        assert_eq!(find("socket-sim").unwrap().number, 1);
        for wrong in ["0", "01", "socket_sim", "Socket-Sim", ""] {
            let Err(message) = find(wrong) else {
                panic!("{wrong:?} was found")
            };
            assert!(
                message.starts_with(&format!("unknown stage {wrong:?}; the stages are:\n")),
                "{message}"
            );
            assert!(message.contains("  1  socket-sim"), "{message}");
        }
    }
}
