//! Which stages a build needs, and in what order.
//!
//! A stage needs the stage its FROM names (an earlier stage, by name), and
//! the stages its `COPY --from=` and `RUN --mount=...,from=` name (by name
//! or index). Stages the target does not need are not built; stages that
//! do not need each other may be built at once.

use crate::error::{Error, ErrorKind};
use crate::instruction::{Dockerfile, InstructionKind, Stage};
use crate::scope::{BuildArgs, GlobalScope, StageScope};

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// `FROM scratch`: an empty filesystem and config.
    Scratch,
    /// An image reference, as expanded (not normalised).
    Image(String),
    /// An earlier stage of the file, by index.
    Stage(usize),
}

/// What a `--from=` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromRef {
    /// A stage of the file, by index.
    Stage(usize),
    /// An image reference.
    Image(String),
}

/// One stage of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStage {
    /// The stage's index in [`Dockerfile::stages`].
    pub index: usize,
    /// Its base.
    pub base: Base,
    /// Its `--platform`, expanded.
    pub platform: Option<String>,
    /// The stages it needs (its base and `--from`s), each earlier in
    /// [`Plan::stages`].
    pub needs: Vec<usize>,
}

/// The stages to build for a target, each after the stages it needs; the
/// target is last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The target stage's index.
    pub target: usize,
    /// The stages to build, dependencies first.
    pub stages: Vec<PlannedStage>,
}

impl Dockerfile {
    /// The stage `--target` names (by name, case-insensitively), or the
    /// last stage when there is no target.
    pub fn target(&self, target: Option<&str>) -> Result<usize, Error> {
        let Some(name) = target else {
            let last = self.stages.len().checked_sub(1);
            return last.ok_or_else(|| Error::new(0, None, ErrorKind::NoStage));
        };
        let lower = name.to_ascii_lowercase();
        let found = self
            .stages
            .iter()
            .position(|s| s.name() == Some(lower.as_str()));
        found.ok_or_else(|| {
            Error::new(
                0,
                None,
                ErrorKind::UnknownTarget {
                    name: name.to_string(),
                },
            )
        })
    }

    /// What an expanded `--from=` value in stage `current` names: a stage
    /// by name (case-insensitively), a stage by index (which must come
    /// before `current`), or else an image.
    pub fn resolve_from(&self, current: usize, from: &str) -> FromRef {
        let lower = from.to_ascii_lowercase();
        if let Some(stage) = self
            .stages
            .iter()
            .position(|s| s.name() == Some(lower.as_str()))
        {
            return FromRef::Stage(stage);
        }
        match from.parse::<usize>() {
            Ok(index) if index < current => FromRef::Stage(index),
            _ => FromRef::Image(from.to_string()),
        }
    }

    /// The stage's base: scratch, an earlier stage by name, or an image.
    pub fn resolve_base(&self, stage: &Stage, globals: &GlobalScope) -> Result<Base, Error> {
        let base = globals.base(stage)?;
        if base.eq_ignore_ascii_case("scratch") {
            return Ok(Base::Scratch);
        }
        let lower = base.to_ascii_lowercase();
        let earlier = self
            .stages
            .get(..stage.index)
            .unwrap_or_default()
            .iter()
            .position(|s| s.name() == Some(lower.as_str()));
        Ok(earlier.map_or(Base::Image(base), Base::Stage))
    }

    /// The stages to build for `target` (the last stage when `None`).
    ///
    /// `--from` values are expanded with the stage's ARGs and ENVs as far as
    /// the file says; a `$VAR` that only the base image's env sets is not
    /// known here and resolves as empty.
    pub fn plan(
        &self,
        target: Option<&str>,
        globals: &GlobalScope,
        build_args: &BuildArgs,
    ) -> Result<Plan, Error> {
        let target = self.target(target)?;
        let mut planner = Planner {
            file: self,
            globals,
            build_args,
            state: vec![Visit::New; self.stages.len()],
            order: Vec::new(),
        };
        planner.visit(target)?;
        Ok(Plan {
            target,
            stages: planner.order,
        })
    }

    /// The stages stage `index` needs, expanded as [`Dockerfile::plan`]
    /// does.
    pub fn needs(
        &self,
        index: usize,
        globals: &GlobalScope,
        build_args: &BuildArgs,
    ) -> Result<Vec<usize>, Error> {
        let Some(stage) = self.stages.get(index) else {
            let kind = ErrorKind::UnknownTarget {
                name: index.to_string(),
            };
            return Err(Error::new(0, None, kind));
        };
        let mut needs = Vec::new();
        if let Base::Stage(base) = self.resolve_base(stage, globals)? {
            needs.push(base);
        }
        // TODO: a `--from=$VAR` that only the base image's ENV sets resolves as empty here
        let mut scope = StageScope::new(self.directives.escape, &[], build_args);
        for instruction in &stage.instructions {
            let expanded = scope.expand_instruction(instruction)?;
            for from in froms(&expanded.kind) {
                if let FromRef::Stage(needed) = self.resolve_from(index, &from) {
                    if needed == index {
                        let name = stage.name().map_or_else(|| index.to_string(), String::from);
                        return Err(Error::new(
                            instruction.line,
                            Some(instruction.keyword()),
                            ErrorKind::Cycle { stage: name },
                        ));
                    }
                    if !needs.contains(&needed) {
                        needs.push(needed);
                    }
                }
            }
            scope.apply(&expanded, globals, build_args);
        }
        Ok(needs)
    }
}

/// The `--from=` values of an expanded instruction.
fn froms(kind: &InstructionKind) -> Vec<String> {
    match kind {
        InstructionKind::Copy(copy) => copy.from.iter().cloned().collect(),
        InstructionKind::Run(run) => run.mounts.iter().filter_map(|m| m.from.clone()).collect(),
        _ => Vec::new(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    Visiting,
    Done,
}

struct Planner<'a> {
    file: &'a Dockerfile,
    globals: &'a GlobalScope,
    build_args: &'a BuildArgs,
    state: Vec<Visit>,
    order: Vec<PlannedStage>,
}

impl Planner<'_> {
    fn visit(&mut self, index: usize) -> Result<(), Error> {
        match self.state[index] {
            Visit::Done => return Ok(()),
            Visit::Visiting => {
                let stage = &self.file.stages[index];
                let name = stage.name().map_or_else(|| index.to_string(), String::from);
                return Err(Error::new(
                    stage.line,
                    Some("FROM"),
                    ErrorKind::Cycle { stage: name },
                ));
            }
            Visit::New => {}
        }
        self.state[index] = Visit::Visiting;
        let needs = self.file.needs(index, self.globals, self.build_args)?;
        for &needed in &needs {
            self.visit(needed)?;
        }
        let stage = &self.file.stages[index];
        let base = self.file.resolve_base(stage, self.globals)?;
        let platform = self.globals.platform(stage)?;
        self.state[index] = Visit::Done;
        self.order.push(PlannedStage {
            index,
            base,
            platform,
            needs,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn plan(text: &str, target: Option<&str>, flags: &[&str]) -> Result<Plan, Error> {
        let file = parse(text).unwrap();
        let build_args = BuildArgs::from_flags(flags, &|_| None);
        let globals = GlobalScope::new(&file, &build_args, &[]).unwrap();
        file.plan(target, &globals, &build_args)
    }

    fn order(plan: &Plan) -> Vec<usize> {
        plan.stages.iter().map(|s| s.index).collect()
    }

    const MULTI: &str = "FROM golang:1.22 AS build\nRUN go build\n\
                         FROM alpine AS unused\nRUN echo never\n\
                         FROM build AS test\nRUN go test\n\
                         FROM scratch AS assets\nCOPY x /x\n\
                         FROM debian AS final\nCOPY --from=build /app /app\nCOPY --from=3 /x /x\n\
                         RUN --mount=type=bind,from=test,target=/t true\n";

    #[test]
    fn only_the_needed_stages_dependencies_first() {
        let all = plan(MULTI, None, &[]).unwrap();
        assert_eq!(all.target, 4);
        assert_eq!(order(&all), [0, 3, 2, 4]);
        assert_eq!(all.stages[1].base, Base::Scratch);
        assert_eq!(all.stages[2].base, Base::Stage(0));
        assert_eq!(all.stages[3].base, Base::Image("debian".into()));
        assert_eq!(all.stages[3].needs, [0, 3, 2]);
        let test = plan(MULTI, Some("TEST"), &[]).unwrap();
        assert_eq!(order(&test), [0, 2]);
        let error = plan(MULTI, Some("nope"), &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "target stage \"nope\" could not be found"
        );
    }

    #[test]
    fn from_values_are_expanded_with_stage_args() {
        let text = "ARG SRC=one\nFROM alpine AS one\nFROM alpine AS two\nFROM busybox\nARG SRC\nCOPY --from=$SRC /a /a\n";
        assert_eq!(order(&plan(text, None, &[]).unwrap()), [0, 2]);
        assert_eq!(order(&plan(text, None, &["SRC=two"]).unwrap()), [1, 2]);
        let image = "FROM busybox\nCOPY --from=nginx:latest /etc/nginx /n\n";
        let file = parse(image).unwrap();
        assert_eq!(
            file.resolve_from(0, "nginx:latest"),
            FromRef::Image("nginx:latest".into())
        );
        assert_eq!(
            file.resolve_from(0, "0"),
            FromRef::Image("0".into()),
            "an index names an earlier stage only"
        );
        assert_eq!(order(&plan(image, None, &[]).unwrap()), [0]);
    }

    #[test]
    fn cycles_are_errors() {
        let text = "FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nCOPY --from=a /y /y\n";
        let error = plan(text, None, &[]).unwrap_err();
        assert!(matches!(error.kind, ErrorKind::Cycle { .. }), "{error}");
        let own = "FROM alpine AS a\nCOPY --from=a /x /x\n";
        assert_eq!(
            plan(own, None, &[]).unwrap_err().to_string(),
            "COPY: circular dependency detected on stage: a"
        );
    }

    #[test]
    fn a_base_names_an_earlier_stage_only() {
        let text = "FROM later AS first\nFROM alpine AS later\n";
        let plan = plan(text, Some("first"), &[]).unwrap();
        assert_eq!(plan.stages[0].base, Base::Image("later".into()));
    }
}
