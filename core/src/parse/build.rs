//! Builders, one per spec: arguments that were read become a [`Command`].

use crate::sorted::SortedSet;

use crate::command::{
    Acks, ClusterSpec, Command, ConfigEntity, DescribeGroup, ElectionType, EventFilter,
    GroupsCommand, NodeId, ProducerAction, ResetTo, TopicPartition,
};
use crate::config::{
    consumer_config, producer_config, ConfigDef, CONSUMER_CONFIGS, PRODUCER_CONFIGS,
};

use super::lexer::Piece;
use super::spec::{Args, Got, Parsed, Val, ValueKind};
use super::suggest::suggest;
use super::values::{check_topic, parse_int, parse_pair};
use super::{error, error_with, show, ParseError, MAX_NODE_ID};

pub(super) fn command(c: Command) -> Result<Parsed, ParseError> {
    Ok(Parsed::Command(c))
}

pub(super) fn build_cluster(a: &Args) -> Result<Parsed, ParseError> {
    let default = ClusterSpec::default();
    let brokers = a
        .int("--brokers")
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(default.brokers);
    let controllers = a
        .int("--controllers")
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(default.controllers);
    let seed = match a.flag("--seed") {
        Some(Got {
            val: Val::U64(n), ..
        }) => *n,
        _ => a
            .default_of("--seed")
            .and_then(|d| d.parse().ok())
            .unwrap_or(default.seed),
    };
    let racks = match a.flag("--racks") {
        Some(Got {
            val: Val::Names(racks),
            at,
            ..
        }) => {
            if racks.len() != usize::try_from(brokers).unwrap_or_default() {
                return Err(error(
                    *at,
                    format!(
                        "--racks lists {} racks but there are {brokers} brokers: give one rack \
                         per broker, in id order",
                        racks.len()
                    ),
                ));
            }
            racks.clone()
        }
        _ => Vec::new(),
    };
    Ok(Parsed::Cluster(ClusterSpec {
        brokers,
        controllers,
        racks,
        seed,
    }))
}

pub(super) fn build_alter_topic(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::AlterTopicPartitions {
        topic: a.text("--topic").ok_or_else(|| a.missing("--topic"))?,
        partitions: i32::try_from(a.need_int("--partitions")?).unwrap_or(1),
    })
}

pub(super) fn build_create_topic(a: &Args) -> Result<Parsed, ParseError> {
    let topic = a.text("--topic").ok_or_else(|| a.missing("--topic"))?;
    let mut configs: Vec<(String, String)> = Vec::new();
    let mut keys: SortedSet<&str> = SortedSet::new();
    for g in a.flags.iter().filter(|g| g.name == "--config") {
        if let Val::Pairs(pairs) = &g.val {
            for (k, v) in pairs {
                if !keys.insert(k) {
                    return Err(error(
                        g.piece.start,
                        format!("--config: `{}` is given twice", show(k)),
                    ));
                }
                configs.push((k.clone(), v.clone()));
            }
        }
    }
    let assignment = match a.flag("--replica-assignment") {
        Some(Got {
            val: Val::Assignment(asg),
            ..
        }) => Some(asg.clone()),
        _ => None,
    };
    let (partitions, replication_factor) = match &assignment {
        // Left out, each is the cluster's default (`num.partitions`,
        // `default.replication.factor`): the request carries -1, as Kafka's does (KIP-464).
        None => (
            a.int("--partitions").unwrap_or(-1),
            a.int("--replication-factor").unwrap_or(-1),
        ),
        Some(asg) => {
            let p = asg.len() as i64;
            let r = asg.first().map_or(0, |r| r.len() as i64);
            for (name, derived, what) in [
                ("--partitions", p, "partitions"),
                ("--replication-factor", r, "replicas per partition"),
            ] {
                if let Some(g) = a.flag(name) {
                    if a.int(name) != Some(derived) {
                        return Err(error(
                            g.at,
                            format!(
                                "{name} {} does not match --replica-assignment, which has \
                                 {derived} {what}",
                                show(&g.piece.text)
                            ),
                        ));
                    }
                }
            }
            (p, r)
        }
    };
    command(Command::CreateTopic {
        topic,
        partitions: i32::try_from(partitions).unwrap_or_default(),
        replication_factor: i32::try_from(replication_factor).unwrap_or_default(),
        configs,
        replica_assignment: assignment,
    })
}

pub(super) fn build_describe_topics(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::DescribeTopics {
        topic: a.text("--topic"),
    })
}

pub(super) fn build_list_topics(_: &Args) -> Result<Parsed, ParseError> {
    command(Command::ListTopics)
}

/// The entity of a `kafka-configs.sh` command, from `--entity-type`/`--entity-name`/
/// `--entity-default` or one of the shorthands.
pub(super) fn config_entity(a: &Args) -> Result<ConfigEntity, ParseError> {
    let ways: Vec<&Got> = ["--entity-type", "--topic", "--broker", "--broker-defaults"]
        .iter()
        .filter_map(|n| a.flag(n))
        .collect();
    let mut in_order = ways.clone();
    crate::sort::sort_by_key(&mut in_order, |g| (g.at.line, g.at.col));
    if let [first, second, ..] = in_order.as_slice() {
        return Err(error(
            second.at,
            format!("{} cannot be combined with {}", second.name, first.name),
        ));
    }
    let name = a.flag("--entity-name");
    let default = a.flag("--entity-default");
    let Some(way) = in_order.first() else {
        if let Some(g) = name.or(default) {
            return Err(error(
                g.at,
                format!("{} needs --entity-type topics|brokers", g.name),
            ));
        }
        return Err(error(
            a.head,
            format!(
                "{} needs --entity-type with --entity-name or --entity-default (or --topic \
                 TOPIC, --broker ID, --broker-defaults)",
                a.spec.title()
            ),
        ));
    };
    if way.name != "--entity-type" {
        if let Some(g) = name.or(default) {
            return Err(error(
                g.at,
                format!("{} cannot be combined with {}", g.name, way.name),
            ));
        }
    }
    match way.name {
        "--topic" => Ok(ConfigEntity::Topic(a.text("--topic").unwrap_or_default())),
        "--broker" => Ok(ConfigEntity::Broker(Some(a.need_node("--broker")?))),
        "--broker-defaults" => Ok(ConfigEntity::Broker(None)),
        _ => {
            let topics = a.choice("--entity-type") == Some("topics");
            match (name, default) {
                (Some(n), Some(d)) => {
                    let (first, second) = if (n.at.line, n.at.col) < (d.at.line, d.at.col) {
                        (n, d)
                    } else {
                        (d, n)
                    };
                    Err(error(
                        second.at,
                        format!("{} cannot be combined with {}", second.name, first.name),
                    ))
                }
                (None, None) => Err(error(
                    way.at,
                    format!(
                        "--entity-type {} needs --entity-name {}",
                        if topics { "topics" } else { "brokers" },
                        if topics {
                            "TOPIC"
                        } else {
                            "ID (or --entity-default)"
                        }
                    ),
                )),
                (None, Some(d)) if topics => Err(error(
                    d.at,
                    "topics have no default entity: use --entity-name TOPIC",
                )),
                (None, Some(_)) => Ok(ConfigEntity::Broker(None)),
                (Some(n), None) if topics => {
                    check_topic(&n.piece)?;
                    Ok(ConfigEntity::Topic(n.piece.text.clone()))
                }
                (Some(n), None) => {
                    let id = parse_int(
                        &n.piece,
                        "--entity-name of a broker",
                        ValueKind::Node,
                        0,
                        MAX_NODE_ID,
                    )?;
                    Ok(ConfigEntity::Broker(Some(
                        NodeId::try_from(id).unwrap_or_default(),
                    )))
                }
            }
        }
    }
}

pub(super) fn build_alter_configs(a: &Args) -> Result<Parsed, ParseError> {
    let entity = config_entity(a)?;
    let set = match a.flag("--add-config") {
        Some(Got {
            val: Val::Pairs(p), ..
        }) => p.clone(),
        _ => Vec::new(),
    };
    let (delete, delete_at) = match a.flag("--delete-config") {
        Some(Got {
            val: Val::Names(n),
            piece,
            ..
        }) => (n.clone(), piece.start),
        _ => (Vec::new(), a.head),
    };
    if set.is_empty() && delete.is_empty() {
        return Err(error(
            a.head,
            "kafka-configs.sh --alter needs --add-config KEY=VALUE,... or --delete-config KEY,...",
        ));
    }
    if let Some(name) = delete.iter().find(|d| set.iter().any(|(k, _)| k == *d)) {
        return Err(error(
            delete_at,
            format!(
                "`{}` is both in --add-config and in --delete-config",
                show(name)
            ),
        ));
    }
    command(Command::AlterConfigs {
        entity,
        set,
        delete,
    })
}

pub(super) fn build_describe_configs(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::DescribeConfigs {
        entity: config_entity(a)?,
    })
}

pub(super) fn build_elect_leaders(a: &Args) -> Result<Parsed, ParseError> {
    let election = match a.choice("--election-type") {
        Some("UNCLEAN") => ElectionType::Unclean,
        Some(_) => ElectionType::Preferred,
        None => return Err(a.missing("--election-type")),
    };
    let all = a.flag("--all-topic-partitions");
    let topic = a.flag("--topic");
    let partition = a.flag("--partition");
    if let Some(all) = all {
        if let Some(g) = topic.or(partition) {
            let (first, second) = if (g.at.line, g.at.col) < (all.at.line, all.at.col) {
                (g, all)
            } else {
                (all, g)
            };
            return Err(error(
                second.at,
                format!("{} cannot be combined with {}", second.name, first.name),
            ));
        }
        return command(Command::ElectLeaders {
            election,
            partition: None,
        });
    }
    let partition = match (topic, partition) {
        (Some(_), Some(_)) => TopicPartition {
            topic: a.text("--topic").unwrap_or_default().into(),
            partition: i32::try_from(a.int("--partition").unwrap_or_default()).unwrap_or_default(),
        },
        (Some(t), None) => return Err(error(t.at, "--topic needs --partition P as well")),
        (None, Some(p)) => return Err(error(p.at, "--partition needs --topic TOPIC as well")),
        (None, None) => {
            return Err(error(
                a.head,
                "kafka-leader-election.sh needs --topic TOPIC --partition P, or \
                 --all-topic-partitions",
            ))
        }
    };
    command(Command::ElectLeaders {
        election,
        partition: Some(partition),
    })
}

pub(super) fn build_describe_quorum(a: &Args) -> Result<Parsed, ParseError> {
    match (a.flag("--status"), a.flag("--replication")) {
        (Some(s), Some(r)) => {
            let (first, second) = if (s.at.line, s.at.col) < (r.at.line, r.at.col) {
                (s, r)
            } else {
                (r, s)
            };
            Err(error(
                second.at,
                format!("{} cannot be combined with {}", second.name, first.name),
            ))
        }
        (Some(_), None) => command(Command::DescribeQuorum { replication: false }),
        (None, Some(_)) => command(Command::DescribeQuorum { replication: true }),
        (None, None) => Err(error(
            a.head,
            "kafka-metadata-quorum.sh describe needs --status or --replication",
        )),
    }
}

pub(super) fn build_produce(a: &Args) -> Result<Parsed, ParseError> {
    let partition = a
        .partition("PARTITION")
        .ok_or_else(|| a.missing("PARTITION"))?;
    let acks = match a.choice("--acks") {
        Some("0") => Acks::None,
        Some("1") => Acks::Leader,
        _ => Acks::All,
    };
    command(Command::Produce {
        partition,
        count: i32::try_from(a.need_int("--count")?).unwrap_or(1),
        acks,
        key: a.text("--key"),
        value: a.text("--value"),
        timeout_ms: a.need_int("--timeout-ms")?,
    })
}

pub(super) fn build_consume(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Consume {
        partition: a
            .partition("PARTITION")
            .ok_or_else(|| a.missing("PARTITION"))?,
        from_offset: a.need_int("--from")?,
    })
}

/// "--b cannot be combined with --a", pointing at whichever of the two comes second.
pub(super) fn conflict(x: &Got, y: &Got) -> ParseError {
    let (first, second) = if (x.at.line, x.at.col) <= (y.at.line, y.at.col) {
        (x, y)
    } else {
        (y, x)
    };
    error(
        second.at,
        format!("{} cannot be combined with {}", second.name, first.name),
    )
}

/// The one of these flags that is given, if any; an error if two are.
pub(super) fn at_most_one<'a>(a: &'a Args, names: &[&str]) -> Result<Option<&'a Got>, ParseError> {
    let mut given: Vec<&Got> = names.iter().filter_map(|n| a.flag(n)).collect();
    crate::sort::sort_by_key(&mut given, |g| (g.at.line, g.at.col));
    match given.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        [first, second, ..] => Err(conflict(first, second)),
    }
}

/// The sandbox knobs `consumer set` can change on a running consumer.
pub(super) fn running_consumer_configs() -> impl Iterator<Item = &'static ConfigDef> {
    CONSUMER_CONFIGS.iter().filter(|c| c.dynamic)
}

/// A consumer config as `consumer start --consumer-property` and `consumer set` take it: a
/// config Kafka's consumer (or the sandbox) has, with a value of its type, checked as Kafka's
/// `ConfigDef` checks it. A sandbox knob may be named without its `sandbox.` prefix; the
/// result always has the full name. `running`: only what can change on a running consumer.
pub(super) fn consumer_property(
    p: &Piece,
    subject: &str,
    running: bool,
) -> Result<(String, String), ParseError> {
    parse_pair(p, subject)?;
    let eq = p.find('=').unwrap_or_default();
    let key = p.slice(0, eq);
    let value = p.slice(eq + 1, p.len());
    let def = consumer_config(&key.text)
        .or_else(|| consumer_config(&format!("sandbox.{}", key.text)))
        .filter(|d| !running || d.dynamic || d.name == key.text);
    let Some(def) = def else {
        if !running && key.text == "group.id" {
            return Err(error(
                key.start,
                format!("{subject}: give the group with --group GROUP rather than group.id"),
            ));
        }
        if key.text == "client.id" {
            return Err(error(
                key.start,
                format!("{subject}: a consumer's client.id is its NAME"),
            ));
        }
        let names: Vec<&str> = if running {
            running_consumer_configs().map(|c| c.name).collect()
        } else {
            CONSUMER_CONFIGS.iter().map(|c| c.name).collect()
        };
        return Err(error_with(
            key.start,
            format!("{subject}: unknown consumer config `{}`", show(&key.text)),
            suggest(&key.text, names.iter().copied()),
        ));
    };
    if running && !def.dynamic {
        let knobs: Vec<&str> = running_consumer_configs().map(|c| c.name).collect();
        return Err(error(
            key.start,
            format!(
                "{subject}: {} is fixed when the consumer starts (consumer start \
                 --consumer-property); a running consumer can change only {}",
                def.name,
                knobs.join(" and ")
            ),
        ));
    }
    if let Err(message) = crate::config::validate(def, &value.text) {
        return Err(error(value.start, format!("{subject}: {message}")));
    }
    Ok((def.name.to_string(), value.text))
}

pub(super) fn need_name(a: &Args, name: &str) -> Result<String, ParseError> {
    a.text(name).ok_or_else(|| a.missing(name))
}

pub(super) fn build_consumer_start(a: &Args) -> Result<Parsed, ParseError> {
    let name = need_name(a, "NAME")?;
    let mut topics: Vec<String> = Vec::new();
    let mut assign: Vec<TopicPartition> = Vec::new();
    for g in &a.flags {
        match (&g.val, g.name) {
            (Val::Names(list), "--topic") => {
                if let Some(t) = list.iter().find(|t| topics.contains(t)) {
                    return Err(error(
                        g.piece.start,
                        format!("--topic: `{}` is given twice", show(t)),
                    ));
                }
                topics.extend(list.iter().cloned());
            }
            (Val::Partitions(list), _) => {
                if let Some(tp) = list.iter().find(|tp| assign.contains(tp)) {
                    return Err(error(
                        g.piece.start,
                        format!("--assign: `{tp}` is given twice"),
                    ));
                }
                assign.extend(list.iter().cloned());
            }
            _ => {}
        }
    }
    let properties = consumer_properties(a)?;
    let group = a.text("--group");
    match (a.flag("--topic"), a.flag("--assign")) {
        (Some(t), Some(s)) => {
            let mut e = conflict(t, s);
            e.message
                .push_str(": a consumer either subscribes to topics or is assigned partitions");
            return Err(e);
        }
        (Some(t), None) if group.is_none() => {
            return Err(error(
                t.at,
                "--topic needs --group GROUP: a consumer subscribes to topics through a group \
                 (or use --assign PARTITION,... to read partitions without one)",
            ))
        }
        (None, None) => {
            return Err(error(
                a.head,
                "consumer start needs --topic TOPIC,... --group GROUP (to subscribe) or \
                 --assign PARTITION,... (to read given partitions)",
            ))
        }
        _ => {}
    }
    command(Command::ConsumerStart {
        name,
        group,
        topics,
        assign,
        properties,
    })
}

pub(super) fn build_delete_records(a: &Args) -> Result<Parsed, ParseError> {
    let flag = "--offset-json-file";
    let got = a.flag(flag).ok_or_else(|| a.missing(flag))?;
    let text = a.text(flag).unwrap_or_default();
    let offsets = super::json::delete_records_offsets(&text)
        .map_err(|why| super::error(got.piece.start, format!("{flag}: {why}")))?;
    command(Command::DeleteRecords { offsets })
}

pub(super) fn build_dump_log(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::DumpLog {
        partition: a.partition("--files").ok_or_else(|| a.missing("--files"))?,
        broker: a.int("--broker").and_then(|b| NodeId::try_from(b).ok()),
        print_data_log: a.flag("--print-data-log").is_some(),
    })
}

pub(super) fn build_producer_start(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ProducerStart {
        name: need_name(a, "NAME")?,
        properties: producer_properties(a)?,
    })
}

/// The `--producer-property KEY=VALUE` flags, each key once.
fn producer_properties(a: &Args) -> Result<Vec<(String, String)>, ParseError> {
    config_flags(a, "--producer-property", producer_property)
}

/// The configs given with `flag` (`--consumer-property` or `--producer-property`), each read
/// and checked by `read`, each key at most once.
fn config_flags(
    a: &Args,
    flag: &str,
    read: impl Fn(&Piece) -> Result<(String, String), ParseError>,
) -> Result<Vec<(String, String)>, ParseError> {
    let mut properties: Vec<(String, String)> = Vec::new();
    for g in a.flags.iter().filter(|g| g.name == flag) {
        let (key, value) = read(&g.piece)?;
        if properties.iter().any(|(k, _)| *k == key) {
            return Err(error(
                g.piece.start,
                format!("{flag}: `{key}` is given twice"),
            ));
        }
        properties.push((key, value));
    }
    Ok(properties)
}

/// A producer config as `producer start --producer-property` takes it, checked as Kafka's
/// `ConfigDef` checks it.
pub(super) fn producer_property(p: &Piece) -> Result<(String, String), ParseError> {
    let subject = "--producer-property";
    parse_pair(p, subject)?;
    let eq = p.find('=').unwrap_or_default();
    let key = p.slice(0, eq);
    let value = p.slice(eq + 1, p.len());
    let Some(def) = producer_config(&key.text) else {
        if key.text == "client.id" {
            return Err(error(
                key.start,
                format!("{subject}: a producer's client.id is its NAME"),
            ));
        }
        return Err(error_with(
            key.start,
            format!("{subject}: unknown producer config `{}`", show(&key.text)),
            suggest(&key.text, PRODUCER_CONFIGS.iter().map(|c| c.name)),
        ));
    };
    if let Err(message) = crate::config::validate(def, &value.text) {
        return Err(error(value.start, format!("{subject}: {message}")));
    }
    Ok((def.name.to_string(), value.text))
}

pub(super) fn build_producer_send(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ProducerSend {
        name: need_name(a, "NAME")?,
        topic: need_name(a, "TOPIC")?,
        count: i32::try_from(a.need_int("--count")?).unwrap_or(1),
        key: a.text("--key"),
        value: a.text("--value"),
        partition: a.int("--partition").and_then(|p| i32::try_from(p).ok()),
    })
}

pub(super) fn producer_action_command(
    a: &Args,
    action: ProducerAction,
) -> Result<Parsed, ParseError> {
    command(Command::ProducerAction {
        name: need_name(a, "NAME")?,
        action,
    })
}

pub(super) fn build_producer_flush(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Flush)
}

pub(super) fn build_producer_begin(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Begin)
}

pub(super) fn build_producer_commit(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Commit)
}

pub(super) fn build_producer_abort(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Abort)
}

pub(super) fn build_producer_stop(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Stop)
}

pub(super) fn build_producer_crash(a: &Args) -> Result<Parsed, ParseError> {
    producer_action_command(a, ProducerAction::Crash)
}

pub(super) fn build_producer_restart(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ProducerRestart {
        name: need_name(a, "NAME")?,
        properties: producer_properties(a)?,
    })
}

pub(super) fn build_producer_send_offsets(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ProducerSendOffsets {
        name: need_name(a, "NAME")?,
        group: need_name(a, "--group")?,
    })
}

pub(super) fn build_consumer_stop(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerStop {
        name: need_name(a, "NAME")?,
    })
}

pub(super) fn build_consumer_crash(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerCrash {
        name: need_name(a, "NAME")?,
    })
}

pub(super) fn build_consumer_restart(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerRestart {
        name: need_name(a, "NAME")?,
        properties: consumer_properties(a)?,
    })
}

/// The `--consumer-property KEY=VALUE` flags, each key once.
fn consumer_properties(a: &Args) -> Result<Vec<(String, String)>, ParseError> {
    config_flags(a, "--consumer-property", |p| {
        consumer_property(p, "--consumer-property", false)
    })
}

pub(super) fn build_consumer_set(a: &Args) -> Result<Parsed, ParseError> {
    let name = need_name(a, "NAME")?;
    let setting = a.arg("KEY=VALUE").ok_or_else(|| a.missing("KEY=VALUE"))?;
    let (key, value) = consumer_property(&setting.piece, "consumer set", true)?;
    command(Command::ConsumerSet { name, key, value })
}

pub(super) fn build_groups_list(_: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerGroups(GroupsCommand::List))
}

pub(super) fn build_groups_describe(a: &Args) -> Result<Parsed, ParseError> {
    let group = need_name(a, "--group")?;
    let what = match at_most_one(a, &["--offsets", "--members", "--state"])? {
        Some(g) if g.name == "--members" => DescribeGroup::Members {
            verbose: a.flag("--verbose").is_some(),
        },
        Some(g) if g.name == "--state" => DescribeGroup::State,
        _ => DescribeGroup::Offsets,
    };
    if let Some(v) = a.flag("--verbose") {
        if !matches!(what, DescribeGroup::Members { .. }) {
            return Err(error(
                v.at,
                "--verbose works with --members only: add --members to see each member's \
                 assignment",
            ));
        }
    }
    command(Command::ConsumerGroups(GroupsCommand::Describe {
        group,
        what,
    }))
}

pub(super) fn build_groups_reset(a: &Args) -> Result<Parsed, ParseError> {
    let group = need_name(a, "--group")?;
    let topics = match at_most_one(a, &["--topic", "--all-topics"])? {
        Some(g) if g.name == "--all-topics" => None,
        Some(_) => Some(
            a.flags
                .iter()
                .filter_map(|g| match &g.val {
                    Val::TopicScope(t, ps) => Some((t.clone(), ps.clone())),
                    _ => None,
                })
                .collect(),
        ),
        None => {
            return Err(error(
                a.head,
                "kafka-consumer-groups.sh --reset-offsets needs --topic TOPIC or --all-topics \
                 (Kafka: One of the reset scopes should be defined: --all-topics, --topic.)",
            ))
        }
    };
    let scenarios = ["--to-earliest", "--to-latest", "--to-offset", "--shift-by"];
    let to = match at_most_one(a, &scenarios)?.map(|g| g.name) {
        Some("--to-earliest") => ResetTo::Earliest,
        Some("--to-latest") => ResetTo::Latest,
        Some("--to-offset") => ResetTo::Offset(a.need_int("--to-offset")?),
        Some(_) => ResetTo::ShiftBy(a.need_int("--shift-by")?),
        None => {
            return Err(error(
                a.head,
                "kafka-consumer-groups.sh --reset-offsets needs one of --to-earliest, \
                 --to-latest, --to-offset N, --shift-by N",
            ))
        }
    };
    let execute = match (a.flag("--dry-run"), a.flag("--execute")) {
        (Some(d), Some(e)) => {
            let mut c = conflict(d, e);
            c.message
                .push_str(": --reset-offsets does one or the other (--dry-run is the default)");
            return Err(c);
        }
        (_, e) => e.is_some(),
    };
    command(Command::ConsumerGroups(GroupsCommand::ResetOffsets {
        group,
        topics,
        to,
        execute,
    }))
}

pub(super) fn build_groups_delete(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ConsumerGroups(GroupsCommand::Delete {
        group: need_name(a, "--group")?,
    }))
}

pub(super) fn build_crash(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Crash {
        node: a.need_node("NODE")?,
    })
}

pub(super) fn build_restart(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Restart {
        node: a.need_node("NODE")?,
    })
}

pub(super) fn build_shutdown(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Shutdown {
        node: a.need_node("NODE")?,
    })
}

pub(super) const SIDES: &str = "NODE,... | NODE,...";

pub(super) fn build_partition(a: &Args) -> Result<Parsed, ParseError> {
    let (side_a, side_b) = a.sides(SIDES).ok_or_else(|| a.missing(SIDES))?;
    command(Command::Partition { side_a, side_b })
}

pub(super) fn build_heal(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Heal {
        sides: a.sides(SIDES),
    })
}

pub(super) fn build_slow(a: &Args) -> Result<Parsed, ParseError> {
    let x = a.need_node("A")?;
    let y = a.need_node("B")?;
    if x == y {
        let at = a.arg("B").map_or(a.head, |g| g.at);
        return Err(error(
            at,
            format!("slow needs two different nodes, got {x} twice"),
        ));
    }
    command(Command::SlowLink {
        a: x,
        b: y,
        latency_ms: a.need_int("--latency-ms")?,
    })
}

pub(super) fn build_pause_fetch(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::PauseFetch {
        broker: a.need_node("BROKER")?,
        partition: a.partition("PARTITION"),
    })
}

pub(super) fn build_resume_fetch(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::ResumeFetch {
        broker: a.need_node("BROKER")?,
        partition: a.partition("PARTITION"),
    })
}

pub(super) fn build_step(a: &Args) -> Result<Parsed, ParseError> {
    match a.flag("--until") {
        Some(_) => {
            if let Some(n) = a.arg("N") {
                return Err(error(
                    n.at,
                    "step N cannot be combined with --until: use --max N to limit the steps",
                ));
            }
            let Some(filter) = a.choice("--until").and_then(EventFilter::from_word) else {
                return Err(a.missing("--until"));
            };
            command(Command::StepUntil {
                filter,
                max_steps: a.need_int("--max")?,
            })
        }
        None => {
            if let Some(max) = a.flag("--max") {
                return Err(error(max.at, "--max only works with --until EVENT"));
            }
            command(Command::Step {
                count: a.need_int("N")?,
            })
        }
    }
}

pub(super) fn build_run(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Run {
        duration_ms: a.need_int("DURATION")?,
    })
}

pub(super) fn build_back(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Back {
        steps: a.need_int("N")?,
    })
}

pub(super) fn build_seek(a: &Args) -> Result<Parsed, ParseError> {
    command(Command::Seek {
        step: a.need_int("N")?,
    })
}

pub(super) fn build_fork(_: &Args) -> Result<Parsed, ParseError> {
    command(Command::Fork)
}
