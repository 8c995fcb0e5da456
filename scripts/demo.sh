#!/usr/bin/env bash
# Installs the setup service into .venv and runs the main job on a bundled example
# environment (default: examples/posix.env) into ./out, then shows what it published.
# Usage: scripts/demo.sh [examples/TYPE.env]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh ""
env_file=${1:-examples/posix.env}
out="$PWD/out"
# --mount-path: the rendered config refers to files where consumers see the volume; here, ./out.
.venv/bin/setup-service generate --env-file "$env_file" --output-dir "$out" --mount-path "$out" \
  --owner "$(id -u):$(id -g)"
echo "--- $out/pgbackrest.conf"; cat "$out/pgbackrest.conf"
echo "--- $out/conf.d/repo.conf"; cat "$out/conf.d/repo.conf"
echo "--- $out/crontab"; cat "$out/crontab"
echo "--- $out/postgresql-archive.conf"; cat "$out/postgresql-archive.conf"
