//! `cargo xtask list`: the stages, their ideas, article sections and crates.

use crate::cli;
use crate::stages::{STAGES, Stage};

pub fn run() -> Result<(), crate::cli::Failure> {
    print!("{}", table(STAGES));
    Ok(())
}

/// The stages as an aligned table.
fn table(stages: &[Stage]) -> String {
    let rows = stages.iter().map(|stage| {
        let cells = [stage.krate, stage.idea, stage.section].map(str::to_owned);
        [vec![stage.number.to_string()], cells.to_vec()].concat()
    });
    let header = ["stage", "crate", "idea", "article section"];
    cli::table(Some(&header), rows.collect(), &[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_stage() {
        insta::assert_snapshot!(table(STAGES), @"
        stage  crate             idea                                                                         article section
            1  socket-sim        a fake socket, read by busy waits                                            The setup
            2  simple-future     SimpleFuture and Poll: a future is polled                                    How does it really work
            3  busy-executor     an executor that polls every future in a loop                                Defining an executor
            4  waker-executor    an executor that sleeps until a waker says which task to poll                Defining an executor
            5  futsocket         the socket's std Future, written by hand                                     Defining poll
            6  async-await-demo  async fn and .await, and the state machine behind them                       Async/Await
            7  mini-runtime      the same ideas on real TCP sockets: a mio reactor, timers and spawned tasks  How is it used in production
            8  cancellation      dropping a future cancels it: select, timeout and abort built from that      beyond the article
            9  work-stealing     many threads: a queue per worker, an injector, and idle workers that steal   the article's last claim
        ");
    }
}
