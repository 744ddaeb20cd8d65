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

use crate::sorted::{SortedMap, SortedSet};
use std::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunked::{ChunkedVec, Iter};
pub use crate::command::NodeId;
use crate::rng::SimRng;
use election::CommonResponse;

pub use types::{
    CandidateReason, Entry, NotLeader, QuorumMemberView, RaftError, RaftEvent, RaftMessage,
    RaftOutput, RaftRecord, RaftRole, RaftTimer, ReplicaProgressView, ResignReason,
    VoteRejectReason,
};

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

mod election;
mod fetch;
#[cfg(test)]
mod tests;
mod types;

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
    voter_states: SortedMap<NodeId, ReplicaState>,
    observer_states: SortedMap<NodeId, ReplicaState>,
    /// Voters that fetched during the current check-quorum interval.
    fetched_voters: SortedSet<NodeId>,
    parked: SortedMap<NodeId, FetchReq>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CandidateState {
    granted: SortedSet<NodeId>,
    rejected: SortedSet<NodeId>,
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
    unacked: SortedSet<NodeId>,
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
                rejected: SortedSet::new(),
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
                CommonResponse {
                    error,
                    leader: leader_id,
                    epoch: leader_epoch,
                },
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
                let common = CommonResponse {
                    error,
                    leader: leader_id,
                    epoch: leader_epoch,
                };
                if !self.handle_common_response(from, common, via, rng, &mut out) && error.is_none()
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
                let common = CommonResponse {
                    error,
                    leader: leader_id,
                    epoch: leader_epoch,
                };
                if !self.handle_common_response(from, common, via, rng, &mut out) && error.is_none()
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
