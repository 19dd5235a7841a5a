//! A STAND-IN, not a real repository server: a TCP listener (127.0.0.1, a free port, closed
//! when the test ends) that accepts connections and never answers, which nginx cannot be
//! made to do. `repo add --timeout` bounds the whole index download, as helm's does.

use std::net::TcpListener;
use std::time::{Duration, Instant};

#[test]
fn repo_add_timeout_bounds_a_silent_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold connections, never writing a byte.
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let end = Instant::now() + Duration::from_secs(20);
        while Instant::now() < end {
            match listener.accept() {
                Ok((s, _)) => held.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
            if held.len() >= 4 {
                break;
            }
        }
        std::thread::sleep(Duration::from_secs(3));
    });
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let start = Instant::now();
    let (ok, _, err) = super::run_in(
        tmp.path(),
        &["repo", "add", "silent", &url, "--timeout", "1s"],
    );
    let took = start.elapsed();
    assert!(!ok);
    assert!(
        err.starts_with(&format!(
            "Error: GET {url}index.yaml (index of repository \"silent\"): timed out ("
        )) && err.contains("; is the repository up and reachable?"),
        "{err}"
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert!(!tmp.path().join(".config/kpack/repositories.yaml").exists());
    drop(holder);
}
