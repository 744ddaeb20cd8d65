//! The CLI as a user runs it: exit codes, messages, and output shapes.

use std::io::Write;
use std::process::{Command, Stdio};

fn kafka_sandbox(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-sandbox"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GUIDE: &str = "\
kafka-topics.sh --create --topic orders --replica-assignment 0:1:2
run 1s
produce orders-0 --count 102 --acks 1
run 1s
pause-fetch 1 orders-0
run 1s
produce orders-0 --count 3 --acks 1
run 1s
";

#[test]
fn a_script_prints_its_trace_and_the_final_state() {
    let (code, stdout, stderr) = kafka_sandbox(&["run", "-"], GUIDE);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("> produce orders-0 --count 3 --acks 1"));
    assert!(stdout.contains("== state after step"));
    assert!(stdout.contains("orders-0 on broker 0 (leader)\tlog start 0\tHW 102\tLEO 105"));
    assert!(stdout.contains("orders-0 on broker 1\tlog start 0\tHW 102\tLEO 102"));
}

#[test]
fn json_output_carries_trace_and_state() {
    let (code, stdout, stderr) = kafka_sandbox(&["run", "-", "--json"], GUIDE);
    assert_eq!(code, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    assert!(value["trace"].as_array().is_some_and(|t| t.len() > 100));
    let replicas = &value["state"]["topics"][0]["partitions"][0]["replicas"];
    assert_eq!(replicas[0]["high_watermark"], 102);
    assert_eq!(replicas[0]["log_end_offset"], 105);
}

#[test]
fn a_bad_script_names_line_and_column_and_exits_2() {
    let (code, stdout, stderr) = kafka_sandbox(
        &["run", "-"],
        "run 1s\nkafka-topics.sh --create --topic orders --partiton 3 --replication-factor 3\n",
    );
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("line 2, column") && stderr.contains("--partitions"),
        "{stderr}"
    );
}

#[test]
fn a_failing_command_names_its_line_and_exits_1() {
    let (code, _stdout, stderr) = kafka_sandbox(&["run", "-"], "crash 7\n");
    assert_eq!(code, 1);
    assert!(stderr.contains("-:1: there is no node 7"), "{stderr}");
}

#[test]
fn placement_computes_a_vector_case() {
    let case = r#"{"id": "x", "algorithm": "AdminUtils.assignReplicasToBrokers",
        "brokers": [{"id": 0}, {"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}],
        "num_partitions": 10, "replication_factor": 3,
        "fixed_start_index": 0, "start_partition_id": -1}"#;
    let (code, stdout, stderr) = kafka_sandbox(&["placement"], case);
    assert_eq!(code, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // The table in AdminUtils' javadoc.
    assert_eq!(
        value["expected_assignment"]["5"],
        serde_json::json!([0, 2, 3])
    );
    assert_eq!(
        value["expected_assignment"]["9"],
        serde_json::json!([4, 1, 2])
    );
}

#[test]
fn bad_usage_exits_2_with_the_usage() {
    let (code, _, stderr) = kafka_sandbox(&["frobnicate"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("usage:"));
}

/// The README's CLI example runs, and the lines the README quotes are what it prints.
#[test]
fn the_readme_example_prints_what_the_readme_says() {
    let readme = include_str!("../../README.md");
    let script = readme
        .split("<<'SCRIPT'\n")
        .nth(1)
        .and_then(|rest| rest.split("\nSCRIPT\n").next())
        .expect("README has the example script");
    let (code, stdout, stderr) = kafka_sandbox(&["run", "-"], script);
    assert_eq!(code, 0, "{stderr}");
    let quoted = readme
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README quotes the output");
    let mut checked = 0;
    for line in quoted.lines().filter(|l| *l != "...") {
        assert!(
            stdout.contains(line),
            "README quotes a line the CLI did not print:\n{line}"
        );
        checked += 1;
    }
    assert!(checked >= 4);
}

#[test]
fn swarm_plays_seeds_and_prints_their_schedules() {
    let (code, stdout, stderr) = kafka_sandbox(&["swarm", "--seeds", "2", "--length", "10"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("swarm: seeds 0..2 passed"), "{stdout}");

    let (code, script, stderr) =
        kafka_sandbox(&["swarm", "--start", "5", "--seeds", "1", "--print"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(script.starts_with("# swarm seed=5"), "{script}");
    // The printed schedule replays, with every invariant checked after every step.
    let (code, _, stderr) = kafka_sandbox(&["run", "-", "--check", "--quiet"], &script);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("every invariant held"), "{stderr}");

    let (code, _, stderr) = kafka_sandbox(&["swarm", "--seeds", "many"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("--seeds wants a whole number"), "{stderr}");
}
