//! The image config a build edits: the run configuration (`config`), `rootfs`
//! and `history`, kept as JSON so that whatever a base image's config holds
//! beyond what we know passes through unchanged.

use serde_json::{Map, Value, json};

/// The config of an image built `FROM scratch`.
pub fn scratch(os: &str, architecture: &str, variant: Option<&str>) -> Value {
    let mut config = json!({
        "architecture": architecture,
        "os": os,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [],
    });
    if let Some(variant) = variant {
        config["variant"] = json!(variant);
    }
    config
}

/// The config of a new image on `base`: Docker's leftovers of the base's own
/// build (`container`, `container_config`) go.
pub fn from_base(base: &Value) -> Value {
    let mut config = base.clone();
    if let Some(object) = config.as_object_mut() {
        object.remove("container");
        object.remove("container_config");
        object.remove("docker_version");
    }
    if !config["config"].is_object() {
        config["config"] = json!({});
    }
    config
}

/// The run configuration, created when missing.
pub fn run_config(config: &mut Value) -> &mut Map<String, Value> {
    if !config["config"].is_object() {
        config["config"] = json!({});
    }
    config["config"]
        .as_object_mut()
        .expect("made an object above")
}

/// `Env` as `(key, value)` pairs, in order.
pub fn env(config: &Value) -> Vec<(String, String)> {
    config["config"]["Env"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e.as_str())
                .map(|e| match e.split_once('=') {
                    Some((k, v)) => (k.to_owned(), v.to_owned()),
                    None => (e.to_owned(), String::new()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Sets `key=value` in `Env`, in place when the key is there.
pub fn set_env(config: &mut Value, key: &str, value: &str) {
    let entry = json!(format!("{key}={value}"));
    let run = run_config(config);
    let list = run.entry("Env").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    let list = list.as_array_mut().expect("made an array above");
    let position = list.iter().position(|e| {
        e.as_str()
            .is_some_and(|e| e.split_once('=').map_or(e, |(k, _)| k) == key)
    });
    match position {
        Some(i) => list[i] = entry,
        None => list.push(entry),
    }
}

/// Sets a field of a map-valued setting (`Labels`, `ExposedPorts`, `Volumes`).
pub fn set_in_map(config: &mut Value, field: &str, key: &str, value: Value) {
    let run = run_config(config);
    let map = run.entry(field).or_insert_with(|| json!({}));
    if !map.is_object() {
        *map = json!({});
    }
    map.as_object_mut()
        .expect("made an object above")
        .insert(key.to_owned(), value);
}

/// Sets a setting; an empty list is stored as `null`, as Docker shows `CMD []`.
pub fn set(config: &mut Value, field: &str, value: Value) {
    let is_empty = value.as_array().is_some_and(|a| a.is_empty());
    let value = if is_empty { Value::Null } else { value };
    run_config(config).insert(field.to_owned(), value);
}

/// A string setting (`WorkingDir`, `User`), empty when unset.
pub fn string(config: &Value, field: &str) -> String {
    config["config"][field]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A list-of-strings setting (`Shell`, `OnBuild`).
pub fn strings(config: &Value, field: &str) -> Option<Vec<String>> {
    config["config"][field].as_array().map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    })
}

/// Appends a history entry.
pub fn add_history(config: &mut Value, created: &str, created_by: &str, is_empty_layer: bool) {
    let mut entry =
        json!({"created": created, "created_by": created_by, "comment": "container build"});
    if is_empty_layer {
        entry["empty_layer"] = json!(true);
    }
    if !config["history"].is_array() {
        config["history"] = json!([]);
    }
    config["history"]
        .as_array_mut()
        .expect("made an array above")
        .push(entry);
}

/// Appends a layer's diff ID to `rootfs`.
pub fn add_layer(config: &mut Value, diff_id: &str) {
    if !config["rootfs"]["diff_ids"].is_array() {
        config["rootfs"] = json!({"type": "layers", "diff_ids": []});
    }
    config["rootfs"]["diff_ids"]
        .as_array_mut()
        .expect("made an array above")
        .push(json!(diff_id));
}

/// `EXPOSE` words as `ExposedPorts` keys: `80` → `80/tcp`, `8000-8001/udp` →
/// `8000/udp` and `8001/udp`.
pub fn exposed_ports(word: &str) -> Result<Vec<String>, String> {
    let (ports, protocol) = word.split_once('/').unwrap_or((word, "tcp"));
    let protocol = protocol.to_ascii_lowercase();
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid protocol `{protocol}` in `{word}`"));
    }
    let parse = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("invalid port `{p}` in `{word}`"))
    };
    let (low, high) = match ports.split_once('-') {
        Some((low, high)) => (parse(low)?, parse(high)?),
        None => (parse(ports)?, parse(ports)?),
    };
    if high < low {
        return Err(format!("invalid range `{ports}`"));
    }
    Ok((low..=high).map(|p| format!("{p}/{protocol}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_is_replaced_in_place_and_appended() {
        let mut config = scratch("linux", "amd64", None);
        set_env(&mut config, "A", "1");
        set_env(&mut config, "B", "2");
        set_env(&mut config, "A", "3");
        assert_eq!(config["config"]["Env"], json!(["A=3", "B=2"]));
        assert_eq!(env(&config)[0], ("A".to_owned(), "3".to_owned()));
    }

    #[test]
    fn empty_lists_are_null() {
        let mut config = scratch("linux", "amd64", None);
        set(&mut config, "Cmd", json!([]));
        assert!(config["config"]["Cmd"].is_null());
    }

    #[test]
    fn ports_get_a_protocol_and_ranges_expand() {
        assert_eq!(exposed_ports("80").unwrap(), ["80/tcp"]);
        assert_eq!(exposed_ports("53/UDP").unwrap(), ["53/udp"]);
        assert_eq!(
            exposed_ports("8000-8001").unwrap(),
            ["8000/tcp", "8001/tcp"]
        );
        assert!(exposed_ports("x").is_err());
    }
}
