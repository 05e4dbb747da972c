//! The contract of one socket: when it is readable, what it reads, whom it
//! wakes, on the real clock and its timer thread. (`tests/paused.rs` checks
//! the same socket on a paused clock, where the delays can be exact.)

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use lab::measure::WakeCounter;
use lab::patience::panic_message;
use socket_sim::{MySocket, socket_counts};
use support::{wait_for_readable, wait_until, woken};

mod support;

const DELAY: Duration = Duration::from_millis(50);

/// The timer thread is the whole process's: the test that measures how
/// promptly it fires and the one that loads it with 100,000 sockets take
/// turns.
static TIMER_TURN: Mutex<()> = Mutex::new(());

fn socket(delay: Duration) -> MySocket {
    MySocket::builder().delay(delay).value(7).build()
}

/// Builds a socket due in `DELAY` and lets `register` hand it wakers; tries
/// again with a new one if the socket was readable by the time `register`
/// was done (a loaded machine can hold this thread up for a whole delay),
/// so that every registration surely came before the timer's mark.
fn registered_before_the_deadline<A, B>(
    register: impl Fn(&MySocket) -> (A, B),
) -> (A, B, MySocket) {
    let mut result = None;
    wait_until(
        "a round whose registrations all came before the deadline",
        || {
            let socket = socket(DELAY);
            let (a, b) = register(&socket);
            if socket.has_data_to_read() {
                return false;
            }
            result = Some((a, b, socket));
            true
        },
    );
    result.expect("a round")
}

/// The message of the panic `f` makes.
fn panics(f: impl FnOnce()) -> String {
    panic_message(panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic"))
}

#[test]
fn readable_no_earlier_than_its_delay_and_promptly_after() {
    let _turn = TIMER_TURN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = Instant::now();
    let socket = socket(DELAY);
    // How prompt is prompt, measured in the same run: a thread that sleeps
    // three delays, started alongside, wakes up after the socket is readable.
    let sleeper = thread::spawn(|| thread::sleep(3 * DELAY));
    // Unless a loaded machine kept this thread off the CPU for the whole delay.
    let (readable, looked) = (socket.has_data_to_read(), built.elapsed());
    assert!(
        !readable || looked >= DELAY,
        "readable {looked:?} after build, before its delay"
    );
    wait_until("the socket to be readable, or the sleeper to wake", || {
        socket.has_data_to_read() || sleeper.is_finished()
    });
    // Read before `elapsed`: whatever the clock says next is no earlier.
    let readable = socket.has_data_to_read();
    let took = built.elapsed();
    assert!(
        readable,
        "not readable after {took:?}, when a thread that slept three delays woke up"
    );
    assert!(
        took >= DELAY,
        "readable after {took:?}, before its delay of {DELAY:?}"
    );
    assert!(socket.has_data_to_read(), "readable stays readable");
}

/// A waker that notes, when woken, its name and whether the timer thread
/// woke it (a registration on a socket readable already wakes at once).
struct Named(&'static str, Arc<Mutex<Vec<(&'static str, bool)>>>);

impl Wake for Named {
    fn wake(self: Arc<Self>) {
        let by_timer = thread::current().name() == Some(socket_sim::TIMER_THREAD_NAME);
        self.1.lock().unwrap().push((self.0, by_timer));
    }
}

#[test]
fn sockets_with_different_delays_are_woken_in_the_order_of_their_deadlines() {
    // Built first, due last: unless this thread was held up for a whole
    // delay between the two builds, which the clock readings around them
    // tell; then a new pair is tried.
    let (late, early) = loop {
        let before = Instant::now();
        let late = socket(DELAY * 2);
        let early = socket(DELAY);
        if before.elapsed() < DELAY {
            break (late, early);
        }
    };
    let order = Arc::new(Mutex::new(Vec::new()));
    for (name, socket) in [("late", &late), ("early", &early)] {
        socket.set_readable_callback(Waker::from(Arc::new(Named(name, Arc::clone(&order)))));
    }
    wait_until("both wakes", || order.lock().unwrap().len() == 2);
    // Even when a slow machine let both deadlines pass before the timer
    // looked, it wakes them in the order they were due.
    let by_timer: Vec<&str> = order
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, by_timer)| *by_timer)
        .map(|(name, _)| *name)
        .collect();
    assert_ne!(by_timer, ["late", "early"], "woken out of order");
}

#[test]
fn read_data_before_readable_panics_saying_so() {
    let socket = socket(Duration::from_secs(3600));
    let message = panics(|| {
        socket.read_data();
    });
    assert!(message.contains("not readable yet"), "{message:?}");
}

#[test]
fn try_read_data_is_none_until_readable_then_the_value() {
    let built = Instant::now();
    let socket = socket(DELAY);
    let (read, looked) = (socket.try_read_data(), built.elapsed());
    assert!(
        read.is_none() || looked >= DELAY,
        "read {read:?} {looked:?} after build, before its delay"
    );
    wait_for_readable(&socket);
    assert_eq!(socket.try_read_data(), Some(7));
    assert_eq!(socket.read_data(), 7);
}

#[test]
fn values_come_from_value_or_seed_and_seeds_repeat() {
    let read = |builder: socket_sim::SocketBuilder| {
        let socket = builder.delay(Duration::ZERO).build();
        socket.read_data()
    };
    assert_eq!(read(MySocket::builder().value(-5)), -5);
    assert_eq!(
        read(MySocket::builder().value(-5).seed(1)),
        -5,
        "value wins over seed"
    );
    let seeded = read(MySocket::builder().seed(42));
    assert_eq!(
        read(MySocket::builder().seed(42)),
        seeded,
        "same seed, same value"
    );
    assert_ne!(
        read(MySocket::builder().seed(43)),
        seeded,
        "another seed, another value"
    );
}

#[test]
fn the_newest_waker_is_woken_once_and_older_ones_are_dropped_unwoken() {
    let (older, newest, socket) = registered_before_the_deadline(|socket| {
        let (older, newest) = (WakeCounter::new(), WakeCounter::new());
        socket.set_readable_callback(older.waker());
        socket.set_readable_callback(newest.waker());
        (older, newest)
    });
    assert_eq!(
        older.live_wakers(),
        0,
        "the replaced waker is dropped at once"
    );
    assert_eq!(newest.live_wakers(), 1, "the socket keeps the newest waker");

    woken(&newest, 1);
    assert!(socket.has_data_to_read(), "woken before readable");
    wait_until("the woken waker to be dropped", || {
        newest.live_wakers() == 0
    });
    thread::sleep(DELAY); // room for a wrong second wake-up to show
    assert_eq!((older.wakes(), newest.wakes()), (0, 1));
}

#[test]
fn registering_on_a_readable_socket_wakes_at_once() {
    let socket = socket(Duration::ZERO);
    let counter = WakeCounter::new();
    socket.set_readable_callback(counter.waker());
    assert_eq!(counter.wakes(), 1, "not woken during the call");
    socket.set_readable_callback(counter.waker());
    assert_eq!(
        counter.wakes(),
        2,
        "every registration on a readable socket wakes"
    );
    assert_eq!(counter.live_wakers(), 0);
}

#[test]
fn a_socket_dropped_before_readable_drops_its_waker_unwoken() {
    let counter = WakeCounter::new();
    let socket = socket(Duration::from_secs(3600));
    socket.set_readable_callback(counter.waker());
    drop(socket);
    assert_eq!(
        counter.live_wakers(),
        0,
        "the dropped socket still holds its waker"
    );
    thread::sleep(2 * DELAY); // room for a wrong wake-up to show
    assert_eq!(counter.wakes(), 0, "a dropped socket woke its waker");
}

#[test]
fn a_socket_dropped_before_its_deadline_leaves_nothing_with_the_timer() {
    let _turn = TIMER_TURN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = socket_counts().waiting;
    let sockets: Vec<MySocket> = (0..100_000)
        .map(|_| socket(Duration::from_secs(3600)))
        .collect();
    assert!(socket_counts().waiting >= before + 100_000);
    drop(sockets);
    // The other tests of this binary hold a few sockets at a time, no more.
    let after = socket_counts().waiting;
    assert!(
        after < before + 100,
        "100,000 sockets dropped an hour before their deadline: still {after} deadlines \
         waiting, against {before} before they were built"
    );
}

#[test]
fn a_socket_dropped_after_readable_has_nothing_left_to_wake() {
    let counter = WakeCounter::new();
    let socket = socket(Duration::ZERO);
    socket.set_readable_callback(counter.waker());
    woken(&counter, 1);
    // Whoever woke it drops the waker just after.
    wait_until("the woken waker to be dropped", || {
        counter.live_wakers() == 0
    });
    drop(socket);
    thread::sleep(DELAY);
    assert_eq!((counter.wakes(), counter.live_wakers()), (1, 0));
}

#[test]
fn wakers_may_be_registered_from_any_thread() {
    let (counter, (), _socket) = registered_before_the_deadline(|socket| {
        let counter = WakeCounter::new();
        thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| socket.set_readable_callback(counter.waker()));
            }
        });
        (counter, ())
    });
    woken(&counter, 1);
    thread::sleep(DELAY); // room for a wrong second wake-up to show
    assert_eq!(
        counter.wakes(),
        1,
        "only the newest of the four is kept and woken"
    );
}

#[test]
fn a_delay_of_zero_is_readable_at_once_and_wakes_a_registration_at_once() {
    let socket = socket(Duration::ZERO);
    // No timer involved: readable from the moment it is built.
    assert!(socket.has_data_to_read());
    assert_eq!(socket.read_data(), 7);
    let counter = WakeCounter::new();
    socket.set_readable_callback(counter.waker());
    assert_eq!(
        counter.wakes(),
        1,
        "woken inside the registration, not later"
    );
}
