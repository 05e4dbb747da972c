//! The lab: what the stages use to be measured and shown, kept out of the
//! lessons themselves. Not a stage, and it depends on none.
//!
//! A stage's `src/` holds its idea and what makes that idea correct. Every
//! number the workspace shows (polls, wakes, wall and CPU time, traces of
//! who was polled when) is taken from outside, by wrapping the futures and
//! their wakers, the way an instrument is clipped onto a circuit:
//!
//! - [`measure`]: wall and CPU time, CPU shares, wake and poll counters;
//! - [`trace`]: the record of polls and wakes per task that the walkthrough
//!   draws as a timeline;
//! - [`probe`]: a future wrapper that counts and traces each poll, with a
//!   fresh waker wrapper per poll that counts and traces each wake;
//! - [`demo`]: what every stage's demo shares: the [`demo::Summary`] it
//!   returns, the transcript helpers its tests snapshot, and `main`;
//! - [`patience`]: for tests whose failure could be a hang: every wait
//!   bounded, and a hang named from what the probes saw;
//! - [`clock`]: a clock that a test stops and moves on itself, so that what
//!   is ready at which poll no longer depends on the machine's load;
//! - [`threads`]: the threads events happen on, by number and name;
//! - [`tef`]: a trace written in the Trace Event Format, for Perfetto and
//!   Chrome's tracing.
#![forbid(unsafe_code)]

pub mod clock;
pub mod demo;
pub mod measure;
pub mod patience;
pub mod probe;
pub mod tef;
pub mod threads;
pub mod trace;
