//! The discrete-event kernel: simulated time, one seeded PRNG, a queue of in-flight messages
//! and timers, and the network between nodes.
//!
//! One **step** takes the earliest item off the queue, advances the clock to it and delivers
//! it: a message to its destination node, or a timer to the node that set it. Nodes react by
//! sending messages, setting timers and reporting events through a [`Ctx`]; they never read a
//! clock or an OS random source. The queue is a `SortedMap` keyed by `(time, sequence)`, so ties
//! are broken by the order items were scheduled and nothing depends on hashing: the same seed
//! and commands give the same trace on every platform.
//!
//! Timers are not cancelled; a node remembers the deadline of each timer it set, and a timer
//! that fires after being replaced is skipped without counting as a step.

use crate::sorted::SortedMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::broker::{Broker, BrokerTimer};
use crate::client::{Client, ClientTimer, ProduceOrder, CLIENT_ID};
use crate::command::{
    ClusterSpec, Command, ConfigEntity, NodeId, TopicPartition, CONTROLLER_ID_BASE,
};
use crate::consumer::{Consumer, ConsumerTimer};
use crate::controller::{Controller, ControllerCtx, ControllerTimer};
use crate::event::{node_label, Event, EventKind};
use crate::kernel::{self, pair, Ctx, Network, Output, Queue};
use crate::metadata::{MetadataImage, MetadataRecord};
use crate::producer::{Producer, ProducerTimer};
use crate::protocol::FetchRequest;
use crate::protocol::Message;
use crate::raft::{RaftConfig, RaftNode};
use crate::rng::SimRng;

pub use crate::kernel::DEFAULT_LATENCY_MS;

mod consumers;
mod producers;

/// A timer in the kernel's queue: the node kind that set it and its own timer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timer {
    Broker(BrokerTimer),
    Controller(ControllerTimer),
    Client(ClientTimer),
    Consumer(ConsumerTimer),
    Producer(ProducerTimer),
}

impl From<BrokerTimer> for Timer {
    fn from(t: BrokerTimer) -> Timer {
        Timer::Broker(t)
    }
}
impl From<ControllerTimer> for Timer {
    fn from(t: ControllerTimer) -> Timer {
        Timer::Controller(t)
    }
}
impl From<ClientTimer> for Timer {
    fn from(t: ClientTimer) -> Timer {
        Timer::Client(t)
    }
}
impl From<ConsumerTimer> for Timer {
    fn from(t: ConsumerTimer) -> Timer {
        Timer::Consumer(t)
    }
}
impl From<ProducerTimer> for Timer {
    fn from(t: ProducerTimer) -> Timer {
        Timer::Producer(t)
    }
}

impl Timer {
    pub fn name(&self) -> String {
        match self {
            Timer::Broker(t) => t.name(),
            Timer::Controller(t) => t.name(),
            Timer::Client(t) => t.name(),
            Timer::Consumer(t) => t.name(),
            Timer::Producer(t) => t.name(),
        }
    }
}

/// What is in the queue: messages on their way and every node's timers.
pub type Item = kernel::Item<Timer>;

/// Messages and timers per node, as a command produces them.
type NodeOutputs = Vec<(NodeId, Vec<Output<Timer>>)>;

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

/// Why a query or an offset reset reaching the simulation itself is refused: the tools read
/// the cluster as admin clients do, from above it.
const READ_BY_TOOLS: &str = "the kafka-*.sh tools that read the cluster (describe, list, dump-log, --reset-offsets) run as admin clients: apply them through tools::apply (the timeline does)";

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
    rng: SimRng,
    pub queue: Queue<Timer>,
    pub brokers: SortedMap<NodeId, Broker>,
    pub controllers: SortedMap<NodeId, Controller>,
    pub client: Client,
    /// Consumer clients by node id (`CONSUMER_ID_BASE + n`, in the order started).
    #[serde(default)]
    pub consumers: SortedMap<NodeId, Consumer>,
    /// Producer clients by node id (`PRODUCER_ID_BASE + n`, in the order started).
    #[serde(default)]
    pub producers: SortedMap<NodeId, Producer>,
    /// The highest offset processed so far per (group, partition), by any consumer: a record
    /// processed at or below it is processed again (at-least-once).
    #[serde(default)]
    pub processed: SortedMap<(String, TopicPartition), i64>,
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
            rng: SimRng::new(spec.seed),
            queue: Queue::default(),
            brokers: SortedMap::new(),
            controllers: SortedMap::new(),
            client: Client::new(),
            consumers: SortedMap::new(),
            producers: SortedMap::new(),
            processed: SortedMap::new(),
            network: Network::default(),
            raft_config: RaftConfig::default(),
            spec: spec.clone(),
        };
        let voters: Vec<NodeId> = (0..spec.controllers.max(1))
            .map(|i| CONTROLLER_ID_BASE + i)
            .collect();
        for &id in &voters {
            let mut ctx = Ctx::new(0, id, &mut sim.rng);
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
            let mut ctx = Ctx::new(0, id, &mut sim.rng);
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
            crate::coordinator::group::OFFSETS_TOPIC,
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
            crate::coordinator::txn::TRANSACTION_STATE_TOPIC,
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
        self.queue.schedule(at, item);
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
            milestone: None,
        }
    }

    /// Puts what a node asked for into the queue (its messages, its timers wrapped as the
    /// kernel's) and its events into `events`.
    fn apply_outputs<T: Into<Timer>>(
        &mut self,
        node: NodeId,
        outputs: Vec<Output<T>>,
        events: &mut Vec<Event>,
    ) {
        for output in outputs {
            match output.map_timer(Into::into) {
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
                Output::Event(kind, partition, text, milestone) => {
                    let mut event = self.event(node, kind, partition, text);
                    event.milestone = milestone;
                    events.push(event);
                }
            }
        }
    }

    fn timer_is_live(&self, node: NodeId, timer: &Timer, at: i64) -> bool {
        match timer {
            Timer::Client(t) => node == CLIENT_ID && self.client.timers.is_live(t, at),
            Timer::Consumer(t) => self
                .consumers
                .get(&node)
                .is_some_and(|c| c.alive && c.timers.is_live(t, at)),
            Timer::Producer(t) => self
                .producers
                .get(&node)
                .is_some_and(|p| p.alive && p.timers.is_live(t, at)),
            Timer::Broker(t) => self
                .brokers
                .get(&node)
                .is_some_and(|b| b.alive && b.is_timer_live(t, at)),
            Timer::Controller(t) => self
                .controllers
                .get(&node)
                .is_some_and(|c| c.alive && c.is_timer_live(t, at)),
        }
    }

    /// Removes timers that were reset or cancelled from the front of the queue. Returns
    /// whether anything is left.
    fn drop_dead_timers(&mut self) -> bool {
        while let Some((&key, item)) = self.queue.first() {
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
        if !self.queue.wants_sweep() {
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
        self.queue.sweep(dead);
    }

    /// Takes one step: delivers the next message or fires the next live timer.
    /// Returns its events (at least one), or nothing when the queue is empty.
    pub fn step(&mut self) -> Vec<Event> {
        self.sweep_dead_timers();
        loop {
            let Some((&key, _)) = self.queue.first() else {
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
                    let (now, rng) = (self.now_ms, &mut self.rng);
                    let out = if let Some(consumer) = self.consumers.get_mut(&from) {
                        handled(now, from, rng, |ctx| {
                            consumer.handle_disconnect(ctx, to, &message)
                        })
                    } else if let Some(producer) = self.producers.get_mut(&from) {
                        handled(now, from, rng, |ctx| {
                            producer.handle_disconnect(ctx, to, &message)
                        })
                    } else {
                        let client = &mut self.client;
                        handled(now, from, rng, |ctx| {
                            client.handle_disconnect(ctx, to, &message)
                        })
                    };
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

    /// Routes a message to its node, which handles it with a handle typed by its own timers.
    fn deliver(&mut self, from: NodeId, to: NodeId, message: Message) -> Vec<Output<Timer>> {
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
        if let Some(consumer) = consumers.get_mut(&to) {
            handled(now, to, rng, |ctx| {
                consumer.handle_message(ctx, from, message)
            })
        } else if let Some(producer) = producers.get_mut(&to) {
            handled(now, to, rng, |ctx| {
                producer.handle_message(ctx, from, message)
            })
        } else if to == CLIENT_ID {
            handled(now, to, rng, |ctx| {
                client.handle_message(ctx, from, message)
            })
        } else if let Some(broker) = brokers.get_mut(&to) {
            handled(now, to, rng, |ctx| {
                broker.handle_message(ctx, from, message)
            })
        } else if let Some(controller) = controllers.get_mut(&to) {
            handled(now, to, rng, |ctx| {
                controller.handle_message(ctx, from, message)
            })
        } else {
            // `dispatch` drops messages to nodes that do not exist or are down before this.
            Vec::new()
        }
    }

    /// Fires a timer at the node that set it: the timer's kind says which node kind that is.
    fn fire(&mut self, node: NodeId, timer: Timer) -> Vec<Output<Timer>> {
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
        // A timer is only fired while its node exists (`step` skips the others as not live).
        match timer {
            Timer::Producer(t) => producers.get_mut(&node).map_or_else(Vec::new, |producer| {
                handled(now, node, rng, |ctx| producer.handle_timer(ctx, t))
            }),
            Timer::Consumer(t) => consumers.get_mut(&node).map_or_else(Vec::new, |consumer| {
                handled(now, node, rng, |ctx| {
                    consumer.handle_timer(ctx, t, processed)
                })
            }),
            Timer::Client(t) => handled(now, node, rng, |ctx| client.handle_timer(ctx, t)),
            Timer::Broker(t) => brokers.get_mut(&node).map_or_else(Vec::new, |broker| {
                handled(now, node, rng, |ctx| broker.handle_timer(ctx, t))
            }),
            Timer::Controller(t) => controllers
                .get_mut(&node)
                .map_or_else(Vec::new, |controller| {
                    handled(now, node, rng, |ctx| controller.handle_timer(ctx, t))
                }),
        }
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
                    let hit = events.iter().any(|e| filter.matches(e));
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
                    && self.queue.first().is_some_and(|(&(t, _), _)| t <= until)
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
        f: impl FnOnce(&mut Controller, &mut ControllerCtx) -> Result<(), CommandError>,
    ) -> Result<NodeOutputs, CommandError> {
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
        let mut ctx = Ctx::new(now, id, rng);
        f(controller, &mut ctx)?;
        Ok(vec![(id, wrap(ctx.out))])
    }

    fn apply_action(
        &mut self,
        command: &Command,
        outcome: &mut Outcome,
    ) -> Result<NodeOutputs, CommandError> {
        match command {
            Command::ProducerStart { .. }
            | Command::ProducerSend { .. }
            | Command::ProducerAction { .. }
            | Command::ProducerRestart { .. }
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
                    text = crate::controller::describe_election(
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
                let client = &mut self.client;
                let out = handled(self.now_ms, CLIENT_ID, &mut self.rng, |ctx| {
                    let order = ProduceOrder {
                        partition: partition.clone(),
                        count: *count,
                        acks: *acks,
                        key: key.clone(),
                        value: value.clone(),
                        timeout_ms: *timeout_ms,
                    };
                    client.produce(ctx, order)
                });
                Ok(vec![(CLIENT_ID, out)])
            }
            Command::Consume {
                partition,
                from_offset,
            } => {
                self.refresh_bootstrap();
                let client = &mut self.client;
                let out = handled(self.now_ms, CLIENT_ID, &mut self.rng, |ctx| {
                    client.consume(ctx, partition.clone(), *from_offset)
                });
                Ok(vec![(CLIENT_ID, out)])
            }
            Command::DeleteRecords { offsets } => {
                self.refresh_bootstrap();
                let client = &mut self.client;
                let out = handled(self.now_ms, CLIENT_ID, &mut self.rng, |ctx| {
                    client.delete_records(ctx, offsets)
                });
                Ok(vec![(CLIENT_ID, out)])
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
                } else if partition.is_none() {
                    // `resume-fetch B` lets every paused follower of the broker fetch again,
                    // those paused one partition at a time included.
                    b.paused.clear();
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
                let out = brokers.get_mut(&id).map_or_else(Vec::new, |b| {
                    handled(now, id, rng, |ctx| b.maybe_fetch(ctx))
                });
                outcome
                    .events
                    .push(self.event(id, EventKind::Command, partition.clone(), text));
                Ok(vec![(id, out)])
            }
            Command::DescribeTopics { .. }
            | Command::ListTopics
            | Command::DescribeConfigs { .. }
            | Command::DescribeQuorum { .. }
            | Command::DumpLog { .. } => fail(READ_BY_TOOLS),
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
    ) -> Result<NodeOutputs, CommandError> {
        let Some(controller) = self.active_controller() else {
            return fail("there is no active controller right now (the quorum is electing one); step or run a little and try again");
        };
        let image = controller.peek_image();
        if image.topics.iter().any(|t| t == topic) {
            return fail(format!(
                "Topic '{topic}' already exists. (TOPIC_ALREADY_EXISTS)"
            ));
        }
        // -1 asks for the cluster's defaults (`ReplicationControlManager.createTopic`).
        let partitions = if partitions == -1 {
            i32::try_from(image.broker_config_i64("num.partitions")).unwrap_or(1)
        } else {
            partitions
        };
        let replication_factor = if replication_factor == -1 {
            i32::try_from(image.broker_config_i64("default.replication.factor")).unwrap_or(1)
        } else {
            replication_factor
        };
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
            topic_id: crate::metadata::new_topic_id(&mut self.rng),
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
    ) -> Result<NodeOutputs, CommandError> {
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

    fn crash(&mut self, node: NodeId, outcome: &mut Outcome) -> Result<NodeOutputs, CommandError> {
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
    ) -> Result<NodeOutputs, CommandError> {
        let now = self.now_ms;
        let Simulation {
            rng,
            brokers,
            controllers,
            ..
        } = self;
        let out = if let Some(b) = brokers.get_mut(&node) {
            if b.alive {
                return fail(format!("broker {node} is already running"));
            }
            b.alive = true;
            handled(now, node, rng, |ctx| {
                let outputs = b.metadata.restart(now, ctx.rng);
                b.start(ctx, outputs);
            })
        } else if let Some(c) = controllers.get_mut(&node) {
            if c.alive {
                return fail(format!("controller {node} is already running"));
            }
            c.alive = true;
            handled(now, node, rng, |ctx| {
                let outputs = c.raft.restart(now, ctx.rng);
                c.apply_raft_outputs(ctx, outputs);
            })
        } else {
            return fail(format!("there is no node {node}"));
        };
        outcome.events.push(self.event(
            node,
            EventKind::Command,
            None,
            format!("{} restarts and rejoins the cluster", node_label(node)),
        ));
        Ok(vec![(node, out)])
    }
}

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

/// A short description of a message for the trace when the handler said nothing more.
fn summarize(message: &Message) -> String {
    match message {
        Message::Fetch(FetchRequest { partitions, .. }) => format!(
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

/// Lets the node `node` handle one input with a fresh handle typed by its own timers, and gives
/// what it asked for with its timers wrapped as the kernel's.
pub(crate) fn handled<T: Into<Timer>>(
    now: i64,
    node: NodeId,
    rng: &mut SimRng,
    handle: impl FnOnce(&mut Ctx<T>),
) -> Vec<Output<Timer>> {
    let mut ctx = Ctx::new(now, node, rng);
    handle(&mut ctx);
    wrap(ctx.out)
}

/// A node's outputs with its timers wrapped as the kernel's.
pub(crate) fn wrap<T: Into<Timer>>(out: Vec<Output<T>>) -> Vec<Output<Timer>> {
    out.into_iter().map(|o| o.map_timer(Into::into)).collect()
}
