//! The reference in `docs/commands.md`, rendered from the table.

use super::spec::describe;
use super::table::COMMANDS;

pub(super) fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The command reference, rendered from the table as Markdown (the generated part of
/// `docs/commands.md`).
pub fn help_markdown() -> String {
    let mut out = String::new();
    out.push_str("| Command | What it does |\n| --- | --- |\n");
    for spec in COMMANDS {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            cell(&spec.title()),
            cell(spec.summary)
        ));
    }
    let mut group = "";
    for spec in COMMANDS {
        if spec.group != group {
            group = spec.group;
            out.push_str(&format!("\n## {group}\n"));
        }
        out.push_str(&format!("\n### `{}`\n\n{}\n\n", spec.title(), spec.summary));
        out.push_str(&format!("```text\n{}\n```\n", spec.usage));
        if !spec.aliases.is_empty() {
            let aliases: Vec<String> = spec.aliases.iter().map(|a| format!("`{a}`")).collect();
            out.push_str(&format!("\nAlso spelled {}.\n", aliases.join(", ")));
        }
        let rows: Vec<(String, String)> = spec
            .args
            .iter()
            .map(|a| (a.metavar.to_string(), describe(a.help, a.kind, a.default)))
            .chain(spec.flags.iter().filter(|f| !f.hidden).map(|f| {
                let name = if f.metavar.is_empty() {
                    f.name.to_string()
                } else {
                    format!("{} {}", f.name, f.metavar)
                };
                (name, describe(f.help, f.kind, f.default))
            }))
            .collect();
        if !rows.is_empty() {
            out.push_str("\n| Argument | Meaning |\n| --- | --- |\n");
            for (name, meaning) in rows {
                out.push_str(&format!("| `{}` | {} |\n", cell(&name), cell(&meaning)));
            }
        }
        out.push_str(&format!("\nExample:\n\n```text\n{}\n```\n", spec.example));
    }
    out
}
