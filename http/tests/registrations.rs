//! A client that leaves mid-request leaves nothing behind: the stage's
//! reactor holds as many sockets after as before (`io_registrations`),
//! on stage 7's runtime and on stage 9's.
//!
//! The server and the checks run in one `block_on`; the clients are
//! blocking sockets of the test's, whose connect the kernel completes on
//! its own and whose small writes never block.

use std::future::Future;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_server::server::{self, Options, Runtime};
use http_server::{Served, Shutdown};
use lab::patience::PATIENCE;

/// Requests cut short: in the head, and in the body.
const PARTIAL: [&[u8]; 2] = [
    b"GET / HTTP/1.1\r\nHost: te",
    b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nnot all of it",
];

fn options(runtime: Runtime) -> Options {
    let mut options = Options::new(runtime, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    options.log_errors = false;
    options
}

/// Waits until `registrations()` is `wanted`, looking every few
/// milliseconds with `sleep`; panics, saying `what`, after `PATIENCE`.
async fn until<Z: Future<Output = ()>>(
    registrations: impl Fn() -> usize,
    wanted: usize,
    sleep: impl Fn(Duration) -> Z,
    what: &str,
) {
    let deadline = Instant::now() + PATIENCE;
    while registrations() != wanted {
        assert!(
            Instant::now() < deadline,
            "{what}: {} registrations, not {wanted}, after {PATIENCE:?}",
            registrations()
        );
        sleep(Duration::from_millis(5)).await;
    }
}

/// Where the server said it listens, once it has.
#[derive(Clone, Default)]
struct Address(Arc<Mutex<Option<SocketAddr>>>);

impl Address {
    fn tell(&self) -> impl FnOnce(SocketAddr) + Send + 'static {
        let address = self.clone();
        move |addr| *address.0.lock().unwrap() = Some(addr)
    }

    async fn get<Z: Future<Output = ()>>(&self, sleep: impl Fn(Duration) -> Z) -> SocketAddr {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(addr) = *self.0.lock().unwrap() {
                return addr;
            }
            assert!(Instant::now() < deadline, "the server never listened");
            sleep(Duration::from_millis(1)).await;
        }
    }
}

/// The clients of one test, against a server whose reactor
/// `registrations()` counts and that `sleep`s on its runtime.
async fn leave_mid_request<Z: Future<Output = ()>>(
    addr: SocketAddr,
    registrations: impl Fn() -> usize,
    sleep: impl Fn(Duration) -> Z + Copy,
) {
    // The listener's.
    let before = registrations();
    assert_eq!(before, 1, "the listener alone");
    for partial in PARTIAL {
        let mut client = TcpStream::connect(addr).unwrap();
        client.write_all(partial).unwrap();
        let what = format!("{:?}", String::from_utf8_lossy(partial));
        until(
            &registrations,
            before + 1,
            sleep,
            &format!("accepting {what}"),
        )
        .await;
        drop(client);
        until(
            &registrations,
            before,
            sleep,
            &format!("after leaving {what}"),
        )
        .await;
    }
}

#[test]
fn a_client_gone_mid_request_leaves_no_registration_on_stage_7() {
    use mini_runtime::{io_registrations, spawn, time::sleep};
    let shutdown = Shutdown::new();
    let address = Address::default();
    let served = mini_runtime::block_on(async {
        let options = options(Runtime::Mini);
        let server = spawn(server::mini(options, shutdown.clone(), address.tell()));
        let addr = address.get(sleep).await;
        leave_mid_request(addr, io_registrations, sleep).await;
        shutdown.raise();
        let served = server.await.unwrap();
        assert_eq!(io_registrations(), 0, "the listener gone too");
        served
    });
    assert_eq!(
        served,
        Served {
            connections: 2,
            cut: 0
        }
    );
}

#[test]
fn a_client_gone_mid_request_leaves_no_registration_on_stage_9() {
    use work_stealing::{io_registrations, spawn, time::sleep};
    let shutdown = Shutdown::new();
    let address = Address::default();
    let runtime = work_stealing::Runtime::new(2);
    let served = runtime.block_on(async {
        let options = options(Runtime::Stealing(2));
        let server = spawn(server::stealing(options, shutdown.clone(), address.tell()));
        let addr = address.get(sleep).await;
        leave_mid_request(addr, io_registrations, sleep).await;
        shutdown.raise();
        let served = server.await.unwrap();
        assert_eq!(io_registrations(), 0, "the listener gone too");
        served
    });
    assert_eq!(
        served,
        Served {
            connections: 2,
            cut: 0
        }
    );
}
