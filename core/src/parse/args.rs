//! From tokens to a command: choosing the spec (tool, mode, subcommand) and reading its flags
//! and arguments.

use super::lexer::{Piece, Token};
use super::spec::{Args, CommandSpec, Got, Parsed, Val, ValueKind};
use super::suggest::suggest;
use super::table::{COMMANDS, TOOLS};
use super::values::{parse_sides, parse_value};
use super::{error, error_with, show, specs_named, tool_name, ParseError, Pos};

pub(super) fn parse_tokens(tokens: &[Token]) -> Result<Parsed, ParseError> {
    let Some((first, rest)) = tokens.split_first() else {
        return Err(error(Pos { line: 1, col: 1 }, "no command"));
    };
    if first.flag {
        return Err(error(
            first.start(),
            format!(
                "a command starts with its name, not with the flag `{}`",
                show(first.text())
            ),
        ));
    }
    let name = tool_name(first.text());
    let specs = specs_named(name);
    if specs.is_empty() {
        return Err(unknown_command(first));
    }
    let spec = select_mode(&specs, first, rest)?;
    let args = collect_args(spec, &specs, first.start(), rest)?;
    (spec.build)(&args)
}

pub(super) fn unknown_command(first: &Token) -> ParseError {
    let mut words: Vec<&'static str> = Vec::new();
    for spec in COMMANDS {
        for w in std::iter::once(&spec.name).chain(spec.aliases) {
            if !words.contains(w) {
                words.push(w);
            }
        }
    }
    let suggestion = suggest(tool_name(first.text()), words.iter().copied());
    let message = if first.text().starts_with("kafka-") && suggestion.is_none() {
        let mut tools: Vec<&str> = Vec::new();
        for spec in COMMANDS.iter().filter(|s| s.group == TOOLS) {
            if !tools.contains(&spec.name) {
                tools.push(spec.name);
            }
        }
        format!(
            "`{}` is not available in the sandbox; its Kafka tools are {}",
            show(first.text()),
            tools.join(", ")
        )
    } else {
        format!("unknown command `{}`", show(first.text()))
    };
    error_with(first.start(), message, suggestion)
}

/// For a tool with modes (`--create`, `--describe`), the one this command uses.
pub(super) fn select_mode(
    specs: &[&'static CommandSpec],
    first: &Token,
    rest: &[Token],
) -> Result<&'static CommandSpec, ParseError> {
    let Some(only) = specs.first().copied() else {
        return Err(unknown_command(first));
    };
    if !specs.iter().any(|s| s.has_flag_mode()) {
        if specs.len() > 1 {
            return select_subcommand(specs, first, rest);
        }
        return Ok(only);
    }
    let mut chosen: Option<&'static CommandSpec> = None;
    for t in rest.iter().filter(|t| t.flag) {
        let name = t.flag_name();
        let Some(spec) = specs.iter().find(|s| s.mode == Some(name.as_str())) else {
            continue;
        };
        if let Some(earlier) = chosen {
            let message = if earlier.mode == spec.mode {
                format!("{name} is given twice")
            } else {
                format!(
                    "{name} cannot be combined with {}",
                    earlier.mode.unwrap_or_default()
                )
            };
            return Err(error(t.start(), message));
        }
        chosen = Some(spec);
    }
    if let Some(spec) = chosen {
        return Ok(spec);
    }
    // No mode given: an unknown flag is likely a misspelt one.
    let modes: Vec<&'static str> = specs.iter().filter_map(|s| s.mode).collect();
    for t in rest.iter().filter(|t| t.flag) {
        let name = t.flag_name();
        if !specs.iter().any(|s| s.flag(&name).is_some()) {
            let known = modes.iter().copied().chain(
                specs
                    .iter()
                    .flat_map(|s| s.flags.iter())
                    .filter(|f| !f.hidden)
                    .map(|f| f.name),
            );
            return Err(error_with(
                t.start(),
                format!("unknown flag `{}` for {}", show(&name), only.name),
                suggest(&name, known),
            ));
        }
    }
    Err(error(
        first.start(),
        format!("{} needs one of {}", only.name, modes.join(", ")),
    ))
}

/// For a command with subcommands (`consumer start`, `consumer stop`), the one named by the
/// first argument (flags and their values may come before it).
pub(super) fn select_subcommand(
    specs: &[&'static CommandSpec],
    first: &Token,
    rest: &[Token],
) -> Result<&'static CommandSpec, ParseError> {
    let name = tool_name(first.text());
    let words: Vec<&'static str> = specs.iter().filter_map(|s| s.mode).collect();
    let listed = match words.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, init)) => format!("{} or {last}", init.join(", ")),
        None => String::new(),
    };
    let takes_value = |t: &Token| {
        t.flag
            && t.eq.is_none()
            && specs.iter().any(|s| {
                s.flag(&t.flag_name())
                    .is_some_and(|f| f.kind != ValueKind::Switch)
            })
    };
    let mut i = 0;
    while let Some(t) = rest.get(i) {
        if !t.flag {
            return match specs.iter().find(|s| s.mode == Some(t.text())) {
                Some(spec) => Ok(spec),
                None => Err(error_with(
                    t.start(),
                    format!(
                        "unknown subcommand `{}` for {name}: use {listed}",
                        show(t.text())
                    ),
                    suggest(t.text(), words.iter().copied()),
                )),
            };
        }
        let value_follows = rest.get(i + 1).is_some_and(|n| !n.flag);
        i += if takes_value(t) && value_follows {
            2
        } else {
            1
        };
    }
    Err(error(
        first.start(),
        format!("{name} needs a subcommand: {listed}"),
    ))
}

pub(super) fn collect_args(
    spec: &'static CommandSpec,
    siblings: &[&'static CommandSpec],
    head: Pos,
    rest: &[Token],
) -> Result<Args, ParseError> {
    let title = spec.title();
    let mut flags: Vec<Got> = Vec::new();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut positionals: Vec<&Token> = Vec::new();
    let mut i = 0;
    while let Some(t) = rest.get(i) {
        i += 1;
        if !t.flag {
            positionals.push(t);
            continue;
        }
        let name = t.flag_name();
        if spec.has_flag_mode() && spec.mode == Some(name.as_str()) {
            if t.eq.is_some() {
                return Err(error(t.start(), format!("{name} takes no value")));
            }
            continue;
        }
        let Some(fs) = spec.flag(&name) else {
            if let Some(other) = siblings
                .iter()
                .find(|s| s.flag(&name).is_some_and(|f| !f.hidden))
            {
                return Err(error(
                    t.start(),
                    format!(
                        "{name} does not apply to {title}; it is a flag of {}",
                        other.title()
                    ),
                ));
            }
            let known = spec.flags.iter().filter(|f| !f.hidden).map(|f| f.name);
            return Err(error_with(
                t.start(),
                format!("unknown flag `{}` for {title}", show(&name)),
                suggest(&name, known),
            ));
        };
        if seen.contains(&fs.name) {
            if !fs.repeatable {
                return Err(error(t.start(), format!("{} is given twice", fs.name)));
            }
        } else {
            seen.push(fs.name);
        }
        let (piece, val) = if fs.kind == ValueKind::Switch {
            if t.eq.is_some() {
                return Err(error(t.start(), format!("{} takes no value", fs.name)));
            }
            (t.piece.clone(), Val::Switch)
        } else {
            let piece = match t.inline_value() {
                Some(p) => p,
                None => match rest.get(i) {
                    Some(next) if !next.flag => {
                        i += 1;
                        next.piece.clone()
                    }
                    next => {
                        let what = match fs.kind {
                            ValueKind::Text | ValueKind::Name | ValueKind::Ignored => String::new(),
                            kind => format!(" ({})", kind.wants()),
                        };
                        let text = matches!(fs.kind, ValueKind::Text | ValueKind::Name);
                        let hint = if next.is_some() && text {
                            "; quote a value that starts with --"
                        } else {
                            ""
                        };
                        return Err(error(
                            t.start(),
                            format!("{} needs a value{what}{hint}", fs.name),
                        ));
                    }
                },
            };
            let val = parse_value(fs.kind, &piece, fs.name)?;
            (piece, val)
        };
        flags.push(Got {
            name: fs.name,
            at: t.start(),
            piece,
            val,
        });
    }

    let mut positionals = positionals.into_iter().peekable();
    if let Some(word) = spec.mode.filter(|m| !m.starts_with('-')) {
        match positionals.next() {
            Some(t) if t.text() == word => {}
            Some(t) => {
                return Err(error_with(
                    t.start(),
                    format!("unknown subcommand `{}` for {}", show(t.text()), spec.name),
                    suggest(t.text(), [word]),
                ))
            }
            None => {
                return Err(error(
                    head,
                    format!("{} needs the subcommand {word}", spec.name),
                ))
            }
        }
    }
    let mut args: Vec<Got> = Vec::new();
    for a in spec.args {
        let subject = if a.kind == ValueKind::Config {
            title.clone()
        } else {
            format!("{title} {}", a.metavar)
        };
        if a.kind == ValueKind::Sides {
            let subject = spec.name;
            let rest: Vec<&Token> = positionals.by_ref().collect();
            if let Some(first) = rest.first() {
                let pieces: Vec<&Piece> = rest.iter().map(|t| &t.piece).collect();
                let val = parse_sides(&pieces, subject)?;
                args.push(Got {
                    name: a.metavar,
                    at: first.start(),
                    piece: first.piece.clone(),
                    val,
                });
            }
            continue;
        }
        if let Some(t) = positionals.next() {
            let val = parse_value(a.kind, &t.piece, &subject)?;
            args.push(Got {
                name: a.metavar,
                at: t.start(),
                piece: t.piece.clone(),
                val,
            });
        }
    }
    if let Some(extra) = positionals.next() {
        let suggestion = if extra.text().starts_with('-') {
            let dashed = format!("-{}", extra.text());
            suggest(
                &dashed,
                spec.flags
                    .iter()
                    .filter(|f| !f.hidden)
                    .map(|f| f.name)
                    .chain(spec.mode.filter(|m| m.starts_with("--"))),
            )
        } else {
            None
        };
        let message = if spec.args.is_empty() && spec.mode.is_none_or(|m| m.starts_with('-')) {
            format!(
                "unexpected `{}`: {title} takes no arguments",
                show(extra.text())
            )
        } else {
            format!("unexpected extra argument `{}`", show(extra.text()))
        };
        return Err(error_with(extra.start(), message, suggestion));
    }
    let args = Args {
        spec,
        head,
        flags,
        args,
    };
    for a in spec.args.iter().filter(|a| a.required) {
        if args.arg(a.metavar).is_none() {
            return Err(args.missing(a.metavar));
        }
    }
    for f in spec.flags.iter().filter(|f| f.required) {
        if args.flag(f.name).is_none() {
            return Err(args.missing(f.name));
        }
    }
    Ok(args)
}
