"""`python -m setup_service` runs the same entry point as the console script."""

from setup_service.entry import main

raise SystemExit(main())
