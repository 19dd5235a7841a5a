//! `Files.Glob` patterns as Helm reads them (the gobwas/glob syntax with `/` as the
//! separator): `*` matches within one path component, `**` matches across components (also
//! inside a component, as in `**.yaml`), `?` one character other than `/`, `[abc]`,
//! `[a-z]` and `[!abc]` one character, `{a,b}` either alternative, and `\` escapes. A
//! pattern becomes an anchored regular expression.

use regex_lite::Regex;

/// Compile `pattern`; the error says what is wrong with it.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    let mut re = String::with_capacity(pattern.len() * 2 + 8);
    re.push_str("^(?s:");
    let mut chars = pattern.chars().peekable();
    let mut open_braces = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                re.push_str(".*");
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    re.push('^');
                }
                let mut members = 0;
                loop {
                    match chars.next() {
                        None => return Err("'[' is never closed by ']'".into()),
                        Some(']') if members > 0 => break,
                        Some(']') => return Err("'[]' holds no characters".into()),
                        Some('-') if members > 0 && chars.peek() != Some(&']') => re.push('-'),
                        Some('\\') => match chars.next() {
                            Some(e) => push_class_char(&mut re, e),
                            None => return Err("the pattern ends with '\\'".into()),
                        },
                        Some(m) => push_class_char(&mut re, m),
                    }
                    members += 1;
                }
                re.push(']');
            }
            '{' => {
                open_braces += 1;
                re.push_str("(?:");
            }
            ',' if open_braces > 0 => re.push('|'),
            '}' if open_braces > 0 => {
                open_braces -= 1;
                re.push(')');
            }
            '\\' => match chars.next() {
                Some(e) => push_literal(&mut re, e),
                None => return Err("the pattern ends with '\\'".into()),
            },
            c => push_literal(&mut re, c),
        }
    }
    if open_braces > 0 {
        return Err("'{' is never closed by '}'".into());
    }
    re.push_str(")$");
    Regex::new(&re).map_err(|e| e.to_string())
}

fn push_literal(re: &mut String, c: char) {
    re.push_str(&regex_lite::escape(c.encode_utf8(&mut [0; 4])));
}

/// A character inside a class: punctuation is escaped so that it is only itself.
fn push_class_char(re: &mut String, c: char) {
    if c.is_ascii_punctuation() {
        re.push('\\');
    }
    re.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        compile(pattern).unwrap().is_match(path)
    }

    #[test]
    fn stars_and_questions_marks() {
        assert!(matches("files/*", "files/a.yaml"));
        assert!(!matches("files/*", "files/sub/s.txt"));
        assert!(matches("files/**", "files/sub/s.txt"));
        // `**` inside a component crosses separators too (Helm's documented `**.yaml`).
        assert!(matches("**.txt", "files/sub/s.txt"));
        assert!(matches("**.txt", "top.txt"));
        assert!(!matches("**.txt", "files/a.yaml"));
        assert!(matches("conf/?.conf", "conf/c.conf"));
        assert!(!matches("?", "/"));
        assert!(!matches("*.yaml", "files/a.yaml"));
    }

    #[test]
    fn classes_alternatives_and_escapes() {
        assert!(matches("files/[ab].yaml", "files/a.yaml"));
        assert!(!matches("files/[!ab].yaml", "files/a.yaml"));
        assert!(matches("files/[a-c].yaml", "files/b.yaml"));
        // A `-` first or last in a class is itself.
        assert!(matches("files/[-.].txt", "files/-.txt"));
        assert!(matches("files/[.-].txt", "files/-.txt"));
        assert!(!matches("files/[-.].txt", "files/,.txt"));
        assert!(matches("{conf,files}/*.{yaml,conf}", "conf/c.conf"));
        assert!(matches("{conf,files}/*.{yaml,conf}", "files/a.yaml"));
        assert!(!matches("{conf,files}/*.{yaml,conf}", "files/lines.txt"));
        assert!(matches(r"a\*b", "a*b"));
        assert!(!matches(r"a\*b", "axb"));
        assert!(matches("a.b+(c)", "a.b+(c)"));
        assert!(!matches("a.b", "axb"));
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        assert_eq!(
            compile("files/[ab").unwrap_err(),
            "'[' is never closed by ']'"
        );
        assert_eq!(compile("files/[]").unwrap_err(), "'[]' holds no characters");
        assert_eq!(compile("{a,b").unwrap_err(), "'{' is never closed by '}'");
        assert_eq!(compile("a\\").unwrap_err(), "the pattern ends with '\\'");
    }
}
