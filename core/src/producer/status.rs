//! A producer client's state as the page and the CLI show it: one word or a few, and what it
//! means for the records it was given. Derived from the client's own state (`Sender`,
//! `RecordAccumulator`, `TransactionManager.State`); the page draws it and matches nothing.

use serde::{Deserialize, Serialize};

/// What a producer client is doing, in a few words a learner reads on its card.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProducerStatus {
    /// Nothing waiting: every record sent has its answer.
    #[default]
    Idle,
    /// Batches are waiting in the accumulator or in flight.
    Sending,
    /// An idempotent producer waiting for InitProducerId.
    GettingProducerId,
    /// A transactional producer in `initTransactions()`.
    Initializing,
    /// A transactional producer between transactions.
    Ready,
    InTransaction,
    Committing,
    Aborting,
    /// `TransactionManager`'s ABORTABLE_ERROR: only `abortTransaction()` goes on.
    MustAbort,
    /// A newer instance with the same `transactional.id` fenced it.
    Fenced,
    Crashed,
    Closed,
}

impl ProducerStatus {
    /// The words the page and the CLI show.
    pub fn label(self) -> &'static str {
        match self {
            ProducerStatus::Idle => "idle",
            ProducerStatus::Sending => "sending",
            ProducerStatus::GettingProducerId => "getting a producer id",
            ProducerStatus::Initializing => "initializing",
            ProducerStatus::Ready => "ready",
            ProducerStatus::InTransaction => "in a transaction",
            ProducerStatus::Committing => "committing",
            ProducerStatus::Aborting => "aborting",
            ProducerStatus::MustAbort => "must abort",
            ProducerStatus::Fenced => "fenced (zombie)",
            ProducerStatus::Crashed => "crashed",
            ProducerStatus::Closed => "closed",
        }
    }

    /// What the state means for the records the application hands it.
    pub fn meaning(self) -> &'static str {
        match self {
            ProducerStatus::Idle | ProducerStatus::Ready => {
                "nothing waiting: every record sent has its answer"
            }
            ProducerStatus::Sending => "batches are waiting or in flight",
            ProducerStatus::GettingProducerId | ProducerStatus::Initializing => {
                "waiting for InitProducerId: the producer id and epoch its batches will carry"
            }
            ProducerStatus::InTransaction => {
                "records it sends now belong to the open transaction until it commits or aborts"
            }
            ProducerStatus::Committing | ProducerStatus::Aborting => {
                "it asked the transaction coordinator to end the transaction (EndTxn); markers follow"
            }
            ProducerStatus::MustAbort => {
                "a send failed inside the transaction: the only way on is abortTransaction()"
            }
            ProducerStatus::Fenced => {
                "a newer instance with the same transactional.id took over (a higher epoch): this one may not write any more"
            }
            ProducerStatus::Crashed => "the process died; what waited in its accumulator is lost",
            ProducerStatus::Closed => "close() was called: it sent what waited and stopped",
        }
    }
}

impl std::fmt::Display for ProducerStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}
