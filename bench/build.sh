#!/bin/bash
# `container build` of the tutorial app (fixtures/tutorial-app: FROM python:3.11-slim,
# WORKDIR, COPY app.py, EXPOSE, CMD) against `podman build` and `buildah bud`, in the
# same run, with the base image already local to each:
#
#   no-cache   a build with --no-cache
#   unchanged  a rebuild with nothing changed (everything from the cache)
#   changed    a rebuild after app.py changed (COPY and what follows rerun)
#
# Prints medians and ratios. Usage: bench/build.sh [RUNS]   (default 5)
#
# The base image comes from ../shared/fixtures when present (prebuilt), else from
# `fixtures/build-images.sh --with-debian` (debootstrap: minutes, once). Podman and
# Buildah need the settings of ../shared/fixtures/peers (runc, cgroupfs, ulimits).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
image=python-3.11-slim

layout=${FIXTURE_LAYOUT:-$here/../shared/fixtures/images/oci}
if ! jq -e --arg r "$image" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r)' "$layout/index.json" >/dev/null 2>&1; then
  layout=$("$here/fixtures/build-images.sh" --with-debian)
fi
for tool in podman buildah; do
  command -v $tool >/dev/null || { echo "bench needs $tool: see ../shared/fixtures/peers/README.md" >&2; exit 1; }
done
[[ -x $here/target/release/container ]] || cargo build --release --bin container --manifest-path "$here/Cargo.toml"
ours=$here/target/release/container

# Stores live beside podman's, under /var/lib, so that all get the same disk.
work=$(mktemp -d /var/lib/container-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  [[ -n ${registry_pid:-} ]] && kill "$registry_pid" 2>/dev/null
  "$ours" --root "$work/ours" system stop >/dev/null 2>&1 || true  # the bridge our runs kept up
  podman --root "$work/podman" --runroot "$work/podman-run" rmi -a -f >/dev/null 2>&1 || true
  buildah --root "$work/buildah" --runroot "$work/buildah-run" rmi -a -f >/dev/null 2>&1 || true
  umount "$work/podman/overlay" "$work/buildah/overlay" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
  "$work/registry" "$port" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
remote=127.0.0.1:$port/library/python:3.11-slim
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:$image" "docker://$remote"

# The base, local to each tool under the name the Dockerfile uses.
podman_flags=(--root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay)
"$ours" --root "$work/ours" pull -q "$remote" >/dev/null
"$ours" --root "$work/ours" tag "$remote" python:3.11-slim
podman "${podman_flags[@]}" pull -q --tls-verify=false "$remote" >/dev/null
podman "${podman_flags[@]}" tag "$remote" docker.io/library/python:3.11-slim
# Buildah gets a store of its own, so that it never reuses what podman built.
buildah_flags=(--root "$work/buildah" --runroot "$work/buildah-run" --storage-driver overlay)
buildah "${buildah_flags[@]}" pull -q --tls-verify=false "$remote" >/dev/null
buildah "${buildah_flags[@]}" tag "$remote" docker.io/library/python:3.11-slim

app=$work/app
mkdir -p "$app"
cp "$here/fixtures/tutorial-app/Dockerfile" "$here/fixtures/tutorial-app/app.py" "$app/"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.0f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { echo "scale=1; $1 / 1000000" | bc; }

build_ours() { "$ours" --root "$work/ours" build -q "$@" -t app:bench "$app" >/dev/null; }
build_podman() { podman "${podman_flags[@]}" build -q --pull=never "$@" -t app:bench "$app" >/dev/null; }
build_buildah() { buildah "${buildah_flags[@]}" bud -q --pull=never "$@" -t app:bench "$app" >/dev/null; }

timed() { # FILE COMMAND...: appends the command's duration in ns to FILE
  local file=$1; shift
  sync; local t; t=$(now)
  "$@"
  echo $(($(now) - t)) >>"$file"
}

tools=(ours podman buildah)
for tool in "${tools[@]}"; do : >"$work/$tool.nocache" >"$work/$tool.unchanged" >"$work/$tool.changed"; done
for i in $(seq "$runs"); do
  for tool in "${tools[@]}"; do
    timed "$work/$tool.nocache" "build_$tool" --no-cache
    timed "$work/$tool.unchanged" "build_$tool"
  done
  echo "# change $i" >>"$app/app.py"
  for tool in "${tools[@]}"; do
    timed "$work/$tool.changed" "build_$tool"
  done
done

printf 'build of the tutorial app (python:3.11-slim local), median of %d runs\n' "$runs"
printf '  %-10s %12s %12s %12s\n' "" "container" "podman" "buildah"
for kind in nocache unchanged changed; do
  o=$(median <"$work/ours.$kind"); p=$(median <"$work/podman.$kind"); b=$(median <"$work/buildah.$kind")
  printf '  %-10s %9s ms %9s ms %9s ms   container/podman %.3f   container/buildah %.3f\n' \
    "$kind" "$(ms "$o")" "$(ms "$p")" "$(ms "$b")" "$(echo "$o / $p" | bc -l)" "$(echo "$o / $b" | bc -l)"
done
printf '  targets: no-cache <= 0.5x podman, unchanged <= 0.1x podman\n'
