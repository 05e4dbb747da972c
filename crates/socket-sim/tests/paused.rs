//! Stage 1 on a paused clock (`lab::clock`): a socket is readable exactly at
//! its deadline, and the article's two ways of reading take exactly two
//! delays and one, counted on a clock that only the test moves. No verdict
//! here depends on how busy the machine is.
//!
//! Every test pauses the clock, so they take turns, and no socket of this
//! binary ever waits on the real one.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use lab::clock::{self, Deadlines, Paused};
use lab::measure::WakeCounter;
use lab::patience::{wait_until, within_patience};
use socket_sim::{MySocket, get_2_num_async_hardcode_with, get_num_sync_with};

const DELAY: Duration = Duration::from_millis(100);

fn socket(delay: Duration, value: i32) -> MySocket {
    MySocket::builder().delay(delay).value(value).build()
}

/// Waits until `sockets` sockets wait on the paused clock.
fn until_waiting(paused: &Paused, sockets: usize) {
    wait_until(&format!("{sockets} socket(s) on the paused clock"), || {
        paused.waiting().waiting == sockets
    });
}

#[test]
fn a_socket_is_readable_at_its_deadline_and_not_a_nanosecond_before() {
    let paused = clock::pause();
    let socket = socket(DELAY, 7);
    let counter = WakeCounter::new();
    socket.set_readable_callback(counter.waker());
    assert_eq!(
        paused.waiting(),
        Deadlines {
            waiting: 1,
            without_waker: 0
        }
    );

    assert_eq!(paused.advance(DELAY - Duration::from_nanos(1)), 0);
    assert!(!socket.has_data_to_read());
    assert_eq!(socket.try_read_data(), None);
    assert_eq!(paused.advance(Duration::from_nanos(1)), 1);
    // Fired on this thread, before `advance` returned: nothing to wait for.
    assert!(socket.has_data_to_read());
    assert_eq!((counter.wakes(), counter.live_wakers()), (1, 0));
    assert_eq!(socket.read_data(), 7);
    assert_eq!(paused.waiting(), Deadlines::default());
}

#[test]
fn two_numbers_read_in_turn_take_two_delays_and_the_hardcoded_pair_one() {
    let paused = clock::pause();
    let builder = |seed| MySocket::builder().delay(DELAY).seed(seed);

    // In turn: the second socket is built only once the first is read.
    let in_turn =
        thread::spawn(move || (get_num_sync_with(builder(1)), get_num_sync_with(builder(2))));
    for _ in 0..2 {
        until_waiting(&paused, 1);
        paused.advance(DELAY);
    }
    let in_turn = within_patience(move || in_turn.join().unwrap());
    assert_eq!(paused.now(), 2 * DELAY, "two delays, one after the other");

    // Together: both sockets wait at once, so one delay is enough.
    let start = paused.now();
    let together = thread::spawn(move || get_2_num_async_hardcode_with(builder(1), builder(2)));
    until_waiting(&paused, 2);
    paused.advance(DELAY);
    let together = within_patience(move || together.join().unwrap());
    assert_eq!(paused.now() - start, DELAY, "one delay for both");
    assert_eq!(together, in_turn, "same seeds, same numbers");
}

#[test]
fn sockets_become_readable_in_the_order_of_their_deadlines() {
    let paused = clock::pause();
    // Built first, due last; and two due at the same moment.
    let (late, early, also_early) = (socket(2 * DELAY, 1), socket(DELAY, 2), socket(DELAY, 3));
    let order = Arc::new(Mutex::new(Vec::new()));
    for (name, socket) in [
        ("late", &late),
        ("early", &early),
        ("also early", &also_early),
    ] {
        let order = Arc::clone(&order);
        socket.set_readable_callback(std::task::Waker::from(Arc::new(Named(name, order))));
    }
    assert_eq!(paused.advance_to_next(), Some(DELAY));
    assert!(early.has_data_to_read() && also_early.has_data_to_read());
    assert!(!late.has_data_to_read());
    assert_eq!(paused.advance_to_next(), Some(2 * DELAY));
    assert!(late.has_data_to_read());
    // Sockets due at the same moment are woken in the order they were built.
    assert_eq!(*order.lock().unwrap(), ["early", "also early", "late"]);
}

/// A waker that notes its name when woken.
struct Named(&'static str, Arc<Mutex<Vec<&'static str>>>);

impl std::task::Wake for Named {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

#[test]
fn a_socket_dropped_before_its_deadline_never_wakes_its_waker() {
    let paused = clock::pause();
    let counter = WakeCounter::new();
    let socket = socket(DELAY, 1);
    socket.set_readable_callback(counter.waker());
    drop(socket);
    assert_eq!(
        counter.live_wakers(),
        0,
        "the waker is dropped with the socket"
    );
    assert_eq!(
        paused.waiting(),
        Deadlines::default(),
        "its deadline is forgotten"
    );
    assert_eq!(paused.advance(2 * DELAY), 0);
    assert_eq!(counter.wakes(), 0);
}

/// A waker that builds the next socket of a chain from inside `wake`, as an
/// executor polling a future inline would.
struct ChainLink {
    left: usize,
    sockets: Arc<Mutex<Vec<MySocket>>>,
    done: Arc<WakeCounter>,
}

impl std::task::Wake for ChainLink {
    fn wake(self: Arc<Self>) {
        if self.left == 0 {
            return self.done.waker().wake();
        }
        let next = socket(DELAY, 0);
        next.set_readable_callback(
            Arc::new(ChainLink {
                left: self.left - 1,
                sockets: Arc::clone(&self.sockets),
                done: Arc::clone(&self.done),
            })
            .into(),
        );
        self.sockets.lock().unwrap().push(next);
    }
}

#[test]
fn a_waker_may_build_sockets_while_the_clock_fires_and_they_count_from_then() {
    let paused = clock::pause();
    let (done, sockets) = (WakeCounter::new(), Arc::default());
    let first = socket(DELAY, 0);
    first.set_readable_callback(
        Arc::new(ChainLink {
            left: 20,
            sockets: Arc::clone(&sockets),
            done: Arc::clone(&done),
        })
        .into(),
    );
    // Had the clock held its lock while firing, the first link would deadlock.
    assert_eq!(paused.advance(21 * DELAY), 21);
    assert_eq!(done.wakes(), 1);
    assert_eq!(sockets.lock().unwrap().len(), 20);
    assert_eq!(paused.now(), 21 * DELAY);
}
