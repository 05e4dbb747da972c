//! `cargo run -p async-await-demo`: the stage 6 demo (`SOCKET_SIM_DELAY_MS` sets the delay).

fn main() -> std::process::ExitCode {
    socket_sim::demo::main("async-await-demo", async_await_demo::demo::run)
}
