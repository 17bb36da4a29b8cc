"""Command-line commands; each module adds one sub-command. No Qt here."""
