//! Elections: the transitions between states (`QuorumState.transitionTo*`), votes, and
//! BeginQuorumEpoch / EndQuorumEpoch.

use crate::sorted::{SortedMap, SortedSet};
use std::fmt::Debug;

use crate::rng::SimRng;

use super::{
    CandidateReason, CandidateState, FollowerState, LeaderState, NodeId, Outs, RaftError,
    RaftEvent, RaftMessage, RaftNode, RaftOutput, RaftRecord, RaftTimer, ReplicaState,
    ResignReason, ResignedState, State, VoteRejectReason, ELECTION_BACKOFF_BASE_MS,
};

/// The fields every Raft response carries (`errorCode`, `leaderId`, `leaderEpoch`), which
/// `maybeHandleCommonResponse` reads first.
#[derive(Clone, Copy, Debug)]
pub(super) struct CommonResponse {
    pub error: Option<RaftError>,
    pub leader: Option<NodeId>,
    pub epoch: i32,
}

impl<R: Clone + Debug + PartialEq> RaftNode<R> {
    pub(super) fn transition_to_unattached(
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

    pub(super) fn transition_to_voted(
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

    pub(super) fn transition_to_follower(
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

    pub(super) fn transition_to_candidate(
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
                rejected: SortedSet::new(),
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

    pub(super) fn send_vote_requests(&self, out: &mut Outs<R>) {
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
    pub(super) fn start_backoff(&mut self, timed_out: bool, rng: &mut SimRng, out: &mut Outs<R>) {
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

    pub(super) fn maybe_become_leader(&mut self, out: &mut Outs<R>) -> bool {
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
                observer_states: SortedMap::new(),
                fetched_voters: SortedSet::new(),
                parked: SortedMap::new(),
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

    pub(super) fn send_begin_quorum_epoch(&mut self, out: &mut Outs<R>) {
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

    pub(super) fn transition_to_resigned(
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
    pub(super) fn has_consistent_leader(&self, epoch: i32, leader: Option<NodeId>) -> bool {
        if leader == Some(self.id) {
            return matches!(self.state, State::Leader(_));
        }
        let known = self.election_leader();
        epoch != self.epoch || leader.is_none() || known.is_none() || leader == known
    }

    /// `maybeTransition`: adopt a higher epoch, or the leader of our epoch if unknown.
    pub(super) fn maybe_transition(
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
    pub(super) fn handle_common_response(
        &mut self,
        from: NodeId,
        common: CommonResponse,
        via: &str,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) -> bool {
        let CommonResponse {
            error,
            leader,
            epoch,
        } = common;
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

    pub(super) fn on_vote_request(
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

    pub(super) fn on_vote_response(
        &mut self,
        from: NodeId,
        common: CommonResponse,
        granted: bool,
        rng: &mut SimRng,
        out: &mut Outs<R>,
    ) {
        let CommonResponse { error, .. } = common;
        if self.handle_common_response(from, common, "VoteResponse", rng, out) || error.is_some() {
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

    pub(super) fn on_begin_quorum_epoch(
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

    pub(super) fn on_end_quorum_epoch(
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
    pub(super) fn end_epoch_election_backoff(&self, preferred: &[NodeId]) -> i64 {
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
}
