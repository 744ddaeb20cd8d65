//! Named invariants, checked after every step in tests and in the randomized fault-schedule
//! test. Each says why it holds in Kafka; a violation is a bug in the simulation.

use std::collections::BTreeMap;

use crate::client::AckedWrite;
use crate::command::{Acks, NodeId, TopicPartition};
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
         the lowest LEO of the ISR, and a replica joins the ISR only once it reached the HW",
    ),
    (
        "acked-all-survives-clean-election",
        "an acks=all write acknowledged with the ISR at or above min.insync.replicas is on every \
         ISR member, and clean elections only pick ISR members, so it is never lost",
    ),
];

/// State carried between steps for the invariants that compare with the past.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    leaders: BTreeMap<(TopicPartition, i32), NodeId>,
    leader_hw: BTreeMap<(TopicPartition, NodeId, i32), i64>,
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    /// Checks every invariant against the current state. `clean_only` says no unclean election
    /// was allowed in this run (so acknowledged acks=all writes must survive).
    pub fn check(&mut self, sim: &Simulation, clean_only: bool) -> Result<(), Violation> {
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
                let epoch = replica.registration.leader_epoch;
                let key = (tp.clone(), epoch);
                match self.leaders.get(&key) {
                    Some(&other) if other != broker.id => {
                        return Err(Violation {
                            invariant: "one-leader-per-epoch",
                            detail: format!(
                                "{tp} epoch {epoch} is led by broker {other} and broker {}",
                                broker.id
                            ),
                        })
                    }
                    _ => {
                        self.leaders.insert(key, broker.id);
                    }
                }
                let hw_key = (tp.clone(), broker.id, epoch);
                if let Some(&previous) = self.leader_hw.get(&hw_key) {
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
                self.leader_hw.insert(hw_key, hw);
                for &member in &replica.registration.isr {
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
                    let from = log.log_start_offset().max(follower.log.log_start_offset());
                    for (a, b) in log.read(from, hw).iter().zip(follower.log.read(from, hw)) {
                        if a.offset != b.offset || a.producer_seq != b.producer_seq {
                            return Err(Violation {
                                invariant: "committed-on-isr",
                                detail: format!(
                                    "{tp}: offset {} differs between leader {} and ISR member {member}",
                                    a.offset, broker.id
                                ),
                            });
                        }
                    }
                }
            }
        }
        if clean_only {
            self.check_acked(sim, &sim.client.acked)?;
        }
        Ok(())
    }

    fn check_acked(&self, sim: &Simulation, acked: &[AckedWrite]) -> Result<(), Violation> {
        for write in acked.iter().filter(|w| w.acks == Acks::All) {
            let tp = &write.partition;
            let image = sim.metadata();
            let Some(reg) = image.partitions.get(tp) else {
                continue;
            };
            let Some(leader) = reg.leader else {
                continue;
            };
            let Some(replica) = sim.brokers.get(&leader).and_then(|b| b.replicas.get(tp)) else {
                continue;
            };
            if replica.leader.is_none() {
                // The new leader has not applied its election yet.
                continue;
            }
            for (i, seq) in write.producer_seqs.iter().enumerate() {
                let offset = write.base_offset + i as i64;
                if offset < replica.log.log_start_offset() {
                    continue;
                }
                let found = replica.log.read(offset, offset + 1).first();
                if found.map(|r| r.producer_seq) != Some(*seq) {
                    return Err(Violation {
                        invariant: "acked-all-survives-clean-election",
                        detail: format!(
                            "{tp}: acknowledged record seq {seq} at offset {offset} is missing on leader {leader}"
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}
