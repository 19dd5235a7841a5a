//! The hook events an object can name in its `kpack.io/hook` (or `helm.sh/hook`)
//! annotation, as one enum: the eight lifecycle events install, upgrade, rollback and
//! uninstall run, and those they never run (`test`, its old name `test-success`,
//! `test-failure`, Helm 2's `crd-install`).

/// One hook event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookEvent {
    /// Before an install applies anything.
    PreInstall,
    /// After an install (and its wait).
    PostInstall,
    /// Before an upgrade applies anything.
    PreUpgrade,
    /// After an upgrade.
    PostUpgrade,
    /// Before a rollback applies anything.
    PreRollback,
    /// After a rollback.
    PostRollback,
    /// Before an uninstall deletes anything.
    PreDelete,
    /// After an uninstall.
    PostDelete,
    /// What `helm test` runs.
    Test,
    /// The old name of [`HookEvent::Test`].
    TestSuccess,
    /// Helm's test hooks that run when a test failed.
    TestFailure,
    /// Helm 2's CRD hook (CRDs now go in `crds/`); accepted, never run.
    CrdInstall,
}

impl HookEvent {
    /// The events install, upgrade, rollback and uninstall run, in lifecycle order.
    pub const LIFECYCLE: [HookEvent; 8] = [
        HookEvent::PreInstall,
        HookEvent::PostInstall,
        HookEvent::PreUpgrade,
        HookEvent::PostUpgrade,
        HookEvent::PreRollback,
        HookEvent::PostRollback,
        HookEvent::PreDelete,
        HookEvent::PostDelete,
    ];

    /// Every event an annotation may name.
    pub const ALL: [HookEvent; 12] = [
        HookEvent::PreInstall,
        HookEvent::PostInstall,
        HookEvent::PreUpgrade,
        HookEvent::PostUpgrade,
        HookEvent::PreRollback,
        HookEvent::PostRollback,
        HookEvent::PreDelete,
        HookEvent::PostDelete,
        HookEvent::Test,
        HookEvent::TestSuccess,
        HookEvent::TestFailure,
        HookEvent::CrdInstall,
    ];

    /// The annotation's spelling (`pre-install`).
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::PreInstall => "pre-install",
            HookEvent::PostInstall => "post-install",
            HookEvent::PreUpgrade => "pre-upgrade",
            HookEvent::PostUpgrade => "post-upgrade",
            HookEvent::PreRollback => "pre-rollback",
            HookEvent::PostRollback => "post-rollback",
            HookEvent::PreDelete => "pre-delete",
            HookEvent::PostDelete => "post-delete",
            HookEvent::Test => "test",
            HookEvent::TestSuccess => "test-success",
            HookEvent::TestFailure => "test-failure",
            HookEvent::CrdInstall => "crd-install",
        }
    }

    /// The event an annotation names, if it is one.
    pub fn parse(s: &str) -> Option<HookEvent> {
        HookEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// Whether `helm test` (and `--skip-tests`) means this event.
    pub fn is_test(self) -> bool {
        matches!(self, HookEvent::Test | HookEvent::TestSuccess)
    }
}

impl std::fmt::Display for HookEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::HookEvent;

    #[test]
    fn spellings_round_trip() {
        for e in HookEvent::ALL {
            assert_eq!(HookEvent::parse(e.as_str()), Some(e));
        }
        assert_eq!(HookEvent::parse("pre-instal"), None);
        assert!(HookEvent::TestSuccess.is_test() && !HookEvent::TestFailure.is_test());
    }
}
