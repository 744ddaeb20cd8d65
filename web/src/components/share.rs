//! The Share / Embed dialog: the link to this exact step, and the snippets that put this run in
//! another page (an iframe, or the loader's `<div data-kafka-sandbox>`), each with a copy
//! button. The run is compressed by `boot.js` (`zrun=1.`, see `sandbox_core::link`).

use sandbox_core::link::{Embed, EmbedControls, EmbedView};
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::components::form::value_of;
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The run as a script (what the address holds).
    pub script: String,
    /// The step being looked at.
    pub step: u64,
    /// The partition selected in the page, offered as the embed's view.
    pub partition: Option<(String, i32)>,
    /// The groups there are, offered as the embed's view.
    pub groups: Vec<String>,
    /// The last step of the branch (how long the trace would be).
    pub head_step: u64,
    pub dispatch: Callback<Action>,
}

/// The page's own address without its `#...`, and the folder it is in (where `embed.js` is).
fn page_base() -> (String, String) {
    let location = web_sys::window().map(|w| w.location());
    let href = location
        .as_ref()
        .and_then(|l| l.href().ok())
        .unwrap_or_default();
    let page = href.split('#').next().unwrap_or_default().to_string();
    let folder = match page.rfind('/') {
        Some(at) => page[..=at].to_string(),
        None => page.clone(),
    };
    (page, folder)
}

/// Asks `boot.js` to compress `script` into `zrun=1.DATA`; falls back to the percent-encoded
/// `run=` where the browser cannot.
async fn compress(script: String) -> String {
    let Some(promise) = crate::perf::call("deflateRun", &[&JsValue::from_str(&script)]) else {
        return crate::plain_run(&script);
    };
    match wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise)).await {
        Ok(value) => value
            .as_string()
            .unwrap_or_else(|| crate::plain_run(&script)),
        Err(_) => crate::plain_run(&script),
    }
}

/// Copies `text` to the clipboard (`navigator.clipboard.writeText`); false where the browser
/// does not allow it.
fn copy(text: &str) -> bool {
    let clipboard = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("navigator")).ok())
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("clipboard")).ok())
        .filter(|c| c.is_object());
    let Some(clipboard) = clipboard else {
        return false;
    };
    js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .is_some_and(|f| f.call1(&clipboard, &JsValue::from_str(text)).is_ok())
}

/// The longest run whose trace the page writes out (a trace line is about 150 bytes; past
/// this the CLI does it better: `kafka-sandbox run` with the script).
const MAX_TRACE_STEPS: u64 = 200_000;

/// The run's trace as the CLI prints it (`kafka-sandbox run`), replayed from its script.
fn trace_text(script: &str, head_step: u64) -> Result<String, String> {
    if head_step > MAX_TRACE_STEPS {
        return Err(format!(
            "The trace of {head_step} steps is too long to write out here: download the \
             script and run `kafka-sandbox run FILE` instead."
        ));
    }
    let parsed = sandbox_core::parse::parse_script(script).map_err(|e| e.to_string())?;
    // A command that failed still leaves the trace up to it, as the CLI prints it.
    let run = match sandbox_core::script::run(&parsed) {
        Ok(run) => run,
        Err(failure) => *failure.run,
    };
    Ok(run.render(script))
}

#[component]
pub fn ShareDialog(props: &ShareProps) -> Html {
    let run = use_state(|| None::<String>);
    {
        let run = run.clone();
        use_effect_with(props.script.clone(), move |script| {
            let script = script.clone();
            wasm_bindgen_futures::spawn_local(async move {
                run.set(Some(compress(script).await));
            });
        });
    }
    // The embed's options, as the author picks them.
    let view = use_state(|| "cluster".to_string());
    let controls = use_state(|| EmbedControls::Step);
    let from_here = use_state(|| true);
    let copied = use_state(|| None::<&'static str>);

    let (page, folder) = page_base();
    let embed = Embed {
        view: match view.split_once(':') {
            Some(("partition", _)) => props
                .partition
                .clone()
                .map(|(topic, partition)| EmbedView::Partition { topic, partition })
                .unwrap_or(EmbedView::Cluster),
            Some(("group", name)) => EmbedView::Group(name.to_string()),
            _ => EmbedView::Cluster,
        },
        controls: *controls,
        from: (*from_here).then_some(props.step),
        to: None,
        console: false,
        theme: None,
    };
    let (link, iframe, loader) = match &*run {
        Some(run) => {
            let pairs = embed.to_pairs();
            let height = match embed.view {
                EmbedView::Cluster => 560,
                EmbedView::Partition { .. } => 520,
                EmbedView::Group(_) => 480,
            };
            (
                format!("{page}#{run}"),
                format!(
                    "<iframe src=\"{page}#{run}&{pairs}\" title=\"Kafka Sandbox\" \
                     style=\"width:100%;height:{height}px;border:0\" loading=\"lazy\"></iframe>"
                ),
                format!(
                    "<div data-kafka-sandbox=\"{run}&{}\" data-height=\"{height}\"></div>\n\
                     <script src=\"{folder}embed.js\" defer></script>",
                    pairs.trim_start_matches("embed").trim_start_matches('&')
                ),
            )
        }
        None => {
            let wait = "compressing the run…".to_string();
            (wait.clone(), wait.clone(), wait)
        }
    };
    let close = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.emit(Action::Share(false)))
    };
    let copy_button = |what: &'static str, text: String| {
        let copied = copied.clone();
        let done = *copied == Some(what);
        html! {
            <button class={classes!("copy", format!("copy-{what}"))}
                    onclick={Callback::from(move |_: MouseEvent| {
                        copied.set(copy(&text).then_some(what));
                    })}>
                { if done { "Copied ✓" } else { "Copy" } }
            </button>
        }
    };
    let on_view = {
        let view = view.clone();
        Callback::from(move |e: Event| view.set(value_of(&e)))
    };
    let on_controls = {
        let controls = controls.clone();
        Callback::from(move |e: Event| {
            controls.set(match value_of(&e).as_str() {
                "none" => EmbedControls::None,
                "full" => EmbedControls::Full,
                _ => EmbedControls::Step,
            })
        })
    };
    let export_problem = use_state(|| None::<String>);
    let name = format!("kafka-sandbox-step-{}", props.step);
    let diagram = |kind: &'static str| {
        let name = name.clone();
        let problem = export_problem.clone();
        Callback::from(move |_: MouseEvent| {
            // `boot.js` answers false when the page has no diagram to draw from.
            let done = crate::perf::call(
                "exportDiagram",
                &[&JsValue::from_str(kind), &JsValue::from_str(&name)],
            )
            .is_some_and(|v| v.is_truthy());
            problem.set((!done).then(|| "There is no diagram on the page to export.".into()));
        })
    };
    let text_file = |what: &'static str| {
        let script = props.script.clone();
        let head = props.head_step;
        let problem = export_problem.clone();
        Callback::from(move |_: MouseEvent| {
            let (file, text) = match what {
                "trace" => match trace_text(&script, head) {
                    Ok(text) => ("kafka-sandbox-trace.txt", text),
                    Err(why) => {
                        problem.set(Some(why));
                        return;
                    }
                },
                "kafka" => match sandbox_core::parse::parse_script(&script) {
                    Ok(parsed) => (
                        "kafka-sandbox-setup.sh",
                        sandbox_core::export::kafka_commands(&parsed),
                    ),
                    Err(e) => {
                        problem.set(Some(e.to_string()));
                        return;
                    }
                },
                _ => ("kafka-sandbox-run.txt", script.clone()),
            };
            problem.set(None);
            crate::perf::call(
                "downloadText",
                &[&JsValue::from_str(file), &JsValue::from_str(&text)],
            );
        })
    };
    let on_from = {
        let from_here = from_here.clone();
        Callback::from(move |_: Event| from_here.set(!*from_here))
    };
    html! {
        <div class="share-backdrop">
            <section class="share-dialog panel" role="dialog" aria-modal="true" aria-labelledby="share-heading">
                <div class="panel-head">
                    <h2 id="share-heading">{ "Share or embed this run" }</h2>
                    <button class="share-close" onclick={close} aria-label="Close">{ "✕" }</button>
                </div>
                <label class="share-field">
                    <span>{ format!("Link to this step ({})", props.step) }</span>
                    <textarea class="share-link" readonly=true rows="2" value={link.clone()} />
                    { copy_button("link", link) }
                </label>
                <fieldset class="share-options">
                    <legend>{ "Embed" }</legend>
                    <label>{ "Show " }
                        <select class="share-view" onchange={on_view} aria-label="What the embed shows">
                            <option value="cluster" selected={*view == "cluster"}>{ "the cluster" }</option>
                            if let Some((topic, partition)) = &props.partition {
                                <option value="partition:" selected={view.starts_with("partition:")}>
                                    { format!("partition {topic}-{partition}") }
                                </option>
                            }
                            { for props.groups.iter().map(|g| {
                                let value = format!("group:{g}");
                                html! { <option value={value.clone()} selected={*view == value}>{ format!("group {g}") }</option> }
                            }) }
                        </select>
                    </label>
                    <label>{ " with " }
                        <select class="share-controls" onchange={on_controls} aria-label="The embed's controls">
                            <option value="none" selected={*controls == EmbedControls::None}>{ "no controls (a picture)" }</option>
                            <option value="step" selected={*controls == EmbedControls::Step}>{ "step back and forward" }</option>
                            <option value="full" selected={*controls == EmbedControls::Full}>{ "the whole timeline" }</option>
                        </select>
                    </label>
                    <label class="share-from">
                        <input type="checkbox" checked={*from_here} onchange={on_from} />
                        { format!(" readers start at step {} and cannot go back before it", props.step) }
                    </label>
                </fieldset>
                <label class="share-field">
                    <span>{ "An iframe, for any page" }</span>
                    <textarea class="share-iframe" readonly=true rows="3" value={iframe.clone()} />
                    { copy_button("iframe", iframe) }
                </label>
                <label class="share-field">
                    <span>{ "The loader, for docs pages (mdBook, Docusaurus, plain HTML): embeds load as they scroll into view and share one download" }</span>
                    <textarea class="share-loader" readonly=true rows="3" value={loader.clone()} />
                    { copy_button("loader", loader) }
                </label>
                <fieldset class="share-export">
                    <legend>{ "Export" }</legend>
                    <button class="export-svg" onclick={diagram("svg")}>{ "Diagram as SVG" }</button>
                    <button class="export-png" onclick={diagram("png")}>{ "Diagram as PNG" }</button>
                    <button class="export-trace" onclick={text_file("trace")}
                            title="Every event of the run, as `kafka-sandbox run` prints it">{ "Trace (text)" }</button>
                    <button class="export-script" onclick={text_file("script")}
                            title="The run's commands: open it again here, or run it with `kafka-sandbox run FILE`">{ "Script" }</button>
                    <button class="export-kafka" onclick={text_file("kafka")}
                            title="A shell script with the Kafka tools' commands and .properties files that would set this run up on a real cluster">
                        { "Real Kafka commands" }
                    </button>
                    if let Some(why) = &*export_problem {
                        <p class="export-problem" role="alert">{ why }</p>
                    }
                </fieldset>
            </section>
        </div>
    }
}
