#!/bin/bash
# Push of python:3.11-slim to an empty loopback registry: ours against `skopeo copy`
# (from the fixture OCI layout) and `podman push` (from its own store), in the same run.
# Every measurement gets a registry of its own, fresh and empty, so nothing is found
# there or mounted from an earlier run. Prints medians and ratios.
# Usage: bench/push.sh [RUNS]   (default 5)
#
# The image comes from ../shared/fixtures when present (prebuilt), else from
# `fixtures/build-images.sh --with-debian` (debootstrap: minutes, once).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
image=python-3.11-slim

layout=${FIXTURE_LAYOUT:-$here/../shared/fixtures/images/oci}
if ! jq -e --arg r "$image" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r)' "$layout/index.json" >/dev/null 2>&1; then
  layout=$("$here/fixtures/build-images.sh" --with-debian)
fi
command -v podman >/dev/null || { echo "bench needs podman: see ../shared/fixtures/peers/README.md" >&2; exit 1; }
[[ -x $here/target/release/container ]] || cargo build --release --bin container --manifest-path "$here/Cargo.toml"
ours=$here/target/release/container

work=$(mktemp -d /var/lib/container-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  podman --root "$work/podman" --runroot "$work/podman-run" rmi -a -f >/dev/null 2>&1 || true
  umount "$work/podman/overlay" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts an empty registry on a free loopback port, in this shell (so its pid is
# remembered for cleanup); sets `addr` to `127.0.0.1:PORT`.
start_registry() {
  local name=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
    "$work/$name" "$port" >"$work/$name.yml"
  docker-registry serve "$work/$name.yml" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  addr=127.0.0.1:$port
}

# The source: the fixture in a registry, pulled once into our store and podman's.
start_registry source
name=$addr/library/python:3.11-slim
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:$image" "docker://$name"
"$ours" --root "$work/ours" pull -q "$name" >/dev/null
podman --root "$work/podman" --runroot "$work/podman-run" pull -q --tls-verify=false "$name" >/dev/null

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.0f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { echo "scale=1; $1 / 1000000" | bc; }

: >"$work/t-ours" >"$work/t-podman" >"$work/t-skopeo"
for i in $(seq "$runs"); do
  start_registry "ours-$i"; target=$addr/bench/python:3.11-slim
  "$ours" --root "$work/ours" tag "$name" "$target"
  t=$(now)
  "$ours" --root "$work/ours" push -q "$target" >/dev/null
  echo $(($(now) - t)) >>"$work/t-ours"

  start_registry "podman-$i"; target=$addr/bench/python:3.11-slim
  t=$(now)
  podman --root "$work/podman" --runroot "$work/podman-run" push -q --tls-verify=false "$name" "docker://$target"
  echo $(($(now) - t)) >>"$work/t-podman"

  start_registry "skopeo-$i"; target=$addr/bench/python:3.11-slim
  t=$(now)
  skopeo copy -q --dest-tls-verify=false "oci:$layout:$image" "docker://$target"
  echo $(($(now) - t)) >>"$work/t-skopeo"
done

o=$(median <"$work/t-ours"); p=$(median <"$work/t-podman"); s=$(median <"$work/t-skopeo")
printf 'push of python:3.11-slim (2 layers) to an empty loopback registry, median of %d runs\n' "$runs"
printf '  %-34s %8s ms\n' "container push" "$(ms "$o")" "podman push (compresses its layers)" "$(ms "$p")" "skopeo copy (from an OCI layout)" "$(ms "$s")"
printf '  ratio container/skopeo:  %.2f\n' "$(echo "$o / $s" | bc -l)"
printf '  ratio container/podman:  %.2f\n' "$(echo "$o / $p" | bc -l)"
