"""The backup service: pgBackRest's scheduler, backups, restores and the health answer
(backup-status), over the configuration the setup job publishes.

Standard library only, plus the setup job's dependency-free modules (the catalogue, cron and
redaction): the backup image carries no third-party Python package.
"""
