//! # The controller quorum: KRaft's Raft (KIP-595)
//!
//! A KRaft cluster keeps all of its metadata in one replicated log, the `__cluster_metadata`
//! partition. The controllers listed in `controller.quorum.voters` are the **voters**: they
//! elect one of themselves as **leader** (the active controller), and only the leader appends
//! records. Brokers are **observers**: they replicate the log to build their metadata image
//! but never vote and never stand for election. This module is that protocol as a pure state
//! machine: the simulation kernel hands a [`RaftNode`] messages and timer expiries, and the
//! node answers with [`RaftOutput`]s (messages to send, timers to set, events to explain). It
//! never reads a clock or a random source of its own; time is `now_ms` and randomness is the
//! kernel's [`SimRng`].
//!
//! ## Epochs and votes
//!
//! Time is cut into **epochs** (Raft's terms). Each epoch has at most one leader. A voter that
//! hears nothing from its leader for `controller.quorum.fetch.timeout.ms` (2000) becomes a
//! **candidate**: it bumps the epoch, votes for itself (writing the vote to its
//! `quorum-state` file before anything else) and sends `Vote` requests carrying its log's last
//! epoch and end offset. A voter grants **one vote per epoch**, and only to a candidate whose
//! `(last epoch, end offset)` is at least its own, compared epoch first. A voter that already
//! follows a leader in that epoch, is itself a candidate, or has voted for someone else
//! refuses. A candidate with votes from a majority of the voters (itself included) becomes
//! leader. If it cannot win (a majority refused) or its election timeout, drawn at random from
//! `[controller.quorum.election.timeout.ms, 2 x that)`, passes, it backs off for a random
//! `100 ms x rand(2^retries)` capped at `controller.quorum.election.backoff.max.ms` and then
//! stands again in the next epoch. Any message carrying a higher epoch makes a node adopt that
//! epoch at once: a leader or candidate steps down. This snapshot of Kafka has no pre-vote
//! (KIP-996), so a voter that was cut off comes back with a higher epoch and forces a new
//! election.
//!
//! ## Replication is pull-based
//!
//! A new leader writes a `LeaderChange` control record in its own epoch and sends
//! `BeginQuorumEpoch` to the other voters (again every `fetch.timeout.ms / 2`). Followers
//! and observers then **pull**: each sends `Fetch(fetch_offset = its log end offset,
//! last_fetched_epoch = epoch of its last record)`. The leader checks that the pair exists in
//! its own log. If it does not, it answers with a **diverging epoch** (the largest epoch
//! `<=` the follower's and where that epoch ends in the leader's log); the follower truncates
//! there and fetches again, until the logs agree. If the pair is valid and the leader has
//! records past it, it answers at once; otherwise it **parks** the fetch for up to
//! `max_wait_ms` (500) and answers when new records are appended or the wait ends. A fetch at
//! offset `n` also tells the leader that the follower holds everything below `n`.
//!
//! ## The high watermark (commit)
//!
//! The leader sorts the voters' fetched end offsets (its own included) in descending order
//! and takes the one at index `voters / 2`: everything below it is on a majority. That is the
//! **high watermark** (HW); records below it are committed and are never lost or rewritten.
//! A new leader does not trust HWs from older epochs: its HW stays unknown until the offset
//! at index `voters / 2` passes its epoch start offset, which means its own `LeaderChange`
//! record is on a majority. Followers learn the HW from fetch responses, clamped to their own
//! log end offset. The leader answers a parked fetch only when records arrive or the wait
//! ends, so followers learn a new HW up to `max_wait_ms` after the leader does (in a real
//! cluster the active controller's `NoOpRecord`, appended every
//! `metadata.max.idle.interval.ms=500`, keeps it moving). Because a candidate needs an
//! up-to-date log to win, every committed record is in every future leader's log (Leader
//! Completeness).
//!
//! ## Check-quorum and resignation
//!
//! A leader that has not received fetches from a majority of the voters within
//! `1.5 x controller.quorum.fetch.timeout.ms` (3000) assumes it is cut off and **resigns**:
//! it stops accepting writes, answers fetches with `NOT_LEADER_OR_FOLLOWER`, sends
//! `EndQuorumEpoch` to the other voters, and after its election timeout stands as a candidate
//! in the next epoch. A leader cut off with a minority can still append but can never commit.
//!
//! ## Observers
//!
//! An observer (a broker) fetches like a follower. When it does not know the leader, or has
//! not heard from it for `fetch.timeout.ms`, it sends its fetch to a random voter; a voter
//! that is not the leader answers `NOT_LEADER_OR_FOLLOWER` or `FENCED_LEADER_EPOCH` with the
//! leader and epoch it knows, and the observer follows that leader.
//!
//! ## Crash and restart
//!
//! The epoch, the vote and the known leader (the `quorum-state` file) and the log survive a
//! crash; the role and the HW do not. A restarted node resumes as Kafka's
//! `QuorumState.initialize` does: an old leader comes back *resigned* in its epoch (it may
//! neither lead nor vote in it again), a node that had voted for itself comes back a
//! candidate in the same epoch, one that knew a leader follows it, and the rest are
//! unattached. The HW is relearned from the leader.
//!
//! ## Sources
//!
//! Read from `apache/kafka` at `1eb7644349cb07139d6a3c1ad1986979647cac99` (4.0.0-SNAPSHOT):
//! `raft/src/main/java/org/apache/kafka/raft/KafkaRaftClient.java` (request handling,
//! `maybeHandleCommonResponse`, `maybeTransition`, `pollLeader`/`pollCandidate`/
//! `pollFollower*`/`pollUnattached*`/`pollResigned`, `binaryExponentialElectionBackoffMs`,
//! `strictExponentialElectionBackoffMs`), `QuorumState.java` (transitions, `initialize`,
//! `randomElectionTimeoutMs`), `LeaderState.java` (`maybeUpdateHighWatermark`, check-quorum,
//! `ReplicaState`), `CandidateState.java`, `FollowerState.java`, `UnattachedState.java`
//! (which also holds the "voted" state in this snapshot), `ResignedState.java`,
//! `QuorumConfig.java` (config names and defaults), `ReplicatedLog.java`
//! (`validateOffsetAndEpoch`, `truncateToEndOffset`), and for the end offset of an epoch
//! `core/src/main/scala/kafka/raft/KafkaMetadataLog.scala` (`endOffsetForEpoch`) over
//! `storage/src/main/java/org/apache/kafka/storage/internals/epoch/LeaderEpochFileCache.java`
//! (`endOffsetFor`).
//!
//! ## What is left out or simplified
//!
//! Snapshots and `FetchSnapshot`, dynamic voters (KIP-853 `AddRaftVoter`, directory ids),
//! cluster ids, `DescribeQuorum` as an RPC (see [`RaftNode::view`] instead) and the append
//! linger (`controller.quorum.append.linger.ms`): [`RaftNode::append`] writes at once.
//! Kafka matches a response to its request by correlation id in the request header; here the
//! Fetch pair carries `correlation_id` and other responses are matched by epoch only. Vote
//! and `EndQuorumEpoch` requests are sent once per state rather than retried. Where Kafka
//! would resend a fetch at once after an error response, the sandbox waits
//! `controller.quorum.retry.backoff.ms` so the trace stays readable. Inputs that Kafka would
//! treat as a fatal bug (a leader id outside the voter set, two leaders claimed for one
//! epoch, a truncation below the HW) are ignored instead of crashing the node.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunked::{ChunkedVec, Iter};
pub use crate::command::NodeId;
use crate::rng::SimRng;

/// `KafkaRaftClient.RETRY_BACKOFF_BASE_MS`: the unit of the binary exponential election backoff.
pub const ELECTION_BACKOFF_BASE_MS: i64 = 100;
/// `LeaderState.OBSERVER_SESSION_TIMEOUT_MS`: a leader forgets an observer silent this long.
pub const OBSERVER_SESSION_TIMEOUT_MS: i64 = 300_000;

/// The quorum's timing configs (`QuorumConfig`), with Kafka's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaftConfig {
    /// `controller.quorum.fetch.timeout.ms`: a follower that has not fetched successfully for
    /// this long stands for election; a leader resigns after 1.5 x this without fetches from a
    /// majority.
    pub fetch_timeout_ms: i64,
    /// `controller.quorum.election.timeout.ms`: the election timeout is random in `[this, 2 x this)`.
    pub election_timeout_ms: i64,
    /// `controller.quorum.election.backoff.max.ms`: cap of the backoff after a failed election.
    pub election_backoff_max_ms: i64,
    /// The fetch `max_wait_ms` (`KafkaRaftClient.MAX_FETCH_WAIT_MS`): how long the leader may
    /// park a fetch that has nothing new.
    pub fetch_max_wait_ms: i64,
    /// `controller.quorum.request.timeout.ms`: an unanswered fetch is sent again after this.
    pub request_timeout_ms: i64,
    /// `controller.quorum.retry.backoff.ms`: the pause before fetching again after an error.
    pub retry_backoff_ms: i64,
}

impl Default for RaftConfig {
    fn default() -> Self {
        RaftConfig {
            fetch_timeout_ms: 2_000,
            election_timeout_ms: 1_000,
            election_backoff_max_ms: 1_000,
            fetch_max_wait_ms: 500,
            request_timeout_ms: 2_000,
            retry_backoff_ms: 20,
        }
    }
}

impl RaftConfig {
    /// `LeaderState.checkQuorumTimeoutMs`: `(int) (fetchTimeoutMs * 1.5)`.
    pub fn check_quorum_timeout_ms(&self) -> i64 {
        self.fetch_timeout_ms * 3 / 2
    }

    /// `LeaderState.beginQuorumEpochTimeoutMs`: the leader repeats `BeginQuorumEpoch` this often.
    pub fn begin_quorum_epoch_interval_ms(&self) -> i64 {
        self.fetch_timeout_ms / 2
    }
}

/// What one offset of the metadata log holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RaftRecord<R> {
    /// `LeaderChangeMessage`: the control record a new leader writes first in its epoch.
    LeaderChange { leader: NodeId, voters: Vec<NodeId> },
    /// A record of the state machine (for KRaft, a metadata record).
    Data(R),
}

/// One record of the replicated log, with the epoch of the leader that appended it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry<R> {
    pub offset: i64,
    pub epoch: i32,
    /// Shared, not copied: every voter and observer holds the same records, and the timeline
    /// snapshots every node's log, so a clone of a log must not copy its records.
    pub record: Arc<RaftRecord<R>>,
}

/// The Kafka error codes the quorum RPCs use (`org.apache.kafka.common.protocol.Errors`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum RaftError {
    /// The request's epoch is older than the receiver's.
    FENCED_LEADER_EPOCH,
    /// The request's epoch is newer than the receiver's (the receiver has not caught up yet).
    UNKNOWN_LEADER_EPOCH,
    /// The receiver is not the leader of that epoch.
    NOT_LEADER_OR_FOLLOWER,
    /// The request is malformed (for example a last fetched epoch above the request's epoch).
    INVALID_REQUEST,
}

impl RaftError {
    pub fn code_name(&self) -> &'static str {
        match self {
            RaftError::FENCED_LEADER_EPOCH => "FENCED_LEADER_EPOCH",
            RaftError::UNKNOWN_LEADER_EPOCH => "UNKNOWN_LEADER_EPOCH",
            RaftError::NOT_LEADER_OR_FOLLOWER => "NOT_LEADER_OR_FOLLOWER",
            RaftError::INVALID_REQUEST => "INVALID_REQUEST",
        }
    }
}

impl std::fmt::Display for RaftError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code_name())
    }
}

/// The quorum RPCs, with Kafka's field names (`*Request.json` / `*Response.json`).
/// `leader_id: None` stands for Kafka's `-1`, `high_watermark: -1` for an unknown HW.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RaftMessage<R> {
    VoteRequest {
        candidate_epoch: i32,
        candidate_id: NodeId,
        /// Epoch of the candidate's last record.
        last_offset_epoch: i32,
        /// The candidate's log end offset.
        last_offset: i64,
    },
    VoteResponse {
        error: Option<RaftError>,
        leader_epoch: i32,
        leader_id: Option<NodeId>,
        vote_granted: bool,
    },
    BeginQuorumEpoch {
        leader_epoch: i32,
        leader_id: NodeId,
    },
    BeginQuorumEpochResponse {
        error: Option<RaftError>,
        leader_epoch: i32,
        leader_id: Option<NodeId>,
    },
    EndQuorumEpoch {
        leader_epoch: i32,
        leader_id: NodeId,
        /// Voters by descending fetched offset: the first should stand for election first.
        preferred_successors: Vec<NodeId>,
    },
    EndQuorumEpochResponse {
        error: Option<RaftError>,
        leader_epoch: i32,
        leader_id: Option<NodeId>,
    },
    FetchRequest {
        /// `currentLeaderEpoch`: the epoch the fetcher believes in.
        epoch: i32,
        replica_id: NodeId,
        /// The fetcher's log end offset.
        fetch_offset: i64,
        /// The epoch of the fetcher's last record (0 for an empty log).
        last_fetched_epoch: i32,
        max_wait_ms: i64,
        /// Kafka's request-header correlation id, echoed by the response.
        correlation_id: i64,
    },
    FetchResponse {
        /// `currentLeader.leaderEpoch`: the responder's epoch.
        epoch: i32,
        leader_id: Option<NodeId>,
        error: Option<RaftError>,
        records: Vec<Entry<R>>,
        high_watermark: i64,
        /// `divergingEpoch`: `(epoch, end offset)` in the leader's log to truncate to.
        diverging: Option<(i32, i64)>,
        correlation_id: i64,
    },
}

impl<R> RaftMessage<R> {
    /// The RPC name, as Kafka's `ApiKeys` call it (responses get a `Response` suffix).
    pub fn name(&self) -> &'static str {
        match self {
            RaftMessage::VoteRequest { .. } => "Vote",
            RaftMessage::VoteResponse { .. } => "VoteResponse",
            RaftMessage::BeginQuorumEpoch { .. } => "BeginQuorumEpoch",
            RaftMessage::BeginQuorumEpochResponse { .. } => "BeginQuorumEpochResponse",
            RaftMessage::EndQuorumEpoch { .. } => "EndQuorumEpoch",
            RaftMessage::EndQuorumEpochResponse { .. } => "EndQuorumEpochResponse",
            RaftMessage::FetchRequest { .. } => "Fetch",
            RaftMessage::FetchResponse { .. } => "FetchResponse",
        }
    }

    /// The epoch the message carries.
    pub fn epoch(&self) -> i32 {
        match self {
            RaftMessage::VoteRequest {
                candidate_epoch, ..
            } => *candidate_epoch,
            RaftMessage::VoteResponse { leader_epoch, .. }
            | RaftMessage::BeginQuorumEpoch { leader_epoch, .. }
            | RaftMessage::BeginQuorumEpochResponse { leader_epoch, .. }
            | RaftMessage::EndQuorumEpoch { leader_epoch, .. }
            | RaftMessage::EndQuorumEpochResponse { leader_epoch, .. } => *leader_epoch,
            RaftMessage::FetchRequest { epoch, .. } | RaftMessage::FetchResponse { epoch, .. } => {
                *epoch
            }
        }
    }

    /// A short line for a trace or a message on the wire, such as
    /// `Fetch(epoch 3, fetch_offset 12, last_fetched_epoch 3)`.
    pub fn summary(&self) -> String {
        fn leader(l: &Option<NodeId>) -> String {
            l.map_or("none".to_string(), |l| l.to_string())
        }
        fn error(e: &Option<RaftError>) -> String {
            e.map_or(String::new(), |e| format!(", {e}"))
        }
        match self {
            RaftMessage::VoteRequest {
                candidate_epoch,
                candidate_id,
                last_offset_epoch,
                last_offset,
            } => format!(
                "Vote(epoch {candidate_epoch}, candidate {candidate_id}, last epoch {last_offset_epoch}, end offset {last_offset})"
            ),
            RaftMessage::VoteResponse {
                error: e,
                leader_epoch,
                leader_id,
                vote_granted,
            } => format!(
                "VoteResponse(epoch {leader_epoch}, {}, leader {}{})",
                if *vote_granted { "granted" } else { "not granted" },
                leader(leader_id),
                error(e)
            ),
            RaftMessage::BeginQuorumEpoch {
                leader_epoch,
                leader_id,
            } => format!("BeginQuorumEpoch(epoch {leader_epoch}, leader {leader_id})"),
            RaftMessage::BeginQuorumEpochResponse {
                error: e,
                leader_epoch,
                leader_id,
            } => format!(
                "BeginQuorumEpochResponse(epoch {leader_epoch}, leader {}{})",
                leader(leader_id),
                error(e)
            ),
            RaftMessage::EndQuorumEpoch {
                leader_epoch,
                leader_id,
                preferred_successors,
            } => format!(
                "EndQuorumEpoch(epoch {leader_epoch}, leader {leader_id}, preferred successors {preferred_successors:?})"
            ),
            RaftMessage::EndQuorumEpochResponse {
                error: e,
                leader_epoch,
                leader_id,
            } => format!(
                "EndQuorumEpochResponse(epoch {leader_epoch}, leader {}{})",
                leader(leader_id),
                error(e)
            ),
            RaftMessage::FetchRequest {
                epoch,
                fetch_offset,
                last_fetched_epoch,
                ..
            } => format!(
                "Fetch(epoch {epoch}, fetch_offset {fetch_offset}, last_fetched_epoch {last_fetched_epoch})"
            ),
            RaftMessage::FetchResponse {
                epoch,
                leader_id,
                error: e,
                records,
                high_watermark,
                diverging,
                ..
            } => {
                let mut s = format!("FetchResponse(epoch {epoch}, leader {}", leader(leader_id));
                if let Some(e) = e {
                    s.push_str(&format!(", {e}"));
                } else if let Some((de, doff)) = diverging {
                    s.push_str(&format!(", diverging at epoch {de} end offset {doff}"));
                } else {
                    s.push_str(&format!(", {} records, HW {high_watermark}", records.len()));
                }
                s.push(')');
                s
            }
        }
    }
}

/// The timers a node asks the kernel for. A node has at most one deadline per timer value;
/// see [`RaftNode::is_timer_live`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RaftTimer {
    /// Unattached voter: stand for election. Candidate: give up this election and back off.
    /// Resigned leader: stand for the next epoch.
    Election,
    /// Candidate: the backoff after a failed election ended; stand again.
    ElectionBackoff,
    /// Follower: nothing from the leader for `fetch.timeout.ms`.
    FetchTimeout,
    /// Leader: answer the fetch parked for this replica.
    FetchWait { replica: NodeId },
    /// Leader: check that a majority of voters fetched recently.
    CheckQuorum,
    /// Leader: send `BeginQuorumEpoch` to the voters again.
    BeginQuorumEpoch,
    /// Fetcher: the outstanding fetch got no answer within `request.timeout.ms`.
    RequestTimeout,
    /// Fetcher: the pause after an error response is over; fetch again.
    FetchBackoff,
}

/// What the node asks the kernel to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RaftOutput<R> {
    Send {
        to: NodeId,
        message: RaftMessage<R>,
    },
    /// Call [`RaftNode::handle_timer`] with `timer` after `after_ms` (replaces any earlier
    /// deadline of the same timer).
    SetTimer {
        timer: RaftTimer,
        after_ms: i64,
    },
    Event(RaftEvent),
}

/// The role of a node in the quorum, as `kafka-metadata-quorum.sh` and the UI name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RaftRole {
    Leader,
    Candidate,
    Follower,
    /// A voter in an epoch whose leader it does not know (it may have voted in it).
    Unattached,
    /// A former leader that gave up its epoch (check-quorum, shutdown or restart).
    Resigned,
    /// A non-voter (a broker) replicating the log.
    Observer,
}

impl RaftRole {
    pub fn name(&self) -> &'static str {
        match self {
            RaftRole::Leader => "Leader",
            RaftRole::Candidate => "Candidate",
            RaftRole::Follower => "Follower",
            RaftRole::Unattached => "Unattached",
            RaftRole::Resigned => "Resigned",
            RaftRole::Observer => "Observer",
        }
    }
}

/// Why a voter stood for election.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CandidateReason {
    /// A follower heard nothing from its leader for `fetch.timeout.ms`.
    FetchTimeout {
        leader: NodeId,
        fetch_timeout_ms: i64,
    },
    /// The leader resigned (`EndQuorumEpoch`) and this voter's turn came after `backoff_ms`.
    LeaderResigned { leader: NodeId, backoff_ms: i64 },
    /// An unattached voter saw no leader within its random election timeout.
    ElectionTimeout {
        timeout_ms: i64,
        election_timeout_ms: i64,
    },
    /// The previous election failed and the backoff ended.
    Retry {
        previous_epoch: i32,
        backoff_ms: i64,
    },
    /// A resigned leader's election timeout passed.
    AfterResigning { timeout_ms: i64 },
    /// The quorum has a single voter.
    OnlyVoter,
}

/// Why a voter refused a vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VoteRejectReason {
    /// `FENCED_LEADER_EPOCH`: the candidate's epoch is older than the voter's.
    StaleEpoch {
        current_epoch: i32,
    },
    AlreadyVoted {
        voted_for: NodeId,
    },
    LeaderKnown {
        leader: NodeId,
    },
    AlreadyCandidate,
    IsLeader,
    Resigned,
    LogBehind {
        candidate_last_epoch: i32,
        candidate_end_offset: i64,
        own_last_epoch: i32,
        own_end_offset: i64,
    },
    /// The candidate is not in `controller.quorum.voters`.
    NotAVoter,
    /// This node is an observer (a broker): it has no vote.
    Observer,
    /// `INVALID_REQUEST`: last epoch or offset negative, or last epoch not below the epoch.
    InvalidRequest,
}

/// Why a leader resigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResignReason {
    /// Fewer than a majority of voters fetched within `timeout_ms` (1.5 x fetch timeout).
    CheckQuorum {
        timeout_ms: i64,
        fetched: Vec<NodeId>,
        voters: usize,
    },
    /// [`RaftNode::resign`] (a graceful shutdown).
    Requested,
}

/// Something a learner may want explained; see [`RaftEvent::explain`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RaftEvent {
    /// The node (re)started and rebuilt its state from its `quorum-state` file and log.
    Started {
        restarted: bool,
        role: RaftRole,
        epoch: i32,
        leader: Option<NodeId>,
        voted_for: Option<NodeId>,
        log_end_offset: i64,
        election_timeout_ms: Option<i64>,
        election_timeout_config_ms: i64,
    },
    BecameCandidate {
        epoch: i32,
        reason: CandidateReason,
    },
    VoteGranted {
        /// The candidate that got the vote.
        to: NodeId,
        epoch: i32,
        candidate_last_epoch: i32,
        candidate_end_offset: i64,
        own_last_epoch: i32,
        own_end_offset: i64,
    },
    VoteRejected {
        candidate: NodeId,
        epoch: i32,
        reason: VoteRejectReason,
    },
    /// A candidate could not win its epoch and backs off.
    ElectionFailed {
        epoch: i32,
        rejected_by: Vec<NodeId>,
        timed_out: bool,
        backoff_ms: i64,
        backoff_max_ms: i64,
    },
    BecameLeader {
        epoch: i32,
        votes: Vec<NodeId>,
        voters: usize,
        epoch_start_offset: i64,
    },
    BecameFollower {
        epoch: i32,
        leader: NodeId,
        observer: bool,
        /// The node whose message named the leader.
        learned_from: NodeId,
        /// The RPC that carried it, such as `BeginQuorumEpoch` or `FetchResponse`.
        via: String,
    },
    /// A higher epoch arrived without a leader: the node adopts it and waits.
    BecameUnattached {
        epoch: i32,
        previous_epoch: i32,
        previous_role: RaftRole,
        from: NodeId,
        observer: bool,
    },
    Resigned {
        epoch: i32,
        reason: ResignReason,
    },
    /// The node's high watermark moved: records below it are committed.
    Committed {
        high_watermark: i64,
        epoch: i32,
        leader: NodeId,
        /// True when this node is the leader and computed the HW itself.
        by_leader: bool,
        /// Leader only: the voters holding every record below the HW.
        replicated_on: Vec<NodeId>,
        voters: usize,
        /// Leader only: the first commit of this epoch.
        first_in_epoch: bool,
        observer: bool,
    },
    Truncated {
        from_offset: i64,
        to_offset: i64,
        diverging_epoch: i32,
        diverging_end_offset: i64,
        leader: NodeId,
        observer: bool,
    },
    /// An observer lost its leader; it asks random voters instead of standing for election.
    ObserverLostLeader {
        leader: NodeId,
        fetch_timeout_ms: i64,
    },
}

fn noun(node: NodeId, observer: bool) -> String {
    if observer {
        format!("Broker {node}")
    } else {
        format!("Controller {node}")
    }
}

fn list(ids: &[NodeId]) -> String {
    match ids.len() {
        0 => "none".to_string(),
        1 => ids[0].to_string(),
        n => {
            let head: Vec<String> = ids[..n - 1].iter().map(|i| i.to_string()).collect();
            format!("{} and {}", head.join(", "), ids[n - 1])
        }
    }
}

impl RaftEvent {
    /// One plain sentence naming the rule (and the config) behind the event.
    pub fn explain(&self, node: NodeId) -> String {
        match self {
            RaftEvent::Started {
                restarted,
                role,
                epoch,
                leader,
                voted_for,
                log_end_offset,
                election_timeout_ms,
                election_timeout_config_ms,
            } => {
                let observer = *role == RaftRole::Observer;
                let who = noun(node, observer);
                if !restarted {
                    if observer {
                        format!("{who} started as an observer of the controller quorum in epoch {epoch}: it never votes, and it fetches __cluster_metadata from a random voter until one names the leader")
                    } else {
                        let wait = election_timeout_ms.map_or(String::new(), |t| format!(
                            ": it waits a random election timeout of {t} ms (between controller.quorum.election.timeout.ms={election_timeout_config_ms} and twice that) for a leader before standing itself"
                        ));
                        format!("{who} started as a voter, unattached in epoch {epoch}{wait}")
                    }
                } else {
                    let as_what = match role {
                        RaftRole::Resigned => format!("as the resigned leader of epoch {epoch}, because a leader that restarts may neither lead nor vote in its old epoch"),
                        RaftRole::Candidate => format!("as a candidate in epoch {epoch}, because its quorum-state file says it voted for itself"),
                        RaftRole::Follower | RaftRole::Observer if leader.is_some() => format!("following leader {} in epoch {epoch}, as its quorum-state file says", leader.unwrap_or(-1)),
                        _ => match voted_for {
                            Some(v) => format!("unattached in epoch {epoch}, still bound by its vote for {v}"),
                            None => format!("unattached in epoch {epoch}"),
                        },
                    };
                    format!("{who} restarted {as_what}; its log kept {log_end_offset} records, and it relearns the high watermark from the leader")
                }
            }
            RaftEvent::BecameCandidate { epoch, reason } => {
                let why = match reason {
                    CandidateReason::FetchTimeout { leader, fetch_timeout_ms } => format!("it heard nothing from leader {leader} for controller.quorum.fetch.timeout.ms={fetch_timeout_ms}"),
                    CandidateReason::LeaderResigned { leader, backoff_ms } => format!("leader {leader} resigned with EndQuorumEpoch and this voter's turn in the successor order came after {backoff_ms} ms"),
                    CandidateReason::ElectionTimeout { timeout_ms, election_timeout_ms } => format!("no leader appeared within its random election timeout of {timeout_ms} ms (controller.quorum.election.timeout.ms={election_timeout_ms} to twice that)"),
                    CandidateReason::Retry { previous_epoch, backoff_ms } => format!("its election in epoch {previous_epoch} failed and its random backoff of {backoff_ms} ms ended"),
                    CandidateReason::AfterResigning { timeout_ms } => format!("it resigned as leader and its election timeout of {timeout_ms} ms passed"),
                    CandidateReason::OnlyVoter => "it is the only voter in controller.quorum.voters".to_string(),
                };
                format!("Controller {node} became a candidate for epoch {epoch}: {why}; it votes for itself and asks the other voters for theirs")
            }
            RaftEvent::VoteGranted {
                to: candidate,
                epoch,
                candidate_last_epoch,
                candidate_end_offset,
                own_last_epoch,
                own_end_offset,
            } => format!(
                "Controller {node} voted for {candidate} in epoch {epoch}: it had no other vote in this epoch and the candidate's log (last epoch {candidate_last_epoch}, end offset {candidate_end_offset}) is at least as up to date as its own (last epoch {own_last_epoch}, end offset {own_end_offset})"
            ),
            RaftEvent::VoteRejected {
                candidate,
                epoch,
                reason,
            } => {
                let observer = matches!(reason, VoteRejectReason::Observer);
                let who = noun(node, observer);
                let why = match reason {
                    VoteRejectReason::StaleEpoch { current_epoch } => format!("the request's epoch is older than its epoch {current_epoch} (FENCED_LEADER_EPOCH)"),
                    VoteRejectReason::AlreadyVoted { voted_for } => format!("it already voted for {voted_for} in this epoch, and a voter grants one vote per epoch"),
                    VoteRejectReason::LeaderKnown { leader } => format!("it already follows leader {leader} in this epoch"),
                    VoteRejectReason::AlreadyCandidate => "it is a candidate in this epoch itself and voted for itself".to_string(),
                    VoteRejectReason::IsLeader => "it is the leader of this epoch".to_string(),
                    VoteRejectReason::Resigned => "it resigned as leader of this epoch and may not vote in it".to_string(),
                    VoteRejectReason::LogBehind { candidate_last_epoch, candidate_end_offset, own_last_epoch, own_end_offset } => format!("the candidate's log (last epoch {candidate_last_epoch}, end offset {candidate_end_offset}) is behind its own (last epoch {own_last_epoch}, end offset {own_end_offset}), and a leader must hold every committed record"),
                    VoteRejectReason::NotAVoter => format!("{candidate} is not in controller.quorum.voters"),
                    VoteRejectReason::Observer => "it is an observer, not a voter".to_string(),
                    VoteRejectReason::InvalidRequest => "the request was invalid (INVALID_REQUEST)".to_string(),
                };
                format!("{who} refused to vote for {candidate} in epoch {epoch}: {why}")
            }
            RaftEvent::ElectionFailed {
                epoch,
                rejected_by,
                timed_out,
                backoff_ms,
                backoff_max_ms,
            } => {
                let why = if *timed_out {
                    "it did not collect votes from a majority within its election timeout".to_string()
                } else {
                    format!("{} refused, so a majority is out of reach", list(rejected_by))
                };
                format!("Controller {node} lost the election for epoch {epoch}: {why}; it backs off {backoff_ms} ms (random, at most controller.quorum.election.backoff.max.ms={backoff_max_ms}) before standing again")
            }
            RaftEvent::BecameLeader {
                epoch,
                votes,
                voters,
                epoch_start_offset,
            } => format!(
                "Controller {node} became leader for epoch {epoch} with votes from {} (a majority of {voters} voters); it writes a LeaderChange record at offset {epoch_start_offset} and sends BeginQuorumEpoch",
                list(votes)
            ),
            RaftEvent::BecameFollower {
                epoch,
                leader,
                observer,
                learned_from,
                via,
            } => {
                let source = if learned_from == leader {
                    format!("{via} from the leader")
                } else {
                    format!("{via} from {learned_from}")
                };
                format!("{} now follows leader {leader} in epoch {epoch}, learned from a {source}; it pulls the log with Fetch requests", noun(node, *observer))
            }
            RaftEvent::BecameUnattached {
                epoch,
                previous_epoch,
                previous_role,
                from,
                observer,
            } => {
                let who = match previous_role {
                    RaftRole::Leader => format!("Leader {node} stepped down and"),
                    RaftRole::Candidate => format!("Candidate {node} gave up and"),
                    _ => noun(node, *observer),
                };
                format!("{who} moved from epoch {previous_epoch} to epoch {epoch} because a message from {from} carried the higher epoch, which always wins; it does not know that epoch's leader yet")
            }
            RaftEvent::Resigned { epoch, reason } => match reason {
                ResignReason::CheckQuorum { timeout_ms, fetched, voters } => format!(
                    "Leader {node} resigned in epoch {epoch}: only {} of the other voters fetched within 1.5 x controller.quorum.fetch.timeout.ms = {timeout_ms} ms, not enough for a majority of {voters} (check-quorum), so it may be cut off and stops accepting writes",
                    if fetched.is_empty() { "none".to_string() } else { list(fetched) }
                ),
                ResignReason::Requested => format!("Leader {node} resigned from epoch {epoch} on request: it stops accepting writes and sends EndQuorumEpoch so that a successor stands at once"),
            },
            RaftEvent::Committed {
                high_watermark,
                epoch,
                leader,
                by_leader,
                replicated_on,
                voters,
                first_in_epoch,
                observer,
            } => {
                if *by_leader {
                    let first = if *first_in_epoch {
                        format!(", including this epoch's LeaderChange record (a new leader commits nothing until a record of its own epoch {epoch} is on a majority)")
                    } else {
                        String::new()
                    };
                    format!("Leader {node} advanced the high watermark to {high_watermark}: every record below it is on {} ({} of {voters} voters, a majority){first}", list(replicated_on), replicated_on.len())
                } else {
                    format!("{} learned high watermark {high_watermark} from leader {leader}'s FetchResponse in epoch {epoch}: records below it are committed", noun(node, *observer))
                }
            }
            RaftEvent::Truncated {
                from_offset,
                to_offset,
                diverging_epoch,
                diverging_end_offset,
                leader,
                observer,
            } => format!(
                "{} truncated its log from end offset {from_offset} to {to_offset}: leader {leader} answered its Fetch with a diverging epoch (epoch {diverging_epoch} ends at offset {diverging_end_offset} in the leader's log), so its records past that point were never committed and are replaced",
                noun(node, *observer)
            ),
            RaftEvent::ObserverLostLeader { leader, fetch_timeout_ms } => format!(
                "Broker {node} heard nothing from leader {leader} for controller.quorum.fetch.timeout.ms={fetch_timeout_ms}; as an observer it never stands for election, so it asks random voters who leads now"
            ),
        }
    }
}

/// [`RaftNode::append`] on a node that is not the leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotLeader {
    pub leader: Option<NodeId>,
    pub epoch: i32,
}

/// One row of `kafka-metadata-quorum.sh describe --replication`, as the leader sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaProgressView {
    pub node_id: NodeId,
    /// `Leader`, `Follower` or `Observer`.
    pub status: String,
    /// -1 until the replica has fetched in this epoch.
    pub log_end_offset: i64,
    /// Leader's log end offset minus the replica's.
    pub lag: i64,
    /// -1 if never.
    pub last_fetch_timestamp: i64,
    /// -1 if never.
    pub last_caught_up_timestamp: i64,
}

/// A quorum member for the UI and for `kafka-metadata-quorum.sh describe`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuorumMemberView {
    pub id: NodeId,
    pub role: RaftRole,
    pub role_name: String,
    pub is_voter: bool,
    pub crashed: bool,
    pub epoch: i32,
    pub leader: Option<NodeId>,
    pub voted_for: Option<NodeId>,
    pub log_end_offset: i64,
    pub last_fetched_epoch: i32,
    /// The HW of the current state, -1 while unknown (a new leader before its first commit,
    /// a restarted node before its first fetch response), as `DescribeQuorum` reports it.
    pub high_watermark: i64,
    /// The highest HW this process has learned: the end of [`RaftNode::committed`].
    pub committed_end_offset: i64,
    pub voters: Vec<NodeId>,
    /// Leader only: the leader, each voter and each observer, with their fetch progress.
    pub replication: Vec<ReplicaProgressView>,
}

// ------------------------------------------------------------------------------------------
// Internal state

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ReplicaState {
    end_offset: Option<i64>,
    last_fetch_ms: i64,
    last_fetch_leader_leo: i64,
    last_caught_up_ms: i64,
    acknowledged: bool,
}

impl ReplicaState {
    fn new(acknowledged: bool) -> Self {
        ReplicaState {
            end_offset: None,
            last_fetch_ms: -1,
            last_fetch_leader_leo: -1,
            last_caught_up_ms: -1,
            acknowledged,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FetchReq {
    epoch: i32,
    replica_id: NodeId,
    fetch_offset: i64,
    last_fetched_epoch: i32,
    max_wait_ms: i64,
    correlation_id: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct LeaderState {
    epoch_start_offset: i64,
    granting: Vec<NodeId>,
    voter_states: BTreeMap<NodeId, ReplicaState>,
    observer_states: BTreeMap<NodeId, ReplicaState>,
    /// Voters that fetched during the current check-quorum interval.
    fetched_voters: BTreeSet<NodeId>,
    parked: BTreeMap<NodeId, FetchReq>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CandidateState {
    granted: BTreeSet<NodeId>,
    rejected: BTreeSet<NodeId>,
    retries: u32,
    backing_off: bool,
    backoff_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FollowerState {
    leader: NodeId,
    /// Observer: the fetch timer expired, so fetches go to random voters.
    fetch_timed_out: bool,
    /// `EndQuorumEpoch` shortened the fetch timeout to this backoff.
    end_quorum_backoff_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ResignedState {
    unacked: BTreeSet<NodeId>,
    preferred_successors: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum State {
    /// Kafka's `UnattachedState`; the vote, if any, is `RaftNode::voted_for`.
    Unattached,
    Candidate(CandidateState),
    Leader(LeaderState),
    Follower(FollowerState),
    Resigned(ResignedState),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct InflightFetch {
    to: NodeId,
    correlation_id: i64,
}

enum Validity {
    Valid,
    Diverging(i32, i64),
}

/// One member of the controller quorum (a voter) or one observer, as a sans-IO state machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaftNode<R> {
    id: NodeId,
    voters: Vec<NodeId>,
    is_voter: bool,
    config: RaftConfig,
    // Durable: the quorum-state file (epoch, votedId, leaderId) and the log.
    epoch: i32,
    voted_for: Option<NodeId>,
    elected_leader: Option<NodeId>,
    /// Shared with the timeline's snapshots chunk by chunk (see [`ChunkedVec`]).
    log: ChunkedVec<Entry<R>>,
    /// How many times the log was truncated, so views kept over it know to start again.
    truncations: u64,
    // Volatile.
    crashed: bool,
    state: State,
    /// The HW of the current state (`EpochState.highWatermark()`).
    quorum_hw: Option<i64>,
    /// The log's HW (`ReplicatedLog.highWatermark`): the highest HW learned by this process.
    log_hw: i64,
    /// At most one deadline per timer.
    deadlines: Vec<(RaftTimer, i64)>,
    inflight_fetch: Option<InflightFetch>,
    /// Kept across restarts so that a late response can never match a new request.
    next_correlation_id: i64,
    last_election_timeout_ms: i64,
    now_ms: i64,
}

type Outs<R> = Vec<RaftOutput<R>>;

impl<R: Clone + Debug + PartialEq> RaftNode<R> {
    // --------------------------------------------------------------------------------------
    // Construction, crash and restart

    /// A controller listed in `voters`. Starts unattached in epoch 0 (or, as the only voter,
    /// elects itself at once). The outputs hold its first election timer.
    pub fn new_voter(
        id: NodeId,
        voters: Vec<NodeId>,
        config: RaftConfig,
        now_ms: i64,
        rng: &mut SimRng,
    ) -> (Self, Vec<RaftOutput<R>>) {
        let mut node = Self::blank(id, voters, config, false);
        let out = node.initialize(now_ms, rng, false);
        (node, out)
    }

    /// A broker replicating the log. Its outputs hold its first Fetch, to a random voter.
    pub fn new_observer(
        id: NodeId,
        voters: Vec<NodeId>,
        config: RaftConfig,
        now_ms: i64,
        rng: &mut SimRng,
    ) -> (Self, Vec<RaftOutput<R>>) {
        let mut node = Self::blank(id, voters, config, true);
        let out = node.initialize(now_ms, rng, false);
        (node, out)
    }

    fn blank(id: NodeId, mut voters: Vec<NodeId>, config: RaftConfig, observer: bool) -> Self {
        crate::sort::sort(&mut voters);
        voters.dedup();
        let is_voter = !observer && voters.contains(&id);
        RaftNode {
            id,
            voters,
            is_voter,
            config,
            epoch: 0,
            voted_for: None,
            elected_leader: None,
            log: ChunkedVec::new(),
            truncations: 0,
            crashed: false,
            state: State::Unattached,
            quorum_hw: None,
            log_hw: 0,
            deadlines: Vec::new(),
            inflight_fetch: None,
            next_correlation_id: 0,
            last_election_timeout_ms: 0,
            now_ms: 0,
        }
    }

    /// The process dies: everything but the quorum-state file and the log is lost. Messages
    /// and timers for a crashed node are ignored until [`RaftNode::restart`].
    pub fn crash(&mut self) {
        self.crashed = true;
        self.state = State::Unattached;
        self.quorum_hw = None;
        self.log_hw = 0;
        self.deadlines.clear();
        self.inflight_fetch = None;
    }

    /// The process starts again from its quorum-state file and log (`QuorumState.initialize`).
    pub fn restart(&mut self, now_ms: i64, rng: &mut SimRng) -> Vec<RaftOutput<R>> {
        self.initialize(now_ms, rng, true)
    }

    fn initialize(&mut self, now_ms: i64, rng: &mut SimRng, restarted: bool) -> Outs<R> {
        let mut out = Vec::new();
        self.crashed = false;
        self.now_ms = now_ms;
        self.state = State::Unattached;
        self.quorum_hw = None;
        self.log_hw = 0;
        self.deadlines.clear();
        self.inflight_fetch = None;

        let log_epoch = self.last_fetched_epoch();
        let mut election_timeout = None;
        if self.epoch < log_epoch {
            self.epoch = log_epoch;
            self.voted_for = None;
            self.elected_leader = None;
        }
        if self.is_voter && self.elected_leader == Some(self.id) {
            // A leader comes back resigned in its own epoch.
            let t = self.random_election_timeout(rng);
            election_timeout = Some(t);
            let others = self.other_voters();
            self.state = State::Resigned(ResignedState {
                unacked: others.iter().copied().collect(),
                preferred_successors: Vec::new(),
            });
            self.set_timer(RaftTimer::Election, t, &mut out);
        } else if self.is_voter && self.voted_for == Some(self.id) {
            let t = self.random_election_timeout(rng);
            election_timeout = Some(t);
            self.state = State::Candidate(CandidateState {
                granted: [self.id].into_iter().collect(),
                rejected: BTreeSet::new(),
                retries: 1,
                backing_off: false,
                backoff_ms: 0,
            });
            self.set_timer(RaftTimer::Election, t, &mut out);
        } else if let (None, Some(leader)) = (self.voted_for, self.elected_leader) {
            if leader != self.id {
                self.state = State::Follower(FollowerState {
                    leader,
                    fetch_timed_out: false,
                    end_quorum_backoff_ms: None,
                });
                self.set_timer(
                    RaftTimer::FetchTimeout,
                    self.config.fetch_timeout_ms,
                    &mut out,
                );
            }
        } else if self.is_voter {
            let t = self.random_election_timeout(rng);
            election_timeout = Some(t);
            self.set_timer(RaftTimer::Election, t, &mut out);
        }
        if restarted || !self.is_voter || self.voters.len() > 1 {
            out.push(RaftOutput::Event(RaftEvent::Started {
                restarted,
                role: self.role(),
                epoch: self.epoch,
                leader: self.election_leader(),
                voted_for: self.voted_for,
                log_end_offset: self.log_end_offset(),
                election_timeout_ms: election_timeout,
                election_timeout_config_ms: self.config.election_timeout_ms,
            }));
        }
        if let State::Resigned(r) = &self.state {
            let to: Vec<NodeId> = r.unacked.iter().copied().collect();
            for v in to {
                let message = RaftMessage::EndQuorumEpoch {
                    leader_epoch: self.epoch,
                    leader_id: self.id,
                    preferred_successors: Vec::new(),
                };
                out.push(RaftOutput::Send { to: v, message });
            }
        }
        if matches!(self.state, State::Candidate(_)) && !self.maybe_become_leader(&mut out) {
            self.send_vote_requests(&mut out);
        }
        if self.is_only_voter() && !matches!(self.state, State::Candidate(_) | State::Leader(_)) {
            self.transition_to_candidate(CandidateReason::OnlyVoter, rng, &mut out);
        }
        self.ensure_fetching(rng, &mut out);
        out
    }

    // --------------------------------------------------------------------------------------
    // Read access

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn voters(&self) -> &[NodeId] {
        &self.voters
    }

    pub fn is_voter(&self) -> bool {
        self.is_voter
    }

    pub fn config(&self) -> &RaftConfig {
        &self.config
    }

    pub fn is_crashed(&self) -> bool {
        self.crashed
    }

    /// The leader this node follows, or itself when it leads. `None` while unattached, a
    /// candidate, resigned or crashed.
    pub fn leader(&self) -> Option<NodeId> {
        if self.crashed {
            return None;
        }
        match &self.state {
            State::Leader(_) => Some(self.id),
            State::Follower(f) => Some(f.leader),
            _ => None,
        }
    }

    pub fn epoch(&self) -> i32 {
        self.epoch
    }

    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }

    pub fn role(&self) -> RaftRole {
        if !self.is_voter {
            return RaftRole::Observer;
        }
        match &self.state {
            State::Unattached => RaftRole::Unattached,
            State::Candidate(_) => RaftRole::Candidate,
            State::Leader(_) => RaftRole::Leader,
            State::Follower(_) => RaftRole::Follower,
            State::Resigned(_) => RaftRole::Resigned,
        }
    }

    /// Kafka's name of the node's `EpochState`.
    pub fn state_name(&self) -> &'static str {
        match &self.state {
            State::Unattached if self.voted_for.is_some() => "Unattached (voted)",
            State::Unattached => "Unattached",
            State::Candidate(_) => "Candidate",
            State::Leader(_) => "Leader",
            State::Follower(_) => "Follower",
            State::Resigned(_) => "Resigned",
        }
    }

    /// The end of the committed prefix this process knows: everything below it is on a
    /// majority and will never change. Never decreases while the process lives; 0 after a
    /// restart until the leader's HW arrives. (A new leader keeps the value it learned as a
    /// follower; see [`RaftNode::quorum_high_watermark`] for Kafka's per-epoch value.)
    pub fn high_watermark(&self) -> i64 {
        self.log_hw
    }

    /// Kafka's `RaftClient.highWatermark()`: unknown for a new leader until it commits a
    /// record of its own epoch, and for a restarted node until its first fetch response.
    pub fn quorum_high_watermark(&self) -> Option<i64> {
        self.quorum_hw
    }

    pub fn log(&self) -> &ChunkedVec<Entry<R>> {
        &self.log
    }

    /// The records below [`RaftNode::high_watermark`].
    /// Bumped on every truncation of the log (see [`crate::metadata::ImageCache`]).
    pub fn truncations(&self) -> u64 {
        self.truncations
    }

    pub fn committed(&self) -> Iter<'_, Entry<R>> {
        let end = (self.log_hw.max(0) as usize).min(self.log.len());
        self.log.range(0..end)
    }

    pub fn log_end_offset(&self) -> i64 {
        self.log.len() as i64
    }

    /// The epoch of the last record (0 for an empty log).
    pub fn last_fetched_epoch(&self) -> i32 {
        self.log.last().map_or(0, |e| e.epoch)
    }

    /// The current deadline of `timer`, if set.
    pub fn timer_deadline(&self, timer: &RaftTimer) -> Option<i64> {
        self.deadlines
            .iter()
            .find(|(t, _)| t == timer)
            .map(|&(_, d)| d)
    }

    /// True when `timer` is the node's current deadline for that timer and it is due at
    /// `now_ms`. The kernel calls [`RaftNode::handle_timer`] only for live timers (a timer
    /// that was re-armed or whose state ended is stale).
    pub fn is_timer_live(&self, timer: &RaftTimer, now_ms: i64) -> bool {
        !self.crashed && self.timer_deadline(timer).is_some_and(|d| d <= now_ms)
    }

    pub fn view(&self) -> QuorumMemberView {
        let role = self.role();
        let mut replication = Vec::new();
        if let (false, State::Leader(ls)) = (self.crashed, &self.state) {
            let leo = self.log_end_offset();
            let now = self.now_ms;
            for (&id, rs) in &ls.voter_states {
                if id == self.id {
                    replication.push(ReplicaProgressView {
                        node_id: id,
                        status: "Leader".into(),
                        log_end_offset: leo,
                        lag: 0,
                        last_fetch_timestamp: now,
                        last_caught_up_timestamp: now,
                    });
                } else {
                    replication.push(progress(id, "Follower", rs, leo));
                }
            }
            for (&id, rs) in &ls.observer_states {
                replication.push(progress(id, "Observer", rs, leo));
            }
        }
        QuorumMemberView {
            id: self.id,
            role,
            role_name: if self.crashed {
                "Crashed".into()
            } else {
                role.name().into()
            },
            is_voter: self.is_voter,
            crashed: self.crashed,
            epoch: self.epoch,
            leader: self.leader(),
            voted_for: self.voted_for,
            log_end_offset: self.log_end_offset(),
            last_fetched_epoch: self.last_fetched_epoch(),
            high_watermark: self.quorum_hw.unwrap_or(-1),
            committed_end_offset: self.log_hw,
            voters: self.voters.clone(),
            replication,
        }
    }

    // --------------------------------------------------------------------------------------
    // Inputs

    /// Handles one message from `from`. Stale, duplicated and unexpected messages are ignored
    /// or answered with Kafka's error codes; nothing panics.
    pub fn handle_message(
        &mut self,
        now_ms: i64,
        from: NodeId,
        message: RaftMessage<R>,
        rng: &mut SimRng,
    ) -> Vec<RaftOutput<R>> {
        let mut out = Vec::new();
        if self.crashed || from == self.id {
            return out;
        }
        self.now_ms = now_ms;
        match message {
            RaftMessage::VoteRequest {
                candidate_epoch,
                candidate_id,
                last_offset_epoch,
                last_offset,
            } => {
                if candidate_id == from {
                    self.on_vote_request(
                        from,
                        candidate_epoch,
                        (last_offset_epoch, last_offset),
                        rng,
                        &mut out,
                    );
                }
            }
            RaftMessage::VoteResponse {
                error,
                leader_epoch,
                leader_id,
                vote_granted,
            } => self.on_vote_response(
                from,
                error,
                leader_epoch,
                leader_id,
                vote_granted,
                rng,
                &mut out,
            ),
            RaftMessage::BeginQuorumEpoch {
                leader_epoch,
                leader_id,
            } => self.on_begin_quorum_epoch(from, leader_epoch, leader_id, rng, &mut out),
            RaftMessage::BeginQuorumEpochResponse {
                error,
                leader_epoch,
                leader_id,
            } => {
                let via = "BeginQuorumEpochResponse";
                if !self.handle_common_response(
                    from,
                    error,
                    leader_id,
                    leader_epoch,
                    via,
                    rng,
                    &mut out,
                ) && error.is_none()
                {
                    if let State::Leader(ls) = &mut self.state {
                        if let Some(rs) = ls.voter_states.get_mut(&from) {
                            rs.acknowledged = true;
                        }
                    }
                }
            }
            RaftMessage::EndQuorumEpoch {
                leader_epoch,
                leader_id,
                preferred_successors,
            } => self.on_end_quorum_epoch(
                from,
                leader_epoch,
                leader_id,
                &preferred_successors,
                rng,
                &mut out,
            ),
            RaftMessage::EndQuorumEpochResponse {
                error,
                leader_epoch,
                leader_id,
            } => {
                let via = "EndQuorumEpochResponse";
                if !self.handle_common_response(
                    from,
                    error,
                    leader_id,
                    leader_epoch,
                    via,
                    rng,
                    &mut out,
                ) && error.is_none()
                {
                    if let State::Resigned(r) = &mut self.state {
                        r.unacked.remove(&from);
                    }
                }
            }
            RaftMessage::FetchRequest {
                epoch,
                replica_id,
                fetch_offset,
                last_fetched_epoch,
                max_wait_ms,
                correlation_id,
            } => {
                if replica_id == from {
                    let req = FetchReq {
                        epoch,
                        replica_id,
                        fetch_offset,
                        last_fetched_epoch,
                        max_wait_ms,
                        correlation_id,
                    };
                    self.on_fetch_request(req, &mut out);
                }
            }
            message @ RaftMessage::FetchResponse { .. } => {
                self.on_fetch_response(from, message, rng, &mut out)
            }
        }
        self.ensure_fetching(rng, &mut out);
        out
    }

    /// Handles an expired timer. Stale timers (see [`RaftNode::is_timer_live`]) are ignored.
    pub fn handle_timer(
        &mut self,
        now_ms: i64,
        timer: RaftTimer,
        rng: &mut SimRng,
    ) -> Vec<RaftOutput<R>> {
        let mut out = Vec::new();
        if !self.is_timer_live(&timer, now_ms) {
            return out;
        }
        self.now_ms = now_ms;
        self.remove_timer(&timer);
        match timer {
            RaftTimer::Election => match &self.state {
                State::Unattached if self.is_voter => {
                    let reason = CandidateReason::ElectionTimeout {
                        timeout_ms: self.last_election_timeout_ms,
                        election_timeout_ms: self.config.election_timeout_ms,
                    };
                    self.transition_to_candidate(reason, rng, &mut out);
                }
                State::Candidate(c) if !c.backing_off => {
                    self.start_backoff(true, rng, &mut out);
                }
                State::Resigned(_) if self.is_voter => {
                    let reason = CandidateReason::AfterResigning {
                        timeout_ms: self.last_election_timeout_ms,
                    };
                    self.transition_to_candidate(reason, rng, &mut out);
                }
                _ => {}
            },
            RaftTimer::ElectionBackoff => {
                if let State::Candidate(c) = &self.state {
                    if c.backing_off {
                        let reason = CandidateReason::Retry {
                            previous_epoch: self.epoch,
                            backoff_ms: c.backoff_ms,
                        };
                        self.transition_to_candidate(reason, rng, &mut out);
                    }
                }
            }
            RaftTimer::FetchTimeout => {
                if let State::Follower(f) = &mut self.state {
                    if self.is_voter {
                        let reason = match f.end_quorum_backoff_ms {
                            Some(backoff_ms) => CandidateReason::LeaderResigned {
                                leader: f.leader,
                                backoff_ms,
                            },
                            None => CandidateReason::FetchTimeout {
                                leader: f.leader,
                                fetch_timeout_ms: self.config.fetch_timeout_ms,
                            },
                        };
                        self.transition_to_candidate(reason, rng, &mut out);
                    } else {
                        f.fetch_timed_out = true;
                        let leader = f.leader;
                        // Give up on the fetch in flight to the leader and ask a random voter.
                        self.inflight_fetch = None;
                        self.remove_timer(&RaftTimer::RequestTimeout);
                        self.event(
                            RaftEvent::ObserverLostLeader {
                                leader,
                                fetch_timeout_ms: self.config.fetch_timeout_ms,
                            },
                            &mut out,
                        );
                    }
                }
            }
            RaftTimer::FetchWait { replica } => self.complete_parked_fetch(replica, &mut out),
            RaftTimer::CheckQuorum => {
                if let State::Leader(ls) = &self.state {
                    let fetched: Vec<NodeId> = ls.fetched_voters.iter().copied().collect();
                    let reason = ResignReason::CheckQuorum {
                        timeout_ms: self.config.check_quorum_timeout_ms(),
                        fetched,
                        voters: self.voters.len(),
                    };
                    self.transition_to_resigned(reason, rng, &mut out);
                }
            }
            RaftTimer::BeginQuorumEpoch => {
                if let State::Leader(_) = &self.state {
                    self.send_begin_quorum_epoch(&mut out);
                }
            }
            RaftTimer::RequestTimeout => self.inflight_fetch = None,
            RaftTimer::FetchBackoff => {}
        }
        self.ensure_fetching(rng, &mut out);
        out
    }

    /// Leader only: appends `records` in the current epoch. Returns the offset of the first.
    pub fn append(
        &mut self,
        now_ms: i64,
        records: Vec<R>,
    ) -> Result<(i64, Vec<RaftOutput<R>>), NotLeader> {
        if self.crashed || !matches!(self.state, State::Leader(_)) {
            return Err(NotLeader {
                leader: self.leader(),
                epoch: self.epoch,
            });
        }
        self.now_ms = now_ms;
        let first = self.log_end_offset();
        let mut out = Vec::new();
        if records.is_empty() {
            return Ok((first, out));
        }
        for record in records {
            self.push_entry(RaftRecord::Data(record));
        }
        self.on_leader_log_grew(&mut out);
        Ok((first, out))
    }

    /// Leader only: resign gracefully (as on a controlled shutdown). The node stays resigned
    /// in its epoch and stands again after its election timeout unless a successor wins.
    pub fn resign(&mut self, now_ms: i64, rng: &mut SimRng) -> Vec<RaftOutput<R>> {
        let mut out = Vec::new();
        if self.crashed || !matches!(self.state, State::Leader(_)) {
            return out;
        }
        self.now_ms = now_ms;
        self.transition_to_resigned(ResignReason::Requested, rng, &mut out);
        out
    }

    // --------------------------------------------------------------------------------------
    // Helpers: log

    fn push_entry(&mut self, record: RaftRecord<R>) {
        let offset = self.log_end_offset();
        self.log.push(Entry {
            offset,
            epoch: self.epoch,
            record: Arc::new(record),
        });
    }

    /// `LeaderEpochFileCache.endOffsetFor` through `KafkaMetadataLog.endOffsetForEpoch`:
    /// `(epoch, end offset)` of the largest epoch `<= epoch` in this log.
    fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        let leo = self.log_end_offset();
        let last = self.last_fetched_epoch();
        if self.log.is_empty() || epoch == last {
            return (if self.log.is_empty() { last } else { epoch }, leo);
        }
        match self.log.iter().position(|e| e.epoch > epoch) {
            None => (last, leo),
            Some(0) => (epoch, self.log[0].offset),
            Some(i) => (self.log[i - 1].epoch, self.log[i].offset),
        }
    }

    /// `ReplicatedLog.validateOffsetAndEpoch` (without snapshots).
    fn validate_offset_and_epoch(&self, offset: i64, epoch: i32) -> Validity {
        if offset == 0 {
            return Validity::Valid;
        }
        let (end_epoch, end_offset) = self.end_offset_for_epoch(epoch);
        if end_epoch != epoch || end_offset < offset {
            Validity::Diverging(end_epoch, end_offset)
        } else {
            Validity::Valid
        }
    }

    /// `ReplicatedLog.truncateToEndOffset`: where to cut for a diverging `(epoch, offset)`.
    fn truncation_offset(&self, epoch: i32, offset: i64) -> i64 {
        if epoch == 0 {
            offset.min(self.log_end_offset())
        } else {
            let (local_epoch, local_offset) = self.end_offset_for_epoch(epoch);
            if local_epoch == epoch {
                local_offset.min(offset)
            } else {
                local_offset
            }
        }
    }

    // --------------------------------------------------------------------------------------
    // Helpers: timers and outputs

    fn set_timer(&mut self, timer: RaftTimer, after_ms: i64, out: &mut Outs<R>) {
        let after_ms = after_ms.max(0);
        let deadline = self.now_ms + after_ms;
        match self.deadlines.iter_mut().find(|(t, _)| *t == timer) {
            Some(slot) => slot.1 = deadline,
            None => self.deadlines.push((timer, deadline)),
        }
        out.push(RaftOutput::SetTimer { timer, after_ms });
    }

    fn remove_timer(&mut self, timer: &RaftTimer) {
        self.deadlines.retain(|(t, _)| t != timer);
    }

    fn event(&self, event: RaftEvent, out: &mut Outs<R>) {
        out.push(RaftOutput::Event(event));
    }

    fn random_election_timeout(&mut self, rng: &mut SimRng) -> i64 {
        let base = self.config.election_timeout_ms;
        let t = if base <= 0 {
            0
        } else {
            rng.range(base, 2 * base)
        };
        self.last_election_timeout_ms = t;
        t
    }

    fn other_voters(&self) -> Vec<NodeId> {
        self.voters
            .iter()
            .copied()
            .filter(|&v| v != self.id)
            .collect()
    }

    fn is_only_voter(&self) -> bool {
        self.is_voter && self.voters.len() == 1
    }

    fn majority(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    /// Kafka's `ElectionState.leaderId`: also set (to itself) for a resigned leader.
    fn election_leader(&self) -> Option<NodeId> {
        match &self.state {
            State::Leader(_) | State::Resigned(_) => Some(self.id),
            State::Follower(f) => Some(f.leader),
            _ => None,
        }
    }

    /// Ends the current state: forgets its timers and in-flight fetch, and answers any fetch
    /// it had parked as leader (with the error the new state gives).
    fn set_state(&mut self, state: State, out: &mut Outs<R>) {
        let old = std::mem::replace(&mut self.state, state);
        self.deadlines.clear();
        self.inflight_fetch = None;
        if let State::Leader(ls) = old {
            for (replica, req) in ls.parked {
                let message = self.try_complete_fetch(&req, out);
                out.push(RaftOutput::Send {
                    to: replica,
                    message,
                });
            }
        }
    }

    // --------------------------------------------------------------------------------------
    // Transitions (QuorumState.transitionTo*)

    fn transition_to_unattached(
        &mut self,
        epoch: i32,
        from: NodeId,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        let previous_role = self.role();
        let previous_epoch = self.epoch;
        // A candidate or unattached voter keeps the rest of its election timeout.
        let timeout = match &self.state {
            State::Candidate(_) | State::Unattached => self
                .timer_deadline(&RaftTimer::Election)
                .map_or(0, |d| (d - self.now_ms).max(0)),
            _ => self.random_election_timeout(rng),
        };
        self.epoch = epoch;
        self.voted_for = None;
        self.elected_leader = None;
        self.set_state(State::Unattached, out);
        if self.is_voter {
            self.set_timer(RaftTimer::Election, timeout, out);
        }
        self.event(
            RaftEvent::BecameUnattached {
                epoch,
                previous_epoch,
                previous_role,
                from,
                observer: !self.is_voter,
            },
            out,
        );
    }

    fn transition_to_voted(
        &mut self,
        candidate: NodeId,
        epoch: i32,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        self.epoch = epoch;
        self.voted_for = Some(candidate);
        self.elected_leader = None;
        self.set_state(State::Unattached, out);
        // Reset the election timeout: the candidate has at least as good a chance as we do.
        let t = self.random_election_timeout(rng);
        self.set_timer(RaftTimer::Election, t, out);
    }

    fn transition_to_follower(
        &mut self,
        epoch: i32,
        leader: NodeId,
        learned_from: NodeId,
        via: &str,
        out: &mut Outs<R>,
    ) {
        self.epoch = epoch;
        self.voted_for = None;
        self.elected_leader = Some(leader);
        self.set_state(
            State::Follower(FollowerState {
                leader,
                fetch_timed_out: false,
                end_quorum_backoff_ms: None,
            }),
            out,
        );
        self.set_timer(RaftTimer::FetchTimeout, self.config.fetch_timeout_ms, out);
        self.event(
            RaftEvent::BecameFollower {
                epoch,
                leader,
                observer: !self.is_voter,
                learned_from,
                via: via.to_string(),
            },
            out,
        );
    }

    fn transition_to_candidate(
        &mut self,
        reason: CandidateReason,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        if !self.is_voter || matches!(self.state, State::Leader(_)) {
            return;
        }
        let retries = match &self.state {
            State::Candidate(c) => c.retries + 1,
            _ => 1,
        };
        self.epoch += 1;
        self.voted_for = Some(self.id);
        self.elected_leader = None;
        self.set_state(
            State::Candidate(CandidateState {
                granted: [self.id].into_iter().collect(),
                rejected: BTreeSet::new(),
                retries,
                backing_off: false,
                backoff_ms: 0,
            }),
            out,
        );
        let t = self.random_election_timeout(rng);
        self.set_timer(RaftTimer::Election, t, out);
        self.event(
            RaftEvent::BecameCandidate {
                epoch: self.epoch,
                reason,
            },
            out,
        );
        if !self.maybe_become_leader(out) {
            self.send_vote_requests(out);
        }
    }

    fn send_vote_requests(&self, out: &mut Outs<R>) {
        if let State::Candidate(c) = &self.state {
            for v in self.other_voters() {
                if c.granted.contains(&v) || c.rejected.contains(&v) {
                    continue;
                }
                out.push(RaftOutput::Send {
                    to: v,
                    message: RaftMessage::VoteRequest {
                        candidate_epoch: self.epoch,
                        candidate_id: self.id,
                        last_offset_epoch: self.last_fetched_epoch(),
                        last_offset: self.log_end_offset(),
                    },
                });
            }
        }
    }

    /// `binaryExponentialElectionBackoffMs` and `CandidateState.startBackingOff`.
    fn start_backoff(&mut self, timed_out: bool, rng: &mut SimRng, out: &mut Outs<R>) {
        let max = self.config.election_backoff_max_ms;
        let State::Candidate(c) = &mut self.state else {
            return;
        };
        let shift = (c.retries.max(1) - 1).min(20);
        let backoff = (ELECTION_BACKOFF_BASE_MS * rng.below(2u64 << shift) as i64).min(max);
        c.backing_off = true;
        c.backoff_ms = backoff;
        let rejected_by: Vec<NodeId> = c.rejected.iter().copied().collect();
        self.remove_timer(&RaftTimer::Election);
        self.set_timer(RaftTimer::ElectionBackoff, backoff, out);
        self.event(
            RaftEvent::ElectionFailed {
                epoch: self.epoch,
                rejected_by,
                timed_out,
                backoff_ms: backoff,
                backoff_max_ms: max,
            },
            out,
        );
    }

    fn maybe_become_leader(&mut self, out: &mut Outs<R>) -> bool {
        let votes = match &self.state {
            State::Candidate(c) if c.granted.len() >= self.majority() => c.granted.clone(),
            _ => return false,
        };
        let epoch_start_offset = self.log_end_offset();
        let voter_states = self
            .voters
            .iter()
            .map(|&v| (v, ReplicaState::new(v == self.id)))
            .collect();
        self.elected_leader = Some(self.id);
        self.voted_for = None;
        self.set_state(
            State::Leader(LeaderState {
                epoch_start_offset,
                granting: votes.iter().copied().collect(),
                voter_states,
                observer_states: BTreeMap::new(),
                fetched_voters: BTreeSet::new(),
                parked: BTreeMap::new(),
            }),
            out,
        );
        // The leader does not keep the HW it knew before (it could go backwards).
        self.quorum_hw = None;
        self.event(
            RaftEvent::BecameLeader {
                epoch: self.epoch,
                votes: votes.into_iter().collect(),
                voters: self.voters.len(),
                epoch_start_offset,
            },
            out,
        );
        let voters = self.voters.clone();
        self.push_entry(RaftRecord::LeaderChange {
            leader: self.id,
            voters,
        });
        if self.voters.len() > 1 {
            self.set_timer(
                RaftTimer::CheckQuorum,
                self.config.check_quorum_timeout_ms(),
                out,
            );
        }
        self.on_leader_log_grew(out);
        self.send_begin_quorum_epoch(out);
        true
    }

    fn send_begin_quorum_epoch(&mut self, out: &mut Outs<R>) {
        for v in self.other_voters() {
            out.push(RaftOutput::Send {
                to: v,
                message: RaftMessage::BeginQuorumEpoch {
                    leader_epoch: self.epoch,
                    leader_id: self.id,
                },
            });
        }
        if self.voters.len() > 1 {
            self.set_timer(
                RaftTimer::BeginQuorumEpoch,
                self.config.begin_quorum_epoch_interval_ms(),
                out,
            );
        }
    }

    fn transition_to_resigned(
        &mut self,
        reason: ResignReason,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        let State::Leader(ls) = &self.state else {
            return;
        };
        // `nonLeaderVotersByDescendingFetchOffset`.
        let mut successors: Vec<(Option<i64>, NodeId)> = ls
            .voter_states
            .iter()
            .filter(|(&v, _)| v != self.id)
            .map(|(&v, rs)| (rs.end_offset, v))
            .collect();
        crate::sort::sort_by(&mut successors, |a, b| match (a.0, b.0) {
            (Some(x), Some(y)) => y.cmp(&x).then(a.1.cmp(&b.1)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.1.cmp(&b.1),
        });
        let preferred: Vec<NodeId> = successors.into_iter().map(|(_, v)| v).collect();
        self.set_state(
            State::Resigned(ResignedState {
                unacked: self.other_voters().into_iter().collect(),
                preferred_successors: preferred.clone(),
            }),
            out,
        );
        let t = self.random_election_timeout(rng);
        self.set_timer(RaftTimer::Election, t, out);
        self.event(
            RaftEvent::Resigned {
                epoch: self.epoch,
                reason,
            },
            out,
        );
        for v in self.other_voters() {
            out.push(RaftOutput::Send {
                to: v,
                message: RaftMessage::EndQuorumEpoch {
                    leader_epoch: self.epoch,
                    leader_id: self.id,
                    preferred_successors: preferred.clone(),
                },
            });
        }
    }

    /// `hasConsistentLeader`: a message must not name a different leader for our epoch.
    fn has_consistent_leader(&self, epoch: i32, leader: Option<NodeId>) -> bool {
        if leader == Some(self.id) {
            return matches!(self.state, State::Leader(_));
        }
        let known = self.election_leader();
        epoch != self.epoch || leader.is_none() || known.is_none() || leader == known
    }

    /// `maybeTransition`: adopt a higher epoch, or the leader of our epoch if unknown.
    fn maybe_transition(
        &mut self,
        from: NodeId,
        leader: Option<NodeId>,
        epoch: i32,
        via: &str,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        if !self.has_consistent_leader(epoch, leader) {
            return;
        }
        if epoch > self.epoch {
            match leader {
                Some(l) => self.transition_to_follower(epoch, l, from, via, out),
                None => self.transition_to_unattached(epoch, from, rng, out),
            }
        } else if epoch == self.epoch && self.election_leader().is_none() {
            if let Some(l) = leader {
                self.transition_to_follower(epoch, l, from, via, out);
            }
        }
    }

    /// `maybeHandleCommonResponse`. Returns true when the response is fully handled here.
    #[allow(clippy::too_many_arguments)]
    fn handle_common_response(
        &mut self,
        from: NodeId,
        error: Option<RaftError>,
        leader: Option<NodeId>,
        epoch: i32,
        via: &str,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) -> bool {
        if leader.is_some_and(|l| !self.voters.contains(&l)) {
            return true;
        }
        if epoch < self.epoch || error == Some(RaftError::UNKNOWN_LEADER_EPOCH) {
            return true;
        }
        if epoch > self.epoch
            || error == Some(RaftError::FENCED_LEADER_EPOCH)
            || error == Some(RaftError::NOT_LEADER_OR_FOLLOWER)
        {
            self.maybe_transition(from, leader, epoch, via, rng, out);
            return true;
        }
        if let (Some(l), None) = (leader, self.election_leader()) {
            if !self.has_consistent_leader(epoch, leader) {
                return true;
            }
            self.transition_to_follower(epoch, l, from, via, out);
            return error.is_some();
        }
        error == Some(RaftError::INVALID_REQUEST)
    }

    // --------------------------------------------------------------------------------------
    // Vote

    fn on_vote_request(
        &mut self,
        candidate: NodeId,
        candidate_epoch: i32,
        candidate_last: (i32, i64),
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        let (last_epoch, last_offset) = candidate_last;
        let reject =
            |reason: VoteRejectReason, node: &Self, out: &mut Outs<R>, error: Option<RaftError>| {
                node.event(
                    RaftEvent::VoteRejected {
                        candidate,
                        epoch: candidate_epoch,
                        reason,
                    },
                    out,
                );
                out.push(RaftOutput::Send {
                    to: candidate,
                    message: RaftMessage::VoteResponse {
                        error,
                        leader_epoch: node.epoch,
                        leader_id: node.election_leader(),
                        vote_granted: false,
                    },
                });
            };
        if last_offset < 0 || last_epoch < 0 || last_epoch >= candidate_epoch {
            reject(
                VoteRejectReason::InvalidRequest,
                self,
                out,
                Some(RaftError::INVALID_REQUEST),
            );
            return;
        }
        if candidate_epoch < self.epoch {
            let reason = VoteRejectReason::StaleEpoch {
                current_epoch: self.epoch,
            };
            reject(reason, self, out, Some(RaftError::FENCED_LEADER_EPOCH));
            return;
        }
        if !self.voters.contains(&candidate) {
            reject(VoteRejectReason::NotAVoter, self, out, None);
            return;
        }
        if candidate_epoch > self.epoch {
            self.transition_to_unattached(candidate_epoch, candidate, rng, out);
        }
        if !self.is_voter {
            reject(VoteRejectReason::Observer, self, out, None);
            return;
        }
        let own = (self.last_fetched_epoch(), self.log_end_offset());
        let up_to_date = (last_epoch, last_offset) >= own;
        let rejection = match &self.state {
            State::Unattached => match self.voted_for {
                Some(v) if v != candidate => Some(VoteRejectReason::AlreadyVoted { voted_for: v }),
                Some(_) => None,
                None if !up_to_date => Some(VoteRejectReason::LogBehind {
                    candidate_last_epoch: last_epoch,
                    candidate_end_offset: last_offset,
                    own_last_epoch: own.0,
                    own_end_offset: own.1,
                }),
                None => None,
            },
            State::Candidate(_) => Some(VoteRejectReason::AlreadyCandidate),
            State::Leader(_) => Some(VoteRejectReason::IsLeader),
            State::Follower(f) => Some(VoteRejectReason::LeaderKnown { leader: f.leader }),
            State::Resigned(_) => Some(VoteRejectReason::Resigned),
        };
        if let Some(reason) = rejection {
            reject(reason, self, out, None);
            return;
        }
        if self.voted_for.is_none() {
            self.transition_to_voted(candidate, candidate_epoch, rng, out);
        }
        self.event(
            RaftEvent::VoteGranted {
                to: candidate,
                epoch: candidate_epoch,
                candidate_last_epoch: last_epoch,
                candidate_end_offset: last_offset,
                own_last_epoch: own.0,
                own_end_offset: own.1,
            },
            out,
        );
        out.push(RaftOutput::Send {
            to: candidate,
            message: RaftMessage::VoteResponse {
                error: None,
                leader_epoch: self.epoch,
                leader_id: self.election_leader(),
                vote_granted: true,
            },
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_vote_response(
        &mut self,
        from: NodeId,
        error: Option<RaftError>,
        epoch: i32,
        leader: Option<NodeId>,
        granted: bool,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        if self.handle_common_response(from, error, leader, epoch, "VoteResponse", rng, out)
            || error.is_some()
        {
            return;
        }
        if !self.voters.contains(&from) {
            return;
        }
        let majority = self.majority();
        let voters = self.voters.len();
        let State::Candidate(c) = &mut self.state else {
            return;
        };
        if granted {
            if c.rejected.contains(&from) {
                return;
            }
            c.granted.insert(from);
            self.maybe_become_leader(out);
        } else {
            if c.granted.contains(&from) {
                return;
            }
            c.rejected.insert(from);
            let unrecorded = voters - c.granted.len() - c.rejected.len();
            if c.granted.len() + unrecorded < majority && !c.backing_off {
                self.start_backoff(false, rng, out);
            }
        }
    }

    // --------------------------------------------------------------------------------------
    // BeginQuorumEpoch / EndQuorumEpoch

    fn on_begin_quorum_epoch(
        &mut self,
        from: NodeId,
        epoch: i32,
        leader: NodeId,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        if leader != from || !self.voters.contains(&leader) {
            return;
        }
        if epoch < self.epoch {
            out.push(RaftOutput::Send {
                to: from,
                message: RaftMessage::BeginQuorumEpochResponse {
                    error: Some(RaftError::FENCED_LEADER_EPOCH),
                    leader_epoch: self.epoch,
                    leader_id: self.election_leader(),
                },
            });
            return;
        }
        if !self.has_consistent_leader(epoch, Some(leader)) {
            return;
        }
        self.maybe_transition(from, Some(leader), epoch, "BeginQuorumEpoch", rng, out);
        out.push(RaftOutput::Send {
            to: from,
            message: RaftMessage::BeginQuorumEpochResponse {
                error: None,
                leader_epoch: self.epoch,
                leader_id: self.election_leader(),
            },
        });
    }

    fn on_end_quorum_epoch(
        &mut self,
        from: NodeId,
        epoch: i32,
        leader: NodeId,
        preferred: &[NodeId],
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        if leader != from || !self.voters.contains(&leader) {
            return;
        }
        if epoch < self.epoch {
            out.push(RaftOutput::Send {
                to: from,
                message: RaftMessage::EndQuorumEpochResponse {
                    error: Some(RaftError::FENCED_LEADER_EPOCH),
                    leader_epoch: self.epoch,
                    leader_id: self.election_leader(),
                },
            });
            return;
        }
        if !self.has_consistent_leader(epoch, Some(leader)) {
            return;
        }
        self.maybe_transition(from, Some(leader), epoch, "EndQuorumEpoch", rng, out);
        let backoff = self.end_epoch_election_backoff(preferred);
        if let State::Follower(f) = &mut self.state {
            if f.leader == leader {
                f.end_quorum_backoff_ms = Some(backoff);
                self.set_timer(RaftTimer::FetchTimeout, backoff, out);
            }
        }
        out.push(RaftOutput::Send {
            to: from,
            message: RaftMessage::EndQuorumEpochResponse {
                error: None,
                leader_epoch: self.epoch,
                leader_id: self.election_leader(),
            },
        });
    }

    /// `endEpochElectionBackoff` with `strictExponentialElectionBackoffMs`.
    fn end_epoch_election_backoff(&self, preferred: &[NodeId]) -> i64 {
        let max = self.config.election_backoff_max_ms;
        let position = preferred
            .iter()
            .position(|&c| c == self.id)
            .unwrap_or(preferred.len());
        let total = preferred.len();
        if position == 0 {
            0
        } else if position >= total {
            max
        } else {
            let base = max >> (total - 1).min(62);
            max.min(base << (position - 1).min(62))
        }
    }

    // --------------------------------------------------------------------------------------
    // Fetch: the leader's side

    fn on_fetch_request(&mut self, req: FetchReq, out: &mut Outs<R>) {
        if req.max_wait_ms < 0
            || req.fetch_offset < 0
            || req.last_fetched_epoch < 0
            || req.last_fetched_epoch > req.epoch
        {
            out.push(RaftOutput::Send {
                to: req.replica_id,
                message: self.fetch_error(&req, RaftError::INVALID_REQUEST),
            });
            return;
        }
        let message = self.try_complete_fetch(&req, out);
        let answer_now = match &message {
            RaftMessage::FetchResponse {
                error,
                records,
                diverging,
                ..
            } => {
                error.is_some()
                    || !records.is_empty()
                    || diverging.is_some()
                    || req.max_wait_ms == 0
            }
            _ => true,
        };
        if answer_now {
            out.push(RaftOutput::Send {
                to: req.replica_id,
                message,
            });
        } else if let State::Leader(ls) = &mut self.state {
            let replica = req.replica_id;
            let wait = req.max_wait_ms;
            ls.parked.insert(replica, req);
            self.set_timer(RaftTimer::FetchWait { replica }, wait, out);
        }
    }

    fn fetch_error(&self, req: &FetchReq, error: RaftError) -> RaftMessage<R> {
        RaftMessage::FetchResponse {
            epoch: self.epoch,
            leader_id: self.election_leader(),
            error: Some(error),
            records: Vec::new(),
            high_watermark: -1,
            diverging: None,
            correlation_id: req.correlation_id,
        }
    }

    /// `tryCompleteFetchRequest`: validate the epoch and the fetch position, record the
    /// replica's progress and build the response.
    fn try_complete_fetch(&mut self, req: &FetchReq, out: &mut Outs<R>) -> RaftMessage<R> {
        let error = if req.epoch < self.epoch {
            Some(RaftError::FENCED_LEADER_EPOCH)
        } else if req.epoch > self.epoch {
            Some(RaftError::UNKNOWN_LEADER_EPOCH)
        } else if !matches!(self.state, State::Leader(_)) {
            Some(RaftError::NOT_LEADER_OR_FOLLOWER)
        } else {
            None
        };
        if let Some(error) = error {
            return self.fetch_error(req, error);
        }
        let (records, diverging) =
            match self.validate_offset_and_epoch(req.fetch_offset, req.last_fetched_epoch) {
                Validity::Valid => {
                    self.update_replica_state(req.replica_id, req.fetch_offset, out);
                    let from = (req.fetch_offset.max(0) as usize).min(self.log.len());
                    (
                        self.log.range(from..self.log.len()).cloned().collect(),
                        None,
                    )
                }
                Validity::Diverging(epoch, offset) => (Vec::new(), Some((epoch, offset))),
            };
        RaftMessage::FetchResponse {
            epoch: self.epoch,
            leader_id: Some(self.id),
            error: None,
            records,
            high_watermark: self.quorum_hw.unwrap_or(-1),
            diverging,
            correlation_id: req.correlation_id,
        }
    }

    /// `LeaderState.updateReplicaState` and `updateCheckQuorumForFollowingVoter`.
    fn update_replica_state(&mut self, replica: NodeId, fetch_offset: i64, out: &mut Outs<R>) {
        let now = self.now_ms;
        let leader_leo = self.log_end_offset();
        let is_voter = self.voters.contains(&replica);
        let majority_of_others = self.majority() - 1;
        let State::Leader(ls) = &mut self.state else {
            return;
        };
        if replica < 0 || replica == self.id {
            return;
        }
        ls.observer_states
            .retain(|_, s| now - s.last_fetch_ms < OBSERVER_SESSION_TIMEOUT_MS);
        let rs = if is_voter {
            ls.voter_states
                .entry(replica)
                .or_insert_with(|| ReplicaState::new(false))
        } else {
            ls.observer_states
                .entry(replica)
                .or_insert_with(|| ReplicaState::new(false))
        };
        if fetch_offset >= leader_leo {
            rs.last_caught_up_ms = rs.last_caught_up_ms.max(now);
        } else if rs.last_fetch_leader_leo > 0 && fetch_offset >= rs.last_fetch_leader_leo {
            rs.last_caught_up_ms = rs.last_caught_up_ms.max(rs.last_fetch_ms);
        }
        rs.last_fetch_leader_leo = leader_leo;
        rs.last_fetch_ms = rs.last_fetch_ms.max(now);
        rs.end_offset = Some(fetch_offset);
        rs.acknowledged = true;
        if !is_voter {
            return;
        }
        ls.fetched_voters.insert(replica);
        let reset_check_quorum = ls.fetched_voters.len() >= majority_of_others;
        if reset_check_quorum {
            ls.fetched_voters.clear();
            let t = self.config.check_quorum_timeout_ms();
            self.set_timer(RaftTimer::CheckQuorum, t, out);
        }
        self.maybe_update_leader_hw(out);
    }

    /// `LeaderState.maybeUpdateHighWatermark`.
    fn maybe_update_leader_hw(&mut self, out: &mut Outs<R>) {
        let State::Leader(ls) = &self.state else {
            return;
        };
        let mut offsets: Vec<(Option<i64>, NodeId)> = ls
            .voter_states
            .iter()
            .map(|(&v, rs)| (rs.end_offset, v))
            .collect();
        crate::sort::sort_by(&mut offsets, |a, b| match (a.0, b.0) {
            (Some(x), Some(y)) => y.cmp(&x).then(a.1.cmp(&b.1)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.1.cmp(&b.1),
        });
        let index = self.voters.len() / 2;
        let Some(&(Some(candidate), _)) = offsets.get(index) else {
            return;
        };
        if candidate <= ls.epoch_start_offset || self.quorum_hw.is_some_and(|hw| candidate <= hw) {
            return;
        }
        let first_in_epoch = self.quorum_hw.is_none();
        let replicated_on: Vec<NodeId> = offsets
            .iter()
            .filter(|(o, _)| o.is_some_and(|o| o >= candidate))
            .map(|&(_, v)| v)
            .collect();
        let mut replicated_on = replicated_on;
        crate::sort::sort(&mut replicated_on);
        self.quorum_hw = Some(candidate);
        self.log_hw = self.log_hw.max(candidate);
        self.event(
            RaftEvent::Committed {
                high_watermark: candidate,
                epoch: self.epoch,
                leader: self.id,
                by_leader: true,
                replicated_on,
                voters: self.voters.len(),
                first_in_epoch,
                observer: false,
            },
            out,
        );
    }

    /// After a leader append: update its own end offset (the HW may move for a single voter)
    /// and answer the parked fetches that now have records.
    fn on_leader_log_grew(&mut self, out: &mut Outs<R>) {
        let leo = self.log_end_offset();
        let id = self.id;
        let ready: Vec<NodeId> = match &mut self.state {
            State::Leader(ls) => {
                if let Some(rs) = ls.voter_states.get_mut(&id) {
                    rs.end_offset = Some(leo);
                }
                ls.parked
                    .iter()
                    .filter(|(_, r)| r.fetch_offset < leo)
                    .map(|(&n, _)| n)
                    .collect()
            }
            _ => return,
        };
        self.maybe_update_leader_hw(out);
        for replica in ready {
            self.complete_parked_fetch(replica, out);
        }
    }

    fn complete_parked_fetch(&mut self, replica: NodeId, out: &mut Outs<R>) {
        let req = match &mut self.state {
            State::Leader(ls) => ls.parked.remove(&replica),
            _ => None,
        };
        if let Some(req) = req {
            self.remove_timer(&RaftTimer::FetchWait { replica });
            let message = self.try_complete_fetch(&req, out);
            out.push(RaftOutput::Send {
                to: replica,
                message,
            });
        }
    }

    // --------------------------------------------------------------------------------------
    // Fetch: the follower's and observer's side

    fn random_voter(&self, rng: &mut SimRng) -> Option<NodeId> {
        let others = self.other_voters();
        if others.is_empty() {
            None
        } else {
            Some(others[rng.below(others.len() as u64) as usize])
        }
    }

    /// Kafka's poll loop for fetchers: if nothing is in flight and no backoff is pending,
    /// send the next Fetch (to the leader, or to a random voter for an observer that does
    /// not know or has lost its leader).
    fn ensure_fetching(&mut self, rng: &mut SimRng, out: &mut Outs<R>) {
        if self.crashed
            || self.inflight_fetch.is_some()
            || self.timer_deadline(&RaftTimer::FetchBackoff).is_some()
        {
            return;
        }
        let target = match &self.state {
            State::Follower(f) if self.is_voter || !f.fetch_timed_out => Some(f.leader),
            State::Follower(_) => self.random_voter(rng),
            State::Unattached if !self.is_voter => self.random_voter(rng),
            _ => None,
        };
        let Some(to) = target else {
            return;
        };
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        self.inflight_fetch = Some(InflightFetch { to, correlation_id });
        out.push(RaftOutput::Send {
            to,
            message: RaftMessage::FetchRequest {
                epoch: self.epoch,
                replica_id: self.id,
                fetch_offset: self.log_end_offset(),
                last_fetched_epoch: self.last_fetched_epoch(),
                max_wait_ms: self.config.fetch_max_wait_ms,
                correlation_id,
            },
        });
        self.set_timer(
            RaftTimer::RequestTimeout,
            self.config.request_timeout_ms,
            out,
        );
    }

    fn fetch_backoff(&mut self, out: &mut Outs<R>) {
        let t = self.config.retry_backoff_ms;
        self.set_timer(RaftTimer::FetchBackoff, t, out);
    }

    fn on_fetch_response(
        &mut self,
        from: NodeId,
        message: RaftMessage<R>,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        let RaftMessage::FetchResponse {
            epoch,
            leader_id,
            error,
            records,
            high_watermark,
            diverging,
            correlation_id,
        } = message
        else {
            return;
        };
        match &self.inflight_fetch {
            Some(f) if f.to == from && f.correlation_id == correlation_id => {}
            _ => return,
        }
        self.inflight_fetch = None;
        self.remove_timer(&RaftTimer::RequestTimeout);

        let before = (self.epoch, self.election_leader(), self.role());
        if self.handle_common_response(from, error, leader_id, epoch, "FetchResponse", rng, out) {
            if before == (self.epoch, self.election_leader(), self.role()) {
                // Nothing learned: pause before asking again.
                self.fetch_backoff(out);
            }
            return;
        }
        let State::Follower(f) = &self.state else {
            return;
        };
        let leader = f.leader;
        if error.is_some() || from != leader {
            self.fetch_backoff(out);
            return;
        }
        let observer = !self.is_voter;
        if let Some((div_epoch, div_offset)) = diverging.filter(|d| d.0 >= 0) {
            let to = self.truncation_offset(div_epoch, div_offset);
            let leo = self.log_end_offset();
            if to < self.log_hw {
                // Kafka treats this as fatal; here the response is ignored.
                self.fetch_backoff(out);
                return;
            }
            if to < leo {
                self.log.truncate(to.max(0) as usize);
                self.truncations += 1;
                if let Some(hw) = self.quorum_hw {
                    self.quorum_hw = Some(hw.min(to));
                }
                self.event(
                    RaftEvent::Truncated {
                        from_offset: leo,
                        to_offset: to,
                        diverging_epoch: div_epoch,
                        diverging_end_offset: div_offset,
                        leader,
                        observer,
                    },
                    out,
                );
            }
        } else {
            let leo = self.log_end_offset();
            if records.first().is_some_and(|e| e.offset != leo)
                || records.windows(2).any(|w| w[1].offset != w[0].offset + 1)
                || records.iter().any(|e| e.epoch > epoch)
            {
                self.fetch_backoff(out);
                return;
            }
            self.log.extend(records);
            if high_watermark >= 0 {
                let hw = high_watermark.min(self.log_end_offset());
                if self.quorum_hw.is_none_or(|old| hw > old) {
                    self.quorum_hw = Some(hw);
                }
                if hw > self.log_hw {
                    self.log_hw = hw;
                    self.event(
                        RaftEvent::Committed {
                            high_watermark: hw,
                            epoch: self.epoch,
                            leader,
                            by_leader: false,
                            replicated_on: Vec::new(),
                            voters: self.voters.len(),
                            first_in_epoch: false,
                            observer,
                        },
                        out,
                    );
                }
            }
        }
        if let State::Follower(f) = &mut self.state {
            f.fetch_timed_out = false;
            f.end_quorum_backoff_ms = None;
        }
        self.set_timer(RaftTimer::FetchTimeout, self.config.fetch_timeout_ms, out);
    }
}

fn progress(id: NodeId, status: &str, rs: &ReplicaState, leader_leo: i64) -> ReplicaProgressView {
    ReplicaProgressView {
        node_id: id,
        status: status.to_string(),
        log_end_offset: rs.end_offset.unwrap_or(-1),
        lag: leader_leo - rs.end_offset.unwrap_or(0).max(0),
        last_fetch_timestamp: rs.last_fetch_ms,
        last_caught_up_timestamp: rs.last_caught_up_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    type Rec = u32;
    type Node = RaftNode<Rec>;

    const LATENCY_MS: i64 = 5;
    const OBSERVER: NodeId = 1;

    #[derive(Clone, Debug)]
    enum Item {
        Message {
            to: NodeId,
            from: NodeId,
            message: RaftMessage<Rec>,
        },
        Timer {
            node: NodeId,
            timer: RaftTimer,
        },
    }

    /// A tiny deterministic network: a queue ordered by (deliver_at_ms, seq), fixed latency,
    /// timers, crashes and directed links that drop messages.
    struct Sim {
        now: i64,
        seq: u64,
        rng: SimRng,
        nodes: BTreeMap<NodeId, Node>,
        queue: BTreeMap<(i64, u64), Item>,
        blocked: BTreeSet<(NodeId, NodeId)>,
        /// Chance in percent that a message is delivered twice (the copy late).
        duplicate_percent: u64,
        events: Vec<(i64, NodeId, RaftEvent)>,
        leaders: BTreeMap<i32, NodeId>,
        /// The longest committed prefix any node has ever reported, as (epoch, record).
        committed: Vec<(i32, RaftRecord<Rec>)>,
        /// (voter, epoch) -> the candidate it voted for.
        votes: BTreeMap<(NodeId, i32), NodeId>,
        /// The HW each process has reached since it (re)started.
        hw: BTreeMap<NodeId, i64>,
        seed: u64,
    }

    impl Sim {
        fn new(seed: u64, voters: &[NodeId], observers: &[NodeId]) -> Sim {
            let mut sim = Sim {
                now: 0,
                seq: 0,
                rng: SimRng::new(seed),
                nodes: BTreeMap::new(),
                queue: BTreeMap::new(),
                blocked: BTreeSet::new(),
                duplicate_percent: 0,
                events: Vec::new(),
                leaders: BTreeMap::new(),
                committed: Vec::new(),
                votes: BTreeMap::new(),
                hw: BTreeMap::new(),
                seed,
            };
            for &v in voters {
                let (node, out) =
                    Node::new_voter(v, voters.to_vec(), RaftConfig::default(), 0, &mut sim.rng);
                sim.nodes.insert(v, node);
                sim.process(v, out);
            }
            for &o in observers {
                let (node, out) =
                    Node::new_observer(o, voters.to_vec(), RaftConfig::default(), 0, &mut sim.rng);
                sim.nodes.insert(o, node);
                sim.process(o, out);
            }
            sim
        }

        fn push(&mut self, at: i64, item: Item) {
            self.seq += 1;
            self.queue.insert((at, self.seq), item);
        }

        fn process(&mut self, node: NodeId, out: Vec<RaftOutput<Rec>>) {
            for o in out {
                match o {
                    RaftOutput::Send { to, message } => {
                        if self.duplicate_percent > 0
                            && self.rng.below(100) < self.duplicate_percent
                        {
                            let extra = self.rng.range(1, 60);
                            let copy = Item::Message {
                                to,
                                from: node,
                                message: message.clone(),
                            };
                            self.push(self.now + LATENCY_MS + extra, copy);
                        }
                        let item = Item::Message {
                            to,
                            from: node,
                            message,
                        };
                        self.push(self.now + LATENCY_MS, item);
                    }
                    RaftOutput::SetTimer { timer, after_ms } => {
                        assert!(after_ms >= 0);
                        self.push(self.now + after_ms, Item::Timer { node, timer });
                    }
                    RaftOutput::Event(event) => {
                        if let RaftEvent::BecameLeader { epoch, .. } = &event {
                            let previous = self.leaders.insert(*epoch, node);
                            assert!(
                                previous.is_none() || previous == Some(node),
                                "seed {}: two leaders in epoch {epoch}: {previous:?} and {node}",
                                self.seed
                            );
                            // Leader Completeness: the new leader holds every committed record.
                            let log = self.nodes[&node].log();
                            for (i, c) in self.committed.iter().enumerate() {
                                let e = log.get(i).map(|e| (e.epoch, (*e.record).clone()));
                                assert_eq!(
                                    e.as_ref(),
                                    Some(c),
                                    "seed {}: new leader {node} of epoch {epoch} lacks committed offset {i}",
                                    self.seed
                                );
                            }
                        }
                        if let RaftEvent::VoteGranted {
                            to: candidate,
                            epoch,
                            ..
                        } = &event
                        {
                            let previous = self.votes.insert((node, *epoch), *candidate);
                            assert!(
                                previous.is_none() || previous == Some(*candidate),
                                "seed {}: {node} voted twice in epoch {epoch}",
                                self.seed
                            );
                        }
                        self.events.push((self.now, node, event));
                    }
                }
            }
            self.check_node(node);
        }

        /// Every node's committed prefix agrees with every other (State Machine Safety).
        fn check_node(&mut self, id: NodeId) {
            let node = &self.nodes[&id];
            assert!(
                node.high_watermark() <= node.log_end_offset(),
                "seed {}: HW past LEO on {id}",
                self.seed
            );
            let seen = self.hw.entry(id).or_insert(0);
            assert!(
                node.high_watermark() >= *seen,
                "seed {}: HW of {id} went back",
                self.seed
            );
            *seen = node.high_watermark();
            for (i, e) in node.committed().enumerate() {
                assert_eq!(e.offset, i as i64);
                let item = (e.epoch, (*e.record).clone());
                match self.committed.get(i) {
                    Some(c) => assert_eq!(
                        c, &item,
                        "seed {}: node {id} committed a different record at offset {i}",
                        self.seed
                    ),
                    None => self.committed.push(item),
                }
            }
        }

        fn run_until(&mut self, until: i64) {
            while let Some((&(at, seq), _)) = self.queue.iter().next() {
                if at > until {
                    break;
                }
                let item = self.queue.remove(&(at, seq)).unwrap();
                self.now = at;
                match item {
                    Item::Message { to, from, message } => {
                        if self.blocked.contains(&(from, to)) {
                            continue;
                        }
                        let Some(node) = self.nodes.get_mut(&to) else {
                            continue;
                        };
                        if node.is_crashed() {
                            continue;
                        }
                        let out = node.handle_message(at, from, message, &mut self.rng);
                        self.process(to, out);
                    }
                    Item::Timer { node: id, timer } => {
                        let node = self.nodes.get_mut(&id).unwrap();
                        if !node.is_timer_live(&timer, at) {
                            continue;
                        }
                        let out = node.handle_timer(at, timer, &mut self.rng);
                        self.process(id, out);
                    }
                }
            }
            self.now = until;
        }

        fn run_for(&mut self, ms: i64) {
            self.run_until(self.now + ms);
        }

        fn crash(&mut self, id: NodeId) {
            self.nodes.get_mut(&id).unwrap().crash();
        }

        fn restart(&mut self, id: NodeId) {
            let now = self.now;
            let node = self.nodes.get_mut(&id).unwrap();
            if node.is_crashed() {
                self.hw.insert(id, 0);
                let out = node.restart(now, &mut self.rng);
                self.process(id, out);
            }
        }

        /// Drops every message between the two sides, both ways.
        fn partition(&mut self, a: &[NodeId], b: &[NodeId]) {
            for &x in a {
                for &y in b {
                    self.blocked.insert((x, y));
                    self.blocked.insert((y, x));
                }
            }
        }

        fn heal(&mut self) {
            self.blocked.clear();
        }

        fn leaders(&self) -> Vec<NodeId> {
            self.nodes
                .values()
                .filter(|n| !n.is_crashed() && n.role() == RaftRole::Leader)
                .map(|n| n.id())
                .collect()
        }

        fn single_leader(&self) -> NodeId {
            let leaders = self.leaders();
            assert_eq!(leaders.len(), 1, "seed {}: leaders {leaders:?}", self.seed);
            leaders[0]
        }

        fn append(&mut self, leader: NodeId, records: Vec<Rec>) -> Result<i64, NotLeader> {
            let now = self.now;
            let (first, out) = self.nodes.get_mut(&leader).unwrap().append(now, records)?;
            self.process(leader, out);
            Ok(first)
        }

        fn data(&self, id: NodeId, committed_only: bool) -> Vec<Rec> {
            let node = &self.nodes[&id];
            let entries = if committed_only {
                node.committed()
            } else {
                node.log().iter()
            };
            entries
                .filter_map(|e| match &*e.record {
                    RaftRecord::Data(r) => Some(*r),
                    RaftRecord::LeaderChange { .. } => None,
                })
                .collect()
        }

        fn trace(&self) -> String {
            self.events
                .iter()
                .map(|(t, n, e)| format!("[{t:>5} ms] {}\n", e.explain(*n)))
                .collect()
        }
    }

    const VOTERS: [NodeId; 3] = [101, 102, 103];

    #[test]
    fn config_defaults_are_kafkas() {
        let c = RaftConfig::default();
        assert_eq!(
            (
                c.fetch_timeout_ms,
                c.election_timeout_ms,
                c.election_backoff_max_ms,
                c.fetch_max_wait_ms
            ),
            (2000, 1000, 1000, 500)
        );
        assert_eq!((c.request_timeout_ms, c.retry_backoff_ms), (2000, 20));
        assert_eq!(c.check_quorum_timeout_ms(), 3000);
        assert_eq!(c.begin_quorum_epoch_interval_ms(), 1000);
    }

    #[test]
    fn three_voters_elect_exactly_one_leader() {
        for seed in 0..20 {
            let mut sim = Sim::new(seed, &VOTERS, &[]);
            sim.run_until(5_000);
            let leader = sim.single_leader();
            let epoch = sim.nodes[&leader].epoch();
            for (&id, n) in &sim.nodes {
                assert_eq!(n.epoch(), epoch, "seed {seed}");
                assert_eq!(n.leader(), Some(leader), "seed {seed}");
                if id != leader {
                    assert_eq!(n.role(), RaftRole::Follower);
                }
            }
            // The election timeout is random in [1000, 2000), so the first candidate stands
            // no earlier than 1000 ms.
            let first = sim
                .events
                .iter()
                .find(|(_, _, e)| matches!(e, RaftEvent::BecameCandidate { .. }))
                .unwrap();
            assert!((1000..2000).contains(&first.0), "seed {seed}: {}", first.0);
            // The leader's LeaderChange record is committed on all three.
            for n in sim.nodes.values() {
                assert!(n.high_watermark() >= 1, "seed {seed}");
                assert!(
                    matches!(*n.committed().next().unwrap().record, RaftRecord::LeaderChange { leader: l, .. } if l == leader)
                );
            }
        }
    }

    #[test]
    fn single_voter_elects_itself_immediately() {
        let mut rng = SimRng::new(1);
        let (mut node, out) = Node::new_voter(101, vec![101], RaftConfig::default(), 0, &mut rng);
        assert_eq!(node.role(), RaftRole::Leader);
        assert_eq!(node.epoch(), 1);
        assert_eq!(node.high_watermark(), 1);
        assert!(out.iter().any(|o| matches!(
            o,
            RaftOutput::Event(RaftEvent::BecameLeader { epoch: 1, .. })
        )));
        let (first, _) = node.append(10, vec![7, 8]).unwrap();
        assert_eq!(first, 1);
        assert_eq!(node.high_watermark(), 3);
        // It restarts resigned in epoch 1 and elects itself again in epoch 2.
        node.crash();
        node.restart(20, &mut rng);
        assert_eq!((node.role(), node.epoch()), (RaftRole::Leader, 2));
        assert_eq!(node.log().len(), 4);
        assert_eq!(node.high_watermark(), 4);
    }

    #[test]
    fn records_commit_on_a_majority_and_survive_leader_failover() {
        let mut sim = Sim::new(7, &VOTERS, &[]);
        sim.run_until(4_000);
        let leader = sim.single_leader();
        let epoch = sim.nodes[&leader].epoch();
        let first = sim.append(leader, vec![1, 2, 3]).unwrap();
        assert_eq!(first, 1);
        // Not committed yet: only the leader has them.
        assert_eq!(sim.nodes[&leader].high_watermark(), 1);
        // The followers' parked fetches return the records at once; their next fetches tell
        // the leader, which commits.
        sim.run_for(20);
        assert_eq!(sim.data(leader, true), vec![1, 2, 3]);
        // Followers learn the new HW from their next fetch response, which the leader parks
        // for up to fetch_max_wait_ms=500 when there is nothing new.
        sim.run_for(500);
        for &v in &VOTERS {
            assert_eq!(sim.data(v, true), vec![1, 2, 3], "node {v}");
        }
        // The leader crashes; the others elect a new one in a higher epoch.
        sim.crash(leader);
        sim.run_for(6_000);
        let new_leader = sim.single_leader();
        assert_ne!(new_leader, leader);
        assert!(sim.nodes[&new_leader].epoch() > epoch);
        assert_eq!(sim.data(new_leader, true), vec![1, 2, 3]);
        sim.append(new_leader, vec![4]).unwrap();
        sim.run_for(50);
        // Two of three voters are enough to commit.
        assert_eq!(sim.data(new_leader, true), vec![1, 2, 3, 4]);
        // The old leader comes back resigned, then follows the new leader and catches up.
        sim.restart(leader);
        assert_eq!(sim.nodes[&leader].role(), RaftRole::Resigned);
        sim.run_for(3_000);
        assert_eq!(sim.nodes[&leader].role(), RaftRole::Follower);
        assert_eq!(sim.nodes[&leader].leader(), Some(new_leader));
        assert_eq!(sim.data(leader, true), vec![1, 2, 3, 4]);
        let logs: Vec<Vec<&Entry<Rec>>> = sim
            .nodes
            .values()
            .map(|n| n.committed().collect())
            .collect();
        assert!(logs.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn partitioned_minority_leader_resigns_and_cannot_commit() {
        let mut sim = Sim::new(3, &VOTERS, &[]);
        sim.run_until(4_000);
        let old = sim.single_leader();
        let old_epoch = sim.nodes[&old].epoch();
        sim.append(old, vec![1]).unwrap();
        sim.run_for(50);
        let others: Vec<NodeId> = VOTERS.iter().copied().filter(|&v| v != old).collect();
        sim.partition(&[old], &others);
        let cut_at = sim.now;
        // The cut-off leader still accepts a write but cannot commit it.
        sim.append(old, vec![99]).unwrap();
        sim.run_for(2_900);
        assert_eq!(sim.data(old, true), vec![1]);
        sim.run_for(6_000);
        let resigned = sim
            .events
            .iter()
            .find(|(_, n, e)| {
                *n == old
                    && matches!(
                        e,
                        RaftEvent::Resigned {
                            reason: ResignReason::CheckQuorum { .. },
                            ..
                        }
                    )
            })
            .expect("check-quorum resignation");
        // Resigns no later than 1.5 x fetch timeout after the last majority of fetches.
        assert!(
            resigned.0 - cut_at <= 3_000 + 10,
            "resigned at {}",
            resigned.0
        );
        let now = sim.now;
        assert!(sim
            .nodes
            .get_mut(&old)
            .unwrap()
            .append(now, vec![100])
            .is_err());
        // The majority side elected a new leader and commits.
        let majority_leaders: Vec<NodeId> = sim.leaders();
        assert_eq!(majority_leaders.len(), 1);
        let new = majority_leaders[0];
        assert!(others.contains(&new));
        sim.append(new, vec![2]).unwrap();
        sim.run_for(50);
        assert_eq!(sim.data(new, true), vec![1, 2]);
        assert_eq!(sim.data(old, false), vec![1, 99]);
        // After healing, the old leader truncates its uncommitted record and catches up.
        sim.heal();
        sim.run_for(8_000);
        let leader = sim.single_leader();
        assert!(sim.nodes[&leader].epoch() > old_epoch);
        sim.append(leader, vec![3]).unwrap();
        sim.run_for(600);
        for &v in &VOTERS {
            assert_eq!(sim.data(v, true), vec![1, 2, 3], "node {v}");
        }
        assert!(sim
            .events
            .iter()
            .any(|(_, n, e)| *n == old && matches!(e, RaftEvent::Truncated { .. })));
    }

    #[test]
    fn restarted_follower_rejoins_and_catches_up() {
        let mut sim = Sim::new(11, &VOTERS, &[]);
        sim.run_until(4_000);
        let leader = sim.single_leader();
        let follower = *VOTERS.iter().find(|&&v| v != leader).unwrap();
        sim.append(leader, vec![1]).unwrap();
        sim.run_for(50);
        sim.crash(follower);
        sim.run_for(100);
        for i in 2..=5 {
            sim.append(leader, vec![i]).unwrap();
            sim.run_for(30);
        }
        assert_eq!(sim.data(leader, true), vec![1, 2, 3, 4, 5]);
        assert_eq!(sim.data(follower, false), vec![1]);
        sim.restart(follower);
        // It restarts following the leader its quorum-state file names, with HW unknown.
        assert_eq!(sim.nodes[&follower].role(), RaftRole::Follower);
        assert_eq!(sim.nodes[&follower].quorum_high_watermark(), None);
        sim.run_for(700);
        assert_eq!(sim.data(follower, true), vec![1, 2, 3, 4, 5]);
        assert_eq!(sim.single_leader(), leader);
        let view = sim.nodes[&leader].view();
        let row = view
            .replication
            .iter()
            .find(|r| r.node_id == follower)
            .unwrap();
        assert_eq!((row.log_end_offset, row.lag), (6, 0));
    }

    #[test]
    fn observer_never_votes_and_catches_up() {
        let mut sim = Sim::new(5, &VOTERS, &[OBSERVER]);
        assert_eq!(sim.nodes[&OBSERVER].role(), RaftRole::Observer);
        sim.run_until(4_000);
        let leader = sim.single_leader();
        sim.append(leader, vec![1, 2]).unwrap();
        sim.run_for(600);
        assert_eq!(sim.nodes[&OBSERVER].leader(), Some(leader));
        assert_eq!(sim.data(OBSERVER, true), vec![1, 2]);
        // The leader lists it as an observer.
        let view = sim.nodes[&leader].view();
        assert!(view
            .replication
            .iter()
            .any(|r| r.node_id == OBSERVER && r.status == "Observer"));
        // The leader crashes: the observer never stands, finds the new leader through a voter.
        sim.crash(leader);
        sim.run_for(8_000);
        let new_leader = sim.single_leader();
        sim.append(new_leader, vec![3]).unwrap();
        sim.run_for(600);
        assert_eq!(sim.nodes[&OBSERVER].leader(), Some(new_leader));
        assert_eq!(sim.data(OBSERVER, true), vec![1, 2, 3]);
        assert_eq!(sim.nodes[&OBSERVER].role(), RaftRole::Observer);
        assert!(sim.events.iter().all(|(_, n, e)| *n != OBSERVER
            || !matches!(
                e,
                RaftEvent::VoteGranted { .. } | RaftEvent::BecameCandidate { .. }
            )));
        assert!(sim
            .events
            .iter()
            .any(|(_, n, e)| *n == OBSERVER && matches!(e, RaftEvent::ObserverLostLeader { .. })));
        // Even asked directly, an observer does not vote.
        let mut rng = SimRng::new(0);
        let epoch = sim.nodes[&OBSERVER].epoch() + 1;
        let out = sim.nodes.get_mut(&OBSERVER).unwrap().handle_message(
            sim.now,
            101,
            RaftMessage::VoteRequest {
                candidate_epoch: epoch,
                candidate_id: 101,
                last_offset_epoch: epoch - 1,
                last_offset: 1000,
            },
            &mut rng,
        );
        assert!(out.iter().any(|o| matches!(
            o,
            RaftOutput::Send {
                message: RaftMessage::VoteResponse {
                    vote_granted: false,
                    ..
                },
                ..
            }
        )));
    }

    #[test]
    fn votes_follow_the_log_comparison_and_one_vote_per_epoch() {
        let mut rng = SimRng::new(2);
        let (mut node, _) =
            Node::new_voter(102, VOTERS.to_vec(), RaftConfig::default(), 0, &mut rng);
        // Give the voter a log: epoch 2, end offset 3.
        node.epoch = 2;
        for _ in 0..3 {
            node.push_entry(RaftRecord::Data(0));
        }
        let vote =
            |node: &mut Node, candidate, epoch, last_epoch, last_offset, rng: &mut SimRng| {
                let out = node.handle_message(
                    10,
                    candidate,
                    RaftMessage::VoteRequest {
                        candidate_epoch: epoch,
                        candidate_id: candidate,
                        last_offset_epoch: last_epoch,
                        last_offset,
                    },
                    rng,
                );
                out.iter()
                    .find_map(|o| match o {
                        RaftOutput::Send {
                            message:
                                RaftMessage::VoteResponse {
                                    vote_granted,
                                    error,
                                    ..
                                },
                            ..
                        } => Some((*vote_granted, *error)),
                        _ => None,
                    })
                    .unwrap()
            };
        // Behind on epoch (1 < 2) although longer: refused.
        assert_eq!(vote(&mut node, 101, 3, 1, 10, &mut rng), (false, None));
        // Same epoch, shorter: refused.
        assert_eq!(vote(&mut node, 101, 3, 2, 2, &mut rng), (false, None));
        // Same epoch and offset: granted, and again to the same candidate.
        assert_eq!(vote(&mut node, 101, 3, 2, 3, &mut rng), (true, None));
        assert_eq!(vote(&mut node, 101, 3, 2, 3, &mut rng), (true, None));
        // One vote per epoch.
        assert_eq!(vote(&mut node, 103, 3, 2, 5, &mut rng), (false, None));
        // A stale epoch is fenced; an invalid request is flagged.
        assert_eq!(
            vote(&mut node, 103, 2, 1, 5, &mut rng),
            (false, Some(RaftError::FENCED_LEADER_EPOCH))
        );
        assert_eq!(
            vote(&mut node, 103, 4, 4, 5, &mut rng),
            (false, Some(RaftError::INVALID_REQUEST))
        );
        // A higher epoch frees the vote.
        assert_eq!(vote(&mut node, 103, 4, 2, 3, &mut rng), (true, None));
        assert_eq!((node.epoch(), node.voted_for()), (4, Some(103)));
        // The vote survives a restart.
        node.crash();
        node.restart(20, &mut rng);
        assert_eq!(vote(&mut node, 101, 4, 2, 9, &mut rng), (false, None));
    }

    #[test]
    fn leader_answers_divergence_and_parks_empty_fetches() {
        let mut rng = SimRng::new(4);
        let (mut leader, _) =
            Node::new_voter(101, VOTERS.to_vec(), RaftConfig::default(), 0, &mut rng);
        // Log: offsets 0..2 in epoch 1, then leader of epoch 3 from offset 2.
        leader.epoch = 1;
        leader.push_entry(RaftRecord::Data(1));
        leader.push_entry(RaftRecord::Data(2));
        leader.epoch = 2;
        leader.voted_for = Some(101);
        leader.state = State::Candidate(CandidateState {
            granted: [101, 102].into_iter().collect(),
            rejected: BTreeSet::new(),
            retries: 1,
            backing_off: false,
            backoff_ms: 0,
        });
        leader.epoch = 3;
        let mut out = Vec::new();
        assert!(leader.maybe_become_leader(&mut out));
        assert_eq!(leader.log_end_offset(), 3);
        let fetch = |node: &mut Node, now, epoch, offset, last_epoch, rng: &mut SimRng| {
            node.handle_message(
                now,
                102,
                RaftMessage::FetchRequest {
                    epoch,
                    replica_id: 102,
                    fetch_offset: offset,
                    last_fetched_epoch: last_epoch,
                    max_wait_ms: 500,
                    correlation_id: 9,
                },
                rng,
            )
        };
        let response = |out: &[RaftOutput<Rec>]| {
            out.iter().find_map(|o| match o {
                RaftOutput::Send {
                    message: m @ RaftMessage::FetchResponse { .. },
                    ..
                } => Some(m.clone()),
                _ => None,
            })
        };
        // A follower with (offset 4, epoch 2) diverges: epoch 1 ends at 2 in the leader's log.
        let out = fetch(&mut leader, 10, 3, 4, 2, &mut rng);
        match response(&out) {
            Some(RaftMessage::FetchResponse {
                diverging, records, ..
            }) => {
                assert_eq!(diverging, Some((1, 2)));
                assert!(records.is_empty());
            }
            other => panic!("{other:?}"),
        }
        // A valid position with records behind it is answered at once.
        let out = fetch(&mut leader, 10, 3, 2, 1, &mut rng);
        match response(&out) {
            Some(RaftMessage::FetchResponse {
                records,
                high_watermark,
                ..
            }) => {
                assert_eq!(records.len(), 1);
                assert_eq!(high_watermark, -1);
            }
            other => panic!("{other:?}"),
        }
        // Caught up: the fetch is parked, and this fetch commits the epoch's first record.
        let out = fetch(&mut leader, 20, 3, 3, 3, &mut rng);
        assert!(response(&out).is_none());
        assert_eq!(leader.high_watermark(), 3);
        assert!(out.iter().any(|o| matches!(
            o,
            RaftOutput::SetTimer {
                timer: RaftTimer::FetchWait { replica: 102 },
                after_ms: 500
            }
        )));
        // An append answers it before the wait ends.
        let (_, out) = leader.append(30, vec![7]).unwrap();
        match response(&out) {
            Some(RaftMessage::FetchResponse {
                records,
                high_watermark,
                ..
            }) => {
                assert_eq!(records.len(), 1);
                assert_eq!(high_watermark, 3);
            }
            other => panic!("{other:?}"),
        }
        assert!(!leader.is_timer_live(&RaftTimer::FetchWait { replica: 102 }, 520));
        // Parked again, then answered empty when the wait ends.
        let out = fetch(&mut leader, 40, 3, 4, 3, &mut rng);
        assert!(response(&out).is_none());
        assert!(!leader.is_timer_live(&RaftTimer::FetchWait { replica: 102 }, 539));
        assert!(leader.is_timer_live(&RaftTimer::FetchWait { replica: 102 }, 540));
        let out = leader.handle_timer(540, RaftTimer::FetchWait { replica: 102 }, &mut rng);
        match response(&out) {
            Some(RaftMessage::FetchResponse {
                records,
                high_watermark,
                ..
            }) => {
                assert!(records.is_empty());
                assert_eq!(high_watermark, 4);
            }
            other => panic!("{other:?}"),
        }
        // Wrong epochs get Kafka's errors.
        let error = |out: &[RaftOutput<Rec>]| match response(out) {
            Some(RaftMessage::FetchResponse { error, .. }) => error,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            error(&fetch(&mut leader, 50, 2, 4, 2, &mut rng)),
            Some(RaftError::FENCED_LEADER_EPOCH)
        );
        assert_eq!(
            error(&fetch(&mut leader, 50, 5, 4, 3, &mut rng)),
            Some(RaftError::UNKNOWN_LEADER_EPOCH)
        );
        assert_eq!(
            error(&fetch(&mut leader, 50, 3, 4, 4, &mut rng)),
            Some(RaftError::INVALID_REQUEST)
        );
    }

    #[test]
    fn stale_and_duplicate_fetch_responses_are_ignored() {
        let mut rng = SimRng::new(6);
        let (mut node, _) =
            Node::new_voter(102, VOTERS.to_vec(), RaftConfig::default(), 0, &mut rng);
        let begin = RaftMessage::BeginQuorumEpoch {
            leader_epoch: 1,
            leader_id: 101,
        };
        let out = node.handle_message(5, 101, begin, &mut rng);
        assert_eq!(
            (node.role(), node.leader()),
            (RaftRole::Follower, Some(101))
        );
        let sent_fetch = |out: &[RaftOutput<Rec>]| {
            out.iter().find_map(|o| match o {
                RaftOutput::Send {
                    to: 101,
                    message:
                        RaftMessage::FetchRequest {
                            correlation_id,
                            fetch_offset,
                            ..
                        },
                } => Some((*correlation_id, *fetch_offset)),
                _ => None,
            })
        };
        let (cid, offset) = sent_fetch(&out).expect("a follower fetches at once");
        assert_eq!(offset, 0);
        let response =
            |correlation_id, records: Vec<Entry<Rec>>, diverging| RaftMessage::FetchResponse {
                epoch: 1,
                leader_id: Some(101),
                error: None,
                records,
                high_watermark: 1,
                diverging,
                correlation_id,
            };
        let entries = vec![
            Entry {
                offset: 0,
                epoch: 1,
                record: Arc::new(RaftRecord::LeaderChange {
                    leader: 101,
                    voters: VOTERS.to_vec(),
                }),
            },
            Entry {
                offset: 1,
                epoch: 1,
                record: Arc::new(RaftRecord::Data(4)),
            },
        ];
        // A response to a request never sent is ignored.
        assert!(node
            .handle_message(10, 101, response(cid + 7, entries.clone(), None), &mut rng)
            .is_empty());
        let out = node.handle_message(10, 101, response(cid, entries.clone(), None), &mut rng);
        assert_eq!((node.log_end_offset(), node.high_watermark()), (2, 1));
        let (next, offset) = sent_fetch(&out).expect("fetches again at once");
        assert_eq!((next, offset), (cid + 1, 2));
        // The same response delivered twice, or a diverging one from an old request: ignored.
        assert!(node
            .handle_message(11, 101, response(cid, entries, None), &mut rng)
            .is_empty());
        assert!(node
            .handle_message(12, 101, response(cid, Vec::new(), Some((0, 0))), &mut rng)
            .is_empty());
        // The expected response from the wrong node: ignored too.
        assert!(node
            .handle_message(13, 103, response(next, Vec::new(), Some((0, 0))), &mut rng)
            .is_empty());
        assert_eq!(node.log_end_offset(), 2);
    }

    #[test]
    fn garbage_messages_never_panic() {
        let mut sim = Sim::new(21, &VOTERS, &[OBSERVER]);
        sim.run_until(3_000);
        let mut rng = SimRng::new(99);
        let ids = [101, 102, 103, 1, 7, -1];
        for i in 0..5_000 {
            let to = ids[rng.below(4) as usize];
            let from = ids[rng.below(ids.len() as u64) as usize];
            let epoch = rng.range(-1, 6) as i32;
            let leader = if rng.below(2) == 0 {
                None
            } else {
                Some(ids[rng.below(ids.len() as u64) as usize])
            };
            let error = [
                None,
                Some(RaftError::FENCED_LEADER_EPOCH),
                Some(RaftError::NOT_LEADER_OR_FOLLOWER),
                Some(RaftError::UNKNOWN_LEADER_EPOCH),
                Some(RaftError::INVALID_REQUEST),
            ][rng.below(5) as usize];
            let offset = rng.range(-1, 8);
            let message = match rng.below(8) {
                0 => RaftMessage::VoteRequest {
                    candidate_epoch: epoch,
                    candidate_id: from,
                    last_offset_epoch: rng.range(-1, 6) as i32,
                    last_offset: offset,
                },
                1 => RaftMessage::VoteResponse {
                    error,
                    leader_epoch: epoch,
                    leader_id: leader,
                    vote_granted: rng.below(2) == 0,
                },
                2 => RaftMessage::BeginQuorumEpoch {
                    leader_epoch: epoch,
                    leader_id: from,
                },
                3 => RaftMessage::BeginQuorumEpochResponse {
                    error,
                    leader_epoch: epoch,
                    leader_id: leader,
                },
                4 => RaftMessage::EndQuorumEpoch {
                    leader_epoch: epoch,
                    leader_id: from,
                    preferred_successors: vec![102, 101],
                },
                5 => RaftMessage::EndQuorumEpochResponse {
                    error,
                    leader_epoch: epoch,
                    leader_id: leader,
                },
                6 => RaftMessage::FetchRequest {
                    epoch,
                    replica_id: from,
                    fetch_offset: offset,
                    last_fetched_epoch: rng.range(-1, 6) as i32,
                    max_wait_ms: rng.range(-1, 600),
                    correlation_id: i,
                },
                _ => RaftMessage::FetchResponse {
                    epoch,
                    leader_id: leader,
                    error,
                    records: (0..rng.below(3))
                        .map(|k| Entry {
                            offset: offset + k as i64,
                            epoch: rng.range(0, 6) as i32,
                            record: Arc::new(RaftRecord::Data(5)),
                        })
                        .collect(),
                    high_watermark: rng.range(-1, 10),
                    diverging: if rng.below(3) == 0 {
                        Some((rng.range(-1, 5) as i32, rng.range(-1, 8)))
                    } else {
                        None
                    },
                    correlation_id: rng.range(0, 50),
                },
            };
            let now = sim.now;
            let node = sim.nodes.get_mut(&to).unwrap();
            let out = node.handle_message(now, from, message, &mut rng);
            // Garbage may derail the quorum but never its invariants' basics.
            for o in &out {
                if let RaftOutput::SetTimer { after_ms, .. } = o {
                    assert!(*after_ms >= 0);
                }
            }
            sim.run_for(rng.range(0, 30));
        }
    }

    #[test]
    fn same_seed_same_events() {
        let run = |seed| {
            let mut sim = Sim::new(seed, &[101, 102, 103, 104, 105], &[OBSERVER]);
            sim.run_until(3_000);
            sim.crash(sim.single_leader());
            sim.run_for(5_000);
            let leader = sim.single_leader();
            sim.append(leader, vec![1, 2]).unwrap();
            sim.run_for(1_000);
            sim.trace()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }

    #[test]
    fn randomized_crashes_and_partitions_keep_raft_safe() {
        for seed in 0..200u64 {
            if std::panic::catch_unwind(|| random_run(seed)).is_err() {
                panic!("randomized run failed for seed {seed} (rerun with random_run({seed}))");
            }
        }
    }

    fn random_run(seed: u64) {
        let voters: Vec<NodeId> = if seed.is_multiple_of(2) {
            vec![101, 102, 103]
        } else {
            vec![101, 102, 103, 104, 105]
        };
        let mut sim = Sim::new(seed, &voters, &[OBSERVER]);
        sim.duplicate_percent = 3;
        let all: Vec<NodeId> = sim.nodes.keys().copied().collect();
        let mut next_record: Rec = 1;
        for _ in 0..60 {
            let step = sim.rng.range(50, 600);
            sim.run_for(step);
            match sim.rng.below(20) {
                0..=6 => {
                    if let Some(&leader) = sim.leaders().first() {
                        let n = sim.rng.range(1, 4) as Rec;
                        let records: Vec<Rec> = (next_record..next_record + n).collect();
                        next_record += n;
                        sim.append(leader, records).unwrap();
                    }
                }
                7 | 8 => {
                    let id = all[sim.rng.below(all.len() as u64) as usize];
                    sim.crash(id);
                }
                9 | 10 => {
                    let id = all[sim.rng.below(all.len() as u64) as usize];
                    sim.restart(id);
                }
                11 | 12 => {
                    let (a, b): (Vec<NodeId>, Vec<NodeId>) =
                        all.iter().partition(|_| sim.rng.below(2) == 0);
                    sim.partition(&a, &b);
                }
                13 => {
                    let id = all[sim.rng.below(all.len() as u64) as usize];
                    let rest: Vec<NodeId> = all.iter().copied().filter(|&x| x != id).collect();
                    sim.partition(&[id], &rest);
                }
                14..=16 => sim.heal(),
                _ => {}
            }
        }
        // Heal everything: the quorum must settle on one leader that commits for everyone.
        sim.heal();
        sim.duplicate_percent = 0;
        for id in all.clone() {
            sim.restart(id);
        }
        sim.run_for(15_000);
        let leader = sim.single_leader();
        let value = next_record;
        sim.append(leader, vec![value]).unwrap();
        sim.run_for(1_500);
        for id in &all {
            let node = &sim.nodes[id];
            assert_eq!(node.leader(), Some(leader), "seed {seed}: node {id}");
            assert!(
                sim.data(*id, true).contains(&value),
                "seed {seed}: node {id} lacks the last record"
            );
            assert_eq!(
                node.high_watermark(),
                sim.nodes[&leader].high_watermark(),
                "seed {seed}: node {id}"
            );
        }
    }

    #[test]
    fn election_trace() {
        let mut sim = Sim::new(2, &VOTERS, &[]);
        sim.run_until(2_000);
        let leader = sim.single_leader();
        sim.append(leader, vec![1]).unwrap();
        sim.run_for(20);
        // The leader crashes. Both followers time out together (the fetch timeout is not
        // random), split the vote, and the random backoff breaks the tie.
        sim.crash(leader);
        sim.run_until(7_000);
        assert_ne!(sim.single_leader(), leader);
        expect![[r#"
            [    0 ms] Controller 101 started as a voter, unattached in epoch 0: it waits a random election timeout of 1110 ms (between controller.quorum.election.timeout.ms=1000 and twice that) for a leader before standing itself
            [    0 ms] Controller 102 started as a voter, unattached in epoch 0: it waits a random election timeout of 1226 ms (between controller.quorum.election.timeout.ms=1000 and twice that) for a leader before standing itself
            [    0 ms] Controller 103 started as a voter, unattached in epoch 0: it waits a random election timeout of 1951 ms (between controller.quorum.election.timeout.ms=1000 and twice that) for a leader before standing itself
            [ 1110 ms] Controller 101 became a candidate for epoch 1: no leader appeared within its random election timeout of 1110 ms (controller.quorum.election.timeout.ms=1000 to twice that); it votes for itself and asks the other voters for theirs
            [ 1115 ms] Controller 102 moved from epoch 0 to epoch 1 because a message from 101 carried the higher epoch, which always wins; it does not know that epoch's leader yet
            [ 1115 ms] Controller 102 voted for 101 in epoch 1: it had no other vote in this epoch and the candidate's log (last epoch 0, end offset 0) is at least as up to date as its own (last epoch 0, end offset 0)
            [ 1115 ms] Controller 103 moved from epoch 0 to epoch 1 because a message from 101 carried the higher epoch, which always wins; it does not know that epoch's leader yet
            [ 1115 ms] Controller 103 voted for 101 in epoch 1: it had no other vote in this epoch and the candidate's log (last epoch 0, end offset 0) is at least as up to date as its own (last epoch 0, end offset 0)
            [ 1120 ms] Controller 101 became leader for epoch 1 with votes from 101 and 102 (a majority of 3 voters); it writes a LeaderChange record at offset 0 and sends BeginQuorumEpoch
            [ 1125 ms] Controller 102 now follows leader 101 in epoch 1, learned from a BeginQuorumEpoch from the leader; it pulls the log with Fetch requests
            [ 1125 ms] Controller 103 now follows leader 101 in epoch 1, learned from a BeginQuorumEpoch from the leader; it pulls the log with Fetch requests
            [ 1140 ms] Leader 101 advanced the high watermark to 1: every record below it is on 101 and 102 (2 of 3 voters, a majority), including this epoch's LeaderChange record (a new leader commits nothing until a record of its own epoch 1 is on a majority)
            [ 1645 ms] Controller 102 learned high watermark 1 from leader 101's FetchResponse in epoch 1: records below it are committed
            [ 1645 ms] Controller 103 learned high watermark 1 from leader 101's FetchResponse in epoch 1: records below it are committed
            [ 2010 ms] Leader 101 advanced the high watermark to 2: every record below it is on 101 and 102 (2 of 3 voters, a majority)
            [ 4005 ms] Controller 102 became a candidate for epoch 2: it heard nothing from leader 101 for controller.quorum.fetch.timeout.ms=2000; it votes for itself and asks the other voters for theirs
            [ 4005 ms] Controller 103 became a candidate for epoch 2: it heard nothing from leader 101 for controller.quorum.fetch.timeout.ms=2000; it votes for itself and asks the other voters for theirs
            [ 4010 ms] Controller 103 refused to vote for 102 in epoch 2: it is a candidate in this epoch itself and voted for itself
            [ 4010 ms] Controller 102 refused to vote for 103 in epoch 2: it is a candidate in this epoch itself and voted for itself
            [ 5760 ms] Controller 103 lost the election for epoch 2: it did not collect votes from a majority within its election timeout; it backs off 100 ms (random, at most controller.quorum.election.backoff.max.ms=1000) before standing again
            [ 5860 ms] Controller 103 became a candidate for epoch 3: its election in epoch 2 failed and its random backoff of 100 ms ended; it votes for itself and asks the other voters for theirs
            [ 5865 ms] Candidate 102 gave up and moved from epoch 2 to epoch 3 because a message from 103 carried the higher epoch, which always wins; it does not know that epoch's leader yet
            [ 5865 ms] Controller 102 voted for 103 in epoch 3: it had no other vote in this epoch and the candidate's log (last epoch 1, end offset 2) is at least as up to date as its own (last epoch 1, end offset 2)
            [ 5870 ms] Controller 103 became leader for epoch 3 with votes from 102 and 103 (a majority of 3 voters); it writes a LeaderChange record at offset 2 and sends BeginQuorumEpoch
            [ 5875 ms] Controller 102 now follows leader 103 in epoch 3, learned from a BeginQuorumEpoch from the leader; it pulls the log with Fetch requests
            [ 5890 ms] Leader 103 advanced the high watermark to 3: every record below it is on 102 and 103 (2 of 3 voters, a majority), including this epoch's LeaderChange record (a new leader commits nothing until a record of its own epoch 3 is on a majority)
            [ 6395 ms] Controller 102 learned high watermark 3 from leader 103's FetchResponse in epoch 3: records below it are committed
        "#]]
        .assert_eq(&sim.trace());
    }

    #[test]
    fn views_and_summaries_serialize() {
        let mut sim = Sim::new(8, &VOTERS, &[OBSERVER]);
        sim.run_until(4_000);
        let leader = sim.single_leader();
        let view = sim.nodes[&leader].view();
        assert_eq!(view.role_name, "Leader");
        assert_eq!(view.replication.len(), 4);
        let json = serde_json::to_string(&sim.nodes[&leader]).unwrap();
        let back: Node = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sim.nodes[&leader]);
        let json = serde_json::to_string(&view).unwrap();
        assert!(json.contains("\"role\":\"Leader\""));
        let m: RaftMessage<Rec> = RaftMessage::FetchRequest {
            epoch: 3,
            replica_id: 1,
            fetch_offset: 12,
            last_fetched_epoch: 3,
            max_wait_ms: 500,
            correlation_id: 0,
        };
        assert_eq!(
            m.summary(),
            "Fetch(epoch 3, fetch_offset 12, last_fetched_epoch 3)"
        );
        assert_eq!(m.name(), "Fetch");
    }
}
