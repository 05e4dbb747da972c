//! Futures nobody here wrote, run on this runtime: tokio's channels (which
//! work on any executor) fed from other threads, and futures' combinators.
//! They know nothing of this runtime but `poll`, `Pending` and `wake`.

use std::thread;
use std::time::Duration;

use futures_util::future::{self, Either};
use lab::patience::within_patience;
use mini_runtime::time::sleep;
use mini_runtime::{block_on, spawn};

#[test]
fn a_bounded_tokio_channel_fed_from_another_thread_delivers_everything_in_order() {
    let received = within_patience(|| {
        block_on(async {
            // Capacity 8: the sender waits for the runtime again and again.
            let (sender, mut receiver) = tokio::sync::mpsc::channel(8);
            let feeder = thread::spawn(move || {
                for i in 0..10_000u32 {
                    sender.blocking_send(i).unwrap();
                }
            });
            let mut received = Vec::new();
            while let Some(i) = receiver.recv().await {
                received.push(i);
            }
            feeder.join().unwrap();
            received
        })
    });
    assert_eq!(received, (0..10_000).collect::<Vec<_>>());
}

#[test]
fn tasks_pass_values_through_tokio_oneshots_and_futures_combinators() {
    let (sum, raced) = within_patience(|| {
        block_on(async {
            let receivers: Vec<_> = (1..=100u64)
                .map(|i| {
                    let (sender, receiver) = tokio::sync::oneshot::channel();
                    drop(spawn(async move {
                        sleep(Duration::from_millis(i % 7)).await;
                        sender.send(i).unwrap();
                    }));
                    receiver
                })
                .collect();
            let sum: u64 = future::join_all(receivers)
                .await
                .into_iter()
                .map(Result::unwrap)
                .sum();
            // A sleep that is never due against one that is: the due one wins.
            let never = Box::pin(sleep(Duration::from_secs(3600)));
            let soon = Box::pin(sleep(Duration::from_millis(1)));
            let raced = matches!(future::select(never, soon).await, Either::Right(_));
            (sum, raced)
        })
    });
    assert_eq!(sum, 5050);
    assert!(raced, "the sleep an hour away finished first");
}
