"""python -m backup_service COMMAND [ARG...]: any of the service's commands."""

from backup_service.commands import main

raise SystemExit(main())
