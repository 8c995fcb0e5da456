#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what the tests need
# (pgBackRest, PostgreSQL, the storage emulators, the Python test extras), then runs pytest.
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
source scripts/venv.sh test
export PATH="$PWD/.venv/bin:$PWD/.cache/node/node_modules/.bin:$PATH"
exec .venv/bin/python -m pytest "$@"
