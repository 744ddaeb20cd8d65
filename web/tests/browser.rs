//! Component tests in a real headless Chromium (wasm-bindgen-test).
//! Run with `cargo xtask test --only wasm`.

use std::rc::Rc;
use std::time::Duration;

use sandbox_core::command::{Command, TopicPartition};
use sandbox_core::view::CallsAllowed;
use sandbox_core::view::{
    ClusterView, ConsumerView, GroupOffsetView, GroupStateView, GroupView, MemberView,
};
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
        rows: Default::default(),
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
        (
            include_str!("../../core/tests/scenarios/producer-retry-reordering.txt"),
            include_str!("../../core/tests/scenarios/producer-retry-reordering.trace"),
        ),
        (
            include_str!("../../core/tests/scenarios/txn-consume-transform-produce.txt"),
            include_str!("../../core/tests/scenarios/txn-consume-transform-produce.trace"),
        ),
        (
            include_str!("../../core/tests/scenarios/txn-late-batch-refused.txt"),
            include_str!("../../core/tests/scenarios/txn-late-batch-refused.trace"),
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
            state: sandbox_core::view::ConsumerStatus::Processing,
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
            state: GroupStateView::Stable,
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

fn has_class(element: &Element, class: &str) -> bool {
    element
        .get_attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|c| c == class))
}

fn one(root: &Element, css: &str) -> Element {
    root.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("no `{css}`"))
}

fn click(root: &Element, css: &str) {
    let el: web_sys::HtmlElement = wasm_bindgen::JsCast::dyn_into(one(root, css)).unwrap();
    el.click();
}

/// A transactional producer in a transaction, with a batch lingering and one in flight, and a
/// fenced instance; the coordinator's view of the transaction.
fn producers_view() -> ClusterView {
    use sandbox_core::view::{BatchView, ProducerView, TopicView, TransactionView};
    use sandbox_core::view::{ProducerStatus, ProducerTxnState as TxnState};
    let batch = |id, partition, records, base_sequence, status: &str| BatchView {
        id,
        topic: "orders".into(),
        partition,
        records,
        bytes: 75 * records as i64,
        base_sequence,
        attempts: 1,
        status: status.into(),
    };
    let producer = |name: &str, state: ProducerStatus| ProducerView {
        name: name.into(),
        node: 2000,
        alive: true,
        state,
        acks: "all".into(),
        idempotent: true,
        transactional_id: Some("orders-tx".into()),
        producer_id: 7,
        producer_epoch: 2,
        txn_state: Some(TxnState::InTransaction),
        txn_partitions: vec![TopicPartition::new("orders", 0)],
        linger_ms: 5,
        batch_size: 16384,
        max_in_flight: 5,
        batches: vec![batch(3, 1, 4, Some(0), "linger.ms (3 ms left)")],
        in_flight: vec![batch(2, 0, 10, Some(0), "in flight to broker 1 for 2 ms")],
        records_sent: 14,
        records_acked: 0,
        records_failed: 0,
        retries: 0,
        transactions_committed: 1,
        transactions_aborted: 2,
        error: None,
        properties: vec![("transactional.id".into(), "orders-tx".into())],
        calls: CallsAllowed {
            send: true,
            begin: false,
            commit: true,
            abort: true,
        },
    };
    let mut zombie = producer("zombie", ProducerStatus::Fenced);
    zombie.calls = CallsAllowed::default();
    zombie.producer_epoch = 1;
    zombie.txn_state = Some(TxnState::Fatal);
    zombie.batches.clear();
    zombie.in_flight.clear();
    zombie.error = Some("PRODUCER_FENCED: a newer instance has epoch 2".into());
    ClusterView {
        topics: vec![TopicView {
            name: "orders".into(),
            partitions: Vec::new(),
            topic_id: String::new(),
            configs: Vec::new(),
        }],
        producer_clients: vec![producer("tx", ProducerStatus::InTransaction), zombie],
        transactions: vec![TransactionView {
            transactional_id: "orders-tx".into(),
            coordinator: 1,
            state_partition: 2,
            producer_id: 7,
            producer_epoch: 2,
            state: sandbox_core::view::TxnStatus::Ongoing,
            partitions: vec![TopicPartition::new("orders", 0)],
            open_ms: Some(120),
            timeout_ms: 60000,
            markers_pending: Vec::new(),
        }],
        ..ClusterView::default()
    }
}

#[wasm_bindgen_test]
async fn producers_panel_shows_batches_requests_and_transactions() {
    use sandbox_web::components::producers::{ProducersPanel, ProducersPanelProps};
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
    let props = ProducersPanelProps {
        view: Rc::new(producers_view()),
        dispatch,
    };
    yew::Renderer::<ProducersPanel>::with_root_and_props(root.clone(), props).render();
    next_render().await;
    let text = |css: &str| one(&root, css).text_content().unwrap_or_default();
    let count = |css: &str| root.query_selector_all(css).unwrap().length();

    // The card: state, id / epoch, configs, and the transaction's state.
    let card = one(&root, "[data-producer='tx']");
    assert_eq!(
        card.get_attribute("data-txn-state").as_deref(),
        Some("IN_TRANSACTION")
    );
    assert!(text("[data-producer='tx'] .producer-state").contains("in a transaction"));
    assert_eq!(text("[data-producer='tx'] .pid"), "7 / 2");
    assert!(text("[data-producer='tx'] .producer-facts").contains("orders-tx"));
    // The accumulator's batch is visible before it is sent, with what it waits for.
    assert_eq!(count("[data-producer='tx'] .accumulator .batch"), 1);
    let waiting = text("[data-producer='tx'] .accumulator [data-batch='orders-1']");
    assert!(waiting.contains("linger.ms (3 ms left)"), "{waiting}");
    assert!(waiting.contains("0–3"), "sequences 0 to 3: {waiting}");
    let sent = text("[data-producer='tx'] .in-flight [data-batch='orders-0']");
    assert!(sent.contains("in flight to broker 1"), "{sent}");
    assert!(text("[data-producer='tx'] .producer-counts").contains("14"));
    assert!(text("[data-producer='tx'] .txn-aborted").contains('2'));

    // Transaction buttons follow the state: in a transaction, Begin is off, Commit is on.
    assert!(one(&root, "[data-producer='tx'] .begin").has_attribute("disabled"));
    assert!(!one(&root, "[data-producer='tx'] .commit").has_attribute("disabled"));
    click(&root, "[data-producer='tx'] .send-10");
    click(&root, "[data-producer='tx'] .abort");
    assert_eq!(
        clicked.borrow().as_slice(),
        &[
            Command::ProducerSend {
                name: "tx".into(),
                topic: "orders".into(),
                count: 10,
                key: None,
                value: None,
                partition: None,
            },
            Command::ProducerAction {
                name: "tx".into(),
                action: sandbox_core::command::ProducerAction::Abort,
            },
        ]
    );

    // The fenced instance says why and cannot send.
    assert!(text("[data-producer='zombie'] .producer-error").contains("PRODUCER_FENCED"));
    for button in ["send-1", "begin", "commit", "abort"] {
        assert!(
            one(&root, &format!("[data-producer='zombie'] .{button}")).has_attribute("disabled"),
            "{button}"
        );
    }

    // The coordinator's side.
    let txn = one(&root, "[data-transaction='orders-tx']");
    assert_eq!(
        txn.get_attribute("data-txn-state").as_deref(),
        Some("Ongoing")
    );
    let row = text("[data-transaction='orders-tx']");
    assert!(row.contains("broker 1 · __transaction_state-2"), "{row}");
    assert!(row.contains("orders-0") && row.contains("7 / 2"), "{row}");

    // The form proposes the next free name and sends only what differs from the defaults.
    clicked.borrow_mut().clear();
    click(&root, ".producer-start");
    assert_eq!(
        clicked.borrow().as_slice(),
        &[Command::ProducerStart {
            name: "p1".into(),
            properties: Vec::new(),
        }]
    );
}

/// orders-0 after an aborted transaction (offsets 0–1, ABORT marker at 2), a committed one (3,
/// COMMIT at 4) and one still open (5–6): the LSO stays at 5 while the HW is 7.
fn transaction_log_view(brokers: i32) -> ClusterView {
    use sandbox_core::view::ControlType;
    use sandbox_core::view::{
        BrokerView, PartitionView, RecordBatchMark, RecordMark, ReplicaView, TopicView,
    };
    let mark = |offset, sequence, control: Option<ControlType>, aborted| RecordMark {
        offset,
        producer: if control.is_some() { 1 } else { 0 },
        batch: Some(RecordBatchMark {
            producer_id: 4,
            producer_epoch: 0,
            sequence,
            transactional: true,
            control,
            aborted,
        }),
    };
    let recent = vec![
        mark(0, 0, None, true),
        mark(1, 1, None, true),
        mark(2, -1, Some(ControlType::Abort), false),
        mark(3, 2, None, false),
        mark(4, -1, Some(ControlType::Commit), false),
        mark(5, 3, None, false),
        mark(6, 4, None, false),
    ];
    let replica = |broker| ReplicaView {
        broker,
        is_leader: broker == 0,
        in_isr: true,
        log_start_offset: 0,
        high_watermark: 7,
        log_end_offset: 7,
        last_stable_offset: 5,
        open_transactions: vec![(4, 5)],
        truncated: 0,
        recent: recent.clone(),
        lost: Vec::new(),
    };
    ClusterView {
        brokers: (0..brokers)
            .map(|id| BrokerView {
                id,
                rack: None,
                alive: true,
                fenced: false,
                fetch_paused: false,
            })
            .collect(),
        topics: vec![TopicView {
            name: "orders".into(),
            partitions: vec![std::sync::Arc::new(PartitionView {
                topic: "orders".into(),
                partition: 0,
                leader: Some(0),
                leader_epoch: 0,
                isr: vec![0, 1, 2],
                replicas: vec![replica(0), replica(1), replica(2)],
                partition_epoch: 0,
            })],
            topic_id: String::new(),
            configs: Vec::new(),
        }],
        producers: vec!["tx".into(), "txn orders-tx".into()],
        ..ClusterView::default()
    }
}

#[wasm_bindgen_test]
async fn plain_records_are_drawn_in_runs_each_with_its_offsets_and_producer() {
    use sandbox_core::view::{RecordBatchMark, RecordMark};
    // Offsets 0-4 from one idempotent producer (committed, HW 5), 5-6 from another (not yet).
    let mut view = transaction_log_view(3);
    let partition = std::sync::Arc::make_mut(&mut view.topics[0].partitions[0]);
    for replica in &mut partition.replicas {
        replica.open_transactions.clear();
        replica.high_watermark = 5;
        replica.last_stable_offset = 5;
        replica.recent = (0..7)
            .map(|offset| RecordMark {
                offset,
                producer: usize::from(offset >= 5),
                batch: Some(RecordBatchMark {
                    producer_id: if offset < 5 { 4 } else { 9 },
                    producer_epoch: 0,
                    sequence: (offset % 5) as i32,
                    transactional: false,
                    control: None,
                    aborted: false,
                }),
            })
            .collect();
    }
    let root = mount_point();
    let props = ClusterDiagramProps {
        view: Rc::new(view),
        rows: Default::default(),
        selected: None,
        on_select: Default::default(),
        on_node: Default::default(),
        selected_node: None,
    };
    yew::Renderer::<ClusterDiagram>::with_root_and_props(root.clone(), props).render();
    next_render().await;
    let leader = "[data-replica='orders-0@0']";
    // One element per run, not per record: a square per record inside one path.
    let committed = one(&root, &format!("{leader} .record-run[data-from='0']"));
    assert_eq!(committed.get_attribute("data-to").as_deref(), Some("4"));
    assert!(has_class(&committed, "committed"));
    assert!(has_class(&committed, "producer-0"));
    let squares = committed.get_attribute("d").unwrap().matches('M').count();
    assert_eq!(squares, 5, "a square for each of offsets 0-4");
    assert_eq!(
        committed.text_content().as_deref(),
        Some("offsets 0–4: committed, producer #1; producer id 4, epoch 0, sequences 0–4")
    );
    let pending = one(&root, &format!("{leader} .record-run[data-from='5']"));
    assert!(has_class(&pending, "uncommitted"));
    assert!(has_class(&pending, "producer-1"));
    assert_eq!(pending.get_attribute("data-to").as_deref(), Some("6"));
    assert!(pending
        .text_content()
        .unwrap()
        .starts_with("offsets 5–6: uncommitted, producer #2; producer id 9"));
    // Nothing drawn a record at a time.
    let singles = root
        .query_selector_all(&format!("{leader} rect.record"))
        .unwrap()
        .length();
    assert_eq!(singles, 0);
}

#[wasm_bindgen_test]
async fn logs_draw_markers_aborted_and_open_records_and_the_lso() {
    use sandbox_web::components::partition_detail::{PartitionDetail, PartitionDetailProps};
    let view = Rc::new(transaction_log_view(3));
    let root = mount_point();
    let props = ClusterDiagramProps {
        view: view.clone(),
        rows: Default::default(),
        selected: None,
        on_select: Default::default(),
        on_node: Default::default(),
        selected_node: None,
    };
    yew::Renderer::<ClusterDiagram>::with_root_and_props(root.clone(), props).render();
    next_render().await;
    let count = |root: &Element, css: &str| root.query_selector_all(css).unwrap().length();
    let leader = "[data-replica='orders-0@0']";
    // Markers are lettered, aborted records struck, open ones ringed, on every replica.
    assert_eq!(count(&root, "[data-control='ABORT']"), 3);
    assert_eq!(count(&root, "[data-control='COMMIT']"), 3);
    let abort = one(&root, &format!("{leader} [data-control='ABORT']"));
    assert_eq!(
        abort.text_content().as_deref().map(|t| t.contains('A')),
        Some(true)
    );
    assert!(abort.text_content().unwrap().contains("ABORT marker"));
    assert_eq!(count(&root, &format!("{leader} .record.aborted")), 2);
    assert_eq!(count(&root, &format!("{leader} .abort-strike")), 2);
    assert_eq!(count(&root, &format!("{leader} .open-ring")), 2);
    // Every record's tooltip names its producer id, epoch and sequence.
    let record = one(&root, &format!("{leader} [data-offset='3'] title"));
    let title = record.text_content().unwrap();
    assert!(
        title.contains("producer id 4, epoch 0, sequence 2") && title.contains("committed"),
        "{title}"
    );
    // The LSO is drawn where it differs from the HW, and said in words.
    let lso = one(&root, &format!("{leader} [data-marker='LSO']"));
    assert_eq!(lso.get_attribute("data-offset").as_deref(), Some("5"));
    assert!(one(&root, leader)
        .text_content()
        .unwrap()
        .contains("LSO 5 · HW 7"));
    assert!(one(&root, ".diagram-legend")
        .text_content()
        .unwrap()
        .contains("LSO"));

    // The partition detail: the same shapes, sequences in small type, the LSO explained.
    let detail = mount_point();
    let props = PartitionDetailProps {
        partition: Some(view.topics[0].partitions[0].clone()),
        view: view.clone(),
    };
    yew::Renderer::<PartitionDetail>::with_root_and_props(detail.clone(), props).render();
    next_render().await;
    let strip = "[data-strip='0']";
    assert_eq!(count(&detail, &format!("{strip} .cell.aborted")), 2);
    assert_eq!(count(&detail, &format!("{strip} .cell.open-txn")), 2);
    assert_eq!(
        one(&detail, &format!("{strip} [data-control='COMMIT']"))
            .text_content()
            .as_deref(),
        Some("C")
    );
    assert_eq!(
        one(&detail, &format!("{strip} [data-offset='6'] .inside"))
            .text_content()
            .as_deref(),
        Some("4"),
        "offset 6 carries sequence 4"
    );
    assert!(
        one(&detail, &format!("{strip} [data-offset='5'] .mark.lso"))
            .text_content()
            .unwrap()
            .contains("LSO")
    );
    let markers = one(&detail, &format!("{strip} .markers"))
        .text_content()
        .unwrap();
    assert!(
        markers.contains("LSO = 5") && markers.contains("producer id 4"),
        "{markers}"
    );
    // The leader's newest records in runs, as kafka-dump-log.sh shows batches.
    let list = detail.query_selector_all(".record-runs li").unwrap();
    let runs: Vec<String> = (0..list.length())
        .map(|i| list.get(i).unwrap().text_content().unwrap())
        .collect();
    assert_eq!(
        runs,
        [
            "offsets 0–1: producer id 4, epoch 0, sequences 0–1, transactional, aborted",
            "offset 2: ABORT marker, producer id 4, epoch 0",
            "offset 3: producer id 4, epoch 0, sequence 2, transactional, committed",
            "offset 4: COMMIT marker, producer id 4, epoch 0",
            "offsets 5–6: producer id 4, epoch 0, sequences 3–4, transactional, open",
        ]
    );

    // The compact drawing of a big cluster still draws every replica, LSO in its data.
    let compact = mount_point();
    let props = ClusterDiagramProps {
        view: Rc::new(transaction_log_view(9)),
        rows: Default::default(),
        selected: None,
        on_select: Default::default(),
        on_node: Default::default(),
        selected_node: None,
    };
    yew::Renderer::<ClusterDiagram>::with_root_and_props(compact.clone(), props).render();
    next_render().await;
    assert_eq!(
        count(&compact, ".cluster-diagram.compact [data-replica]"),
        3
    );
    assert_eq!(
        one(&compact, "[data-replica='orders-0@0']")
            .get_attribute("data-lso")
            .as_deref(),
        Some("5")
    );
}

#[wasm_bindgen_test]
async fn consumers_show_their_isolation_level() {
    let mut view = group_view();
    view.consumers[0].read_committed = true;
    let root = mount_point();
    let props = GroupsPanelProps {
        view: Rc::new(view),
        dispatch: Default::default(),
    };
    yew::Renderer::<GroupsPanel>::with_root_and_props(root.clone(), props).render();
    next_render().await;
    let row = one(&root, "[data-consumer='c1']");
    assert_eq!(
        row.get_attribute("data-isolation").as_deref(),
        Some("read_committed")
    );
    assert!(one(&root, "[data-consumer='c2'] .consumer-isolation")
        .text_content()
        .unwrap()
        .contains("read_uncommitted"));
}
