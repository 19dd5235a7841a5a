//! Chart archives: safe reading and reproducible writing of chart `.tgz` files.
//!
//! Reading refuses anything that could escape or exhaust the machine: absolute paths, `..`,
//! links, devices and fifos, content outside a single top-level directory, and archives over
//! the entry-count or size [`Limits`]. Writing is reproducible: the same files give the same
//! bytes (sorted entries, fixed time, uid/gid 0, no owner names, fixed gzip header).
//! `action::package` turns a chart directory into such an archive (`kpack package`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};

use flate2::read::GzDecoder;
use flate2::{Compression, GzBuilder};
use tar::{Archive, Builder, EntryType, Header};

use crate::error::Reason;
use crate::{Error, Result};

/// Modification time written into every archive entry (the Unix epoch), so packaging is
/// reproducible.
pub const FIXED_MTIME: u64 = 0;

/// A chart's files: (path relative to the chart directory, bytes), sorted by path.
pub type ChartFiles = Vec<(String, Vec<u8>)>;

/// Bounds on what [`read_chart_tgz`] accepts, against archive bombs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries (files, directories, metadata entries) the archive may hold.
    pub max_entries: usize,
    /// Most bytes all regular files may hold together, decompressed.
    pub max_total_bytes: u64,
    /// Most bytes one regular file may hold, decompressed.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    /// 10 000 entries, 100 MiB in all, 20 MiB per file.
    fn default() -> Self {
        Limits {
            max_entries: 10_000,
            max_total_bytes: 100 * 1024 * 1024,
            max_file_bytes: 20 * 1024 * 1024,
        }
    }
}

/// What is left of [`Limits`] for a whole chart tree: a chart archive and the subchart
/// archives inside it (at any depth) share one budget of entries and decompressed bytes, so
/// archives nested in archives cannot multiply the cap. Made by [`Budget::new`], spent by
/// [`read_chart_tgz_within`].
#[derive(Debug, Clone)]
pub struct Budget {
    limits: Limits,
    entries: usize,
    bytes: u64,
    /// The decompressed stream (headers and padding included), see [`Capped`].
    stream: u64,
    /// Archives read so far (the messages say whether the limit was shared).
    archives: usize,
}

impl Budget {
    /// The whole of `limits`, for one chart tree.
    pub fn new(limits: &Limits) -> Self {
        Budget {
            limits: *limits,
            entries: limits.max_entries,
            bytes: limits.max_total_bytes,
            // Headers (512 bytes, more for long names) and padding count against the
            // stream cap too.
            stream: limits
                .max_total_bytes
                .saturating_add((limits.max_entries as u64).saturating_mul(4096))
                .saturating_add(64 * 1024),
            archives: 0,
        }
    }

    /// What the messages add once the budget was shared by several archives.
    fn shared(&self) -> &'static str {
        if self.archives > 1 {
            " (counting the archives it is inside, which share the limit)"
        } else {
            ""
        }
    }
}

/// Reader that fails once more than `left` bytes have come through: bounds the decompressed
/// stream itself (headers and padding included), not only the file contents.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Probe one byte: the stream may end exactly at the cap.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(CapReached)),
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// The error [`Capped`] fails with, found again by type (not by message) when reporting.
#[derive(Debug)]
struct CapReached;

impl std::fmt::Display for CapReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed archive is larger than the size limit")
    }
}

impl std::error::Error for CapReached {}

/// `text` safe to print on a terminal: control characters (escape sequences, carriage
/// returns, newlines) and the invisible characters that reorder or hide text are shown
/// escaped (`\u{1b}`), as Rust's `{:?}` shows them. For names and messages that come from
/// an archive, whose bytes anyone may have chosen.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An archive path split into its first component (the chart directory) and the rest
/// (`/`-separated, `.` and empty components dropped; empty for the directory itself).
/// Refuses absolute paths, `..`, backslashes and non-UTF-8 names. `None` for the archive
/// root (`./`). One pass and one allocation: entry names can be long.
fn clean_components<'a>(raw: &'a [u8], origin: &str) -> Result<Option<(&'a str, String)>> {
    let text = std::str::from_utf8(raw).map_err(|_| {
        Error::chart(format!(
            "{origin}: archive entry {:?} has a name that is not UTF-8",
            String::from_utf8_lossy(raw)
        ))
    })?;
    if text.starts_with('/') {
        return Err(Error::chart(format!(
            "{origin}: archive entry {text:?} has an absolute path; refusing to read it"
        )));
    }
    if text.contains('\\') {
        return Err(Error::chart(format!(
            "{origin}: archive entry {text:?} contains a backslash; refusing to read it"
        )));
    }
    let mut first = None;
    let mut rest = String::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(Error::chart(format!(
                    "{origin}: archive entry {text:?} points outside the chart (`..`); refusing to read it"
                )));
            }
            p if first.is_none() => first = Some(p),
            p => {
                if !rest.is_empty() {
                    rest.push('/');
                }
                rest.push_str(p);
            }
        }
    }
    Ok(first.map(|f| (f, rest)))
}

/// Read a chart `.tgz`.
///
/// Returns the name of the archive's single top-level directory and its regular files as
/// (path relative to that directory, bytes), sorted by path. Refuses absolute paths, `..`,
/// links, devices and fifos, files outside one top-level directory, duplicate files and
/// archives over `limits`, with an [`Kind::Chart`](crate::error::Kind::Chart) naming `origin` and the entry.
pub fn read_chart_tgz(bytes: &[u8], origin: &str, limits: &Limits) -> Result<(String, ChartFiles)> {
    read_chart_tgz_within(bytes, origin, &mut Budget::new(limits))
}

/// [`read_chart_tgz`], spending `budget`: every archive of one chart tree is read with the
/// same budget, so the entry count and the decompressed size are limited for the whole
/// tree, not per archive.
pub fn read_chart_tgz_within(
    bytes: &[u8],
    origin: &str,
    budget: &mut Budget,
) -> Result<(String, ChartFiles)> {
    if bytes.len() < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b {
        return Err(Error::chart(format!(
            "{origin}: not a gzip-compressed chart archive (.tgz)"
        )));
    }
    budget.archives += 1;
    let mut reader = Capped {
        inner: GzDecoder::new(bytes),
        left: budget.stream,
    };
    let result = read_entries(&mut reader, origin, budget);
    budget.stream = reader.left;
    result
}

fn read_entries<R: Read>(
    reader: &mut Capped<R>,
    origin: &str,
    budget: &mut Budget,
) -> Result<(String, ChartFiles)> {
    let limits = budget.limits;
    let shared = budget.shared();
    let mut archive = Archive::new(reader);
    let stream_err = |e: io::Error| {
        if e.get_ref().is_some_and(|inner| inner.is::<CapReached>()) {
            Error::chart(format!(
                "{origin}: {CapReached} ({} bytes of files){shared}; refusing to read it",
                limits.max_total_bytes
            ))
            .with_reason(Reason::LimitExceeded)
        } else {
            Error::chart(format!(
                "{origin}: corrupt chart archive: {}",
                printable(&e.to_string())
            ))
        }
    };

    let mut top: Option<String> = None;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for entry in archive.entries().map_err(stream_err)? {
        let mut entry = entry.map_err(stream_err)?;
        if budget.entries == 0 {
            return Err(Error::chart(format!(
                "{origin}: archive has more than {} entries{shared}; refusing to read it",
                limits.max_entries
            ))
            .with_reason(Reason::LimitExceeded));
        }
        budget.entries -= 1;
        let kind = entry.header().entry_type();
        let raw_path = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw_path).into_owned();
        match kind {
            // Global pax headers (e.g. from `git archive`) carry no file.
            EntryType::XGlobalHeader => continue,
            EntryType::Regular | EntryType::Continuous | EntryType::Directory => {}
            EntryType::Symlink | EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                return Err(Error::chart(format!(
                    "{origin}: archive entry {shown:?} is a link (to {target:?}); charts may not contain links"
                )));
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                return Err(Error::chart(format!(
                    "{origin}: archive entry {shown:?} is a device or fifo; charts may contain only regular files"
                )));
            }
            other => {
                return Err(Error::chart(format!(
                    "{origin}: archive entry {shown:?} has unsupported type {other:?}; charts may contain only regular files"
                )));
            }
        }
        let Some((first, rel)) = clean_components(&raw_path, origin)? else {
            // "./" or similar: the archive root itself.
            continue;
        };
        match &top {
            None => top = Some(first.to_string()),
            Some(t) if t != first => {
                return Err(Error::chart(format!(
                    "{origin}: archive entry {shown:?} is outside the chart directory {t:?}; a chart archive holds exactly one top-level directory"
                )));
            }
            Some(_) => {}
        }
        if kind == EntryType::Directory {
            continue;
        }
        if rel.is_empty() {
            return Err(Error::chart(format!(
                "{origin}: archive entry {shown:?} is a file at the top level; a chart archive holds its files inside one top-level directory"
            )));
        }
        let size = entry.size();
        if size > limits.max_file_bytes {
            return Err(Error::chart(format!(
                "{origin}: archive entry {shown:?} is {size} bytes, over the limit of {} bytes per file; refusing to read it",
                limits.max_file_bytes
            ))
            .with_reason(Reason::LimitExceeded));
        }
        if size > budget.bytes {
            return Err(Error::chart(format!(
                "{origin}: files in the archive exceed {} bytes in all (at entry {shown:?}){shared}; refusing to read it",
                limits.max_total_bytes
            ))
            .with_reason(Reason::LimitExceeded));
        }
        budget.bytes -= size;
        let mut data = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(limits.max_file_bytes + 1)
            .read_to_end(&mut data)
            .map_err(stream_err)?;
        if data.len() as u64 != size {
            return Err(Error::chart(format!(
                "{origin}: archive entry {shown:?} is truncated ({} of {size} bytes)",
                data.len()
            )));
        }
        if files.insert(rel, data).is_some() {
            return Err(Error::chart(format!(
                "{origin}: archive entry {shown:?} appears more than once"
            )));
        }
    }
    let Some(top) = top else {
        return Err(Error::chart(format!("{origin}: chart archive is empty")));
    };
    Ok((top, files.into_iter().collect()))
}

/// Unpack a chart `.tgz` (read with [`read_chart_tgz`], so unsafe archives are refused)
/// into `dest/TOP/`, where TOP is the archive's top-level directory. Refuses to write over
/// an existing `dest/TOP`. Returns the chart directory written.
///
/// The files are written into a hidden temporary directory in `dest` first, which is
/// renamed to `dest/TOP` once complete: a failure (a full disk, a name the file system
/// refuses) leaves no partial chart behind, and running the command again works.
pub fn extract_chart_tgz(
    bytes: &[u8],
    origin: &str,
    dest: &std::path::Path,
    limits: &Limits,
) -> Result<std::path::PathBuf> {
    let (top, files) = read_chart_tgz(bytes, origin, limits)?;
    let root = crate::confine::join(dest, &top, &format!("{origin}: the chart directory"))?;
    if root.symlink_metadata().is_ok() {
        return Err(Error::io_message(format!(
            "{}: already exists; remove it or unpack elsewhere",
            root.display()
        )));
    }
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest.display(), e))?;
    let tmp = temp_dir_in(dest)?;
    let staged = tmp.join(&top);
    let written = (|| {
        std::fs::create_dir(&staged).map_err(|e| Error::io(staged.display(), e))?;
        for (rel, data) in &files {
            let path = crate::confine::join(&staged, rel, &format!("{origin}: {rel:?}"))?;
            // Errors name the place the file was going to (not the staging directory).
            let shown = || root.join(rel).display().to_string();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(shown(), e))?;
            }
            std::fs::write(&path, data).map_err(|e| Error::io(shown(), e))?;
        }
        std::fs::rename(&staged, &root).map_err(|e| Error::io(root.display(), e))
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    written.map(|()| root)
}

/// A new hidden directory in `dir` for staging files (`.kpack-tmp-<pid>-<n>`).
pub fn temp_dir_in(dir: &std::path::Path) -> Result<std::path::PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for attempt in 0..100u32 {
        let p = dir.join(format!(
            ".kpack-tmp-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(p.display(), e)),
        }
    }
    Err(Error::io_message(format!(
        "{}: cannot create a temporary directory",
        dir.display()
    )))
}

fn base_header(kind: EntryType, mode: u32, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(FIXED_MTIME);
    h.set_size(size);
    // Owner names stay empty (new_gnu zero-fills them).
    h
}

/// Write a reproducible chart `.tgz`: every file under `top/`, sorted, directories 0755 and
/// files 0644, uid/gid 0 without owner names, mtime [`FIXED_MTIME`], gzip header without
/// name or time. The same input gives the same bytes.
///
/// `files` holds paths relative to the chart directory (`/`-separated, no `..`, no
/// duplicates).
pub fn write_chart_tgz(top: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    if top.is_empty() || top.contains(['/', '\\']) || top == "." || top == ".." {
        return Err(Error::chart(format!(
            "invalid chart directory name {top:?} for an archive"
        )));
    }
    let mut sorted: BTreeMap<String, &[u8]> = BTreeMap::new();
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for (path, data) in files {
        let parts: Vec<&str> = path.split('/').collect();
        if path.is_empty()
            || path.contains('\\')
            || parts
                .iter()
                .any(|p| p.is_empty() || *p == "." || *p == "..")
        {
            return Err(Error::chart(format!(
                "{top}: cannot archive file with path {path:?}: it must be relative, `/`-separated, without `.` or `..`"
            )));
        }
        for i in 1..parts.len() {
            dirs.insert(parts[..i].join("/"));
        }
        if sorted.insert(path.clone(), data.as_slice()).is_some() {
            return Err(Error::chart(format!(
                "{top}: file {path:?} given twice to the archive writer"
            )));
        }
    }
    if let Some(clash) = dirs.iter().find(|d| sorted.contains_key(*d)) {
        return Err(Error::chart(format!(
            "{top}: {clash:?} is given both as a file and as a directory"
        )));
    }

    // One sorted list of entries: directory "a/" sorts before its contents "a/x".
    let mut entries: BTreeMap<String, Option<&[u8]>> = BTreeMap::new();
    entries.insert(format!("{top}/"), None);
    for d in &dirs {
        entries.insert(format!("{top}/{d}/"), None);
    }
    for (p, data) in &sorted {
        entries.insert(format!("{top}/{p}"), Some(*data));
    }

    let gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::default());
    let mut builder = Builder::new(gz);
    let io_err = |e: io::Error| Error::chart(format!("{top}: writing chart archive: {e}"));
    for (path, data) in entries {
        match data {
            None => {
                let mut h = base_header(EntryType::Directory, 0o755, 0);
                builder
                    .append_data(&mut h, &path, io::empty())
                    .map_err(io_err)?;
            }
            Some(bytes) => {
                let mut h = base_header(EntryType::Regular, 0o644, bytes.len() as u64);
                builder.append_data(&mut h, &path, bytes).map_err(io_err)?;
            }
        }
    }
    let gz = builder.into_inner().map_err(io_err)?;
    let mut out = gz.finish().map_err(io_err)?;
    out.flush().map_err(io_err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(p, d)| (p.to_string(), d.as_bytes().to_vec()))
            .collect()
    }

    /// Build a raw .tgz with arbitrary headers, for the refusal tests.
    fn raw_tgz(entries: &[(&str, EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
        let mut b = Builder::new(Vec::new());
        for (path, kind, data, link) in entries {
            let mut h = Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            // Write the name bytes directly so `..` and absolute names survive.
            let name = &mut h.as_old_mut().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            if let Some(l) = link {
                h.set_link_name(l).unwrap();
            }
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        let tar = b.into_inner().unwrap();
        let mut gz = GzBuilder::new().write(Vec::new(), Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    fn read(bytes: &[u8]) -> Result<(String, ChartFiles)> {
        read_chart_tgz(bytes, "test.tgz", &Limits::default())
    }

    fn err(bytes: &[u8]) -> String {
        read(bytes).unwrap_err().to_string()
    }

    #[test]
    fn round_trip_sorted() {
        let input = files(&[
            ("values.yaml", "a: 1\n"),
            ("Chart.yaml", "name: x\n"),
            ("templates/deploy.yaml", "kind: Deployment\n"),
            ("charts/sub/Chart.yaml", "name: sub\n"),
        ]);
        let tgz = write_chart_tgz("x", &input).unwrap();
        let (top, out) = read(&tgz).unwrap();
        assert_eq!(top, "x");
        let mut expected = input.clone();
        expected.sort();
        assert_eq!(out, expected);
    }

    #[test]
    fn reproducible_regardless_of_input_order() {
        let a = files(&[("b.yaml", "b"), ("a.yaml", "a"), ("t/c", "c")]);
        let mut b = a.clone();
        b.reverse();
        assert_eq!(
            write_chart_tgz("x", &a).unwrap(),
            write_chart_tgz("x", &b).unwrap()
        );
    }

    #[test]
    fn written_headers_are_fixed() {
        let tgz = write_chart_tgz("x", &files(&[("d/f", "1")])).unwrap();
        assert_eq!(&tgz[4..8], &[0, 0, 0, 0], "gzip mtime must be zero");
        let mut ar = Archive::new(GzDecoder::new(&tgz[..]));
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            assert_eq!(h.mtime().unwrap(), FIXED_MTIME);
            assert_eq!(h.uid().unwrap(), 0);
            assert_eq!(h.gid().unwrap(), 0);
            assert_eq!(h.username().unwrap(), Some(""));
            let mode = h.mode().unwrap();
            if h.entry_type().is_dir() {
                assert_eq!(mode, 0o755);
            } else {
                assert_eq!(mode, 0o644);
            }
            seen.push(e.path().unwrap().to_string_lossy().into_owned());
        }
        assert_eq!(seen, ["x/", "x/d/", "x/d/f"]);
    }

    #[test]
    fn extract_writes_files_and_refuses_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let tgz = write_chart_tgz("c", &files(&[("Chart.yaml", "n"), ("t/a.yaml", "a")])).unwrap();
        let root = extract_chart_tgz(&tgz, "o", dir.path(), &Limits::default()).unwrap();
        assert_eq!(root, dir.path().join("c"));
        assert_eq!(std::fs::read_to_string(root.join("t/a.yaml")).unwrap(), "a");
        let e = extract_chart_tgz(&tgz, "o", dir.path(), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("already exists"), "{e}");
    }

    #[test]
    fn long_paths_survive() {
        let long = format!("templates/{}/file.yaml", "n".repeat(150));
        let tgz = write_chart_tgz("x", &files(&[(&long, "data")])).unwrap();
        let (_, out) = read(&tgz).unwrap();
        assert_eq!(out[0].0, long);
    }

    #[test]
    fn writer_refuses_bad_paths() {
        for p in ["../x", "/abs", "a//b", "a/./b", ""] {
            assert!(write_chart_tgz("x", &files(&[(p, "")])).is_err(), "{p}");
        }
        assert!(write_chart_tgz("a/b", &files(&[("f", "")])).is_err());
        assert!(write_chart_tgz("x", &files(&[("a", ""), ("a/b", "")])).is_err());
    }

    #[test]
    fn accepts_dot_slash_prefix_and_pax_global_header() {
        let tgz = raw_tgz(&[
            ("pax_global_header", EntryType::XGlobalHeader, b"", None),
            ("./c/", EntryType::Directory, b"", None),
            ("./c/Chart.yaml", EntryType::Regular, b"name: c\n", None),
        ]);
        let (top, out) = read(&tgz).unwrap();
        assert_eq!(top, "c");
        assert_eq!(out, files(&[("Chart.yaml", "name: c\n")]));
    }

    #[test]
    fn refuses_parent_and_absolute_paths() {
        let e = err(&raw_tgz(&[(
            "c/../../etc/x",
            EntryType::Regular,
            b"x",
            None,
        )]));
        assert!(
            e.contains("test.tgz") && e.contains("c/../../etc/x") && e.contains(".."),
            "{e}"
        );
        let e = err(&raw_tgz(&[("/etc/passwd", EntryType::Regular, b"x", None)]));
        assert!(e.contains("absolute") && e.contains("/etc/passwd"), "{e}");
    }

    #[test]
    fn refuses_links_and_devices() {
        let e = err(&raw_tgz(&[
            ("c/Chart.yaml", EntryType::Regular, b"x", None),
            ("c/l", EntryType::Symlink, b"", Some("/etc/passwd")),
        ]));
        assert!(e.contains("c/l") && e.contains("link"), "{e}");
        let e = err(&raw_tgz(&[(
            "c/h",
            EntryType::Link,
            b"",
            Some("c/Chart.yaml"),
        )]));
        assert!(e.contains("link"), "{e}");
        let e = err(&raw_tgz(&[("c/dev", EntryType::Char, b"", None)]));
        assert!(e.contains("device"), "{e}");
        let e = err(&raw_tgz(&[("c/p", EntryType::Fifo, b"", None)]));
        assert!(e.contains("fifo"), "{e}");
    }

    #[test]
    fn refuses_two_top_dirs_and_top_level_files() {
        let e = err(&raw_tgz(&[
            ("a/Chart.yaml", EntryType::Regular, b"x", None),
            ("b/Chart.yaml", EntryType::Regular, b"x", None),
        ]));
        assert!(
            e.contains("b/Chart.yaml") && e.contains("one top-level"),
            "{e}"
        );
        let e = err(&raw_tgz(&[("Chart.yaml", EntryType::Regular, b"x", None)]));
        assert!(e.contains("top level"), "{e}");
    }

    #[test]
    fn refuses_duplicates_and_garbage() {
        let e = err(&raw_tgz(&[
            ("c/f", EntryType::Regular, b"1", None),
            ("c/f", EntryType::Regular, b"2", None),
        ]));
        assert!(e.contains("more than once"), "{e}");
        assert!(err(b"not a tgz").contains("not a gzip"));
        assert!(err(&[0x1f, 0x8b, 0, 1, 2]).contains("test.tgz"));
        let e = err(&raw_tgz(&[]));
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn enforces_limits() {
        let many: Vec<(String, Vec<u8>)> = (0..20)
            .map(|i| (format!("f{i:02}"), b"x".to_vec()))
            .collect();
        let tgz = write_chart_tgz("c", &many).unwrap();
        let small = Limits {
            max_entries: 10,
            ..Limits::default()
        };
        let err = read_chart_tgz(&tgz, "o.tgz", &small).unwrap_err();
        assert_eq!(err.reason(), Some(Reason::LimitExceeded), "{err}");
        let e = err.to_string();
        assert!(e.contains("more than 10 entries"), "{e}");

        let big = vec![(String::from("big"), vec![0u8; 1 << 20])];
        let tgz = write_chart_tgz("c", &big).unwrap();
        let per_file = Limits {
            max_file_bytes: 1000,
            ..Limits::default()
        };
        let e = read_chart_tgz(&tgz, "o.tgz", &per_file)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"c/big\"") && e.contains("per file"), "{e}");

        let two = vec![
            (String::from("a"), vec![0u8; 600]),
            (String::from("b"), vec![0u8; 600]),
        ];
        let tgz = write_chart_tgz("c", &two).unwrap();
        let total = Limits {
            max_total_bytes: 1000,
            ..Limits::default()
        };
        let e = read_chart_tgz(&tgz, "o.tgz", &total)
            .unwrap_err()
            .to_string();
        assert!(e.contains("in all"), "{e}");
    }

    #[test]
    fn stream_cap_stops_header_bombs() {
        // A huge pax extension header is read by the tar library before we see an entry;
        // the decompressed-stream cap still stops it.
        let tiny = Limits {
            max_entries: 1,
            max_total_bytes: 0,
            max_file_bytes: 0,
        };
        let mut b = Builder::new(Vec::new());
        let pax = vec![b'a'; 1 << 20];
        let mut h = Header::new_ustar();
        h.set_entry_type(EntryType::XHeader);
        h.set_path("c/pax").unwrap();
        h.set_size(pax.len() as u64);
        h.set_cksum();
        b.append(&h, &pax[..]).unwrap();
        let tar = b.into_inner().unwrap();
        let mut gz = GzBuilder::new().write(Vec::new(), Compression::fast());
        gz.write_all(&tar).unwrap();
        let tgz = gz.finish().unwrap();
        let err = read_chart_tgz(&tgz, "bomb.tgz", &tiny).unwrap_err();
        assert_eq!(err.reason(), Some(Reason::LimitExceeded), "{err}");
        let e = err.to_string();
        assert!(e.contains("bomb.tgz") && e.contains("size limit"), "{e}");
    }

    #[test]
    fn one_budget_across_archives() {
        let a = write_chart_tgz("a", &files(&[("f", &"x".repeat(600))])).unwrap();
        let limits = Limits {
            max_total_bytes: 1000,
            ..Limits::default()
        };
        let mut budget = Budget::new(&limits);
        read_chart_tgz_within(&a, "a.tgz", &mut budget).unwrap();
        // Alone the second archive fits; after the first it does not.
        read_chart_tgz(&a, "b.tgz", &limits).unwrap();
        let err = read_chart_tgz_within(&a, "a.tgz/b.tgz", &mut budget).unwrap_err();
        assert_eq!(err.reason(), Some(Reason::LimitExceeded));
        assert_eq!(
            err.to_string(),
            "a.tgz/b.tgz: files in the archive exceed 1000 bytes in all (at entry \"a/f\") (counting the archives it is inside, which share the limit); refusing to read it"
        );
        let few = Limits {
            max_entries: 3,
            ..Limits::default()
        };
        let mut budget = Budget::new(&few);
        read_chart_tgz_within(&a, "a.tgz", &mut budget).unwrap();
        let err = read_chart_tgz_within(&a, "a.tgz/b.tgz", &mut budget).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.tgz/b.tgz: archive has more than 3 entries (counting the archives it is inside, which share the limit); refusing to read it"
        );
    }

    #[test]
    fn printable_escapes_what_a_terminal_would_act_on() {
        assert_eq!(printable("plain/näme.yaml"), "plain/näme.yaml");
        assert_eq!(
            printable("a\u{1b}]0;pwned\u{7}b\r\n\u{202e}c"),
            "a\\u{1b}]0;pwned\\u{7}b\\u{d}\\u{a}\\u{202e}c"
        );
    }
}
