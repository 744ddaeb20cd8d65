//! The narration: one line per event, each the engine's own sentence. Clicking a line moves
//! the whole view to that step; the step being looked at is highlighted.

use std::rc::Rc;

use sandbox_core::event::Event;
use yew::prelude::*;

use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    /// The lines to show, oldest first: the newest events up to the current step (plain
    /// deliveries and timers only with `show_all`), chosen by the reducer.
    pub events: Rc<Vec<Event>>,
    pub show_all: bool,
    pub dispatch: Callback<Action>,
}

#[component]
pub fn EventLog(props: &EventLogProps) -> Html {
    let visible = &props.events;
    let current = visible.last().map(|e| e.step);
    let toggle = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: yew::Event| dispatch.emit(Action::ToggleAllEvents))
    };
    // Keyed by step and place within the step: a step adds its lines and drops the oldest
    // ones; the others stay put.
    let mut within = 0;
    let mut previous = None;
    let keys: Vec<String> = visible
        .iter()
        .map(|e| {
            within = if previous == Some(e.step) {
                within + 1
            } else {
                0
            };
            previous = Some(e.step);
            format!("{}.{within}", e.step)
        })
        .collect();
    let lines = visible.iter().zip(keys).rev().map(|(event, key)| {
        let step = event.step;
        let seek = {
            let dispatch = props.dispatch.clone();
            Callback::from(move |_: MouseEvent| dispatch.emit(Action::Seek(step)))
        };
        let is_current = Some(step) == current;
        html! {
            <li {key} class={classes!("event", event.kind.label(), is_current.then_some("current"))}
                data-step={step.to_string()} data-kind={event.kind.label()}>
                <button class="event-line" onclick={seek}
                        aria-current={is_current.then_some("step")}
                        title={format!("Go to step {step}")}>
                    <span class="event-meta">{ format!("#{step} · {} ms", event.time_ms) }</span>
                    <span class="event-kind">{ event.kind.label() }</span>
                    <span class="event-text">{ &event.text }</span>
                </button>
            </li>
        }
    });
    html! {
        <section class="panel event-log" aria-labelledby="log-heading">
            <div class="panel-head">
                <h2 id="log-heading">{ "What happened" }</h2>
                <label class="toggle">
                    <input type="checkbox" checked={props.show_all} onchange={toggle} />
                    { " every message" }
                </label>
            </div>
            <ol class="events" reversed=true>{ for lines }</ol>
        </section>
    }
}
