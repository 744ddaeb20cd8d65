//! Lexing: lines into tokens (quotes, continuations, comments), each with its position.

use super::{error, ParseError, Pos};

/// A stretch of user text with the position of each character.
#[derive(Clone, Debug)]
pub(super) struct Piece {
    pub(super) text: String,
    /// One position per character of `text`.
    pub(super) pos: Vec<Pos>,
    /// Where the piece starts in the input (its opening quote, if quoted); where an empty
    /// piece is.
    pub(super) start: Pos,
}

impl Piece {
    pub(super) fn len(&self) -> usize {
        self.pos.len()
    }

    /// The position of character `i`, or just past the end.
    pub(super) fn at(&self, i: usize) -> Pos {
        match self.pos.get(i) {
            Some(p) => *p,
            None => match self.pos.last() {
                Some(p) => p.next(),
                None => self.start,
            },
        }
    }

    /// Characters `from..to`.
    pub(super) fn slice(&self, from: usize, to: usize) -> Piece {
        let to = to.min(self.len());
        let from = from.min(to);
        let start = if from == 0 { self.start } else { self.at(from) };
        Piece {
            text: self.text.chars().skip(from).take(to - from).collect(),
            pos: self
                .pos
                .get(from..to)
                .map(<[Pos]>::to_vec)
                .unwrap_or_default(),
            start,
        }
    }

    /// Split at every character for which `is_sep` holds, keeping empty pieces; each piece
    /// comes with the separator that ends it. Linear in the length, however many pieces.
    pub(super) fn split_where_sep(
        &self,
        mut is_sep: impl FnMut(char) -> bool,
    ) -> Vec<(Piece, Option<char>)> {
        let mut out = Vec::new();
        let mut text = String::new();
        let mut pos = Vec::new();
        let mut from = 0;
        for (i, c) in self.text.chars().enumerate() {
            if is_sep(c) {
                let start = if from == 0 { self.start } else { self.at(from) };
                let piece = Piece {
                    text: std::mem::take(&mut text),
                    pos: std::mem::take(&mut pos),
                    start,
                };
                out.push((piece, Some(c)));
                from = i + 1;
            } else {
                text.push(c);
                pos.push(self.at(i));
            }
        }
        let start = if from == 0 { self.start } else { self.at(from) };
        out.push((Piece { text, pos, start }, None));
        out
    }

    /// Split at every character for which `is_sep` holds, keeping empty pieces.
    pub(super) fn split_where(&self, is_sep: impl FnMut(char) -> bool) -> Vec<Piece> {
        self.split_where_sep(is_sep)
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }

    pub(super) fn split(&self, sep: char) -> Vec<Piece> {
        self.split_where(|c| c == sep)
    }

    /// The character index of the first `c`, if any.
    pub(super) fn find(&self, c: char) -> Option<usize> {
        self.text.chars().position(|x| x == c)
    }
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) piece: Piece,
    /// Starts with an unquoted `--`.
    pub(super) flag: bool,
    /// For a flag, the index of its first unquoted `=` (`--topic=orders`).
    pub(super) eq: Option<usize>,
}

impl Token {
    pub(super) fn start(&self) -> Pos {
        self.piece.start
    }

    pub(super) fn text(&self) -> &str {
        &self.piece.text
    }

    /// For a flag, its name without an inline value.
    pub(super) fn flag_name(&self) -> String {
        match self.eq {
            Some(i) => self.piece.text.chars().take(i).collect(),
            None => self.piece.text.clone(),
        }
    }

    /// For `--flag=value`, the value.
    pub(super) fn inline_value(&self) -> Option<Piece> {
        self.eq.map(|i| self.piece.slice(i + 1, self.piece.len()))
    }
}

#[derive(Default)]
pub(super) struct TokenBuilder {
    pub(super) text: String,
    pub(super) pos: Vec<Pos>,
    pub(super) unquoted: Vec<bool>,
    pub(super) start: Option<Pos>,
}

impl TokenBuilder {
    pub(super) fn open(&mut self, at: Pos) {
        if self.start.is_none() {
            self.start = Some(at);
        }
    }

    pub(super) fn push(&mut self, c: char, at: Pos, quoted: bool) {
        self.open(at);
        self.text.push(c);
        self.pos.push(at);
        self.unquoted.push(!quoted);
    }

    pub(super) fn finish(&mut self, out: &mut Vec<Token>) {
        let b = std::mem::take(self);
        let Some(start) = b.start else { return };
        let flag = b.text.starts_with("--")
            && b.unquoted.first() == Some(&true)
            && b.unquoted.get(1) == Some(&true);
        let eq = if flag {
            b.text
                .chars()
                .zip(&b.unquoted)
                .position(|(c, &unquoted)| c == '=' && unquoted)
        } else {
            None
        };
        out.push(Token {
            piece: Piece {
                text: b.text,
                pos: b.pos,
                start,
            },
            flag,
            eq,
        });
    }
}

/// Whether what follows a backslash makes it a line continuation: only blanks, then maybe a
/// comment.
pub(super) fn only_blank_or_comment(rest: &[char]) -> bool {
    match rest.iter().find(|c| !c.is_whitespace()) {
        None => true,
        Some(c) => *c == '#',
    }
}

/// Append the tokens of one physical line; `true` if the command continues on the next line.
pub(super) fn lex_line(
    line: &str,
    line_no: usize,
    out: &mut Vec<Token>,
) -> Result<bool, ParseError> {
    let chars: Vec<char> = line.chars().collect();
    let at = |i: usize| Pos {
        line: line_no,
        col: i + 1,
    };
    let mut token = TokenBuilder::default();
    let mut quote: Option<(char, Pos)> = None;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match quote {
            Some((q, _)) => {
                if c == q {
                    quote = None;
                } else if q == '"' && c == '\\' {
                    match chars.get(i + 1) {
                        Some(&n) if n == '"' || n == '\\' => {
                            token.push(n, at(i + 1), true);
                            i += 1;
                        }
                        _ => token.push(c, at(i), true),
                    }
                } else {
                    token.push(c, at(i), true);
                }
            }
            None => {
                if c.is_whitespace() {
                    token.finish(out);
                } else if c == '#' {
                    break;
                } else if c == '"' || c == '\'' {
                    token.open(at(i));
                    quote = Some((c, at(i)));
                } else if c == '\\' && only_blank_or_comment(chars.get(i + 1..).unwrap_or_default())
                {
                    token.finish(out);
                    return Ok(true);
                } else {
                    token.push(c, at(i), false);
                }
            }
        }
        i += 1;
    }
    if let Some((q, pos)) = quote {
        return Err(error(
            pos,
            format!("this {q} is never closed: close it on the same line"),
        ));
    }
    token.finish(out);
    Ok(false)
}

/// Call `f` with the first line and the tokens of each command in `text`, in order.
pub(super) fn for_each_command(
    text: &str,
    mut f: impl FnMut(usize, &[Token]) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut tokens = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let continues = lex_line(line, i + 1, &mut tokens)?;
        if !continues {
            if let Some(first) = tokens.first() {
                f(first.start().line, &tokens)?;
                tokens.clear();
            }
        }
    }
    if let Some(first) = tokens.first() {
        f(first.start().line, &tokens)?;
    }
    Ok(())
}
