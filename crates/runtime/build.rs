//! Builds `init/main.rs` into a static `container-init` for `--init` containers: it
//! runs inside images that have no C library, so it cannot link against the host's.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=init/main.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    let status = Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-name",
            "container_init",
            "--target",
            &target,
        ])
        .args([
            "-C",
            "opt-level=s",
            "-C",
            "panic=abort",
            "-C",
            "strip=symbols",
        ])
        .args(["-C", "target-feature=+crt-static", "-C", "debuginfo=0"])
        .arg("-o")
        .arg(out.join("container-init"))
        .arg("init/main.rs")
        .status()
        .expect("running rustc for init/main.rs");
    assert!(status.success(), "building init/main.rs failed");
}
