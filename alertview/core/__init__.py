"""Everything that is not GUI. Never imports Qt (checked in CI)."""
