//! A classic group as its coordinator keeps it (`classic/ClassicGroup.java`): its state, its
//! members, the protocol (assignor) its members agree on, and its committed offsets.
//!
//! - States: Empty → PreparingRebalance → CompletingRebalance → Stable, and back to
//!   PreparingRebalance when a member joins, leaves, times out or changes its subscription.
//! - The leader is the first member to join; a new one is picked in Java `HashMap` order of
//!   member ids when it leaves. The protocol (assignor) is the one every member supports with
//!   the most first-preference votes (ties in `HashMap` order of the names).

use crate::sorted::SortedMap;

use serde::{Deserialize, Serialize};

use crate::assignor::Subscription;
use crate::command::TopicPartition;
use crate::coordinator_record::{CoordinatorRecord, Member};
use crate::error::KafkaError;
use crate::java::{hash_map_iteration_order, string_hash_code};
use crate::protocol::JoinGroupResponse;
use crate::protocol::Message;

/// `ClassicGroupState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// A classic group (`ClassicGroup`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassicGroup {
    pub group_id: String,
    pub state: GroupState,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    /// Members in the order they were added.
    pub members: Vec<Member>,
    /// Dynamic members told MEMBER_ID_REQUIRED that have not joined with their id yet.
    pub pending_members: Vec<String>,
    /// Committed offsets.
    pub offsets: SortedMap<TopicPartition, i64>,
    /// While the first rebalance of an empty group waits for more members: the latest time it
    /// may complete (`rebalance timeout` after it started), and whether someone joined since
    /// the last delay started.
    pub initial_delay: Option<(i64, bool)>,
    pub rebalances: i32,
}

impl ClassicGroup {
    pub(crate) fn new(group_id: &str) -> ClassicGroup {
        ClassicGroup {
            group_id: group_id.to_string(),
            state: GroupState::Empty,
            generation: 0,
            protocol: None,
            leader: None,
            members: Vec::new(),
            pending_members: Vec::new(),
            offsets: SortedMap::new(),
            initial_delay: None,
            rebalances: 0,
        }
    }

    pub fn member(&self, member_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.member_id == member_id)
    }

    pub(crate) fn member_mut(&mut self, member_id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.member_id == member_id)
    }

    /// Member ids in Java `HashMap` iteration order (the group keeps them in a `HashMap`).
    pub(crate) fn hash_order(&self) -> Vec<String> {
        let codes: Vec<i32> = self
            .members
            .iter()
            .map(|m| string_hash_code(&m.member_id))
            .collect();
        hash_map_iteration_order(&codes)
            .into_iter()
            .map(|i| self.members[i].member_id.clone())
            .collect()
    }

    pub(crate) fn rebalance_timeout_ms(&self) -> i64 {
        self.members
            .iter()
            .map(|m| m.rebalance_timeout_ms)
            .max()
            .unwrap_or(0)
    }

    /// `ClassicGroup.selectProtocol`: among the protocols every member supports, the one with
    /// the most first-preference votes; ties go to the first in `HashMap` order of the names.
    pub(crate) fn select_protocol(&self) -> Option<String> {
        let first = self.members.first()?;
        let candidates: Vec<&String> = first
            .protocols
            .iter()
            .map(|(name, _)| name)
            .filter(|name| {
                self.members
                    .iter()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == *name))
            })
            .collect();
        let mut votes: Vec<(String, i32)> = Vec::new();
        for member in &self.members {
            if let Some((name, _)) = member
                .protocols
                .iter()
                .find(|(n, _)| candidates.contains(&n))
            {
                match votes.iter_mut().find(|(n, _)| n == name) {
                    Some((_, count)) => *count += 1,
                    None => votes.push((name.clone(), 1)),
                }
            }
        }
        let codes: Vec<i32> = votes.iter().map(|(n, _)| string_hash_code(n)).collect();
        let mut best: Option<(String, i32)> = None;
        for i in hash_map_iteration_order(&codes) {
            let (name, count) = &votes[i];
            if best.as_ref().is_none_or(|(_, c)| count > c) {
                best = Some((name.clone(), *count));
            }
        }
        best.map(|(name, _)| name)
    }

    /// Whether a member's protocols are the ones the group already agreed on.
    pub(crate) fn supports_protocols(&self, protocols: &[(String, Subscription)]) -> bool {
        if self.members.is_empty() {
            return !protocols.is_empty();
        }
        protocols.iter().any(|(name, _)| {
            self.members
                .iter()
                .all(|m| m.protocols.iter().any(|(n, _)| n == name))
        })
    }

    pub(crate) fn record(&self) -> CoordinatorRecord {
        CoordinatorRecord::Group {
            group_id: self.group_id.clone(),
            generation: self.generation,
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self.members.clone(),
        }
    }
}

pub(crate) fn join_error(group_id: &str, member_id: &str, error: KafkaError) -> Message {
    Message::JoinGroupResponse(JoinGroupResponse {
        group_id: group_id.to_string(),
        error: Some(error),
        generation: -1,
        protocol_name: None,
        leader: String::new(),
        member_id: member_id.to_string(),
        members: Vec::new(),
        skip_assignment: false,
    })
}
