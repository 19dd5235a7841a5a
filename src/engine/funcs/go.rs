//! The sprig helpers as a Go template sees them: [`apply`] puts into the Go engine's table
//! ([`super::go_helpers`]) the Go-side variants of the helpers whose Go semantics differ from
//! what kpack's Jinja charts get (byte-wise string cuts, sprig's merge rules, Go's `uniq`
//! equality, text/template's comparisons...), each a thin wrapper over the same
//! implementation.
//! [`call_error`] turns a helper's error into the text Go prints after
//! `error calling NAME: `, and [`signature`] gives each helper's Go parameter types, which Go's
//! template engine checks before the call.

use minijinja::Error;

use minijinja::Value;

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

/// The Go type name of a value as Go's messages print it (`float64`, `[]interface {}`,
/// `sprig.certificate`, `time.Time`...).
pub fn type_name(v: &Value) -> &'static str {
    if v.downcast_object_ref::<super::crypto::Certificate>()
        .is_some()
    {
        return "sprig.certificate";
    }
    if v.downcast_object_ref::<super::gotime::GoTime>().is_some() {
        return "time.Time";
    }
    if v.downcast_object_ref::<super::gotime::GoDuration>()
        .is_some()
    {
        return "time.Duration";
    }
    super::value::type_of(v)
}

/// Whether a value (not a template constant) fits a parameter without conversion; `Err`
/// carries Go's message (`wrong type for value; expected int; got float64`). kpack's one
/// integer type passes for `int`.
pub fn check_value(p: Param, v: &Value) -> Result<(), String> {
    use minijinja::value::ValueKind;
    let ok = match p {
        Param::Any => true,
        Param::Int | Param::Uint32 => {
            matches!(super::value::num(v), Some(super::value::Num::I(_)))
        }
        Param::Float64 => v.kind() == ValueKind::Number,
        // A Go string may hold bytes that are not UTF-8 (a cut inside a character).
        Param::Str => matches!(v.kind(), ValueKind::String | ValueKind::Bytes),
        Param::Bool => v.kind() == ValueKind::Bool,
        Param::List => {
            super::value::is_nil(v) || matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable)
        }
        Param::Map => super::value::is_nil(v) || v.kind() == ValueKind::Map,
        Param::Cert => v
            .downcast_object_ref::<super::crypto::Certificate>()
            .is_some(),
        Param::Time => v.downcast_object_ref::<super::gotime::GoTime>().is_some(),
    };
    if ok {
        return Ok(());
    }
    if super::value::is_nil(v) {
        return Err(format!("invalid value; expected {}", p.go_name()));
    }
    Err(format!(
        "wrong type for value; expected {}; got {}",
        p.go_name(),
        type_name(v)
    ))
}

/// The Go type of one helper parameter, as sprig and Helm declare it. Go's template engine
/// converts each argument to its parameter's type before the call and reports what does
/// not fit (`wrong type for value; expected int; got float64`, `expected string; found 5`);
/// the Go engine applies these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface{}`: anything.
    Any,
    /// `int` (a template integer constant or an `int` value).
    Int,
    /// `uint32` (derivePassword's counter).
    Uint32,
    /// `float64`.
    Float64,
    /// `string`.
    Str,
    /// `bool`.
    Bool,
    /// `[]interface{}`.
    List,
    /// `map[string]interface{}`.
    Map,
    /// sprig's `certificate` struct (from `genCA`).
    Cert,
    /// `time.Time`.
    Time,
}

impl Param {
    /// The Go type name, as Go's messages print it.
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Int => "int",
            Param::Uint32 => "uint32",
            Param::Float64 => "float64",
            Param::Str => "string",
            Param::Bool => "bool",
            Param::List => "[]interface {}",
            Param::Map => "map[string]interface {}",
            Param::Cert => "sprig.certificate",
            Param::Time => "time.Time",
        }
    }
}

/// A helper's Go parameter list: fixed parameters, then an optional variadic one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub params: Vec<Param>,
    pub variadic: Option<Param>,
}

/// The Go signatures of the helpers whose parameters are not all `interface{}` (sprig v3.3
/// and Helm v4), written as parameter lists; `...T` is variadic.
const SIGNATURES: &[(&str, &str)] = &[
    ("abbrev", "int string"),
    ("abbrevboth", "int int string"),
    ("trunc", "int string"),
    ("trim", "string"),
    ("upper", "string"),
    ("lower", "string"),
    ("title", "string"),
    ("untitle", "string"),
    ("substr", "int int string"),
    ("repeat", "int string"),
    ("trimall", "string string"),
    ("trimAll", "string string"),
    ("trimSuffix", "string string"),
    ("trimPrefix", "string string"),
    ("nospace", "string"),
    ("initials", "string"),
    ("randAlphaNum", "int"),
    ("randAlpha", "int"),
    ("randAscii", "int"),
    ("randNumeric", "int"),
    ("randBytes", "int"),
    ("randInt", "int int"),
    ("swapcase", "string"),
    ("shuffle", "string"),
    ("snakecase", "string"),
    ("camelcase", "string"),
    ("kebabcase", "string"),
    ("wrap", "int string"),
    ("wrapWith", "int string string"),
    ("contains", "string string"),
    ("hasPrefix", "string string"),
    ("hasSuffix", "string string"),
    ("indent", "int string"),
    ("nindent", "int string"),
    ("replace", "string string string"),
    ("plural", "string string int"),
    ("sha1sum", "string"),
    ("sha256sum", "string"),
    ("sha512sum", "string"),
    ("adler32sum", "string"),
    ("atoi", "string"),
    ("seq", "...int"),
    ("split", "string string"),
    ("splitList", "string string"),
    ("splitn", "string int string"),
    ("until", "int"),
    ("untilStep", "int int int"),
    ("round", "any int ...float64"),
    ("join", "string any"),
    ("ternary", "any any bool"),
    ("fromJson", "string"),
    ("mustFromJson", "string"),
    ("fromJsonArray", "string"),
    ("fromYaml", "string"),
    ("fromYamlArray", "string"),
    ("fromToml", "string"),
    ("typeIs", "string any"),
    ("typeIsLike", "string any"),
    ("kindIs", "string any"),
    ("getHostByName", "string"),
    ("base", "string"),
    ("dir", "string"),
    ("clean", "string"),
    ("ext", "string"),
    ("isAbs", "string"),
    ("osBase", "string"),
    ("osDir", "string"),
    ("osClean", "string"),
    ("osExt", "string"),
    ("osIsAbs", "string"),
    ("b64enc", "string"),
    ("b64dec", "string"),
    ("b32enc", "string"),
    ("b32dec", "string"),
    ("get", "map string"),
    ("set", "map string any"),
    ("unset", "map string"),
    ("hasKey", "map string"),
    ("pluck", "string ...map"),
    ("keys", "...map"),
    ("pick", "map ...string"),
    ("omit", "map ...string"),
    ("merge", "map ...map"),
    ("mustMerge", "map ...map"),
    ("mergeOverwrite", "map ...map"),
    ("mustMergeOverwrite", "map ...map"),
    ("values", "map"),
    ("chunk", "int any"),
    ("mustChunk", "int any"),
    ("bcrypt", "string"),
    ("htpasswd", "string string"),
    ("genPrivateKey", "string"),
    ("derivePassword", "uint32 string string string string"),
    ("buildCustomCert", "string string"),
    ("genCA", "string int"),
    ("genCAWithKey", "string int string"),
    ("genSelfSignedCert", "string list list int"),
    ("genSelfSignedCertWithKey", "string list list int string"),
    ("genSignedCert", "string list list int cert"),
    ("genSignedCertWithKey", "string list list int cert string"),
    ("encryptAES", "string string"),
    ("decryptAES", "string string"),
    ("semver", "string"),
    ("semverCompare", "string string"),
    ("fail", "string"),
    ("required", "string any"),
    ("include", "string any"),
    ("tpl", "string any"),
    ("lookup", "string string string string"),
    ("regexMatch", "string string"),
    ("mustRegexMatch", "string string"),
    ("regexFindAll", "string string int"),
    ("mustRegexFindAll", "string string int"),
    ("regexFind", "string string"),
    ("mustRegexFind", "string string"),
    ("regexReplaceAll", "string string string"),
    ("mustRegexReplaceAll", "string string string"),
    ("regexReplaceAllLiteral", "string string string"),
    ("mustRegexReplaceAllLiteral", "string string string"),
    ("regexSplit", "string string int"),
    ("mustRegexSplit", "string string int"),
    ("regexQuoteMeta", "string"),
    ("urlParse", "string"),
    ("urlJoin", "map"),
    ("date", "string any"),
    ("dateInZone", "string any string"),
    ("date_in_zone", "string any string"),
    ("dateModify", "string time"),
    ("date_modify", "string time"),
    ("mustDateModify", "string time"),
    ("must_date_modify", "string time"),
    ("htmlDateInZone", "any string"),
    ("toDate", "string string"),
    ("mustToDate", "string string"),
    ("unixEpoch", "time"),
];

fn param(word: &str) -> Param {
    match word {
        "int" => Param::Int,
        "uint32" => Param::Uint32,
        "float64" => Param::Float64,
        "string" => Param::Str,
        "bool" => Param::Bool,
        "list" => Param::List,
        "map" => Param::Map,
        "cert" => Param::Cert,
        "time" => Param::Time,
        _ => Param::Any,
    }
}

/// The Go signature of a helper, `None` when every parameter is `interface{}` (or the
/// helper is unknown).
pub fn signature(name: &str) -> Option<Signature> {
    let (_, spec) = SIGNATURES.iter().find(|(n, _)| *n == name)?;
    let mut sig = Signature {
        params: Vec::new(),
        variadic: None,
    };
    for word in spec.split_whitespace() {
        match word.strip_prefix("...") {
            Some(v) => sig.variadic = Some(param(v)),
            None => sig.params.push(param(word)),
        }
    }
    Some(sig)
}

#[cfg(test)]
mod tests {
    use super::super::MANY;
    use super::*;

    #[test]
    fn every_signature_names_a_helper_with_a_matching_arity() {
        let table = super::super::go_helpers();
        let mut wrong = Vec::new();
        for (name, _) in SIGNATURES {
            if matches!(
                *name,
                "include"
                    | "tpl"
                    | "fromYaml"
                    | "fromYamlArray"
                    | "fromToml"
                    | "fromJsonArray"
                    | "fromJson"
            ) {
                continue;
            }
            let h = table
                .iter()
                .find(|h| h.name == *name)
                .unwrap_or_else(|| panic!("{name} has a signature but no helper"));
            let sig = signature(name).unwrap();
            let max = if sig.variadic.is_some() {
                MANY
            } else {
                sig.params.len()
            };
            if (h.min, h.max) != (sig.params.len(), max) {
                wrong.push(format!(
                    "{name}: table {}..{}, Go {}..{max}",
                    h.min,
                    h.max,
                    sig.params.len()
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "arity differs from Go's:\n{}",
            wrong.join("\n")
        );
        assert_eq!(
            signature("genSignedCert").unwrap().params,
            [
                Param::Str,
                Param::List,
                Param::List,
                Param::Int,
                Param::Cert
            ]
        );
        assert_eq!(signature("pick").unwrap().variadic, Some(Param::Str));
        assert!(signature("toString").is_none());
    }
}
