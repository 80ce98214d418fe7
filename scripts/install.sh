#!/bin/bash
# Installs everything (Debian packages, the release build, /usr/local/bin/container) and
# runs the main job: pull an image through the docker.io mirror setting and list it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo build --release --locked --bin container
install -m 0755 target/release/container /usr/local/bin/container
echo "installed /usr/local/bin/container ($(container --version))" >&2
scripts/demo.sh
