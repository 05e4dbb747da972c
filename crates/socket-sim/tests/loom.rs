//! Model checks, with loom, of a waker's registration racing the timer
//! marking the socket readable: every interleaving of the two threads, and
//! every value the memory model lets each atomic load return.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --release -p socket-sim --test loom`.
//! In such a build no timer thread runs (statics outlive a model run, and
//! loom's timed waits never time out): a model thread plays the timer with
//! `fire_for_model`, the timer's own step for one socket. Without
//! `--cfg loom` this file is empty.
#![cfg(loom)]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Wake, Waker};
use std::time::Duration;

use loom::sync::atomic::AtomicUsize;
use loom::thread;
use socket_sim::MySocket;

/// Counts its wakes, in a loom atomic so the model sees them.
#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl Wakes {
    fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(Arc::clone(self))
    }

    fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// A socket whose deadline never comes by itself: the model's timer fires it.
fn socket() -> Arc<MySocket> {
    Arc::new(
        MySocket::builder()
            .delay(Duration::from_secs(60))
            .value(7)
            .build(),
    )
}

fn play_timer(socket: &Arc<MySocket>) -> thread::JoinHandle<()> {
    let socket = Arc::clone(socket);
    thread::spawn(move || socket.fire_for_model())
}

#[test]
fn a_waker_registered_while_the_timer_fires_is_woken_exactly_once() {
    loom::model(|| {
        let socket = socket();
        let timer = play_timer(&socket);
        let wakes = Arc::new(Wakes::default());
        socket.set_readable_callback(wakes.waker());
        timer.join().unwrap();
        assert!(socket.has_data_to_read());
        assert_eq!(
            wakes.count(),
            1,
            "the registration lost its wake-up (or was woken twice)"
        );
    });
}

#[test]
fn only_the_newest_of_two_wakers_is_woken() {
    loom::model(|| {
        let socket = socket();
        let timer = play_timer(&socket);
        let (older, newer) = (Arc::new(Wakes::default()), Arc::new(Wakes::default()));
        socket.set_readable_callback(older.waker());
        socket.set_readable_callback(newer.waker());
        timer.join().unwrap();
        assert_eq!(
            newer.count(),
            1,
            "the newest waker was not woken exactly once"
        );
        // The older one is woken only if the timer fired between the two.
        assert!(older.count() <= 1);
        assert_eq!(Arc::strong_count(&older), 1, "the older waker was kept");
    });
}
