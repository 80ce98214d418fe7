//! Nothing is written outside the layer root, whatever the tar says
//! (CASES.md C25, C26; containerd's TestBreakouts). Each test writes a file
//! name no host file has, and checks the host's `/etc` does not get it.

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::{Layer, read_in_root, unique_name};
use container_layer::{LayerError, apply};

fn apply_one(layer: Layer) -> tempfile::TempDir {
    let dest = tempfile::tempdir().unwrap();
    apply(&layer.bytes()[..], dest.path(), &[]).unwrap();
    dest
}

fn assert_host_untouched(name: &str) {
    assert!(
        !Path::new("/etc").join(name).exists(),
        "/etc/{name} was written"
    );
    assert!(!Path::new("/").join(name).exists(), "/{name} was written");
}

/// C25: `localetc -> /etc`, then `localetc/<name>` lands in `<root>/etc`.
fn write_through(link_target: &str) {
    let name = unique_name("c25");
    let layer = Layer::new()
        .dir("etc/")
        .symlink("localetc", link_target)
        .file(&format!("localetc/{name}"), b"ok");
    let dest = apply_one(layer);

    assert_eq!(
        fs::read(dest.path().join("etc").join(&name)).unwrap(),
        b"ok"
    );
    assert_eq!(
        fs::read_link(dest.path().join("localetc")).unwrap(),
        Path::new(link_target)
    );
    assert_host_untouched(&name);
}

#[test]
fn absolute_symlink_is_followed_inside_the_root() {
    write_through("/etc");
}

#[test]
fn absolute_symlink_with_dot_dot_is_followed_inside_the_root() {
    write_through("/dummy/../etc");
}

#[test]
fn symlink_chain_is_followed_inside_the_root() {
    let name = unique_name("c25-chain");
    let layer = Layer::new()
        .dir("etc/")
        .dir("dummy/")
        .symlink("dummy/etc", "/etc")
        .symlink("localetc", "./dummy/etc")
        .file(&format!("localetc/{name}"), b"ok");
    let dest = apply_one(layer);

    assert_eq!(
        fs::read(dest.path().join("etc").join(&name)).unwrap(),
        b"ok"
    );
    assert_eq!(
        fs::read_link(dest.path().join("localetc")).unwrap(),
        Path::new("./dummy/etc")
    );
    assert_host_untouched(&name);
}

#[test]
fn empty_file_through_a_symlink_empties_the_file_inside() {
    let name = unique_name("c25-emptied");
    let layer = Layer::new()
        .dir("etc/")
        .file(&format!("etc/{name}"), b"notempty")
        .symlink("localetc", "/etc")
        .file(&format!("localetc/{name}"), b"");
    let dest = apply_one(layer);

    assert_eq!(fs::read(dest.path().join("etc").join(&name)).unwrap(), b"");
    assert_host_untouched(&name);
}

#[test]
fn dot_dot_and_absolute_names_stay_inside() {
    let up = unique_name("dotdot");
    let absolute = unique_name("absolute");
    let layer = Layer::new()
        .file(&format!("../../../etc/{up}"), b"up")
        .file(&format!("/etc/{absolute}"), b"abs")
        .file(&format!("a/../../{up}"), b"top");
    let dest = apply_one(layer);

    assert_eq!(fs::read(dest.path().join("etc").join(&up)).unwrap(), b"up");
    assert_eq!(
        fs::read(dest.path().join("etc").join(&absolute)).unwrap(),
        b"abs"
    );
    assert_eq!(fs::read(dest.path().join(&up)).unwrap(), b"top");
    assert_host_untouched(&up);
    assert_host_untouched(&absolute);
}

#[test]
fn relative_symlink_climbing_out_is_clamped() {
    let name = unique_name("relative");
    let layer = Layer::new()
        .dir("etc/")
        .dir("a/")
        .symlink("a/up", "../../../../../../etc")
        .file(&format!("a/up/{name}"), b"in");
    let dest = apply_one(layer);

    assert_eq!(
        fs::read(dest.path().join("etc").join(&name)).unwrap(),
        b"in"
    );
    assert_host_untouched(&name);
}

#[test]
fn a_file_entry_replaces_a_symlink_instead_of_writing_through_it() {
    let name = unique_name("replace");
    let layer = Layer::new()
        .symlink("link", &format!("/etc/{name}"))
        .file("link", b"plain");
    let dest = apply_one(layer);

    let link = dest.path().join("link");
    assert!(link.symlink_metadata().unwrap().is_file());
    assert_eq!(fs::read(&link).unwrap(), b"plain");
    assert!(!dest.path().join("etc").exists());
    assert_host_untouched(&name);
}

/// C26 A: a hard link through a `../../etc` symlink links `<root>/etc/passwd`.
#[test]
fn hard_link_through_a_climbing_symlink_is_clamped() {
    let host = fs::metadata("/etc/passwd")
        .ok()
        .map(|host| (host.ino(), host.nlink()));
    let layer = Layer::new()
        .dir("etc/")
        .file("etc/passwd", b"inside")
        .dir("breakouts/")
        .symlink("breakouts/d1", "../../etc")
        .hardlink("breakouts/mypasswd", "breakouts/d1/passwd");
    let dest = apply_one(layer);

    let passwd = fs::metadata(dest.path().join("etc/passwd")).unwrap();
    let link = fs::metadata(dest.path().join("breakouts/mypasswd")).unwrap();
    assert_eq!(link.ino(), passwd.ino());
    assert_eq!(passwd.nlink(), 2);
    // The host's file (on the same filesystem here) got no new link.
    let after = fs::metadata("/etc/passwd")
        .ok()
        .map(|host| (host.ino(), host.nlink()));
    assert_eq!(after, host);
}

/// C26 B: a hard link to `../../../../../etc/passwd` links `<root>/etc/passwd`.
#[test]
fn hard_link_with_dot_dot_target_is_clamped() {
    let layer = Layer::new()
        .dir("etc/")
        .file("etc/passwd", b"inside")
        .hardlink("localpasswd", "../../../../../etc/passwd");
    let dest = apply_one(layer);

    let passwd = fs::metadata(dest.path().join("etc/passwd")).unwrap();
    let link = fs::metadata(dest.path().join("localpasswd")).unwrap();
    assert_eq!(link.ino(), passwd.ino());
}

/// C26 C: a hard link to a symlink is the symlink itself, not its target.
#[test]
fn hard_link_to_a_symlink_links_the_symlink() {
    let layer = Layer::new()
        .dir("etc/")
        .file("etc/passwd", b"inside")
        .symlink("passwdlink", "../../../../../etc/passwd")
        .hardlink("localpasswd", "passwdlink");
    let dest = apply_one(layer);

    let symlink = fs::symlink_metadata(dest.path().join("passwdlink")).unwrap();
    let link = fs::symlink_metadata(dest.path().join("localpasswd")).unwrap();
    assert!(link.file_type().is_symlink());
    assert_eq!(link.ino(), symlink.ino());
    // Resolved inside the root, the way a container sees it.
    assert_eq!(read_in_root(dest.path(), "localpasswd").unwrap(), b"inside");
}

/// C26 D: a climbing relative symlink is kept verbatim, dangling.
#[test]
fn climbing_symlink_is_kept_verbatim() {
    let name = unique_name("c26d");
    let target = format!("../../../{name}");
    let layer = Layer::new()
        .dir("home/")
        .dir("home/u/")
        .symlink("home/u/out", &target);
    let dest = apply_one(layer);

    assert_eq!(
        fs::read_link(dest.path().join("home/u/out")).unwrap(),
        Path::new(&target)
    );
    assert!(
        !dest.path().join("home/u/out").exists(),
        "dangling inside the root"
    );
    assert_host_untouched(&name);
}

#[test]
fn symlink_loops_are_an_error() {
    let layer = Layer::new()
        .symlink("a", "b")
        .symlink("b", "a")
        .file("a/x", b"x");
    let dest = tempfile::tempdir().unwrap();
    let error = apply(&layer.bytes()[..], dest.path(), &[]).unwrap_err();
    assert!(
        matches!(error, LayerError::ResolveParent { .. }),
        "{error:?}"
    );
}

#[test]
fn writing_through_a_symlink_to_a_file_is_an_error() {
    let layer = Layer::new()
        .file("f", b"x")
        .symlink("l", "/f")
        .file("l/x", b"x");
    let dest = tempfile::tempdir().unwrap();
    let error = apply(&layer.bytes()[..], dest.path(), &[]).unwrap_err();
    assert!(
        matches!(error, LayerError::ResolveParent { .. }),
        "{error:?}"
    );
}
