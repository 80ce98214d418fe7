//! One stage: its base, then its instructions in order, each a cache lookup or
//! a run.

use std::time::Instant;

use container_dockerfile::{
    Dockerfile, GlobalScope, Instruction, InstructionKind, PlannedStage, StageScope,
};
use container_registry::platform::Platform;
use container_runtime::Runtime;
use container_store::{Image, Store};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::builder::Results;
use crate::context::Context;
use crate::error::{BuildError, Result, StepError};
use crate::image_config as config;
use crate::{BuildEvent, BuildOptions};

/// What every stage of one build shares.
pub(crate) struct StageEnv<'a> {
    pub runtime: &'a Runtime,
    pub context: &'a Context,
    pub options: &'a BuildOptions,
    pub events: &'a (dyn Fn(BuildEvent) + Sync),
    pub file: &'a Dockerfile,
    pub globals: &'a GlobalScope,
    pub tokio: &'a tokio::runtime::Handle,
    pub is_multi_stage: bool,
    pub results: &'a Results,
}

impl StageEnv<'_> {
    pub fn store(&self) -> &Store {
        self.runtime.store()
    }

    /// The platform images are built for.
    pub fn platform(&self) -> Platform {
        self.options.platform.clone().unwrap_or_else(Platform::host)
    }

    /// A step error at `line` of the Dockerfile.
    pub fn step_error(
        &self,
        instruction: &Instruction,
        line: usize,
        error: StepError,
    ) -> BuildError {
        BuildError::Step {
            file: self.options.dockerfile_name.clone(),
            line,
            instruction: shortened(&instruction.original),
            source: Box::new(error),
        }
    }
}

/// An instruction as errors show it: at most 80 characters.
pub(crate) fn shortened(original: &str) -> String {
    match original.chars().count() > 80 {
        true => original.chars().take(77).collect::<String>() + "...",
        false => original.to_owned(),
    }
}

/// `BUILDPLATFORM`, `TARGETPLATFORM` and their parts, as BuildKit predefines them.
pub(crate) fn platform_args(options: &BuildOptions) -> Vec<(String, String)> {
    let spelled = |platform: &Platform| match &platform.variant {
        Some(variant) => format!("{}/{}/{variant}", platform.os, platform.architecture),
        None => format!("{}/{}", platform.os, platform.architecture),
    };
    let target = options.platform.clone().unwrap_or_else(Platform::host);
    container_dockerfile::platform_args(&spelled(&Platform::host()), &spelled(&target))
}

/// Where a stage is.
pub(crate) struct State {
    /// The last committed image; `None` on `scratch` before the first layer.
    pub image: Option<Image>,
    /// The config as it stands, with changes not yet committed.
    pub config: Value,
    /// The cache key of the state.
    pub key: String,
    /// The stage's ENV and ARG values, for expanding its instructions.
    pub scope: StageScope,
    /// A CMD was set in this stage (an ENTRYPOINT then keeps it: C15).
    pub has_cmd: bool,
    /// The config changed since `image` was committed.
    pub is_dirty: bool,
    /// Layer steps so far, for the `[2/4]` labels.
    pub step: usize,
    /// Layer steps in all.
    pub steps: usize,
    /// The stage's label prefix in a multi-stage build.
    pub prefix: String,
    /// The stage's index.
    pub stage: usize,
}

impl State {
    /// The current SHELL.
    pub fn shell(&self) -> Vec<String> {
        config::strings(&self.config, "Shell")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                container_dockerfile::DEFAULT_SHELL
                    .map(String::from)
                    .to_vec()
            })
    }

    /// The working directory, `/` when unset.
    pub fn working_dir(&self) -> String {
        let dir = config::string(&self.config, "WorkingDir");
        if dir.is_empty() { "/".into() } else { dir }
    }

    /// The next key: this one, what the step does, the args in scope, and what it
    /// read.
    pub fn next_key(&self, description: &Value, content: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.key.as_bytes());
        hasher.update([0]);
        hasher.update(description.to_string().as_bytes());
        hasher.update([0]);
        hasher.update(
            serde_json::to_string(&self.scope.args())
                .expect("strings serialise")
                .as_bytes(),
        );
        hasher.update([0]);
        hasher.update(content.as_bytes());
        format!("sha256:{}", hex::encode(hasher.finalize()))
    }

    /// The label of the next layer step.
    pub fn next_label(&mut self) -> String {
        self.step += 1;
        format!("{}{}/{}", self.prefix, self.step, self.steps)
    }
}

/// Runs a planned stage; `is_target` applies `--label`.
pub(crate) fn run(env: &StageEnv<'_>, planned: &PlannedStage, is_target: bool) -> Result<Image> {
    let stage = &env.file.stages[planned.index];
    let (mut state, triggers) = crate::stage_from::begin(env, planned)?;
    let instructions: Vec<(Instruction, usize)> = triggers
        .into_iter()
        .map(|i| (i, stage.line))
        .chain(stage.instructions.iter().map(|i| (i.clone(), i.line)))
        .collect();

    for (instruction, line) in &instructions {
        crate::steps::apply(env, &mut state, instruction)
            .map_err(|error| env.step_error(instruction, *line, error))?;
    }
    if is_target && !env.options.labels.is_empty() {
        for (key, value) in &env.options.labels {
            config::set_in_map(&mut state.config, "Labels", key, json!(value));
        }
        state.key = state.next_key(&json!({"labels": env.options.labels}), "");
        state.is_dirty = true;
    }
    finish(env, state)
}

/// Whether an instruction is a step of its own in the progress (and may make a layer).
pub(crate) fn is_layer_step(instruction: &Instruction) -> bool {
    matches!(
        instruction.kind,
        InstructionKind::Run(_)
            | InstructionKind::Copy(_)
            | InstructionKind::Add(_)
            | InstructionKind::Workdir(_)
    )
}

/// Commits the config changes after the last layer step, if any.
fn finish(env: &StageEnv<'_>, state: State) -> Result<Image> {
    if let (Some(image), false) = (&state.image, state.is_dirty) {
        return Ok(image.clone());
    }
    let store = env.store();
    if !env.options.no_cache
        && let Some(image) = store.cached_step(&state.key)?
    {
        return Ok(image);
    }
    let mut config = state.config;
    config["created"] = json!(now());
    let parent_layers = state
        .image
        .as_ref()
        .map(|i| i.manifest.layers().clone())
        .unwrap_or_default();
    Ok(store.commit_image(&parent_layers, None, &config, Some(&state.key))?)
}

/// The time now, as image configs write it.
pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("the time formats")
}

/// Runs one layer step: a cache lookup by `key`, else `make`, whose directory (in
/// overlay form, or `None` for no change) becomes the layer.
pub(crate) fn layer_step(
    env: &StageEnv<'_>,
    state: &mut State,
    instruction: &Instruction,
    key: String,
    make: &mut dyn FnMut(&State) -> std::result::Result<Option<std::path::PathBuf>, StepError>,
) -> std::result::Result<(), StepError> {
    let label = state.next_label();
    (env.events)(BuildEvent::Step {
        label: label.clone(),
        text: instruction.original.clone(),
    });
    let started = Instant::now();
    let store = env.store();
    if !env.options.no_cache
        && let Some(image) = store.cached_step(&key)?
    {
        tracing::debug!(%key, image = %image.id, "build cache hit");
        state.config = image.raw_config.clone();
        state.image = Some(image);
        state.key = key;
        state.is_dirty = false;
        (env.events)(BuildEvent::Done {
            label,
            is_cached: true,
            elapsed: started.elapsed(),
        });
        return Ok(());
    }

    let dir = make(state)?;
    let layer = match dir {
        Some(dir) if !crate::mounted::is_empty_dir(&dir) => Some(store.prepare_layer(dir)?),
        Some(dir) => {
            let _ = std::fs::remove_dir_all(dir);
            None
        }
        None => None,
    };
    let mut config = state.config.clone();
    let created = now();
    if let Some(layer) = &layer {
        config::add_layer(&mut config, &layer.diff_id);
    }
    config::add_history(
        &mut config,
        &created,
        &instruction.original,
        layer.is_none(),
    );
    config["created"] = json!(created);
    let parent_layers = state
        .image
        .as_ref()
        .map(|i| i.manifest.layers().clone())
        .unwrap_or_default();
    let image = store.commit_image(&parent_layers, layer, &config, Some(&key))?;
    state.config = image.raw_config.clone();
    state.image = Some(image);
    state.key = key;
    state.is_dirty = false;
    (env.events)(BuildEvent::Done {
        label,
        is_cached: false,
        elapsed: started.elapsed(),
    });
    Ok(())
}
