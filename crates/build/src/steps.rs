//! Each instruction's effect on a stage: config edits here, layer steps in
//! [`crate::steps_files`] and [`crate::steps_run`].

use container_dockerfile::{ErrorKind, Healthcheck, Instruction, InstructionKind, KeyValue};
use serde_json::{Value, json};

use crate::error::StepError;
use crate::image_config as config;
use crate::stage::{StageEnv, State, now};

/// Applies one instruction to the stage.
pub(crate) fn apply(
    env: &StageEnv<'_>,
    state: &mut State,
    instruction: &Instruction,
) -> Result<(), StepError> {
    let expand = |state: &State, word: &str| -> Result<String, StepError> {
        let lookup = |name: &str| state.lookup(name);
        env.lexer()
            .expand(word, &lookup)
            .map_err(|e| expand_error(instruction, e))
    };
    let description = match &instruction.kind {
        InstructionKind::Run(run) => return crate::steps_run::run(env, state, instruction, run),
        InstructionKind::Copy(files) => {
            return crate::steps_files::copy(env, state, instruction, files, false);
        }
        InstructionKind::Add(files) => {
            return crate::steps_files::copy(env, state, instruction, files, true);
        }
        InstructionKind::Workdir(path) => {
            let path = expand(state, path)?;
            return crate::steps_files::workdir(env, state, instruction, &path);
        }
        InstructionKind::Arg(declarations) => {
            declare_args(env, state, declarations, &expand)?;
            // An ARG changes no config and has no history entry, as in BuildKit;
            // the args in scope are part of every later key.
            return Ok(());
        }
        _ => config_change(state, instruction, &expand)?,
    };
    config::add_history(&mut state.config, &now(), &instruction.original, true);
    state.key = state.next_key(&description, "");
    state.is_dirty = true;
    Ok(())
}

/// ARG: declares names in the stage's scope, with their values (C09, C11).
fn declare_args(
    env: &StageEnv<'_>,
    state: &mut State,
    declarations: &[container_dockerfile::ArgDecl],
    expand: &Expand<'_>,
) -> Result<(), StepError> {
    for declaration in declarations {
        env.used_args
            .lock()
            .expect("no panics holding it")
            .insert(declaration.name.clone());
        let value = match (
            env.options.build_args.get(&declaration.name),
            &declaration.default,
        ) {
            (Some(value), _) => Some(value.clone()),
            (None, Some(default)) => Some(expand(state, default)?),
            // `ARG NAME` brings in the value of a global ARG (C09).
            (None, None) => env.globals.get(&declaration.name).cloned().flatten(),
        };
        state.args.insert(declaration.name.clone(), value);
    }
    Ok(())
}

/// A config-only instruction: edits the config, returns what the key says of it.
fn config_change(
    state: &mut State,
    instruction: &Instruction,
    expand: &Expand<'_>,
) -> Result<Value, StepError> {
    Ok(match &instruction.kind {
        InstructionKind::Env(pairs) => {
            // Every value sees the variables as they were before the instruction (C11).
            let expanded = expand_pairs(state, pairs, &expand)?;
            for (key, value) in &expanded {
                config::set_env(&mut state.config, key, value);
            }
            json!({"env": expanded})
        }
        InstructionKind::Label(pairs) => {
            let expanded = expand_pairs(state, pairs, &expand)?;
            for (key, value) in &expanded {
                config::set_in_map(&mut state.config, "Labels", key, json!(value));
            }
            json!({"label": expanded})
        }
        InstructionKind::Expose(words) => {
            let mut ports = Vec::new();
            for word in words {
                let word = expand(state, word)?;
                let found = config::exposed_ports(&word)
                    .map_err(|reason| invalid(instruction, "EXPOSE", &word, &reason))?;
                ports.extend(found);
            }
            for port in &ports {
                config::set_in_map(&mut state.config, "ExposedPorts", port, json!({}));
            }
            json!({"expose": ports})
        }
        InstructionKind::User(user) => {
            let user = expand(state, user)?;
            config::set(&mut state.config, "User", json!(user));
            json!({"user": user})
        }
        InstructionKind::Volume(paths) => {
            let mut expanded = Vec::new();
            for path in paths {
                expanded.push(expand(state, path)?);
            }
            for path in &expanded {
                config::set_in_map(&mut state.config, "Volumes", path, json!({}));
            }
            json!({"volume": expanded})
        }
        InstructionKind::StopSignal(signal) => {
            let signal = expand(state, signal)?;
            config::set(&mut state.config, "StopSignal", json!(signal));
            json!({"stopsignal": signal})
        }
        InstructionKind::Cmd(command) => {
            let argv = command.argv(&state.shell());
            config::set(&mut state.config, "Cmd", json!(argv));
            state.has_cmd = true;
            json!({"cmd": argv})
        }
        InstructionKind::Entrypoint(command) => {
            let argv = command.argv(&state.shell());
            config::set(&mut state.config, "Entrypoint", json!(argv));
            // An ENTRYPOINT drops the CMD it inherits, not one set in this stage (C15).
            if !state.has_cmd {
                config::set(&mut state.config, "Cmd", Value::Null);
            }
            json!({"entrypoint": argv})
        }
        InstructionKind::Shell(shell) => {
            config::set(&mut state.config, "Shell", json!(shell));
            json!({"shell": shell})
        }
        InstructionKind::Healthcheck(check) => {
            let value = healthcheck(check);
            config::run_config(&mut state.config).insert("Healthcheck".into(), value.clone());
            json!({"healthcheck": value})
        }
        InstructionKind::Onbuild(onbuild) => {
            let run = config::run_config(&mut state.config);
            let list = run.entry("OnBuild").or_insert_with(|| json!([]));
            if !list.is_array() {
                *list = json!([]);
            }
            list.as_array_mut()
                .expect("made an array above")
                .push(json!(onbuild.trigger));
            json!({"onbuild": onbuild.trigger})
        }
        InstructionKind::Maintainer(name) => {
            state.config["author"] = json!(name);
            json!({"maintainer": name})
        }
        other => {
            return Err(StepError::Unsupported {
                what: format!("the {} instruction", other.keyword()),
            });
        }
    })
}

type Expand<'a> = dyn Fn(&State, &str) -> Result<String, StepError> + 'a;

fn expand_pairs(
    state: &State,
    pairs: &[KeyValue],
    expand: &Expand<'_>,
) -> Result<Vec<(String, String)>, StepError> {
    pairs
        .iter()
        .map(|pair| Ok((expand(state, &pair.key)?, expand(state, &pair.value)?)))
        .collect()
}

/// The config's `Healthcheck`, durations in nanoseconds as Docker stores them.
fn healthcheck(check: &Healthcheck) -> Value {
    let Healthcheck::Check(command) = check else {
        return json!({"Test": check.test()});
    };
    let mut value = json!({"Test": check.test()});
    let durations = [
        ("Interval", command.interval),
        ("Timeout", command.timeout),
        ("StartPeriod", command.start_period),
        ("StartInterval", command.start_interval),
    ];
    for (field, duration) in durations {
        if let Some(duration) = duration {
            value[field] = json!(duration.as_nanos() as u64);
        }
    }
    if let Some(retries) = command.retries {
        value["Retries"] = json!(retries);
    }
    value
}

pub(crate) fn expand_error(
    instruction: &Instruction,
    error: container_dockerfile::ExpandError,
) -> StepError {
    StepError::Dockerfile(container_dockerfile::Error::new(
        instruction.line,
        Some(instruction.keyword()),
        ErrorKind::Expand(error),
    ))
}

fn invalid(instruction: &Instruction, flag: &str, value: &str, reason: &str) -> StepError {
    StepError::Dockerfile(container_dockerfile::Error::new(
        instruction.line,
        Some(instruction.keyword()),
        ErrorKind::InvalidFlagValue {
            flag: flag.to_ascii_lowercase(),
            value: value.to_owned(),
            reason: reason.to_owned(),
        },
    ))
}
