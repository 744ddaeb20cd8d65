//! The side panel for one partition: its replicas side by side, aligned by offset, each marker
//! labelled and explained, and why the HW is where it is.

use sandbox_core::view::PartitionView;
use yew::prelude::*;

/// Offsets shown in the aligned strips.
const WINDOW: i64 = 16;

#[derive(Properties, PartialEq)]
pub struct PartitionDetailProps {
    pub partition: Option<PartitionView>,
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
            let state = if offset >= r.log_end_offset {
                "absent"
            } else if offset < r.log_start_offset {
                "deleted"
            } else if offset < r.high_watermark {
                "committed"
            } else {
                "uncommitted"
            };
            let mut marks = Vec::new();
            if offset == r.high_watermark {
                marks.push("HW");
            }
            if offset == r.log_end_offset {
                marks.push("LEO");
            }
            html! {
                <span class={classes!("cell", state)} title={format!("offset {offset}: {state}")}>
                    if !marks.is_empty() {
                        <span class="mark">{ marks.join("/") }</span>
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
                <div class="cells" aria-hidden="true"
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
            <ol class="strips">{ for strips }</ol>
            <table>
                <caption>{ "Replicas in assignment order (the first is the preferred leader)" }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ "Broker" }</th>
                        <th scope="col">{ "Role" }</th>
                        <th scope="col">{ "In ISR" }</th>
                        <th scope="col" title="Log start offset: the first offset still readable">{ "Start" }</th>
                        <th scope="col" title="High watermark: consumers read below it">{ "HW" }</th>
                        <th scope="col" title="Log end offset: where the next record goes">{ "LEO" }</th>
                    </tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}
