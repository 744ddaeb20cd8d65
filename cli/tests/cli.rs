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

/// The case with this id from the assignor vectors.
fn assignor_vector(id: &str) -> serde_json::Value {
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../../core/tests/vectors/assignors.json")).unwrap();
    file["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no vector {id}"))
}

#[test]
fn assignors_computes_a_vector_case() {
    // A cooperative case whose moved partition waits for the follow-up rebalance.
    let case = assignor_vector("coop-04");
    let (code, stdout, stderr) = kafka_sandbox(&["assignors"], &case.to_string());
    assert_eq!(code, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "expected_assignment",
        "partitions_transferring_ownership",
        "cooperative_first_round_assignment",
        "cooperative_followup_rebalances",
        "cooperative_final_assignment",
    ] {
        assert_eq!(value[key], case[key], "{key}");
    }

    // A file of cases gives a file of results, in order.
    let file = serde_json::json!({"cases": [assignor_vector("range-10"), assignor_vector("roundrobin-11")]});
    let (code, stdout, stderr) = kafka_sandbox(&["assignors"], &file.to_string());
    assert_eq!(code, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = value["cases"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["id"], "range-10");
    assert_eq!(
        results[0]["expected_assignment"],
        assignor_vector("range-10")["expected_assignment"]
    );
    assert_eq!(
        results[1]["expected_assignment"],
        assignor_vector("roundrobin-11")["expected_assignment"]
    );
}

#[test]
fn assignors_rejects_bad_input_with_its_position_and_exit_2() {
    let unknown = "{\"assignor\": \"uniform\",\n \"topics\": {\"t\": 1},\n \"members\": []}";
    let (code, stdout, stderr) = kafka_sandbox(&["assignors"], unknown);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("unknown assignor \"uniform\"") && stderr.contains("line 1 column"),
        "{stderr}"
    );
    let bad_partition = "{\"assignor\": \"sticky\", \"topics\": {\"t\": 1},\n \"members\": [{\"member_id\": \"a\", \"topics\": [\"t\"],\n  \"owned_partitions\": [\"t0\"]}]}";
    let (code, _, stderr) = kafka_sandbox(&["assignors"], bad_partition);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("\"t0\" is not a partition name") && stderr.contains("line 3"),
        "{stderr}"
    );
    let (code, _, stderr) = kafka_sandbox(&["assignors"], "{\"cases\": [1,");
    assert_eq!(code, 2);
    assert!(stderr.contains("line 1 column"), "{stderr}");
    let twice = "{\"id\": \"x\", \"assignor\": \"range\", \"topics\": {\"t\": 1}, \"members\": [{\"member_id\": \"a\", \"topics\": [\"t\"]}, {\"member_id\": \"a\", \"topics\": [\"t\"]}]}";
    let (code, _, stderr) = kafka_sandbox(&["assignors"], twice);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("case x is not valid") && stderr.contains("more than once"),
        "{stderr}"
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

#[test]
fn lesson_all_plays_the_curriculum_and_prints_a_summary() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons");
    let (code, out, err) = kafka_sandbox(&["lesson", "--all", dir], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "ok   02-replication.md: Replication, the log end offset and the high watermark"
        ),
        "{out}"
    );
    let last = out.lines().last().unwrap_or_default();
    assert!(
        last.contains(" ok, 0 failed;") && last.contains("questions"),
        "{last}"
    );
}

#[test]
fn a_broken_lesson_names_file_line_and_column_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("kafka-sandbox-lesson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.md");
    std::fs::write(
        &path,
        "---\ntitle: T\nlevel: beginner\nminutes: 5\nteaches: topic\n---\n\n## S\n\n```check\nhw orders-0 = 5\n```\n",
    )
    .unwrap();
    let (code, out, _) = kafka_sandbox(&["lesson", path.to_str().unwrap()], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL bad.md:11:1: check `hw orders-0 = 5` does not hold: there is no partition orders-0"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
