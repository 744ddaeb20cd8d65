//! The metrics panel: what an operator would alert on, under Kafka's MBean names, with small
//! charts of ISR changes and elections over the last minute of simulated time.

use std::rc::Rc;

use sandbox_core::metrics::{MetricsView, Series};
use yew::prelude::*;

use crate::svg::num;

/// How many partitions the HW / LEO list shows.
const PARTITIONS_LISTED: usize = 12;

#[derive(Properties, PartialEq)]
pub struct MetricsPanelProps {
    pub metrics: Rc<MetricsView>,
}

/// A bar chart of counts, scaled to its own maximum, with the values as its text.
fn sparkline(series: &Series) -> Html {
    let max = series.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let width = 120.0;
    let bar = width / series.counts.len().max(1) as f64;
    let total: i64 = series.counts.iter().sum();
    let bars = series.counts.iter().enumerate().map(|(i, &c)| {
        let h = 20.0 * c as f64 / max;
        html! {
            <rect x={num(i as f64 * bar)} y={num(22.0 - h)}
                  width={num((bar - 1.0).max(1.0))} height={num(h.max(0.5))} />
        }
    });
    html! {
        <div class="series">
            <svg class="sparkline" viewBox="0 0 120 22" role="img"
                 aria-label={format!("{}: {:?}", series.label, series.counts)}>{ for bars }</svg>
            <span>{ format!("{} ({total} in the last minute)", series.label) }</span>
        </div>
    }
}

#[component]
pub fn MetricsPanel(props: &MetricsPanelProps) -> Html {
    let m = &props.metrics;
    let rows = m.metrics.iter().map(|metric| {
        html! {
            <li class={classes!("metric", metric.alert.then_some("alert"))} title={metric.mbean}
                data-metric={metric.label}>
                <span class="metric-value">{ metric.value }</span>
                <span class="metric-label">
                    { metric.label }
                    if metric.alert { <strong class="metric-alert">{ " ⚠ alert" }</strong> }
                </span>
                <span class="metric-meaning">{ metric.meaning }</span>
            </li>
        }
    });
    // Partitions with records not yet committed first; a big cluster lists only the first few.
    let mut listed: Vec<&(String, i64, i64)> = m.partitions.iter().collect();
    sandbox_core::sort::sort_by_key(&mut listed, |(_, hw, leo)| std::cmp::Reverse(leo - hw));
    let hidden = listed.len().saturating_sub(PARTITIONS_LISTED);
    listed.truncate(PARTITIONS_LISTED);
    let partitions = listed.into_iter().map(|(name, hw, leo)| {
        html! { <li>{ format!("{name}: HW {hw} · LEO {leo}") }{ if leo > hw { format!(" · {} not yet committed", leo - hw) } else { String::new() } }</li> }
    });
    html! {
        <section class="panel metrics" aria-labelledby="metrics-heading">
            <h2 id="metrics-heading">{ "Metrics" }</h2>
            <ul class="metric-list">{ for rows }</ul>
            { for m.series.iter().map(sparkline) }
            <ul class="partition-offsets">
                { for partitions }
                if hidden > 0 {
                    <li class="more">{ format!("… and {hidden} more partitions (the console's kafka-topics.sh --describe lists them all)") }</li>
                }
            </ul>
        </section>
    }
}
