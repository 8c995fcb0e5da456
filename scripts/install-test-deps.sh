#!/usr/bin/env bash
# Installs what the end-to-end tests need on Debian 12, idempotently (seconds when all is there):
#   - Debian packages: pgBackRest, PostgreSQL, socat, openssl, make, CA certificates, jq, curl, and
#     Node.js + npm when no `node` / `npm` is on PATH;
#   - the npm storage emulators (s3rver, azurite) into .cache/node, exactly as pinned by
#     tests/e2e/harness/node/package-lock.json.
# The Python emulators (moto, gcp-storage-emulator) come with setup.cfg's `test` extra, which
# scripts/test.sh installs into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'install-test-deps: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- Debian packages ---------------------------------------------------------------------------
apt_packages=(pgbackrest postgresql socat openssl make ca-certificates jq curl)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)

missing=()
for package in "${apt_packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present: ${apt_packages[*]}"
fi

# --- npm emulators -----------------------------------------------------------------------------
lock=tests/e2e/harness/node/package-lock.json
prefix=.cache/node
stamp="$prefix/.installed-lock.sha256"
want=$(sha256sum "$lock" tests/e2e/harness/node/package.json | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && [ -x "$prefix/node_modules/.bin/s3rver" ] && [ -x "$prefix/node_modules/.bin/azurite-blob" ] \
   && [ -x "$prefix/node_modules/.bin/ajv" ]; then
  log "npm emulators present in $prefix"
else
  log "npm ci (s3rver, azurite, ajv-cli) into $prefix"
  mkdir -p "$prefix"
  cp tests/e2e/harness/node/package.json "$lock" "$prefix/"
  npm ci --prefix "$prefix" --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > "$stamp"
fi

# Fail here, not halfway through the tests, if something is still missing.
for tool in pgbackrest node "$prefix/node_modules/.bin/s3rver" "$prefix/node_modules/.bin/azurite-blob" \
            "$prefix/node_modules/.bin/ajv"; do
  command -v "$tool" >/dev/null 2>&1 || { log "missing after install: $tool"; exit 1; }
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { log "missing after install: initdb"; exit 1; }
log "ok"
