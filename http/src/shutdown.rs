//! Stopping cleanly: a signal any thread may raise (Ctrl-C's handler, a
//! test), which the accept loop and every connection wait for, and a count
//! of the connections still open, which the server waits for before it
//! returns.
//!
//! Both are plain futures over a lock and wakers, so that one type serves
//! every runtime here, tokio's included.

use std::future::{Future, poll_fn};
use std::mem;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use slab::Slab;

/// The signal to stop, raised once, by any thread, and seen by every waiter.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    inner: Arc<Signal>,
}

#[derive(Debug, Default)]
struct Signal {
    /// Set once by `raise`, never cleared: a waiter polled after it is
    /// Ready without taking the lock.
    raised: AtomicBool,
    /// The waiters' wakers, by the number each waiter keeps. Emptied by
    /// `raise`, after which no waiter adds one (it sees `raised` under
    /// this lock first).
    waiters: Mutex<Slab<Waker>>,
}

impl Shutdown {
    /// A signal not raised yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells every waiter, now and later, to stop.
    pub fn raise(&self) {
        // Release: a waiter that sees the flag sees what was done before it.
        self.inner.raised.store(true, Ordering::Release);
        // Under the lock: a waiter that did not see the flag has its waker
        // in the table by now, or will see the flag under the lock.
        let waiters = mem::take(&mut *self.inner.lock());
        waiters.into_iter().for_each(|(_, waker)| waker.wake());
    }

    /// Whether it was raised.
    pub fn is_raised(&self) -> bool {
        // Acquire: pairs with raise's Release.
        self.inner.raised.load(Ordering::Acquire)
    }

    /// A future that is Ready once the signal is raised.
    pub fn wait(&self) -> Wait {
        Wait {
            shutdown: self.clone(),
            registered: None,
        }
    }
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, Slab<Waker>> {
        // A waker that panicked in `wake` leaves the table as it was.
        self.waiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The future of [`Shutdown::wait`]. A connection polls one at every poll
/// of its own, so the usual poll costs a load and a comparison, no lock.
#[must_use = "futures do nothing unless you .await or poll them"]
#[derive(Debug)]
pub struct Wait {
    shutdown: Shutdown,
    /// Its number in the table, and the waker left there.
    registered: Option<(usize, Waker)>,
}

impl Future for Wait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.shutdown.is_raised() {
            return Poll::Ready(());
        }
        if let Some((_, waker)) = &self.registered
            && waker.will_wake(cx.waker())
        {
            return Poll::Pending; // the table holds this task's waker already
        }
        let signal = Arc::clone(&self.shutdown.inner);
        let mut waiters = signal.lock();
        // Relaxed is enough under the lock: raise stored it before it took
        // the lock we now hold.
        if signal.raised.load(Ordering::Relaxed) {
            return Poll::Ready(());
        }
        let waker = cx.waker().clone();
        let key = match &self.registered {
            Some((key, _)) => {
                waiters[*key] = waker.clone();
                *key
            }
            None => waiters.insert(waker.clone()),
        };
        drop(waiters);
        self.registered = Some((key, waker)); // drops the old waker, unlocked
        Poll::Pending
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        let Some((key, _)) = self.registered.take() else {
            return;
        };
        let mut waiters = self.shutdown.inner.lock();
        // Once raised, the table was emptied, and its numbers mean nothing.
        if !self.shutdown.inner.raised.load(Ordering::Relaxed) {
            let waker = waiters.try_remove(key);
            drop(waiters);
            drop(waker); // a waker's drop may run any code: not under the lock
        }
    }
}

/// The connections open, counted so that a server that stops can wait for
/// those still answering.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    tally: Arc<Mutex<Tally>>,
}

#[derive(Debug, Default)]
struct Tally {
    open: usize,
    /// The task waiting for `open` to reach 0, if one is.
    waiter: Option<Waker>,
}

impl Connections {
    /// No connection open yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a connection open until the guard is dropped.
    pub fn open(&self) -> Open {
        self.lock().open += 1;
        Open(self.clone())
    }

    /// How many are open now.
    pub fn open_now(&self) -> usize {
        self.lock().open
    }

    /// Ready once no connection is open.
    pub async fn all_closed(&self) {
        poll_fn(|cx| {
            let mut tally = self.lock();
            if tally.open == 0 {
                return Poll::Ready(());
            }
            let old = tally.waiter.replace(cx.waker().clone());
            drop(tally);
            drop(old); // not under the lock
            Poll::Pending
        })
        .await
    }

    fn lock(&self) -> MutexGuard<'_, Tally> {
        self.tally
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One open connection of a [`Connections`]: closed when dropped.
#[derive(Debug)]
pub struct Open(Connections);

impl Drop for Open {
    fn drop(&mut self) {
        let mut tally = self.0.lock();
        tally.open -= 1;
        let last = match tally.open {
            0 => tally.waiter.take(),
            _ => None,
        };
        drop(tally);
        if let Some(waiter) = last {
            waiter.wake();
        }
    }
}
