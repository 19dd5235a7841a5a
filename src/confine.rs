//! Files written under a directory kpack was told to write to (`template --output-dir`,
//! `pull --untar`), never outside it: every relative path is checked before anything is
//! written, and a symbolic link on the way (or in place of the file) that leads out of the
//! directory is refused.
//!
//! What this does not do: defend against another process swapping a directory for a link
//! between the check and the write. The directory is the user's own.

use std::path::{Component, Path, PathBuf};

use crate::{Error, Result};

/// The path of `rel` (a `/`-separated path from a chart: a template name, an archive entry)
/// under `dir`, refused when it is absolute, empty, or has a `.`, `..` or empty component.
/// `what` names the path in the error (`template "web/templates/x.yaml"`).
pub fn join(dir: &Path, rel: &str, what: &str) -> Result<PathBuf> {
    let bad = rel.is_empty()
        || rel.starts_with('/')
        || rel.contains('\0')
        || rel
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(Error::chart(format!(
            "{what} would be written outside {} (its path {rel:?} is absolute or has `.`, `..` or empty parts); refusing to write anything",
            dir.display()
        )));
    }
    let path = dir.join(rel);
    // `Path::join` of a relative path of normal parts stays under `dir`.
    debug_assert!(
        path.strip_prefix(dir)
            .is_ok_and(|r| r.components().all(|c| matches!(c, Component::Normal(_))))
    );
    Ok(path)
}

/// Check that writing `path` (under `dir`, as [`join`] made it) cannot land outside `dir`:
/// each part of it that exists already must be a directory (or a link to one) inside `dir`,
/// and the file itself must not be a symbolic link. Parts that do not exist yet will be
/// created as plain directories. `what` names the path in the error.
pub fn check_existing(dir: &Path, path: &Path, what: &str) -> Result<()> {
    let Ok(rel) = path.strip_prefix(dir) else {
        return Err(Error::io_message(format!(
            "{what}: {} is not under {}; refusing to write it",
            path.display(),
            dir.display()
        )));
    };
    let root = match dir.canonicalize() {
        Ok(r) => r,
        // The directory does not exist yet: nothing under it can be a link.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir.display(), e)),
    };
    let mut cur = dir.to_path_buf();
    let parts: Vec<Component> = rel.components().collect();
    for (i, part) in parts.iter().enumerate() {
        cur.push(part);
        let meta = match std::fs::symlink_metadata(&cur) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(cur.display(), e)),
        };
        let last = i + 1 == parts.len();
        if meta.file_type().is_symlink() {
            let target = cur.canonicalize().ok();
            if last || !target.as_ref().is_some_and(|t| t.starts_with(&root)) {
                return Err(Error::io_message(format!(
                    "{what}: {} is a symbolic link{}; refusing to write through it (remove it, or write to another directory)",
                    cur.display(),
                    match &target {
                        Some(t) if !t.starts_with(&root) => {
                            format!(" leading outside {} (to {})", dir.display(), t.display())
                        }
                        _ => String::new(),
                    }
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_refuses_paths_that_leave_the_directory() {
        let d = Path::new("/out");
        assert_eq!(
            join(d, "web/templates/a.yaml", "t").unwrap(),
            Path::new("/out/web/templates/a.yaml")
        );
        for bad in [
            "",
            "/etc/x",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a/.",
            "a\0b",
        ] {
            let e = join(d, bad, "template x").unwrap_err();
            assert_eq!(e.kind(), crate::error::Kind::Chart, "{bad:?}");
            assert!(
                e.to_string()
                    .starts_with("template x would be written outside /out"),
                "{e}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_directory_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(out.join("inside")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("web")).unwrap();
        std::os::unix::fs::symlink(out.join("inside"), out.join("ok")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("f"), out.join("file.yaml")).unwrap();
        let check = |rel: &str| check_existing(&out, &join(&out, rel, "t").unwrap(), "t");
        let e = check("web/templates/a.yaml").unwrap_err().to_string();
        assert!(
            e.contains("is a symbolic link leading outside") && e.contains("elsewhere"),
            "{e}"
        );
        // A link to a directory inside is fine; a link in place of the file never is.
        check("ok/templates/a.yaml").unwrap();
        let e = check("file.yaml").unwrap_err().to_string();
        assert!(e.contains("file.yaml is a symbolic link"), "{e}");
        check("new/dir/a.yaml").unwrap();
        // A directory that does not exist yet has nothing to check.
        check_existing(&tmp.path().join("none"), &tmp.path().join("none/a"), "t").unwrap();
    }
}
