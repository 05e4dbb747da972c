//! The threads that events happen on, each known by a small number for the
//! life of the process, with its name: what a trace records of who polled
//! and who woke.

use std::cell::Cell;
use std::sync::Mutex;
use std::thread;

/// Every thread seen so far, by number: its name, or a made-up one for an
/// unnamed thread, said as such.
static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new());

thread_local! {
    /// This thread's number, once it has one.
    static NUMBER: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The number of the thread that calls it (given at its first call).
pub fn current() -> usize {
    NUMBER.with(|number| {
        number.get().unwrap_or_else(|| {
            let mut names = NAMES
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let name = match thread::current().name() {
                Some(name) => name.to_owned(),
                None => format!("unnamed thread {}", names.len()),
            };
            names.push(name);
            let mine = names.len() - 1;
            number.set(Some(mine));
            mine
        })
    })
}

/// The name of thread `number`, if a thread has that number.
pub fn name(number: usize) -> Option<String> {
    let names = NAMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    names.get(number).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_number_and_another_gets_its_own() {
        let mine = current();
        assert_eq!(current(), mine);
        let (theirs, their_name) = thread::Builder::new()
            .name("a named one".to_owned())
            .spawn(|| (current(), name(current())))
            .unwrap()
            .join()
            .unwrap();
        assert_ne!(theirs, mine);
        assert_eq!(their_name.as_deref(), Some("a named one"));
        let unnamed = thread::spawn(current).join().unwrap();
        assert!(name(unnamed).unwrap().starts_with("unnamed thread "));
        assert_eq!(name(usize::MAX), None);
    }
}
