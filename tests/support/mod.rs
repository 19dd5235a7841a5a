//! Shared test support: the golden-file harness.
#![allow(dead_code)]

pub mod golden;
