//! `cargo run -p work-stealing`: the stage 9 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    // A loom build (`--cfg loom`) has the parking protocol only: no demo.
    #[cfg(not(loom))]
    return socket_sim::demo::main("work-stealing", work_stealing::demo::run);
    #[cfg(loom)]
    std::process::ExitCode::FAILURE
}
