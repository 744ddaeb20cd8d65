//! Keyboard and screen-reader users: axe-core (the rules browsers' own audits use) finds no
//! serious or critical violation in any state a learner passes through: the welcome and its
//! lesson map, free play with each side panel shown, in both themes, a lesson with a question
//! waiting and answered, and a refused command's message.

use e2e::{run_link, Session};

/// Fails with every violation found, naming the state the page was in.
async fn assert_accessible(session: &Session, state: &str) {
    let violations = session.accessibility_violations().await;
    assert!(
        violations.is_empty(),
        "{state}: axe-core finds {} serious or critical violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_a_learner_passes_through_is_accessible() {
    let session = Session::start().await;
    session.resize_viewport(1280, 720).await;
    // The welcome, over the page, on a first visit.
    session.goto("/").await;
    session.wait_for(".lesson-map .lesson-card").await;
    assert_accessible(&session, "the welcome and lesson map").await;

    // Free play on a cluster with clients, every side panel in turn, in both themes.
    let script = "cluster --brokers 3\n\
        topic create orders --partitions 3 --replication-factor 3\n\
        producer start p1 --acks all\n\
        produce orders-0 --count 20\n\
        consumer start c1 --group billing --topic orders\n\
        run 3s";
    session.open(&run_link(script)).await;
    for theme in ["light", "dark"] {
        while session.count(&format!("html.{theme}")).await == 0 {
            session.click(".theme-toggle").await;
        }
        for tab in [
            "partition",
            "producers",
            "consumers",
            "faults",
            "metrics",
            "configs",
        ] {
            session.click(&format!("#tab-{tab}")).await;
            session
                .wait_for(&format!("#tabpanel-{tab}:not([hidden])"))
                .await;
            assert_accessible(&session, &format!("{theme} theme, the {tab} panel")).await;
        }
    }

    // A refused command shows its reason beside the panels.
    session.select(".configs select", "orders").await;
    let input = session
        .wait_for("[data-config='min.insync.replicas'] input")
        .await;
    input
        .send_keys("two\u{E007}")
        .await
        .expect("typing a value");
    session.wait_for(".refused").await;
    assert_accessible(&session, "a refused command's message").await;

    // A lesson: a question waiting for its answer, then answered.
    session.goto("/?a11y#lesson=02-replication&step=3").await;
    session.wait_for(".lesson-panel[data-step='2']").await;
    while session.count(".lesson-do .do-it:not([disabled])").await > 0 {
        session.click(".lesson-do .do-it:not([disabled])").await;
    }
    session.wait_for(".lesson-predict .choice").await;
    assert_accessible(&session, "a lesson's question waiting").await;
    session.click(".lesson-predict .choice").await;
    session.wait_for(".lesson-predict .verdict").await;
    assert_accessible(&session, "a lesson's question answered").await;
    session.close().await;
}
