//! `cargo run -p simple-future`: the stage 2 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("simple-future", simple_future::demo::run)
}
