//! The walkthrough's output: colour where it is welcome, and on a terminal a
//! live progress line under what a stage writes while its sockets wait.

use std::env;
use std::io::{self, IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use socket_sim::{SocketCounts, socket_counts};

/// Whether standard output is a terminal a person watches.
pub fn is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Whether to colour: only on a terminal, never with `--no-color`, and
/// never when `NO_COLOR` is set to anything (see no-color.org).
pub fn wants_color(no_color_flag: bool) -> bool {
    let no_color_env = env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    is_terminal() && !no_color_flag && !no_color_env
}

/// Colours, or plain text when they are off.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    color: bool,
}

impl Style {
    pub fn new(color: bool) -> Self {
        Style { color }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Bold cyan: a stage's heading.
    pub fn heading(self, text: &str) -> String {
        self.paint("1;36", text)
    }

    /// Bold: table headers.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Yellow: what is still wrong.
    pub fn warning(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Dim: legends and asides.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// How often the progress line is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// Clears the current terminal line and puts the cursor at its start.
const CLEAR_LINE: &str = "\r\x1b[2K";

/// Runs `f` with `out` as its writer. With `live`, a thread meanwhile keeps a
/// progress line under the output while sockets wait: how long the wait has
/// lasted, and how many of the sockets built during it are ready.
pub fn with_progress<T>(
    out: &mut (dyn Write + Send),
    live: bool,
    f: impl FnOnce(&mut dyn Write) -> T,
) -> io::Result<T> {
    if !live {
        return Ok(f(out));
    }
    let screen = Arc::new(Mutex::new(Screen::new(out)));
    let (stop, stopped) = mpsc::channel::<()>();
    let result = thread::scope(|scope| {
        let ticker = Arc::clone(&screen);
        scope.spawn(move || {
            // A wait starts when nothing is waiting: its clock and its count start then.
            let (mut since, mut before) = (Instant::now(), socket_counts());
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                let now = socket_counts();
                let line = progress(since.elapsed(), before, now);
                if line.is_none() {
                    (since, before) = (Instant::now(), now);
                }
                // A broken terminal shows up in the output writes, too.
                let _ = ticker.lock().unwrap().show_progress(line.as_deref());
            }
        });
        let result = f(&mut Shared(Arc::clone(&screen)));
        drop(stop);
        result
    });
    screen.lock().unwrap().finish()?;
    Ok(result)
}

/// The progress line of a wait that began `elapsed` ago with `before`
/// sockets counted; `None` when none of its sockets is waiting.
fn progress(elapsed: Duration, before: SocketCounts, now: SocketCounts) -> Option<String> {
    let built = now.built - before.built;
    let ready = built.saturating_sub(now.waiting.saturating_sub(before.waiting));
    (ready < built).then(|| {
        format!(
            "  ... waiting {:.1} s, sockets ready: {ready} of {built}",
            elapsed.as_secs_f64()
        )
    })
}

/// A writer that several threads share.
struct Shared<'a>(Arc<Mutex<Screen<'a>>>);

impl Write for Shared<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().write_lines(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Terminal output that passes on whole lines only, and keeps a progress
/// line under them that it clears before each.
struct Screen<'a> {
    out: &'a mut (dyn Write + Send),
    /// The start of a line not yet ended: held back until it is.
    partial: Vec<u8>,
    /// Whether the progress line is on the screen now.
    progress_shown: bool,
}

impl<'a> Screen<'a> {
    fn new(out: &'a mut (dyn Write + Send)) -> Self {
        Screen {
            out,
            partial: Vec::new(),
            progress_shown: false,
        }
    }

    fn write_lines(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.partial.extend_from_slice(bytes);
        let Some(end) = self.partial.iter().rposition(|&byte| byte == b'\n') else {
            return Ok(());
        };
        self.clear_progress()?;
        let lines: Vec<u8> = self.partial.drain(..=end).collect();
        self.out.write_all(&lines)?;
        self.out.flush()
    }

    /// Shows `line` as the progress line, or clears it for `None`. Waits
    /// while a line is half written.
    fn show_progress(&mut self, line: Option<&str>) -> io::Result<()> {
        if !self.partial.is_empty() {
            return Ok(());
        }
        match line {
            Some(line) => {
                write!(self.out, "{CLEAR_LINE}{line}")?;
                self.progress_shown = true;
                self.out.flush()
            }
            None => self.clear_progress(),
        }
    }

    fn clear_progress(&mut self) -> io::Result<()> {
        if self.progress_shown {
            self.out.write_all(CLEAR_LINE.as_bytes())?;
            self.progress_shown = false;
        }
        Ok(())
    }

    /// Clears the progress line and writes what is left.
    fn finish(&mut self) -> io::Result<()> {
        self.clear_progress()?;
        let rest = std::mem::take(&mut self.partial);
        self.out.write_all(&rest)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes)
            .replace('\r', "<CR>")
            .replace("\x1b[2K", "<CLEAR>")
    }

    #[test]
    fn whole_lines_pass_and_the_progress_line_is_cleared_before_each() {
        let mut out = Vec::new();
        let mut screen = Screen::new(&mut out);
        screen.show_progress(Some("... 0.1 s")).unwrap();
        screen.write_lines(b"first li").unwrap();
        screen.show_progress(Some("... 0.2 s")).unwrap(); // held back: a line is half written
        screen.write_lines(b"ne\nsecond").unwrap();
        screen.show_progress(Some("... 0.3 s")).unwrap();
        screen.write_lines(b" line\n").unwrap();
        screen.show_progress(None).unwrap();
        screen.write_lines(b"tail").unwrap();
        screen.finish().unwrap();
        insta::assert_snapshot!(shown(&out), @"
        <CR><CLEAR>... 0.1 s<CR><CLEAR>first line
        second line
        tail
        ");
    }

    #[test]
    fn progress_counts_only_the_sockets_of_this_wait() {
        let before = SocketCounts {
            built: 10,
            waiting: 1,
        };
        let line = |built, waiting| {
            progress(
                Duration::from_millis(1500),
                before,
                SocketCounts { built, waiting },
            )
        };
        assert_eq!(line(10, 1), None, "nothing built yet");
        assert_eq!(
            line(12, 3).as_deref(),
            Some("  ... waiting 1.5 s, sockets ready: 0 of 2")
        );
        assert_eq!(
            line(12, 2).as_deref(),
            Some("  ... waiting 1.5 s, sockets ready: 1 of 2")
        );
        assert_eq!(line(12, 1), None, "all ready");
        assert_eq!(line(12, 0), None, "an older socket finished too");
    }

    #[test]
    fn colour_is_off_when_asked_and_plain_text_stays_plain() {
        assert_eq!(Style::new(false).heading("Stage 1"), "Stage 1");
        assert_eq!(
            Style::new(true).heading("Stage 1"),
            "\x1b[1;36mStage 1\x1b[0m"
        );
        // Tests do not run on a terminal, so colour is never wanted here.
        assert!(!wants_color(false));
    }
}
