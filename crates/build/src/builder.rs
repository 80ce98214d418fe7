//! The whole build: parse, pick the stages the target needs, run them in
//! parallel as their dependencies allow.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Condvar, Mutex};

use container_dockerfile::{Dockerfile, InstructionKind, Lexer};
use container_runtime::Runtime;
use container_store::Image;

use crate::context::Context;
use crate::error::{BuildError, Result};
use crate::stage::{self, StageEnv};
use crate::{BuildEvent, BuildOptions, Built};

/// Build args every Dockerfile may use without declaring them.
const PREDEFINED_ARGS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Builds the target stage of `options.dockerfile` with `context`.
#[tracing::instrument(skip_all, fields(dockerfile = %options.dockerfile_name))]
pub fn build(
    runtime: &Runtime,
    context: &Context,
    options: &BuildOptions,
    events: &(dyn Fn(BuildEvent) + Sync),
) -> Result<Built> {
    let file_name = options.dockerfile_name.clone();
    let file =
        container_dockerfile::parse(&options.dockerfile).map_err(|error| BuildError::Parse {
            file: file_name.clone(),
            error: Box::new(error),
        })?;
    for warning in &file.warnings {
        events(BuildEvent::Warning(format!(
            "{file_name}:{}: {}",
            warning.line, warning.message
        )));
    }
    let used = Mutex::new(BTreeSet::new());
    let globals = global_args(&file, options, &used).map_err(|error| BuildError::Parse {
        file: file_name.clone(),
        error: Box::new(error),
    })?;
    let target = target_stage(&file, options)?;
    let dependencies: Vec<BTreeSet<usize>> = (0..file.stages.len())
        .map(|i| stage_dependencies(&file, i, &globals))
        .collect();
    let needed = needed_stages(target, &dependencies);

    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| BuildError::Write {
            path: "(event loop)".into(),
            source,
        })?;
    let results = Results::default();
    let is_multi_stage = needed.len() > 1;
    std::thread::scope(|scope| {
        for &index in &needed {
            let env = StageEnv {
                runtime,
                context,
                options,
                events,
                file: &file,
                globals: &globals,
                used_args: &used,
                tokio: tokio.handle(),
                is_multi_stage,
                results: &results,
            };
            let dependencies = &dependencies[index];
            let results = &results;
            scope.spawn(move || {
                let outcome = match results.wait_for(dependencies) {
                    true => Outcome::from(stage::run(&env, index, index == target)),
                    false => Outcome::DependencyFailed,
                };
                results.set(index, outcome);
            });
        }
    });
    warn_unused(
        options,
        &used.into_inner().expect("no panics holding it"),
        events,
    );

    let mut outcomes = results.outcomes.into_inner().expect("no panics holding it");
    for index in &needed {
        if let Some(Outcome::Failed(_)) = outcomes.get(index) {
            let Some(Outcome::Failed(error)) = outcomes.remove(index) else {
                unreachable!("checked above")
            };
            return Err(error);
        }
    }
    match outcomes.remove(&target) {
        Some(Outcome::Done(image)) => Ok(Built { image: *image }),
        _ => unreachable!("the target ran, or a stage failed"),
    }
}

/// The values of the ARGs before the first FROM: `--build-arg`, else their
/// defaults (which may use the ARGs before them).
fn global_args(
    file: &Dockerfile,
    options: &BuildOptions,
    used: &Mutex<BTreeSet<String>>,
) -> std::result::Result<BTreeMap<String, Option<String>>, container_dockerfile::Error> {
    let lexer = Lexer::new(file.directives.escape);
    let mut globals: BTreeMap<String, Option<String>> = stage::platform_args(options)
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .collect();
    for instruction in &file.global_args {
        let InstructionKind::Arg(declarations) = &instruction.kind else {
            continue;
        };
        for declaration in declarations {
            used.lock()
                .expect("no panics holding it")
                .insert(declaration.name.clone());
            let value = match (
                options.build_args.get(&declaration.name),
                &declaration.default,
            ) {
                (Some(value), _) => Some(value.clone()),
                (None, Some(default)) => {
                    let lookup = |name: &str| globals.get(name).cloned().flatten();
                    Some(lexer.expand(default, &lookup).map_err(|e| {
                        container_dockerfile::Error::new(
                            instruction.line,
                            Some("ARG"),
                            container_dockerfile::ErrorKind::Expand(e),
                        )
                    })?)
                }
                (None, None) => None,
            };
            globals.insert(declaration.name.clone(), value);
        }
    }
    Ok(globals)
}

fn target_stage(file: &Dockerfile, options: &BuildOptions) -> Result<usize> {
    let Some(name) = &options.target else {
        return Ok(file.stages.len() - 1);
    };
    let wanted = name.to_ascii_lowercase();
    file.stages
        .iter()
        .position(|s| s.name() == Some(wanted.as_str()))
        .ok_or_else(|| BuildError::NoTarget {
            file: options.dockerfile_name.clone(),
            name: name.clone(),
        })
}

/// The earlier stages stage `index` reads: its FROM, `COPY --from` and
/// `RUN --mount=from=`.
fn stage_dependencies(
    file: &Dockerfile,
    index: usize,
    globals: &BTreeMap<String, Option<String>>,
) -> BTreeSet<usize> {
    let stage = &file.stages[index];
    let lexer = Lexer::new(file.directives.escape);
    let lookup = |name: &str| globals.get(name).cloned().flatten();
    let expand = |word: &str| {
        lexer
            .expand(word, &lookup)
            .unwrap_or_else(|_| word.to_owned())
    };
    let mut names = vec![expand(&stage.from.image)];
    for instruction in &stage.instructions {
        match &instruction.kind {
            InstructionKind::Copy(files) | InstructionKind::Add(files) => {
                names.extend(files.from.as_deref().map(expand));
            }
            InstructionKind::Run(run) => {
                names.extend(
                    run.mounts
                        .iter()
                        .filter_map(|m| m.from.as_deref())
                        .map(expand),
                );
            }
            _ => {}
        }
    }
    names
        .iter()
        .filter_map(|name| stage::stage_index(file, name, index))
        .collect()
}

fn needed_stages(target: usize, dependencies: &[BTreeSet<usize>]) -> Vec<usize> {
    let mut needed = BTreeSet::new();
    let mut pending = vec![target];
    while let Some(index) = pending.pop() {
        if needed.insert(index) {
            pending.extend(dependencies[index].iter().copied());
        }
    }
    needed.into_iter().collect()
}

fn warn_unused(
    options: &BuildOptions,
    used: &BTreeSet<String>,
    events: &(dyn Fn(BuildEvent) + Sync),
) {
    let unused: Vec<&str> = options
        .build_args
        .keys()
        .filter(|name| !used.contains(*name) && !PREDEFINED_ARGS.contains(&name.as_str()))
        .map(String::as_str)
        .collect();
    if !unused.is_empty() {
        events(BuildEvent::Warning(format!(
            "one or more build args were not consumed: {}",
            unused.join(", ")
        )));
    }
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
    fn wait_for(&self, stages: &BTreeSet<usize>) -> bool {
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
