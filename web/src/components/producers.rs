//! The producers panel: each producer client with its configs, its producer id and epoch, the
//! batches waiting in its accumulator (before `linger.ms` sends them), its requests in flight,
//! its counts, and buttons for what an application does with it (`send()`, `flush()`,
//! `beginTransaction()`, `commitTransaction()`, `abortTransaction()`, a crash); the transactions
//! as their coordinators hold them; a form to start a producer with Kafka's config names.
//! Every click runs the command the console would, and the console shows it.
//!
//! State is never shown by colour alone: a producer's state and a transaction's state are words
//! with a symbol, and a fenced producer says so with its error.

use std::rc::Rc;

use sandbox_core::command::{Command, ProducerAction, TopicPartition};
use sandbox_core::view::{
    is_internal_topic, BatchView, ClusterView, ProducerStatus, ProducerTxnState, ProducerView,
    TransactionView, TxnStatus,
};
use yew::prelude::*;

use crate::components::form::{bind_chosen, bind_text};

use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ProducersPanelProps {
    pub view: Rc<ClusterView>,
    pub dispatch: Callback<Action>,
}

/// The topics a producer may write to: every topic but Kafka's internal ones.
fn user_topics(view: &ClusterView) -> Vec<String> {
    view.topics
        .iter()
        .map(|t| t.name.clone())
        .filter(|n| !is_internal_topic(n))
        .collect()
}

/// A producer's state as a symbol and a class for the styles (what it means comes from core).
fn producer_look(p: &ProducerView) -> (&'static str, &'static str) {
    if p.error.is_some() {
        return ("⊘", "fenced");
    }
    match p.state {
        ProducerStatus::Fenced => ("⊘", "fenced"),
        ProducerStatus::Crashed => ("✕", "down"),
        ProducerStatus::Closed => ("■", "down"),
        ProducerStatus::InTransaction => ("◐", "busy"),
        ProducerStatus::Committing | ProducerStatus::Aborting => ("⋯", "busy"),
        ProducerStatus::MustAbort => ("⚠", "fenced"),
        ProducerStatus::Initializing | ProducerStatus::GettingProducerId => ("⋯", "busy"),
        ProducerStatus::Sending => ("●", "busy"),
        ProducerStatus::Idle | ProducerStatus::Ready => ("✓", "ready"),
    }
}

/// A transaction's coordinator state as a symbol and a class (what it means comes from core).
fn transaction_look(state: TxnStatus) -> (&'static str, &'static str) {
    match state {
        TxnStatus::Ongoing => ("◐", "open"),
        TxnStatus::PrepareCommit | TxnStatus::PrepareAbort => ("⋯", "ending"),
        TxnStatus::CompleteCommit => ("✓", "committed"),
        TxnStatus::CompleteAbort => ("✕", "aborted"),
        TxnStatus::Empty => ("○", "empty"),
    }
}

fn partition_list(partitions: &[TopicPartition]) -> String {
    partitions
        .iter()
        .map(TopicPartition::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sequences a batch carries, `0–9`, or a dash before it is numbered.
fn sequences(b: &BatchView) -> String {
    match b.base_sequence {
        Some(s) if b.records > 1 => format!("{s}–{}", s + b.records as i32 - 1),
        Some(s) => s.to_string(),
        None => "—".to_string(),
    }
}

/// The batches of a producer, one row each: partition, records, bytes, sequences, status.
fn batch_table(kind: &'static str, batches: &[BatchView], caption: &str, empty: &str) -> Html {
    html! {
        <div class={classes!("batches", kind)}>
            <h4>{ caption }</h4>
            if batches.is_empty() {
                <p class="batches-empty">{ empty }</p>
            } else {
                <table>
                    <thead>
                        <tr>
                            <th scope="col">{ "Partition" }</th>
                            <th scope="col" title="Records in the batch">{ "Records" }</th>
                            <th scope="col" title="Bytes in the batch; it is full at batch.size">{ "Bytes" }</th>
                            <th scope="col" title="The sequence numbers the batch carries (idempotence): the leader drops a batch whose sequences it already has">{ "Sequences" }</th>
                            <th scope="col">{ "Waiting for" }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for batches.iter().map(|b| html! {
                            <tr class="batch" data-batch={format!("{}-{}", b.topic, b.partition)}
                                data-records={b.records.to_string()}>
                                <th scope="row">{ format!("{}-{}", b.topic, b.partition) }</th>
                                <td class="num">{ b.records }</td>
                                <td class="num">{ b.bytes }</td>
                                <td class="num">{ sequences(b) }</td>
                                <td class="batch-status">
                                    { b.status.clone() }
                                    if b.attempts > 1 {
                                        <span class="attempts" title="A retry of a batch that failed or timed out">
                                            { format!(" · attempt {}", b.attempts) }
                                        </span>
                                    }
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProducerCardProps {
    pub producer: ProducerView,
    pub topics: Vec<String>,
    pub dispatch: Callback<Action>,
}

/// One producer: its facts, its accumulator and requests, its counts and its buttons.
#[component]
pub fn ProducerCard(props: &ProducerCardProps) -> Html {
    let p = &props.producer;
    let topic = use_state(|| None::<String>);
    let key = use_state(String::new);
    let chosen_topic = topic
        .as_deref()
        .filter(|t| props.topics.iter().any(|x| x == t))
        .or_else(|| props.topics.first().map(String::as_str))
        .map(str::to_string);
    let (symbol, look) = producer_look(p);
    // A fenced producer stays fenced in words too, whatever it did after.
    let meaning = if p.error.is_some() {
        ProducerStatus::Fenced.meaning()
    } else {
        p.state.meaning()
    };
    let transactional = p.transactional_id.is_some();
    let txn_state = p.txn_state.map_or("", ProducerTxnState::name);
    let can_send = p.calls.send;

    let restart = {
        let dispatch = props.dispatch.clone();
        let name = p.name.clone();
        Callback::from(move |_: MouseEvent| {
            dispatch.emit(Action::Command(Command::ProducerRestart {
                name: name.clone(),
                properties: Vec::new(),
            }))
        })
    };
    let action = |action: ProducerAction| {
        let dispatch = props.dispatch.clone();
        let name = p.name.clone();
        Callback::from(move |_: MouseEvent| {
            dispatch.emit(Action::Command(Command::ProducerAction {
                name: name.clone(),
                action,
            }))
        })
    };
    let send = |count: i32| {
        let dispatch = props.dispatch.clone();
        let name = p.name.clone();
        let topic = chosen_topic.clone();
        let key = key.trim().to_string();
        Callback::from(move |_: MouseEvent| {
            let Some(topic) = topic.clone() else { return };
            dispatch.emit(Action::Command(Command::ProducerSend {
                name: name.clone(),
                topic,
                count,
                key: (!key.is_empty()).then(|| key.clone()),
                value: None,
                partition: None,
            }))
        })
    };
    let on_topic = bind_chosen::<Event>(&topic);
    let on_key = bind_text::<InputEvent>(&key);
    let send_title = if !p.alive {
        "The producer is not running".to_string()
    } else if p.error.is_some() {
        "A fenced producer cannot send".to_string()
    } else if transactional && !can_send {
        "A transactional producer sends inside a transaction: Begin first".to_string()
    } else if !can_send {
        "The producer is closing".to_string()
    } else {
        "send(): the records wait in their partition's batch until it is full or linger.ms passes"
            .to_string()
    };
    let id_epoch = if p.producer_id < 0 {
        "none yet".to_string()
    } else {
        format!("{} / {}", p.producer_id, p.producer_epoch)
    };
    let count = |value: i64, label: &'static str, title: &'static str, class: &'static str| {
        html! {
            <div title={title} class={class}><dt>{ label }</dt><dd>{ value }</dd></div>
        }
    };
    html! {
        <article class={classes!("producer", format!("producer-{look}"))} data-producer={p.name.clone()}
                 data-producer-state={p.state.label()} data-txn-state={txn_state.to_string()}
                 data-alive={p.alive.to_string()}>
            <header class="producer-head">
                <h3>{ format!("Producer {}", p.name) }</h3>
                <span class={classes!("producer-state", look)} title={meaning}>{ format!("{symbol} {}", p.state) }</span>
                <span class="producer-meaning">{ meaning }</span>
            </header>
            if let Some(error) = &p.error {
                <p class="producer-error" role="alert">{ format!("⚠ {error}") }</p>
            }
            <dl class="producer-facts">
                <div title="Given by InitProducerId. Every batch carries them; a higher epoch for the same transactional.id fences older instances">
                    <dt>{ "producer id / epoch" }</dt><dd class="pid">{ id_epoch }</dd>
                </div>
                <div title="acks: how many replicas must have a batch before the leader answers">
                    <dt>{ "acks" }</dt><dd>{ p.acks.clone() }</dd>
                </div>
                <div title="enable.idempotence: batches carry sequences, so a retried batch is never written twice">
                    <dt>{ "idempotent" }</dt><dd>{ if p.idempotent { "yes" } else { "no" } }</dd>
                </div>
                <div title="transactional.id: writes to many partitions commit or abort together">
                    <dt>{ "transactional.id" }</dt>
                    <dd>{ p.transactional_id.clone().unwrap_or_else(|| "— (not transactional)".to_string()) }</dd>
                </div>
                if let Some(state) = &p.txn_state {
                    <div title="The client's TransactionManager state">
                        <dt>{ "transaction" }</dt><dd class="txn-state">{ state.name() }</dd>
                    </div>
                }
                <div title="linger.ms: how long a batch waits for more records before it is sent">
                    <dt>{ "linger.ms" }</dt><dd>{ p.linger_ms }</dd>
                </div>
                <div title="batch.size: a batch this full is sent at once">
                    <dt>{ "batch.size" }</dt><dd>{ p.batch_size }</dd>
                </div>
                <div title="max.in.flight.requests.per.connection: requests to one broker not answered yet">
                    <dt>{ "max.in.flight" }</dt><dd>{ p.max_in_flight }</dd>
                </div>
            </dl>
            // A fenced instance's partitions are no longer a transaction anyone will end.
            if !p.txn_partitions.is_empty() && p.error.is_none() {
                <p class="txn-partitions" title="AddPartitionsToTxn: the coordinator will write a marker to each of these when the transaction ends">
                    { format!("In the open transaction: {}", partition_list(&p.txn_partitions)) }
                </p>
            }
            <div class="producer-queues">
                { batch_table("accumulator", &p.batches, "Accumulator: batches waiting to be sent",
                    "empty: nothing waits to be sent") }
                { batch_table("in-flight", &p.in_flight, "In flight: sent, no answer yet",
                    "no request waits for an answer") }
            </div>
            <dl class="producer-counts">
                { count(p.records_sent, "sent", "Records given to send()", "sent") }
                { count(p.records_acked, "acked", "Records the leader acknowledged", "acked") }
                { count(p.records_failed, "failed", "Records that failed for good (an error or delivery.timeout.ms)", "failed") }
                { count(p.retries, "retries", "Batches sent again after an error or timeout", "retries") }
                if transactional {
                    { count(p.transactions_committed, "committed txns", "Transactions committed", "txn-committed") }
                    { count(p.transactions_aborted, "aborted txns", "Transactions aborted", "txn-aborted") }
                }
            </dl>
            <div class="producer-send" role="group" aria-label={format!("Send records with producer {}", p.name)}>
                <label>{ "topic " }
                    <select class="producer-topic" onchange={on_topic}>
                        { for props.topics.iter().map(|t| html! {
                            <option value={t.clone()} selected={chosen_topic.as_deref() == Some(t.as_str())}>{ t.clone() }</option>
                        }) }
                    </select>
                </label>
                <label title="Records with the same key go to the same partition (murmur2); without one the sticky partitioner picks">
                    { "key " }
                    <input class="producer-key" type="text" size="6" placeholder="optional"
                           value={(*key).clone()} oninput={on_key} />
                </label>
                <button class="send-1" disabled={!can_send || chosen_topic.is_none()} title={send_title.clone()}
                        onclick={send(1)}>{ "Send 1" }</button>
                <button class="send-10" disabled={!can_send || chosen_topic.is_none()} title={send_title}
                        onclick={send(10)}>{ "Send 10" }</button>
                <button class="flush" disabled={!p.alive}
                        title="flush(): send every waiting batch now, without waiting for linger.ms"
                        onclick={action(ProducerAction::Flush)}>{ "Flush" }</button>
            </div>
            <div class="producer-buttons" role="group" aria-label={format!("Actions for producer {}", p.name)}>
                if transactional {
                    <button class="begin" disabled={!p.calls.begin}
                            title="beginTransaction(): what it sends next belongs to one transaction"
                            onclick={action(ProducerAction::Begin)}>{ "Begin" }</button>
                    <button class="commit" disabled={!p.calls.commit}
                            title="commitTransaction(): flush, then the coordinator writes COMMIT markers; read_committed consumers see the records"
                            onclick={action(ProducerAction::Commit)}>{ "Commit" }</button>
                    <button class="abort" disabled={!p.calls.abort}
                            title="abortTransaction(): the coordinator writes ABORT markers; read_committed consumers skip the records"
                            onclick={action(ProducerAction::Abort)}>{ "Abort" }</button>
                }
                <button class="crash" disabled={!p.alive}
                        title="The process dies: records in its accumulator are lost"
                        onclick={action(ProducerAction::Crash)}>{ "Crash" }</button>
                <button class="restart" disabled={p.alive}
                        title="A new instance with the same configs (a transactional one fences the old one)"
                        onclick={restart}>{ "Restart" }</button>
                <button class="stop" disabled={!p.alive}
                        title="close(): send what waits, wait for the answers, stop"
                        onclick={action(ProducerAction::Stop)}>{ "Stop" }</button>
            </div>
        </article>
    }
}

/// The transactions as their coordinators hold them.
fn transactions_table(transactions: &[TransactionView]) -> Html {
    let rows = transactions.iter().map(|t| {
        let (symbol, look) = transaction_look(t.state);
        let meaning = t.state.meaning();
        let open = t.open_ms.map_or("—".to_string(), |ms| {
            format!("{ms} ms of {} ms", t.timeout_ms)
        });
        html! {
            <tr data-transaction={t.transactional_id.clone()} data-txn-state={t.state.name()}>
                <th scope="row">{ t.transactional_id.clone() }</th>
                <td title="The leader of the transactional.id's __transaction_state partition">
                    { format!("broker {} · __transaction_state-{}", t.coordinator, t.state_partition) }
                </td>
                <td><span class={classes!("txn-state-word", look)} title={meaning}>{ format!("{symbol} {}", t.state) }</span></td>
                <td class="num">{ format!("{} / {}", t.producer_id, t.producer_epoch) }</td>
                <td class="txn-parts">
                    if t.partitions.is_empty() { { "—" } } else { { partition_list(&t.partitions) } }
                </td>
                <td class="num" title="How long it has been open, of transaction.timeout.ms: the coordinator aborts it at the timeout">{ open }</td>
                <td class="markers-pending" title="Partitions whose transaction marker is not written yet">
                    if t.markers_pending.is_empty() { { "none" } } else { { partition_list(&t.markers_pending) } }
                </td>
            </tr>
        }
    });
    html! {
        <table class="transactions">
            <caption>{ "Transactions, as their coordinators hold them" }</caption>
            <thead>
                <tr>
                    <th scope="col">{ "transactional.id" }</th>
                    <th scope="col">{ "Coordinator" }</th>
                    <th scope="col">{ "State" }</th>
                    <th scope="col" title="Producer id / epoch">{ "Id / epoch" }</th>
                    <th scope="col" title="Partitions added to the transaction (AddPartitionsToTxn)">{ "Partitions" }</th>
                    <th scope="col">{ "Open for" }</th>
                    <th scope="col">{ "Markers pending" }</th>
                </tr>
            </thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

/// The form that starts a producer, with Kafka's config names.
#[component]
pub fn ProducerForm(props: &ProducersPanelProps) -> Html {
    let view = &props.view;
    let name = use_state(|| None::<String>);
    let acks = use_state(|| "all".to_string());
    let idempotent = use_state(|| true);
    let transactional_id = use_state(String::new);
    let linger = use_state(|| "5".to_string());
    let in_flight = use_state(|| "5".to_string());

    let default_name = (1..)
        .map(|n| format!("p{n}"))
        .find(|n| !view.producer_clients.iter().any(|p| &p.name == n))
        .unwrap_or_default();
    let name_value = (*name).clone().unwrap_or(default_name);
    let text = bind_text::<InputEvent>;
    let on_name = bind_chosen::<InputEvent>(&name);
    let on_acks = bind_text::<Event>(&acks);
    let on_idempotent = {
        let idempotent = idempotent.clone();
        Callback::from(move |_: Event| idempotent.set(!*idempotent))
    };
    let submit = {
        let dispatch = props.dispatch.clone();
        let name = name.clone();
        let transactional_id_state = transactional_id.clone();
        let name_value = name_value.trim().to_string();
        let (acks, idempotent) = ((*acks).clone(), *idempotent);
        let tid = transactional_id.trim().to_string();
        let linger = linger.trim().to_string();
        let in_flight = in_flight.trim().to_string();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            // Only what differs from Kafka's defaults, so the command reads like a user's.
            let mut properties = Vec::new();
            if acks != "all" {
                properties.push(("acks".to_string(), acks.clone()));
            }
            if !idempotent {
                properties.push(("enable.idempotence".to_string(), "false".to_string()));
            }
            if !tid.is_empty() {
                properties.push(("transactional.id".to_string(), tid.clone()));
            }
            if !linger.is_empty() && linger != "5" {
                properties.push(("linger.ms".to_string(), linger.clone()));
            }
            if !in_flight.is_empty() && in_flight != "5" {
                properties.push((
                    "max.in.flight.requests.per.connection".to_string(),
                    in_flight.clone(),
                ));
            }
            dispatch.emit(Action::Command(Command::ProducerStart {
                name: name_value.clone(),
                properties,
            }));
            name.set(None);
            transactional_id_state.set(String::new());
        })
    };
    html! {
        <form class="producer-form" onsubmit={submit} aria-labelledby="producer-form-heading">
            <h3 id="producer-form-heading">{ "Start a producer" }</h3>
            <label>{ "client.id " }
                <input class="producer-name" type="text" size="6" value={name_value} oninput={on_name} />
            </label>
            <label title="all: every in-sync replica has the batch before the answer; 1: the leader has it; 0: no answer at all">
                { "acks " }
                <select class="producer-acks" onchange={on_acks}>
                    <option value="all" selected={*acks == "all"}>{ "all (default)" }</option>
                    <option value="1" selected={*acks == "1"}>{ "1" }</option>
                    <option value="0" selected={*acks == "0"}>{ "0" }</option>
                </select>
            </label>
            <label title="Sequences on every batch so a retry is never written twice (needs acks=all)">
                <input class="producer-idempotence" type="checkbox" checked={*idempotent} onchange={on_idempotent} />
                { " enable.idempotence" }
            </label>
            <label title="Makes it transactional: initTransactions() fences older instances with the same id">
                { "transactional.id " }
                <input class="producer-transactional-id" type="text" size="9" placeholder="optional"
                       value={(*transactional_id).clone()} oninput={text(&transactional_id)} />
            </label>
            <label title="How long a batch waits for more records before it is sent (default 5)">
                { "linger.ms " }
                <input class="producer-linger" type="number" min="0" max="60000" size="5"
                       value={(*linger).clone()} oninput={text(&linger)} />
            </label>
            <label title="max.in.flight.requests.per.connection (default 5)">
                { "max.in.flight " }
                <input class="producer-max-in-flight" type="number" min="1" max="100" size="3"
                       value={(*in_flight).clone()} oninput={text(&in_flight)} />
            </label>
            <button type="submit" class="producer-start">{ "Start producer" }</button>
        </form>
    }
}

#[component]
pub fn ProducersPanel(props: &ProducersPanelProps) -> Html {
    let view = &props.view;
    let topics = user_topics(view);
    html! {
        <section class="panel producers-panel" aria-labelledby="producers-heading">
            <h2 id="producers-heading">{ "Producers" }</h2>
            if view.producer_clients.is_empty() {
                <p class="hint">{ "No producers yet. Start one below: its records gather in batches per \
                                   partition (the accumulator), wait up to linger.ms, then go to the \
                                   leader. A transactional.id makes its writes all-or-nothing." }</p>
            }
            <div class="producer-list">
                { for view.producer_clients.iter().map(|p| html! {
                    <ProducerCard key={p.name.clone()} producer={p.clone()} topics={topics.clone()}
                                  dispatch={props.dispatch.clone()} />
                }) }
            </div>
            if !view.transactions.is_empty() {
                { transactions_table(&view.transactions) }
            }
            <ProducerForm view={view.clone()} dispatch={props.dispatch.clone()} />
        </section>
    }
}
