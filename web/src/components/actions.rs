//! Direct manipulation: crash, restart or shut down a node, cut a broker off the network,
//! pause a follower, produce records. Every click runs the same command the console would,
//! and the console shows it.

use std::rc::Rc;

use sandbox_core::command::{Acks, Command, TopicPartition};
use sandbox_core::view::{is_internal_topic, ClusterView};
use yew::prelude::*;

use crate::components::form::bind;

use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ActionsProps {
    pub view: Rc<ClusterView>,
    pub dispatch: Callback<Action>,
}

/// The buttons for one node: what can be done to it in its current state.
fn node_buttons(view: &ClusterView, id: i32, dispatch: &Callback<Action>) -> Html {
    let command = |c: Command| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::Command(c.clone())))
    };
    let others: Vec<i32> = view
        .brokers
        .iter()
        .map(|b| b.id)
        .chain(view.controllers.iter().map(|c| c.id))
        .filter(|&n| n != id)
        .collect();
    if let Some(b) = view.brokers.iter().find(|b| b.id == id) {
        return html! {
            <>
            if b.alive {
                <button class="crash" onclick={command(Command::Crash { node: id })}>{ "Crash" }</button>
                <button class="shutdown" onclick={command(Command::Shutdown { node: id })}>{ "Shut down" }</button>
                <button class="isolate" onclick={command(Command::Partition { side_a: vec![id], side_b: others })}>{ "Isolate" }</button>
                if b.fetch_paused {
                    <button class="resume" onclick={command(Command::ResumeFetch { broker: id, partition: None })}>{ "Resume fetching" }</button>
                } else {
                    <button class="pause" onclick={command(Command::PauseFetch { broker: id, partition: None })}>{ "Pause fetching" }</button>
                }
            } else {
                <button class="restart" onclick={command(Command::Restart { node: id })}>{ "Restart" }</button>
            }
            </>
        };
    }
    match view.controllers.iter().find(|c| c.id == id) {
        Some(c) if c.alive => html! {
            <>
            <button class="crash" onclick={command(Command::Crash { node: id })}>{ "Crash" }</button>
            <button class="isolate" onclick={command(Command::Partition { side_a: vec![id], side_b: others })}>{ "Isolate" }</button>
            </>
        },
        Some(_) => html! {
            <button class="restart" onclick={command(Command::Restart { node: id })}>{ "Restart" }</button>
        },
        None => Html::default(),
    }
}

fn node_name(id: i32) -> String {
    if id >= sandbox_core::command::CONTROLLER_ID_BASE {
        format!("Controller {id}")
    } else {
        format!("Broker {id}")
    }
}

/// Up to this many nodes the panel lists every node's buttons; above, the diagram's node menu.
const LISTED_NODES: usize = 12;

#[component]
pub fn NodeActions(props: &ActionsProps) -> Html {
    let heal = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            dispatch.emit(Action::Command(Command::Heal { sides: None }))
        })
    };
    let count = props.view.brokers.len() + props.view.controllers.len();
    if count > LISTED_NODES {
        return html! {
            <section class="panel actions" aria-labelledby="actions-heading">
                <h2 id="actions-heading">{ "Break it" }</h2>
                <p class="hint">{ format!("{count} nodes: click a broker or controller in the diagram for its actions (crash, restart, shut down, isolate, pause fetching).") }</p>
                <p class="hint">
                    <button class="heal" onclick={heal}>{ "Heal the network" }</button>
                </p>
            </section>
        };
    }
    let nodes = props
        .view
        .brokers
        .iter()
        .map(|b| b.id)
        .chain(props.view.controllers.iter().map(|c| c.id))
        .map(|id| {
            html! {
                <li class="node-actions" data-node={id.to_string()}>
                    <span class="node-name">{ node_name(id) }</span>
                    { node_buttons(&props.view, id, &props.dispatch) }
                </li>
            }
        });
    html! {
        <section class="panel actions" aria-labelledby="actions-heading">
            <h2 id="actions-heading">{ "Break it" }</h2>
            <ul class="node-list">{ for nodes }</ul>
            <p class="hint">
                <button class="heal" onclick={heal}>{ "Heal the network" }</button>
            </p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct NodeMenuProps {
    pub view: Rc<ClusterView>,
    pub node: i32,
    pub dispatch: Callback<Action>,
}

/// The actions of the node clicked in the diagram, shown right above it.
#[component]
pub fn NodeMenu(props: &NodeMenuProps) -> Html {
    let close = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::SelectNode(None)))
    };
    html! {
        <div class="node-menu" data-node={props.node.to_string()} role="group"
             aria-label={format!("Actions for {}", node_name(props.node))}>
            <span class="node-name">{ node_name(props.node) }</span>
            { node_buttons(&props.view, props.node, &props.dispatch) }
            <button class="close" onclick={close} aria-label="Close the node's actions">{ "✕" }</button>
        </div>
    }
}

#[component]
pub fn ProduceForm(props: &ActionsProps) -> Html {
    let partitions: Vec<TopicPartition> = props
        .view
        .topics
        .iter()
        .filter(|t| !is_internal_topic(&t.name))
        .flat_map(|t| t.partitions.iter())
        .map(|p| TopicPartition::new(p.topic.clone(), p.partition))
        .collect();
    let partition = use_state(|| 0usize);
    let count = use_state(|| 5i32);
    let acks = use_state(|| Acks::All);
    let on_partition = bind::<_, Event>(&partition, |v| v.parse().unwrap_or(0));
    let on_count = bind::<_, InputEvent>(&count, |v| v.parse::<i32>().unwrap_or(1).clamp(1, 1000));
    let on_acks = bind::<_, Event>(&acks, |v| match v.as_str() {
        "0" => Acks::None,
        "1" => Acks::Leader,
        _ => Acks::All,
    });
    let send = {
        let dispatch = props.dispatch.clone();
        let target = partitions.get(*partition).cloned();
        let count = *count;
        let acks = *acks;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(tp) = target.clone() {
                dispatch.emit(Action::Command(Command::Produce {
                    partition: tp,
                    count,
                    acks,
                    key: None,
                    value: None,
                    timeout_ms: 30_000,
                }));
            }
        })
    };
    html! {
        <form class="panel produce" onsubmit={send} aria-labelledby="produce-heading">
            <h2 id="produce-heading">{ "Produce" }</h2>
            <label>{ "Partition " }
                <select class="produce-partition" onchange={on_partition}>
                    { for partitions.iter().enumerate().map(|(i, tp)| html! {
                        <option value={i.to_string()} selected={i == *partition}>{ tp.to_string() }</option>
                    }) }
                </select>
            </label>
            <label>{ "Records " }
                <input class="produce-count" type="number" min="1" max="1000"
                       value={count.to_string()} oninput={on_count} />
            </label>
            <label>{ "acks " }
                <select class="produce-acks" onchange={on_acks}>
                    <option value="all" selected={*acks == Acks::All}>{ "all" }</option>
                    <option value="1" selected={*acks == Acks::Leader}>{ "1" }</option>
                    <option value="0" selected={*acks == Acks::None}>{ "0" }</option>
                </select>
            </label>
            <button type="submit" class="produce-send" disabled={partitions.is_empty()}>{ "Send" }</button>
        </form>
    }
}
