//! The command-line tools as admin clients. `kafka-topics.sh --describe` / `--list`,
//! `kafka-configs.sh --describe`, `kafka-metadata-quorum.sh describe`, `kafka-dump-log.sh` and
//! `kafka-consumer-groups.sh --list` / `--describe` / `--reset-offsets` read the cluster and
//! print what Kafka's tools print; they sit above the simulation and never reach into it.
//!
//! A query ([`Command::is_query`]) reads a state and changes nothing, so the timeline answers
//! it at any step without forking the run. `--reset-offsets --execute` does what Kafka's
//! `ConsumerGroupCommand` does (`tools/src/main/java/org/apache/kafka/tools/consumer/group/`):
//! it computes the new offsets on the client side from what it read (`resetOffsets`,
//! `prepareOffsetsToReset`), then sends them to the group's coordinator
//! (`Admin.alterConsumerGroupOffsets`, an OffsetCommit), which is
//! [`Simulation::alter_group_offsets`].
//!
//! [`apply`] is the one entry for a user command on a state: the tools are handled here,
//! everything else goes to [`Simulation::apply_observed`].

use std::fmt::Write;

use crate::command::{Command, GroupsCommand};
use crate::describe;
use crate::event::Event;
use crate::sim::{CommandError, Outcome, Simulation};
use crate::view::{cluster_view, ClusterView};

/// Applies one user command to `sim` and returns every event it caused (see
/// [`Simulation::apply`]); a query only answers.
pub fn apply(sim: &mut Simulation, command: &Command) -> Result<Outcome, CommandError> {
    let mut stepped = Vec::new();
    let mut outcome = apply_observed(sim, command, |_, events| stepped.extend(events))?;
    if !stepped.is_empty() {
        outcome.events = stepped;
    }
    Ok(outcome)
}

/// Like [`apply`], with the steps of a time command handed to `after_step` as they are taken
/// (see [`Simulation::apply_observed`]).
pub fn apply_observed(
    sim: &mut Simulation,
    command: &Command,
    after_step: impl FnMut(&Simulation, Vec<Event>),
) -> Result<Outcome, CommandError> {
    if command.is_query() {
        return Ok(Outcome {
            events: Vec::new(),
            output: Some(answer(sim, command)?),
        });
    }
    if let Command::ConsumerGroups(GroupsCommand::ResetOffsets {
        group,
        topics,
        to,
        execute: true,
    }) = command
    {
        let plan = describe::reset_offsets_plan(&cluster_view(sim), group, topics.as_deref(), *to)
            .map_err(|message| CommandError { message })?;
        let mut outcome = sim.alter_group_offsets(group, plan.clone())?;
        outcome.output = Some(describe::format_reset_plan(group, &plan));
        return Ok(outcome);
    }
    sim.apply_observed(command, after_step)
}

/// What a query prints, read from `sim`. A command that changes the cluster is refused.
pub fn answer(sim: &Simulation, command: &Command) -> Result<String, CommandError> {
    let refuse = |message: String| Err(CommandError { message });
    match command {
        Command::DescribeTopics { topic } => {
            let view = cluster_view(sim);
            if let Some(t) = topic {
                if !view.topics.iter().any(|x| &x.name == t) {
                    return refuse(format!(
                        "topic '{t}' does not exist (UNKNOWN_TOPIC_OR_PARTITION)"
                    ));
                }
            }
            let filtered = ClusterView {
                topics: view
                    .topics
                    .into_iter()
                    .filter(|x| topic.as_ref().is_none_or(|t| &x.name == t))
                    .collect(),
                ..view
            };
            Ok(describe::describe_topics(&filtered))
        }
        Command::ListTopics => {
            let mut topics = sim.metadata().topics.clone();
            crate::sort::sort(&mut topics);
            Ok(topics.iter().map(|t| format!("{t}\n")).collect())
        }
        Command::DescribeConfigs { entity } => {
            Ok(describe::describe_configs(&sim.metadata(), entity))
        }
        Command::DescribeQuorum { replication } => Ok(describe_quorum(sim, *replication)),
        Command::DumpLog {
            partition,
            broker,
            print_data_log,
        } => {
            // The named broker's replica, or the live leader's.
            let chosen = match broker {
                Some(b) => sim.brokers.get(b).map(|x| (*b, x)),
                None => sim
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
                return refuse(format!(
                    "no replica of {partition} {}",
                    match broker {
                        Some(b) => format!("on broker {b}"),
                        None => "has a live leader".to_string(),
                    }
                ));
            };
            Ok(describe::dump_log(
                partition,
                id,
                &replica.log,
                *print_data_log,
            ))
        }
        Command::ConsumerGroups(GroupsCommand::ResetOffsets {
            group,
            topics,
            to,
            execute: false,
        }) => {
            let plan =
                describe::reset_offsets_plan(&cluster_view(sim), group, topics.as_deref(), *to)
                    .map_err(|message| CommandError { message })?;
            Ok(describe::format_reset_plan(group, &plan))
        }
        Command::ConsumerGroups(
            groups @ (GroupsCommand::List | GroupsCommand::Describe { .. }),
        ) => describe::describe_groups(&cluster_view(sim), groups)
            .map_err(|message| CommandError { message }),
        _ => refuse(
            "this command changes the cluster: it is applied (tools::apply), not answered"
                .to_string(),
        ),
    }
}

/// What `kafka-metadata-quorum.sh describe --status` (or `--replication`) prints
/// (`MetadataQuorumCommand`).
pub fn describe_quorum(sim: &Simulation, replication: bool) -> String {
    let mut out = String::new();
    let active = sim.active_controller();
    if replication {
        let _ = writeln!(out, "NodeId\tLogEndOffset\tLag\tStatus");
        let leader_end = active.map_or(0, |c| c.raft.log_end_offset());
        for c in sim.controllers.values() {
            let status = if !c.alive {
                "Down".to_string()
            } else if Some(c.id) == active.map(|a| a.id) {
                "Leader".to_string()
            } else {
                "Follower".to_string()
            };
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}",
                c.id,
                c.raft.log_end_offset(),
                (leader_end - c.raft.log_end_offset()).max(0),
                status
            );
        }
        for b in sim.brokers.values() {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}",
                b.id,
                b.metadata.log_end_offset(),
                (leader_end - b.metadata.log_end_offset()).max(0),
                if b.alive { "Observer" } else { "Down" }
            );
        }
        return out;
    }
    let voters: Vec<String> = sim.controllers.keys().map(|id| id.to_string()).collect();
    let observers: Vec<String> = sim.brokers.keys().map(|id| id.to_string()).collect();
    let _ = writeln!(out, "ClusterId:              sandbox");
    let _ = writeln!(
        out,
        "LeaderId:               {}",
        active.map_or("-1".to_string(), |c| c.id.to_string())
    );
    let _ = writeln!(
        out,
        "LeaderEpoch:            {}",
        active.map_or(-1, |c| c.raft.epoch())
    );
    let _ = writeln!(
        out,
        "HighWatermark:          {}",
        active.map_or(-1, |c| c.raft.high_watermark())
    );
    let _ = writeln!(out, "CurrentVoters:          [{}]", voters.join(","));
    let _ = writeln!(out, "CurrentObservers:       [{}]", observers.join(","));
    out
}
