//! The stage 5 demo: the same sockets as FutSockets on this workspace's
//! executor and on `futures_executor`'s, with the same outputs and polls.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::Duration;

use futures_executor::LocalPool;
use futures_util::FutureExt;
use futures_util::task::LocalSpawnExt;
use lab::demo::{Summary, about_delays};
use lab::measure::{PollCounter, Stopwatch};
use socket_sim::MySocket;

use crate::FutSocket;

/// Writes the stage 5 demo to `out`, with sockets that take `delay`; its
/// main run, traced, is the one on this workspace's executor.
///
/// Takes about three delays. The sockets are seeded, so only times vary.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let sockets =
        || [1, 2].map(|seed| FutSocket::from(MySocket::builder().delay(delay).seed(seed)));
    writeln!(
        out,
        "FutSocket::poll: Ready with the number if the socket is readable;"
    )?;
    writeln!(
        out,
        "else it hands the socket a clone of cx.waker() and says Pending."
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "Two FutSockets, ready after 1 delay, on this workspace's executor and on futures':"
    )?;
    let (outputs, stats, trace) = waker_executor::run_traced(Vec::from(sockets()));
    let took = stats.measurement();
    let ours = Summary {
        futures: Some(2),
        took,
        polls: Some(stats.polls),
        trace: Some(trace),
    };
    writeln!(
        out,
        "  waker_executor::run          {outputs:?}, {} polls, {}: {took}",
        stats.polls,
        about_delays(took.wall, delay)
    )?;

    let (outputs, polls, took) = {
        let (mut pool, counter, stopwatch) =
            (LocalPool::new(), PollCounter::new(), Stopwatch::start());
        let outputs = Rc::new(RefCell::new([None; 2]));
        for (index, socket) in sockets().into_iter().enumerate() {
            let outputs = Rc::clone(&outputs);
            let task = counter
                .count(socket)
                .map(move |value| outputs.borrow_mut()[index] = Some(value));
            pool.spawner()
                .spawn_local(task)
                .expect("the pool is running");
        }
        pool.run();
        let outputs = outputs
            .borrow()
            .map(|output| output.expect("every task finished"));
        (outputs, counter.polls(), stopwatch.elapsed())
    };
    writeln!(
        out,
        "  futures_executor::LocalPool  {outputs:?}, {polls} polls, {}: {took}",
        about_delays(took.wall, delay)
    )?;

    let [first, _] = sockets();
    let (counter, stopwatch) = (PollCounter::new(), Stopwatch::start());
    let output = futures_executor::block_on(counter.count(first));
    let took = stopwatch.elapsed();
    writeln!(
        out,
        "  futures_executor::block_on   {output} (the first alone), {} polls, {}: {took}",
        counter.polls(),
        about_delays(took.wall, delay)
    )?;

    writeln!(out)?;
    writeln!(
        out,
        "Same numbers, two polls per socket and an idle CPU on every executor: FutSocket keeps"
    )?;
    writeln!(
        out,
        "the contract of poll (never block, arrange a wake, then say Pending) and asks nothing more."
    )?;
    Ok(ours)
}
