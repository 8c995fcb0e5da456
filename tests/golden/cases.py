"""Environments with one golden rendering each: one per repository type, and two repositories."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
GCS_KEY = HERE / "gcs-service-account.json"  # fake key: only its form is checked
CA_FILE = HERE / "test-ca.pem"  # fake CA: only its form is checked

CASES: dict[str, dict[str, str]] = {
    "none": {"SETUP_BACKUP": "false", "DATABASE_URL": "postgresql://u:p@db.example.com/app"},
    "posix": {"PGBACKREST_REPO1_TYPE": "posix", "PGBACKREST_REPO1_PATH": "/var/lib/pgbackrest"},
    "s3": {
        "PGBACKREST_REPO1_TYPE": "s3", "AWS_S3_BUCKET": "backups", "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIAFAKE", "AWS_SECRET_ACCESS_KEY": "fake/secret+key",
        "AWS_S3_ENDPOINT": "https://minio.internal:9000", "PGBACKREST_REPO1_S3_URI_STYLE": "path",
        "PGBACKREST_REPO1_STORAGE_CA_FILE": str(CA_FILE),
        "BACKUP_SCHEDULE_INCR": "0 */6 * * *",
    },
    "azure": {
        "PGBACKREST_REPO1_TYPE": "azure", "AZURE_STORAGE_ACCOUNT": "backupacct",
        "AZURE_STORAGE_KEY": "ZmFrZSBrZXkgZm9yIGV4YW1wbGVzIG9ubHk=",
        "AZURE_STORAGE_CONTAINER": "pg-backups",
    },
    "gcs": {"PGBACKREST_REPO1_TYPE": "gcs", "GCS_BUCKET": "pg-backups", "GCS_KEY": str(GCS_KEY)},
    "posix-s3-encrypted": {
        "PGBACKREST_REPO1_TYPE": "posix", "PGBACKREST_REPO1_PATH": "/var/lib/pgbackrest",
        "PGBACKREST_REPO2_TYPE": "s3", "PGBACKREST_REPO2_S3_BUCKET": "offsite",
        "PGBACKREST_REPO2_S3_REGION": "us-east-1", "PGBACKREST_REPO2_S3_KEY": "AKIAFAKE",
        "PGBACKREST_REPO2_S3_KEY_SECRET": "fake-secret", "PGBACKREST_REPO2_CIPHER_TYPE": "aes-256-cbc",
        "PGBACKREST_REPO2_CIPHER_PASS": "fake-passphrase", "PGBACKREST_REPO2_RETENTION_FULL": "4",
        "BACKUP_RETENTION_FULL": "2", "PGBACKREST_PROCESS_MAX": "4",
    },
}
