//! What a step did, as data and as one plain sentence.

use serde::{Deserialize, Serialize};

use crate::command::{NodeId, TopicPartition};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    /// A message was delivered (the sentence says what it carried and what it did).
    Deliver,
    /// A message was lost: its destination is down or cut off.
    Drop,
    /// A timer fired.
    Timer,
    /// A user command changed the cluster (a fault, a topic, a config).
    Command,
    /// The controller quorum changed: a vote, a new active controller, a resignation.
    Quorum,
    /// A record was committed to `__cluster_metadata`.
    Metadata,
    /// A broker registered, was fenced or unfenced, or shut down.
    Broker,
    /// A partition got a new leader (or none).
    Election,
    IsrShrink,
    IsrExpand,
    /// A leader's high watermark moved.
    HighWatermark,
    /// A leader appended records.
    Append,
    /// A replica truncated its log to match its leader.
    Truncate,
    /// A produce request was answered (successfully or not).
    ProduceAck,
    /// A consumer fetch returned records, or the application processed them.
    Consume,
    /// A consumer group changed: members joined or left, a rebalance started or completed,
    /// partitions were revoked or assigned.
    Group,
    /// Offsets were committed to `__consumer_offsets`.
    Commit,
    /// A transaction changed state: a coordinator's decision, a producer id, a fence, markers.
    Txn,
}

impl EventKind {
    /// Whether an event of this kind explains something on its own. Plain deliveries, timer
    /// firings and lost messages are the heartbeat of the cluster: a steady cluster takes
    /// hundreds of them a second, and the narration hides them unless asked. The timeline keeps
    /// the notable ones for the whole run and the others only for the last steps.
    pub fn is_notable(self) -> bool {
        !matches!(
            self,
            EventKind::Deliver | EventKind::Timer | EventKind::Drop
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::Deliver => "deliver",
            EventKind::Drop => "drop",
            EventKind::Timer => "timer",
            EventKind::Command => "command",
            EventKind::Quorum => "quorum",
            EventKind::Metadata => "metadata",
            EventKind::Broker => "broker",
            EventKind::Election => "election",
            EventKind::IsrShrink => "isr-shrink",
            EventKind::IsrExpand => "isr-expand",
            EventKind::HighWatermark => "hw",
            EventKind::Append => "append",
            EventKind::Truncate => "truncate",
            EventKind::ProduceAck => "produce-ack",
            EventKind::Consume => "consume",
            EventKind::Group => "group",
            EventKind::Txn => "txn",
            EventKind::Commit => "commit",
        }
    }
}

/// What an event marks when its kind alone does not say it, for the `step --until` filters
/// and the page's Next: buttons: typed, so that no filter reads the sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Milestone {
    /// A controller became the active controller: the Raft leader of a new epoch of the
    /// quorum (`QuorumState.transitionToLeader`).
    ControllerElected,
    /// A consumer group's rebalance started: a classic group went to PreparingRebalance, a
    /// consumer group (KIP-848) bumped its group epoch for a new target assignment.
    RebalanceStarted,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The step that produced it (0 for commands applied between steps).
    pub step: u64,
    pub time_ms: i64,
    /// The node where it happened.
    pub node: NodeId,
    pub kind: EventKind,
    pub partition: Option<TopicPartition>,
    /// One sentence naming the rule and the config that decided the outcome.
    pub text: String,
    /// What it marks, if its kind does not say it all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<Milestone>,
}

/// How a node is named in the trace: brokers `broker 1`, controllers `controller 100`,
/// the client `client`.
pub fn node_label(node: NodeId) -> String {
    if node >= crate::command::PRODUCER_ID_BASE {
        format!("producer #{}", node - crate::command::PRODUCER_ID_BASE)
    } else if node >= crate::command::CONSUMER_ID_BASE {
        format!("consumer #{}", node - crate::command::CONSUMER_ID_BASE)
    } else if node < 0 {
        "client".to_string()
    } else if node >= crate::command::CONTROLLER_ID_BASE {
        format!("controller {node}")
    } else {
        format!("broker {node}")
    }
}

impl Event {
    /// The trace line: step, simulated time, node, kind, sentence. Stable for snapshots.
    pub fn trace_line(&self) -> String {
        format!(
            "#{:<5} {:>8}ms  {:<14} {:<12} {}",
            self.step,
            self.time_ms,
            node_label(self.node),
            self.kind.label(),
            self.text
        )
    }
}

impl crate::command::EventFilter {
    /// Whether `event` is of the kind a `step --until` filter (and the page's Next: buttons)
    /// waits for.
    pub fn matches(self, event: &Event) -> bool {
        use crate::command::EventFilter;
        match self {
            EventFilter::Election => event.kind == EventKind::Election,
            EventFilter::IsrChange => {
                matches!(event.kind, EventKind::IsrShrink | EventKind::IsrExpand)
            }
            EventFilter::ProduceAck => event.kind == EventKind::ProduceAck,
            EventFilter::ControllerChange => event.milestone == Some(Milestone::ControllerElected),
            EventFilter::HighWatermark => event.kind == EventKind::HighWatermark,
            EventFilter::Rebalance => event.milestone == Some(Milestone::RebalanceStarted),
        }
    }
}
