//! The parameter types of the template functions as Go declares them, and Go's check of an
//! argument against one (text/template's `evalArg` and `validateType`), which runs before
//! every call: a value of another type stops the render with "wrong type for value;
//! expected string; got float64" at that argument (a number from the values given to
//! `upper`, `trunc`, `tpl`...), a constant of another kind with "expected integer; found
//! "a"". Functions not listed take `interface {}` everywhere, as Go's builtins do.
//!
//! The table is helm v4.3.1's: `scripts/helm-arg-types.py` asks helm the type of every
//! parameter of every function kpack knows and records it in
//! `tests/fixtures/gotmpl/arg-types.json`, which `tests/it/gotmpl.rs` replays against
//! kpack.
//!
//! kpack's values do not keep every Go type apart, so a few checks are looser than Go's: an
//! integer passes for an `int` parameter whether Go holds it as `int` or `int64` (helm
//! refuses an `int64`, as `--set` and sprig's arithmetic make them), a list for a
//! `[]interface {}` parameter whatever the type of its elements (helm refuses sprig's
//! `[]string` results), and a map for a map parameter (helm refuses `.Capabilities`).

use minijinja::value::{Value, ValueKind};

use crate::engine::funcs::crypto::Certificate;
use crate::engine::funcs::gotime::GoTime;
use crate::engine::funcs::value;
use crate::engine::objects::Files;

/// The Go type of a parameter, as far as the check tells types apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface {}`: anything.
    Any,
    String,
    Int,
    Uint32,
    Float64,
    Bool,
    /// `[]interface {}`.
    List,
    /// `map[string]interface {}`.
    Map,
    /// `time.Time`.
    Time,
    /// sprig's `certificate` (what `genCA` returns).
    Certificate,
}

impl Param {
    /// The type as Go prints it in its messages.
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::String => "string",
            Param::Int => "int",
            Param::Uint32 => "uint32",
            Param::Float64 => "float64",
            Param::Bool => "bool",
            Param::List => "[]interface {}",
            Param::Map => "map[string]interface {}",
            Param::Time => "time.Time",
            Param::Certificate => "sprig.certificate",
        }
    }

    /// Whether Go gives a parameter of this type its zero value for a missing value.
    fn can_be_nil(self) -> bool {
        matches!(self, Param::Any | Param::List | Param::Map)
    }

    /// Whether `v`, which is not nil, is of this type.
    fn holds(self, v: &Value) -> bool {
        match self {
            Param::Any => true,
            // A Go string may hold bytes that are not UTF-8 (a cut inside a character),
            // which kpack keeps as bytes.
            Param::String => matches!(v.kind(), ValueKind::String | ValueKind::Bytes),
            Param::Int => {
                v.kind() == ValueKind::Number && matches!(value::num(v), Some(value::Num::I(_)))
            }
            // No template value is a uint32: only a constant passes.
            Param::Uint32 => false,
            Param::Float64 => {
                v.kind() == ValueKind::Number && matches!(value::num(v), Some(value::Num::F(_)))
            }
            Param::Bool => v.kind() == ValueKind::Bool,
            Param::List => matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable),
            Param::Map => v.kind() == ValueKind::Map && !value::is::<Files>(v),
            Param::Time => value::is::<GoTime>(v),
            Param::Certificate => value::is::<Certificate>(v),
        }
    }
}

/// A function's parameters: the fixed ones, then the type of each variadic one (`None`:
/// not variadic).
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    pub fixed: &'static [Param],
    pub rest: Option<Param>,
}

/// Parameters enough for any untyped signature ([`Signature::untyped`]).
const ANY: [Param; 8] = [Param::Any; 8];

impl Signature {
    /// `fixed` parameters of `interface {}`, then as many more when `variadic`; `None` for
    /// more than eight.
    pub fn untyped(fixed: usize, variadic: bool) -> Option<Signature> {
        Some(Signature {
            fixed: ANY.get(..fixed)?,
            rest: variadic.then_some(Param::Any),
        })
    }

    /// Go's count check of a call to `name` with `explicit` arguments written and `n` in
    /// all (the piped value counted): "wrong number of args for trunc: want 2 got 1" (a
    /// variadic function counts only the arguments written, as Go does).
    pub fn count_error(&self, name: &str, explicit: usize, n: usize) -> Option<String> {
        let fixed = self.fixed.len();
        match self.rest {
            _ if self.takes(n) => None,
            Some(_) => Some(format!(
                "wrong number of args for {name}: want at least {fixed} got {explicit}"
            )),
            None => Some(format!(
                "wrong number of args for {name}: want {fixed} got {n}"
            )),
        }
    }

    /// Whether Go accepts `n` arguments (the piped value counted).
    pub fn takes(&self, n: usize) -> bool {
        match self.rest {
            None => n == self.fixed.len(),
            Some(_) => n >= self.fixed.len(),
        }
    }

    /// The type of argument `i` (the piped value is the last).
    pub fn param(&self, i: usize) -> Param {
        self.fixed
            .get(i)
            .copied()
            .or(self.rest)
            .unwrap_or(Param::Any)
    }
}

/// The signature of the function `name` when one of its parameters is not `interface {}`.
pub fn of(name: &str) -> Option<Signature> {
    use Param::*;
    let (fixed, rest): (&'static [Param], Option<Param>) = match name {
        "abbrev" | "indent" | "nindent" | "repeat" | "trunc" | "wrap" => (&[Int, String], None),
        "abbrevboth" | "substr" => (&[Int, Int, String], None),
        "adler32sum" | "atoi" | "b32dec" | "b32enc" | "b64dec" | "b64enc" | "base" | "bcrypt"
        | "camelcase" | "clean" | "dir" | "ext" | "fail" | "fromJson" | "fromJsonArray"
        | "fromToml" | "fromYaml" | "fromYamlArray" | "genPrivateKey" | "getHostByName"
        | "initials" | "isAbs" | "kebabcase" | "lower" | "mustFromJson" | "nospace" | "osBase"
        | "osClean" | "osDir" | "osExt" | "osIsAbs" | "regexQuoteMeta" | "semver" | "sha1sum"
        | "sha256sum" | "sha512sum" | "shuffle" | "snakecase" | "swapcase" | "title" | "trim"
        | "untitle" | "upper" | "urlParse" => (&[String], None),
        "buildCustomCert" | "contains" | "decryptAES" | "encryptAES" | "hasPrefix"
        | "hasSuffix" | "htpasswd" | "mustRegexFind" | "mustRegexMatch" | "mustToDate"
        | "regexFind" | "regexMatch" | "semverCompare" | "split" | "splitList" | "toDate"
        | "trimAll" | "trimPrefix" | "trimSuffix" | "trimall" => (&[String, String], None),
        "chunk" | "mustChunk" => (&[Int, Any], None),
        "date" | "include" | "join" | "kindIs" | "required" | "tpl" | "typeIs" | "typeIsLike" => {
            (&[String, Any], None)
        }
        "dateInZone" | "date_in_zone" => (&[String, Any, String], None),
        "dateModify" | "date_modify" | "mustDateModify" | "must_date_modify" => {
            (&[String, Time], None)
        }
        "derivePassword" => (&[Uint32, String, String, String, String], None),
        "genCA" => (&[String, Int], None),
        "genCAWithKey" | "splitn" => (&[String, Int, String], None),
        "genSelfSignedCert" => (&[String, List, List, Int], None),
        "genSelfSignedCertWithKey" => (&[String, List, List, Int, String], None),
        "genSignedCert" => (&[String, List, List, Int, Certificate], None),
        "genSignedCertWithKey" => (&[String, List, List, Int, Certificate, String], None),
        "get" | "hasKey" | "unset" => (&[Map, String], None),
        "htmlDateInZone" => (&[Any, String], None),
        "keys" => (&[], Some(Map)),
        "lookup" => (&[String, String, String, String], None),
        "merge" | "mergeOverwrite" | "mustMerge" | "mustMergeOverwrite" => (&[Map], Some(Map)),
        "mustRegexFindAll" | "mustRegexSplit" | "plural" | "regexFindAll" | "regexSplit" => {
            (&[String, String, Int], None)
        }
        "mustRegexReplaceAll"
        | "mustRegexReplaceAllLiteral"
        | "regexReplaceAll"
        | "regexReplaceAllLiteral"
        | "replace" => (&[String, String, String], None),
        "omit" | "pick" => (&[Map], Some(String)),
        "pluck" => (&[String], Some(Map)),
        "printf" => (&[String], Some(Any)),
        "randAlpha" | "randAlphaNum" | "randAscii" | "randBytes" | "randNumeric" | "until" => {
            (&[Int], None)
        }
        "randInt" => (&[Int, Int], None),
        "round" => (&[Any, Int], Some(Float64)),
        "seq" => (&[], Some(Int)),
        "set" => (&[Map, String, Any], None),
        "ternary" => (&[Any, Any, Bool], None),
        "unixEpoch" => (&[Time], None),
        "untilStep" => (&[Int, Int, Int], None),
        "urlJoin" | "values" => (&[Map], None),
        "wrapWith" => (&[Int, String, String], None),
        _ => return None,
    };
    Some(Signature { fixed, rest })
}

/// How a value that is nil reached the check, which decides Go's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nil {
    /// Read straight from a field or returned by a function: Go holds an `interface {}`
    /// that is nil, of the wrong type for any typed parameter.
    Interface,
    /// The result of a pipeline (a parenthesised argument, a variable it was stored in, the
    /// piped value): Go has unwrapped it to no value at all, which a list or map parameter
    /// takes as its zero value and any other refuses.
    Invalid,
}

/// Go's check of a value for a parameter: `None` when it passes, else the message.
pub fn check(param: Param, v: &Value, nil: Nil) -> Option<String> {
    if param == Param::Any {
        return None;
    }
    if value::is_nil(v) {
        return match nil {
            Nil::Invalid if param.can_be_nil() => None,
            Nil::Invalid => Some(format!("invalid value; expected {}", param.go_name())),
            Nil::Interface => Some(wrong_type(param, "interface {}")),
        };
    }
    if param.holds(v) {
        return None;
    }
    Some(wrong_type(param, value::type_of(v)))
}

fn wrong_type(param: Param, got: &str) -> String {
    format!(
        "wrong type for value; expected {}; got {got}",
        param.go_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variadic_parameters_take_the_type_of_their_elements() {
        let merge = of("merge").unwrap();
        assert!(!merge.takes(0) && merge.takes(1) && merge.takes(5));
        assert_eq!(merge.param(0), Param::Map);
        assert_eq!(merge.param(4), Param::Map);
        let trunc = of("trunc").unwrap();
        assert!(trunc.takes(2) && !trunc.takes(3));
        assert_eq!(
            (trunc.param(0), trunc.param(1)),
            (Param::Int, Param::String)
        );
        assert!(of("toYaml").is_none() && of("index").is_none());
        assert_eq!(
            trunc.count_error("trunc", 1, 1).unwrap(),
            "wrong number of args for trunc: want 2 got 1"
        );
        assert_eq!(
            merge.count_error("merge", 0, 0).unwrap(),
            "wrong number of args for merge: want at least 1 got 0"
        );
        assert_eq!(trunc.count_error("trunc", 1, 2), None);
    }

    #[test]
    fn every_signature_names_a_helper_with_a_matching_arity() {
        let table = crate::engine::funcs::go_helpers();
        let mut wrong = Vec::new();
        for h in &table {
            let Some(sig) = of(h.name) else { continue };
            let max = if sig.rest.is_some() {
                crate::engine::funcs::MANY
            } else {
                sig.fixed.len()
            };
            if (h.min, h.max) != (sig.fixed.len(), max) {
                wrong.push(format!(
                    "{}: table {}..{}, Go {}..{max}",
                    h.name,
                    h.min,
                    h.max,
                    sig.fixed.len()
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "arity differs from Go's:\n{}",
            wrong.join("\n")
        );
        assert_eq!(
            of("genSignedCert").unwrap().fixed,
            [
                Param::String,
                Param::List,
                Param::List,
                Param::Int,
                Param::Certificate
            ]
        );
        assert_eq!(of("pick").unwrap().rest, Some(Param::String));
        assert!(of("toString").is_none());
    }

    #[test]
    fn nil_is_refused_as_go_refuses_it() {
        let nil = Value::from(());
        assert_eq!(
            check(Param::String, &nil, Nil::Interface).unwrap(),
            "wrong type for value; expected string; got interface {}"
        );
        assert_eq!(
            check(Param::String, &nil, Nil::Invalid).unwrap(),
            "invalid value; expected string"
        );
        assert_eq!(check(Param::Map, &nil, Nil::Invalid), None);
        assert_eq!(
            check(Param::Int, &Value::from(1.5), Nil::Interface).unwrap(),
            "wrong type for value; expected int; got float64"
        );
        assert_eq!(check(Param::Int, &Value::from(3), Nil::Interface), None);
    }
}
