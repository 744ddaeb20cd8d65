//! The kernel's leaf: what a node sees while it handles one input ([`Ctx`]), what it asks of
//! the kernel ([`Output`]), the deadlines it keeps ([`Timers`]), the queue of what is due
//! ([`Queue`], [`Item`]) and the network between nodes ([`Network`]).
//!
//! It knows no node: each node kind names its own timers (`BrokerTimer`, `ControllerTimer`,
//! `ConsumerTimer`, `ProducerTimer`, `ClientTimer`) and gets a `Ctx` typed by them, so a broker
//! cannot set a consumer's timer. The simulation (`sim.rs`) owns one queue of every node's
//! timers and routes each item to its node. Nodes never read a clock or an OS random source:
//! `Ctx::now` and `Ctx::rng` are the only time and randomness they see.

use crate::sorted::{SortedMap, SortedSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::{NodeId, TopicPartition};
use crate::event::{EventKind, Milestone};
use crate::protocol::Message;
use crate::rng::SimRng;

/// Latency of a healthy link, one way.
pub const DEFAULT_LATENCY_MS: i64 = 2;

/// What a node asks of the kernel while handling one input; `T` is the node's timer type.
pub enum Output<T> {
    Send(NodeId, Message),
    Timer(i64, T),
    Event(EventKind, Option<TopicPartition>, String, Option<Milestone>),
}

impl<T> Output<T> {
    /// The same output with its timer wrapped for the kernel's queue.
    pub fn map_timer<U>(self, wrap: impl FnOnce(T) -> U) -> Output<U> {
        match self {
            Output::Send(to, message) => Output::Send(to, message),
            Output::Timer(after, timer) => Output::Timer(after, wrap(timer)),
            Output::Event(kind, partition, text, milestone) => {
                Output::Event(kind, partition, text, milestone)
            }
        }
    }
}

/// The handle a node gets while it handles a message or timer.
pub struct Ctx<'a, T> {
    pub now: i64,
    pub node: NodeId,
    pub rng: &'a mut SimRng,
    pub out: Vec<Output<T>>,
}

impl<'a, T> Ctx<'a, T> {
    /// A handle for `node` at `now`, with nothing asked yet.
    pub fn new(now: i64, node: NodeId, rng: &'a mut SimRng) -> Ctx<'a, T> {
        Ctx {
            now,
            node,
            rng,
            out: Vec::new(),
        }
    }
    pub fn send(&mut self, to: NodeId, message: Message) {
        self.out.push(Output::Send(to, message));
    }
    pub fn timer(&mut self, after_ms: i64, timer: T) {
        self.out.push(Output::Timer(after_ms.max(0), timer));
    }
    pub fn event(&mut self, kind: EventKind, partition: Option<TopicPartition>, text: String) {
        self.out.push(Output::Event(kind, partition, text, None));
    }
    /// An event that marks `milestone` (see [`Milestone`]).
    pub fn milestone(
        &mut self,
        milestone: Milestone,
        kind: EventKind,
        partition: Option<TopicPartition>,
        text: String,
    ) {
        self.out
            .push(Output::Event(kind, partition, text, Some(milestone)));
    }
}

/// The deadlines of the timers one node has set. The kernel never removes a queued timer, so a
/// node keeps the latest deadline per timer and a timer that fires counts only if it matches
/// (setting a timer again replaces it; cancelling forgets it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timers<T>(Vec<(T, i64)>);

impl<T> Default for Timers<T> {
    fn default() -> Timers<T> {
        Timers(Vec::new())
    }
}

impl<T: Clone + PartialEq> Timers<T> {
    /// Sets (or resets) `timer` to fire `after_ms` from now.
    pub fn set(&mut self, ctx: &mut Ctx<T>, timer: T, after_ms: i64) {
        self.cancel(&timer);
        self.0.push((timer.clone(), ctx.now + after_ms.max(0)));
        ctx.timer(after_ms, timer);
    }

    /// Whether `timer` firing at `now` is the one last set, forgetting it if so.
    pub fn take(&mut self, timer: &T, now: i64) -> bool {
        match self.0.iter().position(|(t, at)| t == timer && *at == now) {
            Some(pos) => {
                self.0.remove(pos);
                true
            }
            None => false,
        }
    }

    /// Whether `timer` firing at `at` is the one last set.
    pub fn is_live(&self, timer: &T, at: i64) -> bool {
        self.0.iter().any(|(t, when)| t == timer && *when == at)
    }

    pub fn cancel(&mut self, timer: &T) {
        self.0.retain(|(t, _)| t != timer);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// Something due at a time: a message arriving, or a timer firing at the node that set it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Item<T> {
    Message {
        from: NodeId,
        to: NodeId,
        sent_ms: i64,
        /// Shared, so the timeline's snapshots hold a message in flight without copying it;
        /// the receiver takes it (copying it only if a snapshot still shares it).
        message: Arc<Message>,
    },
    Timer {
        node: NodeId,
        timer: T,
    },
}

/// What is due, in order: keyed by `(time, sequence)`, so ties are broken by the order items
/// were scheduled and nothing depends on hashing.
///
/// The one place the engine keeps `std`'s B-tree rather than a [`SortedMap`]: every step takes
/// the first item and schedules new ones anywhere in thousands (at 1,000 partitions), which a
/// sorted vector pays for with a memmove of the whole queue each time (a quarter of the run's
/// time, measured with `perf`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Queue<T> {
    items: std::collections::BTreeMap<(i64, u64), Item<T>>,
    seq: u64,
    /// The queue's length after dead timers were last swept out of it.
    #[serde(default)]
    swept_len: usize,
}

impl<T> Default for Queue<T> {
    fn default() -> Queue<T> {
        Queue {
            items: std::collections::BTreeMap::new(),
            seq: 0,
            swept_len: 0,
        }
    }
}

impl<T> Queue<T> {
    pub fn schedule(&mut self, at: i64, item: Item<T>) {
        self.seq += 1;
        self.items.insert((at, self.seq), item);
    }

    /// The next item due, with its key.
    pub fn first(&self) -> Option<(&(i64, u64), &Item<T>)> {
        self.items.first_key_value()
    }

    pub fn remove(&mut self, key: &(i64, u64)) -> Option<Item<T>> {
        self.items.remove(key)
    }

    /// Every item, in the order they are due.
    pub fn iter(&self) -> impl Iterator<Item = (&(i64, u64), &Item<T>)> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the queue has doubled since dead timers were last swept out of it.
    pub fn wants_sweep(&self) -> bool {
        self.items.len() > 2 * self.swept_len + 256
    }

    /// Removes the items at `keys` (dead timers) and remembers the length left.
    pub fn sweep(&mut self, keys: Vec<(i64, u64)>) {
        for key in keys {
            self.items.remove(&key);
        }
        self.swept_len = self.items.len();
    }
}

/// The network as a value: cut links and per-link latency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Unordered pairs `(low, high)` that cannot talk.
    pub cut: SortedSet<(NodeId, NodeId)>,
    /// Latency overrides per unordered pair.
    pub latency_ms: SortedMap<(NodeId, NodeId), i64>,
    /// The last delivery time scheduled per directed link, so a link stays FIFO like TCP.
    pub last_delivery: SortedMap<(NodeId, NodeId), i64>,
}

/// The unordered pair `(low, high)` a link is keyed by.
pub fn pair(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    (a.min(b), a.max(b))
}

impl Network {
    pub fn is_cut(&self, a: NodeId, b: NodeId) -> bool {
        self.cut.contains(&pair(a, b))
    }
    pub fn latency(&self, a: NodeId, b: NodeId) -> i64 {
        self.latency_ms
            .get(&pair(a, b))
            .copied()
            .unwrap_or(DEFAULT_LATENCY_MS)
    }
}
