//! Idle workers park: a runtime with nothing to do but wait for a timer
//! uses almost no CPU. A test binary of its own, since process CPU time is
//! the whole process's; the verdict compares a sleeping wait with a busy
//! one measured in the same run.

use std::time::{Duration, Instant};

use lab::measure::process_cpu_time;
use lab::patience::within_patience;
use work_stealing::time::sleep;
use work_stealing::{Runtime, spawn};

#[test]
fn workers_waiting_for_a_timer_sleep_instead_of_spinning() {
    let wait = Duration::from_millis(100);
    let (slept, sleeping_cpu, busy_cpu) = within_patience(move || {
        let runtime = Runtime::new(2);
        let (start, before) = (Instant::now(), process_cpu_time());
        runtime.block_on(async { spawn(sleep(wait)).await });
        let (slept, sleeping_cpu) = (start.elapsed(), process_cpu_time() - before);
        // The same length of busy work, for scale: what spinning would cost.
        let before = process_cpu_time();
        let start = Instant::now();
        while start.elapsed() < wait {
            std::hint::spin_loop();
        }
        (slept, sleeping_cpu, process_cpu_time() - before)
    });
    assert!(slept >= wait, "woke after {slept:?}");
    assert!(
        sleeping_cpu * 10 < busy_cpu,
        "{sleeping_cpu:?} of CPU to wait {wait:?} on two workers, {busy_cpu:?} to spin as long"
    );
}
