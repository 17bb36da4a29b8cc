"""Where received alerts live: packet segments on disk and an SQLite index of table rows."""
