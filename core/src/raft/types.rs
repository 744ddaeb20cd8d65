//! What Raft exchanges and reports: records, messages, timers, outputs, events, and the
//! views the page draws of the quorum.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::NodeId;

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

    /// What the role means for the node, in a few words.
    pub fn meaning(&self) -> &'static str {
        match self {
            RaftRole::Leader => "the active controller: it writes the metadata log",
            RaftRole::Candidate => {
                "standing for election: it asked the other voters for their votes"
            }
            RaftRole::Follower => {
                "a standby controller: it replicates the active one's metadata log"
            }
            RaftRole::Unattached => "a voter that knows of no leader in its epoch yet",
            RaftRole::Resigned => "a former leader that gave up its epoch",
            RaftRole::Observer => "a broker replicating the metadata log; it does not vote",
        }
    }
}

impl std::fmt::Display for RaftRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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
