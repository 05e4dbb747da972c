//! `cargo xtask list`: the stages, their ideas, article sections and crates.

use crate::cli::{self, Failure};
use crate::stages::{STAGES, Stage};

const USAGE: &str = "\
Usage: cargo xtask list

Lists the stages in order: number, crate, the idea each adds, and the
section of the article it follows.
";

pub fn run(args: Vec<String>) -> Result<(), Failure> {
    if cli::help_or_nothing(args, USAGE)? {
        print!("{USAGE}");
    } else {
        print!("{}", table(STAGES));
    }
    Ok(())
}

/// The stages as an aligned table.
fn table(stages: &[Stage]) -> String {
    let crate_width = stages
        .iter()
        .map(|stage| stage.krate.len())
        .max()
        .unwrap_or(0);
    let idea_width = stages
        .iter()
        .map(|stage| stage.idea.len())
        .max()
        .unwrap_or(0);
    let mut table = format!(
        "{:>2}  {:crate_width$}  {:idea_width$}  {}\n",
        "#", "crate", "idea", "article section"
    );
    for stage in stages {
        table += &format!(
            "{:>2}  {:crate_width$}  {:idea_width$}  {}\n",
            stage.number, stage.krate, stage.idea, stage.section
        );
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_stage() {
        insta::assert_snapshot!(table(STAGES), @"
        #  crate             idea                                                                         article section
        1  socket-sim        a fake socket, read by busy waits                                            The setup
        2  simple-future     SimpleFuture and Poll: a future is polled                                    How does it really work
        3  busy-executor     an executor that polls every future in a loop                                Defining an executor
        4  waker-executor    an executor that sleeps until a waker says which task to poll                Defining an executor
        5  futsocket         the socket's std Future, written by hand                                     Defining poll
        6  async-await-demo  async fn and .await, and the state machine behind them                       Async/Await
        7  mini-runtime      the same ideas on real TCP sockets: a mio reactor, timers and spawned tasks  How is it used in production
        ");
    }
}
