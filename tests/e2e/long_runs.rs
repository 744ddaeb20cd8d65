//! Long runs: an hour of a workshop cluster opens from a link and stays quick to step, rewind
//! and fork; a crash never leaves a frozen page, and a link that crashed the page while opening
//! is not replayed into the same crash at every reload.

use std::time::{Duration, Instant};

use e2e::Session;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hour_of_the_workshop_opens_from_a_link_then_steps_rewinds_and_forks() {
    let session = Session::start().await;
    let script = sandbox_core::example::workshop_with_consumers_script("60m");
    session
        .open_and_wait(&e2e::run_link(&script), Duration::from_secs(300))
        .await;

    // An hour of simulated time is over a million steps, in bounded memory.
    let head = session.current_step().await;
    assert!(head > 1_000_000, "the hour is {head} steps");
    let position = session.text(".controls .position").await;
    let seconds: f64 = position
        .rsplit('·')
        .next()
        .and_then(|t| t.trim().trim_end_matches(" s").parse().ok())
        .unwrap_or_else(|| panic!("no time in {position:?}"));
    assert!(seconds > 3600.0, "an hour of simulated time: {position}");
    let memory_mb = session.sandbox("memory").await.as_f64().unwrap_or(0.0) / 1048576.0;
    assert!(memory_mb < 300.0, "{memory_mb:.0} MB of wasm memory");
    // The consumers read everything long ago: every leader's HW is its LEO.
    let leader = "[data-replica^='orders-0@'][data-role='leader']";
    assert_eq!(session.attr(leader, "data-hw").await, "278");

    // Step on at the head, then rewind deep into the hour and step around there.
    session.press("PageDown", 3).await;
    assert_eq!(session.current_step().await, head + 3);
    session.type_command("seek 400000").await;
    assert_eq!(session.current_step().await, 400_000);
    session.press("PageUp", 5).await;
    assert_eq!(session.current_step().await, 399_995);
    session.press("PageDown", 2).await;
    assert_eq!(session.current_step().await, 399_997);
    assert_eq!(session.attr(leader, "data-hw").await, "278");
    session.screenshot("long-run-rewound").await;

    // Each of those answered within a frame or two, however long the run.
    let timings = session.sandbox("timings").await;
    let slowest = timings
        .as_array()
        .expect("the page's timings")
        .iter()
        .filter(|t| t["a"] == "step" || t["a"] == "back")
        .filter_map(|t| t["ms"].as_f64())
        .fold(0.0, f64::max);
    assert!(slowest < 250.0, "a step took {slowest:.0} ms");

    // A command in the past forks: a second branch from step 399,997, the hour kept.
    session
        .type_command("produce orders-0 --count 5 --acks all")
        .await;
    session.type_command("run 2s").await;
    let position = session.text(".controls .position").await;
    assert!(position.contains("branch 1"), "{position}");
    assert_eq!(session.attr(leader, "data-leo").await, "283");
    assert_eq!(
        session
            .attr(".scrubber", "max")
            .await
            .parse::<u64>()
            .ok()
            .map(|m| m < head),
        Some(true)
    );
    assert_eq!(session.count(".crash-panel").await, 0);
    session.screenshot("long-run-forked").await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_shows_what_happened_and_reopens_the_run_at_its_last_step() {
    let session = Session::start().await;
    let script = "cluster --brokers 3 --controllers 1 --seed 5\n\
                  kafka-topics.sh --create --topic orders --partitions 1 --replication-factor 3\n\
                  run 2s\n\
                  produce orders-0 --count 4 --acks all\n\
                  run 1s\n";
    session
        .open_and_wait(&e2e::run_link(script), Duration::from_secs(30))
        .await;
    let step = session.current_step().await;
    // What a trap of the WebAssembly module (a panic, memory exhausted) throws into the page.
    session
        .client
        .execute(
            "window.dispatchEvent(new ErrorEvent('error', { error: new WebAssembly.RuntimeError('unreachable') }))",
            vec![],
        )
        .await
        .expect("raising a trap");
    let panel = session.text(".crash-panel").await;
    assert!(panel.contains("The sandbox stopped"), "{panel}");
    assert!(
        panel.contains(&format!("Reopen the run at step {step}")),
        "{panel}"
    );
    assert!(panel.contains("Start over"), "{panel}");
    session.screenshot("crash-panel").await;

    // Reopening replays the run to that step.
    session.click(".crash-panel a").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while session.sandbox("opened").await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "the run did not reopen");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(session.current_step().await, step);
    assert_eq!(
        session
            .attr("[data-replica^='orders-0@'][data-role='leader']", "data-hw")
            .await,
        "4"
    );
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_that_crashed_while_opening_is_not_replayed_again_until_asked() {
    let session = Session::start().await;
    let script = "cluster --brokers 4 --controllers 1 --seed 6\n\
                  kafka-topics.sh --create --topic audit --partitions 2 --replication-factor 2\n\
                  run 2s\n";
    let link = e2e::run_link(script);
    session.open_and_wait(&link, Duration::from_secs(30)).await;
    // The page has rewritten the address (compressed): that is the link being reopened.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let address = session.client.current_url().await.expect("the address");
    // As if the last opening of this address never finished: the tab still remembers it.
    session
        .client
        .execute(
            "sessionStorage.setItem('kafka-sandbox:opening', location.hash); location.reload();",
            vec![],
        )
        .await
        .expect("reloading");
    let notice = session.text(".notice").await;
    assert!(notice.contains("was not replayed"), "{notice}");
    // A fresh cluster instead, and the link kept in the address.
    assert_eq!(session.count("[data-broker]").await, 3);
    assert_eq!(
        session.client.current_url().await.expect("the address"),
        address
    );
    session.screenshot("link-not-replayed").await;

    // Asked to, it replays the link after all.
    session.click(".notice .retry").await;
    session.wait_for("[data-partition='audit-1']").await;
    assert_eq!(session.count("[data-broker]").await, 4);
    assert_eq!(session.count(".notice").await, 0);
    session.close().await;
}
