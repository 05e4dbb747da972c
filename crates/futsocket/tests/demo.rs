//! The stage 5 demo's transcript, with the times that vary filtered out.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use socket_sim::demo::TIME_FILTERS;

#[test]
fn demo_transcript() {
    let (done, transcript) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        futsocket::demo::run(&mut out, Duration::from_millis(100)).unwrap();
        done.send(String::from_utf8(out).unwrap()).unwrap();
    });
    let transcript =
        transcript.recv_timeout(Duration::from_secs(30)).expect("the demo did not finish in 30 s");
    insta::with_settings!({ filters => TIME_FILTERS.to_vec() }, {
        insta::assert_snapshot!(transcript);
    });
}
