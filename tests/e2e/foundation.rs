//! The first view: the cluster drawn from core's data, and selecting a partition.

use e2e::Session;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_draws_the_cluster_and_a_click_opens_the_partition_detail() {
    let session = Session::start().await;
    session.open("/").await;

    // Three brokers, three partitions with three replicas each, one leader per partition.
    assert_eq!(session.count("[data-broker]").await, 3);
    assert_eq!(session.count("[data-replica]").await, 9);
    assert_eq!(session.count("[data-replica][data-role='leader']").await, 3);
    assert_eq!(session.count("[data-replica][data-isr='false']").await, 1);
    assert!(session
        .text(".partition-detail")
        .await
        .contains("Select a partition"));
    session.screenshot("foundation-cluster").await;

    session
        .client
        .find(Locator::Css("[data-partition='orders-0']"))
        .await
        .expect("the orders-0 row label")
        .click()
        .await
        .expect("clicking orders-0");

    assert_eq!(session.text(".partition-detail h2").await, "orders-0");
    let explanation = session.text(".partition-detail .explanation").await;
    assert!(
        explanation.contains("HW of orders-0 is 102, not 105"),
        "explanation was: {explanation}"
    );
    assert_eq!(
        session.count(".partition-detail tbody tr").await,
        3,
        "one row per replica"
    );
    assert_eq!(
        session
            .count("[data-partition='orders-0'][aria-pressed='true']")
            .await,
        1,
        "the selected row is marked"
    );
    session.screenshot("foundation-partition-selected").await;
    session.close().await;
}
