//! Reading a lesson file: front matter, then Markdown (CommonMark, read by `pulldown-cmark`)
//! whose second-level headings start steps and whose fenced blocks named `setup`, `do`,
//! `check`, `predict`, `goal`, `hint` and `solution` become things to do. Every error names
//! the file, line and column, and what to write instead. Raw HTML and images are refused: a
//! lesson's text is drawn as text, never injected into the page.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::query::{Check, Query, QUERY_WORDS};
use super::{
    Block, CheckLine, Commands, Goal, Lesson, LessonError, LessonKind, Level, Link, Meta, Predict,
    Span, Step, Target,
};
use crate::parse::parse_script;

/// Where each line of a text starts, to turn byte offsets into lines and columns.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn at(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }
}

struct Reader<'a> {
    file: &'a str,
    lines: Lines<'a>,
}

impl Reader<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> LessonError {
        let (line, column) = self.lines.at(offset);
        self.error_at(line, column, message)
    }

    fn error_at(&self, line: usize, column: usize, message: impl Into<String>) -> LessonError {
        LessonError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// Reads a lesson; `file` is its name for errors and its id (`03-replication.md`).
pub fn parse_lesson(file: &str, text: &str) -> Result<Lesson, LessonError> {
    let reader = Reader {
        file,
        lines: Lines::new(text),
    };
    let (meta, body_start) = front_matter(&reader, text)?;
    let body = &text[body_start..];
    let mut intro: Vec<Block> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut setup: Option<Commands> = None;
    let mut events = Parser::new_ext(body, Options::empty())
        .into_offset_iter()
        .map(|(e, r)| (e, r.start + body_start, r.end + body_start))
        .peekable();
    let push = |intro: &mut Vec<Block>, steps: &mut Vec<Step>, block: Block| match steps.last_mut()
    {
        Some(step) => step.blocks.push(block),
        None => intro.push(block),
    };
    while let Some((event, start, end)) = events.next() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let (title, _) = inline(&reader, &mut events, start)?;
                let title: String = title.iter().map(|s| s.text.as_str()).collect();
                match level {
                    HeadingLevel::H1 if steps.is_empty() => {}
                    HeadingLevel::H1 => {
                        return Err(reader.error(
                            start,
                            "a lesson has one title, at the top: steps start with `## `",
                        ))
                    }
                    HeadingLevel::H2 => {
                        if title.trim().is_empty() {
                            return Err(reader.error(start, "a step needs a title after `## `"));
                        }
                        steps.push(Step {
                            title,
                            line: reader.lines.at(start).0,
                            blocks: Vec::new(),
                        })
                    }
                    _ => push(&mut intro, &mut steps, Block::Subheading(title)),
                }
            }
            Event::Start(Tag::Paragraph) => {
                let (spans, _) = inline(&reader, &mut events, start)?;
                push(&mut intro, &mut steps, Block::Paragraph(spans));
            }
            Event::Start(Tag::BlockQuote(_)) => {
                let mut spans = Vec::new();
                loop {
                    match events.next() {
                        Some((Event::End(TagEnd::BlockQuote(_)), ..)) | None => break,
                        Some((Event::Start(Tag::Paragraph), s, _)) => {
                            if !spans.is_empty() {
                                spans.push(plain(" "));
                            }
                            spans.extend(inline(&reader, &mut events, s)?.0);
                        }
                        Some((_, s, _)) => {
                            return Err(reader.error(s, "a quote (`> `) holds only paragraphs"))
                        }
                    }
                }
                push(&mut intro, &mut steps, Block::Note(spans));
            }
            Event::Start(Tag::List(_)) => {
                let items = list(&reader, &mut events)?;
                push(&mut intro, &mut steps, Block::List(items));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let language = match &kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut text = String::new();
                let mut text_start = None;
                for (e, s, _) in events.by_ref() {
                    match e {
                        Event::Text(t) => {
                            text_start.get_or_insert(s);
                            text.push_str(&t);
                        }
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                // The block's first line: where its text starts, or the line after the fence.
                let first_line = text_start.map_or(reader.lines.at(start).0 + 1, |s| reader.lines.at(s).0);
                let block = fenced(&reader, &language, text, first_line, start)?;
                match block {
                    Some(Block::Do(c)) if language == "setup" => {
                        if setup.is_some() || !steps.is_empty() {
                            return Err(reader.error(
                                start,
                                "one `setup` block, before the first step (`## `)",
                            ));
                        }
                        setup = Some(c);
                    }
                    Some(block) if steps.is_empty() && !matches!(block, Block::Code { .. }) => {
                        // The introduction is read before the first Next: nothing there is
                        // run or checked, so a block that would be is refused, not dropped.
                        return Err(reader.error(
                            start,
                            format!(
                                "a `{language}` block belongs in a step (after a `## ` heading): \
                                 the introduction before the first step is only read"
                            ),
                        ));
                    }
                    Some(block) => push(&mut intro, &mut steps, block),
                    None => {}
                }
            }
            Event::Html(_) | Event::InlineHtml(_) | Event::Start(Tag::HtmlBlock) => {
                return Err(reader.error(
                    start,
                    "HTML is not allowed in a lesson: write Markdown (the page draws lesson text as text)",
                ))
            }
            Event::Rule | Event::End(_) => {}
            other => {
                return Err(reader.error(
                    start,
                    format!("this Markdown is not supported in a lesson ({})", describe(&other)),
                ))
            }
        }
        let _ = end;
    }
    if steps.is_empty() {
        return Err(reader.error_at(
            reader.lines.starts.len(),
            1,
            "a lesson needs at least one step: a heading `## Step title` followed by its text",
        ));
    }
    let setup = setup.unwrap_or_default();
    let cluster = parse_script(&setup.text)
        .map(|s| s.cluster)
        .unwrap_or_default();
    if meta.kind == LessonKind::Challenge {
        let goals = steps
            .iter()
            .flat_map(|s| &s.blocks)
            .filter(|b| matches!(b, Block::Goal(_)))
            .count();
        let solutions = steps
            .iter()
            .flat_map(|s| &s.blocks)
            .filter(|b| matches!(b, Block::Solution(_)))
            .count();
        if goals != 1 || solutions != 1 {
            return Err(reader.error_at(
                1,
                1,
                format!("a challenge has one `goal` block and one `solution` block (this one has {goals} and {solutions})"),
            ));
        }
    }
    Ok(Lesson {
        id: file.trim_end_matches(".md").to_string(),
        meta,
        setup,
        cluster,
        intro,
        steps,
    })
}

fn plain(text: &str) -> Span {
    Span {
        text: text.to_string(),
        ..Span::default()
    }
}

fn describe(event: &Event<'_>) -> String {
    match event {
        Event::Start(Tag::Image { .. }) => "an image".to_string(),
        Event::Start(Tag::Table(_)) => "a table".to_string(),
        Event::Start(Tag::FootnoteDefinition(_)) | Event::FootnoteReference(_) => {
            "a footnote".to_string()
        }
        Event::TaskListMarker(_) => "a task list".to_string(),
        other => format!("{other:?}").chars().take(40).collect(),
    }
}

/// The front matter between the first two `---` lines: `key: value` lines.
fn front_matter(reader: &Reader<'_>, text: &str) -> Result<(Meta, usize), LessonError> {
    let opening = if text.starts_with("---\r\n") { 5 } else { 4 };
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Err(reader.error_at(
            1,
            1,
            "a lesson starts with its front matter: a line `---`, then `title:`, `level:`, `minutes:`, `teaches:`, then `---`",
        ));
    };
    let close = rest
        .match_indices("\n---")
        .find(|(i, _)| {
            let after = &rest[i + 4..];
            after.is_empty() || after.starts_with('\n') || after.starts_with("\r\n")
        })
        .map(|(i, _)| i)
        .ok_or_else(|| reader.error_at(1, 1, "the front matter has no closing `---` line"))?;
    let header = &rest[..close];
    let after = &rest[close + 4..];
    let newline = if after.starts_with("\r\n") {
        2
    } else {
        usize::from(after.starts_with('\n'))
    };
    let body_start = opening + close + 4 + newline;
    let mut title = None;
    let mut level = None;
    let mut minutes = None;
    let mut teaches = None;
    let mut kind = LessonKind::Lesson;
    let mut summary = String::new();
    for (i, line) in header.lines().enumerate() {
        let line_no = i + 2;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(reader.error_at(line_no, 1, format!("`{line}` is not `key: value`")));
        };
        let value = value.trim();
        // A value may be quoted, as YAML writes one that holds a colon.
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        let column = key.len() + 3;
        match key.trim() {
            "title" => title = Some(value.to_string()),
            "summary" => summary = value.to_string(),
            "level" => {
                level = Some(match value {
                    "beginner" => Level::Beginner,
                    "intermediate" => Level::Intermediate,
                    "advanced" => Level::Advanced,
                    _ => {
                        return Err(reader.error_at(
                            line_no,
                            column,
                            format!("level `{value}`: one of beginner, intermediate, advanced"),
                        ))
                    }
                })
            }
            "minutes" => {
                let m: u32 = value.parse().map_err(|_| {
                    reader.error_at(line_no, column, format!("minutes `{value}` is not a number"))
                })?;
                if !(1..=60).contains(&m) {
                    return Err(reader.error_at(
                        line_no,
                        column,
                        "minutes: between 1 and 60 (a lesson is meant to take 5 to 15)",
                    ));
                }
                minutes = Some(m);
            }
            "teaches" => {
                let items: Vec<String> = value
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                teaches = Some(items);
            }
            "kind" => {
                kind = match value {
                    "lesson" => LessonKind::Lesson,
                    "challenge" => LessonKind::Challenge,
                    _ => {
                        return Err(reader.error_at(
                            line_no,
                            column,
                            format!("kind `{value}`: lesson or challenge"),
                        ))
                    }
                }
            }
            other => {
                return Err(reader.error_at(
                    line_no,
                    1,
                    format!("unknown front matter key `{other}`: title, summary, level, minutes, teaches, kind"),
                ))
            }
        }
    }
    let missing = |what: &str| reader.error_at(1, 1, format!("the front matter needs `{what}:`"));
    let title = title
        .filter(|t| !t.is_empty())
        .ok_or_else(|| missing("title"))?;
    Ok((
        Meta {
            title,
            level: level.ok_or_else(|| missing("level"))?,
            minutes: minutes.ok_or_else(|| missing("minutes"))?,
            teaches: teaches.ok_or_else(|| missing("teaches"))?,
            kind,
            summary,
        },
        body_start,
    ))
}

type Events<'a, I> = std::iter::Peekable<I>;

/// Inline content up to the end of the current block: text with its styles and links.
fn inline<'e, I>(
    reader: &Reader<'_>,
    events: &mut Events<'e, I>,
    block_start: usize,
) -> Result<(Vec<Span>, usize), LessonError>
where
    I: Iterator<Item = (Event<'e>, usize, usize)>,
{
    let mut spans: Vec<Span> = Vec::new();
    let (mut strong, mut emphasis) = (0u32, 0u32);
    let mut link: Option<Link> = None;
    let mut end = block_start;
    for (event, start, e) in events.by_ref() {
        end = e;
        let style = |text: &str, code: bool| Span {
            text: text.to_string(),
            code,
            strong: strong > 0,
            emphasis: emphasis > 0,
            link: link.clone(),
        };
        match event {
            Event::Text(t) => spans.push(style(&t, false)),
            Event::Code(t) => spans.push(style(&t, true)),
            Event::SoftBreak | Event::HardBreak => spans.push(style(" ", false)),
            Event::Start(Tag::Strong) => strong += 1,
            Event::End(TagEnd::Strong) => strong = strong.saturating_sub(1),
            Event::Start(Tag::Emphasis) => emphasis += 1,
            Event::End(TagEnd::Emphasis) => emphasis = emphasis.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => {
                link = Some(if let Some(target) = dest_url.strip_prefix("sandbox:") {
                    Link::Target(Target::parse(target).map_err(|m| reader.error(start, m))?)
                } else if dest_url.starts_with("https://") || dest_url.starts_with("http://") {
                    Link::Web(dest_url.to_string())
                } else {
                    return Err(reader.error(
                        start,
                        format!("link `{dest_url}`: a lesson links to `https://` pages or points at the picture with `sandbox:broker/1` and the like"),
                    ));
                });
            }
            Event::End(TagEnd::Link) => link = None,
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => break,
            Event::Start(Tag::Paragraph) => {}
            Event::InlineHtml(_) | Event::Html(_) => {
                return Err(reader.error(
                    start,
                    "HTML is not allowed in a lesson: write Markdown (the page draws lesson text as text)",
                ))
            }
            other => {
                return Err(reader.error(
                    start,
                    format!("this Markdown is not supported in a lesson ({})", describe(&other)),
                ))
            }
        }
    }
    // Neighbouring spans of one style read as one.
    let mut merged: Vec<Span> = Vec::new();
    for s in spans {
        match merged.last_mut() {
            Some(last)
                if last.code == s.code
                    && last.strong == s.strong
                    && last.emphasis == s.emphasis
                    && last.link == s.link
                    && !s.code =>
            {
                last.text.push_str(&s.text)
            }
            _ => merged.push(s),
        }
    }
    Ok((merged, end))
}

/// A list's items, each its inline text (a nested list's items join their parent's).
fn list<'e, I>(
    reader: &Reader<'_>,
    events: &mut Events<'e, I>,
) -> Result<Vec<Vec<Span>>, LessonError>
where
    I: Iterator<Item = (Event<'e>, usize, usize)>,
{
    let mut items: Vec<Vec<Span>> = Vec::new();
    let mut depth = 1;
    while let Some((event, start, _)) = events.next() {
        match event {
            Event::Start(Tag::List(_)) => depth += 1,
            Event::End(TagEnd::List(_)) => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Event::Start(Tag::Item) => {
                let (spans, _) = inline(reader, events, start)?;
                items.push(spans);
            }
            Event::End(TagEnd::Item) => {}
            Event::Start(Tag::Paragraph) => {
                let (spans, _) = inline(reader, events, start)?;
                if let Some(last) = items.last_mut() {
                    last.push(plain(" "));
                    last.extend(spans);
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                return Err(
                    reader.error(start, "a fenced block inside a list: put it after the list")
                )
            }
            _ => {}
        }
    }
    Ok(items)
}

/// Commands of a block, parsed with their positions in the file.
fn commands(
    reader: &Reader<'_>,
    text: &str,
    first_line: usize,
    allow_cluster: bool,
) -> Result<Commands, LessonError> {
    commands_at(reader, text, first_line, 0, allow_cluster)
}

/// Like [`commands`], for text that starts `indent` characters into its line (`play: ...`).
fn commands_at(
    reader: &Reader<'_>,
    text: &str,
    first_line: usize,
    indent: usize,
    allow_cluster: bool,
) -> Result<Commands, LessonError> {
    let script = parse_script(text).map_err(|e| {
        let message = match &e.suggestion {
            Some(s) => format!("{}; did you mean `{s}`?", e.message),
            None => e.message.clone(),
        };
        reader.error_at(first_line + e.line - 1, indent + e.column, message)
    })?;
    if !allow_cluster {
        if let Some((i, _)) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.split_whitespace().next() == Some("cluster"))
        {
            return Err(reader.error_at(
                first_line + i,
                1,
                "`cluster` belongs in the `setup` block, before the first step",
            ));
        }
    }
    Ok(Commands {
        text: text.trim_end().to_string(),
        commands: script.commands.into_iter().map(|c| c.value).collect(),
        line: first_line,
    })
}

fn checks(reader: &Reader<'_>, lines: &[(usize, &str)]) -> Result<Vec<CheckLine>, LessonError> {
    lines
        .iter()
        .map(|&(line, text)| {
            let column = text.len() - text.trim_start().len() + 1;
            Check::parse(text)
                .map(|check| CheckLine { check, line })
                .map_err(|m| reader.error_at(line, column, m))
        })
        .collect()
}

/// The non-empty, non-comment lines of a block with their line numbers.
fn content_lines(text: &str, first_line: usize) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (first_line + i, l))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect()
}

/// Splits `key: value` lines of a predict or goal block.
fn keyed<'t>(
    reader: &Reader<'_>,
    lines: &[(usize, &'t str)],
    keys: &[&str],
    block: &str,
) -> Result<Vec<(usize, &'t str, &'t str, usize)>, LessonError> {
    lines
        .iter()
        .map(|&(line, text)| {
            let (key, value) = text.split_once(':').unwrap_or((text, ""));
            let key = key.trim();
            if !keys.contains(&key) {
                return Err(reader.error_at(
                    line,
                    1,
                    format!(
                        "a `{block}` block has lines `{}: ...`; `{key}` is not one",
                        keys.join(":`, `")
                    ),
                ));
            }
            let indent = text.len() - value.trim_start().len();
            Ok((line, key, value.trim(), text[..indent].chars().count()))
        })
        .collect()
}

/// A fenced block: what its language names it.
fn fenced(
    reader: &Reader<'_>,
    language: &str,
    text: String,
    first_line: usize,
    fence: usize,
) -> Result<Option<Block>, LessonError> {
    let lines = content_lines(&text, first_line);
    Ok(Some(match language {
        "setup" => Block::Do(commands(reader, &text, first_line, true)?),
        "do" => {
            if lines.is_empty() {
                return Err(reader.error(fence, "a `do` block needs at least one command"));
            }
            Block::Do(commands(reader, &text, first_line, false)?)
        }
        "solution" => Block::Solution(commands(reader, &text, first_line, false)?),
        "check" => {
            if lines.is_empty() {
                return Err(reader.error(
                    fence,
                    "a `check` block needs at least one check: `hw orders-0 = 3`",
                ));
            }
            Block::Check(checks(reader, &lines)?)
        }
        "hint" => Block::Hint(text.trim().to_string()),
        "predict" => {
            let parts = keyed(reader, &lines, &["ask", "play", "answer"], "predict")?;
            let ask: Vec<&str> = parts.iter().filter(|p| p.1 == "ask").map(|p| p.2).collect();
            if ask.is_empty() {
                return Err(
                    reader.error(fence, "a `predict` block asks its question with `ask: ...`")
                );
            }
            let play_lines: Vec<(usize, &str, usize)> = parts
                .iter()
                .filter(|p| p.1 == "play")
                .map(|p| (p.0, p.2, p.3))
                .collect();
            let play = play_commands(reader, &play_lines, first_line)?;
            let answers: Vec<(usize, &str)> = parts
                .iter()
                .filter(|p| p.1 == "answer")
                .map(|p| (p.0, p.2))
                .collect();
            let [(line, answer)] = answers.as_slice() else {
                return Err(reader.error(
                    fence,
                    "a `predict` block names one `answer:`, a query whose value after `play` is the right answer (`answer: hw orders-0`)",
                ));
            };
            let words: Vec<&str> = answer.split_whitespace().collect();
            let answer = match Query::parse(&words) {
                Some(q) => q.map_err(|m| reader.error_at(*line, 1, m))?,
                None => {
                    return Err(reader.error_at(
                        *line,
                        1,
                        format!("`answer:` is a query (one of {}), computed after `play`: the right answer is never typed in", QUERY_WORDS.join(", ")),
                    ))
                }
            };
            Block::Predict(Predict {
                ask: ask.join(" "),
                play,
                answer,
                line: reader.lines.at(fence).0,
            })
        }
        "goal" => {
            let parts = keyed(reader, &lines, &["says", "play", "check"], "goal")?;
            let says: Vec<&str> = parts
                .iter()
                .filter(|p| p.1 == "says")
                .map(|p| p.2)
                .collect();
            let play_lines: Vec<(usize, &str, usize)> = parts
                .iter()
                .filter(|p| p.1 == "play")
                .map(|p| (p.0, p.2, p.3))
                .collect();
            let check_lines: Vec<(usize, &str)> = parts
                .iter()
                .filter(|p| p.1 == "check")
                .map(|p| (p.0, p.2))
                .collect();
            if check_lines.is_empty() || says.is_empty() {
                return Err(reader.error(
                    fence,
                    "a `goal` block says what success is (`says: ...`) and checks it (`check: ...` lines), after playing on (`play: run 30s`)",
                ));
            }
            Block::Goal(Goal {
                play: play_commands(reader, &play_lines, first_line)?,
                checks: checks(reader, &check_lines)?,
                description: says.join(" "),
                line: reader.lines.at(fence).0,
            })
        }
        _ => Block::Code {
            language: language.to_string(),
            text: text.trim_end().to_string(),
        },
    }))
}

/// `play:` lines, one command each, parsed with their file positions.
fn play_commands(
    reader: &Reader<'_>,
    lines: &[(usize, &str, usize)],
    first_line: usize,
) -> Result<Commands, LessonError> {
    let mut all = Commands {
        line: lines.first().map_or(first_line, |l| l.0),
        ..Commands::default()
    };
    for &(line, text, indent) in lines {
        let c = commands_at(reader, text, line, indent, false)?;
        if !all.text.is_empty() {
            all.text.push('\n');
        }
        all.text.push_str(&c.text);
        all.commands.extend(c.commands);
    }
    Ok(all)
}
