#!/bin/bash
# The test command: packages, then every test of the workspace (unit and integration,
# the latter against a real registry on loopback that the tests start themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo build --workspace --all-targets --locked
cargo test --workspace --locked -- --test-threads="${TEST_THREADS:-4}"
