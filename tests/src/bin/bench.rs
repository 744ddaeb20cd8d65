//! `cargo xtask bench`: every figure of the long-runs budget, measured in one run and printed
//! against its budget.
//!
//! The page is the release site in headless Chromium (the e2e harness); it times each of its
//! own actions from the reducer to the DOM patched (`window.__sandbox`, see
//! `web/src/perf.rs`). The engine is also run natively on the same scripts, in a child process
//! of this binary so its peak resident size is its own.
//!
//! ```text
//! bench [--smoke]           the whole table (--smoke: short runs, few samples; never fails on a budget)
//! bench native SCRIPT       (internal) run SCRIPT through a timeline, print steps, ms and peak RSS
//! ```

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use e2e::Session;
use sandbox_core::example::{large_with_group_script, workshop_with_consumers_script};
use serde_json::{json, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("native") {
        return native(args.get(1).map(String::as_str).unwrap_or_default());
    }
    let smoke = args.iter().any(|a| a == "--smoke");
    // `--only workshop` or `--only large`: one of the two runs (and the download and cold load).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let table = runtime.block_on(bench(smoke, only.as_deref()));
    println!("\n{}", table.render());
    if table.over_budget() && !smoke {
        eprintln!("bench: some figures are over their budget (marked OVER)");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// One line of the table.
struct Figure {
    name: String,
    measured: f64,
    unit: &'static str,
    /// `(budget, lower is better)`; `None` for figures reported without a budget.
    budget: Option<(f64, bool)>,
    note: String,
}

#[derive(Default)]
struct Table(Vec<Figure>);

impl Table {
    fn add(&mut self, name: impl Into<String>, measured: f64, unit: &'static str) -> &mut Figure {
        self.0.push(Figure {
            name: name.into(),
            measured,
            unit,
            budget: None,
            note: String::new(),
        });
        self.0.last_mut().expect("just pushed")
    }

    fn over_budget(&self) -> bool {
        self.0.iter().any(|f| f.over())
    }

    fn render(&self) -> String {
        let width = self.0.iter().map(|f| f.name.len()).max().unwrap_or(10);
        let mut out = format!(
            "{:<width$}  {:>12}  {:>12}  {}\n",
            "figure", "measured", "budget", ""
        );
        for f in &self.0 {
            let budget = match f.budget {
                Some((b, true)) => format!("<= {}", number(b)),
                Some((b, false)) => format!(">= {}", number(b)),
                None => String::new(),
            };
            let verdict = match f.budget {
                None => "",
                Some(_) if f.over() => "OVER",
                Some(_) => "ok",
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:>9} {:<2}  {:>12}  {:<4} {}",
                f.name,
                number(f.measured),
                f.unit,
                budget,
                verdict,
                f.note
            );
        }
        out
    }
}

impl Figure {
    fn budget(&mut self, budget: f64) -> &mut Figure {
        self.budget = Some((budget, true));
        self
    }
    fn at_least(&mut self, budget: f64) -> &mut Figure {
        self.budget = Some((budget, false));
        self
    }
    fn note(&mut self, note: impl Into<String>) -> &mut Figure {
        self.note = note.into();
        self
    }
    fn over(&self) -> bool {
        match self.budget {
            Some((b, true)) => self.measured > b,
            Some((b, false)) => self.measured < b,
            None => false,
        }
    }
}

fn number(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// What the child process prints after running a script natively.
struct Native {
    steps: u64,
    ms: f64,
    peak_rss_mb: f64,
}

/// `bench native SCRIPT`: runs the script through a timeline as the page does and prints
/// `steps ms peak-rss-kb` (the peak resident size of this process, from /proc).
fn native(name: &str) -> ExitCode {
    let script = match script_named(name) {
        Some(s) => s,
        None => {
            eprintln!("bench native: unknown script {name}");
            return ExitCode::from(2);
        }
    };
    let parsed = match sandbox_core::parse::parse_script(&script) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench native: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let mut timeline = sandbox_core::timeline::Timeline::new(parsed.cluster.clone());
    for command in &parsed.commands {
        if let Err(e) = timeline.apply_streaming(&command.value, |_| {}) {
            eprintln!("bench native: line {}: {e}", command.line);
            return ExitCode::FAILURE;
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let peak_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    println!("{} {ms:.1} {peak_kb}", timeline.state.steps);
    ExitCode::SUCCESS
}

/// The benchmark's scripts by name, so the child process and the page run the same text.
fn script_named(name: &str) -> Option<String> {
    let (kind, run) = name.split_once(':')?;
    match kind {
        "workshop" => Some(workshop_with_consumers_script(run)),
        "large" => Some(large_with_group_script(run)),
        _ => None,
    }
}

fn run_native(name: &str) -> Native {
    let exe = std::env::current_exe().expect("the bench binary's path");
    let out = std::process::Command::new(exe)
        .args(["native", name])
        .output()
        .expect("running the native half of the benchmark");
    assert!(
        out.status.success(),
        "native run of {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    Native {
        steps: fields.first().copied().unwrap_or(0.0) as u64,
        ms: fields.get(1).copied().unwrap_or(f64::NAN),
        peak_rss_mb: fields.get(2).copied().unwrap_or(0.0) / 1024.0,
    }
}

/// Drives the page: `kind` is `key` (a key name), `scrub` (a list of steps), `click` (a CSS
/// selector) or `command` (a console line); each action waits for the next frame before the
/// next, so each is drawn on its own. Returns the timings the page recorded for them.
async fn drive(session: &Session, kind: &str, args: Value, times: usize) -> Vec<Value> {
    let before = timings_len(session).await;
    let script = r#"
        const [kind, args, times, done] = arguments;
        const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
        (async () => {
          for (let i = 0; i < times; i++) {
            if (kind === "key") {
              document.dispatchEvent(new KeyboardEvent("keydown", { key: args, bubbles: true }));
            } else if (kind === "scrub") {
              const input = document.querySelector(".scrubber");
              input.value = String(args[i % args.length]);
              input.dispatchEvent(new Event("input", { bubbles: true }));
            } else if (kind === "click") {
              document.querySelector(args[i % args.length]).click();
            }
            await frame();
          }
          done(true);
        })();
    "#;
    session
        .client
        .execute_async(script, vec![json!(kind), args, json!(times)])
        .await
        .unwrap_or_else(|e| panic!("driving the page ({kind}): {e}"));
    let all = session.sandbox("timings").await;
    all.as_array()
        .map(|a| a.iter().skip(before).cloned().collect())
        .unwrap_or_default()
}

async fn timings_len(session: &Session) -> usize {
    session
        .sandbox("timings")
        .await
        .as_array()
        .map_or(0, |a| a.len())
}

fn durations(timings: &[Value], action: &str) -> Vec<f64> {
    field(timings, action, "ms")
}

fn field(timings: &[Value], action: &str, name: &str) -> Vec<f64> {
    timings
        .iter()
        .filter(|t| t["a"] == action)
        .filter_map(|t| t[name].as_f64())
        .collect()
}

async fn head_step(session: &Session) -> u64 {
    session
        .attr(".scrubber", "max")
        .await
        .parse()
        .unwrap_or_default()
}

/// Deterministic spread of `n` steps over `1..head`.
fn spread(head: u64, n: usize, salt: u64) -> Vec<u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ salt;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + x % head.max(2).saturating_sub(1)
        })
        .collect()
}

/// Interactions on an opened run, each group's p95 against `budget_ms`.
async fn interactions(session: &Session, table: &mut Table, label: &str, budget_ms: f64, n: usize) {
    let head = head_step(session).await;
    let add = |table: &mut Table, what: &str, timings: &[Value], action: &str| {
        let values = durations(timings, action);
        let p95 = percentile(&values, 95.0);
        let p50 = percentile(&values, 50.0);
        let reduce = percentile(&field(timings, action, "reduce"), 50.0);
        table
            .add(format!("{label}: {what}, p95"), p95, "ms")
            .budget(budget_ms)
            .note(format!(
                "p50 {} ms (engine and views {} ms), {} samples",
                number(p50),
                number(reduce),
                values.len()
            ));
    };

    // Warm up (the first runs of each code path compile it), then measure.
    drive(session, "key", json!("PageDown"), 3).await;
    drive(session, "key", json!("PageUp"), 3).await;
    drive(session, "scrub", json!(spread(head, 3, 9)), 3).await;
    drive(session, "scrub", json!([head]), 1).await;

    let t = drive(session, "key", json!("PageDown"), n).await;
    add(table, "step at the head", &t, "step");

    let t = drive(session, "key", json!("PageUp"), n).await;
    add(table, "back from the head", &t, "back");

    // Seek far into the past with the scrubber, pause as a presenter does (the page prepares
    // the steps back meanwhile), then step back and forth there.
    let targets = spread(head, n, 1);
    let t = drive(session, "scrub", json!(targets), n).await;
    add(table, "scrubber seek", &t, "scrub");
    let (mut first_backs, mut backs, mut steps) = (Vec::new(), Vec::new(), Vec::new());
    for target in spread(head, n.min(30), 3) {
        drive(session, "scrub", json!([target]), 1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let t = drive(session, "key", json!("PageUp"), 3).await;
        let mut b = t.into_iter().filter(|t| t["a"] == "back");
        first_backs.extend(b.next());
        backs.extend(b);
        steps.extend(
            drive(session, "key", json!("PageDown"), 3)
                .await
                .into_iter()
                .filter(|t| t["a"] == "step"),
        );
    }
    add(
        table,
        "first step back 300 ms after a seek",
        &first_backs,
        "back",
    );
    add(table, "back after a rewind", &backs, "back");
    add(table, "step after a rewind", &steps, "step");

    // Next: jumps from random points of the recorded history. One that finds its event in
    // what was recorded is a seek; one that does not goes to the head and simulates on until
    // the event comes (or 20,000 steps), which is new work and is counted per step.
    let mut recorded = Vec::new();
    let mut past_head_per_step = Vec::new();
    for (i, target) in spread(head, n.min(24), 2).into_iter().enumerate() {
        let head_before = head_step(session).await;
        drive(session, "scrub", json!([target.min(head_before)]), 1).await;
        let button = [".jump-hw", ".jump-isr", ".jump-election", ".jump-rebalance"][i % 4];
        for t in drive(session, "click", json!([button]), 1).await {
            if t["a"] != "jump" {
                continue;
            }
            let landed = t["step"].as_f64().unwrap_or(0.0) as u64;
            if landed <= head_before {
                recorded.push(t);
            } else if let Some(ms) = t["ms"].as_f64() {
                past_head_per_step.push(ms / (landed - head_before) as f64);
            }
        }
    }
    add(
        table,
        "Next: jumps within recorded history",
        &recorded,
        "jump",
    );
    table
        .add(
            format!("{label}: Next: jumps past the head, per new step, p95"),
            percentile(&past_head_per_step, 95.0),
            "ms",
        )
        .budget(budget_ms)
        .note(format!(
            "{} jumps found nothing recorded and simulated on",
            past_head_per_step.len()
        ));
}

async fn bench(smoke: bool, only: Option<&str>) -> Table {
    let mut table = Table::default();
    let (workshop_run, large_run, samples) = if smoke {
        ("2m", "10s", 12)
    } else {
        ("60m", "10m", 60)
    };

    // The download, as the browser gets it (gzip).
    let site = std::env::var_os("SANDBOX_SITE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("target/site"));
    let sizes = xtask::size::code_files(&site)
        .and_then(|files| xtask::size::gzip_sizes(&files))
        .expect("the built site's wasm and JS");
    let total_kib = sizes.iter().map(|(_, _, gz)| *gz).sum::<u64>() as f64 / 1024.0;
    table
        .add("download: wasm + JS, gzip", total_kib, "KiB")
        .budget(300.0)
        .note(
            sizes
                .iter()
                .map(|(name, raw, gz)| {
                    format!(
                        "{name} {:.0} KiB ({:.0} raw)",
                        *gz as f64 / 1024.0,
                        *raw as f64 / 1024.0
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        );

    // Cold load of the welcome page: a fresh browser profile has an empty cache.
    let mut cold = Vec::new();
    for _ in 0..if smoke { 1 } else { 3 } {
        let session = Session::start().await;
        session.open_and_wait("/", Duration::from_secs(30)).await;
        if let Some(ms) = session.sandbox("interactiveMs").await.as_f64() {
            cold.push(ms);
        }
        session.close().await;
    }
    table
        .add(
            "cold load to an interactive picture",
            percentile(&cold, 50.0),
            "ms",
        )
        .budget(1000.0)
        .note(format!("median of {} fresh browsers", cold.len()));

    for (name, run, budget) in [("workshop", workshop_run, 8.0), ("large", large_run, 16.0)] {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let script = script_named(&format!("{name}:{run}")).expect("a known script");
        let native = run_native(&format!("{name}:{run}"));
        let label = format!("{name} ({run})");

        let session = Session::start().await;
        let opened = Instant::now();
        session
            .open_and_wait(&e2e::run_link(&script), Duration::from_secs(900))
            .await;
        let wall = opened.elapsed().as_secs_f64() * 1000.0;
        let restore_ms = session
            .sandbox("restoreMs")
            .await
            .as_f64()
            .unwrap_or(f64::NAN);
        let memory_mb = session.sandbox("memory").await.as_f64().unwrap_or(0.0) / 1048576.0;
        let steps = head_step(&session).await;
        assert_eq!(
            steps, native.steps,
            "the page and the native run took the same steps"
        );

        let native_rate = native.steps as f64 / native.ms * 1000.0;
        let wasm_rate = steps as f64 / restore_ms * 1000.0;
        table
            .add(format!("{label}: engine natively"), native_rate, "st/s")
            .note(format!("{steps} steps in {:.1} s", native.ms / 1000.0));
        table
            .add(
                format!("{label}: engine in wasm / natively"),
                wasm_rate / native_rate,
                "x",
            )
            .at_least(0.5)
            .note(format!(
                "{} steps/s in the page; the link opened in {:.1} s",
                number(wasm_rate),
                wall / 1000.0
            ));
        let memory_budget = if name == "workshop" {
            Some(300.0)
        } else {
            None
        };
        let f = table.add(
            format!("{label}: wasm memory after opening"),
            memory_mb,
            "MB",
        );
        if let Some(b) = memory_budget {
            f.budget(b);
        }
        let f = table.add(
            format!("{label}: native peak resident"),
            native.peak_rss_mb,
            "MB",
        );
        if let Some(b) = memory_budget {
            f.budget(b);
        }

        interactions(&session, &mut table, &label, budget, samples).await;

        // Playing at full speed (2 s of simulated time per tick) from the head.
        let head = head_step(&session).await;
        drive(&session, "scrub", json!([head]), 1).await;
        let speed = session.wait_for(".speed select").await;
        speed
            .select_by_value("2000")
            .await
            .expect("choosing the fastest speed");
        let before = timings_len(&session).await;
        drive(&session, "key", json!(" "), 1).await;
        tokio::time::sleep(Duration::from_secs(if smoke { 5 } else { 60 })).await;
        drive(&session, "key", json!(" "), 1).await;
        let all = session.sandbox("timings").await;
        let ticks: Vec<Value> = all
            .as_array()
            .map(|a| a.iter().skip(before).cloned().collect())
            .unwrap_or_default();
        let tick_ms = durations(&ticks, "tick");
        let mut steps_per_tick = Vec::new();
        let mut last = None;
        for t in ticks.iter().filter(|t| t["a"] == "tick") {
            let step = t["step"].as_f64().unwrap_or(0.0);
            if let Some(prev) = last {
                steps_per_tick.push(step - prev);
            }
            last = Some(step);
        }
        let per_step: Vec<f64> = tick_ms
            .iter()
            .skip(1)
            .zip(&steps_per_tick)
            .filter(|(_, &n)| n > 0.0)
            .map(|(ms, n)| ms / n)
            .collect();
        table
            .add(
                format!("{label}: playing at 2 s a tick, per step, p95"),
                percentile(&per_step, 95.0),
                "ms",
            )
            .budget(budget)
            .note(format!(
                "{} ticks, p95 {} ms a tick for {} steps",
                tick_ms.len(),
                number(percentile(&tick_ms, 95.0)),
                number(percentile(&steps_per_tick, 50.0))
            ));
        let memory_mb = session.sandbox("memory").await.as_f64().unwrap_or(0.0) / 1048576.0;
        table.add(format!("{label}: wasm memory at the end"), memory_mb, "MB");
        session.close().await;
    }
    table
}
