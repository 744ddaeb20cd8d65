//! Consumer groups from the page: start two consumers from the form, watch the range assignor
//! split the partitions, crash one and watch the other take everything after the session
//! timeout. A screenshot of each stage is saved under target/screenshots/.

use std::time::{Duration, Instant};

use e2e::{run_link, Session};
use fantoccini::Locator;

/// Three brokers, `__consumer_offsets` with 3 partitions (a short trace), `orders` with 6, and
/// 20 records on orders-0 for the group to read.
const SCRIPT: &str = "\
cluster --brokers 3 --controllers 1 --seed 5
kafka-configs.sh --alter --entity-type brokers --entity-default --add-config offsets.topic.num.partitions=3
kafka-topics.sh --create --topic orders --partitions 6 --replication-factor 3
run 1s
produce orders-0 --count 20 --acks all
";

/// Waits up to 20 s until `css` matches exactly `n` elements, failing with what the groups
/// panel and the console show.
async fn wait_count(session: &Session, css: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = session.count(css).await;
        if found == n {
            return;
        }
        if Instant::now() > deadline {
            let panel = session.text(".groups-panel").await;
            let lines = session.text(".console-lines").await;
            panic!("`{css}` matched {found}, not {n}.\nGroups panel:\n{panel}\nConsole:\n{lines}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts a consumer from the form with the proposed name and group, reading from the start.
async fn start_consumer(session: &Session, name: &str) {
    let field = session.wait_for(".consumer-form .consumer-name").await;
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some(name),
        "the form proposes the next free name"
    );
    let group = session.wait_for(".consumer-form .consumer-group").await;
    assert_eq!(
        group.prop("value").await.unwrap().as_deref(),
        Some("billing")
    );
    assert_eq!(
        session
            .wait_for(".consumer-form .consumer-topic")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("orders"),
        "internal topics are not offered"
    );
    session
        .select(".consumer-form .consumer-reset", "earliest")
        .await;
    session.click(".consumer-start").await;
    session
        .console_shows(&format!(
            "consumer start {name} --topic orders --group billing --consumer-property auto.offset.reset=earliest"
        ))
        .await;
}

/// Scrolls the groups panel to the top of the window for a screenshot.
async fn show_groups(session: &Session, name: &str) {
    session.click("#tab-consumers").await;
    session.screenshot(name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_splits_partitions_and_survives_a_crash() {
    let session = Session::start().await;
    session.resize(1600, 1000).await;
    session.open(&run_link(SCRIPT)).await;

    // One member: c1 owns all six partitions once the group is Stable.
    start_consumer(&session, "c1").await;
    session.type_command("run 10s").await;
    session
        .wait_for("[data-group='billing'][data-group-state='Stable']")
        .await;
    wait_count(&session, "[data-group='billing'] tr[data-owner='c1']", 6).await;
    wait_count(&session, "[data-member='c1'] [data-chip]", 6).await;
    assert_eq!(
        session
            .attr("tr[data-group-partition='orders-0']", "data-committed")
            .await,
        "20",
        "c1 read orders-0 from the start and auto-committed"
    );
    assert_eq!(
        session
            .attr("tr[data-group-partition='orders-0']", "data-lag")
            .await,
        "0"
    );
    // The first consumer created __consumer_offsets; the diagram hides it until asked for.
    assert_eq!(session.count("[data-partition^='orders-']").await, 6);
    wait_count(&session, "[data-partition^='__consumer_offsets-']", 0).await;
    session.click(".show-internal").await;
    wait_count(&session, "[data-partition^='__consumer_offsets-']", 3).await;
    session.click(".show-internal").await;
    wait_count(&session, "[data-partition^='__consumer_offsets-']", 0).await;
    let first_generation = session
        .attr("[data-group='billing']", "data-generation")
        .await
        .parse::<i32>()
        .expect("a generation number");
    show_groups(&session, "groups-1-one-member").await;

    // Two members: the range assignor gives each three partitions.
    start_consumer(&session, "c2").await;
    // The timeline jumps to the rebalance c2's JoinGroup starts.
    session.click(".jump-rebalance").await;
    session.console_shows("step --until rebalance").await;
    session
        .wait_for("[data-group='billing'][data-group-state='PreparingRebalance']")
        .await;
    session.type_command("run 10s").await;
    wait_count(&session, "[data-group='billing'] tr[data-owner='c1']", 3).await;
    wait_count(&session, "[data-group='billing'] tr[data-owner='c2']", 3).await;
    session
        .wait_for("[data-group='billing'][data-group-state='Stable']")
        .await;
    assert_eq!(session.count("[data-member]").await, 2);
    // Range: the first member (by member id) gets orders-0..2.
    let owner0 = session
        .attr("tr[data-group-partition='orders-0']", "data-owner")
        .await;
    let owner5 = session
        .attr("tr[data-group-partition='orders-5']", "data-owner")
        .await;
    assert_ne!(owner0, owner5, "range splits the partitions in two ranges");

    // Lag: c2 slows down (500 ms per record) and 40 records arrive on its orders-3; c1 reads
    // 12 new records on orders-0 but has not auto-committed them yet.
    session.click("[data-consumer='c2'] .slow").await;
    session
        .console_shows("consumer set c2 sandbox.processing.ms.per.record=500")
        .await;
    session
        .type_command("produce orders-3 --count 40 --acks all")
        .await;
    session.type_command("run 3s").await;
    session
        .type_command("produce orders-0 --count 12 --acks all")
        .await;
    session.type_command("run 300ms").await;
    session
        .wait_for("tr[data-group-partition='orders-3'][data-lag='40']")
        .await;
    let c2 = session.text("[data-consumer='c2'] .consumer-state").await;
    assert!(c2.contains("processing"), "{c2}");
    let lag = session
        .text("tr[data-group-partition='orders-3'] .lag-time")
        .await;
    assert!(lag.ends_with(" s"), "lag in time, in seconds: {lag}");
    show_groups(&session, "groups-2-two-members").await;
    // The partition detail (orders-0) draws billing's committed offset and c1's position.
    session.wait_for("[data-lane='committed:billing']").await;
    let lane = session.text("[data-lane='position:c1']").await;
    assert!(lane.contains("processed but not committed"), "{lane}");
    session
        .client
        .execute(
            "const p = document.querySelector('.lanes-head'); \
             window.scrollTo(0, p.getBoundingClientRect().top + window.scrollY - 420);",
            vec![],
        )
        .await
        .expect("scrolling to the partition detail");
    session.screenshot("groups-2b-partition-markers").await;

    // Crash c1: the group notices only after session.timeout.ms (45 s), then c2 owns all six.
    session.click("[data-consumer='c1'] .crash").await;
    session.console_shows("consumer crash c1").await;
    session.click("[data-consumer='c2'] .fast").await;
    session
        .console_shows("consumer set c2 sandbox.processing.ms.per.record=0")
        .await;
    session.type_command("run 50s").await;
    wait_count(&session, "[data-group='billing'] tr[data-owner='c2']", 6).await;
    session
        .wait_for("[data-group='billing'][data-group-state='Stable']")
        .await;
    assert_eq!(session.count("[data-member]").await, 1);
    let generation = session
        .attr("[data-group='billing']", "data-generation")
        .await
        .parse::<i32>()
        .expect("a generation number");
    assert!(
        generation > first_generation + 1,
        "two more rebalances: c2 joining, then c1 removed ({first_generation} → {generation})"
    );
    let crashed = session.text("[data-consumer='c1'] .consumer-state").await;
    assert!(crashed.contains("crashed"), "{crashed}");
    // c2 read again what c1 processed but never committed: the at-least-once cost.
    session
        .wait_for("[data-consumer='c2'] .reprocessed.alert")
        .await;
    let restart = session
        .client
        .find(Locator::Css("[data-consumer='c1'] .restart"))
        .await
        .expect("a restart button for the crashed consumer");
    assert_eq!(restart.attr("disabled").await.unwrap(), None);
    show_groups(&session, "groups-3-after-crash").await;
    session.close().await;
}

/// A consumer's configs in the config panel: Kafka's names and defaults, the ones fixed when
/// the consumer starts marked as such, and the application knob changed live with
/// `consumer set`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_configs_are_shown_and_the_live_ones_change() {
    let session = Session::start().await;
    session.open(&run_link(SCRIPT)).await;
    session.type_command("consumer start c1 --topic orders --group billing --consumer-property max.poll.records=50",
    )
    .await;
    session.console_shows("Consumer c1 starts").await;
    session.select(".configs select", "consumer:c1").await;
    let fixed = session
        .text(".configs [data-config='max.poll.records']")
        .await;
    assert!(fixed.contains("= 50"), "{fixed}");
    assert!(fixed.contains("Fixed when the consumer starts"), "{fixed}");
    let knob = "[data-config='sandbox.processing.ms.per.record']";
    let input = session.wait_for(&format!(".configs {knob} input")).await;
    input.send_keys("300\u{E007}").await.unwrap();
    session
        .console_shows("consumer set c1 sandbox.processing.ms.per.record=300")
        .await;
    session
        .console_shows("Consumer c1: sandbox.processing.ms.per.record is now 300")
        .await;
    let shown = session.text(&format!(".configs {knob}")).await;
    assert!(shown.contains("= 300"), "{shown}");
    session.close().await;
}
