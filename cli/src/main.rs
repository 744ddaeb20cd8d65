//! `kafka-sandbox`: the simulation without a browser.
//!
//! For now it prints the example cluster the page starts with, as the table
//! `kafka-topics.sh --describe` prints, or as JSON with `--json`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let view = sandbox_core::example::guide_cluster();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => {
            print!("{}", sandbox_core::describe::describe_topics(&view));
            ExitCode::SUCCESS
        }
        ["--json"] => match serde_json::to_string_pretty(&view) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kafka-sandbox: could not encode the view: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: kafka-sandbox [--json]");
            ExitCode::from(2)
        }
    }
}
