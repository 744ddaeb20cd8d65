//! A first visit as a learner: the welcome offers the lesson map; a lesson is followed from
//! its first step to its last by clicking (Do it, a question answered before its commands
//! play, Next), every check it shows holds, the address links to the step, progress is kept,
//! and a step's link reopens the lesson there. A screenshot per step under
//! `target/screenshots/`.

use e2e::Session;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_follows_a_lesson_from_the_welcome_to_its_end() {
    let session = Session::start().await;
    session.goto("/").await;
    session.wait_for(".lesson-map .lesson-card").await;
    session.screenshot("lesson-0-welcome").await;
    assert!(session.count(".lesson-card").await >= 3);
    session
        .click("[data-lesson-card='02-replication'] .open-lesson")
        .await;
    session
        .wait_for(".lesson-panel[data-lesson='02-replication']")
        .await;
    assert_eq!(session.count(".lesson-map").await, 0, "the map closes");

    let steps = 4;
    for step in 0..steps {
        session
            .wait_for(&format!(".lesson-panel[data-step='{step}']"))
            .await;
        // Do everything the step asks, in order: commands, then any question.
        while session.count(".lesson-do .do-it:not([disabled])").await > 0 {
            session.click(".lesson-do .do-it:not([disabled])").await;
        }
        if session.count(".lesson-predict").await > 0 {
            session.wait_for(".lesson-predict .choice").await;
            // The prose after the question is hidden until it is answered.
            let before = session.text(".lesson-body").await;
            assert!(!before.contains("smallest LEO"), "{before}");
            let right = session.count(".lesson-predict .choice").await;
            assert!(right >= 3, "a question offers several choices");
            // Pick the leader's LEO, the answer a newcomer gives.
            session
                .click(".lesson-predict .choice[data-choice='105']")
                .await;
            let verdict = session.text(".lesson-predict .verdict").await;
            assert!(verdict.contains("it is 102"), "{verdict}");
            assert_eq!(
                session.attr(".choice.right", "data-choice").await,
                "102",
                "the right answer is revealed"
            );
        }
        let checks = session.count(".lesson-check").await;
        let holding = session.count(".lesson-check[data-holds='true']").await;
        assert_eq!(holding, checks, "every check of step {step} holds");
        session
            .screenshot(&format!("lesson-{}-step", step + 1))
            .await;
        let url = session.client.current_url().await.unwrap();
        assert!(
            url.as_str()
                .ends_with(&format!("#lesson=02-replication&step={}", step + 1)),
            "{url}"
        );
        session.click(".lesson-next").await;
    }
    // Finishing opens the map again, with the lesson marked done.
    session
        .wait_for("[data-lesson-card='02-replication'] .status")
        .await;
    let status = session
        .text("[data-lesson-card='02-replication'] .status")
        .await;
    assert!(status.contains("done"), "{status}");
    session.screenshot("lesson-5-done").await;

    // A step's link opens the lesson at that step with the cluster that step expects.
    session.goto("/#lesson=02-replication&step=4").await;
    session.client.refresh().await.unwrap();
    session
        .wait_for(".lesson-panel[data-lesson='02-replication'][data-step='3']")
        .await;
    let hw = session
        .text("[data-replica='orders-0@0'] .replica-offsets, [data-replica='orders-0@0']")
        .await;
    assert!(hw.contains("HW 102"), "{hw}");
    session.close().await;
}

/// A troubleshooting challenge: the symptom shows, a first check of the goal says "not yet"
/// with the reason, hints come on request, and once the fix is applied the goal holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_says_not_yet_then_solved_once_fixed() {
    let session = Session::start().await;
    session.goto("/").await;
    session
        .click("[data-lesson-card='20-challenge-lag'] .open-lesson")
        .await;
    session
        .wait_for(".lesson-panel[data-lesson='20-challenge-lag']")
        .await;
    assert_eq!(
        session.count(".lesson-check[data-holds='false']").await,
        0,
        "the symptom is there: lag above 800"
    );
    session.screenshot("challenge-1-symptom").await;
    session.click(".lesson-next").await;
    session.wait_for(".lesson-goal").await;

    session.click(".check-goal").await;
    let verdict = session.text(".lesson-goal .verdict").await;
    assert!(verdict.starts_with("Not yet, because"), "{verdict}");
    assert!(verdict.contains("lag billing orders-"), "{verdict}");

    session.click(".show-hint").await;
    let hint = session.text(".lesson-hint").await;
    assert!(hint.contains("one consumer of a group at a time"), "{hint}");

    session.click(".show-solution").await;
    session.click(".lesson-do.solution .do-it").await;
    session.click(".check-goal").await;
    session.wait_for(".lesson-goal .verdict.right").await;
    let verdict = session.text(".lesson-goal .verdict").await;
    assert!(verdict.starts_with("✓ Solved"), "{verdict}");
    session.screenshot("challenge-2-solved").await;
    session.close().await;
}

/// A step whose cluster changes after a check (round robin dealing again once a member
/// leaves): the first check block keeps what it said when the learner moved past it, instead
/// of turning red under them, and every check of the step holds at its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_keeps_what_it_said_once_the_learner_moves_on() {
    let session = Session::start().await;
    session
        .goto("/#lesson=16-assignors-and-kip-848&step=2")
        .await;
    session
        .wait_for(".lesson-panel[data-lesson='16-assignors-and-kip-848'][data-step='1']")
        .await;
    session.click(".lesson-do .do-it:not([disabled])").await;
    assert_eq!(session.count(".lesson-checks").await, 1);
    // q3 stops, then the question: who owns payments-0 once round robin has dealt again.
    session.click(".lesson-do .do-it:not([disabled])").await;
    session
        .click(".lesson-predict .choice[data-choice='q1']")
        .await;
    let verdict = session.text(".lesson-predict .verdict").await;
    assert!(verdict.contains("it is q2"), "{verdict}");
    assert_eq!(session.count(".lesson-checks").await, 2);
    let checks = session.count(".lesson-check").await;
    let holding = session.count(".lesson-check[data-holds='true']").await;
    assert_eq!(holding, checks, "every check of the step holds at its end");
    session.close().await;
}
