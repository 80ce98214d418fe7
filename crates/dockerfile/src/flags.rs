//! `--name[=value]` flags of an instruction, checked against the flags it
//! takes, as BuildKit's `BFlags` does.

use crate::error::ErrorKind;

/// How a flag takes its value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagType {
    /// `--link`, `--link=true|false`.
    Bool,
    /// `--from=x`, once.
    String,
    /// `--mount=x`, repeatable.
    Strings,
}

/// The flags given to one instruction.
#[derive(Default)]
pub(crate) struct Flags {
    values: Vec<(&'static str, String)>,
}

impl Flags {
    /// Checks `words` (each `--name[=value]`) against `known`.
    pub fn parse(words: &[String], known: &[(&'static str, FlagType)]) -> Result<Self, ErrorKind> {
        let mut flags = Self::default();
        for word in words {
            let Some(body) = word.strip_prefix("--") else {
                return Err(ErrorKind::BadFlag { word: word.clone() });
            };
            let (name, value) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (body, None),
            };
            let Some(&(known_name, kind)) = known.iter().find(|(n, _)| *n == name) else {
                return Err(ErrorKind::UnknownFlag {
                    flag: name.to_string(),
                });
            };
            if kind != FlagType::Strings && flags.has(known_name) {
                return Err(ErrorKind::DuplicateFlag {
                    flag: name.to_string(),
                });
            }
            let value = match (kind, value) {
                (FlagType::Bool, None) => "true".to_string(),
                (FlagType::Bool, Some(v)) => bool_value(name, v)?.to_string(),
                (_, None) => {
                    return Err(ErrorKind::MissingFlagValue {
                        flag: name.to_string(),
                    });
                }
                (_, Some(v)) => v.to_string(),
            };
            flags.values.push((known_name, value));
        }
        Ok(flags)
    }

    fn has(&self, name: &str) -> bool {
        self.values.iter().any(|(n, _)| *n == name)
    }

    /// A string flag's value.
    pub fn string(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }

    /// A repeatable flag's values, in order.
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A bool flag: `None` when not given.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }
}

fn bool_value(flag: &str, value: &str) -> Result<bool, ErrorKind> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ErrorKind::InvalidFlagValue {
            flag: flag.to_string(),
            value: value.to_string(),
            reason: "expecting a boolean value (true or false)".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[(&str, FlagType)] = &[
        ("link", FlagType::Bool),
        ("from", FlagType::String),
        ("mount", FlagType::Strings),
    ];

    fn parse(words: &[&str]) -> Result<Flags, ErrorKind> {
        Flags::parse(
            &words.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
            KNOWN,
        )
    }

    #[test]
    fn values_bools_and_repeats() {
        let flags = parse(&["--link", "--from=a=b", "--mount=x", "--mount=y"]).unwrap();
        assert_eq!(flags.bool("link"), Some(true));
        assert_eq!(flags.string("from").as_deref(), Some("a=b"));
        assert_eq!(flags.strings("mount"), ["x", "y"]);
        assert_eq!(parse(&["--link=FALSE"]).unwrap().bool("link"), Some(false));
        assert_eq!(parse(&[]).unwrap().bool("link"), None);
    }

    #[test]
    fn errors_name_the_flag() {
        assert_eq!(
            parse(&["--fromm=x"]).err(),
            Some(ErrorKind::UnknownFlag {
                flag: "fromm".into()
            })
        );
        assert_eq!(
            parse(&["--from"]).err(),
            Some(ErrorKind::MissingFlagValue {
                flag: "from".into()
            })
        );
        let twice = parse(&["--from=a", "--from=b"]).err();
        assert_eq!(
            twice,
            Some(ErrorKind::DuplicateFlag {
                flag: "from".into()
            })
        );
        assert!(matches!(
            parse(&["--link=yes"]),
            Err(ErrorKind::InvalidFlagValue { .. })
        ));
    }
}
