//! Validation of values against a chart's `values.schema.json` (with the `jsonschema` crate),
//! and checking that such a schema is itself a valid JSON Schema (for lint).
//!
//! The draft comes from `$schema` (draft 4, 6, 7, 2019-09 or 2020-12, `http` or `https`, with
//! or without a trailing `#`); without `$schema` the schema is read as draft 2020-12, as the
//! crate (and Helm) do. A `$schema` naming anything else is also read as 2020-12 by
//! [`validate`], and reported by [`check_schema`]. `format` is checked as the draft says: an
//! assertion up to draft 7, an annotation from 2019-09 on. kpack never fetches schemas: a
//! `$ref` to another file or a URL is an error that says to inline the referenced schema.
//!
//! The `chart` argument is only quoted in messages; callers pass the chart's name, or a path
//! such as `web/charts/db` for a subchart. Every violation is reported, one per line, sorted by
//! JSON pointer (list indexes in numeric order) so output is deterministic:
//!
//! ```text
//! values for chart "web" do not match values.schema.json (2 errors):
//!   - /image/tag: 5 is not of type "string"
//!   - /replicas: -1 is less than the minimum of 0
//! fix the values (or the schema), or pass --skip-schema-validation to render anyway
//! ```
//!
//! Messages are the crate's, except that values longer than 60 characters are summarised,
//! `enum` lists up to 10 allowed values, and `anyOf`/`oneOf` failures say why each branch failed.
//!
//! A value that may be secret is never printed: shown as `***` when the nearest key on its
//! path that says anything names a credential (`password`, `passwd`, `passphrase`,
//! `secret`, `token`, `apikey`, `accesskey`, `privatekey`, `credential`, `key`, `tls.key`...
//! in any case, ignoring `-`, `_` and `.`) rather than a reference to one (`secretName`,
//! `existingSecret`, `imagePullSecrets`, `groups`...), see [`secret_path`]; or when its
//! schema (or one above it) says `"writeOnly": true`.

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, ReferencingError, ValidationError, Validator};
use serde_json::Value;

use crate::{Error, Result};

/// The hint that ends a validation error.
const SKIP_HINT: &str = "pass --skip-schema-validation to render anyway";
/// Values whose JSON text is longer than this are summarised in messages.
const MAX_SHOWN: usize = 60;
/// At most this many `enum` options are listed.
const MAX_ENUM_SHOWN: usize = 10;

/// Validate `values` against `schema`. `chart` names the chart for messages (e.g. `"web"` or
/// `"web/charts/db"`). Returns every violation, not only the first, as one [`Kind::Values`](crate::error::Kind::Values);
/// a schema that cannot be used is reported the same way.
pub fn validate(schema: &Value, values: &Value, chart: &str) -> Result<()> {
    let draft = draft_of(schema);
    let validator = match build(schema, draft) {
        Ok(v) => v,
        Err(first) => {
            let mut problems = schema_problems(schema, draft);
            if problems.is_empty() {
                problems.push(schema_error_problem(&first));
            }
            return Err(Error::values(format!(
                "{}\nfix values.schema.json, or {SKIP_HINT}",
                report(&schema_header(chart, draft), problems)
            )));
        }
    };
    let problems: Vec<Problem> = validator
        .iter_errors(values)
        .map(|e| Problem::at(&e, message(&e, Some(schema))))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::values(format!(
        "{}\nfix the values (or the schema), or {SKIP_HINT}",
        report(
            &format!("values for chart \"{chart}\" do not match values.schema.json"),
            problems
        )
    )))
}

/// Check the schema itself is a valid JSON Schema (for lint): it must match its draft's
/// meta-schema, compile (valid regexes, resolvable `$ref`s) and name a known draft.
/// The error names the chart and lists every problem with its place in the schema.
pub fn check_schema(schema: &Value, chart: &str) -> Result<()> {
    let draft = draft_of(schema);
    let problems = schema_problems(schema, draft);
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::values(format!(
        "{}\nfix values.schema.json so it is a valid JSON Schema (\"$schema\" picks draft 4, 6, 7, 2019-09 or 2020-12; 2020-12 when absent)",
        report(&schema_header(chart, draft), problems)
    )))
}

/// The meta-schema of `schema`'s draft, compiled once per process.
fn meta_validator(draft: Draft) -> jsonschema::meta::MetaValidator<'static> {
    match draft {
        Draft::Draft4 => jsonschema::draft4::meta::validator(),
        Draft::Draft6 => jsonschema::draft6::meta::validator(),
        Draft::Draft7 => jsonschema::draft7::meta::validator(),
        Draft::Draft201909 => jsonschema::draft201909::meta::validator(),
        _ => jsonschema::draft202012::meta::validator(),
    }
}

/// Start compiling the meta-schema of `schema`'s draft on a worker thread, if not done yet:
/// every validation checks the schema against it first, and compiling it (2020-12's
/// especially) takes a few milliseconds that a chart's loading can hide. A chart loader
/// calls this when it finds a schema.
pub fn prepare_meta_schema(schema: &Value) {
    static STARTED: [std::sync::atomic::AtomicBool; 5] =
        [const { std::sync::atomic::AtomicBool::new(false) }; 5];
    let draft = draft_of(schema);
    let i = match draft {
        Draft::Draft4 => 0,
        Draft::Draft6 => 1,
        Draft::Draft7 => 2,
        Draft::Draft201909 => 3,
        _ => 4,
    };
    if !STARTED[i].swap(true, std::sync::atomic::Ordering::Relaxed) {
        crate::parallel::spawn(move || {
            meta_validator(draft);
        });
    }
}

/// The draft named by `$schema` (2020-12 when absent), or `Draft::Unknown`.
fn draft_of(schema: &Value) -> Draft {
    Draft::default().detect(schema)
}

fn draft_name(draft: Draft) -> &'static str {
    match draft {
        Draft::Draft4 => "draft 4",
        Draft::Draft6 => "draft 6",
        Draft::Draft7 => "draft 7",
        Draft::Draft201909 => "draft 2019-09",
        _ => "draft 2020-12",
    }
}

fn schema_header(chart: &str, draft: Draft) -> String {
    format!(
        "values.schema.json of chart \"{chart}\" is not a valid JSON Schema ({})",
        draft_name(draft)
    )
}

/// Compile the schema; an unknown `$schema` is compiled as draft 2020-12.
fn build(schema: &Value, draft: Draft) -> std::result::Result<Validator, ValidationError<'static>> {
    let mut options = jsonschema::options();
    if draft == Draft::Unknown {
        options = options.with_draft(Draft::Draft202012);
    }
    options.build(schema)
}

/// Everything wrong with a schema: an unknown `$schema`, meta-schema violations, and (when
/// those are fine) the first compile error.
fn schema_problems(schema: &Value, draft: Draft) -> Vec<Problem> {
    let mut problems = Vec::new();
    if draft == Draft::Unknown {
        let uri = schema
            .get("$schema")
            .and_then(Value::as_str)
            .unwrap_or_default();
        problems.push(Problem {
            path: Some("/$schema".into()),
            message: format!(
                "\"{uri}\" is not a JSON Schema draft kpack knows (4, 6, 7, 2019-09, 2020-12), so the schema is read as draft 2020-12"
            ),
        });
    }
    let meta = meta_validator(draft);
    let before = problems.len();
    problems.extend(
        meta.iter_errors(schema)
            .map(|e| Problem::at(&e, message(&e, None))),
    );
    if problems.len() == before
        && let Err(e) = build(schema, draft)
    {
        problems.push(schema_error_problem(&e));
    }
    problems
}

/// A compile error, with `$ref` problems explained.
fn schema_error_problem(e: &ValidationError<'_>) -> Problem {
    let ValidationErrorKind::Referencing(err) = e.kind() else {
        return Problem::at(e, message(e, None));
    };
    let message = match err {
        ReferencingError::Unretrievable { uri, .. } => format!(
            "cannot load \"{uri}\" for \"$ref\": kpack does not fetch schemas from files or URLs; copy that schema into values.schema.json (under \"$defs\") and point \"$ref\" at it"
        ),
        ReferencingError::PointerToNowhere { pointer } => {
            format!("\"$ref\" points to \"#{pointer}\", which does not exist in the schema")
        }
        other => other.to_string(),
    };
    Problem {
        path: None,
        message,
    }
}

/// One line of a report.
#[derive(Debug, PartialEq)]
struct Problem {
    /// JSON pointer ("/" for the root), or none when the problem has no place.
    path: Option<String>,
    message: String,
}

impl Problem {
    fn at(e: &ValidationError<'_>, message: String) -> Self {
        Problem {
            path: Some(pointer(e)),
            message,
        }
    }

    fn line(&self) -> String {
        match &self.path {
            Some(p) => format!("{p}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

fn pointer(e: &ValidationError<'_>) -> String {
    let p = e.instance_path().to_string();
    if p.is_empty() { "/".to_string() } else { p }
}

/// A sort key step: list indexes sort numerically, before names.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Index(u64),
    Name(String),
}

fn sort_key(path: Option<&str>) -> Vec<Step> {
    let Some(path) = path else {
        return Vec::new();
    };
    path.split('/')
        .skip(1)
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<u64>() {
            Ok(i) if !s.starts_with('+') => Step::Index(i),
            _ => Step::Name(s.replace("~1", "/").replace("~0", "~")),
        })
        .collect()
}

/// `header (N errors):`, the sorted, de-duplicated lines, no trailing newline.
fn report(header: &str, mut problems: Vec<Problem>) -> String {
    problems.sort_by_cached_key(|p| (sort_key(p.path.as_deref()), p.message.clone()));
    problems.dedup();
    let n = problems.len();
    let mut out = format!("{header} ({n} error{}):", if n == 1 { "" } else { "s" });
    for p in &problems {
        out.push_str("\n  - ");
        out.push_str(&p.line());
    }
    out
}

/// A value as JSON text, or a summary when that is longer than [`MAX_SHOWN`] characters.
fn shown(v: &Value) -> (String, bool) {
    let text = v.to_string();
    if text.chars().count() <= MAX_SHOWN {
        return (text, false);
    }
    let summary = match v {
        Value::Object(m) => format!("an object with {} keys", m.len()),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::String(s) => {
            let head: String = s.chars().take(40).collect();
            format!("{}...", Value::String(head))
        }
        _ => text,
    };
    (summary, true)
}

/// What a hidden value is shown as.
const HIDDEN: &str = "***";

/// Words that make a key name a credential when it contains one (compared in lower case,
/// without `-`, `_` and `.`): `db.password`, `apiToken`, `tls.privateKey`...
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "connectionstring",
];

/// Keys that are credentials without holding a word of [`SECRET_WORDS`]: `tls.key`,
/// `sshKey`, `dsn` (normalized as for [`SECRET_WORDS`]; whole keys, or their ends).
const SECRET_ENDS: &[&str] = &[
    "key",
    "tlskey",
    "sshkey",
    "signingkey",
    "encryptionkey",
    "clientkey",
    "dsn",
];

/// `key` in lower case without `-`, `_` and `.`.
fn normalized(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a key names a reference to a credential, or something about one, rather than
/// the credential itself: `secretName`, `existingSecret`, `tokenSecretRef`,
/// `imagePullSecrets` (a list of Secret names), `groups`, `passwordLength`,
/// `automountServiceAccountToken`...
fn names_a_reference(k: &str) -> bool {
    const ENDS: &[&str] = &[
        "name",
        "names",
        "ref",
        "refs",
        "reference",
        "enabled",
        "length",
        "ttl",
        "expiration",
        "path",
        "file",
        "audience",
        "duration",
        "usages",
        "groups",
        "group",
        "type",
        "kind",
    ];
    ENDS.iter().any(|e| k.ends_with(e))
        || k.starts_with("existing")
        || k.starts_with("automount")
        || k.starts_with("enable")
        || matches!(k, "imagepullsecrets" | "pullsecrets" | "id")
}

/// Whether a key names a credential (see [`SECRET_WORDS`] and [`SECRET_ENDS`]).
fn names_a_credential(k: &str) -> bool {
    SECRET_WORDS.iter().any(|w| k.contains(w))
        || SECRET_ENDS
            .iter()
            .any(|e| k == *e || (e.len() > 3 && k.ends_with(e)))
}

/// Whether the value at `pointer` (a JSON pointer into the values) may be a credential:
/// the keys on its path, read from the value up, decide. The first that names a reference
/// (`secretName`, `imagePullSecrets`, `groups`...) says no; the first that names a
/// credential (`password`, `tokens`, `tls.key`...) says yes; a list index ends the search
/// when a key was already passed (the fields of `tokens[0]` are judged by their own names:
/// `tokens[0].token` is hidden, `tokens[0].expiration` is not; `tokens[0]` itself is).
pub fn secret_path(pointer: &str) -> bool {
    let mut passed_key = false;
    for raw in pointer
        .split('/')
        .skip(1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        if raw.parse::<usize>().is_ok() {
            if passed_key {
                return false;
            }
            continue;
        }
        let k = normalized(&raw.replace("~1", "/").replace("~0", "~"));
        if names_a_reference(&k) {
            return false;
        }
        if names_a_credential(&k) {
            return true;
        }
        passed_key = true;
    }
    false
}

/// Whether the value of a violation must not be printed: its path looks secret (see
/// [`secret_path`]), or the schema marks it (or a schema above it) `"writeOnly": true`.
fn hides(e: &ValidationError<'_>, schema: &Value) -> bool {
    secret_path(e.instance_path().as_str()) || write_only(schema, e.schema_path().as_str())
}

/// Whether a schema on the way along `keyword_path` (a JSON pointer into `root`, through
/// local `$ref`s) says `"writeOnly": true`.
fn write_only(root: &Value, keyword_path: &str) -> bool {
    let marked = |v: &Value| v.get("writeOnly") == Some(&Value::Bool(true));
    let mut cur = root;
    for raw in keyword_path.split('/').skip(1) {
        if marked(cur) {
            return true;
        }
        let step = raw.replace("~1", "/").replace("~0", "~");
        let next = if step == "$ref" {
            cur.get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| root.pointer(p))
        } else {
            match cur {
                Value::Object(m) => m.get(&step),
                Value::Array(a) => step.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            }
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    marked(cur)
}

/// The message for one violation (without its path). `schema`, when the instance is user
/// values, decides which values are hidden (see [`hides`]).
fn message(e: &ValidationError<'_>, schema: Option<&Value>) -> String {
    let hide = schema.is_some_and(|s| hides(e, s));
    let (instance, long) = if hide {
        (HIDDEN.to_string(), true)
    } else {
        shown(e.instance())
    };
    match e.kind() {
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(|o| o.to_string()).collect())
                .unwrap_or_default();
            format!("{instance} is not one of {}", or_list(&options))
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            let base = if long {
                e.masked_with(instance.as_str()).to_string()
            } else {
                e.to_string()
            };
            let here = e.instance_path().to_string();
            let reasons: Vec<String> = context
                .iter()
                .filter_map(|branch| branch.first())
                .map(|sub| {
                    let path = sub.instance_path().to_string();
                    if path == here {
                        message(sub, schema)
                    } else {
                        format!("{}: {}", pointer(sub), message(sub, schema))
                    }
                })
                .collect();
            if reasons.is_empty() {
                base
            } else {
                format!("{base} ({})", reasons.join("; or "))
            }
        }
        _ if long => e.masked_with(instance.as_str()).to_string(),
        _ => e.to_string(),
    }
}

/// `a, b or c`, cut after [`MAX_ENUM_SHOWN`] items.
fn or_list(items: &[String]) -> String {
    match items {
        [] => "nothing (the enum is empty)".to_string(),
        [one] => one.clone(),
        _ if items.len() > MAX_ENUM_SHOWN => format!(
            "{} or {} more",
            items[..MAX_ENUM_SHOWN].join(", "),
            items.len() - MAX_ENUM_SHOWN
        ),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_hidden_and_references_to_them_are_not() {
        for hidden in [
            "/db/password",
            "/auth/password/value",
            "/apiToken",
            "/tokens/0",
            "/tokens/0/token",
            "/tls/key",
            "/tls.key",
            "/sshKey",
            "/secrets/db",
            "/s3/secretKey",
            "/postgresql/auth/postgres-password",
        ] {
            assert!(secret_path(hidden), "{hidden}");
        }
        for shown in [
            "/global/imagePullSecrets",
            "/global/imagePullSecrets/0",
            "/tokens/0/groups/0",
            "/tokens/0/expiration",
            "/tokens/0/id",
            "/tokens/0/description",
            "/tls/secretName",
            "/auth/existingSecret",
            "/env/0/valueFrom/secretKeyRef/name",
            "/serviceAccount/automountServiceAccountToken",
            "/password/length",
            "/replicas",
            "/tls/publicKey",
            "",
        ] {
            assert!(!secret_path(shown), "{shown}");
        }
    }
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn err_of(r: Result<()>) -> String {
        match r {
            Err(e) if e.kind() == crate::error::Kind::Values => e.message().to_string(),
            other => panic!("expected a values error, got {other:?}"),
        }
    }

    fn values_report(lines: &[&str]) -> String {
        let n = lines.len();
        let mut out = format!(
            "values for chart \"web\" do not match values.schema.json ({n} error{}):",
            if n == 1 { "" } else { "s" }
        );
        for l in lines {
            out.push_str("\n  - ");
            out.push_str(l);
        }
        out.push_str(
            "\nfix the values (or the schema), or pass --skip-schema-validation to render anyway",
        );
        out
    }

    /// Validate against `schema` and compare the listed violations exactly.
    fn check(schema: Value, values: Value, lines: &[&str]) {
        let got = validate(&schema, &values, "web");
        if lines.is_empty() {
            assert!(got.is_ok(), "{got:?}");
        } else {
            assert_eq!(err_of(got), values_report(lines));
        }
    }

    #[test]
    fn matching_values_pass() {
        let schema = json!({
            "type": "object",
            "properties": {"replicas": {"type": "integer", "minimum": 0}},
            "required": ["replicas"]
        });
        check(schema, json!({"replicas": 2, "other": "x"}), &[]);
        check(json!({}), json!({"anything": [1, 2]}), &[]);
        check(json!(true), json!(null), &[]);
    }

    #[test]
    fn documented_example() {
        let schema = json!({
            "properties": {
                "replicas": {"type": "integer", "minimum": 0},
                "image": {"properties": {"tag": {"type": "string"}}}
            }
        });
        let got = err_of(validate(
            &schema,
            &json!({"replicas": -1, "image": {"tag": 5}}),
            "web",
        ));
        assert_eq!(
            got,
            "values for chart \"web\" do not match values.schema.json (2 errors):\n  - /image/tag: 5 is not of type \"string\"\n  - /replicas: -1 is less than the minimum of 0\nfix the values (or the schema), or pass --skip-schema-validation to render anyway"
        );
    }

    #[test]
    fn type_error() {
        check(
            json!({"properties": {"port": {"type": "integer"}}}),
            json!({"port": "80"}),
            &["/port: \"80\" is not of type \"integer\""],
        );
        check(
            json!({"properties": {"port": {"type": ["integer", "null"]}}}),
            json!({"port": true}),
            &["/port: true is not of types \"null\", \"integer\""],
        );
    }

    #[test]
    fn required_property() {
        check(
            json!({"properties": {"image": {"required": ["repository", "tag"]}}, "required": ["image"]}),
            json!({"image": {"tag": "1"}}),
            &["/image: \"repository\" is a required property"],
        );
        check(
            json!({"required": ["name"]}),
            json!({}),
            &["/: \"name\" is a required property"],
        );
    }

    #[test]
    fn unknown_key_with_additional_properties_false() {
        check(
            json!({"properties": {"color": {"type": "string"}}, "additionalProperties": false}),
            json!({"color": "red", "colour": "red"}),
            &["/: Additional properties are not allowed ('colour' was unexpected)"],
        );
    }

    #[test]
    fn enum_lists_every_option() {
        check(
            json!({"properties": {"pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}}}),
            json!({"pullPolicy": "Sometimes"}),
            &["/pullPolicy: \"Sometimes\" is not one of \"Always\", \"IfNotPresent\" or \"Never\""],
        );
        check(
            json!({"properties": {"n": {"enum": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}}}),
            json!({"n": 0}),
            &["/n: 0 is not one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 or 2 more"],
        );
    }

    #[test]
    fn minimum_and_maximum() {
        check(
            json!({"properties": {"replicas": {"minimum": 0}, "cpu": {"maximum": 8}}}),
            json!({"replicas": -1, "cpu": 16}),
            &[
                "/cpu: 16 is greater than the maximum of 8",
                "/replicas: -1 is less than the minimum of 0",
            ],
        );
    }

    #[test]
    fn pattern() {
        check(
            json!({"properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}}),
            json!({"name": "Web"}),
            &["/name: \"Web\" does not match \"^[a-z]+$\""],
        );
    }

    #[test]
    fn every_error_sorted_by_path() {
        let schema = json!({
            "type": "object",
            "required": ["name"],
            "properties": {
                "zeta": {"type": "string"},
                "ports": {"items": {"type": "integer", "maximum": 65535}},
                "alpha": {"type": "boolean"}
            }
        });
        let ports: Vec<Value> = (0..11)
            .map(|i| {
                if i == 2 || i == 10 {
                    json!(70000)
                } else {
                    json!(80)
                }
            })
            .collect();
        check(
            schema,
            json!({"zeta": 1, "ports": ports, "alpha": "yes"}),
            &[
                "/: \"name\" is a required property",
                "/alpha: \"yes\" is not of type \"boolean\"",
                "/ports/2: 70000 is greater than the maximum of 65535",
                "/ports/10: 70000 is greater than the maximum of 65535",
                "/zeta: 1 is not of type \"string\"",
            ],
        );
    }

    #[test]
    fn long_values_are_summarised() {
        let long = "x".repeat(100);
        check(
            json!({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": "object"}}}),
            json!({"a": {"k1": long, "k2": 1}, "b": long, "c": (0..40).collect::<Vec<_>>()}),
            &[
                "/a: an object with 2 keys is not of type \"string\"",
                "/b: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"... is not of type \"integer\"",
                "/c: an array of 40 items is not of type \"object\"",
            ],
        );
    }

    #[test]
    fn any_of_says_why_each_branch_failed() {
        check(
            json!({"properties": {"port": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]}}}),
            json!({"port": "http"}),
            &[
                "/port: \"http\" is not valid under any of the schemas listed in the 'anyOf' keyword (\"http\" is not of type \"integer\"; or \"http\" does not match \"^[0-9]+$\")",
            ],
        );
    }

    #[test]
    fn draft_07_schema() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "definitions": {"port": {"type": "integer", "exclusiveMaximum": 65536}},
            "properties": {
                "http": {"$ref": "#/definitions/port"},
                "mail": {"type": "string", "format": "email"}
            }
        });
        check(
            schema,
            json!({"http": 65536, "mail": "nobody"}),
            &[
                "/http: 65536 is greater than or equal to the maximum of 65536",
                "/mail: \"nobody\" is not a \"email\"",
            ],
        );
    }

    #[test]
    fn draft_04_schema() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "properties": {"replicas": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}}
        });
        check(
            schema,
            json!({"replicas": 0}),
            &["/replicas: 0 is less than or equal to the minimum of 0"],
        );
    }

    #[test]
    fn draft_2020_12_is_the_default_and_format_is_an_annotation() {
        // "$defs" and "prefixItems" are 2020-12 keywords; "format" is not asserted there.
        let schema = json!({
            "$defs": {"name": {"type": "string"}},
            "properties": {
                "names": {"prefixItems": [{"$ref": "#/$defs/name"}]},
                "mail": {"format": "email"}
            }
        });
        check(
            schema,
            json!({"names": [1], "mail": "nobody"}),
            &["/names/0: 1 is not of type \"string\""],
        );
    }

    #[test]
    fn unknown_schema_uri_validates_as_2020_12() {
        let schema = json!({"$schema": "https://example.com/my-schema", "properties": {"a": {"type": "string"}}});
        check(
            schema.clone(),
            json!({"a": 1}),
            &["/a: 1 is not of type \"string\""],
        );
        assert_eq!(
            err_of(check_schema(&schema, "web")),
            "values.schema.json of chart \"web\" is not a valid JSON Schema (draft 2020-12) (1 error):\n  - /$schema: \"https://example.com/my-schema\" is not a JSON Schema draft kpack knows (4, 6, 7, 2019-09, 2020-12), so the schema is read as draft 2020-12\nfix values.schema.json so it is a valid JSON Schema (\"$schema\" picks draft 4, 6, 7, 2019-09 or 2020-12; 2020-12 when absent)"
        );
    }

    #[test]
    fn check_schema_accepts_valid_schemas() {
        for schema in [
            json!({}),
            json!(true),
            json!({"$schema": "http://json-schema.org/draft-04/schema#", "properties": {"a": {"type": "string"}}}),
            json!({"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "object"}),
            json!({"$schema": "http://json-schema.org/draft-06/schema", "const": 1}),
        ] {
            assert!(check_schema(&schema, "web").is_ok(), "{schema}");
        }
    }

    #[test]
    fn check_schema_lists_every_problem() {
        let schema = json!({
            "properties": {
                "a": {"type": "strin"},
                "b": {"minimum": "zero"}
            },
            "required": "a"
        });
        assert_eq!(
            err_of(check_schema(&schema, "web/charts/db")),
            "values.schema.json of chart \"web/charts/db\" is not a valid JSON Schema (draft 2020-12) (3 errors):\n  - /properties/a/type: \"strin\" is not valid under any of the schemas listed in the 'anyOf' keyword (\"strin\" is not one of \"array\", \"boolean\", \"integer\", \"null\", \"number\", \"object\" or \"string\"; or \"strin\" is not of type \"array\")\n  - /properties/b/minimum: \"zero\" is not of type \"number\"\n  - /required: \"a\" is not of type \"array\"\nfix values.schema.json so it is a valid JSON Schema (\"$schema\" picks draft 4, 6, 7, 2019-09 or 2020-12; 2020-12 when absent)"
        );
    }

    #[test]
    fn check_schema_catches_compile_errors() {
        assert_eq!(
            err_of(check_schema(
                &json!({"properties": {"a": {"pattern": "^[a-z"}}}),
                "web"
            )),
            "values.schema.json of chart \"web\" is not a valid JSON Schema (draft 2020-12) (1 error):\n  - /properties/a/pattern: \"^[a-z\" is not a \"regex\"\nfix values.schema.json so it is a valid JSON Schema (\"$schema\" picks draft 4, 6, 7, 2019-09 or 2020-12; 2020-12 when absent)"
        );
        assert_eq!(
            err_of(check_schema(
                &json!({"properties": {"a": {"$ref": "#/$defs/missing"}}}),
                "web"
            )),
            "values.schema.json of chart \"web\" is not a valid JSON Schema (draft 2020-12) (1 error):\n  - \"$ref\" points to \"#/$defs/missing\", which does not exist in the schema\nfix values.schema.json so it is a valid JSON Schema (\"$schema\" picks draft 4, 6, 7, 2019-09 or 2020-12; 2020-12 when absent)"
        );
    }

    #[test]
    fn validate_reports_an_unusable_schema() {
        assert_eq!(
            err_of(validate(
                &json!({"properties": {"a": {"$ref": "https://example.com/defs.json"}}}),
                &json!({"a": 1}),
                "web"
            )),
            "values.schema.json of chart \"web\" is not a valid JSON Schema (draft 2020-12) (1 error):\n  - cannot load \"https://example.com/defs.json\" for \"$ref\": kpack does not fetch schemas from files or URLs; copy that schema into values.schema.json (under \"$defs\") and point \"$ref\" at it\nfix values.schema.json, or pass --skip-schema-validation to render anyway"
        );
        assert_eq!(
            err_of(validate(&json!({"type": 5}), &json!({}), "web")),
            "values.schema.json of chart \"web\" is not a valid JSON Schema (draft 2020-12) (1 error):\n  - /type: 5 is not valid under any of the schemas listed in the 'anyOf' keyword (5 is not one of \"array\", \"boolean\", \"integer\", \"null\", \"number\", \"object\" or \"string\"; or 5 is not of type \"array\")\nfix values.schema.json, or pass --skip-schema-validation to render anyway"
        );
    }
}
