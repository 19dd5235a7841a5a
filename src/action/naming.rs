//! The release name of `kpack install` when the command line does not give one, with
//! Helm 4's rules: `install NAME CHART`, or `install CHART` with `-g/--generate-name`
//! (`BASE-<unix seconds>`, BASE being the chart argument's last path element up to its
//! first `.`, `chart` when that is empty) or `--name-template TEMPLATE` (a Go template
//! rendered with Sprig's functions and no data, e.g. `{{ randAlpha 6 | lower }}`).

use crate::engine::funcs::value_from_json;
use crate::engine::gotmpl::exec::{Exec, NoHost, Templates, associate};
use crate::engine::gotmpl::{describe_exec_error, parse_source};
use crate::{Error, Result};
use std::sync::Arc;

/// How the name is chosen when it is not given.
#[derive(Debug, Clone, Default)]
pub struct Naming {
    /// `-g/--generate-name`.
    pub generate: bool,
    /// `--name-template`.
    pub template: Option<String>,
}

/// The release name and the chart argument from the positional arguments (`NAME CHART`
/// or `CHART`), `now` being the current Unix time in seconds.
pub fn name_and_chart(args: &[String], naming: &Naming, now: u64) -> Result<(String, String)> {
    let template = naming.template.as_deref().filter(|t| !t.is_empty());
    match args {
        [name, chart] => {
            if naming.generate {
                return Err(Error::usage(
                    "cannot set --generate-name and also specify a name: drop NAME or -g",
                ));
            }
            if template.is_some() {
                return Err(Error::usage(
                    "cannot set --name-template and also specify a name: drop NAME or --name-template",
                ));
            }
            Ok((name.clone(), chart.clone()))
        }
        [chart] => {
            if let Some(t) = template {
                return Ok((render_name(t)?, chart.clone()));
            }
            if !naming.generate {
                return Err(Error::usage(format!(
                    "must either provide a name or specify --generate-name: kpack install NAME {chart}, or kpack install -g {chart}"
                )));
            }
            Ok((generated(chart, now), chart.clone()))
        }
        [] => Err(Error::usage(
            "a chart is required: kpack install NAME CHART (or -g CHART)",
        )),
        [_, _, rest @ ..] => Err(Error::usage(format!(
            "expected at most two arguments (NAME CHART), unexpected arguments: {}",
            rest.join(", ")
        ))),
    }
}

/// Helm's release name when `template` is given only a chart.
pub const TEMPLATE_NAME: &str = "release-name";

/// The release name and the chart argument of `kpack template`, with `helm template`'s
/// rules: as [`name_and_chart`], except that CHART alone is named [`TEMPLATE_NAME`] (unless
/// a `--name-template` names it), `-g` or not.
pub fn template_name_and_chart(args: &[String], naming: &Naming) -> Result<(String, String)> {
    match args {
        [chart] if naming.template.as_deref().is_none_or(str::is_empty) => {
            Ok((TEMPLATE_NAME.to_string(), chart.clone()))
        }
        _ => name_and_chart(args, naming, unix_now()),
    }
}

/// `BASE-<now>` (Helm's `--generate-name`).
pub fn generated(chart: &str, now: u64) -> String {
    let trimmed = chart.trim_end_matches('/');
    let base = trimmed.rsplit('/').next().unwrap_or_default();
    let base = base.split('.').next().unwrap_or_default();
    let base = if base.is_empty() { "chart" } else { base };
    format!("{base}-{now}")
}

/// Render a `--name-template` (Go template, Sprig functions, no data).
pub fn render_name(template: &str) -> Result<String> {
    let parsed = parse_source("name-template", Arc::new(template.to_string()))
        .map_err(|e| Error::usage(format!("--name-template {template:?}: {e}")))?;
    let mut set = Templates::default();
    associate(&mut set, Arc::new(parsed.main));
    for d in parsed.defines {
        associate(&mut set, d);
    }
    let mut ex = Exec::new(Arc::new(set), &NoHost, crate::engine::DEFAULT_MAX_STEPS);
    ex.execute("name-template", value_from_json(&serde_json::Value::Null))
        .map_err(|e| {
            Error::usage(format!(
                "--name-template {template:?}: {}",
                describe_exec_error(&e)
            ))
        })
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn helm_rules() {
        let none = Naming::default();
        let g = Naming {
            generate: true,
            ..Naming::default()
        };
        let t = Naming {
            template: Some("web-{{ \"X\" | lower }}{{ add 1 2 }}".into()),
            ..Naming::default()
        };
        assert_eq!(
            name_and_chart(&args(&["web", "./c"]), &none, 7).unwrap(),
            ("web".into(), "./c".into())
        );
        assert_eq!(
            name_and_chart(&args(&["./charts/nginx-1.2.3.tgz"]), &g, 1700000000)
                .unwrap()
                .0,
            "nginx-1-1700000000"
        );
        assert_eq!(generated("oci://r.io/x/web", 5), "web-5");
        assert_eq!(generated(".", 5), "chart-5");
        assert_eq!(generated("mychart/", 5), "mychart-5");
        assert_eq!(name_and_chart(&args(&["c"]), &t, 7).unwrap().0, "web-x3");
        let e = name_and_chart(&args(&["c"]), &none, 7).unwrap_err();
        assert!(
            e.to_string()
                .contains("must either provide a name or specify --generate-name"),
            "{e}"
        );
        let e = name_and_chart(&args(&["n", "c"]), &g, 7).unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot set --generate-name and also specify a name"),
            "{e}"
        );
        let e = name_and_chart(&args(&["n", "c"]), &t, 7).unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot set --name-template and also specify a name"),
            "{e}"
        );
        let e = name_and_chart(&args(&["a", "b", "c"]), &none, 7).unwrap_err();
        assert!(e.to_string().contains("unexpected arguments: c"), "{e}");
        let bad = Naming {
            template: Some("{{ nope }}".into()),
            ..Naming::default()
        };
        let e = name_and_chart(&args(&["c"]), &bad, 7).unwrap_err();
        assert!(
            e.to_string().starts_with("--name-template \"{{ nope }}\""),
            "{e}"
        );
    }
}
