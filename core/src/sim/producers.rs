//! Producer clients in the kernel: their commands, their messages, and the transaction
//! traffic brokers answer (see [`crate::producer`] and [`crate::txn`]).

use super::{fail, wrap, CommandError, NodeOutputs, Outcome, Simulation};
use crate::command::{Command, NodeId, ProducerAction};
use crate::event::{Event, EventKind};
use crate::kernel::Ctx;
use crate::producer::ProducerCtx;
use crate::producer::{Producer, ProducerConfig, PRODUCER_ID_BASE};

impl Simulation {
    /// The producer with this `client.id`.
    fn producer_id(&self, name: &str) -> Result<NodeId, CommandError> {
        self.producers
            .values()
            .find(|p| p.name == name)
            .map(|p| p.id)
            .ok_or_else(|| CommandError {
                message: format!(
                    "there is no producer named {name} (start one with `producer start {name}`)"
                ),
            })
    }

    fn with_producer<T>(
        &mut self,
        id: NodeId,
        f: impl FnOnce(&mut Producer, &mut ProducerCtx) -> Result<T, String>,
    ) -> Result<(T, NodeOutputs), CommandError> {
        let now = self.now_ms;
        let Simulation { rng, producers, .. } = self;
        let Some(producer) = producers.get_mut(&id) else {
            return fail("no such producer");
        };
        let mut ctx = Ctx::new(now, id, rng);
        let value = f(producer, &mut ctx).map_err(|message| CommandError { message })?;
        Ok((value, vec![(id, wrap(ctx.out))]))
    }

    /// Starts producer `id`'s process (`initTransactions()` first for a transactional one).
    fn start_producer(&mut self, id: NodeId) -> Result<NodeOutputs, CommandError> {
        Ok(self
            .with_producer(id, |p, ctx| {
                p.start(ctx);
                Ok(())
            })?
            .1)
    }

    pub(super) fn apply_producer_command(
        &mut self,
        command: &Command,
        outcome: &mut Outcome,
    ) -> Result<NodeOutputs, CommandError> {
        match command {
            Command::ProducerStart { name, properties } => {
                if self.producers.values().any(|p| &p.name == name) {
                    return fail(format!("a producer named {name} exists already (`producer restart {name}` starts it again, with `--producer-property KEY=VALUE` for any config to change)"));
                }
                let config = ProducerConfig::from_properties(properties)
                    .map_err(|message| CommandError { message })?;
                let id = PRODUCER_ID_BASE + self.producers.len() as NodeId;
                let text = describe_start(name, &config);
                self.producers.insert(
                    id,
                    Producer::new(
                        id,
                        name.clone(),
                        properties.clone(),
                        config,
                        self.bootstrap(),
                    ),
                );
                outcome
                    .events
                    .push(self.event(id, EventKind::Command, None, text));
                self.start_producer(id)
            }
            Command::ProducerSend {
                name,
                topic,
                count,
                key,
                value,
                partition,
            } => {
                let id = self.producer_id(name)?;
                self.records_fit(i64::from(*count))?;
                if !self.metadata().topics.iter().any(|t| t == topic) {
                    return fail(format!(
                        "topic '{topic}' does not exist (UNKNOWN_TOPIC_OR_PARTITION); create it with kafka-topics.sh --create"
                    ));
                }
                if let Some(p) = partition {
                    let count = self
                        .metadata()
                        .partitions
                        .keys()
                        .filter(|tp| *tp.topic == **topic)
                        .count();
                    if *p < 0 || *p as usize >= count {
                        return fail(format!(
                            "Invalid partition given with record: {p} is not in the range [0...{count}) of topic {topic} (KafkaException)"
                        ));
                    }
                }
                let count = (*count).clamp(1, 100_000);
                let how = match (partition, key) {
                    (Some(p), _) => format!("partition {p}, as named"),
                    (None, Some(k)) => format!("key {k}: murmur2 picks the partition"),
                    (None, None) => "no key: the sticky partitioner picks".to_string(),
                };
                Ok(self
                    .with_producer(id, |p, ctx| {
                        if count > 1 {
                            p.begin_send_summary();
                        }
                        let mut result = Ok(());
                        for _ in 0..count {
                            result = p.send(ctx, topic, key.clone(), value.clone(), *partition);
                            if result.is_err() {
                                break;
                            }
                        }
                        p.end_send_summary(ctx, &how);
                        result
                    })?
                    .1)
            }
            Command::ProducerRestart { name, properties } => {
                let id = self.producer_id(name)?;
                let Some(old) = self.producers.get(&id).cloned() else {
                    return Ok(Vec::new());
                };
                if old.alive {
                    return fail(format!(
                        "producer {name} is running; crash or stop it first"
                    ));
                }
                let (merged, changed) = crate::config::redeployed(&old.properties, properties);
                let config = ProducerConfig::from_properties(&merged)
                    .map_err(|message| CommandError { message })?;
                let mut fresh =
                    Producer::new(id, old.name.clone(), merged, config, self.bootstrap());
                fresh.next_record = old.next_record;
                // A new process has new connections: answers to the old one's
                // requests must not match the new one's, so numbering goes on.
                fresh.next_request_id = old.next_request_id;
                fresh.next_batch_id = old.next_batch_id;
                fresh.acked = old.acked;
                fresh.records_sent = old.records_sent;
                fresh.records_acked = old.records_acked;
                fresh.records_failed = old.records_failed;
                fresh.transactions_committed = old.transactions_committed;
                fresh.transactions_aborted = old.transactions_aborted;
                self.producers.insert(id, fresh);
                outcome.events.push(self.event(
                    id,
                    EventKind::Command,
                    None,
                    format!("Producer {name} starts again as a new instance{}{changed}", match &old.config.transactional_id {
                        Some(t) => format!(" with transactional.id {t}: initTransactions() will fence the old one"),
                        None => " with a new producer id".to_string(),
                    }),
                ));
                self.start_producer(id)
            }
            Command::ProducerAction { name, action } => {
                let id = self.producer_id(name)?;
                match action {
                    ProducerAction::Crash => {
                        let Some(p) = self.producers.get_mut(&id) else {
                            return Ok(Vec::new());
                        };
                        if !p.alive {
                            return fail(format!("producer {name} is not running"));
                        }
                        let lost = p.queued_records();
                        p.crash();
                        outcome.events.push(self.event(
                            id,
                            EventKind::Command,
                            None,
                            format!("Producer {name} crashes: {lost} record(s) still in its accumulator are lost, and requests in flight get no one to answer"),
                        ));
                        Ok(Vec::new())
                    }
                    ProducerAction::Flush => Ok(self
                        .with_producer(id, |p, ctx| {
                            running(p)?;
                            p.flush(ctx);
                            Ok(())
                        })?
                        .1),
                    ProducerAction::Stop => Ok(self
                        .with_producer(id, |p, ctx| {
                            running(p)?;
                            p.close(ctx);
                            Ok(())
                        })?
                        .1),
                    ProducerAction::Begin => {
                        Ok(self.with_producer(id, |p, ctx| p.begin_transaction(ctx))?.1)
                    }
                    ProducerAction::Commit => Ok(self
                        .with_producer(id, |p, ctx| p.commit_transaction(ctx))?
                        .1),
                    ProducerAction::Abort => {
                        Ok(self.with_producer(id, |p, ctx| p.abort_transaction(ctx))?.1)
                    }
                }
            }
            Command::ProducerSendOffsets { name, group } => {
                let id = self.producer_id(name)?;
                let mut offsets = Vec::new();
                for c in self.consumers.values() {
                    if c.alive && c.group.as_deref() == Some(group.as_str()) {
                        for tp in &c.owned {
                            if let Some(&o) = c.positions.get(tp) {
                                offsets.push((tp.clone(), o));
                            }
                        }
                    }
                }
                if offsets.is_empty() {
                    return fail(format!(
                        "group {group} has no running consumer with a position to send (start one with `consumer start NAME --group {group} --topic T`)"
                    ));
                }
                crate::sort::sort(&mut offsets);
                let group = group.clone();
                Ok(self
                    .with_producer(id, |p, ctx| {
                        p.send_offsets_to_transaction(ctx, group, offsets)
                    })?
                    .1)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// A broker that stops breaks its producers' connections: their requests fail and are
    /// retried elsewhere.
    pub(super) fn drop_producer_connections(&mut self, broker: NodeId) -> Vec<Event> {
        let mut events = Vec::new();
        let ids: Vec<NodeId> = self.producers.keys().copied().collect();
        for id in ids {
            if self.network.is_cut(id, broker)
                || !self
                    .producers
                    .get(&id)
                    .is_some_and(|p| p.alive && p.in_flight.values().any(|f| f.broker == broker))
            {
                continue;
            }
            if let Ok(((), outputs)) = self.with_producer(id, |p, ctx| {
                p.on_broker_down(ctx, broker);
                Ok(())
            }) {
                for (node, out) in outputs {
                    self.apply_outputs(node, out, &mut events);
                }
            }
        }
        events
    }
}

fn running(p: &Producer) -> Result<(), String> {
    if p.alive {
        Ok(())
    } else {
        Err(format!("producer {} is not running", p.name))
    }
}

fn describe_start(name: &str, config: &ProducerConfig) -> String {
    let acks = match config.acks {
        crate::command::Acks::All => "all",
        crate::command::Acks::Leader => "1",
        crate::command::Acks::None => "0",
    };
    let mode = match (&config.transactional_id, config.idempotent) {
        (Some(t), _) => format!("transactional (transactional.id={t})"),
        (None, true) => "idempotent".to_string(),
        (None, false) => "not idempotent (retries may duplicate)".to_string(),
    };
    format!(
        "Producer {name} starts: acks={acks}, {mode}, batch.size={}, linger.ms={}, max.in.flight.requests.per.connection={}",
        config.batch_size, config.linger_ms, config.max_in_flight
    )
}
