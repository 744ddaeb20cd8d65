//! The consumer's poll loop and fetcher (Kafka's `KafkaConsumer.poll`, `Fetcher`,
//! `OffsetsRequestManager`): positions from the committed offsets (OffsetFetch) or
//! `auto.offset.reset` (ListOffsets), fetches to each partition's leader read below the HW (or
//! the LSO for read_committed), records handed out `max.poll.records` at a time and processed
//! for `sandbox.processing.ms.per.record` each.

use crate::sorted::SortedMap;

use super::{
    describe_batch, list, AfterCommit, Batch, CommitAfterPoll, Consumer, ConsumerCtx,
    ConsumerTimer, OffsetReset, Phase, REQUEST_TIMEOUT_MS, RETRY_BACKOFF_MS,
};
use crate::command::{NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::FetchPartition;
use crate::protocol::FetchPartitionResponse;
use crate::protocol::FetchRequest;
use crate::protocol::Message;
use crate::protocol::EARLIEST_TIMESTAMP;
use crate::protocol::LATEST_TIMESTAMP;
use crate::record::Record;

impl Consumer {
    /// The application calls `poll()`.
    pub fn poll(&mut self, ctx: &mut ConsumerCtx) {
        if !self.alive || matches!(self.phase, Phase::Closing | Phase::Stopped | Phase::Failed) {
            return;
        }
        self.in_poll = true;
        self.last_poll_ms = ctx.now;
        // A subscribed topic missing from the metadata: ask again (and again after a backoff).
        if self.topics.iter().any(|t| {
            self.metadata
                .topics
                .get(t)
                .is_none_or(|m| m.partitions == 0)
        }) {
            self.request_metadata(ctx);
        }
        let mut rejoining = false;
        if self.managed() {
            if self.coordinator.is_none() {
                return;
            }
            if self.consumer_protocol() {
                self.membership_on_poll(ctx);
            }
            if self.rejoin_needed && !matches!(self.phase, Phase::Joining | Phase::Syncing) {
                self.start_join(ctx);
            }
            if self.phase != Phase::Stable {
                // While it rejoins, poll() still fetches and hands out the partitions the
                // member owns (KafkaConsumer.poll goes on to pollForFetches when the join is
                // not complete): with the cooperative protocol it keeps them through the
                // rebalance (KIP-429); an eager member gave them all up when it began to.
                // The auto-commit waits for the group to be stable again.
                if self.owned.is_empty() {
                    return;
                }
                rejoining = true;
            }
        }
        // Auto-commit runs inside poll() once the interval has passed.
        if !rejoining
            && self.config.enable_auto_commit
            && self.group.is_some()
            && ctx.now >= self.next_auto_commit_ms
        {
            self.next_auto_commit_ms = ctx.now + self.config.auto_commit_interval_ms;
            self.commit(ctx, None);
        }
        self.look_up_positions(ctx);
        if self.hand_out(ctx) {
            return;
        }
        self.send_fetches(ctx);
    }

    /// Starts looking up the position of owned partitions without one.
    pub(crate) fn look_up_positions(&mut self, ctx: &mut ConsumerCtx) {
        let missing: Vec<TopicPartition> = self
            .owned
            .iter()
            .filter(|tp| !self.positions.contains_key(*tp) && !self.looking_up.contains(*tp))
            .cloned()
            .collect();
        if missing.is_empty() {
            return;
        }
        match (&self.group, self.coordinator) {
            (Some(group), Some(coordinator)) => {
                for tp in &missing {
                    self.looking_up.insert(tp.clone());
                }
                ctx.send(
                    coordinator,
                    Message::OffsetFetch {
                        group_id: group.clone(),
                        partitions: missing,
                    },
                );
            }
            (Some(_), None) => {}
            (None, _) => self.reset_positions(ctx, missing),
        }
    }

    /// `auto.offset.reset` for partitions without a committed offset.
    pub(crate) fn reset_positions(
        &mut self,
        ctx: &mut ConsumerCtx,
        partitions: Vec<TopicPartition>,
    ) {
        let timestamp = match self.config.auto_offset_reset {
            OffsetReset::Earliest => EARLIEST_TIMESTAMP,
            OffsetReset::Latest => LATEST_TIMESTAMP,
            OffsetReset::None => {
                let text = format!("NoOffsetForPartitionException: Undefined offset with no reset policy for partitions: {}", list(&partitions));
                self.event(
                    ctx,
                    EventKind::Consume,
                    None,
                    format!("poll() throws {text} (auto.offset.reset=none); the application stops"),
                );
                self.error = Some(text);
                self.fail(ctx);
                return;
            }
        };
        let mut by_leader: SortedMap<NodeId, Vec<(TopicPartition, i64)>> = SortedMap::new();
        for tp in partitions {
            match self.leaders.get(&tp) {
                Some(&leader) => {
                    self.looking_up.insert(tp.clone());
                    by_leader.entry(leader).or_default().push((tp, timestamp));
                }
                None => {
                    self.looking_up.remove(&tp);
                    self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
                }
            }
        }
        for (leader, partitions) in by_leader {
            ctx.send(leader, Message::ListOffsets { partitions });
        }
    }

    pub fn handle_offset_fetch_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        error: Option<KafkaError>,
        offsets: Vec<(TopicPartition, Option<i64>)>,
    ) {
        if let Some(e) = error {
            for (tp, _) in &offsets {
                self.looking_up.remove(tp);
            }
            if matches!(
                e,
                KafkaError::NOT_COORDINATOR | KafkaError::COORDINATOR_NOT_AVAILABLE
            ) {
                self.coordinator_lost(ctx, "OffsetFetch answered NOT_COORDINATOR");
            }
            return;
        }
        let mut reset = Vec::new();
        let mut found = Vec::new();
        for (tp, committed) in offsets {
            self.looking_up.remove(&tp);
            if !self.owned.contains(&tp) {
                continue;
            }
            match committed {
                Some(offset) => {
                    self.positions.insert(tp.clone(), offset);
                    found.push(format!("{tp}@{offset}"));
                }
                None => reset.push(tp),
            }
        }
        if !found.is_empty() {
            self.event(
                ctx,
                EventKind::Consume,
                None,
                format!(
                    "starts from the group's committed offsets {}",
                    found.join(", ")
                ),
            );
        }
        if !reset.is_empty() {
            let policy = match self.config.auto_offset_reset {
                OffsetReset::Earliest => "earliest: the log start offset",
                OffsetReset::Latest => "latest: the HW, so only records written from now on",
                OffsetReset::None => "none",
            };
            self.event(
                ctx,
                EventKind::Consume,
                None,
                format!(
                    "the group has no committed offset for {}, so auto.offset.reset={policy}",
                    list(&reset)
                ),
            );
            self.reset_positions(ctx, reset);
        }
        self.poll_if_waiting(ctx);
    }

    pub fn handle_list_offsets_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        partitions: Vec<(TopicPartition, Option<KafkaError>, i64)>,
    ) {
        for (tp, error, offset) in partitions {
            self.looking_up.remove(&tp);
            if error.is_some() {
                self.leaders.remove(&tp);
                self.set_timer(ctx, ConsumerTimer::Retry, RETRY_BACKOFF_MS);
                continue;
            }
            if self.owned.contains(&tp) && !self.positions.contains_key(&tp) {
                self.positions.insert(tp, offset);
            }
        }
        self.poll_if_waiting(ctx);
    }

    /// Hands buffered records to the application. Returns whether it started processing.
    pub(crate) fn hand_out(&mut self, ctx: &mut ConsumerCtx) -> bool {
        let mut left = self.config.max_poll_records;
        let mut batch: Batch = Vec::new();
        for tp in self.owned.clone() {
            if left == 0 {
                break;
            }
            let Some(position) = self.positions.get(&tp).copied() else {
                continue;
            };
            let Some(records) = self.buffer.get_mut(&tp) else {
                continue;
            };
            records.retain(|r| r.offset >= position);
            let take = (records.len() as i64).min(left);
            if take == 0 {
                continue;
            }
            let taken: Vec<Record> = records.drain(..take as usize).collect();
            left -= take;
            let last = taken.last().map_or(position, |r| r.offset);
            batch.push((tp.clone(), position, last, take));
        }
        if batch.is_empty() {
            return false;
        }
        let count: i64 = batch.iter().map(|(_, _, _, n)| n).sum();
        let took = count * self.config.processing_ms_per_record;
        self.event(
            ctx,
            EventKind::Consume,
            None,
            format!(
                "poll() returns {count} record(s) ({}); the application works on them for {took} ms",
                describe_batch(&batch)
            ),
        );
        self.processing = Some(batch);
        self.in_poll = false;
        self.set_timer(ctx, ConsumerTimer::Processed, took);
        true
    }

    /// The application finished a poll's records.
    pub fn on_processed(
        &mut self,
        ctx: &mut ConsumerCtx,
        progress: &mut SortedMap<(String, TopicPartition), i64>,
    ) {
        let Some(batch) = self.processing.take() else {
            return;
        };
        let key = self.group.clone().unwrap_or_else(|| self.name.clone());
        self.event(
            ctx,
            EventKind::Consume,
            None,
            format!("finishes processing {}", describe_batch(&batch)),
        );
        let mut again = Vec::new();
        for (tp, first, last, count) in &batch {
            self.records_processed += count;
            let seen = progress.entry((key.clone(), tp.clone())).or_insert(-1);
            if *seen >= *first {
                let twice = ((*seen).min(*last) - first + 1).min(*count);
                self.records_reprocessed += twice;
                again.push(format!("{tp} offsets {first}–{}", (*seen).min(*last)));
            }
            *seen = (*seen).max(*last);
            if self.owned.contains(tp) {
                self.positions.insert(tp.clone(), last + 1);
            }
        }
        if !again.is_empty() {
            self.event(
                ctx,
                EventKind::Consume,
                None,
                format!(
                    "{} have now been processed twice in {key}: their offsets were not committed before the partition changed hands (at-least-once delivery)",
                    again.join(", ")
                ),
            );
        }
        let grouped = self.group.is_some();
        let waiting = match self.config.commit_after_poll {
            CommitAfterPoll::Sync if grouped => self.commit(ctx, Some(AfterCommit::Poll)),
            CommitAfterPoll::Async if grouped => {
                self.commit(ctx, None);
                false
            }
            _ => false,
        };
        if waiting {
            return;
        }
        self.poll(ctx);
    }

    pub(crate) fn send_fetches(&mut self, ctx: &mut ConsumerCtx) {
        let now = ctx.now;
        // A fetch with no answer for request.timeout.ms is given up.
        self.fetches
            .retain(|_, sent| now - *sent < REQUEST_TIMEOUT_MS);
        let mut by_leader: SortedMap<NodeId, Vec<FetchPartition>> = SortedMap::new();
        let mut missing_leader = false;
        for tp in &self.owned {
            let Some(&position) = self.positions.get(tp) else {
                continue;
            };
            if self.buffer.get(tp).is_some_and(|b| !b.is_empty()) {
                continue;
            }
            let Some(&leader) = self.leaders.get(tp) else {
                missing_leader = true;
                continue;
            };
            if self.fetches.contains_key(&leader) {
                continue;
            }
            by_leader.entry(leader).or_default().push(FetchPartition {
                partition: tp.clone(),
                fetch_offset: position,
                last_fetched_epoch: -1,
                current_leader_epoch: -1,
                log_start_offset: -1,
                max_bytes: self.config.max_partition_fetch_bytes,
            });
        }
        if missing_leader {
            self.request_metadata(ctx);
        }
        for (leader, partitions) in by_leader {
            self.fetches.insert(leader, now);
            ctx.send(
                leader,
                Message::Fetch(FetchRequest {
                    replica_id: -1,
                    broker_epoch: -1,
                    max_wait_ms: self.config.fetch_max_wait_ms,
                    partitions,
                    read_committed: self.config.read_committed,
                }),
            );
        }
    }

    pub fn handle_fetch_response(
        &mut self,
        ctx: &mut ConsumerCtx,
        from: NodeId,
        partitions: Vec<FetchPartitionResponse>,
    ) {
        self.fetches.remove(&from);
        let mut refresh = false;
        for part in partitions {
            let tp = part.partition.clone();
            match part.error {
                Some(KafkaError::OFFSET_OUT_OF_RANGE) => {
                    if self.owned.contains(&tp) {
                        self.positions.remove(&tp);
                        self.reset_positions(ctx, vec![tp]);
                    }
                }
                Some(_) => {
                    self.leaders.remove(&tp);
                    refresh = true;
                }
                None => {
                    let Some(&position) = self.positions.get(&tp) else {
                        continue;
                    };
                    if !self.owned.contains(&tp) {
                        continue;
                    }
                    // Control records are never returned; read_committed also drops the data
                    // of aborted transactions (`CompletedFetch`). Both still advance the
                    // position.
                    let fetched_end = part.records.last().map(|r| r.offset + 1);
                    let visible: Vec<Record> = if self.config.read_committed {
                        crate::producer_state::committed_only(
                            &part.records,
                            &part.aborted_transactions,
                        )
                    } else {
                        part.records
                            .into_iter()
                            .filter(|r| !r.is_control())
                            .collect()
                    };
                    if self.config.read_committed {
                        self.delivered_transactional.extend(
                            visible
                                .iter()
                                .filter(|r| r.batch.as_ref().is_some_and(|b| b.transactional))
                                .map(|r| (tp.clone(), r.offset)),
                        );
                    }
                    let buffer = self.buffer.entry(tp.clone()).or_default();
                    let next = buffer.last().map_or(position, |r| r.offset + 1);
                    buffer.extend(visible.into_iter().filter(|r| r.offset >= next));
                    if buffer.is_empty() && self.processing.is_none() {
                        if let Some(end) = fetched_end.filter(|&e| e > position) {
                            self.positions.insert(tp, end);
                        }
                    }
                }
            }
        }
        if refresh {
            self.request_metadata(ctx);
        }
        self.poll_if_waiting(ctx);
    }
}
