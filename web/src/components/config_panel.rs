//! The config panel: the configs the simulation honours, under Kafka's names, with their
//! defaults, what they mean, and a field to change them on the running cluster. A change runs
//! `kafka-configs.sh --alter`, shown in the console like any other command.

use std::rc::Rc;

use sandbox_core::command::{Command, ConfigEntity};
use sandbox_core::config::{Scope, CONFIGS};
use sandbox_core::view::ClusterView;
use yew::prelude::*;

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
    let on_entity = {
        let entity = entity.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
            entity.set(el.value());
        })
    };
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
    html! {
        <section class="panel configs" aria-labelledby="configs-heading">
            <div class="panel-head">
                <h2 id="configs-heading">{ "Configs" }</h2>
                <select onchange={on_entity} aria-label="Whose configs">
                    <option value="" selected={entity.is_empty()}>{ "cluster (brokers)" }</option>
                    { for props.view.topics.iter().map(|t| html! {
                        <option value={t.name.clone()} selected={*entity == t.name}>{ format!("topic {}", t.name) }</option>
                    }) }
                </select>
            </div>
            <ul class="config-list">{ for rows }</ul>
        </section>
    }
}
