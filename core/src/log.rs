//! One replica's copy of a partition log: records with offsets, the leader-epoch cache, the log
//! start offset, the high watermark and the log end offset.
//!
//! This follows `UnifiedLog.scala` and `LeaderEpochFileCache.java` in Kafka:
//! - `log_start_offset <= high_watermark <= log_end_offset` always holds
//!   (`UnifiedLog.maybeUpdateHighWatermark` clamps into that range);
//! - the epoch cache holds `(leader epoch, start offset)` entries; the end offset of an epoch is
//!   the start offset of the next larger epoch, or the LEO for the latest one
//!   (`LeaderEpochFileCache.endOffsetFor`), which is what follower truncation (KIP-101/279) asks.
//!
//! Records are kept in a [`ChunkedVec`]: the timeline snapshots the whole cluster every few
//! dozen steps, and a snapshot shares every sealed chunk of every log; an append after a
//! snapshot copies at most one short tail chunk, so a snapshot costs O(logs that changed), not
//! O(records).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunked::ChunkedVec;
use crate::producer_state::ProducerStateManager;
use crate::record::Record;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionLog {
    records: ChunkedVec<Record>,
    log_start_offset: i64,
    high_watermark: i64,
    /// `(epoch, start offset)`, strictly increasing in both.
    epochs: Vec<(i32, i64)>,
    /// Producer ids, open transactions and the aborted index (shared like the records).
    #[serde(default)]
    producers: Arc<ProducerStateManager>,
}

impl PartitionLog {
    pub fn new() -> PartitionLog {
        PartitionLog::default()
    }

    /// The offset the next appended record gets.
    pub fn log_end_offset(&self) -> i64 {
        self.records
            .last()
            .map_or(self.log_start_offset, |r| r.offset + 1)
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    pub fn producer_state(&self) -> &ProducerStateManager {
        &self.producers
    }

    /// `maybeCreateVerificationGuard`: the guard waiting for `producer_id`'s first
    /// transactional batch, `guard` if there was none.
    pub fn start_verification(&mut self, producer_id: i64, guard: u64) -> u64 {
        *Arc::make_mut(&mut self.producers)
            .verification
            .entry(producer_id)
            .or_insert(guard)
    }

    /// The last stable offset: below it no transaction is open or unreplicated.
    pub fn last_stable_offset(&self) -> i64 {
        self.producers.last_stable_offset(self.high_watermark)
    }

    fn track_producers(&mut self, from_index: usize) {
        let hw = self.high_watermark;
        let appended = from_index..self.records.len();
        if self
            .records
            .range(appended.clone())
            .all(|r| r.batch.is_none())
        {
            return;
        }
        let producers = Arc::make_mut(&mut self.producers);
        for record in self.records.range(appended) {
            producers.on_append(record, hw);
        }
    }

    pub fn records(&self) -> &ChunkedVec<Record> {
        &self.records
    }

    /// The records in `[from, to)`, clamped to what the log holds.
    pub fn read(&self, from: i64, to: i64) -> crate::chunked::Iter<'_, Record> {
        let lo = self.index_of(from);
        let hi = self.index_of(to).max(lo);
        self.records.range(lo..hi)
    }

    fn index_of(&self, offset: i64) -> usize {
        // Offsets are dense from the first record, so the index is a subtraction.
        let first = self
            .records
            .first()
            .map_or(self.log_start_offset, |r| r.offset);
        (offset - first).clamp(0, self.records.len() as i64) as usize
    }

    /// The latest leader epoch in the cache, or -1 for an empty cache.
    pub fn latest_epoch(&self) -> i32 {
        self.epochs.last().map_or(-1, |&(e, _)| e)
    }

    pub fn epoch_entries(&self) -> &[(i32, i64)] {
        &self.epochs
    }

    /// `LeaderEpochFileCache.endOffsetFor(requestedEpoch)`: the largest epoch `<=` the requested
    /// one and its end offset; `(-1, -1)` for epoch -1 or an empty cache. For an epoch older
    /// than every known one it answers, as Kafka does, the requested epoch and the start offset
    /// of the first known epoch: what came before is not in this log, so a follower truncates
    /// there and replicates from it.
    pub fn end_offset_for_epoch(&self, requested: i32) -> (i32, i64) {
        if requested < 0 {
            return (-1, -1);
        }
        let Some(pos) = self.epochs.iter().rposition(|&(e, _)| e <= requested) else {
            return self
                .epochs
                .first()
                .map_or((-1, -1), |&(_, start)| (requested, start));
        };
        let epoch = self.epochs[pos].0;
        let end = self
            .epochs
            .get(pos + 1)
            .map_or(self.log_end_offset(), |&(_, start)| start);
        (epoch, end)
    }

    /// The epoch of the record just below `offset` (-1 when there is none). A follower sends
    /// the latest cached epoch as `lastFetchedEpoch` instead, see [`PartitionLog::latest_epoch`].
    pub fn epoch_before(&self, offset: i64) -> i32 {
        self.epochs
            .iter()
            .rev()
            .find(|&&(_, start)| start < offset)
            .map_or(-1, |&(e, _)| e)
    }

    /// Records a new leader epoch starting at `start_offset` (`makeLeader` at the LEO, or a
    /// follower appending the first record of an epoch), as `LeaderEpochFileCache.assign` does:
    /// an entry that is not the latest one continued (another epoch, or an earlier start)
    /// first removes every entry from the end that it contradicts, one with an epoch or a
    /// start offset at or past its own (`maybeTruncateNonMonotonicEntries`). That keeps the
    /// cache strictly increasing in both, even when a broker that became leader without
    /// appending anything (its entry starts at its LEO) then fetches older-epoch records to
    /// that offset as a follower.
    pub fn assign_epoch_start(&mut self, epoch: i32, start_offset: i64) {
        let update_needed = self
            .epochs
            .last()
            .is_none_or(|&(e, start)| epoch != e || start_offset < start);
        if !update_needed {
            return;
        }
        while self
            .epochs
            .last()
            .is_some_and(|&(e, start)| e >= epoch || start >= start_offset)
        {
            self.epochs.pop();
        }
        self.epochs.push((epoch, start_offset));
    }

    /// Appends records as leader, giving them consecutive offsets in `epoch`.
    pub fn append_as_leader(&mut self, epoch: i32, mut records: Vec<Record>) -> (i64, i64) {
        self.assign_epoch_start(epoch, self.log_end_offset());
        let first = self.log_end_offset();
        for (i, record) in records.iter_mut().enumerate() {
            record.offset = first + i as i64;
            record.leader_epoch = epoch;
        }
        let last = first + records.len() as i64 - 1;
        let from = self.records.len();
        self.records.extend(records);
        self.track_producers(from);
        (first, last)
    }

    /// Appends records fetched from the leader, which already carry their offsets and epochs.
    /// Records at or below the current LEO are skipped (a duplicate fetch response).
    pub fn append_as_follower(&mut self, records: &[Record]) {
        for record in records {
            if record.offset != self.log_end_offset() {
                continue;
            }
            self.assign_epoch_start(record.leader_epoch, record.offset);
            self.records.push(record.clone());
            self.track_producers(self.records.len() - 1);
        }
    }

    /// Removes every record at or above `offset` and returns them (the UI shows them as
    /// truncated). The HW and epoch cache follow (`UnifiedLog.truncateTo`).
    pub fn truncate_to(&mut self, offset: i64) -> Vec<Record> {
        let index = self.index_of(offset);
        let removed = self.records.split_off(index);
        let leo = self.log_end_offset();
        // `LeaderEpochFileCache.truncateFromEnd`: epochs that start at or past the new LEO go.
        self.epochs.retain(|&(_, start)| start < leo);
        if self.high_watermark > leo {
            self.high_watermark = leo;
        }
        if removed.iter().any(|r| r.batch.is_some()) {
            self.producers = Arc::new(ProducerStateManager::rebuild(
                self.records.iter(),
                self.high_watermark,
            ));
        }
        removed
    }

    /// `UnifiedLog.maybeUpdateHighWatermark`: sets the HW clamped into `[log start, LEO]`.
    /// Returns whether it changed.
    pub fn update_high_watermark(&mut self, hw: i64) -> bool {
        let clamped = hw.clamp(self.log_start_offset, self.log_end_offset());
        let changed = clamped != self.high_watermark;
        self.high_watermark = clamped;
        if changed && !self.producers.unreplicated.is_empty() {
            Arc::make_mut(&mut self.producers).on_high_watermark(clamped);
        }
        changed
    }

    /// Raises the log start offset (DeleteRecords, retention, or learning it from the leader);
    /// it never moves backwards nor past the HW.
    pub fn maybe_increment_log_start_offset(&mut self, offset: i64) -> bool {
        let target = offset.min(self.high_watermark);
        if target <= self.log_start_offset {
            return false;
        }
        self.log_start_offset = target;
        let index = self.index_of(target);
        self.records.remove_prefix(index);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            offset: 0,
            leader_epoch: 0,
            producer: "p".into(),
            producer_seq: 0,
            key: None,
            value: None,
            timestamp_ms: 0,
            coordinator: None,
            batch: None,
        }
    }

    #[test]
    fn epochs_end_offsets_and_truncation_follow_the_epoch_cache() {
        let mut log = PartitionLog::new();
        log.append_as_leader(0, vec![record(); 3]); // offsets 0..3 in epoch 0
        log.append_as_leader(2, vec![record(); 2]); // offsets 3..5 in epoch 2
        assert_eq!(log.log_end_offset(), 5);
        assert_eq!(log.epoch_entries(), &[(0, 0), (2, 3)]);
        assert_eq!(log.end_offset_for_epoch(0), (0, 3));
        assert_eq!(log.end_offset_for_epoch(1), (0, 3));
        assert_eq!(log.end_offset_for_epoch(2), (2, 5));
        assert_eq!(log.end_offset_for_epoch(-1), (-1, -1));
        let mut later = PartitionLog::new();
        later.append_as_leader(3, vec![record(); 2]);
        assert_eq!(
            later.end_offset_for_epoch(1),
            (1, 0),
            "an epoch older than the cache ends where the cache starts"
        );
        assert_eq!(log.epoch_before(4), 2);
        assert_eq!(log.epoch_before(3), 0);

        log.update_high_watermark(4);
        let removed = log.truncate_to(3);
        assert_eq!(removed.len(), 2);
        assert_eq!(log.log_end_offset(), 3);
        assert_eq!(log.high_watermark(), 3, "HW is clamped to the new LEO");
        assert_eq!(log.epoch_entries(), &[(0, 0)]);
    }

    #[test]
    fn assigning_an_epoch_removes_the_entries_it_contradicts() {
        // A broker led epoch 2 without appending (its entry starts at its LEO, 0); as a follower
        // it then fetches records of epoch 1 from offset 0: epoch 2's entry goes.
        let mut log = PartitionLog::new();
        log.assign_epoch_start(0, 0);
        log.assign_epoch_start(2, 0);
        assert_eq!(log.epoch_entries(), &[(2, 0)]);
        let mut r = record();
        r.leader_epoch = 1;
        log.append_as_follower(&[r]);
        assert_eq!(log.epoch_entries(), &[(1, 0)]);
        // Continuing the latest epoch changes nothing.
        log.assign_epoch_start(1, 1);
        assert_eq!(log.epoch_entries(), &[(1, 0)]);
    }

    #[test]
    fn high_watermark_is_clamped_and_log_start_never_passes_it() {
        let mut log = PartitionLog::new();
        log.append_as_leader(0, vec![record(); 10]);
        assert!(log.update_high_watermark(50));
        assert_eq!(log.high_watermark(), 10);
        log.update_high_watermark(6);
        assert!(log.maybe_increment_log_start_offset(8));
        assert_eq!(log.log_start_offset(), 6);
        assert_eq!(log.read(0, 100).next().map(|r| r.offset), Some(6));
        assert!(!log.maybe_increment_log_start_offset(2));
    }
}
