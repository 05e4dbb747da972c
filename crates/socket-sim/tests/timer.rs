//! The one timer thread: no lost wake-up around a deadline, one thread for
//! every socket of the process, and 100,000 sockets served in order.
//!
//! These run on the real clock, since the timer thread is their subject. So
//! no verdict here rests on how soon the machine runs a thread: what is
//! checked is what the timer makes true whatever the load (never before a
//! deadline, every socket once, in the order of their deadlines), and every
//! wait is bounded by `lab::patience`.

use std::hint;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use lab::measure::{WakeCounter, thread_names};
use lab::patience::PATIENCE;
use socket_sim::{MySocket, TIMER_THREAD_NAME};
use support::{wait_until, woken};

mod support;

/// The timer thread is the whole process's: these tests take turns, so that
/// none measures it while another keeps it busy (100,000 wakes take a while
/// on a loaded machine).
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How many timer threads this process has: the threads that call the
/// wakers of 8 fresh sockets (a thread per socket would make 8 of them),
/// each of which must be named `socket-timer`; and, where `/proc` lists a
/// process's threads (Linux), every thread of that name.
///
/// A socket that a loaded machine let become readable before its
/// registration is woken at once, on this thread: those wakes tell nothing,
/// and are left out; the delay doubles until some wake comes from the timer.
fn timer_threads() -> usize {
    let mut delay = Duration::from_millis(100);
    let wakes = loop {
        let seen = Arc::new(WakingThreads::default());
        let sockets: Vec<MySocket> = (0..8)
            .map(|ms| {
                MySocket::builder()
                    .delay(delay + Duration::from_millis(ms))
                    .value(1)
                    .build()
            })
            .collect();
        for socket in &sockets {
            socket.set_readable_callback(std::task::Waker::from(Arc::clone(&seen)));
        }
        wait_until("the 8 sockets to be woken", || {
            seen.wakes.lock().unwrap().len() == sockets.len()
        });
        let here = thread::current().id();
        let wakes: Vec<_> = seen
            .wakes
            .lock()
            .unwrap()
            .iter()
            .filter(|(id, _)| *id != here)
            .cloned()
            .collect();
        if !wakes.is_empty() || delay > PATIENCE / 8 {
            break wakes;
        }
        delay *= 2;
    };
    assert!(
        wakes
            .iter()
            .all(|(_, name)| name.as_deref() == Some(TIMER_THREAD_NAME)),
        "woken by {wakes:?}"
    );
    let ids: std::collections::HashSet<_> = wakes.iter().map(|(id, _)| *id).collect();
    match thread_names() {
        Ok(names) => names
            .iter()
            .filter(|name| *name == TIMER_THREAD_NAME)
            .count()
            .max(ids.len()),
        Err(_) => ids.len(), // no /proc here
    }
}

/// A waker that notes which thread woke it.
#[derive(Default)]
struct WakingThreads {
    wakes: Mutex<Vec<(thread::ThreadId, Option<String>)>>,
}

impl std::task::Wake for WakingThreads {
    fn wake(self: Arc<Self>) {
        let me = thread::current();
        self.wakes
            .lock()
            .unwrap()
            .push((me.id(), me.name().map(str::to_owned)));
    }
}

/// Registers two wakers at staggered moments around each socket's deadline,
/// from two threads at once: whichever side of the deadline a registration
/// lands on, the newest waker is woken exactly once.
///
/// The test means something only if both sides of the deadline are hit
/// often. How often a round lands on which side depends on how soon the
/// machine runs the timer thread, so the rounds go on until each side was
/// hit 100 times (at least 2,500 rounds per thread), within `PATIENCE`.
#[test]
fn registering_around_the_deadline_never_loses_a_wake_up() {
    let _turn = turn();
    const SIDE: usize = 100;
    let delay = Duration::from_micros(100);
    let (early, late) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let start = Instant::now();
    let counters = thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut counters = Vec::new();
                    for round in 0u64.. {
                        // SeqCst: counts shared by the two threads, nothing more.
                        let both = early.load(Ordering::SeqCst) >= SIDE
                            && late.load(Ordering::SeqCst) >= SIDE;
                        if round >= 2_500 && both {
                            break;
                        }
                        assert!(
                            start.elapsed() < PATIENCE,
                            "in {PATIENCE:?}, {} registrations before the deadline and {} \
                             after it: fewer than {SIDE} on one side",
                            early.load(Ordering::SeqCst),
                            late.load(Ordering::SeqCst)
                        );
                        let socket = MySocket::builder().delay(delay).value(1).build();
                        // From 0 to 390 µs after the build: before, around and after the deadline.
                        let lead = Duration::from_micros(round % 40 * 10);
                        let built = Instant::now();
                        while built.elapsed() < lead {
                            hint::spin_loop();
                        }
                        let (older, newest) = (WakeCounter::new(), WakeCounter::new());
                        let side = match socket.has_data_to_read() {
                            true => &late,
                            false => &early,
                        };
                        side.fetch_add(1, Ordering::SeqCst);
                        socket.set_readable_callback(older.waker());
                        socket.set_readable_callback(newest.waker());
                        woken(&newest, 1);
                        counters.push((older, newest));
                    }
                    counters
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect::<Vec<_>>()
    });

    thread::sleep(Duration::from_millis(20)); // room for a wrong second wake-up to show
    for (older, newest) in counters {
        assert_eq!(newest.wakes(), 1, "the newest waker is woken exactly once");
        assert!(older.wakes() <= 1, "a replaced waker woken twice");
    }
}

#[test]
fn one_timer_thread_serves_sockets_built_on_many_threads() {
    let _turn = turn();
    let counter = WakeCounter::new();
    thread::scope(|scope| {
        for t in 0..8 {
            let counter = Arc::clone(&counter);
            scope.spawn(move || {
                let socket = MySocket::builder()
                    .delay(Duration::from_millis(10 + t))
                    .build();
                socket.set_readable_callback(counter.waker());
                woken(&counter, 1);
            });
        }
    });
    assert_eq!(timer_threads(), 1, "threads: {:?}", thread_names());
}

#[test]
fn one_timer_thread_wakes_100_000_pending_sockets_once_each_in_the_order_they_were_due() {
    let _turn = turn();
    const N: usize = 100_000;
    let order = Arc::new(WakeOrder::default());
    // One delay: the later a socket is built, the later it is due.
    let sockets: Vec<MySocket> = (0..N)
        .map(|i| {
            let socket = MySocket::builder()
                .delay(Duration::from_millis(300))
                .value(3)
                .build();
            socket.set_readable_callback(std::task::Waker::from(Arc::new(Noted {
                index: i,
                order: Arc::clone(&order),
            })));
            socket
        })
        .collect();
    wait_until("100,000 wakes", || order.0.lock().unwrap().len() >= N);
    assert!(sockets.iter().all(MySocket::has_data_to_read));
    // A socket that a machine slow to build 100,000 let become readable
    // before its registration was woken at once, by this thread: left out.
    let by_timer: Vec<usize> = order
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, on_timer)| *on_timer)
        .map(|(index, _)| *index)
        .collect();
    assert!(
        by_timer.is_sorted(),
        "the timer woke sockets out of the order they were due"
    );
    thread::sleep(Duration::from_millis(20)); // room for a wrong second wake-up to show
    assert_eq!(order.0.lock().unwrap().len(), N, "some socket woke twice");
    assert_eq!(timer_threads(), 1);
}

/// The order in which `Noted` wakers were woken: each one's index, and
/// whether the timer thread woke it (not a registration on a socket that was
/// readable already).
#[derive(Default)]
struct WakeOrder(Mutex<Vec<(usize, bool)>>);

/// A waker that notes its index in a `WakeOrder`.
struct Noted {
    index: usize,
    order: Arc<WakeOrder>,
}

impl std::task::Wake for Noted {
    fn wake(self: Arc<Self>) {
        let on_timer = thread::current().name() == Some(TIMER_THREAD_NAME);
        self.order.0.lock().unwrap().push((self.index, on_timer));
    }
}

/// A waker that notes when it was woken, and whether by the timer thread.
#[derive(Default)]
struct WokenAt(Mutex<Option<(Instant, bool)>>);

impl std::task::Wake for WokenAt {
    fn wake(self: Arc<Self>) {
        let by_timer = thread::current().name() == Some(TIMER_THREAD_NAME);
        self.0
            .lock()
            .unwrap()
            .get_or_insert_with(|| (Instant::now(), by_timer));
    }
}

#[test]
fn a_socket_behind_100_000_pending_ones_is_woken_promptly() {
    let _turn = turn();
    let crowd: Vec<MySocket> = (0..100_000)
        .map(|_| MySocket::builder().delay(Duration::from_secs(60)).build())
        .collect();
    let delay = Duration::from_millis(100);
    // A machine that held this thread up past the deadline before the
    // registration makes the registration wake at once, on this thread:
    // that round says nothing of the timer, and a new one is tried.
    let (start, woken_at, slept_until) = loop {
        let start = Instant::now();
        let socket = MySocket::builder().delay(delay).build();
        // How prompt is prompt, measured in the same run: a thread that
        // sleeps three delays, started alongside, wakes up later than the socket.
        let sleeper = thread::spawn(move || {
            thread::sleep(3 * delay);
            Instant::now()
        });
        let woken = Arc::new(WokenAt::default());
        socket.set_readable_callback(std::task::Waker::from(Arc::clone(&woken)));
        wait_until("the socket's wake", || woken.0.lock().unwrap().is_some());
        let (woken_at, by_timer) = woken.0.lock().unwrap().unwrap();
        let slept_until = sleeper.join().unwrap();
        if by_timer {
            break (start, woken_at, slept_until);
        }
    };
    assert!(
        woken_at >= start + delay,
        "woken {:?} after build, before its delay",
        woken_at - start
    );
    assert!(
        woken_at < slept_until,
        "woken {:?} after build: later than a thread that slept three delays ({:?})",
        woken_at - start,
        slept_until - start
    );
    // The crowd's deadline is a minute away, more than a test waits at most.
    assert!(crowd.iter().all(|socket| !socket.has_data_to_read()));
}

/// A waker that builds the next socket of a chain from inside `wake`, as an
/// executor polling a future inline would.
struct ChainLink {
    left: usize,
    /// Every socket of the chain, kept alive: dropping one would cancel it.
    sockets: Arc<Mutex<Vec<MySocket>>>,
    done: Arc<WakeCounter>,
}

impl std::task::Wake for ChainLink {
    fn wake(self: Arc<Self>) {
        if self.left == 0 {
            return self.done.waker().wake();
        }
        let next = MySocket::builder().delay(Duration::from_millis(1)).build();
        let link = ChainLink {
            left: self.left - 1,
            sockets: Arc::clone(&self.sockets),
            done: Arc::clone(&self.done),
        };
        next.set_readable_callback(Arc::new(link).into());
        self.sockets.lock().unwrap().push(next);
    }
}

#[test]
fn a_waker_may_build_new_sockets_while_it_is_woken() {
    let _turn = turn();
    // Were wakers called under the timer's lock, the first link would
    // deadlock trying to schedule its socket.
    let (done, sockets) = (WakeCounter::new(), Arc::default());
    let first = MySocket::builder().delay(Duration::from_millis(1)).build();
    let link = ChainLink {
        left: 20,
        sockets: Arc::clone(&sockets),
        done: Arc::clone(&done),
    };
    first.set_readable_callback(Arc::new(link).into());
    woken(&done, 1);
    assert_eq!(sockets.lock().unwrap().len(), 20);
}
