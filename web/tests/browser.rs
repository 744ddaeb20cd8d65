//! Component tests in a real headless Chromium (wasm-bindgen-test).
//! Run with `cargo xtask test --only wasm`.

use std::rc::Rc;
use std::time::Duration;

use sandbox_web::components::cluster::{ClusterDiagram, ClusterDiagramProps};
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

fn mount_point() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

async fn next_render() {
    // Yew schedules rendering; give it a turn of the event loop.
    yew::platform::time::sleep(Duration::from_millis(10)).await;
}

#[wasm_bindgen_test]
async fn diagram_draws_every_broker_and_replica_with_its_role() {
    let root = mount_point();
    let props = ClusterDiagramProps {
        view: Rc::new(sandbox_core::example::guide_cluster()),
        selected: Some(("orders".into(), 2)),
        on_select: Default::default(),
        on_node: Default::default(),
        selected_node: None,
    };
    yew::Renderer::<ClusterDiagram>::with_root_and_props(root.clone(), props).render();
    next_render().await;

    let count = |css: &str| root.query_selector_all(css).unwrap().length();
    assert_eq!(count("[data-broker]"), 3);
    assert_eq!(count("[data-replica]"), 9);
    assert_eq!(count("[data-replica][data-role='leader']"), 3);

    // The out-of-sync follower says so in words, not only with a dashed border.
    let lagging = root
        .query_selector("[data-replica='orders-2@0']")
        .unwrap()
        .expect("orders-2 has a replica on broker 0");
    assert_eq!(lagging.get_attribute("data-isr").as_deref(), Some("false"));
    assert!(lagging.text_content().unwrap().contains("Out of sync"));
    assert!(lagging.text_content().unwrap().contains("HW 58 · LEO 58"));

    let selected = root
        .query_selector("[data-partition='orders-2']")
        .unwrap()
        .unwrap();
    assert_eq!(
        selected.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
}

/// The same script gives the same trace in the browser as natively: the hash in the native
/// snapshot header (written by `core/tests/scenarios.rs`) must match the wasm run's.
#[wasm_bindgen_test]
fn wasm_runs_give_the_native_trace() {
    let cases = [
        (
            include_str!("../../core/tests/scenarios/hw-guide-example.txt"),
            include_str!("../../core/tests/scenarios/hw-guide-example.trace"),
        ),
        (
            include_str!("../../core/tests/scenarios/unclean-election.txt"),
            include_str!("../../core/tests/scenarios/unclean-election.trace"),
        ),
        (
            include_str!("../../core/tests/scenarios/controller-failover.txt"),
            include_str!("../../core/tests/scenarios/controller-failover.trace"),
        ),
    ];
    for (script, snapshot) in cases {
        let parsed = sandbox_core::parse::parse_script(script).expect("scenario parses");
        let run = sandbox_core::script::run(&parsed).expect("scenario runs");
        let header = format!(
            "# trace-hash: {:016x} ({} events, {} steps)",
            sandbox_core::script::trace_hash(&run.trace),
            run.trace.len(),
            run.timeline.state.steps
        );
        assert_eq!(
            snapshot.lines().next(),
            Some(header.as_str()),
            "wasm trace differs from the native snapshot"
        );
    }
}
