//! The one JSON document the command language takes: `kafka-delete-records.sh`'s offset file,
//! given inline. Read by hand (a small reader for JSON's grammar, integers only) rather than
//! with serde_json, whose code would add tens of KiB to the page for one flag.

use crate::command::TopicPartition;

/// A JSON value, numbers kept as the integers this file holds.
#[derive(Debug, PartialEq)]
enum Value {
    Null,
    Bool,
    Int(i64),
    Str(String),
    List(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// How deeply arrays and objects may nest (the offset file needs three levels).
const MAX_DEPTH: usize = 16;

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at character {} of the JSON", self.at + 1))
    }

    fn skip_space(&mut self) {
        while self.at < self.text.len() && self.text[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        if self.text.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return self.fail("nested too deeply");
        }
        self.skip_space();
        match self.text.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                if self.eat(b'}') {
                    return Ok(Value::Object(fields));
                }
                loop {
                    self.skip_space();
                    if self.text.get(self.at) != Some(&b'"') {
                        return self.fail("expected a field name in quotes");
                    }
                    let name = self.string()?;
                    if !self.eat(b':') {
                        return self.fail("expected `:`");
                    }
                    fields.push((name, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        return Ok(Value::Object(fields));
                    }
                    if !self.eat(b',') {
                        return self.fail("expected `,` or `}`");
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Value::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Ok(Value::List(items));
                    }
                    if !self.eat(b',') {
                        return self.fail("expected `,` or `]`");
                    }
                }
            }
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                self.at += 1;
                while self.at < self.text.len() && self.text[self.at].is_ascii_digit() {
                    self.at += 1;
                }
                if matches!(self.text.get(self.at), Some(b'.' | b'e' | b'E')) {
                    return self.fail("expected a whole number");
                }
                let digits = std::str::from_utf8(&self.text[start..self.at]).unwrap_or("");
                match digits.parse() {
                    Ok(n) => Ok(Value::Int(n)),
                    Err(_) => {
                        self.at = start;
                        self.fail("expected a whole number that fits in 64 bits")
                    }
                }
            }
            _ => {
                for (word, value) in [
                    ("true", Value::Bool),
                    ("false", Value::Bool),
                    ("null", Value::Null),
                ] {
                    if self.text[self.at..].starts_with(word.as_bytes()) {
                        self.at += word.len();
                        return Ok(value);
                    }
                }
                if self.at >= self.text.len() {
                    self.fail("the JSON ends too soon")
                } else {
                    self.fail("expected a value")
                }
            }
        }
    }

    /// A string, the reader on its opening quote.
    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.text.get(self.at) {
                None => return self.fail("a string is not closed"),
                Some(b'"') => {
                    self.at += 1;
                    return String::from_utf8(out).or_else(|_| self.fail("a string is not UTF-8"));
                }
                Some(b'\\') => {
                    let escaped = match self.text.get(self.at + 1) {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        Some(b'n') => b'\n',
                        Some(b't') => b'\t',
                        _ => return self.fail("an escape this file does not use"),
                    };
                    out.push(escaped);
                    self.at += 2;
                }
                Some(&b) => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
    }
}

fn field<'v>(fields: &'v [(String, Value)], name: &str) -> Option<&'v Value> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// The partitions and offsets of a `kafka-delete-records.sh` offset file, in its order.
pub(super) fn delete_records_offsets(text: &str) -> Result<Vec<(TopicPartition, i64)>, String> {
    let mut reader = Reader {
        text: text.as_bytes(),
        at: 0,
    };
    let value = reader.value(0)?;
    reader.skip_space();
    if reader.at < reader.text.len() {
        return reader.fail("unexpected text after the JSON");
    }
    let Value::Object(top) = value else {
        return Err("the offset file should be a JSON object with \"partitions\"".into());
    };
    let Some(Value::List(partitions)) = field(&top, "partitions") else {
        return Err("the offset file needs \"partitions\": [...]".into());
    };
    if partitions.is_empty() {
        return Err("\"partitions\" is empty: name at least one partition".into());
    }
    let mut out: Vec<(TopicPartition, i64)> = Vec::new();
    for (i, entry) in partitions.iter().enumerate() {
        let n = i + 1;
        let Value::Object(fields) = entry else {
            return Err(format!("partition entry {n} should be an object"));
        };
        let topic = match field(fields, "topic") {
            Some(Value::Str(t)) if super::values::topic_name_problem(t).is_none() => t.clone(),
            Some(Value::Str(t)) => {
                return Err(format!(
                    "partition entry {n}: `{t}` is not a valid topic name"
                ))
            }
            _ => return Err(format!("partition entry {n} needs \"topic\": \"NAME\"")),
        };
        let partition = match field(fields, "partition") {
            Some(Value::Int(p)) if (0..=i64::from(i32::MAX)).contains(p) => *p as i32,
            _ => {
                return Err(format!(
                    "partition entry {n} needs \"partition\": a number from 0"
                ))
            }
        };
        let offset = match field(fields, "offset") {
            Some(Value::Int(o)) if *o >= -1 => *o,
            _ => {
                return Err(format!(
                    "partition entry {n} needs \"offset\": a number from 0, or -1 for the high watermark"
                ))
            }
        };
        let tp = TopicPartition::new(topic.as_str(), partition);
        // Kafka's tool refuses a partition named twice (`DeleteRecordsCommand`).
        if out.iter().any(|(t, _)| *t == tp) {
            return Err(format!("{tp} is named twice"));
        }
        out.push((tp, offset));
    }
    Ok(out)
}

/// The offset file for `offsets`, as `format_command` writes it back.
pub fn offsets_json(offsets: &[(TopicPartition, i64)]) -> String {
    let entries: Vec<String> = offsets
        .iter()
        .map(|(tp, o)| {
            format!(
                "{{\"topic\":\"{}\",\"partition\":{},\"offset\":{o}}}",
                tp.topic, tp.partition
            )
        })
        .collect();
    format!("{{\"partitions\":[{}],\"version\":1}}", entries.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kafkas_offset_file_and_writes_it_back() {
        let text = r#" { "partitions" : [ {"topic": "orders", "partition": 0, "offset": 3},
                        {"topic":"orders","partition":2,"offset":-1} ], "version": 1 } "#;
        let offsets = delete_records_offsets(text).unwrap();
        assert_eq!(
            offsets,
            vec![
                (TopicPartition::new("orders", 0), 3),
                (TopicPartition::new("orders", 2), -1)
            ]
        );
        let written = offsets_json(&offsets);
        assert_eq!(delete_records_offsets(&written).unwrap(), offsets);
    }

    #[test]
    fn a_bad_file_says_what_and_where() {
        let cases = [
            ("", "the JSON ends too soon at character 1"),
            ("{\"partitions\":[}", "expected a value at character 16"),
            ("{\"partitions\":[{\"topic\":\"a\",\"partition\":0,\"offset\":1.5}]}", "whole number"),
            ("[1]", "should be a JSON object"),
            ("{\"version\":1}", "needs \"partitions\""),
            ("{\"partitions\":[]}", "is empty"),
            ("{\"partitions\":[{\"partition\":0,\"offset\":1}]}", "entry 1 needs \"topic\""),
            ("{\"partitions\":[{\"topic\":\"a b\",\"partition\":0,\"offset\":1}]}", "not a valid topic name"),
            ("{\"partitions\":[{\"topic\":\"a\",\"offset\":1}]}", "needs \"partition\""),
            ("{\"partitions\":[{\"topic\":\"a\",\"partition\":0,\"offset\":-2}]}", "-1 for the high watermark"),
            (
                "{\"partitions\":[{\"topic\":\"a\",\"partition\":0,\"offset\":1},{\"topic\":\"a\",\"partition\":0,\"offset\":2}]}",
                "a-0 is named twice",
            ),
            ("{\"partitions\":[]} x", "unexpected text after the JSON at character 19"),
            (&"[".repeat(40), "nested too deeply"),
        ];
        for (text, expected) in cases {
            let why = delete_records_offsets(text).unwrap_err();
            assert!(why.contains(expected), "{text}: {why}");
        }
    }
}
