//! A transaction walked through the page: a transactional producer started from the Producers
//! form writes ten records in a transaction; a read_uncommitted consumer processes them at
//! once, a read_committed one waits at the LSO; the abort writes ABORT markers and the
//! read_committed consumer skips the records for good; the next transaction commits and it
//! reads those. Screenshots of each stage are saved under target/screenshots/.

use std::time::{Duration, Instant};

use e2e::{run_link, Session};

/// Three brokers, one controller, `__transaction_state` with 3 partitions (a short trace).
const SCRIPT: &str = "\
cluster --brokers 3 --controllers 1 --seed 8
kafka-configs.sh --alter --entity-type brokers --entity-default --add-config transaction.state.log.num.partitions=3
run 1s
";

/// Waits up to 20 s until `css` matches at least one element, failing with the producers
/// panel, the consumers and the console.
async fn wait_present(session: &Session, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while session.count(css).await == 0 {
        if Instant::now() > deadline {
            let producers = session.text(".producers-panel").await;
            let lines = session.text(".console-lines").await;
            panic!("`{css}` never appeared.\nProducers:\n{producers}\nConsole:\n{lines}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many records a consumer has handed to its application, as its row shows.
async fn processed(session: &Session, consumer: &str) -> i64 {
    let text = session
        .text(&format!("[data-consumer='{consumer}'] .processed"))
        .await;
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{consumer}'s processed count is a number: {text:?}"))
}

/// Shows the panel holding `css` (its tab chosen, the element scrolled to the top of its
/// column), then saves a screenshot.
async fn screenshot_at(session: &Session, css: &str, name: &str) {
    let element = session.wait_for(css).await;
    let arg = serde_json::to_value(&element).expect("an element as a script argument");
    session
        .client
        .execute("arguments[0].scrollIntoView({block: 'start'})", vec![arg])
        .await
        .unwrap_or_else(|e| panic!("scrolling to `{css}`: {e}"));
    session.screenshot(name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_aborts_then_commits_and_read_committed_sees_only_the_commit() {
    let session = Session::start().await;
    session.resize(1280, 800).await;
    session.open(&run_link(SCRIPT)).await;

    // The topic and two consumers on both partitions, one per isolation level.
    session
        .type_command(
            "kafka-topics.sh --create --topic orders --partitions 2 --replication-factor 3",
        )
        .await;
    session.type_command("run 1s").await;
    session
        .type_command("consumer start committed --assign orders-0,orders-1 --consumer-property isolation.level=read_committed --consumer-property auto.offset.reset=earliest")
        .await;
    session
        .type_command("consumer start uncommitted --assign orders-0,orders-1 --consumer-property auto.offset.reset=earliest")
        .await;
    session
        .wait_for("[data-consumer='committed'][data-isolation='read_committed']")
        .await;
    session
        .wait_for("[data-consumer='uncommitted'][data-isolation='read_uncommitted']")
        .await;

    // A transactional producer from the form: initTransactions() gets it a producer id.
    let name = session.wait_for(".producer-form .producer-name").await;
    assert_eq!(
        name.prop("value").await.unwrap().as_deref(),
        Some("p1"),
        "the form proposes a free name"
    );
    name.clear().await.expect("clearing the name");
    name.send_keys("tx").await.expect("typing the name");
    session
        .wait_for(".producer-form .producer-transactional-id")
        .await
        .send_keys("orders-tx")
        .await
        .expect("typing the transactional.id");
    session.click(".producer-start").await;
    session
        .console_shows("producer start tx --producer-property transactional.id=orders-tx")
        .await;
    session.type_command("run 2s").await;
    wait_present(&session, "[data-producer='tx'][data-txn-state='READY']").await;
    let pid = session.text("[data-producer='tx'] .pid").await;
    assert_eq!(pid, "0 / 0", "the first producer id, epoch 0");

    // Begin, send 10: the batch waits in the accumulator for linger.ms before it is sent.
    session.click("[data-producer='tx'] .begin").await;
    session.console_shows("producer begin tx").await;
    wait_present(
        &session,
        "[data-producer='tx'][data-txn-state='IN_TRANSACTION']",
    )
    .await;
    session.click("[data-producer='tx'] .send-10").await;
    session
        .console_shows("producer send tx orders --count 10")
        .await;
    wait_present(&session, "[data-producer='tx'] .accumulator .batch").await;
    let waiting = session
        .text("[data-producer='tx'] .accumulator .batch")
        .await;
    assert!(waiting.contains("linger.ms"), "{waiting}");
    screenshot_at(&session, ".producers-panel", "txn-1-accumulator").await;

    // Step until linger.ms has passed and the batch is a Produce request in flight, drawn on
    // its way from the producer to the leader.
    let mut steps = 0;
    while session
        .count("[data-producer='tx'] .in-flight .batch")
        .await
        == 0
    {
        assert!(steps < 200, "the batch never left the accumulator");
        session.type_command("step").await;
        steps += 1;
    }
    assert_eq!(
        session
            .count("[data-producer='tx'] .accumulator .batch")
            .await,
        0
    );
    let sent = session.text("[data-producer='tx'] .in-flight .batch").await;
    assert!(sent.contains("in flight to broker"), "{sent}");
    wait_present(&session, ".cluster-diagram [data-client='tx']").await;
    screenshot_at(&session, ".cluster-panel", "txn-1b-produce-in-flight").await;
    screenshot_at(&session, ".producers-panel", "txn-1c-in-flight").await;

    // Written but open: read_uncommitted processes the records, read_committed stops at the
    // LSO, which the diagram draws below the HW.
    session.type_command("run 500ms").await;
    session.console_shows("now at step").await;
    wait_present(
        &session,
        "[data-transaction='orders-tx'][data-txn-state='Ongoing']",
    )
    .await;
    wait_present(&session, "[data-marker='LSO']").await;
    wait_present(&session, ".open-ring").await;
    assert_eq!(processed(&session, "uncommitted").await, 10);
    assert_eq!(processed(&session, "committed").await, 0);
    screenshot_at(&session, ".cluster-panel", "txn-2-open-lso").await;

    // Abort: ABORT markers, the records struck as aborted, and read_committed never sees them.
    session.click("[data-producer='tx'] .abort").await;
    session.console_shows("producer abort tx").await;
    session.type_command("run 1s").await;
    wait_present(
        &session,
        "[data-transaction='orders-tx'][data-txn-state='CompleteAbort']",
    )
    .await;
    wait_present(&session, "[data-control='ABORT']").await;
    wait_present(&session, ".record.aborted").await;
    assert_eq!(
        session.count("[data-marker='LSO']").await,
        0,
        "nothing open"
    );
    assert_eq!(processed(&session, "committed").await, 0);
    assert_eq!(processed(&session, "uncommitted").await, 10);
    let aborted = session.text("[data-producer='tx'] .txn-aborted").await;
    assert!(aborted.contains('1'), "{aborted}");
    screenshot_at(&session, ".cluster-panel", "txn-3-aborted").await;

    // Begin, send, commit: COMMIT markers, and read_committed reads these ten.
    session.click("[data-producer='tx'] .begin").await;
    wait_present(
        &session,
        "[data-producer='tx'][data-txn-state='IN_TRANSACTION']",
    )
    .await;
    session.click("[data-producer='tx'] .send-10").await;
    session.click("[data-producer='tx'] .commit").await;
    session.console_shows("producer commit tx").await;
    session.type_command("run 1s").await;
    wait_present(
        &session,
        "[data-transaction='orders-tx'][data-txn-state='CompleteCommit']",
    )
    .await;
    wait_present(&session, "[data-control='COMMIT']").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while processed(&session, "committed").await != 10 {
        assert!(
            Instant::now() < deadline,
            "read_committed processed {} records, not the 10 committed",
            processed(&session, "committed").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(processed(&session, "uncommitted").await, 20);
    screenshot_at(&session, ".cluster-panel", "txn-4-committed").await;
    screenshot_at(&session, ".producers-panel", "txn-5-producers").await;
    screenshot_at(&session, ".record-runs", "txn-6-record-runs").await;
    screenshot_at(&session, ".consumers", "txn-7-consumers").await;

    // The dark theme (system → light → dark): letters on markers stay readable.
    session.click(".theme-toggle").await;
    session.click(".theme-toggle").await;
    session.wait_for(":root.dark").await;
    screenshot_at(&session, ".cluster-panel", "txn-9-dark").await;
    screenshot_at(&session, ".record-runs", "txn-10-dark-record-runs").await;
    session.click(".theme-toggle").await;

    // A phone: the page never scrolls sideways, the producers panel included.
    session.resize(390, 844).await;
    session.wait_for(".producers-panel").await;
    let overflow = session.sideways_overflow().await;
    assert!(
        overflow <= 1,
        "phone: the page is wider than the window by {overflow}px"
    );
    screenshot_at(&session, ".producers-panel", "txn-8-phone").await;
    session.close().await;
}

/// A zombie fenced (core/tests/scenarios/txn-zombie-fenced.txt, loaded from a link): the card
/// of the old instance says it is fenced and why, and offers nothing but a restart; the new
/// instance carries the bumped epoch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fenced_zombie_says_so_on_its_card() {
    let script = include_str!("../../core/tests/scenarios/txn-zombie-fenced.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("kafka-dump-log.sh"))
        .collect::<Vec<_>>()
        .join("\n");
    let session = Session::start().await;
    session.resize(1280, 800).await;
    session.open(&run_link(&script)).await;
    wait_present(
        &session,
        "[data-producer='app1'][data-txn-state='FATAL_ERROR']",
    )
    .await;
    let error = session.text("[data-producer='app1'] .producer-error").await;
    assert!(error.contains("PRODUCER_FENCED"), "{error}");
    let state = session.text("[data-producer='app1'] .producer-state").await;
    assert!(state.contains("fenced"), "{state}");
    for button in ["send-1", "send-10", "begin", "commit"] {
        let disabled = session
            .attr(&format!("[data-producer='app1'] .{button}"), "disabled")
            .await;
        assert!(!disabled.is_empty(), "{button} is disabled");
    }
    assert_eq!(session.text("[data-producer='app2'] .pid").await, "0 / 2");
    wait_present(
        &session,
        "[data-transaction='payments'][data-txn-state='CompleteCommit']",
    )
    .await;
    // app1's records were aborted for it by the coordinator when app2 started.
    wait_present(&session, "[data-control='ABORT']").await;
    wait_present(&session, ".record.aborted").await;
    screenshot_at(&session, ".producers-panel", "txn-zombie-fenced").await;
    session.close().await;
}
