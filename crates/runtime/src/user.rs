//! Resolving `user[:group]` against the image's /etc/passwd and /etc/group, as runc
//! does for Docker: names are looked up, numbers are taken as they are (a number not
//! in passwd runs with group 0 and home `/`), and a user matched by name without an
//! explicit group also gets the groups that list it as a member.

use crate::error::{Result, RuntimeError};

/// The identity a container process runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    /// User ID.
    pub uid: u32,
    /// Primary group ID.
    pub gid: u32,
    /// Supplementary group IDs.
    pub additional_gids: Vec<u32>,
    /// Home directory, for `HOME`.
    pub home: String,
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

struct GroupEntry<'a> {
    name: &'a str,
    gid: u32,
    members: Vec<&'a str>,
}

/// Resolves `spec` (`""`, `name`, `uid`, `name:group`, `uid:gid`, …) against the
/// contents of passwd and group (`None` when the image lacks the file).
pub fn resolve(spec: &str, passwd: Option<&str>, group: Option<&str>) -> Result<ResolvedUser> {
    let (user_part, group_part) = match spec.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (spec, None),
    };
    let user_part = if user_part.is_empty() { "0" } else { user_part };
    let users: Vec<PasswdEntry> = passwd.map(parse_passwd).unwrap_or_default();
    let groups: Vec<GroupEntry> = group.map(parse_group).unwrap_or_default();

    let mut resolved = resolve_user(user_part, &users)?;
    let matched_name = users
        .iter()
        .find(|u| u.name == user_part || u.uid.to_string() == user_part)
        .map(|u| u.name);
    match group_part.filter(|g| !g.is_empty()) {
        Some(group_part) => resolved.gid = resolve_group(group_part, &groups)?,
        None => {
            if let Some(name) = matched_name {
                resolved.additional_gids = groups
                    .iter()
                    .filter(|g| g.members.contains(&name))
                    .map(|g| g.gid)
                    .collect();
            }
        }
    }
    // The primary group is also a supplementary one, as in Docker since the fix
    // for CVE-2022-36109: otherwise a process could drop it with setgroups(2) and
    // escape a file's "group may not" permission bits.
    resolved.additional_gids.retain(|&gid| gid != resolved.gid);
    resolved.additional_gids.insert(0, resolved.gid);
    Ok(resolved)
}

fn resolve_user(user_part: &str, users: &[PasswdEntry]) -> Result<ResolvedUser> {
    let by_name = users.iter().find(|u| u.name == user_part);
    let number: Option<u32> = user_part.parse().ok();
    let entry = by_name.or_else(|| number.and_then(|n| users.iter().find(|u| u.uid == n)));
    match (entry, number) {
        (Some(entry), _) => Ok(ResolvedUser {
            uid: entry.uid,
            gid: entry.gid,
            additional_gids: Vec::new(),
            home: entry.home.to_owned(),
        }),
        (None, Some(uid)) => Ok(ResolvedUser {
            uid,
            gid: 0,
            additional_gids: Vec::new(),
            home: "/".into(),
        }),
        (None, None) => Err(RuntimeError::UserNotFound {
            user: user_part.to_owned(),
        }),
    }
}

fn resolve_group(group_part: &str, groups: &[GroupEntry]) -> Result<u32> {
    if let Some(entry) = groups.iter().find(|g| g.name == group_part) {
        return Ok(entry.gid);
    }
    group_part.parse().map_err(|_| RuntimeError::GroupNotFound {
        group: group_part.to_owned(),
    })
}

/// The gids of `--group-add` entries: numbers as they are, names from the image's
/// group file (an unknown name is an error, as in Docker).
pub fn resolve_groups(entries: &[String], group: Option<&str>) -> Result<Vec<u32>> {
    let groups: Vec<GroupEntry> = group.map(parse_group).unwrap_or_default();
    entries
        .iter()
        .map(|entry| resolve_group(entry, &groups))
        .collect()
}

/// `name:password:uid:gid:gecos:home:shell` lines; malformed lines are skipped.
fn parse_passwd(text: &str) -> Vec<PasswdEntry<'_>> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            Some(PasswdEntry {
                name: fields.first()?,
                uid: fields.get(2)?.parse().ok()?,
                gid: fields.get(3)?.parse().ok()?,
                home: fields
                    .get(5)
                    .copied()
                    .filter(|h| !h.is_empty())
                    .unwrap_or("/"),
            })
        })
        .collect()
}

/// `name:password:gid:member,member` lines; malformed lines are skipped.
fn parse_group(text: &str) -> Vec<GroupEntry<'_>> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            let members = fields.get(3).copied().unwrap_or_default();
            Some(GroupEntry {
                name: fields.first()?,
                gid: fields.get(2)?.parse().ok()?,
                members: members.split(',').filter(|m| !m.is_empty()).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
        daemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
        nobody:x:65534:65534:nobody:/home:/bin/false\n\
        app:x:1000:1000::/srv/app:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nwheel:x:10:root,app\naudio:x:29:app\n\
        nogroup:x:65534:\napp:x:1000:\n";

    fn user(spec: &str) -> Result<ResolvedUser> {
        resolve(spec, Some(PASSWD), Some(GROUP))
    }

    #[test]
    fn names_and_numbers_resolve_like_runc() {
        type Resolved<'a> = (u32, u32, &'a [u32], &'a str);
        let cases: [(&str, Resolved); 8] = [
            ("", (0, 0, &[0, 10], "/root")),
            ("root", (0, 0, &[0, 10], "/root")),
            ("nobody", (65534, 65534, &[65534], "/home")),
            ("app", (1000, 1000, &[1000, 10, 29], "/srv/app")),
            ("1000", (1000, 1000, &[1000, 10, 29], "/srv/app")),
            ("4242", (4242, 0, &[0], "/")),
            ("app:audio", (1000, 29, &[29], "/srv/app")),
            ("4242:4343", (4242, 4343, &[4343], "/")),
        ];
        for (spec, (uid, gid, groups, home)) in cases {
            let resolved = user(spec).unwrap();
            assert_eq!(
                (
                    resolved.uid,
                    resolved.gid,
                    resolved.additional_gids.as_slice(),
                    resolved.home.as_str()
                ),
                (uid, gid, groups, home),
                "{spec}"
            );
        }
    }

    #[test]
    fn unknown_names_are_errors() {
        assert!(matches!(
            user("ghost"),
            Err(RuntimeError::UserNotFound { .. })
        ));
        assert!(matches!(
            user("app:ghosts"),
            Err(RuntimeError::GroupNotFound { .. })
        ));
        assert!(matches!(
            resolve("app", None, None),
            Err(RuntimeError::UserNotFound { .. })
        ));
        assert_eq!(resolve("7", None, None).unwrap().uid, 7);
    }
}
