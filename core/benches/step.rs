//! How long the engine takes per step, natively: one simulation step through the timeline
//! (snapshots included) plus building the view the page draws. The page's whole frame,
//! rendering included, is measured in a real browser by `web/benches/render.rs`.
//!
//! `cargo bench -p sandbox-core --bench step`

use sandbox_core::command::Command;
use sandbox_core::example::{large_script, workshop_script};
use sandbox_core::timeline::Timeline;
use sandbox_core::view::cluster_view;

fn main() {
    divan::main();
}

fn settled(script: &str) -> Timeline {
    let parsed = sandbox_core::parse::parse_script(script).expect("benchmark script parses");
    let mut timeline = Timeline::new(parsed.cluster.clone());
    for command in &parsed.commands {
        timeline
            .apply(&command.value)
            .expect("benchmark command runs");
    }
    timeline
}

fn step_and_view(bencher: divan::Bencher, script: &str) {
    let mut timeline = settled(script);
    let step = Command::Step { count: 1 };
    bencher.bench_local(|| {
        timeline.apply(&step).expect("step");
        cluster_view(&timeline.state)
    });
}

/// 6 brokers, 36 partitions, replication factor 3, 10,008 records.
#[divan::bench(sample_count = 300)]
fn workshop(bencher: divan::Bencher) {
    step_and_view(bencher, &workshop_script());
}

/// 30 brokers, 1,000 partitions, replication factor 3.
#[divan::bench(sample_count = 100)]
fn large(bencher: divan::Bencher) {
    step_and_view(bencher, &large_script());
}

/// Loading a shared link of the workshop run: boot, create, produce, settle.
#[divan::bench(sample_count = 10)]
fn load_workshop() -> Timeline {
    settled(&workshop_script())
}

/// Loading the large run.
#[divan::bench(sample_count = 3)]
fn load_large() -> Timeline {
    settled(&large_script())
}
