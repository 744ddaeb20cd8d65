//! Committed offsets on the group coordinator, for both group protocols
//! (`OffsetMetadataManager.java`): OffsetCommit (validated against the classic generation or
//! the KIP-848 member epoch), OffsetFetch, TxnOffsetCommit (offsets that count only when the
//! transaction's COMMIT marker follows: `onTransactionCompleted`) and the admin reset of
//! `kafka-consumer-groups.sh --reset-offsets`.
//!
//! - OffsetCommit is validated on member and generation (ILLEGAL_GENERATION,
//!   UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS while CompletingRebalance) in a classic group, on
//!   the member epoch (STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID) in a consumer group; a commit
//!   with generation -1 is accepted only while the group is empty (admin tools, standalone
//!   consumers).
//! - Offsets are written as one record each and answered once the HW passes them, so a
//!   committed offset survives the coordinator's failover.

use std::sync::Arc;

use crate::broker::timer::BrokerCtx;
use crate::command::{NodeId, TopicPartition};
use crate::coordinator::Host;
use crate::coordinator_record::CoordinatorRecord;
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::Message;
use crate::protocol::OffsetCommitRequest;
use crate::protocol::TxnOffsetCommitRequest;
use crate::record::{BatchHeader, Record};

use super::classic_group::{ClassicGroup, GroupState};
use super::{GroupCoordinator, WriteAction, OFFSETS_TOPIC};

impl GroupCoordinator {
    pub fn handle_offset_commit(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: OffsetCommitRequest,
    ) {
        let OffsetCommitRequest {
            request_id,
            group_id,
            generation,
            member_id,
            offsets,
        } = request;
        let reply =
            |ctx: &mut BrokerCtx, error: KafkaError, offsets: Vec<(TopicPartition, i64)>| {
                ctx.send(
                    from,
                    Message::OffsetCommitResponse {
                        request_id,
                        group_id: group_id.clone(),
                        error: Some(error),
                        offsets,
                    },
                );
            };
        let Some(p) = self.coordinates(host, &group_id) else {
            return reply(ctx, KafkaError::NOT_COORDINATOR, offsets);
        };
        // Each protocol validates a commit its way; then the offsets are written alike, and
        // answered once the HW passes them.
        let checked = if self.consumer_groups.contains_key(&group_id) {
            self.validate_consumer_group_commit(ctx, &group_id, generation, &member_id)
        } else {
            self.validate_classic_commit(host, ctx, &group_id, generation, &member_id)
        };
        if let Err(error) = checked {
            return reply(ctx, error, offsets);
        }
        let written = self.write_offsets(
            host,
            ctx,
            p,
            &group_id,
            &offsets,
            WriteAction::Commit {
                group_id: group_id.clone(),
                node: from,
                request_id,
                offsets: offsets.clone(),
            },
        );
        if !written {
            reply(ctx, KafkaError::NOT_COORDINATOR, offsets);
        }
    }

    /// `ClassicGroup.validateOffsetCommit`: a commit with generation -1 (an admin tool, a
    /// standalone consumer) creates the group if needed and is accepted only while it is
    /// Empty; a member's commit must carry its generation, and counts as a heartbeat.
    fn validate_classic_commit(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        generation: i32,
        member_id: &str,
    ) -> Result<(), KafkaError> {
        if !self.groups.contains_key(group_id) {
            if generation >= 0 {
                return Err(KafkaError::ILLEGAL_GENERATION);
            }
            self.groups
                .insert(group_id.to_string(), ClassicGroup::new(group_id));
        }
        let Some(group) = self.group(group_id) else {
            return Err(KafkaError::GROUP_ID_NOT_FOUND);
        };
        let error = if generation < 0 && member_id.is_empty() {
            (group.state != GroupState::Empty).then_some(KafkaError::UNKNOWN_MEMBER_ID)
        } else if group.state == GroupState::CompletingRebalance {
            Some(KafkaError::REBALANCE_IN_PROGRESS)
        } else if group.member(member_id).is_none() {
            Some(KafkaError::UNKNOWN_MEMBER_ID)
        } else if generation != group.generation {
            Some(KafkaError::ILLEGAL_GENERATION)
        } else {
            None
        };
        if let Some(error) = error {
            let me = host.id();
            ctx.event(
                EventKind::Commit,
                None,
                format!("Coordinator {me} refuses {member_id}'s commit for group {group_id} (generation {generation}, group at {} in {}): {error}", group.generation, group.state.name()),
            );
            return Err(error);
        }
        if !member_id.is_empty() {
            self.reset_session(host, ctx, group_id, member_id);
        }
        Ok(())
    }

    /// `ConsumerGroup.validateOffsetCommit`: in a consumer group the request's generation is
    /// the member epoch.
    fn validate_consumer_group_commit(
        &self,
        ctx: &mut BrokerCtx,
        group_id: &str,
        member_epoch: i32,
        member_id: &str,
    ) -> Result<(), KafkaError> {
        let Some(group) = self.consumer_group(group_id) else {
            return Err(KafkaError::GROUP_ID_NOT_FOUND);
        };
        if let Some(error) = group.validate_offset_commit(member_id, member_epoch) {
            let me = ctx.node;
            let at = group
                .member(member_id)
                .map_or("not a member".to_string(), |m| {
                    format!("the member is at epoch {}", m.current.member_epoch)
                });
            ctx.event(
                EventKind::Commit,
                None,
                format!("Coordinator {me} refuses a commit for consumer group {group_id} from member {member_id} with member epoch {member_epoch} ({at}): {error}"),
            );
            return Err(error);
        }
        Ok(())
    }

    pub fn handle_offset_fetch(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        group_id: String,
        partitions: Vec<TopicPartition>,
    ) {
        let (error, offsets) = match self.coordinates(host, &group_id) {
            None => (Some(KafkaError::NOT_COORDINATOR), Vec::new()),
            Some(_) => {
                let group = self.group(&group_id);
                let consumer_group = self.consumer_groups.get(&group_id);
                let offsets = partitions
                    .into_iter()
                    .map(|tp| {
                        let committed = group
                            .and_then(|g| g.offsets.get(&tp).copied())
                            .or_else(|| consumer_group.and_then(|g| g.offsets.get(&tp).copied()));
                        (tp, committed)
                    })
                    .collect();
                (None, offsets)
            }
        };
        ctx.send(
            from,
            Message::OffsetFetchResponse {
                group_id,
                error,
                offsets,
            },
        );
    }

    /// `kafka-consumer-groups.sh --reset-offsets --execute`: an admin commit (generation -1)
    /// written like any other. Returns the refusal, if any.
    pub fn admin_commit(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        group_id: &str,
        offsets: Vec<(TopicPartition, i64)>,
    ) -> Result<(), String> {
        let Some(p) = self.coordinates(host, group_id) else {
            return Err(format!(
                "broker {} does not coordinate group {group_id}",
                host.id()
            ));
        };
        if let Some(g) = self.consumer_groups.get(group_id) {
            let state = g.state();
            if state != super::consumer_group::ConsumerGroupState::Empty {
                return Err(format!("Assignments can only be reset if the group '{group_id}' is inactive, but the current state is {}.", state.name()));
            }
        } else if let Some(g) = self.group(group_id) {
            if !matches!(g.state, GroupState::Empty | GroupState::Dead) {
                return Err(format!("Assignments can only be reset if the group '{group_id}' is inactive, but the current state is {}.", g.state.name()));
            }
        } else {
            self.groups
                .insert(group_id.to_string(), ClassicGroup::new(group_id));
        }
        self.write_offsets(host, ctx, p, group_id, &offsets, WriteAction::None);
        if let Some(g) = self.consumer_groups.get_mut(group_id) {
            for (tp, offset) in offsets {
                g.offsets.insert(tp, offset);
            }
        } else if let Some(g) = self.group_mut(group_id) {
            for (tp, offset) in offsets {
                g.offsets.insert(tp, offset);
            }
        }
        Ok(())
    }

    /// TxnOffsetCommit: the offsets are written as transactional records of the producer and
    /// count only when its COMMIT marker arrives.
    pub fn handle_txn_offset_commit(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        from: NodeId,
        request: TxnOffsetCommitRequest,
    ) {
        let TxnOffsetCommitRequest {
            transactional_id: tid,
            group_id,
            producer_id: pid,
            producer_epoch: epoch,
            offsets,
        } = request;
        let Some(p) = self.coordinates(host, &group_id) else {
            ctx.send(
                from,
                Message::TxnOffsetCommitResponse {
                    error: Some(KafkaError::NOT_COORDINATOR),
                    group_id,
                },
            );
            return;
        };
        let tp = TopicPartition::new(OFFSETS_TOPIC, p);
        let now = ctx.now;
        let (Some(leader_epoch), Some(log)) = (host.leading_epoch(&tp), host.log(&tp)) else {
            return;
        };
        let header = Arc::new(BatchHeader {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: -1,
            last_sequence: -1,
            transactional: true,
            control: None,
            coordinator_epoch: -1,
        });
        if let Some(entry) = log.producer_state().producers.get(&pid) {
            if entry.epoch > epoch {
                ctx.send(
                    from,
                    Message::TxnOffsetCommitResponse {
                        error: Some(KafkaError::PRODUCER_FENCED),
                        group_id,
                    },
                );
                return;
            }
        }
        let records: Vec<Record> = offsets
            .iter()
            .map(|(part, offset)| Record {
                offset: 0,
                leader_epoch,
                producer: format!("txn {tid}"),
                producer_seq: -1,
                key: Some(format!("OffsetCommitKey({group_id}, {part})")),
                value: Some(format!("offset {offset} (transactional)")),
                timestamp_ms: now,
                coordinator: Some(Arc::new(CoordinatorRecord::Offset {
                    group_id: group_id.clone(),
                    partition: part.clone(),
                    offset: *offset,
                })),
                batch: Some(header.clone()),
            })
            .collect();
        self.pending_txn_offsets
            .insert((group_id.clone(), pid), offsets);
        ctx.event(
            EventKind::Commit,
            Some(tp.clone()),
            format!(
                "Coordinator {} writes group {group_id}'s offsets from {tid} to {tp} as part of the transaction: they count only once a COMMIT marker follows",
                host.id()
            ),
        );
        ctx.send(
            from,
            Message::TxnOffsetCommitResponse {
                error: None,
                group_id,
            },
        );
        // Appended after the answer is queued, as the sandbox always did: what follows the
        // append (the HW, waiting fetches) comes after it.
        host.append(ctx, &tp, records);
    }

    /// A transaction of producer `pid` ended (`GroupCoordinator.onTransactionCompleted`, when
    /// its marker is written to a `__consumer_offsets` partition this broker leads): its
    /// pending offsets become the groups' on COMMIT and are dropped on ABORT.
    pub fn on_transaction_completed(
        &mut self,
        host: &mut dyn Host,
        ctx: &mut BrokerCtx,
        pid: i64,
        commit: bool,
    ) {
        let keys: Vec<(String, i64)> = self
            .pending_txn_offsets
            .keys()
            .filter(|(_, p)| *p == pid)
            .cloned()
            .collect();
        for key in keys {
            let Some(offsets) = self.pending_txn_offsets.remove(&key) else {
                continue;
            };
            if !commit {
                continue;
            }
            let group_id = key.0;
            if let Some(g) = self.groups.get_mut(&group_id) {
                for (tp, o) in &offsets {
                    g.offsets.insert(tp.clone(), *o);
                }
            } else if let Some(g) = self.consumer_groups.get_mut(&group_id) {
                for (tp, o) in &offsets {
                    g.offsets.insert(tp.clone(), *o);
                }
            }
            let text: Vec<String> = offsets.iter().map(|(tp, o)| format!("{tp}@{o}")).collect();
            ctx.event(
                EventKind::Commit,
                None,
                format!(
                    "Coordinator {}: the COMMIT marker makes group {group_id}'s offsets {} count (exactly-once: the output records and the input offsets commit together)",
                    host.id(),
                    text.join(", ")
                ),
            );
        }
    }
}
