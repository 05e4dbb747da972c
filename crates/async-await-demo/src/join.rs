//! `join`: wait for two futures at once, written by hand.
//!
//! `.await` waits for one future before the code after it runs, so two
//! `.await`s in a row wait one after the other. To wait for two things at
//! the same time, one future must poll both: that is all `join` does.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

/// A future that polls `a` and `b` together and is ready with both outputs
/// once both are ready.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_await_demo::{get_num_with, join};
/// use socket_sim::MySocket;
///
/// # lab::patience::within_patience(|| {
/// let socket = |value| MySocket::builder().delay(Duration::from_millis(10)).value(value);
/// let pair = waker_executor::block_on(join(get_num_with(socket(1)), get_num_with(socket(2))));
/// assert_eq!(pair, (1, 2));
/// # });
/// ```
pub fn join<A: Future, B: Future>(a: A, b: B) -> Join<A, B> {
    Join {
        a,
        b,
        a_output: None,
        b_output: None,
        finished: false,
    }
}

pin_project! {
    /// The future of [`join`].
    #[must_use = "futures do nothing unless you .await or poll them"]
    pub struct Join<A: Future, B: Future> {
        // Pinned: `a` and `b` may be async fns, which must not move once polled.
        #[pin]
        a: A,
        #[pin]
        b: B,
        // An output waits here until the other future is ready too; while it
        // is here, its future is finished and is not polled again.
        a_output: Option<A::Output>,
        b_output: Option<B::Output>,
        finished: bool,
    }
}

// ANCHOR: join_poll
impl<A: Future, B: Future> Future for Join<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        assert!(
            !*this.finished,
            "Join polled after it returned Ready: a finished future must not be polled again"
        );
        // exercise: poll each future that has no output yet; Ready with both outputs once both are there
        // Each poll polls whichever of the two is not finished yet, with the
        // same `Context`: a wake from either comes back to the task that
        // awaits the `Join`, which polls both again.
        if this.a_output.is_none() {
            if let Poll::Ready(output) = this.a.poll(cx) {
                *this.a_output = Some(output);
            }
        }
        if this.b_output.is_none() {
            if let Poll::Ready(output) = this.b.poll(cx) {
                *this.b_output = Some(output);
            }
        }
        match (this.a_output.take(), this.b_output.take()) {
            (Some(a), Some(b)) => {
                *this.finished = true;
                Poll::Ready((a, b))
            }
            // Not both yet: put back what is there.
            (a, b) => {
                (*this.a_output, *this.b_output) = (a, b);
                Poll::Pending
            }
        }
        // end exercise
    }
}
// ANCHOR_END: join_poll
