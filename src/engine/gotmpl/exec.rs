//! The executor of Go's text/template, over template values ([`minijinja::Value`]), with
//! Go's semantics as Helm runs it (`missingkey=zero`):
//!
//! - Two kinds of nothing: *no value* (Go's invalid `reflect.Value`, here `UNDEFINED`),
//!   what a pipeline yields for a nil, prints as `<no value>` (Helm then removes that text)
//!   and reads any field as no value again; and a *nil interface* (here `none`), what a map
//!   lookup yields for a missing or null key inside a field chain, where reading a field of
//!   it is Go's `nil pointer evaluating interface {}.x` error. A pipeline turns the second
//!   into the first after each command, as Go's does.
//! - Truth is Go's: nil, false, 0, "" and empty lists and maps are false.
//! - `range` walks lists in order, maps by sorted key, integers from 0; `break`/`continue`.
//! - Variables live until the end of the enclosing block; a template call starts with `$`.
//! - Functions: Go's builtins (`and`/`or` short-circuit and return an operand, `eq` with
//!   several arguments and Go's comparison errors, `index`, `len`, `print…`, `html`, `js`,
//!   `urlquery`, `call`), Helm's (`include`, `tpl`, `required`, `fail`, `lookup`) and the
//!   shared helper table of `engine::funcs` (arguments in Helm's order: the piped value last).
//! - Every step counts against a budget, so a runaway template stops with an error.

use super::parse::{self, Arg, Command, Control, Node, Pipe, Tree};
use super::signature::{self, Nil, Param, Signature};
use crate::engine::funcs::{self, Args, Helper, MANY, printf, value};
use minijinja::value::{Value, ValueKind};
use rustc_hash::FxHashMap;
use std::sync::{Arc, LazyLock};

/// How deep templates may call templates (`include`, `template`, `tpl`).
pub const MAX_DEPTH: usize = 100;

/// Go's `%q` of a string.
pub fn go_quote(s: &str) -> String {
    printf::go_quote(s)
}

/// Where an error happened: the template's file and source, and the byte offset.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file (parse name).
    pub file: Arc<str>,
    /// Its source.
    pub source: Arc<String>,
    /// Byte offset.
    pub pos: usize,
}

/// An execution error: Go's message (`template: f:1:2: executing "f" at <.x>: …`), the
/// innermost place it happened (for the source excerpt), and whether it carries a
/// `required`/`fail` message (which Helm reports on its own).
#[derive(Debug, Clone)]
pub struct ExecError {
    /// Go's full message.
    pub message: String,
    /// The innermost location.
    pub origin: Option<Origin>,
    /// The message of `required`/`fail`, when that is what failed.
    pub user: Option<String>,
    /// The render budget ran out (not wrapped by `include`).
    pub budget: bool,
}

/// What the engine provides beyond the template set: templates of the other engine, a
/// live `lookup`, the step budget.
pub trait Host {
    /// Render a named template of another engine with `data`, if one has that name.
    fn foreign(&self, name: &str, data: &Value) -> Option<Result<String, String>>;
    /// `lookup(apiVersion, kind, namespace, name)`; `None` without a cluster.
    fn lookup(&self, args: [&str; 4]) -> Option<Result<Value, String>>;
}

/// A host without another engine and without a cluster.
pub struct NoHost;
impl Host for NoHost {
    fn foreign(&self, _: &str, _: &Value) -> Option<Result<String, String>> {
        None
    }
    fn lookup(&self, _: [&str; 4]) -> Option<Result<Value, String>> {
        None
    }
}

/// Named templates, by name.
pub type Templates = FxHashMap<Arc<str>, Arc<Tree>>;

/// Add a parsed file to a set with Go's rule: a template replaces an earlier one of the
/// same name unless it is empty.
pub fn associate(set: &mut Templates, tree: Arc<Tree>) {
    if let Some(old) = set.get(&tree.name)
        && tree.is_empty()
        && !old.root.is_empty()
    {
        let _ = old;
        return;
    }
    set.insert(tree.name.clone(), tree);
}

/// Every function a Go template may call (checked when parsing, as Go does): Go's
/// builtins, Helm's, and every sprig function Helm offers, whether or not kpack implements
/// it yet (one it does not fails when it is called, naming it).
pub fn has_function(name: &str) -> bool {
    BUILTINS.contains(&name)
        || HELM.contains(&name)
        || table().contains_key(name)
        || HELM_FUNCTIONS.contains(&name)
}

/// The functions helm v4 offers templates besides Go's builtins: sprig v3's (without
/// `env` and `expandenv`, which Helm removes) and Helm's own.
const HELM_FUNCTIONS: &[&str] = &[
    "hello",
    "ago",
    "date",
    "date_in_zone",
    "date_modify",
    "dateInZone",
    "dateModify",
    "duration",
    "durationRound",
    "mustToDuration",
    "durationSeconds",
    "durationMilliseconds",
    "durationMicroseconds",
    "durationNanoseconds",
    "durationMinutes",
    "durationHours",
    "durationDays",
    "durationWeeks",
    "durationRoundTo",
    "durationTruncateTo",
    "htmlDate",
    "htmlDateInZone",
    "must_date_modify",
    "mustDateModify",
    "mustToDate",
    "now",
    "toDate",
    "unixEpoch",
    "abbrev",
    "abbrevboth",
    "trunc",
    "trim",
    "upper",
    "lower",
    "title",
    "untitle",
    "substr",
    "repeat",
    "trimall",
    "trimAll",
    "trimSuffix",
    "trimPrefix",
    "nospace",
    "initials",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "randSeededNumeric",
    "swapcase",
    "shuffle",
    "snakecase",
    "camelcase",
    "kebabcase",
    "wrap",
    "wrapWith",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "quote",
    "squote",
    "cat",
    "indent",
    "nindent",
    "replace",
    "plural",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "adler32sum",
    "toString",
    "atoi",
    "int64",
    "int",
    "float64",
    "seq",
    "toDecimal",
    "split",
    "splitList",
    "splitn",
    "toStrings",
    "until",
    "untilStep",
    "add1",
    "add",
    "sub",
    "div",
    "mod",
    "mul",
    "randInt",
    "add1f",
    "addf",
    "subf",
    "divf",
    "mulf",
    "biggest",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "join",
    "sortAlpha",
    "default",
    "empty",
    "coalesce",
    "all",
    "any",
    "compact",
    "mustCompact",
    "fromJson",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "mustFromJson",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "ternary",
    "deepCopy",
    "mustDeepCopy",
    "typeOf",
    "typeIs",
    "typeIsLike",
    "kindOf",
    "kindIs",
    "deepEqual",
    "getHostByName",
    "base",
    "dir",
    "clean",
    "ext",
    "isAbs",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "b64enc",
    "b64dec",
    "b32enc",
    "b32dec",
    "tuple",
    "list",
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "pluck",
    "keys",
    "pick",
    "omit",
    "merge",
    "mergeOverwrite",
    "mustMerge",
    "mustMergeOverwrite",
    "values",
    "append",
    "push",
    "mustAppend",
    "mustPush",
    "prepend",
    "mustPrepend",
    "first",
    "mustFirst",
    "rest",
    "mustRest",
    "last",
    "mustLast",
    "initial",
    "mustInitial",
    "reverse",
    "mustReverse",
    "uniq",
    "mustUniq",
    "without",
    "mustWithout",
    "has",
    "mustHas",
    "slice",
    "mustSlice",
    "concat",
    "dig",
    "chunk",
    "mustChunk",
    "bcrypt",
    "htpasswd",
    "genPrivateKey",
    "derivePassword",
    "buildCustomCert",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "encryptAES",
    "decryptAES",
    "randBytes",
    "uuidv4",
    "semver",
    "semverCompare",
    "fail",
    "regexMatch",
    "mustRegexMatch",
    "regexFindAll",
    "mustRegexFindAll",
    "regexFind",
    "mustRegexFind",
    "regexReplaceAll",
    "mustRegexReplaceAll",
    "regexReplaceAllLiteral",
    "mustRegexReplaceAllLiteral",
    "regexSplit",
    "mustRegexSplit",
    "regexQuoteMeta",
    "urlParse",
    "urlJoin",
    "toToml",
    "mustToToml",
    "fromToml",
    "toYaml",
    "mustToYaml",
    "toYamlPretty",
    "fromYaml",
    "fromYamlArray",
    "fromJsonArray",
    "mergeOverwriteAppendSlice",
];

const BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt",
    "ge", "html", "js", "urlquery", "call", "dict",
];
const HELM: &[&str] = &["include", "tpl", "required", "fail", "lookup"];

fn table() -> &'static FxHashMap<&'static str, Helper> {
    static T: LazyLock<FxHashMap<&'static str, Helper>> = LazyLock::new(|| {
        funcs::go_helpers()
            .into_iter()
            .map(|h| (h.name, h))
            .collect()
    });
    &T
}

/// Parsed `tpl` texts, by text: charts run the same few strings through `tpl` thousands
/// of times.
type TplCache = FxHashMap<Arc<str>, Arc<parse::Parsed>>;

/// One execution: the template set, the budget, the `tpl` overlays.
pub struct Exec<'h> {
    set: Arc<Templates>,
    /// Templates defined by `tpl` texts being executed (innermost last).
    overlays: Vec<Arc<Templates>>,
    host: &'h dyn Host,
    steps: u64,
    max_steps: u64,
    depth: usize,
    tpl_cache: TplCache,
}

/// The result of walking nodes: go on, or leave the loop body.
enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, ExecError>;

impl<'h> Exec<'h> {
    /// An executor over `set`, stopping after `max_steps` steps.
    pub fn new(set: Arc<Templates>, host: &'h dyn Host, max_steps: u64) -> Self {
        Exec {
            set,
            overlays: Vec::new(),
            host,
            steps: 0,
            max_steps,
            depth: 0,
            tpl_cache: TplCache::default(),
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Start counting steps anew (the budget applies to each template file).
    pub fn reset_steps(&mut self) {
        self.steps = 0;
    }

    fn find(&self, name: &str) -> Option<Arc<Tree>> {
        for o in self.overlays.iter().rev() {
            if let Some(t) = o.get(name) {
                return Some(t.clone());
            }
        }
        self.set.get(name).cloned()
    }

    /// Execute the template `name` with `data` as dot and `$`.
    pub fn execute(&mut self, name: &str, data: Value) -> R<String> {
        let Some(tree) = self.find(name) else {
            return Err(plain(format!(
                "template: no template {:?} associated with template \"gotpl\"",
                name
            )));
        };
        // Sized for the source: a template's output is mostly its text (a CRD file wrapped
        // in an `if` is all text), and a megabyte grown by doubling is copied and faulted in
        // twice over.
        let mut out = String::with_capacity(tree.source.len());
        self.run(&tree, data, &mut out)?;
        Ok(out)
    }

    /// Execute a parsed tree with `data` as dot and `$`, appending to `out`.
    pub fn run(&mut self, tree: &Tree, data: Value, out: &mut String) -> R<()> {
        if self.depth >= MAX_DEPTH {
            return Err(plain(format!(
                "template: {}: templates nested more than {MAX_DEPTH} levels deep; does a named template include itself?",
                tree.name
            )));
        }
        self.depth += 1;
        let data = unwrap_nil(data);
        let mut frame = Frame {
            ex: self,
            tree,
            vars: vec![("$", data.clone())],
            at: 0,
            context: Ctx::None,
        };
        let r = frame.walk_list(&data, &tree.root, out);
        self.depth -= 1;
        r.map(|_| ())
    }
}

fn plain(message: String) -> ExecError {
    ExecError {
        message,
        origin: None,
        user: None,
        budget: false,
    }
}

/// A nil interface becomes no value (what Go's pipeline does to interface results).
fn unwrap_nil(v: Value) -> Value {
    if v.is_none() { Value::UNDEFINED } else { v }
}

/// The state of one template execution: its tree and variables.
struct Frame<'e, 'h, 't> {
    ex: &'e mut Exec<'h>,
    tree: &'t Tree,
    vars: Vec<(&'t str, Value)>,
    /// The node being evaluated, for errors.
    at: usize,
    /// The node, whose text errors show (`at <…>`).
    context: Ctx<'t>,
}

/// The node being evaluated, kept by reference: its text is only made for an error.
#[derive(Clone, Copy)]
enum Ctx<'t> {
    None,
    Action(&'t Pipe),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
    Template(&'t str, Option<&'t Pipe>),
}

impl std::fmt::Display for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ctx::None => Ok(()),
            Ctx::Action(p) => write!(f, "{{{{{p}}}}}"),
            Ctx::Pipe(p) => write!(f, "{p}"),
            Ctx::Cmd(c) => write!(f, "{c}"),
            Ctx::Arg(a) => write!(f, "{a}"),
            Ctx::Template(name, None) => write!(f, "{{{{template {}}}}}", go_quote(name)),
            Ctx::Template(name, Some(p)) => write!(f, "{{{{template {} {p}}}}}", go_quote(name)),
        }
    }
}

impl<'t> Frame<'_, '_, 't> {
    fn step(&mut self) -> R<()> {
        self.ex.steps += 1;
        if funcs::Speculation::current_void() {
            // The run is void and will be run again in order: stop it.
            let mut e = self.error("a speculative run wrote to shared state");
            e.budget = true;
            return Err(e);
        }
        if self.ex.steps > self.ex.max_steps {
            let mut e = self.error(format!(
                "render budget of {} steps exceeded (a loop that does not end?); raise it with --max-render-steps",
                self.ex.max_steps
            ));
            e.budget = true;
            return Err(e);
        }
        Ok(())
    }

    fn at(&mut self, pos: usize, context: Ctx<'t>) {
        self.at = pos;
        self.context = context;
    }

    /// An error at the current node, in Go's form.
    fn error(&self, msg: impl std::fmt::Display) -> ExecError {
        let (line, col) = self.tree.line_col(self.at);
        ExecError {
            message: format!(
                "template: {}:{line}:{col}: executing {:?} at <{}>: {msg}",
                self.tree.file, &*self.tree.name, self.context
            ),
            origin: Some(Origin {
                file: self.tree.file.clone(),
                source: self.tree.source.clone(),
                pos: self.at,
            }),
            user: None,
            budget: false,
        }
    }

    /// An error from a function called at the current node: Go's `error calling NAME: …`.
    fn call_error(&self, name: &str, inner: ExecError) -> ExecError {
        if inner.budget {
            return inner;
        }
        let mut e = self.error(format!("error calling {name}: {}", inner.message));
        if inner.origin.is_some() {
            e.origin = inner.origin;
        }
        e.user = inner.user;
        e
    }

    fn walk_list(&mut self, dot: &Value, list: &'t [Node], out: &mut String) -> R<Flow> {
        for n in list {
            match self.walk(dot, n, out)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &'t Node, out: &mut String) -> R<Flow> {
        self.step()?;
        if out.len() > funcs::MAX_STRING {
            let mut e = self.error(format!(
                "the output exceeds {} MiB (a loop that does not end?)",
                funcs::MAX_STRING >> 20
            ));
            e.budget = true;
            return Err(e);
        }
        match node {
            Node::Text(t) => out.push_str(&self.tree.source[t.clone()]),
            Node::Action(pipe) => {
                let v = self.pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at(pipe.pos, Ctx::Action(pipe));
                    print_value(&v, out);
                }
            }
            Node::If(c) => return self.if_or_with(dot, c, false, out),
            Node::With(c) => return self.if_or_with(dot, c, true, out),
            Node::Range(c) => return self.range(dot, c, out),
            Node::Break(_) => return Ok(Flow::Break),
            Node::Continue(_) => return Ok(Flow::Continue),
            Node::Template(call) => {
                let parse::TemplateCall { pos, name, pipe } = &**call;
                self.at(*pos, Ctx::Template(name, pipe.as_ref()));
                let Some(tree) = self.ex.find(name) else {
                    return Err(self.error(format!("template {} not defined", go_quote(name))));
                };
                let data = match pipe {
                    Some(p) => self.pipeline(dot, p)?,
                    None => Value::UNDEFINED,
                };
                self.at(*pos, Ctx::Template(name, pipe.as_ref()));
                // Go reports errors inside a called template as they are.
                self.ex.run(&tree, data, out)?;
            }
        }
        Ok(Flow::Normal)
    }

    fn if_or_with(&mut self, dot: &Value, c: &'t Control, with: bool, out: &mut String) -> R<Flow> {
        let mark = self.vars.len();
        let v = self.pipeline(dot, &c.pipe)?;
        let r = if truth(&v) {
            if with {
                self.walk_list(&v, &c.list, out)
            } else {
                self.walk_list(dot, &c.list, out)
            }
        } else if let Some(e) = &c.else_list {
            self.walk_list(dot, e, out)
        } else {
            Ok(Flow::Normal)
        };
        self.vars.truncate(mark);
        r
    }

    fn range(&mut self, dot: &Value, c: &'t Control, out: &mut String) -> R<Flow> {
        let outer = self.vars.len();
        let v = self.pipeline(dot, &c.pipe)?;
        let mark = self.vars.len();
        let decl = &c.pipe.decl;
        let mut ran = false;
        let mut result = Ok(Flow::Normal);
        let one = |f: &mut Self, index: Value, elem: Value, out: &mut String| -> R<bool> {
            if !decl.is_empty() {
                if c.pipe.is_assign {
                    if decl.len() > 1 {
                        f.set_var(&decl[0], index.clone())?;
                    } else {
                        f.set_var(&decl[0], elem.clone())?;
                    }
                } else {
                    let n = f.vars.len();
                    f.vars[n - 1].1 = elem.clone();
                }
            }
            if decl.len() > 1 {
                if c.pipe.is_assign {
                    f.set_var(&decl[1], elem.clone())?;
                } else {
                    let n = f.vars.len();
                    f.vars[n - 2].1 = index;
                }
            }
            let flow = f.walk_list(&elem, &c.list, out);
            f.vars.truncate(mark);
            match flow? {
                Flow::Break => Ok(false),
                _ => Ok(true),
            }
        };
        match v.kind() {
            ValueKind::Seq | ValueKind::Iterable => {
                let items = value::list_items(&v).unwrap_or_default();
                for (i, x) in items.into_iter().enumerate() {
                    ran = true;
                    match one(self, Value::from(i as i64), x, out) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
            }
            ValueKind::Map => {
                let mut items = value::map_items(&v).unwrap_or_default();
                items.sort_by(|a, b| a.0.cmp(&b.0));
                for (k, x) in items {
                    ran = true;
                    match one(self, Value::from(k), x, out) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
            }
            ValueKind::Number if v.is_integer() => {
                let n = i64::try_from(v.clone()).unwrap_or(0);
                if decl.len() > 1 {
                    self.at(c.pipe.pos, Ctx::Pipe(&c.pipe));
                    return Err(self.error(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                for i in 0..n.max(0) {
                    ran = true;
                    match one(self, Value::from(i), Value::from(i), out) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
            }
            ValueKind::Undefined | ValueKind::None => {}
            // Reported at the last node the pipeline evaluated, as Go does.
            _ => {
                return Err(self.error(format!("range can't iterate over {}", value::go_v(&v))));
            }
        }
        if result.is_ok()
            && !ran
            && let Some(e) = &c.else_list
        {
            result = self.walk_list(dot, e, out);
        }
        self.vars.truncate(outer);
        result.map(|_| Flow::Normal)
    }

    fn set_var(&mut self, name: &str, v: Value) -> R<()> {
        for (n, x) in self.vars.iter_mut().rev() {
            if *n == name {
                *x = v;
                return Ok(());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    fn var(&self, name: &str) -> R<Value> {
        for (n, x) in self.vars.iter().rev() {
            if *n == name {
                return Ok(x.clone());
            }
        }
        Err(self.error(format!("undefined variable: {name}")))
    }

    fn pipeline(&mut self, dot: &Value, pipe: &'t Pipe) -> R<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let v = self.command(dot, cmd, value.take())?;
            value = Some(unwrap_nil(v));
        }
        let value = value.unwrap_or(Value::UNDEFINED);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.at(pipe.pos, Ctx::Pipe(pipe));
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name, value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&mut self, cmd: &'t Command, fin: &Option<Value>) -> R<()> {
        if cmd.args.len() > 1 || fin.is_some() {
            let first = &cmd.args[0];
            self.at(first.pos(), Ctx::Arg(first));
            return Err(self.error(format!("can't give argument to non-function {first}")));
        }
        Ok(())
    }

    fn command(&mut self, dot: &Value, cmd: &'t Command, fin: Option<Value>) -> R<Value> {
        self.step()?;
        let first = &cmd.args[0];
        match first {
            Arg::Field { pos, idents } => {
                self.at(*pos, Ctx::Arg(first));
                self.field_chain(dot, dot.clone(), first, idents, &cmd.args[1..], fin, false)
            }
            Arg::Chain { pos, node, fields } => {
                self.at(*pos, Ctx::Arg(first));
                // Errors of the fields are reported at the last node evaluated, as in Go.
                let recv = self.arg(dot, node)?;
                self.field_chain(dot, recv, first, fields, &cmd.args[1..], fin, false)
            }
            Arg::Ident(pos, name) => {
                self.at(*pos, Ctx::Cmd(cmd));
                self.call(dot, name, *pos, Ctx::Cmd(cmd), &cmd.args[1..], fin)
            }
            Arg::Pipe(_, p) => {
                self.not_a_function(cmd, &fin)?;
                self.pipeline(dot, p)
            }
            Arg::Variable { pos, name, fields } => {
                self.at(*pos, Ctx::Arg(first));
                let v = self.var(name)?;
                if fields.is_empty() {
                    self.not_a_function(cmd, &fin)?;
                    return Ok(v);
                }
                self.field_chain(dot, v, first, fields, &cmd.args[1..], fin, false)
            }
            _ => {
                self.not_a_function(cmd, &fin)?;
                self.at(first.pos(), Ctx::Arg(first));
                match first {
                    Arg::Bool(_, b) => Ok(Value::from(*b)),
                    Arg::Dot(_) => Ok(dot.clone()),
                    Arg::Nil(_) => Err(self.error("nil is not a command")),
                    Arg::Number(_, n) => self.constant(n),
                    Arg::String(_, s) => Ok(Value::from(&**s)),
                    _ => Err(self.error(format!("can't evaluate command {first:?}"))),
                }
            }
        }
    }

    fn constant(&self, n: &parse::Number) -> R<Value> {
        if n.is_float
            && let Some(f) = n.float
        {
            return Ok(Value::from(f));
        }
        match n.int {
            Some(i) => Ok(Value::from(i)),
            None => Err(self.error(format!("{} overflows int", n.text))),
        }
    }

    /// An argument's value.
    fn arg(&mut self, dot: &Value, a: &'t Arg) -> R<Value> {
        self.step()?;
        self.at(a.pos(), Ctx::Arg(a));
        match a {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Value::from(())),
            Arg::Field { idents, .. } => {
                self.field_chain(dot, dot.clone(), a, idents, &[], None, false)
            }
            Arg::Variable { name, fields, .. } => {
                let v = self.var(name)?;
                if fields.is_empty() {
                    return Ok(v);
                }
                self.field_chain(dot, v, a, fields, &[], None, false)
            }
            Arg::Pipe(_, p) => self.pipeline(dot, p),
            Arg::Ident(pos, name) => {
                self.at(*pos, Ctx::Arg(a));
                self.call(dot, name, *pos, Ctx::Arg(a), &[], None)
            }
            Arg::Chain { node, fields, .. } => {
                let recv = self.arg(dot, node)?;
                self.field_chain(dot, recv, a, fields, &[], None, false)
            }
            Arg::Bool(_, b) => Ok(Value::from(*b)),
            Arg::Number(_, n) => self.constant(n),
            Arg::String(_, s) => Ok(Value::from(&**s)),
        }
    }

    /// An argument for a parameter of type `param`, as Go's `evalArg` gives it: a constant
    /// must be of the parameter's kind (it is converted to it), anything else is evaluated
    /// and then checked ([`signature::check`]), at the last node evaluated.
    fn typed_arg(&mut self, dot: &Value, a: &'t Arg, param: Param) -> R<Value> {
        let constant = matches!(
            a,
            Arg::Nil(_) | Arg::Bool(..) | Arg::Number(..) | Arg::String(..)
        );
        if param == Param::Any || !constant {
            let v = self.arg(dot, a)?;
            let nil = match a {
                Arg::Pipe(..) => Nil::Invalid,
                Arg::Variable { fields, .. } if fields.is_empty() => Nil::Invalid,
                _ => Nil::Interface,
            };
            return match signature::check(param, &v, nil) {
                Some(msg) => Err(self.error(msg)),
                None => Ok(v),
            };
        }
        self.step()?;
        self.at(a.pos(), Ctx::Arg(a));
        let found = |e: &Self, what: &str| Err(e.error(format!("expected {what}; found {a}")));
        match (param, a) {
            (Param::List | Param::Map, Arg::Nil(_)) => Ok(Value::from(())),
            (_, Arg::Nil(_)) => {
                Err(self.error(format!("cannot assign nil to {}", param.go_name())))
            }
            (Param::String, Arg::String(_, s)) => Ok(Value::from(&**s)),
            (Param::String, _) => found(self, "string"),
            (Param::Bool, Arg::Bool(_, b)) => Ok(Value::from(*b)),
            (Param::Bool, _) => found(self, "bool"),
            (Param::Int, Arg::Number(_, n)) if let Some(i) = n.int => Ok(Value::from(i)),
            (Param::Int, _) => found(self, "integer"),
            (Param::Uint32, Arg::Number(_, n)) if let Some(i) = n.int.filter(|i| *i >= 0) => {
                Ok(Value::from(i))
            }
            (Param::Uint32, _) => found(self, "unsigned integer"),
            (Param::Float64, Arg::Number(_, n)) if let Some(f) = n.float => Ok(Value::from(f)),
            (Param::Float64, _) => found(self, "float"),
            _ => Err(self.error(format!(
                "can't handle {a} for arg of type {}",
                param.go_name()
            ))),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn field_chain(
        &mut self,
        dot: &Value,
        mut recv: Value,
        node: &'t Arg,
        idents: &'t [parse::Name],
        args: &'t [Arg],
        fin: Option<Value>,
        _boxed: bool,
    ) -> R<Value> {
        let n = idents.len();
        for (i, name) in idents.iter().enumerate() {
            let last = i + 1 == n;
            let (a, f): (&'t [Arg], Option<Value>) = if last {
                (args, fin.clone())
            } else {
                (&[], None)
            };
            recv = self.field(dot, name, node, a, f, recv, i > 0)?;
        }
        Ok(recv)
    }

    /// `.name` of `recv`, or a method call `.name args…`.
    #[allow(clippy::too_many_arguments)]
    fn field(
        &mut self,
        dot: &Value,
        name: &str,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<Value>,
        recv: Value,
        boxed: bool,
    ) -> R<Value> {
        if recv.is_undefined() {
            return Ok(Value::UNDEFINED);
        }
        if recv.is_none() {
            return Err(self.error(format!("nil pointer evaluating interface {{}}.{name}")));
        }
        // Methods of Helm's objects.
        if let Some(r) = self.method(dot, &recv, name, node, args, fin.clone())? {
            return Ok(r);
        }
        let has_args = !args.is_empty() || fin.is_some();
        // A field of one of Helm's structs (`Capabilities.KubeVersion.Version`).
        if recv.kind() == ValueKind::Plain
            && !has_args
            && let Some(x) = recv.get_attr(name).ok().filter(|x| !x.is_undefined())
        {
            return Ok(x);
        }
        if recv.kind() == ValueKind::Map {
            if has_args {
                return Err(self.error(format!("{name} is not a method but has arguments")));
            }
            return Ok(lookup_key(&recv, name).unwrap_or(Value::from(())));
        }
        let typ = if boxed {
            "interface {}"
        } else {
            value::type_of(&recv)
        };
        Err(self.error(format!("can't evaluate field {name} in type {typ}")))
    }

    /// Methods of Helm's objects: `Files.Get …`, `Capabilities.APIVersions.Has …`.
    fn method(
        &mut self,
        dot: &Value,
        recv: &Value,
        name: &str,
        node: &'t Arg,
        args: &'t [Arg],
        fin: Option<Value>,
    ) -> R<Option<Value>> {
        let Some(obj) = recv.as_object() else {
            return Ok(None);
        };
        let is_files = obj
            .downcast_ref::<crate::engine::objects::Files>()
            .is_some();
        let is_apis = obj
            .downcast_ref::<crate::engine::objects::ApiVersions>()
            .is_some();
        let known = (is_files
            && matches!(
                name,
                "Get" | "GetBytes" | "Glob" | "Lines" | "AsConfig" | "AsSecrets"
            ))
            || (is_apis && name == "Has");
        if !known {
            return Ok(None);
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.arg(dot, a)?);
        }
        if let Some(f) = fin {
            vals.push(f);
        }
        self.at(node.pos(), Ctx::Arg(node));
        let want = if matches!(name, "AsConfig" | "AsSecrets") {
            0
        } else {
            1
        };
        if vals.len() != want {
            return Err(self.error(format!(
                "wrong number of args for {name}: want {want} got {}",
                vals.len()
            )));
        }
        let r = if let Some(files) = obj.downcast_ref::<crate::engine::objects::Files>() {
            files.invoke(name, &vals)
        } else if let Some(apis) = obj.downcast_ref::<crate::engine::objects::ApiVersions>() {
            Ok(Value::from(apis.has(&value::go_string(&vals[0]))))
        } else {
            unreachable!("checked above")
        };
        r.map(Some).map_err(|e| self.error(e))
    }

    fn call(
        &mut self,
        dot: &Value,
        name: &str,
        pos: usize,
        node: Ctx<'t>,
        args: &'t [Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        // `and`/`or` evaluate their arguments only as far as needed.
        if name == "and" || name == "or" {
            let n = args.len() + fin.is_some() as usize;
            if n < 1 {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                )));
            }
            let mut v = Value::UNDEFINED;
            for a in args {
                v = self.arg(dot, a)?;
                if truth(&v) == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }
        // Go checks the count first, at the function's name, then each argument against its
        // parameter's type as it evaluates it.
        let n = args.len() + fin.is_some() as usize;
        let sig = signatures().get(name).copied();
        if let Some(msg) = sig.and_then(|s| s.count_error(name, args.len(), n)) {
            let ident = match node {
                Ctx::Cmd(cmd) => Ctx::Arg(&cmd.args[0]),
                other => other,
            };
            self.at(pos, ident);
            return Err(self.error(msg));
        }
        let mut vals = Vec::with_capacity(n);
        for (i, a) in args.iter().enumerate() {
            vals.push(match sig {
                Some(s) => self.typed_arg(dot, a, s.param(i))?,
                None => self.arg(dot, a)?,
            });
        }
        if let Some(f) = fin {
            // The piped value, checked at the last node evaluated (the last argument, or
            // the function's name).
            if let Some(s) = sig
                && let Some(msg) = signature::check(s.param(args.len()), &f, Nil::Invalid)
            {
                return Err(self.error(msg));
            }
            vals.push(f);
        }
        let r = self.call_inner(name, &vals);
        r.map_err(|e| {
            // Go reports a failed call at its command (or identifier).
            self.at(pos, node);
            self.call_error(name, e)
        })
    }

    fn call_inner(&mut self, name: &str, vals: &[Value]) -> R<Value> {
        match name {
            "include" => self.include(vals),
            "tpl" => self.tpl(vals),
            "required" => required(vals),
            "fail" => {
                check_args(name, vals, 1, 1)?;
                let msg = value::str_arg(&vals[0]);
                Err(ExecError {
                    message: msg.clone(),
                    origin: None,
                    user: Some(msg),
                    budget: false,
                })
            }
            "lookup" => self.lookup(vals),
            // sprig's own check (Go's count check lets any count through).
            "dig" if vals.len() < 3 => Err(plain("dig needs at least three arguments".into())),
            _ => match super::builtins::call(name, vals) {
                Some(r) => r.map_err(plain),
                None => {
                    let h = table().get(name).ok_or_else(|| {
                        plain(format!(
                            "kpack does not implement the function {name:?} yet"
                        ))
                    })?;
                    check_args(name, vals, h.min, h.max)?;
                    (h.f)(&Args { name: h.name, vals })
                        .map_err(|e| plain(funcs::go::call_error(h.name, &e)))
                }
            },
        }
    }

    fn include(&mut self, vals: &[Value]) -> R<Value> {
        check_args("include", vals, 2, 2)?;
        let name = value::go_string(&vals[0]);
        let data = unwrap_nil(vals[1].clone());
        if self.ex.find(&name).is_none()
            && let Some(r) = self.ex.host.foreign(&name, &data)
        {
            return r.map(Value::from).map_err(plain);
        }
        self.ex.execute(&name, data).map(Value::from)
    }

    fn tpl(&mut self, vals: &[Value]) -> R<Value> {
        check_args("tpl", vals, 2, 2)?;
        let text = value::go_string(&vals[0]);
        if !text.contains("{{") && !text.contains("}}") {
            return Ok(Value::from(text));
        }
        let parsed = match self.ex.tpl_cache.get(text.as_str()) {
            Some(p) => p.clone(),
            None => {
                let source = Arc::new(text.clone());
                let p = parse::parse("gotpl", source.clone(), &has_function).map_err(|e| {
                    let (line, col) = parse::line_col(&source, e.pos);
                    ExecError {
                        message: format!(
                            "cannot parse template {}: template: gotpl:{line}:{col}: {}",
                            go_quote(&text),
                            e.message
                        ),
                        origin: Some(Origin {
                            file: Arc::from("gotpl"),
                            source: source.clone(),
                            pos: e.pos,
                        }),
                        user: None,
                        budget: false,
                    }
                })?;
                let p = Arc::new(p);
                if self.ex.tpl_cache.len() > 4096 {
                    self.ex.tpl_cache.clear();
                }
                self.ex
                    .tpl_cache
                    .insert(Arc::from(text.as_str()), p.clone());
                p
            }
        };
        let pushed = !parsed.defines.is_empty();
        if pushed {
            let mut overlay = Templates::default();
            for d in &parsed.defines {
                overlay.insert(d.name.clone(), d.clone());
            }
            self.ex.overlays.push(Arc::new(overlay));
        }
        let mut out = String::new();
        let r = self.ex.run(&parsed.main, vals[1].clone(), &mut out);
        if pushed {
            self.ex.overlays.pop();
        }
        r.map_err(|e| ExecError {
            message: format!(
                "error during tpl function execution for {}: {}",
                go_quote(&text),
                e.message
            ),
            ..e
        })?;
        Ok(Value::from(out.replace("<no value>", "")))
    }

    fn lookup(&mut self, vals: &[Value]) -> R<Value> {
        check_args("lookup", vals, 4, 4)?;
        let s: Vec<String> = vals.iter().map(value::go_string).collect();
        match self.ex.host.lookup([&s[0], &s[1], &s[2], &s[3]]) {
            None => Ok(funcs::Dict::value(Default::default())),
            Some(r) => r.map_err(plain),
        }
    }
}

/// The signature Go checks a call to `name` against before running it (its count, and the
/// types of its typed parameters): [`signature::of`], else as many untyped parameters as
/// the helper table says; `None` for a function whose count Go does not fix this way.
fn go_signature(name: &str) -> Option<Signature> {
    match name {
        // Variadic in Go, with a count check of their own inside.
        "slice" | "eq" | "call" => Signature::untyped(1, true),
        "dig" => Signature::untyped(0, true),
        _ => signature::of(name).or_else(|| match table().get(name).map(|h| (h.min, h.max))? {
            (min, MANY) => Signature::untyped(min, true),
            (min, max) if min == max => Signature::untyped(min, false),
            _ => None,
        }),
    }
}

/// [`go_signature`] of every function, made once: a call looks its function up here.
fn signatures() -> &'static FxHashMap<&'static str, Signature> {
    static S: LazyLock<FxHashMap<&'static str, Signature>> = LazyLock::new(|| {
        (table().keys().copied())
            .chain(HELM.iter().copied())
            .chain(BUILTINS.iter().copied())
            .filter_map(|name| Some((name, go_signature(name)?)))
            .collect()
    });
    &S
}

fn check_args(name: &str, vals: &[Value], min: usize, max: usize) -> R<()> {
    if vals.len() < min || vals.len() > max {
        let want = if min == max {
            min.to_string()
        } else if max == MANY {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(plain(format!(
            "wrong number of args for {name}: want {want} got {}",
            vals.len()
        )));
    }
    Ok(())
}

/// Helm's `required`: nil or `""` fails with the message.
fn required(vals: &[Value]) -> R<Value> {
    check_args("required", vals, 2, 2)?;
    let v = &vals[1];
    if value::is_nil(v) || v.as_str() == Some("") {
        let msg = value::str_arg(&vals[0]);
        return Err(ExecError {
            message: msg.clone(),
            origin: None,
            user: Some(msg),
            budget: false,
        });
    }
    Ok(v.clone())
}

/// The message of a helper's error (minijinja errors carry it as their detail).
/// A key of a map value, or `None` when absent.
pub fn lookup_key(v: &Value, key: &str) -> Option<Value> {
    if let Some(d) = v.downcast_object_ref::<funcs::Dict>() {
        return d.get(key);
    }
    let x = v.get_attr(key).ok()?;
    if x.is_undefined() { None } else { Some(x) }
}

/// Go's truth: nil, false, zero numbers, empty strings, lists and maps are false.
pub fn truth(v: &Value) -> bool {
    !value::is_empty(v)
}

/// What `{{ value }}` writes: Go's `fmt.Print` of the value, `<no value>` for nothing.
pub fn print_value(v: &Value, out: &mut String) {
    if let Some(s) = v.as_str() {
        out.push_str(s);
        return;
    }
    if let Some(k) = v
        .as_object()
        .and_then(|o| o.downcast_ref::<crate::engine::objects::KubeVersionObj>())
    {
        out.push_str(&k.version);
        return;
    }
    out.push_str(&value::go_print(v));
}
