"""Allow ``python -m alertview``."""

from alertview.cli import main

raise SystemExit(main())
