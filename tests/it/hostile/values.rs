//! Item 6: `--set` memory. `a[65536]=x` makes a list of 65,537 elements (as Helm); an
//! argument, or many flags, full of them made kpack allocate until the OOM killer came.
//! The `--set` flags of one command now create at most `MAX_LIST_ELEMENTS` list elements
//! in all; past that, the argument is refused and the values are left as they were.

use kpack::error::{Kind, Reason};
use kpack::values::set::{self, Budget, MAX_INDEX, MAX_LIST_ELEMENTS, SetKind};

use super::{plain_chart, run_in, tree};

#[test]
fn one_argument_cannot_create_more_than_the_limit() {
    // The argument of the report: 44 KB of `aN[65536]=x`, each a list of 65,537 nulls.
    let arg: String = (0..3300)
        .map(|i| format!("a{i}[65536]=x"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(arg.len() > 44_000);
    let mut dest = serde_json::json!({"keep": {"me": [1, 2]}})
        .as_object()
        .unwrap()
        .clone();
    let before = dest.clone();
    let err = set::apply(&mut dest, &arg, SetKind::Auto).unwrap_err();
    assert_eq!(err.kind(), Kind::Values);
    assert_eq!(err.reason(), Some(Reason::LimitExceeded));
    assert_eq!(
        err.to_string(),
        format!(
            "invalid --set argument \"{}…\": its list indexes would create {} list elements, over the limit of {MAX_LIST_ELEMENTS} for all --set flags of a command; set long lists with a values file (-f) instead",
            &arg[..100],
            3300 * (MAX_INDEX + 1)
        )
    );
    assert_eq!(dest, before, "a refused argument changes nothing");
    // Sixteen of the largest lists fit; the count is per list, not per assignment.
    let sixteen: Vec<String> = (0..16).map(|i| format!("l{i}[65536]=x")).collect();
    let mut dest = serde_json::Map::new();
    set::apply(&mut dest, &sixteen.join(","), SetKind::Auto).unwrap();
    let many_of_one: Vec<String> = (0..2000).map(|i| format!("a[{i}]={i}")).collect();
    set::apply(&mut dest, &many_of_one.join(","), SetKind::String).unwrap();
    assert_eq!(dest["a"].as_array().unwrap().len(), 2000);
}

#[test]
fn all_set_flags_of_a_command_share_the_limit() {
    let mut budget = Budget::default();
    let mut dest = serde_json::Map::new();
    for i in 0..16 {
        set::apply_within(
            &mut dest,
            &format!("l{i}[65536]=x"),
            SetKind::Auto,
            &mut budget,
        )
        .unwrap();
    }
    let before = dest.clone();
    let err = set::apply_within(&mut dest, "m[0]=1", SetKind::Json, &mut budget).unwrap_err();
    assert_eq!(err.reason(), Some(Reason::LimitExceeded));
    assert_eq!(
        err.to_string(),
        format!(
            "invalid --set-json argument \"m[0]=1\": its list indexes would create 1 list element (the arguments before it created {MAX_LIST_ELEMENTS}), over the limit of {MAX_LIST_ELEMENTS} for all --set flags of a command; set long lists with a values file (-f) instead"
        )
    );
    assert_eq!(dest, before);
}

#[test]
fn the_command_line_reports_the_limit_and_renders_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    plain_chart(tmp.path(), "web");
    let mut args = vec!["template", "rel", "web", "--output-dir", "od"];
    let sets: Vec<String> = (0..17).map(|i| format!("l{i}[65536]=x")).collect();
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    let before = tree(tmp.path());
    let (ok, out, err) = run_in(tmp.path(), &args);
    assert!(!ok, "{out}");
    assert_eq!(
        err,
        format!(
            "Error: invalid --set argument \"l16[65536]=x\": its list indexes would create 65537 list elements (the arguments before it created {MAX_LIST_ELEMENTS}), over the limit of {MAX_LIST_ELEMENTS} for all --set flags of a command; set long lists with a values file (-f) instead\n"
        )
    );
    assert_eq!(tree(tmp.path()), before);
}
