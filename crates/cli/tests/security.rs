//! Docker's security defaults and the flags that change them, checked from inside real
//! busybox containers: capability sets, seccomp, no_new_privs, masked and read-only
//! paths, `--privileged`, `--read-only`, `--init`, devices, groups, sysctls, and the
//! files that name hosts and nameservers.

mod common;

use std::time::{Duration, Instant};

use common::{busybox_env, container, inspect};
use container_runtime::capabilities::names_in_mask;
use container_test_support::TestEnv;

/// `run --rm [flags] busybox sh -c SCRIPT`, which must succeed; its stdout.
fn run_sh(env: &TestEnv, flags: &[&str], script: &str) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend(flags);
    args.extend(["busybox", "sh", "-c", script]);
    container(env, &args).success().stdout.clone()
}

/// A field of /proc/self/status as the container's shell sees it.
fn status_field(env: &TestEnv, flags: &[&str], field: &str) -> String {
    let out = run_sh(env, flags, &format!("grep '^{field}:' /proc/self/status"));
    out.split_once(':')
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn mask(hex: &str) -> u64 {
    u64::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("not a capability mask: {hex}"))
}

/// This test process's bounding set: what a container can get at most.
fn own_bounding_set() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .unwrap();
    mask(line.trim())
}

#[test]
fn default_container_has_dockers_capabilities_and_seccomp_but_not_no_new_privs() {
    let (_registry, env) = busybox_env();
    let out = run_sh(
        &env,
        &[],
        "grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status",
    );
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in {out}"))
    };
    assert_eq!(mask(field("CapEff")), 0xa804_25fb, "{out}");
    assert_eq!(mask(field("CapPrm")), 0xa804_25fb, "{out}");
    assert_eq!(mask(field("CapBnd")), 0xa804_25fb, "{out}");
    assert_eq!(mask(field("CapInh")), 0, "{out}");
    assert_eq!(mask(field("CapAmb")), 0, "{out}");
    let names = names_in_mask(mask(field("CapEff")));
    assert!(names.contains(&"NET_BIND_SERVICE") && !names.contains(&"SYS_ADMIN"));
    // Docker's default: no_new_privs off, a seccomp filter on (mode 2).
    assert_eq!(field("NoNewPrivs"), "0", "{out}");
    assert_eq!(field("Seccomp"), "2", "{out}");
}

#[test]
fn default_seccomp_profile_blocks_namespaces_but_not_ordinary_commands() {
    let (_registry, env) = busybox_env();
    let script = "unshare -U true 2>&1; echo unshare=$?; \
                  ls /bin >/dev/null && echo ls ok; (true &) ; wait; echo fork ok; \
                  mkdir /tmp/d && chmod 700 /tmp/d && echo files ok";
    let out = run_sh(&env, &[], script);
    assert!(out.contains("Operation not permitted"), "{out}");
    assert!(out.contains("unshare=1"), "{out}");
    assert!(out.contains("ls ok\nfork ok\nfiles ok"), "{out}");

    // Without the filter the same call succeeds: it was seccomp that refused it.
    let unconfined = run_sh(
        &env,
        &["--security-opt", "seccomp=unconfined"],
        "unshare -U true; echo unshare=$?",
    );
    assert_eq!(unconfined, "unshare=0\n");
    let mode = status_field(&env, &["--security-opt", "seccomp=unconfined"], "Seccomp");
    assert_eq!(mode, "0");
}

#[test]
fn seccomp_profile_files_in_dockers_format_are_loaded() {
    let (_registry, env) = busybox_env();
    let profile = env.home.path().join("no-mkdir.json");
    std::fs::write(
        &profile,
        r#"{
            "defaultAction": "SCMP_ACT_ALLOW",
            "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
        }"#,
    )
    .unwrap();
    let option = format!("seccomp={}", profile.display());
    let out = run_sh(
        &env,
        &["--security-opt", &option],
        "mkdir /tmp/x 2>&1; touch /tmp/y && echo touch ok",
    );
    assert!(out.contains("Operation not permitted"), "{out}");
    assert!(out.ends_with("touch ok\n"), "{out}");

    // The record keeps the profile itself, as Docker's SecurityOpt shows it.
    let id = container(
        &env,
        &["create", "--security-opt", &option, "busybox", "true"],
    );
    let shown = &inspect(&env, id.success().stdout.trim())["HostConfig"]["SecurityOpt"][0];
    assert!(
        shown.as_str().unwrap().starts_with("seccomp={\"archMap\""),
        "{shown}"
    );

    std::fs::write(&profile, "{ not json").unwrap();
    let broken = container(
        &env,
        &["run", "--rm", "--security-opt", &option, "busybox", "true"],
    );
    broken.code_is(125);
    assert!(
        broken.stderr.contains("decoding seccomp profile failed"),
        "{broken}"
    );
}

#[test]
fn cap_add_and_cap_drop_change_the_sets() {
    let (_registry, env) = busybox_env();
    let flags = [
        "--cap-add",
        "net_admin",
        "--cap-drop",
        "CAP_CHOWN",
        "--cap-drop",
        "mknod",
    ];
    let names = names_in_mask(mask(&status_field(&env, &flags, "CapEff")));
    assert!(names.contains(&"NET_ADMIN"), "{names:?}");
    assert!(
        !names.contains(&"CHOWN") && !names.contains(&"MKNOD"),
        "{names:?}"
    );
    assert_eq!(names.len(), 13, "{names:?}");

    let only_kill = status_field(&env, &["--cap-drop", "ALL", "--cap-add", "KILL"], "CapBnd");
    assert_eq!(names_in_mask(mask(&only_kill)), ["KILL"]);
    let chown = run_sh(
        &env,
        &["--cap-drop", "ALL"],
        "chown 1 /tmp 2>&1; echo rc=$?",
    );
    assert!(
        chown.contains("Operation not permitted") && chown.ends_with("rc=1\n"),
        "{chown}"
    );

    let unknown = container(
        &env,
        &["run", "--rm", "--cap-add", "CAP_FLY", "busybox", "true"],
    );
    unknown.code_is(125);
    assert!(
        unknown.stderr.contains("unknown capability: \"CAP_FLY\""),
        "{unknown}"
    );
}

#[test]
fn capabilities_this_process_lacks_cannot_be_granted() {
    let (_registry, env) = busybox_env();
    let missing = names_in_mask(!own_bounding_set() & ((1 << 41) - 1));
    let Some(name) = missing.first() else {
        return; // a fully privileged host: nothing to refuse
    };
    let refused = container(&env, &["run", "--rm", "--cap-add", name, "busybox", "true"]);
    refused.code_is(125);
    assert!(
        refused
            .stderr
            .contains(&format!("does not hold CAP_{name}")),
        "{refused}"
    );
}

#[test]
fn privileged_gets_every_capability_the_host_has_and_no_confinement() {
    let (_registry, env) = busybox_env();
    let script = "grep -E '^(CapEff|Seccomp):' /proc/self/status; wc -c < /proc/timer_list; \
                  grep ' /sys ' /proc/mounts; ls /dev | wc -l";
    let out = run_sh(&env, &["--privileged"], script);
    let lines: Vec<&str> = out.lines().collect();
    let eff = lines[0].strip_prefix("CapEff:").unwrap().trim();
    assert_eq!(mask(eff), own_bounding_set(), "{out}");
    assert_eq!(
        lines[1].split_whitespace().last(),
        Some("0"),
        "no seccomp: {out}"
    );
    assert_ne!(
        lines[2].trim(),
        "0",
        "/proc/timer_list is not masked: {out}"
    );
    assert!(lines[3].contains(" rw,"), "/sys is read-write: {out}");
    let devices: usize = lines[4].trim().parse().unwrap();
    assert!(devices > 20, "the host's devices: {out}");

    let id = container(&env, &["create", "--privileged", "busybox", "true"])
        .success()
        .stdout
        .clone();
    assert_eq!(inspect(&env, id.trim())["HostConfig"]["Privileged"], true);
}

#[test]
fn no_new_privileges_is_off_unless_asked_for() {
    let (_registry, env) = busybox_env();
    let on = ["--security-opt", "no-new-privileges"];
    assert_eq!(status_field(&env, &on, "NoNewPrivs"), "1");
    assert_eq!(
        status_field(
            &env,
            &["--security-opt", "no-new-privileges=true"],
            "NoNewPrivs"
        ),
        "1"
    );
    assert_eq!(
        status_field(
            &env,
            &["--security-opt", "no-new-privileges=false"],
            "NoNewPrivs"
        ),
        "0"
    );
    // With it and without CAP_SYS_ADMIN, seccomp still loads.
    assert_eq!(status_field(&env, &on, "Seccomp"), "2");
    let bad = container(
        &env,
        &[
            "run",
            "--rm",
            "--security-opt",
            "no-new-privileges=maybe",
            "busybox",
            "true",
        ],
    );
    bad.code_is(125);
}

#[test]
fn proc_paths_are_masked_and_read_only_as_in_docker() {
    let (_registry, env) = busybox_env();
    let script = "wc -c < /proc/timer_list; wc -c < /proc/keys; \
                  [ ! -s /proc/kcore ] && echo kcore empty; \
                  echo 1 > /proc/sys/kernel/panic 2>&1 || echo sys read-only; \
                  touch /sys/x 2>/dev/null || echo /sys read-only";
    let out = run_sh(&env, &[], script);
    assert_eq!(
        out, "0\n0\nkcore empty\nsys read-only\n/sys read-only\n",
        "{out}"
    );
    let unmasked = run_sh(
        &env,
        &["--security-opt", "systempaths=unconfined"],
        "wc -c < /proc/timer_list",
    );
    assert_ne!(unmasked.trim(), "0");
}

#[test]
fn read_only_root_keeps_etc_files_and_dev_shm() {
    let (_registry, env) = busybox_env();
    let script = "touch /x 2>&1; grep -c box /etc/hosts; cat /etc/hostname; \
                  echo ok > /dev/shm/f && cat /dev/shm/f";
    let out = run_sh(&env, &["--read-only", "--hostname", "box"], script);
    assert_eq!(
        out, "touch: /x: Read-only file system\n1\nbox\nok\n",
        "{out}"
    );
    let id = container(&env, &["create", "--read-only", "busybox", "true"])
        .success()
        .stdout
        .clone();
    assert_eq!(
        inspect(&env, id.trim())["HostConfig"]["ReadonlyRootfs"],
        true
    );
}

#[test]
fn init_runs_as_pid_1_reaps_orphans_and_forwards_signals() {
    let (_registry, env) = busybox_env();
    let script = "tr '\\0' ' ' < /proc/1/cmdline; echo; (sleep 0.1 &); sleep 0.6; \
                  ps -o stat | grep -c '^Z' ; true";
    let out = run_sh(&env, &["--init"], script);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("/sbin/docker-init -- sh -c"), "{out}");
    assert_eq!(lines[1], "0", "no zombies: {out}");

    let code = container(
        &env,
        &["run", "--rm", "--init", "busybox", "sh", "-c", "exit 7"],
    );
    code.code_is(7);

    // A `sleep` as PID 1 would ignore SIGTERM; behind the init it dies of it at once.
    container(
        &env,
        &[
            "run", "-d", "--init", "--name", "sleepy", "busybox", "sleep", "100",
        ],
    )
    .success();
    let started = Instant::now();
    container(&env, &["stop", "-t", "20", "sleepy"]).success();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        container(&env, &["wait", "sleepy"]).success().stdout,
        "143\n"
    );
    assert_eq!(inspect(&env, "sleepy")["HostConfig"]["Init"], true);
}

#[test]
fn add_host_and_dns_flags_write_hosts_and_resolv_conf() {
    let (_registry, env) = busybox_env();
    let flags = [
        "--add-host",
        "db:10.1.2.3",
        "--add-host",
        "v6=::1",
        "--dns",
        "1.1.1.1",
        "--dns",
        "9.9.9.9",
        "--dns-search",
        "corp.test",
        "--dns-option",
        "ndots:2",
    ];
    let out = run_sh(&env, &flags, "tail -2 /etc/hosts; cat /etc/resolv.conf");
    assert_eq!(
        out,
        "10.1.2.3\tdb\n::1\tv6\nnameserver 1.1.1.1\nnameserver 9.9.9.9\nsearch corp.test\noptions ndots:2\n"
    );
    let gateway = run_sh(
        &env,
        &["--network", "host", "--add-host", "gw:host-gateway"],
        "tail -1 /etc/hosts",
    );
    assert_eq!(gateway, "127.0.0.1\tgw\n");
    // On the default bridge, the host is the bridge's address.
    let bridged = run_sh(
        &env,
        &["--add-host", "gw:host-gateway"],
        "tail -1 /etc/hosts",
    );
    let bridge_address = env.network.subnet().replace(".0/24", ".1");
    assert_eq!(bridged, format!("{bridge_address}\tgw\n"));

    for flags in [
        &["--network", "none", "--add-host", "gw:host-gateway"][..],
        &["--add-host", "db:not-an-ip"],
        &["--add-host", "nocolon"],
        &["--dns", "dns.example"],
    ] {
        let mut args = vec!["run", "--rm"];
        args.extend(flags);
        args.extend(["busybox", "true"]);
        let refused = container(&env, &args);
        refused.code_is(125);
        assert!(refused.stderr.starts_with("error: invalid --"), "{refused}");
    }
    let id = container(
        &env,
        &[
            "create",
            "--add-host",
            "db:10.1.2.3",
            "--dns",
            "1.1.1.1",
            "busybox",
            "true",
        ],
    );
    let host = &inspect(&env, id.success().stdout.trim())["HostConfig"];
    assert_eq!(host["ExtraHosts"][0], "db:10.1.2.3");
    assert_eq!(host["Dns"][0], "1.1.1.1");
}

#[test]
fn sysctls_must_be_namespaced_and_reach_the_container() {
    let (_registry, env) = busybox_env();
    let out = run_sh(
        &env,
        &[
            "--sysctl",
            "net.core.somaxconn=512",
            "--sysctl",
            "kernel.shmmni=1000",
        ],
        "cat /proc/sys/net/core/somaxconn /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_unprivileged_port_start",
    );
    // The last is Docker's default for containers with their own network.
    assert_eq!(out, "512\n1000\n0\n");
    let refused = container(
        &env,
        &[
            "run",
            "--rm",
            "--sysctl",
            "kernel.panic=1",
            "busybox",
            "true",
        ],
    );
    refused.code_is(125);
    assert!(
        refused
            .stderr
            .contains("not in a separate kernel namespace"),
        "{refused}"
    );
    let host = container(
        &env,
        &[
            "run",
            "--rm",
            "--network",
            "host",
            "--sysctl",
            "net.core.somaxconn=1",
            "busybox",
            "true",
        ],
    );
    host.code_is(125);
    assert!(host.stderr.contains("host network namespace"), "{host}");
}

#[test]
fn devices_and_groups_are_added() {
    let (_registry, env) = busybox_env();
    let flags = [
        "--device",
        "/dev/null:/dev/mynull:rw",
        "--group-add",
        "daemon",
        "--group-add",
        "1234",
    ];
    let out = run_sh(
        &env,
        &flags,
        "ls -l /dev/mynull; echo x > /dev/mynull && echo written; grep Groups /proc/self/status",
    );
    assert!(out.starts_with("crw-rw-rw-"), "{out}");
    assert!(out.contains(" 1,   3 "), "major 1, minor 3: {out}");
    assert!(out.contains("written\n"), "{out}");
    let groups: Vec<&str> = out
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .collect();
    // The primary group first, as Docker gives it since CVE-2022-36109.
    assert_eq!(groups, ["0", "1", "1234"], "{out}");

    let missing = container(
        &env,
        &[
            "run",
            "--rm",
            "--group-add",
            "nosuchgroup",
            "busybox",
            "true",
        ],
    );
    missing.code_is(125);
    assert!(
        missing.stderr.contains("unable to find group nosuchgroup"),
        "{missing}"
    );
    let not_device = container(
        &env,
        &[
            "run",
            "--rm",
            "--device",
            "/etc/hostname",
            "busybox",
            "true",
        ],
    );
    not_device.code_is(125);
    let bad_mode = container(
        &env,
        &[
            "run",
            "--rm",
            "--device",
            "/dev/null:/dev/n:rwx",
            "busybox",
            "true",
        ],
    );
    bad_mode.code_is(125);
    assert!(
        bad_mode.stderr.contains("invalid device mode: rwx"),
        "{bad_mode}"
    );
}

#[test]
fn inspect_shows_the_security_flags_as_docker_does() {
    let (_registry, env) = busybox_env();
    let id = container(
        &env,
        &[
            "create",
            "--cap-add",
            "NET_ADMIN",
            "--cap-drop",
            "MKNOD",
            "--security-opt",
            "no-new-privileges",
            "--device",
            "/dev/null:/dev/n:r",
            "busybox",
            "true",
        ],
    );
    let host = &inspect(&env, id.success().stdout.trim())["HostConfig"];
    assert_eq!(host["CapAdd"], serde_json::json!(["NET_ADMIN"]));
    assert_eq!(host["CapDrop"], serde_json::json!(["MKNOD"]));
    assert_eq!(
        host["SecurityOpt"],
        serde_json::json!(["no-new-privileges"])
    );
    assert_eq!(host["Privileged"], false);
    assert_eq!(host["Devices"][0]["PathInContainer"], "/dev/n");
    assert_eq!(host["Devices"][0]["CgroupPermissions"], "r");

    let plain = container(&env, &["create", "busybox", "true"])
        .success()
        .stdout
        .clone();
    let plain = &inspect(&env, plain.trim())["HostConfig"];
    assert!(
        plain["CapAdd"].is_null() && plain["SecurityOpt"].is_null(),
        "{plain}"
    );
}
