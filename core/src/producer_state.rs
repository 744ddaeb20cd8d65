//! What a partition log knows about the producers that write to it: the idempotence cache,
//! the open transactions, the last stable offset (LSO) and the aborted-transaction index.
//!
//! This follows Kafka's `storage/.../log/ProducerStateManager.java`, `ProducerStateEntry.java`
//! and `ProducerAppendInfo.java`:
//! - per producer id, the epoch and the metadata of the **last 5 batches**
//!   (`NUM_BATCHES_TO_RETAIN`): a batch that repeats one of them exactly (same epoch, same
//!   first and last sequence) is a duplicate, answered with the original offsets;
//! - a batch from an older epoch is `INVALID_PRODUCER_EPOCH`; the first batch of a bumped
//!   epoch must start at sequence 0; within an epoch, `firstSeq` must be `lastSeq + 1` of the
//!   previous batch (with wrap-around), otherwise `OUT_OF_ORDER_SEQUENCE_NUMBER`; a producer the
//!   partition has no state for may start at any sequence;
//! - a transactional batch opens a transaction at its first offset; a control batch (a COMMIT
//!   or ABORT marker) closes it; an aborted one is appended to the aborted-transaction index
//!   (`.txnindex`, `AbortedTxn(pid, firstOffset, lastOffset, lastStableOffset)`);
//! - `firstUnstableOffset` is the first offset of the earliest open transaction, or of the
//!   earliest completed one whose marker the high watermark has not passed yet;
//!   `LSO = min(firstUnstableOffset, HW)`.
//!
//! Followers build the same state from the batches they replicate, so a new leader
//! recognises duplicates and knows the open transactions; truncation rebuilds it from the log
//! (`UnifiedLog.loadProducerState`).

use crate::sorted::SortedMap;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::error::KafkaError;
use crate::record::{BatchHeader, ControlType, Record, NO_PRODUCER_ID};

/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

/// `BatchMetadata`: a batch a producer wrote, as the partition remembers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: i64,
    pub last_offset: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerStateEntry {
    pub epoch: i16,
    pub batches: VecDeque<BatchMetadata>,
    /// The first offset of this producer's open transaction on the partition.
    pub current_txn_first_offset: Option<i64>,
    pub coordinator_epoch: i32,
}

/// A completed transaction whose marker may still be above the HW.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    /// The marker's offset.
    pub last_offset: i64,
    pub aborted: bool,
}

/// An entry of the aborted-transaction index (`AbortedTxn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    /// The ABORT marker's offset.
    pub last_offset: i64,
    /// The LSO when the marker was written.
    pub last_stable_offset: i64,
}

/// How the leader treats an incoming batch (`ProducerAppendInfo` checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppendCheck {
    /// Append it.
    Append,
    /// Already in the log at these offsets: answer success with them, append nothing.
    Duplicate { first_offset: i64, last_offset: i64 },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerStateManager {
    pub producers: SortedMap<i64, ProducerStateEntry>,
    /// Open transactions by first offset.
    pub ongoing: SortedMap<i64, i64>,
    /// Completed transactions whose marker the HW may not have passed yet, in offset order.
    pub unreplicated: Vec<CompletedTxn>,
    /// The aborted-transaction index.
    pub aborted: Vec<AbortedTxn>,
    /// Verification guards (`VerificationStateEntry`, KIP-890): per producer id, the guard a
    /// leader created when it asked the coordinator about the producer's first transactional
    /// batch here. Any transactional append of that producer (data or marker) clears it, so
    /// a verification that started before a marker cannot let a batch in after it.
    #[serde(default)]
    pub verification: SortedMap<i64, u64>,
}

impl ProducerStateManager {
    /// The checks a leader makes before appending a producer's batch (client origin).
    pub fn check(&self, header: &BatchHeader) -> Result<AppendCheck, KafkaError> {
        if header.producer_id == NO_PRODUCER_ID {
            return Ok(AppendCheck::Append);
        }
        let Some(entry) = self.producers.get(&header.producer_id) else {
            // No state for this producer (new, or expired): any sequence is accepted.
            return Ok(AppendCheck::Append);
        };
        if header.producer_epoch == entry.epoch {
            if let Some(b) = entry
                .batches
                .iter()
                .find(|b| b.first_seq == header.base_sequence && b.last_seq == header.last_sequence)
            {
                return Ok(AppendCheck::Duplicate {
                    first_offset: b.first_offset,
                    last_offset: b.last_offset,
                });
            }
        }
        if header.producer_epoch < entry.epoch {
            return Err(KafkaError::INVALID_PRODUCER_EPOCH);
        }
        if !header.transactional && entry.current_txn_first_offset.is_some() {
            return Err(KafkaError::INVALID_TXN_STATE);
        }
        if header.base_sequence < 0 {
            return Ok(AppendCheck::Append);
        }
        if header.producer_epoch > entry.epoch {
            if header.base_sequence != 0 {
                return Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER);
            }
        } else if let Some(last) = entry.batches.back() {
            let expected = if last.last_seq == i32::MAX {
                0
            } else {
                last.last_seq + 1
            };
            if header.base_sequence != expected {
                return Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER);
            }
        }
        Ok(AppendCheck::Append)
    }

    /// Whether `producer_id` has a transaction open on this partition.
    pub fn has_ongoing(&self, producer_id: i64) -> bool {
        self.producers
            .get(&producer_id)
            .is_some_and(|e| e.current_txn_first_offset.is_some())
    }

    /// The verification guard waiting for `producer_id`'s first transactional batch.
    pub fn verification_guard(&self, producer_id: i64) -> Option<u64> {
        self.verification.get(&producer_id).copied()
    }

    /// The sequence the partition expects next from `producer_id`, for explanations.
    pub fn expected_sequence(&self, producer_id: i64) -> Option<i32> {
        let last = self.producers.get(&producer_id)?.batches.back()?;
        Some(if last.last_seq == i32::MAX {
            0
        } else {
            last.last_seq + 1
        })
    }

    /// Updates the state with one appended record (leader or follower).
    pub fn on_append(&mut self, record: &Record, high_watermark: i64) {
        let Some(header) = record.batch.as_deref() else {
            return;
        };
        if header.producer_id == NO_PRODUCER_ID {
            return;
        }
        let pid = header.producer_id;
        if header.transactional {
            // `UnifiedLog.updateProducers`: the transaction is either complete (a marker) or
            // has its first offset (data), so the guard has served.
            self.verification.remove(&pid);
        }
        let lso = self.last_stable_offset(high_watermark);
        let entry = self
            .producers
            .entry(pid)
            .or_insert_with(|| ProducerStateEntry {
                epoch: header.producer_epoch,
                batches: VecDeque::new(),
                current_txn_first_offset: None,
                coordinator_epoch: -1,
            });
        if header.producer_epoch > entry.epoch {
            entry.epoch = header.producer_epoch;
            entry.batches.clear();
        }
        match header.control {
            Some(marker) => {
                entry.coordinator_epoch = header.coordinator_epoch;
                if let Some(first) = entry.current_txn_first_offset.take() {
                    self.ongoing.remove(&first);
                    let aborted = marker == ControlType::Abort;
                    self.unreplicated.push(CompletedTxn {
                        producer_id: pid,
                        first_offset: first,
                        last_offset: record.offset,
                        aborted,
                    });
                    if aborted {
                        self.aborted.push(AbortedTxn {
                            producer_id: pid,
                            first_offset: first,
                            last_offset: record.offset,
                            last_stable_offset: lso,
                        });
                    }
                }
            }
            None => {
                if header.base_sequence >= 0 {
                    match entry.batches.back_mut() {
                        Some(b)
                            if b.first_seq == header.base_sequence
                                && b.last_seq == header.last_sequence
                                && b.last_offset + 1 == record.offset =>
                        {
                            b.last_offset = record.offset
                        }
                        _ => {
                            entry.batches.push_back(BatchMetadata {
                                first_seq: header.base_sequence,
                                last_seq: header.last_sequence,
                                first_offset: record.offset,
                                last_offset: record.offset,
                            });
                            while entry.batches.len() > NUM_BATCHES_TO_RETAIN {
                                entry.batches.pop_front();
                            }
                        }
                    }
                }
                if header.transactional && entry.current_txn_first_offset.is_none() {
                    entry.current_txn_first_offset = Some(record.offset);
                    self.ongoing.insert(record.offset, pid);
                }
            }
        }
    }

    /// Forgets completed transactions whose marker the HW has passed.
    pub fn on_high_watermark(&mut self, high_watermark: i64) {
        self.unreplicated
            .retain(|t| t.last_offset >= high_watermark);
    }

    /// `firstUnstableOffset`, if any transaction makes part of the log unstable.
    pub fn first_unstable_offset(&self) -> Option<i64> {
        let ongoing = self.ongoing.keys().next().copied();
        let unreplicated = self.unreplicated.iter().map(|t| t.first_offset).min();
        match (ongoing, unreplicated) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The last stable offset: `min(firstUnstableOffset, HW)`.
    pub fn last_stable_offset(&self, high_watermark: i64) -> i64 {
        self.first_unstable_offset()
            .map_or(high_watermark, |f| f.min(high_watermark))
    }

    /// The aborted transactions overlapping `[from, to)` (`collectAbortedTransactions`).
    pub fn aborted_between(&self, from: i64, to: i64) -> Vec<AbortedTxn> {
        self.aborted
            .iter()
            .filter(|t| t.last_offset >= from && t.first_offset < to)
            .copied()
            .collect()
    }

    /// Rebuilds the whole state from the records (after truncation).
    pub fn rebuild<'a>(
        records: impl IntoIterator<Item = &'a Record>,
        high_watermark: i64,
    ) -> ProducerStateManager {
        let mut state = ProducerStateManager::default();
        for record in records {
            state.on_append(record, high_watermark);
        }
        state.on_high_watermark(high_watermark);
        state
    }
}

/// Whether a record is in an aborted transaction, by the log's aborted index.
pub fn is_aborted(aborted: &[AbortedTxn], record: &Record) -> bool {
    let Some(h) = record.batch.as_deref() else {
        return false;
    };
    h.transactional
        && h.control.is_none()
        && aborted.iter().any(|t| {
            t.producer_id == h.producer_id
                && t.first_offset <= record.offset
                && record.offset < t.last_offset
        })
}

/// The consumer's filter for `read_committed` (`CompletedFetch`): drops control records and
/// the data of aborted transactions, given the aborted transactions the broker attached.
pub fn committed_only(records: &[Record], aborted: &[AbortedTxn]) -> Vec<Record> {
    let mut pending: Vec<AbortedTxn> = aborted.to_vec();
    crate::sort::sort_by_key(&mut pending, |t| t.first_offset);
    let mut pending: VecDeque<AbortedTxn> = pending.into();
    let mut aborted_pids = crate::sorted::SortedSet::new();
    let mut out = Vec::new();
    for record in records {
        let Some(h) = record.batch.as_deref() else {
            out.push(record.clone());
            continue;
        };
        while pending
            .front()
            .is_some_and(|t| t.first_offset <= record.offset)
        {
            if let Some(t) = pending.pop_front() {
                aborted_pids.insert(t.producer_id);
            }
        }
        match h.control {
            Some(ControlType::Abort) => {
                aborted_pids.remove(&h.producer_id);
            }
            Some(ControlType::Commit) => {}
            None if h.transactional && aborted_pids.contains(&h.producer_id) => {}
            None => out.push(record.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(offset: i64, pid: i64, epoch: i16, first: i32, last: i32, txn: bool) -> Record {
        Record {
            offset,
            leader_epoch: 0,
            producer: "p".into(),
            producer_seq: offset,
            key: None,
            value: None,
            timestamp_ms: 0,
            coordinator: None,
            batch: Some(std::sync::Arc::new(BatchHeader {
                producer_id: pid,
                producer_epoch: epoch,
                base_sequence: first,
                last_sequence: last,
                transactional: txn,
                control: None,
                coordinator_epoch: -1,
            })),
        }
    }

    fn marker(offset: i64, pid: i64, epoch: i16, kind: ControlType) -> Record {
        let mut r = rec(offset, pid, epoch, -1, -1, true);
        if let Some(h) = r.batch.as_mut() {
            std::sync::Arc::make_mut(h).control = Some(kind);
        }
        r
    }

    fn header(pid: i64, epoch: i16, first: i32, last: i32) -> BatchHeader {
        rec(0, pid, epoch, first, last, false)
            .batch
            .map(|h| (*h).clone())
            .expect("header")
    }

    #[test]
    fn duplicates_epochs_and_sequences_follow_producer_append_info() {
        let mut s = ProducerStateManager::default();
        // Producer 7 writes batches [0,1] at offsets 0-1 and [2,2] at offset 2.
        s.on_append(&rec(0, 7, 0, 0, 1, false), 0);
        s.on_append(&rec(1, 7, 0, 0, 1, false), 0);
        s.on_append(&rec(2, 7, 0, 2, 2, false), 0);
        assert_eq!(
            s.check(&header(7, 0, 0, 1)),
            Ok(AppendCheck::Duplicate {
                first_offset: 0,
                last_offset: 1
            })
        );
        assert_eq!(s.check(&header(7, 0, 3, 4)), Ok(AppendCheck::Append));
        assert_eq!(
            s.check(&header(7, 0, 5, 5)),
            Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER)
        );
        assert_eq!(
            s.check(&header(7, 1, 3, 3)),
            Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER),
            "a bumped epoch starts at sequence 0"
        );
        assert_eq!(s.check(&header(7, 1, 0, 0)), Ok(AppendCheck::Append));
        s.on_append(&rec(3, 7, 1, 0, 0, false), 0);
        assert_eq!(
            s.check(&header(7, 0, 3, 3)),
            Err(KafkaError::INVALID_PRODUCER_EPOCH)
        );
        // An unknown producer may start anywhere.
        assert_eq!(s.check(&header(9, 0, 42, 42)), Ok(AppendCheck::Append));
    }

    #[test]
    fn only_the_last_five_batches_are_recognised() {
        let mut s = ProducerStateManager::default();
        for i in 0..6 {
            s.on_append(&rec(i, 1, 0, i as i32, i as i32, false), 0);
        }
        assert_eq!(
            s.check(&header(1, 0, 0, 0)),
            Err(KafkaError::OUT_OF_ORDER_SEQUENCE_NUMBER),
            "batch 0 fell out of the cache"
        );
        assert!(matches!(
            s.check(&header(1, 0, 1, 1)),
            Ok(AppendCheck::Duplicate { .. })
        ));
    }

    #[test]
    fn lso_and_the_aborted_index_follow_markers_and_the_high_watermark() {
        let mut s = ProducerStateManager::default();
        s.on_append(&rec(0, 1, 0, 0, 0, false), 0);
        s.on_append(&rec(1, 2, 0, 0, 1, true), 0);
        s.on_append(&rec(2, 2, 0, 0, 1, true), 0);
        s.on_append(&rec(3, 3, 0, 0, 0, true), 0);
        assert_eq!(s.last_stable_offset(4), 1, "txn of producer 2 is open");
        assert_eq!(
            s.check(&header(2, 0, 2, 2)).map(|_| ()),
            Err(KafkaError::INVALID_TXN_STATE),
            "a non-transactional batch from a producer with an open transaction"
        );
        s.on_append(&marker(4, 2, 0, ControlType::Abort), 4);
        assert_eq!(
            s.last_stable_offset(4),
            1,
            "the marker is not replicated yet"
        );
        s.on_high_watermark(5);
        assert_eq!(s.last_stable_offset(5), 3, "producer 3's txn is still open");
        s.on_append(&marker(5, 3, 0, ControlType::Commit), 5);
        s.on_high_watermark(6);
        assert_eq!(s.last_stable_offset(6), 6);
        assert_eq!(s.aborted.len(), 1);
        assert_eq!(s.aborted[0].first_offset, 1);
        assert_eq!(s.aborted[0].last_offset, 4);
        let records = vec![
            rec(0, 1, 0, 0, 0, false),
            rec(1, 2, 0, 0, 1, true),
            rec(2, 2, 0, 0, 1, true),
            rec(3, 3, 0, 0, 0, true),
            marker(4, 2, 0, ControlType::Abort),
            marker(5, 3, 0, ControlType::Commit),
        ];
        let visible: Vec<i64> = committed_only(&records, &s.aborted_between(0, 6))
            .iter()
            .map(|r| r.offset)
            .collect();
        assert_eq!(visible, vec![0, 3]);
        assert!(is_aborted(&s.aborted, &records[1]));
        assert!(!is_aborted(&s.aborted, &records[3]));
        assert_eq!(ProducerStateManager::rebuild(&records, 6), s);
    }
}
