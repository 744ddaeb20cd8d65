//! A small, fixed cluster used before the simulation engine drives the page: three brokers and
//! the topic `orders` with three partitions and replication factor 3.
//!
//! Replica placement follows Kafka's `AdminUtils.assignReplicasToBrokers` with a fixed start
//! index of 0 (partition p starts on broker p and the followers follow in broker order), and
//! each leader's high watermark is derived from its in-sync replicas' log end offsets with the
//! rule in [`leader_high_watermark`], so what the page shows is already computed, not drawn.
//! `orders-0` is the guide's example: leader LEO 105, follower 1 at 102, follower 2 at 105,
//! so the HW is 102 and consumers can read only offsets below 102.

use crate::view::{BrokerView, ClusterView, PartitionView, ReplicaView, TopicView};

/// The leader's high watermark: the smallest log end offset among the in-sync replicas
/// (the leader included), as `Partition.maybeIncrementLeaderHW` computes it when the ISR
/// meets `min.insync.replicas`.
pub fn leader_high_watermark(isr_log_end_offsets: impl IntoIterator<Item = i64>) -> Option<i64> {
    isr_log_end_offsets.into_iter().min()
}

/// One replica's log as the example sets it up.
struct ReplicaLog {
    broker: i32,
    log_start_offset: i64,
    log_end_offset: i64,
    in_isr: bool,
}

fn partition(topic: &str, partition: i32, logs: &[ReplicaLog]) -> PartitionView {
    let leader = logs[0].broker;
    let isr: Vec<i32> = logs.iter().filter(|r| r.in_isr).map(|r| r.broker).collect();
    let hw = leader_high_watermark(logs.iter().filter(|r| r.in_isr).map(|r| r.log_end_offset))
        .unwrap_or(0);
    let replicas = logs
        .iter()
        .map(|r| ReplicaView {
            broker: r.broker,
            is_leader: r.broker == leader,
            in_isr: r.in_isr,
            log_start_offset: r.log_start_offset,
            // Followers learn the HW from the leader's fetch responses, clamped to their LEO.
            high_watermark: hw.min(r.log_end_offset),
            log_end_offset: r.log_end_offset,
            last_stable_offset: hw.min(r.log_end_offset),
            open_transactions: Vec::new(),
            truncated: 0,
            recent: Vec::new(),
            lost: Vec::new(),
        })
        .collect();
    PartitionView {
        topic: topic.to_string(),
        partition,
        leader: Some(leader),
        leader_epoch: 0,
        isr,
        replicas,
        partition_epoch: 0,
    }
}

/// The first view the page shows.
pub fn guide_cluster() -> ClusterView {
    let brokers = (0..3)
        .map(|id| BrokerView {
            id,
            rack: None,
            alive: true,
            fenced: false,
            fetch_paused: false,
        })
        .collect();
    let log = |broker, log_start_offset, log_end_offset, in_isr| ReplicaLog {
        broker,
        log_start_offset,
        log_end_offset,
        in_isr,
    };
    let partitions = vec![
        partition(
            "orders",
            0,
            &[
                log(0, 0, 105, true),
                log(1, 0, 102, true),
                log(2, 0, 105, true),
            ],
        ),
        partition(
            "orders",
            1,
            &[
                log(1, 20, 87, true),
                log(2, 20, 87, true),
                log(0, 20, 87, true),
            ],
        ),
        partition(
            "orders",
            2,
            &[
                log(2, 0, 64, true),
                log(0, 0, 58, false),
                log(1, 0, 64, true),
            ],
        ),
    ];
    ClusterView {
        brokers,
        topics: vec![TopicView {
            name: "orders".into(),
            partitions: partitions.into_iter().map(std::sync::Arc::new).collect(),
            topic_id: String::new(),
            configs: Vec::new(),
        }],
        ..ClusterView::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_example_high_watermark_is_the_slowest_in_sync_replica() {
        let view = guide_cluster();
        let orders_0 = &view.topics[0].partitions[0];
        let leader = &orders_0.replicas[0];
        assert!(leader.is_leader);
        assert_eq!(leader.log_end_offset, 105);
        assert_eq!(leader.high_watermark, 102);
    }

    #[test]
    fn out_of_sync_replica_does_not_hold_back_the_high_watermark() {
        let view = guide_cluster();
        let orders_2 = &view.topics[0].partitions[2];
        assert_eq!(orders_2.isr, vec![2, 1]);
        assert_eq!(orders_2.replicas[0].high_watermark, 64);
        // The lagging follower's HW is clamped to its own LEO.
        assert_eq!(orders_2.replicas[1].high_watermark, 58);
    }

    #[test]
    fn every_partition_has_three_replicas_on_distinct_brokers_and_one_leader() {
        for p in &guide_cluster().topics[0].partitions {
            let mut brokers: Vec<i32> = p.replicas.iter().map(|r| r.broker).collect();
            crate::sort::sort(&mut brokers);
            assert_eq!(brokers, vec![0, 1, 2], "{}", p.name());
            assert_eq!(p.replicas.iter().filter(|r| r.is_leader).count(), 1);
        }
    }
}

#[cfg(test)]
mod explanation_tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn high_watermark_explanations_name_the_replica_that_decides() {
        let text: Vec<String> = guide_cluster().topics[0]
            .partitions
            .iter()
            .map(|p| p.explain_high_watermark())
            .collect();
        expect![[r#"
            HW of orders-0 is 102, not 105: follower 1 has fetched only up to 102 and is in the ISR. Consumers read only offsets below the HW.
            HW of orders-1 is 87: every in-sync replica has every record up to the leader's log end offset 87. Consumers read only offsets below the HW.
            HW of orders-2 is 64: every in-sync replica has every record up to the leader's log end offset 64; broker 0 is out of sync, so it does not hold the HW back. Consumers read only offsets below the HW."#]].assert_eq(&text.join("\n"));
    }
}

/// The benchmarks' workshop-sized run: 6 brokers, 3 topics of 12 partitions with replication
/// factor 3, and 10,008 records (278 per partition, `acks=all`), settled.
pub fn workshop_script() -> String {
    let topics = ["orders", "payments", "clicks"];
    let mut script = String::from("cluster --brokers 6 --controllers 3 --seed 3\n");
    for topic in topics {
        script.push_str(&format!(
            "kafka-topics.sh --create --topic {topic} --partitions 12 --replication-factor 3\n"
        ));
    }
    script.push_str("run 2s\n");
    for topic in topics {
        for p in 0..12 {
            script.push_str(&format!("produce {topic}-{p} --count 278 --acks all\n"));
        }
    }
    script.push_str("run 2s\n");
    script
}

/// The benchmarks' large run: 30 brokers, 10 topics of 100 partitions (1,000 partitions,
/// 3,000 replicas) and 50 records on every seventh partition, settled.
pub fn large_script() -> String {
    let mut script = String::from("cluster --brokers 30 --controllers 3 --seed 3\n");
    for t in 0..10 {
        script.push_str(&format!(
            "kafka-topics.sh --create --topic t{t} --partitions 100 --replication-factor 3\n"
        ));
    }
    script.push_str("run 2s\n");
    for t in 0..10 {
        for p in (0..100).step_by(7) {
            script.push_str(&format!("produce t{t}-{p} --count 50 --acks all\n"));
        }
    }
    script.push_str("run 2s\n");
    script
}

/// The workshop run with two consumers sharing all three topics in one group, then `run`
/// (such as `10m`): what a presenter plays, and what the long-run budgets are measured on.
pub fn workshop_with_consumers_script(run: &str) -> String {
    let mut script = workshop_script();
    for name in ["c1", "c2"] {
        script.push_str(&format!(
            "consumer start {name} --topic orders,payments,clicks --group workshop\n"
        ));
    }
    script.push_str(&format!("run {run}\n"));
    script
}

/// The large run with a two-consumer group reading all ten topics, then `run`.
pub fn large_with_group_script(run: &str) -> String {
    let mut script = large_script();
    let topics: Vec<String> = (0..10).map(|t| format!("t{t}")).collect();
    for name in ["c1", "c2"] {
        script.push_str(&format!(
            "consumer start {name} --topic {} --group big\n",
            topics.join(",")
        ));
    }
    script.push_str(&format!("run {run}\n"));
    script
}
