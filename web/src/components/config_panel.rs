//! The config panel: the configs the simulation honours, under Kafka's names, with their
//! defaults, what they mean, and a field to change them on the running cluster. A change runs
//! `kafka-configs.sh --alter`, shown in the console like any other command.

use std::rc::Rc;

use sandbox_core::command::{Command, ConfigEntity};
use sandbox_core::config::{ConfigDef, Scope, CONFIGS, CONSUMER_CONFIGS};
use sandbox_core::view::ClusterView;
use yew::prelude::*;

use crate::components::form::bind_text;

use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ConfigPanelProps {
    pub view: Rc<ClusterView>,
    pub dispatch: Callback<Action>,
}

#[component]
pub fn ConfigPanel(props: &ConfigPanelProps) -> Html {
    // Which entity: "" for the cluster's brokers, else a topic name.
    let entity = use_state(String::new);
    let on_entity = bind_text::<Event>(&entity);
    if let Some(name) = entity.strip_prefix("consumer:") {
        let rows = consumer_rows(&props.view, name, &props.dispatch);
        return panel(&props.view, &entity, on_entity, rows);
    }
    let topic = (!entity.is_empty()).then(|| (*entity).clone());
    let topic_view = topic
        .as_ref()
        .and_then(|t| props.view.topics.iter().find(|x| &x.name == t));
    let scope = if topic.is_some() {
        Scope::Topic
    } else {
        Scope::Broker
    };
    let current = |name: &str| -> (String, &'static str) {
        if let Some(v) = topic_view.and_then(|t| t.configs.iter().find(|(k, _)| k == name)) {
            return (v.1.clone(), "topic");
        }
        if let Some(v) = props.view.broker_configs.iter().find(|(k, _)| k == name) {
            return (v.1.clone(), "cluster default");
        }
        let default = CONFIGS
            .iter()
            .find(|c| c.name == name)
            .map_or("", |c| c.default);
        (default.to_string(), "Kafka default")
    };
    let rows = CONFIGS
        .iter()
        .filter(|c| c.scope == scope || (scope == Scope::Broker && c.scope == Scope::Topic))
        .map(|def| {
            let (value, source) = current(def.name);
            let input = NodeRef::default();
            let apply = {
                let input = input.clone();
                let dispatch = props.dispatch.clone();
                let name = def.name.to_string();
                let entity = match &topic {
                    Some(t) => ConfigEntity::Topic(t.clone()),
                    None => ConfigEntity::Broker(None),
                };
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    if let Some(el) = input.cast::<web_sys::HtmlInputElement>() {
                        let value = el.value().trim().to_string();
                        if !value.is_empty() {
                            dispatch.emit(Action::Command(Command::AlterConfigs {
                                entity: entity.clone(),
                                set: vec![(name.clone(), value)],
                                delete: Vec::new(),
                            }));
                            el.set_value("");
                        }
                    }
                })
            };
            html! {
                <li class="config" data-config={def.name}>
                    <form onsubmit={apply}>
                        <code class="config-name">{ def.name }</code>
                        <span class="config-value" title={format!("from the {source}")}>
                            { format!("= {value}") }<small>{ format!(" ({source})") }</small>
                        </span>
                        <input ref={input} type="text" size="8" placeholder={value.clone()}
                               aria-label={format!("New value for {}", def.name)} />
                        <button type="submit">{ "Set" }</button>
                    </form>
                    <p class="config-meaning">
                        { def.meaning }
                        if !def.dynamic {
                            <em>{ " Read at startup in Kafka; the sandbox changes it live." }</em>
                        }
                    </p>
                </li>
            }
        });
    panel(&props.view, &entity, on_entity, rows.collect())
}

/// The panel around its rows, with the choice of whose configs to show: the cluster, a topic,
/// the consumer defaults or one consumer.
fn panel(view: &ClusterView, entity: &str, on_entity: Callback<Event>, rows: Vec<Html>) -> Html {
    html! {
        <section class="panel configs" aria-labelledby="configs-heading">
            <div class="panel-head">
                <h2 id="configs-heading">{ "Configs" }</h2>
                <select onchange={on_entity} aria-label="Whose configs">
                    <option value="" selected={entity.is_empty()}>{ "cluster (brokers)" }</option>
                    { for view.topics.iter().map(|t| html! {
                        <option value={t.name.clone()} selected={entity == t.name}>{ format!("topic {}", t.name) }</option>
                    }) }
                    <option value="consumer:" selected={entity == "consumer:"}>{ "consumer defaults" }</option>
                    { for view.consumers.iter().map(|c| {
                        let value = format!("consumer:{}", c.name);
                        html! {
                            <option value={value.clone()} selected={entity == value}>{ format!("consumer {}", c.name) }</option>
                        }
                    }) }
                </select>
            </div>
            <ul class="config-list">{ for rows }</ul>
        </section>
    }
}

/// Consumer configs (`ConsumerConfig`): fixed for the life of a `KafkaConsumer`, so only the
/// sandbox's application knobs can change on a running consumer (`consumer set`).
fn consumer_rows(view: &ClusterView, name: &str, dispatch: &Callback<Action>) -> Vec<Html> {
    let consumer = view.consumers.iter().find(|c| c.name == name);
    CONSUMER_CONFIGS
        .iter()
        .map(|def: &ConfigDef| {
            let set = consumer.and_then(|c| c.properties.iter().find(|(k, _)| k == def.name));
            let (value, source) = match set {
                Some((_, v)) => (v.clone(), "set at start"),
                None => (def.default.to_string(), "Kafka default"),
            };
            let shown = if value.is_empty() { "(none)".to_string() } else { value.clone() };
            let input = NodeRef::default();
            let settable = consumer.is_some() && def.dynamic;
            let apply = {
                let input = input.clone();
                let dispatch = dispatch.clone();
                let key = def.name.to_string();
                let name = name.to_string();
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    if let Some(el) = input.cast::<web_sys::HtmlInputElement>() {
                        let value = el.value().trim().to_string();
                        if !value.is_empty() {
                            dispatch.emit(Action::Command(Command::ConsumerSet {
                                name: name.clone(),
                                key: key.clone(),
                                value,
                            }));
                            el.set_value("");
                        }
                    }
                })
            };
            html! {
                <li class="config" data-config={def.name}>
                    <form onsubmit={apply}>
                        <code class="config-name">{ def.name }</code>
                        <span class="config-value" title={format!("from the {source}")}>
                            { format!("= {shown}") }<small>{ format!(" ({source})") }</small>
                        </span>
                        if settable {
                            <input ref={input} type="text" size="8" placeholder={value.clone()}
                                   aria-label={format!("New value for {}", def.name)} />
                            <button type="submit">{ "Set" }</button>
                        }
                    </form>
                    <p class="config-meaning">
                        { def.meaning }
                        if !def.dynamic {
                            <em>{ format!(" Fixed when the consumer starts: consumer start NAME --consumer-property {}=…", def.name) }</em>
                        }
                    </p>
                </li>
            }
        })
        .collect()
}
