//! Go's `text/template`, as far as `--format` uses it in Docker's CLI.
//!
//! Actions: `{{.Field.Sub}}`, `{{.}}`, variables (`{{$x := .A}}`, `{{$x.B}}`), pipelines
//! (`{{.A | upper}}`), parentheses, `if`/`else if`/`else`, `range` (with `$i, $v :=`),
//! `with`, comments and `{{-`/`-}}` trimming. Functions: Go's `and or not len index print
//! printf println eq ne lt le gt ge`, Docker's `json split join title lower upper pad
//! truncate`, and the `.Label "key"` method of `ps` rows. `\t` and `\n` in the text are
//! turned into a tab and a newline, as Docker's CLI does.
//!
//! Values are JSON values and print as Go prints them: strings bare, lists `[a b]`, maps
//! `map[k:v]` with sorted keys, a missing field `<no value>`.
//!
//! We write this rather than use the `gtmpl` crate, which prints lists and maps in Rust's
//! debug form and in random order.

use serde_json::{Map, Value};

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    nodes: Vec<Node>,
}

/// A template that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid format template `{template}`: {reason}")]
pub struct TemplateError {
    template: String,
    reason: String,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Output(Pipeline),
    If {
        branches: Vec<(Pipeline, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
    Range {
        pipeline: Pipeline,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
    With {
        pipeline: Pipeline,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// `[$a, $b :=] command | command ...`
#[derive(Debug)]
struct Pipeline {
    variables: Vec<String>,
    /// `=` rather than `:=`: assigns a variable declared earlier.
    commands: Vec<Vec<Operand>>,
}

#[derive(Debug, Clone)]
enum Operand {
    /// `.A.B`; `.` is the empty path.
    Field(Vec<String>),
    /// `$x.A.B`; `$` alone is the template's data.
    Variable(String, Vec<String>),
    Function(String),
    Literal(Value),
    Nested(Box<PipelineOperand>),
}

#[derive(Debug, Clone)]
struct PipelineOperand {
    commands: Vec<Vec<Operand>>,
    path: Vec<String>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let fail = |reason: String| TemplateError {
            template: text.to_owned(),
            reason,
        };
        let unescaped = text.replace("\\t", "\t").replace("\\n", "\n");
        let items = split_actions(&unescaped).map_err(fail)?;
        let mut parser = Parser { items, at: 0 };
        let (nodes, end) = parser.block().map_err(fail)?;
        match end {
            Terminator::Eof => Ok(Template { nodes }),
            Terminator::End => Err(fail("unexpected {{end}}".into())),
            Terminator::Else(_) => Err(fail("unexpected {{else}}".into())),
        }
    }

    pub fn render(&self, value: &Value) -> anyhow::Result<String> {
        let mut scope = Scope {
            variables: vec![("$".to_owned(), value.clone())],
        };
        let mut out = String::new();
        render_nodes(&self.nodes, value, &mut scope, &mut out)?;
        Ok(out)
    }
}

// ---- lexing: text and actions ----

#[derive(Debug)]
enum Item {
    Text(String),
    Action(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Field(Vec<String>),
    Variable(String, Vec<String>),
    Ident(String),
    Str(String),
    Number(Value),
    Pipe,
    Open,
    /// `)` followed directly by `.A.B` fields, if any.
    Close(Vec<String>),
    Declare,
    Assign,
    Comma,
}

fn split_actions(text: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut rest = text;
    let mut trim_next_text = false;
    while let Some(start) = rest.find("{{") {
        let mut before = &rest[..start];
        if trim_next_text {
            before = before.trim_start();
        }
        let inner_start = start + 2;
        let trim_before = rest[inner_start..].starts_with("- ");
        if trim_before {
            before = before.trim_end();
        }
        if !before.is_empty() {
            items.push(Item::Text(before.to_owned()));
        }
        let body_start = inner_start + if trim_before { 1 } else { 0 };
        let end = find_action_end(&rest[body_start..])
            .ok_or_else(|| "unclosed action (missing `}}`)".to_owned())?
            + body_start;
        let mut body = &rest[body_start..end];
        trim_next_text = body.ends_with(" -");
        if trim_next_text {
            body = &body[..body.len() - 1];
        }
        let body = body.trim();
        if !(body.starts_with("/*") && body.ends_with("*/")) {
            items.push(Item::Action(tokenize(body)?));
        }
        rest = &rest[end + 2..];
    }
    let last = if trim_next_text {
        rest.trim_start()
    } else {
        rest
    };
    if !last.is_empty() {
        items.push(Item::Text(last.to_owned()));
    }
    Ok(items)
}

/// Where `}}` closes an action, skipping quoted strings.
fn find_action_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None if b == b'"' || b == b'`' => quote = Some(b),
            None if b == b'}' && bytes.get(i + 1) == Some(&b'}') => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

fn tokenize(body: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = body.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let word_char = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '|' => {
                tokens.push(Token::Pipe);
                i += 1;
            }
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                i += 1;
                let (path, next) = read_path(&chars, i);
                i = next;
                tokens.push(Token::Close(path));
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            ':' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(Token::Declare);
                i += 2;
            }
            '=' => {
                tokens.push(Token::Assign);
                i += 1;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\\') => {
                            i += 1;
                            match chars.get(i) {
                                Some('n') => s.push('\n'),
                                Some('t') => s.push('\t'),
                                Some(&other) => s.push(other),
                                None => return Err("unterminated string".into()),
                            }
                        }
                        Some(&other) => s.push(other),
                    }
                    i += 1;
                }
                i += 1;
                tokens.push(Token::Str(s));
            }
            '`' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '`')
                    .ok_or("unterminated raw string")?;
                tokens.push(Token::Str(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            '.' => {
                let (path, next) = read_path(&chars, i);
                if path.is_empty() {
                    if chars
                        .get(i + 1)
                        .is_some_and(|&c| !(c.is_whitespace() || c == ')' || c == '|'))
                    {
                        return Err(format!("bad character after `.` in `{body}`"));
                    }
                    i += 1;
                } else {
                    i = next;
                }
                tokens.push(Token::Field(path));
            }
            '$' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && word_char(chars[j]) {
                    j += 1;
                }
                let name: String = std::iter::once('$')
                    .chain(chars[start..j].iter().copied())
                    .collect();
                let (path, next) = read_path(&chars, j);
                tokens.push(Token::Variable(name, path));
                i = next;
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let number = if let Ok(n) = text.parse::<i64>() {
                    Value::from(n)
                } else {
                    text.parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                        .ok_or_else(|| format!("bad number `{text}`"))?
                };
                tokens.push(Token::Number(number));
            }
            c if word_char(c) => {
                let start = i;
                while i < chars.len() && word_char(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected `{other}` in `{{{{{body}}}}}`")),
        }
    }
    Ok(tokens)
}

/// Reads `.A.B` at `i` (nothing if no dot); returns the path and where it ended.
fn read_path(chars: &[char], mut i: usize) -> (Vec<String>, usize) {
    let mut path = Vec::new();
    while chars.get(i) == Some(&'.') {
        let start = i + 1;
        let mut j = start;
        while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        if j > start {
            path.push(chars[start..j].iter().collect());
        }
        i = j;
        if j == start {
            break;
        }
    }
    (path, i)
}

// ---- parsing ----

struct Parser {
    items: Vec<Item>,
    at: usize,
}

enum Terminator {
    Eof,
    End,
    /// `{{else}}` or `{{else if ...}}` / `{{else with ...}}`: the tokens after `else`.
    Else(Vec<Token>),
}

impl Parser {
    fn block(&mut self) -> Result<(Vec<Node>, Terminator), String> {
        let mut nodes = Vec::new();
        while self.at < self.items.len() {
            let item = std::mem::replace(&mut self.items[self.at], Item::Text(String::new()));
            self.at += 1;
            match item {
                Item::Text(text) => nodes.push(Node::Text(text)),
                Item::Action(tokens) => match tokens.first() {
                    Some(Token::Ident(word)) if word == "end" => {
                        return Ok((nodes, Terminator::End));
                    }
                    Some(Token::Ident(word)) if word == "else" => {
                        return Ok((nodes, Terminator::Else(tokens[1..].to_vec())));
                    }
                    Some(Token::Ident(word)) if word == "if" => {
                        nodes.push(self.if_node(&tokens[1..])?);
                    }
                    Some(Token::Ident(word)) if word == "range" || word == "with" => {
                        let pipeline = pipeline(&tokens[1..])?;
                        let (body, end) = self.block()?;
                        let otherwise = match end {
                            Terminator::End => Vec::new(),
                            Terminator::Else(rest) if rest.is_empty() => self.until_end()?,
                            Terminator::Else(_) => {
                                return Err(format!("`else if` inside {word} is not supported"));
                            }
                            Terminator::Eof => return Err(format!("{word} without {{{{end}}}}")),
                        };
                        nodes.push(if word == "range" {
                            Node::Range {
                                pipeline,
                                body,
                                otherwise,
                            }
                        } else {
                            Node::With {
                                pipeline,
                                body,
                                otherwise,
                            }
                        });
                    }
                    Some(Token::Ident(word))
                        if ["define", "template", "block", "break", "continue"]
                            .contains(&word.as_str()) =>
                    {
                        return Err(format!("`{word}` is not supported in --format"));
                    }
                    None => return Err("empty action `{{}}`".into()),
                    _ => nodes.push(Node::Output(pipeline(&tokens)?)),
                },
            }
        }
        Ok((nodes, Terminator::Eof))
    }

    fn if_node(&mut self, condition: &[Token]) -> Result<Node, String> {
        let mut branches = Vec::new();
        let mut condition = pipeline(condition)?;
        loop {
            let (body, end) = self.block()?;
            branches.push((condition, body));
            match end {
                Terminator::End => {
                    return Ok(Node::If {
                        branches,
                        otherwise: Vec::new(),
                    });
                }
                Terminator::Eof => return Err("if without {{end}}".into()),
                Terminator::Else(rest) if rest.is_empty() => {
                    return Ok(Node::If {
                        branches,
                        otherwise: self.until_end()?,
                    });
                }
                Terminator::Else(rest) => match rest.first() {
                    Some(Token::Ident(word)) if word == "if" => condition = pipeline(&rest[1..])?,
                    _ => return Err("only `else if` may follow else".into()),
                },
            }
        }
    }

    fn until_end(&mut self) -> Result<Vec<Node>, String> {
        match self.block()? {
            (nodes, Terminator::End) => Ok(nodes),
            _ => Err("else without {{end}}".into()),
        }
    }
}

fn pipeline(tokens: &[Token]) -> Result<Pipeline, String> {
    let mut variables = Vec::new();
    let mut rest = tokens;
    if let Some(at) = tokens
        .iter()
        .position(|t| matches!(t, Token::Declare | Token::Assign))
    {
        for token in &tokens[..at] {
            match token {
                Token::Variable(name, path) if path.is_empty() => variables.push(name.clone()),
                Token::Comma => {}
                _ => return Err("only variables can be declared".into()),
            }
        }
        rest = &tokens[at + 1..];
    }
    let mut at = 0;
    let commands = commands(rest, &mut at)?;
    if at != rest.len() {
        return Err("unexpected `)`".into());
    }
    Ok(Pipeline {
        variables,
        commands,
    })
}

/// Parses `cmd | cmd ...` from `tokens[*at..]` until the end or a `)`.
fn commands(tokens: &[Token], at: &mut usize) -> Result<Vec<Vec<Operand>>, String> {
    let mut commands = vec![Vec::new()];
    while *at < tokens.len() {
        let token = &tokens[*at];
        *at += 1;
        let operand = match token {
            Token::Pipe => {
                if commands.last().is_some_and(Vec::is_empty) {
                    return Err("missing command before `|`".into());
                }
                commands.push(Vec::new());
                continue;
            }
            Token::Close(_) => {
                *at -= 1;
                break;
            }
            Token::Field(path) => Operand::Field(path.clone()),
            Token::Variable(name, path) => Operand::Variable(name.clone(), path.clone()),
            Token::Str(s) => Operand::Literal(Value::String(s.clone())),
            Token::Number(n) => Operand::Literal(n.clone()),
            Token::Ident(word) => match word.as_str() {
                "true" => Operand::Literal(Value::Bool(true)),
                "false" => Operand::Literal(Value::Bool(false)),
                "nil" => Operand::Literal(Value::Null),
                name if FUNCTIONS.contains(&name) => Operand::Function(name.to_owned()),
                name => return Err(format!("function \"{name}\" not defined")),
            },
            Token::Open => {
                let inner = commands_in_parens(tokens, at)?;
                Operand::Nested(Box::new(inner))
            }
            Token::Declare | Token::Assign | Token::Comma => {
                return Err("unexpected `:=`, `=` or `,`".into());
            }
        };
        commands.last_mut().expect("never empty").push(operand);
    }
    if commands.iter().any(Vec::is_empty) {
        return Err("missing command".into());
    }
    Ok(commands)
}

fn commands_in_parens(tokens: &[Token], at: &mut usize) -> Result<PipelineOperand, String> {
    let commands = commands(tokens, at)?;
    match tokens.get(*at) {
        Some(Token::Close(path)) => {
            *at += 1;
            Ok(PipelineOperand {
                commands,
                path: path.clone(),
            })
        }
        _ => Err("unclosed `(`".into()),
    }
}

const FUNCTIONS: &[&str] = &[
    "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt",
    "ge", "json", "split", "join", "title", "lower", "upper", "pad", "truncate",
];

// ---- evaluation ----

struct Scope {
    variables: Vec<(String, Value)>,
}

impl Scope {
    fn get(&self, name: &str) -> anyhow::Result<&Value> {
        self.variables
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| anyhow::anyhow!("undefined variable {name}"))
    }

    fn set(&mut self, name: &str, value: Value) {
        self.variables.push((name.to_owned(), value));
    }
}

fn render_nodes(
    nodes: &[Node],
    dot: &Value,
    scope: &mut Scope,
    out: &mut String,
) -> anyhow::Result<()> {
    for node in nodes {
        let depth = scope.variables.len();
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Output(pipe) => {
                let value = run_pipeline(pipe, dot, scope)?;
                if pipe.variables.is_empty() {
                    out.push_str(&plain(&value));
                }
                // A declaration's variable lives to the end of the enclosing block.
                continue;
            }
            Node::If {
                branches,
                otherwise,
            } => {
                let mut done = false;
                for (condition, body) in branches {
                    if truthy(&run_pipeline(condition, dot, scope)?) {
                        render_nodes(body, dot, scope, out)?;
                        done = true;
                        break;
                    }
                }
                if !done {
                    render_nodes(otherwise, dot, scope, out)?;
                }
            }
            Node::With {
                pipeline,
                body,
                otherwise,
            } => {
                let value = run_pipeline(pipeline, dot, scope)?;
                if truthy(&value) {
                    render_nodes(body, &value, scope, out)?;
                } else {
                    render_nodes(otherwise, dot, scope, out)?;
                }
            }
            Node::Range {
                pipeline,
                body,
                otherwise,
            } => {
                let commands = Pipeline {
                    variables: Vec::new(),
                    commands: pipeline.commands.clone(),
                };
                let value = run_pipeline(&commands, dot, scope)?;
                let entries: Vec<(Value, Value)> = match value {
                    Value::Array(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (Value::from(i), v))
                        .collect(),
                    Value::Object(map) => {
                        let mut pairs: Vec<(String, Value)> = map.into_iter().collect();
                        pairs.sort_by(|a, b| a.0.cmp(&b.0));
                        pairs
                            .into_iter()
                            .map(|(k, v)| (Value::String(k), v))
                            .collect()
                    }
                    Value::Null => Vec::new(),
                    Value::Number(n) if n.as_u64().is_some() => (0..n.as_u64().unwrap_or(0))
                        .map(|i| (Value::from(i), Value::from(i)))
                        .collect(),
                    other => anyhow::bail!("range can't iterate over {}", plain(&other)),
                };
                if entries.is_empty() {
                    render_nodes(otherwise, dot, scope, out)?;
                }
                for (key, item) in entries {
                    let depth = scope.variables.len();
                    match pipeline.variables.as_slice() {
                        [] => {}
                        [value_var] => scope.set(value_var, item.clone()),
                        [key_var, value_var, ..] => {
                            scope.set(key_var, key);
                            scope.set(value_var, item.clone());
                        }
                    }
                    render_nodes(body, &item, scope, out)?;
                    scope.variables.truncate(depth);
                }
            }
        }
        scope.variables.truncate(depth);
    }
    Ok(())
}

fn run_pipeline(pipe: &Pipeline, dot: &Value, scope: &mut Scope) -> anyhow::Result<Value> {
    let value = run_commands(&pipe.commands, dot, scope)?;
    for name in &pipe.variables {
        scope.set(name, value.clone());
    }
    Ok(value)
}

fn run_commands(commands: &[Vec<Operand>], dot: &Value, scope: &Scope) -> anyhow::Result<Value> {
    let mut piped: Option<Value> = None;
    for command in commands {
        piped = Some(run_command(command, piped, dot, scope)?);
    }
    Ok(piped.unwrap_or(Value::Null))
}

fn run_command(
    command: &[Operand],
    piped: Option<Value>,
    dot: &Value,
    scope: &Scope,
) -> anyhow::Result<Value> {
    let (first, rest) = command.split_first().expect("commands are never empty");
    match first {
        Operand::Function(name) => {
            let mut args = rest
                .iter()
                .map(|operand| evaluate(operand, dot, scope))
                .collect::<anyhow::Result<Vec<_>>>()?;
            args.extend(piped);
            call(name, &args)
        }
        // `.Label "key"`: the method of Docker's `ps` rows.
        Operand::Field(path) if path.last().is_some_and(|p| p == "Label") && !rest.is_empty() => {
            let receiver = lookup(dot, &path[..path.len() - 1]);
            let key = evaluate(&rest[0], dot, scope)?;
            Ok(label(&receiver, &plain(&key)))
        }
        operand => {
            if !rest.is_empty() || piped.is_some() {
                anyhow::bail!("can't give arguments to a field or value");
            }
            evaluate(operand, dot, scope)
        }
    }
}

fn evaluate(operand: &Operand, dot: &Value, scope: &Scope) -> anyhow::Result<Value> {
    Ok(match operand {
        Operand::Field(path) => lookup(dot, path),
        Operand::Variable(name, path) => lookup(scope.get(name)?, path),
        Operand::Literal(value) => value.clone(),
        Operand::Function(name) => call(name, &[])?,
        Operand::Nested(inner) => lookup(&run_commands(&inner.commands, dot, scope)?, &inner.path),
    })
}

fn lookup(value: &Value, path: &[String]) -> Value {
    let mut value = value;
    for key in path {
        match value.get(key) {
            Some(next) => value = next,
            None => return Value::Null,
        }
    }
    value.clone()
}

/// A label of a `ps` row, whose `Labels` is `k=v,k2=v2` (or a map).
fn label(row: &Value, key: &str) -> Value {
    match row.get("Labels") {
        Some(Value::Object(map)) => map
            .get(key)
            .cloned()
            .unwrap_or(Value::String(String::new())),
        Some(Value::String(text)) => text
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| Value::String(v.to_owned()))
            .unwrap_or(Value::String(String::new())),
        _ => Value::String(String::new()),
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn call(name: &str, args: &[Value]) -> anyhow::Result<Value> {
    let arity = |n: usize| -> anyhow::Result<()> {
        if args.len() != n {
            anyhow::bail!(
                "wrong number of args for {name}: want {n} got {}",
                args.len()
            );
        }
        Ok(())
    };
    let text = |i: usize| plain(&args[i]);
    Ok(match name {
        "and" => args
            .iter()
            .find(|v| !truthy(v))
            .or(args.last())
            .cloned()
            .unwrap_or(Value::Null),
        "or" => args
            .iter()
            .find(|v| truthy(v))
            .or(args.last())
            .cloned()
            .unwrap_or(Value::Null),
        "not" => {
            arity(1)?;
            Value::Bool(!truthy(&args[0]))
        }
        "len" => {
            arity(1)?;
            Value::from(match &args[0] {
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                Value::String(s) => s.len(),
                Value::Null => 0,
                other => anyhow::bail!("len of {}", plain(other)),
            })
        }
        "index" => {
            if args.is_empty() {
                anyhow::bail!("wrong number of args for index");
            }
            let mut value = args[0].clone();
            for key in &args[1..] {
                value = match (&value, key) {
                    (Value::Array(items), Value::Number(n)) => n
                        .as_u64()
                        .and_then(|i| items.get(i as usize))
                        .cloned()
                        .ok_or_else(|| anyhow::anyhow!("index out of range: {n}"))?,
                    (Value::Object(map), key) => {
                        map.get(&plain(key)).cloned().unwrap_or(Value::Null)
                    }
                    (Value::Null, _) => Value::Null,
                    (other, _) => anyhow::bail!("can't index {}", plain(other)),
                };
            }
            value
        }
        "print" => Value::String(go_print(args)),
        "println" => {
            let words: Vec<String> = args.iter().map(plain).collect();
            Value::String(words.join(" ") + "\n")
        }
        "printf" => {
            if args.is_empty() {
                anyhow::bail!("wrong number of args for printf");
            }
            Value::String(printf(&text(0), &args[1..]))
        }
        "eq" => {
            if args.len() < 2 {
                anyhow::bail!("wrong number of args for eq");
            }
            Value::Bool(args[1..].iter().any(|v| equal(&args[0], v)))
        }
        "ne" => {
            arity(2)?;
            Value::Bool(!equal(&args[0], &args[1]))
        }
        "lt" | "le" | "gt" | "ge" => {
            arity(2)?;
            let order = compare(&args[0], &args[1])
                .ok_or_else(|| anyhow::anyhow!("incompatible types for comparison"))?;
            Value::Bool(match name {
                "lt" => order.is_lt(),
                "le" => order.is_le(),
                "gt" => order.is_gt(),
                _ => order.is_ge(),
            })
        }
        "json" => {
            arity(1)?;
            Value::String(serde_json::to_string(&args[0])?)
        }
        "split" => {
            arity(2)?;
            Value::Array(
                text(0)
                    .split(&text(1))
                    .map(|s| Value::String(s.into()))
                    .collect(),
            )
        }
        "join" => {
            arity(2)?;
            match &args[0] {
                Value::Array(items) => {
                    Value::String(items.iter().map(plain).collect::<Vec<_>>().join(&text(1)))
                }
                other => Value::String(plain(other)),
            }
        }
        "title" => {
            arity(1)?;
            Value::String(
                text(0)
                    .split(' ')
                    .map(|word| {
                        let mut chars = word.chars();
                        chars
                            .next()
                            .map(|c| c.to_uppercase().chain(chars).collect())
                            .unwrap_or_default()
                    })
                    .collect::<Vec<String>>()
                    .join(" "),
            )
        }
        "lower" => {
            arity(1)?;
            Value::String(text(0).to_lowercase())
        }
        "upper" => {
            arity(1)?;
            Value::String(text(0).to_uppercase())
        }
        "pad" => {
            arity(3)?;
            let n = |v: &Value| v.as_u64().unwrap_or(0) as usize;
            Value::String(format!(
                "{}{}{}",
                " ".repeat(n(&args[1])),
                text(0),
                " ".repeat(n(&args[2]))
            ))
        }
        "truncate" => {
            arity(2)?;
            let n = args[1].as_u64().unwrap_or(0) as usize;
            Value::String(text(0).chars().take(n).collect())
        }
        other => anyhow::bail!("function \"{other}\" not defined"),
    })
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
fn go_print(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 && !arg.is_string() && !args[i - 1].is_string() {
            out.push(' ');
        }
        out.push_str(&plain(arg));
    }
    out
}

/// Go's `fmt.Sprintf` for the verbs people use in formats: `%s %v %d %q %f %t %%`, with
/// flags `-`, `0` and a width (and a precision for `%f`).
fn printf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if "-+ 0#".contains(f) {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            precision = Some(digits.parse().unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        let body = match verb {
            'd' => match arg.as_i64() {
                Some(n) => n.to_string(),
                None => format!("%!d({})", plain(arg)),
            },
            'f' => match arg.as_f64() {
                Some(f) => format!("{f:.*}", precision.unwrap_or(6)),
                None => format!("%!f({})", plain(arg)),
            },
            'q' => serde_json::to_string(&plain(arg)).unwrap_or_default(),
            's' | 'v' | 't' => match precision {
                Some(p) => plain(arg).chars().take(p).collect(),
                None => plain(arg),
            },
            other => format!("%!{other}({})", plain(arg)),
        };
        let width: usize = width.parse().unwrap_or(0);
        let pad = width.saturating_sub(body.chars().count());
        if flags.contains('-') {
            out.push_str(&body);
            out.push_str(&" ".repeat(pad));
        } else if flags.contains('0') && matches!(verb, 'd' | 'f') {
            let (sign, digits) = body.split_at(usize::from(body.starts_with('-')));
            out.push_str(sign);
            out.push_str(&"0".repeat(pad));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&body);
        }
    }
    let extra: Vec<String> = args.map(plain).collect();
    if !extra.is_empty() {
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

/// A value as Go's template prints it: strings bare, lists as `[a b]`, maps as `map[k:v]`
/// with sorted keys, nothing at all as `<no value>`.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "<no value>".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(plain).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => format!("map[{}]", sorted_pairs(map).join(" ")),
        other => other.to_string(),
    }
}

fn sorted_pairs(map: &Map<String, Value>) -> Vec<String> {
    let mut pairs: Vec<(&String, &Value)> = map.iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}:{}", plain(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, value: &Value) -> String {
        Template::parse(template)
            .unwrap_or_else(|e| panic!("{template}: {e}"))
            .render(value)
            .unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    #[test]
    fn renders_fields_functions_and_escapes() {
        let row = json!({"Repository": "alpine", "Tag": "3.20", "Labels": {"b": "2", "a": "1"}, "Env": ["X=1", "Y=2"]});
        let cases = [
            ("{{.Repository}}:{{.Tag}}", "alpine:3.20"),
            ("{{.Repository}}\\t{{.Tag}}", "alpine\t3.20"),
            ("{{json .Labels}}", "{\"a\":\"1\",\"b\":\"2\"}"),
            ("{{index .Labels \"a\"}}", "1"),
            ("{{join .Env \",\"}}", "X=1,Y=2"),
            ("{{.Env}}", "[X=1 Y=2]"),
            ("{{.Labels}}", "map[a:1 b:2]"),
            ("{{.Missing}}", "<no value>"),
            ("{{.Missing.Deeper}}", "<no value>"),
            ("{{ upper .Repository }}", "ALPINE"),
            ("{{.Repository | upper}}", "ALPINE"),
            ("{{len .Env}}", "2"),
            ("{{index .Env 1}}", "Y=2"),
            ("{{title \"hello world\"}}", "Hello World"),
            ("{{truncate .Repository 3}}", "alp"),
            ("{{split \"a:b\" \":\"}}", "[a b]"),
            ("{{json .}}", &serde_json::to_string(&row).unwrap()),
        ];
        for (template, expected) in cases {
            assert_eq!(render(template, &row), expected, "{template}");
        }
    }

    #[test]
    fn control_structures_as_go_runs_them() {
        let data = json!({
            "Name": "web",
            "Running": true,
            "Count": 0,
            "Mounts": [{"Source": "/a", "Destination": "/x"}, {"Source": "/b", "Destination": "/y"}],
            "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "10.88.0.2"}, "app": {"IPAddress": "10.89.0.3"}}},
            "Config": {"Env": []},
        });
        let cases = [
            ("{{if .Running}}up{{else}}down{{end}}", "up"),
            (
                "{{if .Count}}some{{else if .Name}}named{{else}}none{{end}}",
                "named",
            ),
            ("{{if not .Running}}down{{end}}", ""),
            ("{{if and .Running (eq .Name \"web\")}}yes{{end}}", "yes"),
            ("{{if or .Count .Missing}}x{{else}}y{{end}}", "y"),
            (
                "{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}",
                "/a:/x /b:/y ",
            ),
            (
                "{{range $i, $m := .Mounts}}{{$i}}={{$m.Source}};{{end}}",
                "0=/a;1=/b;",
            ),
            (
                "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
                "10.89.0.3 10.88.0.2 ",
            ),
            (
                "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
                "app bridge ",
            ),
            ("{{range .Config.Env}}{{.}}{{else}}empty{{end}}", "empty"),
            ("{{with .NetworkSettings}}{{len .Networks}}{{end}}", "2"),
            ("{{with .Missing}}x{{else}}none{{end}}", "none"),
            ("{{$n := .Name}}{{range .Mounts}}{{$n}}{{end}}", "webweb"),
            ("{{range .Mounts}}{{$.Name}}{{end}}", "webweb"),
            (
                "{{printf \"%-5s|%3d|%q\" .Name 7 .Name}}",
                "web  |  7|\"web\"",
            ),
            ("{{printf \"%.2f\" 1.5}}", "1.50"),
            ("{{(index .Mounts 0).Source}}", "/a"),
            ("a  {{- .Name -}}  b", "awebb"),
            ("{{/* a comment */}}x", "x"),
            ("{{if eq .Count 0}}zero{{end}}", "zero"),
            ("{{if gt (len .Mounts) 1}}many{{end}}", "many"),
            ("{{print .Name 1 2}}", "web1 2"),
        ];
        for (template, expected) in cases {
            assert_eq!(render(template, &data), expected, "{template}");
        }
    }

    #[test]
    fn label_method_of_ps_rows() {
        let row = json!({"Labels": "com.example.a=1,b=two"});
        assert_eq!(render("{{.Label \"b\"}}", &row), "two");
        assert_eq!(render("{{.Label \"nope\"}}", &row), "");
    }

    #[test]
    fn refuses_broken_templates() {
        for template in [
            "{{.Repository",
            "{{Repository}}",
            "{{frob .X}}",
            "{{if .A}}x",
            "{{end}}",
            "{{range .A}}{{else if .B}}{{end}}",
            "{{(upper .A}}",
            "{{\"unterminated}}",
        ] {
            assert!(Template::parse(template).is_err(), "{template}");
        }
    }

    #[test]
    fn reports_errors_at_render_time() {
        let template = Template::parse("{{index .A 5}}").unwrap();
        assert!(template.render(&json!({"A": [1]})).is_err());
        let template = Template::parse("{{$nope}}").unwrap();
        assert!(template.render(&json!({})).is_err());
    }
}
