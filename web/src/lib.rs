//! The Kafka Sandbox page.
//!
//! The UI is thin: it renders the plain view structs that `sandbox-core` produces and keeps
//! only UI state (what is selected, whether it is playing) itself. Every change goes through
//! the reducer in [`state`], which forwards commands to core's `Timeline`.

pub mod components;
pub mod state;

use std::rc::Rc;

use yew::prelude::*;

use components::actions::{NodeActions, NodeMenu, ProduceForm};
use components::cluster::ClusterDiagram;
use components::config_panel::ConfigPanel;
use components::console::Console;
use components::controls::Controls;
use components::event_log::EventLog;
use components::groups::GroupsPanel;
use components::metrics::MetricsPanel;
use components::network::NetworkPanel;
use components::partition_detail::PartitionDetail;
use components::producers::ProducersPanel;
use sandbox_core::view::ClusterView;
use state::{Action, AppState};

/// Which partition the user is looking at, by topic and partition number.
pub type PartitionKey = (String, i32);

/// How often a playing timeline advances, in real milliseconds.
const TICK_MS: u32 = 250;

/// Kafka's internal topics (`__consumer_offsets`, `__transaction_state`) start with `__`.
fn is_internal(topic: &str) -> bool {
    topic.starts_with("__")
}

/// The view the diagram draws: without internal topics unless `show` is set.
fn without_internal_topics(view: Rc<ClusterView>, show: bool) -> Rc<ClusterView> {
    if show || !view.topics.iter().any(|t| is_internal(&t.name)) {
        return view;
    }
    let mut copy = (*view).clone();
    copy.topics.retain(|t| !is_internal(&t.name));
    Rc::new(copy)
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::from_location);
    // Internal topics (`__consumer_offsets`, 50 partitions by default) stay out of the diagram
    // unless asked for; the groups panel still reads them.
    let show_internal = use_state(|| false);
    let shown = use_memo((state.version, *show_internal), {
        let view = state.view.clone();
        move |&(_, show)| without_internal_topics(view, show)
    });
    let shown: Rc<ClusterView> = (*shown).clone();

    // The address always holds the run, so a reload or a shared link restores it exactly.
    {
        let session = state.session.clone();
        use_effect_with(state.version, move |_| {
            let script = session.borrow().script();
            let encoded = String::from(js_sys::encode_uri_component(&script));
            if let Some(window) = web_sys::window() {
                if let Ok(history) = window.history() {
                    let url = format!("#run={encoded}");
                    let _ = history.replace_state_with_url(
                        &wasm_bindgen::JsValue::NULL,
                        "",
                        Some(&url),
                    );
                }
            }
        });
    }
    let dispatch = {
        let state = state.clone();
        Callback::from(move |action: Action| state.dispatch(action))
    };

    // The theme lives on the root element so the whole page, body included, follows it.
    use_effect_with(state.theme, |theme| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            root.set_class_name(theme.class());
        }
    });

    // Playing: advance on a timer while `playing` is set.
    {
        let state = state.clone();
        use_effect_with(state.playing, move |&playing| {
            let interval = playing.then(|| {
                let state = state.clone();
                gloo_timers::callback::Interval::new(TICK_MS, move || state.dispatch(Action::Tick))
            });
            move || drop(interval)
        });
    }

    // Keyboard: space plays or pauses, arrows and a clicker's page keys step.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window()
                .and_then(|w| w.document())
                .map(|document| {
                    gloo_events::EventListener::new(&document, "keydown", move |event| {
                        let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                            return;
                        };
                        let typing = event
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                            .map(|el| el.tag_name().to_ascii_lowercase())
                            .is_some_and(|tag| {
                                matches!(tag.as_str(), "input" | "select" | "textarea" | "button")
                            });
                        if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                            return;
                        }
                        let action = match event.key().as_str() {
                            " " => Action::TogglePlay,
                            "ArrowRight" | "PageDown" => Action::StepForward,
                            "ArrowLeft" | "PageUp" => Action::StepBack,
                            _ => return,
                        };
                        event.prevent_default();
                        state.dispatch(action);
                    })
                });
            move || drop(listener)
        });
    }

    let session = state.session.borrow();
    let timeline = &session.timeline;
    let lines = Rc::new(session.console.clone());
    let history = Rc::new(session.history.clone());
    let view = state.view.clone();
    let detail = state.selected.as_ref().and_then(|(topic, partition)| {
        view.topics
            .iter()
            .filter(|t| &t.name == topic)
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition == *partition)
            .cloned()
    });
    let on_select = {
        let dispatch = dispatch.clone();
        Callback::from(move |key: PartitionKey| dispatch.emit(Action::Select(key)))
    };
    let on_node = {
        let dispatch = dispatch.clone();
        Callback::from(move |node: i32| dispatch.emit(Action::SelectNode(Some(node))))
    };
    let internal: Vec<&str> = view
        .topics
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| is_internal(n))
        .collect();
    let on_internal = {
        let show_internal = show_internal.clone();
        Callback::from(move |_: Event| show_internal.set(!*show_internal))
    };
    html! {
        <div class={classes!("app", state.presenter.then_some("presenter"))}>
            <header class="topbar">
                <div class="brand">
                    <h1>{ "Kafka Sandbox" }</h1>
                    <p class="tagline">{ "A Kafka 4 cluster (KRaft), simulated in your browser." }</p>
                </div>
                <Controls step={timeline.state.steps} head_step={timeline.branch().head_step}
                          time_ms={timeline.state.now_ms} branch={timeline.current_branch}
                          branches={timeline.branches.len()} playing={state.playing}
                          speed_ms={state.speed_ms} presenter={state.presenter}
                          theme_label={state.theme.label()}
                          dispatch={dispatch.clone()} />
            </header>
            <div class="layout">
                <div class="main-column">
                    <section class="panel cluster-panel" aria-labelledby="cluster-heading">
                        <div class="panel-head">
                            <h2 id="cluster-heading">{ "Cluster" }</h2>
                            <label class="toggle">
                                <input type="checkbox" class="show-internal" checked={*show_internal}
                                       onchange={on_internal} />
                                { " show internal topics" }
                                if !internal.is_empty() && !*show_internal {
                                    { format!(" ({} hidden)", internal.join(", ")) }
                                }
                            </label>
                        </div>
                        if let Some(node) = state.selected_node {
                            <NodeMenu view={view.clone()} {node} dispatch={dispatch.clone()} />
                        }
                        <ClusterDiagram view={shown.clone()} selected={state.selected.clone()} {on_select}
                                        {on_node} selected_node={state.selected_node} />
                    </section>
                    <ProducersPanel view={view.clone()} dispatch={dispatch.clone()} />
                    <GroupsPanel view={view.clone()} dispatch={dispatch.clone()} />
                </div>
                <aside class="side">
                    <div class="panel" aria-live="polite">
                        <PartitionDetail partition={detail} view={view.clone()} />
                    </div>
                    <ProduceForm view={shown} dispatch={dispatch.clone()} />
                    <NodeActions view={view.clone()} dispatch={dispatch.clone()} />
                    <NetworkPanel view={view.clone()} dispatch={dispatch.clone()} />
                    <MetricsPanel metrics={state.metrics.clone()} />
                    <ConfigPanel view={view.clone()} dispatch={dispatch.clone()} />
                </aside>
            </div>
            <div class="bottom">
                <EventLog events={state.log.clone()} show_all={state.show_all_events}
                          dispatch={dispatch.clone()} />
                <Console lines={lines} history={history} dispatch={dispatch} />
            </div>
        </div>
    }
}

use wasm_bindgen::JsCast;
