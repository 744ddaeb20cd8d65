//! A `predict` block's question: its right answer is the query's value after its commands are
//! played (on a copy of the simulation, so the question is asked before anything happens),
//! and its other choices are computed from the same state, the values a learner could
//! mistake for it: for an offset, the other replicas' HW and LEO and the value before; for a
//! leader, the partition's replicas; for a group's state, the protocol's states.

use super::query::{Kind, Query, Value};
use super::Predict;
use crate::sim::Simulation;
use crate::view::{cluster_view, ClusterView, GroupStateView};

/// At most this many choices are offered.
pub const MAX_CHOICES: usize = 4;

/// A question ready to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub ask: String,
    pub choices: Vec<Value>,
    /// The index of the right answer in `choices`.
    pub answer: usize,
}

impl Question {
    pub fn right(&self) -> &Value {
        &self.choices[self.answer]
    }
}

/// Computes the question for `predict` asked on `sim` now.
pub fn prepare(predict: &Predict, sim: &Simulation) -> Result<Question, String> {
    let before = cluster_view(sim);
    let mut future = sim.clone();
    for command in &predict.play.commands {
        crate::tools::apply(&mut future, command).map_err(|e| {
            format!(
                "`{}` cannot be played: {}",
                crate::parse::format_command(command),
                e.message
            )
        })?;
    }
    let after = cluster_view(&future);
    let answer = predict.answer.eval(&after)?;
    let mut choices = candidates(&predict.answer, &answer, &before, &after);
    choices.retain(|c| c != &answer);
    crate::sort::sort(&mut choices);
    choices.dedup();
    // Keep the ones nearest the answer (numbers), or the first (others), then sort.
    if let Value::Number(a) = answer {
        crate::sort::sort_by_key(&mut choices, |c| match c {
            Value::Number(n) => ((n - a).abs(), *n),
            _ => (i64::MAX, 0),
        });
    }
    choices.truncate(MAX_CHOICES - 1);
    choices.push(answer.clone());
    crate::sort::sort(&mut choices);
    if choices.len() < 2 {
        return Err(format!(
            "`{}` has only one possible answer here ({answer}): ask something the learner could get wrong",
            predict.answer
        ));
    }
    let index = choices.iter().position(|c| c == &answer).unwrap_or(0);
    Ok(Question {
        ask: predict.ask.clone(),
        choices,
        answer: index,
    })
}

/// The values a learner could take for the answer.
fn candidates(
    query: &Query,
    answer: &Value,
    before: &ClusterView,
    after: &ClusterView,
) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    if let Ok(v) = query.eval(before) {
        out.push(v);
    }
    let partition =
        |view: &ClusterView| query.partition().and_then(|tp| view.partition(tp).cloned());
    match query.kind() {
        Kind::Number => {
            for view in [before, after] {
                if let (Query::Offset { .. }, Some(p)) = (query, partition(view)) {
                    for r in &p.replicas {
                        out.push(Value::Number(r.high_watermark));
                        out.push(Value::Number(r.log_end_offset));
                    }
                }
            }
            // For a group's or a consumer's offset: the partition's HW and LEO, the group's
            // committed offset and every consumer's position on it, before and after.
            let group_offsets = matches!(
                query,
                Query::Committed(..) | Query::Lag(..) | Query::Position(..)
            );
            if let (true, Some(tp)) = (group_offsets, query.partition()) {
                for view in [before, after] {
                    if let Some(p) = partition(view) {
                        if let Some(leader) = p.leader_replica() {
                            out.push(Value::Number(leader.high_watermark));
                            out.push(Value::Number(leader.log_end_offset));
                        }
                    }
                    for g in &view.groups {
                        for o in &g.offsets {
                            if *o.topic == *tp.topic && o.partition == tp.partition {
                                out.extend(o.committed.map(Value::Number));
                                if matches!(query, Query::Lag(..)) {
                                    out.extend(o.lag.map(Value::Number));
                                }
                            }
                        }
                    }
                    for c in &view.consumers {
                        for (p, position) in &c.positions {
                            if p == tp && !matches!(query, Query::Lag(..)) {
                                out.push(Value::Number(*position));
                            }
                        }
                    }
                }
            }
            if let Value::Number(n) = answer {
                // Neighbours, so that a question always has a few choices.
                for d in [1, 2, 3] {
                    let mut others: Vec<&Value> = out.iter().filter(|v| *v != answer).collect();
                    crate::sort::sort(&mut others);
                    others.dedup();
                    if others.len() >= MAX_CHOICES - 1 {
                        break;
                    }
                    out.push(Value::Number(n + d));
                    if n - d >= 0 {
                        out.push(Value::Number(n - d));
                    }
                }
            }
        }
        Kind::Node => {
            out.push(Value::Node(None));
            match (query, partition(after)) {
                (Query::Leader(_), Some(p)) => {
                    out.extend(p.replicas.iter().map(|r| Value::Node(Some(r.broker))))
                }
                _ => out.extend(after.controllers.iter().map(|c| Value::Node(Some(c.id)))),
            }
        }
        Kind::Nodes => {
            for view in [before, after] {
                if let Some(p) = partition(view) {
                    let all: Vec<i32> = {
                        let mut v: Vec<i32> = p.replicas.iter().map(|r| r.broker).collect();
                        crate::sort::sort(&mut v);
                        v
                    };
                    for &b in &all {
                        out.push(Value::Nodes(
                            all.iter().copied().filter(|&x| x != b).collect(),
                        ));
                    }
                    out.push(Value::Nodes(all));
                }
            }
        }
        Kind::Word => match query {
            Query::GroupState(g) => {
                let consumer = after
                    .groups
                    .iter()
                    .find(|x| x.group_id == *g)
                    .is_some_and(|x| x.protocol_type == "consumer");
                let states: &[GroupStateView] = if consumer {
                    &[
                        GroupStateView::Empty,
                        GroupStateView::Assigning,
                        GroupStateView::Reconciling,
                        GroupStateView::Stable,
                    ]
                } else {
                    &[
                        GroupStateView::Empty,
                        GroupStateView::PreparingRebalance,
                        GroupStateView::CompletingRebalance,
                        GroupStateView::Stable,
                    ]
                };
                out.extend(states.iter().map(|s| Value::Word(s.name().to_string())));
            }
            Query::Record { .. } => {
                for w in ["committed", "uncommitted", "absent"] {
                    out.push(Value::Word(w.to_string()));
                }
            }
            Query::Broker(_) => {
                for w in ["running", "fenced", "crashed"] {
                    out.push(Value::Word(w.to_string()));
                }
            }
            Query::Owner(g, _) => {
                if let Some(group) = after.groups.iter().find(|x| x.group_id == *g) {
                    out.extend(
                        group
                            .members
                            .iter()
                            .map(|m| Value::Word(m.client_id.clone())),
                    );
                }
                out.push(Value::Word("none".to_string()));
            }
            Query::Transaction(_) => {
                for w in [
                    "Ongoing",
                    "PrepareCommit",
                    "CompleteCommit",
                    "CompleteAbort",
                ] {
                    out.push(Value::Word(w.to_string()));
                }
            }
            _ => {}
        },
    }
    out
}
