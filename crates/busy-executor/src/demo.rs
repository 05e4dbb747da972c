//! The stage 3 demo: 1, 2 and 10 sockets on the busy executor, with the
//! polls and the CPU time they cost.

use std::io::{self, Write};
use std::time::Duration;

use lab::demo::{Summary, about_delays};
use lab::measure::Thousands;
use simple_future::SocketFuture;
use socket_sim::MySocket;

use crate::{run_traced, run_with_stats};

/// Writes the stage 3 demo to `out`, with sockets that take `delay`; its
/// main run, traced, is the first: two sockets, the second ready first.
///
/// Takes about three delays. Values are seeded; times and poll counts vary
/// from run to run.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let socket =
        |delay, seed| SocketFuture::from(MySocket::builder().delay(delay).seed(seed).build());
    writeln!(
        out,
        "run() polls every unfinished future in turn, round after round, until all are Ready."
    )?;

    writeln!(out)?;
    let (outputs, stats, trace) = run_traced(vec![socket(delay, 1), socket(delay / 2, 2)]);
    let first = Summary {
        futures: Some(2),
        took: stats.measurement(),
        polls: Some(stats.polls),
        trace: Some(trace),
    };
    writeln!(
        out,
        "Two sockets, the second ready first: run() returned {outputs:?},"
    )?;
    writeln!(out, "the outputs in the order the futures were given.")?;
    writeln!(
        out,
        "It took {} polls, {}: {}",
        Thousands(stats.polls),
        about_delays(stats.wall, delay),
        stats.measurement()
    )?;

    writeln!(out)?;
    for sockets in [1, 2, 10] {
        let futures = (1..=sockets).map(|seed| socket(delay, seed)).collect();
        let (_, stats) = run_with_stats(futures);
        let label = if sockets == 1 {
            "1 socket:  ".to_owned()
        } else {
            format!("{sockets} sockets:")
        };
        writeln!(
            out,
            "{label:11} {}, {} polls; {}",
            about_delays(stats.wall, delay),
            Thousands(stats.polls),
            stats.measurement()
        )?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "Each set took about one delay, however many sockets: run() waits for all at once."
    )?;
    writeln!(
        out,
        "But it never waits for anything. Every socket was asked \"ready yet?\" over and over,"
    )?;
    writeln!(
        out,
        "and a core stayed busy the whole time, though nothing could happen until the timer fired."
    )?;
    Ok(first)
}
