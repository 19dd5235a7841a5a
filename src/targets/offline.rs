//! The target of a client dry run (`install --dry-run=client`): helm's renders without
//! contacting a cluster, or even needing one configured, and so does kpack's. It holds no
//! release records and reads or changes nothing; every call a client dry run does not
//! make is an error saying so.

use super::{ObjectRef, Readiness, Target};
use crate::release::{Release, Store, StoreError};
use crate::{Error, Result};
use serde_json::Value as Json;
use std::time::Duration;

/// No cluster: what a client dry run renders for.
#[derive(Debug, Clone, Default)]
pub struct Offline;

fn refused<T>(what: &str) -> Result<T> {
    Err(Error::usage(format!(
        "a client dry run does not {what}: drop --dry-run=client (or use --dry-run=server) to reach the cluster"
    )))
}

impl Target for Offline {
    fn describe(&self) -> String {
        "no cluster (client dry run)".into()
    }

    fn store(&self, _namespace: &str) -> Result<Box<dyn Store>> {
        Ok(Box::new(NoRecords))
    }

    fn resolve(
        &self,
        _docs: &[crate::manifest::Document],
        _namespace: &str,
        _installs_crds: &[crate::manifest::Document],
    ) -> Result<Vec<ObjectRef>> {
        refused("look objects up")
    }

    fn apply(
        &self,
        _docs: &[crate::manifest::Document],
        _opts: &super::ApplyOptions,
    ) -> Result<Vec<Json>> {
        refused("apply objects")
    }

    fn delete(&self, _objects: &[ObjectRef]) -> Result<()> {
        refused("delete objects")
    }

    fn get(&self, _object: &ObjectRef) -> Result<Option<Json>> {
        refused("read objects")
    }

    fn readiness(&self, _objects: &[ObjectRef]) -> Result<Vec<Readiness>> {
        refused("read objects")
    }

    fn wait(
        &self,
        _objects: &[ObjectRef],
        _timeout: Duration,
        _progress: &mut dyn FnMut(&[Readiness]),
    ) -> Result<()> {
        refused("wait for objects")
    }
}

/// The records of no release: empty, and nothing can be written.
struct NoRecords;

impl Store for NoRecords {
    fn list(&self, _name: Option<&str>) -> Result<Vec<Release>, StoreError> {
        Ok(Vec::new())
    }

    fn get(&self, _name: &str, _revision: u64) -> Result<Option<Release>, StoreError> {
        Ok(None)
    }

    fn create(&self, _release: &Release) -> Result<(), StoreError> {
        Err(StoreError::Other("a client dry run records nothing".into()))
    }

    fn update(&self, _release: &Release) -> Result<(), StoreError> {
        Err(StoreError::Other("a client dry run records nothing".into()))
    }

    fn delete(&self, _name: &str, _revision: u64) -> Result<(), StoreError> {
        Err(StoreError::Other("a client dry run records nothing".into()))
    }
}
