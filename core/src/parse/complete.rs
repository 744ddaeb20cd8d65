//! Completions for the console, from the table.

use crate::config::{ConfigDef, CONSUMER_CONFIGS, PRODUCER_CONFIGS};

use super::build::running_consumer_configs;
use super::spec::ValueKind;
use super::table::command_names;
use super::{specs_named, tool_name};

/// Completions for the word being typed at the end of `input`: command names for the first
/// word, then the flags of the command (its modes first, for a Kafka tool with modes), or the
/// values of a flag that takes one of a few words (`--acks `, `--election-type `).
///
/// Each candidate is a whole word that replaces the word being typed: the text after the last
/// whitespace (nothing, if `input` ends with whitespace). Flags already given are left out.
pub fn completions(input: &str) -> Vec<String> {
    let ends_in_space = input.chars().last().is_none_or(char::is_whitespace);
    let words: Vec<&str> = input.split_whitespace().collect();
    let (done, current): (&[&str], &str) = if ends_in_space {
        (&words, "")
    } else {
        match words.split_last() {
            Some((last, done)) => (done, last),
            None => (&[], ""),
        }
    };
    let matching = |w: &str| w.starts_with(current);
    let Some(first) = done.first() else {
        return command_names()
            .into_iter()
            .filter(|w| matching(w))
            .map(str::to_string)
            .collect();
    };
    let specs = specs_named(tool_name(first));
    if specs.is_empty() {
        return Vec::new();
    }
    let flag_name = |w: &str| w.split('=').next().unwrap_or(w).to_string();
    let given: Vec<String> = done.iter().skip(1).map(|w| flag_name(w)).collect();
    let spec = if specs.iter().any(|s| s.has_flag_mode()) {
        specs
            .iter()
            .find(|s| s.mode.is_some_and(|m| given.iter().any(|g| g == m)))
            .copied()
    } else if specs.len() > 1 {
        // Subcommands: the first word after the name that is one.
        done.iter()
            .skip(1)
            .filter(|w| !w.starts_with('-'))
            .find_map(|w| specs.iter().find(|s| s.mode == Some(*w)))
            .copied()
    } else {
        specs.first().copied()
    };
    // The value of the flag just before?
    if let Some(prev) = done
        .last()
        .filter(|w| w.starts_with("--") && !w.contains('='))
    {
        let flag = match spec {
            Some(s) => s.flag(prev),
            None => specs.iter().find_map(|s| s.flag(prev)),
        };
        if let Some(f) = flag.filter(|f| f.kind != ValueKind::Switch) {
            let lower = current.to_ascii_lowercase();
            return match f.kind {
                ValueKind::Choice(values) => values
                    .iter()
                    .filter(|v| v.to_ascii_lowercase().starts_with(&lower))
                    .map(|v| v.to_string())
                    .collect(),
                ValueKind::Config if f.name == "--consumer-property" => {
                    config_keys(CONSUMER_CONFIGS.iter(), current)
                }
                ValueKind::Config if f.name == "--producer-property" => {
                    config_keys(PRODUCER_CONFIGS.iter(), current)
                }
                _ => Vec::new(),
            };
        }
    }
    let Some(spec) = spec else {
        if !specs.iter().any(|s| s.has_flag_mode()) {
            // Subcommands.
            if current.starts_with('-') {
                return Vec::new();
            }
            return specs
                .iter()
                .filter_map(|s| s.mode)
                .filter(|m| matching(m))
                .map(str::to_string)
                .collect();
        }
        if !current.is_empty() && !current.starts_with('-') {
            return Vec::new();
        }
        return specs
            .iter()
            .filter_map(|s| s.mode)
            .filter(|m| matching(m))
            .map(str::to_string)
            .collect();
    };
    // `consumer set NAME `: the knobs a running consumer can change.
    if spec.name == "consumer" && spec.mode == Some("set") {
        let positionals = done.iter().skip(1).filter(|w| !w.starts_with('-')).count();
        if positionals == 2 && !current.starts_with('-') {
            return config_keys(running_consumer_configs(), current);
        }
    }
    let mut out: Vec<String> = Vec::new();
    if let Some(word) = spec.mode.filter(|m| !m.starts_with('-')) {
        if !done.contains(&word) && matching(word) {
            out.push(word.to_string());
        }
    }
    if current.is_empty() || current.starts_with('-') {
        for f in spec.flags.iter().filter(|f| !f.hidden) {
            if (f.repeatable || !given.iter().any(|g| g == f.name)) && matching(f.name) {
                out.push(f.name.to_string());
            }
        }
    }
    out
}

/// `name=` for each config whose name starts with `current`.
pub(super) fn config_keys<'a>(
    configs: impl Iterator<Item = &'a ConfigDef>,
    current: &str,
) -> Vec<String> {
    configs
        .filter(|c| c.name.starts_with(current))
        .map(|c| format!("{}=", c.name))
        .collect()
}
