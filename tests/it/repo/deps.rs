//! `dependency update|build|list` with chart repositories: an `https://` (here `http://`)
//! repository by URL, and configured ones as `@NAME` and `alias:NAME`; Chart.lock with the
//! archives' digests; build restoring from the digest cache without the server; a replaced
//! archive refused (against the index on update, against the lock on build).

use super::{Env, chart_tgz, served_repo};
use crate::support::nginx::Setup;

fn app(env: &Env, url: &str) -> std::path::PathBuf {
    let app = env.path("app");
    std::fs::create_dir_all(app.join("templates")).unwrap();
    std::fs::write(
        app.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: web\n  version: ^1.0.0\n  repository: {url}\n- name: db\n  version: \"*\"\n  repository: \"@local\"\n- name: cache\n  version: 3.x\n  repository: alias:local\n"
        ),
    )
    .unwrap();
    std::fs::write(app.join("values.yaml"), "{}\n").unwrap();
    app
}

fn digest_of(p: &std::path::Path) -> String {
    kpack::oci::cache::sha256_digest(&std::fs::read(p).unwrap())
}

#[test]
fn dependencies_from_chart_repositories() {
    let test = "dependencies_from_chart_repositories";
    let Some((dir, server)) = served_repo(test, Setup::default()) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    let app = app(&env, &url);

    // @local is not configured yet: the error says how to configure it.
    let e = env.kpack(&["dependency", "update", "app"]);
    assert!(
        e.err().contains("dependency \"db\": no repository named \"local\" is configured (none are); add it with `kpack repo add local URL`"),
        "{}",
        e.stderr
    );
    assert!(!app.join("Chart.lock").exists() && !app.join("charts").exists());

    env.kpack(&["repo", "add", "local", &url]).ok();
    let up = env.kpack(&["dependency", "update", "app"]);
    let d = |f: &str| digest_of(&dir.path().join(f));
    assert_eq!(
        up.ok(),
        format!(
            "web 1.1.0: fetched from {url} ({})\ndb 0.1.0: fetched from @local ({})\ncache 3.0.0: fetched from alias:local ({})\nSaved 3 dependencies; wrote app/Chart.lock\n",
            d("web-1.1.0.tgz"),
            d("db-0.1.0.tgz"),
            d("cache-3.0.0.tgz")
        )
    );
    let lock = kpack::chart::dependency::read_lock(&app).unwrap().unwrap();
    let got: Vec<(&str, &str, &str)> = lock
        .dependencies
        .iter()
        .map(|l| (l.name.as_str(), l.version.as_str(), l.repository.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("web", "1.1.0", url.as_str()),
            ("db", "0.1.0", "@local"),
            ("cache", "3.0.0", "alias:local")
        ]
    );
    assert_eq!(lock.dependencies[0].digest, d("web-1.1.0.tgz"));
    assert_eq!(
        std::fs::read(app.join("charts/web-1.1.0.tgz")).unwrap(),
        std::fs::read(dir.path().join("web-1.1.0.tgz")).unwrap()
    );
    assert_eq!(
        env.kpack(&["dependency", "list", "app"]).ok(),
        format!(
            "NAME    VERSION   REPOSITORY{pad}   STATUS\nweb     ^1.0.0    {url}   ok\ndb      *         @local{pad2}   ok\ncache   3.x       alias:local{pad3}   ok\n",
            pad = " ".repeat(url.len() - "REPOSITORY".len()),
            pad2 = " ".repeat(url.len() - "@local".len()),
            pad3 = " ".repeat(url.len() - "alias:local".len()),
        )
    );
    let t = env.kpack(&["template", "r", "app"]);
    for name in ["r-web", "r-db", "r-cache"] {
        assert!(t.ok().contains(&format!("name: {name}\n")), "{}", t.stdout);
    }

    // build restores from the digest cache, with the server gone.
    drop(server);
    std::fs::remove_dir_all(app.join("charts")).unwrap();
    let b = env.kpack(&["dependency", "build", "app"]);
    assert!(
        b.ok().starts_with("web 1.1.0: restored from"),
        "{}",
        b.stdout
    );
    assert_eq!(
        digest_of(&app.join("charts/web-1.1.0.tgz")),
        d("web-1.1.0.tgz")
    );
}

#[test]
fn replaced_archives_are_refused() {
    let test = "replaced_archives_are_refused";
    let Some((dir, server)) = served_repo(test, Setup::default()) else {
        return;
    };
    let env = Env::new();
    let url = server.url("");
    env.kpack(&["repo", "add", "local", &url]).ok();
    let app = app(&env, &url);
    env.kpack(&["dependency", "update", "app"]).ok();
    let locked = digest_of(&dir.path().join("web-1.1.0.tgz"));
    std::fs::remove_dir_all(app.join("charts")).unwrap();
    std::fs::remove_dir_all(env.path("cache/blobs")).unwrap();

    // The archive on the server is replaced; the index still lists the old digest.
    let other = chart_tgz("web", "1.1.0", "description: Replaced\n");
    std::fs::write(dir.path().join("web-1.1.0.tgz"), &other).unwrap();
    let now = kpack::oci::cache::sha256_digest(&other);
    let e = env.kpack(&["dependency", "update", "app"]);
    assert!(
        e.err().contains(&format!(
            "dependency \"web\": digest mismatch for chart web 1.1.0 of repository {url} ({url}web-1.1.0.tgz): the index says {locked}, the archive is {now}; refusing it"
        )),
        "{}",
        e.stderr
    );
    let e = env.kpack(&["dependency", "build", "app"]);
    assert!(e.err().contains("digest mismatch"), "{}", e.stderr);
    assert!(!app.join("charts").exists(), "nothing written");

    // The index is made again with the new archive: update would accept it, but build
    // refuses what Chart.lock did not lock.
    env.kpack(&["repo", "index", dir.path().to_str().unwrap(), "--url", &url])
        .ok();
    let e = env.kpack(&["dependency", "build", "app"]);
    assert!(
        e.err().contains(&format!(
            "dependency \"web\": repository {url} now lists another archive for web 1.1.0 (digest {now}) than Chart.lock ({locked}); refusing it"
        )),
        "{}",
        e.stderr
    );
    let up = env.kpack(&["dependency", "update", "app"]);
    assert!(
        up.ok()
            .contains(&format!("web 1.1.0: fetched from {url} ({now})")),
        "{}",
        up.stdout
    );
}
