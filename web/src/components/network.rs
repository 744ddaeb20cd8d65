//! The network: every broker and controller on a circle, a line for every link between two of
//! them. Click (or press Enter on) a link to cut it, as `partition A | B` would, and again to
//! heal it (`heal A | B`). A cut link is dashed and marked with a cross, not only coloured.

use std::rc::Rc;

use sandbox_core::command::Command;
use sandbox_core::view::ClusterView;
use yew::prelude::*;

use crate::svg::num;

use crate::state::Action;

/// Above this many nodes the picture would be a hairball of links: the panel says to use the
/// console's `partition` instead.
pub const MAX_NODES: usize = 14;
const CENTRE: f64 = 160.0;
const RADIUS: f64 = 120.0;

#[derive(Properties, PartialEq)]
pub struct NetworkPanelProps {
    pub view: Rc<ClusterView>,
    pub dispatch: Callback<Action>,
}

fn name(id: i32) -> String {
    if id >= sandbox_core::command::CONTROLLER_ID_BASE {
        format!("controller {id}")
    } else {
        format!("broker {id}")
    }
}

#[component]
pub fn NetworkPanel(props: &NetworkPanelProps) -> Html {
    let view = &props.view;
    let nodes: Vec<(i32, bool, bool)> = view
        .brokers
        .iter()
        .map(|b| (b.id, b.alive, false))
        .chain(view.controllers.iter().map(|c| (c.id, c.alive, true)))
        .collect();
    let heading = html! { <h2 id="network-heading">{ "Network" }</h2> };
    if nodes.len() > MAX_NODES {
        return html! {
            <section class="panel network" aria-labelledby="network-heading">
                { heading }
                <p class="hint">{ format!(
                    "{} nodes are too many links to draw; cut them from the console, e.g. `partition 0 | 1,2`. Cut now: {}.",
                    nodes.len(),
                    if view.cut_links.is_empty() { "none".to_string() } else {
                        view.cut_links.iter().map(|(a, b)| format!("{a}–{b}")).collect::<Vec<_>>().join(", ")
                    }) }</p>
            </section>
        };
    }
    let at = |i: usize| {
        let angle = -std::f64::consts::FRAC_PI_2
            + std::f64::consts::TAU * i as f64 / nodes.len().max(1) as f64;
        (CENTRE + RADIUS * angle.cos(), CENTRE + RADIUS * angle.sin())
    };
    let mut links = Vec::new();
    for i in 0..nodes.len() {
        for j in i + 1..nodes.len() {
            let (a, b) = (nodes[i].0, nodes[j].0);
            let pair = (a.min(b), a.max(b));
            let cut = view.cut_links.contains(&pair);
            let command = if cut {
                Command::Heal {
                    sides: Some((vec![a], vec![b])),
                }
            } else {
                Command::Partition {
                    side_a: vec![a],
                    side_b: vec![b],
                }
            };
            let click = {
                let dispatch = props.dispatch.clone();
                let command = command.clone();
                Callback::from(move |_: MouseEvent| dispatch.emit(Action::Command(command.clone())))
            };
            let key = {
                let dispatch = props.dispatch.clone();
                Callback::from(move |e: KeyboardEvent| {
                    if e.key() == "Enter" || e.key() == " " {
                        e.prevent_default();
                        dispatch.emit(Action::Command(command.clone()));
                    }
                })
            };
            let ((x1, y1), (x2, y2)) = (at(i), at(j));
            let label = if cut {
                format!(
                    "Heal the link between {} and {} (cut now)",
                    name(a),
                    name(b)
                )
            } else {
                format!("Cut the link between {} and {}", name(a), name(b))
            };
            links.push(html! {
                <g class={classes!("link", cut.then_some("cut"))} data-link={format!("{}-{}", pair.0, pair.1)}
                   data-cut={cut.to_string()} role="button" tabindex="0" aria-label={label.clone()}
                   onclick={click} onkeydown={key}>
                    <title>{ label }</title>
                    <line class="wire" x1={num(x1)} y1={num(y1)} x2={num(x2)} y2={num(y2)} />
                    <line class="hit" x1={num(x1)} y1={num(y1)} x2={num(x2)} y2={num(y2)} />
                    // A handle a quarter of the way from the first node: links cross in the
                    // middle, but no two handles sit in the same place.
                    <circle class="grip" cx={num(x1 + (x2 - x1) * 0.28)}
                            cy={num(y1 + (y2 - y1) * 0.28)} r="6" />
                    if cut {
                        <text class="cut-mark" x={num((x1 + x2) / 2.0 - 5.0)}
                              y={num((y1 + y2) / 2.0 + 5.0)}>{ "✕" }</text>
                    }
                </g>
            });
        }
    }
    let circles = nodes.iter().enumerate().map(|(i, &(id, alive, controller))| {
        let (x, y) = at(i);
        let label = if controller { format!("C{id}") } else { format!("B{id}") };
        html! {
            <g class={classes!("net-node", controller.then_some("controller"), (!alive).then_some("down"))}
               data-net-node={id.to_string()}>
                <circle cx={num(x)} cy={num(y)} r="19" />
                <text x={num(x)} y={num(y + 4.0)}>{ label }</text>
            </g>
        }
    });
    let heal_all = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            dispatch.emit(Action::Command(Command::Heal { sides: None }))
        })
    };
    html! {
        <section class="panel network" aria-labelledby="network-heading">
            { heading }
            <svg viewBox="0 0 320 320" role="group" aria-label="Network links: activate one to cut or heal it">
                { for links }
                { for circles }
            </svg>
            <p class="hint">
                { format!("Click a link to cut it; click a dashed one to heal it. {} link(s) cut. ",
                    view.cut_links.len()) }
                <button class="heal-all" onclick={heal_all} disabled={view.cut_links.is_empty()}>{ "Heal all" }</button>
            </p>
        </section>
    }
}
