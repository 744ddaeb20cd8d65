//! Scenario tests as data: every `tests/scenarios/*.txt` script is run, and its trace (the
//! events that explain something: elections, ISR changes, HW moves, appends, acks, truncation,
//! quorum and broker changes; not every fetch) plus the final state is compared with the
//! snapshot `*.trace` beside it. `UPDATE_EXPECT=1 cargo test -p sandbox-core --test scenarios`
//! rewrites the snapshots; review them with `git diff`.
//!
//! Each scenario is also replayed step by step with every invariant checked after every step,
//! and run twice to prove the same script gives the same trace.

use std::path::{Path, PathBuf};

use sandbox_core::command::Command;
use sandbox_core::event::Event;
use sandbox_core::script::{self, trace_hash};

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
}

/// Events worth reading in a snapshot: the notable ones (not plain deliveries, timers, drops).
fn explains_something(event: &Event) -> bool {
    event.kind.is_notable()
}

fn snapshot(path: &Path) -> (String, u64) {
    let source = std::fs::read_to_string(path).unwrap();
    let parsed = sandbox_core::parse::parse_script(&source)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let run = script::run(&parsed)
        .unwrap_or_else(|f| panic!("{}:{}: {}", path.display(), f.line, f.error));
    let hash = trace_hash(&run.trace);
    let view = sandbox_core::view::cluster_view(&run.timeline.state);
    let text = format!(
        "# trace-hash: {hash:016x} ({} events, {} steps)\n{}\n== final state at step {}, {} ms ==\n{}",
        run.trace.len(),
        run.timeline.state.steps,
        run.render_filtered(&source, explains_something),
        run.timeline.state.steps,
        run.timeline.state.now_ms,
        sandbox_core::describe::describe_cluster(&view)
    );
    (text, hash)
}

#[test]
fn scenario_traces_match_their_snapshots() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenarios found");
    for path in &files {
        let (actual, hash) = snapshot(path);
        let expected_path = path.with_extension("trace");
        let (again, hash_again) = snapshot(path);
        assert_eq!(
            hash,
            hash_again,
            "{}: two runs gave different traces",
            path.display()
        );
        assert_eq!(actual, again);
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            let first_diff = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(expected.lines().count().min(actual.lines().count()));
            failures.push(format!(
                "{}: differs from {} at line {}\n  expected: {}\n  actual:   {}",
                path.display(),
                expected_path.display(),
                first_diff + 1,
                expected.lines().nth(first_diff).unwrap_or("<end>"),
                actual.lines().nth(first_diff).unwrap_or("<end>")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run with UPDATE_EXPECT=1 to accept, then review git diff)",
        failures.join("\n")
    );
}

#[test]
fn every_scenario_keeps_every_invariant_after_every_step() {
    // `swarm::check` replays a schedule with every invariant checked after every step, catches
    // a panic, and, when the script ends long enough after its last fault, checks that the
    // cluster converged (the liveness bugs the swarm found have scenarios of their own).
    for path in scenario_files() {
        let source = std::fs::read_to_string(&path).unwrap();
        let parsed = sandbox_core::parse::parse_script(&source).unwrap();
        let commands: Vec<Command> = parsed
            .commands
            .iter()
            .map(|c| c.value.clone())
            .filter(|c| {
                !matches!(
                    c,
                    Command::Back { .. } | Command::Seek { .. } | Command::Fork
                )
            })
            .collect();
        if let Err(failure) = sandbox_core::swarm::check(&parsed.cluster, &commands) {
            panic!("{}: {failure}", path.display());
        }
    }
}

/// The `no-hanging-transaction` checker is skipped once verification was off, as in
/// txn-hanging-without-verification. Judged as if it had stayed on, the hanging transaction
/// that scenario leaves on orders-0 is caught.
#[test]
fn the_hanging_transaction_breaks_no_hanging_transaction() {
    use sandbox_core::invariants::Checker;
    use sandbox_core::parse::{parse_command, parse_script};
    use sandbox_core::sim::Simulation;

    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios/txn-hanging-without-verification.txt");
    let parsed = parse_script(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut sim = Simulation::new(parsed.cluster.clone());
    sim.boot(|_| {});
    // Up to the first kafka-dump-log.sh: "late" has been appended after the ABORT marker.
    for command in parsed
        .commands
        .iter()
        .map(|c| &c.value)
        .take_while(|c| !matches!(c, Command::DumpLog { .. }))
    {
        sim.apply(command).unwrap();
    }
    let mut untouched = Checker::new();
    assert_eq!(untouched.check(&sim, true), Ok(()), "verification is off");

    for line in [
        "kafka-configs.sh --alter --entity-type brokers --entity-default --delete-config transaction.partition.verification.enable",
        "run 1s",
    ] {
        sim.apply(&parse_command(line).unwrap()).unwrap();
    }
    let violation = Checker::new()
        .check(&sim, true)
        .expect_err("a transaction hangs on orders-0");
    assert_eq!(violation.invariant, "no-hanging-transaction");
    assert!(
        violation.detail.contains("orders-0") && violation.detail.contains("CompleteAbort"),
        "{violation}"
    );
}

/// The leader replica of `orders-0` at the end of a scenario, as the view shows it.
fn leader_of_orders_0_after(scenario: &str) -> sandbox_core::view::ReplicaView {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/scenarios/{scenario}.txt"));
    let script =
        sandbox_core::parse::parse_script(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut timeline = sandbox_core::timeline::Timeline::new(script.cluster.clone());
    for command in &script.commands {
        timeline.apply(&command.value).unwrap();
    }
    let view = sandbox_core::view::cluster_view(&timeline.state);
    let partition = view
        .topics
        .iter()
        .flat_map(|t| &t.partitions)
        .find(|p| p.topic == "orders" && p.partition == 0)
        .unwrap();
    partition.leader_replica().unwrap().clone()
}

/// How the page reads a replica's records comes from core (`record_view`): after the aborted
/// transaction of txn-abort-read-committed, the leader of orders-0 shows the records as
/// aborted and the marker as ABORT, in `kafka-dump-log.sh`-like runs.
#[test]
fn an_aborted_transaction_reads_as_aborted_records_and_an_abort_marker() {
    use sandbox_core::record_view::{RecordState, TxnState};
    let leader = leader_of_orders_0_after("txn-abort-read-committed");
    let runs = leader.batch_runs();
    let states: Vec<TxnState> = runs.iter().map(|(_, s)| *s).collect();
    assert!(states.contains(&TxnState::Aborted), "{runs:?}");
    assert!(
        states.contains(&TxnState::Marker(sandbox_core::record::ControlType::Abort)),
        "{runs:?}"
    );
    let (words, _) = runs.iter().find(|(_, s)| *s == TxnState::Aborted).unwrap();
    assert!(words.contains("transactional, aborted"), "{words}");
    assert_eq!(
        leader.record_state(leader.log_end_offset),
        RecordState::Absent
    );
    assert!(leader.high_watermark > 0);
    assert_eq!(leader.record_state(0), RecordState::Committed);
}

/// The diagram draws a replica's log window as spans computed in core: every offset once, in
/// order; plain records in runs of one state and one writer; each transactional record and
/// marker alone; the offsets past the LEO as one absent run.
#[test]
fn a_log_window_is_drawn_as_runs_of_plain_records_and_single_transactional_ones() {
    use sandbox_core::record_view::{RecordSpan, RecordState, TxnState};
    let leader = leader_of_orders_0_after("txn-abort-read-committed");
    let end = leader.log_end_offset + 3;
    let spans = leader.record_spans(0, end);
    let mut next = 0;
    let mut singles = 0;
    for (i, span) in spans.iter().enumerate() {
        match span {
            RecordSpan::Single { mark, state, txn } => {
                assert_eq!(mark.offset, next, "{spans:?}");
                assert_eq!(*state, leader.record_state(next));
                assert_ne!(*txn, TxnState::Plain);
                assert_eq!(*txn, leader.txn_state(mark));
                singles += 1;
                next += 1;
            }
            RecordSpan::Run(run) => {
                assert_eq!(run.from, next, "{spans:?}");
                for offset in run.from..run.to {
                    assert_eq!(run.state, leader.record_state(offset), "{run:?}");
                }
                if let Some(RecordSpan::Run(previous)) = i.checked_sub(1).map(|j| &spans[j]) {
                    assert!(
                        previous.state != run.state
                            || previous.producer != run.producer
                            || previous.last.map(|b| (b.producer_id, b.producer_epoch))
                                != run.first.map(|b| (b.producer_id, b.producer_epoch)),
                        "two runs written alike should be one: {previous:?} {run:?}"
                    );
                }
                next = run.to;
            }
        }
    }
    assert_eq!(next, end);
    assert!(singles > 0, "the aborted transaction's records stand alone");
    let Some(RecordSpan::Run(last)) = spans.last() else {
        panic!("{spans:?}")
    };
    assert_eq!(
        (last.from, last.state),
        (leader.log_end_offset, RecordState::Absent)
    );
    assert!(last
        .title()
        .starts_with(&format!("offsets {}", leader.log_end_offset)));
}
