//! Loading charts: from a directory (honouring `.kpackignore`) or from a `.tgz` archive
//! (through `crate::archive`, which refuses unsafe entries). Both paths end in
//! [`from_files`], which sorts a flat list of files into a [`Chart`].
//!
//! A chart tree is bounded as a whole: subcharts nest at most [`MAX_DEPTH`] levels (the
//! error names the chain of charts), every archive of the tree spends one
//! [`archive::Budget`] (archives inside archives cannot multiply the decompression cap), and
//! loading is linear in the size of the tree (a file's path is copied once, at its own
//! level, however deep it sits).

use super::ignore::Ignore;
use super::{Chart, Data, File, Metadata};
use crate::{Error, Result, archive, yaml};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a chart argument may be, for "chart not found" errors.
pub const CHART_HINT: &str =
    "give a chart directory, a .tgz archive, REPO/CHART, a chart URL or an oci:// reference";

/// Load a chart from a directory or a `.tgz` archive on disk.
pub fn load(path: &Path) -> Result<Chart> {
    let meta = std::fs::metadata(path).map_err(|_| {
        Error::chart(format!(
            "chart not found: {}: no such directory or archive ({CHART_HINT})",
            path.display()
        ))
    })?;
    if meta.is_dir() {
        load_dir(path)
    } else {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path.display(), e))?;
        load_bytes(&bytes, &path.display().to_string())
    }
}

/// Load a chart from a directory (or take it from [`super::prefetch`], which loaded it
/// ahead of time).
pub fn load_dir(dir: &Path) -> Result<Chart> {
    if let Some(loaded) = super::prefetch::take(dir) {
        return loaded;
    }
    read_and_build(dir)
}

/// [`load_dir`] itself: read the directory now.
pub(super) fn read_and_build(dir: &Path) -> Result<Chart> {
    // Read straight into shared buffers: the chart keeps them without another copy.
    let files: Vec<(String, Data)> = read_dir_files(dir)?;
    from_files(files, &dir.display().to_string())
}

/// Load a chart from the bytes of a `.tgz` archive; `origin` names it in messages.
pub fn load_bytes(bytes: &[u8], origin: &str) -> Result<Chart> {
    let tree = Tree::new();
    let (_, files) = tree.read_tgz(bytes, origin)?;
    from_entries(Entry::all(files), origin, &tree, &[])
}

/// How deep subcharts may nest: the top chart is level 0, its subcharts level 1, and a
/// chart below level 20 is refused. Real umbrella charts nest a few levels; a tree deeper
/// than this is a chart that contains itself, or an attack on the loader.
pub const MAX_DEPTH: usize = 20;

/// What loading one chart tree shares across its charts (loaded at once, on every core).
struct Tree {
    /// The archive budget of the whole tree.
    budget: std::sync::Mutex<archive::Budget>,
}

impl Tree {
    fn new() -> Self {
        Tree {
            budget: std::sync::Mutex::new(archive::Budget::new(&archive::Limits::default())),
        }
    }

    /// Read an archive of the tree within its budget.
    fn read_tgz(&self, bytes: &[u8], origin: &str) -> Result<(String, archive::ChartFiles)> {
        let mut budget = self.budget.lock().unwrap_or_else(|e| e.into_inner());
        archive::read_chart_tgz_within(bytes, origin, &mut budget)
    }
}

/// A file of a chart tree: its path relative to some chart above, of which the part
/// from `at` on is relative to the chart being loaded. Passing a file down to a subchart
/// moves `at` instead of copying the path.
struct Entry<D> {
    path: String,
    at: usize,
    data: D,
}

impl<D> Entry<D> {
    fn all(files: Vec<(String, D)>) -> Vec<Entry<D>> {
        files
            .into_iter()
            .map(|(path, data)| Entry { path, at: 0, data })
            .collect()
    }

    /// The path relative to the chart being loaded.
    fn name(&self) -> &str {
        &self.path[self.at..]
    }

    /// [`Entry::name`] as an owned string (the path itself at the top level).
    fn into_name(self) -> (String, D) {
        let name = if self.at == 0 {
            self.path
        } else {
            self.path[self.at..].to_string()
        };
        (name, self.data)
    }
}

/// Every file of a chart directory that `.kpackignore` (or `.helmignore`) does not exclude,
/// as `(relative path, bytes)` sorted by path.
pub fn load_dir_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    read_dir_files(dir)
}

/// A file size past this is not trusted up front (a sparse file, a device): the data
/// decides, as it arrives.
const TRUSTED_SIZE: usize = 1 << 30;

/// Read from `file` until `buf` is full or the file ends; how many bytes were read.
fn fill(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut len = 0;
    while len < buf.len() {
        match std::io::Read::read(file, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(len)
}

/// File contents as a chart is built from: owned bytes (`Vec<u8>`, for files that are
/// edited before use) or shared contents ([`Data`], kept by the chart as they are).
pub trait Bytes: AsRef<[u8]> + From<Vec<u8>> + for<'a> From<&'a [u8]> + Into<Data> {
    /// A whole file: `head`, already read from it, and the rest of `file`, which says it
    /// holds `size` bytes in all (a size to start from: the file may change meanwhile).
    /// Read straight into memory of that size: a large file (a values.yaml, README or CRD
    /// of megabytes) is written to memory once, and kept as it was read ([`Data`] takes
    /// the bytes as text without a copy).
    fn read_rest(file: &mut std::fs::File, head: &[u8], size: usize) -> std::io::Result<Self> {
        let size = if size > TRUSTED_SIZE { 0 } else { size };
        let mut data = Vec::with_capacity(size.max(head.len()) + 1);
        data.extend_from_slice(head);
        std::io::Read::read_to_end(file, &mut data)?;
        Ok(data.into())
    }
}

impl Bytes for Vec<u8> {}

impl Bytes for Data {}

/// [`load_dir_files`], with the contents in whichever form the caller keeps.
fn read_dir_files<D: Bytes + Send>(dir: &Path) -> Result<Vec<(String, D)>> {
    if !dir.join("Chart.yaml").is_file() {
        return Err(Error::chart(format!(
            "{}: no Chart.yaml here; is this a chart directory? (`kpack create NAME` makes one)",
            dir.display()
        )));
    }
    let ignore = read_ignore_file(dir)?;
    let mut files = read_tree(dir, "", &ignore, 0)?;
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// The files under `dir` with their contents, as (path relative to the chart, bytes), in
/// no particular order. A directory's files are read while its subdirectories are walked,
/// on every core: listing a directory costs about what reading a file does, and a chart
/// is mostly directories of few files (its subcharts, `templates/`, `files/`), so walking
/// them all first and reading after left a core idle for the whole walk.
fn read_tree<D: Bytes + Send>(
    dir: &Path,
    prefix: &str,
    ignore: &Ignore,
    depth: usize,
) -> Result<Vec<(String, D)>> {
    let Listing { files, dirs } = list_dir(dir, prefix, ignore, depth)?;
    let read = |files: &[(String, PathBuf)]| {
        crate::parallel::map(files, &|(rel, path): &(String, PathBuf)| {
            let data = read_small_file(path).map_err(|e| Error::io(path.display(), e))?;
            Ok((rel.clone(), data))
        })
    };
    let walk = |dirs: &[Subdir]| {
        crate::parallel::map_each(dirs, &|d: &Subdir| {
            read_tree(&d.path, &d.rel, ignore, depth + 1)
        })
    };
    let (mut out, below) = match (files.is_empty(), dirs.is_empty()) {
        (_, true) => (read(&files)?, Vec::new()),
        (true, false) => (Vec::new(), walk(&dirs)?),
        (false, false) => {
            let (out, below) = crate::parallel::join(|| read(&files), || walk(&dirs));
            (out?, below?)
        }
    };
    for files in below {
        out.extend(files);
    }
    Ok(out)
}

/// A directory found by [`list_dir`]: where it is, and its path relative to the chart.
struct Subdir {
    path: PathBuf,
    rel: String,
}

/// What [`list_dir`] finds in a directory: each file as (path relative to the chart, path
/// to read it from), and the subdirectories.
struct Listing {
    files: Vec<(String, PathBuf)>,
    dirs: Vec<Subdir>,
}

/// The files and subdirectories of `dir` that the ignore rules keep. A name that is not
/// UTF-8 is made readable in the relative path, which then no longer leads to the file, so
/// files are read from the path the directory listing gave.
fn list_dir(dir: &Path, prefix: &str, ignore: &Ignore, depth: usize) -> Result<Listing> {
    if depth > 64 {
        return Err(Error::chart(format!(
            "{}: directories nested more than 64 levels deep (a symbolic link loop?)",
            dir.display()
        )));
    }
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir.display(), e))?;
        let file_name = entry.file_name();
        let name = file_name.to_string_lossy();
        let rel = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(entry.path().display(), e))?;
        let (is_dir, is_file) = if kind.is_symlink() {
            // Follow links, as Helm does; a dangling link is an error naming it.
            let path = entry.path();
            let meta = std::fs::metadata(&path).map_err(|e| {
                Error::chart(format!("{}: {e} (a broken symbolic link?)", path.display()))
            })?;
            (meta.is_dir(), meta.is_file())
        } else {
            (kind.is_dir(), kind.is_file())
        };
        if ignore.is_ignored(&rel, is_dir) {
            continue;
        }
        if is_dir {
            dirs.push(Subdir {
                path: entry.path(),
                rel,
            });
        } else if is_file {
            files.push((rel, entry.path()));
        }
    }
    Ok(Listing { files, dirs })
}

/// The bytes of a file, read without asking for its size first: chart files are small, so
/// one read into a reused buffer usually gets them whole (`std::fs::read` spends a
/// `statx` call per file on the size, which is a fifth of the cost of loading a chart of
/// thousands of templates).
fn read_small_file<D: Bytes>(path: &Path) -> std::io::Result<D> {
    thread_local! {
        static BUF: std::cell::RefCell<Box<[u8]>> = std::cell::RefCell::new(vec![0; 64 << 10].into());
    }
    let mut file = std::fs::File::open(path)?;
    BUF.with_borrow_mut(|buf| {
        let len = fill(&mut file, buf)?;
        if len < buf.len() {
            return Ok(D::from(&buf[..len]));
        }
        // Bigger than the buffer (a values.yaml, README or CRD of megabytes): now its
        // size is worth asking, so that the rest is read once into memory of the right
        // size (growing a buffer to fit, then copying it, touched three times the memory).
        let size = file.metadata().map_or(0, |m| m.len() as usize);
        D::read_rest(&mut file, &buf[..len], size)
    })
}

fn read_ignore_file(dir: &Path) -> Result<Ignore> {
    for name in [".kpackignore", ".helmignore"] {
        let p = dir.join(name);
        if p.is_file() {
            let text = std::fs::read_to_string(&p).map_err(|e| Error::io(p.display(), e))?;
            return Ok(Ignore::parse(&text));
        }
    }
    Ok(Ignore::empty())
}

/// Build a chart from its files (paths relative to the chart root). `origin` names the chart
/// in messages. Subcharts under `charts/` (directories or `.tgz` archives) are loaded too.
pub fn from_files<D: Bytes + Send + Sync>(files: Vec<(String, D)>, origin: &str) -> Result<Chart> {
    from_entries(Entry::all(files), origin, &Tree::new(), &[])
}

/// One chart of the tree from its files; `chain` names the charts above it. The chart's
/// schema, its own files and its subcharts are read at once, and errors come in the order
/// reading them one after the other gives: the schema's, then `Chart.yaml`'s, the
/// values', and the subcharts' in order.
fn from_entries<D: Bytes + Send + Sync>(
    files: Vec<Entry<D>>,
    origin: &str,
    tree: &Tree,
    chain: &[String],
) -> Result<Chart> {
    // A chart's own ignore file also applies inside archives and subchart directories.
    let ignore = files
        .iter()
        .find(|e| e.name() == ".kpackignore")
        .or_else(|| files.iter().find(|e| e.name() == ".helmignore"))
        .map(|e| Ignore::parse(&String::from_utf8_lossy(e.data.as_ref())))
        .unwrap_or_else(Ignore::empty);

    let mut metadata_src: Option<D> = None;
    let mut values_source = String::new();
    let mut has_values_file = false;
    let mut schema_src: Option<D> = None;
    let mut templates = Vec::new();
    let mut notes = None;
    let mut crds = Vec::new();
    let mut other = Vec::new();
    let mut readme = None;
    let mut sub_dirs: indexmap::IndexMap<String, Vec<Entry<D>>> = indexmap::IndexMap::new();
    let mut sub_archives = Vec::new();

    for entry in files {
        let name = entry.name();
        if ignore.is_ignored(name, false) {
            continue;
        }
        if let Some(rest) = name.strip_prefix("charts/") {
            match rest.split_once('/') {
                Some((dir, _)) => {
                    let at = entry.at + "charts/".len() + dir.len() + 1;
                    sub_dirs
                        .entry(dir.to_string())
                        .or_default()
                        .push(Entry { at, ..entry });
                }
                None if rest.ends_with(".tgz") || rest.ends_with(".tar.gz") => {
                    sub_archives.push(entry.into_name());
                }
                None => {
                    let (name, data) = entry.into_name();
                    other.push(File::new(name, data))
                }
            }
            continue;
        }
        let (name, data) = entry.into_name();
        match name.as_str() {
            "Chart.yaml" => metadata_src = Some(data),
            "values.yaml" => {
                has_values_file = true;
                values_source = std::str::from_utf8(data.as_ref())
                    .map_err(|_| {
                        Error::values(format!("{origin}/values.yaml: not valid UTF-8 text"))
                    })?
                    .to_owned()
            }
            "values.schema.json" => schema_src = Some(data),
            "templates/NOTES.txt" => notes = Some(File::new(name, data)),
            n if n.starts_with("templates/") => templates.push(File::new(name, data)),
            n if n.starts_with("crds/") => crds.push(File::new(name, data)),
            n => {
                let is_readme =
                    n.eq_ignore_ascii_case("README.md") || n.eq_ignore_ascii_case("README");
                let file = File::new(name, data);
                if is_readme {
                    readme = Some(file.clone());
                }
                other.push(file)
            }
        }
    }

    let parse_schema = || -> Result<Option<serde_json::Value>> {
        let Some(src) = &schema_src else {
            return Ok(None);
        };
        let v: serde_json::Value = serde_json::from_slice(src.as_ref()).map_err(|e| {
            Error::values(format!(
                "{origin}/values.schema.json:{}:{}: invalid JSON: {e}",
                e.line(),
                e.column()
            ))
        })?;
        crate::values::schema::prepare_meta_schema(&v);
        Ok(Some(v))
    };
    let rest = || -> Result<_> {
        let Some(meta_bytes) = metadata_src else {
            return Err(Error::chart(format!(
                "{origin}: no Chart.yaml; is this a chart? (`kpack create NAME` makes one)"
            )));
        };
        let meta_text = String::from_utf8_lossy(meta_bytes.as_ref());
        let metadata: Metadata = yaml::from_str(&meta_text)
            .map_err(|e| Error::chart(e.at(&format!("{origin}/Chart.yaml"))))?;
        metadata
            .validate(&format!("{origin}/Chart.yaml"))
            .map_err(Error::chart)?;
        let mut chain = chain.to_vec();
        chain.push(metadata.name.clone());
        if chain.len() > MAX_DEPTH + 1 {
            return Err(Error::chart(format!(
                "{origin}: subcharts nest more than {MAX_DEPTH} levels deep ({}); refusing to load the chart (does a chart contain itself?)",
                chain.join(" → ")
            ))
            .with_reason(crate::error::Reason::LimitExceeded));
        }
        let (values, subcharts) = crate::parallel::join(
            || {
                crate::values::sources::parse_values_text(
                    &values_source,
                    &format!("{origin}/values.yaml"),
                )
            },
            || subcharts(sub_dirs, sub_archives, origin, tree, &chain),
        );
        let values = values?;
        let mut subcharts = subcharts?;
        subcharts.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        Ok((metadata, values, subcharts))
    };
    let (schema, rest) = crate::parallel::join(parse_schema, rest);
    let schema = schema?;
    let (metadata, values, subcharts) = rest?;

    templates.sort_by(|a, b| a.name.cmp(&b.name));
    crds.sort_by(|a, b| a.name.cmp(&b.name));
    other.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Chart {
        metadata,
        values: values.into(),
        values_source: values_source.into(),
        has_values_file,
        schema: schema.map(Arc::new),
        templates,
        notes,
        crds,
        files: other,
        readme,
        subcharts,
        origin: origin.to_string(),
    })
}

/// The subcharts of a chart (directories under `charts/` holding a `Chart.yaml`, then
/// archives), loaded at once; the first error in that order.
fn subcharts<D: Bytes + Send + Sync>(
    dirs: indexmap::IndexMap<String, Vec<Entry<D>>>,
    archives: Vec<(String, D)>,
    origin: &str,
    tree: &Tree,
    chain: &[String],
) -> Result<Vec<Chart>> {
    // Directories under charts/ without a Chart.yaml are not charts (Helm skips them too).
    // Each directory's files, taken by the thread that loads it.
    type Slot<D> = std::sync::Mutex<Option<(String, Vec<Entry<D>>)>>;
    let dirs: Vec<Slot<D>> = dirs
        .into_iter()
        .filter(|(_, files)| files.iter().any(|e| e.name() == "Chart.yaml"))
        .map(|d| std::sync::Mutex::new(Some(d)))
        .collect();
    let mut out = crate::parallel::map_each(&dirs, &|d| {
        let (dir, files) = d
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("each subchart is loaded once");
        let sub_origin = format!("{origin}/charts/{}", archive::printable(&dir));
        from_entries(files, &sub_origin, tree, chain)
    })?;
    for (name, data) in archives {
        let sub_origin = format!("{origin}/{}", archive::printable(&name));
        let (_, files) = tree.read_tgz(data.as_ref(), &sub_origin)?;
        drop(data);
        out.push(from_entries(Entry::all(files), &sub_origin, tree, chain)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory holding only a minimal Chart.yaml.
    fn chart_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Chart.yaml"),
            "apiVersion: v2\nname: a\nversion: 1.0.0\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn reads_files_of_any_size_whole() {
        let dir = chart_dir();
        std::fs::create_dir(dir.path().join("files")).unwrap();
        // Empty, exactly one buffer, one byte over, and several buffers.
        let sizes = [0, 64 << 10, (64 << 10) + 1, 300_001];
        let content = |size: usize| -> Vec<u8> { (0..size).map(|n| (n % 251) as u8).collect() };
        for (i, size) in sizes.iter().enumerate() {
            std::fs::write(dir.path().join(format!("files/f{i}")), content(*size)).unwrap();
        }
        let files = load_dir_files(dir.path()).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["Chart.yaml", "files/f0", "files/f1", "files/f2", "files/f3"]
        );
        for (i, size) in sizes.iter().enumerate() {
            assert!(files[i + 1].1 == content(*size), "files/f{i}: {size} bytes");
        }
        // The same files as a chart keeps them (read straight into shared buffers).
        let shared: Vec<(String, Data)> = read_dir_files(dir.path()).unwrap();
        for (i, size) in sizes.iter().enumerate() {
            assert!(
                *shared[i + 1].1 == content(*size),
                "files/f{i}: {size} bytes"
            );
        }
    }

    #[test]
    fn a_file_that_changed_size_is_read_whole() {
        // `size` is what the file said before it was read; the bytes decide.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..200_000).map(|n| (n % 253) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let head = &data[..1000];
        for size in [0, 1000, 150_000, 200_000, 250_000, usize::MAX] {
            let mut file = std::fs::File::open(&path).unwrap();
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(1000)).unwrap();
            let got = <Data as Bytes>::read_rest(&mut file, head, size).unwrap();
            assert!(*got == data[..], "told {size} bytes");
            let mut file = std::fs::File::open(&path).unwrap();
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(1000)).unwrap();
            let got = <Vec<u8> as Bytes>::read_rest(&mut file, head, size).unwrap();
            assert!(got == data, "told {size} bytes");
        }
    }

    #[cfg(unix)]
    #[test]
    fn reads_files_whose_names_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let dir = chart_dir();
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
        std::fs::write(dir.path().join(name), "latin-1 name").unwrap();
        let sub = dir.path().join(std::ffi::OsStr::from_bytes(b"d\xe9"));
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("in.txt"), "inside").unwrap();
        let files = load_dir_files(dir.path()).unwrap();
        assert_eq!(
            files[2],
            ("d\u{fffd}/in.txt".to_string(), b"inside".to_vec())
        );
        assert_eq!(
            files[1],
            ("caf\u{fffd}.txt".to_string(), b"latin-1 name".to_vec())
        );
    }

    /// The names of a chart directory's files, as loaded.
    fn names(dir: &Path) -> Vec<String> {
        load_dir_files(dir)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn reads_a_tree_of_directories_in_path_order_minus_what_is_ignored() {
        let dir = chart_dir();
        let root = dir.path();
        // Enough files in one directory to be read on several threads, and directories
        // at several depths next to files.
        for d in [
            "templates",
            "charts/db/templates",
            "charts/db/charts/lib/templates",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
            for i in 0..40 {
                std::fs::write(root.join(format!("{d}/t{i:02}.yaml")), format!("{d} {i}")).unwrap();
            }
        }
        std::fs::write(root.join("charts/db/Chart.yaml"), "name: db").unwrap();
        std::fs::write(root.join("charts/db/notes.txt"), "db notes").unwrap();
        std::fs::create_dir_all(root.join("skipped/deeper")).unwrap();
        std::fs::write(root.join("skipped/deeper/x"), "no").unwrap();
        std::fs::write(root.join(".helmignore"), "skipped/\n*.txt\n").unwrap();
        let files = load_dir_files(root).unwrap();
        let mut want: Vec<String> = [".helmignore", "Chart.yaml", "charts/db/Chart.yaml"]
            .map(String::from)
            .into();
        for d in [
            "templates",
            "charts/db/templates",
            "charts/db/charts/lib/templates",
        ] {
            want.extend((0..40).map(|i| format!("{d}/t{i:02}.yaml")));
        }
        want.sort();
        let got: Vec<&String> = files.iter().map(|(n, _)| n).collect();
        assert_eq!(got, want.iter().collect::<Vec<_>>());
        for (name, data) in &files {
            if let Some((d, i)) = name.rsplit_once("/t") {
                let i: usize = i.trim_end_matches(".yaml").parse().unwrap();
                assert_eq!(*data, format!("{d} {i}").into_bytes(), "{name}");
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn follows_symbolic_links_and_names_a_broken_one() {
        let dir = chart_dir();
        let root = dir.path();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::create_dir(elsewhere.path().join("shared")).unwrap();
        std::fs::write(elsewhere.path().join("shared/a.tpl"), "a").unwrap();
        std::fs::write(elsewhere.path().join("b.yaml"), "b").unwrap();
        std::fs::create_dir(root.join("templates")).unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join("shared"),
            root.join("templates/shared"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            elsewhere.path().join("b.yaml"),
            root.join("templates/b.yaml"),
        )
        .unwrap();
        assert_eq!(
            names(root),
            ["Chart.yaml", "templates/b.yaml", "templates/shared/a.tpl"]
        );
        let gone = root.join("templates/gone.yaml");
        std::os::unix::fs::symlink(root.join("nowhere"), &gone).unwrap();
        let err = load_dir_files(root).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{}: ", gone.display()))
                && err.ends_with("(a broken symbolic link?)"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_that_links_to_itself_is_refused() {
        let dir = chart_dir();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::os::unix::fs::symlink("..", dir.path().join("templates/up")).unwrap();
        let err = load_dir_files(dir.path()).unwrap_err().to_string();
        assert!(
            err.ends_with("directories nested more than 64 levels deep (a symbolic link loop?)"),
            "{err}"
        );
    }
}
