//! The one timer thread: no lost wake-up around a deadline, one thread for
//! every socket of the process, and 100,000 sockets served on time.

use std::hint;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use lab::measure::{WakeCounter, thread_names};
use socket_sim::{MySocket, TIMER_THREAD_NAME};
use support::woken;

mod support;

/// How late a socket may be: generous, for a loaded machine running debug builds.
const SLACK: Duration = Duration::from_millis(500);

/// How many timer threads this process has: the threads that call the
/// wakers of 8 fresh sockets (a thread per socket would make 8 of them),
/// each of which must be named `socket-timer`; and, where `/proc` lists a
/// process's threads (Linux), every thread of that name. A socket that a
/// loaded machine let become readable before its registration is woken at
/// once, on this thread: those wakes tell nothing, and are left out.
fn timer_threads() -> usize {
    let seen = Arc::new(WakingThreads::default());
    let sockets: Vec<MySocket> = (0..8)
        .map(|ms| {
            MySocket::builder()
                .delay(Duration::from_millis(100 + ms))
                .value(1)
                .build()
        })
        .collect();
    for socket in &sockets {
        socket.set_readable_callback(std::task::Waker::from(Arc::clone(&seen)));
    }
    let start = Instant::now();
    while seen.wakes.lock().unwrap().len() < sockets.len() {
        assert!(
            start.elapsed() < support::PATIENCE,
            "the 8 sockets were never all woken"
        );
        thread::sleep(Duration::from_millis(1));
    }
    let here = thread::current().id();
    let wakes: Vec<_> = seen
        .wakes
        .lock()
        .unwrap()
        .iter()
        .filter(|(id, _)| *id != here)
        .cloned()
        .collect();
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
#[test]
fn registering_around_the_deadline_never_loses_a_wake_up() {
    const ROUNDS: u64 = 2_500; // per thread
    let delay = Duration::from_micros(100);
    let counts = thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(move || {
                    let (mut early, mut late) = (0, 0);
                    let mut counters = Vec::new();
                    for round in 0..ROUNDS {
                        let socket = MySocket::builder().delay(delay).value(1).build();
                        // From 0 to 390 µs after the build: before, around and after the deadline.
                        let lead = Duration::from_micros(round % 40 * 10);
                        let built = Instant::now();
                        while built.elapsed() < lead {
                            hint::spin_loop();
                        }
                        let (older, newest) = (WakeCounter::new(), WakeCounter::new());
                        if socket.has_data_to_read() {
                            late += 1
                        } else {
                            early += 1
                        }
                        socket.set_readable_callback(older.waker());
                        socket.set_readable_callback(newest.waker());
                        assert!(
                            woken(&newest, 1),
                            "round {round}: wake-up lost ({lead:?} after build)"
                        );
                        counters.push((older, newest));
                    }
                    (early, late, counters)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap())
            .collect::<Vec<_>>()
    });

    thread::sleep(Duration::from_millis(20)); // room for a wrong second wake-up to show
    let (mut early, mut late) = (0, 0);
    for (e, l, counters) in counts {
        (early, late) = (early + e, late + l);
        for (older, newest) in counters {
            assert_eq!(newest.wakes(), 1, "the newest waker is woken exactly once");
            assert!(older.wakes() <= 1, "a replaced waker woken twice");
        }
    }
    // The test means something only if both sides of the deadline were hit.
    assert!(
        early > 0 && late > 0,
        "registrations all on one side: {early} before, {late} after"
    );
}

#[test]
fn one_timer_thread_serves_sockets_built_on_many_threads() {
    let counter = WakeCounter::new();
    thread::scope(|scope| {
        for t in 0..8 {
            let counter = Arc::clone(&counter);
            scope.spawn(move || {
                let socket = MySocket::builder()
                    .delay(Duration::from_millis(10 + t))
                    .build();
                socket.set_readable_callback(counter.waker());
                assert!(woken(&counter, 1));
            });
        }
    });
    assert_eq!(timer_threads(), 1, "threads: {:?}", thread_names());
}

#[test]
fn one_timer_thread_wakes_100_000_pending_sockets_once_each() {
    const N: usize = 100_000;
    let delay = Duration::from_millis(300);
    let counter = WakeCounter::new();
    let start = Instant::now();
    let sockets: Vec<MySocket> = (0..N)
        .map(|_| MySocket::builder().delay(delay).value(3).build())
        .collect();
    let last_deadline = start.elapsed() + delay;
    for socket in &sockets {
        socket.set_readable_callback(counter.waker());
    }
    assert!(woken(&counter, N), "only {} of {N} woken", counter.wakes());
    let all_woken = start.elapsed();

    assert!(sockets.iter().all(MySocket::has_data_to_read));
    assert!(
        all_woken < last_deadline + SLACK,
        "all woken after {all_woken:?}, last deadline {last_deadline:?}"
    );
    thread::sleep(Duration::from_millis(20));
    assert_eq!(counter.wakes(), N, "some socket woke twice");
    assert_eq!(timer_threads(), 1);
}

#[test]
fn a_socket_is_on_time_behind_100_000_pending_ones() {
    let crowd: Vec<MySocket> = (0..100_000)
        .map(|_| MySocket::builder().delay(Duration::from_secs(60)).build())
        .collect();
    let delay = Duration::from_millis(50);
    let start = Instant::now();
    let socket = MySocket::builder().delay(delay).build();
    let counter = WakeCounter::new();
    socket.set_readable_callback(counter.waker());
    assert!(woken(&counter, 1));
    let took = start.elapsed();
    assert!(
        took >= delay && took < delay + SLACK,
        "woken after {took:?}, delay {delay:?}"
    );
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
    assert!(woken(&done, 1), "the chain of 20 sockets stopped");
    assert_eq!(sockets.lock().unwrap().len(), 20);
}
