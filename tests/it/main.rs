//! kpack's integration tests, one binary with a module per area (as cargo and ripgrep
//! do): the support code (golden files, the API stand-in, the in-memory target, the
//! registry helper) is compiled once instead of once per test file.

mod support;

mod charts_addons;
mod charts_cluster;
mod charts_control_plane;
mod cli;
mod cluster_cli;
mod cluster_target;
mod diff;
mod fermat;
mod fuzz;
mod golden;
mod gotmpl;
mod helm_corpus;
mod helm_lint;
mod helm_parity;
mod helm_template;
mod helpers;
mod hostile;
mod kubeschema;
mod lifecycle;
mod migration;
mod oci;
mod real_cluster;
mod real_cluster_adopt;
mod real_cluster_boot;
mod real_cluster_cli;
mod real_cluster_diff;
mod real_cluster_faults;
mod real_cluster_flags;
mod real_cluster_helm;
mod real_cluster_ops;
mod real_cluster_sync;
mod real_cluster_target;
mod real_cluster_template;
mod real_cluster_test_hooks;
mod real_cluster_throttle;
mod real_cluster_watch;
mod render;
mod repo;
mod sprig_parity;
mod staticpod;
mod yaml_fast;
