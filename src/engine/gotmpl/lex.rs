//! The lexer of Go's text/template: template text and `{{ … }}` actions, as Go's
//! `text/template/parse` splits them. Trim markers (`{{- ` and ` -}}`, the dash followed or
//! preceded by an ASCII space) remove the whitespace next to the action from the text
//! around it; comments (`{{/* … */}}`) must close right before the delimiter; inside an
//! action, runs of spaces are tokens of their own (they separate arguments), numbers are
//! scanned as Go scans them (`0x1F`, `1_000`, `1e3`, `.5`), and a word is followed by a
//! terminator or it is an error (`bad character`).

use std::fmt;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Plain text outside actions (already trimmed by the markers around it).
    Text,
    /// `{{` (after its trim marker, if any).
    LeftDelim,
    /// `}}`.
    RightDelim,
    /// A run of spaces inside an action.
    Space,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// `|`.
    Pipe,
    /// `(`.
    LeftParen,
    /// `)`.
    RightParen,
    /// Any other printable ASCII character (`,` in `range $i, $v :=`).
    Char,
    /// `"…"`, still quoted.
    String,
    /// `` `…` ``, still quoted.
    RawString,
    /// `'x'`, still quoted.
    CharConstant,
    /// A number as written.
    Number,
    /// `true` or `false`.
    Bool,
    /// `.`.
    Dot,
    /// `.Name`.
    Field,
    /// `$` or `$name`.
    Variable,
    /// A function name.
    Identifier,
    /// `nil`.
    Nil,
    /// A keyword: `block`, `break`, `continue`, `define`, `else`, `end`, `if`, `range`,
    /// `template`, `with`.
    Keyword,
    /// The end of the input.
    Eof,
}

/// One token: its kind, its text (the source slice), and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// The kind.
    pub kind: Kind,
    /// The token's text (for `Text`, after trimming).
    pub text: &'a str,
    /// Byte offset of the token in the source.
    pub pos: usize,
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Eof => f.write_str("EOF"),
            Kind::Keyword => write!(f, "<{}>", self.text),
            Kind::Space => f.write_str("space"),
            Kind::LeftDelim => f.write_str("{{"),
            Kind::RightDelim => f.write_str("}}"),
            _ if self.text.len() > 10 => write!(f, "{:.10?}...", self.text),
            _ => write!(f, "{:?}", self.text),
        }
    }
}

/// A lexing error: the message and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// What is wrong (Go's wording).
    pub message: String,
    /// Byte offset.
    pub pos: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Where the two-byte `pair` (`{{`, `*/`) first occurs in `b`: a byte search for its first
/// byte (a substring searcher costs more to build than these short scans take).
fn find_pair(b: &[u8], pair: [u8; 2]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(pair[0], &b[from..]) {
        let at = from + i;
        if b.get(at + 1) == Some(&pair[1]) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `-` followed by a space, right after `{{`.
fn has_left_trim(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(s[1])
}

/// A space followed by `-`, right before `}}`.
fn has_right_trim(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
}

/// A source's tokens, each kept as where it is in the source and its kind (12 bytes; a
/// chart's templates make tens of thousands of tokens, which as [`Token`]s took more
/// memory than the parsed trees).
#[derive(Debug)]
pub struct Tokens<'a> {
    src: &'a str,
    packed: Vec<Packed>,
}

#[derive(Debug, Clone, Copy)]
struct Packed {
    start: u32,
    len: u32,
    kind: Kind,
}

impl<'a> Tokens<'a> {
    /// How many tokens there are (the last is [`Kind::Eof`]).
    #[inline]
    pub fn len(&self) -> usize {
        self.packed.len()
    }

    /// Whether there are none (never, after a successful [`lex`]).
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    /// The `i`th token.
    #[inline]
    pub fn get(&self, i: usize) -> Token<'a> {
        let p = self.packed[i];
        let start = p.start as usize;
        Token {
            kind: p.kind,
            text: &self.src[start..start + p.len as usize],
            pos: start,
        }
    }

    /// The kinds of the tokens from the `i`th on.
    pub fn kinds_from(&self, i: usize) -> impl Iterator<Item = Kind> + '_ {
        self.packed[i..].iter().map(|p| p.kind)
    }
}

/// Split a template source into tokens.
pub fn lex(src: &str) -> Result<Tokens<'_>, LexError> {
    if u32::try_from(src.len()).is_err() {
        return Err(LexError {
            message: "template is larger than 4 GiB".into(),
            pos: 0,
        });
    }
    let mut l = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        out: Vec::with_capacity(src.len() / 4),
        paren: 0,
    };
    l.run()?;
    Ok(Tokens { src, packed: l.out })
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    out: Vec<Packed>,
    paren: i32,
}

impl<'a> Lexer<'a> {
    fn err<T>(&self, pos: usize, message: impl Into<String>) -> Result<T, LexError> {
        Err(LexError {
            message: message.into(),
            pos,
        })
    }

    /// Offsets fit in `u32`: [`lex`] refuses larger sources.
    fn emit(&mut self, kind: Kind, start: usize, end: usize) {
        self.out.push(Packed {
            start: start as u32,
            len: (end - start) as u32,
            kind,
        });
    }

    fn run(&mut self) -> Result<(), LexError> {
        loop {
            // Text up to the next `{{`.
            let start = self.pos;
            let Some(found) = find_pair(&self.b[start..], *b"{{") else {
                if start < self.b.len() {
                    self.emit(Kind::Text, start, self.b.len());
                }
                self.emit(Kind::Eof, self.b.len(), self.b.len());
                return Ok(());
            };
            let delim = start + found;
            let trim = has_left_trim(&self.b[delim + 2..]);
            let mut end = delim;
            if trim {
                while end > start && is_space(self.b[end - 1]) {
                    end -= 1;
                }
            }
            if end > start {
                self.emit(Kind::Text, start, end);
            }
            // The action (or comment) itself.
            let after = delim + 2 + if trim { 2 } else { 0 };
            if self.b[after..].starts_with(b"/*") {
                self.comment(after)?;
                continue;
            }
            self.emit(Kind::LeftDelim, delim, delim + 2);
            self.pos = after;
            self.paren = 0;
            self.inside_action()?;
        }
    }

    /// `(trim, length)` when a right delimiter (with or without its trim marker) starts at `at`.
    fn at_right_delim(&self, at: usize) -> Option<bool> {
        let s = &self.b[at..];
        if has_right_trim(s) && s[2..].starts_with(b"}}") {
            return Some(true);
        }
        if s.starts_with(b"}}") {
            return Some(false);
        }
        None
    }

    /// Skip the whitespace after a trimming right delimiter.
    fn skip_left_space(&mut self) {
        while self.pos < self.b.len() && is_space(self.b[self.pos]) {
            self.pos += 1;
        }
    }

    fn comment(&mut self, at: usize) -> Result<(), LexError> {
        let body = at + 2;
        let Some(x) = find_pair(&self.b[body..], *b"*/") else {
            return self.err(at, "unclosed comment");
        };
        let end = body + x + 2;
        match self.at_right_delim(end) {
            None => self.err(end, "comment ends before closing delimiter"),
            Some(trim) => {
                self.pos = end + if trim { 4 } else { 2 };
                if trim {
                    self.skip_left_space();
                }
                Ok(())
            }
        }
    }

    fn peek(&self) -> Option<char> {
        match self.b.get(self.pos) {
            Some(&c) if c.is_ascii() => Some(c as char),
            Some(_) => self.src[self.pos..].chars().next(),
            None => None,
        }
    }

    fn at_terminator(&self) -> bool {
        match self.b.get(self.pos) {
            None => true,
            Some(&c) if is_space(c) => true,
            Some(b'.' | b',' | b'|' | b':' | b')' | b'(') => true,
            _ => self.b[self.pos..].starts_with(b"}}"),
        }
    }

    fn inside_action(&mut self) -> Result<(), LexError> {
        loop {
            if let Some(trim) = self.at_right_delim(self.pos) {
                if self.paren != 0 {
                    return self.err(self.pos, "unclosed left paren");
                }
                let at = self.pos + if trim { 2 } else { 0 };
                self.emit(Kind::RightDelim, at, at + 2);
                self.pos = at + 2;
                if trim {
                    self.skip_left_space();
                }
                return Ok(());
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                return self.err(start, "unclosed action");
            };
            match c {
                ' ' | '\t' | '\r' | '\n' => {
                    let mut n = 0;
                    while self.pos < self.b.len() && is_space(self.b[self.pos]) {
                        self.pos += 1;
                        n += 1;
                    }
                    // A trim-marked right delimiter starts with a space: leave that one.
                    if has_right_trim(&self.b[self.pos - 1..])
                        && self.b[self.pos + 1..].starts_with(b"}}")
                    {
                        self.pos -= 1;
                        if n == 1 {
                            continue;
                        }
                    }
                    self.emit(Kind::Space, start, self.pos);
                }
                '=' => {
                    self.pos += 1;
                    self.emit(Kind::Assign, start, self.pos);
                }
                ':' => {
                    if self.b.get(self.pos + 1) != Some(&b'=') {
                        return self.err(start, "expected :=");
                    }
                    self.pos += 2;
                    self.emit(Kind::Declare, start, self.pos);
                }
                '|' => {
                    self.pos += 1;
                    self.emit(Kind::Pipe, start, self.pos);
                }
                '"' => self.quote(start)?,
                '`' => {
                    let Some(x) = memchr::memchr(b'`', &self.b[start + 1..]) else {
                        return self.err(start, "unterminated raw quoted string");
                    };
                    self.pos = start + 1 + x + 1;
                    self.emit(Kind::RawString, start, self.pos);
                }
                '$' => {
                    self.pos += 1;
                    self.field_or_variable(start, Kind::Variable)?;
                }
                '\'' => self.char_constant(start)?,
                '.' if !self.b.get(self.pos + 1).is_some_and(u8::is_ascii_digit) => {
                    self.pos += 1;
                    self.field_or_variable(start, Kind::Field)?;
                }
                '.' | '+' | '-' | '0'..='9' => self.number(start)?,
                c if is_alnum(c) => self.identifier(start)?,
                '(' => {
                    self.paren += 1;
                    self.pos += 1;
                    self.emit(Kind::LeftParen, start, self.pos);
                }
                ')' => {
                    self.paren -= 1;
                    if self.paren < 0 {
                        return self.err(start, "unexpected right paren");
                    }
                    self.pos += 1;
                    self.emit(Kind::RightParen, start, self.pos);
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.pos += 1;
                    self.emit(Kind::Char, start, self.pos);
                }
                c => {
                    return self.err(
                        start,
                        format!("unrecognized character in action: U+{:04X} {c:?}", c as u32),
                    );
                }
            }
        }
    }

    fn quote(&mut self, start: usize) -> Result<(), LexError> {
        let mut i = start + 1;
        loop {
            match self.b.get(i) {
                None | Some(b'\n') => return self.err(start, "unterminated quoted string"),
                Some(b'\\') => {
                    if matches!(self.b.get(i + 1), None | Some(b'\n')) {
                        return self.err(start, "unterminated quoted string");
                    }
                    i += 2;
                }
                Some(b'"') => break,
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        self.emit(Kind::String, start, self.pos);
        Ok(())
    }

    fn char_constant(&mut self, start: usize) -> Result<(), LexError> {
        let mut i = start + 1;
        loop {
            match self.b.get(i) {
                None | Some(b'\n') => return self.err(start, "unterminated character constant"),
                Some(b'\\') => {
                    if matches!(self.b.get(i + 1), None | Some(b'\n')) {
                        return self.err(start, "unterminated character constant");
                    }
                    i += 2;
                }
                Some(b'\'') => break,
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        self.emit(Kind::CharConstant, start, self.pos);
        Ok(())
    }

    fn alnum_run(&mut self) {
        // Names are ASCII but for rare exceptions: bytes first, characters after.
        while self
            .b
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.pos += 1;
        }
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn bad_char(&self) -> String {
        match self.peek() {
            Some(c) => format!("bad character U+{:04X} {c:?}", c as u32),
            None => "bad character at end of input".to_string(),
        }
    }

    fn field_or_variable(&mut self, start: usize, kind: Kind) -> Result<(), LexError> {
        if self.at_terminator() {
            let k = if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            };
            self.emit(k, start, self.pos);
            return Ok(());
        }
        self.alnum_run();
        if !self.at_terminator() {
            return self.err(self.pos, self.bad_char());
        }
        self.emit(kind, start, self.pos);
        Ok(())
    }

    fn identifier(&mut self, start: usize) -> Result<(), LexError> {
        self.alnum_run();
        if !self.at_terminator() {
            return self.err(self.pos, self.bad_char());
        }
        let word = &self.src[start..self.pos];
        let kind = match word {
            "nil" => Kind::Nil,
            "block" | "break" | "continue" | "define" | "else" | "end" | "if" | "range"
            | "template" | "with" => Kind::Keyword,
            "true" | "false" => Kind::Bool,
            _ => Kind::Identifier,
        };
        self.emit(kind, start, self.pos);
        Ok(())
    }

    fn accept(&mut self, set: &[u8]) -> bool {
        if self.b.get(self.pos).is_some_and(|c| set.contains(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn accept_run(&mut self, set: &[u8]) {
        while self.accept(set) {}
    }

    fn number(&mut self, start: usize) -> Result<(), LexError> {
        if !self.scan_number() {
            return self.err(
                start,
                format!("bad number syntax: {:?}", &self.src[start..self.pos]),
            );
        }
        if matches!(self.b.get(self.pos), Some(b'+' | b'-')) {
            // A complex number (1+2i): scanned as Go does, then refused by the parser.
            if !self.scan_number() || self.b[self.pos - 1] != b'i' {
                return self.err(
                    start,
                    format!("bad number syntax: {:?}", &self.src[start..self.pos]),
                );
            }
        }
        self.emit(Kind::Number, start, self.pos);
        Ok(())
    }

    fn scan_number(&mut self) -> bool {
        self.accept(b"+-");
        let mut digits: &[u8] = b"0123456789_";
        if self.accept(b"0") {
            if self.accept(b"xX") {
                digits = b"0123456789abcdefABCDEF_";
            } else if self.accept(b"oO") {
                digits = b"01234567_";
            } else if self.accept(b"bB") {
                digits = b"01_";
            }
        }
        self.accept_run(digits);
        if self.accept(b".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept(b"eE") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        if digits.len() == 23 && self.accept(b"pP") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        self.accept(b"i");
        if self.peek().is_some_and(is_alnum) {
            self.pos += self.peek().map_or(1, char::len_utf8);
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        let tokens = lex(src).unwrap();
        (0..tokens.len())
            .map(|i| tokens.get(i))
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn pairs_are_found_past_lone_first_bytes() {
        assert_eq!(find_pair(b"a { {x}{{", *b"{{"), Some(7));
        assert_eq!(find_pair(b"{ { {", *b"{{"), None);
        assert_eq!(find_pair(b"* * */", *b"*/"), Some(4));
        assert_eq!(find_pair(b"", *b"{{"), None);
    }

    #[test]
    fn names_may_hold_any_letter() {
        use Kind::*;
        assert_eq!(
            kinds("{ {{$é1 := .Ünï.ab_9}}"),
            vec![
                (Text, "{ "),
                (LeftDelim, "{{"),
                (Variable, "$é1"),
                (Space, " "),
                (Declare, ":="),
                (Space, " "),
                (Field, ".Ünï"),
                (Field, ".ab_9"),
                (RightDelim, "}}"),
                (Eof, "")
            ]
        );
    }

    #[test]
    fn trims_and_comments() {
        use Kind::*;
        assert_eq!(
            kinds("a  \n{{- .X -}}\n  b{{/* c */}}d {{- /* e */ -}} f"),
            vec![
                (Text, "a"),
                (LeftDelim, "{{"),
                (Field, ".X"),
                (RightDelim, "}}"),
                (Text, "b"),
                (Text, "d"),
                (Text, "f"),
                (Eof, "")
            ]
        );
    }

    #[test]
    fn action_tokens() {
        use Kind::*;
        assert_eq!(
            kinds("{{$x := -3 | f \"a\\\"\" `r` 'c' (.A.B).C $ . nil true 0x1F 1.5e3}}"),
            vec![
                (LeftDelim, "{{"),
                (Variable, "$x"),
                (Space, " "),
                (Declare, ":="),
                (Space, " "),
                (Number, "-3"),
                (Space, " "),
                (Pipe, "|"),
                (Space, " "),
                (Identifier, "f"),
                (Space, " "),
                (String, "\"a\\\"\""),
                (Space, " "),
                (RawString, "`r`"),
                (Space, " "),
                (CharConstant, "'c'"),
                (Space, " "),
                (LeftParen, "("),
                (Field, ".A"),
                (Field, ".B"),
                (RightParen, ")"),
                (Field, ".C"),
                (Space, " "),
                (Variable, "$"),
                (Space, " "),
                (Dot, "."),
                (Space, " "),
                (Nil, "nil"),
                (Space, " "),
                (Bool, "true"),
                (Space, " "),
                (Number, "0x1F"),
                (Space, " "),
                (Number, "1.5e3"),
                (RightDelim, "}}"),
                (Eof, "")
            ]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            lex("{{ \"a }}").unwrap_err().message,
            "unterminated quoted string"
        );
        assert_eq!(lex("{{ .a").unwrap_err().message, "unclosed action");
        assert_eq!(lex("{{/* x }}").unwrap_err().message, "unclosed comment");
        assert_eq!(
            lex("{{/* x */ y}}").unwrap_err().message,
            "comment ends before closing delimiter"
        );
        assert_eq!(lex("{{ (x }}").unwrap_err().message, "unclosed left paren");
        assert_eq!(
            lex("{{ 3x }}").unwrap_err().message,
            "bad number syntax: \"3x\""
        );
    }
}
