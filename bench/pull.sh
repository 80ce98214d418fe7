#!/bin/bash
# Cold pull of python:3.11-slim from a loopback registry: ours against `podman pull` and
# `skopeo copy` to an OCI layout, in the same run. Prints medians, ratios, and our peak
# memory. Usage: bench/pull.sh [RUNS]   (default 5)
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

# Stores live beside podman's, under /var/lib: where a directory sits on disk changes the
# cost of creating files in it by up to 20x on this machine's ext4, so both get the same.
work=$(mktemp -d /var/lib/container-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [[ -n ${registry_pid:-} ]] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
  "$work/registry" "$port" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
name=127.0.0.1:$port/library/python:3.11-slim
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:$image" "docker://$name"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.0f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { echo "scale=1; $1 / 1000000" | bc; }

: >"$work/ours" >"$work/podman" >"$work/skopeo" >"$work/rss"
# Every run gets fresh directories and nothing is deleted until the end: on this machine's
# journal-less ext4, creating files soon after deleting others is up to 10x slower, which
# would measure the previous run's cleanup rather than the pull.
for i in $(seq "$runs"); do
  sync; t=$(now)
  /usr/bin/time -f %M -o "$work/rss.$i" "$ours" --root "$work/ours-$i" pull -q "$name" >/dev/null
  echo $(($(now) - t)) >>"$work/ours"
  cat "$work/rss.$i" >>"$work/rss"

  sync; t=$(now)
  podman --root "$work/podman-$i" --runroot "$work/podman-run-$i" pull -q --tls-verify=false "$name" >/dev/null
  echo $(($(now) - t)) >>"$work/podman"

  sync; t=$(now)
  skopeo copy -q --src-tls-verify=false "docker://$name" "oci:$work/skopeo-$i:py"
  echo $(($(now) - t)) >>"$work/skopeo"
done
for i in $(seq "$runs"); do
  podman --root "$work/podman-$i" --runroot "$work/podman-run-$i" rmi -a -f >/dev/null 2>&1 || true
  umount "$work/podman-$i/overlay" 2>/dev/null || true
done

o=$(median <"$work/ours"); p=$(median <"$work/podman"); s=$(median <"$work/skopeo")
peak=$(sort -n "$work/rss" | tail -1)
printf 'cold pull of python:3.11-slim (47 MB compressed, 2 layers), median of %d runs\n' "$runs"
printf '  %-28s %8s ms\n' "container pull" "$(ms "$o")" "podman pull" "$(ms "$p")" "skopeo copy (no unpack)" "$(ms "$s")"
printf '  ratio container/podman:  %.2f  (target <= 0.20)\n' "$(echo "$o / $p" | bc -l)"
printf '  ratio container/skopeo:  %.2f\n' "$(echo "$o / $s" | bc -l)"
printf '  container peak memory:   %.1f MB (target < 64 MB)\n' "$(echo "$peak / 1024" | bc -l)"
