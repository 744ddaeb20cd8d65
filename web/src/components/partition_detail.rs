//! The side panel for one partition: its replicas side by side, aligned by offset, each marker
//! labelled and explained, and why the HW is where it is; under them, on the same offsets, each
//! group's committed offset and each consumer's position. Transactions show as in the diagram:
//! markers lettered C or A, aborted records hatched, records of an open transaction ringed,
//! each record's producer id, epoch and sequence in its tooltip (its sequence in small type
//! inside it), and the LSO marked when an open transaction holds it below the HW.

use std::rc::Rc;
use std::sync::Arc;

use sandbox_core::view::{ClusterView, ControlType, PartitionView};

use crate::components::cluster::txn_class;
use sandbox_core::record_view::TxnState;
use yew::prelude::*;

/// Offsets shown in the aligned strips.
const WINDOW: i64 = 16;

#[derive(Properties, PartialEq)]
pub struct PartitionDetailProps {
    pub partition: Option<Arc<PartitionView>>,
    /// The whole cluster, for the groups' committed offsets and the consumers' positions.
    #[prop_or_default]
    pub view: Rc<ClusterView>,
}

/// A lane under the replica strips: a group's committed offset (`C`) or a consumer's position
/// (`P`) on this partition.
struct Lane {
    /// `committed` or `position`.
    kind: &'static str,
    /// The group or consumer name.
    who: String,
    offset: i64,
    /// The group's committed offset, for shading what a consumer processed past it.
    committed: Option<i64>,
    title: String,
    sentence: String,
}

/// Records `from..to` in words: `record 40` or `records 40–51`.
fn records(from: i64, to: i64) -> String {
    if to - from == 1 {
        format!("record {from}")
    } else {
        format!("records {from}–{}", to - 1)
    }
}

/// The groups' committed offsets and the consumers' positions on one partition.
fn lanes(view: &ClusterView, partition: &PartitionView) -> Vec<Lane> {
    let on_partition = |topic: &str, p: i32| topic == partition.topic && p == partition.partition;
    let committed_by = |group: &str| {
        view.groups
            .iter()
            .find(|g| g.group_id == group)
            .and_then(|g| {
                g.offsets
                    .iter()
                    .find(|o| on_partition(&o.topic, o.partition))
            })
            .and_then(|o| o.committed)
    };
    let mut lanes = Vec::new();
    for group in &view.groups {
        let Some(committed) = committed_by(&group.group_id) else {
            continue;
        };
        lanes.push(Lane {
            kind: "committed",
            who: group.group_id.clone(),
            offset: committed,
            committed: Some(committed),
            title: format!("C {committed}"),
            sentence: format!(
                "{} committed {committed}: the next record the group reads after a restart or rebalance",
                group.group_id
            ),
        });
        for consumer in view
            .consumers
            .iter()
            .filter(|c| c.group.as_deref() == Some(group.group_id.as_str()))
        {
            lanes.extend(position_lane(consumer, partition, Some(committed)));
        }
    }
    // Consumers whose group has committed nothing here yet, and those without a group.
    for consumer in &view.consumers {
        let committed = consumer.group.as_deref().and_then(committed_by);
        if committed.is_none() {
            lanes.extend(position_lane(consumer, partition, None));
        }
    }
    lanes
}

fn position_lane(
    consumer: &sandbox_core::view::ConsumerView,
    partition: &PartitionView,
    committed: Option<i64>,
) -> Option<Lane> {
    let (_, position) = consumer
        .positions
        .iter()
        .find(|(tp, _)| *tp.topic == *partition.topic && tp.partition == partition.partition)?;
    let position = *position;
    let name = &consumer.name;
    let sentence = match committed {
        Some(c) if position > c => format!(
            "{name}'s position {position}: {} processed but not committed",
            records(c, position)
        ),
        Some(c) if position == c => {
            format!("{name}'s position {position}: everything it processed here is committed")
        }
        Some(c) => format!(
            "{name}'s position {position}: behind the committed offset {c}, so it reads those records again"
        ),
        None if consumer.group.is_some() => format!(
            "{name}'s position {position}: the next record it processes; its group has committed nothing here yet"
        ),
        None => format!("{name}'s position {position}: the next record it processes"),
    };
    Some(Lane {
        kind: "position",
        who: name.clone(),
        offset: position,
        committed,
        title: format!("P {position}"),
        sentence,
    })
}

/// What the strips' shapes mean, shown once any record carries a transaction.
fn txn_legend() -> Html {
    html! {
        <p class="strip-legend">
            <span><span class="cell key committed open-txn"></span>{ " open transaction" }</span>
            <span><span class="cell key committed aborted"></span>{ " aborted (read_committed skips it)" }</span>
            <span><span class="cell key committed txn-marker commit"><span class="inside">{ "C" }</span></span>
                  <span class="cell key committed txn-marker abort"><span class="inside">{ "A" }</span></span>{ " commit / abort marker" }</span>
            <span>{ "Numbers in records: their sequence; hover for producer id and epoch" }</span>
        </p>
    }
}

#[component]
pub fn PartitionDetail(props: &PartitionDetailProps) -> Html {
    let Some(partition) = &props.partition else {
        return html! {
            <div class="partition-detail empty">
                <h2>{ "Partition detail" }</h2>
                <p>{ "Select a partition on the left of the diagram to see its replicas, \
                      their offsets and why the high watermark is where it is." }</p>
            </div>
        };
    };
    let ids = |ids: &[i32]| {
        ids.iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let leader = partition
        .leader
        .map_or("none (offline)".to_string(), |l| format!("broker {l}"));

    // One strip per replica over the same offsets, so they line up.
    let end = partition
        .replicas
        .iter()
        .map(|r| r.log_end_offset)
        .max()
        .unwrap_or(0);
    // One slot past the end, so the LEO marker (the next offset to be written) has a place.
    let start = (end + 1 - WINDOW).max(0);
    let columns = end + 1 - start;
    let strips = partition.replicas.iter().map(|r| {
        let cells = (start..=end).map(|offset| {
            let state = r.record_state(offset).name();
            let mut marks = Vec::new();
            if offset == r.last_stable_offset && r.last_stable_offset != r.high_watermark {
                marks.push("LSO");
            }
            if offset == r.high_watermark {
                marks.push("HW");
            }
            if offset == r.log_end_offset {
                marks.push("LEO");
            }
            let record = r.recent.iter().find(|m| m.offset == offset);
            let look = record.map_or(TxnState::Plain, |m| r.txn_state(m));
            let about = record
                .map(|m| r.describe_record(m))
                .filter(|d| !d.is_empty())
                .map_or(String::new(), |d| format!("; {d}"));
            // Small type inside the cell: a marker's letter, else the record's sequence.
            let inside = match (look, record.and_then(|m| m.batch)) {
                (TxnState::Marker(ControlType::Commit), _) => Some("C".to_string()),
                (TxnState::Marker(ControlType::Abort), _) => Some("A".to_string()),
                (_, Some(b)) if b.sequence >= 0 => Some(b.sequence.to_string()),
                _ => None,
            };
            html! {
                <span class={classes!("cell", state, txn_class(look).split(' ').collect::<Vec<_>>())}
                      data-offset={offset.to_string()}
                      data-control={match look { TxnState::Marker(c) => Some(c.name()), _ => None }}
                      title={format!("offset {offset}: {state}{about}")}>
                    if let Some(inside) = inside {
                        <span class="inside">{ inside }</span>
                    }
                    if !marks.is_empty() {
                        <span class={classes!("mark", marks.contains(&"LSO").then_some("lso"))}>{ marks.join("/") }</span>
                    }
                </span>
            }
        });
        // The log start is worth a line only once it has moved.
        let explanations: Vec<_> = partition
            .explain_markers(r.broker)
            .into_iter()
            .filter(|(name, offset, _)| *name != "log start" || *offset > 0)
            .collect();
        let role = if r.is_leader {
            "★ leader"
        } else if r.in_isr {
            "follower"
        } else {
            "out of sync"
        };
        html! {
            <li class={classes!("strip", r.is_leader.then_some("leader"), (!r.in_isr).then_some("out-of-sync"))}
                data-strip={r.broker.to_string()}>
                <div class="strip-head">
                    <strong>{ format!("Broker {}", r.broker) }</strong>
                    <span class="strip-role">{ role }</span>
                    if r.truncated > 0 {
                        <span class="strip-lost">{ format!("✂ {} record(s) truncated", r.truncated) }</span>
                    }
                </div>
                <div class={classes!("cells", (r.last_stable_offset != r.high_watermark).then_some("with-lso"))} aria-hidden="true"
                     style={format!("grid-template-columns: repeat({columns}, 1fr)")}>{ for cells }</div>
                <dl class="markers">
                    { for explanations.iter().map(|(name, offset, sentence)| html! {
                        <>
                            <dt title={sentence.clone()}>{ format!("{name} {offset}") }</dt>
                            <dd>{ sentence }</dd>
                        </>
                    }) }
                </dl>
            </li>
        }
    });
    let lanes = lanes(&props.view, partition);
    let lane_strips = lanes.iter().map(|lane| {
        let cells = (start..=end).map(|offset| {
            let done = lane.committed.unwrap_or(lane.offset).min(lane.offset);
            let state = if offset < done {
                "consumed"
            } else if offset < lane.offset {
                "processed"
            } else {
                "ahead"
            };
            let short = if lane.kind == "committed" { "C" } else { "P" };
            // A marker before the window sits on its first slot, pointing left.
            let mark = if offset == lane.offset {
                Some(short.to_string())
            } else if offset == start && lane.offset < start {
                Some(format!("‹ {short} {}", lane.offset))
            } else {
                None
            };
            html! {
                <span class={classes!("cell", "lane-cell", state)}>
                    if let Some(mark) = mark {
                        <span class="mark">{ mark }</span>
                    }
                </span>
            }
        });
        html! {
            <li class={classes!("strip", "lane", lane.kind)} data-lane={format!("{}:{}", lane.kind, lane.who)}>
                <div class="strip-head">
                    <strong>{ lane.who.clone() }</strong>
                    <span class="strip-role">{ format!("{} {}", lane.kind, lane.offset) }</span>
                </div>
                <div class="cells" aria-hidden="true"
                     style={format!("grid-template-columns: repeat({columns}, 1fr)")}>{ for cells }</div>
                <dl class="markers">
                    <dt title={lane.sentence.clone()}>{ lane.title.clone() }</dt>
                    <dd>{ lane.sentence.clone() }</dd>
                </dl>
            </li>
        }
    });
    // The LSO gets a column only while a transaction holds it below the HW somewhere.
    let show_lso = partition
        .replicas
        .iter()
        .any(|r| r.last_stable_offset != r.high_watermark);
    let rows = partition.replicas.iter().map(|r| {
        let role = if r.is_leader {
            "★ leader"
        } else {
            "follower"
        };
        let in_sync = if r.in_isr { "yes" } else { "no, out of sync" };
        html! {
            <tr>
                <th scope="row">{ r.broker }</th>
                <td>{ role }</td>
                <td>{ in_sync }</td>
                <td class="num">{ r.log_start_offset }</td>
                if show_lso {
                    <td class="num">{ r.last_stable_offset }</td>
                }
                <td class="num">{ r.high_watermark }</td>
                <td class="num">{ r.log_end_offset }</td>
            </tr>
        }
    });
    html! {
        <div class="partition-detail">
            <h2>{ partition.name() }</h2>
            <p class="summary">
                { format!("Leader: {leader} · leader epoch {} · partition epoch {} · ISR [{}]",
                    partition.leader_epoch, partition.partition_epoch, ids(&partition.isr)) }
            </p>
            <p class="explanation">{ partition.explain_high_watermark() }</p>
            <p class="strip-range">{ format!("Offsets {start} to {end} (the last slot is where the next record goes)") }</p>
            if partition.replicas.iter().any(|r| r.recent.iter().any(|m| m.batch.is_some_and(|b| b.transactional))) {
                { txn_legend() }
            }
            <ol class="strips">
                { for strips }
                if !lanes.is_empty() {
                    <li class="lanes-head">{ "Consumer groups on this partition" }</li>
                }
                { for lane_strips }
            </ol>
            if let Some(leader) = partition.replicas.iter().find(|r| r.is_leader).filter(|r| r.recent.iter().any(|m| m.batch.is_some())) {
                <details class="record-runs" open=true>
                    <summary>{ format!("Who wrote the newest records on leader {} (as kafka-dump-log.sh shows batches)", leader.broker) }</summary>
                    <ul>
                        { for leader.batch_runs().into_iter().map(|(words, state)| (words, txn_class(state))).map(|(words, class)| html! {
                            <li class={classes!("record-run", class.split(' ').collect::<Vec<_>>())}>{ words }</li>
                        }) }
                    </ul>
                </details>
            }
            <table>
                <caption>{ "Replicas in assignment order (the first is the preferred leader)" }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ "Broker" }</th>
                        <th scope="col">{ "Role" }</th>
                        <th scope="col">{ "In ISR" }</th>
                        <th scope="col" title="Log start offset: the first offset still readable">{ "Start" }</th>
                        if show_lso {
                            <th scope="col" title="Last stable offset: read_committed consumers read below it (the HW, unless a transaction is open)">{ "LSO" }</th>
                        }
                        <th scope="col" title="High watermark: consumers read below it">{ "HW" }</th>
                        <th scope="col" title="Log end offset: where the next record goes">{ "LEO" }</th>
                    </tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
