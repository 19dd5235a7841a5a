//! The fast YAML subset parser against the full parser: wherever the fast one returns a
//! value it must equal the full parser's, and it must accept the bulk of real manifests
//! (every document under golden/ and a set of tricky cases), or it is not worth having.

use kpack::manifest::split_documents;
use kpack::yaml::{self, fast};

/// Every file under `dir`, at any depth.
fn files_under(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files
}

fn golden_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden")
}

/// Every document of every golden file (the `# Source:` comments are part of documents).
fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for p in files_under(golden_dir()) {
        let text = std::fs::read_to_string(&p).unwrap();
        if text.starts_with("exit:") || text.trim_start().starts_with('{') {
            continue;
        }
        out.extend(split_documents(&text).into_iter().map(str::to_string));
    }
    out
}

const TRICKY: &[&str] = &[
    "a: 1\nb:\n  - x\n  - y: 2\n    z: [1, 2]\n",
    "a:\n- x\n- y\n",
    "k: |\n  line\n    indented\n\n  after blank\n",
    "k: |-\n  no newline\nnext: 1\n",
    "k: |+\n  keep\n\nnext: 1\n",
    "k: |\n\n  leading blank\n",
    "k: 'it''s'\nj: \"tab\\there \\u00e9\"\n",
    "k: x # comment\nj: x#notcomment\n",
    "list:\n  -\n  - a\n  -   b\n",
    "empty: {}\nnone: []\nnull1: ~\nnull2:\nnum: 0x1F\noct: 0777\nf: 1.5\nneg: -3\nbig: 12345678901234567890\n",
    "ip: 10.244.0.0/16\ntime: 12:30\ndate: 2024-01-01\nver: v1.2\n",
    "cpu: 100m\nmem: 128Mi\nexp: 1e3\nexp2: 1E-2\nhex: 0xff\nbin: 0b101\ninf: .inf\nninf: -.Inf\nnan: .NaN\nodd: 1.2.3\nlead: 01.5\nplus: +12\nund: 1_0\nhexish: 0xZZ\n",
    "- a\n- - nested\n",
    "k: >\n  folded\n  text\n",
    "anchors: &a {x: 1}\nref: *a\n",
    "k: !!str 123\n",
    "? complex\n: value\n",
    "multi: first\n  continued\n",
    "bad: [unclosed\n",
    "bad: a: b\n",
    "  indented: doc\n  second: 2\n",
    "k: \"multi\n  line\"\n",
    "a: 1\na: 2\n",
    "\"quoted key\": 1\n'single': 2\n",
    "k: [a, {b: c}, \"d\"]\n",
    "k: {a: [1, 2], b: 'x'}\n",
    "url: http://example.com:8080/path\n",
    "cmd:\n  - --flag=value\n  - -v\n  - \"--quoted\"\n",
    "k: - not a seq\n",
    "just a scalar\n",
    "",
    "# only a comment\n",
    // Scalars that are special alone on a line but text after a key or `- `.
    "k: ---\n",
    "k: ...\n",
    "- ---\n",
    "k: [---, ...]\n",
    // Plain keys the full parser types: `~`, `True`, `0x10` and `-0` are other JSON keys.
    "~: a\n",
    "0x10: a\n",
    "True: a\n",
    "1.0: a\n",
    "1: a\n404: b\n",
    "-0: a\n",
    "null: a\n",
    "-: a\n",
    // Tabs: separators to libyaml, so only literal block text may have them.
    "k:\tvalue\n",
    "k: a\t#c\n",
    "-\tx\n",
    "k: \"a\tb\"\n",
    "k: |\n  a\tb\n",
    "k:\n\tj: 1\n",
    // Unicode whitespace is text; Unicode line breaks and control characters are not.
    "k: a\u{3000}\n",
    "k: a\u{a0}\n",
    "- \u{3000}\n",
    "k: |\n  a\n  \u{3000}\n",
    "k: a\u{2028}b\n",
    "k: \"a\u{85}b\"\n",
    "k: a\u{1}b\n",
    "k: a\u{7f}b\n",
    "k: \u{feff}a\n",
    "\u{feff}k: a\n",
    "k: \"\u{9f}\"\n",
    // Literal blocks: empty ones, and lines with only spaces.
    "k: |+\n\nnext: 1\n",
    "k: |\n\nnext: 1\n",
    "k: |-\n\n\nnext: 1\n",
    "k: |\n    \nnext: 1\n",
    "k: |-\n   \n",
    "k: |\n  a\n   \n",
    "k: |\n  a\n   \nnext: 1\n",
    "k: |+\n  a\n   \nnext: 1\n",
    "k: |\n  a\n \n",
    "k: |\n \n  a\n",
    "k: |\n  a\n   \n  b\n",
    "k: |+\n  a\n\n\nnext: 1\n",
    "k: | # comment\n  a\n",
    "k: |2\n  a\n",
    "k: |\n    a\n  b\n",
    "- |\n  a\n- |-\n  b\n",
    // Escapes.
    "k: \"\\x+1\"\n",
    "k: \"\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\e\\ \\/\"\n",
    "k: \"\\ud800\"\n",
    "k: \"\\q\"\n",
    "k: 'a''b'''\n",
    "a:\n  b: 1\n c: 2\n",
    // A list at the indentation of its key, then more keys.
    "a:\n- x\n- y\nb: 1\nc:\n- z\n",
    "a:\n  b:\n  - x\n  c: 1\n",
    "a:\n- x\n b: 1\n",
    "a:\n- x\n  b: 1\n",
    "a:\n- x\nb: 1\n- y\n",
    "- x\nb: 1\n",
    // Where keys and plain scalars end: `: `, comments, quotes.
    "a\"b: 1\nit's: 2\n",
    "\"a: b\": c: d\n",
    "\"a: b\": c\n'd: e': f # g: h\n",
    "\"a #b\": x # c\n",
    "k: \"a: b\" # c: d\n",
    "k: 'a #b' # c\n",
    "k: v # a: b\n",
    "k: a:b\nj: x:\n",
    "k: a :\n",
    "k: a:  # c\n",
    "a:b: c\n",
    "k: #\nj: a #\n",
    "#c\nk: v\n",
    "k: v\n#c\n  #c2\n",
    "k:    \n  j: 1\n",
    "- a: b: c\n",
    "- a # b: c\n",
    "- 'q': v: w\n",
    "- a:b\n- c #: d\n",
    "k: [a: b]\n",
    "\u{43a}\u{43b}\u{44e}\u{447}: \u{437}\u{43d}\u{430}\u{447}\u{435}\u{43d}\u{438}\u{435}\n",
    "k: \u{e9}:x\n\u{e9}: \u{fc} # \u{f6}: x\n",
    "k: a\u{2029}b\n",
    "k: |\n  a\u{85}b\n",
];

/// Documents for the head-only mode: what is not kept must still be checked as thoroughly.
const HEAD_TRICKY: &[&str] = &[
    // Duplicate keys, in kept and skipped parts, spelled plain or quoted.
    "apiVersion: v1\nkind: A\nmetadata:\n  name: x\nspec:\n  a: 1\n  b: 2\n  a: 3\n",
    "apiVersion: v1\nkind: A\nmetadata:\n  name: x\nspec:\n  list:\n    - a: 1\n      a: 2\n",
    "apiVersion: v1\nkind: A\nmetadata:\n  name: x\nspec:\n  list:\n    - b: 1\n    - b: 2\n",
    "kind: A\nspec:\n  a: 1\n  \"a\": 2\n",
    "kind: A\nspec:\n  'a': 1\n  \"a\": 2\n",
    "kind: A\nspec:\n  \"a\\x41\": 1\n  aA: 2\n",
    "kind: A\nspec:\n  \"a\\x41\": 1\n  aB: 2\n",
    "kind: A\nspec:\n  'it''s': 1\n  \"it's\": 2\n",
    "kind: A\nspec:\n  a:\n    b: 1\n  c:\n    b: 2\n",
    "kind: A\nmetadata:\n  name: x\n  uid: 1\n  uid: 2\n",
    "kind: A\nmetadata:\n  name: x\n  name: y\n",
    "kind: A\nmetadata:\n  name: x\n  \"name\": y\n",
    "kind: A\nmetadata:\n  name: x\nkind: B\n",
    "kind: A\nspec: 1\nspec: 2\n",
    "kind: A\nspec: 1\n'spec': 2\n",
    // Indentation.
    "kind: A\nspec:\n  a: 1\n   b: 2\n",
    "kind: A\nspec:\n  a: 1\n b: 2\n",
    "kind: A\nspec:\n  - a\n   - b\n",
    "kind: A\nspec:\n  - a: 1\n     b: 2\n",
    "kind: A\nspec:\n  - a: 1\n   b: 2\n",
    "kind: A\nspec:\n  a:\n  - x\n  - y\n  b: 1\n",
    "kind: A\nspec:\n    a: 1\n  b: 2\n",
    // Multi-line plain scalars.
    "kind: A\nspec:\n  a: first\n    continued\n",
    "kind: A\nspec:\n  - first\n    continued\n",
    "kind: A\nspec:\n  a: first\n\n    continued\n",
    "kind: A\nspec: first\n  continued\n",
    // Keys and values with `#`.
    "kind: A\nspec:\n  a#b: 1\n  c: d#e\n  'x #y': 2\n  f: g # comment\n",
    "kind: A\nspec:\n  a #b: 1\n",
    "kind: A\nspec:\n  a: #comment\n    b: 1\n",
    // Number-like scalars.
    "kind: A\nspec:\n  a: 1.5\n  b: 0x1F\n  c: +1\n  d: .inf\n  e: 1e3\n  f: ---\n  g: ...\n  h: 0o17\n  i: 1_000\n  j: -.5\n",
    "kind: A\nspec:\n  - 1.5\n  - 0x1F\n  - [1.5, 0x1F, ---, +1]\n  - {a: 1.5, b: 0x1F}\n",
    "kind: A\nspec:\n  0x10: a\n",
    "kind: A\nspec:\n  ~: a\n",
    "kind: A\nspec:\n  1: a\n  \"1\": b\n",
    // `-` edge cases.
    "kind: A\nspec:\n  - \n  -\n  - - x\n",
    "kind: A\nspec:\n  -\n  - a\n",
    "kind: A\nspec:\n  a: - x\n",
    "kind: A\nspec:\n  a: -\n",
    "kind: A\nspec:\n  -x: 1\n",
    "kind: A\nspec:\n  - -x\n  - -1\n",
    "kind: A\nspec:\n  - # c\n    a: 1\n",
    "kind: A\nspec:\n  -   a: 1\n      b: 2\n",
    "kind: A\nspec:\n  - a: 1\n    b: 2\n  - c\n",
    "kind: A\nspec:\n  - a: 1\n    a: 2\n",
    "kind: A\nspec:\n- a\n- b\n",
    "kind: A\nspec:\n- a\n - b\n",
    // Literal blocks.
    "kind: A\nspec:\n  s: |\n    line\n      more\n\n    x: y\n    - z\n    # not a comment\n  t: 1\n",
    "kind: A\nspec:\n  s: |+\n    a\n\n",
    "kind: A\nspec:\n  s: |+\n    a\n\n  t: 1\n",
    "kind: A\nspec:\n  s: |\n    a\n     \n  t: 1\n",
    "kind: A\nspec:\n  s: |2\n    a\n",
    "kind: A\nspec:\n  s: |\n    a\n   b\n",
    "kind: A\nspec:\n  s: |\n  t: 1\n",
    "kind: A\nspec:\n  s: |\n    a\n  s: |\n    b\n",
    "kind: A\nspec:\n  - |\n    a\n  - |-\n    b\n",
    "kind: A\nspec:\n  s: >\n    folded\n",
    // Only parts that are not kept.
    "spec:\n  a: 1\n",
    "data:\n  k: v\n  k: w\n",
    "foo: bar\n",
    "- a\n- b\n",
    "- a: 1\n  kind: x\n",
    "scalar\n",
    "kind: A\nmetadata: [a, b]\n",
    "kind: A\nmetadata: x\n",
    // Quoted keys with escapes, kept and not.
    "\"a\\tb\": 1\n\"\\u00e9\": 2\n",
    "kind: A\nmetadata:\n  annotations:\n    \"a\\u0041\": x\n    'b''c': y\n    \"\": z\n",
    "kind: A\nspec:\n  \"a\\u0041\": x\n  'b''c': y\n  \"\": z\n",
    "kind: A\nspec:\n  \"a\\q\": x\n",
    "kind: A\nspec:\n  \"a\":b\n",
    // Flow collections.
    "kind: A\nspec:\n  f: {a: 1, a: 2}\n",
    "kind: A\nspec:\n  f: {a: 1, \"a\": 2}\n",
    "kind: A\nspec:\n  f: [1, {b: [c, d]}, 'e', \"f\\n\"]\n",
    "kind: A\nspec:\n  f: [a, b\n",
    "kind: A\nspec:\n  f: {a: 1} x\n",
    "kind: A\nspec:\n  f: {1: a}\n",
    "kind: A\nspec:\n  f: {}\n  g: []\n",
    // Bad scalars.
    "kind: A\nspec:\n  a: \"\\q\"\n",
    "kind: A\nspec:\n  a: \"\\x+1\"\n",
    "kind: A\nspec:\n  a: 'unterminated\n",
    "kind: A\nspec:\n  a: \"x\" y\n",
    "kind: A\nspec:\n  a: b: c\n",
    "kind: A\nspec:\n  a: &x 1\n",
    "kind: A\nspec:\n  a: :\n",
    // Tabs, control characters, CR.
    "kind: A\nspec:\n  a:\tb\n",
    "kind: A\nspec:\n\ta: b\n",
    "kind: A\nspec:\n  s: |\n    a\tb\n",
    "kind: A\nspec:\n  a: \"x\u{1}\"\n",
    "kind: A\nspec:\n  a: x\r\n",
    // Plain scalars over several lines: folded, always strings.
    "a: foo\n  - bar\n  baz\n",
    "a: foo\n  -bar\n\n  x  \n   \n  y\nb: 1\n",
    "a: foo\n\n\n  bar\n\nb: 1\n",
    "a: 1\n  2\n",
    "a: true\n  x\n",
    "a: foo\n  \"bar\"\n  [x] &y *z !t %u @v |w ? x ---\n",
    "k: foo\n  bar\n baz\n",
    "a:   foo   \n    bar   \n",
    "a: foo\n  bar:baz\n",
    "- foo\n bar\n- x\n",
    "- a: foo\n   bar\n  b: 1\n",
    "a: foo\n  \u{e9}\u{3000}\n",
    "a: foo\n  \u{3000}\n",
    "a: foo\n  b\u{85}c\n",
    "a: -x\n  y\n",
    "a: x # c\n  y\n",
    "a: x\n  # c\n  y\n",
    "a: x\n  # c\nb: 1\n",
    "a: x\n\n    # c\n\nb: 1\n",
    "a: x\n  y\n  # c\nb: 1\n",
    "- x\n  # c\n- y\n",
    "a: x\n# c\n  y\n",
    "a: x\n  y: z\n",
    "a: x\n  y:\n",
    "a: x\n  y #z\n",
    "a: x\n  y\tz\n",
    "a: \"x\"\n  y\n",
    "a: 'x'\n  y\n",
    "a: [x]\n  y\n",
    "a: -\n  x\n",
    "a:\n  b: foo\n bar\n",
    "a:\n  foo\n  bar\n",
    // Literal block scalars as sequence entries, and at the end of the text.
    "a:\n- |\n  x\n- y\n",
    "- |+\n  x\n\n",
    "- |\n  x",
    "a: |\n  x",
    "a: |\n  x\n  ",
    "a: |\n  x\n\n",
    "a: |-\n  x\n\n",
    "a: |+\n  x",
    "a: |+\n  x\n",
    "a: |+\n  x\n\n",
    "a: |+\n  x\n  ",
    "a: |+\n  x\n\n  \n",
    "a: |\n  x\n\nb: |+\n  y\n\n\nc: 1\n",
    "args:\n  - -ec\n  - |\n    a\n\n    b\n  - |\n    c\n  \n    d\n",
    "- |2\n  x\n",
    "- >\n  x\n",
    // Spaces beyond a literal block's indentation on an otherwise empty line are text.
    "a: |\n  x\n    \n",
    "a: |\n  x\n    \nb: 1\n",
    "a: |-\n  x\n    ",
    "a: |+\n  x\n    \n\n",
    "a: |\n  x\n    \n  y\n",
    "a: |\n    \n  x\n",
    // Single-quoted scalars over several lines.
    "a: 'x\n  y'\n",
    "a: 'x  \n   y  '\nb: 1\n",
    "a: 'x\n\n  y''z\n\n\n  w'  # c\nb: 1\n",
    "a: 'x\ny'\n",
    "a: 'x\n  y' z\n",
    "a: 'x\n  y",
    "a: 'it''s\n  ok'\n",
    "a: 'x #y\n  z: w'\n",
    "a: '\n  x'\n",
    "a: 'x\n  '\n",
    "a: 'x\n  '''\n",
    "a: '  x\n  y  '\n",
    "a: 'x\n  #y'\n",
    "a: 'x\n  ---'\n",
    "a: 'x\n  y\tz'\n",
    "a: ''\n  x\n",
    "- 'x\n  y'\n- z\n",
    "- ''\n  x\n",
    "- 'x\n  y' # c\n  - z\n",
    "- a: 'x\n    y'\n  b: 1\n",
];

/// Maps with many keys (the duplicate check sorts those), with and without a duplicate.
fn big_maps() -> Vec<String> {
    let mut out = Vec::new();
    for n in [5, 16, 17, 40] {
        let keys: String = (0..n).map(|i| format!("  key{i}: {i}\n")).collect();
        out.push(format!("kind: A\nspec:\n{keys}"));
        out.push(format!("kind: A\nspec:\n{keys}  key{}: again\n", n / 2));
        out.push(format!("kind: A\nspec:\n{keys}  \"key{}\": again\n", n - 1));
        out.push(format!(
            "kind: A\nspec:\n  - x: 1\n{}",
            keys.replace("  ", "    ")
        ));
        out.push(format!("kind: A\nmetadata:\n  name: a\n{keys}  name: b\n"));
    }
    out
}

/// `:` and `#` at every place in the 8-byte words the line scanner reads.
fn scanner_edges() -> Vec<String> {
    let mut out = Vec::new();
    for n in 0..20 {
        let (a, b) = ("a".repeat(n + 1), "b".repeat(n));
        out.push(format!("{a}: {b}x\n{b}y: {a}:{b}\n"));
        out.push(format!("{a}: {b}x: c\n"));
        out.push(format!("{a}: {b}x #c: d\n- {a}\n"));
        out.push(format!("- {a}: {b}x #c: d\n  {b}y:\n"));
        out.push(format!("k: {a} #{b}\n{a}{b}: z\n{b}k:"));
        out.push(format!("{a}: |\n  {b}: x #\n  # {a}\n"));
    }
    out
}

/// What `kpack::yaml::parse_head` keeps of a full parse.
fn head_of(full: &serde_json::Value) -> serde_json::Value {
    let mut want = full.clone();
    if let serde_json::Value::Object(m) = &mut want {
        m.retain(|k, _| matches!(k.as_str(), "apiVersion" | "kind" | "metadata"));
        if let Some(serde_json::Value::Object(meta)) = m.get_mut("metadata") {
            meta.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "name" | "namespace" | "generateName" | "annotations"
                )
            });
        }
    }
    want
}

/// Checks one document in both modes against the full parser; whether the fast parser
/// took it (the two modes must judge every document alike).
fn check(doc: &str) -> bool {
    let full = yaml::parse(doc);
    let all = match (fast::parse(doc), &full) {
        (Some(f), Ok(s)) => {
            assert_eq!(&f, s, "fast and full parsers differ on:\n{doc:?}");
            true
        }
        (Some(f), Err(e)) => panic!(
            "fast parser accepted what the full parser rejects ({e}):\n{doc:?}\nfast gave {f}"
        ),
        (None, _) => false,
    };
    let head = match (fast::parse_keep(doc, fast::Keep::Head), &full) {
        (Some(h), Ok(s)) => {
            assert_eq!(h, head_of(s), "head-only parse differs on:\n{doc:?}");
            true
        }
        (Some(h), Err(e)) => panic!(
            "head-only parse accepted what the full parser rejects ({e}):\n{doc:?}\nfast gave {h}"
        ),
        (None, _) => false,
    };
    assert_eq!(all, head, "the two modes judge differently:\n{doc:?}");
    all
}

#[test]
fn fast_parser_agrees_with_the_full_parser() {
    let corpus = corpus();
    let total = corpus.len();
    let accepted = corpus.iter().filter(|doc| check(doc)).count();
    for doc in TRICKY.iter().chain(HEAD_TRICKY) {
        check(doc);
    }
    for doc in big_maps() {
        check(&doc);
    }
    for doc in scanner_edges() {
        // All in the subset: taken exactly when valid.
        assert_eq!(check(&doc), yaml::parse(&doc).is_ok(), "{doc:?}");
    }
    assert!(total > 200, "corpus too small: {total}");
    assert!(
        accepted * 100 >= total * 95,
        "fast parser accepted only {accepted} of {total} golden documents"
    );
}

#[test]
fn fast_parser_takes_the_common_cases_itself() {
    // Not falling back is the point: these are read by the fast parser, in both modes.
    let docs = [
        "kind: A\nspec:\n  a: 1.5\n  b: 0x1F\n  c: ---\n  d: [1.5, +1]\n",
        "kind: A\nspec:\n  \"a\\u0041\": x\n  'b''c': y\n",
        "kind: A\nmetadata:\n  annotations:\n    \"a\\u0041\": x\n    'b''c': y\n",
        "kind: A\nspec:\n  s: |\n    line\n      more\n\n    x: y\n  t: |-\n    z\n",
        "kind: A\nspec:\n  - a: 1\n    b: [x, {y: z}]\n  -\n  - c\n",
        "kind: A\nspec:\n  a#b: 1\n  c: d#e # comment\n",
        "k: a\u{3000}\nj: \u{e9}\u{4e2d}\n",
        "k: |\n  a\tb\n",
        // What CRDs and bitnami's scripts are made of.
        "kind: A\nspec:\n  description: Operation contains information about a\n    running operation\n  type: object\n",
        "kind: A\nspec:\n  args:\n    - -ec\n    - |\n      . /opt/lib.sh\n  \n      run\n",
        "kind: A\ndata:\n  nginx.conf: |+\n    x\n\n",
        "kind: A\ndata:\n  nginx.conf: |+\n    x\n\n  y: 1\n",
        "kind: A\ndata:\n  conf: |\n    a {\n      \n    }\n",
        "kind: A\nspec:\n  replicas: 1\n    # a comment, more indented\n  paused: false\n",
        "kind: A\nspec:\n  - rule: 'self.x == ''y'' ?\n      true : false'\n    message: m\n",
    ];
    for doc in docs
        .iter()
        .map(|s| s.to_string())
        .chain(big_maps().into_iter().step_by(5))
    {
        assert!(check(&doc), "fell back on:\n{doc:?}");
    }
}

/// The Helm corpus (`$KPACK_TEST_HELM_CORPUS`, else `shared/helm-corpus` beside an
/// ancestor of the crate), if present.
fn helm_corpus() -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("KPACK_TEST_HELM_CORPUS")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain(root.ancestors().map(|d| d.join("shared/helm-corpus")))
        .find(|d| d.join("expected/a").is_dir())
}

#[test]
fn fast_parser_agrees_with_the_full_parser_on_what_helm_rendered() {
    // Every document helm printed for the 123 corpus charts: CRDs with long descriptions,
    // bitnami's scripts, nginx configurations. Each one the fast parser takes must equal
    // the full parse, and it must take nearly all of them.
    on_rendered_corpus(split_documents, check);
}

/// Split each output helm recorded for the corpus with `split` and `check` each document
/// (which asserts the fast and full parsers agree where the fast one takes it); the fast
/// parser must take nearly all of the documents.
fn on_rendered_corpus(split: for<'a> fn(&'a str) -> Vec<&'a str>, check: fn(&str) -> bool) {
    let Some(dir) = helm_corpus() else {
        eprintln!("\n*** SKIPPED: no Helm corpus (set KPACK_TEST_HELM_CORPUS) ***\n");
        return;
    };
    let (mut total, mut accepted) = (0, 0);
    for p in files_under(dir.join("expected/a")) {
        if p.extension().is_some_and(|x| x == "yaml") {
            let text = std::fs::read_to_string(&p).unwrap();
            for doc in split(&text) {
                total += 1;
                accepted += usize::from(check(doc));
            }
        }
    }
    assert!(total > 2000, "corpus too small: {total} documents");
    assert!(
        accepted * 1000 >= total * 995,
        "fast parser accepted only {accepted} of {total} documents helm rendered"
    );
}

#[test]
fn head_only_parse_keeps_identity_and_still_checks_everything() {
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: ns\n  uid: drop\n  labels:\n    drop: \"too\"\n  annotations:\n    a: \"1\"\ndata:\n  k: v\n";
    assert_eq!(
        yaml::parse_head(doc).unwrap(),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "ns", "annotations": {"a": "1"}}})
    );
    // A document outside the fast subset (an anchor) is parsed in full and cut to the same
    // head.
    let anchored = "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: x\n  uid: drop\n  labels:\n    drop: \"too\"\ndata: *m\n";
    assert_eq!(
        yaml::fast::parse_keep(anchored, yaml::fast::Keep::Head),
        None
    );
    assert_eq!(
        yaml::parse_head(anchored).unwrap(),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    );
    // Errors and duplicate keys in the parts not built are still reported.
    assert!(yaml::parse_head("kind: A\ndata:\n  k: v\n  k: w\n").is_err());
    assert!(yaml::parse_head("kind: A\ndata:\n  k: [unclosed\n").is_err());
    // Every golden document: the head of the full parse equals the head-only parse.
    for doc in corpus() {
        let (Ok(full), Ok(head)) = (yaml::parse(&doc), yaml::parse_head(&doc)) else {
            continue;
        };
        assert_eq!(head, head_of(&full), "head-only parse differs on:\n{doc}");
    }
}

/// The line-by-line splitter `split_documents` replaced, as the reference.
fn split_documents_reference(s: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in s.split_inclusive('\n') {
        let t = line.trim_end();
        if t == "---"
            || (t.starts_with("--- ") && t[4..].trim_start().starts_with('#'))
            || t.starts_with("---\t")
        {
            docs.push(&s[start..pos]);
            start = pos + line.len();
        }
        pos += line.len();
    }
    docs.push(&s[start..]);
    docs
}

#[test]
fn documents_split_at_separator_lines_only() {
    let cases = [
        "",
        "---",
        "---\n",
        "a: 1\n---\nb: 2",
        "a\n--- # comment\nb\n---",
        "---\t\n",
        "---\tx\na",
        "--- a\n",
        "x\n---\r\ny",
        "\n---",
        "a---\n---x\n ---\n----\n",
        "\u{e9}\n---\n\u{e9}",
        "---\n---\n",
        "k: |\n  ---\n---\n",
        "a\n---   \nb\n---\u{3000}\nc",
    ];
    for s in cases {
        assert_eq!(split_documents(s), split_documents_reference(s), "{s:?}");
    }
    for p in files_under(golden_dir()) {
        if let Ok(text) = std::fs::read_to_string(&p) {
            assert_eq!(
                split_documents(&text),
                split_documents_reference(&text),
                "{p:?}"
            );
        }
    }
}

/// Checks one values text with the fast parser's Helm typing against libyaml's: equal
/// values (key order and number kinds included) wherever the fast one takes it; whether it
/// took it.
fn check_helm(doc: &str) -> bool {
    let full = yaml::helm::parse_document_full(doc);
    match (fast::parse_helm(doc), &full) {
        (Some(f), Ok(s)) => {
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                serde_json::to_string(s).unwrap(),
                "fast and full values parsers differ on:\n{doc:?}"
            );
            // And what parse_document gives (fast path or not) is the full parse.
            assert_eq!(
                serde_json::to_string(&yaml::helm::parse_document(doc).unwrap()).unwrap(),
                serde_json::to_string(s).unwrap()
            );
            true
        }
        (Some(f), Err(e)) => panic!(
            "fast values parser accepted what the full parser rejects ({e}):\n{doc:?}\nfast gave {f}"
        ),
        (None, _) => {
            assert_eq!(
                yaml::helm::parse_document(doc).map_err(|e| e.to_string()),
                full.map_err(|e| e.to_string()),
                "{doc:?}"
            );
            false
        }
    }
}

#[test]
fn values_typed_as_helm_by_the_fast_parser_equal_what_libyaml_gives() {
    // Taken by the fast parser: YAML 1.1 scalars as goyaml.v2 types them, numbers floats.
    let taken = [
        "a: yes\nb: on\nc: 0777\nd: 1e3\ne: 08\nf: 1_000\ng: 0x1F\nh: .5\ni: 2024-01-02\nj: y\n",
        "k: No\nl: OFF\nm: ~\nnn:\no: 12345678901234567890\np: -0\nq: +5\nr: 0o17\ns: 0b101\n",
        "t: yES\nu: 1:30\nv: 10.244.0.0/16\nw: 128Mi\nx: 'yes'\nyy: \"0777\"\nz: <<\n",
        "list: [yes, on, 0777, 1.5, x, \"q\", {a: n}]\nmap: {a: 1, b: [2]}\n",
        "image:\n  registry: docker.io\n  tag: 1.25.3-debian-11-r1\n  digest: \"\"\n  pullSecrets: []\n",
        "# a comment\nreplicaCount: 1\n## @param x\nx: |\n  line\n    more\n\n  end\nyz: |-\n  z\n",
        "2024-01-01: dated key\nsecurityContext:\n  enabled: true\n  runAsUser: 1001\n",
        "description: a plain scalar that runs\n  over two lines\nnext: 1\n",
        "",
        "# only a comment\n",
    ];
    for doc in taken {
        assert!(check_helm(doc), "fell back on:\n{doc:?}");
    }
    // Left to libyaml (same result or same error): keys that are not strings, merges,
    // anchors, numbers JSON cannot hold, duplicate keys, document markers, deep nesting,
    // text without a final line break.
    let deep_block: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    let deep_flow = format!("k: {}1{}\n", "[".repeat(200), "]".repeat(200));
    let left = [
        "yes: 1\n",
        "n: 1\n",
        "1: a\n",
        "1.5: a\n",
        "~: a\n",
        "m: {on: 1}\n",
        "base: &b\n  a: 1\nderived:\n  <<: *b\n  c: 2\n",
        "a: .inf\n",
        "a: [.nan]\n",
        "a: 1\na: 2\n",
        "---\na: 1\n",
        "a: 1\n...\nb: 2\n",
        "a: !!str 1\n",
        "k: |\n  no final break",
        "a: 1",
        &deep_block,
        &deep_flow,
    ];
    for doc in left {
        assert!(!check_helm(doc), "took:\n{doc:?}");
    }
}

#[test]
fn values_files_of_the_helm_corpus_read_alike_by_both_parsers() {
    // Every values.yaml of the corpus (charts and vendored subcharts): bitnami's, heavy with
    // comments, argo's, with long literal blocks. The fast parser must give libyaml's value
    // for each it takes, and take nearly all of them.
    let Some(dir) = helm_corpus() else {
        eprintln!("\n*** SKIPPED: no Helm corpus (set KPACK_TEST_HELM_CORPUS) ***\n");
        return;
    };
    let (mut total, mut accepted) = (0, 0);
    for p in files_under(dir.join("charts")) {
        if p.file_name().is_some_and(|n| n == "values.yaml") {
            let text = std::fs::read_to_string(&p).unwrap();
            total += 1;
            accepted += usize::from(check_helm(&text));
        }
    }
    eprintln!("the fast parser took {accepted} of {total} values files");
    assert!(total > 200, "corpus too small: {total} values files");
    assert!(
        accepted * 100 >= total * 98,
        "fast parser took only {accepted} of {total} values files"
    );
}

/// Checks one manifest document with the fast parser's Kubernetes typing against libyaml's:
/// equal wherever the fast one takes it (number kinds included); whether it took it.
fn check_kube(doc: &str) -> bool {
    let full = yaml::helm::parse_kube_full(doc);
    match (fast::parse_kube(doc), &full) {
        (Some(f), Ok(s)) => {
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                serde_json::to_string(s).unwrap(),
                "fast and full manifest parsers differ on:\n{doc:?}"
            );
            true
        }
        (Some(f), Err(e)) => panic!(
            "fast manifest parser accepted what the full parser rejects ({e}):\n{doc:?}\nfast gave {f}"
        ),
        (None, _) => false,
    }
}

#[test]
fn helm_manifests_are_typed_as_helm_sends_them_to_the_api_server() {
    // What helm's `fromYaml | toJson` (sigs.k8s.io/yaml, as its kube client reads a
    // manifest) prints for these scalars: YAML 1.1 octal and booleans, integers kept,
    // a float without fraction printed as an integer by Go's JSON encoder.
    let doc = "a: 0755\nb: 0o755\nc: 0x1ED\nd: 1_000\ne: 08\nf: yes\ng: off\nh: 3.0\ni: 1.5\nj: 1e3\nk: -0755\nl: '0755'\nm: 12345678901234567890\nnn: 2024-01-02\n";
    let want = r#"{"a":493,"b":493,"c":493,"d":1000,"e":8,"f":true,"g":false,"h":3,"i":1.5,"j":1000,"k":-493,"l":"0755","m":12345678901234567890,"nn":"2024-01-02"}"#;
    assert!(check_kube(doc), "fell back on:\n{doc:?}");
    assert_eq!(
        serde_json::to_string(&yaml::parse_kube(doc).unwrap()).unwrap(),
        want
    );
    // Values keep Helm's float64s for the same text.
    assert_eq!(yaml::helm::parse_document("a: 0755\n").unwrap()["a"], 493.0);
    // Left to libyaml, which gives the same typing.
    for (doc, want) in [
        ("yes: 1\n", r#"{"true":1}"#),
        ("a: 1\na: 0755\n", r#"{"a":493}"#),
        ("a: &x 0755\nb: *x\n", r#"{"a":493,"b":493}"#),
        // A tagged merge key merges as the plain one (clickhouse-operator's CRDs).
        (
            "a: &x {b: 1}\nc:\n  !!merge <<: *x\n  d: 2\n",
            r#"{"a":{"b":1},"c":{"b":1,"d":2}}"#,
        ),
    ] {
        assert!(!check_kube(doc), "took:\n{doc:?}");
        assert_eq!(
            serde_json::to_string(&yaml::parse_kube(doc).unwrap()).unwrap(),
            want
        );
    }
}

#[test]
fn fast_manifest_parser_agrees_on_what_helm_rendered() {
    // Every document helm printed for the corpus, typed as helm sends it to the API server:
    // the fast parser must equal libyaml wherever it takes a document, and take nearly all.
    on_rendered_corpus(kpack::manifest::helm::split_manifests, check_kube);
}
