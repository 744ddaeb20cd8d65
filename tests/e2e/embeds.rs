//! Diagrams inside documentation: the examples page's embeds load as they scroll into view and
//! step on their own; a link and an embed restore the same step in a fresh browser; a hostile
//! address gets a visible message and runs nothing.

use std::time::Duration;

use e2e::Session;
use fantoccini::Locator;

/// The text of `css` inside the frame the session is in (no tab reveal: an embed has none).
async fn frame_text(session: &Session, css: &str) -> String {
    let element = session
        .client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for `{css}` in the embed: {e}"));
    element.text().await.expect("reading the embed")
}

/// What a text area of the page holds.
async fn textarea(session: &Session, css: &str) -> String {
    let element = session.wait_for(css).await;
    element
        .prop("value")
        .await
        .expect("reading a text area")
        .unwrap_or_default()
}

/// Enters the embed inside the element `#id` of the examples page, scrolling it into view
/// first (the loader makes the frame only then).
async fn enter_embed(session: &Session, id: &str) {
    session
        .client
        .execute(
            "document.getElementById(arguments[0]).scrollIntoView()",
            vec![id.into()],
        )
        .await
        .expect("scrolling to the embed");
    let frame = session.wait_for(&format!("#{id} iframe")).await;
    frame.enter_frame().await.expect("entering the embed");
    session.wait_for(".embed-stage").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_examples_page_loads_embeds_lazily_and_each_steps_on_its_own() {
    let session = Session::start().await;
    session.goto("/examples/index.html").await;
    session.wait_for("#hw iframe").await;
    // Only the embed on screen is made; the others wait until they are scrolled to.
    let frames = session.count("iframe").await;
    let embeds = session.count("[data-kafka-sandbox]").await;
    assert!(
        frames < embeds,
        "{frames} frames for {embeds} embeds: they should load lazily"
    );
    assert!(embeds >= 3, "the examples page has {embeds} embeds");

    enter_embed(&session, "hw").await;
    assert_eq!(
        frame_text(&session, ".embed-controls .position").await,
        "step 136 of 136–160 · 5.004 s"
    );
    for _ in 0..10 {
        session
            .client
            .find(Locator::Css("button.step"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    let position = frame_text(&session, ".embed-controls .position").await;
    assert!(position.starts_with("step 146 of 136–160"), "{position}");
    // The acks=all write is committed by now: the leader's HW has passed it.
    let detail = frame_text(&session, ".partition-detail").await;
    assert!(detail.contains("HW of payments-0 is 3"), "{detail}");
    // The reader cannot go past the author's last step.
    for _ in 0..20 {
        session
            .client
            .find(Locator::Css("button.step"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    assert!(frame_text(&session, ".embed-controls .position")
        .await
        .starts_with("step 160 of 136–160"));
    session
        .client
        .enter_parent_frame()
        .await
        .expect("leaving the embed");

    // The frame took its content's height (the loader's guess was 520 px).
    let height = session.attr("#hw iframe", "style").await;
    assert!(!height.contains("520px"), "{height}");

    // The failover embed, further down, opens at its own step, untouched by the first.
    enter_embed(&session, "failover").await;
    let position = frame_text(&session, ".controls .position").await;
    assert!(position.starts_with("step 220 / 220"), "{position}");
    session.client.enter_parent_frame().await.unwrap();
    session.screenshot("embeds-examples").await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_and_an_embed_restore_the_same_step_in_a_fresh_browser() {
    let script = "cluster --brokers 3 --controllers 1 --seed 4\n\
                  kafka-topics.sh --create --topic ledger --partitions 2 --replication-factor 3\n\
                  run 1s\n\
                  produce ledger-1 --count 6 --acks all\n";
    let first = Session::start().await;
    first.open(&e2e::run_link(script)).await;
    first.press("ArrowRight", 25).await;
    first.press("ArrowLeft", 5).await;
    let position = first.text(".controls .position").await;
    // The address becomes the compressed, versioned form once the run moves (rewritten at
    // most every 300 ms, so it is read once it has stopped changing).
    let mut address = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let now = first.client.current_url().await.unwrap().to_string();
        if now == address && now.contains("#zrun=1.") {
            break;
        }
        address = now;
    }
    let hash = address.split_once('#').map(|(_, h)| h.to_string()).unwrap();
    assert!(hash.starts_with("zrun=1."), "{hash}");
    assert!(
        !hash.contains("ledger"),
        "the run should be compressed: {hash}"
    );
    first.close().await;

    let second = Session::start().await;
    second.open(&format!("/#{hash}")).await;
    assert_eq!(second.text(".controls .position").await, position);
    let hw = second.attr("[data-replica='ledger-1@0']", "data-hw").await;

    // The same run as an embed of the partition opens at the same step.
    second
        .goto(&format!(
            "/#{hash}&embed&view=partition:ledger-1&controls=full"
        ))
        .await;
    second.client.refresh().await.unwrap();
    second.wait_for(".embed-stage").await;
    assert_eq!(second.text(".controls .position").await, position);
    let detail = second.text(".partition-detail").await;
    assert!(detail.contains("ledger-1"), "{detail}");
    assert!(detail.contains(&format!("HW {hw}")), "{detail}");
    second.screenshot("embed-partition").await;
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_or_broken_address_says_so_and_runs_nothing() {
    let session = Session::start().await;
    // (the address, what the notice says, whether it is an embed)
    let hostile = [
        ("zrun=1.____", "could not be expanded", false),
        ("zrun=9.abc", "format 9", false),
        (
            "embed&view=group:%3Cimg%20src=x%20onerror=window.pwned=1%3E",
            "the embed's group",
            true,
        ),
        ("run=%E0%A4%A&embed", "not valid percent-encoded", true),
        (
            "onload=window.pwned=1",
            "`onload`, which the sandbox does not know",
            false,
        ),
    ];
    for (hash, said, embed) in hostile {
        // A page of its own for each address (changing only the `#...` would not reload).
        session.client.goto("about:blank").await.unwrap();
        session.goto(&format!("/#{hash}")).await;
        let notice = session.text(".notice").await;
        assert!(
            notice.to_lowercase().contains(&said.to_lowercase()),
            "#{hash}: {notice}"
        );
        // A working sandbox all the same (the cluster, or the embed's stage), and nothing
        // from the address ran.
        if embed {
            session.wait_for(".embed-stage").await;
        } else {
            assert_eq!(session.count("[data-broker]").await, 3, "#{hash}");
        }
        let pwned = session
            .client
            .execute("return window.pwned === undefined", vec![])
            .await
            .unwrap();
        assert_eq!(pwned, serde_json::json!(true), "#{hash}");
    }
    session.screenshot("link-hostile-notice").await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_share_dialog_gives_a_link_and_snippets_that_open_this_step() {
    let session = Session::start().await;
    let script = "cluster --brokers 3 --controllers 1 --seed 2\n\
                  kafka-topics.sh --create --topic orders --partitions 2 --replication-factor 3\n\
                  run 1s\n\
                  produce orders-0 --count 4 --acks all\n\
                  run 1s\n";
    session.open(&e2e::run_link(script)).await;
    session.press("ArrowLeft", 3).await;
    let position = session.text(".controls .position").await;
    session.click(".share-button").await;
    session.wait_for(".share-dialog").await;
    session.select(".share-view", "partition:").await;
    session.select(".share-controls", "full").await;
    // The snippets are made once the run is compressed.
    let mut iframe = String::new();
    for _ in 0..50 {
        iframe = textarea(&session, ".share-iframe").await;
        if iframe.starts_with("<iframe") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(iframe.contains("#zrun=1."), "{iframe}");
    assert!(
        iframe.contains("&embed&view=partition:orders-0&controls=full&from="),
        "{iframe}"
    );
    let loader = textarea(&session, ".share-loader").await;
    assert!(loader.contains("data-kafka-sandbox=\"zrun=1."), "{loader}");
    assert!(loader.contains("embed.js"), "{loader}");
    session.screenshot("share-dialog").await;

    // The iframe's address opens this very step, as an embed of the partition.
    let src = iframe
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    session.client.goto(&src).await.unwrap();
    session.client.refresh().await.unwrap();
    session.wait_for(".embed-stage .partition-detail").await;
    assert_eq!(session.text(".controls .position").await, position);
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_opened_the_page_reloads_without_a_network() {
    let session = Session::start().await;
    let script = "cluster --brokers 4 --controllers 1 --seed 8\n\
                  kafka-topics.sh --create --topic offline --partitions 2 --replication-factor 3\n\
                  run 1s\n\
                  produce offline-1 --count 5 --acks all\n\
                  run 1s\n";
    session.open(&e2e::run_link(script)).await;
    // The service worker has this build's files once it is ready.
    let ready = session
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             navigator.serviceWorker.ready.then(() => done(true), () => done(false));",
            vec![],
        )
        .await
        .expect("waiting for the service worker");
    assert_eq!(ready, serde_json::json!(true));
    let position = session.text(".controls .position").await;

    session.set_online(false);
    session.client.refresh().await.expect("reloading offline");
    session.wait_for(".cluster-diagram").await;
    assert_eq!(session.text(".controls .position").await, position);
    assert_eq!(session.count("[data-partition='offline-1']").await, 1);
    // Really offline: anything not kept by the service worker fails.
    let fetched = session
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('missing-' + Date.now() + '.txt').then(() => done('fetched'), () => done('failed'));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fetched, serde_json::json!("failed"));
    // The lessons came from the cache too: the map lists them.
    session.click(".lessons-button").await;
    session
        .wait_for(".lesson-map [data-lesson-card='02-replication']")
        .await;
    // The docs page beside it, a folder's address, opens offline too, embeds and all.
    session.goto("/examples/").await;
    let frame = session.wait_for("#hw iframe").await;
    frame.enter_frame().await.expect("entering the embed");
    session.wait_for(".embed-stage").await;
    session.client.enter_parent_frame().await.unwrap();
    session.set_online(true);
    session.close().await;
}
