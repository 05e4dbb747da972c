//! `cargo run -p cancellation`: the stage 8 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("cancellation", cancellation::demo::run)
}
