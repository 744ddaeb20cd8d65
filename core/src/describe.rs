//! Text output shaped like Kafka's own tools, so what the sandbox prints reads like a real
//! cluster's answer.

use std::fmt::Write;

use crate::command::{ConfigEntity, ElectionType, TopicPartition};
use crate::config::{Scope, CONFIGS};
use crate::metadata::MetadataImage;
use crate::metadata::MetadataRecord;
use crate::sim::Simulation;
use crate::view::ClusterView;

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
            let _ = writeln!(out, "  {}={}", c.name, c.default);
        }
    }
    out
}

/// What `kafka-metadata-quorum.sh describe --status` (or `--replication`) prints.
pub fn describe_quorum(sim: &Simulation, replication: bool) -> String {
    let mut out = String::new();
    let active = sim.active_controller();
    if replication {
        let _ = writeln!(out, "NodeId\tLogEndOffset\tLag\tStatus");
        let leader_end = active.map_or(0, |c| c.raft.log_end_offset());
        for c in sim.controllers.values() {
            let status = if !c.alive {
                "Down".to_string()
            } else if Some(c.id) == active.map(|a| a.id) {
                "Leader".to_string()
            } else {
                "Follower".to_string()
            };
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}",
                c.id,
                c.raft.log_end_offset(),
                (leader_end - c.raft.log_end_offset()).max(0),
                status
            );
        }
        for b in sim.brokers.values() {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}",
                b.id,
                b.metadata.log_end_offset(),
                (leader_end - b.metadata.log_end_offset()).max(0),
                if b.alive { "Observer" } else { "Down" }
            );
        }
        return out;
    }
    let voters: Vec<String> = sim.controllers.keys().map(|id| id.to_string()).collect();
    let observers: Vec<String> = sim.brokers.keys().map(|id| id.to_string()).collect();
    let _ = writeln!(out, "ClusterId:              sandbox");
    let _ = writeln!(
        out,
        "LeaderId:               {}",
        active.map_or("-1".to_string(), |c| c.id.to_string())
    );
    let _ = writeln!(
        out,
        "LeaderEpoch:            {}",
        active.map_or(-1, |c| c.raft.epoch())
    );
    let _ = writeln!(
        out,
        "HighWatermark:          {}",
        active.map_or(-1, |c| c.raft.high_watermark())
    );
    let _ = writeln!(out, "CurrentVoters:          [{}]", voters.join(","));
    let _ = writeln!(out, "CurrentObservers:       [{}]", observers.join(","));
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
            c.id, c.role, c.epoch, c.log_end_offset, c.high_watermark
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
            }
        }
    }
    out
}

/// What `kafka-leader-election.sh` prints (`LeaderElectionCommand`): the partitions whose
/// election succeeded, those that needed none, and those that failed with their error.
pub fn describe_election(
    image: &MetadataImage,
    election: ElectionType,
    only: Option<&TopicPartition>,
    records: &[MetadataRecord],
) -> String {
    let elected: Vec<String> = records
        .iter()
        .filter_map(|r| match r {
            MetadataRecord::PartitionChange {
                topic,
                partition,
                leader: Some(Some(_)),
                ..
            } => Some(format!("{topic}-{partition}")),
            _ => None,
        })
        .collect();
    let mut not_needed = Vec::new();
    let mut failed = Vec::new();
    for (tp, p) in &image.partitions {
        if only.is_some_and(|o| o != tp) || elected.contains(&tp.to_string()) {
            continue;
        }
        let needed = match election {
            ElectionType::Preferred => p.leader != p.replicas.first().copied(),
            ElectionType::Unclean => p.leader.is_none(),
        };
        if needed {
            failed.push(tp.to_string());
        } else {
            not_needed.push(tp.to_string());
        }
    }
    let kind = match election {
        ElectionType::Preferred => "PREFERRED",
        ElectionType::Unclean => "UNCLEAN",
    };
    let mut out = String::new();
    if !elected.is_empty() {
        let _ = writeln!(
            out,
            "Successfully completed leader election ({kind}) for partitions {}",
            elected.join(", ")
        );
    }
    if !not_needed.is_empty() {
        let _ = writeln!(
            out,
            "Valid replica already elected for partitions {}",
            not_needed.join(", ")
        );
    }
    if !failed.is_empty() {
        let error = match election {
            ElectionType::Preferred => "PreferredLeaderNotAvailableException",
            ElectionType::Unclean => "EligibleLeadersNotAvailableException",
        };
        let _ = writeln!(
            out,
            "Error completing leader election ({kind}) for partition: {}: {error}",
            failed.join(", ")
        );
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
