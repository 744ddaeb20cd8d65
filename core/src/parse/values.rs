//! Values: each [`ValueKind`] read from its text, with the error that says what was expected.

use crate::sorted::SortedSet;

use crate::command::{NodeId, TopicPartition};

use super::format::format_duration;
use super::lexer::Piece;
use super::spec::{Val, ValueKind};
use super::suggest::suggest;
use super::{
    error, error_with, show, ParseError, Pos, MAX_NODE_ID, MAX_PARTITIONS, MAX_PARTITION_INDEX,
    MAX_REPLICATION_FACTOR, MAX_TOPIC_NAME_LEN,
};

pub(super) fn parse_value(kind: ValueKind, p: &Piece, subject: &str) -> Result<Val, ParseError> {
    match kind {
        ValueKind::Switch | ValueKind::Ignored => Ok(Val::Switch),
        ValueKind::Text => Ok(Val::Str(p.text.clone())),
        ValueKind::Name => {
            if p.text.is_empty() {
                return Err(error(p.start, format!("{subject} is empty")));
            }
            Ok(Val::Str(p.text.clone()))
        }
        ValueKind::Topics => parse_topic_list(p, subject).map(Val::Names),
        ValueKind::Partitions => parse_partition_list(p, subject).map(Val::Partitions),
        ValueKind::TopicScope => {
            parse_topic_scope(p, subject).map(|(t, ps)| Val::TopicScope(t, ps))
        }
        ValueKind::Int { min, max } => parse_int(p, subject, kind, min, max).map(Val::Int),
        ValueKind::Node => parse_int(p, subject, kind, 0, MAX_NODE_ID).map(Val::Int),
        ValueKind::Seed => parse_seed(p, subject).map(Val::U64),
        ValueKind::Topic => {
            check_topic(p)?;
            Ok(Val::Str(p.text.clone()))
        }
        ValueKind::Partition => parse_partition(p).map(Val::Partition),
        ValueKind::Choice(values) => parse_choice(p, subject, values).map(Val::Choice),
        ValueKind::Duration { max_ms } => parse_duration(p, subject, max_ms).map(Val::Int),
        ValueKind::Config => parse_pair(p, subject).map(|kv| Val::Pairs(vec![kv])),
        ValueKind::ConfigList => parse_config_list(p, subject).map(Val::Pairs),
        ValueKind::NameList => parse_name_list(p, subject).map(Val::Names),
        ValueKind::Words => parse_words(p, subject).map(Val::Names),
        ValueKind::Assignment => parse_assignment(p, subject).map(Val::Assignment),
        ValueKind::Sides => parse_sides(&[p], subject),
    }
}

pub(super) fn got_text(p: &Piece) -> String {
    if p.text.is_empty() {
        "an empty value".to_string()
    } else {
        format!("`{}`", show(&p.text))
    }
}

pub(super) fn is_whole_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

pub(super) fn parse_int(
    p: &Piece,
    subject: &str,
    kind: ValueKind,
    min: i64,
    max: i64,
) -> Result<i64, ParseError> {
    if !is_whole_number(&p.text) {
        return Err(error(
            p.start,
            format!("{subject} wants {}, got {}", kind.wants(), got_text(p)),
        ));
    }
    match p.text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(error(p.start, range_message(subject, min, max, p))),
    }
}

pub(super) fn range_message(subject: &str, min: i64, max: i64, p: &Piece) -> String {
    if min == i64::MIN && max == i64::MAX {
        format!(
            "{subject} must be between {min} and {max} (a 64-bit number), got {}",
            got_text(p)
        )
    } else if max == i64::MAX {
        format!("{subject} must be {min} or more, got {}", got_text(p))
    } else {
        format!(
            "{subject} must be between {min} and {max}, got {}",
            got_text(p)
        )
    }
}

pub(super) fn parse_seed(p: &Piece, subject: &str) -> Result<u64, ParseError> {
    if !is_whole_number(&p.text) {
        return Err(error(
            p.start,
            format!("{subject} wants a whole number, got {}", got_text(p)),
        ));
    }
    p.text.parse::<u64>().map_err(|_| {
        error(
            p.start,
            format!(
                "{subject} must be between 0 and {}, got {}",
                u64::MAX,
                got_text(p)
            ),
        )
    })
}

/// Kafka's `Topic.validate`: 1 to 249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub(super) fn check_topic(p: &Piece) -> Result<(), ParseError> {
    match topic_name_problem(&p.text) {
        None => Ok(()),
        Some((at, message)) => Err(error(at.map_or(p.start, |i| p.at(i)), message)),
    }
}

/// What breaks Kafka's `Topic.validate` in `name`, with the index of the character at fault
/// (`None`: the name as a whole); `None` when it is a valid topic name.
pub(super) fn topic_name_problem(name: &str) -> Option<(Option<usize>, String)> {
    if name.is_empty() {
        return Some((None, "the topic name is empty".into()));
    }
    if name == "." || name == ".." {
        return Some((None, "a topic cannot be named `.` or `..`".into()));
    }
    for (i, c) in name.chars().enumerate() {
        if !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Some((
                Some(i),
                format!(
                    "the topic name `{}` contains `{}`: topic names use only letters, digits, \
                     `.`, `_` and `-`",
                    show(name),
                    c.escape_debug()
                ),
            ));
        }
    }
    let len = name.chars().count();
    if len > MAX_TOPIC_NAME_LEN {
        return Some((
            Some(MAX_TOPIC_NAME_LEN),
            format!("the topic name is {len} characters long; the limit is {MAX_TOPIC_NAME_LEN}"),
        ));
    }
    None
}

/// `orders-0`: the topic is everything before the last `-`.
pub(super) fn parse_partition(p: &Piece) -> Result<TopicPartition, ParseError> {
    let Some(dash) = p.text.chars().rev().position(|c| c == '-') else {
        let suggestion = check_topic(p).ok().map(|()| format!("{}-0", p.text));
        return Err(error_with(
            p.start,
            format!(
                "`{}` is not a partition: write TOPIC-N, such as orders-0",
                show(&p.text)
            ),
            suggestion,
        ));
    };
    let dash = p.len() - 1 - dash;
    let topic = p.slice(0, dash);
    let number = p.slice(dash + 1, p.len());
    if topic.text.is_empty() {
        return Err(error(
            p.start,
            format!(
                "`{}` has no topic before the `-`: write TOPIC-N, such as orders-0",
                show(&p.text)
            ),
        ));
    }
    check_topic(&topic)?;
    if number.text.is_empty() {
        return Err(error(
            number.start,
            format!(
                "`{}` has no partition number after the last `-`",
                show(&p.text)
            ),
        ));
    }
    let subject = format!("the partition number in `{}`", show(&p.text));
    let n = parse_int(
        &number,
        &subject,
        ValueKind::Int {
            min: 0,
            max: MAX_PARTITION_INDEX,
        },
        0,
        MAX_PARTITION_INDEX,
    )?;
    Ok(TopicPartition {
        topic: topic.text.into(),
        partition: i32::try_from(n).unwrap_or_default(),
    })
}

pub(super) fn parse_choice(
    p: &Piece,
    subject: &str,
    values: &'static [&'static str],
) -> Result<&'static str, ParseError> {
    values
        .iter()
        .find(|v| v.eq_ignore_ascii_case(&p.text))
        .copied()
        .ok_or_else(|| {
            error_with(
                p.start,
                format!(
                    "{subject} wants one of {}, got {}",
                    values.join(", "),
                    got_text(p)
                ),
                suggest(&p.text, values.iter().copied()),
            )
        })
}

pub(super) const DURATION_UNITS: &[(&str, i64)] = &[
    ("ms", 1),
    ("s", 1000),
    ("m", 60_000),
    ("min", 60_000),
    ("h", 3_600_000),
];

pub(super) fn parse_duration(p: &Piece, subject: &str, max_ms: i64) -> Result<i64, ParseError> {
    let digits = p.text.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return Err(error(
            p.start,
            format!(
                "{subject} wants a duration such as 250ms, 5s or 2m, got {}",
                got_text(p)
            ),
        ));
    }
    let unit = p.slice(digits, p.len());
    if unit.text.starts_with('.') {
        return Err(error(
            p.start,
            format!(
                "{subject} takes whole numbers, got `{}`: use a smaller unit, as in 1500ms for \
                 1.5s",
                show(&p.text)
            ),
        ));
    }
    let factor = if unit.text.is_empty() {
        1
    } else {
        match DURATION_UNITS.iter().find(|(u, _)| *u == unit.text) {
            Some((_, f)) => *f,
            None => {
                return Err(error_with(
                    unit.start,
                    format!(
                        "unknown unit `{}` in {subject}: use ms, s, m or h",
                        show(&unit.text)
                    ),
                    suggest(&unit.text, DURATION_UNITS.iter().map(|(u, _)| *u)),
                ))
            }
        }
    };
    let number: String = p.text.chars().take(digits).collect();
    let too_long = || {
        error(
            p.start,
            format!(
                "{subject} must be at most {}, got `{}`",
                format_duration(max_ms),
                show(&p.text)
            ),
        )
    };
    let ms = number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(too_long)?;
    if ms > max_ms {
        return Err(too_long());
    }
    Ok(ms)
}

/// `key=value`, split at the first `=`.
pub(super) fn parse_pair(p: &Piece, subject: &str) -> Result<(String, String), ParseError> {
    let Some(eq) = p.find('=') else {
        return Err(error(
            p.start,
            format!("{subject} wants KEY=VALUE, got {}", got_text(p)),
        ));
    };
    let key = p.slice(0, eq);
    let value = p.slice(eq + 1, p.len());
    if key.text.trim().is_empty() {
        return Err(error(
            p.start,
            format!("{subject}: the config name before `=` is empty"),
        ));
    }
    if value.text.is_empty() {
        return Err(error(
            value.start,
            format!("{subject}: `{}` has no value after `=`", show(&key.text)),
        ));
    }
    Ok((key.text, value.text))
}

pub(super) fn no_duplicate_names<'a>(
    names: impl IntoIterator<Item = (&'a str, Pos)>,
    subject: &str,
) -> Result<(), ParseError> {
    let mut seen: SortedSet<&str> = SortedSet::new();
    for (name, at) in names {
        if !seen.insert(name) {
            return Err(error(
                at,
                format!("{subject}: `{}` is given twice", show(name)),
            ));
        }
    }
    Ok(())
}

/// `k=v,k=[a,b]`: commas inside brackets belong to the value, and the brackets go.
pub(super) fn parse_config_list(
    p: &Piece,
    subject: &str,
) -> Result<Vec<(String, String)>, ParseError> {
    let mut depth = 0usize;
    let mut open_at = p.start;
    for (i, c) in p.text.chars().enumerate() {
        match c {
            '[' => {
                if depth == 0 {
                    open_at = p.at(i);
                }
                depth += 1;
            }
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if depth > 0 {
        return Err(error(
            open_at,
            format!("{subject}: this `[` is never closed"),
        ));
    }
    let mut depth = 0usize;
    let items = p.split_where(|c| {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        c == ',' && depth == 0
    });
    let mut pairs = Vec::new();
    let mut keys = Vec::new();
    for item in &items {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        let (key, value) = parse_pair(item, subject)?;
        let value = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            Some(inner) => inner.to_string(),
            None => value,
        };
        keys.push(item.start);
        pairs.push((key, value));
    }
    no_duplicate_names(pairs.iter().map(|(k, _)| k.as_str()).zip(keys), subject)?;
    Ok(pairs)
}

pub(super) fn parse_name_list(p: &Piece, subject: &str) -> Result<Vec<String>, ParseError> {
    let items = p.split(',');
    for item in &items {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        if let Some(eq) = item.find('=') {
            return Err(error_with(
                item.start,
                format!(
                    "{subject} takes config names only, got `{}`",
                    show(&item.text)
                ),
                Some(item.slice(0, eq).text),
            ));
        }
    }
    no_duplicate_names(items.iter().map(|i| (i.text.as_str(), i.start)), subject)?;
    Ok(items.into_iter().map(|i| i.text).collect())
}

pub(super) fn parse_words(p: &Piece, subject: &str) -> Result<Vec<String>, ParseError> {
    let items = p.split(',');
    for item in &items {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
    }
    Ok(items.into_iter().map(|i| i.text).collect())
}

/// `orders,payments`: topic names, none twice.
pub(super) fn parse_topic_list(p: &Piece, subject: &str) -> Result<Vec<String>, ParseError> {
    let items = p.split(',');
    let mut seen: SortedSet<&str> = SortedSet::new();
    for item in &items {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        check_topic(item)?;
        if !seen.insert(&item.text) {
            return Err(error(
                item.start,
                format!("{subject}: `{}` is listed twice", show(&item.text)),
            ));
        }
    }
    Ok(items.into_iter().map(|i| i.text).collect())
}

/// `orders-0,orders-1`: partitions, none twice.
pub(super) fn parse_partition_list(
    p: &Piece,
    subject: &str,
) -> Result<Vec<TopicPartition>, ParseError> {
    let mut out = Vec::new();
    let mut seen: SortedSet<TopicPartition> = SortedSet::new();
    for item in p.split(',') {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        let tp = parse_partition(&item)?;
        if !seen.insert(tp.clone()) {
            return Err(error(
                item.start,
                format!("{subject}: `{tp}` is listed twice"),
            ));
        }
        out.push(tp);
    }
    Ok(out)
}

/// `orders` or `orders:0,1`, as `kafka-consumer-groups.sh --reset-offsets --topic` takes it.
pub(super) fn parse_topic_scope(
    p: &Piece,
    subject: &str,
) -> Result<(String, Option<Vec<i32>>), ParseError> {
    let Some(colon) = p.find(':') else {
        check_topic(p)?;
        return Ok((p.text.clone(), None));
    };
    let topic = p.slice(0, colon);
    let list = p.slice(colon + 1, p.len());
    if topic.text.is_empty() {
        return Err(error(
            p.start,
            format!(
                "{subject}: `{}` has no topic before the `:`: write TOPIC or TOPIC:P,P",
                show(&p.text)
            ),
        ));
    }
    check_topic(&topic)?;
    if let Some(second) = list.find(':') {
        return Err(error(
            list.at(second),
            format!(
                "{subject}: `{}` has a second `:`: write TOPIC or TOPIC:P,P",
                show(&p.text)
            ),
        ));
    }
    if list.text.is_empty() {
        return Err(error(
            list.start,
            format!(
                "{subject}: `{}` has no partitions after the `:`",
                show(&p.text)
            ),
        ));
    }
    let mut partitions: Vec<i32> = Vec::new();
    let mut seen: SortedSet<i64> = SortedSet::new();
    let what = format!("{subject}: a partition of `{}`", show(&topic.text));
    for item in list.split(',') {
        if item.text.is_empty() {
            return Err(error(item.start, format!("{subject}: empty entry")));
        }
        let kind = ValueKind::Int {
            min: 0,
            max: MAX_PARTITION_INDEX,
        };
        let n = parse_int(&item, &what, kind, 0, MAX_PARTITION_INDEX)?;
        if !seen.insert(n) {
            return Err(error(
                item.start,
                format!("{subject}: partition {n} is listed twice"),
            ));
        }
        partitions.push(i32::try_from(n).unwrap_or_default());
    }
    Ok((topic.text, Some(partitions)))
}

/// A broker or node id inside a list.
pub(super) fn parse_id(p: &Piece, subject: &str, noun: &str) -> Result<NodeId, ParseError> {
    if !is_whole_number(&p.text) {
        return Err(error(
            p.start,
            format!("{subject}: `{}` is not a {noun} id", show(&p.text)),
        ));
    }
    match p.text.parse::<NodeId>() {
        Ok(id) if id >= 0 => Ok(id),
        _ => Err(error(
            p.start,
            format!(
                "{subject}: {noun} ids are between 0 and {MAX_NODE_ID}, got {}",
                got_text(p)
            ),
        )),
    }
}

/// `0:1:2,1:2:0`.
pub(super) fn parse_assignment(p: &Piece, subject: &str) -> Result<Vec<Vec<NodeId>>, ParseError> {
    let partitions = p.split(',');
    if partitions.len() as i64 > MAX_PARTITIONS {
        return Err(error(
            p.start,
            format!(
                "{subject} lists {} partitions; the limit is {MAX_PARTITIONS}",
                partitions.len()
            ),
        ));
    }
    let mut out: Vec<Vec<NodeId>> = Vec::new();
    for (index, part) in partitions.iter().enumerate() {
        if part.text.is_empty() {
            return Err(error(
                part.start,
                format!("{subject}: partition {index} has no replicas"),
            ));
        }
        let mut replicas: Vec<NodeId> = Vec::new();
        for r in part.split(':') {
            if replicas.len() as i64 >= MAX_REPLICATION_FACTOR {
                return Err(error(
                    r.start,
                    format!(
                        "{subject}: partition {index} has more than {MAX_REPLICATION_FACTOR} \
                         replicas"
                    ),
                ));
            }
            let id = parse_id(&r, subject, "broker")?;
            if replicas.contains(&id) {
                return Err(error(
                    r.start,
                    format!("{subject}: broker {id} appears twice in partition {index}"),
                ));
            }
            replicas.push(id);
        }
        if let Some(first) = out.first() {
            if first.len() != replicas.len() {
                return Err(error(
                    part.start,
                    format!(
                        "{subject}: partition {index} has {} replicas but partition 0 has {}; \
                         every partition needs the same number",
                        replicas.len(),
                        first.len()
                    ),
                ));
            }
        }
        out.push(replicas);
    }
    Ok(out)
}

/// `0,1 | 2,100`, spread over any number of tokens.
pub(super) fn parse_sides(pieces: &[&Piece], subject: &str) -> Result<Val, ParseError> {
    let start = pieces.first().map_or(Pos { line: 1, col: 1 }, |p| p.start);
    let mut sides: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut bars: Vec<Pos> = Vec::new();
    for p in pieces {
        for (item, sep) in p.split_where_sep(|c| c == ',' || c == '|') {
            let after = item.at(item.len());
            if !item.text.is_empty() {
                if let Some(side) = sides.last_mut() {
                    side.push(item);
                }
            }
            if sep == Some('|') {
                bars.push(after);
                sides.push(Vec::new());
            }
        }
    }
    let usage = "two sets of node ids separated by `|`, such as `0,1 | 2,100`";
    let bar = match bars.as_slice() {
        [] => return Err(error(start, format!("{subject} wants {usage}"))),
        [bar] => *bar,
        [_, second, ..] => {
            return Err(error(
                *second,
                format!("{subject} wants {usage}; this is a second `|`"),
            ))
        }
    };
    let mut parsed: Vec<Vec<NodeId>> = Vec::new();
    let mut first_side: SortedSet<NodeId> = SortedSet::new();
    for (s, side) in sides.iter().enumerate() {
        if side.is_empty() {
            let message = if s == 0 {
                "there are no node ids before the `|`"
            } else {
                "there are no node ids after the `|`"
            };
            return Err(error(bar, format!("{subject}: {message}")));
        }
        let mut ids: Vec<NodeId> = Vec::new();
        let mut seen: SortedSet<NodeId> = SortedSet::new();
        for item in side {
            let id = parse_id(item, subject, "node")?;
            if !seen.insert(id) {
                return Err(error(
                    item.start,
                    format!("{subject}: node {id} is listed twice"),
                ));
            }
            if s == 1 && first_side.contains(&id) {
                return Err(error(
                    item.start,
                    format!("{subject}: node {id} is on both sides of the `|`"),
                ));
            }
            ids.push(id);
        }
        if s == 0 {
            first_side = seen;
        }
        parsed.push(ids);
    }
    let mut parsed = parsed.into_iter();
    let a = parsed.next().unwrap_or_default();
    let b = parsed.next().unwrap_or_default();
    Ok(Val::Sides(a, b))
}
