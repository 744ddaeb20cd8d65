//! The metrics an operator alerts on, under Kafka's JMX names, computed from the view and the
//! run's events (the guide's "Alerting" section: under-replicated and offline partitions,
//! ISR shrinks and expands, the active controller count).

use serde::Serialize;

use crate::event::{Event, EventKind};
use crate::view::ClusterView;

/// One number with its Kafka MBean name and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Metric {
    pub mbean: &'static str,
    pub label: &'static str,
    pub value: i64,
    /// Whether an operator would be paged for the current value.
    pub alert: bool,
    pub meaning: &'static str,
}

/// Counts of an event kind per time bucket, oldest first, for a small chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Series {
    pub label: &'static str,
    pub bucket_ms: i64,
    pub counts: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MetricsView {
    pub metrics: Vec<Metric>,
    pub series: Vec<Series>,
    /// Per partition: `(name, leader HW, leader LEO)`.
    pub partitions: Vec<(String, i64, i64)>,
}

/// Computes the metrics at the state `view` shows, from the events up to it (the notable ones
/// are enough: ISR changes and elections are notable).
pub fn metrics<'a>(
    view: &ClusterView,
    events: impl IntoIterator<Item = &'a Event>,
    buckets: usize,
) -> MetricsView {
    let partitions: Vec<_> = view.topics.iter().flat_map(|t| &t.partitions).collect();
    let under_replicated = partitions
        .iter()
        .filter(|p| p.leader.is_some() && p.isr.len() < p.replicas.len())
        .count() as i64;
    let offline = partitions.iter().filter(|p| p.leader.is_none()).count() as i64;
    let under_min_isr = partitions
        .iter()
        .filter(|p| {
            let min_isr = view
                .topics
                .iter()
                .find(|t| t.name == p.topic)
                .and_then(|t| t.configs.iter().find(|(k, _)| k == "min.insync.replicas"))
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .unwrap_or(1);
            p.leader.is_some() && p.isr.len() < min_isr.min(p.replicas.len())
        })
        .count() as i64;
    let bucket_ms = 5_000;
    let charted = [
        ("ISR shrinks per 5 s", EventKind::IsrShrink),
        ("ISR expands per 5 s", EventKind::IsrExpand),
        ("Elections per 5 s", EventKind::Election),
    ];
    let last = view.time_ms / bucket_ms;
    let first = (last - buckets as i64 + 1).max(0);
    let mut counts = vec![vec![0; (last - first + 1) as usize]; charted.len()];
    let (mut shrinks, mut expands) = (0, 0);
    for e in events.into_iter().filter(|e| e.time_ms <= view.time_ms) {
        match e.kind {
            EventKind::IsrShrink => shrinks += 1,
            EventKind::IsrExpand => expands += 1,
            _ => {}
        }
        if let Some(series) = charted.iter().position(|(_, kind)| *kind == e.kind) {
            let b = e.time_ms / bucket_ms;
            if b >= first {
                counts[series][(b - first) as usize] += 1;
            }
        }
    }
    let metrics = vec![
        Metric {
            mbean: "kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions",
            label: "Under-replicated partitions",
            value: under_replicated,
            alert: under_replicated > 0,
            meaning: "Partitions whose ISR is smaller than their replica set: a copy is missing or behind.",
        },
        Metric {
            mbean: "kafka.controller:type=KafkaController,name=OfflinePartitionsCount",
            label: "Offline partitions",
            value: offline,
            alert: offline > 0,
            meaning: "Partitions with no leader: nothing can be read or written.",
        },
        Metric {
            mbean: "kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount",
            label: "Under min ISR",
            value: under_min_isr,
            alert: under_min_isr > 0,
            meaning: "Partitions below min.insync.replicas: acks=all writes are refused.",
        },
        Metric {
            mbean: "kafka.controller:type=KafkaController,name=ActiveControllerCount",
            label: "Active controllers",
            value: i64::from(view.active_controller.is_some()),
            alert: view.active_controller.is_none(),
            meaning: "Exactly one controller should be active; none means metadata cannot change.",
        },
        Metric {
            mbean: "kafka.server:type=ReplicaManager,name=IsrShrinksPerSec",
            label: "ISR shrinks (total)",
            value: shrinks,
            alert: false,
            meaning: "Leaders asked to drop a lagging follower from the ISR.",
        },
        Metric {
            mbean: "kafka.server:type=ReplicaManager,name=IsrExpandsPerSec",
            label: "ISR expands (total)",
            value: expands,
            alert: false,
            meaning: "Leaders asked to add a caught-up follower back to the ISR.",
        },
    ];
    let series = charted
        .iter()
        .zip(counts)
        .map(|(&(label, _), counts)| Series {
            label,
            bucket_ms,
            counts,
        })
        .collect();
    let partitions = partitions
        .iter()
        .map(|p| {
            let leader = p.leader_replica();
            (
                p.name(),
                leader.map_or(0, |r| r.high_watermark),
                leader.map_or(0, |r| r.log_end_offset),
            )
        })
        .collect();
    MetricsView {
        metrics,
        series,
        partitions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_has_one_under_replicated_partition_and_none_offline() {
        let view = crate::example::guide_cluster();
        let m = metrics(&view, [], 12);
        let value = |label: &str| m.metrics.iter().find(|x| x.label == label).unwrap().value;
        assert_eq!(
            value("Under-replicated partitions"),
            1,
            "orders-2 has ISR [2,1]"
        );
        assert_eq!(value("Offline partitions"), 0);
        assert_eq!(m.partitions[0], ("orders-0".to_string(), 102, 105));
    }
}
