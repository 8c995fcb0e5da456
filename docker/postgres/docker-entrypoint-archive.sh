#!/bin/bash
# Entrypoint of the PostgreSQL service: the official image's entrypoint, after making an
# existing data directory include the published WAL archiving settings (a new one gets them
# from /docker-entrypoint-initdb.d, where ensure-archive-include is installed too).
#
# Settings (environment): those of ensure-archive-include, and PG_ENTRYPOINT (the official
# entrypoint, default docker-entrypoint.sh).
set -eu

"$(dirname "$0")/ensure-archive-include"
exec "${PG_ENTRYPOINT:-docker-entrypoint.sh}" "$@"
