//! Item 9: messages. A corrupt archive's bytes are printed escaped (never as terminal
//! escapes); an empty values.yaml is not "missing"; `--set x={{ … }}` says why it failed;
//! a lone surrogate in `--set-json` is named; a control character in rendered YAML is
//! reported on its own line.

use kpack::values::set::{self, SetKind};

use super::{run_in, write_chart};

/// A gzip of one tar header whose mtime field holds an OSC title sequence and a
/// clear-screen sequence instead of digits.
fn tar_with_escapes() -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..12].copy_from_slice(b"c/Chart.yaml");
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(b"\x1b]0;pwned\x07\x1b[");
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = h.to_vec();
    tar.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_corrupt_archive_never_prints_terminal_escapes() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.tgz"), tar_with_escapes()).unwrap();
    let (ok, _, err) = run_in(tmp.path(), &["template", "x", "bad.tgz"]);
    assert!(!ok);
    assert_eq!(
        err,
        "Error: bad.tgz: corrupt chart archive: numeric field was not a number: \\u{1b}]0;pwned\\u{7}\\u{1b}[ when getting size for c/Chart.yaml\n"
    );
    // A subchart archive named with escapes is named escaped in every message about it.
    let inner = kpack::archive::write_chart_tgz(
        "s",
        &[("Chart.yaml".into(), b"name: s\nversion: 1.0.0\n".to_vec())],
    )
    .unwrap();
    let outer = kpack::archive::write_chart_tgz(
        "c",
        &[
            (
                "Chart.yaml".into(),
                b"apiVersion: v2\nname: c\nversion: 0.1.0\n".to_vec(),
            ),
            ("charts/\x1b[2Js.tgz".into(), inner),
        ],
    )
    .unwrap();
    std::fs::write(tmp.path().join("outer.tgz"), outer).unwrap();
    let (ok, _, err) = run_in(tmp.path(), &["template", "x", "outer.tgz"]);
    assert!(!ok);
    assert_eq!(
        err,
        "Error: outer.tgz/charts/\\u{1b}[2Js.tgz/Chart.yaml: invalid chart metadata:\n  - apiVersion is required (\"kpack/v1\" for a kpack chart of Jinja templates, \"v2\" for a Helm chart of Go templates)\n"
    );
}

#[test]
fn lint_does_not_call_an_empty_values_file_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("c");
    write_chart(
        &chart,
        &[
            (
                "Chart.yaml",
                "apiVersion: kpack/v1\nname: c\nversion: 0.1.0\ndescription: d\nicon: https://example.com/i.png\n",
            ),
            ("values.yaml", ""),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            ),
        ],
    );
    let (ok, out, err) = run_in(tmp.path(), &["lint", "--strict", "c"]);
    assert!(ok, "{out}{err}");
    assert!(!out.contains("values.yaml"), "{out}");
    std::fs::remove_file(chart.join("values.yaml")).unwrap();
    let (ok, out, _) = run_in(tmp.path(), &["lint", "--strict", "c"]);
    assert!(!ok);
    assert!(
        out.contains("c/values.yaml: file does not exist: add one with the chart's defaults"),
        "{out}"
    );
}

#[test]
fn a_template_given_to_set_gets_a_hint() {
    let e = set::parse("x={{ .Values.y }}", SetKind::Auto).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid --set argument \"x={{ .Values.y }}\" at character 18: key \"}\" has no value (expected '='); the value at character 3 starts with '{{': a value that starts with '{' is a list ({a,b}); for text such as a template, escape the brace (\\{{ … }}) or use --set-literal"
    );
    // What the hint says works.
    let m = set::parse("x=\\{{ .Values.y }}", SetKind::Auto).unwrap();
    assert_eq!(m["x"], "{{ .Values.y }}");
    let m = set::parse("x={{ .Values.y }}", SetKind::Literal).unwrap();
    assert_eq!(m["x"], "{{ .Values.y }}");
    // A list of one brace is still a list, as in Helm.
    let m = set::parse("x={{}", SetKind::Auto).unwrap();
    assert_eq!(m["x"], serde_json::json!(["{"]));
}

#[test]
fn a_lone_surrogate_in_set_json_is_named() {
    for (arg, at, escape) in [
        (r#"a="x\ud800""#, 5, r"\ud800"),
        (r#"a="\uDC00 y""#, 4, r"\uDC00"),
        (r#"a=["ok \ud83d\ude00", "\ud83d\u0041"]"#, 24, r"\ud83d"),
    ] {
        let e = set::parse(arg, SetKind::Json).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid --set-json argument \"{arg}\" at character {at}: the value is not valid JSON ({escape} is one half of a UTF-16 surrogate pair, which a JSON string cannot hold alone); write the character itself, or both escapes of its pair (\\ud83d\\ude00 is 😀)"
            ),
            "{arg}"
        );
    }
    // A whole pair is one character.
    let m = set::parse(r#"a="\ud83d\ude00""#, SetKind::Json).unwrap();
    assert_eq!(m["a"], "😀");
}

#[test]
fn a_control_character_in_rendered_yaml_is_reported_on_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    write_chart(
        &tmp.path().join("c"),
        &[
            (
                "Chart.yaml",
                "apiVersion: kpack/v1\nname: c\nversion: 0.1.0\n",
            ),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"b\0c\"\n",
            ),
        ],
    );
    let (ok, _, err) = run_in(tmp.path(), &["template", "x", "c"]);
    assert!(!ok);
    assert_eq!(
        err,
        "Error: c/templates/cm.yaml: rendered document 1 is not valid YAML: line 6 column 8: control character U+0000 is not allowed in YAML (a template printed a binary value? encode it with b64enc)\nrendered text:\n      3 | metadata:\n      4 |   name: x\n      5 | data:\n  >   6 |   a: \"b\\u{0}c\"\n(run `kpack template` with `--show-only templates/cm.yaml` and check the lines above)\n"
    );
}
