//! The fuzz targets: what each feeds kpack and what it accepts as an answer.

use std::sync::OnceLock;

use kpack::error::Kind;
use kpack::values::set::{self, Budget, MAX_LIST_ELEMENTS, SetKind};
use serde_json::{Value, json};

use super::{Rng, Target, fuzz, identity};

fn bytes(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// An error message kpack prints must not carry terminal control characters.
fn printable(msg: &str) -> Result<(), String> {
    match msg
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        Some(c) => Err(format!(
            "the message holds control character U+{:04X}: {msg:?}",
            c as u32
        )),
        None => Ok(()),
    }
}

fn kind_is(e: &kpack::Error, kinds: &[Kind]) -> Result<(), String> {
    if kinds.contains(&e.kind()) {
        printable(e.message())
    } else {
        Err(format!("unexpected error kind {:?}: {e}", e.kind()))
    }
}

// ---- the --set family ---------------------------------------------------------------

const SET_KINDS: [SetKind; 4] = [
    SetKind::Auto,
    SetKind::String,
    SetKind::Json,
    SetKind::Literal,
];

fn list_elements(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.len() + a.iter().map(list_elements).sum::<usize>(),
        Value::Object(m) => m.values().map(list_elements).sum(),
        _ => 0,
    }
}

/// The first byte picks the flag (`--set-file` reads files: left out); the rest is the
/// argument. It is applied twice with one budget, as two flags of one command.
fn check_set(input: &[u8]) -> Result<(), String> {
    let (k, rest) = input.split_first().unwrap_or((&0, &[]));
    let kind = SET_KINDS[*k as usize % SET_KINDS.len()];
    let arg = String::from_utf8_lossy(rest);
    let base = json!({"keep": {"list": [1, 2, 3], "s": "x"}})
        .as_object()
        .unwrap()
        .clone();
    let mut budget = Budget::default();
    let mut dest = base.clone();
    for _ in 0..2 {
        let before = dest.clone();
        match set::apply_within(&mut dest, &arg, kind, &mut budget) {
            Ok(()) => {}
            Err(e) => {
                kind_is(&e, &[Kind::Values])?;
                if dest != before {
                    return Err(format!("a refused argument changed the values: {e}"));
                }
            }
        }
    }
    let n = list_elements(&Value::Object(dest));
    // The JSON of one argument may hold lists of its own: at most its length in elements.
    if n > MAX_LIST_ELEMENTS + 3 + 2 * arg.len() {
        return Err(format!("{n} list elements made"));
    }
    Ok(())
}

#[test]
fn set_family() {
    let seeds: Vec<&str> = vec![
        "\0a=1,b=2",
        "\0a.b.c=true,d[0]=x,d[2].e=null",
        "\0name={a,b,c},x\\,y=1\\.2",
        "\0a[65536]=x",
        "\0a[0][1][2]=z,a[0].b=1",
        "\u{1}a=007,b=1e3,c=",
        "\u{2}a={\"b\":[1,2,{\"c\":null}]},d=\"x\"",
        "\u{2}{\"a\":{\"b\":1}}",
        "\u{2}a=\"\\ud83d\\ude00\"",
        "\u{3}a.b[0]=v,w=x",
        "\0x={{ .Values.y }}",
        "\0=1",
        "\0a.",
        "\0a[",
        "\0a\\",
    ];
    fuzz(Target {
        name: "set",
        seeds: bytes(&seeds),
        tokens: bytes(&[
            "=", ",", ".", "[", "]", "{", "}", "\\", "[65536]", "[0]", "[99999]", "null", "true",
            "\"", "{\"a\":", "[1,2]", "\\ud800", "=1", "a", "[-1]", "\u{1b}",
        ]),
        prepare: identity,
        max_len: 4096,
        check: check_set,
    });
}

// ---- the values loader --------------------------------------------------------------

fn check_values(input: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(input);
    match kpack::values::sources::parse_values_text(&text, "fuzz/values.yaml") {
        Ok(_) => Ok(()),
        Err(e) => kind_is(&e, &[Kind::Values]),
    }
}

#[test]
fn values_loader() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(root.join("charts"))
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("values.yaml")).ok())
        .collect();
    seeds.extend(bytes(&[
        "a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n",
        "---\na: 1\n---\nb: 2\n",
        "k: !!binary aGVsbG8=\nn: 0x1F\no: 0o17\nf: 1e3\ny: yes\nt: ~\n",
        "l: [1, {a: b}, [c]]\ns: |\n  text\n  more\nq: 'it''s'\n",
        "? complex\n: key\n",
    ]));
    fuzz(Target {
        name: "values",
        seeds,
        tokens: bytes(&[
            "&a ",
            "*a",
            "<<: ",
            "- ",
            ": ",
            "\n  ",
            "\n",
            "!!binary ",
            "!!str ",
            "{",
            "[",
            "'",
            "\"",
            "---\n",
            "? ",
            "|\n",
            "~",
            "0x1F",
            "1e400",
            ".inf",
            "\t",
            "%YAML 1.1\n",
            "\u{0}",
            "\u{feff}",
        ]),
        prepare: identity,
        max_len: 64 << 10,
        check: check_values,
    });
}

// ---- the chart archive loader ---------------------------------------------------------

/// A tar stream (not compressed) of `files` under `top/`.
fn tar_of(top: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, format!("{top}/{p}"), *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, data).unwrap();
    gz.finish().unwrap()
}

/// Inputs are tar streams (mutated where the structure is), compressed here; one in
/// eight is passed as it is (mutated gzip).
fn prepare_archive(input: Vec<u8>, rng: &mut Rng) -> Vec<u8> {
    if rng.chance(8) { input } else { gzip(&input) }
}

fn check_archive(input: &[u8]) -> Result<(), String> {
    match kpack::chart::load_bytes(input, "fuzz.tgz") {
        Ok(_) => Ok(()),
        Err(e) => kind_is(&e, &[Kind::Chart, Kind::Values]),
    }
}

#[test]
fn chart_archive_loader() {
    let chart = b"apiVersion: v2\nname: web\nversion: 0.1.0\n".as_slice();
    let sub_tgz = gzip(&tar_of(
        "db",
        &[
            ("Chart.yaml", b"apiVersion: v2\nname: db\nversion: 1.0.0\n"),
            ("values.yaml", b"port: 5432\n"),
        ],
    ));
    let seeds = vec![
        tar_of("web", &[("Chart.yaml", chart)]),
        tar_of(
            "web",
            &[
                ("Chart.yaml", chart),
                ("values.yaml", b"a: 1\nlist: [1, 2]\n"),
                ("values.schema.json", b"{\"type\": \"object\"}"),
                ("templates/cm.yaml", b"kind: ConfigMap\n"),
                ("charts/db-1.0.0.tgz", &sub_tgz),
                (
                    "charts/cache/Chart.yaml",
                    b"apiVersion: v2\nname: cache\nversion: 2.0.0\n",
                ),
                (
                    "charts/cache/charts/x/Chart.yaml",
                    b"apiVersion: v2\nname: x\nversion: 0.0.1\n",
                ),
                (".helmignore", b"*.bak\n"),
            ],
        ),
        sub_tgz.clone(),
    ];
    fuzz(Target {
        name: "archive",
        seeds,
        tokens: bytes(&[
            "charts/",
            "../",
            "/",
            "Chart.yaml",
            "values.yaml",
            "apiVersion: v2\n",
            "name: \u{1b}[2J\n",
            "0000777\0",
            "\0\0\0\0",
            "ustar",
        ]),
        prepare: prepare_archive,
        max_len: 256 << 10,
        check: check_archive,
    });
}

// ---- the OCI manifest parser ----------------------------------------------------------

fn check_manifest(input: &[u8]) -> Result<(), String> {
    let shown = "oci://r.example/charts/web:1.0.0";
    let _ = kpack::oci::http::manifest_digest(
        input,
        Some("sha256:0000000000000000000000000000000000000000000000000000000000000000"),
        shown,
    );
    match kpack::oci::chart_layer(input, shown) {
        Ok(layer) => {
            if layer.urls.is_some() {
                return Err("a layer kept its foreign urls".into());
            }
            if !(0..=100 << 20).contains(&layer.size) {
                return Err(format!("a layer of {} bytes was accepted", layer.size));
            }
            Ok(())
        }
        Err(e) => kind_is(&e, &[Kind::Remote]),
    }
}

#[test]
fn oci_manifest_parser() {
    let digest = kpack::oci::cache::sha256_digest(b"x");
    let layer = |extra: &str| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"{}","digest":"{digest}","size":2}},"layers":[{{"mediaType":"{}","digest":"{digest}","size":1{extra}}}],"annotations":{{"org.opencontainers.image.title":"web"}}}}"#,
            kpack::oci::CONFIG_MEDIA_TYPE,
            kpack::oci::CHART_MEDIA_TYPE
        )
    };
    let seeds = vec![
        layer(""),
        layer(r#","urls":["http://elsewhere/x"]"#),
        layer(r#","annotations":{"a":"b"}"#),
        r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:00","size":1},"layers":[]}"#.to_string(),
    ];
    fuzz(Target {
        name: "oci_manifest",
        seeds: seeds.into_iter().map(String::into_bytes).collect(),
        tokens: bytes(&[
            "\"layers\":",
            "\"size\":",
            "-1",
            "1e999",
            "18446744073709551616",
            "\"digest\":\"sha256:",
            "\"urls\":[",
            "null",
            "[]",
            "{}",
            "\"mediaType\":\"application/tar+gzip\"",
            "\\u0000",
            "\u{1b}",
        ]),
        prepare: identity,
        max_len: 16 << 10,
        check: check_manifest,
    });
}

// ---- the Jinja engine -----------------------------------------------------------------

/// Template pieces the generator strings together, driven by the input bytes. Numbers stay
/// small: `repeat`, `indent` and `printf` widths of 10^12 abort the process until the
/// helpers' size checks land (issue 16, item 5, with the render budget), and loops without
/// a render budget would only make the run slow.
const PIECES: &[&str] = &[
    "text ",
    "\n",
    "{{ Values.name }}",
    "{{ Values.list }}",
    "{{ Values.map | toYaml | nindent(4) }}",
    "{{ Release.Name | upper }}",
    "{{ Chart.Name }}",
    "{{ include(\"h.name\") }}",
    "{{ tpl(Values.tpl) }}",
    "{{ tpl(\"{{ Values.name }}\") }}",
    "{{ \"x\" | repeat(20) }}",
    "{{ printf(\"%5d|%-8s|%.3f\", 42, \"s\", 3.14159) }}",
    "{{ Values.name | indent(6) }}",
    "{% for i in range(8) %}",
    "{% for k, v in Values.map | items %}",
    "{% endfor %}",
    "{% if Values.flag %}",
    "{% else %}",
    "{% endif %}",
    "{% set x = Values.list | first %}",
    "{{ x }}",
    "{{ Values.missing }}",
    "{{ Values.missing | default(\"d\") }}",
    "{{ required(\"need it\", Values.name) }}",
    "{{ Values.list | join(\",\") }}",
    "{{ until(5) | toJson }}",
    "{{ Values.name | b64enc | b64dec }}",
    "{{ Values.name | sha256sum | trunc(8) }}",
    "{{ Values.name | quote }}",
    "{{ dict(\"a\", 1, \"b\", Values.list) | toJson }}",
    "{{ (Values.list | length) * 3 }}",
    "{{ Values.name ~ \"-\" ~ Release.Namespace }}",
    "{{ fromYaml(Values.yaml) | toJson }}",
    "{{ regexReplaceAll(\"[a-z]+\", Values.name, \"X\") }}",
    "{{ semverCompare(\">=1.20\", Capabilities.KubeVersion.Version) }}",
    "{{ lookup(\"v1\", \"Secret\", \"ns\", \"s\") }}",
    "{{ fail(\"stop\") }}",
    "{{",
    "}}",
    "{%",
    "%}",
    "|",
    "(",
    ")",
    "\"",
    "{#",
    "#}",
];

/// Make a template from the input: each byte picks a piece (or, one in eight, is copied
/// as a character of text).
fn prepare_template(input: Vec<u8>, _: &mut Rng) -> Vec<u8> {
    prepare_from(input, PIECES, "{% for", "{% endfor %}")
}

/// A template from `input` with `pieces`; `open`/`close` mark the loops, kept at most two
/// deep (deeper trees only burn the render budget).
fn prepare_from(input: Vec<u8>, pieces: &[&str], open: &str, close: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 8);
    out.extend_from_slice(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fuzz\ndata:\n  v: |\n    ",
    );
    let mut loops = 0;
    for b in input {
        if b % 8 == 7 {
            out.push(b'a' + b % 26);
            continue;
        }
        let piece = pieces[(b as usize / 8) % pieces.len()];
        if piece.starts_with(open) {
            if loops == 2 {
                continue;
            }
            loops += 1;
        } else if piece == close {
            loops = (loops - 1).max(0);
        }
        out.extend_from_slice(piece.as_bytes());
    }
    out
}

/// The `apiVersion` of a Jinja chart: `kpack/v1` once charts declare their engine, `v2`
/// before (when every chart is Jinja).
fn jinja_api_version() -> &'static str {
    static V: OnceLock<&'static str> = OnceLock::new();
    V.get_or_init(|| {
        let probe = kpack::chart::load::from_files(
            vec![(
                "Chart.yaml".to_string(),
                b"apiVersion: kpack/v1\nname: p\nversion: 0.1.0\n".to_vec(),
            )],
            "probe",
        );
        if probe.is_ok() { "kpack/v1" } else { "v2" }
    })
}

fn check_template(input: &[u8]) -> Result<(), String> {
    check_render(
        jinja_api_version(),
        b"{{ Values.name }}-t",
        b"{% define \"h.name\" %}{{ Values.name }}-h{% enddefine %}",
        input,
    )
}

/// Render a chart of `api_version` whose values hold `tpl` (for `tpl`), with `helper` as
/// `templates/_h.tpl` and `input` as `templates/t.yaml`: a result or a template/manifest
/// error, nothing else.
fn check_render(api_version: &str, tpl: &[u8], helper: &[u8], input: &[u8]) -> Result<(), String> {
    let mut values = b"name: web\nflag: true\nlist: [a, b, c]\nmap: {k: v, n: 1}\ntpl: \"".to_vec();
    values.extend_from_slice(tpl);
    values.extend_from_slice(b"\"\nyaml: \"a: [1, 2]\"\n");
    let files = vec![
        (
            "Chart.yaml".to_string(),
            format!("apiVersion: {api_version}\nname: fuzz\nversion: 0.1.0\n").into_bytes(),
        ),
        ("values.yaml".to_string(), values),
        ("templates/_h.tpl".to_string(), helper.to_vec()),
        ("templates/t.yaml".to_string(), input.to_vec()),
    ];
    let chart = kpack::chart::load::from_files(files, "fuzz").map_err(|e| e.to_string())?;
    let opts = kpack::action::render::RenderOptions {
        release: kpack::engine::Release {
            name: "fuzz".into(),
            namespace: "ns".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        },
        capabilities: kpack::engine::Capabilities::default(),
        skip_schema_validation: false,
    };
    match kpack::action::render::render(&chart, &serde_json::Map::new(), &opts) {
        Ok(_) => Ok(()),
        Err(e) => kind_is(&e, &[Kind::Template, Kind::Manifest]),
    }
}

#[test]
fn jinja_engine() {
    let seeds: Vec<Vec<u8>> = (0..8u8)
        .map(|i| {
            (0..24u8)
                .map(|j| j.wrapping_mul(8).wrapping_add(i * 8))
                .collect()
        })
        .collect();
    fuzz(Target {
        name: "jinja",
        seeds,
        tokens: Vec::new(),
        prepare: prepare_template,
        max_len: 256,
        check: check_template,
    });
}

// ---- the Go template engine (Helm charts) ----------------------------------------------

/// Go template pieces, as [`PIECES`] for Jinja: Helm's and sprig's functions, pipelines,
/// `range`, `with`, `define`d templates, `tpl`, and sizes the helpers must refuse.
const GO_PIECES: &[&str] = &[
    "text ",
    "\n",
    "{{ .Values.name }}",
    "{{ .Values.list }}",
    "{{ .Values.map | toYaml | nindent 4 }}",
    "{{ .Release.Name | upper }}",
    "{{ .Chart.Name }}",
    "{{ include \"h.name\" . }}",
    "{{ tpl .Values.tpl . }}",
    "{{ tpl \"{{ .Values.name }}\" . }}",
    "{{ repeat 20 \"x\" }}",
    "{{ repeat 1000000000000 \"x\" }}",
    "{{ printf \"%5d|%-8s|%.3f\" 42 \"s\" 3.14159 }}",
    "{{ printf \"%1000000000000d\" 1 }}",
    "{{ .Values.name | indent 6 }}",
    "{{ .Values.name | indent 1000000000000 }}",
    "{{ range $i := until 8 }}",
    "{{ range $k, $v := .Values.map }}",
    "{{ range until 300 }}",
    "{{ end }}",
    "{{ if .Values.flag }}",
    "{{ else }}",
    "{{ with .Values.map }}",
    "{{ $x := first .Values.list }}",
    "{{ $x }}",
    "{{ .Values.missing }}",
    "{{ .Values.missing | default \"d\" }}",
    "{{ required \"need it\" .Values.name }}",
    "{{ join \",\" .Values.list }}",
    "{{ until 5 | toJson }}",
    "{{ .Values.name | b64enc | b64dec }}",
    "{{ .Values.name | sha256sum | trunc 8 }}",
    "{{ .Values.name | quote }}",
    "{{ dict \"a\" 1 \"b\" .Values.list | toJson }}",
    "{{ mul (len .Values.list) 3 }}",
    "{{ fromYaml .Values.yaml | toJson }}",
    "{{ regexReplaceAll \"[a-z]+\" .Values.name \"X\" }}",
    "{{ semverCompare \">=1.20\" .Capabilities.KubeVersion.Version }}",
    "{{ lookup \"v1\" \"Secret\" \"ns\" \"s\" }}",
    "{{ fail \"stop\" }}",
    "{{- ",
    " -}}",
    "{{",
    "}}",
    "|",
    "(",
    ")",
    "\"",
    "{{/*",
    "*/}}",
    "$",
    ".",
];

fn prepare_go_template(input: Vec<u8>, _: &mut Rng) -> Vec<u8> {
    prepare_from(input, GO_PIECES, "{{ range", "{{ end }}")
}

fn check_go_template(input: &[u8]) -> Result<(), String> {
    check_render(
        "v2",
        b"{{ .Values.name }}-t",
        b"{{- define \"h.name\" -}}{{ .Values.name }}-h{{- end -}}",
        input,
    )
}

#[test]
fn go_template_engine() {
    let seeds: Vec<Vec<u8>> = (0..8u8)
        .map(|i| {
            (0..24u8)
                .map(|j| j.wrapping_mul(8).wrapping_add(i * 8))
                .collect()
        })
        .collect();
    fuzz(Target {
        name: "gotmpl",
        seeds,
        tokens: Vec::new(),
        prepare: prepare_go_template,
        max_len: 256,
        check: check_go_template,
    });
}
