"""The backup service (backup_service/): its modules, its commands, and its e2e runs against a real cluster."""
