//! Named templates: `{% define "name" %}…{% enddefine %}` blocks, found in any template of
//! a chart or its subcharts, become templates of their own that `include("name", ctx)`
//! renders from anywhere in the chart tree (names are global, as in Helm).
//!
//! Minijinja has no `define` tag, so kpack lifts the blocks out of the source before
//! compiling it. The block in the file is replaced by a comment spanning the same lines,
//! and each body is compiled behind a comment of as many newlines as precede it, so the
//! line numbers in errors are the file's own.

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

/// A `{% define "name" %}` or `{% enddefine %}` tag found in a source.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tag<'a> {
    /// Byte range of the whole tag.
    start: usize,
    end: usize,
    /// `{%-`: trims the whitespace before the tag.
    trim_before: bool,
    /// The name of a `define` (empty for `enddefine`).
    name: &'a str,
    /// `-%}`: trims the whitespace after the tag.
    trim_after: bool,
}

/// The first `{%-? define "NAME" -?%}` (`define`) or `{%-? enddefine -?%}` tag at or after
/// `from`, whitespace as Unicode defines it. Scanned by hand: the equivalent regular
/// expressions took longer to compile than a small chart takes to render.
fn find_tag(source: &str, from: usize, define: bool) -> Option<Tag<'_>> {
    let mut at = from;
    while let Some(found) = source[at..].find("{%") {
        let start = at + found;
        at = start + 2;
        let rest = &source[at..];
        let (trim_before, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let rest = rest.trim_start();
        let (name, rest) = if define {
            let Some(r) = rest.strip_prefix("define") else {
                continue;
            };
            let after = r.trim_start();
            if after.len() == r.len() {
                continue;
            }
            let Some(quoted) = after.strip_prefix('"') else {
                continue;
            };
            let Some(len) = quoted.find('"').filter(|&n| n > 0) else {
                continue;
            };
            (&quoted[..len], quoted[len + 1..].trim_start())
        } else {
            let Some(r) = rest.strip_prefix("enddefine") else {
                continue;
            };
            ("", r.trim_start())
        };
        let (trim_after, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if let Some(r) = rest.strip_prefix("%}") {
            return Some(Tag {
                start,
                end: source.len() - r.len(),
                trim_before,
                name,
                trim_after,
            });
        }
    }
    None
}

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
    while let Some(open) = find_tag(source, pos, true) {
        let name = open.name.to_string();
        let close = find_tag(source, open.end, false).ok_or_else(|| {
            format!(
                "{file}:{}: `define \"{name}\"` has no matching `enddefine`",
                line_of(source, open.start)
            )
        })?;
        if let Some(nested) = find_tag(source, open.end, true)
            && nested.start < close.start
        {
            return Err(format!(
                "{file}:{}: `define` blocks cannot be nested (inside `define \"{name}\"`)",
                line_of(source, nested.start)
            ));
        }
        // Text before the block, with `{%-` trimming what precedes it.
        let mut before = &source[pos..open.start];
        if open.trim_before {
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
        let mut inner = &source[open.end..close.start];
        let mut inner_start = open.end;
        if open.trim_after {
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
        if close.trim_before {
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
        let removed = &source[before.len() + pos..close.end];
        let newlines = removed.matches('\n').count();
        if newlines > 0 {
            body.push_str("{#");
            body.extend(std::iter::repeat_n('\n', newlines));
            body.push_str("#}");
        }
        pos = close.end;
        if !close.trim_after {
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
    if let Some(stray) = find_tag(&body, 0, false) {
        return Err(format!(
            "{file}:{}: `enddefine` without a matching `define`",
            line_of(&body, stray.start)
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

    /// The regular expressions `find_tag` was written from: its reference.
    fn reference(source: &str, from: usize, define: bool) -> Option<Tag<'_>> {
        let re = if define {
            regex::Regex::new(r#"\{%(-?)\s*define\s+"([^"]+)"\s*(-?)%\}"#)
        } else {
            regex::Regex::new(r"\{%(-?)\s*enddefine()\s*(-?)%\}")
        }
        .unwrap();
        re.captures_at(source, from).map(|c| Tag {
            start: c.get(0).unwrap().start(),
            end: c.get(0).unwrap().end(),
            trim_before: &c[1] == "-",
            name: c.get(2).unwrap().as_str(),
            trim_after: &c[3] == "-",
        })
    }

    #[test]
    fn tag_scanner_matches_the_regex() {
        let sources = [
            r#"{% define "a" %}x{% enddefine %}"#,
            r#"{%-define "a"-%}{%-enddefine-%}"#,
            "{%-\n\u{a0} define\t\"a b.c\"\u{2003}-%}x{%\u{85}enddefine\n%}",
            r#"{%define "a" %}{% define"a" %}{% define "" %}{% define "a %}"#,
            r#"{% {% define "a" %}{%- - define "b" %}{% define "c" - -%}{% define "d" % }"#,
            r#"{% enddefine -%}{% enddefinex %}{%enddefine%}{% end define %}{%- enddefine"#,
            r#"{{ define "a" }}{% defined "a" %}{% define "a"b" %}{% define "é☃" %}"#,
            r#"{% define "a
b" %}{% define "x" %}"#,
            "{",
            "{%",
            "{%-",
            "",
        ];
        for src in sources {
            for define in [true, false] {
                for from in (0..=src.len()).filter(|&i| src.is_char_boundary(i)) {
                    assert_eq!(
                        find_tag(src, from, define),
                        reference(src, from, define),
                        "{src:?} from {from}, define {define}"
                    );
                }
            }
        }
    }

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
