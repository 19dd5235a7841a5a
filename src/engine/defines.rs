//! Named templates: `{% define "name" %}…{% enddefine %}` blocks, found in any template of
//! a chart or its subcharts, become templates of their own that `include("name", ctx)`
//! renders from anywhere in the chart tree (names are global, as in Helm).
//!
//! Minijinja has no `define` tag, so kpack lifts the blocks out of the source before
//! compiling it. The block in the file is replaced by a comment spanning the same lines,
//! and each body is compiled behind a comment of as many newlines as precede it, so the
//! line numbers in errors are the file's own.

use std::sync::LazyLock;

/// A named template lifted out of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Define {
    /// The name given to `define`.
    pub name: String,
    /// The file it was written in (`web/templates/_helpers.tpl`).
    pub file: String,
    /// The body, padded so that its line numbers are the file's.
    pub source: String,
}

static OPEN: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"\{%(-?)\s*define\s+"([^"]+)"\s*(-?)%\}"#).expect("valid regex")
});
static CLOSE: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\{%(-?)\s*enddefine\s*(-?)%\}").expect("valid regex"));

/// Split a template file into its remaining body and the named templates it defines.
/// Whitespace markers behave as in Jinja: `-%}` after `define` trims the body's leading
/// whitespace, `{%-` before `enddefine` trims its trailing whitespace. A file without
/// definitions is its own body (borrowed, not copied).
pub fn extract<'a>(
    file: &str,
    source: &'a str,
) -> Result<(std::borrow::Cow<'a, str>, Vec<Define>), String> {
    if !source.contains("define") {
        return Ok((source.into(), Vec::new()));
    }
    let mut body = String::with_capacity(source.len());
    let mut defines = Vec::new();
    let mut pos = 0;
    while let Some(open) = OPEN.captures_at(source, pos) {
        let whole = open.get(0).expect("match");
        let name = open[2].to_string();
        let close = CLOSE.captures_at(source, whole.end()).ok_or_else(|| {
            format!(
                "{file}:{}: `define \"{name}\"` has no matching `enddefine`",
                line_of(source, whole.start())
            )
        })?;
        let close_m = close.get(0).expect("match");
        if let Some(nested) = OPEN.find_at(source, whole.end())
            && nested.start() < close_m.start()
        {
            return Err(format!(
                "{file}:{}: `define` blocks cannot be nested (inside `define \"{name}\"`)",
                line_of(source, nested.start())
            ));
        }
        // Text before the block, with `{%-` trimming what precedes it.
        let mut before = &source[pos..whole.start()];
        if &open[1] == "-" {
            before = before.trim_end_matches([' ', '\t', '\n', '\r']);
            // Keep the newlines that were trimmed as comment lines below.
        } else {
            // lstrip_blocks: a tag alone on its line takes the indentation before it.
            let stripped = before.trim_end_matches([' ', '\t']);
            if stripped.is_empty() && pos == 0 || stripped.ends_with('\n') {
                before = stripped;
            }
        }
        body.push_str(before);
        let mut inner = &source[whole.end()..close_m.start()];
        let mut inner_start = whole.end();
        if &open[3] == "-" {
            let trimmed = inner.trim_start_matches([' ', '\t', '\n', '\r']);
            inner_start += inner.len() - trimmed.len();
            inner = trimmed;
        } else if let Some(rest) = inner
            .strip_prefix("\r\n")
            .or_else(|| inner.strip_prefix('\n'))
        {
            // trim_blocks: the newline after a block tag is not output.
            inner_start += inner.len() - rest.len();
            inner = rest;
        }
        if &close[1] == "-" {
            inner = inner.trim_end_matches([' ', '\t', '\n', '\r']);
        } else {
            let stripped = inner.trim_end_matches([' ', '\t']);
            if stripped.ends_with('\n') || stripped.is_empty() {
                inner = stripped;
            }
        }
        let first_line = line_of(source, inner_start);
        let mut padded = String::with_capacity(inner.len() + first_line + 4);
        if first_line > 1 {
            padded.push_str("{#");
            padded.extend(std::iter::repeat_n('\n', first_line - 1));
            padded.push_str("#}");
        }
        padded.push_str(inner);
        defines.push(Define {
            name,
            file: file.to_string(),
            source: padded,
        });

        // Replace the block by a comment covering the same lines (keeps later line numbers).
        let removed = &source[before.len() + pos..close_m.end()];
        let newlines = removed.matches('\n').count();
        if newlines > 0 {
            body.push_str("{#");
            body.extend(std::iter::repeat_n('\n', newlines));
            body.push_str("#}");
        }
        pos = close_m.end();
        if &close[2] != "-" {
            // trim_blocks after `enddefine`.
            let rest = &source[pos..];
            if let Some(r) = rest
                .strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'))
            {
                body.push_str("{#\n#}");
                pos += rest.len() - r.len();
            }
        } else {
            let rest = &source[pos..];
            let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r']);
            let skipped = &rest[..rest.len() - trimmed.len()];
            let n = skipped.matches('\n').count();
            if n > 0 {
                body.push_str("{#");
                body.extend(std::iter::repeat_n('\n', n));
                body.push_str("#}");
            }
            pos += skipped.len();
        }
    }
    body.push_str(&source[pos..]);
    if let Some(stray) = CLOSE.find(&body) {
        return Err(format!(
            "{file}:{}: `enddefine` without a matching `define`",
            line_of(&body, stray.start())
        ));
    }
    Ok((body.into(), defines))
}

/// 1-based line number of a byte offset.
pub fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifts_blocks_and_keeps_lines() {
        let src = "a: 1\n{% define \"x.name\" %}\nhello {{ n }}\n{% enddefine %}\nb: 2\n";
        let (body, defs) = extract("t.yaml", src).unwrap();
        assert_eq!(body, "a: 1\n{#\n\n#}{#\n#}b: 2\n");
        assert_eq!(defs.len(), 1);
        assert_eq!(defs[0].name, "x.name");
        assert_eq!(defs[0].source, "{#\n\n#}hello {{ n }}\n");
    }

    #[test]
    fn trim_markers() {
        let src = "{{- x -}}\n{%- define \"a\" -%}\n  body\n{%- enddefine -%}\nrest";
        let (body, defs) = extract("t", src).unwrap();
        assert_eq!(defs[0].source, "{#\n\n#}body");
        assert!(body.ends_with("rest"));
        assert_eq!(body.matches('\n').count(), 4);
    }

    #[test]
    fn unterminated_and_nested() {
        assert_eq!(
            extract("f.tpl", "x\n{% define \"a\" %}\nno end").unwrap_err(),
            "f.tpl:2: `define \"a\"` has no matching `enddefine`"
        );
        assert_eq!(
            extract(
                "f.tpl",
                "{% define \"a\" %}\n{% define \"b\" %}{% enddefine %}{% enddefine %}"
            )
            .unwrap_err(),
            "f.tpl:2: `define` blocks cannot be nested (inside `define \"a\"`)"
        );
        assert_eq!(
            extract(
                "f.tpl",
                "{% define \"a\" %}{% enddefine %}\n{% enddefine %}"
            )
            .unwrap_err(),
            "f.tpl:2: `enddefine` without a matching `define`"
        );
    }
}
