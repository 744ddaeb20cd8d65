//! The timeline controls: step back and forward, play and pause with a speed, jump to the next
//! event of a kind, a scrubber over the branch, and fork.

use sandbox_core::command::{Command, EventFilter};
use yew::prelude::*;

use crate::components::form::value_of;

use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub step: u64,
    pub head_step: u64,
    pub time_ms: i64,
    pub branch: usize,
    pub branches: usize,
    pub playing: bool,
    pub speed_ms: i64,
    pub presenter: bool,
    pub theme_label: &'static str,
    pub dispatch: Callback<Action>,
}

/// Simulated time shown as seconds with milliseconds.
pub fn format_time(ms: i64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

#[component]
pub fn Controls(props: &ControlsProps) -> Html {
    let send = |action: fn() -> Action| {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(action()))
    };
    let jump = |filter: EventFilter| {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::JumpTo(filter)))
    };
    let on_scrub = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            if let Ok(step) = value_of(&e).parse::<u64>() {
                dispatch.emit(Action::Scrub(step));
            }
        })
    };
    let on_speed = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: Event| {
            if let Ok(ms) = value_of(&e).parse::<i64>() {
                dispatch.emit(Action::SetSpeed(ms));
            }
        })
    };
    let fork = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::Command(Command::Fork)))
    };
    let speeds = [
        (10, "10 ms"),
        (100, "100 ms"),
        (500, "500 ms"),
        (2000, "2 s"),
    ];
    html! {
        <div class="controls" role="toolbar" aria-label="Timeline">
            <button class="back" onclick={send(|| Action::StepBack)} disabled={props.step == 0}
                    title="Step back (←)" aria-label="Step back">{ "◀ Back" }</button>
            <button class="play" onclick={send(|| Action::TogglePlay)}
                    title="Play or pause (space)" aria-pressed={props.playing.to_string()}>
                { if props.playing { "❚❚ Pause" } else { "▶ Play" } }
            </button>
            <button class="step" onclick={send(|| Action::StepForward)}
                    title="Step forward (→)" aria-label="Step forward">{ "Step ▶" }</button>
            <label class="speed">
                { "per tick " }
                <select onchange={on_speed} aria-label="Simulated time per tick">
                    { for speeds.iter().map(|(ms, label)| html! {
                        <option value={ms.to_string()} selected={*ms == props.speed_ms}>{ *label }</option>
                    }) }
                </select>
            </label>
            <span class="jumps">
                { "Next: " }
                <button class="jump-election" onclick={jump(EventFilter::Election)}>{ "election" }</button>
                <button class="jump-isr" onclick={jump(EventFilter::IsrChange)}>{ "ISR change" }</button>
                <button class="jump-hw" onclick={jump(EventFilter::HighWatermark)}>{ "HW move" }</button>
                <button class="jump-rebalance" onclick={jump(EventFilter::Rebalance)}
                        title="Step until a consumer group's next rebalance">{ "rebalance" }</button>
            </span>
            <input class="scrubber" type="range" min="0" max={props.head_step.to_string()}
                   value={props.step.to_string()} oninput={on_scrub}
                   aria-label="Step in this branch" />
            <span class="position" aria-live="polite">
                { format!("step {} / {} · {}", props.step, props.head_step, format_time(props.time_ms)) }
                if props.branches > 1 {
                    { format!(" · branch {}", props.branch) }
                }
            </span>
            <button class="fork" onclick={fork} title="Start a new branch from this step">{ "Fork here" }</button>
            <button class="presenter-toggle" onclick={send(|| Action::TogglePresenter)}
                    aria-pressed={props.presenter.to_string()}>{ "Presenter" }</button>
            <button class="theme-toggle" onclick={send(|| Action::CycleTheme)}>{ props.theme_label }</button>
        </div>
    }
}
