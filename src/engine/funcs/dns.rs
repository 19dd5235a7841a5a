//! sprig's `getHostByName` and `--enable-dns`, which turns it on. Without the flag the
//! helper returns the empty string, as Helm's does (a render then never touches the
//! network). With it, a name is resolved as Go's `net.LookupHost` does and one of its
//! addresses is returned at random, as sprig does: an IP address (an IPv6 one may carry a
//! `%zone`) is returned as written; a host name goes to the system resolver (hosts file,
//! then DNS), each name once per process and for at most [`TIMEOUT`]; a name that has no
//! address fails the render with sprig's error (`rand.Intn` of an empty list) and the
//! resolver's reason.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use minijinja::{Error, Value};

use super::Args;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// How long one name may take to resolve before the render fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Let `getHostByName` resolve names from now on (`--enable-dns`), or not.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether `getHostByName` resolves names.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// `getHostByName NAME`.
pub fn get_host_by_name(a: &Args) -> Result<Value, Error> {
    if !enabled() {
        return Ok("".into());
    }
    let name = a.str(0);
    match lookup_host(&name) {
        Ok(addrs) if !addrs.is_empty() => {
            Ok(addrs[rand::random_range(0..addrs.len())].clone().into())
        }
        Ok(_) => Err(a.err(format!(
            "invalid argument to Intn (host {name:?} has no address)"
        ))),
        Err(why) => Err(a.err(format!("invalid argument to Intn ({why})"))),
    }
}

/// The addresses of `name`, as Go's `net.LookupHost` gives them.
pub fn lookup_host(name: &str) -> Result<Arc<Vec<String>>, String> {
    if is_ip(name) {
        return Ok(Arc::new(vec![name.to_string()]));
    }
    if !is_domain_name(name) {
        return Err(format!("lookup {name:?}: no such host"));
    }
    static CACHE: Mutex<Option<HashMap<String, Arc<Vec<String>>>>> = Mutex::new(None);
    if let Some(found) = (CACHE.lock().unwrap_or_else(|e| e.into_inner()))
        .get_or_insert_with(HashMap::new)
        .get(name)
    {
        return Ok(found.clone());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = name.to_string();
    // The system resolver has no deadline of its own that a chart cannot stretch (a slow
    // DNS server, several search domains): it runs aside and is given up on after TIMEOUT.
    std::thread::spawn(move || {
        let _ = tx.send(resolve(&owned));
    });
    let addrs = match rx.recv_timeout(TIMEOUT) {
        Ok(r) => Arc::new(r?),
        Err(_) => {
            return Err(format!(
                "lookup {name:?}: no answer within {}s",
                TIMEOUT.as_secs()
            ));
        }
    };
    (CACHE.lock().unwrap_or_else(|e| e.into_inner()))
        .get_or_insert_with(HashMap::new)
        .insert(name.to_string(), addrs.clone());
    Ok(addrs)
}

/// The system resolver's addresses for `name`, each once, in its order.
fn resolve(name: &str) -> Result<Vec<String>, String> {
    let found = (name, 0)
        .to_socket_addrs()
        .map_err(|e| format!("lookup {name:?}: {e}"))?;
    let mut addrs: Vec<String> = Vec::new();
    for a in found {
        let ip = a.ip().to_string();
        if !addrs.contains(&ip) {
            addrs.push(ip);
        }
    }
    Ok(addrs)
}

/// An address Go's `netip.ParseAddr` takes: IPv4 in dotted decimal (no leading zeros),
/// IPv6, IPv6 with a zone.
fn is_ip(s: &str) -> bool {
    if s.parse::<IpAddr>().is_ok() {
        return true;
    }
    matches!(s.split_once('%'), Some((ip, zone)) if !zone.is_empty() && ip.parse::<Ipv6Addr>().is_ok())
}

/// A name Go would look up: letters, digits, `-`, `_` and dots, labels of 1 to 63
/// characters, at most 254 in all, and not only digits and dots (Go sends `1.2.3` to DNS,
/// where it has no address, while the C resolver would read it as the address 1.2.0.3).
fn is_domain_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.')
            .all(|l| (1..=63).contains(&l.len()) && !l.starts_with('-') && !l.ends_with('-'))
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_returned_as_written_and_names_are_checked_as_go_checks_them() {
        for ip in ["127.0.0.1", "::1", "::ffff:127.0.0.1", "fe80::1%lo"] {
            assert_eq!(*lookup_host(ip).unwrap(), vec![ip.to_string()], "{ip}");
        }
        for bad in [
            "",
            " 127.0.0.1",
            "1.2.3",
            "127.000.000.001",
            "a..b",
            "-a",
            "a b",
            "fe80::1%",
        ] {
            assert_eq!(
                lookup_host(bad).unwrap_err(),
                format!("lookup {bad:?}: no such host"),
                "{bad:?}"
            );
        }
        assert!(is_domain_name("localhost") && is_domain_name("vm.") && is_domain_name("a_b.c-d"));
    }

    #[test]
    fn localhost_resolves_through_the_system_resolver() {
        let addrs = lookup_host("localhost").unwrap();
        assert!(
            addrs.iter().any(|a| a == "127.0.0.1" || a == "::1"),
            "{addrs:?}"
        );
    }
}
