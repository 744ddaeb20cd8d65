//! A sandbox cluster refuses to grow past what the page can hold, with a sentence that says
//! so, instead of running the browser out of memory.

use sandbox_core::parse::parse_script;
use sandbox_core::sim::{MAX_CLUSTER_PARTITIONS, MAX_CLUSTER_RECORDS};
use sandbox_core::timeline::Timeline;

/// Runs `script`; returns the message of the first command refused, with its line.
fn first_refusal(script: &str) -> Option<(usize, String)> {
    let parsed = parse_script(script).expect("the script parses");
    let mut timeline = Timeline::new(parsed.cluster.clone());
    for command in &parsed.commands {
        if let Err(e) = timeline.apply_unobserved(&command.value) {
            return Some((command.line, e.message));
        }
    }
    None
}

#[test]
fn partitions_past_the_cluster_limit_are_refused() {
    assert_eq!(MAX_CLUSTER_PARTITIONS, 2_000);
    let mut script = String::from("cluster --brokers 3 --controllers 1 --seed 1\n");
    for t in 0..2 {
        script.push_str(&format!(
            "kafka-topics.sh --create --topic t{t} --partitions 1000 --replication-factor 1\n"
        ));
    }
    script.push_str(
        "run 1s\nkafka-topics.sh --create --topic one-more --partitions 1 --replication-factor 1\n",
    );
    let (line, message) = first_refusal(&script).expect("the third topic is refused");
    assert_eq!(line, 5);
    assert!(
        message.contains("at most 2000 partitions") && message.contains("it has 2000"),
        "{message}"
    );
    // Growing an existing topic is held to the same limit.
    let script = "cluster --brokers 3 --controllers 1 --seed 1\n\
                  kafka-topics.sh --create --topic a --partitions 1000 --replication-factor 1\n\
                  kafka-topics.sh --create --topic b --partitions 999 --replication-factor 1\n\
                  kafka-topics.sh --create --topic c --partitions 1 --replication-factor 1\n\
                  run 1s\n\
                  kafka-topics.sh --alter --topic c --partitions 2\n";
    let (line, message) = first_refusal(script).expect("growing c past the limit is refused");
    assert_eq!(line, 6);
    assert!(message.contains("so 1 more would pass that"), "{message}");
}

#[test]
fn records_past_the_cluster_limit_are_refused() {
    assert_eq!(MAX_CLUSTER_RECORDS, 200_000);
    let script = "cluster --brokers 1 --controllers 1 --seed 2\n\
                  kafka-topics.sh --create --topic big --partitions 2 --replication-factor 1\n\
                  run 1s\n\
                  produce big-0 --count 100000 --acks 1\n\
                  produce big-1 --count 100000 --acks 1\n\
                  run 2s\n\
                  produce big-0 --count 1 --acks 1\n";
    let (line, message) = first_refusal(script).expect("the 200,001st record is refused");
    assert_eq!(line, 7);
    assert!(
        message.contains("at most 200000 records") && message.contains("it has 200000"),
        "{message}"
    );
}
