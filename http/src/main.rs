//! `cargo xtask serve`: hyper on a runtime of this workspace, on loopback,
//! until Ctrl-C or SIGTERM. Exit codes: 0 stopped cleanly, 1 it could not
//! serve (the port taken, say), 2 bad usage.

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::{env, process, thread};

use http_server::{Options, Runtime, Shutdown, run};

mod flags;

fn main() -> ExitCode {
    let args: Vec<OsString> = env::args_os().skip(1).collect();
    if flags::wants_help(&args) {
        print!("{}", flags::help());
        return ExitCode::SUCCESS;
    }
    let choice = match flags::parse(args) {
        Ok(choice) => choice,
        Err(message) => {
            eprintln!("error: {message}\n\n{}", flags::help());
            return ExitCode::from(2);
        }
    };
    let cores = thread::available_parallelism().map_or(1, |cores| cores.get());
    let workers = choice.workers.unwrap_or(cores);
    let runtime = Runtime::from_name(choice.runtime, workers).expect("flags names a runtime");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, choice.port));

    let shutdown = Shutdown::new();
    let stop = shutdown.clone();
    let caught = ctrlc::set_handler(move || {
        if stop.is_raised() {
            eprintln!("stopped at once: the connections still open are cut");
            process::exit(130);
        }
        eprintln!("stopping: no new connections; Ctrl-C again to stop at once");
        stop.raise();
    });
    if let Err(error) = caught {
        eprintln!("error: cannot catch Ctrl-C: {error}");
        return ExitCode::FAILURE;
    }

    let served = run(&Options::new(runtime, addr), &shutdown, |addr| {
        let mut out = io::stdout().lock();
        let _ = write!(
            out,
            "listening on http://{addr}/ (hyper on {runtime})\n\
             try:  curl http://{addr}/\n      \
             curl --data 'hello, echo' http://{addr}/echo\n\
             Ctrl-C stops it.\n"
        );
        let _ = out.flush();
    });
    match served {
        Ok(served) => {
            let cut = match served.cut {
                0 => String::new(),
                cut => format!(
                    "; {cut} still open after {:?} were cut",
                    http_server::server::GRACE
                ),
            };
            let plural = if served.connections == 1 { "" } else { "s" };
            println!(
                "stopped: {} connection{plural} served{cut}",
                served.connections
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: cannot serve on {addr}: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_the_flags_name_is_served_under_that_name() {
        for name in flags::RUNTIMES {
            let runtime = Runtime::from_name(name, 1).unwrap();
            assert_eq!(runtime.name(), name);
        }
    }
}
