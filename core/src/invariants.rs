//! Named invariants, checked after every step in tests and in the randomized fault-schedule
//! test. Each says why it holds in Kafka; a violation is a bug in the simulation.

use crate::sorted::SortedMap;

use crate::command::{Acks, NodeId, TopicPartition};
use crate::metadata::MetadataImage;
use crate::sim::Simulation;

/// A broken invariant: its name and what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: &'static str,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.invariant, self.detail)
    }
}

/// The invariants, with the reason each holds.
pub const INVARIANTS: &[(&str, &str)] = &[
    (
        "offsets-ordered",
        "log start <= HW <= LEO on every replica: UnifiedLog clamps the HW into [log start, LEO] \
         and the log start never passes the HW",
    ),
    (
        "one-leader-per-epoch",
        "only the controller elects, and every leader change bumps the leader epoch, so no two \
         brokers lead the same partition in the same epoch",
    ),
    (
        "leader-hw-monotonic",
        "a leader only ever raises its HW (maybeIncrementHighWatermark ignores lower values) for \
         as long as it leads in one epoch",
    ),
    (
        "committed-on-isr",
        "a record below the leader's HW is on every in-sync replica at the same offset: the HW is \
         the lowest LEO of the ISR, and a replica joins the ISR only once it reached the HW. \
         (With unclean elections allowed, only for leaders not yet deposed by a committed \
         election: an unclean election voids the old ISR, whose members may then truncate \
         below the old leader's HW.)",
    ),
    (
        "acked-all-survives-clean-election",
        "an acks=all write acknowledged with the ISR at or above min.insync.replicas is on every \
         ISR member, and clean elections only pick ISR members, so it is never lost: it is on \
         the leader the committed metadata names, once that leader has taken up that election. \
         (Not for transactional producers once transaction.partition.verification.enable was \
         off: a batch can then be taken for a retry of a late batch of an aborted transaction \
         and acknowledged without being written, as in Kafka before KIP-890.)",
    ),
    (
        "consumed-survives-clean-election",
        "a read_uncommitted consumer reads only below the leader's HW, which every ISR member has \
         reached, and clean elections only pick ISR members: a record a consumer saw is never \
         lost, whatever acks wrote it",
    ),
    (
        "idempotent-no-duplicates",
        "an idempotent producer's retried batch carries the same producer id, epoch and sequences, \
         and the leader (or a new leader, which rebuilt the producer state from the batches it \
         replicated) answers it with the original offsets instead of appending it: no record of \
         an idempotent producer is in a partition's leader log twice",
    ),
    (
        "idempotent-order",
        "an idempotent producer numbers its batches per partition and the leader appends only the \
         next sequence (OUT_OF_ORDER_SEQUENCE_NUMBER otherwise), so within one producer id and \
         epoch its records sit in a partition in the order it sent them. (Across an epoch bump \
         they need not: a new leader that never saw the producer accepts any sequence, and \
         batches renumbered after the bump can land after later ones, as in Kafka.)",
    ),
    (
        "read-committed-sees-no-aborted",
        "a read_committed consumer is served only below the LSO, so every transactional record \
         it gets already has its marker, and it skips the batches of aborted transactions the \
         broker lists: each transactional record it is given has a COMMIT marker after it",
    ),
    (
        "no-hanging-transaction",
        "with transaction.partition.verification.enable (KIP-890, on by default), a leader \
         appends a producer's first transactional batch on a partition only if the coordinator \
         counts the partition in that producer's ongoing transaction, and a marker since then \
         voids the verification; the coordinator completes a transaction only after every \
         marker is written. So a transaction open on a partition leader is one its coordinator \
         still has open with that partition (or is writing markers for): none hangs. (Under \
         clean elections; an unclean one may drop a marker.)",
    ),
    (
        "group-commit-within-hw",
        "a consumer commits the position after records it was given, and it is given only records \
         below the HW, so a group's committed offset never exceeds the highest HW its partition \
         has had (kafka-consumer-groups.sh --reset-offsets clamps to the HW as well)",
    ),
    (
        "one-owner-per-generation",
        "the leader's assignment gives each partition to one member, and a member owns only what \
         the generation it belongs to gave it (cooperative: a partition moves only once its owner \
         has revoked it): no partition is assigned twice in a group, and no two live consumers \
         that completed the group's current generation (SyncGroup answered) own the same \
         partition. A member still joining may hold partitions from an older generation, even \
         one a stale coordinator gave it; the assignor discards such claims and the member \
         revokes them when its SyncGroup answer arrives",
    ),
    (
        "one-owner-per-member-epoch",
        "a KIP-848 consumer group's coordinator gives a partition to a member only once its \
         previous owner has said in a heartbeat that it no longer owns it, or was fenced \
         (`CurrentAssignmentBuilder`: UNRELEASED_PARTITIONS until then): no partition is in two \
         members' current assignments, counting the partitions a member is still revoking, and \
         no two live consumers that are members at the member epoch their coordinator has for \
         them own the same partition. A consumer whose epoch the coordinator has moved past, or \
         that it fenced, may still believe it owns partitions until its next heartbeat answer",
    ),
];

/// State carried between steps for the invariants that compare with the past.
///
/// It is meant to see every step (the tests call it after each one). That also lets it compare
/// logs incrementally: records never change once appended and only a truncation removes them,
/// so what was found on a log stays there until that log truncates.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// What each partition's checks remember, keyed by partition so that a check after every
    /// step makes one lookup per replica and allocates nothing.
    partitions: SortedMap<TopicPartition, PartitionWatch>,
    /// How many of the client's acknowledged writes were sorted into `partitions`.
    acked_seen: usize,
    /// The same for each producer.
    producer_acked_seen: SortedMap<NodeId, usize>,
    /// How many transactional records each read_committed consumer was given were checked.
    delivered_seen: SortedMap<NodeId, usize>,
    /// How many of the client's consumer reads were sorted into `partitions`.
    consumed_seen: usize,
    /// The committed metadata image and the `(controller, high watermark)` it was built from.
    image: Option<((NodeId, i64), MetadataImage)>,
    /// Transaction verification was off at some point: a hanging transaction may stay.
    verification_was_off: bool,
}

#[derive(Clone, Debug, Default)]
struct PartitionWatch {
    /// The leader seen in each leader epoch.
    leaders: SortedMap<i32, NodeId>,
    /// The HW last seen on each `(leader, epoch)`.
    leader_hw: SortedMap<(NodeId, i32), i64>,
    /// `(leader, ISR member)`: their logs were found equal below this offset.
    verified: SortedMap<(NodeId, NodeId), i64>,
    /// Per broker: its replica's LEO and truncation count at the last check.
    log_marks: SortedMap<NodeId, (i64, usize)>,
    /// Records that must survive: `(offset, producer, producer sequence, invariant)`, from
    /// acknowledged acks=all writes and from what consumers read.
    durable: Vec<(i64, String, i64, &'static str)>,
    /// `(leader, leader epoch, truncation count)` of the replica the producer scan walks, how
    /// far it got, and per idempotent producer the last sequence seen there.
    producer_scan: Option<((NodeId, i32, usize), i64)>,
    producer_last: SortedMap<(String, i64, i16), i64>,
    /// Every `(producer, record)` of an idempotent producer seen in that walk.
    producer_seen: crate::sorted::SortedSet<(String, i64)>,
    /// How many of `durable` were found on the leader marked by `durable_leader`.
    durable_found: usize,
    /// `(leader, leader epoch, truncation count)` of the replica `durable_found` counts on.
    durable_leader: Option<(NodeId, i32, usize)>,
    /// The highest HW any leader of the partition has had.
    max_hw: i64,
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    /// Checks every invariant against the current state. `clean_only` says no unclean election
    /// was allowed in this run (so acknowledged acks=all writes must survive).
    pub fn check(&mut self, sim: &Simulation, clean_only: bool) -> Result<(), Violation> {
        self.forget_truncated_comparisons(sim);
        if !clean_only {
            refresh_committed_image(&mut self.image, sim);
        }
        for broker in sim.brokers.values() {
            for (tp, replica) in &broker.replicas {
                let log = &replica.log;
                let (start, hw, leo) = (
                    log.log_start_offset(),
                    log.high_watermark(),
                    log.log_end_offset(),
                );
                if !(start <= hw && hw <= leo) {
                    return Err(Violation {
                        invariant: "offsets-ordered",
                        detail: format!(
                            "{tp} on broker {}: log start {start}, HW {hw}, LEO {leo}",
                            broker.id
                        ),
                    });
                }
                if !broker.alive || replica.leader.is_none() {
                    continue;
                }
                let watch = watch(&mut self.partitions, tp);
                let epoch = replica.registration.leader_epoch;
                if let Some(other) = watch.leaders.insert(epoch, broker.id) {
                    if other != broker.id {
                        return Err(Violation {
                            invariant: "one-leader-per-epoch",
                            detail: format!(
                                "{tp} epoch {epoch} is led by broker {other} and broker {}",
                                broker.id
                            ),
                        });
                    }
                }
                watch.max_hw = watch.max_hw.max(hw);
                if let Some(previous) = watch.leader_hw.insert((broker.id, epoch), hw) {
                    if hw < previous {
                        return Err(Violation {
                            invariant: "leader-hw-monotonic",
                            detail: format!(
                                "{tp} on leader {} in epoch {epoch}: HW went {previous} -> {hw}",
                                broker.id
                            ),
                        });
                    }
                }
                // With unclean elections allowed, a deposed leader that has not heard of an
                // unclean election yet still counts its old ISR, which that election voided:
                // the new leader may have made those members truncate below the old HW.
                let deposed = !clean_only
                    && self.image.as_ref().is_some_and(|(_, image)| {
                        image
                            .partitions
                            .get(tp)
                            .is_some_and(|reg| reg.leader_epoch > epoch)
                    });
                let isr: &[NodeId] = if deposed {
                    &[]
                } else {
                    &replica.registration.isr
                };
                for &member in isr {
                    if member == broker.id {
                        continue;
                    }
                    let Some(follower) = sim.brokers.get(&member).and_then(|b| b.replicas.get(tp))
                    else {
                        continue;
                    };
                    // The leader's view of the ISR may lag the controller's by one change; check
                    // only members the leader has seen fetch at or past the HW.
                    let known_leo = replica
                        .leader
                        .as_ref()
                        .and_then(|l| l.followers.get(&member))
                        .map_or(-1, |f| f.log_end_offset);
                    if known_leo < hw {
                        continue;
                    }
                    let verified = watch
                        .verified
                        .get(&(broker.id, member))
                        .copied()
                        .unwrap_or(0);
                    let from = log
                        .log_start_offset()
                        .max(follower.log.log_start_offset())
                        .max(verified);
                    let mut compared_to = verified;
                    for (a, b) in log.read(from, hw).zip(follower.log.read(from, hw)) {
                        if a.offset != b.offset || a.producer_seq != b.producer_seq {
                            return Err(Violation {
                                invariant: "committed-on-isr",
                                detail: format!(
                                    "{tp}: offset {} differs between leader {} and ISR member {member}",
                                    a.offset, broker.id
                                ),
                            });
                        }
                        compared_to = a.offset + 1;
                    }
                    watch.verified.insert((broker.id, member), compared_to);
                }
            }
        }
        self.verification_was_off |= sim.brokers.values().any(|b| {
            b.alive
                && !b
                    .image
                    .broker_config_bool("transaction.partition.verification.enable")
        });
        if clean_only {
            self.check_acked(sim)?;
            self.check_no_hanging_transactions(sim)?;
        }
        self.check_idempotent_producers(sim)?;
        self.check_read_committed(sim)?;
        self.check_groups(sim)?;
        self.check_consumer_groups(sim)
    }

    /// `idempotent-no-duplicates` and `idempotent-order`: walks each partition's current
    /// leader log (from the start again whenever the leader, its epoch or its log changes)
    /// and sees each idempotent producer's records in strictly increasing send order.
    fn check_idempotent_producers(&mut self, sim: &Simulation) -> Result<(), Violation> {
        let idempotent: crate::sorted::SortedSet<&str> = sim
            .producers
            .values()
            .filter(|p| p.config.idempotent)
            .map(|p| p.name.as_str())
            .collect();
        if idempotent.is_empty() {
            return Ok(());
        }
        for broker in sim.brokers.values().filter(|b| b.alive) {
            for (tp, replica) in &broker.replicas {
                if replica.leader.is_none() || crate::metadata::is_internal_topic(&tp.topic) {
                    continue;
                }
                let mark = (
                    broker.id,
                    replica.registration.leader_epoch,
                    replica.truncated.len(),
                );
                let watch = watch(&mut self.partitions, tp);
                let from = match watch.producer_scan {
                    Some((m, upto)) if m == mark => upto,
                    _ => {
                        watch.producer_last.clear();
                        watch.producer_seen.clear();
                        replica.log.log_start_offset()
                    }
                };
                let leo = replica.log.log_end_offset();
                for r in replica.log.read(from, leo) {
                    if r.is_control() || !idempotent.contains(r.producer.as_str()) {
                        continue;
                    }
                    if !watch
                        .producer_seen
                        .insert((r.producer.clone(), r.producer_seq))
                    {
                        return Err(Violation {
                            invariant: "idempotent-no-duplicates",
                            detail: format!("{tp} on leader {}: record {} of idempotent producer {} is in the log twice (again at offset {})", broker.id, r.producer_seq, r.producer, r.offset),
                        });
                    }
                    let Some(header) = r.batch.as_deref() else {
                        continue;
                    };
                    let key = (
                        r.producer.clone(),
                        header.producer_id,
                        header.producer_epoch,
                    );
                    if let Some(&last) = watch.producer_last.get(&key) {
                        if r.producer_seq < last {
                            return Err(Violation {
                                invariant: "idempotent-order",
                                detail: format!("{tp} on leader {}: record {} of idempotent producer {} at offset {} comes after its record {}", broker.id, r.producer_seq, r.producer, r.offset, last),
                            });
                        }
                    }
                    watch.producer_last.insert(key, r.producer_seq);
                }
                watch.producer_scan = Some((mark, leo));
            }
        }
        Ok(())
    }

    /// `read-committed-sees-no-aborted`: each transactional record a read_committed consumer
    /// was given is, on some replica (every one keeps its log through a crash), followed by
    /// its producer's marker, and that marker is COMMIT.
    /// `no-hanging-transaction`: every transaction open on a partition leader is open, with
    /// that partition, at its coordinator (the live broker that loaded its
    /// `__transaction_state` partition in the highest epoch), or its markers are on the way.
    fn check_no_hanging_transactions(&mut self, sim: &Simulation) -> Result<(), Violation> {
        if self.verification_was_off {
            return Ok(());
        }
        // Each partition's current leader: the live one leading in the highest epoch (a
        // deposed leader cut off from the controller gets the marker once it follows again).
        let mut leaders: SortedMap<&TopicPartition, (i32, &crate::broker::Broker)> =
            SortedMap::new();
        for broker in sim.brokers.values().filter(|b| b.alive) {
            for (tp, replica) in &broker.replicas {
                let epoch = replica.registration.leader_epoch;
                if replica.leader.is_some() && leaders.get(tp).is_none_or(|(e, _)| epoch > *e) {
                    leaders.insert(tp, (epoch, broker));
                }
            }
        }
        let mut current = None;
        for (tp, (_, broker)) in leaders {
            let Some(replica) = broker.replicas.get(tp) else {
                continue;
            };
            for (&first, &pid) in &replica.log.producer_state().ongoing {
                let current = current.get_or_insert_with(|| current_transactions(sim));
                let Some(&(_, coordinator, meta)) = current.get(&pid) else {
                    continue;
                };
                let tid = &meta.transactional_id;
                let open_here = matches!(
                    meta.state,
                    crate::coordinator_record::TxnStatus::Ongoing
                        | crate::coordinator_record::TxnStatus::PrepareCommit
                        | crate::coordinator_record::TxnStatus::PrepareAbort
                ) && meta.partitions.contains(tp);
                if !open_here && !coordinator.txns.txn_write_pending(tid) {
                    let detail = format!(
                        "{tp} on leader {} has producer id {pid}'s transaction open from offset {first}, but coordinator {} has {tid}'s transaction {} without it",
                        broker.id,
                        coordinator.id,
                        meta.state.name()
                    );
                    return Err(Violation {
                        invariant: "no-hanging-transaction",
                        detail,
                    });
                }
            }
        }
        Ok(())
    }

    fn check_read_committed(&mut self, sim: &Simulation) -> Result<(), Violation> {
        for consumer in sim.consumers.values() {
            let seen = self.delivered_seen.entry(consumer.id).or_insert(0);
            for (tp, offset) in consumer.delivered_transactional.iter().skip(*seen) {
                let mut verdict: Option<bool> = None;
                for broker in sim.brokers.values() {
                    let Some(replica) = broker.replicas.get(tp) else {
                        continue;
                    };
                    let log = &replica.log;
                    let Some(record) = log.read(*offset, offset + 1).next() else {
                        continue;
                    };
                    let Some(pid) = record.batch.as_ref().map(|b| b.producer_id) else {
                        continue;
                    };
                    let marker = log
                        .read(offset + 1, log.log_end_offset())
                        .find(|r| {
                            r.is_control() && r.batch.as_ref().is_some_and(|b| b.producer_id == pid)
                        })
                        .and_then(|r| r.batch.as_ref().and_then(|b| b.control));
                    if let Some(kind) = marker {
                        verdict = Some(kind == crate::record::ControlType::Commit);
                        break;
                    }
                }
                match verdict {
                    Some(true) => {}
                    Some(false) => {
                        return Err(Violation {
                            invariant: "read-committed-sees-no-aborted",
                            detail: format!("read_committed consumer {} was given {tp} offset {offset}, which an ABORT marker follows", consumer.name),
                        })
                    }
                    None => {
                        return Err(Violation {
                            invariant: "read-committed-sees-no-aborted",
                            detail: format!("read_committed consumer {} was given {tp} offset {offset}, whose transaction has no marker on any replica (it was past the LSO)", consumer.name),
                        })
                    }
                }
            }
            *seen = consumer.delivered_transactional.len();
        }
        Ok(())
    }

    /// `group-commit-within-hw` and `one-owner-per-generation`, on each group as its current
    /// coordinator (the live broker that loaded its partition in the highest leader epoch)
    /// has it.
    fn check_groups(&self, sim: &Simulation) -> Result<(), Violation> {
        for (id, group) in current_groups(sim, |b| &b.groups.groups) {
            for (tp, &offset) in &group.offsets {
                let max_hw = self.partitions.get(tp).map_or(0, |w| w.max_hw);
                if offset > max_hw {
                    return Err(Violation {
                        invariant: "group-commit-within-hw",
                        detail: format!(
                            "group {id} committed {offset} on {tp}, whose HW never passed {max_hw}"
                        ),
                    });
                }
            }
            let mut assigned: SortedMap<&TopicPartition, &str> = SortedMap::new();
            for m in &group.members {
                for tp in &m.assignment {
                    if let Some(other) = assigned.insert(tp, &m.member_id) {
                        return Err(Violation {
                            invariant: "one-owner-per-generation",
                            detail: format!(
                                "group {id} generation {} assigns {tp} to {other} and to {}",
                                group.generation, m.member_id
                            ),
                        });
                    }
                }
            }
            let mut owned: SortedMap<&TopicPartition, &str> = SortedMap::new();
            for c in sim.consumers.values().filter(|c| {
                c.alive
                    && c.group.as_deref() == Some(id)
                    && c.generation == group.generation
                    && c.phase == crate::consumer::Phase::Stable
                    && group.member(&c.member_id).is_some()
            }) {
                for tp in &c.owned {
                    if let Some(other) = owned.insert(tp, &c.name) {
                        return Err(Violation {
                            invariant: "one-owner-per-generation",
                            detail: format!(
                                "consumers {other} and {} of group {id} both own {tp} in generation {}",
                                c.name, group.generation
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// `one-owner-per-member-epoch`, on each KIP-848 consumer group as its current coordinator
    /// has it.
    fn check_consumer_groups(&self, sim: &Simulation) -> Result<(), Violation> {
        for (id, group) in current_groups(sim, |b| &b.groups.consumer_groups) {
            let mut owner: SortedMap<&TopicPartition, &str> = SortedMap::new();
            for m in &group.members {
                let held = m
                    .current
                    .assigned
                    .iter()
                    .chain(&m.current.pending_revocation);
                for tp in held {
                    if let Some(other) = owner.insert(tp, &m.member_id) {
                        return Err(Violation {
                            invariant: "one-owner-per-member-epoch",
                            detail: format!(
                                "consumer group {id} (epoch {}) has {tp} in the current assignments of members {other} and {}",
                                group.epoch, m.member_id
                            ),
                        });
                    }
                }
            }
            let mut owned: SortedMap<&TopicPartition, &str> = SortedMap::new();
            for c in sim.consumers.values().filter(|c| {
                c.alive
                    && c.consumer_protocol()
                    && c.group.as_deref() == Some(id)
                    && group
                        .member(&c.member_id)
                        .is_some_and(|m| m.current.member_epoch == c.generation)
            }) {
                for tp in &c.owned {
                    if let Some(other) = owned.insert(tp, &c.name) {
                        return Err(Violation {
                            invariant: "one-owner-per-member-epoch",
                            detail: format!(
                                "consumers {other} and {} of consumer group {id} both own {tp} at the member epochs their coordinator has for them",
                                c.name
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Forgets what was found on logs that lost records (their LEO went down or they
    /// truncated) since the last check.
    fn forget_truncated_comparisons(&mut self, sim: &Simulation) {
        for broker in sim.brokers.values() {
            for (tp, replica) in &broker.replicas {
                let mark = (replica.log.log_end_offset(), replica.truncated.len());
                let watch = watch(&mut self.partitions, tp);
                let lost_records = watch
                    .log_marks
                    .insert(broker.id, mark)
                    .is_some_and(|(leo, truncations)| mark.0 < leo || mark.1 != truncations);
                if lost_records {
                    watch
                        .verified
                        .retain(|&(leader, member), _| leader != broker.id && member != broker.id);
                }
            }
        }
    }

    /// `acked-all-survives-clean-election` and `consumed-survives-clean-election`: every record
    /// of an acknowledged acks=all write, and every record a consumer read, is on the leader the
    /// committed metadata names, once that leader has taken up its election. A record found
    /// there stays found until the leader changes or its log truncates.
    fn check_acked(&mut self, sim: &Simulation) -> Result<(), Violation> {
        let mut writes: Vec<&crate::client::AckedWrite> =
            sim.client.acked.iter().skip(self.acked_seen).collect();
        self.acked_seen = sim.client.acked.len();
        for p in sim.producers.values() {
            let seen = self.producer_acked_seen.entry(p.id).or_insert(0);
            // Without transaction verification, a transactional batch can be taken for a retry
            // of a late batch of an aborted transaction and acknowledged unwritten
            // (txn-hanging-without-verification): that is Kafka's behaviour, not a bug here.
            if !(self.verification_was_off && p.transactional()) {
                writes.extend(p.acked.iter().skip(*seen));
            }
            *seen = p.acked.len();
        }
        for write in writes {
            if write.acks == Acks::All {
                let durable = &mut watch(&mut self.partitions, &write.partition).durable;
                for (i, &seq) in write.producer_seqs.iter().enumerate() {
                    let offset = write.base_offset + i as i64;
                    durable.push((
                        offset,
                        write.producer.clone(),
                        seq,
                        "acked-all-survives-clean-election",
                    ));
                }
            }
        }
        let consumed = &sim.client.consumed;
        for (tp, records) in consumed.iter().skip(self.consumed_seen) {
            let durable = &mut watch(&mut self.partitions, tp).durable;
            for r in records {
                durable.push((
                    r.offset,
                    r.producer.clone(),
                    r.producer_seq,
                    "consumed-survives-clean-election",
                ));
            }
        }
        self.consumed_seen = consumed.len();
        if !self.partitions.values().any(|w| !w.durable.is_empty()) {
            return Ok(());
        }
        refresh_committed_image(&mut self.image, sim);
        let Some((_, image)) = &self.image else {
            return Ok(());
        };
        for (tp, watch) in self.partitions.iter_mut() {
            if watch.durable.is_empty() {
                continue;
            }
            let leader_replica = image.partitions.get(tp).and_then(|reg| {
                let leader = reg.leader?;
                let replica = sim.brokers.get(&leader)?.replicas.get(tp)?;
                // Until the new leader has applied this very election there is nothing to
                // check (a broker restarting may lead an older epoch from its stale metadata).
                (replica.leader.is_some() && replica.registration.leader_epoch == reg.leader_epoch)
                    .then_some((leader, replica))
            });
            let Some((leader, replica)) = leader_replica else {
                watch.durable_leader = None;
                continue;
            };
            let mark = (
                leader,
                replica.registration.leader_epoch,
                replica.truncated.len(),
            );
            if watch.durable_leader != Some(mark) {
                watch.durable_leader = Some(mark);
                watch.durable_found = 0;
            }
            for (offset, producer, seq, invariant) in &watch.durable[watch.durable_found..] {
                let (offset, seq, invariant) = (*offset, *seq, *invariant);
                if offset < replica.log.log_start_offset() {
                    continue;
                }
                let found = replica.log.read(offset, offset + 1).next();
                if found.map(|r| (r.producer.as_str(), r.producer_seq)) != Some((producer, seq)) {
                    let what = if invariant == "acked-all-survives-clean-election" {
                        "acknowledged"
                    } else {
                        "consumed"
                    };
                    return Err(Violation {
                        invariant,
                        detail: format!(
                            "{tp}: {what} record seq {seq} at offset {offset} is missing on leader {leader}"
                        ),
                    });
                }
            }
            watch.durable_found = watch.durable.len();
        }
        Ok(())
    }
}

/// Each producer id's transaction as its current coordinator has it: the live broker that
/// loaded the transactional id's `__transaction_state` partition in the highest epoch.
fn current_transactions(
    sim: &Simulation,
) -> SortedMap<
    i64,
    (
        i32,
        &crate::broker::Broker,
        &crate::coordinator_record::TxnMetadata,
    ),
> {
    let mut current: SortedMap<
        i64,
        (
            i32,
            &crate::broker::Broker,
            &crate::coordinator_record::TxnMetadata,
        ),
    > = SortedMap::new();
    for coordinator in sim.brokers.values().filter(|b| b.alive) {
        let partitions = coordinator.txn_partitions();
        for meta in coordinator.txns.txns.values() {
            let p = crate::coordinator::txn::txn_partition(&meta.transactional_id, partitions);
            let Some(&epoch) = coordinator.txns.loaded.get(&p) else {
                continue;
            };
            if current
                .get(&meta.producer_id)
                .is_none_or(|(e, _, _)| epoch > *e)
            {
                current.insert(meta.producer_id, (epoch, coordinator, meta));
            }
        }
    }
    current
}

/// The committed metadata as far as it was ever known: the committed prefix of the controller
/// with the highest Raft high watermark seen so far (committed records never change, and every
/// controller's committed prefix is a prefix of the same log). Not [`Simulation::metadata`],
/// which prefers the active controller: a newly elected one may not know yet how far its log
/// is committed, and when the leader crashes (forgetting its high watermark) the followers
/// know it one fetch late; an older image can name a leader that was already replaced. Rebuilt
/// only when that point moves forward.
fn refresh_committed_image(cache: &mut Option<((NodeId, i64), MetadataImage)>, sim: &Simulation) {
    let Some(source) = sim
        .controllers
        .values()
        .max_by_key(|c| (c.raft.high_watermark(), c.id))
    else {
        return;
    };
    let hw = source.raft.high_watermark();
    if cache.as_ref().is_none_or(|((_, known), _)| hw > *known) {
        let mut image = MetadataImage::default();
        for entry in source.raft.committed() {
            if let crate::raft::RaftRecord::Data(record) = &*entry.record {
                image.apply(record);
            }
        }
        *cache = Some(((source.id, hw), image));
    }
}

/// The watch of `tp`, made on first use (cloning the partition name once).
fn watch<'a>(
    partitions: &'a mut SortedMap<TopicPartition, PartitionWatch>,
    tp: &TopicPartition,
) -> &'a mut PartitionWatch {
    if !partitions.contains_key(tp) {
        partitions.insert(tp.clone(), PartitionWatch::default());
    }
    partitions.get_mut(tp).expect("inserted above")
}

/// Each group as its current coordinator has it: the live broker that loaded the group's
/// `__consumer_offsets` partition in the highest leader epoch.
fn current_groups<'a, G>(
    sim: &'a Simulation,
    groups: impl Fn(&'a crate::broker::Broker) -> &'a SortedMap<String, G>,
) -> SortedMap<&'a str, &'a G> {
    use crate::coordinator::group::offsets_partition;
    let mut current: SortedMap<&str, (i32, &G)> = SortedMap::new();
    for broker in sim.brokers.values().filter(|b| b.alive) {
        let partitions = broker.offsets_partitions();
        for (id, group) in groups(broker) {
            let Some(&epoch) = broker.groups.loaded.get(&offsets_partition(id, partitions)) else {
                continue;
            };
            if current.get(id.as_str()).is_none_or(|(e, _)| epoch > *e) {
                current.insert(id, (epoch, group));
            }
        }
    }
    current.into_iter().map(|(id, (_, g))| (id, g)).collect()
}
