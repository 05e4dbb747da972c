//! The timer's list of deadlines not reached yet, earliest first.
//!
//! A binary heap alone would do, at `O(log n)` a deadline. But sockets
//! mostly get the same delay, so their deadlines mostly come in order: each
//! at or after the latest one so far. Those go to the back of a queue and
//! leave from its front, in `O(1)` and in the order memory is laid out; only
//! a deadline earlier than the latest (a socket with a shorter delay) goes
//! to the heap. The earliest deadline is at the front of the queue or on top
//! of the heap, whichever is earlier. Real runtimes go further with timer
//! wheels.

use std::cmp::Ordering;
use std::collections::binary_heap::PeekMut;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Weak;
use std::time::Instant;

use crate::Readiness;

/// A socket's deadline.
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    pub(crate) readiness: Weak<Readiness>,
}

/// Every deadline not reached yet.
#[derive(Default)]
pub(crate) struct Deadlines {
    /// Deadlines that came in order, so already sorted: earliest at the front.
    in_order: VecDeque<Deadline>,
    /// The others, earliest on top.
    out_of_order: BinaryHeap<Deadline>,
    /// Deadlines added so far, reached or not.
    added: u64,
}

impl Deadlines {
    /// Adds `deadline`; tells whether it is now the earliest of all.
    pub(crate) fn push(&mut self, deadline: Deadline) -> bool {
        self.added += 1;
        let earliest = self.earliest().is_none_or(|earliest| deadline.at < earliest);
        if self.in_order.back().is_none_or(|last| last.at <= deadline.at) {
            self.in_order.push_back(deadline);
        } else {
            self.out_of_order.push(deadline);
        }
        earliest
    }

    /// When the earliest deadline is, if there is one.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        let queued = self.in_order.front().map(|deadline| deadline.at);
        let heaped = self.out_of_order.peek().map(|deadline| deadline.at);
        queued.into_iter().chain(heaped).min()
    }

    /// Moves the socket of every deadline at or before `now` into `due`.
    pub(crate) fn pop_due(&mut self, now: Instant, due: &mut Vec<Weak<Readiness>>) {
        while let Some(front) = self.in_order.front() {
            if front.at > now {
                break;
            }
            due.extend(self.in_order.pop_front().map(|deadline| deadline.readiness));
        }
        while let Some(top) = self.out_of_order.peek_mut() {
            if top.at > now {
                break;
            }
            due.push(PeekMut::pop(top).readiness);
        }
    }

    /// How many deadlines are not reached yet.
    pub(crate) fn len(&self) -> usize {
        self.in_order.len() + self.out_of_order.len()
    }

    /// How many deadlines were ever added.
    pub(crate) fn added(&self) -> u64 {
        self.added
    }
}

// Ordered for the heap, a max-heap: the earlier deadline is the "greater".
impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.cmp(&self.at)
    }
}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Deadline {}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn deadlines_come_out_in_time_order_whatever_order_they_went_in() {
        let start = Instant::now();
        let sockets: Vec<Arc<Readiness>> = (0..8).map(|_| Arc::default()).collect();
        let mut deadlines = Deadlines::default();
        // In order, then earlier ones, then in order again, then a tie.
        let order = [(0, 10), (1, 20), (2, 30), (3, 5), (4, 25), (5, 40), (6, 40), (7, 1)];
        let mut earliest_flags = Vec::new();
        for (socket, ms) in order {
            let at = start + Duration::from_millis(ms);
            earliest_flags.push(deadlines.push(Deadline { at, readiness: Arc::downgrade(&sockets[socket]) }));
        }
        assert_eq!(earliest_flags, [true, false, false, true, false, false, false, true]);
        assert_eq!((deadlines.len(), deadlines.added()), (8, 8));
        assert_eq!(deadlines.earliest(), Some(start + Duration::from_millis(1)));

        let mut fired = Vec::new();
        for ms in [0, 5, 24, 30, 100] {
            let mut due = Vec::new();
            deadlines.pop_due(start + Duration::from_millis(ms), &mut due);
            let mut indices: Vec<usize> = due
                .iter()
                .map(|weak| sockets.iter().position(|socket| Arc::ptr_eq(socket, &weak.upgrade().unwrap())).unwrap())
                .collect();
            indices.sort();
            fired.push(indices);
        }
        assert_eq!(fired, [vec![], vec![3, 7], vec![0, 1], vec![2, 4], vec![5, 6]]);
        assert_eq!((deadlines.len(), deadlines.added(), deadlines.earliest()), (0, 8, None));
    }
}
