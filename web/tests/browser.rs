//! Component tests in a real headless Chromium (wasm-bindgen-test).
//! Run with `cargo xtask test --only wasm`.

use std::rc::Rc;
use std::time::Duration;

use sandbox_core::command::{Command, TopicPartition};
use sandbox_core::view::{ClusterView, ConsumerView, GroupOffsetView, GroupView, MemberView};
use sandbox_web::components::cluster::{ClusterDiagram, ClusterDiagramProps};
use sandbox_web::components::groups::{GroupsPanel, GroupsPanelProps};
use sandbox_web::state::Action;
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

/// A group of two members, with lag on one partition and no commit yet on another.
fn group_view() -> ClusterView {
    let tp = |p| TopicPartition::new("orders", p);
    let member = |name: &str, id: &str, assigned: Vec<TopicPartition>| MemberView {
        member_id: id.into(),
        client_id: name.into(),
        node: 1000,
        group_instance_id: None,
        host: format!("/{name}"),
        assigned,
        epoch: 2,
    };
    let offset = |p, committed: Option<i64>, hw, lag_ms, owner: &str| GroupOffsetView {
        topic: "orders".into(),
        partition: p,
        committed,
        log_end_offset: hw,
        lag: committed.map(|c| hw - c),
        owner: Some(owner.into()),
        lag_ms,
    };
    let c1 = "c1-22feec8a-5505-473c-9fce-e31d84578afb";
    let c2 = "c2-73e49ef5-5c94-4b0d-b465-d43b49216a17";
    let consumer =
        |name: &str, id: &str, positions: Vec<(TopicPartition, i64)>, twice| ConsumerView {
            name: name.into(),
            node: 1000,
            group: Some("billing".into()),
            alive: true,
            state: "processing".into(),
            group_protocol: "classic".into(),
            member_id: Some(id.into()),
            owned: positions.iter().map(|(tp, _)| tp.clone()).collect(),
            positions,
            records_processed: 60,
            records_reprocessed: twice,
            ..Default::default()
        };
    ClusterView {
        groups: vec![GroupView {
            group_id: "billing".into(),
            protocol_type: "classic".into(),
            coordinator: Some(1),
            offsets_partition: 1,
            state: "Stable".into(),
            generation: 2,
            assignor: Some("range".into()),
            rebalance_protocol: "eager".into(),
            leader: Some(c1.into()),
            members: vec![
                member("c1", c1, vec![tp(0), tp(1)]),
                member("c2", c2, vec![tp(2)]),
            ],
            offsets: vec![
                offset(0, Some(40), 60, Some(3200), c1),
                offset(1, Some(10), 10, Some(0), c1),
                offset(2, None, 5, None, c2),
            ],
            rebalances: 2,
        }],
        consumers: vec![
            consumer("c1", c1, vec![(tp(0), 52), (tp(1), 10)], 12),
            consumer("c2", c2, vec![(tp(2), 5)], 0),
        ],
        ..ClusterView::default()
    }
}

#[wasm_bindgen_test]
async fn groups_panel_shows_state_owners_lag_and_labelled_chips() {
    let root = mount_point();
    let clicked = Rc::new(std::cell::RefCell::new(Vec::new()));
    let dispatch = {
        let clicked = clicked.clone();
        yew::Callback::from(move |action: Action| {
            if let Action::Command(c) = action {
                clicked.borrow_mut().push(c);
            }
        })
    };
    let props = GroupsPanelProps {
        view: Rc::new(group_view()),
        dispatch,
    };
    yew::Renderer::<GroupsPanel>::with_root_and_props(root.clone(), props).render();
    next_render().await;

    let one = |css: &str| {
        root.query_selector(css)
            .unwrap()
            .unwrap_or_else(|| panic!("no `{css}`"))
    };
    let count = |css: &str| root.query_selector_all(css).unwrap().length();
    let text = |css: &str| one(css).text_content().unwrap_or_default();

    // The group's state is a word with a symbol, and its facts are spelled out.
    let group = one("[data-group='billing']");
    assert_eq!(
        group.get_attribute("data-group-state").as_deref(),
        Some("Stable")
    );
    assert!(text(".group-state").contains("✓ Stable"));
    let facts = text(".group-facts");
    assert!(
        facts.contains("range") && facts.contains("eager"),
        "{facts}"
    );
    assert!(facts.contains("broker 1 · __consumer_offsets-1"), "{facts}");

    // Members: client id, a short member id with the full one in its title, labelled chips.
    assert_eq!(count("[data-member]"), 2);
    let code = one("[data-member='c1'] code");
    assert_eq!(code.text_content().as_deref(), Some("c1-22feec8a…"));
    assert_eq!(
        code.get_attribute("title").as_deref(),
        Some("c1-22feec8a-5505-473c-9fce-e31d84578afb")
    );
    assert_eq!(count("[data-member='c1'] [data-chip]"), 2);
    assert_eq!(text("[data-member='c2'] [data-chip]").trim(), "orders-2");
    assert!(text("[data-member='c1']").contains("leader"));

    // Partitions: owner, committed, lag in records and in time, position from the consumer.
    let row = one("tr[data-group-partition='orders-0']");
    assert_eq!(row.get_attribute("data-owner").as_deref(), Some("c1"));
    assert_eq!(row.get_attribute("data-lag").as_deref(), Some("20"));
    assert_eq!(row.get_attribute("data-committed").as_deref(), Some("40"));
    let cells = text("tr[data-group-partition='orders-0']");
    assert!(cells.contains("52") && cells.contains("3.2 s"), "{cells}");
    let bar = one("tr[data-group-partition='orders-0'] .lag-bar");
    assert_eq!(
        bar.get_attribute("aria-label").as_deref(),
        Some("committed 40, position 52, HW 60")
    );
    // Caught up: the three markers share one label.
    assert!(text("tr[data-group-partition='orders-1'] .lag-bar").contains("C/P/HW"));
    let uncommitted = one("tr[data-group-partition='orders-2']");
    assert_eq!(
        uncommitted.get_attribute("data-owner").as_deref(),
        Some("c2")
    );
    assert_eq!(
        uncommitted.get_attribute("data-committed").as_deref(),
        Some("")
    );

    // Consumers: the processed-twice count stands out; buttons run consumer commands.
    assert!(text("[data-consumer='c1'] .reprocessed").contains("⚠ 12"));
    assert_eq!(count("[data-consumer='c2'] .reprocessed.alert"), 0);
    assert!(
        one("[data-consumer='c1'] .restart").has_attribute("disabled"),
        "a running consumer cannot be restarted"
    );
    let slow: web_sys::HtmlElement =
        wasm_bindgen::JsCast::dyn_into(one("[data-consumer='c1'] .slow")).unwrap();
    slow.click();
    assert_eq!(
        clicked.borrow().as_slice(),
        &[Command::ConsumerSet {
            name: "c1".into(),
            key: "sandbox.processing.ms.per.record".into(),
            value: "500".into(),
        }]
    );

    // The form proposes the next free name and the existing group.
    let name: web_sys::HtmlInputElement =
        wasm_bindgen::JsCast::dyn_into(one(".consumer-form .consumer-name")).unwrap();
    assert_eq!(name.value(), "c3");
    let group: web_sys::HtmlInputElement =
        wasm_bindgen::JsCast::dyn_into(one(".consumer-form .consumer-group")).unwrap();
    assert_eq!(group.value(), "billing");
}
