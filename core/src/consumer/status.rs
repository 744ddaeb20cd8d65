//! A consumer client's state as the page and the CLI show it: a few words and what they mean
//! for its partitions and its records. Derived from where the client stands in the group
//! protocol (classic: `AbstractCoordinator`'s join and sync; KIP-848: `MemberState` of the
//! `ConsumerMembershipManager`) and in its poll loop; the page draws it and matches nothing.

use serde::{Deserialize, Serialize};

/// What a consumer client is doing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsumerStatus {
    /// FindCoordinator sent, or waiting to send it again.
    #[default]
    FindingCoordinator,
    /// Classic: JoinGroup sent.
    Joining,
    /// Classic cooperative: JoinGroup sent, its partitions kept meanwhile.
    RejoiningKeepsPartitions,
    /// Classic: SyncGroup sent, waiting for the leader's assignment.
    Syncing,
    /// Polling its partitions, nothing being processed.
    Polling,
    /// The application is processing a polled batch.
    Processing,
    /// Processing while a rebalance waits for its next poll.
    ProcessingRebalanceWaits,
    /// It must rejoin (a rebalance began) at its next poll.
    Rejoining,
    /// KIP-848: committing before it gives partitions up.
    Revoking,
    /// KIP-848: processing while a revocation waits for its next poll.
    ProcessingRevocationWaits,
    /// KIP-848: the next heartbeat acknowledges its new assignment.
    Acknowledging,
    /// KIP-848: `max.poll.interval.ms` passed without a poll; it left the group.
    LeftPollTimeout,
    /// `close()`: committing, then leaving.
    Closing,
    Stopped,
    Crashed,
    /// Stopped by an error the application sees as an exception.
    Failed,
}

impl ConsumerStatus {
    /// The words the page and the CLI show.
    pub fn label(self) -> &'static str {
        match self {
            ConsumerStatus::FindingCoordinator => "finding coordinator",
            ConsumerStatus::Joining => "joining",
            ConsumerStatus::RejoiningKeepsPartitions => "rejoining (keeps its partitions)",
            ConsumerStatus::Syncing => "syncing",
            ConsumerStatus::Polling => "polling",
            ConsumerStatus::Processing => "processing",
            ConsumerStatus::ProcessingRebalanceWaits => "processing (rebalance waits for its poll)",
            ConsumerStatus::Rejoining => "rejoining",
            ConsumerStatus::Revoking => "revoking (committing first)",
            ConsumerStatus::ProcessingRevocationWaits => {
                "processing (a revocation waits for its poll)"
            }
            ConsumerStatus::Acknowledging => "acknowledging its assignment",
            ConsumerStatus::LeftPollTimeout => "left the group (poll timeout)",
            ConsumerStatus::Closing => "closing",
            ConsumerStatus::Stopped => "stopped",
            ConsumerStatus::Crashed => "crashed",
            ConsumerStatus::Failed => "failed",
        }
    }

    /// What the state means for its partitions and records.
    pub fn meaning(self) -> &'static str {
        match self {
            ConsumerStatus::FindingCoordinator => {
                "asking a broker which one coordinates its group (FindCoordinator)"
            }
            ConsumerStatus::Joining => {
                "JoinGroup sent: it waits for every member to rejoin; an eager member owns nothing meanwhile"
            }
            ConsumerStatus::RejoiningKeepsPartitions => {
                "cooperative rebalancing: it keeps consuming its partitions while the group rejoins"
            }
            ConsumerStatus::Syncing => "SyncGroup sent: waiting for the leader's assignment",
            ConsumerStatus::Polling => "fetching from its partitions; nothing to process right now",
            ConsumerStatus::Processing => "the application is working through the records of its last poll",
            ConsumerStatus::ProcessingRebalanceWaits => {
                "a rebalance began, but the member only rejoins at its next poll(): the group waits for it"
            }
            ConsumerStatus::Rejoining => "a rebalance began: it rejoins at its next poll()",
            ConsumerStatus::Revoking => {
                "it commits what it processed before it gives partitions up to another member"
            }
            ConsumerStatus::ProcessingRevocationWaits => {
                "the coordinator asked it to give partitions up; it does so at its next poll()"
            }
            ConsumerStatus::Acknowledging => {
                "its next heartbeat tells the coordinator it took the new assignment"
            }
            ConsumerStatus::LeftPollTimeout => {
                "max.poll.interval.ms passed without a poll(): it left the group and its partitions went to others"
            }
            ConsumerStatus::Closing => "close(): it commits, then leaves the group",
            ConsumerStatus::Stopped => "not running; its group moved its partitions to other members",
            ConsumerStatus::Crashed => {
                "the process died; what it processed but did not commit will be read again"
            }
            ConsumerStatus::Failed => "stopped by an error the application saw as an exception",
        }
    }

    /// Whether it stopped without a clean close (crashed or failed).
    pub fn is_fault(self) -> bool {
        matches!(self, ConsumerStatus::Crashed | ConsumerStatus::Failed)
    }
}

impl std::fmt::Display for ConsumerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
