//! The side panels: a config changed from the config panel runs kafka-configs.sh and shows up
//! in the topic's description; the presenter and theme buttons restyle the page.

use e2e::Session;
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configs_presenter_mode_and_theme() {
    let session = Session::start().await;
    session.open("/").await;

    // Pick the topic, set min.insync.replicas=2 from its row.
    session.select(".configs select", "orders").await;
    let row = "[data-config='min.insync.replicas']";
    let input = session.wait_for(&format!("{row} input")).await;
    input.send_keys("2\u{E007}").await.expect("typing a value");
    let console = session.text(".console-lines").await;
    assert!(
        console.contains("kafka-configs.sh --alter --entity-type topics --entity-name orders --add-config min.insync.replicas=2"),
        "{console}"
    );
    assert!(
        console.contains("Completed updating config for topic orders."),
        "{console}"
    );
    // Once committed to __cluster_metadata, the topic's description lists it.
    let input = session.wait_for(".console-input input").await;
    input.send_keys("run 100ms\u{E007}").await.unwrap();
    input
        .send_keys("kafka-topics.sh --describe --topic orders\u{E007}")
        .await
        .unwrap();
    let described = session
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//li[contains(@class,'out')][contains(., 'Configs: min.insync.replicas=2')]",
        ))
        .await;
    assert!(
        described.is_ok(),
        "{}",
        session.text(".console-lines").await
    );

    // A value of the wrong type is refused with Kafka's message, and nothing changes.
    let input = session.wait_for(&format!("{row} input")).await;
    input.send_keys("two\u{E007}").await.unwrap();
    let error = session.text(".console-lines .error").await;
    assert!(error.contains("Not a number of type INT"), "{error}");
    // The reason shows beside the panel too, where the user is looking, until dismissed.
    let refused = session.text(".side .refused").await;
    assert!(
        refused.contains("min.insync.replicas=two") && refused.contains("Not a number of type INT"),
        "{refused}"
    );
    session.click(".refused .dismiss").await;
    assert_eq!(session.count(".refused").await, 0);

    // Presenter mode and the theme are classes the styles key on.
    session
        .client
        .find(Locator::Css(".presenter-toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(session.count(".app.presenter").await, 1);
    let theme = session.wait_for(".theme-toggle").await;
    theme.click().await.unwrap();
    theme.click().await.unwrap();
    assert_eq!(session.count("html.dark").await, 1);
    session.screenshot("panels-presenter-dark").await;
    session.close().await;
}
