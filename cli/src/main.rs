//! `kafka-sandbox`: the simulation without a browser.
//!
//! ```text
//! kafka-sandbox run SCRIPT [--json] [--quiet] [--check]
//!                                                run a script ('-' reads stdin); print the trace and the final state;
//!                                                --check also checks every invariant after every step
//! kafka-sandbox placement                        read one replica-placement case (JSON) on stdin, print the assignment
//! kafka-sandbox assignors                        read one consumer-assignor case (JSON, or {"cases": [...]}) on stdin,
//!                                                print the assignment
//! kafka-sandbox commands                         print the command language reference (Markdown)
//! kafka-sandbox lesson FILE... | --all [DIR]      play lessons headless: every command, check, question
//!                                                and challenge goal verified; a summary line each
//! kafka-sandbox lesson --compile OUT [DIR]        write the lessons in the form the page fetches
//! kafka-sandbox swarm [--seeds N] [--start S] [--length L] [--unclean] [--print]
//!                                                random fault schedules from seeds S..S+N, invariants after every step
//!                                                (--print prints the schedules as scripts instead)
//! ```
//!
//! Exit codes: 0 on success, 1 when a command in the script fails or an invariant breaks, 2 on
//! a bad script or usage.

use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  kafka-sandbox run SCRIPT [--json] [--quiet] [--check]
                     run a script ('-' reads stdin): trace, then final state;
                     --check also checks every invariant after every step
  kafka-sandbox placement
                     read a replica-placement case (JSON) on stdin, print the assignment
  kafka-sandbox assignors
                     read a consumer-assignor case (JSON, or {\"cases\": [...]}) on stdin,
                     print the assignment (cooperative-sticky: first and final round)
  kafka-sandbox commands
                     print the command reference (Markdown)
  kafka-sandbox lesson FILE... | --all [DIR]
                     play lessons (Markdown, format in lessons/README.md) headless, verifying every
                     command, check, question and challenge goal (--all: every *.md in DIR, default
                     lessons/, README.md and coverage.md aside); a summary line per lesson and in all
  kafka-sandbox lesson --compile OUT [DIR]
                     write the lessons of DIR (default lessons/) in the compiled form the page fetches
  kafka-sandbox swarm [--seeds N] [--start S] [--length L] [--unclean] [--print]
                     play the random fault schedules of seeds S..S+N (default 0..1000, 60 commands
                     each) with every invariant checked after every step; print the first failure
                     with its seed and shortest failing script (--print: print the scripts only)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("placement") => placement(),
        Some("assignors") => assignors(),
        Some("swarm") => swarm(&args[1..]),
        Some("lesson") => lesson(&args[1..]),
        Some("commands") => {
            print!("{}", sandbox_core::parse::help_markdown());
            Ok(())
        }
        Some("help") | Some("--help") | Some("-h") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(Failure::Usage(format!("expected a command\n\n{USAGE}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("kafka-sandbox: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Command(m)) => {
            eprintln!("kafka-sandbox: {m}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    /// Bad usage or a script that does not parse.
    Usage(String),
    /// A command that parsed but could not be applied.
    Command(String),
}

/// The lesson files of a folder, in name order (its README and coverage file aside).
fn lesson_files(dir: &str) -> Result<Vec<String>, Failure> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Failure::Usage(format!("reading {dir}: {e}")))?;
    let mut files: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(sandbox_core::lesson::is_lesson_file)
        })
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    Ok(files)
}

fn lesson(args: &[String]) -> Result<(), Failure> {
    use sandbox_core::lesson::{parse_lesson, run_lesson};
    if let [compile, out, rest @ ..] = args {
        if compile == "--compile" {
            return compile_lessons(out, rest.first().map_or("lessons", String::as_str));
        }
    }
    let files = match args {
        [all] if all == "--all" => lesson_files("lessons")?,
        [all, dir] if all == "--all" => lesson_files(dir)?,
        [] => {
            return Err(Failure::Usage(format!(
                "lesson needs files or --all\n\n{USAGE}"
            )))
        }
        files => files.to_vec(),
    };
    let (mut ok, mut failed) = (0, 0);
    let (mut checks, mut questions, mut commands, mut goals) = (0, 0, 0, 0);
    for path in &files {
        let text = read_input(path)?;
        let name = std::path::Path::new(path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        let result = parse_lesson(&name, &text).and_then(|l| run_lesson(&l).map(|s| (l, s)));
        match result {
            Ok((l, s)) => {
                ok += 1;
                checks += s.checks;
                questions += s.questions;
                commands += s.commands;
                goals += s.goals;
                println!(
                    "ok   {name}: {} ({}, {} min): {} steps, {} commands, {} checks, {} questions{}",
                    l.meta.title,
                    l.meta.level.name(),
                    l.meta.minutes,
                    s.steps,
                    s.commands,
                    s.checks,
                    s.questions,
                    if s.goals > 0 { ", goal reached by the solution" } else { "" }
                );
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {e}");
            }
        }
    }
    println!(
        "{} lessons: {ok} ok, {failed} failed; {commands} commands, {checks} checks, {questions} questions, {goals} challenge goals verified",
        files.len()
    );
    if failed > 0 {
        return Err(Failure::Command(format!("{failed} lesson(s) failed")));
    }
    Ok(())
}

/// Writes the lessons of `dir` in the compiled form the page fetches (`lesson::ir`); a lesson
/// that does not read is written as its error, which the page's lesson map shows, and said here.
fn compile_lessons(out: &str, dir: &str) -> Result<(), Failure> {
    use sandbox_core::lesson::{ir, parse_lesson};
    let mut text = String::new();
    let files = lesson_files(dir)?;
    for path in &files {
        let source = read_input(path)?;
        let name = std::path::Path::new(path)
            .file_name()
            .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
        match parse_lesson(&name, &source) {
            Ok(lesson) => text.push_str(&ir::write(&lesson)),
            Err(e) => {
                eprintln!("kafka-sandbox: {e}");
                text.push_str(&ir::write_broken(&e.to_string()));
            }
        }
    }
    std::fs::write(out, text).map_err(|e| Failure::Command(format!("writing {out}: {e}")))?;
    println!("{} lessons compiled into {out}", files.len());
    Ok(())
}

fn read_input(path: &str) -> Result<String, Failure> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Usage(format!("reading stdin: {e}")))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("reading {path}: {e}")))
    }
}

fn run(args: &[String]) -> Result<(), Failure> {
    let json = args.iter().any(|a| a == "--json");
    let quiet = args.iter().any(|a| a == "--quiet");
    let check = args.iter().any(|a| a == "--check");
    let Some(path) = args
        .iter()
        .find(|a| !a.starts_with("--") || a.as_str() == "-")
    else {
        return Err(Failure::Usage(format!(
            "run needs a script path\n\n{USAGE}"
        )));
    };
    if let Some(unknown) = args
        .iter()
        .find(|a| a.starts_with("--") && !["--json", "--quiet", "--check"].contains(&a.as_str()))
    {
        return Err(Failure::Usage(format!(
            "unknown option {unknown}\n\n{USAGE}"
        )));
    }
    let text = read_input(path)?;
    let script = sandbox_core::parse::parse_script(&text)
        .map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
    let failure = if json {
        let (run, failure) = match sandbox_core::script::run(&script) {
            Ok(run) => (run, None),
            Err(f) => (*f.run, Some((f.line, f.error))),
        };
        let view = sandbox_core::view::cluster_view(&run.timeline.state);
        let value = serde_json::json!({
            "trace": run.trace,
            "outputs": run.outputs.iter().map(|(line, text)| serde_json::json!({"line": line, "text": text})).collect::<Vec<_>>(),
            "state": view,
            "error": failure.as_ref().map(|(line, e)| serde_json::json!({"line": line, "message": e.message})),
        });
        let text =
            serde_json::to_string_pretty(&value).map_err(|e| Failure::Command(e.to_string()))?;
        println!("{text}");
        failure
    } else {
        // Printed as it happens: an hour of simulated time is over a million lines, which are
        // never all held in memory.
        use sandbox_core::script::Piece;
        use std::io::Write;
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let streamed = sandbox_core::script::run_streaming(&script, |piece| {
            let _ = match piece {
                Piece::Command { line } if !quiet => {
                    writeln!(out, "> {}", text.lines().nth(line - 1).unwrap_or("").trim())
                }
                Piece::Event(event) if !quiet => writeln!(out, "{}", event.trace_line()),
                Piece::Output { text, .. } => write!(out, "{text}"),
                _ => Ok(()),
            };
        });
        let state = &streamed.timeline.state;
        let view = sandbox_core::view::cluster_view(state);
        let _ = writeln!(
            out,
            "\n== state after step {} at {} ms ==",
            state.steps, state.now_ms
        );
        let _ = write!(out, "{}", sandbox_core::describe::describe_cluster(&view));
        let _ = out.flush();
        streamed.failure
    };
    if let Some((line, error)) = failure {
        return Err(Failure::Command(format!("{path}:{line}: {error}")));
    }
    if check {
        // Played again on a bare simulation, with the invariants checked after every step.
        let commands: Vec<sandbox_core::command::Command> =
            script.commands.iter().map(|c| c.value.clone()).collect();
        let played = sandbox_core::swarm::play(&script.cluster, &commands, false);
        match played.failure {
            None => eprintln!(
                "every invariant held after each of the {} steps{}",
                played.steps,
                if played.convergence_checked {
                    ", and the cluster converged"
                } else {
                    " (the script ends too soon after a fault to check that the cluster converged)"
                }
            ),
            Some(f) => {
                let line = f
                    .command
                    .and_then(|i| script.commands.get(i))
                    .map_or("boot".to_string(), |c| format!("{path}:{}", c.line));
                return Err(Failure::Command(format!(
                    "invariant broken during {line}: {f}"
                )));
            }
        }
    }
    Ok(())
}

/// Plays the random fault schedules of many seeds (see `sandbox_core::swarm`) and stops at the
/// first that breaks an invariant, printing its report.
fn swarm(args: &[String]) -> Result<(), Failure> {
    use sandbox_core::swarm::{self, Flavour};
    let mut seeds: u64 = 1000;
    let mut start: u64 = 0;
    let mut length = swarm::DEFAULT_LENGTH;
    let mut flavour = Flavour::Clean;
    let mut print = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut number = |name: &str| -> Result<u64, Failure> {
            let value = rest
                .next()
                .ok_or_else(|| Failure::Usage(format!("{name} needs a number\n\n{USAGE}")))?;
            value
                .parse()
                .map_err(|_| Failure::Usage(format!("{name} wants a whole number, got {value:?}")))
        };
        match arg.as_str() {
            "--seeds" => seeds = number("--seeds")?,
            "--start" => start = number("--start")?,
            "--length" => length = number("--length")? as usize,
            "--unclean" => flavour = Flavour::Unclean,
            "--print" => print = true,
            other => {
                return Err(Failure::Usage(format!(
                    "unknown swarm option {other}\n\n{USAGE}"
                )))
            }
        }
    }
    if print {
        for seed in start..start.saturating_add(seeds) {
            let (spec, commands) = swarm::schedule_flavoured(seed, length, flavour);
            // Played once so that the commands the simulation refuses are printed as comments:
            // `run` stops at a refused command, and leaving one out changes nothing.
            let refused = swarm::play(&spec, &commands, false).refused;
            println!("# swarm seed={seed} ({flavour:?}, length {length})");
            print!("{}", swarm::script_text(&spec, &commands, &refused));
        }
        return Ok(());
    }
    // The release build aborts on a panic (the browser wants it small), so the seed must be
    // printed by the hook: the last one started is the one that panicked.
    let current = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(start));
    let seen = current.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let seed = seen.load(std::sync::atomic::Ordering::Relaxed);
        eprintln!(
            "swarm seed={seed} panicked (invariant no-panic); a debug build shrinks it: \
             cargo run -p sandbox-cli -- swarm --start {seed} --seeds 1"
        );
        default_hook(info);
    }));
    let began = std::time::Instant::now();
    let mut steps: u64 = 0;
    for seed in start..start.saturating_add(seeds) {
        current.store(seed, std::sync::atomic::Ordering::Relaxed);
        let (spec, commands) = swarm::schedule_flavoured(seed, length, flavour);
        match swarm::check(&spec, &commands) {
            Ok(n) => steps += n,
            Err(failure) => {
                print!("{}", swarm::report(seed, &spec, &commands, &failure));
                return Err(Failure::Command(format!(
                    "seed={seed} breaks {}",
                    failure.invariant
                )));
            }
        }
        let done = seed - start + 1;
        if done.is_multiple_of(1000) {
            eprintln!(
                "swarm: {done} seeds passed ({steps} steps, {:.1} s)",
                began.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "swarm: seeds {start}..{} passed, {steps} steps in {:.1} s",
        start.saturating_add(seeds),
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

fn placement() -> Result<(), Failure> {
    let text = read_input("-")?;
    let case: sandbox_core::vectors::PlacementCase = serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("the case on stdin is not valid: {e}")))?;
    let result = case
        .compute()
        .map_err(|e| Failure::Command(format!("placement failed: {e}")))?;
    let json =
        serde_json::to_string_pretty(&result).map_err(|e| Failure::Command(e.to_string()))?;
    println!("{json}");
    Ok(())
}

/// A consumer-assignor case in the format of `core/tests/vectors/assignors.json`, or a file of
/// them (`{"cases": [...]}`): prints what the sandbox's assignors compute, under the vectors'
/// key names. Every failure is a fault of the input, so it exits 2.
fn assignors() -> Result<(), Failure> {
    use sandbox_core::assignor::vectors::{AssignorCase, AssignorCaseFile};

    let text = read_input("-")?;
    let invalid =
        |e: serde_json::Error| Failure::Usage(format!("the case on stdin is not valid: {e}"));
    // Parsed twice so that an error in a case names its line and column in the input.
    let value: serde_json::Value = serde_json::from_str(&text).map_err(invalid)?;
    let compute = |case: &AssignorCase| {
        case.compute().map_err(|e| {
            let id = if case.id.is_empty() {
                String::new()
            } else {
                format!(" {}", case.id)
            };
            Failure::Usage(format!("the case{id} is not valid: {e}"))
        })
    };
    let output = if value.get("cases").is_some() {
        let file: AssignorCaseFile = serde_json::from_str(&text).map_err(invalid)?;
        let results = file
            .cases
            .iter()
            .map(compute)
            .collect::<Result<Vec<_>, _>>()?;
        serde_json::json!({ "cases": results })
    } else {
        let case: AssignorCase = serde_json::from_str(&text).map_err(invalid)?;
        serde_json::to_value(compute(&case)?).map_err(|e| Failure::Command(e.to_string()))?
    };
    let json =
        serde_json::to_string_pretty(&output).map_err(|e| Failure::Command(e.to_string()))?;
    println!("{json}");
    Ok(())
}
