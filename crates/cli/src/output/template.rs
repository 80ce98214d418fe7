//! The part of Go's `text/template` that `--format` needs: `{{.Field}}`, nested fields
//! (`{{.Config.Env}}`), `{{json .X}}`, `{{index .Labels "k"}}`, `{{join .List ","}}`,
//! `{{upper .X}}`, `{{lower .X}}`, and `\t` / `\n` escapes as Docker's CLI takes them.
//!
//! TODO: Go's `if`, `range`, `with`, `printf` and methods such as `.Label "k"` are refused

use serde_json::Value;

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Action(Action),
}

#[derive(Debug)]
struct Action {
    function: Option<String>,
    path: Vec<String>,
    argument: Option<String>,
}

/// A template that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid format template `{template}`: {reason}")]
pub struct TemplateError {
    template: String,
    reason: String,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let fail = |reason: &str| TemplateError {
            template: text.to_owned(),
            reason: reason.to_owned(),
        };
        let text_unescaped = text.replace("\\t", "\t").replace("\\n", "\n");
        let mut parts = Vec::new();
        let mut rest = text_unescaped.as_str();
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let end = rest[start..]
                .find("}}")
                .ok_or_else(|| fail("unclosed action"))?
                + start;
            let action = rest[start + 2..end]
                .trim()
                .trim_start_matches('-')
                .trim_end_matches('-')
                .trim();
            parts.push(Part::Action(parse_action(action).map_err(|r| fail(&r))?));
            rest = &rest[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    pub fn render(&self, value: &Value) -> anyhow::Result<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Action(action) => out.push_str(&action.apply(value)),
            }
        }
        Ok(out)
    }
}

fn parse_action(action: &str) -> Result<Action, String> {
    let words: Vec<&str> = action.split_whitespace().collect();
    let (function, field, argument) = match words.as_slice() {
        [field] => (None, *field, None),
        [function, field] => (Some(function.to_string()), *field, None),
        [function, field, argument] => (
            Some(function.to_string()),
            *field,
            Some(argument.trim_matches('"').to_owned()),
        ),
        _ => return Err(format!("cannot read `{{{{{action}}}}}`")),
    };
    if let Some(f) = &function
        && !["json", "index", "join", "upper", "lower", "len"].contains(&f.as_str())
    {
        return Err(format!("unknown function `{f}`"));
    }
    if !field.starts_with('.') {
        return Err(format!(
            "`{field}` is not a field (fields start with a dot)"
        ));
    }
    let path = field
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Action {
        function,
        path,
        argument,
    })
}

impl Action {
    fn apply(&self, root: &Value) -> String {
        let mut value = root;
        for key in &self.path {
            value = value.get(key).unwrap_or(&Value::Null);
        }
        match (self.function.as_deref(), &self.argument) {
            (Some("json"), _) => serde_json::to_string(value).unwrap_or_default(),
            (Some("index"), Some(key)) => plain(value.get(key).unwrap_or(&Value::Null)),
            (Some("join"), Some(separator)) => match value {
                Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(separator),
                other => plain(other),
            },
            (Some("upper"), _) => plain(value).to_uppercase(),
            (Some("lower"), _) => plain(value).to_lowercase(),
            (Some("len"), _) => match value {
                Value::Array(a) => a.len().to_string(),
                Value::Object(o) => o.len().to_string(),
                Value::String(s) => s.len().to_string(),
                _ => "0".into(),
            },
            _ => plain(value),
        }
    }
}

/// A value as Go's template prints it: strings bare, lists as `[a b]`, maps as `map[k:v]`.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "<no value>".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(plain).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}:{}", plain(v)))
                .collect();
            format!("map[{}]", pairs.join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_fields_functions_and_escapes() {
        let row = json!({"Repository": "alpine", "Tag": "3.20", "Labels": {"a": "b"}, "Env": ["X=1", "Y=2"]});
        let cases = [
            ("{{.Repository}}:{{.Tag}}", "alpine:3.20"),
            ("{{.Repository}}\\t{{.Tag}}", "alpine\t3.20"),
            ("{{json .Labels}}", "{\"a\":\"b\"}"),
            ("{{index .Labels \"a\"}}", "b"),
            ("{{join .Env \",\"}}", "X=1,Y=2"),
            ("{{.Env}}", "[X=1 Y=2]"),
            ("{{.Missing}}", "<no value>"),
            ("{{ upper .Repository }}", "ALPINE"),
        ];
        for (template, expected) in cases {
            assert_eq!(
                Template::parse(template).unwrap().render(&row).unwrap(),
                expected,
                "{template}"
            );
        }
    }

    #[test]
    fn refuses_broken_templates() {
        for template in ["{{.Repository", "{{Repository}}", "{{frob .X}}"] {
            assert!(Template::parse(template).is_err(), "{template}");
        }
    }
}
