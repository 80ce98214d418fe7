//! Each instruction's effect on a stage: config edits here, layer steps in
//! [`crate::steps_files`] and [`crate::steps_run`].

use container_dockerfile::{ErrorKind, Healthcheck, Instruction, InstructionKind, KeyValue};
use serde_json::{Value, json};

use crate::error::StepError;
use crate::image_config as config;
use crate::stage::{StageEnv, State, now};

/// Applies one instruction to the stage: expands its words with the
/// stage's variables (the values from before it, C11), runs it, then lets
/// an ENV or ARG take effect for the next one.
pub(crate) fn apply(
    env: &StageEnv<'_>,
    state: &mut State,
    instruction: &Instruction,
) -> Result<(), StepError> {
    let step = state.scope.expand_instruction(instruction)?;
    let description = match &step.kind {
        InstructionKind::Run(run) => return crate::steps_run::run(env, state, &step, run),
        InstructionKind::Copy(files) => {
            return crate::steps_files::copy(env, state, &step, files, false);
        }
        InstructionKind::Add(files) => {
            return crate::steps_files::copy(env, state, &step, files, true);
        }
        InstructionKind::Workdir(path) => {
            return crate::steps_files::workdir(env, state, &step, path);
        }
        // An ARG changes no config but has a history entry, as in BuildKit
        // (`ARG RELEASE` in `history`); the args in scope are part of every
        // later key.
        InstructionKind::Arg(decls) => {
            let names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
            json!({"arg": names})
        }
        _ => config_change(state, &step)?,
    };
    state
        .scope
        .apply(&step, env.globals, &env.options.build_args);
    config::add_history(&mut state.config, &now(), &instruction.original, true);
    state.key = state.next_key(&description, "");
    state.is_dirty = true;
    Ok(())
}

/// A config-only instruction: edits the config, returns what the key says of it.
fn config_change(state: &mut State, instruction: &Instruction) -> Result<Value, StepError> {
    Ok(match &instruction.kind {
        InstructionKind::Env(pairs) => {
            let pairs = key_values(pairs);
            for (key, value) in &pairs {
                config::set_env(&mut state.config, key, value);
            }
            json!({"env": pairs})
        }
        InstructionKind::Label(pairs) => {
            let pairs = key_values(pairs);
            for (key, value) in &pairs {
                config::set_in_map(&mut state.config, "Labels", key, json!(value));
            }
            json!({"label": pairs})
        }
        InstructionKind::Expose(words) => {
            let mut ports = Vec::new();
            for word in words {
                let found = config::exposed_ports(word)
                    .map_err(|reason| invalid(instruction, "EXPOSE", word, &reason))?;
                ports.extend(found);
            }
            for port in &ports {
                config::set_in_map(&mut state.config, "ExposedPorts", port, json!({}));
            }
            json!({"expose": ports})
        }
        InstructionKind::User(user) => {
            config::set(&mut state.config, "User", json!(user));
            json!({"user": user})
        }
        InstructionKind::Volume(paths) => {
            for path in paths {
                config::set_in_map(&mut state.config, "Volumes", path, json!({}));
            }
            json!({"volume": paths})
        }
        InstructionKind::StopSignal(signal) => {
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

/// ENV and LABEL pairs as the key describes them.
fn key_values(pairs: &[KeyValue]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|pair| (pair.key.as_str(), pair.value.as_str()))
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
