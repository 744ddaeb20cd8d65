//! The consumer groups panel: each group's state machine, members and their partitions, and per
//! partition where the group stands (committed offset, the owner's position, the HW, lag in
//! records and in time); the consumers with what they are doing and buttons to break them; a
//! form to start one. Every click runs the command the console would, and the console shows it.
//!
//! State is never shown by colour alone: each member's partitions are chips labelled with the
//! partition name (and the colour is only a second cue), a group's state is a word with a symbol,
//! and the lag bar's markers are labelled and spelled out in its accessible name.

use std::rc::Rc;

use sandbox_core::command::{Command, TopicPartition};
use sandbox_core::view::{
    is_internal_topic, ClusterView, ConsumerView, GroupOffsetView, GroupStateView, GroupView,
};
use yew::prelude::*;

use crate::components::form::{bind_chosen, bind_text};

use crate::state::Action;

/// How many member colours the stylesheet defines (`.member-0` …).
const MEMBER_COLOURS: usize = 8;

/// The sandbox knob that makes a consumer's application slow.
const PROCESSING_KNOB: &str = "sandbox.processing.ms.per.record";

/// The assignment strategies the form offers: `(value, label)`; an empty value keeps Kafka's
/// default list (range, then cooperative-sticky: eager range).
const STRATEGIES: &[(&str, &str)] = &[
    ("", "default (range, cooperative-sticky)"),
    ("range", "range"),
    ("roundrobin", "roundrobin"),
    ("sticky", "sticky"),
    ("cooperative-sticky", "cooperative-sticky"),
];

#[derive(Properties, PartialEq)]
pub struct GroupsPanelProps {
    pub view: Rc<ClusterView>,
    pub dispatch: Callback<Action>,
}

/// Lag in time as people read it: `0 s`, `450 ms`, `3.2 s`, `2 min 05 s`.
pub fn format_lag_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if ms == 0 {
        "0 s".to_string()
    } else if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{} s", crate::svg::num(ms as f64 / 1000.0))
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// A member id short enough for a table: `c1-22feec8a…` for
/// `c1-22feec8a-5505-473c-9fce-e31d84578afb` (the full id goes in a title).
pub fn short_member_id(member_id: &str, client_id: &str) -> String {
    let rest = member_id
        .strip_prefix(client_id)
        .and_then(|r| r.strip_prefix('-'));
    match rest {
        Some(rest) if rest.chars().count() > 8 => {
            format!("{client_id}-{}…", rest.chars().take(8).collect::<String>())
        }
        Some(_) => member_id.to_string(),
        None if member_id.chars().count() > 14 => {
            format!("{}…", member_id.chars().take(12).collect::<String>())
        }
        None => member_id.to_string(),
    }
}

/// A group state as a symbol and a class for the styles (what it means comes from core).
fn state_look(state: GroupStateView) -> (&'static str, &'static str) {
    match state {
        GroupStateView::Stable => ("✓", "stable"),
        GroupStateView::PreparingRebalance
        | GroupStateView::Assigning
        | GroupStateView::Reconciling => ("⟳", "rebalancing"),
        GroupStateView::CompletingRebalance => ("⋯", "rebalancing"),
        GroupStateView::Empty => ("○", "empty"),
        GroupStateView::Dead => ("✕", "dead"),
    }
}

/// The colour index of a consumer: its place in start order, so it keeps one colour everywhere.
fn member_colour(view: &ClusterView, client_id: &str) -> usize {
    let index = view
        .consumers
        .iter()
        .position(|c| c.name == client_id)
        .unwrap_or_else(|| client_id.bytes().map(usize::from).sum());
    index % MEMBER_COLOURS
}

/// A partition as a chip labelled with its name, in its owner's colour.
fn chip(tp: &TopicPartition, colour: usize) -> Html {
    html! {
        <li class={classes!("chip", format!("member-{colour}"))} data-chip={tp.to_string()}>
            { tp.to_string() }
        </li>
    }
}

/// How many partition chips a member or consumer shows; more are counted, not drawn.
const CHIPS_SHOWN: usize = 24;

/// How many partitions a group's offset table lists (those with the most lag first when it
/// has more); `kafka-consumer-groups.sh --describe` in the console lists them all.
const OFFSET_ROWS_SHOWN: usize = 36;

/// A member's or consumer's partitions as chips, the first [`CHIPS_SHOWN`] of them.
fn chips(owner: &str, partitions: &[TopicPartition], colour: usize) -> Html {
    let hidden = partitions.len().saturating_sub(CHIPS_SHOWN);
    html! {
        <ul class="chips" aria-label={format!("Partitions of {owner}")}>
            { for partitions.iter().take(CHIPS_SHOWN).map(|tp| chip(tp, colour)) }
            if hidden > 0 {
                <li class="chip more">{ format!("+{hidden} more ({} in all)", partitions.len()) }</li>
            }
        </ul>
    }
}

/// The consumer behind a group member, matched by member id, else by client id.
fn consumer_of<'a>(view: &'a ClusterView, member_id: &str) -> Option<&'a ConsumerView> {
    view.consumers
        .iter()
        .find(|c| c.member_id.as_deref() == Some(member_id))
}

/// The bar of one partition: committed, position and HW on one scale, each marker labelled.
fn lag_bar(committed: Option<i64>, position: Option<i64>, hw: i64, scale: i64) -> Html {
    let pct = |offset: i64| 100.0 * offset.clamp(0, scale) as f64 / scale.max(1) as f64;
    let style = |from: i64, to: i64| {
        format!(
            "left: {}%; width: {}%",
            crate::svg::num(pct(from)),
            crate::svg::num((pct(to) - pct(from)).max(0.0))
        )
    };
    let done = committed.unwrap_or(0);
    let read = position.unwrap_or(done).max(done);
    // Markers at the same offset share one label, such as `C/P/HW` for a caught-up group.
    let mut marks: Vec<(i64, Vec<&str>)> = Vec::new();
    for (name, offset) in [("C", committed), ("P", position), ("HW", Some(hw))] {
        let Some(offset) = offset else { continue };
        match marks.iter_mut().find(|(o, _)| *o == offset) {
            Some((_, names)) => names.push(name),
            None => marks.push((offset, vec![name])),
        }
    }
    let described = |v: Option<i64>| v.map_or("none".to_string(), |v| v.to_string());
    let label = format!(
        "committed {}, position {}, HW {hw}",
        described(committed),
        described(position)
    );
    html! {
        <div class="lag-bar" role="img" aria-label={label.clone()} title={label}>
            <span class="seg done" style={style(0, done)}></span>
            <span class="seg processed" style={style(done, read)}></span>
            <span class="seg behind" style={style(read, hw.max(read))}></span>
            { for marks.iter().map(|(offset, names)| {
                let kind = if names.contains(&"HW") { "hw" } else if names.contains(&"P") { "position" } else { "committed" };
                // Labels at either end stay inside the bar's cell.
                let at = pct(*offset);
                let edge = if at < 8.0 { Some("edge-start") } else if at > 92.0 { Some("edge-end") } else { None };
                html! {
                    <span class={classes!("tick", kind, edge)} style={format!("left: {}%", crate::svg::num(at))}>
                        <span class="tick-label">{ names.join("/") }</span>
                    </span>
                }
            }) }
        </div>
    }
}

/// One row of the partition table.
fn offset_row(view: &ClusterView, group: &GroupView, o: &GroupOffsetView, scale: i64) -> Html {
    let tp = TopicPartition::new(o.topic.clone(), o.partition);
    let member = o
        .owner
        .as_ref()
        .and_then(|id| group.members.iter().find(|m| &m.member_id == id));
    let owner = member.map(|m| m.client_id.clone());
    let position = o
        .owner
        .as_deref()
        .and_then(|id| consumer_of(view, id))
        .or_else(|| {
            owner
                .as_deref()
                .and_then(|name| view.consumers.iter().find(|c| c.name == name))
        })
        .and_then(|c| c.positions.iter().find(|(p, _)| p == &tp).map(|(_, o)| *o));
    let num = |v: Option<i64>| v.map_or("—".to_string(), |v| v.to_string());
    let lag_title = match (o.lag, o.lag_ms) {
        (Some(0), _) => "caught up: every record below the HW is committed".to_string(),
        (Some(lag), Some(ms)) => format!(
            "{lag} record(s) between the committed offset and the HW; the oldest was written {} ago",
            format_lag_ms(ms)
        ),
        _ => "no committed offset yet".to_string(),
    };
    html! {
        <tr data-group-partition={tp.to_string()} data-owner={owner.clone().unwrap_or_default()}
            data-lag={o.lag.map(|l| l.to_string()).unwrap_or_default()}
            data-committed={o.committed.map(|c| c.to_string()).unwrap_or_default()}>
            <th scope="row">{ tp.to_string() }</th>
            <td class="owner">
                { match &owner {
                    Some(name) => html! {
                        <span class={classes!("chip", format!("member-{}", member_colour(view, name)))}>{ name.clone() }</span>
                    },
                    None => html! { <span class="unowned">{ "— unassigned" }</span> },
                } }
            </td>
            <td class="num">{ num(position) }</td>
            <td class="num">{ num(o.committed) }</td>
            <td class="num">{ o.log_end_offset }</td>
            <td class={classes!("num", "lag", o.lag.is_some_and(|l| l > 0).then_some("behind"))} title={lag_title.clone()}>
                { num(o.lag) }
            </td>
            <td class="num lag-time" title={lag_title}>
                { o.lag_ms.map_or("—".to_string(), format_lag_ms) }
            </td>
            <td class="bar-cell">{ lag_bar(o.committed, position, o.log_end_offset, scale) }</td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
pub struct GroupCardProps {
    pub view: Rc<ClusterView>,
    pub name: String,
}

/// One group's card alone (an embedded diagram of a group).
#[component]
pub fn GroupCard(props: &GroupCardProps) -> Html {
    match props.view.groups.iter().find(|g| g.group_id == props.name) {
        Some(group) => html! {
            <section class="panel groups-panel">{ group_card(&props.view, group) }</section>
        },
        None => html! {
            <p class="hint">{ format!("There is no group {} at this step.", props.name) }</p>
        },
    }
}

fn group_card(view: &ClusterView, group: &GroupView) -> Html {
    let (symbol, look) = state_look(group.state);
    let meaning = group.state.meaning();
    let coordinator = match group.coordinator {
        Some(b) => format!("broker {b}"),
        None => "none (no leader for its partition)".to_string(),
    };
    let members = group.members.iter().map(|m| {
        let colour = member_colour(view, &m.client_id);
        let is_leader = group.leader.as_deref() == Some(m.member_id.as_str());
        html! {
            <tr data-member={m.client_id.clone()}>
                <th scope="row">
                    <span class={classes!("chip", "member-name", format!("member-{colour}"))}>{ m.client_id.clone() }</span>
                    if is_leader {
                        <span class="group-leader" title="The group leader: it runs the assignor and sends the assignment in SyncGroup">{ " ★ leader" }</span>
                    }
                </th>
                <td><code title={m.member_id.clone()}>{ short_member_id(&m.member_id, &m.client_id) }</code></td>
                <td>{ m.group_instance_id.clone().unwrap_or_else(|| "—".to_string()) }</td>
                <td>
                    if m.assigned.is_empty() {
                        <span class="unowned">{ "no partitions" }</span>
                    } else {
                        { chips(&m.client_id, &m.assigned, colour) }
                    }
                </td>
            </tr>
        }
    });
    // Every bar of the group on one scale, so longer partitions draw longer.
    let scale = group
        .offsets
        .iter()
        .map(|o| o.log_end_offset.max(o.committed.unwrap_or(0)))
        .chain(
            view.consumers
                .iter()
                .filter(|c| c.group.as_deref() == Some(group.group_id.as_str()))
                .flat_map(|c| c.positions.iter().map(|(_, p)| *p)),
        )
        .max()
        .unwrap_or(0)
        .max(1);
    // A big group lists the partitions with the most lag, in partition order.
    let mut listed: Vec<&_> = group.offsets.iter().collect();
    if listed.len() > OFFSET_ROWS_SHOWN {
        let mut by_lag: Vec<usize> = (0..listed.len()).collect();
        sandbox_core::sort::sort_by_key(&mut by_lag, |&i| std::cmp::Reverse(listed[i].lag));
        let mut keep: Vec<usize> = by_lag.into_iter().take(OFFSET_ROWS_SHOWN).collect();
        sandbox_core::sort::sort(&mut keep);
        listed = keep.into_iter().map(|i| listed[i]).collect();
    }
    let unlisted = group.offsets.len() - listed.len();
    let rows = listed
        .into_iter()
        .map(|o| offset_row(view, group, o, scale));
    let rebalances = match group.rebalances {
        1 => "1 rebalance".to_string(),
        n => format!("{n} rebalances"),
    };
    html! {
        <article class={classes!("group", format!("group-{look}"))} data-group={group.group_id.clone()}
                 data-group-state={group.state.name()} data-generation={group.generation.to_string()}>
            <header class="group-head">
                <h3>{ format!("Group {}", group.group_id) }</h3>
                <span class={classes!("group-state", look)} title={meaning}>
                    { format!("{symbol} {}", group.state) }
                </span>
                <span class="group-meaning">{ meaning }</span>
            </header>
            <dl class="group-facts">
                <div><dt>{ "generation" }</dt><dd class="generation">{ group.generation }</dd></div>
                <div><dt>{ "assignor" }</dt><dd>{ group.assignor.clone().unwrap_or_else(|| "—".to_string()) }</dd></div>
                <div><dt>{ "rebalancing" }</dt><dd>{ group.rebalance_protocol.clone() }</dd></div>
                <div title="The leader of the group's __consumer_offsets partition: abs(groupId.hashCode) % offsets.topic.num.partitions">
                    <dt>{ "coordinator" }</dt>
                    <dd>{ format!("{coordinator} · __consumer_offsets-{}", group.offsets_partition) }</dd>
                </div>
                <div><dt>{ "completed" }</dt><dd>{ rebalances }</dd></div>
            </dl>
            if group.members.is_empty() {
                <p class="hint">{ "No members. A consumer that joins starts from the committed offsets below." }</p>
            } else {
                <table class="members">
                    <caption>{ format!("Members ({})", group.members.len()) }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Client id" }</th>
                            <th scope="col">{ "Member id" }</th>
                            <th scope="col" title="group.instance.id: static membership">{ "Instance id" }</th>
                            <th scope="col">{ "Assigned partitions" }</th>
                        </tr>
                    </thead>
                    <tbody>{ for members }</tbody>
                </table>
            }
            if !group.offsets.is_empty() {
                <table class="group-offsets">
                    <caption>{ "Where the group stands on each partition" }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Partition" }</th>
                            <th scope="col">{ "Owner" }</th>
                            <th scope="col" title="The owner's position: the next offset it will process">{ "Position" }</th>
                            <th scope="col" title="The committed offset in __consumer_offsets: where the group resumes after a restart or rebalance">{ "Committed" }</th>
                            <th scope="col" title="High watermark: the group reads up to here (kafka-consumer-groups.sh prints it as LOG-END-OFFSET)">{ "HW" }</th>
                            <th scope="col" title="HW − committed">{ "Lag" }</th>
                            <th scope="col" title="How long ago the oldest record not yet committed was written">{ "Lag time" }</th>
                            <th scope="col" class="bar-head">{ "Committed · position · HW" }</th>
                        </tr>
                    </thead>
                    <tbody>{ for rows }</tbody>
                </table>
                if unlisted > 0 {
                    <p class="hint more-offsets">{ format!(
                        "… and {unlisted} more partitions with less lag (kafka-consumer-groups.sh --describe --group {} in the console lists them all)",
                        group.group_id) }</p>
                }
                <p class="bar-legend">
                    <span><span class="key done"></span>{ " committed" }</span>
                    <span><span class="key processed"></span>{ " processed, not committed yet (read again after a crash)" }</span>
                    <span><span class="key behind"></span>{ " not read yet (lag)" }</span>
                    <span>{ "Markers: C committed, P position, HW high watermark" }</span>
                </p>
            }
        </article>
    }
}

/// The buttons of one consumer row.
fn consumer_buttons(c: &ConsumerView, dispatch: &Callback<Action>) -> Html {
    let command = |command: Command| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::Command(command.clone())))
    };
    let name = c.name.clone();
    let set = |value: &str| Command::ConsumerSet {
        name: name.clone(),
        key: PROCESSING_KNOB.to_string(),
        value: value.to_string(),
    };
    html! {
        <div class="consumer-buttons" role="group" aria-label={format!("Actions for consumer {}", c.name)}>
            <button class="stop" disabled={!c.alive} title="close(): commit, leave the group, stop"
                    onclick={command(Command::ConsumerStop { name: name.clone() })}>{ "Stop" }</button>
            <button class="crash" disabled={!c.alive} title="The process dies: the group notices only after session.timeout.ms"
                    onclick={command(Command::ConsumerCrash { name: name.clone() })}>{ "Crash" }</button>
            <button class="restart" disabled={c.alive} title="Start it again with the same configs"
                    onclick={command(Command::ConsumerRestart { name: name.clone(), properties: Vec::new() })}>{ "Restart" }</button>
            <button class="slow" disabled={!c.alive} title={format!("{PROCESSING_KNOB}=500: half a second per record")}
                    onclick={command(set("500"))}>{ "Slow down" }</button>
            <button class="fast" disabled={!c.alive} title={format!("{PROCESSING_KNOB}=0")}
                    onclick={command(set("0"))}>{ "Speed up" }</button>
        </div>
    }
}

fn consumer_row(view: &ClusterView, c: &ConsumerView, dispatch: &Callback<Action>) -> Html {
    let colour = member_colour(view, &c.name);
    let symbol = if c.alive {
        "●"
    } else if c.state.is_fault() {
        "✕"
    } else {
        "■"
    };
    let isolation_title = if c.read_committed {
        "isolation.level=read_committed: reads only below the LSO and skips records of aborted transactions"
    } else {
        "isolation.level=read_uncommitted (the default): reads up to the HW, records of open and aborted transactions included"
    };
    html! {
        <tr class={classes!("consumer", (!c.alive).then_some("down"))} data-consumer={c.name.clone()}
            data-alive={c.alive.to_string()}
            data-isolation={if c.read_committed { "read_committed" } else { "read_uncommitted" }}>
            <th scope="row">
                <span class={classes!("chip", "member-name", format!("member-{colour}"))}>{ c.name.clone() }</span>
                <div class="consumer-group">
                    { c.group.as_ref().map_or("no group (assigned)".to_string(), |g| format!("group {g}")) }
                </div>
                <div class={classes!("consumer-isolation", c.read_committed.then_some("committed"))} title={isolation_title}>
                    { if c.read_committed { "◆ read_committed" } else { "◇ read_uncommitted" } }
                </div>
            </th>
            <td class="consumer-state" title={c.state.meaning()}>
                { format!("{symbol} {}", c.state) }
                if let Some(error) = &c.error {
                    { format!(": {error}") }
                }
            </td>
            <td>
                if c.owned.is_empty() {
                    <span class="unowned">{ "none" }</span>
                } else {
                    { chips(&c.name, &c.owned, colour) }
                }
            </td>
            <td class="num processed">{ c.records_processed }</td>
            <td class={classes!("num", "reprocessed", (c.records_reprocessed > 0).then_some("alert"))}
                title="Records handed to the application a second time: a crash or rebalance came before their offsets were committed (at-least-once)">
                if c.records_reprocessed > 0 {
                    <strong>{ format!("⚠ {}", c.records_reprocessed) }</strong>
                } else {
                    { "0" }
                }
            </td>
            <td>{ consumer_buttons(c, dispatch) }</td>
        </tr>
    }
}

/// The form that starts a consumer, with Kafka's names for what it sets.
#[component]
pub fn ConsumerForm(props: &GroupsPanelProps) -> Html {
    let view = &props.view;
    // Fields the user has not touched follow the view (the next free name, the first group).
    let name = use_state(|| None::<String>);
    let group = use_state(|| None::<String>);
    let topic = use_state(|| None::<String>);
    let strategy = use_state(String::new);
    let reset = use_state(|| "latest".to_string());
    let instance = use_state(String::new);

    let default_name = (1..)
        .map(|n| format!("c{n}"))
        .find(|n| !view.consumers.iter().any(|c| &c.name == n))
        .unwrap_or_default();
    let default_group = view
        .groups
        .first()
        .map_or("billing".to_string(), |g| g.group_id.clone());
    let topics: Vec<&str> = view
        .topics
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| !is_internal_topic(n))
        .collect();
    let chosen_topic = topic
        .as_deref()
        .filter(|t| topics.contains(t))
        .or_else(|| topics.first().copied())
        .map(str::to_string);
    let name_value = (*name).clone().unwrap_or(default_name);
    let group_value = (*group).clone().unwrap_or(default_group);

    let text_input = bind_chosen::<InputEvent>;
    let on_topic = bind_chosen::<Event>(&topic);
    let select = bind_text::<Event>;
    let on_instance = bind_text::<InputEvent>(&instance);
    let submit = {
        let dispatch = props.dispatch.clone();
        let (name, group, instance) = (name.clone(), group.clone(), instance.clone());
        let name_value = name_value.trim().to_string();
        let group_value = group_value.trim().to_string();
        let topic = chosen_topic.clone();
        let strategy = (*strategy).clone();
        let reset = (*reset).clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(topic) = topic.clone() else { return };
            let mut properties = Vec::new();
            if !strategy.is_empty() {
                properties.push((
                    "partition.assignment.strategy".to_string(),
                    strategy.clone(),
                ));
            }
            if reset != "latest" {
                properties.push(("auto.offset.reset".to_string(), reset.clone()));
            }
            let instance_id = instance.trim().to_string();
            if !instance_id.is_empty() {
                properties.push(("group.instance.id".to_string(), instance_id));
            }
            dispatch.emit(Action::Command(Command::ConsumerStart {
                name: name_value.clone(),
                group: (!group_value.is_empty()).then(|| group_value.clone()),
                topics: vec![topic],
                assign: Vec::new(),
                properties,
            }));
            // The next consumer gets the next free name; the group stays as typed.
            name.set(None);
            instance.set(String::new());
            group.set(Some(group_value.clone()));
        })
    };
    html! {
        <form class="consumer-form" onsubmit={submit} aria-labelledby="consumer-form-heading">
            <h3 id="consumer-form-heading">{ "Start a consumer" }</h3>
            <label>{ "client.id " }
                <input class="consumer-name" type="text" size="6" value={name_value} oninput={text_input(&name)} />
            </label>
            <label>{ "group.id " }
                <input class="consumer-group" type="text" size="8" value={group_value} oninput={text_input(&group)} />
            </label>
            <label>{ "topic " }
                <select class="consumer-topic" onchange={on_topic}>
                    { for topics.iter().map(|t| html! {
                        <option value={t.to_string()} selected={chosen_topic.as_deref() == Some(*t)}>{ *t }</option>
                    }) }
                </select>
            </label>
            <label title="partition.assignment.strategy">{ "assignor " }
                <select class="consumer-strategy" onchange={select(&strategy)}>
                    { for STRATEGIES.iter().map(|(value, label)| html! {
                        <option value={*value} selected={*strategy == *value}>{ *label }</option>
                    }) }
                </select>
            </label>
            <label>{ "auto.offset.reset " }
                <select class="consumer-reset" onchange={select(&reset)}>
                    <option value="latest" selected={*reset == "latest"}>{ "latest (default)" }</option>
                    <option value="earliest" selected={*reset == "earliest"}>{ "earliest" }</option>
                </select>
            </label>
            <label title="Static membership: a restart within session.timeout.ms keeps the member's partitions">
                { "group.instance.id " }
                <input class="consumer-instance" type="text" size="8" placeholder="optional"
                       value={(*instance).clone()} oninput={on_instance} />
            </label>
            <button type="submit" class="consumer-start" disabled={chosen_topic.is_none()}>{ "Start consumer" }</button>
            if chosen_topic.is_none() {
                <p class="hint">{ "Create a topic first: a consumer subscribes to one." }</p>
            }
        </form>
    }
}

#[component]
pub fn GroupsPanel(props: &GroupsPanelProps) -> Html {
    let view = &props.view;
    let consumers = view
        .consumers
        .iter()
        .map(|c| consumer_row(view, c, &props.dispatch));
    html! {
        <section class="panel groups-panel" aria-labelledby="groups-heading">
            <h2 id="groups-heading">{ "Consumer groups" }</h2>
            if view.groups.is_empty() && view.consumers.is_empty() {
                <p class="hint">{ "No consumers yet. Start one below: it finds its group's coordinator, joins, \
                                   gets partitions from the assignor, and this panel follows its position, \
                                   its commits and its lag." }</p>
            }
            { for view.groups.iter().map(|g| group_card(view, g)) }
            if !view.consumers.is_empty() {
                <table class="consumers">
                    <caption>{ "Consumers" }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "Consumer" }</th>
                            <th scope="col">{ "Doing" }</th>
                            <th scope="col">{ "Owns" }</th>
                            <th scope="col" title="Records handed to the application">{ "Processed" }</th>
                            <th scope="col" title="Records processed a second time: the at-least-once cost">{ "Processed twice" }</th>
                            <th scope="col">{ "Actions" }</th>
                        </tr>
                    </thead>
                    <tbody>{ for consumers }</tbody>
                </table>
            }
            <ConsumerForm view={view.clone()} dispatch={props.dispatch.clone()} />
        </section>
    }
}
