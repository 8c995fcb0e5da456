# shellcheck shell=bash
# Sourced by the backup service's scripts: where the published files are, and how to run
# pgBackRest with them and nothing else.
#
# Settings (environment):
#   PGBR_CONFIG_DIR  the published config volume (default /etc/pgbackrest)
#   PGBR_BIN         the pgBackRest executable (default pgbackrest)

PGBR_CONFIG_DIR=${PGBR_CONFIG_DIR:-/etc/pgbackrest}
PGBR_BIN=${PGBR_BIN:-pgbackrest}

log() {
    printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${0##*/}" "$*" >&2
}

# status_field NAME: one field of the published status.json, as raw text (true/false for booleans).
status_field() {
    jq -r --arg f "$1" \
        'if has($f) then .[$f] else error("status.json has no field \($f)") end' \
        "$PGBR_CONFIG_DIR/status.json"
}

# pgbr ARG...: pgBackRest with the published config and without any PGBACKREST_* variable.
# pgBackRest reads PGBACKREST_* itself and they would override the published files, which
# are the single source of truth; so they are dropped here, never passed on.
pgbr() {
    local name
    local unset=()
    for name in $(compgen -e); do
        case $name in
            PGBACKREST_*) unset+=("--unset=$name") ;;
        esac
    done
    if [ "${#unset[@]}" -gt 0 ]; then
        log "ignoring ${#unset[@]} PGBACKREST_* variable(s): the published files are the configuration"
    fi
    env "${unset[@]}" "$PGBR_BIN" \
        --config="$PGBR_CONFIG_DIR/pgbackrest.conf" \
        --config-include-path="$PGBR_CONFIG_DIR/conf.d" \
        "$@"
}
