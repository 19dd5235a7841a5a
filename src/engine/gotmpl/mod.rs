//! Go's text/template as Helm runs it: [`lex`] and [`parse`] turn a template into a tree,
//! [`exec`] runs it over template values with Go's semantics, [`builtins`] holds Go's
//! builtin functions; the shared helper table (`engine::funcs`) supplies sprig's and
//! Helm's. [`crate::engine::render`] renders the Go charts of a chart tree as Helm's engine does:
//!
//! - Every template of the tree (library charts: only their `_` files) is parsed into one
//!   set, deepest charts first and, at one depth, names in reverse order, so that a later
//!   (shallower) definition of a named template replaces an earlier one, as in Helm.
//! - Templates are executed one by one in that order, with the chart's root object (`$`:
//!   `Values`, `Release`, `Chart`, `Capabilities`, `Files`, `Template`, `Subcharts`) shared
//!   by the chart's templates, so that what one template `set`s the next one sees.
//! - `<no value>` is removed from every output, as Helm does.

pub mod builtins;
pub mod exec;
pub mod lex;
pub mod parse;
pub mod signature;

use std::sync::Arc;

pub use exec::{ExecError, Host, NoHost, Templates};

/// A parse error described as kpack describes errors: `file:line: message` and the source
/// lines around it.
pub fn describe_parse_error(file: &str, source: &str, e: &parse::ParseError) -> String {
    let (line, _) = parse::line_col(source, e.pos);
    format!(
        "parse error at ({file}:{line}): {}{}",
        e.message,
        super::excerpt(source, line, Some(e.pos..e.pos + 1))
    )
}

/// An execution error described for a person: Go's message, then the source lines around
/// the innermost failing action.
pub fn describe_exec_error(e: &ExecError) -> String {
    let mut out = match &e.user {
        // `required`/`fail`: Helm prints only the message, at the outermost action.
        Some(msg) => {
            let loc = e
                .message
                .strip_prefix("template: ")
                .and_then(|m| m.split(": ").next())
                .unwrap_or("");
            format!("execution error at ({loc}): {msg}")
        }
        None => helm_layout(&e.message),
    };
    if let Some(o) = &e.origin {
        let (line, _) = parse::line_col(&o.source, o.pos);
        let end = o.source[o.pos..]
            .find(|c: char| c.is_whitespace() || c == '}' || c == '|' || c == ')')
            .map_or(o.source.len(), |n| o.pos + n.max(1));
        out.push_str(&format!("\n  in {}:{line}", o.file));
        out.push_str(&super::excerpt(&o.source, line, Some(o.pos..end)));
    }
    out
}

/// A Go execution error laid out as helm v4 prints it: each `template: FILE:L:C: executing
/// "NAME" at <NODE>: MESSAGE` of the chain (an error inside `include` or `tpl` carries the
/// inner one) becomes `FILE:L:C` / `  executing "NAME" at <NODE>:` / `    MESSAGE`, one
/// link per line group; a link of another shape stays as Go wrote it.
///
/// helm lays out only a chain of template errors: when the innermost error is a function's
/// own (`error calling index: index out of range: 5`, `error calling dig: ...`) or the
/// chain passes through `tpl` (whose error wraps the inner one in text of its own), it
/// prints Go's one-line message as it is.
pub fn helm_layout(message: &str) -> String {
    let mut links: Vec<&str> = Vec::new();
    let mut rest = message;
    while let Some(i) = rest[1..].find(": template: ").map(|i| i + 1) {
        links.push(&rest[..i + 1]);
        rest = &rest[i + 2..];
    }
    links.push(rest);
    // Each link as written (trimmed), without its `template: `, and its parts.
    let parsed: Vec<_> = (links.iter())
        .map(|link| {
            let link = link.trim_end();
            let bare = link.strip_prefix("template: ").unwrap_or(link);
            (link, bare, split_exec_link(bare))
        })
        .collect();
    let says = |parts: &Option<(&str, &str, &str)>, start: &str| {
        parts.is_some_and(|(_, _, msg)| msg.starts_with(start))
    };
    let through_tpl = (parsed.iter()).any(|(_, _, parts)| says(parts, "error calling tpl:"));
    let function_error = (parsed.last()).is_some_and(|(_, _, parts)| says(parts, "error calling "));
    if through_tpl || function_error {
        return message.trim_end().to_string();
    }
    let mut out = Vec::with_capacity(parsed.len());
    for (n, (link, bare, parts)) in parsed.iter().enumerate() {
        match parts {
            Some((loc, exec, msg)) => out.push(format!("{loc}\n  {exec}:\n    {msg}")),
            None if n == 0 => out.push(bare.to_string()),
            None => out.push(link.to_string()),
        }
    }
    out.join("\n")
}

/// `FILE:L[:C]`, `executing "NAME" at <NODE>` and the message of one link of a Go error.
fn split_exec_link(link: &str) -> Option<(&str, &str, &str)> {
    let at = link.find(": executing \"")?;
    let loc = &link[..at];
    if loc.contains(' ') || !loc.contains(':') {
        return None;
    }
    let rest = &link[at + 2..];
    let close = rest.find(">: ").map(|i| (i + 1, i + 3)).or_else(|| {
        rest.strip_suffix(">:")
            .map(|_| (rest.len() - 1, rest.len()))
    })?;
    Some((loc, &rest[..close.0], rest[close.1..].trim_end()))
}

/// Parse one source into trees (its own and its defines), as the file `name`.
pub fn parse_source(name: &str, source: Arc<String>) -> Result<parse::Parsed, String> {
    parse::parse(name, source.clone(), &exec::has_function)
        .map_err(|e| describe_parse_error(name, &source, &e))
}

#[cfg(test)]
mod tests;
