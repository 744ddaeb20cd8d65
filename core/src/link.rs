//! The page's address: what a shared link or an embedded diagram holds, read from untrusted
//! text.
//!
//! An address is the part after `#`, a list of `key=value` pairs joined by `&`:
//!
//! - the run: `zrun=1.DATA` (format version 1: the script, deflated without a header, in
//!   URL-safe base64 without padding; the page's JavaScript compresses and expands it with the
//!   browser's own `CompressionStream`), or `run=SCRIPT` (the script percent-encoded, the
//!   first format, still read), or `lesson=ID&step=N` (a lesson, played up to its step N,
//!   counted from 1);
//! - an embedded diagram: `embed` and its options, `view=cluster` (the default),
//!   `view=partition:TOPIC-N` or `view=group:NAME`; `controls=none|step|full` (default
//!   `step`); `from=N` and `to=N`, the steps a reader may move between; `console=1` to show
//!   the console; `theme=light|dark` to match the host page (default: the reader's system).
//!
//! Nothing here panics on any input: a key or value it does not know is a problem it names,
//! and the rest of the address is still used.

/// What an address asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    pub source: Source,
    /// Present when the address asks for an embedded diagram.
    pub embed: Option<Embed>,
    /// What could not be read, one sentence each, in the order found.
    pub problems: Vec<String>,
}

/// Where the run comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Source {
    /// Nothing named: the welcome cluster.
    #[default]
    Welcome,
    /// A script in plain text (`run=`, percent-decoded).
    Script(String),
    /// A compressed script (`zrun=`): its format version and its data, expanded by the page.
    Compressed { version: u32, data: String },
    /// A lesson, played up to `step` (counted from 0).
    Lesson { id: String, step: usize },
}

/// How an embedded diagram looks and what a reader may do with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embed {
    pub view: EmbedView,
    pub controls: EmbedControls,
    /// The first step a reader may go back to (and the step the embed opens at).
    pub from: Option<u64>,
    /// The last step a reader may go forward to.
    pub to: Option<u64>,
    pub console: bool,
    /// `Some("light")` or `Some("dark")`; `None` follows the reader's system.
    pub theme: Option<&'static str>,
}

impl Default for Embed {
    fn default() -> Self {
        Embed {
            view: EmbedView::Cluster,
            controls: EmbedControls::Step,
            from: None,
            to: None,
            console: false,
            theme: None,
        }
    }
}

/// The one diagram an embed shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmbedView {
    Cluster,
    Partition { topic: String, partition: i32 },
    Group(String),
}

/// Which controls an embed shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmbedControls {
    /// A picture: no controls at all.
    None,
    /// Back, forward and the step number.
    Step,
    /// The whole timeline: play, jumps and the scrubber too.
    Full,
}

impl EmbedControls {
    pub fn name(self) -> &'static str {
        match self {
            EmbedControls::None => "none",
            EmbedControls::Step => "step",
            EmbedControls::Full => "full",
        }
    }
}

/// The longest address read; past it, the address is refused whole (a link that long was not
/// made by the page).
pub const MAX_ADDRESS_CHARS: usize = 2_000_000;

/// The current version of the compressed format (`zrun=1.`).
pub const ZRUN_VERSION: u32 = 1;

/// Reads an address (with or without its leading `#`).
pub fn parse(hash: &str) -> Address {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    let mut address = Address::default();
    if hash.len() > MAX_ADDRESS_CHARS {
        address.problems.push(format!(
            "the link is {} characters long, more than the {MAX_ADDRESS_CHARS} a link may have",
            hash.len()
        ));
        return address;
    }
    if hash.is_empty() {
        return address;
    }
    // The first format put the script alone after `#run=`, percent-encoded, with nothing after
    // it: everything after `run=` is the script (an `&` in it is `%26`).
    let pairs: Vec<(&str, &str)> = hash
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect();
    let mut embed: Option<Embed> = None;
    let mut lesson_step: Option<&str> = None;
    let mut embed_options: Vec<(&str, &str)> = Vec::new();
    for (key, value) in pairs {
        match key {
            "run" => match percent_decode(value) {
                Some(script) => address.source = Source::Script(script),
                None => address.problems.push(
                    "the link's run is not valid percent-encoded text (it may have been cut short)"
                        .into(),
                ),
            },
            "zrun" => match value.split_once('.') {
                Some((version, data)) => match version.parse::<u32>() {
                    Ok(version) if version == ZRUN_VERSION => {
                        if data.bytes().all(is_base64url) {
                            address.source = Source::Compressed {
                                version,
                                data: data.to_string(),
                            };
                        } else {
                            address.problems.push(
                                "the link's run has characters that URL-safe base64 does not use"
                                    .into(),
                            );
                        }
                    }
                    Ok(version) => address.problems.push(format!(
                        "the link's run is in format {version}, which this version of the \
                         sandbox does not know (it reads format {ZRUN_VERSION})"
                    )),
                    Err(_) => address.problems.push(format!(
                        "the link's run should start with its format version, such as `zrun={ZRUN_VERSION}.`"
                    )),
                },
                None => address.problems.push(format!(
                    "the link's run should start with its format version, such as `zrun={ZRUN_VERSION}.`"
                )),
            },
            "lesson" => {
                let id: String = value.chars().take(80).collect();
                if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    address
                        .problems
                        .push("the link's lesson name should be letters, digits and dashes".into());
                } else {
                    address.source = Source::Lesson { id, step: 0 };
                }
            }
            "step" => lesson_step = Some(value),
            "embed" => embed = Some(Embed::default()),
            "view" | "controls" | "from" | "to" | "console" | "theme" => {
                embed_options.push((key, value))
            }
            "" => {}
            other => address.problems.push(format!(
                "the link has `{}`, which the sandbox does not know",
                shorten(other)
            )),
        }
    }
    if let Some(step) = lesson_step {
        match (&mut address.source, step.parse::<usize>()) {
            (Source::Lesson { step: at, .. }, Ok(n)) if n >= 1 => *at = n - 1,
            (Source::Lesson { .. }, _) => address.problems.push(format!(
                "the lesson step `{}` should be a number from 1",
                shorten(step)
            )),
            _ => address
                .problems
                .push("the link has a `step` but no lesson".into()),
        }
    }
    match &mut embed {
        Some(embed) => {
            for (key, value) in embed_options {
                if let Err(problem) = embed.set(key, value) {
                    address.problems.push(problem);
                }
            }
            if let (Some(from), Some(to)) = (embed.from, embed.to) {
                if from > to {
                    address.problems.push(format!(
                        "the embed's steps run from {from} to {to}: `from` should not be after `to`"
                    ));
                    embed.to = None;
                }
            }
        }
        None if !embed_options.is_empty() => address.problems.push(format!(
            "`{}` is an embed option: add `embed` to the link to use it",
            embed_options[0].0
        )),
        None => {}
    }
    address.embed = embed;
    address
}

impl Embed {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "view" => {
                self.view = if value == "cluster" {
                    EmbedView::Cluster
                } else if let Some(name) = value.strip_prefix("partition:") {
                    let (topic, partition) = name
                        .rsplit_once('-')
                        .and_then(|(t, p)| Some((t, p.parse::<i32>().ok()?)))
                        .filter(|(t, p)| is_name(t) && *p >= 0)
                        .ok_or_else(|| {
                            format!(
                                "the embed's partition `{}` should be a topic and a number, such as `orders-0`",
                                shorten(name)
                            )
                        })?;
                    EmbedView::Partition {
                        topic: topic.to_string(),
                        partition,
                    }
                } else if let Some(name) = value.strip_prefix("group:") {
                    if !is_name(name) {
                        return Err(format!(
                            "the embed's group `{}` should be letters, digits, `.`, `_` and `-`",
                            shorten(name)
                        ));
                    }
                    EmbedView::Group(name.to_string())
                } else {
                    return Err(format!(
                        "the embed's view `{}` should be `cluster`, `partition:TOPIC-N` or `group:NAME`",
                        shorten(value)
                    ));
                };
            }
            "controls" => {
                self.controls = match value {
                    "none" => EmbedControls::None,
                    "step" => EmbedControls::Step,
                    "full" => EmbedControls::Full,
                    _ => {
                        return Err(format!(
                            "the embed's controls `{}` should be `none`, `step` or `full`",
                            shorten(value)
                        ))
                    }
                }
            }
            "from" | "to" => {
                let step = value.parse::<u64>().map_err(|_| {
                    format!(
                        "the embed's `{key}` should be a step number, not `{}`",
                        shorten(value)
                    )
                })?;
                if key == "from" {
                    self.from = Some(step);
                } else {
                    self.to = Some(step);
                }
            }
            "console" => {
                self.console = match value {
                    "1" | "" => true,
                    "0" => false,
                    _ => {
                        return Err(format!(
                            "the embed's `console` should be 1 or 0, not `{}`",
                            shorten(value)
                        ))
                    }
                }
            }
            "theme" => {
                self.theme = match value {
                    "light" => Some("light"),
                    "dark" => Some("dark"),
                    "auto" | "" => None,
                    _ => {
                        return Err(format!(
                            "the embed's theme `{}` should be `light`, `dark` or `auto`",
                            shorten(value)
                        ))
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The embed's options as address pairs (`view=...&controls=...`), defaults left out.
    pub fn to_pairs(&self) -> String {
        let mut pairs = vec!["embed".to_string()];
        match &self.view {
            EmbedView::Cluster => {}
            EmbedView::Partition { topic, partition } => {
                pairs.push(format!("view=partition:{topic}-{partition}"))
            }
            EmbedView::Group(name) => pairs.push(format!("view=group:{name}")),
        }
        if self.controls != EmbedControls::Step {
            pairs.push(format!("controls={}", self.controls.name()));
        }
        if let Some(from) = self.from {
            pairs.push(format!("from={from}"));
        }
        if let Some(to) = self.to {
            pairs.push(format!("to={to}"));
        }
        if self.console {
            pairs.push("console=1".into());
        }
        if let Some(theme) = self.theme {
            pairs.push(format!("theme={theme}"));
        }
        pairs.join("&")
    }
}

/// A topic or group name as Kafka allows them (letters, digits, `.`, `_`, `-`; 249 at most).
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 249
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// At most 40 characters of an unknown piece of the address, for quoting it in a sentence.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Decodes `%XX` escapes (and `+` stays `+`, as `encodeURIComponent` never writes it for a
/// space); `None` when an escape is broken or the bytes are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_format_still_opens() {
        let a = parse("#run=cluster%20--brokers%203%0Arun%201s");
        assert_eq!(
            a.source,
            Source::Script("cluster --brokers 3\nrun 1s".into())
        );
        assert_eq!(a.embed, None);
        assert!(a.problems.is_empty());
    }

    #[test]
    fn an_embed_reads_its_options() {
        let a = parse("zrun=1.abc-_9&embed&view=partition:orders-3&controls=full&from=5&to=90&console=1&theme=dark");
        assert_eq!(
            a.source,
            Source::Compressed {
                version: 1,
                data: "abc-_9".into()
            }
        );
        let e = a.embed.expect("embed");
        assert_eq!(
            e.view,
            EmbedView::Partition {
                topic: "orders".into(),
                partition: 3
            }
        );
        assert_eq!(e.controls, EmbedControls::Full);
        assert_eq!(
            (e.from, e.to, e.console, e.theme),
            (Some(5), Some(90), true, Some("dark"))
        );
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        assert_eq!(
            e.to_pairs(),
            "embed&view=partition:orders-3&controls=full&from=5&to=90&console=1&theme=dark"
        );
        assert_eq!(parse(&e.to_pairs()).embed, Some(e));
    }

    #[test]
    fn a_lesson_step_counts_from_one() {
        let a = parse("#lesson=02-replication&step=3&embed&view=group:billing");
        assert_eq!(
            a.source,
            Source::Lesson {
                id: "02-replication".into(),
                step: 2
            }
        );
        assert_eq!(a.embed.unwrap().view, EmbedView::Group("billing".into()));
    }

    /// Every bad piece is named, and the rest of the address is still used.
    #[test]
    fn bad_pieces_are_named_and_the_rest_is_kept() {
        let cases: &[(&str, &str)] = &[
            ("run=%E0%A4%A", "not valid percent-encoded text"),
            ("zrun=2.abc", "format 2, which this version"),
            ("zrun=abc", "should start with its format version"),
            ("zrun=1.a+b", "characters that URL-safe base64 does not use"),
            ("lesson=<script>", "letters, digits and dashes"),
            ("lesson=01-topics&step=0", "a number from 1"),
            ("step=3", "a `step` but no lesson"),
            ("embed&view=partition:orders", "a topic and a number"),
            ("embed&view=group:<img>", "the embed's group"),
            (
                "embed&view=table",
                "`cluster`, `partition:TOPIC-N` or `group:NAME`",
            ),
            ("embed&controls=all", "`none`, `step` or `full`"),
            ("embed&from=x", "should be a step number"),
            ("embed&from=9&to=3", "`from` should not be after `to`"),
            ("embed&console=yes", "should be 1 or 0"),
            ("embed&theme=blue", "`light`, `dark` or `auto`"),
            ("view=cluster", "add `embed` to the link"),
            (
                "onerror=alert(1)",
                "`onerror`, which the sandbox does not know",
            ),
        ];
        for (hash, expected) in cases {
            let a = parse(hash);
            assert_eq!(a.problems.len(), 1, "{hash}: {:?}", a.problems);
            assert!(
                a.problems[0].contains(expected),
                "{hash}: {:?} should say {expected:?}",
                a.problems[0]
            );
        }
        let a = parse("embed&controls=all&view=group:g1");
        assert_eq!(a.embed.unwrap().view, EmbedView::Group("g1".into()));
        let long = "x".repeat(MAX_ADDRESS_CHARS + 1);
        assert!(parse(&long).problems[0].contains("more than"));
    }
}
