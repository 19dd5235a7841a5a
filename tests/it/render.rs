//! Render pipeline tests through the library API: values merge rules, subchart scoping
//! (globals, aliases, conditions, tags, import-values), the values → render → parse round
//! trip, and template errors with exact messages.

use kpack::action::render::{RenderOptions, RenderOutput, render, render_for_print};
use kpack::chart::{self, Chart};
use kpack::engine::{Capabilities, Release};
use kpack::values::{Map, merge, sources::parse_values_text};
use serde_json::json;
use std::path::Path;

fn opts() -> RenderOptions {
    RenderOptions {
        release: Release {
            name: "rel".into(),
            namespace: "ns".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        },
        capabilities: Capabilities::default(),
        skip_schema_validation: false,
    }
}

fn fixture(name: &str) -> Chart {
    chart::load(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("load fixture")
}

fn map(v: serde_json::Value) -> Map {
    v.as_object().expect("object").clone()
}

/// A chart made in memory from (path, text) pairs.
fn mem_chart(files: &[(&str, &str)]) -> Chart {
    let files = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
        .collect();
    chart::load::from_files(files, "mem").expect("chart")
}

fn render_mem(files: &[(&str, &str)], user: serde_json::Value) -> kpack::Result<RenderOutput> {
    render(&mem_chart(files), &map(user), &opts())
}

const CHART_YAML: &str = "apiVersion: kpack/v1\nname: t\nversion: 0.1.0\n";

fn err_text(r: kpack::Result<RenderOutput>) -> String {
    match r {
        Ok(_) => panic!("render must fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn merge_rules() {
    let chart = mem_chart(&[
        ("Chart.yaml", CHART_YAML),
        (
            "values.yaml",
            "a: 1\nm:\n  x: 1\n  w: 2\n  deep:\n    k: v\nlist: [1, 2]\ngone: here\nscalar: s\n",
        ),
    ]);
    // Numbers read from values files are floats, as in Helm; given ones keep their type.
    let user = map(json!({
        "m": {"w": 3, "z": 4, "deep": {"k": null}},
        "list": [9],
        "gone": null,
        "scalar": {"now": "map"},
        "extra": true,
    }));
    let v = merge::coalesce(&chart, &user).unwrap();
    assert_eq!(
        serde_json::Value::Object(v),
        json!({
            "a": 1.0,
            "m": {"x": 1.0, "w": 3, "deep": {}, "z": 4},
            "list": [9],
            "scalar": {"now": "map"},
            "extra": true,
        })
    );
}

#[test]
fn merge_keeps_values_file_key_order() {
    let chart = mem_chart(&[
        ("Chart.yaml", CHART_YAML),
        ("values.yaml", "zeta: 1\nalpha: 2\nmid: 3\n"),
    ]);
    let v = merge::coalesce(&chart, &map(json!({"beta": 0, "alpha": 5}))).unwrap();
    let keys: Vec<&String> = v.keys().collect();
    assert_eq!(keys, ["zeta", "alpha", "mid", "beta"]);
}

#[test]
fn files_layer_in_order_and_keep_nulls_for_defaults() {
    let mut base = parse_values_text("a: 1\nb: {x: 1}\n", "one.yaml").unwrap();
    merge::merge_maps(
        &mut base,
        parse_values_text("b: {w: 2}\nc: null\n", "two.yaml").unwrap(),
    );
    assert_eq!(
        serde_json::Value::Object(base),
        json!({"a": 1.0, "b": {"x": 1.0, "w": 2.0}, "c": null})
    );
}

#[test]
fn umbrella_subchart_scoping() {
    let out = render(&fixture("umbrella"), &Map::new(), &opts()).unwrap();
    let names: Vec<&str> = out.chart.subcharts.iter().map(|c| c.name()).collect();
    // replica is disabled by its condition; common is a library chart.
    assert_eq!(names, ["primary", "cache", "common"]);
    let v = serde_json::Value::Object(out.values.clone());
    // The alias section holds the subchart's defaults under the user's overrides.
    assert_eq!(v["primary"]["port"], json!(5433.0));
    assert_eq!(v["primary"]["storage"], json!("1Gi"));
    // Parent globals win; the subchart's own globals fill in.
    assert_eq!(
        v["primary"]["global"],
        json!({"env": "prod", "region": "eu", "labels": {"team": "core"}})
    );
    // import-values: child/parent form and exports form; the parent's own value wins.
    assert_eq!(v["primaryConn"], json!({"host": "db.local", "user": "app"}));
    assert_eq!(v["cacheSize"], json!(128.0));
    assert_eq!(v["cacheTtl"], json!(300.0));
    let names: Vec<&str> = out.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "umbrella/charts/cache/templates/deployment.yaml",
            "umbrella/charts/primary/templates/service.yaml",
            "umbrella/templates/configmap.yaml",
        ]
    );
}

#[test]
fn every_subchart_gets_a_global_map_even_when_no_chart_sets_one() {
    // Helm gives every subchart `global` (empty when nobody sets it), so subchart
    // templates read `.Values.global.x` with a default and no guard.
    let files = [
        (
            "Chart.yaml",
            "apiVersion: kpack/v1\nname: top\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
        ),
        ("values.yaml", "sub:\n  port: 1\n"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: kpack/v1\nname: sub\nversion: 0.1.0\n",
        ),
        ("charts/sub/values.yaml", "port: 0\n"),
        (
            "charts/sub/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  registry: {{ Values.global.registry | default(\"docker.io\") | quote }}\n",
        ),
    ];
    let out = render_mem(&files, json!({})).unwrap();
    assert_eq!(
        out.manifest.documents[0].object["data"],
        json!({"registry": "docker.io"})
    );
    let v = serde_json::Value::Object(out.values.clone());
    assert_eq!(v["sub"], json!({"port": 1.0, "global": {}}));
    // The top chart gets no `global` it was not given, as in Helm.
    assert!(v.get("global").is_none());
    // A parent's globals still arrive.
    let out = render_mem(&files, json!({"global": {"registry": "r.example"}})).unwrap();
    assert_eq!(
        out.manifest.documents[0].object["data"],
        json!({"registry": "r.example"})
    );
}

/// A parent with one subchart: the parent's values say `flag: false` for it, the
/// subchart's own default is `flag: true`.
const NULLS_TREE: [(&str, &str); 4] = [
    (
        "Chart.yaml",
        "apiVersion: kpack/v1\nname: top\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
    ),
    ("values.yaml", "a: 1\nsub:\n  flag: false\n"),
    (
        "charts/sub/Chart.yaml",
        "apiVersion: kpack/v1\nname: sub\nversion: 0.1.0\n",
    ),
    ("charts/sub/values.yaml", "flag: true\nkeep: 1\n"),
];

#[test]
fn a_user_null_for_a_subchart_value_deletes_the_subchart_default_too() {
    // Helm carries the user's null down to the subchart: `--set sub.flag=null` leaves no
    // flag at all, not the subchart's own `true` (the opposite of what the parent said).
    let v = merge::coalesce(
        &mem_chart(&NULLS_TREE),
        &map(json!({"sub": {"flag": null, "newk": null}})),
    )
    .unwrap();
    assert_eq!(
        serde_json::Value::Object(v),
        json!({"a": 1.0, "sub": {"keep": 1.0, "newk": null, "global": {}}})
    );
    // A null for the whole section leaves the subchart its own defaults.
    let v = merge::coalesce(&mem_chart(&NULLS_TREE), &map(json!({"sub": null}))).unwrap();
    assert_eq!(
        serde_json::Value::Object(v),
        json!({"a": 1.0, "sub": {"flag": true, "keep": 1.0, "global": {}}})
    );
}

#[test]
fn a_null_with_nothing_to_delete_stays_null_at_any_depth() {
    // As in Helm: only a default can be deleted; a null the user gives for a key no chart
    // sets stays null, nested or not.
    let v = merge::coalesce(
        &mem_chart(&NULLS_TREE),
        &map(json!({"top": null, "newmap": {"a": null, "b": 1}, "a": {"x": null}})),
    )
    .unwrap();
    assert_eq!(
        serde_json::Value::Object(v),
        json!({
            "a": {"x": null},
            "sub": {"flag": false, "keep": 1.0, "global": {}},
            "top": null,
            "newmap": {"a": null, "b": 1},
        })
    );
}

#[test]
fn imported_values_rank_as_the_parents_defaults() {
    let chart = kpack::values::deps::process(&fixture("umbrella"), &Map::new()).unwrap();
    let coalesce = |user: serde_json::Value| {
        serde_json::Value::Object(
            kpack::values::deps::coalesce_with_imports(&chart, &map(user)).unwrap(),
        )
    };
    // A user null deletes an imported key, whether the parent also sets it (cacheSize)
    // or only the import does (cacheTtl).
    let v = coalesce(json!({"cacheSize": null, "cacheTtl": null}));
    assert!(v.get("cacheSize").is_none(), "{v}");
    assert!(v.get("cacheTtl").is_none(), "{v}");
    let v = coalesce(json!({"primaryConn": {"user": null}}));
    assert_eq!(v["primaryConn"], json!({"host": "db.local"}));
    // Imports are read from the child's defaults: overriding the child's value changes
    // the child, not what the parent imported (Helm's order).
    let v = coalesce(json!({"primary": {"connection": {"host": "h2"}}}));
    assert_eq!(v["primary"]["connection"]["host"], json!("h2"));
    assert_eq!(v["primaryConn"], json!({"host": "db.local", "user": "app"}));
    // The user's own value for the imported key wins.
    let v = coalesce(json!({"primaryConn": {"host": "h3"}, "cacheTtl": 5}));
    assert_eq!(v["primaryConn"], json!({"host": "h3", "user": "app"}));
    assert_eq!(v["cacheTtl"], json!(5));
}

#[test]
fn files_glob_reads_patterns_as_helm_does() {
    let tpl = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  all: {% for p in Files.Glob(\"**.txt\") %}{{ p }};{% endfor %}\n\n  one: {% for p in Files.Glob(\"files/*\") %}{{ p }};{% endfor %}\n\n  alt: {% for p in Files.Glob(\"{conf,files}/[a-c].{conf,yaml}\") %}{{ p }};{% endfor %}\n";
    let files = [
        ("Chart.yaml", CHART_YAML),
        ("files/a.yaml", "k: v\n"),
        ("files/lines.txt", "x\n"),
        ("files/sub/s.txt", "s"),
        ("conf/c.conf", "c"),
        ("templates/cm.yaml", tpl),
    ];
    let out = render_mem(&files, json!({})).unwrap();
    assert_eq!(
        out.manifest.documents[0].object["data"],
        json!({
            "all": "files/lines.txt;files/sub/s.txt;",
            "one": "files/a.yaml;files/lines.txt;",
            "alt": "conf/c.conf;files/a.yaml;",
        })
    );
    let bad = [
        ("Chart.yaml", CHART_YAML),
        ("templates/cm.yaml", "x: {{ Files.Glob(\"files/[ab\") }}\n"),
    ];
    let e = err_text(render_mem(&bad, json!({})));
    assert!(
        e.contains("Files.Glob(\"files/[ab\"): '[' is never closed by ']'"),
        "{e}"
    );
}

#[test]
fn tags_and_conditions() {
    let user = map(json!({"tags": {"backend": false}, "replica": {"enabled": true}}));
    let out = render(&fixture("umbrella"), &user, &opts()).unwrap();
    let names: Vec<&str> = out.chart.subcharts.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["primary", "replica", "common"]);
    // A condition that holds no boolean falls through to the next path.
    let user = map(json!({"replica": {"enabled": null}, "global": {"replicas": true}}));
    let out = render(&fixture("umbrella"), &user, &opts()).unwrap();
    assert!(out.chart.subcharts.iter().any(|c| c.name() == "replica"));
}

#[test]
fn values_render_parse_round_trip() {
    let out = render(&fixture("types"), &Map::new(), &opts()).unwrap();
    let doc = &out.manifest.documents[0].object;
    // Values hold numbers as floats (as Helm reads them); a kpack chart sees whole ones as
    // integers and prints them so.
    let as_jinja_sees = kpack::engine::funcs::value_to_json(
        &kpack::engine::funcs::value_from_json_ints(&serde_json::Value::Object(out.values.clone())),
    )
    .unwrap();
    assert_eq!(doc["spec"]["asYaml"], as_jinja_sees);
    assert_eq!(doc["spec"]["enabled"], json!(true));
    assert_eq!(doc["spec"]["disabled"], json!(false));
    assert_eq!(doc["spec"]["nothing"], json!(null));
    assert_eq!(doc["spec"]["big"], json!(1000000));
    assert_eq!(doc["spec"]["huge"], json!(12345678901234_i64));
    assert_eq!(doc["spec"]["product"], json!(1000000000));
    assert_eq!(doc["spec"]["quoted"], json!("1.0"));
}

#[test]
fn undefined_nested_value_names_its_path() {
    let e = err_text(render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "image:\n  tag: x\n"),
            (
                "templates/a.yaml",
                "kind: A\nimage: {{ Values.image.tagg }}\n",
            ),
        ],
        json!({}),
    ));
    assert_eq!(
        e,
        "template error in t/templates/a.yaml:2: undefined value: `Values.image.tagg` is not set; set it in the values, or guard it with `{% if … %}` or `| default(…)`\n    1 | kind: A\n  > 2 | image: {{ Values.image.tagg }}\n      |           ^^^^^^^^^^^^^^^^^"
    );
}

#[test]
fn required_names_template_and_line() {
    let e = err_text(render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/a.yaml",
                "kind: A\n\nhost: {{ required(\"ingress.host is required\", Values.ingress) }}\n",
            ),
        ],
        json!({}),
    ));
    assert!(
        e.starts_with("template error in t/templates/a.yaml:3: ingress.host is required\n"),
        "{e}"
    );
}

#[test]
fn error_inside_include_names_both_places() {
    let e = err_text(render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/_h.tpl",
                "{% define \"t.x\" %}\nv: {{ Values.a.b }}\n{% enddefine %}\n",
            ),
            ("templates/a.yaml", "kind: A\n{{ include(\"t.x\") }}\n"),
        ],
        json!({}),
    ));
    assert!(e.starts_with("template error in t/templates/a.yaml:2: include(\"t.x\") failed:\n  t/templates/_h.tpl:2 (in define \"t.x\"): undefined value: `Values.a.b`"), "{e}");
}

#[test]
fn include_recursion_is_bounded() {
    let e = err_text(render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/_h.tpl",
                "{% define \"loop\" %}{{ include(\"loop\") }}{% enddefine %}\n",
            ),
            ("templates/a.yaml", "kind: A\n{{ include(\"loop\") }}\n"),
        ],
        json!({}),
    ));
    // Reported once, where the limit was hit, not as a hundred nested "include failed".
    assert_eq!(
        e,
        "template error in t/templates/_h.tpl:1 (in define \"loop\"): include(\"loop\"): templates nested more than 100 levels deep; does a named template include itself?\n  > 1 | {{ include(\"loop\") }}\n      |    ^^^^^^^^^^^^^^^"
    );
}

#[test]
fn include_context_rules() {
    let out = render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            ("values.yaml", "who: world\n"),
            (
                "templates/_h.tpl",
                "{% define \"hi\" -%}\nhi {{ Values.who }} from {{ root.Release.Name }}\n{%- enddefine %}\n{% define \"name\" -%}\n{{ name }}/{{ ctx.name }}/{{ root.Values.who }}\n{%- enddefine %}\n{% define \"str\" %}{{ ctx | upper }}{% enddefine %}\n",
            ),
            (
                "templates/a.yaml",
                "apiVersion: v1\nkind: A\nmetadata:\n  name: x\na: {{ include(\"hi\") }}\nb: {{ include(\"hi\", root) }}\nc: {{ include(\"name\", dict(\"name\", \"n\")) }}\nd: {{ include(\"str\", \"s\") }}\ne: {{ tpl(\"{{ Values.who }}!\", root) }}\n",
            ),
        ],
        json!({}),
    )
    .unwrap();
    assert_eq!(
        &*out.templates[0].content,
        "apiVersion: v1\nkind: A\nmetadata:\n  name: x\na: hi world from rel\nb: hi world from rel\nc: n/n/world\nd: S\ne: world!\n"
    );
}

#[test]
fn invalid_yaml_output_is_reported_with_rendered_lines() {
    let e = err_text(render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/a.yaml",
                "apiVersion: v1\nkind: A\nmetadata:\n  name: x\n bad: [\n",
            ),
        ],
        json!({}),
    ));
    assert!(
        e.starts_with("t/templates/a.yaml: rendered document 1 is not valid YAML: "),
        "{e}"
    );
    assert!(e.contains("rendered text:"), "{e}");
}

#[test]
fn missing_identity_fields_are_reported() {
    let e = err_text(render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/a.yaml",
                "apiVersion: v1\nmetadata:\n  labels: {}\n",
            ),
        ],
        json!({}),
    ));
    assert_eq!(
        e,
        "t/templates/a.yaml (document 1): object has no kind, metadata.name"
    );
}

#[test]
fn install_order_and_hooks() {
    let out = render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/all.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\napiVersion: x/v1\nkind: Widget\nmetadata:\n  name: w\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n---\n# only a comment\n",
            ),
        ],
        json!({}),
    )
    .unwrap();
    let kinds: Vec<&str> = out.manifest.documents.iter().map(|d| d.kind()).collect();
    assert_eq!(kinds, ["Namespace", "Service", "Deployment", "Widget"]);
    assert_eq!(out.manifest.hooks.len(), 1);
    assert_eq!(
        out.manifest.hooks[0].hook_events(),
        Some(vec![kpack::manifest::HookEvent::PreInstall])
    );
}

/// A render for printing puts the same texts in the same order, hooks apart, as a full
/// render, and holds no parsed objects but the hooks'; a bad document still fails it.
#[test]
fn print_render_orders_text_like_a_full_render_and_keeps_only_hook_objects() {
    let files = [
        ("Chart.yaml", CHART_YAML),
        (
            "templates/a.yaml",
            "apiVersion: x/v1\nkind: Zebra\nmetadata:\n  name: z\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    kpack.io/hook: post-install\n",
        ),
        (
            "templates/b.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\napiVersion: x/v1\nkind: Aardvark\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n",
        ),
    ];
    let chart = mem_chart(&files);
    let full = render(&chart, &Map::new(), &opts()).unwrap();
    let print = render_for_print(&chart, &Map::new(), &opts()).unwrap();
    let texts = |docs: &[kpack::manifest::Document]| -> Vec<(String, String)> {
        docs.iter()
            .map(|d| (d.source.clone(), d.text.to_string()))
            .collect()
    };
    assert_eq!(
        texts(&print.manifest.documents),
        [
            (
                "t/templates/b.yaml",
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n"
            ),
            (
                "t/templates/b.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c"
            ),
            (
                "t/templates/a.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d"
            ),
            // Kinds Helm does not know come last, by kind name, not in template order.
            (
                "t/templates/b.yaml",
                "apiVersion: x/v1\nkind: Aardvark\nmetadata:\n  name: a"
            ),
            (
                "t/templates/a.yaml",
                "apiVersion: x/v1\nkind: Zebra\nmetadata:\n  name: z"
            ),
        ]
        .map(|(s, t)| (s.to_string(), t.to_string()))
    );
    assert_eq!(
        texts(&print.manifest.documents),
        texts(&full.manifest.documents)
    );
    assert_eq!(texts(&print.manifest.hooks), texts(&full.manifest.hooks));
    assert_eq!(print.manifest.hooks.len(), 1);
    assert!(print.manifest.documents.iter().all(|d| d.object.is_null()));
    // Hooks keep theirs: `--skip-tests` reads their events.
    assert_eq!(
        print.manifest.hooks[0].hook_events(),
        Some(vec![kpack::manifest::HookEvent::PostInstall])
    );
    assert!(full.manifest.documents.iter().all(|d| d.object.is_object()));

    let bad = mem_chart(&[
        ("Chart.yaml", CHART_YAML),
        (
            "templates/x.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        ),
    ]);
    assert_eq!(
        render_for_print(&bad, &Map::new(), &opts())
            .unwrap_err()
            .to_string(),
        render(&bad, &Map::new(), &opts()).unwrap_err().to_string()
    );
}

#[test]
fn kube_version_constraint() {
    let files = [
        (
            "Chart.yaml",
            "apiVersion: kpack/v1\nname: t\nversion: 0.1.0\nkubeVersion: \">=1.20.0-0 <1.30.0-0\"\n",
        ),
        ("templates/a.yaml", ""),
    ];
    let e = err_text(render_mem(&files, json!({})));
    assert_eq!(
        e,
        "chart \"t\" requires Kubernetes >=1.20.0-0 <1.30.0-0 (kubeVersion in mem/Chart.yaml), but the target is v1.36.0; use --kube-version to render for another version"
    );
    let mut o = opts();
    o.capabilities = Capabilities::new(kpack::engine::KubeVersion::parse("1.25").unwrap(), &[]);
    assert!(render(&mem_chart(&files), &Map::new(), &o).is_ok());
}

#[test]
fn capabilities_and_files_objects() {
    let out = render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            ("config/app.conf", "a=1\nb=2\n"),
            ("config/other.conf", "c=3\n"),
            (
                "templates/a.yaml",
                "apiVersion: v1\nkind: A\nmetadata:\n  name: x\nv: {{ Capabilities.KubeVersion.Version }} {{ Capabilities.KubeVersion.Minor }}\nhas: {{ Capabilities.APIVersions.Has(\"apps/v1/Deployment\") }} {{ Capabilities.APIVersions.Has(\"x/v9\") }}\nget: {{ Files.Get(\"config/app.conf\") | quote }}\nlines: {{ Files.Lines(\"config/app.conf\") | length }}\ncfg:\n  {{- Files.Glob(\"config/*.conf\").AsConfig() | nindent(2) }}\nsec:\n  {{- Files.Glob(\"config/other.conf\").AsSecrets() | nindent(2) }}\ntpl: {{ Template.Name }} {{ Template.BasePath }}\n",
            ),
        ],
        json!({}),
    )
    .unwrap();
    assert_eq!(
        &*out.templates[0].content,
        "apiVersion: v1\nkind: A\nmetadata:\n  name: x\nv: v1.36.0 36\nhas: true false\nget: \"a=1\\nb=2\\n\"\nlines: 2\ncfg:\n  app.conf: |\n    a=1\n    b=2\n  other.conf: |\n    c=3\nsec:\n  other.conf: Yz0zCg==\ntpl: t/templates/a.yaml t/templates\n"
    );
}

#[test]
fn names_passed_to_include_shadow_helpers_and_helpers_resolve_everywhere() {
    let out = render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/_h.tpl",
                "{% define \"t.x\" %}{{ quote }}/{{ upper(\"b\") }}/{{ \"c\" | quote }}{% enddefine %}",
            ),
            (
                "templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ quote(\"a\") }}\ndata:\n  x: {{ include(\"t.x\", dict(\"quote\", \"mine\")) | quote }}\n  y: {{ tpl(\"{{ quote }}{{ lower(Values.u) }}\", dict(\"quote\", 1, \"Values\", Values)) }}\n",
            ),
            ("values.yaml", "u: UP\n"),
        ],
        json!({}),
    )
    .unwrap();
    assert_eq!(
        &*out.templates[0].content,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"a\"\ndata:\n  x: \"mine/B/\\\"c\\\"\"\n  y: 1up\n"
    );
}

/// `include` of a template file's full name renders that whole file with the given
/// context, newlines kept and its defines left out: the `checksum/config` idiom gives the
/// hash helm v4.3.1 gives for the same chart (c79b012d…).
#[test]
fn include_renders_a_whole_template_file_like_helm() {
    let out = render_mem(
        &[
            ("Chart.yaml", "apiVersion: kpack/v1\nname: ck\nversion: 0.1.0\n"),
            ("values.yaml", "greeting: hi\n"),
            (
                "templates/configmap.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ Release.Name }}-cfg\ndata:\n  greeting: {{ Values.greeting }}\n",
            ),
            (
                "templates/deploy.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ Release.Name }}\n  annotations:\n    checksum/config: {{ include(Template.BasePath ~ \"/configmap.yaml\", root) | sha256sum }}\n    mixed: {{ include(\"ck/templates/_mixed.tpl\", dict(\"who\", \"you\")) | tojson }}\n",
            ),
            (
                "templates/_mixed.tpl",
                "{% define \"ck.name\" %}ck{% enddefine %}hello {{ who }}\n",
            ),
        ],
        json!({}),
    )
    .unwrap();
    let deploy = out
        .manifest
        .documents
        .iter()
        .find(|d| d.kind() == "Deployment")
        .unwrap();
    assert_eq!(
        deploy.text.to_string(),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rel\n  annotations:\n    checksum/config: c79b012da8d589f9af2de27d41abfb4dba9f570c1af543f8c1a84f277476a55b\n    mixed: \"hello you\\n\""
    );
    let e = err_text(render_mem(
        &[
            ("Chart.yaml", CHART_YAML),
            (
                "templates/a.yaml",
                "x: {{ include(\"t/templates/nope.yaml\") }}\n",
            ),
        ],
        json!({}),
    ));
    assert!(
        e.contains("include: no template named \"t/templates/nope.yaml\"; define it with {% define \"t/templates/nope.yaml\" %} … {% enddefine %} in a templates/_helpers.tpl file, or name a template file (CHART/templates/FILE)"),
        "{e}"
    );
}

/// A parent with default globals and one declared subchart that prints its globals.
const GLOBALS_TREE: [(&str, &str); 4] = [
    (
        "Chart.yaml",
        "apiVersion: kpack/v1\nname: g\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n",
    ),
    (
        "values.yaml",
        "global:\n  region: eu\n  zone: a\n  nested: {x: 1, w: 2}\nsub:\n  global:\n    subonly: s\n",
    ),
    (
        "charts/sub/Chart.yaml",
        "apiVersion: kpack/v1\nname: sub\nversion: 0.1.0\n",
    ),
    (
        "charts/sub/values.yaml",
        "global:\n  region: sub-default\n  own: o\n",
    ),
];

#[test]
fn a_user_null_for_a_global_keeps_the_parents_default_in_subcharts() {
    // Expected globals as helm v4.3.1 rendered this tree (helm template with the same
    // --set flags): a null removes the global from the parent only; subcharts keep the
    // parent's default, and a parent global still wins over a subchart's own null.
    let globals = |user: serde_json::Value| {
        let v = merge::coalesce(&mem_chart(&GLOBALS_TREE), &map(user)).unwrap();
        let sub = v["sub"]["global"].clone();
        (
            v.get("global").cloned().unwrap_or(serde_json::Value::Null),
            sub,
        )
    };
    let all_sub = json!({"nested": {"x": 1.0, "w": 2.0}, "own": "o", "region": "eu", "subonly": "s", "zone": "a"});
    let (parent, sub) = globals(json!({"global": {"region": null}}));
    assert_eq!(parent, json!({"zone": "a", "nested": {"x": 1.0, "w": 2.0}}));
    assert_eq!(sub, all_sub);
    let (parent, sub) = globals(json!({"global": {"nested": {"x": null}}}));
    assert_eq!(
        parent,
        json!({"region": "eu", "zone": "a", "nested": {"w": 2.0}})
    );
    assert_eq!(sub, all_sub);
    let (parent, sub) = globals(json!({"global": null}));
    assert_eq!(parent, json!(null));
    assert_eq!(sub, all_sub);
    let (parent, sub) = globals(json!({"global": {"zone": null, "new": null}}));
    assert_eq!(
        parent,
        json!({"region": "eu", "nested": {"x": 1.0, "w": 2.0}, "new": null})
    );
    let mut with_new = all_sub.clone();
    with_new["new"] = json!(null);
    assert_eq!(sub, with_new);
    let (_, sub) = globals(json!({"sub": {"global": {"region": null}}}));
    assert_eq!(sub, all_sub);
}

/// In a tree that mixes the two languages, each chart's objects are read with its own
/// language's YAML: a Helm chart's as helm sends them (YAML 1.1: `0755` is 493, `yes` is
/// true), a kpack chart's as YAML 1.2 (strings), at any depth, `crds/` files included; and
/// the release record keeps enough to read its manifest back the same way.
#[test]
fn mixed_trees_type_each_object_by_its_charts_language() {
    use kpack::action::apply::{chart_info, manifest_text, parse_manifest};
    let kpack_top = fixture("mixed-yaml");
    let helm_top = chart::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mixed-yaml/charts/legacy"),
    )
    .unwrap();
    let deployment = json!({
        "paused": true,
        "revisionHistoryLimit": 8,
        "tty": true,
        "defaultMode": 493,
    });
    let fields = |out: &RenderOutput, name: &str| -> serde_json::Value {
        let d = out
            .manifest
            .documents
            .iter()
            .find(|d| d.name() == name)
            .unwrap_or_else(|| panic!("no {name}"));
        let o = &d.object;
        match d.kind() {
            "Deployment" => json!({
                "paused": o["spec"]["paused"],
                "revisionHistoryLimit": o["spec"]["revisionHistoryLimit"],
                "tty": o["spec"]["template"]["spec"]["containers"][0]["tty"],
                "defaultMode": o["spec"]["template"]["spec"]["volumes"][0]["configMap"]["defaultMode"],
            }),
            _ => o["data"].clone(),
        }
    };
    for (top, chart, languages) in [
        (
            "kpack",
            &kpack_top,
            json!({
                "mixed-yaml/charts/legacy/": "helm",
                "mixed-yaml/charts/legacy/charts/modern/": "kpack",
            }),
        ),
        ("helm", &helm_top, json!({"legacy/charts/modern/": "kpack"})),
    ] {
        let out = render(chart, &Map::new(), &opts()).unwrap();
        assert_eq!(fields(&out, "rel-legacy"), deployment, "{top} top");
        assert_eq!(
            fields(&out, "rel-modern"),
            json!({"mode": "0755", "paused": "off"}),
            "{top} top"
        );
        if top == "kpack" {
            assert_eq!(
                fields(&out, "rel-top"),
                json!({"enabled": "yes", "tty": "on"})
            );
        }
        let crd = &out.crds[0].object["spec"]["versions"][0];
        assert_eq!(
            (&crd["served"], &crd["storage"]),
            (&json!(true), &json!(true))
        );

        // The record: the turns of language, and the manifest read back as rendered.
        let info = chart_info(&out.chart);
        assert_eq!(json!(info.subchart_languages), languages, "{top} top");
        let text = manifest_text(&out.manifest.documents);
        let back = parse_manifest(&text, &info.typing()).unwrap();
        let objects = |docs: &[kpack::manifest::Document]| -> Vec<serde_json::Value> {
            docs.iter().map(|d| d.object.clone()).collect()
        };
        assert_eq!(
            objects(&back),
            objects(&out.manifest.documents),
            "{top} top"
        );
    }
}
