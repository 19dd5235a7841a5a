//! The fast YAML subset parser against the full parser: wherever the fast one returns a
//! value it must equal the full parser's, and it must accept the bulk of real manifests
//! (every document under golden/ and a set of tricky cases), or it is not worth having.

use kpack::manifest::split_documents;
use kpack::yaml::{self, fast};

/// Every document of every golden file (the `# Source:` comments are part of documents).
fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = std::fs::read_to_string(&p).unwrap();
                if text.starts_with("exit:") || text.trim_start().starts_with('{') {
                    continue;
                }
                out.extend(split_documents(&text).into_iter().map(str::to_string));
            }
        }
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
];

#[test]
fn fast_parser_agrees_with_the_full_parser() {
    let corpus = corpus();
    let mut accepted = 0;
    let total = corpus.len();
    for doc in corpus
        .iter()
        .map(String::as_str)
        .chain(TRICKY.iter().copied())
    {
        let full = yaml::parse(doc);
        match (fast::parse(doc), full) {
            (Some(f), Ok(s)) => {
                assert_eq!(f, s, "fast and full parsers differ on:\n{doc}");
                accepted += 1;
            }
            (Some(f), Err(e)) => panic!(
                "fast parser accepted what the full parser rejects ({e}):\n{doc}\nfast gave {f}"
            ),
            (None, _) => {}
        }
    }
    assert!(total > 200, "corpus too small: {total}");
    assert!(
        accepted * 100 >= total * 95,
        "fast parser accepted only {accepted} of {total} golden documents"
    );
}

#[test]
fn head_only_parse_keeps_identity_and_still_checks_everything() {
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: ns\n  uid: drop\n  annotations:\n    a: \"1\"\ndata:\n  k: v\n";
    assert_eq!(
        yaml::parse_head(doc).unwrap(),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "ns", "annotations": {"a": "1"}}})
    );
    // Errors and duplicate keys in the parts not built are still reported.
    assert!(yaml::parse_head("kind: A\ndata:\n  k: v\n  k: w\n").is_err());
    assert!(yaml::parse_head("kind: A\ndata:\n  k: [unclosed\n").is_err());
    // Every golden document: the head of the full parse equals the head-only parse.
    for doc in corpus() {
        let (Ok(full), Ok(head)) = (yaml::parse(&doc), yaml::parse_head(&doc)) else {
            continue;
        };
        let mut want = full.clone();
        if let serde_json::Value::Object(m) = &mut want {
            m.retain(|k, _| matches!(k.as_str(), "apiVersion" | "kind" | "metadata"));
            if let Some(serde_json::Value::Object(meta)) = m.get_mut("metadata") {
                meta.retain(|k, _| {
                    matches!(
                        k.as_str(),
                        "name" | "namespace" | "generateName" | "labels" | "annotations"
                    )
                });
            }
        }
        assert_eq!(head, want, "head-only parse differs on:\n{doc}");
    }
}
