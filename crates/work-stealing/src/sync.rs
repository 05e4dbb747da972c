//! The synchronisation types of the parking protocol (`idle.rs`), of a
//! task's poll state (`running.rs`) and of a socket's readiness
//! (`readiness.rs`): std's,
//! or loom's when the crate is built with `--cfg loom`, for the models in
//! `tests/loom.rs`. The rest of the runtime (threads, queues, the reactor)
//! is never run under loom: the models drive [`Idle`](crate::idle::Idle)
//! [`Running`](crate::running::Running) and
//! [`Readiness`](crate::readiness::Readiness) alone, with loom's atomics
//! standing in for the queues, the tasks and the sockets.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    Mutex, atomic::AtomicU8, atomic::AtomicU64, atomic::AtomicUsize, atomic::fence,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    Mutex, atomic::AtomicU8, atomic::AtomicU64, atomic::AtomicUsize, atomic::fence,
};
