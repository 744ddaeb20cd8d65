//! Consumer clients in the kernel: their commands (`consumer ...`, `kafka-consumer-groups.sh`)
//! and the admin actions that reach a group's coordinator (see [`crate::consumer`] and
//! [`crate::group`]).

use super::{fail, handled, wrap, CommandError, NodeOutputs, Outcome, Output, Simulation, Timer};
use crate::broker::Broker;
use crate::broker::BrokerCtx;
use crate::command::{Command, GroupsCommand, NodeId, TopicPartition, CONSUMER_ID_BASE};
use crate::consumer::ConsumerCtx;
use crate::consumer::{Consumer, ConsumerConfig, ConsumerSpec};
use crate::event::EventKind;
use crate::kernel::Ctx;

impl Simulation {
    /// The consumer with this `client.id`.
    pub(super) fn consumer_id(&self, name: &str) -> Result<NodeId, CommandError> {
        self.consumers
            .values()
            .find(|c| c.name == name)
            .map(|c| c.id)
            .ok_or_else(|| CommandError {
                message: format!("there is no consumer named {name} (start one with `consumer start {name} --topic T --group G`)"),
            })
    }

    pub(super) fn apply_consumer_command(
        &mut self,
        command: &Command,
        outcome: &mut Outcome,
    ) -> Result<NodeOutputs, CommandError> {
        match command {
            Command::ConsumerStart {
                name,
                group,
                topics,
                assign,
                properties,
            } => {
                if self.consumers.values().any(|c| &c.name == name) {
                    return fail(format!("a consumer named {name} exists already (`consumer restart {name}` starts it again, with `--consumer-property KEY=VALUE` for any config to change)"));
                }
                if topics.is_empty() && assign.is_empty() {
                    return fail("a consumer needs --topic (subscribe, with --group) or --assign");
                }
                if !topics.is_empty() && group.is_none() {
                    return fail("To use the group management or offset commit APIs, you must provide a valid group.id in the consumer configuration (InvalidGroupIdException): subscribing with --topic needs --group");
                }
                let config = ConsumerConfig::from_properties(properties)
                    .map_err(|message| CommandError { message })?;
                let id = CONSUMER_ID_BASE + self.consumers.len() as NodeId;
                let spec = ConsumerSpec {
                    name: name.clone(),
                    group: group.clone(),
                    topics: topics.clone(),
                    assign: assign.clone(),
                    properties: properties.clone(),
                };
                let consumer = Consumer::new(id, spec, config, self.bootstrap());
                self.consumers.insert(id, consumer);
                outcome.events.push(self.event(
                    id,
                    EventKind::Command,
                    None,
                    match group {
                        Some(g) if assign.is_empty() => format!(
                            "Consumer {name} starts and subscribes to {} in group {g}",
                            topics.join(", ")
                        ),
                        _ => format!("Consumer {name} starts with partitions assigned by hand"),
                    },
                ));
                self.with_consumer(id, |c, ctx| c.start(ctx))
            }
            Command::ConsumerStop { name } => {
                let id = self.consumer_id(name)?;
                if !self.consumers[&id].alive {
                    return fail(format!("consumer {name} is not running"));
                }
                self.with_consumer(id, |c, ctx| c.close(ctx))
            }
            Command::ConsumerCrash { name } => {
                let id = self.consumer_id(name)?;
                let Some(consumer) = self.consumers.get_mut(&id) else {
                    return Ok(Vec::new());
                };
                if !consumer.alive {
                    return fail(format!("consumer {name} is not running"));
                }
                let timeout = if consumer.consumer_protocol() {
                    "group.consumer.session.timeout.ms, a broker config"
                } else {
                    "session.timeout.ms"
                };
                consumer.crash();
                outcome.events.push(self.event(
                    id,
                    EventKind::Command,
                    None,
                    format!("Consumer {name} crashes: whatever it processed since its last commit will be read again by whoever gets its partitions, once the coordinator notices ({timeout})"),
                ));
                Ok(Vec::new())
            }
            Command::ConsumerRestart { name, properties } => {
                let id = self.consumer_id(name)?;
                let old = self.consumers[&id].clone();
                if old.alive {
                    return fail(format!(
                        "consumer {name} is running; crash or stop it first"
                    ));
                }
                let (merged, changed) = crate::config::redeployed(&old.properties, properties);
                let config = ConsumerConfig::from_properties(&merged)
                    .map_err(|message| CommandError { message })?;
                let spec = ConsumerSpec {
                    name: old.name.clone(),
                    group: old.group.clone(),
                    topics: old.topics.clone(),
                    assign: old.assign.clone(),
                    properties: merged,
                };
                let instance_id = config.group_instance_id.clone();
                let mut fresh = Consumer::new(id, spec, config, self.bootstrap());
                fresh.records_processed = old.records_processed;
                // New connections: an answer to the old process's request must not match.
                fresh.next_request_id = old.next_request_id;
                fresh.records_reprocessed = old.records_reprocessed;
                self.consumers.insert(id, fresh);
                outcome.events.push(self.event(
                    id,
                    EventKind::Command,
                    None,
                    format!(
                        "Consumer {name} starts again{}{changed}",
                        match &instance_id {
                            Some(i) => format!(" with group.instance.id {i}"),
                            None => " as a new member".to_string(),
                        },
                    ),
                ));
                self.with_consumer(id, |c, ctx| c.start(ctx))
            }
            Command::ConsumerSet { name, key, value } => {
                let id = self.consumer_id(name)?;
                let Some(def) = crate::config::consumer_config(key) else {
                    return fail(format!("unknown consumer config {key}"));
                };
                if !def.dynamic {
                    return fail(format!("{key} is read when the consumer starts; start another consumer with --consumer-property {key}={value}"));
                }
                crate::config::validate(def, value).map_err(|message| CommandError { message })?;
                let Some(consumer) = self.consumers.get_mut(&id) else {
                    return Ok(Vec::new());
                };
                consumer.properties.retain(|(k, _)| k != key);
                consumer.properties.push((key.clone(), value.clone()));
                consumer.config = ConsumerConfig::from_properties(&consumer.properties)
                    .map_err(|message| CommandError { message })?;
                outcome.events.push(self.event(
                    id,
                    EventKind::Command,
                    None,
                    format!("Consumer {name}: {key} is now {value}"),
                ));
                Ok(Vec::new())
            }
            Command::ConsumerGroups(GroupsCommand::Delete { group }) => {
                let mut text = String::new();
                let outputs = self.with_coordinator(group, |broker, ctx| {
                    text = broker.with_groups(ctx, |groups, host, ctx| {
                        groups.admin_delete_group(host, ctx, group)
                    })?;
                    Ok(())
                })?;
                outcome.output = Some(text);
                Ok(vec![outputs])
            }
            Command::ConsumerGroups(_) => fail(super::READ_BY_TOOLS),
            _ => Ok(Vec::new()),
        }
    }

    /// `Admin.alterConsumerGroupOffsets`, as `kafka-consumer-groups.sh --reset-offsets
    /// --execute` sends the offsets it computed (see [`crate::tools`]): the group's
    /// coordinator writes them like any commit, or refuses (an active group, no coordinator).
    pub fn alter_group_offsets(
        &mut self,
        group: &str,
        offsets: Vec<(TopicPartition, i64)>,
    ) -> Result<Outcome, CommandError> {
        let (node, out) = self.with_coordinator(group, |broker, ctx| {
            broker.with_groups(ctx, |groups, host, ctx| {
                groups.admin_commit(host, ctx, group, offsets)
            })
        })?;
        let mut events = Vec::new();
        self.apply_outputs(node, out, &mut events);
        self.refresh_images();
        Ok(Outcome {
            events,
            output: None,
        })
    }

    /// Runs an admin action on the broker coordinating `group` (the live leader of its
    /// `__consumer_offsets` partition), as `kafka-consumer-groups.sh` reaches it.
    pub(super) fn with_coordinator(
        &mut self,
        group: &str,
        f: impl FnOnce(&mut Broker, &mut BrokerCtx) -> Result<(), String>,
    ) -> Result<(NodeId, Vec<Output<Timer>>), CommandError> {
        let now = self.now_ms;
        let partitions = self
            .brokers
            .values()
            .find(|b| b.alive)
            .map_or(50, |b| b.offsets_partitions());
        let tp = TopicPartition::new(
            crate::coordinator::group::OFFSETS_TOPIC,
            crate::coordinator::group::offsets_partition(group, partitions),
        );
        let Simulation { brokers, rng, .. } = self;
        let Some(broker) = brokers
            .values_mut()
            .find(|b| b.alive && b.replicas.get(&tp).is_some_and(|r| r.leader.is_some()))
        else {
            return fail(format!(
                "Error: the coordinator of group {group} is not available (COORDINATOR_NOT_AVAILABLE)"
            ));
        };
        let mut ctx = Ctx::new(now, broker.id, rng);
        f(broker, &mut ctx).map_err(|message| CommandError { message })?;
        Ok((broker.id, wrap(ctx.out)))
    }

    pub(super) fn with_consumer(
        &mut self,
        id: NodeId,
        f: impl FnOnce(&mut Consumer, &mut ConsumerCtx),
    ) -> Result<NodeOutputs, CommandError> {
        let now = self.now_ms;
        let Simulation { rng, consumers, .. } = self;
        let Some(consumer) = consumers.get_mut(&id) else {
            return Ok(Vec::new());
        };
        Ok(vec![(id, handled(now, id, rng, |ctx| f(consumer, ctx)))])
    }
}
