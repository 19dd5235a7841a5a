//! What is secret in a manifest, for every place that prints one: Secret objects
//! (`kind: Secret`), also as items of a list (`kind: List`, `SecretList`,
//! any `*List` with `items`, nested), whose `data` and `stringData` values are never printed
//! in clear unless the user asks (`--show-secrets`); and, for text that does not parse, a
//! test of whether it looks like one.

use serde_json::Value as Json;

/// Whether `obj` is a Secret (of any API group: masking too much is the safe side), or
/// an item of a `SecretList` (`in_secret_list`), whose items may leave out `kind`.
fn is_secret(obj: &Json, in_secret_list: bool) -> bool {
    let kind = obj.get("kind").and_then(Json::as_str);
    kind == Some("Secret") || (in_secret_list && kind.is_none())
}

/// The list items of `obj` when it is a list (`kind` ending in `List`, with `items`), and
/// whether it is a `SecretList`.
pub fn list_items(obj: &mut Json) -> Option<(&mut Vec<Json>, bool)> {
    let kind = obj.get("kind").and_then(Json::as_str)?;
    if !kind.ends_with("List") {
        return None;
    }
    let secret_list = kind == "SecretList";
    match obj.get_mut("items") {
        Some(Json::Array(items)) => Some((items, secret_list)),
        _ => None,
    }
}

/// Call `f` on every Secret in `obj`: `obj` itself, or the items of a list, at any depth.
pub fn visit(obj: &mut Json, f: &mut dyn FnMut(&mut Json)) {
    visit_in(obj, false, f)
}

fn visit_in(obj: &mut Json, in_secret_list: bool, f: &mut dyn FnMut(&mut Json)) {
    if is_secret(obj, in_secret_list) {
        f(obj);
        return;
    }
    if let Some((items, secret_list)) = list_items(obj) {
        for item in items {
            visit_in(item, secret_list, f);
        }
    }
}

/// Whether `obj` is or holds a Secret.
pub fn holds_secret(obj: &Json) -> bool {
    let mut found = false;
    visit(&mut obj.clone(), &mut |_| found = true);
    found
}

/// Replace every value of a Secret's `data` and `stringData` by `mask`.
pub fn mask_values(secret: &mut Json, mask: &str) {
    for field in ["data", "stringData"] {
        if let Some(Json::Object(m)) = secret.get_mut(field) {
            for v in m.values_mut() {
                *v = Json::String(mask.into());
            }
        }
    }
}

/// Whether YAML text (that may not parse) has a `kind: Secret` or `kind: SecretList` line
/// at any depth.
pub fn looks_like_secret(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        let t = t.strip_prefix("- ").map_or(t, str::trim_start);
        t.strip_prefix("kind:").is_some_and(|v| {
            let v = v.split(" #").next().unwrap_or("").trim();
            matches!(
                v.trim_matches(|c| c == '"' || c == '\''),
                "Secret" | "SecretList"
            )
        })
    })
}

/// A line of YAML text as an excerpt of a Secret shows it: indentation, list marker and
/// key kept (`apiVersion` and `kind` whole), any value as `***`, control characters
/// escaped. A line that is not `key: value` is `***` whole.
pub fn masked_line(line: &str) -> String {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    let (dash, rest) = match body.strip_prefix("- ") {
        Some(r) => ("- ", r),
        None => ("", body),
    };
    if rest.is_empty() || rest.starts_with('#') || rest == "---" {
        return crate::archive::printable(line).into_owned();
    }
    let key_end = rest
        .find(": ")
        .or_else(|| rest.ends_with(':').then(|| rest.len() - 1));
    match key_end {
        Some(k) if !rest[..k].contains(['"', '\'', '{', '[', '|', '>']) => {
            let key = &rest[..k];
            let value = rest[k + 1..].trim();
            let shown = if value.is_empty() || matches!(key, "apiVersion" | "kind") {
                rest.to_string()
            } else {
                format!("{key}: ***")
            };
            crate::archive::printable(&format!("{indent}{dash}{shown}")).into_owned()
        }
        _ => format!("{indent}{dash}***"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_secrets_in_lists_at_any_depth() {
        let mut list = json!({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "visible"}},
            {"apiVersion": "v1", "kind": "Secret", "stringData": {"p": "hunter2"}},
            {"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "Secret", "data": {"q": "aHVudGVyMg=="}}
            ]},
            {"apiVersion": "v1", "kind": "SecretList", "items": [{"data": {"r": "eA=="}}]},
            {"apiVersion": "example.com/v1", "kind": "Secret", "data": {"s": "other group"}}
        ]});
        assert!(holds_secret(&list));
        visit(&mut list, &mut |s| mask_values(s, "***"));
        let text = list.to_string();
        for clear in ["hunter2", "aHVudGVyMg==", "eA==", "other group"] {
            assert!(!text.contains(clear), "{text}");
        }
        assert!(text.contains("visible"), "{text}");
        assert!(!holds_secret(
            &json!({"kind": "ConfigMapList", "items": [{"kind": "ConfigMap"}]})
        ));
    }

    #[test]
    fn masked_lines_keep_keys_and_hide_values() {
        for (line, shown) in [
            ("apiVersion: v1", "apiVersion: v1"),
            ("kind: Secret", "kind: Secret"),
            ("stringData:", "stringData:"),
            ("  password: hunter2", "  password: ***"),
            ("  - token: abc", "  - token: ***"),
            ("  password:hunter2", "  ***"),
            ("  \"pass: word\": x", "  ***"),
            ("    continued text", "    ***"),
            ("  # a comment", "  # a comment"),
            ("  k: \u{1b}[2J", "  k: ***"),
        ] {
            assert_eq!(masked_line(line), shown, "{line:?}");
        }
        assert!(looks_like_secret("a: 1\nkind: \"Secret\"\n"));
        assert!(looks_like_secret("items:\n  - kind: Secret # x\n"));
        assert!(!looks_like_secret("kind: SecretStore\n"));
    }
}
