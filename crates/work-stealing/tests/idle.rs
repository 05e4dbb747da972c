//! The parking protocol, one step at a time on one thread: who is woken,
//! and who is not. (`tests/loom.rs` checks the same protocol against every
//! interleaving, for lost wake-ups.)

use work_stealing::idle::Idle;

/// Two workers that searched, found nothing and parked.
fn two_parked() -> Idle {
    let idle = Idle::new();
    idle.search();
    idle.search();
    assert!(idle.sleep(0, || false), "worker 0 should park");
    assert!(idle.sleep(1, || false), "worker 1 should park");
    assert_eq!(idle.searching(), 0);
    idle
}

#[test]
fn a_burst_of_work_wakes_one_worker_not_all() {
    let idle = two_parked();
    let woken = idle
        .notify()
        .expect("work, and nobody searching: one is woken");
    assert_eq!(
        idle.searching(),
        1,
        "the woken worker counts as searching at once"
    );
    for _ in 0..1000 {
        assert_eq!(
            idle.notify(),
            None,
            "a worker searches: nobody else is woken"
        );
    }
    idle.woke(woken);
    // It found work; the last searcher wakes one more, for what may be left.
    let next = idle.found().expect("the last searcher wakes another");
    assert_ne!(next, woken);
    assert_eq!(idle.searching(), 1);
}

#[test]
fn a_worker_woken_by_something_else_counts_itself_as_searching() {
    let idle = two_parked();
    idle.woke(1); // say, an event in the reactor it waited in
    assert_eq!(idle.searching(), 1);
    assert_eq!(idle.notify(), None, "it will find the work itself");
}

#[test]
fn the_last_searcher_looks_once_more_and_searches_on_if_work_came() {
    let idle = Idle::new();
    idle.search();
    // Work came after it last looked: it does not park.
    assert!(!idle.sleep(0, || true));
    assert_eq!(idle.searching(), 1);
    // A searcher that is not the last parks without looking.
    idle.search();
    assert!(idle.sleep(1, || panic!("only the last searcher looks again")));
}
