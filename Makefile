# The guide's operations (docs/deployment.md). Restores stop PostgreSQL, restore into its data
# volume from a one-off backup container, start it again and report how recovery ended.

COMPOSE ?= docker compose
BACKUP_CONTAINER ?= salespider-backup
POSTGRES_CONTAINER ?= salespider-postgres

.PHONY: deploy backup backup-info backup-check backup-status restore-points restore-drill restore-xid \
	restore-latest restore-backup restore-pitr \
	validate config

deploy:
	$(COMPOSE) build
	$(COMPOSE) up -d
	$(COMPOSE) ps

backup:
	docker exec $(BACKUP_CONTAINER) run-backup full

backup-info:
	docker exec $(BACKUP_CONTAINER) pgbackrest-stanza info

backup-check:
	docker exec $(BACKUP_CONTAINER) pgbackrest-stanza check

# Are the backups good right now? FORMAT=text|json|prometheus; Nagios exit codes (0 OK,
# 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
FORMAT ?= text
backup-status:
	docker exec $(BACKUP_CONTAINER) backup-status --format $(FORMAT)

# The backups with their time ranges, and the span point-in-time recovery can reach.
restore-points:
	docker exec $(BACKUP_CONTAINER) backup-status --restore-points --format $(FORMAT)

# Do the backups restore? The newest backup restored into the restore-drill volume, recovered,
# checked and removed; production is only read. FORMAT=text|json, SQL= a probe (passes when the
# first column of the first row is true; default BACKUP_DRILL_SQL). Exit codes as backup-status.
# SQL reaches the container through the environment (docker exec -e), so its quotes stay as typed.
restore-drill: export BACKUP_DRILL_SQL = $(SQL)
restore-drill:
	docker exec $(if $(SQL),-e BACKUP_DRILL_SQL) $(BACKUP_CONTAINER) restore-drill --format $(FORMAT)

# restore ARGS: the restore script's arguments (latest | set LABEL | time TARGET | xid XID).
define restore
	$(COMPOSE) stop postgres backup
	$(COMPOSE) run --rm --no-deps backup restore $(1)
	$(COMPOSE) up -d postgres backup
	docker exec $(POSTGRES_CONTAINER) recovery-report
endef

restore-latest:
	$(call restore,latest)

restore-backup:
	@test -n "$(BACKUP_SET)" || { echo "usage: make restore-backup BACKUP_SET=20240101-120000F" >&2; exit 2; }
	$(call restore,set '$(BACKUP_SET)')

restore-pitr:
	@test -n "$(TARGET)" || { echo 'usage: make restore-pitr TARGET="2024-01-01 12:00:00+00"' >&2; exit 2; }
	$(call restore,time '$(TARGET)')

restore-xid:
	@test -n "$(XID)" || { echo 'usage: make restore-xid XID=123456' >&2; exit 2; }
	$(call restore,xid '$(XID)')

validate:
	$(COMPOSE) run --rm setup validate

# After changing .env (e.g. rotated credentials): publish a new generation into the same
# volume, start what it enables, and reload PostgreSQL, restarting it only when a setting
# needs that (archive_mode, when backups were switched on or off).
config:
	$(COMPOSE) run --rm setup
	$(COMPOSE) up -d
	docker exec $(POSTGRES_CONTAINER) reload-config || $(COMPOSE) restart postgres
