//! The Kafka Sandbox page.
//!
//! The UI is thin: it renders the plain view structs that `sandbox-core` produces and keeps
//! only UI state (what is selected) itself. It holds no simulation logic.

pub mod components;

use std::rc::Rc;

use sandbox_core::view::ClusterView;
use yew::prelude::*;

use components::cluster::ClusterDiagram;
use components::partition_detail::PartitionDetail;

/// Which partition the user is looking at, by topic and partition number.
pub type PartitionKey = (String, i32);

#[component]
pub fn App() -> Html {
    let view = use_memo((), |_| sandbox_core::example::guide_cluster());
    let selected = use_state(|| None::<PartitionKey>);
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |key: PartitionKey| selected.set(Some(key)))
    };
    let view: Rc<ClusterView> = view;
    let detail = selected.as_ref().and_then(|(topic, partition)| {
        view.topics
            .iter()
            .filter(|t| &t.name == topic)
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition == *partition)
            .cloned()
    });
    html! {
        <>
            <header class="topbar">
                <h1>{ "Kafka Sandbox" }</h1>
                <p class="tagline">{ "A Kafka 4 cluster (KRaft), simulated in your browser." }</p>
            </header>
            <div class="layout">
                <section class="panel" aria-labelledby="cluster-heading">
                    <h2 id="cluster-heading">{ "Cluster" }</h2>
                    <ClusterDiagram view={view.clone()} selected={(*selected).clone()} {on_select} />
                </section>
                <aside class="panel" aria-live="polite">
                    <PartitionDetail partition={detail} />
                </aside>
            </div>
        </>
    }
}
