//! Back to text: a [`Command`] or [`Script`] as the line that parses to it.

use crate::command::{Acks, ClusterSpec, Command, ConfigEntity, ElectionType, NodeId, Script};

pub(super) fn format_groups_command(command: &crate::command::GroupsCommand) -> String {
    use crate::command::{DescribeGroup, GroupsCommand, ResetTo};
    let base = "kafka-consumer-groups.sh";
    match command {
        GroupsCommand::List => format!("{base} --list"),
        GroupsCommand::Describe { group, what } => {
            let extra = match what {
                DescribeGroup::Offsets => "",
                DescribeGroup::Members { verbose: false } => " --members",
                DescribeGroup::Members { verbose: true } => " --members --verbose",
                DescribeGroup::State => " --state",
            };
            format!("{base} --describe --group {}{extra}", quote(group))
        }
        GroupsCommand::ResetOffsets {
            group,
            topics,
            to,
            execute,
        } => {
            let mut s = format!("{base} --reset-offsets --group {}", quote(group));
            match topics {
                None => s.push_str(" --all-topics"),
                Some(list) => {
                    for (topic, partitions) in list {
                        let spec = match partitions {
                            None => topic.clone(),
                            Some(ps) => {
                                let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
                                format!("{topic}:{}", ps.join(","))
                            }
                        };
                        s.push_str(&format!(" --topic {}", quote(&spec)));
                    }
                }
            }
            s.push_str(&match to {
                ResetTo::Earliest => " --to-earliest".to_string(),
                ResetTo::Latest => " --to-latest".to_string(),
                ResetTo::Offset(n) => format!(" --to-offset {n}"),
                ResetTo::ShiftBy(n) => format!(" --shift-by {n}"),
            });
            s.push_str(if *execute { " --execute" } else { " --dry-run" });
            s
        }
        GroupsCommand::Delete { group } => format!("{base} --delete --group {}", quote(group)),
    }
}

/// A command as text that [`parse_command`] reads back to the same command (for shared links
/// and saved scripts). Values cannot contain line breaks.
pub fn format_command(command: &Command) -> String {
    match command {
        Command::ConsumerStart {
            name,
            group,
            topics,
            assign,
            properties,
        } => {
            let mut s = format!("consumer start {}", quote(name));
            if !topics.is_empty() {
                s.push_str(&format!(" --topic {}", quote(&topics.join(","))));
            }
            if !assign.is_empty() {
                let list: Vec<String> = assign.iter().map(|tp| tp.to_string()).collect();
                s.push_str(&format!(" --assign {}", quote(&list.join(","))));
            }
            if let Some(g) = group {
                s.push_str(&format!(" --group {}", quote(g)));
            }
            push_properties(&mut s, "--consumer-property", properties);
            s
        }
        Command::ProducerStart { name, properties } => {
            let mut s = format!("producer start {}", quote(name));
            push_properties(&mut s, "--producer-property", properties);
            s
        }
        Command::ProducerSend {
            name,
            topic,
            count,
            key,
            value,
            partition,
        } => {
            let mut s = format!(
                "producer send {} {} --count {count}",
                quote(name),
                quote(topic)
            );
            if let Some(k) = key {
                s.push_str(&format!(" --key {}", quote(k)));
            }
            if let Some(v) = value {
                s.push_str(&format!(" --value {}", quote(v)));
            }
            if let Some(p) = partition {
                s.push_str(&format!(" --partition {p}"));
            }
            s
        }
        Command::ProducerRestart { name, properties } => {
            let mut s = format!("producer restart {}", quote(name));
            push_properties(&mut s, "--producer-property", properties);
            s
        }
        Command::ProducerAction { name, action } => {
            format!("producer {} {}", action.name(), quote(name))
        }
        Command::ProducerSendOffsets { name, group } => format!(
            "producer send-offsets {} --group {}",
            quote(name),
            quote(group)
        ),
        Command::ConsumerStop { name } => format!("consumer stop {}", quote(name)),
        Command::ConsumerCrash { name } => format!("consumer crash {}", quote(name)),
        Command::ConsumerRestart { name, properties } => {
            let mut s = format!("consumer restart {}", quote(name));
            push_properties(&mut s, "--consumer-property", properties);
            s
        }
        Command::ConsumerSet { name, key, value } => {
            format!(
                "consumer set {} {}",
                quote(name),
                quote(&format!("{key}={value}"))
            )
        }
        Command::ConsumerGroups(g) => format_groups_command(g),
        Command::CreateTopic {
            topic,
            partitions,
            replication_factor,
            configs,
            replica_assignment,
        } => {
            let mut s = format!("kafka-topics.sh --create --topic {}", quote(topic));
            match replica_assignment {
                Some(asg) => {
                    let parts: Vec<String> = asg
                        .iter()
                        .map(|r| {
                            r.iter()
                                .map(NodeId::to_string)
                                .collect::<Vec<_>>()
                                .join(":")
                        })
                        .collect();
                    s.push_str(&format!(
                        " --replica-assignment {}",
                        quote(&parts.join(","))
                    ));
                }
                None => {
                    // -1 is the cluster's default: the flag was left out.
                    if *partitions != -1 {
                        s.push_str(&format!(" --partitions {partitions}"));
                    }
                    if *replication_factor != -1 {
                        s.push_str(&format!(" --replication-factor {replication_factor}"));
                    }
                }
            }
            for (k, v) in configs {
                s.push_str(&format!(" --config {}", quote(&format!("{k}={v}"))));
            }
            s
        }
        Command::DescribeTopics { topic } => match topic {
            Some(t) => format!("kafka-topics.sh --describe --topic {}", quote(t)),
            None => "kafka-topics.sh --describe".to_string(),
        },
        Command::ListTopics => "kafka-topics.sh --list".to_string(),
        Command::AlterConfigs {
            entity,
            set,
            delete,
        } => {
            let mut s = format!("kafka-configs.sh --alter {}", format_entity(entity));
            if !set.is_empty() {
                let items: Vec<String> = set
                    .iter()
                    .map(|(k, v)| {
                        if v.contains(',') || (v.starts_with('[') && v.ends_with(']')) {
                            format!("{k}=[{v}]")
                        } else {
                            format!("{k}={v}")
                        }
                    })
                    .collect();
                s.push_str(&format!(" --add-config {}", quote(&items.join(","))));
            }
            if !delete.is_empty() {
                s.push_str(&format!(" --delete-config {}", quote(&delete.join(","))));
            }
            s
        }
        Command::DescribeConfigs { entity } => {
            format!("kafka-configs.sh --describe {}", format_entity(entity))
        }
        Command::ElectLeaders {
            election,
            partition,
        } => {
            let kind = match election {
                ElectionType::Preferred => "PREFERRED",
                ElectionType::Unclean => "UNCLEAN",
            };
            match partition {
                Some(tp) => format!(
                    "kafka-leader-election.sh --election-type {kind} --topic {} --partition {}",
                    quote(&tp.topic),
                    tp.partition
                ),
                None => format!(
                    "kafka-leader-election.sh --election-type {kind} --all-topic-partitions"
                ),
            }
        }
        Command::AlterTopicPartitions { topic, partitions } => format!(
            "kafka-topics.sh --alter --topic {} --partitions {partitions}",
            quote(topic)
        ),
        Command::DeleteRecords { offsets } => {
            // Topic names have no quotes or spaces: the JSON goes in single quotes as it is.
            format!(
                "kafka-delete-records.sh --offset-json-file '{}'",
                super::json::offsets_json(offsets)
            )
        }
        Command::DumpLog {
            partition,
            broker,
            print_data_log,
        } => {
            let mut s = format!(
                "kafka-dump-log.sh --files {}",
                quote(&partition.to_string())
            );
            if let Some(b) = broker {
                s.push_str(&format!(" --broker {b}"));
            }
            if *print_data_log {
                s.push_str(" --print-data-log");
            }
            s
        }
        Command::DescribeQuorum { replication } => format!(
            "kafka-metadata-quorum.sh describe {}",
            if *replication {
                "--replication"
            } else {
                "--status"
            }
        ),
        Command::Produce {
            partition,
            count,
            acks,
            key,
            value,
            timeout_ms,
        } => {
            let mut s = format!("produce {}", quote(&partition.to_string()));
            if *count != 1 {
                s.push_str(&format!(" --count {count}"));
            }
            match acks {
                Acks::All => {}
                Acks::Leader => s.push_str(" --acks 1"),
                Acks::None => s.push_str(" --acks 0"),
            }
            if let Some(k) = key {
                s.push_str(&format!(" --key {}", quote(k)));
            }
            if let Some(v) = value {
                s.push_str(&format!(" --value {}", quote(v)));
            }
            if *timeout_ms != 30_000 {
                s.push_str(&format!(" --timeout-ms {timeout_ms}"));
            }
            s
        }
        Command::Consume {
            partition,
            from_offset,
        } => {
            let mut s = format!("consume {}", quote(&partition.to_string()));
            if *from_offset != 0 {
                s.push_str(&format!(" --from {from_offset}"));
            }
            s
        }
        Command::Crash { node } => format!("crash {node}"),
        Command::Restart { node } => format!("restart {node}"),
        Command::Shutdown { node } => format!("shutdown {node}"),
        Command::Partition { side_a, side_b } => {
            format!("partition {}", format_sides(side_a, side_b))
        }
        Command::Heal { sides } => match sides {
            Some((a, b)) => format!("heal {}", format_sides(a, b)),
            None => "heal".to_string(),
        },
        Command::SlowLink { a, b, latency_ms } => {
            format!("slow {a} {b} --latency-ms {latency_ms}")
        }
        Command::PauseFetch { broker, partition } => match partition {
            Some(tp) => format!("pause-fetch {broker} {}", quote(&tp.to_string())),
            None => format!("pause-fetch {broker}"),
        },
        Command::ResumeFetch { broker, partition } => match partition {
            Some(tp) => format!("resume-fetch {broker} {}", quote(&tp.to_string())),
            None => format!("resume-fetch {broker}"),
        },
        Command::Step { count } => {
            if *count == 1 {
                "step".to_string()
            } else {
                format!("step {count}")
            }
        }
        Command::StepUntil { filter, max_steps } => {
            let event = filter.word();
            if *max_steps == 10_000 {
                format!("step --until {event}")
            } else {
                format!("step --until {event} --max {max_steps}")
            }
        }
        Command::Run { duration_ms } => format!("run {}", format_duration(*duration_ms)),
        Command::Back { steps } => {
            if *steps == 1 {
                "back".to_string()
            } else {
                format!("back {steps}")
            }
        }
        Command::Seek { step } => format!("seek {step}"),
        Command::Fork => "fork".to_string(),
    }
}

/// A script as text that [`parse_script`] reads back to the same cluster and commands (line
/// numbers aside).
pub fn format_script(script: &Script) -> String {
    let mut out = String::new();
    if script.cluster != ClusterSpec::default() {
        let c = &script.cluster;
        out.push_str(&format!(
            "cluster --brokers {} --controllers {}",
            c.brokers, c.controllers
        ));
        if !c.racks.is_empty() {
            out.push_str(&format!(" --racks {}", quote(&c.racks.join(","))));
        }
        out.push_str(&format!(" --seed {}\n", c.seed));
    }
    for c in &script.commands {
        out.push_str(&format_command(&c.value));
        out.push('\n');
    }
    out
}

pub(super) fn format_entity(entity: &ConfigEntity) -> String {
    match entity {
        ConfigEntity::Topic(t) => format!("--entity-type topics --entity-name {}", quote(t)),
        ConfigEntity::Broker(Some(id)) => format!("--entity-type brokers --entity-name {id}"),
        ConfigEntity::Broker(None) => "--entity-type brokers --entity-default".to_string(),
    }
}

pub(super) fn format_sides(a: &[NodeId], b: &[NodeId]) -> String {
    let list = |s: &[NodeId]| {
        s.iter()
            .map(NodeId::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    format!("{} | {}", list(a), list(b))
}

pub(super) fn format_duration(ms: i64) -> String {
    if ms > 0 && ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms > 0 && ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms > 0 && ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A value as one token: bare when that is unambiguous, else in double quotes.
pub(super) fn quote(s: &str) -> String {
    let bare = !s.is_empty()
        && !s.starts_with("--")
        && s.chars()
            .all(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '#' | '\\'));
    if bare {
        return s.to_string();
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// ` --consumer-property KEY=VALUE` (or the producer's) for each config.
fn push_properties(s: &mut String, flag: &str, properties: &[(String, String)]) {
    for (k, v) in properties {
        s.push_str(&format!(" {flag} {}", quote(&format!("{k}={v}"))));
    }
}
