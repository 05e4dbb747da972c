//! `cargo run -p busy-executor`: the stage 3 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("busy-executor", busy_executor::demo::run)
}
