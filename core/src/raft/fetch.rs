//! Fetch: the leader's side (answering, parking, the high watermark) and the follower's and
//! observer's side (fetching, truncating on divergence, catching up).

use std::fmt::Debug;

use super::election::CommonResponse;
use crate::rng::SimRng;

use super::{
    FetchReq, InflightFetch, NodeId, Outs, RaftError, RaftEvent, RaftMessage, RaftNode, RaftOutput,
    RaftTimer, ReplicaState, State, Validity, OBSERVER_SESSION_TIMEOUT_MS,
};

impl<R: Clone + Debug + PartialEq> RaftNode<R> {
    pub(super) fn on_fetch_request(&mut self, req: FetchReq, out: &mut Outs<R>) {
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

    pub(super) fn fetch_error(&self, req: &FetchReq, error: RaftError) -> RaftMessage<R> {
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
    pub(super) fn try_complete_fetch(
        &mut self,
        req: &FetchReq,
        out: &mut Outs<R>,
    ) -> RaftMessage<R> {
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
    pub(super) fn update_replica_state(
        &mut self,
        replica: NodeId,
        fetch_offset: i64,
        out: &mut Outs<R>,
    ) {
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
    pub(super) fn maybe_update_leader_hw(&mut self, out: &mut Outs<R>) {
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
    pub(super) fn on_leader_log_grew(&mut self, out: &mut Outs<R>) {
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

    pub(super) fn complete_parked_fetch(&mut self, replica: NodeId, out: &mut Outs<R>) {
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

    pub(super) fn random_voter(&self, rng: &mut SimRng) -> Option<NodeId> {
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
    pub(super) fn ensure_fetching(&mut self, rng: &mut SimRng, out: &mut Outs<R>) {
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

    pub(super) fn fetch_backoff(&mut self, out: &mut Outs<R>) {
        let t = self.config.retry_backoff_ms;
        self.set_timer(RaftTimer::FetchBackoff, t, out);
    }

    pub(super) fn on_fetch_response(
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
        let common = CommonResponse {
            error,
            leader: leader_id,
            epoch,
        };
        if self.handle_common_response(from, common, "FetchResponse", rng, out) {
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
