//! The sprig helpers as a Go template sees them: [`apply`] puts into the Go engine's table
//! ([`super::go_helpers`]) the Go-side variants of the helpers whose Go semantics differ from
//! what kpack's Jinja charts get (byte-wise string cuts, sprig's merge rules, Go's `uniq`
//! equality, text/template's comparisons...), each a thin wrapper over the same
//! implementation.
//! [`call_error`] turns a helper's error into the text Go prints after
//! `error calling NAME: `. (The helpers' Go parameter types, which Go's template engine
//! checks before a call, are the engine's: `engine::gotmpl::signature`.)

use minijinja::Error;

use super::{Helper, HelperFn, dates, dicts, encoding, lists, logic, math, strings};

/// The Go-side replacements: (name, implementation). Arity and filter position stay the
/// shared entry's.
const VARIANTS: &[(&str, HelperFn)] = &[
    // Go strings are bytes.
    ("trunc", strings::go_trunc),
    ("substr", strings::go_substr),
    ("abbrev", strings::go_abbrev),
    ("abbrevboth", strings::go_abbrevboth),
    ("nospace", strings::go_nospace),
    ("len", lists::go_len),
    ("index", lists::go_index),
    ("b64dec", encoding::go_b64dec),
    ("mustFromJson", encoding::go_must_from_json),
    // reflect.DeepEqual: 1 and 1.0 differ.
    ("uniq", lists::go_uniq),
    ("mustUniq", lists::go_uniq),
    ("without", lists::go_without),
    ("mustWithout", lists::go_without),
    ("has", lists::go_has),
    ("mustHas", lists::go_has),
    ("slice", lists::go_slice),
    ("mustSlice", lists::go_slice),
    // mergo's rules.
    ("merge", dicts::go_merge),
    ("mustMerge", dicts::go_merge),
    ("mergeOverwrite", dicts::go_merge_overwrite),
    ("mustMergeOverwrite", dicts::go_merge_overwrite),
    // No list expansion, no trimming of strings.
    ("max", math::go_max),
    ("biggest", math::go_max),
    ("min", math::go_min),
    ("int", math::go_int),
    ("int64", math::go_int),
    ("float64", math::go_float64),
    // Go's regexp errors; regexMatch is false for a bad pattern.
    ("regexMatch", strings::go_regex_match),
    ("mustRegexMatch", strings::go_regex_match),
    ("regexFind", strings::go_regex_find),
    ("mustRegexFind", strings::go_regex_find),
    ("regexFindAll", strings::go_regex_find_all),
    ("mustRegexFindAll", strings::go_regex_find_all),
    ("regexReplaceAll", strings::go_regex_replace_all),
    ("mustRegexReplaceAll", strings::go_regex_replace_all),
    (
        "regexReplaceAllLiteral",
        strings::go_regex_replace_all_literal,
    ),
    (
        "mustRegexReplaceAllLiteral",
        strings::go_regex_replace_all_literal,
    ),
    ("regexSplit", strings::go_regex_split),
    ("mustRegexSplit", strings::go_regex_split),
    // Times are values; a date argument that is not a time or Unix seconds means now.
    ("now", dates::go_now),
    ("date", dates::go_date),
    ("dateInZone", dates::go_date_in_zone),
    ("date_in_zone", dates::go_date_in_zone),
    // text/template's comparisons.
    ("eq", logic::go_eq_fn),
    ("ne", logic::go_ne),
    ("lt", logic::go_lt),
    ("le", logic::go_le),
    ("gt", logic::go_gt),
    ("ge", logic::go_ge),
    // A negative length is "".
    ("randAlphaNum", encoding::go_rand_alpha_num),
    ("randAlpha", encoding::go_rand_alpha),
    ("randNumeric", encoding::go_rand_numeric),
    ("randAscii", encoding::go_rand_ascii),
];

/// Give the Go engine's table ([`super::go_helpers`]) the Go-side variants of this module.
pub fn apply(table: &mut [Helper]) {
    for h in table {
        if let Some((_, f)) = VARIANTS.iter().find(|(name, _)| *name == h.name) {
            h.f = *f;
        }
    }
}

/// The message of a helper's error as Go's template engine words it after
/// `error calling NAME: ` (kpack's helpers prefix their messages with their name; `fail`
/// and `required` carry the chart's own message).
pub fn call_error(name: &str, err: &Error) -> String {
    let detail = err
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| err.to_string());
    match detail.strip_prefix(name).and_then(|r| r.strip_prefix(": ")) {
        Some(rest) => rest.to_string(),
        None => detail,
    }
}
