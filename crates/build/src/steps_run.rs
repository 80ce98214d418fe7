//! RUN as a layer step: its program (heredocs included), network and mounts.

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use container_dockerfile::{Instruction, Mount, MountKind, Network, Run, RunProgram};
use container_runtime::NetworkMode;
use container_runtime::mounts::{MountKind as RuntimeMount, MountOrigin, MountSpec};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::BuildEvent;
use crate::error::StepError;
use crate::mounted::Mounted;
use crate::run::RunSpec;
use crate::stage::{StageEnv, State, layer_step};

/// Where BuildKit puts the script of a `RUN <<EOF` that starts with `#!`.
const SCRIPT_DIR: &str = "/dev/pipes";

/// RUN.
pub(crate) fn run(
    env: &StageEnv<'_>,
    state: &mut State,
    instruction: &Instruction,
    run: &Run,
) -> Result<(), StepError> {
    if run.security == container_dockerfile::Security::Insecure {
        // TODO: RUN --security=insecure (BuildKit's `security.insecure` entitlement)
        return Err(StepError::Unsupported {
            what: "`RUN --security=insecure`".to_owned(),
        });
    }
    let program = run.program(&state.shell());
    let mounts = &run.mounts;
    let network = match run.network {
        Network::Default => env.options.network,
        Network::None => NetworkMode::None,
        Network::Host => NetworkMode::Host,
    };
    // What bind mounts show is part of the key: the context's content, or the
    // image a `from=` names.
    let mut content = String::new();
    for mount in mounts.iter().filter(|m| m.kind == MountKind::Bind) {
        match &mount.from {
            None => {
                let source = mount.source.clone().unwrap_or_default();
                let source = source.trim_start_matches('/').to_owned();
                content.push_str(&env.context.content_hash(&[source])?);
            }
            Some(from) => content.push_str(&crate::stage_from::from_image(env, state, from)?.id),
        }
    }
    let description = json!({
        "run": format!("{program:?}"),
        "mounts": mounts,
        "network": network.as_str(),
    });
    let key = state.next_key(&description, &content);
    let label_events = env.events;
    layer_step(env, state, instruction, key, &mut |state| {
        let image = state.image.clone().ok_or_else(|| StepError::Unsupported {
            what: "RUN on `scratch` before any file was added".to_owned(),
        })?;
        let mut held = Vec::new();
        let mut specs = Vec::new();
        for mount in mounts {
            if let Some(spec) = runtime_mount(env, state, mount, &mut held)? {
                specs.push(spec);
            }
        }
        let argv = match &program {
            RunProgram::Argv(argv) => argv.clone(),
            RunProgram::Script { name, content } => {
                // Closed before it runs: a file open for writing cannot be executed.
                let script = tempfile::NamedTempFile::new()
                    .map_err(|e| write_error("a RUN script", e))?
                    .into_temp_path();
                std::fs::write(&script, content).map_err(|e| write_error("a RUN script", e))?;
                std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
                    .map_err(|e| write_error("a RUN script", e))?;
                let target = format!("{SCRIPT_DIR}/{name}");
                specs.push(bind(script.display().to_string(), target.clone(), true));
                held.push(Held::File(script));
                vec![target]
            }
        };
        let spec = RunSpec {
            argv,
            env: state.scope.run_env(),
            working_dir: state.working_dir(),
            user: crate::image_config::string(&state.config, "User"),
            network,
            mounts: specs,
        };
        let label = format!("{}{}/{}", state.prefix, state.step, state.steps);
        let scratch = env.store().scratch_dir("run")?;
        let output = |data: &[u8]| {
            label_events(BuildEvent::Output {
                label: label.clone(),
                data: data.to_vec(),
            })
        };
        let upper = crate::run::run(env.runtime, &image, &spec, scratch, &output)?;
        drop(held);
        Ok(Some(upper))
    })
}

/// What a RUN holds on to while it runs: mounts of other images, script files.
enum Held {
    Mounted(#[allow(dead_code)] Mounted),
    File(#[allow(dead_code)] tempfile::TempPath),
}

fn write_error(what: &str, source: std::io::Error) -> StepError {
    StepError::Build(crate::BuildError::Write {
        path: what.to_owned(),
        source,
    })
}

fn bind(source: String, destination: String, read_only: bool) -> MountSpec {
    MountSpec {
        kind: RuntimeMount::Bind,
        origin: MountOrigin::Mount(format!("type=bind,source={source},target={destination}")),
        source,
        destination,
        read_only,
        mode: String::new(),
        propagation: "rprivate".into(),
        no_copy: false,
        is_anonymous: false,
        tmpfs_options: Vec::new(),
    }
}

/// The runtime's mount for one `RUN --mount`; `None` for an optional secret that
/// was not given.
fn runtime_mount(
    env: &StageEnv<'_>,
    state: &State,
    mount: &Mount,
    held: &mut Vec<Held>,
) -> Result<Option<MountSpec>, StepError> {
    let target = || mount.target.clone().unwrap_or_default();
    match mount.kind {
        MountKind::Bind => {
            let source = mount.source.clone().unwrap_or_default();
            let source = source.trim_start_matches('/');
            let host = match &mount.from {
                None => env.context.path(source),
                Some(from) => {
                    let image = crate::stage_from::from_image(env, state, from)?;
                    let mounted = Mounted::new(env.store(), Some(&image))?;
                    let host = mounted.root().join(source);
                    held.push(Held::Mounted(mounted));
                    host
                }
            };
            if mount.readonly {
                return Ok(Some(bind(host.display().to_string(), target(), true)));
            }
            // `rw`: RUN may write there, and the writes are thrown away after
            // it, as BuildKit does; neither the context nor the stage changes.
            if !host.is_dir() {
                let copy = tempfile::NamedTempFile::new()
                    .map_err(|e| write_error("a bind mount's copy", e))?
                    .into_temp_path();
                std::fs::copy(&host, &copy).map_err(|e| write_error("a bind mount's copy", e))?;
                let source = copy.display().to_string();
                held.push(Held::File(copy));
                return Ok(Some(bind(source, target(), false)));
            }
            let writable = Mounted::writable(env.store(), &host)?;
            let root = writable.root().display().to_string();
            held.push(Held::Mounted(writable));
            Ok(Some(bind(root, target(), false)))
        }
        MountKind::Cache => {
            let id = mount.id.clone().unwrap_or_else(target);
            let dir = cache_dir(env, &id)?;
            let mode = mount.mode.unwrap_or(0o755);
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode));
            let _ = std::os::unix::fs::chown(&dir, mount.uid, mount.gid);
            Ok(Some(bind(
                dir.display().to_string(),
                target(),
                mount.readonly,
            )))
        }
        MountKind::Tmpfs => {
            let mut spec = bind(String::new(), target(), false);
            spec.kind = RuntimeMount::Tmpfs;
            spec.origin = MountOrigin::Tmpfs(target());
            if let Some(size) = mount.size {
                spec.tmpfs_options.push(format!("size={size}"));
            }
            Ok(Some(spec))
        }
        MountKind::Secret => {
            let id = mount.id.clone().unwrap_or_default();
            let Some(source) = env.options.secrets.get(&id) else {
                return match mount.required {
                    true => Err(StepError::MissingSecret { id }),
                    false => Ok(None),
                };
            };
            if mount.env.is_some() && mount.target.is_none() {
                return Err(StepError::Unsupported {
                    what: "a secret given only as an environment variable (`env=`)".to_owned(),
                });
            }
            let destination = mount
                .target
                .clone()
                .unwrap_or_else(|| format!("/run/secrets/{id}"));
            Ok(Some(bind(source.display().to_string(), destination, true)))
        }
        MountKind::Ssh => Err(StepError::Unsupported {
            what: "`RUN --mount=type=ssh`".to_owned(),
        }),
    }
}

/// The directory of a cache mount, kept across builds until `builder prune`.
fn cache_dir(env: &StageEnv<'_>, id: &str) -> Result<PathBuf, StepError> {
    let hex = hex::encode(Sha256::digest(id.as_bytes()));
    let dir = env.store().root().join("build-cache-mounts").join(hex);
    std::fs::create_dir_all(&dir).map_err(|e| write_error("a cache mount", e))?;
    Ok(dir)
}
