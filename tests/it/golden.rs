//! Golden tests: run the real `kpack` binary with each case's arguments and compare what
//! it prints (stdout, and for failing cases the exit code and stderr) with
//! `golden/<case>.txt`. Regenerate after an intended change with
//! `KPACK_UPDATE_GOLDEN=1 cargo test --test it` and review the diff with `git diff golden/`.

use crate::support;

use support::golden::{Case, check_cases};

const CASES: &[Case] = &[
    Case::ok(
        "umbrella-defaults",
        &["template", "rel", "tests/fixtures/umbrella"],
    ),
    Case::ok(
        "umbrella-replica-no-backend",
        &[
            "template",
            "rel",
            "tests/fixtures/umbrella",
            "--set",
            "replica.enabled=true,tags.backend=false",
        ],
    ),
    Case::ok(
        "umbrella-condition-from-global",
        &[
            "template",
            "rel",
            "tests/fixtures/umbrella",
            "--set",
            "replica.enabled=null,global.replicas=true",
        ],
    ),
    Case::ok(
        "umbrella-show-only",
        &[
            "template",
            "rel",
            "tests/fixtures/umbrella",
            "-s",
            "charts/primary/templates/service.yaml",
            "-n",
            "data",
        ],
    ),
    // Patterns as Helm's `filepath.Match` reads them: `*` stays within one directory.
    Case::ok(
        "umbrella-show-only-pattern",
        &[
            "template",
            "rel",
            "tests/fixtures/umbrella",
            "-s",
            "charts/*/templates/*.yaml",
        ],
    ),
    Case::ok(
        "umbrella-json",
        &[
            "template",
            "rel",
            "tests/fixtures/umbrella",
            "-o",
            "json",
            "--set",
            "tags.backend=false",
        ],
    ),
    // Hooks print after the objects; Helm's --skip-tests and --no-hooks leave them out.
    Case::ok("hooks", &["template", "h", "tests/fixtures/hooks"]),
    Case::ok(
        "hooks-skip-tests",
        &["template", "h", "tests/fixtures/hooks", "--skip-tests"],
    ),
    Case::ok(
        "hooks-no-hooks",
        &["template", "h", "tests/fixtures/hooks", "--no-hooks"],
    ),
    Case::ok(
        "hooks-skip-tests-json",
        &[
            "template",
            "h",
            "tests/fixtures/hooks",
            "--skip-tests",
            "-o",
            "json",
        ],
    ),
    Case::ok("types", &["template", "t", "tests/fixtures/types"]),
    Case::ok(
        "layering",
        &[
            "template",
            "v",
            "tests/fixtures/layering",
            "-f",
            "tests/fixtures/layering/one.yaml",
            "-f",
            "tests/fixtures/layering/two.yaml",
            "--set-json",
            "d={\"json\":[1,2]}",
            "--set",
            "d=set,e=set,nested.z=7,list[2]=x",
            "--set-string",
            "e=123,f=true",
            "--set-file",
            "file=tests/fixtures/layering/content.txt",
            "--set-literal",
            "literal=a,b=c.d",
        ],
    ),
    Case::fail(
        "error-missing-chart",
        &["template", "x", "tests/fixtures/nope"],
    ),
    Case::fail(
        "error-bad-set",
        &["template", "x", "tests/fixtures/types", "--set", "a.b[x=1"],
    ),
    Case::fail(
        "error-template-syntax",
        &["template", "x", "tests/fixtures/errors/syntax"],
    ),
    Case::fail(
        "error-required",
        &["template", "x", "tests/fixtures/errors/required"],
    ),
    Case::fail(
        "error-go-template-syntax",
        &["template", "x", "tests/fixtures/errors/gotemplate"],
    ),
    Case::fail(
        "error-undefined-in-define",
        &["template", "x", "tests/fixtures/errors/undefined"],
    ),
    Case::fail(
        "error-schema",
        &[
            "template",
            "x",
            "tests/fixtures/schema",
            "--set",
            "replicas=-1,image.tag=5,image.extra=1,sub.port=70000,bogus=1",
        ],
    ),
    Case::ok(
        "schema-skipped",
        &[
            "template",
            "x",
            "tests/fixtures/schema",
            "--set",
            "replicas=-1",
            "--skip-schema-validation",
        ],
    ),
    Case::fail(
        "error-bad-set-json",
        &[
            "template",
            "x",
            "tests/fixtures/types",
            "--set-json",
            "a={\"b\":}",
        ],
    ),
    Case::fail(
        "error-kube-version",
        &[
            "template",
            "x",
            "tests/fixtures/types",
            "--kube-version",
            "one.two",
        ],
    ),
    Case::fail(
        "error-show-only",
        &[
            "template",
            "x",
            "tests/fixtures/types",
            "-s",
            "templates/nope.yaml",
        ],
    ),
    Case::fail(
        "error-show-only-star-stays-in-a-directory",
        &[
            "template",
            "rel",
            "tests/fixtures/umbrella",
            "-s",
            "charts/*",
        ],
    ),
    Case::fail(
        "error-values-file-missing",
        &[
            "template",
            "x",
            "tests/fixtures/types",
            "-f",
            "tests/fixtures/none.yaml",
        ],
    ),
    Case::fail(
        "error-values-file-yaml",
        &[
            "template",
            "x",
            "tests/fixtures/types",
            "-f",
            "tests/fixtures/bad-values.yaml",
        ],
    ),
];

#[test]
fn golden_outputs() {
    check_cases(CASES);
}
