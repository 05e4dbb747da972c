//! A lock that serves its waiters first come, first served, as tokio's
//! `Mutex` does: fair, and the ground on which *futurelock* grows. A prop
//! for the demo and the tests (it guards nothing but its own queue), not
//! part of the lesson.
//!
//! A waiter takes its place in the queue at its first poll. When the lock
//! is released, it is *given* to the first waiter, which is woken: from
//! then on that waiter owns the lock, whether or not anyone polls it again.
//! That is what makes the lock fair (nobody can jump the queue), and what
//! makes a waiter that is kept but not polled (by `&mut`, across the turns
//! of a `select` loop) hold up everyone behind it: the lock is its, and it
//! gives it back only once it is polled (and its guard dropped), or dropped.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A first-come, first-served lock for the tasks of one thread.
#[derive(Default)]
pub struct FairLock {
    queue: RefCell<Queue>,
}

/// Who holds the lock, and who waits for it.
#[derive(Default)]
struct Queue {
    /// A guard is out, or the lock was given to a waiter not yet polled.
    held: bool,
    /// The waiter the lock was given to, until its next poll takes it.
    given: Option<u64>,
    /// The waiters, first come first, each with its waker.
    waiting: VecDeque<(u64, Waker)>,
    tickets: u64,
}

impl FairLock {
    /// Waits for the lock: at once if it is free and nobody waits, else in
    /// turn, after those who came first.
    pub fn lock(&self) -> Lock<'_> {
        Lock {
            lock: self,
            ticket: None,
        }
    }

    /// Lets the lock go: to the first waiter, which is woken, if there is one.
    fn release(&self) {
        let mut queue = self.queue.borrow_mut();
        let next = queue.waiting.pop_front();
        queue.held = next.is_some();
        queue.given = next.as_ref().map(|(ticket, _)| *ticket);
        drop(queue);
        if let Some((_, waker)) = next {
            waker.wake(); // outside the borrow: a wake may run any code
        }
    }
}

/// The future of [`FairLock::lock`]. Dropped while it waits, it leaves the
/// queue; dropped after the lock was given to it, it gives it on.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Lock<'a> {
    lock: &'a FairLock,
    /// Its place in the queue, from its first poll until it gets the lock.
    ticket: Option<u64>,
}

impl<'a> Future for Lock<'a> {
    type Output = Guard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Guard<'a>> {
        let lock = self.lock;
        let mut queue = lock.queue.borrow_mut();
        let free = self.ticket.is_none() && !queue.held && queue.waiting.is_empty();
        if free || (self.ticket.is_some() && queue.given == self.ticket) {
            (queue.held, queue.given, self.ticket) = (true, None, None);
            return Poll::Ready(Guard(lock));
        }
        let ticket = *self.ticket.get_or_insert_with(|| {
            queue.tickets += 1;
            queue.tickets
        });
        let old = match queue
            .waiting
            .iter_mut()
            .find(|(waiting, _)| *waiting == ticket)
        {
            Some((_, waker)) if !waker.will_wake(cx.waker()) => {
                Some(mem::replace(waker, cx.waker().clone()))
            }
            Some(_) => None,
            None => {
                queue.waiting.push_back((ticket, cx.waker().clone()));
                None
            }
        };
        drop(queue);
        drop(old); // a waker's drop may run any code: not under the borrow
        Poll::Pending
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket else { return };
        let mut queue = self.lock.queue.borrow_mut();
        if queue.given == Some(ticket) {
            drop(queue);
            self.lock.release(); // given to it, never taken: on to the next
        } else {
            let place = queue
                .waiting
                .iter()
                .position(|(waiting, _)| *waiting == ticket);
            let left = place.and_then(|place| queue.waiting.remove(place));
            drop(queue);
            drop(left); // its waker, dropped outside the borrow
        }
    }
}

/// The lock, held until the guard is dropped.
pub struct Guard<'a>(&'a FairLock);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}
