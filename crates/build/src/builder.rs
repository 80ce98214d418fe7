//! The whole build: parse, plan the stages the target needs
//! ([`container_dockerfile::Dockerfile::plan`]), run them in parallel as
//! their dependencies allow.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex};

use container_dockerfile::{Dockerfile, ErrorKind, GlobalScope};
use container_runtime::Runtime;
use container_store::Image;

use crate::context::Context;
use crate::error::{BuildError, Result, StepError};
use crate::stage::{self, StageEnv};
use crate::{BuildEvent, BuildOptions, Built};

/// Builds the target stage of `options.dockerfile` with `context`.
#[tracing::instrument(skip_all, fields(dockerfile = %options.dockerfile_name))]
pub fn build(
    runtime: &Runtime,
    context: &Context,
    options: &BuildOptions,
    events: &(dyn Fn(BuildEvent) + Sync),
) -> Result<Built> {
    let file_name = options.dockerfile_name.clone();
    let parse_error = |error: container_dockerfile::Error| match error.kind {
        ErrorKind::UnknownTarget { name } => BuildError::NoTarget {
            file: file_name.clone(),
            name,
        },
        _ => BuildError::Parse {
            file: file_name.clone(),
            error: Box::new(error),
        },
    };
    let file = container_dockerfile::parse(&options.dockerfile).map_err(parse_error)?;
    for warning in &file.warnings {
        events(BuildEvent::Warning(format!(
            "{file_name}:{}: {}",
            warning.line, warning.message
        )));
    }
    // Planning expands every instruction a stage has, so it finds the
    // errors of their words before anything runs: each names its instruction.
    let plan_error = |error: container_dockerfile::Error| match written_at(&file, error.line) {
        Some(instruction) => BuildError::Step {
            file: file_name.clone(),
            line: error.line,
            instruction: stage::shortened(instruction),
            source: Box::new(StepError::Dockerfile(error)),
        },
        None => parse_error(error),
    };
    let globals = GlobalScope::new(&file, &options.build_args, &stage::platform_args(options))
        .map_err(plan_error)?;
    let plan = file
        .plan(options.target.as_deref(), &globals, &options.build_args)
        .map_err(plan_error)?;

    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| BuildError::Write {
            path: "(event loop)".into(),
            source,
        })?;
    let results = Results::default();
    let is_multi_stage = plan.stages.len() > 1;
    std::thread::scope(|scope| {
        for planned in &plan.stages {
            let env = StageEnv {
                runtime,
                context,
                options,
                events,
                file: &file,
                globals: &globals,
                tokio: tokio.handle(),
                is_multi_stage,
                results: &results,
            };
            let results = &results;
            let is_target = planned.index == plan.target;
            scope.spawn(move || {
                let outcome = match results.wait_for(&planned.needs) {
                    true => Outcome::from(stage::run(&env, planned, is_target)),
                    false => Outcome::DependencyFailed,
                };
                results.set(planned.index, outcome);
            });
        }
    });
    let unused = options.build_args.unused(&file);
    if !unused.is_empty() {
        events(BuildEvent::Warning(format!(
            "one or more build args were not consumed: {}",
            unused.join(", ")
        )));
    }

    let mut outcomes = results.outcomes.into_inner().expect("no panics holding it");
    for planned in &plan.stages {
        if let Some(Outcome::Failed(_)) = outcomes.get(&planned.index) {
            let Some(Outcome::Failed(error)) = outcomes.remove(&planned.index) else {
                unreachable!("checked above")
            };
            return Err(error);
        }
    }
    match outcomes.remove(&plan.target) {
        Some(Outcome::Done(image)) => Ok(Built { image: *image }),
        _ => unreachable!("the target ran, or a stage failed"),
    }
}

/// The instruction at `line` as written, FROM lines included.
fn written_at(file: &Dockerfile, line: usize) -> Option<&str> {
    let stages = file.stages.iter();
    let mut lines = stages.flat_map(|stage| {
        let instructions = stage.instructions.iter();
        std::iter::once((stage.line, &stage.original))
            .chain(instructions.map(|i| (i.line, &i.original)))
    });
    let found = lines.find(|(at, _)| *at == line && line > 0);
    found.map(|(_, original)| original.as_str())
}

/// How a stage ended.
pub(crate) enum Outcome {
    Done(Box<Image>),
    Failed(BuildError),
    DependencyFailed,
}

impl From<Result<Image>> for Outcome {
    fn from(result: Result<Image>) -> Outcome {
        match result {
            Ok(image) => Outcome::Done(Box::new(image)),
            Err(error) => Outcome::Failed(error),
        }
    }
}

/// The stages done so far, for the stages waiting on them.
#[derive(Default)]
pub(crate) struct Results {
    outcomes: Mutex<BTreeMap<usize, Outcome>>,
    changed: Condvar,
}

impl Results {
    fn set(&self, index: usize, outcome: Outcome) {
        let mut outcomes = self.outcomes.lock().expect("no panics holding it");
        outcomes.insert(index, outcome);
        self.changed.notify_all();
    }

    /// Waits until every one of `stages` is done; false when one failed.
    fn wait_for(&self, stages: &[usize]) -> bool {
        let mut outcomes = self.outcomes.lock().expect("no panics holding it");
        loop {
            if stages
                .iter()
                .any(|s| !matches!(outcomes.get(s), None | Some(Outcome::Done(_))))
            {
                return false;
            }
            if stages.iter().all(|s| outcomes.contains_key(s)) {
                return true;
            }
            outcomes = self.changed.wait(outcomes).expect("no panics holding it");
        }
    }

    /// The image of a finished stage.
    pub(crate) fn image(&self, index: usize) -> Option<Image> {
        match self
            .outcomes
            .lock()
            .expect("no panics holding it")
            .get(&index)
        {
            Some(Outcome::Done(image)) => Some(image.as_ref().clone()),
            _ => None,
        }
    }
}
