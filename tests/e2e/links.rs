//! The address holds the run: a reload or a shared link restores it exactly, and a broken
//! link gets a clear message instead of a blank page.

use e2e::Session;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_restores_the_run_and_a_reload_keeps_it() {
    let session = Session::start().await;
    let script = "cluster --brokers 4 --controllers 1 --seed 9\n\
                  kafka-topics.sh --create --topic links --replica-assignment 3:1\n\
                  run 1s\n\
                  produce links-0 --count 7 --acks all\n\
                  run 1s\n";
    session.open(&e2e::run_link(script)).await;
    assert_eq!(session.count("[data-broker]").await, 4);
    assert_eq!(session.count("[data-controller]").await, 1);
    let leader = session.wait_for("[data-replica='links-0@3']").await;
    assert_eq!(
        leader.attr("data-role").await.unwrap().as_deref(),
        Some("leader")
    );
    assert_eq!(leader.attr("data-hw").await.unwrap().as_deref(), Some("7"));
    let position = session.text(".controls .position").await;
    assert!(session
        .text(".console-lines")
        .await
        .contains("Restored the run from the link"));

    // The address is rewritten as the run goes on; a reload brings back the same step.
    session.client.refresh().await.expect("reloading");
    session.wait_for(".cluster-diagram").await;
    assert_eq!(session.text(".controls .position").await, position);
    session.screenshot("links-restored").await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_link_says_what_is_wrong_and_the_page_still_works() {
    let session = Session::start().await;
    session
        .open("/#run=kafka-topics.sh%20--create%20--topik%20x")
        .await;
    let error = session.text(".console-lines .error").await;
    assert!(error.contains("could not be read"), "{error}");
    assert!(error.contains("line 1, column"), "{error}");
    // A fresh cluster is there and usable.
    assert_eq!(session.count("[data-broker]").await, 3);
    assert_eq!(session.count("[data-partition^='orders-']").await, 3);
    session.screenshot("links-broken").await;
    session.close().await;
}
