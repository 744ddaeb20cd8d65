//! The cluster diagram: the controller quorum, brokers as columns, partitions as rows, one cell
//! per replica with a window of its log and markers for the log start offset, HW and LEO.
//!
//! State is never shown by colour alone: the leader carries a star and the word "Leader", an
//! out-of-sync replica a dashed border and the words "Out of sync", a crashed broker a cross and
//! the word "crashed". Records take their producer's colour; uncommitted ones also get a dashed
//! outline. Transactions are drawn without relying on colour either: a transaction marker is a
//! narrow square lettered C (commit) or A (abort), a record of an aborted transaction is faded
//! and struck through, a record of a transaction still open carries a ring, and the LSO (the
//! last stable offset, where read_committed consumers stop) is a dotted line labelled "LSO".
//!
//! A big cluster (more than [`COMPACT_BROKERS`] brokers or [`COMPACT_PARTITIONS`] partitions) is
//! drawn compactly: one small cell per replica with its role, HW and how far its LEO is ahead,
//! [`PAGE_ROWS`] partitions per page, and a filter for the partitions that need attention. That
//! keeps a step within a frame at 30 brokers and 1,000 partitions (`cargo xtask bench`).

use std::rc::Rc;
use std::sync::Arc;

use sandbox_core::record_view::{RecordRun, RecordSpan, TxnState};
use sandbox_core::view::{
    ClusterView, ControlType, PartitionView, RaftRole, RecordMark, ReplicaView,
};
use yew::prelude::*;

use crate::svg::num;

use crate::PartitionKey;

const LABEL_WIDTH: f64 = 140.0;

/// The width a partition's name is squeezed to when it has more than `chars` characters, so a
/// long topic name stays inside its label box (`None`: drawn at its natural width).
fn fit(name: &str, chars: usize, width: &'static str) -> Option<&'static str> {
    (name.chars().count() > chars).then_some(width)
}
const COLUMN_WIDTH: f64 = 250.0;
const QUORUM_HEIGHT: f64 = 56.0;
const HEADER_HEIGHT: f64 = 84.0;
const ROW_HEIGHT: f64 = 100.0;
const CELL_PAD: f64 = 8.0;
/// How many of the newest offsets each replica cell draws; older ones are summarised.
const LOG_WINDOW: i64 = sandbox_core::view::RECENT_RECORDS as i64;
/// Above this many brokers, or partitions, the diagram switches to its compact drawing.
pub const COMPACT_BROKERS: usize = 8;
pub const COMPACT_PARTITIONS: usize = 48;
/// Partitions per page in the compact drawing.
pub const PAGE_ROWS: usize = 40;
const COMPACT_COLUMN: f64 = 62.0;
const COMPACT_ROW: f64 = 30.0;
const COMPACT_HEADER: f64 = 50.0;
/// How many producer colours the stylesheet defines (`.producer-0` …).
const PRODUCER_COLOURS: usize = 6;

/// Sizes of the drawing, full or compact.
#[derive(Clone, Copy, PartialEq)]
struct Layout {
    compact: bool,
    column: f64,
    row: f64,
    header: f64,
}

impl Layout {
    fn new(compact: bool) -> Layout {
        if compact {
            Layout {
                compact,
                column: COMPACT_COLUMN,
                row: COMPACT_ROW,
                header: COMPACT_HEADER,
            }
        } else {
            Layout {
                compact,
                column: COLUMN_WIDTH,
                row: ROW_HEIGHT,
                header: HEADER_HEIGHT,
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ClusterDiagramProps {
    pub view: Rc<ClusterView>,
    /// The partitions to draw, each shared with the previous step's when it did not change
    /// (see the page's state); empty means every partition of `view`.
    #[prop_or_default]
    pub rows: Rc<Vec<Arc<PartitionView>>>,
    #[prop_or_default]
    pub selected: Option<PartitionKey>,
    #[prop_or_default]
    pub on_select: Callback<PartitionKey>,
    /// A click on a broker or controller (the page opens its actions).
    #[prop_or_default]
    pub on_node: Callback<i32>,
    #[prop_or_default]
    pub selected_node: Option<i32>,
}

/// The class the stylesheet draws a record of this transaction state with (`""` for a plain
/// record).
pub fn txn_class(state: TxnState) -> &'static str {
    match state {
        TxnState::Plain => "",
        TxnState::Committed => "txn-committed",
        TxnState::Open => "open-txn",
        TxnState::Aborted => "aborted",
        TxnState::Marker(ControlType::Commit) => "txn-marker commit",
        TxnState::Marker(ControlType::Abort) => "txn-marker abort",
    }
}

/// Whether a partition needs attention: offline, or not every replica in sync.
fn needs_attention(p: &PartitionView) -> bool {
    p.leader.is_none() || p.isr.len() < p.replicas.len()
}

#[component]
pub fn ClusterDiagram(props: &ClusterDiagramProps) -> Html {
    let view = &props.view;
    let page = use_state(|| 0usize);
    let attention_only = use_state(|| false);
    let own_rows;
    let rows: &Vec<Arc<PartitionView>> = if props.rows.is_empty() {
        own_rows = view
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .cloned()
            .collect();
        &own_rows
    } else {
        &props.rows
    };
    let all: Vec<&Arc<PartitionView>> = rows.iter().collect();
    // Broker columns, the same `Rc` while no broker starts or stops: rows redraw only when
    // their partition or a column changed.
    let columns = use_memo(
        view.brokers
            .iter()
            .map(|b| (b.id, b.alive))
            .collect::<Vec<_>>(),
        |columns| columns.clone(),
    );
    let layout =
        Layout::new(view.brokers.len() > COMPACT_BROKERS || all.len() > COMPACT_PARTITIONS);
    let filtered: Vec<&Arc<PartitionView>> = all
        .iter()
        .copied()
        .filter(|p| !*attention_only || needs_attention(p))
        .collect();
    let pages = filtered.len().div_ceil(PAGE_ROWS).max(1);
    let current_page = if layout.compact {
        (*page).min(pages - 1)
    } else {
        0
    };
    let partitions: Vec<&Arc<PartitionView>> = if layout.compact {
        filtered
            .iter()
            .copied()
            .skip(current_page * PAGE_ROWS)
            .take(PAGE_ROWS)
            .collect()
    } else {
        all.clone()
    };
    let width = LABEL_WIDTH + layout.column * view.brokers.len().max(1) as f64 + 8.0;
    let quorum = if view.controllers.is_empty() {
        0.0
    } else {
        QUORUM_HEIGHT
    };
    let top = quorum + layout.header;
    let height = top + layout.row * partitions.len().max(1) as f64 + 8.0;
    let node_click = |id: i32| {
        let on_node = props.on_node.clone();
        Callback::from(move |_: MouseEvent| on_node.emit(id))
    };
    let node_key = |id: i32| {
        let on_node = props.on_node.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                on_node.emit(id);
            }
        })
    };

    let controllers = view.controllers.iter().enumerate().map(|(i, c)| {
        let x = LABEL_WIDTH + 170.0 * i as f64;
        let (symbol, class, role) = match c.role {
            None => ("✕", "down", "down".to_string()),
            Some(RaftRole::Leader) => ("★", "active", "active".to_string()),
            Some(r) => ("●", "standby", r.name().to_ascii_lowercase()),
        };
        let title_role = c.role.map_or("down", |r| r.meaning());
        html! {
            <g class={classes!("controller", class, (props.selected_node == Some(c.id)).then_some("chosen"))}
               data-controller={c.id.to_string()} role="button" tabindex="0"
               onclick={node_click(c.id)} onkeydown={node_key(c.id)}
               transform={format!("translate({},6)", num(x))}>
                <title>{ format!("Controller {}: {} in epoch {}, metadata log end {}, HW {}",
                    c.id, title_role, c.epoch, c.log_end_offset, c.high_watermark) }</title>
                <rect class="controller-box" width="160" height="40" rx="8" />
                <text class="controller-name" x="10" y="17">{ format!("{symbol} controller {}", c.id) }</text>
                <text class="controller-meta" x="10" y="33">{ format!("{role} · epoch {}", c.epoch) }</text>
            </g>
        }
    });

    let brokers = view.brokers.iter().enumerate().map(|(column, broker)| {
        let x = LABEL_WIDTH + layout.column * column as f64;
        let (status, label) = match (broker.alive, broker.fenced) {
            (false, _) => ("crashed", "✕ crashed"),
            (true, true) => ("fenced", "⊘ fenced"),
            (true, false) => ("alive", "● alive"),
        };
        let rack = broker.rack.as_deref().unwrap_or("no rack");
        let chosen = props.selected_node == Some(broker.id);
        html! {
            <g class={classes!("broker", status, chosen.then_some("chosen"))}
               data-broker={broker.id.to_string()} data-status={status}
               role="button" tabindex="0" aria-pressed={chosen.to_string()}
               onclick={node_click(broker.id)} onkeydown={node_key(broker.id)}
               transform={format!("translate({},{})", num(x), num(quorum + 6.0))}>
                <title>{ format!("Broker {}: {rack}, {label}. Click for crash, restart, shut down, isolate.", broker.id) }</title>
                <rect class="broker-box" width={num(layout.column - 12.0)}
                      height={num(layout.header - 18.0)} rx={if layout.compact { "6" } else { "10" }} />
                if layout.compact {
                    <text class="broker-name compact" x="6" y="15">{ format!("B{}", broker.id) }</text>
                    <text class="broker-meta compact" x="6" y="28">{ label.split(' ').next().unwrap_or("") }</text>
                } else {
                    <text class="broker-name" x="14" y="28">{ format!("Broker {}", broker.id) }</text>
                    <text class="broker-meta" x="14" y="52">{ format!("{rack} · {label}") }</text>
                }
            </g>
        }
    });

    let rows = partitions.iter().enumerate().map(|(row, partition)| {
        let y = top + layout.row * row as f64;
        let selected = props
            .selected
            .as_ref()
            .is_some_and(|(t, n)| *t == partition.topic && *n == partition.partition);
        html! {
            <PartitionRow key={partition.name()} partition={Arc::clone(partition)} {y} {layout} {width}
                          columns={columns.clone()} {selected} on_select={props.on_select.clone()} />
        }
    });

    let pager = layout.compact.then(|| {
        let go = |to: usize| {
            let page = page.clone();
            Callback::from(move |_: MouseEvent| page.set(to))
        };
        let toggle = {
            let attention_only = attention_only.clone();
            let page = page.clone();
            Callback::from(move |_: Event| {
                attention_only.set(!*attention_only);
                page.set(0);
            })
        };
        let first = current_page * PAGE_ROWS;
        let shown_to = (first + partitions.len()).min(filtered.len());
        html! {
            <div class="pager" role="navigation" aria-label="Partitions">
                <button class="page-prev" disabled={current_page == 0}
                        onclick={go(current_page.saturating_sub(1))}>{ "◀ Previous" }</button>
                <span class="page-position">
                    { if filtered.is_empty() {
                        "no partition needs attention".to_string()
                    } else {
                        format!("partitions {}–{shown_to} of {}", first + 1, filtered.len())
                    } }
                </span>
                <button class="page-next" disabled={current_page + 1 >= pages}
                        onclick={go(current_page + 1)}>{ "Next ▶" }</button>
                <label class="toggle">
                    <input type="checkbox" class="attention-only" checked={*attention_only} onchange={toggle} />
                    { format!(" only under-replicated or offline ({})", all.iter().filter(|p| needs_attention(p)).count()) }
                </label>
                <span class="hint">{ "Compact drawing: ★ leader, ● in sync, ○ out of sync, the number is the HW, +N records not yet committed." }</span>
            </div>
        }
    });
    html! {
        <>
        { for pager }
        <svg class={classes!("cluster-diagram", layout.compact.then_some("compact"))}
             viewBox={format!("0 0 {} {}", num(width), num(height))}
             style={layout.compact.then(|| format!("width: {}px", num(width)))}
             role="group" aria-label={summary(view)} preserveAspectRatio="xMinYMin meet">
            if quorum > 0.0 {
                <text class="quorum-label" x="8" y="31">{ "KRaft quorum" }</text>
            }
            { for controllers }
            { for brokers }
            { producer_labels(view, quorum, layout) }
            { for rows }
            { in_flight(view, quorum, layout) }
        </svg>
        if !layout.compact {
            { legend(has_transactions(view)) }
        }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct PartitionRowProps {
    partition: Arc<PartitionView>,
    y: f64,
    layout: Layout,
    width: f64,
    /// `(broker id, alive)` of each column, left to right.
    columns: Rc<Vec<(i32, bool)>>,
    selected: bool,
    on_select: Callback<PartitionKey>,
}

/// One partition: its label and a cell per replica. A component of its own so that a step
/// redraws only the rows whose partition changed (most steps change none or one).
#[component]
fn PartitionRow(props: &PartitionRowProps) -> Html {
    let PartitionRowProps {
        partition,
        y,
        layout,
        width,
        columns,
        selected,
        ..
    } = props;
    let (y, layout, width, is_selected) = (*y, *layout, *width, *selected);
    let key: PartitionKey = (partition.topic.clone(), partition.partition);
    let window_end = partition
        .replicas
        .iter()
        .map(|r| r.log_end_offset)
        .max()
        .unwrap_or(0);
    let select = {
        let on_select = props.on_select.clone();
        let key = key.clone();
        Callback::from(move |_: MouseEvent| on_select.emit(key.clone()))
    };
    let select_key = {
        let on_select = props.on_select.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                on_select.emit(key.clone());
            }
        })
    };
    let column_of = |broker: i32| columns.iter().position(|&(b, _)| b == broker);
    let alive = |broker: i32| columns.iter().any(|&(b, up)| b == broker && up);
    let cells = partition.replicas.iter().filter_map(|replica| {
        let column = column_of(replica.broker)?;
        let x = LABEL_WIDTH + layout.column * column as f64;
        Some(if layout.compact {
            compact_cell(partition, replica, alive(replica.broker), x, y)
        } else {
            replica_cell(partition, replica, alive(replica.broker), x, y, window_end)
        })
    });
    let status = match partition.leader {
        Some(l) => format!("leader {l} · epoch {}", partition.leader_epoch),
        None => "✕ offline".to_string(),
    };
    if layout.compact {
        let shown = format!(
            "{}{}",
            if partition.leader.is_none() {
                "✕ "
            } else {
                ""
            },
            partition.name()
        );
        return html! {
            <g class={classes!("partition-row", "compact", is_selected.then_some("selected"),
                               partition.leader.is_none().then_some("offline"))}>
                <rect class="row-band" x="0" y={num(y - 2.0)} width={num(width)}
                      height={num(layout.row - 2.0)} rx="4" />
                <g class="partition-label" role="button" tabindex="0"
                   data-partition={partition.name()}
                   aria-pressed={is_selected.to_string()}
                   aria-label={format!("{shown}: {status}, ISR {}", ids(&partition.isr))}
                   onclick={select} onkeydown={select_key}>
                    <rect x="4" y={num(y)} width={num(LABEL_WIDTH - 16.0)}
                          height={num(layout.row - 6.0)} rx="4" />
                    <text class="partition-name compact" x="10" y={num(y + 17.0)}
                          textLength={fit(&shown, 15, "112")}
                          lengthAdjust="spacingAndGlyphs">{ shown }</text>
                </g>
                { for cells }
            </g>
        };
    }
    html! {
        <g class={classes!("partition-row", is_selected.then_some("selected"),
                           partition.leader.is_none().then_some("offline"))}>
            <rect class="row-band" x="0" y={num(y - 4.0)} width={num(width)}
                  height={num(ROW_HEIGHT - 4.0)} rx="8" />
            <g class="partition-label" role="button" tabindex="0"
               data-partition={partition.name()}
               aria-pressed={is_selected.to_string()}
               onclick={select} onkeydown={select_key}>
                <rect x="4" y={num(y)} width={num(LABEL_WIDTH - 16.0)}
                      height={num(ROW_HEIGHT - 12.0)} rx="8" />
                <text class="partition-name" x="14" y={num(y + 28.0)}
                      textLength={fit(&partition.name(), 12, "108")}
                      lengthAdjust="spacingAndGlyphs">{ partition.name() }</text>
                <text class="partition-meta" x="14" y={num(y + 50.0)}>{ status }</text>
                <text class="partition-meta" x="14" y={num(y + 68.0)}>
                    { format!("ISR {}", ids(&partition.isr)) }
                </text>
            </g>
            { for cells }
        </g>
    }
}

/// Whether anything drawn concerns transactions: a transaction a coordinator holds, or a
/// transactional record in a replica's window.
fn has_transactions(view: &ClusterView) -> bool {
    !view.transactions.is_empty()
        || view
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .flat_map(|p| &p.replicas)
            .flat_map(|r| &r.recent)
            .any(|m| m.batch.is_some_and(|b| b.transactional))
}

/// What the drawing's shapes mean, each key drawn with the same classes as the drawing; the
/// transaction keys only once there are transactions to see.
fn legend(transactions: bool) -> Html {
    let key = |body: Html| {
        html! {
            <svg class="legend-key" viewBox="0 0 18 18" width="18" height="18" aria-hidden="true">{ body }</svg>
        }
    };
    let square = |classes: &'static str| {
        html! { <rect class={classes!("record", classes.split(' ').collect::<Vec<_>>())} x="2" y="1" width="14" height="16" rx="2" /> }
    };
    let line = |name: &'static str| {
        html! { <g class={classes!("marker", name)}><line x1="9" x2="9" y1="0" y2="18" /></g> }
    };
    html! {
        <p class="diagram-legend" aria-label="Legend">
            <span>{ key(square("committed")) }{ "committed (below the HW)" }</span>
            <span>{ key(square("uncommitted")) }{ "not committed yet" }</span>
            if transactions {
                <span>{ key(html! { <>{ square("committed open-txn") }<circle class="open-ring" cx="9" cy="9" r="3" /></> }) }
                    { "in an open transaction" }</span>
                <span>{ key(html! { <>{ square("committed aborted") }<line class="abort-strike" x1="2" y1="17" x2="16" y2="1" /></> }) }
                    { "aborted (read_committed skips it)" }</span>
                <span>{ key(html! { <><rect class="record committed txn-marker commit" x="5" y="1" width="8" height="16" rx="1" />
                    <text class="marker-letter" x="9" y="13" text-anchor="middle">{ "C" }</text></> }) }
                    { key(html! { <><rect class="record committed txn-marker abort" x="5" y="1" width="8" height="16" rx="1" />
                    <text class="marker-letter" x="9" y="13" text-anchor="middle">{ "A" }</text></> }) }
                    { "commit / abort marker" }</span>
            }
            <span>{ key(line("HW")) }{ "HW: consumers read below it" }</span>
            if transactions {
                <span>{ key(line("LSO")) }{ "LSO: read_committed consumers read below it" }</span>
            }
            <span>{ key(line("LEO")) }{ "LEO: where the next record goes" }</span>
        </p>
    }
}

/// Where a node sits in the picture, for drawing messages between nodes.
fn node_anchor(view: &ClusterView, node: i32, quorum: f64, layout: Layout) -> Option<(f64, f64)> {
    if let Some(i) = view.controllers.iter().position(|c| c.id == node) {
        return Some((LABEL_WIDTH + 170.0 * i as f64 + 80.0, 26.0));
    }
    if let Some(i) = view.brokers.iter().position(|b| b.id == node) {
        return Some((
            LABEL_WIDTH + layout.column * i as f64 + layout.column / 2.0,
            quorum + layout.header / 2.0,
        ));
    }
    if let Some(i) = view.producer_clients.iter().position(|p| p.node == node) {
        return producer_slot(i, quorum, layout).map(|y| (LABEL_WIDTH - 12.0, y - 4.0));
    }
    // The client sits at the left edge, beside the brokers.
    (node < 0).then_some((30.0, quorum + 40.0))
}

/// The baseline of the `i`th producer's name in the left column beside the brokers, if there
/// is room for it there.
fn producer_slot(i: usize, quorum: f64, layout: Layout) -> Option<f64> {
    let room = ((layout.header - 18.0) / 16.0) as usize;
    (i < room).then_some(quorum + 20.0 + 16.0 * i as f64)
}

/// The producer clients, named in the left column beside the brokers, so their requests
/// (InitProducerId, AddPartitionsToTxn, Produce, EndTxn) can be drawn on their way.
fn producer_labels(view: &ClusterView, quorum: f64, layout: Layout) -> Html {
    let labels = view
        .producer_clients
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let y = producer_slot(i, quorum, layout)?;
            let name: String = if p.name.chars().count() > 10 {
                format!("{}…", p.name.chars().take(9).collect::<String>())
            } else {
                p.name.clone()
            };
            let symbol = if p.alive { "▶" } else { "✕" };
            Some(html! {
                <text class={classes!("client-label", (!p.alive).then_some("down"))} data-client={p.name.clone()}
                      x={num(LABEL_WIDTH - 18.0)} y={num(y)} text-anchor="end">
                    <title>{ format!("Producer {} ({}): its requests are drawn from here", p.name, p.state) }</title>
                    { format!("{name} {symbol}") }
                </text>
            })
        });
    html! { <g class="clients" role="group" aria-label="Producers">{ for labels }</g> }
}

/// At most this many messages in flight are drawn (the next to arrive): a big cluster has a
/// fetch on the way between nearly every pair of brokers, hundreds of arrows nobody can read.
pub const MESSAGES_DRAWN: usize = 60;

/// Messages on their way, each a dot on the line between its two nodes, placed by how much of
/// its latency has passed at the current simulated time, and labelled with its RPC name.
fn in_flight(view: &ClusterView, quorum: f64, layout: Layout) -> Html {
    let now = view.time_ms;
    let more = view.in_flight.len().saturating_sub(MESSAGES_DRAWN);
    let dots = view.in_flight.iter().take(MESSAGES_DRAWN).filter_map(|m| {
        let (x1, y1) = node_anchor(view, m.from, quorum, layout)?;
        let (x2, y2) = node_anchor(view, m.to, quorum, layout)?;
        let span = (m.deliver_ms - m.sent_ms).max(1) as f64;
        let t = ((now - m.sent_ms) as f64 / span).clamp(0.0, 1.0);
        let (x, y) = (x1 + (x2 - x1) * t, y1 + (y2 - y1) * t);
        Some(html! {
            <g class="message" data-message={m.name.clone()}>
                <line class="message-path" x1={num(x1)} y1={num(y1)}
                      x2={num(x2)} y2={num(y2)} />
                <circle cx={num(x)} cy={num(y)} r="5" />
                <text x={num(x + 7.0)} y={num(y - 6.0)}>{ &m.name }</text>
            </g>
        })
    });
    html! {
        <g class="in-flight" role="group" aria-label="Messages in flight">
            { for dots }
            if more > 0 {
                <text class="more-messages" x="8" y={num(quorum + layout.header - 8.0)}>
                    { format!("+{more} more in flight") }
                </text>
            }
        </g>
    }
}

fn ids(list: &[i32]) -> String {
    let items: Vec<String> = list.iter().map(i32::to_string).collect();
    format!("[{}]", items.join(","))
}

/// A screen-reader summary of the picture.
fn summary(view: &ClusterView) -> String {
    let partitions: usize = view.topics.iter().map(|t| t.partitions.len()).sum();
    let alive = view.brokers.iter().filter(|b| b.alive).count();
    format!(
        "Cluster of {} brokers ({alive} running) with {partitions} partitions{}",
        view.brokers.len(),
        view.active_controller
            .map_or(String::new(), |c| format!("; controller {c} is active"))
    )
}

/// Draws a run of plain records as one path, a square of `width` for each record, the one at
/// `offset` starting at `x_of(offset)`.
fn draw_run(run: &RecordRun, x_of: impl Fn(i64) -> f64, y: f64, width: f64) -> Html {
    let colour = run
        .producer
        .map(|p| format!("producer-{}", p % PRODUCER_COLOURS));
    let mut d = String::with_capacity((run.to - run.from) as usize * 64);
    for offset in run.from..run.to {
        rounded_square(&mut d, x_of(offset), y, width, 16.0);
    }
    html! {
        <path class={classes!("record", "record-run", run.state.name(), colour)} d={d}
              data-from={run.from.to_string()} data-to={(run.to - 1).to_string()}>
            <title>{ run.title() }</title>
        </path>
    }
}

/// Appends a `width` by `height` rectangle with corners rounded by 2 to the path `d`.
fn rounded_square(d: &mut String, x: f64, y: f64, width: f64, height: f64) {
    use std::fmt::Write;
    let _ = write!(
        d,
        "M{} {}a2 2 0 0 1 2-2h{}a2 2 0 0 1 2 2v{}a2 2 0 0 1-2 2h-{}a2 2 0 0 1-2-2z",
        num(x),
        num(y + 2.0),
        num(width - 4.0),
        num(height - 4.0),
        num(width - 4.0)
    );
}

/// A record written in a transaction, or a transaction marker, with its tooltip.
fn txn_record(
    replica: &ReplicaView,
    mark: &RecordMark,
    look: TxnState,
    state: &'static str,
    sx: f64,
    bar_y: f64,
    width: f64,
) -> Html {
    let offset = mark.offset;
    let colour = format!("producer-{}", mark.producer % PRODUCER_COLOURS);
    let batch = Some(replica.describe_record(mark))
        .filter(|d| !d.is_empty())
        .map_or(String::new(), |d| format!("; {d}"));
    let title = format!(
        "offset {offset}: {state}, producer #{}{batch}",
        mark.producer + 1
    );
    if let TxnState::Marker(control) = look {
        // A marker is narrow, so it reads as a boundary between transactions, lettered C or A.
        let narrow = (width * 0.6).max(8.0);
        let nx = sx + (width - narrow) / 2.0;
        return html! {
            <g class={classes!("record-group", state)} data-offset={offset.to_string()}
               data-control={control.name()}>
                <title>{ title }</title>
                <rect class={classes!("record", state, txn_class(look))} x={num(nx)} y={num(bar_y)}
                      width={num(narrow)} height="16" rx="1" />
                <text class="marker-letter" x={num(sx + width / 2.0)} y={num(bar_y + 12.0)}
                      text-anchor="middle">{ if control == ControlType::Commit { "C" } else { "A" } }</text>
            </g>
        };
    }
    html! {
        <g class={classes!("record-group", state)}>
            <rect class={classes!("record", state, colour, txn_class(look))} x={num(sx)} y={num(bar_y)}
                  width={num(width)} height="16" rx="2" data-offset={offset.to_string()}
                  data-txn={txn_class(look).to_string()}>
                <title>{ title }</title>
            </rect>
            if look == TxnState::Aborted {
                <line class="abort-strike" x1={num(sx)} y1={num(bar_y + 16.0)}
                      x2={num(sx + width)} y2={num(bar_y)} />
            }
            if look == TxnState::Open {
                <circle class="open-ring" cx={num(sx + width / 2.0)} cy={num(bar_y + 8.0)} r="3" />
            }
        </g>
    }
}

fn replica_cell(
    partition: &PartitionView,
    replica: &ReplicaView,
    broker_alive: bool,
    x: f64,
    y: f64,
    window_end: i64,
) -> Html {
    let (role, label) = match (replica.is_leader, replica.in_isr) {
        (true, _) => ("leader", "★ Leader"),
        (false, true) => ("follower", "Follower"),
        (false, false) => ("follower", "Out of sync"),
    };
    let cell_width = COLUMN_WIDTH - 12.0;
    let window_start = (window_end - LOG_WINDOW).max(0);
    let slot = (cell_width - 2.0 * CELL_PAD - 20.0) / LOG_WINDOW as f64;
    let first_x = x + CELL_PAD + 16.0;
    let bar_y = y + 36.0;
    let offset_x = |offset: i64| first_x + slot * (offset - window_start) as f64 - 1.0;
    let square_x = |offset: i64| first_x + slot * (offset - window_start) as f64;
    let width = slot - 2.0;
    // Plain records (no transaction) are drawn in runs: the consecutive offsets of one state and
    // one producer share a single path, a rounded square per record, so a cell is a handful of
    // elements rather than one per record, and a far jump redraws a fraction of the nodes.
    // Transactional records and markers keep an element each: they carry more shapes.
    let mut runs: Vec<Html> = Vec::new();
    let mut singles: Vec<Html> = Vec::new();
    for span in replica.record_spans(window_start, window_end) {
        match span {
            RecordSpan::Run(run) => runs.push(draw_run(&run, square_x, bar_y, width)),
            RecordSpan::Single { mark, state, txn } => singles.push(txn_record(
                replica,
                mark,
                txn,
                state.name(),
                square_x(mark.offset),
                bar_y,
                width,
            )),
        }
    }
    // Records this replica lost to truncation stay visible under the log, crossed out.
    let lost = replica
        .lost
        .iter()
        .filter(|r| r.offset >= window_start && r.offset < window_end)
        .map(|r| {
            let sx = first_x + slot * (r.offset - window_start) as f64;
            html! {
                <g class="lost-record" data-lost={r.offset.to_string()}>
                    <title>{ format!("offset {} was truncated from this replica (producer #{})", r.offset, r.producer + 1) }</title>
                    <rect x={num(sx)} y={num(bar_y + 19.0)}
                          width={num(slot - 2.0)} height="7" rx="1" />
                    <line x1={num(sx)} y1={num(bar_y + 19.0)}
                          x2={num(sx + slot - 2.0)} y2={num(bar_y + 26.0)} />
                </g>
            }
        });
    let marker = |name: &'static str, offset: i64, label_y: f64| {
        (offset >= window_start && offset <= window_end).then(|| {
            let mx = offset_x(offset);
            // The LSO's label sits left of its line, so it never runs into the HW's.
            let (label_x, anchor) = if name == "LSO" {
                (mx - 2.0, "end")
            } else {
                (mx + 2.0, "start")
            };
            html! {
                <g class={classes!("marker", name)} data-marker={name} data-offset={offset.to_string()}>
                    <line x1={num(mx)} x2={num(mx)}
                          y1={num(bar_y - 5.0)} y2={num(bar_y + 21.0)} />
                    <text x={num(label_x)} y={num(label_y)} text-anchor={anchor}>{ name }</text>
                </g>
            }
        })
    };
    let hw_marker = marker("HW", replica.high_watermark, bar_y - 6.0);
    let lso_marker = (replica.last_stable_offset != replica.high_watermark)
        .then(|| marker("LSO", replica.last_stable_offset, bar_y - 6.0))
        .flatten();
    let leo_marker = (replica.log_end_offset != replica.high_watermark)
        .then(|| marker("LEO", replica.log_end_offset, bar_y + 29.0))
        .flatten();
    let start_marker = (replica.log_start_offset > 0)
        .then(|| marker("LS", replica.log_start_offset, bar_y + 29.0))
        .flatten();
    html! {
        <g class={classes!("replica", role, (!replica.in_isr).then_some("out-of-sync"),
                           (!broker_alive).then_some("down"))}
           data-replica={format!("{}@{}", partition.name(), replica.broker)}
           data-role={role} data-isr={replica.in_isr.to_string()}
           data-hw={replica.high_watermark.to_string()}
           data-leo={replica.log_end_offset.to_string()}
           data-lso={replica.last_stable_offset.to_string()}>
            <title>{ format!("{} on broker {}: {}, log start {}, HW {}, LEO {}{}{}",
                partition.name(), replica.broker, label, replica.log_start_offset,
                replica.high_watermark, replica.log_end_offset,
                lso_words(replica),
                if replica.truncated > 0 { format!(", {} record(s) truncated", replica.truncated) } else { String::new() }) }</title>
            <rect class="cell" x={num(x)} y={num(y)} width={num(cell_width)}
                  height={num(ROW_HEIGHT - 12.0)} rx="8" />
            <text class="role" x={num(x + CELL_PAD + 4.0)} y={num(y + 17.0)}>{ label }</text>
            if replica.truncated > 0 {
                <text class="truncated" x={num(x + cell_width - 8.0)} y={num(y + 18.0)}
                      text-anchor="end">{ format!("✂ {} lost", replica.truncated) }</text>
            }
            if window_start > 0 {
                <text class="ellipsis" x={num(x + CELL_PAD + 2.0)} y={num(bar_y + 13.0)}>{ "…" }</text>
            }
            { for runs }
            { for singles }
            { for lost }
            { for hw_marker }
            { for lso_marker }
            { for leo_marker }
            { for start_marker }
            <text class="offsets" x={num(x + CELL_PAD + 4.0)} y={num(y + 81.0)}>
                { if replica.last_stable_offset != replica.high_watermark {
                    format!("start {} · LSO {} · HW {} · LEO {}", replica.log_start_offset,
                        replica.last_stable_offset, replica.high_watermark, replica.log_end_offset)
                } else {
                    format!("start {} · HW {} · LEO {}", replica.log_start_offset,
                        replica.high_watermark, replica.log_end_offset)
                } }
            </text>
        </g>
    }
}

/// The LSO in words, when a transaction holds it below the HW.
fn lso_words(replica: &ReplicaView) -> String {
    match replica.lso_reason() {
        Some(why) => format!(
            ", LSO {} (read_committed consumers stop here: {why})",
            replica.last_stable_offset
        ),
        None => String::new(),
    }
}

/// One replica in the compact drawing: its role as a symbol, its HW, and how many records its
/// LEO is ahead of the HW.
fn compact_cell(
    partition: &PartitionView,
    replica: &ReplicaView,
    broker_alive: bool,
    x: f64,
    y: f64,
) -> Html {
    let (role, symbol, label) = match (replica.is_leader, replica.in_isr) {
        (true, _) => ("leader", "★", "leader"),
        (false, true) => ("follower", "●", "in sync"),
        (false, false) => ("follower", "○", "out of sync"),
    };
    let ahead = replica.log_end_offset - replica.high_watermark;
    let text = if ahead > 0 {
        format!("{symbol}{} +{ahead}", replica.high_watermark)
    } else {
        format!("{symbol}{}", replica.high_watermark)
    };
    html! {
        <g class={classes!("replica", "compact", role, (!replica.in_isr).then_some("out-of-sync"),
                           (!broker_alive).then_some("down"))}
           data-replica={format!("{}@{}", partition.name(), replica.broker)}
           data-role={role} data-isr={replica.in_isr.to_string()}
           data-hw={replica.high_watermark.to_string()}
           data-leo={replica.log_end_offset.to_string()}
           data-lso={replica.last_stable_offset.to_string()}>
            <title>{ format!("{} on broker {}: {label}{}, log start {}, HW {}, LEO {}{}",
                partition.name(), replica.broker,
                if broker_alive { "" } else { " (broker down)" },
                replica.log_start_offset, replica.high_watermark, replica.log_end_offset,
                lso_words(replica)) }</title>
            <rect class="cell" x={num(x)} y={num(y)} width={num(COMPACT_COLUMN - 8.0)}
                  height={num(COMPACT_ROW - 6.0)} rx="4" />
            <text class="compact-text" x={num(x + 4.0)} y={num(y + 16.0)}>{ text }</text>
        </g>
    }
}
