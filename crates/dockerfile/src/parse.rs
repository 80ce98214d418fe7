//! From logical lines to typed instructions, with BuildKit's argument rules
//! and error texts (`frontend/dockerfile/instructions/parse.go`).

use crate::duration::parse_duration;
use crate::error::{Error, ErrorKind};
use crate::flags::{FlagType, Flags};
use crate::instruction::*;
use crate::lines::{LogicalLine, Reader};
use crate::mount::parse_mount;
use crate::words::{Split, json_array, parse_words, split_command, whitespace_words};

/// Every instruction keyword, for "did you mean" suggestions.
const KEYWORDS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Parses a Dockerfile.
///
/// ```
/// let file = container_dockerfile::parse("FROM alpine AS base\nRUN echo hi\n").unwrap();
/// assert_eq!(file.stages[0].name(), Some("base"));
/// assert_eq!(file.stages[0].instructions[0].original, "RUN echo hi");
/// ```
pub fn parse(text: &str) -> Result<Dockerfile, Error> {
    let (mut reader, directives) = Reader::new(text)?;
    let escape = directives.escape;
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut warnings = Vec::new();
    let mut any = false;
    while let Some(line) = reader.next_line() {
        any = true;
        let split = split_command(&line.text);
        if split.keyword.eq_ignore_ascii_case("FROM") {
            let stage = parse_from(&line, &split, stages.len())?;
            check_stage_name(&stages, &stage)?;
            stages.push(stage);
            continue;
        }
        let instruction = parse_line(&mut reader, &line, escape)?;
        warnings.extend(warnings_for(&instruction, escape));
        match stages.last_mut() {
            Some(stage) => stage.instructions.push(instruction),
            None if matches!(instruction.kind, InstructionKind::Arg(_)) => {
                global_args.push(instruction);
            }
            None => return Err(Error::new(line.start, None, ErrorKind::BeforeFrom)),
        }
    }
    if !any {
        return Err(Error::new(0, None, ErrorKind::Empty));
    }
    if stages.is_empty() {
        return Err(Error::new(0, None, ErrorKind::NoStage));
    }
    for line in &reader.empty_continuation_lines {
        let message = "empty continuation line (a future Docker makes it an error)".to_string();
        warnings.push(Warning {
            line: *line,
            message,
        });
    }
    Ok(Dockerfile {
        directives,
        global_args,
        stages,
        warnings,
    })
}

/// What Docker warns about in one instruction.
fn warnings_for(instruction: &Instruction, escape: char) -> Vec<Warning> {
    let deprecated = matches!(instruction.kind, InstructionKind::Maintainer(_))
        .then(|| "MAINTAINER is deprecated: use LABEL maintainer=...".to_string());
    let checks = [
        legacy_key_value(instruction, escape),
        almost_json(instruction),
        deprecated,
    ];
    let messages = checks.into_iter().flatten();
    messages
        .map(|message| Warning {
            line: instruction.line,
            message,
        })
        .collect()
}

/// BuildKit's LegacyKeyValueFormat check: `ENV key value` instead of
/// `ENV key=value`.
fn legacy_key_value(instruction: &Instruction, escape: char) -> Option<String> {
    let keyword = match instruction.kind {
        InstructionKind::Env(_) => "ENV",
        InstructionKind::Label(_) => "LABEL",
        _ => return None,
    };
    let split = split_command(&instruction.original);
    let first = parse_words(split.rest, escape).into_iter().next()?;
    if first.contains('=') {
        return None;
    }
    Some(format!(
        "\"{keyword} key=value\" should be used instead of legacy \"{keyword} key value\" format"
    ))
}

/// A shell-form command that starts with `[`: Docker runs it through the
/// shell without a word, which is seldom what was meant (`['a']`).
fn almost_json(instruction: &Instruction) -> Option<String> {
    let command = match &instruction.kind {
        InstructionKind::Run(run) => &run.command,
        InstructionKind::Cmd(command) | InstructionKind::Entrypoint(command) => command,
        InstructionKind::Healthcheck(Healthcheck::Check(check)) => &check.command,
        _ => return None,
    };
    let Command::Shell(text) = command else {
        return None;
    };
    if !text.starts_with('[') {
        return None;
    }
    let keyword = instruction.keyword();
    Some(format!(
        "{keyword} starts with [ but is not a JSON array of strings (JSON needs double quotes), so it runs as a shell command"
    ))
}

/// Parses one ONBUILD trigger as an image config's `OnBuild` stores it
/// (`RUN echo hi`), with the default escape character.
pub fn parse_trigger(text: &str) -> Result<Instruction, Error> {
    let (mut reader, _) = Reader::new("")?;
    let line = LogicalLine {
        start: 0,
        text: text.to_string(),
    };
    parse_line(&mut reader, &line, '\\')
}

fn check_stage_name(stages: &[Stage], stage: &Stage) -> Result<(), Error> {
    let Some(name) = stage.name() else {
        return Ok(());
    };
    if stages.iter().any(|s| s.name() == Some(name)) {
        let kind = ErrorKind::DuplicateStageName {
            name: name.to_string(),
        };
        return Err(Error::new(stage.line, Some("FROM"), kind));
    }
    Ok(())
}

fn parse_from(line: &LogicalLine, split: &Split<'_>, index: usize) -> Result<Stage, Error> {
    let fail = |kind| Error::new(line.start, Some("FROM"), kind);
    let flags = Flags::parse(&split.flags, &[("platform", FlagType::String)]).map_err(fail)?;
    let words = whitespace_words(split.rest);
    let (image, name) = match words.as_slice() {
        [image] => (image.clone(), None),
        [image, as_, name] if as_.eq_ignore_ascii_case("as") => {
            (image.clone(), Some(stage_name(name).map_err(fail)?))
        }
        _ => {
            let expected = "either one or three arguments (FROM image [AS name])";
            return Err(fail(ErrorKind::Arguments { expected }));
        }
    };
    Ok(Stage {
        index,
        from: From {
            image,
            name,
            platform: flags.string("platform"),
        },
        line: line.start,
        original: line.text.trim().to_string(),
        instructions: Vec::new(),
    })
}

/// A stage name, lower-cased, must match `[a-z][a-z0-9-_.]*`.
fn stage_name(name: &str) -> Result<String, ErrorKind> {
    let lower = name.to_ascii_lowercase();
    let mut chars = lower.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if first_ok && rest_ok {
        Ok(lower)
    } else {
        Err(ErrorKind::StageName {
            name: name.to_string(),
        })
    }
}

/// Parses a line that is not a FROM (an ONBUILD's trigger may be anything
/// but FROM, MAINTAINER and ONBUILD).
fn parse_line(
    reader: &mut Reader<'_>,
    line: &LogicalLine,
    escape: char,
) -> Result<Instruction, Error> {
    let split = split_command(&line.text);
    let keyword = split.keyword.to_ascii_uppercase();
    let fail = |kind| match kind {
        ErrorKind::UnknownInstruction { .. } => Error::new(line.start, None, kind),
        _ => Error::new(line.start, Some(&keyword), kind),
    };
    let heredocs = if takes_heredocs(&split) {
        read_heredocs(reader, &line.text).map_err(fail)?
    } else {
        Vec::new()
    };
    let mut kind = match keyword.as_str() {
        "ONBUILD" => parse_onbuild(reader, line, &split, escape)?,
        _ => parse_kind(&keyword, &split, heredocs, escape).map_err(fail)?,
    };
    if let InstructionKind::Arg(decls) = &mut kind {
        decls.iter_mut().for_each(|decl| decl.line = line.start);
    }
    Ok(Instruction {
        line: line.start,
        end_line: reader.current_line().max(line.start),
        original: line.text.trim().to_string(),
        kind,
    })
}

fn parse_kind(
    keyword: &str,
    split: &Split<'_>,
    heredocs: Vec<Heredoc>,
    escape: char,
) -> Result<InstructionKind, ErrorKind> {
    let rest = split.rest;
    let no_flags = || Flags::parse(&split.flags, &[]);
    Ok(match keyword {
        "RUN" => InstructionKind::Run(parse_run(split, heredocs)?),
        "COPY" => InstructionKind::Copy(parse_copy(split, heredocs, false)?),
        "ADD" => InstructionKind::Add(parse_copy(split, heredocs, true)?),
        "CMD" => {
            no_flags()?;
            InstructionKind::Cmd(command(rest)?)
        }
        "ENTRYPOINT" => {
            no_flags()?;
            InstructionKind::Entrypoint(command(rest)?)
        }
        "ENV" => {
            no_flags()?;
            InstructionKind::Env(key_values(rest, escape)?)
        }
        "LABEL" => {
            no_flags()?;
            InstructionKind::Label(key_values(rest, escape)?)
        }
        "ARG" => {
            no_flags()?;
            InstructionKind::Arg(arg_decls(rest, escape)?)
        }
        "WORKDIR" => InstructionKind::Workdir(one_argument(split)?),
        "USER" => InstructionKind::User(one_argument(split)?),
        "STOPSIGNAL" => InstructionKind::StopSignal(one_argument(split)?),
        "MAINTAINER" => InstructionKind::Maintainer(one_argument(split)?),
        "EXPOSE" => {
            no_flags()?;
            InstructionKind::Expose(at_least_one(whitespace_words(rest))?)
        }
        "VOLUME" => {
            no_flags()?;
            InstructionKind::Volume(volumes(rest)?)
        }
        "SHELL" => {
            no_flags()?;
            InstructionKind::Shell(shell(rest)?)
        }
        "HEALTHCHECK" => InstructionKind::Healthcheck(healthcheck(split)?),
        _ => {
            let suggestion = suggest(keyword);
            return Err(ErrorKind::UnknownInstruction {
                word: split.keyword.to_ascii_uppercase(),
                suggestion,
            });
        }
    })
}

fn parse_run(split: &Split<'_>, heredocs: Vec<Heredoc>) -> Result<Run, ErrorKind> {
    let known = [
        ("mount", FlagType::Strings),
        ("network", FlagType::String),
        ("security", FlagType::String),
    ];
    let flags = Flags::parse(&split.flags, &known)?;
    let specs = flags.strings("mount");
    let mounts = specs
        .iter()
        .map(|spec| parse_mount(spec, None))
        .collect::<Result<Vec<_>, _>>()?;
    let network = match flags.string("network").as_deref() {
        None | Some("default") => Network::Default,
        Some("none") => Network::None,
        Some("host") => Network::Host,
        Some(other) => return Err(invalid_flag("network", other, "use default, none or host")),
    };
    let security = match flags.string("security").as_deref() {
        None | Some("sandbox") => Security::Sandbox,
        Some("insecure") => Security::Insecure,
        Some(other) => return Err(invalid_flag("security", other, "use sandbox or insecure")),
    };
    Ok(Run {
        command: command(split.rest)?,
        heredocs,
        mounts,
        network,
        security,
    })
}

fn invalid_flag(flag: &str, value: &str, reason: &str) -> ErrorKind {
    let (flag, value, reason) = (flag.to_string(), value.to_string(), reason.to_string());
    ErrorKind::InvalidFlagValue {
        flag,
        value,
        reason,
    }
}

fn parse_copy(
    split: &Split<'_>,
    heredocs: Vec<Heredoc>,
    is_add: bool,
) -> Result<CopyFiles, ErrorKind> {
    let common = [
        ("chown", FlagType::String),
        ("chmod", FlagType::String),
        ("link", FlagType::Bool),
        ("exclude", FlagType::Strings),
    ];
    let own: &[_] = if is_add {
        &[
            ("checksum", FlagType::String),
            ("keep-git-dir", FlagType::Bool),
            ("unpack", FlagType::Bool),
        ]
    } else {
        &[("from", FlagType::String), ("parents", FlagType::Bool)]
    };
    let known: Vec<_> = common.iter().chain(own).copied().collect();
    let flags = Flags::parse(&split.flags, &known)?;
    let json = json_array(split.rest)?;
    let is_json = json.is_some();
    let mut words = json.unwrap_or_else(|| whitespace_words(split.rest));
    if words.len() < 2 {
        let expected = "at least two arguments: the sources and a destination";
        return Err(ErrorKind::Arguments { expected });
    }
    let dest = words.pop().unwrap_or_default();
    if !is_json && heredoc_word(&dest).is_some() {
        return Err(ErrorKind::Heredoc {
            place: "a destination",
        });
    }
    let sources = words
        .into_iter()
        .map(|word| source(word, &heredocs, is_json))
        .collect();
    Ok(CopyFiles {
        sources,
        dest,
        is_json,
        from: flags.string("from"),
        chown: flags.string("chown"),
        chmod: flags.string("chmod"),
        link: flags.bool("link").unwrap_or(false),
        parents: flags.bool("parents").unwrap_or(false),
        exclude: flags.strings("exclude"),
        checksum: flags.string("checksum"),
        keep_git_dir: flags.bool("keep-git-dir").unwrap_or(false),
        unpack: flags.bool("unpack"),
    })
}

fn source(word: String, heredocs: &[Heredoc], is_json: bool) -> Source {
    let named = heredoc_word(&word)
        .filter(|_| !is_json)
        .and_then(|(_, _, name, _)| heredocs.iter().find(|h| h.name == name));
    match named {
        Some(heredoc) => Source::Heredoc(heredoc.clone()),
        None => Source::Path(word),
    }
}

/// Exec form when the arguments are a JSON array of strings, else shell
/// form (C14).
fn command(rest: &str) -> Result<Command, ErrorKind> {
    if rest.is_empty() {
        return Err(ErrorKind::Arguments {
            expected: "at least one argument",
        });
    }
    Ok(match json_array(rest)? {
        Some(argv) => Command::Exec(argv),
        None => Command::Shell(rest.to_string()),
    })
}

/// ENV and LABEL: `k=v k2="v 2"` or the old `k value with spaces`.
fn key_values(rest: &str, escape: char) -> Result<Vec<KeyValue>, ErrorKind> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Err(ErrorKind::Arguments {
            expected: "at least one argument",
        });
    };
    if !first.contains('=') {
        let Some((key, value)) = rest.split_once([' ', '\t', '\u{b}', '\u{c}', '\r']) else {
            return Err(ErrorKind::Arguments {
                expected: "two arguments (KEY value) or KEY=value",
            });
        };
        let value = value.trim_start_matches([' ', '\t', '\u{b}', '\u{c}', '\r']);
        return Ok(vec![KeyValue {
            key: key.to_string(),
            value: value.to_string(),
        }]);
    }
    let pairs = words.into_iter().map(|word| {
        let Some((key, value)) = word.split_once('=') else {
            return Err(ErrorKind::MissingEquals { word });
        };
        if key.is_empty() {
            return Err(ErrorKind::BlankName);
        }
        Ok(KeyValue {
            key: key.to_string(),
            value: value.to_string(),
        })
    });
    pairs.collect()
}

fn arg_decls(rest: &str, escape: char) -> Result<Vec<ArgDecl>, ErrorKind> {
    let words = at_least_one(parse_words(rest, escape))?;
    let decls = words.into_iter().map(|word| {
        let (name, default) = match word.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (word, None),
        };
        if name.is_empty() {
            return Err(ErrorKind::BlankName);
        }
        Ok(ArgDecl {
            name,
            default,
            line: 0,
        })
    });
    decls.collect()
}

/// WORKDIR, USER, STOPSIGNAL and MAINTAINER take the rest of the line as
/// one argument.
fn one_argument(split: &Split<'_>) -> Result<String, ErrorKind> {
    Flags::parse(&split.flags, &[])?;
    if split.rest.is_empty() {
        return Err(ErrorKind::Arguments {
            expected: "exactly one argument",
        });
    }
    Ok(split.rest.to_string())
}

fn at_least_one(words: Vec<String>) -> Result<Vec<String>, ErrorKind> {
    if words.is_empty() {
        return Err(ErrorKind::Arguments {
            expected: "at least one argument",
        });
    }
    Ok(words)
}

fn volumes(rest: &str) -> Result<Vec<String>, ErrorKind> {
    let words = at_least_one(json_array(rest)?.unwrap_or_else(|| whitespace_words(rest)))?;
    if words.iter().any(|w| w.trim().is_empty()) {
        return Err(ErrorKind::Arguments {
            expected: "paths that are not empty",
        });
    }
    Ok(words)
}

fn shell(rest: &str) -> Result<Vec<String>, ErrorKind> {
    if rest.is_empty() {
        return Err(ErrorKind::Arguments {
            expected: "at least one argument",
        });
    }
    match json_array(rest)? {
        Some(argv) if !argv.is_empty() => Ok(argv),
        Some(_) => Err(ErrorKind::Arguments {
            expected: "at least one argument",
        }),
        None => Err(ErrorKind::RequiresJson),
    }
}

fn healthcheck(split: &Split<'_>) -> Result<Healthcheck, ErrorKind> {
    let known = [
        ("interval", FlagType::String),
        ("timeout", FlagType::String),
        ("start-period", FlagType::String),
        ("start-interval", FlagType::String),
        ("retries", FlagType::String),
    ];
    let flags = Flags::parse(&split.flags, &known)?;
    let rest = split.rest;
    let (kind, command_text) = match rest.find(char::is_whitespace) {
        Some(at) => (&rest[..at], rest[at..].trim_start()),
        None => (rest, ""),
    };
    match kind.to_ascii_uppercase().as_str() {
        "" => Err(ErrorKind::Arguments {
            expected: "at least one argument",
        }),
        "NONE" if command_text.is_empty() => Ok(Healthcheck::None),
        "NONE" => Err(ErrorKind::HealthcheckNoneArguments),
        "CMD" if command_text.is_empty() => Err(ErrorKind::HealthcheckMissingCommand),
        "CMD" => Ok(Healthcheck::Check(HealthcheckCmd {
            command: command(command_text)?,
            interval: health_duration(&flags, "interval")?,
            timeout: health_duration(&flags, "timeout")?,
            start_period: health_duration(&flags, "start-period")?,
            start_interval: health_duration(&flags, "start-interval")?,
            retries: retries(&flags)?,
        })),
        _ => Err(ErrorKind::HealthcheckType {
            word: kind.to_string(),
        }),
    }
}

/// A HEALTHCHECK duration: 0 means "the default"; otherwise at least 1ms.
fn health_duration(flags: &Flags, name: &str) -> Result<Option<std::time::Duration>, ErrorKind> {
    let Some(text) = flags.string(name) else {
        return Ok(None);
    };
    let duration = parse_duration(&text).map_err(|reason| invalid_flag(name, &text, &reason))?;
    if duration.is_zero() {
        return Ok(None);
    }
    if duration < std::time::Duration::from_millis(1) {
        return Err(invalid_flag(name, &text, "it cannot be less than 1ms"));
    }
    Ok(Some(duration))
}

fn retries(flags: &Flags) -> Result<Option<u32>, ErrorKind> {
    let Some(text) = flags.string("retries") else {
        return Ok(None);
    };
    let retries: i64 = text
        .parse()
        .map_err(|_| invalid_flag("retries", &text, "not a number"))?;
    if retries < 0 {
        return Err(invalid_flag("retries", &text, "it cannot be negative"));
    }
    let retries =
        u32::try_from(retries).map_err(|_| invalid_flag("retries", &text, "too large"))?;
    Ok(Some(retries))
}

fn parse_onbuild(
    reader: &mut Reader<'_>,
    line: &LogicalLine,
    split: &Split<'_>,
    escape: char,
) -> Result<InstructionKind, Error> {
    let fail = |kind| Error::new(line.start, Some("ONBUILD"), kind);
    Flags::parse(&split.flags, &[]).map_err(fail)?;
    if split.rest.is_empty() {
        return Err(fail(ErrorKind::Arguments {
            expected: "at least one argument",
        }));
    }
    let trigger_word = split_command(split.rest).keyword.to_ascii_uppercase();
    if matches!(trigger_word.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
        return Err(fail(ErrorKind::OnbuildTrigger {
            trigger: trigger_word,
        }));
    }
    let inner_line = LogicalLine {
        start: line.start,
        text: split.rest.to_string(),
    };
    let inner = parse_line(reader, &inner_line, escape)?;
    Ok(InstructionKind::Onbuild(Onbuild {
        trigger: split.rest.to_string(),
        instruction: Box::new(inner),
    }))
}

/// Only RUN, COPY and ADD in shell (not JSON) form read heredocs, also as
/// an ONBUILD trigger.
fn takes_heredocs(split: &Split<'_>) -> bool {
    let keyword = split.keyword.to_ascii_uppercase();
    let is_json = matches!(json_array(split.rest), Ok(Some(_)));
    matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") && !is_json
}

/// Reads the body of each `<<WORD` on the line, in order.
fn read_heredocs(reader: &mut Reader<'_>, text: &str) -> Result<Vec<Heredoc>, ErrorKind> {
    let mut heredocs = Vec::new();
    for word in parse_words(text, '\\') {
        let Some((fd, chomp, name, expand)) = heredoc_word(&word) else {
            continue;
        };
        let content = reader.heredoc_body(&name, chomp)?;
        heredocs.push(Heredoc {
            name,
            content,
            expand,
            chomp,
            fd,
        });
    }
    Ok(heredocs)
}

/// `[fd]<<[-]WORD`: the fd, the chomp flag, the name (quotes removed) and
/// whether the body is expanded (the word was not quoted).
pub(crate) fn heredoc_word(word: &str) -> Option<(Option<u32>, bool, String, bool)> {
    let digits = word
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(word.len());
    let rest = word[digits..].strip_prefix("<<")?;
    let fd = word[..digits].parse().ok();
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    if rest.is_empty() || rest.contains('<') {
        return None;
    }
    let quoted = rest.contains(['\'', '"']);
    let name = unquote(rest);
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    Some((fd, chomp, name, !quoted))
}

/// Removes quotes and backslash escapes, as the shell reads a word.
fn unquote(word: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None | Some('"'), '\\') => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    out
}

/// The nearest keyword to a misspelt one, within 2 edits.
fn suggest(word: &str) -> Option<&'static str> {
    let word = word.to_ascii_uppercase();
    let best = KEYWORDS
        .iter()
        .map(|k| (edit_distance(&word, k), *k))
        .min()?;
    (best.0 <= 2 && best.0 < word.len()).then_some(best.1)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
