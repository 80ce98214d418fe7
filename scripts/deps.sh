#!/bin/bash
# Installs the Debian packages the build and the tests need (idempotent, quiet when done).
set -euo pipefail

packages=(
  pkg-config libseccomp-dev     # the runtime's seccomp support
  libisal-dev                   # ISA-L, which inflates gzip layers
  docker-registry skopeo umoci  # tests: a real registry, and fixture images made by others' tools
  busybox-static curl jq        # the fixture busybox image, and the scripts
  podman zstd                   # tests: archives through podman; zstd-compressed archives
  iptables iproute2             # NAT for bridged containers; namespaces in the network tests
  python3                       # free ports in scripts/demo.sh and bench/
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
  # Debian starts a registry service on all addresses: tests start their own on loopback.
  if command -v systemctl >/dev/null; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
  pkill -f '^/usr/bin/docker-registry serve /etc/docker/registry' 2>/dev/null || true
fi
command -v cargo >/dev/null || {
  echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
}
