//! Time travel: seeking rebuilds exactly the state a straight run had at that step, stepping
//! forward through recorded history replays it, and forking leaves the old branch intact.

use sandbox_core::sorted::SortedMap;

use sandbox_core::command::{Command, EventFilter, TopicPartition};
use sandbox_core::event::{Event, EventKind};
use sandbox_core::example::large_with_group_script;
use sandbox_core::parse::parse_script;
use sandbox_core::sim::Simulation;
use sandbox_core::timeline::{Limits, Timeline, FOCUS_STEPS, SNAPSHOT_INTERVAL};
use sandbox_core::tools;

const SCRIPT: &str = "\
cluster --brokers 3 --controllers 3 --seed 4
kafka-topics.sh --create --topic orders --partitions 2 --replication-factor 3
run 1s
produce orders-0 --count 20 --acks all
run 500ms
crash 1
run 12s
produce orders-1 --count 5 --acks 1
run 2s
";

fn timeline() -> Timeline {
    let script = parse_script(SCRIPT).unwrap();
    let mut timeline = Timeline::new(script.cluster.clone());
    for command in &script.commands {
        timeline.apply(&command.value).unwrap();
    }
    timeline
}

/// The state after `steps` steps of a straight run of the same script, without time travel.
fn straight_run_at(steps: u64) -> Simulation {
    let script = parse_script(SCRIPT).unwrap();
    let mut sim = Simulation::new(script.cluster.clone());
    let mut found = None;
    sim.boot(|s| {
        if s.steps == steps && found.is_none() {
            found = Some(s.clone());
        }
    });
    if let Some(state) = found {
        return state;
    }
    for command in &script.commands {
        if sim.steps == steps {
            // Commands recorded at this position are part of the state at this step.
            let _ = sim.apply(&command.value);
            if !matches!(command.value, Command::Step { .. } | Command::Run { .. }) {
                continue;
            }
            return sim;
        }
        let mut stop = None;
        let _ = sim.apply_observed(&command.value, |s, _| {
            if s.steps == steps && stop.is_none() {
                stop = Some(s.clone());
            }
        });
        if let Some(state) = stop {
            // A time command passed the step; commands applied at this very step come after.
            return state;
        }
    }
    sim
}

#[test]
fn seeking_rebuilds_the_state_of_a_straight_run() {
    let mut timeline = timeline();
    let head = timeline.state.steps;
    assert!(
        head > 3 * SNAPSHOT_INTERVAL,
        "the run is long enough to cross snapshots"
    );
    for target in [
        head / 2,
        head / 3 + 1,
        SNAPSHOT_INTERVAL,
        SNAPSHOT_INTERVAL + 1,
        head - 1,
    ] {
        timeline.seek(target);
        assert_eq!(timeline.state.steps, target);
        let expected = straight_run_at(target);
        assert_eq!(
            timeline.state.now_ms, expected.now_ms,
            "time at step {target}"
        );
        assert!(
            timeline.state == expected,
            "state at step {target} differs from a straight run"
        );
    }
    timeline.seek(head);
    assert_eq!(timeline.state.steps, head);
}

#[test]
fn back_then_step_replays_recorded_history() {
    let mut timeline = timeline();
    let head = timeline.state.clone();
    let events_before = timeline.branch().notable.len();
    timeline.apply(&Command::Back { steps: 10 }).unwrap();
    assert_eq!(timeline.state.steps, head.steps - 10);
    let outcome = timeline.apply(&Command::Step { count: 10 }).unwrap();
    assert_eq!(
        outcome.events.iter().map(|e| e.step).max(),
        Some(head.steps)
    );
    assert!(
        timeline.state == head,
        "stepping forward again reaches the same head"
    );
    assert_eq!(
        timeline.branches.len(),
        1,
        "replaying history does not fork"
    );
    assert_eq!(timeline.branch().notable.len(), events_before);
}

#[test]
fn a_command_in_the_past_forks_and_keeps_the_old_branch() {
    let mut timeline = timeline();
    let old_head = timeline.state.clone();
    let old_events = timeline.branch().notable.clone();
    let fork_at = old_head.steps - 40;
    timeline
        .apply(&Command::Seek {
            step: fork_at as i64,
        })
        .unwrap();
    timeline
        .apply(&Command::Produce {
            partition: TopicPartition::new("orders", 0),
            count: 3,
            acks: sandbox_core::command::Acks::Leader,
            key: None,
            value: None,
            timeout_ms: 30_000,
        })
        .unwrap();
    timeline.apply(&Command::Run { duration_ms: 1000 }).unwrap();
    assert_eq!(timeline.branches.len(), 2);
    assert_eq!(timeline.current_branch, 1);
    assert_eq!(timeline.branch().parent, Some((0, fork_at)));
    assert!(timeline.state != old_head);

    // The old branch is intact: switching back shows its head and its events.
    assert!(timeline.switch_branch(0));
    assert_eq!(timeline.state.steps, old_head.steps);
    assert!(timeline.state == old_head);
    assert_eq!(timeline.branch().notable, old_events);
}

#[test]
fn a_question_in_the_past_is_answered_there_without_forking() {
    let mut timeline = timeline();
    let head = timeline.state.clone();
    let actions = timeline.branch().actions.len();
    // Just before orders-1's records (produced at 17.5 s): orders-0's are there already.
    let past = timeline
        .branch()
        .notable
        .iter()
        .take_while(|e| e.time_ms < 17_000)
        .map(|e| e.step)
        .max()
        .unwrap();
    timeline.seek(past);
    let orders_0 = TopicPartition::new("orders", 0);
    for question in [
        Command::DescribeTopics { topic: None },
        Command::DumpLog {
            partition: orders_0,
            broker: Some(0),
            print_data_log: false,
        },
        Command::DescribeQuorum { replication: true },
    ] {
        let answer = timeline.apply(&question).unwrap().output.unwrap();
        // What the tool prints is what it would print on a straight run stopped there.
        let straight = tools::answer(&straight_run_at(past), &question).unwrap();
        assert_eq!(answer, straight, "{question:?} at step {past}");
    }
    assert_eq!(timeline.branches.len(), 1, "a question does not fork");
    assert_eq!(timeline.state.steps, past, "nor moves the view");
    assert_eq!(
        timeline.branch().actions.len(),
        actions,
        "nor enters the run's history"
    );
    // The answers are the past's, not the head's: orders-1's records came later.
    let dump = |sim: &Simulation| {
        tools::answer(
            sim,
            &Command::DumpLog {
                partition: TopicPartition::new("orders", 1),
                broker: Some(0),
                print_data_log: false,
            },
        )
        .unwrap()
    };
    assert_ne!(dump(&timeline.state), dump(&head));
    timeline
        .apply(&Command::Step {
            count: (head.steps - past) as i64,
        })
        .unwrap();
    assert!(timeline.state == head, "stepping on replays the same run");
}

#[test]
fn a_question_is_refused_by_the_simulation_itself_with_a_sentence() {
    let mut sim = timeline().state;
    let error = sim.apply(&Command::ListTopics).unwrap_err();
    assert!(error.message.contains("tools::apply"), "{}", error.message);
    let listed = tools::apply(&mut sim, &Command::ListTopics).unwrap();
    assert_eq!(listed.output.as_deref(), Some("orders\n"));
}

// ------------------------------------------------------------------------------------------
// Long runs: history in bounded memory. The limits are shrunk so that a run of a few tens of
// thousands of steps thins its snapshots several times; what is checked is that nothing a user
// can reach changes: every state a seek rebuilds, every notable event, the last events before
// any step, the Next: jumps.

const LONG: &str = "\
cluster --brokers 3 --controllers 3 --seed 7
kafka-topics.sh --create --topic orders --partitions 3 --replication-factor 3
run 1s
produce orders-0 --count 30 --acks all
consumer start c1 --topic orders --group g
consumer start c2 --topic orders --group g
run 20s
crash 2
run 15s
restart 2
run 2m
";

fn small_limits() -> Limits {
    Limits {
        dense_steps: 512,
        snapshot_budget_bytes: 1 << 20,
        max_steps: 1_000_000,
    }
}

fn long_timeline() -> Timeline {
    let script = parse_script(LONG).unwrap();
    let mut timeline = Timeline::with_limits(script.cluster.clone(), small_limits(), |_| {});
    for command in &script.commands {
        timeline.apply_streaming(&command.value, |_| {}).unwrap();
    }
    timeline
}

/// A straight run of `LONG` without a timeline: every event, and the states at `wanted` steps.
fn straight_long(wanted: &[u64]) -> (Vec<Event>, SortedMap<u64, Simulation>) {
    let script = parse_script(LONG).unwrap();
    let mut sim = Simulation::new(script.cluster.clone());
    let mut states = SortedMap::new();
    let mut trace = sim.boot(|s| {
        if wanted.contains(&s.steps) {
            states.insert(s.steps, s.clone());
        }
    });
    for command in &script.commands {
        // A state at a step includes the commands applied at that step.
        let outcome = sim
            .apply_observed(&command.value, |s, events| {
                trace.extend(events);
                if wanted.contains(&s.steps) {
                    states.insert(s.steps, s.clone());
                }
            })
            .unwrap();
        trace.extend(outcome.events);
        if wanted.contains(&sim.steps) {
            states.insert(sim.steps, sim.clone());
        }
    }
    (trace, states)
}

#[test]
fn a_long_run_keeps_few_snapshots_and_still_seeks_exactly() {
    let mut timeline = long_timeline();
    let head = timeline.state.steps;
    let snapshots = &timeline.branch().snapshots;
    assert!(head > 10_000, "the run is long: {head} steps");
    assert!(
        snapshots.grid() >= 8 * snapshots.interval(),
        "old snapshots were thinned (grid {}, interval {})",
        snapshots.grid(),
        snapshots.interval()
    );
    let dense = small_limits().dense_steps / snapshots.interval() + 1;
    let sparse = head / snapshots.grid() + 1;
    assert!(
        snapshots.len() as u64 <= dense + sparse + 1,
        "{} snapshots kept for {head} steps",
        snapshots.len()
    );
    let targets = [
        1,
        head / 7,
        head / 7 - 1,
        head / 7 - 2,
        head / 2 + 3,
        head - 600,
        head - 1,
    ];
    let (_, states) = straight_long(&targets);
    for target in targets {
        timeline.seek(target);
        assert_eq!(timeline.state.steps, target);
        assert!(
            timeline.state == states[&target],
            "the state at step {target} differs from a straight run"
        );
    }
    // Back one step at a time from deep in the run, as a presenter's clicker does.
    timeline.seek(head / 7);
    timeline.apply(&Command::Back { steps: 1 }).unwrap();
    timeline.apply(&Command::Back { steps: 1 }).unwrap();
    assert!(timeline.state == states[&(head / 7 - 2)]);
    timeline.seek(head);
    assert_eq!(timeline.state.steps, head);
    assert_eq!(timeline.branches.len(), 1, "seeking never forks");
}

#[test]
fn the_narration_keeps_every_notable_event_and_rebuilds_the_last_events_anywhere() {
    let mut timeline = long_timeline();
    let (trace, _) = straight_long(&[]);
    let notable: Vec<&Event> = trace.iter().filter(|e| e.kind.is_notable()).collect();
    let kept: Vec<&Event> = timeline.branch().notable.iter().collect();
    assert_eq!(kept, notable, "every notable event is kept, in order");
    let head = timeline.state.steps;
    for target in [head / 3, 5, head - 10, head] {
        timeline.seek(target);
        let expected: Vec<&Event> = {
            let mut last: Vec<&Event> = trace.iter().filter(|e| e.step <= target).collect();
            last.drain(..last.len().saturating_sub(150));
            last
        };
        let got = timeline.recent_events(150);
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            expected,
            "the last 150 events up to step {target}"
        );
        let expected_notable: Vec<&Event> = {
            let mut last: Vec<&Event> = notable
                .iter()
                .copied()
                .filter(|e| e.step <= target)
                .collect();
            last.drain(..last.len().saturating_sub(20));
            last
        };
        assert_eq!(
            timeline.notable_events(20).iter().collect::<Vec<_>>(),
            expected_notable
        );
    }
}

#[test]
fn next_jumps_in_the_past_land_on_the_recorded_event_without_forking() {
    let mut timeline = long_timeline();
    let (trace, _) = straight_long(&[]);
    let from = 2_000;
    timeline.seek(from);
    let expected = trace
        .iter()
        .find(|e| e.step > from && matches!(e.kind, EventKind::IsrShrink | EventKind::IsrExpand))
        .expect("the restarted broker rejoins ISRs")
        .step;
    let outcome = timeline
        .apply(&Command::StepUntil {
            filter: EventFilter::IsrChange,
            max_steps: 10_000,
        })
        .unwrap();
    assert_eq!(timeline.state.steps, expected);
    assert!(
        outcome
            .events
            .iter()
            .any(|e| e.step == expected && e.kind == EventKind::IsrExpand),
        "the jump's last step is the one it looked for"
    );
    assert_eq!(
        outcome.events.len(),
        trace
            .iter()
            .filter(|e| e.step > from && e.step <= expected)
            .count(),
        "every event on the way is handed out"
    );
    assert_eq!(timeline.branches.len(), 1);
}

#[test]
fn forking_deep_in_a_thinned_run_keeps_the_old_branch() {
    let mut timeline = long_timeline();
    let old_head = timeline.state.clone();
    let old_notable = timeline.branch().notable.len();
    let fork_at = old_head.steps / 5 + 17;
    let (_, states) = straight_long(&[fork_at]);
    timeline.seek(fork_at);
    timeline.apply(&Command::Fork).unwrap();
    assert!(timeline.state == states[&fork_at]);
    timeline
        .apply(&Command::Run { duration_ms: 2_000 })
        .unwrap();
    // The new branch seeks back before its fork point through its parent's snapshots.
    timeline.seek(fork_at);
    assert!(timeline.state == states[&fork_at]);
    assert!(timeline.switch_branch(0));
    assert!(timeline.state == old_head);
    assert_eq!(timeline.branch().notable.len(), old_notable);
}

#[test]
fn a_branch_stops_growing_at_its_step_limit_with_a_sentence() {
    let script = parse_script(LONG).unwrap();
    let limits = Limits {
        max_steps: 3_000,
        ..small_limits()
    };
    let mut timeline = Timeline::with_limits(script.cluster.clone(), limits, |_| {});
    let mut refused = None;
    for command in &script.commands {
        if let Err(e) = timeline.apply_streaming(&command.value, |_| {}) {
            refused = Some(e.message);
            break;
        }
    }
    let message = refused.expect("the run is longer than the limit");
    assert!(
        message.contains("3000 steps") && message.contains("fork"),
        "{message}"
    );
}

#[test]
fn warming_up_makes_every_step_back_from_a_landing_point_short_and_exact() {
    let mut timeline = long_timeline();
    let head = timeline.state.steps;
    // Where a scrubber lands deep in the run: a kept snapshot, a grid spacing after the one
    // before it.
    let landing = timeline.scrub_target(head / 3);
    timeline.seek(landing);
    let interval = timeline.branch().snapshots.interval();
    let gap_before = |t: &Timeline, step: u64| {
        step - t
            .branch()
            .snapshots
            .steps()
            .filter(|&s| s <= step)
            .last()
            .unwrap()
    };
    assert!(
        gap_before(&timeline, landing - 1) > 4 * interval,
        "without warming up, a step back replays a grid spacing"
    );
    let mut slices = 0;
    while timeline.warm_up(100) {
        slices += 1;
        assert!(slices < 10_000, "warming up ends");
    }
    assert!(slices > 1, "it works in slices of 100 steps");
    let (_, states) = straight_long(&[landing - 1, landing - 700]);
    for back in [landing - 1, landing - 700] {
        assert!(
            gap_before(&timeline, back) <= interval,
            "step {back} is at most one interval after a snapshot"
        );
        timeline.seek(back);
        assert!(
            timeline.state == states[&back],
            "the state at {back} is exact"
        );
    }
}

#[test]
fn steps_back_deep_in_a_big_cluster_replay_a_quarter_interval() {
    // 30 brokers and 1,000 partitions: snapshots are big, so they are sparse.
    let script = parse_script(&large_with_group_script("3s")).unwrap();
    let limits = Limits {
        dense_steps: 1_024,
        snapshot_budget_bytes: 16 << 20,
        max_steps: 1_000_000,
    };
    let mut timeline = Timeline::with_limits(script.cluster.clone(), limits, |_| {});
    for command in &script.commands {
        timeline.apply_streaming(&command.value, |_| {}).unwrap();
    }
    let head = timeline.state.steps;
    let interval = timeline.branch().snapshots.interval();
    assert!(
        2 * interval > FOCUS_STEPS,
        "a big cluster takes a snapshot every {interval} steps"
    );
    let landing = timeline.scrub_target(head / 3);
    timeline.seek(landing);
    // The first step back replays from the snapshot before (a grid spacing); each one after
    // it replays at most a quarter interval.
    timeline.seek(landing - 1);
    let most = (interval / 4).max(SNAPSHOT_INTERVAL);
    for back in (2..=2 * interval).step_by(97) {
        let target = landing - back;
        let nearest = timeline
            .branch()
            .snapshots
            .steps()
            .filter(|&s| s <= target)
            .last()
            .unwrap();
        assert!(
            target - nearest <= most,
            "step {target} is {} steps after a snapshot, more than {most}",
            target - nearest
        );
        timeline.seek(target);
    }
}

#[test]
fn a_cached_view_is_the_view_and_shares_what_did_not_change() {
    use sandbox_core::view::{cluster_view, cluster_view_cached, ViewCache};
    let mut timeline = long_timeline();
    let mut cache = ViewCache::default();
    let head = timeline.state.steps;
    let mut shared = 0;
    let mut previous = cluster_view_cached(&timeline.state, &mut cache);
    // Forward, backward and far jumps: the cache never shows a stale partition.
    for target in [
        head / 2,
        head / 2 + 1,
        head / 2 + 40,
        300,
        head - 5,
        head / 2,
    ] {
        timeline.seek(target);
        let cached = cluster_view_cached(&timeline.state, &mut cache);
        assert_eq!(cached, cluster_view(&timeline.state), "step {target}");
        for (a, b) in cached
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .zip(previous.topics.iter().flat_map(|t| &t.partitions))
        {
            if std::sync::Arc::ptr_eq(a, b) {
                shared += 1;
            }
        }
        previous = cached;
    }
    assert!(shared > 0, "unchanged partitions are the same Arc");
}
