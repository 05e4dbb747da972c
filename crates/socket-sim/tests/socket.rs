//! The contract of one socket: when it is readable, what it reads, whom it wakes.

use std::panic::{self, AssertUnwindSafe};
use std::thread;
use std::time::{Duration, Instant};

use lab::measure::WakeCounter;
use socket_sim::{MySocket, socket_counts};
use support::{PATIENCE, wait_until, woken};

mod support;

const DELAY: Duration = Duration::from_millis(50);
/// How late a socket may be: generous, for a loaded machine running debug builds.
const SLACK: Duration = Duration::from_millis(250);

fn socket(delay: Duration) -> MySocket {
    MySocket::builder().delay(delay).value(7).build()
}

/// Waits until `socket` is readable; how long it took from `since`.
fn wait_readable(socket: &MySocket, since: Instant) -> Duration {
    wait_until("the socket to be readable", || socket.has_data_to_read());
    since.elapsed()
}

fn panic_message(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

#[test]
fn readable_no_earlier_than_its_delay_and_promptly_after() {
    let built = Instant::now();
    let socket = socket(DELAY);
    // Unless a loaded machine kept this thread off the CPU for the whole delay.
    let (readable, looked) = (socket.has_data_to_read(), built.elapsed());
    assert!(
        !readable || looked >= DELAY,
        "readable {looked:?} after build, before its delay"
    );
    let took = wait_readable(&socket, built);
    assert!(
        took >= DELAY,
        "readable after {took:?}, before its delay of {DELAY:?}"
    );
    assert!(
        took < DELAY + SLACK,
        "readable only after {took:?}, delay {DELAY:?}"
    );
    assert!(socket.has_data_to_read(), "readable stays readable");
}

#[test]
fn sockets_with_different_delays_become_readable_in_order() {
    let start = Instant::now();
    let late = socket(DELAY * 2);
    let early = socket(DELAY);
    let early_at = wait_readable(&early, start);
    assert!(!late.has_data_to_read() || start.elapsed() >= DELAY * 2);
    let late_at = wait_readable(&late, start);
    assert!(
        early_at < late_at && late_at >= DELAY * 2,
        "{early_at:?} then {late_at:?}"
    );
}

#[test]
fn read_data_before_readable_panics_saying_so() {
    let socket = socket(PATIENCE);
    let message = panic_message(|| {
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
    wait_readable(&socket, built);
    assert_eq!(socket.try_read_data(), Some(7));
    assert_eq!(socket.read_data(), 7);
}

#[test]
fn values_come_from_value_or_seed_and_seeds_repeat() {
    let read = |builder: socket_sim::SocketBuilder| {
        let socket = builder.delay(Duration::ZERO).build();
        wait_readable(&socket, Instant::now());
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
    let (older, newest) = (WakeCounter::new(), WakeCounter::new());
    let socket = socket(DELAY);
    socket.set_readable_callback(older.waker());
    socket.set_readable_callback(newest.waker());
    assert_eq!(
        older.live_wakers(),
        0,
        "the replaced waker is dropped at once"
    );
    assert_eq!(newest.live_wakers(), 1, "the socket keeps the newest waker");

    assert!(woken(&newest, 1), "the newest waker was never woken");
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
    wait_readable(&socket, Instant::now());
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
    let socket = socket(DELAY);
    socket.set_readable_callback(counter.waker());
    drop(socket);
    assert_eq!(
        counter.live_wakers(),
        0,
        "the dropped socket still holds its waker"
    );
    thread::sleep(DELAY + SLACK); // past the deadline the timer thread would have fired
    assert_eq!(counter.wakes(), 0, "a dropped socket woke its waker");
}

#[test]
fn a_socket_dropped_before_its_deadline_leaves_nothing_with_the_timer() {
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
    assert!(woken(&counter, 1));
    // The timer thread drops the waker just after waking it.
    wait_until("the woken waker to be dropped", || {
        counter.live_wakers() == 0
    });
    drop(socket);
    thread::sleep(DELAY);
    assert_eq!((counter.wakes(), counter.live_wakers()), (1, 0));
}

#[test]
fn wakers_may_be_registered_from_any_thread() {
    let counter = WakeCounter::new();
    let socket = socket(DELAY);
    thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| socket.set_readable_callback(counter.waker()));
        }
    });
    assert!(woken(&counter, 1));
    thread::sleep(DELAY);
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
