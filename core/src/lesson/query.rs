//! What a lesson's `check` and `predict` blocks ask of the cluster: a small language of
//! questions about one thing each (`hw orders-0`, `isr orders-0`, `group-state billing`,
//! `position c1 orders-2`), answered from the view the page draws, so a check says nothing
//! the learner cannot see.

use std::fmt;

use crate::command::TopicPartition;
use crate::view::{ClusterView, PartitionView, ReplicaView};

/// One question about the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// An offset of a replica (the leader's when no broker is named).
    Offset {
        mark: OffsetMark,
        tp: TopicPartition,
        on: Option<i32>,
    },
    /// The leader's broker id, or none.
    Leader(TopicPartition),
    LeaderEpoch(TopicPartition),
    Isr(TopicPartition),
    Replicas(TopicPartition),
    /// How many partitions a topic has.
    Partitions(String),
    /// Where a record stands on a replica: committed, uncommitted, absent, deleted.
    Record {
        tp: TopicPartition,
        offset: i64,
        on: Option<i32>,
    },
    /// The active controller's id.
    Controller,
    /// `running`, `fenced` or `crashed`.
    Broker(i32),
    GroupState(String),
    Generation(String),
    Committed(String, TopicPartition),
    Lag(String, TopicPartition),
    /// The consumer that owns a partition in a group, or none.
    Owner(String, TopicPartition),
    Position(String, TopicPartition),
    Processed(String),
    Reprocessed(String),
    /// A consumer client's status words (`polling`, `crashed`, ...).
    Consumer(String),
    /// A transaction's state at its coordinator (`Ongoing`, `CompleteCommit`, ...).
    Transaction(String),
}

/// Which offset of a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetMark {
    HighWatermark,
    LogEndOffset,
    LastStableOffset,
    LogStartOffset,
    Truncated,
}

impl OffsetMark {
    fn word(self) -> &'static str {
        match self {
            OffsetMark::HighWatermark => "hw",
            OffsetMark::LogEndOffset => "leo",
            OffsetMark::LastStableOffset => "lso",
            OffsetMark::LogStartOffset => "log-start",
            OffsetMark::Truncated => "truncated",
        }
    }

    fn read(self, r: &ReplicaView) -> i64 {
        match self {
            OffsetMark::HighWatermark => r.high_watermark,
            OffsetMark::LogEndOffset => r.log_end_offset,
            OffsetMark::LastStableOffset => r.last_stable_offset,
            OffsetMark::LogStartOffset => r.log_start_offset,
            OffsetMark::Truncated => r.truncated,
        }
    }
}

/// What kind of answer a query gives, which decides how an expected value is read and how a
/// question's choices are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Number,
    /// A broker or controller id, or none.
    Node,
    /// A set of broker ids.
    Nodes,
    Word,
}

/// An answer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Number(i64),
    Node(Option<i32>),
    Nodes(Vec<i32>),
    Word(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{n}"),
            Value::Node(Some(id)) => write!(f, "{id}"),
            Value::Node(None) => f.write_str("none"),
            Value::Nodes(ids) if ids.is_empty() => f.write_str("none"),
            Value::Nodes(ids) => {
                let ids: Vec<String> = ids.iter().map(i32::to_string).collect();
                f.write_str(&ids.join(","))
            }
            Value::Word(w) => f.write_str(w),
        }
    }
}

/// The query words, for error messages and the format's documentation.
pub const QUERY_WORDS: &[&str] = &[
    "hw",
    "leo",
    "lso",
    "log-start",
    "truncated",
    "leader",
    "epoch",
    "isr",
    "replicas",
    "partitions",
    "record",
    "controller",
    "broker",
    "group-state",
    "generation",
    "committed",
    "lag",
    "owner",
    "position",
    "processed",
    "reprocessed",
    "consumer",
    "transaction",
];

/// Reads a topic partition written as Kafka's tools print it: `orders-0`.
pub fn parse_tp(text: &str) -> Result<TopicPartition, String> {
    let bad = || format!("`{text}` is not a partition: write it as the tools print it, `orders-0`");
    let (topic, partition) = text.rsplit_once('-').ok_or_else(bad)?;
    let partition: i32 = partition.parse().map_err(|_| bad())?;
    // Kafka's legal topic characters only (`Topic.validate`), so a name is safe to use anywhere.
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if topic.is_empty() || partition < 0 || !topic.chars().all(legal) {
        return Err(bad());
    }
    Ok(TopicPartition::new(topic, partition))
}

fn parse_id(text: &str) -> Result<i32, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a node id (a number such as 1)"))
}

impl Query {
    /// Reads a query from its words; `None` when the first word is not a query word (the
    /// text may be a literal value).
    pub fn parse(words: &[&str]) -> Option<Result<Query, String>> {
        let (&head, rest) = words.split_first()?;
        if !QUERY_WORDS.contains(&head) {
            return None;
        }
        Some(Query::parse_known(head, rest))
    }

    fn parse_known(head: &str, rest: &[&str]) -> Result<Query, String> {
        let usage = |shape: &str| format!("`{head}` takes {shape}");
        // `TP [on B]`
        let tp_on = |rest: &[&str], shape: &str| -> Result<(TopicPartition, Option<i32>), String> {
            match rest {
                [tp] => Ok((parse_tp(tp)?, None)),
                [tp, "on", b] => Ok((parse_tp(tp)?, Some(parse_id(b)?))),
                _ => Err(usage(shape)),
            }
        };
        let one = |rest: &[&str], shape: &str| -> Result<String, String> {
            match rest {
                [name] => Ok(name.to_string()),
                _ => Err(usage(shape)),
            }
        };
        let name_tp = |rest: &[&str], shape: &str| -> Result<(String, TopicPartition), String> {
            match rest {
                [name, tp] => Ok((name.to_string(), parse_tp(tp)?)),
                _ => Err(usage(shape)),
            }
        };
        let mark = match head {
            "hw" => Some(OffsetMark::HighWatermark),
            "leo" => Some(OffsetMark::LogEndOffset),
            "lso" => Some(OffsetMark::LastStableOffset),
            "log-start" => Some(OffsetMark::LogStartOffset),
            "truncated" => Some(OffsetMark::Truncated),
            _ => None,
        };
        if let Some(mark) = mark {
            let (tp, on) = tp_on(
                rest,
                "a partition and optionally `on BROKER`: `hw orders-0 on 2`",
            )?;
            return Ok(Query::Offset { mark, tp, on });
        }
        let tp_only = |rest: &[&str]| -> Result<TopicPartition, String> {
            match rest {
                [tp] => parse_tp(tp),
                _ => Err(usage("a partition: `orders-0`")),
            }
        };
        Ok(match head {
            "leader" => Query::Leader(tp_only(rest)?),
            "epoch" => Query::LeaderEpoch(tp_only(rest)?),
            "isr" => Query::Isr(tp_only(rest)?),
            "replicas" => Query::Replicas(tp_only(rest)?),
            "partitions" => match rest {
                [topic] => Query::Partitions(topic.to_string()),
                _ => return Err(usage("a topic: `partitions orders`")),
            },
            "record" => match rest {
                [tp, offset, tail @ ..] => {
                    let offset = offset
                        .parse()
                        .map_err(|_| format!("`{offset}` is not an offset"))?;
                    let on = match tail {
                        [] => None,
                        ["on", b] => Some(parse_id(b)?),
                        _ => {
                            return Err(usage("a partition, an offset and optionally `on BROKER`"))
                        }
                    };
                    Query::Record {
                        tp: parse_tp(tp)?,
                        offset,
                        on,
                    }
                }
                _ => return Err(usage("a partition and an offset: `record orders-0 4`")),
            },
            "controller" => match rest {
                [] => Query::Controller,
                _ => return Err(usage("nothing: `controller`")),
            },
            "broker" => match rest {
                [b] => Query::Broker(parse_id(b)?),
                _ => return Err(usage("a broker id: `broker 1`")),
            },
            "group-state" => Query::GroupState(one(rest, "a group id")?),
            "generation" => Query::Generation(one(rest, "a group id")?),
            "committed" => {
                let (g, tp) = name_tp(
                    rest,
                    "a group and a partition: `committed billing orders-0`",
                )?;
                Query::Committed(g, tp)
            }
            "lag" => {
                let (g, tp) = name_tp(rest, "a group and a partition: `lag billing orders-0`")?;
                Query::Lag(g, tp)
            }
            "owner" => {
                let (g, tp) = name_tp(rest, "a group and a partition: `owner billing orders-0`")?;
                Query::Owner(g, tp)
            }
            "position" => {
                let (c, tp) = name_tp(rest, "a consumer and a partition: `position c1 orders-0`")?;
                Query::Position(c, tp)
            }
            "processed" => Query::Processed(one(rest, "a consumer name")?),
            "reprocessed" => Query::Reprocessed(one(rest, "a consumer name")?),
            "consumer" => Query::Consumer(one(rest, "a consumer name")?),
            "transaction" => Query::Transaction(one(rest, "a transactional.id")?),
            _ => return Err(format!("`{head}` is not a query")),
        })
    }

    /// What kind of answer it gives.
    pub fn kind(&self) -> Kind {
        match self {
            Query::Offset { .. }
            | Query::LeaderEpoch(_)
            | Query::Generation(_)
            | Query::Committed(..)
            | Query::Lag(..)
            | Query::Position(..)
            | Query::Processed(_)
            | Query::Reprocessed(_)
            | Query::Partitions(_) => Kind::Number,
            Query::Leader(_) | Query::Controller => Kind::Node,
            Query::Isr(_) | Query::Replicas(_) => Kind::Nodes,
            Query::Record { .. }
            | Query::Broker(_)
            | Query::GroupState(_)
            | Query::Owner(..)
            | Query::Consumer(_)
            | Query::Transaction(_) => Kind::Word,
        }
    }

    /// The partition it is about, if any.
    pub fn partition(&self) -> Option<&TopicPartition> {
        match self {
            Query::Offset { tp, .. }
            | Query::Leader(tp)
            | Query::LeaderEpoch(tp)
            | Query::Isr(tp)
            | Query::Replicas(tp)
            | Query::Record { tp, .. }
            | Query::Committed(_, tp)
            | Query::Lag(_, tp)
            | Query::Owner(_, tp)
            | Query::Position(_, tp) => Some(tp),
            _ => None,
        }
    }

    /// Answers the query from a view; an error names what does not exist.
    pub fn eval(&self, view: &ClusterView) -> Result<Value, String> {
        let partition = |tp: &TopicPartition| -> Result<&PartitionView, String> {
            view.partition(tp)
                .ok_or_else(|| format!("there is no partition {tp}"))
        };
        let replica = |tp: &TopicPartition, on: Option<i32>| -> Result<ReplicaView, String> {
            let p = partition(tp)?;
            match on {
                Some(b) => p
                    .replicas
                    .iter()
                    .find(|r| r.broker == b)
                    .cloned()
                    .ok_or_else(|| format!("broker {b} holds no replica of {tp}")),
                None => p
                    .leader_replica()
                    .cloned()
                    .ok_or_else(|| format!("{tp} has no leader: name a replica with `on BROKER`")),
            }
        };
        let group = |g: &str| {
            view.groups
                .iter()
                .find(|x| x.group_id == g)
                .ok_or_else(|| format!("there is no group {g}"))
        };
        let consumer = |c: &str| {
            view.consumers
                .iter()
                .find(|x| x.name == c)
                .ok_or_else(|| format!("there is no consumer {c}"))
        };
        let group_offset = |g: &str, tp: &TopicPartition| {
            group(g).map(|g| {
                g.offsets
                    .iter()
                    .find(|o| *o.topic == *tp.topic && o.partition == tp.partition)
            })
        };
        Ok(match self {
            Query::Offset { mark, tp, on } => Value::Number(mark.read(&replica(tp, *on)?)),
            Query::Leader(tp) => Value::Node(partition(tp)?.leader),
            Query::LeaderEpoch(tp) => Value::Number(partition(tp)?.leader_epoch as i64),
            Query::Isr(tp) => {
                let mut isr = partition(tp)?.isr.clone();
                crate::sort::sort(&mut isr);
                Value::Nodes(isr)
            }
            Query::Partitions(topic) => Value::Number(
                view.topics
                    .iter()
                    .find(|t| t.name == *topic)
                    .map(|t| t.partitions.len() as i64)
                    .ok_or_else(|| format!("there is no topic {topic}"))?,
            ),
            Query::Replicas(tp) => {
                let mut replicas: Vec<i32> =
                    partition(tp)?.replicas.iter().map(|r| r.broker).collect();
                crate::sort::sort(&mut replicas);
                Value::Nodes(replicas)
            }
            Query::Record { tp, offset, on } => {
                Value::Word(replica(tp, *on)?.record_state(*offset).name().to_string())
            }
            Query::Controller => Value::Node(view.active_controller),
            Query::Broker(id) => {
                let b = view
                    .brokers
                    .iter()
                    .find(|b| b.id == *id)
                    .ok_or_else(|| format!("there is no broker {id}"))?;
                Value::Word(
                    if !b.alive {
                        "crashed"
                    } else if b.fenced {
                        "fenced"
                    } else {
                        "running"
                    }
                    .to_string(),
                )
            }
            Query::GroupState(g) => Value::Word(group(g)?.state.name().to_string()),
            Query::Generation(g) => Value::Number(group(g)?.generation as i64),
            Query::Committed(g, tp) => {
                Value::Number(group_offset(g, tp)?.and_then(|o| o.committed).unwrap_or(-1))
            }
            Query::Lag(g, tp) => {
                Value::Number(group_offset(g, tp)?.and_then(|o| o.lag).unwrap_or(-1))
            }
            Query::Owner(g, tp) => {
                // The owner as the page names it: the consumer's client.id, not its member id.
                let member = group_offset(g, tp)?.and_then(|o| o.owner.clone());
                let client = member.map(|m| {
                    group(g)
                        .ok()
                        .and_then(|g| g.members.iter().find(|x| x.member_id == m))
                        .map_or(m.clone(), |x| x.client_id.clone())
                });
                Value::Word(client.unwrap_or_else(|| "none".to_string()))
            }
            Query::Position(c, tp) => Value::Number(
                consumer(c)?
                    .positions
                    .iter()
                    .find(|(p, _)| p == tp)
                    .map_or(-1, |(_, o)| *o),
            ),
            Query::Processed(c) => Value::Number(consumer(c)?.records_processed),
            Query::Reprocessed(c) => Value::Number(consumer(c)?.records_reprocessed),
            Query::Consumer(c) => Value::Word(consumer(c)?.state.label().to_string()),
            Query::Transaction(t) => Value::Word(
                view.transactions
                    .iter()
                    .find(|x| x.transactional_id == *t)
                    .ok_or_else(|| format!("there is no transaction {t}"))?
                    .state
                    .name()
                    .to_string(),
            ),
        })
    }

    /// Reads a literal of this query's kind: a number, a node id or `none`, ids separated by
    /// commas, or words.
    pub fn literal(&self, text: &str) -> Result<Value, String> {
        match self.kind() {
            Kind::Number => text
                .parse()
                .map(Value::Number)
                .map_err(|_| format!("`{self}` is a number; `{text}` is not")),
            Kind::Node if text == "none" => Ok(Value::Node(None)),
            Kind::Node => parse_id(text).map(|id| Value::Node(Some(id))),
            Kind::Nodes if text == "none" => Ok(Value::Nodes(Vec::new())),
            Kind::Nodes => {
                let mut ids = text
                    .trim_matches(|c| c == '[' || c == ']')
                    .split(',')
                    .map(|s| parse_id(s.trim()))
                    .collect::<Result<Vec<_>, _>>()?;
                crate::sort::sort(&mut ids);
                Ok(Value::Nodes(ids))
            }
            Kind::Word => Ok(Value::Word(text.to_string())),
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |on: &Option<i32>| on.map_or(String::new(), |b| format!(" on {b}"));
        match self {
            Query::Offset { mark, tp, on: b } => write!(f, "{} {tp}{}", mark.word(), on(b)),
            Query::Leader(tp) => write!(f, "leader {tp}"),
            Query::LeaderEpoch(tp) => write!(f, "epoch {tp}"),
            Query::Isr(tp) => write!(f, "isr {tp}"),
            Query::Replicas(tp) => write!(f, "replicas {tp}"),
            Query::Partitions(topic) => write!(f, "partitions {topic}"),
            Query::Record { tp, offset, on: b } => write!(f, "record {tp} {offset}{}", on(b)),
            Query::Controller => f.write_str("controller"),
            Query::Broker(id) => write!(f, "broker {id}"),
            Query::GroupState(g) => write!(f, "group-state {g}"),
            Query::Generation(g) => write!(f, "generation {g}"),
            Query::Committed(g, tp) => write!(f, "committed {g} {tp}"),
            Query::Lag(g, tp) => write!(f, "lag {g} {tp}"),
            Query::Owner(g, tp) => write!(f, "owner {g} {tp}"),
            Query::Position(c, tp) => write!(f, "position {c} {tp}"),
            Query::Processed(c) => write!(f, "processed {c}"),
            Query::Reprocessed(c) => write!(f, "reprocessed {c}"),
            Query::Consumer(c) => write!(f, "consumer {c}"),
            Query::Transaction(t) => write!(f, "transaction {t}"),
        }
    }
}

/// How a check compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    fn from_symbol(s: &str) -> Option<Op> {
        Some(match s {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return None,
        })
    }

    fn holds(self, a: &Value, b: &Value) -> bool {
        match self {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        }
    }
}

/// The right-hand side of a check: a literal, or another query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    Literal(Value),
    Query(Query),
}

/// One line of a `check` block: `hw orders-0 = 3`, `isr orders-0 = 1,2,3`,
/// `hw orders-0 = leo orders-0 on 2`, `lag billing orders-1 <= 5`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub query: Query,
    pub op: Op,
    pub expected: Operand,
}

/// A check's result against a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub holds: bool,
    /// `hw orders-0 is 3`, or why it could not be answered.
    pub actual: String,
}

impl Check {
    /// Reads a check line; the error says what is wrong with it.
    pub fn parse(line: &str) -> Result<Check, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| Op::from_symbol(w).is_some())
            .ok_or_else(|| {
                "a check compares a query with a value: `hw orders-0 = 3` (with =, !=, <, <=, >, >=)"
                    .to_string()
            })?;
        let op = Op::from_symbol(words[at]).unwrap_or(Op::Eq);
        let query = match Query::parse(&words[..at]) {
            Some(q) => q?,
            None => {
                return Err(format!(
                    "`{}` is not a query; a check starts with one of: {}",
                    words.first().copied().unwrap_or(""),
                    QUERY_WORDS.join(", ")
                ))
            }
        };
        let right = &words[at + 1..];
        let expected = match Query::parse(right) {
            Some(Ok(q)) => Operand::Query(q),
            // One word that is also a query's name (`committed`) is a value.
            Some(Err(_)) if right.len() == 1 => Operand::Literal(query.literal(right[0])?),
            Some(Err(e)) => return Err(e),
            None if right.is_empty() => {
                return Err(format!(
                    "nothing to compare `{query}` with after `{}`",
                    op.symbol()
                ))
            }
            None => Operand::Literal(query.literal(&right.join(" "))?),
        };
        if !matches!(op, Op::Eq | Op::Ne) && query.kind() != Kind::Number {
            return Err(format!(
                "`{query}` is not a number: compare it with = or !="
            ));
        }
        Ok(Check {
            query,
            op,
            expected,
        })
    }

    /// Whether the check holds on a view.
    pub fn verify(&self, view: &ClusterView) -> Verdict {
        let actual = match self.query.eval(view) {
            Ok(v) => v,
            Err(why) => {
                return Verdict {
                    holds: false,
                    actual: why,
                }
            }
        };
        let expected = match &self.expected {
            Operand::Literal(v) => v.clone(),
            Operand::Query(q) => match q.eval(view) {
                Ok(v) => v,
                Err(why) => {
                    return Verdict {
                        holds: false,
                        actual: why,
                    }
                }
            },
        };
        // -1 stands for "none" where the tools print `-`: say so.
        let meaning = match (&self.query, &actual) {
            (Query::Committed(..) | Query::Lag(..), Value::Number(-1)) => {
                " (no committed offset yet)"
            }
            (Query::Position(..), Value::Number(-1)) => " (it does not own the partition)",
            _ => "",
        };
        Verdict {
            holds: self.op.holds(&actual, &expected),
            actual: format!("{} is {actual}{meaning}", self.query),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.query, self.op.symbol())?;
        match &self.expected {
            Operand::Literal(v) => write!(f, "{v}"),
            Operand::Query(q) => write!(f, "{q}"),
        }
    }
}
