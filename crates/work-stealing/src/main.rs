//! `cargo run -p work-stealing`: the stage 9 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("work-stealing", work_stealing::demo::run)
}
