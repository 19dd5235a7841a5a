//! Actions: the commands' work, orchestrating chart → values → engine → manifest (and,
//! for releases, plan → target → store). CLI files call these and print the results.

pub mod create;
pub mod lint;
pub mod render;
pub mod template;
