//! Shared test support: the golden-file harness, the kube-apiserver stand-in, and the real
//! control plane (`k8s`, `kubelet`, `pki`).
#![allow(dead_code)]

pub mod apiserver;
pub mod golden;
pub mod k8s;
pub mod kubelet;
pub mod memtarget;
pub mod nginx;
pub mod pki;
pub mod registry;
pub mod static_node;
