//! The server's command line, declared once: `cargo xtask serve` reads this
//! file too, to answer help and bad flags before it builds the server, and
//! the server reads it again when it starts. It depends on nothing but
//! xflags, so that both can include it.

use std::ffi::OsString;

xflags::xflags! {
    /// Serve HTTP/1.1 with hyper on a runtime of this workspace, on loopback.
    ///
    /// `GET /` answers a greeting and `POST /echo` sends the request's body back,
    /// each connection a task of the runtime; Ctrl-C (or SIGTERM) stops it. The
    /// runtimes: mini (stage 7, one thread, the default), stealing (stage 9), and
    /// their peers, the same server on tokio: tokio (current-thread) and
    /// tokio-multi.
    cmd serve {
        /// The port to listen on (default: a free one, printed).
        optional --port port: String
        /// mini, stealing, tokio or tokio-multi (default: mini).
        optional --runtime name: String
        /// Worker threads of stealing and tokio-multi (default: one per core).
        optional --workers n: String
    }
}

/// The runtimes `--runtime` names, the default first.
pub const RUNTIMES: [&str; 4] = ["mini", "stealing", "tokio", "tokio-multi"];

/// The most workers `--workers` takes: more threads than that is a typo.
pub const MOST_WORKERS: usize = 1024;

/// What the command line asks for, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// 0 for a free one.
    pub port: u16,
    /// One of [`RUNTIMES`].
    pub runtime: &'static str,
    /// Given for the runtimes with workers only.
    pub workers: Option<usize>,
}

/// The usage line both the server and `cargo xtask serve` show.
pub const USAGE: &str = "Usage: cargo xtask serve [--port N] [--runtime NAME] [--workers N]";

/// The help: the usage line, then what each flag does.
pub fn help() -> String {
    // xflags' help opens with the command's name and a line of its own.
    let about = Serve::HELP_.split_once('\n').map_or("", |(_, rest)| rest);
    format!("{USAGE}\n{about}\n")
}

/// Whether `args` ask for the help.
pub fn wants_help(args: &[OsString]) -> bool {
    args.iter().any(|arg| arg == "--help" || arg == "-h")
}

/// Reads `args` (without the program's name; `--flag=value` as `--flag
/// value`); the error is a message for a usage error, naming what was wrong.
pub fn parse(args: Vec<OsString>) -> Result<Choice, String> {
    let mut split = Vec::with_capacity(args.len());
    for arg in args {
        match arg
            .to_str()
            .and_then(|arg| arg.strip_prefix("--")?.split_once('='))
        {
            Some((flag, value)) => split.extend([format!("--{flag}").into(), value.into()]),
            None => split.push(arg),
        }
    }
    let serve = Serve::from_vec(split).map_err(|error| usage_message(&error.to_string()))?;
    let port = match serve.port.as_deref() {
        None => 0,
        Some(port) => port
            .parse()
            .map_err(|_| format!("--port takes a port number, 0 to 65535, not {port:?}"))?,
    };
    let name = serve.runtime.as_deref().unwrap_or(RUNTIMES[0]);
    let runtime = RUNTIMES
        .into_iter()
        .find(|runtime| *runtime == name)
        .ok_or_else(|| {
            let all = RUNTIMES.join(", ");
            format!("no runtime called {name:?}: the runtimes are {all}")
        })?;
    let workers = match serve.workers.as_deref() {
        None => None,
        Some(_) if !matches!(runtime, "stealing" | "tokio-multi") => {
            return Err(format!(
                "--workers is for stealing and tokio-multi: {runtime} runs on one thread"
            ));
        }
        Some(workers) => match workers.parse() {
            Ok(workers @ 1..=MOST_WORKERS) => Some(workers),
            _ => {
                return Err(format!(
                    "--workers takes a number of threads, 1 to {MOST_WORKERS}, not {workers:?}"
                ));
            }
        },
    };
    Ok(Choice {
        port,
        runtime,
        workers,
    })
}

/// An error of xflags in the words of the workspace's other usage errors.
fn usage_message(message: &str) -> String {
    let quoted = |text: &str| text.trim_matches('`').trim_matches('"').to_owned();
    if let Some(flag) = message.strip_prefix("unexpected flag: ") {
        format!("unknown flag {:?}", quoted(flag))
    } else if let Some(arg) = message.strip_prefix("unexpected argument: ") {
        format!("unexpected argument {:?}", quoted(arg))
    } else if let Some(flag) = message.strip_prefix("expected a value for ") {
        format!("{} needs a value", quoted(flag))
    } else if let Some(flag) = message.strip_prefix("flag specified more than once: ") {
        format!("{} is given more than once", quoted(flag))
    } else {
        message.to_owned()
    }
}
