//! `cargo xtask`: the project's build tooling.
//!
//! ```text
//! cargo xtask serve [--port N] [--dev]   set up, build the release site, serve it on 127.0.0.1
//! cargo xtask test [--only STAGE]         set up (browser too), then lint and run every test
//! cargo xtask build [--dev]               set up and build the site into target/site
//! cargo xtask setup [--browser]           only install what the other commands need
//! cargo xtask bench [--smoke] [--only R]  the long-runs benchmark: every figure against its budget
//! ```
//!
//! Every tool is pinned and installed into `.tools/` inside the checkout, so a fresh clone on a
//! fresh machine needs nothing but Rust (through rustup), Node.js with npm, and, for the browser
//! tests, Chromium and ChromeDriver (installed through apt when running as root).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use xtask::server::Server;

/// The npm package that provides `wasm-opt`. Debian's binaryen is too old for what rustc emits.
const BINARYEN: &str = "binaryen@132.0.0";
/// The npm package of axe-core, the accessibility rules the e2e tests run in the page
/// (`tests/src/lib.rs`, `Session::accessibility_violations`).
const AXE_CORE: &str = "axe-core@4.14.1";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Every test stage, in the order `cargo xtask test` runs them.
const STAGES: &[&str] = &["lint", "native", "wasm", "e2e", "bench"];

type Result<T = (), E = String> = std::result::Result<T, E>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("build") => Project::new().and_then(|p| {
            p.setup(false)?;
            p.build_site(args.iter().any(|a| a == "--dev"))
        }),
        Some("bench") => Project::new().and_then(|p| {
            p.setup(true)?;
            p.bench(
                args.iter().any(|a| a == "--smoke"),
                flag_value(&args, "--only"),
            )
        }),
        Some("setup") => {
            Project::new().and_then(|p| p.setup(args.iter().any(|a| a == "--browser")))
        }
        Some("help") | Some("--help") | Some("-h") | None => {
            print!("{}", USAGE);
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "\
usage: cargo xtask <command>

  serve [--port N] [--dev]  set up, build the site and serve it on http://127.0.0.1:N (default 8080)
                            --dev: unoptimised debug build, much faster to rebuild
  test [--only STAGE]       set up (Chromium too) and run every test: lint, native, wasm, e2e,
                            bench (the benchmark's smoke run)
  build [--dev]             set up and build the site into target/site
  setup [--browser]         install the pinned tools into .tools/ (and Chromium with --browser)
  bench [--smoke] [--only R] measure memory, speed and size against their budgets (page and native);
                            --smoke: a short run that checks the benchmark works;
                            --only workshop|large: one of the two runs
";

struct Project {
    root: PathBuf,
    tools: PathBuf,
}

impl Project {
    fn new() -> Result<Project> {
        // xtask is always run through cargo from inside the workspace.
        let manifest_dir = env::var("CARGO_MANIFEST_DIR")
            .map_err(|_| "run this through `cargo xtask`, from inside the checkout".to_string())?;
        let root = Path::new(&manifest_dir)
            .parent()
            .ok_or("xtask is expected one level below the workspace root")?
            .to_path_buf();
        let tools = root.join(".tools");
        Ok(Project { root, tools })
    }

    fn site_dir(&self) -> PathBuf {
        self.root.join("target").join("site")
    }

    /// PATH with the project's own tools first, so pinned versions win over anything installed.
    fn path_env(&self) -> String {
        let mut paths = vec![
            self.tools.join("bin"),
            self.tools.join("npm").join("node_modules").join(".bin"),
        ];
        paths.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
        env::join_paths(paths)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root).env("PATH", self.path_env());
        cmd
    }

    fn cargo(&self) -> Command {
        let mut cmd = self.command(&env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        );
        cmd
    }

    // ---------------------------------------------------------------- setup

    fn setup(&self, browser: bool) -> Result {
        self.ensure_wasm_target()?;
        self.ensure_wasm_bindgen()?;
        self.ensure_npm_tools()?;
        if browser {
            self.ensure_chromium()?;
        }
        Ok(())
    }

    fn ensure_wasm_target(&self) -> Result {
        let installed = output(self.command("rustup").args(["target", "list", "--installed"]))
            .map_err(|e| {
                format!("{e}\nrustup is needed to add the {WASM_TARGET} target: install Rust from https://rustup.rs")
            })?;
        if installed.lines().any(|l| l.trim() == WASM_TARGET) {
            return Ok(());
        }
        step(&format!("adding the {WASM_TARGET} target"));
        run(self.command("rustup").args(["target", "add", WASM_TARGET]))
    }

    /// The wasm-bindgen CLI must be exactly the version of the `wasm-bindgen` crate in Cargo.lock.
    fn ensure_wasm_bindgen(&self) -> Result {
        let version = self.locked_version("wasm-bindgen")?;
        let binary = self.tools.join("bin").join("wasm-bindgen");
        if let Ok(out) = output(Command::new(&binary).arg("--version")) {
            if out.split_whitespace().nth(1) == Some(version.as_str()) {
                return Ok(());
            }
        }
        step(&format!(
            "installing wasm-bindgen-cli {version} into .tools/ (about 3 minutes, once)"
        ));
        // Not --locked: the CLI's own lockfile names a webpki-roots version the registry lacks.
        run(self
            .cargo()
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &format!("={version}"),
                "--root",
            ])
            .arg(&self.tools))
    }

    /// The tools that come from npm, installed together into `.tools/npm` (npm removes what
    /// an install does not name, so they are always installed in one command): `wasm-opt`
    /// for the build, and axe-core, the accessibility checker the e2e tests run in the page.
    fn ensure_npm_tools(&self) -> Result {
        let npm = self.tools.join("npm");
        let wanted = BINARYEN.rsplit('@').next().unwrap_or_default();
        let major = wanted.split('.').next().unwrap_or_default();
        let binary = npm.join("node_modules/.bin/wasm-opt");
        let has_wasm_opt = output(self.command(&binary.to_string_lossy()).arg("--version"))
            .is_ok_and(|out| out.contains(&format!("version {major}")));
        let axe_version = AXE_CORE.rsplit('@').next().unwrap_or_default();
        let has_axe = fs::read_to_string(npm.join("node_modules/axe-core/package.json"))
            .is_ok_and(|p| p.contains(&format!("\"version\": \"{axe_version}\"")));
        if has_wasm_opt && has_axe {
            return Ok(());
        }
        step(&format!(
            "installing {BINARYEN} (wasm-opt) and {AXE_CORE} into .tools/npm"
        ));
        fs::create_dir_all(&npm).map_err(|e| e.to_string())?;
        run(self
            .command("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
            ])
            .arg(&npm)
            .args([BINARYEN, AXE_CORE]))
        .map_err(|e| {
            format!(
                "{e}\nwasm-opt and axe-core come from npm: install Node.js 18 or newer with npm"
            )
        })
    }

    fn ensure_chromium(&self) -> Result {
        let have = |name: &str| find_on_path(name, &self.path_env()).is_some();
        if have("chromium") && have("chromedriver") {
            return Ok(());
        }
        let is_root = output(Command::new("id").arg("-u")).map(|s| s.trim() == "0");
        let has_apt = find_on_path("apt-get", &self.path_env()).is_some();
        if is_root == Ok(true) && has_apt {
            step("installing Chromium and ChromeDriver with apt-get");
            run(Command::new("apt-get").arg("update").arg("-q"))?;
            run(Command::new("apt-get")
                .args(["install", "-y", "-q", "chromium", "chromium-driver"])
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
            if have("chromium") && have("chromedriver") {
                return Ok(());
            }
        }
        Err("the browser tests need Chromium and a matching ChromeDriver on PATH \
             (`chromium` and `chromedriver`).\n\
             On Debian or Ubuntu: sudo apt-get install chromium chromium-driver\n\
             Elsewhere: install Chromium (or Chrome) and the ChromeDriver of the same major version."
            .into())
    }

    fn locked_version(&self, package: &str) -> Result<String> {
        let lock = self.root.join("Cargo.lock");
        if !lock.exists() {
            run(self.cargo().args(["generate-lockfile", "--offline"]))
                .or_else(|_| run(self.cargo().arg("generate-lockfile")))?;
        }
        let text = fs::read_to_string(&lock).map_err(|e| format!("reading Cargo.lock: {e}"))?;
        let needle = format!("name = \"{package}\"\nversion = \"");
        let start = text
            .find(&needle)
            .ok_or(format!("Cargo.lock has no `{package}` package"))?
            + needle.len();
        let end = text[start..].find('"').ok_or("malformed Cargo.lock")?;
        Ok(text[start..start + end].to_string())
    }

    // ---------------------------------------------------------------- build

    /// Builds the web app for wasm32, generates its JS glue, optimises it and copies `static/`.
    fn build_site(&self, dev: bool) -> Result {
        let started = Instant::now();
        let profile = if dev { "debug" } else { "release" };
        step(&format!("building the web app ({profile}, {WASM_TARGET})"));
        let mut build = self.cargo();
        build.args([
            "build",
            "--package",
            "sandbox-web",
            "--bin",
            "sandbox-web",
            "--target",
            WASM_TARGET,
        ]);
        if !dev {
            build.arg("--release");
        }
        run(&mut build)?;

        let site = self.site_dir();
        if site.exists() {
            fs::remove_dir_all(&site).map_err(|e| format!("clearing {}: {e}", site.display()))?;
        }
        copy_dir(&self.root.join("static"), &site)?;
        // The curriculum, compiled by the CLI with core's own lesson parser: the page fetches
        // it when it starts, so neither the Markdown parser nor the lessons' text is in the wasm.
        step("compiling lessons/ into the site");
        run(self
            .cargo()
            .args([
                "run",
                "--quiet",
                "--package",
                "sandbox-cli",
                "--",
                "lesson",
                "--compile",
            ])
            .arg(site.join("lessons.txt"))
            .arg(self.root.join("lessons")))?;

        let wasm = self
            .root
            .join("target")
            .join(WASM_TARGET)
            .join(profile)
            .join("sandbox-web.wasm");
        run(self
            .command("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "app",
                "--out-dir",
            ])
            .arg(&site)
            .arg(&wasm))?;

        let app_wasm = site.join("app_bg.wasm");
        if !dev {
            step("optimising with wasm-opt --low-memory-unused -Oz");
            run(self
                .command("wasm-opt")
                .args([
                    // Rust's wasm puts the stack first (addresses 0 to 1 MiB, growing down),
                    // so the lowest 1 KiB is touched only by a stack about to overflow: telling
                    // wasm-opt lets it fold constant addresses into loads and stores (-4.9 KB
                    // gzip, measured against -Oz alone).
                    "--low-memory-unused",
                    "-Oz",
                    // The features rustc enables by default for wasm32-unknown-unknown.
                    "--enable-bulk-memory",
                    "--enable-mutable-globals",
                    "--enable-nontrapping-float-to-int",
                    "--enable-sign-ext",
                    "--enable-reference-types",
                    "--enable-multivalue",
                    "-o",
                ])
                .arg(&app_wasm)
                .arg(&app_wasm))?;
        }
        let files = fingerprint(&site)?;
        if dev {
            // A development build is rebuilt and reloaded over and over: no offline cache.
            // Its worker removes a release build's worker and caches left on the same origin,
            // which would otherwise keep serving the old build.
            fs::write(site.join("sw.js"), DEV_SERVICE_WORKER)
                .map_err(|e| format!("writing sw.js: {e}"))?;
        } else {
            write_service_worker(&site)?;
        }
        println!(
            "\nsite built in {:.1?} into {}",
            started.elapsed(),
            site.display()
        );
        print!("{}", size_report(&files)?);
        if !dev {
            check_size(&files)?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- test

    fn lint(&self) -> Result {
        step("cargo fmt --check");
        run(self.cargo().args(["fmt", "--all", "--", "--check"]))
            .map_err(|e| format!("{e}\nformatting differs: run `cargo fmt --all`"))?;
        step("cargo clippy (host)");
        run(self.cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        step(&format!("cargo clippy ({WASM_TARGET})"));
        run(self.cargo().args([
            "clippy",
            "--package",
            "sandbox-core",
            "--package",
            "sandbox-web",
            "--all-targets",
            "--target",
            WASM_TARGET,
            "--",
            "-D",
            "warnings",
        ]))
    }

    fn native_tests(&self) -> Result {
        step("native tests");
        run(self.cargo().args([
            "test",
            "--workspace",
            "--exclude",
            "sandbox-web",
            "--exclude",
            "e2e",
        ]))
    }

    fn wasm_tests(&self) -> Result {
        step("wasm tests in headless Chromium (wasm-bindgen-test)");
        let chromedriver =
            find_on_path("chromedriver", &self.path_env()).ok_or("chromedriver is not on PATH")?;
        run(self
            .cargo()
            .args(["test", "--package", "sandbox-web", "--target", WASM_TARGET])
            .env("CHROMEDRIVER", chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))
    }

    /// The long-runs benchmark (tests/src/bin/bench.rs): the release site in headless
    /// Chromium and the engine natively, every figure printed against its budget. `--smoke`
    /// is the short run CI does so that it cannot rot.
    /// The benchmark's smoke run; `built` says the e2e stage already built the release site.
    fn bench_smoke(&self, built: bool) -> Result {
        if built {
            self.run_bench(true, None)
        } else {
            self.bench(true, None)
        }
    }

    fn bench(&self, smoke: bool, only: Option<&str>) -> Result {
        self.build_site(false)?;
        self.run_bench(smoke, only)
    }

    fn run_bench(&self, smoke: bool, only: Option<&str>) -> Result {
        step(if smoke {
            "benchmark, smoke run (short runs, few samples)"
        } else {
            "benchmark: long runs in headless Chromium and natively (several minutes)"
        });
        let chromedriver =
            find_on_path("chromedriver", &self.path_env()).ok_or("chromedriver is not on PATH")?;
        let mut cmd = self.cargo();
        cmd.args([
            "run",
            "--release",
            "--package",
            "e2e",
            "--bin",
            "bench",
            "--",
        ])
        .env("CHROMEDRIVER", chromedriver)
        .env("SANDBOX_SITE", self.site_dir());
        if smoke {
            cmd.arg("--smoke");
        }
        if let Some(only) = only {
            cmd.args(["--only", only]);
        }
        run(&mut cmd)
    }

    fn e2e_tests(&self) -> Result {
        self.build_site(false)?;
        step("end-to-end tests in headless Chromium");
        run(self
            .cargo()
            .args(["test", "--package", "e2e"])
            .env("SANDBOX_SITE", self.site_dir()))
    }
}

fn serve(args: &[String]) -> Result {
    let project = Project::new()?;
    let dev = args.iter().any(|a| a == "--dev");
    let port: u16 = match flag_value(args, "--port") {
        Some(p) => p
            .parse()
            .map_err(|_| format!("--port wants a number, got `{p}`"))?,
        None => 8080,
    };
    project.setup(false)?;
    project.build_site(dev)?;
    let site = project.site_dir();
    // Try the asked port, then the next few, so a second copy does not fail on a busy port.
    let server = (port..port.saturating_add(10))
        .find_map(|p| Server::bind(&site, &format!("127.0.0.1:{p}")).ok())
        .ok_or(format!(
            "no free port in {port}..{}",
            port.saturating_add(10)
        ))?;
    let addr = server.local_addr().map_err(|e| e.to_string())?;
    println!("\nKafka Sandbox is being served at http://{addr}/  (Ctrl-C to stop)");
    let _ = std::io::stdout().flush();
    server.run();
    Ok(())
}

fn test(args: &[String]) -> Result {
    let project = Project::new()?;
    let only = flag_value(args, "--only");
    if let Some(stage) = only {
        if !STAGES.contains(&stage) {
            return Err(format!(
                "unknown stage `{stage}`: expected one of {}",
                STAGES.join(", ")
            ));
        }
    }
    let wanted = |stage: &str| only.is_none_or(|o| o == stage);
    let started = Instant::now();
    project.setup(wanted("wasm") || wanted("e2e"))?;
    let mut summary = String::new();
    for &stage in STAGES {
        if !wanted(stage) {
            continue;
        }
        let t = Instant::now();
        match stage {
            "lint" => project.lint(),
            "native" => project.native_tests(),
            "wasm" => project.wasm_tests(),
            "e2e" => project.e2e_tests(),
            // The benchmark's short run, so it cannot rot (the site is built by then).
            _ => project.bench_smoke(wanted("e2e")),
        }
        .map_err(|e| format!("stage `{stage}` failed: {e}"))?;
        let _ = writeln!(summary, "  {stage:<8} ok  {:>6.1?}", t.elapsed());
    }
    println!(
        "\nall test stages passed in {:.1?}\n{summary}",
        started.elapsed()
    );
    Ok(())
}

// -------------------------------------------------------------------- helpers

fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn step(message: &str) {
    println!("\n==> {message}");
    let _ = std::io::stdout().flush();
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Runs a command with inherited output; a failure names the command.
fn run(cmd: &mut Command) -> Result {
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{}`: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs a command and returns its standard output.
fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .map_err(|e| format!("could not start `{}`: {e}", describe(cmd)))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("`{}` failed ({})", describe(cmd), out.status))
    }
}

fn find_on_path(name: &str, path: &str) -> Option<PathBuf> {
    env::split_paths(path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    fs::create_dir_all(to).map_err(|e| format!("creating {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("reading {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .map_err(|e| format!("copying {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The release download against its budget: over the ceiling fails the build.
/// The service worker of a development build: it keeps nothing, and takes away any earlier one.
const DEV_SERVICE_WORKER: &str = "// A development build keeps nothing offline: this worker \
removes an earlier one and its caches.
self.addEventListener(\"install\", () => self.skipWaiting());
self.addEventListener(\"activate\", (event) => event.waitUntil(
  caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith(\"kafka-sandbox-\")).map((k) => caches.delete(k))))
    .then(() => self.registration.unregister()),
));
";

/// Gives the app's code names that change with their content (`app-HASH.js`,
/// `app_bg-HASH.wasm`) and points the page at them, so that no cache can pair one build's
/// JS with another's wasm. Returns the two files, wasm first.
fn fingerprint(site: &Path) -> Result<[PathBuf; 2]> {
    let read = |path: &Path| fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()));
    let write = |path: &Path, text: &str| {
        fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
    };
    let wasm_name = format!(
        "app_bg-{}.wasm",
        content_hash(&read(&site.join("app_bg.wasm"))?)
    );
    fs::rename(site.join("app_bg.wasm"), site.join(&wasm_name))
        .map_err(|e| format!("renaming the wasm: {e}"))?;
    let js = String::from_utf8_lossy(&read(&site.join("app.js"))?).into_owned();
    // wasm-bindgen's glue finds the wasm beside itself by this name.
    if !js.contains("'app_bg.wasm'") {
        return Err(
            "app.js no longer names 'app_bg.wasm': wasm-bindgen changed how it loads \
                    the wasm; update fingerprint() in xtask/src/main.rs"
                .into(),
        );
    }
    let js = js.replace("'app_bg.wasm'", &format!("'{wasm_name}'"));
    let js_name = format!("app-{}.js", content_hash(js.as_bytes()));
    write(&site.join(&js_name), &js)?;
    fs::remove_file(site.join("app.js")).map_err(|e| format!("removing app.js: {e}"))?;
    for (file, from, to) in [
        (
            "boot.js",
            "\"./app.js\"".to_string(),
            format!("\"./{js_name}\""),
        ),
        (
            "index.html",
            "href=\"app.js\"".to_string(),
            format!("href=\"{js_name}\""),
        ),
        (
            "index.html",
            "href=\"app_bg.wasm\"".to_string(),
            format!("href=\"{wasm_name}\""),
        ),
    ] {
        let path = site.join(file);
        let text = String::from_utf8_lossy(&read(&path)?).into_owned();
        if !text.contains(&from) {
            return Err(format!(
                "static/{file} no longer has {from}: update fingerprint()"
            ));
        }
        write(&path, &text.replace(&from, &to))?;
    }
    Ok([site.join(wasm_name), site.join(js_name)])
}

/// Sixteen hex digits that change with `bytes` (SipHash with fixed keys: the same bytes give
/// the same name on every machine and every build).
fn content_hash(bytes: &[u8]) -> String {
    use std::hash::Hasher as _;
    #[allow(deprecated)]
    let mut hasher = std::hash::SipHasher::new();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())
}

/// Fills `sw.js` in with this build's version and files: every file of the site but itself.
fn write_service_worker(site: &Path) -> Result {
    let mut files = Vec::new();
    let mut folders = vec![site.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in
            fs::read_dir(&folder).map_err(|e| format!("listing {}: {e}", folder.display()))?
        {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(relative) = path.strip_prefix(site) {
                let name = relative.to_string_lossy().replace('\\', "/");
                if name != "sw.js" {
                    files.push(name);
                }
            }
        }
    }
    files.sort();
    let mut all = Vec::new();
    for name in &files {
        all.extend_from_slice(name.as_bytes());
        all.extend(fs::read(site.join(name)).map_err(|e| format!("reading {name}: {e}"))?);
    }
    let list = format!(
        "[{}]",
        files
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let path = site.join("sw.js");
    let text = fs::read_to_string(&path).map_err(|e| format!("reading sw.js: {e}"))?;
    if !text.contains("__VERSION__") || !text.contains("__FILES__") {
        return Err("static/sw.js lost its __VERSION__ or __FILES__ placeholder".into());
    }
    let text = text
        .replace("__VERSION__", &content_hash(&all))
        .replace("__FILES__", &list);
    fs::write(&path, text).map_err(|e| format!("writing sw.js: {e}"))?;
    Ok(())
}

fn check_size(files: &[PathBuf]) -> Result {
    use xtask::size::{BUDGET_KIB, CEILING_KIB};
    let total: u64 = xtask::size::gzip_sizes(files)?
        .iter()
        .map(|(_, _, gz)| gz)
        .sum();
    let kib = total as f64 / 1024.0;
    println!(
        "  wasm + JS gzip {kib:.1} KiB; budget {BUDGET_KIB:.0} KiB, ceiling {CEILING_KIB:.0} KiB"
    );
    if kib > CEILING_KIB {
        return Err(format!(
            "the download grew to {kib:.1} KiB gzip, past its ceiling of {CEILING_KIB:.0} KiB \
             (xtask/src/size.rs): find what grew (`twiggy top`) before raising it"
        ));
    }
    Ok(())
}

fn size_report(files: &[PathBuf]) -> Result<String> {
    let mut report = format!("\n  {:<30} {:>12} {:>12}\n", "file", "raw", "gzip");
    for (name, raw, gz) in xtask::size::gzip_sizes(files)? {
        let _ = writeln!(
            report,
            "  {name:<30} {:>8.1} KiB {:>8.1} KiB",
            raw as f64 / 1024.0,
            gz as f64 / 1024.0
        );
    }
    Ok(report)
}
