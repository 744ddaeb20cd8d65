//! Time travel: seeking rebuilds exactly the state a straight run had at that step, stepping
//! forward through recorded history replays it, and forking leaves the old branch intact.

use sandbox_core::command::{Command, TopicPartition};
use sandbox_core::parse::parse_script;
use sandbox_core::sim::Simulation;
use sandbox_core::timeline::{Timeline, SNAPSHOT_INTERVAL};

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
