//! The command language: every command, its defaults, every kind of error (with its line,
//! column and suggestion), scripts, completions, the generated reference in
//! `docs/commands.md`, and a no-panic sweep over generated garbage.
//!
//! `UPDATE_EXPECT=1 cargo test -p sandbox-core --test parse` refreshes the snapshots;
//! `UPDATE_DOCS=1` rewrites the generated part of `docs/commands.md`.

use expect_test::{expect, Expect};
use sandbox_core::command::{
    ClusterSpec, Command, DescribeGroup, GroupsCommand, ResetTo, Script, TopicPartition,
};
use sandbox_core::parse::{
    command_names, command_specs, completions, format_command, format_script, help_markdown,
    parse_command, parse_script, ParseError,
};

fn check(input: &str, expect: Expect) {
    let actual = match parse_command(input) {
        Ok(c) => format!("{c:?}"),
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&actual);
}

/// A script as its cluster, then one `line: command` per command.
fn check_script(input: &str, expect: Expect) {
    let actual = match parse_script(input) {
        Ok(s) => {
            let mut out = format!("{:?}", s.cluster);
            for c in &s.commands {
                out.push_str(&format!("\n{}: {:?}", c.line, c.value));
            }
            out
        }
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&actual);
}

fn check_completions(input: &str, expect: Expect) {
    expect.assert_eq(&completions(input).join(" "));
}

#[test]
#[rustfmt::skip]
fn kafka_topics() {
    check("kafka-topics.sh --create --topic orders --partitions 3 --replication-factor 2", expect![[r#"CreateTopic { topic: "orders", partitions: 3, replication_factor: 2, configs: [], replica_assignment: None }"#]]);
    check("kafka-topics --create --topic orders --partitions 3 --replication-factor 2", expect![[r#"CreateTopic { topic: "orders", partitions: 3, replication_factor: 2, configs: [], replica_assignment: None }"#]]);
    check("bin/kafka-topics.sh --bootstrap-server localhost:9092 --create --topic orders --partitions 1 --replication-factor 1", expect![[r#"CreateTopic { topic: "orders", partitions: 1, replication_factor: 1, configs: [], replica_assignment: None }"#]]);
    check("kafka-topics.sh --replication-factor=3 --topic=my_topic.v2 --partitions=6 --create", expect![[r#"CreateTopic { topic: "my_topic.v2", partitions: 6, replication_factor: 3, configs: [], replica_assignment: None }"#]]);
    check("kafka-topics.sh --create --topic t --partitions 1 --replication-factor 1 --config min.insync.replicas=2 --config cleanup.policy=compact,delete", expect![[r#"CreateTopic { topic: "t", partitions: 1, replication_factor: 1, configs: [("min.insync.replicas", "2"), ("cleanup.policy", "compact,delete")], replica_assignment: None }"#]]);
    check("kafka-topics.sh --create --topic t --replica-assignment 0:1:2,1:2:0", expect![[r#"CreateTopic { topic: "t", partitions: 2, replication_factor: 3, configs: [], replica_assignment: Some([[0, 1, 2], [1, 2, 0]]) }"#]]);
    check("kafka-topics.sh --create --topic t --partitions 2 --replication-factor 3 --replica-assignment 0:1:2,1:2:0", expect![[r#"CreateTopic { topic: "t", partitions: 2, replication_factor: 3, configs: [], replica_assignment: Some([[0, 1, 2], [1, 2, 0]]) }"#]]);
    check("kafka-topics.sh --describe", expect!["DescribeTopics { topic: None }"]);
    check("kafka-topics.sh --describe --topic orders", expect![[r#"DescribeTopics { topic: Some("orders") }"#]]);
    check("kafka-topics.sh --list", expect!["ListTopics"]);
    check("kafka-topics.sh --list --bootstrap-server=localhost:9092", expect!["ListTopics"]);
}

#[test]
#[rustfmt::skip]
fn kafka_topics_errors() {
    check("kafka-topics.sh --create --partiton 3", expect!["error: line 1, column 26: unknown flag `--partiton` for kafka-topics.sh --create; did you mean `--partitions`?"]);
    check("kafka-topics.sh --create --topic orders --partitions 3", expect![[r#"CreateTopic { topic: "orders", partitions: 3, replication_factor: -1, configs: [], replica_assignment: None }"#]]);
    check("kafka-topics.sh --create --topic orders --replication-factor 3", expect![[r#"CreateTopic { topic: "orders", partitions: -1, replication_factor: 3, configs: [], replica_assignment: None }"#]]);
    check("kafka-topics.sh --create --partitions 3 --replication-factor 3", expect!["error: line 1, column 1: kafka-topics.sh --create needs --topic TOPIC"]);
    check("kafka-topics.sh --create --topic orders --partitions three --replication-factor 3", expect!["error: line 1, column 54: --partitions wants a whole number, got `three`"]);
    check("kafka-topics.sh --create --topic orders --partitions 0 --replication-factor 3", expect!["error: line 1, column 54: --partitions must be between 1 and 1000, got `0`"]);
    check("kafka-topics.sh --create --topic orders --partitions 1001 --replication-factor 3", expect!["error: line 1, column 54: --partitions must be between 1 and 1000, got `1001`"]);
    check("kafka-topics.sh --create --topic orders --partitions 99999999999999999999999 --replication-factor 3", expect!["error: line 1, column 54: --partitions must be between 1 and 1000, got `99999999999999999999999`"]);
    check("kafka-topics.sh --create --topic orders --partitions 3 --replication-factor 65", expect!["error: line 1, column 77: --replication-factor must be between 1 and 64, got `65`"]);
    check("kafka-topics.sh --create --topic orders --topic x --partitions 3 --replication-factor 3", expect!["error: line 1, column 41: --topic is given twice"]);
    check("kafka-topics.sh --create --topic or/ders --partitions 3 --replication-factor 3", expect!["error: line 1, column 36: the topic name `or/ders` contains `/`: topic names use only letters, digits, `.`, `_` and `-`"]);
    check("kafka-topics.sh --create --topic ordérs --partitions 3 --replication-factor 3", expect!["error: line 1, column 37: the topic name `ordérs` contains `é`: topic names use only letters, digits, `.`, `_` and `-`"]);
    check("kafka-topics.sh --create --topic .. --partitions 3 --replication-factor 3", expect!["error: line 1, column 34: a topic cannot be named `.` or `..`"]);
    check("kafka-topics.sh --create --topic \"\" --partitions 3 --replication-factor 3", expect!["error: line 1, column 34: the topic name is empty"]);
    check(&format!("kafka-topics.sh --create --topic {} --partitions 1 --replication-factor 1", "t".repeat(250)), expect!["error: line 1, column 283: the topic name is 250 characters long; the limit is 249"]);
    check("kafka-topics.sh --create --topic orders --partitions", expect!["error: line 1, column 41: --partitions needs a value (a whole number)"]);
    check("kafka-topics.sh --create --topic --partitions 3", expect!["error: line 1, column 26: --topic needs a value (a topic name)"]);
    check("kafka-topics.sh --create --topic t --replica-assignment 0:1:2,1:2", expect!["error: line 1, column 63: --replica-assignment: partition 1 has 2 replicas but partition 0 has 3; every partition needs the same number"]);
    check("kafka-topics.sh --create --topic t --replica-assignment 0:1:1", expect!["error: line 1, column 61: --replica-assignment: broker 1 appears twice in partition 0"]);
    check("kafka-topics.sh --create --topic t --replica-assignment 0:x", expect!["error: line 1, column 59: --replica-assignment: `x` is not a broker id"]);
    check(&format!("kafka-topics.sh --create --topic t --replica-assignment 0{}", ",0".repeat(1000)), expect!["error: line 1, column 57: --replica-assignment lists 1001 partitions; the limit is 1000"]);
    check(&format!("kafka-topics.sh --create --topic t --replica-assignment 0{}", (1..70).map(|i| format!(":{i}")).collect::<String>()), expect!["error: line 1, column 239: --replica-assignment: partition 0 has more than 64 replicas"]);
    check("kafka-topics.sh --create --topic t --replica-assignment 0,,1", expect!["error: line 1, column 59: --replica-assignment: partition 1 has no replicas"]);
    check("kafka-topics.sh --create --topic t --partitions 3 --replica-assignment 0:1,1:0", expect!["error: line 1, column 36: --partitions 3 does not match --replica-assignment, which has 2 partitions"]);
    check("kafka-topics.sh --create --topic t --partitions 1 --replication-factor 1 --config retention.ms", expect!["error: line 1, column 83: --config wants KEY=VALUE, got `retention.ms`"]);
    check("kafka-topics.sh --create --topic t --partitions 1 --replication-factor 1 --config a=1 --config a=2", expect!["error: line 1, column 96: --config: `a` is given twice"]);
    check("kafka-topics.sh --create --topic t --partitions 1 --replication-factor 1 --config =1", expect!["error: line 1, column 83: --config: the config name before `=` is empty"]);
    check("kafka-topics.sh --create --topic t --partitions 1 --replication-factor 1 --config a=", expect!["error: line 1, column 85: --config: `a` has no value after `=`"]);
    check("kafka-topics.sh --topic orders", expect!["error: line 1, column 1: kafka-topics.sh needs one of --create, --alter, --describe, --list"]);
    check("kafka-topics.sh --crate --topic orders", expect!["error: line 1, column 17: unknown flag `--crate` for kafka-topics.sh; did you mean `--create`?"]);
    check("kafka-topics.sh --create --describe", expect!["error: line 1, column 26: --describe cannot be combined with --create"]);
    check("kafka-topics.sh --list --list", expect!["error: line 1, column 24: --list is given twice"]);
    check("kafka-topics.sh --list=yes", expect!["error: line 1, column 17: --list takes no value"]);
    check("kafka-topics.sh --list --topic orders", expect!["error: line 1, column 24: --topic does not apply to kafka-topics.sh --list; it is a flag of kafka-topics.sh --create"]);
    check("kafka-topics.sh --describe --partitions 3", expect!["error: line 1, column 28: --partitions does not apply to kafka-topics.sh --describe; it is a flag of kafka-topics.sh --create"]);
    check("kafka-topics.sh --list orders", expect!["error: line 1, column 24: unexpected `orders`: kafka-topics.sh --list takes no arguments"]);
    check("kafka-topics.sh --list -topic", expect!["error: line 1, column 24: unexpected `-topic`: kafka-topics.sh --list takes no arguments"]);
}

#[test]
#[rustfmt::skip]
fn kafka_configs() {
    check("kafka-configs.sh --alter --entity-type topics --entity-name orders --add-config min.insync.replicas=2", expect![[r#"AlterConfigs { entity: Topic("orders"), set: [("min.insync.replicas", "2")], delete: [] }"#]]);
    check("kafka-configs --alter --topic orders --add-config retention.ms=1000,cleanup.policy=[compact,delete] --delete-config segment.bytes", expect![[r#"AlterConfigs { entity: Topic("orders"), set: [("retention.ms", "1000"), ("cleanup.policy", "compact,delete")], delete: ["segment.bytes"] }"#]]);
    check("kafka-configs.sh --alter --entity-type brokers --entity-name 1 --delete-config a,b", expect![[r#"AlterConfigs { entity: Broker(Some(1)), set: [], delete: ["a", "b"] }"#]]);
    check("kafka-configs.sh --alter --entity-type brokers --entity-default --add-config min.insync.replicas=2", expect![[r#"AlterConfigs { entity: Broker(None), set: [("min.insync.replicas", "2")], delete: [] }"#]]);
    check("kafka-configs.sh --alter --broker 2 --add-config x=1", expect![[r#"AlterConfigs { entity: Broker(Some(2)), set: [("x", "1")], delete: [] }"#]]);
    check("kafka-configs.sh --alter --broker-defaults --add-config x=1", expect![[r#"AlterConfigs { entity: Broker(None), set: [("x", "1")], delete: [] }"#]]);
    check("kafka-configs.sh --describe --entity-type topics --entity-name orders", expect![[r#"DescribeConfigs { entity: Topic("orders") }"#]]);
    check("kafka-configs.sh --describe --entity-name 0 --entity-type BROKERS", expect!["DescribeConfigs { entity: Broker(Some(0)) }"]);
    check("kafka-configs.sh --bootstrap-server localhost:9092 --describe --broker-defaults", expect!["DescribeConfigs { entity: Broker(None) }"]);
}

#[test]
#[rustfmt::skip]
fn kafka_configs_errors() {
    check("kafka-configs.sh --alter --topic orders", expect!["error: line 1, column 1: kafka-configs.sh --alter needs --add-config KEY=VALUE,... or --delete-config KEY,..."]);
    check("kafka-configs.sh --alter --add-config a=1", expect!["error: line 1, column 1: kafka-configs.sh --alter needs --entity-type with --entity-name or --entity-default (or --topic TOPIC, --broker ID, --broker-defaults)"]);
    check("kafka-configs.sh --alter --entity-type topic --entity-name orders --add-config a=1", expect!["error: line 1, column 40: --entity-type wants one of topics, brokers, got `topic`; did you mean `topics`?"]);
    check("kafka-configs.sh --alter --entity-type users --entity-name bob --add-config a=1", expect!["error: line 1, column 40: --entity-type wants one of topics, brokers, got `users`"]);
    check("kafka-configs.sh --alter --entity-type topics --entity-default --add-config a=1", expect!["error: line 1, column 47: topics have no default entity: use --entity-name TOPIC"]);
    check("kafka-configs.sh --alter --entity-type topics --add-config a=1", expect!["error: line 1, column 26: --entity-type topics needs --entity-name TOPIC"]);
    check("kafka-configs.sh --alter --entity-type brokers --entity-name 1 --entity-default --add-config a=1", expect!["error: line 1, column 64: --entity-default cannot be combined with --entity-name"]);
    check("kafka-configs.sh --alter --entity-type brokers --entity-name one --add-config a=1", expect!["error: line 1, column 62: --entity-name of a broker wants a node id such as 1 or 100, got `one`"]);
    check("kafka-configs.sh --alter --entity-type topics --entity-name bad/name --add-config a=1", expect!["error: line 1, column 64: the topic name `bad/name` contains `/`: topic names use only letters, digits, `.`, `_` and `-`"]);
    check("kafka-configs.sh --alter --entity-name orders --add-config a=1", expect!["error: line 1, column 26: --entity-name needs --entity-type topics|brokers"]);
    check("kafka-configs.sh --alter --topic orders --broker 1 --add-config a=1", expect!["error: line 1, column 41: --broker cannot be combined with --topic"]);
    check("kafka-configs.sh --alter --topic orders --entity-name x --add-config a=1", expect!["error: line 1, column 41: --entity-name cannot be combined with --topic"]);
    check("kafka-configs.sh --alter --topic orders --add-config a=1,", expect!["error: line 1, column 58: --add-config: empty entry"]);
    check("kafka-configs.sh --alter --topic orders --add-config a=[1,2", expect!["error: line 1, column 56: --add-config: this `[` is never closed"]);
    check("kafka-configs.sh --alter --topic orders --add-config a=1,a=2", expect!["error: line 1, column 58: --add-config: `a` is given twice"]);
    check("kafka-configs.sh --alter --topic orders --delete-config a=1", expect!["error: line 1, column 57: --delete-config takes config names only, got `a=1`; did you mean `a`?"]);
    check("kafka-configs.sh --alter --topic orders --delete-config a,a", expect!["error: line 1, column 59: --delete-config: `a` is given twice"]);
    check("kafka-configs.sh --alter --topic orders --add-config a=1 --delete-config a", expect!["error: line 1, column 74: `a` is both in --add-config and in --delete-config"]);
    check("kafka-configs.sh --describe --topic orders --add-config a=1", expect!["error: line 1, column 44: --add-config does not apply to kafka-configs.sh --describe; it is a flag of kafka-configs.sh --alter"]);
    check("kafka-configs.sh --describe", expect!["error: line 1, column 1: kafka-configs.sh --describe needs --entity-type with --entity-name or --entity-default (or --topic TOPIC, --broker ID, --broker-defaults)"]);
}

#[test]
#[rustfmt::skip]
fn kafka_leader_election() {
    check("kafka-leader-election.sh --election-type PREFERRED --all-topic-partitions", expect!["ElectLeaders { election: Preferred, partition: None }"]);
    check("kafka-leader-election --election-type unclean --topic orders --partition 2", expect![[r#"ElectLeaders { election: Unclean, partition: Some(TopicPartition { topic: "orders", partition: 2 }) }"#]]);
    check("kafka-leader-election.sh --bootstrap-server b:9092 --topic my-topic --partition 0 --election-type Preferred", expect![[r#"ElectLeaders { election: Preferred, partition: Some(TopicPartition { topic: "my-topic", partition: 0 }) }"#]]);
    check("kafka-leader-election.sh --all-topic-partitions", expect!["error: line 1, column 1: kafka-leader-election.sh needs --election-type TYPE"]);
    check("kafka-leader-election.sh --election-type PREFERED --all-topic-partitions", expect!["error: line 1, column 42: --election-type wants one of PREFERRED, UNCLEAN, got `PREFERED`; did you mean `PREFERRED`?"]);
    check("kafka-leader-election.sh --election-type preferred --topic orders", expect!["error: line 1, column 52: --topic needs --partition P as well"]);
    check("kafka-leader-election.sh --election-type preferred --partition 1", expect!["error: line 1, column 52: --partition needs --topic TOPIC as well"]);
    check("kafka-leader-election.sh --election-type preferred", expect!["error: line 1, column 1: kafka-leader-election.sh needs --topic TOPIC --partition P, or --all-topic-partitions"]);
    check("kafka-leader-election.sh --election-type preferred --all-topic-partitions --topic orders --partition 1", expect!["error: line 1, column 75: --topic cannot be combined with --all-topic-partitions"]);
    check("kafka-leader-election.sh --election-type preferred --topic orders --partition 1000", expect!["error: line 1, column 79: --partition must be between 0 and 999, got `1000`"]);
}

#[test]
#[rustfmt::skip]
fn kafka_metadata_quorum() {
    check("kafka-metadata-quorum.sh describe --status", expect!["DescribeQuorum { replication: false }"]);
    check("kafka-metadata-quorum --bootstrap-controller localhost:9093 describe --replication", expect!["DescribeQuorum { replication: true }"]);
    check("kafka-metadata-quorum.sh --status", expect!["error: line 1, column 1: kafka-metadata-quorum.sh needs the subcommand describe"]);
    check("kafka-metadata-quorum.sh descibe --status", expect!["error: line 1, column 26: unknown subcommand `descibe` for kafka-metadata-quorum.sh; did you mean `describe`?"]);
    check("kafka-metadata-quorum.sh describe", expect!["error: line 1, column 1: kafka-metadata-quorum.sh describe needs --status or --replication"]);
    check("kafka-metadata-quorum.sh describe --status --replication", expect!["error: line 1, column 44: --replication cannot be combined with --status"]);
    check("kafka-metadata-quorum.sh describe --status extra", expect!["error: line 1, column 44: unexpected extra argument `extra`"]);
}

#[test]
#[rustfmt::skip]
fn clients() {
    check("produce orders-0", expect![[r#"Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 1, acks: All, key: None, value: None, timeout_ms: 30000 }"#]]);
    check("produce my-topic-12 --count 5 --acks 1 --key k --value v --timeout-ms 500", expect![[r#"Produce { partition: TopicPartition { topic: "my-topic", partition: 12 }, count: 5, acks: Leader, key: Some("k"), value: Some("v"), timeout_ms: 500 }"#]]);
    check("produce orders-0 --acks -1", expect![[r#"Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 1, acks: All, key: None, value: None, timeout_ms: 30000 }"#]]);
    check("produce orders-0 --acks=0", expect![[r#"Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 1, acks: None, key: None, value: None, timeout_ms: 30000 }"#]]);
    check("produce orders-0 --acks ALL", expect![[r#"Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 1, acks: All, key: None, value: None, timeout_ms: 30000 }"#]]);
    check(r#"produce orders-0 --value "hello world # not a comment" --key 'a "b"'"#, expect![[r#"Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 1, acks: All, key: Some("a \"b\""), value: Some("hello world # not a comment"), timeout_ms: 30000 }"#]]);
    check(r#"produce orders-0 --value "say \"hi\" \\ \n" --key """#, expect![[r#"Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 1, acks: All, key: Some(""), value: Some("say \"hi\" \\ \\n"), timeout_ms: 30000 }"#]]);
    check("produce orders-0 --value=\"a b\"", expect![[r#"Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 1, acks: All, key: None, value: Some("a b"), timeout_ms: 30000 }"#]]);
    check("produce orders-0 --value \"--count\"", expect![[r#"Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 1, acks: All, key: None, value: Some("--count"), timeout_ms: 30000 }"#]]);
    check("consume orders-0", expect![[r#"Consume { partition: TopicPartition { topic: "orders", partition: 0 }, from_offset: 0 }"#]]);
    check("consume orders-0 --from 42", expect![[r#"Consume { partition: TopicPartition { topic: "orders", partition: 0 }, from_offset: 42 }"#]]);
}

#[test]
#[rustfmt::skip]
fn clients_errors() {
    check("produce", expect!["error: line 1, column 1: produce needs PARTITION (a partition such as orders-0)"]);
    check("produce orders", expect!["error: line 1, column 9: `orders` is not a partition: write TOPIC-N, such as orders-0; did you mean `orders-0`?"]);
    check("produce orders-x", expect!["error: line 1, column 16: the partition number in `orders-x` wants a whole number, got `x`"]);
    check("produce orders-", expect!["error: line 1, column 16: `orders-` has no partition number after the last `-`"]);
    check("produce -0", expect!["error: line 1, column 9: `-0` has no topic before the `-`: write TOPIC-N, such as orders-0"]);
    check("produce orders-1000", expect!["error: line 1, column 16: the partition number in `orders-1000` must be between 0 and 999, got `1000`"]);
    check("produce ord#ers-0", expect!["error: line 1, column 9: `ord` is not a partition: write TOPIC-N, such as orders-0; did you mean `ord-0`?"]);
    check("produce ord@ers-0", expect!["error: line 1, column 12: the topic name `ord@ers` contains `@`: topic names use only letters, digits, `.`, `_` and `-`"]);
    check("produce orders-0 --count 0", expect!["error: line 1, column 26: --count must be between 1 and 100000, got `0`"]);
    check("produce orders-0 --count 100001", expect!["error: line 1, column 26: --count must be between 1 and 100000, got `100001`"]);
    check("produce orders-0 --count 1.5", expect!["error: line 1, column 26: --count wants a whole number, got `1.5`"]);
    check("produce orders-0 --acks 2", expect!["error: line 1, column 25: --acks wants one of all, -1, 1, 0, got `2`"]);
    check("produce orders-0 --acks al", expect!["error: line 1, column 25: --acks wants one of all, -1, 1, 0, got `al`; did you mean `all`?"]);
    check("produce orders-0 --timeout-ms 3600001", expect!["error: line 1, column 31: --timeout-ms must be between 0 and 3600000, got `3600001`"]);
    check("produce orders-0 --value", expect!["error: line 1, column 18: --value needs a value"]);
    check("produce orders-0 --value --count 2", expect!["error: line 1, column 18: --value needs a value; quote a value that starts with --"]);
    check("produce orders-0 --value \"unterminated", expect![[r#"error: line 1, column 26: this " is never closed: close it on the same line"#]]);
    check("produce orders-0 orders-1", expect!["error: line 1, column 18: unexpected extra argument `orders-1`"]);
    check("produce orders-0 --cont 2", expect!["error: line 1, column 18: unknown flag `--cont` for produce; did you mean `--count`?"]);
    check("produce orders-0 --count 2 --count 3", expect!["error: line 1, column 28: --count is given twice"]);
    check("consume orders-0 --from -1", expect!["error: line 1, column 25: --from must be 0 or more, got `-1`"]);
    check("consume --from 1", expect!["error: line 1, column 1: consume needs PARTITION (a partition such as orders-0)"]);
}

#[test]
#[rustfmt::skip]
fn consumers() {
    check("producer start app --producer-property acks=1 --producer-property linger.ms=20", expect![[r#"ProducerStart { name: "app", properties: [("acks", "1"), ("linger.ms", "20")] }"#]]);
    check("producer start app --producer-property ack=1", expect!["error: line 1, column 40: --producer-property: unknown producer config `ack`; did you mean `acks`?"]);
    check("producer start app --producer-property acks=2", expect!["error: line 1, column 45: --producer-property: Invalid value 2 for configuration acks: String must be one of: all, -1, 1, 0"]);
    check("producer start app --producer-property client.id=x", expect!["error: line 1, column 40: --producer-property: a producer's client.id is its NAME"]);
    check("producer restart app", expect![[r#"ProducerRestart { name: "app", properties: [] }"#]]);
    check("producer restart app --producer-property partitioner.ignore.keys=false", expect![[r#"ProducerRestart { name: "app", properties: [("partitioner.ignore.keys", "false")] }"#]]);
    check("producer restart app --producer-property linger.ms=x", expect!["error: line 1, column 52: --producer-property: Invalid value x for configuration linger.ms: Not a number of type INT"]);
    check("producer send app orders --count 3 --key user-42", expect![[r#"ProducerSend { name: "app", topic: "orders", count: 3, key: Some("user-42"), value: None, partition: None }"#]]);
    check("producer send app orders --partition 2 --value \"a b\"", expect![[r#"ProducerSend { name: "app", topic: "orders", count: 1, key: None, value: Some("a b"), partition: Some(2) }"#]]);
    check("producer send app orders --count 0", expect!["error: line 1, column 34: --count must be between 1 and 100000, got `0`"]);
    check("producer commit tx", expect![[r#"ProducerAction { name: "tx", action: Commit }"#]]);
    check("producer send-offsets tx", expect!["error: line 1, column 1: producer send-offsets needs --group GROUP"]);
    check("kafka-dump-log.sh --files orders-2 --broker 1 --print-data-log", expect![[r#"DumpLog { partition: TopicPartition { topic: "orders", partition: 2 }, broker: Some(1), print_data_log: true }"#]]);
    check("kafka-dump-log.sh --print-data-log", expect!["error: line 1, column 1: kafka-dump-log.sh needs --files PARTITION"]);
    check("consumer start c1 --topic orders --group billing", expect![[r#"ConsumerStart { name: "c1", group: Some("billing"), topics: ["orders"], assign: [], properties: [] }"#]]);
    check("consumer start \"my consumer\" --topic orders,payments --topic audit --group \"team a\" --consumer-property max.poll.records=10 --consumer-property group.protocol=consumer", expect![[r#"ConsumerStart { name: "my consumer", group: Some("team a"), topics: ["orders", "payments", "audit"], assign: [], properties: [("max.poll.records", "10"), ("group.protocol", "consumer")] }"#]]);
    check("consumer start c1 --assign orders-0,orders-1 --assign my-topic-2", expect![[r#"ConsumerStart { name: "c1", group: None, topics: [], assign: [TopicPartition { topic: "orders", partition: 0 }, TopicPartition { topic: "orders", partition: 1 }, TopicPartition { topic: "my-topic", partition: 2 }], properties: [] }"#]]);
    check("consumer start c1 --assign orders-0 --group billing --consumer-property enable.auto.commit=false --consumer-property=auto.offset.reset=earliest", expect![[r#"ConsumerStart { name: "c1", group: Some("billing"), topics: [], assign: [TopicPartition { topic: "orders", partition: 0 }], properties: [("enable.auto.commit", "false"), ("auto.offset.reset", "earliest")] }"#]]);
    check("consumer start c1 --group g --topic t --consumer-property processing.ms.per.record=50", expect![[r#"ConsumerStart { name: "c1", group: Some("g"), topics: ["t"], assign: [], properties: [("sandbox.processing.ms.per.record", "50")] }"#]]);
    check("consumer start c1 --group g --topic t --consumer-property partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor", expect![[r#"ConsumerStart { name: "c1", group: Some("g"), topics: ["t"], assign: [], properties: [("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor")] }"#]]);
    check("consumer --group g start c1 --topic t", expect![[r#"ConsumerStart { name: "c1", group: Some("g"), topics: ["t"], assign: [], properties: [] }"#]]);
    check("consumer stop c1", expect![[r#"ConsumerStop { name: "c1" }"#]]);
    check("consumer crash c1", expect![[r#"ConsumerCrash { name: "c1" }"#]]);
    check("consumer restart 'c 1'", expect![[r#"ConsumerRestart { name: "c 1", properties: [] }"#]]);
    check("consumer restart c1 --consumer-property max.poll.records=50", expect![[r#"ConsumerRestart { name: "c1", properties: [("max.poll.records", "50")] }"#]]);
    check("consumer set c1 sandbox.processing.ms.per.record=200", expect![[r#"ConsumerSet { name: "c1", key: "sandbox.processing.ms.per.record", value: "200" }"#]]);
    check("consumer set c1 commit.after.poll=sync", expect![[r#"ConsumerSet { name: "c1", key: "sandbox.commit.after.poll", value: "sync" }"#]]);
    check("consumer stop start", expect![[r#"ConsumerStop { name: "start" }"#]]);
}

#[test]
#[rustfmt::skip]
fn consumers_errors() {
    check("consumer", expect!["error: line 1, column 1: consumer needs a subcommand: start, stop, crash, restart or set"]);
    check("consumer strat c1", expect!["error: line 1, column 10: unknown subcommand `strat` for consumer: use start, stop, crash, restart or set; did you mean `start`?"]);
    check("consumer c1 start", expect!["error: line 1, column 10: unknown subcommand `c1` for consumer: use start, stop, crash, restart or set"]);
    check("consumer start", expect!["error: line 1, column 1: consumer start needs NAME (a name)"]);
    check("consumer start \"\" --assign t-0", expect!["error: line 1, column 16: consumer start NAME is empty"]);
    check("consumer stop", expect!["error: line 1, column 1: consumer stop needs NAME (a name)"]);
    check("consumer stop c1 c2", expect!["error: line 1, column 18: unexpected extra argument `c2`"]);
    check("consumer stop c1 --topic t", expect!["error: line 1, column 18: --topic does not apply to consumer stop; it is a flag of consumer start"]);
    check("consumer start c1", expect!["error: line 1, column 1: consumer start needs --topic TOPIC,... --group GROUP (to subscribe) or --assign PARTITION,... (to read given partitions)"]);
    check("consumer start c1 --topic orders", expect!["error: line 1, column 19: --topic needs --group GROUP: a consumer subscribes to topics through a group (or use --assign PARTITION,... to read partitions without one)"]);
    check("consumer start c1 --group g --topic orders --assign orders-0", expect!["error: line 1, column 44: --assign cannot be combined with --topic: a consumer either subscribes to topics or is assigned partitions"]);
    check("consumer start c1 --group g --topic orders,,x", expect!["error: line 1, column 44: --topic: empty entry"]);
    check("consumer start c1 --group g --topic orders,or/ders", expect!["error: line 1, column 46: the topic name `or/ders` contains `/`: topic names use only letters, digits, `.`, `_` and `-`"]);
    check("consumer start c1 --group g --topic orders,orders", expect!["error: line 1, column 44: --topic: `orders` is listed twice"]);
    check("consumer start c1 --group g --topic orders --topic orders", expect!["error: line 1, column 52: --topic: `orders` is given twice"]);
    check("consumer start c1 --assign orders", expect!["error: line 1, column 28: `orders` is not a partition: write TOPIC-N, such as orders-0; did you mean `orders-0`?"]);
    check("consumer start c1 --assign orders-0,orders-0", expect!["error: line 1, column 37: --assign: `orders-0` is listed twice"]);
    check("consumer start c1 --group \"\" --assign t-0", expect!["error: line 1, column 27: --group is empty"]);
    check("consumer start c1 --group --assign t-0", expect!["error: line 1, column 19: --group needs a value; quote a value that starts with --"]);
    check("consumer start c1 --group g --topic t --consumer-property max.poll.recods=10", expect!["error: line 1, column 59: --consumer-property: unknown consumer config `max.poll.recods`; did you mean `max.poll.records`?"]);
    check("consumer start c1 --group g --topic t --consumer-property max.poll.records=abc", expect!["error: line 1, column 76: --consumer-property: Invalid value abc for configuration max.poll.records: Not a number of type INT"]);
    check("consumer start c1 --group g --topic t --consumer-property enable.auto.commit=yes", expect!["error: line 1, column 78: --consumer-property: Invalid value yes for configuration enable.auto.commit: Expected value to be either true or false"]);
    check("consumer start c1 --group g --topic t --consumer-property auto.offset.reset=smallest", expect!["error: line 1, column 77: --consumer-property: Invalid value smallest for configuration auto.offset.reset: String must be one of: earliest, latest, none"]);
    check("consumer start c1 --group g --topic t --consumer-property group.protocol=CONSUMER", expect!["error: line 1, column 74: --consumer-property: Invalid value CONSUMER for configuration group.protocol: String must be one of: classic, consumer"]);
    check("consumer start c1 --group g --topic t --consumer-property partition.assignment.strategy=nope", expect![[r#"error: line 1, column 89: --consumer-property: Invalid value nope for configuration partition.assignment.strategy: unknown assignor "nope": expected range, roundrobin, sticky or cooperative-sticky (or a class name such as org.apache.kafka.clients.consumer.RangeAssignor)"#]]);
    check("consumer start c1 --group g --topic t --consumer-property max.poll.records", expect!["error: line 1, column 59: --consumer-property wants KEY=VALUE, got `max.poll.records`"]);
    check("consumer start c1 --group g --topic t --consumer-property max.poll.records=", expect!["error: line 1, column 76: --consumer-property: `max.poll.records` has no value after `=`"]);
    check("consumer start c1 --group g --topic t --consumer-property max.poll.records=1 --consumer-property max.poll.records=2", expect!["error: line 1, column 98: --consumer-property: `max.poll.records` is given twice"]);
    check("consumer start c1 --topic t --consumer-property group.id=g", expect!["error: line 1, column 49: --consumer-property: give the group with --group GROUP rather than group.id"]);
    check("consumer start c1 --group g --topic t --consumer-property client.id=x", expect!["error: line 1, column 59: --consumer-property: a consumer's client.id is its NAME"]);
    check("consumer set c1", expect!["error: line 1, column 1: consumer set needs KEY=VALUE"]);
    check("consumer set c1 processing", expect!["error: line 1, column 17: consumer set wants KEY=VALUE, got `processing`"]);
    check("consumer set c1 max.poll.records=5", expect!["error: line 1, column 17: consumer set: max.poll.records is fixed when the consumer starts (consumer start --consumer-property); a running consumer can change only sandbox.processing.ms.per.record and sandbox.commit.after.poll"]);
    check("consumer set c1 sandbox.procesing.ms.per.record=5", expect!["error: line 1, column 17: consumer set: unknown consumer config `sandbox.procesing.ms.per.record`; did you mean `sandbox.processing.ms.per.record`?"]);
    check("consumer set c1 sandbox.processing.ms.per.record=-5", expect!["error: line 1, column 50: consumer set: Invalid value -5 for configuration sandbox.processing.ms.per.record: Value must be at least 0"]);
    check("consumer set c1 sandbox.commit.after.poll=always", expect!["error: line 1, column 43: consumer set: Invalid value always for configuration sandbox.commit.after.poll: String must be one of: none, sync, async"]);
}

#[test]
#[rustfmt::skip]
fn kafka_consumer_groups() {
    check("kafka-consumer-groups.sh --list", expect!["ConsumerGroups(List)"]);
    check("bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 --list", expect!["ConsumerGroups(List)"]);
    check("kafka-consumer-groups --describe --group billing", expect![[r#"ConsumerGroups(Describe { group: "billing", what: Offsets })"#]]);
    check("kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group billing --offsets", expect![[r#"ConsumerGroups(Describe { group: "billing", what: Offsets })"#]]);
    check("kafka-consumer-groups.sh --describe --group billing --members", expect![[r#"ConsumerGroups(Describe { group: "billing", what: Members { verbose: false } })"#]]);
    check("kafka-consumer-groups.sh --describe --verbose --members --group billing", expect![[r#"ConsumerGroups(Describe { group: "billing", what: Members { verbose: true } })"#]]);
    check("kafka-consumer-groups.sh --describe --group \"my group\" --state", expect![[r#"ConsumerGroups(Describe { group: "my group", what: State })"#]]);
    check("kafka-consumer-groups.sh --reset-offsets --group billing --topic orders --to-earliest --execute", expect![[r#"ConsumerGroups(ResetOffsets { group: "billing", topics: Some([("orders", None)]), to: Earliest, execute: true })"#]]);
    check("kafka-consumer-groups.sh --reset-offsets --group billing --topic orders:0,2 --topic payments --to-latest --dry-run", expect![[r#"ConsumerGroups(ResetOffsets { group: "billing", topics: Some([("orders", Some([0, 2])), ("payments", None)]), to: Latest, execute: false })"#]]);
    check("kafka-consumer-groups.sh --reset-offsets --group billing --all-topics --to-offset 42", expect![[r#"ConsumerGroups(ResetOffsets { group: "billing", topics: None, to: Offset(42), execute: false })"#]]);
    check("kafka-consumer-groups.sh --reset-offsets --group billing --all-topics --shift-by -5 --execute", expect![[r#"ConsumerGroups(ResetOffsets { group: "billing", topics: None, to: ShiftBy(-5), execute: true })"#]]);
    check("kafka-consumer-groups.sh --reset-offsets --group billing --all-topics --shift-by=+3", expect![[r#"ConsumerGroups(ResetOffsets { group: "billing", topics: None, to: ShiftBy(3), execute: false })"#]]);
    check("kafka-consumer-groups.sh --delete --group billing", expect![[r#"ConsumerGroups(Delete { group: "billing" })"#]]);
}

#[test]
#[rustfmt::skip]
fn kafka_consumer_groups_errors() {
    check("kafka-consumer-groups.sh", expect!["error: line 1, column 1: kafka-consumer-groups.sh needs one of --list, --describe, --reset-offsets, --delete"]);
    check("kafka-consumer-groups.sh --group billing", expect!["error: line 1, column 1: kafka-consumer-groups.sh needs one of --list, --describe, --reset-offsets, --delete"]);
    check("kafka-consumer-groups.sh --decsribe --group billing", expect!["error: line 1, column 26: unknown flag `--decsribe` for kafka-consumer-groups.sh; did you mean `--describe`?"]);
    check("kafka-consumer-groups.sh --list --describe", expect!["error: line 1, column 33: --describe cannot be combined with --list"]);
    check("kafka-consumer-groups.sh --describe", expect!["error: line 1, column 1: kafka-consumer-groups.sh --describe needs --group GROUP"]);
    check("kafka-consumer-groups.sh --describe --group", expect!["error: line 1, column 37: --group needs a value"]);
    check("kafka-consumer-groups.sh --describe --group \"\"", expect!["error: line 1, column 45: --group is empty"]);
    check("kafka-consumer-groups.sh --describe --group a --group b", expect!["error: line 1, column 47: --group is given twice"]);
    check("kafka-consumer-groups.sh --describe --group g --members --state", expect!["error: line 1, column 57: --state cannot be combined with --members"]);
    check("kafka-consumer-groups.sh --describe --group g --state --offsets", expect!["error: line 1, column 55: --offsets cannot be combined with --state"]);
    check("kafka-consumer-groups.sh --describe --group g --verbose", expect!["error: line 1, column 47: --verbose works with --members only: add --members to see each member's assignment"]);
    check("kafka-consumer-groups.sh --describe --group g --state=stable", expect!["error: line 1, column 47: --state takes no value"]);
    check("kafka-consumer-groups.sh --list --group g", expect!["error: line 1, column 33: --group does not apply to kafka-consumer-groups.sh --list; it is a flag of kafka-consumer-groups.sh --describe"]);
    check("kafka-consumer-groups.sh --delete --group g --topic t", expect!["error: line 1, column 45: --topic does not apply to kafka-consumer-groups.sh --delete; it is a flag of kafka-consumer-groups.sh --reset-offsets"]);
    check("kafka-consumer-groups.sh --delete", expect!["error: line 1, column 1: kafka-consumer-groups.sh --delete needs --group GROUP"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --to-earliest", expect!["error: line 1, column 1: kafka-consumer-groups.sh --reset-offsets needs --topic TOPIC or --all-topics (Kafka: One of the reset scopes should be defined: --all-topics, --topic.)"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t", expect!["error: line 1, column 1: kafka-consumer-groups.sh --reset-offsets needs one of --to-earliest, --to-latest, --to-offset N, --shift-by N"]);
    check("kafka-consumer-groups.sh --reset-offsets --topic t --to-earliest", expect!["error: line 1, column 1: kafka-consumer-groups.sh --reset-offsets needs --group GROUP"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --all-topics --to-earliest", expect!["error: line 1, column 62: --all-topics cannot be combined with --topic"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --to-earliest --to-latest", expect!["error: line 1, column 76: --to-latest cannot be combined with --to-earliest"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --to-offset", expect!["error: line 1, column 62: --to-offset needs a value (a whole number)"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --to-offset --execute", expect!["error: line 1, column 62: --to-offset needs a value (a whole number)"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --to-offset abc", expect!["error: line 1, column 74: --to-offset wants a whole number, got `abc`"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --to-offset -1", expect!["error: line 1, column 74: --to-offset must be 0 or more, got `-1`"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --shift-by 1.5", expect!["error: line 1, column 73: --shift-by wants a whole number, got `1.5`"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --shift-by 99999999999999999999", expect!["error: line 1, column 73: --shift-by must be between -9223372036854775808 and 9223372036854775807 (a 64-bit number), got `99999999999999999999`"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --to-earliest --dry-run --execute", expect!["error: line 1, column 86: --execute cannot be combined with --dry-run: --reset-offsets does one or the other (--dry-run is the default)"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t --to-earliest --execute --dry-run", expect!["error: line 1, column 86: --dry-run cannot be combined with --execute: --reset-offsets does one or the other (--dry-run is the default)"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t: --to-earliest", expect!["error: line 1, column 62: --topic: `t:` has no partitions after the `:`"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic :0 --to-earliest", expect!["error: line 1, column 60: --topic: `:0` has no topic before the `:`: write TOPIC or TOPIC:P,P"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t:0:1 --to-earliest", expect!["error: line 1, column 63: --topic: `t:0:1` has a second `:`: write TOPIC or TOPIC:P,P"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t:0,x --to-earliest", expect!["error: line 1, column 64: --topic: a partition of `t` wants a whole number, got `x`"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t:0,0 --to-earliest", expect!["error: line 1, column 64: --topic: partition 0 is listed twice"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t:1000 --to-earliest", expect!["error: line 1, column 62: --topic: a partition of `t` must be between 0 and 999, got `1000`"]);
    check("kafka-consumer-groups.sh --reset-offsets --group g --topic t/x:1 --to-earliest", expect!["error: line 1, column 61: the topic name `t/x` contains `/`: topic names use only letters, digits, `.`, `_` and `-`"]);
}

/// Every new command value, however odd its names, formats to text that parses back to it.
#[test]
fn consumer_commands_round_trip() {
    let tp = TopicPartition::new;
    let odd = [
        "c1",
        "my consumer",
        "--x",
        "a\"b\\c",
        "#1",
        "日本",
        "start",
        "'q'",
    ];
    let mut commands: Vec<Command> = Vec::new();
    for name in odd {
        let name = name.to_string();
        commands.extend([
            Command::ProducerStart {
                name: name.clone(),
                properties: vec![("transactional.id".into(), name.clone())],
            },
            Command::ProducerSend {
                name: name.clone(),
                topic: "orders".into(),
                count: 2,
                key: Some(name.clone()),
                value: Some(name.clone()),
                partition: Some(1),
            },
            Command::ProducerAction {
                name: name.clone(),
                action: sandbox_core::command::ProducerAction::Abort,
            },
            Command::ProducerSendOffsets {
                name: name.clone(),
                group: name.clone(),
            },
            Command::ConsumerStart {
                name: name.clone(),
                group: Some(name.clone()),
                topics: vec!["orders".into(), "pay.ments_2".into()],
                assign: Vec::new(),
                properties: vec![
                    ("max.poll.records".into(), "10".into()),
                    ("group.instance.id".into(), format!("{name}=x")),
                ],
            },
            Command::ConsumerStart {
                name: name.clone(),
                group: None,
                topics: Vec::new(),
                assign: vec![tp("orders", 0), tp("my-topic", 12)],
                properties: Vec::new(),
            },
            Command::ConsumerStop { name: name.clone() },
            Command::ConsumerCrash { name: name.clone() },
            Command::ConsumerRestart {
                name: name.clone(),
                properties: Vec::new(),
            },
            Command::ConsumerSet {
                name: name.clone(),
                key: "sandbox.processing.ms.per.record".into(),
                value: "250".into(),
            },
            Command::ConsumerGroups(GroupsCommand::Describe {
                group: name.clone(),
                what: DescribeGroup::Offsets,
            }),
            Command::ConsumerGroups(GroupsCommand::Delete {
                group: name.clone(),
            }),
        ]);
    }
    for what in [
        DescribeGroup::Offsets,
        DescribeGroup::Members { verbose: false },
        DescribeGroup::Members { verbose: true },
        DescribeGroup::State,
    ] {
        commands.push(Command::ConsumerGroups(GroupsCommand::Describe {
            group: "g".into(),
            what,
        }));
    }
    commands.push(Command::ConsumerGroups(GroupsCommand::List));
    for to in [
        ResetTo::Earliest,
        ResetTo::Latest,
        ResetTo::Offset(0),
        ResetTo::Offset(i64::MAX),
        ResetTo::ShiftBy(-3),
        ResetTo::ShiftBy(i64::MIN),
        ResetTo::ShiftBy(i64::MAX),
    ] {
        for execute in [false, true] {
            for topics in [
                None,
                Some(vec![
                    ("orders".to_string(), None),
                    ("payments".to_string(), Some(vec![2, 0])),
                ]),
            ] {
                commands.push(Command::ConsumerGroups(GroupsCommand::ResetOffsets {
                    group: "g 1".into(),
                    topics,
                    to,
                    execute,
                }));
            }
        }
    }
    for c in commands {
        let text = format_command(&c);
        assert_eq!(parse_command(&text), Ok(c), "{text}");
    }
}

#[test]
#[rustfmt::skip]
fn faults() {
    check("crash 1", expect!["Crash { node: 1 }"]);
    check("restart 100", expect!["Restart { node: 100 }"]);
    check("shutdown 2", expect!["Shutdown { node: 2 }"]);
    check("partition 0,1 | 2,100", expect!["Partition { side_a: [0, 1], side_b: [2, 100] }"]);
    check("partition 0,1|2", expect!["Partition { side_a: [0, 1], side_b: [2] }"]);
    check("partition 0 1 |2 , 100", expect!["Partition { side_a: [0, 1], side_b: [2, 100] }"]);
    check("heal", expect!["Heal { sides: None }"]);
    check("heal 0 | 1,2", expect!["Heal { sides: Some(([0], [1, 2])) }"]);
    check("slow 0 1 --latency-ms 300", expect!["SlowLink { a: 0, b: 1, latency_ms: 300 }"]);
    check("slow --latency-ms=0 100 2", expect!["SlowLink { a: 100, b: 2, latency_ms: 0 }"]);
    check("pause-fetch 2", expect!["PauseFetch { broker: 2, partition: None }"]);
    check("pause-fetch 2 orders-0", expect![[r#"PauseFetch { broker: 2, partition: Some(TopicPartition { topic: "orders", partition: 0 }) }"#]]);
    check("resume-fetch 2 orders-0", expect![[r#"ResumeFetch { broker: 2, partition: Some(TopicPartition { topic: "orders", partition: 0 }) }"#]]);
    check("resume-fetch 2", expect!["ResumeFetch { broker: 2, partition: None }"]);
}

#[test]
#[rustfmt::skip]
fn faults_errors() {
    check("pause-fetch 2 orders", expect!["error: line 1, column 15: `orders` is not a partition: write TOPIC-N, such as orders-0; did you mean `orders-0`?"]);
    check("heal 0 |", expect!["error: line 1, column 8: heal: there are no node ids after the `|`"]);
    check("crash", expect!["error: line 1, column 1: crash needs NODE (a node id such as 1 or 100)"]);
    check("crash one", expect!["error: line 1, column 7: crash NODE wants a node id such as 1 or 100, got `one`"]);
    check("crash -1", expect!["error: line 1, column 7: crash NODE must be between 0 and 2147483647, got `-1`"]);
    check("crash 2147483648", expect!["error: line 1, column 7: crash NODE must be between 0 and 2147483647, got `2147483648`"]);
    check("crash 1 2", expect!["error: line 1, column 9: unexpected extra argument `2`"]);
    check("crsh 1", expect!["error: line 1, column 1: unknown command `crsh`; did you mean `crash`?"]);
    check("Crash 1", expect!["error: line 1, column 1: unknown command `Crash`; did you mean `crash`?"]);
    check("partition", expect!["error: line 1, column 1: partition needs two sets of node ids such as 0,1 | 2"]);
    check("partition 0,1 2", expect!["error: line 1, column 11: partition wants two sets of node ids separated by `|`, such as `0,1 | 2,100`"]);
    check("partition | 2", expect!["error: line 1, column 11: partition: there are no node ids before the `|`"]);
    check("partition 0,1 |", expect!["error: line 1, column 15: partition: there are no node ids after the `|`"]);
    check("partition 0,1 | 1,2", expect!["error: line 1, column 17: partition: node 1 is on both sides of the `|`"]);
    check("partition 0,0 | 2", expect!["error: line 1, column 13: partition: node 0 is listed twice"]);
    check("partition 0 | 1 | 2", expect!["error: line 1, column 17: partition wants two sets of node ids separated by `|`, such as `0,1 | 2,100`; this is a second `|`"]);
    check("partition 0,x | 2", expect!["error: line 1, column 13: partition: `x` is not a node id"]);
    check("heal 0,1", expect!["error: line 1, column 6: heal wants two sets of node ids separated by `|`, such as `0,1 | 2,100`"]);
    check("slow 0 1", expect!["error: line 1, column 1: slow needs --latency-ms MS"]);
    check("slow 0 0 --latency-ms 5", expect!["error: line 1, column 8: slow needs two different nodes, got 0 twice"]);
    check("slow 0 --latency-ms 5", expect!["error: line 1, column 1: slow needs B (a node id such as 1 or 100)"]);
    check("slow 0 1 --latency-ms 600001", expect!["error: line 1, column 23: --latency-ms must be between 0 and 600000, got `600001`"]);
    check("slow 0 1 --latency 5", expect!["error: line 1, column 10: unknown flag `--latency` for slow; did you mean `--latency-ms`?"]);
    check("pause-fetch", expect!["error: line 1, column 1: pause-fetch needs BROKER (a node id such as 1 or 100)"]);
    check("pause-fetch orders-0", expect!["error: line 1, column 13: pause-fetch BROKER wants a node id such as 1 or 100, got `orders-0`"]);
    check("pause-fetch 2 orders-0 extra", expect!["error: line 1, column 24: unexpected extra argument `extra`"]);
}

#[test]
#[rustfmt::skip]
fn time() {
    check("step", expect!["Step { count: 1 }"]);
    check("step 25", expect!["Step { count: 25 }"]);
    check("step --until election", expect!["StepUntil { filter: Election, max_steps: 10000 }"]);
    check("step --until ISR-change --max 50", expect!["StepUntil { filter: IsrChange, max_steps: 50 }"]);
    check("step --until produce-ack", expect!["StepUntil { filter: ProduceAck, max_steps: 10000 }"]);
    check("step --until controller-change", expect!["StepUntil { filter: ControllerChange, max_steps: 10000 }"]);
    check("step --until hw", expect!["StepUntil { filter: HighWatermark, max_steps: 10000 }"]);
    check("run 250ms", expect!["Run { duration_ms: 250 }"]);
    check("run 5s", expect!["Run { duration_ms: 5000 }"]);
    check("run 2m", expect!["Run { duration_ms: 120000 }"]);
    check("run 1h", expect!["Run { duration_ms: 3600000 }"]);
    check("run 1500", expect!["Run { duration_ms: 1500 }"]);
    check("run 0", expect!["Run { duration_ms: 0 }"]);
    check("back", expect!["Back { steps: 1 }"]);
    check("back 3", expect!["Back { steps: 3 }"]);
    check("seek 0", expect!["Seek { step: 0 }"]);
    check("seek 120", expect!["Seek { step: 120 }"]);
    check("fork", expect!["Fork"]);
}

#[test]
#[rustfmt::skip]
fn time_errors() {
    check("step 0", expect!["error: line 1, column 6: step N must be between 1 and 1000000, got `0`"]);
    check("step 1000001", expect!["error: line 1, column 6: step N must be between 1 and 1000000, got `1000001`"]);
    check("step x", expect!["error: line 1, column 6: step N wants a whole number, got `x`"]);
    check("step --until elect", expect!["error: line 1, column 14: --until wants one of election, isr-change, produce-ack, controller-change, hw, rebalance, got `elect`; did you mean `election`?"]);
    check("step --until", expect!["error: line 1, column 6: --until needs a value (one of election, isr-change, produce-ack, controller-change, hw, rebalance)"]);
    check("step 3 --until hw", expect!["error: line 1, column 6: step N cannot be combined with --until: use --max N to limit the steps"]);
    check("step --max 5", expect!["error: line 1, column 6: --max only works with --until EVENT"]);
    check("step --until hw --max 0", expect!["error: line 1, column 23: --max must be between 1 and 1000000, got `0`"]);
    check("run", expect!["error: line 1, column 1: run needs DURATION (a duration such as 250ms, 5s or 2m)"]);
    check("run 2h", expect!["error: line 1, column 5: run DURATION must be at most 1h, got `2h`"]);
    check("run 61m", expect!["error: line 1, column 5: run DURATION must be at most 1h, got `61m`"]);
    check("run 5x", expect!["error: line 1, column 6: unknown unit `x` in run DURATION: use ms, s, m or h"]);
    check("run 5sec", expect!["error: line 1, column 6: unknown unit `sec` in run DURATION: use ms, s, m or h"]);
    check("run fast", expect!["error: line 1, column 5: run DURATION wants a duration such as 250ms, 5s or 2m, got `fast`"]);
    check("run 1.5s", expect!["error: line 1, column 5: run DURATION takes whole numbers, got `1.5s`: use a smaller unit, as in 1500ms for 1.5s"]);
    check("run 99999999999999999999s", expect!["error: line 1, column 5: run DURATION must be at most 1h, got `99999999999999999999s`"]);
    check("run 9999999999999999h", expect!["error: line 1, column 5: run DURATION must be at most 1h, got `9999999999999999h`"]);
    check("back 0", expect!["error: line 1, column 6: back N must be between 1 and 1000000, got `0`"]);
    check("seek", expect!["error: line 1, column 1: seek needs N (a whole number)"]);
    check("seek -1", expect!["error: line 1, column 6: seek N must be 0 or more, got `-1`"]);
    check("fork 1", expect!["error: line 1, column 6: unexpected `1`: fork takes no arguments"]);
    check("fork --now", expect!["error: line 1, column 6: unknown flag `--now` for fork"]);
}

#[test]
#[rustfmt::skip]
fn console_lines() {
    check("produce orders-0 --value 日本 --count x", expect!["error: line 1, column 37: --count wants a whole number, got `x`"]);
    check("kafka-topics.sh --create --topic \"my topic\" --partitions 1 --replication-factor 1", expect!["error: line 1, column 37: the topic name `my topic` contains ` `: topic names use only letters, digits, `.`, `_` and `-`"]);
    check("\"crash\" '1'", expect!["Crash { node: 1 }"]);
    check("kafka-topics.sh --list --bootstrap-server", expect!["error: line 1, column 24: --bootstrap-server needs a value"]);
    check("crash 1 --bootstrap-server localhost:9092", expect!["error: line 1, column 9: unknown flag `--bootstrap-server` for crash"]);
    check("\u{feff}crash 1", expect!["Crash { node: 1 }"]);
    check("", expect!["error: line 1, column 1: no command: type one such as `kafka-topics.sh --list` or `step`"]);
    check("   # just a comment", expect!["error: line 1, column 1: no command: type one such as `kafka-topics.sh --list` or `step`"]);
    check("crash 1   # trailing comment", expect!["Crash { node: 1 }"]);
    check("\tcrash\t1\r", expect!["Crash { node: 1 }"]);
    check("crash \\\n  1", expect!["Crash { node: 1 }"]);
    check("kafka-delete-records.sh --offset-json-file '{\"partitions\":[{\"topic\":\"orders\",\"partition\":1,\"offset\":-1}],\"version\":1}'", expect![[r#"DeleteRecords { offsets: [(TopicPartition { topic: "orders", partition: 1 }, -1)] }"#]]);
    check("kafka-delete-records.sh --offset-json-file '{\"partitions\":[{\"topic\":\"orders\",\"partition\":1}]}'", expect![[r#"error: line 1, column 44: --offset-json-file: partition entry 1 needs "offset": a number from 0, or -1 for the high watermark"#]]);
    check("kafka-delete-records.sh --offset-json-file '{\"partitions\":[' ", expect!["error: line 1, column 44: --offset-json-file: the JSON ends too soon at character 16 of the JSON"]);
    check("crash 1\nstep", expect!["error: line 2, column 1: one command at a time: this starts a second command"]);
    check("--create", expect!["error: line 1, column 1: a command starts with its name, not with the flag `--create`"]);
    check("kafka-console-consumer.sh --topic orders", expect!["error: line 1, column 1: `kafka-console-consumer.sh` is not available in the sandbox; its Kafka tools are kafka-topics.sh, kafka-configs.sh, kafka-leader-election.sh, kafka-metadata-quorum.sh, kafka-delete-records.sh, kafka-dump-log.sh, kafka-consumer-groups.sh"]);
    check("bin/kafka-topic.sh --list", expect!["error: line 1, column 1: unknown command `bin/kafka-topic.sh`; did you mean `kafka-topics.sh`?"]);
    check("kafka-topic.sh --list", expect!["error: line 1, column 1: unknown command `kafka-topic.sh`; did you mean `kafka-topics.sh`?"]);
    check("cluster --brokers 3", expect!["error: line 1, column 1: `cluster` sets up the cluster a script starts from: it only works as the first line of a script, not as a console command"]);
    check("help", expect!["error: line 1, column 1: unknown command `help`"]);
    check("🦀 1", expect!["error: line 1, column 1: unknown command `🦀`"]);
    check("produce 日本-0 --value 🦀", expect!["error: line 1, column 9: the topic name `日本` contains `日`: topic names use only letters, digits, `.`, `_` and `-`"]);
    check("crash 1 'unterminated", expect!["error: line 1, column 9: this ' is never closed: close it on the same line"]);
}

#[test]
#[rustfmt::skip]
fn scripts() {
    check_script(
        "# A lesson.\n\ncluster --brokers 4 --controllers 1 --racks a,b,a,b --seed 42\nkafka-topics.sh --create --topic orders \\\n    --partitions 2 \\   # two partitions\n    --replication-factor 3\n\nproduce orders-0 --count 3 # three records\ncrash 1\nstep --until isr-change\n",
        expect![[r#"
            ClusterSpec { brokers: 4, controllers: 1, racks: ["a", "b", "a", "b"], seed: 42 }
            4: CreateTopic { topic: "orders", partitions: 2, replication_factor: 3, configs: [], replica_assignment: None }
            8: Produce { partition: TopicPartition { topic: "orders", partition: 0 }, count: 3, acks: All, key: None, value: None, timeout_ms: 30000 }
            9: Crash { node: 1 }
            10: StepUntil { filter: IsrChange, max_steps: 10000 }"#]],
    );
    check_script("", expect!["ClusterSpec { brokers: 3, controllers: 3, racks: [], seed: 1 }"]);
    check_script(
        "step\n# done\n",
        expect![[r#"
        ClusterSpec { brokers: 3, controllers: 3, racks: [], seed: 1 }
        1: Step { count: 1 }"#]],
    );
    check_script(
        "\r\ncrash 1\r\nstep 2\r\n",
        expect![[r#"
        ClusterSpec { brokers: 3, controllers: 3, racks: [], seed: 1 }
        2: Crash { node: 1 }
        3: Step { count: 2 }"#]],
    );
    check_script(
        "crash 1 \\",
        expect![[r#"
        ClusterSpec { brokers: 3, controllers: 3, racks: [], seed: 1 }
        1: Crash { node: 1 }"#]],
    );
}

#[test]
#[rustfmt::skip]
fn script_errors() {
    check_script("crash 1\ncluster --brokers 3", expect!["error: line 2, column 1: `cluster` must be the first command of a script, and there is only one"]);
    check_script("cluster\ncluster", expect!["error: line 2, column 1: `cluster` must be the first command of a script, and there is only one"]);
    check_script("cluster --racks a,b", expect!["error: line 1, column 9: --racks lists 2 racks but there are 3 brokers: give one rack per broker, in id order"]);
    check_script("cluster --brokers 2 --racks a,,b", expect!["error: line 1, column 31: --racks: empty entry"]);
    check_script("cluster --brokers 65", expect!["error: line 1, column 19: --brokers must be between 1 and 64, got `65`"]);
    check_script("cluster --controllers 0", expect!["error: line 1, column 23: --controllers must be between 1 and 9, got `0`"]);
    check_script("cluster --controllers 10", expect!["error: line 1, column 23: --controllers must be between 1 and 9, got `10`"]);
    check_script("cluster --seed 18446744073709551615", expect!["ClusterSpec { brokers: 3, controllers: 3, racks: [], seed: 18446744073709551615 }"]);
    check_script("cluster --seed 18446744073709551616", expect!["error: line 1, column 16: --seed must be between 0 and 18446744073709551615, got `18446744073709551616`"]);
    check_script("cluster --seed -1", expect!["error: line 1, column 16: --seed must be between 0 and 18446744073709551615, got `-1`"]);
    check_script("cluster --borkers 3", expect!["error: line 1, column 9: unknown flag `--borkers` for cluster; did you mean `--brokers`?"]);
    check_script("step\n\nkafka-topics.sh --create \\\n  --topic orders \\\n  --partitons 3", expect!["error: line 5, column 3: unknown flag `--partitons` for kafka-topics.sh --create; did you mean `--partitions`?"]);
    check_script("step\nproduce orders-0 --value \"abc\ncrash 1", expect![[r#"error: line 2, column 26: this " is never closed: close it on the same line"#]]);
    check_script("step\n   crsh 2", expect!["error: line 2, column 4: unknown command `crsh`; did you mean `crash`?"]);
}

#[test]
#[rustfmt::skip]
fn completion() {
    check_completions("kafka-topics.sh --create --topic orders --partitions 3 --replication-factor 3 ", expect!["--config --replica-assignment"]);
    check_completions("kafka-topics.sh --create --topic ", expect![[""]]);
    check_completions("bin/kafka-configs.sh --describe --", expect!["--entity-type --entity-name --entity-default --topic --broker --broker-defaults"]);
    check_completions("", expect!["kafka-topics.sh kafka-configs.sh kafka-leader-election.sh kafka-metadata-quorum.sh kafka-delete-records.sh kafka-dump-log.sh kafka-consumer-groups.sh produce consume producer consumer crash restart shutdown partition heal slow pause-fetch resume-fetch step run back seek fork"]);
    check_completions("kafka-", expect!["kafka-topics.sh kafka-configs.sh kafka-leader-election.sh kafka-metadata-quorum.sh kafka-delete-records.sh kafka-dump-log.sh kafka-consumer-groups.sh"]);
    check_completions("p", expect!["produce producer partition pause-fetch"]);
    check_completions("kafka-topics.sh ", expect!["--create --alter --describe --list"]);
    check_completions("kafka-topics.sh --c", expect!["--create"]);
    check_completions("kafka-topics.sh --create ", expect!["--topic --partitions --replication-factor --config --replica-assignment"]);
    check_completions("kafka-topics --create --topic orders --p", expect!["--partitions"]);
    check_completions("kafka-topics.sh --create --config a=1 --", expect!["--topic --partitions --replication-factor --config --replica-assignment"]);
    check_completions("produce orders-0 --acks ", expect!["all -1 1 0"]);
    check_completions("produce orders-0 --count 1 --", expect!["--acks --key --value --timeout-ms"]);
    check_completions("kafka-leader-election.sh --election-type u", expect!["UNCLEAN"]);
    check_completions("step --until i", expect!["isr-change"]);
    check_completions("kafka-metadata-quorum.sh ", expect!["describe --status --replication"]);
    check_completions("kafka-metadata-quorum.sh describe --", expect!["--status --replication"]);
    check_completions("kafka-configs.sh --alter --entity-type ", expect!["topics brokers"]);
    check_completions("kafka-configs.sh --alter --topic ", expect![[""]]);
    check_completions("crash ", expect![[""]]);
    check_completions("nope ", expect![[""]]);
    check_completions("cluster ", expect!["--brokers --controllers --racks --seed"]);
    check_completions("consumer ", expect!["start stop crash restart set"]);
    check_completions("consumer s", expect!["start stop set"]);
    check_completions("consumer start c1 ", expect!["--topic --assign --group --consumer-property"]);
    check_completions("consumer start c1 --group g --consumer-property max.poll", expect!["max.poll.interval.ms= max.poll.records="]);
    check_completions("consumer start c1 --consumer-property ", expect!["group.protocol= partition.assignment.strategy= group.remote.assignor= group.instance.id= session.timeout.ms= heartbeat.interval.ms= max.poll.interval.ms= max.poll.records= fetch.min.bytes= fetch.max.wait.ms= fetch.max.bytes= max.partition.fetch.bytes= auto.offset.reset= enable.auto.commit= auto.commit.interval.ms= isolation.level= client.rack= sandbox.processing.ms.per.record= sandbox.commit.after.poll="]);
    check_completions("consumer set c1 ", expect!["sandbox.processing.ms.per.record= sandbox.commit.after.poll="]);
    check_completions("consumer set c1 sandbox.c", expect!["sandbox.commit.after.poll="]);
    check_completions("consumer stop ", expect![[""]]);
    check_completions("kafka-consumer-groups.sh ", expect!["--list --describe --reset-offsets --delete"]);
    check_completions("kafka-consumer-groups.sh --describe --group g --", expect!["--offsets --members --verbose --state"]);
    check_completions("kafka-consumer-groups.sh --reset-offsets --", expect!["--group --topic --all-topics --to-earliest --to-latest --to-offset --shift-by --dry-run --execute"]);
}

#[test]
fn names() {
    expect!["kafka-topics.sh kafka-configs.sh kafka-leader-election.sh kafka-metadata-quorum.sh kafka-delete-records.sh kafka-dump-log.sh kafka-consumer-groups.sh produce consume producer consumer crash restart shutdown partition heal slow pause-fetch resume-fetch step run back seek fork"].assert_eq(&command_names().join(" "));
}

/// The generated part of `docs/commands.md` is `help_markdown()`; `UPDATE_DOCS=1` rewrites it.
#[test]
fn docs_match_the_table() {
    const BEGIN: &str = "<!-- BEGIN GENERATED -->\n";
    const END: &str = "<!-- END GENERATED -->";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/commands.md");
    let text = std::fs::read_to_string(&path).expect("docs/commands.md exists");
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("docs/commands.md lacks the {BEGIN:?} and {END:?} markers");
    };
    let start = b + BEGIN.len();
    assert!(start <= e, "the markers are out of order");
    let generated = help_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{}{}{}", &text[..start], generated, &text[e..]);
        std::fs::write(&path, updated).expect("docs/commands.md is writable");
        return;
    }
    assert!(
        text[start..e] == generated,
        "docs/commands.md is out of date: run `UPDATE_DOCS=1 cargo test -p sandbox-core --test parse`"
    );
}

/// The examples in the hand-written part of `docs/commands.md` parse (all but the error).
#[test]
fn docs_examples_parse() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/commands.md");
    let text = std::fs::read_to_string(&path).expect("docs/commands.md exists");
    let intro = text
        .split("<!-- BEGIN GENERATED -->")
        .next()
        .unwrap_or_default();
    let mut blocks = 0;
    for (i, block) in intro.split("```text\n").skip(1).enumerate() {
        let code = block.split("```").next().unwrap_or_default();
        let code: String = code
            .lines()
            .map(|l| format!("{}\n", l.trim_start()))
            .collect();
        if code.starts_with("line ") {
            let e = parse_script("step\nkafka-topics.sh --create --partiton 3").unwrap_err();
            assert_eq!(
                code.trim_end(),
                e.to_string(),
                "the error example in the docs"
            );
            continue;
        }
        parse_script(&code)
            .unwrap_or_else(|e| panic!("block {i} of docs/commands.md: {e}\n{code}"));
        blocks += 1;
    }
    assert!(blocks >= 3);
}

/// Every example in the table parses, its usage mentions every flag, and formatting a parsed
/// example gives text that parses back to the same command.
#[test]
fn table_is_consistent() {
    for spec in command_specs() {
        for f in spec.flags.iter().filter(|f| !f.hidden) {
            assert!(
                spec.usage.contains(f.name),
                "usage of {} lacks {}",
                spec.title(),
                f.name
            );
        }
        if spec.name == "cluster" {
            let script = parse_script(spec.example).expect("cluster example parses");
            let again = parse_script(&format_script(&script)).expect("formatted script parses");
            assert_eq!(script.cluster, again.cluster);
            continue;
        }
        let command = parse_command(spec.example)
            .unwrap_or_else(|e| panic!("example of {} fails: {e}", spec.title()));
        let text = format_command(&command);
        assert_eq!(parse_command(&text), Ok(command), "{text}");
    }
    assert_eq!(
        parse_script("").map(|s| s.cluster),
        Ok(ClusterSpec::default())
    );
    assert_eq!(
        parse_script("cluster").map(|s| s.cluster),
        Ok(ClusterSpec::default())
    );
}

/// `format_script` writes text that parses back to the same script; the snapshot shows the
/// canonical spelling (defaults left out, quotes only where needed).
#[test]
fn format_round_trips() {
    let text = "cluster --brokers 2 --racks \"rack one\",b --seed 9\n\
         kafka-topics.sh --create --topic a.b_c-d --replica-assignment 0:1,1:0 --config x=\"a b\"\n\
         kafka-configs.sh --alter --broker 1 --add-config a=[1,2],b=[[x]] --delete-config c,d\n\
         kafka-configs.sh --describe --broker-defaults\n\
         kafka-leader-election.sh --election-type unclean --topic t --partition 3\n\
         kafka-metadata-quorum.sh describe --replication\n\
         produce t-1 --count 7 --acks 0 --key \"\" --value \"#1 \\\"q\\\" \\\\\" --timeout-ms 5\n\
         produce t-1 --value \"--x\" --acks 1\n\
         consume t-1 --from 9\n\
         heal 1 | 2,3\n\
         slow 1 2 --latency-ms 0\n\
         step --until hw --max 3\n\
         run 1500\n\
         run 0\n\
         run 120000\n\
         back 2\n\
         seek 0\n";
    let script = parse_script(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(script.commands.len(), 16);
    let formatted = format_script(&script);
    let again = parse_script(&formatted).unwrap_or_else(|e| panic!("{e}\n{formatted}"));
    assert_eq!(script.cluster, again.cluster);
    let values =
        |s: &Script| -> Vec<Command> { s.commands.iter().map(|c| c.value.clone()).collect() };
    assert_eq!(values(&script), values(&again), "{formatted}");
    expect![[r##"
        cluster --brokers 2 --controllers 3 --racks "rack one,b" --seed 9
        kafka-topics.sh --create --topic a.b_c-d --replica-assignment 0:1,1:0 --config "x=a b"
        kafka-configs.sh --alter --entity-type brokers --entity-name 1 --add-config a=[1,2],b=[[x]] --delete-config c,d
        kafka-configs.sh --describe --entity-type brokers --entity-default
        kafka-leader-election.sh --election-type UNCLEAN --topic t --partition 3
        kafka-metadata-quorum.sh describe --replication
        produce t-1 --count 7 --acks 0 --key "" --value "#1 \"q\" \\" --timeout-ms 5
        produce t-1 --acks 1 --value "--x"
        consume t-1 --from 9
        heal 1 | 2,3
        slow 1 2 --latency-ms 0
        step --until hw --max 3
        run 1500ms
        run 0ms
        run 2m
        back 2
        seek 0
    "##]].assert_eq(&formatted);
}

// ---------------------------------------------------------------------------------------------
// No input panics.

/// xorshift64*: a small deterministic generator, so the sweep is the same on every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FRAGMENTS: &[&str] = &[
    "",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\\",
    "\\\n",
    "\"",
    "'",
    "#",
    "=",
    "|",
    ",",
    ":",
    "-",
    "--",
    "[",
    "]",
    "0",
    "1",
    "2",
    "100",
    "-1",
    "3.5",
    "99999999999999999999999",
    "-9223372036854775808",
    "9223372036854775807",
    "18446744073709551616",
    "orders-0",
    "orders",
    "a-b-c-7",
    "t-999",
    "t-1000",
    "..",
    ".",
    "é",
    "日本",
    "🦀",
    "\u{0}",
    "\u{feff}",
    "\u{200b}",
    "ǅ",
    "ß",
    "İ",
    "all",
    "ALL",
    "PREFERRED",
    "unclean",
    "election",
    "hw",
    "topics",
    "brokers",
    "5s",
    "250ms",
    "2m",
    "1h",
    "2h",
    "ms",
    "k=v",
    "k=[a,b]",
    "a=",
    "=b",
    "0:1:2,1:2:0",
    "0:0",
    "0,1",
    "| 2",
    "describe",
];

fn words() -> Vec<&'static str> {
    let mut w: Vec<&'static str> = FRAGMENTS.to_vec();
    for spec in command_specs() {
        w.push(spec.name);
        w.extend(spec.aliases);
        w.extend(spec.mode);
        for f in spec.flags {
            w.push(f.name);
        }
    }
    w
}

/// Where an error may point: a line of the input, a column at most one past its end.
fn check_position(input: &str, e: &ParseError) {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let lines: Vec<&str> = input.split('\n').collect();
    assert!(
        e.line >= 1 && e.line <= lines.len().max(1),
        "{input:?}: {e}"
    );
    let len = lines.get(e.line - 1).map_or(0, |l| l.chars().count());
    assert!(e.column >= 1 && e.column <= len + 1, "{input:?}: {e}");
    assert!(!e.message.is_empty());
}

fn exercise(input: &str) {
    match parse_command(input) {
        Ok(c) => {
            let text = format_command(&c);
            assert_eq!(
                parse_command(&text),
                Ok(c),
                "{input:?} formatted as {text:?}"
            );
        }
        Err(e) => check_position(input, &e),
    }
    match parse_script(input) {
        Ok(s) => {
            let text = format_script(&s);
            let again = parse_script(&text).unwrap_or_else(|e| panic!("{input:?} → {text:?}: {e}"));
            assert_eq!(s.cluster, again.cluster);
            assert_eq!(s.commands.len(), again.commands.len());
        }
        Err(e) => check_position(input, &e),
    }
    let _ = completions(input);
}

#[test]
fn nothing_panics() {
    let words = words();
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    // Sequences of known words and fragments, which reach deep into the parser.
    for _ in 0..30_000 {
        let n = g.below(12);
        let mut s = String::new();
        for i in 0..n {
            if i > 0 && g.below(3) > 0 {
                s.push(' ');
            }
            s.push_str(g.pick(&words));
        }
        exercise(&s);
    }
    // A valid command with one character replaced, inserted or removed.
    let examples: Vec<&str> = command_specs().iter().map(|s| s.example).collect();
    let alphabet: Vec<char> = "aZ09 -=|,:#\"'\\\n\té日🦀\u{0}".chars().collect();
    for _ in 0..20_000 {
        let mut chars: Vec<char> = g.pick(&examples).chars().collect();
        let at = g.below(chars.len() + 1);
        let c = alphabet[g.below(alphabet.len())];
        match g.below(3) {
            0 if at < chars.len() => chars[at] = c,
            1 => chars.insert(at, c),
            _ if at < chars.len() => {
                chars.remove(at);
            }
            _ => chars.push(c),
        }
        exercise(&chars.into_iter().collect::<String>());
    }
    // Raw characters, any code point.
    for _ in 0..5_000 {
        let n = g.below(40);
        let s: String = (0..n)
            .filter_map(|_| char::from_u32((g.next() % 0x11_0000) as u32))
            .collect();
        exercise(&s);
    }
    // Big inputs stay fast: no quadratic blow-up in suggestions or positions.
    let huge = "x".repeat(200_000);
    exercise(&huge);
    exercise(&format!("crash {huge}"));
    exercise(&format!("kafka-topics.sh --create --topic {huge}"));
    exercise(&format!("kafka-topics.sh --{huge}"));
    exercise(&"--a ".repeat(10_000));
    exercise(&"\\\n".repeat(10_000));
    exercise(&"step\n".repeat(10_000));
    // Long lists and many flags stay linear too.
    exercise(&format!(
        "kafka-topics.sh --create --topic t --replica-assignment {}",
        "0:1,".repeat(20_000)
    ));
    exercise(&format!(
        "kafka-topics.sh --create --topic t --replica-assignment 0{}",
        ":1".repeat(20_000)
    ));
    exercise(&format!("partition {}| 0", "1,".repeat(20_000)));
    exercise(&format!(
        "partition 0 | {}",
        (1..20_000).map(|i| format!("{i},")).collect::<String>()
    ));
    exercise(&format!(
        "kafka-configs.sh --alter --topic t --add-config {}",
        (0..20_000).map(|i| format!("k{i}=v,")).collect::<String>()
    ));
    exercise(&format!(
        "kafka-configs.sh --alter --topic t --delete-config {}",
        (0..20_000).map(|i| format!("k{i},")).collect::<String>()
    ));
    exercise(&format!(
        "kafka-topics.sh --create --topic t --partitions 1 --replication-factor 1{}",
        (0..10_000)
            .map(|i| format!(" --config k{i}=v"))
            .collect::<String>()
    ));
    exercise(&format!("cluster --racks {}", "r,".repeat(20_000)));
}

/// The filter words have one definition (`EventFilter::word`): each parses back to its filter,
/// and formats to the same text.
#[test]
fn every_step_until_word_parses_to_its_filter_and_back() {
    use sandbox_core::command::EventFilter;
    for filter in EventFilter::ALL {
        let line = format!("step --until {}", filter.word());
        let command = sandbox_core::parse::parse_command(&line).unwrap();
        assert_eq!(
            command,
            Command::StepUntil {
                filter,
                max_steps: 10_000
            }
        );
        assert_eq!(sandbox_core::parse::format_command(&command), line);
    }
    assert_eq!(EventFilter::from_word("leader"), None);
}
