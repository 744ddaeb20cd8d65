//! The discrete-event kernel: simulated time, one seeded PRNG, a queue of in-flight messages
//! and timers, and the network between nodes.
//!
//! One **step** takes the earliest item off the queue, advances the clock to it and delivers
//! it: a message to its destination node, or a timer to the node that set it. Nodes react by
//! sending messages, setting timers and reporting events through a [`Ctx`]; they never read a
//! clock or an OS random source. The queue is a `BTreeMap` keyed by `(time, sequence)`, so ties
//! are broken by the order items were scheduled and nothing depends on hashing: the same seed
//! and commands give the same trace on every platform.
//!
//! Timers are not cancelled; a node remembers the deadline of each timer it set, and a timer
//! that fires after being replaced is skipped without counting as a step.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::broker::Broker;
use crate::client::{Client, CLIENT_ID};
use crate::command::{
    ClusterSpec, Command, ConfigEntity, NodeId, TopicPartition, CONTROLLER_ID_BASE,
};
use crate::consumer::Consumer;
use crate::controller::Controller;
use crate::event::{node_label, Event, EventKind};
use crate::metadata::{MetadataImage, MetadataRecord};
use crate::producer::Producer;
use crate::protocol::Message;
use crate::raft::{RaftConfig, RaftNode, RaftTimer};
use crate::rng::SimRng;

mod consumers;
mod producers;

/// Latency of a healthy link, one way.
pub const DEFAULT_LATENCY_MS: i64 = 2;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timer {
    Raft(RaftTimer),
    Heartbeat,
    IsrExpiration,
    FetchWait {
        replica: NodeId,
    },
    FetchBackoff {
        leader: NodeId,
    },
    FetchTimeout {
        leader: NodeId,
    },
    AlterPartitionTimeout {
        partition: TopicPartition,
    },
    /// A waiting produce request, by the client that sent it and its request id (two clients
    /// number their requests independently).
    ProduceTimeout {
        client: NodeId,
        request_id: i64,
    },
    FenceCheck,
    LeaderImbalance,
    ClientRetry {
        request_id: i64,
    },
    ClientRequestTimeout {
        request_id: i64,
    },
    /// Group coordinator: a member's session ran out.
    GroupSession {
        group: String,
        member: String,
    },
    /// Group coordinator: the join phase's initial delay or rebalance timeout.
    GroupJoin {
        group: String,
    },
    /// Group coordinator: the wait for SyncGroup after a join completed.
    GroupSync {
        group: String,
        generation: i32,
    },
    /// Group coordinator: a member told MEMBER_ID_REQUIRED never came back.
    GroupPendingMember {
        group: String,
        member: String,
    },
    /// Consumer: the application calls `poll()`.
    ConsumerPoll,
    /// Consumer: the application finished processing the records of one poll.
    ConsumerProcessed,
    /// Consumer: the heartbeat thread's tick.
    ConsumerHeartbeat,
    /// Consumer: retry finding the coordinator or joining after a backoff.
    ConsumerRetry,
    /// Broker: a consumer's fetch held for `fetch.max.wait.ms` ran out.
    ConsumerFetchWait {
        consumer: NodeId,
    },
    /// Group coordinator: a write to `__consumer_offsets` ran out of `offsets.commit.timeout.ms`.
    CoordinatorWriteTimeout {
        partition: i32,
        required_hw: i64,
    },
    /// Group coordinator (consumer protocol): a member's `group.consumer.session.timeout.ms`.
    ConsumerGroupSession {
        group: String,
        member: String,
    },
    /// Group coordinator (consumer protocol): a member's deadline to revoke partitions.
    ConsumerGroupRebalance {
        group: String,
        member: String,
    },
    /// Producer: the sender thread wakes (a batch's linger.ms or retry backoff is over).
    ProducerSend,
    /// Producer: `metadata.max.age.ms` passed.
    ProducerMetadataAge,
    /// Producer: a Produce request's request.timeout.ms.
    ProducerRequestTimeout {
        request_id: i64,
    },
    /// Transaction coordinator: a state change not replicated in time.
    TxnWriteTimeout {
        partition: i32,
        required_hw: i64,
    },
    /// Transaction coordinator: send markers again.
    TxnMarkerRetry {
        transactional_id: String,
    },
    /// Transaction coordinator: look for transactions past their timeout.
    TxnTimeoutCheck,
    /// Partition leader: the coordinator has not answered a transaction verification.
    TxnVerificationTimeout {
        verification_id: u64,
    },
}

impl Timer {
    pub fn name(&self) -> String {
        match self {
            Timer::Raft(t) => format!("{t:?}"),
            Timer::Heartbeat => "heartbeat".into(),
            Timer::IsrExpiration => "isr-expiration".into(),
            Timer::FetchWait { .. } => "fetch wait".into(),
            Timer::FetchBackoff { .. } => "fetch backoff".into(),
            Timer::FetchTimeout { .. } => "fetch request timeout".into(),
            Timer::AlterPartitionTimeout { .. } => "AlterPartition timeout".into(),
            Timer::ProduceTimeout { .. } => "produce timeout".into(),
            Timer::FenceCheck => "session check".into(),
            Timer::LeaderImbalance => "leader imbalance check".into(),
            Timer::ClientRetry { .. } => "client retry".into(),
            Timer::ClientRequestTimeout { .. } => "client request timeout".into(),
            Timer::GroupSession { member, .. } => format!("session timeout of {member}"),
            Timer::GroupJoin { group } => format!("join phase of group {group}"),
            Timer::GroupSync { group, .. } => format!("sync phase of group {group}"),
            Timer::GroupPendingMember { member, .. } => format!("pending member {member}"),
            Timer::ConsumerPoll => "poll".into(),
            Timer::ConsumerProcessed => "processing done".into(),
            Timer::ConsumerHeartbeat => "heartbeat thread".into(),
            Timer::ConsumerRetry => "retry backoff".into(),
            Timer::ConsumerFetchWait { .. } => "consumer fetch wait".into(),
            Timer::CoordinatorWriteTimeout { .. } => "offsets.commit.timeout.ms".into(),
            Timer::ConsumerGroupSession { member, .. } => format!("session timeout of {member}"),
            Timer::ProducerSend => "sender wake-up".into(),
            Timer::ProducerMetadataAge => "metadata.max.age.ms".into(),
            Timer::ProducerRequestTimeout { .. } => "produce request.timeout.ms".into(),
            Timer::TxnWriteTimeout { .. } => "transaction log write timeout".into(),
            Timer::TxnMarkerRetry { transactional_id } => {
                format!("marker retry of {transactional_id}")
            }
            Timer::TxnTimeoutCheck => "transaction timeout check".into(),
            Timer::TxnVerificationTimeout { .. } => "transaction verification timeout".into(),
            Timer::ConsumerGroupRebalance { member, .. } => {
                format!("revocation deadline of {member}")
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Item {
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
        timer: Timer,
    },
}

/// What a node asks of the kernel while handling one input.
pub enum Output {
    Send(NodeId, Message),
    Timer(i64, Timer),
    Event(EventKind, Option<TopicPartition>, String),
}

/// The handle a node gets while it handles a message or timer.
pub struct Ctx<'a> {
    pub now: i64,
    pub node: NodeId,
    pub rng: &'a mut SimRng,
    pub out: Vec<Output>,
}

impl Ctx<'_> {
    pub fn send(&mut self, to: NodeId, message: Message) {
        self.out.push(Output::Send(to, message));
    }
    pub fn timer(&mut self, after_ms: i64, timer: Timer) {
        self.out.push(Output::Timer(after_ms.max(0), timer));
    }
    pub fn event(&mut self, kind: EventKind, partition: Option<TopicPartition>, text: String) {
        self.out.push(Output::Event(kind, partition, text));
    }
}

/// The deadlines of the timers one node has set. The kernel never removes a queued timer, so a
/// node keeps the latest deadline per timer and a timer that fires counts only if it matches
/// (setting a timer again replaces it; cancelling forgets it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timers(Vec<(Timer, i64)>);

impl Timers {
    /// Sets (or resets) `timer` to fire `after_ms` from now.
    pub fn set(&mut self, ctx: &mut Ctx, timer: Timer, after_ms: i64) {
        self.cancel(&timer);
        self.0.push((timer.clone(), ctx.now + after_ms.max(0)));
        ctx.timer(after_ms, timer);
    }

    /// Whether `timer` firing at `now` is the one last set, forgetting it if so.
    pub fn take(&mut self, timer: &Timer, now: i64) -> bool {
        match self.0.iter().position(|(t, at)| t == timer && *at == now) {
            Some(pos) => {
                self.0.remove(pos);
                true
            }
            None => false,
        }
    }

    /// Whether `timer` firing at `at` is the one last set.
    pub fn is_live(&self, timer: &Timer, at: i64) -> bool {
        self.0.iter().any(|(t, when)| t == timer && *when == at)
    }

    pub fn cancel(&mut self, timer: &Timer) {
        self.0.retain(|(t, _)| t != timer);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The network as a value: cut links and per-link latency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Unordered pairs `(low, high)` that cannot talk.
    pub cut: BTreeSet<(NodeId, NodeId)>,
    /// Latency overrides per unordered pair.
    pub latency_ms: BTreeMap<(NodeId, NodeId), i64>,
    /// The last delivery time scheduled per directed link, so a link stays FIFO like TCP.
    pub last_delivery: BTreeMap<(NodeId, NodeId), i64>,
}

fn pair(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
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

/// The most partitions a sandbox cluster holds (internal topics included). A real cluster has
/// no such limit; the sandbox keeps every replica of every partition in the page's memory and
/// is measured at 1,000 partitions (`cargo xtask bench`), so past twice that a command that
/// would add partitions is refused with a sentence instead of slowing the page to a halt.
pub const MAX_CLUSTER_PARTITIONS: usize = 2_000;

/// The most records a sandbox cluster holds (counted on partition leaders): every replica
/// keeps its records in memory, about half a kilobyte each with their copies. Producing past
/// it is refused with a sentence.
pub const MAX_CLUSTER_RECORDS: i64 = 200_000;

/// A user command that could not be applied, with a sentence a learner understands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    pub message: String,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Refuses a command that would take a cluster of `held` partitions past
/// [`MAX_CLUSTER_PARTITIONS`] by `adding` more.
fn partitions_fit(held: usize, adding: usize) -> Result<(), CommandError> {
    if held + adding > MAX_CLUSTER_PARTITIONS {
        return fail(format!(
            "the sandbox keeps at most {MAX_CLUSTER_PARTITIONS} partitions in a cluster (internal topics included); it has {held}, so {adding} more would pass that (a real cluster has no such limit)"
        ));
    }
    Ok(())
}

fn fail<T>(message: impl Into<String>) -> Result<T, CommandError> {
    Err(CommandError {
        message: message.into(),
    })
}

/// What applying a command produced: the events of the steps it ran, and text output for
/// the query commands (`--describe`, `--list`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub events: Vec<Event>,
    pub output: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    pub spec: ClusterSpec,
    pub now_ms: i64,
    /// Steps taken so far.
    pub steps: u64,
    seq: u64,
    rng: SimRng,
    pub queue: BTreeMap<(i64, u64), Item>,
    /// The queue's length after dead timers were last swept out of it (see
    /// [`Simulation::sweep_dead_timers`]).
    #[serde(default)]
    queue_swept_len: usize,
    pub brokers: BTreeMap<NodeId, Broker>,
    pub controllers: BTreeMap<NodeId, Controller>,
    pub client: Client,
    /// Consumer clients by node id (`CONSUMER_ID_BASE + n`, in the order started).
    #[serde(default)]
    pub consumers: BTreeMap<NodeId, Consumer>,
    /// Producer clients by node id (`PRODUCER_ID_BASE + n`, in the order started).
    #[serde(default)]
    pub producers: BTreeMap<NodeId, Producer>,
    /// The highest offset processed so far per (group, partition), by any consumer: a record
    /// processed at or below it is processed again (at-least-once).
    #[serde(default)]
    pub processed: BTreeMap<(String, TopicPartition), i64>,
    pub network: Network,
    pub raft_config: RaftConfig,
}

impl Simulation {
    /// A cluster as the spec describes it, with every process just started (no controller
    /// elected yet, no broker registered). [`Simulation::boot`] runs it until it is ready.
    pub fn new(spec: ClusterSpec) -> Simulation {
        let mut sim = Simulation {
            now_ms: 0,
            steps: 0,
            seq: 0,
            rng: SimRng::new(spec.seed),
            queue: BTreeMap::new(),
            queue_swept_len: 0,
            brokers: BTreeMap::new(),
            controllers: BTreeMap::new(),
            client: Client::new(),
            consumers: BTreeMap::new(),
            producers: BTreeMap::new(),
            processed: BTreeMap::new(),
            network: Network::default(),
            raft_config: RaftConfig::default(),
            spec: spec.clone(),
        };
        let voters: Vec<NodeId> = (0..spec.controllers.max(1))
            .map(|i| CONTROLLER_ID_BASE + i)
            .collect();
        for &id in &voters {
            let mut ctx = Ctx {
                now: 0,
                node: id,
                rng: &mut sim.rng,
                out: Vec::new(),
            };
            let (raft, outputs) =
                RaftNode::new_voter(id, voters.clone(), sim.raft_config.clone(), 0, ctx.rng);
            let mut controller = Controller::new(id, raft);
            controller.apply_raft_outputs(&mut ctx, outputs);
            let out = ctx.out;
            sim.controllers.insert(id, controller);
            sim.apply_outputs(id, out, &mut Vec::new());
        }
        for id in 0..spec.brokers.max(1) {
            let rack = spec.racks.get(id as usize).cloned();
            let mut ctx = Ctx {
                now: 0,
                node: id,
                rng: &mut sim.rng,
                out: Vec::new(),
            };
            let (raft, outputs) =
                RaftNode::new_observer(id, voters.clone(), sim.raft_config.clone(), 0, ctx.rng);
            let mut broker = Broker::new(id, rack, raft);
            broker.start(&mut ctx, outputs);
            let out = ctx.out;
            sim.brokers.insert(id, broker);
            sim.apply_outputs(id, out, &mut Vec::new());
        }
        sim
    }

    /// Steps until a controller is active and every broker is registered and unfenced (or
    /// 60 s of simulated time pass). Returns the events, which are part of the run's history.
    pub fn boot(&mut self, mut after_step: impl FnMut(&Simulation)) -> Vec<Event> {
        let mut events = Vec::new();
        while self.now_ms < 60_000 && !self.is_ready() {
            let step = self.step();
            if step.is_empty() {
                break;
            }
            after_step(self);
            events.extend(step);
        }
        events
    }

    /// Whether a controller is active and every running broker is registered and unfenced.
    pub fn is_ready(&self) -> bool {
        let Some(image) = self.active_controller().map(|c| c.peek_image()) else {
            return false;
        };
        self.brokers
            .values()
            .all(|b| !b.alive || (image.brokers.get(&b.id).is_some_and(|r| !r.fenced) && !b.fenced))
    }

    pub fn active_controller(&self) -> Option<&Controller> {
        self.controllers.values().find(|c| c.is_active())
    }

    fn active_controller_id(&self) -> Option<NodeId> {
        self.active_controller().map(|c| c.id)
    }

    /// The committed metadata as the active controller has it (or the most advanced
    /// controller's, when none is active).
    pub fn metadata(&self) -> Arc<MetadataImage> {
        self.active_controller()
            .or_else(|| {
                self.controllers
                    .values()
                    .max_by_key(|c| (c.raft.high_watermark(), c.id))
            })
            .map(|c| Arc::clone(c.committed_image()))
            .unwrap_or_default()
    }

    pub fn is_alive(&self, node: NodeId) -> bool {
        if node == CLIENT_ID {
            return true;
        }
        if let Some(c) = self.consumers.get(&node) {
            return c.alive;
        }
        if let Some(p) = self.producers.get(&node) {
            return p.alive;
        }
        self.brokers
            .get(&node)
            .map(|b| b.alive)
            .or_else(|| self.controllers.get(&node).map(|c| c.alive))
            .unwrap_or(false)
    }

    fn node_exists(&self, node: NodeId) -> bool {
        self.brokers.contains_key(&node)
            || self.controllers.contains_key(&node)
            || self.consumers.contains_key(&node)
            || self.producers.contains_key(&node)
    }

    /// `__consumer_offsets` is created the first time a client looks for a coordinator
    /// (`KafkaApis.getOrCreateInternalTopic`), with `offsets.topic.num.partitions` partitions
    /// and `offsets.topic.replication.factor` replicas. Until enough brokers are registered it
    /// cannot be, and FindCoordinator answers COORDINATOR_NOT_AVAILABLE.
    fn ensure_offsets_topic(&mut self, events: &mut Vec<Event>) {
        self.ensure_internal_topic(
            crate::group::OFFSETS_TOPIC,
            "offsets.topic",
            None,
            "a group coordinator",
            events,
        );
    }

    /// `__transaction_state`, the same way, on the first FindCoordinator(TRANSACTION), with
    /// `min.insync.replicas` = `transaction.state.log.min.isr`.
    fn ensure_transaction_topic(&mut self, events: &mut Vec<Event>) {
        self.ensure_internal_topic(
            crate::txn::TRANSACTION_STATE_TOPIC,
            "transaction.state.log",
            Some("transaction.state.log.min.isr"),
            "a transaction coordinator",
            events,
        );
    }

    fn ensure_internal_topic(
        &mut self,
        topic: &str,
        prefix: &str,
        min_isr_config: Option<&str>,
        what: &str,
        events: &mut Vec<Event>,
    ) {
        let Some(controller) = self.active_controller() else {
            return;
        };
        let image = controller.peek_image();
        if image.topics.iter().any(|t| t == topic) {
            return;
        }
        let partitions = image.broker_config_i64(&format!("{prefix}.num.partitions")) as i32;
        let replication = image.broker_config_i64(&format!("{prefix}.replication.factor")) as i32;
        let configs: Vec<(String, String)> = min_isr_config
            .map(|c| {
                vec![(
                    "min.insync.replicas".to_string(),
                    image.broker_config_i64(c).to_string(),
                )]
            })
            .unwrap_or_default();
        let id = controller.id;
        match self.create_topic(topic, partitions, replication, &configs, None) {
            Ok(outputs) => {
                events.push(self.event(
                    id,
                    EventKind::Group,
                    None,
                    format!("A client looks for {what} and {topic} does not exist yet: it is created with {prefix}.num.partitions={partitions} and {prefix}.replication.factor={replication}"),
                ));
                for (node, out) in outputs {
                    self.apply_outputs(node, out, events);
                }
            }
            Err(e) => events.push(self.event(
                id,
                EventKind::Group,
                None,
                format!("{topic} cannot be created yet: {}", e.message),
            )),
        }
    }

    fn bootstrap(&self) -> Vec<NodeId> {
        self.brokers.keys().copied().collect()
    }

    fn schedule(&mut self, at: i64, item: Item) {
        self.seq += 1;
        self.queue.insert((at, self.seq), item);
    }

    fn event(
        &self,
        node: NodeId,
        kind: EventKind,
        partition: Option<TopicPartition>,
        text: String,
    ) -> Event {
        Event {
            step: self.steps,
            time_ms: self.now_ms,
            node,
            kind,
            partition,
            text,
        }
    }

    fn apply_outputs(&mut self, node: NodeId, outputs: Vec<Output>, events: &mut Vec<Event>) {
        for output in outputs {
            match output {
                Output::Send(to, message) => {
                    let latency = self.network.latency(node, to);
                    let last = self
                        .network
                        .last_delivery
                        .get(&(node, to))
                        .copied()
                        .unwrap_or(0);
                    let at = (self.now_ms + latency).max(last);
                    self.network.last_delivery.insert((node, to), at);
                    self.schedule(
                        at,
                        Item::Message {
                            from: node,
                            to,
                            sent_ms: self.now_ms,
                            message: Arc::new(message),
                        },
                    );
                }
                Output::Timer(after, timer) => {
                    self.schedule(self.now_ms + after, Item::Timer { node, timer })
                }
                Output::Event(kind, partition, text) => {
                    events.push(self.event(node, kind, partition, text))
                }
            }
        }
    }

    fn timer_is_live(&self, node: NodeId, timer: &Timer, at: i64) -> bool {
        if node == CLIENT_ID {
            return self.client.timers.is_live(timer, at);
        }
        if let Some(c) = self.consumers.get(&node) {
            return c.alive && c.timers.is_live(timer, at);
        }
        if let Some(p) = self.producers.get(&node) {
            return p.alive && p.timers.is_live(timer, at);
        }
        if let Some(b) = self.brokers.get(&node) {
            if !b.alive {
                return false;
            }
            return match timer {
                Timer::Raft(t) => b.metadata.is_timer_live(t, at),
                _ => b.timers.is_live(timer, at),
            };
        }
        if let Some(c) = self.controllers.get(&node) {
            if !c.alive {
                return false;
            }
            return match timer {
                Timer::Raft(t) => c.raft.is_timer_live(t, at),
                _ => c.timers.is_live(timer, at),
            };
        }
        false
    }

    /// Removes timers that were reset or cancelled from the front of the queue. Returns
    /// whether anything is left.
    fn drop_dead_timers(&mut self) -> bool {
        while let Some((&key, item)) = self.queue.first_key_value() {
            match item {
                Item::Timer { node, timer } if !self.timer_is_live(*node, timer, key.0) => {
                    self.queue.remove(&key);
                }
                _ => return true,
            }
        }
        false
    }

    /// About how many bytes a snapshot of this state costs: what its clone allocates (the parts
    /// it shares with the states before it, logs, records and unchanged replicas, left out),
    /// plus what the steps after it copy on write (a leader's replica changes at every follower
    /// fetch). The timeline budgets its snapshots by it. Calibrated with a counting allocator on
    /// the benchmark clusters: the 6-broker workshop with two consumers costs about 250 KB a
    /// snapshot (110 KB of clone), 30 brokers and 1,000 partitions about 3 MB.
    pub fn footprint(&self) -> usize {
        let replicas: usize = self.brokers.values().map(|b| b.replicas.len()).sum();
        let partitions = self
            .controllers
            .values()
            .map(|c| c.committed_image().partitions.len())
            .max()
            .unwrap_or(0);
        let clients = self.consumers.len() + self.producers.len() + 1;
        16_384
            + self.queue.len() * 150
            + replicas * 600
            + self.brokers.len() * 4_096
            + clients * (2_048 + partitions * 48)
    }

    /// Removes every timer that was reset or cancelled from the whole queue, once the queue
    /// has doubled since the last sweep. Nodes never cancel a queued timer (they remember the
    /// latest deadline and skip the others), so a timer that is reset on every request, such as
    /// a follower's fetch timeout per leader, would otherwise leave one dead entry per request
    /// for its whole timeout: tens of thousands at 1,000 partitions, copied into every snapshot
    /// of the timeline. Dead entries are never steps, so sweeping them changes no trace; the
    /// sweep happens at queue lengths the run itself decides, so replays sweep at the same steps.
    fn sweep_dead_timers(&mut self) {
        if self.queue.len() <= 2 * self.queue_swept_len + 256 {
            return;
        }
        let dead: Vec<(i64, u64)> = self
            .queue
            .iter()
            .filter_map(|(&key, item)| match item {
                Item::Timer { node, timer } if !self.timer_is_live(*node, timer, key.0) => {
                    Some(key)
                }
                _ => None,
            })
            .collect();
        for key in dead {
            self.queue.remove(&key);
        }
        self.queue_swept_len = self.queue.len();
    }

    /// Takes one step: delivers the next message or fires the next live timer.
    /// Returns its events (at least one), or nothing when the queue is empty.
    pub fn step(&mut self) -> Vec<Event> {
        self.sweep_dead_timers();
        loop {
            let Some((&key, _)) = self.queue.first_key_value() else {
                return Vec::new();
            };
            let Some(item) = self.queue.remove(&key) else {
                return Vec::new();
            };
            if let Item::Timer { node, timer } = &item {
                if !self.timer_is_live(*node, timer, key.0) {
                    continue;
                }
            }
            self.now_ms = key.0;
            self.steps += 1;
            let running: Vec<NodeId> = self
                .brokers
                .values()
                .filter(|b| b.alive)
                .map(|b| b.id)
                .collect();
            let mut events = self.dispatch(item);
            // A broker that stopped in this step (a controlled shutdown ending) drops its
            // clients' connections, as a crash does.
            for id in running {
                if !self.is_alive(id) {
                    events.extend(self.drop_connections(id));
                }
            }
            self.refresh_images();
            return events;
        }
    }

    /// Keeps every controller's cached metadata images in step with its log, so looking at
    /// them (the page does, every step) costs nothing.
    fn refresh_images(&mut self) {
        for controller in self.controllers.values_mut() {
            controller.image();
            controller.refresh_committed_image();
        }
    }

    fn dispatch(&mut self, item: Item) -> Vec<Event> {
        let mut events = Vec::new();
        match item {
            Item::Message {
                from, to, message, ..
            } => {
                let message = Arc::unwrap_or_clone(message);
                let name = message.name();
                let is_client = from == CLIENT_ID
                    || self.consumers.contains_key(&from)
                    || self.producers.contains_key(&from);
                // A broker that (re)started listens to clients only once it has caught up and
                // been unfenced; until then a client's connection is refused as if it were down.
                let listening =
                    self.is_alive(to) && self.brokers.get(&to).is_none_or(|b| b.serving_clients);
                if is_client && self.is_alive(from) && !listening && !self.network.is_cut(from, to)
                {
                    // A client's connection to a stopped broker is refused at once.
                    let now = self.now_ms;
                    let mut ctx = Ctx {
                        now,
                        node: from,
                        rng: &mut self.rng,
                        out: Vec::new(),
                    };
                    if let Some(consumer) = self.consumers.get_mut(&from) {
                        consumer.handle_disconnect(&mut ctx, to, &message);
                    } else if let Some(producer) = self.producers.get_mut(&from) {
                        producer.handle_disconnect(&mut ctx, to, &message);
                    } else {
                        self.client.handle_disconnect(&mut ctx, to, &message);
                    }
                    let out = ctx.out;
                    let why = if self.is_alive(to) {
                        "is still starting (it listens to clients once its metadata has caught up and it is unfenced)"
                    } else {
                        "is down"
                    };
                    events.push(self.event(
                        to,
                        EventKind::Drop,
                        None,
                        format!(
                            "{name} from {} is refused: {} {why}",
                            node_label(from),
                            node_label(to)
                        ),
                    ));
                    self.apply_outputs(from, out, &mut events);
                    return events;
                }
                if let Message::FindCoordinator { .. } = &message {
                    self.ensure_offsets_topic(&mut events);
                }
                if let Message::FindTxnCoordinator { .. } = &message {
                    self.ensure_transaction_topic(&mut events);
                }
                if !self.is_alive(to) {
                    events.push(self.event(
                        to,
                        EventKind::Drop,
                        None,
                        format!(
                            "{name} from {} is lost: {} is down",
                            node_label(from),
                            node_label(to)
                        ),
                    ));
                    return events;
                }
                if self.network.is_cut(from, to) {
                    events.push(self.event(
                        to,
                        EventKind::Drop,
                        None,
                        format!(
                            "{name} from {} to {} is lost: the network between them is partitioned",
                            node_label(from),
                            node_label(to)
                        ),
                    ));
                    return events;
                }
                let summary = summarize(&message);
                let out = self.deliver(from, to, message);
                let before = events.len();
                self.apply_outputs(to, out, &mut events);
                if events.len() == before {
                    events.push(self.event(
                        to,
                        EventKind::Deliver,
                        None,
                        format!(
                            "{} receives {summary} from {}",
                            node_label(to),
                            node_label(from)
                        ),
                    ));
                }
            }
            Item::Timer { node, timer } => {
                let name = timer.name();
                let out = self.fire(node, timer);
                let before = events.len();
                self.apply_outputs(node, out, &mut events);
                if events.len() == before {
                    events.push(self.event(
                        node,
                        EventKind::Timer,
                        None,
                        format!("{} {} timer fires", node_label(node), name),
                    ));
                }
            }
        }
        events
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, message: Message) -> Vec<Output> {
        let now = self.now_ms;
        let Simulation {
            rng,
            brokers,
            controllers,
            client,
            consumers,
            producers,
            ..
        } = self;
        let mut ctx = Ctx {
            now,
            node: to,
            rng,
            out: Vec::new(),
        };
        if let Some(consumer) = consumers.get_mut(&to) {
            deliver_to_consumer(consumer, &mut ctx, from, message);
        } else if let Some(producer) = producers.get_mut(&to) {
            producers::deliver_to_producer(producer, &mut ctx, from, message);
        } else if to == CLIENT_ID {
            match message {
                Message::MetadataResponse { leaders, .. } => {
                    client.handle_metadata(&mut ctx, leaders)
                }
                Message::ProduceResponse {
                    request_id,
                    partitions,
                } => {
                    for p in partitions {
                        client.handle_produce_response(
                            &mut ctx,
                            from,
                            request_id,
                            p.partition,
                            p.error,
                            p.base_offset,
                        );
                    }
                }
                Message::FetchResponse { partitions } => {
                    client.handle_fetch_response(&mut ctx, from, partitions)
                }
                _ => {}
            }
        } else if let Some(broker) = brokers.get_mut(&to) {
            match message {
                Message::Raft(m) => {
                    let outputs = broker.metadata.handle_message(now, from, m, ctx.rng);
                    broker.apply_raft_outputs(&mut ctx, outputs);
                }
                Message::BrokerRegistrationResponse {
                    error,
                    broker_epoch,
                } => {
                    broker.registration_in_flight = false;
                    if error.is_none() {
                        broker.broker_epoch = Some(broker_epoch);
                        ctx.event(
                            EventKind::Broker,
                            None,
                            format!("Broker {to} is registered with broker epoch {broker_epoch}; it stays fenced until its metadata catches up to its registration"),
                        );
                        broker.maybe_fetch(&mut ctx);
                    }
                }
                Message::BrokerHeartbeatResponse {
                    error,
                    is_fenced,
                    should_shutdown,
                } => {
                    if matches!(
                        error,
                        Some(crate::protocol::KafkaError::STALE_BROKER_EPOCH)
                            | Some(crate::protocol::KafkaError::BROKER_ID_NOT_REGISTERED)
                    ) {
                        broker.broker_epoch = None;
                    }
                    if error.is_none() && !is_fenced {
                        // `BrokerServer` enables request processing once it is first unfenced.
                        broker.serving_clients = true;
                    }
                    if error.is_none() && broker.fenced != is_fenced {
                        broker.fenced = is_fenced;
                        ctx.event(
                            EventKind::Broker,
                            None,
                            if is_fenced {
                                format!("Broker {to} learns it is fenced: it may not lead or join an ISR")
                            } else {
                                format!("Broker {to} is unfenced: its metadata has caught up, so it can lead partitions and join ISRs")
                            },
                        );
                    }
                    if should_shutdown {
                        ctx.event(
                            EventKind::Broker,
                            None,
                            format!("Broker {to} leads nothing any more and the controller answers SHUTDOWN_NOW: it stops"),
                        );
                        broker.crash();
                    }
                }
                Message::AlterPartitionResponse {
                    partition,
                    error,
                    isr,
                    leader_epoch,
                    partition_epoch,
                } => broker.handle_alter_partition_response(
                    &mut ctx,
                    &partition,
                    error,
                    isr,
                    leader_epoch,
                    partition_epoch,
                ),
                Message::Fetch {
                    replica_id,
                    broker_epoch,
                    max_wait_ms,
                    partitions,
                    read_committed,
                } => broker.handle_fetch(
                    &mut ctx,
                    from,
                    replica_id,
                    broker_epoch,
                    max_wait_ms,
                    partitions,
                    read_committed,
                ),
                Message::FetchResponse { partitions } => {
                    broker.handle_fetch_response(&mut ctx, from, partitions)
                }
                Message::Produce {
                    request_id,
                    transactional_id,
                    acks,
                    timeout_ms,
                    partitions,
                } => broker.handle_produce(
                    &mut ctx,
                    from,
                    request_id,
                    transactional_id,
                    acks,
                    timeout_ms,
                    partitions,
                ),
                Message::MetadataRequest => {
                    let leaders = broker
                        .image
                        .partitions
                        .iter()
                        .map(|(tp, p)| (tp.clone(), p.leader, p.leader_epoch))
                        .collect();
                    let cluster = broker.image.assignor_metadata();
                    ctx.send(from, Message::MetadataResponse { leaders, cluster });
                }
                Message::FindCoordinator { group_id } => {
                    broker.handle_find_coordinator(&mut ctx, from, group_id)
                }
                Message::JoinGroup {
                    group_id,
                    member_id,
                    group_instance_id,
                    client_id,
                    session_timeout_ms,
                    rebalance_timeout_ms,
                    protocols,
                } => broker.handle_join_group(
                    &mut ctx,
                    from,
                    group_id,
                    member_id,
                    group_instance_id,
                    client_id,
                    session_timeout_ms,
                    rebalance_timeout_ms,
                    protocols,
                ),
                Message::SyncGroup {
                    group_id,
                    generation,
                    member_id,
                    assignments,
                    ..
                } => broker.handle_sync_group(
                    &mut ctx,
                    from,
                    group_id,
                    generation,
                    member_id,
                    assignments,
                ),
                Message::Heartbeat {
                    group_id,
                    generation,
                    member_id,
                    ..
                } => broker.handle_heartbeat(&mut ctx, from, group_id, generation, member_id),
                Message::LeaveGroup {
                    group_id,
                    member_id,
                    group_instance_id,
                    reason,
                } => broker.handle_leave_group(
                    &mut ctx,
                    from,
                    group_id,
                    member_id,
                    group_instance_id,
                    reason,
                ),
                Message::OffsetCommit {
                    request_id,
                    group_id,
                    generation,
                    member_id,
                    offsets,
                } => broker.handle_offset_commit(
                    &mut ctx, from, request_id, group_id, generation, member_id, offsets,
                ),
                Message::OffsetFetch {
                    group_id,
                    partitions,
                } => broker.handle_offset_fetch(&mut ctx, from, group_id, partitions),
                Message::ConsumerGroupHeartbeat(request) => {
                    broker.handle_consumer_group_heartbeat(&mut ctx, from, request)
                }
                Message::ListOffsets { partitions } => {
                    broker.handle_list_offsets(&mut ctx, from, partitions)
                }
                other => producers::deliver_txn_to_broker(broker, &mut ctx, from, other),
            }
        } else if let Some(controller) = controllers.get_mut(&to) {
            match message {
                Message::Raft(m) => {
                    let outputs = controller.raft.handle_message(now, from, m, ctx.rng);
                    controller.apply_raft_outputs(&mut ctx, outputs);
                }
                Message::BrokerRegistration { broker_id, rack } => {
                    controller.handle_registration(&mut ctx, broker_id, rack)
                }
                Message::BrokerHeartbeat {
                    broker_id,
                    broker_epoch,
                    current_metadata_offset,
                    want_shutdown,
                } => controller.handle_heartbeat(
                    &mut ctx,
                    broker_id,
                    broker_epoch,
                    current_metadata_offset,
                    want_shutdown,
                ),
                Message::AlterPartition {
                    broker_id,
                    broker_epoch,
                    partition,
                    leader_epoch,
                    partition_epoch,
                    new_isr,
                } => controller.handle_alter_partition(
                    &mut ctx,
                    broker_id,
                    broker_epoch,
                    partition,
                    leader_epoch,
                    partition_epoch,
                    new_isr,
                ),
                Message::AllocateProducerIds {
                    broker_id,
                    broker_epoch,
                } => controller.handle_allocate_producer_ids(&mut ctx, broker_id, broker_epoch),
                _ => {}
            }
        }
        ctx.out
    }

    fn fire(&mut self, node: NodeId, timer: Timer) -> Vec<Output> {
        let now = self.now_ms;
        let Simulation {
            rng,
            brokers,
            controllers,
            client,
            consumers,
            producers,
            processed,
            ..
        } = self;
        let mut ctx = Ctx {
            now,
            node,
            rng,
            out: Vec::new(),
        };
        if let Some(producer) = producers.get_mut(&node) {
            if producer.take_timer(&timer, now) {
                match timer {
                    Timer::ProducerSend => producer.on_timer(&mut ctx),
                    Timer::ProducerMetadataAge => producer.on_metadata_age(&mut ctx),
                    Timer::ProducerRequestTimeout { request_id } => {
                        producer.on_request_timeout(&mut ctx, request_id)
                    }
                    _ => {}
                }
            }
        } else if let Some(consumer) = consumers.get_mut(&node) {
            if consumer.take_timer(&timer, now) {
                match timer {
                    Timer::ConsumerPoll => consumer.poll(&mut ctx),
                    Timer::ConsumerProcessed => consumer.on_processed(&mut ctx, processed),
                    Timer::ConsumerHeartbeat => consumer.on_heartbeat_timer(&mut ctx),
                    Timer::ConsumerRetry => consumer.on_retry(&mut ctx),
                    _ => {}
                }
            }
        } else if node == CLIENT_ID {
            if client.take_timer(&timer, now) {
                match timer {
                    Timer::ClientRetry { request_id } => client.on_retry(&mut ctx, request_id),
                    Timer::ClientRequestTimeout { request_id } => {
                        client.on_request_timeout(&mut ctx, request_id)
                    }
                    _ => {}
                }
            }
        } else if let Some(broker) = brokers.get_mut(&node) {
            match timer {
                Timer::Raft(t) => {
                    let outputs = broker.metadata.handle_timer(now, t, ctx.rng);
                    broker.apply_raft_outputs(&mut ctx, outputs);
                }
                other => {
                    if broker.take_timer(&other, now) {
                        match other {
                            Timer::Heartbeat => broker.on_heartbeat_timer(&mut ctx),
                            Timer::IsrExpiration => broker.on_isr_expiration(&mut ctx),
                            Timer::FetchWait { replica } => broker.on_fetch_wait(&mut ctx, replica),
                            Timer::FetchBackoff { .. } => broker.maybe_fetch(&mut ctx),
                            Timer::FetchTimeout { leader } => {
                                broker.on_fetch_timeout(&mut ctx, leader)
                            }
                            Timer::AlterPartitionTimeout { partition } => {
                                broker.on_alter_partition_timeout(&mut ctx, &partition)
                            }
                            Timer::ProduceTimeout { client, request_id } => {
                                broker.on_produce_timeout(&mut ctx, client, request_id)
                            }
                            Timer::GroupSession { group, member } => {
                                broker.on_group_session_timer(&mut ctx, &group, &member)
                            }
                            Timer::GroupJoin { group } => {
                                broker.on_group_join_timer(&mut ctx, &group)
                            }
                            Timer::GroupSync { group, generation } => {
                                broker.on_group_sync_timer(&mut ctx, &group, generation)
                            }
                            Timer::GroupPendingMember { group, member } => {
                                broker.on_group_pending_member_timer(&mut ctx, &group, &member)
                            }
                            Timer::ConsumerFetchWait { consumer } => {
                                broker.on_consumer_fetch_wait(&mut ctx, consumer)
                            }
                            Timer::TxnWriteTimeout {
                                partition,
                                required_hw,
                            } => broker.on_txn_write_timeout(&mut ctx, partition, required_hw),
                            Timer::TxnMarkerRetry { transactional_id } => {
                                broker.on_marker_retry(&mut ctx, &transactional_id)
                            }
                            Timer::TxnTimeoutCheck => broker.on_txn_timeout_check(&mut ctx),
                            Timer::TxnVerificationTimeout { verification_id } => {
                                broker.on_verification_timeout(&mut ctx, verification_id)
                            }
                            Timer::CoordinatorWriteTimeout {
                                partition,
                                required_hw,
                            } => broker.on_coordinator_write_timeout(
                                &mut ctx,
                                partition,
                                required_hw,
                            ),
                            Timer::ConsumerGroupSession { group, member } => {
                                broker.on_consumer_group_session_timer(&mut ctx, &group, &member)
                            }
                            Timer::ConsumerGroupRebalance { group, member } => {
                                broker.on_consumer_group_rebalance_timer(&mut ctx, &group, &member)
                            }
                            _ => {}
                        }
                    }
                }
            }
        } else if let Some(controller) = controllers.get_mut(&node) {
            match timer {
                Timer::Raft(t) => {
                    let outputs = controller.raft.handle_timer(now, t, ctx.rng);
                    controller.apply_raft_outputs(&mut ctx, outputs);
                }
                other => {
                    if controller.take_timer(&other, now) {
                        match other {
                            Timer::FenceCheck => controller.on_fence_check(&mut ctx),
                            Timer::LeaderImbalance => {
                                controller.on_leader_imbalance_check(&mut ctx)
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        ctx.out
    }

    // ------------------------------------------------------------------ commands

    /// Applies one user command. Time-travel commands belong to the timeline and are refused.
    /// The outcome holds every event the command caused, the steps of a time command included.
    pub fn apply(&mut self, command: &Command) -> Result<Outcome, CommandError> {
        let mut stepped = Vec::new();
        let mut outcome = self.apply_observed(command, |_, events| stepped.extend(events))?;
        if !stepped.is_empty() {
            outcome.events = stepped;
        }
        Ok(outcome)
    }

    /// Like [`Simulation::apply`], but the steps a time command takes are handed to
    /// `after_step` one at a time, with their events, instead of being collected in the
    /// outcome: an hour of simulated time is a million events, which the caller may keep,
    /// print or drop as they come (the timeline takes its snapshots there).
    pub fn apply_observed(
        &mut self,
        command: &Command,
        after_step: impl FnMut(&Simulation, Vec<Event>),
    ) -> Result<Outcome, CommandError> {
        let result = self.apply_command(command, after_step);
        self.refresh_images();
        result
    }

    fn apply_command(
        &mut self,
        command: &Command,
        mut after_step: impl FnMut(&Simulation, Vec<Event>),
    ) -> Result<Outcome, CommandError> {
        let mut outcome = Outcome::default();
        match command {
            Command::Step { count } => {
                for _ in 0..(*count).max(0) {
                    let events = self.step();
                    if events.is_empty() {
                        break;
                    }
                    after_step(self, events);
                }
            }
            Command::StepUntil { filter, max_steps } => {
                for _ in 0..(*max_steps).max(0) {
                    let events = self.step();
                    if events.is_empty() {
                        break;
                    }
                    let hit = events.iter().any(|e| crate::timeline::matches(*filter, e));
                    after_step(self, events);
                    if hit {
                        break;
                    }
                }
            }
            Command::Run { duration_ms } => {
                let until = self.now_ms + (*duration_ms).max(0);
                // Dead timers are dropped first, so a step never reaches past `until` to the
                // next live item (time would then run backwards to `until`).
                while self.drop_dead_timers()
                    && self
                        .queue
                        .first_key_value()
                        .is_some_and(|(&(t, _), _)| t <= until)
                {
                    let events = self.step();
                    after_step(self, events);
                }
                self.now_ms = until;
            }
            Command::Back { .. } | Command::Seek { .. } | Command::Fork => {
                return fail("back, seek and fork move through the run's history: they need a timeline, not a single state");
            }
            other => {
                let outputs = self.apply_action(other, &mut outcome)?;
                let mut events = Vec::new();
                for (node, out) in outputs {
                    self.apply_outputs(node, out, &mut events);
                }
                outcome.events.extend(events);
            }
        }
        Ok(outcome)
    }

    fn with_controller(
        &mut self,
        f: impl FnOnce(&mut Controller, &mut Ctx) -> Result<(), CommandError>,
    ) -> Result<Vec<(NodeId, Vec<Output>)>, CommandError> {
        let Some(id) = self.active_controller_id() else {
            return fail("there is no active controller right now (the quorum is electing one); step or run a little and try again");
        };
        let now = self.now_ms;
        let Simulation {
            rng, controllers, ..
        } = self;
        let Some(controller) = controllers.get_mut(&id) else {
            return fail("the active controller vanished");
        };
        let mut ctx = Ctx {
            now,
            node: id,
            rng,
            out: Vec::new(),
        };
        f(controller, &mut ctx)?;
        Ok(vec![(id, ctx.out)])
    }

    fn apply_action(
        &mut self,
        command: &Command,
        outcome: &mut Outcome,
    ) -> Result<Vec<(NodeId, Vec<Output>)>, CommandError> {
        match command {
            Command::ProducerStart { .. }
            | Command::ProducerSend { .. }
            | Command::ProducerAction { .. }
            | Command::ProducerSendOffsets { .. } => self.apply_producer_command(command, outcome),
            Command::ConsumerStart { .. }
            | Command::ConsumerStop { .. }
            | Command::ConsumerCrash { .. }
            | Command::ConsumerRestart { .. }
            | Command::ConsumerSet { .. }
            | Command::ConsumerGroups(_) => self.apply_consumer_command(command, outcome),
            Command::CreateTopic {
                topic,
                partitions,
                replication_factor,
                configs,
                replica_assignment,
            } => self.create_topic(
                topic,
                *partitions,
                *replication_factor,
                configs,
                replica_assignment.as_ref(),
            ),
            Command::AlterTopicPartitions { topic, partitions } => {
                self.add_partitions(topic, *partitions, outcome)
            }
            Command::DescribeTopics { topic } => {
                let view = crate::view::cluster_view(self);
                if let Some(t) = topic {
                    if !view.topics.iter().any(|x| &x.name == t) {
                        return fail(format!(
                            "topic '{t}' does not exist (UNKNOWN_TOPIC_OR_PARTITION)"
                        ));
                    }
                }
                let filtered = crate::view::ClusterView {
                    topics: view
                        .topics
                        .into_iter()
                        .filter(|x| topic.as_ref().is_none_or(|t| &x.name == t))
                        .collect(),
                    ..view
                };
                outcome.output = Some(crate::describe::describe_topics(&filtered));
                Ok(Vec::new())
            }
            Command::ListTopics => {
                let image = self.metadata();
                let mut topics = image.topics.clone();
                crate::sort::sort(&mut topics);
                outcome.output = Some(topics.iter().map(|t| format!("{t}\n")).collect());
                Ok(Vec::new())
            }
            Command::DescribeConfigs { entity } => {
                outcome.output = Some(crate::describe::describe_configs(&self.metadata(), entity));
                Ok(Vec::new())
            }
            Command::DescribeQuorum { replication } => {
                outcome.output = Some(crate::describe::describe_quorum(self, *replication));
                Ok(Vec::new())
            }
            Command::DumpLog {
                partition,
                broker,
                print_data_log,
            } => {
                let chosen = match broker {
                    Some(b) => self.brokers.get(b).map(|x| (*b, x)),
                    None => self
                        .brokers
                        .iter()
                        .find(|(_, x)| {
                            x.alive
                                && x.replicas
                                    .get(partition)
                                    .is_some_and(|r| r.leader.is_some())
                        })
                        .map(|(id, x)| (*id, x)),
                };
                let Some((id, replica)) =
                    chosen.and_then(|(id, b)| b.replicas.get(partition).map(|r| (id, r)))
                else {
                    return fail(format!(
                        "no replica of {partition} {}",
                        match broker {
                            Some(b) => format!("on broker {b}"),
                            None => "has a live leader".to_string(),
                        }
                    ));
                };
                outcome.output = Some(crate::describe::dump_log(
                    partition,
                    id,
                    &replica.log,
                    *print_data_log,
                ));
                Ok(Vec::new())
            }
            Command::AlterConfigs {
                entity,
                set,
                delete,
            } => {
                let image = self.metadata();
                let topic = match entity {
                    ConfigEntity::Topic(t) => {
                        if !image.topics.contains(t) {
                            return fail(format!("topic '{t}' does not exist"));
                        }
                        Some(t.clone())
                    }
                    ConfigEntity::Broker(_) => None,
                };
                let mut records = Vec::new();
                let mut static_configs = Vec::new();
                for (name, value) in set {
                    let Some(def) = crate::config::find(name) else {
                        return fail(format!(
                            "unknown config '{name}': the sandbox knows {}",
                            crate::config::CONFIGS
                                .iter()
                                .map(|c| c.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    };
                    if topic.is_some() && def.scope != crate::config::Scope::Topic {
                        return fail(format!("'{name}' is a broker config, not a topic config: use --entity-type brokers"));
                    }
                    crate::config::validate(def, value)
                        .map_err(|message| CommandError { message })?;
                    if !def.dynamic {
                        static_configs.push(name.clone());
                    }
                    records.push(MetadataRecord::Config {
                        topic: topic.clone(),
                        broker: None,
                        name: name.clone(),
                        value: Some(value.clone()),
                    });
                }
                for name in delete {
                    records.push(MetadataRecord::Config {
                        topic: topic.clone(),
                        broker: None,
                        name: name.clone(),
                        value: None,
                    });
                }
                let outputs = self.with_controller(|c, ctx| {
                    c.append_records(ctx, records);
                    Ok(())
                })?;
                let target = match entity {
                    ConfigEntity::Topic(t) => format!("topic {t}"),
                    ConfigEntity::Broker(Some(b)) => format!("broker {b}"),
                    ConfigEntity::Broker(None) => "the cluster's brokers".to_string(),
                };
                let mut text = format!("Completed updating config for {target}.\n");
                if !static_configs.is_empty() {
                    text.push_str(&format!(
                        "Note: in Kafka {} is read from server.properties at startup; the sandbox applies it to the running brokers at once.\n",
                        static_configs.join(", ")
                    ));
                }
                outcome.output = Some(text);
                Ok(outputs)
            }
            Command::ElectLeaders {
                election,
                partition,
            } => {
                let election = *election;
                let only = partition.clone();
                let mut text = String::new();
                let outputs = self.with_controller(|c, ctx| {
                    let image = c.image();
                    if let Some(tp) = &only {
                        if !image.partitions.contains_key(tp) {
                            return fail(format!(
                                "{tp} does not exist (UNKNOWN_TOPIC_OR_PARTITION)"
                            ));
                        }
                    }
                    let records = c.elect(ctx, &image, election, only.as_ref(), false);
                    text = crate::describe::describe_election(
                        &image,
                        election,
                        only.as_ref(),
                        &records,
                    );
                    c.append_records(ctx, records);
                    Ok(())
                })?;
                outcome.output = Some(text);
                Ok(outputs)
            }
            Command::Produce {
                partition,
                count,
                acks,
                key,
                value,
                timeout_ms,
            } => {
                self.records_fit(i64::from(*count))?;
                self.refresh_bootstrap();
                let mut ctx = Ctx {
                    now: self.now_ms,
                    node: CLIENT_ID,
                    rng: &mut self.rng,
                    out: Vec::new(),
                };
                self.client.produce(
                    &mut ctx,
                    partition.clone(),
                    *count,
                    *acks,
                    key.clone(),
                    value.clone(),
                    *timeout_ms,
                );
                Ok(vec![(CLIENT_ID, ctx.out)])
            }
            Command::Consume {
                partition,
                from_offset,
            } => {
                self.refresh_bootstrap();
                let mut ctx = Ctx {
                    now: self.now_ms,
                    node: CLIENT_ID,
                    rng: &mut self.rng,
                    out: Vec::new(),
                };
                self.client
                    .consume(&mut ctx, partition.clone(), *from_offset);
                Ok(vec![(CLIENT_ID, ctx.out)])
            }
            Command::Crash { node } => self.crash(*node, outcome),
            Command::Restart { node } => self.restart(*node, outcome),
            Command::Shutdown { node } => {
                let node = *node;
                let Some(broker) = self.brokers.get_mut(&node) else {
                    return fail(format!(
                        "controlled shutdown applies to brokers; {} is not one",
                        node_label(node)
                    ));
                };
                if !broker.alive {
                    return fail(format!("broker {node} is already down"));
                }
                broker.want_shutdown = true;
                outcome.events.push(self.event(
                    node,
                    EventKind::Command,
                    None,
                    format!("Broker {node} begins a controlled shutdown: its next heartbeat asks the controller to move its leaderships away first"),
                ));
                Ok(Vec::new())
            }
            Command::Partition { side_a, side_b } => {
                for &n in side_a.iter().chain(side_b) {
                    if !self.node_exists(n) {
                        return fail(format!("there is no node {n}"));
                    }
                }
                for &a in side_a {
                    for &b in side_b {
                        self.network.cut.insert(pair(a, b));
                    }
                }
                let list = |v: &[NodeId]| {
                    v.iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                outcome.events.push(self.event(
                    side_a[0],
                    EventKind::Command,
                    None,
                    format!("The network is partitioned between {{{}}} and {{{}}}: messages between the two sides are lost", list(side_a), list(side_b)),
                ));
                Ok(Vec::new())
            }
            Command::Heal { sides } => {
                match sides {
                    None => self.network.cut.clear(),
                    Some((a, b)) => {
                        for &x in a {
                            for &y in b {
                                self.network.cut.remove(&pair(x, y));
                            }
                        }
                    }
                }
                outcome.events.push(self.event(
                    0,
                    EventKind::Command,
                    None,
                    "The network heals: messages flow again".to_string(),
                ));
                Ok(Vec::new())
            }
            Command::SlowLink { a, b, latency_ms } => {
                if !self.node_exists(*a) || !self.node_exists(*b) {
                    return fail("slow needs two existing node ids");
                }
                if *latency_ms == DEFAULT_LATENCY_MS {
                    self.network.latency_ms.remove(&pair(*a, *b));
                } else {
                    self.network.latency_ms.insert(pair(*a, *b), *latency_ms);
                }
                outcome.events.push(self.event(
                    *a,
                    EventKind::Command,
                    None,
                    format!(
                        "Messages between {} and {} now take {latency_ms} ms each way",
                        node_label(*a),
                        node_label(*b)
                    ),
                ));
                Ok(Vec::new())
            }
            Command::PauseFetch { broker, partition }
            | Command::ResumeFetch { broker, partition } => {
                let pause = matches!(command, Command::PauseFetch { .. });
                let id = *broker;
                let Some(b) = self.brokers.get_mut(&id) else {
                    return fail(format!("there is no broker {id}"));
                };
                if pause {
                    b.paused.insert(partition.clone());
                } else {
                    b.paused.remove(partition);
                }
                let what = partition
                    .as_ref()
                    .map_or("every partition".to_string(), |p| p.to_string());
                let text = if pause {
                    format!("Broker {id} stops fetching {what} as a follower: it will fall behind and, after replica.lag.time.max.ms, out of the ISR")
                } else {
                    format!("Broker {id} fetches {what} again")
                };
                let now = self.now_ms;
                let Simulation { rng, brokers, .. } = self;
                let mut ctx = Ctx {
                    now,
                    node: id,
                    rng,
                    out: Vec::new(),
                };
                if let Some(b) = brokers.get_mut(&id) {
                    b.maybe_fetch(&mut ctx);
                }
                let out = ctx.out;
                outcome
                    .events
                    .push(self.event(id, EventKind::Command, partition.clone(), text));
                Ok(vec![(id, out)])
            }
            Command::Step { .. }
            | Command::StepUntil { .. }
            | Command::Run { .. }
            | Command::Back { .. }
            | Command::Seek { .. }
            | Command::Fork => Ok(Vec::new()),
        }
    }

    fn refresh_bootstrap(&mut self) {
        // A refused connection fails at once, so the client effectively reaches a live broker.
        self.client.bootstrap = self
            .brokers
            .values()
            .filter(|b| b.alive && !self.network.is_cut(CLIENT_ID, b.id))
            .map(|b| b.id)
            .collect();
    }

    /// Refuses `adding` more records when the cluster would hold more than
    /// [`MAX_CLUSTER_RECORDS`].
    pub(crate) fn records_fit(&self, adding: i64) -> Result<(), CommandError> {
        let held: i64 = self
            .brokers
            .values()
            .flat_map(|b| b.replicas.values())
            .filter(|r| r.leader.is_some())
            .map(|r| r.log.records().len() as i64)
            .sum();
        if held + adding > MAX_CLUSTER_RECORDS {
            return fail(format!(
                "the sandbox keeps at most {MAX_CLUSTER_RECORDS} records in a cluster (every replica holds them in this page's memory); it has {held}, so {adding} more would pass that. Produce fewer, or start a new run"
            ));
        }
        Ok(())
    }

    fn create_topic(
        &mut self,
        topic: &str,
        partitions: i32,
        replication_factor: i32,
        configs: &[(String, String)],
        assignment: Option<&Vec<Vec<NodeId>>>,
    ) -> Result<Vec<(NodeId, Vec<Output>)>, CommandError> {
        let Some(controller) = self.active_controller() else {
            return fail("there is no active controller right now (the quorum is electing one); step or run a little and try again");
        };
        let image = controller.peek_image();
        if image.topics.iter().any(|t| t == topic) {
            return fail(format!(
                "Topic '{topic}' already exists. (TOPIC_ALREADY_EXISTS)"
            ));
        }
        let adding = assignment.map_or(partitions.max(0) as usize, |a| a.len());
        partitions_fit(image.partitions.len(), adding)?;
        for (name, _) in configs {
            match crate::config::find(name) {
                Some(def) if def.scope == crate::config::Scope::Topic => {}
                _ => return fail(format!("unknown topic config '{name}'")),
            }
        }
        let replicas: Vec<Vec<NodeId>> = match assignment {
            Some(a) => {
                for r in a.iter().flatten() {
                    if !image.brokers.contains_key(r) {
                        return fail(format!(
                            "--replica-assignment names broker {r}, which is not registered"
                        ));
                    }
                }
                a.clone()
            }
            None => {
                let brokers = placement_brokers(&image);
                // KRaft's StripedReplicaPlacer draws from java.util.Random; the sandbox seeds
                // it from its own PRNG so placement is random across seeds but reproducible.
                let seed = self.rng.next_u64() as i64;
                let mut random = crate::java::JavaRandom::new(seed);
                crate::placement::place(&brokers, partitions, replication_factor, &mut random)
                    .map_err(|e| CommandError {
                        message: format!(
                            "{e} ({})",
                            e.kafka_exception()
                                .unwrap_or("InvalidReplicationFactorException")
                        ),
                    })?
            }
        };
        check_startable(&image, topic, 0, &replicas)?;
        let mut records = vec![MetadataRecord::Topic {
            topic_id: topic_id(&mut self.rng),
            name: topic.to_string(),
        }];
        for (name, value) in configs {
            records.push(MetadataRecord::Config {
                topic: Some(topic.to_string()),
                broker: None,
                name: name.clone(),
                value: Some(value.clone()),
            });
        }
        for (p, reps) in replicas.iter().enumerate() {
            let isr: Vec<NodeId> = reps
                .iter()
                .copied()
                .filter(|r| image.is_active(*r))
                .collect();
            records.push(MetadataRecord::Partition {
                topic: topic.to_string(),
                partition: p as i32,
                replicas: reps.clone(),
                leader: isr.first().copied(),
                isr,
                leader_epoch: 0,
                partition_epoch: 0,
            });
        }
        self.with_controller(|c, ctx| {
            c.append_records(ctx, records);
            Ok(())
        })
    }

    /// `CreatePartitions`: the new partitions are placed like a new topic's (the placer
    /// ignores where numbering starts) with the topic's replication factor.
    fn add_partitions(
        &mut self,
        topic: &str,
        total: i32,
        outcome: &mut Outcome,
    ) -> Result<Vec<(NodeId, Vec<Output>)>, CommandError> {
        let Some(controller) = self.active_controller() else {
            return fail("there is no active controller right now (the quorum is electing one); step or run a little and try again");
        };
        let id = controller.id;
        let image = controller.peek_image();
        let existing: Vec<&crate::metadata::PartitionRegistration> = image
            .partitions
            .iter()
            .filter(|(tp, _)| *tp.topic == *topic)
            .map(|(_, r)| r)
            .collect();
        if existing.is_empty() {
            return fail(format!(
                "Topic '{topic}' does not exist (UNKNOWN_TOPIC_OR_PARTITION)"
            ));
        }
        let current = existing.len() as i32;
        if total <= current {
            return fail(format!(
                "Topic currently has {current} partitions, which is higher than or equal to the requested {total}. (INVALID_PARTITIONS: partitions can only be added)"
            ));
        }
        partitions_fit(image.partitions.len(), (total - current) as usize)?;
        let replication_factor = existing[0].replicas.len() as i32;
        let brokers = placement_brokers(&image);
        let seed = self.rng.next_u64() as i64;
        let mut random = crate::java::JavaRandom::new(seed);
        let placed =
            crate::placement::place(&brokers, total - current, replication_factor, &mut random)
                .map_err(|e| CommandError {
                    message: format!(
                        "{e} ({})",
                        e.kafka_exception()
                            .unwrap_or("InvalidReplicationFactorException")
                    ),
                })?;
        check_startable(&image, topic, current, &placed)?;
        let records: Vec<MetadataRecord> = placed
            .iter()
            .enumerate()
            .map(|(i, reps)| {
                let isr: Vec<NodeId> = reps
                    .iter()
                    .copied()
                    .filter(|r| image.is_active(*r))
                    .collect();
                MetadataRecord::Partition {
                    topic: topic.to_string(),
                    partition: current + i as i32,
                    replicas: reps.clone(),
                    leader: isr.first().copied(),
                    isr,
                    leader_epoch: 0,
                    partition_epoch: 0,
                }
            })
            .collect();
        outcome.events.push(self.event(
            id,
            EventKind::Command,
            None,
            format!("{topic} grows from {current} to {total} partitions: existing records stay where they are, but producers that learn the new count hash keys over {total}, so some keys change partition (per-key order holds only within a partition)"),
        ));
        self.with_controller(|c, ctx| {
            c.append_records(ctx, records);
            Ok(())
        })
    }

    fn crash(
        &mut self,
        node: NodeId,
        outcome: &mut Outcome,
    ) -> Result<Vec<(NodeId, Vec<Output>)>, CommandError> {
        if let Some(b) = self.brokers.get_mut(&node) {
            if !b.alive {
                return fail(format!("broker {node} is already down"));
            }
            b.crash();
        } else if let Some(c) = self.controllers.get_mut(&node) {
            if !c.alive {
                return fail(format!("controller {node} is already down"));
            }
            c.crash();
        } else {
            return fail(format!(
                "there is no node {node}: brokers are 0..{}, controllers {}..{}",
                self.spec.brokers,
                CONTROLLER_ID_BASE,
                CONTROLLER_ID_BASE + self.spec.controllers
            ));
        }
        outcome.events.push(self.event(
            node,
            EventKind::Command,
            None,
            format!(
                "{} crashes: it stops answering; what it wrote to disk stays",
                node_label(node)
            ),
        ));
        // Consumers connected to a crashed broker see their connection drop at once.
        let mut outputs = Vec::new();
        let ids: Vec<NodeId> = self.consumers.keys().copied().collect();
        for id in ids {
            if self.network.is_cut(id, node) {
                continue;
            }
            outputs.extend(self.with_consumer(id, |c, ctx| c.on_broker_down(ctx, node))?);
        }
        Ok(outputs)
    }

    /// Tells every consumer still able to reach `broker` that its connection to it dropped,
    /// and returns the events that caused.
    fn drop_connections(&mut self, broker: NodeId) -> Vec<Event> {
        let mut events = self.drop_producer_connections(broker);
        let ids: Vec<NodeId> = self.consumers.keys().copied().collect();
        for id in ids {
            if self.network.is_cut(id, broker) {
                continue;
            }
            if let Ok(outputs) = self.with_consumer(id, |c, ctx| c.on_broker_down(ctx, broker)) {
                for (node, out) in outputs {
                    self.apply_outputs(node, out, &mut events);
                }
            }
        }
        events
    }

    fn restart(
        &mut self,
        node: NodeId,
        outcome: &mut Outcome,
    ) -> Result<Vec<(NodeId, Vec<Output>)>, CommandError> {
        let now = self.now_ms;
        let Simulation {
            rng,
            brokers,
            controllers,
            ..
        } = self;
        let mut ctx = Ctx {
            now,
            node,
            rng,
            out: Vec::new(),
        };
        if let Some(b) = brokers.get_mut(&node) {
            if b.alive {
                return fail(format!("broker {node} is already running"));
            }
            b.alive = true;
            let outputs = b.metadata.restart(now, ctx.rng);
            b.start(&mut ctx, outputs);
        } else if let Some(c) = controllers.get_mut(&node) {
            if c.alive {
                return fail(format!("controller {node} is already running"));
            }
            c.alive = true;
            let outputs = c.raft.restart(now, ctx.rng);
            c.apply_raft_outputs(&mut ctx, outputs);
        } else {
            return fail(format!("there is no node {node}"));
        }
        let out = ctx.out;
        outcome.events.push(self.event(
            node,
            EventKind::Command,
            None,
            format!("{} restarts and rejoins the cluster", node_label(node)),
        ));
        Ok(vec![(node, out)])
    }
}

/// A topic id as Kafka prints one (`Uuid.toString`: 16 random bytes in unpadded base64url),
/// drawn from the run's PRNG so it is the same on every replay.
/// The brokers the replica placer may use (`BrokerHeartbeatManager.usableBrokers`): every
/// registered broker but those in controlled shutdown, with whether it is fenced.
fn placement_brokers(image: &MetadataImage) -> Vec<crate::placement::BrokerMetadata> {
    image
        .brokers
        .values()
        .filter(|b| !b.in_controlled_shutdown)
        .map(|b| crate::placement::BrokerMetadata::new(b.id, b.rack.as_deref(), b.fenced))
        .collect()
}

/// `Unable to start partition`: a partition whose replicas are all fenced (or shutting down)
/// would have no ISR and no leader, so Kafka refuses to create it.
fn check_startable(
    image: &MetadataImage,
    topic: &str,
    first: i32,
    replicas: &[Vec<NodeId>],
) -> Result<(), CommandError> {
    for (i, reps) in replicas.iter().enumerate() {
        if !reps.iter().any(|r| image.is_active(*r)) {
            return fail(format!(
                "Unable to start partition {} of topic {topic}: all its replicas ({}) are fenced or shutting down (INVALID_REPLICATION_FACTOR)",
                first + i as i32,
                reps.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(",")
            ));
        }
    }
    Ok(())
}

pub(crate) fn topic_id(rng: &mut SimRng) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bits = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    // 22 characters of 6 bits cover the 128 bits (the last character carries 2).
    (0..22)
        .map(|i| {
            let shift = 128i32 - 6 * (i + 1);
            let index = if shift >= 0 {
                (bits >> shift) & 0x3f
            } else {
                (bits << -shift) & 0x3f
            };
            ALPHABET[index as usize] as char
        })
        .collect()
}

/// A short description of a message for the trace when the handler said nothing more.
fn summarize(message: &Message) -> String {
    match message {
        Message::Fetch { partitions, .. } => format!(
            "Fetch({})",
            partitions
                .iter()
                .map(|p| format!("{} @{}", p.partition, p.fetch_offset))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Message::FetchResponse { partitions } => {
            let n: usize = partitions.iter().map(|p| p.records.len()).sum();
            format!("FetchResponse({n} record(s))")
        }
        other => other.name(),
    }
}

/// Routes a message to a consumer.
fn deliver_to_consumer(consumer: &mut Consumer, ctx: &mut Ctx, from: NodeId, message: Message) {
    match message {
        Message::MetadataResponse { leaders, cluster } => {
            consumer.handle_metadata(ctx, leaders, cluster)
        }
        Message::FindCoordinatorResponse { error, node, .. } => {
            consumer.handle_find_coordinator_response(ctx, error, node)
        }
        Message::JoinGroupResponse {
            error,
            generation,
            protocol_name,
            leader,
            member_id,
            members,
            skip_assignment,
            ..
        } => consumer.handle_join_response(
            ctx,
            error,
            generation,
            protocol_name,
            leader,
            member_id,
            members,
            skip_assignment,
        ),
        Message::SyncGroupResponse {
            error, assignment, ..
        } => consumer.handle_sync_response(ctx, error, assignment),
        Message::HeartbeatResponse { error, .. } => consumer.handle_heartbeat_response(ctx, error),
        Message::LeaveGroupResponse { .. } => {}
        Message::OffsetCommitResponse {
            request_id,
            error,
            offsets,
            ..
        } => consumer.handle_offset_commit_response(ctx, request_id, error, offsets),
        Message::OffsetFetchResponse { error, offsets, .. } => {
            consumer.handle_offset_fetch_response(ctx, error, offsets)
        }
        Message::ListOffsetsResponse { partitions } => {
            consumer.handle_list_offsets_response(ctx, partitions)
        }
        Message::FetchResponse { partitions } => {
            consumer.handle_fetch_response(ctx, from, partitions)
        }
        Message::ConsumerGroupHeartbeatResponse(response) => {
            consumer.handle_consumer_group_heartbeat_response(ctx, from, response)
        }
        _ => {}
    }
}
