//! The narration: one line per event, each the engine's own sentence. Clicking a line moves
//! the whole view to that step; the step being looked at is highlighted.

use sandbox_core::event::{Event, EventKind};
use yew::prelude::*;

use crate::state::{Action, Events};

/// How many lines the log shows at most (the newest up to the current step).
const SHOWN: usize = 150;

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub events: Events,
    pub current_step: u64,
    pub show_all: bool,
    pub dispatch: Callback<Action>,
}

/// Plain deliveries and timers are the heartbeat of the cluster: hidden unless asked for.
pub fn explains_something(event: &Event) -> bool {
    !matches!(
        event.kind,
        EventKind::Deliver | EventKind::Timer | EventKind::Drop
    )
}

#[component]
pub fn EventLog(props: &EventLogProps) -> Html {
    // The newest SHOWN lines up to the current step, found from the end: a run has thousands.
    let (visible, current) = props.events.with(|events| {
        let mut newest: Vec<Event> = events
            .iter()
            .rev()
            .skip_while(|e| e.step > props.current_step)
            .filter(|e| props.show_all || explains_something(e))
            .take(SHOWN)
            .cloned()
            .collect();
        newest.reverse();
        let current = newest.last().map(|e| e.step);
        (newest, current)
    });
    let toggle = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: yew::Event| dispatch.emit(Action::ToggleAllEvents))
    };
    let lines = visible.iter().rev().map(|event| {
        let step = event.step;
        let seek = {
            let dispatch = props.dispatch.clone();
            Callback::from(move |_: MouseEvent| dispatch.emit(Action::Seek(step)))
        };
        let is_current = Some(step) == current;
        html! {
            <li class={classes!("event", event.kind.label(), is_current.then_some("current"))}
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
