//! The cluster diagram: the controller quorum, brokers as columns, partitions as rows, one cell
//! per replica with a window of its log and markers for the log start offset, HW and LEO.
//!
//! State is never shown by colour alone: the leader carries a star and the word "Leader", an
//! out-of-sync replica a dashed border and the words "Out of sync", a crashed broker a cross and
//! the word "crashed".

use std::rc::Rc;

use sandbox_core::view::{ClusterView, PartitionView, ReplicaView};
use yew::prelude::*;

use crate::PartitionKey;

const LABEL_WIDTH: f64 = 140.0;
const COLUMN_WIDTH: f64 = 250.0;
const QUORUM_HEIGHT: f64 = 56.0;
const HEADER_HEIGHT: f64 = 84.0;
const ROW_HEIGHT: f64 = 100.0;
const CELL_PAD: f64 = 8.0;
/// How many of the newest offsets each replica cell draws; older ones are summarised.
const LOG_WINDOW: i64 = 12;

#[derive(Properties, PartialEq)]
pub struct ClusterDiagramProps {
    pub view: Rc<ClusterView>,
    #[prop_or_default]
    pub selected: Option<PartitionKey>,
    #[prop_or_default]
    pub on_select: Callback<PartitionKey>,
}

#[component]
pub fn ClusterDiagram(props: &ClusterDiagramProps) -> Html {
    let view = &props.view;
    let partitions: Vec<&PartitionView> = view
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter())
        .collect();
    let column_of = |broker: i32| view.brokers.iter().position(|b| b.id == broker);
    let width = LABEL_WIDTH + COLUMN_WIDTH * view.brokers.len().max(1) as f64 + 8.0;
    let quorum = if view.controllers.is_empty() {
        0.0
    } else {
        QUORUM_HEIGHT
    };
    let top = quorum + HEADER_HEIGHT;
    let height = top + ROW_HEIGHT * partitions.len() as f64 + 8.0;

    let controllers = view.controllers.iter().enumerate().map(|(i, c)| {
        let x = LABEL_WIDTH + 170.0 * i as f64;
        let (symbol, class) = match (c.alive, c.role.as_str()) {
            (false, _) => ("✕", "down"),
            (true, "Leader") => ("★", "active"),
            (true, _) => ("●", "standby"),
        };
        let role = if c.role == "Leader" {
            "active".to_string()
        } else {
            c.role.to_lowercase()
        };
        html! {
            <g class={classes!("controller", class)} data-controller={c.id.to_string()}
               transform={format!("translate({x},6)")}>
                <title>{ format!("Controller {}: {} in epoch {}, metadata log end {}, HW {}",
                    c.id, c.role, c.epoch, c.log_end_offset, c.high_watermark) }</title>
                <rect class="controller-box" width="160" height="40" rx="8" />
                <text class="controller-name" x="10" y="17">{ format!("{symbol} controller {}", c.id) }</text>
                <text class="controller-meta" x="10" y="33">{ format!("{role} · epoch {}", c.epoch) }</text>
            </g>
        }
    });

    let brokers = view.brokers.iter().enumerate().map(|(column, broker)| {
        let x = LABEL_WIDTH + COLUMN_WIDTH * column as f64;
        let (status, label) = match (broker.alive, broker.fenced) {
            (false, _) => ("crashed", "✕ crashed"),
            (true, true) => ("fenced", "⊘ fenced"),
            (true, false) => ("alive", "● alive"),
        };
        let rack = broker.rack.as_deref().unwrap_or("no rack");
        html! {
            <g class={classes!("broker", status)} data-broker={broker.id.to_string()}
               data-status={status} transform={format!("translate({x},{})", quorum + 6.0)}>
                <rect class="broker-box" width={(COLUMN_WIDTH - 12.0).to_string()}
                      height={(HEADER_HEIGHT - 18.0).to_string()} rx="10" />
                <text class="broker-name" x="14" y="28">{ format!("Broker {}", broker.id) }</text>
                <text class="broker-meta" x="14" y="52">{ format!("{rack} · {label}") }</text>
            </g>
        }
    });

    let rows = partitions.iter().enumerate().map(|(row, partition)| {
        let y = top + ROW_HEIGHT * row as f64;
        let key: PartitionKey = (partition.topic.clone(), partition.partition);
        let is_selected = props.selected.as_ref() == Some(&key);
        let window_end = partition
            .replicas
            .iter()
            .map(|r| r.log_end_offset)
            .max()
            .unwrap_or(0);
        let select = {
            let on_select = props.on_select.clone();
            let key = key.clone();
            Callback::from(move |_: MouseEvent| on_select.emit(key.clone()))
        };
        let select_key = {
            let on_select = props.on_select.clone();
            let key = key.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    on_select.emit(key.clone());
                }
            })
        };
        let alive = |b: i32| view.brokers.iter().any(|x| x.id == b && x.alive);
        let cells = partition.replicas.iter().filter_map(|replica| {
            let column = column_of(replica.broker)?;
            let x = LABEL_WIDTH + COLUMN_WIDTH * column as f64;
            Some(replica_cell(partition, replica, alive(replica.broker), x, y, window_end))
        });
        let status = match partition.leader {
            Some(l) => format!("leader {l} · epoch {}", partition.leader_epoch),
            None => "✕ offline".to_string(),
        };
        html! {
            <g class={classes!("partition-row", is_selected.then_some("selected"),
                               partition.leader.is_none().then_some("offline"))}>
                <rect class="row-band" x="0" y={(y - 4.0).to_string()} width={width.to_string()}
                      height={(ROW_HEIGHT - 4.0).to_string()} rx="8" />
                <g class="partition-label" role="button" tabindex="0"
                   data-partition={partition.name()}
                   aria-pressed={is_selected.to_string()}
                   aria-label={format!("Show partition {}", partition.name())}
                   onclick={select} onkeydown={select_key}>
                    <rect x="4" y={y.to_string()} width={(LABEL_WIDTH - 16.0).to_string()}
                          height={(ROW_HEIGHT - 12.0).to_string()} rx="8" />
                    <text class="partition-name" x="14" y={(y + 28.0).to_string()}>{ partition.name() }</text>
                    <text class="partition-meta" x="14" y={(y + 50.0).to_string()}>{ status }</text>
                    <text class="partition-meta" x="14" y={(y + 68.0).to_string()}>
                        { format!("ISR {}", ids(&partition.isr)) }
                    </text>
                </g>
                { for cells }
            </g>
        }
    });

    html! {
        <svg class="cluster-diagram" viewBox={format!("0 0 {width} {height}")}
             role="img" aria-label={summary(view)} preserveAspectRatio="xMinYMin meet">
            if quorum > 0.0 {
                <text class="quorum-label" x="8" y="31">{ "KRaft quorum" }</text>
            }
            { for controllers }
            { for brokers }
            { for rows }
            { in_flight(view, quorum) }
        </svg>
    }
}

/// Where a node sits in the picture, for drawing messages between nodes.
fn node_anchor(view: &ClusterView, node: i32, quorum: f64) -> Option<(f64, f64)> {
    if let Some(i) = view.controllers.iter().position(|c| c.id == node) {
        return Some((LABEL_WIDTH + 170.0 * i as f64 + 80.0, 26.0));
    }
    if let Some(i) = view.brokers.iter().position(|b| b.id == node) {
        return Some((
            LABEL_WIDTH + COLUMN_WIDTH * i as f64 + COLUMN_WIDTH / 2.0,
            quorum + 40.0,
        ));
    }
    // The client sits at the left edge, beside the brokers.
    (node < 0).then_some((30.0, quorum + 40.0))
}

/// Messages on their way, each a dot on the line between its two nodes, placed by how much of
/// its latency has passed at the current simulated time, and labelled with its RPC name.
fn in_flight(view: &ClusterView, quorum: f64) -> Html {
    let now = view.time_ms;
    let dots = view.in_flight.iter().filter_map(|m| {
        let (x1, y1) = node_anchor(view, m.from, quorum)?;
        let (x2, y2) = node_anchor(view, m.to, quorum)?;
        let span = (m.deliver_ms - m.sent_ms).max(1) as f64;
        let t = ((now - m.sent_ms) as f64 / span).clamp(0.0, 1.0);
        let (x, y) = (x1 + (x2 - x1) * t, y1 + (y2 - y1) * t);
        Some(html! {
            <g class="message" data-message={m.name.clone()}>
                <line class="message-path" x1={x1.to_string()} y1={y1.to_string()}
                      x2={x2.to_string()} y2={y2.to_string()} />
                <circle cx={x.to_string()} cy={y.to_string()} r="5" />
                <text x={(x + 7.0).to_string()} y={(y - 6.0).to_string()}>{ &m.name }</text>
            </g>
        })
    });
    html! { <g class="in-flight" aria-label="Messages in flight">{ for dots }</g> }
}

fn ids(list: &[i32]) -> String {
    let items: Vec<String> = list.iter().map(i32::to_string).collect();
    format!("[{}]", items.join(","))
}

/// A screen-reader summary of the picture.
fn summary(view: &ClusterView) -> String {
    let partitions: usize = view.topics.iter().map(|t| t.partitions.len()).sum();
    let alive = view.brokers.iter().filter(|b| b.alive).count();
    format!(
        "Cluster of {} brokers ({alive} running) with {partitions} partitions{}",
        view.brokers.len(),
        view.active_controller
            .map_or(String::new(), |c| format!("; controller {c} is active"))
    )
}

fn replica_cell(
    partition: &PartitionView,
    replica: &ReplicaView,
    broker_alive: bool,
    x: f64,
    y: f64,
    window_end: i64,
) -> Html {
    let (role, label) = match (replica.is_leader, replica.in_isr) {
        (true, _) => ("leader", "★ Leader"),
        (false, true) => ("follower", "Follower"),
        (false, false) => ("follower", "Out of sync"),
    };
    let cell_width = COLUMN_WIDTH - 12.0;
    let window_start = (window_end - LOG_WINDOW).max(0);
    let slot = (cell_width - 2.0 * CELL_PAD - 20.0) / LOG_WINDOW as f64;
    let first_x = x + CELL_PAD + 16.0;
    let bar_y = y + 36.0;
    let offset_x = |offset: i64| first_x + slot * (offset - window_start) as f64 - 1.0;
    let squares = (window_start..window_end).map(|offset| {
        let state = if offset >= replica.log_end_offset {
            "absent"
        } else if offset < replica.log_start_offset {
            "deleted"
        } else if offset < replica.high_watermark {
            "committed"
        } else {
            "uncommitted"
        };
        let sx = first_x + slot * (offset - window_start) as f64;
        html! {
            <rect class={classes!("record", state)} x={sx.to_string()} y={bar_y.to_string()}
                  width={(slot - 2.0).to_string()} height="16" rx="2">
                <title>{ format!("offset {offset}: {state}") }</title>
            </rect>
        }
    });
    let marker = |name: &'static str, offset: i64, label_y: f64| {
        (offset >= window_start && offset <= window_end).then(|| {
            let mx = offset_x(offset);
            html! {
                <g class={classes!("marker", name)} data-marker={name} data-offset={offset.to_string()}>
                    <line x1={mx.to_string()} x2={mx.to_string()}
                          y1={(bar_y - 5.0).to_string()} y2={(bar_y + 21.0).to_string()} />
                    <text x={(mx + 2.0).to_string()} y={label_y.to_string()}>{ name }</text>
                </g>
            }
        })
    };
    let hw_marker = marker("HW", replica.high_watermark, bar_y - 6.0);
    let leo_marker = (replica.log_end_offset != replica.high_watermark)
        .then(|| marker("LEO", replica.log_end_offset, bar_y + 29.0))
        .flatten();
    let start_marker = (replica.log_start_offset > 0)
        .then(|| marker("LS", replica.log_start_offset, bar_y + 29.0))
        .flatten();
    html! {
        <g class={classes!("replica", role, (!replica.in_isr).then_some("out-of-sync"),
                           (!broker_alive).then_some("down"))}
           data-replica={format!("{}@{}", partition.name(), replica.broker)}
           data-role={role} data-isr={replica.in_isr.to_string()}
           data-hw={replica.high_watermark.to_string()}
           data-leo={replica.log_end_offset.to_string()}>
            <title>{ format!("{} on broker {}: {}, log start {}, HW {}, LEO {}{}",
                partition.name(), replica.broker, label, replica.log_start_offset,
                replica.high_watermark, replica.log_end_offset,
                if replica.truncated > 0 { format!(", {} record(s) truncated", replica.truncated) } else { String::new() }) }</title>
            <rect class="cell" x={x.to_string()} y={y.to_string()} width={cell_width.to_string()}
                  height={(ROW_HEIGHT - 12.0).to_string()} rx="8" />
            <text class="role" x={(x + CELL_PAD + 4.0).to_string()} y={(y + 17.0).to_string()}>{ label }</text>
            if replica.truncated > 0 {
                <text class="truncated" x={(x + cell_width - 8.0).to_string()} y={(y + 18.0).to_string()}
                      text-anchor="end">{ format!("✂ {} lost", replica.truncated) }</text>
            }
            if window_start > 0 {
                <text class="ellipsis" x={(x + CELL_PAD + 2.0).to_string()} y={(bar_y + 13.0).to_string()}>{ "…" }</text>
            }
            { for squares }
            { for hw_marker }
            { for leo_marker }
            { for start_marker }
            <text class="offsets" x={(x + CELL_PAD + 4.0).to_string()} y={(y + 81.0).to_string()}>
                { format!("start {} · HW {} · LEO {}", replica.log_start_offset,
                    replica.high_watermark, replica.log_end_offset) }
            </text>
        </g>
    }
}
