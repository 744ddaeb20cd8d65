//! Fetch, both sides (Kafka's `ReplicaFetcherThread` / `AbstractFetcherThread` on the follower,
//! `ReplicaManager.fetchMessages` and `DelayedFetch` on the leader): the follower's one Fetch per
//! leader broker with its LEO and last fetched epoch, the leader's answer (records, its HW,
//! a diverging epoch to truncate to), fetches parked for `replica.fetch.wait.max.ms` or a
//! consumer's `fetch.max.wait.ms`, and consumer reads up to the HW or the LSO.

use crate::sorted::SortedMap;
use std::sync::Arc;

use super::{
    Broker, BrokerCtx, BrokerTimer, ParkedFetch, REPLICA_FETCH_BACKOFF_MS,
    REPLICA_SOCKET_TIMEOUT_MS,
};

use crate::command::{NodeId, TopicPartition};
use crate::error::KafkaError;
use crate::event::EventKind;
use crate::protocol::{FetchPartition, FetchPartitionResponse, FetchRequest, Message};
use crate::record::record_size;

/// Where a consumer's read stops: the LSO for read_committed, the HW otherwise.
pub(crate) fn readable_end(log: &crate::log::PartitionLog, read_committed: bool) -> i64 {
    if read_committed {
        log.last_stable_offset()
    } else {
        log.high_watermark()
    }
}

impl Broker {
    /// Sends one fetch to each leader that this broker follows partitions on and that has no
    /// fetch outstanding.
    pub fn maybe_fetch(&mut self, ctx: &mut BrokerCtx) {
        if !self.alive || self.paused.contains(&None) {
            return;
        }
        let Some(broker_epoch) = self.broker_epoch else {
            return;
        };
        let mut by_leader: SortedMap<NodeId, Vec<FetchPartition>> = SortedMap::new();
        for (tp, replica) in &self.replicas {
            if replica.leader.is_some() || self.paused.contains(&Some(tp.clone())) {
                continue;
            }
            let Some(leader) = replica.registration.leader else {
                continue;
            };
            let leo = replica.log.log_end_offset();
            by_leader.entry(leader).or_default().push(FetchPartition {
                partition: tp.clone(),
                fetch_offset: leo,
                // `lastFetchedEpoch` is the latest epoch of the log's epoch cache
                // (`AbstractFetcherThread` takes `log.latestEpoch`), even one that starts at the
                // LEO because this broker led that epoch without writing: the leader then names
                // the divergence and the truncation removes that entry. Sending the epoch of the
                // last record instead left the entry behind, and a later record of an older
                // epoch erased the cache's true start of that epoch.
                last_fetched_epoch: replica.log.latest_epoch(),
                current_leader_epoch: replica.registration.leader_epoch,
                log_start_offset: replica.log.log_start_offset(),
                max_bytes: 0,
            });
        }
        for (leader, partitions) in by_leader {
            if self.fetching_from.contains(&leader) {
                continue;
            }
            self.fetching_from.insert(leader);
            ctx.send(
                leader,
                Message::Fetch(FetchRequest {
                    replica_id: self.id,
                    broker_epoch,
                    max_wait_ms: self.config("replica.fetch.wait.max.ms"),
                    partitions,
                    read_committed: false,
                }),
            );
            // A request or answer lost to a network partition never arrives: like the
            // fetcher's network client, give up after replica.socket.timeout.ms.
            self.set_timer(
                ctx,
                BrokerTimer::FetchTimeout { leader },
                REPLICA_SOCKET_TIMEOUT_MS,
            );
        }
    }

    pub fn handle_fetch_response(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        partitions: Vec<FetchPartitionResponse>,
    ) {
        self.fetching_from.remove(&from);
        self.timers
            .cancel(&BrokerTimer::FetchTimeout { leader: from });
        let me = self.id;
        let mut retry_later = false;
        for part in partitions {
            let tp = part.partition.clone();
            let Some(replica) = self.replicas.get_mut(&tp).map(Arc::make_mut) else {
                continue;
            };
            // A response from a broker that no longer leads the partition is stale.
            if replica.leader.is_some() || replica.registration.leader != Some(from) {
                continue;
            }
            if let Some(error) = part.error {
                retry_later = true;
                ctx.event(
                    EventKind::Deliver,
                    Some(tp.clone()),
                    format!("Broker {me}'s fetch of {tp} from broker {from} failed with {error}; it waits for new metadata"),
                );
                continue;
            }
            if let Some((epoch, end_offset)) = part.diverging_epoch {
                // KIP-279 (`AbstractFetcherThread.getOffsetTruncationState`): when we know the
                // leader's epoch, truncate to the smaller of its end offset on the leader and on
                // us; when we do not, to our own end offset of the largest epoch below it (the
                // next fetch then asks again from there); with no epoch at all, to the leader's.
                let (own_epoch, own_end) = replica.log.end_offset_for_epoch(epoch);
                let target = if own_end < 0 {
                    end_offset
                } else if own_epoch == epoch {
                    end_offset.min(own_end)
                } else {
                    own_end
                }
                .min(replica.log.log_end_offset());
                let before = replica.log.log_end_offset();
                let removed = replica.log.truncate_to(target);
                let n = removed.len();
                replica.truncated.extend(removed);
                let text = if n == 0 {
                    // `UnifiedLog.truncateTo` past the LEO still trims the epoch cache.
                    format!(
                        "Broker {me} keeps its LEO {before} of {tp} but drops the leader epochs its cache starts at {target} or later (epochs it led without writing): the leader says epoch {epoch} ends at {end_offset} (KIP-279)"
                    )
                } else {
                    format!(
                        "Broker {me} truncates {tp} from LEO {before} to {target}: the leader says epoch {epoch} ends at {end_offset}, so its {n} record(s) from there on never existed on the leader (KIP-279)"
                    )
                };
                ctx.event(EventKind::Truncate, Some(tp.clone()), text);
                continue;
            }
            let before_leo = replica.log.log_end_offset();
            replica.log.append_as_follower(&part.records);
            let leo = replica.log.log_end_offset();
            let old_hw = replica.log.high_watermark();
            replica.log.update_high_watermark(part.high_watermark);
            let old_start = replica.log.log_start_offset();
            if replica
                .log
                .maybe_increment_log_start_offset(part.log_start_offset)
            {
                ctx.event(
                    EventKind::Deliver,
                    Some(tp.clone()),
                    format!(
                        "Broker {me} takes log start offset {} from the leader's response: its records of {tp} below it are deleted (log start {old_start} → {})",
                        part.log_start_offset,
                        replica.log.log_start_offset()
                    ),
                );
            }
            let hw = replica.log.high_watermark();
            if leo > before_leo || hw != old_hw {
                ctx.event(
                    EventKind::Deliver,
                    Some(tp.clone()),
                    format!(
                        "Broker {me} appends {} record(s) to {tp} (LEO {before_leo} → {leo}) and takes HW {hw} from the leader's response (leader HW {}, clamped to its own LEO)",
                        leo - before_leo,
                        part.high_watermark
                    ),
                );
            }
        }
        if retry_later {
            self.set_timer(
                ctx,
                BrokerTimer::FetchBackoff { leader: from },
                REPLICA_FETCH_BACKOFF_MS,
            );
        } else {
            self.maybe_fetch(ctx);
        }
    }

    /// The fetch sent to `leader` got no answer within `replica.socket.timeout.ms`: the request
    /// or its response was lost. Without this the follower would wait for it forever and never
    /// fetch from that leader again. The fetcher thread treats it as an error: it backs off for
    /// `replica.fetch.backoff.ms`, then fetches again.
    pub fn on_fetch_timeout(&mut self, ctx: &mut BrokerCtx, leader: NodeId) {
        if !self.fetching_from.remove(&leader) {
            return;
        }
        ctx.event(
            EventKind::Deliver,
            None,
            format!(
                "Broker {}'s fetch from broker {leader} got no answer within replica.socket.timeout.ms={REPLICA_SOCKET_TIMEOUT_MS}: it drops the connection and fetches again after replica.fetch.backoff.ms={REPLICA_FETCH_BACKOFF_MS}",
                self.id
            ),
        );
        self.set_timer(
            ctx,
            BrokerTimer::FetchBackoff { leader },
            REPLICA_FETCH_BACKOFF_MS,
        );
    }

    pub fn handle_fetch(&mut self, ctx: &mut BrokerCtx, from: NodeId, request: FetchRequest) {
        let FetchRequest {
            replica_id,
            broker_epoch,
            max_wait_ms,
            partitions,
            read_committed,
        } = request;
        if replica_id < 0 {
            if read_committed {
                self.read_committed_fetchers.insert(from);
            } else {
                self.read_committed_fetchers.remove(&from);
            }
            self.handle_consumer_fetch(ctx, from, max_wait_ms, partitions);
            return;
        }
        let now = ctx.now;
        let me = self.id;
        let mut any_data = false;
        let mut touched = Vec::new();
        for part in &partitions {
            let tp = &part.partition;
            // Anything this broker cannot serve is answered at once, with an error.
            let Some(replica) = self.replicas.get_mut(tp).map(Arc::make_mut) else {
                any_data = true;
                continue;
            };
            let Some(leader) = replica.leader.as_mut() else {
                any_data = true;
                continue;
            };
            if part.current_leader_epoch != replica.registration.leader_epoch {
                any_data = true;
                continue;
            }
            if part.last_fetched_epoch >= 0 {
                let (epoch, end) = replica.log.end_offset_for_epoch(part.last_fetched_epoch);
                if epoch < part.last_fetched_epoch || end < part.fetch_offset {
                    any_data = true;
                    continue;
                }
            }
            let leo = replica.log.log_end_offset();
            if let Some(f) = leader.followers.get_mut(&replica_id) {
                // `Replica.updateFetchStateOrThrow`.
                if part.fetch_offset >= leo {
                    f.last_caught_up_time_ms = now;
                } else if part.fetch_offset >= f.last_fetch_leader_log_end_offset
                    && f.last_fetch_leader_log_end_offset >= 0
                {
                    f.last_caught_up_time_ms = f.last_fetch_time_ms;
                }
                f.log_end_offset = part.fetch_offset;
                f.log_start_offset = part.log_start_offset;
                f.last_fetch_leader_log_end_offset = leo;
                f.last_fetch_time_ms = now;
                f.broker_epoch = broker_epoch;
            }
            if part.fetch_offset < leo {
                any_data = true;
            }
            touched.push(tp.clone());
        }
        for tp in &touched {
            self.maybe_expand_isr(ctx, tp, replica_id);
            self.maybe_increment_hw(ctx, tp);
            // The follower reported its log start offset: the low watermark may have moved.
            self.complete_deletes(ctx, tp);
        }
        let fetch = ParkedFetch {
            replica_id,
            partitions,
        };
        if any_data || max_wait_ms <= 0 {
            self.answer_fetch(ctx, from, &fetch);
        } else {
            ctx.event(
                EventKind::Deliver,
                None,
                format!(
                    "Leader {me} holds broker {from}'s fetch: nothing new past its fetch offsets, so it waits up to replica.fetch.wait.max.ms={max_wait_ms}"
                ),
            );
            self.parked_fetches.retain(|p| p.replica_id != replica_id);
            self.parked_fetches.push(fetch);
            self.set_timer(
                ctx,
                BrokerTimer::FetchWait {
                    replica: replica_id,
                },
                max_wait_ms,
            );
        }
    }

    /// Builds and sends the response to a follower fetch.
    pub(crate) fn answer_fetch(&mut self, ctx: &mut BrokerCtx, to: NodeId, fetch: &ParkedFetch) {
        let max_bytes = self.config("replica.fetch.max.bytes");
        let mut responses = Vec::new();
        for part in &fetch.partitions {
            let tp = &part.partition;
            let mut response = FetchPartitionResponse::empty(tp.clone());
            match self.replicas.get(tp) {
                Some(replica) if replica.leader.is_some() => {
                    let epoch = replica.registration.leader_epoch;
                    response.high_watermark = replica.log.high_watermark();
                    response.log_start_offset = replica.log.log_start_offset();
                    if part.current_leader_epoch < epoch {
                        response.error = Some(KafkaError::FENCED_LEADER_EPOCH);
                    } else if part.current_leader_epoch > epoch {
                        response.error = Some(KafkaError::UNKNOWN_LEADER_EPOCH);
                    } else {
                        let (e, end) = if part.last_fetched_epoch >= 0 {
                            replica.log.end_offset_for_epoch(part.last_fetched_epoch)
                        } else {
                            (-1, -1)
                        };
                        if part.last_fetched_epoch >= 0
                            && (e < part.last_fetched_epoch || end < part.fetch_offset)
                        {
                            response.diverging_epoch = Some((e, end));
                        } else {
                            let mut budget = max_bytes;
                            for r in replica.log.read(part.fetch_offset, i64::MAX) {
                                let size = record_size(r);
                                // Like Kafka, the first record is always returned.
                                if !response.records.is_empty() && budget < size {
                                    break;
                                }
                                budget -= size;
                                response.records.push(r.clone());
                            }
                        }
                    }
                }
                _ => response.error = Some(KafkaError::NOT_LEADER_OR_FOLLOWER),
            }
            responses.push(response);
        }
        ctx.send(
            to,
            Message::FetchResponse {
                partitions: responses,
            },
        );
    }

    /// Answers parked fetches that now have something to return (or all, on `None`).
    pub fn answer_parked_fetches(&mut self, ctx: &mut BrokerCtx, tp: Option<&TopicPartition>) {
        let parked = std::mem::take(&mut self.parked_fetches);
        for fetch in parked {
            let ready = match tp {
                None => true,
                Some(tp) => fetch.partitions.iter().any(|p| {
                    &p.partition == tp
                        && self
                            .replicas
                            .get(tp)
                            .is_some_and(|r| r.log.log_end_offset() > p.fetch_offset)
                }),
            };
            if ready {
                self.timers.cancel(&BrokerTimer::FetchWait {
                    replica: fetch.replica_id,
                });
                self.answer_fetch(ctx, fetch.replica_id, &fetch);
            } else {
                self.parked_fetches.push(fetch);
            }
        }
    }

    pub fn on_fetch_wait(&mut self, ctx: &mut BrokerCtx, replica: NodeId) {
        if let Some(pos) = self
            .parked_fetches
            .iter()
            .position(|p| p.replica_id == replica)
        {
            let fetch = self.parked_fetches.remove(pos);
            self.answer_fetch(ctx, replica, &fetch);
        }
    }

    /// A consumer's fetch: read up to the HW at once if there is anything to read; otherwise,
    /// with `max_wait_ms > 0` (`fetch.max.wait.ms`), hold it until the HW moves on one of its
    /// partitions or the wait runs out (`DelayedFetch`).
    pub(crate) fn handle_consumer_fetch(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        max_wait_ms: i64,
        partitions: Vec<FetchPartition>,
    ) {
        let committed = self.read_committed_fetchers.contains(&from);
        let nothing_yet = partitions.iter().all(|p| {
            self.replicas.get(&p.partition).is_some_and(|r| {
                r.leader.is_some()
                    && p.fetch_offset >= r.log.log_start_offset()
                    && p.fetch_offset >= readable_end(&r.log, committed)
                    && p.fetch_offset <= r.log.log_end_offset()
            })
        });
        if max_wait_ms > 0 && nothing_yet {
            self.parked_consumer_fetches
                .retain(|(consumer, _)| *consumer != from);
            self.parked_consumer_fetches.push((from, partitions));
            self.set_timer(
                ctx,
                BrokerTimer::ConsumerFetchWait { consumer: from },
                max_wait_ms,
            );
            return;
        }
        self.answer_consumer_fetch(ctx, from, partitions);
    }

    /// Answers held consumer fetches that include `tp` (its HW moved).
    pub(crate) fn answer_parked_consumer_fetches(
        &mut self,
        ctx: &mut BrokerCtx,
        tp: &TopicPartition,
    ) {
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parked_consumer_fetches)
            .into_iter()
            .partition(|(_, parts)| parts.iter().any(|p| &p.partition == tp));
        self.parked_consumer_fetches = waiting;
        for (consumer, partitions) in ready {
            self.timers
                .cancel(&BrokerTimer::ConsumerFetchWait { consumer });
            self.answer_consumer_fetch(ctx, consumer, partitions);
        }
    }

    /// `fetch.max.wait.ms` ran out for a held consumer fetch: answer with what there is.
    pub fn on_consumer_fetch_wait(&mut self, ctx: &mut BrokerCtx, consumer: NodeId) {
        if let Some(pos) = self
            .parked_consumer_fetches
            .iter()
            .position(|(c, _)| *c == consumer)
        {
            let (_, partitions) = self.parked_consumer_fetches.remove(pos);
            self.answer_consumer_fetch(ctx, consumer, partitions);
        }
    }

    pub(crate) fn answer_consumer_fetch(
        &mut self,
        ctx: &mut BrokerCtx,
        from: NodeId,
        partitions: Vec<FetchPartition>,
    ) {
        let me = self.id;
        let committed = self.read_committed_fetchers.contains(&from);
        let mut responses = Vec::new();
        for part in partitions {
            let tp = part.partition.clone();
            let mut response = FetchPartitionResponse::empty(tp.clone());
            match self.replicas.get(&tp) {
                Some(r) if r.leader.is_some() => {
                    let hw = r.log.high_watermark();
                    let lso = r.log.last_stable_offset();
                    // read_committed reads up to the LSO, read_uncommitted up to the HW.
                    let end = readable_end(&r.log, committed);
                    let start = r.log.log_start_offset();
                    response.high_watermark = hw;
                    response.last_stable_offset = lso;
                    response.log_start_offset = start;
                    if part.fetch_offset < start || part.fetch_offset > r.log.log_end_offset() {
                        response.error = Some(KafkaError::OFFSET_OUT_OF_RANGE);
                    } else {
                        // read_uncommitted consumers read up to the HW, never past it.
                        // `max.partition.fetch.bytes`, though the first record always fits.
                        let mut budget = if part.max_bytes > 0 {
                            part.max_bytes
                        } else {
                            i64::MAX
                        };
                        let mut first = true;
                        response.records = r
                            .log
                            .read(part.fetch_offset, end)
                            .take_while(|rec| {
                                budget -= record_size(rec);
                                let fits = budget >= 0 || first;
                                first = false;
                                fits
                            })
                            .cloned()
                            .collect();
                        if response.records.is_empty() && part.fetch_offset >= end {
                            // Nothing committed past the position: an empty answer, no event.
                            responses.push(response);
                            continue;
                        }
                        if committed {
                            let upto = response.records.last().map_or(end, |r| r.offset + 1);
                            response.aborted_transactions = r
                                .log
                                .producer_state()
                                .aborted_between(part.fetch_offset, upto);
                        }
                    }
                    let text = match response.error {
                        Some(e) => format!("A consumer asked {tp} for offset {} on leader {me}: {e} (log start {start}, LEO {})", part.fetch_offset, r.log.log_end_offset()),
                        None if committed => format!(
                            "A read_committed consumer reads {} record(s) of {tp} from offset {} on leader {me}: it may read only below the last stable offset {lso} (HW {hw}){}",
                            response.records.len(),
                            part.fetch_offset,
                            match response.aborted_transactions.len() {
                                0 => String::new(),
                                n => format!(", with {n} aborted transaction(s) to skip"),
                            }
                        ),
                        None => format!(
                            "A consumer reads {} record(s) of {tp} from offset {} on leader {me}: it may read only below the HW {hw}, though the LEO is {}",
                            response.records.len(),
                            part.fetch_offset,
                            r.log.log_end_offset()
                        ),
                    };
                    ctx.event(EventKind::Consume, Some(tp.clone()), text);
                }
                _ => response.error = Some(KafkaError::NOT_LEADER_OR_FOLLOWER),
            }
            responses.push(response);
        }
        ctx.send(
            from,
            Message::FetchResponse {
                partitions: responses,
            },
        );
    }
}
