//! TCP on the shared reactor: stage 7's sockets, as they are, on this
//! runtime, and all `Send`: a connection accepted on one worker can be read
//! on another, and its two halves used by tasks on two workers at once.
//!
//! Stage 7 wrote its sockets and sleeps against
//! [`Host`](mini_runtime::Host), what they need of a runtime; this
//! runtime's is in `reactor.rs`. Its one new step is the one several
//! threads need: between a call's `WouldBlock` and its `wait`, another
//! worker driving the reactor may hand the socket's event to nobody. So
//! `wait` leaves the waker only if the socket's event count has not moved
//! since the call (`readiness.rs`), and the socket tries its call again if
//! it has.

use mini_runtime::net::{ReadHalfOn, TcpListenerOn, TcpStreamOn, WriteHalfOn};

use crate::Shared;

/// A TCP listener on the shared reactor.
pub type TcpListener = TcpListenerOn<Shared>;
/// A TCP connection on the shared reactor.
pub type TcpStream = TcpStreamOn<Shared>;
/// The reading half of a [`TcpStream`].
pub type ReadHalf = ReadHalfOn<Shared>;
/// The writing half of a [`TcpStream`].
pub type WriteHalf = WriteHalfOn<Shared>;
