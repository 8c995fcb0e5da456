"""backup-status: are the backups good right now? Facts are gathered once (facts.py), each health
check is its own module (checks/), the report is typed data (report.py) and the output formats
are one table of reporters (formats.py); the watch posts its changes of state (watch.py)."""
