//! The Kafka Sandbox page.
//!
//! The UI is thin: it renders the plain view structs that `sandbox-core` produces and keeps
//! only UI state (what is selected, whether it is playing) itself. Every change goes through
//! the reducer in [`state`], which forwards commands to core's `Timeline`.

pub mod components;
pub mod lessons;
pub mod perf;
pub mod state;
pub mod svg;

use std::rc::Rc;
use std::sync::Arc;

use yew::prelude::*;

use components::actions::{NodeActions, NodeMenu, ProduceForm};
use components::cluster::ClusterDiagram;
use components::config_panel::ConfigPanel;
use components::console::Console;
use components::controls::Controls;
use components::event_log::EventLog;
use components::groups::{GroupCard, GroupsPanel};
use components::lesson::{LessonMap, LessonPanel};
use components::metrics::MetricsPanel;
use components::network::NetworkPanel;
use components::partition_detail::PartitionDetail;
use components::producers::ProducersPanel;
use components::share::ShareDialog;
use sandbox_core::view::{is_internal_topic, ClusterView, PartitionView, TopicView};
use state::{Action, AppState, SideTab};

/// Which partition the user is looking at, by topic and partition number.
pub type PartitionKey = (String, i32);

/// How often a playing timeline advances, in real milliseconds.
const TICK_MS: u32 = 250;

#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::from_location);
    // Internal topics (`__consumer_offsets`, 50 partitions by default) stay out of the diagram
    // unless asked for; the groups panel still reads them.
    let show_internal = use_state(|| false);
    let rows: Rc<Vec<Arc<PartitionView>>> = {
        let rows = state.rows.clone();
        let show = *show_internal;
        (*use_memo((rows, show), |(rows, show)| {
            if *show || !rows.iter().any(|p| is_internal_topic(&p.topic)) {
                Rc::clone(rows)
            } else {
                Rc::new(
                    rows.iter()
                        .filter(|p| !is_internal_topic(&p.topic))
                        .cloned()
                        .collect(),
                )
            }
        }))
        .clone()
    };

    // The address always holds the run, so a reload or a shared link restores it exactly. It
    // is rewritten at most every ADDRESS_EVERY_MS while the run moves fast (a clicker's steps,
    // playing), and once more when it stops.
    let address = use_mut_ref(|| (f64::NEG_INFINITY, None::<gloo_timers::callback::Timeout>));
    {
        let session = state.session.clone();
        let timing = state.timing;
        let step = state.view.step;
        let retrying = state.notice.as_ref().and_then(|n| n.retry.clone());
        let lesson_at = state
            .lesson
            .as_ref()
            .map(|l| (l.lesson.id.clone(), l.step + 1));
        let embedded = state.embed.is_some();
        use_effect_with(state.version, move |&version| {
            if let Some((action, started, reduced_ms)) = timing {
                perf::record_action(action, started, reduced_ms, step);
            }
            if version == 0 {
                perf::opened();
            }
            // An embed's address is what the page around it asked for: it stays as it is.
            if embedded {
                perf::drawn(step);
                return;
            }
            // A link that was not replayed stays in the address until something is done; the
            // lessons arriving in the background is not something done (and opens at most the
            // lesson step the address already names).
            let background = matches!(timing, Some(("lessons-loaded", ..)));
            if background || (version == 0 && retrying.is_some()) {
                return;
            }
            let now = perf::now();
            let mut throttle = address.borrow_mut();
            throttle.1 = None;
            if let Some((id, step_number)) = &lesson_at {
                // A lesson's address is its step: opening it plays the lesson up to there.
                set_address(&format!("#lesson={id}&step={step_number}"));
                perf::drawn(step);
            } else if now - throttle.0 >= ADDRESS_EVERY_MS {
                throttle.0 = now;
                write_address(&session.borrow(), step);
            } else {
                let wait = (ADDRESS_EVERY_MS - (now - throttle.0)).max(0.0) as u32;
                let address = address.clone();
                throttle.1 = Some(gloo_timers::callback::Timeout::new(wait, move || {
                    address.borrow_mut().0 = perf::now();
                    write_address(&session.borrow(), step);
                }));
            }
        });
    }
    // While nobody is clicking, prepare the steps back from where the view is (see
    // `Timeline::warm_up`), a few milliseconds at a time so a key press never waits for it.
    let warming: WarmUp = use_mut_ref(Default::default);
    {
        let session = state.session.clone();
        let playing = state.playing;
        use_effect_with(state.version, move |_| {
            // A new action cancels the slices under way (both slots) and starts afresh.
            *warming.borrow_mut() = Default::default();
            if !playing {
                warm_up_later(session, warming, 0);
            }
        });
    }
    // The lessons are fetched once, after the first picture.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let fetched = lessons::fetch_lessons().await;
                state.dispatch(Action::LessonsLoaded(fetched));
            });
        });
    }
    // Callbacks made once: a panel whose data did not change is then not drawn again.
    let dispatch = use_callback(state.dispatcher(), |action: Action, dispatcher| {
        dispatcher.dispatch(action)
    });

    // The theme lives on the root element so the whole page, body included, follows it.
    // (An embed stays one for the page's life: only the theme changes.)
    let embedded = state.embed.is_some();
    use_effect_with(state.theme, move |theme| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let class = match (theme.class(), embedded) {
                (class, false) => class.to_string(),
                ("", true) => "embedded".to_string(),
                (class, true) => format!("{class} embedded"),
            };
            root.set_class_name(&class);
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
                        if event.key() == "Escape" {
                            // Escape closes the lesson map (the welcome: free play) and the
                            // Share dialog.
                            state.dispatch(Action::Share(false));
                            state.dispatch(Action::LessonMap(false));
                            return;
                        }
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

    // Each side panel gets only the parts of the view it reads, the same `Rc` while those parts
    // do not change: a step that moves one consumer's position does not redraw the network
    // panel's 500 links at 30 brokers.
    let stable = &state.stable;
    let nodes = use_memo(
        ClusterView {
            brokers: stable.brokers.clone(),
            controllers: stable.controllers.clone(),
            ..ClusterView::default()
        },
        |v| v.clone(),
    );
    let network = use_memo(
        ClusterView {
            cut_links: stable.cut_links.clone(),
            ..(*nodes).clone()
        },
        |v| v.clone(),
    );
    let topic_names: Vec<TopicView> = stable
        .topics
        .iter()
        .map(|t| TopicView {
            name: t.name.clone(),
            partitions: Vec::new(),
            topic_id: t.topic_id.clone(),
            configs: t.configs.clone(),
        })
        .collect();
    let producers_part = use_memo(
        ClusterView {
            producer_clients: stable.producer_clients.clone(),
            transactions: stable.transactions.clone(),
            topics: topic_names.clone(),
            ..ClusterView::default()
        },
        |v| v.clone(),
    );
    // The consumer form offers the topics by name.
    let groups_part = use_memo(
        ClusterView {
            groups: stable.groups.clone(),
            consumers: stable.consumers.clone(),
            topics: topic_names.clone(),
            ..ClusterView::default()
        },
        |v| v.clone(),
    );
    let configs_part = use_memo(
        ClusterView {
            broker_configs: stable.broker_configs.clone(),
            consumers: stable.consumers.clone(),
            topics: topic_names,
            ..ClusterView::default()
        },
        |v| v.clone(),
    );
    // The produce form lists every partition (the partitions alone, without their replicas).
    let produce_part = use_memo(
        ClusterView {
            topics: stable
                .topics
                .iter()
                .map(|t| TopicView {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| {
                            Arc::new(PartitionView {
                                topic: p.topic.clone(),
                                partition: p.partition,
                                ..PartitionView::default()
                            })
                        })
                        .collect(),
                    topic_id: String::new(),
                    configs: Vec::new(),
                })
                .collect(),
            ..ClusterView::default()
        },
        |v| v.clone(),
    );

    let session = state.session.borrow();
    let timeline = &session.timeline;
    let lines = Rc::clone(&session.console);
    let history = Rc::clone(&session.history);
    let view = state.view.clone();
    let detail = state.selected.as_ref().and_then(|(topic, partition)| {
        state
            .rows
            .iter()
            .find(|p| &p.topic == topic && p.partition == *partition)
            .cloned()
    });
    let on_select = use_callback(dispatch.clone(), |key: PartitionKey, dispatch| {
        dispatch.emit(Action::Select(key))
    });
    let on_node = use_callback(dispatch.clone(), |node: i32, dispatch| {
        dispatch.emit(Action::SelectNode(Some(node)))
    });
    let internal: Vec<&str> = view
        .topics
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| is_internal_topic(n))
        .collect();
    let on_internal = {
        let show_internal = show_internal.clone();
        Callback::from(move |_: Event| show_internal.set(!*show_internal))
    };
    // What the open lesson's step points at, highlighted in the picture by a style rule (the
    // diagram itself is not drawn again).
    let highlight = state.lesson.as_ref().map(|l| {
        let selectors: Vec<String> = l.targets().iter().map(lessons::selector).collect();
        if selectors.is_empty() {
            String::new()
        } else {
            format!("{} {{ filter: drop-shadow(0 0 3px var(--highlight)) drop-shadow(0 0 6px var(--highlight)); outline: 3px solid var(--highlight); outline-offset: 2px; }}", selectors.join(", "))
        }
    });
    // While the welcome and lesson map (or the Share dialog) is open over the page, what is
    // under it can be neither reached with the keyboard nor read by a screen reader.
    let inert = state.lesson_map || state.share;
    let dismiss = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::DismissRefusal))
    };
    let open_map = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::LessonMap(true)))
    };
    // The timeline's controls: in the top bar, or an embed's when it asks for all of them.
    let timeline_controls = html! {
        <Controls step={timeline.state.steps} head_step={timeline.branch().head_step}
                  time_ms={timeline.state.now_ms} branch={timeline.current_branch}
                  branches={timeline.branches.len()} playing={state.playing}
                  speed_ms={state.speed_ms} presenter={state.presenter}
                  theme_label={state.theme.label()}
                  dispatch={dispatch.clone()} />
    };
    if let Some(embed) = &state.embed {
        use sandbox_core::link::{EmbedControls, EmbedView};
        let diagram = match &embed.view {
            EmbedView::Cluster => html! {
                <ClusterDiagram view={view.clone()} {rows} selected={state.selected.clone()} {on_select}
                                {on_node} selected_node={state.selected_node} />
            },
            EmbedView::Partition { .. } => html! {
                <div class="panel partition-detail" aria-label="Partition detail">
                    <PartitionDetail partition={detail} view={groups_part.clone()} />
                </div>
            },
            EmbedView::Group(name) => html! {
                <GroupCard view={groups_part.clone()} name={name.clone()} />
            },
        };
        let (low, high) = (embed.from.unwrap_or(0), embed.to);
        let step = timeline.state.steps;
        let controls = match embed.controls {
            EmbedControls::None => html! {},
            EmbedControls::Step => html! {
                <div class="controls embed-controls" role="toolbar" aria-label="Timeline">
                    <button class="back" disabled={step <= low} aria-label="Step back"
                            onclick={let d = dispatch.clone(); Callback::from(move |_: MouseEvent| d.emit(Action::StepBack))}>
                        { "◀ Back" }
                    </button>
                    <button class="step" disabled={high.is_some_and(|h| step >= h)} aria-label="Step forward"
                            onclick={let d = dispatch.clone(); Callback::from(move |_: MouseEvent| d.emit(Action::StepForward))}>
                        { "Step ▶" }
                    </button>
                    <span class="position" aria-live="polite">
                        { match high {
                            Some(h) => format!("step {step} of {low}–{h} · {}", components::controls::format_time(timeline.state.now_ms)),
                            None => format!("step {step} · {}", components::controls::format_time(timeline.state.now_ms)),
                        } }
                    </span>
                </div>
            },
            EmbedControls::Full => timeline_controls,
        };
        // The newest line of the narration says what the last step did.
        let said = state.log.last().map(|e| e.text.clone());
        return html! {
            <div class="app embed" data-embed-view={match &embed.view {
                EmbedView::Cluster => "cluster", EmbedView::Partition { .. } => "partition", EmbedView::Group(_) => "group" }}>
                if let Some(rules) = highlight {
                    <style>{ rules }</style>
                }
                if let Some(notice) = &state.notice {
                    <div class="notice" role="alert"><p>{ &notice.text }</p></div>
                }
                if let Some(lesson) = &state.lesson {
                    <LessonPanel state={lesson.clone()} view={state.view.clone()} dispatch={dispatch.clone()} />
                }
                { controls }
                <div class="embed-stage">{ diagram }</div>
                if embed.controls != EmbedControls::None {
                    <p class="embed-said" aria-live="polite">{ said.unwrap_or_default() }</p>
                }
                if embed.console {
                    <Console {lines} first_line={session.console_dropped} {history} {dispatch} />
                }
                <a class="embed-open" href={open_full_page(&session)} target="_blank" rel="noopener">
                    { "Open in Kafka Sandbox ↗" }
                </a>
            </div>
        };
    }
    html! {
        <div class={classes!("app", state.presenter.then_some("presenter"), state.lesson.is_some().then_some("with-lesson"))}>
            if let Some(rules) = highlight {
                <style>{ rules }</style>
            }
            if state.lesson_map {
                <LessonMap loaded={state.lessons_loaded} dispatch={dispatch.clone()} />
            }
            if let Some(notice) = &state.notice {
                <div class="notice" role="alert">
                    <p>{ &notice.text }</p>
                    if let Some(address) = &notice.retry {
                        <button class="retry" onclick={retry_link(address.clone())}>
                            { "Replay the link anyway" }
                        </button>
                    }
                    <button class="dismiss" aria-label="Dismiss this message"
                            onclick={let d = dispatch.clone(); Callback::from(move |_: MouseEvent| d.emit(Action::DismissNotice))}>
                        { "✕" }
                    </button>
                </div>
            }
            if state.share {
                <ShareDialog script={session.script()} step={timeline.state.steps}
                             head_step={timeline.branch().head_step}
                             partition={state.selected.clone()}
                             groups={state.stable.groups.iter().map(|g| g.group_id.clone()).collect::<Vec<_>>()}
                             dispatch={dispatch.clone()} />
            }
            <header class="topbar" {inert}>
                <div class="brand">
                    <h1>{ "Kafka Sandbox" }</h1>
                    <p class="tagline">{ "A Kafka 4 cluster (KRaft), simulated in your browser." }</p>
                </div>
                <button class="lessons-button" onclick={open_map}>{ "Lessons" }</button>
                <button class="share-button" title="A link to this step, or this run in another page"
                        onclick={let d = dispatch.clone(); Callback::from(move |_: MouseEvent| d.emit(Action::Share(true)))}>
                    { "Share / Embed" }
                </button>
                { timeline_controls }
            </header>
            <div class="workspace" {inert}>
                if let Some(lesson) = &state.lesson {
                    <aside class="lesson-column" aria-label="Lesson">
                        <LessonPanel state={lesson.clone()} view={state.view.clone()} dispatch={dispatch.clone()} />
                    </aside>
                }
                <main class="stage">
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
                            <NodeMenu view={nodes.clone()} {node} dispatch={dispatch.clone()} />
                        }
                        <ClusterDiagram view={view.clone()} {rows} selected={state.selected.clone()} {on_select}
                                        {on_node} selected_node={state.selected_node} />
                    </section>
                </main>
                <aside class="side" aria-label="Panels">
                    if let Some(why) = &state.refused {
                        <div class="refused" role="alert">
                            <p>{ why }</p>
                            <button class="dismiss" onclick={dismiss} aria-label="Dismiss this message">{ "✕" }</button>
                        </div>
                    }
                    <div class="tabs" role="tablist" aria-label="Panels">
                        { for SideTab::ALL.into_iter().map(|tab| {
                            let chosen = tab == state.side_tab;
                            let dispatch = dispatch.clone();
                            html! {
                                <button id={format!("tab-{}", tab.id())} class={classes!("tab", chosen.then_some("chosen"))}
                                        role="tab" aria-selected={chosen.to_string()}
                                        aria-controls={format!("tabpanel-{}", tab.id())}
                                        onclick={Callback::from(move |_: MouseEvent| dispatch.emit(Action::SideTab(tab)))}>
                                    { tab.label() }
                                </button>
                            }
                        }) }
                    </div>
                    { tab_panel(SideTab::Partition, state.side_tab, html! {
                        <div class="panel partition-detail" aria-live="polite" tabindex="0" aria-label="Partition detail">
                            <PartitionDetail partition={detail} view={groups_part.clone()} />
                        </div>
                    }) }
                    { tab_panel(SideTab::Producers, state.side_tab, html! {
                        <>
                            <ProduceForm view={produce_part.clone()} dispatch={dispatch.clone()} />
                            <ProducersPanel view={producers_part.clone()} dispatch={dispatch.clone()} />
                        </>
                    }) }
                    { tab_panel(SideTab::Consumers, state.side_tab, html! {
                        <GroupsPanel view={groups_part.clone()} dispatch={dispatch.clone()} />
                    }) }
                    { tab_panel(SideTab::Faults, state.side_tab, html! {
                        <>
                            <NodeActions view={nodes.clone()} dispatch={dispatch.clone()} />
                            <NetworkPanel view={network.clone()} dispatch={dispatch.clone()} />
                        </>
                    }) }
                    { tab_panel(SideTab::Metrics, state.side_tab, html! {
                        <MetricsPanel metrics={state.metrics.clone()} />
                    }) }
                    { tab_panel(SideTab::Configs, state.side_tab, html! {
                        <ConfigPanel view={configs_part.clone()} dispatch={dispatch.clone()} />
                    }) }
                </aside>
            </div>
            <div class="dock" {inert}>
                <EventLog events={state.log.clone()} show_all={state.show_all_events}
                          dispatch={dispatch.clone()} />
                <Console {lines} first_line={session.console_dropped} {history} {dispatch} />
            </div>
        </div>
    }
}

/// One side panel's body: every panel stays drawn (so what it holds is kept while another is
/// shown), the ones not chosen hidden.
fn tab_panel(tab: SideTab, chosen: SideTab, body: Html) -> Html {
    html! {
        <div id={format!("tabpanel-{}", tab.id())} class="tab-panel" role="tabpanel"
             aria-labelledby={format!("tab-{}", tab.id())} hidden={tab != chosen}>
            { body }
        </div>
    }
}

use wasm_bindgen::JsCast;

/// How long the page waits after an action before preparing the steps back (the picture is
/// painted meanwhile), how long one slice of that preparation may take, and the pause between
/// slices: the preparation takes at most 40% of an idle page, so a key press waits at most one
/// slice, and a presenter who pauses a third of a second after a seek finds it done.
const WARM_UP_AFTER_MS: u32 = 40;
const WARM_UP_SLICE_MS: f64 = 8.0;
const WARM_UP_PAUSE_MS: u32 = 12;

/// The timers of the warm-up's slices: two slots used in turn, so a slice that schedules the
/// next one never drops its own timer (and closure) while it runs.
type WarmUp = Rc<std::cell::RefCell<[Option<gloo_timers::callback::Timeout>; 2]>>;

/// Schedules slice number `slice` of `Timeline::warm_up`, which schedules the next while there
/// is more to do.
fn warm_up_later(session: Rc<std::cell::RefCell<state::Session>>, slots: WarmUp, slice: usize) {
    let next_slots = slots.clone();
    let delay = if slice == 0 {
        WARM_UP_AFTER_MS
    } else {
        WARM_UP_PAUSE_MS
    };
    let timeout = gloo_timers::callback::Timeout::new(delay, move || {
        let started = perf::now();
        let more = {
            let Ok(mut session) = session.try_borrow_mut() else {
                return;
            };
            let mut more = true;
            while more && perf::now() - started < WARM_UP_SLICE_MS {
                more = session.timeline.warm_up(128);
            }
            more
        };
        if more {
            warm_up_later(session, next_slots, slice + 1);
        }
    });
    slots.borrow_mut()[slice % 2] = Some(timeout);
}

/// The shortest time between two rewrites of the address while the run moves.
const ADDRESS_EVERY_MS: f64 = 300.0;

/// Puts the run in the address, and notes the step it reopens at: compressed (`#zrun=1.`, by
/// `boot.js`) where the page can, else percent-encoded (`#run=`).
fn write_address(session: &state::Session, step: u64) {
    let script = session.script();
    if perf::call("writeRun", &[&wasm_bindgen::JsValue::from_str(&script)]).is_none() {
        set_address(&format!("#{}", plain_run(&script)));
    }
    perf::drawn(step);
}

/// The address pair of a run in the first format, `run=` and the script percent-encoded:
/// made at once, where the compressed one (`boot.js`) is not at hand.
pub fn plain_run(script: &str) -> String {
    format!("run={}", String::from(js_sys::encode_uri_component(script)))
}

/// The full page at the run an embed shows (percent-encoded: a link made synchronously).
fn open_full_page(session: &state::Session) -> String {
    format!("./#{}", plain_run(&session.script()))
}

fn set_address(url: &str) {
    if let Some(window) = web_sys::window() {
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
        }
    }
}

/// Opens `address` (a `#run=...` the page did not replay) again, replaying it this time.
fn retry_link(address: String) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Ok(Some(storage)) = window.session_storage() {
            let _ = storage.remove_item(perf::OPENING_KEY);
        }
        let location = window.location();
        let _ = location.set_hash(&address);
        let _ = location.reload();
    })
}
