//! Dependency update/build/list against a real registry (OCI) and a file:// chart: ranges
//! resolved, Chart.lock written, `build` restoring exactly the lock (from the cache when the
//! registry copy was tampered with), tampering refused with a fresh cache. Included by
//! `tests/it/oci/mod.rs`.

use super::{chart_files, chart_tgz, options, render, write_dir};
use crate::support::registry::Registry;
use kpack::chart::dependency;
use kpack::oci::{self, Options};

#[test]
fn dependency_update_and_build_from_oci_and_file() {
    let Some(reg) = Registry::start("dependency_update", false) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let opts = options(&reg, t);
    for v in ["1.0.0", "1.1.0", "2.0.0"] {
        oci::push(&chart_tgz("db", v), "t", &reg.url("deps"), &opts).unwrap();
    }
    write_dir(&t.join("lib"), &chart_files("lib", "0.3.0", &[]));
    let app = t.join("app");
    let deps = format!(
        "dependencies:\n- name: db\n  version: ^1.0.0\n  repository: {}\n- name: lib\n  version: '>=0.1.0 <1.0.0'\n  repository: file://../lib\n",
        reg.url("deps")
    );
    let mut files = chart_files("app", "0.1.0", &[]);
    files[0].1.extend_from_slice(deps.as_bytes());
    write_dir(&app, &files);

    let st = dependency::list(&app).unwrap();
    assert_eq!(
        st.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(),
        ["missing", "missing"]
    );

    let fetched = dependency::update(&app, &opts.clone().into()).unwrap();
    assert_eq!(fetched[0].locked.version, "1.1.0");
    assert_eq!(fetched[1].locked.version, "0.3.0");
    let db = std::fs::read(app.join("charts/db-1.1.0.tgz")).unwrap();
    assert_eq!(oci::cache::sha256_digest(&db), fetched[0].locked.digest);
    let lock = dependency::read_lock(&app).unwrap().unwrap();
    assert_eq!(lock.dependencies[0].repository, reg.url("deps"));
    assert_eq!(lock.dependencies[0].digest, fetched[0].locked.digest);
    assert!(app.join("charts/lib-0.3.0.tgz").is_file());
    let st = dependency::list(&app).unwrap();
    assert_eq!(
        st.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(),
        ["ok", "ok"]
    );

    // The parent renders with both subcharts.
    let chart = kpack::chart::load(&app).unwrap();
    let out = render(&chart, "r");
    assert!(
        out.contains("name: r-db") && out.contains("version: \"1.1.0\""),
        "{out}"
    );
    assert!(out.contains("name: r-lib"), "{out}");

    // A newer 1.x appears: build still restores exactly the locked 1.1.0.
    oci::push(&chart_tgz("db", "1.5.0"), "t", &reg.url("deps"), &opts).unwrap();
    std::fs::remove_dir_all(app.join("charts")).unwrap();
    let built = dependency::build(&app, &opts.clone().into()).unwrap();
    assert_eq!(built[0].locked.version, "1.1.0");
    assert_eq!(std::fs::read(app.join("charts/db-1.1.0.tgz")).unwrap(), db);

    // build works from the cache alone (registry content tampered: not consulted).
    std::fs::remove_dir_all(app.join("charts")).unwrap();
    let blob = reg.blob_file(&fetched[0].locked.digest);
    std::fs::write(&blob, b"garbage").unwrap();
    dependency::build(&app, &opts.clone().into()).unwrap();
    assert_eq!(std::fs::read(app.join("charts/db-1.1.0.tgz")).unwrap(), db);

    // With a fresh cache the tampered registry blob is refused.
    std::fs::remove_dir_all(app.join("charts")).unwrap();
    let fresh = Options {
        cache_dir: Some(t.join("fresh-cache")),
        ..opts.clone()
    };
    let e = dependency::build(&app, &fresh.clone().into())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("\"db\"") && e.to_lowercase().contains("digest"),
        "{e}"
    );

    // update moves to the newest matching version and rewrites the lock.
    let fetched = dependency::update(&app, &fresh.clone().into()).unwrap_or_else(|e| {
        // The tampered 1.1.0 blob is no longer wanted: 1.5.0 is fetched instead.
        panic!("update after a newer push: {e}")
    });
    assert_eq!(fetched[0].locked.version, "1.5.0");
    assert!(app.join("charts/db-1.5.0.tgz").is_file());
    assert!(!app.join("charts/db-1.1.0.tgz").exists());
}
