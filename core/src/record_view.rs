//! How a replica's records read: where each stands against the log start, HW and LEO, what
//! its transaction's state is, its batch fields in words, and the runs of records written
//! alike the way `kafka-dump-log.sh` prints batches. Computed from the view
//! ([`ReplicaView`]), so the page only draws what this says.

use crate::record::ControlType;
use crate::view::{RecordBatchMark, RecordMark, ReplicaView};

/// Where an offset stands on a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordState {
    /// Not written yet (at or past the LEO).
    Absent,
    /// Below the log start offset: deleted.
    Deleted,
    /// Below the HW: committed, readable by consumers.
    Committed,
    /// Between the HW and the LEO: written, not yet on every in-sync replica.
    Uncommitted,
}

impl RecordState {
    /// Its name, one word (also the class the page draws it with).
    pub fn name(self) -> &'static str {
        match self {
            RecordState::Absent => "absent",
            RecordState::Deleted => "deleted",
            RecordState::Committed => "committed",
            RecordState::Uncommitted => "uncommitted",
        }
    }
}

/// What a record is in a transaction's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnState {
    /// Not transactional.
    Plain,
    /// A record of a committed transaction.
    Committed,
    /// A record of a transaction this replica still has open.
    Open,
    /// A record of an aborted transaction: read_committed consumers skip it.
    Aborted,
    /// A transaction marker (control record) written when a transaction ends.
    Marker(ControlType),
}

impl ReplicaView {
    /// Where `offset` stands on this replica.
    pub fn record_state(&self, offset: i64) -> RecordState {
        if offset >= self.log_end_offset {
            RecordState::Absent
        } else if offset < self.log_start_offset {
            RecordState::Deleted
        } else if offset < self.high_watermark {
            RecordState::Committed
        } else {
            RecordState::Uncommitted
        }
    }

    /// A record's transaction state on this replica: a marker, aborted, in a transaction still
    /// open here (its producer id has an open transaction that started at or before it), or
    /// committed.
    pub fn txn_state(&self, mark: &RecordMark) -> TxnState {
        let Some(b) = mark.batch else {
            return TxnState::Plain;
        };
        if let Some(control) = b.control {
            return TxnState::Marker(control);
        }
        if !b.transactional {
            return TxnState::Plain;
        }
        if b.aborted {
            return TxnState::Aborted;
        }
        let open = self
            .open_transactions
            .iter()
            .any(|&(pid, first)| pid == b.producer_id && first <= mark.offset);
        if open {
            TxnState::Open
        } else {
            TxnState::Committed
        }
    }

    /// A record's batch fields and transaction in words, for its tooltip:
    /// `producer id 0, epoch 0, sequence 3; in a transaction still open: ...`.
    pub fn describe_record(&self, mark: &RecordMark) -> String {
        let Some(b) = mark.batch else {
            return String::new();
        };
        let ids = format!("producer id {}, epoch {}", b.producer_id, b.producer_epoch);
        match self.txn_state(mark) {
            TxnState::Marker(c) => format!(
                "{} marker (a control record) for {ids}: the coordinator ended the transaction here; consumers never see it",
                c.name()
            ),
            state => {
                let sequence = if b.sequence >= 0 {
                    format!("{ids}, sequence {}", b.sequence)
                } else {
                    ids
                };
                let txn = match state {
                    TxnState::Open => "; in a transaction still open: read_committed consumers wait at the LSO",
                    TxnState::Aborted => "; its transaction was aborted: read_committed consumers skip it",
                    TxnState::Committed => "; its transaction committed",
                    _ => "",
                };
                format!("{sequence}{txn}")
            }
        }
    }

    /// The newest records in runs written alike (same producer id and epoch, one transaction
    /// state, consecutive offsets and sequences), each in words the way `kafka-dump-log.sh`
    /// prints a batch: `offsets 0–9: producer id 0, epoch 0, sequences 0–9, transactional,
    /// aborted`.
    pub fn batch_runs(&self) -> Vec<(String, TxnState)> {
        let mut runs: Vec<(i64, i64, Option<RecordBatchMark>, TxnState)> = Vec::new();
        for mark in &self.recent {
            let state = self.txn_state(mark);
            let joins = runs.last().is_some_and(|(_, last, batch, run_state)| {
                let consecutive = *last + 1 == mark.offset;
                let alike = match (batch, mark.batch) {
                    (None, None) => true,
                    (Some(a), Some(b)) => {
                        a.producer_id == b.producer_id
                            && a.producer_epoch == b.producer_epoch
                            && a.control.is_none()
                            && b.control.is_none()
                            && (b.sequence == a.sequence + 1 || (a.sequence < 0 && b.sequence < 0))
                    }
                    _ => false,
                };
                consecutive && alike && *run_state == state
            });
            match runs.last_mut() {
                Some((_, last, batch, _)) if joins => {
                    *last = mark.offset;
                    *batch = mark.batch;
                }
                _ => runs.push((mark.offset, mark.offset, mark.batch, state)),
            }
        }
        runs.into_iter()
            .map(|(first, last, batch, state)| {
                let offsets = if first == last {
                    format!("offset {first}")
                } else {
                    format!("offsets {first}–{last}")
                };
                let Some(b) = batch else {
                    return (
                        format!("{offsets}: no producer id (a producer without idempotence)"),
                        TxnState::Plain,
                    );
                };
                let ids = format!("producer id {}, epoch {}", b.producer_id, b.producer_epoch);
                let words = match state {
                    TxnState::Marker(c) => format!("{offsets}: {} marker, {ids}", c.name()),
                    _ => {
                        let first_sequence = b.sequence - (last - first) as i32;
                        let sequences = if b.sequence < 0 {
                            "no sequences (not idempotent)".to_string()
                        } else if first == last {
                            format!("sequence {}", b.sequence)
                        } else {
                            format!("sequences {first_sequence}–{}", b.sequence)
                        };
                        let txn = match state {
                            TxnState::Open => ", transactional, open",
                            TxnState::Aborted => ", transactional, aborted",
                            TxnState::Committed => ", transactional, committed",
                            _ => "",
                        };
                        format!("{offsets}: {ids}, {sequences}{txn}")
                    }
                };
                (words, state)
            })
            .collect()
    }
}

/// A stretch of a replica's log window as the diagram draws it: consecutive plain records of
/// one state written alike (one producer, and one producer id and epoch when it had them)
/// share one shape; a transactional record or a marker stands alone, since it carries more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordSpan<'a> {
    Run(RecordRun),
    Single {
        mark: &'a RecordMark,
        state: RecordState,
        txn: TxnState,
    },
}

/// Consecutive plain records of one state and one writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordRun {
    pub from: i64,
    /// One past the last offset.
    pub to: i64,
    pub state: RecordState,
    /// The producer's index in [`crate::view::ClusterView::producers`], when its records are
    /// in the view.
    pub producer: Option<usize>,
    pub first: Option<RecordBatchMark>,
    pub last: Option<RecordBatchMark>,
}

impl RecordRun {
    fn extends(
        &self,
        offset: i64,
        state: RecordState,
        producer: Option<usize>,
        batch: Option<RecordBatchMark>,
    ) -> bool {
        let same_writer = match (self.last, batch) {
            (Some(a), Some(b)) => {
                a.producer_id == b.producer_id && a.producer_epoch == b.producer_epoch
            }
            (None, None) => true,
            _ => false,
        };
        self.to == offset && self.state == state && self.producer == producer && same_writer
    }

    /// `offsets 3–9: committed, producer #1; producer id 4, epoch 0, sequences 2–8`.
    pub fn title(&self) -> String {
        let offsets = if self.to - self.from == 1 {
            format!("offset {}", self.from)
        } else {
            format!("offsets {}–{}", self.from, self.to - 1)
        };
        let by = self
            .producer
            .map_or(String::new(), |p| format!(", producer #{}", p + 1));
        let batch = match (self.first, self.last) {
            (Some(a), Some(b)) => {
                let ids = format!(
                    "; producer id {}, epoch {}",
                    a.producer_id, a.producer_epoch
                );
                if a.sequence < 0 {
                    ids
                } else if a.sequence == b.sequence {
                    format!("{ids}, sequence {}", a.sequence)
                } else {
                    format!("{ids}, sequences {}–{}", a.sequence, b.sequence)
                }
            }
            _ => String::new(),
        };
        format!("{offsets}: {}{by}{batch}", self.state.name())
    }
}

impl ReplicaView {
    /// The offsets `from..to` of this replica's log as the diagram draws them, in order.
    pub fn record_spans(&self, from: i64, to: i64) -> Vec<RecordSpan<'_>> {
        let mut spans: Vec<RecordSpan<'_>> = Vec::new();
        let mut marks = self.recent.iter().peekable();
        for offset in from..to {
            while marks.next_if(|m| m.offset < offset).is_some() {}
            let mark = marks.peek().copied().filter(|m| m.offset == offset);
            let state = self.record_state(offset);
            let txn = mark.map_or(TxnState::Plain, |m| self.txn_state(m));
            if let (Some(mark), false) = (mark, txn == TxnState::Plain) {
                spans.push(RecordSpan::Single { mark, state, txn });
                continue;
            }
            let producer = mark.map(|r| r.producer);
            let batch = mark.and_then(|m| m.batch);
            match spans.last_mut() {
                Some(RecordSpan::Run(run)) if run.extends(offset, state, producer, batch) => {
                    run.to = offset + 1;
                    run.last = batch;
                }
                _ => spans.push(RecordSpan::Run(RecordRun {
                    from: offset,
                    to: offset + 1,
                    state,
                    producer,
                    first: batch,
                    last: batch,
                })),
            }
        }
        spans
    }
}
