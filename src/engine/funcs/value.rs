//! Go-flavoured value semantics shared by every helper: the mutable [`Dict`] that `dict`,
//! `set`, `merge`... build and modify in place, conversion between template values and the
//! JSON data model (and the [`Tree`] walk that lets `toYaml`/`toJson` write template values
//! without converting them), and Go's notions of emptiness, kinds, `%v` printing and numeric casts
//! (sprig's `strval`, `toInt64`, `toFloat64`, `empty`, `kindOf`, `typeOf`).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Error, ErrorKind};
use serde_json::Value as Json;

use crate::yaml::emit::{Node, Tree};

/// Deepest nesting `to_json`/`deep_copy` follow before giving up (guards against cycles built
/// with `set $d "self" $d`).
const MAX_DEPTH: usize = 512;

/// The entries of a [`Dict`], in insertion order. Hashed with FxHash: templates look keys
/// up on every `Values.x.y`, and SipHash's resistance to crafted keys buys nothing for a
/// chart's own values.
pub type DictMap = IndexMap<String, Value, rustc_hash::FxBuildHasher>;

/// A string-keyed map that keeps insertion order and can be changed in place, like the
/// `map[string]interface{}` Helm templates mutate with `set`, `unset`, `merge`...
///
/// Every map a helper creates is a `Dict`; a map that came from elsewhere (a template
/// literal, a context built without [`value_from_json`]) is immutable, and the mutating
/// helpers then return a changed copy instead.
///
/// A render may run template files at once on speculation ([`Speculation`]): a map that
/// existed before a file started is then shared with the other files, and writing to it
/// does not happen but marks the file's run as void (it is run again in order).
pub struct Dict {
    map: Mutex<DictMap>,
    /// The speculation epoch the map was made in.
    born: u64,
}

impl Default for Dict {
    fn default() -> Self {
        Dict::new(DictMap::default())
    }
}

/// Counts speculative runs started; a map made in epoch `e` belongs to runs started later
/// than `e` only as shared state.
static EPOCH: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The epoch of the speculative run on this thread (0: none): maps born before it are
    /// shared.
    static GUARD: Cell<u64> = const { Cell::new(0) };
    /// Whether the run on this thread tried to write to a shared map.
    static VOID: Cell<bool> = const { Cell::new(false) };
}

/// A speculative run of one template file on this thread: maps that existed before it are
/// read-only for it, and a write to one is dropped and voids the run ([`Speculation::void`]).
/// Running files at once is then the same as running them one after the other up to the
/// first file whose run is void: the files before it wrote nothing that another file can
/// see, and read nothing another file wrote.
pub struct Speculation {
    /// The run this one interrupted on the same thread (a worker waiting inside one file's
    /// run, say for a key search, may be handed another file): its epoch and whether void.
    outer: (u64, bool),
}

impl Speculation {
    /// Start a speculative run on this thread (ended when the value is dropped).
    pub fn start() -> Self {
        let epoch = EPOCH.fetch_add(1, Ordering::Relaxed) + 1;
        let outer = (
            GUARD.with(|g| g.replace(epoch)),
            VOID.with(|v| v.replace(false)),
        );
        Speculation { outer }
    }

    /// Whether the run tried to write to a map it shares with other runs: its output and
    /// its errors are then not the ones the file gives when run in order.
    pub fn void(&self) -> bool {
        Self::current_void()
    }

    /// Whether a speculative run on this thread is void (cheap enough for the executor to
    /// check at every step, to stop a void run early).
    pub fn current_void() -> bool {
        VOID.with(|v| v.get())
    }
}

impl Drop for Speculation {
    fn drop(&mut self) {
        GUARD.with(|g| g.set(self.outer.0));
        VOID.with(|v| v.set(self.outer.1));
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Format a snapshot: holding the lock while formatting would deadlock on a map
        // that contains itself.
        f.debug_map().entries(self.snapshot().iter()).finish()
    }
}

impl Dict {
    /// Wrap a map as a template value.
    pub fn value(map: DictMap) -> Value {
        Value::from_object(Dict::new(map))
    }

    /// A map made now (in the current speculation epoch).
    fn new(map: DictMap) -> Self {
        Dict {
            map: Mutex::new(map),
            born: EPOCH.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> MutexGuard<'_, DictMap> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this thread may write to the map: not when a speculative run that started
    /// after the map was made is on (the write then voids the run).
    fn writable(&self) -> bool {
        let guard = GUARD.with(|g| g.get());
        if guard > self.born {
            VOID.with(|v| v.set(true));
            return false;
        }
        true
    }

    /// Insert or replace one entry.
    pub fn insert(&self, key: String, value: Value) {
        if self.writable() {
            self.lock().insert(key, value);
        }
    }

    /// Remove one entry, keeping the order of the others.
    pub fn remove(&self, key: &str) -> Option<Value> {
        if !self.writable() {
            return self.get(key);
        }
        self.lock().shift_remove(key)
    }

    /// The current value for a key.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.lock().get(key).cloned()
    }

    /// A copy of the current entries.
    pub fn snapshot(&self) -> DictMap {
        self.lock().clone()
    }
}

impl Object for Dict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        key.as_str().and_then(|k| self.get(k))
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.get(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.lock()
                .keys()
                .map(|k| Value::from(k.as_str()))
                .collect(),
        )
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.lock().len())
    }
}

/// Convert JSON data into a template value whose maps are mutable [`Dict`]s, so `set` and
/// `merge` can change them in place (as Helm charts do with `.Values`).
pub fn value_from_json(json: &Json) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(value_from_json).collect::<Vec<_>>()),
        Json::Object(map) => Dict::value(
            map.iter()
                .map(|(k, v)| (k.clone(), value_from_json(v)))
                .collect(),
        ),
    }
}

/// [`value_from_json`] for the Jinja engine: whole floats become integers. Values files
/// hold every number as a float, as Helm reads them; kpack (Jinja) charts print integers
/// as integers (`3`, `1000000`, never `3.0` or `1e+06`), so a whole float from values is
/// an integer there. Floats with a fraction, and whole floats beyond ±2⁵³ (which a float
/// cannot hold exactly anyway), stay floats.
pub fn value_from_json_ints(json: &Json) -> Value {
    match json {
        Json::Number(n) if !n.is_i64() && !n.is_u64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() <= MAX_EXACT {
                Value::from(f as i64)
            } else {
                Value::from(f)
            }
        }
        Json::Array(items) => {
            Value::from(items.iter().map(value_from_json_ints).collect::<Vec<_>>())
        }
        Json::Object(map) => Dict::value(
            map.iter()
                .map(|(k, v)| (k.clone(), value_from_json_ints(v)))
                .collect(),
        ),
        other => value_from_json(other),
    }
}

/// 2⁵³: every whole float up to this magnitude is an exact integer.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

/// Convert a template value to JSON data. Undefined is `null`; map keys become strings;
/// floats that JSON cannot hold (NaN, infinities) become `null`.
pub fn value_to_json(v: &Value) -> Result<Json, Error> {
    to_json_at(v, 0)
}

fn to_json_at(v: &Value, depth: usize) -> Result<Json, Error> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match v.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => Json::Null,
        ValueKind::Bool => Json::Bool(v.is_true()),
        ValueKind::Number => match num(v) {
            Some(Num::I(i)) => Json::from(i),
            Some(Num::F(f)) => serde_json::Number::from_f64(f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            None => match u64::try_from(v.clone()) {
                Ok(u) => Json::from(u),
                Err(_) => Json::String(v.to_string()),
            },
        },
        ValueKind::String | ValueKind::Bytes => Json::String(as_text(v)),
        ValueKind::Seq | ValueKind::Iterable => Json::Array(
            list_items(v)
                .unwrap_or_default()
                .iter()
                .map(|x| to_json_at(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        ValueKind::Map => {
            let mut out = serde_json::Map::new();
            for (k, x) in map_items(v).unwrap_or_default() {
                out.insert(k, to_json_at(&x, depth + 1)?);
            }
            Json::Object(out)
        }
        _ => Json::String(v.to_string()),
    })
}

/// Template values walk like their [`value_to_json`] form, without building it: `toYaml`
/// and `toJson` write them directly. Undefined is null, non-finite floats are null, map
/// keys are strings (a later duplicate replaces the value of the first, as in a JSON
/// object), and nesting beyond [`MAX_DEPTH`] is an error (a map that contains itself).
impl Tree for Value {
    type Error = Error;

    fn node(&self) -> Node<'_> {
        match self.kind() {
            ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => Node::Null,
            ValueKind::Bool => Node::Bool(self.is_true()),
            ValueKind::Number => match num(self) {
                Some(Num::I(i)) => Node::Int(i),
                Some(Num::F(f)) if f.is_finite() => Node::Float(f),
                Some(Num::F(_)) => Node::Null,
                None => match u64::try_from(self.clone()) {
                    Ok(u) => Node::UInt(u),
                    Err(_) => Node::Str(Cow::Owned(self.to_string())),
                },
            },
            ValueKind::String | ValueKind::Bytes => Node::Str(text(self)),
            ValueKind::Seq | ValueKind::Iterable => Node::Seq,
            ValueKind::Map => Node::Map,
            _ => Node::Str(Cow::Owned(self.to_string())),
        }
    }

    fn for_each_item<F>(&self, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&Self) -> Result<(), Error>,
    {
        if let Ok(items) = self.try_iter() {
            for x in items {
                f(&x)?;
            }
        }
        Ok(())
    }

    fn for_each_entry<F>(&self, mut f: F) -> Result<(), Error>
    where
        F: FnMut(&str, &Self) -> Result<(), Error>,
    {
        if let Some(d) = self.downcast_object_ref::<Dict>() {
            // Copy the entries out (cheap: short keys stay inline, values are shared) so
            // the lock is not held while a nested value, maybe this map, is walked.
            let entries: Vec<(Value, Value)> = d
                .lock()
                .iter()
                .map(|(k, x)| (Value::from(k.as_str()), x.clone()))
                .collect();
            for (k, x) in &entries {
                f(k.as_str().unwrap_or_default(), x)?;
            }
            return Ok(());
        }
        let Some(pairs) = self.as_object().and_then(|o| o.try_iter_pairs()) else {
            return Ok(());
        };
        let pairs: Vec<(Value, Value)> = pairs.collect();
        if pairs.iter().all(|(k, _)| k.as_str().is_some()) {
            // Distinct string keys (the common case): walk them as they are.
            for (k, x) in &pairs {
                f(k.as_str().unwrap_or_default(), x)?;
            }
            return Ok(());
        }
        // A key that is not a string may print like another key: merge them as a JSON
        // object would (first position, last value).
        let mut merged: DictMap = DictMap::default();
        for (k, x) in pairs {
            merged.insert(go_string(&k), x);
        }
        for (k, x) in &merged {
            f(k, x)?;
        }
        Ok(())
    }

    fn enter(depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        Ok(())
    }
}

fn too_deep() -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        "value is nested too deeply (does a map contain itself?)",
    )
}

/// Copy a value deeply; every map in the copy is a fresh [`Dict`].
pub fn deep_copy(v: &Value) -> Result<Value, Error> {
    Ok(value_from_json(&value_to_json(v)?))
}

/// A number, as Go templates see it: an integer or a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// A 64-bit integer.
    I(i64),
    /// A 64-bit float.
    F(f64),
}

/// The number a value holds, if it is a number (integers beyond i64 become floats).
pub fn num(v: &Value) -> Option<Num> {
    if v.kind() != ValueKind::Number {
        return None;
    }
    if v.is_integer() {
        match i64::try_from(v.clone()) {
            Ok(i) => Some(Num::I(i)),
            Err(_) => f64::try_from(v.clone()).ok().map(Num::F),
        }
    } else {
        f64::try_from(v.clone()).ok().map(Num::F)
    }
}

/// `true` for nil and undefined.
pub fn is_nil(v: &Value) -> bool {
    v.is_undefined() || v.is_none()
}

/// Go's notion of an empty value (sprig's `empty`, Go template truth inverted): nil,
/// undefined, `false`, `0`, `0.0`, `""`, and empty lists and maps.
pub fn is_empty(v: &Value) -> bool {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => true,
        ValueKind::Bool => !v.is_true(),
        ValueKind::Number => !v.is_true(),
        ValueKind::String | ValueKind::Bytes => v.len() == Some(0),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => match v.len() {
            Some(n) => n == 0,
            None => v.try_iter().map(|mut i| i.next().is_none()).unwrap_or(true),
        },
        _ => false,
    }
}

/// The raw text of a string or bytes value (lossy for invalid UTF-8).
pub fn as_text(v: &Value) -> String {
    text(v).into_owned()
}

/// The raw text of a string or bytes value, borrowed when it can be (lossy for invalid
/// UTF-8); empty for anything else.
pub fn text(v: &Value) -> Cow<'_, str> {
    match v.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => v
            .as_bytes()
            .map(String::from_utf8_lossy)
            .unwrap_or(Cow::Borrowed("")),
    }
}

/// [`go_string`] without copying a string.
pub fn go_str(v: &Value) -> Cow<'_, str> {
    match v.kind() {
        ValueKind::String | ValueKind::Bytes => text(v),
        _ => Cow::Owned(go_v(v)),
    }
}

/// [`str_arg`] without copying a string argument.
pub fn str_ref(v: &Value) -> Cow<'_, str> {
    if is_nil(v) {
        Cow::Borrowed("")
    } else {
        go_str(v)
    }
}

/// The items of a list (or any non-string iterable); `None` for anything else.
pub fn list_items(v: &Value) -> Option<Vec<Value>> {
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => v.try_iter().ok().map(|i| i.collect()),
        _ => None,
    }
}

/// The entries of a map, keys as strings; `None` for anything else.
pub fn map_items(v: &Value) -> Option<Vec<(String, Value)>> {
    if v.kind() != ValueKind::Map {
        return None;
    }
    if let Some(d) = v.downcast_object_ref::<Dict>() {
        return Some(d.snapshot().into_iter().collect());
    }
    let obj = v.as_object()?;
    let pairs = obj.try_iter_pairs()?;
    Some(pairs.map(|(k, x)| (go_string(&k), x)).collect())
}

/// What Go's text/template prints for a pipeline's value (`{{ .Values.x }}`): nil is
/// `<no value>` (which Helm then removes from the output), anything else is `fmt.Sprint`
/// of it ([`go_v`]: `1e+06`, `[a b]`, `map[k:v]`). The Go engine prints every action with
/// this.
pub fn go_print(v: &Value) -> String {
    if is_nil(v) {
        "<no value>".to_string()
    } else {
        go_v(v)
    }
}

/// Go's `%v` formatting of a value: nil is `<nil>`, lists `[a b]`, maps `map[k:v]` with
/// sorted keys, floats in Go's shortest `%g` form (`1e+06`, `0.5`).
pub fn go_v(v: &Value) -> String {
    match v.kind() {
        ValueKind::String | ValueKind::Bytes => as_text(v),
        ValueKind::Undefined | ValueKind::None => "<nil>".to_string(),
        _ => super::printf::go_format_v(v),
    }
}

/// sprig's `strval`: strings as they are, everything else as Go's `%v` (nil is `<nil>`).
pub fn go_string(v: &Value) -> String {
    go_str(v).into_owned()
}

/// A string argument of a string helper: nil and undefined are `""`, anything else as
/// [`go_string`].
pub fn str_arg(v: &Value) -> String {
    str_ref(v).into_owned()
}

/// Go reflect kind name (`kindOf`): `string`, `bool`, `int64`, `float64`, `slice`, `map`,
/// `invalid` for nil.
pub fn kind_of(v: &Value) -> &'static str {
    if v.downcast_object_ref::<super::gotime::GoDuration>()
        .is_some()
    {
        return "int64";
    }
    match v.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => "invalid",
        ValueKind::Bool => "bool",
        ValueKind::Number => match num(v) {
            Some(Num::F(_)) => "float64",
            _ => "int64",
        },
        ValueKind::String => "string",
        ValueKind::Bytes | ValueKind::Seq | ValueKind::Iterable => "slice",
        ValueKind::Map => "map",
        _ => "struct",
    }
}

/// Whether `v` is the object type `T`.
pub fn is<T: Object + 'static>(v: &Value) -> bool {
    v.downcast_object_ref::<T>().is_some()
}

/// Go type name (`typeOf`): `string`, `int64`, `float64`, `bool`, `[]interface {}`,
/// `map[string]interface {}`, `<nil>`, and the names of the Go types behind Helm's objects
/// and sprig's results (`engine.files`, `time.Time`, `sprig.certificate`...).
pub fn type_of(v: &Value) -> &'static str {
    use crate::engine::objects::{ApiVersions, Files, GoStruct, KubeVersionObj};
    if v.as_object().is_some() {
        let name = if is::<super::gotime::GoDuration>(v) {
            "time.Duration"
        } else if is::<super::gotime::GoTime>(v) {
            "time.Time"
        } else if is::<super::crypto::Certificate>(v) {
            "sprig.certificate"
        } else if is::<Files>(v) {
            "engine.files"
        } else if is::<KubeVersionObj>(v) {
            "common.KubeVersion"
        } else if is::<ApiVersions>(v) {
            "common.VersionSet"
        } else if is::<GoStruct>(v) {
            // The one Go struct of strings Helm hands templates: `.Capabilities.HelmVersion`.
            "version.BuildInfo"
        } else {
            ""
        };
        if !name.is_empty() {
            return name;
        }
    }
    match v.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => "<nil>",
        ValueKind::Bytes => "[]uint8",
        ValueKind::Seq | ValueKind::Iterable => "[]interface {}",
        ValueKind::Map => "map[string]interface {}",
        _ => kind_of(v),
    }
}

/// sprig's `toInt64` (cast.ToInt64): floats truncate, booleans are 1/0, strings parse as
/// Go integer literals (`"42"`, `"0x1F"`, `"4.0"`), anything unparsable is 0.
pub fn cast_i64(v: &Value) -> i64 {
    match v.kind() {
        ValueKind::Bool => v.is_true() as i64,
        ValueKind::Number => match num(v) {
            Some(Num::I(i)) => i,
            Some(Num::F(f)) => f as i64,
            None => 0,
        },
        ValueKind::String | ValueKind::Bytes => parse_go_int(&as_text(v)).unwrap_or(0),
        _ => 0,
    }
}

/// sprig's `toFloat64` (cast.ToFloat64): integers widen, booleans are 1/0, strings parse,
/// anything unparsable is 0.
pub fn cast_f64(v: &Value) -> f64 {
    match v.kind() {
        ValueKind::Bool => v.is_true() as i64 as f64,
        ValueKind::Number => match num(v) {
            Some(Num::I(i)) => i as f64,
            Some(Num::F(f)) => f,
            None => 0.0,
        },
        ValueKind::String | ValueKind::Bytes => as_text(v).trim().parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Parse a Go integer literal as `strconv.ParseInt(s, 0, 64)` does after cast's
/// "trim a zero decimal part" step: optional sign, `0x`/`0o`/`0b`/leading-`0` octal
/// prefixes, `_` separators, and `"4.0"` → 4.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let mut s = s.trim();
    if let Some(dot) = s.find('.') {
        if s[dot + 1..].bytes().all(|b| b == b'0') {
            s = &s[..dot];
        } else {
            return None;
        }
    }
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower)
    };
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = i128::from_str_radix(&digits, radix).ok()?;
    let signed = if neg { -magnitude } else { magnitude };
    i64::try_from(signed).ok()
}

/// Structural equality with Go-ish number handling: `1 == 1.0`, nil equals undefined,
/// strings never equal numbers.
pub fn go_eq(a: &Value, b: &Value) -> bool {
    if is_nil(a) || is_nil(b) {
        return is_nil(a) && is_nil(b);
    }
    match (num(a), num(b)) {
        (Some(Num::I(x)), Some(Num::I(y))) => return x == y,
        (Some(x), Some(y)) => return as_f64(x) == as_f64(y),
        (Some(_), None) | (None, Some(_)) => return false,
        (None, None) => {}
    }
    match (a.kind(), b.kind()) {
        (ValueKind::String | ValueKind::Bytes, ValueKind::String | ValueKind::Bytes) => {
            a.as_bytes() == b.as_bytes()
        }
        (ValueKind::Bool, ValueKind::Bool) => a.is_true() == b.is_true(),
        (ValueKind::Seq | ValueKind::Iterable, ValueKind::Seq | ValueKind::Iterable) => {
            let (x, y) = (
                list_items(a).unwrap_or_default(),
                list_items(b).unwrap_or_default(),
            );
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| go_eq(p, q))
        }
        (ValueKind::Map, ValueKind::Map) => {
            let (x, y) = (
                map_items(a).unwrap_or_default(),
                map_items(b).unwrap_or_default(),
            );
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .find(|(k2, _)| k2 == k)
                        .is_some_and(|(_, v2)| go_eq(v, v2))
                })
        }
        _ => a == b,
    }
}

/// A number as f64.
pub fn as_f64(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(f) => f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(d: &Value, key: &str) -> Option<Value> {
        d.downcast_object_ref::<Dict>().unwrap().get(key)
    }

    fn dict(d: &Value) -> &Dict {
        d.downcast_object_ref::<Dict>().unwrap()
    }

    #[test]
    fn a_speculative_run_writes_only_to_maps_it_made() {
        let shared = Dict::value(DictMap::default());
        dict(&shared).insert("a".into(), Value::from(1));
        let run = Speculation::start();
        let own = Dict::value(DictMap::default());
        dict(&own).insert("b".into(), Value::from(2));
        assert!(!run.void(), "writing to a map the run made");
        assert_eq!(entry(&own, "b"), Some(Value::from(2)));
        dict(&shared).insert("a".into(), Value::from(3));
        assert!(run.void(), "writing to a map made before the run");
        assert_eq!(
            entry(&shared, "a"),
            Some(Value::from(1)),
            "the write is dropped"
        );
        drop(run);
        // Removing is writing too; after the run, the map is writable again.
        let run = Speculation::start();
        assert_eq!(dict(&shared).remove("a"), Some(Value::from(1)));
        assert!(run.void());
        assert_eq!(entry(&shared, "a"), Some(Value::from(1)));
        drop(run);
        assert!(!Speculation::current_void());
        dict(&shared).insert("a".into(), Value::from(4));
        assert_eq!(entry(&shared, "a"), Some(Value::from(4)));
    }

    #[test]
    fn a_run_started_inside_another_leaves_it_as_it_was() {
        let shared = Dict::value(DictMap::default());
        let outer = Speculation::start();
        let outers = Dict::value(DictMap::default());
        {
            let inner = Speculation::start();
            // The outer run's own map is shared state for the inner run.
            dict(&outers).insert("x".into(), Value::from(1));
            assert!(inner.void());
        }
        assert!(!outer.void(), "the inner run's void does not leak out");
        dict(&outers).insert("x".into(), Value::from(2));
        assert!(!outer.void());
        dict(&shared).insert("y".into(), Value::from(1));
        assert!(outer.void());
        {
            let inner = Speculation::start();
            assert!(!inner.void(), "a new run starts clean");
        }
        assert!(outer.void(), "and the outer run stays void");
        drop(outer);
        assert!(!Speculation::current_void());
    }
}
