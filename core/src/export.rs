//! A run as what would set it up on a real Kafka 4.x cluster: one `server.properties` per
//! node, the Kafka tools' command lines (with `--bootstrap-server`), a `.properties` file per
//! producer and consumer with the configs it ran with, and the console clients that use them.
//!
//! What only a simulation can do has no command on a real cluster: crashing a process, cutting
//! or slowing a link, pausing a follower, and moving in time. Those become comments saying what
//! to do by hand (or that there is nothing to do), so the export reads as the runbook it is.

use crate::command::{Command, Script, CONTROLLER_ID_BASE};
use crate::parse::format_command;

/// Where the exported commands connect: the first broker's listener.
pub const BOOTSTRAP: &str = "localhost:9092";

/// The run as a shell script for a real cluster, with its properties files inline.
pub fn kafka_commands(script: &Script) -> String {
    let spec = &script.cluster;
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    line("#!/bin/sh");
    line("# A Kafka Sandbox run, as the commands that would set it up on a real Kafka 4.x");
    line("# cluster (KRaft). What only the simulation can do (crash a process, cut or slow a");
    line("# link, move in time) is a comment saying what to do by hand.");
    line("");
    line(&format!(
        "# The cluster: {} broker(s) and {} KRaft controller(s). One server.properties per node:",
        spec.brokers, spec.controllers
    ));
    let voters: Vec<String> = (0..spec.controllers)
        .map(|i| format!("localhost:{}", 9093 + i))
        .collect();
    for i in 0..spec.controllers {
        line(&format!(
            "#   controller {}: process.roles=controller node.id={} \
             listeners=CONTROLLER://localhost:{} controller.listener.names=CONTROLLER \
             controller.quorum.bootstrap.servers={}",
            CONTROLLER_ID_BASE + i,
            CONTROLLER_ID_BASE + i,
            9093 + i,
            voters.join(",")
        ));
    }
    for b in 0..spec.brokers {
        let rack = spec
            .racks
            .get(b as usize)
            .map(|r| format!(" broker.rack={r}"))
            .unwrap_or_default();
        line(&format!(
            "#   broker {b}: process.roles=broker node.id={b} listeners=PLAINTEXT://localhost:{} \
             controller.listener.names=CONTROLLER controller.quorum.bootstrap.servers={}{rack}",
            9092 + b * 100,
            voters.join(",")
        ));
    }
    line("# Format each node's log directory once (kafka-storage.sh format), then start each with");
    line("# kafka-server-start.sh server.properties.");
    let mut waited_ms = 0i64;
    let mut time_travel = false;
    for located in &script.commands {
        let command = &located.value;
        // Time passing is written once, before the next command that is not about time.
        match command {
            Command::Run { duration_ms } => {
                waited_ms += duration_ms;
                continue;
            }
            Command::Step { .. } | Command::StepUntil { .. } => continue,
            Command::Back { .. } | Command::Seek { .. } | Command::Fork => {
                time_travel = true;
                continue;
            }
            _ => {}
        }
        line("");
        if waited_ms > 0 {
            line(&format!("sleep {}", seconds(waited_ms)));
            waited_ms = 0;
        }
        for text in real(command) {
            line(&text);
        }
    }
    if waited_ms > 0 {
        line("");
        line(&format!("sleep {}", seconds(waited_ms)));
    }
    if time_travel {
        line("");
        line("# The run went back in time or forked in the sandbox: a real cluster only goes");
        line("# forward, so those moves have no command here.");
    }
    out
}

/// Seconds for `sleep`, rounded up.
fn seconds(ms: i64) -> i64 {
    (ms + 999) / 1000
}

/// A properties file written by the shell script (a heredoc).
fn properties_file(name: &str, pairs: &[(String, String)]) -> Vec<String> {
    let mut lines = vec![format!("cat > {name} <<'EOF'")];
    lines.extend(pairs.iter().map(|(k, v)| format!("{k}={v}")));
    lines.push("EOF".into());
    lines
}

/// The lines for one command.
fn real(command: &Command) -> Vec<String> {
    let sandbox = format_command(command);
    match command {
        Command::DumpLog { partition, .. } => vec![
            format!("# on the broker, in its log directory (log.dirs):"),
            format!(
                "kafka-dump-log.sh --files {partition}/00000000000000000000.log --print-data-log"
            ),
        ],
        Command::DeleteRecords { offsets } => {
            // The real tool reads the offsets from a file.
            let mut lines = vec![
                "cat > delete-records.json <<'EOF'".to_string(),
                crate::parse::offsets_json(offsets),
                "EOF".to_string(),
            ];
            lines.push(format!(
                "kafka-delete-records.sh --bootstrap-server {BOOTSTRAP} --offset-json-file delete-records.json"
            ));
            lines
        }
        Command::DescribeQuorum { replication } => vec![format!(
            "kafka-metadata-quorum.sh --bootstrap-server {BOOTSTRAP} describe {}",
            if *replication {
                "--replication"
            } else {
                "--status"
            }
        )],
        _ if sandbox.starts_with("kafka-") => {
            // The sandbox's own tool lines are Kafka's, without the connection.
            let (tool, rest) = sandbox.split_once(' ').unwrap_or((&sandbox, ""));
            vec![format!("{tool} --bootstrap-server {BOOTSTRAP} {rest}")]
        }
        Command::Produce {
            partition,
            count,
            acks,
            key,
            ..
        } => vec![
            format!(
                "# {count} record(s) to partition {} of {} with acks={}{}: the console producer",
                partition.partition,
                partition.topic,
                acks_value(*acks),
                key.as_ref().map(|k| format!(", key {k}")).unwrap_or_default()
            ),
            "# picks the partition by key (or sticky without one); type the records, then Ctrl-D.".into(),
            format!(
                "kafka-console-producer.sh --bootstrap-server {BOOTSTRAP} --topic {} --producer-property acks={}{}",
                partition.topic,
                acks_value(*acks),
                if key.is_some() {
                    " --property parse.key=true --property key.separator=:"
                } else {
                    ""
                }
            ),
        ],
        Command::Consume {
            partition,
            from_offset,
        } => vec![format!(
            "kafka-console-consumer.sh --bootstrap-server {BOOTSTRAP} --topic {} --partition {} --offset {from_offset}",
            partition.topic, partition.partition
        )],
        Command::ConsumerStart {
            name,
            group,
            topics,
            assign,
            properties,
        } => {
            let mut pairs = vec![
                ("bootstrap.servers".to_string(), BOOTSTRAP.to_string()),
                ("client.id".to_string(), name.clone()),
            ];
            if let Some(group) = group {
                pairs.push(("group.id".into(), group.clone()));
            }
            pairs.extend(properties.iter().cloned());
            let mut lines = vec![format!("# consumer {name}: its configs")];
            lines.extend(properties_file(&format!("{name}.properties"), &pairs));
            let what = if !topics.is_empty() {
                if topics.len() == 1 {
                    format!("--topic {}", topics[0])
                } else {
                    format!("--include '{}'", topics.join("|"))
                }
            } else {
                let first = &assign[0];
                format!("--topic {} --partition {}", first.topic, first.partition)
            };
            lines.push(format!(
                "kafka-console-consumer.sh --bootstrap-server {BOOTSTRAP} {what} --consumer.config {name}.properties &"
            ));
            lines.push(format!("{}_PID=$!", shell_name(name)));
            lines
        }
        Command::ConsumerStop { name } => vec![format!("kill ${}_PID  # close(): leaves the group", shell_name(name))],
        Command::ConsumerCrash { name } => vec![format!(
            "kill -9 ${}_PID  # the process dies: the group notices at session.timeout.ms",
            shell_name(name)
        )],
        Command::ProducerStart { name, properties } => {
            let mut pairs = vec![
                ("bootstrap.servers".to_string(), BOOTSTRAP.to_string()),
                ("client.id".to_string(), name.clone()),
            ];
            pairs.extend(properties.iter().cloned());
            let mut lines = vec![format!(
                "# producer {name}: its configs (use them with --producer.config {name}.properties)"
            )];
            lines.extend(properties_file(&format!("{name}.properties"), &pairs));
            lines
        }
        Command::ProducerSend {
            name,
            topic,
            count,
            key,
            ..
        } => vec![
            format!(
                "# {name} sends {count} record(s){}: type them, then Ctrl-D",
                key.as_ref().map(|k| format!(" with key {k}")).unwrap_or_default()
            ),
            format!(
                "kafka-console-producer.sh --bootstrap-server {BOOTSTRAP} --topic {topic} --producer.config {name}.properties{}",
                if key.is_some() {
                    " --property parse.key=true --property key.separator=:"
                } else {
                    ""
                }
            ),
        ],
        Command::Crash { node } => vec![format!(
            "# crash node {node}: kill -9 its Kafka process (kafka.Kafka with node.id={node})"
        )],
        Command::Restart { node } => vec![format!(
            "# restart node {node}: kafka-server-start.sh with its server.properties"
        )],
        Command::Shutdown { node } => vec![format!(
            "# shut node {node} down cleanly: kafka-server-stop.sh on its machine (a controlled shutdown)"
        )],
        _ => vec![format!(
            "# {sandbox}: only the sandbox can do this (no Kafka command)"
        )],
    }
}

/// `acks` as a config value.
fn acks_value(acks: crate::command::Acks) -> &'static str {
    match acks {
        crate::command::Acks::None => "0",
        crate::command::Acks::Leader => "1",
        crate::command::Acks::All => "all",
    }
}

/// A client name as a shell variable name.
fn shell_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_script;

    #[test]
    fn a_run_becomes_a_runbook_for_a_real_cluster() {
        let script = parse_script(
            "cluster --brokers 2 --controllers 1 --racks a,b\n\
             kafka-topics.sh --create --topic orders --partitions 3 --replication-factor 2 --config min.insync.replicas=2\n\
             run 1500ms\n\
             producer start app --producer-property acks=all --producer-property linger.ms=5\n\
             producer send app orders --count 3 --key k1\n\
             consumer start c1 --topic orders --group billing --consumer-property isolation.level=read_committed\n\
             run 2s\n\
             kafka-delete-records.sh --offset-json-file '{\"partitions\":[{\"topic\":\"orders\",\"partition\":0,\"offset\":-1}],\"version\":1}'\n\
             crash 1\n\
             back 3\n\
             consumer crash c1\n",
        )
        .expect("the script");
        let text = kafka_commands(&script);
        expect_test::expect_file!["../tests/snapshots/export-kafka-commands.sh"].assert_eq(&text);
    }
}
