//! What the executor tests wait on: a socket as a std `Future`.

use std::future::{self, Future};
use std::task::Poll;

use socket_sim::MySocket;

/// A socket as a std `Future`, in the few lines the tests need (stage 5
/// makes it a type of its own, `FutSocket`): ready with its number, else it
/// hands the socket the task's waker.
pub fn readable(socket: MySocket) -> impl Future<Output = i32> {
    future::poll_fn(move |cx| match socket.try_read_data() {
        Some(value) => Poll::Ready(value),
        None => {
            socket.set_readable_callback(cx.waker().clone());
            Poll::Pending
        }
    })
}
