//! The template helpers chart authors know from Helm (its builtins plus sprig), registered
//! on a minijinja environment by [`register`]. `include`, `tpl` and the output formatter are
//! the engine's; everything else lives here, one submodule per family. The reference for
//! chart authors is `docs/helpers.md`.
//!
//! Every helper is a **function with Helm's argument order** (`trimSuffix("-", name)`), and,
//! when it has a subject, also a **filter** whose subject is the piped value. For most
//! helpers the subject is the last argument, exactly like a Helm pipeline
//! (`name | trimSuffix("-")` is `trimSuffix("-", name)`). A few helpers whose Helm pipeline
//! form would be a type error take the piped value where it makes sense instead: the map or
//! list for `set`, `unset`, `hasKey`, `get`, `pick`, `omit`, `append`, `prepend`, `without`,
//! `index`, `slice` and the number for `round` (first argument), and the string for
//! `regexFindAll`, `regexReplaceAll`, `regexReplaceAllLiteral`, `regexSplit` and the time for
//! `dateInZone` (second argument).
//! The table in [`helpers`] is the single source of truth for names, arities and subject
//! positions; `docs/helpers.md` documents each entry and `tests/it/helpers.rs` checks both.

pub mod crypto;
pub mod dates;
mod dicts;
pub mod dns;
mod encoding;
pub mod go;
pub mod gojson;
pub mod gotime;
mod gotoml;
mod lists;
mod logic;
mod math;
pub mod printf;
pub mod semver;
mod strings;
pub mod value;
mod x509;

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};

pub use value::{Dict, Speculation, value_from_json, value_from_json_ints, value_to_json};

/// Where the piped value goes in a filter call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Function only; no filter form.
    None,
    /// The piped value is the last argument (Helm's pipeline rule).
    Last,
    /// The piped value is the first argument (the map or list being changed).
    First,
    /// The piped value is the second argument (the string of the regex helpers).
    Second,
}

/// The signature every helper implements: Helm-ordered arguments in, a value out.
pub type HelperFn = fn(&Args) -> Result<Value, Error>;

/// One entry of the helper table.
#[derive(Clone, Copy)]
pub struct Helper {
    /// The template name.
    pub name: &'static str,
    /// Fewest arguments accepted.
    pub min: usize,
    /// Most arguments accepted ([`MANY`] for variadic helpers).
    pub max: usize,
    /// Where the piped value goes in the filter form.
    pub subject: Subject,
    /// The implementation.
    pub f: HelperFn,
}

/// `max` of a variadic helper.
pub const MANY: usize = usize::MAX;

/// The longest string a helper builds (`repeat`, `indent`, `printf` widths) and a
/// template's output may reach: what is longer is a mistake, refused rather than
/// exhausting memory.
pub const MAX_STRING: usize = 256 << 20;

static UNDEFINED: Value = Value::UNDEFINED;

/// The arguments of one helper call, in Helm order, with the helper's name for messages.
pub struct Args<'a> {
    /// Helper name, used to prefix error messages.
    pub name: &'static str,
    /// The arguments.
    pub vals: &'a [Value],
}

impl<'a> Args<'a> {
    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.vals.len()
    }

    /// `true` when the call has no arguments.
    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }

    /// Argument `i`, or undefined when absent.
    pub fn get(&self, i: usize) -> &'a Value {
        self.vals.get(i).unwrap_or(&UNDEFINED)
    }

    /// The last argument (undefined when there are none).
    pub fn last(&self) -> &'a Value {
        self.vals.last().unwrap_or(&UNDEFINED)
    }

    /// Argument `i` as a string (nil is `""`, other values print as Go's `%v`).
    pub fn str(&self, i: usize) -> String {
        value::str_arg(self.get(i))
    }

    /// [`Args::str`], borrowing a string argument instead of copying it.
    pub fn text(&self, i: usize) -> std::borrow::Cow<'a, str> {
        value::str_ref(self.get(i))
    }

    /// Argument `i` as an integer: integers, whole floats and integer strings are accepted.
    pub fn int(&self, i: usize) -> Result<i64, Error> {
        let v = self.get(i);
        match value::num(v) {
            Some(value::Num::I(n)) => return Ok(n),
            Some(value::Num::F(f)) if f.fract() == 0.0 && f.is_finite() => return Ok(f as i64),
            _ => {}
        }
        if let Some(n) = v.as_str().and_then(value::parse_go_int) {
            return Ok(n);
        }
        if value::is_nil(v) {
            return Ok(0);
        }
        Err(self.err(format!(
            "expected an integer, got {} {}",
            value::type_of(v),
            printf::go_quote(&value::go_v(v))
        )))
    }

    /// Argument `i` as a list; nil is an empty list, anything else is an error.
    pub fn list(&self, i: usize) -> Result<Vec<Value>, Error> {
        let v = self.get(i);
        if value::is_nil(v) {
            return Ok(Vec::new());
        }
        value::list_items(v)
            .ok_or_else(|| self.err(format!("expected a list, got {}", value::type_of(v))))
    }

    /// Argument `i` as map entries; nil is an empty map, anything else is an error.
    pub fn map(&self, i: usize) -> Result<Vec<(String, Value)>, Error> {
        let v = self.get(i);
        if value::is_nil(v) {
            return Ok(Vec::new());
        }
        value::map_items(v)
            .ok_or_else(|| self.err(format!("expected a map, got {}", value::type_of(v))))
    }

    /// An error whose message names the helper.
    pub fn err(&self, msg: impl std::fmt::Display) -> Error {
        Error::new(ErrorKind::InvalidOperation, format!("{}: {msg}", self.name))
    }
}

/// Every helper with its arity and filter subject position.
pub fn helpers() -> Vec<Helper> {
    use Subject::{First, Last, None as NoFilter, Second};
    let h = |name, min, max, subject, f: HelperFn| Helper {
        name,
        min,
        max,
        subject,
        f,
    };
    let mut table = vec![
        // --- strings -------------------------------------------------------------------
        h("trim", 1, 1, Last, strings::trim),
        h("trimAll", 2, 2, Last, strings::trim_all),
        h("trimall", 2, 2, Last, strings::trim_all),
        h("trimPrefix", 2, 2, Last, strings::trim_prefix),
        h("trimSuffix", 2, 2, Last, strings::trim_suffix),
        h("base", 1, 1, Last, strings::base),
        h("dir", 1, 1, Last, strings::dir),
        h("clean", 1, 1, Last, strings::clean),
        h("ext", 1, 1, Last, strings::ext),
        h("isAbs", 1, 1, Last, strings::is_abs),
        // Go's `path/filepath` on Linux is `path`.
        h("osBase", 1, 1, Last, strings::base),
        h("osDir", 1, 1, Last, strings::dir),
        h("osClean", 1, 1, Last, strings::clean),
        h("osExt", 1, 1, Last, strings::ext),
        h("osIsAbs", 1, 1, Last, strings::is_abs),
        h("getHostByName", 1, 1, Last, dns::get_host_by_name),
        h("urlParse", 1, 1, Last, strings::url_parse),
        h("urlJoin", 1, 1, Last, strings::url_join),
        h("upper", 1, 1, Last, strings::upper),
        h("lower", 1, 1, Last, strings::lower),
        h("title", 1, 1, Last, strings::title),
        h("untitle", 1, 1, Last, strings::untitle),
        h("initials", 1, 1, Last, strings::initials),
        h("swapcase", 1, 1, Last, strings::swapcase),
        h("shuffle", 1, 1, Last, strings::shuffle),
        h("wrap", 2, 2, Last, strings::wrap),
        h("wrapWith", 3, 3, Last, strings::wrap_with),
        h("repeat", 2, 2, Last, strings::repeat),
        h("substr", 3, 3, Last, strings::substr),
        h("nospace", 1, 1, Last, strings::nospace),
        h("trunc", 2, 2, Last, strings::trunc),
        h("abbrev", 2, 2, Last, strings::abbrev),
        h("abbrevboth", 3, 3, Last, strings::abbrevboth),
        h("contains", 2, 2, Last, strings::contains),
        h("hasPrefix", 2, 2, Last, strings::has_prefix),
        h("hasSuffix", 2, 2, Last, strings::has_suffix),
        h("quote", 0, MANY, Last, strings::quote),
        h("squote", 0, MANY, Last, strings::squote),
        h("cat", 0, MANY, Last, strings::cat),
        h("replace", 3, 3, Last, strings::replace),
        h("plural", 3, 3, Last, strings::plural),
        h("camelcase", 1, 1, Last, strings::camelcase),
        h("kebabcase", 1, 1, Last, strings::kebabcase),
        h("snakecase", 1, 1, Last, strings::snakecase),
        h("split", 2, 2, Last, strings::split),
        h("splitList", 2, 2, Last, strings::split_list),
        h("splitn", 3, 3, Last, strings::splitn),
        h("join", 2, 2, Last, strings::join),
        h("indent", 2, 2, Last, strings::indent),
        h("nindent", 2, 2, Last, strings::nindent),
        h("printf", 1, MANY, Last, strings::printf),
        h("print", 0, MANY, Last, strings::print),
        h("println", 0, MANY, Last, strings::println),
        h("html", 0, MANY, Last, strings::html),
        h("js", 0, MANY, Last, strings::js),
        h("urlquery", 0, MANY, Last, strings::urlquery),
        h("hello", 0, 0, NoFilter, strings::hello),
        h("toString", 1, 1, Last, strings::to_string),
        h("toStrings", 1, 1, Last, strings::to_strings),
        h("regexMatch", 2, 2, Last, strings::regex_match),
        h("regexFind", 2, 2, Last, strings::regex_find),
        h("regexFindAll", 3, 3, Second, strings::regex_find_all),
        h("regexReplaceAll", 3, 3, Second, strings::regex_replace_all),
        h(
            "regexReplaceAllLiteral",
            3,
            3,
            Second,
            strings::regex_replace_all_literal,
        ),
        h("regexSplit", 3, 3, Second, strings::regex_split),
        h("regexQuoteMeta", 1, 1, Last, strings::regex_quote_meta),
        // --- logic and types -----------------------------------------------------------
        h("default", 1, MANY, Last, logic::default),
        h("empty", 1, 1, Last, logic::empty),
        h("coalesce", 0, MANY, Last, logic::coalesce),
        h("ternary", 3, 3, Last, logic::ternary),
        h("not", 1, 1, Last, logic::not),
        h("and", 1, MANY, Last, logic::and),
        h("or", 1, MANY, Last, logic::or),
        h("eq", 2, MANY, Last, logic::eq),
        h("ne", 2, 2, Last, logic::ne),
        h("lt", 2, 2, Last, logic::lt),
        h("le", 2, 2, Last, logic::le),
        h("gt", 2, 2, Last, logic::gt),
        h("ge", 2, 2, Last, logic::ge),
        h("required", 2, 2, Last, logic::required),
        h("fail", 1, 1, Last, logic::fail),
        h("kindOf", 1, 1, Last, logic::kind_of),
        h("kindIs", 2, 2, Last, logic::kind_is),
        h("typeOf", 1, 1, Last, logic::type_of),
        h("typeIs", 2, 2, Last, logic::type_is),
        h("typeIsLike", 2, 2, Last, logic::type_is_like),
        h("all", 0, MANY, Last, logic::all),
        h("any", 0, MANY, Last, logic::any),
        h("deepEqual", 2, 2, Last, logic::deep_equal),
        // --- numbers -------------------------------------------------------------------
        h("int", 1, 1, Last, math::int),
        h("int64", 1, 1, Last, math::int),
        h("float64", 1, 1, Last, math::float64),
        h("atoi", 1, 1, Last, math::atoi),
        h("toDecimal", 1, 1, Last, math::to_decimal),
        h("add", 0, MANY, Last, math::add),
        h("add1", 1, 1, Last, math::add1),
        h("sub", 2, 2, Last, math::sub),
        h("mul", 1, MANY, Last, math::mul),
        h("div", 2, 2, Last, math::div),
        h("mod", 2, 2, Last, math::modulo),
        h("max", 1, MANY, Last, math::max),
        h("biggest", 1, MANY, Last, math::max),
        h("min", 1, MANY, Last, math::min),
        h("maxf", 1, MANY, Last, math::maxf),
        h("minf", 1, MANY, Last, math::minf),
        h("addf", 0, MANY, Last, math::addf),
        h("add1f", 1, 1, Last, math::add1f),
        h("subf", 1, MANY, Last, math::subf),
        h("mulf", 1, MANY, Last, math::mulf),
        h("divf", 1, MANY, Last, math::divf),
        h("randInt", 2, 2, Last, math::rand_int),
        h("floor", 1, 1, Last, math::floor),
        h("ceil", 1, 1, Last, math::ceil),
        h("round", 2, MANY, First, math::round),
        h("until", 1, 1, Last, math::until),
        h("untilStep", 3, 3, Last, math::until_step),
        h("seq", 0, MANY, Last, math::seq),
        // --- lists ---------------------------------------------------------------------
        h("list", 0, MANY, Last, lists::list),
        h("tuple", 0, MANY, Last, lists::list),
        h("first", 1, 1, Last, lists::first),
        h("last", 1, 1, Last, lists::last),
        h("rest", 1, 1, Last, lists::rest),
        h("initial", 1, 1, Last, lists::initial),
        h("reverse", 1, 1, Last, lists::reverse),
        h("uniq", 1, 1, Last, lists::uniq),
        h("compact", 1, 1, Last, lists::compact),
        h("without", 1, MANY, First, lists::without),
        h("has", 2, 2, Last, lists::has),
        h("append", 2, 2, First, lists::append),
        h("push", 2, 2, First, lists::append),
        h("prepend", 2, 2, First, lists::prepend),
        h("concat", 0, MANY, Last, lists::concat),
        h("sortAlpha", 1, 1, Last, lists::sort_alpha),
        h("index", 1, MANY, First, lists::index),
        h("len", 1, 1, Last, lists::len),
        h("slice", 1, 3, First, lists::slice),
        h("chunk", 2, 2, Last, lists::chunk),
        // --- dicts ---------------------------------------------------------------------
        h("hasKey", 2, 2, First, dicts::has_key),
        h("get", 2, 2, First, dicts::get),
        h("set", 3, 3, First, dicts::set),
        h("unset", 2, 2, First, dicts::unset),
        h("dig", 3, MANY, Last, dicts::dig),
        h("keys", 0, MANY, Last, dicts::keys),
        h("values", 1, 1, Last, dicts::values),
        h("pick", 1, MANY, First, dicts::pick),
        h("omit", 1, MANY, First, dicts::omit),
        h("merge", 1, MANY, Last, dicts::merge),
        h("mergeOverwrite", 1, MANY, Last, dicts::merge_overwrite),
        h("deepCopy", 1, 1, Last, dicts::deep_copy),
        h("pluck", 1, MANY, Last, dicts::pluck),
        h("lookup", 4, 4, NoFilter, dicts::lookup),
        // --- encoding, hashing, random -------------------------------------------------
        h("toYaml", 1, 1, Last, encoding::to_yaml),
        h("fromYaml", 1, 1, Last, encoding::from_yaml),
        h("fromYamlArray", 1, 1, Last, encoding::from_yaml_array),
        h("toJson", 1, 1, Last, encoding::to_json),
        h("toPrettyJson", 1, 1, Last, encoding::to_pretty_json),
        h("toRawJson", 1, 1, Last, encoding::to_raw_json),
        h("fromJson", 1, 1, Last, encoding::from_json),
        h("fromJsonArray", 1, 1, Last, encoding::from_json_array),
        h("b64enc", 1, 1, Last, encoding::b64enc),
        h("b64dec", 1, 1, Last, encoding::b64dec),
        h("b32enc", 1, 1, Last, encoding::b32enc),
        h("b32dec", 1, 1, Last, encoding::b32dec),
        h("mustFromJson", 1, 1, Last, encoding::must_from_json),
        h("sha256sum", 1, 1, Last, encoding::sha256sum),
        h("sha1sum", 1, 1, Last, encoding::sha1sum),
        h("sha512sum", 1, 1, Last, encoding::sha512sum),
        h("adler32sum", 1, 1, Last, encoding::adler32sum),
        h("uuidv4", 0, 0, NoFilter, encoding::uuidv4),
        h("randAlphaNum", 1, 1, Last, encoding::rand_alpha_num),
        h("randAlpha", 1, 1, Last, encoding::rand_alpha),
        h("randNumeric", 1, 1, Last, encoding::rand_numeric),
        h("randAscii", 1, 1, Last, encoding::rand_ascii),
        h("randBytes", 1, 1, Last, encoding::rand_bytes),
        // --- crypto ----------------------------------------------------------------------
        h("genCA", 2, 2, NoFilter, crypto::gen_ca),
        h("genCAWithKey", 3, 3, NoFilter, crypto::gen_ca_with_key),
        h(
            "genSelfSignedCert",
            4,
            4,
            NoFilter,
            crypto::gen_self_signed_cert,
        ),
        h(
            "genSelfSignedCertWithKey",
            5,
            5,
            NoFilter,
            crypto::gen_self_signed_cert_with_key,
        ),
        h("genSignedCert", 5, 5, NoFilter, crypto::gen_signed_cert),
        h(
            "genSignedCertWithKey",
            6,
            6,
            NoFilter,
            crypto::gen_signed_cert_with_key,
        ),
        h("buildCustomCert", 2, 2, NoFilter, crypto::build_custom_cert),
        h("genPrivateKey", 1, 1, Last, crypto::gen_private_key),
        h("derivePassword", 5, 5, NoFilter, crypto::derive_password),
        h("bcrypt", 1, 1, Last, crypto::bcrypt_fn),
        h("htpasswd", 2, 2, Last, crypto::htpasswd),
        h("encryptAES", 2, 2, Last, crypto::encrypt_aes),
        h("decryptAES", 2, 2, Last, crypto::decrypt_aes),
        // --- versions and dates --------------------------------------------------------
        h("semver", 1, 1, Last, semver::semver_fn),
        h("semverCompare", 2, 2, Last, semver::semver_compare_fn),
        h("now", 0, 0, NoFilter, dates::now),
        h("date", 2, 2, Last, dates::date),
        h("dateInZone", 3, 3, Second, dates::date_in_zone),
        h("date_in_zone", 3, 3, Second, dates::date_in_zone),
        h("htmlDate", 1, 1, Last, dates::html_date),
        h("htmlDateInZone", 2, 2, Last, dates::html_date_in_zone),
        h("toDate", 2, 2, Last, dates::to_date),
        h("mustToDate", 2, 2, Last, dates::must_to_date),
        h("unixEpoch", 1, 1, Last, dates::unix_epoch),
        h("dateModify", 2, 2, Last, dates::date_modify),
        h("date_modify", 2, 2, Last, dates::date_modify),
        h("mustDateModify", 2, 2, Last, dates::must_date_modify),
        h("must_date_modify", 2, 2, Last, dates::must_date_modify),
        h("duration", 1, 1, Last, dates::duration),
        h("durationRound", 1, 1, Last, dates::duration_round),
        h("mustToDuration", 1, 1, Last, dates::must_to_duration),
        h("durationSeconds", 1, 1, Last, dates::duration_seconds),
        h(
            "durationMilliseconds",
            1,
            1,
            Last,
            dates::duration_milliseconds,
        ),
        h(
            "durationMicroseconds",
            1,
            1,
            Last,
            dates::duration_microseconds,
        ),
        h(
            "durationNanoseconds",
            1,
            1,
            Last,
            dates::duration_nanoseconds,
        ),
        h("durationMinutes", 1, 1, Last, dates::duration_minutes),
        h("durationHours", 1, 1, Last, dates::duration_hours),
        h("durationDays", 1, 1, Last, dates::duration_days),
        h("durationWeeks", 1, 1, Last, dates::duration_weeks),
        h("durationRoundTo", 2, 2, First, dates::duration_round_to),
        h(
            "durationTruncateTo",
            2,
            2,
            First,
            dates::duration_truncate_to,
        ),
        h("ago", 1, 1, Last, dates::ago),
    ];
    // sprig's `must…` variants return an error where the plain ones would panic; kpack's
    // helpers always return errors, so each is its plain helper under another name.
    for &(must, plain) in MUST {
        let helper = *table
            .iter()
            .find(|h| h.name == plain)
            .expect("every must variant names a helper");
        table.push(Helper {
            name: must,
            ..helper
        });
    }
    table
}

/// The helper table as the Go engine uses it: [`helpers`], with Helm's exact behaviour
/// where kpack's Jinja helpers deliberately differ (see `docs/helpers.md`): `toYaml` is
/// goyaml.v2's (sorted keys, folded lines, nothing printed for a value JSON cannot hold,
/// which `mustToYaml` reports), `toJson` sorts keys and spells floats as Go does, and the
/// parsers give float64 numbers.
pub fn go_helpers() -> Vec<Helper> {
    use Subject::Last;
    let h = |name, f: HelperFn| Helper {
        name,
        min: 1,
        max: 1,
        subject: Last,
        f,
    };
    let overrides = [
        h("toYaml", encoding::go::to_yaml),
        h("mustToYaml", encoding::go::must_to_yaml),
        h("toYamlPretty", encoding::go::to_yaml_pretty),
        h("toJson", encoding::go::to_json),
        h("mustToJson", encoding::go::must_to_json),
        h("toRawJson", encoding::go::to_raw_json),
        h("mustToRawJson", encoding::go::must_to_raw_json),
        h("toPrettyJson", encoding::go::to_pretty_json),
        h("mustToPrettyJson", encoding::go::must_to_pretty_json),
        h("fromYaml", encoding::go::from_yaml),
        h("fromYamlArray", encoding::go::from_yaml_array),
        h("fromJson", encoding::go::from_json),
        h("fromJsonArray", encoding::go::from_json_array),
        h("toToml", |a| {
            gotoml::nil_check(a.get(0)).map_err(|e| a.err(e))?;
            Ok(gotoml::to_toml(a.get(0)).into())
        }),
        h("mustToToml", |a| {
            gotoml::nil_check(a.get(0)).map_err(|e| a.err(e))?;
            gotoml::must_to_toml(a.get(0))
                .map(Value::from)
                .map_err(|e| a.err(e))
        }),
        h("fromToml", |a| Ok(gotoml::from_toml(&a.str(0)))),
    ];
    let mut table = helpers();
    // Go's fmt exactly (kpack's printf is lenient with `%s` and `%d`).
    let fmt_rows = [
        Helper {
            name: "printf",
            min: 1,
            max: MANY,
            subject: Last,
            f: |a| Ok(printf::go_sprintf(&a.text(0), &a.vals[1..]).into()),
        },
        Helper {
            name: "print",
            min: 0,
            max: MANY,
            subject: Last,
            f: |a| Ok(printf::go_sprint(a.vals).into()),
        },
        Helper {
            name: "println",
            min: 0,
            max: MANY,
            subject: Last,
            f: |a| Ok(printf::go_sprintln(a.vals).into()),
        },
    ];
    // `dict` takes keyword arguments in Jinja, so it is registered apart there.
    table.push(Helper {
        name: "dict",
        min: 0,
        max: MANY,
        subject: Subject::None,
        f: |a| dicts::dict(a, None),
    });
    for over in overrides.into_iter().chain(fmt_rows) {
        match table.iter_mut().find(|x| x.name == over.name) {
            Some(slot) => *slot = over,
            None => table.push(over),
        }
    }
    // sprig's Go semantics: byte-wise strings, mergo, DeepEqual, Go's comparisons...
    go::apply(&mut table);
    table
}

/// sprig's (and Helm's `mustToYaml`) error-returning variants, and the helper each one is.
const MUST: &[(&str, &str)] = &[
    ("mustAppend", "append"),
    ("mustPush", "append"),
    ("mustChunk", "chunk"),
    ("mustPrepend", "prepend"),
    ("mustFirst", "first"),
    ("mustLast", "last"),
    ("mustRest", "rest"),
    ("mustInitial", "initial"),
    ("mustReverse", "reverse"),
    ("mustUniq", "uniq"),
    ("mustWithout", "without"),
    ("mustHas", "has"),
    ("mustCompact", "compact"),
    ("mustSlice", "slice"),
    ("mustMerge", "merge"),
    ("mustMergeOverwrite", "mergeOverwrite"),
    ("mustDeepCopy", "deepCopy"),
    ("mustToJson", "toJson"),
    ("mustToPrettyJson", "toPrettyJson"),
    ("mustToRawJson", "toRawJson"),
    ("mustToYaml", "toYaml"),
    ("mustRegexMatch", "regexMatch"),
    ("mustRegexFind", "regexFind"),
    ("mustRegexFindAll", "regexFindAll"),
    ("mustRegexReplaceAll", "regexReplaceAll"),
    ("mustRegexReplaceAllLiteral", "regexReplaceAllLiteral"),
    ("mustRegexSplit", "regexSplit"),
];

/// Register every helper on the environment, as a function and (where it has a subject)
/// as a filter; see the module documentation for the argument-order rule. Helpers replace
/// minijinja builtins of the same name (`default`, `indent`, `replace`, `trim`, `first`,
/// `last`, `join`, `int`, `list`, `dict`, `lower`, `upper`, `title`, `split`, `reverse`,
/// `min`, `max`, `round`, `slice`...), so templates get Helm's semantics.
pub fn register(env: &mut Environment<'static>) {
    for helper in helpers() {
        let Helper {
            name,
            min,
            max,
            subject,
            f,
        } = helper;
        // Arguments are borrowed as minijinja passes them (a filter's piped value first),
        // and only copied when the helper wants them in another order.
        env.add_function(name, move |args: &[Value]| call(name, min, max, f, args));
        if subject == Subject::None {
            continue;
        }
        env.add_filter(name, move |args: &[Value]| match (subject, args) {
            (Subject::First, _) | (_, [_]) | (_, []) => call(name, min, max, f, args),
            (Subject::Second, [piped, first, rest @ ..]) => {
                let mut vals = Vec::with_capacity(args.len());
                vals.push(first.clone());
                vals.push(piped.clone());
                vals.extend_from_slice(rest);
                call(name, min, max, f, &vals)
            }
            (_, [piped, x]) => call(name, min, max, f, &[x.clone(), piped.clone()]),
            (_, [piped, rest @ ..]) => {
                let mut vals = Vec::with_capacity(args.len());
                vals.extend_from_slice(rest);
                vals.push(piped.clone());
                call(name, min, max, f, &vals)
            }
        });
    }
    // `dict` also accepts minijinja-style keyword arguments: dict("a", 1, b=2).
    env.add_function("dict", |args: &[Value], kwargs: Kwargs| {
        dicts::dict(
            &Args {
                name: "dict",
                vals: args,
            },
            Some(kwargs),
        )
    });
}

fn call(
    name: &'static str,
    min: usize,
    max: usize,
    f: HelperFn,
    vals: &[Value],
) -> Result<Value, Error> {
    if vals.len() < min || vals.len() > max {
        let want = if min == max {
            min.to_string()
        } else if max == MANY {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "wrong number of args for {name}: want {want} got {}",
                vals.len()
            ),
        ));
    }
    f(&Args { name, vals })
}
