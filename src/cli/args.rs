//! The flag groups several commands share, and what each group turns into: where a chart
//! comes from ([`ChartSourceArgs`], [`RegistryArgs`]), values ([`ValuesArgs`]), the render
//! ([`RenderArgs`]), where releases live ([`TargetArgs`]), what a changing operation may do
//! ([`OpArgs`], `--timeout` durations, `--dry-run[=client|server]`), how an upgrade treats
//! earlier values ([`ValuesModeArgs`]) and the `--diff`/`--confirm` preview of `install`
//! and `upgrade` ([`PreviewArgs`]).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kpack::action::apply::{DryRun, WaitStrategy};
use kpack::action::upgrade::ValuesMode;
use kpack::diff::{DiffReport, Options as DiffOptions};
use kpack::engine::{Capabilities, KubeVersion};
use kpack::oci::{Auth, Options as RegistryOptions};
use kpack::targets::Target;
use kpack::targets::kube::ratelimit::{DEFAULT_BURST, RateLimit};
use kpack::targets::kube::{ConnectOptions, KubeTarget};
use kpack::targets::staticpod::{LockMode, StaticPodTarget};
use kpack::values::sources::ValueOptions;
use kpack::{Error, Result};

use super::output::{Output, out, stdout_color};

/// Flags for reaching an OCI registry.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RegistryArgs {
    /// Use plain HTTP instead of HTTPS (local registries).
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    /// Accept the registry's TLS certificate without verifying it.
    #[arg(long = "insecure-skip-tls-verify")]
    pub insecure_skip_tls_verify: bool,
    /// Registry user name (instead of the stored credentials).
    #[arg(long = "username", value_name = "USER", requires = "password")]
    pub username: Option<String>,
    /// Registry password or token (instead of the stored credentials).
    #[arg(long = "password", value_name = "PASSWORD", requires = "username")]
    pub password: Option<String>,
    /// Credentials file (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json).
    #[arg(long = "registry-config", value_name = "FILE")]
    pub registry_config: Option<PathBuf>,
}

impl RegistryArgs {
    /// The flags as library options.
    pub fn options(&self) -> RegistryOptions {
        RegistryOptions {
            plain_http: self.plain_http,
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            auth: match (&self.username, &self.password) {
                (Some(u), Some(p)) => Some(Auth::Basic {
                    username: u.clone(),
                    password: p.clone(),
                }),
                _ => None,
            },
            registry_config: self.registry_config.clone(),
            cache_dir: None,
            tls: Default::default(),
        }
    }
}

/// Certificate flags for a chart repository or an OCI registry, as Helm's: alone for
/// `push` and `registry login`, within [`RepoTlsArgs`] elsewhere.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CertArgs {
    /// Verify the repository's or registry's certificate with this CA bundle (PEM) instead
    /// of the system's.
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) to identify to the repository or registry with.
    #[arg(long = "cert-file", value_name = "FILE", requires = "key_file")]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long = "key-file", value_name = "FILE", requires = "cert_file")]
    pub key_file: Option<PathBuf>,
}

impl CertArgs {
    /// The flags as library options.
    pub fn files(&self) -> kpack::tls::Files {
        kpack::tls::Files {
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        }
    }
}

/// The values flags, in Helm's names. Precedence: -f files in order < --set-json < --set <
/// --set-string < --set-file < --set-literal.
#[derive(Debug, Clone, Default, Args)]
pub struct ValuesArgs {
    /// Values file (YAML); repeatable, later files win; `-` reads standard input.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<String>,
    /// Set values as JSON: key=JSON, or a whole JSON object (repeatable).
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set values: a.b=1,list[0]=x,c={x,y} (repeatable).
    #[arg(long = "set", value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set values, always as strings (repeatable).
    #[arg(long = "set-string", value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Set a value to the content of a file: key=path (repeatable).
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set a value to the rest of the argument, verbatim (repeatable).
    #[arg(long = "set-literal", value_name = "KEY=VAL")]
    pub set_literal: Vec<String>,
}

impl ValuesArgs {
    /// The flags as the library's value options.
    pub fn options(&self) -> ValueOptions {
        ValueOptions {
            files: self.values.clone(),
            set_json: self.set_json.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            set_file: self.set_file.clone(),
            set_literal: self.set_literal.clone(),
        }
    }
}

/// The flags that shape a render for a target cluster.
#[derive(Debug, Clone, Default, Args)]
pub struct RenderArgs {
    /// Kubernetes version to render for (Capabilities.KubeVersion), e.g. 1.30 or v1.30.2.
    #[arg(long = "kube-version", value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for Capabilities.APIVersions (group/version or group/version/Kind).
    #[arg(
        short = 'a',
        long = "api-versions",
        value_name = "API",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,
    /// Skip validation against values.schema.json.
    #[arg(long = "skip-schema-validation")]
    pub skip_schema_validation: bool,
    /// The work one template may take before rendering stops with an error (a loop that
    /// does not end); raise it for a template that legitimately does more.
    #[arg(long = "max-render-steps", value_name = "STEPS", default_value_t = kpack::engine::DEFAULT_MAX_STEPS)]
    pub max_render_steps: u64,
    /// Let getHostByName resolve names (hosts file, DNS); without it, it returns "" as in
    /// Helm, and a render never touches the network.
    #[arg(long = "enable-dns")]
    pub enable_dns: bool,
}

impl RenderArgs {
    /// The capabilities these flags describe (and the render budget they set, which every
    /// render of the command then uses).
    pub fn capabilities(&self) -> Result<Capabilities> {
        self.set_engine();
        let (kv, given) = match &self.kube_version {
            Some(v) => (
                KubeVersion::parse(v)
                    .map_err(|e| kpack::Error::usage(format!("--kube-version: {e}")))?,
                true,
            ),
            None => (KubeVersion::DEFAULT, false),
        };
        let mut caps = Capabilities::new(kv, &self.api_versions);
        if !given {
            // Helm charts see what helm renders for without --kube-version.
            caps.go_kube_version = Some(KubeVersion::HELM_DEFAULT);
        }
        Ok(caps)
    }

    /// Set what these flags say of every render of the command: its budget and whether
    /// getHostByName resolves names.
    pub fn set_engine(&self) {
        kpack::engine::set_max_render_steps(self.max_render_steps);
        kpack::engine::set_enable_dns(self.enable_dns);
    }
}

/// TLS and credential flags for chart repositories (`--repo URL`, `repo add`); the
/// certificate flags apply to `oci://` charts too, as in Helm.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RepoTlsArgs {
    #[command(flatten)]
    pub certs: CertArgs,
    /// Send the user name and password to chart URLs on other hosts too.
    #[arg(long = "pass-credentials")]
    pub pass_credentials: bool,
}

impl RepoTlsArgs {
    /// The transport these flags and the credentials describe.
    pub fn transport(
        &self,
        username: Option<&str>,
        password: Option<&str>,
        insecure: bool,
    ) -> kpack::repo::Transport {
        kpack::repo::Transport {
            username: username.unwrap_or_default().to_string(),
            password: password.unwrap_or_default().to_string(),
            tls: self.certs.files(),
            insecure_skip_tls_verify: insecure,
            pass_credentials_all: self.pass_credentials,
            timeout: None,
        }
    }

    /// Whether any of these flags was given.
    pub fn any(&self) -> bool {
        self.certs.ca_file.is_some() || self.certs.cert_file.is_some() || self.pass_credentials
    }
}

/// Where a chart comes from: a directory, a `.tgz` archive, `REPO/CHART`, a chart name with
/// `--repo URL`, a chart URL, or `oci://HOST/REPO/NAME`, with `--version`, `--devel`,
/// `--verify` and the registry and repository flags.
#[derive(Debug, Clone, Default, Args)]
pub struct ChartSourceArgs {
    /// Chart version or SemVer range, for repository and oci:// charts (default: the newest
    /// stable version).
    #[arg(long = "version", value_name = "VERSION")]
    pub version: Option<String>,
    /// Without --version, take the newest version even if it is a prerelease.
    #[arg(long)]
    pub devel: bool,
    /// Take the chart from the repository at this URL (the chart argument is then its name).
    #[arg(long = "repo", value_name = "URL")]
    pub repo: Option<String>,
    /// Check the chart's provenance file (.prov) against --keyring before using it.
    #[arg(long)]
    pub verify: bool,
    /// Public keyring for --verify (default: ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "FILE")]
    pub keyring: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub repo_tls: RepoTlsArgs,
}

impl ChartSourceArgs {
    /// The flags as library options.
    pub fn options(&self) -> Result<kpack::source::Options> {
        let mut registry = self.registry.options();
        registry.tls = self.repo_tls.certs.files();
        let explicit = self.registry.username.is_some()
            || self.registry.insecure_skip_tls_verify
            || self.repo_tls.any();
        Ok(kpack::source::Options {
            repos: kpack::repo::Options::default(),
            transport: explicit.then(|| {
                self.repo_tls.transport(
                    self.registry.username.as_deref(),
                    self.registry.password.as_deref(),
                    self.registry.insecure_skip_tls_verify,
                )
            }),
            devel: self.devel,
            refresh: false,
            fetch_provenance: false,
            verify: if self.verify {
                Some(match &self.keyring {
                    Some(k) => k.clone(),
                    None => kpack::provenance::default_keyring()?,
                })
            } else {
                None
            },
            registry,
        })
    }

    /// The chart argument as a source.
    pub fn source(&self, chart: &str) -> Result<kpack::source::Source> {
        kpack::source::Source::parse_with(chart, self.repo.as_deref())
    }

    /// Load `chart` (see [`kpack::source::Source`]); with --verify, say who signed it on
    /// standard error.
    pub fn load(&self, chart: &str) -> Result<kpack::chart::Chart> {
        let start = std::time::Instant::now();
        let source = self.source(chart)?;
        super::output::debug(|| format!("chart {chart:?}: loading from {source:?}"));
        let loaded = source.load(self.version.as_deref(), &self.options()?)?;
        super::output::debug(|| {
            let m = &loaded.chart.metadata;
            format!(
                "chart {} {} loaded in {:.1?}",
                m.name,
                m.version,
                start.elapsed()
            )
        });
        if let Some(v) = &loaded.verified {
            super::output::note(&format!(
                "Verified {}: signed by {} (key {})",
                v.file_name, v.signed_by, v.fingerprint
            ));
        }
        Ok(loaded.chart)
    }
}

/// Flags of `install` and `upgrade` about the release and its chart (Helm 4's).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReleaseArgs {
    /// Do not create the chart's CRDs (its crds/ directory); by default they are created
    /// when absent.
    #[arg(long = "skip-crds")]
    pub skip_crds: bool,
    /// Labels of the release record: k=v,k2=v2 (repeatable). An upgrade merges them over
    /// the previous revision's; k=null removes one. `kpack list -l` selects on them.
    #[arg(short = 'l', long = "labels", value_name = "K=V,...")]
    pub labels: Vec<String>,
    /// Before loading a chart directory, fetch its dependencies into charts/ when some are
    /// missing (as `kpack dependency update` does).
    #[arg(long = "dependency-update")]
    pub dependency_update: bool,
    /// Print the subcharts' NOTES.txt too, each after the top chart's (they are kept in
    /// the release record with it).
    #[arg(long = "render-subchart-notes")]
    pub render_subchart_notes: bool,
    #[command(flatten)]
    pub post_render: PostRendererArgs,
}

/// `--post-renderer` and its arguments (install, upgrade, template).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PostRendererArgs {
    /// Pass the rendered objects and hooks through this post-renderer: the name of an
    /// installed Helm post-renderer plugin (as Helm 4) or a command (as Helm 3, e.g. a
    /// kustomize wrapper). They are written to its standard input with their `# Source:`
    /// lines, and what it prints takes their place.
    #[arg(long = "post-renderer", value_name = "COMMAND")]
    pub post_renderer: Option<String>,
    /// An argument of the --post-renderer command (repeatable, in order).
    #[arg(
        long = "post-renderer-args",
        value_name = "ARG",
        requires = "post_renderer",
        allow_hyphen_values = true
    )]
    pub post_renderer_args: Vec<String>,
}

impl PostRendererArgs {
    /// The --post-renderer command, bounded by `timeout`.
    pub fn post_renderer(
        &self,
        timeout: Duration,
    ) -> Option<kpack::action::postrender::PostRenderer> {
        self.post_renderer
            .as_ref()
            .map(|c| kpack::action::postrender::PostRenderer {
                command: c.clone(),
                args: self.post_renderer_args.clone(),
                timeout,
                plugin_dirs: kpack::action::helm_plugin::plugin_dirs(),
            })
    }
}

impl ReleaseArgs {
    /// With --dependency-update: update a local chart directory's missing dependencies,
    /// saying what was fetched on standard error.
    pub fn prepare(&self, chart: &str, source: &ChartSourceArgs) -> Result<()> {
        if !self.dependency_update {
            return Ok(());
        }
        let dir = std::path::Path::new(chart);
        let fetched = kpack::chart::dependency::update_missing(dir, &source.options()?)?;
        for f in &fetched {
            super::output::note(&format!(
                "--dependency-update: {} {} saved in {}",
                f.locked.name,
                f.locked.version,
                dir.join("charts").display()
            ));
        }
        Ok(())
    }
}

/// The `--kube-version` of the render flags, parsed (and their engine settings set, see
/// [`RenderArgs::set_engine`]).
pub fn kube_version(r: &RenderArgs) -> kpack::Result<Option<kpack::engine::KubeVersion>> {
    r.set_engine();
    r.kube_version
        .as_deref()
        .map(|v| {
            kpack::engine::KubeVersion::parse(v)
                .map_err(|e| kpack::Error::usage(format!("--kube-version: {e}")))
        })
        .transpose()
}

/// `--debug`, global.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DebugArgs {
    /// Print what kpack does on standard error (the cluster, context and kubeconfig
    /// chosen, each step and its time), and the whole cause of an error.
    #[arg(long, global = true, env = "KPACK_DEBUG")]
    pub debug: bool,
}

/// Where the release lives.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Kubeconfig file to use (only this file; default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use instead of the current one.
    #[arg(
        long = "kube-context",
        value_name = "CONTEXT",
        env = "KPACK_KUBECONTEXT",
        global = true
    )]
    pub kube_context: Option<String>,
    /// Namespace of the release (default: the context's namespace, then `default`).
    #[arg(
        short = 'n',
        long,
        value_name = "NAMESPACE",
        env = "KPACK_NAMESPACE",
        global = true
    )]
    pub namespace: Option<String>,
    /// The address and port of the Kubernetes API server, instead of the context's (with
    /// no kubeconfig file, the connection is made from the --kube-* flags alone).
    #[arg(long = "kube-apiserver", value_name = "URL", global = true)]
    pub kube_apiserver: Option<String>,
    /// Bearer token to authenticate with, instead of the kubeconfig user's credentials.
    #[arg(long = "kube-token", value_name = "TOKEN", global = true)]
    pub kube_token: Option<String>,
    /// User to impersonate for the operation.
    #[arg(long = "kube-as-user", value_name = "USER", global = true)]
    pub kube_as_user: Option<String>,
    /// Group to impersonate for the operation (repeatable).
    #[arg(long = "kube-as-group", value_name = "GROUP", global = true)]
    pub kube_as_group: Vec<String>,
    /// Certificate authority file (PEM) to verify the API server with.
    #[arg(long = "kube-ca-file", value_name = "PATH", global = true)]
    pub kube_ca_file: Option<PathBuf>,
    /// Do not verify the API server's certificate (insecure).
    #[arg(long = "kube-insecure-skip-tls-verify", global = true)]
    pub kube_insecure_skip_tls_verify: bool,
    /// Server name to verify the API server's certificate against (default: the host
    /// name used to reach it).
    #[arg(long = "kube-tls-server-name", value_name = "NAME", global = true)]
    pub kube_tls_server_name: Option<String>,
    /// Limit requests to the API server to this many per second (after a burst of
    /// --burst-limit), as helm's and kubectl's client does. Default: no client-side limit
    /// (the server's priority and fairness throttles; kpack retries what it turns away).
    #[arg(long, value_name = "PER_SECOND", global = true, value_parser = parse_qps)]
    pub qps: Option<f64>,
    /// With --qps: how many requests may go at once before the limit applies (default
    /// 100, as helm's).
    #[arg(long = "burst-limit", value_name = "N", global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub burst_limit: Option<u32>,
    /// Manage the release as static pods in this kubelet manifest directory instead of on
    /// a cluster (e.g. /etc/kubernetes/manifests). Only Pods; no hooks.
    #[arg(long = "static-pods", value_name = "DIR", global = true)]
    pub static_pods: Option<PathBuf>,
    /// With --static-pods: where release records live (default: DIR/../.kpack-state/<name of DIR>).
    #[arg(
        long = "state-dir",
        value_name = "DIR",
        requires = "static_pods",
        global = true
    )]
    pub state_dir: Option<PathBuf>,
}

/// A target and the namespace in effect.
pub struct Connected {
    /// The target.
    pub target: Box<dyn Target>,
    /// `-n`, else the target's default namespace.
    pub namespace: String,
}

impl TargetArgs {
    /// Whether any `--kube-*` connection flag is given.
    fn any_kube_flag(&self) -> bool {
        let o = self.connect_options();
        o.apiserver.is_some()
            || o.token.is_some()
            || o.as_user.is_some()
            || !o.as_groups.is_empty()
            || o.ca_file.is_some()
            || o.insecure_skip_tls_verify
            || o.tls_server_name.is_some()
    }

    /// What `--debug` says about the connection: where the settings came from, the
    /// context, server and namespace, and the `--kube-*` overrides (a token only as given).
    fn describe(&self, t: &KubeTarget, took: Duration) -> String {
        let mut s = format!("cluster {} from {}", t.server(), t.source());
        if let Some(c) = t.context() {
            let how = if self.kube_context.is_some() {
                "--kube-context"
            } else {
                "current-context"
            };
            s.push_str(&format!(", context {c:?} ({how})"));
        }
        let how = if self.namespace.is_some() {
            "-n"
        } else {
            "the context's or default"
        };
        s.push_str(&format!(", namespace {:?} ({how})", t.namespace()));
        let o = self.connect_options();
        let mut over = Vec::new();
        if let Some(v) = &o.apiserver {
            over.push(format!("--kube-apiserver {v}"));
        }
        if let Some(v) = &o.ca_file {
            over.push(format!("--kube-ca-file {}", v.display()));
        }
        if o.token.is_some() {
            over.push("--kube-token (hidden)".into());
        }
        if let Some(v) = &o.as_user {
            over.push(format!("--kube-as-user {v}"));
        }
        for g in &o.as_groups {
            over.push(format!("--kube-as-group {g}"));
        }
        if o.insecure_skip_tls_verify {
            over.push("--kube-insecure-skip-tls-verify".into());
        }
        if let Some(v) = &o.tls_server_name {
            over.push(format!("--kube-tls-server-name {v}"));
        }
        if let Some(r) = &o.rate {
            over.push(format!("--qps {} --burst-limit {}", r.qps, r.burst));
        }
        if !over.is_empty() {
            s.push_str(&format!(", with {}", over.join(", ")));
        }
        s.push_str(&format!(
            " (client ready in {took:.1?}; no request made yet)"
        ));
        s
    }

    /// The flags as the cluster target's options.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.kube_context.clone(),
            namespace: self.namespace.clone(),
            apiserver: self.kube_apiserver.clone(),
            token: self.kube_token.clone(),
            as_user: self.kube_as_user.clone(),
            as_groups: self.kube_as_group.clone(),
            ca_file: self.kube_ca_file.clone(),
            insecure_skip_tls_verify: self.kube_insecure_skip_tls_verify,
            tls_server_name: self.kube_tls_server_name.clone(),
            rate: self.qps.filter(|q| *q > 0.0).map(|qps| RateLimit {
                qps,
                burst: self.burst_limit.unwrap_or(DEFAULT_BURST),
            }),
        }
    }

    /// The target of `install --dry-run=client`: as helm's, it needs no cluster and
    /// contacts none. The namespace is `-n`, else the kubeconfig context's (when one
    /// loads), else `default`; a static-pod directory (local) is opened as usual.
    pub fn connect_client_dry_run(&self) -> Result<Connected> {
        if self.static_pods.is_some() {
            return self.connect(None);
        }
        let namespace = match &self.namespace {
            Some(n) => n.clone(),
            None => kpack::targets::kube::kubeconfig::resolve(&self.connect_options())
                .map(|r| r.namespace)
                .unwrap_or_else(|_| "default".into()),
        };
        Ok(Connected {
            target: Box::new(kpack::targets::offline::Offline),
            namespace,
        })
    }

    /// Open the target. `lock`: for a command that changes the release, how long to wait
    /// for another run holding a static-pod directory (`None` for read-only commands).
    pub fn connect(&self, lock: Option<Duration>) -> Result<Connected> {
        if let Some(dir) = &self.static_pods {
            if self.kubeconfig.is_some() || self.kube_context.is_some() || self.any_kube_flag() {
                return Err(Error::usage(
                    "--static-pods writes to a directory: drop --kubeconfig, --kube-context and the --kube-* flags",
                ));
            }
            let mode = match lock {
                Some(t) => LockMode::Wait(t),
                None => LockMode::Read,
            };
            let mut on_wait = |msg: &str| super::output::note(msg);
            super::output::debug(|| format!("static-pod directory {}", dir.display()));
            let target = StaticPodTarget::open(dir, self.state_dir.as_deref(), mode, &mut on_wait)?;
            let namespace = self
                .namespace
                .clone()
                .unwrap_or_else(|| target.default_namespace());
            return Ok(Connected {
                target: Box::new(target),
                namespace,
            });
        }
        let start = std::time::Instant::now();
        let target = KubeTarget::connect(&self.connect_options())?;
        super::output::debug(|| self.describe(&target, start.elapsed()));
        let namespace = target.namespace().to_string();
        Ok(Connected {
            target: Box::new(target),
            namespace,
        })
    }
}

/// Flags every changing release command shares.
#[derive(Debug, Clone, clap::Args)]
pub struct OpArgs {
    /// What to wait for (up to --timeout). `--wait` alone (or `=watcher`, or `=legacy`,
    /// Helm 3's name): Deployments, StatefulSets and DaemonSets rolled out, Pods ready, PVCs
    /// bound, LoadBalancer Services addressed, CRDs established and custom resources with a
    /// Ready condition ready. Without it (`=hookOnly`): only hooks are waited for.
    #[arg(long, value_name = "STRATEGY", num_args = 0..=1, require_equals = true, default_missing_value = "watcher", value_enum)]
    pub wait: Option<WaitArg>,
    /// With --wait: also wait until the release's Jobs have completed (a failed Job fails
    /// the operation).
    #[arg(long = "wait-for-jobs")]
    pub wait_for_jobs: bool,
    /// Bound of --wait and of each hook: 300, 90s, 5m, 1h30m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Do not run hooks.
    #[arg(long = "no-hooks")]
    pub no_hooks: bool,
    /// Take fields other field managers own when applying. kpack always does (its
    /// server-side applies are forced: what the chart says wins over manual edits, and
    /// objects of other owners are refused before anything is applied); accepted for
    /// Helm 4's scripts.
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// How objects are applied: true or auto (server-side apply, what kpack always does);
    /// false (client-side update) is refused.
    #[arg(long = "server-side", value_name = "true|false|auto", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "auto")]
    pub server_side: String,
    /// Adopt objects that exist and are owned by another release or by nobody, instead of
    /// failing.
    #[arg(long = "take-ownership")]
    pub take_ownership: bool,
    /// Only say what would happen: `--dry-run` or `--dry-run=client` renders without asking
    /// the target; `--dry-run=server` has the target validate every object.
    #[arg(long = "dry-run", value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "client", value_enum)]
    pub dry_run: Option<DryRunArg>,
    /// Description of the new revision.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Output format of the result.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Print Secret values in clear in dry-run output and -o json|yaml (masked as *** otherwise).
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// Print only warnings and the result, no progress.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not print the chart's NOTES after the result.
    #[arg(long = "hide-notes")]
    pub hide_notes: bool,
    /// How many objects of one kind are applied at once (Helm applies one at a time).
    #[arg(long, value_name = "N", default_value_t = kpack::action::apply::DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,
    /// Apply every object. By default an object is not applied again when it is the same
    /// as in the last revision and the cluster still holds it as kpack applied it (no
    /// field kpack set was changed or removed by another writer).
    #[arg(long = "apply-all")]
    pub apply_all: bool,
}

impl OpArgs {
    /// The library's options (atomic and history-max are set by the commands having them).
    pub fn options(&self) -> Result<kpack::action::apply::OperationOptions> {
        kpack::action::apply::check_server_side(&self.server_side)?;
        Ok(kpack::action::apply::OperationOptions {
            wait: WaitArg::strategy(self.wait),
            wait_for_jobs: self.wait_for_jobs,
            timeout: self.timeout,
            atomic: false,
            take_ownership: self.take_ownership,
            cleanup_on_fail: false,
            cascade: kpack::targets::Cascade::Background,
            no_hooks: self.no_hooks,
            dry_run: DryRunArg::mode(self.dry_run),
            history_max: kpack::action::apply::DEFAULT_HISTORY_MAX,
            description: self.description.clone(),
            concurrency: self.concurrency,
            apply_all: self.apply_all,
        })
    }

    /// How long a static-pod run waits for another one on the same directory.
    pub fn lock_wait(&self) -> Option<Duration> {
        match DryRunArg::mode(self.dry_run) {
            Some(DryRun::Client) => None,
            _ => Some(self.timeout),
        }
    }
}

/// `--wait` values (Helm 4's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WaitArg {
    /// Wait for the release's objects to be ready (what `--wait` alone means).
    #[value(alias = "true")]
    Watcher,
    /// Helm 3's wait: the same readiness rules in kpack.
    Legacy,
    /// Wait only for hooks (the default).
    #[value(name = "hookOnly", alias = "false")]
    HookOnly,
}

impl WaitArg {
    /// The library's strategy.
    pub fn strategy(v: Option<WaitArg>) -> WaitStrategy {
        match v {
            Some(WaitArg::Watcher) => WaitStrategy::Watcher,
            Some(WaitArg::Legacy) => WaitStrategy::Legacy,
            Some(WaitArg::HookOnly) | None => WaitStrategy::HookOnly,
        }
    }
}

/// `--dry-run` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRunArg {
    /// Render only; nothing is sent to the target.
    Client,
    /// The target validates every object without persisting it.
    Server,
    /// No dry run (the default).
    None,
}

impl DryRunArg {
    /// The library's mode.
    pub fn mode(v: Option<DryRunArg>) -> Option<DryRun> {
        match v {
            Some(DryRunArg::Client) => Some(DryRun::Client),
            Some(DryRunArg::Server) => Some(DryRun::Server),
            _ => None,
        }
    }
}

/// Parse a `--timeout`: `300` (seconds), `90s`, `5m`, `1h30m`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    let mut total = Duration::ZERO;
    let mut num = String::new();
    let mut chars = t.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next().unwrap_or('s'));
        }
        let n: f64 = num
            .parse()
            .map_err(|_| format!("invalid duration {s:?}: write e.g. 300s, 5m or 1h30m"))?;
        let secs = match unit.as_str() {
            "ms" => n / 1000.0,
            "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            _ => {
                return Err(format!(
                    "invalid duration {s:?}: unknown unit {unit:?} (use ms, s, m or h)"
                ));
            }
        };
        total += Duration::from_secs_f64(secs);
        num.clear();
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(format!(
            "invalid duration {s:?}: write e.g. 300s, 5m or 1h30m"
        ));
    }
    Ok(total)
}

/// `--concurrency`: 1 to 256.
fn parse_concurrency(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a number from 1 to 256")),
    }
}

/// How an upgrade treats the last revision's values (Helm's flags; none given: reuse the
/// last user values when no values are given).
#[derive(Debug, Clone, clap::Args)]
pub struct ValuesModeArgs {
    /// Reuse the last revision's values (its chart defaults included) and merge the values
    /// given over them.
    #[arg(long = "reuse-values", conflicts_with_all = ["reset_values", "reset_then_reuse_values"])]
    pub reuse_values: bool,
    /// Use only the new chart's defaults and the values given.
    #[arg(long = "reset-values", conflicts_with = "reset_then_reuse_values")]
    pub reset_values: bool,
    /// Use the new chart's defaults, then the last revision's user values, then the values given.
    #[arg(long = "reset-then-reuse-values")]
    pub reset_then_reuse_values: bool,
}

impl ValuesModeArgs {
    /// The mode these flags select.
    pub fn mode(&self) -> ValuesMode {
        if self.reuse_values {
            ValuesMode::Reuse
        } else if self.reset_values {
            ValuesMode::Reset
        } else if self.reset_then_reuse_values {
            ValuesMode::ResetThenReuse
        } else {
            ValuesMode::Default
        }
    }
}

/// `--diff`, `--confirm` and `--yes` of `install` and `upgrade`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PreviewArgs {
    /// Print what the operation will change (a diff against the live objects, Secret
    /// values hidden), then proceed.
    #[arg(long)]
    pub diff: bool,
    /// Print the diff and ask before changing anything. Without a terminal to ask on it
    /// refuses, unless --yes.
    #[arg(long)]
    pub confirm: bool,
    /// With --confirm: proceed without asking (the diff is still printed).
    #[arg(short = 'y', long, requires = "confirm")]
    pub yes: bool,
    /// Lines of context of the --diff/--confirm diff.
    #[arg(long = "diff-context", value_name = "N", default_value_t = 3)]
    pub diff_context: usize,
}

impl PreviewArgs {
    /// Whether a preview was asked for.
    pub fn wanted(&self) -> bool {
        self.diff || self.confirm
    }

    /// With `--diff` or `--confirm`: compute the diff with `compute`, print it (on standard
    /// error when `to_stderr`, so `-o json|yaml` output stays clean; on standard output
    /// otherwise), and with `--confirm` ask. Returns whether to proceed (always true
    /// without these flags, without computing anything). `--confirm` without a terminal
    /// and without `--yes` is an error before anything is computed.
    pub fn proceed(
        &self,
        namespace: &str,
        to_stderr: bool,
        compute: impl FnOnce(&DiffOptions) -> Result<DiffReport>,
    ) -> Result<bool> {
        if !self.wanted() {
            return Ok(true);
        }
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        if self.confirm && !self.yes && !interactive {
            return Err(Error::usage(
                "--confirm asks on a terminal, and there is none: pass --yes to proceed without asking, or --diff to print the changes and proceed",
            ));
        }
        let report = compute(&DiffOptions::new(self.diff_context, namespace))?;
        if to_stderr {
            eprint!(
                "{}",
                kpack::diff::render_text(&report, super::output::stderr_color())
            );
        } else {
            out(&kpack::diff::render_text(&report, stdout_color()));
            let _ = std::io::stdout().flush();
        }
        if !self.confirm || self.yes {
            return Ok(true);
        }
        eprint!("Apply these changes to release {}? [y/N] ", report.release);
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Error::io("standard input", e))?;
        let yes = matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes");
        if !yes {
            eprintln!("Cancelled: nothing was changed.");
        }
        Ok(yes)
    }
}

/// `--qps`: a number of requests per second, 0 (no limit) or more.
fn parse_qps(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(q) if q.is_finite() && q >= 0.0 => Ok(q),
        _ => Err(format!(
            "expected requests per second, a number such as 20 or 2.5 (0: no limit), not {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("300").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5m3").is_err());
    }

    fn report() -> DiffReport {
        DiffReport {
            mode: kpack::diff::Mode::Upgrade,
            release: "web".into(),
            namespace: "ns".into(),
            from: "live".into(),
            to: "revision 2".into(),
            objects: Vec::new(),
            notices: Vec::new(),
        }
    }

    #[test]
    fn preview_flags() {
        // No flag: nothing is computed.
        let none = PreviewArgs::default();
        assert!(none.proceed("ns", true, |_| panic!("computed")).unwrap());
        // --diff: computed with the namespace and context given, then proceed.
        let diff = PreviewArgs {
            diff: true,
            diff_context: 7,
            ..Default::default()
        };
        let go = diff
            .proceed("ns", true, |o| {
                assert_eq!((o.context, o.namespace.as_str()), (7, "ns"));
                Ok(report())
            })
            .unwrap();
        assert!(go);
        // --confirm without a terminal (tests have none) refuses before computing...
        let confirm = PreviewArgs {
            confirm: true,
            ..Default::default()
        };
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            let e = confirm
                .proceed("ns", true, |_| panic!("computed"))
                .unwrap_err();
            assert!(e.to_string().contains("pass --yes"), "{e}");
            assert_eq!(e.exit_code(), 1);
        }
        // ...unless --yes.
        let yes = PreviewArgs {
            confirm: true,
            yes: true,
            ..Default::default()
        };
        assert!(yes.proceed("ns", true, |_| Ok(report())).unwrap());
        // Errors of the diff stop the operation.
        assert!(
            diff.proceed("ns", true, |_| Err(Error::remote("boom")))
                .is_err()
        );
    }
}
