//! The end-to-end harness: serves the built site from a local port, starts ChromeDriver and a
//! headless Chromium, and hands the test a WebDriver client.
//!
//! The site must have been built first (`cargo xtask test` does it; by hand:
//! `cargo xtask build`). `SANDBOX_SITE` points at it; the default is `target/site`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// The Chromium flags that keep a headless browser from stalling on this kind of machine
/// (no network but the package registries, running as root).
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--window-size=1280,800",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_path_buf()
}

/// A running browser pointed at the served site. Dropping it stops ChromeDriver.
pub struct Session {
    pub client: Client,
    pub base_url: String,
    driver: Child,
    /// The site server's network switch (see [`Session::set_online`]).
    online: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the OS hands out a free loopback port")
}

fn find_program(name: &str, env_override: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env_override) {
        return PathBuf::from(path);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` is not on PATH (set {env_override}); `cargo xtask setup --browser` installs it")
        })
}

/// The page's address for a run: `/#run=` and the script, percent-encoded.
pub fn run_link(script: &str) -> String {
    let encoded: String = script
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/#run={encoded}")
}

/// Serialises picking a port and binding it within this test process, so two tests starting
/// at once cannot be handed the same port.
static PORTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Starts ChromeDriver on a free loopback port and waits until that ChromeDriver (not some
/// other process that took the port) answers on it.
fn spawn_chromedriver() -> (u16, Child) {
    let _guard = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let port = free_port();
    let mut driver = Command::new(find_program("chromedriver", "CHROMEDRIVER"))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = driver.try_wait() {
            // It could not bind the port; the caller retries on another.
            eprintln!("chromedriver on port {port} exited at start ({status})");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (port, driver)
}

/// Opens a fresh headless Chromium through the ChromeDriver on `port`.
async fn connect(port: u16) -> Result<Client, fantoccini::error::NewSessionError> {
    let profile = workspace_root()
        .join("target")
        .join("e2e-profiles")
        .join(format!("{}-{port}", std::process::id()));
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut options = json!({ "args": args });
    if let Some(binary) = std::env::var_os("CHROME_BIN") {
        options["binary"] = json!(binary.to_string_lossy());
    } else if Path::new("/usr/bin/chromium").is_file() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    let mut caps = Capabilities::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
}

impl Session {
    /// Serves the site, starts ChromeDriver and opens a fresh headless Chromium.
    pub async fn start() -> Session {
        let site = std::env::var_os("SANDBOX_SITE")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target").join("site"));
        assert!(
            site.join("index.html").is_file(),
            "no built site at {}: run `cargo xtask build` first",
            site.display()
        );
        let (addr, online) = {
            let _guard = PORTS.lock().unwrap_or_else(|e| e.into_inner());
            let server = xtask::server::Server::bind(&site, "127.0.0.1:0")
                .expect("serving the site on a loopback port");
            let online = server.online_switch();
            (server.spawn().expect("serving the site"), online)
        };

        let mut failures = Vec::new();
        for _ in 0..3 {
            let (port, mut driver) = spawn_chromedriver();
            match connect(port).await {
                Ok(client) => {
                    return Session {
                        client,
                        base_url: format!("http://{addr}/"),
                        driver,
                        online,
                    };
                }
                Err(e) => {
                    // A port taken between asking for it and chromedriver binding it, or a
                    // chromedriver that died starting Chromium: try again on a fresh port.
                    let _ = driver.kill();
                    let _ = driver.wait();
                    failures.push(format!("port {port}: {e}"));
                }
            }
        }
        panic!(
            "opening a Chromium session through chromedriver failed three times:\n{}",
            failures.join("\n")
        );
    }

    /// Takes the site off the network (`false`: every request to it fails, as without a
    /// network) or puts it back.
    pub fn set_online(&self, online: bool) {
        self.online
            .store(online, std::sync::atomic::Ordering::SeqCst);
    }

    /// Navigates to `path`, relative to the site root.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!(
                "{}{}",
                self.base_url,
                path.trim_start_matches('/')
            ))
            .await
            .expect("navigating to the app");
    }

    /// Opens the app at `path` (relative to the site root) and waits until it has drawn.
    /// On a first visit the welcome (the lesson map) opens over the page; this chooses free
    /// play, as a user who came to break things would.
    pub async fn open(&self, path: &str) {
        self.goto(path).await;
        self.wait_for(".cluster-diagram").await;
        if self.count(".lesson-map .free-play").await > 0 {
            self.click(".lesson-map .free-play").await;
        }
    }

    /// Waits up to 20 s for an element, failing with the selector in the message. An element
    /// on a side panel that is not shown has its tab clicked first, as a user would.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for `{css}`: {e}"));
        self.reveal(&element, css).await;
        element
    }

    /// Shows the side panel holding `element` (clicking its tab) when another one is shown,
    /// and waits until it is.
    async fn reveal(&self, element: &fantoccini::elements::Element, css: &str) {
        let arg = serde_json::to_value(element).expect("an element as a script argument");
        let script = "const panel = arguments[0].closest('[role=tabpanel]');
            if (!panel || !panel.hidden) return true;
            document.getElementById(panel.getAttribute('aria-labelledby')).click();
            return !panel.hidden;";
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let shown = self
                .client
                .execute(script, vec![arg.clone()])
                .await
                .unwrap_or_else(|e| panic!("showing the panel of `{css}`: {e}"));
            if shown == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the tab of the panel holding `{css}` did not show it"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How many pixels the page is taller than the window (0 when it fits one screen).
    pub async fn downward_overflow(&self) -> i64 {
        self.page_overflow("Height").await
    }

    /// How many pixels the page's scrollable `Width` or `Height` exceeds the window's.
    async fn page_overflow(&self, dimension: &str) -> i64 {
        self.client
            .execute(
                &format!("const e = document.documentElement; return e.scroll{dimension} - e.client{dimension}"),
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("measuring the page's {dimension}: {e}"))
            .as_i64()
            .unwrap_or(0)
    }

    /// The size of the page's viewport in pixels (`window.innerWidth`, `innerHeight`).
    pub async fn viewport(&self) -> (u32, u32) {
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await
            .expect("measuring the window");
        let read = |i: usize| inner[i].as_u64().unwrap_or(0) as u32;
        (read(0), read(1))
    }

    /// The number of elements matching a CSS selector.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("finding `{css}`: {e}"))
            .len()
    }

    /// The visible text of the first element matching a CSS selector.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading the text of `{css}`: {e}"))
    }

    /// Saves a PNG of the page under `target/screenshots/` for people to look at.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("taking a screenshot");
        let dir = workspace_root().join("target").join("screenshots");
        std::fs::create_dir_all(&dir).expect("creating target/screenshots");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("writing the screenshot");
        println!("screenshot: {}", path.display());
        path
    }

    /// Resizes the browser window, to check the layout on a phone or a 4K projector.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|e| panic!("resizing the window to {width}x{height}: {e}"));
    }

    /// Resizes the browser window so the page itself gets `width` x `height` pixels (the
    /// window's own frame, if any, added).
    pub async fn resize_viewport(&self, width: u32, height: u32) {
        self.resize(width, height).await;
        let (inner_width, inner_height) = self.viewport().await;
        let (outer_width, outer_height) = (
            width + width.saturating_sub(inner_width),
            height + height.saturating_sub(inner_height),
        );
        if (outer_width, outer_height) != (width, height) {
            self.resize(outer_width, outer_height).await;
        }
    }

    /// How many pixels the page is wider than the window (0 when it never scrolls sideways).
    pub async fn sideways_overflow(&self) -> i64 {
        self.page_overflow("Width").await
    }

    /// Clicks the first element matching a CSS selector, scrolled to the middle of the window
    /// first so the sticky top bar cannot be in the way.
    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css).await;
        let arg = serde_json::to_value(&element).expect("an element as a script argument");
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
            .await
            .unwrap_or_else(|e| panic!("scrolling to `{css}`: {e}"));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking `{css}`: {e}"));
    }

    /// Chooses the option with `value` in the first select matching a CSS selector.
    pub async fn select(&self, css: &str, value: &str) {
        self.wait_for(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choosing `{value}` in `{css}`: {e}"));
    }

    /// An attribute of the first element matching a CSS selector ("" when it has none).
    pub async fn attr(&self, css: &str, name: &str) -> String {
        self.wait_for(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("reading {name} of `{css}`: {e}"))
            .unwrap_or_default()
    }

    /// Types a line into the page's console and presses Enter.
    pub async fn type_command(&self, line: &str) {
        self.wait_for(".console-input input")
            .await
            .send_keys(&format!("{line}\u{E007}"))
            .await
            .unwrap_or_else(|e| panic!("typing `{line}`: {e}"));
    }

    /// Focuses the first element matching a CSS selector and presses Enter, as a keyboard
    /// user would.
    pub async fn press_enter_on(&self, css: &str) {
        let element = self.wait_for(css).await;
        let arg = serde_json::to_value(&element).expect("an element as a script argument");
        self.client
            .execute("arguments[0].focus()", vec![arg])
            .await
            .unwrap_or_else(|e| panic!("focusing `{css}`: {e}"));
        element
            .send_keys("\u{E007}")
            .await
            .unwrap_or_else(|e| panic!("pressing Enter on `{css}`: {e}"));
    }

    /// Waits up to 20 s until the console shows `text`, failing with the console's lines.
    pub async fn console_shows(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let lines = self.text(".console-lines").await;
            if lines.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the console never showed `{text}`:\n{lines}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `window.__sandbox[name]`: what the page measures of itself and knows of a crash
    /// (`web/src/perf.rs`); `null` when absent.
    pub async fn sandbox(&self, name: &str) -> serde_json::Value {
        self.client
            .execute(
                &format!("return (window.__sandbox || {{}})[{}] ?? null", json!(name)),
                vec![],
            )
            .await
            .unwrap_or(serde_json::Value::Null)
    }

    /// Opens `path` and waits (up to `limit`) until the page says it has drawn the run it
    /// holds, failing with the crash screen's text if it crashed instead.
    pub async fn open_and_wait(&self, path: &str, limit: Duration) {
        self.goto(path).await;
        let deadline = Instant::now() + limit;
        while self.sandbox("opened").await != json!(true) {
            if self.sandbox("crashed").await == json!(true) {
                panic!(
                    "the page crashed opening the run:\n{}",
                    self.text(".crash-panel").await
                );
            }
            assert!(
                Instant::now() < deadline,
                "the run did not open within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The step the timeline shows (`step N / M · ...`).
    pub async fn current_step(&self) -> u64 {
        let text = self.text(".controls .position").await;
        text.trim_start_matches("step ")
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no step in {text:?}"))
    }

    /// Presses `key` on the page `times` times, each drawn (a frame) before the next, as a
    /// presenter's clicker does.
    pub async fn press(&self, key: &str, times: usize) {
        let script = "const [key, times, done] = arguments;
            const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
            (async () => {
              for (let i = 0; i < times; i++) {
                document.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
                await frame();
              }
              done(true);
            })();";
        self.client
            .execute_async(script, vec![json!(key), json!(times)])
            .await
            .unwrap_or_else(|e| panic!("pressing {key}: {e}"));
    }

    /// The serious and critical accessibility violations axe-core finds in the page as it is
    /// now, one line each (rule, impact, what it asks, the first elements it names). axe-core
    /// comes from npm into `.tools/npm` with the build's tools (`cargo xtask build`).
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let file = workspace_root().join(".tools/npm/node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&file).unwrap_or_else(|e| {
            panic!(
                "reading {}: {e}; `cargo xtask build` installs axe-core",
                file.display()
            )
        });
        self.client
            .execute(
                "if (!window.axe) { const s = document.createElement('script');
                   s.textContent = arguments[0]; document.head.appendChild(s); }
                 return !!window.axe;",
                vec![json!(axe)],
            )
            .await
            .expect("loading axe-core into the page");
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => `${v.id} (${v.impact}): ${v.help}: ` +
                v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', ') +
                (v.nodes.length > 4 ? ` and ${v.nodes.length - 4} more` : '') +
                ` (${(v.nodes[0].failureSummary || '').replace(/\\s+/g, ' ').trim()})`)),
              e => done([`axe-core failed: ${e}`]));";
        let found = self
            .client
            .execute_async(script, vec![])
            .await
            .expect("running axe-core");
        serde_json::from_value(found).expect("axe-core's violations as lines")
    }

    /// Ends the browser session (ChromeDriver is stopped on drop).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
