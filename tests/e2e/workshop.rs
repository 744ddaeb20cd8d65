//! What a workshop does: create a topic, produce, watch the HW advance step by step, crash the
//! leader, watch the election, step back to before the crash, fork. The DOM is checked at each
//! point and a screenshot of each stage is saved under target/screenshots/.

use e2e::Session;
use fantoccini::Locator;

/// The step shown in the timeline position, e.g. "step 812 / 812 · 6.012 s" gives 812.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workshop_creates_produces_fails_over_rewinds_and_forks() {
    let session = Session::start().await;
    session.open("/").await;

    // The page boots a 3-broker cluster with a 3-controller quorum and the topic `orders`.
    assert_eq!(session.count("[data-broker]").await, 3);
    assert_eq!(session.count("[data-controller]").await, 3);
    assert_eq!(session.count(".controller.active").await, 1);
    assert_eq!(session.count("[data-partition^='orders-']").await, 3);
    session.screenshot("01-booted").await;

    // Create a topic from the console; it appears with three replicas and one leader.
    session
        .type_command(
            "kafka-topics.sh --create --topic payments --partitions 1 --replication-factor 3",
        )
        .await;
    session.type_command("run 1s").await;
    session.wait_for("[data-partition='payments-0']").await;
    assert_eq!(session.count("[data-replica^='payments-0@']").await, 3);
    assert_eq!(
        session
            .count("[data-replica^='payments-0@'][data-role='leader']")
            .await,
        1
    );

    // A typo gets an inline error with a suggestion, and nothing else changes.
    session
        .type_command("kafka-topics.sh --describe --topicc payments")
        .await;
    let error = session.text(".console-lines .error").await;
    assert!(error.contains("did you mean `--topic`?"), "{error}");

    // Produce with acks=all, then step: the leader's LEO moves first, its HW follows once
    // the followers have fetched.
    let leader = session
        .attr(
            "[data-replica^='payments-0@'][data-role='leader']",
            "data-replica",
        )
        .await;
    let leader_id: i32 = leader.rsplit('@').next().unwrap().parse().unwrap();
    let leader_css = format!("[data-replica='{leader}']");
    session
        .type_command("produce payments-0 --count 5 --acks all")
        .await;
    let mut saw_uncommitted = false;
    for _ in 0..200 {
        session.click(".controls .step").await;
        let leo = session.attr(&leader_css, "data-leo").await;
        let hw = session.attr(&leader_css, "data-hw").await;
        if leo == "5" && hw == "0" && !saw_uncommitted {
            saw_uncommitted = true;
            session.screenshot("02-appended-not-committed").await;
        }
        if hw == "5" {
            break;
        }
    }
    assert!(
        saw_uncommitted,
        "the leader showed LEO 5 with HW 0 at some step"
    );
    assert_eq!(session.attr(&leader_css, "data-hw").await, "5");
    session.screenshot("03-committed").await;
    // Commands belong to the step they were issued at, so "before the crash" is one step earlier.
    let before_crash = session.current_step().await - 1;

    // Crash the leader with its button: the console shows the command, the broker is down.
    session
        .click(&format!(".node-actions[data-node='{leader_id}'] .crash"))
        .await;
    assert!(session
        .text(".console-lines")
        .await
        .contains(&format!("crash {leader_id}")));
    assert_eq!(
        session
            .attr(&format!("[data-broker='{leader_id}']"), "data-status")
            .await,
        "crashed"
    );

    // Jump to the election: a new leader in a new epoch, the old one out of the ISR.
    let mut new_leader = leader.clone();
    for _ in 0..4 {
        session.click(".controls .jump-election").await;
        new_leader = session
            .attr(
                "[data-replica^='payments-0@'][data-role='leader']",
                "data-replica",
            )
            .await;
        if new_leader != leader {
            break;
        }
    }
    assert_ne!(
        new_leader, leader,
        "another replica leads after the election"
    );
    let label = session.text("[data-partition='payments-0']").await;
    assert!(label.contains("epoch 1"), "{label}");
    assert!(session.text(".event-log").await.contains("fences broker"));
    // The operator's view: with a broker gone, partitions are under-replicated, an alert.
    let urp = "[data-metric='Under-replicated partitions']";
    assert_ne!(session.text(&format!("{urp} .metric-value")).await, "0");
    assert_eq!(session.count(&format!("{urp}.alert")).await, 1);
    session.screenshot("04-after-election").await;

    // Step back to before the crash: the old leader leads again and is alive.
    session.type_command(&format!("seek {before_crash}")).await;
    assert_eq!(session.current_step().await, before_crash);
    assert_eq!(
        session
            .attr(
                "[data-replica^='payments-0@'][data-role='leader']",
                "data-replica"
            )
            .await,
        leader
    );
    assert_eq!(
        session
            .attr(&format!("[data-broker='{leader_id}']"), "data-status")
            .await,
        "alive"
    );
    session.screenshot("05-rewound").await;

    // Fork from here: a different future, the old branch kept.
    session.click(".controls .fork").await;
    session
        .type_command("produce payments-0 --count 2 --acks 1")
        .await;
    session.type_command("run 1s").await;
    let position = session.text(".controls .position").await;
    assert!(position.contains("branch 1"), "{position}");
    assert_eq!(session.attr(&leader_css, "data-leo").await, "7");
    session.screenshot("06-forked").await;

    // Clicking a line of the narration moves the view to its step.
    let line = session
        .client
        .find(Locator::Css(
            ".event-log .event[data-kind='append'] .event-line",
        ))
        .await
        .expect("an append line in the log");
    let reference = serde_json::to_value(&line).unwrap();
    session
        .client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'})",
            vec![reference],
        )
        .await
        .unwrap();
    line.click().await.expect("clicking the log line");
    let step = session.attr(".event-log .event.current", "data-step").await;
    assert_eq!(session.current_step().await.to_string(), step);

    session.close().await;
}
