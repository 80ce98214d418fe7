use std::path::Path;

use super::*;

fn volume(text: &str) -> Result<MountSpec, String> {
    parse_volume(text, Path::new("/work")).map_err(|e| full_message(&e))
}

fn mount(text: &str) -> Result<MountSpec, String> {
    parse_mount(text, Path::new("/work")).map_err(|e| full_message(&e))
}

/// The error with its causes, as the CLI prints them on one line.
fn full_message(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message = format!("{message}: {inner}");
        cause = inner.source();
    }
    message
}

#[test]
fn volume_flags_become_binds_named_and_anonymous_volumes() {
    // (text, kind, source, destination, read-only, mode)
    let cases = [
        ("/src:/dst", MountKind::Bind, "/src", "/dst", false, ""),
        (
            "/src/:/dst/:ro",
            MountKind::Bind,
            "/src",
            "/dst",
            true,
            "ro",
        ),
        (
            "/src:/dst:rw,rprivate",
            MountKind::Bind,
            "/src",
            "/dst",
            false,
            "rw,rprivate",
        ),
        (
            "./data:/dst",
            MountKind::Bind,
            "/work/data",
            "/dst",
            false,
            "",
        ),
        (".:/dst:ro", MountKind::Bind, "/work", "/dst", true, "ro"),
        (
            "cache:/var/cache",
            MountKind::Volume,
            "cache",
            "/var/cache",
            false,
            "z",
        ),
        (
            "cache:/var/cache:ro,nocopy",
            MountKind::Volume,
            "cache",
            "/var/cache",
            true,
            "ro,nocopy",
        ),
        ("/data", MountKind::Volume, "", "/data", false, ""),
    ];
    for (text, kind, source, destination, read_only, mode) in cases {
        let spec = volume(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(
            (
                spec.kind,
                spec.source.as_str(),
                spec.destination.as_str(),
                spec.read_only,
                spec.mode.as_str()
            ),
            (kind, source, destination, read_only, mode),
            "{text}"
        );
    }
    let anonymous = volume("/data").unwrap();
    assert!(anonymous.is_anonymous);
    let bind = volume("/src:/dst").unwrap();
    assert_eq!(bind.propagation, "rprivate");
    assert!(volume("v:/x:nocopy").unwrap().no_copy);
    assert_eq!(bind.origin, MountOrigin::Volume("/src:/dst".into()));
}

#[test]
fn bad_volume_flags_get_dockers_messages() {
    let cases = [
        ("", "invalid volume specification: ''"),
        (":/dst", "invalid volume specification: ':/dst'"),
        ("/a:/b:ro:z", "invalid volume specification: '/a:/b:ro:z'"),
        ("/dst:rw", "invalid volume specification: '/dst:rw'"),
        ("/src:/dst:rx", "invalid mode: rx"),
        ("/src:/dst:ro,rw", "invalid mode: ro,rw"),
        (
            "/src:dst",
            "invalid volume specification: '/src:dst': invalid mount config for type \"bind\": \
             invalid mount path: 'dst' mount path must be absolute",
        ),
        (
            "name:dst",
            "invalid volume specification: 'name:dst': invalid mount config for type \"volume\": \
             invalid mount path: 'dst' mount path must be absolute",
        ),
        (
            "/src:/",
            "invalid volume specification: '/src:/': invalid mount config for type \"bind\": \
             invalid specification: destination can't be '/'",
        ),
        (
            "/src:/dst:rshared",
            "bind propagation `rshared` is not supported yet",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(volume(text).unwrap_err(), message, "{text}");
    }
}

#[test]
fn mount_flags_read_every_spelling() {
    let bind = mount("type=bind,source=/src,target=/dst,readonly").unwrap();
    assert_eq!(
        (bind.kind, bind.source.as_str(), bind.destination.as_str()),
        (MountKind::Bind, "/src", "/dst")
    );
    assert!(bind.read_only);
    assert_eq!(
        (bind.mode.as_str(), bind.propagation.as_str()),
        ("", "rprivate")
    );

    let bind = mount("type=bind,src=./s,dst=/d,ro=false,bind-propagation=private").unwrap();
    assert_eq!(
        (
            bind.source.as_str(),
            bind.read_only,
            bind.propagation.as_str()
        ),
        ("/work/s", false, "private")
    );

    let volume = mount("source=data,destination=/data,volume-nocopy").unwrap();
    assert_eq!(
        (volume.kind, volume.source.as_str(), volume.mode.as_str()),
        (MountKind::Volume, "data", "z")
    );
    assert!(volume.no_copy && !volume.is_anonymous);
    assert!(mount("type=volume,target=/data").unwrap().is_anonymous);

    let tmpfs = mount("type=tmpfs,target=/run,tmpfs-size=64m,tmpfs-mode=1770").unwrap();
    assert_eq!(
        tmpfs.tmpfs_options,
        ["noexec", "nosuid", "nodev", "mode=1770", "size=64m"]
    );
    let quoted = mount("type=bind,\"source=/a,b\",target=/x").unwrap();
    assert_eq!(quoted.source, "/a,b");
}

#[test]
fn bad_mount_flags_get_dockers_messages() {
    // Refused by Docker's CLI: (text, reason).
    let flag_cases = [
        ("type=bind,source=/src", "target is required"),
        ("type=,target=/x", "type is required"),
        (
            "type=bind,target=/x,color=red",
            "unexpected key 'color' in 'color=red'",
        ),
        (
            "type=bind,target=/x,shiny",
            "invalid field 'shiny' must be a key=value pair",
        ),
        (
            "type=bind,target=/x,ro=maybe",
            "invalid value for ro: maybe",
        ),
        (
            "type=volume,target=/x,tmpfs-size=1m",
            "cannot mix 'tmpfs-*' options with mount type 'volume'",
        ),
        (
            "type=bind,target=/x,volume-nocopy",
            "cannot mix 'volume-*' options with mount type 'bind'",
        ),
        (
            "type=tmpfs,target=/x,tmpfs-size=lots",
            "invalid value for tmpfs-size: lots",
        ),
    ];
    for (text, reason) in flag_cases {
        let message = format!("invalid argument \"{text}\" for \"--mount\" flag: {reason}");
        assert_eq!(mount(text).unwrap_err(), message, "{text}");
    }

    // Refused by Docker's daemon: (text, type, problem).
    let config_cases = [
        (
            "type=bind,target=/x",
            "bind",
            "field Source must not be empty",
        ),
        (
            "type=bind,source=rel,target=/x",
            "bind",
            "invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            "type=bind,source=/s,target=x",
            "bind",
            "invalid mount path: 'x' mount path must be absolute",
        ),
        (
            "type=bind,source=/s,target=/x,bind-propagation=odd",
            "bind",
            "invalid propagation mode: odd",
        ),
        (
            "type=volume,target=/x,readonly",
            "volume",
            "must not set ReadOnly mode when using anonymous volumes",
        ),
        (
            "type=tmpfs,source=/s,target=/x",
            "tmpfs",
            "field Source must not be specified",
        ),
        ("type=nfs,target=/x", "nfs", "mount type unknown"),
        (
            "type=volume,source=v,target=/",
            "volume",
            "invalid specification: destination can't be '/'",
        ),
    ];
    for (text, kind, problem) in config_cases {
        let message = format!("invalid mount config for type \"{kind}\": {problem}");
        assert_eq!(mount(text).unwrap_err(), message, "{text}");
    }

    let unsupported = mount("type=volume,source=v,target=/x,volume-opt=a=b").unwrap_err();
    assert_eq!(
        unsupported,
        "`--mount` field `volume-opt` is not supported yet"
    );
}

#[test]
fn tmpfs_flags_start_from_dockers_defaults() {
    let spec = parse_tmpfs("/run").unwrap();
    assert_eq!(
        (spec.kind, spec.destination.as_str()),
        (MountKind::Tmpfs, "/run")
    );
    assert_eq!(spec.tmpfs_options, ["noexec", "nosuid", "nodev"]);
    let spec = parse_tmpfs("/run/:exec,size=64m,mode=700,ro").unwrap();
    assert_eq!(
        spec.tmpfs_options,
        ["nosuid", "nodev", "exec", "size=64m", "mode=700", "ro"]
    );
    assert!(spec.read_only);
    assert_eq!(
        spec.origin,
        MountOrigin::Tmpfs("exec,size=64m,mode=700,ro".into())
    );

    let message = |text: &str| parse_tmpfs(text).unwrap_err().to_string();
    assert_eq!(
        message("run"),
        "invalid mount path: 'run' mount path must be absolute"
    );
    assert_eq!(
        message("/"),
        "invalid specification: destination can't be '/'"
    );
    assert_eq!(message("/x:size"), "Invalid tmpfs option [\"size\"]");
}
