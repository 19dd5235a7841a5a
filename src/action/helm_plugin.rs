//! Helm 4's post-renderer plugins, which `--post-renderer NAME` names in Helm 4: a
//! directory under Helm's plugin directories (`$HELM_PLUGINS`, a `:`-separated list, else
//! `$HELM_DATA_HOME/plugins`, `$XDG_DATA_HOME/helm/plugins` or `~/.local/share/helm/plugins`,
//! where `helm plugin install` puts them) whose `plugin.yaml`
//! says `apiVersion: v1`, `type: postrenderer/v1`, `runtime: subprocess` and the command
//! to run for this platform (`runtimeConfig.platformCommand`). kpack runs that command as
//! Helm does: `$HELM_PLUGIN_DIR` (and the other environment variables) expanded in it, the
//! plugin's own arguments, then `--post-renderer-args`, with `HELM_PLUGIN_NAME` and
//! `HELM_PLUGIN_DIR` set. Plugins of another runtime (WebAssembly) are refused with a
//! clear error.

use crate::{Error, Result, yaml};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What to run for a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The program.
    pub program: String,
    /// Its arguments (the plugin's; the caller adds its own after them).
    pub args: Vec<String>,
    /// The plugin's directory.
    pub dir: PathBuf,
    /// The plugin's name.
    pub name: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Manifest {
    api_version: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    runtime: String,
    runtime_config: RuntimeConfig,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RuntimeConfig {
    platform_command: Vec<PlatformCommand>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct PlatformCommand {
    os: String,
    arch: String,
    command: String,
    args: Vec<String>,
}

/// Helm's plugin directories, from the environment.
pub fn plugin_dirs() -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os("HELM_PLUGINS").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&list).collect();
    }
    if let Some(data) = std::env::var_os("HELM_DATA_HOME").filter(|v| !v.is_empty()) {
        return vec![PathBuf::from(data).join("plugins")];
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")));
    data.map(|d| vec![d.join("helm/plugins")])
        .unwrap_or_default()
}

/// The post-renderer plugin called `name` in `dirs`, if one is installed. A path (with a
/// `/`) is never a plugin name. A plugin of that name that cannot post-render, or whose
/// manifest is broken, is an error saying so.
pub fn find_post_renderer(name: &str, dirs: &[PathBuf]) -> Result<Option<Resolved>> {
    if name.is_empty() || name.contains('/') {
        return Ok(None);
    }
    for base in dirs {
        let Ok(entries) = std::fs::read_dir(base) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for dir in entries {
            let file = dir.join("plugin.yaml");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Ok(m) = yaml::from_str::<Manifest>(&text) else {
                continue;
            };
            if m.name != name {
                continue;
            }
            return resolve(&m, &dir, &file).map(Some);
        }
    }
    Ok(None)
}

fn resolve(m: &Manifest, dir: &Path, file: &Path) -> Result<Resolved> {
    let what = format!("Helm plugin {:?} ({})", m.name, file.display());
    if m.api_version != "v1" || m.kind != "postrenderer/v1" {
        return Err(Error::usage(format!(
            "{what} is not a post-renderer (it says apiVersion {:?}, type {:?}; a post-renderer plugin says apiVersion v1, type postrenderer/v1)",
            m.api_version, m.kind
        )));
    }
    if m.runtime != "subprocess" {
        return Err(Error::usage(format!(
            "{what} runs on the {:?} runtime; kpack runs subprocess plugins only (give the post-renderer as a command instead)",
            m.runtime
        )));
    }
    let cmd = platform_command(&m.runtime_config.platform_command).ok_or_else(|| {
        Error::usage(format!(
            "{what} has no command for {}/{} (runtimeConfig.platformCommand)",
            go_os(),
            go_arch()
        ))
    })?;
    let expand = |s: &str| expand_env(s, &m.name, dir);
    let mut words = expand(&cmd.command)
        .split_whitespace()
        .map(str::to_string)
        .collect::<Vec<_>>();
    if words.is_empty() {
        return Err(Error::usage(format!("{what}: its command is empty")));
    }
    let program = words.remove(0);
    words.extend(cmd.args.iter().map(|a| expand(a)));
    Ok(Resolved {
        program,
        args: words,
        dir: dir.to_path_buf(),
        name: m.name.clone(),
    })
}

/// The command for this platform, as Helm picks it: the entry naming this OS and
/// architecture, else this OS and no architecture, else the first naming neither.
fn platform_command(list: &[PlatformCommand]) -> Option<PlatformCommand> {
    let (os, arch) = (go_os(), go_arch());
    list.iter()
        .find(|c| c.os == os && c.arch == arch)
        .or_else(|| list.iter().find(|c| c.os == os && c.arch.is_empty()))
        .or_else(|| list.iter().find(|c| c.os.is_empty() && c.arch.is_empty()))
        .cloned()
}

fn go_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// Go's `os.ExpandEnv` with the plugin's variables set: `$NAME` and `${NAME}`; an unset
/// variable is empty.
fn expand_env(s: &str, name: &str, dir: &Path) -> String {
    let lookup = |var: &str| -> String {
        match var {
            "HELM_PLUGIN_NAME" => name.to_string(),
            "HELM_PLUGIN_DIR" => dir.display().to_string(),
            _ => std::env::var(var).unwrap_or_default(),
        }
    };
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(body) = after.strip_prefix('{') {
            if let Some(end) = body.find('}') {
                out.push_str(&lookup(&body[..end]));
                rest = &body[end + 1..];
                continue;
            }
            out.push('$');
            rest = after;
            continue;
        }
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if end == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        out.push_str(&lookup(&after[..end]));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(base: &Path, dir: &str, text: &str) {
        std::fs::create_dir_all(base.join(dir)).unwrap();
        std::fs::write(base.join(dir).join("plugin.yaml"), text).unwrap();
    }

    #[test]
    fn plugins_are_found_by_name_and_run_as_helm_runs_them() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path();
        plugin(
            base,
            "labels",
            "apiVersion: v1\ntype: postrenderer/v1\nname: label-injector\nversion: 0.1.0\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n    - os: plan9\n      command: nope\n    - command: ${HELM_PLUGIN_DIR}/run.sh --mode $HELM_PLUGIN_NAME\n      args: [\"x\", \"$HELM_PLUGIN_DIR\"]\n",
        );
        plugin(
            base,
            "cli",
            "apiVersion: v1\ntype: cli/v1\nname: diff\nversion: 1.0.0\nruntime: subprocess\n",
        );
        plugin(
            base,
            "wasm",
            "apiVersion: v1\ntype: postrenderer/v1\nname: wasm\nversion: 1.0.0\nruntime: extism/v1\n",
        );
        let dirs = [base.join("missing"), base.to_path_buf()];
        let dir = base.join("labels").display().to_string();
        assert_eq!(
            find_post_renderer("label-injector", &dirs).unwrap(),
            Some(Resolved {
                program: format!("{dir}/run.sh"),
                args: vec![
                    "--mode".into(),
                    "label-injector".into(),
                    "x".into(),
                    dir.clone()
                ],
                dir: base.join("labels"),
                name: "label-injector".into(),
            })
        );
        assert_eq!(find_post_renderer("kustomize", &dirs).unwrap(), None);
        assert_eq!(find_post_renderer("./labels", &dirs).unwrap(), None);
        let e = find_post_renderer("diff", &dirs).unwrap_err().to_string();
        assert!(e.contains("is not a post-renderer"), "{e}");
        let e = find_post_renderer("wasm", &dirs).unwrap_err().to_string();
        assert!(e.contains("kpack runs subprocess plugins only"), "{e}");
    }

    #[test]
    fn environment_variables_expand_as_go_expands_them() {
        let d = Path::new("/p");
        assert_eq!(
            expand_env("${HELM_PLUGIN_DIR}/a $HELM_PLUGIN_NAME-b", "n", d),
            "/p/a n-b"
        );
        assert_eq!(expand_env("$KPACK_SURELY_UNSET_VAR/x", "n", d), "/x");
    }
}
