//! `--post-renderer CMD [--post-renderer-args ARG]...` of install, upgrade and template, as
//! Helm 4 runs it: the rendered objects and hooks (not the CRDs of `crds/`), templates by
//! name and each one's documents in the order it printed them, are written to the command's
//! standard input as one YAML stream with `# Source:` comments (as `kpack template` prints
//! them); its standard output, parsed as YAML documents, becomes the release's objects and
//! hooks (a document with a hook annotation is a hook, whether the chart or the command put
//! it there), sorted again as a render is. A document keeps the source its `# Source:` line
//! names when the command kept it; one without is named as Helm 4 names the documents a
//! post-renderer adds, `generated-by-postrender-N.yaml` (N its place among the objects
//! printed). A Helm chart's documents each end in one newline, and an empty
//! `metadata.annotations` is dropped, as Helm 4 leaves them after writing them back through
//! its YAML library. The command runs without a shell, for at most the operation's
//! `--timeout`; a failure, a timeout, no output at all (as Helm 4) or output that is not
//! Kubernetes objects is an error naming the command and quoting its standard error.
//!
//! Helm 4 takes the name of a post-renderer plugin here, Helm 3 a command: kpack takes
//! both. A name that is an installed Helm post-renderer plugin runs that plugin's command
//! (see [`super::helm_plugin`]); anything else is run as a command (a path, or a program in
//! `PATH`), so kustomize wrappers and scripts work unchanged. Where kpack differs from
//! Helm 4: Helm marks each document with an annotation naming its template where kpack
//! writes the `# Source:` line; Helm re-formats every document the command prints
//! (sequences not indented, one space after a colon, trailing spaces dropped) where kpack
//! keeps the command's text; and a document whose template ends inside a block scalar
//! with no newline after it keeps its value's final newline in kpack (as without a
//! post-renderer, in helm too), where Helm 4's YAML library drops it (`|` becomes `|-`).

use super::render::RenderOutput;
use crate::manifest::{self, Document, Manifest, Typing};
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

    /// Pass a render's objects and hooks through the command and read back what it prints
    /// (see the module comment): `helm` for a Helm chart (its documents split and sorted
    /// as helm's, their text as Helm 4 leaves it), otherwise a kpack chart's rules; each
    /// object typed as its chart's objects are (`typing`, by the `# Source:` line the
    /// command kept).
    pub fn post_render(&self, rendered: Manifest, typing: &Typing, helm: bool) -> Result<Manifest> {
        // Helm 4's order: templates by name, each one's documents as it printed them.
        let mut input: Vec<&Document> = rendered.documents.iter().chain(&rendered.hooks).collect();
        input.sort_by(|a, b| {
            (a.source.as_str(), a.text.start()).cmp(&(b.source.as_str(), b.text.start()))
        });
        let stdout = self.exec(super::template::to_yaml(&input).as_bytes())?;
        let text = String::from_utf8(stdout)
            .map_err(|_| Error::usage(format!("{}: its output is not UTF-8 text", self.what())))?;
        if text.trim().is_empty() {
            // As Helm 4: a post-renderer that prints nothing is broken, not a request to
            // remove every object.
            return Err(Error::usage(format!(
                "{} printed nothing: a post-renderer prints the objects it was given (changed or not)",
                self.what()
            )));
        }
        let chunks = if helm {
            manifest::helm::split_manifests(&text)
        } else {
            manifest::split_documents(&text)
        };
        // Each object printed, in the order printed.
        let mut docs: Vec<Document> = Vec::new();
        for chunk in chunks {
            let chunk = chunk.trim_start_matches('\n');
            let (source, body) = match manifest::source_line(chunk) {
                Some((source, body)) if !source.is_empty() => (Some(source), body),
                _ => (None, chunk),
            };
            let body = body.trim_start_matches('\n').trim_end();
            if manifest::is_blank(body) {
                continue;
            }
            let mut object = typing.parse(source.unwrap_or(""), body).map_err(|e| {
                Error::usage(format!(
                    "{} printed what is not Kubernetes objects: {}: {e}",
                    self.what(),
                    source.unwrap_or("a document it added")
                ))
            })?;
            if object.is_null() {
                continue;
            }
            // A document without the line it was given is one the command made, named
            // as Helm 4 names it: by its place among the objects printed.
            let source = source.map_or_else(
                || format!("generated-by-postrender-{}.yaml", docs.len()),
                str::to_string,
            );
            if !helm {
                let doc = Document {
                    source,
                    text: body.into(),
                    object,
                };
                manifest::check_object(&doc, docs.len() + 1).map_err(|e| {
                    Error::usage(format!(
                        "{} printed what is not Kubernetes objects: {e}",
                        self.what()
                    ))
                })?;
                docs.push(doc);
                continue;
            }
            // Helm 4 writes every document back through its YAML library, which ends each
            // with one newline, and keeps it (a blank line when printed); it drops an
            // empty `metadata.annotations` on the way.
            let text = drop_empty_annotations(body, &mut object).unwrap_or_else(|| body.into());
            docs.push(Document {
                source,
                text: (text + "\n").into(),
                object: if object.is_object() {
                    object
                } else {
                    serde_json::Value::Object(Default::default())
                },
            });
        }
        // Files by name, each one's documents in the order printed; then install order.
        docs.sort_by(|a, b| a.source.cmp(&b.source));
        if helm {
            let (documents, hooks) = manifest::helm::sort_documents(docs);
            return Ok(Manifest { documents, hooks });
        }
        let (mut hooks, mut documents): (Vec<_>, Vec<_>) =
            docs.into_iter().partition(Document::is_hook);
        documents.sort_by_key(|d| manifest::order::Rank::of(d.kind()));
        hooks.sort_by_key(|d| manifest::order::Rank::of(d.kind()));
        Ok(Manifest { documents, hooks })
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

/// An object whose `metadata.annotations` is empty (`{}`, null, nothing) loses it, as Helm 4
/// drops it after post-rendering: from `object`, and from `text` when its line is found (a
/// block `metadata:` at the top level with an `annotations:` line and nothing under it);
/// the new text, or `None` when the text stays as it is.
fn drop_empty_annotations(text: &str, object: &mut serde_json::Value) -> Option<String> {
    let meta = object.get_mut("metadata")?.as_object_mut()?;
    let empty = match meta.get("annotations")? {
        serde_json::Value::Null => true,
        serde_json::Value::Object(m) => m.is_empty(),
        _ => false,
    };
    if !empty {
        return None;
    }
    meta.remove("annotations");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let content = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let start = lines
        .iter()
        .position(|l| l.trim_end() == "metadata:" && indent(l) == 0)?;
    let child = lines[start + 1..]
        .iter()
        .find(|l| content(l))
        .map(|l| indent(l))?;
    let mut at = None;
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        if content(l) && indent(l) < child {
            break;
        }
        let value = l.trim().strip_prefix("annotations:").map(str::trim);
        if indent(l) == child && matches!(value, Some("" | "{}" | "null" | "~")) {
            at = Some(i);
        }
    }
    let at = at?;
    // Nothing under it (only blank or comment lines before the next key).
    let next = lines[at + 1..].iter().find(|l| content(l));
    if next.is_some_and(|l| indent(l) > child) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for (i, l) in lines.iter().enumerate() {
        if i != at {
            out.push_str(l);
        }
    }
    Some(out)
}

/// Apply `pr` (if any) to a render's objects and hooks.
pub fn apply(pr: Option<&PostRenderer>, mut out: RenderOutput) -> Result<RenderOutput> {
    if let Some(pr) = pr {
        let typing = Typing::of(&out.chart);
        let helm = !out.chart.metadata.is_kpack();
        out.manifest = pr.post_render(std::mem::take(&mut out.manifest), &typing, helm)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RenderedTemplate;

    fn sh(script: &str) -> PostRenderer {
        PostRenderer {
            command: "sh".into(),
            args: vec!["-c".into(), script.into()],
            timeout: Duration::from_secs(10),
            plugin_dirs: Vec::new(),
        }
    }

    /// A kpack chart's objects through `pr`.
    fn run(pr: &PostRenderer, docs: &[Document]) -> Result<Vec<Document>> {
        let m = Manifest {
            documents: docs.to_vec(),
            hooks: Vec::new(),
        };
        Ok(pr.post_render(m, &Typing::default(), false)?.documents)
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
        let docs = run(&sh("cat"), &[cm("a"), cm("b")]).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].object["metadata"]["name"], "b");
        // The `# Source:` lines it kept give the documents their sources back.
        assert_eq!(docs[0].source, "c/templates/cm.yaml");
        assert_eq!(docs[0].text.as_str(), cm("a").text.as_str());
        let docs = run(&sh("grep -v '^#'"), &[cm("a")]).unwrap();
        assert_eq!(docs[0].source, "generated-by-postrender-0.yaml");
        // A new document.
        let docs = run(&sh(
            "cat; printf -- '---\\napiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: n\\n'",
        ), &[cm("a")])
        .unwrap();
        assert_eq!(docs[0].kind(), "Namespace", "install order again");
        let e = run(&sh("cat >/dev/null"), &[cm("a")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "post-renderer \"sh\" (args [\"-c\", \"cat >/dev/null\"]) printed nothing: a post-renderer prints the objects it was given (changed or not)"
        );
        let e = run(&sh("echo boom >&2; exit 3"), &[cm("a")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "post-renderer \"sh\" (args [\"-c\", \"echo boom >&2; exit 3\"]) failed (exit status: 3): boom"
        );
        let e = run(&sh("echo 'kind: [x'"), &[cm("a")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("printed what is not Kubernetes objects"),
            "{e}"
        );
        let slow = PostRenderer {
            timeout: Duration::from_millis(300),
            ..sh("sleep 5")
        };
        let e = run(&slow, &[cm("a")]).unwrap_err();
        assert!(e.to_string().contains("did not finish within 0s"), "{e}");
        let missing = PostRenderer {
            command: "/nonexistent/pr".into(),
            ..Default::default()
        };
        let e = run(&missing, &[cm("a")]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("post-renderer \"/nonexistent/pr\": cannot run it"),
            "{e}"
        );
    }

    #[test]
    fn empty_annotations_are_dropped_as_helm_4_drops_them() {
        let drop = |text: &str| {
            let mut object = crate::yaml::parse_kube(text).unwrap();
            let out = drop_empty_annotations(text, &mut object);
            (out, object["metadata"].get("annotations").cloned())
        };
        for (text, want) in [
            (
                "kind: Service\nmetadata:\n  annotations:\n  labels:\n    a: b\n  name: s\nspec: {}",
                "kind: Service\nmetadata:\n  labels:\n    a: b\n  name: s\nspec: {}",
            ),
            (
                "kind: Service\nmetadata:\n    name: s\n    annotations: {}\n# end\nspec:\n  annotations:\n",
                "kind: Service\nmetadata:\n    name: s\n# end\nspec:\n  annotations:\n",
            ),
        ] {
            assert_eq!(drop(text), (Some(want.to_string()), None), "{text}");
        }
        // Annotations that are there stay; flow `metadata` keeps its text (the object
        // loses the key all the same).
        let kept = "kind: Service\nmetadata:\n  annotations:\n    a: b\n  name: s\n";
        assert_eq!(drop(kept).0, None);
        assert_eq!(
            drop("kind: Service\nmetadata: {name: s, annotations: {}}\n"),
            (None, None)
        );
    }

    /// The documents of a Helm chart's template, as it printed them.
    fn helm_docs(name: &str, content: &str) -> Vec<Document> {
        let t = RenderedTemplate {
            name: name.into(),
            content: content.to_string().into(),
        };
        let (docs, hooks) =
            manifest::helm::sort_manifests(&[t], false, &Typing::uniform(true)).unwrap();
        docs.into_iter().chain(hooks).collect()
    }

    #[test]
    fn hooks_are_post_rendered_and_documents_regrouped_as_helm_4_does() {
        let mut rendered = Manifest::default();
        for d in helm_docs(
            "c/templates/a.yaml",
            "kind: Service\nmetadata:\n  name: s\n---\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n---\nkind: ConfigMap\nmetadata:\n  name: c\n\n\n",
        )
        .into_iter()
        .chain(helm_docs(
            "c/templates/b.yaml",
            "kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\nspec: {image: busybox}",
        )) {
            if d.is_hook() {
                rendered.hooks.push(d)
            } else {
                rendered.documents.push(d)
            }
        }
        // The command sees every document, hooks included, in template order; it renames
        // an image, adds a document and drops `a.yaml`'s ConfigMap's source line.
        let seen = tempfile::NamedTempFile::new().unwrap();
        let pr = sh(&format!(
            "tee {} | sed -e 's/busybox/mirror\\/busybox/' -e '/^# Source: c\\/templates\\/a.yaml$/{{N;/ConfigMap/s/^[^\\n]*\\n//;}}'; printf -- '---\\nkind: Secret\\nmetadata:\\n  name: new\\n'",
            seen.path().display()
        ));
        let m = pr
            .post_render(rendered, &Typing::uniform(true), true)
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(seen.path()).unwrap(),
            "---\n# Source: c/templates/a.yaml\nkind: Service\nmetadata:\n  name: s\n\n---\n# Source: c/templates/a.yaml\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n\n---\n# Source: c/templates/a.yaml\nkind: ConfigMap\nmetadata:\n  name: c\n\n\n\n---\n# Source: c/templates/b.yaml\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\nspec: {image: busybox}\n"
        );
        let listed = |docs: &[Document]| -> Vec<(String, String)> {
            docs.iter()
                .map(|d| (d.source.clone(), d.text.to_string()))
                .collect()
        };
        // Files by name (the made-up ones included), then install order; each text ends
        // in one newline.
        assert_eq!(
            listed(&m.documents),
            [
                (
                    "generated-by-postrender-4.yaml",
                    "kind: Secret\nmetadata:\n  name: new\n"
                ),
                (
                    "generated-by-postrender-2.yaml",
                    "kind: ConfigMap\nmetadata:\n  name: c\n"
                ),
                (
                    "c/templates/a.yaml",
                    "kind: Service\nmetadata:\n  name: s\n"
                ),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(
            listed(&m.hooks),
            [
                ("c/templates/a.yaml", "kind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n"),
                ("c/templates/b.yaml", "kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\nspec: {image: mirror/busybox}\n"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(m.hooks[1].object["spec"]["image"], "mirror/busybox");
    }
}
