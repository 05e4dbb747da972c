//! `cargo run -p waker-executor`: the stage 4 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("waker-executor", waker_executor::demo::run)
}
