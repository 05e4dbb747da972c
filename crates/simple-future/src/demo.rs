//! The stage 2 demo: polling by hand, what a bare `wake: fn()` can and cannot
//! tell, and one future that waits twice.

use std::io::{self, Write};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use lab::demo::{Summary, about_delays};
use lab::measure::{Stopwatch, Thousands};
use socket_sim::MySocket;

use crate::{Poll, ReadTwoInTurn, SimpleFuture, SocketFuture};

/// Writes the stage 2 demo to `out`, with sockets that take `delay`; its
/// main run is one SocketFuture polled by hand.
///
/// Takes about five delays. Every socket is seeded and sockets that race
/// have different delays, so only times and the count of busy polls vary.
pub fn run(out: &mut dyn Write, delay: Duration) -> io::Result<Summary> {
    let socket = |delays: u32, seed| MySocket::builder().delay(delay * delays).seed(seed).build();
    writeln!(
        out,
        "A SimpleFuture is polled: each poll() answers Ready(value) or Pending, \"not yet\"."
    )?;

    writeln!(out)?;
    writeln!(out, "1. Polling one SocketFuture by hand, again and again")?;
    let mut future = SocketFuture::from(socket(1, 1));
    let stopwatch = Stopwatch::start();
    let mut pending = 0;
    let value = loop {
        match future.poll(do_nothing) {
            Poll::Ready(value) => break value,
            Poll::Pending => pending += 1,
        }
    };
    let took = stopwatch.elapsed();
    let by_hand = Summary {
        futures: Some(1),
        took,
        polls: Some(pending + 1),
        trace: None,
    };
    writeln!(
        out,
        "  Pending {} times, then Ready({value})",
        Thousands(pending)
    )?;
    writeln!(out, "  {}: {took}", about_delays(took.wall, delay))?;
    writeln!(
        out,
        "  poll() never blocks, so a caller with nothing better to do asks again at once."
    )?;

    writeln!(out)?;
    writeln!(out, "2. Polling again only when wake() is called")?;
    writeln!(
        out,
        "  SocketFuture hands poll's `wake: fn()` to its socket, which calls it once readable."
    )?;
    writeln!(
        out,
        "  Two futures, a (ready after 1 delay) and b (after 2). First poll of each:"
    )?;
    let (mut a, mut b) = (
        SocketFuture::from(socket(1, 1)),
        SocketFuture::from(socket(2, 2)),
    );
    let (start, rings) = (Instant::now(), BELL.rings());
    writeln!(
        out,
        "    a: {:?}, b: {:?}",
        a.poll(ring_the_bell),
        b.poll(ring_the_bell)
    )?;
    if delay.is_zero() {
        writeln!(
            out,
            "  Both were readable at once (the delay is 0), so no wake() is ever needed."
        )?;
        return part_3(out, delay, by_hand);
    }
    BELL.wait_for(rings + 1);
    writeln!(
        out,
        "  wake() was called, {} in. By which socket? A fn() carries no data,",
        about_delays(start.elapsed(), delay)
    )?;
    writeln!(out, "  so it cannot say; all we can do is poll both:")?;
    writeln!(
        out,
        "    a: {:?}, b: {:?}",
        a.poll(ring_the_bell),
        b.poll(ring_the_bell)
    )?;
    BELL.wait_for(rings + 2);
    writeln!(
        out,
        "  wake() again, {} in. a is finished, so only b is polled:",
        about_delays(start.elapsed(), delay)
    )?;
    writeln!(out, "    b: {:?}", b.poll(ring_the_bell))?;
    writeln!(
        out,
        "  5 polls instead of millions. Yet every wake() meant polling every unfinished future,"
    )?;
    writeln!(
        out,
        "  and all a fn() can reach is global state, shared by everything in the process."
    )?;
    part_3(out, delay, by_hand)
}

/// Part 3 of the demo: one future that waits twice. Returns `summary`.
fn part_3(out: &mut dyn Write, delay: Duration, summary: Summary) -> io::Result<Summary> {
    writeln!(out)?;
    writeln!(out, "3. One future, two waits: ReadTwoInTurn")?;
    writeln!(
        out,
        "  It reads one socket, then builds a second and reads that, keeping its place between polls."
    )?;
    let mut future = ReadTwoInTurn::new(
        MySocket::builder().delay(delay).seed(1),
        MySocket::builder().delay(delay).seed(2),
    );
    let start = Instant::now();
    for poll in 1.. {
        let rings = BELL.rings();
        let outcome = future.poll(ring_the_bell);
        writeln!(out, "    poll {poll}: {outcome:?}")?;
        if let Poll::Ready(_) = outcome {
            break;
        }
        BELL.wait_for(rings + 1);
        writeln!(
            out,
            "    wake() after {}",
            about_delays(start.elapsed(), delay)
        )?;
    }
    writeln!(
        out,
        "  Pending once per wait, then Ready: its state carried it from one socket to the next."
    )?;
    BELL.answered();
    Ok(summary)
}

/// The wake function of part 1: nobody is listening.
fn do_nothing() {}

/// The wake function of parts 2 and 3. Being a bare `fn()`, all it can
/// touch is global state.
fn ring_the_bell() {
    BELL.ring();
}

static BELL: Bell = Bell {
    rings: Mutex::new(Rings {
        count: 0,
        unanswered: None,
    }),
    rung: Condvar::new(),
};

/// Counts the calls of [`ring_the_bell`] and lets the demo sleep until the next.
struct Bell {
    rings: Mutex<Rings>,
    rung: Condvar,
}

struct Rings {
    count: u64,
    /// From a ring until the demo waits again (or ends): the demo is busy
    /// polling because of it. A paused clock ([`lab::clock`]) that runs the
    /// demo in a test moves on only when nobody is busy (its probes cannot
    /// see polls made by hand).
    unanswered: Option<lab::probe::Busy>,
}

impl Bell {
    fn ring(&self) {
        let mut rings = self.rings.lock().unwrap();
        rings.count += 1;
        rings.unanswered.get_or_insert_with(lab::probe::busy);
        self.rung.notify_all();
    }

    fn rings(&self) -> u64 {
        self.rings.lock().unwrap().count
    }

    /// Sleeps until the bell has rung `rings` times in all: what earlier
    /// rings asked for is done.
    fn wait_for(&self, rings: u64) {
        self.answered();
        lab::patience::wait_until(
            "wake() to be called (is the socket's timer running?)",
            || {
                let count = self.rings.lock().unwrap();
                let (count, _) = self
                    .rung
                    .wait_timeout_while(count, Duration::from_millis(20), |now| now.count < rings)
                    .unwrap();
                count.count >= rings
            },
        );
    }

    /// The demo has done what the rings so far asked for.
    fn answered(&self) {
        let busy = self.rings.lock().unwrap().unanswered.take();
        drop(busy);
    }
}
