//! Breaking things from the picture itself: a broker clicked in the diagram offers its
//! actions; a link clicked in the network picture is cut, and clicked again is healed. A big
//! cluster is drawn compactly, a page of partitions at a time, and the layout holds from a
//! phone to a 4K projector.

use e2e::Session;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn click_a_broker_to_crash_it_and_a_link_to_cut_it() {
    let session = Session::start().await;
    session.open("/").await;

    // The broker in the diagram opens its actions above the diagram.
    session.click("[data-broker='1']").await;
    session.wait_for(".node-menu[data-node='1'] .crash").await;
    session.screenshot("diagram-node-menu").await;
    session.click(".node-menu[data-node='1'] .crash").await;
    session
        .wait_for("[data-broker='1'][data-status='crashed']")
        .await;
    session.console_shows("crash 1").await;
    // Its menu now offers the way back.
    session.click(".node-menu[data-node='1'] .restart").await;
    session
        .wait_for("[data-broker='1'][data-status='alive']")
        .await;
    session.console_shows("restart 1").await;

    // Cut the link between broker 0 and broker 2 with the mouse, then heal it from the
    // keyboard, in the network picture. Links cross in the middle of the circle, so the click
    // goes to the link's grip near broker 0, where no other link runs.
    assert_eq!(
        session.count(".network [data-link]").await,
        15,
        "6 nodes, 15 links"
    );
    session.click(".network [data-link='0-2'] .grip").await;
    session
        .wait_for(".network [data-link='0-2'][data-cut='true']")
        .await;
    session.console_shows("partition 0 | 2").await;
    session.screenshot("network-link-cut").await;
    session.press_enter_on(".network [data-link='0-2']").await;
    session
        .wait_for(".network [data-link='0-2'][data-cut='false']")
        .await;
    session.console_shows("heal 0 | 2").await;
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_cluster_is_drawn_compactly_a_page_at_a_time() {
    let session = Session::start().await;
    let script = "cluster --brokers 20 --controllers 3 --seed 4\n\
                  kafka-topics.sh --create --topic big --partitions 100 --replication-factor 3\n\
                  run 2s\n\
                  produce big-0 --count 20 --acks all\n\
                  run 1s\n";
    session.open(&e2e::run_link(script)).await;
    session.wait_for(".cluster-diagram.compact").await;
    assert_eq!(session.count("[data-broker]").await, 20);
    assert_eq!(session.count("[data-partition]").await, 40, "one page");
    assert_eq!(session.count("[data-replica]").await, 120);
    assert_eq!(
        session.text(".pager .page-position").await,
        "partitions 1–40 of 100"
    );
    let leader = session
        .wait_for("[data-replica^='big-0@'][data-role='leader']")
        .await;
    assert_eq!(leader.attr("data-hw").await.unwrap().as_deref(), Some("20"));
    session.screenshot("compact-big-cluster").await;

    session.click(".pager .page-next").await;
    session.wait_for("[data-partition='big-40']").await;
    assert_eq!(
        session.text(".pager .page-position").await,
        "partitions 41–80 of 100"
    );

    // Crash a broker: its partitions need attention, and the filter shows only those.
    let input = session.wait_for(".console-input input").await;
    input.send_keys("crash 3\u{E007}").await.unwrap();
    input.send_keys("run 30s\u{E007}").await.unwrap();
    session.console_shows("now at step").await;
    session.click(".pager .attention-only").await;
    session.wait_for(".pager .page-position").await;
    let rows = session.count("[data-partition]").await;
    assert!(
        rows > 0,
        "broker 3 held replicas, so some partitions are under-replicated"
    );
    let position = session.text(".pager .page-position").await;
    assert!(position.starts_with("partitions 1–"), "{position}");
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layout_holds_on_a_phone_and_a_4k_projector() {
    let session = Session::start().await;
    session.open("/").await;
    for (name, width, height) in [
        ("phone", 390, 844),
        ("4k", 3840, 2160),
        ("laptop", 1280, 720),
    ] {
        session.resize(width, height).await;
        // Everything a workshop needs is still there and reachable.
        for css in [
            ".controls .play",
            ".cluster-diagram",
            ".console-input input",
            ".event-log",
        ] {
            session.wait_for(css).await;
        }
        // The page never scrolls sideways as a whole; only the diagram's panel may.
        let overflow = session.sideways_overflow().await;
        assert!(
            overflow <= 1,
            "{name}: the page is wider than the window by {overflow}px"
        );
        session.screenshot(&format!("layout-{name}")).await;
    }
    session.close().await;
}

/// The workspace fits one screen at a laptop's 1280x720 and at 1920x1080, a lesson open or
/// not: the page itself never scrolls (the cluster, the lesson, the side panels and the
/// console each scroll inside), and the console, the narration, the diagram and the panels'
/// tabs are all on screen at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_fits_one_screen_with_and_without_a_lesson() {
    let session = Session::start().await;
    for (name, width, height) in [("720p", 1280, 720), ("1080p", 1920, 1080)] {
        session.resize_viewport(width, height).await;
        for (what, path) in [
            ("free-play", "/"),
            // A query makes it a new page, not a move within this one.
            ("lesson", "/?one-screen#lesson=02-replication&step=2"),
        ] {
            session.open(path).await;
            if what == "lesson" {
                session.wait_for(".lesson-panel").await;
            }
            assert_eq!(session.viewport().await, (width, height), "the page's size");
            let overflow = session.downward_overflow().await;
            assert!(
                overflow <= 1,
                "{name} {what}: the page is taller than the window by {overflow}px"
            );
            let on_screen = session
                .client
                .execute(
                    "const h = window.innerHeight, w = window.innerWidth;
                     return [...arguments[0]].filter(css => {
                       const r = document.querySelector(css)?.getBoundingClientRect();
                       return !r || r.top < 0 || r.bottom > h || r.left < 0 || r.right > w || r.height == 0;
                     });",
                    vec![serde_json::json!([
                        ".controls .play",
                        "#cluster-heading",
                        ".tabs",
                        ".event-log",
                        ".console-input input"
                    ])],
                )
                .await
                .expect("measuring what is on screen");
            assert_eq!(
                on_screen,
                serde_json::json!([]),
                "{name} {what}: these are not wholly on screen"
            );
            session
                .screenshot(&format!("one-screen-{name}-{what}"))
                .await;
        }
    }
    session.close().await;
}
