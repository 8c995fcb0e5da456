#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what the tests need
# (pgBackRest, PostgreSQL, the storage emulators, the Python test extras), then runs pytest.
# Usage: scripts/test.sh [pytest args...]
#
# With no arguments the compose suite (`-m compose`: the deployment on the container engine,
# mostly waiting on it) runs in a second pytest process beside the rest (mostly CPU); its
# report follows the main one, and the exit status is the first failure's. With arguments,
# one pytest runs them as given.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
source scripts/venv.sh test
export PATH="$PWD/.venv/bin:$PWD/.cache/node/node_modules/.bin:$PATH"
[ $# -eq 0 ] || exec .venv/bin/python -m pytest "$@"

compose_log=$(mktemp -t setup-service-compose-tests.XXXXXX)
.venv/bin/python -m pytest -m compose -p no:cacheprovider >"$compose_log" 2>&1 &
compose=$!
trap 'kill -INT "$compose" 2>/dev/null || true' INT TERM EXIT
status=0
.venv/bin/python -m pytest -m "not compose" || status=$?
compose_status=0
wait "$compose" || compose_status=$?
trap - INT TERM EXIT
echo
echo "=== the compose suite (pytest -m compose), run beside the above ==="
cat "$compose_log"
rm -f "$compose_log"
[ "$status" -ne 0 ] && exit "$status"
exit "$compose_status"
