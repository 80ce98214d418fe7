#!/bin/bash
# `run --rm busybox true`: ours against `podman run --rm` (runc, cgroupfs) and `runc run`
# on a ready bundle, in the same run, the image already local for all three. Prints
# medians and ratios. Usage: bench/run.sh [RUNS]   (default 20)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}

for tool in podman runc umoci skopeo; do
  command -v $tool >/dev/null || { echo "bench needs $tool: see ../shared/fixtures/peers/README.md" >&2; exit 1; }
done
[[ -x $here/target/release/container ]] || cargo build --release --bin container --manifest-path "$here/Cargo.toml"
ours=$here/target/release/container
layout=$("$here/fixtures/build-images.sh")

work=$(mktemp -d /var/lib/container-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() {
  [[ -n ${registry_pid:-} ]] && kill "$registry_pid" 2>/dev/null
  "$ours" --root "$work/ours" system stop >/dev/null 2>&1 || true  # the bridge our runs kept up
  podman --root "$work/podman" --runroot "$work/podman-run" rmi -a -f >/dev/null 2>&1 || true
  umount "$work/podman/overlay" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
  "$work/registry" "$port" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
name=127.0.0.1:$port/library/busybox:latest
skopeo copy -q --dest-tls-verify=false "oci:$layout:busybox-1.35" "docker://$name"

"$ours" --root "$work/ours" pull -q "$name" >/dev/null
podman=(podman --root "$work/podman" --runroot "$work/podman-run")
"${podman[@]}" pull -q --tls-verify=false "$name" >/dev/null

# runc gets a bundle unpacked by umoci, its command set to `true`, no terminal.
umoci unpack --image "$layout:busybox-1.35" "$work/bundle" >/dev/null
jq '.process.args = ["true"] | .process.terminal = false' "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.0f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { echo "scale=1; $1 / 1000000" | bc; }

: >"$work/ours.t" >"$work/podman.t" >"$work/runc.t"
# One warm-up run each, then the three tools take turns, so that the machine's noise
# falls on all of them alike.
"$ours" --root "$work/ours" run --rm "$name" true
"${podman[@]}" run --rm "$name" true
runc run --bundle "$work/bundle" bench-warmup >/dev/null
for i in $(seq "$runs"); do
  t=$(now); "$ours" --root "$work/ours" run --rm "$name" true; echo $(($(now) - t)) >>"$work/ours.t"
  t=$(now); "${podman[@]}" run --rm "$name" true; echo $(($(now) - t)) >>"$work/podman.t"
  t=$(now); runc run --bundle "$work/bundle" "bench-$i" >/dev/null; echo $(($(now) - t)) >>"$work/runc.t"
done

o=$(median <"$work/ours.t"); p=$(median <"$work/podman.t"); r=$(median <"$work/runc.t")
printf 'run --rm busybox true, image local, median of %d runs\n' "$runs"
printf '  %-28s %8s ms\n' "container run --rm" "$(ms "$o")" "podman run --rm" "$(ms "$p")" "runc run (ready bundle)" "$(ms "$r")"
printf '  ratio container/podman:  %.2f  (target <= 0.15)\n' "$(echo "$o / $p" | bc -l)"
printf '  ratio container/runc:    %.2f\n' "$(echo "$o / $r" | bc -l)"
