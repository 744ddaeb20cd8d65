//! Text output shaped like Kafka's own tools, so what the sandbox prints reads like a real
//! cluster's answer.

use crate::sorted::SortedMap;
use std::fmt::Write;

use crate::command::{ConfigEntity, DescribeGroup, GroupsCommand, ResetTo, TopicPartition};
use crate::config::{Scope, CONFIGS};
use crate::metadata::MetadataImage;
use crate::view::{ClusterView, GroupStateView, GroupView, MemberView};

fn join(ids: impl IntoIterator<Item = i32>) -> String {
    ids.into_iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// What `kafka-topics.sh --describe` prints for every topic (`TopicCommand.describeTopic`):
/// a summary line per topic, then one tab-separated line per partition.
pub fn describe_topics(view: &ClusterView) -> String {
    let mut out = String::new();
    for topic in &view.topics {
        let replication_factor = topic.partitions.first().map_or(0, |p| p.replicas.len());
        let configs: Vec<String> = topic
            .configs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let id = if topic.topic_id.is_empty() {
            String::new()
        } else {
            format!("\tTopicId: {}", topic.topic_id)
        };
        let _ = writeln!(
            out,
            "Topic: {}{id}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}",
            topic.name,
            topic.partitions.len(),
            replication_factor,
            configs.join(",")
        );
        for p in &topic.partitions {
            let _ = writeln!(
                out,
                "\tTopic: {}\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}\tElr: \tLastKnownElr: ",
                topic.name,
                p.partition,
                p.leader.map_or("none".to_string(), |l| l.to_string()),
                join(p.replicas.iter().map(|r| r.broker)),
                join(p.isr.iter().copied()),
            );
        }
    }
    out
}

/// What `kafka-configs.sh --describe` prints: the explicitly set configs of one entity
/// (`ConfigCommand.describeResourceConfig`), then, as the sandbox's addition, the defaults in
/// force for the rest.
pub fn describe_configs(image: &MetadataImage, entity: &ConfigEntity) -> String {
    let mut out = String::new();
    let (label, set, scope) = match entity {
        ConfigEntity::Topic(t) => (
            format!("Dynamic configs for topic {t} are:"),
            image.topic_configs.get(t).cloned().unwrap_or_default(),
            Scope::Topic,
        ),
        ConfigEntity::Broker(None) => (
            "Default configs for brokers in the cluster are:".to_string(),
            image.broker_configs.clone(),
            Scope::Broker,
        ),
        ConfigEntity::Broker(Some(b)) => (
            format!("Dynamic configs for broker {b} are:"),
            image.broker_configs.clone(),
            Scope::Broker,
        ),
    };
    let _ = writeln!(out, "{label}");
    for (name, value) in &set {
        let _ = writeln!(
            out,
            "  {name}={value} sensitive=false synonyms={{DYNAMIC:{name}={value}}}"
        );
    }
    let defaults: Vec<_> = CONFIGS
        .iter()
        .filter(|c| c.scope == scope && !set.contains_key(c.name))
        .collect();
    if !defaults.is_empty() {
        let _ = writeln!(out, "Defaults in force (not set explicitly):");
        for c in defaults {
            // A topic config not set on the topic takes the cluster-wide broker default when
            // one is set (Kafka's DYNAMIC_DEFAULT_BROKER_CONFIG synonym), else Kafka's default.
            match entity {
                ConfigEntity::Topic(t) if image.broker_configs.contains_key(c.name) => {
                    let _ = writeln!(
                        out,
                        "  {}={} (the cluster-wide default for brokers; Kafka's default is {})",
                        c.name,
                        image.topic_config(t, c.name),
                        c.default
                    );
                }
                _ => {
                    let _ = writeln!(out, "  {}={}", c.name, c.default);
                }
            }
        }
    }
    out
}

/// The whole state as the CLI prints it at the end of a run: controllers, brokers, then the
/// `kafka-topics.sh --describe` lines with each replica's log start, HW and LEO.
pub fn describe_cluster(view: &ClusterView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Controllers:");
    for c in &view.controllers {
        let _ = writeln!(
            out,
            "  controller {}\t{}\tepoch {}\tlog end {}\tHW {}",
            c.id,
            c.role.map_or("Down", |r| r.name()),
            c.epoch,
            c.log_end_offset,
            c.high_watermark
        );
    }
    let _ = writeln!(out, "Brokers:");
    for b in &view.brokers {
        let state = match (b.alive, b.fenced) {
            (false, _) => "down",
            (true, true) => "fenced",
            (true, false) => "running",
        };
        let _ = writeln!(
            out,
            "  broker {}\t{}\track {}",
            b.id,
            state,
            b.rack.as_deref().unwrap_or("-")
        );
    }
    out.push_str(&describe_topics(view));
    for topic in &view.topics {
        for p in &topic.partitions {
            for r in &p.replicas {
                let _ = writeln!(
                    out,
                    "\t\t{}-{} on broker {}{}\tlog start {}\tHW {}\tLEO {}{}",
                    topic.name,
                    p.partition,
                    r.broker,
                    if r.is_leader { " (leader)" } else { "" },
                    r.log_start_offset,
                    r.high_watermark,
                    r.log_end_offset,
                    if r.truncated > 0 {
                        format!("\ttruncated {}", r.truncated)
                    } else {
                        String::new()
                    }
                );
                if r.last_stable_offset != r.high_watermark {
                    out.pop();
                    let _ = writeln!(out, "\tLSO {}", r.last_stable_offset);
                }
            }
        }
    }
    if !view.producer_clients.is_empty() {
        let _ = writeln!(out, "Producers:");
        for p in &view.producer_clients {
            let id = if p.producer_id >= 0 {
                format!("producer id {} epoch {}", p.producer_id, p.producer_epoch)
            } else {
                "no producer id".to_string()
            };
            let _ = writeln!(
                out,
                "  {}	{}	acks={}	{}{}	sent {}	acked {}	failed {}	retries {}	waiting {} batch(es), {} in flight",
                p.name,
                p.state,
                p.acks,
                id,
                p.transactional_id
                    .as_ref()
                    .map_or(String::new(), |t| format!("\ttransactional.id {t}")),
                p.records_sent,
                p.records_acked,
                p.records_failed,
                p.retries,
                p.batches.len(),
                p.in_flight.len()
            );
        }
    }
    if !view.transactions.is_empty() {
        let _ = writeln!(out, "Transactions:");
        for t in &view.transactions {
            let parts: Vec<String> = t.partitions.iter().map(|tp| tp.to_string()).collect();
            let _ = writeln!(
                out,
                "  {}	coordinator {} ({}-{})	producer id {} epoch {}	{}{}",
                t.transactional_id,
                t.coordinator,
                crate::coordinator::txn::TRANSACTION_STATE_TOPIC,
                t.state_partition,
                t.producer_id,
                t.producer_epoch,
                t.state,
                if parts.is_empty() {
                    String::new()
                } else {
                    format!("\t{}", parts.join(", "))
                }
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// kafka-consumer-groups.sh (`ConsumerGroupCommand` and `GroupOffsetsResetter` in apache/kafka)

/// `ConsumerGroupCommand.MISSING_COLUMN_VALUE`: what a column shows when there is no value.
const MISSING: &str = "-";

/// Java's `%-Ns`: left-aligned and padded with spaces to `width` characters, never cut.
fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

/// The widest of `min` and the values' lengths, as the tool sizes a column.
fn width<'a>(min: usize, values: impl IntoIterator<Item = &'a str>) -> usize {
    values
        .into_iter()
        .map(|v| v.chars().count())
        .fold(min, usize::max)
}

/// The printed form of an `Option<i64>` column.
fn or_missing(value: Option<i64>) -> String {
    value.map_or(MISSING.to_string(), |v| v.to_string())
}

/// What the tool prints when the admin call fails because no broker coordinates the group.
fn coordinator_not_available() -> String {
    "Error: Executing consumer group command failed due to \
     org.apache.kafka.common.errors.CoordinatorNotAvailableException: The coordinator is not \
     available."
        .to_string()
}

/// A group that exists (a Dead group does not), with a coordinator to answer for it.
fn live_group<'a>(view: &'a ClusterView, group: &str) -> Result<&'a GroupView, String> {
    let g = view
        .groups
        .iter()
        .find(|g| g.group_id == group && g.state != GroupStateView::Dead)
        .ok_or_else(|| format!("Error: Consumer group '{group}' does not exist."))?;
    if g.coordinator.is_none() {
        return Err(coordinator_not_available());
    }
    Ok(g)
}

/// What `shouldPrintMemberState` writes (to stderr) before a group's table: a note for an
/// empty or rebalancing group, after a blank line.
fn state_note(group: &GroupView) -> String {
    let id = &group.group_id;
    if group.state == GroupStateView::Empty {
        format!("\nConsumer group '{id}' has no active members.\n")
    } else if group.state.is_rebalancing() {
        format!("\nWarning: Consumer group '{id}' is rebalancing.\n")
    } else {
        String::new()
    }
}

/// The partition as the view's topics have it, if the topic and partition exist.
fn partition_view<'a>(
    view: &'a ClusterView,
    topic: &str,
    partition: i32,
) -> Option<&'a crate::view::PartitionView> {
    view.topics
        .iter()
        .find(|t| t.name == topic)?
        .partitions
        .iter()
        .find(|p| p.partition == partition)
        .map(|p| &**p)
}

/// LOG-END-OFFSET of a partition: what ListOffsets LATEST answers (the leader's high
/// watermark); unknown for a partition without a leader.
fn log_end_offset(view: &ClusterView, group: &GroupView, tp: &TopicPartition) -> Option<i64> {
    let partition = partition_view(view, &tp.topic, tp.partition);
    if partition.is_some_and(|p| p.leader_replica().is_none()) {
        return None;
    }
    group
        .offsets
        .iter()
        .find(|o| *o.topic == *tp.topic && o.partition == tp.partition)
        .map(|o| o.log_end_offset)
        .or_else(|| {
            partition
                .and_then(|p| p.leader_replica())
                .map(|r| r.high_watermark)
        })
}

fn committed_offset(group: &GroupView, tp: &TopicPartition) -> Option<i64> {
    group
        .offsets
        .iter()
        .find(|o| *o.topic == *tp.topic && o.partition == tp.partition)
        .and_then(|o| o.committed)
}

/// What `kafka-consumer-groups.sh` prints for `command`, from the view (`ConsumerGroupCommand`
/// in Kafka 4): its stdout and stderr together, blank lines included, as a terminal shows them.
///
/// `Err` is the tool's error line (`Error: Consumer group 'G' does not exist.`). For
/// `--reset-offsets` this is the plan ([`reset_offsets_plan`], [`format_reset_plan`]), printed
/// the same with or without `--execute`; committing it is the caller's job. For `--delete` it
/// is the outcome of deleting the group as the view has it before the deletion.
pub fn describe_groups(view: &ClusterView, command: &GroupsCommand) -> Result<String, String> {
    match command {
        GroupsCommand::List => Ok(view
            .groups
            .iter()
            .filter(|g| g.state != GroupStateView::Dead)
            .map(|g| format!("{}\n", g.group_id))
            .collect()),
        GroupsCommand::Describe { group, what } => {
            let g = live_group(view, group)?;
            Ok(match what {
                DescribeGroup::Offsets => describe_group_offsets(view, g),
                DescribeGroup::Members { verbose } => describe_group_members(g, *verbose),
                DescribeGroup::State => describe_group_state(g),
            })
        }
        GroupsCommand::ResetOffsets {
            group, topics, to, ..
        } => {
            let plan = reset_offsets_plan(view, group, topics.as_deref(), *to)?;
            Ok(format_reset_plan(group, &plan))
        }
        GroupsCommand::Delete { group } => {
            let cause = match view
                .groups
                .iter()
                .find(|g| g.group_id == *group && g.state != GroupStateView::Dead)
            {
                None => "GroupIdNotFoundException: The group id does not exist.",
                Some(g) if g.coordinator.is_none() => {
                    "CoordinatorNotAvailableException: The coordinator is not available."
                }
                Some(g) if g.state != GroupStateView::Empty => {
                    "GroupNotEmptyException: The group is not empty."
                }
                Some(_) => {
                    return Ok(format!(
                        "Deletion of requested consumer groups ('{group}') was successful.\n"
                    ))
                }
            };
            Err(format!(
                "Error: Deletion of some consumer groups failed:\n* Group '{group}' could not be \
                 deleted due to: org.apache.kafka.common.errors.{cause}"
            ))
        }
    }
}

/// `--describe [--offsets]`: one line per assigned partition (members with the most
/// partitions first), then the partitions with a committed offset that nobody owns.
fn describe_group_offsets(view: &ClusterView, group: &GroupView) -> String {
    let mut rows: Vec<[String; 9]> = Vec::new();
    let mut row = |tp: &TopicPartition, consumer: &str, host: &str, client: &str| {
        let committed = committed_offset(group, tp);
        let end = log_end_offset(view, group, tp);
        let lag = committed
            .filter(|&c| c != -1)
            .and_then(|c| end.map(|e| e - c));
        rows.push([
            group.group_id.clone(),
            tp.topic.to_string(),
            tp.partition.to_string(),
            or_missing(committed),
            or_missing(end),
            or_missing(lag),
            consumer.to_string(),
            host.to_string(),
            client.to_string(),
        ]);
    };
    let mut members: Vec<&MemberView> = group
        .members
        .iter()
        .filter(|m| !m.assigned.is_empty())
        .collect();
    crate::sort::sort_by_key(&mut members, |m| std::cmp::Reverse(m.assigned.len()));
    for m in &members {
        let mut assigned = m.assigned.clone();
        crate::sort::sort(&mut assigned);
        for tp in &assigned {
            row(tp, &m.member_id, &m.host, &m.client_id);
        }
    }
    let mut unowned: Vec<TopicPartition> = group
        .offsets
        .iter()
        .filter(|o| o.committed.is_some())
        .map(|o| TopicPartition::new(o.topic.clone(), o.partition))
        .filter(|tp| !members.iter().any(|m| m.assigned.contains(tp)))
        .collect();
    crate::sort::sort(&mut unowned);
    unowned.dedup();
    for tp in &unowned {
        row(tp, MISSING, MISSING, MISSING);
    }

    let mut out = state_note(group);
    if rows.is_empty() {
        return out;
    }
    let g = width(15, rows.iter().map(|r| r[0].as_str()));
    let t = width(15, rows.iter().map(|r| r[1].as_str()));
    let c = width(15, rows.iter().map(|r| r[6].as_str()));
    let h = width(15, rows.iter().map(|r| r[7].as_str()));
    let header = [
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST",
        "CLIENT-ID",
    ]
    .map(str::to_string);
    for r in std::iter::once(&header).chain(&rows) {
        let _ = write!(
            out,
            "\n{} {} {} {} {} {} {} {} {}",
            pad(&r[0], g),
            pad(&r[1], t),
            pad(&r[2], 10),
            pad(&r[3], 15),
            pad(&r[4], 15),
            pad(&r[5], 15),
            pad(&r[6], c),
            pad(&r[7], h),
            r[8]
        );
    }
    out.push('\n');
    out
}

/// `getAssignmentString`: `topic:0,1;other:2`, each topic's partitions sorted, topics sorted.
fn assignment_string(assignment: &[TopicPartition]) -> String {
    if assignment.is_empty() {
        return MISSING.to_string();
    }
    let mut by_topic: SortedMap<&str, Vec<i32>> = SortedMap::new();
    for tp in assignment {
        by_topic.entry(&tp.topic).or_default().push(tp.partition);
    }
    let mut parts: Vec<String> = by_topic
        .into_iter()
        .map(|(topic, mut ps)| {
            crate::sort::sort(&mut ps);
            let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
            format!("{topic}:{}", ps.join(","))
        })
        .collect();
    crate::sort::sort(&mut parts);
    parts.join(";")
}

/// `--describe --members [--verbose]`.
fn describe_group_members(group: &GroupView, verbose: bool) -> String {
    let consumer_protocol = group.protocol_type == "consumer";
    let instance = |m: &MemberView| m.group_instance_id.clone().unwrap_or_default();
    let with_instance = group.members.iter().any(|m| !instance(m).is_empty());
    let members = &group.members;
    let g = width(15, members.iter().map(|_| group.group_id.as_str()));
    let c = width(15, members.iter().map(|m| m.member_id.as_str()));
    let instances: Vec<String> = members.iter().map(instance).collect();
    let i = width(17, instances.iter().map(String::as_str));
    let h = width(15, members.iter().map(|m| m.host.as_str()));
    let cl = width(15, members.iter().map(|m| m.client_id.as_str()));
    // Classic members have no epochs or target assignment in the describe answer; for the
    // consumer protocol the view carries the member's current assignment and the group epoch.
    let verbose_cols = |m: &MemberView| -> [String; 4] {
        let current = assignment_string(&m.assigned);
        if consumer_protocol {
            [
                m.epoch.to_string(),
                current.clone(),
                group.generation.to_string(),
                current,
            ]
        } else {
            [
                MISSING.to_string(),
                current,
                MISSING.to_string(),
                MISSING.to_string(),
            ]
        }
    };
    let details: Vec<[String; 4]> = members.iter().map(verbose_cols).collect();
    let ca = width(20, details.iter().map(|d| d[1].as_str()));
    let ta = width(20, details.iter().map(|d| d[3].as_str()));
    let line = |group: &str, id: &str, inst: &str, host: &str, client: &str, n: &str| {
        if with_instance {
            format!(
                "{} {} {} {} {} {} ",
                pad(group, g),
                pad(id, c),
                pad(inst, i),
                pad(host, h),
                pad(client, cl),
                pad(n, 15)
            )
        } else {
            format!(
                "{} {} {} {} {} ",
                pad(group, g),
                pad(id, c),
                pad(host, h),
                pad(client, cl),
                pad(n, 15)
            )
        }
    };
    let extra = |d: [&str; 4]| {
        format!(
            "{} {} {} {}",
            pad(d[0], 15),
            pad(d[1], ca),
            pad(d[2], 15),
            pad(d[3], ta)
        )
    };

    let mut out = state_note(group);
    out.push('\n');
    out.push_str(&line(
        "GROUP",
        "CONSUMER-ID",
        "GROUP-INSTANCE-ID",
        "HOST",
        "CLIENT-ID",
        "#PARTITIONS",
    ));
    if verbose {
        out.push_str(&extra([
            "CURRENT-EPOCH",
            "CURRENT-ASSIGNMENT",
            "TARGET-EPOCH",
            "TARGET-ASSIGNMENT",
        ]));
    }
    out.push('\n');
    for ((m, inst), d) in members.iter().zip(&instances).zip(&details) {
        out.push_str(&line(
            &group.group_id,
            &m.member_id,
            inst,
            &m.host,
            &m.client_id,
            &m.assigned.len().to_string(),
        ));
        if verbose {
            out.push_str(&extra([&d[0], &d[1], &d[2], &d[3]]));
        }
        out.push('\n');
    }
    out
}

/// `--describe --state`; the coordinator as `host:port  (id)`, a broker's host being
/// `broker-N` here.
fn describe_group_state(group: &GroupView) -> String {
    let coordinator = group
        .coordinator
        .map_or(String::new(), |id| format!("broker-{id}:9092  ({id})"));
    let g = width(15, [group.group_id.as_str()]);
    let c = width(25, [coordinator.as_str()]);
    let strategy = group.assignor.as_deref().unwrap_or(MISSING);
    let mut out = state_note(group);
    let members = group.members.len().to_string();
    for r in [
        [
            "GROUP",
            "COORDINATOR (ID)",
            "ASSIGNMENT-STRATEGY",
            "STATE",
            "#MEMBERS",
        ],
        [
            &group.group_id,
            &coordinator,
            strategy,
            group.state.name(),
            &members,
        ],
    ] {
        let _ = write!(
            out,
            "\n{} {} {} {} {}",
            pad(r[0], g),
            pad(r[1], c),
            pad(r[2], 20),
            pad(r[3], 20),
            r[4]
        );
    }
    out.push('\n');
    out
}

/// One `--topic` of `--reset-offsets`: a topic and, if given, some of its partitions.
pub type TopicScope = (String, Option<Vec<i32>>);

/// The new committed offsets `--reset-offsets` sets, per partition in topic and partition
/// order, as `ConsumerGroupCommand.resetOffsets` and `GroupOffsetsResetter` compute them:
/// `--to-earliest` is the leader's log start offset, `--to-latest` its high watermark (what
/// ListOffsets LATEST answers), and `--to-offset`/`--shift-by` (from the committed offset) are
/// moved into `[log start, high watermark]`. `topics` is `None` for `--all-topics`: every
/// partition the group has a committed offset for.
///
/// `Err` is what the tool prints instead: a group that is not Empty (or Dead) is refused, and
/// so are unknown partitions, partitions without a leader, and shifting a partition without a
/// committed offset. A group the cluster does not know can be reset, as in Kafka.
pub fn reset_offsets_plan(
    view: &ClusterView,
    group: &str,
    topics: Option<&[TopicScope]>,
    to: ResetTo,
) -> Result<Vec<(TopicPartition, i64)>, String> {
    let known = view
        .groups
        .iter()
        .find(|g| g.group_id == group && g.state != GroupStateView::Dead);
    if let Some(g) = known {
        if g.coordinator.is_none() {
            return Err(coordinator_not_available());
        }
        if g.state != GroupStateView::Empty {
            return Err(format!(
                "Error: Assignments can only be reset if the group '{group}' is inactive, but \
                 the current state is {}.",
                g.state
            ));
        }
    }
    let failed =
        |why: String| format!("Error: Executing consumer group command failed due to {why}");
    let mut partitions: Vec<TopicPartition> = match topics {
        None => known
            .map(|g| {
                g.offsets
                    .iter()
                    .filter(|o| o.committed.is_some())
                    .map(|o| TopicPartition::new(o.topic.clone(), o.partition))
                    .collect()
            })
            .unwrap_or_default(),
        Some(list) => {
            let mut out = Vec::new();
            for (topic, only) in list {
                let Some(t) = view.topics.iter().find(|t| t.name == *topic) else {
                    return Err(failed(
                        "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This \
                         server does not host this topic-partition."
                            .to_string(),
                    ));
                };
                match only {
                    Some(ps) => {
                        out.extend(ps.iter().map(|&p| TopicPartition::new(topic.as_str(), p)))
                    }
                    None => out.extend(
                        t.partitions
                            .iter()
                            .map(|p| TopicPartition::new(topic.as_str(), p.partition)),
                    ),
                }
            }
            out
        }
    };
    crate::sort::sort(&mut partitions);
    partitions.dedup();

    let list = |tps: Vec<&TopicPartition>| {
        tps.iter()
            .map(|tp| tp.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let missing: Vec<&TopicPartition> = partitions
        .iter()
        .filter(|tp| partition_view(view, &tp.topic, tp.partition).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(failed(format!(
            "The partitions \"{}\" do not exist",
            list(missing)
        )));
    }
    let leaderless: Vec<&TopicPartition> = partitions
        .iter()
        .filter(|tp| {
            partition_view(view, &tp.topic, tp.partition)
                .and_then(|p| p.leader_replica())
                .is_none()
        })
        .collect();
    if !leaderless.is_empty() {
        return Err(failed(format!(
            "The partitions \"{}\" have no leader",
            list(leaderless)
        )));
    }

    let mut plan = Vec::with_capacity(partitions.len());
    for tp in partitions {
        let (start, end) = partition_view(view, &tp.topic, tp.partition)
            .and_then(|p| p.leader_replica())
            .map_or((0, 0), |r| (r.log_start_offset, r.high_watermark));
        // `checkOffsetsRange`: above the log end goes to the log end, below the start to it.
        let clamp = |offset: i64| {
            if offset > end {
                end
            } else if offset < start {
                start
            } else {
                offset
            }
        };
        let offset = match to {
            ResetTo::Earliest => start,
            ResetTo::Latest => end,
            ResetTo::Offset(n) => clamp(n),
            ResetTo::ShiftBy(n) => {
                let committed = known
                    .and_then(|g| committed_offset(g, &tp))
                    .ok_or_else(|| {
                        format!(
                            "Cannot shift offset for partition {tp} since there is no current \
                         committed offset"
                        )
                    })?;
                clamp(committed.saturating_add(n))
            }
        };
        plan.push((tp, offset));
    }
    Ok(plan)
}

/// What `GroupOffsetsResetter.printOffsetsToReset` prints for one group's plan: a blank line,
/// then `GROUP TOPIC PARTITION NEW-OFFSET` and one line per partition.
pub fn format_reset_plan(group: &str, plan: &[(TopicPartition, i64)]) -> String {
    let g = width(15, [group]);
    let t = width(15, plan.iter().map(|(tp, _)| &*tp.topic));
    let mut out = String::new();
    let _ = write!(
        out,
        "\n{} {} {} NEW-OFFSET",
        pad("GROUP", g),
        pad("TOPIC", t),
        pad("PARTITION", 10)
    );
    for (tp, offset) in plan {
        let _ = write!(
            out,
            "\n{} {} {} {offset}",
            pad(group, g),
            pad(&tp.topic, t),
            pad(&tp.partition.to_string(), 10)
        );
    }
    out.push('\n');
    out
}

/// `kafka-dump-log.sh --files ... [--print-data-log]`: one line per record batch, shaped like
/// Kafka's `DumpLogSegments` (offsets, count, sequences, producer id and epoch, leader epoch,
/// transactional, control), then the records, and the replica's LSO and aborted index.
pub fn dump_log(
    tp: &crate::command::TopicPartition,
    broker: crate::command::NodeId,
    log: &crate::log::PartitionLog,
    print_data_log: bool,
) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "Dumping {tp} on broker {broker} (log start {}, HW {}, LSO {}, LEO {})\n",
        log.log_start_offset(),
        log.high_watermark(),
        log.last_stable_offset(),
        log.log_end_offset()
    );
    let records = log.records();
    let mut i = 0;
    while i < records.len() {
        let first = &records[i];
        let j = crate::record::batch_end(records, i);
        let batch: Vec<&crate::record::Record> = records.range(i..j).collect();
        let last = batch[batch.len() - 1];
        let (seqs, pid, epoch, txn, control) = match first.batch.as_deref() {
            Some(h) => (
                (h.base_sequence, h.last_sequence),
                h.producer_id,
                h.producer_epoch,
                h.transactional,
                h.control,
            ),
            None => ((-1, -1), -1, -1, false, None),
        };
        let _ = writeln!(
            out,
            "baseOffset: {} lastOffset: {} count: {} baseSequence: {} lastSequence: {} producerId: {pid} producerEpoch: {epoch} partitionLeaderEpoch: {} isTransactional: {txn} isControl: {} CreateTime: {}",
            first.offset,
            last.offset,
            batch.len(),
            seqs.0,
            seqs.1,
            first.leader_epoch,
            control.is_some(),
            first.timestamp_ms
        );
        if print_data_log {
            for (k, r) in batch.iter().enumerate() {
                match control {
                    Some(kind) => {
                        let _ = writeln!(
                            out,
                            "| offset: {} endTxnMarker: {} coordinatorEpoch: {}",
                            r.offset,
                            kind.name(),
                            first.batch.as_ref().map_or(-1, |h| h.coordinator_epoch)
                        );
                    }
                    None => {
                        let sequence = first.batch.as_ref().map_or(-1, |h| h.sequence_of(k as i32));
                        let _ = writeln!(
                            out,
                            "| offset: {} sequence: {sequence} key: {} payload: {}",
                            r.offset,
                            r.key.as_deref().unwrap_or("null"),
                            r.value.as_deref().unwrap_or("null")
                        );
                    }
                }
            }
        }
        i = j;
    }
    let aborted = &log.producer_state().aborted;
    if !aborted.is_empty() {
        let _ = writeln!(out, "Aborted transaction index:");
        for t in aborted {
            let _ = writeln!(
                out,
                "producerId: {} firstOffset: {} lastOffset: {} lastStableOffset: {}",
                t.producer_id, t.first_offset, t.last_offset, t.last_stable_offset
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn describe_prints_leader_replicas_and_isr_per_partition() {
        expect![[r#"
            Topic: orders	PartitionCount: 3	ReplicationFactor: 3	Configs: 
            	Topic: orders	Partition: 0	Leader: 0	Replicas: 0,1,2	Isr: 0,1,2	Elr: 	LastKnownElr: 
            	Topic: orders	Partition: 1	Leader: 1	Replicas: 1,2,0	Isr: 1,2,0	Elr: 	LastKnownElr: 
            	Topic: orders	Partition: 2	Leader: 2	Replicas: 2,0,1	Isr: 2,1	Elr: 	LastKnownElr: 
        "#]]
        .assert_eq(&describe_topics(&crate::example::guide_cluster()));
    }
}
