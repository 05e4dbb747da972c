//! `cargo run -p futsocket`: the stage 5 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("futsocket", futsocket::demo::run)
}
