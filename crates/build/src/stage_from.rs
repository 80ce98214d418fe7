//! FROM: a stage's base (`scratch`, an earlier stage, or an image, pulled when
//! missing or with `--pull`), and the base image's ONBUILD triggers.

use std::sync::Arc;
use std::time::Instant;

use container_dockerfile::{Base, FromRef, Instruction, PlannedStage, StageScope};
use container_reference::Reference;
use container_registry::platform::Platform;
use container_store::{Image, PullOptions};
use serde_json::Value;

use crate::BuildEvent;
use crate::error::{BuildError, Result, StepError};
use crate::image_config as config;
use crate::stage::{StageEnv, State, is_layer_step};

/// The stage's starting state, and the triggers to run before its instructions.
pub(crate) fn begin(
    env: &StageEnv<'_>,
    planned: &PlannedStage,
) -> Result<(State, Vec<Instruction>)> {
    let index = planned.index;
    let stage = &env.file.stages[index];
    let from_error = |error: StepError| BuildError::Step {
        file: env.options.dockerfile_name.clone(),
        line: stage.line,
        instruction: stage.original.clone(),
        source: Box::new(error),
    };
    let platform = match &planned.platform {
        Some(platform) => Some(Platform::parse(platform).map_err(|e| {
            from_error(StepError::Unsupported {
                what: format!("the platform in FROM ({e})"),
            })
        })?),
        None => None,
    };

    let prefix = match env.is_multi_stage {
        true => format!(
            "{} ",
            stage.name().map_or(format!("stage-{index}"), str::to_owned)
        ),
        false => String::new(),
    };
    let started = Instant::now();
    let (image, base_config, shown, is_local) =
        base(env, &planned.base, platform.as_ref()).map_err(from_error)?;
    let mut config = match &base_config {
        Some(base) => config::from_base(base),
        None => {
            let platform = platform.unwrap_or_else(|| env.platform());
            config::scratch(
                &platform.os,
                &platform.architecture,
                platform.variant.as_deref(),
            )
        }
    };
    let triggers = take_triggers(&mut config).map_err(from_error)?;
    let steps = 1
        + triggers.iter().filter(|i| is_layer_step(i)).count()
        + stage
            .instructions
            .iter()
            .filter(|i| is_layer_step(i))
            .count();
    let label = format!("{prefix}1/{steps}");
    (env.events)(BuildEvent::Step {
        label: label.clone(),
        text: format!("FROM {shown}"),
    });
    (env.events)(BuildEvent::Done {
        label,
        // A base the store had (no pull) counts as cached, as BuildKit shows it.
        is_cached: is_local && !env.options.no_cache,
        elapsed: started.elapsed(),
    });
    let key = match &image {
        Some(image) => image.id.clone(),
        None => format!("scratch {}", config["architecture"]),
    };
    let is_dirty = !triggers.is_empty() || image.is_none();
    let scope = StageScope::new(
        env.file.directives.escape,
        &config::strings(&config, "Env").unwrap_or_default(),
        &env.options.build_args,
    );
    let state = State {
        image,
        config,
        key,
        scope,
        has_cmd: false,
        is_dirty,
        step: 1,
        steps,
        prefix,
        stage: index,
    };
    Ok((state, triggers))
}

/// The base image and its config (`None` for scratch), how to show it, and
/// whether the store had it already.
fn base(
    env: &StageEnv<'_>,
    base: &Base,
    platform: Option<&Platform>,
) -> std::result::Result<(Option<Image>, Option<Value>, String, bool), StepError> {
    match base {
        Base::Scratch => Ok((None, None, "scratch".into(), false)),
        Base::Stage(stage) => {
            let shown = env.file.stages[*stage].name().unwrap_or_default();
            let image = env
                .results
                .image(*stage)
                .ok_or_else(|| StepError::StageOrder {
                    name: shown.to_owned(),
                })?;
            let config = image.raw_config.clone();
            Ok((Some(image), Some(config), shown.to_owned(), false))
        }
        Base::Image(name) => {
            let (image, is_local) = find_or_pull(env, name, platform)?;
            let shown = Reference::parse_with_default_tag(name)
                .map(|r| r.to_string())
                .unwrap_or_else(|_| name.to_owned());
            let config = image.raw_config.clone();
            Ok((Some(image), Some(config), shown, is_local))
        }
    }
}

/// An image by name: from the store, or pulled when missing (always with `--pull`).
pub(crate) fn resolve_image(
    env: &StageEnv<'_>,
    name: &str,
    platform: Option<&Platform>,
) -> std::result::Result<Image, StepError> {
    Ok(find_or_pull(env, name, platform)?.0)
}

/// [`resolve_image`], and whether the store had the image (no pull).
fn find_or_pull(
    env: &StageEnv<'_>,
    name: &str,
    platform: Option<&Platform>,
) -> std::result::Result<(Image, bool), StepError> {
    let store = env.store();
    let failed = |source| StepError::BaseImage {
        name: name.to_owned(),
        source,
    };
    let wanted = platform.cloned().or_else(|| env.options.platform.clone());
    if !env.options.pull
        && let Ok(image) = store.resolve(name)
        && wanted.as_ref().is_none_or(|p| image.config.can_serve(p))
    {
        return Ok((image, true));
    }
    let reference = Reference::parse_with_default_tag(name)
        .map_err(|e| failed(container_store::StoreError::from(e)))?;
    let options = PullOptions { platform: wanted };
    let pulled = env
        .tokio
        .block_on(store.pull(&reference, &env.options.access, &options, Arc::new(|_| {})))
        .map_err(failed)?;
    Ok((pulled.image, false))
}

/// The base's ONBUILD triggers, parsed; the new image does not inherit them.
fn take_triggers(config: &mut Value) -> std::result::Result<Vec<Instruction>, StepError> {
    let triggers = config::strings(config, "OnBuild").unwrap_or_default();
    if triggers.is_empty() {
        return Ok(Vec::new());
    }
    config::set(config, "OnBuild", Value::Null);
    triggers
        .iter()
        .map(|text| container_dockerfile::parse_trigger(text).map_err(StepError::from))
        .collect()
}

/// The image a `--from=` names: a stage (built before this one, as the plan
/// orders them), or an image.
pub(crate) fn from_image(
    env: &StageEnv<'_>,
    state: &State,
    name: &str,
) -> std::result::Result<Image, StepError> {
    match env.file.resolve_from(state.stage, name) {
        FromRef::Stage(stage) => env
            .results
            .image(stage)
            .ok_or_else(|| StepError::StageOrder {
                name: name.to_owned(),
            }),
        FromRef::Image(name) => resolve_image(env, &name, None),
    }
}
