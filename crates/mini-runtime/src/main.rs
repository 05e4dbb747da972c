//! `cargo run -p mini-runtime`: the stage 7 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("mini-runtime", mini_runtime::demo::run)
}
