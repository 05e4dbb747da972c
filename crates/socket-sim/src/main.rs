//! `cargo run -p socket-sim`: the stage 1 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("socket-sim", socket_sim::demo::run)
}
