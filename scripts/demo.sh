#!/bin/bash
# The main job on a machine without internet: a local registry, serving test images built
# from Debian packages, stands in as the docker.io mirror; `container pull busybox` then
# behaves as it would against Docker Hub, and a container runs from it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${CONTAINER_BIN:-$(command -v container || echo "$here/target/release/container")}
layout=$("$here/fixtures/build-images.sh")
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  [[ -n ${registry_pid:-} ]] && kill "$registry_pid" 2>/dev/null
  # The bridge stays up between containers, as docker0 does; this store goes, so it goes too.
  CONTAINER_CONFIG=$work/config.toml "$bin" --root "$work/root" system stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/registry.yml" <<CONF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
CONF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
skopeo copy -q --dest-tls-verify=false "oci:$layout:busybox-1.35" "docker://127.0.0.1:$port/library/busybox:latest"

cat >"$work/config.toml" <<CONF
[registries."docker.io"]
mirrors = ["127.0.0.1:$port"]
mirrors-only = true
CONF
export CONTAINER_ROOT=$work/root CONTAINER_CONFIG=$work/config.toml
set -x
"$bin" pull busybox
"$bin" images
"$bin" inspect --format '{{.Os}}/{{.Architecture}} {{json .Config.Cmd}}' busybox
"$bin" run --rm busybox echo "hello from a container"
