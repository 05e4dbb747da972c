//! The xtask command line from outside: exit codes, where messages go, and
//! a short walkthrough end to end.

use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_remove("SOCKET_SIM_DELAY_MS")
        .output()
        .expect("cannot run xtask")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_goes_to_stdout_and_succeeds() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let output = xtask(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(
            text(&output.stdout).contains("Usage: cargo xtask <command>"),
            "{args:?}"
        );
        assert!(output.stderr.is_empty(), "{args:?}");
    }
    for command in [
        "walkthrough",
        "test",
        "list",
        "fork",
        "check",
        "watch",
        "progress",
        "docs",
        "bench",
        "serve",
    ] {
        let output = xtask(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{command}");
        let help = text(&output.stdout);
        assert!(
            help.starts_with(&format!("Usage: cargo xtask {command}")),
            "{command}: {help}"
        );
        // `help <command>` says the same.
        assert_eq!(
            text(&xtask(&["help", command]).stdout),
            help,
            "help {command}"
        );
    }
}

#[test]
fn the_bench_answers_help_and_bad_flags_before_it_builds() {
    // Built, the bench would print "Compiling" or "Finished" on stderr first.
    for (args, code, start) in [
        (&["bench", "--help"][..], 0, "Usage: cargo xtask bench"),
        (&["bench", "--fast"], 2, "error: unknown flag \"--fast\""),
        (
            &["bench", "--quick", "--tiny"],
            2,
            "error: --quick and --tiny do not go together",
        ),
    ] {
        let output = xtask(args);
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        let said = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(said.starts_with(start), "{args:?}: {said}");
        assert!(
            !said.contains("Compiling") && !said.contains("Finished"),
            "{said}"
        );
    }
}

#[test]
fn the_server_answers_help_and_bad_flags_before_it_builds() {
    // Built, the server would print "Compiling" or "Finished" on stderr first.
    for (args, code, start) in [
        (&["serve", "--help"][..], 0, "Usage: cargo xtask serve"),
        (
            &["serve", "--port", "http"],
            2,
            "error: --port takes a port number",
        ),
        (
            &["serve", "--runtime", "nope"],
            2,
            "error: no runtime called \"nope\": the runtimes are mini, stealing, tokio, tokio-multi",
        ),
    ] {
        let output = xtask(args);
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        let said = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(said.starts_with(start), "{args:?}: {said}");
        assert!(
            !said.contains("Compiling") && !said.contains("Finished"),
            "{said}"
        );
    }
}

#[test]
fn an_unknown_or_missing_command_prints_usage_to_stderr_and_exits_2() {
    for (args, message) in [
        (&["nope"][..], "error: unknown command \"nope\""),
        (&["help", "nope"], "error: unknown command \"nope\""),
        (&[], "error: no command given"),
    ] {
        let output = xtask(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.starts_with(message), "{stderr}");
        assert!(stderr.contains("Usage: cargo xtask <command>"), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn bad_arguments_to_a_command_exit_2_naming_what_was_wrong() {
    for (args, message) in [
        (
            &["walkthrough", "--only", "nope"][..],
            "error: unknown stage \"nope\"; the stages are:\n  1  socket-sim\n",
        ),
        (
            &["walkthrough", "--delay-ms", "-3"],
            "error: --delay-ms: \"-3\" is not a whole number of milliseconds\n",
        ),
        (
            &["walkthrough", "--delay-ms", "4000000"],
            "error: --delay-ms: 4000000 ms is longer than the limit",
        ),
        (&["test", "--fast"], "error: unknown flag \"--fast\"\n"),
        (&["list", "extra"], "error: unexpected argument \"extra\"\n"),
        (
            &["fork", "nope", "mine"],
            "error: unknown stage \"nope\"; the stages are:\n  1  socket-sim\n",
        ),
        (
            &["fork"],
            "error: fork takes a STAGE (a number, a crate name, or `next`) and a NAME\n",
        ),
        (
            &["fork", "1", "2nd"],
            "error: cannot fork into \"2nd\": a crate name starts with a letter\n",
        ),
        (
            &["fork", "1", "busy_executor"],
            "error: cannot fork into \"busy_executor\": stage 3 is called that\n",
        ),
        (
            &["check"],
            "error: check takes the NAME of a fork, 0 given\n",
        ),
        (
            &["check", "no-such-fork"],
            "error: there is no fork exercises/no-such-fork; make one with",
        ),
        (
            &["watch", "no-such-fork"],
            "error: there is no fork exercises/no-such-fork; make one with",
        ),
        (&["watch", "a", "b"], "error: unexpected argument \"b\"\n"),
        (&["progress", "now"], "error: unexpected argument \"now\"\n"),
    ] {
        let output = xtask(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("Usage: cargo xtask {}", args[0])),
            "{stderr}"
        );
        assert!(
            output.stdout.is_empty(),
            "{args:?} wrote to stdout before failing"
        );
    }
}

#[test]
fn a_bad_socket_sim_delay_ms_is_refused_by_the_walkthrough() {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["walkthrough"])
        .env("SOCKET_SIM_DELAY_MS", "soon")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr)
            .starts_with("error: SOCKET_SIM_DELAY_MS: \"soon\" is not a whole number")
    );
}

#[test]
fn list_prints_the_stage_table() {
    let output = xtask(&["list"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    assert!(stdout.lines().next().unwrap().contains("crate"), "{stdout}");
    assert!(stdout.contains(" 1  socket-sim"), "{stdout}");
}

#[test]
fn the_walkthrough_runs_each_stage_demo_between_its_introduction_and_its_flaw() {
    let output = xtask(&[
        "walkthrough",
        "--only",
        "socket-sim",
        "--delay-ms",
        "30",
        "--no-color",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let heading = stdout.find("Stage 1 of").expect("no heading for stage 1");
    let demo = stdout
        .find("readable 30 ms after it is built")
        .expect("no demo for stage 1");
    let flaw = stdout
        .find("What stage 2 fixes:")
        .expect("no flaw for stage 1");
    let table = stdout.find("stage  crate").expect("no closing table");
    assert!(heading < demo && demo < flaw && flaw < table, "{stdout}");
    assert!(!stdout.contains("Stage 2 of"), "--only ran another stage");
}
