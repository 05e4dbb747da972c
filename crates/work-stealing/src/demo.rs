//! The stage 9 demo.

use std::io::{self, Write};
use std::time::Duration;

use lab::demo::Summary;

/// Writes the stage 9 demo to `out`.
pub fn run(out: &mut dyn Write, _delay: Duration) -> io::Result<Summary> {
    writeln!(out, "work stealing")?;
    Ok(Summary::default())
}
