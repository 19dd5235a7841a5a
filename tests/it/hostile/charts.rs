//! Items 3 and 4: chart trees. Subcharts nest at most `MAX_DEPTH` levels, with an error
//! naming the chain; loading stays linear however deep the files sit; and every archive of
//! a tree (archives inside archives included) spends one decompression budget.

use kpack::archive;
use kpack::chart::load::{MAX_DEPTH, load_bytes};
use kpack::error::{Kind, Reason};

fn chart_yaml(name: &str) -> Vec<u8> {
    format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n").into_bytes()
}

/// One archive whose chart `top` holds `depth` subcharts, each inside the one before, as
/// directories (`charts/a/charts/a/...`).
fn nested_dirs(depth: usize) -> Vec<u8> {
    let mut files = vec![("Chart.yaml".to_string(), chart_yaml("top"))];
    let mut prefix = String::new();
    for _ in 0..depth {
        prefix.push_str("charts/a/");
        files.push((format!("{prefix}Chart.yaml"), chart_yaml("a")));
    }
    raw_tgz("top", &files)
}

/// A chart archive whose `charts/` holds the next level as an archive, `depth` times; each
/// level also holds `filler` bytes of zeros (which compress to almost nothing).
fn nested_archives(depth: usize, filler: usize) -> Vec<u8> {
    let mut inner: Option<Vec<u8>> = None;
    for level in (0..=depth).rev() {
        let name = format!("c{level}");
        let mut files = vec![("Chart.yaml".to_string(), chart_yaml(&name))];
        if filler > 0 {
            files.push(("files/zeros".to_string(), vec![0u8; filler]));
        }
        if let Some(sub) = inner.take() {
            files.push((format!("charts/c{}-0.1.0.tgz", level + 1), sub));
        }
        inner = Some(archive::write_chart_tgz(&name, &files).unwrap());
    }
    inner.unwrap()
}

#[test]
fn subcharts_nested_2000_deep_stop_at_the_limit_naming_the_chain() {
    let tgz = nested_dirs(2000);
    // Compressed fast (the 75 KB archive used the best compression).
    assert!(tgz.len() < 300 * 1024, "{} bytes", tgz.len());
    let err = load_bytes(&tgz, "deep.tgz").unwrap_err();
    assert_eq!(err.kind(), Kind::Chart);
    assert_eq!(err.reason(), Some(Reason::LimitExceeded));
    let origin = format!("deep.tgz{}", "/charts/a".repeat(MAX_DEPTH + 1));
    let chain = format!("top{}", " → a".repeat(MAX_DEPTH + 1));
    assert_eq!(
        err.to_string(),
        format!(
            "{origin}: subcharts nest more than {MAX_DEPTH} levels deep ({chain}); refusing to load the chart (does a chart contain itself?)"
        )
    );
    // Before: 1,000 levels took 14 s and 3.6 GB; 2,000 overflowed the stack and aborted.
}

#[test]
fn archives_inside_archives_stop_at_the_limit_too() {
    let err = load_bytes(&nested_archives(MAX_DEPTH + 5, 0), "deep.tgz").unwrap_err();
    assert_eq!(err.reason(), Some(Reason::LimitExceeded));
    let mut origin = "deep.tgz".to_string();
    let mut chain = "c0".to_string();
    for level in 1..=MAX_DEPTH + 1 {
        origin.push_str(&format!("/charts/c{level}-0.1.0.tgz"));
        chain.push_str(&format!(" → c{level}"));
    }
    assert_eq!(
        err.to_string(),
        format!(
            "{origin}: subcharts nest more than {MAX_DEPTH} levels deep ({chain}); refusing to load the chart (does a chart contain itself?)"
        )
    );
}

#[test]
fn the_deepest_tree_allowed_loads() {
    let chart = load_bytes(&nested_dirs(MAX_DEPTH), "ok.tgz").unwrap();
    let mut depth = 0;
    let mut c = &chart;
    while let [sub] = c.subcharts.as_slice() {
        depth += 1;
        c = sub;
    }
    assert_eq!(depth, MAX_DEPTH);
    let chart = load_bytes(&nested_archives(MAX_DEPTH, 0), "ok.tgz").unwrap();
    assert_eq!(chart.subcharts[0].metadata.name, "c1");
}

/// Twelve nested archives of 10 MiB each: 120 MiB decompressed from an archive of a few
/// hundred kilobytes. Each one alone is under the 100 MiB cap; together they are not.
#[test]
fn nested_archives_share_one_decompression_budget() {
    let tgz = nested_archives(11, 10 << 20);
    assert!(tgz.len() < 1 << 20, "{} bytes", tgz.len());
    let err = load_bytes(&tgz, "bomb.tgz").unwrap_err();
    assert_eq!(err.kind(), Kind::Chart);
    assert_eq!(err.reason(), Some(Reason::LimitExceeded));
    // Levels 0..=8 fit (90 MiB plus the inner archives' own bytes); level 9's files do not.
    let mut origin = "bomb.tgz".to_string();
    for level in 1..=9 {
        origin.push_str(&format!("/charts/c{level}-0.1.0.tgz"));
    }
    assert_eq!(
        err.to_string(),
        format!(
            "{origin}: files in the archive exceed 104857600 bytes in all (at entry \"c9/files/zeros\") (counting the archives it is inside, which share the limit); refusing to read it"
        )
    );
    // The same files in one tree of directories are the same 120 MiB: refused as well.
    let mut files = Vec::new();
    let mut prefix = String::new();
    for level in 0..12 {
        files.push((
            format!("{prefix}Chart.yaml"),
            chart_yaml(&format!("c{level}")),
        ));
        files.push((format!("{prefix}files/zeros"), vec![0u8; 10 << 20]));
        prefix.push_str(&format!("charts/c{}/", level + 1));
    }
    let tgz = raw_tgz("c0", &files);
    let err = load_bytes(&tgz, "flat.tgz").unwrap_err();
    assert_eq!(err.reason(), Some(Reason::LimitExceeded));
    // The eleventh file of 10 MiB (with the Chart.yaml files, the tenth) is one too many.
    assert_eq!(
        err.to_string(),
        "flat.tgz: files in the archive exceed 104857600 bytes in all (at entry \"c0/charts/c1/charts/c2/charts/c3/charts/c4/charts/c5/charts/c6/charts/c7/charts/c8/charts/c9/files/zeros\"); refusing to read it"
    );
}

/// A .tgz of these files under `top/`, without directory entries (as an attacker would
/// write it), compressed fast (`archive::write_chart_tgz` takes minutes for these).
fn raw_tgz(top: &str, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, format!("{top}/{p}"), &data[..])
            .unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}
