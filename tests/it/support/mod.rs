//! Shared test support: the golden-file harness and the kube-apiserver stand-in.
#![allow(dead_code)]

pub mod apiserver;
pub mod golden;
pub mod memtarget;
pub mod registry;
