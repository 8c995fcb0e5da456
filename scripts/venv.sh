#!/usr/bin/env bash
# Creates .venv (on Debian 12, installing python3-venv first if needed) and installs the
# package into it, with the extras named in $1 (e.g. "test"). Sourced by demo.sh and test.sh.
set -euo pipefail
PY=${PYTHON:-python3}
if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "python3 has no venv module: install python3-venv" >&2; exit 1
  fi
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extras=${1:+[$1]}
.venv/bin/python -m pip install --quiet --disable-pip-version-check ".${extras}"
