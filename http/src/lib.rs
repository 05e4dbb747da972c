//! Production code on the runtimes this workspace built: hyper, the HTTP
//! library under axum and reqwest, serving HTTP/1.1 on stage 7's runtime
//! and on stage 9's, and, as their peers, on tokio's two.
//!
//! hyper has no runtime of its own. Its HTTP/1 server is a future per
//! connection, and asks of whoever polls it only this:
//! - a socket it can read and write, poll by poll (`hyper::rt::Read` and
//!   `hyper::rt::Write`): [`io::Io`], a few lines over futures-io's traits,
//!   which both stages' sockets implement;
//! - a timer, for its timeouts (`hyper::rt::Timer`): [`timer`].
//!
//! Nothing else: no executor (HTTP/1 spawns nothing), no reactor of its
//! own. Each connection is a task spawned on the runtime ([`server`]), it
//! answers two routes ([`service`]), and Ctrl-C stops it ([`shutdown`]).
//! The stage crates know nothing of all this: this package depends on
//! them, never the other way round, so a learner's build of the stages
//! stays lean.
//!
//! Left out: HTTP/2 (it needs an executor to spawn its streams' tasks),
//! TLS, and connection limits.
#![forbid(unsafe_code)]

pub mod io;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod timer;

pub use server::{Options, Runtime, Served, run};
pub use shutdown::Shutdown;
