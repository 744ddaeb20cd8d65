//! `kafka-sandbox`: the simulation without a browser.
//!
//! ```text
//! kafka-sandbox run SCRIPT [--json] [--quiet]   run a script ('-' reads stdin); print the trace and the final state
//! kafka-sandbox placement                        read one replica-placement case (JSON) on stdin, print the assignment
//! kafka-sandbox commands                         print the command language reference (Markdown)
//! ```
//!
//! Exit codes: 0 on success, 1 when a command in the script fails, 2 on a bad script or usage.

use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  kafka-sandbox run SCRIPT [--json] [--quiet]   run a script ('-' reads stdin): trace, then final state
  kafka-sandbox placement                        read a replica-placement case (JSON) on stdin, print the assignment
  kafka-sandbox commands                         print the command reference (Markdown)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("placement") => placement(),
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
        .find(|a| a.starts_with("--") && !["--json", "--quiet"].contains(&a.as_str()))
    {
        return Err(Failure::Usage(format!(
            "unknown option {unknown}\n\n{USAGE}"
        )));
    }
    let text = read_input(path)?;
    let script = sandbox_core::parse::parse_script(&text)
        .map_err(|e| Failure::Usage(format!("{path}: {e}")))?;
    let (run, failure) = match sandbox_core::script::run(&script) {
        Ok(run) => (run, None),
        Err(f) => (*f.run, Some((f.line, f.error))),
    };
    let view = sandbox_core::view::cluster_view(&run.timeline.state);
    if json {
        let value = serde_json::json!({
            "trace": run.trace,
            "outputs": run.outputs.iter().map(|(line, text)| serde_json::json!({"line": line, "text": text})).collect::<Vec<_>>(),
            "state": view,
            "error": failure.as_ref().map(|(line, e)| serde_json::json!({"line": line, "message": e.message})),
        });
        let text =
            serde_json::to_string_pretty(&value).map_err(|e| Failure::Command(e.to_string()))?;
        println!("{text}");
    } else {
        if quiet {
            for (_, output) in &run.outputs {
                print!("{output}");
            }
        } else {
            print!("{}", run.render(&text));
        }
        println!(
            "\n== state after step {} at {} ms ==",
            run.timeline.state.steps, run.timeline.state.now_ms
        );
        print!("{}", sandbox_core::describe::describe_cluster(&view));
    }
    match failure {
        Some((line, error)) => Err(Failure::Command(format!("{path}:{line}: {error}"))),
        None => Ok(()),
    }
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
