"""The health checks, one module each: repository, backup-age, archiving, continuity, queue,
outage. Each takes the gathered facts and returns its checks (and the fields it measured)."""
