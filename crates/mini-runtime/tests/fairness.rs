//! Fair to sockets and timers: tasks that are woken again at every poll
//! (a `yield_now` loop, two tasks passing a value back and forth) never keep
//! a timer or a socket waiting, because the runtime looks at the reactor,
//! without waiting, every `EVENT_INTERVAL` polls.
//!
//! No verdict here races a timer against the scheduler. A starved runtime
//! does not end the other wait late, it never ends it while the busy tasks
//! run; so the busy tasks run until the other wait ends, or give up after
//! `PATIENCE` (which fails the test). Where the runtime itself decides when
//! the wait ends (a timer, once due), the test also counts the polls it
//! took, which the interval bounds whatever the machine's load.

use std::cell::Cell;
use std::future::poll_fn;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use lab::measure::WakeCounter;
use lab::patience::{PATIENCE, within_patience};
use mini_runtime::net::TcpListener;
use mini_runtime::time::sleep;
use mini_runtime::{EVENT_INTERVAL, block_on, spawn, yield_now};

/// Polls a starved runtime would take, at most, to notice a due timer: an
/// interval, and the few polls it takes to run the woken task.
const BOUND: usize = 2 * EVENT_INTERVAL as usize;

/// Yields until `done`, counting the yields made once `due` is passed (as
/// this task sees the clock); fails the test after `PATIENCE`.
async fn yield_until(done: &Cell<bool>, due: Instant, what: &str) -> usize {
    let give_up = Instant::now() + PATIENCE;
    let mut after_due = 0;
    while !done.get() {
        let now = Instant::now();
        assert!(
            now < give_up,
            "{what} never ended while a task kept yielding: the reactor was starved"
        );
        after_due += usize::from(now >= due);
        yield_now().await;
    }
    after_due
}

#[test]
fn a_yield_loop_does_not_keep_a_sleep_waiting() {
    let after_due = within_patience(|| {
        block_on(async {
            let done = Rc::new(Cell::new(false));
            let nap = sleep(Duration::from_millis(20));
            // No earlier than the sleep's own deadline, taken just before.
            let due = Instant::now() + Duration::from_millis(20);
            let sleeper = spawn({
                let done = Rc::clone(&done);
                async move {
                    nap.await;
                    done.set(true);
                }
            });
            let after_due = yield_until(&done, due, "a 20 ms sleep").await;
            sleeper.await;
            after_due
        })
    });
    assert!(
        after_due <= BOUND,
        "{after_due} yields after the sleep was due: the reactor is looked at every {EVENT_INTERVAL} polls"
    );
}

#[test]
fn a_yield_loop_does_not_keep_an_accept_waiting() {
    within_patience(|| {
        block_on(async {
            let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
            let addr = listener.local_addr().unwrap();
            let done = Rc::new(Cell::new(false));
            let acceptor = spawn({
                let done = Rc::clone(&done);
                async move {
                    let accepted = listener.accept().await;
                    done.set(true);
                    accepted.map(drop)
                }
            });
            // A client nobody on this thread waits for: the runtime learns
            // of its connection from the reactor alone.
            let client = thread::spawn(move || std::net::TcpStream::connect(addr));
            yield_until(&done, Instant::now(), "an accept").await;
            acceptor.await.unwrap();
            client.join().unwrap().unwrap();
        })
    });
}

/// Two tasks that pass a baton back and forth until `stop`: each pass wakes
/// the other, so some task is always woken. Each counts its passes made
/// once `due` is passed, and fails the test after `PATIENCE`.
fn ping_pong(stop: &Rc<Cell<bool>>, due: Instant) -> [mini_runtime::JoinHandle<usize>; 2] {
    let baton = Rc::new(Baton::default());
    let give_up = Instant::now() + PATIENCE;
    [0, 1].map(|me| {
        let (baton, stop) = (Rc::clone(&baton), Rc::clone(stop));
        spawn(async move {
            let mut after_due = 0;
            while !stop.get() {
                poll_fn(|cx| baton.wait_turn(me, cx)).await;
                let now = Instant::now();
                assert!(
                    now < give_up,
                    "the sleep never ended: the reactor was starved"
                );
                after_due += usize::from(now >= due);
                baton.pass(me);
            }
            baton.pass(me); // lets the other see `stop` too
            after_due
        })
    })
}

/// Whose turn it is, and the waker of the one waiting for it.
#[derive(Default)]
struct Baton {
    turn: Cell<usize>,
    waiting: Cell<Option<Waker>>,
}

impl Baton {
    fn wait_turn(&self, me: usize, cx: &mut Context<'_>) -> Poll<()> {
        if self.turn.get() == me {
            return Poll::Ready(());
        }
        self.waiting.set(Some(cx.waker().clone()));
        Poll::Pending
    }

    fn pass(&self, me: usize) {
        self.turn.set(1 - me);
        if let Some(other) = self.waiting.take() {
            other.wake();
        }
    }
}

#[test]
fn two_tasks_passing_a_baton_back_and_forth_do_not_keep_a_sleep_waiting() {
    let after_due = within_patience(|| {
        block_on(async {
            let stop = Rc::new(Cell::new(false));
            let nap = sleep(Duration::from_millis(20));
            let due = Instant::now() + Duration::from_millis(20);
            let players = ping_pong(&stop, due);
            nap.await;
            stop.set(true);
            let mut after_due = 0;
            for player in players {
                after_due += player.await;
            }
            after_due
        })
    });
    assert!(
        after_due <= BOUND,
        "{after_due} passes after the sleep was due: the reactor is looked at every {EVENT_INTERVAL} polls"
    );
}

#[test]
fn yield_now_is_pending_once_having_woken_its_task_then_ready() {
    let counter = WakeCounter::new();
    let waker = counter.waker();
    let mut cx = Context::from_waker(&waker);
    let mut yielding = Box::pin(yield_now());
    assert!(yielding.as_mut().poll(&mut cx).is_pending());
    assert_eq!(counter.wakes(), 1, "the first poll wakes the task at once");
    assert!(yielding.as_mut().poll(&mut cx).is_ready());
    assert_eq!(counter.wakes(), 1);
}
