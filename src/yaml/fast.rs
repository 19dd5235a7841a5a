//! A fast parser for the block-YAML subset that chart templates produce: block mappings
//! and sequences, plain, single- and double-quoted scalars (plain and single-quoted ones
//! may run over several lines, as CRD descriptions and validation rules do), literal
//! block scalars (`|`, `|-`, `|+`) and single-line flow collections. It returns `None`
//! for anything outside that subset (anchors, aliases, tags, folded scalars, multi-line
//! double-quoted scalars or flow collections, complex keys, tabs outside literal block
//! text, CR line ends, control characters, Unicode line breaks ...), and the caller then
//! uses the full YAML library. Plain scalars
//! are typed by a [`Schema`]: for manifests exactly as `serde_norway` types them (YAML 1.2
//! core schema; the ones that are not obvious are handed to it one by one), for values as
//! Helm holds them ([`super::helm`]: goyaml.v2's YAML 1.1 typing, every number a float64).
//! Plain keys must be strings (or, for manifests, plain decimal integers): the full parser
//! would turn `~`, `True`, `0x10` or, in values, `yes` into other JSON keys.
//!
//! The parser reads the text a line at a time; each line is scanned once (eight bytes at a
//! time), when it is reached, and the scan notes where the line's first `: ` and comment
//! are, so plain keys and scalars are found without reading them again. Only the parts a
//! caller asks for (see [`Keep`]) are built; the rest is checked just as thoroughly
//! (indentation, scalars, escapes, duplicate keys) by the same code in its checking
//! [`Mode`], which builds no JSON: keys are borrowed from the text (only quoted keys with
//! escapes are copied) onto one stack per document, and scalars are checked, not typed.
//!
//! The rule it is held to (tests/it/yaml_fast.rs): whenever it returns a value, the full
//! parser returns the same value for the same text.

use serde_json::{Map, Value as Json};
use std::borrow::Cow;

use super::v2::{self, Scalar};

/// Which parts of a document to build (everything is always checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Build the whole document.
    All,
    /// Build only `apiVersion`, `kind` and `metadata` (see [`Keep::Meta`]).
    Head,
    /// Inside `metadata`: `name`, `namespace`, `generateName`, `annotations` (not `labels`:
    /// nothing that prints documents as rendered needs them, and they are most of the map).
    Meta,
}

impl Keep {
    /// What to build of the value of `key` in a map built with `self`; `None`: nothing.
    fn child(self, key: &str) -> Option<Keep> {
        match self {
            Keep::All => Some(Keep::All),
            Keep::Head => match key {
                "apiVersion" | "kind" => Some(Keep::All),
                "metadata" => Some(Keep::Meta),
                _ => None,
            },
            Keep::Meta => match key {
                "name" | "namespace" | "generateName" | "annotations" => Some(Keep::All),
                _ => None,
            },
        }
    }

    /// Drop from a value parsed in full what parsing with `self` would not have built, so
    /// that a document outside the fast subset gives the same value.
    pub fn prune(self, v: &mut Json) {
        if self == Keep::All {
            return;
        }
        if let Json::Object(m) = v {
            m.retain(|k, child| match self.child(k) {
                Some(keep) => {
                    keep.prune(child);
                    true
                }
                None => false,
            });
        }
    }
}

/// How plain scalars are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// The YAML 1.2 core schema, as `serde_norway` types it (rendered manifests).
    Core,
    /// Helm's values ([`super::helm`]): goyaml.v2's YAML 1.1 typing ([`super::v2`]), every
    /// number a float64; keys that are not strings (`yes:`, `1:`, `<<:`) are left to the
    /// full parser.
    Helm,
    /// A Helm chart's rendered manifests, as Helm and kubectl send them to the API server
    /// (`sigs.k8s.io/yaml`'s YAML-to-JSON): goyaml.v2's typing, as [`Schema::Helm`], but
    /// integers stay integers ([`super::v2::number_json`]).
    Kube,
}

impl Schema {
    /// Whether plain scalars are typed by goyaml.v2's YAML 1.1 rules.
    fn v2(self) -> bool {
        self != Schema::Core
    }
}

/// How deeply block and flow collections may nest before the text is left to the full
/// parser (which has its own limit): keeps the recursion of this one shallow.
const MAX_NESTING: u32 = 128;

/// Parse a document, or `None` when it is outside the subset.
pub fn parse(src: &str) -> Option<Json> {
    parse_keep(src, Keep::All)
}

/// Parse a document building only what `keep` asks for; the rest is checked, not built
/// (skipped parts are `null`). `None` when it is outside the subset.
pub fn parse_keep(src: &str, keep: Keep) -> Option<Json> {
    parse_with(src, keep, Schema::Core)
}

/// One YAML document typed as Helm types values ([`Schema::Helm`]), as
/// [`super::helm::parse_document`] reads `src`; `None` when it is outside the subset.
/// Text with a line that starts with `---` or `...` (document markers) is left to the full
/// parser, and so is text that does not end with a line break (which Helm reads as if it
/// did; the caller adds one).
pub fn parse_helm(src: &str) -> Option<Json> {
    parse_v2_document(src, Schema::Helm)
}

/// One document of a Helm chart's rendered manifest typed as [`Schema::Kube`], as
/// [`super::helm::parse_kube`] reads it; `None` when it is outside the subset (or holds a
/// document marker, see [`parse_helm`]).
pub fn parse_kube(src: &str) -> Option<Json> {
    parse_v2_document(src, Schema::Kube)
}

/// [`parse_helm`] or [`parse_kube`]: text with a document marker, or without a final line
/// break, is left to the full parser.
fn parse_v2_document(src: &str, schema: Schema) -> Option<Json> {
    let b = src.as_bytes();
    if !(b.is_empty() || b.ends_with(b"\n"))
        || b.starts_with(b"---")
        || b.starts_with(b"...")
        || memchr::memmem::find(b, b"\n---").is_some()
        || memchr::memmem::find(b, b"\n...").is_some()
    {
        return None;
    }
    parse_with(src, Keep::All, schema)
}

fn parse_with(src: &str, keep: Keep, schema: Schema) -> Option<Json> {
    let mut p = Parser {
        schema,
        depth: 0,
        src,
        line: Line::EMPTY,
        next: 0,
        eof: false,
        bad: false,
        keys: Vec::with_capacity(16),
        values: Vec::new(),
    };
    p.advance();
    p.skip_blank();
    let v = match p.peek() {
        None => Json::Null,
        Some(line) => p.node::<Build>(line.indent, keep)?,
    };
    p.skip_blank();
    // Lines the scanner refused end the text early: `bad` tells.
    (p.eof && !p.bad).then_some(v)
}

/// Whether the structural functions build what they read as JSON ([`Build`]) or only
/// check it ([`Check`]); one code for both, compiled twice.
trait Mode {
    /// What a node gives: `Json`, or `()` when only checked.
    type V;
    const BUILD: bool;
    /// `null`, or nothing when not built.
    fn null() -> Self::V;
    /// A value built, or nothing when not built (`v` is then a stand-in).
    fn wrap(v: Json) -> Self::V;
    fn unwrap(v: Self::V) -> Json;
}

struct Build;

impl Mode for Build {
    type V = Json;
    const BUILD: bool = true;
    fn null() -> Json {
        Json::Null
    }
    fn wrap(v: Json) -> Json {
        v
    }
    fn unwrap(v: Json) -> Json {
        v
    }
}

struct Check;

impl Mode for Check {
    type V = ();
    const BUILD: bool = false;
    fn null() {}
    fn wrap(_: Json) {}
    fn unwrap(_: ()) -> Json {
        Json::Null
    }
}

/// "None" for the offsets of [`Line`].
const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Line<'a> {
    /// Column of the first character of `text`.
    indent: usize,
    /// The line from `indent` on, without trailing spaces.
    text: &'a str,
    /// How many spaces ended the line (text of literal block scalars).
    trail: u32,
    /// Offset in `text` of the first `:` followed by a space or the line end, or NONE.
    /// Quotes are not looked at: this is only used for plain keys and scalars.
    colon: u32,
    /// Offset of the second such `:`, or NONE.
    colon2: u32,
    /// Offset of the first `#` that starts a comment (at the start or after a space; quotes
    /// not looked at), or NONE.
    hash: u32,
    /// Empty, only spaces, or a comment.
    blank: bool,
    /// Has a tab (allowed only in literal block text).
    tab: bool,
}

impl<'a> Line<'a> {
    const EMPTY: Line<'static> = Line {
        indent: 0,
        text: "",
        trail: 0,
        colon: NONE,
        colon2: NONE,
        hash: NONE,
        blank: true,
        tab: false,
    };

    /// The same line from byte `k` of `text` on (after `- `, which has no `:` or `#`),
    /// at column `indent`.
    #[inline(always)]
    fn from(&self, k: usize, indent: usize) -> Line<'a> {
        let shift = |x: u32| if x == NONE { NONE } else { x - k as u32 };
        Line {
            indent,
            text: &self.text[k..],
            colon: shift(self.colon),
            colon2: shift(self.colon2),
            hash: shift(self.hash),
            ..*self
        }
    }

    /// Where a plain scalar that is the whole line ends, when the line is not a key.
    #[inline(always)]
    fn scalar_end(&self) -> Plain {
        if self.colon < self.hash {
            Plain::Scan
        } else {
            Plain::End(self.hash as usize)
        }
    }
}

/// What is known of a plain scalar from its line's [`Line`] offsets.
#[derive(Clone, Copy)]
enum Plain {
    /// It has a `: `: not a scalar.
    Bad,
    /// It ends (at a comment or the line end) at this offset, or the text's end if sooner.
    End(usize),
    /// Unknown: read it.
    Scan,
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// Whether the line scanner looks at byte `c`: `:`, `#`, and what is not printable ASCII
/// (line feeds, tabs, control characters, DEL, bytes of multi-byte characters).
#[inline(always)]
fn is_stop(c: u8) -> bool {
    (c.wrapping_sub(0x20) >= 0x5f) | (c == b':') | (c == b'#')
}

/// [`is_stop`] of eight bytes at once (`w`, little-endian: byte `k` is the `k`-th), as 1 in
/// each byte it holds for, else 0. Computed where the scanner reads rather than as a table
/// of the whole text beforehand: a table of a 1.4 MB CRD's bytes cost 350 page faults of
/// fresh memory, more than the scan. Exact: with the top bits set aside, each byte is at
/// most 0x7f, so adding at most 0x7f to it never carries into the next.
#[inline(always)]
fn stops8(w: u64) -> u64 {
    const HIGH: u64 = ONES * 0x80;
    const LOW: u64 = ONES * 0x7f;
    let x = w & LOW;
    // The top bit of each byte of x + ONES * k is set when x's byte is 0x80 - k or more.
    let control = !(x + ONES * 0x60) & HIGH;
    let del = (x + ONES) & HIGH;
    let is = |c: u8| !((x ^ (ONES * u64::from(c))) + LOW) & HIGH;
    ((w & HIGH) | control | del | is(b':') | is(b'#')) >> 7
}

/// Index of the first byte from `i` on that is not a space, or `b.len()`.
fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap()) ^ (ONES * u64::from(b' '));
        if w != 0 {
            return i + (w.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    i
}

/// What the line scanner has seen of the current line.
struct Scan {
    text_start: usize,
    colon: u32,
    colon2: u32,
    hash: u32,
    tab: bool,
}

impl Scan {
    /// Look at byte `i` (one [`is_stop`] holds for): `Some(true)` at the line end, `None`
    /// for what the subset leaves to libyaml.
    #[inline(always)]
    fn stop(&mut self, b: &[u8], i: usize) -> Option<bool> {
        match b[i] {
            b'\n' => return Some(true),
            b':' => {
                if self.colon2 == NONE && matches!(b.get(i + 1), None | Some(b' ' | b'\n')) {
                    let at = (i - self.text_start) as u32;
                    if self.colon == NONE {
                        self.colon = at;
                    } else {
                        self.colon2 = at;
                    }
                }
            }
            b'#' => {
                if self.hash == NONE && (i == self.text_start || b[i - 1] == b' ') {
                    self.hash = (i - self.text_start) as u32;
                }
            }
            b'\t' => {
                if i == self.text_start {
                    // In the indentation.
                    return None;
                }
                self.tab = true;
            }
            // C1 controls (NEL is a line break to libyaml), U+2028/U+2029 (line breaks),
            // byte order marks, U+FFFE/U+FFFF.
            0xc2 if (0x80..=0x9f).contains(&b[i + 1]) => return None,
            0xe2 if b[i + 1] == 0x80 && matches!(b[i + 2], 0xa8 | 0xa9) => return None,
            0xef if b[i + 1] == 0xbb && b[i + 2] == 0xbf
                || b[i + 1] == 0xbf && b[i + 2] >= 0xbe =>
            {
                return None;
            }
            // Other characters.
            0x20..=0x7e | 0x80.. => {}
            // CR, other control characters, DEL.
            _ => return None,
        }
        Some(false)
    }
}

/// The line of `src` from byte `start` (lines split at `\n`, as `str::split` does) with
/// its `: ` and comment offsets, and where the next one starts; `None` for what libyaml
/// reads differently from a plain `\n`-separated text: CR, control characters, DEL, C1
/// controls, Unicode line breaks, byte order marks, U+FFFE/U+FFFF, and tabs in
/// indentation.
#[inline(always)]
fn scan_line<'a>(src: &'a str, start: usize) -> Option<(Line<'a>, usize)> {
    let b = src.as_bytes();
    let n = b.len();
    let text_start = skip_spaces(b, start);
    let mut s = Scan {
        text_start,
        colon: NONE,
        colon2: NONE,
        hash: NONE,
        tab: false,
    };
    let mut i = text_start;
    let end = 'line: loop {
        let Some(chunk) = b.get(i..i + 8) else {
            while i < n {
                if is_stop(b[i]) && s.stop(b, i)? {
                    break 'line i;
                }
                i += 1;
            }
            break n;
        };
        // Eight flags (0 or 1) at a time.
        let mut m = stops8(u64::from_le_bytes(chunk.try_into().unwrap()));
        while m != 0 {
            let j = i + (m.trailing_zeros() / 8) as usize;
            if s.stop(b, j)? {
                break 'line j;
            }
            m &= m - 1;
        }
        i += 8;
    };
    let mut text_end = end;
    while text_end > text_start && b[text_end - 1] == b' ' {
        text_end -= 1;
    }
    let text = &src[text_start..text_end];
    let line = Line {
        indent: text_start - start,
        text,
        trail: (end - text_end) as u32,
        colon: s.colon,
        colon2: s.colon2,
        hash: s.hash,
        blank: text.is_empty() || s.hash == 0,
        tab: s.tab,
    };
    Some((line, end + 1))
}

/// Reads the text a line at a time (each line is scanned once, when reached).
struct Parser<'a> {
    /// How plain scalars are typed.
    schema: Schema,
    /// How many [`Parser::nested`] calls are open (see [`MAX_NESTING`]).
    depth: u32,
    src: &'a str,
    /// The current line, unless `eof`.
    line: Line<'a>,
    /// Where the line after it starts (past the end: there is none).
    next: usize,
    /// No more lines.
    eof: bool,
    /// The scanner found what the subset leaves to libyaml (and so ended the text).
    bad: bool,
    /// Keys of the maps being read (each pushes its keys and pops them when it ends), for
    /// the duplicate check and for building them at their exact size.
    keys: Vec<Cow<'a, str>>,
    /// Values of the maps and sequences being built, likewise.
    values: Vec<Json>,
}

#[inline(always)]
fn is_seq_entry(t: &str) -> bool {
    let b = t.as_bytes();
    b.first() == Some(&b'-') && (b.len() == 1 || b[1] == b' ')
}

#[inline(always)]
fn trim_end_sp(s: &str) -> &str {
    let b = s.as_bytes();
    let mut n = b.len();
    while n > 0 && b[n - 1] == b' ' {
        n -= 1;
    }
    &s[..n]
}

/// Whether `keys` holds the same key twice (it may reorder them).
#[inline(always)]
fn has_duplicates(keys: &mut [Cow<'_, str>]) -> bool {
    keys.len() > 1 && has_duplicates_slow(keys)
}

fn has_duplicates_slow(keys: &mut [Cow<'_, str>]) -> bool {
    if keys.len() <= 16 {
        (1..keys.len()).any(|i| keys[..i].contains(&keys[i]))
    } else {
        keys.sort_unstable();
        keys.windows(2).any(|w| w[0] == w[1])
    }
}

/// A map key line split: the key, the value's text and what is known of it as a plain
/// scalar.
type Entry<'a> = (Cow<'a, str>, &'a str, Plain);

impl<'a> Parser<'a> {
    /// Go to the next line.
    fn advance(&mut self) {
        if self.next > self.src.len() {
            self.eof = true;
            return;
        }
        match scan_line(self.src, self.next) {
            Some((line, next)) => {
                self.line = line;
                self.next = next;
            }
            None => {
                self.eof = true;
                self.bad = true;
            }
        }
    }

    /// The current line, if any.
    #[inline(always)]
    fn peek(&self) -> Option<Line<'a>> {
        (!self.eof).then_some(self.line)
    }

    #[inline(always)]
    fn skip_blank(&mut self) {
        while !self.eof && self.line.blank {
            self.advance();
        }
    }

    /// The node starting at the current line, which has indentation `indent`. `keep` is
    /// what to build of it (in [`Build`] mode).
    fn node<M: Mode>(&mut self, indent: usize, keep: Keep) -> Option<M::V> {
        let line = self.line;
        if line.tab {
            return None;
        }
        // A key line starts a map (a plain key ends at the first `: `, unless a comment
        // comes first; what is wrong with the key, the map finds).
        let is_key = match line.text.as_bytes()[0] {
            b'"' | b'\'' => split_key(&line, self.schema)?.is_some(),
            b'[' | b'{' => false,
            _ => line.colon < line.hash,
        };
        if is_seq_entry(line.text) {
            self.seq::<M>(indent, false)
        } else if is_key {
            self.map::<M>(indent, keep)
        } else {
            // A lone scalar (or flow collection) on one line.
            self.advance();
            let v = inline_value::<M>(line.text, line.scalar_end(), self.schema)?;
            self.end_inline(indent)?;
            Some(v)
        }
    }

    /// After a value written on one line: a more indented line would continue a
    /// multi-line scalar.
    #[inline(always)]
    fn end_inline(&mut self, indent: usize) -> Option<()> {
        self.skip_blank();
        match self.peek() {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }

    /// The next entry of a block map at `indent`, the line read: `None` at the map's end,
    /// `Some(None)` when the line is outside the subset or wrongly indented.
    #[allow(clippy::option_option)]
    #[inline(always)]
    fn map_entry(&mut self, indent: usize) -> Option<Option<Entry<'a>>> {
        self.skip_blank();
        let line = self.peek()?;
        if line.indent < indent || line.indent == indent && is_seq_entry(line.text) {
            return None;
        }
        if line.indent > indent || line.tab {
            return Some(None);
        }
        let entry = split_key(&line, self.schema).flatten();
        self.advance();
        Some(entry)
    }

    fn map<M: Mode>(&mut self, indent: usize, keep: Keep) -> Option<M::V> {
        let base = self.keys.len();
        if !M::BUILD {
            while let Some(entry) = self.map_entry(indent) {
                let (key, rest, plain) = entry?;
                self.value_after::<Check>(rest, plain, indent, true, Keep::All)?;
                self.keys.push(key);
            }
            // Duplicate keys are an error the full parser reports with its position.
            if has_duplicates(&mut self.keys[base..]) {
                return None;
            }
            self.keys.truncate(base);
            return Some(M::null());
        }
        if keep == Keep::All {
            // Built at its exact size; the map finds duplicate keys.
            let values_base = self.values.len();
            while let Some(entry) = self.map_entry(indent) {
                let (key, rest, plain) = entry?;
                let value = self.value_after::<Build>(rest, plain, indent, true, Keep::All)?;
                self.keys.push(key);
                self.values.push(value);
            }
            let mut out = Map::with_capacity(self.keys.len() - base);
            let keys = self.keys.drain(base..);
            for (k, v) in keys.zip(self.values.drain(values_base..)) {
                if out.insert(k.into_owned(), v).is_some() {
                    return None;
                }
            }
            return Some(M::wrap(Json::Object(out)));
        }
        // Some keys are built (`Keep::Head`, `Keep::Meta`), the others only checked.
        // Room for the usual keys: apiVersion, kind, metadata; name, namespace (a map with
        // more grows).
        let mut out = Map::with_capacity(if keep == Keep::Head { 3 } else { 2 });
        while let Some(entry) = self.map_entry(indent) {
            let (key, rest, plain) = entry?;
            match keep.child(&key) {
                Some(child) => {
                    let value = self.value_after::<Build>(rest, plain, indent, true, child)?;
                    out.insert(key.to_string(), value);
                }
                None => self.value_after::<Check>(rest, plain, indent, true, Keep::All)?,
            }
            self.keys.push(key);
        }
        if has_duplicates(&mut self.keys[base..]) {
            return None;
        }
        self.keys.truncate(base);
        Some(M::wrap(Json::Object(out)))
    }

    /// A block sequence at `indent`; `in_map` when it is the value of a map key at the
    /// same indentation (which a key line at `indent` then continues). Built whole or
    /// not at all (`Keep::Head` and `Keep::Meta` select map keys).
    fn seq<M: Mode>(&mut self, indent: usize, in_map: bool) -> Option<M::V> {
        let base = self.values.len();
        loop {
            self.skip_blank();
            let Some(line) = self.peek() else {
                break;
            };
            if line.indent < indent {
                break;
            }
            if line.indent > indent || line.tab {
                return None;
            }
            if !is_seq_entry(line.text) {
                if in_map {
                    break;
                }
                return None;
            }
            let k = 1 + line.text[1..].bytes().take_while(|&c| c == b' ').count();
            let col = line.indent + k;
            let after = line.from(k, col);
            let item = match after.text.as_bytes().first() {
                None | Some(b'#') => {
                    self.advance();
                    self.nested::<M>(indent, false, Keep::All)?
                }
                _ if is_seq_entry(after.text) => return None,
                // `- |`: a literal block scalar as the entry; `- 'text` a quoted one over
                // several lines.
                Some(&c @ (b'|' | b'\'')) if c == b'|' || !closes_on_its_line(after.text) => {
                    self.advance();
                    self.value_after::<M>(after.text, Plain::Bad, indent, false, Keep::All)?
                }
                _ => {
                    if split_key(&after, self.schema)?.is_some() {
                        // `- key: value`: a map whose keys line up with `key`.
                        self.line = after;
                        self.map::<M>(col, Keep::All)?
                    } else {
                        self.advance();
                        let plain = after.scalar_end();
                        self.value_after::<M>(after.text, plain, indent, false, Keep::All)?
                    }
                }
            };
            if M::BUILD {
                self.values.push(M::unwrap(item));
            }
        }
        if M::BUILD {
            Some(M::wrap(Json::Array(self.values.drain(base..).collect())))
        } else {
            Some(M::null())
        }
    }

    /// The value of a key or sequence entry whose inline text is `rest`.
    #[inline(always)]
    fn value_after<M: Mode>(
        &mut self,
        rest: &'a str,
        plain: Plain,
        indent: usize,
        in_map: bool,
        keep: Keep,
    ) -> Option<M::V> {
        match rest.as_bytes().first() {
            None | Some(b'#') => self.nested::<M>(indent, in_map, keep),
            Some(b'|') => {
                let text = self.literal(&rest[1..], indent, M::BUILD)?;
                Some(if M::BUILD {
                    M::wrap(Json::String(text))
                } else {
                    M::null()
                })
            }
            Some(b'\'') if !closes_on_its_line(rest) => {
                let text = self.single_quoted_lines(rest, indent, M::BUILD)?;
                self.end_inline(indent)?;
                Some(M::wrap(Json::String(text)))
            }
            _ => {
                let v = inline_value::<M>(rest, plain, self.schema)?;
                if let Some(text) = self.plain_lines(rest, plain, indent, M::BUILD)? {
                    return Some(M::wrap(Json::String(text)));
                }
                self.end_inline(indent)?;
                Some(v)
            }
        }
    }

    /// A single-quoted scalar over several lines, its first line `first` (the value after
    /// a key or `- `, already read): folded as YAML folds them (the spaces around a
    /// line break dropped, the break a space, each empty line between a line break).
    /// `None` when outside the subset: a line not indented more than `indent`, a tab, the
    /// end of the text before the closing quote, or anything but a comment after it.
    fn single_quoted_lines(&mut self, first: &str, indent: usize, build: bool) -> Option<String> {
        let mut text = String::new();
        single_quoted_part(&first[1..], &mut text, build);
        let keep = trim_end_sp(&text).len();
        text.truncate(keep);
        let mut empty = 0;
        loop {
            let l = self.peek()?;
            if l.tab {
                return None;
            }
            if l.text.is_empty() {
                empty += 1;
                self.advance();
                continue;
            }
            if l.indent <= indent {
                return None;
            }
            if build {
                fold(&mut text, empty);
            }
            empty = 0;
            if let Some(close) = single_quoted_part(l.text, &mut text, build) {
                if !after_scalar(&l.text[close + 1..]) {
                    return None;
                }
                self.advance();
                return Some(text);
            }
            self.advance();
        }
    }

    /// The lines that continue a plain scalar whose first line is `first` (the value
    /// after a key or `- `, already read): the following lines indented more than
    /// `indent`, folded as YAML folds them (a line break between two lines of text is a
    /// space; each empty line between them, a line break). `Some(None)`: no line
    /// continues it; `None`: outside the subset (a continuation with a `: `, a comment or
    /// a tab, after a quoted or flow value, or after a first line with a comment). Empty
    /// lines are read either way. A multi-line plain scalar is always a string.
    fn plain_lines(
        &mut self,
        first: &'a str,
        plain: Plain,
        indent: usize,
        build: bool,
    ) -> Option<Option<String>> {
        let mut empty = 0;
        let mut text: Option<String> = None;
        while let Some(l) = self.peek() {
            if l.text.is_empty() {
                empty += 1;
                self.advance();
                continue;
            }
            if l.indent <= indent {
                break;
            }
            // A comment line ends the scalar (what follows it, the caller checks); inside
            // a multi-line one, leave it to libyaml.
            if l.hash == 0 {
                if text.is_some() {
                    return None;
                }
                break;
            }
            if text.is_none() {
                let end = match plain {
                    Plain::Bad => return None,
                    Plain::End(end) => end.min(first.len()),
                    Plain::Scan => plain_end(first)?,
                };
                let head = trim_end_sp(&first[..end]);
                if head.len() != first.len()
                    || matches!(first.as_bytes()[0], b'"' | b'\'' | b'[' | b'{')
                {
                    return None;
                }
                text = Some(if build {
                    head.to_string()
                } else {
                    String::new()
                });
            }
            if l.tab || l.colon != NONE || l.hash != NONE {
                return None;
            }
            if build {
                let t = text.as_mut()?;
                fold(t, empty);
                t.push_str(l.text);
            }
            empty = 0;
            self.advance();
        }
        Some(text)
    }

    /// A block node on the following lines, or null when there is none.
    fn nested<M: Mode>(&mut self, indent: usize, in_map: bool, keep: Keep) -> Option<M::V> {
        self.skip_blank();
        if self.depth >= MAX_NESTING {
            return None;
        }
        self.depth += 1;
        let v = match self.peek() {
            Some(next) if next.indent > indent => self.node::<M>(next.indent, keep),
            // `key:` followed by `- item` at the same indentation.
            Some(next) if in_map && next.indent == indent && is_seq_entry(next.text) => {
                self.seq::<M>(indent, true)
            }
            _ => Some(M::null()),
        };
        self.depth -= 1;
        v
    }

    /// A literal block scalar; `header` is what follows `|`. Checked always, its text
    /// built when `build` (else empty).
    fn literal(&mut self, header: &str, indent: usize, build: bool) -> Option<String> {
        let chomp = match header {
            "" => Chomp::Clip,
            "-" => Chomp::Strip,
            "+" => Chomp::Keep,
            h if h.starts_with('#') || h.starts_with(" #") => Chomp::Clip,
            _ => return None,
        };
        // Content indentation: that of the first line with text. Empty lines before it
        // must not have spaces beyond it (they would be text to libyaml).
        let mut leading = 0;
        let mut leading_indent = 0;
        while let Some(l) = self.peek().filter(|l| l.text.is_empty()) {
            leading += 1;
            leading_indent = leading_indent.max(l.indent);
            self.advance();
        }
        let ci = match self.peek() {
            Some(l) if l.indent > indent => l.indent,
            _ => {
                // Empty block scalar. With `|+` the empty lines would be its text.
                if matches!(chomp, Chomp::Keep) {
                    return None;
                }
                return Some(String::new());
            }
        };
        if leading_indent > ci {
            return None;
        }
        // The block: every following line that is empty or indented at least `ci`. A line
        // of spaces only, more than `ci` of them, is a line of text: those beyond `ci`.
        let mut text = String::new();
        if build {
            text.extend(std::iter::repeat_n('\n', leading));
        }
        // Empty lines since the last line with text.
        let mut empty = 0;
        let mut first = true;
        while let Some(l) = self.peek() {
            if l.text.is_empty() && l.indent <= ci {
                empty += 1;
            } else if l.indent < ci {
                break;
            } else {
                if build {
                    if !first {
                        text.push('\n');
                    }
                    text.extend(std::iter::repeat_n('\n', empty));
                    text.extend(std::iter::repeat_n(' ', l.indent - ci));
                    text.push_str(l.text);
                    text.extend(std::iter::repeat_n(' ', l.trail as usize));
                }
                first = false;
                empty = 0;
            }
            self.advance();
        }
        if !build {
            return Some(text);
        }
        // The line breaks after the last line with text: one for it and one for each empty
        // line, except at the end of the source, where the last line (the empty one after
        // a final newline, or one with text or spaces) has none.
        let breaks = if self.eof { empty } else { empty + 1 };
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => text.extend(std::iter::repeat_n('\n', breaks.min(1))),
            Chomp::Keep => text.extend(std::iter::repeat_n('\n', breaks)),
        }
        Some(text)
    }
}

/// A line break between two lines of a multi-line flow or plain scalar, with `empty`
/// empty lines between them, as YAML folds it: a space, or a line break for each empty
/// line.
fn fold(text: &mut String, empty: usize) {
    if empty == 0 {
        text.push(' ');
    }
    text.extend(std::iter::repeat_n('\n', empty));
}

enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// Split a `key: rest` (or `key:`) line. `Some(None)`: the line is not a map entry;
/// `None`: it is outside the subset. The key is borrowed unless it is a quoted key with
/// escapes.
#[allow(clippy::option_option)]
#[inline(always)]
fn split_key<'a>(line: &Line<'a>, schema: Schema) -> Option<Option<Entry<'a>>> {
    let t = line.text;
    match *t.as_bytes().first()? {
        b'"' | b'\'' => split_quoted_key(t),
        b'[' | b'{' => Some(None),
        b'?' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'|' | b'>' | b',' | b']' | b'}'
        | b':' => None,
        _ => {
            // A plain key ends at the first `: ` (or final `:`), unless a comment starts
            // first.
            if line.colon >= line.hash {
                return Some(None);
            }
            let colon = line.colon as usize;
            let key = &t[..colon];
            if key.ends_with(' ') || !plain_key_ok(key, schema) {
                return None;
            }
            let b = t.as_bytes();
            let mut v = colon + 1;
            while v < b.len() && b[v] == b' ' {
                v += 1;
            }
            // A plain value ends at the comment, and must not have a `: ` of its own.
            let plain = if line.colon2 < line.hash {
                Plain::Bad
            } else {
                Plain::End((line.hash as usize).saturating_sub(v))
            };
            Some(Some((Cow::Borrowed(key), &t[v..], plain)))
        }
    }
}

/// [`split_key`] for a line that starts with a quote.
#[allow(clippy::option_option)]
fn split_quoted_key(t: &str) -> Option<Option<Entry<'_>>> {
    let (key, used) = quoted(t, true)?;
    let rest = &t[used..];
    match rest.strip_prefix(':') {
        Some(r) if r.is_empty() || r.starts_with(' ') => {
            Some(Some((key, r.trim_start_matches(' '), Plain::Scan)))
        }
        _ => {
            let r = rest.trim_start_matches(' ');
            if r.is_empty() || r.starts_with('#') {
                Some(None)
            } else {
                None
            }
        }
    }
}

/// Whether a plain key reads as the same JSON key in the full parser: a string, or (in the
/// core schema) a decimal integer written the way it prints.
#[inline(always)]
fn plain_key_ok(key: &str, schema: Schema) -> bool {
    if schema.v2() {
        return matches!(v2::resolve(key), Scalar::Str | Scalar::Timestamp);
    }
    match key.as_bytes()[0] {
        b'a'..=b'e' | b'g'..=b'm' | b'o'..=b's' | b'u'..=b'z' => true,
        b'A'..=b'E' | b'G'..=b'M' | b'O'..=b'S' | b'U'..=b'Z' => true,
        _ => match classify(key) {
            Some(Kind::Str) => true,
            Some(Kind::Int(_)) => key.as_bytes()[0].is_ascii_digit(),
            _ => false,
        },
    }
}

/// A value written on one line (no trailing spaces): quoted or plain scalar, or a flow
/// collection. `plain` is what is known of it as a plain scalar.
#[inline(always)]
fn inline_value<M: Mode>(t: &str, plain: Plain, schema: Schema) -> Option<M::V> {
    let first = *t.as_bytes().first()?;
    match first {
        b'"' | b'\'' => {
            let (s, used) = quoted(t, M::BUILD)?;
            if !after_scalar(&t[used..]) {
                return None;
            }
            Some(if M::BUILD {
                M::wrap(Json::String(s.into_owned()))
            } else {
                M::null()
            })
        }
        b'[' | b'{' => flow_value(t, M::BUILD, schema).map(M::wrap),
        b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'|' | b'>' | b'?' | b',' | b']' | b'}' => None,
        _ => {
            let end = match plain {
                Plain::Bad => return None,
                Plain::End(end) => end.min(t.len()),
                Plain::Scan => plain_end(t)?,
            };
            let s = trim_end_sp(&t[..end]);
            if M::BUILD {
                type_plain(s, schema).map(M::wrap)
            } else {
                (!is_dash_entry(s)).then(M::null)
            }
        }
    }
}

/// Whether what follows a quoted scalar on its line is nothing or a comment.
fn after_scalar(rest: &str) -> bool {
    let r = rest.trim_start_matches(' ');
    r.is_empty() || r.starts_with('#') && rest.starts_with(' ')
}

/// A flow collection that is the whole value (but for a comment).
fn flow_value(t: &str, build: bool, schema: Schema) -> Option<Json> {
    let mut f = Flow {
        schema,
        depth: 0,
        s: t.as_bytes(),
        src: t,
        i: 0,
        build,
    };
    let v = f.value()?;
    f.ws();
    let rest = &t[f.i..];
    (rest.is_empty() || rest.starts_with('#') && t[..f.i].ends_with(' ')).then_some(v)
}

/// Where a plain scalar ends (at a comment), `None` when it has a `: ` (or ends with `:`)
/// and so is not one.
fn plain_end(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b':' if i + 1 == b.len() || b[i + 1] == b' ' => return None,
            b'#' if i > 0 && b[i - 1] == b' ' => return Some(i),
            _ => {}
        }
    }
    Some(b.len())
}

/// How the YAML 1.2 core schema (and serde_norway) types a plain scalar, as far as can be
/// told without parsing a number.
enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Str,
    /// Could be a number (`1.5`, `0x1F`, `+1`, `.inf`): only the full parser knows.
    Number,
}

/// A lone `-` or `- x` where a scalar should be is a sequence entry in the wrong place:
/// not a plain scalar (the full parser reports the error).
#[inline(always)]
fn is_dash_entry(s: &str) -> bool {
    s == "-" || s.starts_with("- ")
}

/// Type a plain scalar; `None` when it is not one.
fn classify(s: &str) -> Option<Kind> {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return Some(Kind::Null);
    };
    match first {
        b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' => Some(match s {
            "~" | "null" | "Null" | "NULL" => Kind::Null,
            "true" | "True" | "TRUE" => Kind::Bool(true),
            "false" | "False" | "FALSE" => Kind::Bool(false),
            _ => Kind::Str,
        }),
        b'0'..=b'9' | b'-' | b'+' | b'.' => {
            if is_dash_entry(s) {
                return None;
            }
            // Document markers when alone on a line, but text after a key or `- `.
            if s == "---" || s == "..." {
                return Some(Kind::Str);
            }
            // Decimal integers without leading zeros that fit an i64.
            let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
            if !digits.is_empty()
                && digits.len() <= 18
                && (digits == b"0" || digits[0] != b'0')
                && digits.iter().all(u8::is_ascii_digit)
            {
                let n = digits
                    .iter()
                    .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
                return Some(Kind::Int(if first == b'-' { -n } else { n }));
            }
            // A character no YAML number (decimal, hex, octal, binary, float, .inf, .nan)
            // contains makes it a string: `100m`, `128Mi`, `10.244.0.0/16`, `12:30`, `v1`.
            let numeric_char = |c: &u8| c.is_ascii_hexdigit() || b".+-_xXoOiInN".contains(c);
            Some(if b.iter().all(numeric_char) {
                Kind::Number
            } else {
                Kind::Str
            })
        }
        _ => Some(Kind::Str),
    }
}

/// Type a plain scalar as `schema` does; when not `build`, only check it is one (null).
#[inline(always)]
fn resolve(s: &str, build: bool, schema: Schema) -> Option<Json> {
    if build {
        type_plain(s, schema)
    } else {
        (!is_dash_entry(s)).then_some(Json::Null)
    }
}

/// [`resolve`] building the value.
fn type_plain(s: &str, schema: Schema) -> Option<Json> {
    if schema.v2() {
        return v2_plain(s, schema == Schema::Kube);
    }
    Some(match classify(s)? {
        Kind::Null => Json::Null,
        Kind::Bool(b) => Json::Bool(b),
        Kind::Int(n) => Json::from(n),
        Kind::Str => Json::String(s.to_string()),
        // Anything else that could be a number: ask the full parser about this one scalar.
        Kind::Number => match crate::yaml::parse(s) {
            Ok(v @ (Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_))) => v,
            _ => return None,
        },
    })
}

/// A plain scalar as goyaml.v2 types it (see [`super::helm`]): numbers as float64, or with
/// `ints` as [`v2::number_json`] gives them. `None` for what the full parser refuses (a
/// number JSON cannot hold: `.inf`, `.nan`) or reads otherwise (a sequence entry in the
/// wrong place).
fn v2_plain(s: &str, ints: bool) -> Option<Json> {
    if is_dash_entry(s) {
        return None;
    }
    match v2::resolve(s) {
        Scalar::Null => Some(Json::Null),
        Scalar::Bool(b) => Some(Json::Bool(b)),
        Scalar::Str | Scalar::Timestamp | Scalar::Merge => Some(Json::String(s.into())),
        n => v2::number_json(&n, ints),
    }
}

/// A quoted scalar at the start of `t` (single line only): its value and the bytes used.
/// The value is borrowed when it has no escapes; when not `build`, escaped values are
/// only checked (and empty).
fn quoted(t: &str, build: bool) -> Option<(Cow<'_, str>, usize)> {
    if t.as_bytes()[0] == b'"' {
        double_quoted(t, build)
    } else {
        single_quoted(t, build)
    }
}

fn double_quoted(t: &str, build: bool) -> Option<(Cow<'_, str>, usize)> {
    let b = t.as_bytes();
    let mut i = 1;
    // Plain text up to the closing quote or the first escape.
    while i < b.len() && b[i] != b'"' && b[i] != b'\\' {
        i += 1;
    }
    if *b.get(i)? == b'"' {
        return Some((Cow::Borrowed(&t[1..i]), i + 1));
    }
    let mut out = String::new();
    if build {
        out.push_str(&t[1..i]);
    }
    let mut chars = t[i..].char_indices().map(|(j, c)| (i + j, c));
    while let Some((j, c)) = chars.next() {
        let c = match c {
            '"' => return Some((Cow::Owned(out), j + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    '\\' => '\\',
                    '"' => '"',
                    '/' => '/',
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'e' => '\u{1b}',
                    'f' => '\u{c}',
                    'v' => '\u{b}',
                    ' ' => ' ',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    'x' | 'u' | 'U' => {
                        let digits = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut code = 0u32;
                        for _ in 0..digits {
                            code = code * 16 + chars.next()?.1.to_digit(16)?;
                        }
                        char::from_u32(code)?
                    }
                    _ => return None,
                }
            }
            c => c,
        };
        if build {
            out.push(c);
        }
    }
    None
}

/// Whether a value starting with `'` has its closing quote on the same line.
fn closes_on_its_line(t: &str) -> bool {
    single_quoted_part(&t[1..], &mut String::new(), false).is_some()
}

/// The text of a single-quoted scalar in `t` (what follows the opening quote, or a
/// continuation line) up to its closing quote, `''` read as one quote, appended to `out`
/// when `build`: the offset of the closing quote, or `None` when `t` has none (all of
/// it was text).
fn single_quoted_part(t: &str, out: &mut String, build: bool) -> Option<usize> {
    let b = t.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) != Some(&b'\'') {
                if build {
                    out.push_str(&t[start..i]);
                }
                return Some(i);
            }
            if build {
                out.push_str(&t[start..=i]);
            }
            i += 2;
            start = i;
            continue;
        }
        i += 1;
    }
    if build {
        out.push_str(&t[start..]);
    }
    None
}

fn single_quoted(t: &str, build: bool) -> Option<(Cow<'_, str>, usize)> {
    let b = t.as_bytes();
    let mut i = 1;
    let mut start = 1;
    let mut out: Option<String> = None;
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                // `''` is one quote.
                if build {
                    let s = out.get_or_insert_with(String::new);
                    s.push_str(&t[start..=i]);
                }
                i += 2;
                start = i;
                continue;
            }
            let value = match out {
                Some(mut s) => {
                    s.push_str(&t[start..i]);
                    Cow::Owned(s)
                }
                None if build || start == 1 => Cow::Borrowed(&t[start..i]),
                None => Cow::Borrowed(""),
            };
            return Some((value, i + 1));
        }
        i += 1;
    }
    None
}

/// A single-line flow collection, built when `build`, else checked (and null).
struct Flow<'a> {
    /// How plain scalars are typed.
    schema: Schema,
    /// How many collections are open (see [`MAX_NESTING`]).
    depth: u32,
    s: &'a [u8],
    src: &'a str,
    i: usize,
    build: bool,
}

impl<'a> Flow<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }

    /// A plain scalar: up to a flow indicator or a `:` that separates a value.
    fn plain(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            if matches!(c, b',' | b']' | b'}' | b'[' | b'{')
                || c == b':'
                    && (self.i + 1 >= self.s.len()
                        || matches!(self.s[self.i + 1], b' ' | b',' | b']' | b'}'))
            {
                break;
            }
            if c == b'#' && self.i > start && self.s[self.i - 1] == b' ' {
                return None;
            }
            self.i += 1;
        }
        let text = trim_end_sp(&self.src[start..self.i]);
        (!text.is_empty()).then_some(text)
    }

    /// A key of a flow map: a quoted scalar or a plain one that is a string.
    fn key(&mut self) -> Option<Cow<'a, str>> {
        match *self.s.get(self.i)? {
            b'"' | b'\'' => {
                let (s, used) = quoted(&self.src[self.i..], true)?;
                self.i += used;
                Some(s)
            }
            b'[' | b'{' | b'&' | b'*' | b'!' | b'?' | b'#' | b'|' | b'>' | b'@' | b'`' | b'%' => {
                None
            }
            _ => {
                let s = self.plain()?;
                let string = match self.schema {
                    Schema::Core => matches!(classify(s)?, Kind::Str),
                    schema => plain_key_ok(s, schema),
                };
                string.then_some(Cow::Borrowed(s))
            }
        }
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        let c = *self.s.get(self.i)?;
        if matches!(c, b'[' | b'{') {
            if self.depth >= MAX_NESTING {
                return None;
            }
            self.depth += 1;
            let v = self.collection(c);
            self.depth -= 1;
            return v;
        }
        self.scalar(c)
    }

    /// A flow sequence or map, `c` its opening bracket.
    fn collection(&mut self, c: u8) -> Option<Json> {
        match c {
            b'[' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Some(if self.build {
                            Json::Array(out)
                        } else {
                            Json::Null
                        });
                    }
                    let v = self.value()?;
                    if self.build {
                        out.push(v);
                    }
                    self.ws();
                    match *self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b']' => {}
                        _ => return None,
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut out = Map::new();
                // Keys of a map not built, for the duplicate check.
                let mut seen: Vec<Cow<'a, str>> = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        if has_duplicates(&mut seen) {
                            return None;
                        }
                        return Some(if self.build {
                            Json::Object(out)
                        } else {
                            Json::Null
                        });
                    }
                    let key = self.key()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    let v = self.value()?;
                    if self.build {
                        if out.insert(key.into_owned(), v).is_some() {
                            return None;
                        }
                    } else {
                        seen.push(key);
                    }
                    self.ws();
                    match *self.s.get(self.i)? {
                        b',' => self.i += 1,
                        b'}' => {}
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }

    /// A scalar, `c` its first byte.
    fn scalar(&mut self, c: u8) -> Option<Json> {
        match c {
            b'"' | b'\'' => {
                let (s, used) = quoted(&self.src[self.i..], self.build)?;
                self.i += used;
                Some(if self.build {
                    Json::String(s.into_owned())
                } else {
                    Json::Null
                })
            }
            b'&' | b'*' | b'!' | b'?' | b'#' | b'|' | b'>' | b'@' | b'`' | b'%' => None,
            _ => {
                let text = self.plain()?;
                resolve(text, self.build, self.schema)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_stop, stops8};

    /// Every byte value at every one of the eight places, among neighbours that are and
    /// are not stops themselves (a carry or borrow would show as a wrong neighbour).
    #[test]
    fn eight_bytes_at_once_flag_what_one_at_a_time_flags() {
        let fills = [b'a', b' ', b':', 0x7f, 0x80, 0xff, b'\n', 0x1f, 0x20, b'~'];
        for fill in fills {
            for place in 0..8 {
                for c in 0..=255u8 {
                    let mut bytes = [fill; 8];
                    bytes[place] = c;
                    let want = bytes
                        .iter()
                        .enumerate()
                        .fold(0u64, |m, (k, &b)| m | u64::from(is_stop(b)) << (8 * k));
                    let got = stops8(u64::from_le_bytes(bytes));
                    assert_eq!(got, want, "bytes {bytes:02x?}");
                }
            }
        }
    }
}
