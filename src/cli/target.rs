//! The flags that choose where releases live, shared by every release command: a cluster
//! (`--kubeconfig`, `--kube-context`, `-n`) or a kubelet's static-pod directory
//! (`--static-pods DIR`, `--state-dir DIR`), and how they become a `Box<dyn Target>`.

use kpack::targets::Target;
use kpack::targets::kube::{ConnectOptions, KubeTarget};
use kpack::targets::staticpod::{LockMode, StaticPodTarget};
use kpack::{Error, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Where the release lives.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TargetArgs {
    /// Kubeconfig file to use (only this file; default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use instead of the current one.
    #[arg(long = "kube-context", value_name = "CONTEXT")]
    pub kube_context: Option<String>,
    /// Namespace of the release (default: the context's namespace, then `default`).
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Manage the release as static pods in this kubelet manifest directory instead of on
    /// a cluster (e.g. /etc/kubernetes/manifests). Only Pods; no hooks.
    #[arg(long = "static-pods", value_name = "DIR")]
    pub static_pods: Option<PathBuf>,
    /// With --static-pods: where release records live (default: DIR/../.kpack-state/<name of DIR>).
    #[arg(long = "state-dir", value_name = "DIR", requires = "static_pods")]
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
    /// Open the target. `lock`: for a command that changes the release, how long to wait
    /// for another run holding a static-pod directory (`None` for read-only commands).
    pub fn connect(&self, lock: Option<Duration>) -> Result<Connected> {
        if let Some(dir) = &self.static_pods {
            if self.kubeconfig.is_some() || self.kube_context.is_some() {
                return Err(Error::usage(
                    "--static-pods writes to a directory: drop --kubeconfig/--kube-context",
                ));
            }
            let mode = match lock {
                Some(t) => LockMode::Wait(t),
                None => LockMode::Read,
            };
            let mut on_wait = |msg: &str| super::releases::note(msg);
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
        let target = KubeTarget::connect(&ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.kube_context.clone(),
            namespace: self.namespace.clone(),
        })?;
        let namespace = target.namespace().to_string();
        Ok(Connected {
            target: Box::new(target),
            namespace,
        })
    }
}
