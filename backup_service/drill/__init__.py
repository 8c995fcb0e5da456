"""restore-drill: proves that the newest backup restores. It restores into scratch space (never
PGDATA) with --archive-mode=off, starts a private scratch PostgreSQL (no TCP, its own socket),
recovers to the end of the archive, checks the result (end of archive, databases, pg_amcheck,
pg_checksums, the probe), measures RTO and RPO, and always removes the scratch cluster."""
