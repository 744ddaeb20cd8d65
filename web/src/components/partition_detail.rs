//! The side panel for one partition: its replicas side by side and why the HW is where it is.

use sandbox_core::view::PartitionView;
use yew::prelude::*;

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
    let rows = partition.replicas.iter().map(|r| {
        let in_sync = if r.in_isr { "yes" } else { "no, out of sync" };
        let role = if r.is_leader {
            "★ leader"
        } else {
            "follower"
        };
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
                { format!("Leader: {leader} · leader epoch {} · ISR [{}]",
                    partition.leader_epoch, ids(&partition.isr)) }
            </p>
            <p class="explanation">{ partition.explain_high_watermark() }</p>
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
