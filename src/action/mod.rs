//! Actions: the commands' work, orchestrating chart → values → engine → manifest (and,
//! for releases, plan → target → store). CLI files call these and print the results.

pub mod adopt;
pub mod apply;
pub mod create;
pub mod diff;
pub mod execute;
pub mod get;
pub mod helm_plugin;
pub mod history;
pub mod hooks;
pub mod install;
pub mod labels;
pub mod lint;
pub mod lint_helm;
pub mod list;
pub mod naming;
pub mod package;
pub mod plan;
pub mod postrender;
pub mod recover;
pub mod render;
pub mod rollback;
pub mod status;
pub mod template;
pub mod test;
pub mod uninstall;
pub mod upgrade;
