//! Text output shaped like Kafka's own tools, so what the sandbox prints reads like a real
//! cluster's answer.

use std::fmt::Write;

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
        let _ = writeln!(
            out,
            "Topic: {}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: ",
            topic.name,
            topic.partitions.len(),
            replication_factor
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
