//! The parser of Go's text/template: tokens from [`super::lex`] into a tree of
//! [`Node`]s, with Go's rules: `define` only at the top level, `else if` / `else with`
//! chains sharing one `end`, variables declared before use (`$` always exists), functions
//! known at parse time, `break`/`continue` only inside `range`, numbers typed as Go types
//! untyped constants, and strings unquoted with Go's escapes.
//!
//! A source parses into its own tree (the file) plus the named templates it defines.

use super::lex::{self, Kind, Token};
use rustc_hash::FxHashMap;
use std::fmt;
use std::sync::Arc;

/// A parsed template: its name, its source (for positions and excerpts) and its body.
/// Cloning one shares its parts.
#[derive(Debug, Clone)]
pub struct Tree {
    /// Name the template is known by (a file's full name, or a `define`'s name).
    pub name: Arc<str>,
    /// The file the template was written in (its parse name).
    pub file: Arc<str>,
    /// That file's whole source.
    pub source: Arc<String>,
    /// The body (shared by the trees of identical sources, see [`Parsed::renamed`]).
    pub root: Arc<[Node]>,
}

impl Tree {
    /// Whether the body is only whitespace text (Go's `IsEmptyTree`): such a tree never
    /// replaces an earlier template of the same name.
    pub fn is_empty(&self) -> bool {
        self.root.iter().all(|n| match n {
            Node::Text(t) => self.source[t.clone()].trim().is_empty(),
            _ => false,
        })
    }

    /// `line:col` of a byte offset (`col` counted in bytes from 0, as Go does).
    pub fn line_col(&self, pos: usize) -> (usize, usize) {
        line_col(&self.source, pos)
    }
}

/// `(line, column)` of a byte offset: line from 1, column in bytes from 0 (Go's form).
pub fn line_col(source: &str, pos: usize) -> (usize, usize) {
    let before = &source[..pos.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let col = match before.rfind('\n') {
        Some(nl) => pos - nl - 1,
        None => pos,
    };
    (line, col)
}

/// A node of a template body.
#[derive(Debug)]
pub enum Node {
    /// Text copied to the output: where it is in the tree's source (not a copy of it: a
    /// CRD template is megabytes of text).
    Text(std::ops::Range<usize>),
    /// `{{ pipeline }}`: printed unless it declares variables.
    Action(Box<Pipe>),
    /// `{{ if }}` (and `else if`, nested in the else list).
    If(Box<Control>),
    /// `{{ with }}` (and `else with`).
    With(Box<Control>),
    /// `{{ range }}`.
    Range(Box<Control>),
    /// `{{ template "name" pipeline }}`.
    Template(Box<TemplateCall>),
    /// `{{ break }}`.
    Break(usize),
    /// `{{ continue }}`.
    Continue(usize),
}

/// The parts of `{{ template "name" pipeline }}`.
#[derive(Debug)]
pub struct TemplateCall {
    /// Where the action starts.
    pub pos: usize,
    /// The template to run.
    pub name: Box<str>,
    /// Its data (`nil` data when absent).
    pub pipe: Option<Pipe>,
}

/// The parts of `if`, `with` and `range`.
#[derive(Debug)]
pub struct Control {
    /// Where the action starts.
    pub pos: usize,
    /// The condition (or the ranged value).
    pub pipe: Pipe,
    /// The body.
    pub list: Box<[Node]>,
    /// The `else` body.
    pub else_list: Option<Box<[Node]>>,
}

/// A pipeline: optional variable declarations, then commands joined by `|`.
#[derive(Debug)]
pub struct Pipe {
    /// Where it starts.
    pub pos: usize,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Variables declared (or assigned), in order.
    pub decl: Box<[Box<str>]>,
    /// The commands.
    pub cmds: Box<[Command]>,
}

/// One command: a function or a value, with arguments.
#[derive(Debug)]
pub struct Command {
    /// Where it starts.
    pub pos: usize,
    /// The words.
    pub args: Box<[Arg]>,
}

/// A field name (`.Values` is the name `Values`): one shared string per distinct name in
/// a source, as charts name the same few fields thousands of times.
pub type Name = Arc<str>;

/// A word of a command.
#[derive(Debug)]
pub enum Arg {
    /// `.A.B`.
    Field {
        /// Where it starts.
        pos: usize,
        /// The names.
        idents: Box<[Name]>,
    },
    /// `$x.A.B`.
    Variable {
        /// Where it starts.
        pos: usize,
        /// The variable (`$`, `$x`).
        name: Box<str>,
        /// The fields after it.
        fields: Box<[Name]>,
    },
    /// `(pipeline).A.B`, or a field of another word.
    Chain {
        /// Where it starts.
        pos: usize,
        /// The word whose fields are read.
        node: Box<Arg>,
        /// The fields.
        fields: Box<[Name]>,
    },
    /// `.`.
    Dot(usize),
    /// `nil`.
    Nil(usize),
    /// `true`/`false`.
    Bool(usize, bool),
    /// A number.
    Number(usize, Box<Number>),
    /// A string constant (unquoted).
    String(usize, Box<str>),
    /// A function name.
    Ident(usize, Box<str>),
    /// `( pipeline )`.
    Pipe(usize, Box<Pipe>),
}

impl Arg {
    /// Where the word starts.
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. } | Arg::Variable { pos, .. } | Arg::Chain { pos, .. } => *pos,
            Arg::Dot(p)
            | Arg::Nil(p)
            | Arg::Bool(p, _)
            | Arg::Number(p, _)
            | Arg::String(p, _)
            | Arg::Ident(p, _)
            | Arg::Pipe(p, _) => *p,
        }
    }
}

/// A number constant, typed as Go types an untyped constant with no context.
#[derive(Debug, Clone)]
pub struct Number {
    /// As written.
    pub text: Box<str>,
    /// Its value as Go's `int` would hold it, when it is an integer.
    pub int: Option<i64>,
    /// Its value as a float64, when it has one.
    pub float: Option<f64>,
    /// Whether Go makes it a float64 (it is written with `.`, `e` or `p`) rather than an int.
    pub is_float: bool,
}

// --- Go's String() forms, used in error messages (`at <.Values.x>`) -------------------------

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable { name, fields, .. } => {
                f.write_str(name)?;
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                write!(f, "{node}")?;
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(_, n) => f.write_str(&n.text),
            Arg::String(_, s) => f.write_str(&super::exec::go_quote(s)),
            Arg::Ident(_, s) => f.write_str(s),
            Arg::Pipe(_, p) => write!(f, "({p})"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// A parse error: Go's message and the byte offset it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Go's wording (`unexpected "}" in operand`, `function "x" not defined`).
    pub message: String,
    /// Byte offset in the source.
    pub pos: usize,
}

/// The result of parsing one source: the file's own tree and the templates it defines.
#[derive(Debug)]
pub struct Parsed {
    /// The file's body (without its `define` blocks).
    pub main: Tree,
    /// Each `define`/`block`, in order.
    pub defines: Vec<Arc<Tree>>,
}

impl Parsed {
    /// What parsing the same source as the file `name` gives, without parsing it again:
    /// the same bodies, the file's own name (in positions and `.Template` names).
    pub fn renamed(&self, name: &str) -> Parsed {
        let file: Arc<str> = Arc::from(name);
        let tree = |t: &Tree, name: &Arc<str>| Tree {
            name: name.clone(),
            file: file.clone(),
            source: t.source.clone(),
            root: t.root.clone(),
        };
        Parsed {
            main: tree(&self.main, &file),
            defines: (self.defines.iter())
                .map(|d| Arc::new(tree(d, &d.name)))
                .collect(),
        }
    }
}

/// Parse `source` as the template `name`. `has_function` says whether a function name
/// exists (Go refuses unknown functions when parsing).
pub fn parse(
    name: &str,
    source: Arc<String>,
    has_function: &dyn Fn(&str) -> bool,
) -> Result<Parsed, ParseError> {
    let src: &str = &source;
    let tokens = lex::lex(src).map_err(|e| ParseError {
        message: e.message,
        pos: e.pos,
    })?;
    let file: Arc<str> = Arc::from(name);
    let mut p = Parser {
        tokens,
        i: 0,
        vars: vec!["$"],
        vars_base: 0,
        nodes: Vec::new(),
        cmds: Vec::new(),
        args: Vec::new(),
        names: FxHashMap::default(),
        range_depth: 0,
        has_function,
        defines: Vec::new(),
        file: file.clone(),
        source: source.clone(),
    };
    let root = p.top()?;
    Ok(Parsed {
        main: Tree {
            name: file.clone(),
            file,
            source: source.clone(),
            root: root.into(),
        },
        defines: p.defines,
    })
}

/// The parser's state. Lists (nodes, commands, words) are built on stacks shared by the
/// whole parse and moved out, exactly sized, when complete: a chart's templates are
/// hundreds of kilobytes of actions, and growing a list per action cost a third of the
/// parse's memory.
struct Parser<'a, 'f> {
    tokens: lex::Tokens<'a>,
    i: usize,
    /// Variables in scope: those from `vars_base` on (a `define` starts a scope of its own).
    vars: Vec<&'a str>,
    vars_base: usize,
    nodes: Vec<Node>,
    cmds: Vec<Command>,
    args: Vec<Arg>,
    /// The field names seen so far, each shared by its uses.
    names: FxHashMap<&'a str, Name>,
    range_depth: usize,
    has_function: &'f dyn Fn(&str) -> bool,
    defines: Vec<Arc<Tree>>,
    file: Arc<str>,
    source: Arc<String>,
}

/// What ended a list of items.
enum End {
    End(#[allow(dead_code)] usize),
    Else(usize),
}

type PResult<T> = Result<T, ParseError>;

impl<'a> Parser<'a, '_> {
    fn err<T>(&self, pos: usize, message: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            message: message.into(),
            pos,
        })
    }

    fn next(&mut self) -> Token<'a> {
        let t = self.tokens.get(self.i);
        if self.i + 1 < self.tokens.len() {
            self.i += 1;
        }
        t
    }

    fn peek(&self) -> Token<'a> {
        self.tokens.get(self.i)
    }

    fn backup(&mut self) {
        self.i -= 1;
    }

    /// The shared string for a field name.
    fn name(&mut self, text: &'a str) -> Name {
        self.names
            .entry(text)
            .or_insert_with(|| Arc::from(text))
            .clone()
    }

    /// The field names of the `n` field tokens that follow, after `first`.
    fn fields(&mut self, first: Option<Name>, n: usize) -> Box<[Name]> {
        let mut v = Vec::with_capacity(usize::from(first.is_some()) + n);
        v.extend(first);
        for _ in 0..n {
            let t = self.next();
            v.push(self.name(&t.text[1..]));
        }
        v.into_boxed_slice()
    }

    /// How many field tokens follow (`.B.C` after `.A` or `$x`).
    fn trailing_fields(&self) -> usize {
        (self.tokens.kinds_from(self.i))
            .take_while(|k| *k == Kind::Field)
            .count()
    }

    /// Whether `$name` is in scope.
    fn has_var(&self, name: &str) -> bool {
        self.vars[self.vars_base..].contains(&name)
    }

    /// Enter the scope of a `define` or `block` body, where only `$` exists.
    fn enter_template_scope(&mut self) -> usize {
        let saved = self.vars_base;
        self.vars_base = self.vars.len();
        self.vars.push("$");
        saved
    }

    fn leave_template_scope(&mut self, saved: usize) {
        self.vars.truncate(self.vars_base);
        self.vars_base = saved;
    }

    /// The nodes pushed since `mark`, as a list.
    fn take_nodes(&mut self, mark: usize) -> Box<[Node]> {
        self.nodes.drain(mark..).collect()
    }

    fn next_non_space(&mut self) -> Token<'a> {
        loop {
            let t = self.next();
            if t.kind != Kind::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token<'a> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn unexpected<T>(&self, t: Token, context: &str) -> PResult<T> {
        if t.kind == Kind::Eof {
            return self.err(t.pos, format!("unexpected EOF in {context}"));
        }
        self.err(t.pos, format!("unexpected {t} in {context}"))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Token<'a>> {
        let t = self.next_non_space();
        if t.kind != kind {
            return self.unexpected(t, context);
        }
        Ok(t)
    }

    /// The top level: text, actions and `define`s, to the end of the input.
    fn top(&mut self) -> PResult<Box<[Node]>> {
        let mark = self.nodes.len();
        loop {
            let t = self.peek();
            match t.kind {
                Kind::Eof => return Ok(self.take_nodes(mark)),
                Kind::LeftDelim => {
                    let save = self.i;
                    self.next();
                    let k = self.next_non_space();
                    if k.kind == Kind::Keyword && k.text == "define" {
                        self.definition()?;
                        continue;
                    }
                    self.i = save;
                }
                _ => {}
            }
            match self.text_or_action()? {
                Item::Node(n) => self.nodes.push(n),
                Item::End(pos) => return self.err(pos, "unexpected {{end}}"),
                Item::Else(pos) => return self.err(pos, "unexpected {{else}}"),
            }
        }
    }

    fn definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let name_tok = self.next_non_space();
        if !matches!(name_tok.kind, Kind::String | Kind::RawString) {
            return self.unexpected(name_tok, context);
        }
        let name = unquote(name_tok.text).map_err(|m| ParseError {
            message: m,
            pos: name_tok.pos,
        })?;
        self.expect(Kind::RightDelim, context)?;
        let saved = self.enter_template_scope();
        let (list, end) = self.item_list()?;
        self.leave_template_scope(saved);
        if let End::Else(pos) = end {
            return self.err(pos, format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add_define(name, list, name_tok.pos)
    }

    fn add_define(&mut self, name: String, root: Box<[Node]>, pos: usize) -> PResult<()> {
        let tree = Tree {
            name: Arc::from(name.as_str()),
            file: self.file.clone(),
            source: self.source.clone(),
            root: root.into(),
        };
        if let Some(old) = self.defines.iter_mut().find(|t| *t.name == *name) {
            if old.is_empty() {
                *old = Arc::new(tree);
            } else if !tree.is_empty() {
                return self.err(
                    pos,
                    format!("template: multiple definition of template {name:?}"),
                );
            }
            return Ok(());
        }
        self.defines.push(Arc::new(tree));
        Ok(())
    }

    /// Items up to `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> PResult<(Box<[Node]>, End)> {
        let mark = self.nodes.len();
        loop {
            if self.peek_non_space().kind == Kind::Eof {
                let t = self.peek_non_space();
                return self.err(t.pos, "unexpected EOF");
            }
            match self.text_or_action()? {
                Item::Node(n) => self.nodes.push(n),
                Item::End(pos) => return Ok((self.take_nodes(mark), End::End(pos))),
                Item::Else(pos) => return Ok((self.take_nodes(mark), End::Else(pos))),
            }
        }
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Text => {
                // Token texts are slices of the source.
                let start = t.text.as_ptr() as usize - self.source.as_ptr() as usize;
                Ok(Item::Node(Node::Text(start..start + t.text.len())))
            }
            Kind::LeftDelim => self.action(),
            _ => self.unexpected(t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        if t.kind == Kind::Keyword {
            return match t.text {
                "block" => self.block(t.pos),
                "break" => self.break_continue(t.pos, true),
                "continue" => self.break_continue(t.pos, false),
                "else" => self.else_control(t.pos),
                "end" => {
                    self.expect(Kind::RightDelim, "end")?;
                    Ok(Item::End(t.pos))
                }
                "if" => (self.if_control(t.pos)).map(|c| Item::Node(Node::If(Box::new(c)))),
                "range" => self.range_control(t.pos),
                "template" => self.template_control(t.pos),
                "with" => (self.with_control(t.pos)).map(|c| Item::Node(Node::With(Box::new(c)))),
                _ => self.unexpected(t, "command"),
            };
        }
        self.backup();
        let pipe = self.pipeline("command", Kind::RightDelim)?;
        Ok(Item::Node(Node::Action(Box::new(pipe))))
    }

    fn break_continue(&mut self, pos: usize, brk: bool) -> PResult<Item> {
        let word = if brk { "break" } else { "continue" };
        let t = self.next_non_space();
        if t.kind != Kind::RightDelim {
            return self.unexpected(t, &format!("{{{{{word}}}}}"));
        }
        if self.range_depth == 0 {
            return self.err(pos, format!("{{{{{word}}}}} outside {{{{range}}}}"));
        }
        Ok(Item::Node(if brk {
            Node::Break(pos)
        } else {
            Node::Continue(pos)
        }))
    }

    fn else_control(&mut self, pos: usize) -> PResult<Item> {
        let p = self.peek_non_space();
        // `else if` / `else with`: the caller turns the rest into a nested control.
        if p.kind == Kind::Keyword && (p.text == "if" || p.text == "with") {
            return Ok(Item::Else(pos));
        }
        self.expect(Kind::RightDelim, "else")?;
        Ok(Item::Else(pos))
    }

    /// The parts of a control structure, after its keyword. `chain` is the keyword an
    /// `else` may be followed by (`if` or `with`).
    fn control(&mut self, pos: usize, context: &str, chain: Option<&str>) -> PResult<Control> {
        let mark = self.vars.len();
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let else_list = match end {
            End::End(_) => None,
            End::Else(else_pos) => {
                let p = self.peek_non_space();
                if let Some(kw) = chain
                    && p.kind == Kind::Keyword
                    && p.text == kw
                {
                    // `{{else if …}}`: an `if` inside the else list; its `end` is ours.
                    self.next_non_space();
                    let nested = Box::new(self.control(else_pos, context, chain)?);
                    Some(Box::new([if kw == "if" {
                        Node::If(nested)
                    } else {
                        Node::With(nested)
                    }]) as Box<[Node]>)
                } else {
                    if p.kind == Kind::Keyword && (p.text == "if" || p.text == "with") {
                        return self.unexpected(p, context);
                    }
                    let (else_list, end) = self.item_list()?;
                    if let End::Else(p) = end {
                        return self.err(p, "expected end; found {{else}}");
                    }
                    Some(else_list)
                }
            }
        };
        self.vars.truncate(mark);
        Ok(Control {
            pos,
            pipe,
            list,
            else_list,
        })
    }

    fn if_control(&mut self, pos: usize) -> PResult<Control> {
        self.control(pos, "if", Some("if"))
    }

    fn with_control(&mut self, pos: usize) -> PResult<Control> {
        self.control(pos, "with", Some("with"))
    }

    fn range_control(&mut self, pos: usize) -> PResult<Item> {
        let control = self.control(pos, "range", None)?;
        Ok(Item::Node(Node::Range(Box::new(control))))
    }

    /// The quoted name of `template`/`block`, and where it is (the node's position in Go).
    fn template_name(&mut self, context: &str) -> PResult<(String, usize)> {
        let t = self.next_non_space();
        match t.kind {
            Kind::String | Kind::RawString => {
                unquote(t.text).map(|n| (n, t.pos)).map_err(|m| ParseError {
                    message: m,
                    pos: t.pos,
                })
            }
            _ => self.unexpected(t, context),
        }
    }

    fn template_control(&mut self, _pos: usize) -> PResult<Item> {
        let context = "template clause";
        let (name, pos) = self.template_name(context)?;
        let pipe = if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            Some(self.pipeline(context, Kind::RightDelim)?)
        } else {
            None
        };
        Ok(Item::Node(Node::Template(Box::new(TemplateCall {
            pos,
            name: name.into(),
            pipe,
        }))))
    }

    /// `{{block "name" pipeline}} body {{end}}`: defines `name` and runs it here.
    fn block(&mut self, _pos: usize) -> PResult<Item> {
        let context = "block clause";
        let (name, pos) = self.template_name(context)?;
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        let saved = self.enter_template_scope();
        let (list, end) = self.item_list()?;
        self.leave_template_scope(saved);
        if let End::Else(p) = end {
            return self.err(p, format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add_define(name.clone(), list, pos)?;
        Ok(Item::Node(Node::Template(Box::new(TemplateCall {
            pos,
            name: name.into(),
            pipe: Some(pipe),
        }))))
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipe> {
        let pos = self.peek_non_space().pos;
        let mut is_assign = false;
        let mut decl: Vec<Box<str>> = Vec::new();
        // Variable declarations: `$x :=`, `$x =`, and in range `$i, $v :=`.
        'decls: loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            let save = self.i;
            self.next_non_space();
            let next = self.next();
            let after = if next.kind == Kind::Space {
                self.next_non_space()
            } else {
                next
            };
            match after.kind {
                Kind::Declare | Kind::Assign => {
                    is_assign = after.kind == Kind::Assign;
                    if is_assign {
                        if !self.has_var(v.text) {
                            return self.err(v.pos, format!("undefined variable {:?}", v.text));
                        }
                    } else {
                        self.vars.push(v.text);
                    }
                    decl.push(v.text.into());
                    break 'decls;
                }
                Kind::Char if after.text == "," => {
                    if context == "range" && decl.is_empty() {
                        self.vars.push(v.text);
                        decl.push(v.text.into());
                        continue 'decls;
                    }
                    return self.err(after.pos, format!("too many declarations in {context}"));
                }
                _ => {}
            }
            if !decl.is_empty() {
                return self.err(v.pos, format!("missing := or = in {context}"));
            }
            self.i = save;
            break;
        }
        let mark = self.cmds.len();
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                let pipe = Pipe {
                    pos,
                    is_assign,
                    decl: decl.into_boxed_slice(),
                    cmds: self.cmds.drain(mark..).collect(),
                };
                self.check_pipeline(&pipe, context, t.pos)?;
                return Ok(pipe);
            }
            match t.kind {
                Kind::Bool
                | Kind::CharConstant
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    self.cmds.push(cmd);
                }
                _ => return self.unexpected(t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str, pos: usize) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.err(pos, format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            match c.args[0] {
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(..) | Arg::String(..) => {
                    return self.err(
                        c.pos,
                        format!("non executable command in pipeline stage {}", i + 1),
                    );
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mark = self.args.len();
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                self.args.push(op);
            }
            let t = self.next();
            match t.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return self.unexpected(t, "operand"),
            }
            break;
        }
        if self.args.len() == mark {
            return self.err(pos, "empty command");
        }
        Ok(Command {
            pos,
            args: self.args.drain(mark..).collect(),
        })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        // Go positions the whole chain at its first trailing field. (A field or a variable
        // took its trailing fields already, in `term`.)
        let chain_pos = self.peek().pos;
        let n = self.trailing_fields();
        Ok(Some(match node {
            Arg::Bool(..) | Arg::String(..) | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                return self.err(
                    chain_pos,
                    format!("unexpected . after term {:?}", node.to_string()),
                );
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields: self.fields(None, n),
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        Ok(Some(match t.kind {
            Kind::Identifier => {
                if !(self.has_function)(t.text) {
                    return self.err(t.pos, format!("function {:?} not defined", t.text));
                }
                Arg::Ident(t.pos, t.text.into())
            }
            Kind::Dot => Arg::Dot(t.pos),
            Kind::Nil => Arg::Nil(t.pos),
            // With its trailing fields, positioned at the first of them as Go does.
            Kind::Variable => {
                if !self.has_var(t.text) {
                    return self.err(t.pos, format!("undefined variable {:?}", t.text));
                }
                let n = self.trailing_fields();
                Arg::Variable {
                    pos: if n > 0 { self.peek().pos } else { t.pos },
                    name: t.text.into(),
                    fields: self.fields(None, n),
                }
            }
            Kind::Field => {
                let n = self.trailing_fields();
                let first = self.name(&t.text[1..]);
                Arg::Field {
                    pos: if n > 0 { self.peek().pos } else { t.pos },
                    idents: self.fields(Some(first), n),
                }
            }
            Kind::Bool => Arg::Bool(t.pos, t.text == "true"),
            Kind::CharConstant | Kind::Number => Arg::Number(
                t.pos,
                Box::new(number(t).map_err(|m| ParseError {
                    message: m,
                    pos: t.pos,
                })?),
            ),
            Kind::LeftParen => {
                let pipe = self.pipeline("parenthesized pipeline", Kind::RightParen)?;
                Arg::Pipe(t.pos, Box::new(pipe))
            }
            Kind::String | Kind::RawString => Arg::String(
                t.pos,
                unquote(t.text)
                    .map_err(|m| ParseError {
                        message: m,
                        pos: t.pos,
                    })?
                    .into(),
            ),
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

enum Item {
    Node(Node),
    End(#[allow(dead_code)] usize),
    Else(usize),
}

/// A number token as Go's parser reads it.
fn number(t: Token) -> Result<Number, String> {
    let text = t.text;
    if t.kind == Kind::CharConstant {
        let inner = &text[1..text.len() - 1];
        let (c, rest) = unquote_char(inner, '\'')?;
        if !rest.is_empty() {
            return Err(format!("malformed character constant: {text}"));
        }
        return Ok(Number {
            text: text.into(),
            int: Some(c as i64),
            float: Some(c as u32 as f64),
            is_float: false,
        });
    }
    if text.ends_with('i') {
        return Err(format!(
            "complex number {text}: kpack does not support complex numbers"
        ));
    }
    let int = parse_int(text);
    let float_syntax = !is_hex_int(text) && text.contains(['.', 'e', 'E', 'p', 'P']);
    let float = match int {
        Some(i) => Some(i as f64),
        None => {
            let f = parse_float(text);
            if f.is_some() && !text.contains(['.', 'e', 'E', 'p', 'P']) {
                return Err(format!("integer overflow: {text:?}"));
            }
            f
        }
    };
    if int.is_none() && float.is_none() {
        return Err(format!("illegal number syntax: {text:?}"));
    }
    Ok(Number {
        text: text.into(),
        int: int.or_else(|| {
            float.and_then(|f| (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64))
        }),
        float,
        is_float: float_syntax,
    })
}

fn is_hex_int(s: &str) -> bool {
    let s = s.trim_start_matches(['+', '-']);
    s.len() > 2 && (s.starts_with("0x") || s.starts_with("0X")) && !s.contains(['p', 'P'])
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits, prefixed) =
        if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
            (16, d, true)
        } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
            (8, d, true)
        } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
            (2, d, true)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..], true)
        } else {
            (10, body, false)
        };
    // Underscores only between digits, and only with base 0 (which this is).
    if digits.is_empty() || digits.starts_with('_') && !prefixed || digits.ends_with('_') {
        return None;
    }
    if digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() || clean.starts_with(['+', '-']) {
        return None;
    }
    let m = i128::from_str_radix(&clean, radix).ok()?;
    i64::try_from(if neg { -m } else { m }).ok()
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms the lexer lets through.
fn parse_float(s: &str) -> Option<f64> {
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let (neg, body) = match lower.as_bytes().first() {
        Some(b'-') => (true, &lower[1..]),
        Some(b'+') => (false, &lower[1..]),
        _ => (false, &lower[..]),
    };
    if let Some(hex) = body.strip_prefix("0x") {
        // Hex float: mantissa p exponent.
        let (mant, exp) = hex.split_once('p')?;
        let exp: i32 = exp.parse().ok()?;
        let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
        let mut v = 0f64;
        for c in int_part.chars() {
            v = v * 16.0 + c.to_digit(16)? as f64;
        }
        let mut scale = 1.0 / 16.0;
        for c in frac_part.chars() {
            v += c.to_digit(16)? as f64 * scale;
            scale /= 16.0;
        }
        let v = v * 2f64.powi(exp);
        return Some(if neg { -v } else { v });
    }
    if body.starts_with("0o")
        || body.starts_with("0b")
        || body.contains("inf")
        || body.contains("nan")
    {
        return None;
    }
    let v: f64 = body.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Go's `strconv.UnquoteChar`: one (possibly escaped) character of a quoted literal.
fn unquote_char(s: &str, quote: char) -> Result<(char, &str), String> {
    let mut chars = s.chars();
    let c = chars.next().ok_or("invalid syntax")?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err("invalid syntax".into());
    }
    if c != '\\' {
        return Ok((c, chars.as_str()));
    }
    let e = chars.next().ok_or("invalid syntax")?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' if e == quote => Some(e),
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((c, rest));
    }
    let hex = |n: usize| -> Result<(char, &str), String> {
        if rest.len() < n || !rest.is_char_boundary(n) {
            return Err("invalid syntax".into());
        }
        let v = u32::from_str_radix(&rest[..n], 16).map_err(|_| "invalid syntax")?;
        let c = char::from_u32(v).ok_or("invalid syntax")?;
        Ok((c, &rest[n..]))
    };
    match e {
        'x' => {
            let (c, r) = hex(2)?;
            Ok((c, r))
        }
        'u' => hex(4),
        'U' => hex(8),
        '0'..='7' => {
            let digits = format!("{e}{}", rest.get(..2).ok_or("invalid syntax")?);
            let v = u32::from_str_radix(&digits, 8).map_err(|_| "invalid syntax")?;
            if v > 255 {
                return Err("invalid syntax".into());
            }
            Ok((char::from_u32(v).ok_or("invalid syntax")?, &rest[2..]))
        }
        _ => Err("invalid syntax".into()),
    }
}

/// Go's `strconv.Unquote` for `"…"` and `` `…` `` literals.
pub fn unquote(s: &str) -> Result<String, String> {
    if let Some(raw) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return Ok(raw.replace('\r', ""));
    }
    let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return Err("invalid syntax".into());
    };
    if !inner.contains('\\') {
        return Ok(inner.to_string());
    }
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while !rest.is_empty() {
        // \x escapes of bytes >= 0x80 make raw bytes in Go; kpack keeps them as characters.
        let (c, r) = unquote_char(rest, '"')?;
        out.push(c);
        rest = r;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Result<Parsed, ParseError> {
        parse("t", Arc::new(src.to_string()), &|f| f != "nosuch")
    }

    #[test]
    fn structures() {
        let parsed =
            p("a{{if .X}}b{{else if .Y}}c{{else}}d{{end}}{{define \"n\"}}x{{end}}").unwrap();
        assert_eq!(parsed.defines.len(), 1);
        assert_eq!(&*parsed.defines[0].name, "n");
        assert_eq!(parsed.main.root.len(), 2);
        let Node::If(c) = &parsed.main.root[1] else {
            panic!()
        };
        let Some(else_list) = &c.else_list else {
            panic!()
        };
        assert!(matches!(else_list[0], Node::If(_)));
    }

    #[test]
    fn a_renamed_copy_shares_the_bodies_under_its_own_name() {
        let parsed = p("a{{define \"n\"}}x{{end}}").unwrap();
        let copy = parsed.renamed("other/_lib.tpl");
        assert_eq!(
            (&*copy.main.name, &*copy.main.file),
            ("other/_lib.tpl", "other/_lib.tpl")
        );
        assert!(Arc::ptr_eq(&copy.main.root, &parsed.main.root));
        assert_eq!(
            (&*copy.defines[0].name, &*copy.defines[0].file),
            ("n", "other/_lib.tpl")
        );
        assert!(Arc::ptr_eq(&copy.defines[0].root, &parsed.defines[0].root));
        assert_eq!(&*parsed.defines[0].file, "t");
    }

    #[test]
    fn pipelines_print_as_go() {
        let parsed = p("{{ $x := .A.B | f (g $.C) \"s\" 1.5 | h }}").unwrap();
        let Node::Action(pipe) = &parsed.main.root[0] else {
            panic!()
        };
        assert_eq!(pipe.to_string(), "$x := .A.B | f (g $.C) \"s\" 1.5 | h");
    }

    #[test]
    fn errors() {
        assert_eq!(
            p("{{ nosuch }}").unwrap_err().message,
            "function \"nosuch\" not defined"
        );
        assert_eq!(
            p("{{ $y }}").unwrap_err().message,
            "undefined variable \"$y\""
        );
        assert_eq!(p("{{ if .X }}").unwrap_err().message, "unexpected EOF");
        assert_eq!(p("{{ end }}").unwrap_err().message, "unexpected {{end}}");
        assert_eq!(
            p("{{ break }}").unwrap_err().message,
            "{{break}} outside {{range}}"
        );
        assert_eq!(p("{{ }}").unwrap_err().message, "missing value for command");
        assert_eq!(
            p("{{ .X | 3 }}").unwrap_err().message,
            "non executable command in pipeline stage 2"
        );
    }

    #[test]
    fn numbers() {
        let n = |s: &str| {
            number(Token {
                kind: Kind::Number,
                text: s,
                pos: 0,
            })
            .unwrap()
        };
        assert_eq!(n("0755").int, Some(493));
        assert_eq!(n("0x1F").int, Some(31));
        assert!(n("1.0").is_float);
        assert_eq!(n("1e3").float, Some(1000.0));
        assert_eq!(n("1_000").int, Some(1000));
        assert!(!n("10").is_float);
    }

    #[test]
    fn strings() {
        assert_eq!(unquote(r#""a\n\"b\"\x41\u00e9""#).unwrap(), "a\n\"b\"Aé");
        assert_eq!(unquote("`a\\n`").unwrap(), "a\\n");
    }
}
