//! A record and the batch it came in, as the log, the producer state and the messages carry
//! them (`org.apache.kafka.common.record`: `DefaultRecordBatch`, `ControlRecordType`). A leaf
//! below the log: it knows no log, no node and no coordinator (a coordinator's record is a
//! value it holds, [`CoordinatorRecord`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chunked::ChunkedVec;
use crate::coordinator_record::CoordinatorRecord;

/// `RecordBatch.NO_PRODUCER_ID`.
pub const NO_PRODUCER_ID: i64 = -1;

/// A transaction marker's type (`ControlRecordType`): ABORT = 0, COMMIT = 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ControlType {
    Abort,
    Commit,
}

impl ControlType {
    pub fn name(self) -> &'static str {
        match self {
            ControlType::Abort => "ABORT",
            ControlType::Commit => "COMMIT",
        }
    }
}

/// The producer fields of the record batch a record came in (`DefaultRecordBatch`): the
/// producer id and epoch, the batch's first and last sequence, whether it is transactional,
/// and for a control batch its marker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// The batch's base sequence (-1 for markers and non-idempotent batches).
    pub base_sequence: i32,
    /// The batch's last sequence.
    pub last_sequence: i32,
    pub transactional: bool,
    /// `Some` for a control batch: a transaction marker.
    pub control: Option<ControlType>,
    /// The transaction coordinator's epoch, carried by markers.
    pub coordinator_epoch: i32,
}

impl BatchHeader {
    /// This record's own sequence within the batch.
    pub fn sequence_of(&self, index_in_batch: i32) -> i32 {
        if self.base_sequence < 0 {
            -1
        } else {
            self.base_sequence.wrapping_add(index_in_batch) & i32::MAX
        }
    }
}

/// One record as the sandbox tracks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub offset: i64,
    /// The leader epoch of the leader that appended it (the batch's partitionLeaderEpoch).
    pub leader_epoch: i32,
    /// Which client produced it, for colouring and for checking guarantees.
    pub producer: String,
    /// A per-producer sequence number, so the same record can be recognised on every replica.
    pub producer_seq: i64,
    pub key: Option<String>,
    pub value: Option<String>,
    /// Simulated time at which the leader appended it.
    pub timestamp_ms: i64,
    /// A group coordinator's record in `__consumer_offsets`, structured (the key and value
    /// above are its text form).
    #[serde(default)]
    pub coordinator: Option<Arc<CoordinatorRecord>>,
    /// The producer fields of the batch it came in (producer id, epoch, sequences,
    /// transactional, marker); `None` for a record from a producer without idempotence.
    #[serde(default)]
    pub batch: Option<Arc<BatchHeader>>,
}

impl Record {
    /// Whether it is a transaction marker (a control record, never returned to consumers).
    pub fn is_control(&self) -> bool {
        self.batch.as_ref().is_some_and(|b| b.control.is_some())
    }

    /// Whether `next` is the record after this one in the same record batch: the next offset
    /// and the same batch header, or, for records without one, the same writer, append time
    /// and leader epoch (a coordinator's records are each a batch of their own).
    pub fn continued_by(&self, next: &Record) -> bool {
        next.offset == self.offset + 1
            && match (&self.batch, &next.batch) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b) || **a == **b,
                (None, None) => {
                    next.producer == self.producer
                        && next.timestamp_ms == self.timestamp_ms
                        && next.leader_epoch == self.leader_epoch
                        && self.coordinator.is_none()
                }
                _ => false,
            }
    }
}

/// Records by position: a log's records, or a plain slice of them (records lost to truncation).
pub trait RecordSeq: std::ops::Index<usize, Output = Record> {
    fn count(&self) -> usize;
}

impl RecordSeq for [Record] {
    fn count(&self) -> usize {
        self.len()
    }
}

impl RecordSeq for Vec<Record> {
    fn count(&self) -> usize {
        self.len()
    }
}

impl RecordSeq for ChunkedVec<Record> {
    fn count(&self) -> usize {
        self.len()
    }
}

/// The index of the first record of the batch `records[index]` is in.
pub fn batch_start(records: &(impl RecordSeq + ?Sized), index: usize) -> usize {
    let mut first = index;
    while first > 0 && records[first - 1].continued_by(&records[first]) {
        first -= 1;
    }
    first
}

/// The index past the last record of the batch that starts at `records[start]`.
pub fn batch_end(records: &(impl RecordSeq + ?Sized), start: usize) -> usize {
    let mut end = start + 1;
    while end < records.count() && records[end - 1].continued_by(&records[end]) {
        end += 1;
    }
    end
}

/// Bytes the sandbox counts per record when honouring `replica.fetch.max.bytes`.
pub const RECORD_OVERHEAD_BYTES: i64 = 70;

/// The bytes the sandbox counts for a record (its key and value plus
/// [`RECORD_OVERHEAD_BYTES`]) when honouring byte limits such as `replica.fetch.max.bytes`.
pub fn record_size(r: &Record) -> i64 {
    RECORD_OVERHEAD_BYTES
        + r.key.as_ref().map_or(0, |k| k.len() as i64)
        + r.value.as_ref().map_or(0, |v| v.len() as i64)
}
