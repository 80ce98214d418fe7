#!/bin/bash
# Networking: (1) from `run -d -p` to the first HTTP 200 of the python fixture image
# serving `python -m http.server`, ours against `podman run -d -p` (runc, netavark), in
# the same run; (2) throughput through a published port against a direct connection to
# the container's address, 1 GB each way (download, then upload), same server.
# Prints medians and ratios. Usage: bench/net.sh [RUNS]   (default 10)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-10}

for tool in podman skopeo curl python3 docker-registry; do
  command -v $tool >/dev/null || { echo "bench needs $tool: see ../shared/fixtures/peers/README.md" >&2; exit 1; }
done
[[ -x $here/target/release/container ]] || cargo build --release --bin container --manifest-path "$here/Cargo.toml"
ours=$here/target/release/container
layout=$("$here/fixtures/build-images.sh" --with-debian)

work=$(mktemp -d /var/lib/container-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
# A bridge and subnet of the bench's own, so that it cannot meet another store's.
printf '[network]\nbridge = "ctbench0"\nsubnet = "10.199.0.0/24"\npool = "10.199.1.0/24"\n' >"$work/config.toml"
export CONTAINER_CONFIG=$work/config.toml
podman=(podman --root "$work/podman" --runroot "$work/podman-run")
cleanup() {
  "$ours" --root "$work/ours" rm -f web tput >/dev/null 2>&1 || true
  "$ours" --root "$work/ours" system stop >/dev/null 2>&1 || true  # the bridge our runs kept up
  "${podman[@]}" rm -f -a >/dev/null 2>&1 || true
  "${podman[@]}" rmi -a -f >/dev/null 2>&1 || true
  [[ -n ${registry_pid:-} ]] && kill "$registry_pid" 2>/dev/null
  umount "$work/podman/overlay" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
  "$work/registry" "$port" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
name=127.0.0.1:$port/library/python:3.11-slim
skopeo copy -q --dest-tls-verify=false "oci:$layout:python-3.11-slim" "docker://$name"
"$ours" --root "$work/ours" pull -q "$name" >/dev/null
"${podman[@]}" pull -q --tls-verify=false "$name" >/dev/null

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {printf "%.0f\n", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ms() { echo "scale=1; $1 / 1000000" | bc; }
# Polls until the URL answers 200 (curl's own retry waits a second between tries).
first_200() { until curl -sf -o /dev/null "$1" 2>/dev/null; do :; done; }

# (1) Time to first response. The tools take turns, so noise falls on both alike.
: >"$work/ours.t" >"$work/podman.t"
for i in $(seq 0 "$runs"); do
  hp=$(free_port)
  t=$(now)
  "$ours" --root "$work/ours" run -d --name web -p "$hp:8000" "$name" python -m http.server 8000 >/dev/null
  first_200 "http://127.0.0.1:$hp/"
  ((i > 0)) && echo $(($(now) - t)) >>"$work/ours.t"
  "$ours" --root "$work/ours" rm -f web >/dev/null

  hp=$(free_port)
  t=$(now)
  "${podman[@]}" run -d --name web -p "$hp:8000" "$name" python -m http.server 8000 >/dev/null
  first_200 "http://127.0.0.1:$hp/"
  ((i > 0)) && echo $(($(now) - t)) >>"$work/podman.t"
  "${podman[@]}" rm -f -t 0 web >/dev/null
done
o=$(median <"$work/ours.t"); p=$(median <"$work/podman.t")
printf 'run -d -p to the first HTTP 200 (python -m http.server), median of %d runs\n' "$runs"
printf '  %-28s %8s ms\n' "container run -d -p" "$(ms "$o")" "podman run -d -p" "$(ms "$p")"
printf '  ratio container/podman:  %.2f  (target <= 0.30)\n' "$(echo "$o / $p" | bc -l)"

# (2) Throughput: one server in the container sends 1 GB to each client, or reads
# 1 GB from it, by the first byte the client sends (d or u).
server='
import socket, threading
chunk = bytes(1 << 20)
def serve(c):
    mode = c.recv(1)
    if mode == b"d":
        for _ in range(1024):
            c.sendall(chunk)
    else:
        left = 1 << 30
        while left > 0:
            n = len(c.recv(1 << 20))
            if n == 0:
                break
            left -= n
        c.sendall(b"k")
    c.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000))
s.listen(8)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,)).start()
'
client='
import socket, sys, time
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for _ in range(100):
    try:
        c = socket.create_connection((host, port)); break
    except OSError:
        time.sleep(0.05)
t = time.monotonic()
c.sendall(mode.encode())
if mode == "d":
    got = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        got += len(b)
    assert got == 1 << 30, got
else:
    chunk = bytes(1 << 20)
    for _ in range(1024):
        c.sendall(chunk)
    assert c.recv(1) == b"k"
print(int((1 << 30) / (time.monotonic() - t) / 1e6))
'
hp=$(free_port)
"$ours" --root "$work/ours" run -d --name tput -p "$hp:9000" "$name" python -c "$server" >/dev/null
address=$("$ours" --root "$work/ours" inspect -f '{{.NetworkSettings.IPAddress}}' tput)
python3 -c "$client" "$address" 9000 d >/dev/null   # warm-up, and the server is up
: >"$work/direct.d" >"$work/published.d" >"$work/direct.u" >"$work/published.u"
for _ in 1 2 3; do
  python3 -c "$client" "$address" 9000 d >>"$work/direct.d"
  python3 -c "$client" 127.0.0.1 "$hp" d >>"$work/published.d"
  python3 -c "$client" "$address" 9000 u >>"$work/direct.u"
  python3 -c "$client" 127.0.0.1 "$hp" u >>"$work/published.u"
done
dd=$(median <"$work/direct.d"); pd=$(median <"$work/published.d")
du=$(median <"$work/direct.u"); pu=$(median <"$work/published.u")
printf '1 GB through a published port against the container address, median of 3, MB/s\n'
printf '  %-28s %8s %8s\n' "" download upload "direct (container address)" "$dd" "$du" "published (127.0.0.1:port)" "$pd" "$pu"
printf '  ratio published/direct:  download %.2f  upload %.2f  (target >= 0.80)\n' \
  "$(echo "$pd / $dd" | bc -l)" "$(echo "$pu / $du" | bc -l)"
