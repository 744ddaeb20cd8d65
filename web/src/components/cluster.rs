//! The cluster diagram: brokers as columns, partitions as rows, one cell per replica with a
//! small picture of its log (log start, HW and LEO).
//!
//! State is never shown by colour alone: the leader carries a star and the word "Leader", an
//! out-of-sync replica a dashed border and the words "Out of sync".

use std::rc::Rc;

use sandbox_core::view::{ClusterView, PartitionView, ReplicaView};
use yew::prelude::*;

use crate::PartitionKey;

const LABEL_WIDTH: f64 = 140.0;
const COLUMN_WIDTH: f64 = 240.0;
const HEADER_HEIGHT: f64 = 96.0;
const ROW_HEIGHT: f64 = 84.0;
const CELL_PAD: f64 = 8.0;
/// How many of the newest offsets each replica cell draws.
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
    let width = LABEL_WIDTH + COLUMN_WIDTH * view.brokers.len() as f64 + 8.0;
    let height = HEADER_HEIGHT + ROW_HEIGHT * partitions.len() as f64 + 8.0;

    let brokers = view.brokers.iter().enumerate().map(|(column, broker)| {
        let x = LABEL_WIDTH + COLUMN_WIDTH * column as f64;
        let status = if broker.alive { "alive" } else { "crashed" };
        let rack = broker.rack.as_deref().unwrap_or("no rack");
        html! {
            <g class={classes!("broker", status)} data-broker={broker.id.to_string()}
               transform={format!("translate({x},8)")}>
                <rect class="broker-box" width={(COLUMN_WIDTH - 12.0).to_string()}
                      height={(HEADER_HEIGHT - 20.0).to_string()} rx="10" />
                <text class="broker-name" x="14" y="30">{ format!("Broker {}", broker.id) }</text>
                <text class="broker-meta" x="14" y="54">
                    { format!("{} · {}", rack, if broker.alive { "● alive" } else { "✕ crashed" }) }
                </text>
            </g>
        }
    });

    let rows = partitions.iter().enumerate().map(|(row, partition)| {
        let y = HEADER_HEIGHT + ROW_HEIGHT * row as f64;
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
        let cells = partition.replicas.iter().filter_map(|replica| {
            let column = column_of(replica.broker)?;
            let x = LABEL_WIDTH + COLUMN_WIDTH * column as f64;
            Some(replica_cell(partition, replica, x, y, window_end))
        });
        html! {
            <g class={classes!("partition-row", is_selected.then_some("selected"))}>
                <rect class="row-band" x="0" y={(y - 4.0).to_string()} width={width.to_string()}
                      height={(ROW_HEIGHT - 4.0).to_string()} rx="8" />
                <g class="partition-label" role="button" tabindex="0"
                   data-partition={partition.name()}
                   aria-pressed={is_selected.to_string()}
                   aria-label={format!("Show partition {}", partition.name())}
                   onclick={select} onkeydown={select_key}>
                    <rect x="4" y={y.to_string()} width={(LABEL_WIDTH - 16.0).to_string()}
                          height={(ROW_HEIGHT - 12.0).to_string()} rx="8" />
                    <text class="partition-name" x="16" y={(y + 30.0).to_string()}>{ partition.name() }</text>
                    <text class="partition-meta" x="16" y={(y + 52.0).to_string()}>
                        { format!("epoch {}", partition.leader_epoch) }
                    </text>
                </g>
                { for cells }
            </g>
        }
    });

    html! {
        <svg class="cluster-diagram" viewBox={format!("0 0 {width} {height}")}
             role="img" aria-label={summary(view)} preserveAspectRatio="xMinYMin meet">
            { for brokers }
            { for rows }
        </svg>
    }
}

/// A screen-reader summary of the picture.
fn summary(view: &ClusterView) -> String {
    let partitions: usize = view.topics.iter().map(|t| t.partitions.len()).sum();
    format!(
        "Cluster of {} brokers with {} partitions",
        view.brokers.len(),
        partitions
    )
}

fn replica_cell(
    partition: &PartitionView,
    replica: &ReplicaView,
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
    // The last LOG_WINDOW offsets of the partition, one square each, so a difference of a few
    // records between replicas is visible. Older offsets are summarised by a leading ellipsis.
    let window_start = (window_end - LOG_WINDOW).max(0);
    let slot = (cell_width - 2.0 * CELL_PAD - 20.0) / LOG_WINDOW as f64;
    let first_x = x + CELL_PAD + 16.0;
    let bar_y = y + 30.0;
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
                  width={(slot - 2.0).to_string()} height="16" rx="2" />
        }
    });
    let hw_x = first_x + slot * (replica.high_watermark - window_start).max(0) as f64 - 1.0;
    html! {
        <g class={classes!("replica", role, (!replica.in_isr).then_some("out-of-sync"))}
           data-replica={format!("{}@{}", partition.name(), replica.broker)}
           data-role={role} data-isr={replica.in_isr.to_string()}>
            <title>{ format!("{} on broker {}: {}, log start {}, HW {}, LEO {}",
                partition.name(), replica.broker, label, replica.log_start_offset,
                replica.high_watermark, replica.log_end_offset) }</title>
            <rect class="cell" x={x.to_string()} y={y.to_string()} width={cell_width.to_string()}
                  height={(ROW_HEIGHT - 12.0).to_string()} rx="8" />
            <text class="role" x={(x + CELL_PAD + 4.0).to_string()} y={(y + 22.0).to_string()}>{ label }</text>
            if window_start > 0 {
                <text class="ellipsis" x={(x + CELL_PAD + 2.0).to_string()} y={(bar_y + 13.0).to_string()}>{ "…" }</text>
            }
            { for squares }
            if replica.high_watermark >= window_start {
                <line class="hw-marker" x1={hw_x.to_string()} x2={hw_x.to_string()}
                      y1={(bar_y - 4.0).to_string()} y2={(bar_y + 20.0).to_string()} />
            }
            <text class="offsets" x={(x + CELL_PAD + 4.0).to_string()} y={(y + 64.0).to_string()}>
                { format!("start {} · HW {} · LEO {}", replica.log_start_offset,
                    replica.high_watermark, replica.log_end_offset) }
            </text>
        </g>
    }
}
