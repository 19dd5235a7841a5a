//! `--post-renderer CMD [--post-renderer-args ARG]...` of install, upgrade and template: the
//! rendered objects (every document but hooks, which Helm 3 did not post-render either, as
//! one YAML stream with `# Source:` comments, as `kpack template` prints them) are written
//! to the command's standard input; its standard output, parsed as YAML documents, becomes
//! the release's objects (in install order again), each with the source its `# Source:`
//! line names when the command kept it. The command runs without a shell, for at
//! most the operation's `--timeout`; a failure, a timeout or output that is not Kubernetes
//! objects is an error naming the command and quoting its standard error.
//!
//! Helm 4 takes the name of a post-renderer plugin here, Helm 3 a command: kpack takes
//! both. A name that is an installed Helm post-renderer plugin runs that plugin's command
//! (see [`super::helm_plugin`]); anything else is run as a command (a path, or a program in
//! `PATH`), so kustomize wrappers and scripts work unchanged. Helm 4 also post-renders
//! hooks and re-writes every document through its YAML library; kpack passes hooks by and
//! keeps the command's text.

use super::render::RenderOutput;
use crate::engine::RenderedTemplate;
use crate::manifest::{self, Document, Typing};
use crate::{Error, Result};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A post-renderer command.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostRenderer {
    /// The program (a path, or a name looked up in `PATH`).
    pub command: String,
    /// Its arguments (`--post-renderer-args`, in order).
    pub args: Vec<String>,
    /// How long it may run (the operation's `--timeout`; zero: 5 minutes).
    pub timeout: Duration,
    /// Where Helm's plugins are looked for ([`super::helm_plugin::plugin_dirs`]); none:
    /// `command` is always a command.
    pub plugin_dirs: Vec<std::path::PathBuf>,
}

impl PostRenderer {
    fn what(&self) -> String {
        if self.args.is_empty() {
            format!("post-renderer {:?}", self.command)
        } else {
            format!("post-renderer {:?} (args {:?})", self.command, self.args)
        }
    }

    /// Pass a Helm chart's `docs` through the command and read what it prints as helm reads
    /// a template's output: split at `---` lines, each document's text kept as printed
    /// (trailing blank lines included, so a command that changes nothing prints what
    /// `kpack template` prints without it), objects typed as their charts' objects are
    /// (`typing`: YAML 1.1 for a Helm chart's), in install order.
    pub fn run_helm(&self, docs: &[Document], typing: &Typing) -> Result<Vec<Document>> {
        let text = self.output(docs)?;
        let mut out = Vec::new();
        for d in manifest::helm::split_manifests(&text) {
            let (source, body) = match manifest::source_line(d) {
                Some((source, body)) => (source.to_string(), body),
                None => (format!("output of {}", self.what()), d),
            };
            // What manifest_text added after each document's text.
            let body = body.strip_suffix('\n').unwrap_or(body);
            let object = typing.parse(&source, body).map_err(|e| {
                Error::usage(format!(
                    "{} printed what is not Kubernetes objects: {source}: {e}",
                    self.what()
                ))
            })?;
            let doc = Document {
                source,
                text: body.to_string().into(),
                object: if object.is_object() {
                    object
                } else {
                    serde_json::Value::Object(Default::default())
                },
            };
            if doc.annotation("helm.sh/hook").is_some() {
                return Err(self.hook_error(&doc));
            }
            out.push(doc);
        }
        out.sort_by_key(|d| manifest::order::Rank::of(d.kind()));
        Ok(out)
    }

    fn hook_error(&self, h: &Document) -> Error {
        Error::usage(format!(
            "{} printed a hook ({}): hooks are not post-rendered, so a post-renderer cannot add one; drop the hook annotation",
            self.what(),
            h.identity()
        ))
    }

    /// Run the command on `docs` (as `kpack template` prints them); its output.
    fn output(&self, docs: &[Document]) -> Result<String> {
        let input = super::apply::manifest_text(docs);
        let stdout = self.exec(input.as_bytes())?;
        String::from_utf8(stdout)
            .map_err(|_| Error::usage(format!("{}: its output is not UTF-8 text", self.what())))
    }

    /// Pass `docs` through the command and parse what it prints, each object typed as its
    /// chart's objects are (`typing`, by the `# Source:` line the command kept).
    pub fn run(&self, docs: &[Document], typing: &Typing) -> Result<Vec<Document>> {
        let text = self.output(docs)?;
        let t = RenderedTemplate {
            name: format!("output of {}", self.what()),
            content: text.as_str().into(),
        };
        let m = manifest::build(&[t]).map_err(|e| {
            Error::usage(format!(
                "{} printed what is not Kubernetes objects: {e}",
                self.what()
            ))
        })?;
        let mut m = m;
        for d in &mut m.documents {
            restore_source(d);
            if typing.yaml11(&d.source) {
                d.object = typing.parse(&d.source, d.text.as_str()).map_err(|e| {
                    Error::usage(format!(
                        "{} printed what is not Kubernetes objects: {}: {e}",
                        self.what(),
                        d.source
                    ))
                })?;
            }
        }
        if let Some(h) = m.hooks.first() {
            return Err(self.hook_error(h));
        }
        Ok(m.documents)
    }

    /// Run the command with `input` on its standard input; its standard output.
    fn exec(&self, input: &[u8]) -> Result<Vec<u8>> {
        let mut cmd =
            match super::helm_plugin::find_post_renderer(&self.command, &self.plugin_dirs)? {
                Some(p) => {
                    let mut c = Command::new(&p.program);
                    c.args(&p.args)
                        .env("HELM_PLUGIN_NAME", &p.name)
                        .env("HELM_PLUGIN_DIR", &p.dir);
                    c
                }
                None => Command::new(&self.command),
            };
        let mut child = cmd
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::usage(format!(
                    "{}: cannot run it: {e} (give a path, a program in PATH or the name of an installed Helm post-renderer plugin)",
                    self.what()
                ))
            })?;
        let mut stdin = child.stdin.take().expect("piped");
        let input = input.to_vec();
        // A command that does not read its input must not block the write forever.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let mut out = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = out.read_to_end(&mut b);
            b
        });
        let err_reader = std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = err.read_to_end(&mut b);
            b
        });
        let limit = if self.timeout.is_zero() {
            super::apply::DEFAULT_TIMEOUT
        } else {
            self.timeout
        };
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if start.elapsed() >= limit => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::remote(format!(
                        "{} did not finish within {}s (--timeout); it was stopped",
                        self.what(),
                        limit.as_secs()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => {
                    return Err(Error::remote(format!("{}: {e}", self.what())));
                }
            }
        };
        let _ = writer.join();
        let stdout = reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        if !status.success() {
            let stderr = String::from_utf8_lossy(&stderr);
            return Err(Error::usage(format!(
                "{} failed ({status}): {}",
                self.what(),
                if stderr.trim().is_empty() {
                    "it printed nothing on standard error".to_string()
                } else {
                    stderr.trim().to_string()
                }
            )));
        }
        Ok(stdout)
    }
}

/// A document the command printed with the `# Source: PATH` line it was given (a filter
/// that keeps comments: sed, yq, a script) gets its source back, and the line leaves its
/// text; without one (kustomize drops comments) its source stays the post-renderer's.
fn restore_source(d: &mut Document) {
    let Some((source, body)) = manifest::source_line(d.text.as_str()) else {
        return;
    };
    if source.is_empty() {
        return;
    }
    d.source = source.to_string();
    d.text = body.to_string().into();
}

/// Apply `pr` (if any) to a render's objects.
pub fn apply(pr: Option<&PostRenderer>, mut out: RenderOutput) -> Result<RenderOutput> {
    if let Some(pr) = pr {
        let typing = Typing::of(&out.chart);
        out.manifest.documents = if out.chart.metadata.is_kpack() {
            pr.run(&out.manifest.documents, &typing)?
        } else {
            pr.run_helm(&out.manifest.documents, &typing)?
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> PostRenderer {
        PostRenderer {
            command: "sh".into(),
            args: vec!["-c".into(), script.into()],
            timeout: Duration::from_secs(10),
            plugin_dirs: Vec::new(),
        }
    }

    fn cm(name: &str) -> Document {
        let t = RenderedTemplate {
            name: "c/templates/cm.yaml".into(),
            content: format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n").into(),
        };
        manifest::split(&t).unwrap().remove(0)
    }

    #[test]
    fn pipes_parses_and_reports() {
        // cat: the same objects back.
        let docs = sh("cat")
            .run(&[cm("a"), cm("b")], &Typing::default())
            .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].object["metadata"]["name"], "b");
        // The `# Source:` lines it kept give the documents their sources back.
        assert_eq!(docs[0].source, "c/templates/cm.yaml");
        assert_eq!(docs[0].text.as_str(), cm("a").text.as_str());
        let docs = sh("grep -v '^#'")
            .run(&[cm("a")], &Typing::default())
            .unwrap();
        assert_eq!(
            docs[0].source,
            "output of post-renderer \"sh\" (args [\"-c\", \"grep -v '^#'\"])"
        );
        // A new document.
        let docs = sh(
            "cat; printf -- '---\\napiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: n\\n'",
        )
        .run(&[cm("a")], &Typing::default())
        .unwrap();
        assert_eq!(docs[0].kind(), "Namespace", "install order again");
        let e = sh("echo boom >&2; exit 3")
            .run(&[cm("a")], &Typing::default())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "post-renderer \"sh\" (args [\"-c\", \"echo boom >&2; exit 3\"]) failed (exit status: 3): boom"
        );
        let e = sh("echo 'kind: [x'")
            .run(&[cm("a")], &Typing::default())
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("printed what is not Kubernetes objects"),
            "{e}"
        );
        let slow = PostRenderer {
            timeout: Duration::from_millis(300),
            ..sh("sleep 5")
        };
        let e = slow.run(&[cm("a")], &Typing::default()).unwrap_err();
        assert!(e.to_string().contains("did not finish within 0s"), "{e}");
        let e = PostRenderer {
            command: "/nonexistent/pr".into(),
            ..Default::default()
        }
        .run(&[cm("a")], &Typing::default())
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("post-renderer \"/nonexistent/pr\": cannot run it"),
            "{e}"
        );
    }
}
